/* credit_api.c — see credit_api.h: credit reads over JSON-RPC and the JSON
 * forms of tallies, chits, invoices and credit events. */
#include "rpc/credit_api.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/xtally.h"
#include "ledger/xlift.h"
#include "rpc/node_json.h"
#include "rpc/route_api.h"

struct rpc_credit_api {
    rpc_server *server;
    node *n;
    rpc_route_api *route; /* route discovery between chains */
};

/* ---- JSON forms ---------------------------------------------------------------- */

json_t *cj_id(const credit_id *id) { return nj_hex(id->b, CREDIT_ID_BYTES); }

static json_t *cj_i64(int64_t v) {
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    return json_string(s);
}

static json_t *cj_party(const credit_party *p) {
    return json_pack("{s:o, s:I, s:o}", "address", nj_address_of(p->chain_id, &p->key), "chain_id",
                     (json_int_t)p->chain_id, "key", nj_hex(p->key.b, HANSA_PUBKEY_BYTES));
}

static json_t *cj_terms(const credit_terms *t) {
    return json_pack("{s:o, s:I}", "limit", nj_u64(t->limit), "call_days", (json_int_t)t->call_days);
}

static json_t *cj_contract(const credit_contract *c) {
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I}", "tally_id", cj_id(&c->tally_id), "stock",
                     cj_party(&c->stock), "foil", cj_party(&c->foil), "stock_grants",
                     cj_terms(&c->stock_grants), "foil_grants", cj_terms(&c->foil_grants),
                     "revision", (json_int_t)c->revision);
}

static json_t *cj_trade(const credit_trade_signed *t) {
    return json_pack("{s:I, s:o, s:o, s:I, s:I}", "seq", (json_int_t)t->seq, "target",
                     nj_u64(t->tv.target), "bound", nj_u64(t->tv.bound), "reward_ppm",
                     (json_int_t)t->tv.reward_ppm, "clutch_ppm", (json_int_t)t->tv.clutch_ppm);
}

static json_t *cj_half(const credit_half *h) {
    return json_pack("{s:I, s:o, s:I, s:I, s:b}", "chits", (json_int_t)h->n, "end_hash",
                     nj_hash(&h->end), "acked", (json_int_t)h->ack, "waiting", (json_int_t)h->n_tail,
                     "settled", credit_half_settled(h));
}

json_t *cj_tally(const credit_tally *t) {
    json_t *j = cj_contract(&t->contract);
    json_object_set_new(j, "state", json_string(credit_tally_state_name(t->state)));
    json_object_set_new(j, "offered_by", json_string(credit_side_name(t->offered_by)));
    json_object_set_new(j, "balance", cj_i64(t->balance));
    json_object_set_new(j, "unit", json_string("milli-CHIP"));
    json_object_set_new(j, "closing_by",
                        t->closing_by ? json_string(credit_side_name(t->closing_by)) : json_null());
    json_object_set_new(j, "stock_trade", cj_trade(&t->trade[CREDIT_STOCK]));
    json_object_set_new(j, "foil_trade", cj_trade(&t->trade[CREDIT_FOIL]));
    json_object_set_new(j, "stock_half", cj_half(&t->half[CREDIT_STOCK]));
    json_object_set_new(j, "foil_half", cj_half(&t->half[CREDIT_FOIL]));
    return j;
}

json_t *cj_chit(const credit_chit *c, uint32_t chain_id) {
    (void)chain_id;
    json_t *j = json_pack("{s:o, s:o, s:s, s:s, s:o, s:s#, s:o}", "tally_id", cj_id(&c->tally_id),
                          "chit_id", cj_id(&c->chit_id), "by", credit_side_name(c->by), "kind",
                          c->kind == CREDIT_CHIT_DIRECT    ? "direct"
                          : c->kind == CREDIT_CHIT_INVOICE ? "invoice"
                                                           : "lift",
                          "amount",
                          nj_u64(c->amount), "memo", (const char *)c->memo, (int)c->memo_len,
                          "signature", nj_hex(c->sig.b, HANSA_SIG_BYTES));
    if (c->kind == CREDIT_CHIT_INVOICE) json_object_set_new(j, "invoice_id", cj_id(&c->invoice_id));
    if (c->kind == CREDIT_CHIT_LIFT) json_object_set_new(j, "lift_id", cj_id(&c->invoice_id));
    return j;
}

json_t *cj_lift(const credit_lift *l) {
    json_t *route = json_array();
    for (int i = 0; i < l->n_hops; i++)
        json_array_append_new(route, json_pack("{s:o, s:o, s:o}", "tally_id", cj_id(&l->tallies[i]),
                                               "payer", cj_party(&l->parties[i]), "receiver",
                                               cj_party(&l->parties[i + 1])));
    return json_pack("{s:o, s:s, s:o, s:o, s:I, s:o}", "lift_id", cj_id(&l->lift_id), "kind",
                     l->kind == CREDIT_LIFT_CIRCULAR ? "circular" : "linear", "amount",
                     nj_u64(l->amount), "expiry_ms", nj_u64(l->expiry_ms), "referee_chain",
                     (json_int_t)l->referee_chain, "route", route);
}

json_t *cj_lift_rec(const credit_lift_rec *rec) {
    json_t *j = cj_lift(&rec->lift);
    json_object_set_new(j, "ruling",
                        json_string(rec->outcome == CREDIT_RULING_COMMIT ? "commit" : "expired"));
    json_object_set_new(j, "height", nj_u64(rec->height));
    json_object_set_new(j, "time_ms", nj_u64(rec->time_ms));
    return j;
}

static const char *inv_state_name(uint8_t s) {
    switch ((credit_inv_state)s) {
    case CREDIT_INV_PENDING: return "pending";
    case CREDIT_INV_PAID: return "paid";
    case CREDIT_INV_REFUSED: return "refused";
    }
    return "?";
}

json_t *cj_invoice(const credit_invoice *inv, const credit_tally *t) {
    json_t *items = json_array(), *hints = json_array();
    for (uint8_t i = 0; i < inv->n_items; i++)
        json_array_append_new(items, json_pack("{s:s#, s:o}", "text", inv->items[i].text,
                                               (int)inv->items[i].len, "amount",
                                               nj_u64(inv->items[i].amount)));
    for (uint8_t i = 0; i < inv->n_hints; i++)
        json_array_append_new(hints, json_stringn(inv->hints[i].text, inv->hints[i].len));
    json_t *j = json_pack("{s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:s}", "invoice_id",
                          cj_id(&inv->invoice_id), "tally_id", cj_id(&inv->tally_id), "payee_side",
                          credit_side_name(inv->payee), "amount", nj_u64(inv->amount), "unit",
                          "milli-CHIP", "items", items, "hints", hints, "state",
                          inv_state_name(inv->state));
    if (inv->state == CREDIT_INV_PAID) json_object_set_new(j, "paid_by", cj_id(&inv->paid_by));
    if (t != NULL) {
        const credit_party *payee = inv->payee == CREDIT_STOCK ? &t->contract.stock : &t->contract.foil;
        const credit_party *payer = inv->payee == CREDIT_STOCK ? &t->contract.foil : &t->contract.stock;
        json_object_set_new(j, "payee", nj_address_of(payee->chain_id, &payee->key));
        json_object_set_new(j, "payer", nj_address_of(payer->chain_id, &payer->key));
    }
    /* Pending invoices are requests, not value: lifts never count them. */
    json_object_set_new(j, "liftable", json_false());
    return j;
}

json_t *cj_event(const ledger_credit_event *ev) {
    switch ((ledger_credit_event_kind)ev->kind) {
    case LEDGER_EV_TALLY:
        return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "event", "tally", "tally_id",
                         cj_id(&ev->tally_id), "state", credit_tally_state_name(ev->state), "balance",
                         cj_i64(ev->balance), "stock",
                         nj_address_of(ev->stock.chain_id, &ev->stock.key), "foil",
                         nj_address_of(ev->foil.chain_id, &ev->foil.key));
    case LEDGER_EV_CHIT:
        return json_pack("{s:s, s:I, s:o}", "event", "chit", "index", (json_int_t)ev->idx, "chit",
                         cj_chit(&ev->chit, 0));
    case LEDGER_EV_INVOICE:
        return json_pack("{s:s, s:o}", "event", "invoice", "invoice", cj_invoice(&ev->invoice, NULL));
    }
    return json_null();
}

void cj_tx_fields(json_t *j, uint16_t kind, const ledger_credit_body *body, uint32_t chain_id) {
    switch ((tx_kind)kind) {
    case TX_TALLY_OFFER:
    case TX_TALLY_COUNTER:
        json_object_set_new(j, "contract", cj_contract(&body->contract));
        return;
    case TX_TALLY_ACCEPT:
    case TX_TALLY_REFUSE:
        json_object_set_new(j, "tally_id", cj_id(&body->id));
        json_object_set_new(j, "revision", json_integer(body->revision));
        return;
    case TX_TALLY_CLOSE:
        json_object_set_new(j, "tally_id", cj_id(&body->id));
        return;
    case TX_TALLY_TRADE:
        json_object_set_new(j, "tally_id", cj_id(&body->trade.tally_id));
        json_object_set_new(j, "side", json_string(credit_side_name(body->trade.side)));
        json_object_set_new(j, "trade", cj_trade(&body->trade));
        return;
    case TX_CHIT:
    case TX_INVOICE_PAY:
        json_object_set_new(j, "chit", cj_chit(&body->chit, chain_id));
        return;
    case TX_INVOICE_CREATE:
        json_object_set_new(j, "invoice", cj_invoice(&body->invoice, NULL));
        return;
    case TX_INVOICE_REFUSE:
        json_object_set_new(j, "invoice_id", cj_id(&body->id));
        return;
    case TX_LIFT:
        json_object_set_new(j, "lift", cj_lift(&body->lift));
        return;
    case TX_TRANSFER:
    case TX_STAKE:
    case TX_UNSTAKE:
    case TX_VOTE:
    case TX_UNVOTE:
    case TX_UNJAIL:
    case TX_EVIDENCE:
    case TX_UPGRADE_PROPOSE:
    case TX_UPGRADE_VOTE:
    case TX_CLIENT_CREATE:
    case TX_CLIENT_APPROVE:
    case TX_CLIENT_UPDATE:
    case TX_CLIENT_MISBEHAVIOUR:
    case TX_CLIENT_REVIVE:
    case TX_PACKET_SEND:
    case TX_PACKET_RECV:
    case TX_PACKET_ACK:
    case TX_CORR_BOND:
    case TX_CORR_UNBOND:
    case TX_RECEIPT_BOND:
    case TX_RECEIPT_UNBOND:
    case TX_RECEIPT_CLAIM:
    case TX_DKG_COMMIT:
    case TX_DKG_COMPLAINT:
    case TX_DKG_REVEAL:
    case TX_KIND_MAX_:
        return;
    }
}

/* ---- params ------------------------------------------------------------------------ */

static bool param_id(json_t *params, const char *name, credit_id *out, rpc_outcome *bad) {
    rpc_error err = {0};
    if (!rpc_param_hex(params, name, true, out->b, CREDIT_ID_BYTES, &err)) {
        *bad = rpc_fail_with(&err);
        return false;
    }
    return true;
}

/* Checks that params hold no names but `names` and that `key` is a credit
 * id; on failure *bad says which, in the same words as the two checks. */
static bool params_with_id(json_t *params, const char *const *names, const char *key, credit_id *id,
                           rpc_outcome *bad) {
    return nj_params_only(params, names, bad) && param_id(params, key, id, bad);
}

static rpc_outcome not_found(const char *what, const credit_id *id) {
    return rpc_fail(RPC_NOT_FOUND, json_pack("{s:o}", "id", cj_id(id)), "no %s with this id", what);
}

/* The JSON form of the record with this id, or NULL when this chain has
 * none; the caller owns the result. */
typedef json_t *(*record_json_fn)(const rpc_credit_api *api, const credit_id *id);

/* One "{id} -> record" method: every lookup by id takes the same params and
 * answers a missing record with the same not-found error naming `what`. */
static rpc_outcome by_id(const rpc_credit_api *api, json_t *params, const char *what, record_json_fn get) {
    static const char *const names[] = {"id", NULL};
    rpc_outcome bad;
    credit_id id;
    if (!params_with_id(params, names, "id", &id, &bad)) return bad;
    json_t *j = get(api, &id);
    return j ? rpc_ok(j) : not_found(what, &id);
}

/* Whether this chain holds a tally with this id. */
static bool tally_exists(const ledger_state *s, const credit_id *id) {
    credit_tally *t = hansa_malloc(sizeof *t);
    bool found = ledger_tally_get(s, id, t);
    free(t);
    return found;
}

/* ---- methods ------------------------------------------------------------------------ */

static json_t *tally_json(const rpc_credit_api *api, const credit_id *id) {
    credit_tally *t = hansa_malloc(sizeof *t);
    json_t *j = ledger_tally_get(node_ledger(api->n), id, t) ? cj_tally(t) : NULL;
    free(t);
    return j;
}

/* tally {id} -> the tally */
static rpc_outcome m_tally(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    return by_id(ctx, params, "tally", tally_json);
}

typedef struct {
    hansa_addr addr;
    json_t *list;
} party_filter;

static void add_if_party(void *ctx, const credit_tally *t) {
    party_filter *f = ctx;
    hansa_addr a, b;
    addr_from_pubkey(&t->contract.stock.key, &a);
    addr_from_pubkey(&t->contract.foil.key, &b);
    if (addr_eq(&a, &f->addr) || addr_eq(&b, &f->addr)) json_array_append_new(f->list, cj_tally(t));
}

/* tallies {address} -> {address, tallies: [...]} */
static rpc_outcome m_tallies(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"address", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint32_t chain = node_chain_id(api->n);
    party_filter f = {{{0}}, json_array()};
    if (!nj_param_address(params, chain, &f.addr, &bad)) {
        json_decref(f.list);
        return bad;
    }
    ledger_tallies_iter(node_ledger(api->n), add_if_party, &f);
    return rpc_ok(json_pack("{s:o, s:o}", "address", nj_address(chain, &f.addr), "tallies", f.list));
}

#define CHITS_PAGE_MAX 1000

/* chits {tally, from?, limit?} -> {tally_id, chits: [{index, link_hash, chit}]} */
static rpc_outcome m_chits(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"tally", "from", "limit", NULL};
    credit_id id;
    if (!params_with_id(params, names, "tally", &id, &bad)) return bad;
    rpc_error err = {0};
    uint64_t from = 1, limit = 100;
    if (!rpc_param_u64(params, "from", false, &from, &err) ||
        !rpc_param_u64(params, "limit", false, &limit, &err))
        return rpc_fail_with(&err);
    if (limit > CHITS_PAGE_MAX) return nj_bad_param("limit", "is over 1000");
    const ledger_state *s = node_ledger(api->n);
    credit_tally *t = hansa_malloc(sizeof *t);
    bool found = ledger_tally_get(s, &id, t);
    /* One chain stores the foil's (= the stock's) chain; across chains,
     * this chain's holder's half. */
    credit_side local = CREDIT_FOIL;
    if (found && xtally_across(t, node_chain_id(api->n), &local) && local == 0) local = CREDIT_FOIL;
    uint64_t n = found ? t->half[local].n : 0;
    free(t);
    if (!found) return not_found("tally", &id);
    json_t *list = json_array();
    for (uint64_t i = from < 1 ? 1 : from; i <= n && json_array_size(list) < limit; i++) {
        credit_link l;
        if (!ledger_chit_get(s, &id, i, &l)) break;
        json_array_append_new(list, json_pack("{s:I, s:o, s:o}", "index", (json_int_t)i, "link_hash",
                                              nj_hash(&l.hash), "chit",
                                              cj_chit(&l.chit, node_chain_id(api->n))));
    }
    return rpc_ok(json_pack("{s:o, s:I, s:o}", "tally_id", cj_id(&id), "length", (json_int_t)n,
                            "chits", list));
}

static json_t *invoice_json(const rpc_credit_api *api, const credit_id *id) {
    const ledger_state *s = node_ledger(api->n);
    credit_invoice inv;
    if (!ledger_invoice_get(s, id, &inv)) return NULL;
    credit_tally *t = hansa_malloc(sizeof *t);
    bool have_tally = ledger_tally_get(s, &inv.tally_id, t);
    json_t *j = cj_invoice(&inv, have_tally ? t : NULL);
    free(t);
    return j;
}

/* invoice {id} -> the invoice with payee and payer addresses */
static rpc_outcome m_invoice(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    return by_id(ctx, params, "invoice", invoice_json);
}

typedef struct {
    credit_id tally;
    const ledger_state *s;
    json_t *list;
} inv_filter;

static void add_if_tally(void *ctx, const credit_invoice *inv) {
    inv_filter *f = ctx;
    if (credit_id_eq(&inv->tally_id, &f->tally)) json_array_append_new(f->list, cj_invoice(inv, NULL));
}

/* invoices {tally} -> {tally_id, invoices: [...]} */
static rpc_outcome m_invoices(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"tally", NULL};
    inv_filter f;
    if (!params_with_id(params, names, "tally", &f.tally, &bad)) return bad;
    f.s = node_ledger(api->n);
    f.list = json_array();
    ledger_invoices_iter(f.s, add_if_tally, &f);
    return rpc_ok(json_pack("{s:o, s:o}", "tally_id", cj_id(&f.tally), "invoices", f.list));
}

static json_t *lift_json(const rpc_credit_api *api, const credit_id *id) {
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    json_t *j = ledger_lift_get(node_ledger(api->n), id, rec) ? cj_lift_rec(rec) : NULL;
    free(rec);
    return j;
}

/* lift {id} -> the lift record: header, route and the chain's ruling */
static rpc_outcome m_lift(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    return by_id(ctx, params, "lift", lift_json);
}

typedef struct {
    credit_id tally; /* zero: every lift */
    json_t *list;
} lift_filter;

static void add_if_through(void *ctx, const credit_lift_rec *rec) {
    lift_filter *f = ctx;
    bool through = credit_id_is_zero(&f->tally);
    for (int i = 0; i < rec->lift.n_hops && !through; i++)
        through = credit_id_eq(&rec->lift.tallies[i], &f->tally);
    if (through && json_array_size(f->list) < 1000) json_array_append_new(f->list, cj_lift_rec(rec));
}

/* lifts {tally?} -> {lifts: [...]}: the lifts through a tally, or all (at
 * most 1000, in no particular order) */
static rpc_outcome m_lifts(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"tally", NULL};
    lift_filter f;
    memset(&f, 0, sizeof f);
    if (!nj_params_only(params, names, &bad)) return bad;
    if (json_object_get(params, "tally") && !param_id(params, "tally", &f.tally, &bad)) return bad;
    f.list = json_array();
    ledger_lifts_iter(node_ledger(api->n), add_if_through, &f);
    return rpc_ok(json_pack("{s:o}", "lifts", f.list));
}

/* tally_outbox {id, peer_acked?} -> {tally_id, messages: [hex]}: the tally
 * messages this chain's half of a cross-chain tally has to send now, each
 * the payload of a tally packet (packet type 2) anyone may send to the
 * other chain. peer_acked: how much of this chain's foil chain the stock
 * confirmed, as the other chain's copy says (so the stock knows whether to
 * acknowledge). */
static rpc_outcome m_tally_outbox(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"id", "peer_acked", NULL};
    credit_id id;
    if (!params_with_id(params, names, "id", &id, &bad)) return bad;
    rpc_error err = {0};
    uint64_t acked = 0; /* unknown: the stock acknowledges (a repeat is harmless) */
    if (!rpc_param_u64(params, "peer_acked", false, &acked, &err)) return rpc_fail_with(&err);
    const ledger_state *s = node_ledger(api->n);
    if (!tally_exists(s, &id)) return not_found("tally", &id);
    credit_half *peer = hansa_calloc(1, sizeof *peer);
    peer->ack = acked;
    credit_msg *msgs = hansa_calloc(XTALLY_OUTBOX_MAX, sizeof *msgs);
    size_t n = ledger_xtally_outbox(s, &id, peer, msgs);
    json_t *list = json_array();
    credit_xmsg *x = hansa_malloc(sizeof *x);
    for (size_t i = 0; i < n; i++) {
        memset(x, 0, sizeof *x);
        x->kind = CREDIT_XMSG_CHAIN;
        x->from = msgs[i].from;
        x->msg = msgs[i];
        hbuf b = HBUF_INIT;
        credit_xmsg_encode(&b, x);
        json_array_append_new(list, nj_hex(b.data, b.len));
        hbuf_free(&b);
    }
    free(x);
    free(msgs);
    free(peer);
    return rpc_ok(json_pack("{s:o, s:o}", "tally_id", cj_id(&id), "messages", list));
}

static const char *const xlift_states[] = {"?", "pending", "committed", "voided"};
static const char *const rulings[] = {"none", "commit", "expired"};

static json_t *xlift_seg_json(const rpc_credit_api *api, const credit_id *id) {
    xlift_seg_rec *s = hansa_malloc(sizeof *s);
    if (!ledger_xlift_seg_get(node_ledger(api->n), id, s)) {
        free(s);
        return NULL;
    }
    json_t *j = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o}", "state", xlift_states[s->state], "segment", s->seg,
                          "xlift_hash", nj_hash(&s->xlift_hash), "promised_height", nj_u64(s->promised_height),
                          "done_height", nj_u64(s->done_height), "lift", cj_lift(&s->lift));
    HANSA_ASSERT(j != NULL); /* NULL means "no such segment" to by_id */
    free(s);
    return j;
}

/* xlift {id} -> this chain's segment of a cross-chain lift and its state */
static rpc_outcome m_xlift(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    return by_id(ctx, params, "cross-chain lift segment", xlift_seg_json);
}

/* xlift_ruling {hash} -> the referee chain's record of a cross-chain lift */
static rpc_outcome m_xlift_ruling(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_credit_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"hash", NULL};
    hansa_hash h;
    xlift_ref_rec f;
    if (!nj_params_only(params, names, &bad) || !nj_param_hash(params, &h, &bad)) return bad;
    if (!ledger_xlift_ref_get(node_ledger(api->n), &h, &f))
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:o}", "hash", nj_hash(&h)),
                        "no promise or ruling for this cross-chain lift here");
    json_t *chains = json_array(), *promised = json_array();
    for (int j = 0; j < f.n; j++) {
        json_array_append_new(chains, json_integer(f.chains[j]));
        json_array_append_new(promised, json_boolean(f.promised >> j & 1));
    }
    return rpc_ok(json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:o}", "xlift_hash", nj_hash(&h), "chains", chains,
                            "promised", promised, "expiry_ms", nj_u64(f.expiry_ms), "ruling", rulings[f.ruling],
                            "height", nj_u64(f.height), "time_ms", nj_u64(f.time_ms)));
}

rpc_credit_api *rpc_credit_api_new(rpc_server *server, node *n) {
    rpc_credit_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    rpc_register(server, "tally", m_tally, api);
    rpc_register(server, "tallies", m_tallies, api);
    rpc_register(server, "chits", m_chits, api);
    rpc_register(server, "invoice", m_invoice, api);
    rpc_register(server, "invoices", m_invoices, api);
    rpc_register(server, "lift", m_lift, api);
    rpc_register(server, "lifts", m_lifts, api);
    rpc_register(server, "tally_outbox", m_tally_outbox, api);
    rpc_register(server, "xlift", m_xlift, api);
    rpc_register(server, "xlift_ruling", m_xlift_ruling, api);
    api->route = rpc_route_api_new(server, n);
    return api;
}

rpc_route_api *rpc_credit_api_route(rpc_credit_api *api) { return api->route; }

void rpc_credit_api_free(rpc_credit_api *api) {
    if (api) rpc_route_api_free(api->route);
    free(api);
}
