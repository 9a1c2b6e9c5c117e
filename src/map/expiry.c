/* expiry.c - see expiry.h. */
#include "map/expiry.h"

#include <limits.h>

int64_t mg_expiry_pick(int64_t op_ms, int cfg_seconds)
{
    /* Hazelcast keeps TTL and max-idle in whole seconds (truncated; anything
     * below a second becomes one), and clients see those values in
     * GetEntryView, so memgrid stores the same.  Expiry itself is then exact
     * to the millisecond from the write: never early. */
    if (op_ms > 0) {
        if (op_ms / 1000 >= INT_MAX)   /* Hazelcast's "infinite" (Integer.MAX_VALUE s) */
            return MG_NEVER;
        return op_ms < 1000 ? 1000 : op_ms - op_ms % 1000;
    }
    if (op_ms == 0)
        return MG_NEVER;
    if (cfg_seconds > 0 && cfg_seconds < INT_MAX)
        return (int64_t)cfg_seconds * 1000;
    return MG_NEVER;
}

int64_t mg_expiry_add(int64_t a, int64_t b)
{
    if (a == MG_NEVER || b == MG_NEVER)
        return MG_NEVER;
    if (b > 0 && a > MG_NEVER - b)
        return MG_NEVER;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static inline bool finite(int64_t ms) { return ms > 0 && ms != MG_NEVER; }

/* Seconds as stored: whole seconds, at least one (pick already truncated;
 * this only guards direct callers), below Hazelcast's infinite. */
static uint32_t to_seconds(int64_t ms)
{
    int64_t s = ms / 1000;
    if (s < 1)
        s = 1;
    if (s >= INT_MAX)
        s = INT_MAX - 1;
    return (uint32_t)s;
}

unsigned mg_expiry_shape(int64_t ttl_ms, int64_t max_idle_ms)
{
    unsigned f = 0;
    if (finite(ttl_ms))
        f |= MG_EF_TTL | MG_EF_UPD;
    if (finite(max_idle_ms))
        f |= MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC;
    return f;
}

void mg_expiry_on_write(mg_entry *e, int64_t now, int64_t ttl_ms, int64_t max_idle_ms)
{
    if (mg_entry_has(e, MG_EF_UPD))
        mg_entry_set_time(e, MG_EF_UPD, now);   /* a write is not an access: ACC stays */
    if (mg_entry_has(e, MG_EF_TTL))
        mg_entry_set_u32(e, MG_EF_TTL, to_seconds(ttl_ms));
    if (mg_entry_has(e, MG_EF_IDLE))
        mg_entry_set_u32(e, MG_EF_IDLE, to_seconds(max_idle_ms));
}

void mg_expiry_on_access(mg_entry *e, int64_t now)
{
    if (mg_entry_has(e, MG_EF_HITS)) {
        uint32_t h = mg_entry_u32(e, MG_EF_HITS);
        if (h < UINT32_MAX)
            mg_entry_set_u32(e, MG_EF_HITS, h + 1);
    }
    if (mg_entry_has(e, MG_EF_ACC))
        mg_entry_set_time(e, MG_EF_ACC, now);
}

int64_t mg_expiry_ttl(const mg_entry *e)
{
    return mg_entry_has(e, MG_EF_TTL) ? (int64_t)mg_entry_u32(e, MG_EF_TTL) * 1000 : MG_NEVER;
}

int64_t mg_expiry_max_idle(const mg_entry *e)
{
    return mg_entry_has(e, MG_EF_IDLE) ? (int64_t)mg_entry_u32(e, MG_EF_IDLE) * 1000 : MG_NEVER;
}

int64_t mg_expiry_deadline(const mg_entry *e)
{
    if (!mg_entry_has(e, MG_EF_TTL | MG_EF_IDLE))
        return MG_NEVER;
    int64_t upd = mg_entry_time(e, MG_EF_UPD);
    int64_t by_ttl = mg_expiry_add(upd, mg_expiry_ttl(e));
    if (!mg_entry_has(e, MG_EF_IDLE))
        return by_ttl;
    /* The idle clock restarts at a write and at an access, whichever was
     * last. */
    int64_t idle_from = max64(upd, mg_entry_time(e, MG_EF_ACC));
    return min64(by_ttl, mg_expiry_add(idle_from, mg_expiry_max_idle(e)));
}

bool mg_expiry_is_expired(const mg_entry *e, int64_t now)
{
    return now >= mg_expiry_deadline(e);
}
