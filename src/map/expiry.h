/* expiry.h - TTL and max-idle rules for one entry (imap-semantics.md §2).
 *
 * Pure functions over an mg_entry: no clock, no store.  The caller passes
 * `now` (mg_clock_now_ms) and decides what to do with an expired entry.
 *
 * Precision: like Hazelcast, ttl and max-idle are whole seconds (truncated;
 * any non-zero value under 1 s becomes 1 s), which is what clients see in
 * GetEntryView.  Timestamps are kept in exact milliseconds, and expiry is
 * exact to the millisecond from the write or access: an entry never goes
 * early.  (Hazelcast stores timestamps in whole seconds, so there an entry
 * can expire up to ~1 s before write + ttl; clients see whole seconds from
 * both.)
 *
 * Storage: ttl and max-idle live in the entry only when finite (the TTL and
 * IDLE fields, in seconds), together with the last-update time (UPD), and
 * for max-idle the last-access time (ACC).  The expiration time is derived:
 *
 *     expiration = min(UPD + ttl, max(UPD, ACC) + max_idle)
 *
 * which is what Hazelcast's rules produce (§2.3, §2.4): a write restarts
 * both clocks (UPD = now), an access moves only the idle deadline (ACC =
 * now), and the TTL deadline caps it.
 */
#ifndef MG_MAP_EXPIRY_H
#define MG_MAP_EXPIRY_H

#include "map/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Effective ttl or max-idle in ms for one write (§2.2), chosen afresh on
 * every write:
 *   op_ms > 0                  -> op_ms truncated to whole seconds, at least 1 s
 *                                 (MG_NEVER from Integer.MAX_VALUE seconds on)
 *   op_ms == 0                 -> MG_NEVER (the client asked for "forever")
 *   op_ms < 0 (client's -1 = "not given")
 *                              -> cfg_seconds * 1000 if 0 < cfg_seconds < INT_MAX,
 *                                 else MG_NEVER (0 and INT_MAX mean unlimited
 *                                 in map config). */
int64_t mg_expiry_pick(int64_t op_ms, int cfg_seconds);

/* a + b, or MG_NEVER if b is MG_NEVER or the sum would pass it. */
int64_t mg_expiry_add(int64_t a, int64_t b);

/* The fields an entry needs for this ttl and max-idle (values from
 * mg_expiry_pick; <= 0 and MG_NEVER mean none): TTL and/or IDLE, UPD when
 * either is finite, ACC with max-idle. */
unsigned mg_expiry_shape(int64_t ttl_ms, int64_t max_idle_ms);

/* Applies a write at `now` (§2.3, §2.4): last update = now (when the entry
 * keeps it), ttl and max-idle stored in their fields (the entry must have
 * the shape mg_expiry_shape gives for them; values <= 0 are never).  Does
 * not touch last access, creation, version or hits: those are the caller's
 * (a write is not an access). */
void mg_expiry_on_write(mg_entry *e, int64_t now, int64_t ttl_ms, int64_t max_idle_ms);

/* Applies an access ("touch", §1.2) at `now`: hits +1 (stops at
 * UINT32_MAX) and last access = now, for the entries that keep them.  With
 * a finite max-idle that moves the idle deadline to now + max_idle, never
 * past the TTL deadline UPD + ttl, which only a write restarts. */
void mg_expiry_on_access(mg_entry *e, int64_t now);

/* ttl and max-idle in ms, MG_NEVER when none. */
int64_t mg_expiry_ttl(const mg_entry *e);
int64_t mg_expiry_max_idle(const mg_entry *e);

/* The expiration time in ms (formula above), MG_NEVER when none. */
int64_t mg_expiry_deadline(const mg_entry *e);

/* True when the entry is expired at `now` (now >= expiration). */
bool mg_expiry_is_expired(const mg_entry *e, int64_t now);

#endif
