// The content-defined chunker's inner loop (see Store/Chunker.swift for the algorithm and format).
#include "ckernels.h"

size_t mlops_gear_scan(const uint8_t *p, size_t from, size_t normal, size_t limit,
                       uint64_t mask_small, uint64_t mask_large, const uint64_t *gear) {
    uint64_t fp = 0;
    size_t j = from >= 64 ? from - 64 : 0;
    for (; j < from; j++) fp = (fp << 1) + gear[p[j]];
    size_t i = from;
    for (; i < normal; i++) {
        fp = (fp << 1) + gear[p[i]];
        if (!(fp & mask_small)) return i + 1;
    }
    for (; i < limit; i++) {
        fp = (fp << 1) + gear[p[i]];
        if (!(fp & mask_large)) return i + 1;
    }
    return 0;
}
