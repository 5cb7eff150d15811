/* tx_receipt.c — see tx_receipt.h: receipt collateral records, the bond,
 * unbond and claim transaction kinds, the per-block hooks and the audit.
 *
 * Collateral is held out of the signer's balance, like a delegate bond, and
 * counted in supply.receipts, so the supply equation stays
 *   balances + bonded + unbonding + receipts + burned == genesis + minted.
 * A claim moves collateral to the beneficiary's balance; a release moves it
 * back to the signer's; a slash burns it. Each path updates the signer's
 * record so that its own equation (tx_receipt.h) holds after every block. */
#include "ledger/tx_receipt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/block.h"
#include "ledger/elect.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/xfer.h"

#define KEY_BOND_BYTES (1 + HANSA_PUBKEY_BYTES)
#define KEY_RELEASE_BYTES (1 + 8 + HANSA_PUBKEY_BYTES)
#define KEY_CLAIM_BYTES (1 + HANSA_HASH_BYTES)
#define KEY_ROOT_BYTES (1 + 8)
#define KEY_TERM_BYTES (1 + HANSA_PUBKEY_BYTES)
#define VAL_BOND_BYTES (1 + 7 * 8)
#define VAL_CLAIM_BYTES (1 + 8 + 8)
#define VAL_ROOT_BYTES (1 + HANSA_HASH_BYTES)
#define VAL_TERM_BYTES (1 + 8 + 8)

/* ---- keys ------------------------------------------------------------------ */

static size_t key_bond(const hansa_pubkey *pk, uint8_t *out) {
    out[0] = LEDGER_RECEIPT_KEY_BOND;
    memcpy(out + 1, pk->b, HANSA_PUBKEY_BYTES);
    return KEY_BOND_BYTES;
}

static size_t key_term(const hansa_pubkey *pk, uint8_t *out) {
    out[0] = LEDGER_RECEIPT_KEY_TERM;
    memcpy(out + 1, pk->b, HANSA_PUBKEY_BYTES);
    return KEY_TERM_BYTES;
}

static size_t key_release(uint64_t release, const hansa_pubkey *pk, uint8_t *out) {
    out[0] = LEDGER_RECEIPT_KEY_RELEASE;
    be64_store(out + 1, release);
    memcpy(out + 9, pk->b, HANSA_PUBKEY_BYTES);
    return KEY_RELEASE_BYTES;
}

static size_t key_claim(const hansa_hash *id, uint8_t *out) {
    out[0] = LEDGER_RECEIPT_KEY_CLAIM;
    memcpy(out + 1, id->b, HANSA_HASH_BYTES);
    return KEY_CLAIM_BYTES;
}

static size_t key_root(uint64_t height, uint8_t *out) {
    out[0] = LEDGER_RECEIPT_KEY_ROOT;
    be64_store(out + 1, height);
    return KEY_ROOT_BYTES;
}

/* ---- records through the overlay ------------------------------------------------ */

static void bond_decode(const uint8_t *v, ledger_receipt_bond *out) {
    out->bonded = le64_load(v + 1);
    out->unbonding = le64_load(v + 9);
    out->release = le64_load(v + 17);
    out->deposited = le64_load(v + 25);
    out->claimed = le64_load(v + 33);
    out->withdrawn = le64_load(v + 41);
    out->slashed = le64_load(v + 49);
}

static bool bond_get(const ledger_block *b, const hansa_pubkey *pk, ledger_receipt_bond *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_bond(pk, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_RECEIPT, key, klen, &vlen);
    memset(out, 0, sizeof *out);
    if (v == NULL) return false;
    HANSA_ASSERT(vlen == VAL_BOND_BYTES);
    bond_decode(v, out);
    return true;
}

/* The record's equation, as an always-on assert on every write. */
static void bond_assert(const ledger_receipt_bond *r) {
    uint64_t sum = r->bonded;
    HANSA_ASSERT(u64_add(sum, r->unbonding, &sum));
    HANSA_ASSERT(u64_add(sum, r->claimed, &sum));
    HANSA_ASSERT(u64_add(sum, r->withdrawn, &sum));
    HANSA_ASSERT(u64_add(sum, r->slashed, &sum));
    HANSA_ASSERT(sum == r->deposited);
    HANSA_ASSERT((r->release == 0) == (r->unbonding == 0));
}

static void bond_put(ledger_block *b, const hansa_pubkey *pk, const ledger_receipt_bond *r) {
    bond_assert(r);
    uint8_t key[KVMAP_KEY_MAX], val[VAL_BOND_BYTES];
    size_t klen = key_bond(pk, key);
    val[0] = LEDGER_RECORD_VERSION;
    le64_store(val + 1, r->bonded);
    le64_store(val + 9, r->unbonding);
    le64_store(val + 17, r->release);
    le64_store(val + 25, r->deposited);
    le64_store(val + 33, r->claimed);
    le64_store(val + 41, r->withdrawn);
    le64_store(val + 49, r->slashed);
    stake_raw_put(b, LEDGER_TAB_RECEIPT, key, klen, val, sizeof val);
}

/* Adds (or, with present false, removes) the release entry of pk. */
static void release_mark(ledger_block *b, uint64_t release, const hansa_pubkey *pk, bool present) {
    uint8_t key[KVMAP_KEY_MAX], v = LEDGER_RECORD_VERSION;
    size_t klen = key_release(release, pk, key);
    stake_raw_put(b, LEDGER_TAB_RECEIPT_RELEASE, key, klen, &v, present ? 1 : 0);
}

/* The signer's term: *until 0 and *bond_height 0 when it never bonded. */
static void term_get(const ledger_block *b, const hansa_pubkey *pk, uint64_t *until,
                     uint64_t *bond_height) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_term(pk, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_RECEIPT, key, klen, &vlen);
    *until = *bond_height = 0;
    if (v == NULL) return;
    HANSA_ASSERT(vlen == VAL_TERM_BYTES);
    *until = le64_load(v + 1);
    *bond_height = le64_load(v + 9);
}

static void term_put(ledger_block *b, const hansa_pubkey *pk, uint64_t until, uint64_t bond_height) {
    uint8_t key[KVMAP_KEY_MAX], val[VAL_TERM_BYTES];
    size_t klen = key_term(pk, key);
    val[0] = LEDGER_RECORD_VERSION;
    le64_store(val + 1, until);
    le64_store(val + 9, bond_height);
    stake_raw_put(b, LEDGER_TAB_RECEIPT, key, klen, val, sizeof val);
}

static void balance_add(ledger_block *b, const hansa_addr *a, uint64_t amount) {
    if (amount == 0) return;
    ledger_account acct;
    ledger_block_account(b, a, &acct);
    HANSA_ASSERT(u64_add(acct.balance, amount, &acct.balance)); /* bounded by the supply */
    ledger_block_account_put(b, a, &acct);
}

/* Takes up to want from pk's collateral, bonded first, then unbonding (its
 * release entry goes when it empties). Returns what it took. */
static uint64_t collateral_take(ledger_block *b, const hansa_pubkey *pk, ledger_receipt_bond *r,
                                uint64_t want) {
    uint64_t from_bonded = want < r->bonded ? want : r->bonded;
    uint64_t rest = want - from_bonded;
    uint64_t from_unbonding = rest < r->unbonding ? rest : r->unbonding;
    r->bonded -= from_bonded;
    r->unbonding -= from_unbonding;
    if (r->unbonding == 0 && r->release != 0) {
        release_mark(b, r->release, pk, false);
        r->release = 0;
    }
    uint64_t took = from_bonded + from_unbonding;
    HANSA_ASSERT(u64_sub(b->supply.receipts, took, &b->supply.receipts));
    return took;
}

/* ---- decoders ------------------------------------------------------------------ */

hansa_err txr_amount_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    if (len != 8) {
        ledger_why(why, why_len, "receipt collateral body is %u bytes, must be 8", len);
        return len < 8 ? HANSA_ERR_TRUNCATED : HANSA_ERR_TRAILING;
    }
    out->bond.amount = le64_load(body);
    out->bond.until = 0;
    if (out->bond.amount == 0) {
        ledger_why(why, why_len, "amount 0");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

/* amount u64 [| until u64]: the term is optional so that a plain bond keeps
 * the 8-byte body every other amount-only kind has. */
hansa_err txr_bond_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len) {
    if (len != 8 && len != 16) {
        ledger_why(why, why_len, "receipt bond body is %u bytes, must be 8 or 16", len);
        return len < 8 ? HANSA_ERR_TRUNCATED : HANSA_ERR_TRAILING;
    }
    if (len == 8) return txr_amount_decode(body, len, out, why, why_len);
    hansa_err err = txr_amount_decode(body, 8, out, why, why_len);
    if (err != HANSA_OK) return err;
    out->bond.until = le64_load(body + 8);
    if (out->bond.until == 0) {
        ledger_why(why, why_len, "term until 0 (omit the term instead)");
        return HANSA_ERR_NONCANONICAL;
    }
    return HANSA_OK;
}

hansa_err txr_claim_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    wire_rd r;
    hansa_err err = receipt_claim_decode(body, len, &out->claim, &r);
    if (err != HANSA_OK) {
        char where[96];
        rd_describe(&r, where, sizeof where);
        ledger_why(why, why_len, "claim body: %s (%s)", hansa_strerror(err), where);
    }
    return err;
}

/* ---- bond and unbond ------------------------------------------------------------ */

hansa_err txr_bond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    uint64_t amount = c->body.bond.amount, total;
    if (!u64_add(amount, c->tx->fee, &total) || c->sender_acct.balance < total) {
        ledger_why(why, why_len, "balance %" PRIu64 " < amount %" PRIu64 " + fee %" PRIu64,
                   c->sender_acct.balance, amount, c->tx->fee);
        return HANSA_ERR_FUNDS;
    }
    uint64_t h = b->info.height, until = c->body.bond.until;
    if (until != 0 && (until <= h || until - h > RECEIPT_TERM_MAX)) {
        ledger_why(why, why_len, "term until %" PRIu64 " must be in (%" PRIu64 ", %" PRIu64 "]",
                   until, h, h + RECEIPT_TERM_MAX);
        return HANSA_ERR_INVALID;
    }
    ledger_receipt_bond r;
    bond_get(b, &c->tx->sender, &r);
    if (!u64_add(r.deposited, amount, &total)) {
        ledger_why(why, why_len, "deposited collateral would overflow a u64");
        return HANSA_ERR_OVERFLOW;
    }
    return HANSA_OK;
}

void txr_bond_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint64_t amount = c->body.bond.amount;
    ledger_account a;
    HANSA_ASSERT(ledger_block_account(b, &c->sender, &a));
    HANSA_ASSERT(u64_sub(a.balance, amount, &a.balance));
    ledger_block_account_put(b, &c->sender, &a);
    ledger_receipt_bond r;
    bond_get(b, &c->tx->sender, &r);
    HANSA_ASSERT(u64_add(r.bonded, amount, &r.bonded));
    HANSA_ASSERT(u64_add(r.deposited, amount, &r.deposited));
    bond_put(b, &c->tx->sender, &r);
    HANSA_ASSERT(u64_add(b->supply.receipts, amount, &b->supply.receipts));
    uint64_t until, bond_height;
    term_get(b, &c->tx->sender, &until, &bond_height);
    term_put(b, &c->tx->sender, c->body.bond.until > until ? c->body.bond.until : until,
             b->info.height);
}

hansa_err txr_unbond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                           size_t why_len) {
    uint64_t until, bond_height;
    term_get(b, &c->tx->sender, &until, &bond_height);
    if (b->info.height < until) {
        ledger_why(why, why_len, "receipt collateral is locked until height %" PRIu64, until);
        return HANSA_ERR_STATE;
    }
    ledger_receipt_bond r;
    bond_get(b, &c->tx->sender, &r);
    if (r.bonded < c->body.bond.amount) {
        ledger_why(why, why_len, "bonded receipt collateral %" PRIu64 " < amount %" PRIu64,
                   r.bonded, c->body.bond.amount);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

/* The whole unbonding amount (earlier unbonds too) is released together,
 * RECEIPT_UNBOND_BLOCKS after the latest unbond: every receipt the signer
 * issued before it can still be claimed from it. */
void txr_unbond_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ledger_receipt_bond r;
    HANSA_ASSERT(bond_get(b, &c->tx->sender, &r));
    if (r.release != 0) release_mark(b, r.release, &c->tx->sender, false);
    r.bonded -= c->body.bond.amount;
    HANSA_ASSERT(u64_add(r.unbonding, c->body.bond.amount, &r.unbonding));
    HANSA_ASSERT(u64_add(b->info.height, RECEIPT_UNBOND_BLOCKS, &r.release));
    release_mark(b, r.release, &c->tx->sender, true);
    bond_put(b, &c->tx->sender, &r);
}

/* ---- claims ----------------------------------------------------------------------- */

/* A receipt for a transfer to another chain promises the money arrives
 * there: its send committed in time still breaks the promise when the
 * destination refused the packet (or it timed out) and it was refunded. */
static hansa_err packet_broken(const ledger_block *b, const hansa_hash *packet, char *why,
                               size_t why_len) {
    xfer_out o;
    if (!xfer_block_out(b, packet, &o) || o.state == XFER_CREDITED) {
        ledger_why(why, why_len, "refuted: the transfer was committed by the deadline and credited");
        return HANSA_ERR_INVALID;
    }
    if (o.state == XFER_PENDING) {
        ledger_why(why, why_len, "the transfer to chain %" PRIx32 " is still in flight: claim once"
                   " it is acknowledged", o.dest_chain);
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

/* The proof part of a claim: the sender's nonce was never used, or the
 * proven transaction shows the promise broken. */
static hansa_err claim_broken(const ledger_block *b, const receipt_claim *cl, char *why,
                              size_t why_len) {
    const receipt_core *k = &cl->rc.core;
    if (cl->proof == RECEIPT_PROOF_NONE) {
        hansa_addr sender;
        ledger_account acct;
        addr_from_pubkey(&k->sender, &sender);
        ledger_block_account(b, &sender, &acct);
        if (acct.nonce <= k->nonce) return HANSA_OK;
        ledger_why(why, why_len, "the sender's nonce %" PRIu64 " was used (account nonce %" PRIu64
                   "): the claim must prove the transaction that used it", k->nonce, acct.nonce);
        return HANSA_ERR_PROOF;
    }
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_root(cl->height, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_RECEIPT_ROOT, key, klen, &vlen);
    if (v == NULL) {
        ledger_why(why, why_len, "no tx root is kept for height %" PRIu64, cl->height);
        return HANSA_ERR_NOT_FOUND;
    }
    HANSA_ASSERT(vlen == VAL_ROOT_BYTES);
    hansa_hash root, leaf;
    memcpy(root.b, v + 1, HANSA_HASH_BYTES);
    merkle_leaf_hash(cl->tx, cl->tx_len, &leaf);
    if (!merkle_verify(&leaf, cl->index, cl->count, cl->path, cl->path_len, &root)) {
        ledger_why(why, why_len, "the proof does not lead to the tx root of height %" PRIu64,
                   cl->height);
        return HANSA_ERR_PROOF;
    }
    wire_tx tx;
    /* The bytes are under a committed root, so they decode; a failure here
     * would be a forged root, which the Merkle check already excludes. */
    if (wire_tx_decode(cl->tx, cl->tx_len, &tx, NULL) != HANSA_OK || !pubkey_eq(&tx.sender, &k->sender) ||
        tx.nonce != k->nonce) {
        ledger_why(why, why_len, "the proven transaction is not the sender's at nonce %" PRIu64,
                   k->nonce);
        return HANSA_ERR_PROOF;
    }
    hansa_hash th;
    sha256(cl->tx, cl->tx_len, &th);
    if (hash_eq(&th, &k->tx_hash) && cl->height <= k->deadline) {
        if (tx.kind == TX_PACKET_SEND) return packet_broken(b, &th, why, why_len);
        ledger_why(why, why_len, "refuted: the transaction was committed at height %" PRIu64
                   ", by the deadline %" PRIu64, cl->height, k->deadline);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

static hansa_err claim_check(const ledger_block *b, const receipt_claim *cl, uint64_t *payable,
                             char *why, size_t why_len) {
    const receipt_core *k = &cl->rc.core;
    uint64_t h = b->info.height;
    *payable = 0;
    if (k->chain_id != b->base->params.chain_id) {
        ledger_why(why, why_len, "the receipt is for chain %" PRIx32, k->chain_id);
        return HANSA_ERR_WRONG_CHAIN;
    }
    if (h <= k->deadline) {
        ledger_why(why, why_len, "the deadline %" PRIu64 " has not passed (block %" PRIu64 ")",
                   k->deadline, h);
        return HANSA_ERR_STATE;
    }
    if (h - k->deadline > RECEIPT_CLAIM_WINDOW) {
        ledger_why(why, why_len, "the claim window closed at height %" PRIu64,
                   k->deadline + RECEIPT_CLAIM_WINDOW);
        return HANSA_ERR_STATE;
    }
    hansa_hash id;
    receipt_id(k, &id);
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_claim(&id, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_RECEIPT, key, klen, &vlen);
    if (v != NULL) {
        ledger_why(why, why_len, "the receipt was already claimed at height %" PRIu64,
                   le64_load(v + 1));
        return HANSA_ERR_DUPLICATE;
    }
    int bad = receipt_verify(&cl->rc);
    if (bad >= 0) {
        ledger_why(why, why_len, "share %d's signature does not verify", bad);
        return HANSA_ERR_BAD_SIG;
    }
    for (uint8_t i = 0; i < cl->rc.n_shares; i++) {
        const receipt_share *s = &cl->rc.shares[i];
        ledger_receipt_bond r;
        if (!bond_get(b, &s->signer, &r)) {
            ledger_why(why, why_len, "share %u's signer has no receipt collateral", i);
            return HANSA_ERR_NOT_FOUND;
        }
        uint64_t avail = r.bonded + r.unbonding; /* both within the supply */
        *payable += s->amount < avail ? s->amount : avail;
    }
    hansa_err err = claim_broken(b, cl, why, why_len);
    if (err != HANSA_OK) return err;
    if (*payable == 0) {
        ledger_why(why, why_len, "the signers' receipt collateral is used up");
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

hansa_err txr_claim_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                          size_t why_len) {
    uint64_t payable;
    return claim_check(b, &c->body.claim, &payable, why, why_len);
}

void txr_claim_apply(ledger_block *b, const ledger_tx_ctx *c) {
    const receipt_claim *cl = &c->body.claim;
    uint64_t paid = 0;
    for (uint8_t i = 0; i < cl->rc.n_shares; i++) {
        const receipt_share *s = &cl->rc.shares[i];
        ledger_receipt_bond r;
        HANSA_ASSERT(bond_get(b, &s->signer, &r));
        uint64_t took = collateral_take(b, &s->signer, &r, s->amount);
        HANSA_ASSERT(u64_add(r.claimed, took, &r.claimed));
        bond_put(b, &s->signer, &r);
        paid += took;
    }
    HANSA_ASSERT(paid > 0);
    HANSA_ASSERT(paid <= cl->rc.core.amount);
    balance_add(b, &cl->rc.core.beneficiary, paid);
    hansa_hash id;
    receipt_id(&cl->rc.core, &id);
    uint8_t key[KVMAP_KEY_MAX], val[VAL_CLAIM_BYTES];
    size_t klen = key_claim(&id, key);
    val[0] = LEDGER_RECORD_VERSION;
    le64_store(val + 1, b->info.height);
    le64_store(val + 9, paid);
    stake_raw_put(b, LEDGER_TAB_RECEIPT, key, klen, val, sizeof val);
}

/* ---- block hooks -------------------------------------------------------------------- */

void receipt_block_begin(ledger_block *b) {
    uint64_t h = b->info.height;
    if (h < 2) return;
    uint8_t key[KVMAP_KEY_MAX], val[VAL_ROOT_BYTES];
    size_t klen = key_root(h - 1, key);
    val[0] = LEDGER_RECORD_VERSION;
    memcpy(val + 1, b->info.prev_tx_root.b, HANSA_HASH_BYTES);
    stake_raw_put(b, LEDGER_TAB_RECEIPT_ROOT, key, klen, val, sizeof val);
    if (h - 1 > RECEIPT_ROOTS_KEPT) {
        klen = key_root(h - 1 - RECEIPT_ROOTS_KEPT, key);
        stake_raw_put(b, LEDGER_TAB_RECEIPT_ROOT, key, klen, NULL, 0);
    }
}

typedef struct {
    uint64_t height;
    hansa_pubkey *due;
    size_t n, cap;
} due_list;

static void due_collect(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen) {
    (void)val, (void)vlen;
    due_list *l = ctx;
    HANSA_ASSERT(klen == KEY_RELEASE_BYTES);
    if (be64_load(key + 1) > l->height) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->due = hansa_realloc(l->due, l->cap * sizeof *l->due);
    }
    memcpy(l->due[l->n++].b, key + 9, HANSA_PUBKEY_BYTES);
}

void receipt_block_finish(ledger_block *b) {
    due_list l = {.height = b->info.height};
    stake_iter(b, LEDGER_TAB_RECEIPT_RELEASE, due_collect, &l);
    for (size_t i = 0; i < l.n; i++) {
        ledger_receipt_bond r;
        HANSA_ASSERT(bond_get(b, &l.due[i], &r));
        HANSA_ASSERT(r.release != 0 && r.release <= b->info.height);
        uint64_t amount = r.unbonding;
        release_mark(b, r.release, &l.due[i], false);
        r.unbonding = 0;
        r.release = 0;
        HANSA_ASSERT(u64_add(r.withdrawn, amount, &r.withdrawn));
        bond_put(b, &l.due[i], &r);
        HANSA_ASSERT(u64_sub(b->supply.receipts, amount, &b->supply.receipts));
        hansa_addr who;
        addr_from_pubkey(&l.due[i], &who);
        balance_add(b, &who, amount);
    }
    free(l.due);
}

void receipt_slash(ledger_block *b, const hansa_pubkey *pk, uint16_t bps) {
    ledger_receipt_bond r;
    if (!bond_get(b, pk, &r)) return;
    uint64_t cut_b = ledger_fee_burn(r.bonded, bps), cut_u = ledger_fee_burn(r.unbonding, bps);
    if (cut_b + cut_u == 0) return;
    r.bonded -= cut_b;
    r.unbonding -= cut_u;
    if (r.unbonding == 0 && r.release != 0) {
        release_mark(b, r.release, pk, false);
        r.release = 0;
    }
    HANSA_ASSERT(u64_add(r.slashed, cut_b + cut_u, &r.slashed));
    bond_put(b, pk, &r);
    HANSA_ASSERT(u64_sub(b->supply.receipts, cut_b + cut_u, &b->supply.receipts));
    HANSA_ASSERT(u64_add(b->supply.burned, cut_b + cut_u, &b->supply.burned));
}

/* ---- stored records ------------------------------------------------------------------ */

static void check_bond_value(wire_rd *r) {
    ledger_receipt_bond x;
    x.bonded = rd_u64(r, "bonded");
    x.unbonding = rd_u64(r, "unbonding");
    x.release = rd_u64(r, "release");
    x.deposited = rd_u64(r, "deposited");
    x.claimed = rd_u64(r, "claimed");
    x.withdrawn = rd_u64(r, "withdrawn");
    x.slashed = rd_u64(r, "slashed");
    if (r->err != HANSA_OK) return;
    uint64_t sum = x.bonded;
    if (!u64_add(sum, x.unbonding, &sum) || !u64_add(sum, x.claimed, &sum) ||
        !u64_add(sum, x.withdrawn, &sum) || !u64_add(sum, x.slashed, &sum))
        rd_fail(r, HANSA_ERR_OVERFLOW, "collateral");
    else if (sum != x.deposited)
        rd_fail(r, HANSA_ERR_INVALID, "collateral (parts do not add up to deposited)");
    else if ((x.release == 0) != (x.unbonding == 0))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "release (set exactly when unbonding)");
    else if (x.deposited == 0)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "collateral (an empty record is never stored)");
}

hansa_err ledger_receipt_record_check(const uint8_t *key, size_t klen, const uint8_t *val,
                                      size_t vlen, wire_rd *r) {
    rd_init(r, val, vlen);
    size_t want = 0;
    if (klen > 0) {
        switch (key[0]) {
        case LEDGER_RECEIPT_KEY_BOND: want = KEY_BOND_BYTES; break;
        case LEDGER_RECEIPT_KEY_RELEASE: want = KEY_RELEASE_BYTES; break;
        case LEDGER_RECEIPT_KEY_CLAIM: want = KEY_CLAIM_BYTES; break;
        case LEDGER_RECEIPT_KEY_ROOT: want = KEY_ROOT_BYTES; break;
        case LEDGER_RECEIPT_KEY_TERM: want = KEY_TERM_BYTES; break;
        default: break; /* a reserved prefix nothing uses yet */
        }
    }
    if (want == 0 || klen != want) {
        rd_fail(r, HANSA_ERR_INVALID, "receipt record key");
        return r->err;
    }
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    if (r->err == HANSA_OK) {
        switch (key[0]) {
        case LEDGER_RECEIPT_KEY_BOND: check_bond_value(r); break;
        case LEDGER_RECEIPT_KEY_RELEASE:
            if (be64_load(key + 1) == 0) rd_fail(r, HANSA_ERR_INVALID, "release height (0)");
            break;
        case LEDGER_RECEIPT_KEY_CLAIM:
            if (rd_u64(r, "claim height") == 0 && r->err == HANSA_OK)
                rd_fail(r, HANSA_ERR_INVALID, "claim height (0)");
            if (rd_u64(r, "paid") == 0 && r->err == HANSA_OK)
                rd_fail(r, HANSA_ERR_INVALID, "paid (0)");
            break;
        case LEDGER_RECEIPT_KEY_ROOT: {
            uint8_t root[HANSA_HASH_BYTES];
            rd_fixed(r, root, sizeof root, "root");
            break;
        }
        case LEDGER_RECEIPT_KEY_TERM:
            rd_u64(r, "until");
            if (rd_u64(r, "bond height") == 0 && r->err == HANSA_OK)
                rd_fail(r, HANSA_ERR_INVALID, "bond height (0)");
            break;
        default: HANSA_UNREACHABLE();
        }
    }
    rd_end(r);
    return r->err;
}

/* ---- reads ------------------------------------------------------------------------------ */

bool ledger_receipt_bond_get(const ledger_state *s, const hansa_pubkey *pk,
                             ledger_receipt_bond *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = bond_get(b, pk, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_receipt_term_get(const ledger_state *s, const hansa_pubkey *pk, uint64_t *until,
                             uint64_t *bond_height) {
    ledger_block *b = ledger_block_begin_check(s);
    term_get(b, pk, until, bond_height);
    ledger_block_free(b);
    return *bond_height != 0;
}

bool ledger_receipt_claim_get(const ledger_state *s, const hansa_hash *id, uint64_t *height,
                              uint64_t *paid) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_claim(id, key);
    const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_RECEIPT], key, klen);
    if (slot == NULL) return false;
    HANSA_ASSERT(slot->vlen == VAL_CLAIM_BYTES);
    if (height) *height = le64_load(slot->val + 1);
    if (paid) *paid = le64_load(slot->val + 9);
    return true;
}

bool ledger_receipt_root_get(const ledger_state *s, uint64_t height, hansa_hash *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_root(height, key);
    const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_RECEIPT_ROOT], key, klen);
    if (slot == NULL) return false;
    memcpy(out->b, slot->val + 1, HANSA_HASH_BYTES);
    return true;
}

hansa_err ledger_receipt_claim_check(const ledger_state *s, const receipt_claim *cl,
                                     uint64_t *payable, char *why, size_t why_len) {
    ledger_block *b = ledger_block_begin_check(s);
    hansa_err err = claim_check(b, cl, payable, why, why_len);
    ledger_block_free(b);
    return err;
}

/* ---- the audit ------------------------------------------------------------------------------ */

typedef struct {
    const ledger_state *s;
    uint64_t collateral, claimed, claim_paid;
    size_t releases, unbonding_records;
    bool overflow;
    hansa_err err;
    char *why;
    size_t why_len;
} audit_ctx;

static void audit_fail(audit_ctx *a, const char *what, const uint8_t *key) {
    if (a->err != HANSA_OK) return;
    a->err = HANSA_ERR_CORRUPT;
    char hex[17];
    for (int i = 0; i < 8; i++) snprintf(hex + 2 * i, 3, "%02x", key[1 + i]);
    ledger_why(a->why, a->why_len, "receipts: record %02x|%s...: %s", key[0], hex, what);
}

static void audit_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen) {
    audit_ctx *a = ctx;
    /* The tx roots (LEDGER_TAB_RECEIPT_ROOT) are not audited: they hold no
     * value, the ledger writes them itself, and their format is checked
     * where records come from disk (stake_record_check). */
    wire_rd r;
    if (ledger_receipt_record_check(key, klen, val, vlen, &r) != HANSA_OK) {
        /* Covers a signer whose claims and withdrawals exceed its deposits:
         * its record's parts no longer add up. */
        audit_fail(a, r.err_field ? r.err_field : "malformed", key);
        return;
    }
    if (key[0] == LEDGER_RECEIPT_KEY_BOND) {
        ledger_receipt_bond x;
        bond_decode(val, &x);
        if (x.claimed > x.deposited) audit_fail(a, "claims paid exceed the collateral", key);
        if (!u64_add(a->collateral, x.bonded, &a->collateral) ||
            !u64_add(a->collateral, x.unbonding, &a->collateral) ||
            !u64_add(a->claimed, x.claimed, &a->claimed))
            a->overflow = true;
        if (x.unbonding > 0) {
            a->unbonding_records++;
            uint8_t rk[KVMAP_KEY_MAX];
            hansa_pubkey pk;
            memcpy(pk.b, key + 1, HANSA_PUBKEY_BYTES);
            size_t rl = key_release(x.release, &pk, rk);
            if (kvmap_get(&a->s->tabs[LEDGER_TAB_RECEIPT_RELEASE], rk, rl) == NULL)
                audit_fail(a, "unbonding collateral without its release entry", key);
        }
    } else if (key[0] == LEDGER_RECEIPT_KEY_CLAIM) {
        if (!u64_add(a->claim_paid, le64_load(val + 9), &a->claim_paid)) a->overflow = true;
    }
}

static void audit_release(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                          size_t vlen) {
    audit_ctx *a = ctx;
    wire_rd r;
    if (ledger_receipt_record_check(key, klen, val, vlen, &r) != HANSA_OK) {
        audit_fail(a, "malformed release entry", key);
        return;
    }
    a->releases++;
}

hansa_err ledger_receipts_check(const ledger_state *s, uint64_t *sum, char *why, size_t why_len) {
    audit_ctx a = {.s = s, .err = HANSA_OK, .why = why, .why_len = why_len};
    ledger_records_iter(s, LEDGER_TAB_RECEIPT, audit_visit, &a);
    ledger_records_iter(s, LEDGER_TAB_RECEIPT_RELEASE, audit_release, &a);
    if (sum) *sum = a.collateral;
    if (a.err != HANSA_OK) return a.err;
    if (a.overflow) {
        ledger_why(why, why_len, "receipts: the collateral records overflow a u64");
        return HANSA_ERR_CORRUPT;
    }
    if (a.releases != a.unbonding_records) {
        ledger_why(why, why_len, "receipts: %zu release entries for %zu unbonding signers",
                   a.releases, a.unbonding_records);
        return HANSA_ERR_CORRUPT;
    }
    if (a.claim_paid != a.claimed) {
        ledger_why(why, why_len, "receipts: claims recorded paid %" PRIu64 " but signers paid %" PRIu64,
                   a.claim_paid, a.claimed);
        return HANSA_ERR_CORRUPT;
    }
    if (a.collateral != s->supply.receipts) {
        ledger_why(why, why_len, "receipts: collateral %" PRIu64 " but supply.receipts %" PRIu64,
                   a.collateral, s->supply.receipts);
        return HANSA_ERR_CORRUPT;
    }
    return HANSA_OK;
}
