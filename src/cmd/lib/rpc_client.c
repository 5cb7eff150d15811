/* rpc_client.c — see rpc_client.h. */
#define _GNU_SOURCE
#include "cmd/lib/rpc_client.h"

#include <stdbool.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"

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
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
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

/* Sends all of buf and reads until the peer closes, within the deadline. */
static bool exchange(int fd, const hbuf *req, hbuf *reply, uint64_t deadline_us, char *why,
                     size_t why_len) {
    size_t off = 0;
    while (off < req->len) {
        ssize_t k = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
        if (k <= 0) {
            snprintf(why, why_len, "send: %s", strerror(errno));
            return false;
        }
        off += (size_t)k;
    }
    for (;;) {
        uint64_t now = clock_system_mono_us();
        if (now >= deadline_us) {
            snprintf(why, why_len, "timed out waiting for the node");
            return false;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)((deadline_us - now) / 1000) + 1);
        if (r <= 0) continue;
        uint8_t *dst = hbuf_extend(reply, 65536);
        ssize_t k = recv(fd, dst, 65536, 0);
        reply->len -= 65536 - (k > 0 ? (size_t)k : 0);
        if (k == 0) return true;
        if (k < 0 || reply->len > RPCC_REPLY_MAX) {
            snprintf(why, why_len, "reply too large or read error");
            return false;
        }
    }
}

static json_t *parse_reply(const hbuf *reply, rpcc_error *err) {
    const char *text = (const char *)reply->data;
    const char *body = reply->len ? memmem(text, reply->len, "\r\n\r\n", 4) : NULL;
    if (!body) return fail(err, 0, "malformed HTTP reply%s", "");
    body += 4;
    json_error_t je;
    json_t *root = json_loadb(body, reply->len - (size_t)(body - text), 0, &je);
    if (!root) {
        /* The status line says more than the parser: a node without the
         * path answers "404 Not Found" in plain text. */
        char status[64];
        size_t n = strcspn(text, "\r");
        snprintf(status, sizeof status, "%.*s", (int)(n < sizeof status ? n : sizeof status - 1), text);
        return fail(err, 0, "reply is not JSON (%s)", status);
    }
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

/* POSTs len bytes of body as content_type to path at addr and returns the
 * reply in *reply (an HTTP response; see parse_reply), or false with err set. */
static bool post_bytes(const char *addr, const char *path, const char *content_type,
                       const void *body, size_t len, int timeout_ms, hbuf *reply, rpcc_error *err) {
    hbuf out = HBUF_INIT;
    char head[320];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n", path, addr, content_type, len);
    if (n < 0 || (size_t)n >= sizeof head) {
        fail(err, 0, "address too long: %s", addr);
        return false;
    }
    hbuf_append(&out, head, (size_t)n);
    hbuf_append(&out, body, len);
    char why[RPCC_ERR_MAX];
    uint64_t deadline = clock_system_mono_us() + (uint64_t)timeout_ms * 1000;
    int fd = dial(addr, deadline, why, sizeof why);
    bool ok = fd >= 0 && exchange(fd, &out, reply, deadline, why, sizeof why);
    if (!ok) fail(err, 0, "%s", why);
    if (fd >= 0) close(fd);
    hbuf_free(&out);
    return ok;
}

/* POSTs the JSON value (stolen) to addr as a JSON-RPC request or batch. */
static bool post(const char *addr, json_t *value, int timeout_ms, hbuf *reply, rpcc_error *err) {
    char *body = json_dumps(value, JSON_COMPACT);
    json_decref(value);
    bool ok = post_bytes(addr, "/", "application/json", body, strlen(body), timeout_ms, reply, err);
    free(body);
    return ok;
}

json_t *rpcc_call(const char *addr, const char *method, json_t *params, int timeout_ms,
                  rpcc_error *err) {
    json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
    if (params) json_object_set_new(req, "params", params);
    hbuf reply = HBUF_INIT;
    json_t *result = post(addr, req, timeout_ms, &reply, err) ? parse_reply(&reply, err) : NULL;
    hbuf_free(&reply);
    return result;
}

json_t *rpcc_batch(const char *addr, json_t *calls, int timeout_ms, rpcc_error *err) {
    hbuf reply = HBUF_INIT;
    json_t *result = NULL;
    if (post(addr, calls, timeout_ms, &reply, err)) {
        const char *text = (const char *)reply.data;
        const char *start = reply.len ? memmem(text, reply.len, "\r\n\r\n", 4) : NULL;
        json_error_t je;
        if (start) result = json_loadb(start + 4, reply.len - (size_t)(start + 4 - text), 0, &je);
        if (!json_is_array(result)) {
            json_decref(result);
            result = fail(err, 0, "batch reply is not a JSON array%s", "");
        }
    }
    hbuf_free(&reply);
    return result;
}

json_t *rpcc_submit_raw(const char *addr, const uint8_t *body, size_t len, int timeout_ms,
                        rpcc_error *err) {
    hbuf reply = HBUF_INIT;
    json_t *result = NULL;
    if (post_bytes(addr, "/txs", "application/octet-stream", body, len, timeout_ms, &reply, err))
        result = parse_reply(&reply, err);
    hbuf_free(&reply);
    return result;
}
