/* membership_elect.c - who becomes master when the master goes silent.
 *
 * A member claims mastership when it is not master, its master is gone
 * (silent for max-no-heartbeat, or alive but no longer acting as master
 * after stepping down) and every member older than it is silent too.  It
 * first asks for pre-votes, which bind nobody, and only when a majority of
 * its list would vote for it does it ask for real votes in a new term.  The
 * pre-vote keeps a member behind a one-way broken link from raising terms
 * that would make a healthy master step down.
 *
 * A voter grants a (pre-)vote when the claimant is in its list; the
 * claimant's list and table are at least as new as its own; the term is newer
 * than any it voted in (or is the term it already voted for this claimant);
 * and the voter, too, finds its master gone and hears no member older than
 * the claimant.  A real vote records the term: one vote per term, so with
 * majorities of lists that differ by at most one member no two claimants win
 * the same term, and a version (term, seq) names one list only.
 */
#include "cluster/membership_int.h"

#include <string.h>

#include "util/rand.h"

static bool eligible(const mg_membership *m)
{
    if (m->state != MG_CL_MEMBER || m->master_term || m->leaving)
        return false;
    int me = mg_cl_self_index(m);
    if (me < 0 || !mg_cl_master_gone(m))
        return false;
    for (int k = 0; k < me; k++)
        if (!mg_cl_suspected(m, k))
            return false;
    return true;
}

static void send_claims(mg_membership *m)
{
    mg_mp_msg msg;
    msg.type = MG_MP_CLAIM;
    msg.u.claim.term = m->claim_term;
    msg.u.claim.list_version = m->list.version;
    msg.u.claim.table_version = m->table ? m->table->version : 0;
    msg.u.claim.flags = m->claim_pre ? MG_MP_CLAIM_PRE : 0;
    for (int i = 0; i < m->list.count; i++)
        if (!mg_uuid_eq(&m->list.members[i].uuid, &m->self))
            mg_cl_send(m, &m->list.members[i].uuid, &m->list.members[i].addr, &msg);
}

static void win(mg_membership *m)
{
    m->claiming = false;
    m->master_term = m->claim_term;
    mg_cl_logf(m, MG_LOG_INFO, "won the vote for term %llu: this member is the master",
               (unsigned long long)m->claim_term);
    /* First list of the term: same members, so that a majority acknowledges
     * this term before any member is added or removed (a list changed by a
     * master of an older term that reached only a few members can then never
     * come back). */
    mg_cl_list next = m->list;
    mg_cl_master_publish(m, &next, NULL);
}

static void check_grants(mg_membership *m)
{
    if (!mg_cl_quorum_of(m, m->grants))
        return;
    if (!m->claim_pre) {
        win(m);
        return;
    }
    if (m->term >= m->claim_term)
        return;   /* a refusal taught us a later term: next round goes past it */
    m->claim_pre = false;
    m->term = m->claim_term;
    m->voted_for = m->self;
    m->grants = 1ULL << mg_cl_self_index(m);
    send_claims(m);
    check_grants(m);
}

void mg_cl_elect_tick(mg_membership *m)
{
    if (!eligible(m)) {
        m->claiming = false;
        return;
    }
    int64_t now = mg_cl_now(m);
    if (m->claiming && now < m->next_claim)
        return;
    if (!m->claiming) {
        int mi = mg_cl_list_find(&m->list, &m->list.master);
        char addr[MG_CL_ADDR_STR] = "?";
        if (mi >= 0)
            mg_cl_addr_format(&m->list.members[mi].addr, addr);
        mg_cl_logf(m, MG_LOG_INFO, "master %s and every older member silent: claiming mastership", addr);
    }
    m->claiming = true;
    m->claim_pre = true;
    m->claim_term = m->term + 1;
    m->grants = 1ULL << mg_cl_self_index(m);
    /* Jitter, so two claimants that keep colliding drift apart. */
    int64_t jitter = (int64_t)(m->io.random(m->io.ctx) % (uint64_t)(m->cfg.heartbeat_interval_ms / 2 + 1));
    m->next_claim = now + m->cfg.heartbeat_interval_ms + jitter;
    send_claims(m);
    check_grants(m);
}

static void reply(mg_membership *m, const mg_mp_msg *req, bool granted, uint8_t reason)
{
    mg_mp_msg msg;
    msg.type = MG_MP_CLAIM_RESPONSE;
    msg.u.claim_response.granted = granted;
    msg.u.claim_response.reason = reason;
    msg.u.claim_response.term = granted ? req->u.claim.term : m->term;
    msg.u.claim_response.flags = req->u.claim.flags & MG_MP_CLAIM_PRE;
    mg_cl_send(m, &req->from, &req->from_addr, &msg);
}

/* Why this voter refuses the claim (MG_MP_VOTE_GRANTED when it does not). */
static uint8_t judge(mg_membership *m, const mg_mp_msg *req, int c)
{
    const mg_mp_claim *cl = &req->u.claim;
    uint64_t my_table = m->table ? m->table->version : 0;
    if (cl->list_version < m->list.version || cl->table_version < my_table)
        return MG_MP_VOTE_STALE;
    bool same_vote = cl->term == m->term && mg_uuid_eq(&m->voted_for, &req->from);
    if (cl->term < m->term || (cl->term == m->term && !same_vote))
        return MG_MP_VOTE_OLD_TERM;
    if (m->master_term)
        return MG_MP_VOTE_MASTER_ALIVE;
    int me = mg_cl_self_index(m);
    for (int k = 0; k < c; k++)
        if (k == me || !mg_cl_suspected(m, k))
            return MG_MP_VOTE_MASTER_ALIVE;
    int mi = mg_cl_list_find(&m->list, &m->list.master);
    if (mi != c && !mg_cl_master_gone(m))
        return MG_MP_VOTE_MASTER_ALIVE;
    return MG_MP_VOTE_GRANTED;
}

void mg_cl_on_claim(mg_membership *m, const mg_mp_msg *msg)
{
    if (m->state != MG_CL_MEMBER)
        return;
    int c = mg_cl_list_find(&m->list, &msg->from);
    if (c < 0) {
        /* A member we removed: our list tells it so. */
        if (msg->u.claim.list_version < m->list.version)
            mg_cl_send_list(m, &msg->from, &msg->from_addr);
        reply(m, msg, false, MG_MP_VOTE_NOT_MEMBER);
        return;
    }
    uint8_t why = judge(m, msg, c);
    if (why == MG_MP_VOTE_STALE) {
        if (msg->u.claim.list_version < m->list.version)
            mg_cl_send_list(m, &msg->from, &msg->from_addr);
        else
            mg_cl_send_table(m, &msg->from, &msg->from_addr);
    }
    if (why == MG_MP_VOTE_GRANTED && !(msg->u.claim.flags & MG_MP_CLAIM_PRE)) {
        m->term = msg->u.claim.term;
        m->voted_for = msg->from;
        m->claiming = false;
    }
    reply(m, msg, why == MG_MP_VOTE_GRANTED, why);
}

void mg_cl_on_claim_response(mg_membership *m, const mg_mp_msg *msg)
{
    if (m->state != MG_CL_MEMBER || !m->claiming)
        return;
    int i = mg_cl_list_find(&m->list, &msg->from);
    if (i < 0)
        return;
    const mg_mp_claim_response *r = &msg->u.claim_response;
    if (!r->granted) {
        /* The voter is in a later term: our next claim must go past it. */
        if (r->term > m->term) {
            m->term = r->term;
            m->voted_for.is_null = true;
        }
        return;
    }
    bool pre = r->flags & MG_MP_CLAIM_PRE;
    if (pre != m->claim_pre || r->term != m->claim_term)
        return;   /* an answer to an earlier round */
    m->grants |= 1ULL << i;
    check_grants(m);
}
