/* receipt_api.h — the JSON-RPC methods about receipts (docs/rpc.md,
 * "Receipts"; docs/receipts.md): submit_receipt, receipt_verify,
 * receipt_claim_body, receipt_status, receipts_audit. */
#ifndef HANSA_RPC_RECEIPT_API_H
#define HANSA_RPC_RECEIPT_API_H

#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_receipt_api rpc_receipt_api;

/* Registers the methods on server for node n (both borrowed; they must
 * outlive the api). */
rpc_receipt_api *rpc_receipt_api_new(rpc_server *server, node *n);
/* Frees the api, answering pending submit_receipt calls with
 * RPC_SHUTTING_DOWN. Call before rpc_server_free. NULL is a no-op. */
void rpc_receipt_api_free(rpc_receipt_api *api);

#endif
