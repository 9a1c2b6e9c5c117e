/* handoff.h - requests and answers that cross between workers, in batches.
 *
 * A worker appends each request it hands to another worker, and each answer
 * or event it produces for a connection of another worker, to its outbox for
 * that worker (w->outbox[dest]).  When the loop turn ends (or before any
 * other task is posted to the same worker, to keep order) the outbox goes
 * over as one task, so a burst of pipelined requests costs one allocation,
 * one inbox lock and at most one wake-up per destination, not per request.
 *
 * Record layout inside a batch (host byte order, in-process only):
 *
 *   offset size field
 *   0      40   mg_handoff_rec (kind, payload length, connection, partition,
 *               client uuid, handler)
 *   40     n    payload: a request message or bytes for a connection
 *   40+n   pad  to a multiple of 8
 */
#ifndef MG_MEMBER_HANDOFF_H
#define MG_MEMBER_HANDOFF_H

#include "member/dispatch.h"
#include "member/worker.h"

/* Hands a request to the worker owning its partition (copies msg). */
void mg_handoff_request(mg_worker *from, mg_worker *to, const mg_handler *h, const mg_req *r);
/* Queues bytes for a connection on another worker; `answers_remote` marks
 * the answer to a request that connection handed over.  Empties *b. */
void mg_handoff_deliver(mg_worker *from, mg_conn_ref to, mg_buf *b, bool answers_remote);
void mg_handoff_flush_to(mg_worker *w, int dest);
void mg_handoff_flush(mg_worker *w);
void mg_handoff_free(mg_worker *w);

#endif
