/* test_ledger_xfer.c — cross-chain packets in the ledger (ledger/xfer.h,
 * interchain/packet.h) over three in-process chains: transfers both ways,
 * onward to a third chain and back to origin, refusals with reasons
 * (forged proofs, replays, wrong outcomes, unverified heights), timeouts
 * refunded, the codecs, and the conservation check shown catching a packet
 * credited twice. Receipts for transfers to another chain: the bond term,
 * the destination's check of the signers' bonds (ledger/receipt_x.h), and
 * a claim paid when the packet was refunded. Conservation and every chain's supply equation are checked
 * after every block.
 *
 * The chains' light clients are written straight into each state after
 * every block (the header's tx root at its height), standing in for the
 * client updates that test_client.c and the cluster tests exercise. */
#include <stdlib.h>

#include "check.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "interchain/codec.h"
#include "interchain/packet.h"
#include "ledger/client.h"
#include "ledger/receipt_x.h"
#include "ledger/tx_receipt.h"
#include "ledger/xfer.h"
#include "client_helpers.h"
#include "ledger_helpers.h"
#include "receipt_helpers.h"

#define N_CHAINS 3
#define BLOCK_TXS_MAX 8
#define FEE 10

typedef struct {
    ledger_state *s;
    uint32_t id;
    hbuf enc[BLOCK_TXS_MAX]; /* the last block's encoded txs, for proofs */
    size_t n;
    uint64_t nonce[T_KEYS];
    uint16_t n_heights;
    hansa_hash prev_root; /* the last block's tx root, which the next one keeps for receipt claims */
} tchain;

static tchain fed[N_CHAINS];
static const uint32_t ids[N_CHAINS] = {0xa, 0xb, 0xc};


static void fed_init(void) {
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

static void fed_free(void) {
    for (int c = 0; c < N_CHAINS; c++) {
        for (size_t i = 0; i < BLOCK_TXS_MAX; i++) hbuf_free(&fed[c].enc[i]);
        ledger_state_free(fed[c].s);
    }
}

static bool conserved(void) {
    const ledger_state *st[N_CHAINS];
    for (int c = 0; c < N_CHAINS; c++) st[c] = fed[c].s;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = xfer_conservation_check(st, N_CHAINS, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  %s\n", why);
    return err == HANSA_OK;
}

/* Applies a block of txs on chain c (all or nothing: the first refusal is
 * returned and the state left as it was); every other chain learns its
 * header. Conservation is checked after it. */
static hansa_err block_at(tchain *c, const wire_tx *txs, size_t n, uint64_t dt_ms, char *why) {
    HANSA_ASSERT(n <= BLOCK_TXS_MAX);
    ledger_block_info info = t_info(c->s, 60);
    info.time_ms = ledger_last_block_time_ms(c->s) + dt_ms;
    info.prev_tx_root = c->prev_root;
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
    c->prev_root = root;
    ledger_block_finish(b);
    ledger_block_commit(c->s, b);
    for (int d = 0; d < N_CHAINS; d++)
        if (&fed[d] != c) t_client_learn(fed[d].s, c->id, info.height, &root, info.time_ms);
    CHECK(conserved());
    return HANSA_OK;
}

static hansa_err block(tchain *c, const wire_tx *txs, size_t n, char *why) {
    return block_at(c, txs, n, 1000, why);
}

/* One tx of key `from` on chain c; refused txs give their nonce back. */
static hansa_err submit(tchain *c, int from, uint16_t kind, const uint8_t *body, uint32_t len) {
    char why[LEDGER_WHY_MAX] = "";
    wire_tx tx = t_tx_raw(from, c->id, c->nonce[from]++, FEE, kind, body, len);
    hansa_err err = block(c, &tx, 1, why);
    if (err != HANSA_OK) {
        c->nonce[from]--;
        fprintf(stderr, "  (refused: %s: %s)\n", hansa_errname(err), why);
    }
    return err;
}

/* A transfer packet body into buf (room for 128 bytes). */
static uint32_t send_body(uint8_t *buf, uint32_t dest, int to, uint64_t amount, const pkt_denom *d,
                          uint64_t timeout_ms) {
    hbuf pay = HBUF_INIT, out = HBUF_INIT;
    pkt_transfer t = {.to = t_addrs[to], .amount = amount, .denom = d ? *d : (pkt_denom){0}};
    pkt_transfer_encode(&pay, &t);
    pkt_send s = {dest, timeout_ms, PKT_TYPE_TRANSFER, (uint16_t)pay.len, pay.data};
    pkt_send_encode(&out, &s);
    HANSA_ASSERT(out.len <= 128);
    memcpy(buf, out.data, out.len);
    uint32_t len = (uint32_t)out.len;
    hbuf_free(&pay);
    hbuf_free(&out);
    return len;
}

/* The proof of tx i of chain c's last block. */
static pkt_proof proof_of(const tchain *c, size_t i) {
    hansa_hash leaves[BLOCK_TXS_MAX];
    for (size_t k = 0; k < c->n; k++) merkle_leaf_hash(c->enc[k].data, c->enc[k].len, &leaves[k]);
    pkt_proof p = {.height = ledger_height(c->s), .index = (uint32_t)i, .count = (uint32_t)c->n,
                   .tx_len = (uint32_t)c->enc[i].len, .tx = c->enc[i].data};
    p.path_len = (uint8_t)merkle_proof(leaves, c->n, i, p.path);
    return p;
}

/* Relays: chain dst receives tx i of src's last block (relayer key 9). */
static hansa_err recv_on(tchain *dst, const tchain *src, size_t i, uint8_t outcome, hbuf *body) {
    pkt_recv v = {.src_chain = src->id, .proof = proof_of(src, i), .outcome = outcome};
    hbuf_reset(body);
    pkt_recv_encode(body, &v);
    return submit(dst, 9, TX_PACKET_RECV, body->data, (uint32_t)body->len);
}

/* The outcome dst's ledger would give tx i of src's last block now. */
static uint8_t outcome_on(const tchain *dst, const tchain *src, size_t i) {
    return ledger_xfer_outcome(dst->s, src->id, src->enc[i].data, src->enc[i].len,
                               ledger_last_block_time_ms(dst->s) + 1000);
}

/* Relays back: chain src proves dst's last block's tx i (a recv). */
static hansa_err ack_on(tchain *src, const tchain *dst, size_t i, hbuf *body) {
    pkt_ack a = {.dest_chain = dst->id, .proof = proof_of(dst, i)};
    hbuf_reset(body);
    pkt_ack_encode(body, &a);
    return submit(src, 9, TX_PACKET_ACK, body->data, (uint32_t)body->len);
}

static hansa_hash last_tx_hash(const tchain *c, size_t i) {
    hansa_hash h;
    sha256(c->enc[i].data, c->enc[i].len, &h);
    return h;
}

/* A full trip: send on src, recv on dst, ack on src; returns the outcome. */
static uint8_t trip(tchain *src, tchain *dst, int from, int to, uint64_t amount, const pkt_denom *d) {
    uint8_t body[128];
    hbuf rb = HBUF_INIT, ab = HBUF_INIT;
    uint32_t len = send_body(body, dst->id, to, amount, d, 1u << 30);
    CHECK_ERR(submit(src, from, TX_PACKET_SEND, body, len), HANSA_OK);
    hansa_hash h = last_tx_hash(src, 0);
    uint8_t outcome = outcome_on(dst, src, 0);
    CHECK_ERR(recv_on(dst, src, 0, outcome, &rb), HANSA_OK);
    CHECK_ERR(ack_on(src, dst, 0, &ab), HANSA_OK);
    xfer_out o;
    CHECK(ledger_xfer_out(src->s, &h, &o));
    CHECK(o.state == (outcome == PKT_OK ? XFER_CREDITED : XFER_REFUNDED));
    hbuf_free(&rb);
    hbuf_free(&ab);
    return outcome;
}

static void test_round_trips(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1], *c = &fed[2];
    pkt_denom va = {1, {0xa}}, vab = {2, {0xa, 0xb}};
    uint64_t a1 = t_balance(a->s, 1);
    /* A's token to B: escrowed on A, a voucher [a] on B */
    CHECK(trip(a, b, 1, 2, 500, NULL) == PKT_OK);
    CHECK_EQ_U64(t_balance(a->s, 1), a1 - 500 - FEE);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 500);
    /* B's own token to A, the other way */
    CHECK(trip(b, a, 3, 4, 70, NULL) == PKT_OK);
    pkt_denom vb = {1, {0xb}};
    CHECK_EQ_U64(ledger_xfer_voucher(a->s, &t_addrs[4], &vb), 70);
    /* onward: B sends 200 of [a] to C, which holds [a,b] */
    CHECK(trip(b, c, 2, 5, 200, &va) == PKT_OK);
    CHECK_EQ_U64(ledger_xfer_voucher(c->s, &t_addrs[5], &vab), 200);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 300);
    /* back to origin: C returns 50 to B (burned on C, released on B) ... */
    CHECK(trip(c, b, 5, 6, 50, &vab) == PKT_OK);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[6], &va), 50);
    /* ... and B returns 150 of [a] to A, released to a native balance */
    uint64_t a7 = t_balance(a->s, 7);
    CHECK(trip(b, a, 2, 7, 150, &va) == PKT_OK);
    CHECK_EQ_U64(t_balance(a->s, 7), a7 + 150);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 150);
    CHECK(conserved());
    fed_free();
}

static void test_refusals(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1], *c = &fed[2];
    uint8_t body[128];
    hbuf rb = HBUF_INIT, ab = HBUF_INIT;
    /* sends refused on the source */
    uint32_t len = send_body(body, a->id, 2, 5, NULL, 1u << 30);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_ERR_INVALID); /* to itself */
    len = send_body(body, 0x77, 2, 5, NULL, 1u << 30);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_ERR_STATE); /* no client */
    len = send_body(body, b->id, 2, 5, NULL, 1);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_ERR_INVALID); /* timeout past */
    len = send_body(body, b->id, 2, 5000000, NULL, 1u << 30);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_ERR_FUNDS);
    pkt_denom vb = {1, {0xb}};
    len = send_body(body, c->id, 2, 5, &vb, 1u << 30);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_ERR_FUNDS); /* holds no voucher */

    /* three sends in one block; the proof of the middle one */
    wire_tx txs[3];
    uint8_t bodies[3][128];
    for (int i = 0; i < 3; i++) {
        uint32_t l = send_body(bodies[i], i == 2 ? c->id : b->id, 2, 10 + (uint64_t)i, NULL, 1u << 30);
        txs[i] = t_tx_raw(1, a->id, a->nonce[1]++, FEE, TX_PACKET_SEND, bodies[i], l);
    }
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(block(a, txs, 3, why), HANSA_OK);
    /* forged: a path that leads elsewhere */
    pkt_recv v = {.src_chain = a->id, .proof = proof_of(a, 1), .outcome = PKT_OK};
    v.proof.path[0].b[0] ^= 1;
    pkt_recv_encode(&rb, &v);
    CHECK_ERR(submit(b, 9, TX_PACKET_RECV, rb.data, (uint32_t)rb.len), HANSA_ERR_PROOF);
    /* forged: a height the client never verified */
    v = (pkt_recv){.src_chain = a->id, .proof = proof_of(a, 1), .outcome = PKT_OK};
    v.proof.height += 5;
    hbuf_reset(&rb);
    pkt_recv_encode(&rb, &v);
    CHECK_ERR(submit(b, 9, TX_PACKET_RECV, rb.data, (uint32_t)rb.len), HANSA_ERR_NOT_FOUND);
    /* a packet for C proven on B */
    CHECK_ERR(recv_on(b, a, 2, PKT_OK, &rb), HANSA_ERR_WRONG_CHAIN);
    /* the wrong outcome claimed */
    CHECK_ERR(recv_on(b, a, 1, PKT_REFUSED_LIMIT, &rb), HANSA_ERR_INVALID);
    /* from a chain B has no client of */
    v = (pkt_recv){.src_chain = 0x77, .proof = proof_of(a, 1), .outcome = PKT_OK};
    hbuf_reset(&rb);
    pkt_recv_encode(&rb, &v);
    CHECK_ERR(submit(b, 9, TX_PACKET_RECV, rb.data, (uint32_t)rb.len), HANSA_ERR_NOT_FOUND);
    /* credited once, the replay refused */
    CHECK_ERR(recv_on(b, a, 1, PKT_OK, &rb), HANSA_OK);
    pkt_recv replay;
    CHECK_ERR(pkt_recv_decode(rb.data, rb.len, &replay, NULL), HANSA_OK);
    CHECK_ERR(submit(b, 9, TX_PACKET_RECV, rb.data, (uint32_t)rb.len), HANSA_ERR_DUPLICATE);
    pkt_denom va = {1, {0xa}};
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 11);
    xfer_in in;
    hansa_hash h = last_tx_hash(a, 1);
    CHECK(ledger_xfer_in(b->s, a->id, &h, &in));
    CHECK(in.outcome == PKT_OK && addr_eq(&in.from, &t_addrs[1]) && in.src_height == ledger_height(a->s));
    /* the ack: once; a forged one and a second are refused */
    pkt_ack k = {.dest_chain = b->id, .proof = proof_of(b, 0)};
    k.proof.index = 0, k.proof.count = 2;
    pkt_ack_encode(&ab, &k);
    CHECK_ERR(submit(a, 9, TX_PACKET_ACK, ab.data, (uint32_t)ab.len), HANSA_ERR_PROOF);
    CHECK_ERR(ack_on(a, b, 0, &ab), HANSA_OK);
    CHECK_ERR(submit(a, 9, TX_PACKET_ACK, ab.data, (uint32_t)ab.len), HANSA_ERR_DUPLICATE);
    /* an ack proving a tx that is not a recv */
    len = send_body(body, c->id, 2, 5, NULL, 1u << 30);
    CHECK_ERR(submit(b, 1, TX_PACKET_SEND, body, len), HANSA_OK);
    CHECK_ERR(ack_on(a, b, 0, &ab), HANSA_ERR_PROOF);
    hbuf_free(&rb);
    hbuf_free(&ab);
    fed_free();
}

static void test_timeout_refund(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    uint8_t body[128];
    hbuf rb = HBUF_INIT, ab = HBUF_INIT;
    uint64_t before = t_balance(a->s, 1);
    /* times out at B's time + 2 s; B is "down" for 10 s */
    uint32_t len = send_body(body, b->id, 2, 40, NULL, ledger_last_block_time_ms(b->s) + 2000);
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_OK);
    hansa_hash h = last_tx_hash(a, 0);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(block_at(b, NULL, 0, 10000, why), HANSA_OK);
    CHECK(outcome_on(b, a, 0) == PKT_REFUSED_TIMEOUT);
    CHECK_ERR(recv_on(b, a, 0, PKT_OK, &rb), HANSA_ERR_INVALID);
    CHECK_ERR(recv_on(b, a, 0, PKT_REFUSED_TIMEOUT, &rb), HANSA_OK);
    pkt_denom va = {1, {0xa}};
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 0);
    CHECK_ERR(ack_on(a, b, 0, &ab), HANSA_OK);
    xfer_out o;
    CHECK(ledger_xfer_out(a->s, &h, &o));
    CHECK(o.state == XFER_REFUNDED && o.reason == PKT_REFUSED_TIMEOUT && o.done_height == ledger_height(a->s));
    CHECK_EQ_U64(t_balance(a->s, 1), before - FEE); /* the amount came back, the fee did not */
    /* a refused return is re-minted on its sender */
    tchain *src = b, *dst = a;
    CHECK(trip(a, b, 1, 2, 30, NULL) == PKT_OK);
    len = send_body(body, dst->id, 3, 10, &va, ledger_last_block_time_ms(dst->s) + 1500);
    CHECK_ERR(submit(src, 2, TX_PACKET_SEND, body, len), HANSA_OK);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 20);
    CHECK_ERR(block_at(dst, NULL, 0, 5000, why), HANSA_OK);
    CHECK_ERR(recv_on(dst, src, 0, PKT_REFUSED_TIMEOUT, &rb), HANSA_OK);
    CHECK_ERR(ack_on(src, dst, 0, &ab), HANSA_OK);
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 30);
    hbuf_free(&rb);
    hbuf_free(&ab);
    fed_free();
}

/* The conservation check exists to catch a packet credited twice: credit
 * a voucher again on B, consistently with B's own records, and see it fire;
 * then drop an escrow on A and see it fire the other way. */
static void test_conservation_catches(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    CHECK(trip(a, b, 1, 2, 100, NULL) == PKT_OK);
    CHECK(conserved());
    pkt_denom va = {1, {0xa}};
    uint8_t key[64], val[9] = {1};
    size_t klen = 0;
    key[klen++] = XFER_KEY_VOUCHER;
    memcpy(key + klen, t_addrs[2].b, HANSA_ADDR_BYTES);
    klen += HANSA_ADDR_BYTES;
    key[klen++] = 1;
    le32_store(key + klen, 0xa);
    klen += 4;
    le64_store(val + 1, 200);
    kvmap_put(&b->s->tabs[LEDGER_TAB_XFER], key, klen, val, sizeof val);
    /* B alone now fails its own audit ... */
    CHECK(!t_supply_ok(b->s));
    /* ... and, with its outstanding and correspondent records raised too,
     * only conservation sees it */
    uint8_t skey[8] = {XFER_KEY_SUPPLY, 1}, ckey[5] = {XFER_KEY_CORR, 0, 0, 0, 0xa}, cval[26] = {1, 0};
    le32_store(skey + 2, 0xa);
    kvmap_put(&b->s->tabs[LEDGER_TAB_XFER], skey, 6, val, sizeof val);
    le64_store(cval + 10, 200);
    kvmap_put(&b->s->tabs[LEDGER_TAB_XFER], ckey, 5, cval, sizeof cval);
    CHECK(t_supply_ok(b->s));
    CHECK(!conserved());
    CHECK_EQ_U64(ledger_xfer_voucher(b->s, &t_addrs[2], &va), 200);
    fed_free();
}

static hansa_err corr_tx(tchain *c, int who, uint16_t kind, uint32_t chain, uint64_t amount) {
    uint8_t body[XFER_CORR_BODY_BYTES];
    le32_store(body, chain);
    le64_store(body + 4, amount);
    return submit(c, who, kind, body, sizeof body);
}

/* Claims on A held by B stay within 10 x the collateral bonded for A on B. */
static void test_correspondent_limit(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    xfer_corr k;
    CHECK(trip(a, b, 1, 2, 100, NULL) == PKT_OK); /* unlimited before any bond */
    CHECK_ERR(corr_tx(b, 3, TX_CORR_BOND, 0x77, 50), HANSA_ERR_NOT_FOUND);
    CHECK_ERR(corr_tx(b, 3, TX_CORR_BOND, a->id, 5000000), HANSA_ERR_FUNDS);
    uint64_t b3 = t_balance(b->s, 3);
    CHECK_ERR(corr_tx(b, 3, TX_CORR_BOND, a->id, 50), HANSA_OK);
    CHECK_EQ_U64(t_balance(b->s, 3), b3 - 50 - FEE);
    CHECK(ledger_xfer_corr(b->s, a->id, &k) && k.limited && k.collateral == 50 && k.outstanding == 100);
    CHECK(trip(a, b, 1, 2, 400, NULL) == PKT_OK);     /* 500 = the limit */
    uint64_t a1 = t_balance(a->s, 1);
    CHECK(trip(a, b, 1, 2, 1, NULL) == PKT_REFUSED_LIMIT); /* refused, refunded */
    CHECK_EQ_U64(t_balance(a->s, 1), a1 - FEE); /* the 1 came back, the fee did not */
    CHECK_ERR(corr_tx(b, 3, TX_CORR_UNBOND, a->id, 20), HANSA_ERR_STATE);
    CHECK_ERR(corr_tx(b, 4, TX_CORR_UNBOND, a->id, 20), HANSA_ERR_FUNDS); /* not its bond */
    pkt_denom va = {1, {0xa}};
    CHECK(trip(b, a, 2, 1, 250, &va) == PKT_OK); /* claims fall to 250 */
    CHECK(ledger_xfer_corr(b->s, a->id, &k) && k.outstanding == 250);
    CHECK_ERR(corr_tx(b, 3, TX_CORR_UNBOND, a->id, 25), HANSA_OK);
    CHECK_ERR(corr_tx(b, 3, TX_CORR_UNBOND, a->id, 1), HANSA_ERR_STATE);
    CHECK(ledger_xfer_corr(b->s, a->id, &k) && k.collateral == 25);
    fed_free();
}

/* A frozen client pays the collateral to the holders of its chain's vouchers. */
static void test_freeze_payout(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    CHECK_ERR(corr_tx(b, 3, TX_CORR_BOND, a->id, 100), HANSA_OK);
    CHECK(trip(a, b, 1, 2, 300, NULL) == PKT_OK);
    CHECK(trip(a, b, 1, 4, 100, NULL) == PKT_OK);
    uint64_t b2 = t_balance(b->s, 2), b4 = t_balance(b->s, 4);
    ic_client cl;
    CHECK(ledger_client_get(b->s, a->id, &cl));
    cl.status = IC_STATUS_FROZEN;
    cl.freeze_reason = IC_FREEZE_CONFLICT;
    cl.frozen_height = 3;
    hbuf v = HBUF_INIT;
    ic_client_encode(&v, &cl);
    uint8_t key[5] = {0x30, 0, 0, 0, 0xa};
    kvmap_put(&b->s->tabs[LEDGER_TAB_IC_CLIENT], key, 5, v.data, v.len);
    hbuf_free(&v);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(block(b, NULL, 0, why), HANSA_OK);
    CHECK_EQ_U64(t_balance(b->s, 2), b2 + 75);
    CHECK_EQ_U64(t_balance(b->s, 4), b4 + 25);
    xfer_corr k;
    CHECK(ledger_xfer_corr(b->s, a->id, &k) && k.collateral == 0 && k.paid_out == 100 && k.outstanding == 400);
    CHECK_ERR(corr_tx(b, 3, TX_CORR_BOND, a->id, 10), HANSA_ERR_STATE); /* frozen */
    CHECK_ERR(block(b, NULL, 0, why), HANSA_OK);                      /* paid once */
    CHECK_EQ_U64(t_balance(b->s, 2), b2 + 75);
    fed_free();
}

static void test_codecs(void) {
    uint8_t buf[128];
    pkt_denom d = {3, {0xa, 0xb, 0xffffffffu}}, d2;
    hbuf b = HBUF_INIT;
    pkt_denom_encode(&b, &d);
    CHECK_ERR(pkt_denom_decode(b.data, b.len, &d2, NULL), HANSA_OK);
    CHECK(pkt_denom_eq(&d, &d2));
    CHECK_ERR(pkt_denom_decode(b.data, b.len - 1, &d2, NULL), HANSA_ERR_TRUNCATED);
    uint8_t five[1] = {5};
    CHECK_ERR(pkt_denom_decode(five, 1, &d2, NULL), HANSA_ERR_TOO_LONG);
    char text[64];
    pkt_denom_format(&d, text, sizeof text);
    CHECK(strcmp(text, "a/b/ffffffff") == 0);
    CHECK_ERR(pkt_denom_parse(text, &d2, NULL), HANSA_OK);
    CHECK(pkt_denom_eq(&d, &d2));
    CHECK_ERR(pkt_denom_parse("a//b", &d2, NULL), HANSA_ERR_INVALID);
    CHECK_ERR(pkt_denom_parse("a/b/", &d2, NULL), HANSA_ERR_INVALID);
    CHECK_ERR(pkt_denom_parse("1/2/3/4/5", &d2, NULL), HANSA_ERR_TOO_LONG);
    CHECK_ERR(pkt_denom_parse("native", &d2, NULL), HANSA_OK);
    CHECK(d2.n == 0);

    uint32_t len = send_body(buf, 0xb, 2, 9, &d, 77);
    pkt_send s;
    pkt_transfer t;
    CHECK_ERR(pkt_send_decode(buf, len, &s, NULL), HANSA_OK);
    CHECK(s.dest_chain == 0xb && s.timeout_ms == 77 && s.type == PKT_TYPE_TRANSFER);
    CHECK_ERR(pkt_transfer_decode(s.payload, s.payload_len, &t, NULL), HANSA_OK);
    CHECK(t.amount == 9 && pkt_denom_eq(&t.denom, &d) && addr_eq(&t.to, &t_addrs[2]));
    CHECK_ERR(pkt_send_decode(buf, len + 1, &s, NULL), HANSA_ERR_TRAILING);
    CHECK_ERR(pkt_send_decode(buf, len - 1, &s, NULL), HANSA_ERR_TRUNCATED);
    buf[12] = 0; /* type 0 */
    CHECK_ERR(pkt_send_decode(buf, len, &s, NULL), HANSA_ERR_INVALID);
    buf[12] = 1;
    buf[14] = 0x10; /* payload length 4096 + ... over the bound */
    CHECK_ERR(pkt_send_decode(buf, len, &s, NULL), HANSA_ERR_TOO_LONG);

    uint8_t tx[40] = {0};
    pkt_recv v = {.src_chain = 0xa, .proof = {.height = 3, .index = 1, .count = 2, .path_len = 1,
                                              .tx_len = sizeof tx, .tx = tx}, .outcome = 1}, v2;
    hbuf_reset(&b);
    pkt_recv_encode(&b, &v);
    CHECK_ERR(pkt_recv_decode(b.data, b.len, &v2, NULL), HANSA_OK);
    CHECK(v2.src_chain == 0xa && v2.proof.index == 1 && v2.proof.tx_len == sizeof tx && v2.outcome == 1);
    b.data[b.len - 1] = PKT_OUTCOME_MAX_ + 1;
    CHECK_ERR(pkt_recv_decode(b.data, b.len, &v2, NULL), HANSA_ERR_INVALID);
    v.proof.index = 2;
    hbuf_reset(&b);
    pkt_recv_encode(&b, &v);
    CHECK_ERR(pkt_recv_decode(b.data, b.len, &v2, NULL), HANSA_ERR_INVALID);
    pkt_ack k = {.dest_chain = 0xb, .proof = {.height = 0, .count = 1, .tx_len = 1, .tx = tx}}, k2;
    hbuf_reset(&b);
    pkt_ack_encode(&b, &k);
    CHECK_ERR(pkt_ack_decode(b.data, b.len, &k2, NULL), HANSA_ERR_INVALID); /* height 0 */
    k.proof.height = 1;
    hbuf_reset(&b);
    pkt_ack_encode(&b, &k);
    CHECK_ERR(pkt_ack_decode(b.data, b.len, &k2, NULL), HANSA_OK);
    b.data[20] = PKT_PATH_MAX + 1; /* path length */
    CHECK_ERR(pkt_ack_decode(b.data, b.len, &k2, NULL), HANSA_ERR_TOO_LONG);
    hbuf_free(&b);

    /* stored records: a zero amount, a native voucher and a bad type are refused */
    wire_rd r;
    uint8_t key[8] = {XFER_KEY_SUPPLY, 1, 0xa, 0, 0, 0}, val[9] = {1};
    CHECK_ERR(xfer_record_check(key, 6, val, 9, &r), HANSA_ERR_NONCANONICAL);
    val[1] = 5;
    CHECK_ERR(xfer_record_check(key, 6, val, 9, &r), HANSA_OK);
    key[1] = 0;
    CHECK_ERR(xfer_record_check(key, 2, val, 9, &r), HANSA_ERR_INVALID);
    key[0] = 0x3f;
    CHECK_ERR(xfer_record_check(key, 2, val, 9, &r), HANSA_ERR_INVALID);
}

/* ---- receipts for transfers to another chain ------------------------------- */

#define R_SIGNER 4
#define R_MERCHANT 3
#define R_CLAIMER 6

static hansa_err receipt_bond_on(tchain *c, int who, uint64_t amount, uint64_t until) {
    uint8_t body[16];
    le64_store(body, amount);
    le64_store(body + 8, until);
    return submit(c, who, TX_RECEIPT_BOND, body, until ? 16 : 8);
}

static hansa_err receipt_unbond_on(tchain *c, int who, uint64_t amount) {
    uint8_t body[8];
    le64_store(body, amount);
    return submit(c, who, TX_RECEIPT_UNBOND, body, 8);
}

/* proof_of(c, i) with the tx bytes copied to keep (c->enc is reused by the next block). */
static pkt_proof proof_kept(const tchain *c, size_t i, hbuf *keep) {
    pkt_proof p = proof_of(c, i);
    hbuf_reset(keep);
    hbuf_append(keep, p.tx, p.tx_len);
    p.tx = keep->data;
    return p;
}

static void empty_blocks(tchain *c, uint64_t k) {
    char why[LEDGER_WHY_MAX];
    for (uint64_t i = 0; i < k; i++) CHECK_ERR(block(c, NULL, 0, why), HANSA_OK);
}

static void test_receipt_term(void) {
    fed_init();
    tchain *a = &fed[0];
    uint64_t h = ledger_height(a->s), until, at;
    const hansa_pubkey *pk = &t_keys[R_SIGNER].pub;
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 1000, h + 1), HANSA_ERR_INVALID); /* lands at h+1 */
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 1000, h + 2 + RECEIPT_TERM_MAX), HANSA_ERR_INVALID);
    uint8_t zero_term[16] = {1};
    CHECK(submit(a, R_SIGNER, TX_RECEIPT_BOND, zero_term, 16) != HANSA_OK);
    CHECK(!ledger_receipt_term_get(a->s, pk, &until, &at));
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 1000, h + 20), HANSA_OK);
    CHECK(ledger_receipt_term_get(a->s, pk, &until, &at));
    CHECK_EQ_U64(until, h + 20);
    CHECK_EQ_U64(at, h + 1);
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 10, h + 5), HANSA_OK); /* a shorter term does not shorten it */
    CHECK(ledger_receipt_term_get(a->s, pk, &until, &at));
    CHECK_EQ_U64(until, h + 20);
    CHECK_EQ_U64(at, h + 2);
    CHECK_ERR(receipt_unbond_on(a, R_SIGNER, 10), HANSA_ERR_STATE);
    empty_blocks(a, h + 19 - ledger_height(a->s));
    CHECK_ERR(receipt_unbond_on(a, R_SIGNER, 10), HANSA_OK); /* at height h + 20 */
    fed_free();
}

/* Chain B checks a receipt of chain A for a transfer to B: the signer's bond
 * proven through B's client of A, and each way that check refuses. */
static void test_receipt_across(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    hbuf keep = HBUF_INIT, keep2 = HBUF_INIT;
    uint64_t h0 = ledger_height(a->s);
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 5000, h0 + 1000), HANSA_OK);
    pkt_proof bond = proof_kept(a, 0, &keep);
    uint8_t body[128];
    uint32_t len = send_body(body, b->id, R_MERCHANT, 700, NULL, 1u << 30);
    wire_tx tx = t_tx_raw(1, a->id, a->nonce[1], FEE, TX_PACKET_SEND, body, len);
    int signer = R_SIGNER;
    uint64_t amt = 700;
    receipt rc = t_make_receipt(a->s, &tx, &t_addrs[R_MERCHANT], 200, &signer, &amt, 1);
    receipt_x_backing back;
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_receipt_x_check(b->s, &rc, &bond, 1, &back, why, sizeof why), HANSA_OK);
    CHECK_EQ_U64(back.height, h0 + 1);
    CHECK_EQ_U64(back.bonded, 5000);
    CHECK_EQ_U64(back.until, h0 + 1000);
    CHECK_EQ_U64(back.backs_until, h0 + 1000 + RECEIPT_X_SLACK);
    /* on its own chain it needs no proofs; one proof per share */
    CHECK_ERR(ledger_receipt_x_check(a->s, &rc, &bond, 1, &back, why, sizeof why), HANSA_ERR_INVALID);
    CHECK_ERR(ledger_receipt_x_check(b->s, &rc, &bond, 0, &back, why, sizeof why), HANSA_ERR_INVALID);
    receipt forged = rc;
    forged.shares[0].sig.b[0] ^= 1;
    CHECK_ERR(ledger_receipt_x_check(b->s, &forged, &bond, 1, &back, why, sizeof why), HANSA_ERR_BAD_SIG);
    pkt_proof bad = bond;
    bad.count = 2; /* a leaf of another tree */
    CHECK_ERR(ledger_receipt_x_check(b->s, &rc, &bad, 1, &back, why, sizeof why), HANSA_ERR_PROOF);
    bad = bond;
    bad.height = h0 + 50; /* a header B's client never verified */
    CHECK_ERR(ledger_receipt_x_check(b->s, &rc, &bad, 1, &back, why, sizeof why), HANSA_ERR_NOT_FOUND);
    CHECK(strstr(why, "update the client") != NULL);
    /* the proof of another transaction of A is no bond */
    CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_OK);
    pkt_proof not_bond = proof_kept(a, 0, &keep2);
    CHECK_ERR(ledger_receipt_x_check(b->s, &rc, &not_bond, 1, &back, why, sizeof why), HANSA_ERR_PROOF);
    /* a share above the proven bond */
    amt = 6000;
    len = send_body(body, b->id, R_MERCHANT, 6000, NULL, 1u << 30);
    tx = t_tx_raw(1, a->id, a->nonce[1], FEE, TX_PACKET_SEND, body, len);
    receipt big = t_make_receipt(a->s, &tx, &t_addrs[R_MERCHANT], 200, &signer, &amt, 1);
    CHECK_ERR(ledger_receipt_x_check(b->s, &big, &bond, 1, &back, why, sizeof why), HANSA_ERR_FUNDS);
    /* without a term a bond backs deadlines up to its height + RECEIPT_X_SLACK only */
    signer = 5;
    amt = 700;
    CHECK_ERR(receipt_bond_on(a, 5, 5000, 0), HANSA_OK);
    pkt_proof plain = proof_kept(a, 0, &keep2);
    empty_blocks(a, 2);
    receipt late = t_make_receipt(a->s, &tx, &t_addrs[R_MERCHANT], RECEIPT_DEADLINE_MAX, &signer, &amt, 1);
    CHECK_ERR(ledger_receipt_x_check(b->s, &late, &plain, 1, &back, why, sizeof why), HANSA_ERR_STATE);
    CHECK_EQ_U64(back.backs_until, plain.height + RECEIPT_X_SLACK);
    receipt soon = t_make_receipt(a->s, &tx, &t_addrs[R_MERCHANT], 100, &signer, &amt, 1);
    CHECK_ERR(ledger_receipt_x_check(b->s, &soon, &plain, 1, &back, why, sizeof why), HANSA_OK);
    hbuf_free(&keep);
    hbuf_free(&keep2);
    fed_free();
}

/* Claims on A for a receipt of a transfer to B: still in flight (refused,
 * not yet), refunded (paid), credited (refuted). */
static void test_receipt_claim_refunded(void) {
    fed_init();
    tchain *a = &fed[0], *b = &fed[1];
    hbuf keep = HBUF_INIT, rb = HBUF_INIT, ab = HBUF_INIT, cb = HBUF_INIT;
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(receipt_bond_on(a, R_SIGNER, 5000, 0), HANSA_OK);
    int signer = R_SIGNER;
    uint64_t amt = 700;
    for (int credited = 0; credited < 2; credited++) {
        uint64_t timeout = credited ? 1u << 30 : ledger_last_block_time_ms(b->s) + 2000;
        uint8_t body[128];
        uint32_t len = send_body(body, b->id, R_MERCHANT, amt, NULL, timeout);
        wire_tx tx = t_tx_raw(1, a->id, a->nonce[1], FEE, TX_PACKET_SEND, body, len);
        receipt rc = t_make_receipt(a->s, &tx, &t_addrs[R_MERCHANT], 3, &signer, &amt, 1);
        CHECK_ERR(submit(a, 1, TX_PACKET_SEND, body, len), HANSA_OK);
        pkt_proof sent = proof_kept(a, 0, &keep);
        receipt_claim cl = {.rc = rc, .proof = RECEIPT_PROOF_TX, .height = sent.height, .index = sent.index,
                            .count = sent.count, .path_len = sent.path_len, .tx = sent.tx, .tx_len = sent.tx_len};
        memcpy(cl.path, sent.path, sizeof cl.path);
        hbuf_reset(&cb);
        receipt_claim_encode(&cb, &cl);
        empty_blocks(a, 4);
        if (!credited)
            CHECK_ERR(submit(a, R_CLAIMER, TX_RECEIPT_CLAIM, cb.data, (uint32_t)cb.len), HANSA_ERR_STATE);
        if (!credited) CHECK_ERR(block_at(b, NULL, 0, 10000, why), HANSA_OK);
        /* the relayers now prove the send to B and B's outcome back to A */
        pkt_recv v = {.src_chain = a->id, .proof = sent,
                      .outcome = credited ? PKT_OK : PKT_REFUSED_TIMEOUT};
        hbuf_reset(&rb);
        pkt_recv_encode(&rb, &v);
        CHECK_ERR(submit(b, 9, TX_PACKET_RECV, rb.data, (uint32_t)rb.len), HANSA_OK);
        CHECK_ERR(ack_on(a, b, 0, &ab), HANSA_OK);
        uint64_t before = t_balance(a->s, R_MERCHANT);
        hansa_err want = credited ? HANSA_ERR_INVALID : HANSA_OK;
        CHECK_ERR(submit(a, R_CLAIMER, TX_RECEIPT_CLAIM, cb.data, (uint32_t)cb.len), want);
        CHECK_EQ_U64(t_balance(a->s, R_MERCHANT), before + (credited ? 0 : amt));
        if (!credited)
            CHECK_ERR(submit(a, R_CLAIMER, TX_RECEIPT_CLAIM, cb.data, (uint32_t)cb.len), HANSA_ERR_DUPLICATE);
    }
    hbuf_free(&keep);
    hbuf_free(&rb);
    hbuf_free(&ab);
    hbuf_free(&cb);
    fed_free();
}

int main(void) {
    t_init_keys();
    RUN(test_round_trips);
    RUN(test_refusals);
    RUN(test_timeout_refund);
    RUN(test_conservation_catches);
    RUN(test_correspondent_limit);
    RUN(test_freeze_payout);
    RUN(test_codecs);
    RUN(test_receipt_term);
    RUN(test_receipt_across);
    RUN(test_receipt_claim_refunded);
    return check_summary();
}
