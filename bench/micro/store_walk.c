/* store_walk.c - the cost per entry of walking a partition's store the way a
 * migration copy does (mg_store_scan in slices, each entry's key and value
 * copied into an output buffer), with the entries of all partitions mixed
 * in one heap as a member that loaded them in key order has them.
 *
 *   build/store-walk [entries] [reps]      defaults: 1,000,000 entries, 5
 *
 * Prints ns per entry for each repetition and the median, then the cost
 * per entry of freeing the stores as a dropped partition is freed.  Only
 * the store and the slab: no sockets, no member. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/slab.h"
#include "map/store.h"
#include "util/buf.h"
#include "util/clock.h"

#define PARTITIONS 271
#define SLICE 1024
#define VALUE_BYTES 100

typedef struct walk {
    mg_buf out;
    size_t entries;
} walk;

static bool copy_entry(void *arg, mg_entry *e)
{
    walk *w = arg;
    size_t klen = mg_entry_klen(e), vlen = mg_entry_vlen(e);
    uint8_t *q = mg_buf_extend(&w->out, 8 + klen + vlen);
    memcpy(q, &e->version, 4);
    memcpy(q + 4, mg_entry_key(e), klen);
    memcpy(q + 4 + klen, mg_entry_value(e), vlen);
    w->entries++;
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n <= 0 || reps <= 0 || reps > 100) {
        fprintf(stderr, "usage: store-walk [entries] [reps (1-100)]\n");
        return 2;
    }
    mg_slab *heap = mg_slab_new();
    mg_store *parts[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++)
        parts[p] = mg_store_new(heap, NULL, NULL, false);

    uint8_t key[32] = {0}, value[VALUE_BYTES];
    memset(value, 0x5a, sizeof value);
    for (long i = 0; i < n; i++) {
        size_t klen = 4 + (size_t)snprintf((char *)key + 4, sizeof key - 4, "key:%ld", i);
        uint32_t h = mg_key_hash(key, klen);
        mg_store *s = parts[(h >> 8) % PARTITIONS];
        mg_entry *old;
        mg_store_put(s, key, klen, value, sizeof value, 0, &old);
        mg_store_release(s, old);
    }

    walk w = {0};
    mg_buf_init(&w.out);
    double ns[100];
    for (int r = 0; r < reps; r++) {
        w.entries = 0;
        int64_t t0 = mg_clock_mono_ns();
        for (int p = 0; p < PARTITIONS; p++) {
            uint64_t cursor = 0;
            while (!mg_store_scan(parts[p], &cursor, SLICE, copy_entry, &w))
                ;
            w.out.len = 0;
        }
        ns[r] = (double)(mg_clock_mono_ns() - t0) / (double)w.entries;
        printf("walk %d: %zu entries, %.1f ns per entry\n", r + 1, w.entries, ns[r]);
    }
    qsort(ns, (size_t)reps, sizeof ns[0], cmp_double);
    printf("median: %.1f ns per entry\n", ns[reps / 2]);

    mg_buf_free(&w.out);

    /* Then the free of a dropped partition, in the member's slices. */
    int64_t t0 = mg_clock_mono_ns();
    for (int p = 0; p < PARTITIONS; p++) {
        bool gone = false;
        while (!gone) {
            size_t budget = 4096;
            gone = mg_store_free_some(parts[p], &budget);
        }
    }
    printf("free: %.1f ns per entry\n", (double)(mg_clock_mono_ns() - t0) / (double)n);
    mg_slab_destroy(heap);
    return 0;
}
