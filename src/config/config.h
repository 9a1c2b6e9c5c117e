/* config.h - the member's configuration, read from the hazelcast.yaml that
 * Hazelcast 5.x users already write.
 *
 * Layers:
 *   yaml_load.c  libyaml events -> a small tree of nodes, each with its line
 *   config.c     one table of known keys (path, type, bounds, default, field)
 *                that walks the tree into mg_config, then cross-key checks
 *   wildcard.c   Hazelcast's map-name patterns ("user*", "*-cache")
 *
 * Ownership: every pointer inside an mg_config (strings, member_list, maps)
 * is owned by it and released by mg_config_free.  An mg_config is filled once
 * at start-up by one thread and only read afterwards, so it carries no lock;
 * workers may read it concurrently once loading is done.
 *
 * Messages: every problem is reported as (file, line, "path.to.key: reason").
 * Errors make the load return MG_CONFIG_INVALID; warnings (unknown keys,
 * deprecated spellings, Hazelcast features memgrid ignores) do not.  Loading
 * goes on after an error so that one run shows every mistake in the file.
 */
#ifndef MG_CONFIG_CONFIG_H
#define MG_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MG_CONFIG_INVALID 2   /* also the exit status of `memgrid --check-config` */

/* Hazelcast's own limit on backup-count + async-backup-count. */
#define MG_CONFIG_MAX_BACKUPS 6

typedef enum { MG_EVICT_NONE, MG_EVICT_LRU, MG_EVICT_LFU, MG_EVICT_RANDOM } mg_eviction_policy;

/* Hazelcast's USED_NATIVE_MEMORY_SIZE, USED_NATIVE_MEMORY_PERCENTAGE,
 * FREE_NATIVE_MEMORY_SIZE and FREE_NATIVE_MEMORY_PERCENTAGE are read as the
 * heap policy of the same shape: memgrid has one kind of memory, its own. */
typedef enum {
    MG_SIZE_PER_NODE,
    MG_SIZE_PER_PARTITION,
    MG_SIZE_USED_HEAP_SIZE,        /* size in MiB */
    MG_SIZE_USED_HEAP_PERCENTAGE,  /* size 0..100 */
    MG_SIZE_FREE_HEAP_SIZE,        /* size in MiB */
    MG_SIZE_FREE_HEAP_PERCENTAGE,  /* size 0..100 */
    MG_SIZE_ENTRY_COUNT
} mg_max_size_policy;

typedef struct mg_map_config {
    char *name;                 /* pattern as written ("default" for the default) */
    int backup_count;           /* default 1, 0..6 */
    int async_backup_count;     /* default 0, backup+async <= 6 */
    int time_to_live_seconds;   /* default 0 = none */
    int max_idle_seconds;       /* default 0 = none */
    mg_eviction_policy eviction_policy;   /* default NONE */
    mg_max_size_policy max_size_policy;   /* default PER_NODE */
    int32_t size;               /* default INT32_MAX; 0 means unlimited -> INT32_MAX */
    bool per_entry_stats_enabled; bool statistics_enabled; /* false, true */
    int line;                   /* where it was defined, 0 for built-in */
} mg_map_config;

/* The longest cluster name multicast discovery can carry (cluster/announce.h). */
#define MG_CFG_MULTICAST_NAME_MAX 255

typedef struct mg_config {
    char *cluster_name;         /* "dev" */
    char *instance_name;        /* optional, NULL when not set */
    int port; bool port_auto_increment; int port_count;   /* 5701, true, 100; port 0 = any free port */
    /* Bind host.  memgrid defaults to 127.0.0.1, unlike Hazelcast, which binds
     * every interface: a cache that holds data without authentication should
     * not be reachable from the network until someone chooses so.  Set by
     * network.public-address (its host part). */
    char *interface_host;
    struct {
        bool multicast_enabled; char *multicast_group; int multicast_port;
        int multicast_ttl;                 /* multicast-time-to-live, 32 */
        int multicast_timeout_seconds;     /* a new member founds a cluster after this long unanswered, 2 */
        bool multicast_loopback;           /* loopback-mode-enabled: members on one host hear each other */
        bool tcp_ip_enabled;
        char **member_list;     /* one address per entry: host, host:port, host:lo-hi, a.b.c.lo-hi (see mg_config_member_addrs) */
        size_t n_members;
        int connection_timeout_seconds;
        bool kubernetes_enabled; char *k8s_namespace; char *k8s_service_name; char *k8s_service_dns;
        int k8s_service_port;   /* 0 = use this member's port, as Hazelcast does */
        int k8s_dns_timeout_seconds;       /* service-dns-timeout, 5: one lookup's limit */
    } join;
    mg_map_config default_map;  /* map.default, or the built-in defaults */
    mg_map_config *maps; size_t n_maps;   /* every other map section, in file order */
    /* properties (string values in YAML, as Hazelcast writes them) */
    int partition_count;                 /* hazelcast.partition.count 271 */
    int heartbeat_interval_seconds;      /* hazelcast.heartbeat.interval.seconds: memgrid 1 (Hazelcast 5) */
    int initial_min_cluster_size;        /* hazelcast.initial.min.cluster.size: clients wait until the cluster had this many members, 0 */
    int max_no_heartbeat_seconds;        /* hazelcast.max.no.heartbeat.seconds: memgrid 2 (Hazelcast 60; we have no GC pauses) */
    int64_t backup_timeout_millis;       /* hazelcast.operation.backup.timeout.millis 5000 */
    int64_t client_max_message_bytes;    /* memgrid.client.max-message-bytes: 64 MiB; largest inbound client message accepted */
    int64_t memory_max_bytes;            /* memgrid.memory.max-size ("512m"): map data on this member; 0 = 70 % of min(machine, cgroup) memory (map/memory.h) */
    int io_threads;                      /* memgrid.worker.count, 0 = default (1, see ADR 0002) */
    char *source_path;                   /* file read, or NULL for built-in defaults */
} mg_config;

/* is_error false = warning.  file is the name given to the loader; line is
 * 1-based, 0 when the message is about the file as a whole.  msg is
 * "hazelcast.path.to.key: reason" and is only valid during the call. */
typedef void (*mg_config_report_fn)(void *ctx, bool is_error, const char *file, int line, const char *msg);

/* Fills *c with the built-in defaults (DESIGN §5: a single member on
 * 127.0.0.1:5701, cluster "dev").  Call it before loading: the loaders apply
 * a file on top of what *c already holds, so a caller can layer defaults,
 * then the file, then command-line overrides. */
void mg_config_defaults(mg_config *c);

/* Return 0, or MG_CONFIG_INVALID when any error was reported (then *c holds
 * a mix of defaults and values read, and must still be freed).  Without a
 * report fn, messages go to stderr as "[file:line] path.to.key: message"
 * (warnings say "warning:" after the location). */
int mg_config_load_file(mg_config *c, const char *path, mg_config_report_fn report, void *ctx);
int mg_config_load_string(mg_config *c, const char *yaml, size_t len, const char *name_for_messages,
                          mg_config_report_fn report, void *ctx);

/* The configuration for map `name` (not NUL-terminated): the map section
 * whose name equals it, else the best wildcard pattern, else default_map.
 * Like Hazelcast, the part from the first '@' on (a partition key) is not
 * part of the name.  Never NULL. */
const mg_map_config *mg_config_map(const mg_config *c, const char *name, size_t name_len);

void mg_config_free(mg_config *c);

/* Writes the effective configuration as a hazelcast.yaml that loads back to
 * the same mg_config (for --check-config). */
void mg_config_dump(const mg_config *c, FILE *out);
/* A 64-bit digest (never 0) of the settings every member of a cluster must
 * share, because backups act on them when they become primaries: each map
 * section's backup counts, TTL, max-idle, eviction and per-entry stats, in
 * name order (file order does not matter).  Members' own resources (memory
 * limit, worker count, ports) are left out.  A joiner whose digest differs
 * is refused (membership_join.c). */
uint64_t mg_config_shared_hash(const mg_config *c);

/* One address of a tcp-ip member-list entry, for the cluster's joiner. */
typedef struct mg_member_addr {
    char host[256];     /* host name or IP literal; IPv6 without brackets */
    int port_lo, port_hi;   /* inclusive range; equal for one port */
    bool port_given;    /* false: the entry had no port and port_lo = port_hi =
                         * default_port; Hazelcast then also tries the next
                         * ports (hazelcast.tcp.join.port.try.count), which is
                         * the joiner's choice */
} mg_member_addr;

/* Parses one member-list entry.  Accepted forms, as Hazelcast writes them:
 *   host  host:port  host:lo-hi  [v6]  [v6]:port  v6-without-port
 *   a.b.c.lo-hi (IPv4 range on the last octet, "192.168.1.0-7")  a.b.c.*
 * and several of those separated by ',', ';' or spaces.  An IPv4 range is
 * expanded into one address per host.  Writes at most max addresses to out
 * (out may be NULL when max is 0) and returns how many the entry holds, or -1
 * with a reason in *why (a static string) when the syntax is wrong. */
int mg_config_member_addrs(const char *entry, int default_port, mg_member_addr *out, size_t max,
                           const char **why);

/* Hazelcast's pattern match (wildcard.c): -1 when `pattern` does not match
 * `name`, else the number of literal characters matched; a pattern without
 * '*' matches only itself.  Exposed for tests and for the lead's map lookup
 * caches. */
int mg_config_wildcard_score(const char *pattern, const char *name, size_t name_len);

/* ---- internal to src/config/: the YAML tree (yaml_load.c) ---------------
 * Kept here because the module has no private header of its own; nothing
 * outside src/config/ should use these. */

typedef enum { MG_YNULL, MG_YSCALAR, MG_YMAP, MG_YSEQ } mg_ynode_kind;

typedef struct mg_ynode {
    mg_ynode_kind kind;
    int line, col;              /* 1-based position of the node's first character */
    char *str; size_t len;      /* scalar text, NUL-terminated (may hold NULs inside) */
    bool quoted;                /* scalar was quoted: "null" stays a string */
    struct mg_ynode **kids;     /* MAP: key0, value0, key1, value1, ...; SEQ: items */
    size_t n_kids;
} mg_ynode;

/* All nodes live in the document and are freed with it; an alias is the same
 * node pointer seen twice, so the tree is a DAG, never a cycle. */
typedef struct mg_ydoc {
    mg_ynode *root;             /* NULL for an empty stream */
    mg_ynode **all; size_t n_all, cap_all;
} mg_ydoc;

/* Returns 0, or -1 with a human message in err and its position in *line and
 * *col (both 1-based, 0 when unknown). */
int mg_yaml_parse(const char *buf, size_t len, mg_ydoc *doc, char *err, size_t errlen, int *line, int *col);
void mg_yaml_free(mg_ydoc *doc);

#endif
