/* receipt_proof.c — a claim's proof from the block store (receipt_proof.h). */
#include "node/receipt_proof.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "crypto/merkle.h"
#include "ledger/tx_receipt.h"
#include "store/store.h"

void node_receipt_claim_proof(node *n, receipt_claim *cl, hbuf *tx_keep) {
    const receipt_core *k = &cl->rc.core;
    const ledger_state *s = node_ledger(n);
    store_tx_loc loc;
    bool found = store_get_tx(node_store(n), &k->tx_hash, &loc) == HANSA_OK;
    uint64_t top = ledger_height(s), from = top > RECEIPT_ROOTS_KEPT ? top - RECEIPT_ROOTS_KEPT : 1;
    hbuf bytes = HBUF_INIT;
    for (uint64_t h = found ? loc.height : from; h <= (found ? loc.height : top); h++) {
        wire_block blk;
        if (store_get_block(node_store(n), h, &bytes, NULL) != HANSA_OK ||
            wire_block_decode(bytes.data, bytes.len, &blk, NULL) != HANSA_OK)
            continue;
        int at = found ? (int)loc.index : -1;
        for (uint32_t i = 0; at < 0 && i < blk.n_txs; i++) {
            wire_tx tx;
            if (wire_tx_decode(blk.txs[i].bytes, blk.txs[i].len, &tx, NULL) == HANSA_OK &&
                pubkey_eq(&tx.sender, &k->sender) && tx.nonce == k->nonce)
                at = (int)i;
        }
        if (at >= 0 && (uint32_t)at < blk.n_txs) {
            hansa_hash *leaves = hansa_calloc(blk.n_txs, sizeof *leaves);
            for (uint32_t i = 0; i < blk.n_txs; i++)
                merkle_leaf_hash(blk.txs[i].bytes, blk.txs[i].len, &leaves[i]);
            hansa_hash path[MERKLE_PROOF_MAX];
            size_t pl = merkle_proof(leaves, blk.n_txs, (size_t)at, path);
            free(leaves);
            if (pl <= RECEIPT_PROOF_PATH_MAX) {
                cl->proof = RECEIPT_PROOF_TX;
                cl->height = h;
                cl->index = (uint32_t)at;
                cl->count = blk.n_txs;
                cl->path_len = (uint8_t)pl;
                memcpy(cl->path, path, pl * sizeof *path);
                hbuf_reset(tx_keep);
                hbuf_append(tx_keep, blk.txs[at].bytes, blk.txs[at].len);
                cl->tx = tx_keep->data;
                cl->tx_len = blk.txs[at].len;
            }
            h = top; /* found: stop */
        }
        wire_block_free(&blk);
    }
    hbuf_free(&bytes);
}
