/* tx_xtally.c — see xtally.h: tally packets sent, received and
 * acknowledged, chits on a cross-chain tally, and what a chain lets leave
 * it.
 *
 * As in tx_credit.c, each step is one function run as the check (apply ==
 * false: reads only) and as the apply (the same steps, then the writes).
 * Chain steps that link chits run over a buffered view of the stored chain,
 * so the check can run the real protocol step and throw its links away. */
#include "ledger/xtally.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/block.h"
#include "ledger/credit_store.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/state.h"

static uint32_t own_chain(const ledger_block *b) { return b->base->params.chain_id; }

bool xtally_across(const credit_tally *t, uint32_t here, credit_side *local) {
    const credit_contract *k = &t->contract;
    *local = k->stock.chain_id == here ? CREDIT_STOCK : k->foil.chain_id == here ? CREDIT_FOIL : 0;
    return k->stock.chain_id != k->foil.chain_id;
}

static const credit_party *party(const credit_contract *k, credit_side s) {
    return s == CREDIT_STOCK ? &k->stock : &k->foil;
}

/* ---- a buffered view of the stored chain ----------------------------------------- */

#define VIEW_MAX (CREDIT_UPD_CHITS_MAX + CREDIT_TAIL_MAX)

typedef struct {
    credit_store_ctx store;
    const credit_chain_ops *inner;
    void *inner_ctx;
    uint64_t base;          /* links 1..base are stored */
    size_t n;
    credit_link links[VIEW_MAX]; /* links base+1..base+n, not stored yet */
} view;

static void view_get(void *ctx, uint64_t idx, credit_link *out) {
    view *v = ctx;
    if (idx <= v->base) return v->inner->get(v->inner_ctx, idx, out);
    HANSA_ASSERT(idx - v->base <= v->n);
    *out = v->links[idx - v->base - 1];
}

static uint64_t view_find(void *ctx, const credit_id *id) {
    view *v = ctx;
    for (size_t i = 0; i < v->n; i++)
        if (credit_id_eq(&v->links[i].chit.chit_id, id)) return v->base + 1 + i;
    return v->inner->find(v->inner_ctx, id);
}

static void view_append(void *ctx, uint64_t idx, const credit_link *l) {
    view *v = ctx;
    HANSA_ASSERT(idx == v->base + v->n + 1 && v->n < VIEW_MAX);
    v->links[v->n++] = *l;
}

static const credit_chain_ops view_ops = {view_get, view_find, view_append, NULL};

/* Points t's local half at a view over b (the peer half is on another
 * chain: its chits are verified, not trusted). */
static void view_attach(ledger_block *b, credit_tally *t, credit_side local, view *v) {
    memset(v, 0, sizeof *v);
    credit_store_attach(b, t, &v->store);
    credit_half *h = &t->half[local];
    v->inner = h->ops;
    v->inner_ctx = h->ctx;
    v->base = h->n;
    h->ops = &view_ops;
    h->ctx = v;
    h->peer_in_state = false;
}

/* Stores the view's new links, and books them: balance, closing, and an
 * invoice paid once its chit is on the chain. */
static void view_flush(ledger_block *b, credit_tally *t, view *v) {
    for (size_t i = 0; i < v->n; i++) {
        const credit_chit *c = &v->links[i].chit;
        v->inner->append(v->inner_ctx, v->base + 1 + i, &v->links[i]);
        t->balance += c->by == CREDIT_FOIL ? (int64_t)c->amount : -(int64_t)c->amount;
        if (t->state == CREDIT_TALLY_CLOSING && t->balance == 0) t->state = CREDIT_TALLY_CLOSED;
        credit_invoice inv;
        if (c->kind == CREDIT_CHIT_INVOICE && credit_store_invoice_get(b, &c->invoice_id, &inv) &&
            inv.state == CREDIT_INV_PENDING) {
            inv.state = CREDIT_INV_PAID;
            inv.paid_by = c->chit_id;
            credit_store_invoice_put(b, &inv);
        }
    }
}

/* The balance after the view's new links, or false when it leaves the
 * credit the contract grants (only a byzantine chain could send those). */
static bool view_balance_ok(const credit_tally *t, const view *v) {
    int64_t bal = t->balance;
    for (size_t i = 0; i < v->n; i++) {
        const credit_chit *c = &v->links[i].chit;
        int64_t d = c->by == CREDIT_FOIL ? (int64_t)c->amount : -(int64_t)c->amount;
        if (__builtin_add_overflow(bal, d, &bal)) return false;
    }
    return bal <= (int64_t)t->contract.stock_grants.limit &&
           bal >= -(int64_t)t->contract.foil_grants.limit;
}

/* ---- what may leave a chain ---------------------------------------------------------- */

static void hash_at(const credit_half *h, uint64_t idx, hansa_hash *out) {
    if (idx == 0) return credit_chain_genesis(&h->tally_id, out);
    credit_link l;
    h->ops->get(h->ctx, idx, &l);
    *out = l.hash;
}

static int tail_index(const credit_half *h, const credit_id *id) {
    for (uint8_t i = 0; i < h->n_tail; i++)
        if (credit_id_eq(&h->tail[i].chit_id, id)) return i;
    return -1;
}

bool xtally_msg_true(const ledger_block *b, const credit_half *h, const credit_msg *m, char *why,
                     size_t why_len) {
    (void)b;
    hansa_hash at;
    const char *lie = NULL;
    if (m->from != h->side) lie = "it is not from this chain's half";
    else if (m->kind == CREDIT_MSG_REFUSE)
        lie = m->reason == CREDIT_REFUSE_CONFLICT
                  ? (h->ops->find(h->ctx, &m->chit_id) != 0 || tail_index(h, &m->chit_id) >= 0
                         ? NULL
                         : "the chit it refuses is not on this half")
                  : (m->reason == h->fault ? NULL : "this half has no such fault");
    else if (h->fault) lie = "this half stopped";
    else if (m->idx > h->n) lie = "it names a link past this half's end";
    else if (hash_at(h, m->idx, &at), !hash_eq(&at, &m->hash)) lie = "the link hash is not this half's";
    else if (m->kind == CREDIT_MSG_UPD && h->side == CREDIT_FOIL) {
        if (m->idx + m->n_chits > h->n) lie = "the update runs past this half's end";
        for (uint16_t i = 0; i < m->n_chits && lie == NULL; i++) {
            credit_link l;
            h->ops->get(h->ctx, m->idx + 1 + i, &l);
            if (!credit_chit_same(&l.chit, &m->chits[i])) lie = "the update's chits are not this half's order";
        }
    } else if (m->kind == CREDIT_MSG_UPD) {
        /* Its confirmed end and a run of its tail, in the tail's order. */
        int first = m->n_chits == 0 ? -1 : tail_index(h, &m->chits[0].chit_id);
        if (m->idx != h->n || first < 0 || first + m->n_chits > h->n_tail)
            lie = "a stock update is its confirmed end and a run of its tail";
        for (uint16_t i = 0; i < m->n_chits && lie == NULL; i++)
            if (!credit_chit_same(&h->tail[first + i], &m->chits[i])) lie = "the update's chits are not this half's tail";
    } else if (h->side == CREDIT_FOIL) {
        lie = "the foil sends no acknowledgement or request";
    }
    if (lie == NULL) return true;
    ledger_why(why, why_len, "the %s message is not true of this chain's %s half: %s",
               m->kind == CREDIT_MSG_UPD ? "update" : m->kind == CREDIT_MSG_ACK ? "ack"
               : m->kind == CREDIT_MSG_REQ ? "request" : "refuse",
               credit_side_name((credit_side)h->side), lie);
    return false;
}

/* ---- party messages: one step on this chain's copy ------------------------------------ */

static hansa_err tally_load(const ledger_block *b, const credit_id *id, credit_tally *t, char *why,
                            size_t why_len) {
    if (credit_store_tally_get(b, id, t)) return HANSA_OK;
    char hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(id->b, CREDIT_ID_BYTES, hex);
    ledger_why(why, why_len, "no tally %s on this chain", hex);
    return HANSA_ERR_NOT_FOUND;
}

/* An accept or close this copy already reflects: sent again, it changes
 * nothing here (so a copy that timed out can still be carried). */
static bool already(const credit_tally *t, const credit_xmsg *m) {
    bool past = t->state == CREDIT_TALLY_OPEN || t->state == CREDIT_TALLY_CLOSING ||
                t->state == CREDIT_TALLY_CLOSED;
    if (m->kind == CREDIT_XMSG_ACCEPT)
        return past && m->revision == t->contract.revision &&
               memcmp(&t->sig[m->from], &m->sig, sizeof m->sig) == 0;
    if (m->kind == CREDIT_XMSG_CLOSE)
        return (t->state == CREDIT_TALLY_CLOSING || t->state == CREDIT_TALLY_CLOSED) &&
               t->closing_by == m->from;
    return false;
}

/* The invoice refused by m, checked against t. */
static hansa_err inv_refuse(const ledger_block *b, const credit_xmsg *m, credit_invoice *inv,
                            char *why, size_t why_len) {
    if (!credit_store_invoice_get(b, &m->invoice_id, inv) || !credit_id_eq(&inv->tally_id, &m->id)) {
        ledger_why(why, why_len, "no invoice of this tally with that id");
        return HANSA_ERR_NOT_FOUND;
    }
    return credit_invoice_check_refuse(inv, why, why_len);
}

/* Party message m applied to this chain's copy of its tally: here is this
 * chain, there the other party's; sending says whether the sender's party
 * is here (the send) or there (the recv). The caller checked that m comes
 * from the party of side m->from. */
static hansa_err party_step(ledger_block *b, const credit_xmsg *m, uint32_t here, uint32_t there,
                            bool sending, bool apply, char *why, size_t why_len) {
    credit_tally *t = hansa_malloc(sizeof *t);
    credit_invoice inv;
    bool exists = credit_store_tally_get(b, credit_xmsg_tally(m), t);
    hansa_err err = HANSA_OK;
    bool write = true;
    credit_side by = (credit_side)m->from;
    const credit_contract *k = m->kind == CREDIT_XMSG_OFFER ? &m->contract : &t->contract;
    if (m->kind != CREDIT_XMSG_OFFER && !exists) {
        err = tally_load(b, credit_xmsg_tally(m), t, why, why_len);
    } else if (party(k, by)->chain_id != (sending ? here : there) ||
               party(k, credit_side_other(by))->chain_id != (sending ? there : here)) {
        ledger_why(why, why_len, "the tally's %s holder is not on chain %" PRIx32 " and its other party on %" PRIx32,
                   credit_side_name(by), sending ? here : there, sending ? there : here);
        err = HANSA_ERR_WRONG_CHAIN;
    } else if (m->kind == CREDIT_XMSG_OFFER) {
        err = credit_tally_offer_across(t, exists, &m->contract, by, &m->sig, here, there, why, why_len);
    }
    if (err != HANSA_OK || m->kind == CREDIT_XMSG_OFFER) goto done;
    if (already(t, m)) {
        write = false;
        goto done;
    }
    switch ((credit_xmsg_kind)m->kind) {
    case CREDIT_XMSG_OFFER: break;
    case CREDIT_XMSG_COUNTER: err = credit_tally_counter(t, &m->contract, by, &m->sig, why, why_len); break;
    case CREDIT_XMSG_ACCEPT: err = credit_tally_accept(t, by, m->revision, &m->sig, why, why_len); break;
    case CREDIT_XMSG_REFUSE: err = credit_tally_refuse(t, by, m->revision, why, why_len); break;
    case CREDIT_XMSG_CLOSE: err = credit_tally_close(t, by, why, why_len); break;
    case CREDIT_XMSG_TRADE: err = credit_tally_trade(t, &m->trade, why, why_len); break;
    case CREDIT_XMSG_INVOICE:
        write = false;
        err = credit_store_invoice_get(b, &m->invoice.invoice_id, &inv) ? HANSA_ERR_DUPLICATE : HANSA_OK;
        if (err != HANSA_OK) ledger_why(why, why_len, "the invoice id is taken");
        else err = credit_invoice_check_create(t, &m->invoice, by, why, why_len);
        if (err == HANSA_OK && apply) {
            inv = m->invoice;
            inv.state = CREDIT_INV_PENDING;
            credit_store_invoice_put(b, &inv);
        }
        break;
    case CREDIT_XMSG_INV_REFUSE:
        write = false;
        err = inv_refuse(b, m, &inv, why, why_len);
        if (err == HANSA_OK && apply) {
            inv.state = CREDIT_INV_REFUSED;
            credit_store_invoice_put(b, &inv);
        }
        break;
    case CREDIT_XMSG_CHAIN: HANSA_UNREACHABLE();
    }
done:
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply && write) credit_store_tally_put(b, t);
    free(t);
    return err;
}

/* ---- chain messages: the receiving half's step ------------------------------------------ */

/* Chain message m from the half on chain src, applied to this chain's half. */
static hansa_err chain_step(ledger_block *b, const credit_msg *m, uint32_t src, bool apply,
                            char *why, size_t why_len) {
    credit_tally *t = hansa_malloc(sizeof *t);
    credit_side local = 0;
    hansa_err err = tally_load(b, &m->tally_id, t, why, why_len);
    if (err == HANSA_OK && (!xtally_across(t, own_chain(b), &local) || local == 0 ||
                            local == m->from || party(&t->contract, (credit_side)m->from)->chain_id != src)) {
        ledger_why(why, why_len, "the tally's %s half is not on the sending chain",
                   credit_side_name((credit_side)m->from));
        err = HANSA_ERR_WRONG_CHAIN;
    }
    if (err == HANSA_OK && t->state != CREDIT_TALLY_OPEN && t->state != CREDIT_TALLY_CLOSING &&
        t->state != CREDIT_TALLY_CLOSED) {
        ledger_why(why, why_len, "the tally is %s here: no chit chain yet",
                   credit_tally_state_name((credit_tally_state)t->state));
        err = HANSA_ERR_STATE;
    }
    view *v = hansa_malloc(sizeof *v);
    credit_out *out = hansa_malloc(sizeof *out);
    if (err == HANSA_OK) {
        view_attach(b, t, local, v);
        err = credit_half_recv(&t->half[local], m, out, why, why_len);
    }
    if (err == HANSA_OK && !view_balance_ok(t, v)) {
        ledger_why(why, why_len, "its chits would take the balance past the credit the contract grants");
        err = HANSA_ERR_FUNDS;
    }
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) {
        view_flush(b, t, v);
        credit_store_tally_put(b, t);
    }
    free(out);
    free(v);
    free(t);
    return err;
}

/* ---- chits on the payer's chain --------------------------------------------------------- */

/* The sum of the stock's tail: chits it pledged that are not booked yet. */
static int64_t tail_sum(const credit_half *h) {
    int64_t s = 0;
    for (uint8_t i = 0; i < h->n_tail; i++) s += (int64_t)h->tail[i].amount;
    return s;
}

static bool tail_pays(const credit_half *h, const credit_id *invoice) {
    for (uint8_t i = 0; i < h->n_tail; i++)
        if (h->tail[i].kind == CREDIT_CHIT_INVOICE && credit_id_eq(&h->tail[i].invoice_id, invoice))
            return true;
    return false;
}

hansa_err xtally_chit(ledger_block *b, credit_tally *t, credit_side by, const credit_chit *chit,
                      credit_invoice *inv, bool apply, char *why, size_t why_len) {
    credit_side local = 0;
    xtally_across(t, own_chain(b), &local);
    if (by != local) {
        ledger_why(why, why_len, "the %s holder's chits are issued on its own chain",
                   credit_side_name(by));
        return HANSA_ERR_WRONG_CHAIN;
    }
    hansa_err err = HANSA_OK;
    if (inv != NULL && tail_pays(&t->half[by], &inv->invoice_id)) {
        ledger_why(why, why_len, "a chit paying this invoice already waits for the foil's order");
        err = HANSA_ERR_DUPLICATE;
    }
    /* The stock's own unbooked chits count against what it may still
     * pledge; the foil books its chits as it issues them. */
    credit_tally *pledged = hansa_malloc(sizeof *pledged);
    *pledged = *t;
    pledged->balance -= tail_sum(&t->half[CREDIT_STOCK]);
    int64_t after;
    if (err == HANSA_OK) err = credit_tally_chit_check(pledged, chit, &after, why, why_len);
    free(pledged);
    view *v = hansa_malloc(sizeof *v);
    credit_out *out = hansa_malloc(sizeof *out);
    if (err == HANSA_OK) {
        view_attach(b, t, local, v);
        err = credit_half_issue(&t->half[by], chit, false, out, why, why_len);
    }
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err == HANSA_OK && apply) {
        view_flush(b, t, v);
        credit_store_tally_put(b, t);
    }
    free(out);
    free(v);
    return err;
}

/* ---- the packet path -------------------------------------------------------------------- */

static void xmsg_of(const pkt_send *s, credit_xmsg *m) {
    HANSA_ASSERT(credit_xmsg_decode(s->payload, s->payload_len, m, NULL) == HANSA_OK);
}

/* The key that must have sent party message m (the contract's, or for an
 * offer the one it carries). */
static bool sent_by_party(const ledger_block *b, const credit_xmsg *m, const hansa_pubkey *sender) {
    if (m->kind == CREDIT_XMSG_OFFER) return pubkey_eq(credit_contract_key(&m->contract, m->from), sender);
    credit_tally *t = hansa_malloc(sizeof *t);
    bool ok = credit_store_tally_get(b, credit_xmsg_tally(m), t) &&
              pubkey_eq(credit_contract_key(&t->contract, m->from), sender);
    free(t);
    return ok;
}

/* A chain message leaving this chain must be true of its half there. */
static hansa_err chain_leaves(ledger_block *b, const credit_msg *m, uint32_t dest, char *why,
                              size_t why_len) {
    credit_tally *t = hansa_malloc(sizeof *t);
    credit_side local = 0;
    hansa_err err = tally_load(b, &m->tally_id, t, why, why_len);
    if (err == HANSA_OK && (!xtally_across(t, own_chain(b), &local) || local != m->from ||
                            party(&t->contract, credit_side_other(local))->chain_id != dest)) {
        ledger_why(why, why_len, "the tally is not one between this chain's %s and chain %" PRIx32,
                   credit_side_name((credit_side)m->from), dest);
        err = HANSA_ERR_WRONG_CHAIN;
    }
    if (err == HANSA_OK) {
        credit_store_ctx sc;
        credit_store_attach(b, t, &sc);
        if (!xtally_msg_true(b, &t->half[local], m, why, why_len)) err = HANSA_ERR_INVALID;
    }
    free(t);
    return err;
}

static hansa_err send_step(ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s, bool apply,
                           char *why, size_t why_len) {
    credit_xmsg *m = hansa_malloc(sizeof *m);
    xmsg_of(s, m);
    hansa_err err;
    if (m->kind == CREDIT_XMSG_CHAIN) {
        err = chain_leaves(b, &m->msg, s->dest_chain, why, why_len);
    } else if (!sent_by_party(b, m, &c->tx->sender)) {
        ledger_why(why, why_len, "a %s of the %s holder is sent by that party only",
                   credit_xmsg_kind_name(m->kind), credit_side_name((credit_side)m->from));
        err = HANSA_ERR_INVALID;
    } else {
        err = party_step(b, m, own_chain(b), s->dest_chain, true, apply, why, why_len);
    }
    free(m);
    return err;
}

hansa_err xtally_send_check(const ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s,
                            char *why, size_t why_len) {
    return send_step((ledger_block *)b, c, s, false, why, why_len);
}

void xtally_send_apply(ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s) {
    HANSA_ASSERT(send_step(b, c, s, true, NULL, 0) == HANSA_OK);
}

static hansa_err recv_step(ledger_block *b, uint32_t src, const wire_tx *send, const pkt_send *s,
                           bool apply, char *why, size_t why_len) {
    credit_xmsg *m = hansa_malloc(sizeof *m);
    hansa_err err;
    if (credit_xmsg_decode(s->payload, s->payload_len, m, NULL) != HANSA_OK) {
        ledger_why(why, why_len, "the tally message does not decode");
        err = HANSA_ERR_INVALID;
    } else if (m->kind == CREDIT_XMSG_CHAIN) {
        err = chain_step(b, &m->msg, src, apply, why, why_len);
    } else if (m->kind != CREDIT_XMSG_OFFER && !sent_by_party(b, m, &send->sender)) {
        ledger_why(why, why_len, "a %s not sent by the %s holder", credit_xmsg_kind_name(m->kind),
                   credit_side_name((credit_side)m->from));
        err = HANSA_ERR_INVALID;
    } else if (m->kind == CREDIT_XMSG_OFFER &&
               !pubkey_eq(credit_contract_key(&m->contract, m->from), &send->sender)) {
        ledger_why(why, why_len, "an offer not sent by the party it names");
        err = HANSA_ERR_INVALID;
    } else {
        err = party_step(b, m, own_chain(b), src, false, apply, why, why_len);
    }
    free(m);
    return err;
}

uint8_t xtally_recv_outcome(const ledger_block *b, uint32_t src, const wire_tx *send,
                            const pkt_send *s, char *why, size_t why_len) {
    hansa_err err = recv_step((ledger_block *)b, src, send, s, false, why, why_len);
    return err == HANSA_OK ? PKT_OK : PKT_REFUSED_TALLY;
}

void xtally_recv_apply(ledger_block *b, uint32_t src, const wire_tx *send, const pkt_send *s) {
    HANSA_ASSERT(recv_step(b, src, send, s, true, NULL, 0) == HANSA_OK);
}

void xtally_ack_apply(ledger_block *b, const pkt_send *s, uint8_t outcome) {
    if (outcome == PKT_OK) return;
    credit_xmsg *m = hansa_malloc(sizeof *m);
    credit_tally *t = hansa_malloc(sizeof *t);
    xmsg_of(s, m);
    /* An offer the other chain never took leaves this copy offered for
     * ever: void it, so either party may offer again. */
    if ((m->kind == CREDIT_XMSG_OFFER || m->kind == CREDIT_XMSG_COUNTER) &&
        credit_store_tally_get(b, &m->contract.tally_id, t) && t->state == CREDIT_TALLY_OFFERED &&
        t->contract.revision == m->contract.revision && t->offered_by == m->from) {
        t->state = CREDIT_TALLY_VOID;
        credit_store_tally_put(b, t);
    }
    free(t);
    free(m);
}

/* ---- what a chain has to say --------------------------------------------------------------- */

/* Room for chits in one tally packet: the payload limit less the xmsg and
 * chain message headers. */
#define UPD_ROOM (PKT_PAYLOAD_MAX - 3 - (1 + 1 + CREDIT_ID_BYTES + 1 + 8 + HANSA_HASH_BYTES + 2))

static size_t chit_bytes(const credit_chit *c) { return CREDIT_CHIT_BYTES_MIN + c->memo_len; }

static credit_msg *next_msg(credit_msg *out, size_t *n, const credit_half *h, credit_msg_kind kind) {
    credit_msg *m = &out[(*n)++];
    memset(m, 0, sizeof *m);
    m->kind = (uint8_t)kind;
    m->tally_id = h->tally_id;
    m->from = h->side;
    return m;
}

static void stored_hash(const ledger_state *s, const credit_half *h, uint64_t idx, hansa_hash *out) {
    if (idx == 0) return credit_chain_genesis(&h->tally_id, out);
    credit_link l;
    HANSA_ASSERT(ledger_chit_get(s, &h->tally_id, idx, &l));
    *out = l.hash;
}

size_t ledger_xtally_outbox(const ledger_state *s, const credit_id *id, const credit_half *peer,
                            credit_msg *out) {
    credit_tally *t = hansa_malloc(sizeof *t);
    credit_side local = 0;
    size_t n = 0;
    if (!ledger_tally_get(s, id, t) || !xtally_across(t, s->params.chain_id, &local) || local == 0 ||
        (t->state != CREDIT_TALLY_OPEN && t->state != CREDIT_TALLY_CLOSING && t->state != CREDIT_TALLY_CLOSED)) {
        free(t);
        return 0;
    }
    const credit_half *h = &t->half[local];
    if (h->fault) {
        credit_msg *m = next_msg(out, &n, h, CREDIT_MSG_REFUSE);
        m->reason = h->fault;
        if (h->fault != CREDIT_REFUSE_CHAIN) m->chit_id = *id; /* the refused chit is gone; any id names the fault */
        free(t);
        return n;
    }
    /* The foil's order past what the stock confirmed, in consecutive
     * updates of what fits a packet. */
    for (uint64_t next = h->ack + 1; local == CREDIT_FOIL && next <= h->n && n < XTALLY_UPDS_MAX;) {
        credit_msg *m = next_msg(out, &n, h, CREDIT_MSG_UPD);
        m->idx = next - 1;
        stored_hash(s, h, m->idx, &m->hash);
        size_t room = UPD_ROOM;
        for (; next <= h->n && m->n_chits < CREDIT_UPD_CHITS_MAX; next++) {
            credit_link l;
            HANSA_ASSERT(ledger_chit_get(s, id, next, &l));
            if (chit_bytes(&l.chit) > room) break;
            room -= chit_bytes(&l.chit);
            m->chits[m->n_chits++] = l.chit;
        }
    }
    /* The stock's tail, in runs that fit a packet. */
    for (uint8_t i = 0; local == CREDIT_STOCK && i < h->n_tail;) {
        credit_msg *m = next_msg(out, &n, h, CREDIT_MSG_UPD);
        m->idx = h->n;
        m->hash = h->end;
        size_t room = UPD_ROOM;
        for (; i < h->n_tail && chit_bytes(&h->tail[i]) <= room; i++) {
            room -= chit_bytes(&h->tail[i]);
            m->chits[m->n_chits++] = h->tail[i];
        }
    }
    if (local == CREDIT_STOCK && peer != NULL && peer->ack < h->n) {
        credit_msg *m = next_msg(out, &n, h, CREDIT_MSG_ACK);
        m->idx = h->n;
        m->hash = h->end;
    }
    /* The stock's tail chits whose ids this foil's chain holds for other
     * chits: refused, so the stock drops them. */
    for (uint8_t i = 0; local == CREDIT_FOIL && peer != NULL && i < peer->n_tail && n < XTALLY_OUTBOX_MAX; i++) {
        credit_link l;
        uint64_t at = ledger_chit_index(s, id, &peer->tail[i].chit_id);
        if (at != 0 && ledger_chit_get(s, id, at, &l) && !credit_chit_same(&l.chit, &peer->tail[i])) {
            credit_msg *m = next_msg(out, &n, h, CREDIT_MSG_REFUSE);
            m->chit_id = peer->tail[i].chit_id;
            m->reason = CREDIT_REFUSE_CONFLICT;
        }
    }
    free(t);
    return n;
}
