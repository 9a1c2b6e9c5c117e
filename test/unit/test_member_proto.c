/* The member protocol: exact header bytes, round trips of every message,
 * truncation at every byte, rules that make a frame malformed, room to grow
 * (trailing fields, longer member entries, unknown types), and a magic no
 * other protocol on the port can start with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster/member_proto.h"
#include "hex.h"
#include "util/buf.h"
#include "util/rand.h"

static mg_uuid U(uint64_t hi, uint64_t lo)
{
    return (mg_uuid){.msb = (int64_t)hi, .lsb = (int64_t)lo, .is_null = false};
}

static void sender(mg_mp_msg *m, int type)
{
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)type;
    m->from = U(0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL);
    mg_cl_addr_set(&m->from_addr, "10.0.0.1", 5701);
}

static int decode(const mg_buf *b, mg_mp_msg *out)
{
    size_t used;
    int rc = mg_mp_decode(b->data, b->len, out, &used);
    if (rc == MG_MP_OK)
        assert_int_equal(used, b->len);
    return rc;
}

/* The header and sender bytes, pinned: a change here is a protocol change. */
static void test_leave_bytes(void **state)
{
    (void)state;
    mg_mp_msg m;
    sender(&m, MG_MP_LEAVE);
    m.u.leave.list_version = 0x0000000200000007ULL;
    mg_buf b, want;
    mg_buf_init(&b);
    mg_buf_init(&want);
    mg_mp_encode(&b, &m);
    hex_append(&want, "4d475244 01 09 0000 23000000"          /* MGRD, v1, Leave, flags, 35 bytes */
                      "0807060504030201 100f0e0d0c0b0a09"    /* sender UUID */
                      "08 31302e302e302e31 4516"             /* "10.0.0.1":5701 */
                      "0700000002000000");                   /* list version 2.7 */
    assert_int_equal(b.len, want.len);
    assert_memory_equal(b.data, want.data, want.len);
    mg_mp_msg d;
    assert_int_equal(decode(&b, &d), MG_MP_OK);
    assert_int_equal(d.type, MG_MP_LEAVE);
    assert_true(mg_uuid_eq(&d.from, &m.from));
    assert_string_equal(d.from_addr.host, "10.0.0.1");
    assert_int_equal(d.from_addr.port, 5701);
    assert_int_equal(d.u.leave.list_version, m.u.leave.list_version);
    mg_buf_free(&b);
    mg_buf_free(&want);
}

/* ---- one example of every message ------------------------------------- */

static uint8_t slots[271 * 3];

static void example(mg_mp_msg *m, int type)
{
    sender(m, type);
    switch (type) {
    case MG_MP_JOIN_REQUEST:
        m->u.join_request.cluster_name = (mg_mp_str){"dev", 3};
        m->u.join_request.version[0] = 0;
        m->u.join_request.version[1] = 1;
        m->u.join_request.version[2] = 2;
        m->u.join_request.partition_count = 271;
        m->u.join_request.config_hash = 0xfeedfacecafebeefULL;
        break;
    case MG_MP_JOIN_RESPONSE:
        m->u.join_response.status = MG_MP_JOIN_WRONG_CLUSTER;
        m->u.join_response.master = U(7, 8);
        mg_cl_addr_set(&m->u.join_response.master_addr, "node-a.example", 5702);
        m->u.join_response.reason = (mg_mp_str){"cluster name 'x' is not this cluster's 'dev'", 44};
        break;
    case MG_MP_MEMBER_LIST: {
        mg_cl_list *l = &m->u.member_list.list;
        l->version = mg_cl_version(3, 41);
        l->cluster_id = U(0xc1, 0xc2);
        l->master = U(1, 1);
        l->count = MG_CL_MAX_MEMBERS;
        for (int i = 0; i < l->count; i++) {
            mg_cl_member *e = &l->members[i];
            e->uuid = U(1, (uint64_t)i + 1);
            char host[32];
            snprintf(host, sizeof host, "10.1.%d.%d", i / 8, i % 8);
            mg_cl_addr_set(&e->addr, host, (uint16_t)(5701 + i));
            e->join_seq = (uint64_t)i * 3 + 1;
            e->flags = (uint8_t)(i % 2);
            e->version[1] = 1;
        }
        m->u.member_list.flags = MG_MP_COMMITTED;
        break;
    }
    case MG_MP_HEARTBEAT:
        m->u.heartbeat.cluster_id = U(0xc1, 0xc2);
        m->u.heartbeat.term = 9;
        m->u.heartbeat.list_version = mg_cl_version(9, 100);
        m->u.heartbeat.table_version = mg_cl_version(9, 55);
        m->u.heartbeat.master = U(1, 1);
        m->u.heartbeat.timestamp = -12345;
        m->u.heartbeat.echo = 987654321;
        m->u.heartbeat.flags = MG_MP_COMMITTED;
        break;
    case MG_MP_SUSPECT_REPORT:
        m->u.suspects.list_version = mg_cl_version(2, 2);
        m->u.suspects.count = 3;
        for (int i = 0; i < 3; i++)
            m->u.suspects.uuids[i] = U(5, (uint64_t)i + 1);
        break;
    case MG_MP_PARTITION_TABLE: {
        mg_mp_table *t = &m->u.table;
        t->version = mg_cl_version(4, 4);
        t->partitions = 271;
        t->replicas = 3;
        t->nmembers = 4;
        for (int i = 0; i < 4; i++)
            t->members[i] = U(9, (uint64_t)i + 1);
        for (int p = 0; p < 271; p++)
            for (int r = 0; r < 3; r++)
                slots[p * 3 + r] = (p + r) % 5 == 4 ? MG_MP_NO_MEMBER : (uint8_t)((p + r) % 4);
        /* distinct per partition: (p+r)%4 differ for r = 0..2 */
        t->slots = slots;
        break;
    }
    case MG_MP_CLAIM:
        m->u.claim.term = 12;
        m->u.claim.list_version = mg_cl_version(11, 70);
        m->u.claim.table_version = mg_cl_version(11, 30);
        m->u.claim.flags = MG_MP_CLAIM_PRE;
        break;
    case MG_MP_CLAIM_RESPONSE:
        m->u.claim_response.term = 12;
        m->u.claim_response.granted = true;
        m->u.claim_response.reason = MG_MP_VOTE_GRANTED;
        m->u.claim_response.flags = MG_MP_CLAIM_PRE;
        break;
    case MG_MP_LEAVE:
        m->u.leave.list_version = 77;
        break;
    }
}

static void assert_same(const mg_mp_msg *a, const mg_mp_msg *b)
{
    assert_int_equal(a->type, b->type);
    assert_true(mg_uuid_eq(&a->from, &b->from));
    assert_true(mg_cl_addr_eq(&a->from_addr, &b->from_addr));
    switch (a->type) {
    case MG_MP_JOIN_REQUEST: {
        const mg_mp_join_request *x = &a->u.join_request, *y = &b->u.join_request;
        assert_int_equal(x->cluster_name.len, y->cluster_name.len);
        assert_memory_equal(x->cluster_name.ptr, y->cluster_name.ptr, x->cluster_name.len);
        assert_memory_equal(x->version, y->version, 3);
        assert_int_equal(x->partition_count, y->partition_count);
        assert_int_equal(x->config_hash, y->config_hash);
        break;
    }
    case MG_MP_JOIN_RESPONSE: {
        const mg_mp_join_response *x = &a->u.join_response, *y = &b->u.join_response;
        assert_int_equal(x->status, y->status);
        assert_true(mg_uuid_eq(&x->master, &y->master));
        assert_true(mg_cl_addr_eq(&x->master_addr, &y->master_addr));
        assert_int_equal(x->reason.len, y->reason.len);
        assert_memory_equal(x->reason.ptr, y->reason.ptr, x->reason.len);
        break;
    }
    case MG_MP_MEMBER_LIST:
        assert_true(mg_cl_list_equal(&a->u.member_list.list, &b->u.member_list.list));
        assert_int_equal(a->u.member_list.flags, b->u.member_list.flags);
        break;
    case MG_MP_HEARTBEAT:
        assert_true(mg_uuid_eq(&a->u.heartbeat.cluster_id, &b->u.heartbeat.cluster_id));
        assert_int_equal(a->u.heartbeat.term, b->u.heartbeat.term);
        assert_int_equal(a->u.heartbeat.list_version, b->u.heartbeat.list_version);
        assert_int_equal(a->u.heartbeat.table_version, b->u.heartbeat.table_version);
        assert_true(mg_uuid_eq(&a->u.heartbeat.master, &b->u.heartbeat.master));
        assert_int_equal(a->u.heartbeat.timestamp, b->u.heartbeat.timestamp);
        assert_int_equal(a->u.heartbeat.echo, b->u.heartbeat.echo);
        assert_int_equal(a->u.heartbeat.flags, b->u.heartbeat.flags);
        break;
    case MG_MP_SUSPECT_REPORT:
        assert_int_equal(a->u.suspects.list_version, b->u.suspects.list_version);
        assert_int_equal(a->u.suspects.count, b->u.suspects.count);
        for (int i = 0; i < a->u.suspects.count; i++)
            assert_true(mg_uuid_eq(&a->u.suspects.uuids[i], &b->u.suspects.uuids[i]));
        break;
    case MG_MP_PARTITION_TABLE: {
        const mg_mp_table *x = &a->u.table, *y = &b->u.table;
        assert_int_equal(x->version, y->version);
        assert_int_equal(x->partitions, y->partitions);
        assert_int_equal(x->replicas, y->replicas);
        assert_int_equal(x->nmembers, y->nmembers);
        for (int i = 0; i < x->nmembers; i++)
            assert_true(mg_uuid_eq(&x->members[i], &y->members[i]));
        assert_memory_equal(x->slots, y->slots, (size_t)x->partitions * x->replicas);
        break;
    }
    case MG_MP_CLAIM:
        assert_memory_equal(&a->u.claim, &b->u.claim, sizeof a->u.claim);
        break;
    case MG_MP_CLAIM_RESPONSE:
        assert_int_equal(a->u.claim_response.term, b->u.claim_response.term);
        assert_int_equal(a->u.claim_response.granted, b->u.claim_response.granted);
        assert_int_equal(a->u.claim_response.reason, b->u.claim_response.reason);
        assert_int_equal(a->u.claim_response.flags, b->u.claim_response.flags);
        break;
    case MG_MP_LEAVE:
        assert_int_equal(a->u.leave.list_version, b->u.leave.list_version);
        break;
    }
}

static void test_round_trips(void **state)
{
    (void)state;
    mg_mp_msg *m = malloc(sizeof *m), *d = malloc(sizeof *d);
    for (int type = MG_MP_JOIN_REQUEST; type <= MG_MP_LEAVE; type++) {
        example(m, type);
        mg_buf b;
        mg_buf_init(&b);
        mg_mp_encode(&b, m);
        assert_int_equal(decode(&b, d), MG_MP_OK);
        assert_same(m, d);
        assert_string_not_equal(mg_mp_type_name(type), "Unknown");
        mg_buf_free(&b);
    }
    free(m);
    free(d);
}

/* Cut the body anywhere (the length field says so): malformed, never an
 * overread (the copy is exactly as long as the frame, for ASan). */
static void test_every_truncation_is_malformed(void **state)
{
    (void)state;
    mg_mp_msg *m = malloc(sizeof *m), *d = malloc(sizeof *d);
    for (int type = MG_MP_JOIN_REQUEST; type <= MG_MP_LEAVE; type++) {
        example(m, type);
        mg_buf b;
        mg_buf_init(&b);
        mg_mp_encode(&b, m);
        for (size_t cut = MG_MP_HEADER; cut < b.len; cut++) {
            uint8_t *c = malloc(cut);
            memcpy(c, b.data, cut);
            uint32_t body = (uint32_t)(cut - MG_MP_HEADER);
            for (int i = 0; i < 4; i++)
                c[8 + i] = (uint8_t)(body >> (8 * i));
            size_t used;
            int rc = mg_mp_decode(c, cut, d, &used);
            /* A heartbeat without its last field (echo, appended later) is
             * an older sender's, and valid. */
            if (type == MG_MP_HEARTBEAT && cut == b.len - 8) {
                assert_int_equal(rc, MG_MP_OK);
                assert_true(d->u.heartbeat.echo == 0);
                free(c);
                continue;
            }
            if (rc != MG_MP_EMALFORMED)
                fail_msg("%s cut to %zu bytes: %d", mg_mp_type_name(type), cut, rc);
            assert_int_equal(used, cut);
            free(c);
        }
        /* The stream is short (the length field is honest): wait for more. */
        for (size_t cut = 0; cut < b.len; cut++) {
            size_t used;
            assert_int_equal(mg_mp_decode(b.data, cut, d, &used), MG_MP_NEED_MORE);
            assert_int_equal(used, 0);
        }
        mg_buf_free(&b);
    }
    free(m);
    free(d);
}

/* Fields a newer sender appends are ignored. */
static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    mg_mp_msg *m = malloc(sizeof *m), *d = malloc(sizeof *d);
    for (int type = MG_MP_JOIN_REQUEST; type <= MG_MP_LEAVE; type++) {
        example(m, type);
        mg_buf b;
        mg_buf_init(&b);
        mg_mp_encode(&b, m);
        mg_buf_append(&b, "future fields", 13);
        uint32_t body = (uint32_t)(b.len - MG_MP_HEADER);
        for (int i = 0; i < 4; i++)
            b.data[8 + i] = (uint8_t)(body >> (8 * i));
        assert_int_equal(decode(&b, d), MG_MP_OK);
        assert_same(m, d);
        mg_buf_free(&b);
    }
    free(m);
    free(d);
}

/* A member entry longer than we know (a newer sender's entry) is skipped by
 * its length; the next entry still decodes. */
static void test_longer_member_entries(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "4d475244 01 03 0000 00000000"
                   "0100000000000000 0100000000000000 01 61 0100"   /* sender, host "a":1 */
                   "0500000001000000"                               /* version 1.5 */
                   "0a00000000000000 0b00000000000000"              /* cluster id */
                   "0100000000000000 0100000000000000"              /* master */
                   "0200"                                           /* two members */
                   "2400 0100000000000000 0100000000000000 01 61 0100"
                   "0100000000000000 00 000100 aabbccdd"            /* + 4 unknown bytes */
                   "2000 0200000000000000 0200000000000000 01 62 0200"
                   "0300000000000000 01 000100"
                   "01");                                           /* committed */
    uint32_t body = (uint32_t)(b.len - MG_MP_HEADER);
    for (int i = 0; i < 4; i++)
        b.data[8 + i] = (uint8_t)(body >> (8 * i));
    mg_mp_msg *d = malloc(sizeof *d);
    assert_int_equal(decode(&b, d), MG_MP_OK);
    const mg_cl_list *l = &d->u.member_list.list;
    assert_int_equal(l->count, 2);
    assert_string_equal(l->members[0].addr.host, "a");
    assert_string_equal(l->members[1].addr.host, "b");
    assert_int_equal(l->members[1].join_seq, 3);
    assert_int_equal(l->members[1].flags, 1);
    assert_int_equal(d->u.member_list.flags, MG_MP_COMMITTED);
    free(d);
    mg_buf_free(&b);
}

static void test_unknown_type_skipped(void **state)
{
    (void)state;
    mg_buf b;
    mg_buf_init(&b);
    hex_append(&b, "4d475244 01 c8 0000 03000000 010203"      /* type 200, 3 bytes */
                   "4d475244 01 09 0000 23000000"            /* then a Leave */
                   "0807060504030201 100f0e0d0c0b0a09 08 31302e302e302e31 4516 0700000002000000");
    mg_mp_msg *d = malloc(sizeof *d);
    size_t used;
    assert_int_equal(mg_mp_decode(b.data, b.len, d, &used), MG_MP_SKIP);
    assert_int_equal(used, 15);
    assert_int_equal(mg_mp_decode(b.data + used, b.len - used, d, &used), MG_MP_OK);
    assert_int_equal(d->type, MG_MP_LEAVE);
    assert_int_equal(used, b.len - 15);
    assert_string_equal(mg_mp_type_name(200), "Unknown");
    free(d);
    mg_buf_free(&b);
}

static void test_header_errors(void **state)
{
    (void)state;
    size_t len;
    const uint8_t v2[] = {0x4d, 0x47, 0x52, 0x44, 0x02};
    assert_int_equal(mg_mp_frame_size(v2, sizeof v2, &len), MG_MP_EVERSION);
    const uint8_t big[] = {0x4d, 0x47, 0x52, 0x44, 0x01, 0x04, 0, 0, 0x01, 0x00, 0x10, 0x00};
    assert_int_equal(mg_mp_frame_size(big, sizeof big, &len), MG_MP_ETOOBIG);
    const uint8_t max[] = {0x4d, 0x47, 0x52, 0x44, 0x01, 0x04, 0, 0, 0x00, 0x00, 0x10, 0x00};
    assert_int_equal(mg_mp_frame_size(max, sizeof max, &len), MG_MP_NEED_MORE);
    /* A wrong byte is refused as soon as it arrives. */
    assert_int_equal(mg_mp_frame_size((const uint8_t *)"M", 1, &len), MG_MP_NEED_MORE);
    assert_int_equal(mg_mp_frame_size((const uint8_t *)"MX", 2, &len), MG_MP_EMAGIC);
    assert_int_equal(mg_mp_frame_size((const uint8_t *)"C", 1, &len), MG_MP_EMAGIC);
    assert_int_equal(mg_mp_frame_size(NULL, 0, &len), MG_MP_NEED_MORE);
    for (int rc = -4; rc <= 2; rc++)
        assert_non_null(mg_mp_strerror(rc));
}

/* Rules a well-framed message can still break. */
static void test_broken_rules_are_malformed(void **state)
{
    (void)state;
    mg_mp_msg *m = malloc(sizeof *m), *d = malloc(sizeof *d);
    mg_buf b;
    mg_buf_init(&b);

    example(m, MG_MP_MEMBER_LIST);   /* the same member twice */
    m->u.member_list.list.members[5].uuid = m->u.member_list.list.members[2].uuid;
    mg_mp_encode(&b, m);
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_MEMBER_LIST);   /* more members than a list holds */
    mg_mp_encode(&b, m);
    /* count field: after header 12 + sender 16+1+8+2 + version 8 + ids 32 */
    size_t at = MG_MP_HEADER + 27 + 8 + 32;
    assert_int_equal(b.data[at], MG_CL_MAX_MEMBERS);
    b.data[at] = MG_CL_MAX_MEMBERS + 1;
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_PARTITION_TABLE);   /* a slot past the member array */
    mg_mp_encode(&b, m);
    b.data[b.len - 1] = 4;
    b.data[b.len - 2] = 0;
    b.data[b.len - 3] = 1;
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_PARTITION_TABLE);   /* one member twice in a partition */
    mg_mp_encode(&b, m);
    b.data[b.len - 1] = 2;
    b.data[b.len - 2] = 2;
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_PARTITION_TABLE);   /* 8 replicas */
    m->u.table.replicas = 8;
    m->u.table.partitions = 10;
    mg_mp_encode(&b, m);
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_SUSPECT_REPORT);   /* no sender */
    m->from.is_null = true;
    mg_mp_encode(&b, m);
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_LEAVE);   /* a host with a NUL in it */
    mg_mp_encode(&b, m);
    b.data[MG_MP_HEADER + 16 + 1 + 2] = 0;
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_reset(&b);
    example(m, MG_MP_CLAIM_RESPONSE);   /* "granted" must be 0 or 1 */
    mg_mp_encode(&b, m);
    b.data[b.len - 3] = 2;
    assert_int_equal(decode(&b, d), MG_MP_EMALFORMED);

    mg_buf_free(&b);
    free(m);
    free(d);
}

/* The first four bytes of every other protocol served on the port. */
static void test_magic_is_unmistakable(void **state)
{
    (void)state;
    static const char *others[] = {
        "CP2\x01", "GET ", "POST", "PUT ", "DELE", "HEAD", "OPTI", "PATC", "TRAC", "CONN", "PRI ",
        "MKCO", "MOVE", "MERG", "get ", "gets", "set ", "add ", "cas ", "incr", "decr", "touc", "stat",
        "vers", "quit", "mg k", "ms k", "md k", "ma k", "mn\r\n", "me k", "MG k", "\x80\x00\x00\x00",
        "\x81\x00\x00\x00", "\x16\x03\x01\x00",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        assert_false(mg_mp_is_magic((const uint8_t *)others[i], 4));
        size_t len;
        assert_int_equal(mg_mp_frame_size((const uint8_t *)others[i], 4, &len), MG_MP_EMAGIC);
    }
    assert_true(mg_mp_is_magic((const uint8_t *)"MGRD", 4));
    assert_false(mg_mp_is_magic((const uint8_t *)"MGR", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leave_bytes),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_every_truncation_is_malformed),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_longer_member_entries),
        cmocka_unit_test(test_unknown_type_skipped),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_broken_rules_are_malformed),
        cmocka_unit_test(test_magic_is_unmistakable),
    };
    return cmocka_run_group_tests_name("member_proto", tests, NULL, NULL);
}
