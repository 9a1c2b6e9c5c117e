/* direct_write.h - a write that skips libuv's write queue when it can.
 *
 * A uv_write that completes at once still costs libuv an epoll_ctl when its
 * write queue drains (it re-arms the stream's watcher): one system call per
 * write, 61k/s on a member at 123k requests/s.  Writers that flush a buffer
 * once per loop turn (client connections, memgrid-bench) try the socket
 * directly first and hand only what it did not take to uv_write.
 */
#ifndef MG_NET_DIRECT_WRITE_H
#define MG_NET_DIRECT_WRITE_H

#include <stddef.h>
#include <uv.h>

#include "util/buf.h"

/* Bytes of b the socket took at once: all of it, part, or 0 (full, or an
 * error, which the uv_write of the rest then reports). */
static inline size_t mg_direct_write(uv_stream_t *s, const mg_buf *b)
{
    uv_buf_t all = uv_buf_init((char *)b->data, (unsigned)b->len);
    int n = uv_try_write(s, &all, 1);
    return n > 0 ? (size_t)n : 0;
}

#endif
