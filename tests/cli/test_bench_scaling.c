/* test_bench_scaling.c — bench_ed25519_verify_scaling (cmd/lib/bench_crypto.c):
 * the one-core and all-cores verify rates `hansa bench` prints beside its
 * bound, and two such measurements pooled. The threads must run and
 * verify, the figures must be sane numbers; nothing here compares a rate
 * with a time (the machine may be busy). The all-cores rate's formula
 * (bench_span_rate) and the pooling are pinned on made-up figures. */
#include <math.h>
#include <stdbool.h>

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

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * fabs(b); }

/* Two measurements pooled read as one long one: operations over summed
 * times (`hansa bench` pools its samples before and after the window), not
 * the mean of the two rates, which would weigh a short sample as a long
 * one. Synthetic figures: this checks the arithmetic, not the machine. */
static void test_pool(void) {
    bench_verify_scaling a = {.threads = 2, .one_ops = 1000, .all_ops = 3000, .all_min_ops = 1400,
                              .one_wall_us = 50000, .one_cpu_us = 40000, .all_span_us = 80000,
                              .all_cpu_us = 150000};
    bench_verify_scaling b = {.threads = 2, .one_ops = 3000, .all_ops = 5000, .all_min_ops = 2400,
                              .one_wall_us = 100000, .one_cpu_us = 100000, .all_span_us = 120000,
                              .all_cpu_us = 250000};
    bench_verify_scaling_pool(&a, &b);
    CHECK(a.one_ops == 4000 && a.all_ops == 8000 && a.all_min_ops == 1400);
    CHECK(near(a.one_per_s, 4000 / 0.15));     /* not (20,000 + 30,000) / 2 */
    CHECK(near(a.one_per_cpu_s, 4000 / 0.14));
    CHECK(near(a.all_per_s, 8000 / 0.2));
    CHECK(near(a.all_per_cpu_s, 8000 / 0.4));
    CHECK(near(a.factor, a.all_per_s / (2 * a.one_per_s)));
    CHECK(near(a.cpu_factor, a.all_per_cpu_s / a.one_per_cpu_s));
}

/* A real measurement pooled with itself keeps its rates. */
static void test_pool_same(void) {
    bench_verify_scaling v, twice;
    bench_ed25519_verify_scaling(2, 5, 1, &v);
    twice = v;
    bench_verify_scaling_pool(&twice, &v);
    CHECK(twice.one_ops == 2 * v.one_ops && twice.all_ops == 2 * v.all_ops);
    CHECK(near(twice.one_per_s, v.one_per_s) && near(twice.all_per_s, v.all_per_s));
    CHECK(near(twice.one_per_cpu_s, v.one_per_cpu_s) && near(twice.all_per_cpu_s, v.all_per_cpu_s));
}

/* Two threads run 0..1000 us, 1000 verifications each; a third starts late,
 * at 900 us, and runs mostly alone until 1900 us, doing 1900. Each thread's
 * own rate summed reads 3.9 million/s: the late one's window was an idle
 * machine's. All their work took the machine 1900 us: 3900 / 1900 us. The
 * late thread is not the first of the array, nor the first start. */
static void test_span_late_thread(void) {
    bench_run runs[3] = {{100900, 101900, 1900}, {100000, 101000, 1000}, {100000, 101000, 1000}};
    double summed = 0;
    for (int i = 0; i < 3; i++)
        summed += (double)runs[i].ops * 1e6 / (double)(runs[i].to_us - runs[i].from_us);
    CHECK(near(summed, 3.9e6));
    double rate = bench_span_rate(runs, 3, 1);
    CHECK(near(rate, 3900.0 * 1e6 / 1900.0));
    CHECK(rate < summed);
}

/* Slices add their verifications and their spans: 2000 in a 1000 us slice
 * and 3000 in a 3000 us one are 5000 / 4000 us, not the mean of the
 * slices' rates (1.5 million/s). A slice with no span counts 1 us. */
static void test_span_slices(void) {
    bench_run runs[4] = {{0, 1000, 1000}, {0, 1000, 1000}, {5000, 8000, 1000}, {5000, 7000, 2000}};
    CHECK(near(bench_span_rate(runs, 2, 2), 1.25e6));
    bench_run none[2] = {{7, 7, 3}, {7, 7, 2}};
    CHECK(near(bench_span_rate(none, 2, 1), 5e6));
}

int main(void) {
    crypto_init();
    RUN(test_all_cores);
    RUN(test_thread_counts);
    RUN(test_pool);
    RUN(test_pool_same);
    RUN(test_span_late_thread);
    RUN(test_span_slices);
    return check_summary();
}
