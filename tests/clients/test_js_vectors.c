/* test_js_vectors.c — the transaction bodies the JavaScript client must
 * produce, made by the C encoders themselves (interchain/, credit/, ledger/).
 *
 * Every tx kind the ledger accepts beyond the delegate kinds gets one or
 * more vectors (a light-client update by commit, by commit with a key proof and by FROST checkpoint): the fields as JSON and the body as hex. Each body is first
 * checked against the ledger's own decoder for its kind (ledger_tx_kind_get),
 * so a vector is a body a node would take. The vectors are written as
 * clients/js/test/vectors/bodies.json; this test regenerates them and fails
 * when the committed file differs, so the file cannot drift from the C code
 * (HANSA_REGEN_VECTORS=1 rewrites it). clients/js/test/unit.test.js encodes
 * the fields and decodes the bodies and must meet these bytes exactly.
 *
 * Signatures inside bodies (contract, trading variables, chits, receipt
 * shares) are made with keys from the seeds the file names, so the JS test
 * also re-signs them and must get the same Ed25519 signatures. */
#include <stdarg.h>
#include <stdio.h>

#include "base/assert.h"
#include "base/hex.h"
#include "check.h"
#include "credit/credit.h"
#include "credit/lift.h"
#include "crypto/sha256.h"
#include "interchain/frost_forge.h"
#include "interchain/ic_forge.h"
#include "interchain/packet.h"
#include "ledger/receipt.h"
#include "ledger/tx.h"

#define VECTORS_PATH "clients/js/test/vectors/bodies.json"

static forge F;
static hbuf J = HBUF_INIT; /* the JSON document */
static int n_vectors;
static hansa_keypair K_STOCK, K_FOIL, K_REFEREE, K_SHARE[2];
static const uint8_t SEED_STOCK = 0xa1, SEED_FOIL = 0xb2, SEED_REFEREE = 0xc3, SEED_SHARE = 0xd4;

static void jp(const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    HANSA_ASSERT(n >= 0 && (size_t)n < sizeof tmp);
    hbuf_append(&J, tmp, (size_t)n);
}

/* A quoted hex string. */
static void jhexval(const uint8_t *p, size_t n) {
    jp("\"");
    char *out = (char *)hbuf_extend(&J, 2 * n + 1);
    hex_encode(p, n, out);
    J.len--; /* drop the terminator hex_encode wrote */
    jp("\"");
}

/* "key":"hex" */
static void jhex(const char *key, const uint8_t *p, size_t n) {
    jp("\"%s\":", key);
    jhexval(p, n);
}

static void ju64(const char *key, uint64_t v) { jp("\"%s\":\"%llu\"", key, (unsigned long long)v); }

static void seed_key(hansa_keypair *kp, uint8_t fill) {
    uint8_t seed[HANSA_SEED_BYTES];
    memset(seed, fill, sizeof seed);
    keypair_from_seed(kp, seed);
}

static void id_of(credit_id *id, uint8_t tag) {
    for (int i = 0; i < CREDIT_ID_BYTES; i++) id->b[i] = (uint8_t)(tag + i);
}

/* Opens a vector: the body is checked against the ledger's decoder first. */
static void vec_open(const char *name, uint16_t kind, const hbuf *body) {
    const ledger_tx_kind *k = ledger_tx_kind_get(kind);
    CHECK(k != NULL);
    ledger_tx_body dec;
    char why[200] = "";
    hansa_err err = k ? k->decode(body->data, (uint32_t)body->len, &dec, why, sizeof why) : HANSA_ERR_INVALID;
    if (err != HANSA_OK) fprintf(stderr, "  vector %s: the ledger refuses its body: %s\n", name, why);
    CHECK_ERR(err, HANSA_OK);
    jp("%s\n  {\"name\":\"%s\",\"kind\":%u,", n_vectors++ ? "," : "", name, kind);
    jhex("body", body->data, body->len);
    jp(",\"fields\":{");
}

static void vec_close(void) { jp("}}"); }

/* ---- light clients (10-14) ------------------------------------------------ */

static void header_bytes(const wire_header *h, hbuf *out) { wire_header_encode(out, h); }

static void j_update(const ic_update *u) {
    hbuf b = HBUF_INIT;
    ju64("trustedHeight", u->trusted_height);
    header_bytes(&u->header, &b);
    jp(",");
    jhex("header", b.data, b.len);
    jp(",\"certKind\":%u,", u->cert_kind);
    hbuf_reset(&b);
    wire_commit_encode(&b, &u->commit);
    jhex("commit", b.data, b.len);
    jp(",");
    hbuf_reset(&b);
    wire_valset_encode(&b, &u->vals);
    jhex("vals", b.data, b.len);
    jp(",");
    if (u->has_trusted_vals) {
        hbuf_reset(&b);
        wire_valset_encode(&b, &u->trusted_vals);
        jhex("trustedVals", b.data, b.len);
    } else {
        jp("\"trustedVals\":null");
    }
    hbuf_free(&b);
}

static void test_client_bodies(void) {
    forge_init(&F, 0x7a11, 3);
    forge_build(&F);
    hbuf b = HBUF_INIT;

    ic_create c;
    forge_root(&F, 5, 3600000, &c);
    ic_create_encode(&b, &c);
    vec_open("client_create", TX_CLIENT_CREATE, &b);
    jp("\"chainId\":%u,", c.params.chain_id);
    ju64("trustingPeriodMs", c.params.trusting_period_ms);
    jp(",");
    ju64("maxClockDriftMs", c.params.max_clock_drift_ms);
    jp(",\"root\":{");
    ju64("height", c.root.height);
    jp(",");
    ju64("timeMs", c.root.time_ms);
    jp(",");
    jhex("headerHash", c.root.header_hash.b, 32);
    jp(",");
    jhex("appHash", c.root.app_hash.b, 32);
    jp(",");
    jhex("txRoot", c.root.tx_root.b, 32);
    jp(",");
    jhex("validatorsHash", c.root.validators_hash.b, 32);
    jp(",");
    jhex("nextValidatorsHash", c.root.next_validators_hash.b, 32);
    jp("}");
    vec_close();

    hansa_hash subject;
    ic_create_hash(&c, &subject);
    hbuf_reset(&b);
    ic_approve_encode(&b, c.params.chain_id, &subject);
    vec_open("client_approve", TX_CLIENT_APPROVE, &b);
    jp("\"chainId\":%u,", c.params.chain_id);
    jhex("subject", subject.b, 32);
    vec_close();

    /* A trust root naming the chain's FROST group key, and an update by
     * checkpoint with a handoff (2-of-3 groups, fixed seed: the bytes are
     * the same every run). */
    hansa_prng prng;
    prng_seed(&prng, 14);
    ff_group g1, g2;
    ff_group_make(&g1, &prng, 1);
    ff_group_make(&g2, &prng, 7);
    ic_create ck = c;
    ck.root.key_epoch = 1;
    ck.root.group_key = g1.g.key;
    ck.root.key_time_ms = ck.root.time_ms;
    hbuf_reset(&b);
    ic_create_encode(&b, &ck);
    vec_open("client_create_frost", TX_CLIENT_CREATE, &b);
    jp("\"chainId\":%u,", ck.params.chain_id);
    ju64("trustingPeriodMs", ck.params.trusting_period_ms);
    jp(",");
    ju64("maxClockDriftMs", ck.params.max_clock_drift_ms);
    jp(",\"root\":{");
    ju64("height", ck.root.height);
    jp(",");
    ju64("timeMs", ck.root.time_ms);
    jp(",");
    jhex("headerHash", ck.root.header_hash.b, 32);
    jp(",");
    jhex("appHash", ck.root.app_hash.b, 32);
    jp(",");
    jhex("txRoot", ck.root.tx_root.b, 32);
    jp(",");
    jhex("validatorsHash", ck.root.validators_hash.b, 32);
    jp(",");
    jhex("nextValidatorsHash", ck.root.next_validators_hash.b, 32);
    jp(",\"groupKey\":{");
    ju64("epoch", ck.root.key_epoch);
    jp(",");
    jhex("key", ck.root.group_key.b, 32);
    jp("}}");
    vec_close();
    ic_update fu;
    memset(&fu, 0, sizeof fu);
    fu.trusted_height = 5;
    fu.header = F.hdr[9];
    fu.cert_kind = IC_CERT_FROST;
    ff_checkpoint(&g2, &prng, &F.hdr[9], &fu.ckpt);
    fu.n_handoffs = 1;
    ff_handoff(&g1, &g2, &prng, F.chain_id, &fu.handoffs[0]);
    hbuf_reset(&b);
    ic_update_encode(&b, &fu);
    vec_open("client_update_frost", TX_CLIENT_UPDATE, &b);
    {
        hbuf x = HBUF_INIT;
        ju64("trustedHeight", fu.trusted_height);
        header_bytes(&fu.header, &x);
        jp(",");
        jhex("header", x.data, x.len);
        jp(",\"certKind\":2,");
        hbuf_reset(&x);
        checkpoint_encode(&x, &fu.ckpt);
        jhex("checkpoint", x.data, x.len);
        jp(",\"handoffs\":[");
        hbuf_reset(&x);
        handoff_encode(&x, &fu.handoffs[0]);
        jhexval(x.data, x.len);
        jp("]");
        hbuf_free(&x);
    }
    vec_close();

    ic_update adj, skip;
    forge_update(&F, 5, 6, 0, &adj);    /* adjacent: no trusted set */
    forge_update(&F, 5, 9, 0x7, &skip); /* skipping, three of four signing */
    hbuf_reset(&b);
    ic_update_encode(&b, &adj);
    vec_open("client_update", TX_CLIENT_UPDATE, &b);
    j_update(&adj);
    vec_close();
    hbuf_reset(&b);
    ic_update_encode(&b, &skip);
    vec_open("client_update_skipping", TX_CLIENT_UPDATE, &b);
    j_update(&skip);
    vec_close();
    /* The skipping update with a key proof: the chain's key record of
     * epoch 1 and an audit path (made-up hashes: the decoders check the
     * form, the client whether it leads to the header's app hash). */
    ic_update kpu = skip;
    kpu.has_key_proof = true;
    ic_key_proof *kp = &kpu.key_proof;
    kp->epoch = 1;
    kp->rec = (frost_group_rec){.valset_hash = F.hdr[9].validators_hash, .n = 4, .t = 3, .key = g1.g.key,
                                .keyed_at = 20};
    kp->rec.qual[0] = 0x0f;
    memset(kp->prev_app_hash.b, 0xa1, 32);
    memset(kp->writes_hash.b, 0xb2, 32);
    memset(kp->state_root.b, 0xc3, 32);
    kp->leaf_index = 5;
    kp->n_leaves = 11;
    kp->path_len = 4;
    for (uint8_t i = 0; i < kp->path_len; i++) memset(kp->path[i].b, 0x10 + i, 32);
    hbuf_reset(&b);
    ic_update_encode(&b, &kpu);
    vec_open("client_update_keyproof", TX_CLIENT_UPDATE, &b);
    j_update(&kpu);
    {
        hbuf x = HBUF_INIT;
        frost_group_rec_encode(&x, &kp->rec);
        jp(",\"keyProof\":{");
        ju64("epoch", kp->epoch);
        jp(",");
        jhex("record", x.data, x.len);
        jp(",");
        jhex("prevAppHash", kp->prev_app_hash.b, 32);
        jp(",");
        jhex("writesHash", kp->writes_hash.b, 32);
        jp(",");
        jhex("stateRoot", kp->state_root.b, 32);
        jp(",");
        ju64("leafIndex", kp->leaf_index);
        jp(",");
        ju64("nLeaves", kp->n_leaves);
        jp(",\"path\":[");
        for (uint8_t i = 0; i < kp->path_len; i++) {
            if (i) jp(",");
            jhexval(kp->path[i].b, 32);
        }
        jp("]}");
        hbuf_free(&x);
    }
    vec_close();
    hbuf_reset(&b);
    ic_update_encode(&b, &skip);
    vec_open("client_revive", TX_CLIENT_REVIVE, &b);
    j_update(&skip);
    vec_close();

    /* Two proven headers at height 9: the forged chain's own and one with
     * another app hash signed by the same set (what misbehaviour is). */
    wire_header other = F.hdr[9];
    other.app_hash.b[0] ^= 0xff;
    ic_update fork;
    forge_update_of(&F, 5, &other, 0, 0, &fork);
    hbuf_reset(&b);
    ic_misbehaviour_encode(&b, &skip, &fork);
    vec_open("client_misbehaviour", TX_CLIENT_MISBEHAVIOUR, &b);
    jp("\"a\":{");
    j_update(&skip);
    jp("},\"b\":{");
    j_update(&fork);
    jp("}");
    vec_close();
    ic_update_free(&adj);
    ic_update_free(&skip);
    ic_update_free(&fork);
    hbuf_free(&b);
}

/* ---- packets and correspondents (20-24) ----------------------------------- */

/* A signed tx of kind `kind` and body, encoded into out. */
static void signed_tx(uint16_t kind, const hbuf *body, hbuf *out) {
    wire_tx tx = {.chain_id = 0xe2e4, .sender = K_STOCK.pub, .nonce = 4, .fee = 1, .kind = kind,
                  .body = body->data, .body_len = (uint32_t)body->len};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&K_STOCK, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    wire_tx_encode(out, &tx);
    hbuf_free(&sb);
}

static void j_proof(uint64_t height, uint32_t index, uint32_t count, uint8_t path_len, const hansa_hash *path,
                    const uint8_t *tx, uint32_t tx_len) {
    ju64("height", height);
    jp(",\"index\":%u,\"count\":%u,\"path\":[", index, count);
    for (uint8_t i = 0; i < path_len; i++) {
        if (i) jp(",");
        jhexval(path[i].b, 32);
    }
    jp("],");
    jhex("tx", tx, tx_len);
}

static void test_packet_bodies(void) {
    hbuf b = HBUF_INIT, payload = HBUF_INIT, send = HBUF_INIT, stx = HBUF_INIT;
    pkt_transfer t = {.amount = 2500, .denom = {.n = 2, .chain = {0xe2e4, 0x7a11}}};
    memset(t.to.b, 0x5c, sizeof t.to.b);
    pkt_transfer_encode(&payload, &t);
    pkt_send s = {.dest_chain = 0x7a11, .timeout_ms = 1700000060000ull, .type = PKT_TYPE_TRANSFER,
                  .payload_len = (uint16_t)payload.len, .payload = payload.data};
    pkt_send_encode(&send, &s);
    vec_open("packet_send", TX_PACKET_SEND, &send);
    jp("\"destChain\":%u,", s.dest_chain);
    ju64("timeoutMs", s.timeout_ms);
    jp(",\"type\":%u,", s.type);
    jhex("payload", payload.data, payload.len);
    jp(",\"transfer\":{");
    jhex("to", t.to.b, 20);
    jp(",");
    ju64("amount", t.amount);
    jp(",\"denom\":[%u,%u]}", t.denom.chain[0], t.denom.chain[1]);
    vec_close();

    signed_tx(TX_PACKET_SEND, &send, &stx);
    hansa_hash path[3];
    for (int i = 0; i < 3; i++) memset(path[i].b, 0x30 + i, 32);
    pkt_recv v = {.src_chain = 0xe2e4, .outcome = PKT_REFUSED_LIMIT,
                  .proof = {.height = 17, .index = 5, .count = 7, .path_len = 3, .tx_len = (uint32_t)stx.len,
                            .tx = stx.data}};
    memcpy(v.proof.path, path, sizeof path);
    pkt_recv_encode(&b, &v);
    vec_open("packet_recv", TX_PACKET_RECV, &b);
    jp("\"srcChain\":%u,\"proof\":{", v.src_chain);
    j_proof(17, 5, 7, 3, path, stx.data, (uint32_t)stx.len);
    jp("},\"outcome\":%u", v.outcome);
    vec_close();

    pkt_ack a = {.dest_chain = 0x7a11, .proof = {.height = 3, .index = 0, .count = 1, .path_len = 0,
                                                   .tx_len = (uint32_t)stx.len, .tx = stx.data}};
    hbuf_reset(&b);
    pkt_ack_encode(&b, &a);
    vec_open("packet_ack", TX_PACKET_ACK, &b);
    jp("\"destChain\":%u,\"proof\":{", a.dest_chain);
    j_proof(3, 0, 1, 0, NULL, stx.data, (uint32_t)stx.len);
    jp("}");
    vec_close();

    /* Collateral bodies have no encoder of their own: chain u32 | amount u64. */
    const struct { const char *name; uint16_t kind; } corr[] = {{"corr_bond", TX_CORR_BOND},
                                                                {"corr_unbond", TX_CORR_UNBOND}};
    for (int i = 0; i < 2; i++) {
        hbuf_reset(&b);
        hbuf_put_u32(&b, 0x7a11);
        hbuf_put_u64(&b, 1000000 + (uint64_t)i);
        vec_open(corr[i].name, corr[i].kind, &b);
        jp("\"chain\":%u,", 0x7a11);
        ju64("amount", 1000000 + (uint64_t)i);
        vec_close();
    }
    hbuf_free(&b);
    hbuf_free(&payload);
    hbuf_free(&send);
    hbuf_free(&stx);
}

/* ---- credit (30-40) --------------------------------------------------------- */

static void j_party(const char *key, const credit_party *p) {
    jp("\"%s\":{\"chain\":%u,", key, p->chain_id);
    jhex("key", p->key.b, 32);
    jp("}");
}

static void j_contract(const credit_contract *c) {
    jp("\"contract\":{");
    jhex("tallyId", c->tally_id.b, CREDIT_ID_BYTES);
    jp(",");
    j_party("stock", &c->stock);
    jp(",");
    j_party("foil", &c->foil);
    jp(",\"stockGrants\":{");
    ju64("limit", c->stock_grants.limit);
    jp(",\"callDays\":%u},\"foilGrants\":{", c->stock_grants.call_days);
    ju64("limit", c->foil_grants.limit);
    jp(",\"callDays\":%u},\"revision\":%u}", c->foil_grants.call_days, c->revision);
}

static void j_chit(const credit_chit *c) {
    jhex("tallyId", c->tally_id.b, CREDIT_ID_BYTES);
    jp(",");
    jhex("chitId", c->chit_id.b, CREDIT_ID_BYTES);
    jp(",\"by\":%u,\"chitKind\":%u,", c->by, c->kind);
    ju64("amount", c->amount);
    jp(",");
    jhex("invoiceId", c->invoice_id.b, CREDIT_ID_BYTES);
    jp(",\"memo\":\"%.*s\",", (int)c->memo_len, (const char *)c->memo);
    jhex("sig", c->sig.b, HANSA_SIG_BYTES);
}

static void test_credit_bodies(void) {
    hbuf b = HBUF_INIT;
    credit_contract c = {.stock = {0xe2e4, K_STOCK.pub}, .foil = {0xe2e4, K_FOIL.pub},
                         .stock_grants = {5000000, 30}, .foil_grants = {2000000, 0}, .revision = 1};
    id_of(&c.tally_id, 0x10);
    hansa_sig sig;
    credit_contract_sign(&c, &K_STOCK, &sig);
    credit_contract_encode(&b, &c);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    vec_open("tally_offer", TX_TALLY_OFFER, &b);
    j_contract(&c);
    jp(",");
    jhex("sig", sig.b, HANSA_SIG_BYTES);
    jp(",\"signer\":\"stock\"");
    vec_close();

    credit_contract counter = c;
    counter.revision = 2;
    counter.foil_grants.limit = 3000000;
    credit_contract_sign(&counter, &K_FOIL, &sig);
    hbuf_reset(&b);
    credit_contract_encode(&b, &counter);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    vec_open("tally_counter", TX_TALLY_COUNTER, &b);
    j_contract(&counter);
    jp(",");
    jhex("sig", sig.b, HANSA_SIG_BYTES);
    jp(",\"signer\":\"foil\"");
    vec_close();

    /* accept: the accepting party's signature over the contract it accepts */
    credit_contract_sign(&c, &K_FOIL, &sig);
    hbuf_reset(&b);
    hbuf_append(&b, c.tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u32(&b, c.revision);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    vec_open("tally_accept", TX_TALLY_ACCEPT, &b);
    jhex("tallyId", c.tally_id.b, CREDIT_ID_BYTES);
    jp(",\"revision\":%u,", c.revision);
    jhex("sig", sig.b, HANSA_SIG_BYTES);
    jp(",\"signer\":\"foil\"");
    vec_close();

    hbuf_reset(&b);
    hbuf_append(&b, c.tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u32(&b, 2);
    vec_open("tally_refuse", TX_TALLY_REFUSE, &b);
    jhex("tallyId", c.tally_id.b, CREDIT_ID_BYTES);
    jp(",\"revision\":2");
    vec_close();

    hbuf_reset(&b);
    hbuf_append(&b, c.tally_id.b, CREDIT_ID_BYTES);
    vec_open("tally_close", TX_TALLY_CLOSE, &b);
    jhex("id", c.tally_id.b, CREDIT_ID_BYTES);
    vec_close();

    credit_trade_signed tv = {.tally_id = c.tally_id, .side = CREDIT_FOIL, .seq = 3,
                              .tv = {.target = 1000, .bound = 400000, .reward_ppm = -20000, .clutch_ppm = 50000}};
    credit_trade_sign(&tv, &K_FOIL);
    hbuf_reset(&b);
    credit_trade_signed_encode(&b, &tv);
    vec_open("tally_trade", TX_TALLY_TRADE, &b);
    jhex("tallyId", tv.tally_id.b, CREDIT_ID_BYTES);
    jp(",\"side\":%u,\"seq\":%u,", tv.side, tv.seq);
    ju64("target", tv.tv.target);
    jp(",");
    ju64("bound", tv.tv.bound);
    jp(",\"rewardPpm\":%d,\"clutchPpm\":%d,", tv.tv.reward_ppm, tv.tv.clutch_ppm);
    jhex("sig", tv.sig.b, HANSA_SIG_BYTES);
    jp(",\"signer\":\"foil\"");
    vec_close();

    credit_chit ch = {.tally_id = c.tally_id, .by = CREDIT_FOIL, .kind = CREDIT_CHIT_DIRECT, .amount = 1250};
    id_of(&ch.chit_id, 0x40);
    const char memo[] = "lunch, 3 Dec";
    ch.memo_len = sizeof memo - 1;
    memcpy(ch.memo, memo, ch.memo_len);
    credit_chit_sign(&ch, &K_FOIL);
    hbuf_reset(&b);
    credit_chit_encode(&b, &ch);
    vec_open("chit", TX_CHIT, &b);
    j_chit(&ch);
    jp(",\"signer\":\"foil\"");
    vec_close();

    credit_invoice inv = {.tally_id = c.tally_id, .payee = CREDIT_STOCK, .amount = 900, .n_items = 2, .n_hints = 1};
    id_of(&inv.invoice_id, 0x60);
    inv.items[0] = (credit_item){.len = 6, .text = "apples", .amount = 400};
    inv.items[1] = (credit_item){.len = 5, .text = "pears", .amount = 500};
    inv.hints[0] = (credit_hint){.len = 9, .text = "order 117"};
    hbuf_reset(&b);
    credit_invoice_encode(&b, &inv);
    vec_open("invoice_create", TX_INVOICE_CREATE, &b);
    jhex("invoiceId", inv.invoice_id.b, CREDIT_ID_BYTES);
    jp(",");
    jhex("tallyId", inv.tally_id.b, CREDIT_ID_BYTES);
    jp(",\"payee\":%u,", inv.payee);
    ju64("amount", inv.amount);
    jp(",\"items\":[{\"text\":\"apples\",\"amount\":\"400\"},{\"text\":\"pears\",\"amount\":\"500\"}],"
       "\"hints\":[\"order 117\"]");
    vec_close();

    credit_chit pay = {.tally_id = c.tally_id, .by = CREDIT_FOIL, .kind = CREDIT_CHIT_INVOICE, .amount = 900,
                       .invoice_id = inv.invoice_id};
    id_of(&pay.chit_id, 0x50);
    credit_chit_sign(&pay, &K_FOIL);
    hbuf_reset(&b);
    credit_chit_encode(&b, &pay);
    vec_open("invoice_pay", TX_INVOICE_PAY, &b);
    j_chit(&pay);
    jp(",\"signer\":\"foil\"");
    vec_close();

    hbuf_reset(&b);
    hbuf_append(&b, inv.invoice_id.b, CREDIT_ID_BYTES);
    vec_open("invoice_refuse", TX_INVOICE_REFUSE, &b);
    jhex("id", inv.invoice_id.b, CREDIT_ID_BYTES);
    vec_close();

    /* A circular lift over two tallies: stock -> foil -> stock. */
    credit_lift l = {.kind = CREDIT_LIFT_CIRCULAR, .amount = 300, .expiry_ms = 1700000090000ull,
                     .referee_chain = 0xe2e4, .referee_key = K_REFEREE.pub, .n_hops = 2};
    id_of(&l.lift_id, 0x70);
    id_of(&l.tallies[0], 0x10);
    id_of(&l.tallies[1], 0x20);
    l.parties[0] = c.stock;
    l.parties[1] = c.foil;
    l.parties[2] = c.stock;
    hbuf_reset(&b);
    credit_lift_encode(&b, &l);
    vec_open("lift", TX_LIFT, &b);
    jhex("liftId", l.lift_id.b, CREDIT_ID_BYTES);
    jp(",\"liftKind\":%u,", l.kind);
    ju64("amount", l.amount);
    jp(",");
    ju64("expiryMs", l.expiry_ms);
    jp(",\"refereeChain\":%u,", l.referee_chain);
    jhex("refereeKey", l.referee_key.b, 32);
    jp(",\"tallies\":[");
    for (int i = 0; i < l.n_hops; i++) {
        if (i) jp(",");
        jhexval(l.tallies[i].b, CREDIT_ID_BYTES);
    }
    jp("],\"parties\":[");
    for (int i = 0; i <= l.n_hops; i++) {
        jp("%s{\"chain\":%u,", i ? "," : "", l.parties[i].chain_id);
        jhex("key", l.parties[i].key.b, 32);
        jp("}");
    }
    jp("]},");
    hansa_hash lh;
    credit_lift_hash(&l, &lh);
    jhex("liftHash", lh.b, 32);
    jp("}");
    hbuf_free(&b);
}

/* ---- receipts (50-52) ------------------------------------------------------- */

static void j_receipt(const receipt *rc) {
    const receipt_core *c = &rc->core;
    jp("\"receipt\":{\"core\":{\"chainId\":%u,", c->chain_id);
    jhex("txHash", c->tx_hash.b, 32);
    jp(",");
    jhex("sender", c->sender.b, 32);
    jp(",");
    ju64("nonce", c->nonce);
    jp(",");
    jhex("beneficiary", c->beneficiary.b, 20);
    jp(",");
    ju64("amount", c->amount);
    jp(",");
    ju64("issuedHeight", c->issued_height);
    jp(",");
    ju64("deadline", c->deadline);
    jp("},\"shares\":[");
    for (int i = 0; i < rc->n_shares; i++) {
        jp("%s{", i ? "," : "");
        jhex("signer", rc->shares[i].signer.b, 32);
        jp(",");
        ju64("amount", rc->shares[i].amount);
        jp(",");
        jhex("sig", rc->shares[i].sig.b, HANSA_SIG_BYTES);
        jp("}");
    }
    jp("]}");
}

static void test_receipt_bodies(void) {
    hbuf b = HBUF_INIT, stx = HBUF_INIT, body = HBUF_INIT;
    const char *names[] = {"receipt_bond", "receipt_unbond"};
    for (int i = 0; i < 2; i++) {
        hbuf_reset(&b);
        hbuf_put_u64(&b, 700000 + (uint64_t)i);
        vec_open(names[i], (uint16_t)(TX_RECEIPT_BOND + i), &b);
        ju64("amount", 700000 + (uint64_t)i);
        vec_close();
    }

    /* A receipt of two shares (signers in increasing key order) for a transfer. */
    hbuf_put_u8(&body, 0); /* any body: the receipt names the tx by hash */
    signed_tx(TX_TRANSFER, &body, &stx);
    receipt rc = {.core = {.chain_id = 0xe2e4, .sender = K_STOCK.pub, .nonce = 4, .amount = 5000,
                           .issued_height = 40, .deadline = 60},
                  .n_shares = 2};
    sha256(stx.data, stx.len, &rc.core.tx_hash);
    memset(rc.core.beneficiary.b, 0x77, 20);
    const hansa_keypair *lo = &K_SHARE[0], *hi = &K_SHARE[1];
    if (pubkey_cmp(&lo->pub, &hi->pub) > 0) {
        lo = &K_SHARE[1];
        hi = &K_SHARE[0];
    }
    const hansa_keypair *signers[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        receipt_share *s = &rc.shares[i];
        s->signer = signers[i]->pub;
        s->amount = i ? 2000 : 3000;
        hbuf msg = HBUF_INIT;
        receipt_share_sign_bytes(&msg, &rc.core, &s->signer, s->amount);
        sign_domain(signers[i], RECEIPT_SIGN_DOMAIN, msg.data, msg.len, &s->sig);
        hbuf_free(&msg);
    }
    CHECK(receipt_verify(&rc) < 0);

    receipt_claim none = {.rc = rc, .proof = RECEIPT_PROOF_NONE};
    hbuf_reset(&b);
    receipt_claim_encode(&b, &none);
    vec_open("receipt_claim", TX_RECEIPT_CLAIM, &b);
    j_receipt(&rc);
    jp(",\"proof\":null");
    vec_close();

    hansa_hash path[2];
    memset(path[0].b, 0x41, 32);
    memset(path[1].b, 0x42, 32);
    receipt_claim with = {.rc = rc, .proof = RECEIPT_PROOF_TX, .height = 45, .index = 2, .count = 3,
                          .path_len = 2, .tx = stx.data, .tx_len = (uint32_t)stx.len};
    memcpy(with.path, path, sizeof path);
    hbuf_reset(&b);
    receipt_claim_encode(&b, &with);
    vec_open("receipt_claim_with_tx", TX_RECEIPT_CLAIM, &b);
    j_receipt(&rc);
    jp(",\"proof\":{");
    j_proof(45, 2, 3, 2, path, stx.data, (uint32_t)stx.len);
    jp("}");
    vec_close();
    hbuf_free(&b);
    hbuf_free(&stx);
    hbuf_free(&body);
}

/* Writes the document (HANSA_REGEN_VECTORS=1) or compares it with the file. */
static void test_file_matches(void) {
    const char *regen = getenv("HANSA_REGEN_VECTORS");
    if (regen && strcmp(regen, "1") == 0) {
        FILE *f = fopen(VECTORS_PATH, "wb");
        CHECK(f != NULL);
        if (!f) return;
        CHECK(fwrite(J.data, 1, J.len, f) == J.len);
        CHECK(fclose(f) == 0);
        fprintf(stderr, "  wrote %s (%d vectors)\n", VECTORS_PATH, n_vectors);
        return;
    }
    FILE *f = fopen(VECTORS_PATH, "rb");
    CHECK(f != NULL);
    if (!f) return;
    hbuf have = HBUF_INIT;
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) hbuf_append(&have, chunk, n);
    fclose(f);
    bool same = have.len == J.len && memcmp(have.data, J.data, J.len) == 0;
    if (!same)
        fprintf(stderr, "  %s differs from what the C encoders make now: rerun with "
                        "HANSA_REGEN_VECTORS=1 and check the JS codecs against the new bytes\n",
                VECTORS_PATH);
    CHECK(same);
    hbuf_free(&have);
}

int main(void) {
    seed_key(&K_STOCK, SEED_STOCK);
    seed_key(&K_FOIL, SEED_FOIL);
    seed_key(&K_REFEREE, SEED_REFEREE);
    seed_key(&K_SHARE[0], SEED_SHARE);
    seed_key(&K_SHARE[1], SEED_SHARE + 1);
    jp("{\"about\":\"tx bodies made by the C encoders (tests/clients/test_js_vectors.c); do not edit\",\n"
       " \"seeds\":{\"stock\":\"%02x\",\"foil\":\"%02x\",\"referee\":\"%02x\",\"share\":\"%02x\"},\n"
       " \"vectors\":[",
       SEED_STOCK, SEED_FOIL, SEED_REFEREE, SEED_SHARE);
    RUN(test_client_bodies);
    RUN(test_packet_bodies);
    RUN(test_credit_bodies);
    RUN(test_receipt_bodies);
    jp("\n]}\n");
    RUN(test_file_matches);
    hbuf_free(&J);
    return check_summary();
}
