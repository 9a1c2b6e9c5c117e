/* link.h - outbound connections from this member to the other members.
 *
 * Members talk over one-way links: each member dials every member it has
 * something to say to and only writes on that connection; what the other
 * side says comes on the link that side dialled (an inbound connection
 * whose first bytes are the member protocol's magic, see net/conn.c).  One
 * writer per connection keeps frames in the order they were sent, which
 * replication relies on.
 *
 * All links belong to worker 0.  A frame sent while the link connects is
 * queued; if the connection fails the queue is dropped (the membership
 * machine resends on its ticks, replication notices the gap and asks for a
 * snapshot) and the failure is reported so that a joining member stops
 * waiting for an address where nobody listens.
 */
#ifndef MG_NET_LINK_H
#define MG_NET_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/member_list.h"
#include "util/buf.h"

/* A link queues at most this much; past it the link is dropped and
 * reconnected (the receiver then resynchronises). */
#define MG_LINK_MAX_QUEUE (512u << 20)

typedef struct mg_links mg_links;

/* stall_ms: a dial that has not connected, or data the peer has not
 * acknowledged, for this long fails the link (the next send redials).
 * on_unreachable: a connection to addr failed, refused or not (may be
 * NULL).  A link the peer closes is dialled again at once, so that a
 * member whose process died is reported refused within milliseconds. */
mg_links *mg_links_new(uv_loop_t *loop, unsigned stall_ms,
                       void (*on_unreachable)(void *ctx, const mg_cl_addr *addr, bool refused), void *ctx);
void mg_links_send(mg_links *l, const mg_cl_addr *addr, const uint8_t *frame, size_t len);
/* The same for a frame in a buffer the caller reuses: when nothing is
 * queued on the link the buffers trade places instead of the frame being
 * copied (a copy's slices are 100+ KB each).  *frame comes back empty,
 * with whatever capacity it got. */
void mg_links_send_buf(mg_links *l, const mg_cl_addr *addr, mg_buf *frame);
/* Bytes queued or being written on every link (graceful shutdown waits for 0). */
size_t mg_links_backlog(const mg_links *l);
/* Closes every link; the handles finish closing in the loop. */
void mg_links_close(mg_links *l);

#endif
