/* cluster_sim.h - a deterministic cluster of membership machines in virtual
 * time, for the tests (STYLE.md example 12).
 *
 * Each node is an mg_membership driven through its mg_cl_io: its clock is
 * the simulator's (plus a per-node offset: machines only use differences),
 * its randomness a seeded generator, its sends go into one in-memory queue
 * and arrive after a random delay.  The test can cut links (one direction
 * or both), drop a share of messages, pause a node (it neither ticks nor
 * reads; what is sent to it waits, like a stopped process's socket buffer),
 * kill it (what is sent to it is lost, and the sender hears "unreachable"),
 * and restart a fresh process at the same address.  One seed fixes the whole
 * run.
 *
 * While it runs, it checks after every event:
 *   - one version, one list: every list any node ever installs is recorded
 *     by version, and a second, different list under a known version fails;
 *     the same for partition tables;
 *   - versions never go down on a node (across rejoins of the same process);
 *   - no two nodes are master of the same term;
 *   - every installed table passes mg_pt_check.
 * Header-only (static functions): the Makefile builds only the test_*.c
 * files of test/unit, and this is included by them.
 */
#ifndef MG_TEST_CLUSTER_SIM_H
#define MG_TEST_CLUSTER_SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/member_proto.h"
#include "cluster/membership.h"
#include "util/rand.h"

#define SIM_MAX 9
#define SIM_TICK_MS 50
#define SIM_LOG_LINES 256

typedef struct sim sim;

typedef struct sim_node {
    sim *s;
    int id;
    mg_membership *m;
    bool alive, paused;
    /* Takes at most one frame per ms, as a process working through a
     * backlog after SIGCONT (or a slow sanitizer build) does. */
    bool slow_reader;
    mg_cl_addr addr;
    char cluster_name[32];
    uint64_t rng;
    int64_t clock_offset;
    int64_t next_tick;
    int incarnation;            /* restarts of the process */
    /* Observed through the io callbacks. */
    uint64_t max_list_version;
    uint64_t max_table_version;
    int lists_installed;
    int left_list;              /* members_changed(NULL) calls */
    mg_uuid cluster;            /* of the last list installed */
    char log[SIM_LOG_LINES][200];
    int nlog;
} sim_node;

typedef struct sim_msg {
    int64_t at;
    uint64_t seq;
    int from, to;
    bool unreachable;           /* a connection-refused notice to `from` */
    mg_cl_addr addr;            /* the address that was dialled */
    size_t len;
    uint8_t *bytes;
} sim_msg;

typedef struct sim_seen {
    mg_uuid cluster;     /* versions are per cluster */
    uint64_t version;
    uint64_t hash;
} sim_seen;

struct sim {
    int64_t now;
    uint64_t rng;
    int n;
    sim_node nodes[SIM_MAX];
    bool cut[SIM_MAX][SIM_MAX];    /* from -> to dropped */
    int min_delay, max_delay;      /* ms */
    int drop_per_mille;
    sim_msg *q;
    size_t nq, capq;
    uint64_t seq;
    sim_seen lists[8192], tables[8192];
    int nlists, ntables;
    mg_membership_config base;     /* seeds point at every node's address */
    mg_cl_addr seed_addrs[SIM_MAX];
    bool verbose;
    int violations;
    char first_violation[300];
    uint64_t messages;
};

static void sim_violation(sim *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (s->violations++ == 0) {
        vsnprintf(s->first_violation, sizeof s->first_violation, fmt, ap);
        fprintf(stderr, "[sim t=%lld] VIOLATION: %s\n", (long long)s->now, s->first_violation);
    }
    va_end(ap);
}

static uint64_t sim_rand(sim *s) { return mg_rand_next(&s->rng); }

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t list_hash(const mg_cl_list *l)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, &l->cluster_id.msb, 8);
    h = fnv(h, &l->master.msb, 8);
    h = fnv(h, &l->master.lsb, 8);
    for (int i = 0; i < l->count; i++) {
        h = fnv(h, &l->members[i].uuid.msb, 8);
        h = fnv(h, &l->members[i].uuid.lsb, 8);
        h = fnv(h, &l->members[i].join_seq, 8);
        h = fnv(h, l->members[i].addr.host, strlen(l->members[i].addr.host));
    }
    return h;
}

static uint64_t table_hash(const mg_pt_table *t)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < t->nmembers; i++) {
        h = fnv(h, &t->members[i].msb, 8);
        h = fnv(h, &t->members[i].lsb, 8);
    }
    return fnv(h, t->slots, (size_t)t->partitions * t->replicas);
}

/* One version, one content: the heart of the invariant checker. */
static void sim_record(sim *s, sim_seen *seen, int *n, int cap, const mg_uuid *cluster,
                       uint64_t version, uint64_t hash, const char *what, int node)
{
    for (int i = 0; i < *n; i++)
        if (seen[i].version == version && mg_uuid_eq(&seen[i].cluster, cluster)) {
            if (seen[i].hash != hash)
                sim_violation(s, "node %d installed a %s with version %u.%u that differs from "
                              "another %s of that version", node, what,
                              (unsigned)mg_cl_version_term(version), (unsigned)mg_cl_version_seq(version),
                              what);
            return;
        }
    if (*n < cap)
        seen[(*n)++] = (sim_seen){*cluster, version, hash};
}

/* ---- the io of one node ------------------------------------------------ */

static int sim_find_addr(sim *s, const mg_cl_addr *a)
{
    for (int i = 0; i < s->n; i++)
        if (mg_cl_addr_eq(&s->nodes[i].addr, a))
            return i;
    return -1;
}

static void sim_enqueue(sim *s, sim_msg *msg)
{
    if (s->nq == s->capq) {
        s->capq = s->capq ? s->capq * 2 : 256;
        s->q = realloc(s->q, s->capq * sizeof *s->q);
    }
    msg->seq = s->seq++;
    s->q[s->nq++] = *msg;
}

static void io_send(void *ctx, const mg_uuid *to, const mg_cl_addr *addr, const uint8_t *frame, size_t len)
{
    sim_node *nd = ctx;
    sim *s = nd->s;
    s->messages++;
    int dst = sim_find_addr(s, addr);
    int64_t delay = s->min_delay + (int64_t)(sim_rand(s) % (uint64_t)(s->max_delay - s->min_delay + 1));
    if (dst < 0 || !s->nodes[dst].alive) {
        /* Connection refused: the sender learns it (only joiners care). */
        sim_msg note = {.at = s->now + delay, .from = nd->id, .to = nd->id, .unreachable = true,
                        .addr = *addr};
        sim_enqueue(s, &note);
        return;
    }
    if (s->cut[nd->id][dst] || (s->drop_per_mille && (int)(sim_rand(s) % 1000) < s->drop_per_mille))
        return;
    sim_msg msg = {.at = s->now + delay, .from = nd->id, .to = dst, .len = len};
    msg.bytes = malloc(len);
    memcpy(msg.bytes, frame, len);
    sim_enqueue(s, &msg);
}

static int64_t io_now(void *ctx)
{
    sim_node *nd = ctx;
    return nd->s->now + nd->clock_offset;
}

static uint64_t io_random(void *ctx)
{
    sim_node *nd = ctx;
    return mg_rand_next(&nd->rng);
}

static void io_members_changed(void *ctx, const mg_cl_list *l, const mg_uuid *self)
{
    sim_node *nd = ctx;
    sim *s = nd->s;
    if (!l) {
        nd->left_list++;
        return;
    }
    if (!mg_uuid_eq(&l->cluster_id, &nd->cluster)) {
        /* Another cluster numbers anew (two clusters fail convergence). */
        nd->max_list_version = 0;
        nd->max_table_version = 0;
    }
    if (l->version <= nd->max_list_version)
        sim_violation(s, "node %d: member-list version went from %llx to %llx", nd->id,
                      (unsigned long long)nd->max_list_version, (unsigned long long)l->version);
    nd->max_list_version = l->version;
    nd->lists_installed++;
    if (mg_cl_list_find(l, self) < 0)
        sim_violation(s, "node %d installed a list without itself", nd->id);
    nd->cluster = l->cluster_id;
    sim_record(s, s->lists, &s->nlists, 8192, &l->cluster_id, l->version, list_hash(l), "member list",
               nd->id);
}

static void io_partitions_changed(void *ctx, const mg_pt_table *t)
{
    sim_node *nd = ctx;
    sim *s = nd->s;
    if (!t)
        return;
    if (t->version <= nd->max_table_version)
        sim_violation(s, "node %d: table version went from %llx to %llx", nd->id,
                      (unsigned long long)nd->max_table_version, (unsigned long long)t->version);
    nd->max_table_version = t->version;
    if (mg_pt_check(t) != 0)
        sim_violation(s, "node %d installed an invalid table", nd->id);
    sim_record(s, s->tables, &s->ntables, 8192, &nd->cluster, t->version, table_hash(t),
               "partition table", nd->id);
}

static void io_log(void *ctx, mg_log_level lvl, const char *line)
{
    sim_node *nd = ctx;
    snprintf(nd->log[nd->nlog % SIM_LOG_LINES], sizeof nd->log[0], "%s", line);
    nd->nlog++;
    if (nd->s->verbose)
        fprintf(stderr, "[t=%6lld] node %d: %s\n", (long long)nd->s->now, nd->id, line);
}

/* ---- building and driving the cluster ----------------------------------- */

static void sim_boot(sim *s, int id)
{
    sim_node *nd = &s->nodes[id];
    mg_membership_config cfg = s->base;
    cfg.self = nd->addr;
    cfg.cluster_name = nd->cluster_name;
    mg_cl_io io = {.ctx = nd, .send = io_send, .now_ms = io_now, .random = io_random,
                   .members_changed = io_members_changed, .partitions_changed = io_partitions_changed,
                   .log = io_log};
    nd->m = mg_membership_new(&cfg, &io);
    nd->alive = true;
    nd->paused = false;
    nd->max_list_version = 0;
    nd->max_table_version = 0;
    nd->next_tick = s->now + (int64_t)(sim_rand(s) % SIM_TICK_MS);
}

/* n nodes at 10.0.0.1..n:5701, each listing all as seeds; none started. */
static void sim_init(sim *s, int n, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    s->n = n;
    s->min_delay = 1;
    s->max_delay = 5;
    s->now = 1000;
    s->verbose = getenv("SIM_VERBOSE") != NULL;
    mg_membership_config_defaults(&s->base);
    for (int i = 0; i < n; i++) {
        char host[32];
        snprintf(host, sizeof host, "10.0.0.%d", i + 1);
        mg_cl_addr_set(&s->seed_addrs[i], host, 5701);
    }
    s->base.seeds = s->seed_addrs;
    s->base.nseeds = n;
    for (int i = 0; i < n; i++) {
        sim_node *nd = &s->nodes[i];
        nd->s = s;
        nd->id = i;
        nd->addr = s->seed_addrs[i];
        snprintf(nd->cluster_name, sizeof nd->cluster_name, "dev");
        nd->rng = sim_rand(s);
        nd->clock_offset = (int64_t)(sim_rand(s) % 100000);
    }
}

static void sim_start(sim *s, int id)
{
    if (!s->nodes[id].m)
        sim_boot(s, id);
    mg_membership_start(s->nodes[id].m);
}

static void sim_start_all(sim *s)
{
    for (int i = 0; i < s->n; i++)
        sim_start(s, i);
}

static void sim_note(sim *s, const char *what, int id)
{
    if (s->verbose)
        fprintf(stderr, "[t=%6lld] ---- %s node %d\n", (long long)s->now, what, id);
}

static void sim_kill(sim *s, int id)
{
    sim_note(s, "kill", id);
    s->nodes[id].alive = false;
}

static void sim_pause(sim *s, int id)
{
    sim_note(s, "pause", id);
    s->nodes[id].paused = true;
}

static void sim_resume(sim *s, int id)
{
    sim_note(s, "resume", id);
    s->nodes[id].paused = false;
    s->nodes[id].next_tick = s->now;
}

/* A fresh process at the same address (new UUID, no memory). */
static void sim_restart(sim *s, int id)
{
    sim_node *nd = &s->nodes[id];
    mg_membership_free(nd->m);
    nd->m = NULL;
    nd->incarnation++;
    nd->rng = sim_rand(s);
    sim_boot(s, id);
    mg_membership_start(nd->m);
}

static void sim_cut(sim *s, int a, int b, bool both)
{
    if (s->verbose)
        fprintf(stderr, "[t=%6lld] ---- cut %d %s %d\n", (long long)s->now, a, both ? "<->" : "->", b);
    s->cut[a][b] = true;
    if (both)
        s->cut[b][a] = true;
}

static void sim_heal(sim *s)
{
    sim_note(s, "heal all links; was", -1);
    memset(s->cut, 0, sizeof s->cut);
}

/* Delivers everything due now, oldest first (ties by send order). */
static void sim_deliver(sim *s)
{
    bool took[SIM_MAX] = {false};
    for (;;) {
        size_t best = s->nq;
        for (size_t i = 0; i < s->nq; i++) {
            sim_msg *q = &s->q[i];
            if (q->at > s->now)
                continue;
            sim_node *to = &s->nodes[q->to];
            if (to->alive && to->paused)
                continue;   /* waits in the socket buffer */
            if (to->slow_reader && took[q->to])
                continue;   /* one frame this ms */
            if (best == s->nq || q->at < s->q[best].at || (q->at == s->q[best].at && q->seq < s->q[best].seq))
                best = i;
        }
        if (best == s->nq)
            return;
        sim_msg msg = s->q[best];
        s->q[best] = s->q[--s->nq];
        sim_node *to = &s->nodes[msg.to];
        took[msg.to] = true;
        if (getenv("SIM_TRACE") && !msg.unreachable && msg.len > 5 && msg.bytes[5] != MG_MP_HEARTBEAT)
            fprintf(stderr, "[t=%6lld] %d -> %d %s%s %s\n", (long long)s->now, msg.from, msg.to,
                    mg_mp_type_name(msg.bytes[5]), to->alive && to->m ? "" : " (dropped: dead)",
                    msg.bytes[5] == MG_MP_JOIN_RESPONSE ? (const char *)msg.bytes + msg.len - 20 : "");
        if (to->alive && to->m) {
            if (msg.unreachable)
                mg_membership_peer_unreachable(to->m, &msg.addr, true);
            else if (mg_membership_receive(to->m, msg.bytes, msg.len) < 0)
                sim_violation(s, "node %d could not decode a frame from node %d", msg.to, msg.from);
        }
        free(msg.bytes);
    }
}

/* No two nodes master of the same term. */
static void sim_check_masters(sim *s)
{
    for (int i = 0; i < s->n; i++) {
        sim_node *a = &s->nodes[i];
        if (!a->alive || !a->m || !mg_membership_is_master(a->m))
            continue;
        uint32_t ta = mg_cl_version_term(mg_membership_list(a->m)->version);
        for (int j = i + 1; j < s->n; j++) {
            sim_node *b = &s->nodes[j];
            if (!b->alive || !b->m || !mg_membership_is_master(b->m))
                continue;
            const mg_cl_list *la = mg_membership_list(a->m), *lb = mg_membership_list(b->m);
            if (mg_cl_version_term(lb->version) == ta && mg_uuid_eq(&la->cluster_id, &lb->cluster_id))
                sim_violation(s, "nodes %d and %d are both master of term %u", i, j, (unsigned)ta);
        }
    }
}

static void sim_step(sim *s)
{
    s->now++;
    sim_deliver(s);
    for (int i = 0; i < s->n; i++) {
        sim_node *nd = &s->nodes[i];
        if (!nd->alive || nd->paused || !nd->m || s->now < nd->next_tick)
            continue;
        nd->next_tick = s->now + SIM_TICK_MS;
        mg_membership_tick(nd->m);
    }
    sim_check_masters(s);
}

static void sim_run(sim *s, int64_t ms)
{
    for (int64_t end = s->now + ms; s->now < end;)
        sim_step(s);
}

/* Runs until cond(s, arg) holds (checked every ms) or `ms` pass; returns
 * the virtual time it took, or -1. */
static int64_t sim_run_until(sim *s, int64_t ms, bool (*cond)(sim *s, void *arg), void *arg)
{
    int64_t start = s->now;
    for (int64_t end = s->now + ms; s->now < end;) {
        sim_step(s);
        if (cond(s, arg))
            return s->now - start;
    }
    return -1;
}

static void sim_free(sim *s)
{
    for (int i = 0; i < s->n; i++)
        mg_membership_free(s->nodes[i].m);
    for (size_t i = 0; i < s->nq; i++)
        free(s->q[i].bytes);
    free(s->q);
}

/* ---- questions the tests ask --------------------------------------------- */

static bool sim_logged(const sim_node *nd, const char *needle)
{
    int from = nd->nlog > SIM_LOG_LINES ? nd->nlog - SIM_LOG_LINES : 0;
    for (int i = from; i < nd->nlog; i++)
        if (strstr(nd->log[i % SIM_LOG_LINES], needle))
            return true;
    return false;
}

static const mg_cl_list *sim_list(sim *s, int id)
{
    sim_node *nd = &s->nodes[id];
    return nd->alive && nd->m ? mg_membership_list(nd->m) : NULL;
}

/* Every live, unpaused node among `mask` (all when 0) is a member holding
 * the same list and table, the list names exactly those nodes' UUIDs, one
 * of them is master, and the table is complete for that list.  `why` gets
 * the first reason it is not so. */
static bool sim_converged_mask(sim *s, uint32_t mask, char *why, size_t cap)
{
    const mg_cl_list *ref = NULL;
    const mg_pt_table *tref = NULL;
    int live = 0, masters = 0;
    for (int i = 0; i < s->n; i++) {
        sim_node *nd = &s->nodes[i];
        if ((mask && !(mask & (1u << i))) || !nd->alive || nd->paused || !nd->m)
            continue;
        live++;
        const mg_cl_list *l = mg_membership_list(nd->m);
        const mg_pt_table *t = mg_membership_table(nd->m);
        if (!l) {
            snprintf(why, cap, "node %d is not a member (state %d)", i, mg_membership_state(nd->m));
            return false;
        }
        if (mg_membership_is_master(nd->m))
            masters++;
        if (!ref) {
            ref = l;
            tref = t;
        } else if (l->version != ref->version) {
            snprintf(why, cap, "node %d holds list %llx, another %llx", i, (unsigned long long)l->version,
                     (unsigned long long)ref->version);
            return false;
        }
        if (!t || !tref || t->version != tref->version) {
            snprintf(why, cap, "node %d has table %llx", i, t ? (unsigned long long)t->version : 0ULL);
            return false;
        }
        if (mg_cl_list_find(ref, mg_membership_self(nd->m)) < 0) {
            snprintf(why, cap, "node %d is not in the list", i);
            return false;
        }
    }
    if (!ref) {
        snprintf(why, cap, "no live node");
        return false;
    }
    if (ref->count != live || masters != 1) {
        snprintf(why, cap, "list has %d members for %d live nodes; %d masters", ref->count, live, masters);
        return false;
    }
    if (tref->nmembers != ref->count) {
        snprintf(why, cap, "table for %d members, list of %d", tref->nmembers, ref->count);
        return false;
    }
    for (uint32_t p = 0; p < tref->partitions; p++)
        for (int r = 0; r < tref->replicas; r++)
            if (mg_pt_slot(tref, p, r) == MG_PT_NONE) {
                snprintf(why, cap, "partition %u replica %d empty", p, r);
                return false;
            }
    return true;
}

static bool sim_converged_cond(sim *s, void *arg)
{
    char why[200];
    return sim_converged_mask(s, arg ? *(uint32_t *)arg : 0, why, sizeof why);
}

#endif
