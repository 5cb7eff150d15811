/* rpc_client.h — a small blocking JSON-RPC 2.0 client over HTTP/1.1, for
 * the CLI. One connection per call ("Connection: close"); bounded reply. */
#ifndef HANSA_CMD_RPC_CLIENT_H
#define HANSA_CMD_RPC_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RPCC_ERR_MAX 256
#define RPCC_REPLY_MAX (64u << 20)

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
 * (HTTP/1.1 404 Not Found)"), or the node's refusal of the whole body
 * (code -32600 malformed, empty or too many; -32003 too large). */
json_t *rpcc_submit_raw(const char *addr, const uint8_t *body, size_t len, int timeout_ms,
                        rpcc_error *err);

#endif
