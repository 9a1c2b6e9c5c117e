/* Partition assignment: replicas on distinct members, balanced per replica
 * index and in total, and minimal data movement when members come and go.
 *
 * "Moved" means copied: a member holding a replica in the new table that it
 * did not hold in the old one (mg_pt_copies).  Changing replica index on a
 * member that already has the data is not a copy.  Lower bound used below,
 * for old table O and new member set M with R replicas per partition:
 *
 *   LB = max( sum over m in M of max(0, floor(P*R/|M|) - held_O(m)),
 *             sum over p of max(0, R - |holders of p in O still in M|) )
 *
 * The first term: a member ends with at least floor(P*R/|M|) replicas (the
 * balance rule) and can keep at most the held_O(m) it had.  The second: every
 * partition needs R replicas and only the surviving ones exist already.  Any
 * balanced table copies at least LB replicas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster/partition_table.h"
#include "util/rand.h"

#define P 271

static mg_uuid uuid_n(int i)
{
    mg_uuid u = {.msb = 0x1000 + i, .lsb = 0x2000 + i, .is_null = false};
    return u;
}

/* Per replica index and in total, counts differ by at most one. */
static void assert_balanced(const mg_pt_table *t)
{
    int c[MG_CL_MAX_MEMBERS];
    for (int r = -1; r < t->replicas; r++) {
        mg_pt_counts(t, r, c);
        int lo = c[0], hi = c[0];
        for (int m = 1; m < t->nmembers; m++) {
            lo = c[m] < lo ? c[m] : lo;
            hi = c[m] > hi ? c[m] : hi;
        }
        if (hi - lo > 1) {
            for (int q = 0; q < t->replicas; q++) {
                mg_pt_counts(t, q, c);
                printf("  index %d:", q);
                for (int m = 0; m < t->nmembers; m++)
                    printf(" %d", c[m]);
                printf("\n");
            }
            fail_msg("n=%d R=%d index %d: counts from %d to %d", t->nmembers, t->replicas, r, lo, hi);
        }
    }
}

static void assert_complete(const mg_pt_table *t, int wanted)
{
    assert_int_equal(mg_pt_check(t), 0);
    assert_int_equal(t->replicas, mg_pt_replica_count(wanted, t->nmembers));
    for (uint32_t p = 0; p < t->partitions; p++)
        for (int r = 0; r < t->replicas; r++)
            if (mg_pt_slot(t, p, r) == MG_PT_NONE)
                fail_msg("partition %u replica %d empty", p, r);
}

static size_t lower_bound(const mg_pt_table *old, const mg_pt_table *t)
{
    size_t per_member = 0, per_partition = 0;
    int R = t->replicas, n = t->nmembers;
    int held[MG_CL_MAX_MEMBERS];
    for (int m = 0; m < n; m++) {
        held[m] = 0;
        for (uint32_t p = 0; old && p < P; p++)
            if (mg_pt_index_of(old, p, &t->members[m]) >= 0)
                held[m]++;
    }
    /* Totals are P*R/n, rounded up for P*R mod n members: cheapest when
     * those are the members that already hold the most. */
    int order[MG_CL_MAX_MEMBERS];
    for (int m = 0; m < n; m++)
        order[m] = m;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && held[order[j]] > held[order[j - 1]]; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (int i = 0; i < n; i++) {
        int share = P * R / n + (i < P * R % n ? 1 : 0);
        if (share > held[order[i]])
            per_member += (size_t)(share - held[order[i]]);
    }
    for (uint32_t p = 0; p < P; p++) {
        int alive = 0;
        for (int m = 0; old && m < n; m++)
            if (mg_pt_index_of(old, p, &t->members[m]) >= 0)
                alive++;
        if (R > alive)
            per_partition += (size_t)(R - alive);
    }
    return per_member > per_partition ? per_member : per_partition;
}

static void test_fresh_tables_balanced(void **state)
{
    (void)state;
    mg_uuid ms[20];
    for (int i = 0; i < 20; i++)
        ms[i] = uuid_n(i);
    for (int n = 1; n <= 20; n++)
        for (int backups = 0; backups <= 3; backups++) {
            mg_pt_table *t = mg_pt_assign(NULL, ms, n, 1 + backups, P);
            assert_complete(t, 1 + backups);
            assert_balanced(t);
            mg_pt_free(t);
        }
}

/* Members join one at a time up to 20, then leave in a shuffled order; every
 * table is complete and balanced and copies at most `slack` over the bound. */
static void grow_and_shrink(int backups, uint64_t seed, size_t *worst_over)
{
    mg_uuid ms[20];
    int n = 0;
    mg_pt_table *t = NULL;
    uint64_t rng = seed;
    for (int i = 0; i < 20; i++) {
        ms[n++] = uuid_n(i);
        mg_pt_table *next = mg_pt_assign(t, ms, n, 1 + backups, P);
        assert_complete(next, 1 + backups);
        assert_balanced(next);
        if (t) {
            size_t copies = mg_pt_copies(t, next), lb = lower_bound(t, next);
            assert_true(copies >= lb);
            if (copies - lb > *worst_over)
                *worst_over = copies - lb;
            if (getenv("PT_VERBOSE") && copies > lb)
                printf("join n=%d b=%d copies=%zu lb=%zu\n", n, backups, copies, lb);
        }
        mg_pt_free(t);
        t = next;
    }
    while (n > 1) {
        int gone = (int)(mg_rand_next(&rng) % (uint64_t)n);
        mg_uuid left = ms[gone];
        memmove(&ms[gone], &ms[gone + 1], (size_t)(n - gone - 1) * sizeof ms[0]);
        n--;
        /* Repair promotes: the first surviving replica becomes primary. */
        mg_pt_table *rep = mg_pt_repair(t, ms, n, 1 + backups, P);
        assert_int_equal(mg_pt_check(rep), 0);
        for (uint32_t p = 0; p < P; p++) {
            const mg_uuid *first = NULL;
            for (int r = 0; r < t->replicas && !first; r++) {
                const mg_uuid *u = mg_pt_owner(t, p, r);
                if (u && !mg_uuid_eq(u, &left))
                    first = u;
            }
            const mg_uuid *prim = mg_pt_owner(rep, p, 0);
            if (first) {
                assert_non_null(prim);
                assert_true(mg_uuid_eq(first, prim));
            }
        }
        assert_int_equal(mg_pt_copies(t, rep), 0);
        mg_pt_table *next = mg_pt_assign(t, ms, n, 1 + backups, P);
        assert_complete(next, 1 + backups);
        assert_balanced(next);
        size_t copies = mg_pt_copies(t, next), lb = lower_bound(t, next);
        assert_true(copies >= lb);
        if (copies - lb > *worst_over)
            *worst_over = copies - lb;
        if (getenv("PT_VERBOSE") && copies > lb)
            printf("leave n=%d b=%d copies=%zu lb=%zu\n", n, backups, copies, lb);
        /* From the repaired table the target costs the same: repair moved nothing. */
        mg_pt_table *via = mg_pt_assign(rep, ms, n, 1 + backups, P);
        assert_complete(via, 1 + backups);
        assert_balanced(via);
        mg_pt_free(via);
        mg_pt_free(rep);
        mg_pt_free(t);
        t = next;
    }
    mg_pt_free(t);
}

static void test_join_leave_minimal_moves(void **state)
{
    (void)state;
    const char *env = getenv("PT_SEEDS");
    uint64_t seeds = env ? strtoull(env, NULL, 10) : 5;
    for (int backups = 0; backups <= 3; backups++) {
        size_t worst = 0;
        for (uint64_t seed = 1; seed <= seeds; seed++)
            grow_and_shrink(backups, seed, &worst);
        printf("  backups=%d: worst copies over the lower bound: %zu\n", backups, worst);
        assert_int_equal(worst, 0);   /* 300 seeds (PT_SEEDS=300): always the bound */
    }
}

static bool in_members(const mg_pt_table *t, const mg_uuid *u)
{
    for (int i = 0; i < t->nmembers; i++)
        if (mg_uuid_eq(&t->members[i], u))
            return true;
    return false;
}

/* The hottest replica of `from` on a member of `to`. */
static const mg_uuid *survivor(const mg_pt_table *from, const mg_pt_table *to, uint32_t p)
{
    for (int r = 0; r < from->replicas; r++) {
        const mg_uuid *u = mg_pt_owner(from, p, r);
        if (u && in_members(to, u))
            return u;
    }
    return NULL;
}

/* Applying the plan's moves to `from` gives exactly `to`: every replica of
 * `to` is either kept (same member, maybe another index: SHIFT) or new
 * (COPY from the hottest surviving replica, or CREATE when none survived),
 * and every replica of `from` on a live member not in `to` is dropped. */
static void assert_plan_turns(const mg_pt_table *from, const mg_pt_table *to)
{
    size_t n = mg_pt_plan(from, to, NULL, 0);
    mg_pt_move *mv = calloc(n ? n : 1, sizeof *mv);
    assert_int_equal(mg_pt_plan(from, to, mv, n), n);
    /* holder[p][r] as uuids after applying */
    for (uint32_t p = 0; p < to->partitions; p++) {
        mg_uuid have[MG_PT_MAX_REPLICAS];
        bool used[MG_PT_MAX_REPLICAS] = {false};
        int nh = 0;
        for (int r = 0; r < from->replicas; r++) {
            const mg_uuid *u = mg_pt_owner(from, p, r);
            if (u)
                have[nh++] = *u;
        }
        mg_uuid after[MG_PT_MAX_REPLICAS];
        bool set[MG_PT_MAX_REPLICAS] = {false};
        for (size_t i = 0; i < n; i++) {
            if (mv[i].partition != p)
                continue;
            switch (mv[i].kind) {
            case MG_PT_COPY:
                assert_true(mg_uuid_eq(&mv[i].source, survivor(from, to, p)));
                /* fall through */
            case MG_PT_CREATE:
                if (mv[i].kind == MG_PT_CREATE)
                    assert_null(survivor(from, to, p));
                assert_int_equal(mv[i].from_index, -1);
                after[mv[i].to_index] = mv[i].member;
                set[mv[i].to_index] = true;
                break;
            case MG_PT_SHIFT:
                assert_true(mg_uuid_eq(mg_pt_owner(from, p, mv[i].from_index), &mv[i].member));
                after[mv[i].to_index] = mv[i].member;
                set[mv[i].to_index] = true;
                break;
            case MG_PT_DROP:
                for (int k = 0; k < nh; k++)
                    if (mg_uuid_eq(&have[k], &mv[i].member))
                        used[k] = true;
                break;
            default:
                fail_msg("bad move kind %d", mv[i].kind);
            }
        }
        for (int r = 0; r < to->replicas; r++) {
            const mg_uuid *u = mg_pt_owner(to, p, r);
            if (!set[r]) {   /* untouched: same member, same index */
                assert_non_null(u);
                assert_true(mg_uuid_eq(u, mg_pt_owner(from, p, r)));
            } else {
                assert_true(mg_uuid_eq(u, &after[r]));
            }
        }
        for (int k = 0; k < nh; k++)
            if (!used[k])
                assert_true(mg_pt_index_of(to, p, &have[k]) >= 0 || !in_members(to, &have[k]));
    }
    free(mv);
}

/* Several members at once, in and out, in random order; replica counts
 * change with the member count.  Each step: complete, balanced, the plan
 * turns the old table into the new one, copies near the bound (single
 * changes meet it exactly, see above; several at once may copy a few more,
 * because the bound ignores the per-index balance). */
static void test_random_changes(void **state)
{
    (void)state;
    size_t worst = 0;
    uint64_t rng = 42;
    int next_id = 0;
    const char *env = getenv("PT_ROUNDS");
    int rounds = env ? atoi(env) : 20;
    for (int round = 0; round < rounds; round++) {
        int backups = round % 4;
        mg_uuid ms[20];
        int n = 0;
        mg_pt_table *t = NULL;
        for (int step = 0; step < 40; step++) {
            int change = (int)(mg_rand_next(&rng) % 3) + 1;
            bool grow = n < 2 || (n < 20 && mg_rand_next(&rng) % 2);
            for (int c = 0; c < change; c++) {
                if (grow && n < 20) {
                    ms[n++] = uuid_n(next_id++);
                } else if (!grow && n > 1) {
                    int g = (int)(mg_rand_next(&rng) % (uint64_t)n);
                    memmove(&ms[g], &ms[g + 1], (size_t)(n - g - 1) * sizeof ms[0]);
                    n--;
                }
            }
            mg_pt_table *next = mg_pt_assign(t, ms, n, 1 + backups, P);
            assert_complete(next, 1 + backups);
            assert_balanced(next);
            if (t) {
                assert_plan_turns(t, next);
                size_t copies = mg_pt_copies(t, next), lb = lower_bound(t, next);
                assert_true(copies >= lb);
                worst = copies - lb > worst ? copies - lb : worst;
                if (getenv("PT_VERBOSE") && copies - lb > 4)
                    printf("  %d -> %d members, %d -> %d replicas: %zu copies, bound %zu\n",
                           t->nmembers, n, t->replicas, next->replicas, copies, lb);
            }
            mg_pt_free(t);
            t = next;
        }
        mg_pt_free(t);
    }
    printf("  random multi-member changes: worst copies over the lower bound: %zu\n", worst);
    /* 2000 rounds (PT_ROUNDS=2000, 80000 changes) saw at most 27. */
    assert_true(worst <= 32);
}

/* With no backups, a member that leaves takes its partitions' only replica:
 * those partitions get an empty replica (CREATE), the others stay put. */
static void test_lost_partitions_are_created(void **state)
{
    (void)state;
    mg_uuid ms[3] = {uuid_n(0), uuid_n(1), uuid_n(2)};
    mg_pt_table *t = mg_pt_assign(NULL, ms, 3, 1, P);
    mg_uuid two[2] = {ms[0], ms[2]};
    mg_pt_table *next = mg_pt_assign(t, two, 2, 1, P);
    assert_complete(next, 1);
    assert_balanced(next);
    size_t n = mg_pt_plan(t, next, NULL, 0);
    mg_pt_move *mv = calloc(n, sizeof *mv);
    mg_pt_plan(t, next, mv, n);
    int lost = 0, creates = 0, copies = 0;
    for (uint32_t p = 0; p < P; p++)
        if (mg_uuid_eq(mg_pt_owner(t, p, 0), &ms[1]))
            lost++;
    for (size_t i = 0; i < n; i++) {
        creates += mv[i].kind == MG_PT_CREATE;
        copies += mv[i].kind == MG_PT_COPY;
    }
    /* The left member's partitions restart empty; balance moves nothing else
     * (271 = 136 + 135 and the two survivors already hold 90 or 91 each). */
    assert_int_equal(creates, lost);
    assert_int_equal(copies, 0);
    assert_plan_turns(t, next);
    /* repair alone leaves them without an owner */
    mg_pt_table *rep = mg_pt_repair(t, two, 2, 1, P);
    int empty = 0;
    for (uint32_t p = 0; p < P; p++)
        empty += mg_pt_owner(rep, p, 0) == NULL;
    assert_int_equal(empty, lost);
    free(mv);
    mg_pt_free(rep);
    mg_pt_free(next);
    mg_pt_free(t);
}

/* Replica counts follow the members: never two replicas on one member, at
 * most 7, and they come back as members join. */
static void test_replica_count_follows_members(void **state)
{
    (void)state;
    assert_int_equal(mg_pt_replica_count(4, 2), 2);
    assert_int_equal(mg_pt_replica_count(9, 20), 7);
    assert_int_equal(mg_pt_replica_count(0, 5), 1);
    mg_uuid ms[4] = {uuid_n(0), uuid_n(1), uuid_n(2), uuid_n(3)};
    mg_pt_table *one = mg_pt_assign(NULL, ms, 1, 3, P);
    assert_int_equal(one->replicas, 1);
    mg_pt_table *four = mg_pt_assign(one, ms, 4, 3, P);
    assert_int_equal(four->replicas, 3);
    assert_complete(four, 3);
    /* The first member keeps data it has: it copies nothing. */
    size_t n = mg_pt_plan(one, four, NULL, 0);
    mg_pt_move *mv = calloc(n, sizeof *mv);
    mg_pt_plan(one, four, mv, n);
    for (size_t i = 0; i < n; i++)
        if (mv[i].kind == MG_PT_COPY)
            assert_false(mg_uuid_eq(&mv[i].member, &ms[0]));
    free(mv);
    mg_pt_free(one);
    mg_pt_free(four);
}

/* The largest cluster a table holds: 64 members (the last bit of every
 * member mask), 7 replicas. */
static void test_sixty_four_members(void **state)
{
    (void)state;
    mg_uuid ms[MG_CL_MAX_MEMBERS];
    for (int i = 0; i < MG_CL_MAX_MEMBERS; i++)
        ms[i] = uuid_n(i);
    mg_pt_table *t = mg_pt_assign(NULL, ms, 63, 7, P);
    mg_pt_table *u = mg_pt_assign(t, ms, MG_CL_MAX_MEMBERS, 7, P);
    assert_complete(u, 7);
    assert_balanced(u);
    int c[MG_CL_MAX_MEMBERS];
    mg_pt_counts(u, -1, c);
    assert_true(c[63] >= P * 7 / 64);
    assert_plan_turns(t, u);
    mg_pt_free(t);
    mg_pt_free(u);
}

/* Fresh tables spread each member's backups over all the others: no
 * member backs up another's primaries more than once over their even share
 * (P / (n (n - 1)) per ordered pair), so a failure promotes all over. */
static void test_fresh_backups_spread(void **state)
{
    (void)state;
    mg_uuid ms[20];
    for (int i = 0; i < 20; i++)
        ms[i] = uuid_n(i);
    for (int n = 2; n <= 20; n++)
        for (int backups = 1; backups <= 3; backups++) {
            mg_pt_table *t = mg_pt_assign(NULL, ms, n, 1 + backups, P);
            int pair[20][20] = {{0}};
            for (uint32_t p = 0; p < P; p++)
                pair[mg_pt_slot(t, p, 0)][mg_pt_slot(t, p, 1)]++;
            int even = (P + n * (n - 1) - 1) / (n * (n - 1));
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++)
                    if (pair[a][b] > even + 1)
                        fail_msg("n=%d backups=%d: %d of member %d's primaries backed up by %d (even %d)",
                                 n, backups, pair[a][b], a, b, even);
            mg_pt_free(t);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_tables_balanced),
        cmocka_unit_test(test_fresh_backups_spread),
        cmocka_unit_test(test_join_leave_minimal_moves),
        cmocka_unit_test(test_random_changes),
        cmocka_unit_test(test_lost_partitions_are_created),
        cmocka_unit_test(test_replica_count_follows_members),
        cmocka_unit_test(test_sixty_four_members),
    };
    return cmocka_run_group_tests_name("cluster_partition_table", tests, NULL, NULL);
}
