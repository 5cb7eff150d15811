/* server.h — the JSON-RPC 2.0 over HTTP edge of a hansa node.
 *
 * One server listens on one address, accepts `POST /` with a JSON-RPC 2.0
 * request or batch, and dispatches each call to a handler registered by name.
 * It knows nothing about blocks or transactions: the node registers its
 * methods (docs/rpc.md lists them) and the server does the transport — limits,
 * batches, notifications, error objects, long-poll.
 *
 * Everything runs on the caller's libuv loop, in the loop's thread: handlers,
 * cancel callbacks and the metrics callback are called from it, and every
 * function here must be called from it. There are no locks.
 *
 * A handler returns one of these outcomes (rpc_outcome):
 *   - a result (rpc_ok, or rpc_ok_text for one already serialised and shared),
 *   - an error object (rpc_fail, or rpc_fail_with for an rpc_error a param
 *     helper filled in),
 *   - "pending" (rpc_defer): the answer comes later through rpc_reply /
 *     rpc_reply_error on the returned rpc_pending handle. That is how
 *     "submit and wait for commit" and long-poll ("next block after height H")
 *     work. A pending call has a deadline; if the owner has not replied by then,
 *     or the server shuts down, the server calls the owner's cancel callback
 *     (after which the handle is gone) and answers the call with an error.
 *
 * Connections (conns.h): a client that closes its socket is noticed at once
 * and its connection closed; one client address holds at most
 * max_per_client slots; local operators (127.0.0.1, ::1) have
 * operator_reserve slots of their own; when the slots run out, an idle or
 * slow connection gives its slot to the newcomer, and with none to take the
 * newcomer is refused at once.
 *
 * Requests are refused from their headers alone, before any body is read
 * (request_check.c): a Host or Origin naming anything but an IP literal,
 * localhost or an allowed host (DNS rebinding: a web page whose name
 * resolves to 127.0.0.1 must not reach the node), a second Content-Length,
 * Content-Length with Transfer-Encoding, a transfer coding other than
 * chunked, a content coding other than identity.
 *
 * Error codes (JSON-RPC 2.0 reserves -32768..-32000; hansa's own live in the
 * server range -32000..-32099). docs/rpc.md has the same table. */
#ifndef HANSA_RPC_SERVER_H
#define HANSA_RPC_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/buf.h"
#include "base/err.h"

/* JSON-RPC 2.0 standard codes. */
#define RPC_PARSE_ERROR -32700      /* body is not JSON; data: line, column, position, reason */
#define RPC_INVALID_REQUEST -32600  /* not a request object, bad batch, bad content type */
#define RPC_METHOD_NOT_FOUND -32601 /* data: {"method": name} */
#define RPC_INVALID_PARAMS -32602   /* data: {"param": name, "reason": text} */
#define RPC_INTERNAL_ERROR -32603   /* the handler failed in a way that is not the caller's fault */
/* hansa codes. */
#define RPC_NOT_FOUND -32001       /* the block, tx, account... asked for does not exist */
#define RPC_TX_REJECTED -32002     /* a submitted tx failed validation; data names why */
#define RPC_TOO_LARGE -32003       /* body over the limit; sent with HTTP 413 */
#define RPC_TIMEOUT -32004         /* a pending call's deadline passed before its answer */
#define RPC_BUSY -32005            /* too many pending calls; retry later */
#define RPC_SHUTTING_DOWN -32006   /* the server stopped while the call was pending */
#define RPC_PRUNED -32007          /* the block asked for (or holding the tx) was pruned */

/* Longest message an rpc_error carries (longer ones are cut). */
#define RPC_ERROR_MESSAGE_MAX 160

typedef struct rpc_server rpc_server;
typedef struct rpc_call rpc_call;       /* one call being handled; valid during the handler */
typedef struct rpc_pending rpc_pending; /* a deferred call; see rpc_defer */

typedef struct {
    int code;
    char message[RPC_ERROR_MESSAGE_MAX];
    json_t *data; /* owned; NULL for none */
} rpc_error;

/* A result already serialised, shared by many answers and reference
 * counted: one block view sent to every waiter of a height is written into
 * each response as it is, not serialised once per waiter. */
typedef struct {
    unsigned refs;
    size_t len;
    char bytes[]; /* compact JSON, not NUL-terminated */
} rpc_json_text;

/* value serialised (compact), with one reference for the caller. */
rpc_json_text *rpc_json_text_new(const json_t *value);
/* Another reference to t; returns t. */
rpc_json_text *rpc_json_text_ref(rpc_json_text *t);
/* Drops a reference (NULL: no-op); the last one frees t. */
void rpc_json_text_unref(rpc_json_text *t);

typedef enum {
    RPC_OUTCOME_RESULT,
    RPC_OUTCOME_TEXT,
    RPC_OUTCOME_ERROR,
    RPC_OUTCOME_PENDING
} rpc_outcome_kind;

typedef struct {
    rpc_outcome_kind kind;
    json_t *result;      /* RPC_OUTCOME_RESULT: owned */
    rpc_json_text *text; /* RPC_OUTCOME_TEXT: one reference, owned */
    rpc_error error;     /* RPC_OUTCOME_ERROR */
} rpc_outcome;

/* params: the request's "params" member, borrowed for the handler's duration;
 * NULL when the request has none (else an object or an array). ctx is the
 * pointer given to rpc_register. call identifies the call for rpc_defer. */
typedef rpc_outcome (*rpc_handler)(rpc_call *call, json_t *params, void *ctx);

/* The address of the client that made call (text, e.g. "192.0.2.7"), for
 * per-client limits in handlers; valid for the handler's duration. */
const char *rpc_call_client(const rpc_call *call);

/* How many items a handler that does many calls' work in one call (e.g.
 * submit_txs) may take: the server's max_batch when call is its request's
 * only call, 0 when it shares a batch with others, so that one request
 * never does more than max_batch calls' work. */
unsigned rpc_call_max_items(const rpc_call *call);

/* Called when the server gives up a pending call before its owner replied
 * (deadline passed, or server shutting down). The owner must forget the
 * handle: it is freed right after this returns. Never called after rpc_reply. */
typedef void (*rpc_cancel_fn)(rpc_pending *pending, void *cancel_ctx);

/* Appends Prometheus text exposition lines to out. */
typedef void (*rpc_metrics_fn)(hbuf *out, void *ctx);

typedef struct {
    const char *bind_address;   /* IPv4 or IPv6 literal; NULL = "127.0.0.1" */
    uint16_t port;              /* 0 = ephemeral; read it back with rpc_server_port */
    size_t max_body_bytes;      /* 0 = 1 MiB */
    unsigned max_connections;   /* slots for anyone; 0 = 64 */
    unsigned max_per_client;    /* slots one client address may hold (not 127.0.0.1/::1); 0 = 16 */
    unsigned operator_reserve;  /* more slots only 127.0.0.1/::1 may use; 0 = 4 */
    unsigned slow_request_ms;   /* when slots run out, a request being sent longer yields; 0 = 2000 */
    unsigned max_batch;         /* calls in one batch; 0 = 100 */
    unsigned max_pending;       /* deferred calls at once, all connections; 0 = 1024 */
    unsigned idle_timeout_s;    /* a connection silent this long is closed; 0 = 30 */
    /* Host names a request's Host (and Origin) may name besides IP literals
     * and localhost, against DNS rebinding (copied; may be NULL). */
    const char *const *allowed_hosts;
    size_t n_allowed_hosts;
} rpc_config;

/* Starts listening on loop. Returns HANSA_ERR_CONFIG for a bad address,
 * HANSA_ERR_IO if the port cannot be bound (message logged with the reason).
 * On success *out is the server; free it with rpc_server_free. */
hansa_err rpc_server_new(uv_loop_t *loop, const rpc_config *config, rpc_server **out);

/* Stops listening, cancels pending calls (their cancel callbacks run with
 * the server still valid, and their clients get RPC_SHUTTING_DOWN as far as
 * their sockets take it), closes connections, and frees the server once its
 * libuv handles have closed: keep running the loop until uv_run returns.
 * Must not be called from a handler (asserted): schedule it on the loop.
 * NULL is a no-op. */
void rpc_server_free(rpc_server *server);

/* The port the server listens on (the real one when config.port was 0). */
uint16_t rpc_server_port(const rpc_server *server);

/* The loop the server runs on (for method owners' own handles). */
uv_loop_t *rpc_server_loop(const rpc_server *server);

/* Number of deferred calls not yet answered. */
unsigned rpc_server_pending_count(const rpc_server *server);

/* Registers handler under method (copied). Registering a name twice is a bug
 * (asserted). Names starting with "rpc." are reserved by JSON-RPC (asserted). */
void rpc_register(rpc_server *server, const char *method, rpc_handler handler, void *ctx);

/* GET /metrics answers with the server's own counters followed by what fn
 * appends. Replaces an earlier callback; fn NULL removes it. */
void rpc_set_metrics(rpc_server *server, rpc_metrics_fn fn, void *ctx);

/* Appends printf-formatted text to out (for metrics callbacks). */
void rpc_metrics_printf(hbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- handler outcomes --- */

/* A result; takes ownership of result (must be non-NULL; json_null() for none). */
rpc_outcome rpc_ok(json_t *result);

/* A result given as shared text; takes over one reference of result. */
rpc_outcome rpc_ok_text(rpc_json_text *result);

/* An error with a printf-style message; takes ownership of data (may be NULL). */
rpc_outcome rpc_fail(int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error from an rpc_error (e.g. one a param helper filled); takes its data. */
rpc_outcome rpc_fail_with(rpc_error *err);

/* Defers the call: returns the "pending" outcome and sets *out to the handle
 * the owner answers later with rpc_reply / rpc_reply_error. timeout_ms bounds
 * the wait (> 0); when it passes the server calls cancel(pending, cancel_ctx)
 * and answers RPC_TIMEOUT. If the server already holds max_pending deferred
 * calls, returns an RPC_BUSY error outcome instead and sets *out to NULL:
 * the handler just returns that outcome. Call at most once per call. */
rpc_outcome rpc_defer(rpc_call *call, uint64_t timeout_ms, rpc_cancel_fn cancel,
                      void *cancel_ctx, rpc_pending **out);

/* Answers a deferred call with result (ownership taken). The handle is freed. */
void rpc_reply(rpc_pending *pending, json_t *result);

/* Answers a deferred call with a shared result text (a reference of its
 * own is taken: the caller keeps its). The handle is freed. */
void rpc_reply_text(rpc_pending *pending, rpc_json_text *result);

/* Answers a deferred call with an error; takes data (may be NULL). The handle is freed. */
void rpc_reply_error(rpc_pending *pending, int code, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --- params helpers ---
 * Each reads params[name] from a by-name params object (NULL params counts
 * as an empty object). When present and well formed, writes *out and returns
 * true. When absent and !required, leaves *out alone (preset your default) and
 * returns true. Otherwise fills *err with RPC_INVALID_PARAMS, a message and
 * data {"param": name, "reason": ...} and returns false; pass it on with
 * rpc_fail_with. A positional (array) params fails every helper. */

/* A string; *out is borrowed from params. */
bool rpc_param_string(const json_t *params, const char *name, bool required, const char **out,
                      rpc_error *err);
/* A non-negative JSON integer, or a decimal string for values above 2^63-1
 * (JSON numbers that large do not survive most JSON parsers). */
bool rpc_param_u64(const json_t *params, const char *name, bool required, uint64_t *out,
                   rpc_error *err);
bool rpc_param_bool(const json_t *params, const char *name, bool required, bool *out,
                    rpc_error *err);
/* A hex string (either case, optional "0x") decoding to exactly out_len bytes. */
bool rpc_param_hex(const json_t *params, const char *name, bool required, uint8_t *out,
                   size_t out_len, rpc_error *err);

/* A hex string (either case, optional "0x") of at most max_len bytes, decoded
 * into a malloc'd *out (the caller frees it; NULL when absent) of *out_len
 * bytes. For variable-length data such as a serialized transaction. */
bool rpc_param_bytes(const json_t *params, const char *name, bool required, size_t max_len,
                     uint8_t **out, size_t *out_len, rpc_error *err);

/* Fails (naming the first offender) if params has a member not in names, a
 * NULL-terminated list, so that a misspelt optional param is an error rather
 * than silently ignored. */
bool rpc_params_only(const json_t *params, const char *const *names, rpc_error *err);

/* Releases err->data (for a caller that drops an error instead of returning it). */
void rpc_error_clear(rpc_error *err);

#endif
