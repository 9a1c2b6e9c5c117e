/* Partition ids must equal Hazelcast's for the test vectors of
 * client-protocol.md §11.4, or smart clients and members disagree on owners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>

#include "partition/partition_id.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = hex; p[0] && p[1];) {
        if (*p == ' ') { p++; continue; }
        unsigned v;
        sscanf(p, "%2x", &v);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

struct vec { const char *data; int32_t hash; int32_t partition; };

static void test_vectors(void **state)
{
    (void)state;
    const struct vec v[] = {
        {"00000000 fffffff5 00000009 757365723a31303031", -1546905553, 155},
        {"00000000 fffffff5 00000006 6b65792d3432", -544481360, 84},
        {"00000000 fffffff5 00000000", 923237662, 11},
        {"00000000 fffffff5 00000006 68c3a96c6c6f", -131653103, 219},
        {"00000000 fffffff8 00000000000003e9", -1516068836, 257},
        {"00000000 fffffff9 000003e9", -1975177531, 264},
        {"00000000 fffffff6 408f480000000000", 218111798, 158},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t buf[64];
        size_t n = unhex(v[i].data, buf);
        assert_int_equal(mg_data_partition_hash(buf, n), v[i].hash);
        assert_int_equal(mg_partition_of(buf, n, 271), v[i].partition);
    }
}

static void test_header_hash_wins(void **state)
{
    (void)state;
    uint8_t buf[12] = {0, 0, 0, 42, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, 0};
    assert_int_equal(mg_data_partition_hash(buf, sizeof buf), 42);
    assert_int_equal(mg_partition_of(buf, sizeof buf, 271), 42);
}

static void test_edges(void **state)
{
    (void)state;
    assert_int_equal(mg_hash_to_index(INT32_MIN, 271), 0);
    assert_int_equal(mg_hash_to_index(-5, 271), 5);
    uint8_t shortkey[4] = {0};
    assert_int_equal(mg_partition_of(shortkey, 4, 271), -1);
    /* standard MurmurHash3_x86_32 reference values */
    assert_int_equal(mg_murmur3_32((const uint8_t *)"", 0, 0), 0);
    assert_int_equal(mg_murmur3_32((const uint8_t *)"", 0, 1), 0x514E28B7);
    assert_int_equal(mg_murmur3_32((const uint8_t *)"Hello, world!", 13, 1234), 0xFAF6CDB3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_header_hash_wins),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests_name("partition_id", tests, NULL, NULL);
}
