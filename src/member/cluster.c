/* cluster.c - the membership machine wired to sockets, a timer and the
 * workers (cluster.h). */
#include "member/cluster.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "client/cluster_view.h"
#include "cluster/data_proto.h"
#include "cluster/membership.h"
#include "map/listener_remote.h"
#include "map/map.h"
#include "map/map_service.h"
#include "member/dns_discovery.h"
#include "member/member.h"
#include "member/multicast.h"
#include "net/conn.h"
#include "net/link.h"
#include "partition/backup.h"
#include "partition/forward.h"
#include "partition/migration.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/rand.h"

struct mg_cluster {
    mg_member *m;
    mg_membership *ms;
    mg_links *links;
    uv_timer_t tick;
    bool tick_started;
    uint64_t rng;
    mg_uuid self;
    mg_cl_list list;          /* installed; version 0 when none */
    mg_pt_table *table;       /* installed copy, or NULL */
    int backups, sync_backups;
    mg_migration_master *mig;
    mg_cl_addr seeds[MG_CL_MAX_SEEDS];
    mg_multicast *multicast;      /* network.join.multicast, or NULL */
    mg_dns_discovery *dns;        /* network.join.kubernetes, or NULL */
    /* Members seen in any list, newest last: answers still reach a member
     * that was removed (it may be waiting for them to learn so). */
    mg_cl_member known[2 * MG_CL_MAX_MEMBERS];
    int nknown;
    bool leave_requested;
    bool ready;                   /* the list reached initial.min.cluster.size once (topology.h) */
    /* Read by every worker on each keyed request (mg_cluster_may_serve):
     * the machine's verdict at its last tick, and when that tick ran. */
    _Atomic bool serving;
    _Atomic int64_t tick_at;     /* ms, monotonic */
};

/* After every tick: what the workers check before answering from a partition. */
static void publish_serving(mg_cluster *c)
{
    atomic_store_explicit(&c->serving, mg_membership_may_serve(c->ms), memory_order_relaxed);
    atomic_store_explicit(&c->tick_at, mg_clock_mono_ns() / 1000000, memory_order_release);
}

bool mg_cluster_may_serve(mg_worker *w)
{
    mg_cluster *c = w->m->cluster;
    if (!c)
        return true;
    /* A tick more than half the heartbeat timeout ago means worker 0 did
     * not run (this process was paused, or starved): the verdict is old.
     * uv_now is this loop's time at the start of its turn, the same clock. */
    int64_t age = (int64_t)uv_now(&w->loop) - atomic_load_explicit(&c->tick_at, memory_order_acquire);
    if (age > (int64_t)w->m->cfg.max_no_heartbeat_seconds * 500)
        return false;
    return atomic_load_explicit(&c->serving, memory_order_relaxed);
}

/* ---- configuration ---------------------------------------------------------- */

static int expand_seeds(mg_member *m, mg_cl_addr *out, int max)
{
    int n = 0;
    if (!m->cfg.join.tcp_ip_enabled)
        return 0;
    for (size_t i = 0; i < m->cfg.join.n_members && n < max; i++) {
        mg_member_addr addrs[8];
        const char *why = NULL;
        int k = mg_config_member_addrs(m->cfg.join.member_list[i], 5701, addrs, 8, &why);
        for (int j = 0; j < k && n < max; j++) {
            /* No port written: Hazelcast tries three ports from 5701. */
            int hi = addrs[j].port_given ? addrs[j].port_hi : addrs[j].port_lo + 2;
            for (int port = addrs[j].port_lo; port <= hi && n < max; port++)
                if (mg_cl_addr_set(&out[n], addrs[j].host, (uint16_t)port))
                    n++;
        }
    }
    return n;
}

static void replica_config(const mg_config *cfg, int *backups, int *sync)
{
    int b = cfg->default_map.backup_count + cfg->default_map.async_backup_count;
    int s = cfg->default_map.backup_count;
    for (size_t i = 0; i < cfg->n_maps; i++) {
        int t = cfg->maps[i].backup_count + cfg->maps[i].async_backup_count;
        if (t > b)
            b = t;
        if (cfg->maps[i].backup_count > s)
            s = cfg->maps[i].backup_count;
    }
    *backups = b;
    *sync = s;
}

/* ---- topology to the workers -------------------------------------------------- */

typedef struct install_task {
    mg_task base;
    mg_topology *topo;
} install_task;

static void run_install(mg_worker *w, mg_task *t)
{
    install_task *it = (install_task *)t;
    mg_cluster_install(w, it->topo);
    free(it);
}

static void publish(mg_cluster *c)
{
    mg_member *m = c->m;
    mg_topology *topo = mg_topology_new(&c->self, c->list.version ? &c->list : NULL,
                                        c->table ? mg_pt_copy(c->table) : NULL, c->sync_backups);
    topo->ready = c->ready;   /* not shared yet */
    for (int i = 0; i < m->nworkers; i++) {
        install_task *it = mg_xmalloc(sizeof *it);
        it->base.run = run_install;
        it->topo = mg_topology_ref(topo);
        mg_worker_post(&m->workers[i], &it->base);
    }
    mg_topology_unref(topo);
}

static void handle_here(mg_worker *w, const uint8_t *frame, size_t len);

void mg_cluster_install(mg_worker *w, mg_topology *t)
{
    mg_topology *old = w->topo;
    w->topo = t;
    mg_backup_on_topology(w, old, t);
    mg_forward_on_topology(w, t);
    mg_cluster_view_changed(w, old, t);
    mg_listener_remote_on_topology(w, old, t);
    if (t->is_member && (!old || !old->is_member))
        mg_conn_release_held(w);
    mg_topology_unref(old);
    if (w->early_frames.len) {
        mg_buf early = w->early_frames;
        mg_buf_init(&w->early_frames);
        for (size_t off = 0; off + 4 <= early.len;) {
            uint32_t n;
            memcpy(&n, early.data + off, 4);
            handle_here(w, early.data + off + 4, n);
            off += 4 + n;
        }
        mg_buf_free(&early);
    }
    mg_forward_rerun(w);   /* after everything else knows the new topology */
}

/* ---- the machine's io ------------------------------------------------------------ */

static void io_send(void *ctx, const mg_uuid *to, const mg_cl_addr *addr, const uint8_t *frame, size_t len)
{
    (void)to;
    mg_cluster *c = ctx;
    mg_links_send(c->links, addr, frame, len);
}

static int64_t io_now(void *ctx)
{
    (void)ctx;
    return mg_clock_mono_ns() / 1000000;
}

static uint64_t io_random(void *ctx) { return mg_rand_next(&((mg_cluster *)ctx)->rng); }

static void io_members(void *ctx, const mg_cl_list *list, const mg_uuid *self)
{
    mg_cluster *c = ctx;
    c->self = *self;
    if (list)
        c->list = *list;
    else
        memset(&c->list, 0, sizeof c->list);
    for (int i = 0; list && i < list->count; i++) {
        int k = 0;
        while (k < c->nknown && !mg_uuid_eq(&c->known[k].uuid, &list->members[i].uuid))
            k++;
        if (k < c->nknown)
            continue;
        if (c->nknown == (int)(sizeof c->known / sizeof c->known[0])) {
            memmove(c->known, c->known + 1, sizeof c->known[0] * (size_t)(c->nknown - 1));
            c->nknown--;
        }
        c->known[c->nknown++] = list->members[i];
    }
    int min = c->m->cfg.initial_min_cluster_size;
    if (!c->ready && list && list->count >= min) {
        c->ready = true;
        MG_INFO(&c->m->log, "the cluster has %d members, hazelcast.initial.min.cluster.size is %d: serving "
                "clients", list->count, min);
    }
    if (list) {
        char buf[MG_CL_MAX_MEMBERS * (MG_CL_ADDR_STR + 2)];
        size_t off = 0;
        for (int i = 0; i < list->count && off + MG_CL_ADDR_STR + 2 < sizeof buf; i++) {
            char a[MG_CL_ADDR_STR];
            mg_cl_addr_format(&list->members[i].addr, a);
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s%s", i ? ", " : "", a,
                                    mg_uuid_eq(&list->members[i].uuid, self) ? " (this)" : "");
        }
        MG_INFO(&c->m->log, "members [%d] version %u.%u: %s", list->count,
                mg_cl_version_term(list->version), mg_cl_version_seq(list->version), buf);
    }
    publish(c);
}

static void io_partitions(void *ctx, const mg_pt_table *table)
{
    mg_cluster *c = ctx;
    mg_pt_free(c->table);
    c->table = table ? mg_pt_copy(table) : NULL;
    if (table) {
        int self = -1, primaries = 0, backups = 0;
        for (int i = 0; i < table->nmembers; i++)
            if (mg_uuid_eq(&table->members[i], &c->self))
                self = i;
        for (uint32_t p = 0; self >= 0 && p < table->partitions; p++)
            for (int r = 0; r < table->replicas; r++)
                if (mg_pt_slot(table, p, r) == (uint8_t)self)
                    *(r ? &backups : &primaries) += 1;
        MG_INFO(&c->m->log, "partition table %u.%u: %d primaries and %d backups here",
                mg_cl_version_term(table->version), mg_cl_version_seq(table->version), primaries, backups);
    }
    publish(c);
    mg_migration_on_table(c->mig);
}

static void io_log(void *ctx, mg_log_level level, const char *line)
{
    mg_cluster *c = ctx;
    mg_logf(&c->m->log, level, "%s", line);
}

static void on_unreachable(void *ctx, const mg_cl_addr *addr, bool refused)
{
    mg_cluster *c = ctx;
    mg_membership_peer_unreachable(c->ms, addr, refused);
}

/* An address discovery found: one more seed to ask while looking. */
static void add_seed(mg_cluster *c, const mg_cl_addr *addr, const char *how)
{
    if (!mg_membership_add_seed(c->ms, addr))
        return;
    char a[MG_CL_ADDR_STR];
    mg_cl_addr_format(addr, a);
    MG_INFO(&c->m->log, "%s found %s: asking it for the cluster", how, a);
}

static void on_multicast_found(void *ctx, const mg_cl_addr *addr)
{
    add_seed(ctx, addr, "multicast");
}

static void on_dns_found(void *ctx, const mg_cl_addr *addr)
{
    add_seed(ctx, addr, "kubernetes DNS");
}

static void discovery_tick(mg_cluster *c)
{
    if (!c->multicast && !c->dns)
        return;
    /* A member whose cluster never reached initial.min.cluster.size keeps
     * looking: a cluster that formed apart may exist (mg_cl_start_over). */
    bool joining = mg_membership_state(c->ms) == MG_CL_JOINING || !c->ready;
    int64_t now = mg_clock_mono_ns() / 1000000;
    int64_t interval = (int64_t)c->m->cfg.heartbeat_interval_seconds * 1000;
    if (c->multicast)
        mg_multicast_tick(c->multicast, joining, now, interval);
    if (c->dns)
        mg_dns_discovery_tick(c->dns, joining, now, interval);
}

static void on_tick(uv_timer_t *t)
{
    mg_cluster *c = t->data;
    mg_membership_tick(c->ms);
    discovery_tick(c);
    publish_serving(c);
    mg_migration_tick(c->mig);
}

mg_cluster *mg_cluster_new(mg_member *m)
{
    mg_cluster *c = mg_xcalloc(1, sizeof *c);
    c->m = m;
    c->rng = mg_rand_seed();
    replica_config(&m->cfg, &c->backups, &c->sync_backups);
    c->ready = m->cfg.initial_min_cluster_size == 0;
    mg_membership_config mc;
    mg_membership_config_defaults(&mc);
    mg_cl_addr_set(&mc.self, m->host, (uint16_t)m->port);
    mc.cluster_name = m->cfg.cluster_name;
    mc.partition_count = (uint32_t)m->partition_count;
    mc.backup_count = c->sync_backups;
    mc.async_backup_count = c->backups - c->sync_backups;
    mc.heartbeat_interval_ms = (int64_t)m->cfg.heartbeat_interval_seconds * 1000;
    mc.max_no_heartbeat_ms = (int64_t)m->cfg.max_no_heartbeat_seconds * 1000;
    mc.config_hash = mg_config_shared_hash(&m->cfg);
    mc.initial_min_size = m->cfg.initial_min_cluster_size;
    mc.nseeds = expand_seeds(m, c->seeds, MG_CL_MAX_SEEDS);
    mc.seeds = c->seeds;
    /* Without another address to ask, this member is the cluster: at once.
     * With multicast, it waits multicast-timeout-seconds for an answer, as
     * Hazelcast does; with DNS, the default join timeout. */
    int others = 0;
    for (int i = 0; i < mc.nseeds; i++)
        others += !mg_cl_addr_eq(&c->seeds[i], &mc.self);
    if (m->cfg.join.multicast_enabled)
        mc.join_timeout_ms = (int64_t)m->cfg.join.multicast_timeout_seconds * 1000;
    else if (others == 0 && !m->cfg.join.kubernetes_enabled)
        mc.join_timeout_ms = 0;
    mc.migrations_publish_tables = true;
    mg_cl_io io = {.ctx = c, .send = io_send, .now_ms = io_now, .random = io_random,
                   .members_changed = io_members, .partitions_changed = io_partitions, .log = io_log};
    c->ms = mg_membership_new(&mc, &io);
    c->self = *mg_membership_self(c->ms);
    c->mig = mg_migration_master_new(c, c->ms, m);
    return c;
}

void mg_cluster_start(mg_cluster *c)
{
    mg_worker *w0 = &c->m->workers[0];
    c->links = mg_links_new(&w0->loop, (unsigned)c->m->cfg.max_no_heartbeat_seconds * 1000, on_unreachable, c);
    uv_timer_init(&w0->loop, &c->tick);
    c->tick.data = c;
    uv_timer_start(&c->tick, on_tick, MG_CL_TICK_MS, MG_CL_TICK_MS);
    c->tick_started = true;
    mg_cl_addr self;
    mg_cl_addr_set(&self, c->m->host, (uint16_t)c->m->port);
    if (c->m->multicast_fd >= 0) {
        c->multicast = mg_multicast_new(&w0->loop, c->m->multicast_fd, &c->m->cfg, &self, mg_rand_next(&c->rng),
                                        &c->m->log, on_multicast_found, c);
        c->m->multicast_fd = -1;   /* the service's now, even when it failed (closed then) */
    }
    if (c->m->cfg.join.kubernetes_enabled)
        c->dns = mg_dns_discovery_new(&w0->loop, &c->m->cfg, &self, &c->m->log, on_dns_found, c);
    mg_membership_start(c->ms);
    mg_membership_tick(c->ms);   /* a lone member founds its cluster now */
    discovery_tick(c);           /* ... and one that discovers says it is looking */
    publish_serving(c);
}

void mg_cluster_stop(mg_worker *w0)
{
    mg_cluster *c = w0->m->cluster;
    if (!c)
        return;
    if (c->tick_started) {
        uv_timer_stop(&c->tick);
        uv_close((uv_handle_t *)&c->tick, NULL);
        c->tick_started = false;
    }
    mg_links_close(c->links);
    c->links = NULL;
    mg_multicast_close(c->multicast);
    c->multicast = NULL;
    mg_dns_discovery_close(c->dns);
    c->dns = NULL;
}

void mg_cluster_free(mg_cluster *c)
{
    if (!c)
        return;
    mg_migration_master_free(c->mig);
    mg_membership_free(c->ms);
    mg_pt_free(c->table);
    free(c);
}

int mg_cluster_backups(const mg_cluster *c) { return c->backups; }

/* ---- sending ---------------------------------------------------------------------- */

typedef struct frame_task {
    mg_task base;
    size_t len;
    uint8_t frame[];
} frame_task;

static void run_frame(mg_worker *w, mg_task *t);
static int target_worker(mg_worker *w, const uint8_t *frame, size_t len);

/* The address of member `to`: in the list, or among the members heard
 * of lately (a joiner not yet listed); NULL when unknown. */
static const mg_cl_addr *addr_of(mg_cluster *c, const mg_uuid *to)
{
    int i = mg_cl_list_find(&c->list, to);
    if (i >= 0)
        return &c->list.members[i].addr;
    for (int k = c->nknown - 1; k >= 0; k--)
        if (mg_uuid_eq(&c->known[k].uuid, to))
            return &c->known[k].addr;
    return NULL;
}

static void send_now(mg_cluster *c, const mg_uuid *to, const uint8_t *frame, size_t len)
{
    const mg_cl_addr *a = c->links ? addr_of(c, to) : NULL;
    if (a)
        mg_links_send(c->links, a, frame, len);
}

typedef struct send_batch {
    mg_task base;
    mg_buf buf;   /* records: 16 uuid, 4 length, frame */
} send_batch;

static void run_send_batch(mg_worker *w, mg_task *t)
{
    send_batch *sb = (send_batch *)t;
    mg_cluster *c = w->m->cluster;
    const uint8_t *p = sb->buf.data, *end = p + sb->buf.len;
    while (p < end) {
        mg_uuid to;
        memcpy(&to, p, sizeof to);
        uint32_t n;
        memcpy(&n, p + sizeof to, 4);
        send_now(c, &to, p + sizeof to + 4, n);
        p += sizeof to + 4 + n;
    }
    mg_buf_free(&sb->buf);
    free(sb);
}

void mg_cluster_send(mg_worker *w, const mg_uuid *to, const uint8_t *frame, size_t len)
{
    if (w->topo && mg_uuid_eq(to, &w->topo->self)) {
        /* To ourselves (the master migrating its own partitions): handled
         * later in the loop, never inside the sender's call. */
        mg_member *m = w->m;
        frame_task *ft = mg_xmalloc(sizeof *ft + len);
        ft->base.run = run_frame;
        ft->len = len;
        memcpy(ft->frame, frame, len);
        mg_worker_post_from(w, &m->workers[target_worker(w, frame, len)], &ft->base);
        return;
    }
    if (w->idx == 0) {
        send_now(w->m->cluster, to, frame, len);
        return;
    }
    uint32_t n = (uint32_t)len;
    mg_buf_append(&w->cluster_out, to, sizeof *to);
    mg_buf_append(&w->cluster_out, &n, 4);
    mg_buf_append(&w->cluster_out, frame, len);
}

void mg_cluster_send_buf(mg_worker *w, const mg_uuid *to, mg_buf *frame)
{
    mg_cluster *c = w->m->cluster;
    if (w->idx == 0 && !(w->topo && mg_uuid_eq(to, &w->topo->self))) {
        const mg_cl_addr *a = c->links ? addr_of(c, to) : NULL;
        if (a)
            mg_links_send_buf(c->links, a, frame);
        mg_buf_reset(frame);
        return;
    }
    mg_cluster_send(w, to, frame->data, frame->len);
    mg_buf_reset(frame);
}

void mg_cluster_flush(mg_worker *w)
{
    if (w->idx == 0 || w->cluster_out.len == 0)
        return;
    send_batch *sb = mg_xmalloc(sizeof *sb);
    sb->base.run = run_send_batch;
    sb->buf = w->cluster_out;
    mg_buf_init(&w->cluster_out);
    mg_worker_post(&w->m->workers[0], &sb->base);
}

/* ---- receiving ---------------------------------------------------------------------- */

static void handle_here(mg_worker *w, const uint8_t *frame, size_t len);

static void run_frame(mg_worker *w, mg_task *t)
{
    frame_task *ft = (frame_task *)t;
    handle_here(w, ft->frame, ft->len);
    free(ft);
}

/* Which worker handles a frame: membership and the master's bookkeeping on
 * worker 0; partition traffic where the partition lives; answers where the
 * request came from. */
static int target_worker(mg_worker *w, const uint8_t *frame, size_t len)
{
    mg_member *m = w->m;
    uint8_t type = frame[5];
    if (!mg_dp_is_data_type(type))
        return 0;
    mg_dp_frame f;
    if (mg_dp_open(frame, len, &f) != 0)
        return w->idx;   /* the handler refuses it */
    mg_bc_rd r = f.body;
    int32_t p = -1, origin = -1;
    switch (type) {
    case MG_DP_FORWARD:
        mg_bc_take(&r, 4 + 8 + 16);
        p = (int32_t)mg_bc_u32(&r);
        break;
    case MG_DP_FORWARD_ANSWER:
        origin = (int32_t)mg_bc_u32(&r);
        break;
    case MG_DP_REPL:
    case MG_DP_ACK:
    case MG_DP_MIGRATE:
    case MG_DP_SYNC:
        p = (int32_t)mg_bc_u32(&r);
        break;
    case MG_DP_MIGRATE_DONE:
        return 0;
    case MG_DP_BULK_RESULT:
        mg_bc_take(&r, 8);
        origin = (int32_t)mg_bc_u32(&r);
        break;
    case MG_DP_LISTEN_ADD:
    case MG_DP_LISTEN_REMOVE:
    case MG_DP_LISTEN_ACK:
        return 0;   /* listener copies are sent and applied from worker 0 (map/listener_remote.h) */
    case MG_DP_EVENT:
        origin = (int32_t)mg_bc_u32(&r);   /* the worker of the client connection */
        break;
    default:
        return w->idx;
    }
    if (r.bad)
        return w->idx;
    if (p >= 0)
        return p < m->partition_count ? (int)(p % m->nworkers) : w->idx;
    return origin >= 0 && origin < m->nworkers ? origin : w->idx;
}

/* Replication or a forwarded request sent under a table newer than the one
 * installed here, while this member is in the cluster (a member that was
 * removed installs no newer table: it handles what it gets at once, as a
 * non-member).  A forwarded request that waits for the table which makes
 * this member its owner is served instead of refused. */
static bool from_newer_table(const mg_worker *w, const uint8_t *frame, size_t len)
{
    if ((frame[5] != MG_DP_REPL && frame[5] != MG_DP_FORWARD) || !w->topo->is_member)
        return false;
    mg_dp_frame f;
    if (mg_dp_open(frame, len, &f) != 0)
        return false;
    mg_bc_take(&f.body, frame[5] == MG_DP_REPL ? 4 : 4 + 8 + 16 + 4 + 4);
    uint64_t tv = mg_bc_u64(&f.body);
    uint64_t mine = w->topo->table ? w->topo->table->version : 0;
    return !f.body.bad && tv > mine;
}

static void handle_here(mg_worker *w, const uint8_t *frame, size_t len)
{
    mg_member *m = w->m;
    if (!mg_dp_is_data_type(frame[5])) {
        if (m->cluster && w->idx == 0) {
            mg_membership_receive(m->cluster->ms, frame, len);
            publish_serving(m->cluster);   /* a join or a heartbeat can change it: not a tick later */
        }
        return;
    }
    if (!w->topo || from_newer_table(w, frame, len)) {
        /* A copy or a request that overtook this worker's first topology
         * (it is in the inbox), or replication or a request from a member
         * on a table this worker has not installed yet: handled right after
         * the next install.  Replication is so applied under the table it was sent
         * for, which is what lets a backup switch to a new primary's stream
         * without a copy (backup.c, FOLLOW).  A sender's table versions only
         * grow, so its frames keep their order. */
        if (w->early_frames.len + len < MG_EARLY_FRAMES_MAX) {
            uint32_t n = (uint32_t)len;
            mg_buf_append(&w->early_frames, &n, 4);
            mg_buf_append(&w->early_frames, frame, len);
        }
        return;
    }
    mg_dp_frame f;
    if (mg_dp_open(frame, len, &f) != 0)
        return;
    switch (f.type) {
    case MG_DP_FORWARD: mg_forward_on_request(w, &f); break;
    case MG_DP_FORWARD_ANSWER: mg_forward_on_answer(w, &f); break;
    case MG_DP_REPL: mg_backup_on_repl(w, &f); break;
    case MG_DP_ACK: mg_backup_on_ack(w, &f); break;
    case MG_DP_SYNC: mg_backup_on_sync(w, &f); break;
    case MG_DP_MIGRATE: mg_backup_on_migrate(w, &f); break;
    case MG_DP_MIGRATE_DONE: mg_migration_on_done(m->cluster->mig, &f); break;
    case MG_DP_BULK: mg_map_bulk_on_request(w, &f); break;
    case MG_DP_BULK_RESULT: mg_map_bulk_on_result(w, &f); break;
    case MG_DP_LISTEN_ADD:
    case MG_DP_LISTEN_REMOVE:
    case MG_DP_LISTEN_ACK:
    case MG_DP_EVENT: mg_listener_remote_on_frame(w, &f); break;
    default: break;   /* a newer member's message: skipped */
    }
}

int mg_cluster_receive(mg_worker *w, const uint8_t *frame, size_t len)
{
    if (!w->m->cluster)
        return -1;
    int target = target_worker(w, frame, len);
    if (target == w->idx) {
        handle_here(w, frame, len);
        return 0;
    }
    frame_task *ft = mg_xmalloc(sizeof *ft + len);
    ft->base.run = run_frame;
    ft->len = len;
    memcpy(ft->frame, frame, len);
    mg_worker_post_from(w, &w->m->workers[target], &ft->base);
    return 0;
}

/* ---- leaving ------------------------------------------------------------------------ */

typedef struct leave_task {
    mg_task base;
} leave_task;

static void run_leave(mg_worker *w, mg_task *t)
{
    free(t);
    mg_cluster *c = w->m->cluster;
    if (!c->leave_requested) {
        c->leave_requested = true;
        MG_INFO(&w->m->log, "leaving the cluster: the other members take over its partitions");
        mg_membership_leave(c->ms);
    }
    /* Left, or alone (nobody to hand over to), and every frame written. */
    mg_cl_state st = mg_membership_state(c->ms);
    bool alone = c->list.count <= 1;
    if ((st == MG_CL_LEFT || alone || st != MG_CL_MEMBER) && mg_links_backlog(c->links) == 0)
        atomic_store(&w->m->left, true);
}

bool mg_cluster_leave(mg_member *m, int64_t timeout_ms)
{
    if (!m->cluster)
        return true;
    int64_t deadline = mg_clock_mono_ns() / 1000000 + timeout_ms;
    while (!atomic_load(&m->left) && mg_clock_mono_ns() / 1000000 < deadline) {
        leave_task *t = mg_xmalloc(sizeof *t);
        t->base.run = run_leave;
        mg_worker_post(&m->workers[0], &t->base);
        usleep(20000);
    }
    return atomic_load(&m->left);
}
