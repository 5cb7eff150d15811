/* receipt.c — see receipt.h: the receipt and claim codecs, the receipt id
 * and share signatures. Decoders use the failing cursor of wire/codec.c and
 * reject every second encoding of a value (unsorted shares, a wrong sum). */
#include "ledger/receipt.h"

#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"

_Static_assert(RECEIPT_CORE_BYTES == 1 + 4 + HANSA_HASH_BYTES + HANSA_PUBKEY_BYTES + 8 +
                                         HANSA_ADDR_BYTES + 8 + 8 + 8,
               "receipt core layout");

void receipt_core_encode(hbuf *b, const receipt_core *c) {
    size_t start = b->len;
    hbuf_put_u8(b, RECEIPT_VERSION);
    hbuf_put_u32(b, c->chain_id);
    hbuf_append(b, c->tx_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, c->sender.b, HANSA_PUBKEY_BYTES);
    hbuf_put_u64(b, c->nonce);
    hbuf_append(b, c->beneficiary.b, HANSA_ADDR_BYTES);
    hbuf_put_u64(b, c->amount);
    hbuf_put_u64(b, c->issued_height);
    hbuf_put_u64(b, c->deadline);
    HANSA_ASSERT(b->len - start == RECEIPT_CORE_BYTES);
}

void receipt_encode(hbuf *b, const receipt *rc) {
    HANSA_ASSERT(rc->n_shares >= 1);
    HANSA_ASSERT(rc->n_shares <= RECEIPT_SHARES_MAX);
    receipt_core_encode(b, &rc->core);
    hbuf_put_u8(b, rc->n_shares);
    for (uint8_t i = 0; i < rc->n_shares; i++) {
        const receipt_share *s = &rc->shares[i];
        HANSA_ASSERT(i == 0 || pubkey_cmp(&rc->shares[i - 1].signer, &s->signer) < 0);
        hbuf_append(b, s->signer.b, HANSA_PUBKEY_BYTES);
        hbuf_put_u64(b, s->amount);
        hbuf_append(b, s->sig.b, HANSA_SIG_BYTES);
    }
}

void receipt_claim_encode(hbuf *b, const receipt_claim *c) {
    receipt_encode(b, &c->rc);
    hbuf_put_u8(b, c->proof);
    if (c->proof == RECEIPT_PROOF_NONE) return;
    HANSA_ASSERT(c->proof == RECEIPT_PROOF_TX);
    HANSA_ASSERT(c->path_len <= RECEIPT_PROOF_PATH_MAX);
    hbuf_put_u64(b, c->height);
    hbuf_put_u32(b, c->index);
    hbuf_put_u32(b, c->count);
    hbuf_put_u8(b, c->path_len);
    for (uint8_t i = 0; i < c->path_len; i++) hbuf_append(b, c->path[i].b, HANSA_HASH_BYTES);
    hbuf_put_u32(b, c->tx_len);
    hbuf_append(b, c->tx, c->tx_len);
}

void receipt_rd_core(wire_rd *r, receipt_core *out) {
    memset(out, 0, sizeof *out);
    if (rd_u8(r, "receipt version") != RECEIPT_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "receipt version");
    out->chain_id = rd_u32(r, "chain_id");
    rd_fixed(r, out->tx_hash.b, HANSA_HASH_BYTES, "tx_hash");
    rd_fixed(r, out->sender.b, HANSA_PUBKEY_BYTES, "sender");
    out->nonce = rd_u64(r, "nonce");
    rd_fixed(r, out->beneficiary.b, HANSA_ADDR_BYTES, "beneficiary");
    out->amount = rd_u64(r, "amount");
    out->issued_height = rd_u64(r, "issued_height");
    out->deadline = rd_u64(r, "deadline");
    if (r->err != HANSA_OK) return;
    if (out->amount == 0) rd_fail(r, HANSA_ERR_INVALID, "amount (0)");
    else if (out->deadline <= out->issued_height)
        rd_fail(r, HANSA_ERR_INVALID, "deadline (not after issued_height)");
    else if (out->deadline - out->issued_height > RECEIPT_DEADLINE_MAX)
        rd_fail(r, HANSA_ERR_INVALID, "deadline (more than RECEIPT_DEADLINE_MAX after issue)");
}

void receipt_rd(wire_rd *r, receipt *out) {
    receipt_rd_core(r, &out->core);
    out->n_shares = rd_u8(r, "n_shares");
    if (r->err != HANSA_OK) return;
    if (out->n_shares == 0 || out->n_shares > RECEIPT_SHARES_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "n_shares (1..8)");
        return;
    }
    uint64_t sum = 0;
    for (uint8_t i = 0; i < out->n_shares && r->err == HANSA_OK; i++) {
        receipt_share *s = &out->shares[i];
        rd_fixed(r, s->signer.b, HANSA_PUBKEY_BYTES, "share signer");
        s->amount = rd_u64(r, "share amount");
        rd_fixed(r, s->sig.b, HANSA_SIG_BYTES, "share sig");
        if (r->err != HANSA_OK) break;
        if (s->amount == 0) rd_fail(r, HANSA_ERR_INVALID, "share amount (0)");
        else if (i > 0 && pubkey_cmp(&out->shares[i - 1].signer, &s->signer) >= 0)
            rd_fail(r, HANSA_ERR_NONCANONICAL, "share signer (not strictly increasing)");
        else if (!u64_add(sum, s->amount, &sum)) rd_fail(r, HANSA_ERR_OVERFLOW, "share amount");
    }
    if (r->err == HANSA_OK && sum != out->core.amount)
        rd_fail(r, HANSA_ERR_INVALID, "shares (do not add up to the amount)");
}

hansa_err receipt_core_decode(const uint8_t *p, size_t len, receipt_core *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    receipt_rd_core(r, out);
    return rd_close(r, out, sizeof *out);
}

hansa_err receipt_decode(const uint8_t *p, size_t len, receipt *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    receipt_rd(r, out);
    return rd_close(r, out, sizeof *out);
}

hansa_err receipt_claim_decode(const uint8_t *p, size_t len, receipt_claim *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    receipt_rd(r, &out->rc);
    out->proof = rd_u8(r, "proof kind");
    if (r->err == HANSA_OK && out->proof == RECEIPT_PROOF_TX) {
        out->height = rd_u64(r, "proof height");
        out->index = rd_u32(r, "proof index");
        out->count = rd_u32(r, "proof count");
        out->path_len = rd_u8(r, "proof path length");
        if (r->err == HANSA_OK && out->path_len > RECEIPT_PROOF_PATH_MAX)
            rd_fail(r, HANSA_ERR_TOO_LONG, "proof path length");
        for (uint8_t i = 0; i < out->path_len && r->err == HANSA_OK; i++)
            rd_fixed(r, out->path[i].b, HANSA_HASH_BYTES, "proof path");
        out->tx_len = rd_len(r, WIRE_TX_BYTES_MAX, "proof tx length");
        out->tx = rd_borrow(r, out->tx_len, "proof tx");
        if (r->err == HANSA_OK && (out->count == 0 || out->count > WIRE_BLOCK_TXS_MAX ||
                                   out->index >= out->count))
            rd_fail(r, HANSA_ERR_INVALID, "proof index/count");
        else if (r->err == HANSA_OK && out->height == 0)
            rd_fail(r, HANSA_ERR_INVALID, "proof height (0)");
    } else if (r->err == HANSA_OK && out->proof != RECEIPT_PROOF_NONE) {
        rd_fail(r, HANSA_ERR_NONCANONICAL, "proof kind (0 or 1)");
    }
    return rd_close(r, out, sizeof *out);
}

void receipt_id(const receipt_core *c, hansa_hash *out) {
    uint8_t buf[RECEIPT_CORE_BYTES];
    hbuf b = HBUF_INIT;
    receipt_core_encode(&b, c);
    memcpy(buf, b.data, sizeof buf);
    hbuf_free(&b);
    sha256(buf, sizeof buf, out);
}

void receipt_share_sign_bytes(hbuf *b, const receipt_core *c, const hansa_pubkey *signer,
                              uint64_t amount) {
    receipt_core_encode(b, c);
    hbuf_append(b, signer->b, HANSA_PUBKEY_BYTES);
    hbuf_put_u64(b, amount);
}

int receipt_verify(const receipt *rc) {
    HANSA_ASSERT(rc->n_shares <= RECEIPT_SHARES_MAX);
    hbuf msg = HBUF_INIT;
    int bad = -1;
    for (uint8_t i = 0; i < rc->n_shares && bad < 0; i++) {
        const receipt_share *s = &rc->shares[i];
        hbuf_reset(&msg);
        receipt_share_sign_bytes(&msg, &rc->core, &s->signer, s->amount);
        if (!verify_domain(&s->signer, RECEIPT_SIGN_DOMAIN, msg.data, msg.len, &s->sig)) bad = i;
    }
    hbuf_free(&msg);
    return bad;
}
