/* delegates_api.h — the JSON-RPC methods about delegates (docs/rpc.md,
 * "Delegates"): candidates and their ranking, the active set and the
 * bench, evidence punished and pending, software upgrade proposals, and an
 * address's unbonding entries.
 *
 * Every method reads the node's committed ledger state (node_ledger) or its
 * evidence pool; none waits and none changes anything. Registered by hansad
 * next to rpc_node_api_new. */
#ifndef HANSA_RPC_DELEGATES_API_H
#define HANSA_RPC_DELEGATES_API_H

#include <stdbool.h>

#include "ledger/state.h"
#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_delegates_api rpc_delegates_api;

/* Registers candidates, delegates, evidence, upgrade and unbonding on
 * server for node n (both borrowed; they must outlive the api). */
rpc_delegates_api *rpc_delegates_api_new(rpc_server *server, node *n);
void rpc_delegates_api_free(rpc_delegates_api *api);

/* The software hash ratified most recently in s (largest ratified_at; ties
 * by the smaller hash). False when none is ratified. */
bool rpc_latest_ratified(const ledger_state *s, hansa_hash *out);

#endif
