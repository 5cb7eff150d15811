/* snapshot_api.c — see snapshot_api.h. A chunk is bounded twice: by the
 * caller's max_bytes (key and value bytes, at most RPC_SNAPSHOT_CHUNK_MAX;
 * one record always goes, and a record is at most a few kB) and by the
 * scan stopping as soon as the next record would not fit, so a reply
 * costs O(max_bytes) whatever the state's size. */
#include "rpc/snapshot_api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "interchain/codec.h"
#include "ledger/state_root.h"
#include "node/snapshot.h"
#include "rpc/node_json.h"
#include "store/store.h"

static rpc_outcome store_broken(node *n) {
    return rpc_fail(RPC_INTERNAL_ERROR, NULL, "reading the store failed: %s",
                    store_errmsg(node_store(n)));
}

static json_t *info_json(const ledger_snap_info *in) {
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:I}", "height", (json_int_t)in->height,
                     "app_hash", nj_hash(&in->app_hash), "prev_app_hash",
                     nj_hash(&in->prev_app_hash), "writes_hash", nj_hash(&in->writes_hash),
                     "state_root", nj_hash(&in->state_root), "records",
                     (json_int_t)in->records, "bytes", (json_int_t)in->bytes);
}

/* The info of snapshot h, or the error to answer. */
static bool info_at(node *n, uint64_t h, ledger_snap_info *out, rpc_outcome *fail) {
    hbuf raw = HBUF_INIT;
    hansa_err e = store_snap_info(node_store(n), h, &raw);
    if (e == HANSA_OK && ledger_snap_info_decode(raw.data, raw.len, out, NULL) != HANSA_OK)
        e = HANSA_ERR_CORRUPT;
    hbuf_free(&raw);
    if (e == HANSA_OK) return true;
    if (e == HANSA_ERR_NOT_FOUND || e == HANSA_ERR_STATE)
        *fail = rpc_fail(RPC_NOT_FOUND, json_pack("{s:I}", "height", (json_int_t)h),
                         "no snapshot of height %llu here (see snapshot_info)",
                         (unsigned long long)h);
    else
        *fail = store_broken(n);
    return false;
}

/* snapshot_info {} -> {checkpoint_blocks, snapshots: [info...]}, oldest first. */
static rpc_outcome m_snapshot_info(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint64_t heights[RPC_SNAPSHOTS_LISTED];
    size_t count = 0;
    store *st = node_store(n);
    if (store_keeps_snapshots(st) &&
        store_snap_heights(st, heights, RPC_SNAPSHOTS_LISTED, &count) != HANSA_OK)
        return store_broken(n);
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        ledger_snap_info in;
        if (!info_at(n, heights[i], &in, &bad)) {
            json_decref(list);
            return bad;
        }
        json_array_append_new(list, info_json(&in));
    }
    uint32_t k = ledger_state_params(node_ledger(n))->checkpoint_blocks;
    return rpc_ok(json_pack("{s:I, s:o}", "checkpoint_blocks", (json_int_t)k, "snapshots", list));
}

typedef struct {
    json_t *records;
    size_t used, max;
    bool more;
    uint8_t last[STORE_KEY_BYTES_MAX];
    size_t last_len;
} chunk_ctx;

static hansa_err chunk_add(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    chunk_ctx *c = ctx;
    if (c->used > 0 && c->used + kl + vl > c->max) {
        c->more = true;
        return HANSA_ERR_FULL; /* enough: stop the scan */
    }
    HANSA_ASSERT(kl <= sizeof c->last);
    c->used += kl + vl;
    memcpy(c->last, k, kl);
    c->last_len = kl;
    json_array_append_new(c->records, json_pack("[o, o]", nj_hex(k, kl), nj_hex(v, vl)));
    return HANSA_OK;
}

/* snapshot_chunk {height, after_key?, max_bytes?} -> {height, records:
 * [[key, value]...], last_key, more}: the records whose keys follow
 * after_key (hex; absent or "" = from the first), in key order. */
static rpc_outcome m_snapshot_chunk(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"height", "after_key", "max_bytes", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint64_t height = 0, max = RPC_SNAPSHOT_CHUNK_DEFAULT;
    uint8_t *after = NULL;
    size_t after_len = 0;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "height", true, &height, &err) ||
        !rpc_param_u64(params, "max_bytes", false, &max, &err) ||
        !rpc_param_bytes(params, "after_key", false, STORE_KEY_BYTES_MAX, &after, &after_len, &err))
        return rpc_fail_with(&err);
    if (max == 0 || max > RPC_SNAPSHOT_CHUNK_MAX) {
        free(after);
        return rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s}", "param", "max_bytes", "reason",
                                                      "out of 1..4194304"),
                        "max_bytes %llu is not in 1..%u", (unsigned long long)max,
                        RPC_SNAPSHOT_CHUNK_MAX);
    }
    ledger_snap_info in;
    if (!info_at(n, height, &in, &bad)) {
        free(after);
        return bad;
    }
    chunk_ctx c = {.records = json_array(), .max = max};
    hansa_err e = store_snap_scan(node_store(n), height, after, after_len, chunk_add, &c);
    free(after);
    if (e != HANSA_OK) {
        json_decref(c.records);
        return store_broken(n);
    }
    return rpc_ok(json_pack("{s:I, s:o, s:o, s:b}", "height", (json_int_t)height, "records",
                            c.records, "last_key", nj_hex(c.last, c.last_len), "more", c.more));
}

/* snapshot_block {height} -> {height, block}: the encoded block (hex). */
static rpc_outcome m_snapshot_block(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"height", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint64_t height = 0;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "height", true, &height, &err)) return rpc_fail_with(&err);
    ledger_snap_info in;
    if (!info_at(n, height, &in, &bad)) return bad;
    hbuf raw = HBUF_INIT;
    hansa_err e = store_get_block(node_store(n), height, &raw, NULL);
    rpc_outcome out;
    if (e == HANSA_ERR_NOT_FOUND)
        out = rpc_fail(RPC_PRUNED, json_pack("{s:I}", "height", (json_int_t)height),
                       "the block of snapshot %llu was pruned", (unsigned long long)height);
    else if (e != HANSA_OK)
        out = store_broken(n);
    else
        out = rpc_ok(json_pack("{s:I, s:o}", "height", (json_int_t)height, "block",
                               nj_hex(raw.data, raw.len)));
    hbuf_free(&raw);
    return out;
}

/* key_proof {} -> {height, epoch, key, proof}: the proof of the chain's
 * newest key record the node made at its newest state-root height
 * (node_key_proof; proof: ic_key_proof_encode's bytes, hex). */
static rpc_outcome m_key_proof(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint64_t height;
    const ic_key_proof *kp = node_key_proof(n, &height);
    if (!kp)
        return rpc_fail(RPC_NOT_FOUND, NULL, "no state-root height with a group key since this node started "
                                             "(every checkpoint_blocks heights: see snapshot_info)");
    hbuf b = HBUF_INIT;
    ic_key_proof_encode(&b, kp);
    rpc_outcome out = rpc_ok(json_pack("{s:I, s:I, s:o, s:o}", "height", (json_int_t)height, "epoch",
                                       (json_int_t)kp->epoch, "key", nj_hex(kp->rec.key.b, FROST_POINT_BYTES),
                                       "proof", nj_hex(b.data, b.len)));
    hbuf_free(&b);
    return out;
}

void rpc_snapshot_register(rpc_server *server, node *n) {
    rpc_register(server, "snapshot_info", m_snapshot_info, n);
    rpc_register(server, "snapshot_chunk", m_snapshot_chunk, n);
    rpc_register(server, "snapshot_block", m_snapshot_block, n);
    rpc_register(server, "key_proof", m_key_proof, n);
}
