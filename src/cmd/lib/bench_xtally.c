/* bench_xtally.c — `hansa bench-credit --across`: chits per second on a
 * tally whose parties live on two chains, measured where the work is: two
 * in-process ledgers applying every transaction of the cross-chain path
 * (each payer's TX_CHIT on its own chain, the tally packets that carry the
 * chain messages, their proven receipt on the other chain and the
 * acknowledgement back), then the credit checker on both chains and the
 * check that the two chit chains are identical.
 *
 * Light-client updates are stood in for by writing each block's verified
 * header (its tx root and time) straight into the other chain's state, as
 * the ledger tests do; a real update costs one commit verification per
 * source block carrying packets, which this figure leaves out. Single
 * thread: both chains' work adds up on one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "credit/tally.h"
#include "credit/xmsg.h"
#include "crypto/address.h"
#include "crypto/merkle.h"
#include "crypto/sign.h"
#include "interchain/codec.h"
#include "interchain/packet.h"
#include "ledger/block.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "ledger/xfer.h"
#include "ledger/xtally.h"
#include "wire/codec.h"

#define XB_TXS_MAX 512
#define XB_TIMEOUT (1ull << 50)

typedef struct {
    uint32_t id;
    ledger_state *s;
    hansa_keypair del;
    hbuf pending[XB_TXS_MAX]; /* encoded txs of the next block */
    size_t n_pending;
    hbuf last[XB_TXS_MAX];    /* encoded txs of the last block, for proofs */
    size_t n_last;
    uint64_t nonce[3];
} xchain;

typedef struct {
    xchain c[2];              /* 0: the stock's chain, 1: the foil's */
    hansa_keypair kp[3];      /* 0 stock, 1 foil, 2 relayer (funded on both) */
    credit_id tally;
    double busy_s;
} xbench;

/* Writes chain `of`'s header at height into x's light client of it. */
static void learn(xchain *x, const xchain *of, uint64_t height, const hansa_hash *tx_root, uint64_t time_ms) {
    ic_client cl = {.params = {of->id, 3600 * 1000, 1000}, .status = IC_STATUS_ACTIVE};
    ledger_client_get(x->s, of->id, &cl);
    if (cl.n_heights == IC_HISTORY_MAX) {
        memmove(cl.heights, cl.heights + 1, (IC_HISTORY_MAX - 1) * sizeof cl.heights[0]);
        cl.n_heights--;
    }
    cl.heights[cl.n_heights++] = height;
    ic_consensus cs = {.height = height, .time_ms = time_ms, .tx_root = *tx_root,
                       .local_height = ledger_height(x->s) ? ledger_height(x->s) : 1,
                       .local_time_ms = ledger_last_block_time_ms(x->s)};
    hbuf v = HBUF_INIT;
    uint8_t key[13] = {0x30};
    for (int i = 0; i < 4; i++) key[1 + i] = (uint8_t)(of->id >> (24 - 8 * i));
    ic_client_encode(&v, &cl);
    kvmap_put(&x->s->tabs[LEDGER_TAB_IC_CLIENT], key, 5, v.data, v.len);
    ledger_state_record_touched(x->s, key, 5);
    hbuf_reset(&v);
    key[0] = 0x31;
    for (int i = 0; i < 8; i++) key[5 + i] = (uint8_t)(height >> (56 - 8 * i));
    ic_consensus_encode(&v, &cs);
    kvmap_put(&x->s->tabs[LEDGER_TAB_IC_CONSENSUS], key, 13, v.data, v.len);
    ledger_state_record_touched(x->s, key, 13);
    hbuf_free(&v);
}

static void queue(xbench *b, int chain, int who, uint16_t kind, const hbuf *body) {
    xchain *c = &b->c[chain];
    HANSA_ASSERT(c->n_pending < XB_TXS_MAX);
    wire_tx tx = {.chain_id = c->id, .sender = b->kp[who].pub, .nonce = c->nonce[who]++, .fee = 1,
                  .kind = kind, .body = body->data, .body_len = (uint32_t)body->len};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&b->kp[who], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    hbuf *e = &c->pending[c->n_pending++];
    hbuf_reset(e);
    wire_tx_encode(e, &tx);
}

/* Commits chain's pending txs as one block (timed); the other chain learns
 * its header. */
static void commit(xbench *b, int chain) {
    xchain *c = &b->c[chain];
    ledger_block_info info = {.height = ledger_height(c->s) + 1,
                              .time_ms = ledger_last_block_time_ms(c->s) + 1000, .proposer = c->del.pub};
    ledger_block *blk = NULL;
    char why[LEDGER_WHY_MAX] = "";
    uint64_t t0 = clock_system_mono_us();
    HANSA_ASSERT(ledger_block_begin(c->s, &info, &blk, why, sizeof why) == HANSA_OK);
    for (size_t i = 0; i < c->n_pending; i++) {
        wire_tx tx;
        HANSA_ASSERT(wire_tx_decode(c->pending[i].data, c->pending[i].len, &tx, NULL) == HANSA_OK);
        hansa_err err = ledger_block_add_tx(blk, &tx, false, why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "bench-credit --across: tx %zu refused: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
    }
    ledger_block_finish(blk);
    ledger_block_commit(c->s, blk);
    b->busy_s += (double)(clock_system_mono_us() - t0) / 1e6;
    hansa_hash *leaves = hansa_calloc(c->n_pending ? c->n_pending : 1, sizeof *leaves), root;
    for (size_t i = 0; i < c->n_pending; i++) {
        merkle_leaf_hash(c->pending[i].data, c->pending[i].len, &leaves[i]);
        hbuf_reset(&c->last[i]);
        hbuf_append(&c->last[i], c->pending[i].data, c->pending[i].len);
    }
    merkle_root(leaves, c->n_pending, &root);
    free(leaves);
    c->n_last = c->n_pending;
    c->n_pending = 0;
    learn(&b->c[1 - chain], c, info.height, &root, info.time_ms);
}

/* The proof of tx i of chain's last block. */
static pkt_proof proof_of(const xchain *c, size_t i) {
    hansa_hash *leaves = hansa_calloc(c->n_last, sizeof *leaves);
    for (size_t k = 0; k < c->n_last; k++) merkle_leaf_hash(c->last[k].data, c->last[k].len, &leaves[k]);
    pkt_proof p = {.height = ledger_height(c->s), .index = (uint32_t)i, .count = (uint32_t)c->n_last,
                   .tx_len = (uint32_t)c->last[i].len, .tx = c->last[i].data};
    p.path_len = (uint8_t)merkle_proof(leaves, c->n_last, i, p.path);
    free(leaves);
    return p;
}

/* Queues, on the other chain, a recv (kind) or ack of every packet tx of
 * chain's last block. */
static void relay(xbench *b, int chain, uint16_t want_kind) {
    xchain *c = &b->c[chain], *d = &b->c[1 - chain];
    for (size_t i = 0; i < c->n_last; i++) {
        wire_tx tx;
        HANSA_ASSERT(wire_tx_decode(c->last[i].data, c->last[i].len, &tx, NULL) == HANSA_OK);
        if (tx.kind != want_kind) continue;
        hbuf body = HBUF_INIT;
        pkt_proof p = proof_of(c, i);
        if (want_kind == TX_PACKET_SEND) {
            pkt_recv v = {.src_chain = c->id, .proof = p,
                          .outcome = ledger_xfer_outcome(d->s, c->id, c->last[i].data, c->last[i].len,
                                                         ledger_last_block_time_ms(d->s) + 1000)};
            HANSA_ASSERT(v.outcome == PKT_OK);
            pkt_recv_encode(&body, &v);
            queue(b, 1 - chain, 2, TX_PACKET_RECV, &body);
        } else {
            pkt_ack a = {.dest_chain = c->id, .proof = p};
            pkt_ack_encode(&body, &a);
            queue(b, 1 - chain, 2, TX_PACKET_ACK, &body);
        }
        hbuf_free(&body);
    }
}

/* Queues on chain the tally packets of what its half has to say. */
static size_t sync_out(xbench *b, int chain) {
    xchain *c = &b->c[chain];
    credit_tally *peer_t = hansa_malloc(sizeof *peer_t);
    credit_half *peer = NULL;
    if (ledger_tally_get(b->c[1 - chain].s, &b->tally, peer_t))
        peer = &peer_t->half[chain == 0 ? CREDIT_FOIL : CREDIT_STOCK];
    credit_msg *msgs = hansa_calloc(XTALLY_OUTBOX_MAX, sizeof *msgs);
    size_t n = ledger_xtally_outbox(c->s, &b->tally, peer, msgs);
    credit_xmsg *m = hansa_malloc(sizeof *m);
    for (size_t i = 0; i < n; i++) {
        memset(m, 0, sizeof *m);
        m->kind = CREDIT_XMSG_CHAIN;
        m->from = msgs[i].from;
        m->msg = msgs[i];
        hbuf pay = HBUF_INIT, body = HBUF_INIT;
        credit_xmsg_encode(&pay, m);
        pkt_send s = {b->c[1 - chain].id, XB_TIMEOUT, PKT_TYPE_TALLY, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &s);
        queue(b, chain, 2, TX_PACKET_SEND, &body);
        hbuf_free(&pay);
        hbuf_free(&body);
    }
    free(m);
    free(msgs);
    free(peer_t);
    return n;
}

/* One exchange: both chains send, receive, acknowledge. Returns packets. */
static size_t exchange(xbench *b) {
    size_t n = sync_out(b, 0) + sync_out(b, 1);
    commit(b, 0);
    commit(b, 1);
    relay(b, 0, TX_PACKET_SEND);
    relay(b, 1, TX_PACKET_SEND);
    commit(b, 0);
    commit(b, 1);
    relay(b, 0, TX_PACKET_RECV);
    relay(b, 1, TX_PACKET_RECV);
    commit(b, 0);
    commit(b, 1);
    return n;
}

static void party_msg(xbench *b, int chain, int who, const credit_xmsg *m) {
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    credit_xmsg_encode(&pay, m);
    pkt_send s = {b->c[1 - chain].id, XB_TIMEOUT, PKT_TYPE_TALLY, (uint16_t)pay.len, pay.data};
    pkt_send_encode(&body, &s);
    queue(b, chain, who, TX_PACKET_SEND, &body);
    hbuf_free(&pay);
    hbuf_free(&body);
    commit(b, chain);
    relay(b, chain, TX_PACKET_SEND);
    commit(b, 1 - chain);
}

static void setup(xbench *b) {
    for (int i = 0; i < 3; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(i + 1), 0x78, 0x74};
        keypair_from_seed(&b->kp[i], seed);
    }
    for (int k = 0; k < 2; k++) {
        xchain *c = &b->c[k];
        c->id = 0xe2e40 + (uint32_t)k;
        ledger_genesis_account accts[3];
        for (int i = 0; i < 3; i++) {
            addr_from_pubkey(&b->kp[i].pub, &accts[i].addr);
            accts[i].balance = 1ull << 40;
        }
        uint8_t dseed[HANSA_SEED_BYTES] = {0xd0, (uint8_t)k};
        keypair_from_seed(&c->del, dseed);
        wire_validator del = {c->del.pub, 10};
        ledger_genesis g = {{.chain_id = c->id, .genesis_time_ms = 1000, .fee_burn_bps = 5000, .min_fee = 1,
                             .max_block_txs = WIRE_BLOCK_TXS_MAX, .elect = ledger_elect_params_default()},
                            accts, 3, &del, 1};
        static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x78};
        char why[LEDGER_WHY_MAX] = "";
        HANSA_ASSERT(ledger_genesis_state(&g, hash_key, &c->s, NULL, why, sizeof why) == HANSA_OK);
    }
    hansa_hash zero = {{0}};
    learn(&b->c[0], &b->c[1], 0, &zero, 1);
    learn(&b->c[1], &b->c[0], 0, &zero, 1);
    memset(b->tally.b, 0x7d, CREDIT_ID_BYTES);
    credit_contract k = {b->tally, {b->c[0].id, b->kp[0].pub}, {b->c[1].id, b->kp[1].pub},
                         {CREDIT_AMOUNT_MAX, 30}, {CREDIT_AMOUNT_MAX, 30}, 1};
    credit_xmsg m = {.kind = CREDIT_XMSG_OFFER, .from = CREDIT_STOCK, .contract = k};
    credit_contract_sign(&k, &b->kp[0], &m.sig);
    party_msg(b, 0, 0, &m);
    credit_xmsg a = {.kind = CREDIT_XMSG_ACCEPT, .from = CREDIT_FOIL, .id = b->tally, .revision = 1};
    credit_contract_sign(&k, &b->kp[1], &a.sig);
    party_msg(b, 1, 1, &a);
    b->busy_s = 0;
}

static bool identical(const xbench *b, uint64_t *n) {
    credit_tally *t0 = hansa_malloc(sizeof *t0), *t1 = hansa_malloc(sizeof *t1);
    bool ok = ledger_tally_get(b->c[0].s, &b->tally, t0) && ledger_tally_get(b->c[1].s, &b->tally, t1) &&
              t0->half[CREDIT_STOCK].n == t1->half[CREDIT_FOIL].n && t0->balance == t1->balance &&
              hash_eq(&t0->half[CREDIT_STOCK].end, &t1->half[CREDIT_FOIL].end) &&
              credit_half_settled(&t0->half[CREDIT_STOCK]) && credit_half_settled(&t1->half[CREDIT_FOIL]);
    *n = t1->half[CREDIT_FOIL].n;
    free(t0);
    free(t1);
    return ok;
}

int bench_credit_across(uint64_t n, uint64_t per_round) {
    crypto_init();
    xbench *b = hansa_calloc(1, sizeof *b);
    setup(b);
    uint64_t paid = 0, seq = 0;
    size_t packets = 0, exchanges = 0;
    while (paid < n) {
        /* Each side pays its share of the round on its own chain (the
         * stock's unordered tail holds at most CREDIT_TAIL_MAX). */
        for (int who = 0; who < 2; who++) {
            uint64_t k = who == 0 ? (per_round / 2 < CREDIT_TAIL_MAX ? per_round / 2 : CREDIT_TAIL_MAX)
                                  : per_round - per_round / 2;
            for (uint64_t i = 0; i < k && paid < n; i++, paid++, seq++) {
                credit_chit c;
                memset(&c, 0, sizeof c);
                c.tally_id = b->tally;
                memcpy(c.chit_id.b, &seq, sizeof seq);
                c.chit_id.b[15] = 2;
                c.by = who == 0 ? CREDIT_STOCK : CREDIT_FOIL;
                c.kind = CREDIT_CHIT_DIRECT;
                c.amount = 1000 + seq % 7;
                credit_chit_sign(&c, &b->kp[who]);
                hbuf body = HBUF_INIT;
                credit_chit_encode(&body, &c);
                queue(b, who, who, TX_CHIT, &body);
                hbuf_free(&body);
            }
        }
        uint64_t linked;
        do {
            packets += exchange(b);
            exchanges++;
        } while (!identical(b, &linked));
    }
    uint64_t linked;
    bool same = identical(b, &linked) && linked == n;
    char why[LEDGER_WHY_MAX] = "";
    uint64_t t0 = clock_system_mono_us();
    hansa_err err = ledger_credit_check(b->c[0].s, why, sizeof why);
    if (err == HANSA_OK) err = ledger_credit_check(b->c[1].s, why, sizeof why);
    double check_s = (double)(clock_system_mono_us() - t0) / 1e6;
    printf("bench-credit --across: %llu chits on one tally across two chains, rounds of %llu\n",
           (unsigned long long)n, (unsigned long long)per_round);
    printf("  applied        %.2f s  = %.0f chits/s (one core for both chains: chits, %zu tally packets "
           "sent, proven and acknowledged in %zu exchanges)\n",
           b->busy_s, (double)n / b->busy_s, packets, exchanges);
    printf("  chit chains    %s\n", same ? "identical on both chains" : "DIFFER");
    printf("  credit check   %.2f s  (%s)\n", check_s, err == HANSA_OK ? "ok on both chains" : why);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < XB_TXS_MAX; i++) {
            hbuf_free(&b->c[k].pending[i]);
            hbuf_free(&b->c[k].last[i]);
        }
        ledger_state_free(b->c[k].s);
    }
    free(b);
    return err == HANSA_OK && same ? CLI_OK : CLI_FAILED;
}
