/* stake.c — see stake.h: delegate record keys and codecs, and reads/writes
 * through the pending block's overlay. */
#include "ledger/stake.h"

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/address.h"
#include "ledger/block.h"
#include "ledger/client.h"
#include "ledger/record.h"
#include "ledger/credit_rec.h"
#include "ledger/tx_receipt.h"
#include "ledger/tx_frost.h"
#include "ledger/xfer.h"

#define KEY_CAND_BYTES (1 + HANSA_PUBKEY_BYTES)
#define KEY_VOTE_BYTES (1 + HANSA_ADDR_BYTES + HANSA_PUBKEY_BYTES)
#define KEY_UNBOND_BYTES (1 + 8 + HANSA_ADDR_BYTES + HANSA_PUBKEY_BYTES)
#define KEY_HASH_BYTES (1 + HANSA_HASH_BYTES)
#define KEY_UPVOTE_BYTES (1 + HANSA_HASH_BYTES + HANSA_ADDR_BYTES)
#define KEY_BONDER_BYTES (1 + HANSA_ADDR_BYTES)
#define VAL_CAND_BYTES 26
#define VAL_U64_BYTES 9
#define VAL_UPGRADE_BYTES 41
#define VAL_LIVENESS_BYTES (3 + LEDGER_LIVENESS_BITS_BYTES)

static const size_t key_bytes[LEDGER_TAB_COUNT_] = {
    KEY_CAND_BYTES,  KEY_VOTE_BYTES,   KEY_UNBOND_BYTES, KEY_HASH_BYTES,
    KEY_HASH_BYTES,  KEY_UPVOTE_BYTES, KEY_BONDER_BYTES, KEY_CAND_BYTES,
    0, /* credit: keys of several lengths, checked by tx_credit.c */
    CLIENT_KEY_BYTES, CLIENT_KEY_CONSENSUS_BYTES, CLIENT_KEY_BYTES, CLIENT_KEY_BYTES,
    CLIENT_KEY_VOTE_BYTES,
    0, 0, /* receipts: checked by tx_receipt.c */
    0,    /* xfer: checked by xfer.c */
    0,    /* frost: checked by tx_frost.c */
};

uint8_t stake_tab_key_byte(ledger_tab tab) {
    HANSA_ASSERT(tab < LEDGER_TAB_COUNT_);
    /* credit and receipt keys carry their own type bytes */
    HANSA_ASSERT(tab != LEDGER_TAB_CREDIT && tab < LEDGER_TAB_RECEIPT); /* and xfer, frost */
    if (tab >= LEDGER_TAB_IC_CLIENT) return (uint8_t)(LEDGER_TAB_IC_KEY_BASE + (tab - LEDGER_TAB_IC_CLIENT));
    return (uint8_t)(LEDGER_TAB_KEY_BASE + tab);
}

static size_t key2(ledger_tab t, const void *a, size_t al, const void *b, size_t bl, uint8_t *out) {
    out[0] = stake_tab_key_byte(t);
    memcpy(out + 1, a, al);
    if (bl) memcpy(out + 1 + al, b, bl);
    HANSA_ASSERT(1 + al + bl == key_bytes[t]);
    return 1 + al + bl;
}

size_t stake_key_candidate(const hansa_pubkey *pk, uint8_t *out) {
    return key2(LEDGER_TAB_CANDIDATE, pk->b, HANSA_PUBKEY_BYTES, NULL, 0, out);
}
size_t stake_key_vote(const hansa_addr *voter, const hansa_pubkey *cand, uint8_t *out) {
    return key2(LEDGER_TAB_VOTE, voter->b, HANSA_ADDR_BYTES, cand->b, HANSA_PUBKEY_BYTES, out);
}
size_t stake_key_unbond(uint64_t release, const hansa_addr *who, const hansa_pubkey *cand,
                        uint8_t *out) {
    uint8_t mid[8 + HANSA_ADDR_BYTES];
    for (int i = 0; i < 8; i++) mid[i] = (uint8_t)(release >> (56 - 8 * i));
    memcpy(mid + 8, who->b, HANSA_ADDR_BYTES);
    return key2(LEDGER_TAB_UNBOND, mid, sizeof mid, cand->b, HANSA_PUBKEY_BYTES, out);
}
size_t stake_key_hash(ledger_tab tab, const hansa_hash *h, uint8_t *out) {
    HANSA_ASSERT(tab == LEDGER_TAB_EVIDENCE || tab == LEDGER_TAB_UPGRADE);
    return key2(tab, h->b, HANSA_HASH_BYTES, NULL, 0, out);
}
size_t stake_key_upgrade_vote(const hansa_hash *h, const hansa_addr *voter, uint8_t *out) {
    return key2(LEDGER_TAB_UPGRADE_VOTE, h->b, HANSA_HASH_BYTES, voter->b, HANSA_ADDR_BYTES, out);
}
size_t stake_key_bonder(const hansa_addr *a, uint8_t *out) {
    return key2(LEDGER_TAB_BONDER, a->b, HANSA_ADDR_BYTES, NULL, 0, out);
}
size_t stake_key_liveness(const hansa_pubkey *pk, uint8_t *out) {
    return key2(LEDGER_TAB_LIVENESS, pk->b, HANSA_PUBKEY_BYTES, NULL, 0, out);
}

int stake_tab_of_key(const uint8_t *key, size_t klen) {
    if (klen == 0) return -1;
    if (key[0] >= LEDGER_CREDIT_KEY_FIRST && key[0] <= LEDGER_CREDIT_KEY_LAST)
        return LEDGER_TAB_CREDIT;
    if (key[0] >= LEDGER_RECEIPT_KEY_FIRST && key[0] <= LEDGER_RECEIPT_KEY_LAST)
        return key[0] == LEDGER_RECEIPT_KEY_RELEASE ? LEDGER_TAB_RECEIPT_RELEASE
               : key[0] == LEDGER_RECEIPT_KEY_ROOT  ? LEDGER_TAB_RECEIPT_ROOT
                                                    : LEDGER_TAB_RECEIPT;
    if (key[0] >= XFER_KEY_FIRST && key[0] <= XFER_KEY_LAST) return LEDGER_TAB_XFER;
    if (key[0] >= FROST_KEY_FIRST && key[0] <= FROST_KEY_LAST) return LEDGER_TAB_FROST;
    for (int t = 0; t <= LEDGER_TAB_IC_VOTE; t++)
        if (t != LEDGER_TAB_CREDIT && key[0] == stake_tab_key_byte((ledger_tab)t)) return t;
    return -1;
}

/* ---- codecs ---------------------------------------------------------------- */

void stake_candidate_encode(hbuf *b, const ledger_candidate *c) {
    HANSA_ASSERT((c->jailed_at == 0) == !(c->flags & LEDGER_CAND_JAILED));
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, c->self_bond);
    hbuf_put_u64(b, c->voted);
    hbuf_put_u8(b, c->flags);
    hbuf_put_u64(b, c->jailed_at);
}

void stake_candidate_decode(const uint8_t *v, ledger_candidate *out) {
    out->self_bond = le64_load(v + 1);
    out->voted = le64_load(v + 9);
    out->flags = v[17];
    out->jailed_at = le64_load(v + 18);
}

void stake_u64_encode(hbuf *b, uint64_t x) {
    HANSA_ASSERT(x > 0);
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, x);
}

void stake_upgrade_encode(hbuf *b, const ledger_upgrade *u) {
    HANSA_ASSERT(u->proposed_at > 0);
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, u->proposed_at);
    hbuf_put_u64(b, u->ratified_at);
    hbuf_put_u64(b, u->closed_at);
    hbuf_put_u64(b, u->approvals);
    hbuf_put_u64(b, u->approval_weight);
}

void stake_liveness_encode(hbuf *b, const ledger_liveness *l) {
    HANSA_ASSERT(l->missed > 0);
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u16(b, l->missed);
    hbuf_append(b, l->bits, LEDGER_LIVENESS_BITS_BYTES);
}

static unsigned popcount_bits(const uint8_t *bits) {
    unsigned n = 0;
    for (size_t i = 0; i < LEDGER_LIVENESS_BITS_BYTES; i++) n += (unsigned)__builtin_popcount(bits[i]);
    return n;
}

static void check_candidate(wire_rd *r) {
    uint64_t self = rd_u64(r, "self_bond"), voted = rd_u64(r, "voted"), sum;
    uint8_t flags = rd_u8(r, "flags");
    uint64_t jailed_at = rd_u64(r, "jailed_at");
    if (r->err != HANSA_OK) return;
    if (!u64_add(self, voted, &sum)) rd_fail(r, HANSA_ERR_OVERFLOW, "voted");
    else if (flags & ~(LEDGER_CAND_JAILED | LEDGER_CAND_TOMBSTONED)) rd_fail(r, HANSA_ERR_INVALID, "flags");
    else if ((flags & LEDGER_CAND_TOMBSTONED) && !(flags & LEDGER_CAND_JAILED))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "flags (tombstoned but not jailed)");
    else if ((jailed_at == 0) != !(flags & LEDGER_CAND_JAILED))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "jailed_at");
    else if (sum == 0 && flags == 0)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "candidate (an empty candidate is never stored)");
}

static void check_liveness(wire_rd *r) {
    uint16_t missed = rd_u16(r, "missed");
    uint8_t bits[LEDGER_LIVENESS_BITS_BYTES];
    rd_fixed(r, bits, sizeof bits, "bits");
    if (r->err == HANSA_OK && (missed == 0 || missed != popcount_bits(bits)))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "missed");
}

static void check_value(ledger_tab tab, wire_rd *r) {
    switch (tab) {
    case LEDGER_TAB_CANDIDATE: check_candidate(r); break;
    case LEDGER_TAB_VOTE:
    case LEDGER_TAB_UNBOND:
    case LEDGER_TAB_EVIDENCE:
    case LEDGER_TAB_BONDER:
        if (rd_u64(r, "value") == 0 && r->err == HANSA_OK) rd_fail(r, HANSA_ERR_NONCANONICAL, "value 0");
        break;
    case LEDGER_TAB_UPGRADE: {
        uint64_t at = rd_u64(r, "proposed_at"), rat = rd_u64(r, "ratified_at");
        uint64_t closed = rd_u64(r, "closed_at"), n = rd_u64(r, "approvals"), w = rd_u64(r, "weight");
        if (r->err == HANSA_OK && (at == 0 || (rat != 0 && (rat < at || closed != rat)) ||
                                   (closed != 0 && closed < at)))
            rd_fail(r, HANSA_ERR_INVALID, "upgrade heights");
        else if (r->err == HANSA_OK && closed == 0 && (n != 0 || w != 0))
            rd_fail(r, HANSA_ERR_NONCANONICAL, "tally of an open proposal");
        break;
    }
    case LEDGER_TAB_UPGRADE_VOTE: break;
    case LEDGER_TAB_LIVENESS: check_liveness(r); break;
    case LEDGER_TAB_CREDIT:
    case LEDGER_TAB_RECEIPT:
    case LEDGER_TAB_RECEIPT_RELEASE:
    case LEDGER_TAB_RECEIPT_ROOT:
    case LEDGER_TAB_XFER:
    case LEDGER_TAB_FROST:
    case LEDGER_TAB_IC_CLIENT:
    case LEDGER_TAB_IC_CONSENSUS:
    case LEDGER_TAB_IC_EVIDENCE:
    case LEDGER_TAB_IC_REVIVAL:
    case LEDGER_TAB_IC_VOTE: HANSA_UNREACHABLE(); /* client_record_check */
    case LEDGER_TAB_COUNT_: HANSA_UNREACHABLE();
    }
}

hansa_err stake_record_check(ledger_tab tab, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen, wire_rd *r) {
    HANSA_ASSERT(tab < LEDGER_TAB_COUNT_);
    if (tab == LEDGER_TAB_CREDIT) return ledger_credit_record_check(key, klen, val, vlen, r);
    if (tab == LEDGER_TAB_XFER) return xfer_record_check(key, klen, val, vlen, r);
    if (tab == LEDGER_TAB_FROST) return frost_record_check(key, klen, val, vlen, r);
    if (tab == LEDGER_TAB_RECEIPT || tab == LEDGER_TAB_RECEIPT_RELEASE ||
        tab == LEDGER_TAB_RECEIPT_ROOT) {
        if (stake_tab_of_key(key, klen) != (int)tab) {
            rd_init(r, val, vlen);
            rd_fail(r, HANSA_ERR_INVALID, "key type");
            return r->err;
        }
        return ledger_receipt_record_check(key, klen, val, vlen, r);
    }
    rd_init(r, val, vlen);
    if (klen != key_bytes[tab] || key[0] != stake_tab_key_byte(tab)) {
        rd_fail(r, HANSA_ERR_INVALID, "key length");
        return r->err;
    }
    if (tab >= LEDGER_TAB_IC_CLIENT) return client_record_check(tab, key, klen, val, vlen, r);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    if (r->err == HANSA_OK) check_value(tab, r);
    rd_end(r);
    return r->err;
}

/* ---- overlay access ------------------------------------------------------- */

/* The value of key as b sees it, or NULL (absent or deleted by b). */
static const uint8_t *lookup(const ledger_block *b, ledger_tab tab, const uint8_t *key,
                             size_t klen, size_t *vlen) {
    const kvmap_slot *s = kvmap_get(&b->tabs[tab], key, klen);
    if (s == NULL) s = kvmap_get(&b->base->tabs[tab], key, klen);
    else if (s->deleted) return NULL;
    if (s == NULL) return NULL;
    *vlen = s->vlen;
    return s->val;
}

const uint8_t *stake_raw_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen,
                             size_t *vlen) {
    return lookup(b, tab, key, klen, vlen);
}

void stake_raw_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen,
                   const uint8_t *val, size_t vlen) {
    HANSA_ASSERT(!b->finished);
    if (vlen > 0) kvmap_put(&b->tabs[tab], key, klen, val, vlen);
    else kvmap_mark_deleted(&b->tabs[tab], key, klen);
}

/* Writes an encoded value (or deletes when enc->len == 0) into the overlay. */
static void store_val(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen,
                      const hbuf *enc) {
    HANSA_ASSERT(!b->finished);
    if (enc->len > 0) kvmap_put(&b->tabs[tab], key, klen, enc->data, enc->len);
    else kvmap_mark_deleted(&b->tabs[tab], key, klen);
}

bool stake_candidate_get(const ledger_block *b, const hansa_pubkey *pk, ledger_candidate *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_candidate(pk, key), vlen;
    const uint8_t *v = lookup(b, LEDGER_TAB_CANDIDATE, key, klen, &vlen);
    memset(out, 0, sizeof *out);
    if (v == NULL) return false;
    HANSA_ASSERT(vlen == VAL_CAND_BYTES);
    stake_candidate_decode(v, out);
    return true;
}

void stake_candidate_put(ledger_block *b, const hansa_pubkey *pk, const ledger_candidate *c) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_candidate(pk, key);
    hbuf enc = HBUF_INIT;
    if (c->self_bond != 0 || c->voted != 0 || c->flags != 0) stake_candidate_encode(&enc, c);
    store_val(b, LEDGER_TAB_CANDIDATE, key, klen, &enc);
    hbuf_free(&enc);
}

uint64_t stake_candidate_weight(const ledger_candidate *c) {
    uint64_t w;
    HANSA_ASSERT(u64_add(c->self_bond, c->voted, &w));
    return w;
}

uint64_t stake_u64_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen) {
    size_t vlen;
    const uint8_t *v = lookup(b, tab, key, klen, &vlen);
    if (v == NULL) return 0;
    HANSA_ASSERT(vlen == VAL_U64_BYTES);
    return le64_load(v + 1);
}

void stake_u64_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen, uint64_t x) {
    hbuf enc = HBUF_INIT;
    if (x > 0) stake_u64_encode(&enc, x);
    store_val(b, tab, key, klen, &enc);
    hbuf_free(&enc);
}

bool stake_upgrade_get(const ledger_block *b, const hansa_hash *h, ledger_upgrade *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_hash(LEDGER_TAB_UPGRADE, h, key), vlen;
    const uint8_t *v = lookup(b, LEDGER_TAB_UPGRADE, key, klen, &vlen);
    memset(out, 0, sizeof *out);
    if (v == NULL) return false;
    HANSA_ASSERT(vlen == VAL_UPGRADE_BYTES);
    out->proposed_at = le64_load(v + 1);
    out->ratified_at = le64_load(v + 9);
    out->closed_at = le64_load(v + 17);
    out->approvals = le64_load(v + 25);
    out->approval_weight = le64_load(v + 33);
    return true;
}

void stake_upgrade_put(ledger_block *b, const hansa_hash *h, const ledger_upgrade *u) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_hash(LEDGER_TAB_UPGRADE, h, key);
    hbuf enc = HBUF_INIT;
    stake_upgrade_encode(&enc, u);
    store_val(b, LEDGER_TAB_UPGRADE, key, klen, &enc);
    hbuf_free(&enc);
}

bool stake_flag_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen) {
    size_t vlen;
    return lookup(b, tab, key, klen, &vlen) != NULL;
}

void stake_flag_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen) {
    hbuf enc = HBUF_INIT;
    hbuf_put_u8(&enc, LEDGER_RECORD_VERSION);
    store_val(b, tab, key, klen, &enc);
    hbuf_free(&enc);
}

void stake_flag_del(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen) {
    hbuf none = HBUF_INIT;
    store_val(b, tab, key, klen, &none);
}

bool stake_liveness_get(const ledger_block *b, const hansa_pubkey *pk, ledger_liveness *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_liveness(pk, key), vlen;
    const uint8_t *v = lookup(b, LEDGER_TAB_LIVENESS, key, klen, &vlen);
    memset(out, 0, sizeof *out);
    if (v == NULL) return false;
    stake_liveness_decode(v, vlen, out);
    return true;
}

void stake_liveness_decode(const uint8_t *v, size_t vlen, ledger_liveness *out) {
    HANSA_ASSERT(vlen == VAL_LIVENESS_BYTES);
    out->missed = le16_load(v + 1);
    memcpy(out->bits, v + 3, LEDGER_LIVENESS_BITS_BYTES);
}

void stake_liveness_put(ledger_block *b, const hansa_pubkey *pk, const ledger_liveness *l) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_liveness(pk, key);
    hbuf enc = HBUF_INIT;
    if (l->missed > 0) stake_liveness_encode(&enc, l);
    store_val(b, LEDGER_TAB_LIVENESS, key, klen, &enc);
    hbuf_free(&enc);
}


void stake_iter(const ledger_block *b, ledger_tab tab, stake_iter_fn fn, void *ctx) {
    const kvmap *ov = &b->tabs[tab], *base = &b->base->tabs[tab];
    for (size_t i = 0; i < base->cap; i++) {
        const kvmap_slot *s = &base->slots[i];
        if (s->used && kvmap_get(ov, s->key, s->klen) == NULL) fn(ctx, s->key, s->klen, s->val, s->vlen);
    }
    for (size_t i = 0; i < ov->cap; i++) {
        const kvmap_slot *s = &ov->slots[i];
        if (s->used && !s->deleted) fn(ctx, s->key, s->klen, s->val, s->vlen);
    }
}

/* ---- bonds ------------------------------------------------------------------ */

static void bonder_adjust(ledger_block *b, const hansa_addr *who, uint64_t add, uint64_t sub) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_bonder(who, key);
    uint64_t x = stake_u64_get(b, LEDGER_TAB_BONDER, key, klen);
    HANSA_ASSERT(u64_add(x, add, &x));
    HANSA_ASSERT(u64_sub(x, sub, &x));
    stake_u64_put(b, LEDGER_TAB_BONDER, key, klen, x);
}

void stake_bond_add(ledger_block *b, const hansa_addr *who, const hansa_pubkey *cand, bool self,
                    uint64_t amount) {
    ledger_candidate c;
    stake_candidate_get(b, cand, &c);
    if (self) {
        HANSA_ASSERT(u64_add(c.self_bond, amount, &c.self_bond));
    } else {
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = stake_key_vote(who, cand, key);
        uint64_t v = stake_u64_get(b, LEDGER_TAB_VOTE, key, klen);
        HANSA_ASSERT(u64_add(v, amount, &v));
        stake_u64_put(b, LEDGER_TAB_VOTE, key, klen, v);
        HANSA_ASSERT(u64_add(c.voted, amount, &c.voted));
    }
    stake_candidate_put(b, cand, &c);
    bonder_adjust(b, who, amount, 0);
    HANSA_ASSERT(u64_add(b->supply.bonded, amount, &b->supply.bonded));
}

void stake_bond_sub(ledger_block *b, const hansa_addr *who, const hansa_pubkey *cand, bool self,
                    uint64_t amount) {
    ledger_candidate c;
    stake_candidate_get(b, cand, &c);
    if (self) {
        HANSA_ASSERT(u64_sub(c.self_bond, amount, &c.self_bond));
    } else {
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = stake_key_vote(who, cand, key);
        uint64_t v = stake_u64_get(b, LEDGER_TAB_VOTE, key, klen);
        HANSA_ASSERT(u64_sub(v, amount, &v));
        stake_u64_put(b, LEDGER_TAB_VOTE, key, klen, v);
        HANSA_ASSERT(u64_sub(c.voted, amount, &c.voted));
    }
    stake_candidate_put(b, cand, &c);
    bonder_adjust(b, who, 0, amount);
    HANSA_ASSERT(u64_sub(b->supply.bonded, amount, &b->supply.bonded));
}

void stake_unbond_add(ledger_block *b, uint64_t release, const hansa_addr *who,
                      const hansa_pubkey *cand, uint64_t amount) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_unbond(release, who, cand, key);
    uint64_t v = stake_u64_get(b, LEDGER_TAB_UNBOND, key, klen);
    HANSA_ASSERT(u64_add(v, amount, &v));
    stake_u64_put(b, LEDGER_TAB_UNBOND, key, klen, v);
    HANSA_ASSERT(u64_add(b->supply.unbonding, amount, &b->supply.unbonding));
}
