#ifndef CKERNELS_PROFILING_H
#define CKERNELS_PROFILING_H
#include <stddef.h>
#include <stdint.h>

// The hot loops of data profiling (Sources/Profiling): reading text values, the value hash, the CSV
// field scan, HyperLogLog updates and the sort behind KLL compactions. docs/validation.md ("Values",
// "Profile format (version 1)") is the specification; every function here is part of what makes a
// profile a function of the bytes profiled, so none may change its results within a format version.

/// What a text value is (docs/validation.md, "Values"). Numeric kinds (int, float, bool, datetime)
/// go to the moments and the quantile sketch; an infinite float is counted but kept out of them.
enum {
    MLOPS_VALUE_NULL = 0,
    MLOPS_VALUE_INT = 1,
    MLOPS_VALUE_FLOAT = 2,
    MLOPS_VALUE_NONFINITE = 3,
    MLOPS_VALUE_BOOL = 4,
    MLOPS_VALUE_DATETIME = 5,
    MLOPS_VALUE_STRING = 6,
};

/// The 64-bit value hash of profile format 1 (HyperLogLog registers and category keys depend on it).
uint64_t mlops_value_hash(const uint8_t *p, size_t n);

/// `[+-]digits` fitting in 64 bits: returns 1 and sets *i. A float (`[+-](digits[.digits]|.digits)
/// ([eE][+-]digits)`, `[+-]inf`, `[+-]infinity` in any case): returns 2 and sets *d, correctly
/// rounded. Anything else: 0.
int mlops_parse_number(const uint8_t *p, size_t n, int64_t *i, double *d);

/// 1 for true/True/TRUE, 0 for false/False/FALSE, -1 otherwise.
int mlops_parse_bool(const uint8_t *p, size_t n);

/// ISO 8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:]MM]`: returns 1 and sets *seconds
/// (since 1970-01-01T00:00:00Z; UTC without an offset), else 0.
int mlops_parse_datetime(const uint8_t *p, size_t n, double *seconds);

/// The kind of a text value (MLOPS_VALUE_...), trying null, number, bool, datetime in that order.
/// Sets *num for numeric kinds (an int's value as a double) and for infinite floats, *i for ints.
int mlops_classify(const uint8_t *p, size_t n, double *num, int64_t *i);

/// The offset of the first byte of p[0..<n) that is not valid UTF-8, or n.
size_t mlops_utf8_invalid(const uint8_t *p, size_t n);

/// The instruction sets of these kernels, best first: 2 AVX-512 (F and BW), 1 AVX2, 0 portable C;
/// the best this CPU has. Every path gives the same results; the `isa` parameters below choose one (a CPU without it gets its best)
/// (tests compare them), and -1 picks this.
int mlops_profiling_best_isa(void);

/// Sorts finite doubles ascending in place. Equal values come out in an order that depends only on
/// the input (-0.0 and 0.0 are equal for the sort), so the result is a function of the input.
/// AVX-512 sorts in SIMD; the other paths, or an input with -0.0 in it, use a portable quicksort.
void mlops_sort_doubles(int isa, double *a, size_t n);

/// One step of a KLL compaction: merges src[first + 2j] for j < promote (first = (count & 1) + coin,
/// coin 0 or 1) into the sorted dst[0..<old] (room for old + promote), giving the stable merge (old
/// items before promoted ones they equal) in dst[0..<old + promote]. Every value must be finite.
/// `isa` as for mlops_csv_scan; every path gives the same bits.
void mlops_kll_merge_half(int isa, double *dst, size_t old, const double *src, size_t count, int coin, size_t promote);

/// Scans CSV records from p[0..<n) (p at a record start) that need nothing but splitting: no quote,
/// exactly `columns` fields, not a blank line. For each, writes the offset of each field's end (its
/// separator, its newline, or n for a last record without one, which is taken only when `at_end`)
/// to ends[columns * record + field]. Stops after `max_records` records, or before the first record
/// it cannot take or that is not complete; returns the records taken and sets *used to the bytes
/// they span. n must be below 2^32.
size_t mlops_csv_scan(int isa, const uint8_t *p, size_t n, int at_end, uint8_t separator, size_t columns,
                      uint32_t *ends, size_t max_records, size_t *used);

/// What mlops_csv_column found in one column of a run of records.
typedef struct mlops_column_stats {
    int64_t nulls, ints, floats, nonfinite, bools, datetimes, strings;
    /// The range of the ints (INT64_MAX, INT64_MIN when there are none).
    int64_t int_min, int_max;
    /// Numeric values written to nums.
    int64_t numerics;
} mlops_column_stats;

/// Reads column `column` of `records` records scanned by mlops_csv_scan (same p, ends, columns; `size`
/// bytes are readable at p, at least its n): for
/// value r, its start and length (a last column loses a '\r' before its newline) in starts[r],
/// lengths[r], its kind in kinds[r], its value hash in hashes[r] (unless null); the numeric values
/// in order go to nums[0..<stats->numerics]. Counts go to *stats, which it sets.
void mlops_csv_column(const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t records,
                      uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes,
                      double *nums, mlops_column_stats *stats);

/// Moments (Profiling's Moments, Sketches.swift): values summed in batches of 64 as deviations from
/// the batch's first value, each batch folded in with Chan's formula.
typedef struct mlops_moments {
    int64_t folded_n;
    double folded_mean, folded_m2;
    int64_t batch_n;
    double shift, s1, s2, min, max;
} mlops_moments;

/// Adds x[0..<n) in order, as Moments.add does one at a time (the same bits).
void mlops_moments_add(mlops_moments *m, const double *x, size_t n);

/// mlops_csv_column, also adding each numeric value, in order, to *moments unless it is NULL, and
/// with `registers` (HyperLogLog, 2^precision of them) not NULL, adding each hash there instead of
/// writing starts, lengths, kinds and hashes (which may then be NULL). `isa` as for mlops_csv_scan.
/// `memo`, unless NULL, is mlops_column_memo_size() bytes, zeroed before the first call, that keep
/// the results of repeated values from call to call (for one column, or any: they depend only on
/// the bytes of the values).
void mlops_csv_column_fused(int isa, const uint8_t *p, size_t size, const uint32_t *ends, size_t columns, size_t column, size_t records,
                            uint32_t *starts, uint32_t *lengths, uint8_t *kinds, uint64_t *hashes, double *nums,
                            mlops_column_stats *stats, mlops_moments *moments, uint8_t *registers, int precision, void *memo);

size_t mlops_column_memo_size(void);

/// Adds to HyperLogLog `registers` (2^precision of them) the hashes of the values not null.
void mlops_hll_add(uint8_t *registers, int precision, const uint64_t *hashes, const uint8_t *kinds, size_t n);

/// A slot of the category table (Profiling's FrequentItems): open addressing on the key's low bits,
/// linear probing; count 0 is an empty slot.
typedef struct mlops_table_slot {
    uint64_t key;
    int64_t count;
    int32_t start, length;
} mlops_table_slot;

/// Goes through values `from`..<n, skipping nulls and counting those already in the table (one more
/// each, and into *counted; their hashes also go to HyperLogLog `registers` unless it is NULL). Stops
/// at the first value not in the table or longer than max_length and returns its index (n at the end).
size_t mlops_table_count(mlops_table_slot *slots, size_t slot_count, uint8_t *registers, int precision,
                         const uint64_t *hashes, const uint8_t *kinds, const uint32_t *lengths, size_t max_length,
                         size_t from, size_t n, int64_t *counted);

#endif
