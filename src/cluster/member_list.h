/* member_list.h - who is in the cluster: addresses, member entries, the
 * versioned member list, and the quorum rule.
 *
 * A member list is what the master publishes.  Members appear in join order
 * (oldest first); "older" always means "earlier in this list", never a clock.
 * The `master` field names the member that created the list's version; in
 * steady state it is members[0], but right after a take-over the dead old
 * master is still listed first until the new master removes it (see
 * docs/cluster.md, "Master take-over").
 *
 * Versions are 64-bit: the high 32 bits are the term of the master that
 * created the list, the low 32 bits a sequence number that grows with every
 * list the cluster publishes.  Only one master can win a term (every member
 * votes once per term, a quorum is a majority of the claimant's list), and a
 * master numbers its lists one after the other, so one version names exactly
 * one list, and comparing two versions as plain integers orders them.
 *
 * The types are plain values (no pointers): they are copied freely and a list
 * fits in about 7 KB.
 */
#ifndef MG_CLUSTER_MEMBER_LIST_H
#define MG_CLUSTER_MEMBER_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"

#define MG_CL_MAX_MEMBERS 64
#define MG_CL_HOST_MAX 63         /* bytes of a host name or address literal */
#define MG_CL_ADDR_STR 72         /* "host:port" with NUL */

/* Flags of a member entry. */
#define MG_CL_MF_LEAVING 0x01     /* asked to leave gracefully */

typedef struct mg_cl_addr {
    char host[MG_CL_HOST_MAX + 1];   /* NUL-terminated, no embedded NUL */
    uint16_t port;
} mg_cl_addr;

typedef struct mg_cl_member {
    mg_uuid uuid;
    mg_cl_addr addr;
    uint64_t join_seq;     /* sequence number of the list that admitted it */
    uint8_t flags;         /* MG_CL_MF_* */
    uint8_t version[3];    /* memgrid major.minor.patch */
} mg_cl_member;

typedef struct mg_cl_list {
    uint64_t version;          /* term << 32 | seq; 0 = no list */
    mg_uuid cluster_id;        /* chosen by the first master, never changes */
    mg_uuid master;            /* creator of this version */
    int count;
    mg_cl_member members[MG_CL_MAX_MEMBERS];   /* join order, oldest first */
} mg_cl_list;

static inline uint64_t mg_cl_version(uint32_t term, uint32_t seq)
{
    return (uint64_t)term << 32 | seq;
}
static inline uint32_t mg_cl_version_term(uint64_t v) { return (uint32_t)(v >> 32); }
static inline uint32_t mg_cl_version_seq(uint64_t v) { return (uint32_t)v; }

bool mg_cl_addr_eq(const mg_cl_addr *a, const mg_cl_addr *b);
/* Order of addresses: host (bytes), then port. */
int mg_cl_addr_cmp(const mg_cl_addr *a, const mg_cl_addr *b);
/* Fills `a`; false when the host is longer than MG_CL_HOST_MAX. */
bool mg_cl_addr_set(mg_cl_addr *a, const char *host, uint16_t port);
/* "host:port" ("[v6]:port" when the host holds a ':'). */
void mg_cl_addr_format(const mg_cl_addr *a, char out[MG_CL_ADDR_STR]);

/* Index of the member with this uuid (or address), -1 when absent. */
int mg_cl_list_find(const mg_cl_list *l, const mg_uuid *uuid);
int mg_cl_list_find_addr(const mg_cl_list *l, const mg_cl_addr *addr);
/* Same version, cluster, master and members in the same order. */
bool mg_cl_list_equal(const mg_cl_list *a, const mg_cl_list *b);
/* Removes members[i], keeping the order of the others. */
void mg_cl_list_remove_at(mg_cl_list *l, int i);

/* A strict majority of n: the only quorum rule (docs/cluster.md explains
 * why ties do not count). */
static inline bool mg_cl_is_quorum(int votes, int n)
{
    return votes > n / 2;
}

#endif
