/* Tests of wire/: the canonical encoding of every protocol type.
 *
 * Three kinds of test. Round trips: objects drawn from a seeded generator are
 * encoded, decoded and re-encoded, and the bytes must match exactly.
 * Layout: a vote and a tx are also written byte by byte from the tables in
 * docs/wire.md, so the encoder cannot drift from the document. Rejections:
 * every malformed form the format rules out is made by patching a valid
 * encoding at the documented offset, and must yield its own error code.
 *
 * With HANSA_WRITE_CORPUS=<dir> set, the program also writes a few small
 * valid encodings of each type to <dir>/fuzz_<type>/ (the fuzzers' seeds). */
#include <stdio.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "wire/codec.h"

/* ---- a generic view of the eight codecs ----------------------------------- */

typedef struct {
    const char *name;
    size_t size;
    void (*encode)(hbuf *b, const void *obj);
    hansa_err (*decode)(const uint8_t *p, size_t len, void *obj, wire_rd *r);
    void (*release)(void *obj); /* NULL when the type owns nothing */
} codec;

#define ADAPT(name)                                                                    \
    static void enc_##name(hbuf *b, const void *o) { wire_##name##_encode(b, o); }        \
    static hansa_err dec_##name(const uint8_t *p, size_t n, void *o, wire_rd *r) {        \
        return wire_##name##_decode(p, n, o, r);                                          \
    }
ADAPT(tx)
ADAPT(vote)
ADAPT(proposal)
ADAPT(commit)
ADAPT(evidence)
ADAPT(header)
ADAPT(block)
ADAPT(valset)

/* Room for a value of any of the types, suitably aligned. */
typedef union {
    wire_tx tx;
    wire_vote vote;
    wire_proposal proposal;
    wire_commit commit;
    wire_evidence evidence;
    wire_header header;
    wire_block block;
    wire_valset valset;
} any_obj;
static void rel_commit(void *o) { wire_commit_free(o); }
static void rel_block(void *o) { wire_block_free(o); }
static void rel_valset(void *o) { wire_valset_free(o); }

enum { C_TX, C_VOTE, C_PROPOSAL, C_COMMIT, C_EVIDENCE, C_HEADER, C_BLOCK, C_VALSET, C_COUNT };
static const codec codecs[C_COUNT] = {
    {"tx", sizeof(wire_tx), enc_tx, dec_tx, NULL},
    {"vote", sizeof(wire_vote), enc_vote, dec_vote, NULL},
    {"proposal", sizeof(wire_proposal), enc_proposal, dec_proposal, NULL},
    {"commit", sizeof(wire_commit), enc_commit, dec_commit, rel_commit},
    {"evidence", sizeof(wire_evidence), enc_evidence, dec_evidence, NULL},
    {"header", sizeof(wire_header), enc_header, dec_header, NULL},
    {"block", sizeof(wire_block), enc_block, dec_block, rel_block},
    {"valset", sizeof(wire_valset), enc_valset, dec_valset, rel_valset},
};

/* Decodes p with codec c; returns the error and, if out is given, the cursor. */
static hansa_err try_decode(const codec *c, const uint8_t *p, size_t len, wire_rd *out) {
    any_obj obj;
    wire_rd r;
    hansa_err err = c->decode(p, len, &obj, &r);
    if (out) *out = r;
    if (err == HANSA_OK && c->release) c->release(&obj);
    /* A failed decode leaves the object zeroed (codec.h). */
    const uint8_t *bytes = (const uint8_t *)&obj;
    if (err != HANSA_OK)
        for (size_t i = 0; i < c->size; i++) CHECK(bytes[i] == 0);
    return err;
}

/* ---- the generator -------------------------------------------------------- */

/* Bytes that generated objects borrow (tx bodies, a block's txs); reset
 * between iterations. Sized for the largest block the generator makes. */
static uint8_t arena[1 << 20];
static size_t arena_used;

static uint8_t *arena_take(size_t n) {
    HANSA_ASSERT(n <= sizeof arena - arena_used);
    uint8_t *p = arena + arena_used;
    arena_used += n;
    return p;
}

static uint64_t gen_u64(hansa_prng *g) {
    /* Mostly small values, sometimes the extremes, so edge encodings appear. */
    switch (prng_below(g, 4)) {
    case 0: return prng_below(g, 3);
    case 1: return UINT64_MAX - prng_below(g, 2);
    case 2: return prng_below(g, 1000);
    default: return prng_next(g);
    }
}

static void gen_tx(hansa_prng *g, wire_tx *tx) {
    memset(tx, 0, sizeof *tx);
    tx->chain_id = (uint32_t)gen_u64(g);
    prng_fill(g, tx->sender.b, sizeof tx->sender.b);
    tx->nonce = gen_u64(g);
    tx->fee = gen_u64(g);
    tx->kind = (uint16_t)(1 + prng_below(g, TX_KIND_MAX_));
    tx->body_len = prng_chance(g, 1, 50) ? WIRE_TX_BODY_MAX : (uint32_t)prng_below(g, 200);
    uint8_t *body = arena_take(tx->body_len);
    prng_fill(g, body, tx->body_len);
    tx->body = body;
    prng_fill(g, tx->sig.b, sizeof tx->sig.b);
}

static void gen_block_id(hansa_prng *g, block_id *id) {
    memset(id, 0, sizeof *id);
    id->present = prng_chance(g, 3, 4);
    if (id->present) prng_fill(g, id->hash.b, sizeof id->hash.b);
}

static void gen_vote(hansa_prng *g, wire_vote *v) {
    memset(v, 0, sizeof *v);
    v->chain_id = (uint32_t)gen_u64(g);
    v->height = gen_u64(g);
    v->round = (uint32_t)gen_u64(g);
    v->type = prng_chance(g, 1, 2) ? VOTE_PREVOTE : VOTE_PRECOMMIT;
    gen_block_id(g, &v->block);
    prng_fill(g, v->validator.b, sizeof v->validator.b);
    prng_fill(g, v->sig.b, sizeof v->sig.b);
}

static void gen_proposal(hansa_prng *g, wire_proposal *p) {
    memset(p, 0, sizeof *p);
    p->chain_id = (uint32_t)gen_u64(g);
    p->height = gen_u64(g);
    p->round = (uint32_t)gen_u64(g);
    if (p->round == WIRE_ROUND_NONE) p->round--;
    p->pol_round = (p->round == 0 || prng_chance(g, 1, 2)) ? WIRE_ROUND_NONE
                                                            : (uint32_t)prng_below(g, p->round);
    prng_fill(g, p->block.b, sizeof p->block.b);
    prng_fill(g, p->proposer.b, sizeof p->proposer.b);
    prng_fill(g, p->sig.b, sizeof p->sig.b);
}

/* A commit with 1..max signatures at strictly increasing indices, chosen by
 * selection sampling (Knuth's Algorithm S). */
static void gen_commit(hansa_prng *g, wire_commit *c, size_t max) {
    memset(c, 0, sizeof *c);
    c->chain_id = (uint32_t)gen_u64(g);
    c->height = gen_u64(g);
    c->round = (uint32_t)gen_u64(g);
    prng_fill(g, c->block.b, sizeof c->block.b);
    size_t want = 1 + prng_below(g, max);
    c->sigs = hansa_calloc(want, sizeof *c->sigs);
    for (uint16_t i = 0; i < WIRE_VALIDATORS_MAX && c->n_sigs < want; i++) {
        if (!prng_chance(g, want - c->n_sigs, WIRE_VALIDATORS_MAX - i)) continue;
        c->sigs[c->n_sigs].validator_index = i;
        prng_fill(g, c->sigs[c->n_sigs].sig.b, HANSA_SIG_BYTES);
        c->n_sigs++;
    }
    HANSA_ASSERT(c->n_sigs == want);
}

static void gen_evidence(hansa_prng *g, wire_evidence *e) {
    wire_vote x, y;
    gen_vote(g, &x);
    y = x;
    prng_fill(g, y.sig.b, sizeof y.sig.b);
    do gen_block_id(g, &y.block);
    while (x.block.present == y.block.present && hash_eq(&x.block.hash, &y.block.hash));
    HANSA_ASSERT(wire_evidence_make(&x, &y, e) == HANSA_OK);
}

static void gen_header(hansa_prng *g, wire_header *h) {
    memset(h, 0, sizeof *h);
    h->chain_id = (uint32_t)gen_u64(g);
    h->height = gen_u64(g);
    h->time_ms = gen_u64(g);
    hansa_hash *hashes[] = {&h->prev_block,  &h->last_commit_hash, &h->tx_root,
                            &h->evidence_root, &h->app_hash,      &h->validators_hash,
                            &h->next_validators_hash};
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        prng_fill(g, hashes[i]->b, HANSA_HASH_BYTES);
    prng_fill(g, h->proposer.b, sizeof h->proposer.b);
    h->tx_count = (uint32_t)prng_below(g, WIRE_BLOCK_TXS_MAX + 1);
}

/* A sealed block with up to max_txs txs and max_ev pieces of evidence. */
static void gen_block(hansa_prng *g, wire_block *blk, size_t max_txs, size_t max_ev) {
    memset(blk, 0, sizeof *blk);
    gen_header(g, &blk->header);
    if (prng_chance(g, 1, 4)) blk->header.height = 1;
    if (blk->header.height == 0) blk->header.height = 2;
    blk->has_last_commit = blk->header.height > 1;
    if (blk->has_last_commit) {
        /* The commit is for the previous block, as wire_block_check_body wants. */
        gen_commit(g, &blk->last_commit, 8);
        blk->last_commit.chain_id = blk->header.chain_id;
        blk->last_commit.height = blk->header.height - 1;
        blk->last_commit.block = blk->header.prev_block;
    }
    blk->n_evidence = (uint16_t)prng_below(g, max_ev + 1);
    blk->evidence = hansa_calloc(max_ev + 1, sizeof *blk->evidence);
    for (size_t i = 0; i < blk->n_evidence; i++) gen_evidence(g, &blk->evidence[i]);
    blk->n_txs = (uint32_t)prng_below(g, max_txs + 1);
    blk->txs = hansa_calloc(max_txs + 1, sizeof *blk->txs);
    hbuf b = HBUF_INIT;
    for (size_t i = 0; i < blk->n_txs; i++) {
        wire_tx tx;
        gen_tx(g, &tx);
        if (tx.body_len > 64) tx.body_len = 64;
        hbuf_reset(&b);
        wire_tx_encode(&b, &tx);
        uint8_t *copy = arena_take(b.len);
        memcpy(copy, b.data, b.len);
        blk->txs[i] = (wire_bytes){copy, (uint32_t)b.len};
    }
    hbuf_free(&b);
    wire_block_seal(blk);
}

static int cmp_validator(const void *x, const void *y) {
    return pubkey_cmp(&((const wire_validator *)x)->pubkey, &((const wire_validator *)y)->pubkey);
}

static void gen_valset(hansa_prng *g, wire_valset *vs, size_t max) {
    vs->n = (uint16_t)(1 + prng_below(g, max));
    vs->v = hansa_calloc(vs->n, sizeof *vs->v);
    uint64_t cap = WIRE_TOTAL_POWER_MAX / vs->n;
    for (size_t i = 0; i < vs->n; i++) {
        prng_fill(g, vs->v[i].pubkey.b, HANSA_PUBKEY_BYTES);
        vs->v[i].power = prng_chance(g, 1, 10) ? cap : 1 + prng_below(g, 1000);
    }
    /* Random 32-byte keys collide with negligible probability. */
    qsort(vs->v, vs->n, sizeof *vs->v, cmp_validator);
}

/* Fills obj (of codec kind k) with a random valid value. */
static void gen_any(hansa_prng *g, int k, void *obj) {
    switch (k) {
    case C_TX: gen_tx(g, obj); return;
    case C_VOTE: gen_vote(g, obj); return;
    case C_PROPOSAL: gen_proposal(g, obj); return;
    case C_COMMIT: gen_commit(g, obj, WIRE_VALIDATORS_MAX); return;
    case C_EVIDENCE: gen_evidence(g, obj); return;
    case C_HEADER: gen_header(g, obj); return;
    case C_BLOCK: gen_block(g, obj, 12, 3); return;
    case C_VALSET: gen_valset(g, obj, WIRE_VALIDATORS_MAX); return;
    }
    HANSA_UNREACHABLE();
}

static void release_any(int k, void *obj) {
    if (codecs[k].release) codecs[k].release(obj);
}

/* Encodes a fresh random object of kind k into b. */
static void gen_encoding(hansa_prng *g, int k, hbuf *b) {
    any_obj obj;
    gen_any(g, k, &obj);
    hbuf_reset(b);
    codecs[k].encode(b, &obj);
    release_any(k, &obj);
}

/* ---- round trips ---------------------------------------------------------- */

static void test_roundtrip_all(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_roundtrip_all", 0x57a7e1));
    hbuf b1 = HBUF_INIT, b2 = HBUF_INIT;
    for (int k = 0; k < C_COUNT; k++) {
        int iters = k == C_BLOCK ? 500 : 3000;
        for (int it = 0; it < iters; it++) {
            arena_used = 0;
            any_obj obj, back;
            gen_any(&g, k, &obj);
            hbuf_reset(&b1);
            codecs[k].encode(&b1, &obj);
            wire_rd r;
            hansa_err err = codecs[k].decode(b1.data, b1.len, &back, &r);
            CHECK_ERR(err, HANSA_OK);
            if (err != HANSA_OK) {
                char why[128];
                rd_describe(&r, why, sizeof why);
                fprintf(stderr, "  %s iteration %d: %s\n", codecs[k].name, it, why);
                release_any(k, &obj);
                break;
            }
            CHECK_EQ_U64(r.off, b1.len);
            hbuf_reset(&b2);
            codecs[k].encode(&b2, &back);
            CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
            release_any(k, &obj);
            release_any(k, &back);
        }
    }
    hbuf_free(&b1);
    hbuf_free(&b2);
}

/* Decoded fields equal the encoded ones, and borrowed parts point into the input. */
static void test_roundtrip_fields(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_roundtrip_fields", 0xf1e1d));
    hbuf b = HBUF_INIT;
    for (int it = 0; it < 200; it++) {
        arena_used = 0;
        wire_tx tx, tx2;
        gen_tx(&g, &tx);
        hbuf_reset(&b);
        wire_tx_encode(&b, &tx);
        CHECK_ERR(wire_tx_decode(b.data, b.len, &tx2, NULL), HANSA_OK);
        CHECK(tx2.chain_id == tx.chain_id && tx2.nonce == tx.nonce && tx2.fee == tx.fee);
        CHECK(tx2.kind == tx.kind && tx2.body_len == tx.body_len);
        CHECK(pubkey_eq(&tx2.sender, &tx.sender));
        CHECK(memcmp(tx2.sig.b, tx.sig.b, HANSA_SIG_BYTES) == 0);
        CHECK(tx2.body == b.data + 59); /* borrowed, at the documented offset */
        CHECK(memcmp(tx2.body, tx.body, tx.body_len) == 0);

        wire_block blk, blk2;
        gen_block(&g, &blk, 6, 2);
        hbuf_reset(&b);
        wire_block_encode(&b, &blk);
        CHECK_ERR(wire_block_decode(b.data, b.len, &blk2, NULL), HANSA_OK);
        CHECK_EQ_U64(blk2.n_txs, blk.n_txs);
        for (size_t i = 0; i < blk.n_txs && i < blk2.n_txs; i++) {
            CHECK(blk2.txs[i].bytes >= b.data && blk2.txs[i].bytes < b.data + b.len);
            CHECK(blk2.txs[i].len == blk.txs[i].len);
            CHECK(memcmp(blk2.txs[i].bytes, blk.txs[i].bytes, blk.txs[i].len) == 0);
        }
        CHECK_EQ_U64(blk2.n_evidence, blk.n_evidence);
        CHECK(blk2.has_last_commit == blk.has_last_commit);
        CHECK_EQ_U64(blk2.last_commit.n_sigs, blk.last_commit.n_sigs);
        CHECK_ERR(wire_block_check_body(&blk2, NULL), HANSA_OK);
        wire_block_free(&blk);
        wire_block_free(&blk2);
        CHECK(blk2.txs == NULL && blk2.n_txs == 0); /* free leaves it zeroed */
    }
    hbuf_free(&b);
}

/* ---- layout: bytes written from the tables in docs/wire.md ---------------- */

static void test_layout_vote(void) {
    wire_vote v = {.chain_id = 0xe2e4, .height = 0x0102030405060708ull, .round = 3,
                   .type = VOTE_PRECOMMIT, .block = {.present = true}};
    memset(v.block.hash.b, 0xaa, 32);
    memset(v.validator.b, 0xbb, 32);
    memset(v.sig.b, 0xcc, 64);
    uint8_t want[WIRE_VOTE_BYTES] = {1, 0xe4, 0xe2, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 2, 1};
    memset(want + 19, 0xaa, 32);
    memset(want + 51, 0xbb, 32);
    memset(want + 83, 0xcc, 64);
    hbuf b = HBUF_INIT;
    wire_vote_encode(&b, &v);
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
    hbuf_reset(&b);
    wire_vote_sign_bytes(&b, &v);
    CHECK(b.len == 83 && memcmp(b.data, want, 83) == 0); /* sign bytes: encoding minus sig */
    hbuf_free(&b);
}

static void test_layout_tx(void) {
    wire_tx tx = {.chain_id = 7, .nonce = 0x1122, .fee = 5, .kind = TX_TRANSFER,
                  .body = (const uint8_t *)"xyz", .body_len = 3};
    memset(tx.sender.b, 0x11, 32);
    memset(tx.sig.b, 0x22, 64);
    uint8_t want[WIRE_TX_BYTES_MIN + 3] = {1, 7, 0, 0, 0};
    memset(want + 5, 0x11, 32);
    want[37] = 0x22, want[38] = 0x11; /* nonce */
    want[45] = 5;                     /* fee */
    want[53] = 1;                     /* kind */
    want[55] = 3;                     /* body_len */
    memcpy(want + 59, "xyz", 3);
    memset(want + 62, 0x22, 64);
    hbuf b = HBUF_INIT;
    wire_tx_encode(&b, &tx);
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
    hansa_hash h, want_h;
    wire_tx_hash(&tx, &h);
    sha256(want, sizeof want, &want_h);
    CHECK(hash_eq(&h, &want_h));
    /* Known answers, as printed in docs/wire.md (computed there independently). */
    hansa_hash kat;
    CHECK_ERR(hex_decode("dc5f5a1d286919e2cd3b18ba903a3d7f24a62159abe29b478c1c7daf4b5afb4f", 64,
                         kat.b, 32, NULL, NULL), HANSA_OK);
    CHECK(hash_eq(&h, &kat));
    wire_bytes one = {want, sizeof want};
    wire_tx_root(&one, 1, &h);
    CHECK_ERR(hex_decode("d34f4b018d57e2e7d40220f2d8d4934ff5db791aecc54fcfe607b9d40c806c58", 64,
                         kat.b, 32, NULL, NULL), HANSA_OK);
    CHECK(hash_eq(&h, &kat));
    hbuf_reset(&b);
    wire_tx_sign_bytes(&b, &tx);
    CHECK(b.len == sizeof want - 64 && memcmp(b.data, want, b.len) == 0);
    hbuf_free(&b);
}

/* ---- hashes and block building -------------------------------------------- */

static void test_hashes(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_hashes", 0x4a54));
    arena_used = 0;
    wire_block blk;
    gen_block(&g, &blk, 9, 3);
    blk.header.height = 5;
    hbuf b = HBUF_INIT;
    /* header hash = SHA-256(encoded header) */
    wire_header_encode(&b, &blk.header);
    hansa_hash h1, h2;
    sha256(b.data, b.len, &h1);
    wire_header_hash(&blk.header, &h2);
    CHECK(hash_eq(&h1, &h2));
    /* tx_root = RFC 6962 root over leaf hashes of the tx encodings */
    hansa_hash leaves[10];
    for (size_t i = 0; i < blk.n_txs; i++)
        merkle_leaf_hash(blk.txs[i].bytes, blk.txs[i].len, &leaves[i]);
    merkle_root(leaves, blk.n_txs, &h1);
    CHECK(hash_eq(&h1, &blk.header.tx_root));
    wire_tx_root(NULL, 0, &h1);
    sha256("", 0, &h2);
    CHECK(hash_eq(&h1, &h2)); /* empty block: SHA-256 of nothing */
    /* commit hash = SHA-256(encoded commit), in the header */
    hbuf_reset(&b);
    wire_commit_encode(&b, &blk.last_commit);
    sha256(b.data, b.len, &h1);
    CHECK(hash_eq(&h1, &blk.header.last_commit_hash));
    /* valset hash: leaves are pubkey || power */
    wire_valset vs;
    gen_valset(&g, &vs, 5);
    for (size_t i = 0; i < vs.n; i++) {
        uint8_t e[40];
        memcpy(e, vs.v[i].pubkey.b, 32);
        le64_store(e + 32, vs.v[i].power);
        merkle_leaf_hash(e, 40, &leaves[i]);
    }
    merkle_root(leaves, vs.n, &h1);
    wire_valset_hash(&vs, &h2);
    CHECK(hash_eq(&h1, &h2));
    wire_valset_free(&vs);
    hbuf_free(&b);
    wire_block_free(&blk);
}

/* The valset hash from its definition (leaves pubkey || power), not from
 * wire_valset_hash, whose memo is under test. */
static void valset_hash_ref(const wire_valset *vs, hansa_hash *out) {
    hansa_hash leaves[WIRE_VALIDATORS_MAX];
    for (size_t i = 0; i < vs->n; i++) {
        uint8_t e[40];
        memcpy(e, vs->v[i].pubkey.b, 32);
        le64_store(e + 32, vs->v[i].power);
        merkle_leaf_hash(e, 40, &leaves[i]);
    }
    merkle_root(leaves, vs->n, out);
}

/* wire_valset_hash remembers the last sets it hashed: sets asked in turn
 * (more than it keeps), again, and sets one power or one key bit apart
 * from a remembered one each get their own hash. */
static void test_valset_hash_memo(void) {
    hansa_prng g;
    uint64_t seed = 15;
    printf("test_valset_hash_memo seed=%llu\n", (unsigned long long)seed);
    prng_seed(&g, seed);
    enum { SETS = 5 };
    wire_valset sets[SETS];
    for (int i = 0; i < SETS; i++) gen_valset(&g, &sets[i], 8);
    for (int k = 1; k <= 2; k++) { /* sets 1 and 2: set 0 with one change */
        free(sets[k].v);
        sets[k].n = sets[0].n;
        sets[k].v = hansa_memdup(sets[0].v, sets[0].n * sizeof sets[0].v[0]);
    }
    sets[1].v[sets[1].n - 1].power ^= 1;
    sets[2].v[0].pubkey.b[31] ^= 0x80;
    for (int round = 0; round < 40; round++) {
        int i = (int)prng_below(&g, SETS);
        hansa_hash want, got;
        valset_hash_ref(&sets[i], &want);
        wire_valset_hash(&sets[i], &got);
        CHECK(hash_eq(&want, &got));
        wire_valset_hash(&sets[i], &got);
        CHECK(hash_eq(&want, &got));
    }
    for (int i = 0; i < SETS; i++) wire_valset_free(&sets[i]);
}

static void test_block_check_body(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_block_check_body", 0xb0d1));
    arena_used = 0;
    wire_block blk;
    gen_block(&g, &blk, 5, 2);
    blk.header.height = 9;
    blk.last_commit.height = 8;
    blk.last_commit.chain_id = blk.header.chain_id;
    blk.last_commit.block = blk.header.prev_block;
    wire_block_seal(&blk);
    const char *why = "unset";
    CHECK_ERR(wire_block_check_body(&blk, &why), HANSA_OK);
    CHECK(why == NULL);
    blk.header.tx_root.b[0] ^= 1;
    CHECK_ERR(wire_block_check_body(&blk, &why), HANSA_ERR_INVALID);
    CHECK(why && strcmp(why, "tx_root") == 0);
    blk.header.tx_root.b[0] ^= 1;
    blk.header.evidence_root.b[31] ^= 1;
    CHECK_ERR(wire_block_check_body(&blk, &why), HANSA_ERR_INVALID);
    CHECK(why && strcmp(why, "evidence_root") == 0);
    blk.header.evidence_root.b[31] ^= 1;
    blk.last_commit.round++; /* the header no longer commits to it */
    CHECK_ERR(wire_block_check_body(&blk, &why), HANSA_ERR_INVALID);
    CHECK(why && strcmp(why, "last_commit_hash") == 0);
    blk.last_commit.height = 3;
    wire_block_seal(&blk);
    CHECK_ERR(wire_block_check_body(&blk, &why), HANSA_ERR_INVALID);
    CHECK(why && strcmp(why, "last_commit.height") == 0);
    wire_block_free(&blk);
}

/* Variant k of count txs of 40 bytes cut from flat (k 0: as they are; 1:
 * the last byte changed; 2: one byte moved from tx 3 to tx 4, the same
 * bytes in all; 3: one tx fewer; 4: an empty first tx; 5: the first two; 6:
 * the first 36 bytes, then the last 4 of the first tx's length word as kept
 * by the memo and the second tx: the memo's own bytes, cut elsewhere). */
static size_t tx_root_variant(int k, size_t count, uint8_t *flat, wire_bytes *txs) {
    static uint8_t cut[44];
    for (size_t i = 0; i < count; i++) txs[i] = (wire_bytes){flat + 40 * i, 40};
    if (k == 1) flat[count * 40 - 1] ^= 1;
    if (k == 2) {
        txs[3].len = 39;
        txs[4] = (wire_bytes){flat + 4 * 40 - 1, 41};
    }
    if (k == 4) txs[0].len = 0;
    if (k == 6) {
        memcpy(cut, (const uint8_t[4]){40, 0, 0, 0}, 4);
        memcpy(cut + 4, flat + 40, 40);
        txs[0].len = 36;
        txs[1] = (wire_bytes){cut, 44};
    }
    return k == 3 ? count - 1 : k >= 5 ? 2 : count;
}

/* With the simulator's tx-root memo on, every root equals the one computed
 * without it, each variant asked twice (the second a hit) right after the
 * memo took the variant before it; for 12 txs and for 300, past the 256
 * leaves wire_tx_root keeps on the stack (its other path). */
static void test_tx_root_memo(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_tx_root_memo", 0x7e0));
    static const size_t counts[] = {12, 300};
    static uint8_t flat[300 * 40];
    static wire_bytes txs[300];
    for (size_t i = 0; i < sizeof flat; i++) flat[i] = (uint8_t)prng_below(&g, 256);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t count = counts[c];
        hansa_hash want[7], got;
        for (int k = 0; k < 7; k++) {
            size_t n = tx_root_variant(k, count, flat, txs);
            wire_tx_root(txs, n, &want[k]);
            if (k == 1) flat[count * 40 - 1] ^= 1;
        }
        CHECK(!hash_eq(&want[0], &want[1]) && !hash_eq(&want[0], &want[2]) && !hash_eq(&want[5], &want[6]));
        wire_memos(true);
        for (int round = 0; round < 2; round++) {
            for (int k = 0; k < 7; k++) {
                size_t n = tx_root_variant(k, count, flat, txs);
                for (int again = 0; again < 2; again++) {
                    wire_tx_root(txs, n, &got);
                    CHECK(hash_eq(&want[k], &got));
                }
                if (k == 1) flat[count * 40 - 1] ^= 1;
            }
        }
        wire_memos(false);
    }
}

/* SHA-256 of what enc writes: the definition of the header and commit hashes. */
static void hash_of_encoding(void (*enc)(hbuf *, const void *), const void *obj, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    enc(&b, obj);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

/* Three commits: one, the same with its last signature's last byte
 * changed, and the same without its last signature. */
static void commit_memo_variants(hansa_prng *g, wire_commit c[3]) {
    do {
        wire_commit_free(&c[0]);
        gen_commit(g, &c[0], 8);
    } while (c[0].n_sigs < 2);
    for (int k = 1; k < 3; k++) {
        c[k] = c[0];
        c[k].sigs = hansa_memdup(c[0].sigs, c[0].n_sigs * sizeof *c[0].sigs);
    }
    c[1].sigs[c[1].n_sigs - 1].sig.b[HANSA_SIG_BYTES - 1] ^= 1;
    c[2].n_sigs--;
}

/* With the simulator's memos on, wire_header_hash and wire_commit_hash
 * still equal SHA-256 of the encoding, each variant asked twice (the
 * second a hit) right after the memo took the variant before it: headers
 * one byte apart at either end of their hashed fields, commits one
 * signature byte apart or one signature shorter. */
static void test_header_commit_memo(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_header_commit_memo", 0x4ea));
    wire_header h[3];
    gen_header(&g, &h[0]);
    h[1] = h[0];
    h[1].proposer.b[HANSA_PUBKEY_BYTES - 1] ^= 1;
    h[2] = h[0];
    h[2].chain_id ^= 1;
    wire_commit c[3] = {0};
    commit_memo_variants(&g, c);
    hansa_hash want_h[3], want_c[3], got;
    for (int k = 0; k < 3; k++) {
        hash_of_encoding(enc_header, &h[k], &want_h[k]);
        hash_of_encoding(enc_commit, &c[k], &want_c[k]);
    }
    CHECK(!hash_eq(&want_h[0], &want_h[1]) && !hash_eq(&want_c[0], &want_c[2]));
    wire_memos(true);
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 3; k++) {
            for (int again = 0; again < 2; again++) {
                wire_header_hash(&h[k], &got);
                CHECK(hash_eq(&want_h[k], &got));
                wire_commit_hash(&c[k], &got);
                CHECK(hash_eq(&want_c[k], &got));
            }
        }
    }
    wire_memos(false);
    for (int k = 0; k < 3; k++) wire_commit_free(&c[k]);
}

/* wire_tx_bytes_hash, memos on and off (hansad), is SHA-256 of the bytes: bytes
 * sharing a memo slot (the same last 8 bytes) one byte apart at the start
 * or in the middle, one byte shorter or longer at the front, and the
 * lengths around the memo's bounds, each asked twice in turn (fails with
 * the memo's compare one byte short: tried, the debug recheck aborts). */
static void test_tx_bytes_hash_memo(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_tx_bytes_hash_memo", 0x7b4));
    static uint8_t x[WIRE_TX_HASH_MEMO_BYTES + 2];
    prng_fill(&g, x, sizeof x);
    static uint8_t v[4][201];
    memcpy(v[0] + 1, x, 200); /* v[0][1..201): the base, 200 bytes */
    memcpy(v[1] + 1, x, 200);
    v[1][1] ^= 1; /* its first byte */
    memcpy(v[2] + 1, x, 200);
    v[2][100] ^= 0x80; /* a middle byte */
    v[3][0] = 7; /* one more byte in front: v[3][0..201), the same last 8 */
    memcpy(v[3] + 1, x, 200);
    const struct {
        const uint8_t *p;
        size_t len;
    } in[] = {{v[0] + 1, 200}, {v[1] + 1, 200}, {v[2] + 1, 200}, {v[0] + 2, 199},
              {v[3], 201},     {x, 7},          {x, 8},          {x, WIRE_TX_HASH_MEMO_BYTES},
              {x, WIRE_TX_HASH_MEMO_BYTES + 1}, {x + 1, WIRE_TX_HASH_MEMO_BYTES + 1}};
    size_t n = sizeof in / sizeof in[0];
    for (int on = 1; on >= 0; on--) { /* off: hansad's way */
        wire_memos(on);
        for (int round = 0; round < 2; round++)
            for (size_t k = 0; k < n; k++)
                for (int again = 0; again < 2; again++) {
                    hansa_hash want, got;
                    sha256(in[k].p, in[k].len, &want);
                    wire_tx_bytes_hash(in[k].p, in[k].len, &got);
                    CHECK(hash_eq(&want, &got));
                }
    }
    wire_memos(false);
}

/* With the simulator's hint set to a vote's bytes and decode, a decode of
 * bytes one byte apart (the signature's last, the first) or one byte
 * shorter is still its own, and of the same bytes the hint's; a caller
 * asking for the reader's state gets a real parse (fails with the hint's
 * compare one byte short). */
static void test_vote_hint(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_vote_hint", 0x401));
    wire_vote v, got;
    gen_vote(&g, &v);
    hbuf a = HBUF_INIT;
    wire_vote_encode(&a, &v);
    wire_vote hinted;
    CHECK_ERR(wire_vote_decode(a.data, a.len, &hinted, NULL), HANSA_OK);
    uint8_t b[WIRE_VOTE_BYTES];
    HANSA_ASSERT(a.len <= sizeof b);
    wire_vote_hint(a.data, a.len, &hinted);
    for (int k = 0; k < 3; k++) {
        memcpy(b, a.data, a.len);
        size_t at = k == 0 ? a.len - 1 : 0;
        b[at] ^= 1;
        wire_vote want;
        wire_vote_hint(NULL, 0, NULL);
        hansa_err e = wire_vote_decode(b, a.len - (k == 2), &want, NULL);
        wire_vote_hint(a.data, a.len, &hinted);
        CHECK_ERR(wire_vote_decode(b, a.len - (k == 2), &got, NULL), e);
        if (e == HANSA_OK) CHECK(memcmp(got.sig.b, want.sig.b, HANSA_SIG_BYTES) == 0);
        if (e == HANSA_OK) CHECK(got.chain_id == want.chain_id);
    }
    memcpy(b, a.data, a.len);
    CHECK_ERR(wire_vote_decode(b, a.len, &got, NULL), HANSA_OK);
    CHECK(memcmp(got.sig.b, v.sig.b, HANSA_SIG_BYTES) == 0 && got.height == v.height);
    wire_rd r;
    CHECK_ERR(wire_vote_decode(b, a.len, &got, &r), HANSA_OK);
    CHECK_EQ_U64(r.off, a.len);
    wire_vote_hint(NULL, 0, NULL);
    hbuf_free(&a);
}

static void test_commit_vote(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_commit_vote", 0xc0));
    wire_commit c;
    gen_commit(&g, &c, 4);
    hansa_pubkey pk;
    memset(pk.b, 0x42, 32);
    wire_vote v;
    wire_commit_vote(&c, 0, &pk, &v);
    CHECK(v.type == VOTE_PRECOMMIT && v.block.present && hash_eq(&v.block.hash, &c.block));
    CHECK(v.chain_id == c.chain_id && v.height == c.height && v.round == c.round);
    CHECK(memcmp(v.sig.b, c.sigs[0].sig.b, HANSA_SIG_BYTES) == 0);
    wire_commit_free(&c);
}

static void test_evidence_make(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_evidence_make", 0xe71d));
    wire_vote x, y;
    gen_vote(&g, &x);
    x.block.present = true;
    y = x;
    y.block.present = false;
    memset(y.block.hash.b, 0, 32);
    wire_evidence e1, e2;
    CHECK_ERR(wire_evidence_make(&x, &y, &e1), HANSA_OK);
    CHECK_ERR(wire_evidence_make(&y, &x, &e2), HANSA_OK);
    CHECK(!e1.a.block.present && e1.b.block.present); /* nil sorts first */
    CHECK(memcmp(&e1, &e2, sizeof e1) == 0);          /* one offence, one form */
    CHECK_ERR(wire_evidence_make(&x, &x, &e1), HANSA_ERR_INVALID);
    y.validator.b[0] ^= 1;
    CHECK_ERR(wire_evidence_make(&x, &y, &e1), HANSA_ERR_INVALID);
}

/* ---- the cursor ----------------------------------------------------------- */

static void test_cursor(void) {
    const uint8_t in[] = {1, 2, 0, 3, 4, 5};
    wire_rd r;
    rd_init(&r, in, sizeof in);
    CHECK(rd_u8(&r, "a") == 1);
    CHECK(rd_bool(&r, "b") == false); /* 2 is not a bool */
    CHECK_ERR(r.err, HANSA_ERR_NONCANONICAL);
    CHECK_EQ_U64(r.err_off, 1);
    CHECK(strcmp(r.err_field, "b") == 0);
    /* Stays failed: later reads yield zeros and do not move the error. */
    CHECK(rd_u8(&r, "c") == 0);
    CHECK(rd_u32(&r, "d") == 0);
    CHECK(rd_borrow(&r, 1, "e") == NULL);
    rd_end(&r);
    CHECK_ERR(r.err, HANSA_ERR_NONCANONICAL);
    CHECK(strcmp(r.err_field, "b") == 0);
    char text[96];
    rd_describe(&r, text, sizeof text);
    CHECK(strcmp(text, "non-canonical encoding at byte 1 (b)") == 0);

    rd_init(&r, in, sizeof in);
    CHECK(rd_u64(&r, "long") == 0);
    CHECK_ERR(r.err, HANSA_ERR_TRUNCATED);
    CHECK_EQ_U64(r.err_off, 0);

    /* rd_begin's version check names the version byte, as the others do. */
    wire_rd local, *vr;
    uint8_t zeroed[4];
    vr = rd_begin(NULL, &local, in, sizeof in, zeroed, sizeof zeroed, 7);
    CHECK_ERR(vr->err, HANSA_ERR_VERSION);
    CHECK_EQ_U64(vr->err_off, 0);
    CHECK(strcmp(vr->err_field, "version") == 0);

    const uint8_t len_in[] = {5, 0, 0, 0};
    rd_init(&r, len_in, sizeof len_in);
    CHECK(rd_len(&r, 4, "len") == 0);
    CHECK_ERR(r.err, HANSA_ERR_TOO_LONG);
    rd_init(&r, len_in, sizeof len_in);
    CHECK(rd_len(&r, 5, "len") == 5);
    rd_end(&r);
    CHECK_ERR(r.err, HANSA_OK);

    rd_init(&r, in, sizeof in);
    rd_u16(&r, "x");
    rd_end(&r);
    CHECK_ERR(r.err, HANSA_ERR_TRAILING);
    CHECK_EQ_U64(r.err_off, 2);
    rd_init(&r, NULL, 0);
    CHECK(rd_borrow(&r, 0, "empty") != NULL);
    rd_end(&r);
    CHECK_ERR(r.err, HANSA_OK);
}

/* ---- rejections common to every type -------------------------------------- */

static void test_truncation_trailing_version(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_truncation_trailing_version", 0x7a11));
    hbuf b = HBUF_INIT;
    for (int k = 0; k < C_COUNT; k++) {
        for (int it = 0; it < 3; it++) {
            arena_used = 0;
            gen_encoding(&g, k, &b);
            if (k == C_TX && b.len > 2000) { it--; continue; } /* keep the prefix loop short */
            for (size_t n = 0; n < b.len; n++) {
                hansa_err err = try_decode(&codecs[k], b.data, n, NULL);
                if (err != HANSA_ERR_TRUNCATED)
                    fprintf(stderr, "  %s prefix %zu/%zu: %s\n", codecs[k].name, n, b.len,
                            hansa_errname(err));
                CHECK_ERR(err, HANSA_ERR_TRUNCATED);
            }
            hbuf_put_u8(&b, 0);
            wire_rd r;
            CHECK_ERR(try_decode(&codecs[k], b.data, b.len, &r), HANSA_ERR_TRAILING);
            CHECK_EQ_U64(r.err_off, b.len - 1);
            b.len--;
            CHECK_ERR(try_decode(&codecs[k], b.data, b.len, NULL), HANSA_OK);
            for (int bad = 0; bad < 256; bad += 255) { /* 0 and 255 */
                b.data[0] = (uint8_t)(bad == 0 ? 0 : WIRE_VERSION + 1);
                CHECK_ERR(try_decode(&codecs[k], b.data, b.len, &r), HANSA_ERR_VERSION);
                CHECK_EQ_U64(r.err_off, 0);
            }
        }
    }
    hbuf_free(&b);
}

/* Decodes b after setting the byte at off to v; expects err at err_off. */
static void expect_patch8(int k, hbuf *b, size_t off, uint8_t v, hansa_err want,
                          size_t want_off) {
    HANSA_ASSERT(off < b->len);
    uint8_t old = b->data[off];
    b->data[off] = v;
    wire_rd r;
    hansa_err err = try_decode(&codecs[k], b->data, b->len, &r);
    CHECK_ERR(err, want);
    if (err == want && want != HANSA_OK) CHECK_EQ_U64(r.err_off, want_off);
    b->data[off] = old;
}

static void expect_patch32(int k, hbuf *b, size_t off, uint32_t v, hansa_err want,
                           size_t want_off) {
    HANSA_ASSERT(off + 4 <= b->len);
    uint8_t old[4];
    memcpy(old, b->data + off, 4);
    le32_store(b->data + off, v);
    wire_rd r;
    hansa_err err = try_decode(&codecs[k], b->data, b->len, &r);
    CHECK_ERR(err, want);
    if (err == want && want != HANSA_OK) CHECK_EQ_U64(r.err_off, want_off);
    memcpy(b->data + off, old, 4);
}

/* ---- per-type rejections -------------------------------------------------- */

static void test_reject_tx(void) {
    arena_used = 0;
    wire_tx tx = {.chain_id = 1, .kind = TX_TRANSFER, .body = arena, .body_len = 10};
    hbuf b = HBUF_INIT;
    wire_tx_encode(&b, &tx);
    expect_patch8(C_TX, &b, 53, 0, HANSA_ERR_NONCANONICAL, 53); /* kind 0 */
    expect_patch8(C_TX, &b, 54, 1, HANSA_ERR_NONCANONICAL, 53); /* kind 257 */
    expect_patch8(C_TX, &b, 53, 255, HANSA_OK, 0);
    expect_patch32(C_TX, &b, 55, WIRE_TX_BODY_MAX + 1, HANSA_ERR_TOO_LONG, 55);
    expect_patch32(C_TX, &b, 55, UINT32_MAX, HANSA_ERR_TOO_LONG, 55);
    expect_patch32(C_TX, &b, 55, 11, HANSA_ERR_TRUNCATED, 70); /* eats into the signature */
    hbuf_free(&b);
    /* The bound itself is accepted. */
    static uint8_t big[WIRE_TX_BODY_MAX];
    tx.body = big;
    tx.body_len = WIRE_TX_BODY_MAX;
    wire_tx_encode(&b, &tx);
    CHECK_EQ_U64(b.len, WIRE_TX_BYTES_MAX);
    CHECK_ERR(try_decode(&codecs[C_TX], b.data, b.len, NULL), HANSA_OK);
    hbuf_free(&b);
}

static void test_reject_vote(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_reject_vote", 0x707e));
    wire_vote v;
    gen_vote(&g, &v);
    v.block.present = false;
    memset(v.block.hash.b, 0, 32);
    hbuf b = HBUF_INIT;
    wire_vote_encode(&b, &v);
    expect_patch8(C_VOTE, &b, 17, 0, HANSA_ERR_NONCANONICAL, 17); /* type 0 */
    expect_patch8(C_VOTE, &b, 17, 3, HANSA_ERR_NONCANONICAL, 17); /* type 3 */
    expect_patch8(C_VOTE, &b, 18, 2, HANSA_ERR_NONCANONICAL, 18); /* bool 2 */
    expect_patch8(C_VOTE, &b, 18, 255, HANSA_ERR_NONCANONICAL, 18);
    expect_patch8(C_VOTE, &b, 50, 1, HANSA_ERR_NONCANONICAL, 18); /* nil, hash not zero */
    expect_patch8(C_VOTE, &b, 18, 1, HANSA_OK, 0); /* present with a zero hash is fine */
    hbuf_free(&b);
}

static void test_reject_proposal(void) {
    wire_proposal p = {.round = 5, .pol_round = 4};
    hbuf b = HBUF_INIT;
    wire_proposal_encode(&b, &p);
    CHECK_ERR(try_decode(&codecs[C_PROPOSAL], b.data, b.len, NULL), HANSA_OK);
    expect_patch32(C_PROPOSAL, &b, 17, 5, HANSA_ERR_INVALID, 17);  /* pol_round == round */
    expect_patch32(C_PROPOSAL, &b, 17, 6, HANSA_ERR_INVALID, 17);  /* pol_round > round */
    expect_patch32(C_PROPOSAL, &b, 17, WIRE_ROUND_NONE - 1, HANSA_ERR_INVALID, 17);
    expect_patch32(C_PROPOSAL, &b, 17, WIRE_ROUND_NONE, HANSA_OK, 0);
    expect_patch32(C_PROPOSAL, &b, 17, 0, HANSA_OK, 0);
    expect_patch32(C_PROPOSAL, &b, 13, 0, HANSA_ERR_INVALID, 17); /* round 0 with pol_round 4 */
    hbuf_free(&b);
}

static void test_reject_commit(void) {
    wire_commit_sig sigs[3] = {{.validator_index = 1}, {.validator_index = 5},
                               {.validator_index = 9}};
    wire_commit c = {.height = 3, .n_sigs = 3, .sigs = sigs};
    hbuf b = HBUF_INIT;
    wire_commit_encode(&b, &c);
    CHECK_EQ_U64(b.len, WIRE_COMMIT_BYTES(3));
    const size_t n_off = 49, s0 = 53, s1 = 53 + 66, s2 = 53 + 132;
    expect_patch32(C_COMMIT, &b, n_off, 0, HANSA_ERR_INVALID, n_off);
    expect_patch32(C_COMMIT, &b, n_off, WIRE_VALIDATORS_MAX + 1, HANSA_ERR_TOO_LONG, n_off);
    expect_patch32(C_COMMIT, &b, n_off, 4, HANSA_ERR_TRUNCATED, n_off); /* more than the bytes hold */
    expect_patch8(C_COMMIT, &b, s1, 1, HANSA_ERR_NONCANONICAL, s1);  /* duplicate index */
    expect_patch8(C_COMMIT, &b, s1, 0, HANSA_ERR_NONCANONICAL, s1);  /* decreasing */
    expect_patch8(C_COMMIT, &b, s2, 4, HANSA_ERR_NONCANONICAL, s2);
    expect_patch8(C_COMMIT, &b, s2, WIRE_VALIDATORS_MAX, HANSA_ERR_INVALID, s2);
    expect_patch8(C_COMMIT, &b, s0 + 1, 1, HANSA_ERR_INVALID, s0); /* index 257 */
    expect_patch8(C_COMMIT, &b, s2, WIRE_VALIDATORS_MAX - 1, HANSA_OK, 0);
    hbuf_free(&b);
}

static void test_reject_evidence(void) {
    hansa_prng g;
    prng_seed(&g, check_seed("test_reject_evidence", 0xe1));
    wire_evidence e;
    gen_evidence(&g, &e);
    e.a.type = VOTE_PREVOTE;
    e.b.type = VOTE_PREVOTE;
    hbuf b = HBUF_INIT;
    wire_evidence_encode(&b, &e);
    const size_t a = 1, bo = 1 + WIRE_VOTE_BYTES;
    /* misordered: the same two votes, b first */
    hbuf sw = HBUF_INIT;
    hbuf_put_u8(&sw, WIRE_VERSION);
    hbuf_append(&sw, b.data + bo, WIRE_VOTE_BYTES);
    hbuf_append(&sw, b.data + a, WIRE_VOTE_BYTES);
    wire_rd r;
    CHECK_ERR(try_decode(&codecs[C_EVIDENCE], sw.data, sw.len, &r), HANSA_ERR_NONCANONICAL);
    CHECK(strcmp(r.err_field, "evidence.b.block") == 0);
    /* identical: a twice */
    memcpy(sw.data + 1, b.data + a, WIRE_VOTE_BYTES);
    CHECK_ERR(try_decode(&codecs[C_EVIDENCE], sw.data, sw.len, &r), HANSA_ERR_INVALID);
    CHECK(strcmp(r.err_field, "evidence.b.block") == 0);
    hbuf_free(&sw);
    /* mismatched: change one agreed field of b at a time */
    struct { size_t off; const char *field; } fields[] = {
        {1, "evidence.b.chain_id"}, {5, "evidence.b.height"}, {13, "evidence.b.round"},
        {51, "evidence.b.validator"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        b.data[bo + fields[i].off] ^= 1;
        CHECK_ERR(try_decode(&codecs[C_EVIDENCE], b.data, b.len, &r), HANSA_ERR_INVALID);
        CHECK(r.err_field && strcmp(r.err_field, fields[i].field) == 0);
        CHECK_EQ_U64(r.err_off, 0);
        b.data[bo + fields[i].off] ^= 1;
    }
    expect_patch8(C_EVIDENCE, &b, bo + 17, VOTE_PRECOMMIT, HANSA_ERR_INVALID, 0);
    expect_patch8(C_EVIDENCE, &b, bo + 17, 3, HANSA_ERR_NONCANONICAL, bo + 17);
    expect_patch8(C_EVIDENCE, &b, bo, 2, HANSA_ERR_VERSION, bo); /* inner vote version */
    hbuf_free(&b);
}

static void test_reject_header(void) {
    wire_header h = {.height = 1, .tx_count = WIRE_BLOCK_TXS_MAX};
    hbuf b = HBUF_INIT;
    wire_header_encode(&b, &h);
    CHECK_EQ_U64(b.len, WIRE_HEADER_BYTES);
    CHECK_ERR(try_decode(&codecs[C_HEADER], b.data, b.len, NULL), HANSA_OK);
    expect_patch32(C_HEADER, &b, 277, WIRE_BLOCK_TXS_MAX + 1, HANSA_ERR_TOO_LONG, 277);
    hbuf_free(&b);
}

/* Offsets in a block: version, header, has_last_commit, ... (docs/wire.md). */
#define BLK_HEADER 1
#define BLK_TX_COUNT (BLK_HEADER + 277)
#define BLK_HAS_COMMIT (BLK_HEADER + WIRE_HEADER_BYTES)

static void encode_block_with_txs(hbuf *b, const wire_bytes *txs, uint32_t n) {
    wire_block blk = {.header = {.height = 1}, .txs = (wire_bytes *)txs, .n_txs = n};
    wire_block_seal(&blk);
    hbuf_reset(b);
    wire_block_encode(b, &blk);
}

static void test_reject_block(void) {
    hbuf b = HBUF_INIT, txb = HBUF_INIT;
    wire_tx tx = {.kind = TX_TRANSFER};
    wire_tx_encode(&txb, &tx);
    wire_bytes one = {txb.data, (uint32_t)txb.len};
    encode_block_with_txs(&b, &one, 1);
    size_t n_txs_off = BLK_HAS_COMMIT + 1 + 4, tx_len_off = n_txs_off + 4, tx_off = tx_len_off + 4;
    CHECK_ERR(try_decode(&codecs[C_BLOCK], b.data, b.len, NULL), HANSA_OK);
    expect_patch8(C_BLOCK, &b, BLK_HEADER, 0, HANSA_ERR_VERSION, BLK_HEADER);
    expect_patch8(C_BLOCK, &b, BLK_HAS_COMMIT, 2, HANSA_ERR_NONCANONICAL, BLK_HAS_COMMIT);
    expect_patch8(C_BLOCK, &b, BLK_HEADER + 5, 2, HANSA_ERR_INVALID, BLK_HAS_COMMIT); /* height 2, no commit */
    /* tx_count disagrees with the txs: reported at the block's own count */
    expect_patch32(C_BLOCK, &b, BLK_TX_COUNT, 2, HANSA_ERR_INVALID, n_txs_off);
    expect_patch32(C_BLOCK, &b, BLK_TX_COUNT, 0, HANSA_ERR_INVALID, n_txs_off);
    expect_patch32(C_BLOCK, &b, BLK_HAS_COMMIT + 1, WIRE_BLOCK_EVIDENCE_MAX + 1, HANSA_ERR_TOO_LONG, BLK_HAS_COMMIT + 1);
    expect_patch32(C_BLOCK, &b, BLK_HAS_COMMIT + 1, 1, HANSA_ERR_TRUNCATED, BLK_HAS_COMMIT + 1);
    expect_patch32(C_BLOCK, &b, n_txs_off, WIRE_BLOCK_TXS_MAX + 1, HANSA_ERR_TOO_LONG, n_txs_off);
    expect_patch32(C_BLOCK, &b, tx_len_off, WIRE_TX_BYTES_MAX + 1, HANSA_ERR_TOO_LONG, tx_len_off);
    /* An embedded tx keeps its own error, at its offset inside the block. */
    expect_patch8(C_BLOCK, &b, tx_off, 9, HANSA_ERR_VERSION, tx_off);
    expect_patch8(C_BLOCK, &b, tx_off + 53, 0, HANSA_ERR_NONCANONICAL, tx_off + 53);
    {   /* a tx with a byte after it, and one cut short, each length-prefixed correctly */
        hbuf_put_u8(&txb, 0);
        one = (wire_bytes){txb.data, (uint32_t)txb.len};
        encode_block_with_txs(&b, &one, 1);
        wire_rd r;
        CHECK_ERR(try_decode(&codecs[C_BLOCK], b.data, b.len, &r), HANSA_ERR_TRAILING);
        CHECK_EQ_U64(r.err_off, b.len - 1);
        one.len -= 2;
        encode_block_with_txs(&b, &one, 1);
        CHECK_ERR(try_decode(&codecs[C_BLOCK], b.data, b.len, &r), HANSA_ERR_TRUNCATED);
        one.len = 0;
        encode_block_with_txs(&b, &one, 1);
        CHECK_ERR(try_decode(&codecs[C_BLOCK], b.data, b.len, &r), HANSA_ERR_TRUNCATED);
    }
    {   /* over the block size bound before anything is read */
        size_t n = (size_t)WIRE_BLOCK_BYTES_MAX + 1;
        uint8_t *huge = hansa_calloc(n, 1);
        huge[0] = WIRE_VERSION;
        wire_rd r;
        CHECK_ERR(try_decode(&codecs[C_BLOCK], huge, n, &r), HANSA_ERR_TOO_LONG);
        CHECK_EQ_U64(r.err_off, 0);
        free(huge);
    }
    hbuf_free(&b);
    hbuf_free(&txb);
}

static void test_reject_block_parts(void) {
    /* Evidence and commit inside a block are checked like top-level ones. */
    hansa_prng g;
    prng_seed(&g, check_seed("test_reject_block_parts", 0xb10c));
    wire_commit_sig sigs[2] = {{.validator_index = 0}, {.validator_index = 1}};
    wire_evidence ev;
    gen_evidence(&g, &ev);
    wire_block blk = {.header = {.height = 2}, .has_last_commit = true,
                      .last_commit = {.n_sigs = 2, .sigs = sigs}, .n_evidence = 1,
                      .evidence = &ev};
    wire_block_seal(&blk);
    hbuf b = HBUF_INIT;
    wire_block_encode(&b, &blk);
    CHECK_ERR(try_decode(&codecs[C_BLOCK], b.data, b.len, NULL), HANSA_OK);
    size_t commit = BLK_HAS_COMMIT + 1, sig1 = commit + 53 + 66;
    size_t ev_off = commit + WIRE_COMMIT_BYTES(2) + 4;
    expect_patch8(C_BLOCK, &b, BLK_HEADER + 5, 1, HANSA_ERR_INVALID, BLK_HAS_COMMIT); /* height 1 with commit */
    expect_patch8(C_BLOCK, &b, commit, 0, HANSA_ERR_VERSION, commit);
    expect_patch8(C_BLOCK, &b, sig1, 0, HANSA_ERR_NONCANONICAL, sig1);
    expect_patch8(C_BLOCK, &b, ev_off, 0, HANSA_ERR_VERSION, ev_off);
    expect_patch8(C_BLOCK, &b, ev_off + 1 + WIRE_VOTE_BYTES + 1, ev.b.chain_id ^ 1, HANSA_ERR_INVALID, ev_off);
    hbuf_free(&b);
}

static void test_reject_valset(void) {
    wire_validator v[3] = {{.power = 1}, {.power = 2}, {.power = 3}};
    v[0].pubkey.b[0] = 1, v[1].pubkey.b[0] = 2, v[2].pubkey.b[0] = 3;
    wire_valset vs = {.n = 3, .v = v};
    hbuf b = HBUF_INIT;
    wire_valset_encode(&b, &vs);
    CHECK_EQ_U64(b.len, WIRE_VALSET_BYTES(3));
    const size_t e0 = 5, e1 = 5 + 40, e2 = 5 + 80;
    expect_patch32(C_VALSET, &b, 1, 0, HANSA_ERR_INVALID, 1);
    expect_patch32(C_VALSET, &b, 1, WIRE_VALIDATORS_MAX + 1, HANSA_ERR_TOO_LONG, 1);
    expect_patch32(C_VALSET, &b, 1, 4, HANSA_ERR_TRUNCATED, 1);
    expect_patch8(C_VALSET, &b, e1, 1, HANSA_ERR_NONCANONICAL, e1); /* duplicate key */
    expect_patch8(C_VALSET, &b, e1, 0, HANSA_ERR_NONCANONICAL, e1); /* unsorted */
    expect_patch8(C_VALSET, &b, e2, 2, HANSA_ERR_NONCANONICAL, e2);
    expect_patch8(C_VALSET, &b, e0 + 32, 0, HANSA_ERR_INVALID, e0 + 32); /* zero power */
    {   /* total power over the cap, each part alone within it */
        hbuf_reset(&b);
        v[0].power = WIRE_TOTAL_POWER_MAX / 2;
        v[1].power = WIRE_TOTAL_POWER_MAX / 2;
        v[2].power = 1;
        wire_rd r;
        vs.n = 2;
        wire_valset_encode(&b, &vs);
        CHECK_ERR(try_decode(&codecs[C_VALSET], b.data, b.len, NULL), HANSA_OK); /* exactly the cap */
        vs.n = 3;
        hbuf_reset(&b);
        v[1].power--;
        wire_valset_encode(&b, &vs); /* cap - 1 + 1: still fine */
        CHECK_ERR(try_decode(&codecs[C_VALSET], b.data, b.len, NULL), HANSA_OK);
        le64_store(b.data + e2 + 32, 2);
        CHECK_ERR(try_decode(&codecs[C_VALSET], b.data, b.len, &r), HANSA_ERR_INVALID);
        CHECK_EQ_U64(r.err_off, e2 + 32);
        le64_store(b.data + e2 + 32, UINT64_MAX);
        CHECK_ERR(try_decode(&codecs[C_VALSET], b.data, b.len, &r), HANSA_ERR_INVALID);
    }
    hbuf_free(&b);
}

/* ---- the fuzzers' seed corpus --------------------------------------------- */

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s (does the directory exist?)\n", path);
        exit(1);
    }
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Regression seeds: rejected forms one byte away from valid ones, so even a
 * short fuzz run exercises them (a decoder that wrongly accepted a bool 2
 * would fail the re-encoding oracle on the first input). */
static void write_reject_seeds(const char *dir) {
    hbuf b = HBUF_INIT;
    wire_vote v = {.type = VOTE_PREVOTE};
    wire_vote_encode(&b, &v);
    b.data[18] = 2; /* block_id.present */
    write_file(dir, "fuzz_vote/reject-bool2", b.data, b.len);
    wire_block blk = {.header = {.height = 1}};
    wire_block_seal(&blk);
    hbuf_reset(&b);
    wire_block_encode(&b, &blk);
    b.data[BLK_HAS_COMMIT] = 2;
    write_file(dir, "fuzz_block/reject-bool2", b.data, b.len);
    hbuf_free(&b);
}

static void write_corpus(const char *dir) {
    hansa_prng g;
    prng_seed(&g, 1);
    hbuf b = HBUF_INIT;
    for (int k = 0; k < C_COUNT; k++) {
        for (int i = 0; i < 4; i++) {
            arena_used = 0;
            any_obj obj;
            /* Small values: seeds should be tiny. */
            if (k == C_BLOCK) gen_block(&g, &obj.block, 3, 1);
            else if (k == C_COMMIT) gen_commit(&g, &obj.commit, 3);
            else if (k == C_VALSET) gen_valset(&g, &obj.valset, 3);
            else gen_any(&g, k, &obj);
            if (k == C_TX && obj.tx.body_len > 32) obj.tx.body_len = 32;
            hbuf_reset(&b);
            codecs[k].encode(&b, &obj);
            release_any(k, &obj);
            char name[64];
            snprintf(name, sizeof name, "fuzz_%s/seed-%d", codecs[k].name, i);
            write_file(dir, name, b.data, b.len);
        }
    }
    hbuf_free(&b);
    write_reject_seeds(dir);
}

int main(void) {
    const char *corpus = getenv("HANSA_WRITE_CORPUS");
    if (corpus) write_corpus(corpus);
    RUN(test_cursor);
    RUN(test_layout_vote);
    RUN(test_layout_tx);
    RUN(test_roundtrip_all);
    RUN(test_roundtrip_fields);
    RUN(test_hashes);
    RUN(test_block_check_body);
    RUN(test_tx_root_memo);
    RUN(test_header_commit_memo);
    RUN(test_tx_bytes_hash_memo);
    RUN(test_vote_hint);
    RUN(test_commit_vote);
    RUN(test_evidence_make);
    RUN(test_truncation_trailing_version);
    RUN(test_reject_tx);
    RUN(test_reject_vote);
    RUN(test_reject_proposal);
    RUN(test_reject_commit);
    RUN(test_reject_evidence);
    RUN(test_reject_header);
    RUN(test_reject_block);
    RUN(test_reject_block_parts);
    RUN(test_reject_valset);
    RUN(test_valset_hash_memo);
    return check_summary();
}
