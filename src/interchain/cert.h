/* cert.h — checks of signed consensus objects that need no engine and no
 * state: single votes and proposals, commit certificates, duplicate-vote
 * evidence.
 *
 * Who uses them: the consensus engine (every vote and proposal it takes),
 * block sync and block validation in node/ (a block's last commit, its
 * evidence), the light client (a foreign chain's commit certificates, the
 * evidence a misbehaviour yields), and `hansa tx` (a proof checked on the
 * user's machine). They live here, one floor below the ledger, so that the
 * state transition can verify a foreign chain's commits without reaching up
 * into consensus/ (DESIGN.md section 3).
 *
 * Each check says exactly why it rejects: wrong chain, malformed (unsorted
 * or out-of-range indices), not enough power, or a signature that does not
 * verify. The structural checks come before any signature is verified, so
 * garbage costs no Ed25519 work. A commit's signatures are verified together
 * (crypto/sigbatch.h: spread over the machine's cores) unless the caller
 * brings its own verifier, e.g. the engine's cache. */
#ifndef HANSA_INTERCHAIN_CERT_H
#define HANSA_INTERCHAIN_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/types.h"

/* A signature check supplied by the caller (same contract as
 * verify_domain()). A NULL cert_verifier, or one with fn NULL, means the
 * signatures are verified here, a commit's in one parallel batch. */
typedef struct {
    bool (*fn)(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
               size_t len, const hansa_sig *sig);
    void *ctx;
} cert_verifier;

/* True when the vote's form lets it be hashed and signed: a known type and a
 * canonical block id (nil has an all-zero hash). */
bool cert_vote_form_ok(const wire_vote *v);
/* True when v->sig is v->validator's signature over v's sign bytes. The
 * form must have been checked (asserted). */
bool cert_vote_sig_ok(const cert_verifier *vf, const wire_vote *v);
/* True when p->sig is p->proposer's signature over p's sign bytes; needs
 * pol_round == WIRE_ROUND_NONE or < round (asserted). */
bool cert_proposal_sig_ok(const cert_verifier *vf, const wire_proposal *p);

/* The structure of commit c against the n validators vs (sorted, as the set
 * the commit's indices point into): indices strictly increasing and in
 * range, no more signatures than validators, at least one. Sets
 * *signed_power (power of the signers) and *total_power. No signature is
 * looked at. Errors: HANSA_ERR_INVALID (bad set, index out of range, more
 * sigs than validators), HANSA_ERR_NONCANONICAL (indices not increasing),
 * HANSA_ERR_QUORUM (no signatures). */
hansa_err cert_commit_shape(const wire_commit *c, const wire_validator *vs, size_t n,
                            uint64_t *signed_power, uint64_t *total_power);

/* Verifies every signature of c (its shape checked first, by the caller)
 * over the precommit sign bytes, signer keys taken from vs. HANSA_OK, or
 * HANSA_ERR_BAD_SIG with *bad_index (optional) the first signature (in
 * commit order) that does not verify. */
hansa_err cert_commit_sigs(const cert_verifier *vf, const wire_commit *c, const wire_validator *vs,
                           size_t n, size_t *bad_index);

/* A commit certificate on its own: chain id, shape, more than 2/3 of vs's
 * power (checked before any signature), every signature. The caller checks
 * c->height and c->block. Errors: HANSA_ERR_WRONG_CHAIN, the shape's,
 * HANSA_ERR_QUORUM, HANSA_ERR_BAD_SIG. */
hansa_err cert_commit_verify(const wire_commit *c, uint32_t chain_id, const wire_validator *vs,
                             size_t n);
hansa_err cert_commit_verify_with(const cert_verifier *vf, const wire_commit *c, uint32_t chain_id,
                                  const wire_validator *vs, size_t n);

/* Duplicate-vote evidence on its own: same chain/height/round/type/
 * validator, different blocks, canonical order, both signatures valid.
 * Whether the validator belonged to the set at that height is the caller's
 * check. Errors: HANSA_ERR_WRONG_CHAIN; HANSA_ERR_INVALID (not one slot, or
 * one block, or a malformed vote); HANSA_ERR_NONCANONICAL (a's block id not
 * below b's); HANSA_ERR_BAD_SIG. */
hansa_err cert_evidence_verify(const wire_evidence *ev, uint32_t chain_id);

#endif
