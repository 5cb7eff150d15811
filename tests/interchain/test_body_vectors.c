/* test_body_vectors.c — the transaction bodies of clients/js/test/
 * body_vectors.json, which the JS client's codecs are tested against, made
 * and read by the C code: each valid vector's fields encode to its bytes
 * with the C encoders (interchain/packet.h, the fixed layouts of kinds 23,
 * 24, 50, 51) and the ledger's decoder for its kind accepts them; each
 * invalid one is refused by that decoder. So the JS vectors cannot drift
 * from what a node accepts. */
#include <jansson.h>

#include "base/buf.h"
#include "base/hex.h"
#include "check.h"
#include "interchain/packet.h"
#include "ledger/tx.h"

#define VECTORS "clients/js/test/body_vectors.json"

static uint64_t u64_of(const json_t *j) { return strtoull(json_string_value(j), NULL, 10); }

static void encode_send(const json_t *f, hbuf *out) {
    const json_t *t = json_object_get(f, "transfer");
    pkt_transfer tr = {.amount = u64_of(json_object_get(t, "amount"))};
    size_t n = 0;
    const char *to = json_string_value(json_object_get(t, "to"));
    CHECK(hex_decode(to, strlen(to), tr.to.b, HANSA_ADDR_BYTES, &n, NULL) == HANSA_OK && n == HANSA_ADDR_BYTES);
    const json_t *d = json_object_get(t, "denom");
    tr.denom.n = (uint8_t)json_array_size(d);
    for (size_t i = 0; i < json_array_size(d) && i < PKT_TRACE_MAX; i++)
        tr.denom.chain[i] = (uint32_t)json_integer_value(json_array_get(d, i));
    hbuf pay = HBUF_INIT;
    pkt_transfer_encode(&pay, &tr);
    pkt_send s = {(uint32_t)json_integer_value(json_object_get(f, "destChain")),
                  u64_of(json_object_get(f, "timeoutMs")), (uint8_t)json_integer_value(json_object_get(f, "type")),
                  (uint16_t)pay.len, pay.data};
    pkt_send_encode(out, &s);
    hbuf_free(&pay);
}

/* The C encoding of a valid vector's fields. */
static void encode(uint16_t kind, const json_t *f, hbuf *out) {
    switch (kind) {
    case TX_PACKET_SEND: encode_send(f, out); return;
    case TX_CORR_BOND:
    case TX_CORR_UNBOND: hbuf_put_u32(out, (uint32_t)json_integer_value(json_object_get(f, "chain"))); break;
    default: break;
    }
    hbuf_put_u64(out, u64_of(json_object_get(f, "amount")));
}

static void test_vectors(void) {
    json_error_t err;
    json_t *doc = json_load_file(VECTORS, 0, &err);
    CHECK(doc != NULL);
    if (!doc) return;
    const json_t *vs = json_object_get(doc, "vectors");
    CHECK(json_array_size(vs) >= 10);
    for (size_t i = 0; i < json_array_size(vs); i++) {
        const json_t *v = json_array_get(vs, i);
        uint16_t kind = (uint16_t)json_integer_value(json_object_get(v, "kind"));
        const char *hex = json_string_value(json_object_get(v, "hex"));
        uint8_t body[2048];
        size_t len = 0;
        CHECK(hex_decode(hex, strlen(hex), body, sizeof body, &len, NULL) == HANSA_OK);
        const ledger_tx_kind *k = ledger_tx_kind_get(kind);
        CHECK(k != NULL);
        if (!k) continue;
        ledger_tx_body parsed;
        char why[256] = "";
        hansa_err e = k->decode(body, (uint32_t)len, &parsed, why, sizeof why);
        bool valid = json_is_true(json_object_get(v, "valid"));
        if ((e == HANSA_OK) != valid)
            fprintf(stderr, "  vector \"%s\": the ledger says %s (%s)\n", json_string_value(json_object_get(v, "name")),
                    hansa_strerror(e), why);
        CHECK((e == HANSA_OK) == valid);
        if (!valid) continue;
        hbuf b = HBUF_INIT;
        encode(kind, json_object_get(v, "fields"), &b);
        CHECK(b.len == len && memcmp(b.data, body, len) == 0);
        hbuf_free(&b);
    }
    json_decref(doc);
}

int main(void) {
    RUN(test_vectors);
    return check_summary();
}
