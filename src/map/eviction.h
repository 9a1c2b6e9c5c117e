/* eviction.h - choosing what to evict when a map is over its size limit
 * (imap-semantics.md §5).
 *
 * Like Hazelcast, every partition decides alone: after a write the caller
 * asks mg_eviction_over_limit about the partition's store and, while it says
 * yes, removes what mg_eviction_pick returns.  Both run on the worker that
 * owns the store.
 */
#ifndef MG_MAP_EVICTION_H
#define MG_MAP_EVICTION_H

#include "config/config.h"
#include "map/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries sampled per pick (hazelcast.map.eviction.sample.count). */
#define MG_EVICTION_SAMPLE 15

/* Entries the caller must never lose to eviction (locked keys, and for
 * eviction that makes room for a write, the key being written).  Returns
 * true to skip e.  Called at most MG_EVICTION_SAMPLE times per pick. */
typedef bool (*mg_eviction_skip_fn)(void *ctx, const mg_entry *e);

/* Picks one victim among MG_EVICTION_SAMPLE random entries of s, or NULL.
 *
 *  - policy is an mg_eviction_policy; MG_EVICT_NONE (and any unknown value)
 *    picks nothing and samples nothing.
 *  - Entries for which skip(skip_ctx, e) is true are never returned, not
 *    even when expired (Hazelcast never expires locked keys either).  skip
 *    may be NULL.
 *  - An expired sampled entry is returned at once with *is_expired = true
 *    (the caller reports it as EXPIRED, not EVICTED).
 *  - exclude (the entry just written, may be NULL) is returned only when it
 *    is the only candidate left.
 *  - Otherwise *is_expired = false and the victim is, among the candidates:
 *      LRU    the oldest last access (the ACC field; set at creation too,
 *             so it is max(creation, last access) as Hazelcast compares)
 *      LFU    the fewest hits, ties to the oldest creation (HITS, CRE)
 *      RANDOM the first one sampled
 *    (ties otherwise go to the one sampled first).  An entry without the
 *    field a policy reads counts as 0 there (entry_ops.c gives every entry
 *    of an LRU or LFU map the fields its policy needs).
 *
 * Differs from Hazelcast on purpose: Hazelcast picks among all samples and,
 * when the winner is locked, evicts nothing that round, leaving the partition
 * over its limit; memgrid leaves locked entries out of the choice and evicts
 * the best unlocked one.
 *
 * rng: the caller's mg_rand_next state.  now: for the expiry check. */
mg_entry *mg_eviction_pick(mg_store *s, int policy, uint64_t *rng, const mg_entry *exclude,
                           int64_t now, bool *is_expired,
                           mg_eviction_skip_fn skip, void *skip_ctx);

/* True for the policies that count entries per partition (PER_NODE,
 * ENTRY_COUNT, PER_PARTITION); the others measure memory. */
bool mg_eviction_counts_entries(int max_size_policy);

/* True when a partition store holding `entries` entries must evict (§5.2),
 * for the entry-count policies.
 *
 *   size             the map's configured size; <= 0 means unlimited
 *   entries          mg_store_count of this partition's store (expired but
 *                    still stored entries included, as in Hazelcast)
 *   partitions_total the cluster's partition count
 *   members          data members in the cluster
 *
 *   PER_NODE, ENTRY_COUNT   entries > max(1, floor(size * members / partitions))
 *   PER_PARTITION           entries > size
 *   memory policies         never here: see mg_eviction_excess_bytes
 *
 * An empty store is never over its limit.  The per-partition quota is
 * computed in integers (Hazelcast divides in doubles; n > q and n > floor(q)
 * agree for integer n, so the answer is the same without rounding risk at
 * large sizes). */
bool mg_eviction_over_limit(int max_size_policy, int64_t size, size_t entries,
                            size_t partitions_total, int members);

/* For the memory policies: how many bytes must go before the map is back
 * within its bound (<= 0: none).  memgrid reads Hazelcast's heap as its own
 * memory, measured exactly (memory.h):
 *
 *   map_bytes     what this map's entries and tables hold on this member
 *   member_used   what every map holds on this member
 *   limit         the member's memory limit (memgrid.memory.max-size)
 *
 *   USED_HEAP_SIZE         map_bytes - size MiB
 *   USED_HEAP_PERCENTAGE   map_bytes - size % of limit
 *   FREE_HEAP_SIZE         size MiB - (limit - member_used)
 *   FREE_HEAP_PERCENTAGE   size % of limit - (limit - member_used)
 *
 * (The NATIVE spellings are parsed as these.)  Where Hazelcast adds up a JVM
 * heap estimate per record and compares with the JVM's heap, memgrid uses
 * the bytes the entries really take and the member's own limit. */
int64_t mg_eviction_excess_bytes(int max_size_policy, int64_t size, int64_t map_bytes,
                                 int64_t member_used, int64_t limit);

#endif
