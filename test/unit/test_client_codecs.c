/* Unit tests of the client-side codecs (src/proto/codecs/client, generated
 * by tools/gen_codecs.py for memgrid-bench): requests must be byte-for-byte
 * what the protocol document shows and decode with the member's own
 * decoders; answers and events the member encodes must decode back to the
 * same values; a truncated answer must be refused, never overread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"
#include "proto/codecs/client/client_codecs.h"
#include "proto/codecs/client/custom_codecs.h"
#include "proto/codecs/client/map_codecs.h"
#include "proto/error.h"
#include "util/rand.h"

static const mg_uuid member_uuid = { 0x1111111122223333LL, 0x4444555555555555LL, false };
static const mg_uuid cluster_uuid = { (int64_t)0xaaaaaaaabbbbccccULL,
                                      (int64_t)0xddddeeeeeeeeeeeeULL, false };

static mg_bytes str(const char *s)
{
    mg_bytes b = { (const uint8_t *)s, strlen(s) };
    return b;
}

static void assert_bytes(const mg_bytes *b, const char *s)
{
    assert_non_null(b->ptr);
    assert_int_equal(b->len, strlen(s));
    assert_memory_equal(b->ptr, s, b->len);
}

static void assert_buf_hex(const mg_buf *got, const char *hex)
{
    mg_buf want;
    mg_buf_init(&want);
    hex_append(&want, hex);
    assert_int_equal(got->len, want.len);
    assert_memory_equal(got->data, want.data, want.len);
    mg_buf_free(&want);
}

/* Map.Put("m", "k" -> "v"), corr 6, partition 41: client-protocol.md 4.5
 * with the plain codec flags (c0, not Node's c1). */
static void put_request_matches_the_document(void **state)
{
    (void)state;
    static const uint8_t key[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, 1, 'k' };
    static const uint8_t val[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, 1, 'v' };
    mg_bytes name = str("m"), k = { key, sizeof key }, v = { val, sizeof val };
    mg_buf b;
    mg_buf_init(&b);
    mg_map_put_req_encode(&b, 6, 41, &name, &k, &v, 0, -1);
    assert_buf_hex(&b, "26 00 00 00 00 c0  00 01 01 00  06 00 00 00 00 00 00 00  29 00 00 00"
                       "00 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff"
                       "07 00 00 00 00 00  6d"
                       "13 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 01 6b"
                       "13 00 00 00 00 20  00 00 00 00 ff ff ff f5 00 00 00 01 76");

    /* And the member reads it back. */
    mg_map_put_req r;
    assert_int_equal(mg_map_put_req_decode(b.data, b.len, &r), 0);
    assert_int_equal(r.hdr.corr, 6);
    assert_int_equal(r.hdr.partition, 41);
    assert_int_equal(r.ttl, -1);
    assert_int_equal(r.value.len, sizeof val);
    mg_buf_free(&b);
}

static void authentication_request_decodes_on_the_member(void **state)
{
    (void)state;
    mg_bytes cluster = str("dev"), type = str("MGB"), ver = str("5.5.0"), name = str("c1");
    mg_bytes labels[] = { str("a"), str("b") };
    mg_buf b;
    mg_buf_init(&b);
    mg_client_authentication_req_encode(&b, 1, -1, &cluster, NULL, NULL, &member_uuid, &type, 1,
                                        &ver, &name, labels, 2, 1, false);
    mg_client_authentication_req r;
    assert_int_equal(mg_client_authentication_req_decode(b.data, b.len, &r), 0);
    assert_bytes(&r.cluster_name, "dev");
    assert_null(r.username.ptr);
    assert_null(r.password.ptr);
    assert_true(mg_uuid_eq(&r.uuid, &member_uuid));
    assert_bytes(&r.client_type, "MGB");
    assert_int_equal(r.labels.count, 2);
    assert_true(r.has_routing_mode);
    assert_int_equal(r.routing_mode, 1);
    mg_buf_free(&b);
}

static void authentication_response_round_trip(void **state)
{
    (void)state;
    mg_address addr = { str("127.0.0.1"), 5701 };
    mg_bytes version = str("5.7.0");
    mg_buf b;
    mg_buf_init(&b);
    mg_client_authentication_resp_encode(&b, 9, 0, mg_enc_address_fn, &addr, &member_uuid, 1,
                                         &version, 271, &cluster_uuid, false, NULL, 0, NULL, 7,
                                         NULL, NULL, 3, NULL, NULL, NULL, 0);
    mg_client_authentication_resp r;
    assert_int_equal(mg_client_authentication_resp_decode(b.data, b.len, &r), 0);
    assert_int_equal(r.corr, 9);
    assert_int_equal(r.status, 0);
    assert_true(mg_uuid_eq(&r.member_uuid, &member_uuid));
    assert_true(mg_uuid_eq(&r.cluster_id, &cluster_uuid));
    assert_int_equal(r.partition_count, 271);
    assert_false(r.address_is_null);
    assert_bytes(&r.address.host, "127.0.0.1");
    assert_int_equal(r.address.port, 5701);
    assert_bytes(&r.server_hazelcast_version, "5.7.0");
    assert_true(r.has_member_list_version);
    assert_int_equal(r.member_list_version, 7);
    assert_int_equal(r.partition_list_version, 3);
    assert_true(r.has_partitions);
    assert_int_equal(r.partitions.count, 0);

    /* Another message type is refused, not misread. */
    mg_buf_reset(&b);
    mg_client_ping_resp_encode(&b, 9);
    assert_int_equal(mg_client_authentication_resp_decode(b.data, b.len, &r), MG_EPROTO);
    mg_buf_free(&b);
}

static void cluster_view_events_round_trip(void **state)
{
    (void)state;
    mg_member_info m[2];
    memset(m, 0, sizeof m);
    m[0].address = (mg_address){ str("127.0.0.1"), 5701 };
    m[0].uuid = member_uuid;
    m[0].version = (mg_member_version){ 5, 7, 0 };
    m[1].address = (mg_address){ str("127.0.0.1"), 5702 };
    m[1].uuid = cluster_uuid;
    mg_member_info_array arr = { m, 2 };
    mg_buf b;
    mg_buf_init(&b);
    mg_client_add_cluster_view_listener_event_members_view_encode(&b, 2, -1, 4,
                                                                   mg_enc_member_info_list_fn, &arr);
    mg_client_add_cluster_view_listener_event_members_view mv;
    assert_int_equal(mg_client_add_cluster_view_listener_event_members_view_decode(b.data, b.len, &mv), 0);
    assert_int_equal(mv.corr, 2);
    assert_int_equal(mv.version, 4);
    assert_int_equal(mv.member_infos.count, 2);
    mg_rd r;
    mg_rd_init(&r, mv.member_infos.p, mv.member_infos.len);
    for (int i = 0; i < 2; i++) {
        mg_member_info_dec mi;
        assert_int_equal(mg_dec_member_info(&r, &mi), 0);
        assert_true(mg_uuid_eq(&mi.uuid, &m[i].uuid));
        assert_int_equal(mi.address.port, m[i].address.port);
        assert_bytes(&mi.address.host, "127.0.0.1");
        assert_true(mi.has_address_map);
    }
    assert_false(mg_rd_has_more(&r));

    /* PartitionsView: member 0 owns 0..2, member 1 owns 3. */
    static const int32_t own0[] = { 0, 1, 2 }, own1[] = { 3 };
    const int32_t *lists[] = { own0, own1 };
    size_t lens[] = { 3, 1 };
    mg_uuid keys[] = { member_uuid, cluster_uuid };
    mg_uuid_i32_lists table = { keys, lists, lens, 2 };
    mg_buf_reset(&b);
    mg_client_add_cluster_view_listener_event_partitions_view_encode(&b, 2, -1, 5,
                                                                      mg_wr_uuid_i32_lists_fn, &table);
    mg_client_add_cluster_view_listener_event_partitions_view pv;
    assert_int_equal(mg_client_add_cluster_view_listener_event_partitions_view_decode(b.data, b.len, &pv), 0);
    assert_int_equal(pv.version, 5);
    assert_int_equal(pv.partitions.count, 2);
    mg_rd_init(&r, pv.partitions.p, pv.partitions.len);
    for (size_t i = 0; i < 2; i++) {
        mg_list ids;
        mg_uuid u;
        int32_t p;
        assert_int_equal(mg_rd_fixed_list(&r, 4, &ids), 0);
        assert_int_equal(ids.count, lens[i]);
        assert_true(mg_list_i32(&ids, ids.count - 1, &p));
        assert_int_equal(p, lists[i][lens[i] - 1]);
        assert_true(mg_list_uuid(&pv.partitions_keys, i, &u));
        assert_true(mg_uuid_eq(&u, &keys[i]));
    }
    mg_buf_free(&b);
}

static void map_answers_round_trip(void **state)
{
    (void)state;
    mg_bytes old = str("old-value");
    mg_buf b;
    mg_buf_init(&b);
    mg_map_get_resp_encode(&b, 77, &old);
    mg_map_get_resp g;
    assert_int_equal(mg_map_get_resp_decode(b.data, b.len, &g), 0);
    assert_int_equal(g.corr, 77);
    assert_bytes(&g.response, "old-value");

    mg_buf_reset(&b);
    mg_map_get_resp_encode(&b, 78, NULL);
    assert_int_equal(mg_map_get_resp_decode(b.data, b.len, &g), 0);
    assert_null(g.response.ptr);   /* no such key */

    mg_buf_reset(&b);
    mg_map_set_resp_encode(&b, 79);
    mg_map_set_resp s;
    assert_int_equal(mg_map_set_resp_decode(b.data, b.len, &s), 0);
    assert_int_equal(s.corr, 79);
    mg_buf_free(&b);
}

static void error_answer_decodes(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    mg_proto_error_encode(&b, 3, 23, NULL, "bad");
    mg_rd r;
    mg_frame f0;
    mg_error_holder_dec e;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f0), 0);
    assert_int_equal(mg_get_u32(f0.content), 0);   /* error type */
    assert_int_equal(mg_rd_list_begin(&r), 0);
    assert_int_equal(mg_dec_error_holder(&r, &e), 0);
    assert_int_equal(e.error_code, 23);
    assert_bytes(&e.message, "bad");
    assert_bytes(&e.class_name, "java.lang.IllegalArgumentException");
    mg_buf_free(&b);
}

/* Prefixes of a valid answer: the decoders check bounds instead of
 * trusting lengths, so a prefix that lacks a required field is refused.
 * Fields newer than the method are optional (an older member stops
 * earlier), so a prefix ending on a frame boundary after the last required
 * field (serverHazelcastVersion) decodes, with the same values. */
static void truncated_answers_are_refused(void **state)
{
    (void)state;
    mg_address addr = { str("127.0.0.1"), 5701 };
    mg_member_info m = { .address = addr, .uuid = member_uuid };
    mg_member_info_array arr = { &m, 1 };
    mg_bytes version = str("5.7.0");
    mg_buf b;
    mg_buf_init(&b);
    mg_client_authentication_resp_encode(&b, 1, 0, mg_enc_address_fn, &addr, &member_uuid, 1,
                                         &version, 271, &cluster_uuid, false, NULL, 0, NULL, 1,
                                         mg_enc_member_info_list_fn, &arr, 1, NULL, NULL, NULL, 0);
    mg_client_authentication_resp a;
    assert_int_equal(mg_client_authentication_resp_decode(b.data, b.len, &a), 0);
    const uint8_t *v = memmem(b.data, b.len, "5.7.0", 5);
    assert_non_null(v);
    size_t required = (size_t)(v - b.data) + 5;
    int decoded = 0;
    for (size_t n = 0; n < b.len; n++) {
        /* A copy of exactly n bytes, so an overread would hit the heap
         * redzone in the sanitizer build. */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, b.data, n);
        int rc = mg_client_authentication_resp_decode(cut, n, &a);
        free(cut);
        if (n < required) {
            assert_int_equal(rc, MG_EPROTO);
        } else if (rc == 0) {
            decoded++;
            assert_int_equal(a.address.port, 5701);
            assert_int_equal(a.partition_count, 271);
        }
    }
    assert_true(decoded > 0);
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_request_matches_the_document),
        cmocka_unit_test(authentication_request_decodes_on_the_member),
        cmocka_unit_test(authentication_response_round_trip),
        cmocka_unit_test(cluster_view_events_round_trip),
        cmocka_unit_test(map_answers_round_trip),
        cmocka_unit_test(error_answer_decodes),
        cmocka_unit_test(truncated_answers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
