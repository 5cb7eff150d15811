/* node_json.c — see node_json.h. */
#include "rpc/node_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "interchain/packet.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "rpc/credit_api.h"
#include "wire/codec.h"

json_t *nj_hex(const uint8_t *p, size_t n) {
    char *s = hansa_malloc(2 * n + 1);
    hex_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

json_t *nj_hash(const hansa_hash *h) { return nj_hex(h->b, HANSA_HASH_BYTES); }

json_t *nj_u64(uint64_t v) {
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    return json_string(s);
}

json_t *nj_chain(uint32_t chain_id) {
    char c[CHAIN_ID_TEXT_MAX];
    chain_id_format(chain_id, c);
    return json_string(c);
}

json_t *nj_address(uint32_t chain_id, const hansa_addr *a) {
    char text[ADDR_TEXT_MAX];
    addr_format(chain_id, a, text);
    return json_string(text);
}

json_t *nj_address_of(uint32_t chain_id, const hansa_pubkey *pk) {
    hansa_addr a;
    addr_from_pubkey(pk, &a);
    return nj_address(chain_id, &a);
}

/* Adds the decoded body of the kinds this build knows. */
static void tx_body_fields(json_t *j, const wire_tx *tx) {
    const ledger_tx_kind *k = ledger_tx_kind_get(tx->kind);
    ledger_tx_body body;
    char why[LEDGER_WHY_MAX];
    if (!k || k->decode(tx->body, tx->body_len, &body, why, sizeof why) != HANSA_OK) return;
    switch ((tx_kind)tx->kind) {
    case TX_TRANSFER:
        json_object_set_new(j, "to", nj_address(tx->chain_id, &body.transfer.to));
        json_object_set_new(j, "amount", nj_u64(body.transfer.amount));
        return;
    case TX_STAKE:
    case TX_UNSTAKE:
    case TX_VOTE:
    case TX_UNVOTE:
    case TX_UNJAIL:
    case TX_EVIDENCE:
    case TX_UPGRADE_PROPOSE:
    case TX_UPGRADE_VOTE:
    case TX_CLIENT_UPDATE:
    case TX_CLIENT_MISBEHAVIOUR:
    case TX_CLIENT_REVIVE:
    case TX_PACKET_RECV:
    case TX_PACKET_ACK:
    case TX_DKG_COMMIT:
    case TX_DKG_COMPLAINT:
    case TX_DKG_REVEAL:
    case TX_KIND_MAX_:
        return; /* no decoded view yet: the body hex says it all */
    case TX_CORR_BOND:
    case TX_CORR_UNBOND:
        json_object_set_new(j, "corr_chain", nj_chain(body.corr.chain));
        json_object_set_new(j, "amount", nj_u64(body.corr.amount));
        return; /* no decoded view yet: the body hex says it all */
    case TX_TALLY_OFFER:
    case TX_TALLY_COUNTER:
    case TX_TALLY_ACCEPT:
    case TX_TALLY_REFUSE:
    case TX_TALLY_CLOSE:
    case TX_TALLY_TRADE:
    case TX_CHIT:
    case TX_INVOICE_CREATE:
    case TX_INVOICE_PAY:
    case TX_INVOICE_REFUSE:
    case TX_LIFT:
        cj_tx_fields(j, tx->kind, &body.credit, tx->chain_id);
        return;
    case TX_CLIENT_CREATE:
        json_object_set_new(j, "client_chain", nj_chain(body.client_create.params.chain_id));
        return;
    case TX_CLIENT_APPROVE:
        json_object_set_new(j, "client_chain", nj_chain(body.client_approve.chain));
        json_object_set_new(j, "subject", nj_hash(&body.client_approve.subject));
        return;
    case TX_RECEIPT_BOND:
    case TX_RECEIPT_UNBOND:
        json_object_set_new(j, "amount", nj_u64(body.bond.amount));
        return;
    case TX_PACKET_SEND: {
        pkt_send s;
        pkt_transfer t;
        char dn[64];
        if (pkt_send_decode(tx->body, tx->body_len, &s, NULL) != HANSA_OK || s.type != PKT_TYPE_TRANSFER ||
            pkt_transfer_decode(s.payload, s.payload_len, &t, NULL) != HANSA_OK)
            return;
        pkt_denom_format(&t.denom, dn, sizeof dn);
        json_object_set_new(j, "to", nj_address(s.dest_chain, &t.to));
        json_object_set_new(j, "amount", nj_u64(t.amount));
        json_object_set_new(j, "denom", json_string(dn));
        json_object_set_new(j, "timeout_ms", nj_u64(s.timeout_ms));
        return;
    }
    case TX_RECEIPT_CLAIM: {
        hansa_hash id;
        receipt_id(&body.claim.rc.core, &id);
        json_object_set_new(j, "receipt_id", nj_hash(&id));
        json_object_set_new(j, "amount", nj_u64(body.claim.rc.core.amount));
        json_object_set_new(j, "beneficiary", nj_address(tx->chain_id, &body.claim.rc.core.beneficiary));
        return;
    }
    }
}

json_t *nj_tx(const uint8_t *bytes, size_t len) {
    wire_tx tx;
    HANSA_ASSERT(wire_tx_decode(bytes, len, &tx, NULL) == HANSA_OK);
    hansa_hash h;
    wire_tx_hash(&tx, &h);
    const ledger_tx_kind *k = ledger_tx_kind_get(tx.kind);
    json_t *j = json_object();
    json_object_set_new(j, "hash", nj_hash(&h));
    json_object_set_new(j, "encoded", nj_hex(bytes, len));
    json_object_set_new(j, "chain_id", nj_chain(tx.chain_id));
    json_object_set_new(j, "sender", nj_hex(tx.sender.b, HANSA_PUBKEY_BYTES));
    json_object_set_new(j, "sender_address", nj_address_of(tx.chain_id, &tx.sender));
    json_object_set_new(j, "nonce", nj_u64(tx.nonce));
    json_object_set_new(j, "fee", nj_u64(tx.fee));
    json_object_set_new(j, "kind", k ? json_string(k->name) : json_integer(tx.kind));
    json_object_set_new(j, "kind_code", json_integer(tx.kind));
    json_object_set_new(j, "body", nj_hex(tx.body, tx.body_len));
    json_object_set_new(j, "signature", nj_hex(tx.sig.b, HANSA_SIG_BYTES));
    tx_body_fields(j, &tx);
    return j;
}

json_t *nj_header(const wire_header *h) {
    hbuf enc = HBUF_INIT;
    wire_header_encode(&enc, h);
    hansa_hash id;
    wire_header_hash(h, &id);
    json_t *j = json_object();
    json_object_set_new(j, "hash", nj_hash(&id));
    json_object_set_new(j, "encoded", nj_hex(enc.data, enc.len));
    json_object_set_new(j, "version", json_integer(enc.data[0]));
    json_object_set_new(j, "chain_id", nj_chain(h->chain_id));
    json_object_set_new(j, "height", json_integer((json_int_t)h->height));
    json_object_set_new(j, "time_ms", json_integer((json_int_t)h->time_ms));
    json_object_set_new(j, "prev_block", nj_hash(&h->prev_block));
    json_object_set_new(j, "last_commit_hash", nj_hash(&h->last_commit_hash));
    json_object_set_new(j, "tx_root", nj_hash(&h->tx_root));
    json_object_set_new(j, "evidence_root", nj_hash(&h->evidence_root));
    json_object_set_new(j, "app_hash", nj_hash(&h->app_hash));
    json_object_set_new(j, "validators_hash", nj_hash(&h->validators_hash));
    json_object_set_new(j, "next_validators_hash", nj_hash(&h->next_validators_hash));
    json_object_set_new(j, "proposer", nj_hex(h->proposer.b, HANSA_PUBKEY_BYTES));
    json_object_set_new(j, "proposer_address", nj_address_of(h->chain_id, &h->proposer));
    json_object_set_new(j, "tx_count", json_integer(h->tx_count));
    hbuf_free(&enc);
    return j;
}

json_t *nj_commit(const wire_commit *c, const cons_valset *vs) {
    hbuf enc = HBUF_INIT;
    wire_commit_encode(&enc, c);
    json_t *signers = json_array();
    uint64_t signed_power = 0;
    for (uint16_t i = 0; i < c->n_sigs; i++) {
        const wire_commit_sig *s = &c->sigs[i];
        json_t *sj = json_pack("{s:i, s:o}", "validator_index", s->validator_index, "signature",
                               nj_hex(s->sig.b, HANSA_SIG_BYTES));
        if (vs && s->validator_index < vs->n) {
            const wire_validator *v = &vs->v[s->validator_index];
            json_object_set_new(sj, "pubkey", nj_hex(v->pubkey.b, HANSA_PUBKEY_BYTES));
            json_object_set_new(sj, "address", nj_address_of(c->chain_id, &v->pubkey));
            json_object_set_new(sj, "power", json_integer((json_int_t)v->power));
            signed_power += v->power;
        }
        json_array_append_new(signers, sj);
    }
    json_t *j = json_object();
    json_object_set_new(j, "encoded", nj_hex(enc.data, enc.len));
    json_object_set_new(j, "height", json_integer((json_int_t)c->height));
    json_object_set_new(j, "round", json_integer(c->round));
    json_object_set_new(j, "block", nj_hash(&c->block));
    json_object_set_new(j, "signers", signers);
    if (vs) {
        json_object_set_new(j, "signed_power", json_integer((json_int_t)signed_power));
        json_object_set_new(j, "total_power", json_integer((json_int_t)vs->total_power));
    }
    hbuf_free(&enc);
    return j;
}

json_t *nj_valset(const cons_valset *vs, uint32_t chain_id) {
    wire_valset w = valset_as_wire(vs);
    hansa_hash vh;
    wire_valset_hash(&w, &vh);
    json_t *list = json_array();
    for (uint16_t i = 0; i < vs->n; i++) {
        const wire_validator *v = &vs->v[i];
        json_array_append_new(
            list, json_pack("{s:o, s:o, s:I, s:I}", "pubkey", nj_hex(v->pubkey.b, HANSA_PUBKEY_BYTES),
                            "address", nj_address_of(chain_id, &v->pubkey), "power",
                            (json_int_t)v->power, "proposer_priority", (json_int_t)vs->priority[i]));
    }
    return json_pack("{s:o, s:I, s:o}", "validators_hash", nj_hash(&vh), "total_power",
                     (json_int_t)vs->total_power, "validators", list);
}

/* ---- params ---- */

rpc_outcome nj_bad_param(const char *name, const char *reason) {
    return rpc_fail(RPC_INVALID_PARAMS, json_pack("{s:s, s:s}", "param", name, "reason", reason),
                    "invalid params: \"%s\" %s", name, reason);
}

rpc_outcome nj_pruned(uint64_t height, uint64_t lowest) {
    return rpc_fail(RPC_PRUNED, json_pack("{s:I, s:I}", "height", (json_int_t)height, "lowest",
                                          (json_int_t)lowest),
                    "pruned: lowest kept height is %llu", (unsigned long long)lowest);
}

bool nj_params_only(json_t *params, const char *const *names, rpc_outcome *out) {
    rpc_error err = {0};
    if (rpc_params_only(params, names, &err)) return true;
    *out = rpc_fail_with(&err);
    return false;
}

bool nj_param_address(json_t *params, uint32_t chain_id, hansa_addr *addr, rpc_outcome *out) {
    rpc_error err = {0};
    const char *text = NULL;
    if (!rpc_param_string(params, "address", true, &text, &err)) {
        *out = rpc_fail_with(&err);
        return false;
    }
    const char *why = NULL;
    if (addr_parse(text, &chain_id, NULL, addr, &why) != HANSA_OK) {
        *out = nj_bad_param("address", why);
        return false;
    }
    return true;
}

bool nj_param_chain(json_t *params, uint32_t *chain, rpc_outcome *out) {
    const char *text = NULL, *why = "must be 1 to 8 lowercase hex digits";
    rpc_error err = {0};
    if (!rpc_param_string(params, "chain_id", true, &text, &err)) {
        *out = rpc_fail_with(&err);
        return false;
    }
    if (chain_id_parse(text, chain, &why) != HANSA_OK) {
        *out = nj_bad_param("chain_id", why);
        return false;
    }
    return true;
}

bool nj_param_hash(json_t *params, hansa_hash *h, rpc_outcome *out) {
    rpc_error err = {0};
    if (rpc_param_hex(params, "hash", true, h->b, HANSA_HASH_BYTES, &err)) return true;
    *out = rpc_fail_with(&err);
    return false;
}
