/* test_node_receipts.c — underwriting between four real nodes in one
 * process (node_net.h): what the asking node does when an underwriter is
 * silent (docs/receipts.md). */
#include <string.h>

#include "check.h"
#include "node/node_int.h" /* NODE_PEERS_MAX */
#include "node/receipts.h"
#include "node_net.h"

typedef struct {
    int calls;
    hansa_err err;
    receipt rc;
    char why[256];
} answer;

static void on_done(void *ctx, hansa_err err, const char *why, const receipt *rc) {
    answer *a = ctx;
    a->calls++;
    a->err = err;
    snprintf(a->why, sizeof a->why, "%s", why ? why : "");
    if (rc) a->rc = *rc;
}

/* Node i bonds amount of receipt collateral from its own account. */
static void bond(nn_net *nn, size_t i, uint64_t amount) {
    uint8_t body[8];
    le64_store(body, amount);
    wire_tx tx = {.chain_id = 0xe2e4, .sender = nn->keys[i].pub, .nonce = 0, .fee = 1,
                  .kind = TX_RECEIPT_BOND, .body = body, .body_len = sizeof body};
    hbuf b = HBUF_INIT;
    wire_tx_sign_bytes(&b, &tx);
    sign_domain(&nn->keys[i], SIGN_DOMAIN_TX, b.data, b.len, &tx.sig);
    hbuf_reset(&b);
    wire_tx_encode(&b, &tx);
    hansa_hash h;
    char why[256];
    CHECK_ERR(node_submit_tx(nn->nodes[i].n, b.data, b.len, &h, why, sizeof why), HANSA_OK);
    hbuf_free(&b);
}

/* Heights 5 s apart: the transfer stays in the mempools while node0 waits. */
static void slow_heights(node_config *cfg, int i) {
    (void)i;
    cfg->commit_delay_ms = 5000;
}

/* Four nodes with heights 5 s apart, node i bonding bonds[i] of receipt
 * collateral (0: none), run until the bonds are committed. */
static void start_bonded(nn_net *nn, const uint64_t bonds[4]) {
    nn_genesis(nn, 4);
    nn_start(nn, slow_heights);
    for (size_t i = 0; i < 4; i++)
        if (bonds[i]) bond(nn, i, bonds[i]);
    CHECK(nn_run_to_height(nn, nn_min_height(nn) + 3, 120000));
}

static bool signed_by(const receipt *rc, const hansa_pubkey *pk, uint64_t amount) {
    for (uint8_t i = 0; i < rc->n_shares; i++)
        if (pubkey_eq(&rc->shares[i].signer, pk)) return rc->shares[i].amount == amount;
    return false;
}

/* The request was answered once, with a receipt of node0's 100 and node
 * `other`'s 400, every share's signature holding. */
static void check_answered(nn_net *nn, const answer *a, size_t other) {
    CHECK_EQ_U64(a->calls, 1);
    if (a->err != HANSA_OK) fprintf(stderr, "  refused: %s\n", a->why);
    CHECK_ERR(a->err, HANSA_OK);
    CHECK_EQ_U64(a->rc.n_shares, 2);
    CHECK(signed_by(&a->rc, &nn->keys[0].pub, 100));
    CHECK(signed_by(&a->rc, &nn->keys[other].pub, 400));
    CHECK(receipt_verify(&a->rc) < 0);
}

/* Node0 asks for a receipt of a transfer of amount from node `from`,
 * answered through a; returns the request's handle (0: answered at once). */
static uint64_t ask_receipt(nn_net *nn, size_t from, uint64_t amount, answer *a) {
    hbuf tx = HBUF_INIT;
    nn_transfer(nn, from, 0, 1, amount, false, &tx);
    node_receipt_req req = {.tx = tx.data, .tx_len = tx.len};
    receipt now;
    uint64_t handle;
    char why[256];
    CHECK_ERR(node_receipt_request(nn->nodes[0].n, &req, &now, &handle, on_done, a, why, sizeof why),
              HANSA_OK);
    hbuf_free(&tx);
    return handle;
}

/* Node0 covers 100 of 500 and asks its first peer, node1, whose answers
 * never arrive (the link from node0 to node1 drops everything). Before the
 * per-peer timer the request waited for node1 until the RPC gave up; now
 * node0 moves on after NODE_RECEIPT_ASK_MS and node2 underwrites the rest. */
static void test_silent_underwriter_passed_over(void) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 1000, 1000, 0});
    node_receipt_status st;
    node_receipt_status_get(nn.nodes[0].n, &st);
    CHECK_EQ_U64(st.free, 100);
    node_receipt_status_get(nn.nodes[2].n, &st);
    CHECK_EQ_U64(st.free, 1000);

    nn.up[0][1] = false; /* node0's asks to node1 are lost; 3 of 4 still commit */
    answer a = {0};
    uint64_t handle = ask_receipt(&nn, 3, 500, &a);
    CHECK(handle != 0); /* underwriters asked */
    nn_run_for(&nn, NODE_RECEIPT_ASK_MS / 2);
    CHECK_EQ_U64(a.calls, 0); /* still waiting for node1 */
    nn_run_for(&nn, NODE_RECEIPT_ASK_MS);
    check_answered(&nn, &a, 2);
    node_receipt_status_get(nn.nodes[1].n, &st);
    CHECK_EQ_U64(st.free, 1000); /* node1 never heard of it */
    nn_stop(&nn);
}

/* Node0 covers 100 of 5000 and its peers' collateral (none from node1,
 * 1000 each from node2 and node3) cannot cover the rest: node0 asks each
 * peer once, in slot order up to the last slot a peer ever took, and then
 * refuses, saying every peer was asked. */
static void test_every_peer_asked(void) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 0, 1000, 1000});
    answer a = {0};
    uint64_t handle = ask_receipt(&nn, 1, 5000, &a);
    CHECK(handle != 0);
    nn_run_for(&nn, 4 * NODE_RECEIPT_ASK_MS);
    CHECK_EQ_U64(a.calls, 1);
    CHECK_ERR(a.err, HANSA_ERR_FUNDS);
    CHECK(strstr(a.why, "every peer asked") != NULL);
    CHECK(strstr(a.why, "covers 2100 of 5000") != NULL); /* node3, in the last slot, too */
    nn_stop(&nn);
}

/* The link between node0 and node j goes down or comes back up, both ends
 * told (as net/ does). */
static void link_set(nn_net *nn, int j, bool up) {
    nn->up[0][j] = nn->up[j][0] = up;
    if (up) {
        node_peer_up(nn->nodes[0].n, &nn->link[0][j]);
        node_peer_up(nn->nodes[j].n, &nn->link[j][0]);
    } else {
        node_peer_down(nn->nodes[0].n, &nn->link[0][j]);
        node_peer_down(nn->nodes[j].n, &nn->link[j][0]);
    }
}

/* Node0's peers sit in slots 0, 1, 2 (node1, node2, node3); only node3
 * has collateral, and it is away when node0 asks. Node0 asks node1, which
 * refuses, then node2, which is silent; meanwhile node1 leaves and node3
 * comes back into the freed slot 0, below the one asked and where a peer
 * was asked already. Node0 must still ask node3 before giving up (a cursor
 * over slots passed it, and so would a mark per slot that outlived the
 * peer it marked). */
static void test_peer_in_lower_slot_asked(void) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 0, 0, 1000});
    link_set(&nn, 3, false); /* slot 2 free; 3 of 4 still commit */
    nn.up[0][2] = false;     /* node0's asks to node2 are lost */
    answer a = {0};
    uint64_t handle = ask_receipt(&nn, 2, 500, &a);
    CHECK(handle != 0);
    nn_run_for(&nn, NODE_RECEIPT_ASK_MS / 2);
    CHECK_EQ_U64(a.calls, 0); /* node1 refused; waiting for node2 */
    link_set(&nn, 1, false);
    link_set(&nn, 3, true);   /* node3 takes slot 0 */
    nn_run_for(&nn, 2 * NODE_RECEIPT_ASK_MS);
    check_answered(&nn, &a, 3);
    nn_stop(&nn);
}

/* Node0's two peers never answer (its asks to them are lost) and drop
 * and reconnect in turn, each taking its slot back: every drop makes node0
 * ask the other, whose slot a reconnect cleared. The request must still
 * end, refused, after as many asks as a node has peer slots, not stay open
 * asking until the RPC gives up. */
static void test_flapping_peers_asked_bounded(void) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 0, 0, 0});
    link_set(&nn, 3, false);
    nn.up[0][1] = nn.up[0][2] = false;
    answer a = {0};
    CHECK(ask_receipt(&nn, 1, 500, &a) != 0);
    for (int round = 0; round < NODE_PEERS_MAX && a.calls == 0; round++)
        for (int j = 1; j <= 2; j++) {
            link_set(&nn, j, false);
            link_set(&nn, j, true);
            nn.up[0][j] = false;
            nn_run_for(&nn, 50);
        }
    CHECK_EQ_U64(a.calls, 1);
    CHECK_ERR(a.err, HANSA_ERR_FUNDS);
    CHECK(strstr(a.why, "as many asks as a node has peer slots") != NULL);
    nn_stop(&nn);
}

/* Messages node from has sent that are still queued (the link to their
 * addressee lost or not yet delivered). */
static size_t queued_from(const nn_net *nn, int from) {
    size_t k = 0;
    for (size_t i = 0; i < nn->n_q; i++) k += nn->q[i].from == from;
    return k;
}

/* Node0 covers 100 of 500 and waits on node1 (its asks are lost) when it
 * stops (chain_fatal, as a failing store stops it). node1 then leaves:
 * the stopped node forgets it but asks no one else and answers nothing,
 * as every other entry point of a stopped node (peer events included)
 * sends nothing and calls nothing back. */
static void test_stopped_node_peer_down(void) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 0, 1000, 1000});
    nn.up[0][1] = false; /* node0's asks to node1 are lost */
    answer a = {0};
    CHECK(ask_receipt(&nn, 1, 500, &a) != 0);
    nn_run_for(&nn, NODE_RECEIPT_ASK_MS / 2);
    CHECK_EQ_U64(a.calls, 0); /* waiting for node1 */
    fprintf(stderr, "  (node0's fatal below is the test's)\n");
    chain_fatal(nn.nodes[0].n, "stopped by the test");
    CHECK(nn.nodes[0].fatal);
    size_t queued = queued_from(&nn, 0);
    link_set(&nn, 1, false);
    CHECK_EQ_U64(queued_from(&nn, 0), queued); /* no ask to node2 or node3 */
    CHECK_EQ_U64(a.calls, 0);
    node_status st;
    node_get_status(nn.nodes[0].n, &st);
    CHECK_EQ_U64(st.peers, 2); /* node1 forgotten all the same */
    nn_stop(&nn);
}

/* Node0, covering 100 of 500, with peers 1..up_to-1 up, asks for a receipt
 * and must be refused at once with HANSA_ERR_FUNDS whose text holds `says`:
 * no handle, no done, nothing reserved. The done used to come before
 * node_receipt_request returned, and the RPC's submit_receipt, whose call
 * was not deferred yet, then stopped the node. Returns whether the transfer
 * was admitted. */
static bool refused_at_once(int up_to, bool fail_send, const char *says) {
    nn_net nn;
    start_bonded(&nn, (const uint64_t[4]){100, 1000, 1000, 0});
    for (int j = up_to; j < 4; j++) link_set(&nn, j, false);
    hbuf tx = HBUF_INIT;
    nn_transfer(&nn, 3, 0, 1, 500, false, &tx);
    bool said_admitted = false;
    node_receipt_req req = {.tx = tx.data, .tx_len = tx.len, .admitted = &said_admitted};
    receipt now;
    uint64_t handle = 1;
    char why[256];
    answer a = {0};
    nn.nodes[0].fail_next_send = fail_send;
    CHECK_ERR(node_receipt_request(nn.nodes[0].n, &req, &now, &handle, on_done, &a, why, sizeof why),
              HANSA_ERR_FUNDS);
    CHECK(strstr(why, says) != NULL);
    CHECK_EQ_U64(handle, 0);
    CHECK_EQ_U64(a.calls, 0);
    node_receipt_status st;
    node_receipt_status_get(nn.nodes[0].n, &st);
    CHECK_EQ_U64(st.free, 100); /* nothing reserved, or the reservation given back */
    hansa_hash th;
    sha256(tx.data, tx.len, &th);
    bool admitted = mempool_has(node_mempool(nn.nodes[0].n), &th);
    CHECK(said_admitted == admitted); /* what the RPC's refusal tells the client */
    hbuf_free(&tx);
    nn_stop(&nn);
    return admitted;
}

/* No peer up: refused before the transfer is admitted. */
static void test_no_peer_refused_at_once(void) { CHECK(!refused_at_once(1, false, "no peer to ask")); }

/* One peer up, and the link to it fails under the ask (a failed write
 * closes it inside the send, and node_peer_down gives the request up right
 * there): the request's own result; the transfer was admitted before. */
static void test_ask_fails_inside_request(void) { CHECK(refused_at_once(2, true, "every peer asked")); }

int main(void) {
    RUN(test_silent_underwriter_passed_over);
    RUN(test_every_peer_asked);
    RUN(test_peer_in_lower_slot_asked);
    RUN(test_flapping_peers_asked_bounded);
    RUN(test_stopped_node_peer_down);
    RUN(test_no_peer_refused_at_once);
    RUN(test_ask_fails_inside_request);
    return check_summary();
}
