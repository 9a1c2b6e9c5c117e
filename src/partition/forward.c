/* forward.c - running keyed requests on the partition's primary (forward.h). */
#include "partition/forward.h"

#include <string.h>

#include "member/cluster.h"
#include "member/handoff.h"
#include "member/member.h"
#include "net/conn.h"
#include "partition/topology.h"
#include "proto/error.h"
#include "util/alloc.h"

#define RETRYABLE_CLASS "com.hazelcast.spi.exception.RetryableHazelcastException"

/* A request this worker forwarded, until its answer comes back.  If the
 * member it went to leaves the list first, the client gets a retryable
 * error instead of waiting for its invocation timeout. */
typedef struct mg_forwarded {
    struct mg_forwarded *next;
    mg_uuid to;
    mg_conn_ref conn;
    int64_t corr;
    int32_t partition;
} mg_forwarded;

static void retryable(mg_req *r, const char *why)
{
    mg_req_error(r, MG_ERR_RETRYABLE_HAZELCAST, RETRYABLE_CLASS, "partition %d: %s", r->partition, why);
}

static void send_forward(mg_worker *w, const mg_req *r, const mg_uuid *owner)
{
    mg_buf b;
    mg_buf_init(&b);
    const mg_topology *t = w->topo;
    size_t start = mg_dp_begin(&b, MG_DP_FORWARD, &t->self);
    mg_bc_put_u32(&b, (uint32_t)r->conn.worker);
    mg_bc_put_u64(&b, r->conn.id);
    mg_bc_put_uuid(&b, &r->client);
    mg_bc_put_u32(&b, (uint32_t)r->partition);
    mg_bc_put_u32(&b, (uint32_t)w->idx);
    mg_bc_put_u64(&b, t->table ? t->table->version : 0);
    mg_buf_append(&b, r->msg, r->len);
    mg_dp_end(&b, start);
    mg_cluster_send(w, owner, b.data, b.len);
    mg_buf_free(&b);
    mg_forwarded *fw = mg_xmalloc(sizeof *fw);
    *fw = (mg_forwarded){.next = w->forwarded, .to = *owner, .conn = r->conn, .corr = r->hdr.corr,
                         .partition = r->partition};
    w->forwarded = fw;
}

/* Answers every forwarded request whose member is not in `t` any more. */
void mg_forward_on_topology(mg_worker *w, const mg_topology *t)
{
    mg_forwarded **pp = &w->forwarded;
    while (*pp) {
        mg_forwarded *fw = *pp;
        if (t->is_member && mg_topology_member(t, &fw->to)) {
            pp = &fw->next;
            continue;
        }
        *pp = fw->next;
        mg_buf b;
        mg_buf_init(&b);
        mg_proto_error_encode(&b, fw->corr, MG_ERR_RETRYABLE_HAZELCAST, RETRYABLE_CLASS,
                              "the member owning the partition left the cluster before answering; retry");
        mg_handoff_deliver(w, fw->conn, &b, true);
        mg_buf_free(&b);
        free(fw);
    }
}

void mg_forward_free(mg_worker *w)
{
    while (w->forwarded) {
        mg_forwarded *fw = w->forwarded;
        w->forwarded = fw->next;
        free(fw);
    }
}

bool mg_forward_route(mg_worker *w, mg_req *r, mg_conn *local)
{
    const mg_topology *t = w->topo;
    if (mg_topology_is_primary(t, r->partition)) {
        if (mg_cluster_may_serve(w))
            return true;
        /* Our copy may be stale: the others may have removed us (a split,
         * a pause) and moved the partition on.  The client retries; by then
         * we have heard from the cluster again, or learnt we were removed. */
        retryable(r, "this member has not heard from a majority of the cluster lately; retry");
        return false;
    }
    if (!t || !t->is_member || !t->table) {
        retryable(r, "this member is joining the cluster");
        return false;
    }
    const mg_uuid *owner = mg_pt_owner(t->table, (uint32_t)r->partition, 0);
    /* A forwarded request goes on only when our table is newer than the
     * one it was routed by (the owner moved meanwhile): table versions grow
     * along its path, so it cannot loop, and the answer comes back the way
     * it went. */
    bool stale_route = r->conn.remote && r->via_table < t->table->version;
    if (!owner || (r->conn.remote && !stale_route) || !mg_topology_member(t, owner)) {
        /* no live owner yet, or the owner under the same table is not us */
        retryable(r, owner ? "the partition is moving between members" : "the partition has no owner yet");
        return false;
    }
    send_forward(w, r, owner);
    if (local)
        local->remote_inflight++;   /* the answer comes back like a hand-over's */
    r->suspended = true;
    return false;
}

void mg_forward_on_request(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    mg_req r = {.conn = {.remote = true, .via = f->sender}};
    r.conn.worker = (int)mg_bc_u32(&rd);
    r.conn.id = mg_bc_u64(&rd);
    r.client = mg_bc_uuid(&rd);
    r.client.is_null = false;
    r.partition = (int32_t)mg_bc_u32(&rd);
    r.conn.via_worker = (int)mg_bc_u32(&rd);
    r.via_table = mg_bc_u64(&rd);   /* cluster.c made sure ours is at least as new */
    size_t len = mg_bc_left(&rd);
    const uint8_t *msg = mg_bc_take(&rd, len);
    if (rd.bad || r.partition < 0 || r.partition >= w->m->partition_count)
        return;
    mg_rd frd;
    mg_frame first;
    mg_rd_init(&frd, msg, len);
    if (mg_rd_request_header(&frd, &r.hdr, &first) != 0)
        return;
    const mg_handler *h = mg_dispatch_find(r.hdr.type);
    if (!h || h->route != MG_ROUTE_KEY)
        return;
    r.msg = msg;
    r.len = len;
    mg_dispatch_execute(w, h, &r);
}

void mg_forward_answer(mg_worker *w, mg_conn_ref to, const uint8_t *bytes, size_t len)
{
    mg_buf b;
    mg_buf_init(&b);
    size_t start = mg_dp_begin(&b, MG_DP_FORWARD_ANSWER, &w->topo->self);
    mg_bc_put_u32(&b, (uint32_t)to.via_worker);
    mg_bc_put_u32(&b, (uint32_t)to.worker);
    mg_bc_put_u64(&b, to.id);
    mg_buf_append(&b, bytes, len);
    mg_dp_end(&b, start);
    mg_cluster_send(w, &to.via, b.data, b.len);
    mg_buf_free(&b);
}

void mg_forward_on_answer(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    mg_bc_u32(&rd);   /* the forwarding worker: this one */
    int conn_worker = (int)mg_bc_u32(&rd);
    uint64_t id = mg_bc_u64(&rd);
    size_t len = mg_bc_left(&rd);
    const uint8_t *bytes = mg_bc_take(&rd, len);
    if (rd.bad || len < MG_FRAME_HDR + 12 || conn_worker < 0 || conn_worker >= w->m->nworkers)
        return;
    int64_t corr = (int64_t)mg_get_u64(bytes + MG_FRAME_HDR + 4);
    mg_forwarded **pp = &w->forwarded;
    while (*pp && !((*pp)->conn.id == id && (*pp)->conn.worker == conn_worker && (*pp)->corr == corr))
        pp = &(*pp)->next;
    if (!*pp)
        return;   /* answered already (its member left): drop */
    mg_forwarded *fw = *pp;
    *pp = fw->next;
    mg_buf b = {.data = (uint8_t *)bytes, .len = len, .cap = len};
    mg_handoff_deliver(w, fw->conn, &b, true);
    free(fw);
}
