/* tx.c — see tx.h: the table of transaction kinds, the checks common to all
 * kinds, and TX_TRANSFER. */
#include "ledger/tx.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sigbatch.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/client.h"
#include "ledger/record.h"
#include "ledger/xfer.h"
#include "ledger/tx_credit.h"
#include "ledger/tx_frost.h"
#include "ledger/tx_receipt.h"
#include "ledger/tx_stake.h"
#include "wire/codec.h"

/* ---- TX_TRANSFER: body = to (20) | amount (u64 LE), exactly 28 bytes ----- */

static hansa_err transfer_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out,
                                 char *why, size_t why_len) {
    if (len != LEDGER_TRANSFER_BODY_BYTES) {
        ledger_why(why, why_len, "transfer body is %u bytes, must be %u", len,
                   LEDGER_TRANSFER_BODY_BYTES);
        return len < LEDGER_TRANSFER_BODY_BYTES ? HANSA_ERR_TRUNCATED : HANSA_ERR_TRAILING;
    }
    memcpy(out->transfer.to.b, body, HANSA_ADDR_BYTES);
    out->transfer.amount = le64_load(body + HANSA_ADDR_BYTES);
    return HANSA_OK;
}

static hansa_err transfer_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                                size_t why_len) {
    uint64_t amount = c->body.transfer.amount, fee = c->tx->fee, total;
    if (amount == 0) {
        ledger_why(why, why_len, "transfer of amount 0");
        return HANSA_ERR_INVALID;
    }
    if (addr_eq(&c->body.transfer.to, &c->sender)) {
        ledger_why(why, why_len, "transfer to the sender itself");
        return HANSA_ERR_INVALID;
    }
    if (!u64_add(amount, fee, &total)) {
        ledger_why(why, why_len, "amount %" PRIu64 " + fee %" PRIu64 " overflows a u64", amount,
                   fee);
        return HANSA_ERR_OVERFLOW;
    }
    if (c->sender_acct.balance < total) {
        ledger_why(why, why_len,
                   "balance %" PRIu64 " < amount %" PRIu64 " + fee %" PRIu64,
                   c->sender_acct.balance, amount, fee);
        return HANSA_ERR_FUNDS;
    }
    ledger_account to;
    ledger_block_account(b, &c->body.transfer.to, &to);
    uint64_t sum;
    if (!u64_add(to.balance, amount, &sum)) {
        ledger_why(why, why_len, "recipient balance %" PRIu64 " + amount %" PRIu64
                   " overflows a u64", to.balance, amount);
        return HANSA_ERR_OVERFLOW;
    }
    return HANSA_OK;
}

static void transfer_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint64_t amount = c->body.transfer.amount;
    ledger_account from, to;
    HANSA_ASSERT(ledger_block_account(b, &c->sender, &from));
    ledger_block_account(b, &c->body.transfer.to, &to);
    HANSA_ASSERT(u64_sub(from.balance, amount, &from.balance));
    HANSA_ASSERT(u64_add(to.balance, amount, &to.balance));
    ledger_block_account_put(b, &c->sender, &from);
    ledger_block_account_put(b, &c->body.transfer.to, &to);
}

/* ---- the table ------------------------------------------------------------ */

/* Indexed by kind; a row with a NULL name is a kind this ledger does not
 * know (yet). TX_EVIDENCE has no row: evidence travels in the block's own
 * evidence list (block.h), which the node verifies. */
static const ledger_tx_kind kinds[TX_KIND_MAX_ + 1] = {
    [TX_TRANSFER] = {"transfer", transfer_decode, transfer_check, transfer_apply},
    [TX_STAKE] = {"stake", txs_amount_decode, txs_stake_check, txs_stake_apply},
    [TX_UNSTAKE] = {"unstake", txs_amount_decode, txs_unstake_check, txs_unstake_apply},
    [TX_VOTE] = {"vote", txs_pairs_decode, txs_vote_check, txs_vote_apply},
    [TX_UNVOTE] = {"unvote", txs_pairs_decode, txs_unvote_check, txs_unvote_apply},
    [TX_UNJAIL] = {"unjail", txs_empty_decode, txs_unjail_check, txs_unjail_apply},
    [TX_UPGRADE_PROPOSE] = {"upgrade_propose", txs_hash_decode, txs_propose_check, txs_propose_apply},
    [TX_UPGRADE_VOTE] = {"upgrade_vote", txs_hash_decode, txs_upvote_check, txs_upvote_apply},
    [TX_TALLY_OFFER] = {"tally_offer", txc_offer_decode, txc_offer_check, txc_offer_apply},
    [TX_TALLY_COUNTER] = {"tally_counter", txc_offer_decode, txc_counter_check, txc_counter_apply},
    [TX_TALLY_ACCEPT] = {"tally_accept", txc_answer_decode, txc_accept_check, txc_accept_apply},
    [TX_TALLY_REFUSE] = {"tally_refuse", txc_refuse_decode, txc_refuse_check, txc_refuse_apply},
    [TX_TALLY_CLOSE] = {"tally_close", txc_id_decode, txc_close_check, txc_close_apply},
    [TX_TALLY_TRADE] = {"tally_trade", txc_trade_decode, txc_trade_check, txc_trade_apply},
    [TX_CHIT] = {"chit", txc_chit_decode, txc_chit_check, txc_chit_apply},
    [TX_INVOICE_CREATE] = {"invoice_create", txc_invoice_decode, txc_invoice_create_check,
                           txc_invoice_create_apply},
    [TX_INVOICE_PAY] = {"invoice_pay", txc_chit_decode, txc_invoice_pay_check, txc_invoice_pay_apply},
    [TX_INVOICE_REFUSE] = {"invoice_refuse", txc_id_decode, txc_invoice_refuse_check,
                           txc_invoice_refuse_apply},
    [TX_LIFT] = {"lift", txc_lift_decode, txc_lift_check, txc_lift_apply},
    [TX_CLIENT_CREATE] = {"client_create", txc_create_decode, txc_create_check, txc_create_apply},
    [TX_CLIENT_APPROVE] = {"client_approve", txc_approve_decode, txc_approve_check, txc_approve_apply},
    [TX_CLIENT_UPDATE] = {"client_update", txc_update_decode, txc_update_check, txc_update_apply},
    [TX_CLIENT_MISBEHAVIOUR] = {"client_misbehaviour", txc_misbehaviour_decode, txc_misbehaviour_check,
                                txc_misbehaviour_apply},
    [TX_CLIENT_REVIVE] = {"client_revive", txc_update_decode, txc_revive_check, txc_revive_apply},
    [TX_PACKET_SEND] = {"packet_send", xfer_send_decode, xfer_send_check, xfer_send_apply},
    [TX_PACKET_RECV] = {"packet_recv", xfer_recv_decode, xfer_recv_check, xfer_recv_apply},
    [TX_PACKET_ACK] = {"packet_ack", xfer_ack_decode, xfer_ack_check, xfer_ack_apply},
    [TX_CORR_BOND] = {"corr_bond", xfer_corr_decode, xfer_bond_check, xfer_bond_apply},
    [TX_CORR_UNBOND] = {"corr_unbond", xfer_corr_decode, xfer_unbond_check, xfer_unbond_apply},
    [TX_RECEIPT_BOND] = {"receipt_bond", txr_bond_decode, txr_bond_check, txr_bond_apply},
    [TX_RECEIPT_UNBOND] = {"receipt_unbond", txr_amount_decode, txr_unbond_check, txr_unbond_apply},
    [TX_RECEIPT_CLAIM] = {"receipt_claim", txr_claim_decode, txr_claim_check, txr_claim_apply},
    [TX_DKG_COMMIT] = {"dkg_commit", frost_commit_decode, frost_commit_check, frost_commit_apply},
    [TX_DKG_COMPLAINT] = {"dkg_complaint", frost_complaint_decode, frost_complaint_check,
                          frost_complaint_apply},
    [TX_DKG_REVEAL] = {"dkg_reveal", frost_reveal_decode, frost_reveal_check, frost_reveal_apply},
};

const ledger_tx_kind *ledger_tx_kind_get(uint16_t kind) {
    if (kind > TX_KIND_MAX_ || kinds[kind].name == NULL) return NULL;
    const ledger_tx_kind *k = &kinds[kind];
    HANSA_ASSERT(k->decode != NULL);
    HANSA_ASSERT(k->check != NULL);
    HANSA_ASSERT(k->apply != NULL);
    return k;
}

/* ---- common checks ---------------------------------------------------------- */

uint64_t ledger_fee_burn(uint64_t fee, uint16_t bps) {
    HANSA_ASSERT(bps <= LEDGER_BPS_ONE);
    /* fee * bps could need 78 bits; split fee = q * 10000 + r instead. */
    uint64_t q = fee / LEDGER_BPS_ONE, r = fee % LEDGER_BPS_ONE;
    uint64_t burn = q * bps + (r * bps) / LEDGER_BPS_ONE;
    HANSA_ASSERT(burn <= fee);
    return burn;
}

/* Steps 1-5 of tx.h, shared by every kind. */
static hansa_err common_check(const ledger_block *b, const wire_tx *tx, ledger_tx_ctx *c,
                              const ledger_tx_kind **kind, char *why, size_t why_len) {
    const ledger_params *p = &b->base->params;
    if (tx->chain_id != p->chain_id) {
        ledger_why(why, why_len, "tx is for chain %" PRIx32 ", this is chain %" PRIx32,
                   tx->chain_id, p->chain_id);
        return HANSA_ERR_WRONG_CHAIN;
    }
    *kind = ledger_tx_kind_get(tx->kind);
    if (*kind == NULL) {
        ledger_why(why, why_len, "unknown transaction kind %u", tx->kind);
        return HANSA_ERR_INVALID;
    }
    hansa_err err = (*kind)->decode(tx->body, tx->body_len, &c->body, why, why_len);
    if (err != HANSA_OK) return err;
    addr_from_pubkey(&tx->sender, &c->sender);
    ledger_block_account(b, &c->sender, &c->sender_acct);
    if (tx->nonce != c->sender_acct.nonce) {
        ledger_why(why, why_len, "nonce %" PRIu64 ", the account expects %" PRIu64, tx->nonce,
                   c->sender_acct.nonce);
        return HANSA_ERR_NONCE;
    }
    if (c->sender_acct.nonce == UINT64_MAX) {
        ledger_why(why, why_len, "the account's nonce is exhausted");
        return HANSA_ERR_OVERFLOW;
    }
    if (tx->fee < p->min_fee) {
        ledger_why(why, why_len, "fee %" PRIu64 " is below the minimum %" PRIu64, tx->fee,
                   p->min_fee);
        return HANSA_ERR_FEE;
    }
    if (c->sender_acct.balance < tx->fee) {
        ledger_why(why, why_len, "balance %" PRIu64 " < fee %" PRIu64, c->sender_acct.balance,
                   tx->fee);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

hansa_err ledger_tx_check_pending(const ledger_block *b, const wire_tx *tx, ledger_tx_ctx *c,
                                  char *why, size_t why_len) {
    HANSA_ASSERT(!b->finished);
    /* The body is a union as large as its largest kind's (~5 KB); a
     * transfer, the common tx, reads only its own member, which its decode
     * writes whole, so only that much is zeroed for it (zeroing all of it
     * was ~1.7% of a simulated run's instructions). */
    size_t zeroed = tx->kind == TX_TRANSFER ? offsetof(ledger_tx_ctx, body) + sizeof c->body.transfer
                                            : sizeof *c;
    memset(c, 0, zeroed);
#ifndef NDEBUG
    /* Debug builds fill the rest with a pattern, so a transfer check that
     * came to read past its member would break tests, not read zeros. */
    memset((uint8_t *)c + zeroed, 0xa5, sizeof *c - zeroed);
#endif
    c->tx = tx;
    const ledger_tx_kind *kind = NULL;
    hansa_err err = common_check(b, tx, c, &kind, why, why_len);
    if (err != HANSA_OK) return err;
    return kind->check(b, c, why, why_len);
}

void ledger_tx_apply_pending(ledger_block *b, const ledger_tx_ctx *c) {
    const wire_tx *tx = c->tx;
    const ledger_tx_kind *kind = ledger_tx_kind_get(tx->kind);
    HANSA_ASSERT(kind != NULL);
    ledger_account sender;
    ledger_block_account(b, &c->sender, &sender);
    /* The overlay must not have moved since the check. */
    HANSA_ASSERT(sender.nonce == c->sender_acct.nonce);
    HANSA_ASSERT(sender.balance == c->sender_acct.balance);
    sender.nonce++;
    HANSA_ASSERT(u64_sub(sender.balance, tx->fee, &sender.balance));
    ledger_block_account_put(b, &c->sender, &sender);

    uint64_t burn = ledger_fee_burn(tx->fee, b->base->params.fee_burn_bps);
    /* Both sums are bounded by the supply, which fits a u64. */
    HANSA_ASSERT(u64_add(b->supply.burned, burn, &b->supply.burned));
    HANSA_ASSERT(u64_add(b->proposer_fees, tx->fee - burn, &b->proposer_fees));
    kind->apply(b, c);
}

hansa_err ledger_tx_check(const ledger_state *s, const wire_tx *tx, char *why, size_t why_len) {
    HANSA_ASSERT(s->ready);
    /* An empty overlay reads straight through to s and allocates nothing. */
    ledger_block b;
    memset(&b, 0, sizeof b);
    b.base = s;
    b.base_height = s->meta.height;
    b.addr_memo = &b.addr_memo_store;
    /* As in the next block, at the last block's time: the clock the
     * light client's trusting period runs on (client.h). */
    b.info.height = s->meta.height + 1;
    b.info.time_ms = s->meta.time_ms;
    b.supply = s->supply;
    /* The state's key, as block_new's overlays: one SipHash per lookup
     * serves both maps (ledger_block_account). */
    uint8_t key[ACCT_MAP_KEY_BYTES];
    le64_store(key, s->accounts.k0);
    le64_store(key + 8, s->accounts.k1);
    acct_map_init(&b.touched, key);
    ledger_tx_ctx c;
    hansa_err err = ledger_tx_check_pending(&b, tx, &c, why, why_len);
    HANSA_ASSERT(b.touched.cap == 0);
    return err;
}

void ledger_txs_verify_sigs(const wire_bytes *txs, uint32_t n, bool *ok) {
    /* Usually every transaction of a block was verified on admission to the
     * mempool: then there is nothing to batch, and nothing to allocate. */
    uint32_t first = 0;
    while (first < n && ok[first]) first++;
    if (first == n) return;
    size_t cap = n;
    hansa_pubkey *pk = hansa_calloc(cap, sizeof *pk);
    hansa_sig *sig = hansa_calloc(cap, sizeof *sig);
    uint32_t *idx = hansa_calloc(cap, sizeof *idx);
    size_t *off = hansa_calloc(cap + 1, sizeof *off);
    hbuf msg = HBUF_INIT;
    size_t m = 0;
    for (uint32_t i = first; i < n; i++) {
        wire_tx tx;
        wire_rd rd;
        if (ok[i] || wire_tx_decode(txs[i].bytes, txs[i].len, &tx, &rd) != HANSA_OK) continue;
        off[m] = msg.len;
        wire_tx_sign_bytes(&msg, &tx);
        pk[m] = tx.sender;
        sig[m] = tx.sig;
        idx[m++] = i;
    }
    off[m] = msg.len;
    /* Items point into msg only once it stops growing. */
    sig_item *items = hansa_calloc(m ? m : 1, sizeof *items);
    bool *good = hansa_calloc(m ? m : 1, sizeof *good);
    for (size_t j = 0; j < m; j++)
        items[j] = (sig_item){&pk[j], SIGN_DOMAIN_TX, msg.data + off[j], off[j + 1] - off[j], &sig[j]};
    sig_batch_verify(items, m, good);
    for (size_t j = 0; j < m; j++)
        if (good[j]) ok[idx[j]] = true;
    free(good);
    free(items);
    hbuf_free(&msg);
    free(off);
    free(idx);
    free(sig);
    free(pk);
}

hansa_err ledger_tx_verify_sig(const wire_tx *tx) {
    uint8_t storage[512]; /* most transactions' sign bytes fit: no allocation per check */
    hbuf msg = hbuf_on(storage, sizeof storage);
    wire_tx_sign_bytes(&msg, tx);
    bool ok = verify_domain(&tx->sender, SIGN_DOMAIN_TX, msg.data, msg.len, &tx->sig);
    hbuf_free(&msg);
    return ok ? HANSA_OK : HANSA_ERR_BAD_SIG;
}
