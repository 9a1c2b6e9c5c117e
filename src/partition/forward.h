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
 * forwarded request for a partition it does not own either (tables are
 * moving) answers with RETRYABLE_HAZELCAST, which every client retries after
 * refreshing its table.  So nothing is answered from a stale copy and no
 * request circles.
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
/* A topology was installed: requests forwarded to members no longer in
 * the list are answered with RETRYABLE_HAZELCAST. */
void mg_forward_on_topology(mg_worker *w, const mg_topology *t);
void mg_forward_free(mg_worker *w);
/* Sends the answer of a forwarded request back to its member. */
void mg_forward_answer(mg_worker *w, mg_conn_ref to, const uint8_t *bytes, size_t len);

#endif
