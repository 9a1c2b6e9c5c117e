/* partition_table.c - the table itself, and its repair after members
 * leave.  The balanced assignment is in partition_assign.c, the migration
 * plan in partition_plan.c. */
#include "cluster/partition_table.h"
#include "cluster/partition_table_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/rand.h"

mg_pt_table *mg_pt_new(uint32_t partitions, int replicas, const mg_uuid *members, int nmembers)
{
    mg_pt_table *t = mg_xcalloc(1, sizeof *t);
    t->partitions = partitions;
    t->replicas = (uint8_t)replicas;
    t->nmembers = nmembers;
    if (nmembers > 0)
        memcpy(t->members, members, (size_t)nmembers * sizeof members[0]);
    size_t n = (size_t)partitions * (size_t)replicas;
    t->slots = mg_xmalloc(n ? n : 1);
    memset(t->slots, MG_PT_NONE, n);
    return t;
}

mg_pt_table *mg_pt_copy(const mg_pt_table *t)
{
    mg_pt_table *c = mg_pt_new(t->partitions, t->replicas, t->members, t->nmembers);
    c->version = t->version;
    memcpy(c->slots, t->slots, (size_t)t->partitions * t->replicas);
    return c;
}

void mg_pt_free(mg_pt_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t);
}

const mg_uuid *mg_pt_owner(const mg_pt_table *t, uint32_t p, int r)
{
    if (p >= t->partitions || r < 0 || r >= t->replicas)
        return NULL;
    uint8_t m = mg_pt_slot(t, p, r);
    return m == MG_PT_NONE ? NULL : &t->members[m];
}

static int member_index(const mg_pt_table *t, const mg_uuid *uuid)
{
    for (int i = 0; i < t->nmembers; i++)
        if (mg_uuid_eq(&t->members[i], uuid))
            return i;
    return -1;
}

int mg_pt_index_of(const mg_pt_table *t, uint32_t p, const mg_uuid *uuid)
{
    int m = member_index(t, uuid);
    if (m < 0 || p >= t->partitions)
        return -1;
    for (int r = 0; r < t->replicas; r++)
        if (mg_pt_slot(t, p, r) == m)
            return r;
    return -1;
}

int mg_pt_check(const mg_pt_table *t)
{
    if (t->replicas < 1 || t->replicas > MG_PT_MAX_REPLICAS || t->nmembers < 0 ||
        t->nmembers > MG_CL_MAX_MEMBERS)
        return -1;
    for (uint32_t p = 0; p < t->partitions; p++) {
        uint64_t seen = 0;
        for (int r = 0; r < t->replicas; r++) {
            uint8_t m = mg_pt_slot(t, p, r);
            if (m == MG_PT_NONE)
                continue;
            if (m >= t->nmembers || (seen & (1ULL << m)))
                return -1;
            seen |= 1ULL << m;
        }
    }
    return 0;
}

bool mg_pt_same_layout(const mg_pt_table *a, const mg_pt_table *b)
{
    if (a->partitions != b->partitions || a->replicas != b->replicas || a->nmembers != b->nmembers)
        return false;
    for (int i = 0; i < a->nmembers; i++)
        if (!mg_uuid_eq(&a->members[i], &b->members[i]))
            return false;
    return memcmp(a->slots, b->slots, (size_t)a->partitions * a->replicas) == 0;
}

int mg_pt_replica_count(int wanted, int nmembers)
{
    int r = wanted < 1 ? 1 : wanted;
    if (r > MG_PT_MAX_REPLICAS)
        r = MG_PT_MAX_REPLICAS;
    if (r > nmembers)
        r = nmembers;
    return r < 1 ? 1 : r;
}

void mg_pt_counts(const mg_pt_table *t, int r, int *counts)
{
    memset(counts, 0, (size_t)t->nmembers * sizeof counts[0]);
    for (uint32_t p = 0; p < t->partitions; p++)
        for (int i = 0; i < t->replicas; i++) {
            uint8_t m = mg_pt_slot(t, p, i);
            if (m != MG_PT_NONE && (r < 0 || r == i))
                counts[m]++;
        }
}

/* old member index -> new member index (MG_PT_NONE when gone). */
void mg_pt_map_members(const mg_pt_table *old, const mg_pt_table *t, uint8_t map[MG_CL_MAX_MEMBERS])
{
    memset(map, MG_PT_NONE, MG_CL_MAX_MEMBERS);
    for (int i = 0; old && i < old->nmembers; i++) {
        int j = member_index(t, &old->members[i]);
        if (j >= 0)
            map[i] = (uint8_t)j;
    }
}

bool mg_pt_usable_old(const mg_pt_table *old, uint32_t partitions)
{
    return old && old->partitions == partitions && mg_pt_check(old) == 0;
}

mg_pt_table *mg_pt_repair(const mg_pt_table *old, const mg_uuid *members, int nmembers,
                          int wanted, uint32_t partitions)
{
    int R = mg_pt_replica_count(wanted, nmembers);
    mg_pt_table *t = mg_pt_new(partitions, R, members, nmembers);
    if (!mg_pt_usable_old(old, partitions) || nmembers == 0)
        return t;
    uint8_t map[MG_CL_MAX_MEMBERS];
    mg_pt_map_members(old, t, map);
    for (uint32_t p = 0; p < partitions; p++) {
        int k = 0;
        for (int j = 0; j < old->replicas && k < R; j++) {
            uint8_t m = mg_pt_slot(old, p, j);
            if (m != MG_PT_NONE && map[m] != MG_PT_NONE)
                t->slots[(size_t)p * R + k++] = map[m];
        }
    }
    return t;
}
