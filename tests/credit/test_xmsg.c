/* test_xmsg.c — the cross-chain tally message codec (credit/xmsg.h): every
 * kind round-trips with real signed objects, and every malformed form is
 * refused with the field named, never half-decoded. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "credit/xmsg.h"
#include "crypto/sign.h"

static hansa_keypair kp[3];
static credit_contract contract;

static void setup(void) {
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        uint8_t seed[32] = {(uint8_t)(0x40 + s)};
        keypair_from_seed(&kp[s], seed);
    }
    memset(&contract, 0, sizeof contract);
    memset(contract.tally_id.b, 0x7a, CREDIT_ID_BYTES);
    contract.stock.chain_id = 0xe2e4;
    contract.stock.key = kp[CREDIT_STOCK].pub;
    contract.foil.chain_id = 0x7a11;
    contract.foil.key = kp[CREDIT_FOIL].pub;
    contract.stock_grants.limit = 100000;
    contract.foil_grants.limit = 5000;
    contract.revision = 1;
}

static credit_chit chit(credit_side by, uint8_t n) {
    credit_chit c;
    memset(&c, 0, sizeof c);
    c.tally_id = contract.tally_id;
    c.chit_id.b[0] = n;
    c.by = (uint8_t)by;
    c.kind = CREDIT_CHIT_DIRECT;
    c.amount = 250;
    c.memo_len = 4;
    memcpy(c.memo, "beer", 4);
    credit_chit_sign(&c, &kp[by]);
    return c;
}

/* One message of each kind, from a party that may send it. */
static int samples(credit_xmsg *out) {
    int n = 0;
    credit_xmsg *m;
    for (uint8_t k = CREDIT_XMSG_OFFER; k <= CREDIT_XMSG_CHAIN; k++) {
        m = &out[n++];
        memset(m, 0, sizeof *m);
        m->kind = k;
        m->from = CREDIT_FOIL;
        switch ((credit_xmsg_kind)k) {
        case CREDIT_XMSG_OFFER:
        case CREDIT_XMSG_COUNTER:
            m->contract = contract;
            m->contract.revision = k == CREDIT_XMSG_OFFER ? 1 : 2;
            credit_contract_sign(&m->contract, &kp[CREDIT_FOIL], &m->sig);
            break;
        case CREDIT_XMSG_ACCEPT:
            m->id = contract.tally_id;
            m->revision = 1;
            credit_contract_sign(&contract, &kp[CREDIT_FOIL], &m->sig);
            break;
        case CREDIT_XMSG_REFUSE:
            m->id = contract.tally_id;
            m->revision = 3;
            break;
        case CREDIT_XMSG_CLOSE: m->id = contract.tally_id; break;
        case CREDIT_XMSG_TRADE:
            m->trade.tally_id = contract.tally_id;
            m->trade.side = CREDIT_FOIL;
            m->trade.seq = 1;
            m->trade.tv = (credit_trade){.target = 10, .bound = 20, .reward_ppm = 1000, .clutch_ppm = 0};
            credit_trade_sign(&m->trade, &kp[CREDIT_FOIL]);
            break;
        case CREDIT_XMSG_INVOICE:
            m->invoice.invoice_id.b[0] = 9;
            m->invoice.tally_id = contract.tally_id;
            m->invoice.payee = CREDIT_FOIL;
            m->invoice.amount = 700;
            m->invoice.n_items = 1;
            m->invoice.items[0].len = 5;
            memcpy(m->invoice.items[0].text, "lunch", 5);
            m->invoice.items[0].amount = 700;
            break;
        case CREDIT_XMSG_INV_REFUSE:
            m->id = contract.tally_id;
            m->invoice_id.b[0] = 9;
            break;
        case CREDIT_XMSG_CHAIN:
            m->msg.kind = CREDIT_MSG_UPD;
            m->msg.tally_id = contract.tally_id;
            m->msg.from = CREDIT_FOIL;
            m->msg.idx = 0;
            credit_chain_genesis(&contract.tally_id, &m->msg.hash);
            m->msg.n_chits = 2;
            m->msg.chits[0] = chit(CREDIT_FOIL, 1);
            m->msg.chits[1] = chit(CREDIT_FOIL, 2);
            break;
        }
    }
    return n;
}

static credit_xmsg *alloc_msgs(size_t n) { return calloc(n, sizeof(credit_xmsg)); }

static void test_round_trip_every_kind(void) {
    credit_xmsg *m = alloc_msgs(16), *back = alloc_msgs(1);
    int n = samples(m);
    CHECK_EQ_U64(n, 9);
    for (int i = 0; i < n; i++) {
        hbuf b = HBUF_INIT;
        credit_xmsg_encode(&b, &m[i]);
        wire_rd r;
        CHECK_ERR(credit_xmsg_decode(b.data, b.len, back, &r), HANSA_OK);
        CHECK(back->kind == m[i].kind && back->from == m[i].from);
        CHECK(credit_id_eq(credit_xmsg_tally(back), &contract.tally_id));
        hbuf again = HBUF_INIT;
        credit_xmsg_encode(&again, back);
        CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
        /* The payload of one packet: every sample fits. */
        CHECK(b.len <= 1024);
        CHECK(strcmp(credit_xmsg_kind_name(m[i].kind), "?") != 0);
        hbuf_free(&again);
        hbuf_free(&b);
    }
    /* What proves each message still proves it after the trip. */
    hbuf b = HBUF_INIT;
    credit_xmsg_encode(&b, &m[CREDIT_XMSG_CHAIN - 1]);
    CHECK_ERR(credit_xmsg_decode(b.data, b.len, back, NULL), HANSA_OK);
    CHECK(credit_chit_verify(&back->msg.chits[1], &kp[CREDIT_FOIL].pub));
    hbuf_free(&b);
    credit_xmsg_encode(&b, &m[CREDIT_XMSG_OFFER - 1]);
    CHECK_ERR(credit_xmsg_decode(b.data, b.len, back, NULL), HANSA_OK);
    CHECK(credit_contract_verify(&back->contract, &kp[CREDIT_FOIL].pub, &back->sig));
    CHECK(!credit_contract_verify(&back->contract, &kp[CREDIT_STOCK].pub, &back->sig));
    hbuf_free(&b);
    free(m);
    free(back);
}

static bool all_zero(const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

/* Encodes m, lets edit change the bytes, and expects err at field. */
static void expect_refused(const credit_xmsg *m, void (*edit)(hbuf *), hansa_err err, const char *field) {
    hbuf b = HBUF_INIT;
    credit_xmsg_encode(&b, m);
    if (edit) edit(&b);
    credit_xmsg *back = alloc_msgs(1);
    memset(back, 0xa5, sizeof *back);
    wire_rd r;
    CHECK_ERR(credit_xmsg_decode(b.data, b.len, back, &r), err);
    CHECK(r.err_field != NULL && strcmp(r.err_field, field) == 0);
    if (r.err_field && strcmp(r.err_field, field) != 0) fprintf(stderr, "  field was %s\n", r.err_field);
    CHECK(all_zero(back, sizeof *back));
    free(back);
    hbuf_free(&b);
}

static void bump_version(hbuf *b) { b->data[0]++; }
static void kind_zero(hbuf *b) { b->data[1] = 0; }
static void kind_big(hbuf *b) { b->data[1] = 10; }
static void from_three(hbuf *b) { b->data[2] = 3; }
static void trailing(hbuf *b) { hbuf_put_u8(b, 0); }
static void to_stock(hbuf *b) { b->data[2] = CREDIT_STOCK; }

static void test_rejections(void) {
    credit_xmsg *m = alloc_msgs(16);
    samples(m);
    credit_xmsg *accept = &m[CREDIT_XMSG_ACCEPT - 1], *refuse = &m[CREDIT_XMSG_REFUSE - 1];
    expect_refused(accept, bump_version, HANSA_ERR_VERSION, "version");
    expect_refused(accept, kind_zero, HANSA_ERR_INVALID, "kind");
    expect_refused(accept, kind_big, HANSA_ERR_INVALID, "kind");
    expect_refused(accept, from_three, HANSA_ERR_INVALID, "from");
    expect_refused(accept, trailing, HANSA_ERR_TRAILING, "end");
    /* A trade, invoice or chain message signed for the other side. */
    expect_refused(&m[CREDIT_XMSG_TRADE - 1], to_stock, HANSA_ERR_INVALID, "trade side");
    expect_refused(&m[CREDIT_XMSG_INVOICE - 1], to_stock, HANSA_ERR_INVALID, "payee");
    expect_refused(&m[CREDIT_XMSG_CHAIN - 1], to_stock, HANSA_ERR_INVALID, "chain message side");
    /* Zero ids and revision 0. */
    credit_xmsg z = *refuse;
    z.revision = 0;
    expect_refused(&z, NULL, HANSA_ERR_INVALID, "revision");
    memset(&z.id, 0, sizeof z.id);
    expect_refused(&z, NULL, HANSA_ERR_INVALID, "tally_id");
    credit_xmsg *ir = &m[CREDIT_XMSG_INV_REFUSE - 1];
    memset(&ir->invoice_id, 0, sizeof ir->invoice_id);
    expect_refused(ir, NULL, HANSA_ERR_INVALID, "invoice_id");
    /* A nested body's error is reported at its place in the payload. */
    credit_xmsg *ch = &m[CREDIT_XMSG_CHAIN - 1];
    hbuf b = HBUF_INIT;
    credit_xmsg_encode(&b, ch);
    b.data[3 + 1] = 9; /* the chain message's kind */
    credit_xmsg *back = alloc_msgs(1);
    wire_rd r;
    CHECK_ERR(credit_xmsg_decode(b.data, b.len, back, &r), HANSA_ERR_INVALID);
    CHECK(r.err_field != NULL && strcmp(r.err_field, "kind") == 0);
    CHECK(r.err_off > 3);
    hbuf_free(&b);
    /* Every truncation of every kind is refused. */
    for (int i = 0; i < 9; i++) {
        credit_xmsg_encode(&b, &m[i == CREDIT_XMSG_INV_REFUSE - 1 ? 0 : i]);
        for (size_t cut = 0; cut < b.len; cut++) CHECK(credit_xmsg_decode(b.data, cut, back, NULL) != HANSA_OK);
        hbuf_free(&b);
    }
    free(back);
    free(m);
}

int main(void) {
    crypto_init();
    setup();
    RUN(test_round_trip_every_kind);
    RUN(test_rejections);
    return check_summary();
}
