/* topology.c - snapshots of the member list and partition table. */
#include "partition/topology.h"

#include <string.h>

#include "util/alloc.h"
#include "util/rand.h"

int32_t mg_topology_client_version(uint64_t version)
{
    uint64_t term = mg_cl_version_term(version), seq = mg_cl_version_seq(version);
    uint64_t v = (term << 20) + (seq & 0xFFFFF);
    return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

mg_topology *mg_topology_new(const mg_uuid *self, const mg_cl_list *list, mg_pt_table *table,
                             int sync_backups)
{
    mg_topology *t = mg_xcalloc(1, sizeof *t);
    atomic_init(&t->refs, 1);
    t->self = *self;
    if (list) {
        t->list = *list;
        t->is_member = mg_cl_list_find(list, self) >= 0;
    }
    t->table = table;
    t->self_index = -1;
    if (table)
        for (int i = 0; i < table->nmembers; i++)
            if (mg_uuid_eq(&table->members[i], self))
                t->self_index = i;
    t->sync_backups = sync_backups;
    t->client_list_version = mg_topology_client_version(t->list.version);
    t->client_table_version = table ? mg_topology_client_version(table->version) : 0;
    return t;
}

mg_topology *mg_topology_ref(mg_topology *t)
{
    if (t)
        atomic_fetch_add(&t->refs, 1);
    return t;
}

void mg_topology_unref(mg_topology *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    mg_pt_free(t->table);
    free(t);
}

const mg_cl_member *mg_topology_member(const mg_topology *t, const mg_uuid *uuid)
{
    int i = t ? mg_cl_list_find(&t->list, uuid) : -1;
    return i >= 0 ? &t->list.members[i] : NULL;
}
