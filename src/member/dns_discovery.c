/* dns_discovery.c - discovery through DNS (dns_discovery.h). */
#include "member/dns_discovery.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/clock.h"

#define NAMESPACE_FILE "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

struct mg_dns_discovery {
    uv_loop_t *loop;
    uv_getaddrinfo_t req;
    mg_log *log;
    mg_dns_found_fn found;
    void *ctx;
    char name[512];
    uint16_t port;
    int64_t timeout_ms;        /* service-dns-timeout: a slower lookup is reported */
    bool busy, closing;
    int64_t started_ms, next_ms;
    int last_error;            /* logged once per distinct error */
    int last_count;            /* addresses in the last answer, logged when it changes */
};

/* The pod's namespace when the configuration names none: the service
 * account's file, as every pod has it, else "default". */
static void pod_namespace(char *out, size_t cap)
{
    snprintf(out, cap, "default");
    FILE *f = fopen(NAMESPACE_FILE, "r");
    if (!f)
        return;
    char line[256];
    if (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \r\n")] = '\0';
        if (line[0])
            snprintf(out, cap, "%s", line);
    }
    fclose(f);
}

mg_dns_discovery *mg_dns_discovery_new(uv_loop_t *loop, const mg_config *cfg, const mg_cl_addr *self, mg_log *log,
                                       mg_dns_found_fn found, void *ctx)
{
    mg_dns_discovery *d = mg_xcalloc(1, sizeof *d);
    d->loop = loop;
    d->log = log;
    d->found = found;
    d->ctx = ctx;
    d->req.data = d;
    d->port = (uint16_t)(cfg->join.k8s_service_port ? cfg->join.k8s_service_port : self->port);
    /* Other pods reach this one at the address it announces: a loopback
     * one (memgrid's default bind) cannot work across pods. */
    struct in_addr a4;
    if (strcmp(self->host, "localhost") == 0 || strcmp(self->host, "::1") == 0 ||
        (inet_pton(AF_INET, self->host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127))
        MG_WARN(log, "kubernetes discovery: this member listens on %s, which other pods cannot reach; start it "
                "with --host set to the pod's address (e.g. --host $(POD_IP))", self->host);
    d->timeout_ms = (int64_t)cfg->join.k8s_dns_timeout_seconds * 1000;
    d->last_count = -1;
    if (cfg->join.k8s_service_dns) {
        snprintf(d->name, sizeof d->name, "%s", cfg->join.k8s_service_dns);
        MG_INFO(log, "kubernetes discovery: looking up %s (port %u)", d->name, (unsigned)d->port);
    } else {
        char ns[256];
        if (cfg->join.k8s_namespace)
            snprintf(ns, sizeof ns, "%s", cfg->join.k8s_namespace);
        else
            pod_namespace(ns, sizeof ns);
        snprintf(d->name, sizeof d->name, "%s.%s.svc.cluster.local", cfg->join.k8s_service_name, ns);
        MG_INFO(log, "kubernetes discovery: service-name '%s' is looked up in DNS as %s (port %u); memgrid "
                "does not use the Kubernetes API, so the service must be headless", cfg->join.k8s_service_name,
                d->name, (unsigned)d->port);
    }
    return d;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    mg_dns_discovery *d = req->data;
    d->busy = false;
    if (d->closing) {
        uv_freeaddrinfo(res);
        free(d);
        return;
    }
    int64_t took = mg_clock_mono_ns() / 1000000 - d->started_ms;
    if (took > d->timeout_ms)
        MG_WARN(d->log, "kubernetes discovery: looking up %s took %lld ms, more than service-dns-timeout "
                "(%lld ms)", d->name, (long long)took, (long long)d->timeout_ms);
    if (status != 0) {
        if (status != d->last_error)
            MG_WARN(d->log, "kubernetes discovery: looking up %s: %s (asking again every heartbeat)", d->name,
                    uv_strerror(status));
        d->last_error = status;
        d->last_count = 0;
        return;
    }
    d->last_error = 0;
    int n = 0;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char host[INET6_ADDRSTRLEN] = "";
        if (ai->ai_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, host, sizeof host);
        else if (ai->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, host, sizeof host);
        mg_cl_addr a;
        if (!host[0] || !mg_cl_addr_set(&a, host, d->port))
            continue;
        n++;
        d->found(d->ctx, &a);
    }
    if (n != d->last_count)
        MG_INFO(d->log, "kubernetes discovery: %s has %d address%s", d->name, n, n == 1 ? "" : "es");
    d->last_count = n;
    uv_freeaddrinfo(res);
}

void mg_dns_discovery_tick(mg_dns_discovery *d, bool joining, int64_t now_ms, int64_t interval_ms)
{
    if (!joining || d->busy || now_ms < d->next_ms)
        return;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    d->started_ms = mg_clock_mono_ns() / 1000000;
    d->next_ms = now_ms + interval_ms;
    int rc = uv_getaddrinfo(d->loop, &d->req, on_resolved, d->name, NULL, &hints);
    if (rc != 0) {
        if (rc != d->last_error)
            MG_WARN(d->log, "kubernetes discovery: cannot look up %s: %s", d->name, uv_strerror(rc));
        d->last_error = rc;
        return;
    }
    d->busy = true;
}

void mg_dns_discovery_close(mg_dns_discovery *d)
{
    if (!d)
        return;
    if (!d->busy) {
        free(d);
        return;
    }
    d->closing = true;
    uv_cancel((uv_req_t *)&d->req);   /* the callback runs either way, and frees */
}
