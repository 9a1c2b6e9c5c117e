/* membership.h - the cluster membership state machine, without sockets.
 *
 * The machine decides; it never does I/O itself.  Everything it needs from
 * the world comes through an mg_cl_io (time, randomness, sending bytes) and
 * everything it concludes goes out through the same interface (members and
 * partitions changed, log lines).  Inputs are three kinds of events, each a
 * function call:
 *
 *   mg_membership_receive         one member-protocol frame arrived
 *   mg_membership_tick            time passed (call at least every
 *                                 MG_CL_TICK_MS; the machine reads now_ms)
 *   mg_membership_peer_unreachable a connection attempt to an address failed
 *                                 (and whether it was refused)
 *
 * plus start and leave.  The same code therefore runs in a member process
 * (io = libuv sockets and timers) and in the unit tests' simulator (io = a
 * virtual clock and an in-memory network that can delay, cut and pause).
 *
 * Rules (docs/cluster.md has the reasoning):
 *   - the master is the oldest member able to win a majority of the member
 *     list; it alone admits and removes members, one per list version, and
 *     publishes the next version only after a majority acknowledged the
 *     current one;
 *   - a member silent for longer than max_no_heartbeat_ms, or whose address
 *     refused a connection since it was last heard, is removed by the
 *     master; if the master is silent, the next oldest member claims
 *     mastership with votes from a majority (terms, one vote per term);
 *   - a member that sees a newer list without itself was removed: it takes a
 *     new UUID and joins again, and never founds a cluster of its own;
 *   - member-list and partition-table versions only grow on every member.
 *
 * Threading: a machine belongs to one thread; callbacks run synchronously
 * inside the calls above and must not call back into the machine.
 */
#ifndef MG_CLUSTER_MEMBERSHIP_H
#define MG_CLUSTER_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/member_list.h"
#include "cluster/partition_table.h"
#include "util/log.h"

#define MG_CL_TICK_MS 100      /* the coarsest tick that keeps the timing rules */
#define MG_CL_MAX_SEEDS 64

typedef enum mg_cl_state {
    MG_CL_IDLE = 0,      /* created, not started */
    MG_CL_JOINING = 1,   /* looking for the cluster, or admitted and not yet told */
    MG_CL_MEMBER = 2,    /* in the member list it holds */
    MG_CL_LEFT = 3,      /* left gracefully; does nothing more */
} mg_cl_state;

typedef struct mg_membership_config {
    mg_cl_addr self;                 /* where other members reach this one */
    const char *cluster_name;        /* copied; "dev" by default */
    uint8_t version[3];              /* memgrid major.minor.patch; major.minor must match */
    uint32_t partition_count;        /* hazelcast.partition.count (271) */
    int backup_count;                /* synchronous backups (1) */
    int async_backup_count;          /* asynchronous backups (0) */
    uint64_t config_hash;            /* settings all members must share; 0 = not checked */
    int64_t heartbeat_interval_ms;   /* hazelcast.heartbeat.interval.seconds (memgrid: 1 s) */
    int64_t max_no_heartbeat_ms;     /* hazelcast.max.no.heartbeat.seconds (memgrid: 2 s) */
    int64_t join_timeout_ms;         /* a new member founds a cluster after this long alone */
    /* hazelcast.initial.min.cluster.size (0: none).  A cluster that never
     * held this many members has served no client; when one of its
     * members knows of a seed outside it with a smaller address (another
     * cluster of the name that formed apart), it starts over, as a process
     * that was never a member, so that the clusters become one. */
    int initial_min_size;
    const mg_cl_addr *seeds;         /* network.join.tcp-ip member list, expanded; copied
                                      * (discovery adds more: mg_membership_add_seed) */
    int nseeds;
    /* false: on every member change the master publishes the balanced table
     * at once (nothing to migrate yet).  true: it publishes only the repaired
     * table (promotions); the migration service moves data and publishes
     * each step with mg_membership_publish_table. */
    bool migrations_publish_tables;
} mg_membership_config;

/* memgrid's defaults: 1 s heartbeats, 2 s to removal, 271 partitions, one
 * synchronous backup, 3 s to found a cluster, cluster "dev". */
void mg_membership_config_defaults(mg_membership_config *cfg);

typedef struct mg_cl_io {
    void *ctx;
    /* Send one frame to a member.  `to` is the member's UUID when known (a
     * transport may route by it), NULL for an address from the seed list.
     * Fire and forget: the machine copes with loss, delay and reordering. */
    void (*send)(void *ctx, const mg_uuid *to, const mg_cl_addr *addr, const uint8_t *frame, size_t len);
    /* Monotonic milliseconds.  Only differences of this clock are used. */
    int64_t (*now_ms)(void *ctx);
    /* 64 random bits: UUIDs and jitter. */
    uint64_t (*random)(void *ctx);
    /* The installed member list changed, or this member stopped being one
     * (list NULL: joining again after a removal, or left).  `self` is this
     * member's UUID, which changes when it rejoins. */
    void (*members_changed)(void *ctx, const mg_cl_list *list, const mg_uuid *self);
    /* A newer partition table was installed (NULL: none, not a member). */
    void (*partitions_changed)(void *ctx, const mg_pt_table *table);
    /* One line worth a log entry (may be NULL). */
    void (*log)(void *ctx, mg_log_level level, const char *line);
} mg_cl_io;

typedef struct mg_membership mg_membership;

/* Copies cfg and io.  The UUID comes from io->random. */
mg_membership *mg_membership_new(const mg_membership_config *cfg, const mg_cl_io *io);
void mg_membership_free(mg_membership *m);

/* Starts looking for the cluster (JOINING). */
void mg_membership_start(mg_membership *m);
/* Handles one complete frame (see mg_mp_frame_size).  Returns MG_MP_OK,
 * MG_MP_SKIP for an unknown type, or a negative MG_MP_E* code after which
 * the transport should close the connection. */
int mg_membership_receive(mg_membership *m, const uint8_t *frame, size_t len);
void mg_membership_tick(mg_membership *m);
/* A connection to `addr` failed: while joining, a cluster nobody answers for
 * is given up on sooner.  refused: the address answered that nothing listens
 * there (a process that crashed or was killed; a paused process or a split
 * network never says so): a member at that address not heard from since is
 * suspected at once instead of after max_no_heartbeat_ms. */
void mg_membership_peer_unreachable(mg_membership *m, const mg_cl_addr *addr, bool refused);
/* An address found by discovery (multicast, DNS) to ask for the cluster,
 * as a tcp-ip seed is.  While joining, it is asked at the next tick.  False
 * when it is this member, known already, or the seed list is full. */
bool mg_membership_add_seed(mg_membership *m, const mg_cl_addr *addr);
/* Leaves gracefully: the master removes this member (a master hands over to
 * the next oldest first); the state becomes LEFT once the list says so. */
void mg_membership_leave(mg_membership *m);

/* Master only, its latest list committed: publishes `t` (same partition
 * count, members of the current list) as the next table version.  0, or -1
 * when this member cannot publish now. */
int mg_membership_publish_table(mg_membership *m, const mg_pt_table *t);

/* Master only: `member` asked to leave gracefully (this member included)
 * and is still in the list; a migration service moves its data away. */
bool mg_membership_is_leaving(const mg_membership *m, const mg_uuid *member);

mg_cl_state mg_membership_state(const mg_membership *m);
const mg_uuid *mg_membership_self(const mg_membership *m);
/* The installed list; NULL unless MEMBER. */
const mg_cl_list *mg_membership_list(const mg_membership *m);
/* The installed table; NULL when none. */
const mg_pt_table *mg_membership_table(const mg_membership *m);
/* Master of a term it won (or was handed), i.e. allowed to publish. */
bool mg_membership_is_master(const mg_membership *m);
/* This member heard, within max-no-heartbeat, from a majority of its list
 * (itself included).  The data path will refuse writes without it. */
bool mg_membership_has_quorum(const mg_membership *m);
/* Whether this member may answer from its partitions: it heard, within 3/4
 * of max_no_heartbeat_ms and since it last noticed a pause of its own, from
 * a majority of its list (itself included) none of which is on a newer list.
 * False means it may have been removed - the others remove a member silent
 * for max_no_heartbeat_ms and give its partitions to others - so its copy
 * may be stale: a member cut off by a split, or resuming from SIGSTOP,
 * stops serving reads before, or as soon as, the others can move on. */
bool mg_membership_may_serve(const mg_membership *m);
uint64_t mg_membership_term(const mg_membership *m);

#endif
