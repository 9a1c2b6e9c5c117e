/* probe.c - readiness probe; see probe.h. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "partition/partition_id.h"
#include "proto/codecs/client/client_codecs.h"
#include "proto/codecs/client/map_codecs.h"
#include "util/clock.h"
#include "util/rand.h"

#define RETRY_NS 500000   /* between attempts while nothing listens */

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

/* Reads one complete message into buf; 0, or -1 on EOF/timeout/garbage. */
static int read_msg(int fd, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    size_t have = 0;
    for (int i = 0; i < 10000; i++) {
        size_t mlen;
        int rc = mg_msg_scan(buf, have, cap, &mlen);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            *len = mlen;
            return 0;
        }
        int64_t left = deadline - mg_clock_mono_ns();
        if (left <= 0 || have == cap)
            return -1;
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, (int)(left / 1000000) + 1) <= 0)
            return -1;
        ssize_t n = read(fd, buf + have, cap - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    return -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One attempt; 1 = answered, 0 = not yet (retry), -1 = refused for good. */
static int attempt(const bopts *o, const struct sockaddr_in *sa, uint64_t *rng, int64_t deadline)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int one = 1, result = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
        goto out;
    mg_buf b;
    mg_buf_init(&b);
    mg_bytes cluster = { (const uint8_t *)o->cluster, strlen(o->cluster) };
    mg_bytes type = { (const uint8_t *)"MGB", 3 }, ver = { (const uint8_t *)"5.5.0", 5 };
    mg_bytes name = { (const uint8_t *)"memgrid-bench-probe", 19 };
    mg_uuid me = mg_uuid_random(rng);
    mg_buf_append(&b, "CP2", 3);
    mg_client_authentication_req_encode(&b, 1, -1, &cluster, NULL, NULL, &me, &type, 1, &ver, &name,
                                        NULL, 0, 0, false);
    uint8_t in[1 << 16];
    size_t len;
    mg_client_authentication_resp auth;
    if (write_all(fd, b.data, b.len) != 0 || read_msg(fd, in, sizeof in, &len, deadline) != 0 ||
        mg_client_authentication_resp_decode(in, len, &auth) != 0)
        goto out_buf;
    if (auth.status == 1 || auth.status == 2) {
        fprintf(stderr, "memgrid-bench: authentication refused (status %u); wrong --cluster?\n",
                auth.status);
        result = -1;
        goto out_buf;
    }
    if (auth.status != 0 || auth.partition_count <= 0)
        goto out_buf;   /* e.g. NOT_ALLOWED_IN_CLUSTER while starting */
    uint8_t key[32];
    size_t klen = bworkload_format_key(0, key);
    mg_bytes k = { key, klen }, map = { (const uint8_t *)o->map, strlen(o->map) };
    mg_buf_reset(&b);
    mg_map_get_req_encode(&b, 2, mg_partition_of(key, klen, auth.partition_count), &map, &k, 0);
    mg_map_get_resp get;
    if (write_all(fd, b.data, b.len) == 0 && read_msg(fd, in, sizeof in, &len, deadline) == 0 &&
        mg_map_get_resp_decode(in, len, &get) == 0)
        result = 1;
out_buf:
    mg_buf_free(&b);
out:
    close(fd);
    return result;
}

int bprobe_wait_ready(const bopts *o)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
        fprintf(stderr, "memgrid-bench: --host %s is not an IPv4 address\n", o->host);
        return 2;
    }
    uint64_t rng = mg_rand_seed();
    int64_t start = mg_clock_mono_ns();
    int64_t deadline = start + (int64_t)(o->timeout_s * 1e9);
    /* Bounded by the deadline; the count bound is a second safety net. */
    for (long tries = 1; tries <= 100000000 && mg_clock_mono_ns() < deadline; tries++) {
        int rc = attempt(o, &sa, &rng, deadline);
        if (rc < 0)
            return 2;
        if (rc == 1) {
            int64_t at = real_ns();
            if (o->json)
                printf("{\"ready_unix_ns\":%lld,\"attempts\":%ld,\"waited_s\":%.6f}\n",
                       (long long)at, tries, (double)(mg_clock_mono_ns() - start) / 1e9);
            else
                printf("ready_unix_ns=%lld attempts=%ld\n", (long long)at, tries);
            return 0;
        }
        sleep_ns(RETRY_NS);
    }
    fprintf(stderr, "memgrid-bench: %s:%d not ready within %.1f s\n", o->host, o->port,
            o->timeout_s);
    return 2;
}
