/* memory.c - see memory.h. */
#include "map/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

mg_memory *mg_memory_new(int64_t limit, int nworkers)
{
    mg_memory *m = aligned_alloc(64, (sizeof *m + 63) / 64 * 64);
    if (!m) {
        fprintf(stderr, "memgrid: out of memory\n");
        abort();
    }
    memset(m, 0, sizeof *m);
    m->limit = limit > 0 ? limit : 1;
    m->nworkers = nworkers;
    /* Small enough that the reservations idle workers sit on (at most two
     * chunks each) are a few percent of the limit, big enough that a worker
     * goes to the shared counter once per many writes. */
    int64_t chunk = m->limit / (64 * (int64_t)(nworkers > 0 ? nworkers : 1));
    if (chunk < 64 * 1024)
        chunk = 64 * 1024;
    if (chunk > 4 * 1024 * 1024)
        chunk = 4 * 1024 * 1024;
    m->chunk = chunk;
    size_t bytes = (size_t)nworkers * sizeof(mg_mem_worker);
    m->workers = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!m->workers) {
        fprintf(stderr, "memgrid: out of memory\n");
        abort();
    }
    memset(m->workers, 0, bytes);
    for (int i = 0; i < nworkers; i++) {
        m->workers[i].mem = m;
        m->workers[i].heap = mg_slab_new();
    }
    return m;
}

void mg_memory_free(mg_memory *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nworkers; i++)
        mg_slab_destroy(m->workers[i].heap);
    free(m->workers);
    free(m);
}

bool mg_mem_reserve(mg_mem_worker *w, int64_t growth)
{
    if (growth <= 0)
        return true;
    int64_t held = atomic_load_explicit(&w->held, memory_order_relaxed);
    int64_t need = mg_mem_acct_bytes(&w->used) + growth - held;
    if (need <= 0)
        return true;
    mg_memory *m = w->mem;
    int64_t want = (need + m->chunk - 1) / m->chunk * m->chunk;
    int64_t r = atomic_load_explicit(&m->reserved, memory_order_relaxed);
    for (;;) {
        /* A whole chunk when there is room for it, else just what is needed:
         * the last bytes below the limit stay usable. */
        int64_t take = r + want <= m->limit ? want : need;
        if (r + take > m->limit)
            return false;
        if (atomic_compare_exchange_weak_explicit(&m->reserved, &r, r + take, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            atomic_store_explicit(&w->held, held + take, memory_order_relaxed);
            return true;
        }
    }
}

void mg_mem_note(mg_mem_worker *w, int64_t entries, int64_t bytes)
{
    mg_mem_acct_add(&w->used, entries, bytes);
    if (bytes >= 0)
        return;
    mg_memory *m = w->mem;
    int64_t held = atomic_load_explicit(&w->held, memory_order_relaxed);
    int64_t spare = held - mg_mem_acct_bytes(&w->used);
    if (spare > 2 * m->chunk) {
        int64_t give = spare - m->chunk;
        atomic_fetch_sub_explicit(&m->reserved, give, memory_order_relaxed);
        atomic_store_explicit(&w->held, held - give, memory_order_relaxed);
    }
}

void mg_mem_note_evictable(mg_mem_worker *w, int64_t entries, int64_t bytes)
{
    mg_mem_acct_add(&w->evictable, entries, bytes);
    mg_mem_note(w, entries, bytes);
}

int64_t mg_memory_used(const mg_memory *m)
{
    int64_t s = 0;
    for (int i = 0; i < m->nworkers; i++)
        s += mg_mem_acct_bytes(&m->workers[i].used);
    return s;
}

int64_t mg_memory_entries(const mg_memory *m)
{
    int64_t s = 0;
    for (int i = 0; i < m->nworkers; i++)
        s += mg_mem_acct_entries(&m->workers[i].used);
    return s;
}

uint64_t mg_memory_refused(const mg_memory *m)
{
    uint64_t s = 0;
    for (int i = 0; i < m->nworkers; i++)
        s += atomic_load_explicit(&m->workers[i].refused, memory_order_relaxed);
    return s;
}

/* ---- the default limit ---------------------------------------------------- */

static FILE *open_under(const char *root, const char *path)
{
    char full[4096];
    snprintf(full, sizeof full, "%s%s", root ? root : "", path);
    return fopen(full, "r");
}

int64_t mg_memory_machine_bytes(const char *root)
{
    FILE *f = open_under(root, "/proc/meminfo");
    if (!f)
        return 0;
    char line[256];
    int64_t total = 0;
    while (fgets(line, sizeof line, f)) {
        long long kb;
        if (sscanf(line, "MemTotal: %lld kB", &kb) == 1) {
            total = (int64_t)kb * 1024;
            break;
        }
    }
    fclose(f);
    return total;
}

/* One limit file: a byte count, or "max" / a huge v1 value for none. */
static int64_t read_limit(const char *root, const char *path)
{
    FILE *f = open_under(root, path);
    if (!f)
        return INT64_MAX;
    char buf[64] = {0};
    int64_t v = INT64_MAX;
    if (fgets(buf, sizeof buf, f)) {
        char *end;
        unsigned long long n = strtoull(buf, &end, 10);
        /* cgroup v1 writes "no limit" as a page-rounded LONG_MAX */
        if (end != buf && n > 0 && n < (1ULL << 62))
            v = (int64_t)n;
    }
    fclose(f);
    return v;
}

int64_t mg_memory_cgroup_bytes(const char *root)
{
    FILE *f = open_under(root, "/proc/self/cgroup");
    if (!f)
        return INT64_MAX;
    char line[4096];
    int64_t best = INT64_MAX;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        char path[2048];
        char file[4096];
        snprintf(path, sizeof path, "%s", c2 + 1);
        bool v2 = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
        bool v1 = !v2 && strncmp(c1 + 1, "memory", 6) == 0 && (c1[7] == ':' || c1[7] == ',');
        if (!v2 && !v1)
            continue;
        /* The limit that binds is the smallest on the way up to the root. */
        for (;;) {
            if (v2)
                snprintf(file, sizeof file, "/sys/fs/cgroup%s/memory.max", strcmp(path, "/") ? path : "");
            else
                snprintf(file, sizeof file, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
                         strcmp(path, "/") ? path : "");
            int64_t v = read_limit(root, file);
            if (v < best)
                best = v;
            char *slash = strrchr(path, '/');
            if (!slash || (slash == path && path[1] == '\0'))
                break;
            if (slash == path)
                path[1] = '\0';
            else
                *slash = '\0';
        }
    }
    fclose(f);
    return best;
}

int64_t mg_memory_default_limit(void)
{
    int64_t machine = mg_memory_machine_bytes("");
    int64_t cg = mg_memory_cgroup_bytes("");
    int64_t base = machine > 0 ? machine : INT64_MAX;
    if (cg < base)
        base = cg;
    if (base == INT64_MAX)
        return (int64_t)1 << 30;
    return base / 10 * 7;
}
