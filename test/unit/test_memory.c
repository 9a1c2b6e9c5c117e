/* Memory: the slab heap entries live in, the counters every store keeps for
 * its map and its worker, the member limit's reservations, and the default
 * limit read from the machine and the cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "map/memory.h"
#include "map/slab.h"
#include "map/store.h"
#include "util/rand.h"

#define MiB (INT64_C(1) << 20)

/* ---- slab ------------------------------------------------------------------ */

static size_t expected_cost(size_t n)
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

static void test_slab_cost(void **state)
{
    for (size_t n = 1; n <= 12000; n++) {
        assert_int_equal(mg_slab_cost(n), expected_cost(n));
        assert_true(mg_slab_cost(n) >= n);
    }
    /* what the entry overhead counts on: 8-byte steps to 256 */
    assert_int_equal(mg_slab_cost(158), 160);
    assert_int_equal(mg_slab_cost(161), 168);
    assert_int_equal(mg_slab_cost(1025), 1152);
    assert_int_equal(mg_slab_cost(8192), 8192);
    assert_int_equal(mg_slab_cost(8193), 8208);   /* malloc: + 8, to 16 */
}

/* Objects of every size, freed in random order: no two overlap, contents
 * survive their neighbours' writes, counters match, and empty pages go to
 * the pool and then back to the kernel. */
static void test_slab_alloc_free(void **state)
{
    enum { N = 60000 };
    mg_slab *h = mg_slab_new();
    uint8_t **p = calloc(N, sizeof *p);
    size_t *n = calloc(N, sizeof *n);
    uint8_t *fill = calloc(N, 1);
    uint64_t rng = 42;
    size_t live_bytes = 0;
    for (int i = 0; i < N; i++) {
        n[i] = 1 + (size_t)(mg_rand_next(&rng) % 9000);   /* some go to malloc */
        p[i] = mg_slab_alloc(h, n[i]);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % 8, 0);
        fill[i] = (uint8_t)(i % 251);   /* never 0xff */
        memset(p[i], fill[i], n[i]);
        live_bytes += mg_slab_cost(n[i]);
    }
    mg_slab_stats st;
    mg_slab_read_stats(h, &st);
    assert_int_equal(st.objects, N);
    assert_int_equal(st.slot_bytes + st.big_bytes, live_bytes);
    /* pages are well used: slots take most of what is carved */
    assert_true(st.slot_bytes > st.pages * MG_SLAB_PAGE * 8 / 10);
    for (int i = 0; i < N; i++)
        for (size_t b = 0; b < n[i]; b += 97)
            assert_int_equal(p[i][b], fill[i]);

    /* free half in random order, reallocate, check again */
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(mg_rand_next(&rng) % (uint64_t)(i + 1));
        uint8_t *tp = p[i];
        size_t tn = n[i];
        uint8_t tf = fill[i];
        p[i] = p[j];
        n[i] = n[j];
        fill[i] = fill[j];
        p[j] = tp;
        n[j] = tn;
        fill[j] = tf;
    }
    for (int i = 0; i < N / 2; i++) {
        mg_slab_free(h, p[i], n[i]);
        p[i] = mg_slab_alloc(h, n[i]);
        memset(p[i], 0xff, n[i]);
    }
    for (int i = N / 2; i < N; i++)
        for (size_t b = 0; b < n[i]; b += 89)
            assert_int_equal(p[i][b], fill[i]);

    for (int i = 0; i < N; i++)
        mg_slab_free(h, p[i], n[i]);
    mg_slab_read_stats(h, &st);
    assert_int_equal(st.objects, 0);
    assert_int_equal(st.slot_bytes, 0);
    assert_int_equal(st.big_bytes, 0);
    assert_int_equal(st.pages, 0);
    /* a few stay backed for reuse, the rest went back to the kernel */
    assert_true(st.pages_pooled <= 4);
    assert_true(st.pages_unbacked > 0);

    /* reuse: allocating again maps nothing new */
    size_t mapped = st.mapped;
    for (int i = 0; i < 1000; i++)
        p[i] = mg_slab_alloc(h, 160);
    mg_slab_read_stats(h, &st);
    assert_int_equal(st.mapped, mapped);
    for (int i = 0; i < 1000; i++)
        mg_slab_free(h, p[i], 160);
    free(p);
    free(n);
    free(fill);
    mg_slab_destroy(h);
}

/* A full page, freed one slot: the page takes allocations again.  Pages
 * are all slots (headers live apart): 64 slots of 1 KiB, 8 of 8 KiB. */
static void test_slab_full_page_comes_back(void **state)
{
    mg_slab *h = mg_slab_new();
    size_t per_page = MG_SLAB_PAGE / 1024;
    void *v[65];
    for (size_t i = 0; i < per_page + 1; i++)
        v[i] = mg_slab_alloc(h, 1024);
    mg_slab_stats st;
    mg_slab_read_stats(h, &st);
    assert_int_equal(st.pages, 2);
    mg_slab_free(h, v[3], 1024);
    void *again = mg_slab_alloc(h, 1024);
    assert_ptr_equal(again, v[3]);
    for (size_t i = 0; i < per_page + 1; i++)
        mg_slab_free(h, v[i], 1024);
    for (int i = 0; i < 8; i++)
        v[i] = mg_slab_alloc(h, 8000);
    mg_slab_read_stats(h, &st);
    assert_int_equal(st.pages, 1);
    assert_int_equal(st.slot_bytes, 8 * 8192);
    for (int i = 0; i < 8; i++)
        mg_slab_free(h, v[i], 8000);
    mg_slab_destroy(h);
}

/* ---- store accounting --------------------------------------------------------- */

static size_t make_key(uint8_t *k, uint32_t id)
{
    memset(k, 0, 4);
    k[4] = 0xff; k[5] = 0xff; k[6] = 0xff; k[7] = 0xf5;
    memcpy(k + 8, &id, 4);
    return 12 + id % 9;
}

static bool odd(void *ctx, const mg_entry *e)
{
    uint32_t id;
    memcpy(&id, mg_entry_key(e) + 8, 4);
    return id % 2;
}

/* Every change a store makes shows in the map's and the worker's counters,
 * exactly; freeing the store brings both back to zero. */
static void test_store_counters(void **state)
{
    mg_memory *mem = mg_memory_new(1 << 30, 2);
    mg_mem_worker *w = mg_memory_worker(mem, 1);
    mg_mem_acct map_a = {0}, map_b = {0};
    mg_store *a = mg_store_new(w->heap, &map_a, w, false);
    mg_store *b = mg_store_new(w->heap, &map_b, w, true);   /* evictable */
    uint8_t k[32], v[300];
    memset(v, 7, sizeof v);

#define CHECK()                                                                                     \
    do {                                                                                            \
        assert_int_equal(mg_mem_acct_entries(&map_a), mg_store_count(a));                          \
        assert_int_equal(mg_mem_acct_bytes(&map_a), mg_store_bytes(a));                            \
        assert_int_equal(mg_mem_acct_entries(&map_b), mg_store_count(b));                          \
        assert_int_equal(mg_mem_acct_bytes(&map_b), mg_store_bytes(b));                            \
        assert_int_equal(mg_mem_acct_bytes(&w->used), mg_store_bytes(a) + mg_store_bytes(b));      \
        assert_int_equal(mg_memory_used(mem), mg_store_bytes(a) + mg_store_bytes(b));              \
        assert_int_equal(mg_memory_entries(mem), mg_store_count(a) + mg_store_count(b));           \
        assert_int_equal(mg_mem_acct_bytes(&w->evictable), mg_store_bytes(b));                     \
        assert_int_equal(mg_mem_acct_entries(&w->evictable), mg_store_count(b));                   \
    } while (0)

    CHECK();
    mg_entry *old;
    for (uint32_t id = 0; id < 5000; id++) {
        mg_store_put(id % 3 ? a : b, k, make_key(k, id), v, id % 300, id % 2 ? MG_EF_ACC : 0, &old);
        assert_null(old);
    }
    CHECK();
    /* replace: the old entry counts until released */
    mg_entry *e = mg_store_put(a, k, make_key(k, 1), v, 10, 0, &old);
    assert_non_null(old);
    CHECK();
    mg_store_release(a, old);
    CHECK();
    e = mg_store_reshape(a, e, MG_EF_TTL | MG_EF_UPD | MG_EF_CRE);
    CHECK();
    e = mg_store_unlink(a, k, make_key(k, 1));
    CHECK();
    mg_store_release(a, e);
    CHECK();
    mg_store_remove_if(a, odd, NULL, NULL);
    CHECK();
    mg_store_free(a);
    assert_int_equal(mg_mem_acct_entries(&map_a), 0);
    assert_int_equal(mg_mem_acct_bytes(&map_a), 0);
    assert_int_equal(mg_mem_acct_bytes(&w->used), mg_store_bytes(b));
    mg_store_free(b);
    assert_int_equal(mg_mem_acct_bytes(&map_b), 0);
    assert_int_equal(mg_memory_used(mem), 0);
    assert_int_equal(mg_memory_entries(mem), 0);
    /* the worker gave back its reservation as it freed */
    assert_true(atomic_load(&mem->reserved) <= 2 * mem->chunk);
    mg_memory_free(mem);
#undef CHECK
}

/* ---- the member limit ---------------------------------------------------------- */

static int64_t reserved(mg_memory *m) { return atomic_load(&m->reserved); }
static int64_t held(mg_mem_worker *w) { return atomic_load(&w->held); }

/* Growth that fits is granted, from the worker's reservation when it can;
 * the sum of reservations never passes the limit; the last bytes below it
 * stay usable; frees give reservation back for other workers. */
static void test_reservations(void **state)
{
    mg_memory *m = mg_memory_new(16 * MiB, 4);
    assert_true(m->chunk >= 64 * 1024 && m->chunk <= 4 * MiB);
    mg_mem_worker *w0 = mg_memory_worker(m, 0), *w1 = mg_memory_worker(m, 1);

    assert_true(mg_mem_reserve(w0, 0));
    assert_true(mg_mem_reserve(w0, -100));
    assert_int_equal(reserved(m), 0);

    /* One small write: a whole chunk is taken. */
    assert_true(mg_mem_reserve(w0, 100));
    assert_int_equal(held(w0), m->chunk);
    assert_int_equal(reserved(m), m->chunk);
    mg_mem_note(w0, 1, 100);
    /* The next ones come out of the worker's own chunk: nothing shared. */
    for (int i = 0; i < 50; i++) {
        assert_true(mg_mem_reserve(w0, 100));
        mg_mem_note(w0, 1, 100);
    }
    assert_int_equal(reserved(m), m->chunk);

    /* Fill worker 1 up to the limit exactly. */
    int64_t left = m->limit - reserved(m);
    assert_true(mg_mem_reserve(w1, left));
    mg_mem_note(w1, 1, left);
    assert_int_equal(reserved(m), m->limit);
    assert_false(mg_mem_reserve(w1, 1));
    /* w0 still has room inside its own reservation, not beyond it. */
    int64_t room0 = held(w0) - mg_mem_acct_bytes(&w0->used);
    assert_true(mg_mem_reserve(w0, room0));
    assert_false(mg_mem_reserve(w0, room0 + 1));
    assert_true(reserved(m) <= m->limit);

    /* w1 frees half: its spare reservation goes back, and w0 can grow. */
    mg_mem_note(w1, 0, -left / 2);
    assert_true(held(w1) - mg_mem_acct_bytes(&w1->used) <= 2 * m->chunk);
    assert_true(mg_mem_reserve(w0, left / 4));
    mg_mem_note(w0, 0, left / 4);
    assert_true(reserved(m) <= m->limit);
    assert_true(mg_memory_used(m) <= m->limit);

    /* Growth a worker has already accounted without reserving (a table
     * growing) is covered by the next reservation. */
    mg_mem_worker *w2 = mg_memory_worker(m, 2);
    mg_mem_note(w2, 0, 1000);
    int64_t r0 = reserved(m);
    if (mg_mem_reserve(w2, 10))
        assert_true(held(w2) >= 1010 && reserved(m) > r0);

    /* Everything freed: at most a chunk or two per worker stays reserved. */
    mg_mem_note(w0, 0, -mg_mem_acct_bytes(&w0->used));
    mg_mem_note(w1, 0, -mg_mem_acct_bytes(&w1->used));
    mg_mem_note(w2, 0, -mg_mem_acct_bytes(&w2->used));
    assert_true(reserved(m) <= 3 * 2 * m->chunk);
    assert_int_equal(mg_memory_used(m), 0);
    mg_memory_free(m);
}

/* A flood of writes against a small limit, with frees mixed in: accepted
 * growth never takes the data past the limit, and nearly all of the limit
 * can be used (idle reservations of the other workers cost a few chunks). */
static void test_limit_is_kept_under_churn(void **state)
{
    mg_memory *m = mg_memory_new(8 * MiB, 3);
    uint64_t rng = 9;
    int64_t peak = 0, refused = 0;
    for (int i = 0; i < 200000; i++) {
        mg_mem_worker *w = mg_memory_worker(m, (int)(mg_rand_next(&rng) % 3));
        int64_t sz = 16 + (int64_t)(mg_rand_next(&rng) % 2000);
        if (mg_rand_next(&rng) % 4 == 0 && mg_mem_acct_bytes(&w->used) >= sz) {
            mg_mem_note(w, -1, -sz);
        } else if (mg_mem_reserve(w, sz)) {
            mg_mem_note(w, 1, sz);
        } else {
            refused++;
        }
        int64_t used = mg_memory_used(m);
        assert_true(used <= m->limit);
        assert_true(reserved(m) <= m->limit);
        if (used > peak)
            peak = used;
    }
    assert_true(refused > 0);
    assert_true(peak >= m->limit - 3 * 2 * m->chunk - 2000);
    mg_memory_free(m);
}

/* ---- the default limit ------------------------------------------------------------ */

static char root[256];

static void put_file(const char *rel, const char *text)
{
    char path[512], dir[512];
    snprintf(path, sizeof path, "%s%s", root, rel);
    snprintf(dir, sizeof dir, "%s", path);
    for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(dir, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int root_setup(void **state)
{
    snprintf(root, sizeof root, "/tmp/memgrid-test-memory-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int root_teardown(void **state)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_machine_and_cgroup(void **state)
{
    /* nothing readable */
    assert_int_equal(mg_memory_machine_bytes(root), 0);
    assert_true(mg_memory_cgroup_bytes(root) == INT64_MAX);

    put_file("/proc/meminfo", "MemTotal:       24576000 kB\nMemFree:        1000 kB\n");
    assert_true(mg_memory_machine_bytes(root) == INT64_C(24576000) * 1024);

    /* cgroup v2: the smallest limit on the way up binds; "max" is none */
    put_file("/proc/self/cgroup", "0::/a/b\n");
    put_file("/sys/fs/cgroup/a/b/memory.max", "max\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_MAX);
    put_file("/sys/fs/cgroup/a/memory.max", "2147483648\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_C(2147483648));
    put_file("/sys/fs/cgroup/a/b/memory.max", "1073741824\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_C(1073741824));
    put_file("/sys/fs/cgroup/memory.max", "536870912\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_C(536870912));

    /* cgroup v1, with its "unlimited" value */
    put_file("/proc/self/cgroup", "12:cpu,cpuacct:/x\n7:memory:/docker/abc\n");
    put_file("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_MAX);
    put_file("/sys/fs/cgroup/memory/docker/memory.limit_in_bytes", "3221225472\n");
    assert_true(mg_memory_cgroup_bytes(root) == INT64_C(3221225472));
}

/* On this machine: 70 % of what is there, never more than the machine. */
static void test_default_limit(void **state)
{
    int64_t d = mg_memory_default_limit();
    int64_t machine = mg_memory_machine_bytes("");
    assert_true(d > 0);
    if (machine > 0)
        assert_true(d <= machine / 10 * 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slab_cost),
        cmocka_unit_test(test_slab_alloc_free),
        cmocka_unit_test(test_slab_full_page_comes_back),
        cmocka_unit_test(test_store_counters),
        cmocka_unit_test(test_reservations),
        cmocka_unit_test(test_limit_is_kept_under_churn),
        cmocka_unit_test_setup_teardown(test_machine_and_cgroup, root_setup, root_teardown),
        cmocka_unit_test(test_default_limit),
    };
    return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
