#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Splits n bytes into 4 byte planes of n/4 bytes each (byte 0 of every 4-byte word, then byte 1, ...).
/// The n % 4 tail bytes are copied as they are after the planes.
void mlops_planes_split(const uint8_t *src, uint8_t *dst, size_t n);

/// The inverse of mlops_planes_split.
void mlops_planes_join(const uint8_t *src, uint8_t *dst, size_t n);

#endif
