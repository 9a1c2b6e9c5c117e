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

/* Whole-machine CPU counters from /proc/stat (all CPUs, clock ticks):
 * busy = everything but idle and iowait.  Process figures miss the kernel
 * work done for nobody in particular (softirq network processing of the
 * loopback traffic), so "is the machine full" is read here. */
typedef struct bproc_machine {
    unsigned long long busy, total;
} bproc_machine;
int bproc_machine_read(bproc_machine *m);
/* Busy CPUs (in cores) between two readings; -1 when unknown. */
double bproc_machine_cores(const bproc_machine *a, const bproc_machine *b);

#endif
