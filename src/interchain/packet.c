/* packet.c — see packet.h: the packet codecs and the tx-root proof check. */
#include "interchain/packet.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/address.h"
#include "crypto/merkle.h"
#include "wire/types.h"

const char *pkt_outcome_name(uint8_t outcome) {
    switch ((pkt_outcome)outcome) {
    case PKT_OK: return "credited";
    case PKT_REFUSED_TIMEOUT: return "timed out";
    case PKT_REFUSED_TRACE: return "denomination trace too long";
    case PKT_REFUSED_LIMIT: return "over the correspondent limit";
    case PKT_REFUSED_ESCROW: return "escrow short";
    case PKT_REFUSED_TYPE: return "unknown packet type";
    case PKT_REFUSED_TALLY: return "refused by the tally's rules";
    }
    return "unknown outcome";
}

bool pkt_denom_eq(const pkt_denom *a, const pkt_denom *b) {
    if (a->n != b->n) return false;
    for (uint8_t i = 0; i < a->n; i++)
        if (a->chain[i] != b->chain[i]) return false;
    return true;
}

void pkt_denom_format(const pkt_denom *d, char *out, size_t out_len) {
    HANSA_ASSERT(out_len > 0);
    if (d->n == 0) {
        snprintf(out, out_len, "native");
        return;
    }
    size_t off = 0;
    out[0] = 0;
    for (uint8_t i = 0; i < d->n && off < out_len; i++) {
        char id[CHAIN_ID_TEXT_MAX];
        chain_id_format(d->chain[i], id);
        off += (size_t)snprintf(out + off, out_len - off, "%s%s", i ? "/" : "", id);
    }
}

hansa_err pkt_denom_parse(const char *text, pkt_denom *out, const char **why) {
    memset(out, 0, sizeof *out);
    if (text[0] == 0 || strcmp(text, "native") == 0) return HANSA_OK;
    const char *p = text;
    while (*p) {
        if (out->n == PKT_TRACE_MAX) {
            if (why) *why = "more than 4 chains in the denomination";
            return HANSA_ERR_TOO_LONG;
        }
        char part[CHAIN_ID_TEXT_MAX + 1];
        size_t k = strcspn(p, "/");
        if (k == 0 || k >= sizeof part) {
            if (why) *why = "a denomination is chain ids joined by '/' (origin first)";
            return HANSA_ERR_INVALID;
        }
        memcpy(part, p, k);
        part[k] = 0;
        hansa_err err = chain_id_parse(part, &out->chain[out->n], why);
        if (err != HANSA_OK) return err;
        out->n++;
        p += k;
        if (*p == '/' && *++p == 0) {
            if (why) *why = "the denomination ends with '/'";
            return HANSA_ERR_INVALID;
        }
    }
    return HANSA_OK;
}

/* ---- encoders ------------------------------------------------------------- */

void pkt_denom_encode(hbuf *b, const pkt_denom *d) {
    HANSA_ASSERT(d->n <= PKT_TRACE_MAX);
    hbuf_put_u8(b, d->n);
    for (uint8_t i = 0; i < d->n; i++) hbuf_put_u32(b, d->chain[i]);
}

void pkt_send_encode(hbuf *b, const pkt_send *s) {
    HANSA_ASSERT(s->payload_len <= PKT_PAYLOAD_MAX);
    hbuf_put_u32(b, s->dest_chain);
    hbuf_put_u64(b, s->timeout_ms);
    hbuf_put_u8(b, s->type);
    hbuf_put_u16(b, s->payload_len);
    hbuf_append(b, s->payload, s->payload_len);
}

void pkt_transfer_encode(hbuf *b, const pkt_transfer *t) {
    hbuf_append(b, t->to.b, HANSA_ADDR_BYTES);
    hbuf_put_u64(b, t->amount);
    pkt_denom_encode(b, &t->denom);
}

void pkt_proof_encode(hbuf *b, const pkt_proof *p) {
    HANSA_ASSERT(p->path_len <= PKT_PATH_MAX);
    hbuf_put_u64(b, p->height);
    hbuf_put_u32(b, p->index);
    hbuf_put_u32(b, p->count);
    hbuf_put_u8(b, p->path_len);
    for (uint8_t i = 0; i < p->path_len; i++) hbuf_append(b, p->path[i].b, HANSA_HASH_BYTES);
    hbuf_put_u32(b, p->tx_len);
    hbuf_append(b, p->tx, p->tx_len);
}

void pkt_recv_encode(hbuf *b, const pkt_recv *v) {
    hbuf_put_u32(b, v->src_chain);
    pkt_proof_encode(b, &v->proof);
    hbuf_put_u8(b, v->outcome);
}

void pkt_ack_encode(hbuf *b, const pkt_ack *a) {
    hbuf_put_u32(b, a->dest_chain);
    pkt_proof_encode(b, &a->proof);
}

/* ---- decoders ------------------------------------------------------------- */

void pkt_rd_denom(wire_rd *r, pkt_denom *out) {
    memset(out, 0, sizeof *out);
    uint8_t n = rd_u8(r, "denom length");
    if (r->err == HANSA_OK && n > PKT_TRACE_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "denom length");
        return;
    }
    out->n = n;
    for (uint8_t i = 0; i < n; i++) out->chain[i] = rd_u32(r, "denom chain");
}

static void rd_proof(wire_rd *r, pkt_proof *out) {
    out->height = rd_u64(r, "proof height");
    out->index = rd_u32(r, "proof index");
    out->count = rd_u32(r, "proof count");
    out->path_len = rd_u8(r, "proof path length");
    if (r->err == HANSA_OK && out->path_len > PKT_PATH_MAX)
        rd_fail(r, HANSA_ERR_TOO_LONG, "proof path length");
    for (uint8_t i = 0; i < out->path_len && r->err == HANSA_OK; i++)
        rd_fixed(r, out->path[i].b, HANSA_HASH_BYTES, "proof path");
    out->tx_len = rd_len(r, WIRE_TX_BYTES_MAX, "proof tx length");
    out->tx = rd_borrow(r, out->tx_len, "proof tx");
    if (r->err != HANSA_OK) return;
    if (out->height == 0) rd_fail(r, HANSA_ERR_INVALID, "proof height (0)");
    else if (out->count == 0 || out->count > WIRE_BLOCK_TXS_MAX || out->index >= out->count)
        rd_fail(r, HANSA_ERR_INVALID, "proof index/count");
}

hansa_err pkt_denom_decode(const uint8_t *p, size_t len, pkt_denom *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    pkt_rd_denom(r, out);
    return rd_close(r, out, sizeof *out);
}

hansa_err pkt_send_decode(const uint8_t *p, size_t len, pkt_send *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    out->dest_chain = rd_u32(r, "dest chain");
    out->timeout_ms = rd_u64(r, "timeout");
    out->type = rd_u8(r, "packet type");
    out->payload_len = rd_u16(r, "payload length");
    if (r->err == HANSA_OK && out->payload_len > PKT_PAYLOAD_MAX)
        rd_fail(r, HANSA_ERR_TOO_LONG, "payload length");
    out->payload = rd_borrow(r, r->err == HANSA_OK ? out->payload_len : 0, "payload");
    if (r->err == HANSA_OK && out->type == 0) rd_fail(r, HANSA_ERR_INVALID, "packet type (0)");
    return rd_close(r, out, sizeof *out);
}

hansa_err pkt_transfer_decode(const uint8_t *p, size_t len, pkt_transfer *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    rd_fixed(r, out->to.b, HANSA_ADDR_BYTES, "to");
    out->amount = rd_u64(r, "amount");
    pkt_denom tmp;
    pkt_rd_denom(r, &tmp);
    out->denom = tmp;
    if (r->err == HANSA_OK && out->amount == 0) rd_fail(r, HANSA_ERR_INVALID, "amount (0)");
    return rd_close(r, out, sizeof *out);
}

hansa_err pkt_recv_decode(const uint8_t *p, size_t len, pkt_recv *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    out->src_chain = rd_u32(r, "source chain");
    rd_proof(r, &out->proof);
    out->outcome = rd_u8(r, "outcome");
    if (r->err == HANSA_OK && out->outcome > PKT_OUTCOME_MAX_)
        rd_fail(r, HANSA_ERR_INVALID, "outcome");
    return rd_close(r, out, sizeof *out);
}

hansa_err pkt_ack_decode(const uint8_t *p, size_t len, pkt_ack *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    out->dest_chain = rd_u32(r, "dest chain");
    rd_proof(r, &out->proof);
    return rd_close(r, out, sizeof *out);
}

hansa_err pkt_proof_decode(const uint8_t *p, size_t len, pkt_proof *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    rd_proof(r, out);
    return rd_close(r, out, sizeof *out);
}

bool pkt_proof_verify(const pkt_proof *proof, const hansa_hash *root) {
    hansa_hash leaf;
    merkle_leaf_hash(proof->tx, proof->tx_len, &leaf);
    return merkle_verify(&leaf, proof->index, proof->count, proof->path, proof->path_len, root);
}
