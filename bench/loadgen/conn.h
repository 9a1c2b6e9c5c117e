/* conn.h - one client connection to a member: TCP, the "CP2" preamble,
 * authentication, framing of the answer stream, and batched writes.
 *
 * Requests are appended to bconn_out(c) and go out in one uv_write per loop
 * turn, so pipelined requests share syscalls the way the member batches its
 * answers.  Two handles flush: a uv_check after the I/O callbacks (answers
 * read -> new requests), and a uv_prepare before the loop blocks (requests
 * queued by timers, or before the loop ran).  While a write is in flight
 * new requests collect in a second buffer.
 *
 * Correlation ids: data requests use the ids of the connection's in-flight
 * table (inflight.h, bit 62 clear); control requests (authentication,
 * cluster-view registration, proxy creation) use BCONN_CTRL | n.
 *
 * With a peer's protocol (kvproto.h: Redis, memcached) there is no preamble
 * and no authentication: the connection is ready once connected.  Answers
 * come in request order, so the ids of the requests sent wait in a FIFO
 * (bconn_kv_sent) and each answer completes the oldest.
 *
 * Owner: the thread whose loop the connection was opened on; everything,
 * callbacks included, runs there.
 */
#ifndef BENCH_CONN_H
#define BENCH_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "inflight.h"
#include "kvproto.h"
#include "proto/frame.h"

#define BCONN_CTRL ((int64_t)1 << 62)
#define BCONN_CORR_AUTH (BCONN_CTRL | 1)

typedef struct bconn bconn;

typedef struct bconn_cbs {
    /* Authenticated: c->member_uuid and c->partition_count are set. */
    void (*on_ready)(bconn *c);
    /* One complete message after authentication (answer or event); now is
     * when the bytes were read (ns, CLOCK_MONOTONIC). */
    void (*on_msg)(bconn *c, const uint8_t *msg, size_t len, int64_t now);
    /* A peer protocol's answer to the request with id corr. */
    void (*on_kv_answer)(bconn *c, int64_t corr, const bkv_answer *a, int64_t now);
    /* Fully closed (handles released): the owner may free c now.  why is
     * NULL for a close the owner asked for without a reason. */
    void (*on_closed)(bconn *c, const char *why);
} bconn_cbs;

typedef struct bconn_auth {
    const char *cluster;
    mg_uuid client_uuid;
    bool smart;              /* routing mode announced to 2.8+ members */
    bproto proto;
} bconn_auth;

typedef enum bconn_state {
    BC_CONNECTING,
    BC_AUTH,
    BC_READY,
    BC_CLOSING,
    BC_CLOSED,
} bconn_state;

struct bconn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    uv_check_t flusher;
    uv_prepare_t pre_flusher;
    uv_buf_t wbuf;
    const bconn_cbs *cbs;
    const bconn_auth *auth;
    void *owner;             /* for the callbacks */
    int member;              /* index in the owner's member table, -1 = not known yet */
    bconn_state state;
    int open_handles;        /* handles still to close before on_closed */
    char why[200];           /* first reason for closing */
    char host[64];
    int port;
    /* from the authentication answer */
    mg_uuid member_uuid;
    int32_t partition_count;
    char server_version[32];
    /* output: requests are written into out; busy is being written */
    mg_buf out, busy;
    bool writing;
    /* input: unparsed bytes */
    uint8_t *in;
    size_t in_len, in_cap;
    binflight inflight;
    /* peer protocols: ids of the requests sent, oldest first (a ring) */
    int64_t *kv_fifo;
    uint32_t kv_head, kv_len, kv_cap;
};

/* Header fields every answer and event has (frame 0: flags, type,
 * correlation id); false when the message is too short for them.  Not
 * mg_msg_peek_header: that one reads a request header, and an empty
 * response is shorter than one. */
typedef struct bmsg_hdr {
    uint16_t flags;
    uint32_t type;
    int64_t corr;
} bmsg_hdr;

static inline bool bmsg_peek(const uint8_t *msg, size_t len, bmsg_hdr *h)
{
    if (len < MG_FRAME_HDR + 12)
        return false;
    h->flags = mg_get_u16(msg + 4);
    h->type = mg_get_u32(msg + MG_FRAME_HDR);
    h->corr = (int64_t)mg_get_u64(msg + MG_FRAME_HDR + 4);
    return true;
}

/* Starts connecting; the result comes through the callbacks.  inflight_cap
 * sizes the in-flight table.  Returns 0, or a libuv error (then nothing was
 * started and c needs no close). */
int bconn_open(bconn *c, uv_loop_t *loop, const char *host, int port, const bconn_auth *auth,
               const bconn_cbs *cbs, void *owner, uint32_t inflight_cap);
/* Peer protocols: the request with id corr was appended to the output. */
static inline void bconn_kv_sent(bconn *c, int64_t corr)
{
    /* The ring is as large as the in-flight table, which holds every
     * request not yet answered: it cannot overflow. */
    c->kv_fifo[(c->kv_head + c->kv_len++) % c->kv_cap] = corr;
}
/* The buffer to append requests to; the flusher sends it this loop turn. */
static inline mg_buf *bconn_out(bconn *c) { return &c->out; }
/* Closes (idempotent); on_closed follows. */
void bconn_close(bconn *c, const char *why);
void bconn_release(bconn *c);   /* frees buffers after on_closed */

#endif
