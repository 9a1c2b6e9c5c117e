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
#include "util/clock.h"

#define RETRYABLE_CLASS "com.hazelcast.spi.exception.RetryableHazelcastException"

/* How long a request may wait for the cluster to settle (forward.h), and
 * how many may wait per worker. */
#define ROUTE_WAIT_MS 5000
#define ROUTE_WAIT_MAX 10000

/* A request this worker forwarded, until its answer comes back, or one
 * waiting for a route.  It keeps the request's bytes so that it can run
 * again (forward.h). */
typedef struct mg_forwarded {
    struct mg_forwarded *next;
    mg_uuid to;              /* forwarded: the member it went to */
    mg_conn_ref conn;
    mg_uuid client;
    int64_t corr;
    int32_t partition;
    uint64_t via_table;
    int64_t deadline_ms;     /* waiting: when the client gets a retryable error */
    const char *why;         /* waiting: what for, said in that error */
    size_t len;
    uint8_t msg[];
} mg_forwarded;

static void retryable(mg_req *r, const char *why)
{
    mg_req_error(r, MG_ERR_RETRYABLE_HAZELCAST, RETRYABLE_CLASS, "partition %d: %s", r->partition, why);
}

static mg_forwarded *keep(const mg_req *r)
{
    mg_forwarded *fw = mg_xmalloc(sizeof *fw + r->len);
    *fw = (mg_forwarded){.conn = r->conn, .client = r->client, .corr = r->hdr.corr,
                         .partition = r->partition, .via_table = r->via_table,
                         .deadline_ms = r->route_deadline_ms, .len = r->len};
    memcpy(fw->msg, r->msg, r->len);
    return fw;
}

static void send_forward(mg_worker *w, const mg_req *r, const mg_uuid *owner)
{
    /* The worker's scratch frame: no allocation per forward, and on worker
     * 0 the link takes its bytes as they are (mg_cluster_send_buf). */
    mg_buf *b = &w->forward_frame;
    const mg_topology *t = w->topo;
    size_t start = mg_dp_begin(b, MG_DP_FORWARD, &t->self);
    mg_bc_put_u32(b, (uint32_t)r->conn.worker);
    mg_bc_put_u64(b, r->conn.id);
    mg_bc_put_uuid(b, &r->client);
    mg_bc_put_u32(b, (uint32_t)r->partition);
    mg_bc_put_u32(b, (uint32_t)w->idx);
    mg_bc_put_u64(b, t->table ? t->table->version : 0);
    mg_buf_append(b, r->msg, r->len);
    mg_dp_end(b, start);
    mg_cluster_send_buf(w, owner, b);
    mg_forwarded *fw = keep(r);
    fw->to = *owner;
    /* Oldest first: answers come back roughly in order, so the search in
     * mg_forward_on_answer stops at the first entries, where it used to
     * walk every request in flight from the newest. */
    fw->next = NULL;
    if (w->forwarded_tail)
        w->forwarded_tail->next = fw;
    else
        w->forwarded = fw;
    w->forwarded_tail = fw;
}

/* Keeps r until the next topology (forward.h); false when it may not wait
 * and was answered with a retryable error instead. */
static bool wait_for_route(mg_worker *w, mg_req *r, mg_conn *local, const char *why)
{
    int64_t now = mg_clock_mono_ns() / 1000000;
    if (!r->route_deadline_ms)
        r->route_deadline_ms = now + ROUTE_WAIT_MS;
    if (now >= r->route_deadline_ms || w->route_waiting_n >= ROUTE_WAIT_MAX) {
        retryable(r, why);
        return false;
    }
    mg_forwarded *e = keep(r);
    e->why = why;
    e->next = w->route_waiting;
    w->route_waiting = e;
    w->route_waiting_n++;
    /* Counted like a forwarded request: its answer comes back later, as a
     * hand-over's does (mg_forward_rerun runs it as one). */
    if (local)
        local->remote_inflight++;
    r->suspended = true;
    return true;
}

/* The answer to a kept request that will not run again. */
static void answer_retryable(mg_worker *w, const mg_forwarded *e, const char *why)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_proto_error_encode(&b, e->corr, MG_ERR_RETRYABLE_HAZELCAST, RETRYABLE_CLASS, why);
    mg_handoff_deliver(w, e->conn, &b, !e->conn.remote);
    mg_buf_free(&b);
}

void mg_forward_on_topology(mg_worker *w, const mg_topology *t)
{
    /* Requests forwarded to members that left, then every waiting one,
     * move to the rerun list; they run after the install (cluster.c). */
    mg_forwarded **pp = &w->forwarded;
    while (*pp) {
        mg_forwarded *fw = *pp;
        if (t->is_member && mg_topology_member(t, &fw->to)) {
            pp = &fw->next;
            continue;
        }
        *pp = fw->next;
        fw->why = "the member owning the partition left the cluster before answering";
        fw->next = w->route_rerun;
        w->route_rerun = fw;
    }
    w->forwarded_tail = NULL;
    for (mg_forwarded *fw = w->forwarded; fw; fw = fw->next)
        w->forwarded_tail = fw;
    while (w->route_waiting) {
        mg_forwarded *e = w->route_waiting;
        w->route_waiting = e->next;
        e->next = w->route_rerun;
        w->route_rerun = e;
    }
    w->route_waiting_n = 0;
}

void mg_forward_rerun(mg_worker *w)
{
    mg_forwarded *list = w->route_rerun;
    w->route_rerun = NULL;
    while (list) {
        mg_forwarded *e = list;
        list = e->next;
        /* handed_over: its connection counted it as answered elsewhere
         * (a hand-over, a forward, a wait), so the answer goes through
         * mg_handoff_deliver, which settles that count. */
        mg_req r = {.msg = e->msg, .len = e->len, .conn = e->conn, .client = e->client,
                    .partition = e->partition, .via_table = e->via_table,
                    .route_deadline_ms = e->deadline_ms, .handed_over = !e->conn.remote};
        mg_rd rd;
        mg_frame first;
        mg_rd_init(&rd, e->msg, e->len);
        const mg_handler *h = NULL;
        if (mg_rd_request_header(&rd, &r.hdr, &first) == 0)
            h = mg_dispatch_find(r.hdr.type);
        if (h)
            mg_dispatch_execute(w, h, &r);   /* checked when it first arrived */
        else
            answer_retryable(w, e, e->why);
        free(e);
    }
}

void mg_forward_tick(mg_worker *w)
{
    int64_t now = mg_clock_mono_ns() / 1000000;
    mg_forwarded **pp = &w->route_waiting;
    while (*pp) {
        mg_forwarded *e = *pp;
        if (now < e->deadline_ms) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        w->route_waiting_n--;
        char why[200];
        snprintf(why, sizeof why, "partition %d: %s (waited %d ms); retry", e->partition, e->why,
                 ROUTE_WAIT_MS);
        answer_retryable(w, e, why);
        free(e);
    }
}

static void free_list(mg_forwarded *fw)
{
    while (fw) {
        mg_forwarded *next = fw->next;
        free(fw);
        fw = next;
    }
}

void mg_forward_free(mg_worker *w)
{
    free_list(w->forwarded);
    free_list(w->route_waiting);
    free_list(w->route_rerun);
    w->forwarded = w->forwarded_tail = w->route_waiting = w->route_rerun = NULL;
    mg_buf_free(&w->forward_frame);
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
        wait_for_route(w, r, local, "this member is joining the cluster");
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
        wait_for_route(w, r, local, owner ? "the partition is moving between members"
                                          : "the partition has no owner yet");
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
    mg_forwarded **pp = &w->forwarded, *prev = NULL;
    while (*pp && !((*pp)->conn.id == id && (*pp)->conn.worker == conn_worker && (*pp)->corr == corr)) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;   /* answered already (its member left): drop */
    mg_forwarded *fw = *pp;
    *pp = fw->next;
    if (w->forwarded_tail == fw)
        w->forwarded_tail = prev;
    mg_buf b = {.data = (uint8_t *)bytes, .len = len, .cap = len};
    mg_handoff_deliver(w, fw->conn, &b, true);
    free(fw);
}
