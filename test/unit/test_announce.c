/* test_announce.c - the multicast discovery datagram (cluster/announce.h):
 * round trip, datagrams of other programs, and every malformed shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/announce.h"

static mg_announce sample(uint8_t kind, const char *host, uint16_t port, const char *name)
{
    mg_announce a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.sender = 0x0102030405060708ULL * kind;
    mg_cl_addr_set(&a.addr, host, port);
    strcpy(a.cluster_name, name);
    return a;
}

static void test_round_trip(void **state)
{
    (void)state;
    const mg_announce cases[] = {
        sample(MG_ANN_LOOKING, "10.0.0.5", 5701, "prod"),
        sample(MG_ANN_MEMBER, "fe80::1", 65535, "a cluster name with spaces"),
        sample(MG_ANN_LOOKING, "", 5702, "dev"),   /* bound to every interface */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[MG_ANN_MAX];
        size_t n = mg_announce_encode(&cases[i], buf);
        assert_int_equal(n, 4 + 1 + 1 + 8 + 2 + 1 + strlen(cases[i].addr.host) + 2 + strlen(cases[i].cluster_name));
        assert_memory_equal(buf, "MGAN", 4);
        mg_announce back;
        assert_int_equal(mg_announce_decode(buf, n, &back), MG_ANN_OK);
        assert_int_equal(back.kind, cases[i].kind);
        assert_true(back.sender == cases[i].sender);
        assert_string_equal(back.addr.host, cases[i].addr.host);
        assert_int_equal(back.addr.port, cases[i].addr.port);
        assert_string_equal(back.cluster_name, cases[i].cluster_name);
    }
}

static void test_longest_name(void **state)
{
    (void)state;
    mg_announce a = sample(MG_ANN_MEMBER, "10.0.0.5", 5701, "");
    memset(a.cluster_name, 'x', MG_ANN_NAME_MAX);
    a.cluster_name[MG_ANN_NAME_MAX] = '\0';
    uint8_t buf[MG_ANN_MAX];
    size_t n = mg_announce_encode(&a, buf);
    assert_true(n > 0 && n <= MG_ANN_MAX);
    mg_announce back;
    assert_int_equal(mg_announce_decode(buf, n, &back), MG_ANN_OK);
    assert_int_equal(strlen(back.cluster_name), MG_ANN_NAME_MAX);
}

static void test_foreign(void **state)
{
    (void)state;
    mg_announce a;
    static const uint8_t hz[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
    assert_int_equal(mg_announce_decode(hz, sizeof hz, &a), MG_ANN_FOREIGN);
    assert_int_equal(mg_announce_decode((const uint8_t *)"MGA", 3, &a), MG_ANN_FOREIGN);
    assert_int_equal(mg_announce_decode((const uint8_t *)"", 0, &a), MG_ANN_FOREIGN);
}

/* Every prefix of a valid datagram is malformed, and so is one byte more. */
static void test_truncated_and_trailing(void **state)
{
    (void)state;
    mg_announce a = sample(MG_ANN_LOOKING, "10.0.0.5", 5701, "prod");
    uint8_t buf[MG_ANN_MAX + 1];
    size_t n = mg_announce_encode(&a, buf);
    mg_announce back;
    for (size_t cut = 4; cut < n; cut++)
        assert_int_equal(mg_announce_decode(buf, cut, &back), MG_ANN_BAD);
    buf[n] = 0;
    assert_int_equal(mg_announce_decode(buf, n + 1, &back), MG_ANN_BAD);
}

static void test_bad_fields(void **state)
{
    (void)state;
    mg_announce a = sample(MG_ANN_MEMBER, "10.0.0.5", 5701, "prod");
    uint8_t good[MG_ANN_MAX], buf[MG_ANN_MAX];
    size_t n = mg_announce_encode(&a, good);
    mg_announce back;
    struct {
        size_t off;
        uint8_t value;
    } edits[] = {
        {4, 2},            /* a newer format */
        {5, 0},            /* kind 0 */
        {5, 3},            /* unknown kind */
        {14, 0}, {15, 0},  /* port 0 (both bytes) */
        {17 + 3, 0},       /* a NUL inside the host */
        {17 + 8, 5},       /* name length longer than what follows */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(buf, good, n);
        buf[edits[i].off] = edits[i].value;
        if (edits[i].off == 14)
            buf[15] = 0;
        if (edits[i].off == 15)
            continue;
        assert_int_equal(mg_announce_decode(buf, n, &back), MG_ANN_BAD);
    }
    /* An empty cluster name. */
    mg_announce e = sample(MG_ANN_MEMBER, "10.0.0.5", 5701, "");
    size_t m = mg_announce_encode(&e, buf);
    assert_true(m > 0);
    assert_int_equal(mg_announce_decode(buf, m, &back), MG_ANN_BAD);
}

/* Fields without a NUL within their bounds are refused, not cut. */
static void test_unterminated(void **state)
{
    (void)state;
    uint8_t buf[MG_ANN_MAX];
    mg_announce a = sample(MG_ANN_MEMBER, "10.0.0.5", 5701, "prod");
    memset(a.cluster_name, 'x', sizeof a.cluster_name);
    assert_int_equal(mg_announce_encode(&a, buf), 0);
    mg_announce h = sample(MG_ANN_MEMBER, "10.0.0.5", 5701, "prod");
    memset(h.addr.host, 'h', sizeof h.addr.host);
    assert_int_equal(mg_announce_encode(&h, buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_longest_name),
        cmocka_unit_test(test_foreign),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_unterminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
