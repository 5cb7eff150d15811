/* receipt_proof.c — proofs from the block store for receipts
 * (receipt_proof.h): a claim's, and a signer's bond for another chain. */
#include "node/receipt_proof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "crypto/merkle.h"
#include "ledger/tx_receipt.h"
#include "store/store.h"

/* Tx `at` of blk at height h, proven under its tx root; the bytes are
 * copied to tx_keep, which out->tx then points into. */
static bool tx_proof(const wire_block *blk, uint64_t h, uint32_t at, pkt_proof *out, hbuf *tx_keep) {
    hansa_hash *leaves = hansa_calloc(blk->n_txs, sizeof *leaves);
    for (uint32_t i = 0; i < blk->n_txs; i++)
        merkle_leaf_hash(blk->txs[i].bytes, blk->txs[i].len, &leaves[i]);
    hansa_hash path[MERKLE_PROOF_MAX];
    size_t pl = merkle_proof(leaves, blk->n_txs, at, path);
    free(leaves);
    if (pl > RECEIPT_PROOF_PATH_MAX || pl > PKT_PATH_MAX) return false;
    *out = (pkt_proof){.height = h, .index = at, .count = blk->n_txs, .path_len = (uint8_t)pl,
                       .tx_len = blk->txs[at].len};
    memcpy(out->path, path, pl * sizeof *path);
    hbuf_reset(tx_keep);
    hbuf_append(tx_keep, blk->txs[at].bytes, blk->txs[at].len);
    out->tx = tx_keep->data;
    return true;
}

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
        pkt_proof p;
        if (at >= 0 && (uint32_t)at < blk.n_txs) {
            if (tx_proof(&blk, h, (uint32_t)at, &p, tx_keep)) {
                cl->proof = RECEIPT_PROOF_TX;
                cl->height = p.height;
                cl->index = p.index;
                cl->count = p.count;
                cl->path_len = p.path_len;
                memcpy(cl->path, p.path, p.path_len * sizeof *p.path);
                cl->tx = p.tx;
                cl->tx_len = p.tx_len;
            }
            h = top; /* found: stop */
        }
        wire_block_free(&blk);
    }
    hbuf_free(&bytes);
}

hansa_err node_receipt_bond_proof(node *n, const hansa_pubkey *signer, pkt_proof *out, hbuf *tx_keep,
                                  char *why, size_t why_len) {
    uint64_t until, h;
    if (!ledger_receipt_term_get(node_ledger(n), signer, &until, &h)) {
        snprintf(why, why_len, "the key never bonded receipt collateral");
        return HANSA_ERR_NOT_FOUND;
    }
    hbuf bytes = HBUF_INIT;
    wire_block blk;
    if (store_get_block(node_store(n), h, &bytes, NULL) != HANSA_OK ||
        wire_block_decode(bytes.data, bytes.len, &blk, NULL) != HANSA_OK) {
        hbuf_free(&bytes);
        snprintf(why, why_len, "block %llu with the latest bond is not kept here (pruned?)",
                 (unsigned long long)h);
        return HANSA_ERR_NOT_FOUND;
    }
    int at = -1; /* the signer's last bond in that block */
    for (uint32_t i = 0; i < blk.n_txs; i++) {
        wire_tx tx;
        if (wire_tx_decode(blk.txs[i].bytes, blk.txs[i].len, &tx, NULL) == HANSA_OK &&
            tx.kind == TX_RECEIPT_BOND && pubkey_eq(&tx.sender, signer))
            at = (int)i;
    }
    bool ok = at >= 0 && tx_proof(&blk, h, (uint32_t)at, out, tx_keep);
    wire_block_free(&blk);
    hbuf_free(&bytes);
    if (!ok) {
        snprintf(why, why_len, "no receipt_bond of the key in block %llu", (unsigned long long)h);
        return HANSA_ERR_CORRUPT;
    }
    return HANSA_OK;
}
