/* workload.c - key set, value, op mix and key distributions. */
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition/partition_id.h"
#include "util/alloc.h"
#include "util/rand.h"

const char *const bop_names[BOP_N] = { "get", "put", "set", "remove" };

/* Serialized Data: partition hash 0 ("compute it"), type id, payload; the
 * header is big-endian (client-protocol.md 11.1). */
#define TYPE_STRING (-11)
#define TYPE_BYTE_ARRAY (-12)

static void put_be32(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 24);
    p[1] = (uint8_t)(u >> 16);
    p[2] = (uint8_t)(u >> 8);
    p[3] = (uint8_t)u;
}

size_t bworkload_format_key(uint32_t i, uint8_t *out)
{
    char s[24];
    int n = snprintf(s, sizeof s, "key:%u", i);
    put_be32(out, 0);
    put_be32(out + 4, TYPE_STRING);
    put_be32(out + 8, n);   /* String payload: int32 byte length + UTF-8 */
    memcpy(out + 12, s, (size_t)n);
    return 12 + (size_t)n;
}

/* Zipfian set-up: zeta(n) = sum 1/i^theta, the normalising constant of
 * P(rank i) ~ 1/i^theta.  O(n) once; fine up to tens of millions of keys. */
static void zipf_init(bworkload *w, double theta)
{
    double n = (double)w->nkeys, zeta2 = 1.0 + pow(0.5, theta), z = 0.0;
    for (uint32_t i = 1; i <= w->nkeys; i++)
        z += 1.0 / pow((double)i, theta);
    w->theta = theta;
    w->zeta_n = z;
    w->alpha = 1.0 / (1.0 - theta);
    w->eta = (1.0 - pow(2.0 / n, 1.0 - theta)) / (1.0 - zeta2 / z);
    w->half_pow_theta = pow(0.5, theta);
}

int bworkload_init(bworkload *w, uint32_t nkeys, uint32_t value_size, const unsigned mix[BOP_N],
                   bdist dist, double theta)
{
    memset(w, 0, sizeof *w);
    if (nkeys == 0) {
        fprintf(stderr, "memgrid-bench: --keys must be at least 1\n");
        return -1;
    }
    if (dist == BDIST_ZIPFIAN && (theta <= 0.0 || theta >= 1.0)) {
        fprintf(stderr, "memgrid-bench: --zipf-theta must be in (0, 1), got %g\n", theta);
        return -1;
    }
    unsigned total = 0;
    for (int i = 0; i < BOP_N; i++) {
        total += mix[i];
        w->mix_cum[i] = total;
    }
    if (total == 0) {
        fprintf(stderr, "memgrid-bench: the operation mix is empty\n");
        return -1;
    }
    w->nkeys = nkeys;
    w->key_off = mg_xmalloc(((size_t)nkeys + 1) * sizeof *w->key_off);
    w->key_hash = mg_xmalloc((size_t)nkeys * sizeof *w->key_hash);
    /* "key:" + at most 10 digits + 12 header bytes. */
    w->key_arena = mg_xmalloc((size_t)nkeys * 26);
    uint32_t off = 0;
    for (uint32_t i = 0; i < nkeys; i++) {
        w->key_off[i] = off;
        size_t n = bworkload_format_key(i, w->key_arena + off);
        w->key_hash[i] = mg_data_partition_hash(w->key_arena + off, n);
        off += (uint32_t)n;
    }
    w->key_off[nkeys] = off;

    w->value_len = 12 + value_size;
    w->value = mg_xmalloc(w->value_len);
    put_be32(w->value, 0);
    put_be32(w->value + 4, TYPE_BYTE_ARRAY);
    put_be32(w->value + 8, (int32_t)value_size);
    /* Random bytes so that nothing on the path can profit from zeros. */
    uint64_t rng = 42;
    for (uint32_t i = 0; i < value_size; i++)
        w->value[12 + i] = (uint8_t)mg_rand_next(&rng);

    w->dist = dist;
    if (dist == BDIST_ZIPFIAN)
        zipf_init(w, theta);
    return 0;
}

void bworkload_free(bworkload *w)
{
    free(w->key_arena);
    free(w->key_off);
    free(w->key_hash);
    free(w->value);
    memset(w, 0, sizeof *w);
}

static inline double unit_random(uint64_t *rng)
{
    return (double)(mg_rand_next(rng) >> 11) * (1.0 / 9007199254740992.0);   /* [0, 1) */
}

bop bworkload_next_op(const bworkload *w, uint64_t *rng)
{
    uint32_t r = (uint32_t)(mg_rand_next(rng) % w->mix_cum[BOP_N - 1]);
    for (int i = 0; i < BOP_N - 1; i++)
        if (r < w->mix_cum[i])
            return (bop)i;
    return (bop)(BOP_N - 1);
}

uint32_t bworkload_next_key(const bworkload *w, uint64_t *rng)
{
    if (w->dist == BDIST_UNIFORM)
        return (uint32_t)(mg_rand_next(rng) % w->nkeys);
    /* Rank 0 is the most popular.  Inverse-CDF approximation of Gray et al.:
     * exact for ranks 0 and 1, a closed form for the rest. */
    double u = unit_random(rng), uz = u * w->zeta_n;
    uint64_t rank;
    if (uz < 1.0)
        rank = 0;
    else if (uz < 1.0 + w->half_pow_theta)
        rank = 1;
    else
        rank = (uint64_t)((double)w->nkeys * pow(w->eta * u - w->eta + 1.0, w->alpha));
    if (rank >= w->nkeys)
        rank = w->nkeys - 1;
    /* Scatter the ranks over the key space so that the hot keys are not
     * key:0, key:1, ... (which would also be arbitrary partitions, but a
     * reader would assume an ordering effect); a fixed mix keeps runs
     * comparable. */
    uint64_t s = rank;
    return (uint32_t)(mg_rand_next(&s) % w->nkeys);
}
