/* options.c - flag table, parser and usage text. */
#include "options.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum okind {
    OK_STR,
    OK_INT,
    OK_U32,
    OK_U64,
    OK_DBL,
    OK_FLAG,      /* sets a bool to true */
    OK_NOFLAG,    /* sets a bool to false */
    OK_MIX,       /* "get:90,set:10" */
    OK_DIST,      /* uniform | zipfian */
    OK_OPWEIGHT,  /* --get N etc.: one weight of the mix */
    OK_PROTO,     /* hazelcast | redis | memcache */
} okind;

typedef struct ospec {
    const char *name;
    okind kind;
    size_t off;          /* offsetof the field in bopts */
    double min, max;     /* numeric bounds */
    int op;              /* OK_OPWEIGHT: which op */
    const char *arg, *help;
} ospec;

#define F(field) offsetof(bopts, field)

static const ospec specs[] = {
    { "host", OK_STR, F(host), 0, 0, 0, "ADDR", "member to connect to first (default 127.0.0.1)" },
    { "port", OK_INT, F(port), 1, 65535, 0, "N", "its port (default 5701)" },
    { "cluster", OK_STR, F(cluster), 0, 0, 0, "NAME", "cluster name (default dev)" },
    { "map", OK_STR, F(map), 0, 0, 0, "NAME", "map name (default bench)" },
    { "protocol", OK_PROTO, F(proto), 0, 0, 0, "P",
      "hazelcast (default), or redis / memcache to drive Redis (RESP) or memcached (meta "
      "protocol) at --port with the same workload" },
    { "no-smart", OK_NOFLAG, F(smart), 0, 0, 0, NULL,
      "send everything to the first member (unisocket) instead of each key's owner" },
    { "threads", OK_INT, F(threads), 1, 64, 0, "N", "event-loop threads (default 1)" },
    { "connections", OK_INT, F(conns), 1, 4096, 0, "N",
      "connections per member, spread over the threads (default 4)" },
    { "depth", OK_INT, F(depth), 1, 65536, 0, "N",
      "closed loop: requests in flight per connection (default 16)" },
    { "rate", OK_DBL, F(rate), 0, 1e9, 0, "OPS",
      "open loop: send OPS requests/s on a fixed schedule; latency counts from the "
      "scheduled time (default 0 = closed loop)" },
    { "mix", OK_MIX, F(mix), 0, 0, 0, "SPEC", "operation weights, e.g. get:90,set:10 (default)" },
    { "get", OK_OPWEIGHT, F(mix), 0, 1e6, BOP_GET, "W", "weight of Map.Get" },
    { "put", OK_OPWEIGHT, F(mix), 0, 1e6, BOP_PUT, "W", "weight of Map.Put (answers the old value)" },
    { "set", OK_OPWEIGHT, F(mix), 0, 1e6, BOP_SET, "W", "weight of Map.Set" },
    { "remove", OK_OPWEIGHT, F(mix), 0, 1e6, BOP_REMOVE, "W", "weight of Map.Remove" },
    { "keys", OK_U32, F(keys), 1, 100000000, 0, "N", "key count, keys \"key:0\".. (default 100000)" },
    { "value-size", OK_U32, F(value_size), 0, 64 << 20, 0, "BYTES",
      "byte[] value payload (default 100)" },
    { "dist", OK_DIST, F(dist), 0, 0, 0, "D", "key distribution: uniform (default) or zipfian" },
    { "zipf-theta", OK_DBL, F(zipf_theta), 0.01, 0.9999, 0, "T", "zipfian skew (default 0.99)" },
    { "no-load", OK_NOFLAG, F(load), 0, 0, 0, NULL, "do not set every key before the warm-up" },
    { "warmup", OK_DBL, F(warmup_s), 0, 3600, 0, "S", "seconds of load before measuring (default 2)" },
    { "duration", OK_DBL, F(duration_s), 0.01, 86400, 0, "S", "seconds to measure (default 10)" },
    { "ops", OK_U64, F(ops), 1, 1e15, 0, "N", "measure N operations instead of a duration" },
    { "drain", OK_DBL, F(drain_s), 0, 600, 0, "S",
      "wait this long for outstanding answers; unanswered ones are lost (default 5)" },
    { "json", OK_FLAG, F(json), 0, 0, 0, NULL, "print the result as one JSON object on stdout" },
    { "quiet", OK_FLAG, F(quiet), 0, 0, 0, NULL, "no progress line on stderr" },
    { "label", OK_STR, F(label), 0, 0, 0, "TEXT", "name of the run, copied into the report" },
    { "server-pid", OK_INT, F(server_pid), 1, 1 << 30, 0, "PID",
      "report that process's CPU time per op and RSS (from /proc)" },
    { "wait-ready", OK_FLAG, F(wait_ready), 0, 0, 0, NULL,
      "only retry connect + authenticate + Map.Get until answered; print when (unix ns)" },
    { "timeout", OK_DBL, F(timeout_s), 0.01, 3600, 0, "S",
      "limit for --wait-ready and for connecting (default 30)" },
};

#define NSPECS (sizeof specs / sizeof specs[0])

static void defaults(bopts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 5701;
    o->cluster = "dev";
    o->map = "bench";
    o->smart = true;
    o->threads = 1;
    o->conns = 4;
    o->depth = 16;
    o->mix[BOP_GET] = 90;
    o->mix[BOP_SET] = 10;
    o->keys = 100000;
    o->value_size = 100;
    o->dist = BDIST_UNIFORM;
    o->zipf_theta = 0.99;
    o->load = true;
    o->warmup_s = 2;
    o->duration_s = 10;
    o->drain_s = 5;
    o->timeout_s = 30;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: memgrid-bench [options]\n"
               "Load generator for Hazelcast-protocol members (memgrid, Hazelcast 5.x).\n\n");
    for (size_t i = 0; i < NSPECS; i++) {
        char head[48];
        snprintf(head, sizeof head, "--%s%s%s", specs[i].name, specs[i].arg ? " " : "",
                 specs[i].arg ? specs[i].arg : "");
        fprintf(f, "  %-22s %s\n", head, specs[i].help);
    }
}

static int bad(const char *name, const char *val, const char *why)
{
    fprintf(stderr, "memgrid-bench: --%s %s: %s (see --help)\n", name, val ? val : "", why);
    return -1;
}

static int parse_number(const ospec *s, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || isnan(d))
        return bad(s->name, v, "not a number");
    if (d < s->min || d > s->max) {
        char why[96];
        snprintf(why, sizeof why, "must be in [%g, %g]", s->min, s->max);
        return bad(s->name, v, why);
    }
    if (s->kind != OK_DBL && d != floor(d))
        return bad(s->name, v, "must be a whole number");
    *out = d;
    return 0;
}

static int parse_mix(const ospec *s, const char *v, unsigned *mix)
{
    unsigned m[BOP_N] = { 0 };
    char buf[256];
    if (strlen(v) >= sizeof buf)
        return bad(s->name, v, "too long");
    strcpy(buf, v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon)
            return bad(s->name, v, "want op:weight[,op:weight...]");
        *colon = '\0';
        int op = -1;
        for (int i = 0; i < BOP_N; i++)
            if (strcmp(tok, bop_names[i]) == 0)
                op = i;
        if (op < 0)
            return bad(s->name, v, "ops are get, put, set, remove");
        char *end;
        unsigned long w = strtoul(colon + 1, &end, 10);
        if (*end || end == colon + 1 || w > 1000000)
            return bad(s->name, v, "weights are whole numbers up to 1000000");
        m[op] = (unsigned)w;
    }
    memcpy(mix, m, sizeof m);
    return 0;
}

static int apply(bopts *o, const ospec *s, const char *v, bool *mix_from_weights)
{
    char *field = (char *)o + s->off;
    double d;
    switch (s->kind) {
    case OK_STR:
        *(const char **)field = v;
        return 0;
    case OK_FLAG:
        *(bool *)field = true;
        return 0;
    case OK_NOFLAG:
        *(bool *)field = false;
        return 0;
    case OK_MIX:
        return parse_mix(s, v, (unsigned *)field);
    case OK_DIST:
        if (strcmp(v, "uniform") == 0)
            *(bdist *)field = BDIST_UNIFORM;
        else if (strcmp(v, "zipfian") == 0)
            *(bdist *)field = BDIST_ZIPFIAN;
        else
            return bad(s->name, v, "uniform or zipfian");
        return 0;
    case OK_PROTO:
        for (int p = BPROTO_HAZELCAST; p <= BPROTO_MEMCACHE; p++)
            if (strcmp(v, bproto_names[p]) == 0) {
                *(bproto *)field = (bproto)p;
                return 0;
            }
        return bad(s->name, v, "hazelcast, redis or memcache");
    default:
        break;
    }
    if (parse_number(s, v, &d) != 0)
        return -1;
    switch (s->kind) {
    case OK_INT:
        *(int *)field = (int)d;
        break;
    case OK_U32:
        *(uint32_t *)field = (uint32_t)d;
        break;
    case OK_U64:
        *(uint64_t *)field = (uint64_t)d;
        break;
    case OK_DBL:
        *(double *)field = d;
        break;
    case OK_OPWEIGHT:
        /* The first --get/--put/... replaces the default mix as a whole. */
        if (!*mix_from_weights)
            memset(o->mix, 0, sizeof o->mix);
        *mix_from_weights = true;
        o->mix[s->op] = (unsigned)d;
        break;
    default:
        break;
    }
    return 0;
}

int bopts_parse(bopts *o, int argc, char **argv)
{
    defaults(o);
    bool mix_from_weights = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0)
            return bad(a, NULL, "not an option");
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const ospec *s = NULL;
        for (size_t k = 0; k < NSPECS; k++)
            if (strlen(specs[k].name) == nlen && strncmp(specs[k].name, name, nlen) == 0)
                s = &specs[k];
        if (!s) {
            fprintf(stderr, "memgrid-bench: unknown option %s (see --help)\n", a);
            return -1;
        }
        const char *v = NULL;
        if (s->kind == OK_FLAG || s->kind == OK_NOFLAG) {
            if (eq)
                return bad(s->name, eq + 1, "takes no value");
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return bad(s->name, NULL, "needs a value");
        }
        if (apply(o, s, v, &mix_from_weights) != 0)
            return -1;
    }
    if (o->proto == BPROTO_MEMCACHE && o->mix[BOP_PUT]) {
        fprintf(stderr, "memgrid-bench: --protocol memcache has no put (no memcached command "
                        "answers the old value); use set\n");
        return -1;
    }
    if (o->proto != BPROTO_HAZELCAST && o->wait_ready) {
        fprintf(stderr, "memgrid-bench: --wait-ready speaks the Hazelcast protocol only\n");
        return -1;
    }
    if (o->conns < o->threads) {
        fprintf(stderr, "memgrid-bench: --connections (%d) must be at least --threads (%d)\n",
                o->conns, o->threads);
        return -1;
    }
    return 0;
}
