/* rpc_client.h — a small blocking JSON-RPC 2.0 client over HTTP/1.1, for
 * the CLI. One connection per call ("Connection: close"); bounded reply. */
#ifndef HANSA_CMD_RPC_CLIENT_H
#define HANSA_CMD_RPC_CLIENT_H

#include <jansson.h>
#include <stddef.h>

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

#endif
