/* map_bulk.c - operations on many keys or on the whole map.
 *
 * The connection's worker copies the request, fans it out to every worker
 * (each handles the partitions it owns), then assembles one answer.  List
 * answers are built without collecting pointers: each worker encodes its own
 * elements as frames into its slot, and the origin splices the slots between
 * the list's BEGIN and END frames.
 *
 * In a cluster every member takes only the partitions it is primary of, and
 * the origin also sends the request to every other member (a BULK frame,
 * cluster/data_proto.h).  Each runs it the same way on its primaries and
 * returns its part (count, elements, frames: a BULK_RESULT) instead of an
 * answer; the origin puts each part in a slot after its workers' and
 * answers once all are in.  A member that does not answer within the
 * backup timeout makes the request fail with RETRYABLE_HAZELCAST.
 *
 * Writes (putAll, clear, evictAll) are replicated to the backups, and each
 * member's part is done only once its synchronous backups acknowledged the
 * records it made (mg_backup_wait): a part holds one reference for the
 * workers' fan-out and one per partition waiting.  A backup that refuses or
 * does not answer in time makes the request fail with RETRYABLE_HAZELCAST,
 * like a keyed write: a confirmed putAll or clear survives the loss of the
 * member that made it.
 *
 * Destroy runs the same way on every member: each drops the map from all
 * its partitions, primary and backup, so that no promoted backup brings
 * entries back, and each primary also drops it in its partitions'
 * replication streams (a DROP record), which orders the drop against the
 * writes racing it (destroy_part).  A member that leaves the cluster
 * meanwhile counts as done (its copies left with it).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "cluster/data_proto.h"
#include "map/entry_ops.h"
#include "map/expiry.h"
#include "map/listeners.h"
#include "map/locks.h"
#include "map/map_service.h"
#include "member/cluster.h"
#include "member/member.h"
#include "partition/backup.h"
#include "partition/topology.h"
#include "partition/partition_id.h"
#include "proto/codecs/client_codecs.h"
#include "proto/codecs/map_codecs.h"
#include "proto/error.h"
#include "util/alloc.h"
#include "util/clock.h"

typedef struct bulk bulk;
typedef void (*bulk_part_fn)(mg_worker *w, bulk *b, mg_map *map, int slot);
typedef void (*bulk_done_fn)(mg_worker *w, bulk *b, mg_map *map);

struct mg_bulk_origin {
    mg_uuid member;
    uint64_t id;
    int32_t worker;
};

/* Another member whose part is awaited; its slot is nworkers + its index. */
typedef struct remote_part {
    mg_uuid member;
    bool answered;
} remote_part;

struct bulk {
    mg_fanout f;
    int nslots;           /* workers, then one per other member */
    int remote_slots;     /* results received from other members */
    int remote_expected;
    remote_part *remotes; /* [remote_expected] */
    /* This member's part: one for the fan-out, one per partition waiting
     * for its backups; the last release finishes it on the origin worker. */
    atomic_int holds;
    atomic_bool unconfirmed;   /* a backup did not confirm a write of the request */
    mg_task resume;       /* posted to the origin worker by the last release */
    mg_map *dropped;      /* destroy: the unregistered map, freed once every worker dropped it */
    void (*destroy_answer)(mg_buf *out, int64_t corr);
    bool local_done;
    bool has_origin;      /* runs for another member: answer with the part */
    bool abandoned;       /* already answered (timed out): drop when the workers finish */
    struct mg_bulk_origin origin;
    uint64_t id;          /* waiting for members: key of this worker's list */
    int64_t deadline;
    struct bulk *next_waiting;
    mg_req_hdr hdr;
    mg_conn_ref conn;
    bulk_part_fn part_fn;
    bulk_done_fn done_fn;
    mg_bytes name;        /* points into msg */
    int64_t now;
    int64_t *counts;      /* [nworkers] */
    mg_buf *frames;       /* [nworkers] encoded elements */
    size_t *elements;     /* [nworkers] element count */
    mg_bytes arg;         /* a decoded parameter (containsValue's value) */
    mg_list list;         /* putAll entries / getAll keys */
    bool flag;            /* putAll: triggerMapLoader */
    size_t len;
    uint8_t msg[];
};

static void bulk_part(mg_worker *w, mg_fanout *f)
{
    bulk *b = (bulk *)f;
    mg_map *map = mg_map_lookup(w, b->name.ptr, b->name.len);
    b->part_fn(w, b, map, w->idx);
}

static void bulk_free(bulk *b)
{
    for (int i = 0; i < b->nslots; i++)
        mg_buf_free(&b->frames[i]);
    free(b->remotes);
    free(b->frames);
    free(b->counts);
    free(b->elements);
    free(b);
}

/* This member's part, for the member that asked. */
static void send_part(mg_worker *w, bulk *b)
{
    int64_t count = 0, elements = 0;
    for (int i = 0; i < w->m->nworkers; i++) {
        if (b->hdr.type == MG_MAP_PUT_ALL_REQ)
            count = b->counts[i] > count ? b->counts[i] : count;   /* largest refusal */
        else
            count += b->counts[i];
        elements += (int64_t)b->elements[i];
    }
    if (atomic_load(&b->unconfirmed))
        elements = MG_DP_BULK_UNCONFIRMED;
    mg_buf out;
    mg_buf_init(&out);
    size_t start = mg_dp_begin(&out, MG_DP_BULK_RESULT, &w->topo->self);
    mg_bc_put_u64(&out, b->origin.id);
    mg_bc_put_u32(&out, (uint32_t)b->origin.worker);
    mg_bc_put_i64(&out, count);
    mg_bc_put_i64(&out, elements);
    for (int i = 0; i < w->m->nworkers; i++)
        mg_buf_append(&out, b->frames[i].data, b->frames[i].len);
    mg_dp_end(&out, start);
    mg_cluster_send(w, &b->origin.member, out.data, out.len);
    mg_buf_free(&out);
}

static void bulk_finish(mg_worker *w, bulk *b)
{
    /* a destroyed map is not looked up again: that would create it anew */
    mg_map *map = b->destroy_answer ? NULL : mg_map_lookup(w, b->name.ptr, b->name.len);
    b->done_fn(w, b, map);
    bulk_free(b);
}

/* This member's part is complete, backups included (origin worker). */
static void local_finished(mg_worker *w, bulk *b)
{
    if (b->dropped) {
        mg_map_free(b->dropped);   /* no worker holds it any more */
        b->dropped = NULL;
    }
    if (b->abandoned) {
        bulk_free(b);
        return;
    }
    if (b->has_origin) {
        send_part(w, b);
        bulk_free(b);
        return;
    }
    b->local_done = true;
    if (b->remote_slots < b->remote_expected)
        return;   /* on the waiting list until the other members answered */
    bulk_finish(w, b);
}

static void run_resume(mg_worker *w, mg_task *t)
{
    local_finished(w, (bulk *)((char *)t - offsetof(bulk, resume)));
}

/* Any worker: drops one hold on the local part. */
static void release_hold(mg_worker *w, bulk *b)
{
    if (atomic_fetch_sub(&b->holds, 1) != 1)
        return;
    if (w->idx == b->f.origin) {
        local_finished(w, b);
        return;
    }
    b->resume.run = run_resume;
    mg_worker_post_from(w, &w->m->workers[b->f.origin], &b->resume);
}

static void bulk_done(mg_worker *w, mg_fanout *f) { release_hold(w, (bulk *)f); }

static void backups_answered(mg_worker *w, void *ctx, bool confirmed)
{
    bulk *b = ctx;
    if (!confirmed)
        atomic_store(&b->unconfirmed, true);
    release_hold(w, b);
}

/* The part holds until p's synchronous backups acknowledged every record
 * made so far in p (partition worker; nothing happens without backups). */
static void wait_backups(mg_worker *w, bulk *b, int32_t p)
{
    /* The callback runs in a later turn of this worker: counting after is safe. */
    if (mg_backup_wait(w, p, mg_backup_seq(w, p), backups_answered, b))
        atomic_fetch_add(&b->holds, 1);
}

/* The request failed its backups: the client is told to retry.  True when
 * it was answered so. */
static bool answer_unconfirmed(mg_worker *w, bulk *b);

static void unwait(mg_worker *w, bulk *b)
{
    for (bulk **pp = &w->bulk_waiting; *pp; pp = &(*pp)->next_waiting)
        if (*pp == b) {
            *pp = b->next_waiting;
            return;
        }
}

/* Starts the local fan-out, and in a cluster sends the request to the
 * other members.  `one`: the only worker with work (-1: all). */
static void bulk_launch(mg_worker *w, bulk *b, int one)
{
    const mg_topology *t = w->topo;
    if (!b->has_origin && t && t->is_member && t->list.count > 1) {
        b->id = ++w->bulk_next_id;
        b->deadline = mg_clock_mono_ns() / 1000000 + w->m->cfg.backup_timeout_millis;
        mg_buf out;
        mg_buf_init(&out);
        size_t start = mg_dp_begin(&out, MG_DP_BULK, &t->self);
        mg_bc_put_u64(&out, b->id);
        mg_bc_put_u32(&out, (uint32_t)w->idx);
        mg_buf_append(&out, b->msg, b->len);
        mg_dp_end(&out, start);
        b->remotes = mg_xcalloc((size_t)t->list.count, sizeof *b->remotes);
        for (int i = 0; i < t->list.count; i++) {
            if (mg_uuid_eq(&t->list.members[i].uuid, &t->self))
                continue;
            mg_cluster_send(w, &t->list.members[i].uuid, out.data, out.len);
            b->remotes[b->remote_expected++].member = t->list.members[i].uuid;
        }
        mg_buf_free(&out);
        b->next_waiting = w->bulk_waiting;
        w->bulk_waiting = b;
        one = -1;   /* keys of other members' partitions may be ours after all */
    }
    if (one >= 0)
        mg_fanout_start_one(w, &b->f, one);
    else
        mg_fanout_start(w, &b->f);
}

static void retryable_answer(mg_worker *w, bulk *b, const char *why)
{
    mg_buf out;
    mg_buf_init(&out);
    mg_proto_error_encode(&out, b->hdr.corr, MG_ERR_RETRYABLE_HAZELCAST,
                          "com.hazelcast.spi.exception.RetryableHazelcastException", why);
    mg_worker_send(w, b->conn, &out);
    mg_buf_free(&out);
}

static bool answer_unconfirmed(mg_worker *w, bulk *b)
{
    if (!atomic_load(&b->unconfirmed))
        return false;
    retryable_answer(w, b, "the write was not confirmed by the backups of every partition it changed "
                     "(a backup refused or did not answer in time); retry");
    return true;
}

/* One more member's part is in (or needs no waiting for). */
static void remote_in(mg_worker *w, bulk *b)
{
    b->remote_slots++;
    if (b->remote_slots == b->remote_expected) {
        unwait(w, b);
        if (b->local_done)
            bulk_finish(w, b);
    }
}

void mg_map_bulk_on_result(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    uint64_t id = mg_bc_u64(&rd);
    mg_bc_u32(&rd);
    int64_t count = mg_bc_i64(&rd);
    int64_t elements = mg_bc_i64(&rd);
    size_t n = mg_bc_left(&rd);
    const uint8_t *frames = mg_bc_take(&rd, n);
    if (rd.bad)
        return;
    bulk *b = w->bulk_waiting;
    while (b && b->id != id)
        b = b->next_waiting;
    if (!b)
        return;   /* timed out already */
    int i = 0;
    while (i < b->remote_expected && !mg_uuid_eq(&b->remotes[i].member, &f->sender))
        i++;
    if (i == b->remote_expected || b->remotes[i].answered)
        return;   /* not asked, or answered already */
    b->remotes[i].answered = true;
    if (elements < 0) {
        atomic_store(&b->unconfirmed, true);   /* MG_DP_BULK_UNCONFIRMED */
        elements = 0;
    }
    int slot = w->m->nworkers + i;
    b->counts[slot] = count;
    b->elements[slot] = (size_t)elements;
    mg_buf_append(&b->frames[slot], frames, n);
    remote_in(w, b);
}

void mg_map_bulk_on_request(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    struct mg_bulk_origin origin = {.member = f->sender};
    origin.id = mg_bc_u64(&rd);
    origin.worker = (int32_t)mg_bc_u32(&rd);
    size_t len = mg_bc_left(&rd);
    const uint8_t *msg = mg_bc_take(&rd, len);
    if (rd.bad)
        return;
    mg_req r = {.w = w, .msg = msg, .len = len, .partition = -1, .bulk_origin = &origin,
                .conn = {.remote = true, .via = f->sender}};
    mg_rd frd;
    mg_frame first;
    mg_rd_init(&frd, msg, len);
    if (mg_rd_request_header(&frd, &r.hdr, &first) != 0)
        return;
    const mg_handler *h = mg_dispatch_find(r.hdr.type);
    /* only the whole-map operations that fan out through bulk_new */
    switch (r.hdr.type) {
    case MG_MAP_SIZE_REQ: case MG_MAP_IS_EMPTY_REQ: case MG_MAP_CLEAR_REQ: case MG_MAP_EVICT_ALL_REQ:
    case MG_MAP_KEY_SET_REQ: case MG_MAP_VALUES_REQ: case MG_MAP_ENTRY_SET_REQ:
    case MG_MAP_CONTAINS_VALUE_REQ: case MG_MAP_GET_ALL_REQ: case MG_MAP_PUT_ALL_REQ:
    case MG_CLIENT_DESTROY_PROXY_REQ:   /* sent for maps only (mg_map_destroy_then) */
        break;
    default:
        return;
    }
    mg_buf scratch;   /* a malformed request answers here: dropped, the origin times out */
    mg_buf_init(&scratch);
    r.out = &scratch;
    h->fn(&r);
    mg_buf_free(&scratch);
}

/* Destroy: a member that left the list took its copies of the map with it,
 * and whoever was promoted in its place drops the map in its own part, so
 * its answer is not needed.  Other operations wait for their timeout: the
 * partitions it held moved to members that may have run their part before. */
static bool count_departed(mg_worker *w, bulk *b)
{
    const mg_topology *t = w->topo;
    if (!b->destroy_answer || !t || !t->is_member)
        return false;
    for (int i = 0; i < b->remote_expected; i++) {
        if (b->remotes[i].answered)
            continue;
        bool listed = false;
        for (int k = 0; k < t->list.count && !listed; k++)
            listed = mg_uuid_eq(&t->list.members[k].uuid, &b->remotes[i].member);
        if (listed)
            continue;
        b->remotes[i].answered = true;
        bool last = b->remote_slots + 1 == b->remote_expected;
        remote_in(w, b);   /* the last one takes b off the list, and may free it */
        if (last)
            return true;
    }
    return false;
}

void mg_map_bulk_tick(mg_worker *w)
{
    int64_t now = mg_clock_mono_ns() / 1000000;
    bulk **pp = &w->bulk_waiting;
    while (*pp) {
        bulk *b = *pp;
        if (count_departed(w, b))
            continue;   /* answered, off the list: *pp is the next one */
        if (now < b->deadline) {
            pp = &b->next_waiting;
            continue;
        }
        *pp = b->next_waiting;
        retryable_answer(w, b, "a member did not answer its part of the request in time");
        b->remote_expected = b->remote_slots = 0;
        if (b->local_done)
            bulk_free(b);
        else
            b->abandoned = true;   /* answered: the workers' parts are dropped when done */
    }
}

/* Copies the request so that every worker can read it after the connection's
 * input buffer has moved on. */
static bulk *bulk_new(mg_req *r, bulk_part_fn part, bulk_done_fn done)
{
    const mg_topology *t = r->w->topo;
    int n = r->w->m->nworkers + (!r->bulk_origin && t && t->is_member ? t->list.count : 0);
    bulk *b = mg_xcalloc(1, sizeof *b + r->len);
    b->nslots = n;
    if (r->bulk_origin) {
        b->has_origin = true;
        b->origin = *r->bulk_origin;
    }
    memcpy(b->msg, r->msg, r->len);
    b->len = r->len;
    b->hdr = r->hdr;
    b->conn = r->conn;
    b->part_fn = part;
    b->done_fn = done;
    atomic_store(&b->holds, 1);
    atomic_store(&b->unconfirmed, false);
    b->now = mg_clock_now_ms();
    b->counts = mg_xcalloc((size_t)n, sizeof *b->counts);
    b->elements = mg_xcalloc((size_t)n, sizeof *b->elements);
    b->frames = mg_xcalloc((size_t)n, sizeof *b->frames);
    b->f.part = bulk_part;
    b->f.done = bulk_done;
    return b;
}

/* Pointers decoded from r->msg, moved to the copy in b->msg. */
static mg_bytes rebase(const mg_req *r, const bulk *b, mg_bytes v)
{
    if (v.ptr)
        v.ptr = b->msg + (v.ptr - r->msg);
    return v;
}

static mg_list rebase_list(const mg_req *r, const bulk *b, mg_list l)
{
    if (l.p)
        l.p = b->msg + (l.p - r->msg);
    return l;
}

static void reply(mg_worker *w, bulk *b, mg_buf *out)
{
    mg_worker_send(w, b->conn, out);
}

/* The partitions this worker holds as primary; backups are counted by
 * their primaries only. */
#define FOR_OWN_PARTS(w, map, p, part)                                               \
    for (int32_t p = (w)->idx; p < (map)->partition_count; p += (w)->m->nworkers)    \
        for (mg_part *part = (map)->parts[p]; part && mg_topology_is_primary((w)->topo, p); part = NULL)

static int64_t sum_counts(mg_worker *w, const bulk *b)
{
    (void)w;
    int64_t s = 0;
    for (int i = 0; i < b->nslots; i++)
        s += b->counts[i];
    return s;
}

/* --- size / isEmpty ----------------------------------------------------------- */

/* Hazelcast counts stored records, expired-but-not-yet-removed ones included. */
static void count_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    int64_t n = 0;
    FOR_OWN_PARTS(w, map, p, part)
        n += (int64_t)mg_store_count(part->store);
    b->counts[slot] = n;
}

static void size_done(mg_worker *w, bulk *b, mg_map *map)
{
    mg_buf out;
    mg_buf_init(&out);
    int64_t n = sum_counts(w, b);
    if (b->hdr.type == MG_MAP_SIZE_REQ)
        mg_map_size_resp_encode(&out, b->hdr.corr, n > INT32_MAX ? INT32_MAX : (int32_t)n);
    else
        mg_map_is_empty_resp_encode(&out, b->hdr.corr, n == 0);
    reply(w, b, &out);
    mg_buf_free(&out);
}

void mg_map_size(mg_req *r)
{
    mg_map_size_req q;
    if (mg_map_size_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, count_part, size_done);
    b->name = rebase(r, b, q.name);
    bulk_launch(r->w, b, -1);
}

void mg_map_is_empty(mg_req *r)
{
    mg_map_is_empty_req q;
    if (mg_map_is_empty_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, count_part, size_done);
    b->name = rebase(r, b, q.name);
    bulk_launch(r->w, b, -1);
}

/* --- clear / evictAll ----------------------------------------------------------- */

typedef struct clear_ctx {
    mg_part *part;
} clear_ctx;

static bool unlocked(void *ctx, const mg_entry *e)
{
    /* locked entries stay, and so do their locks */
    return !mg_locked(((clear_ctx *)ctx)->part, mg_entry_key(e), mg_entry_klen(e));
}

static void clear_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    int64_t n = 0;
    FOR_OWN_PARTS(w, map, p, part) {
        clear_ctx cc = {part};
        size_t removed = mg_store_remove_if(part->store, unlocked, NULL, &cc);
        if (removed) {
            mg_backup_note_clear(w, map, p);
            wait_backups(w, b, p);
        }
        n += (int64_t)removed;
    }
    b->counts[slot] = n;
    if (b->hdr.type == MG_MAP_EVICT_ALL_REQ)
        mg_map_stat_add(&map->stats[w->idx].evictions, (uint64_t)n);
}

static void clear_done(mg_worker *w, bulk *b, mg_map *map)
{
    mg_buf out;
    mg_buf_init(&out);
    int64_t n = sum_counts(w, b);
    bool evict = b->hdr.type == MG_MAP_EVICT_ALL_REQ;
    if (!answer_unconfirmed(w, b)) {
        if (evict)
            mg_map_evict_all_resp_encode(&out, b->hdr.corr);
        else
            mg_map_clear_resp_encode(&out, b->hdr.corr);
        reply(w, b, &out);
    }
    mg_buf_free(&out);
    /* One map-wide event, and only when something was removed: also when a
     * backup did not confirm, since the entries are gone on the primaries
     * and the client's retry will find nothing to remove. */
    if (n > 0)
        mg_listeners_publish(w, map, -1, evict ? MG_EV_EVICT_ALL : MG_EV_CLEAR_ALL, NULL, NULL,
                             NULL, n > INT32_MAX ? INT32_MAX : (int32_t)n);
}

void mg_map_clear(mg_req *r)
{
    mg_map_clear_req q;
    if (mg_map_clear_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, clear_part, clear_done);
    b->name = rebase(r, b, q.name);
    bulk_launch(r->w, b, -1);
}

void mg_map_evict_all(mg_req *r)
{
    mg_map_evict_all_req q;
    if (mg_map_evict_all_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, clear_part, clear_done);
    b->name = rebase(r, b, q.name);
    bulk_launch(r->w, b, -1);
}

/* --- keySet / values / entrySet ------------------------------------------------- */

typedef struct list_ctx {
    bulk *b;
    mg_part *part;
    int slot;
    mg_wr wr;
} list_ctx;

static bool emit(void *arg, mg_entry *e)
{
    list_ctx *lc = arg;
    if (mg_expiry_is_expired(e, lc->b->now) && !mg_locked(lc->part, mg_entry_key(e), mg_entry_klen(e)))
        return true;   /* expired records are left out, not removed */
    uint32_t t = lc->b->hdr.type;
    if (t != MG_MAP_VALUES_REQ)
        mg_wr_bytes(&lc->wr, mg_entry_key(e), mg_entry_klen(e));
    if (t != MG_MAP_KEY_SET_REQ)
        mg_wr_bytes(&lc->wr, mg_entry_value(e), mg_entry_vlen(e));
    lc->b->elements[lc->slot]++;
    return true;
}

static void list_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    list_ctx lc = {.b = b, .slot = slot};
    mg_wr_init(&lc.wr, &b->frames[slot]);
    FOR_OWN_PARTS(w, map, p, part) {
        lc.part = part;
        mg_store_foreach(part->store, emit, &lc);
    }
}

/* Response: initial frame, BEGIN, every worker's element frames, END. */
static void splice_list(mg_worker *w, bulk *b, uint32_t resp_type, mg_buf *out)
{
    mg_wr wr;
    mg_wr_init(&wr, out);
    mg_wr_response(&wr, resp_type, b->hdr.corr, 0);
    mg_wr_begin(&wr);
    (void)w;
    for (int i = 0; i < b->nslots; i++)
        mg_buf_append(out, b->frames[i].data, b->frames[i].len);
    mg_wr_end_ds(&wr);
    mg_wr_end(&wr);
}

static void list_done(mg_worker *w, bulk *b, mg_map *map)
{
    (void)map;
    mg_buf out;
    mg_buf_init(&out);
    splice_list(w, b, b->hdr.type + 1, &out);
    reply(w, b, &out);
    mg_buf_free(&out);
}

static void list_op(mg_req *r, mg_bytes name)
{
    bulk *b = bulk_new(r, list_part, list_done);
    b->name = rebase(r, b, name);
    bulk_launch(r->w, b, -1);
}

#define NAME_ONLY(fn, codec)                                       \
    void fn(mg_req *r)                                             \
    {                                                              \
        mg_##codec##_req q;                                        \
        if (mg_##codec##_req_decode(r->msg, r->len, &q)) {         \
            mg_req_bad_message(r);                                 \
            return;                                                \
        }                                                          \
        list_op(r, q.name);                                        \
    }

NAME_ONLY(mg_map_key_set, map_key_set)
NAME_ONLY(mg_map_values, map_values)
NAME_ONLY(mg_map_entry_set, map_entry_set)

/* --- containsValue ----------------------------------------------------------------- */

typedef struct cv_ctx {
    bulk *b;
    bool found;
} cv_ctx;

static bool match_value(void *arg, mg_entry *e)
{
    cv_ctx *c = arg;
    mg_bytes v = c->b->arg;
    if (mg_entry_vlen(e) == v.len && v.len >= 4 && memcmp(mg_entry_value(e) + 4, v.ptr + 4, v.len - 4) == 0 &&
        !mg_expiry_is_expired(e, c->b->now)) {
        c->found = true;
        return false;
    }
    return true;
}

static void cv_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    cv_ctx c = {b, false};
    FOR_OWN_PARTS(w, map, p, part) {
        mg_store_foreach(part->store, match_value, &c);
        if (c.found)
            break;
    }
    b->counts[slot] = c.found;
}

static void cv_done(mg_worker *w, bulk *b, mg_map *map)
{
    (void)map;
    mg_buf out;
    mg_buf_init(&out);
    mg_map_contains_value_resp_encode(&out, b->hdr.corr, sum_counts(w, b) > 0);
    reply(w, b, &out);
    mg_buf_free(&out);
}

void mg_map_contains_value(mg_req *r)
{
    mg_map_contains_value_req q;
    if (mg_map_contains_value_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, cv_part, cv_done);
    b->name = rebase(r, b, q.name);
    b->arg = rebase(r, b, q.value);
    bulk_launch(r->w, b, -1);
}

/* --- getAll / putAll ---------------------------------------------------------------- */

static bool own_key(mg_worker *w, mg_bytes key, int32_t *p)
{
    if (key.len < 8)
        return false;
    *p = mg_partition_of(key.ptr, key.len, w->m->partition_count);
    return *p % w->m->nworkers == w->idx && mg_topology_is_primary(w->topo, *p);
}

/* Clients send one PutAll / GetAll per partition, so a batch usually lives on
 * one worker: then only that worker runs it.  Returns the worker, or -1 when
 * the keys are spread (every worker then takes its own). */
static int single_worker(mg_worker *w, mg_list l, int stride)
{
    mg_rd rd;
    mg_rd_init(&rd, l.p, l.len);
    mg_bytes key, skip;
    int only = -1;
    while (mg_rd_has_more(&rd) && mg_rd_bytes(&rd, &key) == 0) {
        if (stride == 2 && mg_rd_bytes(&rd, &skip) != 0)
            return -1;
        if (key.len < 8)
            return -1;
        int owner = mg_partition_of(key.ptr, key.len, w->m->partition_count) % w->m->nworkers;
        if (only >= 0 && owner != only)
            return -1;
        only = owner;
    }
    return only;
}

static void bulk_start(mg_worker *w, bulk *b, int stride)
{
    bulk_launch(w, b, single_worker(w, b->list, stride));
}

static void get_all_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    mg_wr wr;
    mg_wr_init(&wr, &b->frames[slot]);
    mg_rd rd;
    mg_rd_init(&rd, b->list.p, b->list.len);
    mg_bytes key;
    while (mg_rd_has_more(&rd) && mg_rd_bytes(&rd, &key) == 0) {
        int32_t p;
        if (!own_key(w, key, &p))
            continue;
        mg_kop k = {.w = w, .map = map, .p = p, .part = mg_map_part(w, map, p), .now = b->now, .key = key};
        mg_entry *e = mg_kop_live(&k);
        if (!e)
            continue;   /* missing keys are left out of the answer */
        mg_expiry_on_access(e, b->now);
        mg_wr_bytes(&wr, mg_entry_key(e), mg_entry_klen(e));
        mg_wr_bytes(&wr, mg_entry_value(e), mg_entry_vlen(e));
    }
}

void mg_map_get_all(mg_req *r)
{
    mg_map_get_all_req q;
    if (mg_map_get_all_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, get_all_part, list_done);
    b->name = rebase(r, b, q.name);
    b->list = rebase_list(r, b, q.keys);
    bulk_start(r->w, b, 1);
}

/* Entries that do not fit under the member's memory limit are skipped and
 * the call answers with the refusal error (entry_ops.h); the others are
 * written.  counts[slot] keeps the largest refused growth. */
static void put_all_part(mg_worker *w, bulk *b, mg_map *map, int slot)
{
    mg_rd rd;
    mg_rd_init(&rd, b->list.p, b->list.len);
    mg_bytes key, value;
    int32_t run = -1;   /* partition of the keys just written: clients send one per batch */
    while (mg_rd_has_more(&rd) && mg_rd_bytes(&rd, &key) == 0 && mg_rd_bytes(&rd, &value) == 0) {
        int32_t p;
        if (!own_key(w, key, &p))
            continue;
        if (p != run && run >= 0)
            wait_backups(w, b, run);
        run = p;
        mg_kop k = {.w = w, .map = map, .p = p, .part = mg_map_part(w, map, p), .now = b->now, .key = key};
        mg_entry *old = NULL;
        mg_entry *e = mg_kop_store(&k, value, -1, -1, &old);   /* putAll ignores locks */
        if (!e) {
            if (k.refused_bytes > b->counts[slot])
                b->counts[slot] = k.refused_bytes;
            continue;
        }
        if (old && b->flag) {
            mg_bytes oldv = mg_entry_value_bytes(old);
            mg_kop_publish(&k, MG_EV_UPDATED, &value, &oldv);
        } else {
            /* without triggerMapLoader Hazelcast reports every entry as ADDED */
            mg_kop_publish(&k, MG_EV_ADDED, &value, NULL);
        }
        mg_kop_release(&k, old);
        mg_backup_note_key(w, map, p, key.ptr, key.len);
        mg_kop_evict_if_needed(&k, e);
    }
    if (run >= 0)
        wait_backups(w, b, run);
}

static void empty_done(mg_worker *w, bulk *b, mg_map *map)
{
    if (answer_unconfirmed(w, b))
        return;
    mg_buf out;
    mg_buf_init(&out);
    int64_t refused = 0;
    for (int i = 0; i < b->nslots; i++)
        if (b->counts[i] > refused)
            refused = b->counts[i];
    if (refused > 0) {
        char msg[320];
        mg_map_refusal_text(w, map, refused, msg, sizeof msg);
        mg_proto_error_encode(&out, b->hdr.corr, MG_KOP_REFUSED_CODE, MG_KOP_REFUSED_CLASS, msg);
    } else {
        mg_map_put_all_resp_encode(&out, b->hdr.corr);
    }
    reply(w, b, &out);
    mg_buf_free(&out);
}

void mg_map_put_all(mg_req *r)
{
    mg_map_put_all_req q;
    if (mg_map_put_all_req_decode(r->msg, r->len, &q)) {
        mg_req_bad_message(r);
        return;
    }
    bulk *b = bulk_new(r, put_all_part, empty_done);
    b->name = rebase(r, b, q.name);
    b->list = rebase_list(r, b, q.entries);
    b->flag = q.has_trigger_map_loader ? q.trigger_map_loader : true;
    bulk_start(r->w, b, 2);
}

void mg_map_flush(mg_req *r)
{
    /* no MapStore: nothing is queued for writing behind */
    mg_map_flush_resp_encode(r->out, r->hdr.corr);
}

/* --- destroy ------------------------------------------------------------------------ */

/* Every partition this worker holds, primary or backup, and the worker's
 * cache entry and listeners: the map must not come back from a promoted
 * backup.
 *
 * This BULK travels on another link than the partitions' replication
 * streams, so a backup may run it before the records of writes its
 * primary made earlier, and those would make the map anew there.  So each
 * partition this member is primary of also gets a DROP record, after the
 * records of every write made here before: its backups apply those first,
 * then drop the map again.  The part waits for its synchronous backups to
 * acknowledge the DROP, so that once the destroy is answered no primary
 * that dies takes an unapplied DROP with it.  Their refusal does not fail
 * the destroy (its BULK already reached every member).
 *
 * The other way round, the DROP may reach a backup before this BULK, and
 * the records after it (writes to the map made anew on the primary) too.
 * The BULK must not drop those, or the primary would hold entries its
 * backup lost: the backup's part is handed over to the new map instead
 * (mg_backup_drop_came_first).
 *
 * Between mg_map_unregister and this worker's turn, a write here may have
 * found no map in this worker's cache and made a fresh one of the same
 * name.  Its parts go too: a backup applying DROP drops whichever map it
 * holds under the name, so the primary must drop the same, or the two
 * would disagree.  Such a write overlapped the destroy, which may come
 * after it: losing it is what a destroy linearized after it does. */
static void destroy_part(mg_worker *w, mg_fanout *f)
{
    bulk *b = (bulk *)f;
    mg_map *map = b->dropped;
    const uint8_t *name = (const uint8_t *)map->name;
    mg_map_forget(w, map);
    mg_map *fresh = mg_map_registered(w->m, name, map->name_len);
    for (int32_t p = w->idx; p < w->m->partition_count; p += w->m->nworkers) {
        if (mg_backup_drop_came_first(w, map, p)) {
            if (map->parts[p]) {
                if (!fresh)
                    fresh = mg_map_lookup(w, name, map->name_len);
                mg_map_move_part(w, map, fresh, p);
            }
            continue;
        }
        mg_backup_note_drop(w, map, p);
        wait_backups(w, b, p);
        mg_map_free_part(w, map, p);
        if (fresh && fresh != map)
            mg_map_free_part(w, fresh, p);
    }
    mg_listeners_drop_map(w, name, map->name_len);
}

static void destroy_done(mg_worker *w, bulk *b, mg_map *map)
{
    (void)map;
    mg_buf out;
    mg_buf_init(&out);
    b->destroy_answer(&out, b->hdr.corr);
    reply(w, b, &out);
    mg_buf_free(&out);
}

/* On the member the client asked, and (through BULK) on every other one:
 * the map leaves the registry first, so requests arriving meanwhile make a
 * fresh map, then each worker drops its partitions, then it is freed. */
void mg_map_destroy_then(mg_req *r, const uint8_t *name, size_t len, void (*answer)(mg_buf *, int64_t))
{
    mg_map *map = mg_map_lookup(r->w, name, len);
    mg_map_unregister(r->w->m, map);
    bulk *b = bulk_new(r, NULL, destroy_done);
    b->dropped = map;
    b->destroy_answer = answer;
    b->f.part = destroy_part;
    bulk_launch(r->w, b, -1);
}
