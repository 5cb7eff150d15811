/* receipt_api.c — see receipt_api.h. submit_receipt answers at once when
 * the node covers the amount alone, and defers the call while underwriters
 * are asked; receipt_claim_body finds the proof a claim needs in the node's
 * blocks, so a client needs nothing but the receipt to claim. */
#include "rpc/receipt_api.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/hex.h"
#include "base/mem.h"
#include "crypto/sha256.h"
#include "interchain/packet.h"
#include "ledger/receipt_x.h"
#include "ledger/tx_receipt.h"
#include "node/receipt_proof.h"
#include "node/receipts.h"
#include "rpc/node_json.h"

#define SUBMIT_TIMEOUT_MS_DEFAULT 10000
#define CALLS_MAX 256
/* A bond proof: height, index, count, path length, 16 hashes, tx. */
#define BOND_PROOF_BYTES_MAX (8 + 4 + 4 + 1 + PKT_PATH_MAX * HANSA_HASH_BYTES + 4 + WIRE_TX_BYTES_MAX)

typedef struct {
    rpc_receipt_api *api;
    rpc_pending *pending; /* NULL = free */
    uint64_t handle;
    uint64_t started_ns;
    hansa_hash tx_hash;
    bool admitted; /* the transfer went into the pool (node_receipt_req.admitted) */
} call_slot;

struct rpc_receipt_api {
    node *n;
    call_slot calls[CALLS_MAX];
};

static json_t *receipt_json(uint32_t chain_id, const receipt *rc, const hansa_hash *tx_hash,
                            uint64_t started_ns) {
    hbuf enc = HBUF_INIT;
    receipt_encode(&enc, rc);
    hansa_hash id;
    receipt_id(&rc->core, &id);
    json_t *g = json_array();
    for (uint8_t i = 0; i < rc->n_shares; i++)
        json_array_append_new(g, json_pack("{s:o, s:o, s:o}", "pubkey",
                                           nj_hex(rc->shares[i].signer.b, HANSA_PUBKEY_BYTES),
                                           "address", nj_address_of(chain_id, &rc->shares[i].signer),
                                           "amount", nj_u64(rc->shares[i].amount)));
    json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "hash", nj_hash(tx_hash),
                          "id", nj_hash(&id), "receipt", nj_hex(enc.data, enc.len), "beneficiary",
                          nj_address(chain_id, &rc->core.beneficiary), "amount",
                          nj_u64(rc->core.amount), "nonce", nj_u64(rc->core.nonce),
                          "issued_height", nj_u64(rc->core.issued_height), "deadline",
                          nj_u64(rc->core.deadline), "guarantors", g);
    if (started_ns)
        json_object_set_new(j, "elapsed_us", nj_u64((uv_hrtime() - started_ns) / 1000));
    hbuf_free(&enc);
    return j;
}

/* A refused receipt's data: the error, why, and whether the transfer was
 * admitted all the same (refused once peers were asked, it commits as any
 * transfer: a wallet must not sign the payment again under a new nonce):
 * admitted by this call — what the node said as it admitted it, for the pool
 * may have dropped it since while the peers asked still hold it — or in the
 * pool now (an earlier submit_tx of the same transfer). */
static json_t *refusal_data(const call_slot *c, hansa_err err, const char *why) {
    bool admitted = c->admitted || mempool_has(node_mempool(c->api->n), &c->tx_hash);
    return json_pack("{s:s, s:s, s:b}", "error", hansa_errname(err), "why", why, "admitted", admitted);
}

static void on_done(void *ctx, hansa_err err, const char *why, const receipt *rc) {
    call_slot *c = ctx;
    rpc_pending *p = c->pending;
    c->pending = NULL;
    if (err != HANSA_OK)
        rpc_reply_error(p, RPC_TX_REJECTED, refusal_data(c, err, why), "no receipt: %s", why);
    else rpc_reply(p, receipt_json(rc->core.chain_id, rc, &c->tx_hash, c->started_ns));
}

static void on_cancel(rpc_pending *pending, void *ctx) {
    (void)pending;
    call_slot *c = ctx;
    node_receipt_cancel(c->api->n, c->handle);
    c->pending = NULL;
}

/* submit_receipt {tx, amount?, deadline_blocks?, timeout_ms?} -> receipt view */
static rpc_outcome m_submit_receipt(rpc_call *call, json_t *params, void *ctx) {
    rpc_receipt_api *api = ctx;
    uint64_t started = uv_hrtime();
    rpc_outcome bad;
    static const char *const names[] = {"tx", "amount", "deadline_blocks", "timeout_ms", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    rpc_error err = {0};
    uint64_t amount = 0, blocks = 0, timeout_ms = SUBMIT_TIMEOUT_MS_DEFAULT;
    if (!rpc_param_u64(params, "amount", false, &amount, &err) ||
        !rpc_param_u64(params, "deadline_blocks", false, &blocks, &err) ||
        !rpc_param_u64(params, "timeout_ms", false, &timeout_ms, &err))
        return rpc_fail_with(&err);
    if (blocks > RECEIPT_DEADLINE_MAX) return nj_bad_param("deadline_blocks", "must be 0..256");
    if (timeout_ms == 0 || timeout_ms > 300000) return nj_bad_param("timeout_ms", "must be 1..300000");
    call_slot *c = NULL;
    for (size_t i = 0; i < CALLS_MAX && !c; i++)
        if (!api->calls[i].pending) c = &api->calls[i];
    if (!c) return rpc_fail(RPC_BUSY, NULL, "too many receipts being underwritten");
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!rpc_param_bytes(params, "tx", true, WIRE_TX_BYTES_MAX, &bytes, &len, &err))
        return rpc_fail_with(&err);
    *c = (call_slot){.api = api, .started_ns = started};
    sha256(bytes, len, &c->tx_hash);
    node_receipt_req req = {.tx = bytes, .tx_len = len, .amount = amount,
                            .deadline_blocks = (uint32_t)blocks, .admitted = &c->admitted};
    receipt rc;
    char why[256] = "";
    hansa_err e = node_receipt_request(api->n, &req, &rc, &c->handle, on_done, c, why, sizeof why);
    free(bytes);
    if (e != HANSA_OK) return rpc_fail(RPC_TX_REJECTED, refusal_data(c, e, why), "no receipt: %s", why);
    if (c->handle == 0)
        return rpc_ok(receipt_json(node_chain_id(api->n), &rc, &c->tx_hash, started));
    rpc_outcome out = rpc_defer(call, timeout_ms, on_cancel, c, &c->pending);
    if (!c->pending) node_receipt_cancel(api->n, c->handle);
    return out;
}

static bool param_receipt(json_t *params, receipt *rc, rpc_outcome *out) {
    rpc_error err = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!rpc_param_bytes(params, "receipt", true, RECEIPT_BYTES_MAX, &bytes, &len, &err)) {
        *out = rpc_fail_with(&err);
        return false;
    }
    wire_rd r;
    hansa_err e = receipt_decode(bytes, len, rc, &r);
    free(bytes);
    if (e != HANSA_OK) {
        char where[96];
        rd_describe(&r, where, sizeof where);
        *out = nj_bad_param("receipt", where);
        return false;
    }
    return true;
}

/* receipt_claim_body {receipt} -> {body, payable} or why it is refused */
static rpc_outcome m_claim_body(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_receipt_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"receipt", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    receipt_claim cl = {0};
    if (!param_receipt(params, &cl.rc, &bad)) return bad;
    hbuf tx = HBUF_INIT, body = HBUF_INIT;
    node_receipt_claim_proof(api->n, &cl, &tx);
    uint64_t payable = 0;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err e = ledger_receipt_claim_check(node_ledger(api->n), &cl, &payable, why, sizeof why);
    receipt_claim_encode(&body, &cl);
    json_t *j = json_pack("{s:o, s:o, s:b, s:o}", "body", nj_hex(body.data, body.len), "payable",
                          nj_u64(payable), "claimable", e == HANSA_OK, "proof",
                          cl.proof == RECEIPT_PROOF_TX ? nj_u64(cl.height) : json_null());
    if (e != HANSA_OK) {
        json_object_set_new(j, "error", json_string(hansa_errname(e)));
        json_object_set_new(j, "why", json_string(why));
    }
    hbuf_free(&tx);
    hbuf_free(&body);
    return rpc_ok(j);
}

/* A receipt of this chain: signatures, signers' collateral, status. */
static rpc_outcome verify_here(rpc_receipt_api *api, const receipt *rc0) {
    receipt rc = *rc0;
    const ledger_state *s = node_ledger(api->n);
    int bad_sig = receipt_verify(&rc);
    json_t *signers = json_array();
    bool backed = true;
    for (uint8_t i = 0; i < rc.n_shares; i++) {
        ledger_receipt_bond b;
        bool has = ledger_receipt_bond_get(s, &rc.shares[i].signer, &b);
        backed = backed && has;
        json_array_append_new(signers, json_pack("{s:o, s:o, s:o, s:o, s:o}", "pubkey",
                                                 nj_hex(rc.shares[i].signer.b, HANSA_PUBKEY_BYTES),
                                                 "share", nj_u64(rc.shares[i].amount), "bonded",
                                                 nj_u64(b.bonded), "unbonding", nj_u64(b.unbonding),
                                                 "claimed", nj_u64(b.claimed)));
    }
    hansa_hash id;
    receipt_id(&rc.core, &id);
    uint64_t ch = 0, paid = 0;
    bool claimed = ledger_receipt_claim_get(s, &id, &ch, &paid);
    store_tx_loc loc;
    bool committed = store_get_tx(node_store(api->n), &rc.core.tx_hash, &loc) == HANSA_OK;
    const char *status = claimed ? "claimed"
                         : committed && loc.height <= rc.core.deadline ? "kept"
                         : ledger_height(s) < rc.core.deadline ? "pending"
                         : ledger_height(s) < rc.core.deadline + RECEIPT_CLAIM_WINDOW ? "broken"
                                                                                    : "expired";
    json_t *j = receipt_json(rc.core.chain_id, &rc, &rc.core.tx_hash, 0);
    json_object_set_new(j, "signatures_ok", json_boolean(bad_sig < 0));
    json_object_set_new(j, "valid", json_boolean(bad_sig < 0 && backed &&
                                                  rc.core.chain_id == node_chain_id(api->n)));
    json_object_set_new(j, "signers", signers);
    json_object_set_new(j, "status", json_string(status));
    json_object_set_new(j, "height", nj_u64(ledger_height(s)));
    json_object_set_new(j, "committed_height", committed ? nj_u64(loc.height) : json_null());
    json_object_set_new(j, "claimed_paid", claimed ? nj_u64(paid) : json_null());
    return rpc_ok(j);
}

/* The "bonds" param: one hex tx proof per share, in share order. *out is
 * malloc'd (the caller frees it and each proof's tx, which the proofs
 * borrow from *keep). */
static bool param_bonds(json_t *params, pkt_proof *out, size_t *n, uint8_t **keep,
                        rpc_outcome *bad) {
    const json_t *arr = json_object_get(params, "bonds");
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > RECEIPT_SHARES_MAX) {
        *bad = nj_bad_param("bonds", "must be an array of 1 to 8 hex bond proofs");
        return false;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *hex = json_string_value(json_array_get(arr, i));
        size_t hl = hex ? strlen(hex) : 0, got = 0;
        if (hl == 0 || hl > 2 * BOND_PROOF_BYTES_MAX) {
            *bad = nj_bad_param("bonds", "each proof must be a non-empty hex string of a bounded size");
            return false;
        }
        keep[i] = hansa_malloc(hl / 2 + 1);
        (*n)++;
        if (hex_decode(hex, hl, keep[i], hl / 2 + 1, &got, NULL) != HANSA_OK) {
            *bad = nj_bad_param("bonds", "a proof is not hex");
            return false;
        }
        wire_rd r;
        if (pkt_proof_decode(keep[i], got, &out[i], &r) != HANSA_OK) {
            char where[128];
            rd_describe(&r, where, sizeof where);
            *bad = nj_bad_param("bonds", where);
            return false;
        }
    }
    return true;
}

/* A receipt of another chain, its signers' bonds proven through this
 * chain's light client of it (ledger/receipt_x.h). */
static rpc_outcome verify_foreign(rpc_receipt_api *api, const receipt *rc, json_t *params) {
    pkt_proof bonds[RECEIPT_SHARES_MAX];
    uint8_t *keep[RECEIPT_SHARES_MAX] = {0};
    size_t n = 0;
    rpc_outcome bad;
    bool ok = param_bonds(params, bonds, &n, keep, &bad);
    receipt_x_backing back[RECEIPT_SHARES_MAX] = {0};
    char why[LEDGER_WHY_MAX] = "";
    hansa_err e = ok ? ledger_receipt_x_check(node_ledger(api->n), rc, bonds, n, back, why, sizeof why)
                     : HANSA_OK;
    for (size_t i = 0; i < n; i++) free(keep[i]);
    if (!ok) return bad;
    json_t *signers = json_array();
    for (uint8_t i = 0; e == HANSA_OK && i < rc->n_shares; i++)
        json_array_append_new(signers, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "pubkey",
                                                 nj_hex(rc->shares[i].signer.b, HANSA_PUBKEY_BYTES),
                                                 "share", nj_u64(rc->shares[i].amount), "bond_height",
                                                 nj_u64(back[i].height), "bond", nj_u64(back[i].bonded),
                                                 "term", nj_u64(back[i].until), "backs_until",
                                                 nj_u64(back[i].backs_until)));
    json_t *j = receipt_json(rc->core.chain_id, rc, &rc->core.tx_hash, 0);
    json_object_set_new(j, "valid", json_boolean(e == HANSA_OK));
    json_object_set_new(j, "signers", signers);
    json_object_set_new(j, "proven_on", nj_chain(node_chain_id(api->n)));
    if (e != HANSA_OK) {
        json_object_set_new(j, "error", json_string(hansa_errname(e)));
        json_object_set_new(j, "why", json_string(why));
    } else {
        json_object_set_new(j, "risk", json_string("each bond is proven as deposited; claims by others"
                                                   " or a slash on the source chain may take it first"));
    }
    return rpc_ok(j);
}

/* receipt_verify {receipt, bonds?} -> signatures, signers' collateral,
 * status; a receipt of another chain needs bonds (receipt_bond_proof). */
static rpc_outcome m_verify(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_receipt_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"receipt", "bonds", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    receipt rc;
    if (!param_receipt(params, &rc, &bad)) return bad;
    if (rc.core.chain_id != node_chain_id(api->n) || json_object_get(params, "bonds"))
        return verify_foreign(api, &rc, params);
    return verify_here(api, &rc);
}

/* receipt_bond_proof {signer} -> the proof of signer's latest receipt_bond,
 * what another chain needs to check its receipts */
static rpc_outcome m_bond_proof(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_receipt_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"signer", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    rpc_error err = {0};
    hansa_pubkey pk;
    if (!rpc_param_hex(params, "signer", true, pk.b, HANSA_PUBKEY_BYTES, &err)) return rpc_fail_with(&err);
    pkt_proof p;
    hbuf tx = HBUF_INIT, enc = HBUF_INIT;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err e = node_receipt_bond_proof(api->n, &pk, &p, &tx, why, sizeof why);
    if (e != HANSA_OK) {
        hbuf_free(&tx);
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:s, s:s}", "error", hansa_errname(e), "why", why),
                        "no bond proof: %s", why);
    }
    pkt_proof_encode(&enc, &p);
    uint64_t until = 0, bond_height = 0;
    ledger_receipt_term_get(node_ledger(api->n), &pk, &until, &bond_height);
    json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o}", "chain", nj_chain(node_chain_id(api->n)),
                          "signer", nj_hex(pk.b, HANSA_PUBKEY_BYTES), "height", nj_u64(p.height),
                          "term", nj_u64(until), "proof", nj_hex(enc.data, enc.len));
    hbuf_free(&tx);
    hbuf_free(&enc);
    return rpc_ok(j);
}

static void status_visit(void *ctx, const receipt_core *core, uint64_t amount, const receipt *issued) {
    json_t *arr = ctx;
    hansa_hash id;
    receipt_id(core, &id);
    json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:b}", "id", nj_hash(&id), "tx",
                                         nj_hash(&core->tx_hash), "amount", nj_u64(amount),
                                         "deadline", nj_u64(core->deadline), "issued", issued != NULL));
}

/* receipt_status {} -> this node's collateral and exposure */
static rpc_outcome m_status(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_receipt_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    node_receipt_status st;
    node_receipt_status_get(api->n, &st);
    json_t *g = json_array();
    node_receipt_iter(api->n, status_visit, g);
    return rpc_ok(json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "has_key", st.has_key,
                            "bonded", nj_u64(st.bonded), "exposure", nj_u64(st.exposure), "free",
                            nj_u64(st.free), "outstanding", nj_u64(st.outstanding), "issued",
                            nj_u64(st.issued), "underwritten", nj_u64(st.underwritten),
                            "guarantees", g));
}

/* receipts_audit {} -> {ok, collateral, why?}: the receipt audit and the
 * supply equation over this node's committed state. */
static rpc_outcome m_audit(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_receipt_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    char why[LEDGER_WHY_MAX] = "";
    uint64_t sum = 0;
    const ledger_state *s = node_ledger(api->n);
    hansa_err e = ledger_receipts_check(s, &sum, why, sizeof why);
    if (e == HANSA_OK) e = ledger_supply_check(s, why, sizeof why);
    json_t *j = json_pack("{s:b, s:o, s:o}", "ok", e == HANSA_OK, "collateral", nj_u64(sum),
                          "height", nj_u64(ledger_height(s)));
    if (e != HANSA_OK) json_object_set_new(j, "why", json_string(why));
    return rpc_ok(j);
}

rpc_receipt_api *rpc_receipt_api_new(rpc_server *server, node *n) {
    rpc_receipt_api *api = hansa_calloc(1, sizeof *api);
    api->n = n;
    rpc_register(server, "submit_receipt", m_submit_receipt, api);
    rpc_register(server, "receipt_verify", m_verify, api);
    rpc_register(server, "receipt_bond_proof", m_bond_proof, api);
    rpc_register(server, "receipt_claim_body", m_claim_body, api);
    rpc_register(server, "receipt_status", m_status, api);
    rpc_register(server, "receipts_audit", m_audit, api);
    return api;
}

void rpc_receipt_api_free(rpc_receipt_api *api) {
    if (!api) return;
    for (size_t i = 0; i < CALLS_MAX; i++) {
        call_slot *c = &api->calls[i];
        if (!c->pending) continue;
        node_receipt_cancel(api->n, c->handle);
        rpc_reply_error(c->pending, RPC_SHUTTING_DOWN, NULL, "the node is stopping");
    }
    free(api);
}
