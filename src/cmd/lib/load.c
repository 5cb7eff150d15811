/* load.c — see load.h.
 *
 * Threads: one submitter per node and the main thread, which polls and
 * keeps the clock. One mutex guards the senders, the pacing deadline and
 * the result; signing and RPC happen outside it. A sender is only ever
 * filled into a batch by the thread of the node it is pinned to, and only
 * that thread moves it to another node, so a sender's nonces go out in
 * order. */
#include "cmd/lib/load.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/load_form.h"
#include "cmd/lib/load_nonces.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define LOAD_POLL_US 20000u           /* status poll period */
#define LOAD_NAP_US 2000u             /* a submitter with nothing to send waits this long */
#define LOAD_BATCH_MAX LOAD_FORM_TXS_MAX /* the server's default max_batch */
#define LOAD_TIMEOUT_PACED_MS 3000    /* a lost node should cost the paced load little */
#define LOAD_TIMEOUT_SATURATED_MS 10000 /* a full batch under full load can take seconds */
#define LOAD_NODE_BACKOFF_US 2000000u /* skip a node this long after it did not answer */
#define LOAD_AMOUNT 1                 /* units per transfer: the balances last */
#define LOAD_WINDOW_DEFAULT 256
#define LOAD_TX_BYTES_MAX 512

typedef struct {
    const keyfile_key *key;  /* borrowed from the key file */
    char addr[ADDR_TEXT_MAX];
    hansa_addr to;
    int node;                /* the node it submits to (moves on when one is down) */
    uint64_t next_nonce;     /* the nonce to submit next */
    uint64_t committed;      /* committed nonce last read */
    load_nonces txs;         /* its transactions by nonce; txs.base: committed nonce at start */
    bool resync;             /* rejected in the batch at hand: re-read its nonce */
    /* Signed before the load (load_opts.presign): the encodings of nonces
     * txs.base .. txs.base + n_pre - 1, pre_len bytes each, and their
     * hashes. Read-only once the load runs. */
    uint8_t *pre;
    hansa_hash *pre_hash;
    uint32_t n_pre;
    size_t pre_len;
} load_sender;

typedef struct {
    const load_opts *o;
    load_result *r;
    keyfile kf;
    load_sender *senders;
    int n_senders;
    char addrs[LOAD_NODES_MAX][64];
    int n_nodes;
    _Atomic uint64_t down_until_us[LOAD_NODES_MAX]; /* a node that did not answer is skipped till then */
    size_t cursor[LOAD_NODES_MAX]; /* round-robin start over the senders, per node */
    uint32_t chain_id, window;
    const load_form *form; /* submit_txs, or a batch of submit_tx calls for nodes from before it */
    int timeout_ms;
    uint64_t due_us, step_us;      /* pacing: the next transaction may go at due_us */
    uint64_t height, committed_txs; /* last status seen */
    pthread_mutex_t mu;
    atomic_bool stop;
    /* Bumped (under mu) whenever senders may have gained room: the poller
     * saw commits, senders moved to another node, the load stops. */
    pthread_cond_t room;
    _Atomic uint64_t room_epoch;
} load_ctx;

/* The connections one thread keeps, one per node, each opened on first use
 * and kept for the calls after it (rpc_client.h), and its reused buffers. */
typedef struct {
    rpcc_conn conn[LOAD_NODES_MAX];
    int n;
    hbuf body;  /* a request body (load_form's encoders) */
    hbuf live;  /* the transactions of a batch signed as it goes */
    hbuf one;   /* one transaction being signed */
} load_link;

static void link_init(load_ctx *c, load_link *l) {
    memset(l, 0, sizeof *l);
    l->n = c->n_nodes;
    for (int i = 0; i < l->n; i++) rpcc_conn_init(&l->conn[i], c->addrs[i]);
}

/* Closes the link's connections and counts them in the result (under the lock). */
static void link_free(load_ctx *c, load_link *l) {
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < l->n; i++) {
        c->r->connections += l->conn[i].dials;
        c->r->resent += l->conn[i].resent;
        rpcc_conn_free(&l->conn[i]);
    }
    pthread_mutex_unlock(&c->mu);
    hbuf_free(&l->body);
    hbuf_free(&l->live);
    hbuf_free(&l->one);
}

/* Wakes the submitters waiting for room (wait_for_room). Under the lock. */
static void room_opened(load_ctx *c) {
    atomic_fetch_add(&c->room_epoch, 1);
    pthread_cond_broadcast(&c->room);
}

/* ---- results ---- */

void load_result_free(load_result *r) {
    free(r->txs);
    memset(r, 0, sizeof *r);
}

/* ---- RPC ---- */

static bool node_down(load_ctx *c, int node, uint64_t now) {
    return now < atomic_load(&c->down_until_us[node]);
}

/* A node that did not answer is not asked again for LOAD_NODE_BACKOFF_US
 * (calls to it fail at once, as transport errors), so a dead or
 * partitioned node costs one timeout, not one per call. */
static void back_off(load_ctx *c, int node) {
    atomic_store(&c->down_until_us[node], clock_system_mono_us() + LOAD_NODE_BACKOFF_US);
}

/* One batch of calls (stolen) to node over the link's connection to it;
 * the reply array, or NULL with err set. */
static json_t *batch_call(load_ctx *c, load_link *l, int node, json_t *calls, rpcc_error *err) {
    HANSA_ASSERT(node >= 0 && node < c->n_nodes);
    if (node_down(c, node, clock_system_mono_us())) {
        json_decref(calls);
        *err = (rpcc_error){0, "node did not answer a moment ago", NULL};
        return NULL;
    }
    json_t *r = rpcc_conn_json(&l->conn[node], calls, c->timeout_ms, err);
    if (r && !json_is_array(r)) {
        json_decref(r);
        r = NULL;
        *err = (rpcc_error){0, "batch reply is not a JSON array", NULL};
    }
    if (!r && err->code == 0) back_off(c, node);
    return r;
}

/* A batch member; params (stolen) may be NULL. */
static json_t *request(int id, const char *method, json_t *params) {
    json_t *req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", id, "method", method);
    if (params) json_object_set_new(req, "params", params);
    return req;
}

/* Heights and counts are integers in some views and decimal strings in
 * others (docs/rpc.md): either, 0 if absent. */
static uint64_t u64_of(json_t *j) {
    if (json_is_integer(j)) return (uint64_t)json_integer_value(j);
    const char *s = json_string_value(j);
    return s ? strtoull(s, NULL, 10) : 0;
}

/* The member of a batch reply with this id, or NULL. */
static json_t *reply_of(json_t *reply, int id) {
    size_t i;
    json_t *m;
    json_array_foreach(reply, i, m) {
        if (json_integer_value(json_object_get(m, "id")) == id) return m;
    }
    return NULL;
}

/* Asks node for the committed nonces of senders which[0..n) (n <= the batch
 * maximum); got[i] says whether nonce[i] was read. Returns false if the
 * node did not answer. Reads only immutable sender fields (no lock). */
static bool query_nonces(load_ctx *c, load_link *l, int node, const int *which, int n, uint64_t *nonce, bool *got) {
    HANSA_ASSERT(n <= LOAD_BATCH_MAX);
    json_t *calls = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(calls, request(i, "account", json_pack("{s:s}", "address",
                                                                      c->senders[which[i]].addr)));
    rpcc_error err;
    json_t *r = batch_call(c, l, node, calls, &err);
    if (!r) {
        json_decref(err.data);
        return false;
    }
    for (int i = 0; i < n; i++) {
        json_t *res = json_object_get(reply_of(r, i), "result");
        got[i] = res != NULL;
        if (got[i]) nonce[i] = u64_of(json_object_get(res, "nonce"));
    }
    json_decref(r);
    return true;
}

/* The committed nonce of sender i, asked of node first and then of the
 * others. Returns false if no node answers. */
static bool read_nonce(load_ctx *c, load_link *l, int i, int node, uint64_t *nonce) {
    for (int k = 0; k < c->n_nodes; k++) {
        bool got = false;
        if (query_nonces(c, l, (node + k) % c->n_nodes, &i, 1, nonce, &got) && got) return true;
    }
    return false;
}

/* Height and committed_txs of the first node that answers, which goes to
 * *node. Returns false if none answers. */
static bool read_status(load_ctx *c, load_link *l, int *node, uint64_t *height, uint64_t *committed_txs) {
    for (int i = 0; i < c->n_nodes; i++) {
        rpcc_error err;
        json_t *r = batch_call(c, l, i, json_pack("[o]", request(0, "status", NULL)), &err);
        json_t *st = r ? json_object_get(reply_of(r, 0), "result") : NULL;
        if (!r) json_decref(err.data);
        if (st) {
            *node = i;
            *height = u64_of(json_object_get(st, "height"));
            *committed_txs = u64_of(json_object_get(st, "committed_txs"));
        }
        json_decref(r);
        if (st) return true;
    }
    return false;
}

/* ---- commit tracking ---- */

/* The sender's committed nonce is now `nonce`: every transaction of ours
 * below it committed. Under the lock. */
static void mark_committed(load_ctx *c, load_sender *s, uint64_t nonce, uint64_t now) {
    if (nonce <= s->committed) return;
    if (nonce > LOAD_NONCE_MAX) { /* a node's reading no chain reaches: nothing moves */
        snprintf(c->r->last_reason, sizeof c->r->last_reason,
                 "a node said acct%d's committed nonce is %" PRIu64 ": ignored", (int)(s - c->senders), nonce);
        return;
    }
    load_nonces_committed(&s->txs, c->r, s->committed, nonce, now);
    s->committed = nonce;
    if (s->next_nonce < nonce) s->next_nonce = nonce;
}

/* Reads the nonces of the senders with transactions in flight from node,
 * in batches, and marks what committed. */
static void poll_nonces(load_ctx *c, load_link *l, int node) {
    int which[LOAD_BATCH_MAX], n = 0;
    for (int i = 0; i < c->n_senders; i++) {
        pthread_mutex_lock(&c->mu);
        const load_sender *s = &c->senders[i];
        bool in_flight = s->committed < load_nonces_end(&s->txs);
        pthread_mutex_unlock(&c->mu);
        if (in_flight) which[n++] = i;
        if (n < LOAD_BATCH_MAX && !(n > 0 && i == c->n_senders - 1)) continue;
        uint64_t nonce[LOAD_BATCH_MAX];
        bool got[LOAD_BATCH_MAX];
        if (!query_nonces(c, l, node, which, n, nonce, got)) return;
        uint64_t now = clock_system_mono_us();
        pthread_mutex_lock(&c->mu);
        for (int k = 0; k < n; k++)
            if (got[k]) mark_committed(c, &c->senders[which[k]], nonce[k], now);
        room_opened(c);
        pthread_mutex_unlock(&c->mu);
        n = 0;
    }
}

/* One poll: the status of the first node that answers and, when its height
 * moved, the senders' nonces. Returns false if no node answered. */
static bool poll_commits(load_ctx *c, load_link *l) {
    int node;
    uint64_t h, txs;
    if (!read_status(c, l, &node, &h, &txs)) return false;
    pthread_mutex_lock(&c->mu);
    bool moved = h != c->height;
    c->height = c->r->height_end = h;
    c->committed_txs = c->r->committed_txs_end = txs;
    pthread_mutex_unlock(&c->mu);
    if (moved) poll_nonces(c, l, node);
    return true;
}

/* ---- signing ---- */

/* The transaction of sender s at nonce, encoded into b (reset first). */
static void sign_tx_bytes(const load_ctx *c, const load_sender *s, uint64_t nonce, hbuf *b) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, s->to.b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, LOAD_AMOUNT);
    wire_tx tx = {.chain_id = c->chain_id, .sender = s->key->kp.pub, .nonce = nonce, .fee = c->o->fee,
                  .kind = TX_TRANSFER, .body = body, .body_len = sizeof body};
    hbuf_reset(b);
    wire_tx_sign_bytes(b, &tx);
    sign_domain(&s->key->kp, SIGN_DOMAIN_TX, b->data, b->len, &tx.sig);
    hbuf_reset(b);
    wire_tx_encode(b, &tx);
    HANSA_ASSERT(b->len <= LOAD_TX_BYTES_MAX);
}

/* The transaction of sender s at nonce and its hash: what was signed
 * before the load if it is there (*tx points into s->pre), else signed now
 * and appended to l->live (*tx is NULL and *live_off where it starts: the
 * buffer may move until the batch is complete). Returns true if it had to
 * be signed now. */
static bool sign_tx(const load_ctx *c, const load_sender *s, uint64_t nonce, load_link *l,
                    const uint8_t **tx, size_t *len, size_t *live_off, hansa_hash *hash) {
    uint64_t k = nonce - s->txs.base;
    if (nonce >= s->txs.base && k < s->n_pre) {
        *tx = s->pre + k * s->pre_len;
        *len = s->pre_len;
        *hash = s->pre_hash[k];
        return false;
    }
    sign_tx_bytes(c, s, nonce, &l->one);
    sha256(l->one.data, l->one.len, hash);
    *tx = NULL;
    *len = l->one.len;
    *live_off = l->live.len;
    hbuf_append(&l->live, l->one.data, l->one.len);
    return true;
}

/* ---- signing before the load ---- */

typedef struct {
    load_ctx *c;
    int first, step; /* senders first, first + step, ... */
    pthread_t thread;
} presigner;

static void presign_sender(load_ctx *c, load_sender *s, uint32_t n) {
    hbuf b = HBUF_INIT;
    s->pre_hash = hansa_calloc(n, sizeof *s->pre_hash);
    for (uint32_t k = 0; k < n; k++) {
        sign_tx_bytes(c, s, s->txs.base + k, &b);
        if (k == 0) {
            s->pre_len = b.len;
            s->pre = hansa_malloc((size_t)n * b.len);
        }
        HANSA_ASSERT(b.len == s->pre_len); /* transfers of one sender: fixed-width fields */
        memcpy(s->pre + (size_t)k * s->pre_len, b.data, b.len);
        sha256(b.data, b.len, &s->pre_hash[k]);
    }
    s->n_pre = n;
    hbuf_free(&b);
}

static void *presigner_main(void *arg) {
    presigner *p = arg;
    for (int i = p->first; i < p->c->n_senders; i += p->step)
        presign_sender(p->c, &p->c->senders[i], p->c->o->presign);
    return NULL;
}

/* Signs o->presign transactions of every sender on o->presign_threads
 * threads, before the clock of the load starts. */
static void presign_all(load_ctx *c) {
    int t = c->o->presign_threads > 0 ? c->o->presign_threads : 1;
    if (t > LOAD_NODES_MAX) t = LOAD_NODES_MAX;
    presigner ps[LOAD_NODES_MAX];
    uint64_t t0 = clock_system_mono_us();
    for (int i = 0; i < t; i++) {
        ps[i] = (presigner){c, i, t, 0};
        HANSA_ASSERT(pthread_create(&ps[i].thread, NULL, presigner_main, &ps[i]) == 0);
    }
    for (int i = 0; i < t; i++) pthread_join(ps[i].thread, NULL);
    c->r->presigned = (uint64_t)c->n_senders * c->o->presign;
    c->r->presign_s = (double)(clock_system_mono_us() - t0) / 1e6;
}

/* ---- submitting ---- */

typedef struct {
    int n;
    load_sender *s[LOAD_BATCH_MAX];
    uint64_t nonce[LOAD_BATCH_MAX];
    bool held[LOAD_BATCH_MAX];     /* some node holds it (admitted, or already had it) */
    bool rejected[LOAD_BATCH_MAX]; /* some node refused it */
} batch;

/* How many transactions the pacing lets go now (under the lock). */
static int paced_room(load_ctx *c, uint64_t now) {
    if (!c->step_us) return LOAD_BATCH_MAX;
    if (c->due_us + 1000000 < now) c->due_us = now; /* do not burst to catch up a stall */
    if (now < c->due_us) return 0;
    uint64_t k = (now - c->due_us) / c->step_us + 1;
    return k < LOAD_BATCH_MAX ? (int)k : LOAD_BATCH_MAX;
}

/* Picks the next transactions of node's senders that have room in their
 * window, round robin (under the lock). */
static void fill_batch(load_ctx *c, int node, batch *b) {
    int room = paced_room(c, clock_system_mono_us());
    size_t start = c->cursor[node], n = (size_t)c->n_senders;
    for (size_t step = 0; step < n && b->n < room; step++) {
        load_sender *s = &c->senders[(start + step) % n];
        if (s->node != node) continue;
        while (b->n < room && s->next_nonce - s->committed < c->window) {
            b->s[b->n] = s;
            b->nonce[b->n++] = s->next_nonce++;
        }
        c->cursor[node] = (start + step + 1) % n;
    }
    c->due_us += (uint64_t)b->n * c->step_us;
}

/* Sends the batch's request (l->body, in c->form) to node and counts what
 * the node said of each transaction into b. Returns false if the node did
 * not answer (its transactions are then neither held nor refused). */
static bool send_batch(load_ctx *c, load_link *l, int node, batch *b) {
    load_verdict v[LOAD_BATCH_MAX];
    char why[RPCC_ERR_MAX] = "node did not answer a moment ago";
    bool answered = false;
    if (!node_down(c, node, clock_system_mono_us())) {
        size_t len;
        int status;
        rpcc_error err;
        const uint8_t *reply = rpcc_conn_post(&l->conn[node], c->form->path, c->form->content_type,
                                              l->body.data, l->body.len, c->timeout_ms, &len, &status, &err);
        if (reply) answered = c->form->judge(reply, len, b->n, v, why, sizeof why);
        else snprintf(why, sizeof why, "%s", err.message);
        if (!answered) back_off(c, node);
    }
    pthread_mutex_lock(&c->mu);
    c->r->submits += (uint64_t)b->n;
    if (!answered) {
        c->r->unreachable += (uint64_t)b->n;
        snprintf(c->r->last_reason, sizeof c->r->last_reason, "node%d: %.120s", node, why);
    }
    if (answered) load_verdicts_tally(c->r, v, b->n, b->held, b->rejected);
    pthread_mutex_unlock(&c->mu);
    return answered;
}

/* The node after `node` that is not backing off, or node + 1 if all are. */
static int next_node(load_ctx *c, int node) {
    uint64_t now = clock_system_mono_us();
    for (int k = 1; k < c->n_nodes; k++)
        if (!node_down(c, (node + k) % c->n_nodes, now)) return (node + k) % c->n_nodes;
    return (node + 1) % c->n_nodes;
}

/* After the replies: held transactions are accepted; a sender whose
 * transaction was refused re-reads its nonce and goes on from there; one
 * whose node did not answer goes on from its first transaction not held,
 * at the next node. */
static void settle_batch(load_ctx *c, load_link *l, int node, batch *b) {
    uint64_t now = clock_system_mono_us();
    int resync[LOAD_BATCH_MAX], n_resync = 0;
    pthread_mutex_lock(&c->mu);
    for (int i = b->n - 1; i >= 0; i--) { /* backwards: a sender ends at its lowest nonce not held */
        load_sender *s = b->s[i];
        load_tx *t = load_nonces_at(&s->txs, c->r, b->nonce[i]);
        HANSA_ASSERT(t != NULL); /* recorded when the batch was filled */
        if (b->held[i]) {
            if (t->state == LOAD_TX_NEW) {
                t->state = LOAD_TX_ACCEPTED;
                t->accept_us = now;
                c->r->accepted++;
            }
            continue;
        }
        if (s->next_nonce > b->nonce[i])
            s->next_nonce = b->nonce[i] > s->committed ? b->nonce[i] : s->committed;
        if (!b->rejected[i] && !c->o->node_all && s->node == node) s->node = next_node(c, node);
        if (b->rejected[i] && !s->resync) {
            s->resync = true;
            resync[n_resync++] = (int)(s - c->senders);
        }
    }
    room_opened(c); /* senders moved to another node, or back to a nonce to resend */
    pthread_mutex_unlock(&c->mu);
    for (int k = 0; k < n_resync; k++) {
        uint64_t chain;
        bool got = read_nonce(c, l, resync[k], node, &chain);
        pthread_mutex_lock(&c->mu);
        load_sender *s = &c->senders[resync[k]];
        if (got) {
            mark_committed(c, s, chain, clock_system_mono_us());
            /* Resubmit from the first one not committed; a lagging node's
             * answer is not taken below what another already showed. */
            s->next_nonce = s->committed;
        }
        s->resync = false;
        room_opened(c);
        pthread_mutex_unlock(&c->mu);
    }
}

/* Sends node one batch of its senders' next transactions (to every node
 * with node_all). Returns how many transactions it sent (0 when none had
 * room or the pacing holds them back). */
static int submit_batch(load_ctx *c, load_link *l, int node) {
    batch b;
    b.n = 0;
    pthread_mutex_lock(&c->mu);
    fill_batch(c, node, &b);
    pthread_mutex_unlock(&c->mu);
    if (b.n == 0) return 0;
    memset(b.held, 0, sizeof b.held);
    memset(b.rejected, 0, sizeof b.rejected);
    const uint8_t *tx[LOAD_BATCH_MAX];
    size_t len[LOAD_BATCH_MAX], live_off[LOAD_BATCH_MAX];
    hansa_hash hash[LOAD_BATCH_MAX];
    bool live[LOAD_BATCH_MAX];
    int n_live = 0;
    hbuf_reset(&l->live);
    for (int i = 0; i < b.n; i++) {
        live[i] = sign_tx(c, b.s[i], b.nonce[i], l, &tx[i], &len[i], &live_off[i], &hash[i]);
        n_live += live[i];
    }
    for (int i = 0; i < b.n; i++)
        if (live[i]) tx[i] = l->live.data + live_off[i]; /* l->live no longer moves */
    uint64_t now = clock_system_mono_us();
    pthread_mutex_lock(&c->mu);
    c->r->signed_live += (uint64_t)n_live;
    for (int i = 0; i < b.n; i++) {
        uint32_t account = (uint32_t)(b.s[i] - c->senders);
        load_tx *t = load_nonces_record(&b.s[i]->txs, c->r, account, b.nonce[i], &hash[i]);
        if (!t->submit_us) t->submit_us = now;
    }
    pthread_mutex_unlock(&c->mu);
    c->form->encode(&l->body, tx, len, b.n);
    int targets = c->o->node_all ? c->n_nodes : 1;
    for (int k = 0; k < targets; k++) send_batch(c, l, (node + k) % c->n_nodes, &b);
    settle_batch(c, l, node, &b);
    return b.n;
}

/* Hands the senders of a node that is backing off to the next one. */
static void move_senders(load_ctx *c, int node) {
    pthread_mutex_lock(&c->mu);
    int to = next_node(c, node);
    for (int i = 0; i < c->n_senders; i++)
        if (c->senders[i].node == node) c->senders[i].node = to;
    room_opened(c);
    pthread_mutex_unlock(&c->mu);
}

typedef struct {
    load_ctx *c;
    int node;
    pthread_t thread;
    load_link link;
} submitter;

/* After a batch found no sender with room: unpaced, room comes only when
 * the poller sees commits (or senders move here), so wait for that rather
 * than wake every LOAD_NAP_US to find none (each wake-up a context switch
 * on the cores the nodes are measured on); at most LOAD_POLL_US, the
 * poller's period. Paced, room comes with time: nap. epoch is room_epoch
 * as read before the batch was filled, so room opened since is not missed. */
static void wait_for_room(load_ctx *c, uint64_t epoch) {
    if (c->step_us) {
        usleep(LOAD_NAP_US);
        return;
    }
    /* The condition waits on CLOCK_MONOTONIC (load_run), the clock of
     * clock_system_mono_us. */
    uint64_t until_us = clock_system_mono_us() + LOAD_POLL_US;
    struct timespec until = {(time_t)(until_us / 1000000u), (long)(until_us % 1000000u) * 1000};
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (rc == 0 && atomic_load(&c->room_epoch) == epoch && !atomic_load(&c->stop))
        rc = pthread_cond_timedwait(&c->room, &c->mu, &until);
    pthread_mutex_unlock(&c->mu);
}

static void *submitter_main(void *arg) {
    submitter *sub = arg;
    load_ctx *c = sub->c;
    link_init(c, &sub->link);
    while (!atomic_load(&c->stop)) {
        if (node_down(c, sub->node, clock_system_mono_us())) {
            if (!c->o->node_all) move_senders(c, sub->node);
            usleep(LOAD_POLL_US);
        } else {
            uint64_t epoch = atomic_load(&c->room_epoch);
            if (submit_batch(c, &sub->link, sub->node) == 0) wait_for_room(c, epoch);
        }
    }
    link_free(c, &sub->link);
    return NULL;
}

/* ---- setup ---- */

static int find_nodes(load_ctx *c, char *why, size_t why_len) {
    const char *dir = c->o->dir;
    c->n_nodes = testnet_size(dir);
    if (c->n_nodes == 0) {
        snprintf(why, why_len, "no testnet in %s (start one with `hansa testnet up`)", dir);
        return CLI_USAGE;
    }
    if (c->o->nodes > 0 && c->o->nodes < c->n_nodes) c->n_nodes = c->o->nodes;
    if (c->n_nodes > LOAD_NODES_MAX) c->n_nodes = LOAD_NODES_MAX;
    for (int i = 0; i < c->n_nodes; i++)
        if (testnet_rpc_addr(dir, i, c->addrs[i], sizeof c->addrs[i]) != 0) {
            snprintf(why, why_len, "cannot read the rpc address of node%d in %s", i, dir);
            return CLI_USAGE;
        }
    return 0;
}

static int load_senders(load_ctx *c, char *why, size_t why_len) {
    const load_opts *o = c->o;
    char path[4096], kwhy[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/accounts.key", o->dir);
    if (keyfile_load(path, &c->kf, kwhy) != HANSA_OK) {
        snprintf(why, why_len, "%s", kwhy);
        return CLI_USAGE;
    }
    int have = (int)c->kf.count;
    c->n_senders = o->accounts > 0 && o->accounts < have ? o->accounts : have;
    if (c->n_senders < 2) {
        snprintf(why, why_len, "%s holds %d account(s); a transfer needs two", path, have);
        return CLI_USAGE;
    }
    c->chain_id = c->kf.chain_id;
    c->senders = hansa_calloc((size_t)c->n_senders, sizeof *c->senders);
    for (int i = 0; i < c->n_senders; i++) {
        load_sender *s = &c->senders[i];
        s->key = &c->kf.keys[i];
        keyfile_address(&c->kf, s->key, s->addr);
        addr_from_pubkey(&c->kf.keys[(i + 1) % c->n_senders].kp.pub, &s->to);
        s->node = i % c->n_nodes;
    }
    return 0;
}

/* Whether node knows submit_txs: an empty one is refused as a bad param
 * by a node that has it, as an unknown method by one from before it. */
static bool knows_submit_txs(load_ctx *c, load_link *l, int node) {
    rpcc_error err;
    json_t *r = batch_call(c, l, node, json_pack("[o]", request(0, "submit_txs", json_pack("{s:[]}", "txs"))),
                           &err);
    if (!r) json_decref(err.data);
    json_t *e = json_object_get(reply_of(r, 0), "error");
    bool old = json_integer_value(json_object_get(e, "code")) == -32601;
    json_decref(r);
    return !old;
}

/* Whether node takes POST /txs: an empty body is refused as a bad request
 * (400) naming max_batch by a node that has it, not found (404) by one from
 * before it (a 400 of the server's own header checks names no max_batch). */
static bool knows_post_txs(load_link *l, int node, int timeout_ms) {
    size_t len;
    int status = 0;
    rpcc_error err;
    const uint8_t *reply = rpcc_conn_post(&l->conn[node], load_form_post_txs.path,
                                          load_form_post_txs.content_type, "", 0, timeout_ms, &len, &status, &err);
    if (!reply) {
        json_decref(err.data);
        return false;
    }
    json_error_t je;
    json_t *root = status == 400 ? json_loadb((const char *)reply, len, 0, &je) : NULL;
    bool knows = json_is_integer(
        json_object_get(json_object_get(json_object_get(root, "error"), "data"), "max_batch"));
    json_decref(root);
    return knows;
}

/* The senders' nonces and the height before any load. */
static int read_start(load_ctx *c, load_link *l, char *why, size_t why_len) {
    int node;
    if (!read_status(c, l, &node, &c->height, &c->committed_txs)) {
        snprintf(why, why_len, "no node of %s answers the status RPC", c->o->dir);
        return CLI_UNREACHABLE;
    }
    c->form = knows_post_txs(l, node, c->timeout_ms)  ? &load_form_post_txs
              : knows_submit_txs(c, l, node)           ? &load_form_submit_txs
                                                       : &load_form_submit_tx_batch;
    c->r->form = c->form->name;
    for (int i = 0; i < c->n_senders; i++) {
        load_sender *s = &c->senders[i];
        if (!read_nonce(c, l, i, node, &s->txs.base)) {
            snprintf(why, why_len, "no node of %s answers the account RPC", c->o->dir);
            return CLI_UNREACHABLE;
        }
        if (s->txs.base > LOAD_NONCE_MAX) {
            snprintf(why, why_len, "node%d says acct%d's nonce is %" PRIu64 ", past any a chain reaches", node, i,
                     s->txs.base);
            return CLI_FAILED;
        }
        s->next_nonce = s->committed = s->txs.base;
    }
    c->r->height_start = c->r->height_end = c->height;
    c->r->committed_txs_end = c->committed_txs;
    c->r->nodes = c->n_nodes;
    return 0;
}

static void load_teardown(load_ctx *c) {
    for (int i = 0; i < c->n_senders && c->senders; i++) {
        load_nonces_free(&c->senders[i].txs);
        free(c->senders[i].pre);
        free(c->senders[i].pre_hash);
    }
    free(c->senders);
    keyfile_free(&c->kf);
}

/* ---- the run ---- */

static void sleep_until(uint64_t t_us) {
    uint64_t now = clock_system_mono_us();
    if (t_us > now) usleep((useconds_t)(t_us - now));
}

static void tick(load_ctx *c, uint64_t now) {
    if (!c->o->on_tick) return;
    pthread_mutex_lock(&c->mu);
    load_tick t = {now, (double)(now - c->r->start_us) / 1e6, c->height, c->committed_txs, c->r};
    c->o->on_tick(&t, c->o->tick_arg);
    pthread_mutex_unlock(&c->mu);
}

static void run_submit(load_ctx *c, load_link *l) {
    submitter *subs = hansa_calloc((size_t)c->n_nodes, sizeof *subs);
    for (int i = 0; i < c->n_nodes; i++) {
        subs[i].c = c;
        subs[i].node = i;
        HANSA_ASSERT(pthread_create(&subs[i].thread, NULL, submitter_main, &subs[i]) == 0);
    }
    uint64_t now, end = c->r->start_us + (uint64_t)(c->o->duration_s * 1e6);
    while ((now = clock_system_mono_us()) < end) {
        poll_commits(c, l);
        tick(c, clock_system_mono_us());
        sleep_until(now + LOAD_POLL_US);
    }
    pthread_mutex_lock(&c->mu);
    atomic_store(&c->stop, true);
    room_opened(c);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->n_nodes; i++) pthread_join(subs[i].thread, NULL);
    free(subs);
}

static bool all_committed(load_ctx *c) {
    for (size_t i = 0; i < c->r->n_txs; i++)
        if (c->r->txs[i].state == LOAD_TX_ACCEPTED) return false;
    return true;
}

static void run_settle(load_ctx *c, load_link *l) {
    uint64_t end = clock_system_mono_us() + (uint64_t)(c->o->settle_s * 1e6);
    while (clock_system_mono_us() < end && !all_committed(c)) {
        poll_commits(c, l);
        sleep_until(clock_system_mono_us() + LOAD_POLL_US);
    }
}

int load_run(const load_opts *o, load_result *out, char *why, size_t why_len) {
    HANSA_ASSERT(o->window <= 4096 && o->duration_s > 0);
    memset(out, 0, sizeof *out);
    load_ctx c = {0};
    c.o = o;
    c.r = out;
    c.window = o->window ? o->window : LOAD_WINDOW_DEFAULT;
    c.step_us = o->rate_tx_s > 0 ? (uint64_t)(1e6 / o->rate_tx_s) : 0;
    c.timeout_ms = c.step_us ? LOAD_TIMEOUT_PACED_MS : LOAD_TIMEOUT_SATURATED_MS;
    pthread_mutex_init(&c.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c.room, &ca);
    pthread_condattr_destroy(&ca);
    out->start_us = clock_system_mono_us();
    int rc = find_nodes(&c, why, why_len);
    load_link *main_link = hansa_calloc(1, sizeof *main_link); /* the poller's */
    link_init(&c, main_link);
    if (rc == 0) rc = load_senders(&c, why, why_len);
    if (rc == 0) rc = read_start(&c, main_link, why, why_len);
    if (rc == 0 && o->presign > 0) presign_all(&c);
    if (rc == 0) {
        out->start_us = c.due_us = clock_system_mono_us();
        run_submit(&c, main_link);
        out->submit_end_us = clock_system_mono_us();
        run_settle(&c, main_link);
        poll_commits(&c, main_link);
    }
    out->end_us = clock_system_mono_us();
    link_free(&c, main_link);
    free(main_link);
    load_teardown(&c);
    pthread_cond_destroy(&c.room);
    pthread_mutex_destroy(&c.mu);
    return rc;
}

/* ---- reporting ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double elapsed_s, submit_s, committed_tx_s, heights_s;
    double latency_ms_p50, latency_ms_p99, latency_ms_max;
    uint64_t last_commit_us;
} load_figures;

static void figures(const load_result *r, load_figures *f) {
    memset(f, 0, sizeof *f);
    f->elapsed_s = (double)(r->end_us - r->start_us) / 1e6;
    f->submit_s = (double)(r->submit_end_us - r->start_us) / 1e6;
    uint64_t *lat = hansa_calloc(r->committed ? r->committed : 1, sizeof *lat);
    size_t n = 0;
    for (size_t i = 0; i < r->n_txs; i++) {
        const load_tx *t = &r->txs[i];
        if (t->state != LOAD_TX_COMMITTED || n == r->committed) continue;
        lat[n++] = t->commit_us - t->submit_us;
        if (t->commit_us > f->last_commit_us) f->last_commit_us = t->commit_us;
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
    if (n) {
        f->latency_ms_p50 = (double)lat[n / 2] / 1e3;
        f->latency_ms_p99 = (double)lat[(n * 99) / 100] / 1e3;
        f->latency_ms_max = (double)lat[n - 1] / 1e3;
        double span = (double)(f->last_commit_us - r->start_us) / 1e6;
        f->committed_tx_s = span > 0 ? (double)n / span : 0;
    }
    free(lat);
    f->heights_s = f->elapsed_s > 0 ? (double)(r->height_end - r->height_start) / f->elapsed_s : 0;
}

void load_result_print(const load_result *r, FILE *out) {
    load_figures f;
    figures(r, &f);
    fprintf(out, "load over %d nodes: %zu transactions signed in %.1f s, %llu submit calls\n",
            r->nodes, r->n_txs, f.submit_s, (unsigned long long)r->submits);
    fprintf(out, "  accepted %llu, committed %llu, rejected %llu calls, already held %llu, "
                 "unreachable %llu\n",
            (unsigned long long)r->accepted, (unsigned long long)r->committed,
            (unsigned long long)r->rejected, (unsigned long long)r->duplicates,
            (unsigned long long)r->unreachable);
    fprintf(out, "  connections opened %llu, requests resent on a new one %llu; submitted as %s\n",
            (unsigned long long)r->connections, (unsigned long long)r->resent, r->form ? r->form : "-");
    fprintf(out, "  committed %.1f tx/s; heights %llu..%llu (%.2f heights/s); latency submit->seen "
                 "committed p50 %.0f ms p99 %.0f ms max %.0f ms\n",
            f.committed_tx_s, (unsigned long long)r->height_start, (unsigned long long)r->height_end,
            f.heights_s, f.latency_ms_p50, f.latency_ms_p99, f.latency_ms_max);
    for (size_t i = 0; i < r->n_reasons; i++)
        fprintf(out, "  rejected %llu x %s\n", (unsigned long long)r->reasons[i].count, r->reasons[i].text);
}

void load_result_print_json(const load_result *r, FILE *out) {
    load_figures f;
    figures(r, &f);
    json_t *reasons = json_object();
    for (size_t i = 0; i < r->n_reasons; i++)
        json_object_set_new(reasons, r->reasons[i].text, json_integer((json_int_t)r->reasons[i].count));
    json_t *j = json_pack(
        "{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o}",
        "nodes", r->nodes, "signed", (json_int_t)r->n_txs, "submits", (json_int_t)r->submits,
        "accepted", (json_int_t)r->accepted, "committed", (json_int_t)r->committed, "rejected",
        (json_int_t)r->rejected, "duplicates", (json_int_t)r->duplicates, "unreachable",
        (json_int_t)r->unreachable, "height_start", (json_int_t)r->height_start, "height_end",
        (json_int_t)r->height_end, "elapsed_s", f.elapsed_s, "submit_s", f.submit_s,
        "committed_tx_s", f.committed_tx_s, "heights_s", f.heights_s, "latency_ms_p50",
        f.latency_ms_p50, "latency_ms_p99", f.latency_ms_p99, "latency_ms_max", f.latency_ms_max,
        "reasons", reasons);
    json_object_set_new(j, "connections", json_integer((json_int_t)r->connections));
    json_object_set_new(j, "resent", json_integer((json_int_t)r->resent));
    if (r->form) json_object_set_new(j, "form", json_string(r->form));
    char *s = json_dumps(j, JSON_COMPACT);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(j);
}

/* ---- the command ---- */

static int usage(void) {
    fprintf(stderr,
            "usage: hansa load --dir TESTNET_DIR [--accounts K] [--rate TX_PER_S] [--duration S]\n"
            "                  [--settle S] [--fee F] [--node-all] [--json] [--quiet]\n"
            "  signs transfers between the testnet's funded accounts and submits them;\n"
            "  --rate 0 submits as fast as the nodes answer; --node-all sends every tx to every node;\n"
            "  --settle waits that long after the last submit for commits (default 10)\n");
    return 2;
}

typedef struct {
    FILE *out;
    double next_s;
} progress_state;

/* A line a second while submitting. */
static void progress(const load_tick *t, void *arg) {
    progress_state *p = arg;
    if (t->t_s < p->next_s) return;
    p->next_s += 1.0;
    const load_result *r = t->r;
    fprintf(p->out, "load: t=%.1fs submits=%llu accepted=%llu rejected=%llu committed=%llu height=%llu\n",
            t->t_s, (unsigned long long)r->submits, (unsigned long long)r->accepted,
            (unsigned long long)r->rejected, (unsigned long long)r->committed,
            (unsigned long long)t->height);
    fflush(p->out);
}

/* A finite decimal number >= min (a rate or a number of seconds). */
static bool seconds_arg(const char *s, double min, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min) || v > 1e9) return false;
    *out = v;
    return true;
}

int cmd_load(int argc, char **argv) {
    progress_state ps = {stderr, 1.0};
    load_opts o = {.rate_tx_s = 50, .duration_s = 10, .settle_s = 10, .fee = 1,
                   .on_tick = progress, .tick_arg = &ps};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc, ok = true;
        if (strcmp(argv[i], "--dir") == 0 && has) o.dir = argv[++i];
        else if (strcmp(argv[i], "--accounts") == 0 && has) ok = cli_parse_int(argv[++i], 0, 1000, &o.accounts);
        else if (strcmp(argv[i], "--rate") == 0 && has) ok = seconds_arg(argv[++i], 0, &o.rate_tx_s);
        else if (strcmp(argv[i], "--duration") == 0 && has) ok = seconds_arg(argv[++i], 1e-3, &o.duration_s);
        else if (strcmp(argv[i], "--settle") == 0 && has) ok = seconds_arg(argv[++i], 0, &o.settle_s);
        else if (strcmp(argv[i], "--fee") == 0 && has) ok = cli_parse_u64(argv[++i], &o.fee) && o.fee >= 1;
        else if (strcmp(argv[i], "--node-all") == 0) o.node_all = true;
        else if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--quiet") == 0) o.on_tick = NULL;
        else ok = false;
        if (!ok) return usage();
    }
    if (!o.dir) return usage();
    crypto_init();
    load_result r;
    char why[512];
    int rc = load_run(&o, &r, why, sizeof why);
    if (rc != CLI_OK) {
        fprintf(stderr, "hansa load: %s\n", why);
        load_result_free(&r);
        return rc;
    }
    if (json) load_result_print_json(&r, stdout);
    else load_result_print(&r, stdout);
    load_result_free(&r);
    return 0;
}
