/* main.c - memgrid-bench: parse the options, build the workload, run the
 * driver threads, print the report.  Exit status: 0 clean run, 1 the run
 * saw errors, lost or unexpected answers (or measured nothing), 2 it could
 * not run (usage, connection, authentication). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "options.h"
#include "probe.h"
#include "report.h"
#include "util/alloc.h"
#include "util/clock.h"

int main(int argc, char **argv)
{
    bopts o;
    int rc = bopts_parse(&o, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    /* A member that closes a connection must not kill us mid-write. */
    signal(SIGPIPE, SIG_IGN);
    if (o.wait_ready)
        return bprobe_wait_ready(&o);

    bworkload w;
    if (bworkload_init(&w, o.keys, o.value_size, o.mix, o.dist, o.zipf_theta) != 0)
        return 2;
    brun run;
    memset(&run, 0, sizeof run);
    run.o = &o;
    run.w = &w;
    run.nthreads = o.threads;
    run.t_launch = mg_clock_mono_ns();
    run.drivers = mg_xcalloc((size_t)o.threads, sizeof *run.drivers);
    pthread_barrier_init(&run.barrier, NULL, (unsigned)o.threads);
    for (int i = 0; i < o.threads; i++) {
        run.drivers[i].id = i;
        run.drivers[i].run = &run;
    }
    /* Thread 0 is this thread; the others get their own. */
    for (int i = 1; i < o.threads; i++)
        if (pthread_create(&run.drivers[i].thread, NULL, bdriver_main, &run.drivers[i]) != 0) {
            fprintf(stderr, "memgrid-bench: cannot start thread %d\n", i);
            exit(2);
        }
    bdriver_main(&run.drivers[0]);
    for (int i = 1; i < o.threads; i++)
        pthread_join(run.drivers[i].thread, NULL);

    bresult r;
    bresult_collect(&r, &run);
    if (o.json)
        bresult_print_json(&r, stdout);
    else
        bresult_print_text(&r, stdout);
    if (r.failed)
        fprintf(stderr, "memgrid-bench: %s\n", r.fail_why);
    rc = bresult_exit_code(&r);
    pthread_barrier_destroy(&run.barrier);
    free(run.drivers);
    bworkload_free(&w);
    return rc;
}
