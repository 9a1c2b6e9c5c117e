/* data_proto.h - the member protocol's data plane: forwarded requests,
 * replication to backups, migration and cluster-wide map operations.
 *
 * Same 12-byte header as member_proto.h (magic "MGRD", version, type, flags,
 * body length); the types below start at MG_DP_FIRST_TYPE, so the membership
 * machine never sees them (it would skip them by length anyway).  A body
 * may be up to MG_DP_MAX_BODY bytes: a value may be as large as the client
 * protocol allows.  Every body starts with the sender's UUID (16 bytes).
 * Integers are little-endian; "bytes" is a u32 length and that many bytes.
 *
 *   32 FORWARD         4 origin worker; 8 origin connection id; 16 client
 *                      UUID; 4 partition; 4 forwarding worker; 8 the
 *                      forwarding member's table version; rest: one
 *                      client request message a member received for a
 *                      partition another member owns
 *   33 FORWARD_ANSWER  4 forwarding worker; 4 origin worker; 8 origin
 *                      connection id; rest: the client-protocol answer,
 *                      delivered as it is
 *   34 REPL            4 partition; 8 table version; 1 flags (MG_DP_SNAP_*);
 *                      8 seq; then records to the end:
 *                        1 kind (MG_DP_REC_*); 2 map-name length + bytes;
 *                        PUT: bytes key; 4 entry version; 2 shape;
 *                             1 fields length f + f bytes; bytes value
 *                        DEL: bytes key      CLEAR: nothing more
 *                        SIZE: 4 entries of that map the copy holds (it
 *                             comes before them: the receiver sizes its
 *                             table once instead of growing it)
 *                        LOCK: bytes key; 1 locked; if locked: 16 owner,
 *                             8 thread id, 4 count, 8 lease left (ms, -1
 *                             none), 8 reference id
 *                        DROP: nothing more (the map was destroyed and
 *                             left this partition: the receiver drops its
 *                             part; records after it are of a new map of
 *                             that name)
 *                      A plain REPL carries the records numbered seq,
 *                      seq+1, ...; a snapshot is REPL frames flagged
 *                      RESET (the receiver empties the partition first),
 *                      then none, then END (seq = the primary's seq at the
 *                      snapshot: the next plain record is seq+1); or
 *                      flagged FOLLOW with 16 origin UUID instead of
 *                      records (see MG_DP_SNAP_FOLLOW)
 *   35 ACK             4 partition; 8 seq applied; 1 status (MG_DP_ACK_*)
 *   36 MIGRATE         4 partition; 8 table version; 16 destination UUID
 *                      (master to a primary: copy p to the destination and
 *                      keep it in sync until the next table)
 *   37 MIGRATE_DONE    4 partition; 8 table version; 16 destination; 1 status
 *   38 BULK            8 request id; 4 origin worker; rest: a client request
 *                      for the whole map (size, clear, keySet, putAll...)
 *                      to run on the receiver's primary partitions, or a
 *                      Client.DestroyProxy of a map: the receiver drops
 *                      the map from all its partitions, primary and backup,
 *                      and sends a DROP record to the backups of each
 *                      partition it is primary of
 *   39 BULK_RESULT     8 request id; 4 origin worker; 8 count; 8 elements
 *                      (MG_DP_BULK_UNCONFIRMED: the receiver's synchronous
 *                      backups did not confirm the writes of its part);
 *                      rest: encoded element frames
 *   40 SYNC            4 partition (a backup asks its primary for a snapshot)
 *   41 LISTEN_ADD      8 request id (0: no answer wanted); 16 registration
 *                      id; 4 subscriber worker; 4 listener flags; 1 include
 *                      value; bytes map name; bytes key (empty: every key)
 *                      (keep a copy of a client's cluster-wide entry
 *                      listener; the sender holds the client connection)
 *   42 LISTEN_REMOVE   8 request id (0: no answer wanted); 16 registration id
 *   43 LISTEN_ACK      8 request id (every worker of the sender applied it)
 *   44 EVENT           4 subscriber worker; 16 registration id; bytes map
 *                      name; 4 partition (-1: map-wide); 4 event type;
 *                      4 affected entries; then key, value, old value, each
 *                      1 present (0/1) and, when present, bytes
 *                      Types 41-44: cluster/listener_proto.h.
 */
#ifndef MG_CLUSTER_DATA_PROTO_H
#define MG_CLUSTER_DATA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/byte_cursor.h"
#include "cluster/member_proto.h"

#define MG_DP_FIRST_TYPE MG_MP_FIRST_DATA_TYPE
#define MG_DP_MAX_BODY MG_MP_MAX_DATA_BODY

enum {
    MG_DP_FORWARD = 32,
    MG_DP_FORWARD_ANSWER = 33,
    MG_DP_REPL = 34,
    MG_DP_ACK = 35,
    MG_DP_MIGRATE = 36,
    MG_DP_MIGRATE_DONE = 37,
    MG_DP_BULK = 38,
    MG_DP_BULK_RESULT = 39,
    MG_DP_SYNC = 40,
    MG_DP_LISTEN_ADD = 41,
    MG_DP_LISTEN_REMOVE = 42,
    MG_DP_LISTEN_ACK = 43,
    MG_DP_EVENT = 44,
};

#define MG_DP_SNAP_RESET 0x01
#define MG_DP_SNAP_END 0x02
/* FOLLOW: a new primary tells a replica "my copy is the stream of <origin>
 * up to seq; if yours is too, follow mine from seq+1".  Its body after the
 * seq is the origin's UUID instead of records. */
#define MG_DP_SNAP_FOLLOW 0x04

enum {
    MG_DP_REC_PUT = 1,
    MG_DP_REC_DEL = 2,
    MG_DP_REC_CLEAR = 3,
    MG_DP_REC_LOCK = 4,
    MG_DP_REC_SIZE = 5,
    MG_DP_REC_DROP = 6,
};

/* One replication record, borrowed from the frame. */
typedef struct mg_dp_record {
    uint8_t kind;
    const uint8_t *name;
    size_t name_len;
    const uint8_t *key;
    size_t klen;
    /* PUT */
    uint32_t version;
    uint16_t shape;
    const uint8_t *fields;
    size_t flen;
    const uint8_t *value;
    size_t vlen;
    /* LOCK (owner .. reference_id are set only when locked) */
    bool locked;
    mg_uuid owner;
    int64_t thread_id;
    uint32_t count;        /* LOCK: hold count; SIZE: entries */
    int64_t lease_ms;      /* left of the lease, -1 = none */
    int64_t reference_id;
} mg_dp_record;

/* Reads the next record of a REPL body; false when it is malformed (the
 * cursor is then bad). */
bool mg_dp_next_record(mg_bc_rd *rd, mg_dp_record *r);

/* BULK_RESULT's element count when the part wrote (putAll, clear,
 * evictAll) and a backup refused or did not acknowledge in time: the
 * request fails with RETRYABLE_HAZELCAST, as a keyed write would. */
#define MG_DP_BULK_UNCONFIRMED (-1)

enum {
    MG_DP_ACK_OK = 0,
    MG_DP_ACK_NOT_SOURCE = 1,   /* the receiver follows another primary for p */
};

enum {
    MG_DP_MIGRATE_OK = 0,
    MG_DP_MIGRATE_RETRY = 1,    /* the source has not installed that table yet */
    MG_DP_MIGRATE_NOT_OWNER = 2,
};

/* Starts a frame of `type` from `sender` in b; returns the offset to pass to
 * mg_dp_end once the body is written. */
size_t mg_dp_begin(mg_buf *b, uint8_t type, const mg_uuid *sender);
void mg_dp_end(mg_buf *b, size_t start);

/* A decoded frame: type, sender and a cursor over the rest of the body. */
typedef struct mg_dp_frame {
    uint8_t type;
    mg_uuid sender;
    mg_bc_rd body;
} mg_dp_frame;

/* For a complete frame (mg_mp_frame_size said so): 0, or -1 when it is not
 * a data-plane frame or its body is shorter than a sender. */
int mg_dp_open(const uint8_t *frame, size_t len, mg_dp_frame *out);

static inline bool mg_dp_is_data_type(uint8_t type) { return type >= MG_DP_FIRST_TYPE; }

/* Length-prefixed byte strings. */
static inline void mg_dp_put_bytes(mg_buf *b, const void *p, size_t n)
{
    mg_bc_put_u32(b, (uint32_t)n);
    mg_buf_append(b, p, n);
}
static inline const uint8_t *mg_dp_bytes(mg_bc_rd *r, size_t *n)
{
    *n = mg_bc_u32(r);
    return mg_bc_take(r, *n);
}

#endif
