/* clock.c — the system clock, the one place base/ reads the OS time. */
#include "base/clock.h"

#include <time.h>

static uint64_t read_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t sys_wall_ms(void *ctx) {
    (void)ctx;
    return read_ns(CLOCK_REALTIME) / 1000000u;
}

static uint64_t sys_mono_ms(void *ctx) {
    (void)ctx;
    return read_ns(CLOCK_MONOTONIC) / 1000000u;
}

uint64_t clock_system_mono_us(void) { return read_ns(CLOCK_MONOTONIC) / 1000u; }
uint64_t clock_thread_cpu_us(void) { return read_ns(CLOCK_THREAD_CPUTIME_ID) / 1000u; }
uint64_t clock_process_cpu_us(void) { return read_ns(CLOCK_PROCESS_CPUTIME_ID) / 1000u; }

const hansa_clock hansa_clock_system = {sys_wall_ms, sys_mono_ms, NULL};
