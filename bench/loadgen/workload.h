/* workload.h - what to send: the key set, the value, the operation mix and
 * the key distribution.
 *
 * Keys are the strings "key:<i>" for i in [0, keys), serialized once, up
 * front, as Hazelcast String Data (the form every official client sends, so
 * the Go client's keys hit the same entries and partitions).  Values are
 * byte[] Data of value_size payload bytes.  Nothing is allocated per
 * request: requests borrow these blobs.
 *
 * The workload is built once and then only read, so driver threads share it
 * without locks; every random choice uses the caller's own PRNG state.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stdint.h>
#include <stddef.h>

#include "proto/frame.h"

typedef enum bop {
    BOP_GET,
    BOP_PUT,
    BOP_SET,
    BOP_REMOVE,
    BOP_N
} bop;

extern const char *const bop_names[BOP_N];

typedef enum bdist {
    BDIST_UNIFORM,
    BDIST_ZIPFIAN,
} bdist;

typedef struct bworkload {
    uint32_t nkeys;
    uint8_t *key_arena;      /* all key Data blobs back to back */
    uint32_t *key_off;       /* key i = key_arena[key_off[i] .. key_off[i + 1]) */
    int32_t *key_hash;       /* partition hash of key i (Hazelcast's rule) */
    uint8_t *value;          /* the value Data blob */
    uint32_t value_len;
    uint32_t mix_cum[BOP_N]; /* cumulative weights; an op is drawn below mix_cum[BOP_N-1] */
    bdist dist;
    /* Zipfian constants (Gray et al., "Quickly generating billion-record
     * synthetic databases", SIGMOD 1994), computed once for nkeys. */
    double theta, zeta_n, alpha, eta, half_pow_theta;
} bworkload;

/* Builds the key set and value; mix[] are relative weights (sum > 0).
 * Returns 0, or -1 with a message on stderr. */
int bworkload_init(bworkload *w, uint32_t nkeys, uint32_t value_size, const unsigned mix[BOP_N],
                   bdist dist, double theta);
void bworkload_free(bworkload *w);

static inline mg_bytes bworkload_key(const bworkload *w, uint32_t i)
{
    mg_bytes k = { w->key_arena + w->key_off[i], w->key_off[i + 1] - w->key_off[i] };
    return k;
}

/* The key's text ("key:17") and the value's payload bytes, without the
 * Data headers: what the peers' protocols carry (kvproto.h). */
static inline mg_bytes bworkload_key_text(const bworkload *w, uint32_t i)
{
    mg_bytes k = { w->key_arena + w->key_off[i] + 12, w->key_off[i + 1] - w->key_off[i] - 12 };
    return k;
}
static inline mg_bytes bworkload_value_payload(const bworkload *w)
{
    mg_bytes v = { w->value + 12, w->value_len - 12 };
    return v;
}

bop bworkload_next_op(const bworkload *w, uint64_t *rng);
uint32_t bworkload_next_key(const bworkload *w, uint64_t *rng);

/* Writes the String Data blob of "key:<i>" into out (>= 32 bytes); returns
 * its length.  Shared with tests that check the Go client's layout. */
size_t bworkload_format_key(uint32_t i, uint8_t *out);

#endif
