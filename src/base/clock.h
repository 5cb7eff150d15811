/* clock.h — time as an input.
 *
 * Protocol code (consensus, ledger, node logic) never reads a clock: it is
 * handed the current time through this interface, so the simulator can drive
 * it with simulated time and the node with the real one. */
#ifndef HANSA_BASE_CLOCK_H
#define HANSA_BASE_CLOCK_H

#include <stdint.h>

typedef struct hansa_clock {
    /* Milliseconds since the Unix epoch (wall) — may jump; use for block time. */
    uint64_t (*wall_ms)(void *ctx);
    /* Monotonic milliseconds from an arbitrary origin; use for timeouts. */
    uint64_t (*mono_ms)(void *ctx);
    void *ctx;
} hansa_clock;

/* The operating system's clocks. Only the I/O layers and cmd/ should use it. */
extern const hansa_clock hansa_clock_system;

static inline uint64_t clock_wall_ms(const hansa_clock *c) { return c->wall_ms(c->ctx); }
static inline uint64_t clock_mono_ms(const hansa_clock *c) { return c->mono_ms(c->ctx); }

/* Monotonic microseconds from the OS, for measuring durations in benchmarks. */
uint64_t clock_system_mono_us(void);
/* CPU time (user + system) in microseconds of the calling thread, or of
 * the whole process: what a benchmark spent, whatever share of a core a
 * shared machine gave it. */
uint64_t clock_thread_cpu_us(void);
uint64_t clock_process_cpu_us(void);

#endif
