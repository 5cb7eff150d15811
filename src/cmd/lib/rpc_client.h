/* rpc_client.h — a small blocking JSON-RPC 2.0 client over HTTP/1.1, for
 * the CLI. rpcc_call and rpcc_batch open one connection per call
 * ("Connection: close"); a client that calls a node many times a second (the
 * load generator) keeps one open instead (rpcc_conn), so that neither it nor
 * the node spends a connect, an accept and a close on every call. Replies
 * are bounded (RPCC_REPLY_MAX). */
#ifndef HANSA_CMD_RPC_CLIENT_H
#define HANSA_CMD_RPC_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define RPCC_ERR_MAX 256
#define RPCC_REPLY_MAX (64u << 20)
#define RPCC_HEAD_MAX (16u << 10) /* an HTTP reply's status line and headers */
#define RPCC_ADDR_MAX 64

typedef struct {
    int code;                 /* JSON-RPC error code, or 0 for transport errors */
    char message[RPCC_ERR_MAX];
    json_t *data;             /* the error's data, owned (may be NULL) */
} rpcc_error;

/* Calls method at "ip:port" with params (stolen; may be NULL) and waits up
 * to timeout_ms. Returns the result (new reference) or NULL with *err set;
 * free err->data with json_decref. */
json_t *rpcc_call(const char *addr, const char *method, json_t *params, int timeout_ms,
                  rpcc_error *err);

/* Sends calls (a JSON array of request objects; stolen) as one JSON-RPC
 * batch and returns the reply array (new reference; members in any order,
 * matched by id) or NULL with *err set for a transport error or a reply
 * that is not an array (as for a batch the server refused whole). */
json_t *rpcc_batch(const char *addr, json_t *calls, int timeout_ms, rpcc_error *err);

/* POSTs body (len bytes: (u32 little-endian length | encoded tx)*, docs/rpc.md
 * "POST /txs") to the node's /txs and returns its result, {txs, admitted,
 * refused: [{index, error, why}]} (new reference), or NULL with *err set: a
 * transport error (code 0; a node without /txs gives "reply is not JSON
 * (HTTP status 404: ...)"), or the node's refusal of the whole body
 * (code -32600 malformed, empty or too many; -32003 too large). */
json_t *rpcc_submit_raw(const char *addr, const uint8_t *body, size_t len, int timeout_ms,
                        rpcc_error *err);

/* ---- the head of an HTTP reply ---- */

typedef struct {
    int status;          /* 200, 413, ... */
    size_t head_len;     /* bytes of the status line and headers, blank line included */
    bool has_length;     /* a Content-Length was given: the body is that long */
    size_t content_len;
    bool close;          /* the server closes after this reply (Connection: close, HTTP/1.0) */
} rpcc_head;

/* Parses the head of an HTTP/1.x reply at the start of p[0..n) (untrusted:
 * the node's bytes). Returns 1 with *h set, 0 if the head is not complete
 * yet (read more), or -1 with why set: a malformed status line or header, a
 * head over RPCC_HEAD_MAX, a Content-Length that is not a decimal number,
 * differs from another one or exceeds RPCC_REPLY_MAX, or a chunked body
 * (the node's replies carry a length). Reads no socket. */
int rpcc_head_parse(const char *p, size_t n, rpcc_head *h, char *why, size_t why_len);

/* ---- a kept-alive connection ---- */

/* One HTTP/1.1 connection to one node, opened on first use and kept for
 * the calls after it. One thread uses it at a time. A connection the node
 * closed between calls (its idle timeout, a restart) is found before the
 * next request is sent (the socket reads as closed) and replaced; if the
 * node closes it after the request went out, before any byte of a reply,
 * the request is sent once more on a new connection — so a request sent
 * over a rpcc_conn must be safe to repeat (a read, or a signed transaction,
 * which a node that already admitted it answers as a duplicate). */
typedef struct {
    char addr[RPCC_ADDR_MAX]; /* "ip:port" */
    int fd;                   /* -1: not connected */
    uint64_t calls_on_fd;     /* replies read on fd: 0 for a fresh connection */
    hbuf out, in;             /* the request and the reply, reused from call to call */
    uint64_t dials;           /* connections opened */
    uint64_t resent;          /* requests sent again after a kept connection failed */
} rpcc_conn;

void rpcc_conn_init(rpcc_conn *c, const char *addr);
/* Closes the connection and frees the buffers; c may be initialised again. */
void rpcc_conn_free(rpcc_conn *c);

/* POSTs body[0..len) to path with this content type over c within
 * timeout_ms. Returns the reply's body, borrowed from c (valid until the
 * next call on c), with *body_len and *status set, or NULL with err set
 * (code 0: the node did not answer, or its reply was not HTTP or too
 * large). After a failure the connection is closed; the next call opens a
 * new one. */
const uint8_t *rpcc_conn_post(rpcc_conn *c, const char *path, const char *content_type, const void *body,
                              size_t len, int timeout_ms, size_t *body_len, int *status, rpcc_error *err);

/* Sends value (stolen) as a JSON-RPC request or batch over c and returns the
 * parsed reply (new reference), or NULL with err set (code 0) if none came
 * or it is not JSON. */
json_t *rpcc_conn_json(rpcc_conn *c, json_t *value, int timeout_ms, rpcc_error *err);

#endif
