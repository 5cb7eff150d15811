/* tally.c — see tally.h: the tally state machine, limits, trading variables
 * and invoice rules, and the tally record codec. */
#include "credit/tally.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"

const char *credit_tally_state_name(credit_tally_state s) {
    switch (s) {
    case CREDIT_TALLY_OFFERED: return "offered";
    case CREDIT_TALLY_OPEN: return "open";
    case CREDIT_TALLY_CLOSING: return "closing";
    case CREDIT_TALLY_CLOSED: return "closed";
    case CREDIT_TALLY_VOID: return "void";
    }
    return "?";
}

credit_side credit_contract_side_of(const credit_contract *c, const hansa_pubkey *key) {
    if (pubkey_eq(&c->stock.key, key)) return CREDIT_STOCK;
    if (pubkey_eq(&c->foil.key, key)) return CREDIT_FOIL;
    return 0;
}

static hansa_err bad_state(const credit_tally *t, const char *what, char *why, size_t why_len) {
    credit_say(why, why_len, "cannot %s a tally that is %s", what,
        credit_tally_state_name((credit_tally_state)t->state));
    return HANSA_ERR_STATE;
}

static bool same_parties(const credit_contract *a, const credit_contract *b) {
    return a->stock.chain_id == b->stock.chain_id && pubkey_eq(&a->stock.key, &b->stock.key) &&
           a->foil.chain_id == b->foil.chain_id && pubkey_eq(&a->foil.key, &b->foil.key);
}

/* Checks the parts of a contract any offer must satisfy, and the signature
 * of side `by` over it. */
static hansa_err offer_common(const credit_contract *c, credit_side by, const hansa_sig *sig,
                              char *why, size_t why_len) {
    if (c->stock_grants.limit > CREDIT_AMOUNT_MAX || c->foil_grants.limit > CREDIT_AMOUNT_MAX) {
        credit_say(why, why_len, "a credit limit is over 2^62 milli-CHIPs");
        return HANSA_ERR_INVALID;
    }
    if (c->stock_grants.call_days > CREDIT_CALL_DAYS_MAX ||
        c->foil_grants.call_days > CREDIT_CALL_DAYS_MAX) {
        credit_say(why, why_len, "call notice is over %d days", CREDIT_CALL_DAYS_MAX);
        return HANSA_ERR_INVALID;
    }
    if (pubkey_eq(&c->stock.key, &c->foil.key)) {
        credit_say(why, why_len, "one key holds both halves");
        return HANSA_ERR_INVALID;
    }
    if (!credit_contract_verify(c, credit_contract_key(c, by), sig)) {
        credit_say(why, why_len, "the %s holder's signature over the contract does not verify",
            credit_side_name(by));
        return HANSA_ERR_BAD_SIG;
    }
    return HANSA_OK;
}

/* Resets t to a fresh offer of c by `by`. */
static void make_offer(credit_tally *t, const credit_contract *c, credit_side by,
                       const hansa_sig *sig) {
    memset(t, 0, sizeof *t);
    t->contract = *c;
    t->state = CREDIT_TALLY_OFFERED;
    t->offered_by = (uint8_t)by;
    t->sig[by] = *sig;
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        t->trade[s].tally_id = c->tally_id;
        t->trade[s].side = (uint8_t)s;
        credit_half_init(&t->half[s], (credit_side)s, &c->tally_id, &c->stock.key, &c->foil.key,
                         NULL, NULL);
    }
}

static hansa_err offer_on(credit_tally *t, bool exists, const credit_contract *c, credit_side by,
                          const hansa_sig *sig, char *why, size_t why_len);

hansa_err credit_tally_offer(credit_tally *t, bool exists, const credit_contract *c,
                             credit_side by, const hansa_sig *sig, uint32_t chain_id, char *why,
                             size_t why_len) {
    if (c->revision == 0) {
        credit_say(why, why_len, "revision 0 (offers count from 1)");
        return HANSA_ERR_INVALID;
    }
    if (c->stock.chain_id != chain_id || c->foil.chain_id != chain_id) {
        credit_say(why, why_len, "a party is on another chain: cross-chain tallies need packets");
        return HANSA_ERR_WRONG_CHAIN;
    }
    return offer_on(t, exists, c, by, sig, why, why_len);
}

hansa_err credit_tally_offer_across(credit_tally *t, bool exists, const credit_contract *c,
                                    credit_side by, const hansa_sig *sig, uint32_t here,
                                    uint32_t there, char *why, size_t why_len) {
    if (c->revision == 0) {
        credit_say(why, why_len, "revision 0 (offers count from 1)");
        return HANSA_ERR_INVALID;
    }
    bool ok = here != there && ((c->stock.chain_id == here && c->foil.chain_id == there) ||
                                (c->stock.chain_id == there && c->foil.chain_id == here));
    if (!ok) {
        credit_say(why, why_len, "the parties are not one on chain %" PRIx32 " and one on chain %" PRIx32,
            here, there);
        return HANSA_ERR_WRONG_CHAIN;
    }
    return offer_on(t, exists, c, by, sig, why, why_len);
}

/* The rules of an offer once its parties' chains are right. */
static hansa_err offer_on(credit_tally *t, bool exists, const credit_contract *c, credit_side by,
                          const hansa_sig *sig, char *why, size_t why_len) {
    if (exists) {
        if (t->state != CREDIT_TALLY_VOID) return bad_state(t, "re-offer", why, why_len);
        if (!same_parties(&t->contract, c)) {
            credit_say(why, why_len, "a re-offer must keep the parties of the refused tally");
            return HANSA_ERR_INVALID;
        }
        if (c->revision <= t->contract.revision) {
            credit_say(why, why_len, "revision %" PRIu32 " is not above the refused %" PRIu32,
                c->revision, t->contract.revision);
            return HANSA_ERR_INVALID;
        }
    }
    hansa_err err = offer_common(c, by, sig, why, why_len);
    if (err != HANSA_OK) return err;
    make_offer(t, c, by, sig);
    return HANSA_OK;
}

hansa_err credit_tally_counter(credit_tally *t, const credit_contract *c, credit_side by,
                               const hansa_sig *sig, char *why, size_t why_len) {
    if (t->state != CREDIT_TALLY_OFFERED) return bad_state(t, "counter", why, why_len);
    if (by == t->offered_by) {
        credit_say(why, why_len, "the %s holder made this offer: only the other party may counter it",
            credit_side_name(by));
        return HANSA_ERR_INVALID;
    }
    if (!credit_id_eq(&c->tally_id, &t->contract.tally_id) || !same_parties(&t->contract, c)) {
        credit_say(why, why_len, "a counter-offer keeps the tally id and the parties");
        return HANSA_ERR_INVALID;
    }
    if (c->revision != t->contract.revision + 1) {
        credit_say(why, why_len,
                   "a counter-offer to revision %" PRIu32 " is revision %" PRIu32 ", not %" PRIu32,
                   t->contract.revision, t->contract.revision + 1, c->revision);
        return HANSA_ERR_INVALID;
    }
    hansa_err err = offer_common(c, by, sig, why, why_len);
    if (err != HANSA_OK) return err;
    make_offer(t, c, by, sig);
    return HANSA_OK;
}

/* The party an OFFERED tally waits for, with its revision. */
static hansa_err answer_check(const credit_tally *t, credit_side by, uint32_t revision,
                              const char *what, char *why, size_t why_len) {
    if (t->state != CREDIT_TALLY_OFFERED) return bad_state(t, what, why, why_len);
    if (by == t->offered_by) {
        credit_say(why, why_len, "the %s holder made this offer: only the other party may %s it",
            credit_side_name(by), what);
        return HANSA_ERR_INVALID;
    }
    if (revision != t->contract.revision) {
        credit_say(why, why_len, "the offer is at revision %" PRIu32 ", not %" PRIu32,
            t->contract.revision, revision);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err credit_tally_accept(credit_tally *t, credit_side by, uint32_t revision,
                              const hansa_sig *sig, char *why, size_t why_len) {
    hansa_err err = answer_check(t, by, revision, "accept", why, why_len);
    if (err != HANSA_OK) return err;
    if (!credit_contract_verify(&t->contract, credit_contract_key(&t->contract, by), sig)) {
        credit_say(why, why_len, "the %s holder's signature over the contract does not verify",
            credit_side_name(by));
        return HANSA_ERR_BAD_SIG;
    }
    t->sig[by] = *sig;
    t->state = CREDIT_TALLY_OPEN;
    return HANSA_OK;
}

hansa_err credit_tally_refuse(credit_tally *t, credit_side by, uint32_t revision, char *why,
                              size_t why_len) {
    hansa_err err = answer_check(t, by, revision, "refuse", why, why_len);
    if (err != HANSA_OK) return err;
    t->state = CREDIT_TALLY_VOID;
    return HANSA_OK;
}

hansa_err credit_tally_close(credit_tally *t, credit_side by, char *why, size_t why_len) {
    if (t->state != CREDIT_TALLY_OPEN) return bad_state(t, "close", why, why_len);
    t->closing_by = (uint8_t)by;
    t->state = t->balance == 0 ? CREDIT_TALLY_CLOSED : CREDIT_TALLY_CLOSING;
    return HANSA_OK;
}

hansa_err credit_tally_trade(credit_tally *t, const credit_trade_signed *ts, char *why,
                             size_t why_len) {
    if (t->state != CREDIT_TALLY_OPEN && t->state != CREDIT_TALLY_CLOSING)
        return bad_state(t, "set trading variables of", why, why_len);
    if (!credit_id_eq(&ts->tally_id, &t->contract.tally_id) ||
        (ts->side != CREDIT_STOCK && ts->side != CREDIT_FOIL)) {
        credit_say(why, why_len, "trading variables name another tally or no side");
        return HANSA_ERR_INVALID;
    }
    hansa_err err = credit_trade_check(&ts->tv, why, why_len);
    if (err != HANSA_OK) return err;
    if (ts->seq <= t->trade[ts->side].seq) {
        credit_say(why, why_len, "seq %" PRIu32 " is not above the current %" PRIu32, ts->seq,
            t->trade[ts->side].seq);
        return HANSA_ERR_INVALID;
    }
    if (!credit_trade_verify(ts, credit_contract_key(&t->contract, ts->side))) {
        credit_say(why, why_len, "the %s holder's signature over its trading variables does not verify",
            credit_side_name(ts->side));
        return HANSA_ERR_BAD_SIG;
    }
    t->trade[ts->side] = *ts;
    return HANSA_OK;
}

hansa_err credit_tally_chit_check(const credit_tally *t, const credit_chit *c, int64_t *after,
                                  char *why, size_t why_len) {
    if (t->state != CREDIT_TALLY_OPEN && t->state != CREDIT_TALLY_CLOSING)
        return bad_state(t, "pay on", why, why_len);
    if (!credit_id_eq(&c->tally_id, &t->contract.tally_id)) {
        credit_say(why, why_len, "the chit is for another tally");
        return HANSA_ERR_INVALID;
    }
    if (c->amount == 0 || c->amount > CREDIT_AMOUNT_MAX) {
        credit_say(why, why_len, "amount %" PRIu64 " is outside 1..2^62 milli-CHIPs", c->amount);
        return HANSA_ERR_INVALID;
    }
    int64_t delta = c->by == CREDIT_FOIL ? (int64_t)c->amount : -(int64_t)c->amount, b;
    if (__builtin_add_overflow(t->balance, delta, &b)) {
        credit_say(why, why_len, "balance %" PRId64 " + %" PRId64 " overflows", t->balance, delta);
        return HANSA_ERR_OVERFLOW;
    }
    /* Both limits are <= 2^62, so the casts are exact. */
    if (b > (int64_t)t->contract.stock_grants.limit) {
        credit_say(why, why_len, "the foil would owe %" PRId64 " milli-CHIPs, over the %" PRIu64
            " the stock grants", b, t->contract.stock_grants.limit);
        return HANSA_ERR_FUNDS;
    }
    if (b < -(int64_t)t->contract.foil_grants.limit) {
        credit_say(why, why_len, "the stock would owe %" PRId64 " milli-CHIPs, over the %" PRIu64
            " the foil grants", -b, t->contract.foil_grants.limit);
        return HANSA_ERR_FUNDS;
    }
    if (t->state == CREDIT_TALLY_CLOSING &&
        ((t->balance > 0 && (b < 0 || b > t->balance)) || (t->balance < 0 && (b > 0 || b < t->balance)))) {
        credit_say(why, why_len, "the tally is closing: a chit may only bring %" PRId64
            " toward zero, not to %" PRId64, t->balance, b);
        return HANSA_ERR_STATE;
    }
    *after = b;
    return HANSA_OK;
}

void credit_tally_chit_book(credit_tally *t, const credit_chit *c) {
    int64_t after = 0;
    HANSA_ASSERT(credit_tally_chit_check(t, c, &after, NULL, 0) == HANSA_OK);
    t->balance = after;
    if (t->state == CREDIT_TALLY_CLOSING && after == 0) t->state = CREDIT_TALLY_CLOSED;
}

/* ---- invoices ---------------------------------------------------------------- */

hansa_err credit_invoice_check_create(const credit_tally *t, const credit_invoice *inv,
                                      credit_side by, char *why, size_t why_len) {
    if (t->state != CREDIT_TALLY_OPEN) return bad_state(t, "invoice on", why, why_len);
    if (!credit_id_eq(&inv->tally_id, &t->contract.tally_id)) {
        credit_say(why, why_len, "the invoice names another tally");
        return HANSA_ERR_INVALID;
    }
    if (inv->payee != by) {
        credit_say(why, why_len, "only the payee (the %s holder) may issue this invoice",
            credit_side_name((credit_side)inv->payee));
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err credit_invoice_check_pay(const credit_invoice *inv, const credit_chit *c, char *why,
                                   size_t why_len) {
    if (inv->state != CREDIT_INV_PENDING) {
        credit_say(why, why_len, "the invoice is %s", inv->state == CREDIT_INV_PAID ? "paid" : "refused");
        return HANSA_ERR_STATE;
    }
    if (c->kind != CREDIT_CHIT_INVOICE || !credit_id_eq(&c->invoice_id, &inv->invoice_id) ||
        !credit_id_eq(&c->tally_id, &inv->tally_id)) {
        credit_say(why, why_len, "the chit does not name this invoice and its tally");
        return HANSA_ERR_INVALID;
    }
    if (c->by == inv->payee) {
        credit_say(why, why_len, "the payee cannot pay its own invoice");
        return HANSA_ERR_INVALID;
    }
    if (c->amount != inv->amount) {
        credit_say(why, why_len, "the chit pays %" PRIu64 ", the invoice asks %" PRIu64, c->amount,
            inv->amount);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err credit_invoice_check_refuse(const credit_invoice *inv, char *why, size_t why_len) {
    if (inv->state != CREDIT_INV_PENDING) {
        credit_say(why, why_len, "the invoice is %s", inv->state == CREDIT_INV_PAID ? "paid" : "refused");
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

/* ---- record codec ---------------------------------------------------------------- */

static bool sig_zero(const hansa_sig *s) {
    for (int i = 0; i < HANSA_SIG_BYTES; i++)
        if (s->b[i]) return false;
    return true;
}

void credit_tally_encode(hbuf *b, const credit_tally *t) {
    hbuf_put_u8(b, CREDIT_VERSION);
    credit_contract_encode(b, &t->contract);
    hbuf_put_u8(b, t->state);
    hbuf_put_u8(b, t->offered_by);
    hbuf_append(b, t->sig[CREDIT_STOCK].b, HANSA_SIG_BYTES);
    hbuf_append(b, t->sig[CREDIT_FOIL].b, HANSA_SIG_BYTES);
    hbuf_put_u64(b, (uint64_t)t->balance);
    hbuf_put_u8(b, t->closing_by);
    credit_trade_signed_encode(b, &t->trade[CREDIT_STOCK]);
    credit_trade_signed_encode(b, &t->trade[CREDIT_FOIL]);
    credit_half_encode(b, &t->half[CREDIT_STOCK]);
    credit_half_encode(b, &t->half[CREDIT_FOIL]);
}

static const char *tally_inconsistency(const credit_tally *t) {
    if (t->state < CREDIT_TALLY_OFFERED || t->state > CREDIT_TALLY_VOID) return "state";
    if (t->offered_by != CREDIT_STOCK && t->offered_by != CREDIT_FOIL) return "offered_by";
    credit_side other = credit_side_other((credit_side)t->offered_by);
    bool open_or_later = t->state == CREDIT_TALLY_OPEN || t->state == CREDIT_TALLY_CLOSING ||
                         t->state == CREDIT_TALLY_CLOSED;
    if (sig_zero(&t->sig[t->offered_by])) return "offerer's signature (missing)";
    if (sig_zero(&t->sig[other]) == open_or_later) return "signature of the party offered to";
    if (t->balance > (int64_t)t->contract.stock_grants.limit ||
        t->balance < -(int64_t)t->contract.foil_grants.limit)
        return "balance (over the granted credit)";
    if (t->state == CREDIT_TALLY_CLOSED && t->balance != 0) return "balance (closed but not zero)";
    if ((t->closing_by != 0) != (t->state == CREDIT_TALLY_CLOSING || t->state == CREDIT_TALLY_CLOSED))
        return "closing_by";
    if (t->closing_by > CREDIT_FOIL) return "closing_by";
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        const credit_trade_signed *ts = &t->trade[s];
        if (ts->side != s || !credit_id_eq(&ts->tally_id, &t->contract.tally_id))
            return "trading variables (another tally or side)";
        if (ts->seq == 0 && (ts->tv.target || ts->tv.bound || ts->tv.reward_ppm ||
                             ts->tv.clutch_ppm || !sig_zero(&ts->sig)))
            return "trading variables (seq 0 is the all-zero default)";
        const credit_half *h = &t->half[s];
        if (!open_or_later && (h->n != 0 || h->n_tail != 0 || h->ack != 0))
            return "chain (chits before the tally opened)";
    }
    return NULL;
}

hansa_err credit_tally_decode(const uint8_t *p, size_t len, credit_tally *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    credit_rd_contract(r, &out->contract);
    out->state = rd_u8(r, "state");
    out->offered_by = rd_u8(r, "offered_by");
    rd_fixed(r, out->sig[CREDIT_STOCK].b, HANSA_SIG_BYTES, "stock sig");
    rd_fixed(r, out->sig[CREDIT_FOIL].b, HANSA_SIG_BYTES, "foil sig");
    out->balance = (int64_t)rd_u64(r, "balance");
    out->closing_by = rd_u8(r, "closing_by");
    credit_rd_trade_signed(r, &out->trade[CREDIT_STOCK]);
    credit_rd_trade_signed(r, &out->trade[CREDIT_FOIL]);
    credit_rd_half(r, &out->half[CREDIT_STOCK]);
    credit_rd_half(r, &out->half[CREDIT_FOIL]);
    rd_end(r);
    if (r->err == HANSA_OK) {
        const char *bad = tally_inconsistency(out);
        if (bad == NULL && (out->half[CREDIT_STOCK].side != CREDIT_STOCK ||
                            out->half[CREDIT_FOIL].side != CREDIT_FOIL))
            bad = "half side";
        if (bad != NULL) rd_fail(r, HANSA_ERR_INVALID, bad);
    }
    if (r->err != HANSA_OK) {
        memset(out, 0, sizeof *out);
        return r->err;
    }
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        out->half[s].tally_id = out->contract.tally_id;
        out->half[s].keys[CREDIT_STOCK] = out->contract.stock.key;
        out->half[s].keys[CREDIT_FOIL] = out->contract.foil.key;
    }
    return HANSA_OK;
}
