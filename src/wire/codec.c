/* codec.c — the canonical binary encoding of every protocol type.
 *
 * The idea: one encoder and one decoder per type, written side by side so
 * their field order can be compared at a glance, and a decoder that accepts
 * exactly the byte strings its encoder can produce. Every rule that makes an
 * encoding unique (bools 0/1, nil block ids with zero hash, sorted lists,
 * in-range enums) is checked by the decoder and asserted by the encoder, so
 * encode(decode(x)) == x for every accepted x — the property the fuzzers in
 * fuzz/ check. The format tables are in docs/wire.md.
 *
 * Decoding goes through a cursor (wire_rd) that stays failed after its first
 * error: readers call rd_* field after field and look at r->err once, the way
 * Core Lightning's fromwire does. Lengths and counts are checked against
 * their bounds, and against the bytes actually left, before any allocation. */
#include "wire/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/memo.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"

_Static_assert(WIRE_VOTE_BYTES == 147, "vote layout in docs/wire.md");
_Static_assert(WIRE_PROPOSAL_BYTES == 149, "proposal layout in docs/wire.md");
_Static_assert(WIRE_HEADER_BYTES == 281, "header layout in docs/wire.md");
_Static_assert(WIRE_TX_BYTES_MIN == 123, "tx layout in docs/wire.md");
_Static_assert(WIRE_EVIDENCE_BYTES == 295, "evidence layout in docs/wire.md");
_Static_assert(WIRE_BLOCK_TXS_MAX <= UINT32_MAX / WIRE_TX_BYTES_MAX, "block size fits size_t math");
_Static_assert(WIRE_VALIDATORS_MAX <= UINT16_MAX, "n_sigs and valset n are u16");
_Static_assert(WIRE_BLOCK_EVIDENCE_MAX <= UINT16_MAX, "n_evidence is u16");

/* ---- the cursor ----------------------------------------------------------- */

void rd_init(wire_rd *r, const void *p, size_t len) {
    HANSA_ASSERT(p != NULL || len == 0);
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = HANSA_OK;
    r->err_off = 0;
    r->err_field = NULL;
}

void rd_fail(wire_rd *r, hansa_err err, const char *field) {
    HANSA_ASSERT(err != HANSA_OK);
    if (r->err != HANSA_OK) return; /* the first error is the one that explains */
    r->err = err;
    r->err_off = r->off;
    r->err_field = field;
}

/* Like rd_fail, for an error found inside a sub-value that started at off. */
static void rd_fail_at(wire_rd *r, hansa_err err, size_t off, const char *field) {
    HANSA_ASSERT(err != HANSA_OK);
    if (r->err != HANSA_OK) return;
    r->err = err;
    r->err_off = off;
    r->err_field = field;
}

static size_t rd_left(const wire_rd *r) {
    HANSA_ASSERT(r->off <= r->len);
    return r->len - r->off;
}

const uint8_t *rd_borrow(wire_rd *r, size_t n, const char *field) {
    static const uint8_t empty[1];
    if (r->err != HANSA_OK) return NULL;
    if (n > rd_left(r)) {
        rd_fail(r, HANSA_ERR_TRUNCATED, field);
        return NULL;
    }
    /* A zero-length value at the end of an empty input still gets a valid pointer. */
    const uint8_t *q = r->p ? r->p + r->off : empty;
    r->off += n;
    return q;
}

void rd_fixed(wire_rd *r, void *out, size_t n, const char *field) {
    const uint8_t *q = rd_borrow(r, n, field);
    if (q)
        memcpy(out, q, n);
    else
        memset(out, 0, n);
}

uint8_t rd_u8(wire_rd *r, const char *field) {
    const uint8_t *q = rd_borrow(r, 1, field);
    return q ? q[0] : 0;
}

uint16_t rd_u16(wire_rd *r, const char *field) {
    const uint8_t *q = rd_borrow(r, 2, field);
    return q ? le16_load(q) : 0;
}

uint32_t rd_u32(wire_rd *r, const char *field) {
    const uint8_t *q = rd_borrow(r, 4, field);
    return q ? le32_load(q) : 0;
}

uint64_t rd_u64(wire_rd *r, const char *field) {
    const uint8_t *q = rd_borrow(r, 8, field);
    return q ? le64_load(q) : 0;
}

bool rd_bool(wire_rd *r, const char *field) {
    size_t at = r->off;
    uint8_t v = rd_u8(r, field);
    if (v > 1) rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, field);
    return v == 1;
}

uint32_t rd_len(wire_rd *r, uint32_t max, const char *field) {
    size_t at = r->off;
    uint32_t n = rd_u32(r, field);
    if (n > max) {
        rd_fail_at(r, HANSA_ERR_TOO_LONG, at, field);
        return 0;
    }
    return r->err == HANSA_OK ? n : 0;
}

/* A list count: bounded by max, and by the bytes left given that every item
 * takes at least item_min bytes, so a short input cannot make us allocate a
 * large array it could never fill. */
static uint32_t rd_count(wire_rd *r, uint32_t max, size_t item_min, const char *field) {
    HANSA_ASSERT(item_min > 0);
    size_t at = r->off;
    uint32_t n = rd_len(r, max, field);
    if (r->err == HANSA_OK && n > rd_left(r) / item_min) {
        rd_fail_at(r, HANSA_ERR_TRUNCATED, at, field);
        return 0;
    }
    return n;
}

void rd_end(wire_rd *r) {
    if (r->err == HANSA_OK && rd_left(r) != 0) rd_fail(r, HANSA_ERR_TRAILING, "end");
}

wire_rd *rd_begin(wire_rd *r, wire_rd *local, const void *p, size_t len, void *out, size_t size,
                  int version) {
    HANSA_ASSERT(version == RD_NO_VERSION || (version >= 0 && version <= UINT8_MAX));
    if (r == NULL) r = local;
    memset(out, 0, size);
    rd_init(r, p, len);
    if (version == RD_NO_VERSION) return r;
    size_t at = r->off;
    uint8_t v = rd_u8(r, "version");
    /* At the version byte itself, as every other version check reports it. */
    if (r->err == HANSA_OK && v != version) rd_fail_at(r, HANSA_ERR_VERSION, at, "version");
    return r;
}

hansa_err rd_close(wire_rd *r, void *out, size_t size) {
    rd_end(r);
    if (r->err != HANSA_OK) memset(out, 0, size);
    return r->err;
}

void rd_describe(const wire_rd *r, char *out, size_t out_len) {
    if (r->err == HANSA_OK) {
        snprintf(out, out_len, "ok (%zu bytes)", r->off);
        return;
    }
    snprintf(out, out_len, "%s at byte %zu (%s)", hansa_strerror(r->err), r->err_off,
             r->err_field ? r->err_field : "?");
}

static void rd_version(wire_rd *r, const char *field) {
    size_t at = r->off;
    uint8_t v = rd_u8(r, field);
    if (r->err == HANSA_OK && v != WIRE_VERSION) rd_fail_at(r, HANSA_ERR_VERSION, at, field);
}

/* Ends a top-level decode: no trailing bytes, and the cursor copied out. */
static hansa_err rd_finish(wire_rd *r, wire_rd *out) {
    rd_end(r);
    if (out) *out = *r;
    return r->err;
}

/* ---- shared field helpers ------------------------------------------------- */

void wire_put_bytes(hbuf *b, const void *p, uint32_t len) {
    HANSA_ASSERT(p != NULL || len == 0);
    hbuf_put_u32(b, len);
    hbuf_append(b, p, len);
}

static bool block_id_canonical(const block_id *id) { return id->present || hash_is_zero(&id->hash); }

void wire_put_block_id(hbuf *b, const block_id *id) {
    HANSA_ASSERT(block_id_canonical(id));
    hbuf_put_u8(b, id->present ? 1 : 0);
    hbuf_append(b, id->hash.b, HANSA_HASH_BYTES);
}

void rd_block_id(wire_rd *r, block_id *id, const char *field) {
    size_t at = r->off;
    id->present = rd_bool(r, field);
    rd_fixed(r, id->hash.b, HANSA_HASH_BYTES, field);
    if (r->err == HANSA_OK && !block_id_canonical(id))
        rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, field);
}

/* Total order on block ids used by evidence: nil first, then by hash bytes. */
static int block_id_cmp(const block_id *a, const block_id *b) {
    if (a->present != b->present) return a->present ? 1 : -1;
    return hash_cmp(&a->hash, &b->hash);
}

/* Most encodings hashed here (headers, transactions, votes' evidence) fit the
 * stack storage, so hashing one allocates nothing. */
static void hash_encoding(void (*enc)(hbuf *, const void *), const void *obj, hansa_hash *out) {
    uint8_t storage[1024];
    hbuf b = hbuf_on(storage, sizeof storage);
    enc(&b, obj);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

/* The memos of wire_memos: the last txs' root, header hash and commit
 * hash, each keyed by the whole of its input (a header's or a commit's
 * encoding, the txs laid out by tx_root_key). */
static _Thread_local hash_memo tx_root_memo, header_memo, commit_memo;
/* And the txs' hashes, a tx's slot picked by its last bytes (a signature's);
 * tx_hash_off, never switched on, answers the rest (memos off, as always in
 * hansad, or a length no slot keeps) by the same path, so the simulator runs
 * every line hansad's tx hashes run. */
static _Thread_local hash_memo tx_hash_memo[WIRE_TX_HASH_MEMO_SLOTS], tx_hash_off;
static _Thread_local bool memos_on;

void wire_memos(bool on) {
    memos_on = on;
    hash_memo_switch(&tx_root_memo, on);
    hash_memo_switch(&header_memo, on);
    hash_memo_switch(&commit_memo, on);
    for (size_t i = 0; i < WIRE_TX_HASH_MEMO_SLOTS; i++) hash_memo_switch(&tx_hash_memo[i], on);
}

bool wire_memos_on(void) {
    return memos_on;
}

/* Bytes to hash, a memo's ctx for sha256_of. */
typedef struct {
    const uint8_t *p;
    size_t len;
} hash_input;

/* SHA-256 of the hash_input ctx: the answer of the memos of encodings and
 * of txs' bytes. */
static void sha256_of(const void *ctx, hansa_hash *out) {
    const hash_input *in = ctx;
    sha256(in->p, in->len, out);
}

/* hash_encoding answered from m when it is on (base/memo.h): the encoding
 * is the key, and a miss (or m off) is hashed as hash_encoding hashes it. */
static void hash_encoding_memo(hash_memo *m, void (*enc)(hbuf *, const void *), const void *obj,
                               hansa_hash *out) {
    uint8_t storage[1024];
    hbuf b = hbuf_on(storage, sizeof storage);
    enc(&b, obj);
    hash_input in = {b.data, b.len};
    hash_memo_answer(m, b.data, b.len, sha256_of, &in, out);
    hbuf_free(&b);
}

/* ---- transaction ---------------------------------------------------------- */

static bool tx_kind_ok(uint16_t kind) { return kind >= 1 && kind <= TX_KIND_MAX_; }

void wire_tx_sign_bytes(hbuf *b, const wire_tx *tx) {
    HANSA_ASSERT(tx_kind_ok(tx->kind));
    HANSA_ASSERT(tx->body_len <= WIRE_TX_BODY_MAX);
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, tx->chain_id);
    hbuf_append(b, tx->sender.b, HANSA_PUBKEY_BYTES);
    hbuf_put_u64(b, tx->nonce);
    hbuf_put_u64(b, tx->fee);
    hbuf_put_u16(b, tx->kind);
    wire_put_bytes(b, tx->body, tx->body_len);
}

void wire_tx_encode(hbuf *b, const wire_tx *tx) {
    wire_tx_sign_bytes(b, tx);
    hbuf_append(b, tx->sig.b, HANSA_SIG_BYTES);
}

static void rd_tx(wire_rd *r, wire_tx *tx) {
    rd_version(r, "tx.version");
    tx->chain_id = rd_u32(r, "tx.chain_id");
    rd_fixed(r, tx->sender.b, HANSA_PUBKEY_BYTES, "tx.sender");
    tx->nonce = rd_u64(r, "tx.nonce");
    tx->fee = rd_u64(r, "tx.fee");
    size_t at = r->off;
    tx->kind = rd_u16(r, "tx.kind");
    if (r->err == HANSA_OK && !tx_kind_ok(tx->kind))
        rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "tx.kind");
    tx->body_len = rd_len(r, WIRE_TX_BODY_MAX, "tx.body_len");
    tx->body = rd_borrow(r, tx->body_len, "tx.body");
    rd_fixed(r, tx->sig.b, HANSA_SIG_BYTES, "tx.sig");
}

hansa_err wire_tx_decode(const uint8_t *p, size_t len, wire_tx *tx, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(tx, 0, sizeof *tx);
    rd_tx(&r, tx);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) memset(tx, 0, sizeof *tx);
    return err;
}

static void tx_encode_any(hbuf *b, const void *tx) { wire_tx_encode(b, tx); }

void wire_tx_hash(const wire_tx *tx, hansa_hash *out) { hash_encoding(tx_encode_any, tx, out); }

void wire_tx_bytes_hash(const uint8_t *bytes, size_t len, hansa_hash *out) {
    bool kept = memos_on && len >= 8 && len <= WIRE_TX_HASH_MEMO_BYTES;
    hash_memo *m = kept ? &tx_hash_memo[le64_load(bytes + len - 8) % WIRE_TX_HASH_MEMO_SLOTS] : &tx_hash_off;
    hash_input in = {bytes, len};
    hash_memo_answer(m, bytes, len, sha256_of, &in, out);
}

/* ---- vote ----------------------------------------------------------------- */

static bool vote_type_ok(uint8_t type) { return type == VOTE_PREVOTE || type == VOTE_PRECOMMIT; }

void wire_vote_sign_bytes(hbuf *b, const wire_vote *v) {
    HANSA_ASSERT(vote_type_ok(v->type));
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, v->chain_id);
    hbuf_put_u64(b, v->height);
    hbuf_put_u32(b, v->round);
    hbuf_put_u8(b, v->type);
    wire_put_block_id(b, &v->block);
    hbuf_append(b, v->validator.b, HANSA_PUBKEY_BYTES);
}

void wire_vote_encode(hbuf *b, const wire_vote *v) {
    wire_vote_sign_bytes(b, v);
    hbuf_append(b, v->sig.b, HANSA_SIG_BYTES);
}

static void rd_vote(wire_rd *r, wire_vote *v) {
    rd_version(r, "vote.version");
    v->chain_id = rd_u32(r, "vote.chain_id");
    v->height = rd_u64(r, "vote.height");
    v->round = rd_u32(r, "vote.round");
    size_t at = r->off;
    v->type = rd_u8(r, "vote.type");
    if (r->err == HANSA_OK && !vote_type_ok(v->type))
        rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "vote.type");
    rd_block_id(r, &v->block, "vote.block");
    rd_fixed(r, v->validator.b, HANSA_PUBKEY_BYTES, "vote.validator");
    rd_fixed(r, v->sig.b, HANSA_SIG_BYTES, "vote.sig");
}

/* wire_vote_hint's bytes (borrowed) and their decoded vote; v NULL: none. */
static _Thread_local struct {
    const uint8_t *p;
    size_t len;
    const wire_vote *v;
} vote_hint;

void wire_vote_hint(const uint8_t *p, size_t len, const wire_vote *v) {
    vote_hint.p = p;
    vote_hint.len = len;
    vote_hint.v = v;
}

#ifndef NDEBUG
static bool vote_eq(const wire_vote *a, const wire_vote *b) {
    return a->chain_id == b->chain_id && a->height == b->height && a->round == b->round &&
           a->type == b->type && a->block.present == b->block.present &&
           hash_eq(&a->block.hash, &b->block.hash) && pubkey_eq(&a->validator, &b->validator) &&
           memcmp(a->sig.b, b->sig.b, HANSA_SIG_BYTES) == 0;
}
#endif

/* The hint's vote when p[0..len) equals its bytes in full and the caller
 * asks for no reader state (a hit leaves none to give). */
static bool vote_from_hint(const uint8_t *p, size_t len, wire_vote *v, const wire_rd *out) {
    if (!vote_hint.v || out || len != vote_hint.len || memcmp(p, vote_hint.p, len) != 0) return false;
    *v = *vote_hint.v;
#ifndef NDEBUG /* debug builds decode a hit too, so a weakened compare cannot pass */
    wire_rd r;
    wire_vote check;
    rd_init(&r, p, len);
    memset(&check, 0, sizeof check);
    rd_vote(&r, &check);
    HANSA_ASSERT(rd_finish(&r, NULL) == HANSA_OK);
    HANSA_ASSERT(vote_eq(&check, v));
#endif
    return true;
}

hansa_err wire_vote_decode(const uint8_t *p, size_t len, wire_vote *v, wire_rd *out) {
    if (vote_from_hint(p, len, v, out)) return HANSA_OK;
    wire_rd r;
    rd_init(&r, p, len);
    memset(v, 0, sizeof *v);
    rd_vote(&r, v);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) memset(v, 0, sizeof *v);
    return err;
}

/* ---- proposal ------------------------------------------------------------- */

/* Alg. 1 line 28: a proof-of-lock round is an earlier round of the height. */
static bool pol_round_ok(uint32_t pol_round, uint32_t round) {
    return pol_round == WIRE_ROUND_NONE || pol_round < round;
}

void wire_proposal_sign_bytes(hbuf *b, const wire_proposal *p) {
    HANSA_ASSERT(pol_round_ok(p->pol_round, p->round));
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, p->chain_id);
    hbuf_put_u64(b, p->height);
    hbuf_put_u32(b, p->round);
    hbuf_put_u32(b, p->pol_round);
    hbuf_append(b, p->block.b, HANSA_HASH_BYTES);
    hbuf_append(b, p->proposer.b, HANSA_PUBKEY_BYTES);
}

void wire_proposal_encode(hbuf *b, const wire_proposal *p) {
    wire_proposal_sign_bytes(b, p);
    hbuf_append(b, p->sig.b, HANSA_SIG_BYTES);
}

static void rd_proposal(wire_rd *r, wire_proposal *p) {
    rd_version(r, "proposal.version");
    p->chain_id = rd_u32(r, "proposal.chain_id");
    p->height = rd_u64(r, "proposal.height");
    p->round = rd_u32(r, "proposal.round");
    size_t at = r->off;
    p->pol_round = rd_u32(r, "proposal.pol_round");
    if (r->err == HANSA_OK && !pol_round_ok(p->pol_round, p->round))
        rd_fail_at(r, HANSA_ERR_INVALID, at, "proposal.pol_round");
    rd_fixed(r, p->block.b, HANSA_HASH_BYTES, "proposal.block");
    rd_fixed(r, p->proposer.b, HANSA_PUBKEY_BYTES, "proposal.proposer");
    rd_fixed(r, p->sig.b, HANSA_SIG_BYTES, "proposal.sig");
}

hansa_err wire_proposal_decode(const uint8_t *p, size_t len, wire_proposal *out, wire_rd *rout) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    rd_proposal(&r, out);
    hansa_err err = rd_finish(&r, rout);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

/* ---- commit certificate --------------------------------------------------- */

void wire_commit_encode(hbuf *b, const wire_commit *c) {
    HANSA_ASSERT(c->n_sigs >= 1);
    HANSA_ASSERT(c->n_sigs <= WIRE_VALIDATORS_MAX);
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, c->chain_id);
    hbuf_put_u64(b, c->height);
    hbuf_put_u32(b, c->round);
    hbuf_append(b, c->block.b, HANSA_HASH_BYTES);
    hbuf_put_u32(b, c->n_sigs);
    for (size_t i = 0; i < c->n_sigs; i++) {
        HANSA_ASSERT(c->sigs[i].validator_index < WIRE_VALIDATORS_MAX);
        HANSA_ASSERT(i == 0 || c->sigs[i - 1].validator_index < c->sigs[i].validator_index);
        hbuf_put_u16(b, c->sigs[i].validator_index);
        hbuf_append(b, c->sigs[i].sig.b, HANSA_SIG_BYTES);
    }
}

static void rd_commit_sigs(wire_rd *r, wire_commit *c) {
    size_t at = r->off;
    uint32_t n = rd_count(r, WIRE_VALIDATORS_MAX, WIRE_COMMIT_SIG_BYTES, "commit.n_sigs");
    if (r->err != HANSA_OK) return;
    if (n == 0) {
        rd_fail_at(r, HANSA_ERR_INVALID, at, "commit.n_sigs");
        return;
    }
    c->sigs = hansa_calloc(n, sizeof *c->sigs);
    c->n_sigs = (uint16_t)n;
    for (size_t i = 0; i < n && r->err == HANSA_OK; i++) {
        at = r->off;
        uint16_t idx = rd_u16(r, "commit.validator_index");
        if (idx >= WIRE_VALIDATORS_MAX)
            rd_fail_at(r, HANSA_ERR_INVALID, at, "commit.validator_index");
        else if (i > 0 && idx <= c->sigs[i - 1].validator_index)
            rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "commit.validator_index");
        c->sigs[i].validator_index = idx;
        rd_fixed(r, c->sigs[i].sig.b, HANSA_SIG_BYTES, "commit.sig");
    }
}

static void rd_commit(wire_rd *r, wire_commit *c) {
    rd_version(r, "commit.version");
    c->chain_id = rd_u32(r, "commit.chain_id");
    c->height = rd_u64(r, "commit.height");
    c->round = rd_u32(r, "commit.round");
    rd_fixed(r, c->block.b, HANSA_HASH_BYTES, "commit.block");
    rd_commit_sigs(r, c);
}

void wire_commit_free(wire_commit *c) {
    free(c->sigs);
    memset(c, 0, sizeof *c);
}

hansa_err wire_commit_decode(const uint8_t *p, size_t len, wire_commit *c, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(c, 0, sizeof *c);
    rd_commit(&r, c);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) wire_commit_free(c);
    return err;
}

static void commit_encode_any(hbuf *b, const void *c) { wire_commit_encode(b, c); }

void wire_commit_hash(const wire_commit *c, hansa_hash *out) {
    hash_encoding_memo(&commit_memo, commit_encode_any, c, out);
}

void wire_commit_vote(const wire_commit *c, size_t i, const hansa_pubkey *validator,
                      wire_vote *out) {
    HANSA_ASSERT(i < c->n_sigs);
    memset(out, 0, sizeof *out);
    out->chain_id = c->chain_id;
    out->height = c->height;
    out->round = c->round;
    out->type = VOTE_PRECOMMIT;
    out->block.present = true;
    out->block.hash = c->block;
    out->validator = *validator;
    out->sig = c->sigs[i].sig;
}

/* ---- duplicate-vote evidence ---------------------------------------------- */

/* Why two votes are not one offence in canonical order, or HANSA_OK. The
 * field name says which part disagrees. */
static hansa_err evidence_form(const wire_vote *a, const wire_vote *b, const char **field) {
    *field = "evidence.b.chain_id";
    if (a->chain_id != b->chain_id) return HANSA_ERR_INVALID;
    *field = "evidence.b.height";
    if (a->height != b->height) return HANSA_ERR_INVALID;
    *field = "evidence.b.round";
    if (a->round != b->round) return HANSA_ERR_INVALID;
    *field = "evidence.b.type";
    if (a->type != b->type) return HANSA_ERR_INVALID;
    *field = "evidence.b.validator";
    if (!pubkey_eq(&a->validator, &b->validator)) return HANSA_ERR_INVALID;
    *field = "evidence.b.block";
    int c = block_id_cmp(&a->block, &b->block);
    if (c == 0) return HANSA_ERR_INVALID; /* the same block twice is no offence */
    if (c > 0) return HANSA_ERR_NONCANONICAL;
    *field = NULL;
    return HANSA_OK;
}

void wire_evidence_encode(hbuf *b, const wire_evidence *e) {
    const char *field;
    HANSA_ASSERT(evidence_form(&e->a, &e->b, &field) == HANSA_OK);
    hbuf_put_u8(b, WIRE_VERSION);
    wire_vote_encode(b, &e->a);
    wire_vote_encode(b, &e->b);
}

static void rd_evidence(wire_rd *r, wire_evidence *e) {
    size_t at = r->off;
    rd_version(r, "evidence.version");
    rd_vote(r, &e->a);
    rd_vote(r, &e->b);
    const char *field;
    hansa_err err = evidence_form(&e->a, &e->b, &field);
    if (r->err == HANSA_OK && err != HANSA_OK) rd_fail_at(r, err, at, field);
}

hansa_err wire_evidence_decode(const uint8_t *p, size_t len, wire_evidence *e, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(e, 0, sizeof *e);
    rd_evidence(&r, e);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) memset(e, 0, sizeof *e);
    return err;
}

hansa_err wire_evidence_make(const wire_vote *x, const wire_vote *y, wire_evidence *out) {
    memset(out, 0, sizeof *out);
    if (!vote_type_ok(x->type) || !block_id_canonical(&x->block) || !block_id_canonical(&y->block))
        return HANSA_ERR_INVALID;
    bool swap = block_id_cmp(&x->block, &y->block) > 0;
    const wire_vote *a = swap ? y : x, *b = swap ? x : y;
    const char *field;
    if (evidence_form(a, b, &field) != HANSA_OK) return HANSA_ERR_INVALID;
    out->a = *a;
    out->b = *b;
    return HANSA_OK;
}

static void evidence_encode_any(hbuf *b, const void *e) { wire_evidence_encode(b, e); }

void wire_evidence_hash(const wire_evidence *e, hansa_hash *out) {
    hash_encoding(evidence_encode_any, e, out);
}

/* ---- block header --------------------------------------------------------- */

void wire_header_encode(hbuf *b, const wire_header *h) {
    HANSA_ASSERT(h->tx_count <= WIRE_BLOCK_TXS_MAX);
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, h->chain_id);
    hbuf_put_u64(b, h->height);
    hbuf_put_u64(b, h->time_ms);
    hbuf_append(b, h->prev_block.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->last_commit_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->tx_root.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->evidence_root.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->app_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->validators_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->next_validators_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, h->proposer.b, HANSA_PUBKEY_BYTES);
    hbuf_put_u32(b, h->tx_count);
}

static void rd_header(wire_rd *r, wire_header *h) {
    rd_version(r, "header.version");
    h->chain_id = rd_u32(r, "header.chain_id");
    h->height = rd_u64(r, "header.height");
    h->time_ms = rd_u64(r, "header.time_ms");
    rd_fixed(r, h->prev_block.b, HANSA_HASH_BYTES, "header.prev_block");
    rd_fixed(r, h->last_commit_hash.b, HANSA_HASH_BYTES, "header.last_commit_hash");
    rd_fixed(r, h->tx_root.b, HANSA_HASH_BYTES, "header.tx_root");
    rd_fixed(r, h->evidence_root.b, HANSA_HASH_BYTES, "header.evidence_root");
    rd_fixed(r, h->app_hash.b, HANSA_HASH_BYTES, "header.app_hash");
    rd_fixed(r, h->validators_hash.b, HANSA_HASH_BYTES, "header.validators_hash");
    rd_fixed(r, h->next_validators_hash.b, HANSA_HASH_BYTES, "header.next_validators_hash");
    rd_fixed(r, h->proposer.b, HANSA_PUBKEY_BYTES, "header.proposer");
    h->tx_count = rd_len(r, WIRE_BLOCK_TXS_MAX, "header.tx_count");
}

hansa_err wire_header_decode(const uint8_t *p, size_t len, wire_header *h, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(h, 0, sizeof *h);
    rd_header(&r, h);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) memset(h, 0, sizeof *h);
    return err;
}

static void header_encode_any(hbuf *b, const void *h) { wire_header_encode(b, h); }

void wire_header_hash(const wire_header *h, hansa_hash *out) {
    hash_encoding_memo(&header_memo, header_encode_any, h, out);
}

/* ---- block ---------------------------------------------------------------- */

void wire_block_encode(hbuf *b, const wire_block *blk) {
    HANSA_ASSERT(blk->has_last_commit == (blk->header.height > 1));
    HANSA_ASSERT(blk->n_txs == blk->header.tx_count);
    HANSA_ASSERT(blk->n_evidence <= WIRE_BLOCK_EVIDENCE_MAX);
    size_t start = b->len;
    hbuf_put_u8(b, WIRE_VERSION);
    wire_header_encode(b, &blk->header);
    hbuf_put_u8(b, blk->has_last_commit ? 1 : 0);
    if (blk->has_last_commit) wire_commit_encode(b, &blk->last_commit);
    hbuf_put_u32(b, blk->n_evidence);
    for (size_t i = 0; i < blk->n_evidence; i++) wire_evidence_encode(b, &blk->evidence[i]);
    hbuf_put_u32(b, blk->n_txs);
    for (size_t i = 0; i < blk->n_txs; i++) {
        HANSA_ASSERT(blk->txs[i].len <= WIRE_TX_BYTES_MAX);
        wire_put_bytes(b, blk->txs[i].bytes, blk->txs[i].len);
    }
    HANSA_ASSERT(b->len - start <= WIRE_BLOCK_BYTES_MAX);
}

hansa_err wire_block_peek_header(const uint8_t *p, size_t len, wire_header *h) {
    memset(h, 0, sizeof *h);
    if (len < 1 + WIRE_HEADER_BYTES) return HANSA_ERR_TRUNCATED;
    if (p[0] != WIRE_VERSION) return HANSA_ERR_VERSION;
    return wire_header_decode(p + 1, WIRE_HEADER_BYTES, h, NULL);
}

/* One tx of a block: a byte string that must itself be a canonical tx. An
 * error inside it is reported at its offset within the block. */
static void rd_block_tx(wire_rd *r, wire_bytes *out) {
    out->len = rd_len(r, WIRE_TX_BYTES_MAX, "block.tx_len");
    size_t at = r->off;
    out->bytes = rd_borrow(r, out->len, "block.tx");
    if (r->err != HANSA_OK) return;
    wire_rd sub;
    wire_tx tx;
    if (wire_tx_decode(out->bytes, out->len, &tx, &sub) != HANSA_OK)
        rd_fail_at(r, sub.err, at + sub.err_off, sub.err_field);
}

static void rd_block_evidence(wire_rd *r, wire_block *blk) {
    uint32_t n = rd_count(r, WIRE_BLOCK_EVIDENCE_MAX, WIRE_EVIDENCE_BYTES, "block.n_evidence");
    if (r->err != HANSA_OK || n == 0) return;
    blk->evidence = hansa_calloc(n, sizeof *blk->evidence);
    blk->n_evidence = (uint16_t)n;
    for (size_t i = 0; i < n && r->err == HANSA_OK; i++) rd_evidence(r, &blk->evidence[i]);
}

static void rd_block_txs(wire_rd *r, wire_block *blk) {
    size_t at = r->off;
    uint32_t n = rd_count(r, WIRE_BLOCK_TXS_MAX, 4, "block.n_txs");
    if (r->err == HANSA_OK && n != blk->header.tx_count)
        rd_fail_at(r, HANSA_ERR_INVALID, at, "block.n_txs");
    if (r->err != HANSA_OK || n == 0) return;
    blk->txs = hansa_calloc(n, sizeof *blk->txs);
    blk->n_txs = n;
    for (size_t i = 0; i < n && r->err == HANSA_OK; i++) rd_block_tx(r, &blk->txs[i]);
}

static void rd_block(wire_rd *r, wire_block *blk) {
    if (r->len > WIRE_BLOCK_BYTES_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "block");
        return;
    }
    rd_version(r, "block.version");
    rd_header(r, &blk->header);
    size_t at = r->off;
    blk->has_last_commit = rd_bool(r, "block.has_last_commit");
    /* Only the first block has no commit before it (types.h). */
    if (r->err == HANSA_OK && blk->has_last_commit != (blk->header.height > 1))
        rd_fail_at(r, HANSA_ERR_INVALID, at, "block.has_last_commit");
    if (r->err == HANSA_OK && blk->has_last_commit) rd_commit(r, &blk->last_commit);
    rd_block_evidence(r, blk);
    rd_block_txs(r, blk);
}

void wire_block_free(wire_block *blk) {
    wire_commit_free(&blk->last_commit);
    free(blk->evidence);
    free(blk->txs);
    memset(blk, 0, sizeof *blk);
}

hansa_err wire_block_decode(const uint8_t *p, size_t len, wire_block *blk, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(blk, 0, sizeof *blk);
    rd_block(&r, blk);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) wire_block_free(blk);
    return err;
}

/* Leaves of a block's tx root that fit on the stack (8 KB); a bigger block
 * allocates them. Blocks are judged by every node at every height, and most
 * carry fewer transactions than this. */
#define TX_ROOT_STACK_LEAVES 256

/* A block's txs, as the tx root's memo takes them. */
typedef struct {
    const wire_bytes *txs;
    size_t n;
} tx_list;

/* True when tx_root_memo's key is txs laid out by tx_root_key. Compared in
 * place, without laying txs out: given n, the walk through the key's
 * length words is the one parse of it, so equal means the same n txs. */
static bool tx_root_key_holds(const wire_bytes *txs, size_t n) {
    const hbuf *k = hash_memo_key(&tx_root_memo);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (k->len - at < 4 || le32_load(k->data + at) != txs[i].len) return false;
        at += 4;
        if (k->len - at < txs[i].len || memcmp(k->data + at, txs[i].bytes, txs[i].len) != 0)
            return false;
        at += txs[i].len;
    }
    return at == k->len;
}

/* Lays the tx_list ctx out as tx_root_memo's key: each tx's bytes behind
 * its 4-byte length. */
static void tx_root_key(hbuf *b, const void *ctx) {
    const tx_list *l = ctx;
    for (size_t i = 0; i < l->n; i++) {
        hbuf_put_u32(b, l->txs[i].len);
        hbuf_append(b, l->txs[i].bytes, l->txs[i].len);
    }
}

static void tx_root_of(const wire_bytes *txs, size_t n, hansa_hash *out) {
    if (n == 0) {
        merkle_root(NULL, 0, out);
        return;
    }
    hansa_hash stack[TX_ROOT_STACK_LEAVES];
    hansa_hash *leaves = n <= TX_ROOT_STACK_LEAVES ? stack : hansa_malloc(n * sizeof *leaves);
    for (size_t i = 0; i < n; i++) merkle_leaf_hash(txs[i].bytes, txs[i].len, &leaves[i]);
    merkle_root(leaves, n, out);
    if (leaves != stack) free(leaves);
}

/* tx_root_of of the tx_list ctx: the memo's compute. */
static void tx_root_of_list(const void *ctx, hansa_hash *out) {
    const tx_list *l = ctx;
    tx_root_of(l->txs, l->n, out);
}

void wire_tx_root(const wire_bytes *txs, size_t n, hansa_hash *out) {
    HANSA_ASSERT(n <= WIRE_BLOCK_TXS_MAX);
    if (!tx_root_memo.on || n == 0) {
        tx_root_of(txs, n, out);
        return;
    }
    tx_list l = {txs, n};
    hash_memo_answer_held(&tx_root_memo, tx_root_key_holds(txs, n), tx_root_key, tx_root_of_list,
                          &l, out);
}

void wire_evidence_root(const wire_evidence *ev, size_t n, hansa_hash *out) {
    HANSA_ASSERT(n <= WIRE_BLOCK_EVIDENCE_MAX);
    hansa_hash leaves[WIRE_BLOCK_EVIDENCE_MAX]; /* 2 KB: no allocation per block */
    uint8_t storage[WIRE_EVIDENCE_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    for (size_t i = 0; i < n; i++) {
        hbuf_reset(&b);
        wire_evidence_encode(&b, &ev[i]);
        merkle_leaf_hash(b.data, b.len, &leaves[i]);
    }
    merkle_root(leaves, n, out);
    hbuf_free(&b);
}

void wire_block_seal(wire_block *blk) {
    wire_header *h = &blk->header;
    h->tx_count = blk->n_txs;
    wire_tx_root(blk->txs, blk->n_txs, &h->tx_root);
    wire_evidence_root(blk->evidence, blk->n_evidence, &h->evidence_root);
    memset(&h->last_commit_hash, 0, sizeof h->last_commit_hash);
    if (blk->has_last_commit) wire_commit_hash(&blk->last_commit, &h->last_commit_hash);
}

hansa_err wire_block_check_body(const wire_block *blk, const char **why) {
    const char *dummy;
    if (!why) why = &dummy;
    const wire_header *h = &blk->header;
    hansa_hash want;
    *why = "tx_count";
    if (h->tx_count != blk->n_txs) return HANSA_ERR_INVALID;
    *why = "tx_root";
    wire_tx_root(blk->txs, blk->n_txs, &want);
    if (!hash_eq(&want, &h->tx_root)) return HANSA_ERR_INVALID;
    *why = "evidence_root";
    wire_evidence_root(blk->evidence, blk->n_evidence, &want);
    if (!hash_eq(&want, &h->evidence_root)) return HANSA_ERR_INVALID;
    *why = "last_commit_hash";
    memset(&want, 0, sizeof want);
    if (blk->has_last_commit) wire_commit_hash(&blk->last_commit, &want);
    if (!hash_eq(&want, &h->last_commit_hash)) return HANSA_ERR_INVALID;
    if (blk->has_last_commit) {
        *why = "last_commit.chain_id";
        if (blk->last_commit.chain_id != h->chain_id) return HANSA_ERR_INVALID;
        *why = "last_commit.height";
        if (blk->last_commit.height + 1 != h->height) return HANSA_ERR_INVALID;
        *why = "last_commit.block";
        if (!hash_eq(&blk->last_commit.block, &h->prev_block)) return HANSA_ERR_INVALID;
    }
    *why = NULL;
    return HANSA_OK;
}

/* ---- validator set -------------------------------------------------------- */

static void validator_encode(hbuf *b, const wire_validator *v) {
    hbuf_append(b, v->pubkey.b, HANSA_PUBKEY_BYTES);
    hbuf_put_u64(b, v->power);
}

void wire_valset_encode(hbuf *b, const wire_valset *vs) {
    HANSA_ASSERT(vs->n >= 1);
    HANSA_ASSERT(vs->n <= WIRE_VALIDATORS_MAX);
    uint64_t total = 0;
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, vs->n);
    for (size_t i = 0; i < vs->n; i++) {
        HANSA_ASSERT(vs->v[i].power > 0);
        HANSA_ASSERT(i == 0 || pubkey_cmp(&vs->v[i - 1].pubkey, &vs->v[i].pubkey) < 0);
        HANSA_ASSERT(vs->v[i].power <= WIRE_TOTAL_POWER_MAX - total);
        total += vs->v[i].power;
        validator_encode(b, &vs->v[i]);
    }
}

static void rd_validator(wire_rd *r, wire_valset *vs, size_t i, uint64_t *total) {
    wire_validator *v = &vs->v[i];
    size_t at = r->off;
    rd_fixed(r, v->pubkey.b, HANSA_PUBKEY_BYTES, "valset.pubkey");
    if (r->err == HANSA_OK && i > 0 && pubkey_cmp(&vs->v[i - 1].pubkey, &v->pubkey) >= 0)
        rd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "valset.pubkey");
    at = r->off;
    v->power = rd_u64(r, "valset.power");
    if (r->err != HANSA_OK) return;
    if (v->power == 0 || v->power > WIRE_TOTAL_POWER_MAX - *total)
        rd_fail_at(r, HANSA_ERR_INVALID, at, "valset.power");
    else
        *total += v->power;
}

static void rd_valset(wire_rd *r, wire_valset *vs) {
    rd_version(r, "valset.version");
    size_t at = r->off;
    uint32_t n = rd_count(r, WIRE_VALIDATORS_MAX, WIRE_VALIDATOR_BYTES, "valset.n");
    if (r->err != HANSA_OK) return;
    if (n == 0) {
        rd_fail_at(r, HANSA_ERR_INVALID, at, "valset.n");
        return;
    }
    vs->v = hansa_calloc(n, sizeof *vs->v);
    vs->n = (uint16_t)n;
    uint64_t total = 0;
    for (size_t i = 0; i < n && r->err == HANSA_OK; i++) rd_validator(r, vs, i, &total);
}

void wire_valset_free(wire_valset *vs) {
    free(vs->v);
    memset(vs, 0, sizeof *vs);
}

hansa_err wire_valset_decode(const uint8_t *p, size_t len, wire_valset *vs, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(vs, 0, sizeof *vs);
    rd_valset(&r, vs);
    hansa_err err = rd_finish(&r, out);
    if (err != HANSA_OK) wire_valset_free(vs);
    return err;
}

/* The last sets hashed, with their hashes. The ledger's FROST epoch hashes
 * the current set at every block (tx_frost.c), 2n SHA-256 calls for a set
 * that changes only at elections. A hit compares the whole set, so the memo
 * answers exactly what the hash would. Per thread: no locks; ~10 KB. */
#define VALSET_MEMO_SLOTS 2

typedef struct {
    bool used;
    uint16_t n;
    wire_validator v[WIRE_VALIDATORS_MAX];
    hansa_hash hash;
} valset_memo;

static _Thread_local valset_memo valset_memos[VALSET_MEMO_SLOTS];
static _Thread_local unsigned valset_memo_next;

/* Validators compare as bytes: no padding between the key and the power. */
_Static_assert(sizeof(wire_validator) == HANSA_PUBKEY_BYTES + sizeof(uint64_t), "validator padding");

static const valset_memo *valset_memo_find(const wire_valset *vs) {
    for (size_t k = 0; k < VALSET_MEMO_SLOTS; k++) {
        const valset_memo *m = &valset_memos[k];
        if (m->used && m->n == vs->n && memcmp(m->v, vs->v, vs->n * sizeof vs->v[0]) == 0) return m;
    }
    return NULL;
}

void wire_valset_hash(const wire_valset *vs, hansa_hash *out) {
    HANSA_ASSERT(vs->n <= WIRE_VALIDATORS_MAX);
    const valset_memo *hit = vs->n ? valset_memo_find(vs) : NULL;
    if (hit) {
        *out = hit->hash;
        return;
    }
    hansa_hash leaves[WIRE_VALIDATORS_MAX];
    uint8_t storage[WIRE_VALIDATOR_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    for (size_t i = 0; i < vs->n; i++) {
        hbuf_reset(&b);
        validator_encode(&b, &vs->v[i]);
        merkle_leaf_hash(b.data, b.len, &leaves[i]);
    }
    merkle_root(leaves, vs->n, out);
    hbuf_free(&b);
    if (vs->n == 0) return;
    valset_memo *m = &valset_memos[valset_memo_next++ % VALSET_MEMO_SLOTS];
    m->used = true;
    m->n = vs->n;
    memcpy(m->v, vs->v, vs->n * sizeof vs->v[0]);
    m->hash = *out;
}
