/* node_metrics.h — a node's own figures on GET /metrics (Prometheus text).
 *
 * The rpc server answers GET /metrics with its own counters (metrics.c) and
 * then with what this module appends: the node_status of one node — height,
 * round, committed transactions, mempool, peers, signature verifications,
 * the step-time and block-size histograms — and two rates over the last ten
 * seconds (signature verifications and committed transactions per second).
 * The rates need a clock, which rpc/ may read but the node may not: the
 * driver calls rpc_node_metrics_sample about once a second with the
 * monotonic time, and the rate is the difference between the newest and the
 * oldest sample kept. docs/metrics.md lists every metric. */
#ifndef HANSA_RPC_NODE_METRICS_H
#define HANSA_RPC_NODE_METRICS_H

#include <stdint.h>

#include "node/node.h"
#include "rpc/node_api.h"
#include "rpc/server.h"

typedef struct rpc_node_metrics rpc_node_metrics;

/* Registers the metrics of n (borrowed; must outlive the returned object)
 * as server's metrics callback. Free with rpc_node_metrics_free before the
 * server. Never fails (allocation failure aborts). */
rpc_node_metrics *rpc_node_metrics_new(rpc_server *server, node *n);

/* Records the node's counters at monotonic time now_ms (non-decreasing
 * across calls, asserted) for the rates. */
void rpc_node_metrics_sample(rpc_node_metrics *m, uint64_t now_ms);

/* Appends the node's metrics to out (what the server callback does; public
 * for tests and for other drivers). */
void rpc_node_metrics_write(const rpc_node_metrics *m, hbuf *out);

/* Adds the waiting calls of api (borrowed; NULL: none) to what m writes. */
void rpc_node_metrics_set_api(rpc_node_metrics *m, const rpc_node_api *api);

/* Unregisters the callback and frees m. NULL is a no-op. */
void rpc_node_metrics_free(rpc_node_metrics *m);

#endif
