/* listeners.c - this worker's copy of the listener registrations. */
#include "map/listeners.h"

#include <string.h>

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

void mg_listeners_add(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *src)
{
    mg_listener_list *l = list_of(w, map_name, name_len, true);
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

static void remove_at(mg_listener_list *l, size_t i)
{
    free(l->v[i].key);
    l->v[i] = l->v[--l->n];
}

bool mg_listeners_remove(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_uuid *id)
{
    mg_listener_list *l = list_of(w, map_name, name_len, false);
    if (!l)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].id.msb == id->msb && l->v[i].id.lsb == id->lsb) {
            remove_at(l, i);
            return true;
        }
    }
    return false;
}

void mg_listeners_drop_conn(mg_worker *w, mg_conn_ref conn)
{
    size_t b;
    for (mg_bmap_node *nd = mg_bmap_first(&w->listeners, &b); nd;
         nd = mg_bmap_next(&w->listeners, &b, nd)) {
        mg_listener_list *l = nd->value;
        for (size_t i = 0; i < l->n;) {
            if (l->v[i].conn.worker == conn.worker && l->v[i].conn.id == conn.id)
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
    mg_buf b;
    mg_buf_init(&b);
    for (size_t i = 0; i < l->n; i++) {
        const mg_listener *li = &l->v[i];
        if (!(li->flags & type) || !key_matches(li, key))
            continue;
        const mg_bytes *v = li->include_value ? value : NULL;
        const mg_bytes *o = li->include_value ? old_value : NULL;
        /* Both registration kinds share the event layout; only the type differs. */
        if (li->event_type == MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_EVENT_ENTRY)
            mg_map_add_entry_listener_to_key_event_entry_encode(
                &b, li->corr, key ? partition : -1, key, v, o, NULL, type, member, affected);
        else
            mg_map_add_entry_listener_event_entry_encode(
                &b, li->corr, key ? partition : -1, key, v, o, NULL, type, member, affected);
        mg_worker_send(w, li->conn, &b);
    }
    mg_buf_free(&b);
}
