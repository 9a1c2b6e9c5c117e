/* map.h - named maps and their per-partition state.
 *
 * Ownership:
 *   - mg_map is created once per name (member->maps, under maps_lock) and is
 *     read by every worker; its fields do not change after creation except
 *     `parts[p]`, which only the worker owning partition p reads or writes.
 *   - mg_part (one per map and partition) holds the record store, the lock
 *     table and the expiry cursor of that partition; owned by its worker.
 *   - Each worker caches name -> mg_map in w->map_cache so requests do not
 *     touch maps_lock.
 * Destroy: the map leaves the registry first (new requests make a fresh map),
 * then every worker drops its partitions and its cache entry, then the
 * struct is freed.
 */
#ifndef MG_MAP_MAP_H
#define MG_MAP_MAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "map/memory.h"
#include "map/store.h"
#include "member/worker.h"
#include "util/bmap.h"

typedef struct mg_part {
    struct mg_part *reap_next;  /* dropped, entries still being freed (mg_map_reap) */
    mg_store *store;
    mg_bmap locks;          /* key[4..] -> mg_lock* (map/locks.h) */
    uint64_t scan_cursor;   /* background expiry position */
} mg_part;

/* Per worker, summed on demand (mg_map_read_totals).  Written by that worker
 * only (relaxed stores), readable from any thread; one cache line each so
 * that workers do not slow each other down. */
typedef struct mg_map_stats {
    _Alignas(64) mg_mem_acct acct;   /* entries and bytes of the partitions this worker owns */
    _Atomic uint64_t evictions;      /* size, memory and evict()/evictAll removals */
    _Atomic uint64_t expirations;
    _Atomic uint64_t refused;        /* writes refused at the member memory limit */
} mg_map_stats;

/* Owner thread only: one writer, so load + store instead of an atomic RMW. */
static inline void mg_map_stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* What a map holds on this member and what happened to it (for metrics). */
typedef struct mg_map_totals {
    int64_t entries;       /* owned entries (backups arrive with the cluster) */
    int64_t bytes;         /* their memory: entries and tables (memory.h) */
    uint64_t evictions, expirations, refused;
} mg_map_totals;

typedef struct mg_map {
    char *name;
    size_t name_len;
    const mg_map_config *cfg;
    int32_t partition_count;
    mg_part **parts;            /* [partition_count], lazily created by the owner */
    mg_map_stats *stats;        /* [nworkers], 64-byte aligned */
    int nworkers;
} mg_map;

/* Sums the per-worker counters; any thread, never walks the map. */
void mg_map_read_totals(const mg_map *map, mg_map_totals *out);

/* Looks the map up (creating it on first use, as Hazelcast does). */
mg_map *mg_map_lookup(mg_worker *w, const uint8_t *name, size_t len);
/* The map w knows by that name (its cache, then the registry), or NULL:
 * never creates one.  A cached map may have left the registry already (a
 * destroy that has not reached w yet). */
mg_map *mg_map_find(mg_worker *w, const uint8_t *name, size_t len);
/* The map registered under that name, or NULL (any thread). */
mg_map *mg_map_registered(mg_member *m, const uint8_t *name, size_t len);
/* The partition's state, created on first use.  Caller is p's worker. */
mg_part *mg_map_part(mg_worker *w, mg_map *map, int32_t p);
/* Existing partition state or NULL. */
static inline mg_part *mg_map_part_if(mg_map *map, int32_t p) { return map->parts[p]; }

/* Snapshot of all maps (for whole-member passes); caller frees the array. */
mg_map **mg_map_snapshot(mg_member *m, size_t *n);

/* Destroy support: unregister (any thread), per-worker drop, final free. */
void mg_map_unregister(mg_member *m, mg_map *map);
void mg_map_drop_worker_parts(mg_worker *w, mg_map *map);
/* The same one partition at a time: mg_map_forget first (w's lookups no
 * longer give map, and nothing w is still freeing refers to it), then
 * mg_map_free_part, or mg_map_move_part to hand p's part over to `to` (the
 * map made anew under the name; were it to hold p already, from's part is
 * freed instead). */
void mg_map_forget(mg_worker *w, mg_map *map);
void mg_map_free_part(mg_worker *w, mg_map *map, int32_t p);
void mg_map_move_part(mg_worker *w, mg_map *from, mg_map *to, int32_t p);
void mg_map_free(mg_map *map);
/* Frees partition p of every map (p's worker): the member no longer holds
 * a replica of it, or must take a fresh copy. */
void mg_map_drop_partition(mg_worker *w, int32_t p);
/* Frees partition p of one map the same way (p's worker). */
void mg_map_drop_part(mg_worker *w, mg_map *map, int32_t p);
/* Dropped partitions free their entries a slice per loop turn, so that a
 * member handing away a hundred partitions does not stall its requests for
 * the tens of milliseconds a whole free takes; the worker's idle handle runs
 * this until nothing is left. */
void mg_map_reap(uv_idle_t *idle);

/* Background expiry, and eviction when the member nears its memory limit:
 * a bounded slice per tick on this worker's partitions. */
void mg_map_sweep(mg_worker *w);
/* Frees this worker's partitions of every map (worker shutdown). */
void mg_map_worker_release(mg_worker *w);
void mg_map_registry_free(mg_member *m);

#endif
