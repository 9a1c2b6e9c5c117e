/* member_proto.c - encoding and decoding of member-protocol frames.
 *
 * One table maps each message type to its name and its body codec; the
 * frame header and the sender prefix are handled once, around them.  The
 * layout itself is documented in member_proto.h.
 */
#include "cluster/member_proto.h"

#include <string.h>

#include "cluster/byte_cursor.h"
#include "util/rand.h"

/* ---- shared field groups ---------------------------------------------- */

static void put_addr(mg_buf *b, const mg_cl_addr *a)
{
    size_t h = strlen(a->host);
    mg_bc_put_u8(b, (uint8_t)h);
    mg_buf_append(b, a->host, h);
    mg_bc_put_u16(b, a->port);
}

/* A host is at most 63 bytes with no NUL inside (it becomes a C string);
 * only a JoinResponse that names no master may carry an empty one. */
static void get_addr_opt(mg_bc_rd *r, mg_cl_addr *a, bool may_be_empty)
{
    uint8_t h = mg_bc_u8(r);
    const uint8_t *q = mg_bc_take(r, h);
    a->port = mg_bc_u16(r);
    if (!q || (h == 0 && !may_be_empty) || h > MG_CL_HOST_MAX || memchr(q, 0, h)) {
        r->bad = true;
        a->host[0] = '\0';
        return;
    }
    memcpy(a->host, q, h);
    a->host[h] = '\0';
}

static void get_addr(mg_bc_rd *r, mg_cl_addr *a)
{
    get_addr_opt(r, a, false);
}

static void put_str(mg_buf *b, mg_mp_str s, unsigned lenbytes)
{
    size_t max = lenbytes == 1 ? 0xFF : 0xFFFF;
    size_t n = s.len > max ? max : s.len;
    mg_bc_put_uint(b, n, lenbytes);
    if (n)
        mg_buf_append(b, s.ptr, n);
}

static mg_mp_str get_str(mg_bc_rd *r, unsigned lenbytes)
{
    size_t n = (size_t)mg_bc_uint(r, lenbytes);
    const uint8_t *q = mg_bc_take(r, n);
    return (mg_mp_str){q ? (const char *)q : "", q ? n : 0};
}

/* UUIDs inside one message must be distinct and present: the membership
 * code indexes members by UUID. */
static bool uuids_distinct(const mg_uuid *u, int n, size_t stride)
{
    for (int i = 0; i < n; i++) {
        const mg_uuid *a = (const mg_uuid *)((const char *)u + (size_t)i * stride);
        if (a->is_null)
            return false;
        for (int j = 0; j < i; j++)
            if (mg_uuid_eq(a, (const mg_uuid *)((const char *)u + (size_t)j * stride)))
                return false;
    }
    return true;
}

/* ---- bodies ------------------------------------------------------------ */

static void enc_join_request(mg_buf *b, const mg_mp_msg *m)
{
    const mg_mp_join_request *j = &m->u.join_request;
    put_str(b, j->cluster_name, 1);
    for (int i = 0; i < 3; i++)
        mg_bc_put_u8(b, j->version[i]);
    mg_bc_put_u32(b, j->partition_count);
    mg_bc_put_u64(b, j->config_hash);
}

static bool dec_join_request(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_mp_join_request *j = &m->u.join_request;
    j->cluster_name = get_str(r, 1);
    for (int i = 0; i < 3; i++)
        j->version[i] = mg_bc_u8(r);
    j->partition_count = mg_bc_u32(r);
    j->config_hash = mg_bc_u64(r);
    return true;
}

static void enc_join_response(mg_buf *b, const mg_mp_msg *m)
{
    const mg_mp_join_response *j = &m->u.join_response;
    mg_bc_put_u8(b, j->status);
    mg_bc_put_uuid(b, &j->master);
    put_addr(b, &j->master_addr);
    put_str(b, j->reason, 2);
}

static bool dec_join_response(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_mp_join_response *j = &m->u.join_response;
    j->status = mg_bc_u8(r);
    j->master = mg_bc_uuid(r);
    /* With no master known the address is empty. */
    get_addr_opt(r, &j->master_addr, j->master.is_null);
    j->reason = get_str(r, 2);
    return true;
}

static void enc_member_list(mg_buf *b, const mg_mp_msg *m)
{
    const mg_cl_list *l = &m->u.member_list.list;
    mg_bc_put_u64(b, l->version);
    mg_bc_put_uuid(b, &l->cluster_id);
    mg_bc_put_uuid(b, &l->master);
    mg_bc_put_u16(b, (uint16_t)l->count);
    for (int i = 0; i < l->count; i++) {
        const mg_cl_member *e = &l->members[i];
        size_t at = b->len;
        mg_bc_put_u16(b, 0);   /* entry length, patched below */
        mg_bc_put_uuid(b, &e->uuid);
        put_addr(b, &e->addr);
        mg_bc_put_u64(b, e->join_seq);
        mg_bc_put_u8(b, e->flags);
        for (int k = 0; k < 3; k++)
            mg_bc_put_u8(b, e->version[k]);
        mg_bc_patch_uint(b, at, b->len - at - 2, 2);
    }
    mg_bc_put_u8(b, m->u.member_list.flags);
}

static bool dec_member_list(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_cl_list *l = &m->u.member_list.list;
    l->version = mg_bc_u64(r);
    l->cluster_id = mg_bc_uuid(r);
    l->master = mg_bc_uuid(r);
    uint16_t k = mg_bc_u16(r);
    if (k > MG_CL_MAX_MEMBERS)
        return false;
    l->count = k;
    for (int i = 0; i < k; i++) {
        mg_bc_rd e;
        mg_bc_sub(r, mg_bc_u16(r), &e);
        mg_cl_member *mb = &l->members[i];
        mb->uuid = mg_bc_uuid(&e);
        get_addr(&e, &mb->addr);
        mb->join_seq = mg_bc_u64(&e);
        mb->flags = mg_bc_u8(&e);
        for (int j = 0; j < 3; j++)
            mb->version[j] = mg_bc_u8(&e);
        if (e.bad)
            return false;
    }
    m->u.member_list.flags = mg_bc_u8(r);
    return uuids_distinct(&l->members[0].uuid, l->count, sizeof l->members[0]);
}

static void enc_heartbeat(mg_buf *b, const mg_mp_msg *m)
{
    const mg_mp_heartbeat *h = &m->u.heartbeat;
    mg_bc_put_uuid(b, &h->cluster_id);
    mg_bc_put_u64(b, h->term);
    mg_bc_put_u64(b, h->list_version);
    mg_bc_put_u64(b, h->table_version);
    mg_bc_put_uuid(b, &h->master);
    mg_bc_put_i64(b, h->timestamp);
    mg_bc_put_u8(b, h->flags);
    mg_bc_put_i64(b, h->echo);
}

static bool dec_heartbeat(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_mp_heartbeat *h = &m->u.heartbeat;
    h->cluster_id = mg_bc_uuid(r);
    h->term = mg_bc_u64(r);
    h->list_version = mg_bc_u64(r);
    h->table_version = mg_bc_u64(r);
    h->master = mg_bc_uuid(r);
    h->timestamp = mg_bc_i64(r);
    h->flags = mg_bc_u8(r);
    /* Appended later: a frame that ends before it is an older sender's. */
    h->echo = mg_bc_left(r) == 0 ? 0 : mg_bc_i64(r);
    return true;
}

static void enc_suspects(mg_buf *b, const mg_mp_msg *m)
{
    const mg_mp_suspects *s = &m->u.suspects;
    mg_bc_put_u64(b, s->list_version);
    mg_bc_put_u16(b, (uint16_t)s->count);
    for (int i = 0; i < s->count; i++)
        mg_bc_put_uuid(b, &s->uuids[i]);
}

static bool dec_suspects(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_mp_suspects *s = &m->u.suspects;
    s->list_version = mg_bc_u64(r);
    uint16_t k = mg_bc_u16(r);
    if (k > MG_CL_MAX_MEMBERS)
        return false;
    s->count = k;
    for (int i = 0; i < k; i++)
        s->uuids[i] = mg_bc_uuid(r);
    return !r->bad && uuids_distinct(s->uuids, s->count, sizeof s->uuids[0]);
}

static void enc_table(mg_buf *b, const mg_mp_msg *m)
{
    const mg_mp_table *t = &m->u.table;
    mg_bc_put_u64(b, t->version);
    mg_bc_put_u32(b, t->partitions);
    mg_bc_put_u8(b, t->replicas);
    mg_bc_put_u16(b, (uint16_t)t->nmembers);
    for (int i = 0; i < t->nmembers; i++)
        mg_bc_put_uuid(b, &t->members[i]);
    mg_buf_append(b, t->slots, (size_t)t->partitions * t->replicas);
}

/* Checks the slot rules here, once, so no consumer meets an index past the
 * member array or a member twice in one partition. */
static bool dec_table(mg_bc_rd *r, mg_mp_msg *m)
{
    mg_mp_table *t = &m->u.table;
    t->version = mg_bc_u64(r);
    t->partitions = mg_bc_u32(r);
    t->replicas = mg_bc_u8(r);
    uint16_t k = mg_bc_u16(r);
    if (t->partitions < 1 || t->partitions > MG_MP_MAX_PARTITIONS || t->replicas < 1 ||
        t->replicas > MG_MP_MAX_REPLICAS || k < 1 || k > MG_CL_MAX_MEMBERS)
        return false;
    t->nmembers = k;
    for (int i = 0; i < k; i++)
        t->members[i] = mg_bc_uuid(r);
    t->slots = mg_bc_take(r, (size_t)t->partitions * t->replicas);
    if (!t->slots || !uuids_distinct(t->members, k, sizeof t->members[0]))
        return false;
    for (uint32_t p = 0; p < t->partitions; p++) {
        const uint8_t *s = t->slots + (size_t)p * t->replicas;
        for (int i = 0; i < t->replicas; i++) {
            if (s[i] == MG_MP_NO_MEMBER)
                continue;
            if (s[i] >= k)
                return false;
            for (int j = 0; j < i; j++)
                if (s[j] == s[i])
                    return false;
        }
    }
    return true;
}

static void enc_claim(mg_buf *b, const mg_mp_msg *m)
{
    mg_bc_put_u64(b, m->u.claim.term);
    mg_bc_put_u64(b, m->u.claim.list_version);
    mg_bc_put_u64(b, m->u.claim.table_version);
    mg_bc_put_u8(b, m->u.claim.flags);
}

static bool dec_claim(mg_bc_rd *r, mg_mp_msg *m)
{
    m->u.claim.term = mg_bc_u64(r);
    m->u.claim.list_version = mg_bc_u64(r);
    m->u.claim.table_version = mg_bc_u64(r);
    m->u.claim.flags = mg_bc_u8(r);
    return true;
}

static void enc_claim_response(mg_buf *b, const mg_mp_msg *m)
{
    mg_bc_put_u64(b, m->u.claim_response.term);
    mg_bc_put_u8(b, m->u.claim_response.granted ? 1 : 0);
    mg_bc_put_u8(b, m->u.claim_response.reason);
    mg_bc_put_u8(b, m->u.claim_response.flags);
}

static bool dec_claim_response(mg_bc_rd *r, mg_mp_msg *m)
{
    m->u.claim_response.term = mg_bc_u64(r);
    uint8_t g = mg_bc_u8(r);
    m->u.claim_response.granted = g == 1;
    m->u.claim_response.reason = mg_bc_u8(r);
    m->u.claim_response.flags = mg_bc_u8(r);
    return g <= 1;
}

static void enc_leave(mg_buf *b, const mg_mp_msg *m)
{
    mg_bc_put_u64(b, m->u.leave.list_version);
}

static bool dec_leave(mg_bc_rd *r, mg_mp_msg *m)
{
    m->u.leave.list_version = mg_bc_u64(r);
    return true;
}

typedef struct codec {
    const char *name;
    void (*enc)(mg_buf *b, const mg_mp_msg *m);
    bool (*dec)(mg_bc_rd *r, mg_mp_msg *m);   /* false: breaks a rule */
} codec;

static const codec codecs[] = {
    [MG_MP_JOIN_REQUEST] = {"JoinRequest", enc_join_request, dec_join_request},
    [MG_MP_JOIN_RESPONSE] = {"JoinResponse", enc_join_response, dec_join_response},
    [MG_MP_MEMBER_LIST] = {"MemberList", enc_member_list, dec_member_list},
    [MG_MP_HEARTBEAT] = {"Heartbeat", enc_heartbeat, dec_heartbeat},
    [MG_MP_SUSPECT_REPORT] = {"SuspectReport", enc_suspects, dec_suspects},
    [MG_MP_PARTITION_TABLE] = {"PartitionTable", enc_table, dec_table},
    [MG_MP_CLAIM] = {"Claim", enc_claim, dec_claim},
    [MG_MP_CLAIM_RESPONSE] = {"ClaimResponse", enc_claim_response, dec_claim_response},
    [MG_MP_LEAVE] = {"Leave", enc_leave, dec_leave},
};
#define NCODECS (sizeof codecs / sizeof codecs[0])

static const codec *codec_of(int type)
{
    return type > 0 && (size_t)type < NCODECS && codecs[type].enc ? &codecs[type] : NULL;
}

/* ---- frames ------------------------------------------------------------ */

bool mg_mp_is_magic(const uint8_t *p, size_t len)
{
    return len >= 4 && p[0] == MG_MP_MAGIC0 && p[1] == MG_MP_MAGIC1 && p[2] == MG_MP_MAGIC2 &&
           p[3] == MG_MP_MAGIC3;
}

int mg_mp_frame_size(const uint8_t *p, size_t len, size_t *frame_len)
{
    *frame_len = 0;
    if (len == 0)
        return MG_MP_NEED_MORE;
    /* Judge the magic on whatever prefix has arrived, so garbage is refused
     * at its first byte rather than after twelve. */
    static const uint8_t magic[4] = {MG_MP_MAGIC0, MG_MP_MAGIC1, MG_MP_MAGIC2, MG_MP_MAGIC3};
    if (memcmp(p, magic, len < 4 ? len : 4) != 0)
        return MG_MP_EMAGIC;
    if (len >= 5 && p[4] != MG_MP_VERSION)
        return MG_MP_EVERSION;
    if (len < MG_MP_HEADER)
        return MG_MP_NEED_MORE;
    mg_bc_rd r;
    mg_bc_rd_init(&r, p + 8, 4);
    uint32_t body = mg_bc_u32(&r);
    /* Data-plane frames (data_proto.h) carry values and copies of
     * partitions; membership frames stay small. */
    if (body > (p[5] >= MG_MP_FIRST_DATA_TYPE ? MG_MP_MAX_DATA_BODY : MG_MP_MAX_BODY))
        return MG_MP_ETOOBIG;
    if (len - MG_MP_HEADER < body)
        return MG_MP_NEED_MORE;
    *frame_len = MG_MP_HEADER + (size_t)body;
    return MG_MP_OK;
}

int mg_mp_decode(const uint8_t *p, size_t len, mg_mp_msg *out, size_t *consumed)
{
    size_t flen;
    int rc = mg_mp_frame_size(p, len, &flen);
    *consumed = 0;
    if (rc != MG_MP_OK)
        return rc;
    memset(out, 0, sizeof *out);
    out->type = p[5];
    *consumed = flen;
    const codec *c = codec_of(out->type);
    if (!c)
        return MG_MP_SKIP;
    mg_bc_rd r;
    mg_bc_rd_init(&r, p + MG_MP_HEADER, flen - MG_MP_HEADER);
    out->from = mg_bc_uuid(&r);
    get_addr(&r, &out->from_addr);
    if (r.bad || out->from.is_null)
        return MG_MP_EMALFORMED;
    if (!c->dec(&r, out) || r.bad)
        return MG_MP_EMALFORMED;
    /* Anything left in r is fields from a newer sender: ignored. */
    return MG_MP_OK;
}

void mg_mp_encode(mg_buf *out, const mg_mp_msg *m)
{
    const codec *c = codec_of(m->type);
    if (!c)
        return;
    size_t start = out->len;
    mg_buf_append(out, (const uint8_t[]){MG_MP_MAGIC0, MG_MP_MAGIC1, MG_MP_MAGIC2, MG_MP_MAGIC3}, 4);
    mg_bc_put_u8(out, MG_MP_VERSION);
    mg_bc_put_u8(out, m->type);
    mg_bc_put_u16(out, 0);
    mg_bc_put_u32(out, 0);   /* body length, patched below */
    mg_bc_put_uuid(out, &m->from);
    put_addr(out, &m->from_addr);
    c->enc(out, m);
    mg_bc_patch_uint(out, start + 8, out->len - start - MG_MP_HEADER, 4);
}

const char *mg_mp_strerror(int rc)
{
    switch (rc) {
    case MG_MP_OK: return "ok";
    case MG_MP_NEED_MORE: return "incomplete frame";
    case MG_MP_SKIP: return "unknown message type";
    case MG_MP_EMAGIC: return "not a member-protocol frame (bad magic)";
    case MG_MP_EVERSION: return "unsupported member-protocol version";
    case MG_MP_ETOOBIG: return "member-protocol frame too large";
    case MG_MP_EMALFORMED: return "malformed member-protocol message";
    default: return "unknown member-protocol error";
    }
}

const char *mg_mp_type_name(int type)
{
    const codec *c = codec_of(type);
    return c ? c->name : "Unknown";
}
