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

static mg_entry *add(mg_store *s, uint32_t id, int64_t created, int64_t accessed, uint32_t hits)
{
    uint8_t k[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5};
    memcpy(k + 8, &id, 4);
    mg_entry *old;
    mg_entry *e = mg_store_put(s, k, sizeof k, NULL, 0, &old);
    assert_null(old);
    e->creation_ms = created;
    e->last_update_ms = created;
    e->last_access_ms = accessed;
    e->hits = hits;
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
    mg_store *s = mg_store_new();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + 100 * i, 0, 0);   /* never accessed */
    /* e[0] is the oldest by creation, but was used recently. */
    e[0]->last_access_ms = 50000;
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
    mg_store *s = mg_store_new();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, 100 + 10 * i);
    e[7]->hits = 3;
    uint64_t rng = 5;
    bool expired;
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[7]);

    /* Equal hits: the older creation loses. */
    e[2]->hits = 3;
    e[2]->creation_ms = 999;
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[2]);
    e[2]->creation_ms = 5000;
    for (int r = 0; r < 50; r++)
        assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, NULL, NULL), e[7]);
    mg_store_free(s);
}

static void test_random_returns_member(void **state)
{
    mg_store *s = mg_store_new();
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
    mg_store *s = mg_store_new();
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
    mg_store *s = mg_store_new();
    mg_entry *e[10];
    for (uint32_t i = 0; i < 10; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, i);
    /* e[9] is the best-kept by LRU and LFU, but it expired. */
    mg_expiry_on_write(e[9], 1009, 500, MG_NEVER);
    uint64_t rng = 17;
    for (int p = MG_EVICT_LRU; p <= MG_EVICT_RANDOM; p++) {
        bool expired = false;
        assert_ptr_equal(mg_eviction_pick(s, p, &rng, NULL, NOW, &expired, NULL, NULL), e[9]);
        assert_true(expired);
    }
    /* Not yet expired: ordinary choice. */
    bool expired = true;
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, 1200, &expired, NULL, NULL), e[0]);
    assert_false(expired);
    mg_store_free(s);
}

static bool skip_marked(void *ctx, const mg_entry *e)
{
    return (e->flags & 1u) != 0;
}

/* Locked entries (skip) are never victims, expired or not. */
static void test_skip(void **state)
{
    mg_store *s = mg_store_new();
    mg_entry *e[5];
    for (uint32_t i = 0; i < 5; i++)
        e[i] = add(s, i, 1000 + i, 1000 + i, i);
    uint64_t rng = 23;
    bool expired;
    e[0]->flags |= 1;
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, NULL), e[1]);
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LFU, &rng, NULL, NOW, &expired, skip_marked, NULL), e[1]);

    mg_expiry_on_write(e[0], 1000, 1, MG_NEVER);   /* expired but locked */
    assert_ptr_equal(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, NULL), e[1]);
    assert_false(expired);

    for (int i = 1; i < 5; i++)
        e[i]->flags |= 1;
    assert_null(mg_eviction_pick(s, MG_EVICT_LRU, &rng, NULL, NOW, &expired, skip_marked, NULL));
    mg_store_free(s);
}

static void test_none_and_empty(void **state)
{
    mg_store *s = mg_store_new();
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
    mg_store *s = mg_store_new();
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
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 1000, 7, 271, 2, 0));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 1000, 8, 271, 2, 0));
    /* Quota below one is raised to one. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 1, 271, 1, 0));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 2, 271, 1, 0));
    /* Exact multiple: 271 * 3 over 271 partitions, one member -> 3. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 813, 3, 271, 1, 0));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_NODE, 813, 4, 271, 1, 0));
    /* Default size (INT32_MAX) never triggers in practice. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, INT32_MAX, 1000000, 271, 1, 0));
    /* Absurd size * members does not overflow into a small quota. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, INT64_MAX, 1000000, 271, 8, 0));
    /* ENTRY_COUNT counts like PER_NODE. */
    assert_false(mg_eviction_over_limit(MG_SIZE_ENTRY_COUNT, 1000, 7, 271, 2, 0));
    assert_true(mg_eviction_over_limit(MG_SIZE_ENTRY_COUNT, 1000, 8, 271, 2, 0));

    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 5, 5, 271, 3, 0));
    assert_true(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 5, 6, 271, 3, 0));

    assert_false(mg_eviction_over_limit(MG_SIZE_USED_HEAP_SIZE, 1, 10, 271, 1, 1048576));
    assert_true(mg_eviction_over_limit(MG_SIZE_USED_HEAP_SIZE, 1, 10, 271, 1, 1048577));
    assert_true(mg_eviction_over_limit(MG_SIZE_USED_HEAP_SIZE, 3, 10, 271, 1, 3 * 1048576 + 1));

    /* 0 (and negative) size is unlimited; an empty store never evicts. */
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, 0, 100, 271, 1, 0));
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_PARTITION, -1, 100, 271, 1, 0));
    assert_false(mg_eviction_over_limit(MG_SIZE_PER_NODE, 100, 0, 271, 1, 0));
    assert_false(mg_eviction_over_limit(MG_SIZE_USED_HEAP_SIZE, 1, 0, 271, 1, 1 << 30));
    /* Member-wide policies are not decided here. */
    assert_false(mg_eviction_over_limit(MG_SIZE_FREE_HEAP_SIZE, 1, 100, 271, 1, 1 << 30));
    assert_false(mg_eviction_over_limit(MG_SIZE_USED_HEAP_PERCENTAGE, 1, 100, 271, 1, 1 << 30));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_picks_oldest),
        cmocka_unit_test(test_lfu_picks_least_used),
        cmocka_unit_test(test_random_returns_member),
        cmocka_unit_test(test_exclude),
        cmocka_unit_test(test_expired_first),
        cmocka_unit_test(test_skip),
        cmocka_unit_test(test_none_and_empty),
        cmocka_unit_test(test_lru_sampled_quality),
        cmocka_unit_test(test_over_limit),
    };
    return cmocka_run_group_tests_name("eviction", tests, NULL, NULL);
}
