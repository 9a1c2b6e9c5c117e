/* Unit tests of src/proto/frame.c: stream framing, the bounds-checked reader
 * and the frame writer.  Byte vectors come from docs/client-protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hex.h"
#include "proto/frame.h"

/* §4.5: Client.Ping request, corr 7, as Node 5.7 sends it (BACKUP_AWARE). */
#define PING_REQ "16 00 00 00 00 e1 00 0b 00 00 07 00 00 00 00 00 00 00 ff ff ff ff"

/* §4.5: Map.Put("m", "k", "v", threadId 0, ttl -1), corr 6, partition 41. */
#define MAP_PUT_REQ                                                       \
    "26 00 00 00 00 c1  00 01 01 00  06 00 00 00 00 00 00 00  29 00 00 00" \
    "00 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff"                     \
    "07 00 00 00 00 00  6d"                                               \
    "13 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 01 6b"           \
    "13 00 00 00 00 20  00 00 00 00 ff ff ff f5 00 00 00 01 76"

static void assert_buf_equal_hex(const mg_buf *got, const char *want_hex)
{
    mg_buf want;
    mg_buf_init(&want);
    hex_append(&want, want_hex);
    assert_int_equal(got->len, want.len);
    assert_memory_equal(got->data, want.data, want.len);
    mg_buf_free(&want);
}

/* --- mg_msg_scan ------------------------------------------------------------ */

static void scan_single_frame_message(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, PING_REQ);
    size_t n = 0;
    assert_int_equal(mg_msg_scan(b.data, b.len, 1 << 20, &n), 1);
    assert_int_equal(n, 22);
    mg_buf_free(&b);
}

static void scan_needs_every_byte(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, MAP_PUT_REQ);
    size_t n = 0;
    for (size_t len = 0; len < b.len; len++)
        assert_int_equal(mg_msg_scan(b.data, len, 1 << 20, &n), 0);
    assert_int_equal(mg_msg_scan(b.data, b.len, 1 << 20, &n), 1);
    assert_int_equal(n, b.len);
    mg_buf_free(&b);
}

static void scan_stops_at_first_final(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, MAP_PUT_REQ);
    size_t first = b.len;
    hex_append(&b, PING_REQ);
    size_t n = 0;
    assert_int_equal(mg_msg_scan(b.data, b.len, 1 << 20, &n), 1);
    assert_int_equal(n, first);
    assert_int_equal(mg_msg_scan(b.data + n, b.len - n, 1 << 20, &n), 1);
    assert_int_equal(n, 22);
    mg_buf_free(&b);
}

static void scan_rejects_bad_lengths(void **state)
{
    /* Below the header size, zero, negative, INT32_MIN. */
    static const char *bad[] = {
        "05 00 00 00 00 20", "00 00 00 00 00 20", "ff ff ff ff 00 20", "00 00 00 80 00 20",
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mg_buf b;
        mg_buf_init(&b);
        hex_append(&b, bad[i]);
        assert_int_equal(mg_msg_scan(b.data, b.len, 1 << 20, &n), MG_EPROTO);
        mg_buf_free(&b);
    }
}

static void scan_enforces_max_msg(void **state)
{
    size_t n = 0;
    mg_buf b;
    mg_buf_init(&b);
    /* INT32_MAX announced with 6 bytes present: too big, not "need more". */
    hex_append(&b, "ff ff ff 7f 00 20");
    assert_int_equal(mg_msg_scan(b.data, b.len, 1 << 20, &n), MG_EPROTO);
    mg_buf_reset(&b);
    hex_append(&b, MAP_PUT_REQ);
    assert_int_equal(mg_msg_scan(b.data, b.len, b.len, &n), 1);
    assert_int_equal(mg_msg_scan(b.data, b.len, b.len - 1, &n), MG_EPROTO);
    /* No FINAL and the limit is used up: no further frame could fit. */
    mg_buf_reset(&b);
    hex_append(&b, "07 00 00 00 00 00 6d");
    assert_int_equal(mg_msg_scan(b.data, b.len, 7, &n), MG_EPROTO);
    assert_int_equal(mg_msg_scan(b.data, b.len, 13, &n), 0);
    mg_buf_free(&b);
}

/* --- reader ------------------------------------------------------------------ */

static void read_request_header(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, PING_REQ);
    mg_rd r;
    mg_req_hdr h;
    mg_frame f0;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_request_header(&r, &h, &f0), 0);
    assert_int_equal(h.type, 0x000B00);
    assert_int_equal(h.corr, 7);
    assert_int_equal(h.partition, -1);
    assert_int_equal(h.flags, 0xE100);
    assert_int_equal(f0.len, 16);
    assert_false(mg_rd_has_more(&r));
    mg_buf_free(&b);
}

static void read_short_initial_frame_fails(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "15 00 00 00 00 e0 00 0b 00 00 07 00 00 00 00 00 00 00 ff ff ff");
    mg_req_hdr h;
    assert_int_equal(mg_msg_peek_header(b.data, b.len, &h), MG_EPROTO);
    assert_int_equal(mg_msg_peek_header(NULL, 0, &h), MG_EPROTO);
    mg_buf_free(&b);
}

static void read_lying_frame_fails_and_sticks(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    /* Second frame claims 0x20 bytes but only 7 remain. */
    hex_append(&b, "07 00 00 00 00 00 6d  20 00 00 00 00 20 6b");
    mg_rd r;
    mg_bytes v;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_bytes(&r, &v), 0);
    assert_int_equal(v.len, 1);
    assert_int_equal(v.ptr[0], 'm');
    assert_true(mg_rd_has_more(&r));
    assert_int_equal(mg_rd_bytes(&r, &v), MG_EPROTO);
    assert_true(r.failed);
    assert_false(mg_rd_has_more(&r));
    mg_frame f;
    assert_int_equal(mg_rd_peek(&r, &f), MG_EPROTO);
    mg_buf_free(&b);
}

static void read_stops_after_final(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "07 00 00 00 00 20 6d  07 00 00 00 00 20 6e");
    mg_rd r;
    mg_bytes v;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_bytes(&r, &v), 0);
    assert_false(mg_rd_has_more(&r));
    assert_int_equal(mg_rd_bytes(&r, &v), MG_EPROTO);
    mg_buf_free(&b);
}

static void fixed_fields_are_bounds_checked(void **state)
{
    uint8_t c[17] = { 0, 0x33, 0x33, 0x22, 0x22, 0x11, 0x11, 0x11, 0x11,
                      0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x44, 0x44 };
    mg_frame f = { c, sizeof c, 0 };
    mg_uuid u;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    bool bo;
    assert_true(mg_fr_uuid(&f, 0, &u));
    assert_false(u.is_null);
    assert_int_equal(u.msb, 0x1111111122223333LL);
    assert_int_equal(u.lsb, 0x4444555555555555LL);
    assert_false(mg_fr_uuid(&f, 1, &u));
    assert_true(mg_fr_i32(&f, 13, &i32));
    assert_false(mg_fr_i32(&f, 14, &i32));
    assert_false(mg_fr_i32(&f, SIZE_MAX - 1, &i32));
    assert_true(mg_fr_i64(&f, 9, &i64));
    assert_false(mg_fr_i64(&f, 10, &i64));
    assert_true(mg_fr_u8(&f, 16, &u8));
    assert_false(mg_fr_u8(&f, 17, &u8));
    c[0] = 2; /* booleans are "== 1" */
    assert_true(mg_fr_bool(&f, 0, &bo));
    assert_false(bo);
    c[0] = 1;
    assert_true(mg_fr_bool(&f, 0, &bo));
    assert_true(bo);
    assert_true(mg_fr_uuid(&f, 0, &u));
    assert_true(u.is_null);
    assert_int_equal(u.msb, 0);
}

static void nullable_bytes_and_lists(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    /* NULL | BEGIN "a" NULL "bc" END | BEGIN END */
    hex_append(&b, "06 00 00 00 00 04"
                   "06 00 00 00 00 10  07 00 00 00 00 00 61  06 00 00 00 00 04"
                   "08 00 00 00 00 00 62 63  06 00 00 00 00 08"
                   "06 00 00 00 00 10  06 00 00 00 00 28");
    mg_rd r;
    mg_bytes v;
    mg_rd_init(&r, b.data, b.len);
    assert_true(mg_rd_next_is_null(&r));
    assert_int_equal(mg_rd_bytes(&(mg_rd){ r.p, r.len, r.off, false }, &v), MG_EPROTO);
    assert_int_equal(mg_rd_nullable_bytes(&r, &v), 0);
    assert_null(v.ptr);

    mg_rd save = r;
    mg_list l;
    assert_int_equal(mg_rd_list(&r, MG_ELEM_BYTES, 1, &l), MG_EPROTO);
    r = save;
    assert_int_equal(mg_rd_list(&r, MG_ELEM_NULLABLE_BYTES, 1, &l), 0);
    assert_int_equal(l.count, 3);
    mg_rd it;
    mg_rd_init(&it, l.p, l.len);
    assert_int_equal(mg_rd_nullable_bytes(&it, &v), 0);
    assert_memory_equal(v.ptr, "a", 1);
    assert_int_equal(mg_rd_nullable_bytes(&it, &v), 0);
    assert_null(v.ptr);
    assert_int_equal(mg_rd_nullable_bytes(&it, &v), 0);
    assert_int_equal(v.len, 2);
    assert_false(mg_rd_has_more(&it));

    assert_int_equal(mg_rd_list(&r, MG_ELEM_BYTES, 1, &l), 0);
    assert_int_equal(l.count, 0);
    assert_non_null(l.p);
    assert_false(mg_rd_has_more(&r));
    mg_buf_free(&b);
}

static void list_iterator(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "06 00 00 00 00 10  07 00 00 00 00 00 61  06 00 00 00 00 28");
    mg_rd r;
    mg_bytes v;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_list_begin(&r), 0);
    assert_int_equal(mg_rd_list_next_bytes(&r, &v), 1);
    assert_int_equal(mg_rd_list_next_bytes(&r, &v), 0);
    assert_int_equal(mg_rd_list_begin(&r), MG_EPROTO);
    mg_buf_free(&b);
}

static void pairs_must_be_even_and_structures_skip(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    /* BEGIN k v k END  |  BEGIN [BEGIN x BEGIN END END] y END */
    hex_append(&b, "06 00 00 00 00 10  07 00 00 00 00 00 61  07 00 00 00 00 00 62"
                   "07 00 00 00 00 00 63  06 00 00 00 00 08");
    size_t odd_end = b.len;
    hex_append(&b, "06 00 00 00 00 10  06 00 00 00 00 10  07 00 00 00 00 00 78"
                   "06 00 00 00 00 10  06 00 00 00 00 08  06 00 00 00 00 08"
                   "07 00 00 00 00 00 79  06 00 00 00 00 28");
    mg_rd r;
    mg_list l;
    mg_rd_init(&r, b.data, odd_end);
    assert_int_equal(mg_rd_list(&r, MG_ELEM_BYTES, 2, &l), MG_EPROTO);
    mg_rd_init(&r, b.data + odd_end, b.len - odd_end);
    mg_rd save = r;
    assert_int_equal(mg_rd_list(&r, MG_ELEM_BYTES, 1, &l), MG_EPROTO);
    r = save;
    assert_int_equal(mg_rd_list(&r, MG_ELEM_ANY, 1, &l), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(mg_rd_list(&r, MG_ELEM_ANY, 1, &l), MG_EPROTO);
    mg_buf_free(&b);
}

static void unterminated_structure_fails(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "06 00 00 00 00 10  06 00 00 00 00 10  07 00 00 00 00 20 61");
    mg_rd r;
    mg_list l;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_list(&r, MG_ELEM_ANY, 1, &l), MG_EPROTO);
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_list_begin(&r), 0);
    assert_int_equal(mg_rd_fast_forward(&r), MG_EPROTO);
    mg_buf_free(&b);
}

static void fixed_lists(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "0e 00 00 00 00 00  01 00 00 00 ff ff ff ff  09 00 00 00 00 00 01 02 03"
                   "06 00 00 00 00 24");
    mg_rd r;
    mg_list l;
    int32_t v;
    int64_t v64;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_fixed_list(&r, 4, &l), 0);
    assert_int_equal(l.count, 2);
    assert_true(mg_list_i32(&l, 1, &v));
    assert_int_equal(v, -1);
    assert_false(mg_list_i32(&l, 2, &v));
    assert_false(mg_list_i32(&l, SIZE_MAX / 2, &v));
    assert_true(mg_list_i64(&l, 0, &v64));
    assert_false(mg_list_i64(&l, 1, &v64));
    mg_rd save = r;
    assert_int_equal(mg_rd_fixed_list(&r, 4, &l), MG_EPROTO);
    r = save;
    assert_int_equal(mg_rd_fixed_list(&r, 3, &l), 0);
    assert_int_equal(mg_rd_nullable_fixed_list(&r, 17, &l), 0);
    assert_null(l.p);
    assert_false(mg_list_uuid(&l, 0, &(mg_uuid){ 0 }));
    mg_buf_free(&b);
}

/* --- writer ------------------------------------------------------------------ */

static void write_empty_ping_response(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_wr_response(&w, 0x000B01, 4, 0);
    mg_wr_end(&w);
    /* §4.5 */
    assert_buf_equal_hex(&b, "13 00 00 00 00 e0 01 0b 00 00 04 00 00 00 00 00 00 00 00");
    mg_buf_free(&b);
}

static void write_appends_to_existing_data(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_buf_append(&b, "xyz", 3);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_wr_response(&w, 0x000B01, 4, 0);
    mg_wr_null(&w);
    mg_wr_end(&w);
    assert_buf_equal_hex(&b, "78 79 7a  13 00 00 00 00 c0 01 0b 00 00 04 00 00 00 00 00 00 00 00"
                             "06 00 00 00 00 24");
    mg_buf_free(&b);
}

static void write_uuid_and_address(void **state)
{
    uint8_t p[17];
    mg_uuid u = { 0x1111111122223333LL, 0x4444555555555555LL, false };
    mg_enc_uuid(p, &u);
    mg_buf got;
    mg_buf_init(&got);
    mg_buf_append(&got, p, sizeof p);
    /* §5.1 */
    assert_buf_equal_hex(&got, "00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44");
    mg_enc_uuid(p, NULL);
    assert_int_equal(p[0], 1);

    /* §5.3 Address 127.0.0.1:5701, by hand with the primitives. */
    mg_buf_reset(&got);
    mg_wr w;
    mg_wr_init(&w, &got);
    mg_wr_begin(&w);
    mg_enc_i32(mg_wr_frame(&w, 0, 4), 5701);
    mg_wr_bytes(&w, "127.0.0.1", 9);
    mg_wr_end_ds(&w);
    assert_buf_equal_hex(&got, "06 00 00 00 00 10 | 0a 00 00 00 00 00 45 16 00 00 |"
                               "0f 00 00 00 00 00 31 32 37 2e 30 2e 30 2e 31 | 06 00 00 00 00 08");
    mg_buf_free(&got);
}

static void write_lists(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_bytes kv[2] = { { (const uint8_t *)"k", 1 }, { NULL, 0 } };
    int32_t ints[2] = { 1, -1 };
    mg_wr_bytes_pairs(&w, kv, 1);
    mg_wr_nullable_bytes_list(&w, kv, 2);
    mg_wr_i32_list(&w, ints, 2);
    mg_wr_bytes_list(&w, NULL, 0);
    mg_wr_end(&w);
    assert_buf_equal_hex(&b, "06 00 00 00 00 10  07 00 00 00 00 00 6b  06 00 00 00 00 00"
                             "06 00 00 00 00 08"
                             "06 00 00 00 00 10  07 00 00 00 00 00 6b  06 00 00 00 00 04"
                             "06 00 00 00 00 08"
                             "0e 00 00 00 00 00  01 00 00 00 ff ff ff ff"
                             "06 00 00 00 00 10  06 00 00 00 00 28");
    mg_buf_free(&b);
}

static void write_partition_table(void **state)
{
    /* §9.3: one member owning 0..270. */
    int32_t ids[271];
    for (int i = 0; i < 271; i++)
        ids[i] = i;
    const int32_t *lists[1] = { ids };
    size_t lens[1] = { 271 };
    mg_uuid owner = { 0x1111111122223333LL, 0x4444555555555555LL, false };
    mg_uuid_i32_lists t = { &owner, lists, lens, 1 };
    mg_buf b;
    mg_buf_init(&b);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_wr_uuid_i32_lists_fn(&w, &t);
    mg_wr_end(&w);

    mg_rd r;
    mg_frame f;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.flags, MG_F_BEGIN_DS);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.len, 1084);
    assert_int_equal(mg_get_u32(f.content + 4 * 270), 270);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.flags, MG_F_END_DS);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.flags, MG_F_FINAL);
    assert_int_equal(f.len, 17);
    assert_false(mg_rd_has_more(&r));

    mg_buf_reset(&b);
    mg_wr_init(&w, &b);
    mg_wr_uuid_i32_lists_fn(&w, NULL);
    assert_buf_equal_hex(&b, "06 00 00 00 00 10  06 00 00 00 00 08  06 00 00 00 00 00");
    mg_buf_free(&b);
}

static void write_end_without_frames_is_noop(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_wr_end(&w);
    assert_int_equal(b.len, 0);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest scan[] = {
        cmocka_unit_test(scan_single_frame_message),
        cmocka_unit_test(scan_needs_every_byte),
        cmocka_unit_test(scan_stops_at_first_final),
        cmocka_unit_test(scan_rejects_bad_lengths),
        cmocka_unit_test(scan_enforces_max_msg),
    };
    const struct CMUnitTest reader[] = {
        cmocka_unit_test(read_request_header),
        cmocka_unit_test(read_short_initial_frame_fails),
        cmocka_unit_test(read_lying_frame_fails_and_sticks),
        cmocka_unit_test(read_stops_after_final),
        cmocka_unit_test(fixed_fields_are_bounds_checked),
        cmocka_unit_test(nullable_bytes_and_lists),
        cmocka_unit_test(list_iterator),
        cmocka_unit_test(pairs_must_be_even_and_structures_skip),
        cmocka_unit_test(unterminated_structure_fails),
        cmocka_unit_test(fixed_lists),
    };
    const struct CMUnitTest writer[] = {
        cmocka_unit_test(write_empty_ping_response),
        cmocka_unit_test(write_appends_to_existing_data),
        cmocka_unit_test(write_uuid_and_address),
        cmocka_unit_test(write_lists),
        cmocka_unit_test(write_partition_table),
        cmocka_unit_test(write_end_without_frames_is_noop),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("frame/scan", scan, NULL, NULL);
    failed += cmocka_run_group_tests_name("frame/reader", reader, NULL, NULL);
    failed += cmocka_run_group_tests_name("frame/writer", writer, NULL, NULL);
    return failed ? 1 : 0;
}
