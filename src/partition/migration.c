/* migration.c - the master's rebalancing rounds (migration.h). */
#include "partition/migration.h"

#include <string.h>

#include "member/cluster.h"
#include "member/member.h"
#include "util/alloc.h"
#include "util/clock.h"

enum { COPY_WAITING, COPY_SENT, COPY_DONE };

typedef struct copy {
    uint32_t partition;
    mg_uuid dest;
    mg_uuid source;
    int state;
    int64_t sent_at;
} copy;

struct mg_migration_master {
    struct mg_cluster *c;
    mg_membership *ms;
    struct mg_member *m;
    bool active;
    uint64_t base_version;     /* the table the round started from */
    mg_pt_table *target;
    copy *copies;
    size_t ncopies, ndone, nsent;
    bool publishing;           /* inside publish: the table it installs is ours */
    int64_t started;
    uint64_t rounds;
};

mg_migration_master *mg_migration_master_new(struct mg_cluster *c, mg_membership *ms, struct mg_member *m)
{
    mg_migration_master *mm = mg_xcalloc(1, sizeof *mm);
    mm->c = c;
    mm->ms = ms;
    mm->m = m;
    return mm;
}

static void end_round(mg_migration_master *mm)
{
    mg_pt_free(mm->target);
    mm->target = NULL;
    free(mm->copies);
    mm->copies = NULL;
    mm->ncopies = mm->ndone = mm->nsent = 0;
    mm->active = false;
}

void mg_migration_master_free(mg_migration_master *mm)
{
    if (!mm)
        return;
    end_round(mm);
    free(mm);
}

static int64_t now_ms(void) { return mg_clock_mono_ns() / 1000000; }

static void send_migrate(mg_migration_master *mm, copy *cp)
{
    mg_worker *w0 = &mm->m->workers[0];
    mg_buf b;
    mg_buf_init(&b);
    size_t start = mg_dp_begin(&b, MG_DP_MIGRATE, mg_membership_self(mm->ms));
    mg_bc_put_u32(&b, cp->partition);
    mg_bc_put_u64(&b, mm->base_version);
    mg_bc_put_uuid(&b, &cp->dest);
    mg_dp_end(&b, start);
    mg_cluster_send(w0, &cp->source, b.data, b.len);
    mg_buf_free(&b);
    if (cp->state != COPY_SENT)
        mm->nsent++;
    cp->state = COPY_SENT;
    cp->sent_at = now_ms();
}

/* Copies in flight from one source (sources are primaries of the table:
 * at most MG_CL_MAX_MEMBERS of them). */
typedef struct source_load {
    mg_uuid source;
    int sent;
} source_load;

static source_load *load_of(source_load *v, int *n, const mg_uuid *source)
{
    for (int i = 0; i < *n; i++)
        if (mg_uuid_eq(&v[i].source, source))
            return &v[i];
    v[*n] = (source_load){.source = *source};
    return &v[(*n)++];
}

static void pump(mg_migration_master *mm)
{
    int64_t now = now_ms();
    source_load loads[MG_CL_MAX_MEMBERS];
    int nloads = 0;
    for (size_t i = 0; i < mm->ncopies; i++)
        if (mm->copies[i].state == COPY_SENT)
            load_of(loads, &nloads, &mm->copies[i].source)->sent++;
    for (size_t i = 0; i < mm->ncopies; i++) {
        copy *cp = &mm->copies[i];
        if (cp->state == COPY_SENT && now - cp->sent_at > 3000) {
            send_migrate(mm, cp);   /* asked again: a copy is idempotent */
            continue;
        }
        if (cp->state != COPY_WAITING || mm->nsent - mm->ndone >= MG_MIGRATION_PARALLEL)
            continue;
        source_load *l = load_of(loads, &nloads, &cp->source);
        if (l->sent >= MG_MIGRATION_PER_SOURCE)
            continue;
        l->sent++;
        send_migrate(mm, cp);
    }
}

static void start_round(mg_migration_master *mm, const mg_pt_table *cur)
{
    const mg_cl_list *list = mg_membership_list(mm->ms);
    /* Members leaving gracefully get nothing: their data moves first, then
     * the master removes them (membership_master.c). */
    mg_uuid members[MG_CL_MAX_MEMBERS];
    int n_members = 0;
    for (int i = 0; i < list->count; i++)
        if (!mg_membership_is_leaving(mm->ms, &list->members[i].uuid))
            members[n_members++] = list->members[i].uuid;
    if (n_members == 0)
        return;   /* everyone leaves: nowhere to move to */
    int wanted = 1 + mg_cluster_backups(mm->c);   /* replicas: the primary and its backups */
    mg_pt_table *target = mg_pt_assign(cur, members, n_members, wanted, cur->partitions);
    if (mg_pt_same_layout(cur, target)) {
        mg_pt_free(target);
        return;
    }
    size_t n = mg_pt_plan(cur, target, NULL, 0);
    mg_pt_move *moves = mg_xcalloc(n ? n : 1, sizeof *moves);
    mg_pt_plan(cur, target, moves, n);
    mm->copies = mg_xcalloc(n ? n : 1, sizeof *mm->copies);
    for (size_t i = 0; i < n; i++) {
        /* Copies always come from the current primary, which keeps the
         * destination in sync with its writes until the switch, even when
         * it is itself leaving (then the plan names a backup; and with no
         * backups at all, a CREATE). */
        const mg_uuid *primary = mg_pt_owner(cur, moves[i].partition, 0);
        if (primary && (moves[i].kind == MG_PT_COPY || moves[i].kind == MG_PT_CREATE)) {
            moves[i].kind = MG_PT_COPY;
            moves[i].source = *primary;
        }
        if (moves[i].kind == MG_PT_COPY)
            mm->copies[mm->ncopies++] = (copy){.partition = moves[i].partition, .dest = moves[i].member,
                                              .source = moves[i].source};
    }
    free(moves);
    mm->target = target;
    mm->base_version = cur->version;
    mm->active = true;
    mm->started = now_ms();
    mm->rounds++;
    if (mm->ncopies)
        MG_INFO(&mm->m->log, "rebalancing: copying %zu partition replicas, then publishing the new table",
                mm->ncopies);
    pump(mm);
}

void mg_migration_tick(mg_migration_master *mm)
{
    const mg_pt_table *cur = mg_membership_table(mm->ms);
    bool can = mg_membership_is_master(mm->ms) && mg_membership_state(mm->ms) == MG_CL_MEMBER && cur &&
               mg_membership_list(mm->ms);
    if (mm->active && (!can || cur->version != mm->base_version)) {
        if (mm->ncopies)
            MG_INFO(&mm->m->log, "rebalancing round abandoned after %zu of %zu copies: the table changed",
                    mm->ndone, mm->ncopies);
        end_round(mm);
    }
    if (!can)
        return;
    if (!mm->active)
        start_round(mm, cur);
    if (!mm->active)
        return;
    if (mm->ndone < mm->ncopies) {
        pump(mm);
        return;
    }
    mm->publishing = true;
    int rc = mg_membership_publish_table(mm->ms, mm->target);
    mm->publishing = false;
    if (rc == 0) {
        if (mm->ncopies)
            MG_INFO(&mm->m->log, "rebalancing: %zu copies done in %lld ms, new partition table published",
                    mm->ncopies, (long long)(now_ms() - mm->started));
        end_round(mm);
    }
    /* else: the last list is not committed yet; the next tick tries again */
}

void mg_migration_on_table(mg_migration_master *mm)
{
    if (!mm->publishing)
        mg_migration_tick(mm);
}

void mg_migration_on_done(mg_migration_master *mm, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    uint32_t p = mg_bc_u32(&rd);
    uint64_t tv = mg_bc_u64(&rd);
    mg_uuid dest = mg_bc_uuid(&rd);
    uint8_t status = mg_bc_u8(&rd);
    if (rd.bad || !mm->active || tv != mm->base_version)
        return;
    for (size_t i = 0; i < mm->ncopies; i++) {
        copy *cp = &mm->copies[i];
        if (cp->partition != p || !mg_uuid_eq(&cp->dest, &dest) || cp->state != COPY_SENT)
            continue;
        if (status == MG_DP_MIGRATE_OK) {
            cp->state = COPY_DONE;
            mm->ndone++;
        } else if (status == MG_DP_MIGRATE_RETRY) {
            cp->state = COPY_WAITING;   /* the source installs the table first */
            mm->nsent--;
        } else {
            MG_WARN(&mm->m->log, "rebalancing: partition %u is not where the table says; starting over", p);
            end_round(mm);
            return;
        }
        break;
    }
    if (mm->ndone == mm->ncopies)
        mg_migration_tick(mm);   /* publish now */
    else
        pump(mm);                /* the next copy, without waiting for the tick */
}
