/* options.h - memgrid-bench's command line.  Every flag is declared once, in
 * the table in options.c (name, kind, bounds, help), from which parsing and
 * --help are both made. */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "kvproto.h"
#include "workload.h"

typedef struct bopts {
    /* target */
    const char *host;
    int port;
    const char *cluster;
    const char *map;
    bool smart;              /* route each key to its owner (default) */
    bproto proto;            /* hazelcast, or a peer's own protocol (kvproto.h) */
    /* load shape */
    int threads;             /* event-loop threads, each a client of its own */
    int conns;               /* connections per member, over all threads */
    int depth;               /* closed loop: requests in flight per connection */
    double rate;             /* ops/s over all threads; 0 = closed loop */
    /* workload */
    unsigned mix[BOP_N];
    uint32_t keys;
    uint32_t value_size;
    bdist dist;
    double zipf_theta;
    bool load;               /* set every key once before the warm-up */
    /* duration */
    double warmup_s;
    double duration_s;
    uint64_t ops;            /* measure this many ops instead of a duration */
    double drain_s;          /* how long to wait for the last answers */
    /* output */
    bool json;
    bool quiet;
    const char *label;
    int server_pid;          /* read its CPU time and RSS from /proc */
    /* other modes */
    bool wait_ready;         /* only wait until the member answers, then exit */
    double timeout_s;        /* for --wait-ready and for connecting */
} bopts;

/* Fills *o from argv.  Returns 0 to run, 1 when --help was printed, -1 on a
 * usage error (message already on stderr). */
int bopts_parse(bopts *o, int argc, char **argv);

#endif
