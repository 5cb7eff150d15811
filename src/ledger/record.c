/* record.c — see record.h: fixed-layout record values and their strict
 * decoders. The decoders use the wire cursor, so a short or long record and
 * the offending field are reported the same way as for network bytes. */
#include "ledger/record.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "ledger/stake.h"

#define LEDGER_WHY_BYTES_SMALL 128

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
    const ledger_elect_params *e = &p->elect;
    hbuf_put_u32(b, e->epoch_blocks);
    hbuf_put_u16(b, e->active_max);
    hbuf_put_u16(b, e->bench_max);
    hbuf_put_u32(b, e->unbonding_blocks);
    hbuf_put_u16(b, e->liveness_window);
    hbuf_put_u16(b, e->liveness_miss_bps);
    hbuf_put_u32(b, e->jail_blocks);
    hbuf_put_u16(b, e->slash_bps);
    hbuf_put_u32(b, e->evidence_age_max);
    hbuf_put_u64(b, e->block_reward);
    hbuf_put_u32(b, e->upgrade_window);
    hbuf_put_u32(b, p->checkpoint_blocks);
    HANSA_ASSERT(b->len - start == LEDGER_PARAMS_BYTES);
}

void ledger_supply_encode(hbuf *b, const ledger_supply *s) {
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, s->genesis);
    hbuf_put_u64(b, s->burned);
    hbuf_put_u64(b, s->minted);
    hbuf_put_u64(b, s->bonded);
    hbuf_put_u64(b, s->unbonding);
    hbuf_put_u64(b, s->receipts);
    HANSA_ASSERT(b->len - start == LEDGER_SUPPLY_BYTES);
}

void ledger_valset_at_copy(ledger_valset_at *dst, const ledger_valset_at *src) {
    HANSA_ASSERT(src->vals.n <= WIRE_VALIDATORS_MAX);
    dst->activation = src->activation;
    dst->vals.n = src->vals.n;
    memcpy(dst->vals.v, src->vals.v, src->vals.n * sizeof src->vals.v[0]);
}

void ledger_valsets_copy(ledger_valsets *dst, const ledger_valsets *src) {
    for (int k = 0; k < 3; k++) ledger_valset_at_copy(&dst->set[k], &src->set[k]);
}

bool ledger_valsets_equal(const ledger_valsets *a, const ledger_valsets *b) {
    for (int k = 0; k < 3; k++) {
        const ledger_valset_at *x = &a->set[k], *y = &b->set[k];
        if (x->activation != y->activation || x->vals.n != y->vals.n ||
            memcmp(x->vals.v, y->vals.v, x->vals.n * sizeof x->vals.v[0]) != 0)
            return false;
    }
    return true;
}

void ledger_valsets_encode(hbuf *b, const ledger_valsets *vs) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    for (int k = 0; k < 3; k++) {
        const ledger_validators *v = &vs->set[k].vals;
        HANSA_ASSERT(v->n >= 1);
        HANSA_ASSERT(v->n <= WIRE_VALIDATORS_MAX);
        HANSA_ASSERT(vs->set[k].activation >= 1);
        hbuf_put_u64(b, vs->set[k].activation);
        hbuf_put_u16(b, v->n);
        for (uint16_t i = 0; i < v->n; i++) {
            hbuf_append(b, v->v[i].pubkey.b, HANSA_PUBKEY_BYTES);
            hbuf_put_u64(b, v->v[i].power);
        }
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

hansa_err ledger_meta_decode(const uint8_t *p, size_t len, ledger_meta *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    out->height = rd_u64(r, "height");
    out->time_ms = rd_u64(r, "time_ms");
    return rd_close(r, out, sizeof *out);
}

hansa_err ledger_params_decode(const uint8_t *p, size_t len, ledger_params *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    out->chain_id = rd_u32(r, "chain_id");
    out->genesis_time_ms = rd_u64(r, "genesis_time_ms");
    out->fee_burn_bps = rd_u16(r, "fee_burn_bps");
    out->min_fee = rd_u64(r, "min_fee");
    out->max_block_txs = rd_u32(r, "max_block_txs");
    ledger_elect_params *e = &out->elect;
    e->epoch_blocks = rd_u32(r, "epoch_blocks");
    e->active_max = rd_u16(r, "active_max");
    e->bench_max = rd_u16(r, "bench_max");
    e->unbonding_blocks = rd_u32(r, "unbonding_blocks");
    e->liveness_window = rd_u16(r, "liveness_window");
    e->liveness_miss_bps = rd_u16(r, "liveness_miss_bps");
    e->jail_blocks = rd_u32(r, "jail_blocks");
    e->slash_bps = rd_u16(r, "slash_bps");
    e->evidence_age_max = rd_u32(r, "evidence_age_max");
    e->block_reward = rd_u64(r, "block_reward");
    e->upgrade_window = rd_u32(r, "upgrade_window");
    out->checkpoint_blocks = rd_u32(r, "checkpoint_blocks");
    char why[LEDGER_WHY_BYTES_SMALL];
    if (r->err == HANSA_OK && ledger_params_check(out, why, sizeof why) != HANSA_OK)
        rd_fail(r, HANSA_ERR_INVALID, "params out of range");
    return rd_close(r, out, sizeof *out);
}

hansa_err ledger_supply_decode(const uint8_t *p, size_t len, ledger_supply *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    out->genesis = rd_u64(r, "genesis");
    out->burned = rd_u64(r, "burned");
    out->minted = rd_u64(r, "minted");
    out->bonded = rd_u64(r, "bonded");
    out->unbonding = rd_u64(r, "unbonding");
    out->receipts = rd_u64(r, "receipts");
    return rd_close(r, out, sizeof *out);
}

/* Reads one (activation, n, entries) set of the valsets record. */
static void read_set(wire_rd *r, ledger_valset_at *out) {
    out->activation = rd_u64(r, "activation");
    if (r->err == HANSA_OK && out->activation == 0) rd_fail(r, HANSA_ERR_INVALID, "activation");
    uint16_t n = rd_u16(r, "n");
    if (r->err == HANSA_OK && n > WIRE_VALIDATORS_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "n");
    if (r->err == HANSA_OK && n == 0) rd_fail(r, HANSA_ERR_INVALID, "n");
    ledger_validators *vs = &out->vals;
    vs->n = r->err == HANSA_OK ? n : 0;
    uint64_t total = 0;
    for (uint16_t i = 0; i < vs->n && r->err == HANSA_OK; i++) {
        wire_validator *v = &vs->v[i];
        rd_fixed(r, v->pubkey.b, HANSA_PUBKEY_BYTES, "pubkey");
        v->power = rd_u64(r, "power");
        if (r->err != HANSA_OK) break;
        if (i > 0 && pubkey_cmp(&vs->v[i - 1].pubkey, &v->pubkey) >= 0)
            rd_fail(r, HANSA_ERR_NONCANONICAL, "pubkey");
        else if (v->power == 0 || !u64_add(total, v->power, &total) ||
                 total > WIRE_TOTAL_POWER_MAX)
            rd_fail(r, HANSA_ERR_INVALID, "power");
    }
}

hansa_err ledger_valsets_decode(const uint8_t *p, size_t len, ledger_valsets *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    for (int k = 0; k < 3 && r->err == HANSA_OK; k++) read_set(r, &out->set[k]);
    if (r->err == HANSA_OK && (out->set[0].activation > out->set[1].activation ||
                               out->set[1].activation > out->set[2].activation))
        rd_fail(r, HANSA_ERR_INVALID, "activation order");
    return rd_close(r, out, sizeof *out);
}

hansa_err ledger_account_decode(const uint8_t *p, size_t len, ledger_account *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    out->balance = rd_u64(r, "balance");
    out->nonce = rd_u64(r, "nonce");
    /* Check length first so a short record reads as truncated, not empty. */
    if (r->err == HANSA_OK && r->off == r->len && out->balance == 0 && out->nonce == 0)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "account (empty account is never stored)");
    return rd_close(r, out, sizeof *out);
}

ledger_elect_params ledger_elect_params_default(void) {
    return (ledger_elect_params){.epoch_blocks = 100,
                                 .active_max = 32,
                                 .bench_max = 32,
                                 .unbonding_blocks = 100,
                                 .liveness_window = 100,
                                 .liveness_miss_bps = 5000,
                                 .jail_blocks = 100,
                                 .slash_bps = 500,
                                 .evidence_age_max = 100,
                                 .block_reward = 0,
                                 .upgrade_window = 1000};
}

/* One range check: lo <= x <= hi, else a sentence naming the field. */
static bool in_range(uint64_t x, uint64_t lo, uint64_t hi, const char *name, char *why,
                     size_t why_len) {
    if (x >= lo && x <= hi) return true;
    ledger_why(why, why_len, "%s %llu is not in %llu..%llu", name, (unsigned long long)x,
               (unsigned long long)lo, (unsigned long long)hi);
    return false;
}

static hansa_err elect_params_check(const ledger_elect_params *e, char *why, size_t why_len) {
    bool ok = in_range(e->epoch_blocks, 1, UINT32_MAX, "epoch_blocks", why, why_len) &&
              in_range(e->active_max, 1, WIRE_VALIDATORS_MAX, "active_max", why, why_len) &&
              in_range(e->bench_max, 0, LEDGER_BENCH_MAX, "bench_max", why, why_len) &&
              in_range(e->unbonding_blocks, 1, UINT32_MAX, "unbonding_blocks", why, why_len) &&
              in_range(e->liveness_window, 1, LEDGER_LIVENESS_WINDOW_MAX, "liveness_window", why,
                       why_len) &&
              in_range(e->liveness_miss_bps, 0, LEDGER_BPS_ONE, "liveness_miss_bps", why, why_len) &&
              in_range(e->slash_bps, 0, LEDGER_BPS_ONE, "slash_bps", why, why_len) &&
              in_range(e->evidence_age_max, 1, UINT32_MAX, "evidence_age_max", why, why_len) &&
              in_range(e->upgrade_window, 1, UINT32_MAX, "upgrade_window", why, why_len);
    return ok ? HANSA_OK : HANSA_ERR_CONFIG;
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
    return elect_params_check(&p->elect, why, why_len);
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
