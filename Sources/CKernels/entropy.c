// The entropy probe's histogram: the codec looks at a sample of every chunk before choosing how to
// store it, so this runs once per chunk and small file (it was 4% of `add` in Swift).
#include "ckernels.h"
#include <math.h>
#include <string.h>

static double entropy(const uint32_t *h, size_t total, const double *clog2) {
    double s = 0;
    for (int i = 0; i < 256; i++) s += clog2[h[i]];
    return log2((double)total) - s / (double)total;
}

void mlops_lane_entropy(const uint8_t *p, size_t n, const double *clog2, double out[5]) {
    uint32_t h[4][256];
    memset(h, 0, sizeof h);
    n &= ~(size_t)3;
    for (size_t i = 0; i < n; i += 4) {
        h[0][p[i]]++; h[1][p[i + 1]]++; h[2][p[i + 2]]++; h[3][p[i + 3]]++;
    }
    uint32_t all[256];
    for (int i = 0; i < 256; i++) all[i] = h[0][i] + h[1][i] + h[2][i] + h[3][i];
    for (int k = 0; k < 4; k++) out[k] = entropy(h[k], n / 4, clog2);
    out[4] = entropy(all, n, clog2);
}
