/* report.h - the result of a run, as text for people and JSON for scripts. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "driver.h"

typedef struct bresult {
    const bopts *o;
    bool failed;
    char fail_why[256];
    char first_error[200];
    berr_kind error_kinds[BERR_KINDS];
    int nerror_kinds;
    char server_version[32];
    int members;
    double window_s;             /* measurement window (mean over threads) */
    double load_s;               /* slowest thread's load */
    uint64_t ops[BOP_N], ops_total;
    double ops_per_s;
    bhist all, per_op[BOP_N];
    bhist lag;                   /* open loop: scheduled time -> written */
    uint64_t errors, lost, misses, unexpected, overload, loaded;
    double client_cpu_s;         /* whole process, over the window */
    double server_cpu_s;         /* -1 when not measured */
    double machine_cores;        /* whole machine busy over the window; -1 unknown */
    long rss_loaded_kb, rss_end_kb;
} bresult;

/* Merges the drivers' statistics after their threads ended. */
void bresult_collect(bresult *r, const brun *run);
void bresult_print_text(const bresult *r, FILE *f);
void bresult_print_json(const bresult *r, FILE *f);
/* The run's verdict: 0 clean, 1 errors, lost or overloaded answers, 2 failed. */
int bresult_exit_code(const bresult *r);

#endif
