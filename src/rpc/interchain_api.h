/* interchain_api.h — the JSON-RPC methods between chains (docs/rpc.md,
 * "Interchain"):
 *   light_block      a header of this chain with its commit certificate and
 *                    the validator sets of that height and the next: what a
 *                    foreign light client (or its relayer) needs to verify it
 *   client_list      the light clients this chain keeps of foreign chains
 *   client           one of them in full: trusted heights, freeze and why,
 *                    the evidence it holds, a pending revival
 *   submit_evidence  duplicate-vote evidence carried home from a foreign
 *                    light client, pooled for this chain's next block
 * Reads go to the node's committed state and store on the loop thread.
 * Registered by hansad next to rpc_node_api_new. */
#ifndef HANSA_RPC_INTERCHAIN_API_H
#define HANSA_RPC_INTERCHAIN_API_H

#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_interchain_api rpc_interchain_api;

/* Registers the methods on server for node n (both borrowed; they must
 * outlive the api). */
rpc_interchain_api *rpc_interchain_api_new(rpc_server *server, node *n);
void rpc_interchain_api_free(rpc_interchain_api *api);

#endif
