/* credit_rec.c — see credit_rec.h: checks of stored credit records, reads of
 * the committed state, the per-block events and the invariant checker. */
#include "ledger/credit_rec.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "ledger/credit_store.h"
#include "ledger/record.h"
#include "ledger/state.h"
#include "ledger/xtally.h"
#include "ledger/xlift.h"

/* ---- record checks -------------------------------------------------------------- */

static void key_id(const uint8_t *key, credit_id *out) { memcpy(out->b, key + 1, CREDIT_ID_BYTES); }

static hansa_err check_link(const uint8_t *key, const uint8_t *val, size_t vlen, wire_rd *r) {
    rd_init(r, val, vlen);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    credit_chit chit;
    credit_rd_chit(r, &chit);
    rd_borrow(r, HANSA_HASH_BYTES, "hash");
    rd_end(r);
    credit_id tally;
    key_id(key, &tally);
    uint64_t idx = 0;
    for (int i = 0; i < 8; i++) idx = idx << 8 | key[1 + CREDIT_ID_BYTES + i];
    if (r->err == HANSA_OK && (!credit_id_eq(&chit.tally_id, &tally) || idx == 0))
        rd_fail(r, HANSA_ERR_INVALID, "link key (another tally, or index 0)");
    return r->err;
}

static hansa_err check_index(const uint8_t *val, size_t vlen, wire_rd *r) {
    rd_init(r, val, vlen);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    if (rd_u64(r, "index") == 0 && r->err == HANSA_OK) rd_fail(r, HANSA_ERR_INVALID, "index 0");
    rd_end(r);
    return r->err;
}

hansa_err ledger_credit_record_check(const uint8_t *key, size_t klen, const uint8_t *val,
                                     size_t vlen, wire_rd *r) {
    static const size_t lens[] = {LEDGER_KEY_TALLY_BYTES, LEDGER_KEY_CHIT_BYTES,
                                  LEDGER_KEY_CHIT_ID_BYTES, LEDGER_KEY_INVOICE_BYTES,
                                  LEDGER_KEY_LIFT_BYTES};
    if (klen > 0 && key[0] > LEDGER_KEY_LIFT && key[0] <= LEDGER_KEY_XLIFT_LAST)
        return xlift_record_check(key, klen, val, vlen, r);
    rd_init(r, val, vlen);
    if (klen == 0 || key[0] < LEDGER_KEY_TALLY || key[0] > LEDGER_KEY_LIFT ||
        klen != lens[key[0] - LEDGER_KEY_TALLY]) {
        rd_fail(r, HANSA_ERR_INVALID, "credit key type or length");
        return r->err;
    }
    credit_id id;
    key_id(key, &id);
    switch ((ledger_credit_key)key[0]) {
    case LEDGER_KEY_TALLY: {
        credit_tally *t = hansa_malloc(sizeof *t);
        hansa_err err = credit_tally_decode(val, vlen, t, r);
        if (err == HANSA_OK && !credit_id_eq(&t->contract.tally_id, &id))
            rd_fail(r, HANSA_ERR_INVALID, "tally key (another id)");
        free(t);
        return r->err;
    }
    case LEDGER_KEY_CHIT: return check_link(key, val, vlen, r);
    case LEDGER_KEY_CHIT_ID: return check_index(val, vlen, r);
    case LEDGER_KEY_INVOICE: {
        credit_invoice inv;
        if (credit_invoice_record_decode(val, vlen, &inv, r) == HANSA_OK &&
            !credit_id_eq(&inv.invoice_id, &id))
            rd_fail(r, HANSA_ERR_INVALID, "invoice key (another id)");
        return r->err;
    }
    case LEDGER_KEY_LIFT: {
        credit_lift_rec *rec = hansa_malloc(sizeof *rec);
        if (credit_lift_rec_decode(val, vlen, rec, r) == HANSA_OK &&
            !credit_id_eq(&rec->lift.lift_id, &id))
            rd_fail(r, HANSA_ERR_INVALID, "lift key (another id)");
        free(rec);
        return r->err;
    }
    }
    HANSA_UNREACHABLE();
}

/* ---- reads of the committed state ------------------------------------------------ */

static const kvmap *credit_tab(const ledger_state *s) { return &s->tabs[LEDGER_TAB_CREDIT]; }

static const kvmap_slot *committed(const ledger_state *s, const uint8_t *key, size_t klen) {
    const kvmap_slot *slot = kvmap_get(credit_tab(s), key, klen);
    return slot != NULL && !slot->deleted ? slot : NULL;
}

bool ledger_tally_get(const ledger_state *s, const credit_id *id, credit_tally *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, credit_key_tally(id, key));
    if (slot == NULL) return false;
    HANSA_ASSERT(credit_tally_decode(slot->val, slot->vlen, out, NULL) == HANSA_OK);
    return true;
}

bool ledger_chit_get(const ledger_state *s, const credit_id *tally, uint64_t idx, credit_link *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, credit_key_chit(tally, idx, key));
    if (slot == NULL) return false;
    credit_link_decode(slot->val, slot->vlen, out);
    return true;
}

uint64_t ledger_chit_index(const ledger_state *s, const credit_id *tally, const credit_id *chit) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, credit_key_chit_id(tally, chit, key));
    return slot != NULL && slot->vlen == 9 ? le64_load(slot->val + 1) : 0;
}

bool ledger_invoice_get(const ledger_state *s, const credit_id *id, credit_invoice *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, credit_key_invoice(id, key));
    if (slot == NULL) return false;
    HANSA_ASSERT(credit_invoice_record_decode(slot->val, slot->vlen, out, NULL) == HANSA_OK);
    return true;
}

bool ledger_lift_get(const ledger_state *s, const credit_id *id, credit_lift_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, credit_key_lift(id, key));
    if (slot == NULL) return false;
    HANSA_ASSERT(credit_lift_rec_decode(slot->val, slot->vlen, out, NULL) == HANSA_OK);
    return true;
}

void ledger_lifts_iter(const ledger_state *s, void (*fn)(void *ctx, const credit_lift_rec *rec),
                       void *ctx) {
    const kvmap *m = credit_tab(s);
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    for (size_t i = 0; i < m->cap; i++) {
        const kvmap_slot *slot = &m->slots[i];
        if (!slot->used || slot->deleted || slot->key[0] != LEDGER_KEY_LIFT) continue;
        HANSA_ASSERT(credit_lift_rec_decode(slot->val, slot->vlen, rec, NULL) == HANSA_OK);
        fn(ctx, rec);
    }
    free(rec);
}

void ledger_tallies_iter(const ledger_state *s, void (*fn)(void *ctx, const credit_tally *t),
                         void *ctx) {
    const kvmap *m = credit_tab(s);
    credit_tally *t = hansa_malloc(sizeof *t);
    for (size_t i = 0; i < m->cap; i++) {
        const kvmap_slot *slot = &m->slots[i];
        if (!slot->used || slot->deleted || slot->key[0] != LEDGER_KEY_TALLY) continue;
        HANSA_ASSERT(credit_tally_decode(slot->val, slot->vlen, t, NULL) == HANSA_OK);
        fn(ctx, t);
    }
    free(t);
}

void ledger_invoices_iter(const ledger_state *s,
                          void (*fn)(void *ctx, const credit_invoice *inv), void *ctx) {
    const kvmap *m = credit_tab(s);
    for (size_t i = 0; i < m->cap; i++) {
        const kvmap_slot *slot = &m->slots[i];
        if (!slot->used || slot->deleted || slot->key[0] != LEDGER_KEY_INVOICE) continue;
        credit_invoice inv;
        HANSA_ASSERT(credit_invoice_record_decode(slot->val, slot->vlen, &inv, NULL) == HANSA_OK);
        fn(ctx, &inv);
    }
}

/* ---- events ------------------------------------------------------------------------ */

void ledger_credit_events(const ledger_writes *ws,
                          void (*fn)(void *ctx, const ledger_credit_event *ev), void *ctx) {
    ledger_credit_event *ev = hansa_malloc(sizeof *ev);
    credit_tally *t = hansa_malloc(sizeof *t);
    for (size_t i = 0; i < ws->n; i++) {
        size_t klen, vlen;
        const uint8_t *key = ledger_write_key(ws, i, &klen);
        const uint8_t *val = ledger_write_value(ws, i, &vlen);
        if (klen == 0 || vlen == 0) continue;
        memset(ev, 0, sizeof *ev);
        switch (key[0]) {
        case LEDGER_KEY_TALLY:
            HANSA_ASSERT(credit_tally_decode(val, vlen, t, NULL) == HANSA_OK);
            ev->kind = LEDGER_EV_TALLY;
            ev->tally_id = t->contract.tally_id;
            ev->state = t->state;
            ev->balance = t->balance;
            ev->stock = t->contract.stock;
            ev->foil = t->contract.foil;
            break;
        case LEDGER_KEY_CHIT: {
            credit_link l;
            credit_link_decode(val, vlen, &l);
            ev->kind = LEDGER_EV_CHIT;
            ev->tally_id = l.chit.tally_id;
            for (int k = 0; k < 8; k++) ev->idx = ev->idx << 8 | key[1 + CREDIT_ID_BYTES + k];
            ev->chit = l.chit;
            break;
        }
        case LEDGER_KEY_INVOICE:
            HANSA_ASSERT(credit_invoice_record_decode(val, vlen, &ev->invoice, NULL) == HANSA_OK);
            ev->kind = LEDGER_EV_INVOICE;
            ev->tally_id = ev->invoice.tally_id;
            break;
        default: continue;
        }
        fn(ctx, ev);
    }
    free(t);
    free(ev);
}

/* ---- the checker -------------------------------------------------------------------- */

typedef struct {
    const ledger_state *s;
    char *why;
    size_t why_len;
    bool bad;
    uint64_t links; /* links and index records that tallies account for */
} checker;

static void fail(checker *k, const credit_id *id, const char *what) {
    if (k->bad) return;
    char hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(id->b, CREDIT_ID_BYTES, hex);
    ledger_why(k->why, k->why_len, "credit record of %s: %s", hex, what);
    k->bad = true;
}

/* The half whose chain this state stores: on one chain both halves are
 * settled and equal after every transaction (the foil's is returned); across
 * chains only this chain's holder's half lives here, the other stays empty
 * (its chain is the other chain's, checked there). NULL after fail(). */
static const credit_half *stored_half(checker *k, const credit_tally *t) {
    const credit_id *id = &t->contract.tally_id;
    const credit_half *st = &t->half[CREDIT_STOCK], *fo = &t->half[CREDIT_FOIL];
    if (st->fault || fo->fault) return fail(k, id, "a half is faulted"), NULL;
    credit_side local;
    if (xtally_across(t, k->s->params.chain_id, &local)) {
        const credit_half *away = &t->half[credit_side_other(local)];
        if (local == 0) return fail(k, id, "a tally across chains with no party here"), NULL;
        if (away->n != 0 || away->n_tail != 0 || away->ack != 0)
            return fail(k, id, "the half of the other chain's party holds chits here"), NULL;
        return &t->half[local];
    }
    if (!credit_half_settled(st) || !credit_half_settled(fo))
        return fail(k, id, "a half is not settled after its transaction"), NULL;
    if (st->n != fo->n || !hash_eq(&st->end, &fo->end)) return fail(k, id, "the halves differ"), NULL;
    return fo;
}

/* Walks one tally's stored chain from the genesis hash. */
static void check_chain(checker *k, const credit_tally *t) {
    const credit_id *id = &t->contract.tally_id;
    const credit_half *fo = stored_half(k, t);
    if (fo == NULL) return;
    hansa_hash h;
    credit_chain_genesis(id, &h);
    int64_t sum = 0;
    for (uint64_t i = 1; i <= fo->n; i++) {
        credit_link l;
        if (!ledger_chit_get(k->s, id, i, &l)) return fail(k, id, "a chain link is missing");
        hansa_hash next;
        credit_chain_link_hash(&h, &l.chit, &next);
        if (!hash_eq(&next, &l.hash)) return fail(k, id, "a link hash does not chain");
        h = next;
        if (l.chit.kind == CREDIT_CHIT_LIFT) {
            credit_lift_rec *rec = hansa_malloc(sizeof *rec);
            bool ok = ledger_lift_get(k->s, &l.chit.invoice_id, rec) &&
                      rec->outcome == CREDIT_RULING_COMMIT &&
                      credit_lift_chit_matches(&rec->lift, &t->contract, &l.chit);
            free(rec);
            if (!ok) return fail(k, id, "a lift chit is no leg of a lift the chain committed");
        } else if (!credit_chit_verify(&l.chit, credit_contract_key(&t->contract, l.chit.by))) {
            return fail(k, id, "a chit's signature does not verify");
        }
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = credit_key_chit_id(id, &l.chit.chit_id, key);
        const kvmap_slot *slot = committed(k->s, key, klen);
        if (slot == NULL || slot->vlen != 9 || le64_load(slot->val + 1) != i)
            return fail(k, id, "a chit's id does not index its link");
        int64_t d = l.chit.by == CREDIT_FOIL ? (int64_t)l.chit.amount : -(int64_t)l.chit.amount;
        if (__builtin_add_overflow(sum, d, &sum)) return fail(k, id, "the chit sum overflows");
        k->links += 2;
    }
    if (!hash_eq(&h, &fo->end)) return fail(k, id, "the chain does not end at the halves' hash");
    if (ledger_chit_get(k->s, id, fo->n + 1, &(credit_link){0}))
        return fail(k, id, "a link lies past the chain's end");
    if (sum != t->balance) return fail(k, id, "the chits do not sum to the balance");
}

static void check_tally(void *ctx, const credit_tally *t) {
    checker *k = ctx;
    if (k->bad) return;
    const credit_id *id = &t->contract.tally_id;
    if (t->balance > (int64_t)t->contract.stock_grants.limit ||
        t->balance < -(int64_t)t->contract.foil_grants.limit)
        return fail(k, id, "the balance is over the credit the contract grants");
    if (t->state == CREDIT_TALLY_CLOSED && t->balance != 0)
        return fail(k, id, "closed with a balance");
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++)
        if (!credit_contract_verify(&t->contract, credit_contract_key(&t->contract, (credit_side)s),
                                    &t->sig[s]) &&
            (s == t->offered_by || t->state == CREDIT_TALLY_OPEN ||
             t->state == CREDIT_TALLY_CLOSING || t->state == CREDIT_TALLY_CLOSED))
            return fail(k, id, "a party's signature over the contract does not verify");
    check_chain(k, t);
}

static void check_invoice(void *ctx, const credit_invoice *inv) {
    checker *k = ctx;
    if (k->bad) return;
    credit_tally *t = hansa_malloc(sizeof *t);
    if (!ledger_tally_get(k->s, &inv->tally_id, t)) {
        fail(k, &inv->invoice_id, "an invoice names no tally");
    } else if (inv->state == CREDIT_INV_PAID) {
        uint8_t key[KVMAP_KEY_MAX];
        const kvmap_slot *slot =
            committed(k->s, key, credit_key_chit_id(&inv->tally_id, &inv->paid_by, key));
        credit_link l;
        if (slot == NULL || !ledger_chit_get(k->s, &inv->tally_id, le64_load(slot->val + 1), &l) ||
            l.chit.kind != CREDIT_CHIT_INVOICE || !credit_id_eq(&l.chit.invoice_id, &inv->invoice_id) ||
            l.chit.amount != inv->amount)
            fail(k, &inv->invoice_id, "a paid invoice names no chit that pays it");
    }
    free(t);
}

hansa_err ledger_credit_check(const ledger_state *s, char *why, size_t why_len) {
    checker k = {s, why, why_len, false, 0};
    ledger_tallies_iter(s, check_tally, &k);
    if (!k.bad) ledger_invoices_iter(s, check_invoice, &k);
    if (k.bad) return HANSA_ERR_CORRUPT;
    hansa_err err = ledger_xlift_check(s, why, why_len);
    if (err != HANSA_OK) return err;
    uint64_t stored = 0;
    const kvmap *m = credit_tab(s);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].used && !m->slots[i].deleted &&
            (m->slots[i].key[0] == LEDGER_KEY_CHIT || m->slots[i].key[0] == LEDGER_KEY_CHIT_ID))
            stored++;
    if (stored != k.links) {
        ledger_why(why, why_len, "credit records: %" PRIu64 " chit records, the tallies account for %" PRIu64,
                   stored, k.links);
        return HANSA_ERR_CORRUPT;
    }
    return HANSA_OK;
}
