/* sign.c — Ed25519 over libsodium, with domain separation (see sign.h). */
#include "crypto/sign.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/assert.h"
#include "base/mem.h"

_Static_assert(crypto_sign_PUBLICKEYBYTES == HANSA_PUBKEY_BYTES, "pubkey size");
_Static_assert(crypto_sign_SECRETKEYBYTES == HANSA_SECRET_BYTES, "secret size");
_Static_assert(crypto_sign_BYTES == HANSA_SIG_BYTES, "sig size");
_Static_assert(crypto_sign_SEEDBYTES == HANSA_SEED_BYTES, "seed size");

void crypto_init(void) { HANSA_ASSERT(sodium_init() >= 0); }

static const sign_scheme *scheme; /* NULL: Ed25519 */

void sign_scheme_install(const sign_scheme *s) { scheme = s; }

void keypair_from_seed(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]) {
    if (scheme) {
        scheme->keypair_from_seed(kp, seed);
        return;
    }
    HANSA_ASSERT(crypto_sign_seed_keypair(kp->pub.b, kp->secret, seed) == 0);
}

void keypair_from_seed_ed25519(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]) {
    HANSA_ASSERT(crypto_sign_seed_keypair(kp->pub.b, kp->secret, seed) == 0);
}

void keypair_generate(hansa_keypair *kp) {
    crypto_init();
    HANSA_ASSERT(crypto_sign_keypair(kp->pub.b, kp->secret) == 0);
}

void keypair_wipe(hansa_keypair *kp) { sodium_memzero(kp, sizeof *kp); }

/* The signed message is domain || 0x00 || msg. A domain is a C string, so it
 * holds no 0x00 and the first 0x00 ends it: no (domain, msg) pair can be read
 * as another pair with a different domain. Small messages (votes, proposals,
 * most txs) are assembled on the stack; larger ones on the heap. */
#define DOMAIN_STACK_BYTES 512
#define DOMAIN_MAX_BYTES 63

static uint8_t *with_domain(const char *domain, const void *msg, size_t len, uint8_t *stack,
                            size_t *total) {
    size_t dlen = strlen(domain);
    HANSA_ASSERT(dlen > 0);
    HANSA_ASSERT(dlen <= DOMAIN_MAX_BYTES);
    HANSA_ASSERT(len <= SIZE_MAX - DOMAIN_MAX_BYTES - 1);
    HANSA_ASSERT(msg != NULL || len == 0);
    *total = dlen + 1 + len;
    uint8_t *p = *total <= DOMAIN_STACK_BYTES ? stack : hansa_malloc(*total);
    memcpy(p, domain, dlen);
    p[dlen] = 0;
    if (len) memcpy(p + dlen + 1, msg, len);
    return p;
}

void sign_domain(const hansa_keypair *kp, const char *domain, const void *msg, size_t len,
                 hansa_sig *sig) {
    if (scheme) {
        scheme->sign(kp, domain, msg, len, sig);
        return;
    }
    uint8_t stack[DOMAIN_STACK_BYTES];
    size_t total;
    uint8_t *m = with_domain(domain, msg, len, stack, &total);
    sign_raw(kp, m, total, sig);
    if (m != stack) free(m);
}

/* verify_cpu_stats' counters. Sequentially consistent (a locked add on
 * x86 either way, nothing against a verify), so a reader that loads timed
 * before calls never sees more timed calls than calls. */
static _Atomic uint64_t verify_calls, verify_timed, verify_est_ns;
static _Thread_local verify_gaps verify_turns; /* seeded at this thread's first verify */
/* Threads that have verified: each seeds its gaps with its own ordinal (its
 * sampler's address would do too, but GCC folds the seed's arithmetic on
 * it into a 32-bit TLS relocation that the link cannot fit). */
static _Atomic uint64_t verify_threads;

/* The next gap: xorshift64 (Marsaglia's 13, 7, 17), its high half reduced
 * to 1 .. 2 x mean - 1 (the modulo's bias is below 2^-26). */
static uint32_t next_gap(verify_gaps *s) {
    uint64_t x = s->x;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s->x = x;
    return 1 + (uint32_t)((x >> 32) % (2 * VERIFY_CPU_SAMPLE_EVERY - 1));
}

/* splitmix64's finalizer spreads a seed (here the thread's ordinal:
 * distinct per thread) over the state, which must not be 0. */
void verify_gaps_seed(verify_gaps *s, uint64_t seed) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    s->x = z ? z : 1;
    s->carry = 0;
    s->gap = s->left = next_gap(s);
}

uint32_t verify_gaps_next(verify_gaps *s) {
    if (--s->left != 0) return 0;
    uint32_t gap = s->gap;
    s->gap = s->left = next_gap(s);
    return gap;
}

/* This thread's CPU time, or 0 if the clock fails (that sample is then
 * skipped: a figure must not stop a node). */
static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool verify_domain_ed25519(const hansa_pubkey *pk, const char *domain, const void *msg,
                                  size_t len, const hansa_sig *sig) {
    uint8_t stack[DOMAIN_STACK_BYTES];
    size_t total;
    uint8_t *m = with_domain(domain, msg, len, stack, &total);
    bool ok = verify_raw(pk, m, total, sig);
    if (m != stack) free(m);
    return ok;
}

bool verify_domain(const hansa_pubkey *pk, const char *domain, const void *msg, size_t len,
                   const hansa_sig *sig) {
    if (scheme) return scheme->verify(pk, domain, msg, len, sig);
    atomic_fetch_add(&verify_calls, 1);
    if (verify_turns.left == 0) verify_gaps_seed(&verify_turns, atomic_fetch_add(&verify_threads, 1));
    uint32_t gap = verify_gaps_next(&verify_turns);
    if (gap == 0) return verify_domain_ed25519(pk, domain, msg, len, sig);
    uint64_t t0 = thread_cpu_ns();
    bool ok = verify_domain_ed25519(pk, domain, msg, len, sig);
    uint64_t t1 = thread_cpu_ns();
    /* t0..t1 holds one clock read besides the verify (~1.7 us here, 3-4% of
     * one); t1..t2, two reads back to back, is that read: take it off. */
    uint64_t t2 = thread_cpu_ns();
    if (t0 == 0 || t1 < t0 || t2 < t1) {
        verify_turns.carry += gap; /* dropped, its gap would make the estimate low */
        return ok;
    }
    uint64_t spent = t1 - t0, read = t2 - t1, weight = gap + verify_turns.carry;
    verify_turns.carry = 0;
    atomic_fetch_add(&verify_timed, 1);
    atomic_fetch_add(&verify_est_ns, (spent > read ? spent - read : 0) * weight);
    return ok;
}

void verify_cpu_reseed(uint64_t seed) { verify_gaps_seed(&verify_turns, seed); }

void verify_cpu_stats(uint64_t *calls, uint64_t *timed, uint64_t *est_ns) {
    /* timed before calls: every timed call seen was counted in calls first. */
    *est_ns = atomic_load(&verify_est_ns);
    uint64_t t = atomic_load(&verify_timed);
    if (timed) *timed = t;
    *calls = atomic_load(&verify_calls);
}

void sign_raw(const hansa_keypair *kp, const void *msg, size_t len, hansa_sig *sig) {
    HANSA_ASSERT(crypto_sign_detached(sig->b, NULL, msg, len, kp->secret) == 0);
}

bool verify_raw(const hansa_pubkey *pk, const void *msg, size_t len, const hansa_sig *sig) {
    return crypto_sign_verify_detached(sig->b, msg, len, pk->b) == 0;
}

void crypto_random(void *buf, size_t n) { randombytes_buf(buf, n); }

static void os_fill(void *ctx, void *buf, size_t n) {
    (void)ctx;
    randombytes_buf(buf, n);
}

hansa_rng crypto_os_rng(void) { return (hansa_rng){os_fill, NULL}; }
