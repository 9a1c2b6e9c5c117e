/* config.c - the table of hazelcast.yaml keys and the walk that applies it.
 *
 * Every key memgrid knows is one row of `keys[]` below: its path under
 * `hazelcast:`, its type, bounds, default and the field it fills (Valkey's
 * config.c and nginx's directive tables are the model, STYLE 4).  Defaults,
 * loading, freeing and dumping all iterate that one table, so adding a key is
 * adding a row.  Cross-key rules that one row cannot express (join methods
 * that exclude each other, backup-count + async-backup-count <= 6, ...) are
 * in check_map() and check_config() at the end.
 *
 * Paths: rows under a map section use the segment "<name>" for the map's
 * name ("map.<name>.eviction.size"); rows under `properties:` are
 * "properties." + the property name, dots included.  A row ending in ".*"
 * matches any key of its section not matched by another row.
 *
 * Kinds of rows for keys memgrid does not act on:
 *   K_IGNORED      harmless here (jet, metrics, rest-api, ...): silent
 *   K_UNSUPPORTED  a Hazelcast feature memgrid lacks: a warning, keep going
 *   K_REFUSED      a feature whose silent absence would mislead: an error
 * and boolean rows flagged F_WARN_IF_TRUE / F_ERR_IF_TRUE for sections that
 * are harmless while `enabled: false`, as Hazelcast's full example writes them.
 */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "util/alloc.h"
#include "util/fnv.h"

/* ---- the table ---------------------------------------------------------- */

typedef enum {
    K_SECTION,      /* mapping of further rows; `to` names the row a scalar stands for ("port: 5701") */
    K_NAMED,        /* mapping of user-chosen names, each read as the row path + ".<name>" (map sections) */
    K_PROPS,        /* mapping of property names (which contain dots) */
    K_INT,          /* integer, stored in an int, int32_t or int64_t field */
    K_BYTES,        /* integer with an optional k/m/g/t suffix (powers of 1024) */
    K_BOOL,
    K_STR,
    K_ENUM,         /* one of `names`, case-insensitive as Hazelcast reads them */
    K_HOST,         /* host or host:port; the host is stored */
    K_MEMBERS,      /* sequence, or text separated by ',', ';' or spaces, of member addresses; appended */
    K_ALIAS,        /* older spelling of the row `to`: warn, then read as that row */
    K_IGNORED,
    K_UNSUPPORTED,
    K_REFUSED,
} key_kind;

enum { S_NONE, S_CFG, S_MAP };  /* what `off` is an offset into; S_NONE: check the value, keep nothing */

enum {
    F_ZERO_IS_MAX  = 1 << 0,   /* 0 means unlimited: store `max` */
    F_WARN_IF_TRUE = 1 << 1,   /* `help` says why true has no effect */
    F_ERR_IF_TRUE  = 1 << 2,   /* `help` says why true cannot be honoured */
    F_NODUMP       = 1 << 3,   /* another row dumps this field */
};

typedef struct enum_name {
    const char *name;
    int value;
} enum_name;

typedef struct keydef {
    const char *path;
    key_kind kind;
    unsigned char scope;
    unsigned short off, size;
    unsigned flags;
    int64_t min, max;
    const enum_name *names;
    const char *dflt;           /* default, as YAML text, applied by mg_config_defaults */
    const char *to;
    const char *help;
} keydef;

/* Designated, so that rows naming only path, kind and place are complete. */
#define CFG(f) .scope = S_CFG, .off = offsetof(mg_config, f), .size = sizeof(((mg_config *)0)->f)
#define MAP(f) .scope = S_MAP, .off = offsetof(mg_map_config, f), .size = sizeof(((mg_map_config *)0)->f)
#define NOWHERE .scope = S_NONE
#define I32MAX INT32_MAX

static const enum_name eviction_policies[] = {
    {"NONE", MG_EVICT_NONE}, {"LRU", MG_EVICT_LRU}, {"LFU", MG_EVICT_LFU}, {"RANDOM", MG_EVICT_RANDOM}, {NULL, 0},
};
static const enum_name max_size_policies[] = {
    {"PER_NODE", MG_SIZE_PER_NODE},
    {"PER_PARTITION", MG_SIZE_PER_PARTITION},
    {"USED_HEAP_SIZE", MG_SIZE_USED_HEAP_SIZE},
    {"USED_HEAP_PERCENTAGE", MG_SIZE_USED_HEAP_PERCENTAGE},
    {"FREE_HEAP_SIZE", MG_SIZE_FREE_HEAP_SIZE},
    {"FREE_HEAP_PERCENTAGE", MG_SIZE_FREE_HEAP_PERCENTAGE},
    {"ENTRY_COUNT", MG_SIZE_ENTRY_COUNT},
    /* Hazelcast Enterprise's off-heap spellings: memgrid's memory is all its own. */
    {"USED_NATIVE_MEMORY_SIZE", MG_SIZE_USED_HEAP_SIZE},
    {"USED_NATIVE_MEMORY_PERCENTAGE", MG_SIZE_USED_HEAP_PERCENTAGE},
    {"FREE_NATIVE_MEMORY_SIZE", MG_SIZE_FREE_HEAP_SIZE},
    {"FREE_NATIVE_MEMORY_PERCENTAGE", MG_SIZE_FREE_HEAP_PERCENTAGE},
    {NULL, 0},
};
static const enum_name in_memory_formats[] = {{"BINARY", 0}, {"OBJECT", 1}, {"NATIVE", 2}, {NULL, 0}};
static const enum_name metadata_policies[] = {{"CREATE_ON_UPDATE", 0}, {"OFF", 1}, {NULL, 0}};
static const enum_name cache_deserialized[] = {{"NEVER", 0}, {"INDEX_ONLY", 1}, {"ALWAYS", 2}, {NULL, 0}};

#define MAPS_ONLY "memgrid implements maps only; this section is ignored"
#define NO_JAVA "memgrid cannot run Java classes; ignored"
#define NO_QUERY "memgrid does not run queries; ignored"
#define OLD_3X "a Hazelcast 3.x key that has no effect; ignored"

static const keydef keys[] = {
    {"cluster-name", K_STR, CFG(cluster_name), .min = 1, .dflt = "dev"},
    {"instance-name", K_STR, CFG(instance_name)},
    {"group", K_SECTION, NOWHERE},
    {"group.name", K_ALIAS, NOWHERE, .to = "cluster-name"},
    {"group.password", K_UNSUPPORTED, NOWHERE, .help = OLD_3X},
    {"import", K_REFUSED, NOWHERE, .help = "memgrid does not read imported files; copy their content into this file"},
    {"config-replacers", K_UNSUPPORTED, NOWHERE, .help = "memgrid does not replace ${...} or $ENC{...} in values; ignored"},
    {"license-key", K_IGNORED, NOWHERE},
    {"management-center", K_IGNORED, NOWHERE},
    {"metrics", K_IGNORED, NOWHERE},
    {"jet", K_IGNORED, NOWHERE},
    {"sql", K_IGNORED, NOWHERE},
    {"integrity-checker", K_IGNORED, NOWHERE},
    {"instance-tracking", K_IGNORED, NOWHERE},
    {"auditlog", K_IGNORED, NOWHERE},
    {"serialization", K_IGNORED, NOWHERE},     /* members store bytes; only clients serialize */
    {"user-code-deployment", K_IGNORED, NOWHERE},
    {"listeners", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},
    {"security", K_UNSUPPORTED, NOWHERE, .help = "memgrid has no authentication yet; ignored"},
    {"lite-member", K_UNSUPPORTED, NOWHERE, .help = "every memgrid member holds data; ignored"},
    {"partition-group", K_UNSUPPORTED, NOWHERE, .help = "partition groups are not supported yet; backups go to any other member"},
    {"split-brain-protection", K_UNSUPPORTED, NOWHERE, .help = "not supported; ignored"},
    {"wan-replication", K_UNSUPPORTED, NOWHERE, .help = "WAN replication is not supported; ignored"},
    {"persistence", K_UNSUPPORTED, NOWHERE, .help = "memgrid keeps data in memory only; ignored"},
    {"hot-restart-persistence", K_UNSUPPORTED, NOWHERE, .help = "memgrid keeps data in memory only; ignored"},
    {"native-memory", K_UNSUPPORTED, NOWHERE, .help = "use the property memgrid.memory.max-size; ignored"},
    {"cp-subsystem", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"queue", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"list", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"set", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"topic", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"reliable-topic", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"multimap", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"replicatedmap", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"ringbuffer", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"cache", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"executor-service", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"durable-executor-service", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"scheduled-executor-service", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"cardinality-estimator", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"flake-id-generator", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"pn-counter", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"crdt-replication", K_UNSUPPORTED, NOWHERE, .help = MAPS_ONLY},
    {"advanced-network", K_SECTION, NOWHERE},
    {"advanced-network.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "advanced-network is not supported; configure `network` instead"},
    {"advanced-network.*", K_IGNORED, NOWHERE},

    {"network", K_SECTION, NOWHERE},
    /* Hazelcast advertises public-address; memgrid binds to and advertises
     * one address, so its host part is the bind host. */
    {"network.public-address", K_HOST, CFG(interface_host), .dflt = "127.0.0.1"},
    {"network.port", K_SECTION, NOWHERE, .to = "network.port.port"},
    {"network.port.port", K_INT, CFG(port), .min = 0, .max = 65535, .dflt = "5701", .help = "0 picks a free port"},
    {"network.port.auto-increment", K_BOOL, CFG(port_auto_increment), .dflt = "true"},
    {"network.port.port-count", K_INT, CFG(port_count), .min = 1, .max = 65535, .dflt = "100"},
    {"network.outbound-ports", K_UNSUPPORTED, NOWHERE, .help = "memgrid lets the system choose outbound ports; ignored"},
    {"network.reuse-address", K_IGNORED, NOWHERE},
    {"network.rest-api", K_IGNORED, NOWHERE},          /* memgrid always answers HTTP on its port (DESIGN §2) */
    {"network.memcache-protocol", K_IGNORED, NOWHERE}, /* likewise memcache */
    {"network.interfaces", K_SECTION, NOWHERE},
    {"network.interfaces.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "choosing interfaces is not supported yet; memgrid binds to network.public-address (127.0.0.1 by default)"},
    {"network.interfaces.*", K_IGNORED, NOWHERE},
    {"network.ssl", K_SECTION, NOWHERE},
    {"network.ssl.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "TLS is not supported yet; remove it, and keep members on a trusted network"},
    {"network.ssl.*", K_IGNORED, NOWHERE},
    {"network.symmetric-encryption", K_SECTION, NOWHERE},
    {"network.symmetric-encryption.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "encryption is not supported yet; remove it, and keep members on a trusted network"},
    {"network.symmetric-encryption.*", K_IGNORED, NOWHERE},
    {"network.socket-interceptor", K_SECTION, NOWHERE},
    {"network.socket-interceptor.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE, .help = NO_JAVA},
    {"network.socket-interceptor.*", K_IGNORED, NOWHERE},
    {"network.member-address-provider", K_SECTION, NOWHERE},
    {"network.member-address-provider.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE, .help = NO_JAVA},
    {"network.member-address-provider.*", K_IGNORED, NOWHERE},
    {"network.failure-detector", K_SECTION, NOWHERE},
    {"network.failure-detector.icmp", K_SECTION, NOWHERE},
    {"network.failure-detector.icmp.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "ICMP failure detection is not supported; memgrid relies on heartbeats"},
    {"network.failure-detector.icmp.*", K_IGNORED, NOWHERE},

    {"network.join", K_SECTION, NOWHERE},
    {"network.join.auto-detection", K_IGNORED, NOWHERE},
    {"network.join.multicast", K_SECTION, NOWHERE},
    /* Hazelcast enables multicast when nothing else is configured; memgrid
     * starts as a single member on loopback (DESIGN §5) and sends nothing
     * to the network unless told to, so multicast is on only when enabled
     * explicitly. */
    {"network.join.multicast.enabled", K_BOOL, CFG(join.multicast_enabled), .dflt = "false"},
    {"network.join.multicast.multicast-group", K_STR, CFG(join.multicast_group), .min = 1, .dflt = "224.2.2.3"},
    {"network.join.multicast.multicast-port", K_INT, CFG(join.multicast_port), .min = 1, .max = 65535, .dflt = "54327"},
    {"network.join.multicast.multicast-time-to-live", K_INT, CFG(join.multicast_ttl), .min = 0, .max = 255,
     .dflt = "32"},
    {"network.join.multicast.multicast-timeout-seconds", K_INT, CFG(join.multicast_timeout_seconds), .min = 0,
     .max = 3600, .dflt = "2"},
    {"network.join.multicast.loopback-mode-enabled", K_BOOL, CFG(join.multicast_loopback), .dflt = "true"},
    {"network.join.multicast.loopbackModeEnabled", K_ALIAS, NOWHERE, .to = "network.join.multicast.loopback-mode-enabled"},
    {"network.join.multicast.trusted-interfaces", K_UNSUPPORTED, NOWHERE,
     .help = "trusted-interfaces is not supported: every process of this cluster name on the group may ask "
             "to join (the join's checks still apply); ignored"},
    {"network.join.tcp-ip", K_SECTION, NOWHERE},
    {"network.join.tcp-ip.enabled", K_BOOL, CFG(join.tcp_ip_enabled), .dflt = "false"},
    {"network.join.tcp-ip.member-list", K_MEMBERS, NOWHERE},
    {"network.join.tcp-ip.members", K_MEMBERS, NOWHERE},
    {"network.join.tcp-ip.member", K_MEMBERS, NOWHERE},
    /* Hazelcast reads tcp-ip.interface as one more member address. */
    {"network.join.tcp-ip.interface", K_MEMBERS, NOWHERE},
    {"network.join.tcp-ip.required-member", K_UNSUPPORTED, NOWHERE,
     .help = "memgrid joins through any listed member; ignored"},
    {"network.join.tcp-ip.connection-timeout-seconds", K_INT, CFG(join.connection_timeout_seconds), .min = 0,
     .max = I32MAX, .dflt = "5"},
    {"network.join.kubernetes", K_SECTION, NOWHERE},
    {"network.join.kubernetes.enabled", K_BOOL, CFG(join.kubernetes_enabled), .dflt = "false"},
    {"network.join.kubernetes.namespace", K_STR, CFG(join.k8s_namespace), .min = 1},
    {"network.join.kubernetes.service-name", K_STR, CFG(join.k8s_service_name), .min = 1},
    {"network.join.kubernetes.service-dns", K_STR, CFG(join.k8s_service_dns), .min = 1},
    {"network.join.kubernetes.service-port", K_INT, CFG(join.k8s_service_port), .min = 0, .max = 65535, .dflt = "0",
     .help = "0 uses this member's port"},
    {"network.join.kubernetes.service-dns-timeout", K_INT, CFG(join.k8s_dns_timeout_seconds), .min = 1,
     .max = 3600, .dflt = "5"},
    {"network.join.kubernetes.*", K_UNSUPPORTED, NOWHERE,
     .help = "memgrid finds pods through DNS (service-dns, or service-name and namespace); ignored"},
    {"network.join.aws", K_SECTION, NOWHERE},
    {"network.join.aws.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "AWS discovery is not supported; use tcp-ip or kubernetes"},
    {"network.join.aws.*", K_IGNORED, NOWHERE},
    {"network.join.gcp", K_SECTION, NOWHERE},
    {"network.join.gcp.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "GCP discovery is not supported; use tcp-ip or kubernetes"},
    {"network.join.gcp.*", K_IGNORED, NOWHERE},
    {"network.join.azure", K_SECTION, NOWHERE},
    {"network.join.azure.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "Azure discovery is not supported; use tcp-ip or kubernetes"},
    {"network.join.azure.*", K_IGNORED, NOWHERE},
    {"network.join.eureka", K_SECTION, NOWHERE},
    {"network.join.eureka.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "Eureka discovery is not supported; use tcp-ip or kubernetes"},
    {"network.join.eureka.*", K_IGNORED, NOWHERE},
    {"network.join.discovery-strategies", K_UNSUPPORTED, NOWHERE,
     .help = "discovery plugins are Java classes; use tcp-ip or kubernetes"},

    {"map", K_NAMED, NOWHERE},
    {"map.<name>", K_SECTION, NOWHERE},
    {"map.<name>.backup-count", K_INT, MAP(backup_count), .min = 0, .max = MG_CONFIG_MAX_BACKUPS, .dflt = "1"},
    {"map.<name>.async-backup-count", K_INT, MAP(async_backup_count), .min = 0, .max = MG_CONFIG_MAX_BACKUPS,
     .dflt = "0"},
    {"map.<name>.time-to-live-seconds", K_INT, MAP(time_to_live_seconds), .min = 0, .max = I32MAX, .dflt = "0",
     .help = "0 means entries never expire"},
    {"map.<name>.max-idle-seconds", K_INT, MAP(max_idle_seconds), .min = 0, .max = I32MAX, .dflt = "0",
     .help = "0 means entries never expire"},
    {"map.<name>.eviction", K_SECTION, NOWHERE},
    {"map.<name>.eviction.eviction-policy", K_ENUM, MAP(eviction_policy), .names = eviction_policies, .dflt = "NONE"},
    {"map.<name>.eviction.max-size-policy", K_ENUM, MAP(max_size_policy), .names = max_size_policies,
     .dflt = "PER_NODE"},
    {"map.<name>.eviction.size", K_INT, MAP(size), .min = 0, .max = I32MAX, .flags = F_ZERO_IS_MAX,
     .dflt = "2147483647", .help = "0 means no limit"},
    {"map.<name>.eviction.max-size", K_ALIAS, NOWHERE, .to = "map.<name>.eviction.size"},
    {"map.<name>.eviction.comparator-class-name", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},
    {"map.<name>.eviction.comparator", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},
    /* Hazelcast 3.x wrote these at the map level. */
    {"map.<name>.eviction-policy", K_ALIAS, NOWHERE, .to = "map.<name>.eviction.eviction-policy"},
    {"map.<name>.max-size", K_SECTION, NOWHERE, .to = "map.<name>.max-size.max-size"},
    {"map.<name>.max-size.policy", K_ALIAS, NOWHERE, .to = "map.<name>.eviction.max-size-policy"},
    {"map.<name>.max-size.max-size", K_ALIAS, NOWHERE, .to = "map.<name>.eviction.size"},
    {"map.<name>.eviction-percentage", K_UNSUPPORTED, NOWHERE, .help = OLD_3X},
    {"map.<name>.min-eviction-check-millis", K_UNSUPPORTED, NOWHERE, .help = OLD_3X},
    {"map.<name>.per-entry-stats-enabled", K_BOOL, MAP(per_entry_stats_enabled), .dflt = "false"},
    {"map.<name>.statistics-enabled", K_BOOL, MAP(statistics_enabled), .dflt = "true"},
    /* memgrid always stores serialized bytes; the others only change where
     * a Java member would deserialize. */
    {"map.<name>.in-memory-format", K_ENUM, NOWHERE, .names = in_memory_formats},
    {"map.<name>.metadata-policy", K_ENUM, NOWHERE, .names = metadata_policies},
    {"map.<name>.cache-deserialized-values", K_ENUM, NOWHERE, .names = cache_deserialized},
    {"map.<name>.read-backup-data", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "memgrid always reads from the primary; ignored"},
    {"map.<name>.merge-policy", K_SECTION, NOWHERE},
    {"map.<name>.merge-policy.batch-size", K_INT, NOWHERE, .min = 1, .max = I32MAX},
    {"map.<name>.merge-policy.class-name", K_STR, NOWHERE, .min = 1},
    {"map.<name>.near-cache", K_IGNORED, NOWHERE},     /* a member-side read cache: only speed */
    {"map.<name>.merkle-tree", K_IGNORED, NOWHERE},    /* used by WAN sync only */
    {"map.<name>.hot-restart", K_SECTION, NOWHERE},
    {"map.<name>.hot-restart.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "memgrid keeps data in memory only; ignored"},
    {"map.<name>.hot-restart.*", K_IGNORED, NOWHERE},
    {"map.<name>.data-persistence", K_SECTION, NOWHERE},
    {"map.<name>.data-persistence.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "memgrid keeps data in memory only; ignored"},
    {"map.<name>.data-persistence.*", K_IGNORED, NOWHERE},
    {"map.<name>.event-journal", K_SECTION, NOWHERE},
    {"map.<name>.event-journal.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "the event journal is not supported; ignored"},
    {"map.<name>.event-journal.*", K_IGNORED, NOWHERE},
    {"map.<name>.tiered-store", K_SECTION, NOWHERE},
    {"map.<name>.tiered-store.enabled", K_BOOL, NOWHERE, .flags = F_WARN_IF_TRUE,
     .help = "memgrid keeps data in memory only; ignored"},
    {"map.<name>.tiered-store.*", K_IGNORED, NOWHERE},
    /* A MapStore writes through to a database: running without it would
     * silently lose the writes the user expects to persist. */
    {"map.<name>.map-store", K_SECTION, NOWHERE},
    {"map.<name>.map-store.enabled", K_BOOL, NOWHERE, .flags = F_ERR_IF_TRUE,
     .help = "MapStore classes cannot run in memgrid; set enabled: false or remove map-store"},
    {"map.<name>.map-store.*", K_IGNORED, NOWHERE},
    {"map.<name>.wan-replication-ref", K_UNSUPPORTED, NOWHERE, .help = "WAN replication is not supported; ignored"},
    {"map.<name>.indexes", K_UNSUPPORTED, NOWHERE, .help = NO_QUERY},
    {"map.<name>.attributes", K_UNSUPPORTED, NOWHERE, .help = NO_QUERY},
    {"map.<name>.query-caches", K_UNSUPPORTED, NOWHERE, .help = NO_QUERY},
    {"map.<name>.entry-listeners", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},
    {"map.<name>.partition-lost-listeners", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},
    {"map.<name>.split-brain-protection-ref", K_UNSUPPORTED, NOWHERE, .help = "not supported; ignored"},
    {"map.<name>.partition-strategy", K_UNSUPPORTED, NOWHERE,
     .help = "memgrid partitions by the whole key, as clients expect; ignored"},
    {"map.<name>.partition-attributes", K_UNSUPPORTED, NOWHERE,
     .help = "memgrid partitions by the whole key, as clients expect; ignored"},
    {"map.<name>.user-code-namespace", K_UNSUPPORTED, NOWHERE, .help = NO_JAVA},

    /* Properties: Hazelcast writes values as strings ("271"); ints work too. */
    {"properties", K_PROPS, NOWHERE},
    {"properties.hazelcast.partition.count", K_INT, CFG(partition_count), .min = 1, .max = 100000, .dflt = "271",
     .help = "every member of a cluster must use the same value"},
    /* Clients are refused ("not ready yet", retryable) until the member list
     * has held this many members once: members that start together and
     * found apart (discovery slower than the join timeout) never serve. */
    {"properties.hazelcast.initial.min.cluster.size", K_INT, CFG(initial_min_cluster_size), .min = 0, .max = 64,
     .dflt = "0"},
    /* Faster than Hazelcast's 5 s / 60 s: a C member has no GC pauses to
     * ride out, so a dead member is found in seconds, not a minute. */
    {"properties.hazelcast.heartbeat.interval.seconds", K_INT, CFG(heartbeat_interval_seconds), .min = 1,
     .max = 3600, .dflt = "1"},
    {"properties.hazelcast.max.no.heartbeat.seconds", K_INT, CFG(max_no_heartbeat_seconds), .min = 1,
     .max = 86400, .dflt = "2"},
    {"properties.hazelcast.operation.backup.timeout.millis", K_INT, CFG(backup_timeout_millis), .min = 1,
     .max = INT64_C(86400000), .dflt = "5000"},
    /* The client protocol carries frame lengths as int32. */
    {"properties.memgrid.client.max-message-bytes", K_BYTES, CFG(client_max_message_bytes), .min = 4096,
     .max = I32MAX, .dflt = "64m"},
    /* Memory for map data (entries and tables) on this member; writes past it
     * evict from maps with an eviction policy or are refused (docs/memory.md). */
    {"properties.memgrid.memory.max-size", K_BYTES, CFG(memory_max_bytes), .min = 0, .max = INT64_MAX, .dflt = "0",
     .help = "0 uses 70% of the smaller of the machine's memory and the cgroup's memory limit"},
    {"properties.memgrid.worker.count", K_INT, CFG(io_threads), .min = 0, .max = 1024, .dflt = "0",
     .help = "0 uses the default, one worker (ADR 0002)"},
    /* Hazelcast properties whose absence changes nothing in memgrid. */
    {"properties.hazelcast.logging.type", K_IGNORED, NOWHERE},
    {"properties.hazelcast.phone.home.enabled", K_IGNORED, NOWHERE},
    {"properties.hazelcast.jmx", K_IGNORED, NOWHERE},
    {"properties.hazelcast.diagnostics.enabled", K_IGNORED, NOWHERE},
    {"properties.hazelcast.health.monitoring.level", K_IGNORED, NOWHERE},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

_Static_assert(sizeof(mg_config) <= 0xffff && sizeof(mg_map_config) <= 0xffff, "keydef.off is 16 bits");

/* ---- loader state and messages ----------------------------------------- */

/* Bounds on work and noise: aliases let a small file name the same big
 * mapping many times, and one bad file should not print a million lines. */
#define MAX_VISITS   1000000
#define MAX_MESSAGES 200

typedef struct loader {
    mg_config *c;
    const char *file;
    mg_config_report_fn report;
    void *ctx;
    int errors, messages;
    size_t visits;
    bool stop;                  /* MAX_VISITS passed: stop walking */
    mg_map_config *map;         /* map section being read, base of S_MAP rows */
    int row_line[N_KEYS];       /* line where each row was last set, 0 = not in this file (or map section) */
    char tpath[256]; size_t tlen; bool tover;   /* table path; tover: too long to be a known key */
    char dpath[512]; size_t dlen;               /* path as the user wrote it, for messages */
} loader;

static void default_report(void *ctx, bool is_error, const char *file, int line, const char *msg)
{
    (void)ctx;
    if (line > 0)
        fprintf(stderr, "[%s:%d] %s%s\n", file, line, is_error ? "" : "warning: ", msg);
    else
        fprintf(stderr, "[%s] %s%s\n", file, is_error ? "" : "warning: ", msg);
}

static void say(loader *L, bool is_error, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports "<current path>: <message>" at `line`. */
static void say(loader *L, bool is_error, int line, const char *fmt, ...)
{
    if (is_error)
        L->errors++;
    if (++L->messages > MAX_MESSAGES) {
        if (L->messages == MAX_MESSAGES + 1)
            L->report(L->ctx, is_error, L->file, 0, "too many messages; the rest are not shown");
        return;
    }
    char msg[1024];
    int n = L->dlen ? snprintf(msg, sizeof msg, "%s: ", L->dpath) : 0;
    if (n < 0 || (size_t)n >= sizeof msg)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    L->report(L->ctx, is_error, L->file, line, msg);
}

/* Both paths grow by ".seg" while a key is read and shrink back after. */
typedef struct mark {
    size_t tlen, dlen;
    bool tover;
} mark;

static mark push(loader *L, const char *tseg, const char *dseg, size_t dseg_len)
{
    mark m = {L->tlen, L->dlen, L->tover};
    size_t tl = strlen(tseg);
    size_t need = L->tlen + (L->tlen ? 1 : 0) + tl;
    if (need >= sizeof L->tpath) {
        L->tover = true;
    } else if (!L->tover) {
        if (L->tlen)
            L->tpath[L->tlen++] = '.';
        memcpy(L->tpath + L->tlen, tseg, tl + 1);
        L->tlen += tl;
    }
    /* Display path: truncated, never refused. */
    size_t room = sizeof L->dpath - L->dlen - 1;
    if (room > 1) {
        L->dpath[L->dlen++] = '.';
        room--;
        size_t k = dseg_len < room ? dseg_len : room;
        memcpy(L->dpath + L->dlen, dseg, k);
        L->dlen += k;
        L->dpath[L->dlen] = '\0';
    }
    return m;
}

static void pop(loader *L, mark m)
{
    L->tlen = m.tlen;
    L->tpath[L->tlen] = '\0';
    L->tover = m.tover;
    L->dlen = m.dlen;
    L->dpath[L->dlen] = '\0';
}

/* ---- table lookups -------------------------------------------------------- */

static const keydef *row_by_path(const char *path)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].path, path) == 0)
            return &keys[i];
    return NULL;
}

/* The row for the current table path: exact, else its section's ".*" row. */
static const keydef *row_here(loader *L)
{
    if (L->tover)
        return NULL;
    const keydef *r = row_by_path(L->tpath);
    if (r)
        return r;
    const char *dot = strrchr(L->tpath, '.');
    if (!dot || strncmp(L->tpath, "properties.", 11) == 0)
        return NULL;
    char wild[sizeof L->tpath + 2];
    snprintf(wild, sizeof wild, "%.*s.*", (int)(dot - L->tpath), L->tpath);
    return row_by_path(wild);
}

/* Is `r` a key directly inside the section at `parent` ("" for the top)? */
static bool is_child(const keydef *r, const char *parent)
{
    size_t pl = strlen(parent);
    const char *rest = r->path;
    if (pl) {
        if (strncmp(r->path, parent, pl) != 0 || r->path[pl] != '.')
            return false;
        rest = r->path + pl + 1;
    }
    if (strcmp(parent, "properties") == 0)
        return true;
    return strchr(rest, '.') == NULL;
}

static const char *leaf(const keydef *r, const char *parent)
{
    return parent[0] ? r->path + strlen(parent) + 1 : r->path;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

/* The known key of section `parent` closest to `name`, for "did you mean". */
static const char *suggest(const char *parent, const char *name)
{
    const char *best = NULL;
    size_t len = strlen(name);
    size_t best_d = (len <= 4 ? 1 : len <= 8 ? 2 : 3) + 1;   /* accept up to 1, 2 or 3 edits */
    for (size_t i = 0; i < N_KEYS; i++) {
        const keydef *r = &keys[i];
        if (!is_child(r, parent) || strchr(leaf(r, parent), '*') || strchr(leaf(r, parent), '<'))
            continue;
        size_t d = edit_distance(name, leaf(r, parent));
        if (d < best_d) {
            best_d = d;
            best = leaf(r, parent);
        }
    }
    return best;
}

/* Does row r, or any row below it, fill a field of the model? */
static bool does_something(const keydef *r)
{
    size_t pl = strlen(r->path);
    for (size_t i = 0; i < N_KEYS; i++) {
        const keydef *k = &keys[i];
        if (strncmp(k->path, r->path, pl) != 0 || (k->path[pl] != '\0' && k->path[pl] != '.'))
            continue;
        if (k->scope != S_NONE || k->kind == K_MEMBERS || k->kind == K_NAMED || k->kind == K_PROPS)
            return true;
    }
    return false;
}

/* "a, b, c": the keys of a section that do something, for a message about
 * a scalar written where the section belongs. */
static void list_children(const char *parent, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_KEYS && n + 1 < outlen; i++) {
        const keydef *r = &keys[i];
        if (!is_child(r, parent) || r->kind == K_ALIAS || strchr(leaf(r, parent), '*') ||
            strchr(leaf(r, parent), '<') || !does_something(r))
            continue;
        int w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", leaf(r, parent));
        if (w < 0 || (size_t)w >= outlen - n) {
            out[n] = '\0';
            break;
        }
        n += (size_t)w;
    }
}

static void list_names(const enum_name *names, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (const enum_name *e = names; e->name; e++) {
        int w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", e->name);
        if (w < 0 || (size_t)w >= outlen - n)
            break;
        n += (size_t)w;
    }
}

/* ---- scalar parsing --------------------------------------------------------- */

static const char *kind_name(const mg_ynode *n)
{
    switch (n->kind) {
    case MG_YMAP: return "a mapping";
    case MG_YSEQ: return "a sequence";
    case MG_YNULL: return "nothing";
    default: return "a value";
    }
}

static const char *expected(const keydef *r)
{
    switch (r->kind) {
    case K_INT: return "an integer";
    case K_BYTES: return "a size in bytes such as 512m";
    case K_BOOL: return "true or false";
    case K_HOST: return "a host name or address";
    default: return "text";
    }
}

/* Strict decimal integer, surrounding spaces allowed (quoted values keep
 * them, and Hazelcast trims).  *end gets the first unparsed character. */
static bool parse_i64(const char *s, int64_t *out, const char **end, bool *overflow)
{
    *overflow = false;
    while (*s == ' ')
        s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10) {
            *overflow = true;
            v = lim;
        } else {
            v = v * 10 + d;
        }
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    *end = s;
    return true;
}

static bool only_spaces(const char *s)
{
    while (*s == ' ')
        s++;
    return *s == '\0';
}

/* "512m", "64MiB", "1g", "4096": powers of 1024, as memory is counted. */
static bool parse_bytes(const char *s, int64_t *out, bool *overflow)
{
    const char *end;
    if (!parse_i64(s, out, &end, overflow))
        return false;
    static const struct { const char *suffix; int shift; } units[] = {
        {"", 0}, {"b", 0}, {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20}, {"mb", 20}, {"mib", 20},
        {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40}, {"tb", 40}, {"tib", 40},
    };
    char unit[8];
    size_t n = 0;
    while (*end && *end != ' ' && n + 1 < sizeof unit)
        unit[n++] = *end++;
    unit[n] = '\0';
    if (!only_spaces(end))
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(unit, units[i].suffix) == 0) {
            int shift = units[i].shift;
            if (shift && (*out > (INT64_MAX >> shift) || *out < (INT64_MIN >> shift))) {
                *overflow = true;   /* saturate, so the caller can tell too big from too small */
                *out = *out < 0 ? INT64_MIN : INT64_MAX;
            } else {
                *out = (int64_t)((uint64_t)*out << shift);
            }
            return true;
        }
    }
    return false;
}

static void store_int(void *base, const keydef *r, int64_t v)
{
    if (!base || r->scope == S_NONE)
        return;
    char *p = (char *)base + r->off;
    if (r->size == sizeof(int64_t)) {
        memcpy(p, &v, sizeof(int64_t));
    } else if (r->size == sizeof(int32_t)) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, sizeof x);
    } else if (r->size == sizeof(bool)) {
        bool b = v != 0;
        memcpy(p, &b, sizeof b);
    }
}

static int64_t load_int(const void *base, const keydef *r)
{
    const char *p = (const char *)base + r->off;
    if (r->size == sizeof(int64_t)) {
        int64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    if (r->size == sizeof(int32_t)) {
        int32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    bool b;
    memcpy(&b, p, sizeof b);
    return b;
}

static void store_str(void *base, const keydef *r, const char *s, size_t len)
{
    if (!base || r->scope == S_NONE)
        return;
    char **slot = (char **)((char *)base + r->off);
    free(*slot);
    *slot = s ? mg_xstrndup(s, len) : NULL;
}

/* "must be >= 0, got -5" when the key has no practical upper bound, else
 * "must be between 0 and 6, got 7"; the row's help comes last. */
static void bounds_error(loader *L, const keydef *r, int line, const char *text, int64_t v)
{
    char help[160] = "";
    if (r->help)
        snprintf(help, sizeof help, " (%s)", r->help);
    bool open_top = r->max >= I32MAX;
    if (open_top && v < r->min)
        say(L, true, line, "must be >= %lld, got %s%s", (long long)r->min, text, help);
    else if (open_top)
        say(L, true, line, "must be <= %lld, got %s%s", (long long)r->max, text, help);
    else
        say(L, true, line, "must be between %lld and %lld, got %s%s", (long long)r->min, (long long)r->max, text,
            help);
}

/* What a row wants, for "expected ..., got ..." messages. */
static void expected_text(const keydef *r, char *out, size_t outlen)
{
    if (r->kind == K_ENUM) {
        char names[400];
        list_names(r->names, names, sizeof names);
        snprintf(out, outlen, "one of %s", names);
    } else {
        snprintf(out, outlen, "%s", expected(r));
    }
}

static void set_member(loader *L, int line, const char *text, size_t len);

/* Applies one scalar to row r.  Returns false (after reporting) when the
 * text does not fit. */
static bool set_scalar(loader *L, const keydef *r, int line, const char *s, size_t len, void *base)
{
    if (strlen(s) != len) {
        say(L, true, line, "contains a NUL character");
        return false;
    }
    bool has_placeholder = strstr(s, "${") || strstr(s, "$ENC{");
    const char *hint = has_placeholder ? "; memgrid does not replace ${...} placeholders" : "";
    switch (r->kind) {
    case K_INT:
    case K_BYTES: {
        int64_t v;
        const char *end = s;
        bool over = false;
        bool ok = r->kind == K_INT ? parse_i64(s, &v, &end, &over) && only_spaces(end) : parse_bytes(s, &v, &over);
        if (!ok) {
            say(L, true, line, "expected %s, got '%s'%s", expected(r), s, hint);
            return false;
        }
        if (over || v < r->min || v > r->max) {
            bounds_error(L, r, line, s, v);
            return false;
        }
        if (v == 0 && (r->flags & F_ZERO_IS_MAX))
            v = r->max;
        store_int(base, r, v);
        return true;
    }
    case K_BOOL: {
        /* Hazelcast reads anything but "true" as false; a typo here would
         * silently disable a feature, so anything else is an error. */
        bool v;
        if (strcasecmp(s, "true") == 0)
            v = true;
        else if (strcasecmp(s, "false") == 0)
            v = false;
        else {
            say(L, true, line, "expected true or false, got '%s'%s", s, hint);
            return false;
        }
        if (v && (r->flags & F_ERR_IF_TRUE))
            say(L, true, line, "%s", r->help);
        else if (v && (r->flags & F_WARN_IF_TRUE))
            say(L, false, line, "%s", r->help);
        store_int(base, r, v);
        return true;
    }
    case K_ENUM: {
        for (const enum_name *e = r->names; e->name; e++) {
            if (strcasecmp(s, e->name) == 0) {
                store_int(base, r, e->value);
                return true;
            }
        }
        char valid[512];
        list_names(r->names, valid, sizeof valid);
        say(L, true, line, "unknown value '%s'; valid values: %s", s, valid);
        return false;
    }
    case K_STR:
        if (r->min > 0 && len == 0) {
            say(L, true, line, "must not be empty");
            return false;
        }
        if (has_placeholder)
            say(L, false, line, "'%s' is used as written: memgrid does not replace ${...} placeholders", s);
        store_str(base, r, s, len);
        return true;
    case K_HOST: {
        mg_member_addr a;
        const char *why = NULL;
        int n = mg_config_member_addrs(s, 0, &a, 1, &why);
        if (n != 1 || a.port_lo != a.port_hi) {
            say(L, true, line, "expected a host or host:port, got '%s'%s%s", s, why ? ": " : "", why ? why : "");
            return false;
        }
        store_str(base, r, a.host, strlen(a.host));
        return true;
    }
    case K_MEMBERS:
        set_member(L, line, s, len);
        return true;
    default:
        return true;
    }
}

/* ---- member lists ------------------------------------------------------------ */

static bool is_sep(char ch)
{
    return ch == ',' || ch == ';' || ch == ' ' || ch == '\t';
}

/* Checks one text of member addresses and appends each address to the list,
 * so that member_list holds exactly one address (or range) per entry. */
static void set_member(loader *L, int line, const char *text, size_t len)
{
    const char *why = NULL;
    if (mg_config_member_addrs(text, 5701, NULL, 0, &why) < 0) {
        say(L, true, line, "'%s' is not a member address (%s); write host, host:port or host:5701-5703", text, why);
        return;
    }
    mg_config *c = L->c;
    for (size_t i = 0; i < len;) {
        while (i < len && is_sep(text[i]))
            i++;
        size_t j = i;
        while (j < len && !is_sep(text[j]))
            j++;
        if (j > i) {
            c->join.member_list = mg_xrealloc(c->join.member_list, (c->join.n_members + 1) * sizeof(char *));
            c->join.member_list[c->join.n_members++] = mg_xstrndup(text + i, j - i);
        }
        i = j;
    }
}

static bool parse_port(const char *s, size_t n, int *out)
{
    if (n == 0 || n > 5)
        return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *out = v;
    return true;
}

static bool host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '.' || ch == '_';
}

static bool v6_char(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || ch == ':' ||
           ch == '.' || ch == '%' || host_char(ch);
}

/* "a.b.c.lo-hi" or "a.b.c.*" (Hazelcast's IPv4 ranges): fills lo/hi and the
 * prefix length ("a.b.c.") and returns 1; returns 0 if the host is not
 * written as a range, -1 if it is one written wrong ("10.0.0.7-3"), which
 * must not slip through as a host name. */
static int ipv4_range(const char *h, size_t n, size_t *prefix, int *lo, int *hi)
{
    int dots = 0;
    size_t last = 0;
    bool marks = false;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == '.') {
            dots++;
            last = i + 1;
        } else if (h[i] == '-' || h[i] == '*') {
            marks = true;
        } else if (h[i] < '0' || h[i] > '9') {
            return 0;
        }
    }
    if (!marks)
        return 0;
    if (dots != 3 || last == n)
        return -1;
    const char *t = h + last;
    size_t tn = n - last;
    if (tn == 1 && t[0] == '*') {
        *lo = 0;
        *hi = 255;
    } else {
        const char *dash = memchr(t, '-', tn);
        if (!dash || memchr(h, '-', last) || memchr(h, '*', n))
            return -1;
        int a = 0, b = 0;
        size_t an = (size_t)(dash - t), bn = tn - an - 1;
        if (an == 0 || bn == 0 || an > 3 || bn > 3)
            return -1;
        for (size_t i = 0; i < an; i++) {
            if (t[i] < '0' || t[i] > '9')
                return -1;
            a = a * 10 + (t[i] - '0');
        }
        for (size_t i = 0; i < bn; i++) {
            if (dash[1 + i] < '0' || dash[1 + i] > '9')
                return -1;
            b = b * 10 + (dash[1 + i] - '0');
        }
        if (a > b || b > 255)
            return -1;
        *lo = a;
        *hi = b;
    }
    if (memchr(h, '*', last) || memchr(h, '-', last))
        return -1;
    *prefix = last;
    return 1;
}

/* One address without separators.  Returns the number of addresses (IPv4
 * ranges expand), writing those that fit into out[0..max). */
static int one_member(const char *s, size_t n, int default_port, mg_member_addr *out, size_t max, const char **why)
{
    const char *host = s, *port = NULL;
    size_t hn = n, pn = 0;

    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) {
            *why = "missing ']' after an IPv6 address";
            return -1;
        }
        host = s + 1;
        hn = (size_t)(close - s) - 1;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest) {
            if (close[1] != ':') {
                *why = "expected ':port' after ']'";
                return -1;
            }
            port = close + 2;
            pn = rest - 1;
        }
        for (size_t i = 0; i < hn; i++)
            if (!v6_char(host[i])) {
                *why = "bad character in an IPv6 address";
                return -1;
            }
    } else {
        const char *colon = memchr(s, ':', n);
        bool v6 = colon && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL;
        if (v6) {
            /* Several colons and no brackets: an IPv6 literal without port. */
            for (size_t i = 0; i < n; i++)
                if (!v6_char(s[i])) {
                    *why = "bad character in an IPv6 address";
                    return -1;
                }
        } else {
            if (colon) {
                hn = (size_t)(colon - s);
                port = colon + 1;
                pn = n - hn - 1;
            }
            for (size_t i = 0; i < hn; i++)
                if (!host_char(host[i]) && host[i] != '*') {
                    *why = "a host name has letters, digits, '-', '.' and '_' only";
                    return -1;
                }
        }
    }
    if (hn == 0) {
        *why = "empty host";
        return -1;
    }
    if (hn >= sizeof out->host) {
        *why = "host name longer than 255 characters";
        return -1;
    }

    int plo = default_port, phi = default_port;
    bool given = false;
    if (port) {
        const char *dash = memchr(port, '-', pn);
        size_t an = dash ? (size_t)(dash - port) : pn;
        if (!parse_port(port, an, &plo) || (dash && !parse_port(dash + 1, pn - an - 1, &phi)) ||
            (dash && phi < plo)) {
            *why = "a port is 1..65535, a port range lo-hi with lo <= hi";
            return -1;
        }
        if (!dash)
            phi = plo;
        given = true;
    }

    size_t prefix = 0;
    int lo = 0, hi = 0;
    int r = host == s ? ipv4_range(host, hn, &prefix, &lo, &hi) : 0;
    if (r < 0) {
        *why = "an IPv4 range varies the last number only: 192.168.1.0-7 or 192.168.1.*";
        return -1;
    }
    bool range = r == 1;
    if (!range && memchr(host, '*', hn)) {
        *why = "'*' is allowed only as the last part of an IPv4 address (192.168.1.*)";
        return -1;
    }
    int count = range ? hi - lo + 1 : 1;
    for (int k = 0; k < count && (size_t)k < max; k++) {
        mg_member_addr *a = &out[k];
        if (range)
            snprintf(a->host, sizeof a->host, "%.*s%d", (int)prefix, host, lo + k);
        else
            snprintf(a->host, sizeof a->host, "%.*s", (int)hn, host);
        a->port_lo = plo;
        a->port_hi = phi;
        a->port_given = given;
    }
    return count;
}

int mg_config_member_addrs(const char *entry, int default_port, mg_member_addr *out, size_t max, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *why = NULL;
    size_t total = 0, n = strlen(entry);
    for (size_t i = 0; i < n;) {
        while (i < n && is_sep(entry[i]))
            i++;
        size_t j = i;
        while (j < n && !is_sep(entry[j]))
            j++;
        if (j > i) {
            int k = one_member(entry + i, j - i, default_port, total < max ? out + total : NULL,
                               total < max ? max - total : 0, why);
            if (k < 0)
                return -1;
            total += (size_t)k;
        }
        i = j;
    }
    if (total == 0) {
        *why = "no address";
        return -1;
    }
    return total > INT_MAX ? INT_MAX : (int)total;
}

/* ---- the walk ------------------------------------------------------------------ */

static void walk_value(loader *L, const keydef *r, const mg_ynode *key, const mg_ynode *val);
static void walk_section(loader *L, const mg_ynode *map);

static bool visit(loader *L, int line)
{
    if (L->stop)
        return false;
    if (++L->visits > MAX_VISITS) {
        L->stop = true;
        say(L, true, line, "the file names more than %d keys (through aliases?); stopped reading", MAX_VISITS);
        return false;
    }
    return true;
}

static void unknown_key(loader *L, const char *parent, const mg_ynode *key)
{
    const char *near = suggest(parent, key->str);
    if (near)
        say(L, false, key->line, "unknown key, ignored; did you mean '%s'?", near);
    else
        say(L, false, key->line, "unknown key, ignored");
}

static void walk_section(loader *L, const mg_ynode *map)
{
    for (size_t i = 0; i + 1 < map->n_kids && !L->stop; i += 2) {
        const mg_ynode *k = map->kids[i], *v = map->kids[i + 1];
        if (!visit(L, k->line))
            return;
        char parent[sizeof L->tpath];
        memcpy(parent, L->tpath, L->tlen + 1);
        bool parent_over = L->tover;
        mark m = push(L, k->str, k->str, strlen(k->str));
        const keydef *r = row_here(L);
        if (r)
            walk_value(L, r, k, v);
        else
            unknown_key(L, parent_over ? "" : parent, k);
        pop(L, m);
    }
}

static mg_map_config *get_map(loader *L, const char *name, int line);
static void check_map(loader *L, mg_map_config *m, int line);

static void walk_maps(loader *L, const mg_ynode *map)
{
    for (size_t i = 0; i + 1 < map->n_kids && !L->stop; i += 2) {
        const mg_ynode *k = map->kids[i], *v = map->kids[i + 1];
        if (!visit(L, k->line))
            return;
        mark m = push(L, "<name>", k->str, strlen(k->str));
        const char *star = strchr(k->str, '*');
        if (k->len == 0 || strlen(k->str) != k->len)
            say(L, true, k->line, "a map name must be non-empty text");
        else if (star && strchr(star + 1, '*'))
            say(L, true, k->line, "a map name pattern may contain at most one '*'");
        else {
            L->map = get_map(L, k->str, k->line);
            for (size_t j = 0; j < N_KEYS; j++)
                if (keys[j].scope == S_MAP)
                    L->row_line[j] = 0;
            walk_value(L, row_here(L), k, v);
            check_map(L, L->map, k->line);
            L->map = NULL;
        }
        pop(L, m);
    }
}

static void walk_props(loader *L, const mg_ynode *map)
{
    for (size_t i = 0; i + 1 < map->n_kids && !L->stop; i += 2) {
        const mg_ynode *k = map->kids[i], *v = map->kids[i + 1];
        if (!visit(L, k->line))
            return;
        mark m = push(L, k->str, k->str, strlen(k->str));
        const keydef *r = row_here(L);
        if (r) {
            walk_value(L, r, k, v);
        } else if (strncmp(k->str, "hazelcast.", 10) == 0 && !suggest("properties", k->str)) {
            say(L, false, k->line, "a Hazelcast property memgrid does not use; ignored");
        } else {
            unknown_key(L, "properties", k);
        }
        pop(L, m);
    }
}

static void alias_warning(loader *L, const keydef *r, int line)
{
    /* Name the new key as the user would write it: with the map's name. */
    char now[512];
    const char *to = r->to;
    const char *slot = strstr(to, "<name>");
    if (slot && L->map)
        snprintf(now, sizeof now, "hazelcast.%.*s%s%s", (int)(slot - to), to, L->map->name, slot + 6);
    else
        snprintf(now, sizeof now, "hazelcast.%s", to);
    say(L, false, line, "deprecated (Hazelcast 3.x spelling); use %s", now);
}

static void walk_value(loader *L, const keydef *r, const mg_ynode *key, const mg_ynode *val)
{
    int line = key->line;
    void *base = r->scope == S_CFG ? (void *)L->c : r->scope == S_MAP ? (void *)L->map : NULL;

    switch (r->kind) {
    case K_IGNORED:
        return;
    case K_UNSUPPORTED:
        say(L, false, line, "%s", r->help);
        return;
    case K_REFUSED:
        say(L, true, line, "%s", r->help);
        return;
    case K_ALIAS: {
        alias_warning(L, r, line);
        const keydef *t = row_by_path(r->to);
        if (t)
            walk_value(L, t, key, val);
        return;
    }
    case K_SECTION:
    case K_NAMED:
    case K_PROPS:
        if (val->kind == MG_YNULL)
            return;
        if (val->kind == MG_YMAP) {
            if (r->kind == K_NAMED)
                walk_maps(L, val);
            else if (r->kind == K_PROPS)
                walk_props(L, val);
            else
                walk_section(L, val);
            return;
        }
        if (r->kind == K_SECTION && r->to && val->kind == MG_YSCALAR) {
            walk_value(L, row_by_path(r->to), key, val);
            return;
        }
        if (r->kind == K_SECTION) {
            char kids[300], got[160];
            list_children(r->path, kids, sizeof kids);
            if (val->kind == MG_YSCALAR)
                snprintf(got, sizeof got, "'%.100s'", val->str);
            else
                snprintf(got, sizeof got, "%s", kind_name(val));
            if (kids[0])
                say(L, true, line, "expected a mapping with keys %s; got %s", kids, got);
            else
                say(L, true, line, "expected a mapping, got %s", got);
        } else {
            say(L, true, line, "expected a mapping of %s, got %s", r->kind == K_NAMED ? "names" : "property names",
                kind_name(val));
        }
        return;
    case K_MEMBERS:
        if (val->kind == MG_YNULL)
            return;
        if (val->kind == MG_YSEQ) {
            for (size_t i = 0; i < val->n_kids && !L->stop; i++) {
                const mg_ynode *it = val->kids[i];
                if (!visit(L, it->line))
                    return;
                if (it->kind == MG_YSCALAR)
                    set_member(L, it->line, it->str, it->len);
                else if (it->kind != MG_YNULL)
                    say(L, true, it->line, "expected a member address, got %s", kind_name(it));
            }
        } else if (val->kind == MG_YSCALAR) {
            set_member(L, line, val->str, val->len);
        } else {
            say(L, true, line, "expected a list of member addresses, got %s", kind_name(val));
        }
        L->row_line[r - keys] = line;
        return;
    default:
        break;
    }

    /* Scalars. */
    if (val->kind != MG_YSCALAR) {
        char want[500];
        expected_text(r, want, sizeof want);
        if (val->kind == MG_YNULL)
            say(L, true, line, "has no value; expected %s", want);
        else
            say(L, true, line, "expected %s, got %s", want, kind_name(val));
        return;
    }
    if (set_scalar(L, r, line, val->str, val->len, base))
        L->row_line[r - keys] = line;
}

/* ---- maps ------------------------------------------------------------------------ */

static void apply_defaults(void *base, int scope);

static void map_init(mg_map_config *m, const char *name, int line)
{
    memset(m, 0, sizeof *m);
    apply_defaults(m, S_MAP);
    m->name = mg_xstrndup(name, strlen(name));
    m->line = line;
}

/* Like Hazelcast, a named map section starts from the built-in defaults,
 * not from map.default: `sessions:` in the article gets TTL 1800 and no
 * eviction, not default's LRU. */
static mg_map_config *get_map(loader *L, const char *name, int line)
{
    mg_config *c = L->c;
    if (strcmp(name, "default") == 0) {
        c->default_map.line = line;
        return &c->default_map;
    }
    for (size_t i = 0; i < c->n_maps; i++) {
        if (strcmp(c->maps[i].name, name) == 0) {
            c->maps[i].line = line;
            return &c->maps[i];
        }
    }
    c->maps = mg_xrealloc(c->maps, (c->n_maps + 1) * sizeof *c->maps);
    map_init(&c->maps[c->n_maps], name, line);
    return &c->maps[c->n_maps++];
}

static int row_line(loader *L, const char *path, int fallback)
{
    const keydef *r = row_by_path(path);
    int line = r ? L->row_line[r - keys] : 0;
    return line ? line : fallback;
}

/* Rules across keys of one map section, checked when the section is read. */
static void check_map(loader *L, mg_map_config *m, int line)
{
    if (m->backup_count + m->async_backup_count > MG_CONFIG_MAX_BACKUPS) {
        int at = row_line(L, "map.<name>.async-backup-count", row_line(L, "map.<name>.backup-count", line));
        say(L, true, at, "backup-count + async-backup-count must be <= %d, got %d + %d", MG_CONFIG_MAX_BACKUPS,
            m->backup_count, m->async_backup_count);
    }
    bool percent = m->max_size_policy == MG_SIZE_USED_HEAP_PERCENTAGE ||
                   m->max_size_policy == MG_SIZE_FREE_HEAP_PERCENTAGE;
    int size_line = row_line(L, "map.<name>.eviction.size", 0);
    if (percent && m->size > 100 && size_line)
        say(L, true, size_line, "eviction.size is a percentage with this max-size-policy: must be 0..100, got %d",
            (int)m->size);
    if (m->eviction_policy == MG_EVICT_NONE && size_line && m->size != INT32_MAX)
        say(L, false, size_line,
            "eviction.size has no effect while eviction-policy is NONE (the map grows without limit); "
            "set eviction-policy to LRU, LFU or RANDOM");
}

/* Rules across the whole file. */
static void check_config(loader *L)
{
    mg_config *c = L->c;
    static const struct { const char *name, *row; } methods[] = {
        {"multicast", "network.join.multicast.enabled"},
        {"tcp-ip", "network.join.tcp-ip.enabled"},
        {"kubernetes", "network.join.kubernetes.enabled"},
    };
    bool on[3] = {c->join.multicast_enabled, c->join.tcp_ip_enabled, c->join.kubernetes_enabled};
    int n_on = 0, last = 0;
    for (int i = 0; i < 3; i++)
        n_on += on[i];
    char names[64] = "";
    for (int i = 0, k = 0; i < 3; i++) {
        if (!on[i])
            continue;
        k++;
        int l = row_line(L, methods[i].row, 0);
        last = l > last ? l : last;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", k == 1 ? "" : k == n_on ? " and " : ", ",
                 methods[i].name);
    }
    snprintf(L->dpath, sizeof L->dpath, "hazelcast.network.join");
    L->dlen = strlen(L->dpath);
    if (n_on > 1)
        say(L, true, last, "%s are %s enabled; Hazelcast and memgrid allow one discovery method", names,
            n_on == 2 ? "both" : "all");
    if (c->join.tcp_ip_enabled && c->join.n_members == 0)
        say(L, false, row_line(L, "network.join.tcp-ip.enabled", 0),
            "tcp-ip is enabled with an empty member-list; this member will form a cluster of its own");
    struct in_addr group;
    if (c->join.multicast_enabled &&
        (inet_pton(AF_INET, c->join.multicast_group, &group) != 1 || (ntohl(group.s_addr) >> 28) != 0xE))
        say(L, true, row_line(L, "network.join.multicast.multicast-group", 0),
            "multicast-group must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got '%s'",
            c->join.multicast_group);
    if (c->join.multicast_enabled && strlen(c->cluster_name) > MG_CFG_MULTICAST_NAME_MAX)
        say(L, true, row_line(L, "cluster-name", 0),
            "multicast discovery carries the cluster name in a datagram: at most %d bytes, got %zu",
            MG_CFG_MULTICAST_NAME_MAX, strlen(c->cluster_name));
    if (c->join.kubernetes_enabled && c->join.k8s_service_dns && c->join.k8s_service_name)
        say(L, true, row_line(L, "network.join.kubernetes.service-dns", 0),
            "kubernetes: set service-dns or service-name, not both");
    if (c->join.kubernetes_enabled && !c->join.k8s_service_dns && !c->join.k8s_service_name)
        say(L, true, row_line(L, "network.join.kubernetes.enabled", 0),
            "kubernetes discovery needs service-dns (a headless service's DNS name) or service-name");

    snprintf(L->dpath, sizeof L->dpath, "hazelcast.properties.hazelcast.max.no.heartbeat.seconds");
    L->dlen = strlen(L->dpath);
    int max_line = row_line(L, "properties.hazelcast.max.no.heartbeat.seconds", 0);
    if (c->max_no_heartbeat_seconds <= c->heartbeat_interval_seconds)
        say(L, true, max_line ? max_line : row_line(L, "properties.hazelcast.heartbeat.interval.seconds", 0),
            "must be greater than hazelcast.heartbeat.interval.seconds (%d), got %d%s", c->heartbeat_interval_seconds,
            c->max_no_heartbeat_seconds, max_line ? "" : " (memgrid's default; set it too)");
}

/* ---- defaults, loading, freeing --------------------------------------------------- */

/* Table defaults go through the same parser as the file: a default that does
 * not parse is a bug in this table, caught by the first test that runs. */
static void bad_default(void *ctx, bool is_error, const char *file, int line, const char *msg)
{
    (void)ctx, (void)is_error, (void)file, (void)line;
    fprintf(stderr, "memgrid: bad built-in config default: %s\n", msg);
    abort();
}

static void apply_defaults(void *base, int scope)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.report = bad_default;
    L.file = "built-in";
    L.c = scope == S_CFG ? base : NULL;
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].scope == scope && keys[i].dflt)
            set_scalar(&L, &keys[i], 0, keys[i].dflt, strlen(keys[i].dflt), base);
}

void mg_config_defaults(mg_config *c)
{
    memset(c, 0, sizeof *c);
    apply_defaults(c, S_CFG);
    map_init(&c->default_map, "default", 0);
}

static void map_free(mg_map_config *m)
{
    free(m->name);
    m->name = NULL;
}

void mg_config_free(mg_config *c)
{
    /* Two rows may share one field; each is freed once and cleared. */
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].scope == S_CFG && (keys[i].kind == K_STR || keys[i].kind == K_HOST)) {
            char **slot = (char **)((char *)c + keys[i].off);
            free(*slot);
            *slot = NULL;
        }
    }
    for (size_t i = 0; i < c->join.n_members; i++)
        free(c->join.member_list[i]);
    free(c->join.member_list);
    map_free(&c->default_map);
    for (size_t i = 0; i < c->n_maps; i++)
        map_free(&c->maps[i]);
    free(c->maps);
    free(c->source_path);
    memset(c, 0, sizeof *c);
}

int mg_config_load_string(mg_config *c, const char *yaml, size_t len, const char *name, mg_config_report_fn report,
                          void *ctx)
{
    loader *L = mg_xcalloc(1, sizeof *L);   /* row_line makes it too big for a fuzzer's stack frame budget */
    L->c = c;
    L->file = name ? name : "<string>";
    L->report = report ? report : default_report;
    L->ctx = ctx;

    mg_ydoc doc;
    char err[512];
    int line, col;
    if (mg_yaml_parse(yaml, len, &doc, err, sizeof err, &line, &col) != 0) {
        L->report(ctx, true, L->file, line, err);
        free(L);
        return MG_CONFIG_INVALID;
    }

    const mg_ynode *root = doc.root, *hz = NULL;
    int hz_line = 0;
    if (root && root->kind == MG_YMAP) {
        for (size_t i = 0; i + 1 < root->n_kids; i += 2) {
            const mg_ynode *k = root->kids[i];
            if (strcmp(k->str, "hazelcast") == 0) {
                hz = root->kids[i + 1];
                hz_line = k->line;
            } else if (strcmp(k->str, "hazelcast-client") == 0) {
                say(L, true, k->line, "this is a client configuration (hazelcast-client:); a member reads "
                                      "'hazelcast:'");
            } else {
                char msg[300];
                snprintf(msg, sizeof msg, "%.200s: unknown top-level key, ignored; a member configuration lives "
                         "under 'hazelcast:'", k->str);
                L->report(ctx, false, L->file, k->line, msg);
            }
        }
    }
    if (!hz && L->errors == 0) {
        say(L, true, root ? root->line : 0, "the file must start with 'hazelcast:'%s",
            root ? "" : " (the file is empty)");
    } else if (hz && hz->kind != MG_YMAP && hz->kind != MG_YNULL) {
        say(L, true, hz_line, "hazelcast: expected a mapping of settings, got %s", kind_name(hz));
    } else if (hz && hz->kind == MG_YMAP) {
        snprintf(L->dpath, sizeof L->dpath, "hazelcast");
        L->dlen = strlen(L->dpath);
        walk_section(L, hz);
    }
    if (L->errors == 0)
        check_config(L);

    int rc = L->errors ? MG_CONFIG_INVALID : 0;
    mg_yaml_free(&doc);
    free(L);
    return rc;
}

/* Larger than any configuration a person writes; the limit only keeps a
 * wrong path (a log file, /dev/zero) from being read into memory. */
#define MAX_FILE_BYTES (16u << 20)

int mg_config_load_file(mg_config *c, const char *path, mg_config_report_fn report, void *ctx)
{
    if (!report)
        report = default_report;
    char msg[600];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
        report(ctx, true, path, 0, msg);
        return MG_CONFIG_INVALID;
    }
    size_t cap = 4096, len = 0;
    char *buf = mg_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES)
                break;
            cap *= 2;
            buf = mg_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f) != 0, too_big = len >= MAX_FILE_BYTES;
    int saved = errno;
    fclose(f);
    if (failed || too_big) {
        if (too_big)
            snprintf(msg, sizeof msg, "larger than %u MiB; is this the right file?", MAX_FILE_BYTES >> 20);
        else
            snprintf(msg, sizeof msg, "cannot read: %s", strerror(saved));
        report(ctx, true, path, 0, msg);
        free(buf);
        return MG_CONFIG_INVALID;
    }
    free(c->source_path);
    c->source_path = mg_xstrndup(path, strlen(path));
    int rc = mg_config_load_string(c, buf, len, path, report, ctx);
    free(buf);
    return rc;
}

/* ---- dump ---------------------------------------------------------------------- */

static bool dumpable(const keydef *r)
{
    if (r->flags & F_NODUMP)
        return false;
    switch (r->kind) {
    case K_SECTION:
    case K_NAMED:
    case K_PROPS:
        return true;
    case K_MEMBERS:
        return strcmp(r->path, "network.join.tcp-ip.member-list") == 0;
    case K_INT: case K_BYTES: case K_BOOL: case K_STR: case K_ENUM: case K_HOST:
        return r->scope != S_NONE;
    default:
        return false;
    }
}

static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static bool has_content(const mg_config *c, const void *mbase, const keydef *r);

/* Whether the section row r has anything to print. */
static bool section_has_content(const mg_config *c, const void *mbase, const char *path)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (is_child(&keys[i], path) && dumpable(&keys[i]) && has_content(c, mbase, &keys[i]))
            return true;
    return false;
}

static bool has_content(const mg_config *c, const void *mbase, const keydef *r)
{
    if (r->kind == K_SECTION || r->kind == K_PROPS)
        return section_has_content(c, mbase, r->path);
    if (r->kind == K_NAMED)
        return true;
    if (r->kind == K_MEMBERS)
        return c->join.n_members > 0;
    const void *base = r->scope == S_MAP ? mbase : (const void *)c;
    if (!base)
        return false;
    if (r->kind == K_STR || r->kind == K_HOST)
        return *(char *const *)((const char *)base + r->off) != NULL;
    return true;
}

static void dump_section(FILE *out, const mg_config *c, const mg_map_config *m, const char *path, int indent);

static void dump_row(FILE *out, const mg_config *c, const mg_map_config *m, const keydef *r, const char *name,
                     int indent)
{
    const void *base = r->scope == S_MAP ? (const void *)m : (const void *)c;
    fprintf(out, "%*s%s:", indent, "", name);
    switch (r->kind) {
    case K_SECTION:
    case K_PROPS:
        fputc('\n', out);
        dump_section(out, c, m, r->path, indent + 2);
        return;
    case K_NAMED: {
        fputc('\n', out);
        const keydef *sec = row_by_path("map.<name>");
        for (size_t i = 0; i <= c->n_maps; i++) {
            const mg_map_config *mm = i == 0 ? &c->default_map : &c->maps[i - 1];
            fprintf(out, "%*s", indent + 2, "");
            put_quoted(out, mm->name);
            fputs(":\n", out);
            dump_section(out, c, mm, sec->path, indent + 4);
        }
        return;
    }
    case K_MEMBERS:
        fputc('\n', out);
        for (size_t i = 0; i < c->join.n_members; i++) {
            fprintf(out, "%*s- ", indent + 2, "");
            put_quoted(out, c->join.member_list[i]);
            fputc('\n', out);
        }
        return;
    case K_STR:
    case K_HOST:
        fputc(' ', out);
        put_quoted(out, *(char *const *)((const char *)base + r->off));
        break;
    case K_BOOL:
        fputs(load_int(base, r) ? " true" : " false", out);
        break;
    case K_ENUM: {
        int64_t v = load_int(base, r);
        const char *nm = "?";
        for (const enum_name *e = r->names; e->name; e++)
            if (e->value == v) {
                nm = e->name;
                break;
            }
        fprintf(out, " %s", nm);
        break;
    }
    default:
        fprintf(out, " %lld", (long long)load_int(base, r));
        break;
    }
    fputc('\n', out);
}

static void dump_section(FILE *out, const mg_config *c, const mg_map_config *m, const char *path, int indent)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const keydef *r = &keys[i];
        if (!is_child(r, path) || !dumpable(r) || !has_content(c, m, r))
            continue;
        dump_row(out, c, m, r, leaf(r, path), indent);
    }
}

static uint64_t hash_map(uint64_t h, const mg_map_config *m)
{
    /* Text, not struct bytes: padding and field order never leak in. */
    char row[160];
    int n = snprintf(row, sizeof row, "|%d|%d|%d|%d|%d|%d|%d|%d;", m->backup_count, m->async_backup_count,
                     m->time_to_live_seconds, m->max_idle_seconds, (int)m->eviction_policy,
                     (int)m->max_size_policy, (int)m->size, (int)m->per_entry_stats_enabled);
    h = mg_fnv1a(h, m->name, strlen(m->name) + 1);
    return mg_fnv1a(h, row, (size_t)n);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const mg_map_config *const *)a)->name, (*(const mg_map_config *const *)b)->name);
}

uint64_t mg_config_shared_hash(const mg_config *c)
{
    uint64_t h = hash_map(MG_FNV1A_INIT, &c->default_map);
    const mg_map_config **sorted = mg_xmalloc((c->n_maps + 1) * sizeof *sorted);
    for (size_t i = 0; i < c->n_maps; i++)
        sorted[i] = &c->maps[i];
    qsort(sorted, c->n_maps, sizeof *sorted, by_name);
    for (size_t i = 0; i < c->n_maps; i++)
        h = hash_map(h, sorted[i]);
    free(sorted);
    return h ? h : 1;
}

void mg_config_dump(const mg_config *c, FILE *out)
{
    fprintf(out, "# effective memgrid configuration%s%s\n", c->source_path ? " from " : " (built-in defaults)",
            c->source_path ? c->source_path : "");
    fprintf(out, "# settings members must share (map sections): digest %016llx\n",
            (unsigned long long)mg_config_shared_hash(c));
    fputs("hazelcast:\n", out);
    dump_section(out, c, NULL, "", 2);
}
