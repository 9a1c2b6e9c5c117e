/* libFuzzer target for the member protocol and the membership machine.
 *
 * The input is read as a stream of frames, cut with mg_mp_frame_size /
 * mg_mp_decode exactly as a connection would.  Every frame is decoded from
 * a heap copy of exactly its bytes (so ASan catches any read past the
 * frame); a frame that decodes is encoded again and must decode to the same
 * bytes once more (decode/encode is canonical).  Every frame is also handed
 * to two membership machines, one looking for a cluster and one master of a
 * cluster of its own, with time advancing between frames, so the handlers
 * meet hostile input too.
 *
 * Without a corpus most random bytes fail the magic at once, so an input
 * whose first byte is odd is used differently: a valid frame of the type
 * that byte selects is built, and the rest of the input overwrites part of
 * it (offset from the next two bytes).  That reaches deep into every
 * decoder from the first run.
 *
 * Inputs whose first byte is 2 mod 4 go to the data plane instead: the
 * replication record reader and, with bit 2 set, the frames of
 * cluster-wide listeners (cluster/listener_proto.h), from a valid frame
 * of the type the second byte selects, overwritten in part by the rest.
 *
 * Every input is also read as one multicast announcement (feed_announce).
 *
 * Build: with fuzz/run.sh's build function, sources "src/util src/cluster"
 * and no extra libraries; or by hand, clang -fsanitize=fuzzer,address,
 * undefined over this file, every .c of src/cluster, and src/util's
 * alloc.c, buf.c and rand.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/announce.h"
#include "cluster/data_proto.h"
#include "cluster/listener_proto.h"
#include "cluster/member_proto.h"
#include "cluster/membership.h"
#include "util/buf.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

/* ---- a stub world for the machines ---------------------------------------- */

typedef struct world {
    int64_t now;
    uint64_t rnd;
    size_t sent;
} world;

static void w_send(void *ctx, const mg_uuid *to, const mg_cl_addr *addr, const uint8_t *f, size_t n)
{
    world *w = ctx;
    w->sent += n;
    /* What the machine sends must itself be a well-formed frame. */
    size_t len;
    check(mg_mp_frame_size(f, n, &len) == MG_MP_OK && len == n);
    (void)to;
    (void)addr;
}
static int64_t w_now(void *ctx) { return ((world *)ctx)->now; }
static uint64_t w_random(void *ctx)
{
    world *w = ctx;
    w->rnd = w->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    return w->rnd;
}

static mg_membership *machine(world *w, bool founded)
{
    mg_membership_config cfg;
    mg_membership_config_defaults(&cfg);
    mg_cl_addr_set(&cfg.self, "10.0.0.1", 5701);
    mg_cl_io io = {.ctx = w, .send = w_send, .now_ms = w_now, .random = w_random};
    mg_membership *m = mg_membership_new(&cfg, &io);
    mg_membership_start(m);
    if (founded) {   /* no seeds: alone after the join timeout, it founds */
        for (int64_t t = 0; t <= cfg.join_timeout_ms; t += MG_CL_TICK_MS) {
            w->now += MG_CL_TICK_MS;
            mg_membership_tick(m);
        }
        check(mg_membership_is_master(m));
    }
    return m;
}

/* ---- frames --------------------------------------------------------------- */

static void check_canonical(const uint8_t *frame, size_t len)
{
    mg_mp_msg *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    size_t used;
    if (mg_mp_decode(frame, len, a, &used) == MG_MP_OK) {
        check(used == len);
        if (a->type == MG_MP_MEMBER_LIST)
            check(a->u.member_list.list.count <= MG_CL_MAX_MEMBERS);
        mg_buf e1, e2;
        mg_buf_init(&e1);
        mg_buf_init(&e2);
        mg_mp_encode(&e1, a);
        check(mg_mp_decode(e1.data, e1.len, b, &used) == MG_MP_OK && used == e1.len);
        mg_mp_encode(&e2, b);
        check(e1.len == e2.len && memcmp(e1.data, e2.data, e1.len) == 0);
        /* Only unknown trailing bytes are dropped; an older sender's
         * heartbeat, without the echo appended since, gains those 8 bytes. */
        check(e1.len <= len || (a->type == MG_MP_HEARTBEAT && e1.len == len + 8));
        mg_buf_free(&e1);
        mg_buf_free(&e2);
    }
    free(a);
    free(b);
}

static void feed_stream(const uint8_t *data, size_t size)
{
    world w = {.now = 1000, .rnd = 1};
    mg_membership *joiner = machine(&w, false), *master = machine(&w, true);
    mg_mp_msg *scratch = malloc(sizeof *scratch);
    size_t off = 0;
    while (off < size) {
        size_t used;
        int rc = mg_mp_decode(data + off, size - off, scratch, &used);
        if (used == 0)
            break;   /* incomplete or not our protocol: a connection would wait or close */
        uint8_t *frame = malloc(used);   /* exactly the frame, for ASan */
        memcpy(frame, data + off, used);
        check_canonical(frame, used);
        int r1 = mg_membership_receive(joiner, frame, used);
        int r2 = mg_membership_receive(master, frame, used);
        check(r1 == rc && r2 == rc);
        free(frame);
        off += used;
        w.now += 1 + (int64_t)(used % 1500);
        mg_membership_tick(joiner);
        mg_membership_tick(master);
    }
    /* Whatever happened, the master's table is valid when it has one. */
    const mg_pt_table *t = mg_membership_table(master);
    if (t)
        check(mg_pt_check(t) == 0);
    free(scratch);
    mg_membership_free(joiner);
    mg_membership_free(master);
}

/* A valid frame of the selected type, overwritten in part by the input. */
static void feed_mutated_example(const uint8_t *data, size_t size)
{
    static uint8_t slots[271 * 2];
    mg_mp_msg *m = calloc(1, sizeof *m);
    m->type = (uint8_t)(1 + (data[0] >> 1) % 9);
    m->from = (mg_uuid){.msb = 1, .lsb = 2};
    mg_cl_addr_set(&m->from_addr, "10.0.0.2", 5701);
    mg_uuid cid = {.msb = 3, .lsb = 4};
    switch (m->type) {
    case MG_MP_JOIN_REQUEST:
        m->u.join_request.cluster_name = (mg_mp_str){"dev", 3};
        m->u.join_request.version[1] = 1;
        m->u.join_request.partition_count = 271;
        break;
    case MG_MP_JOIN_RESPONSE:
        m->u.join_response.master = m->from;
        m->u.join_response.master_addr = m->from_addr;
        m->u.join_response.reason = (mg_mp_str){"why", 3};
        break;
    case MG_MP_MEMBER_LIST: {
        mg_cl_list *l = &m->u.member_list.list;
        l->version = mg_cl_version(1, 2);
        l->cluster_id = cid;
        l->master = m->from;
        l->count = 2;
        l->members[0] = (mg_cl_member){.uuid = m->from, .addr = m->from_addr, .join_seq = 1};
        l->members[1] = (mg_cl_member){.uuid = {.msb = 5, .lsb = 6}, .addr = m->from_addr, .join_seq = 2};
        break;
    }
    case MG_MP_HEARTBEAT:
        m->u.heartbeat.cluster_id = cid;
        m->u.heartbeat.list_version = mg_cl_version(1, 2);
        m->u.heartbeat.master = m->from;
        break;
    case MG_MP_SUSPECT_REPORT:
        m->u.suspects.count = 1;
        m->u.suspects.uuids[0] = m->from;
        break;
    case MG_MP_PARTITION_TABLE:
        m->u.table.version = mg_cl_version(1, 1);
        m->u.table.partitions = 271;
        m->u.table.replicas = 2;
        m->u.table.nmembers = 2;
        m->u.table.members[0] = m->from;
        m->u.table.members[1] = (mg_uuid){.msb = 5, .lsb = 6};
        for (int p = 0; p < 271; p++) {
            slots[2 * p] = (uint8_t)(p % 2);
            slots[2 * p + 1] = (uint8_t)(1 - p % 2);
        }
        m->u.table.slots = slots;
        break;
    case MG_MP_CLAIM:
        m->u.claim.term = 2;
        break;
    default:
        break;
    }
    mg_buf b;
    mg_buf_init(&b);
    mg_mp_encode(&b, m);
    if (size >= 3) {
        size_t at = ((size_t)data[1] | (size_t)data[2] << 8) % b.len;
        for (size_t i = 3; i < size; i++) {
            if (at + i - 3 >= b.len)
                mg_buf_append(&b, &data[i], 1);
            else
                b.data[at + i - 3] ^= data[i];
        }
    }
    feed_stream(b.data, b.len);
    mg_buf_free(&b);
    free(m);
}

/* Decodes a listener frame and encodes it again into e (empty when it
 * does not decode). */
static void listener_reencode(const uint8_t *frame, size_t len, mg_buf *e)
{
    mg_dp_frame f;
    if (mg_dp_open(frame, len, &f) != 0)
        return;
    mg_lp_add a;
    mg_lp_remove rm;
    mg_lp_event ev;
    uint64_t req;
    if (mg_lp_add_decode(&f, &a) == 0)
        mg_lp_add_encode(e, &f.sender, &a);
    else if (mg_lp_remove_decode(&f, &rm) == 0)
        mg_lp_remove_encode(e, &f.sender, &rm);
    else if (mg_lp_ack_decode(&f, &req) == 0)
        mg_lp_ack_encode(e, &f.sender, req);
    else if (mg_lp_event_decode(&f, &ev) == 0)
        mg_lp_event_encode(e, &f.sender, &ev);
}

/* A listener frame that decodes (from an exact-size copy) encodes to one
 * that decodes and encodes to the same bytes. */
static void feed_listener_frame(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    mg_buf e1, e2;
    mg_buf_init(&e1);
    mg_buf_init(&e2);
    listener_reencode(copy, size, &e1);
    if (e1.len) {
        listener_reencode(e1.data, e1.len, &e2);
        check(e1.len == e2.len && memcmp(e1.data, e2.data, e1.len) == 0);
    }
    mg_buf_free(&e1);
    mg_buf_free(&e2);
    free(copy);
}

static void feed_listener_example(const uint8_t *data, size_t size)
{
    static const uint8_t key[] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf5, 'k'};
    mg_uuid sender = {.msb = 1, .lsb = 2}, id = {.msb = 3, .lsb = 4};
    mg_buf b;
    mg_buf_init(&b);
    switch (size > 1 ? data[1] % 4 : 0) {
    case 0: {
        mg_lp_add a = {.req = 1, .id = id, .sub_worker = 1, .flags = 1, .include_value = true,
                       .name = {(const uint8_t *)"m", 1}, .key = {key, sizeof key}};
        mg_lp_add_encode(&b, &sender, &a);
        break;
    }
    case 1: {
        mg_lp_remove rm = {.req = 1, .id = id};
        mg_lp_remove_encode(&b, &sender, &rm);
        break;
    }
    case 2:
        mg_lp_ack_encode(&b, &sender, 1);
        break;
    default: {
        mg_lp_event ev = {.sub_worker = 1, .id = id, .name = {(const uint8_t *)"m", 1}, .partition = 5,
                          .type = 1, .affected = 1, .key = {key, sizeof key}, .value = {key, sizeof key}};
        mg_lp_event_encode(&b, &sender, &ev);
        break;
    }
    }
    if (size >= 4) {
        size_t at = ((size_t)data[2] | (size_t)data[3] << 8) % b.len;
        for (size_t i = 4; i < size; i++) {
            if (at + i - 4 >= b.len)
                mg_buf_append(&b, &data[i], 1);
            else
                b.data[at + i - 4] ^= data[i];
        }
    }
    feed_listener_frame(b.data, b.len);
    mg_buf_free(&b);
}

/* The data plane's replication records (cluster/data_proto.h), read from an
 * exact-size copy until the first malformed one. */
static void feed_records(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    mg_bc_rd rd;
    mg_bc_rd_init(&rd, copy, size);
    mg_dp_record r;
    while (mg_bc_left(&rd) > 0 && mg_dp_next_record(&rd, &r))
        if (r.kind == MG_DP_REC_PUT && r.vlen && r.value[r.vlen - 1] == 0xFF)
            rd.off += 0;   /* touch the borrowed bytes: an overread shows here */
    mg_dp_frame f;
    mg_dp_open(copy, size, &f);
    free(copy);
    feed_listener_frame(data, size);
}

/* The multicast announcement (cluster/announce.h): the input as one
 * datagram, from an exact-size copy; one that decodes must encode to the
 * same bytes.  With the first byte 0x4d ('M') the input is tried after the
 * magic too, so the fields behind it are reached without a corpus. */
static void feed_announce(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size + 4);
    size_t n = size;
    if (size > 0 && data[0] == 'M') {
        memcpy(buf, "MGAN", 4);
        memcpy(buf + 4, data + 1, size - 1);
        n = size + 3;
    } else {
        memcpy(buf, data, size);
    }
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    mg_announce a;
    if (mg_announce_decode(exact, n, &a) == MG_ANN_OK) {
        uint8_t out[MG_ANN_MAX];
        size_t m = mg_announce_encode(&a, out);
        check(m == n && memcmp(out, exact, n) == 0);
    }
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    feed_announce(data, size);
    if ((data[0] & 3) == 2) {
        if (data[0] & 4)
            feed_listener_example(data, size);
        else
            feed_records(data + 1, size - 1);
        return 0;
    }
    if (data[0] & 1)
        feed_mutated_example(data, size);
    else
        feed_stream(data + 1, size - 1);
    return 0;
}
