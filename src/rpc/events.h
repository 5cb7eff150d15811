/* events.h — the subscription endpoint: server-sent events of a node.
 *
 * GET /events streams what the chain does as it commits, in the
 * text/event-stream format browsers read with EventSource: new blocks,
 * committed transactions, and changes of watched accounts. docs/rpc.md
 * ("Subscriptions") is the contract for wallets; events.c says how the
 * stream is kept from ever slowing the node down.
 *
 * Everything runs on the loop thread that drives the rpc_server and the
 * node: rpc_events_on_commit only formats events into per-subscriber
 * buffers (bounded) and wakes the HTTP server; the bytes leave as each
 * subscriber's socket takes them. */
#ifndef HANSA_RPC_EVENTS_H
#define HANSA_RPC_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "crypto/address.h"
#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_events rpc_events;

#define RPC_EVENTS_WATCH_MAX 16    /* accounts one stream may watch */
#define RPC_EVENTS_QUERY_MAX 2048  /* bytes of the account list */

enum { RPC_TOPIC_BLOCK = 1, RPC_TOPIC_TX = 2, RPC_TOPIC_ACCOUNT = 4 };

/* What a subscriber asked for in GET /events?topics=..&account=.. */
typedef struct {
    unsigned topics; /* RPC_TOPIC_* bits */
    hansa_addr watch[RPC_EVENTS_WATCH_MAX];
    size_t n_watch;
} rpc_events_query;

/* Parses the two query values (each may be NULL: absent) for a chain:
 * topics "block,tx,account" (default block), accounts a comma-separated
 * list of addresses of chain_id. False with a sentence in why (ending in a
 * newline, for the 400 body) on an unknown or empty topic, a bad or wrong-
 * chain address, more than RPC_EVENTS_WATCH_MAX addresses, or the account
 * topic without accounts. Untrusted input: fuzzed by fuzz/fuzz_http_query.c. */
bool rpc_events_query_parse(const char *topics, const char *accounts, uint32_t chain_id,
                            rpc_events_query *out, char *why, size_t why_len);

typedef struct {
    unsigned max_subscribers;    /* streams open at once; 0 = 16 */
    size_t max_buffer_bytes;     /* unsent bytes per subscriber before it is dropped; 0 = 1 MiB */
    uint64_t keepalive_ms;       /* a comment line this often keeps proxies and idle timers
                                    from closing a quiet stream; 0 = 15000 */
} rpc_events_config;

/* Serves GET /events on server for node n (both borrowed). Must be freed
 * before the server (rpc_events_free ends every stream). */
rpc_events *rpc_events_new(uv_loop_t *loop, rpc_server *server, node *n, const rpc_events_config *cfg);
/* Called by the driver after each commit, with the committed height. */
void rpc_events_on_commit(rpc_events *ev, uint64_t height);
/* Appends hansa_rpc_events_subscribers (gauge) and
 * hansa_rpc_events_dropped_total (counter) in Prometheus text format. */
void rpc_events_metrics_write(const rpc_events *ev, hbuf *out);
void rpc_events_free(rpc_events *ev);

#endif
