/* partition_table_int.h - helpers shared by partition_table.c and
 * partition_assign.c. */
#ifndef MG_CLUSTER_PARTITION_TABLE_INT_H
#define MG_CLUSTER_PARTITION_TABLE_INT_H

#include "cluster/partition_table.h"

/* map[i]: index in t of old->members[i], MG_PT_NONE when it is gone. */
void mg_pt_map_members(const mg_pt_table *old, const mg_pt_table *t, uint8_t map[MG_CL_MAX_MEMBERS]);
/* `old` can seed a table of `partitions` partitions. */
bool mg_pt_usable_old(const mg_pt_table *old, uint32_t partitions);

#endif
