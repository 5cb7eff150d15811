/* receipts.h — a node's receipt duty (docs/receipts.md): it answers a
 * submitted transfer with a receipt signed by its key and backed by its
 * receipt collateral, asks other receipt nodes to underwrite what its own
 * free collateral does not cover, and underwrites for them.
 *
 * The node decides from its own view and takes the risk: the transaction
 * must enter its mempool (valid against the committed state and everything
 * queued before it, so no conflicting transaction of the sender is queued
 * here), and the guarantee must fit its free collateral:
 *     free = bonded receipt collateral on chain - outstanding guarantees.
 * Every guarantee is stored (store_receipt_put, synced) before its
 * signature leaves the process, so the exposure survives kill -9. A
 * guarantee is outstanding until its transaction is committed by the
 * deadline, or until the claim window after the deadline has passed (any
 * claim by then has been paid from the collateral on chain).
 *
 * Underwriting (peer messages 32-33, docs/protocol.md): the first node fixes
 * the receipt core (the total amount, deadline...), keeps the share its free
 * collateral covers and asks its peers one at a time for the rest with
 * RECEIPT_ASK; each answers RECEIPT_SHARE with a signed share of at most
 * what was asked, or a refusal. Asking one peer at a time makes the shares
 * add up to the amount exactly, which a receipt requires. */
#ifndef HANSA_NODE_RECEIPTS_H
#define HANSA_NODE_RECEIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "ledger/receipt.h"
#include "wire/codec.h"

typedef struct node node;

#define NODE_RECEIPT_DEADLINE_DEFAULT 20 /* heights after the tip */
#define NODE_RECEIPT_REASON_MAX 120      /* bytes of a refusal's reason */
#define NODE_RECEIPT_ASK_MS 1000         /* an underwriter's time to answer */

typedef struct {
    const uint8_t *tx; /* the encoded transfer; borrowed for the call */
    size_t tx_len;
    uint64_t amount;          /* to guarantee; 0 = the transfer's amount */
    uint32_t deadline_blocks; /* 0 = NODE_RECEIPT_DEADLINE_DEFAULT */
    /* Or NULL: set true once the transfer is admitted to the pool. Every
     * refusal after that (and every underwritten request's done) leaves it
     * admitted: it commits as any transfer, receipt or not. */
    bool *admitted;
} node_receipt_req;

/* The answer to an underwritten request: err HANSA_OK and the receipt
 * (borrowed for the call), or the refusal and why. */
typedef void (*node_receipt_done)(void *ctx, hansa_err err, const char *why, const receipt *rc);

/* Submits req's transaction and answers with a receipt. Returns HANSA_OK
 * with *out filled and *async 0 when this node covers the amount alone (or
 * already guaranteed the transaction); HANSA_OK with *async set to a handle
 * when underwriters were asked (done is called later, exactly once, unless
 * the request is cancelled first); or the refusal with why. */
hansa_err node_receipt_request(node *n, const node_receipt_req *req, receipt *out, uint64_t *async,
                               node_receipt_done done, void *ctx, char *why, size_t why_len);
/* Forgets an underwritten request (its caller gave up); done is not called. */
void node_receipt_cancel(node *n, uint64_t handle);

typedef struct {
    bool has_key;
    uint64_t bonded;      /* on chain */
    uint64_t exposure;    /* outstanding guarantees, own shares and underwritten */
    uint64_t free;        /* bonded - exposure, 0 if below */
    size_t outstanding;   /* guarantees */
    uint64_t issued;      /* receipts issued since start */
    uint64_t underwritten;/* shares signed for peers since start */
} node_receipt_status;

void node_receipt_status_get(const node *n, node_receipt_status *out);

/* Calls fn for every outstanding guarantee: the receipt core, this node's
 * amount, and the whole receipt when this node issued it (else NULL). */
typedef void (*node_receipt_iter_fn)(void *ctx, const receipt_core *core, uint64_t amount,
                                     const receipt *issued);
void node_receipt_iter(const node *n, node_receipt_iter_fn fn, void *ctx);

/* ---- formats (public for the fuzzers) ----
 * guarantee record (store)  version u8 = 1 | role u8 (1 issued, 2 underwrote) |
 *                           amount u64 | core (121) | role 1: receipt
 * RECEIPT_ASK               version u8 | request u64 | core (121) | want u64 > 0 |
 *                           u32 len | encoded tx
 * RECEIPT_SHARE             version u8 | request u64 | status u8: 0 = share:
 *                           signer 32 | amount u64 > 0 | sig 64; 1 = refused:
 *                           u8 len (<= NODE_RECEIPT_REASON_MAX) | reason */
typedef struct {
    uint8_t role; /* 1 issued, 2 underwrote */
    uint64_t amount;
    receipt_core core;
    receipt rc;   /* role 1 only */
} node_guarantee;

typedef struct {
    uint64_t request;
    receipt_core core;
    uint64_t want;
    const uint8_t *tx; /* borrowed */
    uint32_t tx_len;
} node_receipt_ask;

typedef struct {
    uint64_t request;
    bool refused;
    receipt_share share;
    char reason[NODE_RECEIPT_REASON_MAX + 1];
} node_receipt_share;

void node_guarantee_encode(hbuf *b, const node_guarantee *g);
hansa_err node_guarantee_decode(const uint8_t *p, size_t len, node_guarantee *out, wire_rd *r);
void node_receipt_ask_encode(hbuf *b, const node_receipt_ask *m);
hansa_err node_receipt_ask_decode(const uint8_t *p, size_t len, node_receipt_ask *out, wire_rd *r);
void node_receipt_share_encode(hbuf *b, const node_receipt_share *m);
hansa_err node_receipt_share_decode(const uint8_t *p, size_t len, node_receipt_share *out,
                                    wire_rd *r);

#endif
