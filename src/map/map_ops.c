/* map_ops.c - keyed Map operations.  Each runs on the partition worker of its
 * key, so it sees and changes the partition alone, in arrival order.
 * Behaviour follows imap-semantics.md §1.2; differences are noted inline. */
#include <string.h>

#include "map/entry_ops.h"
#include "map/expiry.h"
#include "map/listeners.h"
#include "map/locks.h"
#include "map/map_service.h"
#include "member/member.h"
#include "proto/codecs/custom_codecs.h"
#include "proto/codecs/map_codecs.h"
#include "proto/error.h"
#include "util/clock.h"

#define DECODE(codec, q)                                          \
    mg_##codec##_req q;                                           \
    if (mg_##codec##_req_decode(r->msg, r->len, &q) != 0) {       \
        mg_req_bad_message(r);                                    \
        return;                                                   \
    }

/* Resolves map, partition and time for a keyed request.  A key must at least
 * hold the 8-byte Data header (Hazelcast's clients never send less). */
static bool kop_begin(mg_req *r, mg_bytes name, mg_bytes key, mg_kop *k)
{
    if (key.len < 8) {
        mg_req_error(r, MG_ERR_ILLEGAL_ARGUMENT, "java.lang.IllegalArgumentException",
                     "key of %zu bytes is not serialized data (at least 8 bytes)", key.len);
        return false;
    }
    k->w = r->w;
    k->map = mg_map_lookup(r->w, name.ptr, name.len);
    k->p = r->partition;
    k->part = mg_map_part(r->w, k->map, k->p);
    k->now = mg_clock_now_ms();
    k->key = key;
    k->refused_bytes = 0;
    return true;
}

enum { GO_ON, WAITING, TIMED_OUT };

/* Lock-aware writes wait while another owner holds the key (Hazelcast parks
 * them without a time limit; Try* ops give up after their timeout). */
static int lock_gate(mg_req *r, mg_kop *k, int64_t thread_id, int64_t timeout_ms)
{
    if (!mg_lock_blocks(k->part, k->key.ptr, k->key.len, &r->client, thread_id))
        return GO_ON;
    if (r->timed_out || timeout_ms == 0)
        return TIMED_OUT;
    mg_req_park(r, k->part, k->key.ptr, k->key.len, timeout_ms);
    return WAITING;
}

static bool same_value(const mg_entry *e, mg_bytes v)
{
    /* Data equality ignores the 4-byte partition-hash header. */
    return mg_entry_vlen(e) == v.len && v.len >= 4 &&
           memcmp(mg_entry_value(e) + 4, v.ptr + 4, v.len - 4) == 0;
}

static void touch(mg_kop *k, mg_entry *e) { mg_expiry_on_access(e, k->now); }

/* A write refused at the member's memory limit (entry_ops.h). */
static void refuse(mg_req *r, const mg_kop *k)
{
    char msg[320];
    mg_kop_refusal(k, msg, sizeof msg);
    mg_req_error(r, MG_KOP_REFUSED_CODE, MG_KOP_REFUSED_CLASS, "%s", msg);
}

/* --- the put family -------------------------------------------------------- */

typedef struct put_args {
    mg_bytes name, key, value;
    int64_t thread_id, ttl, max_idle, timeout;
    bool if_absent;
} put_args;

/* The answer's shape follows from the request type. */
static void answer_put(mg_req *r, const mg_bytes *old, bool ok)
{
    switch (r->hdr.type) {
    case MG_MAP_PUT_REQ: mg_map_put_resp_encode(r->out, r->hdr.corr, old); break;
    case MG_MAP_PUT_WITH_MAX_IDLE_REQ: mg_map_put_with_max_idle_resp_encode(r->out, r->hdr.corr, old); break;
    case MG_MAP_PUT_IF_ABSENT_REQ: mg_map_put_if_absent_resp_encode(r->out, r->hdr.corr, old); break;
    case MG_MAP_PUT_IF_ABSENT_WITH_MAX_IDLE_REQ:
        mg_map_put_if_absent_with_max_idle_resp_encode(r->out, r->hdr.corr, old);
        break;
    case MG_MAP_PUT_TRANSIENT_REQ: mg_map_put_transient_resp_encode(r->out, r->hdr.corr); break;
    case MG_MAP_PUT_TRANSIENT_WITH_MAX_IDLE_REQ:
        mg_map_put_transient_with_max_idle_resp_encode(r->out, r->hdr.corr, NULL);
        break;
    case MG_MAP_SET_REQ: mg_map_set_resp_encode(r->out, r->hdr.corr); break;
    case MG_MAP_SET_WITH_MAX_IDLE_REQ: mg_map_set_with_max_idle_resp_encode(r->out, r->hdr.corr, NULL); break;
    case MG_MAP_TRY_PUT_REQ: mg_map_try_put_resp_encode(r->out, r->hdr.corr, ok); break;
    default: break;
    }
}

static void put_common(mg_req *r, const put_args *a)
{
    mg_kop k;
    if (!kop_begin(r, a->name, a->key, &k))
        return;
    int gate = lock_gate(r, &k, a->thread_id, a->timeout);
    if (gate == WAITING)
        return;
    if (gate == TIMED_OUT) {
        answer_put(r, NULL, false);
        return;
    }
    if (a->if_absent) {
        mg_entry *live = mg_kop_live(&k);
        if (live) {   /* existing value wins; the record counts as accessed */
            touch(&k, live);
            mg_bytes v = mg_entry_value_bytes(live);
            answer_put(r, &v, false);
            return;
        }
    }
    mg_entry *old = NULL;
    mg_entry *e = mg_kop_store(&k, a->value, a->ttl, a->max_idle, &old);
    if (!e) {
        refuse(r, &k);
        return;
    }
    mg_bytes oldv = old ? mg_entry_value_bytes(old) : (mg_bytes){NULL, 0};
    answer_put(r, old ? &oldv : NULL, true);
    mg_kop_publish(&k, old ? MG_EV_UPDATED : MG_EV_ADDED, &a->value, old ? &oldv : NULL);
    mg_kop_release(&k, old);
    mg_kop_evict_if_needed(&k, e);
}

void mg_map_put(mg_req *r)
{
    DECODE(map_put, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, -1, -1, false});
}

void mg_map_put_with_max_idle(mg_req *r)
{
    DECODE(map_put_with_max_idle, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, q.max_idle, -1, false});
}

void mg_map_put_transient(mg_req *r)
{
    DECODE(map_put_transient, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, -1, -1, false});
}

void mg_map_put_transient_with_max_idle(mg_req *r)
{
    DECODE(map_put_transient_with_max_idle, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, q.max_idle, -1, false});
}

void mg_map_set(mg_req *r)
{
    DECODE(map_set, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, -1, -1, false});
}

void mg_map_set_with_max_idle(mg_req *r)
{
    DECODE(map_set_with_max_idle, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, q.max_idle, -1, false});
}

void mg_map_put_if_absent(mg_req *r)
{
    DECODE(map_put_if_absent, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, -1, -1, true});
}

void mg_map_put_if_absent_with_max_idle(mg_req *r)
{
    DECODE(map_put_if_absent_with_max_idle, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, q.ttl, q.max_idle, -1, true});
}

void mg_map_try_put(mg_req *r)
{
    DECODE(map_try_put, q);
    put_common(r, &(put_args){q.name, q.key, q.value, q.thread_id, -1, -1,
                              q.timeout < 0 ? -1 : q.timeout, false});
}

/* --- reads ----------------------------------------------------------------- */

void mg_map_get(mg_req *r)
{
    DECODE(map_get, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    mg_entry *e = mg_kop_live(&k);
    if (!e) {
        mg_map_get_resp_encode(r->out, r->hdr.corr, NULL);
        return;
    }
    touch(&k, e);
    mg_bytes v = mg_entry_value_bytes(e);
    mg_map_get_resp_encode(r->out, r->hdr.corr, &v);
}

void mg_map_contains_key(mg_req *r)
{
    DECODE(map_contains_key, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    mg_entry *e = mg_kop_live(&k);
    if (e)
        touch(&k, e);
    mg_map_contains_key_resp_encode(r->out, r->hdr.corr, e != NULL);
}

/* --- removals -------------------------------------------------------------- */

/* Unlinks e, publishes `type` with the given old value, frees e. */
static void remove_entry(mg_kop *k, mg_entry *e, int32_t type, const mg_bytes *event_old)
{
    mg_kop_unlink(k, e);
    mg_kop_publish(k, type, NULL, event_old);
    if (type == MG_EV_EVICTED)
        mg_map_stat_add(&k->map->stats[k->w->idx].evictions, 1);
    mg_kop_release(k, e);
}

void mg_map_remove(mg_req *r)
{
    DECODE(map_remove, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *e = mg_kop_live(&k);
    if (!e) {
        mg_map_remove_resp_encode(r->out, r->hdr.corr, NULL);
        return;
    }
    mg_bytes old = mg_entry_value_bytes(e);
    mg_map_remove_resp_encode(r->out, r->hdr.corr, &old);
    remove_entry(&k, e, MG_EV_REMOVED, &old);
}

void mg_map_remove_if_same(mg_req *r)
{
    DECODE(map_remove_if_same, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *e = mg_kop_live(&k);
    bool ok = e && same_value(e, q.value);
    mg_map_remove_if_same_resp_encode(r->out, r->hdr.corr, ok);
    if (ok)
        remove_entry(&k, e, MG_EV_REMOVED, &q.value);
}

void mg_map_delete(mg_req *r)
{
    DECODE(map_delete, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *e = mg_kop_live(&k);
    mg_map_delete_resp_encode(r->out, r->hdr.corr, e != NULL);
    if (e)   /* Delete never reads the old value: the event carries none */
        remove_entry(&k, e, MG_EV_REMOVED, NULL);
}

void mg_map_try_remove(mg_req *r)
{
    DECODE(map_try_remove, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    int gate = lock_gate(r, &k, q.thread_id, q.timeout < 0 ? -1 : q.timeout);
    if (gate == WAITING)
        return;
    mg_entry *e = gate == GO_ON ? mg_kop_live(&k) : NULL;
    mg_map_try_remove_resp_encode(r->out, r->hdr.corr, e != NULL);
    if (e) {
        mg_bytes old = mg_entry_value_bytes(e);
        remove_entry(&k, e, MG_EV_REMOVED, &old);
    }
}

void mg_map_evict(mg_req *r)
{
    DECODE(map_evict, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *e = mg_kop_live(&k);
    mg_map_evict_resp_encode(r->out, r->hdr.corr, e != NULL);
    if (e) {
        mg_bytes old = mg_entry_value_bytes(e);
        remove_entry(&k, e, MG_EV_EVICTED, &old);
    }
}

/* --- replace ---------------------------------------------------------------- */

void mg_map_replace(mg_req *r)
{
    DECODE(map_replace, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *live = mg_kop_live(&k);
    if (!live) {
        mg_map_replace_resp_encode(r->out, r->hdr.corr, NULL);
        return;
    }
    touch(&k, live);   /* Hazelcast reads the record before replacing it: one more hit */
    /* no ttl in the request: TTL and max-idle go back to the map defaults */
    mg_entry *old = NULL;
    mg_entry *e = mg_kop_store(&k, q.value, -1, -1, &old);
    if (!e) {
        refuse(r, &k);
        return;
    }
    mg_bytes oldv = mg_entry_value_bytes(old);
    mg_map_replace_resp_encode(r->out, r->hdr.corr, &oldv);
    mg_kop_publish(&k, MG_EV_UPDATED, &q.value, &oldv);
    mg_kop_release(&k, old);
    mg_kop_evict_if_needed(&k, e);
}

void mg_map_replace_if_same(mg_req *r)
{
    DECODE(map_replace_if_same, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, q.thread_id, -1) == WAITING)
        return;
    mg_entry *live = mg_kop_live(&k);
    if (!live || !same_value(live, q.test_value)) {
        if (live)
            touch(&k, live);
        mg_map_replace_if_same_resp_encode(r->out, r->hdr.corr, false);
        return;
    }
    touch(&k, live);   /* the comparison reads the record: one more hit, as in Hazelcast */
    mg_entry *old = NULL;
    mg_entry *e = mg_kop_store(&k, q.value, -1, -1, &old);
    if (!e) {
        refuse(r, &k);
        return;
    }
    mg_map_replace_if_same_resp_encode(r->out, r->hdr.corr, true);
    mg_kop_publish(&k, MG_EV_UPDATED, &q.value, &q.test_value);
    mg_kop_release(&k, old);
    mg_kop_evict_if_needed(&k, e);
}

/* --- TTL and entry view ------------------------------------------------------ */

void mg_map_set_ttl(mg_req *r)
{
    DECODE(map_set_ttl, q);
    mg_kop k;
    /* The request has no thread id: it acts as the client's thread 0. */
    if (!kop_begin(r, q.name, q.key, &k) || lock_gate(r, &k, 0, -1) == WAITING)
        return;
    mg_entry *e = mg_kop_live(&k);
    if (e) {   /* a write without an event: version, update time and clocks restart */
        int64_t ttl = mg_expiry_pick(q.ttl, k.map->cfg->time_to_live_seconds);
        int64_t idle = mg_expiry_pick(-1, k.map->cfg->max_idle_seconds);
        /* The new TTL / max-idle may need fields the entry lacks, or free some. */
        e = mg_kop_reshape(&k, e, mg_map_entry_shape(k.map->cfg) | mg_expiry_shape(ttl, idle));
        if (!e) {
            refuse(r, &k);
            return;
        }
        touch(&k, e);   /* Hazelcast counts two accesses here: lookup and update */
        touch(&k, e);
        e->version++;
        mg_expiry_on_write(e, k.now, ttl, idle);
    }
    mg_map_set_ttl_resp_encode(r->out, r->hdr.corr, e != NULL);
}

static int64_t whole_seconds(int64_t ms) { return ms == MG_NEVER ? ms : ms - ms % 1000; }

typedef struct view_arg {
    const mg_entry *e;
    const mg_map_config *cfg;
} view_arg;

/* What a Hazelcast 5.7 member reports, which depends on the record kind the
 * map uses: with per-entry statistics every time and hit count (whole
 * seconds; last access 0 until the first access); without them -1, except
 * the last-access time of LRU maps, the hits of LFU maps, and the update time
 * of entries that can expire.  memgrid tracks all of them either way. */
static void write_entry_view(mg_wr *w, const void *arg)
{
    const view_arg *va = arg;
    const mg_entry *e = va->e;
    /* Every field read here is kept by the entries of such a map (see
     * mg_map_entry_shape and mg_expiry_shape); absent ones read as 0. */
    bool stats = va->cfg->per_entry_stats_enabled;
    int64_t expiration = mg_expiry_deadline(e);
    bool expires = expiration != MG_NEVER;
    uint32_t hits = mg_entry_has(e, MG_EF_HITS) ? mg_entry_u32(e, MG_EF_HITS) : 0;
    int64_t acc = mg_entry_has(e, MG_EF_ACC) ? mg_entry_time(e, MG_EF_ACC) : 0;
    int64_t upd = mg_entry_has(e, MG_EF_UPD) ? mg_entry_time(e, MG_EF_UPD) : 0;
    int64_t cre = mg_entry_has(e, MG_EF_CRE) ? mg_entry_time(e, MG_EF_CRE) : 0;
    int64_t last_access = stats ? (hits > 0 ? whole_seconds(acc) : 0)
                          : va->cfg->eviction_policy == MG_EVICT_LRU ? whole_seconds(acc)
                                                                     : -1;
    mg_simple_entry_view v = {
        .key = mg_entry_key_bytes(e),
        .value = mg_entry_value_bytes(e),
        .cost = (int64_t)mg_entry_cost(e),
        .creation_time = stats ? whole_seconds(cre) : -1,
        .expiration_time = whole_seconds(expiration),
        .hits = stats || va->cfg->eviction_policy == MG_EVICT_LFU ? (int64_t)hits : -1,
        .last_access_time = last_access,
        .last_stored_time = stats ? 0 : -1,   /* no MapStore */
        .last_update_time = stats || expires ? whole_seconds(upd) : -1,
        .version = e->version,
        .ttl = mg_expiry_ttl(e),
        .max_idle = mg_expiry_max_idle(e),
    };
    mg_enc_simple_entry_view(w, &v);
}

static void write_null(mg_wr *w, const void *arg)
{
    (void)arg;
    mg_wr_null(w);
}

void mg_map_get_entry_view(mg_req *r)
{
    DECODE(map_get_entry_view, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    mg_entry *e = mg_kop_live(&k);   /* no touch: viewing is not an access */
    view_arg va = {e, k.map->cfg};
    if (e)
        mg_map_get_entry_view_resp_encode(r->out, r->hdr.corr, write_entry_view, &va, mg_expiry_max_idle(e));
    else
        mg_map_get_entry_view_resp_encode(r->out, r->hdr.corr, write_null, NULL, 0);
}

/* --- locks ------------------------------------------------------------------- */

void mg_map_lock(mg_req *r)
{
    DECODE(map_lock, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    if (mg_lock_acquire(r->w, k.map, k.p, k.part, q.key.ptr, q.key.len, &r->client, q.thread_id,
                        q.ttl, q.reference_id)) {
        mg_map_lock_resp_encode(r->out, r->hdr.corr);
        return;
    }
    mg_req_park(r, k.part, q.key.ptr, q.key.len, -1);
}

void mg_map_try_lock(mg_req *r)
{
    DECODE(map_try_lock, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    if (mg_lock_acquire(r->w, k.map, k.p, k.part, q.key.ptr, q.key.len, &r->client, q.thread_id,
                        q.lease, q.reference_id)) {
        mg_map_try_lock_resp_encode(r->out, r->hdr.corr, true);
        return;
    }
    if (q.timeout == 0 || r->timed_out) {
        mg_map_try_lock_resp_encode(r->out, r->hdr.corr, false);
        return;
    }
    mg_req_park(r, k.part, q.key.ptr, q.key.len, q.timeout < 0 ? -1 : q.timeout);
}

void mg_map_unlock(mg_req *r)
{
    DECODE(map_unlock, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    if (mg_lock_release(r->w, k.part, q.key.ptr, q.key.len, &r->client, q.thread_id,
                        q.reference_id) != 0) {
        mg_req_error(r, MG_ERR_ILLEGAL_MONITOR_STATE, "java.lang.IllegalMonitorStateException",
                     "Current thread is not owner of the lock!");
        return;
    }
    mg_map_unlock_resp_encode(r->out, r->hdr.corr);
}

void mg_map_force_unlock(mg_req *r)
{
    DECODE(map_force_unlock, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    mg_lock_force_release(r->w, k.part, q.key.ptr, q.key.len);
    mg_map_force_unlock_resp_encode(r->out, r->hdr.corr);
}

void mg_map_is_locked(mg_req *r)
{
    DECODE(map_is_locked, q);
    mg_kop k;
    if (!kop_begin(r, q.name, q.key, &k))
        return;
    mg_map_is_locked_resp_encode(r->out, r->hdr.corr, mg_locked(k.part, q.key.ptr, q.key.len));
}
