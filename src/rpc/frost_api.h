/* frost_api.h — the JSON-RPC method about threshold keys (docs/rpc.md,
 * "Threshold keys"; docs/frost.md): group_key, the group keys the chain
 * recorded for its validator sets and the state of the open key generation. */
#ifndef HANSA_RPC_FROST_API_H
#define HANSA_RPC_FROST_API_H

#include "node/node.h"
#include "rpc/server.h"

/* Registers the methods on server for node n (both borrowed; n must
 * outlive the server). Nothing to free. */
void rpc_frost_api_register(rpc_server *server, node *n);

#endif
