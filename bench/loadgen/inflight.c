/* inflight.c - slot table of requests awaiting an answer. */
#include "inflight.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define LIVE_BIT ((uint64_t)1 << 63)   /* in gen[]: the slot holds a request */
#define GEN_MASK (((uint64_t)1 << (62 - BIF_SLOT_BITS)) - 1)

void binflight_init(binflight *f, uint32_t cap)
{
    if (cap > BIF_MAX_SLOTS)
        cap = BIF_MAX_SLOTS;
    f->cap = cap;
    f->used = 0;
    f->free_stack = mg_xmalloc(cap * sizeof *f->free_stack);
    f->gen = mg_xcalloc(cap, sizeof *f->gen);
    f->req = mg_xcalloc(cap, sizeof *f->req);
    /* Lowest slots on top, so a shallow pipeline touches few cache lines. */
    for (uint32_t i = 0; i < cap; i++)
        f->free_stack[i] = cap - 1 - i;
}

void binflight_free(binflight *f)
{
    free(f->free_stack);
    free(f->gen);
    free(f->req);
    memset(f, 0, sizeof *f);
}

int64_t binflight_add(binflight *f, const breq *r)
{
    if (f->used == f->cap)
        return -1;
    uint32_t slot = f->free_stack[f->cap - f->used - 1];
    f->used++;
    uint64_t g = ((f->gen[slot] & GEN_MASK) + 1) & GEN_MASK;
    f->gen[slot] = g | LIVE_BIT;
    f->req[slot] = *r;
    return (int64_t)((g << BIF_SLOT_BITS) | slot);
}

bool binflight_take(binflight *f, int64_t corr, breq *r)
{
    if (corr < 0)
        return false;
    uint64_t c = (uint64_t)corr;
    uint32_t slot = (uint32_t)(c & (BIF_MAX_SLOTS - 1));
    uint64_t g = c >> BIF_SLOT_BITS;
    if (slot >= f->cap || f->gen[slot] != (g | LIVE_BIT))
        return false;
    f->gen[slot] = g;   /* not live any more; generation kept for the next use */
    *r = f->req[slot];
    f->free_stack[f->cap - f->used] = slot;
    f->used--;
    return true;
}

void binflight_each(const binflight *f, void (*fn)(const breq *r, void *arg), void *arg)
{
    for (uint32_t i = 0; i < f->cap; i++)
        if (f->gen[i] & LIVE_BIT)
            fn(&f->req[i], arg);
}
