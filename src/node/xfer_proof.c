/* xfer_proof.c — see xfer_proof.h. */
#include "node/xfer_proof.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "store/store.h"
#include "wire/codec.h"

static hansa_err cache_load(node *n, node_block_cache *c, uint64_t height) {
    if (c->have && c->height == height) return HANSA_OK;
    if (c->have) wire_block_free(&c->blk);
    if (c->tree.n_leaves) merkle_tree_free(&c->tree);
    c->have = false;
    hbuf_reset(&c->raw);
    hansa_err e = store_get_block(node_store(n), height, &c->raw, NULL);
    if (e == HANSA_OK && wire_block_decode(c->raw.data, c->raw.len, &c->blk, NULL) != HANSA_OK) e = HANSA_ERR_CORRUPT;
    c->have = e == HANSA_OK;
    c->height = height;
    if (!c->have) return e;
    size_t k = c->blk.n_txs ? c->blk.n_txs : 1;
    c->leaves = hansa_realloc(c->leaves, k * sizeof *c->leaves);
    c->hashes = hansa_realloc(c->hashes, k * sizeof *c->hashes);
    for (uint32_t i = 0; i < c->blk.n_txs; i++) {
        merkle_leaf_hash(c->blk.txs[i].bytes, c->blk.txs[i].len, &c->leaves[i]);
        sha256(c->blk.txs[i].bytes, c->blk.txs[i].len, &c->hashes[i]);
    }
    if (c->blk.n_txs) merkle_tree_build(&c->tree, c->leaves, c->blk.n_txs);
    return HANSA_OK;
}

void node_block_cache_free(node_block_cache *c) {
    if (c->have) wire_block_free(&c->blk);
    if (c->tree.n_leaves) merkle_tree_free(&c->tree);
    hbuf_free(&c->raw);
    free(c->leaves);
    free(c->hashes);
    memset(c, 0, sizeof *c);
}

/* The proof of tx i of the cached block. */
static void cache_proof(const node_block_cache *c, uint32_t i, pkt_proof *out) {
    hansa_hash path[MERKLE_PROOF_MAX];
    size_t len = merkle_tree_proof(&c->tree, i, path);
    HANSA_ASSERT(len <= PKT_PATH_MAX);
    *out = (pkt_proof){.height = c->height, .index = i, .count = c->blk.n_txs, .path_len = (uint8_t)len,
                       .tx_len = c->blk.txs[i].len, .tx = c->blk.txs[i].bytes};
    memcpy(out->path, path, len * sizeof path[0]);
}

bool node_packet_proof(node *n, node_block_cache *c, uint64_t height, const hansa_hash *tx_hash, pkt_proof *out) {
    if (cache_load(n, c, height) != HANSA_OK) return false;
    for (uint32_t i = 0; i < c->blk.n_txs; i++) {
        if (hash_eq(&c->hashes[i], tx_hash)) {
            cache_proof(c, i, out);
            return true;
        }
    }
    return false;
}

bool node_recv_proof(node *n, node_block_cache *c, uint64_t height, uint32_t src, const hansa_hash *packet,
                     pkt_proof *out) {
    if (cache_load(n, c, height) != HANSA_OK) return false;
    for (uint32_t i = 0; i < c->blk.n_txs; i++) {
        wire_tx tx;
        pkt_recv v;
        if (wire_tx_decode(c->blk.txs[i].bytes, c->blk.txs[i].len, &tx, NULL) != HANSA_OK ||
            tx.kind != TX_PACKET_RECV || pkt_recv_decode(tx.body, tx.body_len, &v, NULL) != HANSA_OK ||
            v.src_chain != src)
            continue;
        hansa_hash th;
        sha256(v.proof.tx, v.proof.tx_len, &th);
        if (hash_eq(&th, packet)) {
            cache_proof(c, i, out);
            return true;
        }
    }
    return false;
}
