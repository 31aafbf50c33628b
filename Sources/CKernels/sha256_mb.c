/* Multi-buffer SHA-256 (FIPS 180-4): many chunks hashed at once, 16 per AVX-512 register, which is
 * about twice SHA-NI's speed per core on the Xeons we measured. See ckernels.h. */
#include "ckernels.h"

#include <stdlib.h>
#include <string.h>

#define K_LIST(X) \
    X(0x428a2f98) X(0x71374491) X(0xb5c0fbcf) X(0xe9b5dba5) X(0x3956c25b) X(0x59f111f1) X(0x923f82a4) X(0xab1c5ed5) \
    X(0xd807aa98) X(0x12835b01) X(0x243185be) X(0x550c7dc3) X(0x72be5d74) X(0x80deb1fe) X(0x9bdc06a7) X(0xc19bf174) \
    X(0xe49b69c1) X(0xefbe4786) X(0x0fc19dc6) X(0x240ca1cc) X(0x2de92c6f) X(0x4a7484aa) X(0x5cb0a9dc) X(0x76f988da) \
    X(0x983e5152) X(0xa831c66d) X(0xb00327c8) X(0xbf597fc7) X(0xc6e00bf3) X(0xd5a79147) X(0x06ca6351) X(0x14292967) \
    X(0x27b70a85) X(0x2e1b2138) X(0x4d2c6dfc) X(0x53380d13) X(0x650a7354) X(0x766a0abb) X(0x81c2c92e) X(0x92722c85) \
    X(0xa2bfe8a1) X(0xa81a664b) X(0xc24b8b70) X(0xc76c51a3) X(0xd192e819) X(0xd6990624) X(0xf40e3585) X(0x106aa070) \
    X(0x19a4c116) X(0x1e376c08) X(0x2748774c) X(0x34b0bcb5) X(0x391c0cb3) X(0x4ed8aa4a) X(0x5b9cca4f) X(0x682e6ff3) \
    X(0x748f82ee) X(0x78a5636f) X(0x84c87814) X(0x8cc70208) X(0x90befffa) X(0xa4506ceb) X(0xbef9a3f7) X(0xc67178f2)

#define K1(k) k,
static const uint32_t K[64] = {K_LIST(K1)};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static uint32_t load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Writes the final padded block(s) for a message whose last rem (< 64)
 * bytes are tail; returns how many blocks (1 or 2). */
static size_t pad_tail(uint8_t buf[128], const uint8_t *tail, size_t rem, uint64_t len) {
    size_t nb = rem < 56 ? 1 : 2;
    memset(buf, 0, 128);
    if (rem) memcpy(buf, tail, rem);
    buf[rem] = 0x80;
    for (int i = 0; i < 8; i++) buf[nb * 64 - 1 - i] = (uint8_t)((len << 3) >> (8 * i));
    return nb;
}

#define ROR32(x, n) ((x) >> (n) | (x) << (32 - (n)))

/* Portable fallback for CPUs with neither SHA-NI nor AVX-512. */
static void compress_c(uint32_t s[8], const uint8_t *p, size_t nblk) {
    for (; nblk--; p += 64) {
        uint32_t w[64], a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        for (int t = 0; t < 16; t++) w[t] = load_be32(p + 4 * t);
        for (int t = 16; t < 64; t++) {
            uint32_t x = w[t - 15], y = w[t - 2];
            w[t] = w[t - 16] + w[t - 7] + (ROR32(x, 7) ^ ROR32(x, 18) ^ x >> 3) +
                   (ROR32(y, 17) ^ ROR32(y, 19) ^ y >> 10);
        }
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
    }
}

typedef void (*compress_fn)(uint32_t s[8], const uint8_t *p, size_t nblk);

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/* Single-message SHA-NI path: used for tails and tiny batches, where it
 * beats a mostly empty 16-lane register. */
__attribute__((target("sha,sse4.1"))) static void compress_ni(uint32_t s[8], const uint8_t *p, size_t nblk) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);       /* B A D C */
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B); /* H G F E */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                          /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                                               /* CDGH */
    for (; nblk--; p += 64) {
        __m128i a0 = s0, c0 = s1, w[4];
        for (int i = 0; i < 4; i++) w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
#pragma GCC unroll 16
        for (int i = 0; i < 16; i++) {
            if (i >= 4) {
                __m128i x = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
                x = _mm_add_epi32(x, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
                w[i & 3] = _mm_sha256msg2_epu32(x, w[(i + 3) & 3]);
            }
            __m128i m = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
        }
        s0 = _mm_add_epi32(s0, a0);
        s1 = _mm_add_epi32(s1, c0);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);  /* A B E F */
    s1 = _mm_shuffle_epi32(s1, 0xB1); /* G H C D */
    _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, s1, 0xF0));
    _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(s1, t, 8));
}

enum { CPU_KNOWN = 1, CPU_AVX512 = 2, CPU_SHA = 4 };
static int cpu_flags; /* one int written once: racing first calls agree */

static int cpu(void) {
    unsigned a, b, c, d, b7 = 0;
    int f = CPU_KNOWN, os_zmm = 0;
    if (cpu_flags) return cpu_flags;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c >> 27 & 1)) { /* OSXSAVE */
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        os_zmm = (lo & 0xE6) == 0xE6; /* SSE, AVX, opmask, ZMM state enabled */
    }
    __get_cpuid_count(7, 0, &a, &b7, &c, &d);
    if (os_zmm && (b7 >> 16 & 1) && (b7 >> 30 & 1)) f |= CPU_AVX512; /* avx512f, avx512bw */
#ifndef MB_TEST_NO_SHA /* lets test.c cover the portable path */
    if (b7 >> 29 & 1) f |= CPU_SHA;
#endif
    return cpu_flags = f;
}

static compress_fn scalar_compress(void) { return cpu() & CPU_SHA ? compress_ni : compress_c; }

int mlops_sha256_mb_available(void) { return !!(cpu() & CPU_AVX512); }

/* K pre-broadcast to 16 lanes, so rounds add it straight from memory
 * (compilers do not always fold a broadcast into the add) */
#define K16(k) {k, k, k, k, k, k, k, k, k, k, k, k, k, k, k, k},
_Alignas(64) static const uint32_t K16[64][16] = {K_LIST(K16)};

#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define ROR(x, n) _mm512_ror_epi32(x, n)
#define ADD(x, y) _mm512_add_epi32(x, y)
#define XOR3(x, y, z) _mm512_ternarylogic_epi32(x, y, z, 0x96)
#define CH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define MAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)

#define RND(a, b, c, d, e, f, g, h, i)                                                           \
    do {                                                                                         \
        __m512i t1 = ADD(ADD(h, ADD(w[i], _mm512_load_si512(K16[r + i]))),                       \
                         ADD(XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25)), CH(e, f, g)));             \
        d = ADD(d, t1);                                                                          \
        h = ADD(t1, ADD(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)), MAJ(a, b, c)));                 \
    } while (0)

/* w[i] becomes W[t] from W[t-16], W[t-15], W[t-7], W[t-2] kept in a ring of 16. */
#define SCHED(i)                                                                                 \
    do {                                                                                         \
        __m512i x = w[(i + 1) & 15], y = w[(i + 14) & 15];                                       \
        w[i] = ADD(ADD(w[i], w[(i + 9) & 15]),                                                   \
                   ADD(XOR3(ROR(x, 7), ROR(x, 18), _mm512_srli_epi32(x, 3)),                     \
                       XOR3(ROR(y, 17), ROR(y, 19), _mm512_srli_epi32(y, 10))));                 \
    } while (0)

#define RND8(i)                                                                                  \
    do {                                                                                         \
        if (r) { SCHED(i); SCHED(i + 1); SCHED(i + 2); SCHED(i + 3);                             \
                 SCHED(i + 4); SCHED(i + 5); SCHED(i + 6); SCHED(i + 7); }                       \
        RND(a, b, c, d, e, f, g, h, i); RND(h, a, b, c, d, e, f, g, i + 1);                      \
        RND(g, h, a, b, c, d, e, f, i + 2); RND(f, g, h, a, b, c, d, e, i + 3);                  \
        RND(e, f, g, h, a, b, c, d, i + 4); RND(d, e, f, g, h, a, b, c, i + 5);                  \
        RND(c, d, e, f, g, h, a, b, i + 6); RND(b, c, d, e, f, g, h, a, i + 7);                  \
    } while (0)

/* Loads one 64-byte block from each lane and transposes so that w[t] holds
 * big-endian word t of all 16 lanes: 4 rounds of in-register shuffles. */
AVX512 static void load_transpose(__m512i w[16], const uint8_t *const q[16]) {
    const __m512i bswap = _mm512_broadcast_i32x4(_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL));
    __m512i r[16], u[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_shuffle_epi8(_mm512_loadu_si512(q[i]), bswap);
    /* u[4g+j]: 128-bit lane k holds word 4k+j of rows 4g..4g+3 */
    for (int g = 0; g < 4; g++) {
        __m512i a0 = _mm512_unpacklo_epi32(r[4 * g], r[4 * g + 1]), a1 = _mm512_unpackhi_epi32(r[4 * g], r[4 * g + 1]);
        __m512i b0 = _mm512_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]), b1 = _mm512_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);
        u[4 * g + 0] = _mm512_unpacklo_epi64(a0, b0);
        u[4 * g + 1] = _mm512_unpackhi_epi64(a0, b0);
        u[4 * g + 2] = _mm512_unpacklo_epi64(a1, b1);
        u[4 * g + 3] = _mm512_unpackhi_epi64(a1, b1);
    }
    /* 4x4 transpose of 128-bit lanes across the four row groups */
    for (int j = 0; j < 4; j++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44), v1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
        __m512i v2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44), v3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
        w[j] = _mm512_shuffle_i32x4(v0, v2, 0x88);
        w[4 + j] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
        w[8 + j] = _mm512_shuffle_i32x4(v1, v3, 0x88);
        w[12 + j] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
    }
}

/* Runs nblk blocks on all 16 lanes; st[j] holds state word j of every lane.
 * Lanes with step 0 re-read the same (dummy) block and are ignored. */
AVX512 static void compress_x16(uint32_t st[8][16], const uint8_t *q[16], const size_t step[16], size_t nblk) {
    __m512i s[8];
    for (int j = 0; j < 8; j++) s[j] = _mm512_load_si512(st[j]);
    for (; nblk--;) {
        __m512i w[16], a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        load_transpose(w, q);
        for (int i = 0; i < 16; i++) q[i] += step[i];
#pragma GCC unroll 4
        for (int r = 0; r < 64; r += 16) {
            RND8(0);
            RND8(8);
        }
        s[0] = ADD(s[0], a); s[1] = ADD(s[1], b); s[2] = ADD(s[2], c); s[3] = ADD(s[3], d);
        s[4] = ADD(s[4], e); s[5] = ADD(s[5], f); s[6] = ADD(s[6], g); s[7] = ADD(s[7], h);
    }
    for (int j = 0; j < 8; j++) _mm512_store_si512(st[j], s[j]);
}

/* Cost of one 16-lane block step, in single-message blocks (SHA-NI or
 * portable C), as measured with tune.c; decides when lanes left at the end of
 * a batch are better finished one at a time. */
#ifndef MB_X16_COST
#define MB_X16_COST 5.0
#endif
#define MB_X16_COST_C 1.2

struct job { size_t len, idx; };
struct lane { size_t nblk, job; int padded; uint8_t pad[128]; };

static int by_len_desc(const void *x, const void *y) {
    size_t a = ((const struct job *)x)->len, b = ((const struct job *)y)->len;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* Blocks lane l still has to run, padding included. */
static size_t lane_left(const struct lane *l, size_t len) {
    return l->nblk + (l->padded ? 0 : len % 64 < 56 ? 1 : 2);
}

/* Finishes one lane's message on the one-at-a-time path from where it is. */
static void lane_finish(compress_fn scalar, uint32_t st[8][16], int i, struct lane *l, const uint8_t *q,
                        const uint8_t *msg, size_t len, uint8_t digest[32]) {
    uint32_t s[8];
    for (int j = 0; j < 8; j++) s[j] = st[j][i];
    scalar(s, q, l->nblk);
    if (!l->padded) scalar(s, l->pad, pad_tail(l->pad, msg + len - len % 64, len % 64, len));
    for (int j = 0; j < 8; j++) store_be32(digest + 4 * j, s[j]);
}

/* Lane scheduler: every lane holds one message; a lane that finishes takes
 * the next one. Longest messages go first so lanes end close together. */
static void mb_run(const uint8_t *const *msgs, const size_t *lens, size_t count, uint8_t (*digests)[32]) {
    static const uint8_t zero_block[64];
    _Alignas(64) uint32_t st[8][16];
    struct lane ln[16];
    const uint8_t *q[16];
    size_t step[16], next = 0, active = 0;
    compress_fn scalar = scalar_compress();
    double x16_cost = scalar == compress_c ? MB_X16_COST_C : MB_X16_COST;
    struct job *jobs = malloc(count * sizeof *jobs);
    if (jobs) {
        for (size_t i = 0; i < count; i++) jobs[i] = (struct job){lens[i], i};
        qsort(jobs, count, sizeof *jobs, by_len_desc);
    }
#define JOB(n) (jobs ? jobs[n].idx : (n))

    for (int i = 0; i < 16; i++) { q[i] = zero_block; step[i] = 0; }
    for (;;) {
        /* refill idle lanes, advance lanes whose current run of blocks is done */
        for (int i = 0; i < 16; i++) {
            struct lane *l = &ln[i];
            if (step[i] && l->nblk) continue;
            if (step[i] && !l->padded) {
                size_t len = lens[l->job];
                l->nblk = pad_tail(l->pad, msgs[l->job] + len - len % 64, len % 64, len);
                q[i] = l->pad;
                l->padded = 1;
                continue;
            }
            if (step[i]) {
                for (int j = 0; j < 8; j++) store_be32(digests[l->job] + 4 * j, st[j][i]);
                step[i] = 0; q[i] = zero_block; active--;
            }
            if (next < count) {
                size_t n = JOB(next++);
                for (int j = 0; j < 8; j++) st[j][i] = IV[j];
                l->job = n; l->padded = 0; l->nblk = lens[n] / 64;
                q[i] = msgs[n];
                step[i] = 64; active++;
                if (!l->nblk) i--; /* no full blocks: go straight to padding */
            }
        }
        if (next >= count) {
            /* Nothing queued: the 16-lane run now lasts as long as its longest
             * lane, so hand the j longest lanes to the one-at-a-time path when
             * that finishes the batch sooner. */
            size_t r[17] = {0}, k = 0, take = 0;
            for (int i = 0; i < 16; i++) {
                if (!step[i]) continue;
                size_t v = lane_left(&ln[i], lens[ln[i].job]), m = k++;
                for (; m && r[m - 1] < v; m--) r[m] = r[m - 1];
                r[m] = v;
            }
            double best = x16_cost * r[0], done = 0;
            for (size_t j = 1; j <= k; j++) {
                done += r[j - 1];
                if (done + x16_cost * r[j] < best) { best = done + x16_cost * r[j]; take = j; }
            }
            size_t cut = take ? r[take - 1] : 0;
            for (int pass = 0; pass < 2; pass++) /* longer lanes first, then ties */
                for (int i = 0; i < 16 && take; i++) {
                    struct lane *l = &ln[i];
                    size_t v = step[i] ? lane_left(l, lens[l->job]) : 0;
                    if (!step[i] || v < cut || (!pass && v == cut)) continue;
                    lane_finish(scalar, st, i, l, q[i], msgs[l->job], lens[l->job], digests[l->job]);
                    step[i] = 0; q[i] = zero_block; active--; take--;
                }
            if (!active) break;
        }
        size_t n = SIZE_MAX;
        for (int i = 0; i < 16; i++) if (step[i] && ln[i].nblk < n) n = ln[i].nblk;
        compress_x16(st, q, step, n);
        for (int i = 0; i < 16; i++) if (step[i]) ln[i].nblk -= n;
    }
    free(jobs);
#undef JOB
}

#else /* !__x86_64__ */

static compress_fn scalar_compress(void) { return compress_c; }
int mlops_sha256_mb_available(void) { return 0; }

#endif

static void sha256_one(compress_fn cf, const uint8_t *m, size_t len, uint8_t out[32]) {
    uint32_t s[8];
    uint8_t buf[128];
    memcpy(s, IV, sizeof s);
    cf(s, m, len / 64);
    cf(s, buf, pad_tail(buf, m + len - len % 64, len % 64, len));
    for (int j = 0; j < 8; j++) store_be32(out + 4 * j, s[j]);
}

void mlops_sha256_mb(const uint8_t *const *msgs, const size_t *lens, size_t count, uint8_t (*digests)[32]) {
#if defined(__x86_64__)
    if (count > 2 && mlops_sha256_mb_available()) {
        mb_run(msgs, lens, count, digests);
        return;
    }
#endif
    compress_fn cf = scalar_compress();
    for (size_t i = 0; i < count; i++) sha256_one(cf, msgs[i], lens[i], digests[i]);
}
