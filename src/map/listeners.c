/* listeners.c - this worker's copy of the listener registrations. */
#include "map/listeners.h"

#include <string.h>

#include "map/listener_remote.h"
#include "member/member.h"
#include "partition/topology.h"
#include "proto/codecs/map_codecs.h"
#include "util/alloc.h"

static mg_listener_list *list_of(mg_worker *w, const uint8_t *name, size_t len, bool create)
{
    mg_listener_list *l = mg_bmap_get(&w->listeners, name, len);
    if (!l && create) {
        l = mg_xcalloc(1, sizeof *l);
        mg_bmap_put(&w->listeners, name, len, l);
    }
    return l;
}

static void remove_at(mg_listener_list *l, size_t i)
{
    free(l->v[i].key);
    l->v[i] = l->v[--l->n];
}

static bool same_id(const mg_listener *l, const mg_uuid *id)
{
    return l->id.msb == id->msb && l->id.lsb == id->lsb;
}

void mg_listeners_add(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *src)
{
    mg_listener_list *l = list_of(w, map_name, name_len, true);
    /* A member may get the same remote copy twice (a resent LISTEN_ADD). */
    for (size_t i = 0; i < l->n; i++)
        if (same_id(&l->v[i], &src->id)) {
            remove_at(l, i);
            break;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = mg_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    mg_listener *d = &l->v[l->n++];
    *d = *src;
    if (src->klen) {   /* each worker owns its copy of the key */
        d->key = mg_xmalloc(src->klen);
        memcpy(d->key, src->key, src->klen);
    }
}

bool mg_listeners_remove(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id,
                         bool *cluster_wide)
{
    mg_listener_list *l = list_of(w, map_name, name_len, false);
    if (!l)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        if (!l->v[i].remote && same_id(&l->v[i], id)) {
            if (cluster_wide)
                *cluster_wide = l->v[i].cluster_wide;
            remove_at(l, i);
            return true;
        }
    }
    return false;
}

/* Removes the remote copies for which drop(ctx, l) holds, in every map. */
static bool drop_remote_if(mg_worker *w, bool (*drop)(const void *ctx, const mg_listener *l), const void *ctx)
{
    bool any = false;
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&w->listeners, &b); nd;
         nd = mg_bmap_next(&w->listeners, &b, nd)) {
        mg_listener_list *l = nd->value;
        for (size_t i = 0; i < l->n;) {
            if (l->v[i].remote && drop(ctx, &l->v[i])) {
                remove_at(l, i);
                any = true;
            } else {
                i++;
            }
        }
    }
    return any;
}

static bool has_id(const void *ctx, const mg_listener *l) { return same_id(l, ctx); }

bool mg_listeners_remove_remote(mg_worker *w, const mg_uuid *id)
{
    return drop_remote_if(w, has_id, id);
}

static bool departed(const void *ctx, const mg_listener *l)
{
    return mg_cl_list_find(ctx, &l->subscriber) < 0;
}

void mg_listeners_drop_departed(mg_worker *w, const mg_cl_list *list)
{
    drop_remote_if(w, departed, list);
}

void mg_listeners_each(mg_worker *w,
                       void (*fn)(void *ctx, const uint8_t *map_name, size_t name_len, const mg_listener *l),
                       void *ctx)
{
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&w->listeners, &b); nd;
         nd = mg_bmap_next(&w->listeners, &b, nd)) {
        mg_listener_list *l = nd->value;
        for (size_t i = 0; i < l->n; i++)
            fn(ctx, nd->key, nd->klen, &l->v[i]);
    }
}

const mg_listener *mg_listeners_find(mg_worker *w, const uint8_t *map_name, size_t name_len,
                                     const mg_uuid *id)
{
    mg_listener_list *l = list_of(w, map_name, name_len, false);
    for (size_t i = 0; l && i < l->n; i++)
        if (same_id(&l->v[i], id))
            return &l->v[i];
    return NULL;
}

void mg_listeners_drop_conn(mg_worker *w, mg_conn_ref conn)
{
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&w->listeners, &b); nd;
         nd = mg_bmap_next(&w->listeners, &b, nd)) {
        mg_listener_list *l = nd->value;
        for (size_t i = 0; i < l->n;) {
            if (!l->v[i].remote && l->v[i].conn.worker == conn.worker && l->v[i].conn.id == conn.id)
                remove_at(l, i);
            else
                i++;
        }
    }
}

static void list_free(mg_listener_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
    free(l);
}

void mg_listeners_drop_map(mg_worker *w, const uint8_t *map_name, size_t name_len)
{
    mg_listener_list *l = mg_bmap_remove(&w->listeners, map_name, name_len);
    if (l)
        list_free(l);
}

void mg_listeners_free(mg_worker *w)
{
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&w->listeners, &b); nd;
         nd = mg_bmap_next(&w->listeners, &b, nd))
        list_free(nd->value);
    mg_bmap_free(&w->listeners);
}

bool mg_listeners_any(mg_worker *w, const mg_map *map)
{
    if (w->listeners.count == 0)
        return false;
    mg_listener_list *l = list_of(w, (const uint8_t *)map->name, map->name_len, false);
    return l && l->n > 0;
}

static bool key_matches(const mg_listener *l, const mg_bytes *key)
{
    if (!l->klen || !key)   /* map-wide events (CLEAR_ALL, EVICT_ALL) reach every listener */
        return true;
    return key && key->len == l->klen && l->klen >= 4 &&
           memcmp(key->ptr + 4, l->key + 4, l->klen - 4) == 0;
}

/* The client message of one event for a connection-side registration: the
 * one encoder of local and forwarded events. */
static void encode_event(mg_buf *b, const mg_listener *li, const mg_entry_event *ev, const mg_uuid *member)
{
    const mg_bytes *v = li->include_value ? ev->value : NULL;
    const mg_bytes *o = li->include_value ? ev->old_value : NULL;
    int32_t partition = ev->key ? ev->partition : -1;
    /* Both registration kinds share the event layout; only the type differs. */
    if (li->event_type == MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_EVENT_ENTRY)
        mg_map_add_entry_listener_to_key_event_entry_encode(b, li->corr, partition, ev->key, v, o, NULL,
                                                            ev->type, member, ev->affected);
    else
        mg_map_add_entry_listener_event_entry_encode(b, li->corr, partition, ev->key, v, o, NULL, ev->type,
                                                     member, ev->affected);
}

void mg_listeners_publish(mg_worker *w, const mg_map *map, int32_t partition, int32_t type,
                          const mg_bytes *key, const mg_bytes *value, const mg_bytes *old_value,
                          int32_t affected)
{
    if (w->listeners.count == 0)
        return;
    mg_listener_list *l = list_of(w, (const uint8_t *)map->name, map->name_len, false);
    if (!l || l->n == 0)
        return;
    const mg_uuid *member = &w->topo->self;
    mg_entry_event ev = {.partition = key ? partition : -1, .type = type, .affected = affected,
                         .key = key, .value = value, .old_value = old_value};
    mg_buf b;
    mg_buf_init(&b);
    for (size_t i = 0; i < l->n; i++) {
        const mg_listener *li = &l->v[i];
        if (!(li->flags & type) || !key_matches(li, key))
            continue;
        if (li->remote) {
            mg_listener_remote_forward(w, (const uint8_t *)map->name, map->name_len, li, &ev, &b);
            continue;
        }
        encode_event(&b, li, &ev, member);
        mg_worker_send(w, li->conn, &b);
    }
    mg_buf_free(&b);
}

bool mg_listeners_deliver(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id,
                          const mg_entry_event *ev, const mg_uuid *member)
{
    const mg_listener *li = mg_listeners_find(w, map_name, name_len, id);
    if (!li || li->remote)
        return false;
    /* The publisher filtered already; checked again for a registration
     * that changed meanwhile (a copy replaced under the same id). */
    if (!(li->flags & ev->type) || !key_matches(li, ev->key))
        return true;
    mg_buf b;
    mg_buf_init(&b);
    encode_event(&b, li, ev, member);
    mg_worker_send(w, li->conn, &b);
    mg_buf_free(&b);
    return true;
}
