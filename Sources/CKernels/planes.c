// Byte-plane split and join for float tensors: the hot loops of the planes codec, in SIMD where the
// CPU has it (SSSE3 for split, SSE2 for join), in plain C otherwise.
#include "ckernels.h"
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#include <tmmintrin.h>
#endif

static void split_scalar(const uint8_t *s, uint8_t *d, size_t words, size_t from) {
    for (size_t w = from; w < words; w++) {
        d[w] = s[4 * w];
        d[words + w] = s[4 * w + 1];
        d[2 * words + w] = s[4 * w + 2];
        d[3 * words + w] = s[4 * w + 3];
    }
}

static void join_scalar(const uint8_t *s, uint8_t *d, size_t words, size_t from) {
    for (size_t w = from; w < words; w++) {
        d[4 * w] = s[w];
        d[4 * w + 1] = s[words + w];
        d[4 * w + 2] = s[2 * words + w];
        d[4 * w + 3] = s[3 * words + w];
    }
}

#if defined(__x86_64__)
__attribute__((target("ssse3")))
static size_t split_ssse3(const uint8_t *s, uint8_t *d, size_t words) {
    const __m128i gather = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    size_t w = 0;
    for (; w + 16 <= words; w += 16) {
        // Four vectors of four words; within each, group the bytes by plane, then transpose.
        __m128i t0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 4 * w)), gather);
        __m128i t1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 4 * w + 16)), gather);
        __m128i t2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 4 * w + 32)), gather);
        __m128i t3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + 4 * w + 48)), gather);
        __m128i u0 = _mm_unpacklo_epi32(t0, t1), u1 = _mm_unpacklo_epi32(t2, t3);
        __m128i u2 = _mm_unpackhi_epi32(t0, t1), u3 = _mm_unpackhi_epi32(t2, t3);
        _mm_storeu_si128((__m128i *)(d + w), _mm_unpacklo_epi64(u0, u1));
        _mm_storeu_si128((__m128i *)(d + words + w), _mm_unpackhi_epi64(u0, u1));
        _mm_storeu_si128((__m128i *)(d + 2 * words + w), _mm_unpacklo_epi64(u2, u3));
        _mm_storeu_si128((__m128i *)(d + 3 * words + w), _mm_unpackhi_epi64(u2, u3));
    }
    return w;
}

static size_t join_sse2(const uint8_t *s, uint8_t *d, size_t words) {
    size_t w = 0;
    for (; w + 16 <= words; w += 16) {
        __m128i p0 = _mm_loadu_si128((const __m128i *)(s + w));
        __m128i p1 = _mm_loadu_si128((const __m128i *)(s + words + w));
        __m128i p2 = _mm_loadu_si128((const __m128i *)(s + 2 * words + w));
        __m128i p3 = _mm_loadu_si128((const __m128i *)(s + 3 * words + w));
        __m128i a = _mm_unpacklo_epi8(p0, p1), b = _mm_unpacklo_epi8(p2, p3);
        __m128i c = _mm_unpackhi_epi8(p0, p1), e = _mm_unpackhi_epi8(p2, p3);
        _mm_storeu_si128((__m128i *)(d + 4 * w), _mm_unpacklo_epi16(a, b));
        _mm_storeu_si128((__m128i *)(d + 4 * w + 16), _mm_unpackhi_epi16(a, b));
        _mm_storeu_si128((__m128i *)(d + 4 * w + 32), _mm_unpacklo_epi16(c, e));
        _mm_storeu_si128((__m128i *)(d + 4 * w + 48), _mm_unpackhi_epi16(c, e));
    }
    return w;
}
#endif

void mlops_planes_split(const uint8_t *src, uint8_t *dst, size_t n) {
    size_t words = n / 4, done = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("ssse3")) done = split_ssse3(src, dst, words);
#endif
    split_scalar(src, dst, words, done);
    memcpy(dst + 4 * words, src + 4 * words, n - 4 * words);
}

void mlops_planes_join(const uint8_t *src, uint8_t *dst, size_t n) {
    size_t words = n / 4, done = 0;
#if defined(__x86_64__)
    done = join_sse2(src, dst, words);
#endif
    join_scalar(src, dst, words, done);
    memcpy(dst + 4 * words, src + 4 * words, n - 4 * words);
}
