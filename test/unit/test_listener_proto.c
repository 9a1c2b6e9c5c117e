/* The member frames of cluster-wide entry listeners (LISTEN_ADD,
 * LISTEN_REMOVE, LISTEN_ACK, EVENT: cluster/listener_proto.h): bytes
 * pinned, round trips, every truncation malformed (from exact-size heap
 * copies, so ASan sees any overread), trailing bytes ignored, lengths that
 * point past the frame, and the rules a well-framed message can still
 * break. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster/listener_proto.h"
#include "hex.h"
#include "util/buf.h"
#include "util/rand.h"

static const mg_uuid SENDER = {.msb = 0x0102030405060708LL, .lsb = 0x090a0b0c0d0e0f10LL};
static const mg_uuid REG = {.msb = 0x1112131415161718LL, .lsb = 0x191a1b1c1d1e1f20LL};

/* A serialized Data key: 4-byte partition hash, 4-byte type, payload. */
static const uint8_t KEY[] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 'k', 'e', 'y'};
static const uint8_t VALUE[] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 'v', '1'};
static const uint8_t OLD[] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 'v', '0'};

static mg_bytes B(const void *p, size_t n) { return (mg_bytes){p, n}; }
static mg_bytes NONE(void) { return (mg_bytes){NULL, 0}; }

static mg_lp_add example_add(void)
{
    return (mg_lp_add){.req = 7, .id = REG, .sub_worker = 1, .flags = 0x47, .include_value = true,
                       .name = B("cache", 5), .key = B(KEY, sizeof KEY)};
}

static mg_lp_event example_event(void)
{
    return (mg_lp_event){.sub_worker = 3, .id = REG, .name = B("cache", 5), .partition = 155, .type = 4,
                         .affected = 1, .key = B(KEY, sizeof KEY), .value = B(VALUE, sizeof VALUE),
                         .old_value = B(OLD, sizeof OLD)};
}

/* Decodes frame[0..len) as its type; the frame is copied to a heap block
 * of exactly len bytes first. */
typedef union decoded {
    mg_lp_add add;
    mg_lp_remove rm;
    uint64_t ack;
    mg_lp_event ev;
} decoded;

static int decode_copy(const uint8_t *frame, size_t len, uint8_t **copy, decoded *out)
{
    *copy = malloc(len ? len : 1);
    memcpy(*copy, frame, len);
    mg_dp_frame f;
    if (mg_dp_open(*copy, len, &f) != 0)
        return -1;
    switch (f.type) {
    case MG_DP_LISTEN_ADD: return mg_lp_add_decode(&f, &out->add);
    case MG_DP_LISTEN_REMOVE: return mg_lp_remove_decode(&f, &out->rm);
    case MG_DP_LISTEN_ACK: return mg_lp_ack_decode(&f, &out->ack);
    case MG_DP_EVENT: return mg_lp_event_decode(&f, &out->ev);
    default: return -2;
    }
}

static int decode(const mg_buf *b, decoded *out)
{
    uint8_t *copy;
    int rc = decode_copy(b->data, b->len, &copy, out);
    free(copy);
    return rc;
}

static void assert_bytes(mg_bytes got, mg_bytes want)
{
    if (!want.ptr) {
        assert_null(got.ptr);
        return;
    }
    assert_non_null(got.ptr);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ptr, want.ptr, want.len);
}

/* ---- bytes pinned: a change here is a protocol change ------------------------ */

static void test_ack_bytes(void **state)
{
    (void)state;
    mg_buf b, want;
    mg_buf_init(&b);
    mg_buf_init(&want);
    mg_lp_ack_encode(&b, &SENDER, 0x0102030405060708ULL);
    hex_append(&want, "4d475244 01 2b 0000 18000000"           /* MGRD, v1, type 43, flags, 24 bytes */
                      "0807060504030201 100f0e0d0c0b0a09"     /* sender */
                      "0807060504030201");                    /* request id */
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, want.len);
    mg_buf_free(&b);
    mg_buf_free(&want);
}

static void test_map_wide_event_bytes(void **state)
{
    (void)state;
    mg_lp_event e = {.sub_worker = 1, .id = REG, .name = B("m", 1), .partition = -1, .type = 64,
                     .affected = 3, .key = NONE(), .value = NONE(), .old_value = NONE()};
    mg_buf b, want;
    mg_buf_init(&b);
    mg_buf_init(&want);
    mg_lp_event_encode(&b, &SENDER, &e);
    hex_append(&want, "4d475244 01 2c 0000 38000000"           /* type 44, 56 bytes */
                      "0807060504030201 100f0e0d0c0b0a09"     /* sender */
                      "01000000"                              /* subscriber worker */
                      "1817161514131211 201f1e1d1c1b1a19"     /* registration id */
                      "01000000 6d"                           /* map name "m" */
                      "ffffffff 40000000 03000000"            /* partition -1, CLEAR_ALL, 3 entries */
                      "00 00 00");                            /* no key, value, old value */
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, want.len);
    decoded d;
    assert_int_equal(decode(&b, &d), 0);
    assert_int_equal(d.ev.partition, -1);
    assert_int_equal(d.ev.type, 64);
    assert_int_equal(d.ev.affected, 3);
    assert_null(d.ev.key.ptr);
    assert_null(d.ev.value.ptr);
    assert_null(d.ev.old_value.ptr);
    mg_buf_free(&b);
    mg_buf_free(&want);
}

/* ---- round trips ---------------------------------------------------------------- */

static void test_add_round_trip(void **state)
{
    (void)state;
    for (int with_key = 0; with_key < 2; with_key++) {
        mg_lp_add a = example_add();
        if (!with_key)
            a.key = NONE();
        mg_buf b;
        mg_buf_init(&b);
        mg_lp_add_encode(&b, &SENDER, &a);
        uint8_t *copy;
        decoded d;
        assert_int_equal(decode_copy(b.data, b.len, &copy, &d), 0);
        assert_int_equal(d.add.req, 7);
        assert_true(mg_uuid_eq(&d.add.id, &REG));
        assert_int_equal(d.add.sub_worker, 1);
        assert_int_equal(d.add.flags, 0x47);
        assert_true(d.add.include_value);
        assert_bytes(d.add.name, B("cache", 5));
        assert_bytes(d.add.key, with_key ? B(KEY, sizeof KEY) : NONE());
        free(copy);
        mg_buf_free(&b);
    }
}

static void test_remove_and_ack_round_trip(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_remove rm = {.req = 0, .id = REG};
    mg_lp_remove_encode(&b, &SENDER, &rm);
    decoded d;
    assert_int_equal(decode(&b, &d), 0);
    assert_int_equal(d.rm.req, 0);
    assert_true(mg_uuid_eq(&d.rm.id, &REG));
    mg_buf_reset(&b);
    mg_lp_ack_encode(&b, &SENDER, UINT64_MAX);
    assert_int_equal(decode(&b, &d), 0);
    assert_true(d.ack == UINT64_MAX);
    mg_buf_free(&b);
}

static void test_event_round_trip(void **state)
{
    (void)state;
    /* with and without the values (a listener without includeValue) */
    for (int values = 0; values < 2; values++) {
        mg_lp_event e = example_event();
        if (!values)
            e.value = e.old_value = NONE();
        mg_buf b;
        mg_buf_init(&b);
        mg_lp_event_encode(&b, &SENDER, &e);
        uint8_t *copy;
        decoded d;
        assert_int_equal(decode_copy(b.data, b.len, &copy, &d), 0);
        mg_dp_frame f;
        assert_int_equal(mg_dp_open(copy, b.len, &f), 0);
        assert_true(mg_uuid_eq(&f.sender, &SENDER));
        assert_int_equal(d.ev.sub_worker, 3);
        assert_true(mg_uuid_eq(&d.ev.id, &REG));
        assert_bytes(d.ev.name, B("cache", 5));
        assert_int_equal(d.ev.partition, 155);
        assert_int_equal(d.ev.type, 4);
        assert_int_equal(d.ev.affected, 1);
        assert_bytes(d.ev.key, B(KEY, sizeof KEY));
        assert_bytes(d.ev.value, values ? B(VALUE, sizeof VALUE) : NONE());
        assert_bytes(d.ev.old_value, values ? B(OLD, sizeof OLD) : NONE());
        free(copy);
        mg_buf_free(&b);
    }
}

/* An empty value is present, not absent. */
static void test_empty_value_is_present(void **state)
{
    (void)state;
    mg_lp_event e = example_event();
    e.value = B(VALUE, 0);
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_event_encode(&b, &SENDER, &e);
    decoded d;
    uint8_t *copy;
    assert_int_equal(decode_copy(b.data, b.len, &copy, &d), 0);
    assert_non_null(d.ev.value.ptr);
    assert_int_equal(d.ev.value.len, 0);
    free(copy);
    mg_buf_free(&b);
}

/* ---- malformed input ---------------------------------------------------------------- */

/* One example frame of each type. */
static void encode_example(mg_buf *b, int i)
{
    mg_lp_add a = example_add();
    mg_lp_remove rm = {.req = 9, .id = REG};
    mg_lp_event e = example_event();
    switch (i) {
    case 0: mg_lp_add_encode(b, &SENDER, &a); break;
    case 1: mg_lp_remove_encode(b, &SENDER, &rm); break;
    case 2: mg_lp_ack_encode(b, &SENDER, 9); break;
    default: mg_lp_event_encode(b, &SENDER, &e); break;
    }
}

/* Cut at every length, with the header's body length saying so, as a
 * frame that was written that short would: never decodes, never reads
 * past the cut. */
static void test_every_truncation_is_malformed(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        mg_buf b;
        mg_buf_init(&b);
        encode_example(&b, i);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, b.data, cut);
            if (cut >= MG_MP_HEADER)
                mg_put_u32(copy + 8, (uint32_t)(cut - MG_MP_HEADER));
            decoded d;
            uint8_t *again;
            int rc = decode_copy(copy, cut, &again, &d);
            free(again);
            free(copy);
            if (rc == 0)
                fail_msg("example %d decoded when cut to %zu of %zu bytes", i, cut, b.len);
        }
        mg_buf_free(&b);
    }
}

/* Fields appended by a newer member are skipped. */
static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        mg_buf b;
        mg_buf_init(&b);
        encode_example(&b, i);
        hex_append(&b, "deadbeef 00");
        mg_put_u32(b.data + 8, (uint32_t)(b.len - MG_MP_HEADER));
        decoded d;
        assert_int_equal(decode(&b, &d), 0);
        mg_buf_free(&b);
    }
}

/* A length field pointing past the end of the frame. */
static void test_lengths_past_the_end(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    encode_example(&b, 0);
    /* LISTEN_ADD: the map name's length sits after 16 + 8 + 16 + 4 + 4 + 1 bytes of body */
    size_t name_len_at = MG_MP_HEADER + 16 + 8 + 16 + 4 + 4 + 1;
    assert_int_equal(mg_get_u32(b.data + name_len_at), 5);
    mg_put_u32(b.data + name_len_at, 0xffffffffu);
    decoded d;
    assert_int_equal(decode(&b, &d), -1);
    mg_put_u32(b.data + name_len_at, 5 + 4 + (uint32_t)sizeof KEY + 1);   /* one past the key */
    assert_int_equal(decode(&b, &d), -1);
    mg_buf_reset(&b);
    encode_example(&b, 3);
    /* EVENT: the last field is the old value's length and bytes */
    size_t old_len_at = b.len - sizeof OLD - 4;
    assert_int_equal(mg_get_u32(b.data + old_len_at), sizeof OLD);
    mg_put_u32(b.data + old_len_at, (uint32_t)sizeof OLD + 1);
    assert_int_equal(decode(&b, &d), -1);
    mg_buf_free(&b);
}

static int decode_event(const mg_lp_event *e)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_event_encode(&b, &SENDER, e);
    decoded d;
    int rc = decode(&b, &d);
    mg_buf_free(&b);
    return rc;
}

static int decode_add(const mg_lp_add *a)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_add_encode(&b, &SENDER, a);
    decoded d;
    int rc = decode(&b, &d);
    mg_buf_free(&b);
    return rc;
}

/* Well framed, but no member writes it. */
static void test_broken_rules_are_malformed(void **state)
{
    (void)state;
    mg_lp_event e = example_event();
    e.partition = -1;                        /* a key without a partition */
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.key = NONE();                          /* a partition without a key */
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.partition = -2;
    e.key = NONE();
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.key = B(KEY, 7);                       /* shorter than a Data header */
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.type = 0;
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.sub_worker = -1;
    assert_int_equal(decode_event(&e), -1);
    e = example_event();
    e.affected = -5;
    assert_int_equal(decode_event(&e), -1);

    mg_lp_add a = example_add();
    a.key = B(KEY, 4);
    assert_int_equal(decode_add(&a), -1);
    a = example_add();
    a.sub_worker = -3;
    assert_int_equal(decode_add(&a), -1);

    /* a presence or include-value byte other than 0/1 */
    mg_buf b;
    mg_buf_init(&b);
    encode_example(&b, 0);
    size_t include_at = MG_MP_HEADER + 16 + 8 + 16 + 4 + 4;
    assert_int_equal(b.data[include_at], 1);
    b.data[include_at] = 2;
    decoded d;
    assert_int_equal(decode(&b, &d), -1);
    mg_buf_reset(&b);
    e = example_event();
    e.value = e.old_value = NONE();
    mg_lp_event_encode(&b, &SENDER, &e);
    b.data[b.len - 1] = 7;                   /* old value "present" flag */
    assert_int_equal(decode(&b, &d), -1);
    mg_buf_free(&b);
}

/* Each decoder refuses another type's frame. */
static void test_wrong_type_refused(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    mg_lp_ack_encode(&b, &SENDER, 1);
    mg_dp_frame f;
    assert_int_equal(mg_dp_open(b.data, b.len, &f), 0);
    mg_lp_add a;
    mg_lp_remove rm;
    mg_lp_event e;
    uint64_t req;
    assert_int_equal(mg_lp_add_decode(&f, &a), -1);
    assert_int_equal(mg_lp_remove_decode(&f, &rm), -1);
    assert_int_equal(mg_lp_event_decode(&f, &e), -1);
    assert_int_equal(mg_lp_ack_decode(&f, &req), 0);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_bytes),
        cmocka_unit_test(test_map_wide_event_bytes),
        cmocka_unit_test(test_add_round_trip),
        cmocka_unit_test(test_remove_and_ack_round_trip),
        cmocka_unit_test(test_event_round_trip),
        cmocka_unit_test(test_empty_value_is_present),
        cmocka_unit_test(test_every_truncation_is_malformed),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_lengths_past_the_end),
        cmocka_unit_test(test_broken_rules_are_malformed),
        cmocka_unit_test(test_wrong_type_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
