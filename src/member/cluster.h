/* cluster.h - the member's cluster service: the membership machine
 * (cluster/membership.h) given real sockets, a clock and a timer.
 *
 * Threads: the machine, the outbound links (net/link.h) and the master's
 * migration driver (partition/migration.h) belong to worker 0.  Any worker
 * may receive member-protocol frames on an inbound connection; it hands each
 * frame to the worker that must handle it (membership and migration
 * control: worker 0; replication, forwarded requests: the partition's
 * worker).  Any worker may send: worker 0 writes to the link at once,
 * others batch their frames for worker 0 until the end of their loop turn.
 *
 * Every change of member list or partition table becomes a new topology
 * snapshot (partition/topology.h) posted to every worker.
 */
#ifndef MG_MEMBER_CLUSTER_H
#define MG_MEMBER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "member/worker.h"
#include "partition/topology.h"

typedef struct mg_cluster mg_cluster;

/* Data-plane frames a worker keeps while it has no topology yet. */
#define MG_EARLY_FRAMES_MAX (64u << 20)

/* Before the workers run (the listener is bound, m->port known). */
mg_cluster *mg_cluster_new(mg_member *m);
/* On worker 0's thread or before its loop runs: starts joining. */
void mg_cluster_start(mg_cluster *c);
void mg_cluster_free(mg_cluster *c);

/* One complete member-protocol frame arrived on worker w.  Returns < 0 when
 * the connection should be closed. */
int mg_cluster_receive(mg_worker *w, const uint8_t *frame, size_t len);
/* Sends a frame to a member of the list (dropped when it is not one). */
void mg_cluster_send(mg_worker *w, const mg_uuid *to, const uint8_t *frame, size_t len);
/* The same for a frame the caller builds in a buffer it keeps: on worker 0
 * the buffer may trade places with the link's queue instead of being copied
 * (mg_links_send_buf).  *frame comes back empty. */
void mg_cluster_send_buf(mg_worker *w, const mg_uuid *to, mg_buf *frame);
/* Whether partitions this member is primary of may be served now (see
 * mg_membership_may_serve): false while the member may have been removed
 * without knowing it yet.  Any worker. */
bool mg_cluster_may_serve(mg_worker *w);
/* End of a loop turn on a worker other than 0: hands its frames over. */
void mg_cluster_flush(mg_worker *w);

/* Installs a topology on worker w (runs on w). */
void mg_cluster_install(mg_worker *w, mg_topology *t);

/* Graceful leave (worker 0): returns once the member is out of the list,
 * its replication is flushed, or `timeout_ms` passed. Called from the
 * stopping thread; false when it timed out. */
bool mg_cluster_leave(mg_member *m, int64_t timeout_ms);
/* Worker 0, at shutdown: stop the timer and close the links. */
void mg_cluster_stop(mg_worker *w0);

/* Backups per partition wanted by the configuration (largest
 * backup-count + async-backup-count over the maps). */
int mg_cluster_backups(const mg_cluster *c);

#endif
