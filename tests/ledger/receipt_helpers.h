/* receipt_helpers.h — a receipt signed by test keys (ledger_helpers.h)
 * for the ledger tests of receipts here and across chains. */
#ifndef HANSA_TESTS_RECEIPT_HELPERS_H
#define HANSA_TESTS_RECEIPT_HELPERS_H

#include "crypto/sha256.h"
#include "ledger/receipt.h"
#include "ledger_helpers.h"

/* A receipt for tx over shares (signer key index, amount), sorted here. */
static inline receipt t_make_receipt(const ledger_state *s, const wire_tx *tx, const hansa_addr *to,
                                     uint64_t deadline_after, const int *signers, const uint64_t *amounts,
                                     uint8_t n) {
    receipt rc = {0};
    hbuf enc = HBUF_INIT;
    wire_tx_encode(&enc, tx);
    sha256(enc.data, enc.len, &rc.core.tx_hash);
    hbuf_free(&enc);
    rc.core.chain_id = tx->chain_id;
    rc.core.sender = tx->sender;
    rc.core.nonce = tx->nonce;
    rc.core.beneficiary = *to;
    rc.core.issued_height = ledger_height(s);
    rc.core.deadline = ledger_height(s) + deadline_after;
    for (uint8_t i = 0; i < n; i++) rc.core.amount += amounts[i];
    int order[RECEIPT_SHARES_MAX];
    for (uint8_t i = 0; i < n; i++) order[i] = i;
    for (uint8_t i = 1; i < n; i++)
        for (uint8_t j = i; j > 0 && pubkey_cmp(&t_keys[signers[order[j]]].pub,
                                                 &t_keys[signers[order[j - 1]]].pub) < 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    rc.n_shares = n;
    hbuf msg = HBUF_INIT;
    for (uint8_t i = 0; i < n; i++) {
        receipt_share *sh = &rc.shares[i];
        const hansa_keypair *kp = &t_keys[signers[order[i]]];
        sh->signer = kp->pub;
        sh->amount = amounts[order[i]];
        hbuf_reset(&msg);
        receipt_share_sign_bytes(&msg, &rc.core, &sh->signer, sh->amount);
        sign_domain(kp, RECEIPT_SIGN_DOMAIN, msg.data, msg.len, &sh->sig);
    }
    hbuf_free(&msg);
    return rc;
}

#endif
