/* eviction.c - see eviction.h. */
#include "map/eviction.h"

#include "map/expiry.h"

static inline int64_t lru_age(const mg_entry *e)
{
    /* Hazelcast sets last access at creation only for LRU-evicted maps; the
     * max makes an entry never read count as used when it was created. */
    return e->last_access_ms > e->creation_ms ? e->last_access_ms : e->creation_ms;
}

/* True when a is a better victim than b under policy. */
static bool worse(int policy, const mg_entry *a, const mg_entry *b)
{
    switch (policy) {
    case MG_EVICT_LRU:
        return lru_age(a) < lru_age(b);
    case MG_EVICT_LFU:
        return a->hits < b->hits || (a->hits == b->hits && a->creation_ms < b->creation_ms);
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

bool mg_eviction_over_limit(int max_size_policy, int64_t size, size_t entries,
                            size_t partitions_total, int members, size_t map_bytes_on_member)
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
    case MG_SIZE_USED_HEAP_SIZE:
        if ((uint64_t)size > UINT64_MAX >> 20)
            return false;
        return (uint64_t)map_bytes_on_member > (uint64_t)size << 20;
    default:
        return false;
    }
}
