/* TTL and max-idle rules (imap-semantics.md §2): which value a write uses,
 * which fields an entry needs for it, the deadline derived from them, what
 * an access may move, and saturation at MG_NEVER. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "map/expiry.h"

#define assert_i64(a, b) assert_true((int64_t)(a) == (int64_t)(b))

/* A realistic wall clock (2026), so 48-bit times are exercised as stored. */
#define T0 INT64_C(1780000000000)

/* Expiry never touches key/value bytes: a bare header with the fields of
 * `shape` suffices. */
static mg_entry *fresh(unsigned shape)
{
    static _Alignas(8) uint8_t buf[64];
    memset(buf, 0, sizeof buf);
    mg_entry *e = (mg_entry *)buf;
    e->meta = (uint16_t)shape;
    return e;
}

#define ALL (MG_EF_TTL | MG_EF_IDLE | MG_EF_HITS | MG_EF_UPD | MG_EF_ACC | MG_EF_CRE)

static void test_pick(void **state)
{
    /* Value in the request wins when positive; whole seconds, at least 1. */
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

/* Only what the ttl and max-idle need: nothing for an entry that never
 * expires. */
static void test_shape(void **state)
{
    assert_int_equal(mg_expiry_shape(MG_NEVER, MG_NEVER), 0);
    assert_int_equal(mg_expiry_shape(0, -1), 0);
    assert_int_equal(mg_expiry_shape(5000, MG_NEVER), MG_EF_TTL | MG_EF_UPD);
    assert_int_equal(mg_expiry_shape(MG_NEVER, 3000), MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    assert_int_equal(mg_expiry_shape(5000, 3000), MG_EF_TTL | MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
}

static void test_never_without_fields(void **state)
{
    mg_entry *e = fresh(0);
    assert_i64(mg_expiry_deadline(e), MG_NEVER);
    assert_i64(mg_expiry_ttl(e), MG_NEVER);
    assert_i64(mg_expiry_max_idle(e), MG_NEVER);
    assert_false(mg_expiry_is_expired(e, INT64_MAX - 1));
    /* Writes and accesses on an entry without fields change nothing. */
    mg_expiry_on_write(e, T0, MG_NEVER, MG_NEVER);
    mg_expiry_on_access(e, T0);
    assert_int_equal(e->meta, 0);
    assert_i64(mg_expiry_deadline(e), MG_NEVER);
}

static void test_on_write(void **state)
{
    mg_entry *e = fresh(ALL);
    mg_entry_set_time(e, MG_EF_CRE, 5);
    mg_entry_set_u32(e, MG_EF_HITS, 9);
    e->version = 4;
    mg_entry_set_time(e, MG_EF_ACC, 7);

    mg_expiry_on_write(e, T0, 2000, MG_NEVER);
    assert_i64(mg_entry_time(e, MG_EF_UPD), T0);
    assert_i64(mg_entry_time(e, MG_EF_ACC), 7);   /* a write is not an access */
    assert_i64(mg_expiry_ttl(e), 2000);
    assert_int_equal(mg_entry_u32(e, MG_EF_TTL), 2);   /* stored in seconds */
    /* Not ours to change. */
    assert_i64(mg_entry_time(e, MG_EF_CRE), 5);
    assert_int_equal(mg_entry_u32(e, MG_EF_HITS), 9);
    assert_int_equal(e->version, 4);
}

/* Deadlines are exact to the millisecond from the write: never early. */
static void test_deadline_exact(void **state)
{
    mg_entry *e = fresh(MG_EF_TTL | MG_EF_UPD);
    mg_expiry_on_write(e, T0 + 123, 2000, MG_NEVER);
    assert_i64(mg_expiry_deadline(e), T0 + 2123);
    assert_false(mg_expiry_is_expired(e, T0 + 2122));
    assert_true(mg_expiry_is_expired(e, T0 + 2123));

    /* The nearer of the two deadlines. */
    e = fresh(MG_EF_TTL | MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0, 10000, 3000);
    assert_i64(mg_expiry_deadline(e), T0 + 3000);
    mg_expiry_on_write(e, T0, 3000, 10000);
    assert_i64(mg_expiry_deadline(e), T0 + 3000);

    /* Idle only. */
    e = fresh(MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0, MG_NEVER, 4000);
    assert_i64(mg_expiry_ttl(e), MG_NEVER);
    assert_i64(mg_expiry_deadline(e), T0 + 4000);

    /* Values below a second are raised to one (pick does this; on_write
     * guards direct callers), and the largest finite value is kept. */
    e = fresh(MG_EF_TTL | MG_EF_UPD);
    mg_expiry_on_write(e, T0, 1, MG_NEVER);
    assert_i64(mg_expiry_ttl(e), 1000);
    mg_expiry_on_write(e, T0, (int64_t)(INT_MAX - 1) * 1000, MG_NEVER);
    assert_i64(mg_expiry_ttl(e), (int64_t)(INT_MAX - 1) * 1000);
    assert_i64(mg_expiry_deadline(e), T0 + (int64_t)(INT_MAX - 1) * 1000);
}

static void test_on_access_counts(void **state)
{
    mg_entry *e = fresh(MG_EF_HITS | MG_EF_ACC);
    mg_expiry_on_access(e, T0 + 150);
    mg_expiry_on_access(e, T0 + 170);
    assert_int_equal(mg_entry_u32(e, MG_EF_HITS), 2);
    assert_i64(mg_entry_time(e, MG_EF_ACC), T0 + 170);
    assert_i64(mg_expiry_deadline(e), MG_NEVER);

    mg_entry_set_u32(e, MG_EF_HITS, UINT32_MAX - 1);
    mg_expiry_on_access(e, T0 + 180);
    assert_int_equal(mg_entry_u32(e, MG_EF_HITS), UINT32_MAX);
    mg_expiry_on_access(e, T0 + 190);
    assert_int_equal(mg_entry_u32(e, MG_EF_HITS), UINT32_MAX);

    /* Without HITS, an access still moves ACC; without either, nothing. */
    e = fresh(MG_EF_ACC);
    mg_expiry_on_access(e, T0 + 5);
    assert_i64(mg_entry_time(e, MG_EF_ACC), T0 + 5);
}

/* A TTL-only entry keeps its deadline however often it is read. */
static void test_access_never_moves_ttl(void **state)
{
    mg_entry *e = fresh(MG_EF_TTL | MG_EF_UPD | MG_EF_ACC | MG_EF_HITS);
    mg_expiry_on_write(e, T0, 5000, MG_NEVER);
    for (int64_t t = T0; t < T0 + 5000; t += 250)
        mg_expiry_on_access(e, t);
    assert_i64(mg_expiry_deadline(e), T0 + 5000);
    assert_false(mg_expiry_is_expired(e, T0 + 4999));
    assert_true(mg_expiry_is_expired(e, T0 + 5000));
}

/* Max-idle: each access pushes the idle deadline, up to the TTL deadline. */
static void test_access_pushes_idle_until_ttl(void **state)
{
    mg_entry *e = fresh(MG_EF_TTL | MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0, 10000, 2000);   /* ttl deadline +10000, idle +2000 */
    assert_i64(mg_expiry_deadline(e), T0 + 2000);

    mg_expiry_on_access(e, T0 + 1500);
    assert_i64(mg_expiry_deadline(e), T0 + 3500);
    mg_expiry_on_access(e, T0 + 3000);
    assert_i64(mg_expiry_deadline(e), T0 + 5000);
    mg_expiry_on_access(e, T0 + 7000);        /* idle would be 9000 */
    assert_i64(mg_expiry_deadline(e), T0 + 9000);
    mg_expiry_on_access(e, T0 + 8500);        /* idle would be 10500: capped */
    assert_i64(mg_expiry_deadline(e), T0 + 10000);
    mg_expiry_on_access(e, T0 + 9900);
    assert_i64(mg_expiry_deadline(e), T0 + 10000);
    assert_true(mg_expiry_is_expired(e, T0 + 10000));

    /* Idle only: the deadline follows the last access. */
    e = fresh(MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0 + 50000, MG_NEVER, 1000);
    mg_expiry_on_access(e, T0 + 50900);
    assert_i64(mg_expiry_deadline(e), T0 + 51900);
    assert_false(mg_expiry_is_expired(e, T0 + 51899));
    assert_true(mg_expiry_is_expired(e, T0 + 51900));

    /* max_idle >= ttl: the TTL deadline rules from the start. */
    e = fresh(MG_EF_TTL | MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0, 5000, 8000);
    assert_i64(mg_expiry_deadline(e), T0 + 5000);
    mg_expiry_on_access(e, T0 + 4000);
    assert_i64(mg_expiry_deadline(e), T0 + 5000);
}

/* A write restarts the TTL clock that accesses could not move, and the idle
 * clock from the write even when the last access was earlier. */
static void test_write_restarts_clocks(void **state)
{
    mg_entry *e = fresh(MG_EF_TTL | MG_EF_IDLE | MG_EF_UPD | MG_EF_ACC);
    mg_expiry_on_write(e, T0, 5000, 1000);
    mg_expiry_on_access(e, T0 + 500);
    assert_i64(mg_expiry_deadline(e), T0 + 1500);
    mg_expiry_on_write(e, T0 + 4000, 5000, 1000);
    assert_i64(mg_expiry_deadline(e), T0 + 5000);
    mg_expiry_on_access(e, T0 + 4800);
    assert_i64(mg_expiry_deadline(e), T0 + 5800);
    mg_expiry_on_access(e, T0 + 8500);
    assert_i64(mg_expiry_deadline(e), T0 + 9000);
}

static void test_is_expired_boundary(void **state)
{
    mg_entry *e = fresh(MG_EF_TTL | MG_EF_UPD);
    mg_expiry_on_write(e, T0, 1000, MG_NEVER);
    assert_false(mg_expiry_is_expired(e, T0 + 999));
    assert_true(mg_expiry_is_expired(e, T0 + 1000));
    assert_true(mg_expiry_is_expired(e, T0 + 1001));
    assert_false(mg_expiry_is_expired(fresh(0), 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_add_saturates),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_never_without_fields),
        cmocka_unit_test(test_on_write),
        cmocka_unit_test(test_deadline_exact),
        cmocka_unit_test(test_on_access_counts),
        cmocka_unit_test(test_access_never_moves_ttl),
        cmocka_unit_test(test_access_pushes_idle_until_ttl),
        cmocka_unit_test(test_write_restarts_clocks),
        cmocka_unit_test(test_is_expired_boundary),
    };
    return cmocka_run_group_tests_name("expiry", tests, NULL, NULL);
}
