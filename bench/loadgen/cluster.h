/* cluster.h - the client's view of the cluster and smart routing.
 *
 * Start-up, as the official smart clients do it (client-protocol.md 9):
 *   1. connect + authenticate to the seed address;
 *   2. on that connection register the cluster-view listener, which makes
 *      the member push MembersView and PartitionsView events, and create
 *      the map's proxy;
 *   3. open conns_per_member connections to every member in the view
 *      (the seed connection counts for its member);
 *   4. route every keyed request to a connection of the partition's owner
 *      (the least loaded one), falling back to the seed member while the
 *      owner is unknown.
 * A member that joins during the run gets its connections then; if one is
 * refused before it authenticates (a joining Hazelcast member answers the
 * authentication with an error until it has started), it is opened again
 * after a pause, as the official clients do, and that member's partitions
 * go through the seed meanwhile.  Any other closed connection breaks the
 * run.
 * Ready = every connection authenticated, the member list and the proxy
 * known, and the partition table known or a short grace time passed (a
 * fresh Hazelcast member assigns partitions only when first asked; the
 * client asks with TriggerPartitionAssignment and does not wait forever).
 *
 * With a peer's protocol (Redis, memcached) the "cluster" is the one server
 * at host:port: conns_per_member connections to it, ready once all are
 * connected, every request on the least loaded one.
 *
 * Owner: the driver thread whose loop it runs on.
 */
#ifndef BENCH_CLUSTER_H
#define BENCH_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "conn.h"

#define BCL_MAX_MEMBERS 64

typedef struct bcluster bcluster;

typedef struct bcluster_cbs {
    void (*on_ready)(bcluster *cl);
    /* An answer to a data request (correlation id without BCONN_CTRL). */
    void (*on_response)(bcluster *cl, bconn *c, const uint8_t *msg, size_t len, int64_t now);
    /* A peer protocol's answer to the data request with id corr. */
    void (*on_kv_response)(bcluster *cl, bconn *c, int64_t corr, const bkv_answer *a, int64_t now);
    /* A connection failed or closed while not asked to: the run is broken. */
    void (*on_failed)(bcluster *cl, const char *why);
    /* Every connection closed after bcluster_close. */
    void (*on_closed)(bcluster *cl);
} bcluster_cbs;

typedef struct bmember {
    mg_uuid uuid;
    char host[64];
    int port;
    bconn *conns[64];        /* conns_per_member at most */
    int nconns, nready;
    int retries;             /* connections of this member refused before authenticating */
} bmember;

struct bcluster {
    uv_loop_t *loop;
    const bcluster_cbs *cbs;
    void *owner;
    bconn_auth auth;
    const char *map;
    int conns_per_member;
    uint32_t inflight_cap;
    bconn *seed;
    bmember members[BCL_MAX_MEMBERS];
    int nmembers;
    int32_t partition_count;
    int16_t *owner_of;       /* partition id -> member index, -1 = unknown */
    int32_t members_version, partitions_version;
    bool have_members, have_partitions, proxy_done, listener_done, grace_over;
    bool ready, closing, failed;
    int open_conns;          /* connections allocated and not yet closed */
    uv_timer_t grace;
    bool grace_open;
    uv_timer_t retry;        /* reopens refused connections of members that joined late */
    bool retry_open;
    char server_version[32];
};

/* Starts connecting to host:port.  Returns 0 or a libuv error. */
int bcluster_start(bcluster *cl, uv_loop_t *loop, const char *host, int port,
                   const bconn_auth *auth, const char *map, int conns_per_member,
                   uint32_t inflight_cap, const bcluster_cbs *cbs, void *owner);
/* Connection for a request on partition p (p < 0: any). NULL when none is up. */
bconn *bcluster_route(bcluster *cl, int32_t p);
/* Closes every connection; on_closed follows once all are gone. */
void bcluster_close(bcluster *cl);
/* Calls fn for every open connection. */
void bcluster_each_conn(bcluster *cl, void (*fn)(bconn *c, void *arg), void *arg);

#endif
