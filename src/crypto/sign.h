/* sign.h — Ed25519 keys, signatures with domain separation, OS randomness.
 *
 * Every signature in hansa covers `domain || 0x00 || message`, where domain is
 * a constant like "hansa/tx/v1". A signature made for one purpose (a vote)
 * therefore never verifies as another (a transaction), even if the bytes
 * coincide. Verification is libsodium's strict Ed25519 (canonical S, no
 * small-order keys), so signatures are not malleable and tx hashes are stable. */
#ifndef HANSA_CRYPTO_SIGN_H
#define HANSA_CRYPTO_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/rng.h"

#define HANSA_SEED_BYTES 32
#define HANSA_SECRET_BYTES 64

/* Domains (one per kind of signed object). */
#define SIGN_DOMAIN_TX "hansa/tx/v1"
#define SIGN_DOMAIN_VOTE "hansa/vote/v1"
#define SIGN_DOMAIN_PROPOSAL "hansa/proposal/v1"

typedef struct {
    uint8_t secret[HANSA_SECRET_BYTES]; /* libsodium's seed||pk form */
    hansa_pubkey pub;
} hansa_keypair;

/* Must be called once before any other crypto function; safe to call again. */
void crypto_init(void);

/* Derives a key pair from a 32-byte seed (deterministic). */
void keypair_from_seed(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]);
/* Always Ed25519, whatever scheme is installed: a stand-in scheme whose
 * keys must also work as X25519 keys (the DKG seals shares to the
 * Ed25519 key mapped to X25519; sim/sig.c under --frost). */
void keypair_from_seed_ed25519(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]);
/* Fresh key pair from the OS CSPRNG. */
void keypair_generate(hansa_keypair *kp);
/* Wipes the secret. */
void keypair_wipe(hansa_keypair *kp);

/* domain is a non-empty constant of at most 63 bytes (one of SIGN_DOMAIN_*). */
void sign_domain(const hansa_keypair *kp, const char *domain, const void *msg, size_t len,
                 hansa_sig *sig);
bool verify_domain(const hansa_pubkey *pk, const char *domain, const void *msg, size_t len,
                   const hansa_sig *sig);

/* CPU time spent in verify_domain's Ed25519 verifications, process-wide
 * since start (an installed sign_scheme's are not counted). A thread-CPU
 * clock read costs ~0.3-1.7 us (1.7 measured here; three per timed call)
 * against a ~45 us verify, so only about 1 call in VERIFY_CPU_SAMPLE_EVERY
 * on each thread is timed, at the gaps verify_gaps draws: *calls
 * counts every verification, *timed those timed, *est_ns the estimate of
 * them all: each timed call's thread CPU time (less the one clock read
 * inside its interval) times its gap, summed. Never decreasing, so it can
 * be a Prometheus counter (timed ns x calls / timed, rescaled at every
 * read, fell whenever a timed call was cheaper than the average). Safe
 * from any thread (sigbatch verifies on several). */
#define VERIFY_CPU_SAMPLE_EVERY 32u /* the mean gap */
void verify_cpu_stats(uint64_t *calls, uint64_t *timed /* may be NULL */, uint64_t *est_ns);

/* Which of a thread's verifications are timed. The gaps between timed
 * calls are drawn uniformly from 1 .. 2 x VERIFY_CPU_SAMPLE_EVERY - 1 by a
 * xorshift, not fixed: a fixed period aliases with a periodic pattern (a
 * consensus thread meeting an expensive kind of call every 32nd would time
 * it always, or never). Each timed call stands for the gap that ends at it,
 * drawn before any of its calls: past the first few gaps a call is timed
 * with probability 1 / the mean gap and then counts the mean gap times on
 * average, so over many calls the estimate is unbiased whatever the
 * pattern of costs (it trails by the gap in progress, at most 62 calls).
 * Public for the tests. */
typedef struct {
    uint64_t x;    /* xorshift64 state, never 0 */
    uint32_t gap;  /* the current gap's length */
    uint32_t left; /* its calls not yet made, the timed one included; 0: not seeded */
    uint64_t carry; /* calls whose timed call's clock failed: they stand with the next one */
} verify_gaps;
void verify_gaps_seed(verify_gaps *s, uint64_t seed);
/* For each verification, once (s seeded): 0 if it goes untimed, else the
 * number of calls (its gap) that its time stands for. */
uint32_t verify_gaps_next(verify_gaps *s);
/* Seeds the calling thread's gaps afresh, so a test knows which of its
 * next verifications verify_domain times (a mirror seeded alike says). */
void verify_cpu_reseed(uint64_t seed);

/* Another signature scheme in place of Ed25519 for keypair_from_seed,
 * sign_domain and verify_domain, process-wide. Only the simulator installs
 * one (a cheap deterministic stand-in: its runs are about consensus, not
 * cryptography, and must run thousands of heights a second) for the length
 * of a run and puts Ed25519 back after; hansad and every other test use
 * Ed25519. s is borrowed until the next call; NULL restores Ed25519. */
typedef struct {
    void (*keypair_from_seed)(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]);
    void (*sign)(const hansa_keypair *kp, const char *domain, const void *msg, size_t len,
                 hansa_sig *sig);
    bool (*verify)(const hansa_pubkey *pk, const char *domain, const void *msg, size_t len,
                   const hansa_sig *sig);
} sign_scheme;
void sign_scheme_install(const sign_scheme *s);

/* Plain Ed25519 over msg (no domain) — only for RFC 8032 known-answer tests. */
void sign_raw(const hansa_keypair *kp, const void *msg, size_t len, hansa_sig *sig);
bool verify_raw(const hansa_pubkey *pk, const void *msg, size_t len, const hansa_sig *sig);

/* The OS CSPRNG as a hansa_rng, for the node. */
hansa_rng crypto_os_rng(void);
void crypto_random(void *buf, size_t n);

#endif
