/* receipt_x.h — a receipt of another chain, checked here (docs/receipts.md,
 * "Across chains"): a merchant on this chain paid from chain A accepts the
 * payment at once when A's receipt nodes vouch for it with collateral that
 * this chain can see through its light client of A.
 *
 * A's state is not provable key by key (its app hash commits to write sets),
 * so each signer's collateral is shown by its latest receipt_bond
 * transaction, proven under the tx root of a header of A that this chain's
 * client verified (the tx proof form of interchain/packet.h). A bond at
 * height h with term `until` (tx_receipt.h) stays on A, claimable, until at
 * least max(h, until) + RECEIPT_UNBOND_BLOCKS: unbonding is refused before
 * the term and pays out RECEIPT_UNBOND_BLOCKS after the unbond. A claim on
 * a receipt lands by deadline + RECEIPT_CLAIM_WINDOW, so the bond backs a
 * share whose deadline is at most max(h, until) + RECEIPT_X_SLACK.
 *
 * What the proof cannot show, and the verdict says: the bond as deposited,
 * not what is free of it now (other claims or a slash may take it first;
 * A then pays min(share, what remains), as for any claim there). */
#ifndef HANSA_LEDGER_RECEIPT_X_H
#define HANSA_LEDGER_RECEIPT_X_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "interchain/packet.h"
#include "ledger/state.h"
#include "ledger/receipt.h"

#define RECEIPT_X_SLACK (RECEIPT_UNBOND_BLOCKS - RECEIPT_CLAIM_WINDOW)

/* What one share's proven bond shows. */
typedef struct {
    uint64_t height;      /* A's block that committed the bond */
    uint64_t bonded;      /* the bond's amount */
    uint64_t until;       /* its term, 0 = none */
    uint64_t backs_until; /* the latest deadline it backs: max(height, until) + RECEIPT_X_SLACK */
} receipt_x_backing;

/* Checks rc, a receipt of another chain, against bonds[i] proving the
 * bond of share i's signer (n_bonds == rc->n_shares): every signature,
 * every proof against this chain's client of rc's chain, each bond at
 * least its share, each deadline within the bond's reach. HANSA_OK with
 * out[i] filled, or the first failure with why naming the share. */
hansa_err ledger_receipt_x_check(const ledger_state *s, const receipt *rc, const pkt_proof *bonds,
                                 size_t n_bonds, receipt_x_backing *out, char *why,
                                 size_t why_len);

#endif
