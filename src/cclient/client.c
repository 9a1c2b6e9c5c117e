/* client.c - memgrid's C client (include/memgrid_client.h): one blocking
 * TCP connection, the client protocol's generated client-side codecs, and
 * strings in Hazelcast's serialized form. */
#include "memgrid_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "partition/partition_id.h"
#include "proto/codecs/client/client_codecs.h"
#include "proto/codecs/client/map_codecs.h"
#include "proto/error.h"
#include "proto/frame.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/rand.h"

#define TYPE_STRING (-11)              /* Hazelcast's serializer id of java.lang.String */
#define MAX_ANSWER (64u << 20)         /* the largest answer accepted */
#define MAX_STRING (16u << 20)         /* keys and values the client sends */

struct mg_client {
    int fd;
    int timeout_ms;
    int32_t partitions;
    int64_t next_corr;
    mg_buf out;
    mg_buf in;           /* bytes read, answers not yet taken */
    size_t answer_len;   /* the answer at the start of `in`, after recv_answer */
    char error[256];
};

static int fail(mg_client *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(mg_client *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof c->error, fmt, ap);
    va_end(ap);
    if (code == MG_CLIENT_EIO && c->fd >= 0) {
        close(c->fd);   /* a half-read stream cannot be trusted again */
        c->fd = -1;
    }
    return code;
}

const char *mg_client_last_error(const mg_client *c) { return c ? c->error : "no client"; }

/* ---- the connection ---------------------------------------------------------- */

static int wait_fd(mg_client *c, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mg_clock_mono_ns() / 1000000;
        if (left <= 0)
            return fail(c, MG_CLIENT_EIO, "timed out after %d ms", c->timeout_ms);
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return MG_CLIENT_OK;
        if (n < 0 && errno != EINTR)
            return fail(c, MG_CLIENT_EIO, "poll: %s", strerror(errno));
    }
}

static int send_all(mg_client *c, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = wait_fd(c, POLLOUT, deadline);
            if (rc)
                return rc;
        } else {
            return fail(c, MG_CLIENT_EIO, "send: %s", w < 0 ? strerror(errno) : "connection closed");
        }
    }
    return MG_CLIENT_OK;
}

/* Drops the previous answer, then reads until the one with correlation id
 * corr is whole at the start of c->in (other messages are skipped). */
static int recv_answer(mg_client *c, int64_t corr, int64_t deadline)
{
    for (;;) {
        if (c->answer_len) {
            memmove(c->in.data, c->in.data + c->answer_len, c->in.len - c->answer_len);
            c->in.len -= c->answer_len;
            c->answer_len = 0;
        }
        size_t len;
        int rc = mg_msg_scan(c->in.data, c->in.len, MAX_ANSWER, &len);
        if (rc < 0)
            return fail(c, MG_CLIENT_EIO, "the member sent a malformed message");
        if (rc == 1) {
            c->answer_len = len;
            /* initial frame: 4 message type, 8 correlation id, ... */
            if (len >= MG_FRAME_HDR + 12 && (int64_t)mg_get_u64(c->in.data + MG_FRAME_HDR + 4) == corr)
                return MG_CLIENT_OK;
            continue;   /* an event or an answer we no longer wait for */
        }
        mg_buf_reserve(&c->in, 64 << 10);
        ssize_t r = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, MSG_DONTWAIT);
        if (r > 0) {
            c->in.len += (size_t)r;
        } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if ((rc = wait_fd(c, POLLIN, deadline)) != 0)
                return rc;
        } else {
            return fail(c, MG_CLIENT_EIO, "recv: %s", r < 0 ? strerror(errno) : "the member closed the connection");
        }
    }
}

/* Sends c->out (one request with correlation corr) and waits for its
 * answer; an error answer becomes MG_CLIENT_EREMOTE with its text. */
static int call(mg_client *c, int64_t corr, const uint8_t **msg, size_t *len)
{
    if (c->fd < 0)
        return fail(c, MG_CLIENT_EIO, "the connection is closed (an earlier error)");
    int64_t deadline = mg_clock_mono_ns() / 1000000 + c->timeout_ms;
    int rc = send_all(c, c->out.data, c->out.len, deadline);
    c->out.len = 0;
    if (rc == MG_CLIENT_OK)
        rc = recv_answer(c, corr, deadline);
    if (rc)
        return rc;
    *msg = c->in.data;
    *len = c->answer_len;
    if (mg_proto_error_text(*msg, *len, c->error, sizeof c->error))
        return MG_CLIENT_EREMOTE;
    c->error[0] = '\0';
    return MG_CLIENT_OK;
}

static int dial(mg_client *c, const char *host, int port, int64_t deadline)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return fail(c, MG_CLIENT_EIO, "%s: %s", host, gai_strerror(rc));
    int err = 0;
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next) {
        c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            err = errno;
            continue;
        }
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_fd(c, POLLOUT, deadline) == MG_CLIENT_OK && c->fd >= 0)) {
            socklen_t l = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0)
                break;
        } else {
            err = errno;
        }
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0)
        return fail(c, MG_CLIENT_EIO, "connecting to %s:%d: %s", host, port, err ? strerror(err) : c->error);
    return MG_CLIENT_OK;
}

mg_client *mg_client_connect(const mg_client_options *o, char *err, size_t errlen)
{
    mg_client_options d = o ? *o : (mg_client_options){0};
    const char *host = d.host ? d.host : "127.0.0.1";
    const char *cluster = d.cluster_name ? d.cluster_name : "dev";
    mg_client *c = mg_xcalloc(1, sizeof *c);
    c->fd = -1;
    c->timeout_ms = d.timeout_ms > 0 ? d.timeout_ms : 5000;
    c->next_corr = 1;
    mg_buf_init(&c->out);
    mg_buf_init(&c->in);
    int64_t deadline = mg_clock_mono_ns() / 1000000 + c->timeout_ms;
    int port = d.port > 0 ? d.port : 5701;
    int rc = dial(c, host, port, deadline);
    if (rc == MG_CLIENT_OK)
        rc = send_all(c, (const uint8_t *)"CP2", 3, deadline);
    if (rc == MG_CLIENT_OK) {
        uint64_t rng = mg_rand_seed();
        mg_uuid uuid = mg_uuid_random(&rng);
        mg_bytes name = {(const uint8_t *)cluster, strlen(cluster)}, type = {(const uint8_t *)"MGC", 3},
                 version = {(const uint8_t *)"5.0.0", 5}, cname = {(const uint8_t *)"memgrid-c-client", 16};
        int64_t corr = c->next_corr++;
        mg_client_authentication_req_encode(&c->out, corr, -1, &name, NULL, NULL, &uuid, &type, 1, &version,
                                            &cname, NULL, 0, 0 /* unisocket */, false);
        const uint8_t *msg;
        size_t len;
        mg_client_authentication_resp r;
        rc = call(c, corr, &msg, &len);
        if (rc == MG_CLIENT_OK && mg_client_authentication_resp_decode(msg, len, &r) != 0)
            rc = fail(c, MG_CLIENT_EIO, "authentication: an answer that does not decode");
        else if (rc == MG_CLIENT_OK && r.status != 0)
            rc = fail(c, MG_CLIENT_EIO, "authentication refused (status %u%s)", (unsigned)r.status,
                      r.status == 1 ? ": wrong cluster name?" : "");
        else if (rc == MG_CLIENT_OK)
            c->partitions = r.partition_count > 0 ? r.partition_count : 271;
    }
    if (rc != MG_CLIENT_OK) {
        snprintf(err, errlen, "%s:%d: %s", host, port, c->error);
        mg_client_close(c);
        return NULL;
    }
    return c;
}

void mg_client_close(mg_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    mg_buf_free(&c->out);
    mg_buf_free(&c->in);
    free(c);
}

/* ---- strings as Hazelcast data ------------------------------------------------ */

/* Hazelcast's serialized String: 4 partition hash (0: the whole payload
 * counts), 4 type id, 4 byte length, UTF-8 bytes; all big-endian. */
static void put_be32(uint8_t *p, int32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)((uint32_t)v >> (24 - 8 * i));
}

static int32_t get_be32(const uint8_t *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
}

static mg_bytes string_data(mg_buf *scratch, const char *s)
{
    size_t n = strlen(s);
    uint8_t *p = mg_buf_extend(scratch, 12 + n);
    put_be32(p, 0);
    put_be32(p + 4, TYPE_STRING);
    put_be32(p + 8, (int32_t)n);
    memcpy(p + 12, s, n);
    return (mg_bytes){p, 12 + n};
}

/* A value read back: NULL data -> NULL; a String -> a copy; else ETYPE. */
static int data_string(mg_client *c, const mg_bytes *d, char **out)
{
    *out = NULL;
    if (!d->ptr)
        return MG_CLIENT_OK;
    if (d->len < 12 || get_be32(d->ptr + 4) != TYPE_STRING || (size_t)get_be32(d->ptr + 8) != d->len - 12)
        return fail(c, MG_CLIENT_ETYPE, "the value is not a string (type id %d)",
                    d->len >= 8 ? get_be32(d->ptr + 4) : 0);
    *out = mg_xmalloc(d->len - 12 + 1);
    memcpy(*out, d->ptr + 12, d->len - 12);
    (*out)[d->len - 12] = '\0';
    return MG_CLIENT_OK;
}

static bool bad_args(mg_client *c, const char *map, const char *key, const char *value)
{
    if (!c || !map || !key || (value && strlen(value) > MAX_STRING) || strlen(key) > MAX_STRING ||
        strlen(map) > MAX_STRING) {
        if (c)
            fail(c, MG_CLIENT_EINVAL, "a NULL or over-long map name, key or value");
        return true;
    }
    return false;
}

/* ---- map operations ---------------------------------------------------------- */

/* The buffer holds the name at 0 and the key data after it: the request
 * encoders copy from there into c->out. */
typedef struct keyed {
    mg_buf scratch;
    mg_bytes name, key;
    int32_t partition;
} keyed;

static void keyed_init(mg_client *c, keyed *k, const char *map, const char *key, size_t extra)
{
    mg_buf_init(&k->scratch);
    mg_buf_reserve(&k->scratch, 12 + strlen(key) + extra);   /* no move while the views live */
    k->name = (mg_bytes){(const uint8_t *)map, strlen(map)};
    k->key = string_data(&k->scratch, key);
    k->partition = mg_partition_of(k->key.ptr, k->key.len, c->partitions);
}

enum op { OP_PUT, OP_GET, OP_REMOVE };
static const char *const op_names[] = {"put", "get", "remove"};

/* One keyed request whose answer is a nullable value: the previous value
 * (put, remove) or the current one (get), copied to *out unless out is NULL. */
static int keyed_op(mg_client *c, enum op op, const char *map, const char *key, const char *value, int64_t ttl_ms,
                    char **out)
{
    if (out)
        *out = NULL;
    if (bad_args(c, map, key, value))
        return MG_CLIENT_EINVAL;
    keyed k;
    keyed_init(c, &k, map, key, value ? 12 + strlen(value) : 0);
    int64_t corr = c->next_corr++;
    if (op == OP_PUT) {
        mg_bytes v = string_data(&k.scratch, value);
        mg_map_put_req_encode(&c->out, corr, k.partition, &k.name, &k.key, &v, 0, ttl_ms > 0 ? ttl_ms : -1);
    } else if (op == OP_GET) {
        mg_map_get_req_encode(&c->out, corr, k.partition, &k.name, &k.key, 0);
    } else {
        mg_map_remove_req_encode(&c->out, corr, k.partition, &k.name, &k.key, 0);
    }
    mg_buf_free(&k.scratch);
    const uint8_t *msg;
    size_t len;
    int rc = call(c, corr, &msg, &len);
    if (rc)
        return rc;
    mg_bytes answer = {0};
    int bad;
    if (op == OP_PUT) {
        mg_map_put_resp r;
        bad = mg_map_put_resp_decode(msg, len, &r);
        answer = r.response;
    } else if (op == OP_GET) {
        mg_map_get_resp r;
        bad = mg_map_get_resp_decode(msg, len, &r);
        answer = r.response;
    } else {
        mg_map_remove_resp r;
        bad = mg_map_remove_resp_decode(msg, len, &r);
        answer = r.response;
    }
    if (bad)
        return fail(c, MG_CLIENT_EIO, "%s: an answer that does not decode", op_names[op]);
    return out ? data_string(c, &answer, out) : MG_CLIENT_OK;
}

int mg_client_put(mg_client *c, const char *map, const char *key, const char *value, int64_t ttl_ms, char **old)
{
    if (c && !value)
        return fail(c, MG_CLIENT_EINVAL, "put: a NULL value");
    return keyed_op(c, OP_PUT, map, key, value, ttl_ms, old);
}

int mg_client_get(mg_client *c, const char *map, const char *key, char **value)
{
    if (c && !value)
        return fail(c, MG_CLIENT_EINVAL, "get: no place for the value");
    return keyed_op(c, OP_GET, map, key, NULL, 0, value);
}

int mg_client_remove(mg_client *c, const char *map, const char *key, char **old)
{
    return keyed_op(c, OP_REMOVE, map, key, NULL, 0, old);
}

int mg_client_size(mg_client *c, const char *map, int32_t *size)
{
    if (!c || !map || !size)
        return c ? fail(c, MG_CLIENT_EINVAL, "a NULL argument") : MG_CLIENT_EINVAL;
    mg_bytes name = {(const uint8_t *)map, strlen(map)};
    int64_t corr = c->next_corr++;
    mg_map_size_req_encode(&c->out, corr, -1, &name);
    const uint8_t *msg;
    size_t len;
    int rc = call(c, corr, &msg, &len);
    if (rc)
        return rc;
    mg_map_size_resp r;
    if (mg_map_size_resp_decode(msg, len, &r) != 0)
        return fail(c, MG_CLIENT_EIO, "size: an answer that does not decode");
    *size = r.response;
    return MG_CLIENT_OK;
}
