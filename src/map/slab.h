/* slab.h - where entries live: a size-class allocator of one worker.
 *
 * Why not malloc: glibc puts an 8-byte header before every chunk and rounds
 * chunks to 16 bytes, which costs ~15 bytes per entry on average - more
 * than the entry's own metadata - and under eviction churn its heap
 * fragments (measured: 50 % over the live data with 1-3 KiB entries, so a
 * member kept to its memory limit would still grow past it).  Entries up to
 * MG_SLAB_MAX bytes therefore come from 64 KiB pages cut into equal slots:
 * no per-object header, sizes rounded to 8 bytes up to 256 (16 to 512, 32
 * to 1 KiB, then 8 classes per doubling), and a freed slot is reused by the
 * next object of its class, so memory does not drift.  A 160-byte entry
 * costs exactly 160 bytes.  Bigger objects go to malloc.
 *
 * Threading: a heap belongs to one worker and is used by that thread only
 * (every entry of a partition is allocated and freed by the partition's
 * worker), so there is no lock and no atomic.
 *
 * Layout: memory is mapped in regions of MG_SLAB_REGION bytes aligned to
 * their size, so the region of any slot is found by masking its address.
 *
 *   region offset   what
 *   0               page 0: the headers of the region's pages (64 x 64 bytes;
 *                   the rest of page 0 is never touched, so never resident)
 *   k * 64 KiB      page k (1..63): slots of one size, from offset 0; the
 *                   tail that no slot fills stays unused
 *
 * Free slots form a list through their first 8 bytes.  A page whose last
 * slot is freed goes to a small pool of empty pages that any class may take;
 * beyond the pool, its memory is given back to the kernel (MADV_DONTNEED) and
 * the page is kept, unbacked, for reuse.  Regions live as long as the heap.
 *
 * Sizes: the caller passes the object's size to free as well; it is not
 * stored anywhere.  Under AddressSanitizer free slots are poisoned (all but
 * the free-list link), so a use after free of an entry is still reported.
 */
#ifndef MG_MAP_SLAB_H
#define MG_MAP_SLAB_H

#include <stddef.h>
#include <stdint.h>

#define MG_SLAB_PAGE ((size_t)64 * 1024)
#define MG_SLAB_REGION ((size_t)4 * 1024 * 1024)
#define MG_SLAB_MAX 8192   /* larger objects come from malloc */

typedef struct mg_slab mg_slab;

mg_slab *mg_slab_new(void);
/* Unmaps every region.  Slab objects still allocated die with it; malloc'd
 * (big) objects must have been freed by the caller. */
void mg_slab_destroy(mg_slab *h);

/* Never returns NULL (out of address space aborts, as mg_xmalloc does). */
void *mg_slab_alloc(mg_slab *h, size_t n);
/* n must be the size given to mg_slab_alloc. */
void mg_slab_free(mg_slab *h, void *p, size_t n);

/* Bytes an object of n bytes really takes: its slot, or for a malloc'd one
 * glibc's chunk (request + 8, rounded to 16, at least 32). */
size_t mg_slab_cost(size_t n);

typedef struct mg_slab_stats {
    size_t pages;          /* pages holding at least one object */
    size_t pages_pooled;   /* empty pages kept backed for reuse */
    size_t pages_unbacked; /* empty pages given back to the kernel */
    size_t mapped;         /* bytes of address space mapped */
    size_t slot_bytes;     /* sum of mg_slab_cost of live slab objects */
    size_t big_bytes;      /* sum of mg_slab_cost of live malloc'd objects */
    size_t objects;        /* live objects, both kinds */
} mg_slab_stats;
void mg_slab_read_stats(const mg_slab *h, mg_slab_stats *out);

#endif
