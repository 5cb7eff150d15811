/* fuzz_roast_msg.c — the ROAST message decoder (threshold/roast_msg.h) under
 * the canonical-encoding oracle, then the same bytes fed to a coordinator
 * (as from each signer) and to a signer (as a request): they must refuse or
 * take them without crashing, reading out of bounds or leaking. The group is
 * the one of the seed corpus (3-of-4, dealer polynomial from seed 1). */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/roast.h"
#include "threshold/roast_msg.h"

static frost_group group;
static frost_scalar shares[5];

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
    }
}

static bool persist_ok(void *ctx, const roast_nonce_rec *rec) {
    (void)ctx;
    (void)rec;
    return true;
}

static bool approve_all(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    (void)ctx;
    (void)round;
    (void)msg;
    (void)len;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_group();
    const uint8_t *in = size ? data : NULL;
    roast_msg m;
    wire_rd r;
    if (roast_msg_decode(in, size, &m, &r) == HANSA_OK) {
        hbuf b = HBUF_INIT;
        roast_msg_encode(&b, &m);
        HANSA_ASSERT(b.len == size);
        HANSA_ASSERT(memcmp(b.data, data, size) == 0);
        hbuf_free(&b);
    } else {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
    }

    static const uint8_t msg[] = "checkpoint";
    roast_coord_config cc = {.group = group, .round = 42, .msg = msg, .msg_len = sizeof msg};
    roast_coord *c = roast_coord_new(&cc);
    for (uint16_t from = 0; from <= 5; from++) (void)roast_coord_on_message(c, from, in, size, NULL);
    const roast_out *o;
    (void)roast_coord_drain(c, &o);
    roast_coord_free(c);

    hansa_prng p;
    prng_seed(&p, 3);
    roast_signer_config sc = {.group = group, .id = 2, .share = shares[2], .rng = prng_as_rng(&p),
                              .persist = persist_ok, .approve = approve_all};
    roast_signer *s = roast_signer_new(&sc, NULL, 0);
    hbuf out = HBUF_INIT;
    HANSA_ASSERT(roast_signer_commit(s, 42, &out) == HANSA_OK);
    hbuf_reset(&out);
    (void)roast_signer_on_request(s, in, size, &out, NULL);
    hbuf_free(&out);
    roast_signer_free(s);
    return 0;
}
