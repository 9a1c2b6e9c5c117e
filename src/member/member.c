/* member.c - creating, starting and stopping a member. */
#include "member/member.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "memgrid.h"
#include "map/listener_remote.h"
#include "map/listeners.h"
#include "map/map.h"
#include "map/memory.h"
#include "member/cluster.h"
#include "member/multicast.h"
#include "net/conn.h"
#include "net/listener.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/rand.h"

const char *mg_version(void) { return MG_VERSION; }

const char *mg_strerror(int err)
{
    switch (err) {
    case MG_OK: return "success";
    case MG_EINVAL_CONFIG: return "invalid configuration";
    case MG_EBIND: return "cannot bind the member's port";
    case MG_ESYS: return "system resource failure";
    case MG_ESTATE: return "not valid in the member's current state";
    case MG_EDISCOVERY: return "cannot start the configured discovery (multicast)";
    default: return "unknown error";
    }
}

int mg_member_create(const mg_member_options *opts, mg_member **out)
{
    mg_member *m = mg_xcalloc(1, sizeof *m);
    mg_log_init(&m->log, "memgrid");
    mg_config_defaults(&m->cfg);
    if (opts && opts->config_path &&
        mg_config_load_file(&m->cfg, opts->config_path, NULL, NULL) != 0) {
        mg_config_free(&m->cfg);
        free(m);
        return MG_EINVAL_CONFIG;
    }
    if (opts && opts->port >= 0)
        m->cfg.port = opts->port;
    snprintf(m->host, sizeof m->host, "%s",
             opts && opts->host ? opts->host
                                : (m->cfg.interface_host ? m->cfg.interface_host : "127.0.0.1"));
    /* One worker unless configured: a request handed between workers costs
     * more than it runs (ADR 0002). */
    int workers = opts && opts->workers > 0 ? opts->workers : m->cfg.io_threads;
    if (workers <= 0)
        workers = 1;
    if (workers > m->cfg.partition_count)
        workers = m->cfg.partition_count;
    m->nworkers = workers;
    m->partition_count = m->cfg.partition_count;
    m->max_message = m->cfg.client_max_message_bytes;
    m->memory = mg_memory_new(m->cfg.memory_max_bytes > 0 ? m->cfg.memory_max_bytes : mg_memory_default_limit(),
                              workers);
    m->listen_fd = -1;
    m->multicast_fd = -1;
    pthread_mutex_init(&m->maps_lock, NULL);
    pthread_mutex_init(&m->clients_lock, NULL);
    mg_bmap_init(&m->maps);
    mg_bmap_init(&m->clients);
    *out = m;
    return MG_OK;
}

int mg_member_port(const mg_member *m) { return m->port; }

int mg_member_start(mg_member *m)
{
    if (m->workers)
        return MG_ESTATE;
    m->started_mono_ns = mg_clock_mono_ns();
    if (m->cfg.join.multicast_enabled) {
        char why[256];
        m->multicast_fd = mg_multicast_open(&m->cfg, m->host, why, sizeof why);
        if (m->multicast_fd < 0) {
            MG_ERROR(&m->log, "network.join.multicast is enabled, but multicast discovery cannot start: %s", why);
            return MG_EDISCOVERY;
        }
    }
    int count = m->cfg.port_auto_increment ? m->cfg.port_count : 1;
    int rc = mg_listener_bind(m, m->host, m->cfg.port, count);
    if (rc < 0) {
        MG_ERROR(&m->log, "cannot listen on %s:%d%s: %s", m->host, m->cfg.port,
                 count > 1 ? " (and the next ports)" : "", strerror(-rc));
        return MG_EBIND;
    }
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%.63s:%d", m->host, m->port);
    mg_log_init(&m->log, prefix);
    m->workers = mg_xcalloc((size_t)m->nworkers, sizeof *m->workers);
    for (int i = 0; i < m->nworkers; i++) {
        if (mg_worker_init(&m->workers[i], m, i) != 0)
            return MG_ESYS;
    }
    mg_listener_start(&m->workers[0]);   /* before the loop runs: no race */
    m->cluster = mg_cluster_new(m);
    mg_cluster_start(m->cluster);        /* likewise: its timer and links are worker 0's */
    for (int i = 0; i < m->nworkers; i++) {
        if (mg_worker_run(&m->workers[i]) != 0)
            return MG_ESYS;
    }
    double ms = (double)(mg_clock_mono_ns() - m->started_mono_ns) / 1e6;
    MG_INFO(&m->log, "member of cluster '%s' listening on %s:%d with %d workers, %d partitions "
            "(config: %s; started in %.1f ms)", m->cfg.cluster_name, m->host, m->port, m->nworkers,
            m->partition_count, m->cfg.source_path ? m->cfg.source_path : "built-in defaults", ms);
    MG_INFO(&m->log, "memory limit for map data: %lld MiB (%s)", (long long)(m->memory->limit >> 20),
            m->cfg.memory_max_bytes > 0 ? "memgrid.memory.max-size"
                                        : "70% of the machine's or cgroup's memory; set memgrid.memory.max-size");
    return MG_OK;
}

/* --- stopping ----------------------------------------------------------------
 * Phase 1 closes every connection and the listener, so no new work arrives;
 * once the tasks already in flight have run, phase 2 frees each worker's
 * partitions on its own thread and ends its loop. */

typedef struct stop_task {
    mg_task base;
    int phase;
} stop_task;

static void run_stop(mg_worker *w, mg_task *t)
{
    int phase = ((stop_task *)t)->phase;
    free(t);
    if (phase == 1) {
        w->stopping = true;
        if (w->idx == 0)
            mg_listener_stop(w);
        mg_conn_close_all(w);
        return;
    }
    if (w->idx == 0)
        mg_cluster_stop(w);
    uv_timer_stop(&w->sweep);
    mg_map_worker_release(w);
    mg_listener_remote_free(w);
    mg_listeners_free(w);
    uv_stop(&w->loop);
}

static void post_phase(mg_member *m, int phase)
{
    for (int i = 0; i < m->nworkers; i++) {
        stop_task *t = mg_xmalloc(sizeof *t);
        t->base.run = run_stop;
        t->phase = phase;
        mg_worker_post(&m->workers[i], &t->base);
    }
}

void mg_member_stop(mg_member *m)
{
    if (!m->workers || atomic_exchange(&m->stopping, true))
        return;
    MG_INFO(&m->log, "stopping");
    /* Hand the partitions over first: the backups take them, and the
     * clients follow the new table (bounded, then we stop anyway). */
    if (!mg_cluster_leave(m, 60000))
        MG_WARN(&m->log, "the cluster did not confirm the leave in 60 s; stopping anyway");
    post_phase(m, 1);
    /* bounded wait for quiet: every task posted before or by phase 1 has run */
    for (int i = 0; i < 2000 && atomic_load(&m->tasks_in_flight) > 0; i++)
        usleep(1000);
    post_phase(m, 2);
    for (int i = 0; i < m->nworkers; i++)
        mg_worker_join(&m->workers[i]);
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    m->listen_fd = -1;
    if (m->multicast_fd >= 0)
        close(m->multicast_fd);
    m->multicast_fd = -1;
    MG_INFO(&m->log, "stopped");
}

void mg_member_destroy(mg_member *m)
{
    if (!m)
        return;
    mg_member_stop(m);
    free(m->workers);
    mg_cluster_free(m->cluster);
    mg_map_registry_free(m);
    mg_memory_free(m->memory);   /* after every store: entries live in its heaps */
    mg_bmap_free(&m->clients);
    pthread_mutex_destroy(&m->maps_lock);
    pthread_mutex_destroy(&m->clients_lock);
    mg_config_free(&m->cfg);
    free(m);
}

/* --- clients ------------------------------------------------------------------ */

void mg_member_client_join(mg_member *m, const mg_uuid *client)
{
    pthread_mutex_lock(&m->clients_lock);
    uintptr_t n = (uintptr_t)mg_bmap_get(&m->clients, client, 16);
    mg_bmap_put(&m->clients, client, 16, (void *)(n + 1));
    pthread_mutex_unlock(&m->clients_lock);
}

unsigned mg_member_client_leave(mg_member *m, const mg_uuid *client)
{
    pthread_mutex_lock(&m->clients_lock);
    uintptr_t n = (uintptr_t)mg_bmap_get(&m->clients, client, 16);
    if (n <= 1)
        mg_bmap_remove(&m->clients, client, 16);
    else
        mg_bmap_put(&m->clients, client, 16, (void *)(n - 1));
    pthread_mutex_unlock(&m->clients_lock);
    return n <= 1 ? 0 : (unsigned)(n - 1);
}
