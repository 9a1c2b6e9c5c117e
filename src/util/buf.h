/* buf.h - growable byte buffer used to build outgoing messages.
 *
 * Ownership: a mg_buf owns `data` (malloc'd). A buffer belongs to one thread at
 * a time; it carries no lock.  Allocation failure aborts the process through
 * mg_xalloc (see util/alloc.h): memgrid treats out-of-memory as fatal at the
 * allocator and enforces its memory limit before data is stored.
 */
#ifndef MG_UTIL_BUF_H
#define MG_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct mg_buf {
    uint8_t *data;
    size_t len;   /* bytes written */
    size_t cap;   /* bytes allocated */
} mg_buf;

void mg_buf_init(mg_buf *b);
void mg_buf_free(mg_buf *b);
void mg_buf_reset(mg_buf *b);                  /* len = 0, keeps memory */
void mg_buf_grow(mg_buf *b, size_t extra);     /* the slow path of reserve */

/* Inline: encoders call these once per field, and the room is almost
 * always there already. */
static inline void mg_buf_reserve(mg_buf *b, size_t extra)   /* ensure cap >= len + extra */
{
    if (b->cap - b->len < extra)
        mg_buf_grow(b, extra);
}
static inline uint8_t *mg_buf_extend(mg_buf *b, size_t n)    /* grow len by n, return old end */
{
    mg_buf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}
static inline void mg_buf_append(mg_buf *b, const void *p, size_t n)
{
    if (n)
        memcpy(mg_buf_extend(b, n), p, n);
}

/* Little-endian stores/loads (the client protocol is little-endian). */
static inline void mg_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void mg_put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void mg_put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline uint16_t mg_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t mg_get_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static inline uint64_t mg_get_u64(const uint8_t *p) { return (uint64_t)mg_get_u32(p) | ((uint64_t)mg_get_u32(p + 4) << 32); }
/* Big-endian, for the serialized Data header. */
static inline uint32_t mg_get_be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3]; }

#endif
