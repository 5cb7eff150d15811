/* test_ledger_credit.c — tallies, chits and invoices through the ledger:
 * every transaction kind 30-39, valid and refused with its reason, with the
 * credit checker (ledger_credit_check) and the supply check run after every
 * block, the records' load round trip, and the checker shown catching the
 * corruptions it exists for. */
#include "check.h"
#include "ledger/block.h"
#include "ledger/credit_rec.h"
#include "ledger/credit_store.h"
#include "ledger_helpers.h"

#define STOCK 0 /* key index of the stock holder in these tests */
#define FOIL 1
#define OTHER 2

static ledger_state *st;
static uint64_t nonces[T_KEYS];
static credit_id tid = {{0x11, 0x22}};

static void fresh(void) {
    if (st) ledger_state_free(st);
    ledger_params p = t_params();
    uint64_t bal[3] = {1000000, 1000000, 1000000};
    st = t_state(&p, bal, 3, t_hash_key_a);
    memset(nonces, 0, sizeof nonces);
}

static int credit_ok(void) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_credit_check(st, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  credit check: %s\n", why);
    return err == HANSA_OK;
}

/* Submits one transaction in its own block; returns its verdict. */
static hansa_err submit(int from, uint16_t kind, const hbuf *body, char *why, size_t why_len) {
    wire_tx tx = t_tx_raw(from, T_CHAIN, nonces[from], 10, kind, body->data, (uint32_t)body->len);
    ledger_block_info info = t_info(st, 60);
    ledger_block *b = NULL;
    char w[LEDGER_WHY_MAX];
    HANSA_ASSERT(ledger_block_begin(st, &info, &b, w, sizeof w) == HANSA_OK);
    hansa_err err = ledger_block_add_tx(b, &tx, false, why, why_len);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    nonces[from]++;
    ledger_block_finish(b);
    ledger_block_commit(st, b);
    CHECK(credit_ok());
    CHECK(t_supply_ok(st));
    return HANSA_OK;
}

static credit_contract contract(uint32_t revision, uint64_t stock_limit, uint64_t foil_limit) {
    credit_contract c;
    memset(&c, 0, sizeof c);
    c.tally_id = tid;
    c.stock = (credit_party){T_CHAIN, t_keys[STOCK].pub};
    c.foil = (credit_party){T_CHAIN, t_keys[FOIL].pub};
    c.stock_grants = (credit_terms){stock_limit, 30};
    c.foil_grants = (credit_terms){foil_limit, 0};
    c.revision = revision;
    return c;
}

static hansa_err offer(int from, uint16_t kind, const credit_contract *c, int signer, char *why) {
    hbuf b = HBUF_INIT;
    hansa_sig sig;
    credit_contract_sign(c, &t_keys[signer], &sig);
    credit_contract_encode(&b, c);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    hansa_err err = submit(from, kind, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static hansa_err answer(int from, uint16_t kind, uint32_t revision, const credit_contract *signed_c,
                        char *why) {
    hbuf b = HBUF_INIT;
    hbuf_append(&b, tid.b, CREDIT_ID_BYTES);
    hbuf_put_u32(&b, revision);
    if (signed_c != NULL) {
        hansa_sig sig;
        credit_contract_sign(signed_c, &t_keys[from], &sig);
        hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    }
    hansa_err err = submit(from, kind, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static hansa_err by_id(int from, uint16_t kind, const credit_id *id, char *why) {
    hbuf b = HBUF_INIT;
    hbuf_append(&b, id->b, CREDIT_ID_BYTES);
    hansa_err err = submit(from, kind, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static credit_chit chit_of(credit_side by, uint8_t n, uint64_t amount) {
    credit_chit c;
    memset(&c, 0, sizeof c);
    c.tally_id = tid;
    c.chit_id.b[0] = (uint8_t)by;
    c.chit_id.b[1] = n;
    c.by = (uint8_t)by;
    c.kind = CREDIT_CHIT_DIRECT;
    c.amount = amount;
    credit_chit_sign(&c, &t_keys[by == CREDIT_STOCK ? STOCK : FOIL]);
    return c;
}

static hansa_err pay(int from, uint16_t kind, const credit_chit *c, char *why) {
    hbuf b = HBUF_INIT;
    credit_chit_encode(&b, c);
    hansa_err err = submit(from, kind, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static credit_tally *tally_now(void) {
    static credit_tally t;
    CHECK(ledger_tally_get(st, &tid, &t));
    return &t;
}

/* Opens tid: the stock grants the foil 1000, the foil grants the stock 500. */
static void open_tally(void) {
    char why[LEDGER_WHY_MAX];
    credit_contract c = contract(1, 1000, 500);
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &c, STOCK, why), HANSA_OK);
    CHECK_ERR(answer(FOIL, TX_TALLY_ACCEPT, 1, &c, why), HANSA_OK);
}

static void test_tally_open_pay_close(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_contract c = contract(1, 1000, 500);
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &c, STOCK, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_OFFERED);
    credit_chit early = chit_of(CREDIT_FOIL, 1, 5);
    CHECK_ERR(pay(FOIL, TX_CHIT, &early, why), HANSA_ERR_STATE); /* not open yet */
    CHECK(strstr(why, "offered") != NULL);
    CHECK_ERR(answer(STOCK, TX_TALLY_ACCEPT, 1, &c, why), HANSA_ERR_INVALID); /* its own offer */
    CHECK_ERR(answer(FOIL, TX_TALLY_ACCEPT, 2, &c, why), HANSA_ERR_INVALID); /* wrong revision */
    CHECK_ERR(answer(OTHER, TX_TALLY_ACCEPT, 1, &c, why), HANSA_ERR_INVALID); /* not a party */
    CHECK_ERR(answer(FOIL, TX_TALLY_ACCEPT, 1, &c, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_OPEN);
    /* the foil owes up to 1000, the stock up to 500 */
    credit_chit f1 = chit_of(CREDIT_FOIL, 1, 700);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f1, why), HANSA_OK);
    CHECK(tally_now()->balance == 700);
    credit_chit f2 = chit_of(CREDIT_FOIL, 2, 301);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f2, why), HANSA_ERR_FUNDS);
    CHECK(strstr(why, "grants") != NULL);
    credit_chit s1 = chit_of(CREDIT_STOCK, 1, 1200);
    CHECK_ERR(pay(STOCK, TX_CHIT, &s1, why), HANSA_OK);
    CHECK(tally_now()->balance == -500);
    credit_chit s2 = chit_of(CREDIT_STOCK, 2, 1);
    CHECK_ERR(pay(STOCK, TX_CHIT, &s2, why), HANSA_ERR_FUNDS);
    CHECK_EQ_U64(tally_now()->half[CREDIT_FOIL].n, 2);
    /* closing: only toward zero */
    CHECK_ERR(by_id(OTHER, TX_TALLY_CLOSE, &tid, why), HANSA_ERR_INVALID);
    CHECK_ERR(by_id(FOIL, TX_TALLY_CLOSE, &tid, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_CLOSING);
    CHECK_ERR(by_id(STOCK, TX_TALLY_CLOSE, &tid, why), HANSA_ERR_STATE);
    credit_chit s3 = chit_of(CREDIT_STOCK, 3, 10);
    CHECK_ERR(pay(STOCK, TX_CHIT, &s3, why), HANSA_ERR_FUNDS); /* over the limit anyway */
    credit_chit f3 = chit_of(CREDIT_FOIL, 3, 600);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f3, why), HANSA_ERR_STATE); /* would cross zero */
    CHECK(strstr(why, "closing") != NULL);
    credit_chit f4 = chit_of(CREDIT_FOIL, 4, 200);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f4, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_CLOSING);
    credit_chit f5 = chit_of(CREDIT_FOIL, 5, 300);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f5, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_CLOSED);
    CHECK(tally_now()->balance == 0);
    credit_chit f6 = chit_of(CREDIT_FOIL, 6, 1);
    CHECK_ERR(pay(FOIL, TX_CHIT, &f6, why), HANSA_ERR_STATE);
    CHECK_EQ_U64(tally_now()->half[CREDIT_STOCK].n, 4);
}

static void test_close_at_zero_is_immediate(void) {
    fresh();
    open_tally();
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(by_id(STOCK, TX_TALLY_CLOSE, &tid, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_CLOSED);
}

static void test_offer_counter_refuse_reoffer(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_contract c1 = contract(1, 100, 0);
    CHECK_ERR(offer(OTHER, TX_TALLY_OFFER, &c1, OTHER, why), HANSA_ERR_INVALID); /* not a party */
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &c1, FOIL, why), HANSA_ERR_BAD_SIG); /* signed by the other */
    credit_contract bad = contract(0, 100, 0);
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &bad, STOCK, why), HANSA_ERR_INVALID); /* revision 0 */
    bad = contract(1, CREDIT_AMOUNT_MAX + 1, 0);
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &bad, STOCK, why), HANSA_ERR_INVALID);
    bad = contract(1, 100, 0);
    bad.foil.chain_id = 0x77;
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &bad, STOCK, why), HANSA_ERR_WRONG_CHAIN);
    CHECK(strstr(why, "packets") != NULL);
    CHECK_ERR(offer(STOCK, TX_TALLY_OFFER, &c1, STOCK, why), HANSA_OK);
    CHECK_ERR(offer(FOIL, TX_TALLY_OFFER, &c1, FOIL, why), HANSA_ERR_STATE); /* exists, not void */
    /* the foil counters with more credit for itself */
    credit_contract c2 = contract(2, 300, 0);
    CHECK_ERR(offer(STOCK, TX_TALLY_COUNTER, &c2, STOCK, why), HANSA_ERR_INVALID); /* own offer */
    credit_contract c3 = contract(3, 300, 0);
    CHECK_ERR(offer(FOIL, TX_TALLY_COUNTER, &c3, FOIL, why), HANSA_ERR_INVALID); /* skips a revision */
    CHECK_ERR(offer(FOIL, TX_TALLY_COUNTER, &c2, FOIL, why), HANSA_OK);
    CHECK(tally_now()->offered_by == CREDIT_FOIL && tally_now()->contract.revision == 2);
    CHECK_ERR(answer(FOIL, TX_TALLY_ACCEPT, 2, &c2, why), HANSA_ERR_INVALID);
    CHECK_ERR(answer(STOCK, TX_TALLY_ACCEPT, 1, &c1, why), HANSA_ERR_INVALID); /* stale revision */
    /* the stock refuses it */
    CHECK_ERR(answer(FOIL, TX_TALLY_REFUSE, 2, NULL, why), HANSA_ERR_INVALID);
    CHECK_ERR(answer(STOCK, TX_TALLY_REFUSE, 2, NULL, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_VOID);
    CHECK_ERR(answer(STOCK, TX_TALLY_ACCEPT, 2, &c2, why), HANSA_ERR_STATE);
    /* a re-offer must raise the revision */
    CHECK_ERR(offer(FOIL, TX_TALLY_OFFER, &c2, FOIL, why), HANSA_ERR_INVALID);
    credit_contract c4 = contract(4, 200, 0);
    CHECK_ERR(offer(FOIL, TX_TALLY_OFFER, &c4, FOIL, why), HANSA_OK);
    CHECK_ERR(answer(STOCK, TX_TALLY_ACCEPT, 4, &c4, why), HANSA_OK);
    CHECK(tally_now()->state == CREDIT_TALLY_OPEN);
    CHECK_EQ_U64(tally_now()->contract.stock_grants.limit, 200);
}

static hansa_err trade(int from, credit_side side, uint32_t seq, credit_trade tv, char *why) {
    credit_trade_signed ts;
    memset(&ts, 0, sizeof ts);
    ts.tally_id = tid;
    ts.side = (uint8_t)side;
    ts.seq = seq;
    ts.tv = tv;
    credit_trade_sign(&ts, &t_keys[side == CREDIT_STOCK ? STOCK : FOIL]);
    hbuf b = HBUF_INIT;
    credit_trade_signed_encode(&b, &ts);
    hansa_err err = submit(from, TX_TALLY_TRADE, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static void test_trading_variables(void) {
    fresh();
    open_tally();
    char why[LEDGER_WHY_MAX] = "";
    credit_trade ok = {100, 500, 20000, -20000};
    CHECK_ERR(trade(FOIL, CREDIT_FOIL, 1, ok, why), HANSA_OK);
    CHECK_EQ_U64(tally_now()->trade[CREDIT_FOIL].tv.bound, 500);
    CHECK_ERR(trade(FOIL, CREDIT_FOIL, 1, ok, why), HANSA_ERR_INVALID); /* seq not above */
    CHECK_ERR(trade(STOCK, CREDIT_FOIL, 2, ok, why), HANSA_ERR_INVALID); /* another's variables */
    /* the MyCHIPs constraints are refused in the body decoder */
    credit_trade bad = {600, 500, 0, 0};
    CHECK_ERR(trade(FOIL, CREDIT_FOIL, 2, bad, why), HANSA_ERR_INVALID);
    bad = (credit_trade){0, 0, 0, CREDIT_PPM_ONE + 1};
    CHECK_ERR(trade(FOIL, CREDIT_FOIL, 2, bad, why), HANSA_ERR_INVALID);
    bad = (credit_trade){0, 0, -300000, 200000};
    CHECK_ERR(trade(FOIL, CREDIT_FOIL, 2, bad, why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "trading variables") != NULL);
    credit_trade again = {0, 0, 0, CREDIT_PPM_ONE};
    CHECK_ERR(trade(STOCK, CREDIT_STOCK, 7, again, why), HANSA_OK);
    CHECK_EQ_U64(tally_now()->trade[CREDIT_STOCK].seq, 7);
}

static void test_chit_refusals(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_chit c = chit_of(CREDIT_FOIL, 1, 5);
    CHECK_ERR(pay(FOIL, TX_CHIT, &c, why), HANSA_ERR_NOT_FOUND);
    open_tally();
    CHECK_ERR(pay(STOCK, TX_CHIT, &c, why), HANSA_ERR_INVALID); /* only the pledger submits */
    CHECK(strstr(why, "only it may submit") != NULL);
    credit_chit forged = c;
    forged.amount = 6;
    CHECK_ERR(pay(FOIL, TX_CHIT, &forged, why), HANSA_ERR_BAD_SIG);
    credit_chit inv = c;
    inv.kind = CREDIT_CHIT_INVOICE;
    inv.invoice_id.b[0] = 1;
    credit_chit_sign(&inv, &t_keys[FOIL]);
    CHECK_ERR(pay(FOIL, TX_CHIT, &inv, why), HANSA_ERR_INVALID); /* invoice chits go as invoice_pay */
    CHECK_ERR(pay(FOIL, TX_CHIT, &c, why), HANSA_OK);
    CHECK_ERR(pay(FOIL, TX_CHIT, &c, why), HANSA_ERR_DUPLICATE);
    credit_chit other = chit_of(CREDIT_FOIL, 1, 9); /* same id, different content */
    CHECK_ERR(pay(FOIL, TX_CHIT, &other, why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "conflict") != NULL);
    /* a body that does not decode */
    hbuf b = HBUF_INIT;
    credit_chit_encode(&b, &c);
    b.len--;
    CHECK_ERR(submit(FOIL, TX_CHIT, &b, why, sizeof why), HANSA_ERR_TRUNCATED);
    hbuf_free(&b);
    CHECK_EQ_U64(tally_now()->half[CREDIT_FOIL].n, 1);
    CHECK(tally_now()->balance == 5);
}

static hansa_err invoice_create(int from, const credit_invoice *inv, char *why) {
    hbuf b = HBUF_INIT;
    credit_invoice_encode(&b, inv);
    hansa_err err = submit(from, TX_INVOICE_CREATE, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static void test_invoices(void) {
    fresh();
    open_tally();
    char why[LEDGER_WHY_MAX] = "";
    credit_invoice inv;
    memset(&inv, 0, sizeof inv);
    inv.invoice_id.b[0] = 0x99;
    inv.tally_id = tid;
    inv.payee = CREDIT_STOCK; /* the vendor asks the client to pay */
    inv.amount = 250;
    inv.n_items = 2;
    inv.items[0] = (credit_item){10, "gopher-bom", 200};
    inv.items[1] = (credit_item){8, "delivery", 50};
    inv.n_hints = 1;
    inv.hints[0] = (credit_hint){4, "e2e4"};
    CHECK_ERR(invoice_create(FOIL, &inv, why), HANSA_ERR_INVALID); /* only the payee */
    CHECK_ERR(invoice_create(STOCK, &inv, why), HANSA_OK);
    CHECK_ERR(invoice_create(STOCK, &inv, why), HANSA_ERR_DUPLICATE);
    credit_invoice got;
    CHECK(ledger_invoice_get(st, &inv.invoice_id, &got) && got.state == CREDIT_INV_PENDING);
    CHECK(tally_now()->balance == 0); /* a pending invoice is not value */
    credit_chit c = chit_of(CREDIT_FOIL, 1, 249);
    c.kind = CREDIT_CHIT_INVOICE;
    c.invoice_id = inv.invoice_id;
    credit_chit_sign(&c, &t_keys[FOIL]);
    CHECK_ERR(pay(FOIL, TX_INVOICE_PAY, &c, why), HANSA_ERR_INVALID); /* wrong amount */
    c.amount = 250;
    credit_chit_sign(&c, &t_keys[FOIL]);
    CHECK_ERR(pay(FOIL, TX_CHIT, &c, why), HANSA_ERR_INVALID);
    CHECK_ERR(pay(FOIL, TX_INVOICE_PAY, &c, why), HANSA_OK);
    CHECK(ledger_invoice_get(st, &inv.invoice_id, &got) && got.state == CREDIT_INV_PAID);
    CHECK(credit_id_eq(&got.paid_by, &c.chit_id));
    CHECK(tally_now()->balance == 250);
    credit_chit c2 = c;
    c2.chit_id.b[1] = 2;
    credit_chit_sign(&c2, &t_keys[FOIL]);
    CHECK_ERR(pay(FOIL, TX_INVOICE_PAY, &c2, why), HANSA_ERR_STATE); /* paid already */
    CHECK_ERR(by_id(FOIL, TX_INVOICE_REFUSE, &inv.invoice_id, why), HANSA_ERR_STATE);
    /* a second invoice, refused by the payer */
    inv.invoice_id.b[0] = 0x98;
    CHECK_ERR(invoice_create(STOCK, &inv, why), HANSA_OK);
    CHECK_ERR(by_id(OTHER, TX_INVOICE_REFUSE, &inv.invoice_id, why), HANSA_ERR_INVALID);
    CHECK_ERR(by_id(FOIL, TX_INVOICE_REFUSE, &inv.invoice_id, why), HANSA_OK);
    CHECK(ledger_invoice_get(st, &inv.invoice_id, &got) && got.state == CREDIT_INV_REFUSED);
    /* an invoice whose items do not add up does not decode */
    inv.invoice_id.b[0] = 0x97;
    inv.amount = 251;
    CHECK_ERR(invoice_create(STOCK, &inv, why), HANSA_ERR_INVALID);
}

/* The records survive a restart: the state loads from them with the same
 * app hash and passes the checker. */
static void test_load_round_trip(void) {
    fresh();
    open_tally();
    char why[LEDGER_WHY_MAX] = "";
    for (uint8_t i = 1; i <= 5; i++) {
        credit_chit c = chit_of(i % 2 ? CREDIT_FOIL : CREDIT_STOCK, i, 10 * i);
        CHECK_ERR(pay(i % 2 ? FOIL : STOCK, TX_CHIT, &c, why), HANSA_OK);
    }
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(st, &ws);
    ledger_state *s2 = ledger_state_load_begin(t_hash_key_b);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(s2, k, kl, v, vl, why, sizeof why), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(s2, ledger_app_hash(st), why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_credit_check(s2, why, sizeof why), HANSA_OK);
    credit_tally *t = malloc(sizeof *t);
    CHECK(ledger_tally_get(s2, &tid, t) && t->balance == tally_now()->balance);
    free(t);
    ledger_state_free(s2);
    /* a corrupt credit record is refused at load */
    s2 = ledger_state_load_begin(t_hash_key_b);
    uint8_t key[LEDGER_KEY_TALLY_BYTES] = {LEDGER_KEY_TALLY};
    uint8_t junk[3] = {1, 2, 3};
    CHECK_ERR(ledger_state_load_record(s2, key, sizeof key, junk, sizeof junk, why, sizeof why),
              HANSA_ERR_CORRUPT);
    ledger_state_free(s2);
    ledger_writes_free(&ws);
}

/* Every event of a block comes from its write set. */
static int n_ev[4];
static void count_event(void *ctx, const ledger_credit_event *ev) {
    (void)ctx;
    n_ev[ev->kind]++;
}

static void test_events(void) {
    fresh();
    open_tally();
    credit_chit c = chit_of(CREDIT_FOIL, 1, 5);
    hbuf body = HBUF_INIT;
    credit_chit_encode(&body, &c);
    wire_tx tx = t_tx_raw(FOIL, T_CHAIN, nonces[FOIL], 10, TX_CHIT, body.data, (uint32_t)body.len);
    ledger_block_info info = t_info(st, 60);
    ledger_block *b = NULL;
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_block_begin(st, &info, &b, why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(b, &tx, false, why, sizeof why), HANSA_OK);
    ledger_block_finish(b);
    memset(n_ev, 0, sizeof n_ev);
    ledger_credit_events(ledger_block_writes(b), count_event, NULL);
    CHECK(n_ev[LEDGER_EV_TALLY] == 1 && n_ev[LEDGER_EV_CHIT] == 1 && n_ev[LEDGER_EV_INVOICE] == 0);
    ledger_block_free(b);
    hbuf_free(&body);
}

/* The checker catches what it exists for: tamper with the committed
 * records directly and it must say so. */
static void tamper(uint8_t type, void (*edit)(uint8_t *key, size_t klen, hbuf *val)) {
    kvmap *m = &st->tabs[LEDGER_TAB_CREDIT];
    for (size_t i = 0; i < m->cap; i++) {
        kvmap_slot *slot = &m->slots[i];
        if (!slot->used || slot->key[0] != type) continue;
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = slot->klen;
        memcpy(key, slot->key, klen);
        hbuf val = HBUF_INIT;
        hbuf_append(&val, slot->val, slot->vlen);
        edit(key, klen, &val);
        if (val.len == 0) kvmap_del(m, key, klen);
        else kvmap_put(m, key, klen, val.data, val.len);
        hbuf_free(&val);
        return;
    }
}

static void balance_plus_one(uint8_t *key, size_t klen, hbuf *val) {
    (void)key;
    (void)klen;
    credit_tally *t = malloc(sizeof *t);
    HANSA_ASSERT(credit_tally_decode(val->data, val->len, t, NULL) == HANSA_OK);
    t->balance += 1;
    hbuf_reset(val);
    credit_tally_encode(val, t);
    free(t);
}

static void drop(uint8_t *key, size_t klen, hbuf *val) {
    (void)key;
    (void)klen;
    hbuf_reset(val);
}

static void flip_amount(uint8_t *key, size_t klen, hbuf *val) {
    (void)key;
    (void)klen;
    val->data[1 + 1 + 2 * CREDIT_ID_BYTES + 2] ^= 1; /* the chit's amount */
}

static void test_checker_catches_corruption(void) {
    char why[LEDGER_WHY_MAX] = "";
    void (*edits[3])(uint8_t *, size_t, hbuf *) = {balance_plus_one, drop, flip_amount};
    uint8_t types[3] = {LEDGER_KEY_TALLY, LEDGER_KEY_CHIT, LEDGER_KEY_CHIT};
    for (int e = 0; e < 3; e++) {
        fresh();
        open_tally();
        credit_chit c = chit_of(CREDIT_FOIL, 1, 5);
        CHECK_ERR(pay(FOIL, TX_CHIT, &c, why), HANSA_OK);
        CHECK_ERR(ledger_credit_check(st, why, sizeof why), HANSA_OK);
        tamper(types[e], edits[e]);
        CHECK_ERR(ledger_credit_check(st, why, sizeof why), HANSA_ERR_CORRUPT);
        fprintf(stderr, "  tampered (%d): %s\n", e, why);
    }
    ledger_state_free(st);
    st = NULL;
}

int main(void) {
    t_init_keys();
    RUN(test_tally_open_pay_close);
    RUN(test_close_at_zero_is_immediate);
    RUN(test_offer_counter_refuse_reoffer);
    RUN(test_trading_variables);
    RUN(test_chit_refusals);
    RUN(test_invoices);
    RUN(test_load_round_trip);
    RUN(test_events);
    RUN(test_checker_catches_corruption);
    return check_summary();
}
