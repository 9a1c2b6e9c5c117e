/* report.c - merging per-thread statistics and printing them. */
#include "report.h"

#include <string.h>

void bresult_collect(bresult *r, const brun *run)
{
    memset(r, 0, sizeof *r);
    r->o = run->o;
    bhist_init(&r->all);
    bhist_init(&r->lag);
    for (int i = 0; i < BOP_N; i++)
        bhist_init(&r->per_op[i]);
    double window_sum = 0;
    int windows = 0;
    for (int t = 0; t < run->nthreads; t++) {
        const bdriver *d = &run->drivers[t];
        const bstats *s = &d->st;
        if (d->failed && !r->failed) {
            r->failed = true;
            snprintf(r->fail_why, sizeof r->fail_why, "%s", d->fail_why);
        }
        if (s->first_error[0] && !r->first_error[0])
            snprintf(r->first_error, sizeof r->first_error, "%s", s->first_error);
        for (int k = 0; k < s->nerror_kinds; k++)
            berr_count(r->error_kinds, &r->nerror_kinds, s->error_kinds[k].text, s->error_kinds[k].count);
        uint64_t thread_ops = 0;
        for (int i = 0; i < BOP_N; i++) {
            r->ops[i] += s->ops[i];
            thread_ops += s->ops[i];
            bhist_merge(&r->per_op[i], &s->hist[i]);
            bhist_merge(&r->all, &s->hist[i]);
        }
        r->ops_total += thread_ops;
        bhist_merge(&r->lag, &s->lag);
        if (s->t_measure_end > s->t_measure_start) {
            double w = (double)(s->t_measure_end - s->t_measure_start) / 1e9;
            /* Threads measure over the same instants give or take a
             * millisecond, so summing per-thread rates is exact enough
             * and copes with --ops ending threads at different times. */
            r->ops_per_s += (double)thread_ops / w;
            window_sum += w;
            windows++;
        }
        r->errors += s->errors;
        r->lost += s->lost;
        r->misses += s->misses;
        r->unexpected += s->unexpected;
        r->overload += s->overload;
        r->loaded += s->loaded;
        if ((double)s->load_ns / 1e9 > r->load_s)
            r->load_s = (double)s->load_ns / 1e9;
    }
    r->window_s = windows ? window_sum / windows : 0;
    memcpy(r->server_version, run->server_version, sizeof r->server_version);
    r->members = run->members;
    r->client_cpu_s = run->client_cpu[1] - run->client_cpu[0];
    r->machine_cores = bproc_machine_cores(&run->machine[0], &run->machine[1]);
    r->server_cpu_s = run->o->server_pid ? run->server_cpu[1] - run->server_cpu[0] : -1;
    r->rss_loaded_kb = run->rss_loaded_kb;
    r->rss_end_kb = run->rss_end_kb;
}

int bresult_exit_code(const bresult *r)
{
    if (r->failed)
        return 2;
    if (r->errors || r->lost || r->unexpected || r->overload || r->ops_total == 0)
        return 1;
    return 0;
}

static double us(int64_t ns) { return (double)ns / 1000.0; }

static const double PCTS[] = { 50, 90, 99, 99.9 };
static const char *const PCT_NAMES[] = { "p50", "p90", "p99", "p999" };
#define NPCTS 4

static void text_latency(FILE *f, const char *name, const bhist *h)
{
    fprintf(f, "  %-6s %10llu ops  p50 %8.1f  p90 %8.1f  p99 %8.1f  p99.9 %8.1f  max %9.1f  mean %8.1f\n",
            name, (unsigned long long)h->count, us(bhist_percentile(h, 50)),
            us(bhist_percentile(h, 90)), us(bhist_percentile(h, 99)),
            us(bhist_percentile(h, 99.9)), us(h->max), bhist_mean(h) / 1000.0);
}

static void mix_text(const bopts *o, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < BOP_N; i++)
        if (o->mix[i] && at < n)
            at += (size_t)snprintf(out + at, n - at, "%s%s:%u", at ? "," : "", bop_names[i],
                                   o->mix[i]);
}

void bresult_print_text(const bresult *r, FILE *f)
{
    const bopts *o = r->o;
    char mix[96];
    mix_text(o, mix, sizeof mix);
    if (o->proto != BPROTO_HAZELCAST)
        fprintf(f, "memgrid-bench%s%s: %s:%d, %s protocol\n", o->label ? " " : "",
                o->label ? o->label : "", o->host, o->port, bproto_names[o->proto]);
    else
        fprintf(f, "memgrid-bench%s%s: %s:%d, server version %s, %d member(s)%s\n",
                o->label ? " " : "", o->label ? o->label : "", o->host, o->port,
                r->server_version[0] ? r->server_version : "?", r->members,
                o->smart ? ", smart routing" : ", unisocket");
    fprintf(f, "workload: %s, %u keys %s, value %u B, %d thread(s) x %d connection(s)/member, ",
            mix, o->keys, o->dist == BDIST_ZIPFIAN ? "zipfian" : "uniform", o->value_size,
            o->threads, o->conns);
    if (o->rate > 0)
        fprintf(f, "open loop at %.0f ops/s\n", o->rate);
    else
        fprintf(f, "closed loop, %d in flight per connection\n", o->depth);
    if (r->failed)
        fprintf(f, "FAILED: %s\n", r->fail_why);
    if (o->load)
        fprintf(f, "load: %llu keys set in %.2f s\n", (unsigned long long)r->loaded, r->load_s);
    fprintf(f, "measured %.2f s: %llu ops, %.0f ops/s; errors %llu, lost %llu, unexpected %llu, "
               "overload %llu, misses %llu\n",
            r->window_s, (unsigned long long)r->ops_total, r->ops_per_s,
            (unsigned long long)r->errors, (unsigned long long)r->lost,
            (unsigned long long)r->unexpected, (unsigned long long)r->overload,
            (unsigned long long)r->misses);
    if (r->first_error[0])
        fprintf(f, "first error: %s\n", r->first_error);
    for (int k = 0; k < r->nerror_kinds; k++)
        fprintf(f, "  %8llu x %s\n", (unsigned long long)r->error_kinds[k].count, r->error_kinds[k].text);
    fprintf(f, "latency (us)%s:\n", o->rate > 0 ? ", from each request's scheduled time" : "");
    text_latency(f, "all", &r->all);
    for (int i = 0; i < BOP_N; i++)
        if (r->per_op[i].count)
            text_latency(f, bop_names[i], &r->per_op[i]);
    if (r->lag.count)
        text_latency(f, "lag", &r->lag);   /* the client's own delay, included above */
    if (r->window_s > 0 && r->ops_total) {
        fprintf(f, "client cpu: %.2f cores, %.2f us/op", r->client_cpu_s / r->window_s,
                r->client_cpu_s * 1e6 / (double)r->ops_total);
        if (r->server_cpu_s >= 0)
            fprintf(f, "; server cpu: %.2f cores, %.2f us/op", r->server_cpu_s / r->window_s,
                    r->server_cpu_s * 1e6 / (double)r->ops_total);
        if (r->machine_cores >= 0)
            fprintf(f, "; machine busy: %.2f cores", r->machine_cores);
        fputc('\n', f);
    }
    if (r->rss_loaded_kb > 0)
        fprintf(f, "server rss: %ld KiB after loading, %ld KiB at the end\n", r->rss_loaded_kb,
                r->rss_end_kb);
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_latency(FILE *f, const bhist *h)
{
    fprintf(f, "{\"count\":%llu", (unsigned long long)h->count);
    for (int i = 0; i < NPCTS; i++)
        fprintf(f, ",\"%s_us\":%.3f", PCT_NAMES[i], us(bhist_percentile(h, PCTS[i])));
    fprintf(f, ",\"max_us\":%.3f,\"mean_us\":%.3f}", us(h->count ? h->max : 0),
            bhist_mean(h) / 1000.0);
}

void bresult_print_json(const bresult *r, FILE *f)
{
    const bopts *o = r->o;
    char mix[96];
    mix_text(o, mix, sizeof mix);
    fprintf(f, "{\"tool\":\"memgrid-bench\",\"label\":");
    json_string(f, o->label ? o->label : "");
    fprintf(f, ",\"target\":{\"host\":");
    json_string(f, o->host);
    fprintf(f, ",\"port\":%d,\"protocol\":\"%s\",\"server_version\":", o->port,
            bproto_names[o->proto]);
    json_string(f, r->server_version);
    fprintf(f, ",\"members\":%d,\"smart\":%s}", r->members, o->smart ? "true" : "false");
    fprintf(f, ",\"config\":{\"mix\":\"%s\",\"keys\":%u,\"dist\":\"%s\",\"value_size\":%u,"
               "\"threads\":%d,\"connections_per_member\":%d,\"depth\":%d,\"rate\":%.1f,"
               "\"warmup_s\":%.3f,\"duration_s\":%.3f,\"ops_limit\":%llu}",
            mix, o->keys, o->dist == BDIST_ZIPFIAN ? "zipfian" : "uniform", o->value_size,
            o->threads, o->conns, o->depth, o->rate, o->warmup_s, o->duration_s,
            (unsigned long long)o->ops);
    fprintf(f, ",\"ok\":%s,\"failure\":", bresult_exit_code(r) == 0 ? "true" : "false");
    json_string(f, r->failed ? r->fail_why : "");
    fprintf(f, ",\"first_error\":");
    json_string(f, r->first_error);
    fprintf(f, ",\"error_kinds\":[");
    for (int k = 0; k < r->nerror_kinds; k++) {
        fprintf(f, "%s{\"count\":%llu,\"text\":", k ? "," : "", (unsigned long long)r->error_kinds[k].count);
        json_string(f, r->error_kinds[k].text);
        fputc('}', f);
    }
    fputc(']', f);
    fprintf(f, ",\"loaded\":%llu,\"load_s\":%.3f", (unsigned long long)r->loaded, r->load_s);
    fprintf(f, ",\"window_s\":%.3f,\"ops\":%llu,\"ops_per_s\":%.1f", r->window_s,
            (unsigned long long)r->ops_total, r->ops_per_s);
    fprintf(f, ",\"errors\":%llu,\"lost\":%llu,\"unexpected\":%llu,\"overload\":%llu,"
               "\"misses\":%llu",
            (unsigned long long)r->errors, (unsigned long long)r->lost,
            (unsigned long long)r->unexpected, (unsigned long long)r->overload,
            (unsigned long long)r->misses);
    fprintf(f, ",\"latency\":");
    json_latency(f, &r->all);
    fprintf(f, ",\"per_op\":{");
    bool first = true;
    for (int i = 0; i < BOP_N; i++) {
        if (!r->per_op[i].count)
            continue;
        fprintf(f, "%s\"%s\":", first ? "" : ",", bop_names[i]);
        json_latency(f, &r->per_op[i]);
        first = false;
    }
    double ops = r->ops_total ? (double)r->ops_total : 1.0, win = r->window_s > 0 ? r->window_s : 1.0;
    fprintf(f, "},\"client\":{\"cpu_s\":%.4f,\"cores\":%.3f,\"cpu_us_per_op\":%.4f}",
            r->client_cpu_s, r->client_cpu_s / win, r->client_cpu_s * 1e6 / ops);
    fprintf(f, ",\"machine_cores\":%.3f", r->machine_cores);
    if (r->lag.count) {
        fprintf(f, ",\"schedule_lag\":");
        json_latency(f, &r->lag);
    }
    if (r->server_cpu_s >= 0)
        fprintf(f, ",\"server\":{\"pid\":%d,\"cpu_s\":%.4f,\"cores\":%.3f,\"cpu_us_per_op\":%.4f,"
                   "\"rss_loaded_kb\":%ld,\"rss_end_kb\":%ld}",
                o->server_pid, r->server_cpu_s, r->server_cpu_s / win, r->server_cpu_s * 1e6 / ops,
                r->rss_loaded_kb, r->rss_end_kb);
    fprintf(f, "}\n");
}
