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

/* Registers route_find, route_beacon, routes, route_msg and route_outbox on server for
 * node n (both borrowed; they must outlive the api). */
rpc_route_api *rpc_route_api_new(rpc_server *server, node *n);
void rpc_route_api_free(rpc_route_api *api);

/* A credit event of a block being committed (node_io.credit_event): an
 * invoice pending whose payee is on this chain puts the payee in the beacon
 * duty, one paid or refused takes it back (credit/discovery.h "beacon
 * duty"); the duty's beacons go out with rpc_route_api_take. */
void rpc_route_api_on_credit_event(rpc_route_api *api, const ledger_credit_event *ev);

/* One message for a neighbour chain, as the driver carries it. */
typedef struct {
    uint32_t to_chain;
    size_t len;
    uint8_t msg[112]; /* DISC_MSG_BYTES */
} rpc_route_msg;

/* Lets time pass (searches past their deadline answer, the beacon duty
 * sends what it owes), then copies up to
 * max messages numbered from *cursor on into out and moves *cursor past
 * them (to the oldest kept if it fell behind). For hansad's route driver. */
size_t rpc_route_api_take(rpc_route_api *api, uint64_t *cursor, rpc_route_msg *out, size_t max);

#endif
