/* conn.h - one client connection.
 *
 * Owned by one worker; only that thread touches it.  Input is read into `in`
 * and cut into messages (proto/frame.h); each complete message is dispatched
 * (member/dispatch.h).  Output that handlers produce during a loop turn is
 * appended to `out` and written with one uv_write when the turn ends (the
 * worker's uv_check), so many responses share one syscall.
 *
 * Memory bounds: an inbound message larger than
 * memgrid.client.max-message-bytes is answered with an error for its
 * correlation id and skipped frame by frame without being buffered, so the
 * connection goes on; a frame whose length is impossible closes it;
 * while more than MG_CONN_OUT_HIGH bytes wait to be written (a client that
 * does not read), or MG_CONN_REMOTE_HIGH of its requests are still running on
 * other workers, the connection stops taking requests (checked after every
 * message, not per read) until the backlog halves, so a slow reader cannot
 * make the member grow without bound.
 */
#ifndef MG_NET_CONN_H
#define MG_NET_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "member/worker.h"
#include "proto/frame.h"
#include "util/buf.h"

#define MG_CONN_OUT_HIGH (64u << 20)
/* Requests of one connection running on other workers; past this the
 * connection stops reading until answers come back. */
#define MG_CONN_REMOTE_HIGH 4096
/* How long a deliberate close waits for its last answer to be written; a
 * client that never reads does not keep the socket past it. */
#define MG_CONN_LINGER_MS 5000

/* PEER: another member's link (first bytes "MGRD", cluster/member_proto.h):
 * its frames go to the cluster service, nothing is written back. */
typedef enum { MG_CONN_PREFACE, MG_CONN_OPEN, MG_CONN_PEER, MG_CONN_CLOSING } mg_conn_state;

struct mg_conn {
    mg_worker *w;
    uint64_t id;
    uv_tcp_t tcp;
    uv_timer_t linger;   /* see MG_CONN_LINGER_MS */
    int open_handles;    /* freed when both handles are closed */
    mg_conn_state state;
    char peer[64];

    mg_buf in;
    mg_buf out;          /* queued this turn */
    mg_buf writing;      /* handed to uv_write */
    uv_write_t wreq;
    bool write_pending;
    bool in_dirty_list;
    bool read_paused;
    uint32_t remote_inflight;  /* requests handed to other workers, not yet answered */
    bool discarding;           /* skipping an oversized message, frame by frame */
    bool skip_final;           /* the frame being skipped ends that message */
    uint64_t skip;             /* bytes of the current frame still to skip */
    bool close_after_flush;
    bool held;                 /* waits until this member is in the cluster */
    mg_conn *next_dirty;

    bool authenticated;
    mg_uuid client_uuid;
    char client_type[16];
    char client_name[64];
    /* Correlation ids of this connection's cluster view registrations:
     * each gets every view event.  Hazelcast 5.7 keeps only the newest, so
     * a second registration silently cuts the client off from member
     * changes (docs/cluster.md, "Views for clients"). */
    int64_t *view_corrs;
    uint32_t nviews;
};

void mg_conn_accept(mg_worker *w, int fd);
mg_conn *mg_conn_lookup(mg_worker *w, uint64_t id);
static inline mg_conn_ref mg_conn_ref_of(const mg_conn *c) { return (mg_conn_ref){.worker = c->w->idx, .id = c->id}; }
/* The buffer to append output to; marks the connection for flushing. */
mg_buf *mg_conn_out(mg_conn *c);
void mg_conn_close(mg_conn *c, const char *why);
void mg_conn_flush_all(mg_worker *w);
/* An answer to a request that ran on another worker arrived. */
void mg_conn_remote_done(mg_conn *c);
void mg_conn_close_all(mg_worker *w);
/* The member joined the cluster: client connections held until then go on. */
void mg_conn_release_held(mg_worker *w);

#endif
