#include "util/buf.h"
#include "util/alloc.h"

void mg_buf_init(mg_buf *b) { b->data = NULL; b->len = 0; b->cap = 0; }

void mg_buf_free(mg_buf *b) { free(b->data); mg_buf_init(b); }

void mg_buf_reset(mg_buf *b) { b->len = 0; }

void mg_buf_grow(mg_buf *b, size_t extra)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    b->data = mg_xrealloc(b->data, cap);
    b->cap = cap;
}
