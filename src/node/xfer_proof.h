/* xfer_proof.h — proofs of packets from this node's block store
 * (docs/interchain.md "Packets"): the Merkle proof of a committed send
 * under its block's tx root, and of the recv this chain committed for a
 * foreign packet, as a relayer hands them to the other chain. Used by the
 * RPC (packets_pending, packet_acks) and by the simulator's relayers. */
#ifndef HANSA_NODE_XFER_PROOF_H
#define HANSA_NODE_XFER_PROOF_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "crypto/merkle.h"
#include "interchain/packet.h"
#include "node/node.h"
#include "wire/types.h"

/* One block kept decoded while proofs are built (packets cluster by
 * height). A proof's tx points into it: valid until the next call with
 * this cache or node_block_cache_free. */
typedef struct {
    uint64_t height;
    hbuf raw;
    wire_block blk;
    hansa_hash *leaves, *hashes; /* per tx: Merkle leaf hash, SHA-256 (the tx hash) */
    merkle_tree tree;            /* over leaves, built once per block: proofs cost no hashing */
    bool have;
} node_block_cache;
#define NODE_BLOCK_CACHE_INIT {.raw = HBUF_INIT}

void node_block_cache_free(node_block_cache *c);

/* The proof of the tx of hash tx_hash in block height; false when the
 * block is not in the store (pruned) or does not hold it. */
bool node_packet_proof(node *n, node_block_cache *c, uint64_t height, const hansa_hash *tx_hash, pkt_proof *out);

/* The proof of the recv this chain committed in block height for packet
 * (src, packet hash). */
bool node_recv_proof(node *n, node_block_cache *c, uint64_t height, uint32_t src, const hansa_hash *packet,
                     pkt_proof *out);

#endif
