/* dns_discovery.h - discovery through DNS (network.join.kubernetes).
 *
 * A headless Kubernetes service has one A (or AAAA) record per pod.  While
 * the member looks for its cluster it resolves the service's name once per
 * heartbeat interval and hands every address (with service-port, or this
 * member's port) to `found`, which makes it one more tcp-ip seed.  The name
 * is service-dns, or service-name.namespace.svc.cluster.local: memgrid does
 * not call the Kubernetes API, so the service must be headless, and should
 * publish pods that are not ready yet (publishNotReadyAddresses), or the
 * first pods cannot find each other.
 *
 * Threads: worker 0, driven by the cluster tick; the lookup itself runs on
 * libuv's thread pool (uv_getaddrinfo), one at a time.
 */
#ifndef MG_MEMBER_DNS_DISCOVERY_H
#define MG_MEMBER_DNS_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/member_list.h"
#include "config/config.h"
#include "util/log.h"

typedef struct mg_dns_discovery mg_dns_discovery;
typedef void (*mg_dns_found_fn)(void *ctx, const mg_cl_addr *addr);

/* `self`: this member's address (its port is the default service port). */
mg_dns_discovery *mg_dns_discovery_new(uv_loop_t *loop, const mg_config *cfg, const mg_cl_addr *self, mg_log *log,
                                       mg_dns_found_fn found, void *ctx);
/* Each cluster tick: while `joining`, a lookup starts every interval_ms
 * (none while the previous one runs). */
void mg_dns_discovery_tick(mg_dns_discovery *d, bool joining, int64_t now_ms, int64_t interval_ms);
/* On worker 0: frees now, or when the lookup under way returns. */
void mg_dns_discovery_close(mg_dns_discovery *d);

#endif
