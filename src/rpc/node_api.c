/* node_api.c — JSON-RPC methods over a node (see node_api.h; docs/rpc.md,
 * "Methods", has every method with its params, result and errors).
 *
 * Reads go straight to the node's state and store: the loop thread is the
 * only one touching them, so there is nothing to lock. Calls that wait
 * (submit_tx with wait, wait_tx, wait_block) become waiters on one list:
 * a deferred rpc_pending plus what it waits for. A waiter is answered
 * exactly once: by the answering job below, by the server's cancel (its
 * deadline passed, or its client left: waiter_cancel unlinks it), or by
 * rpc_node_api_free at shutdown.
 *
 * Waiters must not stall consensus. The driver reports a commit from the
 * middle of the node's commit pipeline (rpc_node_api_on_commit), so that
 * call only notes the height and starts the answering job, a uv_idle that
 * runs on later turns of the loop and looks at WAITERS_PER_TURN waiters per
 * turn: the loop polls the peers' sockets and runs the consensus timers
 * between turns, whatever the number of waiters. The `wait_block` answer
 * for a height is built once (a small cache of block views) and shared by
 * every waiter of that height: before, 1000 waiters meant 1000 reads,
 * decodes and JSON builds of the same block on the consensus path. And the
 * waiters for blocks are capped (WAIT_BLOCK_WAITERS_MAX). */
#include "rpc/node_api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/record.h"
#include "node/msg.h"
#include "rpc/delegates_api.h"
#include "rpc/node_json.h"
#include "rpc/server_internal.h"
#include "wire/codec.h"

/* Bounds of the waiting calls' timeout_ms param. */
#define WAIT_TIMEOUT_MS_DEFAULT 30000
#define WAIT_TIMEOUT_MS_MAX 300000
/* wait_block calls waiting at once; more are answered -32005. */
#define WAIT_BLOCK_WAITERS_MAX 512
/* Waiters the answering job looks at per turn of the loop. */
#define WAITERS_PER_TURN 32
/* Block views kept for waiters: the heights just committed. */
#define VIEW_CACHE_HEIGHTS 8
/* Hashes listed by `mempool` at most (its `limit` param). */
#define MEMPOOL_LIST_MAX 10000
#define MEMPOOL_LIST_DEFAULT 100

typedef enum { WAIT_SUBMIT, WAIT_TX, WAIT_BLOCK } waiter_kind;

typedef struct waiter {
    struct waiter *prev, *next;
    rpc_node_api *api;
    rpc_pending *pending;
    waiter_kind kind;
    hansa_hash hash;        /* WAIT_SUBMIT, WAIT_TX */
    uint64_t after_height;  /* WAIT_BLOCK */
    uint64_t checked_at;    /* the commit height it was last looked at for */
} waiter;

typedef struct {
    uint64_t height;     /* 0: empty */
    rpc_json_text *view; /* owned reference; shared with the answers */
} cached_view;

struct rpc_node_api {
    rpc_server *server;
    node *n;
    char version[64];
    bool has_software;
    hansa_hash software; /* SHA-256 of the running executable */
    rpc_peers_fn peers;  /* lists the links for status; may be NULL */
    void *peers_ctx;
    waiter *waiters;     /* doubly linked, unordered */
    unsigned block_waiters;
    uint64_t committed;  /* the last commit height reported */
    uv_idle_t answering; /* runs answer_turn while waiters are unchecked */
    bool answering_on;
    cached_view views[VIEW_CACHE_HEIGHTS];
    rpc_node_api_counters counters;
};

/* ---- errors ---- */

/* A store read that failed for a reason other than absence: the node's
 * fault, not the caller's. */
static rpc_outcome store_broken(rpc_node_api *api, hansa_err e) {
    return rpc_fail(RPC_INTERNAL_ERROR, json_pack("{s:s}", "error", hansa_errname(e)),
                    "reading the store failed: %s", store_errmsg(node_store(api->n)));
}

/* Reads the optional timeout_ms param of a waiting call. */
static bool param_timeout(json_t *params, uint64_t *timeout_ms, rpc_outcome *out) {
    rpc_error err = {0};
    *timeout_ms = WAIT_TIMEOUT_MS_DEFAULT;
    if (!rpc_param_u64(params, "timeout_ms", false, timeout_ms, &err)) {
        *out = rpc_fail_with(&err);
        return false;
    }
    if (*timeout_ms == 0 || *timeout_ms > WAIT_TIMEOUT_MS_MAX) {
        *out = nj_bad_param("timeout_ms", "must be 1..300000");
        return false;
    }
    return true;
}

/* ---- views built from the store ---- */

static uint64_t tip_height(const rpc_node_api *api) {
    node_status st;
    node_get_status(api->n, &st);
    return st.height;
}

/* True if the block at height (at or below the tip) was pruned; then *out
 * is the RPC_PRUNED error to answer. */
static bool pruned(const rpc_node_api *api, uint64_t height, rpc_outcome *out) {
    node_status st;
    node_get_status(api->n, &st);
    if (height >= st.lowest_height) return false;
    *out = nj_pruned(height, st.lowest_height);
    return true;
}

/* The current set, if it is the one that signed blocks with this
 * validators_hash (sets change only at elections; until then every block's
 * set is the current one). NULL otherwise. */
static const cons_valset *signing_set(const rpc_node_api *api, const hansa_hash *validators_hash) {
    const cons_valset *vs = node_valset(api->n);
    wire_valset w = valset_as_wire(vs);
    hansa_hash vh;
    wire_valset_hash(&w, &vh);
    return hash_eq(&vh, validators_hash) ? vs : NULL;
}

/* The commit certificate of height as JSON, or a store error. */
static hansa_err commit_view(rpc_node_api *api, uint64_t height, const wire_header *h, json_t **out) {
    hbuf cb = HBUF_INIT;
    hansa_err e = store_get_commit(node_store(api->n), height, &cb);
    wire_commit c;
    if (e == HANSA_OK && wire_commit_decode(cb.data, cb.len, &c, NULL) != HANSA_OK) e = HANSA_ERR_CORRUPT;
    if (e == HANSA_OK) {
        *out = nj_commit(&c, signing_set(api, &h->validators_hash));
        wire_commit_free(&c);
    }
    hbuf_free(&cb);
    return e;
}

/* A stored block, decoded; blk borrows from raw (keep raw until freeing blk). */
static hansa_err load_block(rpc_node_api *api, uint64_t height, hbuf *raw, wire_block *blk) {
    hansa_err e = store_get_block(node_store(api->n), height, raw, NULL);
    if (e == HANSA_OK && wire_block_decode(raw->data, raw->len, blk, NULL) != HANSA_OK)
        e = HANSA_ERR_CORRUPT;
    return e;
}

/* The `block` result for a stored block: height, hash, header, tx_hashes,
 * evidence_count, commit, and txs (hex encodings) when with_txs. */
static hansa_err block_view(rpc_node_api *api, uint64_t height, bool with_txs, json_t **out) {
    hbuf raw = HBUF_INIT;
    wire_block blk;
    hansa_err e = load_block(api, height, &raw, &blk);
    if (e != HANSA_OK) {
        hbuf_free(&raw);
        return e;
    }
    json_t *commit = NULL;
    e = commit_view(api, height, &blk.header, &commit);
    if (e == HANSA_OK) {
        json_t *hashes = json_array(), *txs = json_array();
        for (uint32_t i = 0; i < blk.n_txs; i++) {
            hansa_hash th;
            sha256(blk.txs[i].bytes, blk.txs[i].len, &th);
            json_array_append_new(hashes, nj_hash(&th));
            if (with_txs) json_array_append_new(txs, nj_hex(blk.txs[i].bytes, blk.txs[i].len));
        }
        json_t *header = nj_header(&blk.header);
        *out = json_pack("{s:I, s:O, s:o, s:o, s:i, s:o}", "height", (json_int_t)height, "hash",
                         json_object_get(header, "hash"), "header", header, "tx_hashes", hashes,
                         "evidence_count", blk.n_evidence, "commit", commit);
        if (with_txs) json_object_set_new(*out, "txs", txs);
        else json_decref(txs);
    }
    wire_block_free(&blk);
    hbuf_free(&raw);
    return e;
}

/* The `block` result without txs for height, built and serialised once
 * and shared by every answer: *out is a new reference to the cached text
 * (the caller owns that reference). */
static hansa_err block_view_shared(rpc_node_api *api, uint64_t height, rpc_json_text **out) {
    cached_view *slot = &api->views[height % VIEW_CACHE_HEIGHTS];
    if (slot->height != height) {
        json_t *v = NULL;
        hansa_err e = block_view(api, height, false, &v);
        if (e != HANSA_OK) return e;
        api->counters.block_views_built++;
        rpc_json_text_unref(slot->view);
        *slot = (cached_view){height, rpc_json_text_new(v)};
        json_decref(v);
    }
    *out = rpc_json_text_ref(slot->view);
    return HANSA_OK;
}

/* The `tx` result for a committed tx: where it is, the tx, its RFC 6962
 * inclusion proof under the header's tx_root, the header and the commit. */
static hansa_err tx_view(rpc_node_api *api, const hansa_hash *hash, const store_tx_loc *loc,
                         json_t **out) {
    hbuf raw = HBUF_INIT;
    wire_block blk;
    hansa_err e = load_block(api, loc->height, &raw, &blk);
    if (e != HANSA_OK) {
        hbuf_free(&raw);
        return e;
    }
    json_t *commit = NULL;
    if (loc->index >= blk.n_txs) e = HANSA_ERR_CORRUPT; /* index disagrees with the block */
    if (e == HANSA_OK) e = commit_view(api, loc->height, &blk.header, &commit);
    if (e == HANSA_OK) {
        hansa_hash *leaves = hansa_calloc(blk.n_txs, sizeof *leaves);
        for (uint32_t i = 0; i < blk.n_txs; i++)
            merkle_leaf_hash(blk.txs[i].bytes, blk.txs[i].len, &leaves[i]);
        hansa_hash path[MERKLE_PROOF_MAX];
        size_t plen = merkle_proof(leaves, blk.n_txs, loc->index, path);
        json_t *pj = json_array();
        for (size_t i = 0; i < plen; i++) json_array_append_new(pj, nj_hash(&path[i]));
        json_t *proof = json_pack("{s:o, s:I, s:I, s:o, s:o}", "leaf_hash", nj_hash(&leaves[loc->index]),
                                  "index", (json_int_t)loc->index, "tree_size",
                                  (json_int_t)blk.header.tx_count, "path", pj, "root",
                                  nj_hash(&blk.header.tx_root));
        free(leaves);
        const wire_bytes *tb = &blk.txs[loc->index];
        *out = json_pack("{s:o, s:I, s:I, s:o, s:s, s:o, s:o, s:o}", "hash", nj_hash(hash), "height",
                         (json_int_t)loc->height, "index", (json_int_t)loc->index, "tx",
                         nj_tx(tb->bytes, tb->len), "result", "ok", "proof", proof, "header",
                         nj_header(&blk.header), "commit", commit);
    }
    wire_block_free(&blk);
    hbuf_free(&raw);
    return e;
}

/* ---- waiters ---- */

static void waiter_unlink(waiter *w) {
    rpc_node_api *api = w->api;
    if (w->prev) w->prev->next = w->next;
    else api->waiters = w->next;
    if (w->next) w->next->prev = w->prev;
    if (w->kind == WAIT_BLOCK) api->block_waiters--;
    free(w);
}

static void waiter_cancel(rpc_pending *p, void *ctx) {
    waiter *w = ctx;
    HANSA_ASSERT(w->pending == p);
    waiter_unlink(w);
}

/* Defers call as a waiter of kind; returns the outcome to hand back (the
 * pending marker, or RPC_BUSY when the server holds too many). */
static rpc_outcome waiter_add(rpc_node_api *api, rpc_call *call, uint64_t timeout_ms,
                              waiter_kind kind, const hansa_hash *hash, uint64_t after_height) {
    if (kind == WAIT_BLOCK && api->block_waiters >= WAIT_BLOCK_WAITERS_MAX)
        return rpc_fail(RPC_BUSY, json_pack("{s:i}", "max_block_waiters", WAIT_BLOCK_WAITERS_MAX),
                        "too many wait_block calls waiting; retry later");
    waiter *w = hansa_calloc(1, sizeof *w);
    w->api = api;
    w->kind = kind;
    if (hash) w->hash = *hash;
    w->after_height = after_height;
    /* The caller looked at the chain as it stands: nothing to check until
     * the next commit. */
    w->checked_at = api->committed;
    rpc_outcome o = rpc_defer(call, timeout_ms, waiter_cancel, w, &w->pending);
    if (!w->pending) {
        free(w);
        return o;
    }
    w->next = api->waiters;
    if (w->next) w->next->prev = w;
    api->waiters = w;
    if (kind == WAIT_BLOCK) api->block_waiters++;
    return o;
}

static void reply_store_broken(rpc_node_api *api, rpc_pending *p, hansa_err e) {
    rpc_reply_error(p, RPC_INTERNAL_ERROR, json_pack("{s:s}", "error", hansa_errname(e)),
                    "reading the store failed: %s", store_errmsg(node_store(api->n)));
}

/* Answers w if its event happened; returns true if it was answered. */
static bool waiter_try(rpc_node_api *api, waiter *w, uint64_t height) {
    if (w->kind == WAIT_BLOCK) {
        if (height <= w->after_height) return false;
        rpc_json_text *view = NULL;
        hansa_err e = block_view_shared(api, w->after_height + 1, &view);
        if (e == HANSA_OK) rpc_reply_text(w->pending, view);
        else reply_store_broken(api, w->pending, e);
        rpc_json_text_unref(view);
        return true;
    }
    store_tx_loc loc;
    hansa_err e = store_get_tx(node_store(api->n), &w->hash, &loc);
    if (e == HANSA_ERR_NOT_FOUND) {
        if (w->kind == WAIT_TX || mempool_has(node_mempool(api->n), &w->hash)) return false;
        /* Admitted, then dropped: a committed tx made it invalid, or a
         * better-paying one evicted it. It will not commit from here. */
        rpc_reply_error(w->pending, RPC_TX_REJECTED,
                        json_pack("{s:s, s:s}", "error", hansa_errname(HANSA_ERR_STATE), "why",
                                  "dropped from the mempool before it was committed"),
                        "transaction dropped from the mempool before it was committed "
                        "(its nonce was used or its sender can no longer pay, or it was evicted)");
        return true;
    }
    if (e != HANSA_OK) {
        reply_store_broken(api, w->pending, e);
        return true;
    }
    if (w->kind == WAIT_SUBMIT) {
        rpc_reply(w->pending, json_pack("{s:o, s:I, s:I}", "hash", nj_hash(&w->hash), "height",
                                        (json_int_t)loc.height, "index", (json_int_t)loc.index));
        return true;
    }
    json_t *r = NULL;
    e = tx_view(api, &w->hash, &loc, &r);
    if (e == HANSA_OK) rpc_reply(w->pending, r);
    else reply_store_broken(api, w->pending, e);
    return true;
}

/* ---- methods ---- */

/* software_hash and software_ratified: the first ratified upgrade tells an
 * operator whether this binary is the one the stakeholders approved. */
static void add_software(const rpc_node_api *api, json_t *r) {
    if (!api->has_software) {
        json_object_set_new(r, "software_hash", json_null());
        json_object_set_new(r, "software_ratified", json_null());
        return;
    }
    hansa_hash latest;
    bool ratified = rpc_latest_ratified(node_ledger(api->n), &latest) &&
                    hash_eq(&latest, &api->software);
    json_object_set_new(r, "software_hash", nj_hash(&api->software));
    json_object_set_new(r, "software_ratified", json_boolean(ratified));
}

/* status's `links`: each peer link and when it was last heard from. */
static json_t *links_json(const rpc_node_api *api) {
    json_t *a = json_array();
    if (!api->peers) return a;
    rpc_peer_view *v = hansa_calloc(RPC_PEER_VIEWS_MAX, sizeof *v);
    size_t n = api->peers(api->peers_ctx, v, RPC_PEER_VIEWS_MAX);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:b, s:I, s:I}", "id", v[i].id, "addr",
                                           v[i].addr, "direction", v[i].outbound ? "out" : "in",
                                           "reserved", v[i].reserved, "up_ms", (json_int_t)v[i].up_ms,
                                           "heard_ms_ago", (json_int_t)v[i].heard_ms_ago));
    free(v);
    return a;
}

static rpc_outcome m_status(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    node_status st;
    node_get_status(api->n, &st);
    char chain[CHAIN_ID_TEXT_MAX];
    chain_id_format(node_chain_id(api->n), chain);
    const mempool *mp = node_mempool(api->n);
    json_t *r = json_object();
    json_object_set_new(r, "chain_id", json_string(chain));
    json_object_set_new(r, "height", json_integer((json_int_t)st.height));
    json_object_set_new(r, "lowest_height", json_integer((json_int_t)st.lowest_height));
    json_object_set_new(r, "block_hash", nj_hash(&st.block_hash));
    json_object_set_new(r, "block_time_ms", json_integer((json_int_t)st.block_time_ms));
    json_object_set_new(r, "app_hash", nj_hash(&st.app_hash));
    json_object_set_new(r, "consensus_height", json_integer((json_int_t)st.cons_height));
    json_object_set_new(r, "consensus_round", json_integer(st.cons_round));
    json_object_set_new(r, "is_delegate", json_boolean(st.is_validator));
    json_object_set_new(r, "syncing", json_boolean(st.syncing));
    json_object_set_new(r, "peers", json_integer((json_int_t)st.peers));
    json_object_set_new(r, "links", links_json(api));
    json_object_set_new(r, "mempool_txs", json_integer((json_int_t)st.mempool_txs));
    json_object_set_new(r, "mempool_bytes", json_integer((json_int_t)mempool_bytes(mp)));
    json_object_set_new(r, "committed_txs", nj_u64(st.committed_txs));
    json_object_set_new(r, "sig_verifies", nj_u64(st.sig_verifies));
    json_object_set_new(r, "sig_verify_calls", nj_u64(st.verify_calls));
    json_object_set_new(r, "sig_verify_cpu_ns", nj_u64(st.verify_cpu_ns));
    json_object_set_new(r, "untimely_proposals", json_integer((json_int_t)st.untimely_proposals));
    json_object_set_new(r, "min_fee", nj_u64(ledger_state_params(node_ledger(api->n))->min_fee));
    json_object_set_new(r, "version", json_string(api->version));
    add_software(api, r);
    return rpc_ok(r);
}

/* submit_tx {tx, wait?, timeout_ms?} -> {hash} or, waiting, {hash, height, index} */
static rpc_outcome m_submit_tx(rpc_call *call, json_t *params, void *ctx) {
    rpc_node_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"tx", "wait", "timeout_ms", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    rpc_error err = {0};
    bool wait = false;
    uint64_t timeout_ms;
    if (!rpc_param_bool(params, "wait", false, &wait, &err)) return rpc_fail_with(&err);
    if (!param_timeout(params, &timeout_ms, &bad)) return bad;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!rpc_param_bytes(params, "tx", true, WIRE_TX_BYTES_MAX, &bytes, &len, &err))
        return rpc_fail_with(&err);
    hansa_hash h;
    char why[256];
    hansa_err e = node_submit_tx(api->n, bytes, len, &h, why, sizeof why);
    free(bytes);
    if (e != HANSA_OK)
        return rpc_fail(RPC_TX_REJECTED, json_pack("{s:s, s:s}", "error", hansa_errname(e), "why", why),
                        "transaction rejected: %s", why);
    if (!wait) return rpc_ok(json_pack("{s:o}", "hash", nj_hash(&h)));
    return waiter_add(api, call, timeout_ms, WAIT_SUBMIT, &h, 0);
}

/* submit_txs {txs: [hex, ...]} -> {results: [{hash} | {error, why}, ...]}:
 * submit_tx for each, in order, without waiting, in one call. A client with
 * many transactions (a wallet service, the bench's load) saves a JSON
 * request and answer object per transaction, which on a node under load
 * cost more than the transaction's bytes. At most max_batch of them, and
 * only as its request's one call: a request then admits no more
 * transactions than a batch of submit_tx could (the event loop that judges
 * them runs consensus too). The texts are checked first, so a malformed
 * one refuses the call before any tx is admitted. */
static bool txs_texts_ok(const json_t *txs, unsigned max, rpc_outcome *bad) {
    size_t n = json_array_size(txs);
    if (max == 0) {
        *bad = rpc_fail(RPC_INVALID_REQUEST, NULL, "submit_txs must be its request's only call "
                        "(a request admits at most max_batch transactions)");
        return false;
    }
    if (!json_is_array(txs) || n == 0 || n > max) {
        *bad = rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s, s:I}", "param", "txs", "reason",
                        "must be an array of 1..max_batch hex strings", "max_batch", (json_int_t)max),
                        "invalid params: \"txs\" must be an array of 1..%u hex strings", max);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(txs, i));
        size_t len = s ? json_string_length(json_array_get(txs, i)) : 0;
        if (!s || len == 0 || len % 2 != 0 || len / 2 > WIRE_TX_BYTES_MAX) {
            *bad = rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s, s:I}", "param", "txs", "reason",
                            "must be hex of 1..65659 bytes", "index", (json_int_t)i),
                            "invalid params: \"txs\"[%zu] must be hex of 1..%u bytes", i,
                            (unsigned)WIRE_TX_BYTES_MAX);
            return false;
        }
    }
    return true;
}

_Static_assert(WIRE_TX_BYTES_MAX == 65659, "txs_texts_ok's reason names the bound");

/* One tx of submit_txs: its result object. */
static json_t *submit_one(rpc_node_api *api, const char *hex, size_t len) {
    uint8_t bytes[WIRE_TX_BYTES_MAX];
    size_t n = 0;
    char why[256];
    hansa_hash h;
    hansa_err e = hex_decode(hex, len, bytes, sizeof bytes, &n, NULL);
    if (e != HANSA_OK) snprintf(why, sizeof why, "not hex");
    else e = node_submit_tx(api->n, bytes, n, &h, why, sizeof why);
    if (e != HANSA_OK) return json_pack("{s:s, s:s}", "error", hansa_errname(e), "why", why);
    return json_pack("{s:o}", "hash", nj_hash(&h));
}

static rpc_outcome m_submit_txs(rpc_call *call, json_t *params, void *ctx) {
    rpc_node_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"txs", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    json_t *txs = json_object_get(params, "txs");
    if (!txs_texts_ok(txs, rpc_call_max_items(call), &bad)) return bad;
    json_t *results = json_array();
    for (size_t i = 0; i < json_array_size(txs); i++) {
        json_t *s = json_array_get(txs, i);
        json_array_append_new(results, submit_one(api, json_string_value(s), json_string_length(s)));
    }
    return rpc_ok(json_pack("{s:o}", "results", results));
}

/* ---- POST /txs: submit_txs with a binary body ----
 *
 * The body is a TXS peer message's payload (node/msg.h, docs/protocol.md):
 * (u32 little-endian length | encoded tx)*, decoded by msg_txs_decode, the
 * decoder the peers' TXS goes through (and fuzz_node_msg fuzzes), with its
 * bounds: at most MSG_TXS_BYTES_MAX bytes (the route's body limit: 413 past
 * it), 1..MSG_TXS_MAX txs each of 1..WIRE_TX_BYTES_MAX bytes. On top, at
 * most max_batch txs, the bound of submit_txs. The whole body is framed
 * before any tx is admitted, so a malformed one admits nothing. The answer
 * names only the refused txs: the client knows the hashes of the others,
 * and a JSON object with a hex hash per admitted tx is what this path
 * exists to save. */

/* The refusal of a whole body: HTTP 400 and -32600 with data (taken). */
static rpc_outcome txs_body_bad(unsigned *http_status, json_t *data, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static rpc_outcome txs_body_bad(unsigned *http_status, json_t *data, const char *fmt, ...) {
    char msg[RPC_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    *http_status = MHD_HTTP_BAD_REQUEST;
    return rpc_fail(RPC_INVALID_REQUEST, data, "%s", msg);
}

/* Frames body into m, refusing it (*bad, *http_status) if it is malformed
 * or holds more than max txs. */
static bool txs_body_frame(const uint8_t *body, size_t len, unsigned max, msg_txs *m,
                           unsigned *http_status, rpc_outcome *bad) {
    if (max > MSG_TXS_MAX) max = MSG_TXS_MAX;
    wire_rd r;
    hansa_err e = msg_txs_decode(body, len, m, &r);
    if (len == 0) {
        *bad = txs_body_bad(http_status, json_pack("{s:I}", "max_batch", (json_int_t)max),
                            "empty body: send 1..%u framed transactions", max);
        return false;
    }
    if ((e == HANSA_ERR_TOO_LONG && m->n == MSG_TXS_MAX) || (e == HANSA_OK && m->n > max)) {
        /* Past MSG_TXS_MAX the decoder stopped counting: the body holds more. */
        *bad = txs_body_bad(http_status, json_pack("{s:I, s:b, s:I}", "txs", (json_int_t)m->n, "more",
                                                   e != HANSA_OK, "max_batch", (json_int_t)max),
                            "too many transactions: %s%u, at most %u a request",
                            e == HANSA_OK ? "" : "more than ", (unsigned)m->n, max);
        return false;
    }
    if (e != HANSA_OK) {
        char where[128];
        rd_describe(&r, where, sizeof where);
        *bad = txs_body_bad(http_status,
                            json_pack("{s:s, s:I, s:s, s:I}", "error", hansa_errname(e), "offset",
                                      (json_int_t)r.err_off, "field", r.err_field ? r.err_field : "?",
                                      "index", (json_int_t)m->n),
                            "malformed body: %s, in transaction %u", where, (unsigned)m->n);
        return false;
    }
    return true;
}

/* POST /txs -> {admitted, refused: [{index, error, why}, ...]} */
static rpc_outcome post_txs(const uint8_t *body, size_t len, unsigned max_items,
                            unsigned *http_status, void *ctx) {
    rpc_node_api *api = ctx;
    msg_txs *m = hansa_malloc(sizeof *m);
    rpc_outcome out;
    if (!txs_body_frame(body, len, max_items, m, http_status, &out)) {
        free(m);
        return out;
    }
    json_t *refused = json_array();
    uint32_t admitted = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        char why[256];
        hansa_hash h;
        hansa_err e = node_submit_tx(api->n, m->tx[i], m->len[i], &h, why, sizeof why);
        if (e == HANSA_OK) {
            admitted++;
            continue;
        }
        json_t *entry = json_pack("{s:I, s:s, s:s}", "index", (json_int_t)i, "error", hansa_errname(e),
                                  "why", why);
        /* A refusal text that is not UTF-8 fails json_pack; the entry must
         * still be there, or the client reads the tx as admitted. */
        if (!entry) entry = json_pack("{s:I, s:s, s:s}", "index", (json_int_t)i, "error", hansa_errname(e),
                                      "why", "(refusal text not UTF-8)");
        HANSA_ASSERT(entry != NULL);
        json_array_append_new(refused, entry);
    }
    HANSA_ASSERT(admitted + json_array_size(refused) == m->n);
    uint32_t n = m->n;
    free(m);
    api->counters.binary_bodies++;
    api->counters.binary_txs += n;
    return rpc_ok(json_pack("{s:I, s:I, s:o}", "txs", (json_int_t)n, "admitted", (json_int_t)admitted,
                            "refused", refused));
}

/* account {address} -> {address, balance, nonce} */
static rpc_outcome m_account(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"address", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint32_t chain = node_chain_id(api->n);
    hansa_addr addr;
    if (!nj_param_address(params, chain, &addr, &bad)) return bad;
    ledger_account a;
    ledger_account_get(node_ledger(api->n), &addr, &a);
    return rpc_ok(json_pack("{s:o, s:o, s:o}", "address", nj_address(chain, &addr), "balance",
                            nj_u64(a.balance), "nonce", nj_u64(a.nonce)));
}

/* The height a `block` call names: height, or hash, or neither (latest). */
static bool block_target(rpc_node_api *api, json_t *params, uint64_t *height, rpc_outcome *out) {
    rpc_error err = {0};
    bool has_height = params && json_object_get(params, "height");
    bool has_hash = params && json_object_get(params, "hash");
    if (has_height && has_hash) {
        *out = nj_bad_param("hash", "must not be given together with \"height\"");
        return false;
    }
    *height = tip_height(api);
    if (!rpc_param_u64(params, "height", false, height, &err)) {
        *out = rpc_fail_with(&err);
        return false;
    }
    if (has_hash) {
        hansa_hash bh;
        if (!rpc_param_hex(params, "hash", true, bh.b, HANSA_HASH_BYTES, &err)) {
            *out = rpc_fail_with(&err);
            return false;
        }
        hbuf raw = HBUF_INIT;
        hansa_err e = store_get_block_by_hash(node_store(api->n), &bh, &raw, height);
        hbuf_free(&raw);
        if (e == HANSA_ERR_NOT_FOUND) {
            *out = rpc_fail(RPC_NOT_FOUND, json_pack("{s:o}", "hash", nj_hash(&bh)),
                            "no block with this hash");
            return false;
        }
        if (e != HANSA_OK) {
            *out = store_broken(api, e);
            return false;
        }
    }
    return true;
}

/* block {height? | hash?, txs?} -> the block (latest when neither is given) */
static rpc_outcome m_block(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"height", "hash", "txs", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    rpc_error err = {0};
    bool with_txs = false;
    if (!rpc_param_bool(params, "txs", false, &with_txs, &err)) return rpc_fail_with(&err);
    uint64_t height;
    if (!block_target(api, params, &height, &out)) return out;
    uint64_t tip = tip_height(api);
    if (height == 0 || height > tip)
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:I, s:I}", "height", (json_int_t)height, "latest",
                                                 (json_int_t)tip),
                        height == 0 ? "no block at height 0: blocks start at 1"
                                    : "no block at height %llu yet: the latest is %llu",
                        (unsigned long long)height, (unsigned long long)tip);
    if (pruned(api, height, &out)) return out;
    json_t *r = NULL;
    hansa_err e = block_view(api, height, with_txs, &r);
    if (e != HANSA_OK) return store_broken(api, e);
    return rpc_ok(r);
}

/* Looks tx hash up: HANSA_OK with *loc, HANSA_ERR_NOT_FOUND, or a store error. */
static hansa_err tx_lookup(rpc_node_api *api, const hansa_hash *h, store_tx_loc *loc) {
    return store_get_tx(node_store(api->n), h, loc);
}

/* On a node that pruned, a transaction of a pruned block is not found
 * once the tx index sweep took its entry: the answer says so. */
static rpc_outcome tx_not_found(rpc_node_api *api, const hansa_hash *h) {
    bool queued = mempool_has(node_mempool(api->n), h);
    node_status st;
    node_get_status(api->n, &st);
    json_t *data = json_pack("{s:o, s:b}", "hash", nj_hash(h), "in_mempool", queued);
    if (queued) return rpc_fail(RPC_NOT_FOUND, data, "transaction not committed yet: it is in the mempool");
    if (st.lowest_height <= 1) return rpc_fail(RPC_NOT_FOUND, data, "no committed transaction with this hash");
    json_object_set_new(data, "lowest", json_integer((json_int_t)st.lowest_height));
    return rpc_fail(RPC_NOT_FOUND, data,
                    "no committed transaction with this hash in the kept blocks (lowest kept "
                    "height is %llu)", (unsigned long long)st.lowest_height);
}

/* tx {hash} -> the committed tx with its inclusion proof, header and commit */
static rpc_outcome m_tx(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"hash", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    hansa_hash h;
    if (!nj_param_hash(params, &h, &out)) return out;
    store_tx_loc loc;
    hansa_err e = tx_lookup(api, &h, &loc);
    if (e == HANSA_ERR_NOT_FOUND) return tx_not_found(api, &h);
    if (e == HANSA_OK && pruned(api, loc.height, &out)) return out;
    json_t *r = NULL;
    if (e == HANSA_OK) e = tx_view(api, &h, &loc, &r);
    if (e != HANSA_OK) return store_broken(api, e);
    return rpc_ok(r);
}

/* validators {height?} -> the set deciding the current height */
static rpc_outcome m_validators(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"height", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    uint64_t current = tip_height(api) + 1, height = current;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "height", false, &height, &err)) return rpc_fail_with(&err);
    if (height != current)
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:I, s:I}", "height", (json_int_t)height, "current",
                                                 (json_int_t)current),
                        "this node keeps only the validator set of the current height %llu",
                        (unsigned long long)current);
    json_t *r = nj_valset(node_valset(api->n), node_chain_id(api->n));
    json_object_set_new(r, "height", json_integer((json_int_t)current));
    return rpc_ok(r);
}

/* mempool {limit?} -> {txs, bytes, hashes (first `limit` in admission order)} */
static rpc_outcome m_mempool(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"limit", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    uint64_t limit = MEMPOOL_LIST_DEFAULT;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "limit", false, &limit, &err)) return rpc_fail_with(&err);
    if (limit > MEMPOOL_LIST_MAX) return nj_bad_param("limit", "must be 0..10000");
    const mempool *mp = node_mempool(api->n);
    json_t *hashes = json_array();
    size_t cursor = 0;
    const uint8_t *bytes;
    uint32_t len;
    hansa_hash h;
    while (json_array_size(hashes) < limit && mempool_next(mp, &cursor, &bytes, &len, &h))
        json_array_append_new(hashes, nj_hash(&h));
    return rpc_ok(json_pack("{s:I, s:I, s:o}", "txs", (json_int_t)mempool_count(mp), "bytes",
                            (json_int_t)mempool_bytes(mp), "hashes", hashes));
}

/* wait_block {after_height, timeout_ms?} -> the block after after_height, once committed */
static rpc_outcome m_wait_block(rpc_call *call, json_t *params, void *ctx) {
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"after_height", "timeout_ms", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    uint64_t after = 0, timeout_ms;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "after_height", true, &after, &err)) return rpc_fail_with(&err);
    if (after == UINT64_MAX) return nj_bad_param("after_height", "must be below 2^64-1");
    if (!param_timeout(params, &timeout_ms, &out)) return out;
    if (tip_height(api) > after) {
        if (pruned(api, after + 1, &out)) return out;
        rpc_json_text *view = NULL;
        hansa_err e = block_view_shared(api, after + 1, &view);
        if (e != HANSA_OK) return store_broken(api, e);
        return rpc_ok_text(view);
    }
    return waiter_add(api, call, timeout_ms, WAIT_BLOCK, NULL, after);
}

/* wait_tx {hash, timeout_ms?} -> as tx, once committed */
static rpc_outcome m_wait_tx(rpc_call *call, json_t *params, void *ctx) {
    rpc_node_api *api = ctx;
    rpc_outcome out;
    static const char *const names[] = {"hash", "timeout_ms", NULL};
    if (!nj_params_only(params, names, &out)) return out;
    hansa_hash h;
    uint64_t timeout_ms;
    if (!nj_param_hash(params, &h, &out)) return out;
    if (!param_timeout(params, &timeout_ms, &out)) return out;
    store_tx_loc loc;
    hansa_err e = tx_lookup(api, &h, &loc);
    if (e == HANSA_ERR_NOT_FOUND) return waiter_add(api, call, timeout_ms, WAIT_TX, &h, 0);
    if (e == HANSA_OK && pruned(api, loc.height, &out)) return out;
    json_t *r = NULL;
    if (e == HANSA_OK) e = tx_view(api, &h, &loc, &r);
    if (e != HANSA_OK) return store_broken(api, e);
    return rpc_ok(r);
}

static void answering_stop(rpc_node_api *api) {
    if (!api->answering_on) return;
    uv_idle_stop(&api->answering);
    api->answering_on = false;
}

/* One turn of the answering job: looks at up to WAITERS_PER_TURN waiters
 * not yet checked against the last commit; stops when none is left. */
static void answer_turn(uv_idle_t *h) {
    rpc_node_api *api = h->data;
    uint64_t height = api->committed;
    unsigned looked = 0;
    waiter *w = api->waiters;
    while (w && looked < WAITERS_PER_TURN) {
        waiter *next = w->next;
        if (w->checked_at < height) {
            looked++;
            w->checked_at = height;
            if (waiter_try(api, w, height)) waiter_unlink(w);
        }
        w = next;
    }
    api->counters.answer_turns++;
    if (!w) answering_stop(api); /* the whole list was looked at */
}

rpc_node_api *rpc_node_api_new(rpc_server *server, node *n, const char *version) {
    rpc_node_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    api->committed = tip_height(api);
    snprintf(api->version, sizeof api->version, "%s", version);
    HANSA_ASSERT(uv_idle_init(rpc_server_loop(server), &api->answering) == 0);
    api->answering.data = api;
    rpc_register(server, "status", m_status, api);
    rpc_register(server, "submit_tx", m_submit_tx, api);
    rpc_register(server, "submit_txs", m_submit_txs, api);
    rpc_register(server, "account", m_account, api);
    rpc_register(server, "block", m_block, api);
    rpc_register(server, "tx", m_tx, api);
    rpc_register(server, "validators", m_validators, api);
    rpc_register(server, "mempool", m_mempool, api);
    rpc_register(server, "wait_block", m_wait_block, api);
    rpc_register(server, "wait_tx", m_wait_tx, api);
    rpc_route_post(server, "/txs", MSG_TXS_BYTES_MAX, post_txs, api);
    return api;
}

void rpc_node_api_set_software(rpc_node_api *api, const hansa_hash *software_hash) {
    api->software = *software_hash;
    api->has_software = true;
}

void rpc_node_api_set_peers(rpc_node_api *api, rpc_peers_fn fn, void *ctx) {
    api->peers = fn;
    api->peers_ctx = ctx;
}

void rpc_node_api_on_commit(rpc_node_api *api, uint64_t height) {
    api->committed = height;
    if (api->answering_on || !api->waiters) return;
    HANSA_ASSERT(uv_idle_start(&api->answering, answer_turn) == 0);
    api->answering_on = true;
}

const rpc_node_api_counters *rpc_node_api_counters_get(const rpc_node_api *api) {
    return &api->counters;
}

unsigned rpc_node_api_block_waiters(const rpc_node_api *api) { return api->block_waiters; }

static void api_closed(uv_handle_t *h) {
    rpc_node_api *api = h->data;
    for (size_t i = 0; i < VIEW_CACHE_HEIGHTS; i++) rpc_json_text_unref(api->views[i].view);
    free(api);
}

void rpc_node_api_free(rpc_node_api *api) {
    if (!api) return;
    /* The server would cancel these later, with api gone: answer them now. */
    while (api->waiters) {
        waiter *w = api->waiters;
        rpc_reply_error(w->pending, RPC_SHUTTING_DOWN, NULL, "the node is shutting down");
        waiter_unlink(w);
    }
    answering_stop(api);
    rpc_route_remove(api->server, api);
    uv_close((uv_handle_t *)&api->answering, api_closed);
}
