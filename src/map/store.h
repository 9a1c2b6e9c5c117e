/* store.h - the record store of one (map, partition): a hash table of entries.
 *
 * Threading: a store belongs to the worker that owns its partition; only that
 * thread touches it, so it has no lock.
 *
 * Entry layout: one allocation holds the metadata below followed by the key
 * bytes and then the value bytes.  Keys are the serialized Data blob as the
 * client sent it; two keys are equal when their bytes from offset 4 on are
 * equal (Hazelcast ignores the 4-byte partition-hash header for equality), so
 * the table hashes and compares key[4..klen).  Keys shorter than 8 bytes are
 * refused by the caller before they get here.
 *
 * Times are milliseconds on the member's wall clock (mg_clock_now_ms),
 * expiration is absolute ms or MG_NEVER.  TTL and max-idle are kept in ms.
 *
 * The table grows and shrinks by incremental rehash: while a rehash runs, two
 * bucket arrays exist and every get/put/unlink/scan/sample moves at most
 * MG_STORE_REHASH_MOVES entries and looks at most MG_STORE_REHASH_EMPTY_VISITS
 * empty buckets, so no single operation stalls the worker's loop.  Entries are
 * never moved in memory (only relinked), so an mg_entry pointer stays valid
 * until the entry is unlinked and released, whatever else happens to the store.
 *
 * Accounting: mg_store_count counts linked entries, so it drops at unlink;
 * mg_store_bytes counts memory held, so an unlinked entry keeps counting until
 * mg_store_release frees it.  Always free unlinked entries with
 * mg_store_release, never with free().
 */
#ifndef MG_MAP_STORE_H
#define MG_MAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_NEVER INT64_MAX

/* Smallest bucket array; the table never shrinks below it.  Power of two. */
#define MG_STORE_MIN_BUCKETS 8
/* Per-operation rehash work bound (entries moved, empty buckets skipped). */
#define MG_STORE_REHASH_MOVES 8
#define MG_STORE_REHASH_EMPTY_VISITS 64

typedef struct mg_entry {
    struct mg_entry *next;   /* bucket chain */
    uint32_t hash;           /* mg_key_hash of the key */
    uint32_t klen;
    uint32_t vlen;
    uint32_t version;        /* 0 on creation, +1 per write */
    uint32_t hits;           /* touches */
    uint32_t flags;          /* MG_ENTRY_* */
    int64_t creation_ms;
    int64_t last_access_ms;
    int64_t last_update_ms;
    int64_t ttl_ms;          /* MG_NEVER = none */
    int64_t max_idle_ms;     /* MG_NEVER = none */
    int64_t expiration_ms;   /* MG_NEVER = never */
    uint8_t data[];          /* key bytes, then value bytes */
} mg_entry;

static inline const uint8_t *mg_entry_key(const mg_entry *e) { return e->data; }
static inline const uint8_t *mg_entry_value(const mg_entry *e) { return e->data + e->klen; }
/* Bytes this entry costs in memory: its allocation (sizeof(mg_entry) + klen +
 * vlen) as glibc's malloc sizes it on a 64-bit host (8-byte chunk header,
 * 16-byte granules, 32 minimum).  Computed, not asked of the allocator, so it
 * is the same under sanitizers and stable for the entry's life. */
size_t mg_entry_cost(const mg_entry *e);

typedef struct mg_store mg_store;

mg_store *mg_store_new(void);
void mg_store_free(mg_store *s);              /* frees every entry */
size_t mg_store_count(const mg_store *s);
size_t mg_store_bytes(const mg_store *s);     /* sum of mg_entry_cost + table */

/* MurmurHash3 x86_32 of key[4..klen) (nothing when klen <= 4), with a seed of
 * the store's own; the 4-byte partition-hash header takes no part, like in
 * equality. */
uint32_t mg_key_hash(const uint8_t *key, size_t klen);

mg_entry *mg_store_get(mg_store *s, const uint8_t *key, size_t klen);

/* Inserts or replaces key with a fresh entry holding value.  Metadata of the
 * new entry is zeroed except klen/vlen/hash and expiration = ttl = max_idle =
 * MG_NEVER; the caller fills times and version.  If the key existed its old
 * entry is unlinked and returned in *old (caller frees it with
 * mg_store_release); otherwise *old = NULL. */
mg_entry *mg_store_put(mg_store *s, const uint8_t *key, size_t klen,
                       const uint8_t *value, size_t vlen, mg_entry **old);

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
 * bucket its hash selects, per-array counts, moved-from buckets empty, sizes
 * powers of two).  Returns NULL when sound, else a static description.
 * O(buckets + entries): tests and debug builds only. */
const char *mg_store_check(const mg_store *s);

#endif
