/* tx_frost.c — the ledger's DKG transactions, their records and the group
 * key (see tx_frost.h). The pure checks come first, then the records, the
 * two transaction rows, the window's close at block finish and the reads. */
#include "ledger/tx_frost.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/elect.h"
#include "ledger/stake.h"
#include "ledger/state.h"
#include "wire/codec.h"
#include "wire/frost_rd.h"

_Static_assert(FROST_GROUP_REC_VERSION == LEDGER_RECORD_VERSION, "record 59 keeps the ledger's record version");
_Static_assert(FROST_GROUP_QUAL_BYTES == DKG_BITMAP_BYTES, "record 59's bitmap is the DKG's");

static hansa_err refuse(const char **why, hansa_err e, const char *msg) {
    if (why) *why = msg;
    return e;
}

hansa_err frost_tx_check_commit(const dkg_context *ctx, const hansa_pubkey *sender,
                                const uint8_t *p, size_t len, dkg_commit_body *out,
                                const char **why) {
    dkg_msg m;
    wire_rd r;
    hansa_err e = dkg_msg_decode(p, len, &m, &r);
    if (e != HANSA_OK) return refuse(why, e, "dkg tx: malformed dkg message");
    if (m.kind != DKG_MSG_COMMIT) return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: not a COMMIT");
    hansa_hash sid;
    dkg_session_id(ctx, &sid);
    if (!hash_eq(&sid, &m.session))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: not this validator set's session");
    const dkg_commit_body *c = &m.u.commit;
    if (c->dealer < 1 || c->dealer > ctx->n)
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: dealer outside the set");
    if (!pubkey_eq(&ctx->members[c->dealer - 1], sender))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: sender is not the delegate it names");
    if (c->t != dkg_threshold(ctx->n))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: commitment length is not the threshold");
    hbuf b = HBUF_INIT;
    dkg_msg_sign_bytes(&b, &m);
    bool ok = verify_domain(sender, DKG_DOMAIN, b.data, b.len, &c->sig);
    hbuf_free(&b);
    if (!ok) return refuse(why, HANSA_ERR_BAD_SIG, "dkg tx: bad signature");
    if (!frost_pok_verify(c->dealer, sid.b, HANSA_HASH_BYTES, &c->commits[0], &c->pok))
        return refuse(why, HANSA_ERR_CRYPTO, "dkg tx: proof of knowledge does not verify");
    *out = *c;
    return HANSA_OK;
}

hansa_err frost_tx_group_key(uint16_t n, const frost_point *c0, const uint8_t *qual,
                             frost_point *out, const char **why) {
    frost_point q[FROST_PARTICIPANTS_MAX];
    uint16_t count = 0;
    for (uint16_t d = 1; d <= n; d++)
        if (dkg_bitmap_get(qual, d)) q[count++] = c0[d - 1];
    if (count < dkg_threshold(n))
        return refuse(why, HANSA_ERR_STATE, "group key: fewer qualified dealers than the threshold");
    /* Summed whole, as every session's frost_group_build does: two dealers
     * committing x*G and -x*G make a partial sum the identity, not the key. */
    if (!frost_point_sum(q, count, out))
        return refuse(why, HANSA_ERR_STATE, "group key: the sum is the identity");
    return HANSA_OK;
}

bool frost_set_keyable(const uint64_t *power, uint16_t n) {
    HANSA_ASSERT(n >= 1 && n <= FROST_PARTICIPANTS_MAX);
    uint64_t sorted[FROST_PARTICIPANTS_MAX];
    memcpy(sorted, power, n * sizeof *power);
    for (uint16_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (uint16_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint64_t x = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = x;
        }
    unsigned __int128 least = 0, total = 0;
    uint16_t t = dkg_threshold(n);
    for (uint16_t i = 0; i < n; i++) {
        total += sorted[i];
        if (i < t) least += sorted[i];
    }
    return 3 * least > 2 * total;
}

/* ---- the epoch ------------------------------------------------------------------ */

void frost_epoch_of_set(const ledger_state *s, const wire_valset *set, uint64_t activation,
                        frost_epoch *out) {
    memset(out, 0, sizeof *out);
    HANSA_ASSERT(set->n >= 1);
    HANSA_ASSERT(set->n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(activation >= 1);
    for (uint16_t i = 0; i < set->n; i++) {
        out->members[i] = set->v[i].pubkey;
        out->power[i] = set->v[i].power;
    }
    wire_valset_hash(set, &out->ctx.valset_hash);
    out->ctx.chain_id = ledger_state_params(s)->chain_id;
    out->ctx.epoch = activation;
    out->ctx.n = set->n;
    out->ctx.members = out->members;
    uint64_t a = activation;
    out->timing = (dkg_timing){a + FROST_DKG_COMMIT_BLOCKS, a + FROST_DKG_SHARE_BLOCKS,
                               a + FROST_DKG_COMPLAINT_BLOCKS, a + FROST_DKG_REVEAL_BLOCKS};
    out->keyable = frost_set_keyable(out->power, set->n);
}

void frost_epoch_of(const ledger_state *s, frost_epoch *out) {
    uint64_t a = 0;
    const ledger_validators *v = ledger_state_valset(s, LEDGER_SET_CUR, &a);
    wire_valset w = {.n = v->n, .v = (wire_validator *)v->v};
    frost_epoch_of_set(s, &w, a, out);
}

bool frost_members_of(const ledger_state *s, const frost_group_rec *g, hansa_pubkey *members, uint16_t *n) {
    static const ledger_set_which which[] = {LEDGER_SET_CUR, LEDGER_SET_PREV};
    for (size_t k = 0; k < sizeof which / sizeof which[0]; k++) {
        uint64_t a = 0;
        const ledger_validators *v = ledger_state_valset(s, which[k], &a);
        if (v->n < 1 || v->n > FROST_PARTICIPANTS_MAX) continue;
        wire_valset w = {.n = v->n, .v = (wire_validator *)v->v};
        hansa_hash h;
        wire_valset_hash(&w, &h);
        if (!hash_eq(&h, &g->valset_hash)) continue;
        for (uint16_t i = 0; i < v->n; i++) members[i] = v->v[i].pubkey;
        *n = v->n;
        return true;
    }
    return false;
}

/* ---- records -------------------------------------------------------------------- */

static size_t key_dealer(uint64_t epoch, uint16_t dealer, uint8_t *out) {
    out[0] = FROST_KEY_DEALER;
    be64_store(out + 1, epoch);
    out[9] = (uint8_t)(dealer >> 8);
    out[10] = (uint8_t)dealer;
    return FROST_KEY_DEALER_BYTES;
}

void frost_dealer_rec_encode(hbuf *b, const frost_dealer_rec *d) {
    HANSA_ASSERT(d->t >= 1 && d->t <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT((d->flags & ~FROST_DEALER_EXCLUDED) == 0);
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u8(b, d->flags);
    hbuf_put_u64(b, d->committed_at);
    hbuf_append(b, d->commit_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, d->missing, DKG_BITMAP_BYTES);
    hbuf_append(b, d->revealed, DKG_BITMAP_BYTES);
    hbuf_put_u16(b, d->t);
    for (uint16_t k = 0; k < d->t; k++) hbuf_append(b, d->commits[k].b, FROST_POINT_BYTES);
}

static void rd_version(wire_rd *r) {
    size_t at = r->off;
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION) frd_fail_at(r, HANSA_ERR_VERSION, at, "version");
}

hansa_err frost_dealer_rec_decode(const uint8_t *p, size_t len, frost_dealer_rec *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    memset(out, 0, sizeof *out);
    rd_init(r, p, len);
    rd_version(r);
    size_t at = r->off;
    out->flags = rd_u8(r, "flags");
    if ((out->flags & ~FROST_DEALER_EXCLUDED) != 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "flags");
    at = r->off;
    out->committed_at = rd_u64(r, "committed_at");
    if (out->committed_at == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "committed_at");
    rd_fixed(r, out->commit_hash.b, HANSA_HASH_BYTES, "commit_hash");
    rd_fixed(r, out->missing, DKG_BITMAP_BYTES, "missing");
    at = r->off;
    rd_fixed(r, out->revealed, DKG_BITMAP_BYTES, "revealed");
    for (size_t k = 0; k < DKG_BITMAP_BYTES && r->err == HANSA_OK; k++)
        if (out->revealed[k] & ~out->missing[k])
            frd_fail_at(r, HANSA_ERR_INVALID, at, "revealed (a REVEAL without a MISSING complaint)");
    at = r->off;
    out->t = rd_u16(r, "t");
    if (out->t > FROST_PARTICIPANTS_MAX) frd_fail_at(r, HANSA_ERR_TOO_LONG, at, "t");
    if (out->t == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "t");
    for (uint16_t k = 0; k < out->t && r->err == HANSA_OK; k++)
        frd_point(r, &out->commits[k], "commitment");
    rd_end(r);
    if (r->err != HANSA_OK) memset(out, 0, sizeof *out);
    return r->err;
}

hansa_err frost_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                             wire_rd *r) {
    bool dealer = klen == FROST_KEY_DEALER_BYTES && key[0] == FROST_KEY_DEALER;
    bool group = klen == FROST_KEY_GROUP_BYTES && key[0] == FROST_KEY_GROUP;
    if ((!dealer && !group) || be64_load(key + 1) == 0 ||
        (dealer && (((uint16_t)key[9] << 8 | key[10]) == 0 ||
                    ((uint16_t)key[9] << 8 | key[10]) > FROST_PARTICIPANTS_MAX))) {
        rd_init(r, val, vlen);
        rd_fail(r, HANSA_ERR_INVALID, "frost record key");
        return r->err;
    }
    if (group) {
        frost_group_rec g;
        return frost_group_rec_decode(val, vlen, &g, r);
    }
    frost_dealer_rec d;
    return frost_dealer_rec_decode(val, vlen, &d, r);
}

/* Through a block's overlay. */
static bool dealer_get(const ledger_block *b, uint64_t epoch, uint16_t dealer, frost_dealer_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_dealer(epoch, dealer, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_FROST, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(frost_dealer_rec_decode(v, vlen, out, NULL) == HANSA_OK); /* checked at load */
    return true;
}

static void dealer_put(ledger_block *b, uint64_t epoch, uint16_t dealer, const frost_dealer_rec *d) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_dealer(epoch, dealer, key);
    hbuf v = HBUF_INIT;
    frost_dealer_rec_encode(&v, d);
    stake_raw_put(b, LEDGER_TAB_FROST, key, klen, v.data, v.len);
    hbuf_free(&v);
}

static bool group_exists(const ledger_block *b, uint64_t epoch) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = frost_group_rec_key(epoch, key), vlen;
    return stake_raw_get(b, LEDGER_TAB_FROST, key, klen, &vlen) != NULL;
}

/* ---- the transaction rows ------------------------------------------------------------ */

static hansa_err msg_decode(const uint8_t *body, uint32_t len, dkg_msg_kind want, dkg_msg *m,
                            char *why, size_t why_len) {
    wire_rd r;
    hansa_err err = dkg_msg_decode(body, len, m, &r);
    if (err != HANSA_OK) {
        char where[128];
        rd_describe(&r, where, sizeof where);
        ledger_why(why, why_len, "dkg message: %s", where);
        return err;
    }
    if (m->kind != want) {
        ledger_why(why, why_len, "dkg message of kind %d where this transaction carries kind %d",
                   (int)m->kind, (int)want);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err frost_commit_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                              size_t why_len) {
    (void)out;
    dkg_msg m;
    return msg_decode(body, len, DKG_MSG_COMMIT, &m, why, why_len);
}

hansa_err frost_complaint_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out,
                                 char *why, size_t why_len) {
    (void)out;
    dkg_msg m;
    return msg_decode(body, len, DKG_MSG_COMPLAINT, &m, why, why_len);
}

/* Whether the epoch's `what` window is open at the block's height. */
static hansa_err window_open(const ledger_block *b, const frost_epoch *e, uint64_t end,
                             const char *what, char *why, size_t why_len) {
    uint64_t epoch = e->ctx.epoch;
    if (!e->keyable) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": the set's power is too concentrated for a "
                   "group key (docs/frost.md), it runs no key generation", epoch);
        return HANSA_ERR_STATE;
    }
    if (group_exists(b, epoch)) {
        ledger_why(why, why_len, "epoch %" PRIu64 " already has its group key", epoch);
        return HANSA_ERR_DUPLICATE;
    }
    if (b->info.height >= end) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": the %s window closed at height %" PRIu64,
                   epoch, what, end);
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

hansa_err frost_commit_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                             size_t why_len) {
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    hansa_err err = window_open(b, &e, e.timing.commit_end, "commit", why, why_len);
    if (err != HANSA_OK) return err;
    dkg_commit_body body;
    const char *reason = NULL;
    err = frost_tx_check_commit(&e.ctx, &c->tx->sender, c->tx->body, c->tx->body_len, &body,
                                &reason);
    if (err != HANSA_OK) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": %s", e.ctx.epoch, reason);
        return err;
    }
    frost_dealer_rec prior;
    if (dealer_get(b, e.ctx.epoch, body.dealer, &prior)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": dealer %u already committed at height %" PRIu64,
                   e.ctx.epoch, body.dealer, prior.committed_at);
        return HANSA_ERR_DUPLICATE;
    }
    return HANSA_OK;
}

void frost_commit_apply(ledger_block *b, const ledger_tx_ctx *c) {
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    dkg_msg m;
    HANSA_ASSERT(dkg_msg_decode(c->tx->body, c->tx->body_len, &m, NULL) == HANSA_OK);
    HANSA_ASSERT(m.kind == DKG_MSG_COMMIT);
    frost_dealer_rec d = {.committed_at = b->info.height, .t = m.u.commit.t};
    dkg_msg_hash(&m, &d.commit_hash);
    memcpy(d.commits, m.u.commit.commits, (size_t)d.t * sizeof d.commits[0]);
    dealer_put(b, e.ctx.epoch, m.u.commit.dealer, &d);
}

/* The record of a dealer a complaint or a REVEAL is about: it must have
 * committed and not be excluded yet (dkg.c refuses the same). */
static hansa_err accused_dealer_get(const ledger_block *b, uint64_t epoch, uint16_t dealer,
                                    frost_dealer_rec *rec, char *why, size_t why_len) {
    if (!dealer_get(b, epoch, dealer, rec)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": dealer %u has no commitment on chain", epoch,
                   dealer);
        return HANSA_ERR_PROTOCOL;
    }
    if (rec->flags & FROST_DEALER_EXCLUDED) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": dealer %u is already excluded", epoch, dealer);
        return HANSA_ERR_DUPLICATE;
    }
    return HANSA_OK;
}

/* Whether `ss` is a share dealer d signed for recipient j naming d's
 * recorded COMMIT: what makes a BAD_SHARE's evidence or a REVEAL count.
 * `what` names the share in the refusal. */
static hansa_err share_signed_for_record(const frost_epoch *e, const hansa_hash *sid, uint16_t d,
                                         uint16_t j, const dkg_signed_share *ss,
                                         const frost_dealer_rec *rec, const char *what, char *why,
                                         size_t why_len) {
    hbuf sb = HBUF_INIT;
    dkg_share_sign_bytes(&sb, sid, d, j, &ss->commit_hash, &ss->share);
    bool dealer_signed = verify_domain(&e->members[d - 1], DKG_SHARE_DOMAIN, sb.data, sb.len, &ss->sig);
    hbuf_free(&sb);
    if (!dealer_signed) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": %s is not a share dealer %u signed for "
                   "participant %u", e->ctx.epoch, what, d, j);
        return HANSA_ERR_BAD_SIG;
    }
    if (!hash_eq(&ss->commit_hash, &rec->commit_hash)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": %s names another commitment than dealer %u's "
                   "on chain", e->ctx.epoch, what, d);
        return HANSA_ERR_PROTOCOL;
    }
    return HANSA_OK;
}

/* The complaint's checks in dkg.c's terms (on_complaint), refusing what
 * a session would not count as an exclusion. On HANSA_OK *rec is the
 * accused dealer's record. */
static hansa_err complaint_check(const ledger_block *b, const wire_tx *tx, const dkg_msg *m,
                                 frost_dealer_rec *rec, char *why, size_t why_len) {
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    uint64_t epoch = e.ctx.epoch;
    hansa_err err = window_open(b, &e, e.timing.complaint_end, "complaint", why, why_len);
    if (err != HANSA_OK) return err;
    hansa_hash sid;
    dkg_session_id(&e.ctx, &sid);
    const dkg_complaint_body *c = &m->u.complaint;
    const char *reason = NULL;
    err = HANSA_ERR_PROTOCOL;
    if (!hash_eq(&sid, &m->session))
        reason = "not this validator set's session (a stale epoch or another set)";
    else if (c->accuser > e.ctx.n || c->dealer > e.ctx.n)
        reason = "accuser or dealer outside the set";
    else if (c->accuser == c->dealer)
        reason = "a delegate cannot accuse itself";
    else if (!pubkey_eq(&e.members[c->accuser - 1], &tx->sender))
        reason = "sender is not the delegate the complaint names as accuser";
    if (reason != NULL) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": %s", epoch, reason);
        return err;
    }
    hbuf sb = HBUF_INIT;
    dkg_msg_sign_bytes(&sb, m);
    bool signed_ok = verify_domain(&tx->sender, DKG_DOMAIN, sb.data, sb.len, &c->sig);
    hbuf_free(&sb);
    if (!signed_ok) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": the complaint is not signed by accuser %u",
                   epoch, c->accuser);
        return HANSA_ERR_BAD_SIG;
    }
    err = accused_dealer_get(b, epoch, c->dealer, rec, why, why_len);
    if (err != HANSA_OK) return err;
    if (c->reason == DKG_COMPLAINT_MISSING) {
        /* dkg.c counts one MISSING complaint per accuser and dealer. */
        if (dkg_bitmap_get(rec->missing, c->accuser)) {
            ledger_why(why, why_len, "epoch %" PRIu64 ": accuser %u already complained that "
                       "dealer %u's share is missing", epoch, c->accuser, c->dealer);
            return HANSA_ERR_DUPLICATE;
        }
        return HANSA_OK;
    }
    err = share_signed_for_record(&e, &sid, c->dealer, c->accuser, &c->evidence, rec,
                                  "the evidence", why, why_len);
    if (err != HANSA_OK) return err;
    if (frost_vss_verify(rec->commits, rec->t, c->accuser, &c->evidence.share)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": the accused share of dealer %u verifies: a "
                   "false accusation", epoch, c->dealer);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err frost_complaint_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                                size_t why_len) {
    dkg_msg m;
    HANSA_ASSERT(dkg_msg_decode(c->tx->body, c->tx->body_len, &m, NULL) == HANSA_OK);
    frost_dealer_rec rec;
    return complaint_check(b, c->tx, &m, &rec, why, why_len);
}

/* For the apply of a checked COMPLAINT or REVEAL: its message, and the
 * record of the dealer it is about (which the check found); returns the
 * epoch. */
static uint64_t applied_dealer(const ledger_block *b, const ledger_tx_ctx *c, dkg_msg *m,
                               uint16_t *dealer, frost_dealer_rec *rec) {
    HANSA_ASSERT(dkg_msg_decode(c->tx->body, c->tx->body_len, m, NULL) == HANSA_OK);
    HANSA_ASSERT(m->kind == DKG_MSG_COMPLAINT || m->kind == DKG_MSG_REVEAL);
    *dealer = m->kind == DKG_MSG_COMPLAINT ? m->u.complaint.dealer : m->u.reveal.dealer;
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    HANSA_ASSERT(dealer_get(b, e.ctx.epoch, *dealer, rec));
    return e.ctx.epoch;
}

void frost_complaint_apply(ledger_block *b, const ledger_tx_ctx *c) {
    dkg_msg m;
    uint16_t dealer;
    frost_dealer_rec rec;
    uint64_t epoch = applied_dealer(b, c, &m, &dealer, &rec);
    if (m.u.complaint.reason == DKG_COMPLAINT_MISSING)
        dkg_bitmap_set(rec.missing, m.u.complaint.accuser); /* the dealer owes a REVEAL */
    else
        rec.flags |= FROST_DEALER_EXCLUDED;
    dealer_put(b, epoch, dealer, &rec);
}

hansa_err frost_reveal_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                              size_t why_len) {
    (void)out;
    dkg_msg m;
    return msg_decode(body, len, DKG_MSG_REVEAL, &m, why, why_len);
}

/* The REVEAL's checks in dkg.c's terms (on_reveal), plus one of the
 * ledger's own: a REVEAL answers a MISSING complaint on chain, or the chain
 * would carry shares in the clear that nobody asked for. On HANSA_OK
 * *rec is the dealer's record. */
static hansa_err reveal_check(const ledger_block *b, const wire_tx *tx, const dkg_msg *m,
                              frost_dealer_rec *rec, char *why, size_t why_len) {
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    uint64_t epoch = e.ctx.epoch;
    hansa_err err = window_open(b, &e, e.timing.reveal_end, "reveal", why, why_len);
    if (err != HANSA_OK) return err;
    hansa_hash sid;
    dkg_session_id(&e.ctx, &sid);
    const dkg_reveal_body *r = &m->u.reveal;
    const char *reason = NULL;
    if (!hash_eq(&sid, &m->session))
        reason = "not this validator set's session (a stale epoch or another set)";
    else if (r->dealer > e.ctx.n || r->recipient > e.ctx.n)
        reason = "dealer or recipient outside the set";
    else if (r->dealer == r->recipient)
        reason = "a dealer cannot reveal its own share";
    else if (!pubkey_eq(&e.members[r->dealer - 1], &tx->sender))
        reason = "sender is not the dealer the reveal names";
    if (reason != NULL) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": %s", epoch, reason);
        return HANSA_ERR_PROTOCOL;
    }
    err = accused_dealer_get(b, epoch, r->dealer, rec, why, why_len);
    if (err != HANSA_OK) return err;
    err = share_signed_for_record(&e, &sid, r->dealer, r->recipient, &r->share, rec,
                                  "the revealed share", why, why_len);
    if (err != HANSA_OK) return err;
    if (dkg_bitmap_get(rec->revealed, r->recipient)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": dealer %u already revealed participant %u's "
                   "share", epoch, r->dealer, r->recipient);
        return HANSA_ERR_DUPLICATE;
    }
    if (!dkg_bitmap_get(rec->missing, r->recipient)) {
        ledger_why(why, why_len, "epoch %" PRIu64 ": participant %u has no MISSING complaint about "
                   "dealer %u for a REVEAL to answer", epoch, r->recipient, r->dealer);
        return HANSA_ERR_PROTOCOL;
    }
    return HANSA_OK;
}

hansa_err frost_reveal_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                             size_t why_len) {
    dkg_msg m;
    HANSA_ASSERT(dkg_msg_decode(c->tx->body, c->tx->body_len, &m, NULL) == HANSA_OK);
    frost_dealer_rec rec;
    return reveal_check(b, c->tx, &m, &rec, why, why_len);
}

/* A good REVEAL answers the complaint; a bad one is the dealer's signed
 * proof of cheating (GJKR): it excludes the dealer, as in dkg.c. */
void frost_reveal_apply(ledger_block *b, const ledger_tx_ctx *c) {
    dkg_msg m;
    uint16_t dealer;
    frost_dealer_rec rec;
    uint64_t epoch = applied_dealer(b, c, &m, &dealer, &rec);
    const dkg_reveal_body *r = &m.u.reveal;
    /* The share is public from here on (GJKR's cost): nothing to wipe. */
    if (frost_vss_verify(rec.commits, rec.t, r->recipient, &r->share.share))
        dkg_bitmap_set(rec.revealed, r->recipient);
    else
        rec.flags |= FROST_DEALER_EXCLUDED;
    dealer_put(b, epoch, dealer, &rec);
}

/* ---- closing the window ------------------------------------------------------------- */

/* GJKR's QUAL, as dkg.c's decide_qual: not excluded, and every MISSING
 * complaint answered by a good REVEAL. */
static bool dealer_qualified(const frost_dealer_rec *d) {
    if (d->flags & FROST_DEALER_EXCLUDED) return false;
    for (size_t k = 0; k < DKG_BITMAP_BYTES; k++)
        if (d->missing[k] & ~d->revealed[k]) return false;
    return true;
}

static void record_key(ledger_block *b, const frost_epoch *e) {
    uint64_t epoch = e->ctx.epoch;
    frost_group_rec g = {.valset_hash = e->ctx.valset_hash, .n = e->ctx.n,
                         .t = dkg_threshold(e->ctx.n), .keyed_at = b->info.height};
    frost_point c0[FROST_PARTICIPANTS_MAX];
    frost_dealer_rec *d = hansa_malloc(sizeof *d);
    for (uint16_t i = 1; i <= e->ctx.n; i++) {
        if (!dealer_get(b, epoch, i, d) || !dealer_qualified(d)) continue;
        c0[i - 1] = d->commits[0];
        dkg_bitmap_set(g.qual, i);
    }
    free(d);
    /* Below the threshold the epoch has no key; the chain signs with
     * nothing new until the next set change. */
    if (frost_tx_group_key(e->ctx.n, c0, g.qual, &g.key, NULL) != HANSA_OK) return;
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = frost_group_rec_key(epoch, key);
    hbuf v = HBUF_INIT;
    frost_group_rec_encode(&v, &g);
    stake_raw_put(b, LEDGER_TAB_FROST, key, klen, v.data, v.len);
    hbuf_free(&v);
}

static void collect_dealer_key(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                               size_t vlen) {
    (void)val;
    (void)vlen;
    if (key[0] == FROST_KEY_DEALER) hbuf_append(ctx, key, klen);
}

void frost_block_finish(ledger_block *b) {
    frost_epoch e;
    frost_epoch_of(b->base, &e);
    if (b->info.height + 1 != e.timing.reveal_end) return;
    if (e.keyable && !group_exists(b, e.ctx.epoch)) record_key(b, &e);
    /* Every dealer record goes, including those of an earlier epoch whose
     * window a set change cut short: stored state stays bounded. */
    hbuf keys = HBUF_INIT;
    stake_iter(b, LEDGER_TAB_FROST, collect_dealer_key, &keys);
    for (size_t off = 0; off < keys.len; off += FROST_KEY_DEALER_BYTES)
        stake_raw_put(b, LEDGER_TAB_FROST, keys.data + off, FROST_KEY_DEALER_BYTES, NULL, 0);
    hbuf_free(&keys);
}

/* ---- reads ----------------------------------------------------------------------- */

bool ledger_group_key_get(const ledger_state *s, uint64_t epoch, frost_group_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = frost_group_rec_key(epoch, key);
    const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_FROST], key, klen);
    if (slot == NULL || slot->deleted) return false;
    HANSA_ASSERT(frost_group_rec_decode(slot->val, slot->vlen, out, NULL) == HANSA_OK);
    return true;
}

typedef struct {
    frost_group_fn fn;
    void *ctx;
} group_iter;

static void group_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                        size_t vlen) {
    const group_iter *it = ctx;
    if (key[0] != FROST_KEY_GROUP) return;
    HANSA_ASSERT(klen == FROST_KEY_GROUP_BYTES);
    frost_group_rec g;
    HANSA_ASSERT(frost_group_rec_decode(val, vlen, &g, NULL) == HANSA_OK);
    it->fn(it->ctx, be64_load(key + 1), &g);
}

void ledger_group_keys_iter(const ledger_state *s, frost_group_fn fn, void *ctx) {
    group_iter it = {fn, ctx};
    ledger_records_iter(s, LEDGER_TAB_FROST, group_visit, &it);
}

bool ledger_dkg_dealer_get(const ledger_state *s, uint64_t epoch, uint16_t dealer,
                           frost_dealer_rec *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_dealer(epoch, dealer, key);
    const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_FROST], key, klen);
    if (slot == NULL || slot->deleted) return false;
    HANSA_ASSERT(frost_dealer_rec_decode(slot->val, slot->vlen, out, NULL) == HANSA_OK);
    return true;
}
