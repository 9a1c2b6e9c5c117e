/* announce.c - encoding of the multicast discovery datagram (announce.h). */
#include "cluster/announce.h"

#include <string.h>

#include "cluster/byte_cursor.h"

static const uint8_t magic[4] = {'M', 'G', 'A', 'N'};

size_t mg_announce_encode(const mg_announce *a, uint8_t out[MG_ANN_MAX])
{
    size_t hl = strnlen(a->addr.host, MG_CL_HOST_MAX + 1);
    size_t nl = strnlen(a->cluster_name, MG_ANN_NAME_MAX + 1);
    if (hl > MG_CL_HOST_MAX || nl > MG_ANN_NAME_MAX)
        return 0;
    uint8_t *p = out;
    memcpy(p, magic, 4);
    p += 4;
    *p++ = MG_ANN_FORMAT;
    *p++ = a->kind;
    mg_put_u64(p, a->sender);
    p += 8;
    mg_put_u16(p, a->addr.port);
    p += 2;
    *p++ = (uint8_t)hl;
    memcpy(p, a->addr.host, hl);
    p += hl;
    mg_put_u16(p, (uint16_t)nl);
    p += 2;
    memcpy(p, a->cluster_name, nl);
    p += nl;
    return (size_t)(p - out);
}

/* A string of n bytes into out (cap bytes with the NUL): false when it is
 * longer or holds a NUL, which no host or cluster name does. */
static bool take_str(mg_bc_rd *r, size_t n, char *out, size_t cap)
{
    const uint8_t *s = mg_bc_take(r, n);
    if (!s || n >= cap || memchr(s, 0, n))
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

int mg_announce_decode(const uint8_t *buf, size_t len, mg_announce *a)
{
    if (len < 4 || memcmp(buf, magic, 4) != 0)
        return MG_ANN_FOREIGN;
    mg_bc_rd r;
    mg_bc_rd_init(&r, buf + 4, len - 4);
    memset(a, 0, sizeof *a);
    uint8_t format = mg_bc_u8(&r);
    a->kind = mg_bc_u8(&r);
    a->sender = mg_bc_u64(&r);
    a->addr.port = mg_bc_u16(&r);
    if (r.bad || format != MG_ANN_FORMAT || (a->kind != MG_ANN_LOOKING && a->kind != MG_ANN_MEMBER))
        return MG_ANN_BAD;
    size_t hl = mg_bc_u8(&r);
    if (!take_str(&r, hl, a->addr.host, sizeof a->addr.host))
        return MG_ANN_BAD;
    size_t nl = mg_bc_u16(&r);
    if (!take_str(&r, nl, a->cluster_name, sizeof a->cluster_name) || mg_bc_left(&r) != 0)
        return MG_ANN_BAD;
    if (a->addr.port == 0 || nl == 0)
        return MG_ANN_BAD;
    return MG_ANN_OK;
}
