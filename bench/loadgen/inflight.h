/* inflight.h - requests sent on one connection and not yet answered.
 *
 * Slots live in fixed arrays sized at connection set-up (the pipelining
 * depth), so the steady state allocates nothing.  The correlation id names
 * the slot and a generation:
 *
 *   bits 63..62  0 (ids with bit 62 set are control requests, see conn.h)
 *   bits 61..20  generation of the slot (bumped on every reuse)
 *   bits 19..0   slot index
 *
 * so a late or duplicated answer for a reused slot is recognised and
 * counted instead of completing the wrong request.
 *
 * Owner: the thread of the connection.
 */
#ifndef BENCH_INFLIGHT_H
#define BENCH_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#define BIF_SLOT_BITS 20
#define BIF_MAX_SLOTS (1u << BIF_SLOT_BITS)

typedef struct breq {
    int64_t t0;       /* when the request was due (ns, CLOCK_MONOTONIC) */
    uint32_t key;     /* key index */
    uint8_t op;       /* bop */
    uint8_t phase;    /* bphase at issue */
} breq;

typedef struct binflight {
    uint32_t cap, used;
    uint32_t *free_stack;    /* free slot indexes; top = free_stack[cap - used - 1] */
    uint64_t *gen;
    breq *req;
} binflight;

void binflight_init(binflight *f, uint32_t cap);
void binflight_free(binflight *f);
/* Takes a free slot for r; returns its correlation id, or -1 when full. */
int64_t binflight_add(binflight *f, const breq *r);
/* Completes the request of corr into *r; false when corr names no live
 * request (unknown, stale or already answered). */
bool binflight_take(binflight *f, int64_t corr, breq *r);
/* Calls fn for every live request (used to account lost answers). */
void binflight_each(const binflight *f, void (*fn)(const breq *r, void *arg), void *arg);

#endif
