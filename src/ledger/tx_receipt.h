/* tx_receipt.h — receipt collateral and claims on chain (docs/receipts.md):
 * the records under key prefixes 0x50..0x54, the transaction kinds 50-52
 * (rows of the table in tx.c), the block hooks, and the audit.
 *
 *   key (bytes)                   value (version byte 1 first)
 *   50 | pubkey(32)   collateral  bonded u64 | unbonding u64 | release u64 |
 *                                 deposited u64 | claimed u64 | withdrawn u64 |
 *                                 slashed u64   (57 bytes)
 *                     bonded + unbonding + claimed + withdrawn + slashed
 *                     == deposited; release == 0 exactly when unbonding == 0.
 *                     Never deleted: it is the signer's claim history.
 *   51 | release u64 BE | pubkey(32)
 *                     release     (version byte only): pubkey's unbonding
 *                                 collateral goes back to its balance at the
 *                                 end of block `release`
 *   52 | receipt id(32) claim     height u64 > 0 | paid u64: the receipt was
 *                                 claimed at that height and paid that much
 *   53 | height u64 BE  tx root   root(32): the tx Merkle root of that block,
 *                                 written by the next block, kept for
 *                                 RECEIPT_ROOTS_KEPT heights
 *   54 | pubkey(32)   term        until u64 | bond_height u64 > 0: the
 *                                 collateral may not be unbonded before
 *                                 `until` (0 = no term; it only rises); the
 *                                 signer's latest receipt_bond was committed
 *                                 at bond_height (where another chain's
 *                                 verifier gets its proof, receipt_x.h)
 *
 *   kind                       body
 *   TX_RECEIPT_BOND 50         amount u64 > 0 [| until u64]: balance -> own
 *                              collateral, locked until height `until` when
 *                              given (height < until <= height + RECEIPT_TERM_MAX)
 *   TX_RECEIPT_UNBOND 51       amount u64 > 0: collateral -> unbonding, paid
 *                              back RECEIPT_UNBOND_BLOCKS later (claimable until
 *                              then); refused before the term's `until`
 *   TX_RECEIPT_CLAIM 52        a claim (receipt.h); anyone may send it, the
 *                              beneficiary is paid
 * A claim is accepted when: the receipt is for this chain; every share's
 * signature verifies and its signer has a collateral record; the block's
 * height is in (deadline, deadline + RECEIPT_CLAIM_WINDOW]; the receipt was
 * not claimed before; and the promise was broken, shown by either
 *   - no proof, and the sender's account nonce is still <= the receipt's
 *     nonce (nothing with that nonce was ever committed), or
 *   - a Merkle proof, against a kept tx root, of a committed transaction
 *     with the receipt's sender and nonce that is another transaction (the
 *     sender double-spent) or the same one committed after the deadline.
 * The proof of the receipt's own transaction committed by the deadline
 * refutes the claim: neither condition can then hold, since a nonce is used
 * once. Each share pays min(share, signer's bonded + unbonding), bonded
 * first; a claim that would pay nothing is refused. */
#ifndef HANSA_LEDGER_TX_RECEIPT_H
#define HANSA_LEDGER_TX_RECEIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger/receipt.h"
#include "ledger/tx.h"

#define LEDGER_RECEIPT_KEY_BOND 0x50
#define LEDGER_RECEIPT_KEY_RELEASE 0x51
#define LEDGER_RECEIPT_KEY_CLAIM 0x52
#define LEDGER_RECEIPT_KEY_ROOT 0x53
#define LEDGER_RECEIPT_KEY_TERM 0x54
/* The longest term a bond may lock collateral for: about 2.4 days at
 * 5 blocks/s, so a mistyped height cannot lock money for ever. */
#define RECEIPT_TERM_MAX (1u << 20)
#define LEDGER_RECEIPT_KEY_FIRST 0x50 /* the prefixes reserved for receipts */
#define LEDGER_RECEIPT_KEY_LAST 0x57

typedef struct {
    uint64_t bonded;    /* free for new receipts and claimable */
    uint64_t unbonding; /* claimable until release */
    uint64_t release;   /* height it returns to the balance; 0 = none */
    uint64_t deposited; /* ever bonded */
    uint64_t claimed;   /* ever paid to claims */
    uint64_t withdrawn; /* ever released to the balance */
    uint64_t slashed;   /* ever burned for double signing */
} ledger_receipt_bond;

/* Table rows (tx.c). */
hansa_err txr_amount_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txr_bond_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len);
hansa_err txr_claim_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err txr_bond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txr_bond_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txr_unbond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                           size_t why_len);
void txr_unbond_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txr_claim_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                          size_t why_len);
void txr_claim_apply(ledger_block *b, const ledger_tx_ctx *c);

/* Block hooks (block.c, elect.c): begin records the previous block's tx
 * root and drops the one that fell out of RECEIPT_ROOTS_KEPT; finish pays
 * back collateral whose unbonding is over; slash burns bps of pk's bonded
 * and unbonding collateral (duplicate-vote evidence). */
void receipt_block_begin(ledger_block *b);
void receipt_block_finish(ledger_block *b);
void receipt_slash(ledger_block *b, const hansa_pubkey *pk, uint16_t bps);

/* Checks a stored receipt record (lengths, version, ranges, the collateral
 * equation). Returns HANSA_OK or the code with r saying where. */
hansa_err ledger_receipt_record_check(const uint8_t *key, size_t klen, const uint8_t *val,
                                      size_t vlen, wire_rd *r);

/* Reads through the committed state (RPC, node, tests). */
bool ledger_receipt_bond_get(const ledger_state *s, const hansa_pubkey *pk,
                             ledger_receipt_bond *out);
/* True if receipt id was claimed; *height and *paid (optional) say when and how much. */
bool ledger_receipt_claim_get(const ledger_state *s, const hansa_hash *id, uint64_t *height,
                              uint64_t *paid);
/* The signer's term record: collateral locked until *until (0 = none) and
 * the height of its latest receipt_bond; false if it never bonded. */
bool ledger_receipt_term_get(const ledger_state *s, const hansa_pubkey *pk, uint64_t *until,
                             uint64_t *bond_height);
/* The kept tx root of block height; false if not kept. */
bool ledger_receipt_root_get(const ledger_state *s, uint64_t height, hansa_hash *out);

/* Checks a claim against the committed state as the next block would
 * (what `hansa receipt verify` and the RPC ask before submitting one):
 * HANSA_OK with *payable the total it would pay, or the refusal and why. */
hansa_err ledger_receipt_claim_check(const ledger_state *s, const receipt_claim *cl,
                                     uint64_t *payable, char *why, size_t why_len);

/* The receipt audit, for tests and the simulator after every block: every
 * collateral record satisfies its equation (so no signer's paid claims
 * exceed what it deposited), release entries match unbonding collateral,
 * the claim records add up to the claimed totals, and the collateral adds
 * up to supply.receipts. *sum (optional) gets that total. Returns HANSA_OK
 * or HANSA_ERR_CORRUPT with the first violation in why. */
hansa_err ledger_receipts_check(const ledger_state *s, uint64_t *sum, char *why, size_t why_len);

#endif
