/* entry_ops.h - what happens to one entry: lazy expiry, storing with
 * TTL/max-idle within the member's memory limit, removal with its event,
 * and the size check after a write.  All run on the partition's worker. */
#ifndef MG_MAP_ENTRY_OPS_H
#define MG_MAP_ENTRY_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map/map.h"
#include "map/store.h"
#include "member/worker.h"
#include "proto/frame.h"

/* A keyed operation's context. */
typedef struct mg_kop {
    mg_worker *w;
    mg_map *map;
    mg_part *part;
    int32_t p;
    int64_t now;
    mg_bytes key;
    int64_t refused_bytes;   /* set by mg_kop_store when it refuses */
} mg_kop;

static inline mg_bytes mg_entry_key_bytes(const mg_entry *e) { return (mg_bytes){mg_entry_key(e), mg_entry_klen(e)}; }
static inline mg_bytes mg_entry_value_bytes(const mg_entry *e) { return (mg_bytes){mg_entry_value(e), mg_entry_vlen(e)}; }

/* The optional fields every entry of a map with this config carries, beside
 * those its own TTL/max-idle need (store.h): per-entry stats keep all times
 * and hits, LRU keeps last access, LFU keeps hits and creation. */
unsigned mg_map_entry_shape(const mg_map_config *cfg);

/* Expired and not locked (a locked key never expires). */
bool mg_entry_expired(mg_part *part, const mg_entry *e, int64_t now);
/* Removes an expired entry and publishes EXPIRED. */
void mg_entry_expire(mg_worker *w, mg_map *map, int32_t p, mg_part *part, mg_entry *e);
/* The live entry for the key: an expired one is removed first. */
mg_entry *mg_kop_live(mg_kop *k);

/* Writes value with the given request ttl/max-idle (ms, -1 = map default),
 * returns the new entry; *old receives the replaced live entry (caller
 * releases it with mg_kop_release after using its value) or NULL.
 *
 * Memory: the growth of the map (new entry's cost minus the old one's) is
 * reserved first (memory.h).  At the member limit, maps with an eviction
 * policy make room - this map first, then the others, on this worker's
 * partitions, a bounded number of victims, never the key being written nor
 * a locked one.  If the growth still does not fit, nothing is changed, NULL
 * is returned, k->refused_bytes holds the growth and the caller answers with
 * mg_kop_refusal.  A write that does not grow the data is never refused. */
mg_entry *mg_kop_store(mg_kop *k, mg_bytes value, int64_t ttl, int64_t max_idle, mg_entry **old);
/* The refusal's text, for the error answer (code MG_KOP_REFUSED_CODE). */
void mg_kop_refusal(const mg_kop *k, char *buf, size_t len);
void mg_map_refusal_text(mg_worker *w, const mg_map *map, int64_t bytes, char *buf, size_t len);
#define MG_KOP_REFUSED_CODE 18   /* MG_ERR_HAZELCAST: the clients show class and message */
#define MG_KOP_REFUSED_CLASS "com.hazelcast.memory.NativeOutOfMemoryError"

/* Gives a live entry the fields of `shape` (mg_store_reshape) and returns it
 * at its new address; for SetTtl, whose new TTL/max-idle may need fields the
 * entry lacks.  Growing an entry this way reserves its growth like a write;
 * returns NULL (entry unchanged, k->refused_bytes set) when it cannot. */
mg_entry *mg_kop_reshape(mg_kop *k, mg_entry *e, unsigned shape);

void mg_kop_publish(mg_kop *k, int32_t type, const mg_bytes *value, const mg_bytes *old_value);
void mg_kop_release(mg_kop *k, mg_entry *e);
/* Removes the live entry e (already looked up) and returns it unlinked. */
void mg_kop_unlink(mg_kop *k, mg_entry *e);
/* Size-based eviction after a write to this partition. */
void mg_kop_evict_if_needed(mg_kop *k, const mg_entry *just_written);
void mg_map_evict_check(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const mg_entry *exclude);

/* Background relief (from the sweep tick): when the member's data is above
 * 96 % of its limit, evicts from the maps with an eviction policy on this
 * worker's partitions (its share of what brings the member to ~92 %, at
 * most a bounded number of entries per call), so that writes on any worker
 * find room.  maps: a snapshot of the registry.  A worker that has to
 * refuse a write also asks the others for such a run at once. */
void mg_map_relieve_memory(mg_worker *w, mg_map **maps, size_t nmaps);

#endif
