/* link.c - outbound member-to-member connections (link.h). */
#include "net/link.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "util/alloc.h"
#include "util/buf.h"

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP } link_state;

typedef struct peer_link {
    mg_links *owner;
    mg_cl_addr addr;
    link_state state;
    bool handle_open;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    bool write_pending;
    mg_buf out;       /* queued */
    mg_buf writing;   /* handed to uv_write */
    uint64_t connect_started;   /* uv_now when the dial began */
    bool redial;      /* the peer closed the link: dial again once the handle is closed */
} peer_link;

struct mg_links {
    uv_loop_t *loop;
    void (*on_unreachable)(void *ctx, const mg_cl_addr *addr, bool refused);
    void *ctx;
    unsigned stall_ms;
    peer_link *links[2 * MG_CL_MAX_MEMBERS];
    int n;
    bool closed;
    char sink[4096];   /* reads on outbound links: nothing is expected there */
};

mg_links *mg_links_new(uv_loop_t *loop, unsigned stall_ms,
                       void (*on_unreachable)(void *, const mg_cl_addr *, bool), void *ctx)
{
    mg_links *l = mg_xcalloc(1, sizeof *l);
    l->loop = loop;
    l->stall_ms = stall_ms;
    l->on_unreachable = on_unreachable;
    l->ctx = ctx;
    return l;
}

static void link_connect(mg_links *l, peer_link *k);

static void on_handle_closed(uv_handle_t *h)
{
    peer_link *k = h->data;
    k->handle_open = false;
    if (k->owner == NULL) {   /* the registry is gone: free the link itself */
        mg_buf_free(&k->out);
        mg_buf_free(&k->writing);
        free(k);
        return;
    }
    if (k->redial && k->state == LINK_DOWN && !k->owner->closed) {
        /* The peer hung up: if its process is gone the dial is refused at
         * once, which tells the membership far sooner than missing
         * heartbeats would.  If it is alive, the link is simply back. */
        k->redial = false;
        link_connect(k->owner, k);
    }
}

/* Drops the connection and what it queued; the next send reconnects. */
static void link_down(peer_link *k)
{
    if (k->handle_open && !uv_is_closing((uv_handle_t *)&k->tcp))
        uv_close((uv_handle_t *)&k->tcp, on_handle_closed);
    k->state = LINK_DOWN;
    k->write_pending = false;
    mg_buf_reset(&k->out);
    mg_buf_reset(&k->writing);
}

static void start_write(peer_link *k);

static void on_write(uv_write_t *req, int status)
{
    peer_link *k = req->data;
    if (k->owner == NULL || k->state != LINK_UP)
        return;
    k->write_pending = false;
    mg_buf_reset(&k->writing);
    if (status < 0) {
        link_down(k);
        return;
    }
    start_write(k);
}

static void start_write(peer_link *k)
{
    if (k->state != LINK_UP || k->write_pending || k->out.len == 0)
        return;
    mg_buf tmp = k->writing;
    k->writing = k->out;
    k->out = tmp;
    mg_buf_reset(&k->out);
    uv_buf_t b = uv_buf_init((char *)k->writing.data, (unsigned)k->writing.len);
    k->wreq.data = k;
    k->write_pending = true;
    if (uv_write(&k->wreq, (uv_stream_t *)&k->tcp, &b, 1, on_write) < 0)
        link_down(k);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    peer_link *k = h->data;
    *buf = uv_buf_init(k->owner->sink, sizeof k->owner->sink);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    peer_link *k = s->data;
    if (nread < 0 && k->owner) {
        link_down(k);   /* the peer closed or died */
        k->redial = true;
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    peer_link *k = req->data;
    if (k->owner == NULL || k->state != LINK_CONNECTING)
        return;
    if (status < 0) {
        mg_links *l = k->owner;
        link_down(k);
        if (l->on_unreachable)
            l->on_unreachable(l->ctx, &k->addr, status == UV_ECONNREFUSED);
        return;
    }
    k->state = LINK_UP;
    uv_tcp_nodelay(&k->tcp, 1);
    /* Data the peer does not acknowledge for this long fails the link, so
     * that it is redialled: without it, frames queued while a network was
     * split wait for the kernel's retransmission backoff (up to 2 min)
     * after it heals. */
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&k->tcp, &fd) == 0) {
        unsigned timeout = k->owner->stall_ms;
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof timeout);
    }
    uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
    start_write(k);
}

static int resolve(const mg_cl_addr *a, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    /* A host name from the configuration: rare, resolved in place. */
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", a->port);
    if (getaddrinfo(a->host, port, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static void link_connect(mg_links *l, peer_link *k)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (resolve(&k->addr, &ss) != 0) {
        if (l->on_unreachable)
            l->on_unreachable(l->ctx, &k->addr, false);
        return;
    }
    if (k->handle_open)   /* still closing from the last failure: try on the next send */
        return;
    uv_tcp_init(l->loop, &k->tcp);
    k->tcp.data = k;
    k->handle_open = true;
    k->creq.data = k;
    k->state = LINK_CONNECTING;
    k->connect_started = uv_now(l->loop);
    if (uv_tcp_connect(&k->creq, &k->tcp, (struct sockaddr *)&ss, on_connect) < 0) {
        link_down(k);
        if (l->on_unreachable)
            l->on_unreachable(l->ctx, &k->addr, false);
    }
}

static peer_link *find(mg_links *l, const mg_cl_addr *addr)
{
    for (int i = 0; i < l->n; i++)
        if (mg_cl_addr_eq(&l->links[i]->addr, addr))
            return l->links[i];
    if (l->n == (int)(sizeof l->links / sizeof l->links[0]))
        return NULL;
    peer_link *k = mg_xcalloc(1, sizeof *k);
    k->owner = l;
    k->addr = *addr;
    mg_buf_init(&k->out);
    mg_buf_init(&k->writing);
    l->links[l->n++] = k;
    return k;
}

/* The link to addr if a frame of len bytes may be queued on it. */
static peer_link *link_for(mg_links *l, const mg_cl_addr *addr, size_t len)
{
    if (l->closed)
        return NULL;
    peer_link *k = find(l, addr);
    if (!k)
        return NULL;
    if (k->out.len + k->writing.len + len > MG_LINK_MAX_QUEUE) {
        link_down(k);   /* the peer does not keep up: it will resynchronise */
        return NULL;
    }
    if (k->state == LINK_CONNECTING && uv_now(l->loop) - k->connect_started > l->stall_ms) {
        /* a dial that hangs (SYNs into a split network): start over */
        link_down(k);
        if (l->on_unreachable)
            l->on_unreachable(l->ctx, &k->addr, false);
    }
    return k;
}

static void go(mg_links *l, peer_link *k)
{
    if (k->state == LINK_DOWN)
        link_connect(l, k);
    else
        start_write(k);
}

void mg_links_send(mg_links *l, const mg_cl_addr *addr, const uint8_t *frame, size_t len)
{
    peer_link *k = link_for(l, addr, len);
    if (!k)
        return;
    mg_buf_append(&k->out, frame, len);
    go(l, k);
}

void mg_links_send_buf(mg_links *l, const mg_cl_addr *addr, mg_buf *frame)
{
    peer_link *k = link_for(l, addr, frame->len);
    if (!k)
        return;
    if (k->out.len == 0) {
        mg_buf t = k->out;
        k->out = *frame;
        *frame = t;
    } else {
        mg_buf_append(&k->out, frame->data, frame->len);
    }
    mg_buf_reset(frame);
    go(l, k);
}

size_t mg_links_backlog(const mg_links *l)
{
    size_t n = 0;
    for (int i = 0; i < l->n; i++)
        n += l->links[i]->out.len + l->links[i]->writing.len;
    return n;
}

void mg_links_close(mg_links *l)
{
    if (!l)
        return;
    l->closed = true;
    for (int i = 0; i < l->n; i++) {
        peer_link *k = l->links[i];
        k->owner = NULL;
        if (k->handle_open && !uv_is_closing((uv_handle_t *)&k->tcp)) {
            uv_close((uv_handle_t *)&k->tcp, on_handle_closed);
        } else if (!k->handle_open) {
            mg_buf_free(&k->out);
            mg_buf_free(&k->writing);
            free(k);
        }
    }
    free(l);
}
