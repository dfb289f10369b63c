/* The epoch ticker's clock, shared by _ticker.c (which writes it) and _warmcall.c
 * (whose hot path reads it with no Python): how many ticks the engine's epoch has
 * been advanced, and the CLOCK_MONOTONIC time that count stands for.
 *
 * Why the time: under CPU starvation the ticker wakes up late. It then advances the
 * epoch by every period that went by (so a wall-clock timeout stays one), and a run
 * that sets its deadline before the late wake-up adds the periods already due to it
 * (``clock_due``), so the catch-up does not cut it short. */
#ifndef WASMHOST_CLOCK_H
#define WASMHOST_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_IDLE INT64_MAX /* last_ns while the ticker sleeps: nothing is due */

typedef struct {
    _Atomic uint64_t epoch;  /* ticks so far, counted before their increments */
    _Atomic int64_t last_ns; /* the time ``epoch`` stands for; CLOCK_IDLE when not ticking */
    int64_t period_ns;
} Clock;

static inline int64_t clock_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Whole periods gone by since ``last_ns`` that the ticker has yet to add. */
static inline uint64_t clock_due(Clock *c) {
    int64_t last = atomic_load_explicit(&c->last_ns, memory_order_acquire);
    int64_t now = clock_now_ns();
    return last == CLOCK_IDLE || now <= last ? 0 : (uint64_t)((now - last) / c->period_ns);
}

#endif
