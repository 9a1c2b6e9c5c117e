/* migration.h - the master moves partitions to where the balanced table
 * wants them, copying before it switches.
 *
 * On the master, after every table change (a member joined or left, a
 * member died and its backups were promoted) and on every tick, the driver
 * compares the installed table with mg_pt_assign's balanced target.  When
 * they differ it runs one round:
 *
 *   1. for every replica the target places on a member that does not hold
 *      it yet (a COPY move of mg_pt_plan), it asks the partition's primary
 *      to copy the partition there (MIGRATE).  The primary sends a snapshot
 *      and from then on replicates every write to the destination too, and
 *      waits for it like a synchronous backup (partition/backup.h), so the
 *      copy stays exact while clients keep reading and writing;
 *   2. the primary reports MIGRATE_DONE once the destination acknowledged
 *      the snapshot;
 *   3. when every copy of the round is done, the master publishes the
 *      target as the next table version.  Members switch roles when they
 *      install it; replicas the table no longer names are dropped then.
 *
 * Nothing is dropped before its replacement holds the data, so a member
 * that dies in the middle of a round loses nothing: the round is abandoned
 * (the table it started from is no longer current), the dead member's
 * partitions are promoted as usual, and the next round starts from there.
 * At most MG_MIGRATION_PER_SOURCE copies run at once from one primary (its
 * worker encodes a copy in one go, so more would only stall its requests
 * and queue up behind each other), at most MG_MIGRATION_PARALLEL in all;
 * copies from different primaries run side by side.  Measured on the join
 * of a 3rd member to 2 holding 1M entries (bench/cluster.sh): 4 in flight
 * from whichever primary came first in partition order took 210-238 ms,
 * 16 took 286-300 ms; 2 per primary, 8 in all: see docs/benchmarks.md.
 */
#ifndef MG_PARTITION_MIGRATION_H
#define MG_PARTITION_MIGRATION_H

#include "cluster/data_proto.h"
#include "cluster/membership.h"

#define MG_MIGRATION_PARALLEL 8
#define MG_MIGRATION_PER_SOURCE 2

typedef struct mg_migration_master mg_migration_master;
struct mg_cluster;
struct mg_member;

mg_migration_master *mg_migration_master_new(struct mg_cluster *c, mg_membership *ms, struct mg_member *m);
void mg_migration_master_free(mg_migration_master *mm);

/* Worker 0: a table was installed / time passed / a primary reported. */
void mg_migration_on_table(mg_migration_master *mm);
void mg_migration_tick(mg_migration_master *mm);
void mg_migration_on_done(mg_migration_master *mm, const mg_dp_frame *f);

#endif
