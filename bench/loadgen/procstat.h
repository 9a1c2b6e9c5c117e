/* procstat.h - CPU time and resident memory of a process, from /proc, and
 * of this process, from getrusage: what a request costs the member and the
 * load generator. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdint.h>

/* utime + stime of pid in seconds (clock-tick resolution, 10 ms on most
 * kernels); -1 when unreadable. */
double bproc_cpu_s(int pid);
/* VmRSS of pid in KiB; -1 when unreadable. */
long bproc_rss_kb(int pid);
/* user + system CPU of this process (all threads) in seconds. */
double bproc_self_cpu_s(void);

#endif
