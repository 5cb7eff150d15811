/* record.c — see record.h: fixed-layout record values and their strict
 * decoders. The decoders use the wire cursor, so a short or long record and
 * the offending field are reported the same way as for network bytes. */
#include "ledger/record.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"

void ledger_why(char *why, size_t why_len, const char *fmt, ...) {
    if (why == NULL || why_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

void ledger_key_account(const hansa_addr *addr, uint8_t out[LEDGER_KEY_ACCOUNT_BYTES]) {
    out[0] = LEDGER_KEY_ACCOUNT;
    memcpy(out + 1, addr->b, HANSA_ADDR_BYTES);
}

void ledger_meta_encode(hbuf *b, const ledger_meta *m) {
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, m->height);
    hbuf_put_u64(b, m->time_ms);
    HANSA_ASSERT(b->len - start == LEDGER_META_BYTES);
}

void ledger_params_encode(hbuf *b, const ledger_params *p) {
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u32(b, p->chain_id);
    hbuf_put_u64(b, p->genesis_time_ms);
    hbuf_put_u16(b, p->fee_burn_bps);
    hbuf_put_u64(b, p->min_fee);
    hbuf_put_u32(b, p->max_block_txs);
    HANSA_ASSERT(b->len - start == LEDGER_PARAMS_BYTES);
}

void ledger_supply_encode(hbuf *b, const ledger_supply *s) {
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, s->genesis);
    hbuf_put_u64(b, s->burned);
    hbuf_put_u64(b, s->minted);
    HANSA_ASSERT(b->len - start == LEDGER_SUPPLY_BYTES);
}

void ledger_validators_encode(hbuf *b, const ledger_validators *v) {
    HANSA_ASSERT(v->n >= 1);
    HANSA_ASSERT(v->n <= WIRE_VALIDATORS_MAX);
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u16(b, v->n);
    for (uint16_t i = 0; i < v->n; i++) {
        hbuf_append(b, v->v[i].pubkey.b, HANSA_PUBKEY_BYTES);
        hbuf_put_u64(b, v->v[i].power);
    }
}

void ledger_account_encode(hbuf *b, const ledger_account *a) {
    /* record.h: an empty account is never stored. */
    HANSA_ASSERT(a->balance != 0 || a->nonce != 0);
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, a->balance);
    hbuf_put_u64(b, a->nonce);
    HANSA_ASSERT(b->len - start == LEDGER_ACCOUNT_BYTES);
}

/* Starts a record decode on r (the caller's or a local one) and reads the
 * version byte. */
static void rec_begin(wire_rd *r, const uint8_t *p, size_t len) {
    rd_init(r, p, len);
    uint8_t version = rd_u8(r, "version");
    if (r->err == HANSA_OK && version != LEDGER_RECORD_VERSION)
        rd_fail(r, HANSA_ERR_VERSION, "version");
}

/* Ends a decode: checks for trailing bytes, zeroes *out on failure. */
static hansa_err rec_end(wire_rd *r, void *out, size_t out_size) {
    rd_end(r);
    if (r->err != HANSA_OK) memset(out, 0, out_size);
    return r->err;
}

hansa_err ledger_meta_decode(const uint8_t *p, size_t len, ledger_meta *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rec_begin(r, p, len);
    out->height = rd_u64(r, "height");
    out->time_ms = rd_u64(r, "time_ms");
    return rec_end(r, out, sizeof *out);
}

hansa_err ledger_params_decode(const uint8_t *p, size_t len, ledger_params *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rec_begin(r, p, len);
    out->chain_id = rd_u32(r, "chain_id");
    out->genesis_time_ms = rd_u64(r, "genesis_time_ms");
    out->fee_burn_bps = rd_u16(r, "fee_burn_bps");
    if (r->err == HANSA_OK && out->fee_burn_bps > LEDGER_BPS_ONE)
        rd_fail(r, HANSA_ERR_INVALID, "fee_burn_bps");
    out->min_fee = rd_u64(r, "min_fee");
    out->max_block_txs = rd_u32(r, "max_block_txs");
    if (r->err == HANSA_OK && (out->max_block_txs == 0 || out->max_block_txs > WIRE_BLOCK_TXS_MAX))
        rd_fail(r, HANSA_ERR_INVALID, "max_block_txs");
    return rec_end(r, out, sizeof *out);
}

hansa_err ledger_supply_decode(const uint8_t *p, size_t len, ledger_supply *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rec_begin(r, p, len);
    out->genesis = rd_u64(r, "genesis");
    out->burned = rd_u64(r, "burned");
    out->minted = rd_u64(r, "minted");
    return rec_end(r, out, sizeof *out);
}

hansa_err ledger_validators_decode(const uint8_t *p, size_t len, ledger_validators *out,
                                   wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rec_begin(r, p, len);
    uint16_t n = rd_u16(r, "n");
    if (r->err == HANSA_OK && n > WIRE_VALIDATORS_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "n");
    if (r->err == HANSA_OK && n == 0) rd_fail(r, HANSA_ERR_INVALID, "n");
    out->n = r->err == HANSA_OK ? n : 0;
    uint64_t total = 0;
    for (uint16_t i = 0; i < out->n && r->err == HANSA_OK; i++) {
        wire_validator *v = &out->v[i];
        rd_fixed(r, v->pubkey.b, HANSA_PUBKEY_BYTES, "pubkey");
        v->power = rd_u64(r, "power");
        if (r->err != HANSA_OK) break;
        if (i > 0 && pubkey_cmp(&out->v[i - 1].pubkey, &v->pubkey) >= 0)
            rd_fail(r, HANSA_ERR_NONCANONICAL, "pubkey");
        else if (v->power == 0 || !u64_add(total, v->power, &total) ||
                 total > WIRE_TOTAL_POWER_MAX)
            rd_fail(r, HANSA_ERR_INVALID, "power");
    }
    return rec_end(r, out, sizeof *out);
}

hansa_err ledger_account_decode(const uint8_t *p, size_t len, ledger_account *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rec_begin(r, p, len);
    out->balance = rd_u64(r, "balance");
    out->nonce = rd_u64(r, "nonce");
    /* Check length first so a short record reads as truncated, not empty. */
    if (r->err == HANSA_OK && r->off == r->len && out->balance == 0 && out->nonce == 0)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "account (empty account is never stored)");
    return rec_end(r, out, sizeof *out);
}

hansa_err ledger_params_check(const ledger_params *p, char *why, size_t why_len) {
    if (p->fee_burn_bps > LEDGER_BPS_ONE) {
        ledger_why(why, why_len, "fee_burn_bps %u is over %u (100%%)", p->fee_burn_bps,
                   LEDGER_BPS_ONE);
        return HANSA_ERR_CONFIG;
    }
    if (p->max_block_txs == 0 || p->max_block_txs > WIRE_BLOCK_TXS_MAX) {
        ledger_why(why, why_len, "max_block_txs %u is not in 1..%u", p->max_block_txs,
                   WIRE_BLOCK_TXS_MAX);
        return HANSA_ERR_CONFIG;
    }
    return HANSA_OK;
}

hansa_err ledger_validators_check(const ledger_validators *v, char *why, size_t why_len) {
    if (v->n == 0 || v->n > WIRE_VALIDATORS_MAX) {
        ledger_why(why, why_len, "%u delegates, need 1..%u", v->n, WIRE_VALIDATORS_MAX);
        return HANSA_ERR_INVALID;
    }
    uint64_t total = 0;
    for (uint16_t i = 0; i < v->n; i++) {
        if (i > 0 && pubkey_cmp(&v->v[i - 1].pubkey, &v->v[i].pubkey) >= 0) {
            ledger_why(why, why_len, "delegate %u: pubkeys not strictly increasing (duplicate?)", i);
            return HANSA_ERR_NONCANONICAL;
        }
        if (v->v[i].power == 0) {
            ledger_why(why, why_len, "delegate %u has zero power", i);
            return HANSA_ERR_INVALID;
        }
        if (!u64_add(total, v->v[i].power, &total) || total > WIRE_TOTAL_POWER_MAX) {
            ledger_why(why, why_len, "total delegate power over 2^60 at delegate %u", i);
            return HANSA_ERR_INVALID;
        }
    }
    return HANSA_OK;
}
