/* test_cert.c — the shared certificate checks (interchain/cert.h) and the
 * parallel signature batch under them (crypto/sigbatch.h): a batch gives
 * every item the verdict verify_domain gives it, whatever the thread count,
 * and a commit names its first bad signature. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/sigbatch.h"
#include "crypto/sign.h"
#include "interchain/cert.h"
#include "wire/codec.h"

#define N_KEYS 40

static hansa_keypair keys[N_KEYS];

static void keys_init(void) {
    for (int i = 0; i < N_KEYS; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0x77, (uint8_t)i};
        keypair_from_seed(&keys[i], seed);
    }
    /* sorted by pubkey, like a validator set */
    for (int i = 1; i < N_KEYS; i++)
        for (int j = i; j > 0 && pubkey_cmp(&keys[j - 1].pub, &keys[j].pub) > 0; j--) {
            hansa_keypair t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
}

/* n items over distinct messages; the ones whose bit is set in `bad` get a
 * signature by the wrong key. */
typedef struct {
    uint8_t msg[N_KEYS][16];
    hansa_sig sig[N_KEYS];
    sig_item items[N_KEYS];
} batch_fixture;

static void fixture_make(batch_fixture *f, size_t n, uint64_t bad) {
    for (size_t i = 0; i < n; i++) {
        memset(f->msg[i], (int)i, sizeof f->msg[i]);
        const hansa_keypair *signer = (bad >> i) & 1 ? &keys[(i + 1) % N_KEYS] : &keys[i];
        sign_domain(signer, SIGN_DOMAIN_VOTE, f->msg[i], sizeof f->msg[i], &f->sig[i]);
        f->items[i] = (sig_item){&keys[i].pub, SIGN_DOMAIN_VOTE, f->msg[i], sizeof f->msg[i], &f->sig[i]};
    }
}

static void test_batch_matches_single(void) {
    uint64_t seed = check_seed("test_batch_matches_single", 11);
    hansa_prng rng;
    prng_seed(&rng, seed);
    unsigned dflt = sig_batch_threads();
    static const unsigned threads[] = {1, 2, 3, 8};
    for (int round = 0; round < 12; round++) {
        size_t n = (size_t)prng_below(&rng, N_KEYS + 1);
        uint64_t bad = prng_next(&rng) & prng_next(&rng); /* about a quarter bad */
        batch_fixture f;
        fixture_make(&f, n, bad);
        for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
            sig_batch_set_threads(threads[t]);
            bool ok[N_KEYS];
            size_t failed = sig_batch_verify(f.items, n, ok);
            size_t expect_failed = 0;
            for (size_t i = 0; i < n; i++) {
                bool want = verify_domain(f.items[i].pk, f.items[i].domain, f.items[i].msg,
                                          f.items[i].len, f.items[i].sig);
                CHECK(want == !((bad >> i) & 1));
                CHECK(ok[i] == want);
                expect_failed += !want;
            }
            CHECK_EQ_U64(failed, expect_failed);
        }
    }
    sig_batch_set_threads(dflt);
    CHECK_EQ_U64(sig_batch_threads(), dflt);
    sig_batch_set_threads(0);
    CHECK_EQ_U64(sig_batch_threads(), 1);
    sig_batch_set_threads(1000);
    CHECK_EQ_U64(sig_batch_threads(), SIG_BATCH_WORKERS_MAX + 1);
    sig_batch_set_threads(dflt);
}

/* A commit by the first n keys (equal power 10) for a fixed block. */
static void make_commit(size_t n, wire_validator *vs, wire_commit *c, wire_commit_sig *sigs) {
    *c = (wire_commit){.chain_id = 7, .height = 5, .round = 1, .n_sigs = (uint16_t)n, .sigs = sigs};
    memset(c->block.b, 0x42, HANSA_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        vs[i] = (wire_validator){keys[i].pub, 10};
        sigs[i].validator_index = (uint16_t)i;
        wire_vote v;
        wire_commit_vote(c, i, &keys[i].pub, &v);
        hbuf sb = HBUF_INIT;
        wire_vote_sign_bytes(&sb, &v);
        sign_domain(&keys[i], SIGN_DOMAIN_VOTE, sb.data, sb.len, &sigs[i].sig);
        hbuf_free(&sb);
    }
}

static int calls;
static bool counting_verify(void *ctx, const hansa_pubkey *pk, const char *domain,
                            const uint8_t *msg, size_t len, const hansa_sig *sig) {
    (void)ctx;
    calls++;
    return verify_domain(pk, domain, msg, len, sig);
}

static void test_commit_first_bad_signature(void) {
    wire_validator vs[32];
    wire_commit_sig sigs[32];
    wire_commit c;
    make_commit(32, vs, &c, sigs);
    size_t bad = 99;
    CHECK_ERR(cert_commit_sigs(NULL, &c, vs, 32, &bad), HANSA_OK);
    CHECK_EQ_U64(bad, 99);
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 32), HANSA_OK);
    sigs[20].sig.b[3] ^= 1;
    sigs[27].sig.b[3] ^= 1;
    CHECK_ERR(cert_commit_sigs(NULL, &c, vs, 32, &bad), HANSA_ERR_BAD_SIG);
    CHECK_EQ_U64(bad, 20);
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 32), HANSA_ERR_BAD_SIG);
    /* A caller's verifier sees every signature, once. */
    calls = 0;
    cert_verifier vf = {counting_verify, NULL};
    CHECK_ERR(cert_commit_verify_with(&vf, &c, 7, vs, 32), HANSA_ERR_BAD_SIG);
    CHECK_EQ_U64(calls, 32);
}

static void test_commit_shape_and_quorum(void) {
    wire_validator vs[4];
    wire_commit_sig sigs[4];
    wire_commit c;
    make_commit(4, vs, &c, sigs);
    uint64_t power, total;
    CHECK_ERR(cert_commit_shape(&c, vs, 4, &power, &total), HANSA_OK);
    CHECK_EQ_U64(power, 40);
    CHECK_EQ_U64(total, 40);
    CHECK_ERR(cert_commit_verify(&c, 8, vs, 4), HANSA_ERR_WRONG_CHAIN);
    /* 2 of 4 equal powers is not more than 2/3; 3 of 4 is. Checked before
     * any signature: a wrong signature is not even looked at. */
    c.n_sigs = 2;
    sigs[0].sig.b[0] ^= 1;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 4), HANSA_ERR_QUORUM);
    sigs[0].sig.b[0] ^= 1;
    c.n_sigs = 3;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 4), HANSA_OK);
    c.n_sigs = 0;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 4), HANSA_ERR_QUORUM);
    c.n_sigs = 4;
    sigs[2].validator_index = 1;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 4), HANSA_ERR_NONCANONICAL);
    sigs[2].validator_index = 2;
    sigs[3].validator_index = 4;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 4), HANSA_ERR_INVALID);
    sigs[3].validator_index = 3;
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 3), HANSA_ERR_INVALID); /* more sigs than validators */
    CHECK_ERR(cert_commit_verify(&c, 7, vs, 0), HANSA_ERR_INVALID);
}

int main(void) {
    crypto_init();
    keys_init();
    RUN(test_batch_matches_single);
    RUN(test_commit_first_bad_signature);
    RUN(test_commit_shape_and_quorum);
    return check_summary();
}
