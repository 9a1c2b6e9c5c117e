/* byte_cursor.h - explicit little-endian encoding for the member protocol.
 *
 * Reading: an mg_bc_rd walks a borrowed byte range.  Every read checks the
 * bytes are there; the first short read sets `bad`, and every later read on
 * that cursor fails too, so a decoder may read a whole message and check
 * `bad` once at the end, never having read past `len`.  Values read from a
 * bad cursor are zero.
 *
 * Writing appends to an mg_buf (which aborts on out-of-memory, the project's
 * policy, see util/alloc.h), byte by byte through shifts: no struct is ever
 * copied to the wire, so padding and host byte order never leak.
 */
#ifndef MG_CLUSTER_BYTE_CURSOR_H
#define MG_CLUSTER_BYTE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"
#include "util/buf.h"

typedef struct mg_bc_rd {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool bad;
} mg_bc_rd;

static inline void mg_bc_rd_init(mg_bc_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->bad = false;
}

static inline size_t mg_bc_left(const mg_bc_rd *r) { return r->bad ? 0 : r->len - r->off; }

/* Borrows the next n bytes; NULL (and the cursor turns bad) when short. */
static inline const uint8_t *mg_bc_take(mg_bc_rd *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *q = r->p + r->off;
    r->off += n;
    return q;
}

static inline uint64_t mg_bc_uint(mg_bc_rd *r, unsigned nbytes)
{
    const uint8_t *q = mg_bc_take(r, nbytes);
    uint64_t v = 0;
    if (q)
        for (unsigned i = 0; i < nbytes; i++)
            v |= (uint64_t)q[i] << (8 * i);
    return v;
}

static inline uint8_t mg_bc_u8(mg_bc_rd *r) { return (uint8_t)mg_bc_uint(r, 1); }
static inline uint16_t mg_bc_u16(mg_bc_rd *r) { return (uint16_t)mg_bc_uint(r, 2); }
static inline uint32_t mg_bc_u32(mg_bc_rd *r) { return (uint32_t)mg_bc_uint(r, 4); }
static inline uint64_t mg_bc_u64(mg_bc_rd *r) { return mg_bc_uint(r, 8); }
static inline int64_t mg_bc_i64(mg_bc_rd *r) { return (int64_t)mg_bc_uint(r, 8); }

/* A UUID is 16 bytes: most significant half, then least, each little-endian;
 * all zero bytes mean "no UUID" (mg_uuid_random never makes that value). */
static inline mg_uuid mg_bc_uuid(mg_bc_rd *r)
{
    mg_uuid u;
    u.msb = (int64_t)mg_bc_u64(r);
    u.lsb = (int64_t)mg_bc_u64(r);
    u.is_null = u.msb == 0 && u.lsb == 0;
    return u;
}

/* Narrows the cursor to the next n bytes (a length-prefixed element): `sub`
 * reads only those, and `r` skips past them, so an element's unknown
 * trailing fields are ignored.  A short range makes both bad. */
static inline void mg_bc_sub(mg_bc_rd *r, size_t n, mg_bc_rd *sub)
{
    const uint8_t *q = mg_bc_take(r, n);
    mg_bc_rd_init(sub, q, q ? n : 0);
    sub->bad = q == NULL;
}

static inline void mg_bc_put_uint(mg_buf *b, uint64_t v, unsigned nbytes)
{
    uint8_t *q = mg_buf_extend(b, nbytes);
    for (unsigned i = 0; i < nbytes; i++)
        q[i] = (uint8_t)(v >> (8 * i));
}

static inline void mg_bc_put_u8(mg_buf *b, uint8_t v) { mg_bc_put_uint(b, v, 1); }
static inline void mg_bc_put_u16(mg_buf *b, uint16_t v) { mg_bc_put_uint(b, v, 2); }
static inline void mg_bc_put_u32(mg_buf *b, uint32_t v) { mg_bc_put_uint(b, v, 4); }
static inline void mg_bc_put_u64(mg_buf *b, uint64_t v) { mg_bc_put_uint(b, v, 8); }
static inline void mg_bc_put_i64(mg_buf *b, int64_t v) { mg_bc_put_uint(b, (uint64_t)v, 8); }

static inline void mg_bc_put_uuid(mg_buf *b, const mg_uuid *u)
{
    mg_bc_put_u64(b, u->is_null ? 0 : (uint64_t)u->msb);
    mg_bc_put_u64(b, u->is_null ? 0 : (uint64_t)u->lsb);
}

/* Overwrites a field written earlier (a length known only at the end). */
static inline void mg_bc_patch_uint(mg_buf *b, size_t at, uint64_t v, unsigned nbytes)
{
    for (unsigned i = 0; i < nbytes; i++)
        b->data[at + i] = (uint8_t)(v >> (8 * i));
}

#endif
