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
#include "map/store.h"
#include "member/worker.h"
#include "util/bmap.h"

typedef struct mg_part {
    mg_store *store;
    mg_bmap locks;          /* key[4..] -> mg_lock* (map/locks.h) */
    uint64_t scan_cursor;   /* background expiry position */
} mg_part;

typedef struct mg_map_stats {   /* per worker, summed on demand; owned by the worker */
    uint64_t evictions;
    uint64_t expirations;
} mg_map_stats;

typedef struct mg_map {
    char *name;
    size_t name_len;
    const mg_map_config *cfg;
    int32_t partition_count;
    mg_part **parts;            /* [partition_count], lazily created by the owner */
    mg_map_stats *stats;        /* [nworkers] */
} mg_map;

/* Looks the map up (creating it on first use, as Hazelcast does). */
mg_map *mg_map_lookup(mg_worker *w, const uint8_t *name, size_t len);
/* The partition's state, created on first use.  Caller is p's worker. */
mg_part *mg_map_part(mg_worker *w, mg_map *map, int32_t p);
/* Existing partition state or NULL. */
static inline mg_part *mg_map_part_if(mg_map *map, int32_t p) { return map->parts[p]; }

/* Snapshot of all maps (for whole-member passes); caller frees the array. */
mg_map **mg_map_snapshot(mg_member *m, size_t *n);

/* Destroy support: unregister (any thread), per-worker drop, final free. */
void mg_map_unregister(mg_member *m, mg_map *map);
void mg_map_drop_worker_parts(mg_worker *w, mg_map *map);
void mg_map_free(mg_map *map);

/* Background expiry: a bounded slice per tick on this worker's partitions. */
void mg_map_sweep(mg_worker *w);
/* Frees this worker's partitions of every map (worker shutdown). */
void mg_map_worker_release(mg_worker *w);
void mg_map_registry_free(mg_member *m);

#endif
