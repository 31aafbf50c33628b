#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "profiling.h"  // the profiling kernels (here too, so that a module cache built before that header sees it)

/// Splits n bytes into 4 byte planes of n/4 bytes each (byte 0 of every 4-byte word, then byte 1, ...).
/// The n % 4 tail bytes are copied as they are after the planes.
void mlops_planes_split(const uint8_t *src, uint8_t *dst, size_t n);

/// The inverse of mlops_planes_split.
void mlops_planes_join(const uint8_t *src, uint8_t *dst, size_t n);

/// FastCDC's normalized scan over p[from..<limit): the gear hash fp = (fp << 1) + gear[byte], primed
/// with the 64 bytes before `from`; returns the first cut (index after the byte whose fp has all
/// mask bits zero: mask_small before `normal`, mask_large from there), or 0 when there is none.
size_t mlops_gear_scan(const uint8_t *p, size_t from, size_t normal, size_t limit,
                       uint64_t mask_small, uint64_t mask_large, const uint64_t *gear);

/// The same scan by a named implementation: `vector` 1 the AVX-512 lanes (the portable loop where the
/// CPU lacks them), 0 the portable three-stream loop. mlops_gear_scan uses the faster one here.
size_t mlops_gear_scan_using(int vector, const uint8_t *p, size_t from, size_t normal, size_t limit,
                             uint64_t mask_small, uint64_t mask_large, const uint64_t *gear);

/// 1 when mlops_gear_scan uses the AVX-512 lanes on this CPU (timed against the portable loop at
/// first use, with this gear table), else 0.
int mlops_gear_vector_chosen(const uint64_t *gear);

/// Order-0 entropy in bits per byte of each of the 4 byte lanes (out[0..3]) and of all of a sample
/// of p[0..<n) (out[4]): all of it up to `sample` bytes, else four pieces of sample / 4 bytes spread
/// over it. The count is a multiple of 4 from word boundaries; clog2[c] = c * log2(c) up to `sample`.
void mlops_lane_entropy(const uint8_t *p, size_t n, size_t sample, const double *clog2, double out[5]);

/// 1 if the 16-lane AVX-512 path of mlops_sha256_mb can run on this CPU. When 0, mlops_sha256_mb
/// still works, one message at a time, and callers with a faster single-message path should use it.
int mlops_sha256_mb_available(void);

/// digests[i] = SHA-256(msgs[i][0 ..< lens[i]]) for i < count: 16 messages side by side, a lane that
/// finishes taking the next one (longest first); tiny batches and batch tails go one at a time.
void mlops_sha256_mb(const uint8_t *const *msgs, const size_t *lens, size_t count, uint8_t (*digests)[32]);

#endif
