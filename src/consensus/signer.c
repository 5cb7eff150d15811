/* signer.c — the canonical encoding of the signer state (engine.h).
 *
 * This record is what stands between a crash and a double signature: the
 * engine asks for it to be stored before any signature leaves it, and a
 * restarted engine refuses to sign anything at or before the (height, round,
 * step) it names. So the decoder is strict: one encoding per state, and a
 * record that contradicts itself (a prevote filed as a precommit, a message
 * for another height) is rejected rather than half-trusted. store/ wraps the
 * record with its own checksum; this layer only defines the bytes.
 *
 * Format, version 2 (little-endian, like every hansa encoding):
 *
 *   offset  size  field
 *   0       1     version = 1
 *   1       8     height
 *   9       4     round
 *   13      1     step: 0 propose, 1 prevote, 2 precommit
 *   14      1     has_signed: 0 or 1
 *   15      1     signed_kind: 0 proposal, 1 vote
 *   16      4     locked_round (0xffffffff = none)
 *   20      32    locked_id (all zero when none)
 *   52      4     valid_round (0xffffffff = none)
 *   56      32    valid_id (all zero when none)
 *   88      4     L: length of the signed message (0 when !has_signed)
 *   92      L     the signed proposal or vote in its wire encoding
 *   92+L    1     has_round_prevote: 0 or 1
 *   93+L    4     P: length of the round's prevote (only if has_round_prevote)
 *   97+L    P     the engine's prevote of this height/round, wire encoding
 *   then    1     has_prev_precommit: 0 or 1
 *           4     Q: length of the earlier precommit (only if present)
 *           Q     the engine's precommit of an earlier round of this height
 *
 * With nothing signed, round, step and signed_kind are zero, L = 0 and both
 * flags are 0. A round prevote is present only beside a precommit of the
 * same validator, height and round; an earlier precommit only beside a
 * message of the same validator and height in a later round. Version 1 is
 * version 2 without the last three fields (records written before the
 * earlier precommit was kept) and is still read, as "none kept". */
#include <string.h>

#include "base/assert.h"
#include "consensus/engine.h"
#include "wire/codec.h"

#define SIGNER_VERSION 2

static void put_hash(hbuf *b, const hansa_hash *h) { hbuf_append(b, h->b, HANSA_HASH_BYTES); }

void cons_signer_encode(hbuf *b, const cons_signer_state *s) {
    HANSA_ASSERT(s->step <= CONS_STEP_PRECOMMIT);
    HANSA_ASSERT(s->signed_kind <= 1);
    hbuf_put_u8(b, SIGNER_VERSION);
    hbuf_put_u64(b, s->height);
    hbuf_put_u32(b, s->round);
    hbuf_put_u8(b, s->step);
    hbuf_put_u8(b, s->has_signed ? 1 : 0);
    hbuf_put_u8(b, s->signed_kind);
    hbuf_put_u32(b, s->locked_round);
    put_hash(b, &s->locked_id);
    hbuf_put_u32(b, s->valid_round);
    put_hash(b, &s->valid_id);
    if (!s->has_signed) {
        HANSA_ASSERT(!s->has_round_prevote && !s->has_prev_precommit);
        hbuf_put_u32(b, 0);
        hbuf_put_u8(b, 0);
        hbuf_put_u8(b, 0);
        return;
    }
    uint8_t storage[WIRE_PROPOSAL_BYTES > WIRE_VOTE_BYTES ? WIRE_PROPOSAL_BYTES : WIRE_VOTE_BYTES];
    hbuf msg = hbuf_on(storage, sizeof storage);
    if (s->signed_kind == 0) wire_proposal_encode(&msg, &s->last_proposal);
    else wire_vote_encode(&msg, &s->last_vote);
    wire_put_bytes(b, msg.data, (uint32_t)msg.len);
    hbuf_put_u8(b, s->has_round_prevote ? 1 : 0);
    if (s->has_round_prevote) {
        hbuf_reset(&msg);
        wire_vote_encode(&msg, &s->round_prevote);
        wire_put_bytes(b, msg.data, (uint32_t)msg.len);
    }
    hbuf_put_u8(b, s->has_prev_precommit ? 1 : 0);
    if (s->has_prev_precommit) {
        hbuf_reset(&msg);
        wire_vote_encode(&msg, &s->prev_precommit);
        wire_put_bytes(b, msg.data, (uint32_t)msg.len);
    }
    hbuf_free(&msg);
}

/* A round and its id: none has a zero id; a set round is not after the
 * state's own round (a lock is taken at the round of the precommit that is
 * signed with it, and later signatures only move the round forward). */
static bool round_id_ok(uint32_t round, const hansa_hash *id, uint32_t state_round) {
    if (round == WIRE_ROUND_NONE) return hash_is_zero(id);
    return round <= state_round;
}

/* The signed message must be the one the header fields describe. */
static hansa_err message_matches(const cons_signer_state *s) {
    if (s->signed_kind == 0) {
        const wire_proposal *p = &s->last_proposal;
        if (s->step != CONS_STEP_PROPOSE) return HANSA_ERR_INVALID;
        if (p->height != s->height || p->round != s->round) return HANSA_ERR_INVALID;
        return HANSA_OK;
    }
    const wire_vote *v = &s->last_vote;
    cons_step want = v->type == VOTE_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
    if (s->step != want) return HANSA_ERR_INVALID;
    if (v->height != s->height || v->round != s->round) return HANSA_ERR_INVALID;
    return HANSA_OK;
}

/* The kept prevote must be this validator's prevote of the same slot as
 * the precommit it sits beside. */
static hansa_err round_prevote_matches(const cons_signer_state *s) {
    const wire_vote *p = &s->round_prevote, *v = &s->last_vote;
    if (s->signed_kind != 1 || s->step != CONS_STEP_PRECOMMIT) return HANSA_ERR_INVALID;
    if (p->type != VOTE_PREVOTE) return HANSA_ERR_INVALID;
    if (p->chain_id != v->chain_id || p->height != v->height || p->round != v->round)
        return HANSA_ERR_INVALID;
    if (!pubkey_eq(&p->validator, &v->validator)) return HANSA_ERR_INVALID;
    return HANSA_OK;
}

/* The kept earlier precommit: this validator's, of this height, of a round
 * before the state's own. */
static hansa_err prev_precommit_matches(const cons_signer_state *s) {
    const wire_vote *p = &s->prev_precommit;
    uint32_t chain = s->signed_kind == 0 ? s->last_proposal.chain_id : s->last_vote.chain_id;
    const hansa_pubkey *key = s->signed_kind == 0 ? &s->last_proposal.proposer : &s->last_vote.validator;
    if (p->type != VOTE_PRECOMMIT || p->chain_id != chain || p->height != s->height || p->round >= s->round)
        return HANSA_ERR_INVALID;
    return pubkey_eq(&p->validator, key) ? HANSA_OK : HANSA_ERR_INVALID;
}

/* An optional vote: a bool, then (if set) its length and wire encoding. */
static bool decode_opt_vote(wire_rd *r, wire_vote *v, const char *what, hansa_err *err) {
    bool has = rd_bool(r, what);
    if (r->err != HANSA_OK || !has) {
        *err = r->err;
        return false;
    }
    uint32_t len = rd_len(r, WIRE_VOTE_BYTES, what);
    const uint8_t *p = rd_borrow(r, len, what);
    *err = r->err != HANSA_OK ? r->err : wire_vote_decode(p, len, v, NULL);
    return *err == HANSA_OK;
}

static hansa_err decode_message(wire_rd *r, uint8_t version, cons_signer_state *s) {
    uint32_t max = s->signed_kind == 0 ? WIRE_PROPOSAL_BYTES : WIRE_VOTE_BYTES;
    uint32_t len = rd_len(r, max, "signer.message_len");
    const uint8_t *p = rd_borrow(r, len, "signer.message");
    if (r->err != HANSA_OK) return r->err;
    hansa_err err = s->signed_kind == 0 ? wire_proposal_decode(p, len, &s->last_proposal, NULL)
                                        : wire_vote_decode(p, len, &s->last_vote, NULL);
    if (err != HANSA_OK) return err;
    err = message_matches(s);
    if (err != HANSA_OK) return err;
    s->has_round_prevote = decode_opt_vote(r, &s->round_prevote, "signer.round_prevote", &err);
    if (err != HANSA_OK) return err;
    if (s->has_round_prevote && (err = round_prevote_matches(s)) != HANSA_OK) return err;
    if (version < 2) return HANSA_OK;
    s->has_prev_precommit = decode_opt_vote(r, &s->prev_precommit, "signer.prev_precommit", &err);
    if (err != HANSA_OK) return err;
    return s->has_prev_precommit ? prev_precommit_matches(s) : HANSA_OK;
}

static hansa_err decode_fields(wire_rd *r, cons_signer_state *s) {
    uint8_t version = rd_u8(r, "signer.version");
    if (r->err == HANSA_OK && (version < 1 || version > SIGNER_VERSION)) return HANSA_ERR_VERSION;
    s->height = rd_u64(r, "signer.height");
    s->round = rd_u32(r, "signer.round");
    s->step = rd_u8(r, "signer.step");
    s->has_signed = rd_bool(r, "signer.has_signed");
    s->signed_kind = rd_u8(r, "signer.signed_kind");
    s->locked_round = rd_u32(r, "signer.locked_round");
    rd_fixed(r, s->locked_id.b, HANSA_HASH_BYTES, "signer.locked_id");
    s->valid_round = rd_u32(r, "signer.valid_round");
    rd_fixed(r, s->valid_id.b, HANSA_HASH_BYTES, "signer.valid_id");
    if (r->err != HANSA_OK) return r->err;
    if (s->step > CONS_STEP_PRECOMMIT || s->signed_kind > 1) return HANSA_ERR_NONCANONICAL;
    if (!round_id_ok(s->locked_round, &s->locked_id, s->round)) return HANSA_ERR_INVALID;
    if (!round_id_ok(s->valid_round, &s->valid_id, s->round)) return HANSA_ERR_INVALID;
    if (s->has_signed) return decode_message(r, version, s);
    if (s->round != 0 || s->step != 0 || s->signed_kind != 0) return HANSA_ERR_NONCANONICAL;
    if (rd_len(r, 0, "signer.message_len") != 0 || r->err != HANSA_OK)
        return r->err == HANSA_ERR_TOO_LONG ? HANSA_ERR_NONCANONICAL : r->err;
    if (rd_bool(r, "signer.has_round_prevote") || r->err != HANSA_OK)
        return r->err != HANSA_OK ? r->err : HANSA_ERR_INVALID;
    if (version >= 2 && (rd_bool(r, "signer.has_prev_precommit") || r->err != HANSA_OK))
        return r->err != HANSA_OK ? r->err : HANSA_ERR_INVALID;
    return HANSA_OK;
}

hansa_err cons_signer_decode(const uint8_t *p, size_t len, cons_signer_state *s) {
    HANSA_ASSERT(p != NULL || len == 0);
    memset(s, 0, sizeof *s);
    wire_rd r;
    rd_init(&r, p, len);
    hansa_err err = decode_fields(&r, s);
    if (err == HANSA_OK) {
        rd_end(&r);
        err = r.err;
    }
    if (err != HANSA_OK) memset(s, 0, sizeof *s);
    return err;
}
