/* multicast.h - discovery by multicast (network.join.multicast).
 *
 * One UDP socket bound to the group and port, joined on the member's own
 * interface (its host, when that is an IPv4 address; else the one the
 * routing table picks).  While the member looks for its cluster it
 * multicasts LOOKING once per heartbeat interval; members of the same
 * cluster answer with MEMBER (cluster/announce.h).  Every address heard
 * while looking goes to `found`, which hands it to the tcp-ip join as one
 * more seed: multicast only tells a new process whom to ask.
 *
 * Threads: opened by mg_member_start before the workers run (a failure
 * stops the start with the reason); afterwards everything runs on worker 0,
 * driven by the cluster tick.
 */
#ifndef MG_MEMBER_MULTICAST_H
#define MG_MEMBER_MULTICAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/member_list.h"
#include "config/config.h"
#include "util/log.h"

typedef struct mg_multicast mg_multicast;
typedef void (*mg_multicast_found_fn)(void *ctx, const mg_cl_addr *addr);

/* Opens the socket, binds it to the group and joins it; the descriptor, or
 * -1 with the reason in why. */
int mg_multicast_open(const mg_config *cfg, const char *host, char *why, size_t whylen);

/* Takes the descriptor over (closed by mg_multicast_close).  `sender`
 * tells this process's datagrams from others'.  NULL when libuv refuses
 * the descriptor (logged). */
mg_multicast *mg_multicast_new(uv_loop_t *loop, int fd, const mg_config *cfg, const mg_cl_addr *self,
                               uint64_t sender, mg_log *log, mg_multicast_found_fn found, void *ctx);
/* Each cluster tick: while `joining`, LOOKING goes out every interval_ms;
 * otherwise LOOKING heard from this cluster is answered. */
void mg_multicast_tick(mg_multicast *mc, bool joining, int64_t now_ms, int64_t interval_ms);
/* On worker 0: stops and frees (once libuv lets go of the socket). */
void mg_multicast_close(mg_multicast *mc);

#endif
