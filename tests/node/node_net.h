/* node_net.h — several real nodes in one process, wired by a fake network.
 *
 * Each node has its own LMDB store in a temp dir; all share one fake clock.
 * A message a node sends is queued with a delivery time (now + the sender's
 * latency) and delivered in time order, so a "slow" delegate can be made
 * by giving it a latency. Peer handles are addresses: node i names node j
 * by &nn->link[i][j]; an outsider (a test playing a hostile peer) is any
 * other address the test passes to node_peer_up, and what nodes send to it
 * is only counted. The run loop delivers what is due, then moves the clock
 * to the next delivery or wake-up, so a test is deterministic and takes no
 * wall-clock time beyond the nodes' own work. */
#ifndef HANSA_TESTS_NODE_NET_H
#define HANSA_TESTS_NODE_NET_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "node/msg.h"
#include "node/node.h"
#include "wire/codec.h"

#define NN_MAX 4
#define NN_TYPES 256

typedef struct nn_net nn_net;

typedef struct {
    nn_net *net;
    int idx;
    char dir[256];
    store *st;
    node *n;
    uint64_t wake_ms;
    bool fatal;
    uint64_t latency_ms;       /* added to every message this node sends */
    size_t to_outsider[NN_TYPES]; /* messages sent to outsiders, by type */
    size_t drops;              /* peers this node dropped */
    size_t penalties;          /* penalty points it reported */
    bool fail_next_send;       /* the next send to a peer fails as a write does: the link drops inside it */
} nn_node;

typedef struct {
    int from, to;
} nn_link;

typedef struct {
    uint64_t at, seq;
    int from, to;
    uint8_t type;
    hbuf bytes;
} nn_msg;

struct nn_net {
    uint64_t now_ms;
    nn_node nodes[NN_MAX];
    size_t n;
    nn_link link[NN_MAX][NN_MAX];
    bool up[NN_MAX][NN_MAX];
    nn_msg *q;
    size_t n_q, cap_q;
    uint64_t seq;
    hansa_keypair keys[NN_MAX];
    wire_validator vals[NN_MAX];
    ledger_genesis_account accounts[NN_MAX];
    ledger_genesis genesis;
    hansa_clock clock;
};

static inline uint64_t nn_wall(void *ctx) { return 1767225600000ull + ((nn_net *)ctx)->now_ms; }
static inline uint64_t nn_mono(void *ctx) { return ((nn_net *)ctx)->now_ms; }

/* The node index a handle names as seen from node `from`, or -1 (an outsider). */
static inline int nn_peer_index(nn_net *nn, int from, void *peer) {
    for (size_t j = 0; j < nn->n; j++)
        if (peer == &nn->link[from][j]) return (int)j;
    return -1;
}

static inline void nn_enqueue(nn_net *nn, int from, int to, uint8_t type, const uint8_t *b, size_t len) {
    if (nn->n_q == nn->cap_q) {
        nn->cap_q = nn->cap_q ? 2 * nn->cap_q : 256;
        nn->q = hansa_realloc(nn->q, nn->cap_q * sizeof *nn->q);
    }
    nn_msg *m = &nn->q[nn->n_q++];
    *m = (nn_msg){nn->now_ms + nn->nodes[from].latency_ms, nn->seq++, from, to, type, HBUF_INIT};
    hbuf_append(&m->bytes, b, len);
}

static inline void nn_io_drop(void *ctx, void *peer, const char *reason);

static inline void nn_io_send(void *ctx, void *peer, uint8_t type, const uint8_t *b, size_t len) {
    nn_node *t = ctx;
    int j = nn_peer_index(t->net, t->idx, peer);
    if (j >= 0 && t->fail_next_send) { /* as net/host.c's failed uv_write: conn_close inside the send */
        t->fail_next_send = false;
        t->drops--; /* not a drop this node chose */
        nn_io_drop(ctx, peer, "write failed");
        return;
    }
    if (j < 0) t->to_outsider[type]++;
    else if (t->net->up[t->idx][j]) nn_enqueue(t->net, t->idx, j, type, b, len);
}

static inline void nn_io_broadcast(void *ctx, uint8_t type, const uint8_t *b, size_t len, void *except) {
    nn_node *t = ctx;
    nn_net *nn = t->net;
    for (size_t j = 0; j < nn->n; j++)
        if ((int)j != t->idx && nn->up[t->idx][j] && &nn->link[t->idx][j] != except)
            nn_enqueue(nn, t->idx, (int)j, type, b, len);
}

/* Like net_peer_drop: the link goes down at once and both ends hear of it
 * (node_peer_down runs inside the node's own call, as in hansad). */
static inline void nn_io_drop(void *ctx, void *peer, const char *reason) {
    nn_node *t = ctx;
    nn_net *nn = t->net;
    (void)reason;
    t->drops++;
    int j = nn_peer_index(nn, t->idx, peer);
    if (j >= 0) {
        if (!nn->up[t->idx][j]) return;
        nn->up[t->idx][j] = nn->up[j][t->idx] = false;
        node_peer_down(nn->nodes[j].n, &nn->link[j][t->idx]);
    }
    node_peer_down(t->n, peer);
}

static inline void nn_io_wake_at(void *ctx, uint64_t mono_ms) { ((nn_node *)ctx)->wake_ms = mono_ms; }

static inline void nn_io_fatal(void *ctx, const char *why) {
    nn_node *t = ctx;
    fprintf(stderr, "node%d fatal: %s\n", t->idx, why);
    t->fatal = true;
}

static inline void nn_io_penalize(void *ctx, void *peer, uint32_t points, const char *why) {
    nn_node *t = ctx;
    (void)peer;
    (void)why;
    t->penalties += points;
}

/* n delegates of power 10 from fixed seeds; evidence_age_max and the rest
 * from ledger defaults unless the test changes nn->genesis after this. */
static inline void nn_genesis(nn_net *nn, size_t n) {
    crypto_init();
    memset(nn, 0, sizeof *nn);
    nn->n = n;
    nn->clock = (hansa_clock){nn_wall, nn_mono, nn};
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(31 + i)};
        keypair_from_seed(&nn->keys[i], seed);
        nn->vals[i] = (wire_validator){nn->keys[i].pub, 10};
        addr_from_pubkey(&nn->keys[i].pub, &nn->accounts[i].addr);
        nn->accounts[i].balance = 1000000;
    }
    nn->genesis.params = (ledger_params){0xe2e4, 1767225600000ull, 5000, 1, 1000,
                                         ledger_elect_params_default()};
    nn->genesis.accounts = nn->accounts;
    nn->genesis.n_accounts = n;
    nn->genesis.delegates = nn->vals;
    nn->genesis.n_delegates = n;
}

/* Opens every node and connects each pair; cfg_fn (may be NULL) adjusts a
 * node's config before it opens. */
static inline void nn_start(nn_net *nn, void (*cfg_fn)(node_config *, int)) {
    const char *tmp = getenv("TMPDIR");
    for (size_t i = 0; i < nn->n; i++) {
        nn_node *t = &nn->nodes[i];
        t->net = nn;
        t->idx = (int)i;
        snprintf(t->dir, sizeof t->dir, "%s/hansa-nn-XXXXXX", tmp ? tmp : "/tmp");
        HANSA_ASSERT(mkdtemp(t->dir) != NULL);
        HANSA_ASSERT(store_open(t->dir, &(store_options){0}, &t->st) == HANSA_OK);
        node_config cfg;
        node_config_defaults(&cfg);
        cfg.st = t->st;
        cfg.genesis = &nn->genesis;
        cfg.key = &nn->keys[i];
        cfg.clock = &nn->clock;
        memset(cfg.hash_key, 3, sizeof cfg.hash_key);
        if (cfg_fn) cfg_fn(&cfg, (int)i);
        node_io io = {.ctx = t,
                      .send = nn_io_send,
                      .broadcast = nn_io_broadcast,
                      .drop = nn_io_drop,
                      .wake_at = nn_io_wake_at,
                      .fatal = nn_io_fatal,
                      .penalize = nn_io_penalize};
        char why[256];
        hansa_err err = node_open(&cfg, &io, &t->n, why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "node_open: %s\n", why);
        HANSA_ASSERT(err == HANSA_OK);
        for (size_t j = 0; j < nn->n; j++) nn->link[i][j] = (nn_link){(int)i, (int)j};
    }
    for (size_t i = 0; i < nn->n; i++) node_start(nn->nodes[i].n);
    for (size_t i = 0; i < nn->n; i++)
        for (size_t j = 0; j < nn->n; j++) {
            if (i == j) continue;
            nn->up[i][j] = true;
            node_peer_up(nn->nodes[i].n, &nn->link[i][j]);
        }
}

static inline void nn_rmdir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static inline void nn_stop(nn_net *nn) {
    for (size_t i = 0; i < nn->n; i++) {
        node_close(nn->nodes[i].n);
        store_close(nn->nodes[i].st);
        nn_rmdir(nn->nodes[i].dir);
    }
    for (size_t i = 0; i < nn->n_q; i++) hbuf_free(&nn->q[i].bytes);
    free(nn->q);
    nn->q = NULL;
    nn->n_q = nn->cap_q = 0;
}

static inline uint64_t nn_height(nn_net *nn, size_t i) {
    node_status s;
    node_get_status(nn->nodes[i].n, &s);
    return s.height;
}

static inline uint64_t nn_min_height(nn_net *nn) {
    uint64_t h = UINT64_MAX;
    for (size_t i = 0; i < nn->n; i++)
        if (nn_height(nn, i) < h) h = nn_height(nn, i);
    return h;
}

/* Delivers the earliest due message, if any. */
static inline bool nn_deliver_one(nn_net *nn) {
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < nn->n_q; i++)
        if (nn->q[i].at <= nn->now_ms &&
            (best == SIZE_MAX || nn->q[i].at < nn->q[best].at ||
             (nn->q[i].at == nn->q[best].at && nn->q[i].seq < nn->q[best].seq)))
            best = i;
    if (best == SIZE_MAX) return false;
    nn_msg m = nn->q[best];
    memmove(&nn->q[best], &nn->q[best + 1], (nn->n_q - best - 1) * sizeof *nn->q);
    nn->n_q--;
    if (nn->up[m.to][m.from] && !nn->nodes[m.to].fatal)
        node_on_message(nn->nodes[m.to].n, &nn->link[m.to][m.from], m.type, m.bytes.data,
                        m.bytes.len);
    hbuf_free(&m.bytes);
    return true;
}

/* One step: everything due is delivered and due wake-ups fire; otherwise
 * the clock moves to the next event. */
static inline void nn_step(nn_net *nn) {
    if (nn_deliver_one(nn)) return;
    bool woke = false;
    for (size_t i = 0; i < nn->n; i++) {
        nn_node *t = &nn->nodes[i];
        if (t->fatal || t->wake_ms > nn->now_ms) continue;
        t->wake_ms = UINT64_MAX;
        node_on_wake(t->n);
        woke = true;
    }
    if (woke) return;
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < nn->n_q; i++)
        if (nn->q[i].at < next) next = nn->q[i].at;
    for (size_t i = 0; i < nn->n; i++)
        if (!nn->nodes[i].fatal && nn->nodes[i].wake_ms < next) next = nn->nodes[i].wake_ms;
    HANSA_ASSERT(next != UINT64_MAX && next > nn->now_ms);
    nn->now_ms = next;
}

/* Runs until every node has committed `height`; false if that takes more
 * than max_ms of fake time. */
static inline bool nn_run_to_height(nn_net *nn, uint64_t height, uint64_t max_ms) {
    uint64_t end = nn->now_ms + max_ms;
    while (nn_min_height(nn) < height && nn->now_ms <= end) nn_step(nn);
    return nn_min_height(nn) >= height;
}

/* Runs for ms of fake time. */
static inline void nn_run_for(nn_net *nn, uint64_t ms) {
    uint64_t end = nn->now_ms + ms;
    while (nn->now_ms < end) nn_step(nn);
}

/* A prevote by key kp, signed. */
static inline wire_vote nn_prevote(const hansa_keypair *kp, uint64_t height, uint32_t round,
                            uint8_t block_byte) {
    wire_vote v = {.chain_id = 0xe2e4, .height = height, .round = round, .type = VOTE_PREVOTE,
                   .block = {.present = true}, .validator = kp->pub};
    v.block.hash.b[0] = block_byte;
    hbuf b = HBUF_INIT;
    wire_vote_sign_bytes(&b, &v);
    sign_domain(kp, SIGN_DOMAIN_VOTE, b.data, b.len, &v.sig);
    hbuf_free(&b);
    return v;
}

/* Encoded duplicate-vote evidence against kp at (height, round). */
static inline void nn_evidence(const hansa_keypair *kp, uint64_t height, uint32_t round, hbuf *out) {
    wire_vote x = nn_prevote(kp, height, round, 1), y = nn_prevote(kp, height, round, 2);
    wire_evidence ev;
    HANSA_ASSERT(wire_evidence_make(&x, &y, &ev) == HANSA_OK);
    hbuf_reset(out);
    wire_evidence_encode(out, &ev);
}

/* An encoded transfer from delegate `from`'s account to delegate 0's (or
 * 1's, if from is 0), signed unless bad_sig. */
static inline void nn_transfer(nn_net *nn, size_t from, uint64_t nonce, uint64_t fee,
                               uint64_t amount, bool bad_sig, hbuf *out) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, nn->accounts[from == 0 ? 1 : 0].addr.b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, amount);
    wire_tx tx = {.chain_id = 0xe2e4, .sender = nn->keys[from].pub, .nonce = nonce, .fee = fee,
                  .kind = TX_TRANSFER, .body = body, .body_len = LEDGER_TRANSFER_BODY_BYTES};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&nn->keys[from], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    if (bad_sig) tx.sig.b[0] ^= 1;
    hbuf_reset(out);
    wire_tx_encode(out, &tx);
}

#endif
