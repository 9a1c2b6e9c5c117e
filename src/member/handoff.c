/* handoff.c - batched hand-over of requests and answers between workers. */
#include "member/handoff.h"

#include <string.h>

#include "member/member.h"
#include "net/conn.h"
#include "partition/forward.h"
#include "util/alloc.h"

enum { REC_REQUEST = 1, REC_DELIVER = 2 };

typedef struct mg_handoff_rec {
    uint32_t kind;
    uint32_t len;              /* payload bytes */
    uint64_t conn_id;
    int32_t conn_worker;
    int32_t partition;
    int64_t client_msb;
    int64_t client_lsb;
    const mg_handler *h;       /* REC_REQUEST */
    uint32_t answers_remote;   /* REC_DELIVER */
    uint32_t pad;
} mg_handoff_rec;

typedef struct batch_task {
    mg_task base;
    mg_buf buf;
} batch_task;

static size_t padded(size_t n) { return (n + 7) & ~(size_t)7; }

static void append(mg_worker *from, int dest, const mg_handoff_rec *rec, const void *payload)
{
    mg_buf *b = &from->outbox[dest];
    if (b->len == 0)   /* a non-empty outbox counts as work in flight (see member stop) */
        atomic_fetch_add(&from->m->tasks_in_flight, 1);
    size_t total = sizeof *rec + padded(rec->len);
    uint8_t *p = mg_buf_extend(b, total);
    memcpy(p, rec, sizeof *rec);
    if (rec->len)
        memcpy(p + sizeof *rec, payload, rec->len);
}

void mg_handoff_request(mg_worker *from, mg_worker *to, const mg_handler *h, const mg_req *r)
{
    mg_handoff_rec rec = {
        .kind = REC_REQUEST, .len = (uint32_t)r->len, .conn_id = r->conn.id,
        .conn_worker = r->conn.worker, .partition = r->partition,
        .client_msb = r->client.msb, .client_lsb = r->client.lsb, .h = h,
    };
    append(from, to->idx, &rec, r->msg);
}

static void deliver(mg_worker *w, uint64_t conn_id, const uint8_t *p, size_t n, bool answers_remote)
{
    mg_conn *c = mg_conn_lookup(w, conn_id);
    if (!c)   /* gone: the client left, its answers go nowhere */
        return;
    if (n)
        mg_buf_append(mg_conn_out(c), p, n);
    if (answers_remote)
        mg_conn_remote_done(c);
}

void mg_handoff_deliver(mg_worker *from, mg_conn_ref to, mg_buf *b, bool answers_remote)
{
    if (to.remote) {   /* a forwarded request: the answer goes back to its member */
        if (b->len)
            mg_forward_answer(from, to, b->data, b->len);
    } else if (to.worker == from->idx) {
        deliver(from, to.id, b->data, b->len, answers_remote);
    } else if (b->len || answers_remote) {
        mg_handoff_rec rec = {.kind = REC_DELIVER, .len = (uint32_t)b->len, .conn_id = to.id,
                              .conn_worker = to.worker, .answers_remote = answers_remote};
        append(from, to.worker, &rec, b->data);
    }
    mg_buf_reset(b);
}

static void run_batch(mg_worker *w, mg_task *t)
{
    batch_task *bt = (batch_task *)t;
    const uint8_t *p = bt->buf.data, *end = p + bt->buf.len;
    while (p < end) {
        mg_handoff_rec rec;
        memcpy(&rec, p, sizeof rec);
        const uint8_t *payload = p + sizeof rec;
        if (rec.kind == REC_REQUEST) {
            mg_req r = {
                .msg = payload, .len = rec.len, .conn = {rec.conn_worker, rec.conn_id},
                .client = {rec.client_msb, rec.client_lsb, false}, .partition = rec.partition,
                .handed_over = true,
            };
            mg_rd rd;
            mg_frame first;
            mg_rd_init(&rd, payload, rec.len);
            mg_rd_request_header(&rd, &r.hdr, &first);   /* checked by the sender */
            mg_dispatch_execute(w, rec.h, &r);
        } else {
            deliver(w, rec.conn_id, payload, rec.len, rec.answers_remote != 0);
        }
        p = payload + padded(rec.len);
    }
    mg_buf_free(&bt->buf);
    free(bt);
}

void mg_handoff_flush_to(mg_worker *w, int dest)
{
    mg_buf *b = &w->outbox[dest];
    if (b->len == 0)
        return;
    batch_task *bt = mg_xmalloc(sizeof *bt);
    bt->base.run = run_batch;
    bt->buf = *b;
    mg_buf_init(b);
    mg_worker_post(&w->m->workers[dest], &bt->base);
    atomic_fetch_sub(&w->m->tasks_in_flight, 1);   /* the task now counts instead */
}

void mg_handoff_flush(mg_worker *w)
{
    for (int i = 0; i < w->m->nworkers; i++)
        mg_handoff_flush_to(w, i);
}

void mg_handoff_free(mg_worker *w)
{
    if (!w->outbox)
        return;
    for (int i = 0; i < w->m->nworkers; i++)
        mg_buf_free(&w->outbox[i]);
    free(w->outbox);
    w->outbox = NULL;
}
