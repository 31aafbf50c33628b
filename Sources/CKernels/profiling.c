// The hot loops of data profiling (include/profiling.h says what each does; docs/validation.md is the
// specification). Results are exact ports of the format's definitions: the same bytes must give the
// same profile on every machine, so the SIMD paths only find bytes faster and never decide
// differently from the portable ones (ProfilingTests compares them on random input).
#include "profiling.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Floating-point results are part of the format: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

static inline uint64_t load64(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;  // little-endian hosts only (x86-64, arm64)
}

static inline uint32_t load32(const uint8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

#define WORD4(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

// ---- the value hash ---------------------------------------------------------------------------

static inline uint64_t hash_round(uint64_t h, uint64_t w) {
    uint64_t x = h ^ (w * 0x87C37B91114253D5ull);
    return (x << 29 | x >> 35) * 0x4CF5AD432745937Full;
}

static inline uint64_t value_hash(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xC2B2AE3D27D4EB4Full);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = hash_round(h, load64(p + i));
    size_t r = n - i;
    if (r > 0) {
        // The last r bytes as a little-endian word, zero-padded, read with at most two loads.
        uint64_t t;
        if (n >= 8) {
            t = load64(p + n - 8) >> (8 * (8 - r));
        } else if (r >= 4) {
            t = (uint64_t)load32(p) | (uint64_t)load32(p + r - 4) << (8 * (r - 4));
        } else {
            t = p[0];
            if (r > 1) t |= (uint64_t)p[1] << 8;
            if (r > 2) t |= (uint64_t)p[2] << 16;
        }
        h = hash_round(h, t);
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

uint64_t mlops_value_hash(const uint8_t *p, size_t n) { return value_hash(p, n); }

// ---- values -----------------------------------------------------------------------------------

static inline int is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// strtod on a NUL-terminated copy, for numbers the fast path cannot do exactly (syntax already checked).
static double slow_float(const uint8_t *p, size_t n) {
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) abort();
    memcpy(buf, p, n);
    buf[n] = 0;
    double d = strtod(buf, NULL);
    if (buf != small) free(buf);
    return d;
}

static int parse_infinity(const uint8_t *p, size_t n, int negative, double *d) {
    static const char word[] = "infinity";
    if (n != 3 && n != 8) return 0;
    for (size_t j = 0; j < n; j++)
        if ((p[j] | 0x20) != (uint8_t)word[j]) return 0;
    *d = negative ? -INFINITY : INFINITY;
    return 2;
}

// The rest of a number from p[i]: nothing, or `[eE][+-]digits` to the end, whose value it adds to
// *exp10 (capped, far beyond any double's range). 0 when it is anything else.
static inline int add_exponent(const uint8_t *p, size_t n, size_t i, long *exp10) {
    if (i == n) return 1;
    if (p[i] != 'e' && p[i] != 'E') return 0;
    i++;
    int negative = 0;
    if (i < n && (p[i] == '-' || p[i] == '+')) {
        negative = p[i] == '-';
        i++;
    }
    if (i >= n) return 0;
    long e = 0;
    for (; i < n && is_digit(p[i]); i++)
        if (e < 100000) e = e * 10 + (p[i] - '0');
    if (i != n) return 0;
    *exp10 += negative ? -e : e;
    return 1;
}

// The number syntax and its values, in full: any count of digits (those past 19 significant ones only
// decide whether strtod is needed).
static int parse_number_exact(const uint8_t *p, size_t n, int64_t *iv, double *dv) {
    if (n == 0) return 0;
    size_t i = 0;
    int negative = 0;
    if (p[0] == '-' || p[0] == '+') {
        negative = p[0] == '-';
        i = 1;
    }
    if (i >= n) return 0;
    uint8_t c0 = p[i];
    if (!is_digit(c0) && c0 != '.') return parse_infinity(p + i, n - i, negative, dv);
    uint64_t mantissa = 0;
    int digits = 0;       // significant digits kept in mantissa
    long dropped = 0;     // integer digits beyond 19 (scale up)
    size_t int_digits = 0;
    for (; i < n && is_digit(p[i]); i++) {
        uint64_t d = p[i] - '0';
        if (digits < 19) {
            if (mantissa != 0 || d != 0) digits++;
            mantissa = mantissa * 10 + d;
        } else {
            dropped++;
        }
        int_digits++;
    }
    if (i == n) {
        // An integer: exact when it fits in 64 bits.
        if (dropped == 0) {
            if (!negative && mantissa <= (uint64_t)INT64_MAX) {
                *iv = (int64_t)mantissa;
                return 1;
            }
            if (negative && mantissa <= (uint64_t)INT64_MAX + 1) {
                *iv = mantissa == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mantissa;
                return 1;
            }
        }
        *dv = slow_float(p, n);
        return 2;
    }
    long exp10 = dropped;
    size_t frac_digits = 0;
    int inexact = dropped > 0;
    if (p[i] == '.') {
        for (i++; i < n && is_digit(p[i]); i++) {
            uint64_t d = p[i] - '0';
            if (digits < 19) {
                if (mantissa != 0 || d != 0) digits++;
                mantissa = mantissa * 10 + d;
                exp10--;
            } else if (d != 0) {
                inexact = 1;
            }
            frac_digits++;
        }
    }
    if (int_digits + frac_digits == 0 || !add_exponent(p, n, i, &exp10)) return 0;
    // Clinger's fast path: exact when the mantissa and the power of ten are both exact doubles.
    if (!inexact && mantissa <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mantissa;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *dv = negative ? -v : v;
        return 2;
    }
    *dv = slow_float(p, n);
    return 2;
}

// The same, faster for the usual case of at most 19 digits in all: then the mantissa holds every
// digit exactly and parse_number_exact's bookkeeping of dropped digits has nothing to do.
static inline int parse_number(const uint8_t *p, size_t n, int64_t *iv, double *dv) {
    if (n == 0) return 0;
    size_t i = p[0] == '-' || p[0] == '+';
    int negative = p[0] == '-';
    if (i >= n) return 0;
    if (!is_digit(p[i]) && p[i] != '.') return parse_infinity(p + i, n - i, negative, dv);
    uint64_t mantissa = 0;
    size_t j = i, limit = n - i > 19 ? i + 19 : n;
    for (; j < limit && is_digit(p[j]); j++) mantissa = mantissa * 10 + (p[j] - '0');
    size_t int_digits = j - i;
    if (j == n) {
        if (!negative && mantissa <= (uint64_t)INT64_MAX) {
            *iv = (int64_t)mantissa;
            return 1;
        }
        if (negative && mantissa <= (uint64_t)INT64_MAX + 1) {
            *iv = mantissa == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mantissa;
            return 1;
        }
        return parse_number_exact(p, n, iv, dv);
    }
    if (is_digit(p[j])) return parse_number_exact(p, n, iv, dv);  // a 20th digit
    size_t frac_digits = 0;
    if (p[j] == '.') {
        size_t f = ++j;
        limit = n - j > 19 - int_digits ? j + 19 - int_digits : n;
        for (; j < limit && is_digit(p[j]); j++) mantissa = mantissa * 10 + (p[j] - '0');
        if (j < n && is_digit(p[j])) return parse_number_exact(p, n, iv, dv);
        frac_digits = j - f;
    }
    long exp10 = -(long)frac_digits;
    if (int_digits + frac_digits == 0 || !add_exponent(p, n, j, &exp10)) return 0;
    if (mantissa <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)(int64_t)mantissa;  // exact either way; this converts in one instruction
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *dv = negative ? -v : v;
        return 2;
    }
    *dv = slow_float(p, n);
    return 2;
}

int mlops_parse_number(const uint8_t *p, size_t n, int64_t *i, double *d) { return parse_number(p, n, i, d); }

// "", NA, N/A, NaN, nan, null, NULL, None.
static inline int is_null_token(const uint8_t *p, size_t n) {
    switch (n) {
    case 0: return 1;
    case 2: return p[0] == 'N' && p[1] == 'A';
    case 3: {
        uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
        return w == WORD4('N', '/', 'A', 0) || w == WORD4('N', 'a', 'N', 0) || w == WORD4('n', 'a', 'n', 0);
    }
    case 4: {
        uint32_t w = load32(p);
        return w == WORD4('n', 'u', 'l', 'l') || w == WORD4('N', 'U', 'L', 'L') || w == WORD4('N', 'o', 'n', 'e');
    }
    default: return 0;
    }
}

static inline int parse_bool(const uint8_t *p, size_t n) {
    if (n == 4) {
        uint32_t w = load32(p);
        if (w == WORD4('t', 'r', 'u', 'e') || w == WORD4('T', 'r', 'u', 'e') || w == WORD4('T', 'R', 'U', 'E')) return 1;
    } else if (n == 5) {
        uint32_t w = load32(p);
        if (p[4] == 'e' && (w == WORD4('f', 'a', 'l', 's') || w == WORD4('F', 'a', 'l', 's'))) return 0;
        if (p[4] == 'E' && w == WORD4('F', 'A', 'L', 'S')) return 0;
    }
    return -1;
}

int mlops_parse_bool(const uint8_t *p, size_t n) { return parse_bool(p, n); }

static inline int64_t days_in_month(int64_t y, int64_t m) {
    switch (m) {
    case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28;
    case 4: case 6: case 9: case 11: return 30;
    default: return 31;
    }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
static inline int64_t days_from_civil(int64_t y0, int64_t m, int64_t d) {
    int64_t y = m <= 2 ? y0 - 1 : y0;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// The decimal number in p[at..<at+len), or -1 when it is not all digits.
static inline int64_t digits_at(const uint8_t *p, size_t at, size_t len) {
    int64_t v = 0;
    for (size_t j = at; j < at + len; j++) {
        if (!is_digit(p[j])) return -1;
        v = v * 10 + (p[j] - '0');
    }
    return v;
}

static inline int parse_datetime(const uint8_t *p, size_t n, double *out) {
    if (n < 10 || p[4] != '-' || p[7] != '-') return 0;
    int64_t y = digits_at(p, 0, 4), mo = digits_at(p, 5, 2), d = digits_at(p, 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return 0;
    double seconds = (double)(days_from_civil(y, mo, d) * 86400);
    size_t i = 10;
    if (i == n) {
        *out = seconds;
        return 1;
    }
    if ((p[i] != 'T' && p[i] != ' ') || n < i + 6 || p[i + 3] != ':') return 0;
    int64_t hh = digits_at(p, i + 1, 2), mm = digits_at(p, i + 4, 2);
    if (hh < 0 || mm < 0 || hh >= 24 || mm >= 60) return 0;
    seconds += (double)(hh * 3600 + mm * 60);
    i += 6;
    if (i < n && p[i] == ':') {
        if (n < i + 3) return 0;
        int64_t ss = digits_at(p, i + 1, 2);
        if (ss < 0 || ss > 60) return 0;
        seconds += (double)ss;
        i += 3;
        if (i < n && p[i] == '.') {
            i++;
            double scale = 0.1, frac = 0.0;
            size_t count = 0;
            for (; i < n && is_digit(p[i]); i++, count++) {
                if (count < 9) {
                    frac += (double)(p[i] - '0') * scale;
                    scale /= 10;
                }
            }
            if (count == 0) return 0;
            seconds += frac;
        }
    }
    if (i == n) {
        *out = seconds;
        return 1;
    }
    if (p[i] == 'Z') {
        if (i + 1 != n) return 0;
        *out = seconds;
        return 1;
    }
    if ((p[i] != '+' && p[i] != '-') || n - i < 3) return 0;
    int64_t oh = digits_at(p, i + 1, 2), om = 0;
    if (oh < 0 || oh >= 24) return 0;
    size_t rest = n - i - 3;
    if (rest == 3 && p[i + 3] == ':' && digits_at(p, i + 4, 2) >= 0) {
        om = digits_at(p, i + 4, 2);
    } else if (rest == 2 && digits_at(p, i + 3, 2) >= 0) {
        om = digits_at(p, i + 3, 2);
    } else if (rest != 0) {
        return 0;
    }
    if (om >= 60) return 0;
    double offset = (double)(oh * 3600 + om * 60);
    *out = p[i] == '+' ? seconds - offset : seconds + offset;
    return 1;
}

int mlops_parse_datetime(const uint8_t *p, size_t n, double *seconds) { return parse_datetime(p, n, seconds); }

// The rules tried in order (null, number, bool, datetime, string), skipping those that the first
// byte already rules out: nulls start with N or n, numbers with a digit, a sign, '.' or (infinity)
// i or I, bools with t, T, f or F, datetimes with a digit. Most strings are told by their first byte.
static inline int classify(const uint8_t *p, size_t n, double *num, int64_t *iv) {
    if (n == 0) return MLOPS_VALUE_NULL;
    switch (p[0]) {
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
    case '+': case '-': case '.':
        switch (parse_number(p, n, iv, num)) {
        case 1: *num = (double)*iv; return MLOPS_VALUE_INT;
        case 2: return isfinite(*num) ? MLOPS_VALUE_FLOAT : MLOPS_VALUE_NONFINITE;
        default: break;
        }
        return parse_datetime(p, n, num) ? MLOPS_VALUE_DATETIME : MLOPS_VALUE_STRING;
    case 'N': case 'n':
        return n <= 4 && is_null_token(p, n) ? MLOPS_VALUE_NULL : MLOPS_VALUE_STRING;
    case 'I': case 'i':
        return parse_infinity(p, n, 0, num) ? MLOPS_VALUE_NONFINITE : MLOPS_VALUE_STRING;
    case 'T': case 't': case 'F': case 'f': {
        int b = parse_bool(p, n);
        if (b < 0) return MLOPS_VALUE_STRING;
        *num = b;
        return MLOPS_VALUE_BOOL;
    }
    default:
        return MLOPS_VALUE_STRING;
    }
}

int mlops_classify(const uint8_t *p, size_t n, double *num, int64_t *i) { return classify(p, n, num, i); }

// Eight bytes at a time: the high bit of each byte that is not an ASCII digit. Exact up to the first
// such byte (a carry can only spill upward from a byte that is flagged itself).
static inline uint64_t nondigits(uint64_t w) {
    uint64_t x = w ^ 0x3030303030303030ull;
    return ((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull;
}

// The index of the first byte of w0, w1 (16 bytes) that is not a digit; 16 when all are.
static inline size_t first_nondigit(uint64_t w0, uint64_t w1) {
    uint64_t a = nondigits(w0), b = nondigits(w1);
    return a ? (size_t)__builtin_ctzll(a) >> 3 : b ? 8 + ((size_t)__builtin_ctzll(b) >> 3) : 16;
}

// The value of the first len (1...8) digits of w, first digit in the lowest byte: the bytes shifted
// up (zeros below act as leading zeros), then pairs, fours and eights combined by multiplication.
static inline uint64_t eight_digits(uint64_t w, size_t len) {
    uint64_t v = w << (8 * (8 - len));
    v = (v & 0x0F0F0F0F0F0F0F0Full) * 2561 >> 8;
    v = (v & 0x00FF00FF00FF00FFull) * 6553601 >> 16;
    return (v & 0x0000FFFF0000FFFFull) * 42949672960001ull >> 32;
}

static const uint64_t pow10_u64[17] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                       100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
                                       10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull};

// The value of len (1...16) digits, the 16 bytes from their start being w0, w1.
static inline uint64_t digits_value(uint64_t w0, uint64_t w1, size_t len) {
    if (len <= 8) return eight_digits(w0, len);
    return eight_digits(w0, 8) * pow10_u64[len - 8] + eight_digits(w1, len - 8);
}

// classify() with a fast path for the usual numbers of a table, `-`? then up to 16 digits, or digits,
// a point and digits (at most 15 in all): the same results (an int, or Clinger's exact quotient that
// parse_number computes), 16 bytes at a time. At least 40 bytes must be readable at p.
static inline __attribute__((always_inline)) int classify_wide(const uint8_t *p, size_t n, double *num, int64_t *iv) {
    size_t sign = p[0] == '-';
    const uint8_t *d = p + sign;
    size_t m = n - sign;
    if (n > 0 && m >= 1 && m <= 16) {
        uint64_t w0 = load64(d), w1 = load64(d + 8);
        size_t k = first_nondigit(w0, w1);
        if (k >= m) {
            uint64_t v = digits_value(w0, w1, m);
            *iv = sign ? -(int64_t)v : (int64_t)v;
            *num = (double)*iv;
            return MLOPS_VALUE_INT;
        }
        if (d[k] == '.' && m >= 2) {
            const uint8_t *f = d + k + 1;
            size_t fd = m - k - 1;
            uint64_t g0 = load64(f), g1 = load64(f + 8);
            if (first_nondigit(g0, g1) >= fd) {
                uint64_t mantissa = (k ? digits_value(w0, w1, k) : 0) * pow10_u64[fd] + (fd ? digits_value(g0, g1, fd) : 0);
                // mantissa < 10^15: as an int64 it converts in one instruction, to the same double.
                double v = (double)(int64_t)mantissa / pow10_exact[fd];
                *num = sign ? -v : v;
                return MLOPS_VALUE_FLOAT;
            }
        }
    }
    return classify(p, n, num, iv);
}

// ---- UTF-8 ------------------------------------------------------------------------------------

size_t mlops_utf8_invalid(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        // ASCII 64 bytes at a time (the compiler vectorizes the OR).
        while (i + 64 <= n) {
            uint64_t any = 0;
            for (int k = 0; k < 8; k++) any |= load64(p + i + 8 * k);
            if (any & 0x8080808080808080ull) break;
            i += 64;
        }
        // Then byte by byte, whole sequences, to at least the end of this piece of 64.
        size_t stop = i + 64 < n ? i + 64 : n;
        while (i < stop) {
            uint8_t c = p[i];
            if (c < 0x80) {
                i++;
                continue;
            }
            size_t len;
            uint8_t lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) len = 2;
            else if (c == 0xE0) len = 3, lo = 0xA0;
            else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
            else if (c == 0xED) len = 3, hi = 0x9F;
            else if (c == 0xF0) len = 4, lo = 0x90;
            else if (c >= 0xF1 && c <= 0xF3) len = 4;
            else if (c == 0xF4) len = 4, hi = 0x8F;
            else return i;
            if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
            for (size_t j = 2; j < len; j++)
                if ((p[i + j] & 0xC0) != 0x80) return i;
            i += len;
        }
    }
    return n;
}

// ---- instruction sets ---------------------------------------------------------------------------

int mlops_profiling_best_isa(void) {
    static int cached = -1;
    if (cached < 0) {
        int isa = 0;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) isa = 2;
        else if (__builtin_cpu_supports("avx2")) isa = 1;
#endif
        cached = isa;
    }
    return cached;
}

// The instruction set to use: `isa`, or the best the CPU has when that is higher or below 0.
static inline int pick_isa(int isa) {
    int best = mlops_profiling_best_isa();
    return isa < 0 || isa > best ? best : isa;
}

// ---- sorting ----------------------------------------------------------------------------------

static inline void swap_doubles(double *a, double *b) {
    double t = *a;
    *a = *b;
    *b = t;
}

// The sign bit of x - y: x < y for distinct finite doubles, computed as arithmetic so that it
// cannot become a branch.
static inline size_t below(double x, double y) {
    double d = x - y;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return (size_t)(bits >> 63);
}

// The portable sort, which decides how -0.0 and 0.0 come out: quicksort with a branch-free Lomuto partition (an unconditional swap and a conditional increment:
// random data costs no mispredicted branches), median-of-three pivots, runs equal to the pivot set
// aside at once (so few distinct values stay linear), insertion sort below 16.
static void sort_portable(double *a, size_t n) {
    // Columns such as ids and timestamps arrive in order: check that first.
    size_t sorted = 1;
    while (sorted < n && a[sorted - 1] <= a[sorted]) sorted++;
    if (sorted >= n) return;
    size_t lo = 0, hi = n;
    while (hi - lo > 16) {
        size_t mid = lo + (hi - lo) / 2, last = hi - 1;
        if (a[mid] < a[lo]) swap_doubles(&a[mid], &a[lo]);
        if (a[last] < a[lo]) swap_doubles(&a[last], &a[lo]);
        if (a[mid] < a[last]) swap_doubles(&a[mid], &a[last]);
        // Now a[lo] <= a[last] <= a[mid]: the pivot sits at `last`.
        double pivot = a[last];
        size_t first = lo;
        for (size_t j = lo; j < last; j++) {
            double x = a[j];
            a[j] = a[first];
            a[first] = x;
            first += below(x, pivot);
        }
        a[last] = a[first];
        a[first] = pivot;
        if (first == lo) {
            // Nothing below the pivot: gather the values equal to it, which are done.
            size_t eq = first + 1;
            for (size_t j = first + 1; j < hi; j++) {
                double x = a[j];
                a[j] = a[eq];
                a[eq] = x;
                eq += 1 - below(pivot, x);
            }
            lo = eq;
            continue;
        }
        if (first - lo < hi - first - 1) {
            sort_portable(a + lo, first - lo);
            lo = first + 1;
        } else {
            sort_portable(a + first + 1, hi - first - 1);
            hi = first;
        }
    }
    for (size_t i = lo + 1; i < hi; i++) {
        double v = a[i];
        size_t j = i;
        while (j > lo && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

#if defined(__x86_64__)
// AVX-512: quicksort partitions (compress, 8 values at a time) down to 128 values, which a bitonic
// network sorts in 16 registers. Its output equals sort_portable's whenever the input holds no
// -0.0: equal doubles other than ±0 are the same bits, so any sort gives the same array.
#define AVX512 __attribute__((target("avx512f")))
#define ALWAYS static inline __attribute__((always_inline))
// The networks' loops have constant bounds: unrolled, their registers stay registers.
#define UNROLL _Pragma("clang loop unroll(full)")

// Lane i with lane i^1, i^2, i^4; and the lanes reversed.
AVX512 ALWAYS __m512d swap1(__m512d v) { return _mm512_permute_pd(v, 0x55); }
AVX512 ALWAYS __m512d swap2(__m512d v) { return _mm512_permutex_pd(v, 0x4E); }
AVX512 ALWAYS __m512d swap4(__m512d v) { return _mm512_shuffle_f64x2(v, v, 0x4E); }
AVX512 ALWAYS __m512d reverse8(__m512d v) { return _mm512_permutexvar_pd(_mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7), v); }

// One compare-exchange layer inside a register: the lanes in `high` keep the larger of the pair.
#define LAYER(v, swap, high) \
    do { \
        __m512d t_ = swap(v); \
        v = _mm512_mask_blend_pd(high, _mm512_min_pd(v, t_), _mm512_max_pd(v, t_)); \
    } while (0)

// Sorts the 8 lanes (a bitonic network of 6 layers).
AVX512 ALWAYS __m512d sort8(__m512d v) {
    LAYER(v, swap1, 0x66);
    LAYER(v, swap2, 0x3C);
    LAYER(v, swap1, 0x5A);
    LAYER(v, swap4, 0xF0);
    LAYER(v, swap2, 0xCC);
    LAYER(v, swap1, 0xAA);
    return v;
}

// Sorts a bitonic register (the last 3 layers).
AVX512 ALWAYS __m512d clean8(__m512d v) {
    LAYER(v, swap4, 0xF0);
    LAYER(v, swap2, 0xCC);
    LAYER(v, swap1, 0xAA);
    return v;
}

// Merges the sorted runs c[0..<r) and c[r..<2r) (ascending in lane and register order): the second
// reversed makes the whole bitonic, then half-cleaners across registers and inside them.
AVX512 ALWAYS void merge_runs(__m512d *c, int r) {
    UNROLL
    for (int i = 0; i < r / 2; i++) {
        __m512d t = c[r + i];
        c[r + i] = reverse8(c[2 * r - 1 - i]);
        c[2 * r - 1 - i] = reverse8(t);
    }
    if (r == 1) c[1] = reverse8(c[1]);
    UNROLL
    for (int s = r; s >= 1; s /= 2)
        UNROLL
        for (int b = 0; b < 2 * r; b += 2 * s)
            UNROLL
            for (int i = b; i < b + s; i++) {
                __m512d lo = _mm512_min_pd(c[i], c[i + s]), hi = _mm512_max_pd(c[i], c[i + s]);
                c[i] = lo;
                c[i + s] = hi;
            }
    UNROLL
    for (int i = 0; i < 2 * r; i++) c[i] = clean8(c[i]);
}

// Sorts `count` registers (a power of two up to 16) as one run of 8 * count values.
AVX512 ALWAYS void sort_registers(__m512d *c, int count) {
    UNROLL
    for (int i = 0; i < count; i++) c[i] = sort8(c[i]);
    UNROLL
    for (int run = 1; run < count; run *= 2)
        UNROLL
        for (int b = 0; b < count; b += 2 * run) merge_runs(c + b, run);
}

// Sorts n <= 128 values: loaded into registers padded with +inf (the values are finite), sorted, stored.
AVX512 static void sort_small(double *a, size_t n) {
    __m512d c[16];
    int count = n <= 8 ? 1 : n <= 16 ? 2 : n <= 32 ? 4 : n <= 64 ? 8 : 16;
    const __m512d inf = _mm512_set1_pd(INFINITY);
    for (int i = 0; i < count; i++) {
        size_t left = n > 8 * (size_t)i ? n - 8 * (size_t)i : 0;
        __mmask8 m = left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1);
        c[i] = _mm512_mask_loadu_pd(inf, m, a + 8 * i);
    }
    switch (count) {
    case 1: sort_registers(c, 1); break;
    case 2: sort_registers(c, 2); break;
    case 4: sort_registers(c, 4); break;
    case 8: sort_registers(c, 8); break;
    default: sort_registers(c, 16); break;
    }
    for (int i = 0; i < count; i++) {
        size_t left = n > 8 * (size_t)i ? n - 8 * (size_t)i : 0;
        __mmask8 m = left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1);
        _mm512_mask_storeu_pd(a + 8 * i, m, c[i]);
    }
}

// Moves the values below the pivot (at most it, with `or_equal`) to the front, the others after them,
// through lo and hi (n + 8 values each); returns how many are in front.
AVX512 static size_t partition(double *a, size_t n, double pivot, int or_equal, double *lo, double *hi) {
    const __m512d p = _mm512_set1_pd(pivot);
    size_t nl = 0, nh = 0;
    for (size_t i = 0; i < n; i += 8) {
        __mmask8 valid = n - i >= 8 ? 0xFF : (__mmask8)((1u << (n - i)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(valid, a + i);
        __mmask8 below = or_equal ? _mm512_mask_cmp_pd_mask(valid, v, p, _CMP_LE_OQ) : _mm512_mask_cmp_pd_mask(valid, v, p, _CMP_LT_OQ);
        __mmask8 above = valid & (__mmask8)~below;
        // Compressed in a register and stored whole (a compressing store is slow on some CPUs).
        _mm512_storeu_pd(lo + nl, _mm512_maskz_compress_pd(below, v));
        _mm512_storeu_pd(hi + nh, _mm512_maskz_compress_pd(above, v));
        nl += (size_t)__builtin_popcount(below);
        nh += (size_t)__builtin_popcount(above);
    }
    memcpy(a, lo, nl * sizeof *a);
    memcpy(a + nl, hi, nh * sizeof *a);
    return nl;
}

AVX512 static void sort_avx512(double *a, size_t n, double *lo, double *hi) {
    while (n > 128) {
        // The pivot: the upper median of 8 values spread over the range.
        __m512d s = _mm512_set_pd(a[n - 1], a[n * 6 / 7], a[n * 5 / 7], a[n * 4 / 7], a[n * 3 / 7], a[n * 2 / 7], a[n / 7], a[0]);
        double sample[8];
        _mm512_storeu_pd(sample, sort8(s));
        double pivot = sample[4];
        size_t below = partition(a, n, pivot, 0, lo, hi);
        if (below == 0) {
            // The pivot is the smallest value: those equal to it are done.
            below = partition(a, n, pivot, 1, lo, hi);
            a += below;
            n -= below;
            continue;
        }
        // Recurse into the smaller side, loop on the larger (the pivot is a value, so both shrink).
        if (below < n - below) {
            sort_avx512(a, below, lo, hi);
            a += below;
            n -= below;
        } else {
            sort_avx512(a + below, n - below, lo, hi);
            n = below;
        }
    }
    sort_small(a, n);
}

// Merges the sorted a[0..<na) and b[0..<nb), eight at a time: the next eight of the run whose next
// value is smaller go through a bitonic merge with the eight largest so far, whose smaller half is
// the next output. Runs are read in blocks of eight padded with +inf (the values are finite). Not
// stable: equal values must be equal bits. Two such merges run side by side (see merge_avx512).
typedef struct {
    const double *a, *b;
    size_t na, nb, ia, ib, o;
    double *out;  // room for na + nb + 16
    __m512d top;  // the eight largest so far
} merge_state;

#define MERGE_BLOCK(src, n, i) \
    _mm512_mask_loadu_pd(_mm512_set1_pd(INFINITY), (n) - (i) >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << ((n) - (i))) - 1), (src) + (i))

AVX512 ALWAYS void merge_start(merge_state *s) {
    __m512d c[2] = {MERGE_BLOCK(s->a, s->na, 0), MERGE_BLOCK(s->b, s->nb, 0)};
    s->ia = s->na < 8 ? s->na : 8;
    s->ib = s->nb < 8 ? s->nb : 8;
    merge_runs(c, 1);
    _mm512_storeu_pd(s->out, c[0]);
    s->o = 8;
    s->top = c[1];
}

// The next eight; 0 once both runs are done (the last eight then stored).
AVX512 ALWAYS int merge_step(merge_state *s) {
    __m512d c[2];
    if (s->ia >= s->na && s->ib >= s->nb) {
        _mm512_storeu_pd(s->out + s->o, s->top);
        return 0;
    }
    if (s->ib >= s->nb || (s->ia < s->na && s->a[s->ia] <= s->b[s->ib])) {
        c[0] = MERGE_BLOCK(s->a, s->na, s->ia);
        s->ia += s->na - s->ia < 8 ? s->na - s->ia : 8;
    } else {
        c[0] = MERGE_BLOCK(s->b, s->nb, s->ib);
        s->ib += s->nb - s->ib < 8 ? s->nb - s->ib : 8;
    }
    c[1] = s->top;
    merge_runs(c, 1);
    _mm512_storeu_pd(s->out + s->o, c[0]);
    s->o += 8;
    s->top = c[1];
    return 1;
}

// Merges a[0..<na) and b[0..<nb) into out as two merges side by side, whose networks' latencies then
// overlap (about 1.4 times as fast as one): the output is split in half where the merge path crosses
// it (i of a and j of b, i + j = half, a[i - 1] <= b[j] and b[j - 1] < a[i]), and each half merged
// into its own scratch (out1, out2: room for half + 16 and na + nb - half + 16) before it is copied.
AVX512 static void merge_avx512(const double *a, size_t na, const double *b, size_t nb, double *out, double *out1, double *out2) {
    size_t half = (na + nb) / 2;
    size_t lo = half > nb ? half - nb : 0, hi = half < na ? half : na;
    while (lo < hi) {
        size_t i = lo + (hi - lo) / 2, j = half - i;  // i < na and j >= 1 here
        if (a[i] <= b[j - 1]) lo = i + 1; else hi = i;
    }
    merge_state s1 = {a, b, lo, half - lo, 0, 0, 0, out1, _mm512_setzero_pd()};
    merge_state s2 = {a + lo, b + (half - lo), na - lo, nb - (half - lo), 0, 0, 0, out2, _mm512_setzero_pd()};
    merge_start(&s1);
    merge_start(&s2);
    int more1 = 1, more2 = 1;
    while (more1 | more2) {
        if (more1) more1 = merge_step(&s1);
        if (more2) more2 = merge_step(&s2);
    }
    memcpy(out, out1, half * sizeof *out);
    memcpy(out + half, out2, (na + nb - half) * sizeof *out);
}
#undef MERGE_BLOCK
#endif

static int has_negative_zero(const double *a, size_t n) {
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &a[i], 8);
        found |= bits == 0x8000000000000000ull;
    }
    return found;
}

void mlops_sort_doubles(int isa, double *a, size_t n) {
    size_t sorted = 1;
    while (sorted < n && a[sorted - 1] <= a[sorted]) sorted++;
    if (sorted >= n) return;
#if defined(__x86_64__)
    if (pick_isa(isa) >= 2 && !has_negative_zero(a, n)) {
        double small_lo[1032], small_hi[1032];
        double *lo = n <= 1024 ? small_lo : malloc((n + 8) * sizeof *lo), *hi = n <= 1024 ? small_hi : malloc((n + 8) * sizeof *hi);
        if (!lo || !hi) abort();
        sort_avx512(a, n, lo, hi);
        if (lo != small_lo) {
            free(lo);
            free(hi);
        }
        return;
    }
#endif
    (void)isa;
    sort_portable(a, n);
}

// ---- KLL compaction ---------------------------------------------------------------------------

void mlops_kll_merge_half(int isa, double *dst, size_t old, const double *src, size_t count, int coin, size_t promote) {
    if (promote == 0) return;
    size_t first = (count & 1) + (size_t)coin, total = old + promote;
    double small[2048];
    double *tmp = 2 * total + 48 <= 2048 ? small : malloc((2 * total + 48) * sizeof *tmp);
    if (!tmp) abort();
    double *b = tmp;
    for (size_t j = 0; j < promote; j++) b[j] = src[first + 2 * j];
#if defined(__x86_64__)
    // Without -0.0 (equal to 0.0, other bits), equal values are equal bits: any merge order gives
    // the bits of the stable merge.
    if (pick_isa(isa) >= 2 && !has_negative_zero(dst, old) && !has_negative_zero(b, promote)) {
        double *out1 = tmp + promote, *out2 = out1 + total / 2 + 16;  // room for total - total / 2 + 16 after
        merge_avx512(dst, old, b, promote, dst, out1, out2);
        if (tmp != small) free(tmp);
        return;
    }
#endif
    (void)isa;
    // The stable merge (old items first among equals), from the back, in place.
    ptrdiff_t i = (ptrdiff_t)old - 1, j = (ptrdiff_t)promote - 1, o = (ptrdiff_t)total - 1;
    while (j >= 0 && i >= 0) {
        double x = dst[i], y = b[j];
        int take_old = x > y;
        dst[o--] = take_old ? x : y;
        i -= take_old;
        j -= !take_old;
    }
    while (j >= 0) dst[o--] = b[j--];
    if (tmp != small) free(tmp);
}

// ---- the CSV scan -----------------------------------------------------------------------------

typedef struct {
    const uint8_t *p;
    size_t columns, max, records;
    size_t field;     // fields of the current record so far
    size_t start;     // where the current record starts
    uint32_t *row;    // its ends
    uint32_t *limit;  // the end of the caller's ends
} scan_state;

// Takes the structural bytes of one piece of 64 at `base` (separators s, newlines l, quotes q, one
// bit per byte). Returns 1 when the scan stops.
static inline __attribute__((always_inline)) int take_bits(scan_state *st, size_t base, uint64_t s, uint64_t l, uint64_t q) {
    uint64_t bits = s | l | q;
    while (bits) {
        unsigned b = (unsigned)__builtin_ctzll(bits);
        uint64_t bit = bits & -bits;
        bits ^= bit;
        size_t pos = base + b;
        if (s & bit) {
            if (st->field + 1 >= st->columns) return 1;  // too many fields
            st->row[st->field++] = (uint32_t)pos;
        } else if (l & bit) {
            // Too few fields, or a blank line (LF or CRLF).
            if (st->field + 1 != st->columns || pos == st->start || (pos == st->start + 1 && st->p[st->start] == '\r')) return 1;
            st->row[st->field] = (uint32_t)pos;
            st->field = 0;
            st->row += st->columns;
            st->start = pos + 1;
            if (++st->records == st->max) return 1;
        } else {
            return 1;  // a quote: quoted fields and bad quotes are parsed elsewhere
        }
    }
    return 0;
}

// take_bits for the usual piece of 64 (no quote, several columns, room for 64 more ends): writes
// the offset of every separator and newline in order (which is the layout of ends when the records
// are right: columns - 1 separators, then a newline), then checks each newline's place in that
// order. Equivalent to take_bits: a record that has another number of fields stops the scan before
// it (a blank line has no fields before its newline, so it stops too), as take_bits does.
static inline __attribute__((always_inline)) int take(scan_state *st, size_t base, uint64_t s, uint64_t l, uint64_t q) {
    uint64_t bits = s | l;
    if (q != 0 || st->columns < 2 || st->row + st->field + 64 > st->limit) return take_bits(st, base, s, l, q);
    uint32_t *out = st->row + st->field;
    size_t count = (size_t)__builtin_popcountll(bits);
    uint64_t b = bits;
    // Eight at a time, unconditionally (the ends past `count` are overwritten or unused).
    for (size_t i = 0; i < count; i += 8) {
        for (int j = 0; j < 8; j++) {
            out[i + (size_t)j] = (uint32_t)(base + (size_t)__builtin_ctzll(b | (1ull << 63)));
            b &= b - 1;
        }
    }
    size_t used = 0;  // bits of this piece in records taken
    while (l) {
        uint64_t bit = l & -l;
        l ^= bit;
        size_t at = (size_t)__builtin_popcountll(bits & (bit - 1));  // this newline's place among the bits
        if (st->field + (at - used) + 1 != st->columns) return 1;    // too few or too many fields
        size_t pos = base + (size_t)__builtin_ctzll(bit);
        st->field = 0;
        st->row += st->columns;
        st->start = pos + 1;
        used = at + 1;
        if (++st->records == st->max) return 1;
    }
    st->field += count - used;
    return st->field + 1 > st->columns;  // too many fields already
}

static inline void masks_portable(const uint8_t *p, size_t len, uint8_t sep, uint64_t *s, uint64_t *l, uint64_t *q) {
    uint64_t a = 0, b = 0, c = 0;
    for (size_t k = 0; k < len; k++) {
        a |= (uint64_t)(p[k] == sep) << k;
        b |= (uint64_t)(p[k] == '\n') << k;
        c |= (uint64_t)(p[k] == '"') << k;
    }
    *s = a, *l = b, *q = c;
}

// Each returns 1 when the scan stopped; *base is the piece of 64 it reached.
static int scan_portable(scan_state *st, size_t n, uint8_t sep, size_t *base) {
    for (; *base + 64 <= n; *base += 64) {
        uint64_t s, l, q;
        masks_portable(st->p + *base, 64, sep, &s, &l, &q);
        if (take(st, *base, s, l, q)) return 1;
    }
    return 0;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static int scan_avx2(scan_state *st, size_t n, uint8_t sep, size_t *base) {
    const __m256i vs = _mm256_set1_epi8((char)sep), vl = _mm256_set1_epi8('\n'), vq = _mm256_set1_epi8('"');
    for (; *base + 64 <= n; *base += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(st->p + *base));
        __m256i b = _mm256_loadu_si256((const __m256i *)(st->p + *base + 32));
#define MASK64(v) ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, v)) | \
                   (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, v)) << 32)
        if (take(st, *base, MASK64(vs), MASK64(vl), MASK64(vq))) return 1;
#undef MASK64
    }
    return 0;
}

__attribute__((target("avx512f,avx512bw"))) static int scan_avx512(scan_state *st, size_t n, uint8_t sep, size_t *base) {
    const __m512i vs = _mm512_set1_epi8((char)sep), vl = _mm512_set1_epi8('\n'), vq = _mm512_set1_epi8('"');
    for (; *base + 64 <= n; *base += 64) {
        __m512i v = _mm512_loadu_si512((const void *)(st->p + *base));
        if (take(st, *base, _mm512_cmpeq_epi8_mask(v, vs), _mm512_cmpeq_epi8_mask(v, vl), _mm512_cmpeq_epi8_mask(v, vq))) return 1;
    }
    return 0;
}
#endif


size_t mlops_csv_scan(int isa, const uint8_t *p, size_t n, int at_end, uint8_t separator, size_t columns,
                      uint32_t *ends, size_t max_records, size_t *used) {
    scan_state st = {p, columns, max_records, 0, 0, 0, ends, ends + columns * max_records};
    *used = 0;
    if (columns == 0 || max_records == 0 || n == 0 || n > UINT32_MAX) return 0;
    isa = pick_isa(isa);
    size_t base = 0;
    int stopped;
#if defined(__x86_64__)
    if (isa >= 2) stopped = scan_avx512(&st, n, separator, &base);
    else if (isa == 1) stopped = scan_avx2(&st, n, separator, &base);
    else
#endif
        stopped = scan_portable(&st, n, separator, &base);
    if (!stopped && base < n) {
        uint64_t s, l, q;
        masks_portable(p + base, n - base, separator, &s, &l, &q);
        stopped = take_bits(&st, base, s, l, q);
    }
    // A last record without a newline, at the end of the data.
    if (!stopped && at_end && st.start < n && st.field + 1 == columns) {
        st.row[st.field] = (uint32_t)n;
        st.records++;
        st.start = n;
    }
    *used = st.start;
    return st.records;
}

// ---- one column of scanned records ------------------------------------------------------------

// What classify and value_hash gave for one value of at most 16 bytes (zero-padded into w0, w1;
// n1 = its length + 1, 0 for an empty entry). Columns of few distinct values (categories, flags,
// small counts) repeat the same few texts, whose results are then looked up instead of computed
// again: the same bytes give the same results, so this changes nothing but the time.
typedef struct {
    uint64_t w0, w1;
    uint64_t hash;
    double num;
    int64_t iv;
    uint32_t n1;
    uint8_t kind;
} memo_entry;

// 2^MEMO_BITS entries in sets of two (the key's set, then the one beside it), kept by the caller
// from call to call; when it gives none, 2^MEMO_BITS_LOCAL for the one call.
#define MEMO_BITS 10
#define MEMO_BITS_LOCAL 6
// The memo is tried on the first MEMO_PROBE values of a call and kept only if at least half of
// them were found in it (a column of many distinct values then costs nothing more).
#define MEMO_PROBE 128

size_t mlops_column_memo_size(void) { return sizeof(memo_entry) << MEMO_BITS; }

// The bytes v[0..<n) (n <= 16; 16 bytes readable at v) zero-padded into two words.
static inline void memo_key(const uint8_t *v, size_t n, uint64_t *w0, uint64_t *w1) {
    uint64_t a = load64(v), b = load64(v + 8);
    *w0 = n >= 8 ? a : a & ((1ull << (8 * n)) - 1);
    *w1 = n >= 16 ? b : n <= 8 ? 0 : b & ((1ull << (8 * (n - 8))) - 1);
}

// Moments.add (Profiling, Sketches.swift) in C, the same operations in the same order: values are
// summed in batches of 64 as deviations from the batch's first value, each batch folded in with
// Chan's formula.
static inline void moments_fold(mlops_moments *m) {
    if (m->batch_n > 0) {
        double nb = (double)m->batch_n;
        double bmean = m->shift + m->s1 / nb, bm2 = m->s2 - m->s1 * m->s1 / nb;
        bm2 = 0.0 >= bm2 ? 0.0 : bm2;  // Swift.max(bm2, 0)
        if (m->folded_n == 0) {
            m->folded_mean = bmean;
            m->folded_m2 = bm2;
        } else {
            double d = bmean - m->folded_mean;
            double na = (double)m->folded_n, nt = (double)(m->folded_n + m->batch_n);
            m->folded_mean = m->folded_mean + d * nb / nt;
            m->folded_m2 = m->folded_m2 + bm2 + d * d * na * nb / nt;
        }
        m->folded_n += m->batch_n;
    }
    m->batch_n = 0;
    m->s1 = 0;
    m->s2 = 0;
}

static inline __attribute__((always_inline)) void moments_add(mlops_moments *m, double x) {
    if (m->batch_n == 0) m->shift = x;
    double d = x - m->shift;
    m->s1 += d;
    m->s2 += d * d;
    m->batch_n++;
    if (x < m->min) m->min = x;
    if (x > m->max) m->max = x;
    if (m->batch_n == 64) moments_fold(m);
}

void mlops_moments_add(mlops_moments *m, const double *x, size_t n) {
    for (size_t i = 0; i < n; i++) moments_add(m, x[i]);
}

static inline __attribute__((always_inline)) void hll_update(uint8_t *registers, int precision, uint64_t h) {
    uint64_t w = h << precision;
    size_t index = (size_t)(h >> (64 - precision));
    uint8_t rank = w == 0 ? (uint8_t)(64 - precision + 1) : (uint8_t)(__builtin_clzll(w) + 1);
    if (registers[index] < rank) registers[index] = rank;
}

// ---- eight numbers at a time ------------------------------------------------------------------
//
// For columns of many distinct numbers (ids, timestamps, measurements), the usual values are
// `-`? then 1...16 digits, or digits, a point and digits (at most 15 digits in all): what
// classify_wide reads on its fast path. numbers8 reads eight such values at once in AVX-512 lanes:
// the same integers, the same correctly rounded quotients (IEEE division and int64-to-double
// conversion round the same in every lane as in scalar code), the same value hashes (the text's
// zero-padded words). A group with any other value is left to the scalar loop.

typedef struct {
    uint32_t index[8];  // HyperLogLog register and rank of each value's hash
    uint8_t rank[8];
    int64_t int_min, int_max;  // of the ints among them
    uint8_t is_int;  // lane bits
} group8;

#if defined(__x86_64__)
#define AVX512N __attribute__((target("avx512f,avx512bw,avx512dq,avx512cd,avx512vl")))

static int numbers8_supported(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
                 && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vl");
    }
    return cached;
}

// Per 64-bit lane: the high bit of each byte that is not an ASCII digit (nondigits() above).
AVX512N static inline __m512i nondigits8(__m512i w) {
    __m512i x = _mm512_xor_si512(w, _mm512_set1_epi64(0x3030303030303030ll));
    __m512i y = _mm512_or_si512(_mm512_add_epi64(x, _mm512_set1_epi64(0x7676767676767676ll)), x);
    return _mm512_and_si512(y, _mm512_set1_epi64((long long)0x8080808080808080ull));
}

// Per lane: trailing zero bits of x, 64 when x is 0.
AVX512N static inline __m512i tz8(__m512i x) {
    __m512i low = _mm512_and_si512(x, _mm512_sub_epi64(_mm512_setzero_si512(), x));
    __m512i lz = _mm512_lzcnt_epi64(low);  // 64 for 0
    __mmask8 zero = _mm512_cmpeq_epi64_mask(x, _mm512_setzero_si512());
    return _mm512_mask_blend_epi64(zero, _mm512_sub_epi64(_mm512_set1_epi64(63), lz), _mm512_set1_epi64(64));
}

// Per lane: the first len (0...8) digits of w as a number (eight_digits above; 0 for len 0): the
// digits moved to the lane's top (zeros before them), then pairs, fours and the eight summed with
// byte, word and dword multiplies (each sum fits its field).
AVX512N static inline __m512i eight_digits8(__m512i w, __m512i len) {
    __m512i v = _mm512_sllv_epi64(w, _mm512_slli_epi64(_mm512_sub_epi64(_mm512_set1_epi64(8), len), 3));
    v = _mm512_and_si512(_mm512_set1_epi64(0x0F0F0F0F0F0F0F0Fll), v);
    v = _mm512_maddubs_epi16(v, _mm512_set1_epi16(0x010A));     // 10 a + b per byte pair
    v = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00010064));     // 100 ab + cd per pair of those
    __m512i hi = _mm512_mul_epu32(v, _mm512_set1_epi64(10000));  // the lane's low dword: its first four digits
    return _mm512_add_epi64(hi, _mm512_srli_epi64(v, 32));
}

// Per lane: 10^e for e in 0...15.
AVX512N static inline __m512i pow10_8(__m512i e) {
    const __m512i lo = _mm512_loadu_si512((const void *)pow10_u64), hi = _mm512_loadu_si512((const void *)(pow10_u64 + 8));
    return _mm512_permutex2var_epi64(lo, e, hi);
}

// Per lane: the first len (0...16) digits of the 16 bytes w0, w1 (digits_value above).
AVX512N static inline __m512i digits_value8(__m512i w0, __m512i w1, __m512i len) {
    const __m512i eight = _mm512_set1_epi64(8);
    __m512i first = _mm512_min_epu64(len, eight), rest = _mm512_subs_epu16(len, eight);  // len - 8, at least 0
    __m512i hi = eight_digits8(w0, first), lo = eight_digits8(w1, rest);
    // hi < 10^8 and 10^rest <= 10^8 both fit 32 bits.
    return _mm512_add_epi64(_mm512_mul_epu32(hi, pow10_8(rest)), lo);
}

// Per lane: w with only its first len bytes (0...8; more keeps all).
AVX512N static inline __m512i keep_bytes8(__m512i w, __m512i len) {
    // (all ones) >> (64 - 8 len) keeps len bytes; a shift count of 64 or more gives 0 in a lane.
    __m512i shift = _mm512_sub_epi64(_mm512_set1_epi64(64), _mm512_slli_epi64(_mm512_min_epu64(len, _mm512_set1_epi64(8)), 3));
    return _mm512_and_si512(w, _mm512_srlv_epi64(_mm512_set1_epi64(-1), shift));
}

AVX512N static inline __m512i hash_round8(__m512i h, __m512i w) {
    __m512i x = _mm512_xor_si512(h, _mm512_mullo_epi64(w, _mm512_set1_epi64((long long)0x87C37B91114253D5ull)));
    return _mm512_mullo_epi64(_mm512_rol_epi64(x, 29), _mm512_set1_epi64(0x4CF5AD432745937Fll));
}

AVX512N static inline __m512i xorshift33(__m512i h) { return _mm512_xor_si512(h, _mm512_srli_epi64(h, 33)); }

// Reads values r ..< r + 8 of the column when each is a plain number as above (at least 40 bytes
// readable from each value's start); returns 0, changing nothing, when one is not.
AVX512N static int numbers8(const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t r,
                            int last, int precision, double *nums, group8 *out) {
    // The values' lengths and first 24 bytes, gathered by scalar loads (AVX-512 gathers are slow
    // on some CPUs) into arrays that are then read as vectors.
    int64_t len[8];
    uint64_t A0[8], A1[8], A2[8];
    for (int i = 0; i < 8; i++) {
        size_t k = (r + (size_t)i) * columns + column;
        uint32_t s0 = k == 0 ? 0 : ends[k - 1] + 1, e0 = ends[k];
        if ((size_t)s0 + 40 > size) return 0;
        if (last && e0 > s0 && p[e0 - 1] == '\r') e0--;
        len[i] = (int64_t)e0 - s0;
        A0[i] = load64(p + s0);
        A1[i] = load64(p + s0 + 8);
        A2[i] = load64(p + s0 + 16);
    }
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(1), eight = _mm512_set1_epi64(8);
    __m512i n = _mm512_loadu_si512((const void *)len);
    __m512i a0 = _mm512_loadu_si512((const void *)A0);
    __m512i a1 = _mm512_loadu_si512((const void *)A1);
    __m512i a2 = _mm512_loadu_si512((const void *)A2);
    // A sign is a first byte '-' (an empty value's first byte is the separator or line end).
    __mmask8 negative = _mm512_cmpeq_epi64_mask(_mm512_and_si512(a0, _mm512_set1_epi64(0xFF)), _mm512_set1_epi64('-'));
    __m512i sg = _mm512_maskz_mov_epi64(negative, one);
    __m512i m = _mm512_sub_epi64(n, sg);
    // 1 <= m <= 16 in every lane (n >= 1 follows).
    __mmask8 ok = _mm512_cmpge_epi64_mask(m, one) & _mm512_cmple_epi64_mask(m, _mm512_set1_epi64(16));
    if (ok != 0xFF) return 0;
    __m512i sb = _mm512_slli_epi64(sg, 3), sr = _mm512_sub_epi64(_mm512_set1_epi64(64), sb);
    __m512i w0 = _mm512_or_si512(_mm512_srlv_epi64(a0, sb), _mm512_sllv_epi64(a1, sr));
    __m512i w1 = _mm512_or_si512(_mm512_srlv_epi64(a1, sb), _mm512_sllv_epi64(a2, sr));
    // k = the first byte that is not a digit, 16 when all are.
    __m512i t0 = tz8(nondigits8(w0)), t1 = tz8(nondigits8(w1));
    __m512i k = _mm512_srli_epi64(t0, 3);
    __mmask8 in_w1 = _mm512_cmpeq_epi64_mask(t0, _mm512_set1_epi64(64));
    k = _mm512_mask_mov_epi64(k, in_w1, _mm512_min_epu64(_mm512_add_epi64(eight, _mm512_srli_epi64(t1, 3)), _mm512_set1_epi64(16)));
    __mmask8 is_int = _mm512_cmpge_epi64_mask(k, m);
    __m512i mantissa, vnum, viv = zero;
    __m512i fd = zero;
    if (is_int == 0xFF) {
        mantissa = digits_value8(w0, w1, m);
    } else {
        // The others must be digits '.' digits: the byte at k is '.', m >= 2, and the m - k - 1 bytes
        // after it are digits.
        __m512i kb = _mm512_slli_epi64(_mm512_and_si512(k, _mm512_set1_epi64(7)), 3);
        __mmask8 k_in_w1 = _mm512_cmpge_epi64_mask(k, eight);
        __m512i word = _mm512_mask_mov_epi64(w0, k_in_w1, w1);
        __m512i at_k = _mm512_and_si512(_mm512_srlv_epi64(word, kb), _mm512_set1_epi64(0xFF));
        __mmask8 dot = _mm512_cmpeq_epi64_mask(at_k, _mm512_set1_epi64('.')) & _mm512_cmpge_epi64_mask(m, _mm512_set1_epi64(2));
        if ((dot | is_int) != 0xFF) return 0;
        // Their digits without the point (the bytes after it moved down one) are one number of
        // m - 1 digits, the mantissa; fd of them are the fraction's.
        const __m512i ones = _mm512_set1_epi64(-1);
        __mmask8 low = dot & _mm512_cmplt_epi64_mask(k, eight), high = dot & ~low;
        __m512i keep0 = _mm512_srlv_epi64(ones, _mm512_sub_epi64(_mm512_set1_epi64(64), _mm512_slli_epi64(k, 3)));
        __m512i keep1 = _mm512_srlv_epi64(ones, _mm512_sub_epi64(_mm512_set1_epi64(128), _mm512_slli_epi64(k, 3)));
        __m512i c0 = _mm512_or_si512(_mm512_ternarylogic_epi64(keep0, w0, _mm512_srli_epi64(w0, 8), 0xCA), _mm512_slli_epi64(w1, 56));
        __m512i c1 = _mm512_mask_mov_epi64(w1, low, _mm512_srli_epi64(w1, 8));
        c1 = _mm512_mask_mov_epi64(c1, high, _mm512_ternarylogic_epi64(keep1, w1, _mm512_srli_epi64(w1, 8), 0xCA));
        c0 = _mm512_mask_mov_epi64(w0, low, c0);
        __m512i digits = _mm512_mask_sub_epi64(m, dot, m, one);
        fd = _mm512_maskz_sub_epi64(dot, _mm512_sub_epi64(m, k), one);
        __m512i u0 = tz8(nondigits8(c0)), u1 = tz8(nondigits8(c1));
        __m512i ck = _mm512_srli_epi64(u0, 3);
        ck = _mm512_mask_mov_epi64(ck, _mm512_cmpeq_epi64_mask(u0, _mm512_set1_epi64(64)),
                                   _mm512_min_epu64(_mm512_add_epi64(eight, _mm512_srli_epi64(u1, 3)), _mm512_set1_epi64(16)));
        if ((_mm512_cmpge_epi64_mask(ck, digits) | is_int) != 0xFF) return 0;
        mantissa = digits_value8(c0, c1, digits);
    }
    __mmask8 neg = negative;
    // Ints: the signed value, as a double too. Floats: mantissa / 10^fd, then the sign.
    viv = _mm512_mask_sub_epi64(mantissa, neg, zero, mantissa);
    __m512d as_int = _mm512_cvtepi64_pd(viv);
    const __m512d plo = _mm512_loadu_pd(pow10_exact), phi = _mm512_loadu_pd(pow10_exact + 8);
    __m512d q = _mm512_div_pd(_mm512_cvtepi64_pd(mantissa), _mm512_permutex2var_pd(plo, fd, phi));
    q = _mm512_castsi512_pd(_mm512_mask_xor_epi64(_mm512_castpd_si512(q), neg, _mm512_castpd_si512(q), _mm512_set1_epi64((long long)0x8000000000000000ull)));
    vnum = _mm512_castpd_si512(_mm512_mask_blend_pd(is_int, q, as_int));
    // The value hash of the n <= 17 bytes of text: its words zero-padded, one round each.
    __m512i h = _mm512_xor_si512(_mm512_set1_epi64((long long)0x9E3779B97F4A7C15ull), _mm512_mullo_epi64(n, _mm512_set1_epi64((long long)0xC2B2AE3D27D4EB4Full)));
    h = hash_round8(h, keep_bytes8(a0, n));
    __mmask8 second = _mm512_cmpgt_epi64_mask(n, eight), third = _mm512_cmpgt_epi64_mask(n, _mm512_set1_epi64(16));
    if (second) h = _mm512_mask_mov_epi64(h, second, hash_round8(h, keep_bytes8(a1, _mm512_sub_epi64(n, eight))));
    if (third) h = _mm512_mask_mov_epi64(h, third, hash_round8(h, keep_bytes8(a2, _mm512_sub_epi64(n, _mm512_set1_epi64(16)))));
    h = xorshift33(h);
    h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)0xFF51AFD7ED558CCDull));
    h = xorshift33(h);
    h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)0xC4CEB9FE1A85EC53ull));
    h = xorshift33(h);
    // HyperLogLog (hll_update): the register is the top `precision` bits, the rank the leading
    // zeros of the rest plus one (64 - precision + 1 when the rest is zero).
    __m512i rest = _mm512_sllv_epi64(h, _mm512_set1_epi64(precision));
    __m512i rank = _mm512_add_epi64(_mm512_min_epu64(_mm512_lzcnt_epi64(rest), _mm512_set1_epi64(64 - precision)), one);
    _mm256_storeu_si256((__m256i *)out->index, _mm512_cvtepi64_epi32(_mm512_srlv_epi64(h, _mm512_set1_epi64(64 - precision))));
    _mm_storel_epi64((__m128i *)out->rank, _mm512_cvtepi64_epi8(rank));
    _mm512_storeu_si512((void *)nums, vnum);
    out->is_int = is_int;
    if (is_int) {
        out->int_min = _mm512_mask_reduce_min_epi64(is_int, viv);
        out->int_max = _mm512_mask_reduce_max_epi64(is_int, viv);
    }
    return 1;
}
#endif

#if defined(__x86_64__)
// count_kinds 64 bytes at a time; returns how many it took.
AVX512N static size_t count_kinds_avx512(const uint8_t *kinds, size_t n, uint32_t *c) {
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i v = _mm512_loadu_si512((const void *)(kinds + i));
        for (int k = 0; k < 7; k++) c[k] += (uint32_t)__builtin_popcountll(_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)k)));
    }
    return i;
}
#endif

// The numeric kinds (int, float, bool, datetime) as bits: their values go to nums and the moments.
#define NUMERIC_KINDS ((1u << MLOPS_VALUE_INT) | (1u << MLOPS_VALUE_FLOAT) | (1u << MLOPS_VALUE_BOOL) | (1u << MLOPS_VALUE_DATETIME))

// Adds the kinds of kinds[0..<n) to *st (as the switch of column_kernel counts them).
static void count_kinds(const uint8_t *kinds, size_t n, mlops_column_stats *st) {
    uint32_t c[7] = {0};
    size_t i = 0;
#if defined(__x86_64__)
    if (numbers8_supported()) i = count_kinds_avx512(kinds, n, c);
#endif
    for (; i < n; i++) c[kinds[i] < 7 ? kinds[i] : 6]++;
    st->nulls += c[MLOPS_VALUE_NULL];
    st->ints += c[MLOPS_VALUE_INT];
    st->floats += c[MLOPS_VALUE_FLOAT] + c[MLOPS_VALUE_NONFINITE];
    st->nonfinite += c[MLOPS_VALUE_NONFINITE];
    st->bools += c[MLOPS_VALUE_BOOL];
    st->datetimes += c[MLOPS_VALUE_DATETIME];
    st->strings += c[MLOPS_VALUE_STRING];
}

// A value the memo does not hold: classified and hashed, and remembered at e (the set's first
// place, its old entry moved to the second) when e is not NULL. Kept out of line so that the loop
// of column_listed, which nearly always finds its values in the memo, stays small.
// The set of the key (w0, w1) of n bytes in a memo of 2^bits entries: its first place (the second
// is beside it).
static inline memo_entry *memo_set(memo_entry *memo, int bits, uint64_t w0, uint64_t w1, size_t n) {
    return &memo[(((w0 ^ (w1 * 0xC2B2AE3D27D4EB4Full)) + n) * 0x9E3779B97F4A7C15ull >> (64 - bits)) & ~(size_t)1];
}

// The place of set e that holds the key, or NULL.
static inline memo_entry *memo_find(memo_entry *e, uint64_t w0, uint64_t w1, size_t n) {
    if (e->n1 == n + 1 && e->w0 == w0 && e->w1 == w1) return e;
    if (e[1].n1 == n + 1 && e[1].w0 == w0 && e[1].w1 == w1) return e + 1;
    return NULL;
}

// Remembers x in set e: in the first place, the entry it displaces moved to the second.
static inline void memo_put(memo_entry *e, memo_entry x) {
    if (e->n1 != 0) e[1] = e[0];
    *e = x;
}

static __attribute__((noinline)) memo_entry memo_miss(const uint8_t *v, size_t n, int wide, memo_entry *e, uint64_t w0, uint64_t w1) {
    double num = 0;
    int64_t iv = 0;
    int kind = wide ? classify_wide(v, n, &num, &iv) : classify(v, n, &num, &iv);
    uint64_t h = kind != MLOPS_VALUE_NULL ? value_hash(v, n) : 0;
    memo_entry x = {w0, w1, h, num, iv, (uint32_t)n + 1, (uint8_t)kind};
    if (e) memo_put(e, x);
    return x;
}

// column_kernel's loop for a listed column once its memo has proved itself (most values found):
// values from..<records, the same outputs, with the kinds counted afterwards (count_kinds) so that
// the loop keeps its state in registers. Returns the numerics written.
static inline __attribute__((always_inline)) size_t column_listed(
    const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t from, size_t records,
    uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes, double *nums, size_t numerics,
    mlops_moments *mp, mlops_column_stats *st, memo_entry *memo, int memo_bits, const int with_moments) {
    mlops_moments m;
    if (with_moments) m = *mp;
    int64_t lo = st->int_min, hi = st->int_max;
    const int last = column + 1 == columns;
    for (size_t r = from; r < records; r++) {
        size_t k = r * columns + column;  // >= 1: `from` is past the first record
        uint32_t start = ends[k - 1] + 1, end = ends[k];
        if (last && end > start && p[end - 1] == '\r') end--;
        size_t n = end - start;
        const uint8_t *v = p + start;
        starts[r] = start;
        lengths[r] = (uint32_t)n;
        memo_entry x;
        int wide = start + 40 <= size;
        if (wide && n <= 16) {
            uint64_t w0, w1;
            memo_key(v, n, &w0, &w1);
            memo_entry *e = memo_set(memo, memo_bits, w0, w1, n), *f = memo_find(e, w0, w1, n);
            x = f ? *f : memo_miss(v, n, wide, e, w0, w1);
        } else {
            x = memo_miss(v, n, wide, NULL, 0, 0);
        }
        kinds[r] = x.kind;
        hashes[r] = x.hash;
        if (x.kind == MLOPS_VALUE_INT) {
            lo = x.iv < lo ? x.iv : lo;
            hi = x.iv > hi ? x.iv : hi;
        }
        if (NUMERIC_KINDS >> x.kind & 1) {
            nums[numerics++] = x.num;
            if (with_moments) moments_add(&m, x.num);
        }
    }
    if (with_moments) *mp = m;
    st->int_min = lo;
    st->int_max = hi;
    count_kinds(kinds + from, records - from, st);
    return numerics;
}

// The body of mlops_csv_column_fused, specialised (by the constants `with_moments`, `with_hll`) so
// that the per-value loop has no tests of what the caller asked for.
static inline __attribute__((always_inline)) void column_kernel(
    const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t records,
    uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes, double *nums, mlops_column_stats *stats,
    mlops_moments *moments, uint8_t *registers, int precision, int isa, void *memo_given, const int with_moments, const int with_hll) {
    mlops_column_stats st = {0};
    st.int_min = INT64_MAX;
    st.int_max = INT64_MIN;
    mlops_moments m;
    if (with_moments) m = *moments;
    int last = column + 1 == columns;
    memo_entry *memo = memo_given, local[1 << MEMO_BITS_LOCAL];
    const int memo_bits = memo_given ? MEMO_BITS : MEMO_BITS_LOCAL;
    if (!memo_given) {
        memset(local, 0, sizeof local);
        memo = local;
    }
    // A column whose category table only counts has many distinct values: no memo.
    int use_memo = !with_hll;
    size_t tried = 0, found = 0;
#if defined(__x86_64__)
    int vector = with_hll && isa >= 2 && numbers8_supported();
    // Groups of eight where numbers8 reads every value (no memo: these are columns of many values).
    size_t group_end = 0;
#else
    (void)isa;
#endif
    for (size_t r = 0; r < records; r++) {
        if (!with_hll && use_memo && tried == MEMO_PROBE) {
            st.numerics = (int64_t)column_listed(p, size, ends, columns, column, r, records, starts, lengths, kinds, hashes, nums,
                                                 (size_t)st.numerics, &m, &st, memo, memo_bits, with_moments);
            break;
        }
#if defined(__x86_64__)
        if (vector && !use_memo && r >= group_end && r + 8 <= records) {
            group8 g;
            if (numbers8(p, size, ends, columns, column, r, last, precision, nums + st.numerics, &g)) {
                for (int i = 0; i < 8; i++) {
                    if (registers[g.index[i]] < g.rank[i]) registers[g.index[i]] = g.rank[i];
                }
                if (g.is_int) {
                    int ints = __builtin_popcount(g.is_int);
                    st.ints += ints;
                    st.floats += 8 - ints;
                    if (g.int_min < st.int_min) st.int_min = g.int_min;
                    if (g.int_max > st.int_max) st.int_max = g.int_max;
                } else {
                    st.floats += 8;
                }
                if (with_moments) {
                    for (int i = 0; i < 8; i++) moments_add(&m, nums[st.numerics + (size_t)i]);
                }
                st.numerics += 8;
                r += 7;
                continue;
            }
            group_end = r + 8;  // these eight one at a time
        }
#endif
        size_t k = r * columns + column;
        uint32_t start = k == 0 ? 0 : ends[k - 1] + 1, end = ends[k];
        if (last && end > start && p[end - 1] == '\r') end--;
        const uint8_t *v = p + start;
        size_t n = end - start;
        if (!with_hll) {
            starts[r] = start;
            lengths[r] = (uint32_t)n;
        }
        double num = 0;
        int64_t iv = 0;
        int kind = -1;
        uint64_t h = 0;
        int wide = start + 40 <= size;
        memo_entry *e = NULL;
        uint64_t w0 = 0, w1 = 0;
        if (wide && use_memo && n <= 16) {
            memo_key(v, n, &w0, &w1);
            e = memo_set(memo, memo_bits, w0, w1, n);
            memo_entry *f = memo_find(e, w0, w1, n);
            if (f) {
                kind = f->kind, num = f->num, iv = f->iv, h = f->hash;
                found++;
            }
            if (++tried == MEMO_PROBE && 2 * found < tried) use_memo = 0;
        }
        if (kind < 0) {
            kind = wide ? classify_wide(v, n, &num, &iv) : classify(v, n, &num, &iv);
            if (kind != MLOPS_VALUE_NULL) h = value_hash(v, n);
            if (e) memo_put(e, (memo_entry){w0, w1, h, num, iv, (uint32_t)n + 1, (uint8_t)kind});
        }
        if (!with_hll) kinds[r] = (uint8_t)kind;
        if (kind == MLOPS_VALUE_NULL) {
            st.nulls++;
            continue;
        }
        if (with_hll) hll_update(registers, precision, h);
        else hashes[r] = h;
        switch (kind) {
        case MLOPS_VALUE_INT:
            st.ints++;
            if (iv < st.int_min) st.int_min = iv;
            if (iv > st.int_max) st.int_max = iv;
            break;
        case MLOPS_VALUE_FLOAT: st.floats++; break;
        case MLOPS_VALUE_NONFINITE: st.floats++; st.nonfinite++; continue;
        case MLOPS_VALUE_BOOL: st.bools++; break;
        case MLOPS_VALUE_DATETIME: st.datetimes++; break;
        default: st.strings++; continue;
        }
        nums[st.numerics++] = num;
        if (with_moments) moments_add(&m, num);
    }
    if (with_moments) *moments = m;
    *stats = st;
}

#define COLUMN_ARGS isa, p, size, ends, columns, column, records, starts, lengths, kinds, hashes, nums, stats, moments, registers, precision, memo
#define COLUMN_PARAMS int isa, const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t records, \
    uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes, double *nums, mlops_column_stats *stats, \
    mlops_moments *moments, uint8_t *registers, int precision, void *memo

#define KERNEL_ARGS p, size, ends, columns, column, records, starts, lengths, kinds, hashes, nums, stats, moments, registers, precision, isa, memo
static void column_plain(COLUMN_PARAMS) { column_kernel(KERNEL_ARGS, 0, 0); }
static void column_moments(COLUMN_PARAMS) { column_kernel(KERNEL_ARGS, 1, 0); }
static void column_hll(COLUMN_PARAMS) { column_kernel(KERNEL_ARGS, 0, 1); }
static void column_both(COLUMN_PARAMS) { column_kernel(KERNEL_ARGS, 1, 1); }

void mlops_csv_column_fused(COLUMN_PARAMS) {
    isa = pick_isa(isa);
    if (moments && registers) column_both(COLUMN_ARGS);
    else if (moments) column_moments(COLUMN_ARGS);
    else if (registers) column_hll(COLUMN_ARGS);
    else column_plain(COLUMN_ARGS);
}

void mlops_csv_column(const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t records,
                      uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes,
                      double *nums, mlops_column_stats *stats) {
    column_plain(0, p, size, ends, columns, column, records, starts, lengths, kinds, hashes, nums, stats, NULL, NULL, 0, NULL);
}

// ---- HyperLogLog ------------------------------------------------------------------------------

void mlops_hll_add(uint8_t *registers, int precision, const uint64_t *hashes, const uint8_t *kinds, size_t n) {
    const uint8_t max_rank = (uint8_t)(64 - precision + 1);
    for (size_t i = 0; i < n; i++) {
        if (kinds[i] == MLOPS_VALUE_NULL) continue;
        uint64_t h = hashes[i], w = h << precision;
        size_t index = (size_t)(h >> (64 - precision));
        uint8_t rank = w == 0 ? max_rank : (uint8_t)(__builtin_clzll(w) + 1);
        if (registers[index] < rank) registers[index] = rank;
    }
}

// ---- the category table -----------------------------------------------------------------------

size_t mlops_table_count(mlops_table_slot *slots, size_t slot_count, uint8_t *registers, int precision,
                         const uint64_t *hashes, const uint8_t *kinds, const uint32_t *lengths, size_t max_length,
                         size_t from, size_t n, int64_t *counted) {
    const size_t mask = slot_count - 1;
    const uint8_t max_rank = (uint8_t)(64 - precision + 1);
    // Counted here, not through `counted`: the compiler cannot tell it from a slot's count, and
    // would store and load it on every value.
    int64_t c = 0;
    size_t i = from;
    for (; i < n; i++) {
        if (kinds[i] == MLOPS_VALUE_NULL) continue;
        if (lengths[i] > max_length) break;
        uint64_t h = hashes[i];
        size_t s = (size_t)h & mask;
        while (slots[s].count != 0 && slots[s].key != h) s = (s + 1) & mask;
        if (slots[s].count == 0) break;
        slots[s].count++;
        c++;
        if (registers) {
            uint64_t w = h << precision;
            size_t index = (size_t)(h >> (64 - precision));
            uint8_t rank = w == 0 ? max_rank : (uint8_t)(__builtin_clzll(w) + 1);
            if (registers[index] < rank) registers[index] = rank;
        }
    }
    *counted += c;
    return i;
}
