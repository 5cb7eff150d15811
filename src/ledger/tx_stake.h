/* tx_stake.h — the delegate transaction kinds, rows of the table in tx.c.
 * Internal to ledger/; bodies and rules are in docs/delegates.md and tx.h.
 *
 *   kind                body (exact length)
 *   TX_STAKE 2          amount u64                       bond own tokens as a candidate
 *   TX_UNSTAKE 3        amount u64                       unbond part of the self bond
 *   TX_VOTE 4           n u8 | n x (pubkey 32, amount u64) bond tokens to candidates
 *   TX_UNVOTE 5         same as TX_VOTE                  unbond votes
 *   TX_UNJAIL 6         empty                            leave jail after jail_blocks
 *   TX_UPGRADE_PROPOSE 8  software hash 32
 *   TX_UPGRADE_VOTE 9     software hash 32
 * Vote lists hold 1..LEDGER_VOTE_PAIRS_MAX pairs with strictly increasing
 * pubkeys and amounts > 0. */
#ifndef HANSA_LEDGER_TX_STAKE_H
#define HANSA_LEDGER_TX_STAKE_H

#include "ledger/tx.h"

hansa_err txs_amount_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txs_pairs_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err txs_empty_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err txs_hash_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len);

hansa_err txs_stake_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_stake_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_unstake_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_unstake_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_vote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_vote_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_unvote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_unvote_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_unjail_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_unjail_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_propose_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_propose_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txs_upvote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txs_upvote_apply(ledger_block *b, const ledger_tx_ctx *c);

#endif
