/* membership_join.c - finding the cluster, asking to be admitted, and the
 * checks a request must pass.
 *
 * A joiner sends a JoinRequest every heartbeat interval to every seed
 * address, and to the master once a redirect named one.  Members answer with a redirect
 * to their master; the master queues the request and admits it at its next
 * change (membership_master.c); the joiner is in once a member list naming
 * its UUID arrives.  A new process that hears from no cluster member for
 * join_timeout_ms founds a cluster, unless a joiner with a smaller address
 * is looking too (that one founds, the others join it).  A process that was
 * a member before never founds one: it was removed from a cluster that may
 * well still exist behind a broken link, and a second cluster under the same
 * name is the split brain we want to avoid.
 */
#include "cluster/membership_int.h"

#include <stdio.h>
#include <string.h>

#include "util/rand.h"

static void send_join_request(mg_membership *m, const mg_uuid *to, const mg_cl_addr *addr)
{
    if (mg_cl_addr_eq(addr, &m->cfg.self))
        return;
    mg_mp_msg msg;
    msg.type = MG_MP_JOIN_REQUEST;
    mg_mp_join_request *j = &msg.u.join_request;
    j->cluster_name = (mg_mp_str){m->cluster_name, strlen(m->cluster_name)};
    memcpy(j->version, m->cfg.version, 3);
    j->partition_count = m->cfg.partition_count;
    j->config_hash = m->cfg.config_hash;
    mg_cl_send(m, to, addr, &msg);
}

static void respond(mg_membership *m, const mg_mp_msg *req, uint8_t status, const char *reason)
{
    mg_mp_msg msg;
    msg.type = MG_MP_JOIN_RESPONSE;
    mg_mp_join_response *r = &msg.u.join_response;
    memset(r, 0, sizeof *r);
    r->status = status;
    r->master.is_null = true;
    if (m->state == MG_CL_MEMBER) {
        int mi = mg_cl_list_find(&m->list, &m->list.master);
        if (mi >= 0) {
            r->master = m->list.members[mi].uuid;
            r->master_addr = m->list.members[mi].addr;
        }
    }
    r->reason = (mg_mp_str){reason, strlen(reason)};
    mg_cl_send(m, &req->from, &req->from_addr, &msg);
}

/* Order among joiners for founding: smaller address first, then UUID. */
static int joiner_cmp(const mg_cl_addr *a, const mg_uuid *ua, const mg_cl_addr *b, const mg_uuid *ub)
{
    int c = mg_cl_addr_cmp(a, b);
    if (c)
        return c;
    if (ua->msb != ub->msb)
        return (uint64_t)ua->msb < (uint64_t)ub->msb ? -1 : 1;
    if (ua->lsb != ub->lsb)
        return (uint64_t)ua->lsb < (uint64_t)ub->lsb ? -1 : 1;
    return 0;
}

static void note_joiner(mg_membership *m, const mg_uuid *u, const mg_cl_addr *addr)
{
    int64_t now = mg_cl_now(m);
    int slot = -1, oldest = 0;
    for (int i = 0; i < m->njoiners; i++) {
        if (mg_uuid_eq(&m->joiners[i].uuid, u)) {
            slot = i;
            break;
        }
        if (m->joiners[i].at < m->joiners[oldest].at)
            oldest = i;
    }
    if (slot < 0)
        slot = m->njoiners < MG_CL_MAX_MEMBERS ? m->njoiners++ : oldest;
    m->joiners[slot] = (mg_cl_joiner){.uuid = *u, .addr = *addr, .at = now};
}

/* Checks every member applies, whatever its state; NULL when they pass.
 * Writes the refusal reason into `why`. */
static const char *refusal(mg_membership *m, const mg_mp_join_request *j, uint8_t *status,
                           char *why, size_t cap)
{
    if (j->cluster_name.len != strlen(m->cluster_name) ||
        memcmp(j->cluster_name.ptr, m->cluster_name, j->cluster_name.len) != 0) {
        *status = MG_MP_JOIN_WRONG_CLUSTER;
        snprintf(why, cap, "cluster name '%.*s' is not this cluster's '%s'",
                 (int)(j->cluster_name.len > 200 ? 200 : j->cluster_name.len), j->cluster_name.ptr,
                 m->cluster_name);
        return why;
    }
    if (j->version[0] != m->cfg.version[0] || j->version[1] != m->cfg.version[1]) {
        *status = MG_MP_JOIN_INCOMPATIBLE;
        snprintf(why, cap, "member version %u.%u.%u cannot join members of version %u.%u.%u",
                 j->version[0], j->version[1], j->version[2], m->cfg.version[0], m->cfg.version[1],
                 m->cfg.version[2]);
        return why;
    }
    if (j->partition_count != m->cfg.partition_count) {
        *status = MG_MP_JOIN_CONFIG_MISMATCH;
        snprintf(why, cap, "partition count %u differs from this cluster's %u",
                 (unsigned)j->partition_count, (unsigned)m->cfg.partition_count);
        return why;
    }
    if (j->config_hash && m->cfg.config_hash && j->config_hash != m->cfg.config_hash) {
        *status = MG_MP_JOIN_CONFIG_MISMATCH;
        snprintf(why, cap, "its map settings (backup counts, TTL, max-idle, eviction of some map section) "
                 "differ from this cluster's: digest %016llx, here %016llx; compare `memgrid --check-config` "
                 "of both", (unsigned long long)j->config_hash, (unsigned long long)m->cfg.config_hash);
        return why;
    }
    return NULL;
}

static void queue_joiner(mg_membership *m, const mg_mp_msg *req)
{
    int64_t now = mg_cl_now(m);
    for (int i = 0; i < m->npending; i++)
        if (mg_uuid_eq(&m->pending[i].uuid, &req->from)) {
            m->pending[i].at = now;
            m->pending[i].addr = req->from_addr;
            return;
        }
    if (m->npending == MG_CL_MAX_MEMBERS)
        return;   /* it asks again next interval */
    mg_cl_pending *p = &m->pending[m->npending++];
    p->uuid = req->from;
    p->addr = req->from_addr;
    memcpy(p->version, req->u.join_request.version, 3);
    p->at = now;
}

void mg_cl_on_join_request(mg_membership *m, const mg_mp_msg *msg)
{
    char why[320];
    uint8_t status;
    char from[MG_CL_ADDR_STR];
    mg_cl_addr_format(&msg->from_addr, from);
    if (refusal(m, &msg->u.join_request, &status, why, sizeof why)) {
        mg_cl_logf(m, MG_LOG_WARN, "refused join request from %s: %s", from, why);
        respond(m, msg, status, why);
        return;
    }
    if (m->state == MG_CL_MEMBER) {
        int old = mg_cl_list_find_addr(&m->list, &msg->from_addr);
        if (old >= 0 && old != mg_cl_self_index(m) &&
            !mg_uuid_eq(&m->list.members[old].uuid, &msg->from))
            m->peers[old].replaced = true;
    }
    if (m->state == MG_CL_JOINING) {
        note_joiner(m, &msg->from, &msg->from_addr);
        respond(m, msg, MG_MP_JOIN_NOT_JOINED, "this member is looking for a cluster too");
        return;
    }
    if (m->state != MG_CL_MEMBER || m->leaving)
        return;
    if (!m->master_term) {
        respond(m, msg, MG_MP_JOIN_REDIRECT, "ask the master");
        return;
    }
    int i = mg_cl_list_find(&m->list, &msg->from);
    if (i >= 0) {
        if (!mg_cl_addr_eq(&m->list.members[i].addr, &msg->from_addr)) {
            snprintf(why, sizeof why, "UUID already belongs to the member at %s",
                     m->list.members[i].addr.host);
            mg_cl_logf(m, MG_LOG_WARN, "refused join request from %s: %s", from, why);
            respond(m, msg, MG_MP_JOIN_UUID_CONFLICT, why);
            return;
        }
        /* Already in: our list was lost on the way; send it again. */
        respond(m, msg, MG_MP_JOIN_ACCEPTED, "already a member");
        mg_cl_send_list(m, &msg->from, &msg->from_addr);
        return;
    }
    if (m->list.count >= MG_CL_MAX_MEMBERS) {
        snprintf(why, sizeof why, "the cluster has the most members it can hold (%d)", MG_CL_MAX_MEMBERS);
        mg_cl_logf(m, MG_LOG_WARN, "refused join request from %s: %s", from, why);
        respond(m, msg, MG_MP_JOIN_FULL, why);
        return;
    }
    queue_joiner(m, msg);
    respond(m, msg, MG_MP_JOIN_ACCEPTED, "admission queued");
    mg_cl_master_progress(m);
}

static bool refused_before(mg_membership *m, const mg_cl_addr *a)
{
    for (int i = 0; i < m->nrefused; i++)
        if (mg_cl_addr_eq(&m->refused_by[i], a))
            return true;
    if (m->nrefused < (int)(sizeof m->refused_by / sizeof m->refused_by[0]))
        m->refused_by[m->nrefused++] = *a;
    return false;
}

void mg_cl_on_join_response(mg_membership *m, const mg_mp_msg *msg)
{
    if (m->state != MG_CL_JOINING)
        return;
    const mg_mp_join_response *r = &msg->u.join_response;
    int64_t now = mg_cl_now(m);
    switch (r->status) {
    case MG_MP_JOIN_ACCEPTED:
        m->last_member_answer = now;
        break;
    case MG_MP_JOIN_REDIRECT:
        m->last_member_answer = now;
        if (!r->master.is_null && !mg_uuid_eq(&r->master, &m->self)) {
            bool fresh = !m->have_hint || !mg_uuid_eq(&m->hint_uuid, &r->master);
            m->have_hint = true;
            m->hint_uuid = r->master;
            m->hint_addr = r->master_addr;
            m->hint_at = now;
            if (fresh)
                send_join_request(m, &m->hint_uuid, &m->hint_addr);
        }
        break;
    case MG_MP_JOIN_NOT_JOINED:
        note_joiner(m, &msg->from, &msg->from_addr);
        break;
    default: {
        char from[MG_CL_ADDR_STR];
        mg_cl_addr_format(&msg->from_addr, from);
        if (!refused_before(m, &msg->from_addr))
            mg_cl_logf(m, MG_LOG_WARN, "member %s refused to let this member join: %.*s", from,
                       (int)(r->reason.len > 300 ? 300 : r->reason.len), r->reason.ptr);
        break;
    }
    }
}

static void found_cluster(mg_membership *m)
{
    mg_cl_list l;
    memset(&l, 0, sizeof l);
    uint32_t term = (uint32_t)m->term + 1;
    l.version = mg_cl_version(term, 1);
    l.cluster_id = mg_cl_new_uuid(m);
    l.master = m->self;
    l.count = 1;
    l.members[0] = (mg_cl_member){.uuid = m->self, .addr = m->cfg.self, .join_seq = 1};
    memcpy(l.members[0].version, m->cfg.version, 3);
    m->term = term;
    m->voted_for = m->self;
    mg_cl_logf(m, MG_LOG_INFO, "no member of cluster '%s' answered in %lld ms: starting the cluster, "
               "as its master", m->cluster_name, (long long)(mg_cl_now(m) - m->join_started));
    mg_cl_become_member(m, &l);   /* master of its own term: set_list saw master == self */
    mg_cl_master_progress(m);     /* a list of one is committed at once; the table follows */
}

/* May this new process found the cluster now?  Once any member has
 * answered, the cluster exists: a few lost answers must not make us start
 * a rival one, so it takes ten join timeouts of silence after that. */
static bool may_found(mg_membership *m, int64_t now)
{
    int64_t quiet = m->last_member_answer == MG_CL_NEVER ? m->cfg.join_timeout_ms
                                                           : 10 * m->cfg.join_timeout_ms;
    if (m->was_member || now - m->last_member_answer < quiet)
        return false;
    bool all_unreachable = m->cfg.nseeds > 0;
    for (int i = 0; i < m->cfg.nseeds; i++)
        if (!mg_cl_addr_eq(&m->seeds[i], &m->cfg.self) && !(m->unreachable & (1ULL << i)))
            all_unreachable = false;
    int64_t waited = now - m->join_started;
    if (waited < m->cfg.join_timeout_ms &&
        !(all_unreachable && waited >= m->cfg.heartbeat_interval_ms))
        return false;
    for (int i = 0; i < m->njoiners; i++)
        if (now - m->joiners[i].at < m->cfg.join_timeout_ms &&
            joiner_cmp(&m->joiners[i].addr, &m->joiners[i].uuid, &m->cfg.self, &m->self) < 0)
            return false;   /* a smaller joiner is around: it founds, we join */
    return true;
}

void mg_cl_join_tick(mg_membership *m)
{
    int64_t now = mg_cl_now(m);
    if (may_found(m, now)) {
        found_cluster(m);
        return;
    }
    if (now < m->next_join_send)
        return;
    m->next_join_send = now + m->cfg.heartbeat_interval_ms;
    if (m->have_hint && now - m->hint_at > 3 * m->cfg.heartbeat_interval_ms)
        m->have_hint = false;
    /* The master named by a redirect, and the seeds as well: a master that
     * does not answer (paused, behind a cut) must not make us conclude that
     * no cluster exists while its members keep answering. */
    if (m->have_hint)
        send_join_request(m, &m->hint_uuid, &m->hint_addr);
    for (int i = 0; i < m->cfg.nseeds; i++)
        if (!(m->have_hint && mg_cl_addr_eq(&m->hint_addr, &m->seeds[i])))
            send_join_request(m, NULL, &m->seeds[i]);
    for (int i = 0; i < m->nrejoin; i++) {
        bool seed = false;
        for (int k = 0; k < m->cfg.nseeds && !seed; k++)
            seed = mg_cl_addr_eq(&m->seeds[k], &m->rejoin_addrs[i]);
        if (!seed && !(m->have_hint && mg_cl_addr_eq(&m->hint_addr, &m->rejoin_addrs[i])))
            send_join_request(m, NULL, &m->rejoin_addrs[i]);
    }
    if (m->was_member && now - m->last_looking_log >= 10 * m->cfg.heartbeat_interval_ms) {
        m->last_looking_log = now;
        mg_cl_logf(m, MG_LOG_INFO, "still looking for the cluster to rejoin");
    }
}

void mg_cl_rejoin(mg_membership *m, const char *why)
{
    char old[37], fresh[37];
    mg_uuid u = mg_cl_new_uuid(m);
    mg_uuid_format(&m->self, old);
    mg_uuid_format(&u, fresh);
    mg_cl_logf(m, MG_LOG_WARN, "%s: rejoining as a new member (UUID %s, was %s)", why, fresh, old);
    m->nrejoin = 0;
    for (int i = 0; i < m->list.count; i++)
        if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            m->rejoin_addrs[m->nrejoin++] = m->list.members[i].addr;
    m->self = u;
    m->state = MG_CL_JOINING;
    m->was_member = true;
    m->master_term = 0;
    m->claiming = false;
    m->npending = 0;
    m->have_hint = false;
    m->njoiners = 0;
    m->join_started = mg_cl_now(m);
    m->next_join_send = m->join_started;
    m->start_over_at = MG_CL_NEVER;
    if (m->io.members_changed)
        m->io.members_changed(m->io.ctx, NULL, &m->self);
    mg_cl_set_table(m, NULL);
}

void mg_cl_start_over(mg_membership *m)
{
    char why[200];
    snprintf(why, sizeof why, "this cluster never held hazelcast.initial.min.cluster.size (%d) members, and a "
             "member with a smaller address is known (a cluster that formed apart); starting over",
             m->cfg.initial_min_size);
    mg_cl_rejoin(m, why);
    m->was_member = false;   /* it never served: it may found or join like a new process */
    m->last_member_answer = MG_CL_NEVER;
}
