/* server.c — JSON-RPC 2.0 over HTTP on the node's libuv loop.
 *
 * Libraries, and why:
 *  - libmicrohttpd (MHD) for HTTP: mature (GNU, in every distribution), small,
 *    does the HTTP/1.1 parsing, keep-alive, chunked uploads and per-connection
 *    memory bounds for us, and — the deciding point — runs inside an external
 *    event loop (no threads of its own) and can suspend a connection while its
 *    answer is pending and resume it later, which is exactly long-poll.
 *  - jansson for JSON: a simple ownership model (reference counts, "_new"
 *    setters steal), a strict parser (rejects duplicate keys, NUL bytes and
 *    invalid UTF-8 with our flags) that reports line, column and byte position
 *    of an error, which the -32700 error passes on to the client.
 *
 * How MHD is driven without threads: the daemon runs in epoll mode
 * (MHD_USE_EPOLL, Linux), so all its sockets sit behind one epoll fd. A
 * uv_poll watches that fd and calls MHD_run when it is readable; after every
 * MHD_run a uv_timer is set to MHD_get_timeout so MHD's own deadlines (idle
 * connections) and its already-buffered work get processed. Everything happens
 * on the loop's thread, so nothing is locked.
 *
 * A request's life: MHD calls access_handler several times per request. The
 * first call routes it (GET /health, GET /metrics, POST /) and rejects early
 * what it can from the headers (content type, a Content-Length over the limit,
 * which answers 413 without reading the body). Further calls hand over body
 * pieces, appended to a buffer bounded by max_body_bytes. The last call parses
 * the body and dispatches every call in it. If some handler deferred its call
 * (rpc_defer), the connection is suspended; when the last deferred call of the
 * body is answered (or times out), it is resumed, MHD calls access_handler once
 * more, and the collected responses go out. A POST to a binary route
 * (rpc_route_post: POST /txs) lives the same life, with its own content type
 * and body bound, and its last call hands the whole body to the route's
 * handler, whose one answer is the reply. */
#include "rpc/server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "rpc/conns.h"
#include "rpc/server_internal.h"

#define RPC_DEFAULT_ADDRESS "127.0.0.1"
#define RPC_DEFAULT_MAX_BODY_BYTES (1024u * 1024u)
#define RPC_DEFAULT_MAX_CONNECTIONS 64u
#define RPC_DEFAULT_MAX_BATCH 100u
#define RPC_DEFAULT_MAX_PENDING 1024u
#define RPC_DEFAULT_IDLE_TIMEOUT_S 30u
#define RPC_DEFAULT_MAX_PER_CLIENT 16u
#define RPC_DEFAULT_OPERATOR_RESERVE 4u
#define RPC_DEFAULT_SLOW_REQUEST_MS 2000u
/* Bound on registered methods: the registry is a linear table, and a node has
 * a few dozen methods at most. */
#define RPC_METHODS_MAX 256u

typedef struct {
    char *name;
    rpc_handler fn;
    void *ctx;
} rpc_method;

/* One HTTP request to POST / (MHD's per-request context). */
typedef enum { EX_BODY, EX_WAITING, EX_READY } exchange_state;

typedef struct exchange {
    rpc_server *server;
    struct MHD_Connection *conn;
    exchange_state state;
    /* A binary POST route's request: its handler and ctx, looked up again
     * when the body is in (the route may have been removed meanwhile, and
     * its entry moved); NULL for POST /. */
    rpc_post_fn post_fn;
    void *post_ctx;
    size_t max_body; /* max_body_bytes, or less for a binary route */
    hbuf body;
    bool too_large;   /* the body passed max_body_bytes: the rest is dropped unread */
    size_t dropped_bytes; /* body bytes received and dropped since then */
    bool is_batch;    /* the reply is an array (even of one) */
    bool dispatching; /* handlers are running: do not finish yet */
    size_t slot_count;
    json_t **slots;   /* one response object per call; NULL for notifications */
    rpc_json_text **texts; /* per slot: its result as shared JSON text, which the
                            * response object lacks (rpc_reply_text), or NULL */
    json_t *single;   /* a response for the whole body (parse error, bad batch) */
    unsigned single_status; /* its HTTP status: 200 but for a binary route's refusal */
    unsigned waiting; /* deferred calls not yet answered */
} exchange;

struct rpc_call {
    exchange *ex;
    size_t slot;
    json_t *id; /* borrowed; NULL for a notification */
    bool deferred;
};

struct rpc_pending {
    rpc_server *server;
    exchange *ex; /* NULL once the exchange is gone (the answer is dropped) */
    size_t slot;
    json_t *id;   /* owned reference; NULL for a notification */
    rpc_cancel_fn cancel;
    void *cancel_ctx;
    uv_timer_t timer;
    rpc_pending *prev, *next;
};

/* A GET route of another rpc/ endpoint (server_internal.h). */
typedef struct {
    char *prefix;
    rpc_get_fn fn;
    void *ctx;
} rpc_route;

/* A POST route with a binary body (server_internal.h, rpc_route_post). */
typedef struct {
    char *path;
    size_t max_bytes;
    rpc_post_fn fn;
    void *ctx;
} rpc_post_route;

struct rpc_server {
    uv_loop_t *loop;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;
    uv_timer_t timer;
    unsigned handles_open; /* uv handles not closed yet; the server is freed at 0 */
    bool closing;
    /* Set by rpc_server_free before its last pass: the owners of methods,
     * routes and metrics may be freed already, so nothing is dispatched. */
    bool stopping;
    bool in_mhd_run;
    bool run_again; /* a connection was resumed during MHD_run */
    rpc_config cfg; /* with defaults filled in; bind_address not kept */
    uint16_t port;
    rpc_method methods[RPC_METHODS_MAX];
    unsigned method_count;
    rpc_route routes[RPC_ROUTES_MAX]; /* GET endpoints of other rpc/ files */
    unsigned route_count;
    rpc_post_route posts[RPC_ROUTES_MAX]; /* binary POST endpoints (POST /txs) */
    unsigned post_count;
    rpc_metrics_fn metrics_fn;
    void *metrics_ctx;
    rpc_pending *pending_head;
    unsigned pending_count;
    rpc_counters counters;
    rpc_conns conns;        /* who holds a connection (conns.h) */
    rpc_host_list hosts;    /* host names allowed besides IP literals and localhost */
};

static void drive(rpc_server *s);
static void schedule_run(rpc_server *s);
static void server_destroy(rpc_server *s);

/* ---------- errors and response objects ---------- */

void rpc_error_clear(rpc_error *err) {
    json_decref(err->data);
    err->data = NULL;
}

void rpc_error_setv(rpc_error *err, int code, json_t *data, const char *fmt, va_list ap) {
    err->code = code;
    err->data = data;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void rpc_error_set(rpc_error *err, int code, json_t *data, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    rpc_error_setv(err, code, data, fmt, ap);
    va_end(ap);
}

/* {"jsonrpc":"2.0","id":id} — id borrowed, NULL means JSON null. */
static json_t *response_base(json_t *id) {
    json_t *r = json_object();
    HANSA_ASSERT(r != NULL);
    json_object_set_new(r, "jsonrpc", json_string("2.0"));
    json_object_set(r, "id", id ? id : json_null());
    return r;
}

/* Takes err->data. Counts the error for /metrics. */
static json_t *error_response(rpc_server *s, json_t *id, rpc_error *err) {
    rpc_counters_error(&s->counters, err->code);
    json_t *e = json_object();
    HANSA_ASSERT(e != NULL);
    json_object_set_new(e, "code", json_integer(err->code));
    json_object_set_new(e, "message", json_string(err->message));
    if (err->data) json_object_set_new(e, "data", err->data);
    err->data = NULL;
    json_t *r = response_base(id);
    json_object_set_new(r, "error", e);
    return r;
}

/* Takes result. */
static json_t *result_response(json_t *id, json_t *result) {
    json_t *r = response_base(id);
    json_object_set_new(r, "result", result);
    return r;
}

rpc_outcome rpc_ok(json_t *result) {
    HANSA_ASSERT(result != NULL);
    return (rpc_outcome){.kind = RPC_OUTCOME_RESULT, .result = result};
}

rpc_outcome rpc_fail(int code, json_t *data, const char *fmt, ...) {
    rpc_outcome o = {.kind = RPC_OUTCOME_ERROR};
    va_list ap;
    va_start(ap, fmt);
    rpc_error_setv(&o.error, code, data, fmt, ap);
    va_end(ap);
    return o;
}

rpc_outcome rpc_fail_with(rpc_error *err) {
    rpc_outcome o = {.kind = RPC_OUTCOME_ERROR, .error = *err};
    err->data = NULL;
    return o;
}

/* ---------- HTTP responses ---------- */

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned status,
                                  const char *content_type, char *text, size_t len,
                                  bool close) {
    /* MHD frees text with free(): jansson and hbuf both allocate with malloc. */
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, text, text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    HANSA_ASSERT(resp != NULL);
    if (content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (close) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result queue_json(struct MHD_Connection *conn, unsigned status, json_t *body,
                                  bool close) {
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    HANSA_ASSERT(text != NULL);
    return queue_text(conn, status, "application/json", text, strlen(text), close);
}

/* A whole-request error (no call could be identified): id null. */
static enum MHD_Result queue_request_error(rpc_server *s, struct MHD_Connection *conn,
                                           unsigned status, int code, json_t *data,
                                           const char *message, bool close) {
    rpc_error err;
    rpc_error_set(&err, code, data, "%s", message);
    return queue_json(conn, status, error_response(s, NULL, &err), close);
}

static enum MHD_Result queue_plain(struct MHD_Connection *conn, unsigned status, const char *msg) {
    return queue_text(conn, status, "text/plain; charset=utf-8", hansa_strdup(msg), strlen(msg),
                      false);
}

/* max is the limit the body passed: the server's, or a binary route's lower one. */
static enum MHD_Result queue_too_large(rpc_server *s, struct MHD_Connection *conn, size_t max) {
    s->counters.too_large++;
    json_t *data = json_pack("{s:I}", "max_body_bytes", (json_int_t)max);
    /* close: the rest of the body is never read, so the connection cannot be reused. */
    return queue_request_error(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, RPC_TOO_LARGE, data,
                               "request body too large", true);
}

/* ---------- the exchange: collecting answers ---------- */

static void exchange_free(exchange *ex) {
    for (size_t i = 0; i < ex->slot_count; i++) {
        json_decref(ex->slots[i]);
        rpc_json_text_unref(ex->texts[i]);
    }
    free(ex->slots);
    free(ex->texts);
    json_decref(ex->single);
    hbuf_free(&ex->body);
    free(ex);
}

/* Stores the response (owned) of the call in slot; text (a reference
 * taken over; NULL for none) is its result, which response then lacks. */
static void exchange_fill(exchange *ex, size_t slot, json_t *response, rpc_json_text *text) {
    HANSA_ASSERT(slot < ex->slot_count);
    HANSA_ASSERT(ex->slots[slot] == NULL);
    ex->slots[slot] = response;
    ex->texts[slot] = text;
}

/* One deferred call of ex is done; when it was the last one awaited, the
 * connection is resumed and MHD calls access_handler again to send. */
static void exchange_answered(exchange *ex) {
    HANSA_ASSERT(ex->waiting > 0);
    ex->waiting--;
    if (ex->waiting > 0 || ex->dispatching) return;
    HANSA_ASSERT(ex->state == EX_WAITING);
    ex->state = EX_READY;
    MHD_resume_connection(ex->conn);
    schedule_run(ex->server);
}

/* Sends what the exchange collected: one response, an array, or 204 if every
 * call was a notification (JSON-RPC 2.0: "the Server MUST NOT return an empty
 * Array and should return nothing at all"). */
static enum MHD_Result exchange_send(exchange *ex) {
    if (ex->single) {
        json_t *single = ex->single;
        ex->single = NULL;
        return queue_json(ex->conn, ex->single_status, single, false);
    }
    /* The body is written as text so that a shared result text goes in as
     * it is: serialising one block view per waiter cost more than building
     * it did. A response object is {"jsonrpc":"2.0","id":…}; a text result
     * goes in before its closing brace. */
    hbuf body = HBUF_INIT;
    size_t answers = 0;
    if (ex->is_batch) hbuf_append(&body, "[", 1);
    for (size_t i = 0; i < ex->slot_count; i++) {
        if (!ex->slots[i]) continue;
        char *one = json_dumps(ex->slots[i], JSON_COMPACT);
        HANSA_ASSERT(one != NULL);
        size_t n = strlen(one);
        if (answers++ > 0) hbuf_append(&body, ",", 1);
        if (ex->texts[i]) {
            HANSA_ASSERT(n > 0 && one[n - 1] == '}');
            static const char key[] = ",\"result\":";
            hbuf_append(&body, one, n - 1);
            hbuf_append(&body, key, sizeof key - 1);
            hbuf_append(&body, ex->texts[i]->bytes, ex->texts[i]->len);
            hbuf_append(&body, "}", 1);
        } else {
            hbuf_append(&body, one, n);
        }
        free(one);
    }
    if (answers == 0) {
        hbuf_free(&body);
        return queue_text(ex->conn, MHD_HTTP_NO_CONTENT, NULL, NULL, 0, false);
    }
    HANSA_ASSERT(ex->is_batch || answers == 1);
    if (ex->is_batch) hbuf_append(&body, "]", 1);
    size_t len = 0;
    char *text = (char *)hbuf_take(&body, &len);
    return queue_text(ex->conn, MHD_HTTP_OK, "application/json", text, len, false);
}

/* ---------- shared result texts ---------- */

rpc_json_text *rpc_json_text_new(const json_t *value) {
    char *dump = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    HANSA_ASSERT(dump != NULL);
    size_t n = strlen(dump);
    rpc_json_text *t = hansa_malloc(sizeof *t + n);
    t->refs = 1;
    t->len = n;
    memcpy(t->bytes, dump, n);
    free(dump);
    return t;
}

rpc_json_text *rpc_json_text_ref(rpc_json_text *t) {
    HANSA_ASSERT(t != NULL && t->refs > 0);
    t->refs++;
    return t;
}

void rpc_json_text_unref(rpc_json_text *t) {
    if (!t) return;
    HANSA_ASSERT(t->refs > 0);
    if (--t->refs == 0) free(t);
}

rpc_outcome rpc_ok_text(rpc_json_text *result) {
    HANSA_ASSERT(result != NULL);
    return (rpc_outcome){.kind = RPC_OUTCOME_TEXT, .text = result};
}

/* ---------- deferred calls ---------- */

static void pending_closed(uv_handle_t *h) {
    rpc_pending *p = h->data;
    rpc_server *s = p->server;
    free(p);
    HANSA_ASSERT(s->handles_open > 0);
    s->handles_open--;
    if (s->closing && s->handles_open == 0) server_destroy(s);
}

/* Unlinks p, hands its answer (owned; NULL to drop it) to its exchange, and
 * closes its timer; p is freed when the timer has closed. */
static void pending_finish(rpc_pending *p, json_t *response, rpc_json_text *text) {
    rpc_server *s = p->server;
    if (p->prev) p->prev->next = p->next;
    else s->pending_head = p->next;
    if (p->next) p->next->prev = p->prev;
    HANSA_ASSERT(s->pending_count > 0);
    s->pending_count--;
    json_decref(p->id);
    p->id = NULL;
    exchange *ex = p->ex;
    p->ex = NULL;
    if (ex) {
        if (response) exchange_fill(ex, p->slot, response, text);
        else rpc_json_text_unref(text);
        exchange_answered(ex);
    } else {
        json_decref(response);
        rpc_json_text_unref(text);
    }
    uv_close((uv_handle_t *)&p->timer, pending_closed);
}

/* The server gives up p: the owner is told, then the caller gets err. */
static void pending_abandon(rpc_pending *p, int code, const char *message) {
    p->cancel(p, p->cancel_ctx);
    rpc_error err;
    rpc_error_set(&err, code, NULL, "%s", message);
    json_t *resp = p->id ? error_response(p->server, p->id, &err) : NULL;
    pending_finish(p, resp, NULL);
}

/* The client of p is gone: the owner is told, and there is no answer. */
static void pending_drop(rpc_pending *p) {
    p->cancel(p, p->cancel_ctx);
    pending_finish(p, NULL, NULL);
}

static void on_pending_timeout(uv_timer_t *t) {
    rpc_pending *p = t->data;
    p->server->counters.timeouts++;
    pending_abandon(p, RPC_TIMEOUT, "timed out waiting for the answer");
}

rpc_outcome rpc_defer(rpc_call *call, uint64_t timeout_ms, rpc_cancel_fn cancel,
                      void *cancel_ctx, rpc_pending **out) {
    HANSA_ASSERT(call != NULL);
    HANSA_ASSERT(!call->deferred);
    HANSA_ASSERT(cancel != NULL);
    HANSA_ASSERT(timeout_ms > 0);
    rpc_server *s = call->ex->server;
    *out = NULL;
    if (s->pending_count >= s->cfg.max_pending) {
        return rpc_fail(RPC_BUSY, json_pack("{s:I}", "max_pending", (json_int_t)s->cfg.max_pending),
                        "too many pending calls");
    }
    rpc_pending *p = hansa_calloc(1, sizeof *p);
    p->server = s;
    p->ex = call->ex;
    p->slot = call->slot;
    p->id = call->id ? json_incref(call->id) : NULL;
    p->cancel = cancel;
    p->cancel_ctx = cancel_ctx;
    HANSA_ASSERT(uv_timer_init(s->loop, &p->timer) == 0);
    p->timer.data = p;
    s->handles_open++;
    HANSA_ASSERT(uv_timer_start(&p->timer, on_pending_timeout, timeout_ms, 0) == 0);
    p->next = s->pending_head;
    if (p->next) p->next->prev = p;
    s->pending_head = p;
    s->pending_count++;
    call->ex->waiting++;
    call->deferred = true;
    *out = p;
    return (rpc_outcome){.kind = RPC_OUTCOME_PENDING};
}

void rpc_reply(rpc_pending *p, json_t *result) {
    HANSA_ASSERT(p != NULL);
    HANSA_ASSERT(result != NULL);
    json_t *resp = NULL;
    if (p->id) resp = result_response(p->id, result);
    else json_decref(result);
    pending_finish(p, resp, NULL);
}

void rpc_reply_text(rpc_pending *p, rpc_json_text *result) {
    HANSA_ASSERT(p != NULL);
    HANSA_ASSERT(result != NULL);
    json_t *resp = NULL;
    if (p->id) resp = response_base(p->id);
    pending_finish(p, resp, rpc_json_text_ref(result));
}

void rpc_reply_error(rpc_pending *p, int code, json_t *data, const char *fmt, ...) {
    HANSA_ASSERT(p != NULL);
    rpc_error err;
    va_list ap;
    va_start(ap, fmt);
    rpc_error_setv(&err, code, data, fmt, ap);
    va_end(ap);
    json_t *resp = NULL;
    if (p->id) resp = error_response(p->server, p->id, &err);
    else rpc_error_clear(&err);
    pending_finish(p, resp, NULL);
}

/* ---------- dispatch ---------- */

static const rpc_method *method_find(const rpc_server *s, const char *name) {
    for (unsigned i = 0; i < s->method_count; i++)
        if (strcmp(s->methods[i].name, name) == 0) return &s->methods[i];
    return NULL;
}

/* Checks the request object's shape (JSON-RPC 2.0 section 4). On success
 * sets *method, *params (NULL if absent) and *id (NULL for a notification).
 * On failure fills err; *id is then the request's id if it had a valid one. */
static bool request_check(json_t *req, const char **method, json_t **params, json_t **id,
                          rpc_error *err) {
    *id = NULL;
    if (!json_is_object(req)) {
        rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "request must be a JSON object");
        return false;
    }
    json_t *idv = json_object_get(req, "id");
    if (idv && !json_is_string(idv) && !json_is_number(idv) && !json_is_null(idv)) {
        rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "\"id\" must be a string, number or null");
        return false;
    }
    *id = idv;
    json_t *ver = json_object_get(req, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "\"jsonrpc\" must be exactly \"2.0\"");
        return false;
    }
    json_t *m = json_object_get(req, "method");
    if (!json_is_string(m)) {
        rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "\"method\" must be a string");
        return false;
    }
    *method = json_string_value(m);
    *params = json_object_get(req, "params");
    if (*params && !json_is_object(*params) && !json_is_array(*params)) {
        rpc_error_set(err, RPC_INVALID_REQUEST, NULL, "\"params\" must be an object or array");
        return false;
    }
    return true;
}

/* Runs one call and puts its response in ex's slot (or defers it). An invalid
 * request is answered even without an id: JSON-RPC cannot tell it is a
 * notification. */
static void dispatch_one(exchange *ex, size_t slot, json_t *req) {
    rpc_server *s = ex->server;
    s->counters.calls++;
    const char *name = NULL;
    json_t *params = NULL, *id = NULL;
    rpc_error err;
    if (!request_check(req, &name, &params, &id, &err)) {
        exchange_fill(ex, slot, error_response(s, id, &err), NULL);
        return;
    }
    const rpc_method *m = method_find(s, name);
    if (!m) {
        if (!id) return;
        rpc_error_set(&err, RPC_METHOD_NOT_FOUND, json_pack("{s:s}", "method", name),
                      "method not found");
        exchange_fill(ex, slot, error_response(s, id, &err), NULL);
        return;
    }
    if (s->stopping) {
        rpc_error_set(&err, RPC_SHUTTING_DOWN, NULL, "server shutting down");
        if (id) exchange_fill(ex, slot, error_response(s, id, &err), NULL);
        return;
    }
    rpc_call call = {.ex = ex, .slot = slot, .id = id};
    rpc_outcome o = m->fn(&call, params, m->ctx);
    switch (o.kind) {
    case RPC_OUTCOME_RESULT:
        HANSA_ASSERT(!call.deferred);
        HANSA_ASSERT(o.result != NULL);
        if (id) exchange_fill(ex, slot, result_response(id, o.result), NULL);
        else json_decref(o.result);
        return;
    case RPC_OUTCOME_TEXT:
        HANSA_ASSERT(!call.deferred);
        if (id) exchange_fill(ex, slot, response_base(id), o.text);
        else rpc_json_text_unref(o.text);
        return;
    case RPC_OUTCOME_ERROR:
        HANSA_ASSERT(!call.deferred);
        if (id) exchange_fill(ex, slot, error_response(s, id, &o.error), NULL);
        else rpc_error_clear(&o.error);
        return;
    case RPC_OUTCOME_PENDING:
        HANSA_ASSERT(call.deferred);
        return;
    }
    HANSA_UNREACHABLE();
}

/* Sets ex->single to a whole-body error. */
static void exchange_fail(exchange *ex, int code, json_t *data, const char *message) {
    rpc_error err;
    rpc_error_set(&err, code, data, "%s", message);
    ex->single = error_response(ex->server, NULL, &err);
}

/* Parses the body and dispatches every call in it. */
static void exchange_dispatch(exchange *ex) {
    json_error_t jerr;
    json_t *root = json_loadb((const char *)ex->body.data, ex->body.len,
                              JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    hbuf_free(&ex->body);
    if (!root) {
        json_t *data = json_pack("{s:i,s:i,s:i,s:s}", "line", jerr.line, "column", jerr.column,
                                 "position", jerr.position, "reason", jerr.text);
        exchange_fail(ex, RPC_PARSE_ERROR, data, "parse error");
        return;
    }
    ex->is_batch = json_is_array(root);
    size_t n = ex->is_batch ? json_array_size(root) : 1;
    if (ex->is_batch && n == 0) {
        exchange_fail(ex, RPC_INVALID_REQUEST, NULL, "empty batch");
    } else if (n > ex->server->cfg.max_batch) {
        exchange_fail(ex, RPC_INVALID_REQUEST,
                      json_pack("{s:I}", "max_batch", (json_int_t)ex->server->cfg.max_batch),
                      "batch too large");
    } else {
        ex->slot_count = n;
        ex->slots = hansa_calloc(n, sizeof *ex->slots);
        ex->texts = hansa_calloc(n, sizeof *ex->texts);
        ex->dispatching = true;
        for (size_t i = 0; i < n; i++)
            dispatch_one(ex, i, ex->is_batch ? json_array_get(root, i) : root);
        ex->dispatching = false;
    }
    json_decref(root);
}

/* Hands a binary route's whole body to its handler: one call, counted as
 * one, whose answer is the whole reply (ex->single), with the HTTP status
 * the handler chose for a refusal. */
static void exchange_post(exchange *ex) {
    rpc_server *s = ex->server;
    s->counters.calls++;
    rpc_outcome o;
    unsigned status = MHD_HTTP_OK;
    bool still = false;
    for (unsigned i = 0; i < s->post_count && !still; i++)
        still = s->posts[i].fn == ex->post_fn && s->posts[i].ctx == ex->post_ctx;
    if (s->stopping || !still) {
        /* The route's owner is gone or going: the node is shutting down. */
        o = rpc_fail(RPC_SHUTTING_DOWN, NULL, "server shutting down");
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
    } else {
        o = ex->post_fn(ex->body.data, ex->body.len, s->cfg.max_batch, &status, ex->post_ctx);
    }
    hbuf_free(&ex->body);
    switch (o.kind) {
    case RPC_OUTCOME_RESULT:
        HANSA_ASSERT(status == MHD_HTTP_OK);
        ex->single = result_response(NULL, o.result);
        break;
    case RPC_OUTCOME_ERROR:
        HANSA_ASSERT(status >= 400 && status < 600);
        ex->single = error_response(s, NULL, &o.error);
        break;
    case RPC_OUTCOME_TEXT:
    case RPC_OUTCOME_PENDING:
        /* A binary route answers at once, as a JSON object. */
        HANSA_UNREACHABLE();
    }
    ex->single_status = status;
}

/* ---------- routing (MHD callbacks) ---------- */

/* Whether ct is the media type want (n characters), parameters allowed. */
static bool is_content_type(const char *ct, const char *want, size_t n) {
    if (!ct || strncasecmp(ct, want, n) != 0) return false;
    char next = ct[n];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

static bool is_json_content_type(const char *ct) {
    static const char want[] = "application/json";
    return is_content_type(ct, want, sizeof want - 1);
}

static bool is_binary_content_type(const char *ct) {
    static const char want[] = "application/octet-stream";
    return is_content_type(ct, want, sizeof want - 1);
}

static enum MHD_Result serve_metrics(rpc_server *s, struct MHD_Connection *conn) {
    hbuf out = HBUF_INIT;
    rpc_counters_write(&s->counters, &s->conns.counters, s->pending_count, conns_open(&s->conns),
                       &out);
    if (s->metrics_fn) s->metrics_fn(&out, s->metrics_ctx);
    size_t len = 0;
    char *text = (char *)hbuf_take(&out, &len);
    return queue_text(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len,
                      false);
}

static const rpc_post_route *post_route_find(const rpc_server *s, const char *url) {
    for (unsigned i = 0; i < s->post_count; i++)
        if (strcmp(url, s->posts[i].path) == 0) return &s->posts[i];
    return NULL;
}

static const rpc_route *route_find(const rpc_server *s, const char *url) {
    for (unsigned i = 0; i < s->route_count; i++)
        if (strncmp(url, s->routes[i].prefix, strlen(s->routes[i].prefix)) == 0) return &s->routes[i];
    return NULL;
}

/* The book's record of conn (set when MHD started it). */
static rpc_conn *conn_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    HANSA_ASSERT(i != NULL && i->socket_context != NULL);
    return i->socket_context;
}

const char *rpc_call_client(const rpc_call *call) { return conn_of(call->ex->conn)->client; }

unsigned rpc_call_max_items(const rpc_call *call) {
    return call->ex->slot_count == 1 ? call->ex->server->cfg.max_batch : 0;
}

/* The first call for a request: check its headers (rpc_request_check_headers,
 * for every path), route it, and for POST / check the content headers and
 * set up its exchange. */

static enum MHD_Result request_begin(rpc_server *s, struct MHD_Connection *conn, const char *url,
                                     const char *method, void **con_cls) {
    s->counters.http_requests++;
    rpc_conn *rc = conn_of(conn);
    conns_phase(rc, CONN_RESPONDING); /* until an exchange below says otherwise */
    rpc_error herr;
    unsigned status = rpc_request_check_headers(conn, &s->hosts, &herr);
    if (status != 0) {
        s->counters.requests_refused++;
        return queue_json(conn, status, error_response(s, NULL, &herr), true);
    }
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    if (s->stopping && get) return queue_plain(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
    if (strcmp(url, "/health") == 0 && get) return queue_plain(conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/metrics") == 0 && get) return serve_metrics(s, conn);
    const rpc_route *route = get ? route_find(s, url) : NULL;
    if (route) return route->fn(conn, url, route->ctx);
    const rpc_post_route *pr = post_route_find(s, url);
    if (strcmp(url, "/") != 0 && !pr) return queue_plain(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!post) return queue_plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!pr && !is_json_content_type(ct)) {
        return queue_request_error(s, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, RPC_INVALID_REQUEST,
                                   NULL, "content type must be application/json", true);
    }
    if (pr && !is_binary_content_type(ct)) {
        return queue_request_error(s, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, RPC_INVALID_REQUEST,
                                   json_pack("{s:s}", "path", pr->path),
                                   "content type must be application/octet-stream", true);
    }
    size_t max_body = s->cfg.max_body_bytes;
    if (pr && pr->max_bytes < max_body) max_body = pr->max_bytes;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    /* MHD has already rejected a malformed Content-Length with 400. */
    if (cl && strtoull(cl, NULL, 10) > max_body) return queue_too_large(s, conn, max_body);
    exchange *ex = hansa_calloc(1, sizeof *ex);
    ex->server = s;
    ex->conn = conn;
    ex->state = EX_BODY;
    ex->post_fn = pr ? pr->fn : NULL;
    ex->post_ctx = pr ? pr->ctx : NULL;
    ex->max_body = max_body;
    ex->single_status = MHD_HTTP_OK;
    *con_cls = ex;
    rc->exchange = ex;
    conns_phase(rc, CONN_REQUEST);
    return MHD_YES;
}

/* A piece of the body: kept while under the limit, else dropped unread.
 * MHD (0.9.75) cannot send a response before the body is read, so a chunked
 * body that outgrows the limit is drained and answered 413 at its end; one
 * that goes on past twice the limit is cut off (returns false: MHD closes the
 * connection without a reply), so draining stays bounded too. */
static bool request_body(exchange *ex, const char *data, size_t *size) {
    size_t max = ex->max_body;
    size_t n = *size;
    *size = 0;
    if (!ex->too_large && n <= max - ex->body.len) {
        hbuf_append(&ex->body, data, n);
        return true;
    }
    if (!ex->too_large) {
        ex->too_large = true;
        ex->dropped_bytes = ex->body.len;
        hbuf_free(&ex->body);
    }
    ex->dropped_bytes += n;
    return ex->dropped_bytes <= 2 * max;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls) {
    (void)version;
    rpc_server *s = cls;
    exchange *ex = *con_cls;
    if (!ex) return request_begin(s, conn, url, method, con_cls);
    if (*upload_data_size > 0) {
        HANSA_ASSERT(ex->state == EX_BODY);
        if (request_body(ex, upload_data, upload_data_size)) return MHD_YES;
        ex->server->counters.too_large++;
        return MHD_NO;
    }
    rpc_conn *rc = conn_of(conn);
    switch (ex->state) {
    case EX_BODY:
        conns_phase(rc, CONN_RESPONDING);
        if (ex->too_large) return queue_too_large(s, conn, ex->max_body);
        if (ex->post_fn) exchange_post(ex);
        else exchange_dispatch(ex);
        if (ex->waiting > 0) {
            ex->state = EX_WAITING;
            conns_phase(rc, CONN_WAITING);
            MHD_suspend_connection(conn);
            return MHD_YES;
        }
        ex->state = EX_READY;
        return exchange_send(ex);
    case EX_WAITING:
        /* MHD only calls back a suspended request once it is resumed. */
        HANSA_UNREACHABLE();
    case EX_READY:
        conns_phase(rc, CONN_RESPONDING);
        return exchange_send(ex);
    }
    HANSA_UNREACHABLE();
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
    (void)toe;
    rpc_server *s = cls;
    /* The connection is free for its next request (keep-alive). */
    rpc_conn *rc = conn_of(conn);
    rc->exchange = NULL;
    conns_phase(rc, CONN_IDLE);
    exchange *ex = *con_cls;
    if (!ex) return;
    *con_cls = NULL;
    /* A request can end while calls are still deferred only if MHD drops it
     * (daemon stop); their answers then have nowhere to go. */
    for (rpc_pending *p = s->pending_head; ex->waiting > 0 && p; p = p->next) {
        if (p->ex != ex) continue;
        p->ex = NULL;
        ex->waiting--;
    }
    exchange_free(ex);
}

/* MHD started or closed a connection: the book (conns.h) follows. At its
 * connection limit MHD takes its listening socket out of its epoll set and
 * puts it back only at the start of a later MHD_run; without another run
 * after a connection closes, new clients would wait in the kernel's backlog
 * until some unrelated event woke us. */
static void connection_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                              enum MHD_ConnectionNotificationCode code) {
    rpc_server *s = cls;
    switch (code) {
    case MHD_CONNECTION_NOTIFY_STARTED: {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        HANSA_ASSERT(fd != NULL && addr != NULL);
        *socket_ctx = conns_started(&s->conns, conn, fd->connect_fd, addr->client_addr);
        s->handles_open++;
        return;
    }
    case MHD_CONNECTION_NOTIFY_CLOSED:
        conns_closing(&s->conns, *socket_ctx);
        *socket_ctx = NULL;
        schedule_run(s);
        return;
    }
    HANSA_UNREACHABLE();
}

/* Accept policy (conns.h): slots per client, the operators' reserve, and
 * taking an idle or slow connection's slot when all are taken. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len) {
    rpc_server *s = cls;
    return conns_admit(&s->conns, addr, len) ? MHD_YES : MHD_NO;
}

/* The client of c left while c waited for deferred answers: drop them (the
 * owners are told), so the calls do not linger until their deadline. */
static void client_gone(void *cls, rpc_conn *c) {
    rpc_server *s = cls;
    exchange *ex = c->exchange;
    if (!ex) return;
    rpc_pending *p = s->pending_head;
    while (p && ex->waiting > 0) {
        rpc_pending *next = p->next;
        if (p->ex == ex) pending_drop(p);
        p = next;
    }
}

static void conn_handle_closed(void *cls) {
    rpc_server *s = cls;
    HANSA_ASSERT(s->handles_open > 0);
    s->handles_open--;
    if (s->closing && s->handles_open == 0) server_destroy(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    /* Debug level: most of these are about misbehaving clients ("closed
     * with incomplete request"), which must not flood the node's log. */
    LOG_D("rpc", "http: %s", line);
}

/* ---------- driving MHD from libuv ---------- */

static void on_mhd_timer(uv_timer_t *t) { drive(t->data); }

static void on_mhd_poll(uv_poll_t *p, int status, int events) {
    (void)events;
    if (status < 0) LOG_W("rpc", "poll on the http epoll fd: %s", uv_strerror(status));
    drive(p->data);
}

/* Makes MHD run again soon, after a connection was resumed. MHD signals
 * itself through its epoll fd on resume, but a resume that happens inside
 * MHD_run (one request answering another's long-poll) can be consumed by that
 * same run before the resumed connection is looked at, so we do not rely on it. */
static void schedule_run(rpc_server *s) {
    if (s->closing) return;
    if (s->in_mhd_run) {
        s->run_again = true;
        return;
    }
    HANSA_ASSERT(uv_timer_start(&s->timer, on_mhd_timer, 0, 0) == 0);
}

static void mhd_run_once(rpc_server *s) {
    HANSA_ASSERT(!s->in_mhd_run);
    s->in_mhd_run = true;
    MHD_run(s->mhd);
    s->in_mhd_run = false;
}

/* Lets MHD do all it can now, then arms the timer for its next deadline. */
static void drive(rpc_server *s) {
    if (s->closing) return;
    mhd_run_once(s);
    MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
    if (s->run_again) {
        s->run_again = false;
        HANSA_ASSERT(uv_timer_start(&s->timer, on_mhd_timer, 0, 0) == 0);
    } else if (MHD_get_timeout(s->mhd, &timeout_ms) == MHD_YES)
        HANSA_ASSERT(uv_timer_start(&s->timer, on_mhd_timer, timeout_ms, 0) == 0);
    else
        uv_timer_stop(&s->timer);
}

/* ---------- life cycle ---------- */

static void config_defaults(rpc_config *c) {
    if (c->max_body_bytes == 0) c->max_body_bytes = RPC_DEFAULT_MAX_BODY_BYTES;
    if (c->max_connections == 0) c->max_connections = RPC_DEFAULT_MAX_CONNECTIONS;
    if (c->max_batch == 0) c->max_batch = RPC_DEFAULT_MAX_BATCH;
    if (c->max_pending == 0) c->max_pending = RPC_DEFAULT_MAX_PENDING;
    if (c->idle_timeout_s == 0) c->idle_timeout_s = RPC_DEFAULT_IDLE_TIMEOUT_S;
    if (c->max_per_client == 0) c->max_per_client = RPC_DEFAULT_MAX_PER_CLIENT;
    if (c->operator_reserve == 0) c->operator_reserve = RPC_DEFAULT_OPERATOR_RESERVE;
    if (c->slow_request_ms == 0) c->slow_request_ms = RPC_DEFAULT_SLOW_REQUEST_MS;
}

static hansa_err start_daemon(rpc_server *s, const char *address) {
    struct sockaddr_storage sa;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (uv_ip4_addr(address, s->cfg.port, (struct sockaddr_in *)&sa) != 0) {
        if (uv_ip6_addr(address, s->cfg.port, (struct sockaddr_in6 *)&sa) != 0) {
            LOG_E("rpc", "bind address '%s' is not an IPv4 or IPv6 literal", address);
            return HANSA_ERR_CONFIG;
        }
        flags |= MHD_USE_IPv6;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
        LOG_E("rpc", "libmicrohttpd was built without epoll, which the rpc server needs");
        return HANSA_ERR_CONFIG;
    }
    /* The logger goes first so that MHD reports problems with the other
     * options through it too. */
    /* The book (conns.h) holds connections to max_connections plus the
     * operators' reserve; MHD's own limit leaves room past that for the
     * connections the book has shut down and MHD has yet to close. */
    unsigned mhd_limit = 2 * s->cfg.max_connections + s->cfg.operator_reserve;
    s->mhd = MHD_start_daemon(flags, s->cfg.port, accept_policy, s, access_handler, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                              MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
                              MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.idle_timeout_s,
                              MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
                              MHD_OPTION_NOTIFY_CONNECTION, connection_notify, s,
                              MHD_OPTION_END);
    if (!s->mhd) {
        LOG_E("rpc", "cannot listen on %s port %u: %s", address, (unsigned)s->cfg.port,
              strerror(errno));
        return HANSA_ERR_IO;
    }
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    HANSA_ASSERT(port != NULL);
    s->port = port->port;
    return HANSA_OK;
}

hansa_err rpc_server_new(uv_loop_t *loop, const rpc_config *config, rpc_server **out) {
    HANSA_ASSERT(loop != NULL);
    HANSA_ASSERT(config != NULL);
    *out = NULL;
    rpc_server *s = hansa_calloc(1, sizeof *s);
    s->loop = loop;
    s->cfg = *config;
    s->cfg.bind_address = NULL;
    s->cfg.allowed_hosts = NULL;
    config_defaults(&s->cfg);
    rpc_host_list_init(&s->hosts, config->allowed_hosts, config->n_allowed_hosts);
    conns_init(&s->conns, loop, s->cfg.max_connections, s->cfg.max_per_client,
               s->cfg.operator_reserve, s->cfg.slow_request_ms, client_gone, conn_handle_closed, s);
    hansa_err e = start_daemon(s, config->bind_address ? config->bind_address : RPC_DEFAULT_ADDRESS);
    if (e != HANSA_OK) {
        rpc_host_list_free(&s->hosts);
        free(s);
        return e;
    }
    const union MHD_DaemonInfo *ep = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    HANSA_ASSERT(ep != NULL);
    HANSA_ASSERT(uv_poll_init(loop, &s->poll, ep->epoll_fd) == 0);
    HANSA_ASSERT(uv_timer_init(loop, &s->timer) == 0);
    s->poll.data = s;
    s->timer.data = s;
    s->handles_open = 2;
    HANSA_ASSERT(uv_poll_start(&s->poll, UV_READABLE, on_mhd_poll) == 0);
    drive(s);
    LOG_I("rpc", "listening on port %u", (unsigned)s->port);
    *out = s;
    return HANSA_OK;
}

static void server_destroy(rpc_server *s) {
    HANSA_ASSERT(s->closing);
    HANSA_ASSERT(s->handles_open == 0);
    HANSA_ASSERT(s->pending_head == NULL);
    for (unsigned i = 0; i < s->route_count; i++) free(s->routes[i].prefix);
    for (unsigned i = 0; i < s->post_count; i++) free(s->posts[i].path);
    for (unsigned i = 0; i < s->method_count; i++) free(s->methods[i].name);
    rpc_host_list_free(&s->hosts);
    free(s);
}

static void server_handle_closed(uv_handle_t *h) {
    rpc_server *s = h->data;
    HANSA_ASSERT(s->handles_open > 0);
    s->handles_open--;
    if (s->handles_open == 0) server_destroy(s);
}

void rpc_server_free(rpc_server *s) {
    if (!s) return;
    HANSA_ASSERT(!s->closing);
    /* Stopping MHD from inside its own callback would pull the connection
     * out from under it: a handler must not free the server. */
    HANSA_ASSERT(!s->in_mhd_run);
    s->stopping = true;
    while (s->pending_head)
        pending_abandon(s->pending_head, RPC_SHUTTING_DOWN, "server shutting down");
    /* One more pass lets the resumed connections send their -32006 answers
     * (best effort: if a socket cannot take the bytes now, they are lost). */
    mhd_run_once(s);
    s->closing = true;
    uv_close((uv_handle_t *)&s->poll, server_handle_closed);
    uv_close((uv_handle_t *)&s->timer, server_handle_closed);
    /* uv_close stopped watching the epoll fd, so MHD may close it now. */
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}

uint16_t rpc_server_port(const rpc_server *s) { return s->port; }

uv_loop_t *rpc_server_loop(const rpc_server *s) { return s->loop; }

unsigned rpc_server_pending_count(const rpc_server *s) { return s->pending_count; }

void rpc_register(rpc_server *s, const char *method, rpc_handler handler, void *ctx) {
    HANSA_ASSERT(method != NULL);
    HANSA_ASSERT(handler != NULL);
    HANSA_ASSERT(strncmp(method, "rpc.", 4) != 0);
    HANSA_ASSERT(method_find(s, method) == NULL);
    HANSA_ASSERT(s->method_count < RPC_METHODS_MAX);
    s->methods[s->method_count++] = (rpc_method){hansa_strdup(method), handler, ctx};
}

void rpc_set_metrics(rpc_server *s, rpc_metrics_fn fn, void *ctx) {
    s->metrics_fn = fn;
    s->metrics_ctx = ctx;
}

/* ---------- routes of the other endpoints (server_internal.h) ---------- */

void rpc_route_get(rpc_server *s, const char *prefix, rpc_get_fn fn, void *ctx) {
    HANSA_ASSERT(prefix != NULL && prefix[0] == '/');
    HANSA_ASSERT(fn != NULL);
    HANSA_ASSERT(s->route_count < RPC_ROUTES_MAX);
    s->routes[s->route_count++] = (rpc_route){hansa_strdup(prefix), fn, ctx};
}

void rpc_route_post(rpc_server *s, const char *path, size_t max_bytes, rpc_post_fn fn, void *ctx) {
    HANSA_ASSERT(path != NULL && path[0] == '/' && strcmp(path, "/") != 0);
    HANSA_ASSERT(fn != NULL);
    HANSA_ASSERT(max_bytes > 0);
    HANSA_ASSERT(post_route_find(s, path) == NULL);
    HANSA_ASSERT(s->post_count < RPC_ROUTES_MAX);
    s->posts[s->post_count++] = (rpc_post_route){hansa_strdup(path), max_bytes, fn, ctx};
}

void rpc_route_remove(rpc_server *s, void *ctx) {
    unsigned kept = 0;
    for (unsigned i = 0; i < s->route_count; i++) {
        if (s->routes[i].ctx == ctx) free(s->routes[i].prefix);
        else s->routes[kept++] = s->routes[i];
    }
    s->route_count = kept;
    kept = 0;
    for (unsigned i = 0; i < s->post_count; i++) {
        if (s->posts[i].ctx == ctx) free(s->posts[i].path);
        else s->posts[kept++] = s->posts[i];
    }
    s->post_count = kept;
}

void rpc_server_wake(rpc_server *s) { schedule_run(s); }
