// The entropy probe's histogram: the codec looks at a sample of every chunk before choosing how to
// store it, so this runs once per chunk and small file (a 16 KiB sample was 4% of `add`).
#include "ckernels.h"
#include <math.h>
#include <string.h>

static double entropy(const uint32_t *h, size_t total, const double *clog2) {
    double s = 0;
    for (int i = 0; i < 256; i++) s += clog2[h[i]];
    return log2((double)total) - s / (double)total;
}

void mlops_lane_entropy(const uint8_t *p, size_t n, size_t sample, const double *clog2, double out[5]) {
    uint32_t h[4][256];
    memset(h, 0, sizeof h);
    // Four pieces spread over the buffer, each a whole number of 4-byte words from a word boundary.
    size_t pieces = n > sample ? 4 : 1;
    size_t len = (n > sample ? sample / 4 : n) & ~(size_t)3;
    size_t stride = pieces > 1 ? ((n - len) / 3) & ~(size_t)3 : 0;
    for (size_t k = 0; k < pieces; k++) {
        const uint8_t *q = p + k * stride;
        for (size_t i = 0; i < len; i += 4) {
            h[0][q[i]]++; h[1][q[i + 1]]++; h[2][q[i + 2]]++; h[3][q[i + 3]]++;
        }
    }
    size_t total = pieces * len;
    uint32_t all[256];
    for (int i = 0; i < 256; i++) all[i] = h[0][i] + h[1][i] + h[2][i] + h[3][i];
    for (int k = 0; k < 4; k++) out[k] = entropy(h[k], total / 4, clog2);
    out[4] = entropy(all, total, clog2);
}
