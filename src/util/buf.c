#include "util/buf.h"
#include "util/alloc.h"

void mg_buf_init(mg_buf *b) { b->data = NULL; b->len = 0; b->cap = 0; }

void mg_buf_free(mg_buf *b) { free(b->data); mg_buf_init(b); }

void mg_buf_reset(mg_buf *b) { b->len = 0; }

void mg_buf_reserve(mg_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    b->data = mg_xrealloc(b->data, cap);
    b->cap = cap;
}

uint8_t *mg_buf_extend(mg_buf *b, size_t n)
{
    mg_buf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

void mg_buf_append(mg_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    memcpy(mg_buf_extend(b, n), p, n);
}
