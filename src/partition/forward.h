/* forward.h - requests that reach a member that does not own their key's
 * partition.
 *
 * Clients route keyed requests by their own copy of the partition table,
 * which may be older than the member's, or absent (a client's first
 * requests, unisocket clients).  The member that receives such a request
 * sends it, unchanged, to the partition's primary (a FORWARD frame,
 * data_proto.h); the primary runs it as if its own client had sent it, with
 * the client's UUID as lock owner, and its answer travels back the same way
 * to the client's connection.  One hop only: a member that receives a
 * forwarded request for a partition it does not own either goes on only
 * when its own table is newer than the forwarder's.  So nothing is answered
 * from a stale copy and no request circles.
 *
 * While the cluster settles, the member waits instead of failing, as a
 * Hazelcast member retries its own invocations: a request whose partition
 * has no live owner in this member's table (a member left and the table
 * has not caught up, a migration is under way, this member is still
 * joining), or whose forwarded copy went to a member that then left before
 * answering, is kept, with its bytes, and run again when the next topology
 * is installed.  A client thus sees a few milliseconds more instead of a
 * retryable error and its retry pause (the official clients wait about a
 * second before they retry).  The wait is bounded: after ROUTE_WAIT_MS, or
 * with more than ROUTE_WAIT_MAX requests waiting on the worker, the client
 * gets RETRYABLE_HAZELCAST as before.  A request whose member left may have
 * run there already; running it again is what a client's retry would do
 * too.  A member that may not serve (its lease, cluster.h) still answers
 * retryable at once: waiting there could serve a stale copy later.
 */
#ifndef MG_PARTITION_FORWARD_H
#define MG_PARTITION_FORWARD_H

#include <stdbool.h>

#include "cluster/data_proto.h"
#include "member/dispatch.h"
#include "partition/topology.h"

/* Decides where a keyed request runs, on the partition's worker.  True: run
 * it here.  False: it was forwarded, or answered with an error in r->out
 * (r->suspended tells which). */
bool mg_forward_route(mg_worker *w, mg_req *r, mg_conn *local);

void mg_forward_on_request(mg_worker *w, const mg_dp_frame *f);
void mg_forward_on_answer(mg_worker *w, const mg_dp_frame *f);
/* A topology was installed (w->topo is t): requests forwarded to members
 * no longer in the list, and the requests waiting for a route, are taken
 * aside; mg_forward_rerun runs them again once the install is complete. */
void mg_forward_on_topology(mg_worker *w, const mg_topology *t);
void mg_forward_rerun(mg_worker *w);
/* Periodic: waiting requests past their deadline get RETRYABLE_HAZELCAST. */
void mg_forward_tick(mg_worker *w);
void mg_forward_free(mg_worker *w);
/* Sends the answer of a forwarded request back to its member. */
void mg_forward_answer(mg_worker *w, mg_conn_ref to, const uint8_t *bytes, size_t len);

#endif
