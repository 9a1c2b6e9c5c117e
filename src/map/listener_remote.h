/* listener_remote.h - entry listeners registered with localOnly=false get
 * the events of the whole cluster.
 *
 * Smart clients register on every member with localOnly=true, and each
 * member sends them the events of its own partitions.  A unisocket client
 * (or any registration with localOnly=false) registers once, on the member
 * it is connected to, and expects every event: as in Hazelcast, such a
 * registration is cluster-wide.  The member holding the client connection
 * (the subscriber) keeps the registration as today, on every worker, and
 * every other member keeps a remote copy (listeners.h: `remote`) that names
 * the subscriber and the registration id.  An event that matches a remote
 * copy goes to the subscriber in an EVENT frame over the member links
 * (cluster/listener_proto.h); the subscriber looks the registration up and
 * encodes it for the client like one of its own events.  Backups publish
 * nothing (replication applies states without events), so each event
 * comes once, from the partition's primary.
 *
 * Adding, removing and pushing copies to members that join are driven by
 * worker 0 of the subscriber (`ops`): it sends LISTEN_ADD / LISTEN_REMOVE
 * to every other member of its list and completes once each answered
 * LISTEN_ACK (every worker there applied it) or left the list.  Frames are
 * sent again every MG_LR_RESEND_MS until then: a link that drops loses its
 * queue, and a registration missing on a live member would lose events
 * for good.  Only then does the client get its answer, so no event that
 * happens after the answer is lost, as for local registrations.
 *
 * Worker 0 being the only place where copies are sent keeps three races
 * ordered: a member joining while a registration is on its way (the push
 * on join reads worker 0's copy of the registrations, and a registration
 * not yet in it is sent to worker 0's newer list), a connection closing
 * meanwhile (worker 0 drops it from its copy first, and then sends
 * nothing), and a removal overtaking an add (the pending add is cancelled
 * before the removal goes out on the same links).
 */
#ifndef MG_MAP_LISTENER_REMOTE_H
#define MG_MAP_LISTENER_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "map/listeners.h"
#include "member/worker.h"

struct mg_dp_frame;
struct mg_topology;

/* Pending frames are sent again this often until answered. */
#define MG_LR_RESEND_MS 500

/* --- the subscriber (the member holding the client connection) --------- */

/* After a cluster-wide registration reached every local worker: copies it
 * to the other members, then sends `answer` (its memory is taken) to conn.
 * Any worker. */
void mg_listener_remote_register(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *l,
                                 mg_conn_ref conn, mg_buf *answer);
/* After a cluster-wide registration left every local worker: removes the
 * copies, then sends `answer` to conn.  Any worker. */
void mg_listener_remote_unregister(mg_worker *w, const mg_uuid *id, mg_conn_ref conn, mg_buf *answer);
/* Worker 0, before its copy forgets the registrations of a closed client
 * connection: removes their copies on the other members. */
void mg_listener_remote_conn_closed(mg_worker *w0, mg_conn_ref conn);

/* --- every member ---------------------------------------------------------- */

/* From mg_listeners_publish: sends the event to li's subscriber (li is a
 * remote copy).  `scratch` is an empty buffer the call may use. */
void mg_listener_remote_forward(mg_worker *w, const uint8_t *map_name, size_t name_len, const mg_listener *li,
                                const mg_entry_event *ev, mg_buf *scratch);
/* LISTEN_ADD, LISTEN_REMOVE, LISTEN_ACK (worker 0) and EVENT (the worker
 * the frame names). */
void mg_listener_remote_on_frame(mg_worker *w, const struct mg_dp_frame *f);
/* A new topology on w: copies whose subscriber left are dropped; on worker
 * 0, members new to the list get this member's cluster-wide registrations. */
void mg_listener_remote_on_topology(mg_worker *w, const struct mg_topology *old, const struct mg_topology *t);
/* Periodic (every worker; only worker 0 has work): resends, and completes
 * what waits for members that left. */
void mg_listener_remote_tick(mg_worker *w);
void mg_listener_remote_free(mg_worker *w);

#endif
