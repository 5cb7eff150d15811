/* credit_api.h — the JSON-RPC methods about credit (docs/rpc.md, "Credit"):
 * a tally, the tallies of an address, a tally's chit chain, an invoice and
 * the invoices of a tally; and the JSON forms of credit objects, shared with
 * the tx view (node_json.c) and the events.
 *
 * Every method reads the node's committed ledger state; changes travel as
 * signed transactions through submit_tx (the CLI builds them). */
#ifndef HANSA_RPC_CREDIT_API_H
#define HANSA_RPC_CREDIT_API_H

#include <jansson.h>

#include "ledger/credit_rec.h"
#include "node/node.h"
#include "rpc/server.h"

typedef struct rpc_credit_api rpc_credit_api;

/* Registers tally, tallies, chits, invoice and invoices on server for node
 * n (both borrowed; they must outlive the api). */
rpc_credit_api *rpc_credit_api_new(rpc_server *server, node *n);
void rpc_credit_api_free(rpc_credit_api *api);
/* Its route discovery methods' state (rpc/route_api.h), for hansad's driver. */
struct rpc_route_api *rpc_credit_api_route(rpc_credit_api *api);

/* JSON forms (new references). */
json_t *cj_id(const credit_id *id);
json_t *cj_tally(const credit_tally *t);
json_t *cj_chit(const credit_chit *c, uint32_t chain_id);
json_t *cj_invoice(const credit_invoice *inv, const credit_tally *t);
json_t *cj_lift(const credit_lift *l);
json_t *cj_lift_rec(const credit_lift_rec *rec);
json_t *cj_event(const ledger_credit_event *ev);
/* Adds the decoded fields of a credit transaction body to j. */
void cj_tx_fields(json_t *j, uint16_t kind, const ledger_credit_body *body, uint32_t chain_id);

#endif
