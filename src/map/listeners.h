/* listeners.h - entry listener registrations and event publishing.
 *
 * Every worker keeps its own copy of all registrations (w->listeners, map name
 * -> mg_listener_list): registering fans out to all workers, and a worker that
 * changes an entry publishes the event from its own copy without a lock.
 * Events for one key are produced by the key's partition worker in the order
 * it applied the changes, and reach the connection's worker in that order.
 */
#ifndef MG_MAP_LISTENERS_H
#define MG_MAP_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>

#include "map/map.h"
#include "member/worker.h"
#include "proto/frame.h"

/* Entry event types and listener flag bits (the same numbers). */
enum {
    MG_EV_ADDED = 1, MG_EV_REMOVED = 2, MG_EV_UPDATED = 4, MG_EV_EVICTED = 8,
    MG_EV_EXPIRED = 16, MG_EV_EVICT_ALL = 32, MG_EV_CLEAR_ALL = 64,
};

typedef struct mg_listener {
    mg_uuid id;
    mg_conn_ref conn;
    int64_t corr;            /* of the registration request: events carry it */
    uint32_t event_type;     /* message type of the events for this registration */
    int32_t flags;
    bool include_value;
    size_t klen;             /* 0 = every key */
    uint8_t *key;
} mg_listener;

typedef struct mg_listener_list {
    mg_listener *v;
    size_t n, cap;
} mg_listener_list;

void mg_listeners_add(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *l);
bool mg_listeners_remove(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id);
void mg_listeners_drop_conn(mg_worker *w, mg_conn_ref conn);
void mg_listeners_drop_map(mg_worker *w, const uint8_t *map_name, size_t name_len);
void mg_listeners_free(mg_worker *w);
bool mg_listeners_any(mg_worker *w, const mg_map *map);

/* Publishes an entry event (key non-NULL) or a map event (key NULL, with
 * `affected`) to matching registrations. */
void mg_listeners_publish(mg_worker *w, const mg_map *map, int32_t partition, int32_t type,
                          const mg_bytes *key, const mg_bytes *value, const mg_bytes *old_value,
                          int32_t affected);

#endif
