/* tx_frost.h — the ledger's check of a delegate's DKG broadcast (issue 14
 * phase 2, tx kind 60) and the group key it derives from the committed ones.
 *
 * The chain is the DKG's broadcast channel (threshold/dkg.h): a delegate's
 * COMMIT travels as a transaction, and the ledger refuses, with a reason,
 * what dkg_on_broadcast would ignore, so that a committed COMMIT always
 * counts: another set's session (a stale epoch or set hash), a sender that
 * is not the dealer it names, a wrong threshold, a bad signature or a bad
 * proof of knowledge. The group key is the sum of the qualified dealers'
 * constant-term commitments, which every node computes alike from the chain.
 * Pure: no store, no clock; the tx-table hook and records 0x58.. are next. */
#ifndef HANSA_LEDGER_TX_FROST_H
#define HANSA_LEDGER_TX_FROST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "threshold/dkg.h"

/* Checks that `p` is a COMMIT of the session of `ctx`, sent by `sender`
 * as the dealer it names, with the set's threshold, its signature and its
 * proof of knowledge good. On HANSA_OK *out holds the body. Else *why
 * (static) says what failed. */
hansa_err frost_tx_check_commit(const dkg_context *ctx, const hansa_pubkey *sender,
                                const uint8_t *p, size_t len, dkg_commit_body *out,
                                const char **why);

/* The group key: the sum of c0[d-1] over the dealers d set in `qual`
 * (1..n). HANSA_ERR_STATE if fewer than dkg_threshold(n) are qualified or
 * the sum is the identity. */
hansa_err frost_tx_group_key(uint16_t n, const frost_point *c0, const uint8_t *qual,
                             frost_point *out, const char **why);

/* Whether a set with these voting powers may have a group key: the
 * dkg_threshold(n) delegates with the least power together hold more than
 * two thirds of the total, so that every threshold of members does and a
 * FROST signature implies what a commit certificate implies
 * (docs/frost.md). n in 1..FROST_PARTICIPANTS_MAX. */
bool frost_set_keyable(const uint64_t *power, uint16_t n);

#endif
