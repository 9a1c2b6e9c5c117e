/* entry_ops.c - the life of one entry. */
#include "map/entry_ops.h"


#include <stdio.h>
#include <stdlib.h>

#include "map/eviction.h"
#include "map/expiry.h"
#include "map/listeners.h"
#include "map/locks.h"
#include "map/memory.h"
#include "member/member.h"
#include "partition/backup.h"
#include "partition/topology.h"
#include "util/clock.h"

/* Victims one write may cost when it has to make room: enough for entries
 * of its own size many times over, plus one per 256 bytes it needs, so a
 * big value can still displace many small ones.  The work is then bounded
 * by the request's own size, never by the map's. */
#define ROOM_VICTIMS 64
#define ROOM_BYTES_PER_VICTIM 256
/* Victims a size check after a write may take for the memory policies (the
 * entry-count ones need one per write; a bigger value may displace more). */
#define MEM_POLICY_VICTIMS 64
/* Relief: a worker can only evict its own partitions, so room for a write
 * on one worker may sit in evictable entries of another.  Two things move
 * it: every sweep tick, above RELIEF_HIGH of the limit, each worker holding
 * more than its fair share of RELIEF_LOW (RELIEF_LOW / workers) evicts down
 * to it - headroom for writes on any worker, and the force that keeps the
 * workers' shares even (without it, which worker evicts for room is a
 * random walk that ends with one worker holding everything and the other's
 * slab pages half empty); and a worker that has to refuse a write asks the
 * workers holding evictable data to free memory at once, whatever their
 * share.  Per run at most RELIEF_VICTIMS entries go, so a run never holds a
 * worker's loop for long. */
#define RELIEF_HIGH(limit) ((limit) - (limit) / 25)   /* 96 % */
#define RELIEF_LOW(limit) ((limit) - (limit) / 12)    /* ~92 % */
#define RELIEF_VICTIMS 2048

static inline mg_mem_worker *mem_worker(mg_worker *w)
{
    return mg_memory_worker(w->m->memory, w->idx);
}

unsigned mg_map_entry_shape(const mg_map_config *cfg)
{
    unsigned f = 0;
    if (cfg->per_entry_stats_enabled)
        f |= MG_EF_HITS | MG_EF_UPD | MG_EF_ACC | MG_EF_CRE;
    if (cfg->eviction_policy == MG_EVICT_LRU)
        f |= MG_EF_ACC;
    if (cfg->eviction_policy == MG_EVICT_LFU)
        f |= MG_EF_HITS | MG_EF_CRE;
    return f;
}

bool mg_entry_expired(mg_part *part, const mg_entry *e, int64_t now)
{
    if (!mg_expiry_is_expired(e, now))
        return false;
    return !mg_locked(part, mg_entry_key(e), mg_entry_klen(e));
}

static void remove_with_event(mg_worker *w, mg_map *map, int32_t p, mg_part *part, mg_entry *e,
                              int32_t type)
{
    mg_store_unlink_entry(part->store, e);
    mg_backup_note_key(w, map, p, mg_entry_key(e), mg_entry_klen(e));   /* now absent */
    if (mg_listeners_any(w, map)) {
        mg_bytes key = mg_entry_key_bytes(e), old = mg_entry_value_bytes(e);
        mg_listeners_publish(w, map, p, type, &key, NULL, &old, 1);
    }
    if (type == MG_EV_EXPIRED)
        mg_map_stat_add(&map->stats[w->idx].expirations, 1);
    else
        mg_map_stat_add(&map->stats[w->idx].evictions, 1);
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

/* ---- eviction on this worker's partitions ----------------------------------- */

typedef struct skip_ctx {
    mg_part *part;
    const mg_entry *protect;
} skip_ctx;

static bool skip_locked(void *ctx, const mg_entry *e)
{
    skip_ctx *sc = ctx;
    return e == sc->protect || mg_locked(sc->part, mg_entry_key(e), mg_entry_klen(e));
}

/* Called after each victim with the bytes it freed; true = enough. */
typedef bool (*enough_fn)(void *ctx, int64_t freed);

/* Evicts from `map`'s partitions owned by this worker, one victim per
 * partition per round (so no partition is drained while others keep their
 * old entries), starting at partition `first` or, when first < 0, at a
 * rotating position.  Stops when enough() says so (returns true), when the
 * victim budget is spent or when a whole round found nothing (false). */
static bool evict_local(mg_worker *w, mg_map *map, int32_t first, const mg_entry *protect,
                        int64_t *budget, enough_fn enough, void *ctx)
{
    int T = w->m->nworkers;
    int32_t nlocal = (map->partition_count - w->idx + T - 1) / T;
    if (nlocal <= 0 || map->cfg->eviction_policy == MG_EVICT_NONE)
        return false;
    mg_mem_worker *mw = mem_worker(w);
    int32_t start = first >= 0 ? (first - w->idx) / T : (int32_t)(mw->relief_cursor++ % (uint32_t)nlocal);
    int64_t now = mg_clock_now_ms();
    bool progress = true;
    while (progress && *budget > 0) {
        progress = false;
        for (int32_t i = 0; i < nlocal && *budget > 0; i++) {
            int32_t p = w->idx + ((start + i) % nlocal) * T;
            mg_part *part = map->parts[p];
            /* backups are not evicted on their own: their primary says what goes */
            if (!part || mg_store_count(part->store) == 0 || !mg_topology_is_primary(w->topo, p))
                continue;
            skip_ctx sc = {part, protect};
            bool expired = false;
            mg_entry *v = mg_eviction_pick(part->store, map->cfg->eviction_policy, &w->rng, NULL, now,
                                           &expired, skip_locked, &sc);
            if (!v)
                continue;
            int64_t freed = (int64_t)mg_entry_cost(v);
            remove_with_event(w, map, p, part, v, expired ? MG_EV_EXPIRED : MG_EV_EVICTED);
            (*budget)--;
            progress = true;
            if (enough(ctx, freed))
                return true;
        }
    }
    return false;
}

typedef struct room_ctx {
    mg_mem_worker *mw;
    int64_t growth;
} room_ctx;

static bool room_enough(void *ctx, int64_t freed)
{
    (void)freed;
    room_ctx *rc = ctx;
    return mg_mem_reserve(rc->mw, rc->growth);
}

typedef struct relief_task {
    mg_task base;
} relief_task;

static void run_relief(mg_worker *w, mg_task *t);

/* Asks every other worker that holds evictable data to free memory now
 * (one request in flight per worker). */
static void ask_for_relief(mg_worker *w)
{
    mg_memory *mem = w->m->memory;
    for (int i = 0; i < w->m->nworkers; i++) {
        mg_mem_worker *other = mg_memory_worker(mem, i);
        if (i == w->idx || mg_mem_acct_bytes(&other->evictable) <= 0)
            continue;
        bool no = false;
        if (!atomic_compare_exchange_strong(&other->relief_asked, &no, true))
            continue;
        relief_task *rt = malloc(sizeof *rt);
        if (!rt) {
            atomic_store(&other->relief_asked, false);
            continue;
        }
        rt->base.run = run_relief;
        mg_worker_post(&w->m->workers[i], &rt->base);
    }
}

/* Reserves `growth` bytes for a write to k's map, evicting on this worker
 * first from that map (its own partition first), then from every other map
 * with an eviction policy.  `protect` (the entry being replaced) is never a
 * victim.  When that is not enough, the other workers are asked to free
 * memory and the write is refused: the next writes find the room. */
static bool make_room(mg_kop *k, int64_t growth, const mg_entry *protect)
{
    mg_mem_worker *mw = mem_worker(k->w);
    if (mg_mem_reserve(mw, growth))
        return true;
    room_ctx rc = {mw, growth};
    int64_t budget = ROOM_VICTIMS + growth / ROOM_BYTES_PER_VICTIM;
    bool ok = false;
    if (mg_mem_acct_bytes(&mw->evictable) > 0) {
        ok = evict_local(k->w, k->map, k->p, protect, &budget, room_enough, &rc);
        if (!ok && budget > 0 && mg_mem_acct_bytes(&mw->evictable) > 0) {
            /* Under pressure only: the registry lock, once per write that
             * evicts from other maps. */
            size_t n;
            mg_map **maps = mg_map_snapshot(k->w->m, &n);
            for (size_t i = 0; i < n && !ok && budget > 0; i++)
                if (maps[i] != k->map)
                    ok = evict_local(k->w, maps[i], -1, NULL, &budget, room_enough, &rc);
            free(maps);
        }
    }
    if (!ok) {
        ask_for_relief(k->w);
        k->refused_bytes = growth;
        atomic_fetch_add_explicit(&mw->refused, 1, memory_order_relaxed);
        mg_map_stat_add(&k->map->stats[k->w->idx].refused, 1);
    }
    return ok;
}

void mg_map_refusal_text(mg_worker *w, const mg_map *map, int64_t bytes, char *buf, size_t len)
{
    long long mib = (long long)((w->m->memory->limit + (1 << 19)) >> 20);
    if (map->cfg->eviction_policy == MG_EVICT_NONE)
        snprintf(buf, len,
                 "memgrid.memory.max-size (%lld MiB) reached: map '%s' has no eviction policy; "
                 "write of %lld bytes refused",
                 mib, map->name, (long long)bytes);
    else
        snprintf(buf, len,
                 "memgrid.memory.max-size (%lld MiB) reached: evicting from map '%s' and the other "
                 "maps with an eviction policy did not free %lld bytes on this member; write refused",
                 mib, map->name, (long long)bytes);
}

void mg_kop_refusal(const mg_kop *k, char *buf, size_t len)
{
    mg_map_refusal_text(k->w, k->map, k->refused_bytes, buf, len);
}

/* ---- writes ------------------------------------------------------------------ */

mg_entry *mg_kop_store(mg_kop *k, mg_bytes value, int64_t ttl, int64_t max_idle, mg_entry **old)
{
    *old = NULL;
    mg_entry *live = mg_kop_live(k);   /* an expired entry goes first, with its EXPIRED event */
    const mg_map_config *cfg = k->map->cfg;
    int64_t ttl_ms = mg_expiry_pick(ttl, cfg->time_to_live_seconds);
    int64_t idle_ms = mg_expiry_pick(max_idle, cfg->max_idle_seconds);
    unsigned shape = mg_map_entry_shape(cfg) | mg_expiry_shape(ttl_ms, idle_ms);
    int64_t growth = (int64_t)mg_entry_cost_for(shape, k->key.len, value.len) -
                     (live ? (int64_t)mg_entry_cost(live) : 0);
    if (!make_room(k, growth, live))
        return NULL;

    mg_entry *prev = NULL;
    mg_entry *e = mg_store_put(k->part->store, k->key.ptr, k->key.len, value.ptr, value.len, shape, &prev);
    if (prev) {
        e->version = prev->version + 1;
        if (mg_entry_has(prev, MG_EF_CRE) && mg_entry_has(e, MG_EF_CRE))
            mg_entry_set_time(e, MG_EF_CRE, mg_entry_time(prev, MG_EF_CRE));
        if (mg_entry_has(prev, MG_EF_HITS) && mg_entry_has(e, MG_EF_HITS))
            mg_entry_set_u32(e, MG_EF_HITS, mg_entry_u32(prev, MG_EF_HITS));
        mg_expiry_on_access(e, k->now);   /* Hazelcast counts updating a record as one access of it */
    } else {
        if (mg_entry_has(e, MG_EF_CRE))
            mg_entry_set_time(e, MG_EF_CRE, k->now);
        if (mg_entry_has(e, MG_EF_ACC))
            mg_entry_set_time(e, MG_EF_ACC, k->now);   /* LRU orders a new entry by its creation */
    }
    mg_expiry_on_write(e, k->now, ttl_ms, idle_ms);
    *old = prev;
    return e;
}

mg_entry *mg_kop_reshape(mg_kop *k, mg_entry *e, unsigned shape)
{
    int64_t growth = (int64_t)mg_entry_cost_for(shape, mg_entry_klen(e), mg_entry_vlen(e)) -
                     (int64_t)mg_entry_cost(e);
    if (!make_room(k, growth, e))
        return NULL;
    return mg_store_reshape(k->part->store, e, shape);
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

/* ---- the size check after a write ------------------------------------------- */

void mg_map_evict_check(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const mg_entry *exclude)
{
    const mg_map_config *cfg = map->cfg;
    if (cfg->eviction_policy == MG_EVICT_NONE)
        return;
    skip_ctx sc = {part, NULL};
    int64_t now = mg_clock_now_ms();

    if (mg_eviction_counts_entries(cfg->max_size_policy)) {
        /* bounded: a write adds one entry, so a few victims restore the bound */
        for (int round = 0; round < 4; round++) {
            size_t n = mg_store_count(part->store);
            if (n == 0 || !mg_eviction_over_limit(cfg->max_size_policy, cfg->size, n,
                                                  (size_t)map->partition_count, 1))
                return;
            bool expired = false;
            mg_entry *victim = mg_eviction_pick(part->store, cfg->eviction_policy, &w->rng, exclude, now,
                                                &expired, skip_locked, &sc);
            if (!victim)
                return;
            remove_with_event(w, map, p, part, victim, expired ? MG_EV_EXPIRED : MG_EV_EVICTED);
        }
        return;
    }

    /* Memory policies: the figures are member-wide sums of per-worker
     * counters (a few cache lines), read once; each victim's cost is then
     * taken off locally. */
    mg_memory *mem = w->m->memory;
    mg_map_totals t;
    mg_map_read_totals(map, &t);
    int64_t excess = mg_eviction_excess_bytes(cfg->max_size_policy, cfg->size, t.bytes,
                                              mg_memory_used(mem), mem->limit);
    for (int round = 0; excess > 0 && round < MEM_POLICY_VICTIMS; round++) {
        if (mg_store_count(part->store) == 0)
            return;
        bool expired = false;
        mg_entry *victim = mg_eviction_pick(part->store, cfg->eviction_policy, &w->rng, exclude, now,
                                            &expired, skip_locked, &sc);
        if (!victim)
            return;
        if (victim == exclude)
            exclude = NULL;   /* freed below: never compare against it again */
        excess -= (int64_t)mg_entry_cost(victim);
        remove_with_event(w, map, p, part, victim, expired ? MG_EV_EXPIRED : MG_EV_EVICTED);
    }
}

void mg_kop_evict_if_needed(mg_kop *k, const mg_entry *just_written)
{
    mg_map_evict_check(k->w, k->map, k->p, k->part, just_written);
}

/* ---- background relief -------------------------------------------------------- */

typedef struct relief_ctx {
    int64_t want, freed;
} relief_ctx;

static bool relief_enough(void *ctx, int64_t freed)
{
    relief_ctx *rc = ctx;
    rc->freed += freed;
    return rc->freed >= rc->want;
}

/* Frees up to `want` bytes of evictable entries on this worker. */
static void relieve(mg_worker *w, mg_map **maps, size_t nmaps, int64_t want)
{
    relief_ctx rc = {want, 0};
    int64_t budget = RELIEF_VICTIMS;
    for (size_t i = 0; i < nmaps && budget > 0; i++)
        if (evict_local(w, maps[i], -1, NULL, &budget, relief_enough, &rc))
            return;
}

void mg_map_relieve_memory(mg_worker *w, mg_map **maps, size_t nmaps)
{
    mg_memory *mem = w->m->memory;
    mg_mem_worker *mw = mem_worker(w);
    if (mg_mem_acct_bytes(&mw->evictable) <= 0 || mg_memory_used(mem) <= RELIEF_HIGH(mem->limit))
        return;
    /* Every worker runs this on its own tick: each trims what it holds
     * beyond its share. */
    int64_t want = mg_mem_acct_bytes(&mw->used) - RELIEF_LOW(mem->limit) / w->m->nworkers;
    if (want > 0)
        relieve(w, maps, nmaps, want);
}

/* Asked by a worker that refused a write: free what brings the member to
 * RELIEF_LOW, or at least 1 % of the limit. */
static void run_relief(mg_worker *w, mg_task *t)
{
    free(t);
    mg_memory *mem = w->m->memory;
    atomic_store(&mem_worker(w)->relief_asked, false);
    if (w->stopping)
        return;
    int64_t want = mg_memory_used(mem) - RELIEF_LOW(mem->limit);
    if (want < mem->limit / 100)
        want = mem->limit / 100;
    size_t n;
    mg_map **maps = mg_map_snapshot(w->m, &n);
    relieve(w, maps, n, want);
    free(maps);
}
