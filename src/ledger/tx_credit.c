/* tx_credit.c — see tx_credit.h: the credit transaction kinds.
 *
 * Each kind is one function run twice: as the check (apply == false: it
 * reads the pending block and changes nothing) and as the apply (the same
 * steps, then the writes), so the two can never disagree; the apply asserts
 * that the check's verdict still holds. */
#include "ledger/tx_credit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "ledger/block.h"
#include "ledger/credit_store.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/xtally.h"
#include "ledger/xlift.h"

/* ---- decoders ------------------------------------------------------------------ */

/* Finishes a cursor decode: the reason and where, in why. */
static hansa_err rd_done(wire_rd *r, const char *what, char *why, size_t why_len) {
    rd_end(r);
    if (r->err == HANSA_OK) return HANSA_OK;
    char where[96];
    rd_describe(r, where, sizeof where);
    ledger_why(why, why_len, "%s body: %s (%s)", what, hansa_strerror(r->err), where);
    return r->err;
}

hansa_err txc_offer_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    credit_rd_contract(&r, &out->credit.contract);
    rd_fixed(&r, out->credit.sig.b, HANSA_SIG_BYTES, "sig");
    return rd_done(&r, "tally offer", why, why_len);
}

hansa_err txc_answer_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    rd_fixed(&r, out->credit.id.b, CREDIT_ID_BYTES, "tally_id");
    out->credit.revision = rd_u32(&r, "revision");
    rd_fixed(&r, out->credit.sig.b, HANSA_SIG_BYTES, "sig");
    return rd_done(&r, "tally accept", why, why_len);
}

hansa_err txc_refuse_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    rd_fixed(&r, out->credit.id.b, CREDIT_ID_BYTES, "tally_id");
    out->credit.revision = rd_u32(&r, "revision");
    return rd_done(&r, "tally refuse", why, why_len);
}

hansa_err txc_id_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                        size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    rd_fixed(&r, out->credit.id.b, CREDIT_ID_BYTES, "id");
    return rd_done(&r, "tally or invoice id", why, why_len);
}

hansa_err txc_trade_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    credit_rd_trade_signed(&r, &out->credit.trade);
    return rd_done(&r, "trading variables", why, why_len);
}

hansa_err txc_chit_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len) {
    wire_rd r;
    rd_init(&r, body, len);
    credit_rd_chit(&r, &out->credit.chit);
    return rd_done(&r, "chit", why, why_len);
}

hansa_err txc_invoice_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                             size_t why_len) {
    wire_rd r;
    hansa_err err = credit_invoice_decode(body, len, &out->credit.invoice, &r);
    if (err == HANSA_OK) return HANSA_OK;
    char where[96];
    rd_describe(&r, where, sizeof where);
    ledger_why(why, why_len, "invoice body: %s (%s)", hansa_strerror(err), where);
    return err;
}

/* ---- shared steps ------------------------------------------------------------------ */

/* The tally (heap, caller frees) or HANSA_ERR_NOT_FOUND. */
static hansa_err tally_load(const ledger_block *b, const credit_id *id, credit_tally **out,
                            char *why, size_t why_len) {
    *out = hansa_malloc(sizeof **out);
    if (credit_store_tally_get(b, id, *out)) return HANSA_OK;
    free(*out);
    *out = NULL;
    char hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(id->b, CREDIT_ID_BYTES, hex);
    ledger_why(why, why_len, "no tally %s", hex);
    return HANSA_ERR_NOT_FOUND;
}

/* The sender's side on t, or HANSA_ERR_INVALID. */
static hansa_err sender_side(const credit_tally *t, const ledger_tx_ctx *c, credit_side *out,
                             char *why, size_t why_len) {
    *out = credit_contract_side_of(&t->contract, &c->tx->sender);
    if (*out != 0) return HANSA_OK;
    ledger_why(why, why_len, "the sender is not a party to this tally");
    return HANSA_ERR_INVALID;
}

/* HANSA_ERR_WRONG_CHAIN for a tally across chains: its party messages
 * travel as tally packets (xtally.h), never as one chain's transaction. */
static hansa_err one_chain(const ledger_block *b, const credit_tally *t, char *why, size_t why_len) {
    credit_side local;
    if (!xtally_across(t, b->base->params.chain_id, &local)) return HANSA_OK;
    ledger_why(why, why_len, "the tally is across chains: send this as a tally packet (kind 20, type 2)");
    return HANSA_ERR_WRONG_CHAIN;
}

/* Runs a transition on the tally named by id; on success with apply, the
 * tally is stored. step gets the tally and the sender's side. */
typedef hansa_err (*tally_step)(credit_tally *t, credit_side by, const ledger_tx_ctx *c,
                                char *why, size_t why_len);

static hansa_err on_tally(ledger_block *b, const ledger_tx_ctx *c, const credit_id *id,
                          tally_step step, bool apply, char *why, size_t why_len) {
    credit_tally *t;
    hansa_err err = tally_load(b, id, &t, why, why_len);
    if (err != HANSA_OK) return err;
    credit_side by = 0;
    err = sender_side(t, c, &by, why, why_len);
    if (err == HANSA_OK) err = one_chain(b, t, why, why_len);
    if (err == HANSA_OK) err = step(t, by, c, why, why_len);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) credit_store_tally_put(b, t);
    free(t);
    return err;
}

#define ROW(name, fn)                                                                       \
    hansa_err txc_##name##_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,  \
                                 size_t why_len) {                                          \
        return fn((ledger_block *)b, c, false, why, why_len);                               \
    }                                                                                       \
    void txc_##name##_apply(ledger_block *b, const ledger_tx_ctx *c) {                      \
        HANSA_ASSERT(fn(b, c, true, NULL, 0) == HANSA_OK);                                  \
    }

/* ---- offers ----------------------------------------------------------------------- */

static hansa_err do_offer(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                          size_t why_len) {
    const credit_contract *k = &c->body.credit.contract;
    credit_side by = credit_contract_side_of(k, &c->tx->sender);
    if (by == 0) {
        ledger_why(why, why_len, "the sender is not a party to the contract it offers");
        return HANSA_ERR_INVALID;
    }
    credit_tally *t = hansa_malloc(sizeof *t);
    bool exists = credit_store_tally_get(b, &k->tally_id, t);
    hansa_err err = credit_tally_offer(t, exists, k, by, &c->body.credit.sig,
                                       b->base->params.chain_id, why, why_len);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) credit_store_tally_put(b, t);
    free(t);
    return err;
}
ROW(offer, do_offer)

static hansa_err step_counter(credit_tally *t, credit_side by, const ledger_tx_ctx *c, char *why,
                              size_t why_len) {
    return credit_tally_counter(t, &c->body.credit.contract, by, &c->body.credit.sig, why, why_len);
}
static hansa_err do_counter(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                            size_t why_len) {
    return on_tally(b, c, &c->body.credit.contract.tally_id, step_counter, apply, why, why_len);
}
ROW(counter, do_counter)

static hansa_err step_accept(credit_tally *t, credit_side by, const ledger_tx_ctx *c, char *why,
                             size_t why_len) {
    return credit_tally_accept(t, by, c->body.credit.revision, &c->body.credit.sig, why, why_len);
}
static hansa_err do_accept(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                           size_t why_len) {
    return on_tally(b, c, &c->body.credit.id, step_accept, apply, why, why_len);
}
ROW(accept, do_accept)

static hansa_err step_refuse(credit_tally *t, credit_side by, const ledger_tx_ctx *c, char *why,
                             size_t why_len) {
    return credit_tally_refuse(t, by, c->body.credit.revision, why, why_len);
}
static hansa_err do_refuse(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                           size_t why_len) {
    return on_tally(b, c, &c->body.credit.id, step_refuse, apply, why, why_len);
}
ROW(refuse, do_refuse)

static hansa_err step_close(credit_tally *t, credit_side by, const ledger_tx_ctx *c, char *why,
                            size_t why_len) {
    (void)c;
    return credit_tally_close(t, by, why, why_len);
}
static hansa_err do_close(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                          size_t why_len) {
    /* A closing tally takes only chits toward zero: a pending lift's leg
     * might not book. */
    if (xlift_busy(b, &c->body.credit.id)) {
        ledger_why(why, why_len, "cross-chain lifts are pending on this tally: close it once they resolve");
        return HANSA_ERR_STATE;
    }
    return on_tally(b, c, &c->body.credit.id, step_close, apply, why, why_len);
}
ROW(close, do_close)

static hansa_err step_trade(credit_tally *t, credit_side by, const ledger_tx_ctx *c, char *why,
                            size_t why_len) {
    if (c->body.credit.trade.side != by) {
        ledger_why(why, why_len, "only the %s holder may sign its trading variables",
                   credit_side_name((credit_side)c->body.credit.trade.side));
        return HANSA_ERR_INVALID;
    }
    return credit_tally_trade(t, &c->body.credit.trade, why, why_len);
}
static hansa_err do_trade(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                          size_t why_len) {
    return on_tally(b, c, &c->body.credit.trade.tally_id, step_trade, apply, why, why_len);
}
ROW(trade, do_trade)

/* ---- chits -------------------------------------------------------------------------- */

/* Carries the messages of out to the other half, and theirs back, until
 * both halves are quiet: on one chain the ledger is the transport. */
void txc_loopback(credit_tally *t, credit_side from, const credit_out *out, int depth) {
    HANSA_ASSERT(depth < 8); /* a settled exchange takes three hops */
    credit_side to = credit_side_other(from);
    credit_out *next = hansa_malloc(sizeof *next);
    for (uint8_t i = 0; i < out->n_msgs; i++) {
        char why[LEDGER_WHY_MAX] = "";
        hansa_err err = credit_half_recv(&t->half[to], &out->msgs[i], next, why, sizeof why);
        HANSA_ASSERT(err == HANSA_OK);
        HANSA_ASSERT(t->half[to].fault == 0);
        txc_loopback(t, to, next, depth + 1);
    }
    free(next);
}

/* A chit on its tally: the same steps for a direct chit and an invoice
 * payment (inv non-NULL: the invoice it pays, updated on apply). */
static hansa_err chit_on(ledger_block *b, const ledger_tx_ctx *c, credit_invoice *inv, bool apply,
                         char *why, size_t why_len) {
    const credit_chit *chit = &c->body.credit.chit;
    credit_tally *t;
    hansa_err err = tally_load(b, &chit->tally_id, &t, why, why_len);
    if (err != HANSA_OK) return err;
    credit_side by = 0;
    int64_t after;
    err = sender_side(t, c, &by, why, why_len);
    if (err == HANSA_OK && by != chit->by) {
        ledger_why(why, why_len, "the chit pledges the %s holder's value: only it may submit it",
                   credit_side_name((credit_side)chit->by));
        err = HANSA_ERR_INVALID;
    }
    if (err == HANSA_OK && inv != NULL) err = credit_invoice_check_pay(inv, chit, why, why_len);
    credit_side local;
    if (err == HANSA_OK && xtally_across(t, b->base->params.chain_id, &local)) {
        err = xtally_chit(b, t, by, chit, inv, apply, why, why_len);
        free(t);
        return err;
    }
    if (err == HANSA_OK) err = credit_tally_chit_check(t, chit, &after, why, why_len);
    if (err == HANSA_OK) err = xlift_room(b, t, after, why, why_len);
    if (err == HANSA_OK && !credit_chit_verify(chit, credit_contract_key(&t->contract, by))) {
        ledger_why(why, why_len, "the chit's signature by the %s holder does not verify",
                   credit_side_name(by));
        err = HANSA_ERR_BAD_SIG;
    }
    if (err == HANSA_OK) err = credit_store_chit_id_free(b, chit, why, why_len);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err != HANSA_OK || !apply) {
        free(t);
        return err;
    }
    credit_store_ctx sc;
    credit_store_attach(b, t, &sc);
    credit_out *out = hansa_malloc(sizeof *out);
    HANSA_ASSERT(credit_half_issue(&t->half[by], chit, true, out, NULL, 0) == HANSA_OK);
    txc_loopback(t, by, out, 0);
    free(out);
    HANSA_ASSERT(credit_half_settled(&t->half[CREDIT_STOCK]));
    HANSA_ASSERT(credit_half_settled(&t->half[CREDIT_FOIL]));
    HANSA_ASSERT(t->half[CREDIT_STOCK].n == t->half[CREDIT_FOIL].n);
    credit_tally_chit_book(t, chit);
    HANSA_ASSERT(t->balance == after);
    credit_store_tally_put(b, t);
    free(t);
    if (inv != NULL) {
        inv->state = CREDIT_INV_PAID;
        inv->paid_by = chit->chit_id;
        credit_store_invoice_put(b, inv);
    }
    return HANSA_OK;
}

static hansa_err do_chit(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                         size_t why_len) {
    if (c->body.credit.chit.kind != CREDIT_CHIT_DIRECT) {
        ledger_why(why, why_len, "only a direct chit travels as chit (an invoice chit as invoice_pay, a lift chit inside its lift)");
        return HANSA_ERR_INVALID;
    }
    return chit_on(b, c, NULL, apply, why, why_len);
}
ROW(chit, do_chit)

/* ---- invoices --------------------------------------------------------------------------- */

static hansa_err invoice_load(const ledger_block *b, const credit_id *id, credit_invoice *out,
                              char *why, size_t why_len) {
    if (credit_store_invoice_get(b, id, out)) return HANSA_OK;
    char hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(id->b, CREDIT_ID_BYTES, hex);
    ledger_why(why, why_len, "no invoice %s", hex);
    return HANSA_ERR_NOT_FOUND;
}

static hansa_err do_invoice_pay(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                                size_t why_len) {
    const credit_chit *chit = &c->body.credit.chit;
    if (chit->kind != CREDIT_CHIT_INVOICE) {
        ledger_why(why, why_len, "invoice_pay takes an invoice chit");
        return HANSA_ERR_INVALID;
    }
    credit_invoice inv;
    hansa_err err = invoice_load(b, &chit->invoice_id, &inv, why, why_len);
    if (err != HANSA_OK) return err;
    return chit_on(b, c, &inv, apply, why, why_len);
}
ROW(invoice_pay, do_invoice_pay)

static hansa_err do_invoice_create(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                                   size_t why_len) {
    credit_invoice inv = c->body.credit.invoice, old;
    if (credit_store_invoice_get(b, &inv.invoice_id, &old)) {
        ledger_why(why, why_len, "the invoice id is taken");
        return HANSA_ERR_DUPLICATE;
    }
    credit_tally *t;
    hansa_err err = tally_load(b, &inv.tally_id, &t, why, why_len);
    if (err != HANSA_OK) return err;
    credit_side by = 0;
    err = sender_side(t, c, &by, why, why_len);
    if (err == HANSA_OK) err = one_chain(b, t, why, why_len);
    if (err == HANSA_OK) err = credit_invoice_check_create(t, &inv, by, why, why_len);
    free(t);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) {
        inv.state = CREDIT_INV_PENDING;
        credit_store_invoice_put(b, &inv);
    }
    return err;
}
ROW(invoice_create, do_invoice_create)

static hansa_err do_invoice_refuse(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                                   size_t why_len) {
    credit_invoice inv;
    hansa_err err = invoice_load(b, &c->body.credit.id, &inv, why, why_len);
    if (err != HANSA_OK) return err;
    credit_tally *t;
    err = tally_load(b, &inv.tally_id, &t, why, why_len);
    if (err != HANSA_OK) return err;
    credit_side by = 0;
    err = sender_side(t, c, &by, why, why_len);
    if (err == HANSA_OK) err = one_chain(b, t, why, why_len);
    free(t);
    if (err == HANSA_OK) err = credit_invoice_check_refuse(&inv, why, why_len);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) {
        inv.state = CREDIT_INV_REFUSED;
        credit_store_invoice_put(b, &inv);
    }
    return err;
}
ROW(invoice_refuse, do_invoice_refuse)
