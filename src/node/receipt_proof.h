/* receipt_proof.h — proofs for receipts from this node's block store.
 * The proof a claim needs (docs/receipts.md "Claim rules"): the receipt's own
 * transaction if it was committed, else the transaction that used the
 * sender's nonce among the blocks whose tx roots the ledger keeps, else
 * none (the nonce is unused, which the chain itself knows). Used by the
 * RPC (receipt_claim_body) and by the simulator's claimants. */
#ifndef HANSA_NODE_RECEIPT_PROOF_H
#define HANSA_NODE_RECEIPT_PROOF_H

#include "base/buf.h"
#include "interchain/packet.h"
#include "ledger/receipt.h"
#include "node/node.h"

/* Fills cl's proof fields for cl->rc; cl->tx then points into tx_keep. */
void node_receipt_claim_proof(node *n, receipt_claim *cl, hbuf *tx_keep);

/* The proof of signer's latest receipt_bond, for another chain's check of
 * a receipt it signed (ledger/receipt_x.h); out->tx points into tx_keep.
 * HANSA_ERR_NOT_FOUND with why when it never bonded or the block is pruned. */
hansa_err node_receipt_bond_proof(node *n, const hansa_pubkey *signer, pkt_proof *out, hbuf *tx_keep,
                                  char *why, size_t why_len);

#endif
