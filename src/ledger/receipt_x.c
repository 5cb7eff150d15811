/* receipt_x.c — see receipt_x.h: a foreign receipt's signers' bonds, proven
 * through this chain's light client of the receipt's chain. */
#include "ledger/receipt_x.h"

#include <inttypes.h>
#include <string.h>

#include "ledger/block.h"
#include "ledger/tx_receipt.h"
#include "ledger/xfer.h"
#include "wire/types.h"

/* Share i's bond: the proven tx is a receipt_bond of the share's signer,
 * big enough, and reaching the deadline. */
static hansa_err share_check(const ledger_block *b, const receipt *rc, uint8_t i,
                             const pkt_proof *proof, receipt_x_backing *out, char *why,
                             size_t why_len) {
    const receipt_share *sh = &rc->shares[i];
    wire_tx tx;
    char sub[LEDGER_WHY_MAX] = "";
    hansa_err err = xfer_proven_tx(b, rc->core.chain_id, proof, &tx, sub, sizeof sub);
    if (err != HANSA_OK) {
        ledger_why(why, why_len, "share %u's bond: %s", i, sub);
        return err;
    }
    ledger_tx_body body;
    if (tx.kind != TX_RECEIPT_BOND || !pubkey_eq(&tx.sender, &sh->signer) ||
        txr_bond_decode(tx.body, tx.body_len, &body, sub, sizeof sub) != HANSA_OK) {
        ledger_why(why, why_len, "share %u's proof is not a receipt_bond of its signer", i);
        return HANSA_ERR_PROOF;
    }
    out->height = proof->height;
    out->bonded = body.bond.amount;
    out->until = body.bond.until;
    uint64_t from = out->until > out->height ? out->until : out->height;
    out->backs_until = from + RECEIPT_X_SLACK;
    if (out->bonded < sh->amount) {
        ledger_why(why, why_len, "share %u: the proven bond of %" PRIu64 " is below the share %" PRIu64
                   " (bond at least the share in one transaction)", i, out->bonded, sh->amount);
        return HANSA_ERR_FUNDS;
    }
    if (rc->core.deadline > out->backs_until) {
        ledger_why(why, why_len, "share %u: the bond at height %" PRIu64 " (term %" PRIu64
                   ") backs deadlines up to %" PRIu64 ", not %" PRIu64 " (a fresh bond or a longer"
                   " term is needed)", i, out->height, out->until, out->backs_until, rc->core.deadline);
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

hansa_err ledger_receipt_x_check(const ledger_state *s, const receipt *rc, const pkt_proof *bonds,
                                 size_t n_bonds, receipt_x_backing *out, char *why,
                                 size_t why_len) {
    if (rc->core.chain_id == ledger_state_params(s)->chain_id) {
        ledger_why(why, why_len, "the receipt is for this chain: no bond proofs are needed");
        return HANSA_ERR_INVALID;
    }
    if (n_bonds != rc->n_shares) {
        ledger_why(why, why_len, "%zu bond proofs for %u shares (one per share, in order)", n_bonds,
                   rc->n_shares);
        return HANSA_ERR_INVALID;
    }
    int bad = receipt_verify(rc);
    if (bad >= 0) {
        ledger_why(why, why_len, "share %d's signature does not verify", bad);
        return HANSA_ERR_BAD_SIG;
    }
    ledger_block *b = ledger_block_begin_check(s);
    hansa_err err = HANSA_OK;
    for (uint8_t i = 0; i < rc->n_shares && err == HANSA_OK; i++)
        err = share_check(b, rc, i, &bonds[i], &out[i], why, why_len);
    ledger_block_free(b);
    return err;
}
