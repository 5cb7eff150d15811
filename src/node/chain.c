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
#include "ledger/elect.h"
#include "ledger/tx.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "wire/codec.h"

void chain_fatal(node *n, const char *fmt, ...) {
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
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
            return HANSA_OK;
        }
    } else if (n->height > 0) {
        hansa_err err = valset_at(n, LEDGER_SET_PREV, n->height, &n->vs_prev, NULL);
        if (err != HANSA_OK) return err;
    }
    return valset_at(n, LEDGER_SET_CUR, n->height + 1, &n->vs, &n->vs_activation);
}

/* The hash a header carries for one of the ledger's sets. */
static void ledger_set_hash(const node *n, ledger_set_which which, hansa_hash *out) {
    const ledger_validators *lv = ledger_state_valset(n->state, which, NULL);
    wire_valset w = {.n = lv->n, .v = (wire_validator *)lv->v};
    wire_valset_hash(&w, out);
}

static hansa_err load_record(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    node *n = ctx;
    char why[LEDGER_WHY_MAX];
    hansa_err err = ledger_state_load_record(n->state, k, kl, v, vl, why, sizeof why);
    if (err != HANSA_OK) LOG_E("node", "state record: %s", why);
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
    if (err != HANSA_OK) snprintf(why, why_len, "commit of tip: %s", store_errmsg(n->cfg.st));
    return err;
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

/* ---- pending (validated) blocks ---- */

static node_pending *pending_find(node *n, const hansa_hash *id) {
    for (size_t i = 0; i < n->n_pending; i++)
        if (hash_eq(&n->pending[i].id, id)) return &n->pending[i];
    return NULL;
}

/* Remembers a verdict; when full, the oldest is forgotten (it can be
 * re-validated if it is ever decided). Takes ownership of pb. */
static void pending_put(node *n, const hansa_hash *id, ledger_block *pb) {
    if (n->n_pending == NODE_PENDING_BLOCKS_MAX) {
        ledger_block_free(n->pending[0].pending);
        memmove(&n->pending[0], &n->pending[1], (n->n_pending - 1) * sizeof n->pending[0]);
        n->n_pending--;
    }
    n->pending[n->n_pending++] = (node_pending){*id, pb};
}

void chain_pending_clear(node *n) {
    for (size_t i = 0; i < n->n_pending; i++) ledger_block_free(n->pending[i].pending);
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

/* Fills the block's transactions from the mempool in admission order,
 * skipping any that no longer apply, until the block is full. */
static void build_txs(node *n, ledger_block *pb, wire_block *blk) {
    size_t cursor = 0, cap = 0;
    const uint8_t *bytes;
    uint32_t len;
    while (mempool_next(n->mp, &cursor, &bytes, &len)) {
        wire_tx tx;
        if (wire_tx_decode(bytes, len, &tx, NULL) != HANSA_OK) continue;
        char why[LEDGER_WHY_MAX];
        hansa_err err = ledger_block_add_tx(pb, &tx, true, why, sizeof why);
        if (err == HANSA_ERR_FULL) break;
        if (err != HANSA_OK) continue;
        if (blk->n_txs == cap) {
            cap = cap ? cap * 2 : 256;
            blk->txs = hansa_realloc(blk->txs, cap * sizeof *blk->txs);
        }
        blk->txs[blk->n_txs++] = (wire_bytes){bytes, len};
    }
}

/* Pooled evidence the ledger would accept in the next block, without
 * repeats; items it refuses for good (stale, punished, unknown offender)
 * leave the pool. */
static void build_evidence(node *n, wire_block *blk) {
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
    ledger_info_keep *keep = hansa_malloc(sizeof *keep);
    block_info(&blk, &info, keep);
    ledger_block *pb;
    char why[LEDGER_WHY_MAX];
    hansa_err err = ledger_block_begin(n->state, &info, &pb, why, sizeof why);
    free(keep);
    if (err != HANSA_OK) {
        LOG_W("node", "cannot build block %llu: %s", (unsigned long long)height, why);
        wire_block_free(&blk);
        return false;
    }
    build_txs(n, pb, &blk);
    ledger_block_finish(pb);
    h->app_hash = *ledger_block_app_hash(pb);
    ledger_set_hash(n, LEDGER_SET_CUR, &h->validators_hash);
    ledger_set_hash(n, LEDGER_SET_NEXT, &h->next_validators_hash);
    wire_block_seal(&blk);
    wire_block_encode(out, &blk);
    wire_header_hash(h, id);
    LOG_D("node", "built block %llu with %u txs", (unsigned long long)height, blk.n_txs);
    wire_block_free(&blk);
    pending_put(n, id, pb);
    return true;
}

/* ---- validation ---- */

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
    /* Time has a lower bound only. An upper bound from the local clock would
     * make validity depend on which node judges, and a node whose clock lags
     * would find a decided block invalid and stop as if its state diverged.
     * A proposer can therefore push block time ahead; BFT time (the median
     * of precommit timestamps) is the known remedy, not built yet. */
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
    hansa_err err = cons_commit_verify(&blk->last_commit, blk->header.chain_id, w.v, w.n);
    if (err == HANSA_OK) n->stats.sig_verifies += blk->last_commit.n_sigs;
    if (err != HANSA_OK) snprintf(why, why_len, "last commit: %s", hansa_strerror(err));
    return err == HANSA_OK;
}

static bool evidence_ok(node *n, const wire_block *blk, char *why, size_t why_len) {
    for (uint16_t i = 0; i < blk->n_evidence; i++) {
        const wire_evidence *ev = &blk->evidence[i];
        hansa_hash eh;
        wire_evidence_hash(ev, &eh);
        hansa_err err = cons_evidence_verify(ev, blk->header.chain_id);
        bool member = valset_index(&n->vs, &ev->a.validator) >= 0 ||
                      valset_index(&n->vs_prev, &ev->a.validator) >= 0;
        uint64_t state = 0;
        bool seen = hmap_get(&n->evidence_seen, &eh, &state);
        if (err != HANSA_OK || !member || (seen && state == 2) || ev->a.height > n->height + 1) {
            snprintf(why, why_len, "evidence %u is invalid or already committed", i);
            return false;
        }
    }
    return true;
}

/* Executes the block's transactions on an overlay; signatures of
 * transactions in our mempool were verified on admission and are skipped. */
static ledger_block *execute(node *n, const wire_block *blk, char *why, size_t why_len) {
    bool *verified = hansa_calloc(blk->n_txs ? blk->n_txs : 1, sizeof *verified);
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        hansa_hash th;
        sha256(blk->txs[i].bytes, blk->txs[i].len, &th);
        verified[i] = mempool_has(n->mp, &th);
        if (!verified[i]) n->stats.sig_verifies++;
    }
    ledger_block_info info;
    ledger_info_keep *keep = hansa_malloc(sizeof *keep);
    block_info(blk, &info, keep);
    ledger_block *pb = NULL;
    ledger_block_result res;
    hansa_err err = ledger_apply_block(n->state, &info, blk->txs, blk->n_txs, verified, &pb, &res);
    free(verified);
    free(keep);
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
    bool is_id = false;
    if (wire_block_decode(value, len, &blk, &r) != HANSA_OK) {
        rd_describe(&r, why, sizeof why);
    } else {
        is_id = block_is(&blk, id, why, sizeof why);
        if (is_id && header_ok(n, &blk, why, sizeof why) && last_commit_ok(n, &blk, why, sizeof why) &&
            evidence_ok(n, &blk, why, sizeof why))
            pb = execute(n, &blk, why, sizeof why);
        wire_block_free(&blk);
    }
    if (!pb) LOG_W("node", "block %llu is invalid: %s", (unsigned long long)height, why);
    snprintf(n->invalid_why, sizeof n->invalid_why, "%s", why);
    /* The verdict is kept under id (and found again by a later call or the
     * commit) only if these bytes are block id: else a peer relaying forged
     * bytes under a real id first would make the real block "invalid" here,
     * and its commit look like a divergence of this node's state. */
    if (is_id) pending_put(n, id, pb);
    return pb != NULL;
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
static hansa_err put_txs(store_batch *b, const wire_block *blk) {
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        hansa_hash th;
        sha256(blk->txs[i].bytes, blk->txs[i].len, &th);
        hansa_err err = store_batch_put_tx(b, &th, i);
        if (err != HANSA_OK) return err;
    }
    return HANSA_OK;
}

/* Block, commit certificate, tx index and state writes in one durable
 * transaction. Block 1 also carries the genesis state records, so a restart
 * finds the whole state in the store. blk is value decoded. */
static hansa_err persist(node *n, const uint8_t *value, size_t len, const hansa_hash *id,
                         const wire_commit *commit, const ledger_block *pb,
                         const wire_block *blk) {
    store_batch *b;
    hansa_err err = store_batch_begin(n->cfg.st, commit->height, &b);
    if (err != HANSA_OK) return err;
    hbuf_reset(&n->scratch);
    wire_commit_encode(&n->scratch, commit);
    if (err == HANSA_OK) err = store_batch_put_block(b, id, value, len);
    if (err == HANSA_OK) err = store_batch_put_commit(b, n->scratch.data, n->scratch.len);
    if (err == HANSA_OK) err = put_txs(b, blk);
    if (err == HANSA_OK && commit->height == 1) err = put_writes(b, &n->genesis_writes);
    if (err == HANSA_OK) err = put_writes(b, ledger_block_writes(pb));
    if (err != HANSA_OK) {
        store_batch_abort(b);
        return err;
    }
    return store_batch_commit(b, ledger_block_app_hash(pb));
}

/* The transactions and evidence of a committed block leave the pools. */
static void prune_pools(node *n, const wire_block *blk) {
    hansa_hash *hashes = hansa_calloc(blk->n_txs ? blk->n_txs : 1, sizeof *hashes);
    for (uint32_t i = 0; i < blk->n_txs; i++) sha256(blk->txs[i].bytes, blk->txs[i].len, &hashes[i]);
    mempool_update(n->mp, n->state, hashes, blk->n_txs);
    free(hashes);
    for (uint16_t i = 0; i < blk->n_evidence; i++) {
        hansa_hash eh;
        wire_evidence_hash(&blk->evidence[i], &eh);
        hmap_put(&n->evidence_seen, &eh, 2);
        for (size_t j = 0; j < n->n_evidence; j++) {
            hansa_hash pj;
            wire_evidence_hash(&n->evidence[j], &pj);
            if (!hash_eq(&pj, &eh)) continue;
            n->evidence[j] = n->evidence[--n->n_evidence];
            break;
        }
    }
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
    hansa_err err = persist(n, value, len, id, commit, p->pending, &blk);
    if (err != HANSA_OK) {
        wire_block_free(&blk);
        chain_fatal(n, "height %llu: storing the block failed: %s", (unsigned long long)commit->height,
                    store_errmsg(n->cfg.st));
        return;
    }
    ledger_block_commit(n->state, p->pending);
    p->pending = NULL;
    chain_pending_clear(n);
    ledger_writes_free(&n->genesis_writes);
    n->height = commit->height;
    n->block_hash = *id;
    n->block_time_ms = blk.header.time_ms;
    hbuf_reset(&n->last_commit);
    wire_commit_encode(&n->last_commit, commit);
    prune_pools(n, &blk);
    for (size_t i = 0; i < n->n_evidence && i < NODE_EVIDENCE_DURABLE_MAX; i++)
        node_wal_log_evidence(n, &n->evidence[i]);
    n->stats.committed_txs += blk.n_txs;
    node_hist_observe(&n->stats.block_txs, blk.n_txs);
    node_hist_observe(&n->stats.block_bytes, len);
    n->stats.rounds_last_height = commit->round + 1;
    LOG_I("node", "committed height=%llu txs=%u round=%u mempool=%zu", (unsigned long long)n->height,
          blk.n_txs, commit->round, mempool_count(n->mp));
    wire_block_free(&blk);
    if (valsets_refresh(n, true) != HANSA_OK) {
        chain_fatal(n, "height %llu: the ledger's validator set is invalid", (unsigned long long)n->height);
        return;
    }
    if (n->io.committed) n->io.committed(n->io.ctx, n->height);
}

/* ---- evidence ---- */

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
    /* Evidence is signed by the offender alone, so anyone can make some with
     * a key of their own. Keep (and relay) only what a block could carry
     * (evidence_ok): else strangers' evidence fills the pool, shutting out
     * real offences, grows evidence_seen and floods every node. */
    bool member = valset_index(&n->vs, &ev->a.validator) >= 0 ||
                  valset_index(&n->vs_prev, &ev->a.validator) >= 0;
    if (!member || ev->a.height > n->height + 1) return;
    if (cons_evidence_verify(ev, ledger_state_params(n->state)->chain_id) != HANSA_OK) {
        if (from_peer) n->io.drop(n->io.ctx, from_peer, "invalid evidence");
        return;
    }
    hmap_put(&n->evidence_seen, &eh, 1);
    if (n->n_evidence == NODE_EVIDENCE_MAX) return; /* pool full: it is still gossiped */
    n->evidence[n->n_evidence++] = *ev;
    node_wal_log_evidence(n, ev);
    LOG_W("node", "evidence of double signing at height %llu round %u",
          (unsigned long long)ev->a.height, ev->a.round);
    hbuf_reset(&n->scratch);
    wire_evidence_encode(&n->scratch, ev);
    n->io.broadcast(n->io.ctx, MSG_EVIDENCE, n->scratch.data, n->scratch.len, from_peer);
}
