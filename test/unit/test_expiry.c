/* TTL and max-idle rules (imap-semantics.md §2): which value a write uses,
 * the deadline a write sets, what an access may move, and saturation at
 * MG_NEVER. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "map/expiry.h"

#define assert_i64(a, b) assert_true((int64_t)(a) == (int64_t)(b))

static mg_entry *fresh(void)
{
    /* Expiry never touches key/value bytes, a bare header suffices. */
    static mg_entry e;
    memset(&e, 0, sizeof(e));
    e.ttl_ms = e.max_idle_ms = e.expiration_ms = MG_NEVER;
    return &e;
}

static void test_pick(void **state)
{
    /* Value in the request wins when positive. */
    assert_i64(mg_expiry_pick(1500, 60), 1000);
    assert_i64(mg_expiry_pick(1, 0), 1000);
    assert_i64(mg_expiry_pick(999, 0), 1000);
    assert_i64(mg_expiry_pick(10500, 0), 10000);
    /* Explicit 0 means forever, even with a map default. */
    assert_i64(mg_expiry_pick(0, 60), MG_NEVER);
    /* Not given (-1, or any negative): the map default in ms, or never. */
    assert_i64(mg_expiry_pick(-1, 60), 60000);
    assert_i64(mg_expiry_pick(-5, 1), 1000);
    assert_i64(mg_expiry_pick(-1, 0), MG_NEVER);
    assert_i64(mg_expiry_pick(-1, -3), MG_NEVER);
    assert_i64(mg_expiry_pick(-1, INT_MAX), MG_NEVER);
    assert_i64(mg_expiry_pick(-1, INT_MAX - 1), (int64_t)(INT_MAX - 1) * 1000);
    assert_i64(mg_expiry_pick(INT64_MAX, 0), MG_NEVER);
}

static void test_add_saturates(void **state)
{
    assert_i64(mg_expiry_add(10, 5), 15);
    assert_i64(mg_expiry_add(10, MG_NEVER), MG_NEVER);
    assert_i64(mg_expiry_add(MG_NEVER, 10), MG_NEVER);
    assert_i64(mg_expiry_add(INT64_MAX - 3, 3), MG_NEVER);
    assert_i64(mg_expiry_add(INT64_MAX - 3, 2), INT64_MAX - 1);
    assert_i64(mg_expiry_add(INT64_MAX / 2 + 10, INT64_MAX / 2 + 10), MG_NEVER);
}

static void test_on_write(void **state)
{
    mg_entry *e = fresh();
    e->creation_ms = 5;
    e->hits = 9;
    e->version = 4;
    e->last_access_ms = 7;

    mg_expiry_on_write(e, 1000, 500, MG_NEVER);
    assert_i64(e->last_update_ms, 1000);
    assert_i64(e->last_access_ms, 7);   /* a write is not an access */
    assert_i64(e->ttl_ms, 500);
    assert_i64(e->max_idle_ms, MG_NEVER);
    assert_i64(e->expiration_ms, 1500);
    /* Not ours to change. */
    assert_i64(e->creation_ms, 5);
    assert_int_equal(e->hits, 9);
    assert_int_equal(e->version, 4);

    /* Millisecond precision: 1500 ms is not truncated to 1 s as in
     * Hazelcast, 999 ms is not raised to 1 s. */
    mg_expiry_on_write(e, 2000, 1500, MG_NEVER);
    assert_i64(e->expiration_ms, 3500);
    mg_expiry_on_write(e, 2000, 999, MG_NEVER);
    assert_i64(e->expiration_ms, 2999);

    /* The nearer of the two deadlines. */
    mg_expiry_on_write(e, 2000, 10000, 300);
    assert_i64(e->expiration_ms, 2300);
    mg_expiry_on_write(e, 2000, 300, 10000);
    assert_i64(e->expiration_ms, 2300);

    /* Both never -> never; each write recomputes from its own values. */
    mg_expiry_on_write(e, 3000, MG_NEVER, MG_NEVER);
    assert_i64(e->expiration_ms, MG_NEVER);
    assert_i64(e->ttl_ms, MG_NEVER);

    /* Values <= 0 are taken as never, like pick's 0. */
    mg_expiry_on_write(e, 3000, 0, -1);
    assert_i64(e->ttl_ms, MG_NEVER);
    assert_i64(e->max_idle_ms, MG_NEVER);
    assert_i64(e->expiration_ms, MG_NEVER);

    /* Saturation: a huge ttl at a late now is never, not a wrapped past. */
    mg_expiry_on_write(e, INT64_MAX - 10, 100, MG_NEVER);
    assert_i64(e->expiration_ms, MG_NEVER);
    mg_expiry_on_write(e, INT64_MAX - 10, INT64_MAX - 1, 5);
    assert_i64(e->expiration_ms, INT64_MAX - 5);
}

static void test_on_access_counts(void **state)
{
    mg_entry *e = fresh();
    mg_expiry_on_write(e, 100, MG_NEVER, MG_NEVER);
    mg_expiry_on_access(e, 150);
    mg_expiry_on_access(e, 170);
    assert_int_equal(e->hits, 2);
    assert_i64(e->last_access_ms, 170);
    assert_i64(e->last_update_ms, 100);
    assert_i64(e->expiration_ms, MG_NEVER);

    e->hits = UINT32_MAX - 1;
    mg_expiry_on_access(e, 180);
    assert_int_equal(e->hits, UINT32_MAX);
    mg_expiry_on_access(e, 190);
    assert_int_equal(e->hits, UINT32_MAX);
}

/* A TTL-only entry keeps its deadline however often it is read. */
static void test_access_never_moves_ttl(void **state)
{
    mg_entry *e = fresh();
    mg_expiry_on_write(e, 1000, 500, MG_NEVER);
    for (int64_t t = 1000; t < 1500; t += 50)
        mg_expiry_on_access(e, t);
    assert_i64(e->expiration_ms, 1500);
    assert_false(mg_expiry_is_expired(e, 1499));
    assert_true(mg_expiry_is_expired(e, 1500));
}

/* Max-idle: each access pushes the idle deadline, up to the TTL deadline. */
static void test_access_pushes_idle_until_ttl(void **state)
{
    mg_entry *e = fresh();
    mg_expiry_on_write(e, 1000, 1000, 200);   /* ttl deadline 2000, idle 1200 */
    assert_i64(e->expiration_ms, 1200);

    mg_expiry_on_access(e, 1150);
    assert_i64(e->expiration_ms, 1350);
    mg_expiry_on_access(e, 1300);
    assert_i64(e->expiration_ms, 1500);
    mg_expiry_on_access(e, 1700);              /* idle would be 1900 */
    assert_i64(e->expiration_ms, 1900);
    mg_expiry_on_access(e, 1850);              /* idle would be 2050: capped */
    assert_i64(e->expiration_ms, 2000);
    mg_expiry_on_access(e, 1990);
    assert_i64(e->expiration_ms, 2000);
    assert_true(mg_expiry_is_expired(e, 2000));

    /* Idle only: the deadline follows the last access. */
    mg_expiry_on_write(e, 5000, MG_NEVER, 100);
    mg_expiry_on_access(e, 5090);
    assert_i64(e->expiration_ms, 5190);
    assert_false(mg_expiry_is_expired(e, 5189));
    assert_true(mg_expiry_is_expired(e, 5190));

    /* max_idle >= ttl: the TTL deadline rules from the start. */
    mg_expiry_on_write(e, 100, 50, 80);
    assert_i64(e->expiration_ms, 150);
    mg_expiry_on_access(e, 140);
    assert_i64(e->expiration_ms, 150);

    /* Saturation on access. */
    mg_expiry_on_write(e, INT64_MAX - 100, MG_NEVER, 50);
    mg_expiry_on_access(e, INT64_MAX - 20);
    assert_i64(e->expiration_ms, MG_NEVER);
}

/* A write restarts the TTL clock that accesses could not move. */
static void test_write_restarts_clocks(void **state)
{
    mg_entry *e = fresh();
    mg_expiry_on_write(e, 1000, 500, 100);
    mg_expiry_on_access(e, 1050);
    assert_i64(e->expiration_ms, 1150);
    mg_expiry_on_write(e, 1400, 500, 100);
    assert_i64(e->expiration_ms, 1500);
    mg_expiry_on_access(e, 1480);
    assert_i64(e->expiration_ms, 1580);
    mg_expiry_on_access(e, 1850);
    assert_i64(e->expiration_ms, 1900);
}

static void test_is_expired_boundary(void **state)
{
    mg_entry *e = fresh();
    assert_false(mg_expiry_is_expired(e, INT64_MAX - 1));
    assert_false(mg_expiry_is_expired(e, 0));
    e->expiration_ms = 1000;
    assert_false(mg_expiry_is_expired(e, 999));
    assert_true(mg_expiry_is_expired(e, 1000));
    assert_true(mg_expiry_is_expired(e, 1001));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_add_saturates),
        cmocka_unit_test(test_on_write),
        cmocka_unit_test(test_on_access_counts),
        cmocka_unit_test(test_access_never_moves_ttl),
        cmocka_unit_test(test_access_pushes_idle_until_ttl),
        cmocka_unit_test(test_write_restarts_clocks),
        cmocka_unit_test(test_is_expired_boundary),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
