/* backup.h - replication of partitions from their primary to the backups.
 *
 * What travels: after a write, the primary sends the *state* of the key it
 * wrote (the whole entry, with its version, TTL, max-idle and times, or
 * "absent"), not the operation.  Applying a state is idempotent and needs no
 * clock: a backup that applies it holds exactly what the primary holds.
 * Removals by expiry and eviction travel the same way, and so do a
 * map's clear and its destroy (DROP).  Backups never expire or evict on
 * their own; their primary tells them.
 *
 * Order and gaps: each partition's records are numbered (seq) by its
 * primary and sent in order over the primary's one link to each backup.  A
 * backup applies record seq only after seq-1; a gap (a link that dropped
 * and reconnected) makes it ask for a snapshot (SYNC).  A backup follows
 * exactly one primary per partition, the sender of the last snapshot it
 * took; records from anyone else are refused (ACK status NOT_SOURCE), which
 * is how a member that was paused and is still acting on an old table finds
 * out that its writes no longer count.
 *
 * Snapshots: whenever a member starts backing a partition for a primary
 * (it became a backup, the primary changed, a migration copies the
 * partition to it), the primary sends the whole partition: a REPL frame
 * flagged RESET, others, and one flagged END with the primary's seq.
 *
 * Locks travel too (LOCK records: owner, thread, count, lease left), so a
 * promoted backup still holds them.
 *
 * Synchronous backups: a write's answer is held until every synchronous
 * backup (replica indexes 1..sync_backups of the table) and every migration
 * destination has acknowledged its seq.  A refusal, or no answer within
 * hazelcast.operation.backup.timeout.millis, turns the answer into
 * RETRYABLE_HAZELCAST (Hazelcast confirms the write after the timeout).
 * Whole-map writes wait the same way (mg_backup_wait).
 * Asynchronous backups get the same records; nobody waits for them.
 *
 * All state lives on the partition's worker.  Records written during a loop
 * turn go out as one REPL frame per partition and backup at its end.
 */
#ifndef MG_PARTITION_BACKUP_H
#define MG_PARTITION_BACKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/data_proto.h"
#include "map/map.h"
#include "member/dispatch.h"

void mg_backup_worker_init(mg_worker *w);
void mg_backup_worker_free(mg_worker *w);

/* A write on p would have to wait for synchronous backups. */
bool mg_backup_has_sync(mg_worker *w, int32_t p);
/* After a keyed write ran on the primary: replicate its key's state. */
void mg_backup_after_write(mg_worker *w, mg_req *r);
/* Holds r's answer (copied from `answer`) until its backups acknowledge;
 * false when nothing needs waiting for. */
bool mg_backup_hold(mg_worker *w, const mg_req *r, const mg_buf *answer);

/* Writes made outside a keyed request (putAll, clear, evictAll) wait too:
 * done(w, ctx, true) runs on w once p's synchronous backups acknowledged
 * record seq (mg_backup_seq after the writes); done(w, ctx, false) once one
 * refused it, the backup timeout passed, or this member left the cluster,
 * as a held answer would turn into RETRYABLE_HAZELCAST.  Returns false,
 * and never calls done, when there is nothing to wait for (no synchronous
 * backup, or seq acknowledged already). */
typedef void (*mg_backup_done_fn)(mg_worker *w, void *ctx, bool confirmed);
bool mg_backup_wait(mg_worker *w, int32_t p, uint64_t seq, mg_backup_done_fn done, void *ctx);

/* The entry for key changed (or is gone) outside a keyed request: expiry,
 * eviction, putAll.  No-op unless this member is p's primary with backups. */
void mg_backup_note_key(mg_worker *w, mg_map *map, int32_t p, const uint8_t *key, size_t klen);
/* The lock of key changed (l NULL: released). */
struct mg_lock;
void mg_backup_note_lock(mg_worker *w, mg_map *map, int32_t p, const uint8_t *key, size_t klen,
                         const struct mg_lock *l);
/* The last record number of p when this member is its primary, else 0:
 * a request that moved it made records its answer may have to wait for. */
uint64_t mg_backup_seq(mg_worker *w, int32_t p);
/* Every unlocked entry of map in p was removed (clear, evictAll). */
void mg_backup_note_clear(mg_worker *w, mg_map *map, int32_t p);
/* map was destroyed and leaves p (call before its part is freed): the
 * backups drop theirs in stream order, after the records of every write
 * made before, which a drop of their own (the destroy's BULK, on another
 * link) may precede. */
void mg_backup_note_drop(mg_worker *w, const mg_map *map, int32_t p);
/* The destroy of map runs on p's worker (the BULK).  True when this member
 * is a backup of p and its primary's DROP for this destroy was applied
 * here already: what p holds of the map name now was written after the
 * drop, to the map made anew, and stays.  False: drop it. */
bool mg_backup_drop_came_first(mg_worker *w, const mg_map *map, int32_t p);

/* A new topology was installed on w: roles change, new backups get
 * snapshots, partitions this member no longer holds are freed. */
void mg_backup_on_topology(mg_worker *w, const mg_topology *old, const mg_topology *now);
/* End of a loop turn: send the records batched per partition. */
void mg_backup_flush(mg_worker *w);
/* Periodic: answers whose backup timeout passed. */
void mg_backup_tick(mg_worker *w);

void mg_backup_on_repl(mg_worker *w, const mg_dp_frame *f);
void mg_backup_on_ack(mg_worker *w, const mg_dp_frame *f);
void mg_backup_on_sync(mg_worker *w, const mg_dp_frame *f);
/* MIGRATE from the master: copy p to a destination, keep it in sync and
 * report MIGRATE_DONE once it holds everything. */
void mg_backup_on_migrate(mg_worker *w, const mg_dp_frame *f);

#endif
