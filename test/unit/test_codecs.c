/* Unit tests of the generated codecs (src/proto/codecs) and of the error
 * encoder, against the byte vectors of docs/client-protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hex.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/custom_codecs.h"
#include "proto/codecs/map_codecs.h"
#include "proto/codecs/msg_names.h"
#include "proto/error.h"
#include "proto/frame.h"

#define PING_REQ "16 00 00 00 00 e1 00 0b 00 00 07 00 00 00 00 00 00 00 ff ff ff ff"

#define MAP_GET_REQ                                                                      \
    "1e 00 00 00 00 c1  00 02 01 00  05 00 00 00 00 00 00 00  9b 00 00 00"              \
    "00 00 00 00 00 00 00 00"                                                            \
    "07 00 00 00 00 00  6d"                                                              \
    "1b 00 00 00 00 20  00 00 00 00 ff ff ff f5 00 00 00 09 75 73 65 72 3a 31 30 30 31"

#define MAP_PUT_HEAD                                                      \
    "26 00 00 00 00 c1  00 01 01 00  06 00 00 00 00 00 00 00  29 00 00 00" \
    "00 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff"                     \
    "07 00 00 00 00 00  6d"                                               \
    "13 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 01 6b"
#define MAP_PUT_REQ MAP_PUT_HEAD "13 00 00 00 00 20  00 00 00 00 ff ff ff f5 00 00 00 01 76"

/* §8.1, with a concrete client UUID in place of "<16 uuid bytes>". */
#define AUTH_REQ_HEAD                                                         \
    "28 00 00 00 00 c1  00 01 00 00  01 00 00 00 00 00 00 00  ff ff ff ff"     \
    "00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44  01"
#define AUTH_REQ_TAIL                                             \
    "09 00 00 00 00 00  64 65 76"                                 \
    "06 00 00 00 00 04"                                           \
    "06 00 00 00 00 04"                                           \
    "09 00 00 00 00 00  4e 4a 53"                                 \
    "0b 00 00 00 00 00  35 2e 37 2e 30"                           \
    "11 00 00 00 00 00  68 7a 2e 63 6c 69 65 6e 74 5f 31"         \
    "06 00 00 00 00 10  06 00 00 00 00 28"

#define ADDRESS_FRAMES                                          \
    "06 00 00 00 00 10  0a 00 00 00 00 00 45 16 00 00"          \
    "0f 00 00 00 00 00 31 32 37 2e 30 2e 30 2e 31  06 00 00 00 00 08"

static const mg_uuid member_uuid = { 0x1111111122223333LL, 0x4444555555555555LL, false };
static const mg_uuid cluster_uuid = { (int64_t)0xaaaaaaaabbbbccccULL,
                                      (int64_t)0xddddeeeeeeeeeeeeULL, false };

static mg_bytes str(const char *s)
{
    mg_bytes b = { (const uint8_t *)s, strlen(s) };
    return b;
}

static void load(mg_buf *b, const char *hex)
{
    mg_buf_init(b);
    hex_append(b, hex);
}

static void assert_buf_equal_hex(const mg_buf *got, const char *want_hex)
{
    mg_buf want;
    load(&want, want_hex);
    assert_int_equal(got->len, want.len);
    assert_memory_equal(got->data, want.data, want.len);
    mg_buf_free(&want);
}

static void assert_bytes_str(mg_bytes v, const char *s)
{
    assert_non_null(v.ptr);
    assert_int_equal(v.len, strlen(s));
    assert_memory_equal(v.ptr, s, v.len);
}

/* --- requests ------------------------------------------------------------------ */

static void decode_ping(void **state)
{
    mg_buf b;
    load(&b, PING_REQ);
    mg_client_ping_req req;
    assert_int_equal(mg_client_ping_req_decode(b.data, b.len, &req), 0);
    assert_int_equal(req.hdr.type, MG_CLIENT_PING_REQ);
    assert_int_equal(req.hdr.corr, 7);
    assert_int_equal(req.hdr.partition, -1);
    assert_true(req.hdr.flags & MG_F_BACKUP_AWARE);
    mg_buf_free(&b);
}

static void decode_map_get(void **state)
{
    mg_buf b;
    load(&b, MAP_GET_REQ);
    mg_map_get_req req;
    assert_int_equal(mg_map_get_req_decode(b.data, b.len, &req), 0);
    assert_int_equal(req.hdr.corr, 5);
    assert_int_equal(req.hdr.partition, 155);
    assert_int_equal(req.thread_id, 0);
    assert_bytes_str(req.name, "m");
    assert_int_equal(req.key.len, 21);
    assert_memory_equal(req.key.ptr + 12, "user:1001", 9);
    mg_buf_free(&b);
}

static void decode_map_put(void **state)
{
    mg_buf b;
    load(&b, MAP_PUT_REQ);
    mg_map_put_req req;
    assert_int_equal(mg_map_put_req_decode(b.data, b.len, &req), 0);
    assert_int_equal(req.hdr.type, 0x010100);
    assert_int_equal(req.hdr.corr, 6);
    assert_int_equal(req.hdr.partition, 41);
    assert_int_equal(req.thread_id, 0);
    assert_int_equal(req.ttl, -1);
    assert_bytes_str(req.name, "m");
    assert_int_equal(req.key.len, 13);
    assert_int_equal(req.key.ptr[12], 'k');
    assert_int_equal(req.value.len, 13);
    assert_int_equal(req.value.ptr[12], 'v');
    mg_buf_free(&b);
}

static void truncated_map_put_always_fails(void **state)
{
    mg_buf b;
    load(&b, MAP_PUT_REQ);
    mg_map_put_req req;
    for (size_t len = 0; len < b.len; len++)
        assert_int_equal(mg_map_put_req_decode(b.data, len, &req), MG_EPROTO);
    mg_buf_free(&b);
}

static void lying_map_put_fails(void **state)
{
    mg_buf b;
    load(&b, MAP_PUT_REQ);
    mg_map_put_req req;
    static const size_t frame_starts[] = { 0, 38, 45, 64 };
    static const uint32_t lies[] = { 0, 5, 0xffffffffu, 0x7fffffffu, 0x80000000u, 200 };
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < sizeof lies / sizeof lies[0]; j++) {
            uint8_t saved[4];
            memcpy(saved, b.data + frame_starts[i], 4);
            mg_put_u32(b.data + frame_starts[i], lies[j]);
            assert_int_equal(mg_map_put_req_decode(b.data, b.len, &req), MG_EPROTO);
            memcpy(b.data + frame_starts[i], saved, 4);
        }
    }
    /* Initial frame too short for ttl. */
    b.data[0] = 0x1e;
    assert_int_equal(mg_map_put_req_decode(b.data, b.len, &req), MG_EPROTO);
    mg_buf_free(&b);
}

static void wrong_type_or_marker_fails(void **state)
{
    mg_buf b;
    load(&b, MAP_PUT_REQ);
    mg_map_get_req get;
    assert_int_equal(mg_map_get_req_decode(b.data, b.len, &get), MG_EPROTO);
    mg_map_put_req put;
    b.data[45 + 5] = 0x04; /* key frame turned into a NULL frame: key is not nullable */
    assert_int_equal(mg_map_put_req_decode(b.data, b.len, &put), MG_EPROTO);
    mg_buf_free(&b);
}

static void trailing_unknown_data_is_ignored(void **state)
{
    /* A future version might add a fixed field and a frame: both ignored. */
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "2a 00 00 00 00 c0  00 01 01 00  06 00 00 00 00 00 00 00  29 00 00 00"
                   "00 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff  aa bb cc dd"
                   "07 00 00 00 00 00  6d"
                   "13 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 01 6b"
                   "13 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 01 76"
                   "06 00 00 00 00 10  07 00 00 00 00 00 7a  06 00 00 00 00 28");
    mg_map_put_req req;
    assert_int_equal(mg_map_put_req_decode(b.data, b.len, &req), 0);
    assert_int_equal(req.ttl, -1);
    assert_int_equal(req.value.ptr[12], 'v');
    mg_buf_free(&b);
}

static void decode_authentication_2_0(void **state)
{
    mg_buf b;
    load(&b, AUTH_REQ_HEAD AUTH_REQ_TAIL);
    mg_client_authentication_req req;
    assert_int_equal(mg_client_authentication_req_decode(b.data, b.len, &req), 0);
    assert_int_equal(req.hdr.corr, 1);
    assert_false(req.uuid.is_null);
    assert_int_equal(req.uuid.msb, member_uuid.msb);
    assert_int_equal(req.uuid.lsb, member_uuid.lsb);
    assert_int_equal(req.serialization_version, 1);
    assert_false(req.has_routing_mode);
    assert_false(req.has_cp_direct_to_leader_routing);
    assert_bytes_str(req.cluster_name, "dev");
    assert_null(req.username.ptr);
    assert_null(req.password.ptr);
    assert_bytes_str(req.client_type, "NJS");
    assert_bytes_str(req.client_hazelcast_version, "5.7.0");
    assert_bytes_str(req.client_name, "hz.client_1");
    assert_non_null(req.labels.p);
    assert_int_equal(req.labels.count, 0);
    mg_buf_free(&b);
}

static void decode_authentication_2_8(void **state)
{
    /* Same request with the 2.8 fixed fields and one label. */
    mg_buf b;
    load(&b, "2a 00 00 00 00 c0  00 01 00 00  01 00 00 00 00 00 00 00  ff ff ff ff"
             "00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44  01  02 01"
             "09 00 00 00 00 00  64 65 76"
             "07 00 00 00 00 00  75  07 00 00 00 00 00  70"
             "09 00 00 00 00 00  4e 4a 53"
             "0b 00 00 00 00 00  35 2e 37 2e 30"
             "07 00 00 00 00 00  63"
             "06 00 00 00 00 10  07 00 00 00 00 00 6c  06 00 00 00 00 28");
    mg_client_authentication_req req;
    assert_int_equal(mg_client_authentication_req_decode(b.data, b.len, &req), 0);
    assert_true(req.has_routing_mode);
    assert_int_equal(req.routing_mode, 2);
    assert_true(req.has_cp_direct_to_leader_routing);
    assert_true(req.cp_direct_to_leader_routing);
    assert_bytes_str(req.username, "u");
    assert_int_equal(req.labels.count, 1);
    mg_rd r;
    mg_bytes label;
    mg_rd_init(&r, req.labels.p, req.labels.len);
    assert_int_equal(mg_rd_bytes(&r, &label), 0);
    assert_bytes_str(label, "l");
    mg_buf_free(&b);
}

static void decode_put_all_entries(void **state)
{
    /* Map.PutAll without triggerMapLoader (2.0), then with it (2.1). */
    mg_buf b;
    load(&b, "16 00 00 00 00 c0  00 2c 01 00  02 00 00 00 00 00 00 00  03 00 00 00"
             "07 00 00 00 00 00  6d"
             "06 00 00 00 00 10  07 00 00 00 00 00 61  07 00 00 00 00 00 62"
             "07 00 00 00 00 00 63  07 00 00 00 00 00 64  06 00 00 00 00 28");
    mg_map_put_all_req req;
    assert_int_equal(mg_map_put_all_req_decode(b.data, b.len, &req), 0);
    assert_false(req.has_trigger_map_loader);
    assert_int_equal(req.entries.count, 2);
    mg_rd r;
    mg_bytes k, v;
    mg_rd_init(&r, req.entries.p, req.entries.len);
    for (char c = 'a'; c < 'e'; c += 2) {
        assert_int_equal(mg_rd_bytes(&r, &k), 0);
        assert_int_equal(mg_rd_bytes(&r, &v), 0);
        assert_int_equal(k.ptr[0], c);
        assert_int_equal(v.ptr[0], c + 1);
    }
    assert_false(mg_rd_has_more(&r));

    mg_buf_reset(&b);
    hex_append(&b, "17 00 00 00 00 c1  00 2c 01 00  02 00 00 00 00 00 00 00  03 00 00 00  01"
                   "07 00 00 00 00 00  6d"
                   "06 00 00 00 00 10  07 00 00 00 00 00 61  06 00 00 00 00 28");
    /* An odd number of frames is not a list of pairs. */
    assert_int_equal(mg_map_put_all_req_decode(b.data, b.len, &req), MG_EPROTO);
    mg_buf_free(&b);
}

static void req_check_dispatches_by_type(void **state)
{
    mg_buf b;
    load(&b, MAP_PUT_REQ);
    assert_int_equal(mg_map_req_check(b.data, b.len), 0);
    assert_int_equal(mg_client_req_check(b.data, b.len), 1);
    assert_int_equal(mg_map_req_check(b.data, b.len - 1), MG_EPROTO);
    mg_buf_free(&b);
    assert_int_equal(mg_map_req_types_n, 73);
    assert_int_equal(mg_client_req_types_n, 23);
    assert_int_equal(mg_client_req_types[0], MG_CLIENT_AUTHENTICATION_REQ);
}

static void message_names(void **state)
{
    assert_string_equal(mg_msg_name(0x010100), "Map.put");
    assert_string_equal(mg_msg_name(0x010101), "Map.put response");
    assert_string_equal(mg_msg_name(0x011902), "Map.addEntryListener event Entry");
    assert_string_equal(mg_msg_name(0x000302), "Client.addClusterViewListener event MembersView");
    assert_string_equal(mg_msg_name(0), "error");
    assert_string_equal(mg_msg_name(0xffffff), "unknown");
    assert_int_equal(MG_MAP_ADD_ENTRY_LISTENER_EVENT_ENTRY, 0x011902);
    assert_int_equal(MG_MAP_ADD_ENTRY_LISTENER_TO_KEY_EVENT_ENTRY, 0x011802);
    assert_int_equal(MG_CLIENT_LOCAL_BACKUP_LISTENER_REQ, 0x000F00);
}

/* --- responses and events ------------------------------------------------------- */

static void encode_map_put_response(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_map_put_resp_encode(&b, 6, NULL);
    /* §4.5 */
    assert_buf_equal_hex(&b, "13 00 00 00 00 c0 01 01 01 00 06 00 00 00 00 00 00 00 00"
                             "06 00 00 00 00 24");
    mg_buf_reset(&b);
    mg_bytes none = { NULL, 0 };
    mg_map_put_resp_encode(&b, 6, &none);
    assert_int_equal(b.len, 25);
    mg_buf_reset(&b);
    mg_bytes old = str("xy");
    mg_map_put_resp_encode(&b, 6, &old);
    assert_buf_equal_hex(&b, "13 00 00 00 00 c0 01 01 01 00 06 00 00 00 00 00 00 00 00"
                             "08 00 00 00 00 20 78 79");
    mg_buf_free(&b);
}

static void encode_ping_response(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_client_ping_resp_encode(&b, 4);
    assert_buf_equal_hex(&b, "13 00 00 00 00 e0 01 0b 00 00 04 00 00 00 00 00 00 00 00");
    mg_buf_free(&b);
}

static void encode_error(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_proto_error_encode(&b, 3, MG_ERR_ILLEGAL_ARGUMENT, "java.lang.IllegalArgumentException",
                          "bad");
    /* §7.1 */
    assert_buf_equal_hex(&b, "13 00 00 00 00 c0  00 00 00 00 03 00 00 00 00 00 00 00 00"
                             "06 00 00 00 00 10"
                             "06 00 00 00 00 10"
                             "0a 00 00 00 00 00  17 00 00 00"
                             "28 00 00 00 00 00  6a 61 76 61 2e 6c 61 6e 67 2e 49 6c 6c 65 67"
                             "61 6c 41 72 67 75 6d 65 6e 74 45 78 63 65 70 74 69 6f 6e"
                             "09 00 00 00 00 00  62 61 64"
                             "06 00 00 00 00 10  06 00 00 00 00 08"
                             "06 00 00 00 00 08"
                             "06 00 00 00 00 28");
    /* Default class name, null message. */
    mg_buf_reset(&b);
    mg_proto_error_encode(&b, 3, MG_ERR_ILLEGAL_ARGUMENT, NULL, NULL);
    mg_rd r;
    mg_frame f;
    mg_bytes v;
    mg_rd_init(&r, b.data, b.len);
    for (int i = 0; i < 4; i++)
        assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(mg_rd_bytes(&r, &v), 0);
    assert_bytes_str(v, "java.lang.IllegalArgumentException");
    assert_true(mg_rd_next_is_null(&r));
    mg_buf_free(&b);
}

static void encode_unsupported(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_proto_error_unsupported(&b, 9, 0x123400);
    mg_rd r;
    mg_frame f;
    mg_bytes v;
    int32_t code;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(mg_get_u32(f.content), 0);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_true(mg_fr_i32(&f, 0, &code));
    assert_int_equal(code, 61);
    assert_int_equal(mg_rd_bytes(&r, &v), 0);
    assert_int_equal(mg_rd_bytes(&r, &v), 0);
    assert_bytes_str(v, "Unrecognized client message received with type: 0x123400");
    mg_buf_free(&b);
}

static void encode_authentication_response(void **state)
{
    mg_address addr = { str("127.0.0.1"), 5701 };
    mg_bytes version = str("5.5.0");
    mg_buf b;
    mg_buf_init(&b);
    mg_client_authentication_resp_encode(&b, 1, 0, mg_enc_address_fn, &addr, &member_uuid, 1,
                                         &version, 271, &cluster_uuid, false, NULL, 0, NULL, 7,
                                         NULL, NULL, 9, NULL, NULL, NULL, 0);
    /* §8.3's verified 2.0 layout, extended by what 2.7/2.8 append: the two
     * list versions in frame 0 (length 0x3c -> 0x44), then NULL tpcPorts,
     * NULL tpcToken, empty memberInfos, empty partitions (BEGIN END + empty
     * key frame) and empty keyValuePairs. */
    assert_buf_equal_hex(&b,
        "44 00 00 00 00 c0  01 01 00 00 | 01 00 00 00 00 00 00 00 | 00 | 00 |"
        "00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44 | 01 | 0f 01 00 00 |"
        "00 cc cc bb bb aa aa aa aa ee ee ee ee ee ee dd dd | 00"
        "07 00 00 00  09 00 00 00"
        ADDRESS_FRAMES
        "0b 00 00 00 00 00  35 2e 35 2e 30"
        "06 00 00 00 00 04  06 00 00 00 00 04"
        "06 00 00 00 00 10  06 00 00 00 00 08"
        "06 00 00 00 00 10  06 00 00 00 00 08  06 00 00 00 00 00"
        "06 00 00 00 00 10  06 00 00 00 00 28");

    /* Failure answer as the Java member sends it. */
    mg_buf_reset(&b);
    mg_bytes empty = { (const uint8_t *)"", 0 };
    mg_client_authentication_resp_encode(&b, 2, 1, NULL, NULL, NULL, 0xff, &empty, -1, NULL,
                                         false, NULL, 0, NULL, -1, NULL, NULL, -1, NULL, NULL,
                                         NULL, 0);
    mg_rd r;
    mg_frame f;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.content[13], 1);
    assert_int_equal(f.content[14], 1);  /* memberUuid null */
    assert_int_equal(f.content[31], 0xff);
    assert_true(mg_rd_next_is_null(&r)); /* address */
    mg_buf_free(&b);
}

static void encode_members_view(void **state)
{
    mg_member_info m = {
        .address = { str("127.0.0.1"), 5701 },
        .uuid = member_uuid,
        .lite_member = false,
        .version = { 5, 5, 0 },
    };
    mg_member_info_array members = { &m, 1 };
    mg_buf b;
    mg_buf_init(&b);
    mg_client_add_cluster_view_listener_event_members_view_encode(&b, 2, -1, 1,
                                                                  mg_enc_member_info_list_fn,
                                                                  &members);
    /* §9.2 */
    assert_buf_equal_hex(&b,
        "1a 00 00 00 00 c2  02 03 00 00 02 00 00 00 00 00 00 00 ff ff ff ff 01 00 00 00"
        "06 00 00 00 00 10"
        "06 00 00 00 00 10"
        "18 00 00 00 00 00  00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44 00"
        ADDRESS_FRAMES
        "06 00 00 00 00 10  06 00 00 00 00 08"
        "06 00 00 00 00 10  09 00 00 00 00 00 05 05 00  06 00 00 00 00 08"
        "06 00 00 00 00 10  06 00 00 00 00 08"
        "06 00 00 00 00 08"
        "06 00 00 00 00 28");
    mg_buf_free(&b);
}

static void encode_member_info_with_maps(void **state)
{
    mg_bytes attrs[2] = { str("k"), str("v") };
    mg_endpoint_qualifier q = { 1, str("public") };
    mg_address pub = { str("10.0.0.1"), 5701 };
    mg_member_info m = {
        .address = { str("127.0.0.1"), 5701 },
        .uuid = member_uuid,
        .attributes = attrs,
        .n_attributes = 1,
        .version = { 5, 5, 0 },
        .address_map_keys = &q,
        .address_map_values = &pub,
        .n_address_map = 1,
    };
    mg_buf b;
    mg_buf_init(&b);
    mg_wr w;
    mg_wr_init(&w, &b);
    mg_enc_member_info(&w, &m);
    mg_wr_end(&w);
    mg_rd r;
    mg_list l;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_list(&r, MG_ELEM_ANY, 1, &l), 0);
    /* initial frame, address, attributes, version, addressMap */
    assert_int_equal(l.count, 5);
    mg_rd it;
    mg_frame f;
    mg_list attr_list, amap;
    mg_rd_init(&it, l.p, l.len);
    assert_int_equal(mg_rd_next(&it, &f), 0);
    assert_int_equal(mg_rd_list(&it, MG_ELEM_ANY, 1, &l), 0);
    assert_int_equal(mg_rd_list(&it, MG_ELEM_BYTES, 2, &attr_list), 0);
    assert_int_equal(attr_list.count, 1);
    assert_int_equal(mg_rd_list(&it, MG_ELEM_ANY, 1, &l), 0);
    assert_int_equal(mg_rd_list(&it, MG_ELEM_ANY, 2, &amap), 0);
    assert_int_equal(amap.count, 1);
    assert_false(mg_rd_has_more(&it));
    mg_buf_free(&b);
}

static void encode_entry_event(void **state)
{
    mg_bytes key, value;
    mg_buf kb, vb;
    load(&kb, "00 00 00 00 ff ff ff f5 00 00 00 09 75 73 65 72 3a 31 30 30 31");
    load(&vb, "00 00 00 00 ff ff ff f5 00 00 00 02 76 31");
    key = (mg_bytes){ kb.data, kb.len };
    value = (mg_bytes){ vb.data, vb.len };
    mg_buf b;
    mg_buf_init(&b);
    /* Arguments in the definition's order: key, value, oldValue, mergingValue,
     * eventType, uuid, numberOfAffectedEntries. */
    mg_map_add_entry_listener_event_entry_encode(&b, 9, 155, &key, &value, NULL, NULL, 1,
                                                 &member_uuid, 1);
    /* §12.2 */
    assert_buf_equal_hex(&b,
        "2f 00 00 00 00 c2 | 02 19 01 00 | 09 00 00 00 00 00 00 00 | 9b 00 00 00 |"
        "01 00 00 00 | 00 33 33 22 22 11 11 11 11 55 55 55 55 55 55 44 44 | 01 00 00 00"
        "1b 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 09 75 73 65 72 3a 31 30 30 31"
        "14 00 00 00 00 00  00 00 00 00 ff ff ff f5 00 00 00 02 76 31"
        "06 00 00 00 00 04"
        "06 00 00 00 00 24");
    mg_buf_free(&b);
    mg_buf_free(&kb);
    mg_buf_free(&vb);
}

static void encode_backup_event_flags(void **state)
{
    mg_buf b;
    mg_buf_init(&b);
    mg_client_local_backup_listener_event_backup_encode(&b, 1, -1, 42);
    assert_int_equal(mg_get_u16(b.data + 4),
                     MG_F_UNFRAGMENTED | MG_F_EVENT | MG_F_BACKUP_EVENT | MG_F_FINAL);
    mg_buf_free(&b);
}

static void encode_entry_view_and_lists(void **state)
{
    mg_simple_entry_view v = { .key = str("k"), .value = str("v"), .cost = 1, .ttl = -1 };
    mg_buf b;
    mg_buf_init(&b);
    mg_map_get_entry_view_resp_encode(&b, 3, mg_enc_simple_entry_view_fn, &v, 77);
    mg_rd r;
    mg_frame f;
    mg_list l;
    int64_t x;
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_true(mg_fr_i64(&f, MG_RESP_FIXED_OFF, &x));
    assert_int_equal(x, 77);
    assert_int_equal(mg_rd_list(&r, MG_ELEM_ANY, 1, &l), 0);
    assert_int_equal(l.count, 3); /* 80-byte fixed frame, key, value */
    mg_rd it;
    mg_rd_init(&it, l.p, l.len);
    assert_int_equal(mg_rd_next(&it, &f), 0);
    assert_int_equal(f.len, 80);
    assert_true(mg_fr_i64(&f, 64, &x));
    assert_int_equal(x, -1);
    assert_false(mg_rd_has_more(&r));

    /* Absent entry view: NULL frame. */
    mg_buf_reset(&b);
    mg_map_get_entry_view_resp_encode(&b, 3, NULL, NULL, -1);
    mg_rd_init(&r, b.data, b.len);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(mg_rd_next(&r, &f), 0);
    assert_int_equal(f.flags, MG_F_NULL | MG_F_FINAL);

    /* KeySet: List_Data. */
    mg_bytes keys[2] = { str("a"), str("b") };
    mg_buf_reset(&b);
    mg_map_key_set_resp_encode(&b, 3, keys, 2);
    assert_buf_equal_hex(&b, "13 00 00 00 00 c0 01 22 01 00 03 00 00 00 00 00 00 00 00"
                             "06 00 00 00 00 10  07 00 00 00 00 00 61  07 00 00 00 00 00 62"
                             "06 00 00 00 00 28");
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest requests[] = {
        cmocka_unit_test(decode_ping),
        cmocka_unit_test(decode_map_get),
        cmocka_unit_test(decode_map_put),
        cmocka_unit_test(truncated_map_put_always_fails),
        cmocka_unit_test(lying_map_put_fails),
        cmocka_unit_test(wrong_type_or_marker_fails),
        cmocka_unit_test(trailing_unknown_data_is_ignored),
        cmocka_unit_test(decode_authentication_2_0),
        cmocka_unit_test(decode_authentication_2_8),
        cmocka_unit_test(decode_put_all_entries),
        cmocka_unit_test(req_check_dispatches_by_type),
        cmocka_unit_test(message_names),
    };
    const struct CMUnitTest responses[] = {
        cmocka_unit_test(encode_map_put_response),
        cmocka_unit_test(encode_ping_response),
        cmocka_unit_test(encode_error),
        cmocka_unit_test(encode_unsupported),
        cmocka_unit_test(encode_authentication_response),
        cmocka_unit_test(encode_members_view),
        cmocka_unit_test(encode_member_info_with_maps),
        cmocka_unit_test(encode_entry_event),
        cmocka_unit_test(encode_backup_event_flags),
        cmocka_unit_test(encode_entry_view_and_lists),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("codecs/requests", requests, NULL, NULL);
    failed += cmocka_run_group_tests_name("codecs/responses", responses, NULL, NULL);
    return failed ? 1 : 0;
}
