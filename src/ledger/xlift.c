/* xlift.c — lifts across chains in the ledger; see xlift.h and
 * docs/credit.md "Lifts across chains". */
#include "ledger/xlift.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "ledger/credit_rec.h"
#include "ledger/credit_store.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/state.h"
#include "ledger/tx_credit.h"

#define KEY_SEG 0x45
#define KEY_PEND 0x46
#define KEY_REF 0x47

/* ---- keys and record codecs ---------------------------------------------------- */

static size_t key_id(uint8_t type, const uint8_t *id, size_t n, uint8_t *out) {
    out[0] = type;
    memcpy(out + 1, id, n);
    return 1 + n;
}

static void seg_encode(hbuf *b, const xlift_seg_rec *s) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u8(b, s->state);
    hbuf_put_u8(b, s->seg);
    hbuf_append(b, s->xlift_hash.b, HANSA_HASH_BYTES);
    hbuf_put_u64(b, s->promised_height);
    hbuf_put_u64(b, s->done_height);
    credit_lift_encode(b, &s->lift);
}

static hansa_err seg_decode(const uint8_t *v, size_t vlen, xlift_seg_rec *s, wire_rd *r) {
    rd_init(r, v, vlen);
    memset(s, 0, sizeof *s);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    s->state = rd_u8(r, "state");
    s->seg = rd_u8(r, "seg");
    rd_fixed(r, s->xlift_hash.b, HANSA_HASH_BYTES, "xlift hash");
    s->promised_height = rd_u64(r, "promised height");
    s->done_height = rd_u64(r, "done height");
    credit_rd_lift(r, &s->lift);
    rd_end(r);
    if (r->err == HANSA_OK &&
        (s->state < XLIFT_PENDING || s->state > XLIFT_VOIDED || s->seg >= CREDIT_XLIFT_SEGS_MAX ||
         s->promised_height == 0 || (s->state == XLIFT_PENDING) != (s->done_height == 0) ||
         s->lift.kind != CREDIT_LIFT_LINEAR))
        rd_fail(r, HANSA_ERR_INVALID, "lift segment fields");
    return r->err;
}

static void pend_encode(hbuf *b, const xlift_pending *p) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u8(b, p->count);
    hbuf_put_u64(b, p->held[CREDIT_STOCK]);
    hbuf_put_u64(b, p->held[CREDIT_FOIL]);
}

static hansa_err pend_decode(const uint8_t *v, size_t vlen, xlift_pending *p, wire_rd *r) {
    rd_init(r, v, vlen);
    memset(p, 0, sizeof *p);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    p->count = rd_u8(r, "count");
    p->held[CREDIT_STOCK] = rd_u64(r, "held stock");
    p->held[CREDIT_FOIL] = rd_u64(r, "held foil");
    rd_end(r);
    /* Pending legs fit the grants with the balance (xlift_room): <= 2^63. */
    uint64_t max = 2 * (uint64_t)CREDIT_AMOUNT_MAX;
    if (r->err == HANSA_OK && (p->count == 0 || p->count > CREDIT_LIFT_PENDING_PER_TALLY ||
                               p->held[CREDIT_STOCK] > max || p->held[CREDIT_FOIL] > max ||
                               p->held[CREDIT_STOCK] + p->held[CREDIT_FOIL] == 0))
        rd_fail(r, HANSA_ERR_INVALID, "pending lift fields");
    return r->err;
}

static void ref_encode(hbuf *b, const xlift_ref_rec *f) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u8(b, f->n);
    for (int j = 0; j < f->n; j++) hbuf_put_u32(b, f->chains[j]);
    hbuf_put_u64(b, f->expiry_ms);
    hbuf_put_u8(b, f->promised);
    hbuf_put_u8(b, f->ruling);
    hbuf_put_u64(b, f->height);
    hbuf_put_u64(b, f->time_ms);
}

static hansa_err ref_decode(const uint8_t *v, size_t vlen, xlift_ref_rec *f, wire_rd *r) {
    rd_init(r, v, vlen);
    memset(f, 0, sizeof *f);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    f->n = rd_u8(r, "n");
    if (r->err == HANSA_OK && (f->n < 2 || f->n > CREDIT_XLIFT_SEGS_MAX)) rd_fail(r, HANSA_ERR_TOO_LONG, "n");
    for (int j = 0; j < f->n && r->err == HANSA_OK; j++) f->chains[j] = rd_u32(r, "chain");
    f->expiry_ms = rd_u64(r, "expiry");
    f->promised = rd_u8(r, "promised");
    f->ruling = rd_u8(r, "ruling");
    f->height = rd_u64(r, "height");
    f->time_ms = rd_u64(r, "time");
    rd_end(r);
    if (r->err == HANSA_OK && (f->promised >> f->n != 0 || f->ruling > CREDIT_RULING_EXPIRED ||
                               (f->ruling == 0) != (f->height == 0) ||
                               (f->ruling == CREDIT_RULING_COMMIT && f->promised != (1u << f->n) - 1)))
        rd_fail(r, HANSA_ERR_INVALID, "referee record fields");
    return r->err;
}

hansa_err xlift_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                             wire_rd *r) {
    xlift_seg_rec *s = hansa_malloc(sizeof *s);
    xlift_pending p;
    xlift_ref_rec f;
    size_t want = key[0] == KEY_REF ? 1 + HANSA_HASH_BYTES : 1 + CREDIT_ID_BYTES;
    rd_init(r, val, vlen);
    if (klen != want) rd_fail(r, HANSA_ERR_INVALID, "lift key length");
    else if (key[0] == KEY_SEG && seg_decode(val, vlen, s, r) == HANSA_OK &&
             memcmp(s->lift.lift_id.b, key + 1, CREDIT_ID_BYTES) != 0)
        rd_fail(r, HANSA_ERR_INVALID, "segment key (another id)");
    else if (key[0] == KEY_PEND) pend_decode(val, vlen, &p, r);
    else if (key[0] == KEY_REF) ref_decode(val, vlen, &f, r);
    free(s);
    return r->err;
}

/* ---- records through the block's overlay ---------------------------------------- */

static bool seg_get(const ledger_block *b, const credit_id *id, xlift_seg_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, key_id(KEY_SEG, id->b, CREDIT_ID_BYTES, key), &vlen);
    wire_rd r;
    if (v == NULL) return false;
    HANSA_ASSERT(seg_decode(v, vlen, out, &r) == HANSA_OK);
    return true;
}

static void seg_put(ledger_block *b, const xlift_seg_rec *s) {
    uint8_t key[KVMAP_KEY_MAX];
    hbuf enc = HBUF_INIT;
    seg_encode(&enc, s);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, key_id(KEY_SEG, s->lift.lift_id.b, CREDIT_ID_BYTES, key),
                  enc.data, enc.len);
    hbuf_free(&enc);
}

static void pend_get(const ledger_block *b, const credit_id *tally, xlift_pending *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, key_id(KEY_PEND, tally->b, CREDIT_ID_BYTES, key), &vlen);
    wire_rd r;
    memset(out, 0, sizeof *out);
    if (v) HANSA_ASSERT(pend_decode(v, vlen, out, &r) == HANSA_OK);
}

/* Writes it; no pending promise deletes the record. */
static void pend_put(ledger_block *b, const credit_id *tally, const xlift_pending *p) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_id(KEY_PEND, tally->b, CREDIT_ID_BYTES, key);
    if (p->count == 0) {
        stake_raw_put(b, LEDGER_TAB_CREDIT, key, klen, NULL, 0);
        return;
    }
    hbuf enc = HBUF_INIT;
    pend_encode(&enc, p);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

static bool ref_get(const ledger_block *b, const hansa_hash *h, xlift_ref_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_CREDIT, key, key_id(KEY_REF, h->b, HANSA_HASH_BYTES, key), &vlen);
    wire_rd r;
    memset(out, 0, sizeof *out);
    if (v == NULL) return false;
    HANSA_ASSERT(ref_decode(v, vlen, out, &r) == HANSA_OK);
    return true;
}

static void ref_put(ledger_block *b, const hansa_hash *h, const xlift_ref_rec *f) {
    uint8_t key[KVMAP_KEY_MAX];
    hbuf enc = HBUF_INIT;
    ref_encode(&enc, f);
    stake_raw_put(b, LEDGER_TAB_CREDIT, key, key_id(KEY_REF, h->b, HANSA_HASH_BYTES, key), enc.data, enc.len);
    hbuf_free(&enc);
}

static uint32_t own_chain(const ledger_block *b) { return b->base->params.chain_id; }

/* ---- pending promises on a tally ----------------------------------------------- */

static void hold_push(credit_holds *hs, const credit_id *tally, credit_side side, uint64_t amount) {
    if (hs->n == CREDIT_LIFT_HOLDS_MAX) return;
    hs->h[hs->n++] = (credit_hold){.tally_id = *tally, .receiver = side, .amount = amount};
}

void xlift_holds_load(const ledger_block *b, const credit_id *tally, credit_holds *hs) {
    xlift_pending p;
    pend_get(b, tally, &p);
    /* One hold per promise: the sums on the first, the rest only count. */
    int n = 0;
    if (p.held[CREDIT_STOCK] > 0) hold_push(hs, tally, CREDIT_STOCK, p.held[CREDIT_STOCK]), n++;
    if (p.held[CREDIT_FOIL] > 0) hold_push(hs, tally, CREDIT_FOIL, p.held[CREDIT_FOIL]), n++;
    for (; n < p.count; n++) hold_push(hs, tally, CREDIT_STOCK, 0);
}

hansa_err xlift_room(const ledger_block *b, const credit_tally *t, int64_t balance, char *why,
                     size_t why_len) {
    xlift_pending p;
    pend_get(b, &t->contract.tally_id, &p);
    /* A leg toward the stock raises the balance, toward the foil lowers it;
     * in 128 bits the sums are exact. */
    __int128 up = (__int128)balance + p.held[CREDIT_STOCK], down = (__int128)balance - p.held[CREDIT_FOIL];
    if (up > (__int128)t->contract.stock_grants.limit || down < -(__int128)t->contract.foil_grants.limit) {
        ledger_why(why, why_len, "pending cross-chain lifts hold %" PRIu64 " toward the stock and %" PRIu64
                   " toward the foil on this tally: a balance of %" PRId64 " leaves them no room",
                   p.held[CREDIT_STOCK], p.held[CREDIT_FOIL], balance);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

bool xlift_busy(const ledger_block *b, const credit_id *tally) {
    xlift_pending p;
    pend_get(b, tally, &p);
    return p.count > 0;
}

bool xlift_seg_exists(const ledger_block *b, const credit_id *lift_id) {
    xlift_seg_rec *s = hansa_malloc(sizeof *s);
    bool found = seg_get(b, lift_id, s);
    free(s);
    return found;
}

/* ---- the packets ------------------------------------------------------------------ */

bool xlift_pkt_type(uint8_t type) { return type == PKT_TYPE_LIFT_PROMISE || type == PKT_TYPE_LIFT_RULING; }

/* The payload of a lift packet (heap, caller frees), or NULL. */
static credit_xlift *payload_of(const pkt_send *s, uint8_t *tail, wire_rd *r) {
    credit_xlift *x = hansa_malloc(sizeof *x);
    if (credit_xlift_payload_decode(s->payload, s->payload_len, x, tail, r) == HANSA_OK &&
        (s->type == PKT_TYPE_LIFT_PROMISE ? *tail < x->n_segs
                                          : *tail == CREDIT_RULING_COMMIT || *tail == CREDIT_RULING_EXPIRED))
        return x;
    if (r && r->err == HANSA_OK) rd_fail(r, HANSA_ERR_INVALID, s->type == PKT_TYPE_LIFT_PROMISE ? "segment index" : "ruling");
    free(x);
    return NULL;
}

hansa_err xlift_payload_check(const pkt_send *s, wire_rd *r) {
    uint8_t tail;
    credit_xlift *x = payload_of(s, &tail, r);
    free(x);
    return x ? HANSA_OK : r->err;
}

/* Which side of t receives leg i of segment l. */
static credit_side receiver_of(const credit_lift *l, int i, const credit_tally *t) {
    return credit_contract_side_of(&t->contract, &l->parties[i + 1].key);
}

static hansa_err promise_check(const ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s,
                               const credit_xlift *x, uint8_t k, char *why, size_t why_len) {
    const credit_lift *l = &x->seg[k];
    if (l->parties[0].chain_id != own_chain(b)) {
        ledger_why(why, why_len, "segment %u is on chain %" PRIx32 ", not this one", k, l->parties[0].chain_id);
        return HANSA_ERR_WRONG_CHAIN;
    }
    if (s->dest_chain != l->referee_chain || s->timeout_ms != l->expiry_ms) {
        ledger_why(why, why_len, "a lift promise goes to the referee chain %" PRIx32 " with the lift's expiry "
                   "as its timeout", l->referee_chain);
        return HANSA_ERR_INVALID;
    }
    if (!pubkey_eq(&c->tx->sender, &l->parties[0].key)) {
        ledger_why(why, why_len, "a segment is promised by its first payer");
        return HANSA_ERR_INVALID;
    }
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    bool seen = credit_store_lift_get(b, &l->lift_id, rec) || xlift_seg_exists(b, &l->lift_id);
    free(rec);
    if (seen) {
        ledger_why(why, why_len, "this chain already has a lift with that id");
        return HANSA_ERR_DUPLICATE;
    }
    credit_tally *ts;
    hansa_err err = txc_lift_route(b, l, &ts, why, why_len);
    if (err != HANSA_OK) return err;
    err = txc_lift_join(b, l, ts, why, why_len);
    free(ts);
    return err;
}

static void promise_apply(ledger_block *b, const credit_xlift *x, uint8_t k) {
    const credit_lift *l = &x->seg[k];
    credit_tally *ts;
    HANSA_ASSERT(txc_lift_route(b, l, &ts, NULL, 0) == HANSA_OK);
    for (int i = 0; i < l->n_hops; i++) {
        xlift_pending p;
        pend_get(b, &l->tallies[i], &p);
        p.count++;
        p.held[receiver_of(l, i, &ts[i])] += l->amount;
        pend_put(b, &l->tallies[i], &p);
    }
    free(ts);
    xlift_seg_rec *s = hansa_malloc(sizeof *s);
    *s = (xlift_seg_rec){.state = XLIFT_PENDING, .seg = k, .promised_height = b->info.height, .lift = *l};
    credit_xlift_hash(x, &s->xlift_hash);
    seg_put(b, s);
    free(s);
}

static hansa_err ruling_check(const ledger_block *b, const pkt_send *s, const credit_xlift *x,
                              uint8_t outcome, char *why, size_t why_len) {
    if (x->seg[0].referee_chain != own_chain(b) || credit_xlift_seg_on(x, s->dest_chain) < 0) {
        ledger_why(why, why_len, "a lift ruling goes from its referee chain to one of its segments' chains");
        return HANSA_ERR_INVALID;
    }
    hansa_hash h;
    credit_xlift_hash(x, &h);
    xlift_ref_rec f;
    uint8_t ruling = ref_get(b, &h, &f) ? f.ruling : 0;
    if (ruling == 0 && b->info.time_ms < x->seg[0].expiry_ms) {
        ledger_why(why, why_len, "no ruling yet: the lift may still commit until %" PRIu64 " (now %" PRIu64 ")",
                   x->seg[0].expiry_ms, b->info.time_ms);
        return HANSA_ERR_STATE;
    }
    /* Asked at or after the expiry with no ruling: it rules EXPIRED now. */
    if (ruling == 0) ruling = CREDIT_RULING_EXPIRED;
    if (outcome != ruling) {
        ledger_why(why, why_len, "the referee's ruling is %s", ruling == CREDIT_RULING_COMMIT ? "commit" : "expired");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

static void ref_init(const credit_xlift *x, xlift_ref_rec *f) {
    memset(f, 0, sizeof *f);
    f->n = x->n_segs;
    for (int j = 0; j < x->n_segs; j++) f->chains[j] = x->seg[j].parties[0].chain_id;
    f->expiry_ms = x->seg[0].expiry_ms;
}

static void ruling_apply(ledger_block *b, const credit_xlift *x) {
    hansa_hash h;
    credit_xlift_hash(x, &h);
    xlift_ref_rec f;
    if (!ref_get(b, &h, &f)) ref_init(x, &f);
    if (f.ruling != 0) return;
    f.ruling = CREDIT_RULING_EXPIRED;
    f.height = b->info.height;
    f.time_ms = b->info.time_ms;
    ref_put(b, &h, &f);
}

hansa_err xlift_send_check(const ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s,
                           char *why, size_t why_len) {
    uint8_t tail;
    credit_xlift *x = payload_of(s, &tail, NULL);
    HANSA_ASSERT(x != NULL);
    hansa_err err = s->type == PKT_TYPE_LIFT_PROMISE ? promise_check(b, c, s, x, tail, why, why_len)
                                                     : ruling_check(b, s, x, tail, why, why_len);
    free(x);
    return err;
}

void xlift_send_apply(ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s) {
    (void)c;
    uint8_t tail;
    credit_xlift *x = payload_of(s, &tail, NULL);
    HANSA_ASSERT(x != NULL);
    if (s->type == PKT_TYPE_LIFT_PROMISE) promise_apply(b, x, tail);
    else ruling_apply(b, x);
    free(x);
}

/* A proven packet from src: a promise of src's segment to this referee
 * chain, or the referee chain's ruling to this segment chain. The source
 * chain checked the rest when it committed the send. */
uint8_t xlift_recv_outcome(const ledger_block *b, uint32_t src, const pkt_send *s) {
    uint8_t tail;
    credit_xlift *x = payload_of(s, &tail, NULL);
    if (x == NULL) return PKT_REFUSED_TYPE;
    bool fits = s->type == PKT_TYPE_LIFT_PROMISE
                    ? x->seg[0].referee_chain == own_chain(b) && x->seg[tail].parties[0].chain_id == src
                    : x->seg[0].referee_chain == src && credit_xlift_seg_on(x, own_chain(b)) >= 0;
    free(x);
    if (!fits) return PKT_REFUSED_TYPE;
    return b->info.time_ms >= s->timeout_ms ? PKT_REFUSED_TIMEOUT : PKT_OK;
}

/* The referee notes a promise; the last one before the expiry commits. */
static void promise_recv(ledger_block *b, const credit_xlift *x, uint8_t k) {
    hansa_hash h;
    credit_xlift_hash(x, &h);
    xlift_ref_rec f;
    if (!ref_get(b, &h, &f)) ref_init(x, &f);
    f.promised |= (uint8_t)(1u << k);
    if (f.ruling == 0 && f.promised == (1u << f.n) - 1 && b->info.time_ms < f.expiry_ms) {
        f.ruling = CREDIT_RULING_COMMIT;
        f.height = b->info.height;
        f.time_ms = b->info.time_ms;
    }
    ref_put(b, &h, &f);
}

/* A segment chain finalizes or voids its pending segment on the ruling. */
static void ruling_recv(ledger_block *b, const credit_xlift *x, uint8_t outcome) {
    int k = credit_xlift_seg_on(x, own_chain(b));
    xlift_seg_rec *s = hansa_malloc(sizeof *s);
    hansa_hash h;
    credit_xlift_hash(x, &h);
    if (!seg_get(b, &x->seg[k].lift_id, s) || s->state != XLIFT_PENDING || !hash_eq(&s->xlift_hash, &h)) {
        free(s);
        return;
    }
    const credit_lift *l = &s->lift;
    credit_tally *ts;
    HANSA_ASSERT(txc_lift_route(b, l, &ts, NULL, 0) == HANSA_OK);
    for (int i = 0; i < l->n_hops; i++) {
        xlift_pending p;
        pend_get(b, &l->tallies[i], &p);
        credit_side r = receiver_of(l, i, &ts[i]);
        HANSA_ASSERT(p.count > 0 && p.held[r] >= l->amount);
        p.count--;
        p.held[r] -= l->amount;
        pend_put(b, &l->tallies[i], &p);
    }
    if (outcome == CREDIT_RULING_COMMIT) txc_lift_book(b, l, ts);
    free(ts);
    s->state = outcome == CREDIT_RULING_COMMIT ? XLIFT_COMMITTED : XLIFT_VOIDED;
    s->done_height = b->info.height;
    seg_put(b, s);
    free(s);
}

void xlift_recv_apply(ledger_block *b, uint32_t src, const pkt_send *s) {
    (void)src;
    uint8_t tail;
    credit_xlift *x = payload_of(s, &tail, NULL);
    HANSA_ASSERT(x != NULL);
    if (s->type == PKT_TYPE_LIFT_PROMISE) promise_recv(b, x, tail);
    else ruling_recv(b, x, tail);
    free(x);
}

/* ---- reads and the checker ------------------------------------------------------ */

static const kvmap_slot *committed(const ledger_state *s, const uint8_t *key, size_t klen) {
    const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_CREDIT], key, klen);
    return slot != NULL && !slot->deleted ? slot : NULL;
}

bool ledger_xlift_seg_get(const ledger_state *s, const credit_id *lift_id, xlift_seg_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, key_id(KEY_SEG, lift_id->b, CREDIT_ID_BYTES, key));
    wire_rd r;
    if (slot == NULL) return false;
    HANSA_ASSERT(seg_decode(slot->val, slot->vlen, out, &r) == HANSA_OK);
    return true;
}

bool ledger_xlift_ref_get(const ledger_state *s, const hansa_hash *xlift_hash, xlift_ref_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    const kvmap_slot *slot = committed(s, key, key_id(KEY_REF, xlift_hash->b, HANSA_HASH_BYTES, key));
    wire_rd r;
    if (slot == NULL) return false;
    HANSA_ASSERT(ref_decode(slot->val, slot->vlen, out, &r) == HANSA_OK);
    return true;
}

/* What the pending segments hold on one tally, recomputed. */
typedef struct {
    credit_id tally;
    xlift_pending p;
} pend_sum;

static pend_sum *sum_for(pend_sum **v, size_t *n, const credit_id *tally) {
    for (size_t i = 0; i < *n; i++)
        if (credit_id_eq(&(*v)[i].tally, tally)) return &(*v)[i];
    *v = hansa_realloc(*v, (*n + 1) * sizeof **v);
    memset(&(*v)[*n], 0, sizeof **v);
    (*v)[*n].tally = *tally;
    return &(*v)[(*n)++];
}

hansa_err ledger_xlift_check(const ledger_state *s, char *why, size_t why_len) {
    const kvmap *m = &s->tabs[LEDGER_TAB_CREDIT];
    pend_sum *sums = NULL;
    size_t n_sums = 0, n_pend = 0;
    hansa_err err = HANSA_OK;
    xlift_seg_rec *seg = hansa_malloc(sizeof *seg);
    credit_tally *t = hansa_malloc(sizeof *t);
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    for (size_t i = 0; i < m->cap && err == HANSA_OK; i++) {
        const kvmap_slot *sl = &m->slots[i];
        if (!sl->used || sl->deleted) continue;
        wire_rd r;
        if (sl->key[0] == KEY_PEND) n_pend++;
        if (sl->key[0] != KEY_SEG) continue;
        HANSA_ASSERT(seg_decode(sl->val, sl->vlen, seg, &r) == HANSA_OK);
        if (seg->state == XLIFT_COMMITTED &&
            !(ledger_lift_get(s, &seg->lift.lift_id, rec) && rec->outcome == CREDIT_RULING_COMMIT)) {
            ledger_why(why, why_len, "a committed lift segment has no lift record");
            err = HANSA_ERR_CORRUPT;
        }
        for (int h = 0; h < seg->lift.n_hops && seg->state == XLIFT_PENDING && err == HANSA_OK; h++) {
            if (!ledger_tally_get(s, &seg->lift.tallies[h], t)) {
                ledger_why(why, why_len, "a pending lift segment names no tally");
                err = HANSA_ERR_CORRUPT;
                break;
            }
            pend_sum *ps = sum_for(&sums, &n_sums, &seg->lift.tallies[h]);
            ps->p.count++;
            ps->p.held[credit_contract_side_of(&t->contract, &seg->lift.parties[h + 1].key)] += seg->lift.amount;
        }
    }
    for (size_t i = 0; i < n_sums && err == HANSA_OK; i++) {
        uint8_t key[KVMAP_KEY_MAX];
        const kvmap_slot *sl = committed(s, key, key_id(KEY_PEND, sums[i].tally.b, CREDIT_ID_BYTES, key));
        xlift_pending p;
        wire_rd r;
        if (sl == NULL || pend_decode(sl->val, sl->vlen, &p, &r) != HANSA_OK || p.count != sums[i].p.count ||
            p.held[CREDIT_STOCK] != sums[i].p.held[CREDIT_STOCK] || p.held[CREDIT_FOIL] != sums[i].p.held[CREDIT_FOIL]) {
            ledger_why(why, why_len, "a tally's pending lift record is not the sum of the pending segments on it");
            err = HANSA_ERR_CORRUPT;
        }
    }
    if (err == HANSA_OK && n_pend != n_sums) {
        ledger_why(why, why_len, "%zu pending lift records, %zu tallies with pending segments", n_pend, n_sums);
        err = HANSA_ERR_CORRUPT;
    }
    free(sums);
    free(seg);
    free(t);
    free(rec);
    return err;
}
