/* chain.c — the chain side of the node: loading the state, building a block
 * to propose, judging a proposed block, and committing a decided one.
 *
 * A proposed block is judged by executing it on a ledger overlay
 * (ledger_block): the overlay is kept under the block's id, so when the
 * engine decides that block the commit pipeline stores and applies the
 * overlay without executing the transactions a second time. The commit
 * pipeline writes block, commit certificate and state writes in ONE durable
 * store transaction before anything in memory changes: after kill -9 the
 * node restarts from exactly the last committed block. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "interchain/cert.h"
#include "ledger/elect.h"
#include "ledger/tx.h"
#include "node/frost_duty.h"
#include "node/frost_sign.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "node/snapshot.h"
#include "wire/codec.h"

void chain_fatal(node *n, const char *fmt, ...) {
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (n->stopped) return; /* the first cause is the one to report */
    LOG_E("node", "stopping: %s", why);
    n->stopped = true;
    if (n->io.fatal) n->io.fatal(n->io.ctx, why);
}

/* The consensus view of one of the ledger's sets at height h: priorities
 * start at zero at the set's activation height and move one step per
 * height from there (valset.h), so every node, restarted or not, derives
 * the same proposer sequence from the chain alone. */
static hansa_err valset_at(const node *n, ledger_set_which which, uint64_t h, cons_valset *out,
                           uint64_t *activation) {
    uint64_t act;
    const ledger_validators *lv = ledger_state_valset(n->state, which, &act);
    hansa_err err = valset_init(out, lv->v, lv->n);
    if (err != HANSA_OK) return err;
    HANSA_ASSERT(act <= h);
    for (uint64_t i = act; i < h; i++) valset_advance(out);
    if (activation) *activation = act;
    return HANSA_OK;
}

/* Marks the members of vs the chain saw absent from its last commits:
 * they are passed over as proposers (valset.h). vs is sorted by pubkey,
 * the ledger's set in its own order, so members are matched by key. */
static void absent_mark(node *n) {
    const ledger_validators *lv = ledger_state_valset(n->state, LEDGER_SET_CUR, NULL);
    bool absent[WIRE_VALIDATORS_MAX];
    ledger_absent_members(n->state, absent);
    for (uint16_t i = 0; i < lv->n; i++) {
        int k = valset_index(&n->vs, &lv->v[i].pubkey);
        HANSA_ASSERT(k >= 0);
        n->vs.absent[k] = absent[i];
    }
}

/* After a commit (or at start-up): vs decides height+1, vs_prev decided
 * height. When the ledger's current set is the one vs already walks (same
 * activation), one step suffices instead of a walk from the activation. */
static hansa_err valsets_refresh(node *n, bool after_commit) {
    uint64_t act;
    ledger_state_valset(n->state, LEDGER_SET_CUR, &act);
    if (after_commit) {
        n->vs_prev = n->vs;
        if (act == n->vs_activation) {
            valset_advance(&n->vs);
            absent_mark(n);
            return HANSA_OK;
        }
    } else if (n->height > 0) {
        hansa_err err = valset_at(n, LEDGER_SET_PREV, n->height, &n->vs_prev, NULL);
        if (err != HANSA_OK) return err;
    }
    hansa_err err = valset_at(n, LEDGER_SET_CUR, n->height + 1, &n->vs, &n->vs_activation);
    if (err == HANSA_OK) absent_mark(n);
    return err;
}

/* wire_valset_hash of lv, from n's memo when lv is byte for byte a set
 * hashed lately (equal bytes encode equally). */
static void set_hash(node *n, const ledger_validators *lv, hansa_hash *out) {
    size_t memo_len = sizeof n->set_memo / sizeof n->set_memo[0];
    for (size_t i = 0; i < memo_len; i++) {
        const ledger_validators *m = &n->set_memo[i].set;
        if (n->set_memo[i].used && m->n == lv->n && memcmp(m->v, lv->v, lv->n * sizeof *lv->v) == 0) {
            *out = n->set_memo[i].hash;
            return;
        }
    }
    wire_valset w = {.n = lv->n, .v = (wire_validator *)lv->v};
    wire_valset_hash(&w, out);
    size_t i = n->set_memo_next++ % memo_len;
    n->set_memo[i].used = true;
    n->set_memo[i].set.n = lv->n;
    memcpy(n->set_memo[i].set.v, lv->v, lv->n * sizeof *lv->v);
    n->set_memo[i].hash = *out;
}

/* The hash a header carries for one of the ledger's sets. */
static void ledger_set_hash(node *n, ledger_set_which which, hansa_hash *out) {
    set_hash(n, ledger_state_valset(n->state, which, NULL), out);
}

static hansa_err load_record(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    node *n = ctx;
    char why[LEDGER_WHY_MAX];
    hansa_err err = ledger_state_load_record(n->state, k, kl, v, vl, why, sizeof why);
    if (err != HANSA_OK) LOG_E("node", "state record: %s", why);
    return err;
}

/* The tip block's tx root, which the next block hands the ledger
 * (ledger_block_info.prev_tx_root). */
static hansa_err tip_tx_root_load(node *n, char *why, size_t why_len) {
    hbuf bytes = HBUF_INIT;
    wire_block blk;
    hansa_err err = store_get_block(n->cfg.st, n->height, &bytes, NULL);
    if (err == HANSA_OK) err = wire_block_decode(bytes.data, bytes.len, &blk, NULL);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "tip block %llu: %s", (unsigned long long)n->height,
                 hansa_strerror(err));
    } else {
        n->tip_tx_root = blk.header.tx_root;
        wire_block_free(&blk);
    }
    hbuf_free(&bytes);
    return err;
}

/* Restart: the state is rebuilt from the stored records and checked
 * against the app hash the store recorded with the tip. */
static hansa_err load_stored(node *n, const store_tip *tip, char *why, size_t why_len) {
    n->state = ledger_state_load_begin(n->cfg.hash_key);
    hansa_err err = store_state_scan(n->cfg.st, NULL, 0, load_record, n);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "loading state records: %s", store_errmsg(n->cfg.st));
        return err;
    }
    err = ledger_state_load_finish(n->state, &tip->app_hash, why, why_len);
    if (err != HANSA_OK) return err;
    n->height = tip->height;
    n->block_hash = tip->block_hash;
    n->block_time_ms = ledger_last_block_time_ms(n->state);
    err = store_get_commit(n->cfg.st, tip->height, &n->last_commit);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "commit of tip: %s", store_errmsg(n->cfg.st));
        return err;
    }
    err = store_lowest_height(n->cfg.st, &n->lowest);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "lowest kept block: %s", store_errmsg(n->cfg.st));
        return err;
    }
    if (n->lowest == 0) n->lowest = 1; /* a backend store: see lowest_load */
    return tip_tx_root_load(n, why, why_len);
}

hansa_err chain_load(node *n, char *why, size_t why_len) {
    store_tip tip;
    hansa_err err = store_get_tip(n->cfg.st, &tip);
    if (err == HANSA_ERR_NOT_FOUND) {
        err = ledger_genesis_state(n->cfg.genesis, n->cfg.hash_key, &n->state, &n->genesis_writes,
                                   why, why_len);
        n->block_time_ms = n->cfg.genesis->params.genesis_time_ms;
    } else if (err == HANSA_OK) {
        err = load_stored(n, &tip, why, why_len);
    } else {
        snprintf(why, why_len, "reading the tip: %s", store_errmsg(n->cfg.st));
    }
    if (err != HANSA_OK) return err;
    if (ledger_state_params(n->state)->chain_id != n->cfg.genesis->params.chain_id) {
        snprintf(why, why_len, "the store holds chain %x but the genesis is for chain %x",
                 ledger_state_params(n->state)->chain_id, n->cfg.genesis->params.chain_id);
        return HANSA_ERR_CONFIG;
    }
    err = valsets_refresh(n, false);
    if (err != HANSA_OK) snprintf(why, why_len, "validator set in the state is invalid");
    return err;
}

/* evidence_seen values: the offence's height and how it was seen (the
 * pool kept it, or a committed block carried it). */
#define SEEN_POOLED 1u
#define SEEN_COMMITTED 2u

static uint64_t seen_value(uint64_t height, unsigned state) { return height << 2 | state; }

static void evidence_prune(node *n);

/* ---- pending (validated) blocks ---- */

static node_pending *pending_find(node *n, const hansa_hash *id) {
    for (size_t i = 0; i < n->n_pending; i++)
        if (hash_eq(&n->pending[i].id, id)) return &n->pending[i];
    return NULL;
}

static void pending_free(node_pending *p) {
    ledger_block_free(p->pending);
    free(p->tx_hashes);
    p->pending = NULL;
    p->tx_hashes = NULL;
}

/* Remembers a verdict; when full, the oldest is forgotten (it can be
 * re-validated if it is ever decided). Takes ownership of pb and tx_hashes. */
static void pending_put(node *n, const hansa_hash *id, ledger_block *pb, hansa_hash *tx_hashes) {
    if (n->n_pending == NODE_PENDING_BLOCKS_MAX) {
        pending_free(&n->pending[0]);
        memmove(&n->pending[0], &n->pending[1], (n->n_pending - 1) * sizeof n->pending[0]);
        n->n_pending--;
    }
    n->pending[n->n_pending++] = (node_pending){*id, pb, tx_hashes};
}

void chain_pending_clear(node *n) {
    for (size_t i = 0; i < n->n_pending; i++) pending_free(&n->pending[i]);
    n->n_pending = 0;
}

/* What the ledger needs from a block besides its transactions: the signers
 * of its last commit and its evidence (info's arrays point into *keep,
 * which the caller frees with ledger_info_free). */
typedef struct {
    uint16_t signers[WIRE_VALIDATORS_MAX];
    ledger_evidence ev[WIRE_BLOCK_EVIDENCE_MAX];
} ledger_info_keep;

static void block_info(const wire_block *blk, ledger_block_info *info, ledger_info_keep *keep) {
    const wire_header *h = &blk->header;
    *info = (ledger_block_info){.height = h->height, .time_ms = h->time_ms, .proposer = h->proposer};
    if (blk->has_last_commit) {
        HANSA_ASSERT(blk->last_commit.n_sigs <= WIRE_VALIDATORS_MAX);
        for (uint16_t i = 0; i < blk->last_commit.n_sigs; i++)
            keep->signers[i] = blk->last_commit.sigs[i].validator_index;
        info->signers = keep->signers;
        info->n_signers = blk->last_commit.n_sigs;
    }
    HANSA_ASSERT(blk->n_evidence <= WIRE_BLOCK_EVIDENCE_MAX);
    for (uint16_t i = 0; i < blk->n_evidence; i++) {
        wire_evidence_hash(&blk->evidence[i], &keep->ev[i].hash);
        keep->ev[i].offender = blk->evidence[i].a.validator;
        keep->ev[i].height = blk->evidence[i].a.height;
    }
    info->evidence = keep->ev;
    info->n_evidence = blk->n_evidence;
}

/* ---- building ---- */

/* Room for transactions in an encoded block: everything but them (header,
 * a last commit of the largest set, a full evidence list) fits in the
 * margin, so a block built within it never exceeds WIRE_BLOCK_BYTES_MAX. */
#define BUILD_TX_BYTES_MAX (WIRE_BLOCK_BYTES_MAX - (256u << 10))
_Static_assert(WIRE_HEADER_BYTES + WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX) +
                   WIRE_BLOCK_EVIDENCE_MAX * WIRE_EVIDENCE_BYTES + 64 < (256u << 10),
               "block margin holds everything but the transactions");

/* Fills the block's transactions from the mempool in admission order,
 * skipping any that no longer apply or no longer fit the block's bytes,
 * until the block is full. Returns their hashes, as the mempool keeps them
 * (owned by the caller; one slot at least). */
static hansa_hash *build_txs(node *n, ledger_block *pb, wire_block *blk) {
    size_t cursor = 0, cap = 0, room = BUILD_TX_BYTES_MAX;
    const uint8_t *bytes;
    uint32_t len;
    hansa_hash h, *hashes = NULL;
    while (mempool_next(n->mp, &cursor, &bytes, &len, &h)) {
        if ((size_t)len + 4 > room) continue; /* 4: its length prefix in the block */
        wire_tx tx;
        if (wire_tx_decode(bytes, len, &tx, NULL) != HANSA_OK) continue;
        char why[LEDGER_WHY_MAX];
        hansa_err err = ledger_block_add_tx(pb, &tx, true, why, sizeof why);
        if (err == HANSA_ERR_FULL) break;
        if (err != HANSA_OK) continue;
        if (blk->n_txs == cap) {
            cap = cap ? cap * 2 : 256;
            blk->txs = hansa_realloc(blk->txs, cap * sizeof *blk->txs);
            hashes = hansa_realloc(hashes, cap * sizeof *hashes);
        }
        hashes[blk->n_txs] = h;
        blk->txs[blk->n_txs++] = (wire_bytes){bytes, len};
        room -= (size_t)len + 4;
    }
    return hashes ? hashes : hansa_calloc(1, sizeof *hashes);
}

/* Pooled evidence the ledger would accept in the next block, without
 * repeats; items it refuses for good (stale, punished, unknown offender)
 * leave the pool. */
static void build_evidence(node *n, wire_block *blk) {
    if (n->n_evidence == 0) return; /* almost always: no 19 KB list to allocate */
    blk->evidence = hansa_calloc(WIRE_BLOCK_EVIDENCE_MAX, sizeof *blk->evidence);
    for (size_t i = 0; i < n->n_evidence && blk->n_evidence < WIRE_BLOCK_EVIDENCE_MAX;) {
        ledger_evidence le = {.offender = n->evidence[i].a.validator, .height = n->evidence[i].a.height};
        wire_evidence_hash(&n->evidence[i], &le.hash);
        bool dup = false;
        for (uint16_t j = 0; j < blk->n_evidence && !dup; j++) {
            hansa_hash hj;
            wire_evidence_hash(&blk->evidence[j], &hj);
            dup = hash_eq(&hj, &le.hash);
        }
        if (!dup && le.height >= n->height + 1) { i++; continue; } /* not yet includable */
        /* evidence_ok refuses an offender in neither set; one that left them
         * (slashed for another offence) never returns, so neither does this. */
        bool member = valset_index(&n->vs, &le.offender) >= 0 ||
                      valset_index(&n->vs_prev, &le.offender) >= 0;
        if (dup || !member || ledger_evidence_check(n->state, &le, NULL, 0) != HANSA_OK) {
            n->evidence[i] = n->evidence[--n->n_evidence];
            continue;
        }
        blk->evidence[blk->n_evidence++] = n->evidence[i++];
    }
}

bool chain_get_value(void *ctx, uint64_t height, uint32_t round, hbuf *out, hansa_hash *id) {
    node *n = ctx;
    (void)round;
    if (n->stopped || height != n->height + 1 || !n->cfg.key) return false;
    uint64_t now = clock_wall_ms(n->cfg.clock);
    wire_block blk = {0};
    wire_header *h = &blk.header;
    h->chain_id = ledger_state_params(n->state)->chain_id;
    h->height = height;
    h->time_ms = now > n->block_time_ms ? now : n->block_time_ms + 1;
    h->prev_block = n->block_hash;
    h->proposer = n->cfg.key->pub;
    blk.has_last_commit = height > 1;
    if (blk.has_last_commit)
        HANSA_ASSERT(wire_commit_decode(n->last_commit.data, n->last_commit.len, &blk.last_commit,
                                        NULL) == HANSA_OK);
    build_evidence(n, &blk);
    ledger_block_info info;
    ledger_info_keep keep;
    block_info(&blk, &info, &keep);
    info.prev_tx_root = n->tip_tx_root;
    ledger_block *pb;
    char why[LEDGER_WHY_MAX];
    hansa_err err = ledger_block_begin(n->state, &info, &pb, why, sizeof why);
    if (err != HANSA_OK) {
        LOG_W("node", "cannot build block %llu: %s", (unsigned long long)height, why);
        wire_block_free(&blk);
        return false;
    }
    hansa_hash *tx_hashes = build_txs(n, pb, &blk);
    ledger_block_finish(pb);
    h->app_hash = *ledger_block_app_hash(pb);
    ledger_set_hash(n, LEDGER_SET_CUR, &h->validators_hash);
    ledger_set_hash(n, LEDGER_SET_NEXT, &h->next_validators_hash);
    wire_block_seal(&blk);
    wire_block_encode(out, &blk);
    wire_header_hash(h, id);
    LOG_D("node", "built block %llu with %u txs", (unsigned long long)height, blk.n_txs);
    wire_block_free(&blk);
    pending_put(n, id, pb, tx_hashes);
    return true;
}

/* ---- validation ---- */

/* PBTS (CometBFT's proposer-based timestamps): a proposal is timely when
 * the block time it carries was, on arrival, within precision of this
 * node's clock from above and within precision plus the message delay from
 * below. The delay bound grows with the round, like the timeouts, so a
 * network slower than assumed still decides in a later round. Honest nodes
 * prevote only timely fresh proposals, so a decided block's time is within
 * these bounds of some honest clock: that is BFT time. */
bool chain_timely(void *ctx, const wire_proposal *p, const uint8_t *value, size_t len) {
    node *n = ctx;
    wire_header h;
    if (wire_block_peek_header(value, len, &h) != HANSA_OK) return false; /* invalid anyway */
    uint64_t now = clock_wall_ms(n->cfg.clock);
    uint64_t precision = n->cfg.pbts_precision_ms;
    uint64_t delay = (uint64_t)n->cfg.pbts_msg_delay_ms * ((uint64_t)p->round + 1);
    uint64_t slack = precision + delay;
    uint64_t lo = now > slack ? now - slack : 0;
    uint64_t hi = now + precision;
    if (h.time_ms >= lo && h.time_ms <= hi) return true;
    n->stats.untimely_proposals++;
    LOG_W("node", "untimely proposal height=%llu round=%u: block time %llu is %s our clock %llu "
          "(precision %llu ms, delay %llu ms): prevoting nil", (unsigned long long)p->height, p->round,
          (unsigned long long)h.time_ms, h.time_ms > hi ? "ahead of" : "behind",
          (unsigned long long)now, (unsigned long long)precision, (unsigned long long)delay);
    return false;
}

/* True if blk is the block that id names: its header hashes to id and its
 * body is the one the header commits to. Only then is a verdict on these
 * bytes a verdict on block id; other bytes under a real id are a forgery by
 * whoever relayed them and say nothing about the block. */
static bool block_is(const wire_block *blk, const hansa_hash *id, char *why, size_t why_len) {
    hansa_hash computed;
    wire_header_hash(&blk->header, &computed);
    const char *body_why = NULL;
    if (!hash_eq(&computed, id)) snprintf(why, why_len, "block id is not its header hash");
    else if (wire_block_check_body(blk, &body_why) != HANSA_OK) snprintf(why, why_len, "%s", body_why);
    else return true;
    return false;
}

static bool header_ok(node *n, const wire_block *blk, char *why, size_t why_len) {
    const wire_header *h = &blk->header;
    hansa_hash vh, nvh;
    ledger_set_hash(n, LEDGER_SET_CUR, &vh);
    ledger_set_hash(n, LEDGER_SET_NEXT, &nvh);
    /* Validity has a lower bound on time only. An upper bound from the local
     * clock would make validity depend on which node judges, and a node
     * whose clock lags would find a decided block invalid and stop as if its
     * state diverged. The bound from above is a prevote rule instead
     * (chain_timely): an untimely proposal is valid but prevoted nil. */
    if (h->chain_id != ledger_state_params(n->state)->chain_id) snprintf(why, why_len, "wrong chain");
    else if (h->height != n->height + 1) snprintf(why, why_len, "height %llu, expected %llu",
                                                  (unsigned long long)h->height, (unsigned long long)n->height + 1);
    else if (!hash_eq(&h->prev_block, &n->block_hash)) snprintf(why, why_len, "prev_block is not our tip");
    else if (h->time_ms <= n->block_time_ms) snprintf(why, why_len, "time not after the previous block");
    else if (!hash_eq(&h->validators_hash, &vh)) snprintf(why, why_len, "validators_hash mismatch");
    else if (!hash_eq(&h->next_validators_hash, &nvh)) snprintf(why, why_len, "next_validators_hash mismatch");
    else if (valset_index(&n->vs, &h->proposer) < 0) snprintf(why, why_len, "proposer is not a validator");
    else return true;
    return false;
}

static bool last_commit_ok(node *n, const wire_block *blk, char *why, size_t why_len) {
    if (!blk->has_last_commit) return true;
    wire_valset w = valset_as_wire(&n->vs_prev);
    hansa_err err = cert_commit_verify(&blk->last_commit, blk->header.chain_id, w.v, w.n);
    if (err == HANSA_OK) n->stats.sig_verifies += blk->last_commit.n_sigs;
    if (err != HANSA_OK) snprintf(why, why_len, "last commit: %s", hansa_strerror(err));
    return err == HANSA_OK;
}

static bool evidence_ok(node *n, const wire_block *blk, char *why, size_t why_len) {
    for (uint16_t i = 0; i < blk->n_evidence; i++) {
        const wire_evidence *ev = &blk->evidence[i];
        hansa_hash eh;
        wire_evidence_hash(ev, &eh);
        hansa_err err = cert_evidence_verify(ev, blk->header.chain_id);
        bool member = valset_index(&n->vs, &ev->a.validator) >= 0 ||
                      valset_index(&n->vs_prev, &ev->a.validator) >= 0;
        uint64_t state = 0;
        bool seen = hmap_get(&n->evidence_seen, &eh, &state);
        bool committed = seen && (state & 3) == SEEN_COMMITTED;
        if (err != HANSA_OK || !member || committed || ev->a.height > n->height + 1) {
            snprintf(why, why_len, "evidence %u is invalid or already committed", i);
            return false;
        }
    }
    return true;
}

/* Executes the block's transactions on an overlay. Signatures of
 * transactions in our mempool were verified on admission and are skipped;
 * the others are verified here on every core before execution. tx_hashes
 * (room for the block's transactions) receives their hashes. */
static ledger_block *execute(node *n, const wire_block *blk, hansa_hash *tx_hashes, char *why,
                             size_t why_len) {
    bool *verified = hansa_calloc(blk->n_txs ? blk->n_txs : 1, sizeof *verified);
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        verified[i] = mempool_has_bytes(n->mp, blk->txs[i].bytes, blk->txs[i].len, &tx_hashes[i]);
        if (!verified[i]) n->stats.sig_verifies++;
    }
    ledger_txs_verify_sigs(blk->txs, blk->n_txs, verified);
    ledger_block_info info;
    ledger_info_keep keep;
    block_info(blk, &info, &keep);
    info.prev_tx_root = n->tip_tx_root;
    ledger_block *pb = NULL;
    ledger_block_result res;
    hansa_err err = ledger_apply_block(n->state, &info, blk->txs, blk->n_txs, verified, &pb, &res);
    free(verified);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "%s", res.why);
        return NULL;
    }
    err = ledger_app_hash_check(blk->header.height, ledger_block_app_hash(pb), &blk->header.app_hash,
                                why, why_len);
    if (err != HANSA_OK) {
        ledger_block_free(pb);
        return NULL;
    }
    return pb;
}

bool chain_valid(void *ctx, uint64_t height, const uint8_t *value, size_t len,
                 const hansa_hash *id) {
    node *n = ctx;
    node_pending *known = pending_find(n, id);
    if (known) return known->pending != NULL;
    if (n->stopped || height != n->height + 1) return false;
    wire_block blk;
    wire_rd r;
    char why[256] = "";
    ledger_block *pb = NULL;
    hansa_hash *tx_hashes = NULL;
    bool is_id = false;
    if (wire_block_decode(value, len, &blk, &r) != HANSA_OK) {
        rd_describe(&r, why, sizeof why);
    } else {
        is_id = block_is(&blk, id, why, sizeof why);
        if (is_id && header_ok(n, &blk, why, sizeof why) && last_commit_ok(n, &blk, why, sizeof why) &&
            evidence_ok(n, &blk, why, sizeof why)) {
            tx_hashes = hansa_calloc(blk.n_txs ? blk.n_txs : 1, sizeof *tx_hashes);
            pb = execute(n, &blk, tx_hashes, why, sizeof why);
        }
        wire_block_free(&blk);
    }
    if (!pb) {
        free(tx_hashes);
        tx_hashes = NULL;
    }
    if (!pb) LOG_W("node", "block %llu is invalid: %s", (unsigned long long)height, why);
    snprintf(n->invalid_why, sizeof n->invalid_why, "%s", why);
    /* The verdict is kept under id (and found again by a later call or the
     * commit) only if these bytes are block id: else a peer relaying forged
     * bytes under a real id first would make the real block "invalid" here,
     * and its commit look like a divergence of this node's state. */
    bool valid = pb != NULL;
    if (is_id) pending_put(n, id, pb, tx_hashes);
    else pending_free(&(node_pending){.pending = pb, .tx_hashes = tx_hashes});
    return valid;
}

/* ---- commit ---- */

static hansa_err put_writes(store_batch *b, const ledger_writes *ws) {
    for (size_t i = 0; i < ws->n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(ws, i, &kl);
        const uint8_t *v = ledger_write_value(ws, i, &vl);
        /* An empty value is a deletion (ledger/writes.h). */
        hansa_err err = vl == 0 ? store_batch_del_state(b, k, kl) : store_batch_put_state(b, k, kl, v, vl);
        if (err != HANSA_OK) return err;
    }
    return HANSA_OK;
}

/* Every transaction of the block in the tx index (hash -> height, position),
 * so RPC can find a transaction and prove its inclusion. */
static hansa_err put_txs(store_batch *b, const wire_block *blk, const hansa_hash *tx_hashes) {
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        hansa_err err = store_batch_put_tx(b, &tx_hashes[i], i);
        if (err != HANSA_OK) return err;
    }
    return HANSA_OK;
}

/* The validator sets the ledger holds after this block that the store may
 * not have yet: light clients of this chain ask for the set of any height
 * (rpc `validators`), and a set first appears as the next one, so putting
 * each set the first time it is seen keeps them all. The hashes put last
 * are remembered; after a restart they are put again (a no-op). */
static hansa_err put_valsets(node *n, store_batch *b, const ledger_block *pb) {
    static const ledger_set_which order[3] = {LEDGER_SET_PREV, LEDGER_SET_CUR, LEDGER_SET_NEXT};
    hansa_hash seen[3];
    hbuf enc = HBUF_INIT;
    hansa_err err = HANSA_OK;
    for (int i = 0; i < 3 && err == HANSA_OK; i++) {
        const ledger_validators *lv = &pb->sets.set[order[i]].vals;
        wire_valset w = {.n = lv->n, .v = (wire_validator *)lv->v};
        set_hash(n, lv, &seen[i]);
        bool known = false;
        for (int j = 0; j < 3; j++) known |= n->valsets_put[j] && hash_eq(&n->valset_put[j], &seen[i]);
        for (int j = 0; j < i; j++) known |= hash_eq(&seen[j], &seen[i]);
        if (known) continue;
        hbuf_reset(&enc);
        wire_valset_encode(&enc, &w);
        err = store_batch_put_valset(b, &seen[i], enc.data, enc.len);
    }
    hbuf_free(&enc);
    for (int j = 0; j < 3 && err == HANSA_OK; j++) {
        n->valset_put[j] = seen[j];
        n->valsets_put[j] = true;
    }
    return err;
}

/* Block, commit certificate, tx index and state writes in one durable
 * transaction. Block 1 also carries the genesis state records, so a restart
 * finds the whole state in the store. blk is value decoded; tx_hashes are
 * its transactions' hashes. */
static hansa_err persist(node *n, const uint8_t *value, size_t len, const hansa_hash *id,
                         const wire_commit *commit, const ledger_block *pb,
                         const wire_block *blk, const hansa_hash *tx_hashes) {
    store_batch *b;
    hansa_err err = store_batch_begin(n->cfg.st, commit->height, &b);
    if (err != HANSA_OK) return err;
    hbuf_reset(&n->scratch);
    wire_commit_encode(&n->scratch, commit);
    if (err == HANSA_OK) err = store_batch_put_block(b, id, value, len);
    if (err == HANSA_OK) err = store_batch_put_commit(b, n->scratch.data, n->scratch.len);
    if (err == HANSA_OK) err = put_txs(b, blk, tx_hashes);
    if (err == HANSA_OK && commit->height == 1) err = put_writes(b, &n->genesis_writes);
    if (err == HANSA_OK) err = put_writes(b, ledger_block_writes(pb));
    if (err == HANSA_OK) err = put_valsets(n, b, pb);
    if (err != HANSA_OK) {
        store_batch_abort(b);
        return err;
    }
    return store_batch_commit(b, ledger_block_app_hash(pb));
}

/* The transactions and evidence of a committed block leave the pools. */
static void prune_pools(node *n, const wire_block *blk, const hansa_hash *tx_hashes) {
    mempool_update(n->mp, n->state, tx_hashes, blk->n_txs);
    for (uint16_t i = 0; i < blk->n_evidence; i++) {
        hansa_hash eh;
        wire_evidence_hash(&blk->evidence[i], &eh);
        hmap_put(&n->evidence_seen, &eh, seen_value(blk->evidence[i].a.height, SEEN_COMMITTED));
    }
    evidence_prune(n);
}

typedef struct {
    node *n;
    uint64_t height;
} credit_emit;

static void emit_credit_event(void *ctx, const ledger_credit_event *ev) {
    credit_emit *e = ctx;
    e->n->io.credit_event(e->n->io.ctx, e->height, ev);
}

/* Heights indexed per store_index_step: sorting a batch's entries lets
 * neighbouring keys share the pages they dirty. */
#define CHAIN_INDEX_BATCH 32
/* Heights logged before the commit delay runs a step. A step per height
 * wrote about a page per transaction (random keys in a B-tree, each in a
 * different leaf) and paid a flush: under load 2-9% of a node's CPU
 * (issue 15). Sixteen heights' sorted keys share most of their leaves;
 * until then store_get_tx finds them in the log. */
#define CHAIN_INDEX_IDLE_MIN 16

void chain_index_txs(node *n, bool idle) {
    uint64_t backlog = 0;
    hansa_err e = store_prepare_tx_lookups(n->cfg.st);
    if (e == HANSA_OK) e = store_index_backlog(n->cfg.st, &backlog);
    if (e == HANSA_OK && backlog >= (idle ? CHAIN_INDEX_IDLE_MIN : CHAIN_INDEX_BATCH))
        e = store_index_step(n->cfg.st, CHAIN_INDEX_BATCH, NULL);
    if (e != HANSA_OK)
        chain_fatal(n, "cannot index committed transactions: %s", store_errmsg(n->cfg.st));
}

/* Heights pruned per store_prune_step: bounded so a node switching from
 * archive to pruned spreads its backlog over many commit waits. */
#define CHAIN_PRUNE_BATCH 256

/* tx_index entries the sweep looks at per commit: this many plus twice the
 * block's transactions. The index grows by a block's transactions a commit
 * and the sweep walks it in turn, so entries of pruned heights awaiting it
 * stay under the index's live entries (about keep_blocks blocks' worth):
 * the index stays within twice what the node keeps. */
#define CHAIN_SWEEP_MIN 1024

/* n->lowest from the store (a backend store keeps no blocks of its own to
 * count: every block up to the tip is taken as served, as before pruning). */
static void lowest_load(node *n) {
    hansa_err e = store_lowest_height(n->cfg.st, &n->lowest);
    if (e != HANSA_OK) chain_fatal(n, "cannot read the lowest kept block: %s", store_errmsg(n->cfg.st));
    if (n->lowest == 0 && n->height > 0) n->lowest = 1;
}

void chain_prune(node *n) {
    uint64_t keep = n->cfg.prune_keep_blocks;
    uint32_t pruned = 0;
    if (keep != 0 && n->height > keep) {
        uint64_t below = node_snapshot_prune_floor(n, n->height - keep + 1);
        hansa_err e = store_prune_step(n->cfg.st, below, CHAIN_PRUNE_BATCH, &pruned);
        if (e == HANSA_OK)
            e = store_sweep_tx_index(n->cfg.st, &n->sweep_at, CHAIN_SWEEP_MIN + 2 * n->tip_txs, NULL);
        if (e != HANSA_OK) chain_fatal(n, "cannot prune old blocks: %s", store_errmsg(n->cfg.st));
    }
    if (!n->stopped && (pruned > 0 || n->lowest == 0)) lowest_load(n);
}

void chain_commit(node *n, const uint8_t *value, size_t len, const hansa_hash *id,
                  const wire_commit *commit) {
    HANSA_ASSERT(commit->height == n->height + 1);
    node_pending *p = pending_find(n, id);
    if (!p && chain_valid(n, commit->height, value, len, id)) p = pending_find(n, id);
    if (!p || !p->pending) {
        chain_fatal(n, "height %llu: the chain decided a block this node finds invalid (%s); "
                    "this node's state has diverged", (unsigned long long)commit->height,
                    n->invalid_why);
        return;
    }
    wire_block blk;
    HANSA_ASSERT(wire_block_decode(value, len, &blk, NULL) == HANSA_OK);
    /* Hashed once, when the block was executed, for the tx index and the
     * mempool (each hashed them again). Ours now: the pending list is
     * cleared below. */
    hansa_hash *tx_hashes = p->tx_hashes;
    HANSA_ASSERT(tx_hashes != NULL); /* every valid verdict has them */
    p->tx_hashes = NULL;
    hansa_err err = persist(n, value, len, id, commit, p->pending, &blk, tx_hashes);
    if (err != HANSA_OK) {
        free(tx_hashes);
        wire_block_free(&blk);
        chain_fatal(n, "height %llu: storing the block failed: %s", (unsigned long long)commit->height,
                    store_errmsg(n->cfg.st));
        return;
    }
    if (n->io.credit_event) {
        credit_emit emit = {n, commit->height};
        ledger_credit_events(ledger_block_writes(p->pending), emit_credit_event, &emit);
    }
    ledger_snap_info snap;
    bool snapshot_due = node_snapshot_due(n, p->pending, &snap);
    ledger_block_commit(n->state, p->pending);
    p->pending = NULL;
    chain_pending_clear(n);
    ledger_writes_free(&n->genesis_writes);
    n->height = commit->height;
    n->block_hash = *id;
    n->block_time_ms = blk.header.time_ms;
    n->tip_tx_root = blk.header.tx_root;
    hbuf_reset(&n->last_commit);
    wire_commit_encode(&n->last_commit, commit);
    prune_pools(n, &blk, tx_hashes);
    free(tx_hashes);
    receipts_on_commit(n, &blk);
    frost_duty_on_commit(n, &blk);
    frost_sign_on_commit(n, &blk);
    for (size_t i = 0; i < n->n_evidence && i < NODE_EVIDENCE_DURABLE_MAX && !n->stopped; i++)
        node_wal_log_evidence(n, &n->evidence[i]);
    n->stats.committed_txs += blk.n_txs;
    n->tip_txs = blk.n_txs;
    node_hist_observe(&n->stats.block_txs, blk.n_txs);
    node_hist_observe(&n->stats.block_bytes, len);
    n->stats.rounds_last_height = commit->round + 1;
    LOG_I("node", "committed height=%llu txs=%u round=%u mempool=%zu", (unsigned long long)n->height,
          blk.n_txs, commit->round, mempool_count(n->mp));
    wire_block_free(&blk);
    if (n->stopped) return;
    if (valsets_refresh(n, true) != HANSA_OK) {
        chain_fatal(n, "height %llu: the ledger's validator set is invalid", (unsigned long long)n->height);
        return;
    }
    if (snapshot_due) node_snapshot_write(n, &snap);
    if (n->stopped) return;
    if (n->io.committed) n->io.committed(n->io.ctx, n->height);
}

/* ---- evidence ----
 *
 * The pool keeps duplicate-vote evidence a coming block could punish with,
 * and nothing else: evidence is signed by the offender alone, so anyone can
 * make it with a key of their own, a Byzantine delegate can make hundreds
 * against itself, and old offences are free to replay. So an item is kept
 * (and relayed) only if its offender is a validator of the current or the
 * last set and not tombstoned yet, the offence is not punished yet, and its
 * height is within the ledger's evidence_age_max of the next block and not
 * above the height being decided. One item per offender is enough (the
 * ledger slashes and tombstones on the first), and of two the one that
 * stays includable longer is kept. An item is marked seen only once it is
 * kept, so nothing is ever refused for having been seen while the pool had
 * no room. The cheap checks come before the two signature checks. */

/* True if a block from the next one on may still carry evidence of height h. */
static bool evidence_fresh(const node *n, uint64_t h) {
    uint64_t next = n->height + 1;
    uint64_t age_max = ledger_state_params(n->state)->elect.evidence_age_max;
    return h > 0 && h <= next && h + age_max >= next;
}

static bool evidence_can_punish(const node *n, const wire_evidence *ev, const hansa_hash *eh) {
    bool member = valset_index(&n->vs, &ev->a.validator) >= 0 ||
                  valset_index(&n->vs_prev, &ev->a.validator) >= 0;
    ledger_candidate c;
    bool tombstoned = ledger_candidate_get(n->state, &ev->a.validator, &c) &&
                      (c.flags & LEDGER_CAND_TOMBSTONED);
    return member && !tombstoned && evidence_fresh(n, ev->a.height) &&
           !ledger_evidence_punished(n->state, eh);
}

static int pool_find_offender(const node *n, const hansa_pubkey *pk) {
    for (size_t i = 0; i < n->n_evidence; i++)
        if (pubkey_eq(&n->evidence[i].a.validator, pk)) return (int)i;
    return -1;
}

/* The item that stops being includable first: what a full pool gives up. */
static size_t pool_oldest(const node *n) {
    HANSA_ASSERT(n->n_evidence > 0);
    size_t best = 0;
    for (size_t i = 1; i < n->n_evidence; i++)
        if (n->evidence[i].a.height < n->evidence[best].a.height) best = i;
    return best;
}

/* Where ev goes in the pool, or -1 if what the pool holds is as good. */
static int pool_place(const node *n, const wire_evidence *ev) {
    int same = pool_find_offender(n, &ev->a.validator);
    if (same >= 0) return n->evidence[same].a.height < ev->a.height ? same : -1;
    if (n->n_evidence < NODE_EVIDENCE_MAX) return (int)n->n_evidence;
    size_t old = pool_oldest(n);
    return n->evidence[old].a.height < ev->a.height ? (int)old : -1;
}

hansa_err chain_evidence_submit(node *n, const wire_evidence *ev, char *why, size_t why_len) {
    uint32_t chain = ledger_state_params(n->state)->chain_id;
    hansa_err err = cert_evidence_verify(ev, chain);
    if (err != HANSA_OK) {
        snprintf(why, why_len, "the evidence does not verify for chain %x: %s", chain, hansa_strerror(err));
        return err;
    }
    if (valset_index(&n->vs, &ev->a.validator) < 0 && valset_index(&n->vs_prev, &ev->a.validator) < 0) {
        snprintf(why, why_len, "the offender is not a delegate of the current or last set");
        return HANSA_ERR_INVALID;
    }
    ledger_evidence le = {.offender = ev->a.validator, .height = ev->a.height};
    wire_evidence_hash(ev, &le.hash);
    char lwhy[LEDGER_WHY_MAX] = "";
    if (ev->a.height <= n->height && (err = ledger_evidence_check(n->state, &le, lwhy, sizeof lwhy)) != HANSA_OK) {
        snprintf(why, why_len, "%s", lwhy);
        return err;
    }
    chain_evidence_add(n, ev, NULL);
    return HANSA_OK;
}

/* The pool again, to every peer, each rebroadcast_ms, a few items at a
 * time in turn: evidence sent once can be lost (a partition, a peer down),
 * and the proposer that would put it in a block may be the one node that
 * never got it (the simulator: a double signer kept its seat for 18
 * heights, seed 27, --faults all). The pool empties as blocks carry it. */
void chain_evidence_gossip(node *n) {
    for (size_t k = 0; k < n->n_evidence && k < NODE_EVIDENCE_GOSSIP_MAX; k++) {
        size_t i = n->evidence_gossip_at++ % n->n_evidence;
        hbuf_reset(&n->scratch);
        wire_evidence_encode(&n->scratch, &n->evidence[i]);
        n->io.broadcast(n->io.ctx, MSG_EVIDENCE, n->scratch.data, n->scratch.len, NULL);
    }
}

void chain_evidence_add(node *n, const wire_evidence *ev, void *from_peer) {
    hansa_hash eh;
    wire_evidence_hash(ev, &eh);
    if (hmap_get(&n->evidence_seen, &eh, NULL)) return;
    if (!evidence_can_punish(n, ev, &eh)) return;
    int at = pool_place(n, ev);
    if (at < 0) return;
    if (cert_evidence_verify(ev, ledger_state_params(n->state)->chain_id) != HANSA_OK) {
        if (from_peer) n->io.drop(n->io.ctx, from_peer, "invalid evidence");
        return;
    }
    if ((size_t)at == n->n_evidence) n->n_evidence++;
    n->evidence[at] = *ev;
    hmap_put(&n->evidence_seen, &eh, seen_value(ev->a.height, SEEN_POOLED));
    node_wal_log_evidence(n, ev);
    if (n->stopped) return;
    LOG_W("node", "evidence of double signing at height %llu round %u",
          (unsigned long long)ev->a.height, ev->a.round);
    hbuf_reset(&n->scratch);
    wire_evidence_encode(&n->scratch, ev);
    n->io.broadcast(n->io.ctx, MSG_EVIDENCE, n->scratch.data, n->scratch.len, from_peer);
}

/* After a commit: items that can no longer punish leave the pool, and once
 * every evidence_age_max heights the seen set forgets offences too old to
 * matter, so it stays bounded by what the window can hold. */
static void evidence_prune(node *n) {
    for (size_t i = 0; i < n->n_evidence;) {
        hansa_hash eh;
        wire_evidence_hash(&n->evidence[i], &eh);
        if (evidence_can_punish(n, &n->evidence[i], &eh)) i++;
        else n->evidence[i] = n->evidence[--n->n_evidence];
    }
    uint64_t age_max = ledger_state_params(n->state)->elect.evidence_age_max;
    if (age_max == 0 || n->height % age_max != 0) return;
    hmap keep = HMAP_INIT;
    for (size_t i = 0; i < n->evidence_seen.cap; i++) {
        const hmap_slot *sl = &n->evidence_seen.slots[i];
        if (sl->used && evidence_fresh(n, sl->value >> 2)) hmap_put(&keep, &sl->key, sl->value);
    }
    hmap_free(&n->evidence_seen);
    n->evidence_seen = keep;
}
