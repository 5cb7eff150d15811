/* verify.c — checks of signed consensus objects that need no engine:
 * single votes and proposals, commit certificates, duplicate-vote evidence.
 *
 * These are what block sync and light clients trust, so each check says
 * exactly why it rejects: wrong chain, malformed (unsorted or out-of-range
 * indices), a signature that does not verify, or not enough power. The
 * cheap structural checks come before any signature is verified, so garbage
 * costs no Ed25519 work. */
#include "base/assert.h"
#include "base/buf.h"
#include "consensus/sigcheck.h"
#include "crypto/sign.h"
#include "wire/codec.h"

static bool sig_ok(const cons_app *app, const hansa_pubkey *pk, const char *domain,
                   const hbuf *msg, const hansa_sig *sig) {
    if (app != NULL && app->verify != NULL)
        return app->verify(app->ctx, pk, domain, msg->data, msg->len, sig);
    return verify_domain(pk, domain, msg->data, msg->len, sig);
}

bool cons_vote_form_ok(const wire_vote *v) {
    if (v->type != VOTE_PREVOTE && v->type != VOTE_PRECOMMIT) return false;
    return v->block.present || hash_is_zero(&v->block.hash);
}

bool cons_vote_sig_ok(const cons_app *app, const wire_vote *v) {
    HANSA_ASSERT(cons_vote_form_ok(v));
    hbuf b = HBUF_INIT;
    wire_vote_sign_bytes(&b, v);
    bool ok = sig_ok(app, &v->validator, SIGN_DOMAIN_VOTE, &b, &v->sig);
    hbuf_free(&b);
    return ok;
}

bool cons_proposal_sig_ok(const cons_app *app, const wire_proposal *p) {
    HANSA_ASSERT(p->pol_round == WIRE_ROUND_NONE || p->pol_round < p->round);
    hbuf b = HBUF_INIT;
    wire_proposal_sign_bytes(&b, p);
    bool ok = sig_ok(app, &p->proposer, SIGN_DOMAIN_PROPOSAL, &b, &p->sig);
    hbuf_free(&b);
    return ok;
}

/* Structure of a commit against a set of n validators: indices strictly
 * increasing and in range. Sets *power to the power that signed. */
static hansa_err commit_shape(const wire_commit *c, const wire_validator *vs, size_t n,
                              uint64_t *power, uint64_t *total) {
    if (n == 0 || n > WIRE_VALIDATORS_MAX) return HANSA_ERR_INVALID;
    if (c->n_sigs == 0) return HANSA_ERR_QUORUM;
    if (c->n_sigs > n) return HANSA_ERR_INVALID;
    HANSA_ASSERT(c->sigs != NULL);
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (vs[i].power > WIRE_TOTAL_POWER_MAX - *total) return HANSA_ERR_INVALID;
        *total += vs[i].power;
    }
    *power = 0;
    for (size_t i = 0; i < c->n_sigs; i++) {
        uint16_t idx = c->sigs[i].validator_index;
        if (idx >= n) return HANSA_ERR_INVALID;
        if (i > 0 && idx <= c->sigs[i - 1].validator_index) return HANSA_ERR_NONCANONICAL;
        *power += vs[idx].power; /* <= total, checked above */
    }
    return HANSA_OK;
}

hansa_err cons_commit_verify_app(const cons_app *app, const wire_commit *c, uint32_t chain_id,
                                 const wire_validator *vs, size_t n) {
    HANSA_ASSERT(c != NULL);
    if (c->chain_id != chain_id) return HANSA_ERR_WRONG_CHAIN;
    uint64_t power = 0, total = 0;
    hansa_err err = commit_shape(c, vs, n, &power, &total);
    if (err != HANSA_OK) return err;
    /* More than 2/3: total <= 2^60, so 3 * power cannot overflow. */
    if (!(power * 3 > total * 2)) return HANSA_ERR_QUORUM;
    for (size_t i = 0; i < c->n_sigs; i++) {
        wire_vote v;
        wire_commit_vote(c, i, &vs[c->sigs[i].validator_index].pubkey, &v);
        if (!cons_vote_sig_ok(app, &v)) return HANSA_ERR_BAD_SIG;
    }
    return HANSA_OK;
}

hansa_err cons_commit_verify(const wire_commit *c, uint32_t chain_id, const wire_validator *vs,
                             size_t n) {
    return cons_commit_verify_app(NULL, c, chain_id, vs, n);
}

hansa_err cons_evidence_verify(const wire_evidence *ev, uint32_t chain_id) {
    HANSA_ASSERT(ev != NULL);
    if (ev->a.chain_id != chain_id || ev->b.chain_id != chain_id) return HANSA_ERR_WRONG_CHAIN;
    if (!cons_vote_form_ok(&ev->a) || !cons_vote_form_ok(&ev->b)) return HANSA_ERR_INVALID;
    wire_evidence canon;
    hansa_err err = wire_evidence_make(&ev->a, &ev->b, &canon);
    if (err != HANSA_OK) return err; /* not the same slot, or the same block twice */
    /* wire_evidence_make put the smaller block id first; so must ev. */
    if (canon.a.block.present != ev->a.block.present ||
        !hash_eq(&canon.a.block.hash, &ev->a.block.hash))
        return HANSA_ERR_NONCANONICAL;
    if (!cons_vote_sig_ok(NULL, &ev->a)) return HANSA_ERR_BAD_SIG;
    if (!cons_vote_sig_ok(NULL, &ev->b)) return HANSA_ERR_BAD_SIG;
    return HANSA_OK;
}
