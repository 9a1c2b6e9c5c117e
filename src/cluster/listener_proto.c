/* listener_proto.c - frames of cluster-wide entry listeners (listener_proto.h). */
#include "cluster/listener_proto.h"

/* A serialized Data starts with an 8-byte header (partition hash, type):
 * every key memgrid stores is at least that long (store.h). */
#define LP_MIN_KEY 8

static void put_flag(mg_buf *b, bool v) { mg_bc_put_u8(b, v ? 1 : 0); }

/* 0/1 only: anything else is a frame no member wrote. */
static bool get_flag(mg_bc_rd *r)
{
    uint8_t v = mg_bc_u8(r);
    if (v > 1)
        r->bad = true;
    return v == 1;
}

/* A signed field that must not be negative (worker index, count). */
static int32_t get_nonneg(mg_bc_rd *r)
{
    uint32_t v = mg_bc_u32(r);
    if (v > INT32_MAX)
        r->bad = true;
    return (int32_t)v;
}

static mg_bytes get_bytes(mg_bc_rd *r)
{
    mg_bytes v;
    v.ptr = mg_dp_bytes(r, &v.len);
    if (!v.ptr)
        v.len = 0;
    return v;
}

/* Optional bytes: a present flag, then the bytes. */
static void put_opt(mg_buf *b, const mg_bytes *v)
{
    put_flag(b, v->ptr != NULL);
    if (v->ptr)
        mg_dp_put_bytes(b, v->ptr, v->len);
}

static mg_bytes get_opt(mg_bc_rd *r)
{
    mg_bytes none = {NULL, 0};
    return get_flag(r) ? get_bytes(r) : none;
}

void mg_lp_add_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_add *a)
{
    size_t start = mg_dp_begin(b, MG_DP_LISTEN_ADD, sender);
    mg_bc_put_u64(b, a->req);
    mg_bc_put_uuid(b, &a->id);
    mg_bc_put_u32(b, (uint32_t)a->sub_worker);
    mg_bc_put_u32(b, (uint32_t)a->flags);
    put_flag(b, a->include_value);
    mg_dp_put_bytes(b, a->name.ptr, a->name.len);
    mg_dp_put_bytes(b, a->key.ptr, a->key.len);
    mg_dp_end(b, start);
}

int mg_lp_add_decode(const mg_dp_frame *f, mg_lp_add *out)
{
    if (f->type != MG_DP_LISTEN_ADD)
        return -1;
    mg_bc_rd r = f->body;
    out->req = mg_bc_u64(&r);
    out->id = mg_bc_uuid(&r);
    out->sub_worker = get_nonneg(&r);
    out->flags = (int32_t)mg_bc_u32(&r);
    out->include_value = get_flag(&r);
    out->name = get_bytes(&r);
    out->key = get_bytes(&r);
    if (out->key.len == 0)
        out->key.ptr = NULL;
    else if (out->key.len < LP_MIN_KEY)
        r.bad = true;
    return r.bad ? -1 : 0;
}

void mg_lp_remove_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_remove *rm)
{
    size_t start = mg_dp_begin(b, MG_DP_LISTEN_REMOVE, sender);
    mg_bc_put_u64(b, rm->req);
    mg_bc_put_uuid(b, &rm->id);
    mg_dp_end(b, start);
}

int mg_lp_remove_decode(const mg_dp_frame *f, mg_lp_remove *out)
{
    if (f->type != MG_DP_LISTEN_REMOVE)
        return -1;
    mg_bc_rd r = f->body;
    out->req = mg_bc_u64(&r);
    out->id = mg_bc_uuid(&r);
    return r.bad ? -1 : 0;
}

void mg_lp_ack_encode(mg_buf *b, const mg_uuid *sender, uint64_t req)
{
    size_t start = mg_dp_begin(b, MG_DP_LISTEN_ACK, sender);
    mg_bc_put_u64(b, req);
    mg_dp_end(b, start);
}

int mg_lp_ack_decode(const mg_dp_frame *f, uint64_t *req)
{
    if (f->type != MG_DP_LISTEN_ACK)
        return -1;
    mg_bc_rd r = f->body;
    *req = mg_bc_u64(&r);
    return r.bad ? -1 : 0;
}

void mg_lp_event_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_event *e)
{
    size_t start = mg_dp_begin(b, MG_DP_EVENT, sender);
    mg_bc_put_u32(b, (uint32_t)e->sub_worker);   /* first: the receiver routes by it */
    mg_bc_put_uuid(b, &e->id);
    mg_dp_put_bytes(b, e->name.ptr, e->name.len);
    mg_bc_put_u32(b, (uint32_t)e->partition);
    mg_bc_put_u32(b, (uint32_t)e->type);
    mg_bc_put_u32(b, (uint32_t)e->affected);
    put_opt(b, &e->key);
    put_opt(b, &e->value);
    put_opt(b, &e->old_value);
    mg_dp_end(b, start);
}

int mg_lp_event_decode(const mg_dp_frame *f, mg_lp_event *out)
{
    if (f->type != MG_DP_EVENT)
        return -1;
    mg_bc_rd r = f->body;
    out->sub_worker = get_nonneg(&r);
    out->id = mg_bc_uuid(&r);
    out->name = get_bytes(&r);
    out->partition = (int32_t)mg_bc_u32(&r);
    out->type = (int32_t)mg_bc_u32(&r);
    out->affected = get_nonneg(&r);
    out->key = get_opt(&r);
    out->value = get_opt(&r);
    out->old_value = get_opt(&r);
    /* An entry event names its key and partition; a map-wide one neither. */
    bool has_key = out->key.ptr != NULL;
    if (out->partition < -1 || has_key != (out->partition >= 0) || (has_key && out->key.len < LP_MIN_KEY) ||
        out->type <= 0)
        r.bad = true;
    return r.bad ? -1 : 0;
}
