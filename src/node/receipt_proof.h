/* receipt_proof.h — the proof a receipt claim needs, from this node's
 * block store (docs/receipts.md "Claim rules"): the receipt's own
 * transaction if it was committed, else the transaction that used the
 * sender's nonce among the blocks whose tx roots the ledger keeps, else
 * none (the nonce is unused, which the chain itself knows). Used by the
 * RPC (receipt_claim_body) and by the simulator's claimants. */
#ifndef HANSA_NODE_RECEIPT_PROOF_H
#define HANSA_NODE_RECEIPT_PROOF_H

#include "base/buf.h"
#include "ledger/receipt.h"
#include "node/node.h"

/* Fills cl's proof fields for cl->rc; cl->tx then points into tx_keep. */
void node_receipt_claim_proof(node *n, receipt_claim *cl, hbuf *tx_keep);

#endif
