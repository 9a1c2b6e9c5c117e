/* driver.c - one load-generating thread; see driver.h for the phases. */
#include "driver.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "partition/partition_id.h"
#include "procstat.h"
#include "proto/codecs/client/custom_codecs.h"
#include "proto/codecs/client/map_codecs.h"
#include "proto/error.h"
#include "util/clock.h"
#include "util/rand.h"

const char *const bphase_names[] = { "connect", "load", "warmup", "measure", "drain", "done" };

#define NS_PER_S 1000000000LL
/* Open loop: at most this many requests in flight per connection before
 * new ones are dropped (and counted as overload). */
#define OPEN_LOOP_INFLIGHT 65536
/* Open loop: a client that fell this far behind its schedule stops trying
 * to catch up within one tick (it is overloaded; the figures show it). */
#define MAX_BURST 100000

static void begin_close(bdriver *d);

static uint64_t ms_until(int64_t when, int64_t now)
{
    return when > now ? (uint64_t)((when - now + 999999) / 1000000) : 0;
}

void berr_count(berr_kind *kinds, int *n, const char *text, uint64_t count)
{
    char folded[sizeof kinds[0].text];
    size_t o = 0;
    for (size_t i = 0; text[i] && o + 1 < sizeof folded; i++) {
        bool digit = text[i] >= '0' && text[i] <= '9';
        if (digit && o > 0 && folded[o - 1] == '#')
            continue;   /* a number is one '#' */
        folded[o++] = digit ? '#' : text[i];
    }
    folded[o] = '\0';
    for (int k = 0; k < *n; k++)
        if (strcmp(kinds[k].text, folded) == 0) {
            kinds[k].count += count;
            return;
        }
    if (*n == BERR_KINDS - 1 && strcmp(folded, "(other kinds)") != 0) {
        berr_count(kinds, n, "(other kinds)", count);
        return;
    }
    if (*n == BERR_KINDS) {
        kinds[BERR_KINDS - 1].count += count;
        return;
    }
    snprintf(kinds[*n].text, sizeof kinds[*n].text, "%s", folded);
    kinds[(*n)++].count = count;
}

static void note_error(bdriver *d, const char *fmt, const char *detail)
{
    char text[sizeof d->st.first_error];
    snprintf(text, sizeof text, fmt, detail);
    d->st.errors++;
    atomic_fetch_add_explicit(&d->progress_errors, 1, memory_order_relaxed);
    if (!d->st.first_error[0])
        snprintf(d->st.first_error, sizeof d->st.first_error, "%s", text);
    berr_count(d->st.error_kinds, &d->st.nerror_kinds, text, 1);
}

static void set_phase(bdriver *d, bphase p)
{
    d->phase = p;
    atomic_store_explicit(&d->progress_phase, (int)p, memory_order_relaxed);
}

/* --- issuing ------------------------------------------------------------------ */

static bool issue(bdriver *d, int64_t t0)
{
    const bworkload *w = d->run->w;
    bop op;
    uint32_t key;
    if (d->phase == BP_LOAD) {
        op = BOP_SET;
        key = d->load_next++;
    } else {
        op = bworkload_next_op(w, &d->rng);
        key = bworkload_next_key(w, &d->rng);
    }
    int32_t p = mg_hash_to_index(w->key_hash[key], d->cl.partition_count);
    bconn *c = bcluster_route(&d->cl, p);
    if (!c)
        return false;
    breq r = { .t0 = t0, .key = key, .op = (uint8_t)op, .phase = (uint8_t)d->phase };
    int64_t corr = binflight_add(&c->inflight, &r);
    if (corr < 0) {
        d->st.overload++;
        return false;
    }
    if (d->auth.proto != BPROTO_HAZELCAST) {
        mg_bytes kt = bworkload_key_text(w, key), vp = bworkload_value_payload(w);
        bkv_encode(d->auth.proto, op, kt.ptr, kt.len, vp.ptr, vp.len, bconn_out(c));
        bconn_kv_sent(c, corr);
        d->inflight++;
        return true;
    }
    mg_bytes name = { (const uint8_t *)d->run->o->map, strlen(d->run->o->map) };
    mg_bytes k = bworkload_key(w, key);
    mg_bytes v = { w->value, w->value_len };
    mg_buf *b = bconn_out(c);
    /* threadId 0 and ttl -1 ("the map's default") are what the Go client
     * sends outside a lock context. */
    switch (op) {
    case BOP_GET:
        mg_map_get_req_encode(b, corr, p, &name, &k, 0);
        break;
    case BOP_PUT:
        mg_map_put_req_encode(b, corr, p, &name, &k, &v, 0, -1);
        break;
    case BOP_SET:
        mg_map_set_req_encode(b, corr, p, &name, &k, &v, 0, -1);
        break;
    default:
        mg_map_remove_req_encode(b, corr, p, &name, &k, 0);
        break;
    }
    d->inflight++;
    return true;
}

static bool may_issue(const bdriver *d)
{
    if (d->failed || d->closing)
        return false;
    if (d->phase == BP_LOAD)
        return d->load_next < d->load_end;
    return d->phase == BP_WARMUP || d->phase == BP_MEASURE;
}

/* Closed loop (and the load phase): top the window up. */
static void refill(bdriver *d, int64_t now)
{
    if (d->rate > 0 && d->phase != BP_LOAD)
        return;
    while (d->inflight < d->window && may_issue(d))
        if (!issue(d, now))
            break;
    atomic_store_explicit(&d->progress_inflight, d->inflight, memory_order_relaxed);
}

static void on_pacer(bpacer *p, int64_t now)
{
    bdriver *d = p->owner;
    uint64_t due = bpacer_due(p, now);
    if (due - p->issued > MAX_BURST)
        p->issued = due - MAX_BURST;
    while (p->issued < due && may_issue(d)) {
        int64_t t0 = bpacer_time_of(p, p->issued);
        /* A request that cannot be sent (counted as overload in issue())
         * still uses up its slot of the schedule. */
        if (issue(d, t0) && d->phase == BP_MEASURE)
            bhist_record(&d->st.lag, now - t0);
        p->issued++;
    }
    atomic_store_explicit(&d->progress_inflight, d->inflight, memory_order_relaxed);
}

/* --- phases ------------------------------------------------------------------- */

static void reach_barrier(bdriver *d)
{
    if (d->at_barrier)
        return;
    d->at_barrier = true;
    uv_timer_stop(&d->connect_timer);
    uv_stop(&d->loop);
}

static void finish(bdriver *d)
{
    d->st.lost += d->inflight;
    set_phase(d, BP_DONE);
    begin_close(d);
}

static void on_drain_timeout(uv_timer_t *t)
{
    finish(t->data);
}

static void end_measure(bdriver *d, int64_t now)
{
    if (d->phase != BP_MEASURE)
        return;
    set_phase(d, BP_DRAIN);
    d->st.t_measure_end = now;
    if (d->id == 0) {
        d->run->client_cpu[1] = bproc_self_cpu_s();
        bproc_machine_read(&d->run->machine[1]);
        if (d->run->o->server_pid)
            d->run->server_cpu[1] = bproc_cpu_s(d->run->o->server_pid);
    }
    if (d->pacer_on)
        bpacer_stop(&d->pacer);
    if (d->inflight == 0) {
        finish(d);
        return;
    }
    uv_timer_start(&d->phase_timer, on_drain_timeout,
                   (uint64_t)(d->run->o->drain_s * 1000.0), 0);
}

static void on_measure_end(uv_timer_t *t)
{
    end_measure(t->data, mg_clock_mono_ns());
}

static void enter_measure(bdriver *d, int64_t now)
{
    set_phase(d, BP_MEASURE);
    d->st.t_measure_start = now;
    if (d->id == 0) {
        d->run->client_cpu[0] = bproc_self_cpu_s();
        bproc_machine_read(&d->run->machine[0]);
        if (d->run->o->server_pid)
            d->run->server_cpu[0] = bproc_cpu_s(d->run->o->server_pid);
    }
    /* With --ops the measurement ends at the quota, but never later than
     * --duration: a stalled member must not hang the run. */
    int64_t end = now + (int64_t)(d->run->o->duration_s * NS_PER_S);
    uv_timer_start(&d->phase_timer, on_measure_end, ms_until(end, now), 0);
}

static void on_warmup_end(uv_timer_t *t)
{
    bdriver *d = t->data;
    enter_measure(d, mg_clock_mono_ns());
    refill(d, mg_clock_mono_ns());
}

static void start_workload(bdriver *d)
{
    int64_t now = mg_clock_mono_ns(), start = d->run->t_start;
    set_phase(d, BP_WARMUP);
    int64_t warm_end = start + (int64_t)(d->run->o->warmup_s * NS_PER_S);
    if (warm_end <= now)
        enter_measure(d, now);
    else
        uv_timer_start(&d->phase_timer, on_warmup_end, ms_until(warm_end, now), 0);
    if (d->pacer_on)
        bpacer_start(&d->pacer, now);
    else
        refill(d, now);
}

static void fail_run(bdriver *d, const char *why)
{
    if (d->failed)
        return;
    d->failed = true;
    snprintf(d->fail_why, sizeof d->fail_why, "%s", why);
    if (d->phase == BP_CONNECT || d->phase == BP_LOAD) {
        reach_barrier(d);
        return;
    }
    if (d->phase == BP_MEASURE)
        end_measure(d, mg_clock_mono_ns());
    if (d->phase != BP_DONE)
        finish(d);
}

/* --- answers ------------------------------------------------------------------ */

static void decode_error(bdriver *d, const uint8_t *msg, size_t len)
{
    char text[180];
    if (!mg_proto_error_text(msg, len, text, sizeof text)) {
        note_error(d, "%s", "undecodable error answer");
        return;
    }
    note_error(d, "%s", text);
}

/* Checks one answer; returns false (and counts the error) when it is not
 * what the request asked for. */
static bool check_answer(bdriver *d, const breq *r, const uint8_t *msg, size_t len)
{
    if (mg_get_u32(msg + MG_FRAME_HDR) == 0) {   /* type 0: an error answer */
        decode_error(d, msg, len);
        return false;
    }
    int rc;
    const mg_bytes *val = NULL;
    union {
        mg_map_get_resp get;
        mg_map_put_resp put;
        mg_map_set_resp set;
        mg_map_remove_resp remove;
    } a;
    switch (r->op) {
    case BOP_GET:
        rc = mg_map_get_resp_decode(msg, len, &a.get);
        val = &a.get.response;
        break;
    case BOP_PUT:
        rc = mg_map_put_resp_decode(msg, len, &a.put);
        break;
    case BOP_SET:
        rc = mg_map_set_resp_decode(msg, len, &a.set);
        break;
    default:
        rc = mg_map_remove_resp_decode(msg, len, &a.remove);
        val = &a.remove.response;
        break;
    }
    if (rc != 0) {
        note_error(d, "answer to Map.%s is not its response type (or is malformed)",
                   bop_names[r->op]);
        return false;
    }
    if (val && !val->ptr) {
        d->st.misses++;
    } else if (val && val->len != d->run->w->value_len) {
        /* Every value this tool writes has the same length. */
        note_error(d, "Map.%s returned a value of the wrong length", bop_names[r->op]);
        return false;
    }
    return true;
}

/* A peer protocol's answer (kvproto.h), checked as check_answer does. */
static bool check_kv_answer(bdriver *d, const breq *r, const bkv_answer *a)
{
    if (a->kind == BKV_ERROR) {
        char text[160];
        snprintf(text, sizeof text, "%.*s", (int)(a->len < 150 ? a->len : 150), (const char *)a->val);
        note_error(d, "%s", text);
        return false;
    }
    /* Redis answers put (SET ... GET) and remove (GETDEL) with the old
     * value, as Hazelcast does; memcached answers remove with HD / NF. */
    bool redis = d->auth.proto == BPROTO_REDIS;
    bool wants_value = r->op == BOP_GET || (redis && (r->op == BOP_PUT || r->op == BOP_REMOVE));
    if (!wants_value) {
        if (a->kind == BKV_VALUE) {
            note_error(d, "%s answered with a value", bop_names[r->op]);
            return false;
        }
        if (a->kind == BKV_NIL && r->op == BOP_REMOVE)
            d->st.misses++;
        else if (a->kind == BKV_NIL) {
            note_error(d, "%s answered \"not found\"", bop_names[r->op]);
            return false;
        }
        return true;
    }
    if (a->kind == BKV_NIL) {
        if (r->op != BOP_PUT)   /* a put of a new key has no old value */
            d->st.misses++;
    } else if (a->kind != BKV_VALUE) {
        note_error(d, "%s answered without a value", bop_names[r->op]);
        return false;
    } else if (a->len != bworkload_value_payload(d->run->w).len) {
        note_error(d, "%s returned a value of the wrong length", bop_names[r->op]);
        return false;
    }
    return true;
}

/* A request is answered: count it, and keep the window full. */
static void complete(bdriver *d, const breq *r, bool ok, int64_t now)
{
    d->inflight--;
    atomic_fetch_add_explicit(&d->progress_done, 1, memory_order_relaxed);
    atomic_store_explicit(&d->progress_inflight, d->inflight, memory_order_relaxed);
    if (r->phase == BP_MEASURE && d->phase == BP_MEASURE) {
        bhist_record(&d->st.hist[r->op], now - r->t0);
        d->st.ops[r->op]++;
        if (d->quota && ++d->measured >= d->quota)
            end_measure(d, now);
    } else if (r->phase == BP_LOAD) {
        d->st.loaded += ok;
        if (++d->load_answered == d->load_total) {
            d->st.load_ns = now - d->load_start;
            reach_barrier(d);
            return;
        }
    }
    if (d->phase == BP_DRAIN && d->inflight == 0) {
        finish(d);
        return;
    }
    refill(d, now);
}

static void on_response(bcluster *cl, bconn *c, const uint8_t *msg, size_t len, int64_t now)
{
    bdriver *d = cl->owner;
    breq r;
    bmsg_hdr h;
    if (!bmsg_peek(msg, len, &h) || !binflight_take(&c->inflight, h.corr, &r)) {
        d->st.unexpected++;
        return;
    }
    complete(d, &r, check_answer(d, &r, msg, len), now);
}

static void on_kv_response(bcluster *cl, bconn *c, int64_t corr, const bkv_answer *a, int64_t now)
{
    bdriver *d = cl->owner;
    breq r;
    if (!binflight_take(&c->inflight, corr, &r)) {
        d->st.unexpected++;
        return;
    }
    complete(d, &r, check_kv_answer(d, &r, a), now);
}

/* --- cluster events ---------------------------------------------------------------- */

static void on_cluster_ready(bcluster *cl)
{
    bdriver *d = cl->owner;
    uv_timer_stop(&d->connect_timer);
    if (d->id == 0 && !d->run->server_version[0])
        memcpy(d->run->server_version, cl->server_version, sizeof d->run->server_version);
    int used = d->run->o->smart ? cl->nmembers : 1;
    if (d->id == 0)
        d->run->members = cl->nmembers;
    d->window = (uint64_t)d->run->o->depth * (uint64_t)d->conns_per_member * (uint64_t)used;
    set_phase(d, BP_LOAD);
    d->load_start = mg_clock_mono_ns();
    if (d->load_total == 0) {
        reach_barrier(d);
        return;
    }
    refill(d, d->load_start);
}

static void on_cluster_failed(bcluster *cl, const char *why)
{
    fail_run(cl->owner, why);
}

static void on_cluster_closed(bcluster *cl)
{
    (void)cl;   /* the loop ends by itself once every handle is closed */
}

static const bcluster_cbs cluster_cbs = { on_cluster_ready, on_response, on_kv_response,
                                          on_cluster_failed, on_cluster_closed };

/* --- timers and shutdown --------------------------------------------------------------- */

static void on_connect_timeout(uv_timer_t *t)
{
    bdriver *d = t->data;
    char why[128];
    snprintf(why, sizeof why, "not connected to the cluster within %.1f s", d->run->o->timeout_s);
    fail_run(d, why);
}

static void progress_line(bdriver *d, bool final)
{
    brun *run = d->run;
    static uint64_t last_done;
    static int64_t last_t;
    int64_t now = mg_clock_mono_ns();
    uint64_t done = 0, errors = 0, inflight = 0;
    int phase = BP_DONE;
    for (int i = 0; i < run->nthreads; i++) {
        bdriver *x = &run->drivers[i];
        done += atomic_load_explicit(&x->progress_done, memory_order_relaxed);
        errors += atomic_load_explicit(&x->progress_errors, memory_order_relaxed);
        inflight += atomic_load_explicit(&x->progress_inflight, memory_order_relaxed);
        int p = atomic_load_explicit(&x->progress_phase, memory_order_relaxed);
        if (p < phase)
            phase = p;
    }
    if (!last_t)
        last_t = run->t_launch;
    double rate = now > last_t ? (double)(done - last_done) * 1e9 / (double)(now - last_t) : 0.0;
    last_done = done;
    last_t = now;
    bool tty = isatty(2);
    fprintf(stderr, "%s[%6.1fs] %-7s %10.0f ops/s  answers %llu  in flight %llu  errors %llu%s",
            tty ? "\r\033[K" : "", (double)(now - run->t_launch) / 1e9, bphase_names[phase], rate,
            (unsigned long long)done, (unsigned long long)inflight, (unsigned long long)errors,
            tty && !final ? "" : "\n");
    fflush(stderr);
}

static void on_progress(uv_timer_t *t)
{
    progress_line(t->data, false);
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void begin_close(bdriver *d)
{
    if (d->closing)
        return;
    d->closing = true;
    if (d->id == 0 && !d->run->o->quiet && uv_is_active((uv_handle_t *)&d->progress_timer))
        progress_line(d, true);
    uv_close((uv_handle_t *)&d->phase_timer, on_handle_closed);
    uv_close((uv_handle_t *)&d->progress_timer, on_handle_closed);
    uv_close((uv_handle_t *)&d->connect_timer, on_handle_closed);
    if (d->pacer_on)
        bpacer_close(&d->pacer);
    bcluster_close(&d->cl);
}

/* --- thread ---------------------------------------------------------------------- */

static void setup(bdriver *d)
{
    brun *run = d->run;
    const bopts *o = run->o;
    int T = run->nthreads;
    /* Connections per member, keys to load and rate, split evenly; the
     * first threads take the remainders. */
    d->conns_per_member = o->conns / T + (d->id < o->conns % T);
    uint64_t lo = (uint64_t)run->w->nkeys * (uint64_t)d->id / (uint64_t)T;
    uint64_t hi = (uint64_t)run->w->nkeys * (uint64_t)(d->id + 1) / (uint64_t)T;
    d->load_next = (uint32_t)lo;
    d->load_end = (uint32_t)hi;
    d->load_total = o->load ? (uint32_t)(hi - lo) : 0;
    d->quota = o->ops ? o->ops / (uint64_t)T + ((uint64_t)d->id < o->ops % (uint64_t)T) : 0;
    if (o->ops && d->quota == 0)
        d->quota = 1;
    d->rate = o->rate / T;
    d->rng = mg_rand_seed();
    d->auth.cluster = o->cluster;
    d->auth.client_uuid = mg_uuid_random(&d->rng);
    d->auth.smart = o->smart;
    d->auth.proto = o->proto;
    for (int i = 0; i < BOP_N; i++)
        bhist_init(&d->st.hist[i]);
    bhist_init(&d->st.lag);
}

static void start(bdriver *d)
{
    const bopts *o = d->run->o;
    uv_timer_init(&d->loop, &d->phase_timer);
    uv_timer_init(&d->loop, &d->progress_timer);
    uv_timer_init(&d->loop, &d->connect_timer);
    d->phase_timer.data = d->progress_timer.data = d->connect_timer.data = d;
    if (d->rate > 0) {
        if (bpacer_init(&d->pacer, &d->loop, d->rate, on_pacer, d) != 0) {
            fail_run(d, "cannot create the pacer's timer");
            return;
        }
        d->pacer_on = true;
    }
    if (d->id == 0 && !o->quiet)
        uv_timer_start(&d->progress_timer, on_progress, 1000, 1000);
    uv_timer_start(&d->connect_timer, on_connect_timeout, (uint64_t)(o->timeout_s * 1000.0), 0);
    /* Closed loop: the window can pile onto one connection when keys are
     * skewed, so each table holds all of it; open loop: a generous fixed
     * bound, past which requests count as overload. */
    uint32_t cap = (uint32_t)o->depth * (uint32_t)d->conns_per_member * BCL_MAX_MEMBERS;
    if (o->rate > 0 || cap > OPEN_LOOP_INFLIGHT)
        cap = OPEN_LOOP_INFLIGHT;
    if (bcluster_start(&d->cl, &d->loop, o->host, o->port, &d->auth, o->map, d->conns_per_member,
                       cap, &cluster_cbs, d) != 0)
        fail_run(d, "bad --host address");
}

void *bdriver_main(void *arg)
{
    bdriver *d = arg;
    brun *run = d->run;
    setup(d);
    uv_loop_init(&d->loop);
    set_phase(d, BP_CONNECT);
    start(d);
    if (!d->at_barrier)
        uv_run(&d->loop, UV_RUN_DEFAULT);   /* returns at reach_barrier */

    /* Everyone has loaded (or failed).  The serial thread decides for all. */
    if (pthread_barrier_wait(&run->barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
        for (int i = 0; i < run->nthreads; i++)
            if (run->drivers[i].failed)
                run->abort = true;
        if (run->o->server_pid)
            run->rss_loaded_kb = bproc_rss_kb(run->o->server_pid);
        run->t_start = mg_clock_mono_ns();
    }
    pthread_barrier_wait(&run->barrier);

    if (run->abort) {
        if (!d->failed) {
            d->failed = true;
            snprintf(d->fail_why, sizeof d->fail_why, "another thread failed");
        }
        begin_close(d);
    } else {
        start_workload(d);
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);
    if (d->id == 0 && run->o->server_pid)
        run->rss_end_kb = bproc_rss_kb(run->o->server_pid);
    uv_loop_close(&d->loop);
    return NULL;
}
