/* pacer.h - open-loop schedule: "request k is due at start + k / rate".
 *
 * libuv timers have millisecond resolution, too coarse for latencies of
 * tens of microseconds, so the pacer wakes the loop with a timerfd every
 * tick (1/rate, at least 50 us, at most 1 ms) and the driver issues every
 * request whose time has come.  Latency is counted from the scheduled time,
 * not from when the request was written, so a stall of the client or the
 * member shows up in the figures instead of silently lowering the rate
 * ("coordinated omission").  The cost: a request may wait up to one tick
 * plus the wake-up latency before it is written, which the figures include.
 *
 * Owner: one driver thread.
 */
#ifndef BENCH_PACER_H
#define BENCH_PACER_H

#include <stdint.h>
#include <uv.h>

typedef struct bpacer bpacer;
/* Called once per tick; issue requests up to bpacer_due(). */
typedef void (*bpacer_fn)(bpacer *p, int64_t now);

struct bpacer {
    uv_poll_t poll;
    int fd;
    double rate;            /* requests per second */
    int64_t start;          /* ns, CLOCK_MONOTONIC */
    uint64_t issued;        /* requests issued since start */
    bpacer_fn fn;
    void *owner;
};

/* Returns 0, or -1 (message on stderr). */
int bpacer_init(bpacer *p, uv_loop_t *loop, double rate, bpacer_fn fn, void *owner);
void bpacer_start(bpacer *p, int64_t start);
void bpacer_stop(bpacer *p);
void bpacer_close(bpacer *p);
/* How many requests are due by now in total, and when request k was due. */
uint64_t bpacer_due(const bpacer *p, int64_t now);
static inline int64_t bpacer_time_of(const bpacer *p, uint64_t k)
{
    return p->start + (int64_t)((double)k * 1e9 / p->rate);
}

#endif
