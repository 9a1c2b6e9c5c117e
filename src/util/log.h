/* log.h - one line per event worth knowing.
 *
 * Lines go to stderr as "2026-11-25T17:09:11.123Z INFO  [127.0.0.1:5701] text".
 * The prefix (the member's address) is per-logger state owned by the member;
 * threads share a logger read-only after start-up, and each line is written
 * with one fprintf so lines from workers do not interleave.
 */
#ifndef MG_UTIL_LOG_H
#define MG_UTIL_LOG_H

#include <stdarg.h>

typedef enum { MG_LOG_DEBUG, MG_LOG_INFO, MG_LOG_WARN, MG_LOG_ERROR } mg_log_level;

typedef struct mg_log {
    char prefix[64];
    mg_log_level min_level;
} mg_log;

void mg_log_init(mg_log *l, const char *prefix);
void mg_logf(const mg_log *l, mg_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define MG_INFO(l, ...) mg_logf((l), MG_LOG_INFO, __VA_ARGS__)
#define MG_WARN(l, ...) mg_logf((l), MG_LOG_WARN, __VA_ARGS__)
#define MG_ERROR(l, ...) mg_logf((l), MG_LOG_ERROR, __VA_ARGS__)
#define MG_DEBUG(l, ...) mg_logf((l), MG_LOG_DEBUG, __VA_ARGS__)

#endif
