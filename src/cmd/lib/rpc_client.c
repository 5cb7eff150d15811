/* rpc_client.c — see rpc_client.h. */
#define _GNU_SOURCE
#include "cmd/lib/rpc_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "cmd/lib/cli.h"

static json_t *fail(rpcc_error *err, int code, const char *fmt, const char *arg) {
    err->code = code;
    snprintf(err->message, sizeof err->message, fmt, arg);
    err->data = NULL;
    return NULL;
}

/* Connects within the deadline: a blocking connect() to an address whose
 * packets are dropped (a partitioned node) would wait for the kernel's SYN
 * retries, minutes, whatever timeout_ms the caller asked for. */
static bool connect_by(int fd, const struct sockaddr_in *sa, uint64_t deadline_us) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return false;
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    if (rc != 0 && errno != EINPROGRESS) return false;
    while (rc != 0) {
        uint64_t now = clock_system_mono_us();
        if (now >= deadline_us) {
            errno = ETIMEDOUT;
            return false;
        }
        struct pollfd p = {fd, POLLOUT, 0};
        int r = poll(&p, 1, (int)((deadline_us - now) / 1000) + 1);
        if (r < 0 && errno != EINTR) return false;
        if (r <= 0) continue;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) return false;
        if (soerr != 0) {
            errno = soerr;
            return false;
        }
        rc = 0;
    }
    return fcntl(fd, F_SETFL, flags) == 0;
}

static int dial(const char *addr, uint64_t deadline_us, char *why, size_t why_len) {
    char host[64];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        snprintf(why, why_len, "bad address %s (want ip:port)", addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = 0;
    int port;
    if (!cli_parse_int(colon + 1, 1, 65535, &port)) { /* atoi read junk as port 0: "is the node running?" */
        snprintf(why, why_len, "bad address %s (the port must be 1..65535)", addr);
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(why, why_len, "bad address %s (want an IPv4 ip:port)", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || !connect_by(fd, &sa, deadline_us)) {
        snprintf(why, why_len, "cannot connect to %s: %s (is the node running?)", addr, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* ---- the head of a reply ---- */

static int head_fail(char *why, size_t why_len, const char *what) {
    snprintf(why, why_len, "malformed HTTP reply: %s", what);
    return -1;
}

/* A Content-Length value: digits only (spaces around), at most RPCC_REPLY_MAX. */
static bool parse_length(const char *v, const char *end, size_t *out) {
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (v == end) return false;
    uint64_t n = 0;
    for (; v < end; v++) {
        if (*v < '0' || *v > '9') return false;
        n = n * 10 + (uint64_t)(*v - '0');
        if (n > RPCC_REPLY_MAX) return false;
    }
    *out = (size_t)n;
    return true;
}

/* Whether the header line [line, end) is `name:` (any case); *value then
 * points past the colon. */
static bool header_is(const char *line, const char *end, const char *name, const char **value) {
    size_t k = strlen(name);
    if ((size_t)(end - line) <= k || line[k] != ':' || strncasecmp(line, name, k) != 0) return false;
    *value = line + k + 1;
    return true;
}

/* One header line [line, end) into h. Returns NULL or what is wrong. */
static const char *head_line(const char *line, const char *end, rpcc_head *h) {
    const char *v;
    if (header_is(line, end, "content-length", &v)) {
        size_t n;
        if (!parse_length(v, end, &n)) return "Content-Length is not a number up to the reply limit";
        if (h->has_length && n != h->content_len) return "two different Content-Lengths";
        h->has_length = true;
        h->content_len = n;
    } else if (header_is(line, end, "transfer-encoding", &v)) {
        return "a chunked (or otherwise encoded) body; the node's replies carry a Content-Length";
    } else if (header_is(line, end, "connection", &v)) {
        size_t n = (size_t)(end - v);
        for (size_t i = 0; i + 5 <= n; i++)
            if (strncasecmp(v + i, "close", 5) == 0) h->close = true;
    } else if (!memchr(line, ':', (size_t)(end - line))) {
        return "a header line without a colon";
    }
    return NULL;
}

int rpcc_head_parse(const char *p, size_t n, rpcc_head *h, char *why, size_t why_len) {
    memset(h, 0, sizeof *h);
    const char *blank = n >= 4 ? memmem(p, n < RPCC_HEAD_MAX ? n : RPCC_HEAD_MAX, "\r\n\r\n", 4) : NULL;
    if (!blank) return n >= RPCC_HEAD_MAX ? head_fail(why, why_len, "head longer than 16 KiB") : 0;
    h->head_len = (size_t)(blank - p) + 4;
    const char *eol = memmem(p, h->head_len, "\r\n", 2);
    /* "HTTP/1.x NNN": the version decides the default of Connection. */
    if ((size_t)(eol - p) < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ')
        return head_fail(why, why_len, "no HTTP/1.x status line");
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9') return head_fail(why, why_len, "a status that is not 3 digits");
    if (eol - p > 12 && p[12] != ' ') return head_fail(why, why_len, "a status that is not 3 digits");
    h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    h->close = p[7] == '0';
    for (const char *line = eol + 2; line < blank + 2;) {
        const char *end = memmem(line, (size_t)(blank + 2 - line), "\r\n", 2);
        const char *bad = head_line(line, end, h);
        if (bad) return head_fail(why, why_len, bad);
        line = end + 2;
    }
    return 1;
}

/* ---- a kept-alive connection ---- */

void rpcc_conn_init(rpcc_conn *c, const char *addr) {
    memset(c, 0, sizeof *c);
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->fd = -1;
}

static void conn_close(rpcc_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->calls_on_fd = 0;
}

void rpcc_conn_free(rpcc_conn *c) {
    conn_close(c);
    hbuf_free(&c->out);
    hbuf_free(&c->in);
}

/* Whether the kept connection still looks open: between replies the node
 * sends nothing, so a readable socket means it closed (EOF) or reset it. */
static bool conn_open(rpcc_conn *c) {
    if (c->fd < 0) return false;
    struct pollfd p = {c->fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return true;
    conn_close(c);
    return false;
}

/* How one attempt ended. */
typedef enum {
    XCHG_OK,
    XCHG_UNANSWERED, /* the node closed or reset before any reply byte: may be sent again */
    XCHG_FAILED,     /* timed out, or a reply cut short, malformed or too large */
} xchg_end;

/* Sends c->out by the call's deadline: without waiting in send() (a node
 * that reads slowly would let each send() wait its own timeout, and the
 * sum has no bound), waiting for room in poll() until the deadline. */
static xchg_end send_all(rpcc_conn *c, uint64_t deadline_us, char *why, size_t why_len) {
    for (size_t off = 0; off < c->out.len;) {
        ssize_t k = send(c->fd, c->out.data + off, c->out.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            off += (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            uint64_t now = clock_system_mono_us();
            if (now >= deadline_us) {
                snprintf(why, why_len, "send to %s: timed out with %zu of %zu bytes sent", c->addr, off,
                         c->out.len);
                return XCHG_FAILED;
            }
            struct pollfd p = {c->fd, POLLOUT, 0};
            if (poll(&p, 1, (int)((deadline_us - now) / 1000) + 1) < 0 && errno != EINTR) {
                snprintf(why, why_len, "send to %s: %s", c->addr, strerror(errno));
                return XCHG_FAILED;
            }
            continue;
        }
        snprintf(why, why_len, "send to %s: %s", c->addr, k < 0 ? strerror(errno) : "nothing sent");
        return k < 0 && (errno == EPIPE || errno == ECONNRESET) ? XCHG_UNANSWERED : XCHG_FAILED;
    }
    return XCHG_OK;
}

/* Whether the reply in c->in is complete (its head parsed into *h); -1 on
 * a malformed head or bytes past the body (the node answers once per request). */
static int reply_complete(rpcc_conn *c, rpcc_head *h, bool *have_head, char *why, size_t why_len) {
    if (!*have_head) {
        int r = rpcc_head_parse((const char *)c->in.data, c->in.len, h, why, why_len);
        if (r <= 0) return r;
        *have_head = true;
    }
    if (!h->has_length) return 0; /* the body runs to the close */
    size_t want = h->head_len + h->content_len;
    if (c->in.len > want) {
        snprintf(why, why_len, "malformed HTTP reply: bytes past its Content-Length");
        return -1;
    }
    return c->in.len == want;
}

/* Reads one reply into c->in within the deadline. */
static xchg_end read_reply(rpcc_conn *c, uint64_t deadline_us, rpcc_head *h, char *why, size_t why_len) {
    hbuf_reset(&c->in);
    bool have_head = false;
    for (;;) {
        int done = reply_complete(c, h, &have_head, why, why_len);
        if (done < 0) return XCHG_FAILED;
        if (done) return XCHG_OK;
        uint64_t now = clock_system_mono_us();
        if (now >= deadline_us) {
            snprintf(why, why_len, "timed out waiting for %s", c->addr);
            return XCHG_FAILED;
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, (int)((deadline_us - now) / 1000) + 1);
        if (r < 0 && errno != EINTR) {
            snprintf(why, why_len, "read from %s: %s", c->addr, strerror(errno));
            return XCHG_FAILED;
        }
        if (r <= 0) continue;
        size_t room = 65536;
        uint8_t *dst = hbuf_extend(&c->in, room);
        ssize_t k = recv(c->fd, dst, room, 0);
        c->in.len -= room - (k > 0 ? (size_t)k : 0);
        bool empty = c->in.len == 0;
        if (k == 0 && have_head && !h->has_length) return XCHG_OK; /* a body that ends at the close */
        if (k == 0 || (k < 0 && errno == ECONNRESET)) {
            snprintf(why, why_len, "%s closed the connection %s", c->addr,
                     empty ? "before replying" : "in the middle of its reply");
            return empty ? XCHG_UNANSWERED : XCHG_FAILED;
        }
        if (k < 0 && errno != EINTR && errno != EAGAIN) {
            snprintf(why, why_len, "read from %s: %s", c->addr, strerror(errno));
            return XCHG_FAILED;
        }
        if (c->in.len > RPCC_HEAD_MAX + (size_t)RPCC_REPLY_MAX) {
            snprintf(why, why_len, "reply from %s larger than %u bytes", c->addr, RPCC_REPLY_MAX);
            return XCHG_FAILED;
        }
    }
}

/* One attempt: (re)connect if needed, send c->out, read the reply.
 * *kept says whether it went over a connection kept from an earlier call. */
static xchg_end attempt(rpcc_conn *c, uint64_t deadline_us, rpcc_head *h, bool keep, bool *kept, char *why,
                        size_t why_len) {
    *kept = conn_open(c) && c->calls_on_fd > 0;
    if (c->fd < 0) {
        c->fd = dial(c->addr, deadline_us, why, why_len);
        if (c->fd < 0) return XCHG_FAILED;
        c->dials++;
    }
    xchg_end e = send_all(c, deadline_us, why, why_len);
    if (e == XCHG_OK) e = read_reply(c, deadline_us, h, why, why_len);
    if (e != XCHG_OK || h->close || !h->has_length || !keep) {
        conn_close(c);
        return e;
    }
    c->calls_on_fd++;
    return e;
}

/* The request head and body into c->out. */
static void build_request(rpcc_conn *c, const char *path, const char *content_type, const void *body,
                          size_t len, bool keep) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
                     path, c->addr, content_type, len, keep ? "" : "Connection: close\r\n");
    HANSA_ASSERT(n > 0 && (size_t)n < sizeof head);
    hbuf_reset(&c->out);
    hbuf_append(&c->out, head, (size_t)n);
    hbuf_append(&c->out, body, len);
}

/* rpcc_conn_post, with keep false for a one-shot call (Connection: close). */
static const uint8_t *post_on(rpcc_conn *c, const char *path, const char *content_type, const void *body,
                              size_t len, int timeout_ms, bool keep, size_t *body_len, int *status,
                              rpcc_error *err) {
    build_request(c, path, content_type, body, len, keep);
    uint64_t deadline = clock_system_mono_us() + (uint64_t)timeout_ms * 1000;
    char why[RPCC_ERR_MAX];
    rpcc_head h;
    bool kept;
    xchg_end e = attempt(c, deadline, &h, keep, &kept, why, sizeof why);
    /* A kept connection the node closed as the request went out (its idle
     * timeout): the request may or may not have been read; send it again,
     * on a new connection. One that was new already is not retried. */
    if (e == XCHG_UNANSWERED && kept) {
        c->resent++;
        e = attempt(c, deadline, &h, keep, &kept, why, sizeof why);
    }
    if (e != XCHG_OK) {
        fail(err, 0, "%s", why);
        return NULL;
    }
    *body_len = c->in.len - h.head_len;
    *status = h.status;
    return c->in.data + h.head_len;
}

const uint8_t *rpcc_conn_post(rpcc_conn *c, const char *path, const char *content_type, const void *body,
                              size_t len, int timeout_ms, size_t *body_len, int *status, rpcc_error *err) {
    return post_on(c, path, content_type, body, len, timeout_ms, true, body_len, status, err);
}

/* post_on, its reply parsed as JSON (a new reference), or NULL with err
 * set. A reply that is not JSON names its HTTP status, which says more than
 * the parser: a node without the path answers "404 Not Found" in plain text. */
static json_t *post_for_json(rpcc_conn *c, const char *path, const char *content_type, const void *body,
                             size_t len, int timeout_ms, bool keep, rpcc_error *err) {
    size_t n;
    int status;
    const uint8_t *reply = post_on(c, path, content_type, body, len, timeout_ms, keep, &n, &status, err);
    if (!reply) return NULL;
    json_error_t je;
    json_t *root = json_loadb((const char *)reply, n, 0, &je);
    if (!root) {
        char what[RPCC_ERR_MAX];
        snprintf(what, sizeof what, "HTTP status %d: %s", status, je.text);
        return fail(err, 0, "reply is not JSON (%s)", what);
    }
    return root;
}

/* value (stolen) over c, the reply parsed; keep as for post_on. */
static json_t *json_on(rpcc_conn *c, json_t *value, int timeout_ms, bool keep, rpcc_error *err) {
    char *body = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    HANSA_ASSERT(body != NULL);
    json_t *root = post_for_json(c, "/", "application/json", body, strlen(body), timeout_ms, keep, err);
    free(body);
    return root;
}

json_t *rpcc_conn_json(rpcc_conn *c, json_t *value, int timeout_ms, rpcc_error *err) {
    return json_on(c, value, timeout_ms, true, err);
}

/* The reply to a one-shot call (value stolen) on a connection of its own. */
static json_t *one_shot(const char *addr, json_t *value, int timeout_ms, rpcc_error *err) {
    rpcc_conn c;
    rpcc_conn_init(&c, addr);
    json_t *root = json_on(&c, value, timeout_ms, false, err);
    rpcc_conn_free(&c);
    return root;
}

/* The result of a JSON-RPC reply (root stolen; may be NULL, err then set),
 * or NULL with err set from its error. */
static json_t *result_of(json_t *root, rpcc_error *err) {
    if (!root) return NULL;
    json_t *result = json_object_get(root, "result");
    json_t *error = json_object_get(root, "error");
    if (result) {
        json_incref(result);
        json_decref(root);
        return result;
    }
    err->code = (int)json_integer_value(json_object_get(error, "code"));
    snprintf(err->message, sizeof err->message, "%s",
             json_string_value(json_object_get(error, "message")) ?: "error without message");
    err->data = json_object_get(error, "data");
    if (err->data) json_incref(err->data);
    json_decref(root);
    return NULL;
}

json_t *rpcc_call(const char *addr, const char *method, json_t *params, int timeout_ms,
                  rpcc_error *err) {
    json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
    if (params) json_object_set_new(req, "params", params);
    return result_of(one_shot(addr, req, timeout_ms, err), err);
}

json_t *rpcc_batch(const char *addr, json_t *calls, int timeout_ms, rpcc_error *err) {
    json_t *result = one_shot(addr, calls, timeout_ms, err);
    if (result && !json_is_array(result)) {
        json_decref(result);
        result = fail(err, 0, "batch reply is not a JSON array%s", "");
    }
    return result;
}

json_t *rpcc_submit_raw(const char *addr, const uint8_t *body, size_t len, int timeout_ms,
                        rpcc_error *err) {
    rpcc_conn c;
    rpcc_conn_init(&c, addr);
    json_t *root = post_for_json(&c, "/txs", "application/octet-stream", body, len, timeout_ms, false, err);
    rpcc_conn_free(&c);
    return result_of(root, err);
}
