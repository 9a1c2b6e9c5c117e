/* member_proto.h - memgrid's member-to-member protocol (ours, not Hazelcast's).
 *
 * Members talk over the same TCP port clients use (DESIGN.md §2); the first
 * four bytes of a connection pick the protocol, so every frame starts with a
 * magic that no other protocol on that port can begin with:
 *
 *   "MGRD" = 0x4D 0x47 0x52 0x44.  Not "CP2" (client protocol); not an HTTP
 *   method (GET, POST, PUT, DELETE, HEAD, OPTIONS, PATCH, TRACE, CONNECT, PRI,
 *   or a WebDAV method: none starts with "MG"); not a memcache text command
 *   (all lowercase, "mg " is meta-get with a space as third byte); not the
 *   memcache binary magic (0x80/0x81) nor a TLS record (0x14-0x17).
 *   test_member_proto.c checks these prefixes.
 *
 * All integers are little-endian (like the client protocol; the hosts we run
 * on are little-endian, so no byte swapping in practice).  A UUID is 16 bytes:
 * most significant 8, then least significant 8, each little-endian; sixteen
 * zero bytes mean "none".
 *
 * Frame header (12 bytes):
 *
 *   offset size  field
 *   0      4     magic "MGRD"
 *   4      1     protocol version, MG_MP_VERSION (1); another value closes the
 *                connection (incompatible layouts bump it; growth does not)
 *   5      1     message type (MG_MP_*); an unknown type is skipped by length
 *   6      2     flags: none defined; senders write 0, receivers ignore them
 *   8      4     body length n, at most MG_MP_MAX_BODY
 *   12     n     body
 *
 * Every body starts with the sender:
 *
 *   0      16    sender UUID
 *   16     1     host length h (1..63)
 *   17     h     host bytes (a name or an address literal, no NUL)
 *   17+h   2     port
 *
 * followed by the fields of its type, below (offsets relative to the end of
 * the sender).  Bytes after the last field a receiver knows are ignored: new
 * fields are only ever appended.  "addr" below is the 3+h byte host/port
 * group above.
 *
 *   1 JOIN_REQUEST      1 cluster-name length c, c bytes (UTF-8);
 *                       3 member version major, minor, patch;
 *                       4 partition count; 8 config hash (0 = not sent)
 *   2 JOIN_RESPONSE     1 status (MG_MP_JOIN_*); 16 master UUID (none: the
 *                       sender does not know one); addr master address;
 *                       2 reason length r, r bytes (UTF-8, for the log)
 *   3 MEMBER_LIST       8 list version (term << 32 | seq); 16 cluster id;
 *                       16 master UUID; 2 member count k (0..64); then k
 *                       entries, oldest first, each: 2 entry length e, then
 *                       e bytes: 16 UUID, addr, 8 join sequence, 1 flags,
 *                       3 version (bytes after these inside e are ignored);
 *                       1 flags (bit 0: the sender knows a majority holds
 *                       this version)
 *   4 HEARTBEAT         16 cluster id; 8 term; 8 list version; 8 partition
 *                       table version; 16 UUID of the master the sender
 *                       follows (none: no master); 8 timestamp (sender's
 *                       monotonic clock, ms, signed); 1 flags (bit 0: the
 *                       sender knows a majority holds its list version);
 *                       8 echo: the timestamp of the last heartbeat the
 *                       sender received from the receiver (the receiver's
 *                       clock; 0 = none; absent in older senders' frames)
 *   5 SUSPECT_REPORT    8 list version; 2 count k (0..64); k x 16 UUIDs of
 *                       members the sender has not heard from in time
 *   6 PARTITION_TABLE   8 table version; 4 partition count P (1..65536);
 *                       1 replica count R (1..7); 2 member count m (1..64);
 *                       m x 16 member UUIDs; P x R bytes: byte p*R+r is the
 *                       index (< m) of the member holding replica r of
 *                       partition p (0 = primary), or 0xFF for none; the
 *                       members of one partition are distinct
 *   7 CLAIM             8 term; 8 list version; 8 partition table version;
 *                       1 flags (bit 0: pre-vote, "would you vote for me?",
 *                       binding nobody) - a member asks for the votes that
 *                       make it master
 *   8 CLAIM_RESPONSE    8 the term voted on (granted) or the responder's
 *                       term (refused); 1 granted (0/1); 1 reason
 *                       (MG_MP_VOTE_*); 1 flags (bit 0: answers a pre-vote)
 *   9 LEAVE             8 list version (a member leaves gracefully)
 *
 * Decoding never copies bytes out of the frame that it need not: strings and
 * the table's slot bytes are borrowed pointers into the input, valid while it
 * is.  Every read is bounds checked (byte_cursor.h); a frame whose fields run
 * past its length, or that breaks a rule above, is malformed.
 */
#ifndef MG_CLUSTER_MEMBER_PROTO_H
#define MG_CLUSTER_MEMBER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/member_list.h"
#include "util/buf.h"

#define MG_MP_MAGIC0 0x4D
#define MG_MP_MAGIC1 0x47
#define MG_MP_MAGIC2 0x52
#define MG_MP_MAGIC3 0x44
#define MG_MP_VERSION 1
#define MG_MP_HEADER 12
#define MG_MP_MAX_BODY (1u << 20)
/* Types from 32 on are the data plane (data_proto.h): larger bodies. */
#define MG_MP_FIRST_DATA_TYPE 32
#define MG_MP_MAX_DATA_BODY (256u << 20)
#define MG_MP_MAX_PARTITIONS 65536u
#define MG_MP_MAX_REPLICAS 7
#define MG_MP_NO_MEMBER 0xFF

/* Results of the decoder: >= 0 are not errors. */
#define MG_MP_OK 0
#define MG_MP_NEED_MORE 1     /* the frame is not complete yet */
#define MG_MP_SKIP 2          /* unknown message type: `consumed` bytes to drop */
#define MG_MP_EMAGIC (-1)     /* not a member-protocol frame */
#define MG_MP_EVERSION (-2)   /* protocol version we do not speak */
#define MG_MP_ETOOBIG (-3)    /* body longer than MG_MP_MAX_BODY */
#define MG_MP_EMALFORMED (-4) /* fields do not fit the length or break a rule */

typedef enum mg_mp_type {
    MG_MP_JOIN_REQUEST = 1,
    MG_MP_JOIN_RESPONSE = 2,
    MG_MP_MEMBER_LIST = 3,
    MG_MP_HEARTBEAT = 4,
    MG_MP_SUSPECT_REPORT = 5,
    MG_MP_PARTITION_TABLE = 6,
    MG_MP_CLAIM = 7,
    MG_MP_CLAIM_RESPONSE = 8,
    MG_MP_LEAVE = 9,
} mg_mp_type;

/* JOIN_RESPONSE status. */
enum {
    MG_MP_JOIN_ACCEPTED = 0,          /* queued; the member list follows */
    MG_MP_JOIN_REDIRECT = 1,          /* ask the master named in the response */
    MG_MP_JOIN_WRONG_CLUSTER = 2,     /* cluster names differ */
    MG_MP_JOIN_INCOMPATIBLE = 3,      /* member versions (major.minor) differ */
    MG_MP_JOIN_CONFIG_MISMATCH = 4,   /* partition count or config hash differ */
    MG_MP_JOIN_NOT_JOINED = 5,        /* the responder is looking for a cluster too */
    MG_MP_JOIN_UUID_CONFLICT = 6,     /* that UUID is a member at another address */
    MG_MP_JOIN_FULL = 7,              /* the list holds MG_CL_MAX_MEMBERS already */
};

/* CLAIM_RESPONSE reasons for a refusal. */
enum {
    MG_MP_VOTE_GRANTED = 0,
    MG_MP_VOTE_NOT_MEMBER = 1,    /* the claimant is not in the voter's list */
    MG_MP_VOTE_OLD_TERM = 2,      /* the voter already voted in that term or later */
    MG_MP_VOTE_STALE = 3,         /* the voter's list or table is newer */
    MG_MP_VOTE_MASTER_ALIVE = 4,  /* the voter still hears an older member or its master */
};

/* A borrowed string (not NUL-terminated). */
typedef struct mg_mp_str {
    const char *ptr;
    size_t len;
} mg_mp_str;

typedef struct mg_mp_join_request {
    mg_mp_str cluster_name;
    uint8_t version[3];
    uint32_t partition_count;
    uint64_t config_hash;
} mg_mp_join_request;

typedef struct mg_mp_join_response {
    uint8_t status;
    mg_uuid master;
    mg_cl_addr master_addr;
    mg_mp_str reason;
} mg_mp_join_response;

#define MG_MP_COMMITTED 0x01   /* MEMBER_LIST and HEARTBEAT flags */

typedef struct mg_mp_heartbeat {
    mg_uuid cluster_id;
    uint64_t term;
    uint64_t list_version;
    uint64_t table_version;
    mg_uuid master;
    int64_t timestamp;
    uint8_t flags;          /* MG_MP_COMMITTED */
    int64_t echo;           /* the receiver's timestamp in its last heartbeat the sender had, 0 = none */
} mg_mp_heartbeat;

typedef struct mg_mp_member_list {
    mg_cl_list list;
    uint8_t flags;          /* MG_MP_COMMITTED */
} mg_mp_member_list;

typedef struct mg_mp_suspects {
    uint64_t list_version;
    int count;
    mg_uuid uuids[MG_CL_MAX_MEMBERS];
} mg_mp_suspects;

typedef struct mg_mp_table {
    uint64_t version;
    uint32_t partitions;
    uint8_t replicas;
    int nmembers;
    mg_uuid members[MG_CL_MAX_MEMBERS];
    const uint8_t *slots;   /* partitions * replicas bytes (borrowed) */
} mg_mp_table;

#define MG_MP_CLAIM_PRE 0x01

typedef struct mg_mp_claim {
    uint64_t term;
    uint64_t list_version;
    uint64_t table_version;
    uint8_t flags;          /* MG_MP_CLAIM_PRE */
} mg_mp_claim;

typedef struct mg_mp_claim_response {
    uint64_t term;
    bool granted;
    uint8_t reason;
    uint8_t flags;          /* MG_MP_CLAIM_PRE when answering a pre-vote */
} mg_mp_claim_response;

typedef struct mg_mp_leave {
    uint64_t list_version;
} mg_mp_leave;

typedef struct mg_mp_msg {
    uint8_t type;           /* mg_mp_type */
    mg_uuid from;
    mg_cl_addr from_addr;
    union {
        mg_mp_join_request join_request;
        mg_mp_join_response join_response;
        mg_mp_member_list member_list;
        mg_mp_heartbeat heartbeat;
        mg_mp_suspects suspects;
        mg_mp_table table;
        mg_mp_claim claim;
        mg_mp_claim_response claim_response;
        mg_mp_leave leave;
    } u;
} mg_mp_msg;

/* True when `p` starts with the magic (needs 4 bytes; fewer give false). */
bool mg_mp_is_magic(const uint8_t *p, size_t len);

/* Size of the frame at the start of `p` once its header is in: MG_MP_OK and
 * *frame_len set, MG_MP_NEED_MORE, or an error (close the connection). */
int mg_mp_frame_size(const uint8_t *p, size_t len, size_t *frame_len);

/* Decodes the first frame of `p`.  On MG_MP_OK, MG_MP_SKIP and
 * MG_MP_EMALFORMED `*consumed` is the frame length (a caller may drop just
 * that frame); on other results it is 0. */
int mg_mp_decode(const uint8_t *p, size_t len, mg_mp_msg *out, size_t *consumed);

/* Appends one frame.  The caller fills `type`, `from`, `from_addr` and the
 * union member of that type; counts must respect the limits above. */
void mg_mp_encode(mg_buf *out, const mg_mp_msg *m);

const char *mg_mp_strerror(int rc);
const char *mg_mp_type_name(int type);

#endif
