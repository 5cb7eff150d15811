/* load_form.h — how the load generator (load.c) puts a batch of signed
 * transactions to a node and reads what the node said of each: a request
 * form is a body encoder and a reply judge, one function each, so that
 * another way of submitting (a binary endpoint) is one more pair beside
 * these two, and the load's bookkeeping does not change with it.
 *
 * The encoders write the request body straight into a reused buffer from
 * the transactions' bytes (no JSON tree per batch: under saturating load
 * building and dumping one cost the generator more than the RPC itself).
 * The judges parse the node's reply (untrusted: bounded by rpc_client's
 * reply cap, parsed by jansson) into one verdict per transaction. */
#ifndef HANSA_CMD_LOAD_FORM_H
#define HANSA_CMD_LOAD_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cmd/lib/load.h"

typedef enum {
    LOAD_VERDICT_ADMITTED,  /* the node admitted it to its mempool */
    LOAD_VERDICT_DUPLICATE, /* the node already held it: as good as admitted */
    LOAD_VERDICT_REFUSED,   /* refused; text says why */
} load_verdict_kind;

typedef struct {
    load_verdict_kind kind;
    char text[LOAD_REASON_TEXT_MAX]; /* REFUSED: "HANSA_ERR_FEE: fee 0 is below ..." */
} load_verdict;

typedef struct {
    const char *name;         /* for messages: "submit_txs" */
    const char *path;         /* the HTTP request's path */
    const char *content_type;
    /* Writes the request for tx[0..n) (tx_len[i] bytes each, 1 <= n <=
     * LOAD_FORM_TXS_MAX) into body, which it resets first. */
    void (*encode)(hbuf *body, const uint8_t *const *tx, const size_t *tx_len, int n);
    /* Judges the reply reply[0..len) to a request for n transactions into
     * v[0..n). Returns false, with why set, if it is no answer to the
     * request (not JSON-RPC, neither a result nor an error): the load
     * counts that as the node not answering. */
    bool (*judge)(const uint8_t *reply, size_t len, int n, load_verdict *v, char *why, size_t why_len);
} load_form;

#define LOAD_FORM_TXS_MAX 100 /* the server's default max_batch */

/* Counts v[0..n) into r and marks each transaction held (admitted, or a
 * duplicate: what a batch resent after a kept connection closed under it
 * meets) or rejected (its reason counted). */
void load_verdicts_tally(load_result *r, const load_verdict *v, int n, bool *held, bool *rejected);

/* POST /txs, the binary batch (docs/rpc.md): the transactions' own bytes,
 * no hex and no JSON request to parse; nodes since it exists. */
extern const load_form load_form_post_txs;
/* One submit_txs call (docs/rpc.md): nodes since it exists. */
extern const load_form load_form_submit_txs;
/* A JSON-RPC batch of submit_tx calls: nodes from before submit_txs. */
extern const load_form load_form_submit_tx_batch;

#endif
