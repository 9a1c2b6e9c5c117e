/* client_misc.c - proxies, heartbeats, statistics, backup listener, and the
 * clean-up when a client connection closes. */
#include <string.h>

#include "client/client_service.h"
#include "map/listener_remote.h"
#include "map/listeners.h"
#include "map/locks.h"
#include "map/map.h"
#include "map/map_service.h"
#include "member/member.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "proto/error.h"
#include "util/alloc.h"
#include "util/rand.h"

#define MAP_SERVICE "hz:impl:mapService"

static bool is_map_service(mg_bytes s)
{
    return s.len == strlen(MAP_SERVICE) && memcmp(s.ptr, MAP_SERVICE, s.len) == 0;
}

static void not_a_map(mg_req *r, mg_bytes service)
{
    mg_req_error(r, MG_ERR_UNSUPPORTED_OPERATION, "java.lang.UnsupportedOperationException",
                 "memgrid serves maps (%s) only; service '%.*s' is not available", MAP_SERVICE,
                 (int)service.len, (const char *)service.ptr);
}

void mg_client_create_proxy(mg_req *r)
{
    mg_client_create_proxy_req q;
    if (mg_client_create_proxy_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    if (!is_map_service(q.service_name)) {
        not_a_map(r, q.service_name);
        return;
    }
    mg_map_lookup(r->w, q.name.ptr, q.name.len);
    mg_client_create_proxy_resp_encode(r->out, r->hdr.corr);
}

void mg_client_create_proxies(mg_req *r)
{
    mg_client_create_proxies_req q;
    if (mg_client_create_proxies_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    mg_rd rd;
    mg_rd_init(&rd, q.proxies.p, q.proxies.len);
    mg_bytes name, service;
    while (mg_rd_has_more(&rd) && mg_rd_bytes(&rd, &name) == 0 && mg_rd_bytes(&rd, &service) == 0)
        if (is_map_service(service))
            mg_map_lookup(r->w, name.ptr, name.len);
    mg_client_create_proxies_resp_encode(r->out, r->hdr.corr);
}

static void destroy_answer(mg_buf *out, int64_t corr) { mg_client_destroy_proxy_resp_encode(out, corr); }

void mg_client_destroy_proxy(mg_req *r)
{
    mg_client_destroy_proxy_req q;
    if (mg_client_destroy_proxy_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    if (!is_map_service(q.service_name)) {
        mg_client_destroy_proxy_resp_encode(r->out, r->hdr.corr);   /* nothing to destroy */
        return;
    }
    mg_map_destroy_then(r, q.name.ptr, q.name.len, destroy_answer);
}

typedef struct objects { mg_map **maps; size_t n; } objects;

static void write_objects(mg_wr *w, const void *arg)
{
    const objects *o = arg;
    mg_wr_begin(w);
    for (size_t i = 0; i < o->n; i++) {
        mg_distributed_object_info info = {
            .service_name = {(const uint8_t *)MAP_SERVICE, strlen(MAP_SERVICE)},
            .name = {(const uint8_t *)o->maps[i]->name, o->maps[i]->name_len},
        };
        mg_enc_distributed_object_info(w, &info);
    }
    mg_wr_end_ds(w);
}

void mg_client_get_distributed_objects(mg_req *r)
{
    objects o;
    o.maps = mg_map_snapshot(r->w->m, &o.n);
    mg_client_get_distributed_objects_resp_encode(r->out, r->hdr.corr, write_objects, &o);
    free(o.maps);
}

void mg_client_ping(mg_req *r) { mg_client_ping_resp_encode(r->out, r->hdr.corr); }

void mg_client_statistics(mg_req *r)
{
    /* Node sends these every 5 s; memgrid keeps its own metrics */
    mg_client_statistics_resp_encode(r->out, r->hdr.corr);
}

void mg_client_local_backup_listener(mg_req *r)
{
    /* Every answer carries 0 backup acks: replication completes before the
     * member answers, so no backup event is ever sent on this registration. */
    mg_uuid id = mg_uuid_random(&r->w->rng);
    mg_client_local_backup_listener_resp_encode(r->out, r->hdr.corr, &id);
}

void mg_client_trigger_partition_assignment(mg_req *r)
{
    mg_client_trigger_partition_assignment_resp_encode(r->out, r->hdr.corr);
}

/* --- a connection goes away ------------------------------------------------ */

typedef struct close_op {
    mg_fanout f;
    mg_conn_ref conn;
    mg_uuid client;
    bool release_locks;
} close_op;

static void close_part(mg_worker *w, mg_fanout *f)
{
    close_op *op = (close_op *)f;
    if (w->idx == 0)   /* before its copy forgets them: the other members drop theirs */
        mg_listener_remote_conn_closed(w, op->conn);
    mg_listeners_drop_conn(w, op->conn);
    if (op->release_locks)
        mg_locks_release_client(w, &op->client);
}

static void close_done(mg_worker *w, mg_fanout *f)
{
    (void)w;
    free(f);
}

void mg_client_on_close(mg_conn *c)
{
    mg_worker *w = c->w;
    if (!c->authenticated || w->stopping)
        return;
    close_op *op = mg_xcalloc(1, sizeof *op);
    op->conn = mg_conn_ref_of(c);
    op->client = c->client_uuid;
    /* Hazelcast 5.7 frees a gone client's locks at its next 10 s scan;
     * memgrid frees them as soon as the client's last connection closes. */
    op->release_locks = mg_member_client_leave(w->m, &c->client_uuid) == 0;
    op->f.part = close_part;
    op->f.done = close_done;
    mg_fanout_start(w, &op->f);
}
