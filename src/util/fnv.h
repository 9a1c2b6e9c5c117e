/* fnv.h - FNV-1a, 64 bits: a small, dependable digest of byte strings
 * (hash-table keys, configuration digests).  Not for hostile input where
 * collisions would be chosen by an attacker. */
#ifndef MG_UTIL_FNV_H
#define MG_UTIL_FNV_H

#include <stddef.h>
#include <stdint.h>

#define MG_FNV1A_INIT 0xcbf29ce484222325ULL

/* Continues digest h over n bytes (start from MG_FNV1A_INIT). */
static inline uint64_t mg_fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

#endif
