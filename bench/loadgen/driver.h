/* driver.h - one load-generating thread: its own libuv loop, its own client
 * (cluster view and connections), its share of the keys to load and of the
 * request rate, and its own statistics.
 *
 * Phases (bphase), the same instants for every thread:
 *   CONNECT  connect, authenticate, learn the cluster, create the proxy
 *   LOAD     set this thread's share of the keys (pipelined)
 *   -------  barrier: all threads loaded; thread 0 samples the member's RSS
 *   WARMUP   the workload, not recorded
 *   MEASURE  the workload, recorded: a request counts when it was issued
 *            (or due, open loop) in MEASURE and answered before MEASURE
 *            ended
 *   DRAIN    no new requests; wait --drain for the outstanding ones, then
 *            count the rest as lost
 *
 * Closed loop keeps `window` requests in flight (depth x connections);
 * open loop (--rate) issues on the pacer's schedule whatever the answers do.
 *
 * Threading: a driver's fields belong to its thread, except `progress`
 * (relaxed atomics read by thread 0 for the progress line) and the fields
 * of brun marked as shared.
 */
#ifndef BENCH_DRIVER_H
#define BENCH_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cluster.h"
#include "histogram.h"
#include "options.h"
#include "pacer.h"
#include "procstat.h"
#include "workload.h"

typedef enum bphase {
    BP_CONNECT,
    BP_LOAD,
    BP_WARMUP,
    BP_MEASURE,
    BP_DRAIN,
    BP_DONE,
} bphase;

extern const char *const bphase_names[];

/* Error answers counted by their text with each number folded to '#' (partition
 * numbers, sequence numbers), so that one kind of error is one line. */
#define BERR_KINDS 8
typedef struct berr_kind {
    char text[160];
    uint64_t count;
} berr_kind;

/* Counts one error of text into kinds[0..*n) (the last slot takes every
 * kind beyond BERR_KINDS - 1). */
void berr_count(berr_kind *kinds, int *n, const char *text, uint64_t count);

typedef struct bstats {
    bhist hist[BOP_N];          /* latency of measured requests, ns */
    bhist lag;                  /* open loop: how late requests were written, ns */
    uint64_t ops[BOP_N];        /* measured requests answered */
    uint64_t misses;            /* get/remove answered "no such key" */
    uint64_t errors;            /* error answers, undecodable or wrong answers */
    uint64_t lost;              /* requests still unanswered after the drain */
    uint64_t unexpected;        /* answers to no outstanding request */
    uint64_t overload;          /* open loop: requests not sent, in-flight table full */
    uint64_t loaded;            /* keys set in the load phase */
    int64_t t_measure_start;    /* actual phase edges (ns, monotonic) */
    int64_t t_measure_end;
    int64_t load_ns;            /* how long this thread's load took */
    char first_error[200];
    berr_kind error_kinds[BERR_KINDS];
    int nerror_kinds;
} bstats;

typedef struct brun brun;

typedef struct bdriver {
    int id;
    pthread_t thread;
    brun *run;
    uv_loop_t loop;
    bcluster cl;
    bconn_auth auth;
    uv_timer_t phase_timer, progress_timer, connect_timer;
    bpacer pacer;
    bool pacer_on;
    int open_handles;           /* timers and pacer not yet closed */
    uint64_t rng;
    bphase phase;
    bool failed, closing, at_barrier;
    char fail_why[256];
    uint64_t window;            /* closed loop: requests kept in flight */
    uint64_t inflight;
    uint32_t load_next, load_end;   /* keys still to set: [load_next, load_end) */
    uint32_t load_total, load_answered;
    int64_t load_start;
    uint64_t quota;             /* --ops: this thread's share; 0 = by duration */
    uint64_t measured;
    double rate;                /* this thread's share of --rate */
    int conns_per_member;
    bstats st;
    _Atomic uint64_t progress_done;     /* answers received, all phases */
    _Atomic uint64_t progress_errors;
    _Atomic uint64_t progress_inflight;
    _Atomic int progress_phase;
} bdriver;

struct brun {
    const bopts *o;
    const bworkload *w;
    int nthreads;
    bdriver *drivers;
    pthread_barrier_t barrier;
    /* Shared: written by the barrier's serial thread between its two
     * waits, read by all after the second. */
    int64_t t_start;            /* warm-up starts */
    bool abort;                 /* some thread failed before the barrier */
    /* Written by thread 0 only, read by main after the join. */
    double client_cpu[2], server_cpu[2];
    bproc_machine machine[2];
    long rss_loaded_kb, rss_end_kb;
    int64_t t_launch;
    char server_version[32];
    int members;
};

/* Thread body; arg is a bdriver. */
void *bdriver_main(void *arg);

#endif
