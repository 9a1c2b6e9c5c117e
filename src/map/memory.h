/* memory.h - how much memory the maps hold, and the member's limit on it.
 *
 * What is counted: every record store's entries (mg_entry_cost: the slab
 * slot, or the malloc chunk of a big entry) and its table (the store struct
 * and bucket arrays, as malloc sizes them).  Counted incrementally by the
 * store itself at each allocation and free, so reading a figure never walks
 * a map.  Not counted: lock tables, listener registrations, connection
 * buffers, and the allocator's slack (the unused part of partly filled slab
 * pages, at most one page per size class in use per worker) - these make
 * the difference between the figures here and the process's RSS.
 *
 * Counters (mg_mem_acct) are kept per (map, worker) and per worker; each has
 * one writer, the worker owning the stores it counts, which updates it with
 * relaxed loads and stores (no read-modify-write).  Any thread may read one;
 * a total is the sum over workers, read on demand.
 *
 * The member limit (memgrid.memory.max-size): a write that makes the data
 * grow first reserves the growth.  To keep that cheap, each worker holds a
 * reservation taken in chunks from one member-wide atomic counter; a write
 * whose growth fits in its worker's reservation touches nothing shared.  A
 * worker that frees memory gives back what it holds beyond two chunks, so
 * the sum of reservations stays within (workers x 2 chunks) of the memory
 * really used, and never passes the limit.  When the reservation cannot be
 * had the caller evicts (maps with an eviction policy) or refuses the write.
 */
#ifndef MG_MAP_MEMORY_H
#define MG_MAP_MEMORY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map/slab.h"

typedef struct mg_mem_acct {
    _Atomic int64_t entries;
    _Atomic int64_t bytes;
} mg_mem_acct;

/* Owner thread only. */
static inline void mg_mem_acct_add(mg_mem_acct *a, int64_t entries, int64_t bytes)
{
    atomic_store_explicit(&a->entries, atomic_load_explicit(&a->entries, memory_order_relaxed) + entries,
                          memory_order_relaxed);
    atomic_store_explicit(&a->bytes, atomic_load_explicit(&a->bytes, memory_order_relaxed) + bytes,
                          memory_order_relaxed);
}

static inline int64_t mg_mem_acct_bytes(const mg_mem_acct *a)
{
    return atomic_load_explicit(&a->bytes, memory_order_relaxed);
}

static inline int64_t mg_mem_acct_entries(const mg_mem_acct *a)
{
    return atomic_load_explicit(&a->entries, memory_order_relaxed);
}

typedef struct mg_memory mg_memory;

/* One worker's share.  Owned by that worker (heap, held); `used` and
 * `refused` are read by others.  Padded to its own cache lines so that
 * workers updating their counters do not slow each other down. */
typedef struct mg_mem_worker {
    _Alignas(64) mg_mem_acct used;   /* all stores of this worker */
    mg_mem_acct evictable;           /* those of maps with an eviction policy */
    _Atomic int64_t held;            /* reservation taken from mg_memory */
    _Atomic uint64_t refused;        /* writes refused for lack of memory */
    _Atomic bool relief_asked;       /* a "free memory now" task is on its way */
    mg_memory *mem;
    mg_slab *heap;                   /* where this worker's entries live */
    uint32_t relief_cursor;          /* eviction position (entry_ops.c) */
} mg_mem_worker;

struct mg_memory {
    int64_t limit;                /* bytes; > 0 */
    int64_t chunk;                /* reservation granule */
    _Alignas(64) _Atomic int64_t reserved;   /* sum of every worker's held */
    int nworkers;
    mg_mem_worker *workers;       /* [nworkers] */
};

/* limit > 0 (bytes).  Each worker gets a slab heap. */
mg_memory *mg_memory_new(int64_t limit, int nworkers);
/* Every store must have been freed. */
void mg_memory_free(mg_memory *m);

static inline mg_mem_worker *mg_memory_worker(mg_memory *m, int idx) { return &m->workers[idx]; }

/* Makes sure the worker may grow its data by `growth` bytes: true when its
 * reservation covers used + growth (taking more from the member if needed
 * and possible), false when that would pass the limit.  growth <= 0 is
 * always allowed.  Owner thread only. */
bool mg_mem_reserve(mg_mem_worker *w, int64_t growth);

/* Records a change in what the worker's stores hold (the store calls this
 * on every allocation and free); a decrease may give reservation back.
 * Owner thread only. */
void mg_mem_note(mg_mem_worker *w, int64_t entries, int64_t bytes);

/* Like mg_mem_note, for a store of a map with an eviction policy: also
 * counts the bytes as evictable. */
void mg_mem_note_evictable(mg_mem_worker *w, int64_t entries, int64_t bytes);

/* Sum over workers of `used` (relaxed reads: a moment's view). */
int64_t mg_memory_used(const mg_memory *m);
int64_t mg_memory_entries(const mg_memory *m);
uint64_t mg_memory_refused(const mg_memory *m);

/* The default limit when memgrid.memory.max-size is 0: 70 % of the smaller
 * of the machine's memory (MemTotal in /proc/meminfo) and the memory limit
 * of the process's cgroup (v2 memory.max of its cgroup and every ancestor,
 * or v1 memory.limit_in_bytes), leaving room for connection buffers, the
 * allocator's slack and the rest of the system.  Falls back to 1 GiB when
 * nothing can be read. */
int64_t mg_memory_default_limit(void);

/* The pieces of the default, for tests: a root directory stands for "/"
 * ("" for the real one). */
int64_t mg_memory_machine_bytes(const char *root);
int64_t mg_memory_cgroup_bytes(const char *root);   /* INT64_MAX when none */

#endif
