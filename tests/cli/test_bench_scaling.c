/* test_bench_scaling.c — bench_ed25519_verify_scaling (cmd/lib/bench_crypto.c):
 * the one-core and all-cores verify rates `hansa bench` prints beside its
 * bound. The threads must run and verify, the figures must be sane numbers;
 * nothing here compares a rate with a time (the machine may be busy). */
#include <math.h>

#include "check.h"
#include "cmd/lib/bench_crypto.h"
#include "crypto/sign.h"

/* Each thread verifies at least one batch of 20 per slice, however busy the
 * machine: so every one of the threads asked for ran. */
static void check_sane(const bench_verify_scaling *v, int threads, int slices) {
    CHECK(v->threads == threads);
    CHECK(v->one_ops >= 20u * (uint64_t)slices);
    CHECK(v->all_min_ops >= 20u * (uint64_t)slices);
    CHECK(v->all_ops >= v->all_min_ops * (uint64_t)threads);
    CHECK(v->one_per_s > 0 && isfinite(v->one_per_s));
    CHECK(v->one_per_cpu_s > 0 && isfinite(v->one_per_cpu_s));
    CHECK(v->all_per_s > 0 && isfinite(v->all_per_s));
    CHECK(v->all_per_cpu_s > 0 && isfinite(v->all_per_cpu_s));
    CHECK(v->factor > 0 && isfinite(v->factor));
    CHECK(v->cpu_factor > 0 && isfinite(v->cpu_factor));
}

/* Every core this process may use, as `hansa bench` runs it. */
static void test_all_cores(void) {
    int c = bench_cores();
    CHECK(c >= 1);
    bench_verify_scaling v;
    bench_ed25519_verify_scaling(c, 5, 2, &v);
    check_sane(&v, c, 2);
}

/* More threads than cores, and one: both still count every thread's work. */
static void test_thread_counts(void) {
    bench_verify_scaling v;
    bench_ed25519_verify_scaling(1, 5, 1, &v);
    check_sane(&v, 1, 1);
    bench_ed25519_verify_scaling(3, 5, 1, &v);
    check_sane(&v, 3, 1);
}

int main(void) {
    crypto_init();
    RUN(test_all_cores);
    RUN(test_thread_counts);
    return check_summary();
}
