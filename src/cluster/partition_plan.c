/* partition_plan.c - the moves that turn one partition table into another.
 *
 * Pure bookkeeping over two tables: who gains a replica (a copy, from the
 * partition's primary in the old table, which holds the newest data, or
 * the first surviving backup when the primary's member is gone), who only
 * changes replica index, who drops one.  Executing the moves (streaming
 * data, committing each one in a new table version) belongs to the migration
 * service, which is not part of this socket-free core.
 */
#include "cluster/partition_table.h"

#include <string.h>

#include "util/rand.h"

static int index_in(const mg_pt_table *t, uint32_t p, const mg_uuid *u)
{
    for (int r = 0; r < t->replicas; r++) {
        uint8_t m = mg_pt_slot(t, p, r);
        if (m != MG_PT_NONE && mg_uuid_eq(&t->members[m], u))
            return r;
    }
    return -1;
}

static void emit(mg_pt_move *out, size_t cap, size_t *n, const mg_pt_move *mv)
{
    if (*n < cap)
        out[*n] = *mv;
    (*n)++;
}

static bool is_member(const mg_pt_table *t, const mg_uuid *u)
{
    for (int i = 0; i < t->nmembers; i++)
        if (mg_uuid_eq(&t->members[i], u))
            return true;
    return false;
}

/* Where a new replica copies from: the hottest replica in `from` whose
 * member is still a member (in `to`) - the primary, or the backup that is
 * promoted in its place.  NULL when no replica survived. */
static const mg_uuid *copy_source(const mg_pt_table *from, const mg_pt_table *to, uint32_t p)
{
    for (int r = 0; r < from->replicas; r++) {
        const mg_uuid *u = mg_pt_owner(from, p, r);
        if (u && is_member(to, u))
            return u;
    }
    return NULL;
}

size_t mg_pt_plan(const mg_pt_table *from, const mg_pt_table *to, mg_pt_move *out, size_t cap)
{
    size_t n = 0;
    if (from->partitions != to->partitions)
        return 0;
    for (uint32_t p = 0; p < to->partitions; p++) {
        const mg_uuid *primary = copy_source(from, to, p);
        /* Copies and creations, hottest index first. */
        for (int r = 0; r < to->replicas; r++) {
            const mg_uuid *m = mg_pt_owner(to, p, r);
            if (!m || index_in(from, p, m) >= 0)
                continue;
            mg_pt_move mv = {.partition = p, .from_index = -1, .to_index = (int8_t)r, .member = *m};
            mv.kind = primary ? MG_PT_COPY : MG_PT_CREATE;
            if (primary)
                mv.source = *primary;
            else
                mv.source.is_null = true;
            emit(out, cap, &n, &mv);
        }
        for (int r = 0; r < to->replicas; r++) {
            const mg_uuid *m = mg_pt_owner(to, p, r);
            int j = m ? index_in(from, p, m) : -1;
            if (j < 0 || j == r)
                continue;
            mg_pt_move mv = {.partition = p, .kind = MG_PT_SHIFT, .from_index = (int8_t)j,
                             .to_index = (int8_t)r, .member = *m};
            mv.source.is_null = true;
            emit(out, cap, &n, &mv);
        }
        for (int j = 0; j < from->replicas; j++) {
            const mg_uuid *m = mg_pt_owner(from, p, j);
            if (!m || index_in(to, p, m) >= 0 || !is_member(to, m))
                continue;   /* kept, or on a member that is gone anyway */
            mg_pt_move mv = {.partition = p, .kind = MG_PT_DROP, .from_index = (int8_t)j,
                             .to_index = -1, .member = *m};
            mv.source.is_null = true;
            emit(out, cap, &n, &mv);
        }
    }
    return n;
}

size_t mg_pt_copies(const mg_pt_table *from, const mg_pt_table *to)
{
    size_t n = 0;
    if (from->partitions != to->partitions)
        return 0;
    for (uint32_t p = 0; p < to->partitions; p++)
        for (int r = 0; r < to->replicas; r++) {
            const mg_uuid *m = mg_pt_owner(to, p, r);
            if (m && index_in(from, p, m) < 0)
                n++;
        }
    return n;
}
