/* memgrid.h - public API of libmemgrid.
 *
 * A member is an opaque object: create it from a hazelcast.yaml (or built-in
 * defaults), start it (its worker threads serve clients on their own), stop
 * it.  The `memgrid` program is a thin shell over these calls, so a C program
 * can embed a member the same way.
 *
 * Errors: functions return 0 on success or a negative MG_E* code;
 * mg_strerror() names it.
 */
#ifndef MEMGRID_H
#define MEMGRID_H

#ifdef __cplusplus
extern "C" {
#endif

#define MG_OK 0
#define MG_EINVAL_CONFIG (-1)   /* the configuration is invalid (see the log) */
#define MG_EBIND (-2)           /* could not bind the member's port */
#define MG_ESYS (-3)            /* a system resource (thread, loop) failed */
#define MG_ESTATE (-4)          /* call not valid in the member's current state */
#define MG_EDISCOVERY (-5)      /* the configured discovery (multicast) cannot start (see the log) */

typedef struct mg_member mg_member;

typedef struct mg_member_options {
    const char *config_path;   /* NULL: built-in defaults */
    int port;                  /* >= 0 overrides network.port; 0 = any free port; -1 = config */
    const char *host;          /* overrides the address to bind and announce; NULL = config */
    int workers;               /* > 0 overrides memgrid.worker.count */
} mg_member_options;

/* Reads and validates the configuration.  Problems are logged with file:line. */
int mg_member_create(const mg_member_options *opts, mg_member **out);
/* Binds the port and starts the workers; returns when the member serves. */
int mg_member_start(mg_member *m);
/* The port clients connect to (after start). */
int mg_member_port(const mg_member *m);
/* Stops serving: closes client connections and joins the workers. */
void mg_member_stop(mg_member *m);
void mg_member_destroy(mg_member *m);

const char *mg_strerror(int err);
const char *mg_version(void);

#ifdef __cplusplus
}
#endif

#endif
