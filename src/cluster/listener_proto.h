/* listener_proto.h - the member frames of cluster-wide entry listeners
 * (types 41-44, layouts in data_proto.h).
 *
 * A client that registers an entry listener with localOnly=false on member
 * S (the subscriber: it holds the client's connection) wants the events of
 * every partition, wherever its primary is.  S sends LISTEN_ADD to every
 * other member, which keeps a remote copy of the registration; an event
 * that fires there goes back to S as an EVENT, and S encodes it for the
 * client exactly as one of its own (map/listener_remote.h).  LISTEN_REMOVE
 * drops a copy; LISTEN_ACK answers both once every worker of the receiver
 * applied them.
 *
 * Decoders read a frame opened by mg_dp_open through the bounds-checked
 * cursor, and refuse what no member sends (a flag byte other than 0/1, a
 * key shorter than a serialized Data's 8-byte header, an entry event
 * without a key); bytes after the known fields are ignored, so fields can
 * be appended later.  Byte fields are borrowed from the frame.
 */
#ifndef MG_CLUSTER_LISTENER_PROTO_H
#define MG_CLUSTER_LISTENER_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/data_proto.h"

typedef struct mg_lp_add {
    uint64_t req;          /* echoed by LISTEN_ACK; 0: no answer wanted */
    mg_uuid id;            /* the registration id the client got */
    int32_t sub_worker;    /* the subscriber's worker of the client connection */
    int32_t flags;         /* MG_EV_* bits the client wants */
    bool include_value;
    mg_bytes name;         /* map name */
    mg_bytes key;          /* len 0: every key */
} mg_lp_add;

typedef struct mg_lp_remove {
    uint64_t req;
    mg_uuid id;
} mg_lp_remove;

/* An event for the subscriber: what mg_listeners_publish got, and whose
 * registration it matched.  An absent key, value or old value has ptr NULL. */
typedef struct mg_lp_event {
    int32_t sub_worker;
    mg_uuid id;
    mg_bytes name;
    int32_t partition;     /* the key's; -1 for map-wide events */
    int32_t type;          /* one MG_EV_* bit */
    int32_t affected;      /* entries affected (1 for entry events) */
    mg_bytes key, value, old_value;
} mg_lp_event;

/* Each appends one complete frame from `sender` to b. */
void mg_lp_add_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_add *a);
void mg_lp_remove_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_remove *r);
void mg_lp_ack_encode(mg_buf *b, const mg_uuid *sender, uint64_t req);
void mg_lp_event_encode(mg_buf *b, const mg_uuid *sender, const mg_lp_event *e);

/* 0, or -1 when f is another type, its body is short, or it breaks a rule
 * above (*out is then unspecified). */
int mg_lp_add_decode(const mg_dp_frame *f, mg_lp_add *out);
int mg_lp_remove_decode(const mg_dp_frame *f, mg_lp_remove *out);
int mg_lp_ack_decode(const mg_dp_frame *f, uint64_t *req);
int mg_lp_event_decode(const mg_dp_frame *f, mg_lp_event *out);

#endif
