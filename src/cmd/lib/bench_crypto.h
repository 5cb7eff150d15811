/* bench_crypto.h — `hansa bench-crypto`: the machine's SHA-256 and Ed25519 rates.
 *
 * These rates are the yardsticks other benchmarks divide by (DESIGN.md
 * section 12: committed tx/s over the Ed25519 verify rate), and the figures
 * behind the SHA-256 backend choice in docs/crypto.md. */
#ifndef HANSA_CMD_BENCH_CRYPTO_H
#define HANSA_CMD_BENCH_CRYPTO_H

#include <stdint.h>

/* Runs the benchmark on one core and prints a table to stdout. argv[0] is
 * the subcommand name; the one option is `--ms N` (time per figure, default
 * 1000). Returns 0, or 2 on a usage error (message on stderr). */
int cmd_bench_crypto(int argc, char **argv);

/* Ed25519 verifications per second on this core (libsodium, under the tx
 * domain), measured for about ms milliseconds (> 0) on 256 transfers signed
 * by 256 keys, verified in turn as a node verifies the transactions it
 * admits (the first call also signs them, untimed). The yardstick `hansa
 * bench` divides committed tx/s by. Thread-safe. */
double bench_ed25519_verify_rate(uint64_t ms);

/* The same, and *per_cpu_s (if not NULL) the rate per second of this
 * thread's CPU time: what one core does when it runs the verifier alone,
 * which other processes on a shared machine do not lower as they lower the
 * rate per second of wall time. */
double bench_ed25519_verify_rates(uint64_t ms, double *per_cpu_s);

/* The cores this process may run on (its CPU affinity, else the online
 * count): the C of `hansa bench`'s bound. */
int bench_cores(void);

/* One core's verify rate beside every core's at once: whether C cores
 * verifying together do C times what one does alone (shared physical
 * cores, caches, memory bandwidth and host clocks say they need not). */
typedef struct {
    int threads;          /* C: the threads verifying at once */
    uint64_t one_ops;     /* verifications, one thread alone */
    uint64_t all_ops;     /* verifications, all threads together */
    uint64_t all_min_ops; /* ... by the thread that verified fewest */
    double one_per_s;     /* one thread alone, per second of wall time */
    double one_per_cpu_s; /* ... per second of its CPU time */
    double all_per_s;     /* all threads: their verifications per second of the slices' spans */
    double all_per_cpu_s; /* ... per second of their summed thread CPU time */
    double factor;        /* F = all_per_s / (threads x one_per_s) */
    /* all_per_cpu_s / one_per_cpu_s: what a second of a core's CPU
     * verifies with all verifying against alone. Below 1, the cores slow
     * each other (shared physical core, caches, memory, host clock);
     * F below it, something else took the cores' wall time (other
     * processes, the host). */
    double cpu_factor;
    /* What the rates above are made of: one thread's wall and CPU time over
     * its slices, the all-thread slices' spans and their threads' CPU
     * summed (so that two measurements pool: bench_verify_scaling_pool). */
    uint64_t one_wall_us, one_cpu_us, all_span_us, all_cpu_us;
} bench_verify_scaling;

/* One thread's run in one slice of the all-cores measurement: monotonic us
 * from its start to its end, and its verifications. */
typedef struct {
    uint64_t from_us, to_us, ops;
} bench_run;

/* all_per_s from the runs of `threads` threads in each of `slices` slices
 * (runs[s x threads + i]: thread i in slice s): all their verifications over
 * the slices' spans, each from its first start to its last end (the wall
 * time the machine took for all of that slice's work), not each thread's
 * ops over its own window summed: a thread that started late and ran partly
 * alone would read an idle machine's rate, and the sum would credit it to
 * all cores. A zero span counts as 1 us. */
double bench_span_rate(const bench_run *runs, int threads, int slices);

/* Measures it: `slices` (>= 1) rounds of one slice of slice_ms (> 0) with
 * one thread verifying alone, then one with `threads` (>= 1) verifying at
 * once, each thread verifying the 256 transfers of
 * bench_ed25519_verify_rates in turn, timed in wall time. The slices
 * alternate (one, all, all, one, ...) so that a change of load on a shared
 * machine falls on both figures alike; so F sees how the cores slow each
 * other within a slice, not what a load sustained for seconds would do to
 * the host's clock. Every thread verifies at least 20 per slice. Takes
 * about 2 x slices x slice_ms. */
void bench_ed25519_verify_scaling(int threads, uint64_t slice_ms, int slices,
                                  bench_verify_scaling *out);

/* Adds the measurement *more (same threads) to *into, as if its slices had
 * been into's: operations and times summed, every rate taken again from
 * the sums (all_min_ops: the smaller of the two, a per-measurement floor). `hansa bench` measures once before its load and once after the
 * window and bounds the window by the two pooled: the host's speed drifts
 * on a shared machine, and a sample on each side brackets the window. */
void bench_verify_scaling_pool(bench_verify_scaling *into, const bench_verify_scaling *more);

#endif
