/* worker.c - worker threads, their inboxes, and fan-out. */
#include "member/worker.h"

#include <string.h>

#include "map/listener_remote.h"
#include "map/map.h"
#include "map/map_service.h"
#include "member/cluster.h"
#include "partition/backup.h"
#include "partition/forward.h"
#include "partition/topology.h"
#include "member/handoff.h"
#include "member/member.h"
#include "net/conn.h"
#include "net/listener.h"
#include "util/alloc.h"
#include "util/rand.h"

#define MG_SWEEP_INTERVAL_MS 100

static void drain_inbox(uv_async_t *a)
{
    mg_worker *w = a->data;
    for (;;) {
        pthread_mutex_lock(&w->inbox_lock);
        mg_task *t = w->inbox_head;
        w->inbox_head = w->inbox_tail = NULL;
        pthread_mutex_unlock(&w->inbox_lock);
        if (!t)
            return;
        while (t) {
            mg_task *next = t->next;
            t->run(w, t);
            atomic_fetch_sub(&w->m->tasks_in_flight, 1);
            t = next;
        }
    }
}

/* End of a loop turn: hand over what this turn produced for other workers,
 * then write what it produced for our connections. */
static void on_check(uv_check_t *h)
{
    mg_worker *w = h->data;
    mg_backup_flush(w);    /* replication records of this turn, before anything they answer */
    mg_cluster_flush(w);
    mg_handoff_flush(w);
    mg_conn_flush_all(w);
}

static void on_sweep(uv_timer_t *t)
{
    mg_worker *w = t->data;
    mg_map_sweep(w);
    mg_backup_tick(w);
    mg_map_bulk_tick(w);
    mg_listener_remote_tick(w);
    mg_forward_tick(w);
}

int mg_worker_init(mg_worker *w, mg_member *m, int idx)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    w->idx = idx;
    w->rng = mg_rand_seed();
    mg_bmap_init(&w->map_cache);
    mg_bmap_init(&w->listeners);
    pthread_mutex_init(&w->inbox_lock, NULL);
    int rc = uv_loop_init(&w->loop);
    if (rc)
        return rc;
    uv_async_init(&w->loop, &w->wake, drain_inbox);
    w->wake.data = w;
    uv_check_init(&w->loop, &w->flush);
    w->flush.data = w;
    uv_check_start(&w->flush, on_check);
    uv_idle_init(&w->loop, &w->reap);
    w->reap.data = w;
    uv_timer_init(&w->loop, &w->sweep);
    w->sweep.data = w;
    uv_timer_start(&w->sweep, on_sweep, MG_SWEEP_INTERVAL_MS, MG_SWEEP_INTERVAL_MS);
    w->outbox = mg_xcalloc((size_t)m->nworkers, sizeof *w->outbox);
    mg_buf_init(&w->cluster_out);
    mg_buf_init(&w->early_frames);
    mg_backup_worker_init(w);
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void worker_main(void *arg)
{
    mg_worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    /* Stopped: close whatever is left and let the callbacks finish. */
    uv_walk(&w->loop, close_walk, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
}

int mg_worker_run(mg_worker *w)
{
    return uv_thread_create(&w->thread, worker_main, w);
}

void mg_worker_join(mg_worker *w)
{
    uv_thread_join(&w->thread);
    mg_bmap_free(&w->map_cache);
    mg_bmap_free(&w->listeners);
    mg_handoff_free(w);
    mg_backup_worker_free(w);
    mg_forward_free(w);
    mg_topology_unref(w->topo);
    w->topo = NULL;
    mg_buf_free(&w->cluster_out);
    mg_buf_free(&w->early_frames);
    free(w->conns);
    free(w->conn_gen);
    pthread_mutex_destroy(&w->inbox_lock);
}

void mg_worker_post_from(mg_worker *from, mg_worker *to, mg_task *t)
{
    /* whatever `from` already batched for `to` must arrive first */
    mg_handoff_flush_to(from, to->idx);
    mg_worker_post(to, t);
}

void mg_worker_post(mg_worker *w, mg_task *t)
{
    t->next = NULL;
    atomic_fetch_add(&w->m->tasks_in_flight, 1);
    pthread_mutex_lock(&w->inbox_lock);
    if (w->inbox_tail)
        w->inbox_tail->next = t;
    else
        w->inbox_head = t;
    w->inbox_tail = t;
    pthread_mutex_unlock(&w->inbox_lock);
    uv_async_send(&w->wake);
}

mg_worker *mg_worker_for_partition(mg_member *m, int32_t partition)
{
    return &m->workers[partition % m->nworkers];
}

/* --- bytes for a connection ---------------------------------------------------- */

void mg_worker_send(mg_worker *from, mg_conn_ref to, mg_buf *b) { mg_handoff_deliver(from, to, b, false); }

/* --- fan-out -------------------------------------------------------------- */

typedef struct fanout_task {
    mg_task base;
    mg_fanout *f;
} fanout_task;

static void run_done(mg_worker *w, mg_task *t)
{
    mg_fanout *f = ((fanout_task *)t)->f;
    free(t);
    f->done(w, f);
}

static void run_part(mg_worker *w, mg_task *t)
{
    mg_fanout *f = ((fanout_task *)t)->f;
    f->part(w, f);
    if (atomic_fetch_sub(&f->pending, 1) == 1) {
        /* last part: completion runs where the request came from */
        if (f->origin == w->idx) {
            free(t);
            f->done(w, f);
        } else {
            t->run = run_done;
            mg_worker_post_from(w, &w->m->workers[f->origin], t);
        }
        return;
    }
    free(t);
}

void mg_fanout_start_one(mg_worker *origin, mg_fanout *f, int target)
{
    f->origin = origin->idx;
    atomic_store(&f->pending, 1);
    fanout_task *t = mg_xmalloc(sizeof *t);
    t->base.run = run_part;
    t->f = f;
    if (target == origin->idx)
        run_part(origin, &t->base);
    else
        mg_worker_post_from(origin, &origin->m->workers[target], &t->base);
}

void mg_fanout_start(mg_worker *origin, mg_fanout *f)
{
    mg_member *m = origin->m;
    f->origin = origin->idx;
    atomic_store(&f->pending, m->nworkers);
    /* Post to the others first, run our own part inline last. */
    for (int i = 0; i < m->nworkers; i++) {
        if (i == origin->idx)
            continue;
        fanout_task *t = mg_xmalloc(sizeof *t);
        t->base.run = run_part;
        t->f = f;
        mg_worker_post_from(origin, &m->workers[i], &t->base);
    }
    fanout_task *self = mg_xmalloc(sizeof *self);
    self->base.run = run_part;
    self->f = f;
    run_part(origin, &self->base);
}
