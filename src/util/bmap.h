/* bmap.h - a small hash map from byte strings to pointers.
 *
 * Used for bookkeeping tables that are not the record store: the registry of
 * maps by name, a worker's cache of those, and lock tables.  Keys are copied
 * into the map; values are borrowed.  Not thread-safe: each table says who
 * owns it.
 */
#ifndef MG_UTIL_BMAP_H
#define MG_UTIL_BMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_bmap_node {
    struct mg_bmap_node *next;
    uint64_t hash;
    void *value;
    size_t klen;
    uint8_t key[];
} mg_bmap_node;

typedef struct mg_bmap {
    mg_bmap_node **buckets;
    size_t nbuckets;   /* power of two, or 0 before first insert */
    size_t count;
} mg_bmap;

void mg_bmap_init(mg_bmap *m);
void mg_bmap_free(mg_bmap *m);   /* frees nodes, not values */
void *mg_bmap_get(const mg_bmap *m, const void *key, size_t klen);
/* Inserts or replaces; returns the previous value or NULL. */
void *mg_bmap_put(mg_bmap *m, const void *key, size_t klen, void *value);
void *mg_bmap_remove(mg_bmap *m, const void *key, size_t klen);
/* Iteration: for (n = mg_bmap_first(m, &i); n; n = mg_bmap_next(m, &i, n)).
 * The current node may be removed only through mg_bmap_remove after the
 * iterator has moved past it. */
mg_bmap_node *mg_bmap_first(const mg_bmap *m, size_t *bucket);
mg_bmap_node *mg_bmap_next(const mg_bmap *m, size_t *bucket, mg_bmap_node *n);

#endif
