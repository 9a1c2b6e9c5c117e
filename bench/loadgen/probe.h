/* probe.h - readiness probe: how long after its start a member answers.
 *
 * Retries "connect, CP2 + authenticate, one Map.Get" until the Get is
 * answered (a Get, not just an open port: Hazelcast opens its port before
 * it can serve), every 0.5 ms while the port is closed, up to a time limit.
 * Plain blocking sockets: it runs before any load and must itself start in
 * well under a millisecond.
 */
#ifndef BENCH_PROBE_H
#define BENCH_PROBE_H

#include "options.h"

/* Prints the CLOCK_REALTIME instant (ns since the epoch) of the first
 * answered Get, as text or JSON; returns 0, or 2 when the time ran out. */
int bprobe_wait_ready(const bopts *o);

#endif
