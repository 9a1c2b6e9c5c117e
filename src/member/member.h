/* member.h - the member: configuration, identity and the shared registries.
 *
 * Ownership: the member struct is written during start-up only; afterwards
 * workers read it.  The few tables that any worker may change (the map
 * registry, the client registry) sit behind their own mutex and are touched
 * when a map is created or destroyed or a client connects or leaves, never
 * per request.
 */
#ifndef MG_MEMBER_MEMBER_H
#define MG_MEMBER_MEMBER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "member/worker.h"
#include "proto/frame.h"
#include "util/bmap.h"
#include "util/log.h"

#define MG_VERSION "0.1.0"
/* The Hazelcast version memgrid reports to clients (they parse major.minor.patch). */
#define MG_HZ_COMPAT_VERSION "5.5.0"

struct mg_member {
    mg_config cfg;
    mg_log log;
    char host[64];           /* address clients dial */
    int port;
    int32_t partition_count;
    int64_t max_message;

    int nworkers;
    mg_worker *workers;
    int listen_fd;
    int multicast_fd;        /* network.join.multicast socket until the cluster takes it; -1 */
    atomic_uint next_accept;  /* round robin over workers */

    struct mg_memory *memory;    /* entry heaps, accounting, the memory limit (map/memory.h) */

    pthread_mutex_t maps_lock;   /* guards maps */
    mg_bmap maps;                /* name -> mg_map* */

    pthread_mutex_t clients_lock;   /* guards clients */
    mg_bmap clients;                /* client uuid (16 bytes) -> connection count (uintptr_t) */

    struct mg_cluster *cluster;  /* membership, links, migration: worker 0 (member/cluster.h) */
    atomic_bool left;            /* a graceful leave finished (cluster.c) */
    atomic_bool told_not_ready;  /* a client refused before initial.min.cluster.size was logged (auth.c) */

    atomic_long tasks_in_flight;  /* posted and not yet run: lets stop wait for quiet */
    atomic_bool stopping;
    atomic_int workers_stopped;
    int64_t started_mono_ns;
    uv_sem_t ready;
};

/* Counts client connections; returns the number left after a leave. */
void mg_member_client_join(mg_member *m, const mg_uuid *client);
unsigned mg_member_client_leave(mg_member *m, const mg_uuid *client);

#endif
