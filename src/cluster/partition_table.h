/* partition_table.h - which member holds which replica of each partition,
 * how the master computes it, and what has to move between two versions.
 *
 * Layout: slot (p, r) = slots[p * replicas + r] is the index into members[]
 * of the member holding replica r of partition p (r = 0 is the primary, 1..
 * the backups in order: the first `backup-count` are synchronous, the next
 * `async-backup-count` asynchronous), or MG_PT_NONE.  members[] lists the
 * members the table refers to, in join order.  Invariants (mg_pt_check):
 * every index < nmembers, and no member twice in one partition.
 *
 * Everything here is a pure function of its arguments: no clock, no I/O, no
 * global state.  Tables are heap objects owned by whoever holds the pointer;
 * functions that return a table return a new one (free with mg_pt_free).
 * The `version` of a returned table is 0: versions are the master's business
 * (membership.c).
 */
#ifndef MG_CLUSTER_PARTITION_TABLE_H
#define MG_CLUSTER_PARTITION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/member_list.h"

#define MG_PT_MAX_REPLICAS 7   /* primary + at most 6 backups, as in Hazelcast */
#define MG_PT_NONE 0xFF

typedef struct mg_pt_table {
    uint64_t version;          /* term << 32 | seq, like member lists; 0 = unpublished */
    uint32_t partitions;
    uint8_t replicas;          /* slots per partition */
    int nmembers;
    mg_uuid members[MG_CL_MAX_MEMBERS];
    uint8_t *slots;            /* partitions * replicas bytes, owned */
} mg_pt_table;

/* A table with every slot empty. */
mg_pt_table *mg_pt_new(uint32_t partitions, int replicas, const mg_uuid *members, int nmembers);
mg_pt_table *mg_pt_copy(const mg_pt_table *t);
void mg_pt_free(mg_pt_table *t);

static inline uint8_t mg_pt_slot(const mg_pt_table *t, uint32_t p, int r)
{
    return t->slots[(size_t)p * t->replicas + (size_t)r];
}
/* The member holding replica r of p, or NULL. */
const mg_uuid *mg_pt_owner(const mg_pt_table *t, uint32_t p, int r);
/* Replica index `uuid` holds in p, or -1. */
int mg_pt_index_of(const mg_pt_table *t, uint32_t p, const mg_uuid *uuid);

/* 0 when the invariants hold, -1 otherwise. */
int mg_pt_check(const mg_pt_table *t);
/* Same members, replica count and slots (versions not compared). */
bool mg_pt_same_layout(const mg_pt_table *a, const mg_pt_table *b);

/* How many replicas a partition gets: 1 + backups wanted, capped by the
 * member count (never two replicas on one member) and by 7. */
int mg_pt_replica_count(int wanted, int nmembers);

/* Per member of t (by index), how many slots at replica index r it holds;
 * r = -1 counts all indexes.  `counts` has t->nmembers entries. */
void mg_pt_counts(const mg_pt_table *t, int r, int *counts);

/* The table after a membership change, moving no data: replicas on members
 * that are gone are dropped; each partition's surviving replicas keep their
 * order and shift up, so the first surviving backup of a partition whose
 * primary left becomes its primary; the replica count follows `wanted` and
 * the new member count (extra survivors are dropped from the cold end).
 * New members get nothing.  `old` may be NULL (all slots empty). */
mg_pt_table *mg_pt_repair(const mg_pt_table *old, const mg_uuid *members, int nmembers,
                          int wanted, uint32_t partitions);

/* The balanced target: mg_pt_repair, then every empty slot filled and each
 * replica index balanced over the members (per index, and in total, counts
 * differ by at most one wherever the placement rules allow), keeping every
 * placement that balance does not require to change.  A member that held a
 * partition before is preferred when the partition needs a new holder, so
 * data it still has is reused.  docs/cluster.md has the algorithm. */
mg_pt_table *mg_pt_assign(const mg_pt_table *old, const mg_uuid *members, int nmembers,
                          int wanted, uint32_t partitions);

/* ---- migration plan ---------------------------------------------------- */

typedef enum mg_pt_move_kind {
    MG_PT_COPY = 1,     /* `member` gets a new replica, copied from `source` */
    MG_PT_CREATE = 2,   /* no replica of the partition survives: `member` starts it empty */
    MG_PT_SHIFT = 3,    /* `member` keeps its data and changes replica index */
    MG_PT_DROP = 4,     /* `member` no longer holds the partition */
} mg_pt_move_kind;

typedef struct mg_pt_move {
    uint32_t partition;
    uint8_t kind;          /* mg_pt_move_kind */
    int8_t from_index;     /* replica index in `from`, -1 when none */
    int8_t to_index;       /* replica index in `to`, -1 for a drop */
    mg_uuid member;
    mg_uuid source;        /* COPY only: the hottest replica of `from` still a member */
} mg_pt_move;

/* What turns `from` into `to`, by partition; within a partition the copies
 * and creations come first (hottest index first), then index shifts, then
 * drops, so a replica is never dropped before its replacement exists.
 * `to`'s members are the live ones: a copy's source is the hottest replica
 * of `from` on one of them, and replicas on members that are gone need no
 * drop.  Writes at most `cap` moves to `out` (which may be NULL when cap is
 * 0) and returns how many there are in all.  Both tables must have the same
 * partition count; members are matched by UUID. */
size_t mg_pt_plan(const mg_pt_table *from, const mg_pt_table *to, mg_pt_move *out, size_t cap);

/* Replicas that need data sent to a member (COPY + CREATE moves). */
size_t mg_pt_copies(const mg_pt_table *from, const mg_pt_table *to);

#endif
