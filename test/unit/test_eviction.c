/* Victim choice (imap-semantics.md §5.3) and the size limits (§5.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map/eviction.h"
#include "map/expiry.h"

#define NOW 1000000

/* Each test gets its own heap; teardown checks every entry went back. */
static mg_slab *H;

static int heap_setup(void **state)
{
    H = mg_slab_new();
    return 0;
}

static int heap_teardown(void **state)
{
    mg_slab_stats st;
    mg_slab_read_stats(H, &st);
    mg_slab_destroy(H);
    return st.objects == 0 ? 0 : -1;
}

static mg_store *new_store(void) { return mg_store_new(H, NULL, NULL, false); }

/* Entries with every field the policies read (as a per-entry-stats map
 * keeps them). */
#define SHAPE (MG_EF_HITS | MG_EF_UPD | MG_EF_ACC | MG_EF_CRE)

static mg_entry *add_shaped(mg_store *s, uint32_t id, unsigned shape)
{
    uint8_t k[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5};
    memcpy(k + 8, &id, 4);
    mg_entry *old;
    mg_entry *e = mg_store_put(s, k, sizeof k, NULL, 0, shape, &old);
    assert_null(old);
    return e;
}

static mg_entry *add(mg_store *s, uint32_t id, int64_t created, int64_t accessed, uint32_t hits)
{
    mg_entry *e = add_shaped(s, id, SHAPE);
    mg_entry_set_time(e, MG_EF_CRE, created);
    mg_entry_set_time(e, MG_EF_UPD, created);
    mg_entry_set_time(e, MG_EF_ACC, accessed);
    mg_entry_set_u32(e, MG_EF_HITS, hits);
    return e;
}

/* Gives e a TTL of ttl_ms from `at` (it needs the TTL field first). */
static mg_entry *with_ttl(mg_store *s, mg_entry *e, int64_t at, int64_t ttl_ms)
{
    e = mg_store_reshape(s, e, mg_entry_shape(e) | MG_EF_TTL | MG_EF_UPD);
    mg_expiry_on_write(e, at, ttl_ms, MG_NEVER);
    return e;
}

static uint32_t id_of(const mg_entry *e)
{
    uint32_t id;
    memcpy(&id, mg_entry_key(e) + 8, 4);
    return id;
}

/* Ten entries (fewer than the sample, so all of them are seen): the victim
 * is the known worst one for every seed. */
static void test_lru_picks_oldest(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + 100 * i, 0, 0);   /* never accessed */
    /* e[0] is the oldest by creation, but was used recently. */
    mg_entry_set_time(e[0], MG_EF_ACC, 50000);
    for (uint64_t seed = 0; seed < 50; seed++) {
        uint64_t rng = seed;
        bool expired = true;
        mg_entry *v = mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, NULL, NULL);
        assert_ptr_equal(v, e[1]);
        assert_false(expired);
    }
    /* Touching e[1] moves the choice to e[2]. */
    mg_expiry_on_access(e[1], 60000);
    uint64_t rng = 1;
    bool expired;
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, NULL, NULL), e[2]);
    mg_store_free(s);
}

static void test_lfu_picks_least_used(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, 100 + 10 * i);
    mg_entry_set_u32(e[7], MG_EF_HITS, 3);
    uint64_t rng = 5;
    bool expired;
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[7]);

    /* Equal hits: the older creation loses. */
    mg_entry_set_u32(e[2], MG_EF_HITS, 3);
    mg_entry_set_time(e[2], MG_EF_CRE, 999);
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[2]);
    mg_entry_set_time(e[2], MG_EF_CRE, 5000);
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[7]);
    mg_store_free(s);
}

static void test_random_returns_member(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000, 1000, 0);
    uint64_t rng = 11;
    bool expired;
    int seen[10] = {0};
    for (int r = 0; r < 500; r++) {
        mg_entry *v = mg_eviction_pick(s, MG_EVICT_RANDOM, &rng, e[3], NOW, &expired, NULL, NULL);
        assert_non_null(v);
        assert_ptr_not_equal(v, e[3]);
        assert_false(expired);
        seen[id_of(v)]++;
    }
    /* The random start spreads the choice: more than one victim shows up. */
    int distinct = 0;
    for (int i = 0; i < 10; i++)
        distinct += seen[i] > 0;
    assert_true(distinct >= 3);
    mg_store_free(s);
}

/* The entry just written is never chosen while anything else is available,
 * even when it is the worst by policy; it is chosen when it is alone. */
static void test_exclude(void **state)
{
    mg_store *s = new_store();
    uint64_t rng = 3;
    bool expired;
    mg_entry *only = add(s, 1, 10, 10, 0);
    for (int p = MG_EVICT_LRU; p <= MG_EVICT_RANDOM; p++)
        assert_ptr_equal(mg_eviction_pick(s, p, &rng, only, NOW, &expired, NULL, NULL), only);

    mg_entry *other = add(s, 2, 5000, 5000, 50);
    for (int p = MG_EVICT_LRU; p <= MG_EVICT_RANDOM; p++)
        for (int r = 0; r < 30; r++)
            assert_ptr_equal(mg_eviction_pick(s, p, &rng, only, NOW, &expired, NULL, NULL), other);

    /* Big store: the excluded oldest entry never comes back. */
    for (uint32_t i = 3; i < 2000; i++)
        add(s, i, 2000 + i, 2000 + i, i);
    for (int p = MG_EVICT_LRU; p <= MG_EVICT_RANDOM; p++)
        for (int r = 0; r < 300; r++) {
            mg_entry *v = mg_eviction_pick(s, p, &rng, only, NOW, &expired, NULL, NULL);
            assert_non_null(v);
            assert_ptr_not_equal(v, only);
        }
    mg_store_free(s);
}

/* An expired sample wins at once over any policy choice. */
static void test_expired_first(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, i);
    /* e[9] is the best-kept by LRU and LFU, but it expired. */
    e[9] = with_ttl(s, e[9], 1009, 1000);
    uint64_t rng = 17;
    for (int p = MG_EVICT_LRU; p <= MG_EVICT_RANDOM; p++) {
        bool expired = false;
        assert_ptr_equal(mg_eviction_pick(s, p, &rng, NULL, NOW, &expired, NULL, NULL), e[9]);
        assert_true(expired);
    }
    /* Not yet expired: ordinary choice. */
    bool expired = true;
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, 2008, &expired, NULL, NULL), e[0]);
    assert_false(expired);
    mg_store_free(s);
}

/* ctx: a set of marked ids (locked keys, in real use). */
static bool skip_marked(void *ctx, const mg_entry *e)
{
    return ((const bool *)ctx)[id_of(e)];
}

/* Locked entries (skip) are never victims, expired or not. */
static void test_skip(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[5];
    for (uint32_t i = 0; i < 5; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, i);
    uint64_t rng = 23;
    bool expired;
    bool marked[5] = {true};
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, marked), e[1]);
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, skip_marked, marked), e[1]);

    e[0] = with_ttl(s, e[0], 1000, 1000);   /* expired but locked */
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, marked), e[1]);
    assert_false(expired);

    for (int i = 1; i < 5; i++)
        marked[i] = true;
    assert_null(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, marked));
    mg_store_free(s);
}

static void test_none_and_empty(void **state)
{
    mg_store *s = new_store();
    uint64_t rng = 1;
    bool expired = true;
    assert_null(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, NULL, NULL));
    assert_false(expired);
    add(s, 1, 1, 1, 1);
    assert_null(mg_eviction_pick(s, MG_EVICT_NONE, &rng, NULL, NOW, &expired, NULL, NULL));
    assert_null(mg_eviction_pick(s, 99, &rng, NULL, NOW, &expired, NULL, NULL));
    mg_store_free(s);
}

/* Sampling LRU on a big store: the victim is among the oldest few percent
 * (the minimum of 15 samples out of N sits near rank N/16 on average). */
static void test_lru_sampled_quality(void **state)
{
    enum { N = 20000 };
    mg_store *s = new_store();
    for (uint32_t i = 0; i < N; i++)
        add(s, i, 10000 + i, 10000 + i, 0);   /* id = age rank */
    uint64_t rng = 0xabc;
    bool expired;
    uint64_t rank_sum = 0;
    for (int r = 0; r < 1000; r++) {
        mg_entry *v = mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, NULL, NULL);
        assert_non_null(v);
        rank_sum += id_of(v);
    }
    assert_true(rank_sum / 1000 < N / 8);
    mg_store_free(s);
}

static void test_over_limit(void **state)
{
    /* PER_NODE: 1000 per member, 2 members, 271 partitions: quota 7.38. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 1000, 7, 271, 2));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 1000, 8, 271, 2));
    /* Quota below one is raised to one. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 1, 271, 1));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 2, 271, 1));
    /* Exact multiple: 271 * 3 over 271 partitions, one member -> 3. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 813, 3, 271, 1));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 813, 4, 271, 1));
    /* Default size (INT32_MAX) never triggers in practice. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, INT32_MAX, 1000000, 271, 1));
    /* Absurd size * members does not overflow into a small quota. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, INT64_MAX, 1000000, 271, 8));
    /* ENTRY_COUNT counts like PER_NODE. */
    assert_false(mg_eviction_over_limit(MG_SIZE_ENTRY_COUNT, 1000, 7, 271, 2));
    assert_true(mg_eviction_over_limit(MG_SIZE_ENTRY_COUNT, 1000, 8, 271, 2));

    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 5, 5, 271, 3));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 5, 6, 271, 3));


    /* 0 (and negative) size is unlimited; an empty store never evicts. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 0, 100, 271, 1));
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, -1, 100, 271, 1));
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 0, 271, 1));
    /* Memory policies are not decided by counting. */
    assert_false(mg_eviction_over_limit(MG_SIZE_USED_HEAP_SIZE, 1, 100000, 271, 1));
    assert_false(mg_eviction_over_limit(MG_SIZE_FREE_HEAP_SIZE, 1, 100000, 271, 1));
    assert_true(mg_eviction_counts_entries(MG_SIZE_PER_NODE));
    assert_true(mg_eviction_counts_entries(MG_SIZE_PER_PARTITION));
    assert_true(mg_eviction_counts_entries(MG_SIZE_ENTRY_COUNT));
    assert_false(mg_eviction_counts_entries(MG_SIZE_USED_HEAP_SIZE));
    assert_false(mg_eviction_counts_entries(MG_SIZE_FREE_HEAP_PERCENTAGE));
}

#define MiB (INT64_C(1) << 20)

/* The memory policies measure bytes: the map's own for USED_*, the
 * member's free memory under its limit for FREE_*. */
static void test_excess_bytes(void **state)
{
    int64_t limit = 64 * MiB;
    /* USED_HEAP_SIZE: the map's bytes over size MiB. */
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_SIZE, 2, 2 * MiB, 0, limit) == 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_SIZE, 2, 2 * MiB + 100, 0, limit) == 100);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_SIZE, 2, MiB, 60 * MiB, limit) < 0);
    /* USED_HEAP_PERCENTAGE: the map's share of the member limit. */
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_PERCENTAGE, 25, 16 * MiB, 0, limit) == 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_PERCENTAGE, 25, 16 * MiB + 1, 0, limit) == 1);
    /* FREE_HEAP_SIZE: keep at least size MiB of the limit free, whichever
     * map uses it. */
    assert_true(mg_eviction_excess_bytes(MG_SIZE_FREE_HEAP_SIZE, 8, 0, 56 * MiB, limit) == 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_FREE_HEAP_SIZE, 8, 0, 57 * MiB, limit) == MiB);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_FREE_HEAP_SIZE, 8, 0, 10 * MiB, limit) < 0);
    /* FREE_HEAP_PERCENTAGE */
    assert_true(mg_eviction_excess_bytes(MG_SIZE_FREE_HEAP_PERCENTAGE, 50, 0, 32 * MiB, limit) == 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_FREE_HEAP_PERCENTAGE, 50, 0, 40 * MiB, limit) == 8 * MiB);
    /* Unlimited size (0 -> INT32_MAX in config) never evicts; counting
     * policies have no byte excess. */
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_SIZE, INT32_MAX, 1 << 30, 0, limit) < 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_USED_HEAP_SIZE, 0, 1 << 30, 0, limit) == 0);
    assert_true(mg_eviction_excess_bytes(MG_SIZE_PER_NODE, 1, 1 << 30, 1 << 30, limit) == 0);
}

/* Entries of an LRU map keep only last access, of an LFU map only hits and
 * creation: the policies still order them right. */
static void test_minimal_shapes(void **state)
{
    mg_store *s = new_store();
    mg_entry *e[8];
    for (uint32_t i = 0; i < 8; i++) {
        e[i] = add_shaped(s, i, MG_EF_ACC);
        mg_entry_set_time(e[i], MG_EF_ACC, 5000 - 100 * i);   /* e[7] least recent */
    }
    uint64_t rng = 3;
    bool expired;
    for (int r = 0; r < 20; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, NULL, NULL), e[7]);
    mg_store_free(s);

    s = new_store();
    for (uint32_t i = 0; i < 8; i++) {
        e[i] = add_shaped(s, i, MG_EF_HITS | MG_EF_CRE);
        mg_entry_set_u32(e[i], MG_EF_HITS, 10 + i);
        mg_entry_set_time(e[i], MG_EF_CRE, 1000 + i);
    }
    mg_entry_set_u32(e[5], MG_EF_HITS, 10);   /* ties with e[0], but younger */
    for (int r = 0; r < 20; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[0]);
    mg_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lru_picks_oldest, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_lfu_picks_least_used, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_random_returns_member, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_exclude, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_expired_first, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_skip, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_none_and_empty, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_lru_sampled_quality, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_over_limit, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_excess_bytes, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_minimal_shapes, heap_setup, heap_teardown),
    };
    return cmocka_run_group_tests_name("eviction", tests, NULL, NULL);
}
