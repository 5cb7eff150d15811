/* bench_crypto.c — see bench_crypto.h.
 *
 * Each figure runs its operation in batches until the time per figure has
 * passed, reading the monotonic clock only between batches so the clock's
 * cost stays out of the rate. Every output feeds into the next input, so the
 * compiler cannot drop or hoist the work. Single-threaded by design: the
 * rates are per core — except the commit certificate figures, which show
 * the one-thread rate beside the rate with the verifier pool
 * (crypto/sigbatch.h) on every core, and the all-cores verify rate, which
 * shows whether the cores verifying at once do as much as each alone. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "cmd/lib/bench_crypto.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "cmd/lib/bench_frost.h"
#include "crypto/frost.h"
#include "crypto/sha256.h"
#include "crypto/sigbatch.h"
#include "crypto/sign.h"
#include "interchain/cert.h"
#include "ledger/tx.h"
#include "wire/codec.h"

#define BENCH_MS_DEFAULT 1000
#define BENCH_MS_MIN 10
#define BENCH_MS_MAX 60000
#define TX_BYTES 200 /* a typical transfer transaction */

typedef struct {
    uint64_t ops;
    uint64_t elapsed_us;
} bench_result;

static double per_second(bench_result r) {
    HANSA_ASSERT(r.elapsed_us > 0);
    return (double)r.ops * 1e6 / (double)r.elapsed_us;
}

/* Adds to r one slice of about slice_us of hashing len bytes through impl. */
static void sha256_slice(sha256_impl impl, uint8_t *buf, size_t len, uint64_t slice_us,
                         bench_result *r) {
    uint64_t batch = len >= 65536 ? 1 : 500;
    uint64_t start = clock_system_mono_us(), elapsed;
    do {
        for (uint64_t i = 0; i < batch; i++) {
            hansa_hash h;
            sha256_via(impl, buf, len, &h);
            buf[0] ^= h.b[0];
        }
        r->ops += batch;
        elapsed = clock_system_mono_us() - start;
    } while (elapsed < slice_us);
    r->elapsed_us += elapsed;
}

/* The backends run in alternating slices, so that on a shared machine a
 * change of load falls on all of them alike and their ratio stays fair. */
#define SHA256_SLICES 10

static void bench_sha256(uint8_t *buf, size_t len, uint64_t ms,
                         bench_result out[SHA256_IMPL_COUNT]) {
    for (int impl = 0; impl < SHA256_IMPL_COUNT; impl++) out[impl] = (bench_result){0, 0};
    for (int slice = 0; slice < SHA256_SLICES; slice++)
        for (int impl = 0; impl < SHA256_IMPL_COUNT; impl++)
            sha256_slice((sha256_impl)impl, buf, len, ms * 1000 / SHA256_SLICES, &out[impl]);
}

static bench_result bench_sign(const hansa_keypair *kp, uint8_t *msg, uint64_t ms) {
    bench_result r = {0, 0};
    uint64_t start = clock_system_mono_us();
    do {
        for (int i = 0; i < 20; i++) {
            hansa_sig sig;
            sign_domain(kp, SIGN_DOMAIN_TX, msg, TX_BYTES, &sig);
            msg[0] ^= sig.b[0];
        }
        r.ops += 20;
        r.elapsed_us = clock_system_mono_us() - start;
    } while (r.elapsed_us < ms * 1000);
    return r;
}

/* What the bound's verify rate is measured on: VERIFY_RING transfers, each
 * signed by its own key, verified in turn, as a node verifies the distinct
 * transactions it admits. One signature verified over and over (as the
 * bound was measured before; now ring[0], so that only the repetition
 * differs) lets the CPU's branch predictors learn the path of libsodium's
 * variable-time double scalar multiplication, whose branches follow the
 * signature's and the message hash's digits: about 5% more verifications
 * per second than any node can do (docs/bench.md, "A fairer verify rate"). */
#define VERIFY_RING 256
#define VERIFY_MSG_MAX 128 /* a transfer's signing bytes are 87 */

typedef struct {
    hansa_pubkey pk;
    hansa_sig sig;
    uint8_t msg[VERIFY_MSG_MAX];
    size_t len;
} verify_item;

static verify_item verify_ring[VERIFY_RING];
static pthread_once_t verify_ring_once = PTHREAD_ONCE_INIT;

/* Transfer i of the ring: key i (fixed seeds, no randomness needed) pays
 * one unit at nonce i to an address that holds i + 1. */
static void verify_ring_build(void) {
    hbuf b = HBUF_INIT;
    for (uint32_t i = 0; i < VERIFY_RING; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0x68, 0x61, 0x6e, 0x73, 0x61};
        le32_store(seed + 8, i);
        hansa_keypair kp;
        keypair_from_seed(&kp, seed);
        uint8_t body[LEDGER_TRANSFER_BODY_BYTES] = {0};
        le32_store(body, i + 1);
        le64_store(body + HANSA_ADDR_BYTES, 1);
        wire_tx tx = {.chain_id = 1, .sender = kp.pub, .nonce = i, .fee = 1, .kind = TX_TRANSFER,
                      .body = body, .body_len = sizeof body};
        hbuf_reset(&b);
        wire_tx_sign_bytes(&b, &tx);
        HANSA_ASSERT(b.len <= VERIFY_MSG_MAX);
        verify_item *it = &verify_ring[i];
        it->pk = kp.pub;
        it->len = b.len;
        memcpy(it->msg, b.data, b.len);
        sign_domain(&kp, SIGN_DOMAIN_TX, it->msg, it->len, &it->sig);
        keypair_wipe(&kp);
    }
    hbuf_free(&b);
}

typedef struct {
    uint64_t ops;
    uint64_t wall_us;
    uint64_t cpu_us; /* this thread's */
} verify_result;

/* Adds to r a run of about us microseconds (of this thread's CPU time if
 * by_cpu, else of wall time) verifying items[0..n) in turn from *at: the
 * whole ring, or ring[0] alone (n = 1) over and over. */
static void verify_run(const verify_item *items, size_t n, bool by_cpu, uint64_t us, size_t *at,
                       verify_result *r) {
    uint64_t wall0 = clock_system_mono_us(), cpu0 = clock_thread_cpu_us(), wall, cpu;
    do {
        for (int i = 0; i < 20; i++, *at = (*at + 1) % n) {
            const verify_item *it = &items[*at];
            HANSA_ASSERT(verify_domain(&it->pk, SIGN_DOMAIN_TX, it->msg, it->len, &it->sig));
        }
        r->ops += 20;
        wall = clock_system_mono_us() - wall0;
        cpu = clock_thread_cpu_us() - cpu0;
    } while ((by_cpu ? cpu : wall) < us);
    r->wall_us += wall;
    r->cpu_us += cpu;
}

/* One wall-timed run over n of the ring's items (building it first, untimed). */
static double verify_rates(size_t n, uint64_t ms, double *per_cpu_s) {
    HANSA_ASSERT(ms > 0);
    HANSA_ASSERT(pthread_once(&verify_ring_once, verify_ring_build) == 0);
    verify_result r = {0, 0, 0};
    size_t at = 0;
    verify_run(verify_ring, n, false, ms * 1000, &at, &r);
    if (per_cpu_s) *per_cpu_s = (double)r.ops * 1e6 / (double)(r.cpu_us ? r.cpu_us : 1);
    return (double)r.ops * 1e6 / (double)(r.wall_us ? r.wall_us : 1);
}

double bench_ed25519_verify_rates(uint64_t ms, double *per_cpu_s) {
    return verify_rates(VERIFY_RING, ms, per_cpu_s);
}

double bench_ed25519_verify_rate(uint64_t ms) { return bench_ed25519_verify_rates(ms, NULL); }

int bench_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- one core against all cores ---- */

#define SCALING_THREADS_MAX 1024 /* CPU_SETSIZE */

/* One thread of a slice: waits at the barrier so that all start together,
 * then verifies for us of wall time from its own place in the ring (so the
 * threads do not verify the same transfer at the same moment). */
typedef struct {
    _Alignas(64) pthread_barrier_t *start; /* a cache line each: at is written every batch */
    uint64_t us;
    size_t at;
    verify_result r;     /* summed over the slices this thread ran */
    uint64_t from, to;   /* the last slice's run, monotonic us */
} scaling_worker;

static void *scaling_main(void *arg) {
    scaling_worker *w = arg;
    pthread_barrier_wait(w->start);
    w->from = clock_system_mono_us();
    verify_run(verify_ring, VERIFY_RING, false, w->us, &w->at, &w->r);
    w->to = clock_system_mono_us();
    return NULL;
}

/* One slice with n threads verifying at once, each adding to its w[i].r;
 * runs (n of them, or NULL) get each thread's run in this slice. */
static void scaling_slice(scaling_worker *w, int n, uint64_t us, bench_run *runs) {
    pthread_barrier_t start;
    pthread_t tid[SCALING_THREADS_MAX];
    HANSA_ASSERT(pthread_barrier_init(&start, NULL, (unsigned)n) == 0);
    for (int i = 0; i < n; i++) {
        w[i].start = &start;
        w[i].us = us;
        if (runs) runs[i].ops = w[i].r.ops; /* the count before: w[i].r sums every slice */
        HANSA_ASSERT(pthread_create(&tid[i], NULL, scaling_main, &w[i]) == 0);
    }
    for (int i = 0; i < n; i++) HANSA_ASSERT(pthread_join(tid[i], NULL) == 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; runs && i < n; i++)
        runs[i] = (bench_run){w[i].from, w[i].to, w[i].r.ops - runs[i].ops};
}

/* The slices' spans summed, each from its first start to its last end,
 * and (*ops) their verifications: bench_span_rate's parts, which a pooled
 * measurement (bench_verify_scaling_pool) adds up before dividing. */
static uint64_t runs_span_us(const bench_run *runs, int threads, int slices, uint64_t *ops) {
    uint64_t span_us = 0;
    *ops = 0;
    for (int s = 0; s < slices; s++) {
        const bench_run *r = runs + (size_t)s * (size_t)threads;
        uint64_t from = UINT64_MAX, to = 0;
        for (int i = 0; i < threads; i++) {
            *ops += r[i].ops;
            if (r[i].from_us < from) from = r[i].from_us;
            if (r[i].to_us > to) to = r[i].to_us;
        }
        span_us += to > from ? to - from : 0;
    }
    return span_us;
}

double bench_span_rate(const bench_run *runs, int threads, int slices) {
    uint64_t ops, span_us = runs_span_us(runs, threads, slices, &ops);
    return (double)ops * 1e6 / (double)(span_us ? span_us : 1);
}

/* The rates of v from its operations and times. */
static void scaling_rates(bench_verify_scaling *v) {
    v->one_per_s = (double)v->one_ops * 1e6 / (double)(v->one_wall_us ? v->one_wall_us : 1);
    v->one_per_cpu_s = (double)v->one_ops * 1e6 / (double)(v->one_cpu_us ? v->one_cpu_us : 1);
    v->all_per_s = (double)v->all_ops * 1e6 / (double)(v->all_span_us ? v->all_span_us : 1);
    v->all_per_cpu_s = (double)v->all_ops * 1e6 / (double)(v->all_cpu_us ? v->all_cpu_us : 1);
    v->factor = v->all_per_s / ((double)v->threads * v->one_per_s);
    v->cpu_factor = v->all_per_cpu_s / v->one_per_cpu_s;
}

void bench_verify_scaling_pool(bench_verify_scaling *into, const bench_verify_scaling *more) {
    HANSA_ASSERT(into->threads == more->threads);
    into->one_ops += more->one_ops;
    into->all_ops += more->all_ops;
    if (more->all_min_ops < into->all_min_ops) into->all_min_ops = more->all_min_ops;
    into->one_wall_us += more->one_wall_us;
    into->one_cpu_us += more->one_cpu_us;
    into->all_span_us += more->all_span_us;
    into->all_cpu_us += more->all_cpu_us;
    scaling_rates(into);
}

void bench_ed25519_verify_scaling(int threads, uint64_t slice_ms, int slices,
                                  bench_verify_scaling *out) {
    HANSA_ASSERT(threads >= 1 && threads <= SCALING_THREADS_MAX && slice_ms > 0 && slices >= 1);
    HANSA_ASSERT(pthread_once(&verify_ring_once, verify_ring_build) == 0); /* not timed */
    scaling_worker one = {.at = 0};
    scaling_worker *all = aligned_alloc(_Alignof(scaling_worker), (size_t)threads * sizeof *all);
    HANSA_ASSERT(all != NULL);
    memset(all, 0, (size_t)threads * sizeof *all);
    for (int i = 0; i < threads; i++) all[i].at = (size_t)i * VERIFY_RING / (size_t)threads;
    /* One, all, all, one, ...: a slow drift of the host (clock, power)
     * falls on both figures alike, not always on the second of a pair. */
    bench_run *runs = calloc((size_t)threads * (size_t)slices, sizeof *runs);
    HANSA_ASSERT(runs != NULL);
    for (int s = 0; s < slices; s++) {
        bool one_first = s % 2 == 0;
        if (one_first) scaling_slice(&one, 1, slice_ms * 1000, NULL);
        scaling_slice(all, threads, slice_ms * 1000, runs + (size_t)s * (size_t)threads);
        if (!one_first) scaling_slice(&one, 1, slice_ms * 1000, NULL);
    }
    *out = (bench_verify_scaling){.threads = threads, .one_ops = one.r.ops, .all_min_ops = UINT64_MAX,
                                  .one_wall_us = one.r.wall_us, .one_cpu_us = one.r.cpu_us};
    uint64_t span_ops;
    out->all_span_us = runs_span_us(runs, threads, slices, &span_ops); /* bench_span_rate's span */
    for (int i = 0; i < threads; i++) {
        out->all_ops += all[i].r.ops;
        if (all[i].r.ops < out->all_min_ops) out->all_min_ops = all[i].r.ops;
        out->all_cpu_us += all[i].r.cpu_us;
    }
    HANSA_ASSERT(span_ops == out->all_ops);
    scaling_rates(out);
    free(runs);
    free(all);
}

static void print_sha256_table(uint64_t ms) {
    static const size_t sizes[] = {32, 64, 200, 1u << 20};
    static const char *const labels[] = {"32 B (hash)", "64 B (merkle node)", "200 B (tx)",
                                         "1 MiB (bulk)"};
    uint8_t *buf = calloc(1, 1u << 20);
    HANSA_ASSERT(buf != NULL);
    printf("sha256 (* = the backend sha256() uses)\n");
    printf("  %-20s %-12s %14s %12s\n", "input", "backend", "hashes/s", "MB/s");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        bench_result r[SHA256_IMPL_COUNT];
        bench_sha256(buf, sizes[s], ms, r);
        for (int impl = 0; impl < SHA256_IMPL_COUNT; impl++) {
            double rate = per_second(r[impl]);
            printf("  %-20s %-11s%s %14.0f %12.1f\n", labels[s],
                   sha256_impl_name((sha256_impl)impl), impl == SHA256_IMPL_CHOSEN ? "*" : " ",
                   rate, rate * (double)sizes[s] / 1e6);
            fflush(stdout);
        }
    }
    free(buf);
}

/* The two verify rates differ by about 5%, less than a change of load on a
 * shared machine moves either: so they run in alternating slices, timed in
 * this thread's CPU time, and the line that matters is their ratio. */
#define VERIFY_SLICES 10

static void print_verify(uint64_t ms) {
    HANSA_ASSERT(pthread_once(&verify_ring_once, verify_ring_build) == 0); /* not timed */
    verify_result one = {0, 0, 0}, ring = {0, 0, 0};
    size_t at_one = 0, at_ring = 0;
    for (int slice = 0; slice < VERIFY_SLICES; slice++) {
        verify_run(verify_ring, 1, true, ms * 1000 / VERIFY_SLICES, &at_one, &one);
        verify_run(verify_ring, VERIFY_RING, true, ms * 1000 / VERIFY_SLICES, &at_ring, &ring);
    }
    double one_rate = (double)one.ops * 1e6 / (double)one.cpu_us;
    double ring_rate = (double)ring.ops * 1e6 / (double)ring.cpu_us;
    printf("ed25519 verify (%zu-byte transfers, per second of thread CPU, %d alternating slices)\n",
           verify_ring[0].len, VERIFY_SLICES);
    printf("  %-33s %14.0f\n", "verify/s, one transfer repeated", one_rate);
    printf("  %-33s %14.0f\n", "verify/s, 256 transfers (bound)", ring_rate);
    printf("  %-33s %14.3f\n", "256 transfers / one repeated", ring_rate / one_rate);
    fflush(stdout);
}

/* One core alone against all at once, in alternating wall-time slices:
 * half of VERIFY_SLICES each, ms in all for each figure. */
static void print_verify_scaling(uint64_t ms) {
    bench_verify_scaling v;
    int c = bench_cores();
    bench_ed25519_verify_scaling(c, ms * 2 / VERIFY_SLICES, VERIFY_SLICES / 2, &v);
    printf("ed25519 verify, one core alone vs all %d cores at once (256 transfers, per second of wall\n"
           "time, %d + %d alternating slices; in brackets per second of each thread's CPU)\n",
           c, VERIFY_SLICES / 2, VERIFY_SLICES / 2);
    printf("  %-33s %14.0f  (%.0f)\n", "verify/s, one core alone", v.one_per_s, v.one_per_cpu_s);
    char label[64];
    snprintf(label, sizeof label, "verify/s, all %d cores at once", c);
    printf("  %-33s %14.0f  (%.0f per thread cpu-s)\n", label, v.all_per_s, v.all_per_cpu_s);
    printf("  all cores verifying  F x C x single-core = %.3f x %d x %.0f = %.0f/s aggregate\n", v.factor,
           c, v.one_per_s, v.all_per_s);
    printf("  per cpu-second, all at once / alone  %.3f\n", v.cpu_factor);
    fflush(stdout);
}

static void print_ed25519(uint64_t ms) {
    uint8_t seed[HANSA_SEED_BYTES] = {0x68, 0x61, 0x6e, 0x73, 0x61}; /* fixed: no randomness needed */
    hansa_keypair kp;
    keypair_from_seed(&kp, seed);
    uint8_t msg[TX_BYTES];
    memset(msg, 0xa5, sizeof msg);
    printf("ed25519 sign (libsodium, %d-byte message, domain \"%s\")\n", TX_BYTES, SIGN_DOMAIN_TX);
    bench_result s = bench_sign(&kp, msg, ms);
    printf("  %-33s %14.0f\n", "sign/s", per_second(s));
    fflush(stdout);
    keypair_wipe(&kp);
    print_verify(ms);
    print_verify_scaling(ms);
}

#define FROST_N_DEFAULT 32 /* a full quorum (DESIGN.md section 6) */

/* A commit certificate for a made-up block, signed by every one of n
 * validators of equal power; c->sigs and vs are allocated. */
static void make_commit(size_t n, wire_validator *vs, wire_commit *c) {
    hansa_keypair *kps = calloc(n, sizeof *kps);
    HANSA_ASSERT(kps != NULL);
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0x63, (uint8_t)i};
        keypair_from_seed(&kps[i], seed);
    }
    /* The set is sorted by pubkey, as every validator set is. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && pubkey_cmp(&kps[j - 1].pub, &kps[j].pub) > 0; j--) {
            hansa_keypair t = kps[j];
            kps[j] = kps[j - 1];
            kps[j - 1] = t;
        }
    *c = (wire_commit){.chain_id = 0xe2e4, .height = 1000, .round = 0, .n_sigs = (uint16_t)n};
    memset(c->block.b, 0x5a, HANSA_HASH_BYTES);
    c->sigs = calloc(n, sizeof *c->sigs);
    HANSA_ASSERT(c->sigs != NULL);
    for (size_t i = 0; i < n; i++) {
        vs[i] = (wire_validator){kps[i].pub, 10};
        c->sigs[i].validator_index = (uint16_t)i;
        wire_vote v;
        wire_commit_vote(c, i, &kps[i].pub, &v);
        hbuf sb = HBUF_INIT;
        wire_vote_sign_bytes(&sb, &v);
        sign_domain(&kps[i], SIGN_DOMAIN_VOTE, sb.data, sb.len, &c->sigs[i].sig);
        hbuf_free(&sb);
        keypair_wipe(&kps[i]);
    }
    free(kps);
}

static bench_result bench_commit(const wire_commit *c, const wire_validator *vs, uint64_t ms) {
    bench_result r = {0, 0};
    uint64_t start = clock_system_mono_us();
    do {
        HANSA_ASSERT(cert_commit_verify(c, c->chain_id, vs, c->n_sigs) == HANSA_OK);
        r.ops++;
        r.elapsed_us = clock_system_mono_us() - start;
    } while (r.elapsed_us < ms * 1000);
    return r;
}

/* Commit certificates verified per second (every signature checked, as
 * block sync and the light client do), on one thread and on the pool. */
static void print_commits(uint64_t ms) {
    static const size_t signers[] = {4, 22, 32};
    unsigned pool = sig_batch_threads();
    printf("commit certificates (cert_commit_verify, every signature)\n");
    char pool_label[32];
    snprintf(pool_label, sizeof pool_label, "%u threads /s", pool);
    printf("  %-8s %14s %10s %14s %10s\n", "signers", "1 thread /s", "ms", pool_label, "ms");
    for (size_t k = 0; k < sizeof signers / sizeof signers[0]; k++) {
        size_t n = signers[k];
        wire_validator vs[32];
        wire_commit c;
        make_commit(n, vs, &c);
        sig_batch_set_threads(1);
        double one = per_second(bench_commit(&c, vs, ms));
        sig_batch_set_threads(pool);
        double many = per_second(bench_commit(&c, vs, ms));
        printf("  %-8zu %14.0f %10.3f %14.0f %10.3f\n", n, one, 1000.0 / one, many, 1000.0 / many);
        fflush(stdout);
        wire_commit_free(&c);
    }
}

static int usage(void) {
    fprintf(stderr,
            "usage: hansa bench-crypto [--ms N] [--frost [--n D]]\n"
            "  --ms N   ms per figure, %d..%d, default %d\n"
            "  --frost  FROST threshold signing instead of SHA-256/Ed25519, at D delegates\n"
            "           (2..%d, default %d; threshold floor(2D/3)+1)\n",
            BENCH_MS_MIN, BENCH_MS_MAX, BENCH_MS_DEFAULT, FROST_PARTICIPANTS_MAX, FROST_N_DEFAULT);
    return 2;
}

/* Parses a decimal number in [lo, hi] into *out; false if it is not one. */
static bool parse_bounded(const char *s, unsigned long long lo, unsigned long long hi,
                          unsigned long long *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int cmd_bench_crypto(int argc, char **argv) {
    unsigned long long ms = BENCH_MS_DEFAULT, n = FROST_N_DEFAULT;
    bool frost = false, n_given = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--frost") == 0) {
            frost = true;
        } else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
            if (!parse_bounded(argv[++i], BENCH_MS_MIN, BENCH_MS_MAX, &ms)) return usage();
        } else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            if (!parse_bounded(argv[++i], 2, FROST_PARTICIPANTS_MAX, &n)) return usage();
            n_given = true;
        } else {
            return usage();
        }
    }
    if (n_given && !frost) return usage();
    crypto_init();
    printf("hansa bench-crypto: one core (unless said), ~%llu ms per figure\n", ms);
    if (frost) {
        bench_frost((uint16_t)n, ms);
        return 0;
    }
    print_sha256_table(ms);
    print_ed25519(ms);
    print_commits(ms);
    return 0;
}
