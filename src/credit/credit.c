/* credit.c — see credit.h: canonical encodings and signature checks of
 * contracts, trading variables, chits and invoices. */
#include "credit/credit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"

const char *credit_side_name(credit_side s) {
    switch (s) {
    case CREDIT_STOCK: return "stock";
    case CREDIT_FOIL: return "foil";
    }
    return "?";
}

void credit_say(char *why, size_t why_len, const char *fmt, ...) {
    if (why == NULL || why_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

const hansa_pubkey *credit_contract_key(const credit_contract *c, credit_side s) {
    HANSA_ASSERT(s == CREDIT_STOCK || s == CREDIT_FOIL);
    return s == CREDIT_STOCK ? &c->stock.key : &c->foil.key;
}

/* ---- small readers shared by the decoders ------------------------------- */

static bool sig_is_zero(const hansa_sig *s) {
    for (int i = 0; i < HANSA_SIG_BYTES; i++)
        if (s->b[i]) return false;
    return true;
}

static void rd_id(wire_rd *r, credit_id *out, const char *field) {
    rd_fixed(r, out->b, CREDIT_ID_BYTES, field);
}

static void rd_version(wire_rd *r) {
    uint8_t v = rd_u8(r, "version");
    if (r->err == HANSA_OK && v != CREDIT_VERSION) rd_fail(r, HANSA_ERR_VERSION, "version");
}

static uint64_t rd_amount(wire_rd *r, bool zero_ok, const char *field) {
    uint64_t a = rd_u64(r, field);
    if (r->err == HANSA_OK && (a > CREDIT_AMOUNT_MAX || (!zero_ok && a == 0)))
        rd_fail(r, HANSA_ERR_INVALID, field);
    return a;
}

static uint8_t rd_side(wire_rd *r, const char *field) {
    uint8_t s = rd_u8(r, field);
    if (r->err == HANSA_OK && s != CREDIT_STOCK && s != CREDIT_FOIL)
        rd_fail(r, HANSA_ERR_INVALID, field);
    return s;
}

/* Text fields are printable ASCII: they are shown in terminals and JSON. */
static bool printable(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e) return false;
    return true;
}

/* Reads u16 length + that many printable bytes (at most max) into out. */
static uint16_t rd_text(wire_rd *r, void *out, size_t max, const char *field) {
    uint16_t n = rd_u16(r, field);
    if (r->err != HANSA_OK) return 0;
    if (n > max) {
        rd_fail(r, HANSA_ERR_TOO_LONG, field);
        return 0;
    }
    rd_fixed(r, out, n, field);
    if (r->err == HANSA_OK && !printable(out, n)) rd_fail(r, HANSA_ERR_INVALID, field);
    return r->err == HANSA_OK ? n : 0;
}

static void put_text(hbuf *b, const void *p, uint16_t n) {
    hbuf_put_u16(b, n);
    hbuf_append(b, p, n);
}

/* Runs a value reader over exactly [p, p+len). */
#define DECODE_WHOLE(p, len, out, r, reader)      \
    do {                                          \
        wire_rd local_;                           \
        wire_rd *rr_ = (r) ? (r) : &local_;       \
        rd_init(rr_, p, len);                     \
        reader(rr_, out);                         \
        rd_end(rr_);                              \
        if (rr_->err != HANSA_OK) memset(out, 0, sizeof *(out)); \
        return rr_->err;                          \
    } while (0)

/* ---- contract -------------------------------------------------------------- */

static void put_party(hbuf *b, const credit_party *p) {
    hbuf_put_u32(b, p->chain_id);
    hbuf_append(b, p->key.b, HANSA_PUBKEY_BYTES);
}

static void put_terms(hbuf *b, const credit_terms *t) {
    hbuf_put_u64(b, t->limit);
    hbuf_put_u32(b, t->call_days);
}

void credit_contract_encode(hbuf *b, const credit_contract *c) {
    size_t start = b->len;
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_append(b, c->tally_id.b, CREDIT_ID_BYTES);
    put_party(b, &c->stock);
    put_party(b, &c->foil);
    put_terms(b, &c->stock_grants);
    put_terms(b, &c->foil_grants);
    hbuf_put_u32(b, c->revision);
    HANSA_ASSERT(b->len - start == CREDIT_CONTRACT_BYTES);
}

static void rd_terms(wire_rd *r, credit_terms *t, const char *field) {
    t->limit = rd_amount(r, true, field);
    t->call_days = rd_u32(r, "call_days");
    if (r->err == HANSA_OK && t->call_days > CREDIT_CALL_DAYS_MAX)
        rd_fail(r, HANSA_ERR_INVALID, "call_days");
}

void credit_rd_contract(wire_rd *r, credit_contract *out) {
    memset(out, 0, sizeof *out);
    rd_version(r);
    rd_id(r, &out->tally_id, "tally_id");
    out->stock.chain_id = rd_u32(r, "stock chain");
    rd_fixed(r, out->stock.key.b, HANSA_PUBKEY_BYTES, "stock key");
    out->foil.chain_id = rd_u32(r, "foil chain");
    rd_fixed(r, out->foil.key.b, HANSA_PUBKEY_BYTES, "foil key");
    rd_terms(r, &out->stock_grants, "stock_grants limit");
    rd_terms(r, &out->foil_grants, "foil_grants limit");
    out->revision = rd_u32(r, "revision");
    if (r->err != HANSA_OK) return;
    if (out->revision == 0) rd_fail(r, HANSA_ERR_INVALID, "revision");
    else if (credit_id_is_zero(&out->tally_id)) rd_fail(r, HANSA_ERR_INVALID, "tally_id");
    else if (out->stock.chain_id == out->foil.chain_id && pubkey_eq(&out->stock.key, &out->foil.key))
        rd_fail(r, HANSA_ERR_INVALID, "foil key (the same party holds both halves)");
}

hansa_err credit_contract_decode(const uint8_t *p, size_t len, credit_contract *out, wire_rd *r) {
    DECODE_WHOLE(p, len, out, r, credit_rd_contract);
}

void credit_contract_hash(const credit_contract *c, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    credit_contract_encode(&b, c);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

bool credit_contract_verify(const credit_contract *c, const hansa_pubkey *key,
                            const hansa_sig *sig) {
    hbuf b = HBUF_INIT;
    credit_contract_encode(&b, c);
    bool ok = verify_domain(key, CREDIT_DOMAIN_TALLY, b.data, b.len, sig);
    hbuf_free(&b);
    return ok;
}

/* ---- trading variables ------------------------------------------------------ */

hansa_err credit_trade_check(const credit_trade *tv, char *why, size_t why_len) {
    const char *bad = NULL;
    if (tv->bound > CREDIT_AMOUNT_MAX) bad = "bound is over the largest amount (2^62 milli-CHIPs)";
    else if (tv->target > tv->bound) bad = "target is above bound (0 <= target <= bound)";
    else if (tv->clutch_ppm < -CREDIT_PPM_ONE || tv->clutch_ppm > CREDIT_PPM_ONE)
        bad = "clutch is outside [-1, 1]";
    else if (tv->reward_ppm < -CREDIT_PPM_ONE || tv->reward_ppm > CREDIT_PPM_ONE)
        bad = "reward is outside [-1, 1]";
    else if ((int64_t)tv->reward_ppm + tv->clutch_ppm < 0) bad = "reward + clutch is negative";
    if (bad == NULL) return HANSA_OK;
    if (why != NULL && why_len > 0) snprintf(why, why_len, "trading variables: %s", bad);
    return HANSA_ERR_INVALID;
}

void credit_trade_sign_bytes(hbuf *b, const credit_trade_signed *t) {
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_append(b, t->tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u8(b, t->side);
    hbuf_put_u32(b, t->seq);
    hbuf_put_u64(b, t->tv.target);
    hbuf_put_u64(b, t->tv.bound);
    hbuf_put_u32(b, (uint32_t)t->tv.reward_ppm);
    hbuf_put_u32(b, (uint32_t)t->tv.clutch_ppm);
}

void credit_trade_signed_encode(hbuf *b, const credit_trade_signed *t) {
    size_t start = b->len;
    credit_trade_sign_bytes(b, t);
    hbuf_append(b, t->sig.b, HANSA_SIG_BYTES);
    HANSA_ASSERT(b->len - start == CREDIT_TRADE_SIGNED_BYTES);
}

void credit_rd_trade_signed(wire_rd *r, credit_trade_signed *out) {
    memset(out, 0, sizeof *out);
    rd_version(r);
    rd_id(r, &out->tally_id, "tally_id");
    out->side = rd_side(r, "side");
    out->seq = rd_u32(r, "seq");
    out->tv.target = rd_u64(r, "target");
    out->tv.bound = rd_u64(r, "bound");
    out->tv.reward_ppm = (int32_t)rd_u32(r, "reward");
    out->tv.clutch_ppm = (int32_t)rd_u32(r, "clutch");
    rd_fixed(r, out->sig.b, HANSA_SIG_BYTES, "sig");
    if (r->err == HANSA_OK && credit_trade_check(&out->tv, NULL, 0) != HANSA_OK)
        rd_fail(r, HANSA_ERR_INVALID, "trading variables");
}

bool credit_trade_verify(const credit_trade_signed *t, const hansa_pubkey *key) {
    hbuf b = HBUF_INIT;
    credit_trade_sign_bytes(&b, t);
    bool ok = verify_domain(key, CREDIT_DOMAIN_TRADE, b.data, b.len, &t->sig);
    hbuf_free(&b);
    return ok;
}

/* ---- chits -------------------------------------------------------------------- */

void credit_chit_sign_bytes(hbuf *b, const credit_chit *c) {
    HANSA_ASSERT(c->memo_len <= CREDIT_MEMO_MAX);
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_append(b, c->tally_id.b, CREDIT_ID_BYTES);
    hbuf_append(b, c->chit_id.b, CREDIT_ID_BYTES);
    hbuf_put_u8(b, c->by);
    hbuf_put_u8(b, c->kind);
    hbuf_put_u64(b, c->amount);
    hbuf_append(b, c->invoice_id.b, CREDIT_ID_BYTES);
    put_text(b, c->memo, c->memo_len);
}

void credit_chit_encode(hbuf *b, const credit_chit *c) {
    credit_chit_sign_bytes(b, c);
    hbuf_append(b, c->sig.b, HANSA_SIG_BYTES);
}

void credit_rd_chit(wire_rd *r, credit_chit *out) {
    memset(out, 0, sizeof *out);
    rd_version(r);
    rd_id(r, &out->tally_id, "tally_id");
    rd_id(r, &out->chit_id, "chit_id");
    out->by = rd_side(r, "by");
    out->kind = rd_u8(r, "kind");
    out->amount = rd_amount(r, false, "amount");
    rd_id(r, &out->invoice_id, "invoice_id");
    out->memo_len = rd_text(r, out->memo, CREDIT_MEMO_MAX, "memo");
    rd_fixed(r, out->sig.b, HANSA_SIG_BYTES, "sig");
    if (r->err != HANSA_OK) return;
    if (out->kind != CREDIT_CHIT_DIRECT && out->kind != CREDIT_CHIT_INVOICE &&
        out->kind != CREDIT_CHIT_LIFT)
        rd_fail(r, HANSA_ERR_INVALID, "kind");
    else if ((out->kind != CREDIT_CHIT_DIRECT) == credit_id_is_zero(&out->invoice_id))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "invoice_id (set exactly for invoice and lift chits)");
    else if (out->kind == CREDIT_CHIT_LIFT && !sig_is_zero(&out->sig))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "sig (all zero on a lift chit)");
    else if (credit_id_is_zero(&out->chit_id)) rd_fail(r, HANSA_ERR_INVALID, "chit_id");
}

hansa_err credit_chit_decode(const uint8_t *p, size_t len, credit_chit *out, wire_rd *r) {
    DECODE_WHOLE(p, len, out, r, credit_rd_chit);
}

void credit_chit_hash(const credit_chit *c, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    credit_chit_encode(&b, c);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

bool credit_chit_same(const credit_chit *a, const credit_chit *b) {
    hansa_hash ha, hb;
    credit_chit_hash(a, &ha);
    credit_chit_hash(b, &hb);
    return hash_eq(&ha, &hb);
}

bool credit_chit_verify(const credit_chit *c, const hansa_pubkey *key) {
    if (c->kind == CREDIT_CHIT_LIFT) return false; /* proven by its lift, not a party */
    hbuf b = HBUF_INIT;
    credit_chit_sign_bytes(&b, c);
    bool ok = verify_domain(key, CREDIT_DOMAIN_CHIT, b.data, b.len, &c->sig);
    hbuf_free(&b);
    return ok;
}

/* ---- invoices ------------------------------------------------------------------ */

static void invoice_put(hbuf *b, const credit_invoice *inv) {
    HANSA_ASSERT(inv->n_items <= CREDIT_ITEMS_MAX);
    HANSA_ASSERT(inv->n_hints <= CREDIT_HINTS_MAX);
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_append(b, inv->invoice_id.b, CREDIT_ID_BYTES);
    hbuf_append(b, inv->tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u8(b, inv->payee);
    hbuf_put_u64(b, inv->amount);
    hbuf_put_u8(b, inv->n_items);
    for (uint8_t i = 0; i < inv->n_items; i++) {
        put_text(b, inv->items[i].text, inv->items[i].len);
        hbuf_put_u64(b, inv->items[i].amount);
    }
    hbuf_put_u8(b, inv->n_hints);
    for (uint8_t i = 0; i < inv->n_hints; i++) put_text(b, inv->hints[i].text, inv->hints[i].len);
}

void credit_invoice_encode(hbuf *b, const credit_invoice *inv) { invoice_put(b, inv); }

void credit_invoice_record_encode(hbuf *b, const credit_invoice *inv) {
    invoice_put(b, inv);
    hbuf_put_u8(b, inv->state);
    hbuf_append(b, inv->paid_by.b, CREDIT_ID_BYTES);
}

static void rd_invoice(wire_rd *r, credit_invoice *out) {
    memset(out, 0, sizeof *out);
    rd_version(r);
    rd_id(r, &out->invoice_id, "invoice_id");
    rd_id(r, &out->tally_id, "tally_id");
    out->payee = rd_side(r, "payee");
    out->amount = rd_amount(r, false, "amount");
    out->n_items = rd_u8(r, "n_items");
    if (r->err == HANSA_OK && out->n_items > CREDIT_ITEMS_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "n_items");
    uint64_t sum = 0;
    for (uint8_t i = 0; i < out->n_items && r->err == HANSA_OK; i++) {
        credit_item *it = &out->items[i];
        it->len = rd_text(r, it->text, CREDIT_ITEM_TEXT_MAX, "item text");
        it->amount = rd_amount(r, false, "item amount");
        if (r->err == HANSA_OK && !u64_add(sum, it->amount, &sum))
            rd_fail(r, HANSA_ERR_OVERFLOW, "item amount");
    }
    out->n_hints = rd_u8(r, "n_hints");
    if (r->err == HANSA_OK && out->n_hints > CREDIT_HINTS_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "n_hints");
    for (uint8_t i = 0; i < out->n_hints && r->err == HANSA_OK; i++)
        out->hints[i].len = rd_text(r, out->hints[i].text, CREDIT_HINT_TEXT_MAX, "hint");
    if (r->err != HANSA_OK) return;
    if (credit_id_is_zero(&out->invoice_id)) rd_fail(r, HANSA_ERR_INVALID, "invoice_id");
    else if (out->n_items > 0 && sum != out->amount)
        rd_fail(r, HANSA_ERR_INVALID, "amount (not the sum of the items)");
}

static void rd_invoice_record(wire_rd *r, credit_invoice *out) {
    rd_invoice(r, out);
    out->state = rd_u8(r, "state");
    rd_id(r, &out->paid_by, "paid_by");
    if (r->err != HANSA_OK) return;
    if (out->state < CREDIT_INV_PENDING || out->state > CREDIT_INV_REFUSED)
        rd_fail(r, HANSA_ERR_INVALID, "state");
    else if ((out->state == CREDIT_INV_PAID) == credit_id_is_zero(&out->paid_by))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "paid_by (set exactly when paid)");
}

hansa_err credit_invoice_decode(const uint8_t *p, size_t len, credit_invoice *out, wire_rd *r) {
    DECODE_WHOLE(p, len, out, r, rd_invoice);
}

hansa_err credit_invoice_record_decode(const uint8_t *p, size_t len, credit_invoice *out,
                                       wire_rd *r) {
    DECODE_WHOLE(p, len, out, r, rd_invoice_record);
}

/* ---- signing ---------------------------------------------------------------------- */

void credit_contract_sign(const credit_contract *c, const hansa_keypair *kp, hansa_sig *sig) {
    hbuf b = HBUF_INIT;
    credit_contract_encode(&b, c);
    sign_domain(kp, CREDIT_DOMAIN_TALLY, b.data, b.len, sig);
    hbuf_free(&b);
}

void credit_chit_sign(credit_chit *c, const hansa_keypair *kp) {
    hbuf b = HBUF_INIT;
    credit_chit_sign_bytes(&b, c);
    sign_domain(kp, CREDIT_DOMAIN_CHIT, b.data, b.len, &c->sig);
    hbuf_free(&b);
}

void credit_trade_sign(credit_trade_signed *t, const hansa_keypair *kp) {
    hbuf b = HBUF_INIT;
    credit_trade_sign_bytes(&b, t);
    sign_domain(kp, CREDIT_DOMAIN_TRADE, b.data, b.len, &t->sig);
    hbuf_free(&b);
}
