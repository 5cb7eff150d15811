/* node_api.c — JSON-RPC methods over a node (see node_api.h). */
#include "rpc/node_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/record.h"
#include "wire/codec.h"

static void register_block_hash(rpc_node_api *api);

struct rpc_node_api {
    rpc_server *server;
    node *n;
    char version[64];
};

static json_t *hex_json(const uint8_t *p, size_t n) {
    char *s = hansa_malloc(2 * n + 1);
    hex_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *u64_json(uint64_t v) {
    /* JSON numbers lose precision above 2^53; amounts go out as strings. */
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    return json_string(s);
}

static rpc_outcome m_status(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    (void)params;
    rpc_node_api *api = ctx;
    node_status st;
    node_get_status(api->n, &st);
    char chain[CHAIN_ID_TEXT_MAX];
    chain_id_format(node_chain_id(api->n), chain);
    json_t *r = json_object();
    json_object_set_new(r, "chain_id", json_string(chain));
    json_object_set_new(r, "height", json_integer((json_int_t)st.height));
    json_object_set_new(r, "block_hash", hex_json(st.block_hash.b, HANSA_HASH_BYTES));
    json_object_set_new(r, "block_time_ms", json_integer((json_int_t)st.block_time_ms));
    json_object_set_new(r, "app_hash", hex_json(st.app_hash.b, HANSA_HASH_BYTES));
    json_object_set_new(r, "consensus_height", json_integer((json_int_t)st.cons_height));
    json_object_set_new(r, "consensus_round", json_integer(st.cons_round));
    json_object_set_new(r, "is_delegate", json_boolean(st.is_validator));
    json_object_set_new(r, "syncing", json_boolean(st.syncing));
    json_object_set_new(r, "peers", json_integer((json_int_t)st.peers));
    json_object_set_new(r, "mempool_txs", json_integer((json_int_t)st.mempool_txs));
    json_object_set_new(r, "committed_txs", u64_json(st.committed_txs));
    json_object_set_new(r, "version", json_string(api->version));
    return rpc_ok(r);
}

/* submit_tx {tx: hex of the encoded tx} -> {hash} */
static rpc_outcome m_submit_tx(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_error err = {0};
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
    return rpc_ok(json_pack("{s:o}", "hash", hex_json(h.b, HANSA_HASH_BYTES)));
}

/* account {address} -> {address, balance, nonce} */
static rpc_outcome m_account(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_error err = {0};
    const char *text = NULL;
    if (!rpc_param_string(params, "address", true, &text, &err)) return rpc_fail_with(&err);
    uint32_t chain = node_chain_id(api->n);
    hansa_addr addr;
    const char *why = NULL;
    if (addr_parse(text, &chain, NULL, &addr, &why) != HANSA_OK)
        return rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s}", "param", "address", "reason", why),
                        "invalid params: address: %s", why);
    ledger_account a;
    ledger_account_get(node_ledger(api->n), &addr, &a);
    char canon[ADDR_TEXT_MAX];
    addr_format(chain, &addr, canon);
    return rpc_ok(json_pack("{s:s, s:o, s:o}", "address", canon, "balance", u64_json(a.balance),
                            "nonce", u64_json(a.nonce)));
}

rpc_node_api *rpc_node_api_new(rpc_server *server, node *n, const char *version) {
    rpc_node_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    snprintf(api->version, sizeof api->version, "%s", version);
    rpc_register(server, "status", m_status, api);
    rpc_register(server, "submit_tx", m_submit_tx, api);
    rpc_register(server, "account", m_account, api);
    register_block_hash(api);
    return api;
}

void rpc_node_api_on_commit(rpc_node_api *api, uint64_t height) {
    (void)api;
    (void)height;
}

void rpc_node_api_free(rpc_node_api *api) { free(api); }

/* block_hash {height} -> {height, hash, app_hash, txs}: the committed block
 * at height, read from the store. Small on purpose: what the multi-process
 * tests (tests/cluster) compare between nodes and across crashes. The
 * header's app_hash is the state after applying that block. */
static rpc_outcome m_block_hash(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_node_api *api = ctx;
    rpc_error err = {0};
    uint64_t height = 0;
    static const char *const names[] = {"height", NULL};
    if (!rpc_params_only(params, names, &err) || !rpc_param_u64(params, "height", true, &height, &err))
        return rpc_fail_with(&err);
    hbuf bytes = HBUF_INIT;
    hansa_hash id;
    hansa_err e = store_get_block(node_store(api->n), height, &bytes, &id);
    wire_block blk;
    if (e == HANSA_OK) e = wire_block_decode(bytes.data, bytes.len, &blk, NULL);
    if (e != HANSA_OK) {
        hbuf_free(&bytes);
        if (e == HANSA_ERR_NOT_FOUND)
            return rpc_fail(RPC_NOT_FOUND, NULL, "no committed block at height %llu",
                            (unsigned long long)height);
        return rpc_fail(RPC_INTERNAL_ERROR, NULL, "block %llu: %s", (unsigned long long)height,
                        hansa_strerror(e));
    }
    json_t *r = json_pack("{s:I, s:o, s:o, s:I}", "height", (json_int_t)height, "hash",
                          hex_json(id.b, HANSA_HASH_BYTES), "app_hash",
                          hex_json(blk.header.app_hash.b, HANSA_HASH_BYTES), "txs",
                          (json_int_t)blk.n_txs);
    wire_block_free(&blk);
    hbuf_free(&bytes);
    return rpc_ok(r);
}

static void register_block_hash(rpc_node_api *api) {
    rpc_register(api->server, "block_hash", m_block_hash, api);
}
