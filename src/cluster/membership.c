/* membership.c - life cycle of the machine, message dispatch, ticks, and
 * the rules every member applies to member lists, tables and heartbeats.
 * The master's, the joiner's and the claimant's parts live in their own
 * files (membership_int.h lists them). */
#include "cluster/membership_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/rand.h"

void mg_membership_config_defaults(mg_membership_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    mg_cl_addr_set(&cfg->self, "127.0.0.1", 5701);
    cfg->cluster_name = "dev";
    cfg->version[0] = 0;
    cfg->version[1] = 1;
    cfg->version[2] = 0;
    cfg->partition_count = 271;
    cfg->backup_count = 1;
    cfg->async_backup_count = 0;
    cfg->heartbeat_interval_ms = 1000;
    cfg->max_no_heartbeat_ms = 2000;
    cfg->join_timeout_ms = 3000;
}

/* ---- helpers shared by the machine's files ------------------------------ */

void mg_cl_logf(mg_membership *m, mg_log_level lvl, const char *fmt, ...)
{
    if (!m->io.log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    m->io.log(m->io.ctx, lvl, line);
}

int64_t mg_cl_now(mg_membership *m)
{
    return m->io.now_ms(m->io.ctx);
}

mg_uuid mg_cl_new_uuid(mg_membership *m)
{
    uint64_t seed = m->io.random(m->io.ctx);
    return mg_uuid_random(&seed);
}

int mg_cl_wanted_replicas(const mg_membership *m)
{
    return 1 + (m->cfg.backup_count > 0 ? m->cfg.backup_count : 0) +
           (m->cfg.async_backup_count > 0 ? m->cfg.async_backup_count : 0);
}

void mg_cl_send(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr, mg_mp_msg *msg)
{
    msg->from = m->self;
    msg->from_addr = m->cfg.self;
    mg_buf_reset(&m->out);
    mg_mp_encode(&m->out, msg);
    m->io.send(m->io.ctx, to, addr, m->out.data, m->out.len);
}

void mg_cl_send_list(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr)
{
    mg_mp_msg msg;
    msg.type = MG_MP_MEMBER_LIST;
    msg.u.member_list.list = m->list;
    msg.u.member_list.flags = m->committed ? MG_MP_COMMITTED : 0;
    mg_cl_send(m, to, addr, &msg);
}

void mg_cl_send_table(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr)
{
    if (!m->table)
        return;
    mg_mp_msg msg;
    msg.type = MG_MP_PARTITION_TABLE;
    mg_mp_table *t = &msg.u.table;
    t->version = m->table->version;
    t->partitions = m->table->partitions;
    t->replicas = m->table->replicas;
    t->nmembers = m->table->nmembers;
    memcpy(t->members, m->table->members, (size_t)t->nmembers * sizeof t->members[0]);
    t->slots = m->table->slots;
    mg_cl_send(m, to, addr, &msg);
}

void mg_cl_send_heartbeat(mg_membership *m, int i)
{
    const mg_cl_member *to = &m->list.members[i];
    mg_mp_msg msg;
    msg.type = MG_MP_HEARTBEAT;
    mg_mp_heartbeat *h = &msg.u.heartbeat;
    h->cluster_id = m->list.cluster_id;
    h->term = m->term;
    h->list_version = m->list.version;
    h->table_version = m->table ? m->table->version : 0;
    /* The master we follow; a master names itself only while it holds the
     * office, so that a master that stepped down stops blocking claims. */
    h->master = m->list.master;
    if (mg_uuid_eq(&m->list.master, &m->self) && !m->master_term)
        h->master.is_null = true;
    h->timestamp = mg_cl_now(m);
    h->flags = m->committed ? MG_MP_COMMITTED : 0;
    h->echo = m->peers[i].their_time;
    mg_cl_send(m, &to->uuid, &to->addr, &msg);
}

int mg_cl_self_index(const mg_membership *m)
{
    return mg_cl_list_find(&m->list, &m->self);
}

bool mg_cl_suspected(const mg_membership *m, int i)
{
    if (i < 0 || i >= m->list.count || mg_uuid_eq(&m->list.members[i].uuid, &m->self))
        return false;
    const mg_cl_peer *p = &m->peers[i];
    return p->replaced || p->refused_at > p->last_heard ||
           m->io.now_ms(m->io.ctx) - p->last_heard > m->cfg.max_no_heartbeat_ms;
}

bool mg_cl_master_gone(const mg_membership *m)
{
    int mi = mg_cl_list_find(&m->list, &m->list.master);
    if (mi < 0 || mg_uuid_eq(&m->list.master, &m->self))
        return !m->master_term;
    return mg_cl_suspected(m, mi) || !m->peers[mi].acts_as_master;
}

bool mg_cl_quorum_of(const mg_membership *m, uint64_t mask)
{
    return mg_cl_is_quorum(__builtin_popcountll(mask & (m->list.count >= 64 ? ~0ULL
                                                        : (1ULL << m->list.count) - 1)),
                           m->list.count);
}

void mg_cl_set_list(mg_membership *m, const mg_cl_list *l)
{
    int64_t now = mg_cl_now(m);
    mg_cl_peer peers[MG_CL_MAX_MEMBERS];
    for (int i = 0; i < l->count; i++) {
        int j = mg_cl_list_find(&m->list, &l->members[i].uuid);
        if (j >= 0 && m->state == MG_CL_MEMBER)
            peers[i] = m->peers[j];
        else
            peers[i] = (mg_cl_peer){.last_heard = now, .refused_at = MG_CL_NEVER};
        /* Trust the list's master to act as one until it says otherwise. */
        if (mg_uuid_eq(&l->members[i].uuid, &l->master))
            peers[i].acts_as_master = true;
    }
    memcpy(m->peers, peers, sizeof peers);
    /* Suspicion reports are indexed by position; they are re-sent every
     * interval, so forgetting them on a change costs one interval. */
    memset(m->reported, 0, sizeof m->reported);
    m->list = *l;
    m->last_list_version = l->version;
    m->last_cluster_id = l->cluster_id;
    uint64_t t = mg_cl_version_term(l->version);
    if (t > m->term) {
        m->term = t;
        m->voted_for.is_null = true;
    }
    m->claiming = false;
    m->committed = false;
    if (mg_uuid_eq(&l->master, &m->self) && t == m->term) {
        if (m->master_term != t)
            mg_cl_logf(m, MG_LOG_INFO, "this member is now the master (term %u)", (unsigned)t);
        m->master_term = t;   /* handed over, or our own publication */
    } else {
        m->master_term = 0;
        m->npending = 0;
    }
    if (m->io.members_changed)
        m->io.members_changed(m->io.ctx, &m->list, &m->self);
    /* Acknowledge to the master at once: it waits for a majority before its
     * next change, so a prompt ack keeps changes one round trip apart. */
    int mi = mg_cl_list_find(&m->list, &m->list.master);
    if (mi >= 0 && !mg_uuid_eq(&m->list.master, &m->self))
        mg_cl_send_heartbeat(m, mi);
    if (l->count >= m->cfg.initial_min_size)
        m->reached_min = true;
    else if (m->start_over_at == MG_CL_NEVER)
        m->start_over_at = now + 2 * m->cfg.join_timeout_ms +
                           (int64_t)(m->io.random(m->io.ctx) % (uint64_t)(m->cfg.join_timeout_ms + 1));
}

void mg_cl_set_table(mg_membership *m, mg_pt_table *t)
{
    mg_pt_free(m->table);
    m->table = t;
    if (t)
        m->last_table_version = t->version;
    if (m->io.partitions_changed)
        m->io.partitions_changed(m->io.ctx, t);
}

void mg_cl_become_member(mg_membership *m, const mg_cl_list *l)
{
    if (!mg_uuid_eq(&l->cluster_id, &m->last_cluster_id))
        m->last_table_version = 0;   /* another cluster numbers its tables anew */
    m->state = MG_CL_MEMBER;
    m->was_member = true;
    m->have_hint = false;
    m->njoiners = 0;
    m->master_term = 0;
    m->next_heartbeat = mg_cl_now(m);
    memset(&m->list, 0, sizeof m->list);
    mg_cl_set_list(m, l);
    int me = mg_cl_self_index(m), mi = mg_cl_list_find(l, &l->master);
    char addr[MG_CL_ADDR_STR] = "?";
    if (mi >= 0)
        mg_cl_addr_format(&l->members[mi].addr, addr);
    mg_cl_logf(m, MG_LOG_INFO, "joined the cluster as member %d of %d (list version %u.%u, master %s)",
               me + 1, l->count, (unsigned)mg_cl_version_term(l->version),
               (unsigned)mg_cl_version_seq(l->version), addr);
}

/* ---- what every member does with lists, tables, heartbeats -------------- */

static void on_member_list(mg_membership *m, const mg_mp_msg *msg)
{
    const mg_cl_list *l = &msg->u.member_list.list;
    bool committed = msg->u.member_list.flags & MG_MP_COMMITTED;
    if (l->count == 0 || l->master.is_null || l->cluster_id.is_null)
        return;
    bool listed = mg_cl_list_find(l, &m->self) >= 0;
    if (m->state == MG_CL_JOINING) {
        /* Admitted: the master's list names our (current) UUID.  Versions
         * compare only within one cluster. */
        bool newer = !mg_uuid_eq(&l->cluster_id, &m->last_cluster_id) || l->version > m->last_list_version;
        if (listed && newer) {
            mg_cl_become_member(m, l);
            m->committed = committed;
        }
        return;
    }
    if (m->state != MG_CL_MEMBER || !mg_uuid_eq(&l->cluster_id, &m->list.cluster_id))
        return;
    if (l->version == m->list.version && committed)
        m->committed = true;
    if (l->version <= m->list.version)
        return;
    if (!listed) {
        if (m->leaving) {
            mg_cl_logf(m, MG_LOG_INFO, "left the cluster");
            m->state = MG_CL_LEFT;
            m->master_term = 0;
            if (m->io.members_changed)
                m->io.members_changed(m->io.ctx, NULL, &m->self);
            return;
        }
        /* A removal a majority has not acknowledged may never happen (its
         * master may be cut off, or replaced); giving up our UUID for it
         * could cost the cluster its majority.  Wait for the committed word. */
        if (!committed)
            return;
        m->last_list_version = l->version;
        m->last_cluster_id = l->cluster_id;
        mg_cl_rejoin(m, "a newer member list no longer contains this member");
        return;
    }
    /* Installed even when its term is older than one we voted in: a newer
     * version is newer whoever made it.  What keeps a replaced master from
     * committing is on its side: it counts no acknowledgement from a member
     * in a later term, and steps down on seeing one. */
    mg_cl_set_list(m, l);
    m->committed = committed;
}

static void on_table(mg_membership *m, const mg_mp_msg *msg)
{
    const mg_mp_table *w = &msg->u.table;
    if (m->state != MG_CL_MEMBER || w->partitions != m->cfg.partition_count ||
        w->version <= m->last_table_version)
        return;
    mg_pt_table *t = mg_pt_new(w->partitions, w->replicas, w->members, w->nmembers);
    t->version = w->version;
    memcpy(t->slots, w->slots, (size_t)w->partitions * w->replicas);
    mg_cl_set_table(m, t);
}

static void on_heartbeat(mg_membership *m, const mg_mp_msg *msg)
{
    const mg_mp_heartbeat *h = &msg->u.heartbeat;
    if (m->state != MG_CL_MEMBER || !mg_uuid_eq(&h->cluster_id, &m->list.cluster_id))
        return;
    uint64_t my_table = m->table ? m->table->version : 0;
    int i = mg_cl_list_find(&m->list, &msg->from);
    if (i < 0) {
        /* Not in our list: removed (it learns so from our newer list), or
         * admitted in a list we have not seen (its heartbeat back makes it
         * send us that list). */
        if (h->list_version < m->list.version)
            mg_cl_send_list(m, &msg->from, &msg->from_addr);
        return;
    }
    mg_cl_peer *p = &m->peers[i];
    p->last_heard = mg_cl_now(m);
    p->their_time = h->timestamp;
    if (h->echo > p->echoed)
        p->echoed = h->echo;
    p->term = h->term;
    p->acked = h->list_version;
    p->table_version = h->table_version;
    p->acts_as_master = mg_uuid_eq(&h->master, &msg->from);
    if ((h->flags & MG_MP_COMMITTED) && h->list_version == m->list.version &&
        mg_uuid_eq(&msg->from, &m->list.master))
        m->committed = true;
    /* The newer side sends what the older one lacks; a member that is
     * behind answers with a heartbeat so that the other side learns it. */
    if (h->list_version < m->list.version)
        mg_cl_send_list(m, &msg->from, &msg->from_addr);
    if (h->table_version < my_table)
        mg_cl_send_table(m, &msg->from, &msg->from_addr);
    if (h->list_version > m->list.version || h->table_version > my_table)
        mg_cl_send_heartbeat(m, i);
    if (m->master_term && h->term > m->master_term) {
        /* Someone voted in a newer term: this member's authority ended. */
        mg_cl_logf(m, MG_LOG_INFO, "member %s is in term %llu, past this master's %llu: stepping down",
                   msg->from_addr.host, (unsigned long long)h->term,
                   (unsigned long long)m->master_term);
        m->master_term = 0;
        if (h->term > m->term) {
            m->term = h->term;
            m->voted_for.is_null = true;
        }
        return;
    }
    if (m->master_term)
        mg_cl_master_progress(m);
}

typedef void (*handler_fn)(mg_membership *m, const mg_mp_msg *msg);

static const handler_fn handlers[] = {
    [MG_MP_JOIN_REQUEST] = mg_cl_on_join_request,
    [MG_MP_JOIN_RESPONSE] = mg_cl_on_join_response,
    [MG_MP_MEMBER_LIST] = on_member_list,
    [MG_MP_HEARTBEAT] = on_heartbeat,
    [MG_MP_SUSPECT_REPORT] = mg_cl_on_suspects,
    [MG_MP_PARTITION_TABLE] = on_table,
    [MG_MP_CLAIM] = mg_cl_on_claim,
    [MG_MP_CLAIM_RESPONSE] = mg_cl_on_claim_response,
    [MG_MP_LEAVE] = mg_cl_on_leave,
};

/* Called on every entry into the machine.  A jump this large means this
 * process did not run (SIGSTOP, a VM pause): silence we measured includes
 * our own.  Restart every deadline rather than suspect everyone; whoever
 * really died is found again one timeout later, and a master that removed
 * us meanwhile tells us so.  Done before the first message after the pause
 * is handled, so that nothing acts on the stale deadlines. */
static void observe_time(mg_membership *m, int64_t now)
{
    if (m->last_tick != MG_CL_NEVER && now - m->last_tick > m->cfg.max_no_heartbeat_ms / 2) {
        if (m->state == MG_CL_MEMBER) {
            mg_cl_logf(m, MG_LOG_WARN, "no tick for %lld ms (was this process paused?); "
                       "restarting heartbeat deadlines", (long long)(now - m->last_tick));
            for (int i = 0; i < m->list.count; i++)
                m->peers[i].last_heard = now;
            m->paused_at = now;   /* serving waits for fresh heartbeats (mg_membership_may_serve) */
            /* Reports queued during the pause describe the past. */
            memset(m->reported, 0, sizeof m->reported);
            /* The others may have elected a master meanwhile.  Until current
             * heartbeats have had time to say so (a later term makes this
             * master step down), it changes nothing: a removal published now
             * would never commit, yet make the removed member give up its
             * identity. */
            m->changes_after = now + 2 * m->cfg.heartbeat_interval_ms;
        } else if (m->state == MG_CL_JOINING) {
            /* Nobody could answer a joiner that was not running: its wait
             * for a cluster starts again, or it would found one at once. */
            m->join_started = now;
            m->next_join_send = now;
            m->unreachable = 0;
        }
    }
    m->last_tick = now;
}

/* ---- public API -------------------------------------------------------- */

mg_membership *mg_membership_new(const mg_membership_config *cfg, const mg_cl_io *io)
{
    mg_membership *m = mg_xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    snprintf(m->cluster_name, sizeof m->cluster_name, "%s", cfg->cluster_name ? cfg->cluster_name : "dev");
    m->cfg.cluster_name = m->cluster_name;
    m->cfg.nseeds = cfg->nseeds < 0 ? 0 : cfg->nseeds > MG_CL_MAX_SEEDS ? MG_CL_MAX_SEEDS : cfg->nseeds;
    if (m->cfg.nseeds)
        memcpy(m->seeds, cfg->seeds, (size_t)m->cfg.nseeds * sizeof m->seeds[0]);
    m->cfg.seeds = m->seeds;
    m->io = *io;
    mg_buf_init(&m->out);
    m->state = MG_CL_IDLE;
    m->self = mg_cl_new_uuid(m);
    m->voted_for.is_null = true;
    m->last_cluster_id.is_null = true;
    m->last_tick = MG_CL_NEVER;
    m->paused_at = MG_CL_NEVER;
    m->start_over_at = MG_CL_NEVER;
    m->last_looking_log = MG_CL_NEVER;
    return m;
}

void mg_membership_free(mg_membership *m)
{
    if (!m)
        return;
    mg_pt_free(m->table);
    mg_buf_free(&m->out);
    free(m);
}

void mg_membership_start(mg_membership *m)
{
    if (m->state != MG_CL_IDLE)
        return;
    m->state = MG_CL_JOINING;
    m->join_started = mg_cl_now(m);
    m->next_join_send = m->join_started;
    m->last_member_answer = MG_CL_NEVER;
    m->last_tick = m->join_started;
    mg_cl_logf(m, MG_LOG_INFO, "looking for cluster '%s' (%d seed addresses)", m->cluster_name,
               m->cfg.nseeds);
    mg_cl_join_tick(m);
}

int mg_membership_receive(mg_membership *m, const uint8_t *frame, size_t len)
{
    mg_mp_msg *msg = mg_xmalloc(sizeof *msg);   /* ~8 KB: keep it off small stacks */
    size_t used;
    observe_time(m, mg_cl_now(m));
    int rc = mg_mp_decode(frame, len, msg, &used);
    if (rc == MG_MP_OK && !mg_uuid_eq(&msg->from, &m->self) && m->state != MG_CL_IDLE &&
        m->state != MG_CL_LEFT && msg->type < sizeof handlers / sizeof handlers[0] &&
        handlers[msg->type])
        handlers[msg->type](m, msg);
    free(msg);
    return rc;
}

/* A cluster that never held initial_min_size members, while a seed
 * outside it has a smaller address than any of its members: another
 * cluster of the name formed apart, and the one holding the smallest
 * address is the one that stays (it never starts over).  A seed that
 * refused a connection is not running: it will join this cluster when it
 * starts, so it is no reason to start over. */
static bool start_over_due(const mg_membership *m, int64_t now)
{
    if (m->cfg.initial_min_size < 2 || m->reached_min || m->start_over_at == MG_CL_NEVER || now < m->start_over_at)
        return false;
    const mg_cl_addr *least = &m->list.members[0].addr;
    for (int i = 1; i < m->list.count; i++)
        if (mg_cl_addr_cmp(&m->list.members[i].addr, least) < 0)
            least = &m->list.members[i].addr;
    for (int i = 0; i < m->cfg.nseeds; i++)
        if (mg_cl_list_find_addr(&m->list, &m->seeds[i]) < 0 && mg_cl_addr_cmp(&m->seeds[i], least) < 0 &&
            !(m->unreachable & (1ULL << i)))
            return true;
    return false;
}

static void member_tick(mg_membership *m, int64_t now)
{
    if (start_over_due(m, now)) {
        mg_cl_start_over(m);
        return;
    }
    if (now >= m->next_heartbeat) {
        m->next_heartbeat = now + m->cfg.heartbeat_interval_ms;
        for (int i = 0; i < m->list.count; i++)
            if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
                mg_cl_send_heartbeat(m, i);
        if (!m->master_term)
            mg_cl_report_suspects(m);
        if (m->leaving && !m->master_term) {
            int mi = mg_cl_list_find(&m->list, &m->list.master);
            if (mi >= 0) {
                mg_mp_msg msg;
                msg.type = MG_MP_LEAVE;
                msg.u.leave.list_version = m->list.version;
                mg_cl_send(m, &m->list.members[mi].uuid, &m->list.members[mi].addr, &msg);
            }
        }
    }
    mg_cl_elect_tick(m);
    if (m->master_term)
        mg_cl_master_progress(m);
}

void mg_membership_tick(mg_membership *m)
{
    int64_t now = mg_cl_now(m);
    observe_time(m, now);
    if (m->state == MG_CL_JOINING)
        mg_cl_join_tick(m);
    else if (m->state == MG_CL_MEMBER)
        member_tick(m, now);
}

void mg_membership_peer_unreachable(mg_membership *m, const mg_cl_addr *addr, bool refused)
{
    for (int i = 0; i < m->cfg.nseeds; i++)
        if (mg_cl_addr_eq(&m->seeds[i], addr))
            m->unreachable |= 1ULL << i;
    if (!refused || m->state != MG_CL_MEMBER)
        return;
    int64_t now = mg_cl_now(m);
    for (int i = 0; i < m->list.count; i++) {
        if (!mg_cl_addr_eq(&m->list.members[i].addr, addr) || mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            continue;
        if (m->peers[i].refused_at <= m->peers[i].last_heard)
            mg_cl_logf(m, MG_LOG_INFO, "member %s:%u refuses connections: it is gone", addr->host,
                       (unsigned)addr->port);
        m->peers[i].refused_at = now;
    }
}

bool mg_membership_add_seed(mg_membership *m, const mg_cl_addr *addr)
{
    if (mg_cl_addr_eq(addr, &m->cfg.self) || m->cfg.nseeds == MG_CL_MAX_SEEDS)
        return false;
    for (int i = 0; i < m->cfg.nseeds; i++)
        if (mg_cl_addr_eq(&m->seeds[i], addr))
            return false;
    m->seeds[m->cfg.nseeds++] = *addr;
    if (m->state == MG_CL_JOINING)
        m->next_join_send = mg_cl_now(m);
    return true;
}

void mg_membership_leave(mg_membership *m)
{
    if (m->state == MG_CL_IDLE || m->state == MG_CL_JOINING) {
        m->state = MG_CL_LEFT;
        return;
    }
    if (m->state != MG_CL_MEMBER || m->leaving)
        return;
    m->leaving = true;
    mg_cl_logf(m, MG_LOG_INFO, "leaving the cluster");
    if (m->master_term)
        mg_cl_master_leave(m);
    else
        m->next_heartbeat = mg_cl_now(m);   /* the LEAVE goes with the next tick */
}

int mg_membership_publish_table(mg_membership *m, const mg_pt_table *t)
{
    if (m->state != MG_CL_MEMBER || !m->master_term || !m->committed ||
        t->partitions != m->cfg.partition_count || mg_pt_check(t) != 0)
        return -1;
    for (int i = 0; i < t->nmembers; i++)
        if (mg_cl_list_find(&m->list, &t->members[i]) < 0)
            return -1;
    mg_pt_table *c = mg_pt_copy(t);
    c->version = mg_cl_version((uint32_t)m->master_term, mg_cl_version_seq(m->last_table_version) + 1);
    mg_cl_set_table(m, c);
    for (int i = 0; i < m->list.count; i++)
        if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            mg_cl_send_table(m, &m->list.members[i].uuid, &m->list.members[i].addr);
    return 0;
}

mg_cl_state mg_membership_state(const mg_membership *m) { return m->state; }
const mg_uuid *mg_membership_self(const mg_membership *m) { return &m->self; }
const mg_pt_table *mg_membership_table(const mg_membership *m) { return m->table; }
uint64_t mg_membership_term(const mg_membership *m) { return m->term; }

const mg_cl_list *mg_membership_list(const mg_membership *m)
{
    return m->state == MG_CL_MEMBER ? &m->list : NULL;
}

bool mg_membership_is_master(const mg_membership *m)
{
    return m->state == MG_CL_MEMBER && m->master_term != 0;
}

bool mg_membership_has_quorum(const mg_membership *m)
{
    if (m->state != MG_CL_MEMBER)
        return false;
    uint64_t alive = 0;
    for (int i = 0; i < m->list.count; i++)
        if (!mg_cl_suspected(m, i))
            alive |= 1ULL << i;
    return mg_cl_quorum_of(m, alive);
}

bool mg_membership_may_serve(const mg_membership *m)
{
    if (m->state != MG_CL_MEMBER)
        return false;
    int64_t now = m->io.now_ms(m->io.ctx);
    int64_t fresh = m->cfg.max_no_heartbeat_ms * 3 / 4;
    uint64_t heard = 0;
    for (int i = 0; i < m->list.count; i++) {
        const mg_cl_peer *p = &m->peers[i];
        if (mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            heard |= 1ULL << i;
        else if (!mg_cl_suspected(m, i) && now - p->last_heard <= fresh && p->echoed > m->paused_at &&
                 p->acked <= m->list.version)
            heard |= 1ULL << i;
    }
    return mg_cl_quorum_of(m, heard);
}

bool mg_membership_is_leaving(const mg_membership *m, const mg_uuid *member)
{
    if (mg_uuid_eq(member, &m->self))
        return m->leaving;
    int i = mg_cl_list_find(&m->list, member);
    return i >= 0 && m->peers[i].leaving;
}
