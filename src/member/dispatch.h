/* dispatch.h - from a decoded message to the code that answers it.
 *
 * One table (dispatch.c) maps each message type to a handler and a route:
 *   MG_ROUTE_CONN  run on the connection's worker (client service messages,
 *                  and whole-map operations, which fan out themselves);
 *   MG_ROUTE_KEY   run on the worker owning the partition of the key (the
 *                  second variable frame of every keyed Map message); the
 *                  partition is computed from the key bytes, the header's
 *                  partition id is only a hint.
 * Unknown types get error 61 (UNSUPPORTED_OPERATION), as Hazelcast answers.
 */
#ifndef MG_MEMBER_DISPATCH_H
#define MG_MEMBER_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "member/worker.h"
#include "proto/frame.h"

typedef struct mg_parked mg_parked;

/* One request being executed.  Lives on the executing worker's stack. */
typedef struct mg_req {
    mg_worker *w;            /* executing worker */
    const uint8_t *msg;      /* the whole message (borrowed) */
    size_t len;
    mg_req_hdr hdr;
    mg_conn_ref conn;        /* who asked */
    mg_uuid client;          /* the client's UUID: lock owner identity */
    int32_t partition;       /* -1 when not partition-bound */
    mg_buf *out;             /* the response is appended here */
    mg_conn *local;          /* the connection, when running on its worker */
    mg_parked *parked;       /* set when re-run from a wait queue */
    bool suspended;          /* the handler parked the request: no answer yet */
    uint64_t repl_seq;       /* replication number of its write, 0 = none (partition/backup.h) */
    uint64_t via_table;      /* forwarded: the table version the forwarding member routed by */
    int64_t route_deadline_ms;   /* run again after waiting for a route: until when it may wait (forward.h) */
    const struct mg_bulk_origin *bulk_origin;   /* a whole-map request run for another member (map_bulk.c) */
    bool timed_out;          /* re-run because its wait deadline passed */
    bool handed_over;        /* came from another worker's connection (counted there) */
} mg_req;

typedef void (*mg_handler_fn)(mg_req *r);
enum { MG_WRITES_NONE = 0, MG_WRITES_ENTRY = 1, MG_WRITES_LOCK = 2 };
typedef enum { MG_ROUTE_CONN, MG_ROUTE_KEY } mg_route;

typedef struct mg_handler {
    uint32_t type;
    mg_route route;
    uint8_t writes;          /* MG_WRITES_*: what it may change, replicated to the backups */
    mg_handler_fn fn;
    const char *name;
} mg_handler;

const mg_handler *mg_dispatch_find(uint32_t type);
/* Called by the connection for each complete message. */
void mg_dispatch(mg_conn *c, const uint8_t *msg, size_t len);
/* Runs a request on the current worker and delivers its answer. */
void mg_dispatch_execute(mg_worker *w, const mg_handler *h, mg_req *r);

/* Error answers. */
void mg_req_error(mg_req *r, int32_t code, const char *class_name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The message could not be decoded: error 23 with where it broke. */
void mg_req_bad_message(mg_req *r);

/* Before running the requests of one read (in[0..len), whole messages
 * and maybe the start of one more): asks memory for the store buckets and
 * entries that the first PREFETCH_BATCH keyed ones owned here will look
 * up.  Reads only; malformed input is left to mg_dispatch. */
void mg_dispatch_prefetch(struct mg_conn *c, const uint8_t *in, size_t len);

#endif
