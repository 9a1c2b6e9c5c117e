/* cluster_view.h - the members and partitions views clients route by.
 *
 * A single member lists itself and owns all partitions; the cluster work
 * replaces these writers with the published member list and partition table.
 * Versions start at 1 and must be the same on every member. */
#ifndef MG_CLIENT_CLUSTER_VIEW_H
#define MG_CLIENT_CLUSTER_VIEW_H

#include "proto/frame.h"

/* mg_encode_fn writers; arg is the mg_member (NULL writes an empty list). */
void mg_cluster_view_write_members(mg_wr *w, const void *member);
void mg_cluster_view_write_partitions(mg_wr *w, const void *member);

#endif
