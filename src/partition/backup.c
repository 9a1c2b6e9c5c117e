/* backup.c - replication from primaries to backups (backup.h). */
#include "partition/backup.h"

#include <string.h>

#include "map/entry_ops.h"
#include "map/locks.h"
#include "member/cluster.h"
#include "member/handoff.h"
#include "member/member.h"
#include "partition/topology.h"
#include "proto/error.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/rand.h"

#define MAX_TARGETS (MG_PT_MAX_REPLICAS + 4)
#define SNAPSHOT_CHUNK (4u << 20)

typedef struct target {
    mg_uuid member;
    uint64_t acked;      /* highest seq it acknowledged */
    uint64_t refused;    /* highest seq it refused (follows another primary) */
    bool sync;           /* writes wait for it */
    bool migration;      /* a migration destination: report when it caught up */
    bool catching_up;    /* a new destination still taking its copy: nobody waits for it yet */
    bool reported;
    uint64_t report_seq;
    uint64_t report_tv;
    mg_uuid master;
} target;

/* A held answer (bytes for conn), or a waiter called back (done, ctx). */
typedef struct pending {
    struct pending *next;
    uint64_t seq;
    int64_t deadline;
    mg_conn_ref conn;
    bool answers_remote;
    mg_backup_done_fn done;
    void *ctx;
    size_t len;
    uint8_t bytes[];
} pending;

typedef struct pstate {
    uint64_t seq;          /* primary: last record numbered; backup: last applied */
    mg_uuid source;        /* backup: the primary it follows (none: null) */
    bool has_source;
    bool in_snapshot;
    int64_t asked_sync;    /* when we last asked for a copy (ms), 0 = not waiting for one */
    bool primary;
    /* The newest table our copy was made for: a snapshot from a primary
     * under table v arrives before we install v ourselves (frames overtake
     * the topology task), and must not be dropped by an older table. */
    uint64_t data_tv;
    int ntargets;
    target targets[MAX_TARGETS];
    pending *head, *tail;
    mg_buf batch;          /* records written this turn */
    uint64_t batch_first;
    bool dirty;
    int32_t next_dirty;
    struct drop_mark *marks;   /* backup: destroys half done here (drop_mark) */
} pstate;

/* A destroy reaches a backup twice, on two links: as the BULK that every
 * member runs, and as the primary's DROP record in the stream.  Whichever
 * comes first drops the map; what the backup holds of it after the DROP is
 * of the map made anew (the primary dropped at the same point), and the
 * BULK, coming later, must leave that alone.  A mark counts, per map name
 * and partition, DROP records applied minus BULKs run: positive when a
 * DROP came ahead of its BULK, negative when a BULK awaits its DROP.  Each
 * destroy brings one of each while the primary and the backup keep their
 * roles, so the marks are dropped when the partition's source changes, and
 * one left over by a destroy that did not bring both is forgotten after
 * the backup timeout (a BULK and its DROP normally come moments apart). */
typedef struct drop_mark {
    struct drop_mark *next;
    int64_t at;            /* ms, when it last changed */
    int balance;
    size_t len;
    uint8_t name[];
} drop_mark;

/* A copy on its way (send_snapshot). */
struct snap_job {
    struct snap_job *next;
    int32_t p;
    mg_uuid to;
    char **names;          /* the maps holding p when the copy began */
    size_t *name_lens;
    size_t nnames, next_map;
    uint64_t cursor;       /* mg_store_scan position in names[next_map] */
    bool sized;            /* names[next_map]'s SIZE record went out */
};
typedef struct snap_job snap_job;

struct mg_repl {
    pstate *ps;            /* [partition_count]; this worker's partitions used */
    int32_t dirty;         /* first dirty partition, -1 */
    size_t npending;
    snap_job *jobs;        /* copies being sent, oldest first */
    uv_idle_t snap_idle;   /* runs while `jobs` is not empty */
    mg_buf slice;          /* a copy's slice is encoded here; it trades places
                            * with the link's queue (mg_cluster_send_buf), so
                            * a few buffers go round without copy or realloc */
};

static pstate *ps_of(mg_worker *w, int32_t p) { return &w->repl->ps[p]; }

void mg_backup_worker_init(mg_worker *w)
{
    w->repl = mg_xcalloc(1, sizeof *w->repl);
    w->repl->ps = mg_xcalloc((size_t)w->m->partition_count, sizeof *w->repl->ps);
    w->repl->dirty = -1;
    uv_idle_init(&w->loop, &w->repl->snap_idle);
    w->repl->snap_idle.data = w;
}

static void job_free(snap_job *j);

static void marks_clear(pstate *ps)
{
    for (drop_mark *d = ps->marks, *n; d; d = n) {
        n = d->next;
        free(d);
    }
    ps->marks = NULL;
}

/* Adds delta to the balance of name in p and returns the balance it had
 * (0 for a mark that timed out).  A mark back at 0 goes. */
static int mark_add(mg_worker *w, pstate *ps, const uint8_t *name, size_t len, int delta)
{
    int64_t now = mg_clock_mono_ns() / 1000000;
    drop_mark *d = NULL;
    for (drop_mark **pp = &ps->marks; *pp;) {
        drop_mark *x = *pp;
        if (now - x->at > w->m->cfg.backup_timeout_millis) {
            *pp = x->next;
            free(x);
            continue;
        }
        if (x->len == len && memcmp(x->name, name, len) == 0)
            d = x;
        pp = &x->next;
    }
    if (!d) {
        d = mg_xcalloc(1, sizeof *d + (len ? len : 1));
        d->len = len;
        memcpy(d->name, name, len);
        d->next = ps->marks;
        ps->marks = d;
    }
    int was = d->balance;
    d->balance += delta;
    d->at = now;
    if (d->balance == 0) {
        for (drop_mark **pp = &ps->marks; *pp; pp = &(*pp)->next)
            if (*pp == d) {
                *pp = d->next;
                free(d);
                break;
            }
    }
    return was;
}

void mg_backup_worker_free(mg_worker *w)
{
    if (!w->repl)
        return;
    for (snap_job *j = w->repl->jobs, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    for (int32_t p = 0; p < w->m->partition_count; p++) {
        pstate *ps = &w->repl->ps[p];
        mg_buf_free(&ps->batch);
        marks_clear(ps);
        for (pending *q = ps->head, *n; q; q = n) {
            n = q->next;
            free(q);
        }
    }
    free(w->repl->ps);
    mg_buf_free(&w->repl->slice);
    free(w->repl);
    w->repl = NULL;
}

static target *find_target(pstate *ps, const mg_uuid *u)
{
    for (int i = 0; i < ps->ntargets; i++)
        if (mg_uuid_eq(&ps->targets[i].member, u))
            return &ps->targets[i];
    return NULL;
}

bool mg_backup_has_sync(mg_worker *w, int32_t p)
{
    pstate *ps = ps_of(w, p);
    if (!ps->primary)
        return false;
    for (int i = 0; i < ps->ntargets; i++)
        if (ps->targets[i].sync)
            return true;
    return false;
}

/* ---- frames ---------------------------------------------------------------- */

static size_t repl_begin(mg_worker *w, mg_buf *b, int32_t p, uint8_t flags, uint64_t seq)
{
    size_t start = mg_dp_begin(b, MG_DP_REPL, &w->topo->self);
    mg_bc_put_u32(b, (uint32_t)p);
    mg_bc_put_u64(b, w->topo->table ? w->topo->table->version : 0);
    mg_bc_put_u8(b, flags);
    mg_bc_put_u64(b, seq);
    return start;
}

static void send_ack(mg_worker *w, const mg_uuid *to, int32_t p, uint64_t seq, uint8_t status)
{
    mg_buf b;
    mg_buf_init(&b);
    size_t start = mg_dp_begin(&b, MG_DP_ACK, &w->topo->self);
    mg_bc_put_u32(&b, (uint32_t)p);
    mg_bc_put_u64(&b, seq);
    mg_bc_put_u8(&b, status);
    mg_dp_end(&b, start);
    mg_cluster_send(w, to, b.data, b.len);
    mg_buf_free(&b);
}

static void put_name(mg_buf *b, const mg_map *map)
{
    mg_bc_put_u16(b, (uint16_t)map->name_len);
    mg_buf_append(b, map->name, map->name_len);
}

/* How many entries of map the copy holds: the receiver sizes its table. */
static void put_size(mg_buf *b, const mg_map *map, size_t n)
{
    mg_bc_put_u8(b, MG_DP_REC_SIZE);
    put_name(b, map);
    mg_bc_put_u32(b, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

/* One PUT record with the entry's whole state. */
static void put_entry(mg_buf *b, const mg_map *map, const mg_entry *e)
{
    /* The layout of data_proto.h, written through one pointer after one
     * capacity check: a copy encodes thousands of these in a row. */
    const uint8_t *key = mg_entry_key(e), *value = mg_entry_value(e);
    size_t klen = mg_entry_klen(e), vlen = mg_entry_vlen(e);
    size_t flen = (size_t)(key - e->x);
    uint8_t *q = mg_buf_extend(b, 1 + 2 + map->name_len + 4 + klen + 4 + 2 + 1 + flen + 4 + vlen);
    *q++ = MG_DP_REC_PUT;
    mg_put_u16(q, (uint16_t)map->name_len);
    memcpy(q + 2, map->name, map->name_len);
    q += 2 + map->name_len;
    mg_put_u32(q, (uint32_t)klen);
    memcpy(q + 4, key, klen);
    q += 4 + klen;
    mg_put_u32(q, e->version);
    mg_put_u16(q + 4, (uint16_t)(e->meta & MG_EF_SHAPE));
    q[6] = (uint8_t)flen;
    memcpy(q + 7, e->x, flen);
    q += 7 + flen;
    mg_put_u32(q, (uint32_t)vlen);
    memcpy(q + 4, value, vlen);
}

/* ---- primary: recording writes ------------------------------------------------ */

static void mark_dirty(mg_worker *w, int32_t p, pstate *ps)
{
    if (ps->dirty)
        return;
    ps->dirty = true;
    ps->next_dirty = w->repl->dirty;
    w->repl->dirty = p;
}

static mg_buf *record(mg_worker *w, int32_t p, pstate *ps)
{
    if (ps->batch.len == 0)
        ps->batch_first = ps->seq + 1;
    ps->seq++;
    mark_dirty(w, p, ps);
    return &ps->batch;
}

void mg_backup_note_key(mg_worker *w, mg_map *map, int32_t p, const uint8_t *key, size_t klen)
{
    pstate *ps = ps_of(w, p);
    if (!ps->primary || ps->ntargets == 0)
        return;
    mg_part *part = mg_map_part_if(map, p);
    mg_entry *e = part ? mg_store_get(part->store, key, klen) : NULL;
    mg_buf *b = record(w, p, ps);
    if (e) {
        put_entry(b, map, e);
    } else {
        mg_bc_put_u8(b, MG_DP_REC_DEL);
        put_name(b, map);
        mg_dp_put_bytes(b, key, klen);
    }
}

static void put_lock(mg_buf *b, const mg_map *map, const uint8_t *key, size_t klen, const mg_lock *l)
{
    mg_bc_put_u8(b, MG_DP_REC_LOCK);
    put_name(b, map);
    mg_dp_put_bytes(b, key, klen);
    mg_bc_put_u8(b, l != NULL);
    if (!l)
        return;
    mg_bc_put_uuid(b, &l->owner);
    mg_bc_put_i64(b, l->thread_id);
    mg_bc_put_u32(b, l->count);
    mg_bc_put_i64(b, l->has_lease ? (int64_t)uv_timer_get_due_in(&l->lease) : -1);
    mg_bc_put_i64(b, l->reference_id);
}

void mg_backup_note_lock(mg_worker *w, mg_map *map, int32_t p, const uint8_t *key, size_t klen,
                         const mg_lock *l)
{
    pstate *ps = ps_of(w, p);
    if (!ps->primary || ps->ntargets == 0)
        return;
    put_lock(record(w, p, ps), map, key, klen, l);
}

uint64_t mg_backup_seq(mg_worker *w, int32_t p)
{
    pstate *ps = ps_of(w, p);
    return ps->primary ? ps->seq : 0;
}

void mg_backup_note_clear(mg_worker *w, mg_map *map, int32_t p)
{
    pstate *ps = ps_of(w, p);
    if (!ps->primary || ps->ntargets == 0)
        return;
    mg_buf *b = record(w, p, ps);
    mg_bc_put_u8(b, MG_DP_REC_CLEAR);
    put_name(b, map);
}

void mg_backup_note_drop(mg_worker *w, const mg_map *map, int32_t p)
{
    pstate *ps = ps_of(w, p);
    if (!ps->primary || ps->ntargets == 0)
        return;
    mg_buf *b = record(w, p, ps);
    mg_bc_put_u8(b, MG_DP_REC_DROP);
    put_name(b, map);
}

bool mg_backup_drop_came_first(mg_worker *w, const mg_map *map, int32_t p)
{
    pstate *ps = ps_of(w, p);
    if (ps->primary || !ps->has_source)
        return false;
    return mark_add(w, ps, (const uint8_t *)map->name, map->name_len, -1) > 0;
}

void mg_backup_after_write(mg_worker *w, mg_req *r)
{
    pstate *ps = ps_of(w, r->partition);
    if (!ps->primary || ps->ntargets == 0)
        return;
    /* Map name and key: the first two variable frames of every keyed request. */
    mg_rd rd;
    mg_frame name, key;
    mg_rd_init(&rd, r->msg, r->len);
    if (mg_rd_next(&rd, &name) || mg_rd_next(&rd, &name) || mg_rd_next(&rd, &key))
        return;
    mg_map *map = mg_map_lookup(w, name.content, name.len);
    mg_backup_note_key(w, map, r->partition, key.content, key.len);
}

/* Sends what p recorded this turn to every target of p. */
static void flush_partition(mg_worker *w, int32_t p, pstate *ps)
{
    if (ps->batch.len == 0)
        return;
    mg_buf b;
    mg_buf_init(&b);
    size_t start = repl_begin(w, &b, p, 0, ps->batch_first);
    mg_buf_append(&b, ps->batch.data, ps->batch.len);
    mg_dp_end(&b, start);
    for (int i = 0; i < ps->ntargets; i++)
        mg_cluster_send(w, &ps->targets[i].member, b.data, b.len);
    mg_buf_free(&b);
    if (ps->batch.cap > SNAPSHOT_CHUNK)
        mg_buf_free(&ps->batch);
    else
        mg_buf_reset(&ps->batch);
}

void mg_backup_flush(mg_worker *w)
{
    mg_repl *rp = w->repl;
    while (rp->dirty >= 0) {
        int32_t p = rp->dirty;
        pstate *ps = &rp->ps[p];
        rp->dirty = ps->next_dirty;
        ps->dirty = false;
        flush_partition(w, p, ps);
    }
}

/* ---- primary: snapshots ------------------------------------------------------------ */

/* A copy goes out in slices, one per loop turn (an idle handle keeps the
 * loop turning while any is left), so that the partition's worker keeps
 * answering requests in between: encoding a partition of 3,700 entries in
 * one go took ~1 ms, and requests queued behind the copies of a join
 * (docs/benchmarks.md, "Cluster").  Writes made meanwhile travel as records
 * on the same link, in order with the slices; both carry states, so the
 * destination ends with the newest state of every key whichever it saw
 * first.  The scan's cursor survives inserts, removals and rehashing; an
 * entry it misses was written after the copy began, and its record went
 * out. */
#define SLICE_ENTRIES 1024



typedef struct snap_ctx {
    mg_buf *b;
    const mg_map *map;
    size_t n;
} snap_ctx;

static bool snap_entry(void *arg, mg_entry *e)
{
    snap_ctx *sc = arg;
    put_entry(sc->b, sc->map, e);
    sc->n++;
    return true;
}

static void job_free(snap_job *j)
{
    for (size_t i = 0; i < j->nnames; i++)
        free(j->names[i]);
    free(j->names);
    free(j->name_lens);
    free(j);
}

static mg_map *find_map(mg_map **maps, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (maps[i]->name_len == len && memcmp(maps[i]->name, name, len) == 0)
            return maps[i];
    return NULL;   /* destroyed since */
}

/* Encodes up to SLICE_ENTRIES entries of j into one REPL frame (RESET when
 * first) and sends it; true when the copy is complete (that frame is END,
 * carrying the primary's record number). */
static bool snapshot_slice(mg_worker *w, pstate *ps, snap_job *j, bool first)
{
    flush_partition(w, j->p, ps);   /* records numbered so far go before this slice */
    mg_buf *b = &w->repl->slice;
    mg_buf_reset(b);
    size_t start = repl_begin(w, b, j->p, first ? MG_DP_SNAP_RESET : 0, ps->seq);
    size_t nmaps;
    mg_map **maps = mg_map_snapshot(w->m, &nmaps);
    size_t budget = SLICE_ENTRIES;
    while (j->next_map < j->nnames && budget > 0) {
        mg_map *map = find_map(maps, nmaps, j->names[j->next_map], j->name_lens[j->next_map]);
        mg_part *part = map ? mg_map_part_if(map, j->p) : NULL;
        bool done = true;
        if (part) {
            if (!j->sized) {
                put_size(b, map, mg_store_count(part->store));
                j->sized = true;
            }
            snap_ctx sc = {.b = b, .map = map};
            done = mg_store_scan(part->store, &j->cursor, budget, snap_entry, &sc);
            budget = sc.n < budget ? budget - sc.n : 0;
            if (done) {
                size_t bk;
                for (mg_bmap_node *nd = mg_bmap_first(&part->locks, &bk); nd;
                     nd = mg_bmap_next(&part->locks, &bk, nd)) {
                    const mg_lock *l = nd->value;
                    put_lock(b, map, l->key, l->klen, l);
                }
            }
        }
        if (done) {
            j->next_map++;
            j->cursor = 0;
            j->sized = false;
        }
    }
    free(maps);
    bool complete = j->next_map == j->nnames;
    if (complete)   /* END: the receiver's seq becomes ours */
        b->data[start + MG_MP_HEADER + 16 + 4 + 8] |= MG_DP_SNAP_END;
    mg_dp_end(b, start);
    mg_cluster_send_buf(w, &j->to, b);
    return complete;
}

static void snapshot_idle(uv_idle_t *h);

/* Drops the unfinished copy of p to `to`, if any. */
static void cancel_snapshot(mg_worker *w, int32_t p, const mg_uuid *to)
{
    for (snap_job **pp = &w->repl->jobs; *pp; pp = &(*pp)->next) {
        snap_job *j = *pp;
        if (j->p == p && mg_uuid_eq(&j->to, to)) {
            *pp = j->next;
            job_free(j);
            return;
        }
    }
}

/* The whole partition to one member, then the records that follow: the
 * first slice now, the rest on the next loop turns. */
static void send_snapshot(mg_worker *w, int32_t p, pstate *ps, const mg_uuid *to)
{
    cancel_snapshot(w, p, to);   /* a new copy starts over with RESET */
    snap_job *j = mg_xcalloc(1, sizeof *j);
    j->p = p;
    j->to = *to;
    size_t nmaps;
    mg_map **maps = mg_map_snapshot(w->m, &nmaps);
    j->names = mg_xcalloc(nmaps ? nmaps : 1, sizeof *j->names);
    j->name_lens = mg_xcalloc(nmaps ? nmaps : 1, sizeof *j->name_lens);
    for (size_t i = 0; i < nmaps; i++) {
        if (!mg_map_part_if(maps[i], p))
            continue;
        j->names[j->nnames] = mg_xmalloc(maps[i]->name_len ? maps[i]->name_len : 1);
        memcpy(j->names[j->nnames], maps[i]->name, maps[i]->name_len);
        j->name_lens[j->nnames++] = maps[i]->name_len;
    }
    free(maps);
    if (snapshot_slice(w, ps, j, true)) {
        job_free(j);
        return;
    }
    snap_job **tail = &w->repl->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = j;
    if (!uv_is_active((uv_handle_t *)&w->repl->snap_idle))
        uv_idle_start(&w->repl->snap_idle, snapshot_idle);
}

/* One slice of the oldest copy per loop turn.  A copy whose partition this
 * member no longer leads, or whose destination is no longer a target, is
 * dropped: the new primary copies or FOLLOWs, the table decides. */
static void snapshot_idle(uv_idle_t *h)
{
    mg_worker *w = h->data;
    snap_job *j = w->repl->jobs;
    if (j) {
        pstate *ps = ps_of(w, j->p);
        if (!ps->primary || !find_target(ps, &j->to) || snapshot_slice(w, ps, j, false)) {
            w->repl->jobs = j->next;
            job_free(j);
        }
    }
    if (!w->repl->jobs)
        uv_idle_stop(h);
}

/* A replica whose copy is the stream of `origin` up to our seq follows us
 * from here, without a copy; any other answers with SYNC and gets one. */
static void send_follow(mg_worker *w, int32_t p, pstate *ps, const mg_uuid *to, const mg_uuid *origin)
{
    mg_buf b;
    mg_buf_init(&b);
    size_t start = repl_begin(w, &b, p, MG_DP_SNAP_FOLLOW, ps->seq);
    mg_bc_put_uuid(&b, origin);
    mg_dp_end(&b, start);
    mg_cluster_send(w, to, b.data, b.len);
    mg_buf_free(&b);
}

/* ---- primary: acknowledgements and held answers ---------------------------------- */

enum { WAIT, DONE, REFUSED };

static int check(const pstate *ps, uint64_t seq)
{
    for (int i = 0; i < ps->ntargets; i++) {
        const target *t = &ps->targets[i];
        if (!t->sync)
            continue;
        if (t->refused >= seq)
            return REFUSED;
        if (t->acked < seq)
            return WAIT;
    }
    return DONE;
}

/* Queues a waiter for seq behind those of p already waiting (their seqs
 * are lower or equal, so the queue is released in order). */
static pending *enqueue(mg_worker *w, int32_t p, uint64_t seq, size_t len)
{
    pstate *ps = ps_of(w, p);
    pending *q = mg_xmalloc(sizeof *q + len);
    *q = (pending){.seq = seq, .deadline = mg_clock_mono_ns() / 1000000 + w->m->cfg.backup_timeout_millis,
                   .len = len};
    if (ps->tail)
        ps->tail->next = q;
    else
        ps->head = q;
    ps->tail = q;
    w->repl->npending++;
    return q;
}

bool mg_backup_hold(mg_worker *w, const mg_req *r, const mg_buf *answer)
{
    if (r->repl_seq == 0 || answer->len == 0)
        return false;
    /* the records leave at the end of this turn: nothing is acknowledged yet */
    pending *q = enqueue(w, r->partition, r->repl_seq, answer->len);
    q->conn = r->conn;
    q->answers_remote = r->handed_over;
    memcpy(q->bytes, answer->data, answer->len);
    return true;
}

bool mg_backup_wait(mg_worker *w, int32_t p, uint64_t seq, mg_backup_done_fn done, void *ctx)
{
    pstate *ps = ps_of(w, p);
    /* Nothing to wait for: not primary (seq 0), no synchronous backup, or
     * they acknowledged seq already.  A lone member stops here. */
    if (seq == 0 || !ps->primary || check(ps, seq) == DONE)
        return false;
    pending *q = enqueue(w, p, seq, 0);
    q->done = done;
    q->ctx = ctx;
    return true;
}

static void deliver(mg_worker *w, int32_t p, pending *q, int status)
{
    if (q->done) {
        q->done(w, q->ctx, status == DONE);
        return;
    }
    mg_buf b;
    mg_buf_init(&b);
    if (status == REFUSED && q->len >= MG_FRAME_HDR + 12) {
        int64_t corr = (int64_t)mg_get_u64(q->bytes + MG_FRAME_HDR + 4);
        char msg[160];
        snprintf(msg, sizeof msg, "partition %d: the write was not confirmed by its backups (the partition "
                 "moved, or they did not answer in time); retry", p);
        mg_proto_error_encode(&b, corr, MG_ERR_RETRYABLE_HAZELCAST,
                              "com.hazelcast.spi.exception.RetryableHazelcastException", msg);
    } else {
        mg_buf_append(&b, q->bytes, q->len);
    }
    mg_handoff_deliver(w, q->conn, &b, q->answers_remote);
    mg_buf_free(&b);
}

static void release(mg_worker *w, int32_t p, pstate *ps, int64_t now)
{
    while (ps->head) {
        pending *q = ps->head;
        int status = check(ps, q->seq);
        if (status == WAIT && now < q->deadline)
            break;
        /* Past the backup timeout Hazelcast counts a write as done; memgrid
         * answers RETRYABLE_HAZELCAST instead, so that no write is
         * confirmed that a backup may not hold (the client retries; a dead
         * backup is out of the table in ~2 s, well before the timeout). */
        if (status == WAIT)
            status = REFUSED;
        ps->head = q->next;
        if (!ps->head)
            ps->tail = NULL;
        w->repl->npending--;
        deliver(w, p, q, status);
        free(q);
    }
    if (!ps->primary && !ps->head)
        ps->ntargets = 0;   /* kept only for the answers still waiting */
}

/* Names the replica that held the oldest waiting write up, and what this
 * member knew of it: enough to tell a dead backup from a lost message. */
static void warn_timeout(mg_worker *w, int32_t p, const pstate *ps)
{
    const target *t = NULL;
    for (int i = 0; i < ps->ntargets && !t; i++)
        if (ps->targets[i].sync && ps->targets[i].acked < ps->head->seq)
            t = &ps->targets[i];
    char who[MG_CL_ADDR_STR] = "?";
    const mg_cl_member *m = t && w->topo ? mg_topology_member(w->topo, &t->member) : NULL;
    if (m)
        mg_cl_addr_format(&m->addr, who);
    else if (t)
        snprintf(who, sizeof who, "a member no longer listed");
    MG_WARN(&w->m->log, "partition %d: backup %s did not acknowledge within "
            "hazelcast.operation.backup.timeout.millis (%lld ms): write %llu waits, it acknowledged %llu "
            "(this member %s primary, table %llu); the client is told to retry", p, who,
            (long long)w->m->cfg.backup_timeout_millis, (unsigned long long)ps->head->seq,
            (unsigned long long)(t ? t->acked : 0), ps->primary ? "is" : "is no longer",
            (unsigned long long)(w->topo && w->topo->table ? w->topo->table->version : 0));
}

void mg_backup_tick(mg_worker *w)
{
    if (!w->repl || w->repl->npending == 0)
        return;
    int64_t now = mg_clock_mono_ns() / 1000000;
    for (int32_t p = w->idx; p < w->m->partition_count; p += w->m->nworkers) {
        pstate *ps = ps_of(w, p);
        if (ps->head && ps->head->deadline <= now) {
            warn_timeout(w, p, ps);
            release(w, p, ps, now);
        }
    }
}

static void send_migrate_done(mg_worker *w, int32_t p, const target *t, uint8_t status)
{
    mg_buf b;
    mg_buf_init(&b);
    size_t start = mg_dp_begin(&b, MG_DP_MIGRATE_DONE, &w->topo->self);
    mg_bc_put_u32(&b, (uint32_t)p);
    mg_bc_put_u64(&b, t->report_tv);
    mg_bc_put_uuid(&b, &t->member);
    mg_bc_put_u8(&b, status);
    mg_dp_end(&b, start);
    mg_cluster_send(w, &t->master, b.data, b.len);
    mg_buf_free(&b);
}

void mg_backup_on_ack(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    int32_t p = (int32_t)mg_bc_u32(&rd);
    uint64_t seq = mg_bc_u64(&rd);
    uint8_t status = mg_bc_u8(&rd);
    if (rd.bad)
        return;
    pstate *ps = ps_of(w, p);
    target *t = find_target(ps, &f->sender);
    if (!t)
        return;
    if (status == MG_DP_ACK_OK) {
        if (seq > t->acked)
            t->acked = seq;
    } else if (seq > t->refused) {
        t->refused = seq;
    }
    if (t->catching_up && t->acked >= t->report_seq) {
        /* It holds the copy and the records since: from now on writes wait
         * for it, and it is done once it has everything numbered so far. */
        t->catching_up = false;
        t->sync = true;
        t->report_seq = ps->seq;
    }
    if (t->migration && !t->reported && t->acked >= t->report_seq) {
        t->reported = true;
        send_migrate_done(w, p, t, MG_DP_MIGRATE_OK);
    }
    release(w, p, ps, mg_clock_mono_ns() / 1000000);
}

/* ---- roles from the table ---------------------------------------------------------- */

void mg_backup_on_topology(mg_worker *w, const mg_topology *old, const mg_topology *now)
{
    uint64_t old_tv = old && old->table ? old->table->version : 0;
    uint64_t new_tv = now->table ? now->table->version : 0;
    if (old_tv == new_tv && (!old || old->is_member == now->is_member))
        return;   /* the member list changed, the table did not */
    for (int32_t p = w->idx; p < w->m->partition_count; p += w->m->nworkers) {
        pstate *ps = ps_of(w, p);
        int role = now->is_member ? mg_topology_role(now, p) : -1;
        if (role == 0) {
            bool was_primary = ps->primary;
            /* A replica that becomes primary holds the stream of the primary
             * it followed (or its own) up to ps->seq; replicas holding the
             * same switch to ours without a copy. */
            bool has_stream = !was_primary && ps->has_source && !ps->in_snapshot;
            mg_uuid stream = ps->source;
            target next[MAX_TARGETS];
            int n = 0;
            bool fresh[MAX_TARGETS];
            for (int r = 1; r < now->table->replicas; r++) {
                const mg_uuid *u = mg_pt_owner(now->table, (uint32_t)p, r);
                if (!u)
                    continue;
                target *prev = was_primary ? find_target(ps, u) : NULL;
                next[n] = prev ? *prev : (target){.member = *u};
                next[n].sync = r <= now->sync_backups;
                next[n].migration = false;
                next[n].catching_up = false;
                fresh[n] = prev == NULL;
                n++;
            }
            if (new_tv > ps->data_tv)
                ps->data_tv = new_tv;
            flush_partition(w, p, ps);
            ps->primary = true;
            ps->has_source = false;
            ps->in_snapshot = false;
            marks_clear(ps);
            memcpy(ps->targets, next, sizeof next[0] * (size_t)n);
            ps->ntargets = n;
            for (int i = 0; i < n; i++) {
                if (!fresh[i])
                    continue;
                if (has_stream)
                    send_follow(w, p, ps, &ps->targets[i].member, &stream);
                else
                    send_snapshot(w, p, ps, &ps->targets[i].member);
            }
        } else {
            if (ps->primary) {
                flush_partition(w, p, ps);
                ps->primary = false;
                /* What we hold is our own stream up to ps->seq: the new
                 * primary's FOLLOW names it if it holds the same. */
                ps->source = now->self;
                ps->has_source = true;
                ps->in_snapshot = false;
                /* Migration destinations stop counting: the table names the
                 * replicas now. */
                if (!ps->head)
                    ps->ntargets = 0;
            }
            if (!now->is_member) {
                /* removed from the cluster: nothing waiting here was backed up */
                for (pending *q = ps->head; q; q = q->next)
                    q->deadline = 0;
            }
            if (role >= 0 && new_tv > ps->data_tv)
                ps->data_tv = new_tv;
            if (role < 0 && new_tv > ps->data_tv) {
                /* Not a replica in this table: the data goes.  A copy that
                 * arrives later for a migration starts from RESET anyway. */
                mg_map_drop_partition(w, p);
                ps->data_tv = 0;
                ps->has_source = false;
                ps->in_snapshot = false;
                ps->seq = 0;
                marks_clear(ps);
            }
        }
        release(w, p, ps, mg_clock_mono_ns() / 1000000);
    }
}

/* ---- backup: applying ------------------------------------------------------------------ */

static bool unlocked(void *ctx, const mg_entry *e)
{
    return !mg_locked(ctx, mg_entry_key(e), mg_entry_klen(e));   /* clear keeps locked entries */
}

static void apply_lock(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const mg_dp_record *r)
{
    mg_lock *l = mg_lock_get(part, r->key, r->klen);
    if (l && (!r->locked || !mg_lock_owned_by(l, &r->owner, r->thread_id)))
        mg_lock_force_release(w, part, r->key, r->klen);
    if (!r->locked)
        return;
    mg_lock_acquire(w, map, p, part, r->key, r->klen, &r->owner, r->thread_id, r->lease_ms, r->reference_id);
    l = mg_lock_get(part, r->key, r->klen);
    if (l && r->count > 0)
        l->count = r->count;
}

/* The map of the last record applied: a copy names the same map thousands
 * of times in a row. */
typedef struct apply_ctx {
    const uint8_t *name;
    size_t name_len;
    mg_map *map;
    mg_part *part;
} apply_ctx;

/* DROP: the map left p on the primary, so it leaves here too, whichever
 * object holds it: the one this worker's cache names (a destroy running
 * here may have taken it out of the registry already) and the registered
 * one.  Nothing is created: the destroy may have run here before this
 * record arrived, and a lookup would make the map anew.  The mark tells
 * the destroy's BULK, if it comes later, that p is done (drop_mark). */
static void apply_drop(mg_worker *w, int32_t p, const mg_dp_record *r, apply_ctx *ac)
{
    mark_add(w, ps_of(w, p), r->name, r->name_len, +1);
    mg_map *known = mg_map_find(w, r->name, r->name_len);
    mg_map *registered = mg_map_registered(w->m, r->name, r->name_len);
    if (known)
        mg_map_drop_part(w, known, p);
    if (registered && registered != known)
        mg_map_drop_part(w, registered, p);
    *ac = (apply_ctx){0};   /* its part is gone: the next record looks the map up again */
}

static void apply(mg_worker *w, int32_t p, const mg_dp_record *r, apply_ctx *ac)
{
    if (r->kind == MG_DP_REC_DROP) {
        apply_drop(w, p, r, ac);
        return;
    }
    if (!ac->map || ac->name_len != r->name_len || memcmp(ac->name, r->name, r->name_len) != 0) {
        ac->map = mg_map_lookup(w, r->name, r->name_len);
        ac->part = mg_map_part(w, ac->map, p);
        ac->name = r->name;
        ac->name_len = r->name_len;
    }
    mg_map *map = ac->map;
    mg_part *part = ac->part;
    switch (r->kind) {
    case MG_DP_REC_PUT: {
        mg_entry *old = NULL;
        mg_entry *e = mg_store_put(part->store, r->key, r->klen, r->value, r->vlen, r->shape & MG_EF_SHAPE, &old);
        size_t flen = (size_t)(mg_entry_key(e) - e->x);
        if (flen == r->flen)
            memcpy(e->x, r->fields, flen);
        e->version = r->version;
        if (old)
            mg_store_release(part->store, old);
        break;
    }
    case MG_DP_REC_DEL: {
        mg_entry *old = mg_store_unlink(part->store, r->key, r->klen);
        if (old)
            mg_store_release(part->store, old);
        break;
    }
    case MG_DP_REC_CLEAR:
        mg_store_remove_if(part->store, unlocked, NULL, part);
        break;
    case MG_DP_REC_LOCK:
        apply_lock(w, map, p, part, r);
        break;
    case MG_DP_REC_SIZE:
        mg_store_reserve(part->store, r->count);
        break;
    }
}

static void ask_sync(mg_worker *w, const mg_uuid *to, int32_t p)
{
    mg_buf b;
    mg_buf_init(&b);
    size_t start = mg_dp_begin(&b, MG_DP_SYNC, &w->topo->self);
    mg_bc_put_u32(&b, (uint32_t)p);
    mg_dp_end(&b, start);
    mg_cluster_send(w, to, b.data, b.len);
    mg_buf_free(&b);
}

/* FOLLOW from a new primary (it comes under a table installed here: newer
 * ones wait, cluster.c).  Only a copy that is exactly the named stream up to
 * seq may continue with the sender's records; anything else takes a copy. */
static void on_follow(mg_worker *w, int32_t p, pstate *ps, const mg_dp_frame *f, uint64_t tv, uint64_t seq,
                      mg_uuid origin)
{
    if (ps->primary) {
        send_ack(w, &f->sender, p, seq, MG_DP_ACK_NOT_SOURCE);
        return;
    }
    if (ps->has_source && !ps->in_snapshot && mg_uuid_eq(&ps->source, &origin) && ps->seq == seq) {
        if (!mg_uuid_eq(&ps->source, &f->sender))
            marks_clear(ps);   /* another primary: its DROPs pair with nothing here */
        ps->source = f->sender;
        if (tv > ps->data_tv)
            ps->data_tv = tv;
        send_ack(w, &f->sender, p, seq, MG_DP_ACK_OK);
        return;
    }
    ps->asked_sync = mg_clock_mono_ns() / 1000000;
    ask_sync(w, &f->sender, p);
}

void mg_backup_on_repl(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    int32_t p = (int32_t)mg_bc_u32(&rd);
    uint64_t tv = mg_bc_u64(&rd);   /* the sender's table version */
    uint8_t flags = mg_bc_u8(&rd);
    uint64_t seq = mg_bc_u64(&rd);
    if (rd.bad || p < 0 || p >= w->m->partition_count || !w->topo)
        return;
    pstate *ps = ps_of(w, p);
    uint64_t mine = w->topo->table ? w->topo->table->version : 0;
    if (flags & MG_DP_SNAP_FOLLOW) {
        on_follow(w, p, ps, f, tv, seq, mg_bc_uuid(&rd));
        return;
    }
    if (flags & MG_DP_SNAP_RESET) {
        if (ps->primary && tv <= mine) {
            /* we are the primary, as far as any table we know says */
            send_ack(w, &f->sender, p, seq, MG_DP_ACK_NOT_SOURCE);
            return;
        }
        /* A copy from the primary of the table installed here (one sent
         * under a newer table waited for it, cluster.c; a member out of the
         * cluster takes it as it comes): follow the sender from now on. */
        ps->data_tv = tv;
        mg_map_drop_partition(w, p);
        if (!ps->has_source || !mg_uuid_eq(&ps->source, &f->sender))
            marks_clear(ps);
        ps->source = f->sender;
        ps->has_source = true;
        ps->in_snapshot = true;
        ps->asked_sync = 0;
    }
    bool from_source = ps->has_source && mg_uuid_eq(&ps->source, &f->sender);
    bool snapshot = ps->in_snapshot;
    if (!from_source || (!snapshot && seq != ps->seq + 1)) {
        /* Count the records to name the last one in the answer. */
        uint64_t n = 0;
        mg_dp_record r;
        while (mg_bc_left(&rd) > 0 && mg_dp_next_record(&rd, &r))
            n++;
        bool newer = tv >= mine && !(ps->primary && tv == mine);
        if (from_source || (!ps->primary && newer)) {
            /* A gap in our primary's stream, or a primary at least as new
             * as our table whose copy we do not have (a snapshot lost with
             * a dropped link): take a fresh copy.  Its END answers the
             * writes waiting meanwhile. */
            int64_t now = mg_clock_mono_ns() / 1000000;
            if (now - ps->asked_sync >= 1000) {   /* once a second at most: a copy is costly */
                ps->asked_sync = now;
                ask_sync(w, &f->sender, p);
            }
        } else {
            send_ack(w, &f->sender, p, seq + (n ? n - 1 : 0), MG_DP_ACK_NOT_SOURCE);
        }
        return;
    }
    uint64_t n = 0;
    mg_dp_record r;
    apply_ctx ac = {0};
    while (mg_bc_left(&rd) > 0) {
        if (!mg_dp_next_record(&rd, &r)) {
            MG_WARN(&w->m->log, "partition %d: malformed replication record from a member; asking for a copy", p);
            ask_sync(w, &f->sender, p);
            return;
        }
        apply(w, p, &r, &ac);
        n++;
    }
    if (snapshot) {
        if (!(flags & MG_DP_SNAP_END))
            return;
        ps->in_snapshot = false;
        ps->seq = seq;
    } else {
        ps->seq = seq + (n ? n - 1 : 0);
    }
    send_ack(w, &f->sender, p, ps->seq, MG_DP_ACK_OK);
}

void mg_backup_on_sync(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    int32_t p = (int32_t)mg_bc_u32(&rd);
    if (rd.bad || p < 0 || p >= w->m->partition_count)
        return;
    pstate *ps = ps_of(w, p);
    const target *t = find_target(ps, &f->sender);
    if (ps->primary && t)
        send_snapshot(w, p, ps, &f->sender);
    else if (t && ps->head)
        MG_WARN(&w->m->log, "partition %d: a backup asks for a copy while writes wait for it, but this member "
                "no longer leads the partition (write %llu waits, it acknowledged %llu)", p,
                (unsigned long long)ps->head->seq, (unsigned long long)t->acked);
}

void mg_backup_on_migrate(mg_worker *w, const mg_dp_frame *f)
{
    mg_bc_rd rd = f->body;
    int32_t p = (int32_t)mg_bc_u32(&rd);
    uint64_t tv = mg_bc_u64(&rd);
    mg_uuid dest = mg_bc_uuid(&rd);
    if (rd.bad || p < 0 || p >= w->m->partition_count)
        return;
    pstate *ps = ps_of(w, p);
    target probe = {.member = dest, .report_tv = tv, .master = f->sender};
    const mg_topology *t = w->topo;
    uint64_t have = t && t->table ? t->table->version : 0;
    if (have < tv) {
        send_migrate_done(w, p, &probe, MG_DP_MIGRATE_RETRY);
        return;
    }
    if (have > tv || !ps->primary) {
        send_migrate_done(w, p, &probe, MG_DP_MIGRATE_NOT_OWNER);
        return;
    }
    flush_partition(w, p, ps);   /* records so far go to the current targets only */
    target *d = find_target(ps, &dest);
    if (!d) {
        if (ps->ntargets == MAX_TARGETS) {
            send_migrate_done(w, p, &probe, MG_DP_MIGRATE_RETRY);
            return;
        }
        d = &ps->targets[ps->ntargets++];
        *d = (target){.member = dest, .catching_up = true};
    }
    /* A new destination does not hold writes up while its copy travels;
     * it becomes synchronous once it acknowledged the copy (mg_backup_on_ack),
     * and is reported done only after that.  A replica already in the
     * table keeps the role it has. */
    if (!d->catching_up)
        d->sync = true;
    d->migration = true;
    d->reported = false;
    d->report_tv = tv;
    d->master = f->sender;
    d->acked = 0;
    d->refused = 0;
    send_snapshot(w, p, ps, &dest);
    d->report_seq = ps->seq;
}
