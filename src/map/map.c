/* map.c - the registry of maps and their per-partition state. */
#include "map/map.h"

#include <string.h>

#include "map/entry_ops.h"
#include "map/locks.h"
#include "member/member.h"
#include "partition/topology.h"
#include "util/alloc.h"
#include "util/clock.h"

static mg_map *map_new(mg_member *m, const uint8_t *name, size_t len)
{
    mg_map *map = mg_xcalloc(1, sizeof *map);
    map->name = mg_xstrndup((const char *)name, len);
    map->name_len = len;
    map->cfg = mg_config_map(&m->cfg, map->name, len);
    map->partition_count = m->partition_count;
    map->parts = mg_xcalloc((size_t)m->partition_count, sizeof *map->parts);
    size_t sb = (size_t)m->nworkers * sizeof *map->stats;
    map->stats = aligned_alloc(_Alignof(mg_map_stats), sb);
    if (!map->stats)
        abort();
    memset(map->stats, 0, sb);
    map->nworkers = m->nworkers;
    return map;
}

void mg_map_read_totals(const mg_map *map, mg_map_totals *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < map->nworkers; i++) {
        const mg_map_stats *st = &map->stats[i];
        out->entries += mg_mem_acct_entries(&st->acct);
        out->bytes += mg_mem_acct_bytes(&st->acct);
        out->evictions += atomic_load_explicit(&st->evictions, memory_order_relaxed);
        out->expirations += atomic_load_explicit(&st->expirations, memory_order_relaxed);
        out->refused += atomic_load_explicit(&st->refused, memory_order_relaxed);
    }
}

mg_map *mg_map_lookup(mg_worker *w, const uint8_t *name, size_t len)
{
    mg_map *map = mg_bmap_get(&w->map_cache, name, len);
    if (map)
        return map;
    mg_member *m = w->m;
    pthread_mutex_lock(&m->maps_lock);
    map = mg_bmap_get(&m->maps, name, len);
    if (!map) {
        map = map_new(m, name, len);
        mg_bmap_put(&m->maps, name, len, map);
    }
    pthread_mutex_unlock(&m->maps_lock);
    mg_bmap_put(&w->map_cache, name, len, map);
    return map;
}

mg_map *mg_map_registered(mg_member *m, const uint8_t *name, size_t len)
{
    pthread_mutex_lock(&m->maps_lock);
    mg_map *map = mg_bmap_get(&m->maps, name, len);
    pthread_mutex_unlock(&m->maps_lock);
    return map;
}

mg_map *mg_map_find(mg_worker *w, const uint8_t *name, size_t len)
{
    mg_map *map = mg_bmap_get(&w->map_cache, name, len);
    return map ? map : mg_map_registered(w->m, name, len);
}

mg_part *mg_map_part(mg_worker *w, mg_map *map, int32_t p)
{
    mg_part *part = map->parts[p];
    if (!part) {
        /* The store counts into this worker's share of the map and of the
         * member, and allocates from this worker's heap: p must be w's. */
        mg_mem_worker *mw = mg_memory_worker(w->m->memory, w->idx);
        part = mg_xcalloc(1, sizeof *part);
        part->store = mg_store_new(mw->heap, &map->stats[w->idx].acct, mw,
                                   map->cfg->eviction_policy != MG_EVICT_NONE);
        mg_bmap_init(&part->locks);
        map->parts[p] = part;
    }
    return part;
}

mg_map **mg_map_snapshot(mg_member *m, size_t *n)
{
    pthread_mutex_lock(&m->maps_lock);
    mg_map **v = mg_xmalloc((m->maps.count ? m->maps.count : 1) * sizeof *v);
    size_t i = 0, b;
    for (mg_bmap_node *nd = mg_bmap_first(&m->maps, &b); nd; nd = mg_bmap_next(&m->maps, &b, nd))
        v[i++] = nd->value;
    pthread_mutex_unlock(&m->maps_lock);
    *n = i;
    return v;
}

void mg_map_unregister(mg_member *m, mg_map *map)
{
    pthread_mutex_lock(&m->maps_lock);
    if (mg_bmap_get(&m->maps, map->name, map->name_len) == map)
        mg_bmap_remove(&m->maps, map->name, map->name_len);
    pthread_mutex_unlock(&m->maps_lock);
}

/* Entries freed per loop turn: about half a millisecond of work. */
#define REAP_BUDGET 4096

static void reap(mg_worker *w, size_t budget)
{
    while (w->reaping && budget > 0) {
        mg_part *part = w->reaping;
        if (!mg_store_free_some(part->store, &budget))
            break;
        w->reaping = part->reap_next;
        free(part);
    }
    if (!w->reaping)
        uv_idle_stop(&w->reap);
}

void mg_map_reap(uv_idle_t *idle) { reap(idle->data, REAP_BUDGET); }

static void part_free(mg_worker *w, mg_part *part, bool wake)
{
    mg_locks_drop_all(w, part, wake);
    mg_store_free(part->store);
    free(part);
}

static void forget(mg_worker *w, mg_map *map)
{
    reap(w, SIZE_MAX);   /* dropped stores count into their map's stats */
    if (mg_bmap_get(&w->map_cache, map->name, map->name_len) == map)
        mg_bmap_remove(&w->map_cache, map->name, map->name_len);
}

static void free_part(mg_worker *w, mg_map *map, int32_t p, bool wake)
{
    mg_part *part = map->parts[p];
    if (part) {
        map->parts[p] = NULL;
        part_free(w, part, wake);
    }
}

static void drop_parts(mg_worker *w, mg_map *map, bool wake)
{
    forget(w, map);
    for (int32_t p = w->idx; p < map->partition_count; p += w->m->nworkers)
        free_part(w, map, p, wake);
}

void mg_map_drop_worker_parts(mg_worker *w, mg_map *map) { drop_parts(w, map, true); }

void mg_map_forget(mg_worker *w, mg_map *map) { forget(w, map); }

void mg_map_free_part(mg_worker *w, mg_map *map, int32_t p) { free_part(w, map, p, true); }

void mg_map_move_part(mg_worker *w, mg_map *from, mg_map *to, int32_t p)
{
    mg_part *part = from->parts[p];
    if (!part)
        return;
    from->parts[p] = NULL;
    if (to->parts[p]) {
        /* Not expected: until the destroy's turn on w, w's lookups of the
         * name all give the same map, so only one of them holds p. */
        part_free(w, part, true);
        return;
    }
    mg_store_set_map_acct(part->store, &to->stats[w->idx].acct);
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&part->locks, &b); nd; nd = mg_bmap_next(&part->locks, &b, nd))
        ((mg_lock *)nd->value)->map = to;
    to->parts[p] = part;
}

/* Detaches p's part of map and queues it for mg_map_reap.  The map must
 * outlive the reaping (the store counts into its stats): a destroy reaps
 * everything left on a worker before that worker lets go of the map. */
static void unlink_part(mg_worker *w, mg_map *map, int32_t p)
{
    mg_part *part = map->parts[p];
    if (!part)
        return;
    map->parts[p] = NULL;
    mg_locks_drop_all(w, part, false);
    part->reap_next = w->reaping;
    w->reaping = part;
}

static void start_reaping(mg_worker *w)
{
    if (w->reaping && !uv_is_active((uv_handle_t *)&w->reap))
        uv_idle_start(&w->reap, mg_map_reap);
}

void mg_map_drop_partition(mg_worker *w, int32_t p)
{
    size_t n;
    mg_map **maps = mg_map_snapshot(w->m, &n);
    for (size_t i = 0; i < n; i++)
        unlink_part(w, maps[i], p);
    free(maps);
    start_reaping(w);
}

void mg_map_drop_part(mg_worker *w, mg_map *map, int32_t p)
{
    unlink_part(w, map, p);
    start_reaping(w);
}

void mg_map_free(mg_map *map)
{
    free(map->name);
    free(map->parts);
    free(map->stats);
    free(map);
}

void mg_map_worker_release(mg_worker *w)
{
    reap(w, SIZE_MAX);
    size_t n;
    mg_map **maps = mg_map_snapshot(w->m, &n);
    for (size_t i = 0; i < n; i++)
        drop_parts(w, maps[i], false);
    free(maps);
}

void mg_map_registry_free(mg_member *m)
{
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&m->maps, &b); nd; nd = mg_bmap_next(&m->maps, &b, nd))
        mg_map_free(nd->value);
    mg_bmap_free(&m->maps);
}

/* --- background expiry ------------------------------------------------------
 * Each tick visits at most SWEEP_BUDGET entries of this worker's partitions,
 * continuing where the last tick stopped, so CPU stays bounded whatever the
 * map sizes, and memory of expired keys that nobody reads comes back.
 * Partitions holding no entry with a TTL or max-idle are skipped: visiting
 * 2,048 entries of a map without expiry cost ~0.5 ms of stall every tick,
 * which is where a request's p99 latency goes. */

#define SWEEP_BUDGET 2048
#define SWEEP_PER_PART 128
#define SWEEP_MAX_EXPIRED 256

typedef struct sweep_ctx {
    int64_t now;
    mg_part *part;
    mg_entry *expired[SWEEP_MAX_EXPIRED];
    size_t n;
} sweep_ctx;

static bool collect_expired(void *arg, mg_entry *e)
{
    sweep_ctx *sc = arg;
    if (sc->n == SWEEP_MAX_EXPIRED)
        return false;   /* full: stop here so the cursor revisits the rest */
    if (mg_entry_expired(sc->part, e, sc->now))
        sc->expired[sc->n++] = e;
    return true;
}

void mg_map_sweep(mg_worker *w)
{
    size_t nmaps;
    mg_map **maps = mg_map_snapshot(w->m, &nmaps);
    if (!nmaps) {
        free(maps);
        return;
    }
    int64_t now = mg_clock_now_ms();
    size_t budget = SWEEP_BUDGET;
    int T = w->m->nworkers;
    int32_t pc = w->m->partition_count;
    /* Position = map index * partitions-per-worker + local partition index. */
    size_t per_map = (size_t)((pc - w->idx + T - 1) / T);
    size_t total = nmaps * per_map;
    for (size_t steps = 0; steps < total && budget > 0; steps++) {
        size_t pos = w->sweep_map_pos++ % total;
        mg_map *map = maps[pos / per_map];
        int32_t p = w->idx + (int32_t)(pos % per_map) * T;
        mg_part *part = map->parts[p];
        /* a backup's entries expire when its primary says so */
        if (!part || mg_store_expiring(part->store) == 0 || !mg_topology_is_primary(w->topo, p))
            continue;
        sweep_ctx sc = {.now = now, .part = part, .n = 0};
        size_t slice = budget < SWEEP_PER_PART ? budget : SWEEP_PER_PART;
        mg_store_scan(part->store, &part->scan_cursor, slice, collect_expired, &sc);
        budget -= slice;
        for (size_t i = 0; i < sc.n; i++)
            mg_entry_expire(w, map, p, part, sc.expired[i]);
    }
    mg_map_relieve_memory(w, maps, nmaps);
    free(maps);
}
