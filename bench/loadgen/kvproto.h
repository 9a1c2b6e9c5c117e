/* kvproto.h - the peers' own protocols, so that memgrid-bench can drive
 * Redis and memcached with the same workloads, pacing and histograms it
 * uses for Hazelcast-protocol members (--protocol).
 *
 *   redis     RESP2: GET, SET, SET ... GET (put: answers the old value),
 *             GETDEL (remove: answers the old value); Redis >= 6.2
 *   memcache  memcached's meta protocol: mg <key> v, ms <key> <len>,
 *             md <key>; put is not offered (no command answers the old
 *             value while it stores)
 *
 * Both answer in request order on a connection, so a connection keeps its
 * requests in a FIFO instead of matching correlation ids.  Keys are the
 * key's text ("key:17"); values are the payload bytes alone.
 *
 * bkv_scan is a parser of bytes from the network: it never reads past len,
 * and anything it does not understand is an error, not a guess
 * (fuzz/fuzz_kvproto.c).
 */
#ifndef BENCH_KVPROTO_H
#define BENCH_KVPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "workload.h"

typedef enum bproto {
    BPROTO_HAZELCAST,
    BPROTO_REDIS,
    BPROTO_MEMCACHE,
} bproto;

extern const char *const bproto_names[];

typedef enum bkv_kind {
    BKV_VALUE,     /* a value: val/len */
    BKV_NIL,       /* no such key */
    BKV_OK,        /* stored / deleted / an integer reply */
    BKV_ERROR,     /* the server refused the request: val/len is its text */
} bkv_kind;

typedef struct bkv_answer {
    bkv_kind kind;
    const uint8_t *val;   /* points into the scanned bytes */
    size_t len;
} bkv_answer;

/* Whether the protocol has a command for op. */
bool bkv_supports(bproto p, bop op);

/* Appends one request. */
void bkv_encode(bproto p, bop op, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                mg_buf *out);

/* One answer at the start of buf[0..len): 1 with *used and *a set, 0 when
 * more bytes are needed, -1 when the bytes are not an answer of p (or a
 * value is longer than max). */
int bkv_scan(bproto p, const uint8_t *buf, size_t len, size_t max, size_t *used, bkv_answer *a);

#endif
