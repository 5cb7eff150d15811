/* test_node_abuse.c — four real nodes in one process (node_net.h) against
 * peers that send valid but abusive traffic: evidence floods, lies about
 * their height, floods of block requests, reconnects. Each test checks what
 * the honest delegates end up with (slashing, liveness, bytes sent), not
 * only that the node survived. */
#include "check.h"
#include "ledger/elect.h"
#include "node_net.h"

static int outsider, outsider2; /* hostile peers' handles: their addresses */

static void send_msg(nn_net *nn, size_t i, void *peer, uint8_t type, const hbuf *b) {
    node_on_message(nn->nodes[i].n, peer, type, b->data, b->len);
}

static bool tombstoned(nn_net *nn, size_t i, const hansa_pubkey *pk) {
    ledger_candidate c;
    return ledger_candidate_get(node_ledger(nn->nodes[i].n), pk, &c) &&
           (c.flags & LEDGER_CAND_TOMBSTONED);
}

/* ---- evidence ---- */

static void evidence_params(nn_net *nn) {
    nn->genesis.params.elect.evidence_age_max = 5;
    nn->genesis.params.elect.slash_bps = 5000;
}

/* Every pool is flooded with evidence too old to punish anyone (and with a
 * Byzantine delegate's evidence against itself, hundreds of items); then a
 * delegate double-signs and the evidence reaches every node. It must still
 * be pooled and committed: both offenders are tombstoned. */
static void test_evidence_flood_then_double_sign(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    evidence_params(&nn);
    nn_start(&nn, NULL);
    CHECK(nn_run_to_height(&nn, 12, 120000));
    hbuf b = HBUF_INIT;
    size_t byz = 3, offender = 2;
    for (size_t i = 0; i < nn.n; i++) {
        node_peer_up(nn.nodes[i].n, &outsider);
        uint64_t h = nn_height(&nn, i) + 1; /* the height being decided */
        /* Stale: heights no block from h on may carry (h - height > 5). */
        for (size_t k = 0; k < nn.n; k++)
            for (uint64_t sh = 1; sh + 5 < h; sh++)
                for (uint32_t r = 0; r < 12; r++) {
                    nn_evidence(&nn.keys[k], sh, r, &b);
                    send_msg(&nn, i, &outsider, MSG_EVIDENCE, &b);
                }
        /* Self-made: the Byzantine delegate's own fresh offences. */
        for (uint32_t r = 0; r < 300; r++) {
            nn_evidence(&nn.keys[byz], h - 1, r, &b);
            send_msg(&nn, i, &outsider, MSG_EVIDENCE, &b);
        }
    }
    size_t pooled = 0;
    node_evidence_pool(nn.nodes[0].n, &pooled);
    CHECK(pooled <= 2 * nn.n); /* one item per offender that can still be punished */
    /* The double signing at the height just decided, as the node that saw
     * both votes gossips it to every other. */
    for (size_t i = 0; i < nn.n; i++) {
        nn_evidence(&nn.keys[offender], nn_height(&nn, i), 0, &b);
        send_msg(&nn, i, &outsider, MSG_EVIDENCE, &b);
    }
    hbuf_free(&b);
    uint64_t h = nn_min_height(&nn);
    CHECK(nn_run_to_height(&nn, h + 6, 120000));
    for (size_t i = 0; i < nn.n; i++) {
        CHECK(!nn.nodes[i].fatal);
        CHECK(tombstoned(&nn, i, &nn.keys[offender].pub));
        CHECK(tombstoned(&nn, i, &nn.keys[byz].pub));
    }
    nn_stop(&nn);
}

/* ---- lying STATUS ---- */

/* Index of pk among the signers of the last commit in block `height` of
 * node i's store: true if it signed. */
static bool signed_last_commit(nn_net *nn, size_t i, uint64_t height, const hansa_pubkey *pk) {
    hbuf block = HBUF_INIT;
    hansa_hash id;
    HANSA_ASSERT(store_get_block(nn->nodes[i].st, height, &block, &id) == HANSA_OK);
    wire_block blk;
    HANSA_ASSERT(wire_block_decode(block.data, block.len, &blk, NULL) == HANSA_OK);
    int idx = valset_index(node_valset(nn->nodes[i].n), pk);
    HANSA_ASSERT(idx >= 0);
    bool found = false;
    for (uint16_t k = 0; blk.has_last_commit && k < blk.last_commit.n_sigs; k++)
        found |= blk.last_commit.sigs[k].validator_index == (uint16_t)idx;
    wire_block_free(&blk);
    hbuf_free(&block);
    return found;
}

/* Delegate 3 is slow: its messages take 100 ms, within the 200 ms commit
 * delay, so its precommits make every next block's last commit. A peer
 * claiming a height far ahead must not make the proposers skip that delay
 * (and so record delegate 3 as absent, and in the end jail it). */
static void test_lying_status_keeps_commit_delay(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    nn_start(&nn, NULL);
    nn.nodes[3].latency_ms = 100;
    CHECK(nn_run_to_height(&nn, 3, 60000));
    uint64_t from = nn_min_height(&nn) + 2;
    hbuf b = HBUF_INIT;
    for (int round = 0; round < 12; round++) {
        /* The liar (re)connects to everyone and claims a far height. */
        for (size_t i = 0; i < 3; i++) {
            node_peer_down(nn.nodes[i].n, &outsider);
            node_peer_up(nn.nodes[i].n, &outsider);
            msg_status st = {0xe2e4, nn_height(&nn, i) + 1000, {{9}}};
            hbuf_reset(&b);
            msg_status_encode(&b, &st);
            send_msg(&nn, i, &outsider, MSG_STATUS, &b);
        }
        CHECK(nn_run_to_height(&nn, nn_min_height(&nn) + 1, 60000));
    }
    hbuf_free(&b);
    uint64_t to = nn_min_height(&nn);
    size_t missing = 0;
    for (uint64_t h = from; h <= to; h++) missing += !signed_last_commit(&nn, 0, h, &nn.keys[3].pub);
    fprintf(stderr, "  blocks %llu..%llu: %zu last commits without the slow delegate\n",
            (unsigned long long)from, (unsigned long long)to, missing);
    CHECK(to >= from + 8);
    CHECK_EQ_U64(missing, 0);
    CHECK_EQ_U64(ledger_missed_get(node_ledger(nn.nodes[0].n), &nn.keys[3].pub), 0);
    nn_stop(&nn);
}

/* ---- transactions ---- */

/* A peer relaying transactions the ledger refuses (here: nonces far ahead)
 * is reported for each, so the driver can score it; duplicates of a queued
 * tx and the second half of a double spend are normal gossip and cost
 * nothing; a bad signature drops the link. */
static void test_refused_tx_penalized(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    nn_start(&nn, NULL);
    nn_node *t = &nn.nodes[0];
    node_peer_up(t->n, &outsider);
    hbuf b = HBUF_INIT;
    for (uint64_t i = 0; i < 50; i++) {
        nn_transfer(&nn, 1, 100 + i, 10, 1, false, &b);
        send_msg(&nn, 0, &outsider, MSG_TX, &b);
    }
    CHECK_EQ_U64(t->penalties, 50);
    CHECK_EQ_U64(t->drops, 0);
    nn_transfer(&nn, 1, 0, 10, 1, false, &b);
    for (int i = 0; i < 3; i++) send_msg(&nn, 0, &outsider, MSG_TX, &b);
    CHECK_EQ_U64(t->penalties, 50);
    /* The other half of a double spend (nonce 0 again, another amount):
     * refused, and not held against the relay. */
    nn_transfer(&nn, 1, 0, 10, 2, false, &b);
    send_msg(&nn, 0, &outsider, MSG_TX, &b);
    CHECK_EQ_U64(t->penalties, 50);
    nn_transfer(&nn, 2, 0, 10, 1, true, &b);
    send_msg(&nn, 0, &outsider, MSG_TX, &b);
    CHECK_EQ_U64(t->drops, 1);
    hbuf_free(&b);
    nn_stop(&nn);
}

static bool pooled(const nn_node *t, const hbuf *raw) {
    wire_tx tx;
    hansa_hash h;
    HANSA_ASSERT(wire_tx_decode(raw->data, raw->len, &tx, NULL) == HANSA_OK);
    wire_tx_hash(&tx, &h);
    return mempool_has(node_mempool(t->n), &h);
}

/* A bundle is judged tx by tx: a bad signature in the middle drops the peer
 * once, keeps what came before it (valid on its own, and relayed on) and
 * looks at nothing after it (no verification spent on a dropped peer). */
static void test_bad_sig_mid_bundle(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    nn_start(&nn, NULL);
    nn_node *t = &nn.nodes[0];
    node_peer_up(t->n, &outsider);
    hbuf tx[3] = {HBUF_INIT, HBUF_INIT, HBUF_INIT}, b = HBUF_INIT;
    for (size_t i = 0; i < 3; i++) nn_transfer(&nn, 1 + i, 0, 10, 1, i == 1, &tx[i]);
    msg_txs m = {.n = 3};
    for (size_t i = 0; i < 3; i++) m.tx[i] = tx[i].data, m.len[i] = (uint32_t)tx[i].len;
    msg_txs_encode(&b, &m);
    size_t before = mempool_count(node_mempool(t->n));
    send_msg(&nn, 0, &outsider, MSG_TXS, &b);
    CHECK_EQ_U64(t->drops, 1);
    CHECK_EQ_U64(t->penalties, 0);
    CHECK_EQ_U64(mempool_count(node_mempool(t->n)), before + 1);
    CHECK(pooled(t, &tx[0]));
    CHECK(!pooled(t, &tx[2]));
    for (size_t i = 0; i < 3; i++) hbuf_free(&tx[i]);
    hbuf_free(&b);
    nn_stop(&nn);
}

/* ---- amplification ---- */

static size_t queued_from(const nn_net *nn, size_t from, uint8_t type) {
    size_t k = 0;
    for (size_t i = 0; i < nn->n_q; i++) k += nn->q[i].from == (int)from && nn->q[i].type == type;
    return k;
}

/* A peer that reconnects over and over gets the undecided height's
 * proposal each time it comes up; the node's other peers do not get it
 * again for every reconnect (a block of up to 24 MiB to every peer). */
static void test_reconnect_resends_to_new_peer_only(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    for (size_t i = 0; i < nn.n; i++) nn.nodes[i].latency_ms = 1000000000; /* nothing decides */
    nn_start(&nn, NULL);
    const cons_valset *vs = node_valset(nn.nodes[0].n);
    const hansa_pubkey *proposer = &vs->v[valset_proposer(vs, 0)].pubkey;
    size_t p = 0;
    while (!pubkey_eq(&nn.keys[p].pub, proposer)) p++;
    nn_node *t = &nn.nodes[p];
    size_t before = queued_from(&nn, p, MSG_PROPOSAL);
    CHECK(before >= nn.n - 1); /* it proposed, to each peer */
    for (int i = 0; i < 10; i++) {
        node_peer_up(t->n, &outsider);
        node_peer_down(t->n, &outsider);
    }
    CHECK_EQ_U64(t->to_outsider[MSG_PROPOSAL], 10);
    CHECK_EQ_U64(queued_from(&nn, p, MSG_PROPOSAL), before);
    nn_stop(&nn);
}

/* A flood of block requests from one peer is served at the configured
 * rate; what exceeds it is not served but scored, except one request kept
 * for later, so an honest peer syncing one block at a time is only slowed,
 * never left without an answer. */
static void serve_limit(node_config *cfg, int i) {
    (void)i;
    cfg->block_serve_per_s = 10;
    cfg->block_serve_burst = 5;
}

static void test_block_requests_rate_limited(void) {
    nn_net nn;
    nn_genesis(&nn, 4);
    nn_start(&nn, serve_limit);
    CHECK(nn_run_to_height(&nn, 3, 60000));
    nn_node *t = &nn.nodes[0];
    node_peer_up(t->n, &outsider);
    hbuf b = HBUF_INIT;
    size_t penalties = t->penalties;
    for (int i = 0; i < 500; i++) {
        hbuf_reset(&b);
        msg_block_req_encode(&b, 1 + (uint64_t)i % 3);
        send_msg(&nn, 0, &outsider, MSG_BLOCK_REQ, &b);
    }
    CHECK_EQ_U64(t->to_outsider[MSG_BLOCK], 5);
    CHECK(t->penalties - penalties >= 490);
    /* The kept request is answered once the rate allows (100 ms at 10/s). */
    nn_run_for(&nn, 300);
    CHECK_EQ_U64(t->to_outsider[MSG_BLOCK], 6);
    hbuf_free(&b);
    nn_stop(&nn);
}

int main(void) {
    (void)outsider2;
    RUN(test_evidence_flood_then_double_sign);
    RUN(test_lying_status_keeps_commit_delay);
    RUN(test_refused_tx_penalized);
    RUN(test_bad_sig_mid_bundle);
    RUN(test_reconnect_resends_to_new_peer_only);
    RUN(test_block_requests_rate_limited);
    return check_summary();
}
