// The content-defined chunker's inner loop (Store/Chunker.swift has the algorithm and format), about
// twice as fast as the plain sequential loop, with exactly its results.
//
// Key fact: after 64 steps the shift has pushed every older byte out of the 64-bit hash, so the
// hash at position i is a function of p[max(0, i-63) .. i] alone.  Whether i is a cut point is
// therefore a property of the position, and the scan range can be cut into independent streams,
// each primed with the 64 bytes before its start, run side by side for instruction-level
// parallelism; the answer is the first hit in position order.
//
// The range is processed in blocks of K streams x B bytes.  A hit in stream s only matters if the
// streams before s have no hit later in the block, so those are finished (with s's hit kept).
//  - AVX-512 (when the CPU has F+BW and its gathers are fast, timed at first use): 8 streams in the
//    8 lanes of a zmm, table lookups by gather.
//  - Otherwise: 3 scalar streams.
// Both give exactly the result of the sequential loop (ChunkerTests compares them).
#include "ckernels.h"
#include <stdlib.h>
#include <time.h>

// Sequential scan of [i, end) continuing from hash state fp (the hash just before position i).
static inline size_t seq_from(const uint8_t *p, size_t i, size_t end, uint64_t fp, uint64_t m,
                              const uint64_t *g) {
    for (; i < end; i++) {
        fp = (fp << 1) + g[p[i]];
        if (!(fp & m)) return i + 1;
    }
    return 0;
}

// Sequential scan of [a, e), primed with the (up to) 64 bytes before a.
static size_t seq_range(const uint8_t *p, size_t a, size_t e, uint64_t m, const uint64_t *g) {
    if (a >= e) return 0;
    uint64_t fp = 0;
    for (size_t j = a >= 64 ? a - 64 : 0; j < a; j++) fp = (fp << 1) + g[p[j]];
    return seq_from(p, a, e, fp, m, g);
}

// Streams need 64 bytes of history: positions below 64 are scanned sequentially, and *a moves past them.
static inline size_t seq_head(const uint8_t *p, size_t *a, size_t e, uint64_t m, const uint64_t *g) {
    if (*a >= 64) return 0;
    size_t e0 = e < 64 ? e : 64, r = seq_range(p, *a, e0, m, g);
    *a = e0;
    return r;
}

// ---- portable version: 3 interleaved scalar streams -------------------------------------------

#define S_BLOCK 1024  // bytes per stream per block

// Streams at b, b+B, b+2B (b >= 64). Returns the first hit in [b, b+3B) or 0.
static inline size_t block3(const uint8_t *p, size_t b, size_t B, uint64_t m, const uint64_t *g) {
    const uint8_t *q0 = p + b, *q1 = q0 + B, *q2 = q1 + B;
    uint64_t f0 = 0, f1 = 0, f2 = 0;
    for (ptrdiff_t k = -64; k < 0; k++) {
        f0 = (f0 << 1) + g[q0[k]];
        f1 = (f1 << 1) + g[q1[k]];
        f2 = (f2 << 1) + g[q2[k]];
    }
    size_t t;
    for (t = 0; t < B; t++) {
        f0 = (f0 << 1) + g[q0[t]];
        f1 = (f1 << 1) + g[q1[t]];
        f2 = (f2 << 1) + g[q2[t]];
        if (__builtin_expect(!(f0 & m), 0)) return b + t + 1;
        if (__builtin_expect(!(f1 & m), 0)) goto hit1;
        if (__builtin_expect(!(f2 & m), 0)) goto hit2;
    }
    return 0;
    size_t r;
hit2:  // stream 2 hit at t: streams 0 and 1 may still hit later in their parts
    if ((r = seq_from(p, b + t + 1, b + B, f0, m, g))) return r;
    if ((r = seq_from(p, b + B + t + 1, b + 2 * B, f1, m, g))) return r;
    return b + 2 * B + t + 1;
hit1:
    if ((r = seq_from(p, b + t + 1, b + B, f0, m, g))) return r;
    return b + B + t + 1;
}

static size_t range_scalar(const uint8_t *p, size_t a, size_t e, uint64_t m, const uint64_t *g) {
    size_t r;
    if (a >= e) return 0;
    if ((r = seq_head(p, &a, e, m, g))) return r;
    size_t b = a;
    while (e - b >= 3 * S_BLOCK) {
        if ((r = block3(p, b, S_BLOCK, m, g))) return r;
        b += 3 * S_BLOCK;
    }
    size_t bt = (e - b) / 3;
    if (bt >= 256) {
        if ((r = block3(p, b, bt, m, g))) return r;
        b += 3 * bt;
    }
    return seq_range(p, b, e, m, g);
}

// ---- AVX-512 version: 8 streams in zmm lanes, gathers for the table lookups ---------------------

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && !defined(GEAR_NO_AVX512)
#define GEAR_HAVE_AVX512 1
#include <immintrin.h>

#define V_BLOCK 1024  // bytes per lane per block (block = 8 KiB)
#define TGT __attribute__((target("avx512f,avx512bw")))

// One step for all 8 lanes: take byte k of each lane's 8 data bytes, hash it in, test the mask.
#define STEP(k)                                                                                \
    do {                                                                                       \
        __m512i ix = _mm512_shuffle_epi8(d, c##k);                                             \
        fp = _mm512_add_epi64(_mm512_add_epi64(fp, fp),                                        \
                              _mm512_i64gather_epi64(ix, (const void *)g, 8));                 \
        hit |= _mm512_mask_testn_epi64_mask(act, fp, mv);                                      \
    } while (0)

// Shuffle control moving byte k of each 64-bit lane to byte 0 and zeroing the rest.
#define CTL(k)                                                                                 \
    const __m512i c##k = _mm512_set_epi64(                                                     \
        (long long)(0xFFFFFFFFFFFFFF00ULL | (8 + k)), (long long)(0xFFFFFFFFFFFFFF00ULL | k),   \
        (long long)(0xFFFFFFFFFFFFFF00ULL | (8 + k)), (long long)(0xFFFFFFFFFFFFFF00ULL | k),   \
        (long long)(0xFFFFFFFFFFFFFF00ULL | (8 + k)), (long long)(0xFFFFFFFFFFFFFF00ULL | k),   \
        (long long)(0xFFFFFFFFFFFFFF00ULL | (8 + k)), (long long)(0xFFFFFFFFFFFFFF00ULL | k));

// Lane s scans [b + s*B, b + (s+1)*B); b >= 64, B a multiple of 8. First hit in [b, b+8B) or 0.
TGT static inline __attribute__((always_inline)) size_t
block8(const uint8_t *p, size_t b, size_t B, uint64_t m, const uint64_t *g) {
    const uint8_t *q = p + b;
    const __m512i offs = _mm512_set_epi64((long long)(7 * B), (long long)(6 * B), (long long)(5 * B),
                                          (long long)(4 * B), (long long)(3 * B), (long long)(2 * B),
                                          (long long)B, 0);
    const __m512i mv = _mm512_set1_epi64((long long)m);
    CTL(0) CTL(1) CTL(2) CTL(3) CTL(4) CTL(5) CTL(6) CTL(7)
    __m512i fp = _mm512_setzero_si512();
    __mmask8 act = 0, hit = 0;  // act = lanes whose hits still matter; none while priming
    for (ptrdiff_t t = -64; t < 0; t += 8) {
        __m512i d = _mm512_i64gather_epi64(offs, (const void *)(q + t), 1);
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7);
    }
    act = 0xFF;
    size_t best = 0;
    for (size_t t = 0; t < B; t += 8) {
        __m512i d = _mm512_i64gather_epi64(offs, (const void *)(q + t), 1);
        __m512i fp0 = fp;
        hit = 0;
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7);
        if (__builtin_expect(hit != 0, 0)) {
            // The lowest lane with a hit in these 8 steps: redo its 8 steps to find the byte.
            unsigned s = (unsigned)__builtin_ctz(hit);
            uint64_t fv[8], dv[8];
            _mm512_storeu_si512((void *)fv, fp0);
            _mm512_storeu_si512((void *)dv, d);
            uint64_t f = fv[s], dd = dv[s];
            size_t k = 0;
            for (; k < 8; k++) {
                f = (f << 1) + g[(dd >> (8 * k)) & 255];
                if (!(f & m)) break;
            }
            best = b + s * B + t + k + 1;
            if (s == 0) return best;
            act = (__mmask8)((1u << s) - 1);  // from now on only earlier lanes can do better
        }
    }
    return best;
}

TGT static size_t range_avx512(const uint8_t *p, size_t a, size_t e, uint64_t m, const uint64_t *g) {
    size_t r;
    if (a >= e) return 0;
    if ((r = seq_head(p, &a, e, m, g))) return r;
    size_t b = a;
    while (e - b >= 8 * V_BLOCK) {
        if ((r = block8(p, b, V_BLOCK, m, g))) return r;
        b += 8 * V_BLOCK;
    }
    size_t bt = ((e - b) / 8) & ~(size_t)7;
    if (bt >= 128) {
        if ((r = block8(p, b, bt, m, g))) return r;
        b += 8 * bt;
    }
    return range_scalar(p, b, e, m, g);
}

static int have_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return cached;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Which scan is faster depends on the CPU's gathers, not on whether it has AVX-512: on AMD Zen 4
// (and on Intel parts with the Gather Data Sampling microcode fix) eight-lane gathers cost more than
// three scalar streams (measured: 1.7 vs 4.8 GB/s on an EPYC), elsewhere they win by about 1.8x. So
// the first scan times both on the same 64 KiB, best of three, and keeps the faster. Both give the
// same cut points, so the choice changes speed only.
static int use_avx512(const uint64_t *g) {
    static int chosen = -1;  // racing first calls may both time; either answer is right
    int c = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (c >= 0) return c;
    if (!have_avx512()) { __atomic_store_n(&chosen, 0, __ATOMIC_RELAXED); return 0; }
    enum { N = 64 << 10 };
    uint8_t *buf = malloc(N);
    if (!buf) return 0;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < N; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; buf[i] = (uint8_t)x; }
    double best[2] = {1e9, 1e9};
    volatile size_t sink = 0;
    for (int round = 0; round < 3; round++) {
        for (int v = 0; v < 2; v++) {
            double t = seconds();
            // A mask of all ones cuts only where the hash is 0: the whole buffer is scanned.
            sink += v ? range_avx512(buf, 64, N, ~0ULL, g) : range_scalar(buf, 64, N, ~0ULL, g);
            t = seconds() - t;
            if (t < best[v]) best[v] = t;
        }
    }
    free(buf);
    (void)sink;
    c = best[1] < best[0];
    __atomic_store_n(&chosen, c, __ATOMIC_RELAXED);
    return c;
}
#endif

size_t mlops_gear_scan_using(int vector, const uint8_t *p, size_t from, size_t normal, size_t limit,
                             uint64_t mask_small, uint64_t mask_large, const uint64_t *gear) {
    size_t mid = from > normal ? from : normal, r;
#ifdef GEAR_HAVE_AVX512
    if (vector && have_avx512()) {
        if ((r = range_avx512(p, from, normal, mask_small, gear))) return r;
        return range_avx512(p, mid, limit, mask_large, gear);
    }
#else
    (void)vector;
#endif
    if ((r = range_scalar(p, from, normal, mask_small, gear))) return r;
    return range_scalar(p, mid, limit, mask_large, gear);
}

int mlops_gear_vector_chosen(const uint64_t *gear) {
#ifdef GEAR_HAVE_AVX512
    return use_avx512(gear);
#else
    (void)gear;
    return 0;
#endif
}

size_t mlops_gear_scan(const uint8_t *p, size_t from, size_t normal, size_t limit,
                       uint64_t mask_small, uint64_t mask_large, const uint64_t *gear) {
    return mlops_gear_scan_using(mlops_gear_vector_chosen(gear), p, from, normal, limit, mask_small, mask_large, gear);
}
