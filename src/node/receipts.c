/* receipts.c — see receipts.h: the node's receipts, its outstanding
 * guarantees (memory + store) and underwriting over peer links. */
#include "node/receipts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "interchain/packet.h"
#include "ledger/tx_receipt.h"
#include "node/msg.h"
#include "node/node_int.h"

#define GUARANTEE_VERSION 1
#define ROLE_ISSUED 1
#define ROLE_UNDERWROTE 2
#define PENDING_MAX 256 /* underwritten requests in flight */

typedef struct {
    node_guarantee g;
    hansa_hash tx_hash;
} entry;

/* An underwritten request waiting for shares. */
typedef struct {
    uint64_t id;             /* 0 = free slot */
    receipt rc;              /* core fixed; shares collected so far (others') */
    uint64_t own;            /* this node's share, reserved in exposure */
    uint64_t covered;        /* own + others' shares */
    /* Peer slots whose present peer was asked (bit i: slot i). A slot's
     * bit clears when a new peer takes it (receipts_peer_up), so a peer that
     * arrives while the request is open is asked whatever its slot; a cursor
     * over slots passed over one that came into a lower, reused slot. */
    uint8_t asked_slots[(NODE_PEERS_MAX + 7) / 8];
    /* Asks sent. Peers that drop and reconnect in turn would be asked
     * again and again, so a request ends after as many asks as a node
     * can have peers: what asking each slot once could cost. */
    uint16_t asks;
    void *asked;             /* the peer asked now */
    uint64_t asked_until_ms; /* then ask the next one: a silent peer must not stall it */
    uint8_t *tx;             /* owned copy of the encoded tx */
    uint32_t tx_len;
    node_receipt_done done;
    void *ctx;
} pending;

struct node_rcpt {
    entry *e;
    size_t n, cap;
    hmap by_tx;              /* tx hash -> index in e + 1 */
    uint64_t exposure;       /* sum of e[].g.amount plus pending own shares */
    pending pend[PENDING_MAX];
    size_t n_pend;           /* of pend[] in use: the wake-up scan is skipped at 0 */
    uint64_t next_id;
    uint64_t issued, underwritten;
    /* The request node_receipt_request is asking for right now: a give-up
     * inside that call (a peer's link failing under the first ask runs
     * node_peer_down there) is its result, not a done its caller could not
     * yet tell apart from a later one. */
    uint64_t requesting;
    hansa_err request_err;
    char request_why[160];
};

/* ---- formats --------------------------------------------------------------- */

void node_guarantee_encode(hbuf *b, const node_guarantee *g) {
    HANSA_ASSERT(g->role == ROLE_ISSUED || g->role == ROLE_UNDERWROTE);
    hbuf_put_u8(b, GUARANTEE_VERSION);
    hbuf_put_u8(b, g->role);
    hbuf_put_u64(b, g->amount);
    receipt_core_encode(b, &g->core);
    if (g->role == ROLE_ISSUED) receipt_encode(b, &g->rc);
}

hansa_err node_guarantee_decode(const uint8_t *p, size_t len, node_guarantee *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, GUARANTEE_VERSION);
    out->role = rd_u8(r, "role");
    if (r->err == HANSA_OK && out->role != ROLE_ISSUED && out->role != ROLE_UNDERWROTE)
        rd_fail(r, HANSA_ERR_INVALID, "role");
    out->amount = rd_u64(r, "amount");
    receipt_rd_core(r, &out->core);
    if (r->err == HANSA_OK && out->amount > out->core.amount)
        rd_fail(r, HANSA_ERR_INVALID, "amount (above the receipt's)");
    if (r->err == HANSA_OK && out->role == ROLE_ISSUED) {
        receipt_rd(r, &out->rc);
        if (r->err == HANSA_OK && memcmp(&out->rc.core, &out->core, sizeof out->core) != 0)
            rd_fail(r, HANSA_ERR_INVALID, "receipt (another core)");
    }
    return rd_close(r, out, sizeof *out);
}

void node_receipt_ask_encode(hbuf *b, const node_receipt_ask *m) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u64(b, m->request);
    receipt_core_encode(b, &m->core);
    hbuf_put_u64(b, m->want);
    hbuf_put_u32(b, m->tx_len);
    hbuf_append(b, m->tx, m->tx_len);
}

hansa_err node_receipt_ask_decode(const uint8_t *p, size_t len, node_receipt_ask *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, MSG_VERSION);
    out->request = rd_u64(r, "request");
    receipt_rd_core(r, &out->core);
    out->want = rd_u64(r, "want");
    out->tx_len = rd_len(r, WIRE_TX_BYTES_MAX, "tx length");
    out->tx = rd_borrow(r, out->tx_len, "tx");
    if (r->err == HANSA_OK && (out->want == 0 || out->want > out->core.amount))
        rd_fail(r, HANSA_ERR_INVALID, "want");
    return rd_close(r, out, sizeof *out);
}

void node_receipt_share_encode(hbuf *b, const node_receipt_share *m) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u64(b, m->request);
    hbuf_put_u8(b, m->refused ? 1 : 0);
    if (!m->refused) {
        hbuf_append(b, m->share.signer.b, HANSA_PUBKEY_BYTES);
        hbuf_put_u64(b, m->share.amount);
        hbuf_append(b, m->share.sig.b, HANSA_SIG_BYTES);
        return;
    }
    size_t n = strnlen(m->reason, NODE_RECEIPT_REASON_MAX);
    hbuf_put_u8(b, (uint8_t)n);
    hbuf_append(b, m->reason, n);
}

hansa_err node_receipt_share_decode(const uint8_t *p, size_t len, node_receipt_share *out,
                                    wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, MSG_VERSION);
    out->request = rd_u64(r, "request");
    uint8_t status = rd_u8(r, "status");
    if (r->err == HANSA_OK && status > 1) rd_fail(r, HANSA_ERR_NONCANONICAL, "status");
    out->refused = status == 1;
    if (r->err == HANSA_OK && !out->refused) {
        rd_fixed(r, out->share.signer.b, HANSA_PUBKEY_BYTES, "signer");
        out->share.amount = rd_u64(r, "amount");
        rd_fixed(r, out->share.sig.b, HANSA_SIG_BYTES, "sig");
        if (r->err == HANSA_OK && out->share.amount == 0) rd_fail(r, HANSA_ERR_INVALID, "amount");
    } else if (r->err == HANSA_OK) {
        uint8_t n = rd_u8(r, "reason length");
        if (r->err == HANSA_OK && n > NODE_RECEIPT_REASON_MAX)
            rd_fail(r, HANSA_ERR_TOO_LONG, "reason length");
        const uint8_t *s = rd_borrow(r, r->err == HANSA_OK ? n : 0, "reason");
        for (uint8_t i = 0; r->err == HANSA_OK && i < n; i++) {
            if (s[i] < 0x20 || s[i] >= 0x7f) rd_fail(r, HANSA_ERR_INVALID, "reason (not printable)");
            out->reason[i] = (char)s[i];
        }
    }
    return rd_close(r, out, sizeof *out);
}

/* ---- outstanding guarantees ---------------------------------------------------- */

static node_rcpt *R(const node *n) { return n->rcpt; }

static const entry *entry_find(const node *n, const hansa_hash *tx_hash) {
    uint64_t i;
    if (!hmap_get(&R(n)->by_tx, tx_hash, &i)) return NULL;
    return &R(n)->e[i - 1];
}

static void entry_add(node *n, const node_guarantee *g) {
    node_rcpt *rp = R(n);
    if (rp->n == rp->cap) {
        rp->cap = rp->cap ? rp->cap * 2 : 64;
        rp->e = hansa_realloc(rp->e, rp->cap * sizeof *rp->e);
    }
    entry *e = &rp->e[rp->n++];
    e->g = *g;
    e->tx_hash = g->core.tx_hash;
    hmap_put(&rp->by_tx, &e->tx_hash, rp->n);
    HANSA_ASSERT(u64_add(rp->exposure, g->amount, &rp->exposure));
}

static void entry_remove(node *n, size_t i) {
    node_rcpt *rp = R(n);
    HANSA_ASSERT(i < rp->n);
    HANSA_ASSERT(rp->exposure >= rp->e[i].g.amount);
    rp->exposure -= rp->e[i].g.amount;
    HANSA_ASSERT(hmap_del(&rp->by_tx, &rp->e[i].tx_hash));
    rp->e[i] = rp->e[--rp->n];
    if (i < rp->n) hmap_put(&rp->by_tx, &rp->e[i].tx_hash, i + 1);
}

/* Stores g (synced) and then counts it: the caller sends its signature only
 * after this returned HANSA_OK. */
static hansa_err guarantee_keep(node *n, const node_guarantee *g, char *why, size_t why_len) {
    hbuf_reset(&n->scratch);
    node_guarantee_encode(&n->scratch, g);
    hansa_err err = store_receipt_put(n->cfg.st, g->core.tx_hash.b, n->scratch.data, n->scratch.len);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "storing the guarantee: %s", store_errmsg(n->cfg.st));
        return err;
    }
    entry_add(n, g);
    return HANSA_OK;
}

static uint64_t bonded_of(const node *n) {
    if (!n->cfg.key) return 0;
    ledger_receipt_bond r;
    ledger_receipt_bond_get(n->state, &n->cfg.key->pub, &r);
    return r.bonded;
}

static uint64_t free_of(const node *n) {
    uint64_t b = bonded_of(n), x = R(n)->exposure;
    return b > x ? b - x : 0;
}

/* True while the guarantee can still cost collateral. */
static bool guarantee_live(const node *n, const node_guarantee *g) {
    return n->height <= g->core.deadline + RECEIPT_CLAIM_WINDOW;
}

static hansa_err load_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                            size_t vlen) {
    node *n = ctx;
    node_guarantee g;
    wire_rd r;
    if (node_guarantee_decode(val, vlen, &g, &r) != HANSA_OK ||
        memcmp(key, g.core.tx_hash.b, klen) != 0) {
        char where[96];
        rd_describe(&r, where, sizeof where);
        LOG_E("receipts", "stored guarantee is corrupt (%s): kept out of the exposure", where);
        return HANSA_ERR_CORRUPT;
    }
    entry_add(n, &g);
    return HANSA_OK;
}

hansa_err receipts_open(node *n, char *why, size_t why_len) {
    n->rcpt = hansa_calloc(1, sizeof *n->rcpt);
    hansa_err err = store_receipt_scan(n->cfg.st, load_visit, n);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "loading receipt guarantees: %s", store_errmsg(n->cfg.st));
        return err;
    }
    if (R(n)->n > 0)
        LOG_I("receipts", "%zu guarantees outstanding, exposure %" PRIu64, R(n)->n, R(n)->exposure);
    return HANSA_OK;
}

void receipts_close(node *n) {
    if (!n->rcpt) return;
    for (size_t i = 0; i < PENDING_MAX; i++) free(R(n)->pend[i].tx);
    free(R(n)->e);
    hmap_free(&R(n)->by_tx);
    free(n->rcpt);
    n->rcpt = NULL;
}

/* After a commit: a guarantee whose transfer was committed by its deadline
 * is kept; one whose claim window is over can no longer cost anything. */
void receipts_on_commit(node *n, const wire_block *blk) {
    node_rcpt *rp = R(n);
    if (rp->n == 0) return;
    uint8_t (*gone)[STORE_RECEIPT_KEY_BYTES] = NULL;
    size_t n_gone = 0, cap = 0;
    for (uint32_t t = 0; t <= blk->n_txs; t++) {
        size_t i = 0;
        if (t < blk->n_txs) {
            hansa_hash th;
            uint64_t j;
            sha256(blk->txs[t].bytes, blk->txs[t].len, &th);
            if (!hmap_get(&rp->by_tx, &th, &j) || n->height > rp->e[j - 1].g.core.deadline) continue;
            /* A transfer to another chain is kept only once credited there:
             * its guarantee stays counted until its claim window ends. */
            wire_tx tx;
            if (wire_tx_decode(blk->txs[t].bytes, blk->txs[t].len, &tx, NULL) == HANSA_OK &&
                tx.kind == TX_PACKET_SEND)
                continue;
            i = j - 1;
        } else {
            /* Last pass: every guarantee past its claim window. */
            while (i < rp->n && guarantee_live(n, &rp->e[i].g)) i++;
            if (i == rp->n) break;
            t--; /* look again after removing this one */
        }
        if (n_gone == cap) {
            cap = cap ? cap * 2 : 16;
            gone = hansa_realloc(gone, cap * sizeof *gone);
        }
        memcpy(gone[n_gone++], rp->e[i].tx_hash.b, STORE_RECEIPT_KEY_BYTES);
        entry_remove(n, i);
    }
    /* Not synced before anything leaves: a guarantee that comes back after a
     * crash only makes the node more careful until it expires. */
    if (store_receipt_del(n->cfg.st, (const uint8_t(*)[STORE_RECEIPT_KEY_BYTES])gone, n_gone) != HANSA_OK)
        LOG_W("receipts", "releasing guarantees: %s", store_errmsg(n->cfg.st));
    free(gone);
}

/* ---- checking a transaction ------------------------------------------------------ */

/* A transfer to another chain, in this chain's own token (what collateral
 * is held in): the receipt then promises that the money arrives there
 * (the claim rules, tx_receipt.h). */
static hansa_err outgoing_transfer(const wire_tx *tx, hansa_addr *to, uint64_t *amount, char *why,
                                   size_t why_len) {
    pkt_send s;
    pkt_transfer t;
    if (pkt_send_decode(tx->body, tx->body_len, &s, NULL) != HANSA_OK || s.type != PKT_TYPE_TRANSFER ||
        pkt_transfer_decode(s.payload, s.payload_len, &t, NULL) != HANSA_OK) {
        snprintf(why, why_len, "receipts are given for transfers only");
        return HANSA_ERR_INVALID;
    }
    if (t.denom.n != 0) {
        snprintf(why, why_len, "receipts are given for this chain's own token only, not vouchers");
        return HANSA_ERR_INVALID;
    }
    *to = t.to;
    *amount = t.amount;
    return HANSA_OK;
}

/* The transfer behind a receipt core: it must be the tx the core names, and
 * pay the beneficiary at least the amount. */
static hansa_err transfer_for(const node *n, const uint8_t *tx_bytes, size_t tx_len, wire_tx *tx,
                              hansa_addr *to, uint64_t *amount, char *why, size_t why_len) {
    if (wire_tx_decode(tx_bytes, tx_len, tx, NULL) != HANSA_OK) {
        snprintf(why, why_len, "the transaction does not decode");
        return HANSA_ERR_INVALID;
    }
    if (tx->chain_id != ledger_state_params(n->state)->chain_id) {
        snprintf(why, why_len, "the transaction is for another chain");
        return HANSA_ERR_WRONG_CHAIN;
    }
    if (tx->kind == TX_PACKET_SEND) return outgoing_transfer(tx, to, amount, why, why_len);
    if (tx->kind != TX_TRANSFER || tx->body_len != LEDGER_TRANSFER_BODY_BYTES) {
        snprintf(why, why_len, "receipts are given for transfers only");
        return HANSA_ERR_INVALID;
    }
    memcpy(to->b, tx->body, HANSA_ADDR_BYTES);
    *amount = le64_load(tx->body + HANSA_ADDR_BYTES);
    return HANSA_OK;
}

/* Admits tx to the mempool; one already there was admitted before. */
static hansa_err admit(node *n, const uint8_t *tx, size_t len, char *why, size_t why_len) {
    hansa_hash h;
    hansa_err err = node_submit_tx(n, tx, len, &h, why, why_len);
    return err == HANSA_ERR_DUPLICATE ? HANSA_OK : err;
}

static void share_sign(const node *n, const receipt_core *core, uint64_t amount, receipt_share *out) {
    hbuf msg = HBUF_INIT;
    out->signer = n->cfg.key->pub;
    out->amount = amount;
    receipt_share_sign_bytes(&msg, core, &out->signer, amount);
    sign_domain(n->cfg.key, RECEIPT_SIGN_DOMAIN, msg.data, msg.len, &out->sig);
    hbuf_free(&msg);
}

static int share_cmp(const void *a, const void *b) {
    return pubkey_cmp(&((const receipt_share *)a)->signer, &((const receipt_share *)b)->signer);
}

/* ---- issuing ------------------------------------------------------------------------- */

/* Adds this node's share (if any), sorts, stores the guarantee: the receipt
 * may then leave. */
static hansa_err issue(node *n, receipt *rc, uint64_t own, char *why, size_t why_len) {
    if (own > 0) share_sign(n, &rc->core, own, &rc->shares[rc->n_shares++]);
    qsort(rc->shares, rc->n_shares, sizeof *rc->shares, share_cmp);
    node_guarantee g = {.role = ROLE_ISSUED, .amount = own, .core = rc->core, .rc = *rc};
    hansa_err err = guarantee_keep(n, &g, why, why_len);
    if (err == HANSA_OK) R(n)->issued++;
    return err;
}

static pending *pending_get(node *n, uint64_t id) {
    for (size_t i = 0; i < PENDING_MAX; i++)
        if (id != 0 && R(n)->pend[i].id == id) return &R(n)->pend[i];
    return NULL;
}

static void pending_end(node *n, pending *p) {
    HANSA_ASSERT(R(n)->exposure >= p->own);
    R(n)->exposure -= p->own;
    free(p->tx);
    *p = (pending){0};
    R(n)->n_pend--;
}

static void pending_fail(node *n, pending *p, hansa_err err, const char *why) {
    node_receipt_done done = p->done;
    void *ctx = p->ctx;
    bool in_request = p->id == R(n)->requesting;
    pending_end(n, p);
    if (!in_request) {
        done(ctx, err, why, NULL);
        return;
    }
    R(n)->request_err = err;
    snprintf(R(n)->request_why, sizeof R(n)->request_why, "%s", why);
}

/* Asks the next peer for the uncovered rest, or gives up. */
static void pending_ask_next(node *n, pending *p) {
    HANSA_ASSERT(p->covered < p->rc.core.amount);
    if (p->rc.n_shares + 1 >= RECEIPT_SHARES_MAX) {
        pending_fail(n, p, HANSA_ERR_FULL, "too many underwriters would be needed");
        return;
    }
    /* The lowest slot with a peer not asked yet; every slot from peers_end
     * on is free (node_int.h). */
    size_t i = 0;
    while (i < n->peers_end && (n->peers[i].handle == NULL || p->asked_slots[i / 8] >> (i % 8) & 1)) i++;
    if (i >= n->peers_end || p->asks >= NODE_PEERS_MAX) {
        char why[160];
        snprintf(why, sizeof why, "collateral covers %" PRIu64 " of %" PRIu64
                 " (free here and every peer asked%s)", p->covered, p->rc.core.amount,
                 i < n->peers_end ? ": as many asks as a node has peer slots" : "");
        pending_fail(n, p, HANSA_ERR_FUNDS, why);
        return;
    }
    p->asked_slots[i / 8] |= (uint8_t)(1u << (i % 8));
    p->asks++;
    p->asked = n->peers[i].handle;
    p->asked_until_ms = node_now(n) + NODE_RECEIPT_ASK_MS;
    node_receipt_ask ask = {.request = p->id, .core = p->rc.core,
                            .want = p->rc.core.amount - p->covered, .tx = p->tx, .tx_len = p->tx_len};
    hbuf_reset(&n->scratch);
    node_receipt_ask_encode(&n->scratch, &ask);
    n->io.send(n->io.ctx, p->asked, MSG_RECEIPT_ASK, n->scratch.data, n->scratch.len);
}

static bool any_peer(const node *n) {
    for (size_t i = 0; i < n->peers_end; i++)
        if (n->peers[i].handle != NULL) return true;
    return false;
}

/* Asks the first peer to underwrite what own does not cover; *async the
 * handle done will come with, or an error (and *async 0) when the request
 * gave up at once. */
static hansa_err request_underwriters(node *n, const node_receipt_req *req, const receipt *rc, uint64_t own,
                                      uint64_t *async, node_receipt_done done, void *ctx, char *why,
                                      size_t why_len) {
    pending *p = NULL;
    for (size_t i = 0; i < PENDING_MAX && !p; i++)
        if (R(n)->pend[i].id == 0) p = &R(n)->pend[i];
    HANSA_ASSERT(p != NULL); /* n_pend < PENDING_MAX: checked before the transfer was admitted */
    R(n)->n_pend++;
    *p = (pending){.id = ++R(n)->next_id, .rc = *rc, .own = own, .covered = own,
                   .tx = hansa_malloc(req->tx_len), .tx_len = (uint32_t)req->tx_len,
                   .done = done, .ctx = ctx};
    memcpy(p->tx, req->tx, req->tx_len);
    R(n)->exposure += own; /* reserved until the receipt is issued or given up */
    uint64_t id = p->id;
    HANSA_ASSERT(R(n)->requesting == 0); /* one request at a time: nothing asks from inside an ask */
    R(n)->requesting = id;
    R(n)->request_err = HANSA_OK;
    pending_ask_next(n, p);
    node_drain(n); /* re-arms the wake-up for the ask's timeout; a send in it may fail too */
    R(n)->requesting = 0;
    if (R(n)->request_err != HANSA_OK) { /* gave up inside the call: p is gone */
        snprintf(why, why_len, "%s", R(n)->request_why);
        return R(n)->request_err;
    }
    *async = id;
    return HANSA_OK;
}

hansa_err node_receipt_request(node *n, const node_receipt_req *req, receipt *out, uint64_t *async,
                               node_receipt_done done, void *ctx, char *why, size_t why_len) {
    *async = 0;
    memset(out, 0, sizeof *out);
    if (n->stopped) {
        snprintf(why, why_len, "node is stopped");
        return HANSA_ERR_STATE;
    }
    wire_tx tx;
    hansa_addr to;
    uint64_t pays;
    hansa_err err = transfer_for(n, req->tx, req->tx_len, &tx, &to, &pays, why, why_len);
    if (err != HANSA_OK) return err;
    uint64_t amount = req->amount ? req->amount : pays;
    uint32_t blocks = req->deadline_blocks ? req->deadline_blocks : NODE_RECEIPT_DEADLINE_DEFAULT;
    if (amount > pays) {
        snprintf(why, why_len, "a receipt guarantees at most what the transfer pays (%" PRIu64 ")", pays);
        return HANSA_ERR_INVALID;
    }
    if (blocks > RECEIPT_DEADLINE_MAX) {
        snprintf(why, why_len, "deadline_blocks is at most %u", RECEIPT_DEADLINE_MAX);
        return HANSA_ERR_INVALID;
    }
    hansa_hash th;
    sha256(req->tx, req->tx_len, &th);
    const entry *known = entry_find(n, &th);
    if (known && known->g.role == ROLE_ISSUED) {
        *out = known->g.rc; /* asked again: the same receipt, no new exposure */
        return HANSA_OK;
    }
    if (known) {
        snprintf(why, why_len, "this node already underwrites the transaction for a peer");
        return HANSA_ERR_DUPLICATE;
    }
    uint64_t free_now = free_of(n), own = amount < free_now ? amount : free_now;
    /* Refused before the transfer is admitted: no receipt can come of it. */
    if (own < amount && !any_peer(n)) {
        snprintf(why, why_len, "collateral covers %" PRIu64 " of %" PRIu64 " (free here, and no peer to ask)",
                 own, amount);
        return HANSA_ERR_FUNDS;
    }
    if (own < amount && R(n)->n_pend >= PENDING_MAX) {
        snprintf(why, why_len, "too many underwritten receipts in flight");
        return HANSA_ERR_FULL;
    }
    err = admit(n, req->tx, req->tx_len, why, why_len);
    if (err != HANSA_OK) return err;
    if (req->admitted) *req->admitted = true;
    receipt rc = {.core = {.chain_id = tx.chain_id, .tx_hash = th, .sender = tx.sender,
                           .nonce = tx.nonce, .beneficiary = to, .amount = amount,
                           .issued_height = n->height, .deadline = n->height + blocks}};
    if (own == amount) {
        err = issue(n, &rc, own, why, why_len);
        if (err == HANSA_OK) *out = rc;
        return err;
    }
    return request_underwriters(n, req, &rc, own, async, done, ctx, why, why_len);
}

void node_receipt_cancel(node *n, uint64_t handle) {
    pending *p = pending_get(n, handle);
    if (p) pending_end(n, p);
}

/* ---- underwriting ------------------------------------------------------------------- */

static void share_refuse(node *n, void *peer, uint64_t request, const char *why) {
    node_receipt_share m = {.request = request, .refused = true};
    snprintf(m.reason, sizeof m.reason, "%s", why);
    hbuf_reset(&n->scratch);
    node_receipt_share_encode(&n->scratch, &m);
    n->io.send(n->io.ctx, peer, MSG_RECEIPT_SHARE, n->scratch.data, n->scratch.len);
}

/* A peer asks this node to guarantee part of a receipt it is issuing. */
static void on_ask(node *n, void *peer, const uint8_t *bytes, size_t len) {
    node_receipt_ask m;
    if (node_receipt_ask_decode(bytes, len, &m, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed RECEIPT_ASK");
        return;
    }
    char why[LEDGER_WHY_MAX] = "";
    wire_tx tx;
    hansa_addr to;
    uint64_t pays;
    hansa_hash th;
    sha256(m.tx, m.tx_len, &th);
    const receipt_core *k = &m.core;
    hansa_err err = transfer_for(n, m.tx, m.tx_len, &tx, &to, &pays, why, sizeof why);
    if (err == HANSA_OK && (!hash_eq(&th, &k->tx_hash) || !pubkey_eq(&tx.sender, &k->sender) ||
                            tx.nonce != k->nonce || !addr_eq(&to, &k->beneficiary) ||
                            k->amount > pays || k->chain_id != tx.chain_id)) {
        snprintf(why, sizeof why, "the receipt core does not describe the transaction");
        err = HANSA_ERR_INVALID;
    }
    if (err == HANSA_OK && (k->deadline <= n->height + 1 || k->deadline > n->height + RECEIPT_DEADLINE_MAX)) {
        snprintf(why, sizeof why, "deadline %" PRIu64 " is out of range at height %" PRIu64,
                 k->deadline, n->height);
        err = HANSA_ERR_INVALID;
    }
    uint64_t free_now = free_of(n);
    if (err == HANSA_OK && (!n->cfg.key || free_now == 0)) {
        snprintf(why, sizeof why, "no free receipt collateral here");
        err = HANSA_ERR_FUNDS;
    }
    if (err == HANSA_OK && entry_find(n, &th)) {
        snprintf(why, sizeof why, "already guaranteeing this transaction");
        err = HANSA_ERR_DUPLICATE;
    }
    if (err == HANSA_OK) err = admit(n, m.tx, m.tx_len, why, sizeof why);
    node_guarantee g = {.role = ROLE_UNDERWROTE, .core = *k, .amount = m.want < free_now ? m.want : free_now};
    if (err == HANSA_OK) err = guarantee_keep(n, &g, why, sizeof why);
    if (err != HANSA_OK) {
        share_refuse(n, peer, m.request, why);
        return;
    }
    node_receipt_share s = {.request = m.request};
    share_sign(n, k, g.amount, &s.share);
    R(n)->underwritten++;
    hbuf_reset(&n->scratch);
    node_receipt_share_encode(&n->scratch, &s);
    n->io.send(n->io.ctx, peer, MSG_RECEIPT_SHARE, n->scratch.data, n->scratch.len);
}

/* A peer's answer to this node's ask. */
static void on_share(node *n, void *peer, const uint8_t *bytes, size_t len) {
    node_receipt_share m;
    if (node_receipt_share_decode(bytes, len, &m, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed RECEIPT_SHARE");
        return;
    }
    pending *p = pending_get(n, m.request);
    if (!p || p->asked != peer) return; /* cancelled, or not asked of this peer */
    p->asked = NULL;
    const receipt_share *s = &m.share;
    bool ok = !m.refused && s->amount <= p->rc.core.amount - p->covered &&
              !(n->cfg.key && pubkey_eq(&s->signer, &n->cfg.key->pub));
    for (uint8_t i = 0; ok && i < p->rc.n_shares; i++) ok = !pubkey_eq(&p->rc.shares[i].signer, &s->signer);
    if (ok) {
        receipt one = {.core = p->rc.core, .n_shares = 1, .shares = {*s}};
        ok = receipt_verify(&one) < 0;
        if (!ok) n->io.drop(n->io.ctx, peer, "RECEIPT_SHARE with a bad signature");
    }
    if (m.refused) LOG_D("receipts", "a peer refused to underwrite: %s", m.reason);
    if (ok) {
        p->rc.shares[p->rc.n_shares++] = *s;
        p->covered += s->amount;
    }
    if (p->covered < p->rc.core.amount) {
        pending_ask_next(n, p);
        return;
    }
    receipt rc = p->rc;
    uint64_t own = p->own;
    node_receipt_done done = p->done;
    void *ctx = p->ctx;
    pending_end(n, p);
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = issue(n, &rc, own, why, sizeof why);
    done(ctx, err, why, err == HANSA_OK ? &rc : NULL);
}

void receipts_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len) {
    if (type == MSG_RECEIPT_ASK) on_ask(n, peer, bytes, len);
    else on_share(n, peer, bytes, len);
}

/* The peer now in slot has not been asked anything yet (the one there
 * before may have been). */
void receipts_peer_up(node *n, size_t slot) {
    HANSA_ASSERT(slot < NODE_PEERS_MAX);
    for (size_t i = 0; i < PENDING_MAX && R(n)->n_pend; i++)
        R(n)->pend[i].asked_slots[slot / 8] &= (uint8_t)~(1u << (slot % 8));
}

/* A peer that went away will not answer: ask the next one. A stopped
 * node only forgets the peer (its handle is freed): nothing leaves it and
 * nothing is answered, as at its other entry points. */
void receipts_peer_down(node *n, void *peer) {
    for (size_t i = 0; i < PENDING_MAX; i++) {
        pending *p = &R(n)->pend[i];
        if (p->id != 0 && p->asked == peer) {
            p->asked = NULL;
            if (!n->stopped) pending_ask_next(n, p);
        }
    }
}

/* A peer that has not answered in NODE_RECEIPT_ASK_MS is passed over (its
 * late answer is ignored: on_share accepts only the peer asked now). */
void receipts_on_wake(node *n, uint64_t now_ms) {
    /* As receipts_next_wake_ms: no request in flight, no 256-slot scan (a node
     * wakes at every input; ~1% of a simulated run went here). */
    for (size_t i = 0; i < PENDING_MAX && R(n)->n_pend; i++) {
        pending *p = &R(n)->pend[i];
        if (p->id == 0 || !p->asked || now_ms < p->asked_until_ms) continue;
        LOG_D("receipts", "an underwriter did not answer in %u ms: asking the next", NODE_RECEIPT_ASK_MS);
        p->asked = NULL;
        pending_ask_next(n, p);
    }
}

uint64_t receipts_next_wake_ms(const node *n) {
    uint64_t at = UINT64_MAX;
    for (size_t i = 0; i < PENDING_MAX && R(n)->n_pend; i++) {
        const pending *p = &R(n)->pend[i];
        if (p->id != 0 && p->asked && p->asked_until_ms < at) at = p->asked_until_ms;
    }
    return at;
}

/* ---- views ---------------------------------------------------------------------------- */

void node_receipt_status_get(const node *n, node_receipt_status *out) {
    *out = (node_receipt_status){.has_key = n->cfg.key != NULL, .bonded = bonded_of(n),
                                 .exposure = R(n)->exposure, .free = free_of(n),
                                 .outstanding = R(n)->n, .issued = R(n)->issued,
                                 .underwritten = R(n)->underwritten};
}

void node_receipt_iter(const node *n, node_receipt_iter_fn fn, void *ctx) {
    for (size_t i = 0; i < R(n)->n; i++) {
        const node_guarantee *g = &R(n)->e[i].g;
        fn(ctx, &g->core, g->amount, g->role == ROLE_ISSUED ? &g->rc : NULL);
    }
}
