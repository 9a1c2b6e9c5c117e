/* frame.c - see frame.h.
 *
 * All length arithmetic is done on size_t after the int32 frame length has
 * been checked to be >= MG_FRAME_HDR, and every comparison is written as
 * "remaining >= needed" so that no addition can wrap.
 */
#include "proto/frame.h"

#include <string.h>

/* --- framing of a byte stream ------------------------------------------- */

/* Frame length field as a size, or 0 when it is negative or below the header
 * size (0 is never a valid length, so it doubles as the error value). */
static size_t frame_len_at(const uint8_t *p)
{
    int32_t n = (int32_t)mg_get_u32(p);
    if (n < MG_FRAME_HDR)
        return 0;
    return (size_t)n;
}

int mg_msg_scan(const uint8_t *buf, size_t len, size_t max_msg, size_t *msg_len)
{
    size_t off = 0;
    for (;;) {
        /* Every message needs at least one more frame here; refusing early
         * keeps a peer from making us buffer up to max_msg of garbage. */
        if (off > max_msg || max_msg - off < MG_FRAME_HDR)
            return MG_EPROTO;
        if (len - off < MG_FRAME_HDR)
            return 0;
        size_t flen = frame_len_at(buf + off);
        if (flen == 0 || flen > max_msg - off)
            return MG_EPROTO;
        if (flen > len - off)
            return 0;
        uint16_t flags = mg_get_u16(buf + off + 4);
        off += flen;
        if (flags & MG_F_FINAL) {
            *msg_len = off;
            return 1;
        }
    }
}

/* --- reading ------------------------------------------------------------- */

void mg_rd_init(mg_rd *r, const uint8_t *msg, size_t len)
{
    r->p = msg;
    r->len = msg ? len : 0;
    r->off = 0;
    r->failed = false;
}

static int rd_fail(mg_rd *r)
{
    r->failed = true;
    return MG_EPROTO;
}

bool mg_rd_has_more(const mg_rd *r)
{
    return !r->failed && r->off < r->len;
}

int mg_rd_peek(const mg_rd *r, mg_frame *f)
{
    if (r->failed || r->off > r->len || r->len - r->off < MG_FRAME_HDR)
        return MG_EPROTO;
    const uint8_t *h = r->p + r->off;
    size_t flen = frame_len_at(h);
    if (flen == 0 || flen > r->len - r->off)
        return MG_EPROTO;
    f->content = h + MG_FRAME_HDR;
    f->len = flen - MG_FRAME_HDR;
    f->flags = mg_get_u16(h + 4);
    return 0;
}

int mg_rd_next(mg_rd *r, mg_frame *f)
{
    if (mg_rd_peek(r, f) != 0)
        return rd_fail(r);
    r->off += MG_FRAME_HDR + f->len;
    /* Whatever follows a FINAL frame belongs to the next message. */
    if (f->flags & MG_F_FINAL)
        r->len = r->off;
    return 0;
}

int mg_rd_request_header(mg_rd *r, mg_req_hdr *h, mg_frame *initial)
{
    if (mg_rd_next(r, initial) != 0)
        return MG_EPROTO;
    if (initial->len < MG_REQ_FIXED_OFF)
        return rd_fail(r);
    h->type = mg_get_u32(initial->content);
    h->corr = (int64_t)mg_get_u64(initial->content + 4);
    h->partition = (int32_t)mg_get_u32(initial->content + 12);
    h->flags = initial->flags;
    return 0;
}

int mg_msg_peek_header(const uint8_t *msg, size_t len, mg_req_hdr *h)
{
    mg_rd r;
    mg_frame f;
    mg_rd_init(&r, msg, len);
    return mg_rd_request_header(&r, h, &f);
}

int mg_rd_fast_forward(mg_rd *r)
{
    size_t depth = 1;
    mg_frame f;
    while (depth > 0) {
        if (mg_rd_next(r, &f) != 0)
            return MG_EPROTO;
        if (f.flags & MG_F_END_DS)
            depth--;
        else if (f.flags & MG_F_BEGIN_DS)
            depth++;
    }
    return 0;
}

bool mg_rd_next_is_null(const mg_rd *r)
{
    mg_frame f;
    return mg_rd_peek(r, &f) == 0 && (f.flags & MG_F_NULL);
}

bool mg_rd_next_is_end(const mg_rd *r)
{
    mg_frame f;
    return mg_rd_peek(r, &f) == 0 && (f.flags & MG_F_END_DS);
}

/* --- fixed-size fields ---------------------------------------------------- */

static const uint8_t *fr_at(const mg_frame *f, size_t off, size_t size)
{
    if (off > f->len || f->len - off < size)
        return NULL;
    return f->content + off;
}

bool mg_fr_u8(const mg_frame *f, size_t off, uint8_t *v)
{
    const uint8_t *p = fr_at(f, off, 1);
    if (!p)
        return false;
    *v = p[0];
    return true;
}

bool mg_fr_bool(const mg_frame *f, size_t off, bool *v)
{
    const uint8_t *p = fr_at(f, off, 1);
    if (!p)
        return false;
    /* The reference decoders test "== 1", so any other byte is false. */
    *v = p[0] == 1;
    return true;
}

bool mg_fr_i32(const mg_frame *f, size_t off, int32_t *v)
{
    const uint8_t *p = fr_at(f, off, 4);
    if (!p)
        return false;
    *v = (int32_t)mg_get_u32(p);
    return true;
}

bool mg_fr_i64(const mg_frame *f, size_t off, int64_t *v)
{
    const uint8_t *p = fr_at(f, off, 8);
    if (!p)
        return false;
    *v = (int64_t)mg_get_u64(p);
    return true;
}

bool mg_fr_f32(const mg_frame *f, size_t off, float *v)
{
    const uint8_t *p = fr_at(f, off, 4);
    if (!p)
        return false;
    uint32_t bits = mg_get_u32(p);
    memcpy(v, &bits, sizeof *v);
    return true;
}

bool mg_fr_uuid(const mg_frame *f, size_t off, mg_uuid *v)
{
    const uint8_t *p = fr_at(f, off, MG_UUID_SIZE);
    if (!p)
        return false;
    /* The 16 value bytes of a null UUID are padding; never expose them. */
    v->is_null = p[0] != 0;
    v->msb = v->is_null ? 0 : (int64_t)mg_get_u64(p + 1);
    v->lsb = v->is_null ? 0 : (int64_t)mg_get_u64(p + 9);
    return true;
}

/* --- variable-size values ------------------------------------------------- */

#define MG_F_MARKERS (MG_F_BEGIN_DS | MG_F_END_DS | MG_F_NULL)

int mg_rd_bytes(mg_rd *r, mg_bytes *out)
{
    mg_frame f;
    if (mg_rd_next(r, &f) != 0)
        return MG_EPROTO;
    if (f.flags & MG_F_MARKERS)
        return rd_fail(r);
    out->ptr = f.content;
    out->len = f.len;
    return 0;
}

int mg_rd_nullable_bytes(mg_rd *r, mg_bytes *out)
{
    if (mg_rd_next_is_null(r)) {
        mg_frame f;
        mg_rd_next(r, &f);
        out->ptr = NULL;
        out->len = 0;
        return 0;
    }
    return mg_rd_bytes(r, out);
}

int mg_rd_list_begin(mg_rd *r)
{
    mg_frame f;
    if (mg_rd_next(r, &f) != 0)
        return MG_EPROTO;
    if (!(f.flags & MG_F_BEGIN_DS))
        return rd_fail(r);
    return 0;
}

static int list_next(mg_rd *r, mg_bytes *out, bool nullable)
{
    if (mg_rd_next_is_end(r)) {
        mg_frame f;
        mg_rd_next(r, &f);
        return 0;
    }
    int rc = nullable ? mg_rd_nullable_bytes(r, out) : mg_rd_bytes(r, out);
    return rc == 0 ? 1 : rc;
}

int mg_rd_list_next_bytes(mg_rd *r, mg_bytes *out)
{
    return list_next(r, out, false);
}

int mg_rd_list_next_nullable_bytes(mg_rd *r, mg_bytes *out)
{
    return list_next(r, out, true);
}

/* Consumes one top-level element of a structure whose BEGIN has been read. */
static int skip_element(mg_rd *r, mg_elem_kind kind)
{
    mg_frame f;
    if (mg_rd_next(r, &f) != 0)
        return MG_EPROTO;
    if (kind == MG_ELEM_ANY)
        return (f.flags & MG_F_BEGIN_DS) ? mg_rd_fast_forward(r) : 0;
    if (f.flags & (MG_F_BEGIN_DS | MG_F_END_DS))
        return rd_fail(r);
    if ((f.flags & MG_F_NULL) && kind != MG_ELEM_NULLABLE_BYTES)
        return rd_fail(r);
    return 0;
}

int mg_rd_list(mg_rd *r, mg_elem_kind kind, size_t per_item, mg_list *out)
{
    if (mg_rd_list_begin(r) != 0)
        return MG_EPROTO;
    size_t start = r->off;
    size_t n = 0;
    while (!mg_rd_next_is_end(r)) {
        if (skip_element(r, kind) != 0)
            return rd_fail(r);
        n++;
    }
    if (per_item == 0 || n % per_item != 0)
        return rd_fail(r);
    out->p = r->p + start;
    out->len = r->off - start;
    out->count = n / per_item;
    mg_frame end;
    return mg_rd_next(r, &end);
}

static void set_null_list(mg_rd *r, mg_list *out)
{
    mg_frame f;
    mg_rd_next(r, &f);
    out->p = NULL;
    out->len = 0;
    out->count = 0;
}

int mg_rd_nullable_list(mg_rd *r, mg_elem_kind kind, size_t per_item, mg_list *out)
{
    if (mg_rd_next_is_null(r)) {
        set_null_list(r, out);
        return 0;
    }
    return mg_rd_list(r, kind, per_item, out);
}

int mg_rd_fixed_list(mg_rd *r, size_t elem_size, mg_list *out)
{
    mg_frame f;
    if (mg_rd_next(r, &f) != 0)
        return MG_EPROTO;
    if ((f.flags & MG_F_MARKERS) || elem_size == 0 || f.len % elem_size != 0)
        return rd_fail(r);
    out->p = f.content;
    out->len = f.len;
    out->count = f.len / elem_size;
    return 0;
}

int mg_rd_nullable_fixed_list(mg_rd *r, size_t elem_size, mg_list *out)
{
    if (mg_rd_next_is_null(r)) {
        set_null_list(r, out);
        return 0;
    }
    return mg_rd_fixed_list(r, elem_size, out);
}

static mg_frame list_as_frame(const mg_list *l)
{
    mg_frame f = { l->p, l->p ? l->len : 0, 0 };
    return f;
}

bool mg_list_i32(const mg_list *l, size_t i, int32_t *v)
{
    mg_frame f = list_as_frame(l);
    return i < SIZE_MAX / 4 && mg_fr_i32(&f, i * 4, v);
}

bool mg_list_i64(const mg_list *l, size_t i, int64_t *v)
{
    mg_frame f = list_as_frame(l);
    return i < SIZE_MAX / 8 && mg_fr_i64(&f, i * 8, v);
}

bool mg_list_uuid(const mg_list *l, size_t i, mg_uuid *v)
{
    mg_frame f = list_as_frame(l);
    return i < SIZE_MAX / MG_UUID_SIZE && mg_fr_uuid(&f, i * MG_UUID_SIZE, v);
}

/* --- writing --------------------------------------------------------------- */

void mg_wr_init(mg_wr *w, mg_buf *b)
{
    w->b = b;
    w->last_frame = 0;
    w->any = false;
}

uint8_t *mg_wr_frame(mg_wr *w, uint16_t flags, size_t len)
{
    size_t at = w->b->len;
    uint8_t *h = mg_buf_extend(w->b, MG_FRAME_HDR + len);
    /* Frames are at most INT32_MAX bytes; messages are built from values
     * already bounded by the member's limits, so this cannot truncate. */
    mg_put_u32(h, (uint32_t)(MG_FRAME_HDR + len));
    mg_put_u16(h + 4, flags);
    memset(h + MG_FRAME_HDR, 0, len);
    w->last_frame = at;
    w->any = true;
    return h + MG_FRAME_HDR;
}

uint8_t *mg_wr_response(mg_wr *w, uint32_t type, int64_t corr, size_t fixed_len)
{
    uint8_t *c = mg_wr_frame(w, MG_F_UNFRAGMENTED, MG_RESP_FIXED_OFF + fixed_len);
    mg_put_u32(c, type);
    mg_enc_i64(c + 4, corr);
    /* c[12], the backup-ack count, stays 0: memgrid replicates synchronously. */
    return c + MG_RESP_FIXED_OFF;
}

uint8_t *mg_wr_event(mg_wr *w, uint32_t type, int64_t corr, int32_t partition, size_t fixed_len)
{
    uint8_t *c = mg_wr_frame(w, MG_F_UNFRAGMENTED | MG_F_EVENT, MG_REQ_FIXED_OFF + fixed_len);
    mg_put_u32(c, type);
    mg_enc_i64(c + 4, corr);
    mg_enc_i32(c + 12, partition);
    return c + MG_REQ_FIXED_OFF;
}

void mg_wr_bytes(mg_wr *w, const void *p, size_t n)
{
    uint8_t *c = mg_wr_frame(w, 0, n);
    if (n)
        memcpy(c, p, n);
}

void mg_wr_null(mg_wr *w) { mg_wr_frame(w, MG_F_NULL, 0); }

void mg_wr_begin(mg_wr *w) { mg_wr_frame(w, MG_F_BEGIN_DS, 0); }

void mg_wr_end_ds(mg_wr *w) { mg_wr_frame(w, MG_F_END_DS, 0); }

void mg_wr_nullable_bytes(mg_wr *w, const mg_bytes *v)
{
    if (v == NULL || v->ptr == NULL)
        mg_wr_null(w);
    else
        mg_wr_bytes(w, v->ptr, v->len);
}

void mg_wr_bytes_or_empty(mg_wr *w, const mg_bytes *v)
{
    if (v == NULL || v->ptr == NULL)
        mg_wr_bytes(w, NULL, 0);
    else
        mg_wr_bytes(w, v->ptr, v->len);
}

void mg_wr_add_flags(mg_wr *w, uint16_t flags)
{
    if (!w->any)
        return;
    uint8_t *p = w->b->data + w->last_frame + 4;
    mg_put_u16(p, (uint16_t)(mg_get_u16(p) | flags));
}

void mg_wr_end(mg_wr *w) { mg_wr_add_flags(w, MG_F_FINAL); }

void mg_wr_bytes_list(mg_wr *w, const mg_bytes *items, size_t n)
{
    mg_wr_begin(w);
    for (size_t i = 0; i < n; i++)
        mg_wr_bytes_or_empty(w, &items[i]);
    mg_wr_end_ds(w);
}

void mg_wr_nullable_bytes_list(mg_wr *w, const mg_bytes *items, size_t n)
{
    mg_wr_begin(w);
    for (size_t i = 0; i < n; i++)
        mg_wr_nullable_bytes(w, &items[i]);
    mg_wr_end_ds(w);
}

void mg_wr_bytes_pairs(mg_wr *w, const mg_bytes *kv, size_t n_pairs)
{
    mg_wr_begin(w);
    for (size_t i = 0; i < 2 * n_pairs; i++)
        mg_wr_bytes_or_empty(w, &kv[i]);
    mg_wr_end_ds(w);
}

void mg_wr_i32_list(mg_wr *w, const int32_t *v, size_t n)
{
    uint8_t *c = mg_wr_frame(w, 0, n * 4);
    for (size_t i = 0; i < n; i++)
        mg_enc_i32(c + i * 4, v[i]);
}

void mg_wr_i64_list(mg_wr *w, const int64_t *v, size_t n)
{
    uint8_t *c = mg_wr_frame(w, 0, n * 8);
    for (size_t i = 0; i < n; i++)
        mg_enc_i64(c + i * 8, v[i]);
}

void mg_wr_uuid_list(mg_wr *w, const mg_uuid *v, size_t n)
{
    uint8_t *c = mg_wr_frame(w, 0, n * MG_UUID_SIZE);
    for (size_t i = 0; i < n; i++)
        mg_enc_uuid(c + i * MG_UUID_SIZE, &v[i]);
}

void mg_wr_uuid_i32_lists(mg_wr *w, const mg_uuid_i32_lists *v)
{
    /* Values first as a structure, then every key in one trailing frame:
     * that is the protocol's layout for this one type (spec 5.2). */
    mg_wr_begin(w);
    for (size_t i = 0; i < v->n; i++)
        mg_wr_i32_list(w, v->lists[i], v->lens[i]);
    mg_wr_end_ds(w);
    mg_wr_uuid_list(w, v->keys, v->n);
}

void mg_wr_uuid_i32_lists_fn(mg_wr *w, const void *arg)
{
    static const mg_uuid_i32_lists empty = { NULL, NULL, NULL, 0 };
    mg_wr_uuid_i32_lists(w, arg ? (const mg_uuid_i32_lists *)arg : &empty);
}

void mg_enc_uuid(uint8_t *p, const mg_uuid *u)
{
    if (u == NULL || u->is_null) {
        p[0] = 1;
        memset(p + 1, 0, 16);
        return;
    }
    p[0] = 0;
    mg_enc_i64(p + 1, u->msb);
    mg_enc_i64(p + 9, u->lsb);
}

void mg_enc_i32(uint8_t *p, int32_t v) { mg_put_u32(p, (uint32_t)v); }

void mg_enc_i64(uint8_t *p, int64_t v) { mg_put_u64(p, (uint64_t)v); }

void mg_enc_f32(uint8_t *p, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    mg_put_u32(p, bits);
}
