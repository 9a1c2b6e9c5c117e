/* eviction.c - see eviction.h. */
#include "map/eviction.h"

#include "map/expiry.h"

static inline int64_t time_or_0(const mg_entry *e, unsigned f)
{
    return mg_entry_has(e, f) ? mg_entry_time(e, f) : 0;
}

static inline uint32_t hits_or_0(const mg_entry *e)
{
    return mg_entry_has(e, MG_EF_HITS) ? mg_entry_u32(e, MG_EF_HITS) : 0;
}

static inline int64_t lru_age(const mg_entry *e)
{
    /* Last access is set at creation, so it already is max(creation, last
     * access); the creation time is a fallback for entries (per-entry-stats
     * maps) that keep both. */
    int64_t a = time_or_0(e, MG_EF_ACC), c = time_or_0(e, MG_EF_CRE);
    return a > c ? a : c;
}

/* True when a is a better victim than b under policy. */
static bool worse(int policy, const mg_entry *a, const mg_entry *b)
{
    switch (policy) {
    case MG_EVICT_LRU:
        return lru_age(a) < lru_age(b);
    case MG_EVICT_LFU: {
        uint32_t ha = hits_or_0(a), hb = hits_or_0(b);
        return ha < hb || (ha == hb && time_or_0(a, MG_EF_CRE) < time_or_0(b, MG_EF_CRE));
    }
    default:   /* RANDOM: the sample order already is the random choice */
        return false;
    }
}

mg_entry *mg_eviction_pick(mg_store *s, int policy, uint64_t *rng, const mg_entry *exclude,
                           int64_t now, bool *is_expired,
                           mg_eviction_skip_fn skip, void *skip_ctx)
{
    *is_expired = false;
    if (policy != MG_EVICT_LRU && policy != MG_EVICT_LFU && policy != MG_EVICT_RANDOM)
        return NULL;

    mg_entry *sample[MG_EVICTION_SAMPLE];
    size_t n = mg_store_sample(s, rng, sample, MG_EVICTION_SAMPLE);
    mg_entry *best = NULL;
    bool saw_exclude = false;

    for (size_t i = 0; i < n; i++) {
        mg_entry *e = sample[i];
        if (skip && skip(skip_ctx, e))
            continue;
        if (mg_expiry_is_expired(e, now)) {
            *is_expired = true;
            return e;
        }
        if (e == exclude) {
            saw_exclude = true;
            continue;
        }
        if (!best || worse(policy, e, best))
            best = e;
    }
    if (!best && saw_exclude)
        return (mg_entry *)exclude;
    return best;
}

bool mg_eviction_counts_entries(int max_size_policy)
{
    return max_size_policy == MG_SIZE_PER_NODE || max_size_policy == MG_SIZE_ENTRY_COUNT ||
           max_size_policy == MG_SIZE_PER_PARTITION;
}

bool mg_eviction_over_limit(int max_size_policy, int64_t size, size_t entries,
                            size_t partitions_total, int members)
{
    if (size <= 0 || entries == 0)
        return false;

    switch (max_size_policy) {
    case MG_SIZE_PER_NODE:
    case MG_SIZE_ENTRY_COUNT: {
        uint64_t m = members > 0 ? (uint64_t)members : 1;
        uint64_t p = partitions_total > 0 ? partitions_total : 1;
        uint64_t sz = (uint64_t)size;
        /* size * members overflows only for absurd sizes; they are unlimited. */
        if (sz > UINT64_MAX / m)
            return false;
        uint64_t quota = sz * m / p;
        if (quota < 1)
            quota = 1;   /* Hazelcast raises a quotient < 1 to 1 (and warns) */
        return entries > quota;
    }
    case MG_SIZE_PER_PARTITION:
        return (uint64_t)entries > (uint64_t)size;
    default:
        return false;
    }
}

int64_t mg_eviction_excess_bytes(int max_size_policy, int64_t size, int64_t map_bytes,
                                 int64_t member_used, int64_t limit)
{
    /* size is an int32 from config: MiB and percentages fit in int64. */
    if (size <= 0)
        return 0;
    int64_t free_bytes = limit - member_used;
    switch (max_size_policy) {
    case MG_SIZE_USED_HEAP_SIZE:
        return map_bytes - (size << 20);
    case MG_SIZE_USED_HEAP_PERCENTAGE:
        return map_bytes - (int64_t)((double)limit * (double)size / 100.0);
    case MG_SIZE_FREE_HEAP_SIZE:
        return (size << 20) - free_bytes;
    case MG_SIZE_FREE_HEAP_PERCENTAGE:
        return (int64_t)((double)limit * (double)size / 100.0) - free_bytes;
    default:
        return 0;
    }
}
