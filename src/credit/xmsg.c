/* xmsg.c — see xmsg.h: the cross-chain tally message codec. */
#include "credit/xmsg.h"

#include <string.h>

#include "base/assert.h"

const char *credit_xmsg_kind_name(uint8_t kind) {
    switch ((credit_xmsg_kind)kind) {
    case CREDIT_XMSG_OFFER: return "offer";
    case CREDIT_XMSG_COUNTER: return "counter";
    case CREDIT_XMSG_ACCEPT: return "accept";
    case CREDIT_XMSG_REFUSE: return "refuse";
    case CREDIT_XMSG_CLOSE: return "close";
    case CREDIT_XMSG_TRADE: return "trade";
    case CREDIT_XMSG_INVOICE: return "invoice";
    case CREDIT_XMSG_INV_REFUSE: return "invoice refuse";
    case CREDIT_XMSG_CHAIN: return "chain";
    }
    return "?";
}

const credit_id *credit_xmsg_tally(const credit_xmsg *m) {
    switch ((credit_xmsg_kind)m->kind) {
    case CREDIT_XMSG_OFFER:
    case CREDIT_XMSG_COUNTER: return &m->contract.tally_id;
    case CREDIT_XMSG_ACCEPT:
    case CREDIT_XMSG_REFUSE:
    case CREDIT_XMSG_CLOSE:
    case CREDIT_XMSG_INV_REFUSE: return &m->id;
    case CREDIT_XMSG_TRADE: return &m->trade.tally_id;
    case CREDIT_XMSG_INVOICE: return &m->invoice.tally_id;
    case CREDIT_XMSG_CHAIN: return &m->msg.tally_id;
    }
    HANSA_UNREACHABLE();
}

void credit_xmsg_encode(hbuf *b, const credit_xmsg *m) {
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_put_u8(b, m->kind);
    hbuf_put_u8(b, m->from);
    switch ((credit_xmsg_kind)m->kind) {
    case CREDIT_XMSG_OFFER:
    case CREDIT_XMSG_COUNTER:
        credit_contract_encode(b, &m->contract);
        hbuf_append(b, m->sig.b, HANSA_SIG_BYTES);
        return;
    case CREDIT_XMSG_ACCEPT:
        hbuf_append(b, m->id.b, CREDIT_ID_BYTES);
        hbuf_put_u32(b, m->revision);
        hbuf_append(b, m->sig.b, HANSA_SIG_BYTES);
        return;
    case CREDIT_XMSG_REFUSE:
        hbuf_append(b, m->id.b, CREDIT_ID_BYTES);
        hbuf_put_u32(b, m->revision);
        return;
    case CREDIT_XMSG_CLOSE: hbuf_append(b, m->id.b, CREDIT_ID_BYTES); return;
    case CREDIT_XMSG_TRADE: credit_trade_signed_encode(b, &m->trade); return;
    case CREDIT_XMSG_INVOICE: credit_invoice_encode(b, &m->invoice); return;
    case CREDIT_XMSG_INV_REFUSE:
        hbuf_append(b, m->id.b, CREDIT_ID_BYTES);
        hbuf_append(b, m->invoice_id.b, CREDIT_ID_BYTES);
        return;
    case CREDIT_XMSG_CHAIN: credit_msg_encode(b, &m->msg); return;
    }
    HANSA_UNREACHABLE();
}

static void rd_id(wire_rd *r, credit_id *out, const char *field) {
    rd_fixed(r, out->b, CREDIT_ID_BYTES, field);
    if (r->err == HANSA_OK && credit_id_is_zero(out)) rd_fail(r, HANSA_ERR_INVALID, field);
}

static void rd_revision(wire_rd *r, uint32_t *out) {
    *out = rd_u32(r, "revision");
    if (r->err == HANSA_OK && *out == 0) rd_fail(r, HANSA_ERR_INVALID, "revision");
}

/* A nested body that runs to the end of the payload, decoded by its own
 * whole-buffer decoder; a failure is reported at its offset in the payload. */
typedef hansa_err (*whole_dec)(const uint8_t *p, size_t len, void *out, wire_rd *r);

static void rd_rest(wire_rd *r, whole_dec dec, void *out) {
    if (r->err != HANSA_OK) return;
    size_t at = r->off;
    wire_rd sub;
    if (dec(r->p + at, r->len - at, out, &sub) == HANSA_OK) {
        r->off = r->len;
        return;
    }
    r->off = at + sub.err_off;
    rd_fail(r, sub.err, sub.err_field);
}

static hansa_err dec_invoice(const uint8_t *p, size_t n, void *o, wire_rd *r) {
    return credit_invoice_decode(p, n, o, r);
}
static hansa_err dec_msg(const uint8_t *p, size_t n, void *o, wire_rd *r) {
    return credit_msg_decode(p, n, o, r);
}

static void rd_body(wire_rd *r, credit_xmsg *out) {
    switch (out->kind) {
    case CREDIT_XMSG_OFFER:
    case CREDIT_XMSG_COUNTER:
        credit_rd_contract(r, &out->contract);
        rd_fixed(r, out->sig.b, HANSA_SIG_BYTES, "sig");
        return;
    case CREDIT_XMSG_ACCEPT:
        rd_id(r, &out->id, "tally_id");
        rd_revision(r, &out->revision);
        rd_fixed(r, out->sig.b, HANSA_SIG_BYTES, "sig");
        return;
    case CREDIT_XMSG_REFUSE:
        rd_id(r, &out->id, "tally_id");
        rd_revision(r, &out->revision);
        return;
    case CREDIT_XMSG_CLOSE: rd_id(r, &out->id, "tally_id"); return;
    case CREDIT_XMSG_TRADE:
        credit_rd_trade_signed(r, &out->trade);
        if (r->err == HANSA_OK && out->trade.side != out->from) rd_fail(r, HANSA_ERR_INVALID, "trade side");
        return;
    case CREDIT_XMSG_INVOICE:
        rd_rest(r, dec_invoice, &out->invoice);
        if (r->err == HANSA_OK && out->invoice.payee != out->from) rd_fail(r, HANSA_ERR_INVALID, "payee");
        return;
    case CREDIT_XMSG_INV_REFUSE:
        rd_id(r, &out->id, "tally_id");
        rd_id(r, &out->invoice_id, "invoice_id");
        return;
    case CREDIT_XMSG_CHAIN:
        rd_rest(r, dec_msg, &out->msg);
        if (r->err == HANSA_OK && out->msg.from != out->from) rd_fail(r, HANSA_ERR_INVALID, "chain message side");
        return;
    default: rd_fail(r, HANSA_ERR_INVALID, "kind"); return;
    }
}

hansa_err credit_xmsg_decode(const uint8_t *p, size_t len, credit_xmsg *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    out->kind = rd_u8(r, "kind");
    out->from = rd_u8(r, "from");
    if (r->err == HANSA_OK && out->from != CREDIT_STOCK && out->from != CREDIT_FOIL)
        rd_fail(r, HANSA_ERR_INVALID, "from");
    if (r->err == HANSA_OK) rd_body(r, out);
    return rd_close(r, out, sizeof *out);
}
