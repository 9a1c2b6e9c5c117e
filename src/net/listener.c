#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "member/member.h"
#include "net/conn.h"
#include "util/alloc.h"

static int try_bind(const char *host, int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int mg_listener_bind(mg_member *m, const char *host, int port, int count)
{
    int last = -EADDRINUSE;
    if (port == 0)
        count = 1;
    for (int i = 0; i < count; i++) {
        int fd = try_bind(host, port + i);
        if (fd >= 0) {
            struct sockaddr_in sa;
            socklen_t sl = sizeof sa;
            getsockname(fd, (struct sockaddr *)&sa, &sl);
            m->listen_fd = fd;
            m->port = ntohs(sa.sin_port);
            return 0;
        }
        last = fd;
        if (fd != -EADDRINUSE)
            break;
    }
    return last;
}

typedef struct accept_task {
    mg_task base;
    int fd;
} accept_task;

static void run_accept(mg_worker *w, mg_task *t)
{
    int fd = ((accept_task *)t)->fd;
    free(t);
    if (w->stopping) {
        close(fd);
        return;
    }
    mg_conn_accept(w, fd);
}

static void on_listen_readable(uv_poll_t *p, int status, int events)
{
    mg_worker *w0 = p->data;
    mg_member *m = w0->m;
    if (status < 0)
        return;
    /* Accept a bounded batch per wake-up so one burst cannot starve the loop. */
    for (int n = 0; n < 64; n++) {
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                MG_WARN(&m->log, "accept failed: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        unsigned k = atomic_fetch_add(&m->next_accept, 1) % (unsigned)m->nworkers;
        if ((int)k == w0->idx) {
            mg_conn_accept(w0, fd);
        } else {
            accept_task *t = mg_xmalloc(sizeof *t);
            t->base.run = run_accept;
            t->fd = fd;
            mg_worker_post(&m->workers[k], &t->base);
        }
    }
}

void mg_listener_start(mg_worker *w0)
{
    uv_poll_init(&w0->loop, &w0->accept_poll, w0->m->listen_fd);
    w0->accept_poll.data = w0;
    uv_poll_start(&w0->accept_poll, UV_READABLE, on_listen_readable);
    w0->accepting = true;
}

void mg_listener_stop(mg_worker *w0)
{
    if (!w0->accepting)
        return;
    w0->accepting = false;
    uv_poll_stop(&w0->accept_poll);
    uv_close((uv_handle_t *)&w0->accept_poll, NULL);
}
