/* test_kvproto.c - memgrid-bench's Redis (RESP2) and memcached (meta)
 * requests and answer scanner (bench/loadgen/kvproto.h): the bytes each
 * request puts on the wire, every answer shape, answers split at every
 * byte, and malformed answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../bench/loadgen/kvproto.h"

static void expect_request(bproto p, bop op, const char *want)
{
    mg_buf b;
    mg_buf_init(&b);
    bkv_encode(p, op, (const uint8_t *)"key:7", 5, (const uint8_t *)"v\r\n1", 4, &b);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    mg_buf_free(&b);
}

static void test_requests(void **state)
{
    (void)state;
    expect_request(BPROTO_REDIS, BOP_GET, "*2\r\n$3\r\nGET\r\n$5\r\nkey:7\r\n");
    expect_request(BPROTO_REDIS, BOP_SET, "*3\r\n$3\r\nSET\r\n$5\r\nkey:7\r\n$4\r\nv\r\n1\r\n");
    expect_request(BPROTO_REDIS, BOP_PUT,
                   "*4\r\n$3\r\nSET\r\n$5\r\nkey:7\r\n$4\r\nv\r\n1\r\n$3\r\nGET\r\n");
    expect_request(BPROTO_REDIS, BOP_REMOVE, "*2\r\n$6\r\nGETDEL\r\n$5\r\nkey:7\r\n");
    expect_request(BPROTO_MEMCACHE, BOP_GET, "mg key:7 v\r\n");
    expect_request(BPROTO_MEMCACHE, BOP_SET, "ms key:7 4\r\nv\r\n1\r\n");
    expect_request(BPROTO_MEMCACHE, BOP_REMOVE, "md key:7\r\n");
    assert_false(bkv_supports(BPROTO_MEMCACHE, BOP_PUT));
    assert_true(bkv_supports(BPROTO_REDIS, BOP_PUT));
}

typedef struct shape {
    bproto p;
    const char *bytes;
    int kind;            /* bkv_kind, or -1: malformed */
    const char *val;     /* BKV_VALUE / BKV_ERROR: the text */
} shape;

static const shape shapes[] = {
    { BPROTO_REDIS, "+OK\r\n", BKV_OK, NULL },
    { BPROTO_REDIS, ":1\r\n", BKV_OK, NULL },
    { BPROTO_REDIS, "$-1\r\n", BKV_NIL, NULL },
    { BPROTO_REDIS, "_\r\n", BKV_NIL, NULL },
    { BPROTO_REDIS, "$5\r\nab\r\nc\r\n", BKV_VALUE, "ab\r\nc" },
    { BPROTO_REDIS, "$0\r\n\r\n", BKV_VALUE, "" },
    { BPROTO_REDIS, "-ERR unknown command 'GETDEL'\r\n", BKV_ERROR, "ERR unknown command 'GETDEL'" },
    { BPROTO_REDIS, "*1\r\n$1\r\na\r\n", -1, NULL },    /* no request asks for an array */
    { BPROTO_REDIS, "$3\r\nabcd\r\n", -1, NULL },       /* length does not match */
    { BPROTO_REDIS, "$x\r\n", -1, NULL },
    { BPROTO_REDIS, "$-2\r\n", -1, NULL },
    { BPROTO_REDIS, ":12a\r\n", -1, NULL },
    { BPROTO_REDIS, "+OK\n", -1, NULL },               /* bare newline */
    { BPROTO_REDIS, "\r\n", -1, NULL },
    { BPROTO_MEMCACHE, "HD\r\n", BKV_OK, NULL },
    { BPROTO_MEMCACHE, "EN\r\n", BKV_NIL, NULL },
    { BPROTO_MEMCACHE, "NF\r\n", BKV_NIL, NULL },
    { BPROTO_MEMCACHE, "VA 3\r\nxyz\r\n", BKV_VALUE, "xyz" },
    { BPROTO_MEMCACHE, "VA 2 f0 t-1\r\nhi\r\n", BKV_VALUE, "hi" },
    { BPROTO_MEMCACHE, "NS\r\n", BKV_ERROR, "NS" },
    { BPROTO_MEMCACHE, "SERVER_ERROR out of memory\r\n", BKV_ERROR, "SERVER_ERROR out of memory" },
    { BPROTO_MEMCACHE, "CLIENT_ERROR bad command line format\r\n", BKV_ERROR,
      "CLIENT_ERROR bad command line format" },
    { BPROTO_MEMCACHE, "ERROR\r\n", BKV_ERROR, "ERROR" },
    { BPROTO_MEMCACHE, "VA\r\n", -1, NULL },
    { BPROTO_MEMCACHE, "VA x\r\nab\r\n", -1, NULL },
    { BPROTO_MEMCACHE, "VA 1\r\nab\r\n", -1, NULL },
    { BPROTO_MEMCACHE, "HDX\r\n", -1, NULL },
    { BPROTO_MEMCACHE, "STORED\r\n", -1, NULL },       /* the text protocol's answer */
};

static void test_answer_shapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        size_t n = strlen(s->bytes), used = 0;
        bkv_answer a;
        int rc = bkv_scan(s->p, (const uint8_t *)s->bytes, n, 1 << 20, &used, &a);
        if (s->kind < 0) {
            assert_int_equal(rc, -1);
            continue;
        }
        assert_int_equal(rc, 1);
        assert_int_equal(used, n);
        assert_int_equal(a.kind, s->kind);
        if (s->val) {
            assert_int_equal(a.len, strlen(s->val));
            assert_memory_equal(a.val, s->val, a.len);
        }
        /* Every proper prefix is "need more" (or already malformed for
         * the bad ones, which the loop above skipped). */
        for (size_t k = 0; k < n; k++)
            assert_int_equal(bkv_scan(s->p, (const uint8_t *)s->bytes, k, 1 << 20, &used, &a), 0);
    }
}

static void test_pipelined_answers(void **state)
{
    (void)state;
    const char *stream = "$3\r\nabc\r\n+OK\r\n$-1\r\n:0\r\n";
    const int kinds[] = { BKV_VALUE, BKV_OK, BKV_NIL, BKV_OK };
    size_t off = 0, n = strlen(stream);
    for (int i = 0; i < 4; i++) {
        size_t used;
        bkv_answer a;
        assert_int_equal(bkv_scan(BPROTO_REDIS, (const uint8_t *)stream + off, n - off, 100, &used, &a), 1);
        assert_int_equal(a.kind, kinds[i]);
        off += used;
    }
    assert_int_equal(off, n);
}

static void test_value_limit(void **state)
{
    (void)state;
    size_t used;
    bkv_answer a;
    /* A value longer than max is refused from its header alone, before
     * its bytes arrive. */
    assert_int_equal(bkv_scan(BPROTO_REDIS, (const uint8_t *)"$101\r\n", 6, 100, &used, &a), -1);
    assert_int_equal(bkv_scan(BPROTO_MEMCACHE, (const uint8_t *)"VA 101\r\n", 8, 100, &used, &a), -1);
    assert_int_equal(bkv_scan(BPROTO_REDIS, (const uint8_t *)"$100\r\n", 6, 100, &used, &a), 0);
    /* A header line that never ends is not waited for forever. */
    char junk[2048];
    memset(junk, 'a', sizeof junk);
    junk[0] = '$';
    assert_int_equal(bkv_scan(BPROTO_REDIS, (const uint8_t *)junk, sizeof junk, 100, &used, &a), -1);
    assert_int_equal(bkv_scan(BPROTO_MEMCACHE, (const uint8_t *)junk, sizeof junk, 100, &used, &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_answer_shapes),
        cmocka_unit_test(test_pipelined_answers),
        cmocka_unit_test(test_value_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
