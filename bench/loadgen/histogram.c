/* histogram.c - see histogram.h for the bucket layout. */
#include "histogram.h"

#include <string.h>

void bhist_init(bhist *h)
{
    memset(h, 0, sizeof *h);
    h->min = INT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < BH_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);   /* v in [2^e, 2^(e+1)) */
    unsigned shift = e - BH_SUB_BITS;
    /* The SUB_BITS bits below the leading one pick the sub-bucket. */
    unsigned sub = (unsigned)(v >> shift) & (BH_SUB - 1);
    return (shift + 1) * BH_SUB + sub;
}

/* Largest value that lands in bucket i. */
static int64_t bucket_top(unsigned i)
{
    unsigned o = i / BH_SUB, s = i % BH_SUB;
    if (o == 0)
        return s;
    uint64_t lo = (uint64_t)(BH_SUB + s) << (o - 1);
    uint64_t width = (uint64_t)1 << (o - 1);
    uint64_t top = lo + width - 1;
    return top > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)top;
}

void bhist_record(bhist *h, int64_t v)
{
    if (v < 0)
        v = 0;   /* a clock step backwards; never seen with CLOCK_MONOTONIC */
    h->bucket[bucket_of((uint64_t)v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void bhist_merge(bhist *into, const bhist *from)
{
    if (from->count == 0)
        return;
    for (unsigned i = 0; i < BH_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

int64_t bhist_percentile(const bhist *h, double pct)
{
    if (h->count == 0)
        return 0;
    if (pct >= 100.0)
        return h->max;
    /* Rank of the value asked for, 1-based, rounded up: p50 of 3 values is
     * the 2nd, p99 of 100 values the 99th. */
    double want = pct / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < BH_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            int64_t top = bucket_top(i);
            return top < h->max ? top : h->max;
        }
    }
    return h->max;
}

double bhist_mean(const bhist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
