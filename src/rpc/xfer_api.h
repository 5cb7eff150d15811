/* xfer_api.h — the JSON-RPC methods of cross-chain packets (docs/rpc.md,
 * "Packets"):
 *   packets_pending  this chain's pending packets to a chain, each with the
 *                    proof of its send in this chain's tx root: what the
 *                    destination's relayers fetch
 *   packet_acks      for packets of a chain received here, the proof of the
 *                    recv (its outcome inside): what the source's relayers
 *                    fetch to acknowledge or refund
 *   xfer_status      the life of one packet sent from, or received by, this chain
 *   vouchers         the vouchers an address holds here
 *   correspondents   per foreign chain: collateral, limit, claims, escrow
 *   packets          this chain's packets in flight (the explorer's table)
 * Proofs come from the node's store (the block of the transaction) on the
 * loop thread. Registered by hansad next to rpc_interchain_api_new. */
#ifndef HANSA_RPC_XFER_API_H
#define HANSA_RPC_XFER_API_H

#include "node/node.h"
#include "rpc/server.h"

#define XFER_API_BATCH_MAX 1024 /* packets in one reply */

typedef struct rpc_xfer_api rpc_xfer_api;

rpc_xfer_api *rpc_xfer_api_new(rpc_server *server, node *n);
void rpc_xfer_api_free(rpc_xfer_api *api);

#endif
