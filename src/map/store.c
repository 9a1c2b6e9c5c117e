/* store.c - the record store: a chained hash table with incremental rehash.
 *
 * Shape (after Redis dict.c, written for memgrid's one entry type, so there
 * are no type callbacks: the store owns its entries, keys compare as bytes):
 *
 *   mg_store
 *     t[0]  the table lookups start from; the only one when not rehashing
 *     t[1]  the rehash target; buckets == NULL unless rehashing
 *     rehash_idx  next bucket of t[0] to drain into t[1]
 *
 * A resize allocates t[1] at the new size and then drains t[0] into it a few
 * entries per operation.  While both exist, lookups search both, inserts go
 * to t[1] only, and t[0] only ever loses entries, so the rehash always ends.
 * When t[0] is empty, t[1] becomes t[0].  Shrinking uses the same machinery
 * with a smaller t[1].
 *
 * Why move entries rather than whole buckets per step: a bucket's chain is
 * short only on average; bounding moved entries bounds the step's work no
 * matter how the keys hash.
 *
 * Why load up to 2 (Redis keeps 1): a bucket pointer per entry is 8 bytes,
 * a fifth of the whole per-entry budget; at load 1..2 it is 4..8 bytes, and
 * the extra chain step mostly stops at the tag without touching the key.
 */
#include "map/store.h"

#include "partition/partition_id.h"
#include "util/alloc.h"
#include "util/rand.h"

#include <assert.h>
#include <string.h>

/* One bucket array.
 *
 * Invariants:
 *   size == 0 and buckets == NULL (never allocated), or size is a power of
 *   two >= MG_STORE_MIN_BUCKETS, mask == size - 1;
 *   every entry e on chain buckets[i] has (hash(e) & mask) == i and its tag
 *   equal to hash(e) >> 24;
 *   used == number of entries on all chains. */
typedef struct mg_table {
    mg_entry **buckets;
    size_t size;
    size_t mask;
    size_t used;
} mg_table;

/* Owned by the worker that owns the partition (see store.h); no lock.
 *
 * Invariants:
 *   !rehashing: t[1] is all zero, rehash_idx == 0;
 *   rehashing: t[1].size != t[0].size, and t[0].buckets[i] == NULL for every
 *   i < rehash_idx (those buckets were drained);
 *   entry_bytes == sum of mg_entry_cost over entries allocated by put and not
 *   yet released (linked or not);
 *   table_bytes == cost of this struct + cost of each allocated bucket array. */
struct mg_store {
    mg_table t[2];
    bool rehashing;
    size_t rehash_idx;
    size_t entry_bytes;
    size_t table_bytes;
    size_t expiring;          /* linked entries with a TTL or max-idle field */
    mg_slab *heap;            /* the owning worker's entry heap */
    mg_mem_acct *map_acct;    /* this map on this worker, or NULL */
    mg_mem_worker *worker;    /* this worker, or NULL */
    bool evictable;           /* counted as evictable by the worker */
    /* Debug counters (mg_store_read_stats). */
    uint64_t rehash_moved;
    uint64_t rehash_skipped;
    uint64_t rehashes;
};

/* ---- hashing ------------------------------------------------------------ */

/* Arbitrary fixed seed, different from the partition hash's.  The bucket
 * index uses the low bits, which is why we hash the payload ourselves instead
 * of reusing the client's partition hash in key[0..4): every key of one store
 * shares that hash modulo the partition count, so its low bits are
 * correlated.  MurmurHash3 x86_32 (the project's copy in partition_id.c) is
 * fast and mixes well; it is not keyed against deliberately colliding keys,
 * which the load factor cannot defend against either - a known limit of an
 * unkeyed table. */
#define KEY_HASH_SEED 0x6d677264u

uint32_t mg_key_hash(const uint8_t *key, size_t klen)
{
    return klen > 4 ? mg_murmur3_32(key + 4, klen - 4, KEY_HASH_SEED)
                    : mg_murmur3_32(key, 0, KEY_HASH_SEED);
}

static inline uint16_t tag_of(uint32_t h) { return (uint16_t)((h >> 24) << 8); }

static inline uint32_t entry_hash(const mg_entry *e)
{
    return mg_key_hash(mg_entry_key(e), mg_entry_klen(e));
}

static inline bool key_equals(const mg_entry *e, uint32_t h, const uint8_t *key, size_t klen)
{
    return (e->meta & 0xff00u) == tag_of(h) && mg_entry_klen(e) == klen &&
           (klen <= 4 || memcmp(mg_entry_key(e) + 4, key + 4, klen - 4) == 0);
}

/* ---- accounting --------------------------------------------------------- */

/* Bytes glibc's malloc really takes for a request of n bytes on a 64-bit
 * host: the request plus an 8-byte chunk header, rounded up to 16, at least
 * 32.  A formula rather than malloc_usable_size so the figure is the same
 * under sanitizers (whose allocator reports the request size) and other
 * allocators, and so tests can predict it. */
static size_t alloc_cost(size_t n)
{
    size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

static size_t array_cost(size_t buckets)
{
    return buckets ? alloc_cost(buckets * sizeof(mg_entry *)) : 0;
}

/* ---- tables and rehash -------------------------------------------------- */

/* Reports a change to the map's and the worker's counters. */
static inline void note(mg_store *s, int64_t entries, int64_t bytes)
{
    if (s->map_acct)
        mg_mem_acct_add(s->map_acct, entries, bytes);
    if (s->worker) {
        if (s->evictable)
            mg_mem_note_evictable(s->worker, entries, bytes);
        else
            mg_mem_note(s->worker, entries, bytes);
    }
}

static void table_alloc(mg_store *s, mg_table *t, size_t size)
{
    t->buckets = mg_xcalloc(size, sizeof(mg_entry *));
    t->size = size;
    t->mask = size - 1;
    t->used = 0;
    s->table_bytes += array_cost(size);
    note(s, 0, (int64_t)array_cost(size));
}

static void table_release(mg_store *s, mg_table *t)
{
    free(t->buckets);
    s->table_bytes -= array_cost(t->size);
    note(s, 0, -(int64_t)array_cost(t->size));
    memset(t, 0, sizeof(*t));
}

static mg_entry *entry_alloc(mg_store *s, size_t size)
{
    mg_entry *e = mg_slab_alloc(s->heap, size);
    size_t c = mg_slab_cost(size);
    s->entry_bytes += c;
    note(s, 0, (int64_t)c);
    return e;
}

static void entry_free(mg_store *s, mg_entry *e)
{
    size_t size = mg_entry_size(e), c = mg_slab_cost(size);
    s->entry_bytes -= c;
    note(s, 0, -(int64_t)c);
    mg_slab_free(s->heap, e, size);
}

static inline size_t can_expire(const mg_entry *e)
{
    return (e->meta & (MG_EF_TTL | MG_EF_IDLE)) != 0;
}

static inline size_t store_count(const mg_store *s)
{
    return s->t[0].used + s->t[1].used;
}

/* Size a table for `count` entries: load at most 1, so after a grow
 * (triggered at load MG_STORE_MAX_LOAD) the load is 1 and after a shrink
 * (triggered below 1/4) between 1/2 and 1 - far from both thresholds, so
 * sizes don't flap. */
static size_t target_size(size_t count)
{
    size_t size = MG_STORE_MIN_BUCKETS;
    while (size < count)
        size <<= 1;
    return size;
}

static void rehash_start(mg_store *s, size_t size)
{
    if (size == s->t[0].size)
        return;
    table_alloc(s, &s->t[1], size);
    s->rehashing = true;
    s->rehash_idx = 0;
    s->rehashes++;
}

static void maybe_grow(mg_store *s);
static void maybe_shrink(mg_store *s);

static void rehash_finish(mg_store *s)
{
    table_release(s, &s->t[0]);
    s->t[0] = s->t[1];
    memset(&s->t[1], 0, sizeof(s->t[1]));
    s->rehashing = false;
    s->rehash_idx = 0;
    /* The count moved while we rehashed and no resize could start then;
     * catch up now, or a store emptied during a shrink would keep its big
     * array until the next unlink that may never come. */
    maybe_grow(s);
    maybe_shrink(s);
}

/* One bounded slice of the rehash: moves at most MG_STORE_REHASH_MOVES
 * entries and steps over at most MG_STORE_REHASH_EMPTY_VISITS empty buckets
 * (a shrink starts from a sparse table, so empty runs are the common case). */
static void rehash_step(mg_store *s)
{
    if (!s->rehashing)
        return;
    mg_table *from = &s->t[0], *to = &s->t[1];
    size_t moves = MG_STORE_REHASH_MOVES, skips = MG_STORE_REHASH_EMPTY_VISITS;

    while (moves > 0 && from->used > 0 && s->rehash_idx < from->size) {
        mg_entry **slot = &from->buckets[s->rehash_idx];
        if (!*slot) {
            s->rehash_idx++;
            s->rehash_skipped++;
            if (--skips == 0)
                break;
            continue;
        }
        mg_entry *e = *slot;
        *slot = e->next;
        mg_entry **dst = &to->buckets[entry_hash(e) & to->mask];
        e->next = *dst;
        *dst = e;
        from->used--;
        to->used++;
        moves--;
        s->rehash_moved++;
        if (!*slot)
            s->rehash_idx++;   /* drained: not an empty visit */
    }
    /* Nothing left to move: the rest of t[0] is empty, no need to walk it. */
    if (from->used == 0)
        rehash_finish(s);
}

static void maybe_grow(mg_store *s)
{
    if (!s->rehashing && s->t[0].size && store_count(s) >= s->t[0].size * MG_STORE_MAX_LOAD)
        rehash_start(s, target_size(store_count(s)));
}

static void maybe_shrink(mg_store *s)
{
    if (!s->rehashing && s->t[0].size > MG_STORE_MIN_BUCKETS &&
        store_count(s) < s->t[0].size / 4)
        rehash_start(s, target_size(store_count(s)));
}

/* Address of the link that points at key's entry (a bucket slot or a
 * predecessor's next), or NULL.  *which is the table it was found in. */
static mg_entry **find_link(mg_store *s, uint32_t h, const uint8_t *key, size_t klen, int *which)
{
    for (int i = 0; i <= (s->rehashing ? 1 : 0); i++) {
        mg_table *t = &s->t[i];
        if (t->size == 0)
            continue;
        for (mg_entry **link = &t->buckets[h & t->mask]; *link; link = &(*link)->next) {
            if (key_equals(*link, h, key, klen)) {
                *which = i;
                return link;
            }
        }
    }
    return NULL;
}

/* ---- public API --------------------------------------------------------- */

mg_store *mg_store_new(mg_slab *heap, mg_mem_acct *map_acct, mg_mem_worker *worker, bool evictable)
{
    mg_store *s = mg_xcalloc(1, sizeof(*s));
    s->heap = heap;
    s->map_acct = map_acct;
    s->worker = worker;
    s->evictable = evictable;
    s->table_bytes = alloc_cost(sizeof(*s));
    note(s, 0, (int64_t)s->table_bytes);
    return s;
}

/* Whole-store walks (a partition's copy, a dropped partition's free) touch
 * entries in bucket order, which is random in memory: each entry is a cache
 * miss unless it is asked for a few buckets ahead.  Measured on a copy of
 * 3,700 entries of 100 B: the miss on the first read of an entry was 90 %
 * of the time spent encoding it.
 *
 * Both helpers are always_inline and test nothing before prefetching, for
 * GCC 12 at -O2: it finds a function made only of prefetches "pure" and
 * drops every call to it, and it drops prefetches that sit behind a NULL
 * test; until this was written so, not one prefetch reached the binary.
 * A prefetch of address 0 or 64 is harmless: prefetches never fault. */
#define PREFETCH_AHEAD 8

/* The first `lines` cache lines of e: 1 for its header and link (a
 * free), 2 for its key too (foreach's visitors look at keys), 3 for the
 * whole of a typical entry with a 100-byte value (a copy encodes it all). */
static inline __attribute__((always_inline)) void prefetch_entry(const mg_entry *e, int lines)
{
    uintptr_t a = (uintptr_t)e;
    for (int i = 0; i < lines; i++)
        __builtin_prefetch((const void *)(a + 64 * (uintptr_t)i));
}

static inline __attribute__((always_inline)) void prefetch_bucket(const mg_table *t, size_t b, int lines)
{
    if (b < t->size)
        prefetch_entry(t->buckets[b], lines);
}

/* The second entry of bucket b's chain, once the first is in cache (a
 * chain holds 1.5 entries on average, MG_STORE_MAX_LOAD). */
static inline __attribute__((always_inline)) void prefetch_second(const mg_table *t, size_t b, int lines)
{
    if (b >= t->size)
        return;
    const mg_entry *e = t->buckets[b];
    prefetch_entry(e ? e->next : NULL, lines);
}

void mg_store_free(mg_store *s)
{
    size_t unbounded = SIZE_MAX;
    if (s)
        mg_store_free_some(s, &unbounded);
}

bool mg_store_free_some(mg_store *s, size_t *budget)
{
    /* The store is unreachable: rehash_idx is free to be the bucket cursor,
     * starting at t[0]'s first undrained bucket. */
    for (int i = 0; i < 2; i++) {
        mg_table *t = &s->t[i];
        size_t freed = 0;
        while (s->rehash_idx < t->size && freed < *budget) {
            prefetch_bucket(t, s->rehash_idx + 2 * PREFETCH_AHEAD, 1);
            prefetch_second(t, s->rehash_idx + PREFETCH_AHEAD, 1);
            mg_entry **b = &t->buckets[s->rehash_idx];
            while (*b && freed < *budget) {
                mg_entry *e = *b;
                *b = e->next;
                entry_free(s, e);
                freed++;
            }
            if (!*b)
                s->rehash_idx++;
        }
        t->used -= freed;
        *budget = freed < *budget ? *budget - freed : 0;
        note(s, -(int64_t)freed, 0);
        if (s->rehash_idx < t->size)
            return false;
        if (t->size) {
            table_release(s, t);
            s->rehash_idx = 0;
        }
    }
    note(s, 0, -(int64_t)s->table_bytes);
    free(s);
    return true;
}

size_t mg_store_count(const mg_store *s)
{
    return store_count(s);
}

void mg_store_set_map_acct(mg_store *s, mg_mem_acct *map_acct)
{
    int64_t entries = (int64_t)store_count(s), bytes = (int64_t)mg_store_bytes(s);
    if (s->map_acct)
        mg_mem_acct_add(s->map_acct, -entries, -bytes);
    s->map_acct = map_acct;
    if (map_acct)
        mg_mem_acct_add(map_acct, entries, bytes);
}

size_t mg_store_expiring(const mg_store *s)
{
    return s->expiring;
}

size_t mg_store_bytes(const mg_store *s)
{
    return s->entry_bytes + s->table_bytes;
}

void mg_store_reserve(mg_store *s, size_t n)
{
    if (store_count(s) != 0 || s->rehashing || n > MG_STORE_RESERVE_MAX)
        return;
    size_t size = target_size(n);
    if (size <= s->t[0].size)
        return;
    if (s->t[0].size)
        table_release(s, &s->t[0]);
    table_alloc(s, &s->t[0], size);
}

uint32_t mg_store_prefetch_bucket(const mg_store *s, const uint8_t *key, size_t klen)
{
    uint32_t h = mg_key_hash(key, klen);
    const mg_table *t = &s->t[s->rehashing ? 1 : 0];
    if (t->size)
        __builtin_prefetch(&t->buckets[h & t->mask]);
    return h;
}

void mg_store_prefetch_head(const mg_store *s, uint32_t h)
{
    const mg_table *t = &s->t[s->rehashing ? 1 : 0];
    if (t->size)
        prefetch_entry(t->buckets[h & t->mask], 1);
}

void mg_store_prefetch_next(const mg_store *s, uint32_t h)
{
    const mg_table *t = &s->t[s->rehashing ? 1 : 0];
    if (t->size)
        prefetch_second(t, h & t->mask, 1);
}

mg_entry *mg_store_get(mg_store *s, const uint8_t *key, size_t klen)
{
    rehash_step(s);
    int which;
    mg_entry **link = find_link(s, mg_key_hash(key, klen), key, klen, &which);
    return link ? *link : NULL;
}

/* A new entry with zeroed fields, key and value copied in; not linked. */
static mg_entry *entry_new(mg_store *s, uint32_t h, const uint8_t *key, size_t klen,
                           const uint8_t *value, size_t vlen, unsigned shape)
{
    unsigned fields = (shape & MG_EF_SHAPE) | mg_entry_len_fields(klen, vlen);
    size_t hdr = mg_entry_header(fields);
    mg_entry *e = entry_alloc(s, hdr + klen + vlen);
    memset(e, 0, hdr);
    e->meta = (uint16_t)(fields | tag_of(h));
    uint32_t k8 = fields & MG_EF_KLEN ? MG_ENTRY_KLEN_BIG : (uint32_t)klen;
    uint32_t v24 = fields & MG_EF_VLEN ? MG_ENTRY_VLEN_BIG : (uint32_t)vlen;
    e->lens = v24 | k8 << 24;
    if (fields & MG_EF_KLEN)
        mg_entry_set_u32(e, MG_EF_KLEN, (uint32_t)klen);
    if (fields & MG_EF_VLEN)
        mg_entry_set_u32(e, MG_EF_VLEN, (uint32_t)vlen);
    memcpy((uint8_t *)e + hdr, key, klen);
    if (vlen)
        memcpy((uint8_t *)e + hdr + klen, value, vlen);
    return e;
}

mg_entry *mg_store_put(mg_store *s, const uint8_t *key, size_t klen,
                       const uint8_t *value, size_t vlen, unsigned shape, mg_entry **old)
{
    assert(klen <= UINT32_MAX && vlen <= UINT32_MAX);
    rehash_step(s);

    uint32_t h = mg_key_hash(key, klen);
    int which;
    mg_entry **link = find_link(s, h, key, klen, &which);
    *old = NULL;
    if (link) {
        *old = *link;
        *link = (*old)->next;
        (*old)->next = NULL;
        s->t[which].used--;
        s->expiring -= can_expire(*old);
        note(s, -1, 0);
    }

    mg_entry *e = entry_new(s, h, key, klen, value, vlen, shape);
    s->expiring += can_expire(e);
    note(s, 1, 0);

    if (s->t[0].size == 0)
        table_alloc(s, &s->t[0], MG_STORE_MIN_BUCKETS);
    /* While rehashing, new entries go to the target so t[0] only drains. */
    mg_table *t = &s->t[s->rehashing ? 1 : 0];
    mg_entry **slot = &t->buckets[h & t->mask];
    e->next = *slot;
    *slot = e;
    t->used++;

    maybe_grow(s);
    return e;
}

/* The link pointing at e (a bucket slot or a predecessor's next); *which is
 * its table.  e must be linked. */
static mg_entry **link_of(mg_store *s, const mg_entry *e, int *which)
{
    uint32_t h = entry_hash(e);
    for (int i = 0; i <= (s->rehashing ? 1 : 0); i++) {
        mg_table *t = &s->t[i];
        if (t->size == 0)
            continue;
        for (mg_entry **link = &t->buckets[h & t->mask]; *link; link = &(*link)->next) {
            if (*link == e) {
                *which = i;
                return link;
            }
        }
    }
    return NULL;
}

mg_entry *mg_store_reshape(mg_store *s, mg_entry *e, unsigned shape)
{
    shape &= MG_EF_SHAPE;
    if ((e->meta & MG_EF_SHAPE) == shape)
        return e;
    int which;
    mg_entry **link = link_of(s, e, &which);
    assert(link && "mg_store_reshape: entry not in store");
    size_t klen = mg_entry_klen(e);
    mg_entry *n = entry_new(s, entry_hash(e), mg_entry_key(e), klen, mg_entry_value(e), mg_entry_vlen(e), shape);
    n->version = e->version;
    unsigned both = mg_entry_shape(e) & mg_entry_shape(n) & MG_EF_SHAPE;
    for (unsigned f = 1; f <= MG_EF_CRE; f <<= 1) {
        if (!(both & f))
            continue;
        if (f & MG_EF_U32S)
            mg_entry_set_u32(n, f, mg_entry_u32(e, f));
        else
            mg_entry_set_time(n, f, mg_entry_time(e, f));
    }
    n->next = e->next;
    *link = n;
    s->expiring += can_expire(n) - can_expire(e);
    entry_free(s, e);
    return n;
}

mg_entry *mg_store_unlink(mg_store *s, const uint8_t *key, size_t klen)
{
    rehash_step(s);
    int which;
    mg_entry **link = find_link(s, mg_key_hash(key, klen), key, klen, &which);
    if (!link)
        return NULL;
    mg_entry *e = *link;
    *link = e->next;
    e->next = NULL;
    s->t[which].used--;
    s->expiring -= can_expire(e);
    note(s, -1, 0);
    maybe_shrink(s);
    return e;
}

void mg_store_unlink_entry(mg_store *s, mg_entry *e)
{
    rehash_step(s);
    int which;
    mg_entry **link = link_of(s, e, &which);
    assert(link && "mg_store_unlink_entry: entry not in store");
    if (!link)
        return;
    *link = e->next;
    e->next = NULL;
    s->t[which].used--;
    s->expiring -= can_expire(e);
    note(s, -1, 0);
    maybe_shrink(s);
}

void mg_store_release(mg_store *s, mg_entry *e)
{
    if (e)
        entry_free(s, e);
}

void mg_store_foreach(mg_store *s, mg_store_visit_fn fn, void *ctx)
{
    for (int i = 0; i < 2; i++) {
        mg_table *t = &s->t[i];
        for (size_t b = 0; b < t->size; b++) {
            prefetch_bucket(t, b + PREFETCH_AHEAD, 2);
            for (mg_entry *e = t->buckets[b]; e; e = e->next)
                if (!fn(ctx, e))
                    return;
        }
    }
}

size_t mg_store_remove_if(mg_store *s, mg_store_pred_fn fn, mg_store_removed_fn removed, void *ctx)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        mg_table *t = &s->t[i];
        for (size_t b = 0; b < t->size; b++) {
            mg_entry **link = &t->buckets[b];
            while (*link) {
                mg_entry *e = *link;
                if (!fn(ctx, e)) {
                    link = &e->next;
                    continue;
                }
                *link = e->next;
                e->next = NULL;
                t->used--;
                s->expiring -= can_expire(e);
                note(s, -1, 0);
                if (removed)
                    removed(ctx, e);
                mg_store_release(s, e);
                n++;
            }
        }
    }
    /* Decided after the walk: starting a rehash mid-walk would move entries
     * behind the walk's back. */
    if (s->rehashing && s->t[0].used == 0)
        rehash_finish(s);
    else
        maybe_shrink(s);
    return n;
}

/* ---- scan --------------------------------------------------------------- */

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    v = ((v >> 8) & 0x00ff00ff00ff00ffull) | ((v & 0x00ff00ff00ff00ffull) << 8);
    v = ((v >> 16) & 0x0000ffff0000ffffull) | ((v & 0x0000ffff0000ffffull) << 16);
    return (v >> 32) | (v << 32);
}

/* Adds one to the cursor counting from its highest masked bit down.  The
 * buckets a table of size 2^k maps to one bucket of a table of size 2^j
 * (j < k) share their low j bits, so enumerating the low bits in reversed
 * order finishes every group of such buckets before it leaves it: after a
 * resize between calls, what was already covered at the old size is still
 * covered at the new size, and nothing present throughout is missed. */
static uint64_t cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    return rev64(rev64(v) + 1);
}

static uint64_t cursor_ahead(uint64_t v, uint64_t mask, int steps)
{
    while (steps-- > 0)
        v = cursor_next(v, mask);
    return v;
}

static size_t visit_chain(mg_entry *e, mg_store_visit_fn fn, void *ctx, bool *stop)
{
    size_t n = 0;
    for (; e && !*stop; e = e->next, n++)
        if (!fn(ctx, e))
            *stop = true;
    return n;
}

bool mg_store_scan(mg_store *s, uint64_t *cursor, size_t budget, mg_store_visit_fn fn, void *ctx)
{
    /* Rehash before visiting, never during: the callback sees one layout. */
    rehash_step(s);
    if (s->t[0].size == 0 || store_count(s) == 0) {
        *cursor = 0;
        return true;
    }

    uint64_t v = *cursor;
    size_t seen = 0;
    bool stop = false;
    /* While visiting the bucket at v, ask for the chain heads two
     * PREFETCH_AHEAD steps on, and for the second entries of the chains one
     * step on (their heads arrived meanwhile).  A copy's walk went from
     * 183-200 to 84 ns per entry (build/store-walk, docs/benchmarks.md).
     * Only the plain table: a rehash ends within a few calls. */
    uint64_t near = cursor_ahead(v, s->t[0].mask, PREFETCH_AHEAD);
    uint64_t far = cursor_ahead(near, s->t[0].mask, PREFETCH_AHEAD);
    do {
        uint64_t at = v;
        if (!s->rehashing) {
            const mg_table *t = &s->t[0];
            prefetch_bucket(t, far & t->mask, 3);
            far = cursor_next(far, t->mask);
            prefetch_second(t, near & t->mask, 3);
            near = cursor_next(near, t->mask);
            seen += visit_chain(t->buckets[v & t->mask], fn, ctx, &stop);
            v = cursor_next(v, t->mask);
        } else {
            /* Visit the small table's bucket, then every bucket of the big
             * table that maps onto it: between them they hold every entry
             * whose hash matches the cursor's low bits, wherever the rehash
             * has put it. */
            const mg_table *sm = &s->t[0], *bg = &s->t[1];
            if (sm->size > bg->size) {
                sm = &s->t[1];
                bg = &s->t[0];
            }
            seen += visit_chain(sm->buckets[v & sm->mask], fn, ctx, &stop);
            do {
                if (!stop)
                    seen += visit_chain(bg->buckets[v & bg->mask], fn, ctx, &stop);
                v = cursor_next(v, bg->mask);
            } while (v & (sm->mask ^ bg->mask));
        }
        if (stop) {
            /* Resume at the interrupted step; its entries may be seen twice,
             * which scan allows. */
            *cursor = at;
            return false;
        }
    } while (v != 0 && seen < budget);

    *cursor = v;
    return v == 0;
}

/* ---- sampling ----------------------------------------------------------- */

/* Appends entries of bucket i (in the combined index space of both tables) to
 * out.  Index i names bucket i of every table that has one; t[0]'s drained
 * buckets are empty.  Walking 0..max-1 thus sees every entry exactly once. */
static size_t sample_bucket(mg_store *s, size_t i, mg_entry **out, size_t room)
{
    size_t got = 0;
    for (int j = 0; j <= (s->rehashing ? 1 : 0) && got < room; j++) {
        const mg_table *t = &s->t[j];
        if (i >= t->size || (j == 0 && s->rehashing && i < s->rehash_idx))
            continue;
        for (mg_entry *e = t->buckets[i]; e && got < room; e = e->next)
            out[got++] = e;
    }
    return got;
}

size_t mg_store_sample(mg_store *s, uint64_t *rng, mg_entry **out, size_t n)
{
    rehash_step(s);
    if (n == 0 || store_count(s) == 0)
        return 0;

    size_t max = s->t[0].size;
    if (s->rehashing && s->t[1].size > max)
        max = s->t[1].size;
    size_t mask = max - 1;
    size_t i = (size_t)mg_rand_next(rng) & mask;
    size_t got = 0;

    if (max <= n * 10) {
        /* Small table: one full lap from a random start, entries distinct. */
        for (size_t k = 0; k < max && got < n; k++, i = (i + 1) & mask)
            got += sample_bucket(s, i, out + got, n - got);
        return got;
    }

    /* Big table: bounded walk; a run of empty buckets longer than what we
     * still need suggests a sparse region, so jump elsewhere. */
    size_t empty_run = 0;
    for (size_t k = 0; k < n * 10 && got < n; k++) {
        size_t g = sample_bucket(s, i, out + got, n - got);
        got += g;
        if (g == 0 && ++empty_run >= 5 && empty_run > n - got) {
            i = (size_t)mg_rand_next(rng) & mask;
            empty_run = 0;
        } else {
            if (g)
                empty_run = 0;
            i = (i + 1) & mask;
        }
    }
    return got;
}

/* ---- introspection ------------------------------------------------------ */

void mg_store_read_stats(const mg_store *s, mg_store_stats *out)
{
    out->count = store_count(s);
    out->buckets[0] = s->t[0].size;
    out->buckets[1] = s->t[1].size;
    out->rehashing = s->rehashing;
    out->entry_bytes = s->entry_bytes;
    out->table_bytes = s->table_bytes;
    out->rehash_moved = s->rehash_moved;
    out->rehash_skipped = s->rehash_skipped;
    out->rehashes = s->rehashes;
}

const char *mg_store_check(const mg_store *s)
{
    size_t tb = alloc_cost(sizeof(*s));
    for (int i = 0; i < 2; i++) {
        const mg_table *t = &s->t[i];
        if (i == 1 && !s->rehashing) {
            if (t->size || t->buckets || t->used)
                return "t[1] in use while not rehashing";
            continue;
        }
        if (t->size == 0) {
            if (t->buckets || t->used || s->rehashing)
                return "unallocated table with content";
            continue;
        }
        if (t->size < MG_STORE_MIN_BUCKETS || (t->size & (t->size - 1)) || t->mask != t->size - 1)
            return "table size not a power of two >= minimum";
        tb += array_cost(t->size);
        size_t n = 0;
        for (size_t b = 0; b < t->size; b++) {
            if (i == 0 && s->rehashing && b < s->rehash_idx && t->buckets[b])
                return "drained bucket not empty";
            for (const mg_entry *e = t->buckets[b]; e; e = e->next) {
                uint32_t h = entry_hash(e);
                if ((h & t->mask) != b)
                    return "entry in wrong bucket";
                if ((e->meta & 0xff00u) != tag_of(h))
                    return "stored tag does not match key";
                if ((e->meta & MG_EF_KLEN) != ((e->lens >> 24) == MG_ENTRY_KLEN_BIG ? MG_EF_KLEN : 0))
                    return "key length field inconsistent";
                if ((e->meta & MG_EF_VLEN) !=
                    ((e->lens & MG_ENTRY_VLEN_BIG) == MG_ENTRY_VLEN_BIG ? MG_EF_VLEN : 0))
                    return "value length field inconsistent";
                if ((e->meta & (MG_EF_KLEN | MG_EF_VLEN)) != mg_entry_len_fields(mg_entry_klen(e), mg_entry_vlen(e)))
                    return "length field used for a short length";
                n++;
            }
        }
        if (n != t->used)
            return "table used count wrong";
    }
    if (s->rehashing && s->t[0].size == s->t[1].size)
        return "rehash between equal sizes";
    if (!s->rehashing && s->rehash_idx)
        return "rehash index set while not rehashing";
    if (tb != s->table_bytes)
        return "table byte count wrong";
    return NULL;
}
