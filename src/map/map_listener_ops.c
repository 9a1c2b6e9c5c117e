/* map_listener_ops.c - adding and removing entry listeners.  A registration
 * is copied to every worker before the client gets its id, so no event that
 * happens after the answer can be missed.  One made with localOnly=false
 * is copied to every other member of the cluster as well before the
 * answer, and removed from them before a removal is answered
 * (listener_remote.h). */
#include <string.h>

#include "map/listener_remote.h"
#include "map/listeners.h"
#include "map/map_service.h"
#include "member/member.h"
#include "proto/codecs/map_codecs.h"
#include "util/alloc.h"
#include "util/rand.h"

typedef struct reg_op {
    mg_fanout f;
    mg_req_hdr hdr;
    mg_conn_ref conn;
    mg_listener l;
    bool remove;
    atomic_bool found;
    atomic_bool cluster_wide;   /* remove: the registration had copies on other members */
    size_t name_len;
    uint8_t name[];
} reg_op;

static void reg_part(mg_worker *w, mg_fanout *f)
{
    reg_op *op = (reg_op *)f;
    if (op->remove) {
        bool cluster_wide = false;
        if (mg_listeners_remove(w, op->name, op->name_len, &op->l.id, &cluster_wide)) {
            atomic_store(&op->found, true);
            if (cluster_wide)
                atomic_store(&op->cluster_wide, true);
        }
    } else {
        mg_listeners_add(w, op->name, op->name_len, &op->l);
    }
}

static void reg_done(mg_worker *w, mg_fanout *f)
{
    reg_op *op = (reg_op *)f;
    mg_buf out;
    mg_buf_init(&out);
    switch (op->hdr.type) {
    case MG_MAP_ADD_ENTRY_LISTENER_REQ:
        mg_map_add_entry_listener_resp_encode(&out, op->hdr.corr, &op->l.id);
        break;
    case MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_REQ:
        mg_map_add_entry_listener_to_key_resp_encode(&out, op->hdr.corr, &op->l.id);
        break;
    default:
        mg_map_remove_entry_listener_resp_encode(&out, op->hdr.corr, atomic_load(&op->found));
        break;
    }
    if (op->remove ? atomic_load(&op->cluster_wide) : op->l.cluster_wide) {
        /* every local worker has it (or dropped it): now the other members */
        if (op->remove)
            mg_listener_remote_unregister(w, &op->l.id, op->conn, &out);
        else
            mg_listener_remote_register(w, op->name, op->name_len, &op->l, op->conn, &out);
    } else {
        mg_worker_send(w, op->conn, &out);
    }
    mg_buf_free(&out);
    free(op->l.key);
    free(op);
}

static reg_op *reg_new(mg_req *r, mg_bytes name)
{
    reg_op *op = mg_xcalloc(1, sizeof *op + name.len);
    op->hdr = r->hdr;
    op->conn = r->conn;
    op->name_len = name.len;
    memcpy(op->name, name.ptr, name.len);
    op->f.part = reg_part;
    op->f.done = reg_done;
    return op;
}

static void add(mg_req *r, mg_bytes name, const mg_bytes *key, bool include_value, int32_t flags,
                bool local_only, uint32_t event_type)
{
    mg_map_lookup(r->w, name.ptr, name.len);   /* registering creates the map, as in Hazelcast */
    reg_op *op = reg_new(r, name);
    op->l.id = mg_uuid_random(&r->w->rng);
    op->l.conn = r->conn;
    op->l.corr = r->hdr.corr;
    op->l.event_type = event_type;
    op->l.flags = flags;
    op->l.include_value = include_value;
    op->l.cluster_wide = !local_only;
    if (key) {
        op->l.klen = key->len;
        op->l.key = mg_xmalloc(key->len);
        memcpy(op->l.key, key->ptr, key->len);
    }
    mg_fanout_start(r->w, &op->f);
}

void mg_map_add_entry_listener(mg_req *r)
{
    mg_map_add_entry_listener_req q;
    if (mg_map_add_entry_listener_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    add(r, q.name, NULL, q.include_value, q.listener_flags, q.local_only,
        MG_MAP_ADD_ENTRY_LISTENER_EVENT_ENTRY);
}

void mg_map_add_entry_listener_to_key(mg_req *r)
{
    mg_map_add_entry_listener_to_key_req q;
    if (mg_map_add_entry_listener_to_key_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    if (q.key.len < 8) {
        mg_req_bad_message(r);
        return;
    }
    add(r, q.name, &q.key, q.include_value, q.listener_flags, q.local_only,
        MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_EVENT_ENTRY);
}

void mg_map_remove_entry_listener(mg_req *r)
{
    mg_map_remove_entry_listener_req q;
    if (mg_map_remove_entry_listener_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    /* The Go client sends an id of its own here, which no member knows: the
     * answer is false and its registration ends with its connection. */
    reg_op *op = reg_new(r, q.name);
    op->remove = true;
    op->l.id = q.registration_id;
    mg_fanout_start(r->w, &op->f);
}
