/* entry_ops.c - the life of one entry. */
#include "map/entry_ops.h"

#include "map/eviction.h"
#include "map/expiry.h"
#include "map/listeners.h"
#include "map/locks.h"
#include "member/member.h"
#include "util/clock.h"

bool mg_entry_expired(mg_part *part, const mg_entry *e, int64_t now)
{
    if (!mg_expiry_is_expired(e, now))
        return false;
    return !mg_locked(part, mg_entry_key(e), e->klen);
}

static void remove_with_event(mg_worker *w, mg_map *map, int32_t p, mg_part *part, mg_entry *e,
                              int32_t type)
{
    mg_store_unlink_entry(part->store, e);
    if (mg_listeners_any(w, map)) {
        mg_bytes key = mg_entry_key_bytes(e), old = mg_entry_value_bytes(e);
        mg_listeners_publish(w, map, p, type, &key, NULL, &old, 1);
    }
    if (type == MG_EV_EXPIRED)
        map->stats[w->idx].expirations++;
    else
        map->stats[w->idx].evictions++;
    mg_store_release(part->store, e);
}

void mg_entry_expire(mg_worker *w, mg_map *map, int32_t p, mg_part *part, mg_entry *e)
{
    remove_with_event(w, map, p, part, e, MG_EV_EXPIRED);
}

mg_entry *mg_kop_live(mg_kop *k)
{
    mg_entry *e = mg_store_get(k->part->store, k->key.ptr, k->key.len);
    if (e && mg_entry_expired(k->part, e, k->now)) {
        mg_entry_expire(k->w, k->map, k->p, k->part, e);
        return NULL;
    }
    return e;
}

void mg_kop_publish(mg_kop *k, int32_t type, const mg_bytes *value, const mg_bytes *old_value)
{
    if (mg_listeners_any(k->w, k->map))
        mg_listeners_publish(k->w, k->map, k->p, type, &k->key, value, old_value, 1);
}

mg_entry *mg_kop_store(mg_kop *k, mg_bytes value, int64_t ttl, int64_t max_idle, mg_entry **old)
{
    mg_kop_live(k);   /* an expired entry goes first, with its EXPIRED event */
    mg_entry *prev = NULL;
    mg_entry *e = mg_store_put(k->part->store, k->key.ptr, k->key.len, value.ptr, value.len, &prev);
    if (prev) {
        /* Hazelcast counts updating a record as one access of it */
        e->version = prev->version + 1;
        e->creation_ms = prev->creation_ms;
        e->hits = prev->hits;
        e->last_access_ms = prev->last_access_ms;
        mg_expiry_on_access(e, k->now);
    } else {
        e->version = 0;
        e->creation_ms = k->now;
        e->last_access_ms = k->now;   /* LRU orders a new entry by its creation */
    }
    const mg_map_config *cfg = k->map->cfg;
    mg_expiry_on_write(e, k->now, mg_expiry_pick(ttl, cfg->time_to_live_seconds),
                       mg_expiry_pick(max_idle, cfg->max_idle_seconds));
    *old = prev;
    return e;
}

void mg_kop_release(mg_kop *k, mg_entry *e)
{
    if (e)
        mg_store_release(k->part->store, e);
}

void mg_kop_unlink(mg_kop *k, mg_entry *e)
{
    mg_store_unlink_entry(k->part->store, e);
}

static bool skip_locked(void *ctx, const mg_entry *e)
{
    return mg_locked(ctx, mg_entry_key(e), e->klen);
}

void mg_map_evict_check(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const mg_entry *exclude)
{
    const mg_map_config *cfg = map->cfg;
    if (cfg->eviction_policy == MG_EVICT_NONE)
        return;
    /* bounded: a write adds one entry, so a few victims restore the bound */
    for (int round = 0; round < 4; round++) {
        size_t n = mg_store_count(part->store);
        if (n == 0 || !mg_eviction_over_limit(cfg->max_size_policy, cfg->size, n,
                                              (size_t)map->partition_count, 1,
                                              /* memory policies: this partition scaled to the map (issue: exact per-map accounting) */
                                              mg_store_bytes(part->store) * (size_t)map->partition_count))
            return;
        bool expired = false;
        mg_entry *victim = mg_eviction_pick(part->store, cfg->eviction_policy, &w->rng, exclude,
                                            mg_clock_now_ms(), &expired, skip_locked, part);
        if (!victim)
            return;
        remove_with_event(w, map, p, part, victim, expired ? MG_EV_EXPIRED : MG_EV_EVICTED);
    }
}

void mg_kop_evict_if_needed(mg_kop *k, const mg_entry *just_written)
{
    mg_map_evict_check(k->w, k->map, k->p, k->part, just_written);
}
