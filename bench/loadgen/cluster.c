/* cluster.c - cluster view, connections to every member, smart routing. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codecs/client/client_codecs.h"
#include "util/alloc.h"
#include "util/rand.h"

#define CORR_VIEW (BCONN_CTRL | 2)
#define CORR_PROXY (BCONN_CTRL | 3)
#define CORR_TRIGGER (BCONN_CTRL | 4)
#define PARTITION_GRACE_MS 2000
/* A member that joined during the run and refused a connection before
 * authenticating is tried again this often, this many times (30 s). */
#define RETRY_MS 200
#define MAX_RETRIES 150

static const char MAP_SERVICE[] = "hz:impl:mapService";

static void conn_ready(bconn *c);
static void conn_msg(bconn *c, const uint8_t *msg, size_t len, int64_t now);
static void conn_closed(bconn *c, const char *why);
static void conn_kv_answer(bconn *c, int64_t corr, const bkv_answer *a, int64_t now);
static const bconn_cbs conn_cbs = { conn_ready, conn_msg, conn_kv_answer, conn_closed };

static bool peer_protocol(const bcluster *cl) { return cl->auth.proto != BPROTO_HAZELCAST; }

static bool smart(const bcluster *cl) { return cl->auth.smart; }

static bconn *open_conn(bcluster *cl, const char *host, int port)
{
    bconn *c = mg_xmalloc(sizeof *c);
    if (bconn_open(c, cl->loop, host, port, &cl->auth, &conn_cbs, cl, cl->inflight_cap) != 0) {
        free(c);
        return NULL;
    }
    cl->open_conns++;
    return c;
}

static void fail(bcluster *cl, const char *why)
{
    if (cl->failed || cl->closing)
        return;
    cl->failed = true;
    cl->cbs->on_failed(cl, why);
}

/* Members the run uses: all of them when smart, else the seed's member. */
static bool member_used(const bcluster *cl, int m)
{
    return smart(cl) || (cl->seed && cl->seed->member == m);
}

static void check_ready(bcluster *cl)
{
    if (cl->ready || cl->failed || cl->closing)
        return;
    if (!cl->listener_done || !cl->have_members || !cl->proxy_done)
        return;
    if (!cl->have_partitions && !cl->grace_over)
        return;
    for (int m = 0; m < cl->nmembers; m++)
        if (member_used(cl, m) && cl->members[m].nready < cl->conns_per_member)
            return;
    cl->ready = true;
    cl->cbs->on_ready(cl);
}

static void on_grace(uv_timer_t *t)
{
    bcluster *cl = t->data;
    cl->grace_over = true;
    check_ready(cl);
}

static int member_index(const bcluster *cl, const mg_uuid *u)
{
    for (int m = 0; m < cl->nmembers; m++)
        if (mg_uuid_eq(&cl->members[m].uuid, u))
            return m;
    return -1;
}

/* Opens the connections a member still lacks. */
static void fill_member(bcluster *cl, int m)
{
    bmember *mb = &cl->members[m];
    if (!member_used(cl, m))
        return;
    while (mb->nconns < cl->conns_per_member) {
        bconn *c = open_conn(cl, mb->host, mb->port);
        if (!c) {
            char why[128];
            snprintf(why, sizeof why, "cannot connect to member %s:%d", mb->host, mb->port);
            fail(cl, why);
            return;
        }
        c->member = m;
        mb->conns[mb->nconns++] = c;
    }
}

static void on_members_view(bcluster *cl, const uint8_t *msg, size_t len)
{
    mg_client_add_cluster_view_listener_event_members_view ev;
    if (mg_client_add_cluster_view_listener_event_members_view_decode(msg, len, &ev) != 0) {
        fail(cl, "undecodable MembersView event");
        return;
    }
    if (cl->have_members && ev.version <= cl->members_version)
        return;   /* an old or repeated view (Java re-pushes every 30 s) */
    cl->members_version = ev.version;
    mg_rd r;
    mg_rd_init(&r, ev.member_infos.p, ev.member_infos.len);
    for (size_t i = 0; i < ev.member_infos.count; i++) {
        mg_member_info_dec mi;
        if (mg_dec_member_info(&r, &mi) != 0) {
            fail(cl, "undecodable MemberInfo in MembersView");
            return;
        }
        if (member_index(cl, &mi.uuid) >= 0)
            continue;   /* members that left are kept: their connections fail by themselves */
        if (cl->nmembers == BCL_MAX_MEMBERS || mi.address.host.len >= sizeof cl->members[0].host) {
            fail(cl, "too many members, or an over-long member address");
            return;
        }
        bmember *mb = &cl->members[cl->nmembers++];
        memset(mb, 0, sizeof *mb);
        mb->uuid = mi.uuid;
        memcpy(mb->host, mi.address.host.ptr, mi.address.host.len);
        mb->host[mi.address.host.len] = '\0';
        mb->port = mi.address.port;
    }
    if (!cl->have_members) {
        int m = member_index(cl, &cl->seed->member_uuid);
        if (m < 0) {
            fail(cl, "the seed member is not in its own MembersView");
            return;
        }
        cl->seed->member = m;
        cl->members[m].conns[cl->members[m].nconns++] = cl->seed;
        cl->members[m].nready++;
        cl->have_members = true;
    }
    for (int m = 0; m < cl->nmembers; m++)
        fill_member(cl, m);
    check_ready(cl);
}

static void on_partitions_view(bcluster *cl, const uint8_t *msg, size_t len)
{
    mg_client_add_cluster_view_listener_event_partitions_view ev;
    if (mg_client_add_cluster_view_listener_event_partitions_view_decode(msg, len, &ev) != 0) {
        fail(cl, "undecodable PartitionsView event");
        return;
    }
    if (ev.partitions.count == 0)
        return;   /* clients ignore an empty table (client-protocol.md 9.3) */
    if (cl->have_partitions && ev.version <= cl->partitions_version)
        return;
    for (int32_t p = 0; p < cl->partition_count; p++)
        cl->owner_of[p] = -1;
    mg_rd r;
    mg_rd_init(&r, ev.partitions.p, ev.partitions.len);
    for (size_t i = 0; i < ev.partitions.count; i++) {
        mg_list ids;
        mg_uuid u;
        if (mg_rd_fixed_list(&r, 4, &ids) != 0 || !mg_list_uuid(&ev.partitions_keys, i, &u)) {
            fail(cl, "undecodable PartitionsView entry");
            return;
        }
        int m = member_index(cl, &u);
        for (size_t j = 0; j < ids.count; j++) {
            int32_t p;
            if (mg_list_i32(&ids, j, &p) && p >= 0 && p < cl->partition_count)
                cl->owner_of[p] = (int16_t)m;
        }
    }
    cl->partitions_version = ev.version;
    cl->have_partitions = true;
    check_ready(cl);
}

static void on_control_answer(bcluster *cl, const bmsg_hdr *h)
{
    /* Type 0 is an error.  Only the trigger may fail (memgrid assigns all
     * partitions at start and need not implement it). */
    if (h->corr == CORR_TRIGGER)
        return;
    if (h->type == 0) {
        fail(cl, h->corr == CORR_PROXY ? "CreateProxy answered with an error"
                                       : "AddClusterViewListener answered with an error");
        return;
    }
    if (h->corr == CORR_VIEW)
        cl->listener_done = true;
    else if (h->corr == CORR_PROXY)
        cl->proxy_done = true;
    check_ready(cl);
}

static void conn_msg(bconn *c, const uint8_t *msg, size_t len, int64_t now)
{
    bcluster *cl = c->owner;
    bmsg_hdr h;
    if (!bmsg_peek(msg, len, &h)) {
        fail(cl, "answer shorter than its header");
        return;
    }
    if (h.flags & MG_F_EVENT) {
        if (h.type == MG_CLIENT_ADD_CLUSTER_VIEW_LISTENER_EVENT_MEMBERS_VIEW)
            on_members_view(cl, msg, len);
        else if (h.type == MG_CLIENT_ADD_CLUSTER_VIEW_LISTENER_EVENT_PARTITIONS_VIEW)
            on_partitions_view(cl, msg, len);
        return;   /* other events (member groups, cluster version) are not needed */
    }
    if (h.corr & BCONN_CTRL)
        on_control_answer(cl, &h);
    else
        cl->cbs->on_response(cl, c, msg, len, now);
}

static void conn_kv_answer(bconn *c, int64_t corr, const bkv_answer *a, int64_t now)
{
    bcluster *cl = c->owner;
    cl->cbs->on_kv_response(cl, c, corr, a, now);
}

static void conn_ready(bconn *c)
{
    bcluster *cl = c->owner;
    if (peer_protocol(cl)) {
        memcpy(cl->server_version, c->server_version, sizeof cl->server_version);
        cl->members[c->member].nready++;
        check_ready(cl);
        return;
    }
    if (c != cl->seed) {
        if (c->partition_count != cl->partition_count) {
            fail(cl, "members disagree on the partition count");
            return;
        }
        cl->members[c->member].nready++;
        check_ready(cl);
        return;
    }
    cl->partition_count = c->partition_count;
    memcpy(cl->server_version, c->server_version, sizeof cl->server_version);
    cl->owner_of = mg_xmalloc((size_t)cl->partition_count * sizeof *cl->owner_of);
    for (int32_t p = 0; p < cl->partition_count; p++)
        cl->owner_of[p] = -1;
    mg_buf *b = bconn_out(c);
    mg_bytes map = { (const uint8_t *)cl->map, strlen(cl->map) };
    mg_bytes svc = { (const uint8_t *)MAP_SERVICE, sizeof MAP_SERVICE - 1 };
    mg_client_add_cluster_view_listener_req_encode(b, CORR_VIEW, -1);
    mg_client_create_proxy_req_encode(b, CORR_PROXY, -1, &map, &svc);
    mg_client_trigger_partition_assignment_req_encode(b, CORR_TRIGGER, -1);
    uv_timer_start(&cl->grace, on_grace, PARTITION_GRACE_MS, 0);
}

static void on_retry(uv_timer_t *t)
{
    bcluster *cl = t->data;
    if (cl->closing || cl->failed)
        return;
    for (int m = 0; m < cl->nmembers; m++)
        fill_member(cl, m);
}

/* Whether a closed connection is one to try again rather than a broken
 * run: to a member other than the seed's that appeared after the run was
 * ready, closed before it authenticated. */
static bool retry_later(bcluster *cl, const bconn *c, const char *why)
{
    if (cl->closing || cl->failed || !cl->ready || c == cl->seed || c->member < 0 ||
        c->partition_count > 0)
        return false;
    bmember *mb = &cl->members[c->member];
    if (++mb->retries > MAX_RETRIES)
        return false;
    if (mb->retries == 1)
        fprintf(stderr, "memgrid-bench: member %s:%d, new in the cluster, refused a connection (%s);"
                        " trying again every %d ms, its partitions go through the seed meanwhile\n",
                mb->host, mb->port, why ? why : "closed", RETRY_MS);
    uv_timer_start(&cl->retry, on_retry, RETRY_MS, 0);
    return true;
}

static void finish_close(bcluster *cl)
{
    free(cl->owner_of);
    cl->owner_of = NULL;
    cl->cbs->on_closed(cl);
}

static void on_grace_closed(uv_handle_t *h)
{
    bcluster *cl = h->data;
    cl->grace_open = false;
    if (cl->open_conns == 0 && !cl->retry_open)
        finish_close(cl);
}

static void on_retry_closed(uv_handle_t *h)
{
    bcluster *cl = h->data;
    cl->retry_open = false;
    if (cl->open_conns == 0 && !cl->grace_open)
        finish_close(cl);
}

static void conn_closed(bconn *c, const char *why)
{
    bcluster *cl = c->owner;
    if (!cl->closing && !retry_later(cl, c, why)) {
        char msg[256];
        snprintf(msg, sizeof msg, "connection to %s:%d closed: %s", c->host, c->port,
                 why ? why : "by the member");
        fail(cl, msg);
    }
    /* Take it out of the routing table before freeing it. */
    if (c->member >= 0) {
        bmember *mb = &cl->members[c->member];
        for (int i = 0; i < mb->nconns; i++)
            if (mb->conns[i] == c) {
                mb->conns[i] = mb->conns[--mb->nconns];
                if (c->partition_count > 0 && mb->nready > 0)   /* it had authenticated */
                    mb->nready--;
                break;
            }
    }
    if (c == cl->seed)
        cl->seed = NULL;
    bconn_release(c);
    free(c);
    if (--cl->open_conns == 0 && cl->closing && !cl->grace_open && !cl->retry_open)
        finish_close(cl);
}

int bcluster_start(bcluster *cl, uv_loop_t *loop, const char *host, int port,
                   const bconn_auth *auth, const char *map, int conns_per_member,
                   uint32_t inflight_cap, const bcluster_cbs *cbs, void *owner)
{
    memset(cl, 0, sizeof *cl);
    cl->loop = loop;
    cl->cbs = cbs;
    cl->owner = owner;
    cl->auth = *auth;
    cl->map = map;
    cl->conns_per_member = conns_per_member > 64 ? 64 : conns_per_member;
    cl->inflight_cap = inflight_cap;
    uv_timer_init(loop, &cl->grace);
    cl->grace.data = cl;
    cl->grace_open = true;
    uv_timer_init(loop, &cl->retry);
    cl->retry.data = cl;
    cl->retry_open = true;
    if (peer_protocol(cl)) {
        /* One server, known up front: nothing to learn before the data
         * requests but the connections themselves. */
        bmember *mb = &cl->members[0];
        snprintf(mb->host, sizeof mb->host, "%s", host);
        mb->port = port;
        cl->nmembers = 1;
        cl->auth.smart = true;
        cl->partition_count = 1;
        cl->owner_of = mg_xcalloc(1, sizeof *cl->owner_of);
        cl->have_members = cl->have_partitions = cl->proxy_done = cl->listener_done = true;
        fill_member(cl, 0);
        cl->seed = mb->nconns ? mb->conns[0] : NULL;
    } else {
        cl->seed = open_conn(cl, host, port);
    }
    if (!cl->seed) {
        uv_close((uv_handle_t *)&cl->grace, NULL);
        uv_close((uv_handle_t *)&cl->retry, NULL);
        cl->grace_open = cl->retry_open = false;
        free(cl->owner_of);
        cl->owner_of = NULL;
        return UV_EINVAL;
    }
    return 0;
}

bconn *bcluster_route(bcluster *cl, int32_t p)
{
    int m = (p >= 0 && p < cl->partition_count && cl->owner_of) ? cl->owner_of[p] : -1;
    if (m < 0 || !smart(cl) || cl->members[m].nconns == 0)
        m = cl->seed ? cl->seed->member : -1;
    if (m < 0)
        return NULL;
    bmember *mb = &cl->members[m];
    bconn *best = NULL;
    for (int i = 0; i < mb->nconns; i++) {
        bconn *c = mb->conns[i];
        if (c->state == BC_READY && (!best || c->inflight.used < best->inflight.used))
            best = c;
    }
    return best;
}

void bcluster_each_conn(bcluster *cl, void (*fn)(bconn *c, void *arg), void *arg)
{
    for (int m = 0; m < cl->nmembers; m++)
        for (int i = 0; i < cl->members[m].nconns; i++)
            fn(cl->members[m].conns[i], arg);
    if (cl->seed && cl->seed->member < 0)
        fn(cl->seed, arg);
}

static void close_one(bconn *c, void *arg)
{
    (void)arg;
    bconn_close(c, NULL);
}

void bcluster_close(bcluster *cl)
{
    if (cl->closing || !cl->loop)   /* already closing, or never started */
        return;
    cl->closing = true;
    if (cl->grace_open)
        uv_close((uv_handle_t *)&cl->grace, on_grace_closed);
    if (cl->retry_open)
        uv_close((uv_handle_t *)&cl->retry, on_retry_closed);
    bcluster_each_conn(cl, close_one, NULL);
    if (cl->open_conns == 0 && !cl->grace_open && !cl->retry_open)
        finish_close(cl);
}
