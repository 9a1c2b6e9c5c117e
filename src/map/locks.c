/* locks.c - key locks, leases, and the requests parked behind them. */
#include "map/locks.h"


#include <string.h>

#include "member/member.h"
#include "partition/backup.h"
#include "util/alloc.h"
#include "util/rand.h"

/* Lock tables use the same key identity as the record store: bytes [4..). */
#define LK(key) ((key) + 4)
#define LKLEN(klen) ((klen) - 4)

mg_lock *mg_lock_get(mg_part *part, const uint8_t *key, size_t klen)
{
    if (part->locks.count == 0)
        return NULL;
    return mg_bmap_get(&part->locks, LK(key), LKLEN(klen));
}

bool mg_locked(mg_part *part, const uint8_t *key, size_t klen)
{
    return mg_lock_get(part, key, klen) != NULL;
}

bool mg_lock_blocks(mg_part *part, const uint8_t *key, size_t klen, const mg_uuid *client,
                    int64_t thread_id)
{
    mg_lock *l = mg_lock_get(part, key, klen);
    return l && !mg_lock_owned_by(l, client, thread_id);
}

static void on_lock_closed(uv_handle_t *h) { free(h->data); }

static void parked_closed(uv_handle_t *h) { free(h->data); }

static void parked_finish(mg_parked *p)
{
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, parked_closed);
}

static void unlink_waiter(mg_lock *l, mg_parked *p)
{
    mg_parked *prev = NULL;
    for (mg_parked *q = l->waiters; q; prev = q, q = q->next) {
        if (q != p)
            continue;
        if (prev)
            prev->next = q->next;
        else
            l->waiters = q->next;
        if (l->waiters_tail == q)
            l->waiters_tail = prev;
        q->next = NULL;
        return;
    }
}

static void rerun(mg_worker *w, mg_parked *p)
{
    mg_req r = {
        .msg = p->msg, .len = p->len, .hdr = p->hdr, .conn = p->conn, .client = p->client,
        .partition = p->partition, .parked = p, .timed_out = p->timed_out,
        .handed_over = p->handed_over,
    };
    p->lock = NULL;
    mg_dispatch_execute(w, p->h, &r);
    if (!r.suspended)
        parked_finish(p);
}

/* Removes the lock and gives every waiter its turn, oldest first. */
static void lock_remove(mg_worker *w, mg_lock *l, bool wake)
{
    mg_bmap_remove(&l->part->locks, LK(l->key), LKLEN(l->klen));
    mg_backup_note_lock(w, l->map, l->partition, l->key, l->klen, NULL);
    uv_timer_stop(&l->lease);
    mg_parked *waiters = l->waiters;
    l->waiters = l->waiters_tail = NULL;
    uv_close((uv_handle_t *)&l->lease, on_lock_closed);
    while (waiters) {
        mg_parked *next = waiters->next;
        waiters->next = NULL;
        if (wake) {
            rerun(w, waiters);
        } else {
            parked_finish(waiters);
        }
        waiters = next;
    }
}

static void on_lease_expired(uv_timer_t *t)
{
    mg_lock *l = t->data;
    lock_remove(l->w, l, true);
}

static mg_lock *lock_new(mg_worker *w, mg_map *map, int32_t p, mg_part *part,
                         const uint8_t *key, size_t klen)
{
    mg_lock *l = mg_xcalloc(1, sizeof *l + klen);
    l->w = w;
    l->part = part;
    l->map = map;
    l->partition = p;
    l->klen = klen;
    memcpy(l->key, key, klen);
    uv_timer_init(&w->loop, &l->lease);
    l->lease.data = l;
    mg_bmap_put(&part->locks, LK(l->key), LKLEN(klen), l);
    return l;
}

static void set_lease(mg_lock *l, int64_t lease_ms)
{
    uv_timer_stop(&l->lease);
    l->has_lease = lease_ms >= 0;
    if (l->has_lease)
        uv_timer_start(&l->lease, on_lease_expired, (uint64_t)lease_ms, 0);
}

bool mg_lock_acquire(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const uint8_t *key,
                     size_t klen, const mg_uuid *client, int64_t thread_id, int64_t lease_ms,
                     int64_t reference_id)
{
    mg_lock *l = mg_lock_get(part, key, klen);
    if (l && !mg_lock_owned_by(l, client, thread_id))
        return false;
    if (!l) {
        l = lock_new(w, map, p, part, key, klen);
        l->owner = *client;
        l->thread_id = thread_id;
    }
    l->count++;
    l->reference_id = reference_id;
    set_lease(l, lease_ms);
    mg_backup_note_lock(w, map, p, key, klen, l);
    return true;
}

int mg_lock_release(mg_worker *w, mg_part *part, const uint8_t *key, size_t klen,
                    const mg_uuid *client, int64_t thread_id, int64_t reference_id)
{
    mg_lock *l = mg_lock_get(part, key, klen);
    if (!l || !mg_lock_owned_by(l, client, thread_id))
        return -1;
    l->reference_id = reference_id;
    if (--l->count == 0)
        lock_remove(w, l, true);
    else
        mg_backup_note_lock(w, l->map, l->partition, key, klen, l);
    return 0;
}

void mg_lock_force_release(mg_worker *w, mg_part *part, const uint8_t *key, size_t klen)
{
    mg_lock *l = mg_lock_get(part, key, klen);
    if (l)
        lock_remove(w, l, true);
}

static void on_wait_timeout(uv_timer_t *t)
{
    mg_parked *p = t->data;
    if (p->lock)
        unlink_waiter(p->lock, p);
    p->timed_out = true;
    rerun(p->w, p);
}

void mg_req_park(mg_req *r, mg_part *part, const uint8_t *key, size_t klen, int64_t timeout_ms)
{
    mg_lock *l = mg_lock_get(part, key, klen);
    mg_parked *p = r->parked;
    if (!p) {
        p = mg_xcalloc(1, sizeof *p + r->len);
        p->w = r->w;
        p->h = mg_dispatch_find(r->hdr.type);
        p->hdr = r->hdr;
        p->conn = r->conn;
        p->client = r->client;
        p->partition = r->partition;
        p->handed_over = r->handed_over;
        p->len = r->len;
        memcpy(p->msg, r->msg, r->len);
        uv_timer_init(&r->w->loop, &p->timer);
        p->timer.data = p;
        if (timeout_ms >= 0) {
            p->has_timer = true;
            uv_timer_start(&p->timer, on_wait_timeout, (uint64_t)timeout_ms, 0);
        }
    }
    p->lock = l;
    p->next = NULL;
    if (l->waiters_tail)
        l->waiters_tail->next = p;
    else
        l->waiters = p;
    l->waiters_tail = p;
    r->suspended = true;
}

void mg_locks_release_client(mg_worker *w, const mg_uuid *client)
{
    size_t nmaps;
    mg_map **maps = mg_map_snapshot(w->m, &nmaps);
    for (size_t i = 0; i < nmaps; i++) {
        mg_map *map = maps[i];
        for (int32_t p = w->idx; p < map->partition_count; p += w->m->nworkers) {
            mg_part *part = map->parts[p];
            if (!part || part->locks.count == 0)
                continue;
            /* Collect first: releasing re-runs waiters, which changes the table. */
            size_t n = 0, cap = part->locks.count, b;
            mg_lock **mine = mg_xmalloc(cap * sizeof *mine);
            for (mg_bmap_node *nd = mg_bmap_first(&part->locks, &b); nd;
                 nd = mg_bmap_next(&part->locks, &b, nd)) {
                mg_lock *l = nd->value;
                for (mg_parked *q = l->waiters, *next; q; q = next) {
                    next = q->next;
                    if (mg_uuid_eq(&q->client, client)) {
                        unlink_waiter(l, q);
                        parked_finish(q);
                    }
                }
                if (mg_uuid_eq(&l->owner, client))
                    mine[n++] = l;
            }
            for (size_t k = 0; k < n; k++)
                lock_remove(w, mine[k], true);
            free(mine);
        }
    }
    free(maps);
}

void mg_locks_drop_all(mg_worker *w, mg_part *part, bool wake)
{
    while (part->locks.count) {
        size_t b;
        mg_bmap_node *nd = mg_bmap_first(&part->locks, &b);
        lock_remove(w, nd->value, wake);
    }
    mg_bmap_free(&part->locks);
}
