/* frost_forge.h — made-up FROST groups of a foreign chain for light-client
 * tests: a 2-of-3 group per key epoch (shares from one dealer polynomial:
 * the light client sees only keys and signatures, so how the shares were
 * made does not matter here), checkpoints of forged headers and handoffs
 * between groups, each signed by a real two-round FROST run. Header-only,
 * next to ic_forge.h. Randomness comes from a hansa_prng the test seeds (and
 * prints). */
#ifndef HANSA_TESTS_FROST_FORGE_H
#define HANSA_TESTS_FROST_FORGE_H

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "wire/checkpoint.h"
#include "wire/codec.h"

#define FF_N 3
#define FF_T 2

typedef struct {
    uint64_t epoch;
    frost_group g;
    frost_scalar share[FF_N + 1]; /* share[i] of participant i, 1..FF_N */
} ff_group;

static inline void ff_group_make(ff_group *gr, hansa_prng *prng, uint64_t epoch) {
    memset(gr, 0, sizeof *gr);
    hansa_rng rng = prng_as_rng(prng);
    frost_scalar coeffs[FF_T];
    for (int k = 0; k < FF_T; k++) frost_scalar_random(&rng, &coeffs[k]);
    gr->epoch = epoch;
    gr->g.n = FF_N;
    gr->g.t = FF_T;
    HANSA_ASSERT(frost_base_mul(&coeffs[0], &gr->g.key));
    for (uint16_t i = 1; i <= FF_N; i++) {
        frost_poly_eval(coeffs, FF_T, i, &gr->share[i]);
        HANSA_ASSERT(frost_base_mul(&gr->share[i], &gr->g.shares[i - 1]));
    }
    frost_wipe(coeffs, sizeof coeffs);
}

/* The group's signature on msg by participants 1..FF_T (RFC 9591 rounds one
 * and two, then aggregate), checked before it is returned. */
static inline void ff_sign(const ff_group *gr, hansa_prng *prng, const uint8_t *msg, size_t len,
                           frost_sig *out) {
    hansa_rng rng = prng_as_rng(prng);
    frost_nonces nonces[FF_T];
    frost_commitment list[FF_T];
    for (uint16_t i = 0; i < FF_T; i++)
        frost_commit(&rng, (uint16_t)(i + 1), &gr->share[i + 1], &nonces[i], &list[i]);
    static frost_derived d; /* large: not on the stack */
    HANSA_ASSERT(frost_derive(&gr->g.key, list, FF_T, FF_N, msg, len, &d) == HANSA_OK);
    frost_scalar z[FF_T];
    for (uint16_t i = 0; i < FF_T; i++)
        HANSA_ASSERT(frost_sign(&d, &list[i], &gr->share[i + 1], &nonces[i], &z[i]) == HANSA_OK);
    HANSA_ASSERT(frost_aggregate(&d, z, out) == HANSA_OK);
    HANSA_ASSERT(frost_verify(&gr->g.key, msg, len, out));
}

/* A checkpoint of header hh at height, naming epoch, signed by gr for chain. */
static inline void ff_checkpoint_raw(const ff_group *gr, hansa_prng *prng, uint32_t chain,
                                     uint64_t height, const hansa_hash *hh, uint64_t epoch,
                                     checkpoint *out) {
    memset(out, 0, sizeof *out);
    out->height = height;
    out->epoch = epoch;
    out->header_hash = *hh;
    out->group_key = gr->g.key;
    hbuf b = HBUF_INIT;
    checkpoint_msg(&b, chain, height, hh, epoch);
    ff_sign(gr, prng, b.data, b.len, &out->sig);
    hbuf_free(&b);
}

/* gr's checkpoint of header h, as the chain signs it. */
static inline void ff_checkpoint(const ff_group *gr, hansa_prng *prng, const wire_header *h,
                                 checkpoint *out) {
    hansa_hash hh;
    wire_header_hash(h, &hh);
    ff_checkpoint_raw(gr, prng, h->chain_id, h->height, &hh, gr->epoch, out);
}

/* The handoff from `from` to `to` for chain, signed by `signer` (normally
 * `from`; another group forges it). */
static inline void ff_handoff_by(const ff_group *from, const ff_group *to, const ff_group *signer,
                                 hansa_prng *prng, uint32_t chain, handoff *out) {
    memset(out, 0, sizeof *out);
    out->old_epoch = from->epoch;
    out->new_epoch = to->epoch;
    out->old_key = from->g.key;
    out->new_key = to->g.key;
    out->t = to->g.t;
    out->n = to->g.n;
    hbuf b = HBUF_INIT;
    handoff_msg(&b, chain, out->old_epoch, out->new_epoch, &out->new_key, out->t, out->n);
    ff_sign(signer, prng, b.data, b.len, &out->sig);
    hbuf_free(&b);
}

static inline void ff_handoff(const ff_group *from, const ff_group *to, hansa_prng *prng,
                              uint32_t chain, handoff *out) {
    ff_handoff_by(from, to, from, prng, chain, out);
}

#endif
