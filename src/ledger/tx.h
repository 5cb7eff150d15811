/* tx.h — transaction kinds and the checks every transaction passes.
 *
 * Kinds are rows of one table (tx.c): kind -> {name, decode body, check
 * against the state, apply}. A new kind (stake, vote, evidence, ...) is a new
 * row and a new member of ledger_tx_body, not a new branch in the block code.
 *
 * A transaction is acceptable against a state when, in this order:
 *   1. its chain id is the chain's                 HANSA_ERR_WRONG_CHAIN
 *   2. its kind has a row in the table             HANSA_ERR_INVALID
 *   3. its body decodes canonically for the kind   the decoder's code
 *   4. nonce == the sender account's nonce         HANSA_ERR_NONCE
 *      (and that nonce is not UINT64_MAX)          HANSA_ERR_OVERFLOW
 *   5. fee >= params.min_fee                       HANSA_ERR_FEE
 *      balance >= fee                              HANSA_ERR_FUNDS
 *   6. the kind's own checks; for a transfer:
 *      amount > 0, recipient != sender            HANSA_ERR_INVALID
 *      amount + fee without overflow              HANSA_ERR_OVERFLOW
 *      balance >= amount + fee                    HANSA_ERR_FUNDS
 *      recipient balance + amount without overflow HANSA_ERR_OVERFLOW
 *   7. its signature verifies (unless the caller   HANSA_ERR_BAD_SIG
 *      already verified it: see ledger_tx_verify_sig)
 * Self-transfers are refused: they move nothing, and refusing them means the
 * debit and the credit of a transfer always touch two different accounts.
 * Zero-amount transfers are refused too, so an account exists only if it
 * holds tokens or has sent a transaction.
 *
 * Applying: the sender's nonce goes up by one and the fee leaves its balance;
 * floor(fee * fee_burn_bps / 10000) is burned and the rest joins the pool
 * shared among the last commit's signers when the block is finished
 * (docs/delegates.md); then the kind's apply runs. Apply cannot fail: every condition
 * it relies on was checked first, so a refused transaction changes nothing. */
#ifndef HANSA_LEDGER_TX_H
#define HANSA_LEDGER_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "interchain/client.h"
#include "ledger/acct_map.h"
#include "ledger/credit_rec.h"
#include "ledger/receipt.h"
#include "wire/types.h"

typedef struct ledger_block ledger_block;
typedef struct ledger_state ledger_state;

#define LEDGER_TRANSFER_BODY_BYTES (HANSA_ADDR_BYTES + 8) /* to | amount u64 LE */
#define LEDGER_VOTE_PAIRS_MAX 16 /* (candidate, amount) pairs in one vote/unvote */
#define LEDGER_VOTE_PAIR_BYTES (HANSA_PUBKEY_BYTES + 8)

/* Decoded bodies, one member per kind (tx_stake.h lists the delegate kinds). */
typedef union {
    struct {
        hansa_addr to;
        uint64_t amount;
    } transfer;
    struct {
        uint64_t amount;
        uint64_t until; /* TX_RECEIPT_BOND: collateral locked until this height, 0 = no term */
    } bond; /* TX_STAKE, TX_UNSTAKE, TX_RECEIPT_BOND, TX_RECEIPT_UNBOND */
    struct {
        uint8_t n;
        struct {
            hansa_pubkey cand;
            uint64_t amount;
        } p[LEDGER_VOTE_PAIRS_MAX];
    } vote; /* TX_VOTE, TX_UNVOTE */
    struct {
        hansa_hash software;
    } upgrade; /* TX_UPGRADE_PROPOSE, TX_UPGRADE_VOTE */
    ledger_credit_body credit; /* TX_TALLY_* .. TX_INVOICE_* (tx_credit.h) */
    ic_create client_create; /* TX_CLIENT_CREATE */
    struct {
        uint32_t chain;
        hansa_hash subject;
    } client_approve; /* TX_CLIENT_APPROVE; update, misbehaviour and revive
                       * bodies are decoded again from the tx (they own arrays) */
    receipt_claim claim;       /* TX_RECEIPT_CLAIM (tx_receipt.h); bond/unbond use `bond` */
    struct {
        uint32_t chain;
        uint64_t amount;
    } corr; /* TX_CORR_BOND, TX_CORR_UNBOND (xfer.h) */
} ledger_tx_body;

/* A transaction being checked/applied, with what the checks learned. */
typedef struct {
    const wire_tx *tx;
    hansa_addr sender;
    ledger_account sender_acct; /* as the pending state had it before this tx */
    ledger_tx_body body;
} ledger_tx_ctx;

typedef struct {
    const char *name;
    /* Parses the body (exact length, canonical); no state. */
    hansa_err (*decode)(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                        size_t why_len);
    /* Kind-specific checks against the pending state; the common checks
     * (1-5 above) have passed and c->sender_acct is loaded. */
    hansa_err (*check)(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
    /* Applies after check passed and after the common part (nonce, fee). */
    void (*apply)(ledger_block *b, const ledger_tx_ctx *c);
} ledger_tx_kind;

/* The row for kind, or NULL if the ledger does not know it. */
const ledger_tx_kind *ledger_tx_kind_get(uint16_t kind);

/* Checks tx against the committed state s (steps 1-6; not the signature):
 * what the mempool calls on intake. The nonce must equal the committed one;
 * a mempool holding several transactions of one sender checks them in
 * sequence against a check state instead (ledger_block_begin_check). */
hansa_err ledger_tx_check(const ledger_state *s, const wire_tx *tx, char *why, size_t why_len);

/* Verifies the Ed25519 signature of tx over SIGN_DOMAIN_TX and its sign
 * bytes. Separate from the checks so that a node verifies each transaction
 * once: the mempool verifies on intake and remembers it, and block
 * validation is told which transactions are already verified. Returns
 * HANSA_OK or HANSA_ERR_BAD_SIG. */
hansa_err ledger_tx_verify_sig(const wire_tx *tx);

/* Verifies, on every core (crypto/sigbatch.h), the signatures of the
 * encoded transactions txs[i] whose ok[i] is false, setting ok[i] for each
 * that verifies. One that does not decode or verify keeps ok[i] false, so
 * that block application finds it and says why. The verdicts are
 * verify_domain()'s, whatever the threads do: every node computes the same
 * flags, and the state transition stays deterministic. */
void ledger_txs_verify_sigs(const wire_bytes *txs, uint32_t n, bool *ok);

/* The burned part of a fee: floor(fee * bps / 10000), exact for every u64
 * fee (no intermediate overflow). bps <= 10000. */
uint64_t ledger_fee_burn(uint64_t fee, uint16_t bps);

/* Used by block.c: steps 1-6 against the pending block, filling *c. */
hansa_err ledger_tx_check_pending(const ledger_block *b, const wire_tx *tx, ledger_tx_ctx *c,
                                  char *why, size_t why_len);
/* Used by block.c: applies a transaction that passed ledger_tx_check_pending
 * on the same, unchanged block. */
void ledger_tx_apply_pending(ledger_block *b, const ledger_tx_ctx *c);

#endif
