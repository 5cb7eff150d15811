/* test_ledger_receipts.c — receipt collateral and claims (tx_receipt.h,
 * receipt.h): every claim rule, the codecs, and the receipt audit shown
 * catching the faults it exists for. The supply equation and the audit are
 * checked after every block. */
#include <stdlib.h>

#include "check.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/elect.h"
#include "ledger/receipt.h"
#include "ledger/tx_receipt.h"
#include "ledger_helpers.h"
#include "receipt_helpers.h"

#define SIGNER 1   /* the receipt node */
#define UNDER 5    /* an underwriter */
#define SENDER 2
#define MERCHANT 3
#define OTHER 4
#define CLAIMER 6

typedef struct {
    ledger_state *s;
    hansa_hash prev_root;
    /* the encoded txs of the last block, for proofs */
    hbuf enc[8];
    size_t n;
    uint64_t nonce[T_KEYS];
} tchain;

static tchain chain_new(void) {
    uint64_t bal[T_KEYS];
    for (int i = 0; i < 10; i++) bal[i] = 1000000;
    ledger_params p = t_params();
    tchain c = {.s = t_state(&p, bal, 10, t_hash_key_a)};
    return c;
}

static void chain_free(tchain *c) {
    for (size_t i = 0; i < 8; i++) hbuf_free(&c->enc[i]);
    ledger_state_free(c->s);
}

static bool audit_ok(const ledger_state *s) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_receipts_check(s, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  receipt audit: %s\n", why);
    return err == HANSA_OK && t_supply_ok(s);
}

/* Applies a block of txs (each checked on its own first: returns the first
 * refusal and leaves the state as it was). */
static hansa_err chain_block_ev(tchain *c, const wire_tx *txs, size_t n, const ledger_evidence *ev,
                                char *why) {
    HANSA_ASSERT(n <= 8);
    ledger_block_info info = t_info(c->s, 60);
    info.prev_tx_root = c->prev_root;
    info.evidence = ev;
    info.n_evidence = ev ? 1 : 0;
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(c->s, &info, &b, why, LEDGER_WHY_MAX), HANSA_OK);
    hansa_hash leaves[8];
    for (size_t i = 0; i < n; i++) {
        hansa_err err = ledger_block_add_tx(b, &txs[i], false, why, LEDGER_WHY_MAX);
        if (err != HANSA_OK) {
            ledger_block_free(b);
            return err;
        }
        hbuf_reset(&c->enc[i]);
        wire_tx_encode(&c->enc[i], &txs[i]);
        merkle_leaf_hash(c->enc[i].data, c->enc[i].len, &leaves[i]);
    }
    c->n = n;
    merkle_root(leaves, n, &c->prev_root);
    ledger_block_finish(b);
    ledger_block_commit(c->s, b);
    CHECK(audit_ok(c->s));
    return HANSA_OK;
}

static hansa_err chain_block(tchain *c, const wire_tx *txs, size_t n, char *why) {
    return chain_block_ev(c, txs, n, NULL, why);
}

static void chain_empty_blocks(tchain *c, uint64_t k) {
    char why[LEDGER_WHY_MAX];
    for (uint64_t i = 0; i < k; i++) CHECK_ERR(chain_block(c, NULL, 0, why), HANSA_OK);
}

/* A signed tx of key `from` with the next nonce the chain expects of it. */
static wire_tx chain_tx(tchain *c, int from, uint16_t kind, const uint8_t *body, uint32_t len) {
    return t_tx_raw(from, T_CHAIN, c->nonce[from]++, 10, kind, body, len);
}

static hansa_err submit(tchain *c, int from, uint16_t kind, const uint8_t *body, uint32_t len) {
    char why[LEDGER_WHY_MAX] = "";
    wire_tx tx = chain_tx(c, from, kind, body, len);
    hansa_err err = chain_block(c, &tx, 1, why);
    if (err != HANSA_OK) {
        c->nonce[from]--;
        fprintf(stderr, "  (refused as expected? %s: %s)\n", hansa_errname(err), why);
    }
    return err;
}

static hansa_err bond(tchain *c, int who, uint16_t kind, uint64_t amount) {
    uint8_t body[8];
    le64_store(body, amount);
    return submit(c, who, kind, body, 8);
}

static hansa_err claim(tchain *c, const receipt_claim *cl) {
    hbuf body = HBUF_INIT;
    receipt_claim_encode(&body, cl);
    hansa_err err = submit(c, CLAIMER, TX_RECEIPT_CLAIM, body.data, (uint32_t)body.len);
    hbuf_free(&body);
    return err;
}

/* A claim with the proof of tx i of the chain's last block, at its height. */
static receipt_claim claim_with_proof(const tchain *c, const receipt *rc, size_t i) {
    receipt_claim cl = {.rc = *rc, .proof = RECEIPT_PROOF_TX, .height = ledger_height(c->s)};
    hansa_hash leaves[8];
    for (size_t k = 0; k < c->n; k++) merkle_leaf_hash(c->enc[k].data, c->enc[k].len, &leaves[k]);
    hansa_hash path[MERKLE_PROOF_MAX];
    cl.path_len = (uint8_t)merkle_proof(leaves, c->n, i, path);
    memcpy(cl.path, path, cl.path_len * sizeof *path);
    cl.index = (uint32_t)i;
    cl.count = (uint32_t)c->n;
    cl.tx = c->enc[i].data;
    cl.tx_len = (uint32_t)c->enc[i].len;
    return cl;
}

static ledger_receipt_bond bond_of(const ledger_state *s, int who) {
    ledger_receipt_bond r;
    ledger_receipt_bond_get(s, &t_keys[who].pub, &r);
    return r;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_bond_unbond_release(void) {
    tchain c = chain_new();
    uint64_t before = t_balance(c.s, SIGNER);
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).bonded, 5000);
    CHECK_EQ_U64(ledger_state_supply(c.s)->receipts, 5000);
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_UNBOND, 6000), HANSA_ERR_FUNDS);
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_UNBOND, 2000), HANSA_OK);
    ledger_receipt_bond r = bond_of(c.s, SIGNER);
    CHECK_EQ_U64(r.bonded, 3000);
    CHECK_EQ_U64(r.unbonding, 2000);
    CHECK_EQ_U64(r.release, ledger_height(c.s) + RECEIPT_UNBOND_BLOCKS);
    chain_empty_blocks(&c, RECEIPT_UNBOND_BLOCKS - 1);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).unbonding, 2000);
    chain_empty_blocks(&c, 1);
    r = bond_of(c.s, SIGNER);
    CHECK_EQ_U64(r.unbonding, 0);
    CHECK_EQ_U64(r.withdrawn, 2000);
    CHECK_EQ_U64(t_balance(c.s, SIGNER), before - 5000 - 20 + 2000);
    /* Old tx roots are dropped: only RECEIPT_ROOTS_KEPT stay. */
    hansa_hash root;
    CHECK(ledger_receipt_root_get(c.s, ledger_height(c.s) - 1, &root));
    CHECK(!ledger_receipt_root_get(c.s, ledger_height(c.s) - 1 - RECEIPT_ROOTS_KEPT, &root));
    chain_free(&c);
}

/* The tx was never committed (its nonce unused): the claim pays, once. */
static void test_claim_paid_once(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 700, 0, 10, body);
    int who[] = {SIGNER};
    uint64_t amt[] = {700};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 3, who, amt, 1);
    receipt_claim cl = {.rc = rc};
    CHECK_ERR(claim(&c, &cl), HANSA_ERR_STATE); /* deadline not passed */
    chain_empty_blocks(&c, 2);
    CHECK_ERR(claim(&c, &cl), HANSA_ERR_STATE); /* a claim in block `deadline` is early */
    chain_empty_blocks(&c, 1);
    uint64_t m = t_balance(c.s, MERCHANT);
    CHECK_ERR(claim(&c, &cl), HANSA_OK);
    CHECK_EQ_U64(t_balance(c.s, MERCHANT), m + 700);
    ledger_receipt_bond r = bond_of(c.s, SIGNER);
    CHECK_EQ_U64(r.claimed, 700);
    CHECK_EQ_U64(r.bonded, 4300);
    hansa_hash id;
    receipt_id(&rc.core, &id);
    uint64_t paid = 0;
    CHECK(ledger_receipt_claim_get(c.s, &id, NULL, &paid));
    CHECK_EQ_U64(paid, 700);
    CHECK_ERR(claim(&c, &cl), HANSA_ERR_DUPLICATE);
    chain_free(&c);
}

/* The tx was committed by the deadline: no claim can be made. */
static void test_claim_refuted_by_inclusion(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 700, c.nonce[SENDER], 10, body);
    int who[] = {SIGNER};
    uint64_t amt[] = {700};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 3, who, amt, 1);
    char why[LEDGER_WHY_MAX];
    uint8_t b2[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx filler = t_transfer(OTHER, &t_addrs[MERCHANT], 5, c.nonce[OTHER]++, 10, b2);
    wire_tx both[] = {filler, tx};
    CHECK_ERR(chain_block(&c, both, 2, why), HANSA_OK);
    c.nonce[SENDER]++;
    receipt_claim proof = claim_with_proof(&c, &rc, 1);
    receipt_claim wrong = claim_with_proof(&c, &rc, 0);
    chain_empty_blocks(&c, 3);
    receipt_claim bare = {.rc = rc};
    CHECK_ERR(claim(&c, &bare), HANSA_ERR_PROOF);
    CHECK_ERR(claim(&c, &proof), HANSA_ERR_INVALID);
    /* A proof of another tx of the block is not the sender's at that nonce. */
    CHECK_ERR(claim(&c, &wrong), HANSA_ERR_PROOF);
    /* A path tampered with leads nowhere. */
    proof.path[0].b[0] ^= 1;
    CHECK_ERR(claim(&c, &proof), HANSA_ERR_PROOF);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).claimed, 0);
    chain_free(&c);
}

/* The sender double-spent: another tx used the nonce. The proof of it pays. */
static void test_claim_double_spend(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES], b2[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx promised = t_transfer(SENDER, &t_addrs[MERCHANT], 900, c.nonce[SENDER], 10, b1);
    wire_tx spent = t_transfer(SENDER, &t_addrs[OTHER], 900, c.nonce[SENDER], 10, b2);
    int who[] = {SIGNER};
    uint64_t amt[] = {900};
    receipt rc = t_make_receipt(c.s, &promised, &t_addrs[MERCHANT], 2, who, amt, 1);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(chain_block(&c, &spent, 1, why), HANSA_OK);
    c.nonce[SENDER]++;
    receipt_claim cl = claim_with_proof(&c, &rc, 0);
    chain_empty_blocks(&c, 2);
    uint64_t m = t_balance(c.s, MERCHANT);
    CHECK_ERR(claim(&c, &cl), HANSA_OK);
    CHECK_EQ_U64(t_balance(c.s, MERCHANT), m + 900);
    chain_free(&c);
}

/* The promised tx came, but after the deadline: the promise was broken. */
static void test_claim_late_commit(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 400, c.nonce[SENDER], 10, b1);
    int who[] = {SIGNER};
    uint64_t amt[] = {400};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 1, who, amt, 1);
    chain_empty_blocks(&c, 2);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(chain_block(&c, &tx, 1, why), HANSA_OK);
    c.nonce[SENDER]++;
    receipt_claim cl = claim_with_proof(&c, &rc, 0);
    CHECK_ERR(claim(&c, &cl), HANSA_OK);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).claimed, 400);
    chain_free(&c);
}

static void test_claim_forged_or_expired(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 400, 0, 10, b1);
    int who[] = {SIGNER}, nobody[] = {OTHER};
    uint64_t amt[] = {400};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 1, who, amt, 1);
    receipt unbonded = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 1, nobody, amt, 1);
    chain_empty_blocks(&c, 1);
    /* A raised amount breaks the signature. */
    receipt_claim forged = {.rc = rc};
    forged.rc.core.amount = 4000;
    forged.rc.shares[0].amount = 4000;
    CHECK_ERR(claim(&c, &forged), HANSA_ERR_BAD_SIG);
    receipt_claim other = {.rc = rc};
    other.rc.core.beneficiary = t_addrs[CLAIMER];
    CHECK_ERR(claim(&c, &other), HANSA_ERR_BAD_SIG);
    /* Signed by a key with no collateral. */
    receipt_claim nob = {.rc = unbonded};
    CHECK_ERR(claim(&c, &nob), HANSA_ERR_NOT_FOUND);
    /* Another chain's receipt. */
    receipt_claim wrong = {.rc = rc};
    wrong.rc.core.chain_id = 0x7a11;
    CHECK_ERR(claim(&c, &wrong), HANSA_ERR_WRONG_CHAIN);
    /* After the window. */
    chain_empty_blocks(&c, RECEIPT_CLAIM_WINDOW);
    receipt_claim late = {.rc = rc};
    CHECK_ERR(claim(&c, &late), HANSA_ERR_STATE);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).claimed, 0);
    chain_free(&c);
}

/* A signer that over-signed pays what it has, never more; then nothing. */
static void test_over_exposure(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 500), HANSA_OK);
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES], b2[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx t1 = t_transfer(SENDER, &t_addrs[MERCHANT], 400, 0, 10, b1);
    wire_tx t2 = t_transfer(OTHER, &t_addrs[MERCHANT], 400, 0, 10, b2);
    int who[] = {SIGNER};
    uint64_t amt[] = {400};
    receipt r1 = t_make_receipt(c.s, &t1, &t_addrs[MERCHANT], 1, who, amt, 1);
    receipt r2 = t_make_receipt(c.s, &t2, &t_addrs[MERCHANT], 1, who, amt, 1);
    receipt r3 = t_make_receipt(c.s, &t2, &t_addrs[CLAIMER], 1, who, amt, 1);
    chain_empty_blocks(&c, 1);
    receipt_claim c1 = {.rc = r1}, c2 = {.rc = r2}, c3 = {.rc = r3};
    uint64_t m = t_balance(c.s, MERCHANT);
    CHECK_ERR(claim(&c, &c1), HANSA_OK);
    CHECK_ERR(claim(&c, &c2), HANSA_OK);
    CHECK_EQ_U64(t_balance(c.s, MERCHANT), m + 500);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).claimed, 500);
    CHECK_ERR(claim(&c, &c3), HANSA_ERR_FUNDS);
    chain_free(&c);
}

/* Two shares: each is paid from its own signer's collateral. */
static void test_underwriting_shares(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 300), HANSA_OK);
    CHECK_ERR(bond(&c, UNDER, TX_RECEIPT_BOND, 5000), HANSA_OK);
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 1000, 0, 10, b1);
    int who[] = {SIGNER, UNDER};
    uint64_t amt[] = {300, 700};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 1, who, amt, 2);
    CHECK_EQ_U64(rc.core.amount, 1000);
    CHECK(receipt_verify(&rc) < 0);
    /* Shares that do not cover the amount are not a receipt. */
    hbuf enc = HBUF_INIT;
    receipt_encode(&enc, &rc);
    receipt back;
    CHECK_ERR(receipt_decode(enc.data, enc.len, &back, NULL), HANSA_OK);
    enc.data[97] ^= 1; /* core.amount */
    CHECK_ERR(receipt_decode(enc.data, enc.len, &back, NULL), HANSA_ERR_INVALID);
    hbuf_free(&enc);
    chain_empty_blocks(&c, 1);
    receipt_claim cl = {.rc = rc};
    uint64_t m = t_balance(c.s, MERCHANT);
    CHECK_ERR(claim(&c, &cl), HANSA_OK);
    CHECK_EQ_U64(t_balance(c.s, MERCHANT), m + 1000);
    CHECK_EQ_U64(bond_of(c.s, SIGNER).claimed, 300);
    CHECK_EQ_U64(bond_of(c.s, UNDER).claimed, 700);
    CHECK_EQ_U64(bond_of(c.s, UNDER).bonded, 4300);
    chain_free(&c);
}

/* Duplicate-vote evidence slashes receipt collateral like delegate bonds. */
static void test_slash(void) {
    tchain c = chain_new();
    uint8_t body[8];
    le64_store(body, 10000);
    wire_tx tx = t_tx_raw(60, T_CHAIN, 0, 10, TX_RECEIPT_BOND, body, 8);
    char why[LEDGER_WHY_MAX];
    /* Delegate 60 has only its bond at genesis: give it tokens first. */
    uint8_t tb[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx fund = t_transfer(OTHER, &t_addrs[60], 50000, c.nonce[OTHER]++, 10, tb);
    CHECK_ERR(chain_block(&c, &fund, 1, why), HANSA_OK);
    CHECK_ERR(chain_block(&c, &tx, 1, why), HANSA_OK);
    ledger_evidence ev = {.offender = t_keys[60].pub, .height = ledger_height(c.s)};
    memset(ev.hash.b, 7, HANSA_HASH_BYTES);
    uint64_t burned = ledger_state_supply(c.s)->burned;
    CHECK_ERR(chain_block_ev(&c, NULL, 0, &ev, why), HANSA_OK);
    uint64_t cut = ledger_fee_burn(10000, ledger_state_params(c.s)->elect.slash_bps);
    CHECK(cut > 0);
    ledger_receipt_bond r = bond_of(c.s, 60);
    CHECK_EQ_U64(r.slashed, cut);
    CHECK_EQ_U64(r.bonded, 10000 - cut);
    CHECK(ledger_state_supply(c.s)->burned >= burned + cut);
    chain_free(&c);
}

/* The audit catches a signer paid beyond its collateral, a wrong counter
 * and a lost release entry: the faults it exists for. */
static void test_audit_catches(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 500), HANSA_OK);
    CHECK(audit_ok(c.s));
    uint8_t key[1 + HANSA_PUBKEY_BYTES] = {LEDGER_RECEIPT_KEY_BOND};
    memcpy(key + 1, t_keys[SIGNER].pub.b, HANSA_PUBKEY_BYTES);
    const kvmap_slot *slot = kvmap_get(&c.s->tabs[LEDGER_TAB_RECEIPT], key, sizeof key);
    CHECK(slot != NULL);
    uint8_t val[57];
    memcpy(val, slot->val, sizeof val);
    /* A claim paid 600 out of 500: claimed > deposited. */
    uint8_t bad[57];
    memcpy(bad, val, sizeof bad);
    le64_store(bad + 1, 0);    /* bonded */
    le64_store(bad + 33, 600); /* claimed */
    kvmap_put(&c.s->tabs[LEDGER_TAB_RECEIPT], key, sizeof key, bad, sizeof bad);
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_receipts_check(c.s, NULL, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "deposited") != NULL);
    /* The counter disagrees with the records. */
    kvmap_put(&c.s->tabs[LEDGER_TAB_RECEIPT], key, sizeof key, val, sizeof val);
    CHECK_ERR(ledger_receipts_check(c.s, NULL, why, sizeof why), HANSA_OK);
    c.s->supply.receipts += 1;
    CHECK_ERR(ledger_receipts_check(c.s, NULL, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK_ERR(ledger_supply_check(c.s, why, sizeof why), HANSA_ERR_CORRUPT);
    c.s->supply.receipts -= 1;
    /* Unbonding collateral with no release entry would never come back. */
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_UNBOND, 100), HANSA_OK);
    ledger_receipt_bond r = bond_of(c.s, SIGNER);
    uint8_t rk[1 + 8 + HANSA_PUBKEY_BYTES] = {LEDGER_RECEIPT_KEY_RELEASE};
    for (int i = 0; i < 8; i++) rk[1 + i] = (uint8_t)(r.release >> (56 - 8 * i));
    memcpy(rk + 9, t_keys[SIGNER].pub.b, HANSA_PUBKEY_BYTES);
    CHECK(kvmap_get(&c.s->tabs[LEDGER_TAB_RECEIPT_RELEASE], rk, sizeof rk) != NULL);
    kvmap_del(&c.s->tabs[LEDGER_TAB_RECEIPT_RELEASE], rk, sizeof rk);
    CHECK_ERR(ledger_receipts_check(c.s, NULL, why, sizeof why), HANSA_ERR_CORRUPT);
    chain_free(&c);
}

static void test_codec(void) {
    tchain c = chain_new();
    uint8_t b1[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(SENDER, &t_addrs[MERCHANT], 1000, 0, 10, b1);
    int who[] = {SIGNER, UNDER, OTHER};
    uint64_t amt[] = {300, 600, 100};
    receipt rc = t_make_receipt(c.s, &tx, &t_addrs[MERCHANT], 5, who, amt, 3);
    hbuf enc = HBUF_INIT;
    receipt_encode(&enc, &rc);
    CHECK_EQ_U64(enc.len, RECEIPT_BYTES(3));
    receipt back;
    CHECK_ERR(receipt_decode(enc.data, enc.len, &back, NULL), HANSA_OK);
    hbuf again = HBUF_INIT;
    receipt_encode(&again, &back);
    CHECK(again.len == enc.len && memcmp(again.data, enc.data, enc.len) == 0);
    /* Every truncation is refused; so is a trailing byte. */
    for (size_t n = 0; n < enc.len; n++)
        CHECK(receipt_decode(enc.data, n, &back, NULL) != HANSA_OK);
    hbuf_put_u8(&enc, 0);
    CHECK_ERR(receipt_decode(enc.data, enc.len, &back, NULL), HANSA_ERR_TRAILING);
    enc.len--;
    /* Version, share count, order, zero share, deadline range. */
    uint8_t *p = enc.data;
    p[0] = 2;
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_ERR_VERSION);
    p[0] = 1;
    p[RECEIPT_CORE_BYTES] = 9;
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_ERR_TOO_LONG);
    p[RECEIPT_CORE_BYTES] = 3;
    uint8_t tmp[RECEIPT_SHARE_BYTES];
    uint8_t *s0 = p + RECEIPT_CORE_BYTES + 1, *s1 = s0 + RECEIPT_SHARE_BYTES;
    memcpy(tmp, s0, sizeof tmp);
    memcpy(s0, s1, sizeof tmp);
    memcpy(s1, tmp, sizeof tmp);
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_ERR_NONCANONICAL);
    memcpy(s1, s0, sizeof tmp);
    memcpy(s0, tmp, sizeof tmp);
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_OK);
    le64_store(p + 113, rc.core.issued_height + RECEIPT_DEADLINE_MAX + 1);
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_ERR_INVALID);
    le64_store(p + 113, rc.core.issued_height);
    CHECK_ERR(receipt_decode(p, enc.len, &back, NULL), HANSA_ERR_INVALID);
    /* Claims: round trip with a proof; bad proof kind; oversize path. */
    receipt_claim cl = {.rc = rc, .proof = RECEIPT_PROOF_TX, .height = 4, .index = 1, .count = 3,
                        .path_len = 2, .tx = b1, .tx_len = sizeof b1};
    hbuf ce = HBUF_INIT;
    receipt_claim_encode(&ce, &cl);
    receipt_claim cb;
    CHECK_ERR(receipt_claim_decode(ce.data, ce.len, &cb, NULL), HANSA_OK);
    CHECK(cb.tx_len == sizeof b1 && memcmp(cb.tx, b1, sizeof b1) == 0 && cb.index == 1);
    ce.data[RECEIPT_BYTES(3)] = 2;
    CHECK_ERR(receipt_claim_decode(ce.data, ce.len, &cb, NULL), HANSA_ERR_NONCANONICAL);
    ce.data[RECEIPT_BYTES(3)] = 1;
    ce.data[RECEIPT_BYTES(3) + 17] = RECEIPT_PROOF_PATH_MAX + 1;
    CHECK_ERR(receipt_claim_decode(ce.data, ce.len, &cb, NULL), HANSA_ERR_TOO_LONG);
    ce.data[RECEIPT_BYTES(3) + 17] = 2;
    le32_store(ce.data + RECEIPT_BYTES(3) + 9, 3); /* index == count */
    CHECK_ERR(receipt_claim_decode(ce.data, ce.len, &cb, NULL), HANSA_ERR_INVALID);
    hbuf_free(&ce);
    hbuf_free(&enc);
    hbuf_free(&again);
    chain_free(&c);
}

/* Stored records load back and are checked: a restart sees the same state. */
static void test_records_reload(void) {
    tchain c = chain_new();
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_BOND, 800), HANSA_OK);
    CHECK_ERR(bond(&c, SIGNER, TX_RECEIPT_UNBOND, 100), HANSA_OK);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(c.s, &ws);
    ledger_state *l = ledger_state_load_begin(t_hash_key_b);
    char why[LEDGER_WHY_MAX] = "";
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl);
        const uint8_t *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(l, k, kl, v, vl, why, sizeof why), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(l, ledger_app_hash(c.s), why, sizeof why), HANSA_OK);
    ledger_receipt_bond r;
    CHECK(ledger_receipt_bond_get(l, &t_keys[SIGNER].pub, &r));
    CHECK_EQ_U64(r.unbonding, 100);
    CHECK(audit_ok(l));
    /* A damaged collateral record is refused on load. */
    ledger_state *l2 = ledger_state_load_begin(t_hash_key_b);
    uint8_t key[1 + HANSA_PUBKEY_BYTES] = {LEDGER_RECEIPT_KEY_BOND};
    uint8_t val[57] = {1};
    le64_store(val + 1, 5);
    le64_store(val + 25, 4);
    CHECK_ERR(ledger_state_load_record(l2, key, sizeof key, val, sizeof val, why, sizeof why),
              HANSA_ERR_CORRUPT);
    ledger_state_free(l2);
    ledger_state_free(l);
    ledger_writes_free(&ws);
    chain_free(&c);
}

int main(void) {
    t_init_keys();
    RUN(test_bond_unbond_release);
    RUN(test_claim_paid_once);
    RUN(test_claim_refuted_by_inclusion);
    RUN(test_claim_double_spend);
    RUN(test_claim_late_commit);
    RUN(test_claim_forged_or_expired);
    RUN(test_over_exposure);
    RUN(test_underwriting_shares);
    RUN(test_slash);
    RUN(test_audit_catches);
    RUN(test_codec);
    RUN(test_records_reload);
    return check_summary();
}
