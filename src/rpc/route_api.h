/* route_api.h — route discovery between chains at the RPC (docs/rpc.md,
 * "Route discovery"; docs/credit.md "Route discovery"): this node's
 * discovery machine (credit/discovery.h) over a view loaded from its
 * committed tallies, fed by route_msg (one message from a neighbour chain)
 * and route_find (a local user's question), read by routes, and the
 * messages it sends waiting in a bounded outbox (route_outbox) that a
 * relayer's driver carries to the neighbour chain's route_msg. The state is
 * off-chain and this node's own: answers must come back to the node that
 * asked. */
#ifndef HANSA_RPC_ROUTE_API_H
#define HANSA_RPC_ROUTE_API_H

#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_route_api rpc_route_api;

/* Registers route_find, routes, route_msg and route_outbox on server for
 * node n (both borrowed; they must outlive the api). */
rpc_route_api *rpc_route_api_new(rpc_server *server, node *n);
void rpc_route_api_free(rpc_route_api *api);

#endif
