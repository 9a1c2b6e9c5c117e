/* worker.h - the threads of a member.
 *
 * A member runs T workers (default: online CPUs).  Each worker is one thread
 * with its own libuv loop and owns:
 *   - the client connections assigned to it (accept hands them out in turn);
 *   - the partitions p with p % T == worker index: their record stores, lock
 *     tables and expiry cursors (see map/map.h);
 *   - its copy of the entry-listener registrations (map/listeners.h), so
 *     publishing an event never takes a lock.
 * Nothing a worker owns is touched by another thread.  Threads talk only by
 * posting tasks to each other's inbox (a mutex-guarded list, held for a
 * pointer swap, plus a uv_async wake-up).  Requests and answers crossing
 * between workers are not posted one by one: during a loop turn they are
 * appended to a per-destination batch (handoff.c) that goes over as one task
 * when the turn ends.  Requests for one partition are therefore applied by
 * one thread, in the order they were handed over.
 */
#ifndef MG_MEMBER_WORKER_H
#define MG_MEMBER_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "proto/frame.h"
#include "util/bmap.h"
#include "util/buf.h"

typedef struct mg_member mg_member;
typedef struct mg_worker mg_worker;
typedef struct mg_conn mg_conn;
typedef struct mg_topology mg_topology;
typedef struct mg_repl mg_repl;

/* A unit of work posted to a worker.  Concrete tasks embed this first. */
typedef struct mg_task {
    struct mg_task *next;
    void (*run)(mg_worker *w, struct mg_task *t);   /* runs on the target, owns t */
} mg_task;

/* Names a connection across threads: its worker and a generation-tagged id. */
typedef struct mg_conn_ref {
    int worker;
    uint64_t id;
    bool remote;     /* a connection of member `via`: the request was forwarded */
    int via_worker;  /* the worker of `via` that forwarded it (its answer goes there) */
    mg_uuid via;
} mg_conn_ref;

struct mg_worker {
    mg_member *m;
    int idx;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t wake;
    uv_check_t flush;            /* after each loop turn: write what handlers queued */
    uv_timer_t sweep;            /* background expiry */
    uv_idle_t reap;              /* frees dropped partitions a slice per turn (map.c) */
    struct mg_part *reaping;
    uv_poll_t accept_poll;       /* worker 0 only: the listening socket */
    bool accepting;

    pthread_mutex_t inbox_lock;  /* guards inbox_head/tail only */
    mg_task *inbox_head, *inbox_tail;

    /* connections: slot table; id = generation << 32 | slot */
    mg_conn **conns;
    uint32_t *conn_gen;
    size_t nconn_slots;
    mg_conn *dirty;              /* connections with output to flush */
    size_t live_conns;

    mg_buf *outbox;              /* [nworkers] requests and answers batched for each worker (handoff.c) */
    mg_bmap map_cache;           /* name -> mg_map*, this worker's view */
    mg_bmap listeners;           /* map name -> mg_listener_list* */
    size_t sweep_map_pos;        /* expiry sweep position */
    uint64_t rng;
    bool stopping;

    mg_topology *topo;           /* this worker's snapshot of list and table (partition/topology.h) */
    mg_repl *repl;               /* replication state of its partitions (partition/backup.h) */
    mg_buf cluster_out;          /* frames for other members, handed to worker 0 per turn */
    mg_buf early_frames;         /* member frames that arrived before the first topology (cluster.c) */
    struct mg_forwarded *forwarded;   /* requests sent to other members, not answered yet, oldest first (forward.c) */
    struct mg_forwarded *forwarded_tail;
    struct mg_forwarded *route_waiting;   /* requests waiting for a topology with a route (forward.c) */
    struct mg_forwarded *route_rerun;     /* taken aside by an install, run at its end */
    size_t route_waiting_n;
    mg_buf forward_frame;        /* scratch for FORWARD frames (forward.c) */
    struct bulk *bulk_waiting;   /* whole-map requests waiting for other members (map_bulk.c) */
    uint64_t bulk_next_id;
    struct mg_lr_op *lr_ops;     /* worker 0: listener copies sent to members, not all answered (map/listener_remote.c) */
    uint64_t lr_next_req;
    mg_uuid lr_stale_id;         /* the last registration an EVENT named that no longer exists here */
    int64_t lr_stale_ms;
};

int mg_worker_init(mg_worker *w, mg_member *m, int idx);
int mg_worker_run(mg_worker *w);          /* starts the thread */
void mg_worker_join(mg_worker *w);
void mg_worker_post(mg_worker *w, mg_task *t);   /* any thread */
/* From a worker: keeps order with what `from` batched for `to`. */
void mg_worker_post_from(mg_worker *from, mg_worker *to, mg_task *t);

/* Worker that owns partition p. */
mg_worker *mg_worker_for_partition(mg_member *m, int32_t partition);

/* Delivers finished bytes (a response or an event) to a connection on any
 * worker.  Takes ownership of *b's memory (leaves *b empty). */
void mg_worker_send(mg_worker *from, mg_conn_ref to, mg_buf *b);

/* Fan-out: run part() on every worker, then done() on the origin worker once
 * all parts finished.  `f` must stay valid until done() runs; done() frees it. */
typedef struct mg_fanout mg_fanout;
struct mg_fanout {
    atomic_int pending;
    int origin;
    void (*part)(mg_worker *w, mg_fanout *f);
    void (*done)(mg_worker *w, mg_fanout *f);
};
void mg_fanout_start(mg_worker *origin, mg_fanout *f);
/* The same with part() on one worker only. */
void mg_fanout_start_one(mg_worker *origin, mg_fanout *f, int target);

#endif
