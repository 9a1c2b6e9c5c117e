/* test_config.c - hazelcast.yaml loading: defaults, the article's file,
 * wildcard map names, every class of error with its file:line, warnings,
 * aliases, properties, member addresses and the dump round trip.
 *
 * Sample files live in test/config/; their directory is found from this
 * file's path (the build compiles from the project root) or from
 * MG_TEST_CONFIG_DIR.  Each test builds its own mg_config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

/* ---- fixtures ---------------------------------------------------------------- */

#define MAX_MSGS 64

typedef struct msg {
    bool is_error;
    char file[128];
    int line;
    char text[1024];
} msg;

typedef struct msgs {
    int n, errors, warnings;
    msg m[MAX_MSGS];
} msgs;

static void collect(void *ctx, bool is_error, const char *file, int line, const char *text)
{
    msgs *ms = ctx;
    if (is_error)
        ms->errors++;
    else
        ms->warnings++;
    if (ms->n == MAX_MSGS)
        return;
    msg *m = &ms->m[ms->n++];
    m->is_error = is_error;
    snprintf(m->file, sizeof m->file, "%s", file);
    m->line = line;
    snprintf(m->text, sizeof m->text, "%s", text);
}

static void dump_msgs(const msgs *ms)
{
    for (int i = 0; i < ms->n; i++)
        print_message("  [%s:%d] %s%s\n", ms->m[i].file, ms->m[i].line, ms->m[i].is_error ? "" : "warning: ",
                      ms->m[i].text);
}

/* Asserts one message of that kind at that line contains `needle`. */
static void expect_msg(const msgs *ms, bool is_error, int line, const char *needle)
{
    for (int i = 0; i < ms->n; i++)
        if (ms->m[i].is_error == is_error && ms->m[i].line == line && strstr(ms->m[i].text, needle))
            return;
    print_message("no %s at line %d containing \"%s\"; got:\n", is_error ? "error" : "warning", line, needle);
    dump_msgs(ms);
    fail();
}

static int load(mg_config *c, msgs *ms, const char *yaml)
{
    memset(ms, 0, sizeof *ms);
    mg_config_defaults(c);
    return mg_config_load_string(c, yaml, strlen(yaml), "test.yaml", collect, ms);
}

/* Loads yaml that must be valid and warning-free. */
static void load_ok(mg_config *c, const char *yaml)
{
    msgs ms;
    int rc = load(c, &ms, yaml);
    if (rc != 0 || ms.n != 0)
        dump_msgs(&ms);
    assert_int_equal(rc, 0);
    assert_int_equal(ms.n, 0);
}

static const char *config_dir(void)
{
    static char dir[1024];
    const char *env = getenv("MG_TEST_CONFIG_DIR");
    if (env)
        return env;
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *cut = strstr(dir, "unit/test_config.c");
    if (cut)
        strcpy(cut, "config");
    else
        strcpy(dir, "test/config");
    return dir;
}

static int load_sample(mg_config *c, msgs *ms, const char *name, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", config_dir(), name);
    memset(ms, 0, sizeof *ms);
    mg_config_defaults(c);
    return mg_config_load_file(c, path, collect, ms);
}

static const mg_map_config *map_named(const mg_config *c, const char *name)
{
    return mg_config_map(c, name, strlen(name));
}

/* ---- defaults ----------------------------------------------------------------- */

static void test_defaults(void **state)
{
    mg_config c;
    mg_config_defaults(&c);
    assert_string_equal(c.cluster_name, "dev");
    assert_null(c.instance_name);
    assert_int_equal(c.port, 5701);
    assert_true(c.port_auto_increment);
    assert_int_equal(c.port_count, 100);
    assert_string_equal(c.interface_host, "127.0.0.1");
    assert_false(c.join.multicast_enabled);
    assert_string_equal(c.join.multicast_group, "224.2.2.3");
    assert_int_equal(c.join.multicast_port, 54327);
    assert_false(c.join.tcp_ip_enabled);
    assert_int_equal(c.join.n_members, 0);
    assert_int_equal(c.join.connection_timeout_seconds, 5);
    assert_false(c.join.kubernetes_enabled);
    assert_int_equal(c.join.k8s_service_port, 0);

    const mg_map_config *m = &c.default_map;
    assert_string_equal(m->name, "default");
    assert_int_equal(m->backup_count, 1);
    assert_int_equal(m->async_backup_count, 0);
    assert_int_equal(m->time_to_live_seconds, 0);
    assert_int_equal(m->max_idle_seconds, 0);
    assert_int_equal(m->eviction_policy, MG_EVICT_NONE);
    assert_int_equal(m->max_size_policy, MG_SIZE_PER_NODE);
    assert_int_equal(m->size, INT32_MAX);
    assert_false(m->per_entry_stats_enabled);
    assert_true(m->statistics_enabled);
    assert_int_equal(m->line, 0);
    assert_int_equal(c.n_maps, 0);

    assert_int_equal(c.partition_count, 271);
    assert_int_equal(c.heartbeat_interval_seconds, 1);
    assert_int_equal(c.max_no_heartbeat_seconds, 2);
    assert_int_equal(c.backup_timeout_millis, 5000);
    assert_int_equal(c.client_max_message_bytes, 64 << 20);
    assert_int_equal(c.memory_max_bytes, 0);
    assert_int_equal(c.io_threads, 0);
    assert_null(c.source_path);
    assert_ptr_equal(map_named(&c, "anything"), &c.default_map);
    mg_config_free(&c);
}

static void test_empty_hazelcast_section(void **state)
{
    mg_config c;
    load_ok(&c, "hazelcast:\n");
    assert_string_equal(c.cluster_name, "dev");
    mg_config_free(&c);
}

/* ---- the article --------------------------------------------------------------- */

static void test_article(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "article.yaml", path, sizeof path), 0);
    assert_string_equal(c.source_path, path);
    assert_string_equal(c.cluster_name, "my-distributed-cache");
    assert_int_equal(c.port, 5701);
    assert_false(c.join.multicast_enabled);
    assert_true(c.join.tcp_ip_enabled);
    assert_int_equal(c.join.n_members, 3);
    assert_string_equal(c.join.member_list[0], "192.168.1.10:5701");
    assert_string_equal(c.join.member_list[1], "192.168.1.11:5701");
    assert_string_equal(c.join.member_list[2], "192.168.1.12:5701");

    const mg_map_config *d = &c.default_map;
    assert_int_equal(d->max_idle_seconds, 300);
    assert_int_equal(d->time_to_live_seconds, 0);
    assert_int_equal(d->eviction_policy, MG_EVICT_LRU);
    assert_int_equal(d->max_size_policy, MG_SIZE_PER_NODE);
    assert_int_equal(d->size, 10000);
    assert_int_equal(d->line, 15);

    assert_int_equal(c.n_maps, 1);
    const mg_map_config *s = map_named(&c, "sessions");
    assert_string_equal(s->name, "sessions");
    assert_int_equal(s->time_to_live_seconds, 1800);
    assert_int_equal(s->max_idle_seconds, 300);
    assert_int_equal(s->line, 22);
    /* Hazelcast semantics: a named section does not inherit map.default. */
    assert_int_equal(s->eviction_policy, MG_EVICT_NONE);
    assert_int_equal(s->size, INT32_MAX);
    assert_int_equal(s->backup_count, 1);

    assert_ptr_equal(map_named(&c, "my-cache-map"), d);
    assert_ptr_equal(map_named(&c, "users"), d);

    /* The one warning: max-size is the 3.x name, and the message names the new key. */
    assert_int_equal(ms.errors, 0);
    assert_int_equal(ms.warnings, 1);
    expect_msg(&ms, false, 21, "hazelcast.map.default.eviction.max-size: deprecated");
    expect_msg(&ms, false, 21, "use hazelcast.map.default.eviction.size");
    assert_string_equal(ms.m[0].file, path);
    mg_config_free(&c);
}

static void test_article_kubernetes(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "article-kubernetes.yaml", path, sizeof path), 0);
    assert_int_equal(ms.n, 0);
    assert_true(c.join.kubernetes_enabled);
    assert_string_equal(c.join.k8s_namespace, "default");
    assert_string_equal(c.join.k8s_service_name, "hazelcast-service");
    assert_null(c.join.k8s_service_dns);
    mg_config_free(&c);
}

/* Multicast discovery: Hazelcast's defaults, the settings it reads, and a
 * group that is not a multicast address refused with its line. */
static void test_multicast_join(void **state)
{
    (void)state;
    mg_config c;
    mg_config_defaults(&c);
    assert_int_equal(c.join.multicast_ttl, 32);
    assert_int_equal(c.join.multicast_timeout_seconds, 2);
    assert_true(c.join.multicast_loopback);
    assert_int_equal(c.join.k8s_dns_timeout_seconds, 5);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n"
                "  network:\n"
                "    join:\n"
                "      multicast:\n"
                "        enabled: true\n"
                "        multicast-group: 239.1.2.3\n"
                "        multicast-port: 40000\n"
                "        multicast-time-to-live: 1\n"
                "        multicast-timeout-seconds: 4\n"
                "        loopback-mode-enabled: false\n");
    assert_true(c.join.multicast_enabled);
    assert_string_equal(c.join.multicast_group, "239.1.2.3");
    assert_int_equal(c.join.multicast_port, 40000);
    assert_int_equal(c.join.multicast_ttl, 1);
    assert_int_equal(c.join.multicast_timeout_seconds, 4);
    assert_false(c.join.multicast_loopback);
    mg_config_free(&c);

    msgs ms;
    const char *bad_group = "hazelcast:\n"
                            "  network:\n"
                            "    join:\n"
                            "      multicast:\n"
                            "        enabled: true\n"
                            "        multicast-group: 10.0.0.1\n";
    assert_int_equal(load(&c, &ms, bad_group), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 6, "must be an IPv4 multicast address");
    mg_config_free(&c);

    /* The same group is fine while multicast is off (Hazelcast's files carry it). */
    load_ok(&c, "hazelcast:\n"
                "  network:\n"
                "    join:\n"
                "      multicast:\n"
                "        enabled: false\n"
                "        multicast-group: 10.0.0.1\n");
    mg_config_free(&c);

    char long_name[400];
    memset(long_name, 'n', 300);
    long_name[300] = '\0';
    char yaml[800];
    snprintf(yaml, sizeof yaml, "hazelcast:\n  cluster-name: %s\n  network:\n    join:\n      multicast:\n"
             "        enabled: true\n", long_name);
    assert_int_equal(load(&c, &ms, yaml), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "at most 255 bytes");
    mg_config_free(&c);

    /* The camelCase spelling is read, with a warning naming the current one. */
    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    join:\n      multicast:\n"
                                   "        loopbackModeEnabled: false\n"), 0);
    assert_false(c.join.multicast_loopback);
    expect_msg(&ms, false, 5, "loopback-mode-enabled");
    mg_config_free(&c);
}

/* The digest of shared settings: file order does not matter, a member's
 * own resources do not count, every shared map setting does. */
static void test_shared_hash(void **state)
{
    (void)state;
    mg_config a, b;
    load_ok(&a, "hazelcast:\n  map:\n    x:\n      backup-count: 2\n    y:\n      time-to-live-seconds: 5\n");
    load_ok(&b, "hazelcast:\n  properties:\n    memgrid.memory.max-size: 64m\n    memgrid.worker.count: 2\n"
                "  network:\n    port:\n      port: 6000\n"
                "  map:\n    y:\n      time-to-live-seconds: 5\n    x:\n      backup-count: 2\n");
    assert_true(mg_config_shared_hash(&a) == mg_config_shared_hash(&b));
    assert_true(mg_config_shared_hash(&a) != 0);
    mg_config_free(&b);
    static const char *const differ[] = {
        "hazelcast:\n  map:\n    x:\n      backup-count: 1\n    y:\n      time-to-live-seconds: 5\n",
        "hazelcast:\n  map:\n    x:\n      backup-count: 2\n    y:\n      time-to-live-seconds: 6\n",
        "hazelcast:\n  map:\n    x:\n      backup-count: 2\n    z:\n      time-to-live-seconds: 5\n",
        "hazelcast:\n  map:\n    x:\n      backup-count: 2\n    y:\n      time-to-live-seconds: 5\n"
        "      max-idle-seconds: 9\n",
        "hazelcast:\n  map:\n    x:\n      backup-count: 2\n      async-backup-count: 1\n    y:\n"
        "      time-to-live-seconds: 5\n",
        "hazelcast:\n  map:\n    x:\n      backup-count: 2\n    y:\n      time-to-live-seconds: 5\n"
        "      eviction:\n        eviction-policy: LRU\n        size: 100\n",
        "hazelcast:\n  map:\n    default:\n      backup-count: 0\n    x:\n      backup-count: 2\n    y:\n"
        "      time-to-live-seconds: 5\n",
    };
    for (size_t i = 0; i < sizeof differ / sizeof differ[0]; i++) {
        load_ok(&b, differ[i]);
        if (mg_config_shared_hash(&a) == mg_config_shared_hash(&b))
            fail_msg("case %zu has the same digest:\n%s", i, differ[i]);
        mg_config_free(&b);
    }
    mg_config_free(&a);
}

static void test_full_sample(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    int rc = load_sample(&c, &ms, "full.yaml", path, sizeof path);
    if (rc || ms.n)
        dump_msgs(&ms);
    assert_int_equal(rc, 0);
    assert_int_equal(ms.n, 0);
    assert_string_equal(c.instance_name, "cache-1");
    assert_string_equal(c.interface_host, "10.0.0.5");
    assert_int_equal(c.port, 5801);
    assert_false(c.port_auto_increment);
    assert_int_equal(c.port_count, 20);
    assert_string_equal(c.join.multicast_group, "224.2.2.4");
    assert_int_equal(c.join.multicast_port, 54328);
    assert_int_equal(c.join.connection_timeout_seconds, 10);
    assert_int_equal(c.join.n_members, 7);
    assert_string_equal(c.join.member_list[2], "10.0.0.7:5801-5803");
    assert_string_equal(c.join.member_list[3], "[fe80::1]:5801");
    assert_string_equal(c.join.member_list[6], "10.0.1.3");
    assert_int_equal(c.default_map.backup_count, 2);
    assert_int_equal(c.default_map.async_backup_count, 1);
    assert_false(c.default_map.statistics_enabled);
    assert_true(c.default_map.per_entry_stats_enabled);
    assert_int_equal(c.default_map.eviction_policy, MG_EVICT_LFU);
    assert_int_equal(c.default_map.max_size_policy, MG_SIZE_USED_HEAP_SIZE);
    assert_int_equal(c.default_map.size, 512);
    assert_int_equal(map_named(&c, "users")->eviction_policy, MG_EVICT_RANDOM);
    assert_int_equal(map_named(&c, "users")->size, INT32_MAX);
    assert_int_equal(map_named(&c, "page-cache")->time_to_live_seconds, 30);
    assert_int_equal(c.partition_count, 1021);
    assert_int_equal(c.heartbeat_interval_seconds, 2);
    assert_int_equal(c.max_no_heartbeat_seconds, 10);
    assert_int_equal(c.backup_timeout_millis, 2500);
    assert_int_equal(c.client_max_message_bytes, 16 << 20);
    assert_int_equal(c.memory_max_bytes, INT64_C(2) << 30);
    assert_int_equal(c.io_threads, 4);
    mg_config_free(&c);
}

/* ---- wildcards -------------------------------------------------------------------- */

static const char *wild_yaml =
    "hazelcast:\n"
    "  map:\n"
    "    user*:\n"
    "      backup-count: 2\n"
    "    users:\n"
    "      backup-count: 3\n"
    "    userprofile*:\n"
    "      backup-count: 4\n"
    "    \"*-cache\":\n"
    "      backup-count: 5\n"
    "    \"*\":\n"
    "      backup-count: 0\n";

static void test_wildcard_match(void **state)
{
    mg_config c;
    load_ok(&c, wild_yaml);
    assert_int_equal(map_named(&c, "userdata")->backup_count, 2);          /* user* */
    assert_int_equal(map_named(&c, "user")->backup_count, 2);              /* '*' may match nothing */
    assert_int_equal(map_named(&c, "users")->backup_count, 3);             /* exact beats user* */
    assert_int_equal(map_named(&c, "userprofile-eu")->backup_count, 4);    /* longest pattern wins */
    assert_int_equal(map_named(&c, "page-cache")->backup_count, 5);        /* suffix pattern */
    assert_int_equal(map_named(&c, "orders")->backup_count, 0);            /* "*" matches anything */
    assert_int_equal(map_named(&c, "default")->backup_count, 1);           /* exact "default" beats "*" */
    assert_int_equal(map_named(&c, "users@partkey")->backup_count, 3);     /* partition key ignored */
    /* Names need not be NUL-terminated. */
    assert_int_equal(mg_config_map(&c, "usersXYZ", 5)->backup_count, 3);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  map:\n    user*:\n      backup-count: 2\n");
    assert_ptr_equal(map_named(&c, "orders"), &c.default_map);
    assert_ptr_equal(map_named(&c, "use"), &c.default_map);
    mg_config_free(&c);
}

static void test_wildcard_score(void **state)
{
    assert_int_equal(mg_config_wildcard_score("user*", "users", 5), 4);
    assert_int_equal(mg_config_wildcard_score("*-cache", "a-cache", 7), 6);
    assert_int_equal(mg_config_wildcard_score("a*z", "az", 2), 2);
    assert_int_equal(mg_config_wildcard_score("a*z", "abz", 3), 2);
    assert_int_equal(mg_config_wildcard_score("ab*ba", "aba", 3), -1);     /* no overlapping of prefix and suffix */
    assert_int_equal(mg_config_wildcard_score("user*", "use", 3), -1);
    assert_int_equal(mg_config_wildcard_score("users", "users", 5), 5);
    assert_int_equal(mg_config_wildcard_score("users", "user", 4), -1);
    assert_int_equal(mg_config_wildcard_score("*", "", 0), 0);
}

static void test_wildcard_two_stars(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    a*b*:\n      backup-count: 2\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "at most one '*'");
    mg_config_free(&c);
}

/* ---- errors, each with its line ----------------------------------------------------- */

static void test_error_negative_size_exact_message(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-size.yaml", path, sizeof path), MG_CONFIG_INVALID);
    assert_int_equal(ms.errors, 1);
    assert_string_equal(ms.m[0].file, path);
    assert_int_equal(ms.m[0].line, 9);
    assert_string_equal(ms.m[0].text, "hazelcast.map.default.eviction.size: must be >= 0, got -5 (0 means no limit)");
    mg_config_free(&c);
}

static void test_error_wrong_yaml_type(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-type.yaml", path, sizeof path), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 6, "hazelcast.map.orders.time-to-live-seconds: expected an integer, got a mapping");
    expect_msg(&ms, true, 8, "hazelcast.map.orders.eviction: expected a mapping with keys eviction-policy, "
                             "max-size-policy, size; got 'LRU'");
    assert_int_equal(ms.errors, 2);
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  cluster-name:\n    - a\n    - b\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "hazelcast.cluster-name: expected text, got a sequence");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    port:\n"), 0);
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    m:\n      backup-count:\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "backup-count: has no value; expected an integer");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    - a\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "hazelcast.map: expected a mapping of names, got a sequence");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  cluster-name: x\n  network: 5701\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "hazelcast.network: expected a mapping with keys public-address, port, join; got '5701'");
    mg_config_free(&c);
}

static void test_error_not_an_integer(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  map:\n"
                          "    m:\n"
                          "      time-to-live-seconds: 1.5\n"
                          "      max-idle-seconds: 10s\n"
                          "      backup-count: ${BACKUPS}\n"
                          "      async-backup-count: 99999999999999999999\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "expected an integer, got '1.5'");
    expect_msg(&ms, true, 5, "expected an integer, got '10s'");
    expect_msg(&ms, true, 6, "memgrid does not replace ${...} placeholders");
    expect_msg(&ms, true, 7, "must be between 0 and 6, got 99999999999999999999");
    mg_config_free(&c);
}

static void test_error_policy_names(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-policy.yaml", path, sizeof path), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "eviction-policy: unknown value 'OLDEST'; valid values: NONE, LRU, LFU, RANDOM");
    expect_msg(&ms, true, 6, "max-size-policy: unknown value 'PER_CLUSTER'; valid values: PER_NODE, PER_PARTITION");
    mg_config_free(&c);
}

static void test_error_port_range(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-port.yaml", path, sizeof path), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "hazelcast.network.port.port: must be between 0 and 65535, got 70000");
    expect_msg(&ms, true, 5, "hazelcast.network.port.port-count: must be between 1 and 65535, got 0");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    port: -1\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "must be between 0 and 65535, got -1 (0 picks a free port)");
    mg_config_free(&c);

    /* memgrid's extension: 0 = pick a free port (tests). */
    load_ok(&c, "hazelcast:\n  network:\n    port: 0\n");
    assert_int_equal(c.port, 0);
    mg_config_free(&c);
}

static void test_port_forms(void **state)
{
    mg_config c;
    load_ok(&c, "hazelcast:\n  network:\n    port: 5801\n");
    assert_int_equal(c.port, 5801);
    assert_true(c.port_auto_increment);
    assert_int_equal(c.port_count, 100);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  network:\n    port:\n      port: 5901\n      auto-increment: false\n"
                "      port-count: 3\n");
    assert_int_equal(c.port, 5901);
    assert_false(c.port_auto_increment);
    assert_int_equal(c.port_count, 3);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  network:\n    port: \"5702\"\n");
    assert_int_equal(c.port, 5702);
    mg_config_free(&c);
}

static void test_error_backups(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-backup.yaml", path, sizeof path), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "hazelcast.map.a.backup-count: must be between 0 and 6, got 7");
    expect_msg(&ms, true, 7, "hazelcast.map.b: backup-count + async-backup-count must be <= 6, got 4 + 3");
    assert_int_equal(ms.errors, 2);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  map:\n    b:\n      backup-count: 3\n      async-backup-count: 3\n");
    assert_int_equal(map_named(&c, "b")->async_backup_count, 3);
    mg_config_free(&c);
}

static void test_error_malformed_yaml(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "bad-syntax.yaml", path, sizeof path), MG_CONFIG_INVALID);
    assert_int_equal(ms.errors, 1);
    expect_msg(&ms, true, 5, "YAML syntax error at column 4");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  cluster-name: \"dev\n"), MG_CONFIG_INVALID);
    assert_int_equal(ms.errors, 1);
    assert_true(ms.m[0].line >= 2);
    assert_non_null(strstr(ms.m[0].text, "YAML syntax error"));
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n\tcluster-name: dev\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "YAML syntax error");
    mg_config_free(&c);
}

static void test_error_duplicate_key(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  map:\n"
                          "    default:\n"
                          "      backup-count: 1\n"
                          "    default:\n"
                          "      backup-count: 2\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "duplicate key 'default' (first defined at line 3)");
    mg_config_free(&c);
}

static void test_error_root(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms, ""), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 0, "must start with 'hazelcast:' (the file is empty)");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "cluster-name: dev\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 1, "must start with 'hazelcast:'");
    expect_msg(&ms, false, 1, "cluster-name: unknown top-level key");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast-client:\n  cluster-name: dev\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 1, "client configuration");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast: 5\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 1, "expected a mapping of settings");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "- hazelcast\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 1, "must start with 'hazelcast:'");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n---\nhazelcast:\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "more than one YAML document");
    mg_config_free(&c);
}

static void test_error_booleans(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    join:\n      tcp-ip:\n        enabled: yes\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "hazelcast.network.join.tcp-ip.enabled: expected true or false, got 'yes'");
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  network:\n    join:\n      tcp-ip:\n        enabled: TRUE\n"
                "        member-list: [a]\n");
    assert_true(c.join.tcp_ip_enabled);
    mg_config_free(&c);
}

static void test_error_members(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  network:\n"
                          "    join:\n"
                          "      tcp-ip:\n"
                          "        enabled: true\n"
                          "        member-list:\n"
                          "          - 10.0.0.1:5701\n"
                          "          - 10.0.0.2:99999\n"
                          "          - 10.0.0.3:5703-5701\n"
                          "          - bad host!\n"
                          "          - {a: b}\n"
                          "          - \"[::1\"\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 8, "'10.0.0.2:99999' is not a member address");
    expect_msg(&ms, true, 9, "'10.0.0.3:5703-5701' is not a member address");
    expect_msg(&ms, true, 10, "'bad host!' is not a member address");
    expect_msg(&ms, true, 11, "expected a member address, got a mapping");
    expect_msg(&ms, true, 12, "missing ']'");
    assert_int_equal(ms.errors, 5);
    mg_config_free(&c);
}

static void test_error_join_methods(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  network:\n"
                          "    join:\n"
                          "      multicast:\n"
                          "        enabled: true\n"
                          "      tcp-ip:\n"
                          "        enabled: true\n"
                          "        member-list: [a, b]\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 7, "hazelcast.network.join: multicast and tcp-ip are both enabled");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  network:\n"
                          "    join:\n"
                          "      kubernetes:\n"
                          "        enabled: true\n"
                          "        service-dns: hz.default.svc.cluster.local\n"
                          "        service-name: hz\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 6, "set service-dns or service-name, not both");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    join:\n      tcp-ip:\n        enabled: true\n"), 0);
    expect_msg(&ms, false, 5, "empty member-list");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    join:\n      aws:\n        enabled: true\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "AWS discovery is not supported");
    mg_config_free(&c);
}

static void test_error_features_that_would_mislead(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  import:\n"
                          "    - other.yaml\n"
                          "  network:\n"
                          "    ssl:\n"
                          "      enabled: true\n"
                          "  map:\n"
                          "    db:\n"
                          "      map-store:\n"
                          "        enabled: true\n"
                          "        class-name: com.example.Store\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "hazelcast.import: memgrid does not read imported files");
    expect_msg(&ms, true, 6, "hazelcast.network.ssl.enabled: TLS is not supported");
    expect_msg(&ms, true, 10, "hazelcast.map.db.map-store.enabled: MapStore");
    mg_config_free(&c);
}

static void test_error_heartbeat_order(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  properties:\n"
                          "    hazelcast.heartbeat.interval.seconds: 5\n"
                          "    hazelcast.max.no.heartbeat.seconds: 5\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "must be greater than hazelcast.heartbeat.interval.seconds (5), got 5");
    mg_config_free(&c);

    /* Hazelcast's interval alone meets memgrid's shorter default timeout. */
    assert_int_equal(load(&c, &ms, "hazelcast:\n  properties:\n    hazelcast.heartbeat.interval.seconds: 5\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "got 2 (memgrid's default; set it too)");
    mg_config_free(&c);
}

static void test_error_percentage_size(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  map:\n"
                          "    m:\n"
                          "      eviction:\n"
                          "        eviction-policy: LRU\n"
                          "        max-size-policy: FREE_NATIVE_MEMORY_PERCENTAGE\n"
                          "        size: 150\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 7, "is a percentage with this max-size-policy: must be 0..100, got 150");
    mg_config_free(&c);
}

static void test_missing_file(void **state)
{
    mg_config c;
    msgs ms = {0};
    mg_config_defaults(&c);
    assert_int_equal(mg_config_load_file(&c, "/nonexistent/hazelcast.yaml", collect, &ms), MG_CONFIG_INVALID);
    assert_int_equal(ms.errors, 1);
    assert_int_equal(ms.m[0].line, 0);
    assert_string_equal(ms.m[0].file, "/nonexistent/hazelcast.yaml");
    assert_non_null(strstr(ms.m[0].text, "cannot open"));
    assert_null(c.source_path);
    mg_config_free(&c);
}

/* ---- warnings ------------------------------------------------------------------------- */

static void test_unknown_keys_warn_with_line(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "unknown-key.yaml", path, sizeof path), 0);
    assert_int_equal(ms.errors, 0);
    assert_int_equal(ms.warnings, 3);
    expect_msg(&ms, false, 5,
               "hazelcast.map.default.time-to-live-second: unknown key, ignored; did you mean 'time-to-live-seconds'?");
    expect_msg(&ms, false, 6, "hazelcast.map.default.colour: unknown key, ignored");
    expect_msg(&ms, false, 7, "hazelcast.networking: unknown key, ignored; did you mean 'network'?");
    /* The rest of the file still applies. */
    assert_int_equal(c.port, 5701);
    mg_config_free(&c);
}

static void test_unsupported_and_ignored_keys(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  jet:\n"
                          "    enabled: true\n"
                          "  metrics:\n"
                          "    enabled: false\n"
                          "  queue:\n"
                          "    q: {max-size: 10}\n"
                          "  network:\n"
                          "    join:\n"
                          "      multicast:\n"
                          "        enabled: false\n"
                          "        multicast-time-to-live: 32\n"
                          "        trusted-interfaces: [10.0.0.*]\n"
                          "      aws:\n"
                          "        enabled: false\n"
                          "        region: us-west-1\n"
                          "  map:\n"
                          "    m:\n"
                          "      in-memory-format: object\n"
                          "      near-cache:\n"
                          "        max-idle-seconds: 60\n"
                          "      indexes:\n"
                          "        - type: HASH\n"),
                     0);
    assert_int_equal(ms.warnings, 3);
    expect_msg(&ms, false, 6, "hazelcast.queue: memgrid implements maps only");
    expect_msg(&ms, false, 13, "trusted-interfaces is not supported");
    expect_msg(&ms, false, 22, "hazelcast.map.m.indexes: memgrid does not run queries");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    m:\n      in-memory-format: PACKED\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 4, "unknown value 'PACKED'; valid values: BINARY, OBJECT, NATIVE");
    mg_config_free(&c);
}

static void test_deprecated_aliases(void **state)
{
    mg_config c;
    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  group:\n"
                          "    name: legacy\n"
                          "  map:\n"
                          "    old:\n"
                          "      eviction-policy: LFU\n"
                          "      max-size:\n"
                          "        policy: PER_PARTITION\n"
                          "        max-size: 500\n"
                          "    older:\n"
                          "      max-size: 700\n"),
                     0);
    assert_string_equal(c.cluster_name, "legacy");
    const mg_map_config *m = map_named(&c, "old");
    assert_int_equal(m->eviction_policy, MG_EVICT_LFU);
    assert_int_equal(m->max_size_policy, MG_SIZE_PER_PARTITION);
    assert_int_equal(m->size, 500);
    assert_int_equal(map_named(&c, "older")->size, 700);
    expect_msg(&ms, false, 3, "hazelcast.group.name: deprecated (Hazelcast 3.x spelling); use hazelcast.cluster-name");
    expect_msg(&ms, false, 6, "use hazelcast.map.old.eviction.eviction-policy");
    expect_msg(&ms, false, 8, "use hazelcast.map.old.eviction.max-size-policy");
    expect_msg(&ms, false, 9, "use hazelcast.map.old.eviction.size");
    expect_msg(&ms, false, 11, "use hazelcast.map.older.eviction.size");
    /* older: a size with policy NONE does nothing, and the user is told. */
    expect_msg(&ms, false, 11, "has no effect while eviction-policy is NONE");
    assert_int_equal(ms.errors, 0);
    mg_config_free(&c);
}

/* ---- values --------------------------------------------------------------------------- */

static void test_size_zero_is_unlimited(void **state)
{
    mg_config c;
    load_ok(&c, "hazelcast:\n  map:\n    default:\n      eviction:\n        eviction-policy: LRU\n"
                "        size: 0\n");
    assert_int_equal(c.default_map.size, INT32_MAX);
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  map:\n    default:\n      eviction:\n        eviction-policy: LRU\n"
                "        size: 2147483647\n");
    assert_int_equal(c.default_map.size, INT32_MAX);
    mg_config_free(&c);

    msgs ms;
    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    default:\n      eviction:\n        size: 2147483648\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "must be <= 2147483647, got 2147483648");
    mg_config_free(&c);
}

static void test_native_spellings(void **state)
{
    static const struct {
        const char *name;
        mg_max_size_policy want;
    } cases[] = {
        {"USED_NATIVE_MEMORY_SIZE", MG_SIZE_USED_HEAP_SIZE},
        {"USED_NATIVE_MEMORY_PERCENTAGE", MG_SIZE_USED_HEAP_PERCENTAGE},
        {"FREE_NATIVE_MEMORY_SIZE", MG_SIZE_FREE_HEAP_SIZE},
        {"FREE_NATIVE_MEMORY_PERCENTAGE", MG_SIZE_FREE_HEAP_PERCENTAGE},
        {"used_heap_size", MG_SIZE_USED_HEAP_SIZE},     /* Hazelcast reads enum names in any case */
        {"PER_PARTITION", MG_SIZE_PER_PARTITION},
        {"ENTRY_COUNT", MG_SIZE_ENTRY_COUNT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml,
                 "hazelcast:\n  map:\n    default:\n      eviction:\n        eviction-policy: LRU\n"
                 "        max-size-policy: %s\n        size: 50\n",
                 cases[i].name);
        mg_config c;
        load_ok(&c, yaml);
        assert_int_equal(c.default_map.max_size_policy, cases[i].want);
        mg_config_free(&c);
    }
}

static void test_properties_strings_and_ints(void **state)
{
    mg_config c;
    load_ok(&c,
            "hazelcast:\n"
            "  properties:\n"
            "    hazelcast.partition.count: \"7\"\n"
            "    hazelcast.heartbeat.interval.seconds: 3\n"
            "    hazelcast.max.no.heartbeat.seconds: '30'\n"
            "    hazelcast.operation.backup.timeout.millis: \"10000\"\n"
            "    memgrid.client.max-message-bytes: 1MiB\n"
            "    memgrid.memory.max-size: 512m\n"
            "    memgrid.worker.count: '8'\n"
            "    hazelcast.logging.type: log4j2\n");
    assert_int_equal(c.partition_count, 7);
    assert_int_equal(c.heartbeat_interval_seconds, 3);
    assert_int_equal(c.max_no_heartbeat_seconds, 30);
    assert_int_equal(c.backup_timeout_millis, 10000);
    assert_int_equal(c.client_max_message_bytes, 1 << 20);
    assert_int_equal(c.memory_max_bytes, INT64_C(512) << 20);
    assert_int_equal(c.io_threads, 8);
    mg_config_free(&c);

    msgs ms;
    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  properties:\n"
                          "    hazelcast.partition.count: lots\n"
                          "    memgrid.memory.max-size: 12q\n"
                          "    memgrid.memory.max-size: 1\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 5, "duplicate key 'memgrid.memory.max-size' (first defined at line 4)");
    mg_config_free(&c);

    assert_int_equal(load(&c, &ms,
                          "hazelcast:\n"
                          "  properties:\n"
                          "    hazelcast.partition.count: lots\n"
                          "    memgrid.memory.max-size: 12q\n"
                          "    memgrid.worker.count: true\n"
                          "    hazelcast.partition.count.x: 1\n"
                          "    hazelcast.socket.bind.any: false\n"
                          "    memgrid.client.max-message-bytes: 99999999999t\n"
                          "    hazelcast.partition.cuont: 3\n"),
                     MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "hazelcast.properties.hazelcast.partition.count: expected an integer, got 'lots'");
    expect_msg(&ms, true, 4, "expected a size in bytes such as 512m, got '12q'");
    expect_msg(&ms, true, 5, "expected an integer, got 'true'");
    expect_msg(&ms, false, 6, "did you mean 'hazelcast.partition.count'?");
    expect_msg(&ms, false, 7, "a Hazelcast property memgrid does not use; ignored");
    expect_msg(&ms, true, 8, "must be <= 2147483647, got 99999999999t");
    expect_msg(&ms, false, 9, "did you mean 'hazelcast.partition.count'?");
    mg_config_free(&c);
}

static void test_public_address_and_instance(void **state)
{
    mg_config c;
    load_ok(&c, "hazelcast:\n  instance-name: a\n  network:\n    public-address: 10.1.2.3:5701\n");
    assert_string_equal(c.interface_host, "10.1.2.3");
    assert_string_equal(c.instance_name, "a");
    mg_config_free(&c);

    load_ok(&c, "hazelcast:\n  network:\n    public-address: \"[::1]\"\n");
    assert_string_equal(c.interface_host, "::1");
    mg_config_free(&c);

    msgs ms;
    assert_int_equal(load(&c, &ms, "hazelcast:\n  network:\n    public-address: \"a b\"\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "expected a host or host:port");
    mg_config_free(&c);
}

static void test_anchors_and_aliases(void **state)
{
    mg_config c;
    load_ok(&c,
            "hazelcast:\n"
            "  map:\n"
            "    sessions: &short\n"
            "      time-to-live-seconds: 60\n"
            "    tokens: *short\n");
    assert_int_equal(map_named(&c, "tokens")->time_to_live_seconds, 60);
    assert_int_equal(map_named(&c, "tokens")->line, 5);
    mg_config_free(&c);

    msgs ms;
    assert_int_equal(load(&c, &ms, "hazelcast:\n  map:\n    a: *nothing\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 3, "alias '*nothing' refers to no anchor");
    mg_config_free(&c);

    /* An alias to an enclosing node cannot exist: the anchor is not known yet. */
    assert_int_equal(load(&c, &ms, "hazelcast: &top\n  map:\n    a: *top\n"), MG_CONFIG_INVALID);
    mg_config_free(&c);
}

static void test_layering(void **state)
{
    /* Defaults, then one file, then another: later values win, lists grow. */
    mg_config c;
    msgs ms;
    load_ok(&c, "hazelcast:\n  cluster-name: one\n  network:\n    join:\n      tcp-ip:\n        member-list: [a]\n");
    const char *second = "hazelcast:\n  network:\n    join:\n      tcp-ip:\n        member-list: [b]\n"
                         "  map:\n    default:\n      backup-count: 0\n";
    memset(&ms, 0, sizeof ms);
    assert_int_equal(mg_config_load_string(&c, second, strlen(second), "second.yaml", collect, &ms), 0);
    assert_string_equal(c.cluster_name, "one");
    assert_int_equal(c.join.n_members, 2);
    assert_int_equal(c.default_map.backup_count, 0);
    mg_config_free(&c);
}

static void test_member_addrs(void **state)
{
    mg_member_addr a[300];
    const char *why;

    assert_int_equal(mg_config_member_addrs("10.0.0.1", 5701, a, 300, &why), 1);
    assert_string_equal(a[0].host, "10.0.0.1");
    assert_int_equal(a[0].port_lo, 5701);
    assert_int_equal(a[0].port_hi, 5701);
    assert_false(a[0].port_given);

    assert_int_equal(mg_config_member_addrs("machine3:5799", 5701, a, 300, &why), 1);
    assert_string_equal(a[0].host, "machine3");
    assert_int_equal(a[0].port_lo, 5799);
    assert_true(a[0].port_given);

    assert_int_equal(mg_config_member_addrs("127.0.0.1:5701-5703", 5701, a, 300, &why), 1);
    assert_int_equal(a[0].port_lo, 5701);
    assert_int_equal(a[0].port_hi, 5703);

    assert_int_equal(mg_config_member_addrs("192.168.1.0-7", 5701, a, 300, &why), 8);
    assert_string_equal(a[0].host, "192.168.1.0");
    assert_string_equal(a[7].host, "192.168.1.7");

    assert_int_equal(mg_config_member_addrs("10.0.0.*:5701", 5701, a, 300, &why), 256);
    assert_string_equal(a[255].host, "10.0.0.255");

    assert_int_equal(mg_config_member_addrs("[::1]:5702", 5701, a, 300, &why), 1);
    assert_string_equal(a[0].host, "::1");
    assert_int_equal(a[0].port_lo, 5702);
    assert_int_equal(mg_config_member_addrs("fe80::1", 5701, a, 300, &why), 1);
    assert_string_equal(a[0].host, "fe80::1");
    assert_false(a[0].port_given);

    assert_int_equal(mg_config_member_addrs("a, b;c  d", 5701, a, 300, &why), 4);
    assert_string_equal(a[3].host, "d");
    /* Counting without room to write. */
    assert_int_equal(mg_config_member_addrs("192.168.1.0-7", 5701, NULL, 0, &why), 8);
    assert_int_equal(mg_config_member_addrs("192.168.1.0-7", 5701, a, 3, &why), 8);

    static const char *bad[] = {"", " , ", "host:", "host:0", "host:65536", "host:5703-5701", "host:x",
                                "ho st!", "[::1", "[::1]x", "10.0.0.7-3", "10.0.*.1", "a*b", ":5701"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (mg_config_member_addrs(bad[i], 5701, a, 300, &why) != -1)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(why);
    }
}

static void test_dump_round_trip(void **state)
{
    mg_config c;
    msgs ms;
    char path[1200];
    assert_int_equal(load_sample(&c, &ms, "full.yaml", path, sizeof path), 0);

    char *first = NULL, *second = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f = open_memstream(&first, &n1);
    mg_config_dump(&c, f);
    fclose(f);

    mg_config back;
    mg_config_defaults(&back);
    memset(&ms, 0, sizeof ms);
    int rc = mg_config_load_string(&back, first, n1, "dump.yaml", collect, &ms);
    if (rc || ms.n) {
        dump_msgs(&ms);
        print_message("%s", first);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(ms.n, 0);
    back.source_path = strdup(c.source_path);
    f = open_memstream(&second, &n2);
    mg_config_dump(&back, f);
    fclose(f);
    assert_string_equal(first, second);
    assert_int_equal(back.n_maps, c.n_maps);
    assert_int_equal(back.join.n_members, c.join.n_members);

    free(first);
    free(second);
    mg_config_free(&back);
    mg_config_free(&c);
}

static void test_report_to_stderr_by_default(void **state)
{
    /* No report fn: messages go to stderr and the result is the same. */
    mg_config c;
    mg_config_defaults(&c);
    const char *y = "hazelcast:\n  nosuchkey: 1\n";
    assert_int_equal(mg_config_load_string(&c, y, strlen(y), "stderr.yaml", NULL, NULL), 0);
    mg_config_free(&c);
}

static void test_hostile_inputs(void **state)
{
    mg_config c;
    msgs ms;
    /* Deep nesting stops at a bound instead of the stack. */
    char deep[4096];
    size_t n = (size_t)snprintf(deep, sizeof deep, "hazelcast:\n  x: ");
    for (int i = 0; i < 200; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    assert_int_equal(load(&c, &ms, deep), MG_CONFIG_INVALID);
    mg_config_free(&c);

    /* A key longer than any path buffer is an unknown key, not an overflow
     * (1000 characters: YAML itself limits implicit keys to 1024). */
    char *longkey = malloc(5000);
    n = (size_t)sprintf(longkey, "hazelcast:\n  map:\n    m:\n      ");
    memset(longkey + n, 'k', 1000);
    strcpy(longkey + n + 1000, ": 1\n");
    assert_int_equal(load(&c, &ms, longkey), 0);
    assert_int_equal(ms.warnings, 1);
    mg_config_free(&c);
    free(longkey);

    /* Embedded NUL in a value. */
    const char nul[] = "hazelcast:\n  cluster-name: \"a\\0b\"\n";
    memset(&ms, 0, sizeof ms);
    mg_config_defaults(&c);
    assert_int_equal(mg_config_load_string(&c, nul, sizeof nul - 1, "nul.yaml", collect, &ms), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "contains a NUL character");
    mg_config_free(&c);

    /* Non-scalar keys. */
    assert_int_equal(load(&c, &ms, "hazelcast:\n  ? [a, b]\n  : 1\n"), MG_CONFIG_INVALID);
    expect_msg(&ms, true, 2, "mapping keys must be plain text");
    mg_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_hazelcast_section),
        cmocka_unit_test(test_article),
        cmocka_unit_test(test_article_kubernetes),
        cmocka_unit_test(test_full_sample),
        cmocka_unit_test(test_multicast_join),
        cmocka_unit_test(test_shared_hash),
        cmocka_unit_test(test_wildcard_match),
        cmocka_unit_test(test_wildcard_score),
        cmocka_unit_test(test_wildcard_two_stars),
        cmocka_unit_test(test_error_negative_size_exact_message),
        cmocka_unit_test(test_error_wrong_yaml_type),
        cmocka_unit_test(test_error_not_an_integer),
        cmocka_unit_test(test_error_policy_names),
        cmocka_unit_test(test_error_port_range),
        cmocka_unit_test(test_port_forms),
        cmocka_unit_test(test_error_backups),
        cmocka_unit_test(test_error_malformed_yaml),
        cmocka_unit_test(test_error_duplicate_key),
        cmocka_unit_test(test_error_root),
        cmocka_unit_test(test_error_booleans),
        cmocka_unit_test(test_error_members),
        cmocka_unit_test(test_error_join_methods),
        cmocka_unit_test(test_error_features_that_would_mislead),
        cmocka_unit_test(test_error_heartbeat_order),
        cmocka_unit_test(test_error_percentage_size),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unknown_keys_warn_with_line),
        cmocka_unit_test(test_unsupported_and_ignored_keys),
        cmocka_unit_test(test_deprecated_aliases),
        cmocka_unit_test(test_size_zero_is_unlimited),
        cmocka_unit_test(test_native_spellings),
        cmocka_unit_test(test_properties_strings_and_ints),
        cmocka_unit_test(test_public_address_and_instance),
        cmocka_unit_test(test_anchors_and_aliases),
        cmocka_unit_test(test_layering),
        cmocka_unit_test(test_member_addrs),
        cmocka_unit_test(test_dump_round_trip),
        cmocka_unit_test(test_report_to_stderr_by_default),
        cmocka_unit_test(test_hostile_inputs),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
