/* announce.h - the datagram memgrid members multicast to find each other
 * (network.join.multicast).
 *
 * A new process multicasts LOOKING once per heartbeat interval until it is a
 * member; every member that hears a LOOKING of its own cluster answers with
 * MEMBER on the same group.  A datagram only names an address to ask: the
 * join itself (checks, admission, quorum) is the tcp-ip join of
 * membership_join.c, so a datagram cannot make anyone a member.
 *
 * Layout (little-endian, 16 bytes + two strings, at most MG_ANN_MAX bytes):
 *   4 magic "MGAN"; 1 format (1); 1 kind (MG_ANN_*); 8 sender (a random
 *   number per process: a socket hears its own datagrams, and the address
 *   alone cannot tell them apart when the host part is empty); 2 port;
 *   1 host length + host (may be empty: the datagram's source address);
 *   2 cluster-name length + cluster name
 * Hazelcast members use the same default group; their datagrams fail the
 * magic and are ignored, and ours fail theirs.
 */
#ifndef MG_CLUSTER_ANNOUNCE_H
#define MG_CLUSTER_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/member_list.h"

#define MG_ANN_FORMAT 1
#define MG_ANN_NAME_MAX 255   /* = MG_CFG_MULTICAST_NAME_MAX, which the configuration checks */
#define MG_ANN_MAX (4 + 1 + 1 + 8 + 2 + 1 + MG_CL_HOST_MAX + 2 + MG_ANN_NAME_MAX)

enum {
    MG_ANN_LOOKING = 1,   /* a process looking for its cluster */
    MG_ANN_MEMBER = 2,    /* a member answering one */
};

enum {
    MG_ANN_OK = 0,
    MG_ANN_FOREIGN = -1,   /* not a memgrid announcement (another program on the group) */
    MG_ANN_BAD = -2,       /* ours, but malformed or of a newer format */
};

typedef struct mg_announce {
    uint8_t kind;
    uint64_t sender;                     /* random per process */
    mg_cl_addr addr;                     /* host "" = the datagram's source */
    char cluster_name[MG_ANN_NAME_MAX + 1];
} mg_announce;

/* Bytes written to out (MG_ANN_MAX suffice); 0 when a field does not fit
 * (a cluster name longer than MG_ANN_NAME_MAX bytes). */
size_t mg_announce_encode(const mg_announce *a, uint8_t out[MG_ANN_MAX]);
/* MG_ANN_OK and *a filled, or MG_ANN_FOREIGN / MG_ANN_BAD. */
int mg_announce_decode(const uint8_t *buf, size_t len, mg_announce *a);

#endif
