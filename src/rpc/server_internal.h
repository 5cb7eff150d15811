/* server_internal.h — what server.c shares with the other files of rpc/
 * (metrics.c, params.c); not for users of the server. */
#ifndef HANSA_RPC_SERVER_INTERNAL_H
#define HANSA_RPC_SERVER_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include <microhttpd.h>

#include "base/buf.h"
#include "rpc/conns.h"
#include "rpc/server.h"

/* Fills err (message formatted, cut at RPC_ERROR_MESSAGE_MAX); takes data. */
void rpc_error_set(rpc_error *err, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rpc_error_setv(rpc_error *err, int code, json_t *data, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* The error codes /metrics counts one by one; anything else counts as "other". */
#define RPC_COUNTED_CODES(X)                                                     \
    X(RPC_PARSE_ERROR) X(RPC_INVALID_REQUEST) X(RPC_METHOD_NOT_FOUND)            \
    X(RPC_INVALID_PARAMS) X(RPC_INTERNAL_ERROR) X(RPC_NOT_FOUND)                 \
    X(RPC_TX_REJECTED) X(RPC_TOO_LARGE) X(RPC_TIMEOUT) X(RPC_BUSY)               \
    X(RPC_SHUTTING_DOWN) X(RPC_PRUNED)
#define RPC_COUNTED_ONE(code) +1
enum { RPC_COUNTED_CODE_COUNT = 0 RPC_COUNTED_CODES(RPC_COUNTED_ONE) };
#undef RPC_COUNTED_ONE

/* Host names allowed in Host and Origin besides IP literals and localhost
 * (rpc_config.allowed_hosts, copied, lower case). */
typedef struct {
    char **names;
    size_t count;
} rpc_host_list;

void rpc_host_list_init(rpc_host_list *l, const char *const *names, size_t count);
void rpc_host_list_free(rpc_host_list *l);

struct MHD_Connection;

/* Checks a request's headers before anything else is done with it (see
 * server.h): returns 0 if it may go on, else the HTTP status to refuse it
 * with, err filled (RPC_INVALID_REQUEST, a message, data naming the header). */
unsigned rpc_request_check_headers(struct MHD_Connection *conn, const rpc_host_list *hosts,
                                   rpc_error *err);

/* The server's own counters, served first on GET /metrics. */
typedef struct {
    uint64_t http_requests; /* every HTTP request, any path */
    uint64_t requests_refused; /* refused from their headers (rpc_request_check_headers) */
    uint64_t calls;         /* JSON-RPC calls, batch members counted one by one */
    uint64_t too_large;     /* bodies refused with 413 */
    uint64_t timeouts;      /* deferred calls that passed their deadline */
    uint64_t errors[RPC_COUNTED_CODE_COUNT];
    uint64_t errors_other;
} rpc_counters;

/* Counts an error response with this code. */
void rpc_counters_error(rpc_counters *c, int code);
/* Appends the counters, the connection book's counters and the pending
 * and open-connection gauges in Prometheus text format. */
void rpc_counters_write(const rpc_counters *c, const conns_counters *cc, unsigned pending,
                        unsigned open_connections, hbuf *out);

/* --- GET routes for the other HTTP endpoints of rpc/ (static.c serves the
 * explorer's files, events.c the server-sent events stream). They live in
 * their own files; the server only hands them the GET requests whose path
 * starts with their prefix, before answering 404. --- */

/* Must queue a response on conn (MHD_queue_response) and return its result.
 * url is the request path, starting with the route's prefix. */
typedef enum MHD_Result (*rpc_get_fn)(struct MHD_Connection *conn, const char *url, void *ctx);

#define RPC_ROUTES_MAX 8

/* Routes GET and HEAD requests whose path starts with prefix (copied) to fn.
 * The first matching route, in registration order, answers. */
void rpc_route_get(rpc_server *server, const char *prefix, rpc_get_fn fn, void *ctx);
/* --- POST routes with a binary body (node_api.c's POST /txs): for clients
 * that send many items and for whom JSON and hex cost the node more than
 * the items themselves. The server does for them what it does for POST /:
 * the header checks, the connection book, the body bound (the lower of
 * max_body_bytes and the route's max_bytes, 413 past it), and it refuses
 * (415) a body whose Content-Type is not application/octet-stream. --- */

/* Judges a route's whole body (borrowed for the call; len >= 0) and
 * answers at once: rpc_ok (sent as a JSON-RPC response with id null, HTTP
 * 200) or rpc_fail, with *http_status set to the 4xx/5xx to send it with.
 * max_items is the server's max_batch: the most items one request may
 * carry, as for a JSON-RPC batch. */
typedef rpc_outcome (*rpc_post_fn)(const uint8_t *body, size_t len, unsigned max_items,
                                   unsigned *http_status, void *ctx);

/* Routes POST requests to exactly path (copied; not "/") to fn, with bodies
 * of at most max_bytes (> 0). Registering a path twice is a bug (asserted). */
void rpc_route_post(rpc_server *server, const char *path, size_t max_bytes, rpc_post_fn fn,
                    void *ctx);

/* Removes every route, GET or POST, whose ctx is ctx (an endpoint being freed). */
void rpc_route_remove(rpc_server *server, void *ctx);

/* Makes the server run MHD again soon: call after MHD_resume_connection from
 * outside a request callback (a timer, a commit), so the resumed connection
 * is served without waiting for unrelated socket activity. */
void rpc_server_wake(rpc_server *server);

#endif
