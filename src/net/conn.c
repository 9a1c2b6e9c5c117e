/* conn.c - client connection I/O: the CP2 preface, cutting the byte stream
 * into messages, batching output, back-pressure and clean-up. */
#include "net/conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "client/client_service.h"
#include "cluster/member_proto.h"
#include "member/cluster.h"
#include "member/dispatch.h"
#include "member/member.h"
#include "net/direct_write.h"
#include "proto/error.h"
#include "util/alloc.h"

#define READ_CHUNK (64u << 10)
#define PEER_KEEP (8u << 20)     /* input buffer a member link may keep */

/* --- slot table: ids stay unique across reuse of a slot ------------------- */

static uint64_t slot_add(mg_worker *w, mg_conn *c)
{
    size_t i;
    for (i = 0; i < w->nconn_slots; i++)
        if (!w->conns[i])
            break;
    if (i == w->nconn_slots) {
        size_t n = w->nconn_slots ? w->nconn_slots * 2 : 16;
        w->conns = mg_xrealloc(w->conns, n * sizeof *w->conns);
        w->conn_gen = mg_xrealloc(w->conn_gen, n * sizeof *w->conn_gen);
        for (size_t j = w->nconn_slots; j < n; j++) {
            w->conns[j] = NULL;
            w->conn_gen[j] = 0;
        }
        w->nconn_slots = n;
    }
    w->conns[i] = c;
    w->conn_gen[i]++;
    w->live_conns++;
    return ((uint64_t)w->conn_gen[i] << 32) | i;
}

static void slot_remove(mg_worker *w, uint64_t id)
{
    uint32_t i = (uint32_t)id;
    if (i < w->nconn_slots && w->conns[i]) {
        w->conns[i] = NULL;
        w->live_conns--;
    }
}

mg_conn *mg_conn_lookup(mg_worker *w, uint64_t id)
{
    uint32_t i = (uint32_t)id;
    if (i >= w->nconn_slots || w->conn_gen[i] != (uint32_t)(id >> 32))
        return NULL;
    mg_conn *c = w->conns[i];
    return c && c->state != MG_CONN_CLOSING ? c : NULL;
}

/* --- output -------------------------------------------------------------- */

mg_buf *mg_conn_out(mg_conn *c)
{
    if (!c->in_dirty_list) {
        c->in_dirty_list = true;
        c->next_dirty = c->w->dirty;
        c->w->dirty = c;
    }
    return &c->out;
}

static void start_write(mg_conn *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

static size_t backlog(const mg_conn *c) { return c->out.len + c->writing.len; }

static bool overloaded(const mg_conn *c)
{
    return backlog(c) > MG_CONN_OUT_HIGH || c->remote_inflight > MG_CONN_REMOTE_HIGH;
}

static bool drained(const mg_conn *c)
{
    return backlog(c) < MG_CONN_OUT_HIGH / 2 && c->remote_inflight < MG_CONN_REMOTE_HIGH / 2;
}

static void process_input(mg_conn *c);

static void pause_reading(mg_conn *c)
{
    if (c->read_paused)
        return;
    c->read_paused = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
}

/* Takes requests again: first those already buffered, then the socket. */
static void maybe_resume(mg_conn *c)
{
    if (!c->read_paused || c->state != MG_CONN_OPEN || !drained(c))
        return;
    c->read_paused = false;
    process_input(c);
    if (!c->read_paused && c->state == MG_CONN_OPEN)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void mg_conn_remote_done(mg_conn *c)
{
    if (c->remote_inflight)
        c->remote_inflight--;
    maybe_resume(c);
}

static void on_closed(uv_handle_t *h)
{
    mg_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    mg_buf_free(&c->in);
    mg_buf_free(&c->out);
    mg_buf_free(&c->writing);
    free(c->view_corrs);
    free(c);
}

static void really_close(mg_conn *c)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    if (c->in_dirty_list) {   /* never leave a freed connection on the list */
        for (mg_conn **pp = &c->w->dirty; *pp; pp = &(*pp)->next_dirty)
            if (*pp == c) {
                *pp = c->next_dirty;
                break;
            }
        c->in_dirty_list = false;
    }
    uv_close((uv_handle_t *)&c->tcp, on_closed);   /* cancels a pending write */
    uv_close((uv_handle_t *)&c->linger, on_closed);
}

static void on_linger_expired(uv_timer_t *t)
{
    really_close(t->data);
}

static void on_write(uv_write_t *req, int status)
{
    mg_conn *c = req->data;
    c->write_pending = false;
    mg_buf_reset(&c->writing);
    if (status < 0) {
        if (c->state != MG_CONN_CLOSING)
            mg_conn_close(c, uv_strerror(status));
        else
            really_close(c);
        return;
    }
    if (c->state == MG_CONN_CLOSING) {
        if (c->close_after_flush && c->out.len) {
            start_write(c);
            return;
        }
        really_close(c);
        return;
    }
    if (c->out.len)
        start_write(c);
    maybe_resume(c);
}

static void start_write(mg_conn *c)
{
    if (c->write_pending || c->out.len == 0)
        return;
    /* A direct write first (net/direct_write.h): answers nearly always fit
     * the socket buffer.  A closing connection keeps to uv_write, whose
     * callback finishes the close; so does one whose reading is paused,
     * whose callback resumes it (in a loop phase whose answers are still
     * flushed in the same turn). */
    size_t done = 0;
    if (c->state == MG_CONN_OPEN && !c->read_paused) {
        done = mg_direct_write((uv_stream_t *)&c->tcp, &c->out);
        if (done == c->out.len) {
            mg_buf_reset(&c->out);
            return;
        }
    }
    mg_buf tmp = c->writing;   /* swap: the queued bytes become the in-flight write */
    c->writing = c->out;
    c->out = tmp;
    mg_buf_reset(&c->out);
    uv_buf_t b = uv_buf_init((char *)c->writing.data + done, (unsigned)(c->writing.len - done));
    c->wreq.data = c;
    c->write_pending = true;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc < 0) {
        c->write_pending = false;
        mg_conn_close(c, uv_strerror(rc));
    }
}

void mg_conn_flush_all(mg_worker *w)
{
    mg_conn *c = w->dirty;
    w->dirty = NULL;
    while (c) {
        mg_conn *next = c->next_dirty;
        c->in_dirty_list = false;
        c->next_dirty = NULL;
        if (c->state != MG_CONN_CLOSING || c->close_after_flush)
            start_write(c);
        if (c->state == MG_CONN_OPEN && overloaded(c))
            pause_reading(c);   /* answers pile up (e.g. events): stop taking requests */
        c = next;
    }
}

/* --- closing -------------------------------------------------------------- */

void mg_conn_close(mg_conn *c, const char *why)
{
    if (c->state == MG_CONN_CLOSING)
        return;
    mg_member *m = c->w->m;
    /* A refused client that hangs up was already logged once when refused. */
    if (why && (c->authenticated || c->close_after_flush || strcmp(why, "client closed") != 0))
        MG_INFO(&m->log, "client connection %s closed: %s", c->peer, why);
    c->state = MG_CONN_CLOSING;
    uv_read_stop((uv_stream_t *)&c->tcp);
    slot_remove(c->w, c->id);
    mg_client_on_close(c);
    /* Only a deliberate close waits for its last answer to leave; otherwise
     * (and always when the member stops) uv_close cancels a pending write. */
    if (c->close_after_flush && !c->w->stopping && (c->out.len || c->write_pending)) {
        start_write(c);
        if (c->write_pending) {   /* on_write finishes the close, or the linger timer */
            uv_timer_start(&c->linger, on_linger_expired, MG_CONN_LINGER_MS, 0);
            return;
        }
    }
    really_close(c);
}

void mg_conn_release_held(mg_worker *w)
{
    for (size_t i = 0; i < w->nconn_slots; i++) {
        mg_conn *c = w->conns[i];
        if (c && c->held) {
            c->held = false;
            maybe_resume(c);
        }
    }
}

void mg_conn_close_all(mg_worker *w)
{
    for (size_t i = 0; i < w->nconn_slots; i++)
        if (w->conns[i])
            mg_conn_close(w->conns[i], NULL);
}

/* --- input ---------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    mg_conn *c = h->data;
    mg_buf_reserve(&c->in, READ_CHUNK);
    *buf = uv_buf_init((char *)c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
}

/* mg_msg_scan refused the message at p.  A frame length below the header
 * size cannot be skipped: close.  Otherwise the message is too large: answer
 * its correlation id and skip it.  Returns false when more bytes are needed
 * to tell. */
static bool refuse_message(mg_conn *c, const uint8_t *p, size_t avail)
{
    mg_member *m = c->w->m;
    if (avail < MG_FRAME_HDR)
        return false;
    int32_t flen = (int32_t)mg_get_u32(p);
    if (flen < MG_FRAME_HDR + 16) {   /* not even a request header */
        char why[96];
        snprintf(why, sizeof why, "malformed frame (length %d)", flen);
        c->close_after_flush = true;
        mg_conn_close(c, why);
        return true;
    }
    if (avail < MG_FRAME_HDR + 12)
        return false;
    int64_t corr = (int64_t)mg_get_u64(p + MG_FRAME_HDR + 4);
    uint32_t type = mg_get_u32(p + MG_FRAME_HDR);
    char msg[200];
    snprintf(msg, sizeof msg, "message larger than memgrid.client.max-message-bytes (%lld bytes) refused",
             (long long)m->max_message);
    mg_proto_error_encode(mg_conn_out(c), corr, MG_ERR_ILLEGAL_ARGUMENT,
                          "java.lang.IllegalArgumentException", msg);
    MG_WARN(&m->log, "client %s: message type 0x%06x (correlation %lld) exceeds "
            "memgrid.client.max-message-bytes %lld; refused and skipped", c->peer, type,
            (long long)corr, (long long)m->max_message);
    c->discarding = true;
    c->skip = 0;
    c->skip_final = false;
    return true;
}

/* Skips the frames of a refused message without buffering them. */
static size_t discard(mg_conn *c, size_t off)
{
    while (c->discarding && off < c->in.len) {
        if (c->skip) {
            size_t n = c->in.len - off < c->skip ? c->in.len - off : (size_t)c->skip;
            off += n;
            c->skip -= n;
            if (c->skip == 0 && c->skip_final)
                c->discarding = false;
            continue;
        }
        if (c->in.len - off < MG_FRAME_HDR)
            break;
        int32_t flen = (int32_t)mg_get_u32(c->in.data + off);
        if (flen < MG_FRAME_HDR) {
            c->close_after_flush = true;
            mg_conn_close(c, "malformed frame inside a refused message");
            break;
        }
        c->skip = (uint64_t)flen;
        c->skip_final = (mg_get_u16(c->in.data + off + 4) & MG_F_FINAL) != 0;
    }
    return off;
}

/* Frames of another member's link, to the cluster service. */
static size_t peer_input(mg_conn *c, size_t off)
{
    while (c->state == MG_CONN_PEER && off < c->in.len) {
        size_t flen = 0;
        int rc = mg_mp_frame_size(c->in.data + off, c->in.len - off, &flen);
        if (rc == MG_MP_NEED_MORE)
            break;
        if (rc < 0 || mg_cluster_receive(c->w, c->in.data + off, flen) < 0) {
            char why[96];
            snprintf(why, sizeof why, "member protocol: %s", rc < 0 ? mg_mp_strerror(rc) : "refused frame");
            mg_conn_close(c, why);
            return off;
        }
        off += flen;
    }
    return off;
}

static bool member_ready(const mg_worker *w) { return w->topo && w->topo->is_member; }

static void process_input(mg_conn *c)
{
    size_t off = 0;
    if (c->state == MG_CONN_PREFACE) {
        if (c->in.len >= 1 && c->in.data[0] == MG_MP_MAGIC0) {
            if (c->in.len < 4)
                return;
            if (!mg_mp_is_magic(c->in.data, c->in.len)) {
                mg_conn_close(c, "neither the client protocol (CP2) nor the member protocol (MGRD)");
                return;
            }
            c->state = MG_CONN_PEER;
        } else {
            if (c->in.len < 3)
                return;
            if (memcmp(c->in.data, "CP2", 3) != 0) {
                mg_conn_close(c, "not a Hazelcast client protocol connection (no CP2 preface)");
                return;
            }
            c->state = MG_CONN_OPEN;
            off = 3;
        }
    }
    if (c->state == MG_CONN_PEER)
        off = peer_input(c, off);
    if (c->state == MG_CONN_OPEN && !c->discarding && member_ready(c->w))
        mg_dispatch_prefetch(c, c->in.data + off, c->in.len - off);
    while (c->state == MG_CONN_OPEN && off < c->in.len) {
        if (!member_ready(c->w)) {   /* joining: clients wait, the port is open for members */
            c->held = true;
            pause_reading(c);
            break;
        }
        if (c->discarding) {
            size_t before = off;
            off = discard(c, off);
            if (off == before)
                break;   /* the next frame header is not complete yet */
            continue;
        }
        size_t msg_len = 0;
        int rc = mg_msg_scan(c->in.data + off, c->in.len - off, (size_t)c->w->m->max_message, &msg_len);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (!refuse_message(c, c->in.data + off, c->in.len - off))
                break;   /* need the rest of the header first */
            continue;
        }
        mg_dispatch(c, c->in.data + off, msg_len);
        off += msg_len;
        if (overloaded(c)) {   /* the rest of the input waits in the buffer */
            pause_reading(c);
            break;
        }
    }
    if (c->state == MG_CONN_CLOSING)
        return;
    if (off) {
        memmove(c->in.data, c->in.data + off, c->in.len - off);
        c->in.len -= off;
    }
    /* Give memory back after a large message - except on a member link,
     * where partition copies of megabytes are routine: freeing and growing
     * the buffer again for each (page faults, copies) was measurable in the
     * migration rate. */
    size_t keep = c->state == MG_CONN_PEER ? PEER_KEEP : 4 * READ_CHUNK;
    if (c->in.len == 0 && c->in.cap > keep) {
        mg_buf_free(&c->in);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    mg_conn *c = s->data;
    if (nread < 0) {
        mg_conn_close(c, nread == UV_EOF ? "client closed" : uv_strerror((int)nread));
        return;
    }
    c->in.len += (size_t)nread;
    process_input(c);
}

void mg_conn_accept(mg_worker *w, int fd)
{
    mg_conn *c = mg_xcalloc(1, sizeof *c);
    c->w = w;
    mg_buf_init(&c->in);
    mg_buf_init(&c->out);
    mg_buf_init(&c->writing);
    uv_tcp_init(&w->loop, &c->tcp);
    c->tcp.data = c;
    uv_timer_init(&w->loop, &c->linger);
    c->linger.data = c;
    c->open_handles = 2;
    if (uv_tcp_open(&c->tcp, fd) < 0) {
        close(fd);
        really_close(c);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%u", ip, ntohs(sin->sin_port));
    } else {
        snprintf(c->peer, sizeof c->peer, "fd %d", fd);
    }
    c->id = slot_add(w, c);
    c->state = MG_CONN_PREFACE;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}
