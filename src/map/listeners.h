/* listeners.h - entry listener registrations and event publishing.
 *
 * Every worker keeps its own copy of all registrations (w->listeners, map name
 * -> mg_listener_list): registering fans out to all workers, and a worker that
 * changes an entry publishes the event from its own copy without a lock.
 * Events for one key are produced by the key's partition worker in the order
 * it applied the changes, and reach the connection's worker in that order.
 *
 * Two kinds of entries share the lists.  A connection-side registration
 * names a client connection of this member; when the client asked with
 * localOnly=false it is `cluster_wide`, and every other member holds a
 * `remote` copy naming this member as subscriber: events that fire there are
 * sent here over the member link (map/listener_remote.h) and delivered by
 * mg_listeners_deliver, through the same encoder as local events.
 */
#ifndef MG_MAP_LISTENERS_H
#define MG_MAP_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/member_list.h"
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
    mg_conn_ref conn;        /* connection-side: the client's connection */
    int64_t corr;            /* of the registration request: events carry it */
    uint32_t event_type;     /* message type of the events for this registration */
    int32_t flags;
    bool include_value;
    bool cluster_wide;       /* connection-side, localOnly=false: other members hold remote copies */
    bool remote;             /* a copy for member `subscriber`: events go there, not to `conn` */
    mg_uuid subscriber;      /* remote: the member holding the client connection */
    int32_t sub_worker;      /* remote: the subscriber's worker of that connection */
    size_t klen;             /* 0 = every key */
    uint8_t *key;
} mg_listener;

/* One event as published: key NULL for map-wide events (CLEAR_ALL,
 * EVICT_ALL), value / old_value NULL when there is none. */
typedef struct mg_entry_event {
    int32_t partition;       /* the key's, -1 for map-wide events */
    int32_t type;            /* MG_EV_* */
    int32_t affected;
    const mg_bytes *key, *value, *old_value;
} mg_entry_event;

typedef struct mg_listener_list {
    mg_listener *v;
    size_t n, cap;
} mg_listener_list;

/* Adds a copy of l (and of its key); an entry with the same id is replaced,
 * so a remote copy sent twice is kept once. */
void mg_listeners_add(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *l);
/* Removes the connection-side registration `id` of the map; *cluster_wide
 * (may be NULL) tells whether other members hold copies of it. */
bool mg_listeners_remove(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id,
                         bool *cluster_wide);
/* Removes the remote copy `id`, whatever its map. */
bool mg_listeners_remove_remote(mg_worker *w, const mg_uuid *id);
/* Remote copies whose subscriber is not in `list` (it left or died). */
void mg_listeners_drop_departed(mg_worker *w, const mg_cl_list *list);
/* The connection-side registrations of conn (remote copies stay). */
void mg_listeners_drop_conn(mg_worker *w, mg_conn_ref conn);
/* Calls fn for every entry of this worker's copy; fn must not add or remove. */
void mg_listeners_each(mg_worker *w,
                       void (*fn)(void *ctx, const uint8_t *map_name, size_t name_len, const mg_listener *l),
                       void *ctx);
/* The entry `id` of the map's list, either kind; NULL when there is none. */
const mg_listener *mg_listeners_find(mg_worker *w, const uint8_t *map_name, size_t name_len,
                                     const mg_uuid *id);
void mg_listeners_drop_map(mg_worker *w, const uint8_t *map_name, size_t name_len);
void mg_listeners_free(mg_worker *w);
bool mg_listeners_any(mg_worker *w, const mg_map *map);

/* Publishes an entry event (key non-NULL) or a map event (key NULL, with
 * `affected`) to matching registrations. */
void mg_listeners_publish(mg_worker *w, const mg_map *map, int32_t partition, int32_t type,
                          const mg_bytes *key, const mg_bytes *value, const mg_bytes *old_value,
                          int32_t affected);

/* An event another member published (`member`) for the connection-side
 * registration `id`: encoded and sent to its client like a local one.
 * False when this worker holds no such registration (it was removed). */
bool mg_listeners_deliver(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id,
                          const mg_entry_event *ev, const mg_uuid *member);

#endif
