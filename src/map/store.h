/* store.h - the record store of one (map, partition): a hash table of entries.
 *
 * Threading: a store belongs to the worker that owns its partition; only that
 * thread touches it (and its entries), so it has no lock.
 *
 * ---- Entry layout -----------------------------------------------------------
 * One allocation (a slab slot, see slab.h) holds the metadata, the key bytes
 * and the value bytes.  Metadata is no wider than the entry needs: an
 * 18-byte base, then only the optional fields the entry uses, chosen per
 * write from what the map and the write require (its "shape", MG_EF_* bits
 * in `meta`).  Native byte order; the entry never leaves the process.
 * Fields past offset 16 are read and written with memcpy (no alignment).
 *
 *   offset size  field
 *   0      8     next      chain link in the store's bucket list
 *   8      4     version   0 at creation, +1 per write (wraps like Hazelcast's int)
 *   12     4     lens      bits 0-23 value length, or 0xFFFFFF: see VLEN;
 *                          bits 24-31 key length, or 0xFF: see KLEN
 *   16     2     meta      bits 0-7 the optional fields present (MG_EF_*),
 *                          bits 8-15 hash tag (top 8 bits of mg_key_hash)
 *                          so most chain mismatches skip the memcmp
 *   18     ...   optional fields, in this order, each only if its bit is set:
 *                  KLEN  u32  key length, for keys of 255 bytes or more
 *                  VLEN  u32  value length, for values of 16 MiB - 1 or more
 *                  TTL   u32  time to live, whole seconds (1 .. INT_MAX-1)
 *                  IDLE  u32  max idle, whole seconds
 *                  HITS  u32  touches (saturates)
 *                  UPD   u48  last update, ms since the Unix epoch
 *                  ACC   u48  last access, ms
 *                  CRE   u48  creation, ms
 *   ...    klen  key bytes (the serialized Data as the client sent it)
 *   ...    vlen  value bytes
 *
 * Which entries carry what (entry_ops.c decides):
 *   every entry            base only: 18 bytes
 *   with a TTL / max-idle  + TTL and/or IDLE, + UPD (+ ACC for max-idle)
 *   map with LRU eviction  + ACC          map with LFU   + HITS + CRE
 *   per-entry-stats maps   + HITS + UPD + ACC + CRE
 * The expiration time is not stored: it is min(UPD + TTL, max(UPD, ACC) +
 * IDLE) (see expiry.h).  Times are exact milliseconds, as before the compact
 * layout, so what clients see (whole seconds) has not changed; 48 bits hold
 * them for 8,900 years with no epoch to wrap.
 *
 * Measured cost (test_store.c checks it): an entry of a default map with a
 * 28-byte key and a 112-byte value (the Go client's 16-character string and
 * 100-byte []byte) takes a 160-byte slot, 20 bytes beside its 140 bytes of
 * data (18 of header, 2 of rounding), plus 4 to 8 bytes of bucket array
 * (load 1 to 2): 24 to 28 bytes in all.
 *
 * Keys: two keys are equal when their bytes from offset 4 on are equal
 * (Hazelcast ignores the 4-byte partition-hash header for equality), so the
 * table hashes and compares key[4..klen).  Keys shorter than 8 bytes are
 * refused by the caller before they get here.
 *
 * ---- Table ------------------------------------------------------------------
 * Chained, bucket arrays of 2^k pointers, load factor kept between 1/4 and 2
 * (1 to 2 while growing).  The table grows and shrinks by incremental rehash:
 * while a rehash runs, two bucket arrays exist and every get/put/unlink/scan/
 * sample moves at most MG_STORE_REHASH_MOVES entries and looks at most
 * MG_STORE_REHASH_EMPTY_VISITS empty buckets, so no single operation stalls
 * the worker's loop.  The hash is not stored (only its tag): a rehash
 * recomputes it from the key.  Entries are never moved in memory by the
 * table (only relinked), so an mg_entry pointer stays valid until the entry
 * is unlinked and released - except through mg_store_reshape, which returns
 * the entry's new address.
 *
 * ---- Accounting ---------------------------------------------------------------
 * mg_store_count counts linked entries, so it drops at unlink; mg_store_bytes
 * counts memory held, so an unlinked entry keeps counting until
 * mg_store_release frees it.  Always free unlinked entries with
 * mg_store_release, never with free().  Every change is also reported to the
 * map's and the worker's counters given at creation (memory.h).
 */
#ifndef MG_MAP_STORE_H
#define MG_MAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "map/memory.h"
#include "map/slab.h"

#define MG_NEVER INT64_MAX

/* Smallest bucket array; the table never shrinks below it.  Power of two. */
#define MG_STORE_MIN_BUCKETS 8
/* Entries per bucket at which the table grows. */
#define MG_STORE_MAX_LOAD 2
/* Per-operation rehash work bound (entries moved, empty buckets skipped). */
#define MG_STORE_REHASH_MOVES 8
#define MG_STORE_REHASH_EMPTY_VISITS 64

/* Optional fields (bits of meta).  u32 fields come first so that they stay
 * 4-byte aligned; u48 fields are read with memcpy. */
enum {
    MG_EF_KLEN = 1 << 0,
    MG_EF_VLEN = 1 << 1,
    MG_EF_TTL = 1 << 2,
    MG_EF_IDLE = 1 << 3,
    MG_EF_HITS = 1 << 4,
    MG_EF_UPD = 1 << 5,
    MG_EF_ACC = 1 << 6,
    MG_EF_CRE = 1 << 7,
};
#define MG_EF_U32S (MG_EF_KLEN | MG_EF_VLEN | MG_EF_TTL | MG_EF_IDLE | MG_EF_HITS)
#define MG_EF_U48S (MG_EF_UPD | MG_EF_ACC | MG_EF_CRE)
#define MG_EF_ALL (MG_EF_U32S | MG_EF_U48S)
#define MG_EF_SHAPE (MG_EF_ALL & ~(MG_EF_KLEN | MG_EF_VLEN))   /* what callers choose */

#define MG_ENTRY_BASE 18
#define MG_ENTRY_KLEN_BIG 0xFFu
#define MG_ENTRY_VLEN_BIG 0xFFFFFFu

typedef struct mg_entry {
    struct mg_entry *next;
    uint32_t version;
    uint32_t lens;   /* vlen | klen << 24, see above */
    uint16_t meta;
    uint8_t x[];     /* optional fields, key, value; x is at MG_ENTRY_BASE */
} mg_entry;

_Static_assert(offsetof(mg_entry, x) == MG_ENTRY_BASE, "entry base is 18 bytes");

/* ---- accessors ---- */

static inline unsigned mg_entry_shape(const mg_entry *e) { return e->meta & MG_EF_ALL; }
static inline bool mg_entry_has(const mg_entry *e, unsigned f) { return (e->meta & f) != 0; }

/* Bits set in the low byte.  Not __builtin_popcount: without -mpopcnt (which
 * the build cannot assume) that is a libgcc call, and these run several
 * times per request. */
static inline unsigned mg_popcount8(unsigned x)
{
    x &= 0xffu;
    x = x - ((x >> 1) & 0x55u);
    x = (x & 0x33u) + ((x >> 2) & 0x33u);
    return (x + (x >> 4)) & 0x0fu;
}

/* Header bytes for a set of fields. */
static inline size_t mg_entry_header(unsigned fields)
{
    return MG_ENTRY_BASE + 4 * (size_t)mg_popcount8(fields & MG_EF_U32S) +
           6 * (size_t)mg_popcount8(fields & MG_EF_U48S);
}

/* Offset of field f (which must be present). */
static inline size_t mg_entry_field_off(unsigned meta, unsigned f)
{
    unsigned below = meta & MG_EF_ALL & (f - 1);
    if (f & MG_EF_U32S)
        return MG_ENTRY_BASE + 4 * (size_t)mg_popcount8(below);
    return MG_ENTRY_BASE + 4 * (size_t)mg_popcount8(meta & MG_EF_U32S) +
           6 * (size_t)mg_popcount8(below & MG_EF_U48S);
}

static inline uint32_t mg_entry_u32(const mg_entry *e, unsigned f)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)e + mg_entry_field_off(e->meta, f), 4);
    return v;
}

static inline void mg_entry_set_u32(mg_entry *e, unsigned f, uint32_t v)
{
    memcpy((uint8_t *)e + mg_entry_field_off(e->meta, f), &v, 4);
}

/* u48 times: non-negative ms; values outside [0, 2^48) are clamped (no
 * real clock produces them). */
static inline int64_t mg_entry_time(const mg_entry *e, unsigned f)
{
    const uint8_t *p = (const uint8_t *)e + mg_entry_field_off(e->meta, f);
    uint16_t hi;
    uint32_t lo;
    memcpy(&lo, p, 4);
    memcpy(&hi, p + 4, 2);
    return (int64_t)((uint64_t)hi << 32 | lo);
}

static inline void mg_entry_set_time(mg_entry *e, unsigned f, int64_t ms)
{
    uint64_t v = ms < 0 ? 0 : ms >= ((int64_t)1 << 48) ? ((uint64_t)1 << 48) - 1 : (uint64_t)ms;
    uint8_t *p = (uint8_t *)e + mg_entry_field_off(e->meta, f);
    uint32_t lo = (uint32_t)v;
    uint16_t hi = (uint16_t)(v >> 32);
    memcpy(p, &lo, 4);
    memcpy(p + 4, &hi, 2);
}

static inline size_t mg_entry_klen(const mg_entry *e)
{
    uint32_t k = e->lens >> 24;
    return k != MG_ENTRY_KLEN_BIG ? k : mg_entry_u32(e, MG_EF_KLEN);
}
static inline size_t mg_entry_vlen(const mg_entry *e)
{
    uint32_t v = e->lens & MG_ENTRY_VLEN_BIG;
    return v != MG_ENTRY_VLEN_BIG ? v : mg_entry_u32(e, MG_EF_VLEN);
}
/* The length fields an entry with these lengths needs. */
static inline unsigned mg_entry_len_fields(size_t klen, size_t vlen)
{
    return (klen >= MG_ENTRY_KLEN_BIG ? MG_EF_KLEN : 0) | (vlen >= MG_ENTRY_VLEN_BIG ? MG_EF_VLEN : 0);
}
static inline const uint8_t *mg_entry_key(const mg_entry *e)
{
    return (const uint8_t *)e + mg_entry_header(e->meta);
}
static inline const uint8_t *mg_entry_value(const mg_entry *e) { return mg_entry_key(e) + mg_entry_klen(e); }

/* Whole allocation size: header + key + value. */
static inline size_t mg_entry_size_for(unsigned shape, size_t klen, size_t vlen)
{
    unsigned f = (shape & MG_EF_SHAPE) | mg_entry_len_fields(klen, vlen);
    return mg_entry_header(f) + klen + vlen;
}
static inline size_t mg_entry_size(const mg_entry *e)
{
    return mg_entry_header(e->meta) + mg_entry_klen(e) + mg_entry_vlen(e);
}

/* Bytes this entry costs in memory: its slab slot (or malloc chunk when
 * bigger than MG_SLAB_MAX), see mg_slab_cost.  Computed, not asked of an
 * allocator, so it is the same under sanitizers and stable for the entry's
 * life.  Its share of the bucket array is not included. */
static inline size_t mg_entry_cost(const mg_entry *e) { return mg_slab_cost(mg_entry_size(e)); }
static inline size_t mg_entry_cost_for(unsigned shape, size_t klen, size_t vlen)
{
    return mg_slab_cost(mg_entry_size_for(shape, klen, vlen));
}

/* ---- the store ---- */

typedef struct mg_store mg_store;

/* heap: where entries are allocated (required).  map_acct and worker: the
 * counters to keep (memory.h); either may be NULL (tests).  evictable: the
 * store's map has an eviction policy, so the worker also counts its bytes
 * as evictable. */
mg_store *mg_store_new(mg_slab *heap, mg_mem_acct *map_acct, mg_mem_worker *worker, bool evictable);
void mg_store_free(mg_store *s);              /* frees every entry */
/* The same in slices, for a store nothing reaches any more: frees entries
 * until *budget (decremented) runs out; true once the store itself is gone. */
bool mg_store_free_some(mg_store *s, size_t *budget);
size_t mg_store_count(const mg_store *s);
/* Counts the store into another map's counters from now on, moving what
 * it holds there (its entries and bytes). */
void mg_store_set_map_acct(mg_store *s, mg_mem_acct *map_acct);
/* Sizes an empty store's table for n entries, so that n inserts never grow
 * it (a copy says how many entries follow).  A hint only: a store holding
 * entries, or n above MG_STORE_RESERVE_MAX (a peer's number, not trusted
 * with memory), leaves the store as it is. */
#define MG_STORE_RESERVE_MAX (1u << 22)
void mg_store_reserve(mg_store *s, size_t n);
/* Entries that carry a TTL or max-idle: with none, an expiry sweep has
 * nothing to find here. */
size_t mg_store_expiring(const mg_store *s);
size_t mg_store_bytes(const mg_store *s);     /* sum of mg_entry_cost + table */

/* MurmurHash3 x86_32 of key[4..klen) (nothing when klen <= 4), with a seed of
 * the store's own; the 4-byte partition-hash header takes no part, like in
 * equality. */
uint32_t mg_key_hash(const uint8_t *key, size_t klen);

mg_entry *mg_store_get(mg_store *s, const uint8_t *key, size_t klen);

/* Lookups of a batch of keys are coming: step 1 asks memory for each key's
 * bucket (and returns the key's hash), step 2 for the entry each bucket
 * points at, step 3 for the entry after it (a chain holds 1.5 on average).
 * Run each step over the whole batch before the next, so that the batch
 * waits for memory about three times instead of three times per key.
 * They only read, and a store that changes in between costs a miss, no
 * more. */
uint32_t mg_store_prefetch_bucket(const mg_store *s, const uint8_t *key, size_t klen);
void mg_store_prefetch_head(const mg_store *s, uint32_t h);
void mg_store_prefetch_next(const mg_store *s, uint32_t h);

/* Inserts or replaces key with a fresh entry holding value and the optional
 * fields in `shape` (MG_EF_SHAPE bits; KLEN and VLEN are added when
 * needed), all of them zero; version is 0.  The caller fills them.  If the key existed its
 * old entry is unlinked and returned in *old (caller frees it with
 * mg_store_release); otherwise *old = NULL. */
mg_entry *mg_store_put(mg_store *s, const uint8_t *key, size_t klen,
                       const uint8_t *value, size_t vlen, unsigned shape, mg_entry **old);

/* Gives a linked entry another set of optional fields: returns the entry at
 * its new address (or e itself when the shape is unchanged), in e's place
 * in the table.  Key, value, version and every field both shapes have are
 * kept; new fields are zero.  e is freed. */
mg_entry *mg_store_reshape(mg_store *s, mg_entry *e, unsigned shape);

/* Unlinks and returns the entry for key, or NULL. Caller releases it. */
mg_entry *mg_store_unlink(mg_store *s, const uint8_t *key, size_t klen);
/* Unlinks a specific entry known to be in the store. */
void mg_store_unlink_entry(mg_store *s, mg_entry *e);
void mg_store_release(mg_store *s, mg_entry *e);   /* free + accounting */

/* Full iteration; the callback must not modify the store.  Return false from
 * the callback to stop. */
typedef bool (*mg_store_visit_fn)(void *ctx, mg_entry *e);
void mg_store_foreach(mg_store *s, mg_store_visit_fn fn, void *ctx);

/* Removes every entry for which fn returns true (fn may look at, not free, e);
 * removed entries are passed to `removed` (may be NULL) before being freed.
 * Returns how many were removed. */
typedef bool (*mg_store_pred_fn)(void *ctx, const mg_entry *e);
typedef void (*mg_store_removed_fn)(void *ctx, mg_entry *e);
size_t mg_store_remove_if(mg_store *s, mg_store_pred_fn fn, mg_store_removed_fn removed, void *ctx);

/* Incremental scan that survives inserts, removals and rehashing between
 * calls (reverse-binary cursor, as Redis SCAN): start with *cursor = 0; each
 * call visits bucket groups from *cursor until it has seen `budget` entries
 * (at least one group, so it always progresses; a group may overshoot the
 * budget by a chain or two), updates *cursor, and returns true when the pass
 * is complete (*cursor is back to 0).  Every entry present from the first
 * call to the last is visited at least once; some may be visited twice (an
 * entry moved by a shrink, or a step cut short by the callback).  The
 * callback may not modify the store; collect keys and act after.  Returning
 * false from it ends the call early (returns false, the interrupted group is
 * visited again next call). */
bool mg_store_scan(mg_store *s, uint64_t *cursor, size_t budget, mg_store_visit_fn fn, void *ctx);

/* Up to n distinct-ish random entries (may return fewer).  *rng is the caller's
 * mg_rand_next (util/rand.h) state; any seed value works.  When
 * the table has at most 10*n buckets the whole table is walked from a random
 * bucket, so min(n, count) distinct entries come back; bigger tables are
 * walked for at most 10*n buckets, jumping to a fresh random bucket after a
 * run of empty ones, and an entry may then appear twice. */
size_t mg_store_sample(mg_store *s, uint64_t *rng, mg_entry **out, size_t n);

/* Introspection for tests and metrics.  Never changes the store. */
typedef struct mg_store_stats {
    size_t count;            /* linked entries (= mg_store_count) */
    size_t buckets[2];       /* bucket array sizes; [1] is 0 unless rehashing */
    bool rehashing;
    size_t entry_bytes;      /* mg_entry_cost of every entry not yet released */
    size_t table_bytes;      /* the store struct and its bucket arrays */
    uint64_t rehash_moved;   /* entries moved between arrays since creation */
    uint64_t rehash_skipped; /* empty buckets stepped over by rehash steps */
    uint64_t rehashes;       /* rehashes started (grow or shrink) */
} mg_store_stats;
void mg_store_read_stats(const mg_store *s, mg_store_stats *out);

/* Walks the whole structure and checks its invariants (every entry in the
 * bucket its hash selects, tags, per-array counts, moved-from buckets empty,
 * sizes powers of two).  Returns NULL when sound, else a static description.
 * O(buckets + entries): tests and debug builds only. */
const char *mg_store_check(const mg_store *s);

#endif
