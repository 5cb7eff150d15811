/* interchain_api.c — see interchain_api.h. Every byte object is given as
 * its canonical encoding in hex, so a relayer hands a foreign chain exactly
 * what this chain signed and the foreign light client checks it; the
 * decoded fields beside them are for people. */
#include "rpc/interchain_api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/client.h"
#include "rpc/node_json.h"
#include "rpc/snapshot_api.h"
#include "wire/codec.h"

struct rpc_interchain_api {
    rpc_server *server;
    node *n;
};

static rpc_outcome store_broken(const rpc_interchain_api *api) {
    return rpc_fail(RPC_INTERNAL_ERROR, NULL, "reading the store failed: %s",
                    store_errmsg(node_store(api->n)));
}

/* ---- light_block ---- */

/* The stored header of height h, decoded. */
static hansa_err header_at(const rpc_interchain_api *api, uint64_t h, wire_header *out) {
    hbuf raw = HBUF_INIT;
    hansa_err e = store_get_block(node_store(api->n), h, &raw, NULL);
    if (e == HANSA_OK && wire_block_peek_header(raw.data, raw.len, out) != HANSA_OK) e = HANSA_ERR_CORRUPT;
    hbuf_free(&raw);
    return e;
}

/* light_block {height?} -> {chain_id, height, hash, header, commit,
 * validators, next_validators}: encodings in hex; height defaults to the
 * tip. validators is the set that signed the commit (its hash is the
 * header's validators_hash), next_validators the one the header announces. */
static rpc_outcome m_light_block(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_interchain_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"height", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    node_status st;
    node_get_status(api->n, &st);
    uint64_t height = st.height;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "height", false, &height, &err)) return rpc_fail_with(&err);
    if (height == 0 || height > st.height)
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:I, s:I}", "height", (json_int_t)height, "tip",
                                                 (json_int_t)st.height),
                        "no committed block at height %llu (tip %llu)", (unsigned long long)height,
                        (unsigned long long)st.height);
    if (height < st.lowest_height) return nj_pruned(height, st.lowest_height);
    wire_header h;
    hbuf commit = HBUF_INIT, vals = HBUF_INIT, next = HBUF_INIT, enc = HBUF_INIT;
    hansa_err e = header_at(api, height, &h);
    if (e == HANSA_OK) e = store_get_commit(node_store(api->n), height, &commit);
    if (e == HANSA_OK) e = store_get_valset(node_store(api->n), &h.validators_hash, &vals);
    if (e == HANSA_OK) e = store_get_valset(node_store(api->n), &h.next_validators_hash, &next);
    rpc_outcome out;
    if (e != HANSA_OK) {
        out = e == HANSA_ERR_NOT_FOUND
                  ? rpc_fail(RPC_NOT_FOUND, NULL, "this node does not keep the validator sets of height %llu",
                             (unsigned long long)height)
                  : store_broken(api);
    } else {
        wire_header_encode(&enc, &h);
        hansa_hash id;
        wire_header_hash(&h, &id);
        out = rpc_ok(json_pack("{s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "chain_id",
                               nj_chain(h.chain_id), "height", (json_int_t)height, "time_ms",
                               (json_int_t)h.time_ms, "hash", nj_hash(&id), "header",
                               nj_hex(enc.data, enc.len), "commit", nj_hex(commit.data, commit.len),
                               "validators", nj_hex(vals.data, vals.len), "next_validators",
                               nj_hex(next.data, next.len)));
    }
    hbuf_free(&commit);
    hbuf_free(&vals);
    hbuf_free(&next);
    hbuf_free(&enc);
    return out;
}

/* ---- clients ---- */

static json_t *consensus_json(const ic_consensus *cs) {
    json_t *j = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "height",
                          (json_int_t)cs->height, "time_ms", (json_int_t)cs->time_ms, "header_hash",
                          nj_hash(&cs->header_hash), "app_hash", nj_hash(&cs->app_hash), "tx_root",
                          nj_hash(&cs->tx_root), "validators_hash", nj_hash(&cs->validators_hash),
                          "next_validators_hash", nj_hash(&cs->next_validators_hash), "local_height",
                          (json_int_t)cs->local_height, "local_time_ms", (json_int_t)cs->local_time_ms);
    /* The FROST group key this state trusts, if any (docs/interchain.md). */
    if (!ic_consensus_keyless(cs)) {
        char hex[2 * FROST_POINT_BYTES + 1];
        hex_encode(cs->group_key.b, FROST_POINT_BYTES, hex);
        json_object_set_new(j, "group_key", json_pack("{s:I, s:s, s:I}", "epoch", (json_int_t)cs->key_epoch,
                                                      "key", hex, "time_ms", (json_int_t)cs->key_time_ms));
    }
    return j;
}

/* The summary of a client both methods show. */
static json_t *client_summary(const ledger_state *s, const ic_client *c) {
    ic_consensus latest;
    HANSA_ASSERT(ledger_client_consensus(s, c->params.chain_id, ic_client_latest(c), &latest));
    bool expired = ledger_client_expired(s, c, ledger_last_block_time_ms(s));
    json_t *j = json_pack("{s:o, s:s, s:b, s:I, s:I, s:I, s:I}", "chain_id", nj_chain(c->params.chain_id),
                          "status", ic_status_name((ic_status)c->status), "expired", expired,
                          "trusted_height", (json_int_t)latest.height, "trusted_time_ms",
                          (json_int_t)latest.time_ms, "since", (json_int_t)c->since, "expires_at_ms",
                          (json_int_t)(latest.time_ms + c->params.trusting_period_ms));
    if (c->status == IC_STATUS_FROZEN) {
        json_object_set_new(j, "frozen_height", json_integer((json_int_t)c->frozen_height));
        json_object_set_new(j, "frozen_reason",
                            json_string(ic_freeze_reason_name((ic_freeze_reason)c->freeze_reason)));
    }
    return j;
}

/* client_list {} -> {height, clients: [summary]} in chain id order. */
static rpc_outcome m_client_list(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_interchain_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = node_ledger(api->n);
    uint32_t *chains = hansa_calloc(LEDGER_CLIENTS_MAX, sizeof *chains);
    size_t n = ledger_clients_list(s, chains, LEDGER_CLIENTS_MAX);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < LEDGER_CLIENTS_MAX; i++) {
        ic_client c;
        HANSA_ASSERT(ledger_client_get(s, chains[i], &c));
        json_array_append_new(list, client_summary(s, &c));
    }
    free(chains);
    return rpc_ok(json_pack("{s:I, s:o}", "height", (json_int_t)ledger_height(s), "clients", list));
}

static json_t *evidence_json(const wire_evidence *ev) {
    hbuf enc = HBUF_INIT;
    wire_evidence_encode(&enc, ev);
    hansa_hash h;
    wire_evidence_hash(ev, &h);
    json_t *j = json_pack("{s:o, s:o, s:o, s:I, s:i}", "hash", nj_hash(&h), "encoded",
                          nj_hex(enc.data, enc.len), "offender",
                          nj_hex(ev->a.validator.b, HANSA_PUBKEY_BYTES), "height",
                          (json_int_t)ev->a.height, "round", (int)ev->a.round);
    hbuf_free(&enc);
    return j;
}

/* client {chain_id} -> summary + params, root_hash, heights, latest,
 * evidence [{hash, encoded, offender, height, round}], revival {height,
 * header_hash, proposed_at, approvals}?, approvals (pending registration). */
static rpc_outcome m_client(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_interchain_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"chain_id", "height", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint32_t chain;
    if (!nj_param_chain(params, &chain, &bad)) return bad;
    uint64_t at = 0;
    rpc_error perr;
    if (!rpc_param_u64(params, "height", false, &at, &perr)) return rpc_fail_with(&perr);
    const ledger_state *s = node_ledger(api->n);
    ic_client c;
    if (!ledger_client_get(s, chain, &c))
        return rpc_fail(RPC_NOT_FOUND, NULL, "this chain keeps no light client of chain %x", chain);
    ic_consensus at_cs;
    if (at && !ledger_client_consensus(s, chain, at, &at_cs))
        return rpc_fail(RPC_NOT_FOUND, NULL, "the client of chain %x stores no height %llu", chain,
                        (unsigned long long)at);
    json_t *j = client_summary(s, &c);
    json_object_set_new(j, "height", json_integer((json_int_t)ledger_height(s)));
    json_object_set_new(j, "trusting_period_ms", json_integer((json_int_t)c.params.trusting_period_ms));
    json_object_set_new(j, "max_clock_drift_ms", json_integer((json_int_t)c.params.max_clock_drift_ms));
    json_object_set_new(j, "root_hash", nj_hash(&c.root_hash));
    json_t *hs = json_array();
    for (uint16_t i = 0; i < c.n_heights; i++) json_array_append_new(hs, json_integer((json_int_t)c.heights[i]));
    json_object_set_new(j, "heights", hs);
    ic_consensus latest;
    HANSA_ASSERT(ledger_client_consensus(s, chain, ic_client_latest(&c), &latest));
    json_object_set_new(j, "latest", consensus_json(&latest));
    if (at) json_object_set_new(j, "at", consensus_json(&at_cs));
    json_object_set_new(j, "bonded", nj_u64(ledger_state_supply(s)->bonded));
    if (c.status == IC_STATUS_PENDING)
        json_object_set_new(j, "approvals", nj_u64(ledger_client_approvals(s, chain, &c.root_hash)));
    ic_evidence_list *evl = hansa_malloc(sizeof *evl);
    json_t *evs = json_array();
    if (ledger_client_evidence(s, chain, evl))
        for (uint16_t i = 0; i < evl->n; i++) json_array_append_new(evs, evidence_json(&evl->ev[i]));
    free(evl);
    json_object_set_new(j, "evidence", evs);
    ic_revival rv;
    if (ledger_client_revival(s, chain, &rv))
        json_object_set_new(j, "revival",
                            json_pack("{s:I, s:I, s:o, s:I, s:o}", "height", (json_int_t)rv.cs.height,
                                      "time_ms", (json_int_t)rv.cs.time_ms, "header_hash",
                                      nj_hash(&rv.cs.header_hash), "proposed_at",
                                      (json_int_t)rv.proposed_at, "approvals",
                                      nj_u64(ledger_client_approvals(s, chain, &rv.cs.header_hash))));
    return rpc_ok(j);
}

/* ---- submit_evidence ---- */

/* submit_evidence {evidence: hex} -> {hash} */
static rpc_outcome m_submit_evidence(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_interchain_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"evidence", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint8_t *bytes = NULL;
    size_t len = 0;
    rpc_error err = {0};
    if (!rpc_param_bytes(params, "evidence", true, WIRE_EVIDENCE_BYTES, &bytes, &len, &err))
        return rpc_fail_with(&err);
    wire_evidence ev;
    wire_rd r;
    hansa_err e = wire_evidence_decode(bytes, len, &ev, &r);
    free(bytes);
    if (e != HANSA_OK) {
        char where[96];
        rd_describe(&r, where, sizeof where);
        return rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s}", "param", "evidence", "reason", where),
                        "invalid params: \"evidence\": %s", where);
    }
    char why[256] = "";
    e = node_submit_evidence(api->n, &ev, why, sizeof why);
    if (e != HANSA_OK)
        return rpc_fail(RPC_TX_REJECTED, json_pack("{s:s, s:s}", "error", hansa_errname(e), "why", why),
                        "evidence rejected: %s", why);
    hansa_hash h;
    wire_evidence_hash(&ev, &h);
    return rpc_ok(json_pack("{s:o}", "hash", nj_hash(&h)));
}

rpc_interchain_api *rpc_interchain_api_new(rpc_server *server, node *n) {
    rpc_interchain_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    rpc_register(server, "light_block", m_light_block, api);
    rpc_register(server, "client_list", m_client_list, api);
    rpc_register(server, "client", m_client, api);
    rpc_register(server, "submit_evidence", m_submit_evidence, api);
    rpc_snapshot_register(server, n); /* state sync: light-client checked too */
    return api;
}

void rpc_interchain_api_free(rpc_interchain_api *api) { free(api); }
