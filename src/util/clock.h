/* clock.h - time sources.  Entry times are wall-clock milliseconds because
 * clients see them (GetEntryView); deadlines inside the member use the
 * monotonic clock. */
#ifndef MG_UTIL_CLOCK_H
#define MG_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t mg_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t mg_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
