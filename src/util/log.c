#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void mg_log_init(mg_log *l, const char *prefix)
{
    snprintf(l->prefix, sizeof l->prefix, "%s", prefix ? prefix : "");
    l->min_level = MG_LOG_INFO;
}

void mg_logf(const mg_log *l, mg_log_level lvl, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (l && lvl < l->min_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            names[lvl], l ? l->prefix : "memgrid", msg);
}
