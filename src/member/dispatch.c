/* dispatch.c - the message table and routing of requests to workers. */
#include "member/dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/client_service.h"
#include "map/map_service.h"
#include "member/handoff.h"
#include "member/member.h"
#include "net/conn.h"
#include "partition/backup.h"
#include "partition/forward.h"
#include "partition/partition_id.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/map_codecs.h"
#include "proto/codecs/msg_names.h"
#include "proto/error.h"
#include "util/alloc.h"

/* Index of a request type in the table: service id (0 client, 1 map) and
 * method id.  Requests always have a zero low byte. */
#define SLOT(type) ((((type) >> 16) & 0xff) * 256 + (((type) >> 8) & 0xff))
#define NSERVICES 2
#define CONN(t, f) [SLOT(t)] = {t, MG_ROUTE_CONN, 0, f, #t}
#define KEY(t, f) [SLOT(t)] = {t, MG_ROUTE_KEY, 0, f, #t}
#define KEYW(t, f) [SLOT(t)] = {t, MG_ROUTE_KEY, MG_WRITES_ENTRY, f, #t}
#define KEYL(t, f) [SLOT(t)] = {t, MG_ROUTE_KEY, MG_WRITES_LOCK, f, #t}

static const mg_handler handlers[NSERVICES * 256] = {
    /* Client service: connection-level */
    CONN(MG_CLIENT_AUTHENTICATION_REQ, mg_client_authenticate),
    CONN(MG_CLIENT_ADD_CLUSTER_VIEW_LISTENER_REQ, mg_client_add_cluster_view_listener),
    CONN(MG_CLIENT_CREATE_PROXY_REQ, mg_client_create_proxy),
    CONN(MG_CLIENT_DESTROY_PROXY_REQ, mg_client_destroy_proxy),
    CONN(MG_CLIENT_GET_DISTRIBUTED_OBJECTS_REQ, mg_client_get_distributed_objects),
    CONN(MG_CLIENT_PING_REQ, mg_client_ping),
    CONN(MG_CLIENT_STATISTICS_REQ, mg_client_statistics),
    CONN(MG_CLIENT_CREATE_PROXIES_REQ, mg_client_create_proxies),
    CONN(MG_CLIENT_LOCAL_BACKUP_LISTENER_REQ, mg_client_local_backup_listener),
    CONN(MG_CLIENT_TRIGGER_PARTITION_ASSIGNMENT_REQ, mg_client_trigger_partition_assignment),

    /* Map service: one key, run where the key's partition lives */
    KEYW(MG_MAP_PUT_REQ, mg_map_put),
    KEY(MG_MAP_GET_REQ, mg_map_get),
    KEYW(MG_MAP_REMOVE_REQ, mg_map_remove),
    KEYW(MG_MAP_REPLACE_REQ, mg_map_replace),
    KEYW(MG_MAP_REPLACE_IF_SAME_REQ, mg_map_replace_if_same),
    KEY(MG_MAP_CONTAINS_KEY_REQ, mg_map_contains_key),
    KEYW(MG_MAP_REMOVE_IF_SAME_REQ, mg_map_remove_if_same),
    KEYW(MG_MAP_DELETE_REQ, mg_map_delete),
    KEYW(MG_MAP_TRY_REMOVE_REQ, mg_map_try_remove),
    KEYW(MG_MAP_TRY_PUT_REQ, mg_map_try_put),
    KEYW(MG_MAP_PUT_TRANSIENT_REQ, mg_map_put_transient),
    KEYW(MG_MAP_PUT_IF_ABSENT_REQ, mg_map_put_if_absent),
    KEYW(MG_MAP_SET_REQ, mg_map_set),
    KEYL(MG_MAP_LOCK_REQ, mg_map_lock),
    KEYL(MG_MAP_TRY_LOCK_REQ, mg_map_try_lock),
    KEY(MG_MAP_IS_LOCKED_REQ, mg_map_is_locked),
    KEYL(MG_MAP_UNLOCK_REQ, mg_map_unlock),
    KEYL(MG_MAP_FORCE_UNLOCK_REQ, mg_map_force_unlock),
    KEY(MG_MAP_GET_ENTRY_VIEW_REQ, mg_map_get_entry_view),
    KEYW(MG_MAP_EVICT_REQ, mg_map_evict),
    KEYW(MG_MAP_SET_TTL_REQ, mg_map_set_ttl),
    KEYW(MG_MAP_PUT_WITH_MAX_IDLE_REQ, mg_map_put_with_max_idle),
    KEYW(MG_MAP_PUT_TRANSIENT_WITH_MAX_IDLE_REQ, mg_map_put_transient_with_max_idle),
    KEYW(MG_MAP_PUT_IF_ABSENT_WITH_MAX_IDLE_REQ, mg_map_put_if_absent_with_max_idle),
    KEYW(MG_MAP_SET_WITH_MAX_IDLE_REQ, mg_map_set_with_max_idle),

    /* Map service: many keys or the whole map, fanned out from here */
    CONN(MG_MAP_PUT_ALL_REQ, mg_map_put_all),
    CONN(MG_MAP_GET_ALL_REQ, mg_map_get_all),
    CONN(MG_MAP_CONTAINS_VALUE_REQ, mg_map_contains_value),
    CONN(MG_MAP_SIZE_REQ, mg_map_size),
    CONN(MG_MAP_IS_EMPTY_REQ, mg_map_is_empty),
    CONN(MG_MAP_CLEAR_REQ, mg_map_clear),
    CONN(MG_MAP_EVICT_ALL_REQ, mg_map_evict_all),
    CONN(MG_MAP_KEY_SET_REQ, mg_map_key_set),
    CONN(MG_MAP_VALUES_REQ, mg_map_values),
    CONN(MG_MAP_ENTRY_SET_REQ, mg_map_entry_set),
    CONN(MG_MAP_FLUSH_REQ, mg_map_flush),
    CONN(MG_MAP_ADD_ENTRY_LISTENER_REQ, mg_map_add_entry_listener),
    CONN(MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_REQ, mg_map_add_entry_listener_to_key),
    CONN(MG_MAP_REMOVE_ENTRY_LISTENER_REQ, mg_map_remove_entry_listener),
};

const mg_handler *mg_dispatch_find(uint32_t type)
{
    if ((type & 0xff) != 0 || ((type >> 16) & 0xff) >= NSERVICES || (type >> 24) != 0)
        return NULL;
    const mg_handler *h = &handlers[SLOT(type)];
    return h->fn ? h : NULL;
}

/* --- errors ---------------------------------------------------------------- */

void mg_req_error(mg_req *r, int32_t code, const char *class_name, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mg_proto_error_encode(r->out, r->hdr.corr, code, class_name, msg);
}

void mg_req_bad_message(mg_req *r)
{
    const char *name = mg_msg_name(r->hdr.type);
    mg_req_error(r, MG_ERR_ILLEGAL_ARGUMENT, "java.lang.IllegalArgumentException",
                 "malformed %s request (type 0x%06x, %zu bytes): a parameter is missing or "
                 "its frame is too short", name ? name : "unknown", r->hdr.type, r->len);
}

/* --- execution ------------------------------------------------------------- */

void mg_dispatch_execute(mg_worker *w, const mg_handler *h, mg_req *r)
{
    mg_buf scratch;
    mg_buf_init(&scratch);
    /* A request counted as answered elsewhere (handed over, or run again
     * after a wait) answers through mg_handoff_deliver even on its
     * connection's worker, which settles that count. */
    mg_conn *c = !r->conn.remote && !r->handed_over && r->conn.worker == w->idx
                     ? mg_conn_lookup(w, r->conn.id) : NULL;
    r->w = w;
    r->local = c;
    /* A write whose synchronous backups must acknowledge it first keeps its
     * answer aside (partition/backup.h). */
    bool may_hold = r->partition >= 0 && h->writes && mg_backup_has_sync(w, r->partition);
    /* On the connection's own worker the answer goes straight to its output. */
    r->out = c && !may_hold ? mg_conn_out(c) : &scratch;
    bool run = r->partition < 0 || r->parked || mg_forward_route(w, r, c);
    if (run) {
        uint64_t seq0 = r->partition >= 0 ? mg_backup_seq(w, r->partition) : 0;
        h->fn(r);
        if (h->writes == MG_WRITES_ENTRY && !r->suspended)
            mg_backup_after_write(w, r);
        uint64_t seq1 = r->partition >= 0 ? mg_backup_seq(w, r->partition) : 0;
        r->repl_seq = seq1 > seq0 ? seq1 : 0;   /* records this request made (entry or lock) */
    }
    if (may_hold && !r->suspended && mg_backup_hold(w, r, &scratch)) {
        mg_buf_free(&scratch);
        return;   /* answered when the backups acknowledge */
    }
    if (c) {
        if (scratch.len)
            mg_buf_append(mg_conn_out(c), scratch.data, scratch.len);
    } else {
        /* A parked request answers later, from wherever its wait ends. */
        mg_handoff_deliver(w, r->conn, &scratch, r->handed_over && !r->suspended);
    }
    mg_buf_free(&scratch);
}

/* The map name and key of a keyed Map request: the first and second
 * variable frames.  False when they are missing or the key is not data. */
static bool name_and_key(const uint8_t *msg, size_t len, mg_frame *name, mg_frame *key)
{
    mg_rd rd;
    mg_frame initial;
    mg_rd_init(&rd, msg, len);
    if (mg_rd_next(&rd, &initial) || mg_rd_next(&rd, name) || mg_rd_next(&rd, key))
        return false;
    return !(key->flags & (MG_F_NULL | MG_F_BEGIN_DS | MG_F_END_DS));
}

static int32_t key_partition(mg_member *m, const uint8_t *msg, size_t len)
{
    mg_frame name, key;
    if (!name_and_key(msg, len, &name, &key))
        return -1;
    return mg_partition_of(key.content, key.len, m->partition_count);
}

/* Keyed requests of one read whose store lookups are prefetched.  With the
 * data set far larger than the caches, the lookup's misses (bucket, entry,
 * next entry in the chain) were 53 % of the member's time at saturation;
 * taken for a batch at once they overlap (docs/benchmarks.md, "Request
 * path").  The cost is reading each request's header and key twice. */
#define PREFETCH_BATCH 64

void mg_dispatch_prefetch(mg_conn *c, const uint8_t *in, size_t len)
{
    mg_worker *w = c->w;
    mg_member *m = w->m;
    if (!c->authenticated)
        return;
    struct {
        const mg_store *store;
        uint32_t hash;
    } batch[PREFETCH_BATCH];
    int n = 0;
    size_t off = 0, msg_len;
    while (n < PREFETCH_BATCH && off < len &&
           mg_msg_scan(in + off, len - off, (size_t)m->max_message, &msg_len) > 0) {
        const uint8_t *msg = in + off;
        off += msg_len;
        mg_rd rd;
        mg_req_hdr hdr;
        mg_frame first, name, key;
        mg_rd_init(&rd, msg, msg_len);
        if (mg_rd_request_header(&rd, &hdr, &first) != 0)
            break;
        const mg_handler *h = mg_dispatch_find(hdr.type);
        if (!h || h->route != MG_ROUTE_KEY || !name_and_key(msg, msg_len, &name, &key))
            continue;
        int32_t p = mg_partition_of(key.content, key.len, m->partition_count);
        if (mg_worker_for_partition(m, p) != w)
            continue;
        mg_map *map = mg_bmap_get(&w->map_cache, name.content, name.len);
        mg_part *part = map ? mg_map_part_if(map, p) : NULL;
        if (!part)
            continue;
        batch[n].store = part->store;
        batch[n].hash = mg_store_prefetch_bucket(part->store, key.content, key.len);
        n++;
    }
    for (int i = 0; i < n; i++)
        mg_store_prefetch_head(batch[i].store, batch[i].hash);
    for (int i = 0; i < n; i++)
        mg_store_prefetch_next(batch[i].store, batch[i].hash);
}

static void unsupported(mg_conn *c, const mg_req_hdr *h)
{
    char msg[128];
    snprintf(msg, sizeof msg, "Unrecognized client message received with type: 0x%x", h->type);
    mg_proto_error_encode(mg_conn_out(c), h->corr, MG_ERR_UNSUPPORTED_OPERATION,
                          "java.lang.UnsupportedOperationException", msg);
}

void mg_dispatch(mg_conn *c, const uint8_t *msg, size_t len)
{
    mg_worker *w = c->w;
    mg_member *m = w->m;
    mg_rd rd;
    mg_req_hdr hdr;
    mg_frame first;
    mg_rd_init(&rd, msg, len);
    if (mg_rd_request_header(&rd, &hdr, &first) != 0) {
        c->close_after_flush = true;
        mg_conn_close(c, "request whose first frame is shorter than a request header");
        return;
    }
    if (!c->authenticated && hdr.type != MG_CLIENT_AUTHENTICATION_REQ) {
        mg_proto_error_encode(mg_conn_out(c), hdr.corr, MG_ERR_AUTHENTICATION,
                              "com.hazelcast.client.AuthenticationException",
                              "the connection is not authenticated");
        c->close_after_flush = true;
        mg_conn_close(c, "request before authentication");
        return;
    }
    const mg_handler *h = mg_dispatch_find(hdr.type);
    if (!h) {
        unsupported(c, &hdr);
        return;
    }
    mg_req r = {.msg = msg, .len = len, .hdr = hdr, .conn = mg_conn_ref_of(c),
                .client = c->client_uuid, .partition = -1};
    if (h->route == MG_ROUTE_CONN) {
        mg_dispatch_execute(w, h, &r);
        return;
    }
    int32_t p = key_partition(m, msg, len);
    if (p < 0) {
        r.w = w;
        r.out = mg_conn_out(c);
        mg_req_bad_message(&r);
        return;
    }
    r.partition = p;
    mg_worker *owner = mg_worker_for_partition(m, p);
    if (owner == w) {
        mg_dispatch_execute(w, h, &r);
        return;
    }
    c->remote_inflight++;
    mg_handoff_request(w, owner, h, &r);
}
