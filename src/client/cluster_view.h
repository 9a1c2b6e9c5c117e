/* cluster_view.h - the members and partitions views clients route by.
 *
 * Both come from the worker's topology snapshot (partition/topology.h): the
 * member list as the membership machine installed it, and for each member
 * the partitions it is primary of.  Versions are the list's and the table's
 * (mg_topology_client_version), the same on every member.  A new snapshot
 * with a newer list or table is pushed as events to every connection that
 * registered the cluster view listener. */
#ifndef MG_CLIENT_CLUSTER_VIEW_H
#define MG_CLIENT_CLUSTER_VIEW_H

#include "member/worker.h"
#include "proto/frame.h"

/* mg_encode_fn writers; arg is an mg_topology (NULL writes an empty list). */
void mg_cluster_view_write_members(mg_wr *w, const void *topology);
void mg_cluster_view_write_partitions(mg_wr *w, const void *topology);

/* After w installed `now` in place of `old`: pushes what changed. */
void mg_cluster_view_changed(mg_worker *w, const mg_topology *old, const mg_topology *now);

#endif
