/* data_proto.c - framing of the data-plane messages (data_proto.h). */
#include "cluster/data_proto.h"

#include <string.h>

size_t mg_dp_begin(mg_buf *b, uint8_t type, const mg_uuid *sender)
{
    size_t start = b->len;
    uint8_t *h = mg_buf_extend(b, MG_MP_HEADER);
    h[0] = MG_MP_MAGIC0;
    h[1] = MG_MP_MAGIC1;
    h[2] = MG_MP_MAGIC2;
    h[3] = MG_MP_MAGIC3;
    h[4] = MG_MP_VERSION;
    h[5] = type;
    h[6] = h[7] = 0;
    mg_bc_put_uuid(b, sender);
    return start;
}

void mg_dp_end(mg_buf *b, size_t start)
{
    mg_bc_patch_uint(b, start + 8, b->len - start - MG_MP_HEADER, 4);
}

int mg_dp_open(const uint8_t *frame, size_t len, mg_dp_frame *out)
{
    if (len < MG_MP_HEADER + 16 || !mg_dp_is_data_type(frame[5]))
        return -1;
    out->type = frame[5];
    mg_bc_rd_init(&out->body, frame + MG_MP_HEADER, len - MG_MP_HEADER);
    out->sender = mg_bc_uuid(&out->body);
    return out->body.bad ? -1 : 0;
}

bool mg_dp_next_record(mg_bc_rd *rd, mg_dp_record *r)
{
    /* Field by field rather than memset: a copy reads thousands of records
     * in a row, and the memset was a third of this function's time. */
    r->key = r->fields = r->value = NULL;
    r->klen = r->flen = r->vlen = 0;
    r->version = 0;
    r->shape = 0;
    r->locked = false;
    r->kind = mg_bc_u8(rd);
    r->name_len = mg_bc_u16(rd);
    r->name = mg_bc_take(rd, r->name_len);
    bool keyed = r->kind != MG_DP_REC_CLEAR && r->kind != MG_DP_REC_SIZE && r->kind != MG_DP_REC_DROP;
    if (keyed)
        r->key = mg_dp_bytes(rd, &r->klen);
    switch (r->kind) {
    case MG_DP_REC_PUT:
        r->version = mg_bc_u32(rd);
        r->shape = mg_bc_u16(rd);
        r->flen = mg_bc_u8(rd);
        r->fields = mg_bc_take(rd, r->flen);
        r->value = mg_dp_bytes(rd, &r->vlen);
        break;
    case MG_DP_REC_LOCK:
        r->locked = mg_bc_u8(rd) != 0;
        if (r->locked) {
            r->owner = mg_bc_uuid(rd);
            r->thread_id = mg_bc_i64(rd);
            r->count = mg_bc_u32(rd);
            r->lease_ms = mg_bc_i64(rd);
            r->reference_id = mg_bc_i64(rd);
        }
        break;
    case MG_DP_REC_SIZE:
        r->count = mg_bc_u32(rd);
        break;
    case MG_DP_REC_DEL:
    case MG_DP_REC_CLEAR:
    case MG_DP_REC_DROP:
        break;
    default:
        rd->bad = true;
    }
    /* keys are at least 8 bytes everywhere else too (store.h) */
    if (keyed && r->klen < 8)
        rd->bad = true;
    return !rd->bad;
}
