/* cert.c — see cert.h. */
#include "interchain/cert.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/sigbatch.h"
#include "crypto/sign.h"
#include "wire/codec.h"

static bool sig_ok(const cert_verifier *vf, const hansa_pubkey *pk, const char *domain,
                   const hbuf *msg, const hansa_sig *sig) {
    if (vf != NULL && vf->fn != NULL) return vf->fn(vf->ctx, pk, domain, msg->data, msg->len, sig);
    return verify_domain(pk, domain, msg->data, msg->len, sig);
}

bool cert_vote_form_ok(const wire_vote *v) {
    if (v->type != VOTE_PREVOTE && v->type != VOTE_PRECOMMIT) return false;
    return v->block.present || hash_is_zero(&v->block.hash);
}

bool cert_vote_sig_ok(const cert_verifier *vf, const wire_vote *v) {
    HANSA_ASSERT(cert_vote_form_ok(v));
    uint8_t storage[WIRE_VOTE_BYTES]; /* the sign bytes fit: no allocation per vote checked */
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_vote_sign_bytes(&b, v);
    bool ok = sig_ok(vf, &v->validator, SIGN_DOMAIN_VOTE, &b, &v->sig);
    hbuf_free(&b);
    return ok;
}

bool cert_proposal_sig_ok(const cert_verifier *vf, const wire_proposal *p) {
    HANSA_ASSERT(p->pol_round == WIRE_ROUND_NONE || p->pol_round < p->round);
    uint8_t storage[WIRE_PROPOSAL_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_proposal_sign_bytes(&b, p);
    bool ok = sig_ok(vf, &p->proposer, SIGN_DOMAIN_PROPOSAL, &b, &p->sig);
    hbuf_free(&b);
    return ok;
}

hansa_err cert_commit_shape(const wire_commit *c, const wire_validator *vs, size_t n,
                            uint64_t *signed_power, uint64_t *total_power) {
    HANSA_ASSERT(c != NULL);
    if (n == 0 || n > WIRE_VALIDATORS_MAX) return HANSA_ERR_INVALID;
    if (c->n_sigs == 0) return HANSA_ERR_QUORUM;
    if (c->n_sigs > n) return HANSA_ERR_INVALID;
    HANSA_ASSERT(c->sigs != NULL);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (vs[i].power > WIRE_TOTAL_POWER_MAX - total) return HANSA_ERR_INVALID;
        total += vs[i].power;
    }
    uint64_t power = 0;
    for (size_t i = 0; i < c->n_sigs; i++) {
        uint16_t idx = c->sigs[i].validator_index;
        if (idx >= n) return HANSA_ERR_INVALID;
        if (i > 0 && idx <= c->sigs[i - 1].validator_index) return HANSA_ERR_NONCANONICAL;
        power += vs[idx].power; /* <= total, checked above */
    }
    *signed_power = power;
    *total_power = total;
    return HANSA_OK;
}

/* Sign bytes of every precommit of c, back to back in one buffer (they
 * differ per signer: the validator's key is part of them), with one
 * sig_item per signature pointing into it. */
#define BATCH_STACK_SIGS 16 /* a commit of up to 16 signatures is checked without an allocation */

typedef struct {
    hbuf bytes;
    size_t *off, *len;
    sig_item *items;
    bool *ok;
    bool heap; /* the arrays were allocated (more than BATCH_STACK_SIGS) */
    /* Every node checks a commit per block it judges and commits: two
     * allocations each time, now only past BATCH_STACK_SIGS signers. */
    uint8_t bytes_storage[BATCH_STACK_SIGS * WIRE_VOTE_BYTES];
    sig_item items_storage[BATCH_STACK_SIGS];
    size_t off_storage[BATCH_STACK_SIGS], len_storage[BATCH_STACK_SIGS];
    bool ok_storage[BATCH_STACK_SIGS];
} commit_batch;

static void batch_build(commit_batch *cb, const wire_commit *c, const wire_validator *vs) {
    size_t n = c->n_sigs;
    cb->heap = n > BATCH_STACK_SIGS;
    if (!cb->heap) {
        cb->bytes = hbuf_on(cb->bytes_storage, sizeof cb->bytes_storage);
        cb->items = cb->items_storage;
        cb->off = cb->off_storage;
        cb->len = cb->len_storage;
        cb->ok = cb->ok_storage;
        memset(cb->ok, 0, n * sizeof *cb->ok);
    } else {
        cb->bytes = (hbuf)HBUF_INIT;
        hbuf_reserve(&cb->bytes, n * WIRE_VOTE_BYTES); /* one allocation: the sign bytes fit */
        /* The four arrays in one allocation, most aligned first. */
        _Static_assert(_Alignof(sig_item) >= _Alignof(size_t), "items first");
        uint8_t *mem = hansa_calloc(n, sizeof *cb->items + 2 * sizeof(size_t) + sizeof(bool));
        cb->items = (sig_item *)(void *)mem;
        cb->off = (size_t *)(void *)(mem + n * sizeof *cb->items);
        cb->len = cb->off + n;
        cb->ok = (bool *)(void *)(cb->len + n);
    }
    for (size_t i = 0; i < n; i++) {
        wire_vote v;
        wire_commit_vote(c, i, &vs[c->sigs[i].validator_index].pubkey, &v);
        cb->off[i] = cb->bytes.len;
        wire_vote_sign_bytes(&cb->bytes, &v);
        cb->len[i] = cb->bytes.len - cb->off[i];
    }
    /* Pointers into bytes only once it has stopped growing. */
    for (size_t i = 0; i < n; i++)
        cb->items[i] = (sig_item){&vs[c->sigs[i].validator_index].pubkey, SIGN_DOMAIN_VOTE,
                                  cb->bytes.data + cb->off[i], cb->len[i], &c->sigs[i].sig};
}

static void batch_free(commit_batch *cb) {
    hbuf_free(&cb->bytes); /* a no-op on the lent storage */
    if (cb->heap) free(cb->items); /* holds off, len and ok too */
}

hansa_err cert_commit_sigs(const cert_verifier *vf, const wire_commit *c, const wire_validator *vs,
                           size_t n, size_t *bad_index) {
    HANSA_ASSERT(c->n_sigs > 0);
    HANSA_ASSERT(c->n_sigs <= n);
    commit_batch cb;
    batch_build(&cb, c, vs);
    if (vf != NULL && vf->fn != NULL) {
        for (size_t i = 0; i < c->n_sigs; i++) {
            const sig_item *it = &cb.items[i];
            cb.ok[i] = vf->fn(vf->ctx, it->pk, it->domain, it->msg, it->len, it->sig);
        }
    } else {
        sig_batch_verify(cb.items, c->n_sigs, cb.ok);
    }
    hansa_err err = HANSA_OK;
    for (size_t i = 0; i < c->n_sigs && err == HANSA_OK; i++) {
        if (cb.ok[i]) continue;
        err = HANSA_ERR_BAD_SIG;
        if (bad_index) *bad_index = i;
    }
    batch_free(&cb);
    return err;
}

hansa_err cert_commit_verify_with(const cert_verifier *vf, const wire_commit *c, uint32_t chain_id,
                                  const wire_validator *vs, size_t n) {
    HANSA_ASSERT(c != NULL);
    if (c->chain_id != chain_id) return HANSA_ERR_WRONG_CHAIN;
    uint64_t power = 0, total = 0;
    hansa_err err = cert_commit_shape(c, vs, n, &power, &total);
    if (err != HANSA_OK) return err;
    /* More than 2/3: total <= 2^60, so 3 * power cannot overflow. */
    if (!(power * 3 > total * 2)) return HANSA_ERR_QUORUM;
    return cert_commit_sigs(vf, c, vs, n, NULL);
}

hansa_err cert_commit_verify(const wire_commit *c, uint32_t chain_id, const wire_validator *vs,
                             size_t n) {
    return cert_commit_verify_with(NULL, c, chain_id, vs, n);
}

hansa_err cert_evidence_verify(const wire_evidence *ev, uint32_t chain_id) {
    HANSA_ASSERT(ev != NULL);
    if (ev->a.chain_id != chain_id || ev->b.chain_id != chain_id) return HANSA_ERR_WRONG_CHAIN;
    if (!cert_vote_form_ok(&ev->a) || !cert_vote_form_ok(&ev->b)) return HANSA_ERR_INVALID;
    wire_evidence canon;
    hansa_err err = wire_evidence_make(&ev->a, &ev->b, &canon);
    if (err != HANSA_OK) return err; /* not the same slot, or the same block twice */
    /* wire_evidence_make put the smaller block id first; so must ev. */
    if (canon.a.block.present != ev->a.block.present ||
        !hash_eq(&canon.a.block.hash, &ev->a.block.hash))
        return HANSA_ERR_NONCANONICAL;
    if (!cert_vote_sig_ok(NULL, &ev->a)) return HANSA_ERR_BAD_SIG;
    if (!cert_vote_sig_ok(NULL, &ev->b)) return HANSA_ERR_BAD_SIG;
    return HANSA_OK;
}
