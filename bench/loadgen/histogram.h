/* histogram.h - latency histogram with log-linear buckets.
 *
 * Values are nanoseconds (any non-negative int64).  Below 2^SUB_BITS every
 * value has its own bucket; above, each power of two [2^e, 2^(e+1)) is cut
 * into 2^SUB_BITS equal buckets.  So a recorded value is known to within
 * 1/2^SUB_BITS of itself (0.8 % with 7 bits) whatever its size, in a fixed
 * array: recording is a count increment, no allocation, and histograms of
 * different threads merge by adding counts.
 *
 *   index 0 .. 127               value = index (exact)
 *   index o*128 + s, o >= 1      value in [(128 + s) << (o - 1), (129 + s) << (o - 1))
 *
 * Owner: one thread records into it; merging happens after that thread
 * stopped.
 */
#ifndef BENCH_HISTOGRAM_H
#define BENCH_HISTOGRAM_H

#include <stdint.h>

#define BH_SUB_BITS 7
#define BH_SUB (1 << BH_SUB_BITS)
/* Octave 0 is the exact range; values up to 2^63 need 63 - 7 + 1 more. */
#define BH_OCTAVES (64 - BH_SUB_BITS + 1)
#define BH_BUCKETS (BH_OCTAVES * BH_SUB)

typedef struct bhist {
    uint64_t count;
    int64_t min, max;
    double sum;                    /* for the mean; double avoids overflow */
    uint64_t bucket[BH_BUCKETS];
} bhist;

void bhist_init(bhist *h);
void bhist_record(bhist *h, int64_t v);
void bhist_merge(bhist *into, const bhist *from);
/* Smallest recorded-equivalent value v such that at least pct % of the
 * values are <= v (the upper edge of the bucket the rank falls in, capped
 * by the largest value seen); 0 for an empty histogram. */
int64_t bhist_percentile(const bhist *h, double pct);
double bhist_mean(const bhist *h);

#endif
