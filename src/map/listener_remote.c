/* listener_remote.c - cluster-wide entry listeners (listener_remote.h). */
#include "map/listener_remote.h"

#include <string.h>

#include "cluster/listener_proto.h"
#include "member/cluster.h"
#include "member/member.h"
#include "partition/topology.h"
#include "util/alloc.h"
#include "util/clock.h"

/* An EVENT for a registration the subscriber no longer holds makes it ask
 * the publisher to drop its copy, at most this often per id and worker (a
 * removal the publisher missed, or a map destroyed while a copy was on its
 * way, then heals at the next event). */
#define STALE_REMOVE_EVERY_MS 1000

static int64_t now_ms(void) { return mg_clock_mono_ns() / 1000000; }

/* Registration ids: compared without the null flag, as listeners.c does. */
static bool same_id(const mg_uuid *a, const mg_uuid *b) { return a->msb == b->msb && a->lsb == b->lsb; }

/* ---- worker 0's pending operations -------------------------------------------- */

typedef struct mg_lr_op mg_lr_op;

typedef struct lr_target {
    mg_uuid member;
    bool done;            /* answered, or left the list */
} lr_target;

struct mg_lr_op {
    struct mg_lr_op *next;
    uint64_t req;         /* echoed by LISTEN_ACK */
    mg_uuid id;           /* the registration */
    bool add;
    mg_buf frame;         /* LISTEN_ADD / LISTEN_REMOVE, sent again as it is */
    int ntargets, pending;
    lr_target targets[MG_CL_MAX_MEMBERS];
    int64_t sent_ms;
    bool has_answer;      /* a client waits for `answer` on `conn` */
    mg_conn_ref conn;
    mg_buf answer;
};

static mg_lr_op *op_new(mg_worker *w0, bool add, const mg_uuid *id, mg_conn_ref conn, mg_buf *answer)
{
    mg_lr_op *op = mg_xcalloc(1, sizeof *op);
    op->req = ++w0->lr_next_req;
    op->add = add;
    op->id = *id;
    mg_buf_init(&op->frame);
    mg_buf_init(&op->answer);
    if (answer) {
        op->has_answer = true;
        op->conn = conn;
        op->answer = *answer;
        mg_buf_init(answer);
    }
    return op;
}

static void op_free(mg_lr_op *op)
{
    mg_buf_free(&op->frame);
    mg_buf_free(&op->answer);
    free(op);
}

/* Answers the client, if one waits, and frees op (already off the list). */
static void op_finish(mg_worker *w0, mg_lr_op *op)
{
    if (op->has_answer)
        mg_worker_send(w0, op->conn, &op->answer);
    op_free(op);
}

static void op_target(mg_lr_op *op, const mg_uuid *member)
{
    op->targets[op->ntargets].member = *member;
    op->targets[op->ntargets++].done = false;
    op->pending++;
}

/* Every other member of worker 0's list. */
static void target_all(mg_worker *w0, mg_lr_op *op)
{
    const mg_topology *t = w0->topo;
    if (!t || !t->is_member)
        return;
    for (int i = 0; i < t->list.count && op->ntargets < MG_CL_MAX_MEMBERS; i++)
        if (!mg_uuid_eq(&t->list.members[i].uuid, &t->self))
            op_target(op, &t->list.members[i].uuid);
}

static void op_send(mg_worker *w0, mg_lr_op *op)
{
    for (int i = 0; i < op->ntargets; i++)
        if (!op->targets[i].done)
            mg_cluster_send(w0, &op->targets[i].member, op->frame.data, op->frame.len);
    op->sent_ms = now_ms();
}

/* Sends op and waits for its answers, or finishes it when nobody is asked. */
static void op_start(mg_worker *w0, mg_lr_op *op)
{
    if (op->pending == 0) {
        op_finish(w0, op);
        return;
    }
    op->next = w0->lr_ops;
    w0->lr_ops = op;
    op_send(w0, op);
}

static void encode_add(mg_worker *w0, mg_lr_op *op, const uint8_t *name, size_t len, const mg_listener *l)
{
    mg_lp_add a = {.req = op->req, .id = l->id, .sub_worker = l->conn.worker, .flags = l->flags,
                   .include_value = l->include_value, .name = {name, len}, .key = {l->key, l->klen}};
    mg_lp_add_encode(&op->frame, &w0->topo->self, &a);
}

static bool wants_copies(const mg_listener *l) { return !l->remote && l->cluster_wide; }

/* Worker 0's copy is the reference: a registration that the close of its
 * connection took out of it meanwhile needs no copies. */
static void start_add(mg_worker *w0, const uint8_t *name, size_t len, const mg_uuid *id, mg_conn_ref conn,
                      mg_buf *answer)
{
    const mg_listener *l = mg_listeners_find(w0, name, len, id);
    mg_lr_op *op = op_new(w0, true, id, conn, answer);
    if (l && wants_copies(l)) {
        target_all(w0, op);
        if (op->pending)
            encode_add(w0, op, name, len, l);
    }
    op_start(w0, op);
}

/* A removal cancels the adds of the same registration still waiting: they
 * would otherwise send their copy again after the removal went out. */
static void start_remove(mg_worker *w0, const mg_uuid *id, mg_conn_ref conn, mg_buf *answer)
{
    for (mg_lr_op **pp = &w0->lr_ops; *pp;) {
        mg_lr_op *op = *pp;
        if (op->add && same_id(&op->id, id)) {
            *pp = op->next;
            op_finish(w0, op);
        } else {
            pp = &op->next;
        }
    }
    mg_lr_op *op = op_new(w0, false, id, conn, answer);
    target_all(w0, op);
    if (op->pending) {
        mg_lp_remove rm = {.req = op->req, .id = *id};
        mg_lp_remove_encode(&op->frame, &w0->topo->self, &rm);
    }
    op_start(w0, op);
}

/* ---- the subscriber: requests handed to worker 0 ------------------------------- */

typedef struct lr_task {
    mg_task base;
    bool add;
    mg_uuid id;
    mg_conn_ref conn;
    bool has_answer;
    mg_buf answer;
    size_t name_len;
    uint8_t name[];
} lr_task;

static void run_task(mg_worker *w0, mg_task *t)
{
    lr_task *k = (lr_task *)t;
    mg_buf *answer = k->has_answer ? &k->answer : NULL;
    if (k->add)
        start_add(w0, k->name, k->name_len, &k->id, k->conn, answer);
    else
        start_remove(w0, &k->id, k->conn, answer);
    mg_buf_free(&k->answer);
    free(k);
}

static void hand_to_worker0(mg_worker *w, bool add, const uint8_t *name, size_t len, const mg_uuid *id,
                            mg_conn_ref conn, mg_buf *answer)
{
    lr_task *k = mg_xcalloc(1, sizeof *k + len);
    k->base.run = run_task;
    k->add = add;
    k->id = *id;
    k->conn = conn;
    mg_buf_init(&k->answer);
    if (answer) {
        k->has_answer = true;
        k->answer = *answer;
        mg_buf_init(answer);
    }
    k->name_len = len;
    if (len)
        memcpy(k->name, name, len);
    if (w->idx == 0)
        run_task(w, &k->base);
    else
        mg_worker_post_from(w, &w->m->workers[0], &k->base);
}

void mg_listener_remote_register(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *l,
                                 mg_conn_ref conn, mg_buf *answer)
{
    hand_to_worker0(w, true, map_name, name_len, &l->id, conn, answer);
}

void mg_listener_remote_unregister(mg_worker *w, const mg_uuid *id, mg_conn_ref conn, mg_buf *answer)
{
    hand_to_worker0(w, false, NULL, 0, id, conn, answer);
}

typedef struct closed_ctx {
    mg_worker *w0;
    mg_conn_ref conn;
} closed_ctx;

static void closed_one(void *ctx, const uint8_t *name, size_t len, const mg_listener *l)
{
    (void)name;
    (void)len;
    closed_ctx *c = ctx;
    if (wants_copies(l) && l->conn.worker == c->conn.worker && l->conn.id == c->conn.id)
        start_remove(c->w0, &l->id, c->conn, NULL);   /* touches the ops only, not the copy */
}

void mg_listener_remote_conn_closed(mg_worker *w0, mg_conn_ref conn)
{
    closed_ctx c = {w0, conn};
    mg_listeners_each(w0, closed_one, &c);
}

/* ---- every member: events out ------------------------------------------------- */

void mg_listener_remote_forward(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *li,
                                const mg_entry_event *ev, mg_buf *scratch)
{
    const mg_bytes none = {NULL, 0};
    /* Values the client did not ask for are not sent at all. */
    mg_lp_event e = {.sub_worker = li->sub_worker, .id = li->id, .name = {map_name, name_len},
                     .partition = ev->key ? ev->partition : -1, .type = ev->type, .affected = ev->affected,
                     .key = ev->key ? *ev->key : none,
                     .value = li->include_value && ev->value ? *ev->value : none,
                     .old_value = li->include_value && ev->old_value ? *ev->old_value : none};
    mg_lp_event_encode(scratch, &w->topo->self, &e);
    mg_cluster_send(w, &li->subscriber, scratch->data, scratch->len);
    mg_buf_reset(scratch);
}

/* ---- every member: frames in ---------------------------------------------------- */

/* A copy to add or remove on every worker; the sender is answered once all
 * of them have it, so its client misses no event after its answer. */
typedef struct peer_op {
    mg_fanout f;
    mg_uuid sender;
    uint64_t req;
    bool add;
    mg_listener l;        /* add: the remote copy, its key owned here */
    size_t name_len;
    uint8_t name[];
} peer_op;

static void peer_part(mg_worker *w, mg_fanout *f)
{
    peer_op *op = (peer_op *)f;
    if (op->add)
        mg_listeners_add(w, op->name, op->name_len, &op->l);
    else
        mg_listeners_remove_remote(w, &op->l.id);
}

static void send_ack(mg_worker *w, const mg_uuid *to, uint64_t req)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_ack_encode(&b, &w->topo->self, req);
    mg_cluster_send(w, to, b.data, b.len);
    mg_buf_free(&b);
}

static void peer_done(mg_worker *w, mg_fanout *f)
{
    peer_op *op = (peer_op *)f;
    if (op->req)
        send_ack(w, &op->sender, op->req);
    free(op->l.key);
    free(op);
}

static peer_op *peer_new(const mg_dp_frame *f, uint64_t req, bool add, const mg_uuid *id, mg_bytes name)
{
    peer_op *op = mg_xcalloc(1, sizeof *op + name.len);
    op->f.part = peer_part;
    op->f.done = peer_done;
    op->sender = f->sender;
    op->req = req;
    op->add = add;
    op->l.id = *id;
    op->name_len = name.len;
    if (name.len)
        memcpy(op->name, name.ptr, name.len);
    return op;
}

/* Accepted whether or not the sender is in this member's list yet: a
 * member that just joined may hear from members of a list it has not
 * installed.  A copy whose subscriber is not in the next list is dropped
 * then (mg_listener_remote_on_topology). */
static void on_add(mg_worker *w, const mg_dp_frame *f)
{
    mg_lp_add a;
    if (mg_lp_add_decode(f, &a) != 0)
        return;
    peer_op *op = peer_new(f, a.req, true, &a.id, a.name);
    op->l.flags = a.flags;
    op->l.include_value = a.include_value;
    op->l.remote = true;
    op->l.subscriber = f->sender;
    op->l.sub_worker = a.sub_worker;
    if (a.key.len) {
        op->l.klen = a.key.len;
        op->l.key = mg_xmalloc(a.key.len);
        memcpy(op->l.key, a.key.ptr, a.key.len);
    }
    mg_fanout_start(w, &op->f);
}

static void on_remove(mg_worker *w, const mg_dp_frame *f)
{
    mg_lp_remove rm;
    if (mg_lp_remove_decode(f, &rm) != 0)
        return;
    mg_bytes no_name = {NULL, 0};
    mg_fanout_start(w, &peer_new(f, rm.req, false, &rm.id, no_name)->f);
}

static void on_ack(mg_worker *w0, const mg_dp_frame *f)
{
    uint64_t req;
    if (mg_lp_ack_decode(f, &req) != 0)
        return;
    for (mg_lr_op **pp = &w0->lr_ops; *pp; pp = &(*pp)->next) {
        mg_lr_op *op = *pp;
        if (op->req != req)
            continue;
        for (int i = 0; i < op->ntargets; i++)
            if (!op->targets[i].done && mg_uuid_eq(&op->targets[i].member, &f->sender)) {
                op->targets[i].done = true;
                op->pending--;
            }
        if (op->pending == 0) {
            *pp = op->next;
            op_finish(w0, op);
        }
        return;
    }
}

static void on_event(mg_worker *w, const mg_dp_frame *f)
{
    mg_lp_event e;
    if (mg_lp_event_decode(f, &e) != 0)
        return;
    mg_entry_event ev = {.partition = e.partition, .type = e.type, .affected = e.affected,
                         .key = e.key.ptr ? &e.key : NULL,
                         .value = e.value.ptr ? &e.value : NULL,
                         .old_value = e.old_value.ptr ? &e.old_value : NULL};
    if (mg_listeners_deliver(w, e.name.ptr, e.name.len, &e.id, &ev, &f->sender))
        return;
    int64_t now = now_ms();
    if (same_id(&w->lr_stale_id, &e.id) && now - w->lr_stale_ms < STALE_REMOVE_EVERY_MS)
        return;
    w->lr_stale_id = e.id;
    w->lr_stale_ms = now;
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_remove rm = {.req = 0, .id = e.id};
    mg_lp_remove_encode(&b, &w->topo->self, &rm);
    mg_cluster_send(w, &f->sender, b.data, b.len);
    mg_buf_free(&b);
}

void mg_listener_remote_on_frame(mg_worker *w, const mg_dp_frame *f)
{
    switch (f->type) {
    case MG_DP_LISTEN_ADD: on_add(w, f); break;
    case MG_DP_LISTEN_REMOVE: on_remove(w, f); break;
    case MG_DP_LISTEN_ACK: on_ack(w, f); break;
    case MG_DP_EVENT: on_event(w, f); break;
    default: break;
    }
}

/* ---- topology and time ------------------------------------------------------------ */

typedef struct push_ctx {
    mg_worker *w0;
    int n;
    mg_uuid joined[MG_CL_MAX_MEMBERS];
} push_ctx;

static void push_one(void *ctx, const uint8_t *name, size_t len, const mg_listener *l)
{
    push_ctx *pc = ctx;
    if (!wants_copies(l))
        return;
    mg_lr_op *op = op_new(pc->w0, true, &l->id, (mg_conn_ref){0}, NULL);
    for (int i = 0; i < pc->n; i++)
        op_target(op, &pc->joined[i]);
    encode_add(pc->w0, op, name, len, l);
    op_start(pc->w0, op);   /* touches the ops only, not the copy */
}

static void finish_all(mg_worker *w0)
{
    while (w0->lr_ops) {
        mg_lr_op *op = w0->lr_ops;
        w0->lr_ops = op->next;
        op_finish(w0, op);
    }
}

void mg_listener_remote_on_topology(mg_worker *w, const mg_topology *old, const mg_topology *t)
{
    if (w->listeners.count)
        mg_listeners_drop_departed(w, &t->list);
    if (w->idx != 0)
        return;
    bool same_self = old && mg_uuid_eq(&old->self, &t->self);
    if (old && !same_self) {
        /* Rejoined under a new UUID: the others drop every copy naming the
         * old one, and get new ones below, since they are all new to us. */
        finish_all(w);
    }
    if (!t->is_member)
        return;
    bool had_list = same_self && old->is_member;
    push_ctx pc = {.w0 = w, .n = 0};
    for (int i = 0; i < t->list.count; i++) {
        const mg_uuid *u = &t->list.members[i].uuid;
        if (mg_uuid_eq(u, &t->self) || (had_list && mg_cl_list_find(&old->list, u) >= 0))
            continue;
        pc.joined[pc.n++] = *u;
    }
    if (pc.n > 0 && w->listeners.count)
        mg_listeners_each(w, push_one, &pc);
}

void mg_listener_remote_tick(mg_worker *w)
{
    if (!w->lr_ops)
        return;
    const mg_topology *t = w->topo;
    int64_t now = now_ms();
    for (mg_lr_op **pp = &w->lr_ops; *pp;) {
        mg_lr_op *op = *pp;
        /* A member that left took its copies with it: nothing to wait for. */
        for (int i = 0; i < op->ntargets; i++)
            if (!op->targets[i].done && (!t || mg_cl_list_find(&t->list, &op->targets[i].member) < 0)) {
                op->targets[i].done = true;
                op->pending--;
            }
        if (op->pending == 0) {
            *pp = op->next;
            op_finish(w, op);
            continue;
        }
        if (now - op->sent_ms >= MG_LR_RESEND_MS)
            op_send(w, op);
        pp = &op->next;
    }
}

void mg_listener_remote_free(mg_worker *w)
{
    while (w->lr_ops) {
        mg_lr_op *op = w->lr_ops;
        w->lr_ops = op->next;
        op_free(op);
    }
}
