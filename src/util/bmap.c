#include "util/bmap.h"

#include <string.h>

#include "util/alloc.h"
#include "util/fnv.h"

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = mg_fnv1a(MG_FNV1A_INIT, p, n);   /* these tables are small */
    return h ^ (h >> 29);
}

void mg_bmap_init(mg_bmap *m) { memset(m, 0, sizeof *m); }

void mg_bmap_free(mg_bmap *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        mg_bmap_node *n = m->buckets[i];
        while (n) {
            mg_bmap_node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    mg_bmap_init(m);
}

static mg_bmap_node **find(const mg_bmap *m, const void *key, size_t klen, uint64_t h)
{
    if (!m->nbuckets)
        return NULL;
    mg_bmap_node **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp) {
        if ((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
            return pp;
        pp = &(*pp)->next;
    }
    return pp;
}

void *mg_bmap_get(const mg_bmap *m, const void *key, size_t klen)
{
    mg_bmap_node **pp = find(m, key, klen, hash_bytes(key, klen));
    return pp && *pp ? (*pp)->value : NULL;
}

static void grow(mg_bmap *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 16;
    mg_bmap_node **b = mg_xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nbuckets; i++) {
        mg_bmap_node *n = m->buckets[i];
        while (n) {
            mg_bmap_node *next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

void *mg_bmap_put(mg_bmap *m, const void *key, size_t klen, void *value)
{
    uint64_t h = hash_bytes(key, klen);
    mg_bmap_node **pp = find(m, key, klen, h);
    if (pp && *pp) {
        void *old = (*pp)->value;
        (*pp)->value = value;
        return old;
    }
    if (m->count + 1 > m->nbuckets) {
        grow(m);
        pp = find(m, key, klen, h);
    }
    mg_bmap_node *n = mg_xmalloc(sizeof *n + klen);
    n->hash = h;
    n->klen = klen;
    n->value = value;
    memcpy(n->key, key, klen);
    n->next = NULL;
    *pp = n;
    m->count++;
    return NULL;
}

void *mg_bmap_remove(mg_bmap *m, const void *key, size_t klen)
{
    mg_bmap_node **pp = find(m, key, klen, hash_bytes(key, klen));
    if (!pp || !*pp)
        return NULL;
    mg_bmap_node *n = *pp;
    void *v = n->value;
    *pp = n->next;
    free(n);
    m->count--;
    return v;
}

mg_bmap_node *mg_bmap_first(const mg_bmap *m, size_t *bucket)
{
    for (*bucket = 0; *bucket < m->nbuckets; (*bucket)++)
        if (m->buckets[*bucket])
            return m->buckets[*bucket];
    return NULL;
}

mg_bmap_node *mg_bmap_next(const mg_bmap *m, size_t *bucket, mg_bmap_node *n)
{
    if (n->next)
        return n->next;
    for ((*bucket)++; *bucket < m->nbuckets; (*bucket)++)
        if (m->buckets[*bucket])
            return m->buckets[*bucket];
    return NULL;
}
