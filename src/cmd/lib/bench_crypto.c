/* bench_crypto.c — see bench_crypto.h.
 *
 * Each figure runs its operation in batches until the time per figure has
 * passed, reading the monotonic clock only between batches so the clock's
 * cost stays out of the rate. Every output feeds into the next input, so the
 * compiler cannot drop or hoist the work. Single-threaded by design: the
 * rates are per core. */
#include "cmd/lib/bench_crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"

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

static bench_result bench_verify(const hansa_keypair *kp, const uint8_t *msg, uint64_t ms) {
    hansa_sig sig;
    sign_domain(kp, SIGN_DOMAIN_TX, msg, TX_BYTES, &sig);
    bench_result r = {0, 0};
    uint64_t start = clock_system_mono_us();
    do {
        for (int i = 0; i < 20; i++)
            HANSA_ASSERT(verify_domain(&kp->pub, SIGN_DOMAIN_TX, msg, TX_BYTES, &sig));
        r.ops += 20;
        r.elapsed_us = clock_system_mono_us() - start;
    } while (r.elapsed_us < ms * 1000);
    return r;
}

double bench_ed25519_verify_rate(uint64_t ms) {
    HANSA_ASSERT(ms > 0);
    uint8_t seed[HANSA_SEED_BYTES] = {0x68, 0x61, 0x6e, 0x73, 0x61};
    hansa_keypair kp;
    keypair_from_seed(&kp, seed);
    uint8_t msg[TX_BYTES];
    memset(msg, 0xa5, sizeof msg);
    double rate = per_second(bench_verify(&kp, msg, ms));
    keypair_wipe(&kp);
    return rate;
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

static void print_ed25519(uint64_t ms) {
    uint8_t seed[HANSA_SEED_BYTES] = {0x68, 0x61, 0x6e, 0x73, 0x61}; /* fixed: no randomness needed */
    hansa_keypair kp;
    keypair_from_seed(&kp, seed);
    uint8_t msg[TX_BYTES];
    memset(msg, 0xa5, sizeof msg);
    printf("ed25519 (libsodium, %d-byte message, domain \"%s\")\n", TX_BYTES, SIGN_DOMAIN_TX);
    bench_result s = bench_sign(&kp, msg, ms);
    printf("  %-33s %14.0f\n", "sign/s", per_second(s));
    fflush(stdout);
    bench_result v = bench_verify(&kp, msg, ms);
    printf("  %-33s %14.0f\n", "verify/s", per_second(v));
    keypair_wipe(&kp);
}

static int usage(void) {
    fprintf(stderr, "usage: hansa bench-crypto [--ms N]   (N = ms per figure, %d..%d, default %d)\n",
            BENCH_MS_MIN, BENCH_MS_MAX, BENCH_MS_DEFAULT);
    return 2;
}

int cmd_bench_crypto(int argc, char **argv) {
    uint64_t ms = BENCH_MS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ms") != 0 || i + 1 >= argc) return usage();
        char *end;
        errno = 0;
        unsigned long long v = strtoull(argv[++i], &end, 10);
        if (errno || *end || end == argv[i] || v < BENCH_MS_MIN || v > BENCH_MS_MAX)
            return usage();
        ms = v;
    }
    crypto_init();
    printf("hansa bench-crypto: one core, ~%llu ms per figure\n", (unsigned long long)ms);
    print_sha256_table(ms);
    print_ed25519(ms);
    return 0;
}
