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

static inline int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

void mg_expiry_on_write(mg_entry *e, int64_t now, int64_t ttl_ms, int64_t max_idle_ms)
{
    e->last_update_ms = now;   /* a write is not an access: last_access stays */
    e->ttl_ms = ttl_ms > 0 ? ttl_ms : MG_NEVER;
    e->max_idle_ms = max_idle_ms > 0 ? max_idle_ms : MG_NEVER;
    e->expiration_ms = min64(mg_expiry_add(now, e->ttl_ms), mg_expiry_add(now, e->max_idle_ms));
}

void mg_expiry_on_access(mg_entry *e, int64_t now)
{
    if (e->hits < UINT32_MAX)
        e->hits++;
    e->last_access_ms = now;
    if (e->max_idle_ms != MG_NEVER)
        e->expiration_ms = min64(mg_expiry_add(e->last_update_ms, e->ttl_ms),
                                 mg_expiry_add(now, e->max_idle_ms));
}

bool mg_expiry_is_expired(const mg_entry *e, int64_t now)
{
    return now >= e->expiration_ms;
}
