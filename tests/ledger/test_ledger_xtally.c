/* test_ledger_xtally.c — tallies across two chains (ledger/xtally.h): two
 * in-process ledgers, the stock holder on chain A and the foil holder on
 * chain B, every tally message as a tally packet sent, proven, received and
 * acknowledged. Each message kind applied and refused with its reason, the
 * chain messages a chain refuses to let leave it, chits both ways and an
 * invoice, and the convergence property: random loss, duplication and
 * reordering of packets and relayer crashes, then the halves converge to
 * identical chains with every chit once; shown failing with the ordering
 * rule broken. The credit checker runs on both chains and conservation
 * across them after every block. Seeded: HANSA_SEED replays a run.
 *
 * The chains' light clients are written straight into each state after
 * every block, as in test_ledger_xfer.c; every block holds one transaction,
 * so a packet's proof is its block's height and the tx itself. */
#include <stdlib.h>

#include "base/rng.h"
#include "check.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "interchain/codec.h"
#include "interchain/packet.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/xfer.h"
#include "ledger/xtally.h"
#include "client_helpers.h"
#include "ledger_helpers.h"

#define FEE 10
#define STOCK 0   /* key of the stock holder, on chain A */
#define FOIL 1    /* key of the foil holder, on chain B */
#define STRANGER 2
#define RELAYER 9
#define TIMEOUT (1ull << 40)

typedef struct {
    ledger_state *s;
    uint32_t id;
    uint64_t nonce[T_KEYS];
} tchain;

static tchain A, B;
/* Set while the ordering rule is broken on purpose: the helpers' own
 * checks then fail by design, and only the property's verdict counts. */
static bool broken;
static credit_id tid = {{0x71, 0x72}};
static credit_contract K;

static tchain *other(tchain *c) { return c == &A ? &B : &A; }


static void fed_init(void) {
    uint64_t bal[10];
    for (int i = 0; i < 10; i++) bal[i] = 1000000000;
    ledger_params p = t_params();
    p.chain_id = 0xa;
    A = (tchain){.s = t_state(&p, bal, 10, t_hash_key_a), .id = 0xa};
    p.chain_id = 0xb;
    B = (tchain){.s = t_state(&p, bal, 10, t_hash_key_a), .id = 0xb};
    hansa_hash zero = {{0}};
    t_client_learn(A.s, B.id, 0, &zero, 1);
    t_client_learn(B.s, A.id, 0, &zero, 1);
    memset(&K, 0, sizeof K);
    K.tally_id = tid;
    K.stock = (credit_party){A.id, t_keys[STOCK].pub};
    K.foil = (credit_party){B.id, t_keys[FOIL].pub};
    K.stock_grants = (credit_terms){100000, 30};
    K.foil_grants = (credit_terms){50000, 30};
    K.revision = 1;
}

static void fed_free(void) {
    ledger_state_free(A.s);
    ledger_state_free(B.s);
}

/* Both chains' credit records and value pass their checks. */
static bool checked(void) {
    const ledger_state *st[2] = {A.s, B.s};
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = xfer_conservation_check(st, 2, why, sizeof why);
    if (err == HANSA_OK) err = ledger_credit_check(A.s, why, sizeof why);
    if (err == HANSA_OK) err = ledger_credit_check(B.s, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  check: %s\n", why);
    return err == HANSA_OK;
}

/* One tx of key `from` on chain c in a block of its own; enc (optional)
 * gets its encoding. The other chain learns the header. */
static hansa_err submit(tchain *c, int from, uint16_t kind, const uint8_t *body, uint32_t len,
                        hbuf *enc, char *why) {
    wire_tx tx = t_tx_raw(from, c->id, c->nonce[from], FEE, kind, body, len);
    ledger_block_info info = t_info(c->s, 60);
    info.time_ms = ledger_last_block_time_ms(c->s) + 1000;
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(c->s, &info, &b, why, LEDGER_WHY_MAX), HANSA_OK);
    hansa_err err = ledger_block_add_tx(b, &tx, false, why, LEDGER_WHY_MAX);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    c->nonce[from]++;
    hbuf e = HBUF_INIT;
    wire_tx_encode(&e, &tx);
    hansa_hash root;
    merkle_leaf_hash(e.data, e.len, &root);
    ledger_block_finish(b);
    ledger_block_commit(c->s, b);
    t_client_learn(other(c)->s, c->id, info.height, &root, info.time_ms);
    if (enc) {
        hbuf_reset(enc);
        hbuf_append(enc, e.data, e.len);
    }
    hbuf_free(&e);
    if (!broken) CHECK(checked());
    return HANSA_OK;
}

/* ---- packets ---------------------------------------------------------------------- */

/* A sent packet: its source chain, the height of its block and its tx. */
typedef struct {
    tchain *src;
    uint64_t height;
    hbuf tx;
} sent;

static pkt_proof proof_of(const sent *p) {
    return (pkt_proof){.height = p->height, .index = 0, .count = 1, .path_len = 0,
                       .tx_len = (uint32_t)p->tx.len, .tx = p->tx.data};
}

/* Sends tally message m from chain c as key `from`; *out (optional) is the
 * packet to relay. */
static hansa_err send_msg(tchain *c, int from, const credit_xmsg *m, sent *out, char *why) {
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    credit_xmsg_encode(&pay, m);
    HANSA_ASSERT(pay.len <= PKT_PAYLOAD_MAX);
    pkt_send s = {other(c)->id, TIMEOUT, PKT_TYPE_TALLY, (uint16_t)pay.len, pay.data};
    pkt_send_encode(&body, &s);
    hbuf enc = HBUF_INIT;
    hansa_err err = submit(c, from, TX_PACKET_SEND, body.data, (uint32_t)body.len, &enc, why);
    if (err == HANSA_OK && out != NULL) {
        out->src = c;
        out->height = ledger_height(c->s);
        out->tx = enc;
    } else {
        hbuf_free(&enc);
    }
    hbuf_free(&pay);
    hbuf_free(&body);
    return err;
}

/* Relays packet p: the other chain receives it with the outcome it gives,
 * then p's chain is acknowledged. Returns the outcome (0xff if refused). */
static uint8_t relay(sent *p, bool ack) {
    tchain *dst = other(p->src);
    char why[LEDGER_WHY_MAX] = "";
    uint8_t outcome = ledger_xfer_outcome(dst->s, p->src->id, p->tx.data, p->tx.len,
                                          ledger_last_block_time_ms(dst->s) + 1000);
    pkt_recv v = {.src_chain = p->src->id, .proof = proof_of(p), .outcome = outcome};
    hbuf body = HBUF_INIT, enc = HBUF_INIT;
    pkt_recv_encode(&body, &v);
    hansa_err err = submit(dst, RELAYER, TX_PACKET_RECV, body.data, (uint32_t)body.len, &enc, why);
    if (err != HANSA_OK) {
        hbuf_free(&body);
        hbuf_free(&enc);
        return 0xff;
    }
    if (ack) {
        sent r = {dst, ledger_height(dst->s), enc};
        pkt_ack a = {.dest_chain = dst->id, .proof = proof_of(&r)};
        hbuf_reset(&body);
        pkt_ack_encode(&body, &a);
        CHECK_ERR(submit(p->src, RELAYER, TX_PACKET_ACK, body.data, (uint32_t)body.len, NULL, why), HANSA_OK);
    }
    hbuf_free(&body);
    hbuf_free(&enc);
    return outcome;
}

/* Sends and relays at once; returns the destination's outcome. */
static uint8_t trip(tchain *c, int from, const credit_xmsg *m) {
    char why[LEDGER_WHY_MAX] = "";
    sent p;
    hansa_err err = send_msg(c, from, m, &p, why);
    if (err != HANSA_OK) {
        fprintf(stderr, "  (send refused: %s)\n", why);
        return 0xfe;
    }
    uint8_t o = relay(&p, true);
    hbuf_free(&p.tx);
    return o;
}

/* ---- tallies ----------------------------------------------------------------------- */

static credit_tally *tally_on(const tchain *c) {
    static credit_tally t[2];
    credit_tally *out = &t[c == &A ? 0 : 1];
    if (!ledger_tally_get(c->s, &tid, out)) memset(out, 0, sizeof *out);
    return out;
}

static credit_xmsg offer_msg(int by_key, uint32_t revision) {
    credit_xmsg m = {.kind = CREDIT_XMSG_OFFER, .from = by_key == STOCK ? CREDIT_STOCK : CREDIT_FOIL};
    m.contract = K;
    m.contract.revision = revision;
    credit_contract_sign(&m.contract, &t_keys[by_key], &m.sig);
    return m;
}

static credit_xmsg accept_msg(int by_key, uint32_t revision) {
    credit_xmsg m = {.kind = CREDIT_XMSG_ACCEPT, .from = by_key == STOCK ? CREDIT_STOCK : CREDIT_FOIL,
                     .id = tid, .revision = revision};
    credit_contract c = K;
    c.revision = revision;
    credit_contract_sign(&c, &t_keys[by_key], &m.sig);
    return m;
}

/* Opens the tally: the stock offers on A, the foil accepts on B. */
static void open_tally(void) {
    credit_xmsg o = offer_msg(STOCK, 1), a = accept_msg(FOIL, 1);
    CHECK_EQ_U64(trip(&A, STOCK, &o), PKT_OK);
    CHECK_EQ_U64(trip(&B, FOIL, &a), PKT_OK);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_OPEN && tally_on(&B)->state == CREDIT_TALLY_OPEN);
}

static uint32_t chit_seq;

static credit_chit make_chit(credit_side by, uint64_t amount, const credit_id *invoice) {
    credit_chit c;
    memset(&c, 0, sizeof c);
    c.tally_id = tid;
    chit_seq++;
    c.chit_id.b[0] = (uint8_t)by;
    memcpy(c.chit_id.b + 1, &chit_seq, sizeof chit_seq);
    c.by = (uint8_t)by;
    c.kind = invoice ? CREDIT_CHIT_INVOICE : CREDIT_CHIT_DIRECT;
    if (invoice) c.invoice_id = *invoice;
    c.amount = amount;
    c.memo_len = 2;
    memcpy(c.memo, "ok", 2);
    credit_chit_sign(&c, &t_keys[by == CREDIT_STOCK ? STOCK : FOIL]);
    return c;
}

/* The payer's chit on its own chain. */
static hansa_err pay(const credit_chit *c, char *why) {
    hbuf body = HBUF_INIT;
    credit_chit_encode(&body, c);
    tchain *ch = c->by == CREDIT_STOCK ? &A : &B;
    hansa_err err = submit(ch, c->by == CREDIT_STOCK ? STOCK : FOIL,
                           c->kind == CREDIT_CHIT_INVOICE ? TX_INVOICE_PAY : TX_CHIT, body.data,
                           (uint32_t)body.len, NULL, why);
    hbuf_free(&body);
    return err;
}

/* What chain c's half has to say, as tally messages (peer: the other
 * chain's copy of its half). */
static size_t outbox(tchain *c, credit_xmsg *out) {
    credit_msg *msgs = calloc(XTALLY_OUTBOX_MAX, sizeof *msgs);
    const credit_tally *peer_t = tally_on(other(c));
    credit_side peer_side = c == &A ? CREDIT_FOIL : CREDIT_STOCK;
    size_t n = ledger_xtally_outbox(c->s, &tid, &peer_t->half[peer_side], msgs);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].kind = CREDIT_XMSG_CHAIN;
        out[i].from = msgs[i].from;
        out[i].msg = msgs[i];
    }
    free(msgs);
    return n;
}

static bool settled(void) {
    const credit_tally *a = tally_on(&A), *b = tally_on(&B);
    const credit_half *st = &a->half[CREDIT_STOCK], *fo = &b->half[CREDIT_FOIL];
    return st->fault == 0 && fo->fault == 0 && credit_half_settled(st) && credit_half_settled(fo) &&
           st->n == fo->n && hash_eq(&st->end, &fo->end);
}

/* One sync round: each chain sends what it has to say, each packet is
 * relayed and acknowledged. Returns the packets sent. */
static int sync_round(void) {
    credit_xmsg *m = calloc(XTALLY_OUTBOX_MAX, sizeof *m);
    int sent_n = 0;
    tchain *order[2] = {&B, &A};
    for (int k = 0; k < 2; k++) {
        size_t n = outbox(order[k], m);
        for (size_t i = 0; i < n; i++) {
            uint8_t o = trip(order[k], RELAYER, &m[i]);
            if (!broken) CHECK_EQ_U64(o, PKT_OK);
            sent_n++;
        }
    }
    free(m);
    return sent_n;
}

/* Identical chains on both chains, link by link, and equal balances. */
static bool same_chains(void) {
    const credit_tally *a = tally_on(&A), *b = tally_on(&B);
    if (a->half[CREDIT_STOCK].n != b->half[CREDIT_FOIL].n || a->balance != b->balance) return false;
    for (uint64_t i = 1; i <= a->half[CREDIT_STOCK].n; i++) {
        credit_link x, y;
        if (!ledger_chit_get(A.s, &tid, i, &x) || !ledger_chit_get(B.s, &tid, i, &y) ||
            !hash_eq(&x.hash, &y.hash))
            return false;
    }
    return true;
}

/* ---- unit tests ------------------------------------------------------------------- */

static void test_offer_accept_across(void) {
    fed_init();
    credit_xmsg o = offer_msg(STOCK, 1);
    char why[LEDGER_WHY_MAX] = "";
    sent p;
    CHECK_ERR(send_msg(&A, STOCK, &o, &p, why), HANSA_OK);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_OFFERED);
    CHECK(!ledger_tally_get(B.s, &tid, tally_on(&B)));
    CHECK_EQ_U64(relay(&p, true), PKT_OK);
    hbuf_free(&p.tx);
    CHECK(tally_on(&B)->state == CREDIT_TALLY_OFFERED && tally_on(&B)->offered_by == CREDIT_STOCK);
    /* The one-chain kinds refuse a tally across chains. */
    uint8_t body[16 + 4 + 64];
    memcpy(body, tid.b, 16);
    memset(body + 16, 0, sizeof body - 16);
    body[16] = 1;
    CHECK_ERR(submit(&B, FOIL, TX_TALLY_REFUSE, body, 20, NULL, why), HANSA_ERR_WRONG_CHAIN);
    credit_xmsg a = accept_msg(FOIL, 1);
    CHECK_EQ_U64(trip(&B, FOIL, &a), PKT_OK);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_OPEN && tally_on(&B)->state == CREDIT_TALLY_OPEN);
    /* Sent again (say it timed out), an accept changes nothing and passes. */
    CHECK_EQ_U64(trip(&B, FOIL, &a), PKT_OK);
    /* Close by the foil: both copies close (balance 0). */
    credit_xmsg c = {.kind = CREDIT_XMSG_CLOSE, .from = CREDIT_FOIL, .id = tid};
    CHECK_EQ_U64(trip(&B, FOIL, &c), PKT_OK);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_CLOSED && tally_on(&B)->state == CREDIT_TALLY_CLOSED);
    fed_free();
}

static void test_counter_refuse_trade(void) {
    fed_init();
    credit_xmsg o = offer_msg(FOIL, 1);
    CHECK_EQ_U64(trip(&B, FOIL, &o), PKT_OK);
    credit_xmsg c = offer_msg(STOCK, 2);
    c.kind = CREDIT_XMSG_COUNTER;
    c.contract.stock_grants.limit = 7000;
    credit_contract_sign(&c.contract, &t_keys[STOCK], &c.sig);
    CHECK_EQ_U64(trip(&A, STOCK, &c), PKT_OK);
    CHECK(tally_on(&B)->contract.revision == 2 && tally_on(&B)->contract.stock_grants.limit == 7000);
    credit_xmsg r = {.kind = CREDIT_XMSG_REFUSE, .from = CREDIT_FOIL, .id = tid, .revision = 2};
    CHECK_EQ_U64(trip(&B, FOIL, &r), PKT_OK);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_VOID && tally_on(&B)->state == CREDIT_TALLY_VOID);
    /* A re-offer, accepted; then the foil re-signs its trading variables. */
    credit_xmsg o3 = offer_msg(FOIL, 3), a3 = accept_msg(STOCK, 3);
    CHECK_EQ_U64(trip(&B, FOIL, &o3), PKT_OK);
    CHECK_EQ_U64(trip(&A, STOCK, &a3), PKT_OK);
    credit_xmsg tr = {.kind = CREDIT_XMSG_TRADE, .from = CREDIT_FOIL};
    tr.trade = (credit_trade_signed){.tally_id = tid, .side = CREDIT_FOIL, .seq = 1,
                                     .tv = {.target = 5, .bound = 10, .reward_ppm = 0, .clutch_ppm = 0}};
    credit_trade_sign(&tr.trade, &t_keys[FOIL]);
    CHECK_EQ_U64(trip(&B, FOIL, &tr), PKT_OK);
    CHECK(tally_on(&A)->trade[CREDIT_FOIL].seq == 1 && tally_on(&B)->trade[CREDIT_FOIL].seq == 1);
    fed_free();
}

static void test_refusals(void) {
    fed_init();
    char why[LEDGER_WHY_MAX] = "";
    credit_xmsg o = offer_msg(STOCK, 1);
    /* Sent by someone else, or from the wrong chain: the sending chain refuses. */
    CHECK_ERR(send_msg(&A, STRANGER, &o, NULL, why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "sent by that party only") != NULL);
    CHECK_ERR(send_msg(&B, FOIL, &o, NULL, why), HANSA_ERR_INVALID);
    o.from = CREDIT_FOIL;
    credit_contract_sign(&o.contract, &t_keys[FOIL], &o.sig);
    CHECK_ERR(send_msg(&A, FOIL, &o, NULL, why), HANSA_ERR_WRONG_CHAIN);
    /* The receiving chain refuses what its copy refuses, and the sender's
     * copy hears it: a tally id taken on B by another offer voids A's. */
    credit_xmsg theirs = offer_msg(FOIL, 1);
    sent p;
    CHECK_ERR(send_msg(&B, FOIL, &theirs, &p, why), HANSA_OK);
    o = offer_msg(STOCK, 1);
    CHECK_EQ_U64(trip(&A, STOCK, &o), PKT_REFUSED_TALLY);
    CHECK(tally_on(&A)->state == CREDIT_TALLY_VOID);
    CHECK(tally_on(&B)->state == CREDIT_TALLY_OFFERED && tally_on(&B)->offered_by == CREDIT_FOIL);
    /* B's offer arrives at A, over its void copy: a re-offer needs a higher
     * revision, so A refuses it and B's copy is voided too. */
    CHECK_EQ_U64(relay(&p, true), PKT_REFUSED_TALLY);
    hbuf_free(&p.tx);
    CHECK(tally_on(&B)->state == CREDIT_TALLY_VOID);
    /* The accept of a revision nobody offered, refused where it is sent. */
    credit_xmsg a = accept_msg(FOIL, 1);
    CHECK_ERR(send_msg(&B, FOIL, &a, NULL, why), HANSA_ERR_STATE);
    /* A chain message that is not true of the sending half never leaves. */
    credit_xmsg o2 = offer_msg(STOCK, 2), a2 = accept_msg(FOIL, 2);
    CHECK_EQ_U64(trip(&A, STOCK, &o2), PKT_OK);
    CHECK_EQ_U64(trip(&B, FOIL, &a2), PKT_OK);
    credit_chit c = make_chit(CREDIT_FOIL, 300, NULL);
    CHECK_ERR(pay(&c, why), HANSA_OK);
    credit_xmsg lie = {.kind = CREDIT_XMSG_CHAIN, .from = CREDIT_FOIL};
    lie.msg = (credit_msg){.kind = CREDIT_MSG_UPD, .tally_id = tid, .from = CREDIT_FOIL, .idx = 0, .n_chits = 1};
    credit_chain_genesis(&tid, &lie.msg.hash);
    lie.msg.chits[0] = make_chit(CREDIT_FOIL, 900, NULL); /* signed, but not on B's chain */
    CHECK_ERR(send_msg(&B, RELAYER, &lie, NULL, why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "not this half's order") != NULL);
    lie.msg.chits[0] = c;
    CHECK_ERR(send_msg(&A, RELAYER, &lie, NULL, why), HANSA_ERR_WRONG_CHAIN);
    CHECK_EQ_U64(trip(&B, RELAYER, &lie), PKT_OK); /* the truth leaves, from anyone */
    /* The foil's own chits are issued on its chain only. */
    credit_chit d = make_chit(CREDIT_STOCK, 5, NULL);
    hbuf body = HBUF_INIT;
    credit_chit_encode(&body, &d);
    CHECK_ERR(submit(&B, STOCK, TX_CHIT, body.data, (uint32_t)body.len, NULL, why), HANSA_ERR_WRONG_CHAIN);
    hbuf_free(&body);
    /* Over the credit the foil was granted: refused on B. */
    credit_chit big = make_chit(CREDIT_FOIL, 100000, NULL);
    CHECK_ERR(pay(&big, why), HANSA_ERR_FUNDS);
    fed_free();
}

static void test_chits_both_ways_and_invoice(void) {
    fed_init();
    open_tally();
    char why[LEDGER_WHY_MAX] = "";
    /* The foil (on B) invoices the stock (on A), which pays it. */
    credit_xmsg inv = {.kind = CREDIT_XMSG_INVOICE, .from = CREDIT_FOIL};
    inv.invoice = (credit_invoice){.invoice_id = {{0x99}}, .tally_id = tid, .payee = CREDIT_FOIL, .amount = 1200};
    CHECK_EQ_U64(trip(&B, FOIL, &inv), PKT_OK);
    credit_invoice got;
    CHECK(ledger_invoice_get(A.s, &inv.invoice.invoice_id, &got) && got.state == CREDIT_INV_PENDING);
    credit_chit c1 = make_chit(CREDIT_FOIL, 5000, NULL), c2 = make_chit(CREDIT_STOCK, 700, NULL);
    credit_chit c3 = make_chit(CREDIT_STOCK, 1200, &inv.invoice.invoice_id);
    CHECK_ERR(pay(&c1, why), HANSA_OK);
    CHECK_ERR(pay(&c2, why), HANSA_OK);
    CHECK_ERR(pay(&c3, why), HANSA_OK);
    /* The same invoice again, while the first payment waits: refused. */
    credit_chit c4 = make_chit(CREDIT_STOCK, 1200, &inv.invoice.invoice_id);
    CHECK_ERR(pay(&c4, why), HANSA_ERR_DUPLICATE);
    CHECK(tally_on(&A)->half[CREDIT_STOCK].n_tail == 2);
    CHECK(tally_on(&B)->half[CREDIT_FOIL].n == 1 && tally_on(&B)->balance == 5000);
    int rounds = 0;
    while (!settled() && rounds < 6) {
        sync_round();
        rounds++;
    }
    CHECK(settled());
    CHECK(rounds <= 3);
    CHECK(same_chains());
    CHECK_EQ_U64(tally_on(&A)->balance, 5000 - 700 - 1200);
    CHECK(ledger_invoice_get(A.s, &inv.invoice.invoice_id, &got) && got.state == CREDIT_INV_PAID);
    CHECK(ledger_invoice_get(B.s, &inv.invoice.invoice_id, &got) && got.state == CREDIT_INV_PAID);
    CHECK_EQ_U64(sync_round(), 0); /* settled: nothing left to say */
    fed_free();
}

/* The checker catches a cross-chain copy whose chain disagrees with its
 * balance, and a half that holds the other chain's chits. */
static void test_checker_catches(void) {
    fed_init();
    open_tally();
    char why[LEDGER_WHY_MAX] = "";
    credit_chit c1 = make_chit(CREDIT_FOIL, 5000, NULL);
    CHECK_ERR(pay(&c1, why), HANSA_OK);
    credit_tally *t = tally_on(&B);
    t->balance += 1;
    hbuf v = HBUF_INIT;
    credit_tally_encode(&v, t);
    uint8_t key[1 + CREDIT_ID_BYTES] = {LEDGER_KEY_TALLY};
    memcpy(key + 1, tid.b, CREDIT_ID_BYTES);
    kvmap_put(&B.s->tabs[LEDGER_TAB_CREDIT], key, sizeof key, v.data, v.len);
    CHECK_ERR(ledger_credit_check(B.s, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "do not sum to the balance") != NULL);
    t->balance -= 1;
    t->half[CREDIT_STOCK].n_tail = 1;
    t->half[CREDIT_STOCK].tail[0] = make_chit(CREDIT_STOCK, 1, NULL);
    hbuf_reset(&v);
    credit_tally_encode(&v, t);
    kvmap_put(&B.s->tabs[LEDGER_TAB_CREDIT], key, sizeof key, v.data, v.len);
    CHECK_ERR(ledger_credit_check(B.s, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "other chain's party") != NULL);
    hbuf_free(&v);
    fed_free();
}

/* ---- the convergence property ------------------------------------------------------- */

#define QUEUE_MAX 256

static uint64_t stat_chits, stat_lost, stat_dup, stat_crash; /* over all runs, printed */

typedef struct {
    sent q[QUEUE_MAX];
    size_t n;
} relayer;

static void queue_drop(relayer *r, size_t i) {
    hbuf_free(&r->q[i].tx);
    r->q[i] = r->q[--r->n];
}

/* One run: both holders pay chits while a relayer loses, duplicates and
 * reorders packets and crashes (its queue lost); then the network heals
 * and sync rounds run until settled. Returns true when the chains ended
 * identical with every chit once, within the round bound. */
static bool property_run(uint64_t seed, int *rounds_out) {
    fed_init();
    open_tally();
    hansa_prng rng;
    prng_seed(&rng, seed);
    relayer *r = calloc(1, sizeof *r);
    credit_xmsg *box = calloc(XTALLY_OUTBOX_MAX, sizeof *box);
    credit_id issued[64];
    size_t n_issued = 0;
    char why[LEDGER_WHY_MAX] = "";
    for (int step = 0; step < 80; step++) {
        uint64_t what = prng_below(&rng, 10);
        if (what < 3 && n_issued < 64) {
            credit_side by = prng_below(&rng, 2) ? CREDIT_STOCK : CREDIT_FOIL;
            credit_chit c = make_chit(by, 1 + prng_below(&rng, 900), NULL);
            if (pay(&c, why) == HANSA_OK) issued[n_issued++] = c.chit_id;
        } else if (what < 6) { /* a sync: what one chain has to say enters the network */
            tchain *c = prng_below(&rng, 2) ? &A : &B;
            size_t n = outbox(c, box);
            for (size_t i = 0; i < n && r->n < QUEUE_MAX; i++)
                if (send_msg(c, RELAYER, &box[i], &r->q[r->n], why) == HANSA_OK) r->n++;
        } else if (what < 9 && r->n > 0) { /* relay one packet, any of them */
            size_t i = prng_below(&rng, r->n);
            uint64_t fate = prng_below(&rng, 10);
            if (fate < 3) { /* lost */
                stat_lost++;
                queue_drop(r, i);
            } else {
                relay(&r->q[i], prng_below(&rng, 2));
                if (fate < 5 && r->n < QUEUE_MAX) { /* duplicated: the same message sent again */
                    stat_dup++;
                    credit_xmsg m;
                    pkt_send s;
                    wire_tx tx;
                    HANSA_ASSERT(wire_tx_decode(r->q[i].tx.data, r->q[i].tx.len, &tx, NULL) == HANSA_OK);
                    HANSA_ASSERT(pkt_send_decode(tx.body, tx.body_len, &s, NULL) == HANSA_OK);
                    HANSA_ASSERT(credit_xmsg_decode(s.payload, s.payload_len, &m, NULL) == HANSA_OK);
                    if (send_msg(r->q[i].src, RELAYER, &m, &r->q[r->n], why) == HANSA_OK) r->n++;
                }
                queue_drop(r, i);
            }
        } else if (what == 9 && r->n > 0) { /* the relayer crashes: everything it held is lost */
            stat_crash++;
            while (r->n > 0) queue_drop(r, 0);
        }
    }
    while (r->n > 0) queue_drop(r, 0);
    int rounds = 0;
    while (!settled() && rounds < 12) {
        sync_round();
        rounds++;
    }
    *rounds_out = rounds;
    stat_chits += n_issued;
    bool ok = settled() && same_chains() && checked();
    /* Every issued chit is on both chains, once. */
    for (size_t i = 0; i < n_issued && ok; i++)
        ok = ledger_chit_index(A.s, &tid, &issued[i]) != 0 && ledger_chit_index(B.s, &tid, &issued[i]) != 0;
    ok = ok && tally_on(&A)->half[CREDIT_STOCK].n == n_issued;
    free(box);
    free(r);
    fed_free();
    return ok && rounds <= 3;
}

static uint64_t base_seed(void) {
    const char *e = getenv("HANSA_SEED");
    return e ? strtoull(e, NULL, 0) : 0x7a11e2e4ull;
}

static void test_property_converges(void) {
    uint64_t seed = base_seed();
    printf("  seed %#" PRIx64 " (HANSA_SEED replays)\n", seed);
    int worst = 0, failed = 0;
    for (int run = 0; run < 12; run++) {
        int rounds = 0;
        if (!property_run(seed + (uint64_t)run, &rounds)) {
            fprintf(stderr, "  run with seed %#" PRIx64 " did not converge (%d rounds)\n",
                    seed + (uint64_t)run, rounds);
            failed++;
        }
        if (rounds > worst) worst = rounds;
    }
    printf("  12 runs, %" PRIu64 " chits, %" PRIu64 " packets lost, %" PRIu64 " duplicated, %" PRIu64
           " relayer crashes: converged within %d sync rounds after healing\n",
           stat_chits, stat_lost, stat_dup, stat_crash, worst);
    CHECK_EQ_U64(failed, 0);
}

static void test_property_catches_broken_ordering(void) {
    credit_chain_test_mutant(CREDIT_MUTANT_STOCK_ORDERS);
    broken = true;
    uint64_t seed = base_seed();
    int caught = 0;
    for (int run = 0; run < 12; run++) {
        int rounds = 0;
        if (!property_run(seed + (uint64_t)run, &rounds)) caught++;
    }
    credit_chain_test_mutant(CREDIT_MUTANT_NONE);
    broken = false;
    printf("  broken ordering rule: %d of 12 runs fail the property\n", caught);
    CHECK(caught > 0);
}

int main(void) {
    crypto_init();
    t_init_keys();
    RUN(test_offer_accept_across);
    RUN(test_counter_refuse_trade);
    RUN(test_refusals);
    RUN(test_chits_both_ways_and_invoice);
    RUN(test_checker_catches);
    RUN(test_property_converges);
    RUN(test_property_catches_broken_ordering);
    return check_summary();
}
