/* multicast.c - discovery by multicast (multicast.h). */
#include "member/multicast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/announce.h"
#include "util/alloc.h"

/* A member answers LOOKING at most this often: one multicast answer serves
 * every process looking at that moment. */
#define ANSWER_GAP_MS 100

struct mg_multicast {
    uv_udp_t udp;
    mg_log *log;
    mg_multicast_found_fn found;
    void *ctx;
    struct sockaddr_in group;
    char group_str[INET_ADDRSTRLEN + 8];
    const char *cluster_name;
    mg_announce self;          /* what we send; kind set per datagram */
    bool joining;
    int64_t next_looking;      /* ms; when LOOKING goes out next */
    int64_t last_answer;       /* ms */
    bool answer_due;           /* a LOOKING of ours was heard since the last answer */
    bool told_foreign, told_bad;
    uint8_t rbuf[MG_ANN_MAX + 1];   /* one more: a longer datagram is not ours */
};

/* The interface the member's host names, or INADDR_ANY (a name, 0.0.0.0). */
static struct in_addr iface_of(const char *host)
{
    struct in_addr a;
    if (!host || inet_pton(AF_INET, host, &a) != 1)
        a.s_addr = htonl(INADDR_ANY);
    return a;
}

int mg_multicast_open(const mg_config *cfg, const char *host, char *why, size_t whylen)
{
    struct in_addr group;
    if (inet_pton(AF_INET, cfg->join.multicast_group, &group) != 1) {
        snprintf(why, whylen, "multicast-group '%s' is not an IPv4 address", cfg->join.multicast_group);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    struct in_addr iface = iface_of(host);
    int one = 1, zero = 0, ttl = cfg->join.multicast_ttl, loop = cfg->join.multicast_loopback;
    /* Several members on one host share the group's port.  Binding to the
     * group address (not INADDR_ANY) keeps unicast to that port out, and
     * IP_MULTICAST_ALL=0 other groups joined on this host. */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->join.multicast_port),
                             .sin_addr = group};
    struct ip_mreqn mreq = {.imr_multiaddr = group, .imr_address = iface};
    const char *step = "SO_REUSEADDR";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        goto fail;
    step = "bind";
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0)
        goto fail;
    step = "joining the group (IP_ADD_MEMBERSHIP)";
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
        goto fail;
    step = "IP_MULTICAST_IF";
    if (iface.s_addr != htonl(INADDR_ANY) && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0)
        goto fail;
    step = "IP_MULTICAST_TTL";
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0)
        goto fail;
    step = "IP_MULTICAST_LOOP";
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0)
        goto fail;
    step = "IP_MULTICAST_ALL";
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) != 0)
        goto fail;
    return fd;
fail:
    snprintf(why, whylen, "%s:%d on interface %s: %s: %s", cfg->join.multicast_group, cfg->join.multicast_port,
             iface.s_addr == htonl(INADDR_ANY) ? "(any)" : host, step, strerror(errno));
    close(fd);
    return -1;
}

static void send_kind(mg_multicast *mc, uint8_t kind)
{
    uint8_t out[MG_ANN_MAX];
    mc->self.kind = kind;
    size_t n = mg_announce_encode(&mc->self, out);
    if (n == 0)
        return;   /* a name too long was refused by the configuration check */
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)n);
    /* Fire and forget: a lost datagram is made good by the next one. */
    (void)uv_udp_try_send(&mc->udp, &b, 1, (const struct sockaddr *)&mc->group);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    mg_multicast *mc = h->data;
    (void)suggested;
    *b = uv_buf_init((char *)mc->rbuf, sizeof mc->rbuf);
}

static void on_datagram(mg_multicast *mc, const uint8_t *p, size_t n, const struct sockaddr_in *from)
{
    char src[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &from->sin_addr, src, sizeof src);
    mg_announce a;
    int rc = n > MG_ANN_MAX ? MG_ANN_BAD : mg_announce_decode(p, n, &a);
    if (rc == MG_ANN_FOREIGN) {
        if (!mc->told_foreign)
            MG_INFO(mc->log, "multicast: ignoring datagrams on %s that are not memgrid's (first from %s; "
                    "Hazelcast members use the same default group)", mc->group_str, src);
        mc->told_foreign = true;
        return;
    }
    if (rc != MG_ANN_OK) {
        if (!mc->told_bad)
            MG_WARN(mc->log, "multicast: a malformed memgrid announcement from %s (%zu bytes) was ignored; "
                    "later ones are ignored silently", src, n);
        mc->told_bad = true;
        return;
    }
    if (a.sender == mc->self.sender)
        return;   /* our own, looped back */
    if (strcmp(a.cluster_name, mc->cluster_name) != 0)
        return;   /* another cluster on the same group */
    if (a.addr.host[0] == '\0')
        mg_cl_addr_set(&a.addr, src, a.addr.port);
    if (a.kind == MG_ANN_LOOKING)
        mc->answer_due = true;
    if (mc->joining)
        mc->found(mc->ctx, &a.addr);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
    mg_multicast *mc = h->data;
    if (nread < 0) {
        MG_WARN(mc->log, "multicast: receiving on %s: %s", mc->group_str, uv_strerror((int)nread));
        return;
    }
    if (nread == 0 || !addr || addr->sa_family != AF_INET)
        return;
    size_t n = (flags & UV_UDP_PARTIAL) ? sizeof mc->rbuf : (size_t)nread;
    on_datagram(mc, (const uint8_t *)buf->base, n, (const struct sockaddr_in *)addr);
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

mg_multicast *mg_multicast_new(uv_loop_t *loop, int fd, const mg_config *cfg, const mg_cl_addr *self,
                               uint64_t sender, mg_log *log, mg_multicast_found_fn found, void *ctx)
{
    mg_multicast *mc = mg_xcalloc(1, sizeof *mc);
    mc->log = log;
    mc->found = found;
    mc->ctx = ctx;
    mc->cluster_name = cfg->cluster_name;
    mc->group = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->join.multicast_port)};
    inet_pton(AF_INET, cfg->join.multicast_group, &mc->group.sin_addr);
    snprintf(mc->group_str, sizeof mc->group_str, "%s:%d", cfg->join.multicast_group, cfg->join.multicast_port);
    mc->self.addr = *self;
    mc->self.sender = sender;
    snprintf(mc->self.cluster_name, sizeof mc->self.cluster_name, "%s", cfg->cluster_name);
    /* A member bound to every interface announces no host: receivers use
     * the address the datagram came from. */
    struct in_addr any;
    if (inet_pton(AF_INET, self->host, &any) == 1 && any.s_addr == htonl(INADDR_ANY))
        mc->self.addr.host[0] = '\0';
    mc->joining = true;
    mc->last_answer = INT64_MIN / 2;
    int rc = uv_udp_init(loop, &mc->udp);
    if (rc != 0) {
        MG_ERROR(log, "multicast: cannot use the socket on %s: %s", mc->group_str, uv_strerror(rc));
        close(fd);
        free(mc);
        return NULL;
    }
    mc->udp.data = mc;
    rc = uv_udp_open(&mc->udp, fd);
    if (rc != 0)
        close(fd);   /* not the handle's yet */
    else
        rc = uv_udp_recv_start(&mc->udp, on_alloc, on_recv);
    if (rc != 0) {
        MG_ERROR(log, "multicast: cannot use the socket on %s: %s", mc->group_str, uv_strerror(rc));
        uv_close((uv_handle_t *)&mc->udp, on_closed);
        return NULL;
    }
    MG_INFO(log, "multicast discovery on %s (ttl %d, loopback %s)", mc->group_str, cfg->join.multicast_ttl,
            cfg->join.multicast_loopback ? "on" : "off");
    return mc;
}

void mg_multicast_tick(mg_multicast *mc, bool joining, int64_t now_ms, int64_t interval_ms)
{
    if (joining && !mc->joining)
        mc->next_looking = now_ms;   /* looking again (a rejoin): say so at once */
    mc->joining = joining;
    if (joining) {
        mc->answer_due = false;
        if (now_ms >= mc->next_looking) {
            send_kind(mc, MG_ANN_LOOKING);
            mc->next_looking = now_ms + interval_ms;
        }
        return;
    }
    if (mc->answer_due && now_ms - mc->last_answer >= ANSWER_GAP_MS) {
        send_kind(mc, MG_ANN_MEMBER);
        mc->last_answer = now_ms;
        mc->answer_due = false;
    }
}

void mg_multicast_close(mg_multicast *mc)
{
    if (!mc)
        return;
    uv_udp_recv_stop(&mc->udp);
    uv_close((uv_handle_t *)&mc->udp, on_closed);
}
