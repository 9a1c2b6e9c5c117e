/* expiry.h - TTL and max-idle rules for one entry (imap-semantics.md §2).
 *
 * Pure functions over an mg_entry: no clock, no store.  The caller passes
 * `now` (mg_clock_now_ms) and decides what to do with an expired entry.
 *
 * Precision: memgrid keeps ttl, max-idle and every timestamp in whole
 * milliseconds.  Hazelcast stores them as int seconds (truncated, and any
 * non-zero value under 1 s raised to 1 s), so there an entry can expire up to
 * ~1 s before write + ttl and every timestamp a client sees ends in 000.
 * memgrid expires at exactly write + ttl; this is a deliberate difference.
 */
#ifndef MG_MAP_EXPIRY_H
#define MG_MAP_EXPIRY_H

#include "map/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Effective ttl or max-idle in ms for one write (§2.2), chosen afresh on
 * every write:
 *   op_ms > 0                  -> op_ms
 *   op_ms == 0                 -> MG_NEVER (the client asked for "forever")
 *   op_ms < 0 (client's -1 = "not given")
 *                              -> cfg_seconds * 1000 if 0 < cfg_seconds < INT_MAX,
 *                                 else MG_NEVER (0 and INT_MAX mean unlimited
 *                                 in map config). */
int64_t mg_expiry_pick(int64_t op_ms, int cfg_seconds);

/* a + b, or MG_NEVER if b is MG_NEVER or the sum would pass it. */
int64_t mg_expiry_add(int64_t a, int64_t b);

/* Applies a write at `now` (§2.3, §2.4): last_update = last_access = now,
 * ttl/max-idle stored (values <= 0 are taken as MG_NEVER, matching pick),
 * expiration = min(now + ttl, now + max_idle), MG_NEVER if both are never.
 * Does not touch creation, version or hits: those are the caller's. */
void mg_expiry_on_write(mg_entry *e, int64_t now, int64_t ttl_ms, int64_t max_idle_ms);

/* Applies an access ("touch", §1.2) at `now`: hits +1 (stops at UINT32_MAX),
 * last_access = now, and with a finite max-idle the idle deadline moves to
 * now + max_idle - but never past the TTL deadline last_update + ttl, which
 * only a write restarts.  (Hazelcast recomputes only when ttl > max_idle;
 * otherwise the min below gives back the TTL deadline, so it is the same.) */
void mg_expiry_on_access(mg_entry *e, int64_t now);

/* True when the entry is expired at `now` (now >= expiration). */
bool mg_expiry_is_expired(const mg_entry *e, int64_t now);

#endif
