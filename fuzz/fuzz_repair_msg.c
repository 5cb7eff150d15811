/* fuzz_repair_msg.c — the share repair message decoder (threshold/
 * repair_msg.h) under the canonical-encoding oracle, then the same bytes
 * fed to a helper (as a REQUEST and as a DELTA) and to a target (as a
 * SIGMA): they must refuse or take them without crashing, reading out of
 * bounds or leaking. The group is 3-of-4 from a dealer polynomial of seed
 * 1, member keys from seeds 1..4; the corpus holds one message of each
 * kind for it. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/repair.h"
#include "threshold/repair_msg.h"

static frost_group group;
static frost_scalar shares[5];
static hansa_keypair keys[5];
static hansa_pubkey members[4];

static void init_group(void) {
    static bool done;
    if (done) return;
    done = true;
    crypto_init();
    hansa_prng p;
    prng_seed(&p, 1);
    hansa_rng rng = prng_as_rng(&p);
    frost_scalar coeffs[3];
    for (int k = 0; k < 3; k++) frost_scalar_random(&rng, &coeffs[k]);
    group.n = 4;
    group.t = 3;
    HANSA_ASSERT(frost_base_mul(&coeffs[0], &group.key));
    for (uint16_t i = 1; i <= 4; i++) {
        frost_poly_eval(coeffs, 3, i, &shares[i]);
        HANSA_ASSERT(frost_base_mul(&shares[i], &group.shares[i - 1]));
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)i};
        keypair_from_seed_ed25519(&keys[i], seed);
        members[i - 1] = keys[i].pub;
    }
}

static void drop(void *arg, repair_msg_kind kind, uint16_t to, const uint8_t *bytes, size_t len) {
    (void)arg;
    (void)kind;
    (void)to;
    (void)bytes;
    (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_group();
    const uint8_t *in = size ? data : NULL;
    repair_msg m;
    wire_rd r;
    if (repair_msg_decode(in, size, &m, &r) == HANSA_OK) {
        hbuf b = HBUF_INIT;
        repair_msg_encode(&b, &m);
        HANSA_ASSERT(b.len == size);
        HANSA_ASSERT(memcmp(b.data, data, size) == 0);
        hbuf_free(&b);
    } else {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
    }
    repair_ctx ctx = {.group = &group, .members = members};
    hansa_prng p;
    prng_seed(&p, 3);
    hansa_rng rng = prng_as_rng(&p);
    hansa_err err;
    const char *why;
    /* As a REQUEST to helper 2 (and, if it takes it, the bytes as a DELTA). */
    repair_helper *h = repair_helper_new(&ctx, 2, &keys[2], &shares[2], &rng, in, size, drop, NULL, &err, &why);
    HANSA_ASSERT((h == NULL) == (err != HANSA_OK));
    if (h) (void)repair_helper_on_delta(h, in, size, &why);
    repair_helper_free(h);
    /* As a SIGMA to target 1 asking helpers 2, 3, 4. */
    static const uint16_t helpers[3] = {2, 3, 4};
    repair_target *t = repair_target_new(&ctx, 1, &keys[1], 0, helpers, 3, drop, NULL);
    (void)repair_target_on_sigma(t, in, size, &why);
    HANSA_ASSERT(repair_target_status(t, NULL) != REPAIR_DONE);
    repair_target_free(t);
    return 0;
}
