/* The record store against a reference model: lookups, replacement, removal,
 * byte accounting, and the incremental rehash (bounded work per operation,
 * scans that survive resizes, samples drawn from the live entries); and the
 * compact entry layout (optional fields, big keys, reshape, measured cost). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map/expiry.h"
#include "map/store.h"
#include "util/rand.h"

/* Each test gets a heap of its own (setup) and must give every object back
 * (teardown checks). */
static mg_slab *H;

static int heap_setup(void **state)
{
    H = mg_slab_new();
    return 0;
}

static int heap_teardown(void **state)
{
    mg_slab_stats st;
    mg_slab_read_stats(H, &st);
    mg_slab_destroy(H);
    H = NULL;
    if (st.objects != 0) {
        fprintf(stderr, "heap still holds %zu objects\n", st.objects);
        return -1;
    }
    return 0;
}

static mg_store *new_store(void) { return mg_store_new(H, NULL, NULL, false); }

/* ---- keys and values ---------------------------------------------------- */

/* Key for id: [header(4)] [type id -11 (4)] [id as 4 bytes] [filler to a
 * length that varies with id].  Ids map to distinct payloads; the header is
 * free, and two keys differing only there are the same key. */
#define KEY_MAX 40

static size_t make_key(uint8_t *k, uint32_t id, uint32_t header)
{
    size_t len = 12 + id % 17;
    memcpy(k, &header, 4);
    k[4] = 0xff; k[5] = 0xff; k[6] = 0xff; k[7] = 0xf5;
    memcpy(k + 8, &id, 4);
    for (size_t i = 12; i < len; i++)
        k[i] = (uint8_t)(id * 31 + i);
    return len;
}

static uint32_t key_id(const mg_entry *e)
{
    uint32_t id;
    memcpy(&id, mg_entry_key(e) + 8, 4);
    return id;
}

/* Value bytes are a function of (id, tag) so a read can be checked. */
static size_t make_value(uint8_t *v, uint32_t id, uint32_t tag)
{
    size_t len = (id + tag) % 70;
    for (size_t i = 0; i < len; i++)
        v[i] = (uint8_t)(id ^ (tag * 7) ^ i);
    return len;
}

static void assert_value(const mg_entry *e, uint32_t id, uint32_t tag)
{
    uint8_t v[80];
    size_t len = make_value(v, id, tag);
    assert_int_equal(mg_entry_vlen(e), len);
    assert_memory_equal(mg_entry_value(e), v, len);
}

/* What an entry of n bytes (header included) costs, computed independently
 * of slab.c: 8-byte steps to 256, 16 to 512, 32 to 1024, glibc's chunk
 * beyond. */
static size_t entry_cost(size_t n)
{
    if (n <= 16)
        return 16;
    if (n <= 256)
        return (n + 7) / 8 * 8;
    if (n <= 512)
        return (n + 15) / 16 * 16;
    if (n <= 1024)
        return (n + 31) / 32 * 32;
    for (size_t base = 1024; base < 8192; base *= 2)   /* 8 classes per doubling */
        if (n <= 2 * base)
            return (n + base / 8 - 1) / (base / 8) * (base / 8);
    size_t c = (n + 8 + 15) / 16 * 16;
    return c < 32 ? 32 : c;
}

/* glibc's chunk size for a request (bucket arrays, the store struct). */
static size_t glibc_chunk(size_t n)
{
    size_t c = (n + 8 + 15) / 16 * 16;
    return c < 32 ? 32 : c;
}

static void assert_sound(const mg_store *s)
{
    const char *why = mg_store_check(s);
    if (why)
        fail_msg("store invariant broken: %s", why);
}

/* ---- basic behaviour ---------------------------------------------------- */

static void test_empty(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    size_t kl = make_key(k, 1, 0);
    assert_int_equal(mg_store_count(s), 0);
    assert_null(mg_store_get(s, k, kl));
    assert_null(mg_store_unlink(s, k, kl));
    uint64_t cur = 0, rng = 1;
    mg_entry *out[4];
    assert_true(mg_store_scan(s, &cur, 10, NULL, NULL));
    assert_int_equal(mg_store_sample(s, &rng, out, 4), 0);
    assert_sound(s);
    mg_store_free(s);
    mg_store_free(NULL);
}

static void test_put_fresh_entry_metadata(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX], v[80];
    size_t kl = make_key(k, 7, 0x01020304), vl = make_value(v, 7, 3);
    mg_entry *old = (mg_entry *)1;
    mg_entry *e = mg_store_put(s, k, kl, v, vl, 0, &old);
    assert_null(old);
    assert_int_equal(mg_entry_klen(e), kl);
    assert_int_equal(e->lens >> 24, kl);
    assert_int_equal(e->lens & 0xffffff, vl);
    assert_int_equal(e->meta >> 8, mg_key_hash(k, kl) >> 24);
    assert_int_equal(mg_entry_shape(e), 0);
    assert_int_equal(e->version, 0);
    assert_true(mg_expiry_ttl(e) == MG_NEVER);
    assert_true(mg_expiry_max_idle(e) == MG_NEVER);
    assert_true(mg_expiry_deadline(e) == MG_NEVER);
    /* No optional field: the key starts right after the 18-byte base. */
    assert_ptr_equal(mg_entry_key(e), (const uint8_t *)e + 18);
    assert_int_equal(mg_entry_size(e), 18 + kl + vl);
    assert_memory_equal(mg_entry_key(e), k, kl);
    assert_value(e, 7, 3);
    assert_ptr_equal(mg_store_get(s, k, kl), e);
    mg_store_free(s);
}

/* Hazelcast compares keys from byte 4 on: the partition-hash header does not
 * make a different key. */
static void test_header_ignored(void **state)
{
    mg_store *s = new_store();
    uint8_t a[KEY_MAX], b[KEY_MAX], v[80];
    size_t al = make_key(a, 42, 0x11111111), bl = make_key(b, 42, 0x22222222);
    assert_int_equal(al, bl);
    assert_int_equal(mg_key_hash(a, al), mg_key_hash(b, bl));

    mg_entry *old;
    mg_entry *e1 = mg_store_put(s, a, al, v, make_value(v, 42, 1), 0, &old);
    assert_null(old);
    assert_ptr_equal(mg_store_get(s, b, bl), e1);

    mg_entry *e2 = mg_store_put(s, b, bl, v, make_value(v, 42, 2), 0, &old);
    assert_ptr_equal(old, e1);
    assert_int_equal(mg_store_count(s), 1);
    assert_ptr_equal(mg_store_get(s, a, al), e2);
    /* The stored key is the latest writer's bytes, header included. */
    assert_memory_equal(mg_entry_key(e2), b, bl);
    mg_store_release(s, old);

    assert_ptr_equal(mg_store_unlink(s, a, al), e2);
    assert_int_equal(mg_store_count(s), 0);
    mg_store_release(s, e2);
    mg_store_free(s);
}

/* Equal payload prefixes with different lengths are different keys; one
 * differing byte past the header is a different key. */
static void test_length_and_bytes_matter(void **state)
{
    mg_store *s = new_store();
    uint8_t a[16] = {0, 0, 0, 1, 9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t b[16];
    memcpy(b, a, 16);
    b[15] ^= 1;
    mg_entry *old;
    mg_entry *e12 = mg_store_put(s, a, 12, NULL, 0, 0, &old);
    mg_entry *e16 = mg_store_put(s, a, 16, NULL, 0, 0, &old);
    assert_null(old);
    mg_entry *eb = mg_store_put(s, b, 16, NULL, 0, 0, &old);
    assert_null(old);
    assert_int_equal(mg_store_count(s), 3);
    assert_ptr_equal(mg_store_get(s, a, 12), e12);
    assert_ptr_equal(mg_store_get(s, a, 16), e16);
    assert_ptr_equal(mg_store_get(s, b, 16), eb);
    assert_null(mg_store_get(s, a, 14));
    mg_store_free(s);
}

/* ---- byte accounting ---------------------------------------------------- */

static void test_entry_cost_formula(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX], v[80];
    for (uint32_t id = 0; id < 200; id++) {
        size_t kl = make_key(k, id, 0), vl = make_value(v, id, 5);
        mg_entry *old;
        mg_entry *e = mg_store_put(s, k, kl, v, vl, 0, &old);
        assert_int_equal(mg_entry_cost(e), entry_cost(18 + kl + vl));
        assert_true(mg_entry_cost(e) >= 18 + kl + vl && mg_entry_cost(e) < 18 + kl + vl + 8);
    }
    mg_store_free(s);
}

static void test_bytes_exact(void **state)
{
    mg_store *s = new_store();
    mg_store_stats st;
    mg_store_read_stats(s, &st);
    size_t base = mg_store_bytes(s);
    assert_int_equal(st.entry_bytes, 0);
    assert_int_equal(base, st.table_bytes);

    uint8_t k[KEY_MAX], v[80];
    size_t kl = make_key(k, 3, 0), vl = make_value(v, 3, 9);
    mg_entry *old;
    mg_entry *e = mg_store_put(s, k, kl, v, vl, 0, &old);
    size_t ce = entry_cost(18 + kl + vl);
    size_t arr = glibc_chunk(MG_STORE_MIN_BUCKETS * sizeof(void *));
    assert_int_equal(mg_store_bytes(s), base + arr + ce);

    /* Replace: the old entry is still held until released. */
    size_t vl2 = make_value(v, 3, 40);
    mg_entry *e2 = mg_store_put(s, k, kl, v, vl2, 0, &old);
    assert_ptr_equal(old, e);
    size_t ce2 = entry_cost(18 + kl + vl2);
    assert_int_equal(mg_store_count(s), 1);
    assert_int_equal(mg_store_bytes(s), base + arr + ce + ce2);
    mg_store_release(s, old);
    assert_int_equal(mg_store_bytes(s), base + arr + ce2);

    /* Unlink drops the count at once, the bytes at release. */
    assert_ptr_equal(mg_store_unlink(s, k, kl), e2);
    assert_int_equal(mg_store_count(s), 0);
    assert_int_equal(mg_store_bytes(s), base + arr + ce2);
    mg_store_release(s, e2);
    assert_int_equal(mg_store_bytes(s), base + arr);
    mg_store_release(s, NULL);
    mg_store_free(s);
}

/* ---- compact layout ----------------------------------------------------- */

/* Every set of optional fields: each field reads back what was written, the
 * header is exactly as wide as its fields, and key and value are intact. */
static void test_layout_every_shape(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX], v[80];
    static const unsigned fields[] = {MG_EF_TTL, MG_EF_IDLE, MG_EF_HITS, MG_EF_UPD, MG_EF_ACC, MG_EF_CRE};
    for (unsigned shape = 0; shape <= MG_EF_SHAPE; shape += 4) {   /* bits 0-1 (KLEN, VLEN) are the store's */
        uint32_t id = shape;
        size_t kl = make_key(k, id, 0), vl = make_value(v, id, 4);
        mg_entry *old;
        mg_entry *e = mg_store_put(s, k, kl, v, vl, shape, &old);
        assert_null(old);
        assert_int_equal(mg_entry_shape(e), shape);
        size_t hdr = 18 + 4 * (size_t)__builtin_popcount(shape & MG_EF_U32S) +
                     6 * (size_t)__builtin_popcount(shape & MG_EF_U48S);
        assert_int_equal(mg_entry_header(e->meta), hdr);
        assert_ptr_equal(mg_entry_key(e), (const uint8_t *)e + hdr);
        assert_int_equal(mg_entry_cost(e), entry_cost(hdr + kl + vl));
        /* New fields are zero; then each holds its own value. */
        for (size_t f = 0; f < 6; f++) {
            if (!(shape & fields[f]))
                continue;
            if (fields[f] & MG_EF_U32S) {
                assert_int_equal(mg_entry_u32(e, fields[f]), 0);
                mg_entry_set_u32(e, fields[f], 0xA0000000u + (uint32_t)f);
            } else {
                assert_true(mg_entry_time(e, fields[f]) == 0);
                mg_entry_set_time(e, fields[f], INT64_C(1780000000000) + (int64_t)f);
            }
        }
        for (size_t f = 0; f < 6; f++) {
            if (!(shape & fields[f]))
                continue;
            if (fields[f] & MG_EF_U32S)
                assert_int_equal(mg_entry_u32(e, fields[f]), 0xA0000000u + (uint32_t)f);
            else
                assert_true(mg_entry_time(e, fields[f]) == INT64_C(1780000000000) + (int64_t)f);
        }
        assert_memory_equal(mg_entry_key(e), k, kl);
        assert_value(e, id, 4);
        assert_ptr_equal(mg_store_get(s, k, kl), e);
    }
    /* Times are 48 bits: the whole range of real clocks, clamped outside. */
    mg_entry *old;
    size_t kl = make_key(k, 999, 0);
    mg_entry *e = mg_store_put(s, k, kl, NULL, 0, MG_EF_ACC, &old);
    mg_entry_set_time(e, MG_EF_ACC, (INT64_C(1) << 48) - 1);
    assert_true(mg_entry_time(e, MG_EF_ACC) == (INT64_C(1) << 48) - 1);
    mg_entry_set_time(e, MG_EF_ACC, INT64_MAX);
    assert_true(mg_entry_time(e, MG_EF_ACC) == (INT64_C(1) << 48) - 1);
    mg_entry_set_time(e, MG_EF_ACC, -5);
    assert_true(mg_entry_time(e, MG_EF_ACC) == 0);
    assert_sound(s);
    mg_store_free(s);
}

/* Keys of 255 bytes and more keep their length in the KLEN field. */
static void test_big_keys(void **state)
{
    mg_store *s = new_store();
    static const size_t lens[] = {254, 255, 256, 200000};
    uint8_t *k = malloc(200000);
    for (size_t i = 0; i < 200000; i++)
        k[i] = (uint8_t)(i * 13 + 1);
    mg_entry *e[4], *old;
    uint8_t v[3] = {1, 2, 3};
    for (int i = 0; i < 4; i++) {
        e[i] = mg_store_put(s, k, lens[i], v, 3, MG_EF_TTL | MG_EF_UPD, &old);
        assert_null(old);
        assert_int_equal(mg_entry_klen(e[i]), lens[i]);
        assert_int_equal(mg_entry_has(e[i], MG_EF_KLEN), lens[i] >= 255);
        assert_false(mg_entry_has(e[i], MG_EF_VLEN));
        assert_int_equal(mg_entry_size(e[i]), mg_entry_size_for(MG_EF_TTL | MG_EF_UPD, lens[i], 3));
        assert_int_equal(mg_entry_cost(e[i]), entry_cost(mg_entry_size(e[i])));
        mg_entry_set_u32(e[i], MG_EF_TTL, 77);
        assert_memory_equal(mg_entry_value(e[i]), v, 3);
    }
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(mg_store_get(s, k, lens[i]), e[i]);
        assert_int_equal(mg_entry_u32(e[i], MG_EF_TTL), 77);
        assert_memory_equal(mg_entry_key(e[i]), k, lens[i]);
    }
    e[2] = mg_store_reshape(s, e[2], MG_EF_HITS);
    assert_int_equal(mg_entry_klen(e[2]), 256);
    assert_ptr_equal(mg_store_get(s, k, 256), e[2]);
    assert_sound(s);
    free(k);
    mg_store_free(s);
}

/* Values of 16 MiB - 1 bytes and more keep their length in VLEN. */
static void test_big_values(void **state)
{
    mg_store *s = new_store();
    static const size_t lens[] = {0xFFFFFE, 0xFFFFFF, 0x1000000 + 5};
    uint8_t *v = malloc(0x1000000 + 5);
    for (size_t i = 0; i < 0x1000000 + 5; i++)
        v[i] = (uint8_t)(i * 7 + i / 4096);
    uint8_t k[KEY_MAX];
    for (int i = 0; i < 3; i++) {
        size_t kl = make_key(k, (uint32_t)i, 0);
        mg_entry *old;
        mg_entry *e = mg_store_put(s, k, kl, v, lens[i], MG_EF_ACC, &old);
        assert_int_equal(mg_entry_vlen(e), lens[i]);
        assert_int_equal(mg_entry_has(e, MG_EF_VLEN), lens[i] >= 0xFFFFFF);
        assert_int_equal(mg_entry_cost(e), entry_cost(mg_entry_size(e)));
        mg_entry_set_time(e, MG_EF_ACC, 42);
        assert_memory_equal(mg_entry_value(e), v, lens[i]);
        assert_memory_equal(mg_entry_key(e), k, kl);
    }
    for (int i = 0; i < 3; i++) {
        size_t kl = make_key(k, (uint32_t)i, 0);
        mg_entry *e = mg_store_get(s, k, kl);
        assert_true(mg_entry_time(e, MG_EF_ACC) == 42);
        assert_int_equal(mg_entry_vlen(e), lens[i]);
    }
    assert_sound(s);
    free(v);
    mg_store_free(s);
}

/* Reshape keeps the key, value, version, table position and every field
 * the two shapes share, and accounts the new size. */
static void test_reshape(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX], v[80];
    mg_entry *old;
    /* Neighbours in the same chains, so relinking in place is exercised. */
    for (uint32_t id = 0; id < 64; id++)
        mg_store_put(s, k, make_key(k, id, 0), v, make_value(v, id, 1), 0, &old);
    for (uint32_t id = 0; id < 64; id += 3) {
        size_t kl = make_key(k, id, 0);
        mg_entry *e = mg_store_get(s, k, kl);
        e->version = id;
        mg_entry *r = mg_store_reshape(s, e, 0);
        assert_ptr_equal(r, e);   /* same shape: nothing to do */
        size_t before = mg_store_bytes(s);
        size_t c0 = mg_entry_cost(e);
        e = mg_store_reshape(s, e, MG_EF_TTL | MG_EF_UPD | MG_EF_CRE);
        mg_entry_set_u32(e, MG_EF_TTL, 5);
        mg_entry_set_time(e, MG_EF_UPD, 1234);
        mg_entry_set_time(e, MG_EF_CRE, 99);
        assert_int_equal(mg_store_bytes(s), before - c0 + mg_entry_cost(e));
        e = mg_store_reshape(s, e, MG_EF_UPD | MG_EF_CRE | MG_EF_HITS);
        assert_int_equal(e->version, id);
        assert_true(mg_entry_time(e, MG_EF_UPD) == 1234);
        assert_true(mg_entry_time(e, MG_EF_CRE) == 99);
        assert_int_equal(mg_entry_u32(e, MG_EF_HITS), 0);
        assert_false(mg_entry_has(e, MG_EF_TTL));
        assert_ptr_equal(mg_store_get(s, k, kl), e);
        assert_value(e, id, 1);
        assert_sound(s);
    }
    assert_int_equal(mg_store_count(s), 64);
    for (uint32_t id = 0; id < 64; id++)
        assert_value(mg_store_get(s, k, make_key(k, id, 0)), id, 1);
    mg_store_free(s);
}

/* The overhead goal, measured: a million-entry map spread over 271
 * partitions (as the member stores it), 16-character string keys and
 * 100-byte values as the Go client serializes them (28 + 112 bytes).
 * Overhead = everything the stores hold (slots, bucket arrays, store
 * structs) minus the 140 payload bytes, per entry. */
static double overhead_per_entry(size_t n, unsigned shape)
{
    enum { P = 271 };
    mg_store *st[P];
    for (int p = 0; p < P; p++)
        st[p] = new_store();
    uint8_t key[28] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, 16};
    uint8_t val[112] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf4, 0, 0, 0, 100};
    for (size_t i = 0; i < n; i++) {
        char text[32];
        snprintf(text, sizeof text, "key-%012u", (unsigned)(i % 1000000000u));
        memcpy(key + 12, text, 16);
        memcpy(val + 12, &i, sizeof i);
        mg_entry *old;
        mg_store_put(st[mg_key_hash(key, 28) % P], key, 28, val, 112, shape, &old);
    }
    size_t bytes = 0;
    for (int p = 0; p < P; p++) {
        /* let rehashes finish: a steady state, not a moment mid-grow */
        mg_store_stats ss;
        for (mg_store_read_stats(st[p], &ss); ss.rehashing; mg_store_read_stats(st[p], &ss))
            mg_store_get(st[p], key, 28);
        bytes += mg_store_bytes(st[p]);
    }
    for (int p = 0; p < P; p++)
        mg_store_free(st[p]);
    return (double)bytes / (double)n - 140.0;
}

static void test_overhead_goal(void **state)
{
    /* plain map: 158 bytes -> a 160-byte slot, + ~4-8 bytes of buckets */
    double plain = overhead_per_entry(1000000, 0);
    /* an LRU map keeps last access: 164 -> 168 */
    double lru = overhead_per_entry(1000000, MG_EF_ACC);
    /* an entry with a TTL: TTL + UPD, 168 -> 168 */
    double ttl = overhead_per_entry(200000, MG_EF_TTL | MG_EF_UPD);
    /* per-entry stats: HITS + UPD + ACC + CRE, 180 -> 184 */
    double stats = overhead_per_entry(200000, MG_EF_HITS | MG_EF_UPD | MG_EF_ACC | MG_EF_CRE);
    print_message("overhead per entry beside 140 payload bytes: plain %.1f, LRU %.1f, with TTL %.1f, "
                  "per-entry stats %.1f\n", plain, lru, ttl, stats);
    assert_true(plain >= 20 && plain <= 30);
    assert_true(lru >= 28 && lru <= 38);
    assert_true(ttl >= 28 && ttl <= 40);
    assert_true(stats <= 52);
}

/* ---- random operations against a model ---------------------------------- */

#define MODEL_KEYS 6000

typedef struct model {
    bool present[MODEL_KEYS];
    uint32_t tag[MODEL_KEYS];
    size_t count;
    size_t entry_bytes;   /* sum of costs of live entries, from the model */
} model;

static size_t model_cost(uint32_t id, uint32_t tag)
{
    uint8_t k[KEY_MAX], v[80];
    return entry_cost(18 + make_key(k, id, 0) + make_value(v, id, tag));
}

/* The rehash work one store call did, checked against the bound. */
static void check_step(mg_store *s, mg_store_stats *prev, uint64_t *max_moved)
{
    mg_store_stats st;
    mg_store_read_stats(s, &st);
    uint64_t moved = st.rehash_moved - prev->rehash_moved;
    uint64_t skipped = st.rehash_skipped - prev->rehash_skipped;
    if (moved > MG_STORE_REHASH_MOVES || skipped > MG_STORE_REHASH_EMPTY_VISITS)
        fail_msg("one store call moved %llu entries, skipped %llu buckets",
                 (unsigned long long)moved, (unsigned long long)skipped);
    if (moved > *max_moved)
        *max_moved = moved;
    *prev = st;
}

/* Checks the per-call rehash bound and the byte total after each op. */
static void after_op(mg_store *s, const model *m, mg_store_stats *prev, uint64_t *max_moved)
{
    check_step(s, prev, max_moved);
    mg_store_stats st;
    mg_store_read_stats(s, &st);
    assert_int_equal(st.count, m->count);
    assert_int_equal(mg_store_count(s), m->count);
    assert_int_equal(st.entry_bytes, m->entry_bytes);
    assert_int_equal(mg_store_bytes(s), st.entry_bytes + st.table_bytes);
}

static void test_random_ops_against_model(void **state)
{
    mg_store *s = new_store();
    model *m = calloc(1, sizeof(*m));
    uint64_t rng = 0x5eed;
    mg_store_stats prev;
    mg_store_read_stats(s, &prev);
    uint64_t max_moved = 0;
    size_t max_count = 0, grew = 0, shrank = 0, last_size = 0;
    uint8_t k[KEY_MAX], v[80];

    /* Three fill/drain cycles (about 4000 keys present at the top, 300 at the
     * bottom), so the table both grows and shrinks. */
    for (int op = 0; op < 120000; op++) {
        bool filling = (op / 20000) % 2 == 0;
        uint32_t r = (uint32_t)(mg_rand_next(&rng) % 100);
        uint32_t id = (uint32_t)(mg_rand_next(&rng) % MODEL_KEYS);
        uint32_t header = (uint32_t)mg_rand_next(&rng);   /* never matters */
        size_t kl = make_key(k, id, header);

        if (r < (filling ? 55u : 2u)) {                  /* put / replace */
            uint32_t tag = (uint32_t)(mg_rand_next(&rng) % 1000);
            mg_entry *old;
            mg_entry *e = mg_store_put(s, k, kl, v, make_value(v, id, tag), 0, &old);
            assert_non_null(e);
            if (m->present[id]) {
                assert_non_null(old);
                assert_value(old, id, m->tag[id]);
                m->entry_bytes -= model_cost(id, m->tag[id]);
                mg_store_release(s, old);
            } else {
                assert_null(old);
                m->present[id] = true;
                m->count++;
            }
            m->tag[id] = tag;
            m->entry_bytes += model_cost(id, tag);
        } else if (r < (filling ? 65u : 90u)) {          /* unlink by key */
            mg_entry *e = mg_store_unlink(s, k, kl);
            if (m->present[id]) {
                assert_non_null(e);
                assert_int_equal(key_id(e), id);
                assert_value(e, id, m->tag[id]);
                mg_store_release(s, e);
                m->present[id] = false;
                m->count--;
                m->entry_bytes -= model_cost(id, m->tag[id]);
            } else {
                assert_null(e);
            }
        } else if (r < (filling ? 70u : 95u)) {          /* get, then unlink_entry */
            mg_entry *e = mg_store_get(s, k, kl);
            check_step(s, &prev, &max_moved);
            if (m->present[id]) {
                assert_non_null(e);
                mg_store_unlink_entry(s, e);
                mg_store_release(s, e);
                m->present[id] = false;
                m->count--;
                m->entry_bytes -= model_cost(id, m->tag[id]);
            } else {
                assert_null(e);
            }
        } else {                                         /* get */
            mg_entry *e = mg_store_get(s, k, kl);
            if (m->present[id]) {
                assert_non_null(e);
                assert_int_equal(key_id(e), id);
                assert_value(e, id, m->tag[id]);
            } else {
                assert_null(e);
            }
        }
        after_op(s, m, &prev, &max_moved);
        if (m->count > max_count)
            max_count = m->count;
        if (prev.buckets[0] > last_size && last_size)
            grew++;
        if (prev.buckets[0] < last_size)
            shrank++;
        last_size = prev.buckets[0];
        if (op % 997 == 0)
            assert_sound(s);
    }
    assert_sound(s);
    /* The workload did exercise the rehash both ways. */
    assert_true(grew >= 3);
    assert_true(shrank >= 2);
    assert_true(max_moved == MG_STORE_REHASH_MOVES);
    assert_true(max_count > 3000);

    /* Final full comparison. */
    for (uint32_t id = 0; id < MODEL_KEYS; id++) {
        size_t kl = make_key(k, id, 0xdeadbeef);
        mg_entry *e = mg_store_get(s, k, kl);
        if (m->present[id]) {
            assert_non_null(e);
            assert_value(e, id, m->tag[id]);
        } else {
            assert_null(e);
        }
    }
    free(m);
    mg_store_free(s);
}

/* ---- growth and shrink -------------------------------------------------- */

static void test_grow_and_shrink_incrementally(void **state)
{
    enum { N = 100000 };
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_store_stats prev, st;
    mg_store_read_stats(s, &prev);
    size_t ops_rehashing = 0, longest_rehash = 0, run = 0;

    for (uint32_t id = 0; id < N; id++) {
        mg_entry *old;
        mg_store_put(s, k, make_key(k, id, id), NULL, 0, 0, &old);
        mg_store_read_stats(s, &st);
        assert_true(st.rehash_moved - prev.rehash_moved <= MG_STORE_REHASH_MOVES);
        assert_true(st.rehash_skipped - prev.rehash_skipped <= MG_STORE_REHASH_EMPTY_VISITS);
        /* Load factor stays bounded: grow starts at load MG_STORE_MAX_LOAD
         * into a table of load 1, and t[0] drains faster than inserts
         * arrive, so the target never gets past MG_STORE_MAX_LOAD. */
        if (st.rehashing) {
            ops_rehashing++;
            run++;
            assert_true(st.count <= MG_STORE_MAX_LOAD * st.buckets[1]);
        } else {
            if (run > longest_rehash)
                longest_rehash = run;
            run = 0;
            assert_true(st.count < MG_STORE_MAX_LOAD * st.buckets[0]);
        }
        prev = st;
    }
    assert_sound(s);
    assert_true(ops_rehashing > 0);
    /* A grow from 2^k buckets moves 2^k entries 8 at a time. */
    assert_true(longest_rehash <= 65536 / MG_STORE_REHASH_MOVES * 11 / 10);
    mg_store_read_stats(s, &st);
    size_t peak = st.buckets[0] > st.buckets[1] ? st.buckets[0] : st.buckets[1];
    assert_true(peak >= N / MG_STORE_MAX_LOAD && peak <= 2 * (size_t)N);
    uint64_t grows = st.rehashes;

    /* Everything is still there. */
    for (uint32_t id = 0; id < N; id++)
        assert_non_null(mg_store_get(s, k, make_key(k, id, 0)));

    /* Drain: shrinks happen, also incrementally. */
    mg_store_read_stats(s, &prev);
    for (uint32_t id = 0; id < N; id++) {
        mg_entry *e = mg_store_unlink(s, k, make_key(k, id, 7));
        assert_non_null(e);
        mg_store_release(s, e);
        mg_store_read_stats(s, &st);
        assert_true(st.rehash_moved - prev.rehash_moved <= MG_STORE_REHASH_MOVES);
        assert_true(st.rehash_skipped - prev.rehash_skipped <= MG_STORE_REHASH_EMPTY_VISITS);
        prev = st;
        if (id % 4999 == 0)
            assert_sound(s);
    }
    mg_store_read_stats(s, &st);
    assert_true(st.rehashes > grows);
    /* Finish any rehash still running; the table ends at the minimum. */
    for (int i = 0; i < 100 && (st.rehashing || st.buckets[0] != MG_STORE_MIN_BUCKETS); i++) {
        mg_store_get(s, k, make_key(k, 1, 0));
        mg_store_read_stats(s, &st);
    }
    assert_false(st.rehashing);
    assert_int_equal(st.buckets[0], MG_STORE_MIN_BUCKETS);
    assert_int_equal(st.entry_bytes, 0);
    assert_sound(s);
    mg_store_free(s);
}

/* ---- foreach / remove_if ------------------------------------------------ */

static bool count_visit(void *ctx, mg_entry *e)
{
    (*(size_t *)ctx)++;
    return true;
}

static bool stop_after_3(void *ctx, mg_entry *e)
{
    return ++*(size_t *)ctx < 3;
}

static bool is_even(void *ctx, const mg_entry *e)
{
    return key_id(e) % 2 == 0;
}

static void note_removed(void *ctx, mg_entry *e)
{
    uint8_t *seen = ctx;
    assert_true(key_id(e) % 2 == 0);
    seen[key_id(e)]++;
}

static void test_foreach_and_remove_if(void **state)
{
    enum { N = 3000 };
    mg_store *s = new_store();
    uint8_t k[KEY_MAX], v[80];
    size_t cost_odd = 0;
    for (uint32_t id = 0; id < N; id++) {
        mg_entry *old;
        mg_store_put(s, k, make_key(k, id, 0), v, make_value(v, id, 1), 0, &old);
        if (id % 2)
            cost_odd += model_cost(id, 1);
    }
    size_t n = 0;
    mg_store_foreach(s, count_visit, &n);
    assert_int_equal(n, N);
    n = 0;
    mg_store_foreach(s, stop_after_3, &n);
    assert_int_equal(n, 3);

    uint8_t *seen = calloc(N, 1);
    /* The predicate reads the entry through ctx-less is_even; the removed
     * callback gets the seen array. */
    assert_int_equal(mg_store_remove_if(s, is_even, note_removed, seen), N / 2);
    for (uint32_t id = 0; id < N; id++) {
        assert_int_equal(seen[id], id % 2 == 0 ? 1 : 0);
        mg_entry *e = mg_store_get(s, k, make_key(k, id, 0));
        if (id % 2)
            assert_non_null(e);
        else
            assert_null(e);
    }
    mg_store_stats st;
    mg_store_read_stats(s, &st);
    assert_int_equal(st.count, N / 2);
    assert_int_equal(st.entry_bytes, cost_odd);
    assert_sound(s);
    free(seen);
    mg_store_free(s);
}

/* ---- scan --------------------------------------------------------------- */

typedef struct scan_seen {
    uint32_t *hits;    /* per id */
    size_t visits;
} scan_seen;

static bool scan_note(void *ctx, mg_entry *e)
{
    scan_seen *ss = ctx;
    ss->hits[key_id(e)]++;
    ss->visits++;
    return true;
}

/* Scans with a small budget while another "thread of operations" (the same
 * thread, between calls) inserts and removes keys outside a stable set,
 * pushing the table through grow (insert) or shrink (remove) rehashes.
 * Every stable key must be seen at least once. */
static void scan_under_churn(bool grow)
{
    /* Removals must outpace the scan or it ends before the shrink starts. */
    const size_t budget = grow ? 2 : 3;
    const int churn_per_call = 20;
    enum { STABLE = 600, CHURN = 40000 };
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old;
    uint32_t next_churn = STABLE, drop_churn = STABLE;

    for (uint32_t id = 0; id < STABLE; id++)
        mg_store_put(s, k, make_key(k, id, 0), NULL, 0, 0, &old);
    if (!grow) {
        /* Start big so removals make it shrink during the scan. */
        for (; next_churn < STABLE + CHURN; next_churn++)
            mg_store_put(s, k, make_key(k, next_churn, 0), NULL, 0, 0, &old);
    }

    scan_seen ss = {calloc(STABLE + 2 * CHURN, sizeof(uint32_t)), 0};
    uint64_t cursor = 0;
    size_t calls = 0, calls_rehashing = 0, resizes_during = 0;
    mg_store_stats st;
    mg_store_read_stats(s, &st);
    uint64_t rehashes0 = st.rehashes;
    bool done = false;
    while (!done) {
        done = mg_store_scan(s, &cursor, budget, scan_note, &ss);
        calls++;
        for (int i = 0; i < churn_per_call; i++) {
            if (grow && next_churn < STABLE + 2 * CHURN) {
                mg_store_put(s, k, make_key(k, next_churn++, 0), NULL, 0, 0, &old);
            } else if (!grow && drop_churn < next_churn) {
                mg_entry *e = mg_store_unlink(s, k, make_key(k, drop_churn++, 0));
                assert_non_null(e);
                mg_store_release(s, e);
            }
        }
        mg_store_read_stats(s, &st);
        if (st.rehashing)
            calls_rehashing++;
        assert_true(calls < 10000000);
    }
    resizes_during = (size_t)(st.rehashes - rehashes0);
    for (uint32_t id = 0; id < STABLE; id++)
        if (ss.hits[id] == 0)
            fail_msg("stable key %u never visited (%s)", id, grow ? "grow" : "shrink");
    /* The scan really did overlap resizes. */
    assert_true(resizes_during >= 2);
    assert_true(calls_rehashing > 0);
    assert_sound(s);
    free(ss.hits);
    mg_store_free(s);
}

/* A dropped store freed a slice at a time (mg_store_free_some): each call
 * frees at most its budget, the map's counters fall with every slice and
 * reach zero with the last one, also for a store caught in a rehash, and
 * every entry goes back to the heap (teardown). */
static void test_free_in_slices(void **state)
{
    enum { N = 5000, BUDGET = 300 };
    for (int mid_rehash = 0; mid_rehash < 2; mid_rehash++) {
        mg_mem_acct acct = {0};
        mg_store *s = mg_store_new(H, &acct, NULL, false);
        uint8_t k[KEY_MAX];
        mg_store_stats st;
        uint32_t n = 0;
        for (; n < N || (mid_rehash && (mg_store_read_stats(s, &st), !st.rehashing)); n++) {
            mg_entry *old;
            mg_store_put(s, k, make_key(k, n, 0), (const uint8_t *)"v", 1, 0, &old);
        }
        if (mid_rehash) {
            mg_store_read_stats(s, &st);
            assert_true(st.rehashing);
        }
        assert_int_equal(atomic_load(&acct.entries), n);
        int64_t before = atomic_load(&acct.entries);
        size_t calls = 0;
        for (;;) {
            size_t budget = BUDGET;
            calls++;
            bool gone = mg_store_free_some(s, &budget);
            int64_t now = atomic_load(&acct.entries);
            assert_true(before - now <= BUDGET);
            assert_true(before - now == (int64_t)(BUDGET - budget));
            before = now;
            if (gone)
                break;
            assert_int_equal(budget, 0);
            assert_true(calls <= n / BUDGET + 2);
        }
        assert_true(calls >= n / BUDGET);
        assert_int_equal(atomic_load(&acct.entries), 0);
        assert_int_equal(atomic_load(&acct.bytes), 0);
    }
}

static bool every(void *ctx, const mg_entry *e)
{
    (void)ctx;
    (void)e;
    return true;
}

/* mg_store_expiring counts linked entries with a TTL or max-idle field
 * through put, replace, reshape, unlink and remove_if. */
static void test_expiring_count(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old;
    for (uint32_t id = 0; id < 100; id++) {
        mg_store_put(s, k, make_key(k, id, 0), NULL, 0, id % 2 ? MG_EF_TTL : 0, &old);
        assert_null(old);
    }
    assert_int_equal(mg_store_expiring(s), 50);
    /* replace an expiring entry by one without, and the reverse */
    mg_store_put(s, k, make_key(k, 1, 0), NULL, 0, 0, &old);
    mg_store_release(s, old);
    mg_store_put(s, k, make_key(k, 2, 0), NULL, 0, MG_EF_IDLE, &old);
    mg_store_release(s, old);
    assert_int_equal(mg_store_expiring(s), 50);
    mg_entry *e = mg_store_get(s, k, make_key(k, 4, 0));
    mg_store_reshape(s, e, MG_EF_TTL | MG_EF_UPD);
    assert_int_equal(mg_store_expiring(s), 51);
    e = mg_store_get(s, k, make_key(k, 4, 0));
    mg_store_reshape(s, e, MG_EF_UPD);
    assert_int_equal(mg_store_expiring(s), 50);
    mg_store_release(s, mg_store_unlink(s, k, make_key(k, 3, 0)));
    assert_int_equal(mg_store_expiring(s), 49);
    mg_store_release(s, mg_store_unlink(s, k, make_key(k, 6, 0)));
    assert_int_equal(mg_store_expiring(s), 49);
    mg_store_remove_if(s, every, NULL, NULL);
    assert_int_equal(mg_store_expiring(s), 0);
    mg_store_free(s);
}

/* A store told how many entries come takes them without one rehash; a
 * store holding entries, or a hint past the cap, is left as it is. */
static void test_reserve(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old;
    mg_store_stats st;
    mg_store_reserve(s, 5000);
    mg_store_read_stats(s, &st);
    assert_int_equal(st.buckets[0], 8192);
    for (uint32_t id = 0; id < 5000; id++)
        mg_store_put(s, k, make_key(k, id, 0), NULL, 0, 0, &old);
    mg_store_read_stats(s, &st);
    assert_int_equal(st.rehashes, 0);
    assert_int_equal(st.buckets[0], 8192);
    assert_sound(s);

    mg_store_reserve(s, 100000);   /* not empty: nothing */
    mg_store_read_stats(s, &st);
    assert_int_equal(st.buckets[0], 8192);
    mg_store_free(s);

    s = new_store();
    mg_store_reserve(s, (size_t)MG_STORE_RESERVE_MAX + 1);   /* past the cap: nothing */
    mg_store_read_stats(s, &st);
    assert_int_equal(st.buckets[0], 0);
    mg_store_reserve(s, 3);
    mg_store_read_stats(s, &st);
    assert_int_equal(st.buckets[0], MG_STORE_MIN_BUCKETS);
    mg_store_free(s);
}

static void test_scan_survives_grow(void **state)
{
    scan_under_churn(true);
}

static void test_scan_survives_shrink(void **state)
{
    scan_under_churn(false);
}

/* Without changes, one pass sees every entry exactly once, and stopping from
 * the callback resumes where it stopped. */
static bool scan_stop_every_7(void *ctx, mg_entry *e)
{
    scan_seen *ss = ctx;
    ss->hits[key_id(e)]++;
    return ++ss->visits % 7 != 0;
}

static void test_scan_exact_pass_and_stop(void **state)
{
    enum { N = 5000 };
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old;
    for (uint32_t id = 0; id < N; id++)
        mg_store_put(s, k, make_key(k, id, 0), NULL, 0, 0, &old);
    /* Let any rehash finish so the layout is fixed. */
    mg_store_stats st;
    do {
        mg_store_get(s, k, make_key(k, 0, 0));
        mg_store_read_stats(s, &st);
    } while (st.rehashing);

    scan_seen ss = {calloc(N, sizeof(uint32_t)), 0};
    uint64_t cursor = 0;
    while (!mg_store_scan(s, &cursor, 100, scan_note, &ss))
        ;
    assert_int_equal(cursor, 0);
    for (uint32_t id = 0; id < N; id++)
        assert_int_equal(ss.hits[id], 1);

    memset(ss.hits, 0, N * sizeof(uint32_t));
    ss.visits = 0;
    cursor = 0;
    size_t calls = 0;
    while (!mg_store_scan(s, &cursor, 1000, scan_stop_every_7, &ss))
        assert_true(++calls < 100000);
    for (uint32_t id = 0; id < N; id++)
        assert_true(ss.hits[id] >= 1);
    free(ss.hits);
    mg_store_free(s);
}

/* ---- sample ------------------------------------------------------------- */

static void assert_in_store(mg_store *s, mg_entry *e)
{
    assert_ptr_equal(mg_store_get(s, mg_entry_key(e), mg_entry_klen(e)), e);
}

static void test_sample_small_returns_all(void **state)
{
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old, *out[15];
    uint64_t rng = 99;
    for (uint32_t n = 1; n <= 40; n++) {
        mg_store_put(s, k, make_key(k, n, 0), NULL, 0, 0, &old);
        for (int round = 0; round < 20; round++) {
            size_t got = mg_store_sample(s, &rng, out, 15);
            assert_int_equal(got, n < 15 ? n : 15);
            for (size_t i = 0; i < got; i++) {
                assert_in_store(s, out[i]);
                for (size_t j = 0; j < i; j++)
                    assert_ptr_not_equal(out[i], out[j]);
            }
        }
    }
    mg_store_free(s);
}

static void test_sample_large_and_rehashing(void **state)
{
    enum { N = 3000 };
    mg_store *s = new_store();
    uint8_t k[KEY_MAX];
    mg_entry *old = NULL, *out[15];
    uint64_t rng = 7;
    uint8_t *hit = calloc(N + 5000, 1);
    size_t during_rehash = 0;
    for (uint32_t id = 0; id < N; id++)
        mg_store_put(s, k, make_key(k, id, 0), NULL, 0, 0, &old);
    for (int round = 0; round < 8000; round++) {
        /* Keep rehashes coming: a put or an unlink of a churn key. */
        uint32_t cid = N + (uint32_t)(mg_rand_next(&rng) % 5000);
        if (round % 2)
            mg_store_put(s, k, make_key(k, cid, 0), NULL, 0, 0, &old);
        else
            mg_store_release(s, mg_store_unlink(s, k, make_key(k, cid, 0)));
        if (old)
            mg_store_release(s, old);
        old = NULL;
        mg_store_stats st;
        mg_store_read_stats(s, &st);
        during_rehash += st.rehashing;
        size_t got = mg_store_sample(s, &rng, out, 15);
        assert_true(got >= 1 && got <= 15);
        for (size_t i = 0; i < got; i++) {
            assert_in_store(s, out[i]);
            hit[key_id(out[i])] = 1;
        }
    }
    /* Every stable entry turned up at some point: the samples cover the
     * table, not one corner of it. */
    for (uint32_t id = 0; id < N; id++)
        if (!hit[id])
            fail_msg("entry %u never sampled", id);
    assert_true(during_rehash > 0);
    free(hit);
    mg_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_free_in_slices, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_expiring_count, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_reserve, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_put_fresh_entry_metadata, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_header_ignored, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_length_and_bytes_matter, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_entry_cost_formula, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_bytes_exact, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_layout_every_shape, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_big_keys, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_big_values, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_reshape, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_overhead_goal, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_random_ops_against_model, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_grow_and_shrink_incrementally, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_foreach_and_remove_if, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_scan_survives_grow, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_scan_survives_shrink, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_scan_exact_pass_and_stop, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_sample_small_returns_all, heap_setup, heap_teardown),
        cmocka_unit_test_setup_teardown(test_sample_large_and_rehashing, heap_setup, heap_teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
