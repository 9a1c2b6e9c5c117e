/* topology.h - what a worker knows of the cluster: the member list and the
 * partition table, as one immutable, reference-counted snapshot.
 *
 * The cluster service (member/cluster.c, on worker 0) builds a new snapshot
 * whenever the membership machine installs a list or a table, and posts it
 * to every worker; each worker swaps its pointer (w->topo) on its own
 * thread and drops its reference to the old one.  Readers on a worker
 * therefore never lock: routing, replication, client views and
 * authentication all read w->topo.
 */
#ifndef MG_PARTITION_TOPOLOGY_H
#define MG_PARTITION_TOPOLOGY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/member_list.h"
#include "cluster/partition_table.h"
#include "util/rand.h"   /* mg_uuid_eq */

typedef struct mg_topology {
    atomic_int refs;
    mg_uuid self;               /* this member's UUID (changes when it rejoins) */
    bool is_member;             /* in `list`; false while joining */
    mg_cl_list list;            /* version 0 while joining */
    mg_pt_table *table;         /* NULL until the first table */
    int self_index;             /* this member in table->members, -1 if none */
    int sync_backups;           /* replica indexes 1..sync_backups are synchronous */
    /* The member list held hazelcast.initial.min.cluster.size members
     * once (sticky for the process): until then clients are refused. */
    bool ready;
    int32_t client_list_version;   /* versions the clients see (int32, growing) */
    int32_t client_table_version;
} mg_topology;

/* Takes ownership of `table` (may be NULL); copies `list` (may be NULL). */
mg_topology *mg_topology_new(const mg_uuid *self, const mg_cl_list *list, mg_pt_table *table,
                             int sync_backups);
mg_topology *mg_topology_ref(mg_topology *t);
void mg_topology_unref(mg_topology *t);

/* Replica index of this member for p (0 = primary), -1 when it holds none. */
static inline int mg_topology_role(const mg_topology *t, int32_t p)
{
    if (!t || !t->table || t->self_index < 0)
        return -1;
    for (int r = 0; r < t->table->replicas; r++)
        if (mg_pt_slot(t->table, (uint32_t)p, r) == (uint8_t)t->self_index)
            return r;
    return -1;
}
static inline bool mg_topology_is_primary(const mg_topology *t, int32_t p)
{
    return t && t->table && t->self_index >= 0 &&
           mg_pt_slot(t->table, (uint32_t)p, 0) == (uint8_t)t->self_index;
}
/* The list entry of a member, NULL when it is not in the list. */
const mg_cl_member *mg_topology_member(const mg_topology *t, const mg_uuid *uuid);

/* What clients see as a version: grows with (term, seq) of the 64-bit
 * version, and fits an int32 for terms below 2048. */
int32_t mg_topology_client_version(uint64_t version);

#endif
