/* test_data_proto.c - replication records of the data plane
 * (src/cluster/data_proto.h): what a copy's records decode to, and that a
 * short or unknown record is refused rather than read past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/data_proto.h"

static void put_rec_head(mg_buf *b, uint8_t kind, const char *map)
{
    mg_bc_put_u8(b, kind);
    mg_bc_put_u16(b, (uint16_t)strlen(map));
    mg_buf_append(b, map, strlen(map));
}

/* A copy of two maps: SIZE, then a PUT, then SIZE of the next map. */
static void test_size_then_put(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    put_rec_head(&b, MG_DP_REC_SIZE, "orders");
    mg_bc_put_u32(&b, 3700);
    put_rec_head(&b, MG_DP_REC_PUT, "orders");
    mg_dp_put_bytes(&b, "\0\0\0\1key:0001", 12);
    mg_bc_put_u32(&b, 7);          /* version */
    mg_bc_put_u16(&b, 0);          /* shape */
    mg_bc_put_u8(&b, 0);           /* no fields */
    mg_dp_put_bytes(&b, "value", 5);
    put_rec_head(&b, MG_DP_REC_SIZE, "users");
    mg_bc_put_u32(&b, 0);

    mg_bc_rd rd;
    mg_bc_rd_init(&rd, b.data, b.len);
    mg_dp_record r;
    assert_true(mg_dp_next_record(&rd, &r));
    assert_int_equal(r.kind, MG_DP_REC_SIZE);
    assert_int_equal(r.count, 3700);
    assert_int_equal(r.name_len, 6);
    assert_memory_equal(r.name, "orders", 6);
    assert_null(r.key);
    assert_true(mg_dp_next_record(&rd, &r));
    assert_int_equal(r.kind, MG_DP_REC_PUT);
    assert_int_equal(r.klen, 12);
    assert_int_equal(r.version, 7);
    assert_int_equal(r.vlen, 5);
    assert_true(mg_dp_next_record(&rd, &r));
    assert_int_equal(r.kind, MG_DP_REC_SIZE);
    assert_int_equal(r.count, 0);
    assert_int_equal(mg_bc_left(&rd), 0);
    mg_buf_free(&b);
}

/* Every prefix of a SIZE record is refused; so is an unknown kind. */
static void test_short_and_unknown(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    put_rec_head(&b, MG_DP_REC_SIZE, "m");
    mg_bc_put_u32(&b, 12);
    for (size_t n = 0; n < b.len; n++) {
        mg_bc_rd rd;
        mg_bc_rd_init(&rd, b.data, n);
        mg_dp_record r;
        assert_false(mg_dp_next_record(&rd, &r));
    }
    b.data[0] = 99;
    mg_bc_rd rd;
    mg_bc_rd_init(&rd, b.data, b.len);
    mg_dp_record r;
    assert_false(mg_dp_next_record(&rd, &r));
    mg_buf_free(&b);
}

/* DROP carries the map name only, like CLEAR: the record after it is read
 * from where the name ends, and a DROP cut anywhere is refused. */
static void test_drop_is_keyless(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    put_rec_head(&b, MG_DP_REC_DROP, "orders");
    put_rec_head(&b, MG_DP_REC_DEL, "orders");
    mg_dp_put_bytes(&b, "\0\0\0\1key:0001", 12);
    size_t drop_len = 1 + 2 + 6;

    mg_bc_rd rd;
    mg_bc_rd_init(&rd, b.data, b.len);
    mg_dp_record r;
    assert_true(mg_dp_next_record(&rd, &r));
    assert_int_equal(r.kind, MG_DP_REC_DROP);
    assert_int_equal(r.name_len, 6);
    assert_memory_equal(r.name, "orders", 6);
    assert_null(r.key);
    assert_int_equal(r.klen, 0);
    assert_int_equal(mg_bc_left(&rd), b.len - drop_len);
    assert_true(mg_dp_next_record(&rd, &r));
    assert_int_equal(r.kind, MG_DP_REC_DEL);
    assert_int_equal(r.klen, 12);
    assert_int_equal(mg_bc_left(&rd), 0);

    for (size_t n = 0; n < drop_len; n++) {
        mg_bc_rd_init(&rd, b.data, n);
        assert_false(mg_dp_next_record(&rd, &r));
    }
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_then_put),
        cmocka_unit_test(test_short_and_unknown),
        cmocka_unit_test(test_drop_is_keyless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
