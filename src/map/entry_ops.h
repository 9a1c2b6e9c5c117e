/* entry_ops.h - what happens to one entry: lazy expiry, storing with
 * TTL/max-idle, removal with its event, and the size check after a write.
 * All run on the partition's worker. */
#ifndef MG_MAP_ENTRY_OPS_H
#define MG_MAP_ENTRY_OPS_H

#include <stdbool.h>
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
} mg_kop;

static inline mg_bytes mg_entry_key_bytes(const mg_entry *e) { return (mg_bytes){mg_entry_key(e), e->klen}; }
static inline mg_bytes mg_entry_value_bytes(const mg_entry *e) { return (mg_bytes){mg_entry_value(e), e->vlen}; }

/* Expired and not locked (a locked key never expires). */
bool mg_entry_expired(mg_part *part, const mg_entry *e, int64_t now);
/* Removes an expired entry and publishes EXPIRED. */
void mg_entry_expire(mg_worker *w, mg_map *map, int32_t p, mg_part *part, mg_entry *e);
/* The live entry for the key: an expired one is removed first. */
mg_entry *mg_kop_live(mg_kop *k);

/* Writes value with the given request ttl/max-idle (ms, -1 = map default),
 * returns the new entry; *old receives the replaced live entry (caller
 * releases it with mg_kop_release after using its value) or NULL.  Publishes
 * ADDED/UPDATED unless `quiet`; `event_old` overrides the old value the
 * UPDATED event carries (ReplaceIfSame reports the test value). */
mg_entry *mg_kop_store(mg_kop *k, mg_bytes value, int64_t ttl, int64_t max_idle, mg_entry **old);
void mg_kop_publish(mg_kop *k, int32_t type, const mg_bytes *value, const mg_bytes *old_value);
void mg_kop_release(mg_kop *k, mg_entry *e);
/* Removes the live entry e (already looked up) and returns it unlinked. */
void mg_kop_unlink(mg_kop *k, mg_entry *e);
/* Size-based eviction after a write to this partition. */
void mg_kop_evict_if_needed(mg_kop *k, const mg_entry *just_written);
void mg_map_evict_check(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const mg_entry *exclude);

#endif
