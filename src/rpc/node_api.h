/* node_api.h — the node's JSON-RPC methods (docs/rpc.md, "Methods").
 *
 * Registered on an rpc_server by hansad; each method reads the node's
 * state (node_get_status, node_ledger, node_store) or submits to it. Calls
 * that wait (submit with wait, wait for a block or a tx) are deferred and
 * answered from rpc_node_api_on_commit. */
#ifndef HANSA_RPC_NODE_API_H
#define HANSA_RPC_NODE_API_H

#include <stdint.h>

#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_node_api rpc_node_api;

/* Registers every method on server for node n (both borrowed; they must
 * outlive the api). version: the software version string for status. */
rpc_node_api *rpc_node_api_new(rpc_server *server, node *n, const char *version);
/* Tells status which software this process runs: the SHA-256 of its
 * executable, shown as software_hash with software_ratified (whether it is
 * the hash the chain ratified most recently, docs/delegates.md). Without
 * this call both are null. */
void rpc_node_api_set_software(rpc_node_api *api, const hansa_hash *software_hash);
/* Called by the driver after each commit: answers the waiting calls. */
void rpc_node_api_on_commit(rpc_node_api *api, uint64_t height);
void rpc_node_api_free(rpc_node_api *api);

#endif
