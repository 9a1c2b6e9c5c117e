/* slab.c - see slab.h. */
#include "map/slab.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/alloc.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Size classes: 8-byte steps to 256, 16-byte steps to 512, 32-byte steps to
 * 1 KiB, then 8 classes per doubling to 8 KiB.  The coarser steps keep the
 * class count (and so the pages that sit partly used, one per class in use)
 * small; they cost at most 3 % of the object to 1 KiB, 12 % above. */
#define NCLASSES 87
#define MIN_OBJECT 16
#define PAGES_PER_REGION (MG_SLAB_REGION / MG_SLAB_PAGE)   /* page 0 holds the headers */
#define POOL_MAX 4               /* empty pages kept backed (256 KiB): spares madvise
                                  * calls when one page empties and refills */

static inline unsigned class_of(size_t n)
{
    if (n < MIN_OBJECT)
        n = MIN_OBJECT;
    if (n <= 256)
        return (unsigned)((n + 7) / 8 - 2);
    if (n <= 512)
        return (unsigned)(30 + (n - 256 + 15) / 16);
    if (n <= 1024)
        return (unsigned)(46 + (n - 512 + 31) / 32);
    if (n <= 2048)
        return (unsigned)(62 + (n - 1024 + 127) / 128);
    if (n <= 4096)
        return (unsigned)(70 + (n - 2048 + 255) / 256);
    return (unsigned)(78 + (n - 4096 + 511) / 512);
}

static inline size_t class_size(unsigned c)
{
    if (c <= 30)
        return (size_t)(c + 2) * 8;
    if (c <= 46)
        return 256 + (size_t)(c - 30) * 16;
    if (c <= 62)
        return 512 + (size_t)(c - 46) * 32;
    if (c <= 70)
        return 1024 + (size_t)(c - 62) * 128;
    if (c <= 78)
        return 2048 + (size_t)(c - 70) * 256;
    return 4096 + (size_t)(c - 78) * 512;
}

/* Page header, kept in page 0 of its region (not in the page, so a slot
 * page is all slots and giving its memory back never touches a header).
 * Invariants:
 *   live == slots handed out and not freed;
 *   free lists exactly the freed slots below bump;
 *   a page with live > 0 is on its class's `avail` list iff it has room
 *   (a free slot, or a slot's worth of space at bump);
 *   a page with live == 0 is in the heap's pool or unbacked list (linked
 *   by next), never on a class list. */
typedef struct page {
    struct page *prev, *next;
    void *free;
    uint32_t slot;
    uint32_t live;
    uint32_t bump;
    uint16_t cls;
    bool listed;
} page;

_Static_assert(sizeof(page) * PAGES_PER_REGION <= MG_SLAB_PAGE, "page headers must fit in page 0");

typedef struct region {
    struct region *next;
    char *base;
} region;

struct mg_slab {
    page *avail[NCLASSES];   /* pages with room, per class */
    page *pool;              /* empty, still backed */
    page *unbacked;          /* empty, memory given back */
    size_t npool, nunbacked, npages;
    char *carve;             /* region being carved, or NULL */
    size_t carve_next;       /* its next unused page index */
    region *regions;
    size_t mapped;
    size_t slot_bytes, big_bytes, objects;
};

static inline char *region_of(const void *p)
{
    return (char *)((uintptr_t)p & ~(uintptr_t)(MG_SLAB_REGION - 1));
}

static inline page *page_of(const void *p)
{
    char *base = region_of(p);
    return (page *)base + ((const char *)p - base) / MG_SLAB_PAGE;
}

static inline char *page_mem(const page *pg)
{
    char *base = region_of(pg);
    return base + (size_t)(pg - (const page *)base) * MG_SLAB_PAGE;
}

static inline bool has_room(const page *pg)
{
    return pg->free || pg->bump + pg->slot <= MG_SLAB_PAGE;
}

static void list_push(page **head, page *pg)
{
    pg->prev = NULL;
    pg->next = *head;
    if (*head)
        (*head)->prev = pg;
    *head = pg;
    pg->listed = true;
}

static void list_remove(page **head, page *pg)
{
    if (pg->prev)
        pg->prev->next = pg->next;
    else
        *head = pg->next;
    if (pg->next)
        pg->next->prev = pg->prev;
    pg->prev = pg->next = NULL;
    pg->listed = false;
}

/* A fresh region aligned to its size: map twice the size and cut off the
 * misaligned ends. */
static void region_new(mg_slab *h)
{
    size_t len = 2 * MG_SLAB_REGION;
    char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        fprintf(stderr, "memgrid: out of address space (mmap of %zu bytes failed)\n", len);
        abort();
    }
    uintptr_t start = ((uintptr_t)raw + MG_SLAB_REGION - 1) & ~(uintptr_t)(MG_SLAB_REGION - 1);
    size_t head = start - (uintptr_t)raw, tail = len - head - MG_SLAB_REGION;
    if (head)
        munmap(raw, head);
    if (tail)
        munmap((char *)start + MG_SLAB_REGION, tail);
    region *r = mg_xmalloc(sizeof *r);
    r->base = (char *)start;
    r->next = h->regions;
    h->regions = r;
    h->carve = r->base;
    h->carve_next = 1;
    h->mapped += MG_SLAB_REGION;
}

static page *page_take(mg_slab *h, unsigned c)
{
    page *pg;
    if (h->pool) {
        pg = h->pool;
        h->pool = pg->next;
        h->npool--;
    } else {
        if (h->unbacked) {
            pg = h->unbacked;
            h->unbacked = pg->next;
            h->nunbacked--;
        } else {
            if (!h->carve || h->carve_next == PAGES_PER_REGION)
                region_new(h);
            pg = (page *)h->carve + h->carve_next++;
        }
#ifdef MADV_POPULATE_WRITE
        /* Back the whole page in one call: it fills up right away, and one
         * fault per 4 KiB was about 40 % of applying a partition's copy
         * (1.05 ms -> 0.60 ms for 3,700 entries of 100 B).  Kernels before
         * 5.14 refuse it and fault as before. */
        madvise(page_mem(pg), MG_SLAB_PAGE, MADV_POPULATE_WRITE);
#endif
    }
    memset(pg, 0, sizeof *pg);
    pg->cls = (uint16_t)c;
    pg->slot = (uint32_t)class_size(c);
    POISON(page_mem(pg), MG_SLAB_PAGE);
    h->npages++;
    return pg;
}

static void page_give_back(mg_slab *h, page *pg)
{
    h->npages--;
    UNPOISON(page_mem(pg), MG_SLAB_PAGE);
    if (h->npool < POOL_MAX) {
        pg->next = h->pool;
        h->pool = pg;
        h->npool++;
        return;
    }
    madvise(page_mem(pg), MG_SLAB_PAGE, MADV_DONTNEED);
    pg->next = h->unbacked;
    h->unbacked = pg;
    h->nunbacked++;
}

mg_slab *mg_slab_new(void)
{
    return mg_xcalloc(1, sizeof(mg_slab));
}

void mg_slab_destroy(mg_slab *h)
{
    if (!h)
        return;
    for (region *r = h->regions, *next; r; r = next) {
        next = r->next;
        UNPOISON(r->base, MG_SLAB_REGION);
        munmap(r->base, MG_SLAB_REGION);
        free(r);
    }
    free(h);
}

size_t mg_slab_cost(size_t n)
{
    if (n <= MG_SLAB_MAX)
        return class_size(class_of(n));
    size_t c = (n + sizeof(size_t) + 15) & ~(size_t)15;
    return c < 32 ? 32 : c;
}

void *mg_slab_alloc(mg_slab *h, size_t n)
{
    if (n > MG_SLAB_MAX) {
        h->big_bytes += mg_slab_cost(n);
        h->objects++;
        return mg_xmalloc(n);
    }
    unsigned c = class_of(n);
    page *pg = h->avail[c];
    if (!pg) {
        pg = page_take(h, c);
        list_push(&h->avail[c], pg);
    }
    void *p;
    if (pg->free) {
        p = pg->free;
        UNPOISON(p, pg->slot);
        pg->free = *(void **)p;
    } else {
        p = page_mem(pg) + pg->bump;
        UNPOISON(p, pg->slot);
        pg->bump += pg->slot;
    }
    pg->live++;
    if (!has_room(pg))
        list_remove(&h->avail[c], pg);
    h->slot_bytes += pg->slot;
    h->objects++;
    return p;
}

void mg_slab_free(mg_slab *h, void *p, size_t n)
{
    if (!p)
        return;
    h->objects--;
    if (n > MG_SLAB_MAX) {
        h->big_bytes -= mg_slab_cost(n);
        free(p);
        return;
    }
    page *pg = page_of(p);
    assert(pg->cls == class_of(n) && pg->live > 0);
    bool was_full = !has_room(pg);
    *(void **)p = pg->free;
    pg->free = p;
    /* Keep the link readable, poison the rest of the slot. */
    POISON((char *)p + sizeof(void *), pg->slot - sizeof(void *));
    pg->live--;
    h->slot_bytes -= pg->slot;
    if (pg->live == 0) {
        if (pg->listed)
            list_remove(&h->avail[pg->cls], pg);
        page_give_back(h, pg);
    } else if (was_full) {
        list_push(&h->avail[pg->cls], pg);
    }
}

void mg_slab_read_stats(const mg_slab *h, mg_slab_stats *out)
{
    out->pages = h->npages;
    out->pages_pooled = h->npool;
    out->pages_unbacked = h->nunbacked;
    out->mapped = h->mapped;
    out->slot_bytes = h->slot_bytes;
    out->big_bytes = h->big_bytes;
    out->objects = h->objects;
}
