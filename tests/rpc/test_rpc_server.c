/* Tests of rpc/server: a real server on an ephemeral loopback port, driven
 * by its own libuv loop in a second thread, and hit with real HTTP from a
 * plain blocking POSIX socket client in the test's thread.
 *
 * The test methods run on the loop's thread; what the test thread reads of
 * their state is atomic. Each test starts its own server, so one test's
 * leftovers cannot pass or fail another. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/err.h"
#include "base/rng.h"
#include "rpc/server.h"
#include "rpc/server_internal.h"
#include "check.h"

/* ---------- the server under test ---------- */

#define WAITERS_MAX 8

typedef struct {
    rpc_pending *waiters[WAITERS_MAX]; /* long-poll calls parked by "wait" */
    atomic_int waiting;                /* how many are parked */
    atomic_int cancelled;              /* cancel callbacks seen */
    atomic_int notified;               /* "count" calls seen */
} test_ctx;

typedef struct {
    rpc_pending *pending;
    uv_timer_t timer;
} delayed_call;

typedef struct {
    uv_loop_t loop;
    uv_async_t stop;
    unsigned stop_delay_us; /* on_stop sleeps first: requests pile up unread */
    rpc_server *server;
    pthread_t thread;
    uint16_t port;
    test_ctx ctx;
} fixture;

static rpc_outcome m_echo(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)ctx;
    return rpc_ok(params ? json_incref(params) : json_null());
}

/* "u64": {"v": u64, "flag"?: bool, "name"?: string, "h"?: 4 hex bytes} -> the
 * same values back, v as a decimal string. */
static rpc_outcome m_u64(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)ctx;
    uint64_t v = 0;
    bool flag = false;
    const char *name = "none";
    uint8_t h[4] = {0};
    rpc_error err;
    if (!rpc_param_u64(params, "v", true, &v, &err) ||
        !rpc_param_bool(params, "flag", false, &flag, &err) ||
        !rpc_param_string(params, "name", false, &name, &err) ||
        !rpc_param_hex(params, "h", false, h, sizeof h, &err))
        return rpc_fail_with(&err);
    char dec[24];
    snprintf(dec, sizeof dec, "%" PRIu64, v);
    return rpc_ok(json_pack("{s:s,s:b,s:s,s:i}", "v", dec, "flag", flag, "name", name, "h0",
                            h[0]));
}

/* "bytes": {"b": hex of at most 8 bytes} -> its length; no other params. */
static rpc_outcome m_bytes(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)ctx;
    static const char *const known[] = {"b", NULL};
    uint8_t *b = NULL;
    size_t len = 0;
    rpc_error err;
    if (!rpc_params_only(params, known, &err) ||
        !rpc_param_bytes(params, "b", true, 8, &b, &len, &err))
        return rpc_fail_with(&err);
    json_t *r = json_pack("{s:i,s:i}", "len", (int)len, "last", len ? b[len - 1] : -1);
    free(b);
    return rpc_ok(r);
}

static rpc_outcome m_fail(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)params, (void)ctx;
    return rpc_fail(RPC_NOT_FOUND, json_pack("{s:s}", "what", "block"), "block %d not found", 9);
}

static rpc_outcome m_count(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)params;
    test_ctx *t = ctx;
    atomic_fetch_add(&t->notified, 1);
    return rpc_ok(json_integer(atomic_load(&t->notified)));
}

static void delayed_closed(uv_handle_t *h) { free(h->data); }

static void delayed_fire(uv_timer_t *timer) {
    delayed_call *d = timer->data;
    rpc_reply(d->pending, json_pack("{s:b}", "delayed", 1));
    uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void delayed_cancel(rpc_pending *p, void *arg) {
    (void)p;
    delayed_call *d = arg;
    uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

/* "delayed": answers 20 ms later from a timer of the loop. */
static rpc_outcome m_delayed(rpc_call *call, json_t *params, void *ctx) {
    (void)params;
    fixture *f = ctx;
    delayed_call *d = calloc(1, sizeof *d);
    rpc_outcome o = rpc_defer(call, 5000, delayed_cancel, d, &d->pending);
    if (!d->pending) {
        free(d);
        return o;
    }
    uv_timer_init(&f->loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, delayed_fire, 20, 0);
    return o;
}

static void waiter_cancel(rpc_pending *p, void *arg) {
    test_ctx *t = arg;
    for (int i = 0; i < WAITERS_MAX; i++)
        if (t->waiters[i] == p) t->waiters[i] = NULL;
    atomic_fetch_sub(&t->waiting, 1);
    atomic_fetch_add(&t->cancelled, 1);
}

/* "wait": parks the call until a "poke" (long-poll). */
static rpc_outcome m_wait(rpc_call *call, json_t *params, void *ctx) {
    (void)params;
    test_ctx *t = ctx;
    int slot = 0;
    while (slot < WAITERS_MAX && t->waiters[slot]) slot++;
    if (slot == WAITERS_MAX) return rpc_fail(RPC_INTERNAL_ERROR, NULL, "test: waiters full");
    rpc_outcome o = rpc_defer(call, 10000, waiter_cancel, t, &t->waiters[slot]);
    if (t->waiters[slot]) atomic_fetch_add(&t->waiting, 1);
    return o;
}

/* "poke": answers every parked "wait" with params.value (with params.text,
 * as one shared text {"v": value, "s": "é\n"} each); returns how many. */
static rpc_outcome m_poke(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    test_ctx *t = ctx;
    uint64_t value = 0;
    bool as_text = false;
    rpc_error err;
    if (!rpc_param_u64(params, "value", true, &value, &err) ||
        !rpc_param_bool(params, "text", false, &as_text, &err))
        return rpc_fail_with(&err);
    json_t *v = json_pack("{s:I, s:s}", "v", (json_int_t)value, "s", "\xc3\xa9\n");
    rpc_json_text *shared = rpc_json_text_new(v);
    json_decref(v);
    int woken = 0;
    for (int i = 0; i < WAITERS_MAX; i++) {
        if (!t->waiters[i]) continue;
        if (as_text) rpc_reply_text(t->waiters[i], shared);
        else rpc_reply(t->waiters[i], json_integer((json_int_t)value));
        t->waiters[i] = NULL;
        atomic_fetch_sub(&t->waiting, 1);
        woken++;
    }
    rpc_json_text_unref(shared);
    return rpc_ok(json_integer(woken));
}

/* "text": the shared text ["a", {"b": params.n}] as its result. */
static rpc_outcome m_text(rpc_call *call, json_t *params, void *ctx) {
    (void)call, (void)ctx;
    uint64_t n = 0;
    rpc_error err;
    if (!rpc_param_u64(params, "n", true, &n, &err)) return rpc_fail_with(&err);
    json_t *v = json_pack("[s, {s:I}]", "a", "b", (json_int_t)n);
    rpc_json_text *t = rpc_json_text_new(v);
    json_decref(v);
    return rpc_ok_text(t);
}

static void never_cancel(rpc_pending *p, void *arg) {
    (void)p;
    test_ctx *t = arg;
    atomic_fetch_add(&t->cancelled, 1);
}

/* "never": defers for params.timeout_ms and never answers. */
static rpc_outcome m_never(rpc_call *call, json_t *params, void *ctx) {
    uint64_t timeout_ms = 50;
    rpc_error err;
    if (!rpc_param_u64(params, "timeout_ms", false, &timeout_ms, &err)) return rpc_fail_with(&err);
    rpc_pending *p;
    return rpc_defer(call, timeout_ms, never_cancel, ctx, &p);
}

/* The binary route POST /bin (at most BIN_MAX bytes): answers the body's
 * length and max_items, or refuses a body that starts with 'x' with 400. */
#define BIN_MAX 100
static rpc_outcome bin_route(const uint8_t *body, size_t len, unsigned max_items,
                             unsigned *http_status, void *ctx) {
    (void)ctx;
    if (len > 0 && body[0] == 'x') {
        *http_status = 400;
        return rpc_fail(RPC_INVALID_REQUEST, NULL, "starts with x at byte %d", 0);
    }
    return rpc_ok(json_pack("{s:I, s:I}", "len", (json_int_t)len, "max_items", (json_int_t)max_items));
}

static void app_metrics(hbuf *out, void *ctx) {
    (void)ctx;
    rpc_metrics_printf(out, "# TYPE test_app_metric gauge\ntest_app_metric %d\n", 42);
}

static void on_stop(uv_async_t *a) {
    fixture *f = a->data;
    if (f->stop_delay_us) usleep(f->stop_delay_us);
    rpc_server_free(f->server);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void *loop_thread(void *arg) {
    fixture *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static fixture *server_start(const rpc_config *cfg) {
    fixture *f = calloc(1, sizeof *f);
    HANSA_ASSERT(uv_loop_init(&f->loop) == 0);
    HANSA_ASSERT(rpc_server_new(&f->loop, cfg, &f->server) == HANSA_OK);
    f->port = rpc_server_port(f->server);
    rpc_register(f->server, "echo", m_echo, NULL);
    rpc_register(f->server, "u64", m_u64, NULL);
    rpc_register(f->server, "fail", m_fail, NULL);
    rpc_register(f->server, "bytes", m_bytes, NULL);
    rpc_register(f->server, "count", m_count, &f->ctx);
    rpc_register(f->server, "delayed", m_delayed, f);
    rpc_register(f->server, "wait", m_wait, &f->ctx);
    rpc_register(f->server, "poke", m_poke, &f->ctx);
    rpc_register(f->server, "never", m_never, &f->ctx);
    rpc_register(f->server, "text", m_text, NULL);
    rpc_set_metrics(f->server, app_metrics, NULL);
    rpc_route_post(f->server, "/bin", BIN_MAX, bin_route, NULL);
    uv_async_init(&f->loop, &f->stop, on_stop);
    f->stop.data = f;
    HANSA_ASSERT(pthread_create(&f->thread, NULL, loop_thread, f) == 0);
    return f;
}

/* Stops the server from its own thread, waits for the loop to run dry, and
 * checks that it left no handle open. */
static void server_stop(fixture *f) {
    uv_async_send(&f->stop);
    pthread_join(f->thread, NULL);
    CHECK(uv_loop_close(&f->loop) == 0);
    free(f);
}

static const rpc_config default_cfg = {.max_body_bytes = 4096, .max_batch = 8};

/* ---------- the HTTP client ---------- */

typedef struct {
    int status;
    char raw[65536];
    const char *body; /* into raw */
    json_t *json;     /* the body parsed, or NULL */
} http_reply;

static int tcp_connect(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    HANSA_ASSERT(fd >= 0);
    /* A bug must fail the test, not hang it. */
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    HANSA_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

static void send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return; /* the server may close early (413); the reply tells */
        p += k;
        n -= (size_t)k;
    }
}

/* Reads the reply until the server closes, and parses it. */
static void http_read(int fd, http_reply *r) {
    size_t len = 0;
    ssize_t k;
    while (len < sizeof r->raw - 1 && (k = recv(fd, r->raw + len, sizeof r->raw - 1 - len, 0)) > 0)
        len += (size_t)k;
    close(fd);
    r->raw[len] = '\0';
    r->status = 0;
    sscanf(r->raw, "HTTP/1.1 %d", &r->status);
    const char *sep = strstr(r->raw, "\r\n\r\n");
    r->body = sep ? sep + 4 : "";
    r->json = json_loads(r->body, 0, NULL);
}

static void http_raw(uint16_t port, const char *req, size_t len, http_reply *r) {
    int fd = tcp_connect(port);
    send_all(fd, req, len);
    http_read(fd, r);
}

/* The head of a POST of body; returns its length. */
static size_t post_head(char head[256], const char *body) {
    int n = snprintf(head, 256,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     strlen(body));
    return (size_t)n;
}

static int post_send(uint16_t port, const char *body) {
    char head[256];
    size_t n = post_head(head, body);
    int fd = tcp_connect(port);
    send_all(fd, head, n);
    send_all(fd, body, strlen(body));
    return fd;
}

static void post(uint16_t port, const char *body, http_reply *r) {
    http_read(post_send(port, body), r);
}

static void get(uint16_t port, const char *path, http_reply *r) {
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     path);
    http_raw(port, req, (size_t)n, r);
}

static void reply_free(http_reply *r) { json_decref(r->json); }

/* Reads one reply from a kept-alive connection: headers, then exactly
 * Content-Length bytes of body. */
static void http_read_one(int fd, http_reply *r) {
    size_t len = 0, need = 0;
    const char *sep = NULL;
    r->raw[0] = '\0';
    for (;;) {
        if (!sep && (sep = strstr(r->raw, "\r\n\r\n"))) {
            const char *cl = strstr(r->raw, "Content-Length: ");
            need = (size_t)(sep + 4 - r->raw) + (cl && cl < sep ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (sep && len >= need) break;
        ssize_t k = recv(fd, r->raw + len, sizeof r->raw - 1 - len, 0);
        if (k <= 0) break;
        len += (size_t)k;
        r->raw[len] = '\0';
    }
    r->status = 0;
    sscanf(r->raw, "HTTP/1.1 %d", &r->status);
    r->body = sep ? sep + 4 : "";
    r->json = json_loads(r->body, 0, NULL);
}

/* Sends a POST without "Connection: close". */
static void post_keep_alive(int fd, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     strlen(body));
    send_all(fd, head, (size_t)n);
    send_all(fd, body, strlen(body));
}

/* ---------- checks on replies ---------- */

static int error_code(const json_t *resp) {
    return (int)json_integer_value(json_object_get(json_object_get(resp, "error"), "code"));
}

static json_t *error_data(const json_t *resp) {
    return json_object_get(json_object_get(resp, "error"), "data");
}

static bool is_response(const json_t *resp) {
    json_t *v = json_object_get(resp, "jsonrpc");
    return json_is_string(v) && strcmp(json_string_value(v), "2.0") == 0 &&
           json_object_get(resp, "id") != NULL;
}

static bool id_is_null(const json_t *resp) { return json_is_null(json_object_get(resp, "id")); }

static bool str_eq(const json_t *v, const char *s) {
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* POSTs body and checks it comes back as a single error with this code. */
static void expect_error(uint16_t port, const char *body, int code, http_reply *r) {
    post(port, body, r);
    CHECK_EQ_U64(r->status, 200);
    CHECK(is_response(r->json));
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(r->json), (uint64_t)(int64_t)code);
}

/* ---------- tests ---------- */

static void test_health_and_metrics(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    get(f->port, "/health", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(strcmp(r.body, "ok\n") == 0);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}", &r);
    reply_free(&r);
    get(f->port, "/metrics", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(strstr(r.raw, "Content-Type: text/plain; version=0.0.4") != NULL);
    CHECK(strstr(r.body, "# TYPE hansa_rpc_http_requests_total counter\n") != NULL);
    CHECK(strstr(r.body, "\nhansa_rpc_http_requests_total 3\n") != NULL);
    CHECK(strstr(r.body, "\nhansa_rpc_errors_total{code=\"-32601\"} 1\n") != NULL);
    CHECK(strstr(r.body, "\ntest_app_metric 42\n") != NULL);
    reply_free(&r);
    get(f->port, "/nope", &r);
    CHECK_EQ_U64(r.status, 404);
    reply_free(&r);
    get(f->port, "/", &r);
    CHECK_EQ_U64(r.status, 405);
    reply_free(&r);
    server_stop(f);
}

/* POST /bin with body (len bytes) as content type ct. */
static void post_bin(uint16_t port, const char *ct, const char *body, size_t len, http_reply *r) {
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST /bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n", ct, len);
    HANSA_ASSERT(n > 0 && (size_t)n + len < sizeof req);
    memcpy(req + n, body, len);
    http_raw(port, req, (size_t)n + len, r);
}

/* A binary POST route gets its whole body and max_batch, answers with a
 * JSON-RPC response of id null (its refusals with the status it chose),
 * and has the server's content-type, size and method checks in front. */
static void test_binary_route(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    static const char oct[] = "application/octet-stream";
    post_bin(f->port, oct, "a\0c", 3, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(is_response(r.json) && id_is_null(r.json));
    json_t *res = json_object_get(r.json, "result");
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(res, "len")), 3);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(res, "max_items")), 8);
    reply_free(&r);
    post_bin(f->port, "application/octet-stream; x=1", "", 0, &r); /* empty: the handler judges */
    CHECK_EQ_U64(r.status, 200);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(json_object_get(r.json, "result"), "len")), 0);
    reply_free(&r);
    post_bin(f->port, oct, "xyz", 3, &r);
    CHECK_EQ_U64(r.status, 400);
    CHECK(id_is_null(r.json) && error_code(r.json) == RPC_INVALID_REQUEST);
    reply_free(&r);
    post_bin(f->port, "application/json", "{}", 2, &r);
    CHECK_EQ_U64(r.status, 415);
    CHECK(error_code(r.json) == RPC_INVALID_REQUEST);
    reply_free(&r);
    char big[BIN_MAX + 1];
    memset(big, 'a', sizeof big);
    post_bin(f->port, oct, big, sizeof big, &r); /* over the route's bound, under the server's */
    CHECK_EQ_U64(r.status, 413);
    CHECK_EQ_U64((uint64_t)json_integer_value(json_object_get(error_data(r.json), "max_body_bytes")),
                 BIN_MAX);
    reply_free(&r);
    post_bin(f->port, oct, big, BIN_MAX, &r); /* at the bound */
    CHECK_EQ_U64(r.status, 200);
    reply_free(&r);
    get(f->port, "/bin", &r);
    CHECK_EQ_U64(r.status, 405);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}", &r);
    CHECK_EQ_U64(r.status, 200); /* POST / is unchanged beside it */
    reply_free(&r);
    server_stop(f);
}

static void test_single_calls(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":[1,2]},\"id\":7}", &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(strstr(r.raw, "Content-Type: application/json") != NULL);
    CHECK(is_response(r.json));
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 7);
    json_t *a = json_object_get(json_object_get(r.json, "result"), "a");
    CHECK(json_array_size(a) == 2 && json_integer_value(json_array_get(a, 1)) == 2);
    CHECK(json_object_get(r.json, "error") == NULL);
    reply_free(&r);
    /* string id, no params, charset parameter on the content type */
    const char *req = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: 42\r\nConnection: close\r\n\r\n"
                      "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"x\"}";
    http_raw(f->port, req, strlen(req), &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(str_eq(json_object_get(r.json, "id"), "x"));
    CHECK(json_is_null(json_object_get(r.json, "result")));
    reply_free(&r);
    /* a handler's own error, with its data */
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":1}", RPC_NOT_FOUND, &r);
    CHECK(str_eq(json_object_get(json_object_get(r.json, "error"), "message"), "block 9 not found"));
    CHECK(str_eq(json_object_get(error_data(r.json), "what"), "block"));
    reply_free(&r);
    server_stop(f);
}

static void test_parse_error(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    /* the stray comma is at byte 12, on line 2 */
    expect_error(f->port, "{\"a\": 1,\n  ,}", RPC_PARSE_ERROR, &r);
    CHECK(id_is_null(r.json));
    json_t *d = error_data(r.json);
    CHECK_EQ_U64(json_integer_value(json_object_get(d, "line")), 2);
    CHECK_EQ_U64(json_integer_value(json_object_get(d, "column")), 3);
    CHECK_EQ_U64(json_integer_value(json_object_get(d, "position")), 12);
    CHECK(json_is_string(json_object_get(d, "reason")));
    reply_free(&r);
    expect_error(f->port, "", RPC_PARSE_ERROR, &r);
    reply_free(&r);
    /* duplicate keys are refused, not silently resolved */
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"method\":\"fail\",\"id\":1}",
                 RPC_PARSE_ERROR, &r);
    reply_free(&r);
    server_stop(f);
}

static void test_invalid_requests(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    /* wrong version: the id is still echoed, it was valid */
    expect_error(f->port, "{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":3}", RPC_INVALID_REQUEST, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 3);
    reply_free(&r);
    expect_error(f->port, "{\"method\":\"echo\",\"id\":3}", RPC_INVALID_REQUEST, &r);
    reply_free(&r);
    /* missing method, even without an id: cannot be told from a notification */
    expect_error(f->port, "{\"jsonrpc\":\"2.0\"}", RPC_INVALID_REQUEST, &r);
    CHECK(id_is_null(r.json));
    reply_free(&r);
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}", RPC_INVALID_REQUEST, &r);
    reply_free(&r);
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":\"x\",\"id\":1}",
                 RPC_INVALID_REQUEST, &r);
    reply_free(&r);
    /* an id of the wrong type is answered with id null */
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{}}", RPC_INVALID_REQUEST, &r);
    CHECK(id_is_null(r.json));
    reply_free(&r);
    expect_error(f->port, "42", RPC_INVALID_REQUEST, &r);
    reply_free(&r);
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":1}", RPC_METHOD_NOT_FOUND, &r);
    CHECK(str_eq(json_object_get(error_data(r.json), "method"), "nope"));
    reply_free(&r);
    /* a content type other than JSON */
    const char *req = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
    http_raw(f->port, req, strlen(req), &r);
    CHECK_EQ_U64(r.status, 415);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(r.json), (uint64_t)(int64_t)RPC_INVALID_REQUEST);
    reply_free(&r);
    server_stop(f);
}

/* Posts a call to method with params and checks the -32602 names param. */
static void expect_bad_method_param(uint16_t port, const char *method, const char *params,
                                    const char *param) {
    char body[512];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":%s,\"id\":1}",
             method, params);
    http_reply r;
    expect_error(port, body, RPC_INVALID_PARAMS, &r);
    CHECK(str_eq(json_object_get(error_data(r.json), "param"), param));
    CHECK(json_is_string(json_object_get(error_data(r.json), "reason")));
    const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
    CHECK(msg && strstr(msg, param) != NULL);
    reply_free(&r);
}

static void expect_bad_param(uint16_t port, const char *params, const char *param) {
    expect_bad_method_param(port, "u64", params, param);
}

static void test_params(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    post(f->port,
         "{\"jsonrpc\":\"2.0\",\"method\":\"u64\",\"id\":1,\"params\":"
         "{\"v\":\"18446744073709551615\",\"flag\":true,\"name\":\"n\",\"h\":\"0xA0b1c2d3\"}}",
         &r);
    json_t *res = json_object_get(r.json, "result");
    CHECK(str_eq(json_object_get(res, "v"), "18446744073709551615"));
    CHECK(json_is_true(json_object_get(res, "flag")));
    CHECK(str_eq(json_object_get(res, "name"), "n"));
    CHECK_EQ_U64(json_integer_value(json_object_get(res, "h0")), 0xa0);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"u64\",\"id\":1,\"params\":{\"v\":5}}", &r);
    CHECK(str_eq(json_object_get(json_object_get(r.json, "result"), "v"), "5"));
    CHECK(str_eq(json_object_get(json_object_get(r.json, "result"), "name"), "none"));
    reply_free(&r);
    expect_bad_param(f->port, "{}", "v");
    expect_bad_param(f->port, "{\"v\":-1}", "v");
    expect_bad_param(f->port, "{\"v\":1.5}", "v");
    expect_bad_param(f->port, "{\"v\":\"18446744073709551616\"}", "v");
    expect_bad_param(f->port, "{\"v\":\"007\"}", "v");
    expect_bad_param(f->port, "{\"v\":1,\"flag\":1}", "flag");
    expect_bad_param(f->port, "{\"v\":1,\"name\":[]}", "name");
    expect_bad_param(f->port, "{\"v\":1,\"h\":\"a0b1c2\"}", "h");
    expect_bad_param(f->port, "{\"v\":1,\"h\":\"a0b1c2zz\"}", "h");
    expect_bad_param(f->port, "[1]", "v");
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"bytes\",\"id\":1,\"params\":{\"b\":\"0x0102Ff\"}}", &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(r.json, "result"), "len")), 3);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(r.json, "result"), "last")), 0xff);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"bytes\",\"id\":1,\"params\":{\"b\":\"\"}}", &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(r.json, "result"), "len")), 0);
    reply_free(&r);
    expect_bad_method_param(f->port, "bytes", "{\"b\":\"010\"}", "b");
    expect_bad_method_param(f->port, "bytes", "{\"b\":\"010203040506070809\"}", "b");
    expect_bad_method_param(f->port, "bytes", "{\"b\":\"zz\"}", "b");
    expect_bad_method_param(f->port, "bytes", "{\"b\":\"01\",\"c\":1}", "c");
    server_stop(f);
}

static json_t *find_by_id(json_t *arr, json_int_t id) {
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_object_get(json_array_get(arr, i), "id");
        if (json_is_integer(v) && json_integer_value(v) == id) return json_array_get(arr, i);
    }
    return NULL;
}

static void test_batch(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    post(f->port,
         "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1},"
         " 1,"
         " {\"jsonrpc\":\"2.0\",\"method\":\"count\"},"
         " {\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":4},"
         " {\"jsonrpc\":\"2.0\",\"method\":\"u64\",\"params\":{\"v\":true},\"id\":5},"
         " {\"jsonrpc\":\"2.0\",\"method\":\"delayed\",\"id\":6}]",
         &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(json_is_array(r.json));
    CHECK_EQ_U64(json_array_size(r.json), 5); /* the notification has no response */
    for (size_t i = 0; i < json_array_size(r.json); i++) CHECK(is_response(json_array_get(r.json, i)));
    CHECK(json_integer_value(json_array_get(json_object_get(find_by_id(r.json, 1), "result"), 0)) == 1);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(find_by_id(r.json, 4)), (uint64_t)(int64_t)RPC_METHOD_NOT_FOUND);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(find_by_id(r.json, 5)), (uint64_t)(int64_t)RPC_INVALID_PARAMS);
    CHECK(json_is_true(json_object_get(json_object_get(find_by_id(r.json, 6), "result"), "delayed")));
    int invalid = 0;
    for (size_t i = 0; i < json_array_size(r.json); i++) {
        json_t *e = json_array_get(r.json, i);
        if (id_is_null(e) && error_code(e) == RPC_INVALID_REQUEST) invalid++;
    }
    CHECK_EQ_U64(invalid, 1);
    CHECK_EQ_U64(atomic_load(&f->ctx.notified), 1);
    reply_free(&r);
    /* an empty batch is one invalid request, not an empty array */
    expect_error(f->port, "[]", RPC_INVALID_REQUEST, &r);
    reply_free(&r);
    /* a batch over max_batch (8) is refused whole */
    expect_error(f->port, "[1,2,3,4,5,6,7,8,9]", RPC_INVALID_REQUEST, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(error_data(r.json), "max_batch")), 8);
    reply_free(&r);
    /* a batch of notifications only: nothing at all comes back */
    post(f->port, "[{\"jsonrpc\":\"2.0\",\"method\":\"count\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]", &r);
    CHECK_EQ_U64(r.status, 204);
    CHECK(strcmp(r.body, "") == 0);
    CHECK_EQ_U64(atomic_load(&f->ctx.notified), 2);
    reply_free(&r);
    server_stop(f);
}

static void test_notification(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"params\":{}}", &r);
    CHECK_EQ_U64(r.status, 204);
    CHECK(strcmp(r.body, "") == 0);
    CHECK_EQ_U64(atomic_load(&f->ctx.notified), 1);
    reply_free(&r);
    /* errors of notifications are not reported either */
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}", &r);
    CHECK_EQ_U64(r.status, 204);
    reply_free(&r);
    /* a deferred notification holds the reply until it is done, then says nothing */
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"delayed\"}", &r);
    CHECK_EQ_U64(r.status, 204);
    reply_free(&r);
    server_stop(f);
}

/* Writes a chunked POST of `chunks` chunks of 1000 spaces; returns its length. */
static size_t chunked_body(char *out, size_t cap, int chunks) {
    HANSA_ASSERT(cap > 200 + (size_t)chunks * 1010);
    size_t n = (size_t)snprintf(out, cap,
                                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < chunks; i++) {
        n += (size_t)snprintf(out + n, cap - n, "3e8\r\n");
        memset(out + n, ' ', 1000);
        n += 1000;
        n += (size_t)snprintf(out + n, cap - n, "\r\n");
    }
    n += (size_t)snprintf(out + n, cap - n, "0\r\n\r\n");
    return n;
}

/* A body over the limit gets 413 and a JSON-RPC error, and the server goes on. */
static void test_oversize(void) {
    fixture *f = server_start(&default_cfg); /* max_body_bytes 4096 */
    http_reply r;
    /* announced too large: refused from the headers, the body is never sent */
    const char *big = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100000000\r\n\r\n";
    http_raw(f->port, big, strlen(big), &r);
    CHECK_EQ_U64(r.status, 413);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(r.json), (uint64_t)(int64_t)RPC_TOO_LARGE);
    CHECK_EQ_U64(json_integer_value(json_object_get(error_data(r.json), "max_body_bytes")), 4096);
    reply_free(&r);
    /* chunked, so the size shows only while reading: 6 chunks of 1000 */
    char chunked[32768];
    size_t n = chunked_body(chunked, sizeof chunked, 6);
    http_raw(f->port, chunked, n, &r);
    CHECK_EQ_U64(r.status, 413);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(r.json), (uint64_t)(int64_t)RPC_TOO_LARGE);
    reply_free(&r);
    /* one that goes on past twice the limit is cut off without a reply */
    n = chunked_body(chunked, sizeof chunked, 20);
    http_raw(f->port, chunked, n, &r);
    CHECK_EQ_U64(r.status, 0);
    CHECK(r.raw[0] == '\0');
    reply_free(&r);
    /* exactly at the limit is fine */
    char body[4097];
    const char *call = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}";
    memset(body, ' ', 4096);
    memcpy(body, call, strlen(call));
    body[4096] = '\0';
    post(f->port, body, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(is_response(r.json) && json_is_null(json_object_get(r.json, "result")));
    reply_free(&r);
    get(f->port, "/metrics", &r);
    CHECK(strstr(r.body, "\nhansa_rpc_too_large_total 3\n") != NULL);
    reply_free(&r);
    server_stop(f);
}

/* A long-poll call completes when another client's request arrives. */
static void test_long_poll(void) {
    fixture *f = server_start(&default_cfg);
    int waiter = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":\"w\"}");
    /* The test thread cannot see the loop's progress otherwise; bounded. */
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) == 0; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.waiting), 1);
    http_reply r;
    get(f->port, "/metrics", &r);
    CHECK(strstr(r.body, "\nhansa_rpc_pending 1\n") != NULL);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"poke\",\"params\":{\"value\":77},\"id\":1}", &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 1);
    reply_free(&r);
    http_read(waiter, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(str_eq(json_object_get(r.json, "id"), "w"));
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 77);
    reply_free(&r);
    CHECK_EQ_U64(atomic_load(&f->ctx.cancelled), 0);
    server_stop(f);
}

static void test_pending_timeout(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"never\",\"params\":{\"timeout_ms\":30},\"id\":1}",
                 RPC_TIMEOUT, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 1);
    CHECK_EQ_U64(atomic_load(&f->ctx.cancelled), 1);
    reply_free(&r);
    get(f->port, "/metrics", &r);
    CHECK(strstr(r.body, "\nhansa_rpc_timeouts_total 1\n") != NULL);
    CHECK(strstr(r.body, "\nhansa_rpc_pending 0\n") != NULL);
    reply_free(&r);
    server_stop(f);
}

/* Deferred calls are bounded: past max_pending a call gets RPC_BUSY at once. */
static void test_pending_bound(void) {
    rpc_config cfg = default_cfg;
    cfg.max_pending = 2;
    fixture *f = server_start(&cfg);
    int w1 = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":1}");
    int w2 = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":2}");
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) < 2; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.waiting), 2);
    http_reply r;
    expect_error(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":3}", RPC_BUSY, &r);
    reply_free(&r);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"poke\",\"params\":{\"value\":1},\"id\":9}", &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 2);
    reply_free(&r);
    http_read(w1, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 1);
    reply_free(&r);
    http_read(w2, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 1);
    reply_free(&r);
    server_stop(f);
}

/* Half-sent requests hold a connection each but never the server. */
static void test_slow_clients(void) {
    rpc_config cfg = default_cfg;
    cfg.idle_timeout_s = 1;
    fixture *f = server_start(&cfg);
    int half_head = tcp_connect(f->port);
    send_all(half_head, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le", 37);
    int half_body = tcp_connect(f->port);
    const char *hb = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{\"jsonrpc\":";
    send_all(half_body, hb, strlen(hb));
    http_reply r;
    for (int i = 0; i < 3; i++) {
        post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}", &r);
        CHECK_EQ_U64(r.status, 200);
        CHECK(is_response(r.json));
        reply_free(&r);
    }
    /* After idle_timeout_s of silence the server closes them (recv sees EOF). */
    char c;
    CHECK(recv(half_head, &c, 1, 0) == 0);
    CHECK(recv(half_body, &c, 1, 0) == 0);
    close(half_head);
    close(half_body);
    server_stop(f);
}

/* Shutting down with a call deferred: its owner is told (cancel), the client
 * gets -32006, nothing leaks (ASan), and the loop has no handle left. */
static void test_shutdown_with_pending(void) {
    fixture *f = server_start(&default_cfg);
    int waiter = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":1}");
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) == 0; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.waiting), 1);
    test_ctx *t = &f->ctx;
    atomic_int *cancelled = &t->cancelled;
    uv_async_send(&f->stop);
    pthread_join(f->thread, NULL);
    CHECK_EQ_U64(atomic_load(cancelled), 1);
    CHECK(uv_loop_close(&f->loop) == 0);
    free(f);
    http_reply r;
    /* the waiting client is told, then the connection closes */
    http_read(waiter, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK_EQ_U64((uint64_t)(int64_t)error_code(r.json), (uint64_t)(int64_t)RPC_SHUTTING_DOWN);
    reply_free(&r);
}

/* A request that reaches the server while it stops is not dispatched: a
 * daemon frees its methods' owners before the server (hansad did, and a
 * late request ran a freed handler). */
static void test_request_during_stop(void) {
    fixture *f = server_start(&default_cfg);
    atomic_int *notified = &f->ctx.notified;
    const char *body = "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":1}";
    char head[256];
    size_t n = post_head(head, body);
    int fd = tcp_connect(f->port);
    usleep(100000); /* accepted */
    f->stop_delay_us = 300000;
    uv_async_send(&f->stop);
    usleep(100000); /* the loop is in on_stop now */
    send_all(fd, head, n);
    send_all(fd, body, strlen(body));
    pthread_join(f->thread, NULL);
    CHECK_EQ_U64(atomic_load(notified), 0);
    CHECK(uv_loop_close(&f->loop) == 0);
    free(f);
    http_reply r;
    http_read(fd, &r);
    CHECK(r.status == 0 || error_code(r.json) == RPC_SHUTTING_DOWN);
    reply_free(&r);
}

/* One connection carries several requests, a long-poll among them: each
 * request gets a fresh exchange, also after a suspend and resume. */
static void test_keep_alive(void) {
    fixture *f = server_start(&default_cfg);
    int fd = tcp_connect(f->port);
    http_reply r;
    post_keep_alive(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}");
    http_read_one(fd, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 1);
    reply_free(&r);
    post_keep_alive(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":2}");
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) == 0; i++) usleep(1000);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"poke\",\"params\":{\"value\":5},\"id\":1}", &r);
    reply_free(&r);
    http_read_one(fd, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 2);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 5);
    reply_free(&r);
    post_keep_alive(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"delayed\",\"id\":3}");
    http_read_one(fd, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 3);
    CHECK(json_is_true(json_object_get(json_object_get(r.json, "result"), "delayed")));
    reply_free(&r);
    post_keep_alive(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}");
    http_read_one(fd, &r);
    CHECK_EQ_U64(r.status, 204);
    reply_free(&r);
    post_keep_alive(fd, "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":4}]");
    http_read_one(fd, &r);
    CHECK(json_is_array(r.json) && json_array_size(r.json) == 1);
    reply_free(&r);
    close(fd);
    server_stop(f);
}

/* Kinds of batch member the randomized test draws, with what each must get. */
typedef enum {
    MEMBER_ECHO,         /* result = params */
    MEMBER_NOTIFY,       /* no response */
    MEMBER_DELAYED,      /* deferred, result {"delayed": true} */
    MEMBER_NO_METHOD,    /* -32601 */
    MEMBER_BAD_PARAM,    /* -32602 */
    MEMBER_BAD_VERSION,  /* -32600, id echoed */
    MEMBER_NOT_OBJECT,   /* -32600, id null */
    MEMBER_KIND_COUNT
} member_kind;

/* Appends one member of this kind with id to body; returns its expected error
 * code (0 for a result, 1 for no response). */
static int member_write(member_kind kind, int id, hbuf *body) {
    char m[160];
    int code = 0;
    switch (kind) {
    case MEMBER_ECHO:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[%d],\"id\":%d}", id, id);
        break;
    case MEMBER_NOTIFY:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[%d]}", id);
        code = 1;
        break;
    case MEMBER_DELAYED:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2.0\",\"method\":\"delayed\",\"id\":%d}", id);
        break;
    case MEMBER_NO_METHOD:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2.0\",\"method\":\"m%d\",\"id\":%d}", id, id);
        code = RPC_METHOD_NOT_FOUND;
        break;
    case MEMBER_BAD_PARAM:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2.0\",\"method\":\"u64\",\"params\":{\"v\":\"x\"},\"id\":%d}", id);
        code = RPC_INVALID_PARAMS;
        break;
    case MEMBER_BAD_VERSION:
        snprintf(m, sizeof m, "{\"jsonrpc\":\"2\",\"method\":\"echo\",\"id\":%d}", id);
        code = RPC_INVALID_REQUEST;
        break;
    case MEMBER_NOT_OBJECT:
        snprintf(m, sizeof m, "%d", id);
        code = RPC_INVALID_REQUEST;
        break;
    case MEMBER_KIND_COUNT:
        HANSA_UNREACHABLE();
    }
    hbuf_append(body, m, strlen(m));
    return code;
}

/* Random batches against a model: each member's expected outcome is known
 * from its kind, and the reply must hold exactly the expected responses. */
static void test_random_batches(void) {
    hansa_prng prng;
    prng_seed(&prng, check_seed("test_random_batches", 20261123));
    fixture *f = server_start(&default_cfg); /* max_batch 8 */
    for (int round = 0; round < 60; round++) {
        size_t n = 1 + prng_below(&prng, 8);
        int expect[8], answered = 0, null_ids = 0;
        hbuf body = HBUF_INIT;
        hbuf_append(&body, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) hbuf_append(&body, ",", 1);
            expect[i] = member_write((member_kind)prng_below(&prng, MEMBER_KIND_COUNT), (int)i + 100,
                                     &body);
            answered += expect[i] != 1;
        }
        hbuf_append(&body, "]", 2); /* with the NUL */
        http_reply r;
        post(f->port, (const char *)body.data, &r);
        hbuf_free(&body);
        if (answered == 0) {
            CHECK_EQ_U64(r.status, 204);
            reply_free(&r);
            continue;
        }
        CHECK_EQ_U64(json_array_size(r.json), (uint64_t)answered);
        for (size_t i = 0; i < n; i++) {
            if (expect[i] == 1) {
                CHECK(find_by_id(r.json, (json_int_t)i + 100) == NULL);
                continue;
            }
            json_t *resp = find_by_id(r.json, (json_int_t)i + 100);
            if (!resp) { /* a member that was not an object is answered with id null */
                null_ids++;
                continue;
            }
            CHECK(is_response(resp));
            CHECK_EQ_U64((uint64_t)(int64_t)error_code(resp), (uint64_t)(int64_t)expect[i]);
            CHECK((json_object_get(resp, "result") != NULL) == (expect[i] == 0));
        }
        int not_objects = 0;
        for (size_t i = 0; i < json_array_size(r.json); i++) {
            json_t *resp = json_array_get(r.json, i);
            if (!id_is_null(resp)) continue;
            not_objects++;
            CHECK_EQ_U64((uint64_t)(int64_t)error_code(resp), (uint64_t)(int64_t)RPC_INVALID_REQUEST);
        }
        CHECK_EQ_U64(null_ids, not_objects);
        reply_free(&r);
    }
    server_stop(f);
}

/* Results given as shared, already serialised text come out as the same
 * JSON as any other: alone, in a batch beside other answers, deferred, and
 * for a notification (nothing). */
static void test_shared_text_results(void) {
    fixture *f = server_start(&default_cfg);
    http_reply r;
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"params\":{\"n\":5},\"id\":\"x\"}", &r);
    json_t *want = json_pack("[s, {s:i}]", "a", "b", 5);
    CHECK(is_response(r.json) && str_eq(json_object_get(r.json, "id"), "x"));
    CHECK(json_equal(json_object_get(r.json, "result"), want));
    reply_free(&r);
    post(f->port,
         "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1},"
         "{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"params\":{\"n\":5},\"id\":2},"
         "{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"params\":{\"n\":5}},"
         "{\"jsonrpc\":\"2.0\",\"method\":\"text\",\"params\":{\"n\":5},\"id\":null}]",
         &r);
    CHECK(json_is_array(r.json) && json_array_size(r.json) == 3);
    CHECK(json_equal(json_object_get(find_by_id(r.json, 2), "result"), want));
    CHECK(find_by_id(r.json, 1) != NULL);
    reply_free(&r);
    json_decref(want);
    int w1 = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":7}");
    int w2 = post_send(f->port, "[{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":8},"
                                "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":9}]");
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) < 2; i++) usleep(1000);
    post(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"poke\",\"params\":{\"value\":3,\"text\":true},"
                  "\"id\":1}", &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "result")), 2);
    reply_free(&r);
    want = json_pack("{s:i, s:s}", "v", 3, "s", "\xc3\xa9\n");
    http_read(w1, &r);
    CHECK_EQ_U64(json_integer_value(json_object_get(r.json, "id")), 7);
    CHECK(json_equal(json_object_get(r.json, "result"), want));
    reply_free(&r);
    http_read(w2, &r);
    CHECK(json_array_size(r.json) == 2);
    CHECK(json_equal(json_object_get(find_by_id(r.json, 8), "result"), want));
    reply_free(&r);
    json_decref(want);
    server_stop(f);
}

/* ---------- connections: dead, idle, slow and greedy clients ---------- */

/* A connection from a given loopback source address: 127.0.0.1 is a local
 * operator to the server, 127.0.0.2 and up stand for remote clients. */
static int tcp_connect_from(uint16_t port, const char *source) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    HANSA_ASSERT(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in src = {.sin_family = AF_INET};
    HANSA_ASSERT(inet_pton(AF_INET, source, &src.sin_addr) == 1);
    HANSA_ASSERT(bind(fd, (struct sockaddr *)&src, sizeof src) == 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    HANSA_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

static const char echo_call[] = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[7],\"id\":1}";

/* POSTs an echo over fd (connected already) and checks the answer. */
static void echo_over(int fd) {
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(echo_call), echo_call);
    send_all(fd, req, (size_t)n);
    http_reply r;
    http_read(fd, &r);
    CHECK_EQ_U64(r.status, 200);
    CHECK(is_response(r.json));
    reply_free(&r);
}

/* The server closed fd without an answer (refused, or its slot taken). */
static bool closed_silently(int fd) {
    char c;
    ssize_t k = recv(fd, &c, 1, 0);
    close(fd);
    return k == 0 || (k < 0 && errno == ECONNRESET);
}

/* A metric's value from /metrics (the first line starting with name). */
static uint64_t metric(uint16_t port, const char *name) {
    http_reply r;
    get(port, "/metrics", &r);
    char want[128];
    snprintf(want, sizeof want, "\n%s ", name);
    const char *at = strstr(r.body, want);
    uint64_t v = at ? strtoull(at + strlen(want), NULL, 10) : UINT64_MAX;
    reply_free(&r);
    return v;
}

/* 500 clients send half a request each and close their sockets. With an
 * idle timeout of an hour, only noticing the closes frees their slots: the
 * server must be left with no connection of theirs (before, each waited out
 * the idle timeout, 64 at a time: minutes of no answer), then answer the
 * next caller. */
static void test_dead_clients(void) {
    rpc_config cfg = default_cfg;
    cfg.max_connections = 8;
    cfg.idle_timeout_s = 3600;
    fixture *f = server_start(&cfg);
    enum { DEAD = 500 };
    static const char half[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                               "application/json\r\nContent-Length: 100\r\n\r\n{\"js";
    int *fds = calloc(DEAD, sizeof *fds);
    for (int i = 0; i < DEAD; i++) {
        fds[i] = tcp_connect(f->port);
        send_all(fds[i], half, sizeof half - 1);
    }
    for (int i = 0; i < DEAD; i++) close(fds[i]);
    free(fds);
    /* Each /metrics call is a connection of its own: 1 means none is left. */
    uint64_t open = UINT64_MAX;
    for (int i = 0; i < 3000 && open != 1; i++) {
        open = metric(f->port, "hansa_rpc_connections");
        if (open != 1) usleep(10000);
    }
    CHECK_EQ_U64(open, 1);
    fprintf(stderr, "  %d dead clients: %llu noticed gone, the rest closed by MHD or refused\n",
            DEAD, (unsigned long long)metric(f->port, "hansa_rpc_clients_gone_total"));
    echo_over(tcp_connect(f->port));
    server_stop(f);
}

/* A long-poll whose client leaves: the call is dropped at once (its owner's
 * cancel runs), not held until its deadline. */
static void test_long_poll_client_gone(void) {
    fixture *f = server_start(&default_cfg);
    int w = post_send(f->port, "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":1}");
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) == 0; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.waiting), 1);
    close(w);
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.cancelled) == 0; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.cancelled), 1);
    for (int i = 0; i < 100 && metric(f->port, "hansa_rpc_pending") != 0; i++) usleep(10000);
    CHECK_EQ_U64(metric(f->port, "hansa_rpc_pending"), 0);
    server_stop(f);
}

/* Slots full of idle connections (connected, silent, or between requests):
 * a newcomer takes the slot of the one idle longest, and is answered. */
static void test_idle_clients_yield(void) {
    rpc_config cfg = default_cfg;
    cfg.max_connections = 4;
    cfg.idle_timeout_s = 3600;
    fixture *f = server_start(&cfg);
    int idle[5];
    for (int i = 0; i < 5; i++) {
        idle[i] = tcp_connect_from(f->port, "127.0.0.2");
        if (i == 1) { /* one that was answered and stays open (keep-alive) */
            post_keep_alive(idle[i], echo_call);
            http_reply r;
            http_read_one(idle[i], &r);
            reply_free(&r);
        } else {
            send_all(idle[i], "POST / HT", 9); /* a slowloris: headers that never end */
        }
        /* /metrics comes from 127.0.0.1, an operator: it uses the reserve. */
        uint64_t want = i < 4 ? (uint64_t)i + 2 : 5;
        for (int k = 0; k < 1000 && metric(f->port, "hansa_rpc_connections") < want; k++)
            usleep(1000);
        if (i == 4) CHECK(closed_silently(idle[0])); /* full: the oldest gave its slot */
    }
    echo_over(tcp_connect_from(f->port, "127.0.0.3"));
    CHECK(closed_silently(idle[1])); /* the next oldest: idle since its answer */
    CHECK_EQ_U64(metric(f->port, "hansa_rpc_connections_evicted_total"), 2);
    for (int i = 2; i < 5; i++) close(idle[i]);
    server_stop(f);
}

/* Slots full of requests whose bodies trickle in: a newcomer is refused at
 * once (its socket closed, not left in the backlog) while they are young,
 * and takes the oldest one's slot once it has been sending for longer than
 * slow_request_ms. */
static void test_slow_requests_yield(void) {
    rpc_config cfg = default_cfg;
    cfg.max_connections = 3;
    cfg.idle_timeout_s = 3600;
    cfg.slow_request_ms = 300;
    fixture *f = server_start(&cfg);
    static const char head[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                               "application/json\r\nContent-Length: 100\r\n\r\n{";
    int slow[3];
    for (int i = 0; i < 3; i++) {
        slow[i] = tcp_connect_from(f->port, "127.0.0.2");
        send_all(slow[i], head, sizeof head - 1);
        for (int k = 0; k < 1000 && metric(f->port, "hansa_rpc_connections") < (uint64_t)i + 2; k++)
            usleep(1000);
    }
    CHECK(closed_silently(tcp_connect_from(f->port, "127.0.0.3")));
    usleep(400000); /* now older than slow_request_ms */
    echo_over(tcp_connect_from(f->port, "127.0.0.3"));
    CHECK(closed_silently(slow[0]));
    for (int i = 1; i < 3; i++) close(slow[i]);
    server_stop(f);
}

/* One client address holds at most max_per_client slots; other clients and
 * local operators still get theirs. */
static void test_per_client_limit(void) {
    rpc_config cfg = default_cfg;
    cfg.max_per_client = 3;
    fixture *f = server_start(&cfg);
    int greedy[3];
    for (int i = 0; i < 3; i++) {
        greedy[i] = tcp_connect_from(f->port, "127.0.0.2");
        post_keep_alive(greedy[i], echo_call);
        http_reply r;
        http_read_one(greedy[i], &r); /* kept open, idle */
        reply_free(&r);
    }
    CHECK(closed_silently(tcp_connect_from(f->port, "127.0.0.2")));
    echo_over(tcp_connect_from(f->port, "127.0.0.3"));
    echo_over(tcp_connect_from(f->port, "127.0.0.1"));
    http_reply r;
    get(f->port, "/metrics", &r);
    CHECK(strstr(r.body, "hansa_rpc_connections_refused_total{reason=\"per_client\"} 1\n") != NULL);
    reply_free(&r);
    for (int i = 0; i < 3; i++) close(greedy[i]);
    server_stop(f);
}

/* Every shared slot held by long-polls (nothing to take): a remote newcomer
 * is refused at once, a local operator gets a reserved slot. */
static void test_operator_reserve(void) {
    rpc_config cfg = default_cfg;
    cfg.max_connections = 2;
    cfg.operator_reserve = 1;
    fixture *f = server_start(&cfg);
    int w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = tcp_connect_from(f->port, i == 0 ? "127.0.0.2" : "127.0.0.3");
        post_keep_alive(w[i], "{\"jsonrpc\":\"2.0\",\"method\":\"wait\",\"id\":1}");
    }
    for (int i = 0; i < 10000 && atomic_load(&f->ctx.waiting) < 2; i++) usleep(1000);
    CHECK_EQ_U64(atomic_load(&f->ctx.waiting), 2);
    CHECK(closed_silently(tcp_connect_from(f->port, "127.0.0.4")));
    echo_over(tcp_connect_from(f->port, "127.0.0.1"));
    for (int i = 0; i < 2; i++) close(w[i]);
    server_stop(f);
}

/* ---------- requests refused from their headers ---------- */

/* Sends head (CRLF-terminated header lines after the request line, no
 * blank line) and a small body; returns the reply. */
static void post_with_headers(uint16_t port, const char *head, http_reply *r) {
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     "%s\r\n%s",
                     head, echo_call);
    http_raw(port, req, (size_t)n, r);
}

static void expect_headers(uint16_t port, const char *head, int status, const char *header) {
    http_reply r;
    post_with_headers(port, head, &r);
    if ((int)r.status != status) fprintf(stderr, "  headers %s: status %d\n", head, r.status);
    CHECK_EQ_U64(r.status, status);
    if (header) {
        CHECK_EQ_U64((uint64_t)(int64_t)error_code(r.json), (uint64_t)(int64_t)RPC_INVALID_REQUEST);
        CHECK(str_eq(json_object_get(error_data(r.json), "header"), header));
    } else {
        CHECK(is_response(r.json) && json_object_get(r.json, "result") != NULL);
    }
    reply_free(&r);
}

static void test_header_checks(void) {
    static const char *const allowed[] = {"Node.Example.org"};
    rpc_config cfg = default_cfg;
    cfg.allowed_hosts = allowed;
    cfg.n_allowed_hosts = 1;
    fixture *f = server_start(&cfg);
    uint16_t p = f->port;
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", strlen(echo_call));
    char h[512];
    /* Hosts: IP literals, localhost, the allowed name; nothing else (DNS rebinding). */
    static const struct {
        const char *host;
        bool ok;
    } hosts[] = {{"127.0.0.1:8080", true}, {"10.1.2.3", true},       {"[::1]:26657", true},
                 {"localhost", true},      {"LOCALHOST:1", true},    {"app.localhost:9", true},
                 {"node.example.org", true}, {"evil.example:26657", false},
                 {"127.0.0.1.evil.example", false}, {"localhost.evil.example", false},
                 {"::1", false},           {"127.0.0.1:80x", false}, {"[::1]:8x", false},
                 {"", false}};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        snprintf(h, sizeof h, "Host: %s\r\n%s", hosts[i].host, cl);
        expect_headers(p, h, hosts[i].ok ? 200 : 403, hosts[i].ok ? NULL : "Host");
    }
    static const struct {
        const char *origin;
        bool ok;
    } origins[] = {{"http://127.0.0.1:26657", true}, {"https://localhost", true},
                   {"http://node.example.org:80", true}, {"http://evil.example", false},
                   {"null", false}, {"file://", false}, {"http://127.0.0.1/x", false}};
    for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++) {
        snprintf(h, sizeof h, "Host: 127.0.0.1\r\nOrigin: %s\r\n%s", origins[i].origin, cl);
        expect_headers(p, h, origins[i].ok ? 200 : 403, origins[i].ok ? NULL : "Origin");
    }
    /* Framing that could be read two ways, and codings the server does not speak. */
    snprintf(h, sizeof h, "Host: 127.0.0.1\r\n%sContent-Length: 5\r\n", cl);
    expect_headers(p, h, 400, "Content-Length");
    snprintf(h, sizeof h, "Host: 127.0.0.1\r\n%sTransfer-Encoding: chunked\r\n", cl);
    expect_headers(p, h, 400, "Transfer-Encoding");
    expect_headers(p, "Host: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n", 501, "Transfer-Encoding");
    expect_headers(p, "Host: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n", 501,
                   "Transfer-Encoding");
    snprintf(h, sizeof h, "Host: 127.0.0.1\r\nContent-Encoding: gzip\r\n%s", cl);
    expect_headers(p, h, 415, "Content-Encoding");
    snprintf(h, sizeof h, "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n%s", cl);
    expect_headers(p, h, 400, "Host");
    snprintf(h, sizeof h, "Host: 127.0.0.1\r\nContent-Encoding: identity\r\n%s", cl);
    expect_headers(p, h, 200, NULL);
    CHECK_EQ_U64(metric(p, "hansa_rpc_requests_refused_total"), 17);
    server_stop(f);
}

/* Headers over libmicrohttpd's per-connection memory get 431; the server goes on. */
static void test_huge_headers(void) {
    fixture *f = server_start(&default_cfg);
    static char big[70000];
    int n = snprintf(big, sizeof big, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ");
    memset(big + n, 'a', 40000);
    n += 40000;
    n += snprintf(big + n, sizeof big - (size_t)n, "\r\nConnection: close\r\n\r\n");
    http_reply r;
    http_raw(f->port, big, (size_t)n, &r);
    CHECK_EQ_U64(r.status, 431);
    reply_free(&r);
    get(f->port, "/health", &r);
    CHECK_EQ_U64(r.status, 200);
    reply_free(&r);
    server_stop(f);
}

/* A port in use and an address that is no address are refused at start. */
static void test_start_errors(void) {
    fixture *f = server_start(&default_cfg);
    uv_loop_t loop;
    uv_loop_init(&loop);
    rpc_server *s = (rpc_server *)1;
    rpc_config cfg = default_cfg;
    cfg.port = f->port;
    CHECK_ERR(rpc_server_new(&loop, &cfg, &s), HANSA_ERR_IO);
    CHECK(s == NULL);
    cfg.port = 0;
    cfg.bind_address = "localhost"; /* a name, not a literal: no resolver at the edge */
    CHECK_ERR(rpc_server_new(&loop, &cfg, &s), HANSA_ERR_CONFIG);
    CHECK(uv_loop_close(&loop) == 0);
    server_stop(f);
}

int main(void) {
    RUN(test_start_errors);
    RUN(test_health_and_metrics);
    RUN(test_binary_route);
    RUN(test_single_calls);
    RUN(test_parse_error);
    RUN(test_invalid_requests);
    RUN(test_params);
    RUN(test_batch);
    RUN(test_notification);
    RUN(test_oversize);
    RUN(test_long_poll);
    RUN(test_keep_alive);
    RUN(test_random_batches);
    RUN(test_pending_timeout);
    RUN(test_pending_bound);
    RUN(test_slow_clients);
    RUN(test_shared_text_results);
    RUN(test_dead_clients);
    RUN(test_long_poll_client_gone);
    RUN(test_idle_clients_yield);
    RUN(test_slow_requests_yield);
    RUN(test_per_client_limit);
    RUN(test_operator_reserve);
    RUN(test_header_checks);
    RUN(test_huge_headers);
    RUN(test_shutdown_with_pending);
    RUN(test_request_during_stop);
    return check_summary();
}
