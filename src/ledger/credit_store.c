/* credit_store.c — see credit_store.h: credit records through the overlay. */
#include "ledger/credit_store.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "ledger/block.h"
#include "ledger/record.h"
#include "ledger/stake.h"

/* ---- keys and link values ----------------------------------------------------- */

size_t credit_key_tally(const credit_id *id, uint8_t *out) {
    out[0] = LEDGER_KEY_TALLY;
    memcpy(out + 1, id->b, CREDIT_ID_BYTES);
    return LEDGER_KEY_TALLY_BYTES;
}

size_t credit_key_chit(const credit_id *tally, uint64_t idx, uint8_t *out) {
    out[0] = LEDGER_KEY_CHIT;
    memcpy(out + 1, tally->b, CREDIT_ID_BYTES);
    for (int i = 0; i < 8; i++) out[1 + CREDIT_ID_BYTES + i] = (uint8_t)(idx >> (56 - 8 * i));
    return LEDGER_KEY_CHIT_BYTES;
}

size_t credit_key_chit_id(const credit_id *tally, const credit_id *chit, uint8_t *out) {
    out[0] = LEDGER_KEY_CHIT_ID;
    memcpy(out + 1, tally->b, CREDIT_ID_BYTES);
    memcpy(out + 1 + CREDIT_ID_BYTES, chit->b, CREDIT_ID_BYTES);
    return LEDGER_KEY_CHIT_ID_BYTES;
}

size_t credit_key_invoice(const credit_id *id, uint8_t *out) {
    out[0] = LEDGER_KEY_INVOICE;
    memcpy(out + 1, id->b, CREDIT_ID_BYTES);
    return LEDGER_KEY_INVOICE_BYTES;
}

size_t credit_key_lift(const credit_id *id, uint8_t *out) {
    out[0] = LEDGER_KEY_LIFT;
    memcpy(out + 1, id->b, CREDIT_ID_BYTES);
    return LEDGER_KEY_LIFT_BYTES;
}

void credit_link_encode(hbuf *b, const credit_link *l) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    credit_chit_encode(b, &l->chit);
    hbuf_append(b, l->hash.b, HANSA_HASH_BYTES);
}

void credit_link_decode(const uint8_t *v, size_t vlen, credit_link *out) {
    wire_rd r;
    rd_init(&r, v, vlen);
    rd_u8(&r, "version");
    credit_rd_chit(&r, &out->chit);
    rd_fixed(&r, out->hash.b, HANSA_HASH_BYTES, "hash");
    rd_end(&r);
    HANSA_ASSERT(r.err == HANSA_OK); /* records are checked when loaded or written */
}

/* ---- typed records ------------------------------------------------------------------ */

bool credit_store_tally_get(const ledger_block *b, const credit_id *id, credit_tally *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_tally(id, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(credit_tally_decode(v, vlen, out, NULL) == HANSA_OK);
    return true;
}

void credit_store_tally_put(ledger_block *b, const credit_tally *t) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_tally(&t->contract.tally_id, key);
    hbuf enc = HBUF_INIT;
    credit_tally_encode(&enc, t);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

bool credit_store_invoice_get(const ledger_block *b, const credit_id *id, credit_invoice *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_invoice(id, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(credit_invoice_record_decode(v, vlen, out, NULL) == HANSA_OK);
    return true;
}

void credit_store_invoice_put(ledger_block *b, const credit_invoice *inv) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_invoice(&inv->invoice_id, key);
    hbuf enc = HBUF_INIT;
    credit_invoice_record_encode(&enc, inv);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

bool credit_store_lift_get(const ledger_block *b, const credit_id *id, credit_lift_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_lift(id, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(credit_lift_rec_decode(v, vlen, out, NULL) == HANSA_OK);
    return true;
}

void credit_store_lift_put(ledger_block *b, const credit_lift_rec *rec) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_lift(&rec->lift.lift_id, key);
    hbuf enc = HBUF_INIT;
    credit_lift_rec_encode(&enc, rec);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

/* ---- the chain storage -------------------------------------------------------------- */

static uint64_t chit_index(const ledger_block *b, const credit_id *tally, const credit_id *chit) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_chit_id(tally, chit, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, klen, &vlen);
    if (v == NULL) return 0;
    HANSA_ASSERT(vlen == 9);
    return le64_load(v + 1);
}

static bool link_get(const ledger_block *b, const credit_id *tally, uint64_t idx, credit_link *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_chit(tally, idx, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, klen, &vlen);
    if (v == NULL) return false;
    credit_link_decode(v, vlen, out);
    return true;
}

hansa_err credit_store_chit_id_free(const ledger_block *b, const credit_chit *chit, char *why,
                                    size_t why_len) {
    uint64_t at = chit_index(b, &chit->tally_id, &chit->chit_id);
    if (at == 0) return HANSA_OK;
    credit_link l;
    HANSA_ASSERT(link_get(b, &chit->tally_id, at, &l));
    char hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(chit->chit_id.b, CREDIT_ID_BYTES, hex);
    if (credit_chit_same(&l.chit, chit)) {
        ledger_why(why, why_len, "chit %s is already on the tally (link %llu)", hex,
                   (unsigned long long)at);
        return HANSA_ERR_DUPLICATE;
    }
    ledger_why(why, why_len, "conflict: chit id %s already holds a different chit (link %llu)", hex,
               (unsigned long long)at);
    return HANSA_ERR_INVALID;
}

static void ops_get(void *ctx, uint64_t idx, credit_link *out) {
    credit_store_ctx *c = ctx;
    HANSA_ASSERT(link_get(c->b, &c->tally, idx, out));
}

static uint64_t ops_find(void *ctx, const credit_id *id) {
    credit_store_ctx *c = ctx;
    return chit_index(c->b, &c->tally, id);
}

/* The second half to append a link finds it stored by the first. */
static void ops_append(void *ctx, uint64_t idx, const credit_link *l) {
    credit_store_ctx *c = ctx;
    credit_link have;
    if (link_get(c->b, &c->tally, idx, &have)) {
        HANSA_ASSERT(hash_eq(&have.hash, &l->hash));
        return;
    }
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_chit(&c->tally, idx, key);
    hbuf enc = HBUF_INIT;
    credit_link_encode(&enc, l);
    stake_raw_put(c->b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_reset(&enc);
    hbuf_put_u8(&enc, LEDGER_RECORD_VERSION);
    hbuf_put_u64(&enc, idx);
    klen = credit_key_chit_id(&c->tally, &l->chit.chit_id, key);
    stake_raw_put(c->b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

/* A lift chit is valid on this chain when it is a leg of a lift the chain
 * committed (the lift transaction writes its record before its chits). */
static bool ops_lift_chit_ok(void *ctx, const credit_chit *ch) {
    credit_store_ctx *c = ctx;
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    credit_tally *t = hansa_malloc(sizeof *t);
    bool ok = credit_store_lift_get(c->b, &ch->invoice_id, rec) &&
              rec->outcome == CREDIT_RULING_COMMIT && credit_store_tally_get(c->b, &c->tally, t) &&
              credit_lift_chit_matches(&rec->lift, &t->contract, ch);
    free(t);
    free(rec);
    return ok;
}

static const credit_chain_ops store_ops = {ops_get, ops_find, ops_append, ops_lift_chit_ok};

void credit_store_attach(ledger_block *b, credit_tally *t, credit_store_ctx *ctx) {
    ctx->b = b;
    ctx->tally = t->contract.tally_id;
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        t->half[s].ops = &store_ops;
        t->half[s].ctx = ctx;
        t->half[s].peer_in_state = true;
    }
}
