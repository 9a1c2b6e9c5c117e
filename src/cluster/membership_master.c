/* membership_master.c - what only the master does.
 *
 * The master changes the member list one member at a time, and only once a
 * majority of the current list acknowledged the current version (each
 * member's heartbeat carries the version it holds; members send one at once
 * when a list arrives).  One change per acknowledged version is what keeps
 * any two majorities of successive lists overlapping, which the vote count
 * of membership_elect.c relies on; it costs one round trip per change.
 *
 * Changes, in priority order: remove a silent member; remove a member that
 * leaves; remove the old incarnation of a member restarted at the same
 * address; remove one end of a broken link between two members the master
 * still hears (partial network split); then admit one queued joiner.  Each
 * committed list is followed by a partition table for its members.
 */
#include "cluster/membership_int.h"

#include <string.h>

#include "util/rand.h"

static uint64_t table_version_next(mg_membership *m)
{
    uint64_t prev = m->last_table_version;
    return mg_cl_version((uint32_t)m->master_term, mg_cl_version_seq(prev) + 1);
}

static bool table_matches_list(const mg_membership *m)
{
    const mg_pt_table *t = m->table;
    if (!t || t->nmembers != m->list.count)
        return false;
    for (int i = 0; i < t->nmembers; i++)
        if (!mg_uuid_eq(&t->members[i], &m->list.members[i].uuid))
            return false;
    return true;
}

/* After a list is committed: a table for its members.  Without migrations
 * wired in, the balanced table straight away; with them, only the repaired
 * one (promotions), the rest comes through mg_membership_publish_table. */
static void publish_table_for_list(mg_membership *m)
{
    if (table_matches_list(m))
        return;
    mg_uuid ms[MG_CL_MAX_MEMBERS];
    for (int i = 0; i < m->list.count; i++)
        ms[i] = m->list.members[i].uuid;
    int wanted = mg_cl_wanted_replicas(m);
    mg_pt_table *t = (m->cfg.migrations_publish_tables && m->table)
                         ? mg_pt_repair(m->table, ms, m->list.count, wanted, m->cfg.partition_count)
                         : mg_pt_assign(m->table, ms, m->list.count, wanted, m->cfg.partition_count);
    t->version = table_version_next(m);
    mg_cl_set_table(m, t);
    for (int i = 0; i < m->list.count; i++)
        if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            mg_cl_send_table(m, &m->list.members[i].uuid, &m->list.members[i].addr);
}

void mg_cl_master_publish(mg_membership *m, mg_cl_list *next, const mg_cl_member *removed)
{
    next->version = mg_cl_version((uint32_t)m->master_term, mg_cl_version_seq(m->list.version) + 1);
    next->master = m->self;
    mg_cl_set_list(m, next);   /* committed = false until a majority acknowledges */
    for (int i = 0; i < m->list.count; i++)
        if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            mg_cl_send_list(m, &m->list.members[i].uuid, &m->list.members[i].addr);
    /* The removed member hears of it once the removal is committed. */
    m->have_removed = removed != NULL;
    if (removed)
        m->removed = *removed;
    mg_cl_master_progress(m);   /* a list of one commits at once */
}

static bool fresh_report(const mg_membership *m, int i, int j, int64_t now)
{
    int64_t at = m->reported[i][j];
    return at != 0 && now - at <= 2 * m->cfg.heartbeat_interval_ms;
}

/* Partial split: members the master hears that do not hear each other.
 * Removes the member on the most broken links (never the master; on a tie
 * the youngest), until the rest is connected - the greedy cousin of
 * Hazelcast's maximum-clique search. */
static int partial_split_victim(const mg_membership *m, int me, int64_t now)
{
    int score[MG_CL_MAX_MEMBERS] = {0};
    bool any = false;
    for (int i = 0; i < m->list.count; i++)
        for (int j = 0; j < m->list.count; j++) {
            if (i == j || mg_cl_suspected(m, i) || mg_cl_suspected(m, j) || !fresh_report(m, i, j, now))
                continue;
            any = true;
            if (i == me || j == me) {
                score[i == me ? j : i] += MG_CL_MAX_MEMBERS;   /* the master stays */
            } else {
                score[i]++;
                score[j]++;
            }
        }
    if (!any)
        return -1;
    int victim = -1;
    for (int k = 0; k < m->list.count; k++)
        if (k != me && score[k] > 0 && (victim < 0 || score[k] >= score[victim]))
            victim = k;
    return victim;
}

/* True while the installed table still places a replica on list member k.
 * With a migration service, a member that leaves gracefully is removed
 * only once its data has moved elsewhere (the service leaves it out of its
 * target tables); a silent one is removed at once. */
static bool still_holds_data(const mg_membership *m, int k)
{
    if (!m->cfg.migrations_publish_tables || !m->table)
        return false;
    int me = mg_cl_self_index(m);
    bool all_leaving = true;   /* then there is nowhere to move to */
    for (int i = 0; i < m->list.count && all_leaving; i++)
        all_leaving = i == me ? m->leaving : m->peers[i].leaving;
    if (all_leaving)
        return false;
    int idx = -1;
    for (int i = 0; i < m->table->nmembers; i++)
        if (mg_uuid_eq(&m->table->members[i], &m->list.members[k].uuid))
            idx = i;
    if (idx < 0)
        return false;
    size_t n = (size_t)m->table->partitions * m->table->replicas;
    for (size_t i = 0; i < n; i++)
        if (m->table->slots[i] == (uint8_t)idx)
            return true;
    return false;
}

/* The member to remove next and why, or -1. */
static int choose_removal(mg_membership *m, const char **why)
{
    int me = mg_cl_self_index(m);
    int64_t now = mg_cl_now(m);
    for (int k = 0; k < m->list.count; k++)
        if (k != me && mg_cl_suspected(m, k) && !m->peers[k].replaced) {
            *why = m->peers[k].refused_at > m->peers[k].last_heard ? "its address refuses connections"
                                                                   : "no heartbeat within max-no-heartbeat";
            return k;
        }
    for (int k = 0; k < m->list.count; k++)
        if (k != me && m->peers[k].leaving && !still_holds_data(m, k)) {
            *why = "it asked to leave";
            return k;
        }
    for (int k = 0; k < m->list.count; k++)
        if (k != me && m->peers[k].replaced) {
            *why = "a new process joins from its address";
            return k;
        }
    int k = partial_split_victim(m, me, now);
    if (k >= 0) {
        *why = "other members cannot reach it (partial network split)";
        return k;
    }
    return -1;
}

/* A majority of the list holds its version, so that no claimant with an
 * older list can win a majority any more.  A replaced member counts: it can
 * never vote again, so it can never help such a claimant either; without
 * this, a list naming members that died before acknowledging it could never
 * commit, even after those processes restart (as new members). */
static bool commit_check(mg_membership *m)
{
    uint64_t acks = 0;
    for (int i = 0; i < m->list.count; i++)
        if (mg_uuid_eq(&m->list.members[i].uuid, &m->self) || m->peers[i].replaced ||
            (m->peers[i].acked >= m->list.version && m->peers[i].term <= m->master_term))
            acks |= 1ULL << i;
    return mg_cl_quorum_of(m, acks);
}

/* Hands mastership to the oldest member that answers, in a list without
 * this member, then stops: the successor carries on in the same term. */
static void hand_over(mg_membership *m)
{
    int me = mg_cl_self_index(m), succ = -1;
    for (int k = 0; k < m->list.count && succ < 0; k++)
        if (k != me && !mg_cl_suspected(m, k))
            succ = k;
    for (int k = 0; k < m->list.count && succ < 0; k++)
        if (k != me)
            succ = k;
    m->state = MG_CL_LEFT;
    uint64_t term = m->master_term;
    m->master_term = 0;
    if (succ >= 0) {
        mg_cl_list next = m->list;
        next.master = next.members[succ].uuid;
        next.version = mg_cl_version((uint32_t)term, mg_cl_version_seq(m->list.version) + 1);
        mg_cl_list_remove_at(&next, me);
        char to[MG_CL_ADDR_STR];
        mg_cl_addr_format(&m->list.members[succ].addr, to);
        mg_cl_logf(m, MG_LOG_INFO, "leaving: handing mastership to %s", to);
        mg_mp_msg msg;
        msg.type = MG_MP_MEMBER_LIST;
        msg.u.member_list.list = next;
        msg.u.member_list.flags = 0;
        for (int i = 0; i < next.count; i++)
            mg_cl_send(m, &next.members[i].uuid, &next.members[i].addr, &msg);
    }
    mg_cl_logf(m, MG_LOG_INFO, "left the cluster");
    if (m->io.members_changed)
        m->io.members_changed(m->io.ctx, NULL, &m->self);
}

void mg_cl_master_leave(mg_membership *m)
{
    mg_cl_master_progress(m);
}

static void drop_stale_pending(mg_membership *m, int64_t now)
{
    int k = 0;
    for (int i = 0; i < m->npending; i++)
        if (now - m->pending[i].at <= 3 * m->cfg.heartbeat_interval_ms &&
            mg_cl_list_find(&m->list, &m->pending[i].uuid) < 0)
            m->pending[k++] = m->pending[i];
    m->npending = k;
}

static void admit(mg_membership *m)
{
    if (m->npending == 0 || m->list.count >= MG_CL_MAX_MEMBERS)
        return;
    mg_cl_pending p = m->pending[0];
    memmove(&m->pending[0], &m->pending[1], (size_t)(m->npending - 1) * sizeof m->pending[0]);
    m->npending--;
    mg_cl_list next = m->list;
    mg_cl_member *e = &next.members[next.count++];
    memset(e, 0, sizeof *e);
    e->uuid = p.uuid;
    e->addr = p.addr;
    e->join_seq = mg_cl_version_seq(m->list.version) + 1;
    memcpy(e->version, p.version, 3);
    char addr[MG_CL_ADDR_STR];
    mg_cl_addr_format(&p.addr, addr);
    mg_cl_logf(m, MG_LOG_INFO, "admitting member %s (member %d)", addr, next.count);
    mg_cl_master_publish(m, &next, NULL);
}

void mg_cl_master_progress(mg_membership *m)
{
    if (m->state != MG_CL_MEMBER || !m->master_term)
        return;
    if (!m->committed) {
        if (!commit_check(m))
            return;
        m->committed = true;
        if (m->have_removed) {
            m->have_removed = false;
            mg_cl_send_list(m, &m->removed.uuid, &m->removed.addr);
        }
        publish_table_for_list(m);
    }
    if (m->leaving) {
        int me = mg_cl_self_index(m);
        bool alone = m->list.count <= 1;
        if (alone || me < 0 || !still_holds_data(m, me)) {
            hand_over(m);
            return;
        }
        /* our partitions move first; membership goes on meanwhile */
    }
    if (mg_cl_now(m) < m->changes_after)
        return;
    const char *why = NULL;
    int k = choose_removal(m, &why);
    if (k >= 0) {
        /* The list after the change needs a majority that answers. */
        mg_cl_list next = m->list;
        mg_cl_list_remove_at(&next, k);
        int alive = 0, voters = next.count;
        for (int i = 0; i < m->list.count; i++)
            if (i != k && (!mg_cl_suspected(m, i) || m->peers[i].replaced))
                alive++;   /* a replaced member acknowledges by default */
        char addr[MG_CL_ADDR_STR];
        mg_cl_addr_format(&m->list.members[k].addr, addr);
        if (!mg_cl_is_quorum(alive, voters)) {
            /* Without a majority the change could not commit anyway; the
             * members we cannot hear may well be electing a master. */
            if (!m->quorum_warned)
                mg_cl_logf(m, MG_LOG_WARN, "cannot remove member %s: only %d of the %d members left "
                           "would answer", addr, alive, voters);
            m->quorum_warned = true;
            return;
        }
        m->quorum_warned = false;
        mg_cl_member gone = m->list.members[k];
        mg_cl_logf(m, MG_LOG_INFO, "removing member %s: %s", addr, why);
        mg_cl_master_publish(m, &next, &gone);
        return;
    }
    drop_stale_pending(m, mg_cl_now(m));
    admit(m);
}

void mg_cl_on_suspects(mg_membership *m, const mg_mp_msg *msg)
{
    if (m->state != MG_CL_MEMBER || !m->master_term ||
        msg->u.suspects.list_version != m->list.version)
        return;
    int i = mg_cl_list_find(&m->list, &msg->from);
    if (i < 0)
        return;
    int64_t now = mg_cl_now(m);
    for (int k = 0; k < msg->u.suspects.count; k++) {
        int j = mg_cl_list_find(&m->list, &msg->u.suspects.uuids[k]);
        if (j >= 0 && j != i)
            m->reported[i][j] = now;
    }
    mg_cl_master_progress(m);
}

void mg_cl_report_suspects(mg_membership *m)
{
    int mi = mg_cl_list_find(&m->list, &m->list.master);
    if (mi < 0 || mg_uuid_eq(&m->list.master, &m->self))
        return;
    mg_mp_msg msg;
    msg.type = MG_MP_SUSPECT_REPORT;
    msg.u.suspects.list_version = m->list.version;
    msg.u.suspects.count = 0;
    for (int i = 0; i < m->list.count; i++)
        if (mg_cl_suspected(m, i))
            msg.u.suspects.uuids[msg.u.suspects.count++] = m->list.members[i].uuid;
    if (msg.u.suspects.count > 0)
        mg_cl_send(m, &m->list.members[mi].uuid, &m->list.members[mi].addr, &msg);
}

void mg_cl_on_leave(mg_membership *m, const mg_mp_msg *msg)
{
    if (m->state != MG_CL_MEMBER || !m->master_term)
        return;
    int i = mg_cl_list_find(&m->list, &msg->from);
    if (i < 0 || m->peers[i].leaving)
        return;
    m->peers[i].leaving = true;
    mg_cl_master_progress(m);
}
