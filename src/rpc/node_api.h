/* node_api.h — the node's JSON-RPC methods (docs/rpc.md, "Methods").
 *
 * Registered on an rpc_server by hansad; each method reads the node's
 * state (node_get_status, node_ledger, node_store) or submits to it. Calls
 * that wait (submit with wait, wait for a block or a tx) are deferred and
 * answered from rpc_node_api_on_commit. */
#ifndef HANSA_RPC_NODE_API_H
#define HANSA_RPC_NODE_API_H

#include <stdbool.h>
#include <stddef.h>
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
/* One peer link as status shows it. The driver (which owns net/) fills
 * these: rpc/ and net/ sit side by side and do not include each other. */
typedef struct {
    char id[2 * 8 + 1];   /* the first 8 bytes of the peer id (Noise static key), hex */
    char addr[64];        /* the remote "ip:port" */
    bool outbound;        /* this node dialed it */
    bool reserved;        /* a configured peer or a validator: never evicted or banned */
    uint64_t up_ms;       /* since the link came up */
    uint64_t heard_ms_ago;/* since anything (keepalives count) was last received */
} rpc_peer_view;

#define RPC_PEER_VIEWS_MAX 128

/* Fills out[0..max) with the node's links and returns how many. */
typedef size_t (*rpc_peers_fn)(void *ctx, rpc_peer_view *out, size_t max);

/* Tells status how to list the links (field `links`); without this call
 * the field is an empty array. fn and ctx must outlive the api. */
void rpc_node_api_set_peers(rpc_node_api *api, rpc_peers_fn fn, void *ctx);
/* Called by the driver after each commit (from inside the node's commit
 * pipeline): notes the height and starts answering the waiting calls on
 * later turns of the loop, a few per turn, so that no number of waiters
 * holds up consensus. */
void rpc_node_api_on_commit(rpc_node_api *api, uint64_t height);

/* What /metrics shows of the waiting calls and of POST /txs. */
typedef struct {
    uint64_t block_views_built; /* wait_block answers built (one per height, however many wait) */
    uint64_t answer_turns;      /* turns of the loop spent answering waiters */
    uint64_t binary_bodies;     /* POST /txs bodies framed and judged */
    uint64_t binary_txs;        /* the txs in them, admitted or refused */
} rpc_node_api_counters;

const rpc_node_api_counters *rpc_node_api_counters_get(const rpc_node_api *api);
/* wait_block calls waiting now. */
unsigned rpc_node_api_block_waiters(const rpc_node_api *api);

/* Answers every waiting call with -32006 and frees api once its libuv
 * handle has closed (keep running the loop). */
void rpc_node_api_free(rpc_node_api *api);

#endif
