/* locks.h - key locks and requests that wait for them.
 *
 * A lock belongs to (client UUID, thread id), is re-entrant, and may carry a
 * lease.  It lives in its partition's lock table (mg_part.locks), keyed like
 * the record store by key bytes [4..), apart from the data: locking an absent
 * key creates no entry.  Only the partition's worker touches it.
 *
 * Waiting: a request that must wait for a key held by someone else (Lock,
 * TryLock with a timeout, and every lock-aware write) is parked on the lock
 * with a copy of its message.  When the lock is released the waiters are run
 * again in arrival order; each either completes or parks again.  A waiter with
 * a deadline is re-run with `timed_out` set when it passes.
 */
#ifndef MG_MAP_LOCKS_H
#define MG_MAP_LOCKS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "map/map.h"
#include "member/dispatch.h"

typedef struct mg_lock mg_lock;

struct mg_parked {
    mg_parked *next;
    mg_lock *lock;              /* the lock it waits on */
    mg_worker *w;
    const mg_handler *h;
    mg_req_hdr hdr;
    mg_conn_ref conn;
    mg_uuid client;
    int32_t partition;
    bool has_timer;
    bool timed_out;
    bool handed_over;           /* see mg_req.handed_over */
    uv_timer_t timer;
    size_t len;
    uint8_t msg[];
};

struct mg_lock {
    mg_uuid owner;
    int64_t thread_id;
    int64_t reference_id;
    uint32_t count;             /* 0 = free (only while waking waiters) */
    bool has_lease;
    uv_timer_t lease;
    mg_worker *w;
    mg_part *part;
    mg_map *map;
    int32_t partition;
    mg_parked *waiters, *waiters_tail;
    size_t klen;
    uint8_t key[];              /* whole serialized key */
};

mg_lock *mg_lock_get(mg_part *part, const uint8_t *key, size_t klen);
static inline bool mg_lock_owned_by(const mg_lock *l, const mg_uuid *client, int64_t thread_id)
{
    return l->owner.msb == client->msb && l->owner.lsb == client->lsb && l->thread_id == thread_id;
}
/* True when `key` is locked by anyone but (client, thread). */
bool mg_lock_blocks(mg_part *part, const uint8_t *key, size_t klen, const mg_uuid *client,
                    int64_t thread_id);
bool mg_locked(mg_part *part, const uint8_t *key, size_t klen);

/* Acquire for (client, thread) when free or already theirs; lease_ms < 0 =
 * none.  Returns false if someone else holds it. */
bool mg_lock_acquire(mg_worker *w, mg_map *map, int32_t p, mg_part *part, const uint8_t *key,
                     size_t klen, const mg_uuid *client, int64_t thread_id, int64_t lease_ms,
                     int64_t reference_id);
/* Owner's unlock: -1 when not the owner (or not locked), else 0. */
int mg_lock_release(mg_worker *w, mg_part *part, const uint8_t *key, size_t klen,
                    const mg_uuid *client, int64_t thread_id, int64_t reference_id);
void mg_lock_force_release(mg_worker *w, mg_part *part, const uint8_t *key, size_t klen);

/* Parks r on the lock of `key` (which must exist); timeout_ms < 0 waits
 * forever.  Sets r->suspended. */
void mg_req_park(mg_req *r, mg_part *part, const uint8_t *key, size_t klen, int64_t timeout_ms);

/* A client left: release its locks and drop its waiting requests on this
 * worker's partitions. */
void mg_locks_release_client(mg_worker *w, const mg_uuid *client);
/* Partition going away: drop its locks; waiters run again (destroy: they
 * find the map recreated empty) or are dropped (shutdown). */
void mg_locks_drop_all(mg_worker *w, mg_part *part, bool wake);

#endif
