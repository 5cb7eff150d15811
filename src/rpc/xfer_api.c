/* xfer_api.c — see xfer_api.h. Transactions and proofs are given as their
 * canonical encodings in hex, so a relayer hands the other chain exactly
 * what this chain committed. */
#include "rpc/xfer_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "interchain/packet.h"
#include "ledger/client.h"
#include "ledger/state.h"
#include "ledger/xfer.h"
#include "node/xfer_proof.h"
#include "rpc/node_json.h"
#include "wire/codec.h"

struct rpc_xfer_api {
    rpc_server *server;
    node *n;
};

static json_t *proof_json(const pkt_proof *p) {
    json_t *path = json_array();
    for (uint8_t i = 0; i < p->path_len; i++) json_array_append_new(path, nj_hash(&p->path[i]));
    return json_pack("{s:I, s:I, s:I, s:o, s:o}", "height", (json_int_t)p->height, "index",
                     (json_int_t)p->index, "count", (json_int_t)p->count, "path", path, "tx",
                     nj_hex(p->tx, p->tx_len));
}

/* packets_pending {chain_id, max?, mod?, rem?} -> {pending, packets: [{hash,
 * proof}]}: the oldest max (default and at most XFER_API_BATCH_MAX) packets
 * to chain_id still pending here whose hash's first 4 bytes are rem modulo
 * mod (default all), each with its proof. */
static rpc_outcome m_pending(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"chain_id", "max", "mod", "rem", NULL};
    uint32_t chain;
    if (!nj_params_only(params, names, &bad) || !nj_param_chain(params, &chain, &bad)) return bad;
    uint64_t max = XFER_API_BATCH_MAX, mod = 1, rem = 0;
    rpc_error err = {0};
    if (!rpc_param_u64(params, "max", false, &max, &err) || !rpc_param_u64(params, "mod", false, &mod, &err) ||
        !rpc_param_u64(params, "rem", false, &rem, &err))
        return rpc_fail_with(&err);
    if (max == 0 || max > XFER_API_BATCH_MAX) return nj_bad_param("max", "must be 1 to 1024");
    if (mod == 0 || mod > WIRE_VALIDATORS_MAX || rem >= mod) return nj_bad_param("rem", "must be below mod (1 to 128)");
    xfer_pending *p = hansa_calloc(max, sizeof *p);
    size_t total = ledger_xfer_pending(node_ledger(api->n), chain, (uint32_t)mod, (uint32_t)rem, p, max),
           n = total < max ? total : max;
    node_block_cache c = NODE_BLOCK_CACHE_INIT;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        pkt_proof proof;
        if (!node_packet_proof(api->n, &c, p[i].height, &p[i].hash, &proof)) continue; /* pruned or broken store */
        json_array_append_new(list, json_pack("{s:o, s:o}", "hash", nj_hash(&p[i].hash), "proof",
                                              proof_json(&proof)));
    }
    node_block_cache_free(&c);
    free(p);
    return rpc_ok(json_pack("{s:I, s:o}", "pending", (json_int_t)total, "packets", list));
}

/* packet_acks {chain_id, hashes: [hex]} -> {acks: [{hash, outcome, proof}]}
 * for the packets of chain_id among hashes that were received here. */
static rpc_outcome m_acks(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"chain_id", "hashes", NULL};
    uint32_t chain;
    if (!nj_params_only(params, names, &bad) || !nj_param_chain(params, &chain, &bad)) return bad;
    json_t *hashes = json_object_get(params, "hashes");
    if (!json_is_array(hashes) || json_array_size(hashes) > XFER_API_BATCH_MAX)
        return nj_bad_param("hashes", "must be an array of at most 1024 packet hashes");
    node_block_cache c = NODE_BLOCK_CACHE_INIT;
    json_t *list = json_array();
    for (size_t i = 0; i < json_array_size(hashes); i++) {
        json_t *one = json_pack("{s:O}", "hash", json_array_get(hashes, i));
        hansa_hash h;
        bool ok = nj_param_hash(one, &h, &bad);
        json_decref(one);
        if (!ok) {
            json_decref(list);
            node_block_cache_free(&c);
            return bad;
        }
        xfer_in in;
        pkt_proof proof;
        if (!ledger_xfer_in(node_ledger(api->n), chain, &h, &in) || !node_recv_proof(api->n, &c, in.height, chain, &h, &proof))
            continue;
        json_array_append_new(list, json_pack("{s:o, s:s, s:o}", "hash", nj_hash(&h), "outcome",
                                              pkt_outcome_name(in.outcome), "proof", proof_json(&proof)));
    }
    node_block_cache_free(&c);
    return rpc_ok(json_pack("{s:o}", "acks", list));
}

static const char *state_name(uint8_t s) {
    switch ((xfer_state)s) {
    case XFER_PENDING: return "pending";
    case XFER_CREDITED: return "credited";
    case XFER_REFUNDED: return "refunded";
    }
    return "unknown";
}

static json_t *denom_json(const pkt_denom *d) {
    char text[64];
    pkt_denom_format(d, text, sizeof text);
    return json_string(text);
}

/* xfer_status {hash} -> {direction: "out", ...} for a packet sent from
 * here, or {direction: "in", ...} for one received here from any chain. */
static rpc_outcome m_status(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"hash", NULL};
    hansa_hash h;
    if (!nj_params_only(params, names, &bad) || !nj_param_hash(params, &h, &bad)) return bad;
    const ledger_state *s = node_ledger(api->n);
    uint32_t own = ledger_state_params(s)->chain_id;
    xfer_out o;
    if (ledger_xfer_out(s, &h, &o))
        return rpc_ok(json_pack(
            "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:b}", "direction", "out",
            "hash", nj_hash(&h), "from", nj_address(own, &o.sender), "to", nj_address(o.dest_chain, &o.to),
            "dest_chain", nj_chain(o.dest_chain), "amount", nj_u64(o.amount), "denom", denom_json(&o.denom),
            "state", state_name(o.state), "sent_height", (json_int_t)o.sent_height, "sent_time_ms",
            (json_int_t)o.sent_time_ms, "timeout_ms", (json_int_t)o.timeout_ms, "outcome",
            o.state == XFER_PENDING ? "" : pkt_outcome_name(o.reason), "escrow", o.burned ? "burned" : "escrowed",
            "done_height", (json_int_t)o.done_height, "done_time_ms", (json_int_t)o.done_time_ms, "refunded",
            o.state == XFER_REFUNDED));
    uint32_t chains[LEDGER_CLIENTS_MAX];
    size_t n = ledger_clients_list(s, chains, LEDGER_CLIENTS_MAX);
    for (size_t i = 0; i < n && i < LEDGER_CLIENTS_MAX; i++) {
        xfer_in in;
        if (!ledger_xfer_in(s, chains[i], &h, &in)) continue;
        return rpc_ok(json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:I, s:I}", "direction", "in",
                                "hash", nj_hash(&h), "src_chain", nj_chain(chains[i]), "from",
                                nj_address(chains[i], &in.from), "to", nj_address(own, &in.to), "amount",
                                nj_u64(in.amount), "denom", denom_json(&in.denom), "outcome",
                                pkt_outcome_name(in.outcome), "height", (json_int_t)in.height, "time_ms",
                                (json_int_t)in.time_ms, "src_height", (json_int_t)in.src_height));
    }
    return rpc_fail(RPC_NOT_FOUND, NULL, "no packet with that hash was sent from or received by this chain");
}

/* vouchers {address} -> {vouchers: [{denom, amount}]} */
static rpc_outcome m_vouchers(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"address", NULL};
    const ledger_state *s = node_ledger(api->n);
    hansa_addr a;
    if (!nj_params_only(params, names, &bad) ||
        !nj_param_address(params, ledger_state_params(s)->chain_id, &a, &bad))
        return bad;
    pkt_denom d[XFER_API_BATCH_MAX];
    uint64_t amt[XFER_API_BATCH_MAX];
    size_t total = ledger_xfer_vouchers_of(s, &a, d, amt, XFER_API_BATCH_MAX);
    json_t *list = json_array();
    for (size_t i = 0; i < total && i < XFER_API_BATCH_MAX; i++)
        json_array_append_new(list, json_pack("{s:o, s:o}", "denom", denom_json(&d[i]), "amount", nj_u64(amt[i])));
    return rpc_ok(json_pack("{s:o}", "vouchers", list));
}

/* correspondents -> {correspondents: [{chain_id, limited, collateral, limit,
 * claims, escrow, position, paid_out}]}: per foreign chain with a client or
 * a correspondent record. claims: vouchers from it outstanding here (what it
 * owes this chain's holders); escrow: this chain's tokens held for it (what
 * this chain owes its holders); position = claims - escrow, the one figure
 * per pair that lifts will clear. */
static rpc_outcome m_corr(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = node_ledger(api->n);
    uint32_t chains[LEDGER_CLIENTS_MAX];
    size_t n = ledger_clients_list(s, chains, LEDGER_CLIENTS_MAX);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < LEDGER_CLIENTS_MAX; i++) {
        xfer_corr k;
        ledger_xfer_corr(s, chains[i], &k);
        uint64_t escrow = ledger_xfer_escrow_for(s, chains[i]);
        char pos[24];
        snprintf(pos, sizeof pos, "%s%llu", k.outstanding >= escrow ? "" : "-",
                 (unsigned long long)(k.outstanding >= escrow ? k.outstanding - escrow : escrow - k.outstanding));
        json_t *limit = k.limited ? nj_u64(k.collateral * XFER_CORR_MULTIPLE) : json_null();
        json_array_append_new(list, json_pack("{s:o, s:b, s:o, s:o, s:o, s:o, s:s, s:o}", "chain_id",
                                              nj_chain(chains[i]), "limited", k.limited, "collateral",
                                              nj_u64(k.collateral), "limit", limit, "claims", nj_u64(k.outstanding),
                                              "escrow", nj_u64(escrow), "position", pos, "paid_out",
                                              nj_u64(k.paid_out)));
    }
    return rpc_ok(json_pack("{s:o}", "correspondents", list));
}

/* packets -> {packets: [{id, from_chain, to_chain, kind, state, sent_height}]}:
 * the packets this chain sent that are still in flight (not acknowledged or
 * refunded), the oldest XFER_API_BATCH_MAX per destination. */
static rpc_outcome m_packets(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_xfer_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = node_ledger(api->n);
    uint32_t chains[LEDGER_CLIENTS_MAX], own = ledger_state_params(s)->chain_id;
    size_t n = ledger_clients_list(s, chains, LEDGER_CLIENTS_MAX);
    xfer_pending *p = hansa_calloc(XFER_API_BATCH_MAX, sizeof *p);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < LEDGER_CLIENTS_MAX; i++) {
        size_t total = ledger_xfer_pending(s, chains[i], 1, 0, p, XFER_API_BATCH_MAX);
        for (size_t k = 0; k < total && k < XFER_API_BATCH_MAX; k++)
            json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:s, s:s, s:I}", "id", nj_hash(&p[k].hash),
                                                  "from_chain", nj_chain(own), "to_chain", nj_chain(chains[i]),
                                                  "kind", "transfer", "state", "pending", "sent_height",
                                                  (json_int_t)p[k].height));
    }
    free(p);
    return rpc_ok(json_pack("{s:o}", "packets", list));
}

rpc_xfer_api *rpc_xfer_api_new(rpc_server *server, node *n) {
    rpc_xfer_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    rpc_register(server, "packets_pending", m_pending, api);
    rpc_register(server, "packet_acks", m_acks, api);
    rpc_register(server, "xfer_status", m_status, api);
    rpc_register(server, "vouchers", m_vouchers, api);
    rpc_register(server, "correspondents", m_corr, api);
    rpc_register(server, "packets", m_packets, api);
    return api;
}

void rpc_xfer_api_free(rpc_xfer_api *api) { free(api); }
