/* test_ledger_xlift.c — lifts across chains with a referee chain
 * (ledger/xlift.h, credit/xlift.h) over three in-process chains: A and B
 * hold one segment each, C is the referee. X, Y and Z are keys with
 * accounts on every chain. Around the circle: on A, X pays Z and Z pays Y;
 * on B, Y pays X. The promises travel to C as packets proven by C's light
 * clients, C rules, and its ruling travels back the same way; A and B
 * finalize or void on that proof alone. Shown: a committed circular lift
 * clears the cycle and moves nobody's total; a lift whose second promise
 * never comes is ruled EXPIRED once asked after the expiry (not before) and
 * the pending legs are voided; a chain that never heard the ruling resolves
 * by asking again; a repeated ruling changes nothing; refusals (wrong
 * signer, over capacity, a chit or a close that would leave pending legs no
 * room); the codec's round trip and rejections; and the credit checker
 * catching a tampered pending record. Conservation across the chains, the
 * supply equation and the credit checker run after every block. */
#include <stdlib.h>

#include "check.h"
#include "credit/xlift.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "interchain/codec.h"
#include "interchain/packet.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/xfer.h"
#include "ledger/xlift.h"
#include "client_helpers.h"
#include "ledger_helpers.h"

#define N_CHAINS 3
#define BLOCK_TXS_MAX 8
#define FEE 10
#define X 0
#define Y 1
#define Z 2
#define RELAYER 9
#define A 0 /* chain indexes */
#define B 1
#define C 2

typedef struct {
    ledger_state *s;
    uint32_t id;
    hbuf enc[BLOCK_TXS_MAX]; /* the last block's encoded txs, for proofs */
    size_t n;
    uint64_t nonce[T_KEYS];
} tchain;

static tchain fed[N_CHAINS];
static const uint32_t ids[N_CHAINS] = {0xa, 0xb, 0xc};
static credit_id t_xz = {{0x21, 0x01}}, t_zy = {{0x21, 0x02}}, t_yx = {{0x21, 0x03}};

/* Writes chain `of`'s header at height into x's client of it (standing in
 * for client updates, as in test_ledger_xfer.c). */

static bool all_ok(void) {
    const ledger_state *st[N_CHAINS];
    char why[LEDGER_WHY_MAX] = "";
    for (int c = 0; c < N_CHAINS; c++) {
        st[c] = fed[c].s;
        if (ledger_credit_check(fed[c].s, why, sizeof why) != HANSA_OK || !t_supply_ok(fed[c].s)) {
            fprintf(stderr, "  chain %d: %s\n", c, why);
            return false;
        }
    }
    hansa_err err = xfer_conservation_check(st, N_CHAINS, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  %s\n", why);
    return err == HANSA_OK;
}

/* Applies one block of txs on chain c, dt_ms after its last (all or
 * nothing); the other chains learn its header. Checks run after it. */
static hansa_err block_at(tchain *c, const wire_tx *txs, size_t n, uint64_t dt_ms, char *why) {
    ledger_block_info info = t_info(c->s, 60);
    info.time_ms = ledger_last_block_time_ms(c->s) + dt_ms;
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(c->s, &info, &b, why, LEDGER_WHY_MAX), HANSA_OK);
    hansa_hash leaves[BLOCK_TXS_MAX], root;
    for (size_t i = 0; i < n; i++) {
        hansa_err err = ledger_block_add_tx(b, &txs[i], false, why, LEDGER_WHY_MAX);
        if (err != HANSA_OK) {
            ledger_block_free(b);
            return err;
        }
    }
    for (size_t i = 0; i < n; i++) {
        hbuf_reset(&c->enc[i]);
        wire_tx_encode(&c->enc[i], &txs[i]);
        merkle_leaf_hash(c->enc[i].data, c->enc[i].len, &leaves[i]);
    }
    c->n = n;
    merkle_root(leaves, n, &root);
    ledger_block_finish(b);
    ledger_block_commit(c->s, b);
    for (int d = 0; d < N_CHAINS; d++)
        if (&fed[d] != c) t_client_learn(fed[d].s, c->id, info.height, &root, info.time_ms);
    CHECK(all_ok());
    return HANSA_OK;
}

/* One tx of key `from` on chain c; why gets a refusal's reason. */
static hansa_err submit(tchain *c, int from, uint16_t kind, const uint8_t *body, size_t len, char *why) {
    wire_tx tx = t_tx_raw(from, c->id, c->nonce[from]++, FEE, kind, body, (uint32_t)len);
    hansa_err err = block_at(c, &tx, 1, 1000, why);
    if (err != HANSA_OK) c->nonce[from]--;
    return err;
}

static hansa_err submit_ok(tchain *c, int from, uint16_t kind, const hbuf *body) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = submit(c, from, kind, body->data, body->len, why);
    if (err != HANSA_OK) fprintf(stderr, "  (refused: %s: %s)\n", hansa_errname(err), why);
    return err;
}

static void fed_init(void) {
    for (int c = 0; c < N_CHAINS; c++) {
        for (size_t i = 0; i < BLOCK_TXS_MAX; i++) hbuf_free(&fed[c].enc[i]);
        if (fed[c].s) ledger_state_free(fed[c].s);
    }
    uint64_t bal[10];
    for (int i = 0; i < 10; i++) bal[i] = 1000000;
    for (int c = 0; c < N_CHAINS; c++) {
        ledger_params p = t_params();
        p.chain_id = ids[c];
        fed[c] = (tchain){.s = t_state(&p, bal, 10, t_hash_key_a), .id = ids[c]};
    }
    hansa_hash zero = {{0}};
    for (int c = 0; c < N_CHAINS; c++)
        for (int d = 0; d < N_CHAINS; d++)
            if (c != d) t_client_learn(fed[c].s, fed[d].id, 0, &zero, 1);
}

/* Opens tally id on chain c between stock and foil (each granting 1000);
 * the foil then owes the stock `owed`. */
static void open_owing(tchain *c, const credit_id *id, int stock, int foil, uint64_t owed) {
    credit_contract k;
    memset(&k, 0, sizeof k);
    k.tally_id = *id;
    k.stock = (credit_party){c->id, t_keys[stock].pub};
    k.foil = (credit_party){c->id, t_keys[foil].pub};
    k.stock_grants = (credit_terms){1000, 30};
    k.foil_grants = (credit_terms){1000, 30};
    k.revision = 1;
    hansa_sig sig;
    hbuf b = HBUF_INIT;
    credit_contract_sign(&k, &t_keys[stock], &sig);
    credit_contract_encode(&b, &k);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    CHECK_ERR(submit_ok(c, stock, TX_TALLY_OFFER, &b), HANSA_OK);
    hbuf_reset(&b);
    credit_contract_sign(&k, &t_keys[foil], &sig);
    hbuf_append(&b, id->b, CREDIT_ID_BYTES);
    hbuf_put_u32(&b, 1);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    CHECK_ERR(submit_ok(c, foil, TX_TALLY_ACCEPT, &b), HANSA_OK);
    hbuf_reset(&b);
    credit_chit ch;
    memset(&ch, 0, sizeof ch);
    ch.tally_id = *id;
    ch.chit_id.b[0] = 0xf0;
    ch.by = CREDIT_FOIL;
    ch.kind = CREDIT_CHIT_DIRECT;
    ch.amount = owed;
    credit_chit_sign(&ch, &t_keys[foil]);
    credit_chit_encode(&b, &ch);
    CHECK_ERR(submit_ok(c, foil, TX_CHIT, &b), HANSA_OK);
    hbuf_free(&b);
}

/* Z owes X and Y owes Z on A; X owes Y on B: 100 each. */
static void fresh(void) {
    fed_init();
    open_owing(&fed[A], &t_xz, X, Z, 100);
    open_owing(&fed[A], &t_zy, Z, Y, 100);
    open_owing(&fed[B], &t_yx, Y, X, 100);
}

static int64_t balance(int c, const credit_id *id) {
    credit_tally *t = malloc(sizeof *t);
    CHECK(ledger_tally_get(fed[c].s, id, t));
    int64_t b = t->balance;
    free(t);
    return b;
}

/* A key's net over the three tallies (the stock holds +balance). */
static int64_t net_of(int key) {
    static const struct { int chain; const credit_id *id; int stock, foil; } ts[] = {
        {A, &t_xz, X, Z}, {A, &t_zy, Z, Y}, {B, &t_yx, Y, X}};
    int64_t n = 0;
    for (int i = 0; i < 3; i++)
        n += ts[i].stock == key ? balance(ts[i].chain, ts[i].id) : ts[i].foil == key ? -balance(ts[i].chain, ts[i].id) : 0;
    return n;
}

/* The circle X -> Z -> Y on A, Y -> X on B, referee C. */
static credit_xlift circle(uint8_t id, uint64_t amount, uint64_t life_ms) {
    credit_xlift x;
    memset(&x, 0, sizeof x);
    x.n_segs = 2;
    for (int j = 0; j < 2; j++) {
        credit_lift *l = &x.seg[j];
        l->lift_id.b[0] = 0x2f;
        l->lift_id.b[1] = id;
        l->kind = CREDIT_LIFT_LINEAR;
        l->amount = amount;
        l->expiry_ms = ledger_last_block_time_ms(fed[C].s) + life_ms;
        l->referee_chain = ids[C];
    }
    credit_lift *a = &x.seg[0], *b = &x.seg[1];
    a->n_hops = 2;
    a->tallies[0] = t_xz, a->tallies[1] = t_zy;
    a->parties[0] = (credit_party){ids[A], t_keys[X].pub};
    a->parties[1] = (credit_party){ids[A], t_keys[Z].pub};
    a->parties[2] = (credit_party){ids[A], t_keys[Y].pub};
    b->n_hops = 1;
    b->tallies[0] = t_yx;
    b->parties[0] = (credit_party){ids[B], t_keys[Y].pub};
    b->parties[1] = (credit_party){ids[B], t_keys[X].pub};
    return x;
}

/* A lift packet (promise of segment `tail`, or a ruling) to dest. */
static void lift_send(hbuf *out, const credit_xlift *x, uint8_t type, uint8_t tail, uint32_t dest,
                      uint64_t timeout_ms) {
    hbuf pay = HBUF_INIT;
    credit_xlift_payload_encode(&pay, x, tail);
    pkt_send s = {dest, timeout_ms, type, (uint16_t)pay.len, pay.data};
    hbuf_reset(out);
    pkt_send_encode(out, &s);
    hbuf_free(&pay);
}

static hansa_err promise(int chain, int from, const credit_xlift *x, uint8_t seg, char *why) {
    hbuf body = HBUF_INIT;
    lift_send(&body, x, PKT_TYPE_LIFT_PROMISE, seg, ids[C], x->seg[0].expiry_ms);
    hansa_err err = submit(&fed[chain], from, TX_PACKET_SEND, body.data, body.len, why);
    hbuf_free(&body);
    return err;
}

static hansa_err ruling(int dest, const credit_xlift *x, uint8_t outcome, char *why) {
    hbuf body = HBUF_INIT;
    lift_send(&body, x, PKT_TYPE_LIFT_RULING, outcome, ids[dest], 1ull << 40);
    hansa_err err = submit(&fed[C], RELAYER, TX_PACKET_SEND, body.data, body.len, why);
    hbuf_free(&body);
    return err;
}

/* Relays the packet in src's last block to dst and the ack back; returns
 * the outcome dst gave it. */
static uint8_t relay(int src, int dst) {
    tchain *s = &fed[src], *d = &fed[dst];
    hansa_hash leaves[BLOCK_TXS_MAX];
    for (size_t k = 0; k < s->n; k++) merkle_leaf_hash(s->enc[k].data, s->enc[k].len, &leaves[k]);
    pkt_recv v = {.src_chain = s->id,
                  .proof = {.height = ledger_height(s->s), .index = 0, .count = (uint32_t)s->n,
                            .tx_len = (uint32_t)s->enc[0].len, .tx = s->enc[0].data}};
    v.proof.path_len = (uint8_t)merkle_proof(leaves, s->n, 0, v.proof.path);
    v.outcome = ledger_xfer_outcome(d->s, s->id, s->enc[0].data, s->enc[0].len,
                                    ledger_last_block_time_ms(d->s) + 1000);
    hbuf body = HBUF_INIT;
    pkt_recv_encode(&body, &v);
    CHECK_ERR(submit_ok(d, RELAYER, TX_PACKET_RECV, &body), HANSA_OK);
    for (size_t k = 0; k < d->n; k++) merkle_leaf_hash(d->enc[k].data, d->enc[k].len, &leaves[k]);
    pkt_ack a = {.dest_chain = d->id,
                 .proof = {.height = ledger_height(d->s), .index = 0, .count = (uint32_t)d->n,
                           .tx_len = (uint32_t)d->enc[0].len, .tx = d->enc[0].data}};
    a.proof.path_len = (uint8_t)merkle_proof(leaves, d->n, 0, a.proof.path);
    hbuf_reset(&body);
    pkt_ack_encode(&body, &a);
    CHECK_ERR(submit_ok(s, RELAYER, TX_PACKET_ACK, &body), HANSA_OK);
    hbuf_free(&body);
    return v.outcome;
}

static uint8_t seg_state(int chain, const credit_xlift *x) {
    xlift_seg_rec *s = malloc(sizeof *s);
    uint8_t st = ledger_xlift_seg_get(fed[chain].s, &x->seg[0].lift_id, s) ? s->state : 0;
    free(s);
    return st;
}

static uint8_t ref_ruling(const credit_xlift *x) {
    hansa_hash h;
    credit_xlift_hash(x, &h);
    xlift_ref_rec f;
    return ledger_xlift_ref_get(fed[C].s, &h, &f) ? f.ruling : 0xff;
}

static void test_commit_clears_the_circle(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    int64_t nx = net_of(X), ny = net_of(Y), nz = net_of(Z);
    credit_xlift x = circle(1, 60, 60000);
    CHECK(credit_xlift_circular(&x));
    CHECK_ERR(promise(A, X, &x, 0, why), HANSA_OK);
    CHECK(relay(A, C) == PKT_OK);
    CHECK(ref_ruling(&x) == 0); /* one promise of two: no ruling */
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_COMMIT, why), HANSA_ERR_STATE);
    CHECK(strstr(why, "no ruling yet") != NULL);
    CHECK(balance(A, &t_xz) == 100 && seg_state(A, &x) == XLIFT_PENDING);
    CHECK_ERR(promise(B, Y, &x, 1, why), HANSA_OK);
    CHECK(relay(B, C) == PKT_OK);
    CHECK(ref_ruling(&x) == CREDIT_RULING_COMMIT);
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_EXPIRED, why), HANSA_ERR_INVALID); /* a lie is refused */
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_COMMIT, why), HANSA_OK);
    CHECK(relay(C, A) == PKT_OK);
    CHECK(seg_state(A, &x) == XLIFT_COMMITTED && balance(A, &t_xz) == 40 && balance(A, &t_zy) == 40);
    CHECK(seg_state(B, &x) == XLIFT_PENDING && balance(B, &t_yx) == 100);
    CHECK_ERR(promise(A, X, &x, 0, why), HANSA_ERR_DUPLICATE); /* once per lift id */
    /* B lost contact: whoever asks the referee later gets the same ruling. */
    for (int k = 0; k < 5; k++) CHECK_ERR(block_at(&fed[C], NULL, 0, 30000, why), HANSA_OK);
    CHECK_ERR(ruling(B, &x, CREDIT_RULING_COMMIT, why), HANSA_OK);
    CHECK(relay(C, B) == PKT_OK);
    CHECK(seg_state(B, &x) == XLIFT_COMMITTED && balance(B, &t_yx) == 40);
    CHECK(net_of(X) == nx && net_of(Y) == ny && net_of(Z) == nz);
    /* A repeated ruling changes nothing. */
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_COMMIT, why), HANSA_OK);
    CHECK(relay(C, A) == PKT_OK);
    CHECK(balance(A, &t_xz) == 40 && balance(A, &t_zy) == 40);
}

static void test_expiry_voids(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_xlift x = circle(2, 50, 5000);
    CHECK_ERR(promise(A, X, &x, 0, why), HANSA_OK);
    CHECK(relay(A, C) == PKT_OK);
    /* Pending legs hold capacity: a second lift of 60 has only 50 left. */
    credit_xlift y = circle(3, 60, 5000);
    CHECK_ERR(promise(A, X, &y, 0, why), HANSA_ERR_FUNDS);
    fprintf(stderr, "  (over capacity: %s)\n", why);
    /* B never promises. Before the expiry nobody may ask for EXPIRED. */
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_EXPIRED, why), HANSA_ERR_STATE);
    CHECK_ERR(block_at(&fed[C], NULL, 0, 10000, why), HANSA_OK);
    /* Past it, B's promise can no longer be sent (its timeout passed). */
    CHECK_ERR(promise(B, Y, &x, 1, why), HANSA_ERR_INVALID);
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_COMMIT, why), HANSA_ERR_INVALID);
    CHECK_ERR(ruling(A, &x, CREDIT_RULING_EXPIRED, why), HANSA_OK);
    CHECK(ref_ruling(&x) == CREDIT_RULING_EXPIRED);
    CHECK(relay(C, A) == PKT_OK);
    CHECK(seg_state(A, &x) == XLIFT_VOIDED && balance(A, &t_xz) == 100 && balance(A, &t_zy) == 100);
    /* The holds are freed: the capacity is back. */
    y = circle(4, 60, 60000);
    CHECK_ERR(promise(A, X, &y, 0, why), HANSA_OK);
}

static void test_refusals(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_xlift x = circle(5, 30, 60000);
    CHECK_ERR(promise(A, Z, &x, 0, why), HANSA_ERR_INVALID); /* not the first payer */
    CHECK_ERR(promise(A, Y, &x, 1, why), HANSA_ERR_WRONG_CHAIN); /* B's segment on A */
    credit_xlift big = circle(6, 101, 60000);
    CHECK_ERR(promise(A, X, &big, 0, why), HANSA_ERR_FUNDS); /* Z and Y owe only 100 */
    CHECK_ERR(promise(A, X, &x, 0, why), HANSA_OK);
    /* Pending: 30 toward Z on t_xz (balance 100 -> 70 when it books). Z may
     * still pay X, but not so far that the lift could not book. */
    hbuf b = HBUF_INIT;
    credit_chit ch;
    memset(&ch, 0, sizeof ch);
    ch.tally_id = t_xz;
    ch.chit_id.b[0] = 0xf1;
    ch.by = CREDIT_STOCK;
    ch.kind = CREDIT_CHIT_DIRECT;
    ch.amount = 1000 + 100 - 29; /* X (stock) pays Z: balance 29 - 1000 */
    credit_chit_sign(&ch, &t_keys[X]);
    credit_chit_encode(&b, &ch);
    CHECK_ERR(submit(&fed[A], X, TX_CHIT, b.data, b.len, why), HANSA_ERR_FUNDS);
    CHECK(strstr(why, "pending cross-chain lifts") != NULL);
    hbuf_reset(&b);
    ch.amount = 1000 + 100 - 30;
    credit_chit_sign(&ch, &t_keys[X]);
    credit_chit_encode(&b, &ch);
    CHECK_ERR(submit(&fed[A], X, TX_CHIT, b.data, b.len, why), HANSA_OK);
    hbuf_reset(&b);
    hbuf_append(&b, t_xz.b, CREDIT_ID_BYTES);
    CHECK_ERR(submit(&fed[A], Z, TX_TALLY_CLOSE, b.data, b.len, why), HANSA_ERR_STATE);
    hbuf_free(&b);
}

/* The checker's part for cross-chain lifts, shown catching a pending
 * record that no longer sums the pending segments. */
static void test_checker_catches(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_xlift x = circle(7, 20, 60000);
    CHECK_ERR(promise(A, X, &x, 0, why), HANSA_OK);
    uint8_t key[1 + CREDIT_ID_BYTES] = {0x46};
    memcpy(key + 1, t_xz.b, CREDIT_ID_BYTES);
    kvmap *m = &fed[A].s->tabs[LEDGER_TAB_CREDIT];
    const kvmap_slot *sl = kvmap_get(m, key, sizeof key);
    CHECK(sl != NULL && sl->vlen == 18);
    uint8_t v[18];
    memcpy(v, sl->val, sizeof v);
    v[2 + 8 + 7] ^= 1; /* held toward the foil (LE u64): 20 -> 21 */
    kvmap_put(m, key, sizeof key, v, sizeof v);
    CHECK_ERR(ledger_credit_check(fed[A].s, why, sizeof why), HANSA_ERR_CORRUPT);
    fprintf(stderr, "  (caught: %s)\n", why);
}

static void test_codec(void) {
    fresh();
    credit_xlift x = circle(8, 10, 60000), back;
    hbuf b = HBUF_INIT;
    credit_xlift_payload_encode(&b, &x, 1);
    uint8_t tail;
    CHECK_ERR(credit_xlift_payload_decode(b.data, b.len, &back, &tail, NULL), HANSA_OK);
    CHECK(tail == 1 && back.n_segs == 2 && memcmp(&back.seg[1], &x.seg[1], sizeof x.seg[1]) == 0);
    CHECK(b.len <= PKT_PAYLOAD_MAX);
    wire_rd r;
    for (size_t cut = 0; cut < b.len; cut++)
        CHECK(credit_xlift_payload_decode(b.data, cut, &back, &tail, &r) != HANSA_OK);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(credit_xlift_payload_decode(b.data, b.len, &back, &tail, &r), HANSA_ERR_TRAILING);
    credit_xlift bad = x;
    bad.seg[1].parties[0].key = t_keys[Z].pub; /* the segments do not join */
    char why[160];
    CHECK_ERR(credit_xlift_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    bad = x;
    bad.seg[1].amount = 11;
    CHECK_ERR(credit_xlift_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    bad = x;
    bad.seg[1].parties[1].chain_id = ids[A]; /* a segment across two chains */
    CHECK_ERR(credit_xlift_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    bad = x;
    bad.n_segs = 1;
    CHECK_ERR(credit_xlift_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    hbuf_free(&b);
}

int main(void) {
    t_init_keys();
    RUN(test_commit_clears_the_circle);
    RUN(test_expiry_voids);
    RUN(test_refusals);
    RUN(test_checker_catches);
    RUN(test_codec);
    for (int c = 0; c < N_CHAINS; c++) {
        for (size_t i = 0; i < BLOCK_TXS_MAX; i++) hbuf_free(&fed[c].enc[i]);
        ledger_state_free(fed[c].s);
    }
    return check_summary();
}
