#include "util/rand.h"

#include <stdio.h>
#include <sys/random.h>
#include <time.h>

uint64_t mg_rand_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
    }
    return s;
}

mg_uuid mg_uuid_random(uint64_t *state)
{
    mg_uuid u;
    uint64_t hi = mg_rand_next(state), lo = mg_rand_next(state);
    hi = (hi & ~0xF000ULL) | 0x4000ULL;                     /* version 4 */
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);               /* IETF variant */
    u.msb = (int64_t)hi;
    u.lsb = (int64_t)lo;
    u.is_null = false;
    return u;
}

void mg_uuid_format(const mg_uuid *u, char out[37])
{
    uint64_t hi = (uint64_t)u->msb, lo = (uint64_t)u->lsb;
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
             (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
             (unsigned long long)(lo & 0xffffffffffffULL));
}
