/* rand.h - small PRNG (splitmix64) and UUIDs.  Each owner keeps its own state;
 * seeds come from getrandom(). */
#ifndef MG_UTIL_RAND_H
#define MG_UTIL_RAND_H

#include <stdint.h>

#include "proto/frame.h"

uint64_t mg_rand_seed(void);
static inline uint64_t mg_rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* A random (version 4) UUID; never the all-zero UUID, which the Go client
 * reads as null. */
mg_uuid mg_uuid_random(uint64_t *state);
void mg_uuid_format(const mg_uuid *u, char out[37]);
static inline int mg_uuid_eq(const mg_uuid *a, const mg_uuid *b)
{
    return a->is_null == b->is_null && a->msb == b->msb && a->lsb == b->lsb;
}

#endif
