/* pacer.c - timerfd-driven open-loop schedule; see pacer.h. */
#include "pacer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MIN_TICK_NS 50000
#define MAX_TICK_NS 1000000

static void on_tick(uv_poll_t *h, int status, int events)
{
    bpacer *p = h->data;
    uint64_t expirations;
    (void)events;
    if (status < 0)
        return;
    /* Drain the counter; missed ticks need no replay because the schedule
     * is computed from the clock, not from the tick count. */
    if (read(p->fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->fn(p, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

int bpacer_init(bpacer *p, uv_loop_t *loop, double rate, bpacer_fn fn, void *owner)
{
    memset(p, 0, sizeof *p);
    p->rate = rate;
    p->fn = fn;
    p->owner = owner;
    p->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (p->fd < 0) {
        fprintf(stderr, "memgrid-bench: timerfd_create: %s\n", strerror(errno));
        return -1;
    }
    /* The default 50 us timer slack would add up to 50 us to every tick. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    if (uv_poll_init(loop, &p->poll, p->fd) != 0) {
        close(p->fd);
        fprintf(stderr, "memgrid-bench: uv_poll_init on a timerfd failed\n");
        return -1;
    }
    p->poll.data = p;
    return 0;
}

void bpacer_start(bpacer *p, int64_t start)
{
    p->start = start;
    p->issued = 0;
    double tick = 1e9 / p->rate;
    if (tick < MIN_TICK_NS)
        tick = MIN_TICK_NS;
    if (tick > MAX_TICK_NS)
        tick = MAX_TICK_NS;
    struct itimerspec its = { 0 };
    its.it_interval.tv_nsec = (long)tick;
    its.it_value.tv_nsec = (long)tick;
    timerfd_settime(p->fd, 0, &its, NULL);
    uv_poll_start(&p->poll, UV_READABLE, on_tick);
}

void bpacer_stop(bpacer *p)
{
    struct itimerspec off = { 0 };
    timerfd_settime(p->fd, 0, &off, NULL);
    uv_poll_stop(&p->poll);
}

static void on_poll_closed(uv_handle_t *h)
{
    bpacer *p = h->data;
    close(p->fd);
    p->fd = -1;
}

void bpacer_close(bpacer *p)
{
    bpacer_stop(p);
    /* The fd must stay open until libuv has let go of it. */
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

uint64_t bpacer_due(const bpacer *p, int64_t now)
{
    if (now < p->start)
        return 0;
    return (uint64_t)((double)(now - p->start) * p->rate / 1e9) + 1;
}
