/* lift.c — see lift.h: lift capacity, promises, the referee rule and a
 * party's part in a lift. */
#include "credit/lift.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "wire/codec.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"

static credit_lift_mutant mutant = CREDIT_LIFT_MUTANT_NONE;

void credit_lift_test_mutant(credit_lift_mutant m) { mutant = m; }
credit_lift_mutant credit_lift_mutant_get(void) { return mutant; }

/* ---- capacity ---------------------------------------------------------------- */

/* The receiver's net on t: what the other side owes it (negative: it owes). */
static int64_t net_of(const credit_tally *t, credit_side receiver) {
    return receiver == CREDIT_STOCK ? t->balance : -t->balance;
}

/* The most the receiver lets the payer owe it: its own grant. */
static uint64_t grant_of(const credit_tally *t, credit_side receiver) {
    return receiver == CREDIT_STOCK ? t->contract.stock_grants.limit
                                    : t->contract.foil_grants.limit;
}

/* max(a - b, 0) for a in [0, 2^62] and b in [-2^63, 2^63): computed wide
 * enough never to overflow (every balance and amount is within 2^62, and
 * holds are bounded by the grant). */
static uint64_t room(int64_t a, __int128 b) {
    __int128 d = (__int128)a - b;
    return d > 0 ? (uint64_t)d : 0;
}

credit_lift_cap credit_lift_edge_cap_inv(const credit_tally *t, credit_side receiver,
                                         uint64_t held, uint64_t invoiced) {
    HANSA_ASSERT(receiver == CREDIT_STOCK || receiver == CREDIT_FOIL);
    credit_lift_cap cap = {0, 0, 0};
    if (t->state != CREDIT_TALLY_OPEN) return cap;
    const credit_trade *tv = &t->trade[receiver].tv;
    __int128 net = (__int128)net_of(t, receiver);
    if (mutant != CREDIT_LIFT_MUTANT_NO_HOLDS) net += held;
    if (mutant == CREDIT_LIFT_MUTANT_INVOICE) net -= invoiced;
    uint64_t want = tv->target > tv->bound ? tv->target : tv->bound;
    cap.max = room((int64_t)want, net);
    uint64_t grant = room((int64_t)grant_of(t, receiver), net);
    if (cap.max > grant) cap.max = grant;
    cap.min = room((int64_t)tv->target, net);
    if (cap.min > cap.max) cap.min = cap.max;
    cap.margin_ppm = tv->reward_ppm;
    return cap;
}

credit_lift_cap credit_lift_edge_cap(const credit_tally *t, credit_side receiver, uint64_t held) {
    return credit_lift_edge_cap_inv(t, receiver, held, 0);
}

credit_lift_cap credit_lift_path_cap(const credit_lift_cap *edges, size_t n) {
    HANSA_ASSERT(n >= 1);
    credit_lift_cap p = edges[0];
    for (size_t i = 1; i < n; i++) {
        if (edges[i].min < p.min) p.min = edges[i].min;
        if (edges[i].max < p.max) p.max = edges[i].max;
        /* m1 + m2 (1 - m1) in parts per million; both within [-1, 1], so
         * the result stays within [-3, 3] and is clamped to [-1, 1]. */
        int64_t m1 = p.margin_ppm, m2 = edges[i].margin_ppm;
        int64_t m = m1 + m2 - m1 * m2 / CREDIT_PPM_ONE;
        if (m > CREDIT_PPM_ONE) m = CREDIT_PPM_ONE;
        if (m < -CREDIT_PPM_ONE) m = -CREDIT_PPM_ONE;
        p.margin_ppm = (int32_t)m;
    }
    if (p.min > p.max) p.min = p.max;
    return p;
}

/* ---- the lift header ------------------------------------------------------------- */

hansa_err credit_lift_check(const credit_lift *l, char *why, size_t why_len) {
    if (l->amount == 0 || l->amount > CREDIT_AMOUNT_MAX) {
        credit_say(why, why_len, "lift amount %" PRIu64 " is not in 1..2^62", l->amount);
        return HANSA_ERR_INVALID;
    }
    if (l->n_hops == 0 || l->n_hops > CREDIT_LIFT_HOPS_MAX) {
        credit_say(why, why_len, "a lift route has 1..%d tallies, not %u", CREDIT_LIFT_HOPS_MAX,
            l->n_hops);
        return HANSA_ERR_INVALID;
    }
    bool closes = pubkey_eq(&l->parties[0].key, &l->parties[l->n_hops].key);
    if (l->kind == CREDIT_LIFT_CIRCULAR ? !closes || l->n_hops < 2 : l->kind != CREDIT_LIFT_LINEAR || closes) {
        credit_say(why, why_len, "a circular lift returns to its originator over 2 or more tallies, a "
                          "linear one does not return");
        return HANSA_ERR_INVALID;
    }
    for (int i = 0; i < l->n_hops; i++)
        for (int j = i + 1; j <= l->n_hops; j++) {
            bool circle_end = i == 0 && j == l->n_hops;
            if (!circle_end && pubkey_eq(&l->parties[i].key, &l->parties[j].key)) {
                credit_say(why, why_len, "party %d appears again at %d", i, j);
                return HANSA_ERR_INVALID;
            }
            if (j < l->n_hops && credit_id_eq(&l->tallies[i], &l->tallies[j])) {
                credit_say(why, why_len, "tally %d appears again at %d", i, j);
                return HANSA_ERR_INVALID;
            }
        }
    return HANSA_OK;
}

void credit_lift_encode(hbuf *b, const credit_lift *l) {
    HANSA_ASSERT(l->n_hops >= 1 && l->n_hops <= CREDIT_LIFT_HOPS_MAX);
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_append(b, l->lift_id.b, CREDIT_ID_BYTES);
    hbuf_put_u8(b, l->kind);
    hbuf_put_u64(b, l->amount);
    hbuf_put_u64(b, l->expiry_ms);
    hbuf_put_u32(b, l->referee_chain);
    hbuf_append(b, l->referee_key.b, HANSA_PUBKEY_BYTES);
    hbuf_put_u8(b, l->n_hops);
    for (int i = 0; i < l->n_hops; i++) hbuf_append(b, l->tallies[i].b, CREDIT_ID_BYTES);
    for (int i = 0; i <= l->n_hops; i++) {
        hbuf_put_u32(b, l->parties[i].chain_id);
        hbuf_append(b, l->parties[i].key.b, HANSA_PUBKEY_BYTES);
    }
}

void credit_rd_lift(wire_rd *r, credit_lift *out) {
    memset(out, 0, sizeof *out);
    if (rd_u8(r, "version") != CREDIT_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    rd_fixed(r, out->lift_id.b, CREDIT_ID_BYTES, "lift_id");
    out->kind = rd_u8(r, "kind");
    out->amount = rd_u64(r, "amount");
    out->expiry_ms = rd_u64(r, "expiry_ms");
    out->referee_chain = rd_u32(r, "referee_chain");
    rd_fixed(r, out->referee_key.b, HANSA_PUBKEY_BYTES, "referee_key");
    out->n_hops = rd_u8(r, "n_hops");
    if (r->err != HANSA_OK) return;
    if (out->n_hops == 0 || out->n_hops > CREDIT_LIFT_HOPS_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "n_hops");
        return;
    }
    for (int i = 0; i < out->n_hops; i++) rd_fixed(r, out->tallies[i].b, CREDIT_ID_BYTES, "tally");
    for (int i = 0; i <= out->n_hops; i++) {
        out->parties[i].chain_id = rd_u32(r, "party chain");
        rd_fixed(r, out->parties[i].key.b, HANSA_PUBKEY_BYTES, "party key");
    }
    if (r->err != HANSA_OK) return;
    if (credit_id_is_zero(&out->lift_id)) rd_fail(r, HANSA_ERR_INVALID, "lift_id");
    else if (credit_lift_check(out, NULL, 0) != HANSA_OK) rd_fail(r, HANSA_ERR_INVALID, "route");
}

hansa_err credit_lift_decode(const uint8_t *p, size_t len, credit_lift *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, RD_NO_VERSION);
    credit_rd_lift(r, out);
    return rd_close(r, out, sizeof *out);
}

void credit_lift_hash(const credit_lift *l, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    hbuf_append(&b, CREDIT_LIFT_DOMAIN_HEADER, strlen(CREDIT_LIFT_DOMAIN_HEADER));
    credit_lift_encode(&b, l);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

void credit_lift_rec_encode(hbuf *b, const credit_lift_rec *rec) {
    hbuf_put_u8(b, CREDIT_VERSION);
    credit_lift_encode(b, &rec->lift);
    hbuf_put_u8(b, rec->outcome);
    hbuf_put_u64(b, rec->height);
    hbuf_put_u64(b, rec->time_ms);
}

hansa_err credit_lift_rec_decode(const uint8_t *p, size_t len, credit_lift_rec *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    credit_rd_lift(r, &out->lift);
    out->outcome = rd_u8(r, "outcome");
    out->height = rd_u64(r, "height");
    out->time_ms = rd_u64(r, "time_ms");
    if (r->err == HANSA_OK && out->outcome != CREDIT_RULING_COMMIT &&
        out->outcome != CREDIT_RULING_EXPIRED)
        rd_fail(r, HANSA_ERR_INVALID, "outcome");
    return rd_close(r, out, sizeof *out);
}

static void lift_chit_id(const credit_lift *l, int leg, credit_id *out) {
    uint8_t m[sizeof "hansa/lift-chit/v1" - 1 + CREDIT_ID_BYTES + 1];
    memcpy(m, "hansa/lift-chit/v1", sizeof "hansa/lift-chit/v1" - 1);
    memcpy(m + sizeof "hansa/lift-chit/v1" - 1, l->lift_id.b, CREDIT_ID_BYTES);
    m[sizeof m - 1] = (uint8_t)leg;
    hansa_hash h;
    sha256(m, sizeof m, &h);
    memcpy(out->b, h.b, CREDIT_ID_BYTES);
}

bool credit_lift_chit_make(const credit_lift *l, int leg, const credit_contract *k,
                           credit_chit *out) {
    HANSA_ASSERT(leg >= 0 && leg < l->n_hops);
    memset(out, 0, sizeof *out);
    credit_side by = credit_contract_side_of(k, &l->parties[leg].key);
    if (by == 0 || !credit_id_eq(&k->tally_id, &l->tallies[leg])) return false;
    out->tally_id = k->tally_id;
    lift_chit_id(l, leg, &out->chit_id);
    out->by = (uint8_t)by;
    out->kind = CREDIT_CHIT_LIFT;
    out->amount = l->amount;
    out->invoice_id = l->lift_id;
    return true;
}

bool credit_lift_chit_matches(const credit_lift *l, const credit_contract *k,
                              const credit_chit *c) {
    for (int i = 0; i < l->n_hops; i++) {
        credit_chit want;
        if (credit_id_eq(&l->tallies[i], &c->tally_id) && credit_lift_chit_make(l, i, k, &want))
            return credit_chit_same(&want, c);
    }
    return false;
}

/* ---- rulings and the referee ------------------------------------------------------- */

static void ruling_bytes(const credit_ruling *r, uint8_t out[HANSA_HASH_BYTES + 1 + 8]) {
    memcpy(out, r->lift_hash.b, HANSA_HASH_BYTES);
    out[HANSA_HASH_BYTES] = r->outcome;
    le64_store(out + HANSA_HASH_BYTES + 1, r->time_ms);
}

void credit_ruling_sign(credit_ruling *r, const hansa_keypair *referee) {
    uint8_t m[HANSA_HASH_BYTES + 1 + 8];
    ruling_bytes(r, m);
    sign_domain(referee, CREDIT_LIFT_DOMAIN_RULING, m, sizeof m, &r->sig);
}

bool credit_ruling_verify(const credit_ruling *r, const credit_lift *l) {
    if (r->outcome != CREDIT_RULING_COMMIT && r->outcome != CREDIT_RULING_EXPIRED) return false;
    hansa_hash h;
    credit_lift_hash(l, &h);
    if (!hash_eq(&h, &r->lift_hash)) return false;
    uint8_t m[HANSA_HASH_BYTES + 1 + 8];
    ruling_bytes(r, m);
    return verify_domain(&l->referee_key, CREDIT_LIFT_DOMAIN_RULING, m, sizeof m, &r->sig);
}

static void rule(credit_referee_rec *rec, const credit_lift *l, credit_ruling_outcome o,
                 uint64_t now_ms, const hansa_keypair *referee, credit_ruling *out) {
    HANSA_ASSERT(!rec->ruled || mutant == CREDIT_LIFT_MUTANT_REFEREE_FORGETS);
    memset(&rec->ruling, 0, sizeof rec->ruling);
    credit_lift_hash(l, &rec->ruling.lift_hash);
    rec->ruling.outcome = (uint8_t)o;
    rec->ruling.time_ms = now_ms;
    credit_ruling_sign(&rec->ruling, referee);
    rec->ruled = true;
    *out = rec->ruling;
}

void credit_referee_request(credit_referee_rec *rec, const credit_lift *l, uint64_t now_ms,
                            const hansa_keypair *referee, credit_ruling *out) {
    if (mutant == CREDIT_LIFT_MUTANT_REFEREE_FORGETS) {
        rule(rec, l, CREDIT_RULING_COMMIT, now_ms, referee, out);
        return;
    }
    /* Exactly once: whatever was ruled first is the answer forever. */
    if (rec->ruled) {
        *out = rec->ruling;
        return;
    }
    rule(rec, l, now_ms < l->expiry_ms ? CREDIT_RULING_COMMIT : CREDIT_RULING_EXPIRED, now_ms,
         referee, out);
}

bool credit_referee_query(credit_referee_rec *rec, const credit_lift *l, uint64_t now_ms,
                          const hansa_keypair *referee, credit_ruling *out) {
    if (rec->ruled && mutant != CREDIT_LIFT_MUTANT_REFEREE_FORGETS) {
        *out = rec->ruling;
        return true;
    }
    if (now_ms < l->expiry_ms) return false; /* a request may still come in time */
    rule(rec, l, CREDIT_RULING_EXPIRED, now_ms, referee, out);
    return true;
}

/* ---- promises ---------------------------------------------------------------------- */

uint64_t credit_holds_sum(const credit_holds *hs, const credit_id *tally, credit_side receiver) {
    uint64_t s = 0;
    for (uint32_t i = 0; i < hs->n; i++)
        if (credit_id_eq(&hs->h[i].tally_id, tally) && hs->h[i].receiver == receiver)
            s += hs->h[i].amount;
    return s;
}

uint32_t credit_holds_count(const credit_holds *hs, const credit_id *tally) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < hs->n; i++)
        if (credit_id_eq(&hs->h[i].tally_id, tally)) c++;
    return c;
}

uint32_t credit_holds_release(credit_holds *hs, const hansa_hash *lift_hash) {
    uint32_t kept = 0, dropped = 0;
    for (uint32_t i = 0; i < hs->n; i++) {
        if (hash_eq(&hs->h[i].lift_hash, lift_hash)) {
            dropped++;
            continue;
        }
        hs->h[kept++] = hs->h[i];
    }
    hs->n = kept;
    return dropped;
}

static void hold(credit_holds *hs, const hansa_hash *lh, const credit_tally *t, credit_side receiver,
                 uint64_t amount) {
    HANSA_ASSERT(hs->n < CREDIT_LIFT_HOLDS_MAX);
    credit_hold *h = &hs->h[hs->n++];
    h->lift_hash = *lh;
    h->tally_id = t->contract.tally_id;
    h->receiver = (uint8_t)receiver;
    h->amount = amount;
}

/* ---- a party in a lift ------------------------------------------------------------- */

const char *credit_hop_state_name(credit_hop_state s) {
    switch (s) {
    case CREDIT_HOP_PENDING: return "pending";
    case CREDIT_HOP_COMMITTED: return "committed";
    case CREDIT_HOP_VOIDED: return "voided";
    case CREDIT_HOP_REFUSED: return "refused";
    }
    return "?";
}

/* The side `key` holds on tally t, checked against the route's party. */
static credit_side side_on(const credit_tally *t, const hansa_pubkey *key) {
    return credit_contract_side_of(&t->contract, key);
}

/* Checks that the leg on t from payer to receiver fits: the tally is the
 * route's, both are its parties, and the promise cap holds. For the leg this
 * party receives on, its own trading variables bound the amount; for the
 * leg it pays on, the grant the receiver gave. */
static hansa_err leg_check(const credit_holds *hs, const credit_lift_edge *e, const credit_id *tid,
                           const hansa_pubkey *receiver_key, bool mine, uint64_t amount,
                           char *why, size_t why_len) {
    const credit_tally *t = e->tally;
    if (!credit_id_eq(&t->contract.tally_id, tid)) {
        credit_say(why, why_len, "the tally given is not the route's");
        return HANSA_ERR_INVALID;
    }
    credit_side r = side_on(t, receiver_key);
    if (r == 0) {
        credit_say(why, why_len, "the receiver is not a party of its tally");
        return HANSA_ERR_INVALID;
    }
    if (credit_holds_count(hs, tid) >= CREDIT_LIFT_PENDING_PER_TALLY) {
        credit_say(why, why_len, "tally already holds %d pending lifts", CREDIT_LIFT_PENDING_PER_TALLY);
        return HANSA_ERR_FULL;
    }
    uint64_t held = credit_holds_sum(hs, tid, r);
    credit_lift_cap cap = credit_lift_edge_cap_inv(t, r, held, e->invoiced);
    if (!mine) {
        /* Paying: only the receiver's grant binds this party. */
        __int128 net = (__int128)net_of(t, r);
        if (mutant != CREDIT_LIFT_MUTANT_NO_HOLDS) net += held;
        cap.max = t->state == CREDIT_TALLY_OPEN ? room((int64_t)grant_of(t, r), net) : 0;
    }
    if (amount > cap.max) {
        credit_say(why, why_len, "%s %" PRIu64 " over the capacity %" PRIu64 " (%s)",
            mine ? "receiving" : "paying", amount, cap.max,
            mine ? "own trading variables" : "the grant");
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

hansa_err credit_hop_join(credit_hop *hop, credit_holds *hs, const credit_lift *l, uint8_t pos,
                          const credit_lift_edge *in, const credit_lift_edge *out, char *why,
                          size_t why_len) {
    memset(hop, 0, sizeof *hop);
    hop->lift = *l;
    hop->pos = pos;
    hop->state = CREDIT_HOP_REFUSED;
    credit_lift_hash(l, &hop->lift_hash);
    hansa_err e = credit_lift_check(l, why, why_len);
    if (e) return e;
    bool circ = l->kind == CREDIT_LIFT_CIRCULAR;
    if (pos > l->n_hops || (circ && pos == l->n_hops)) {
        credit_say(why, why_len, "position %u is not on the route", pos);
        return HANSA_ERR_INVALID;
    }
    int in_idx = pos > 0 ? pos - 1 : circ ? l->n_hops - 1 : -1;
    int out_idx = pos < l->n_hops ? pos : -1;
    if ((in_idx >= 0) != (in != NULL) || (out_idx >= 0) != (out != NULL)) {
        credit_say(why, why_len, "position %u needs %s in-tally and %s out-tally", pos,
            in_idx >= 0 ? "an" : "no", out_idx >= 0 ? "an" : "no");
        return HANSA_ERR_INVALID;
    }
    if (hs->n + 2 > CREDIT_LIFT_HOLDS_MAX) {
        credit_say(why, why_len, "party already holds %d promises", CREDIT_LIFT_HOLDS_MAX);
        return HANSA_ERR_FULL;
    }
    const hansa_pubkey *me = &l->parties[pos].key;
    if (in) {
        e = leg_check(hs, in, &l->tallies[in_idx], me, true, l->amount, why, why_len);
        if (e) return e;
        if (side_on(in->tally, &l->parties[in_idx].key) == 0) {
            credit_say(why, why_len, "the payer is not a party of its tally");
            return HANSA_ERR_INVALID;
        }
    }
    if (out) {
        e = leg_check(hs, out, &l->tallies[out_idx], &l->parties[out_idx + 1].key, false, l->amount,
                      why, why_len);
        if (e) return e;
        if (side_on(out->tally, me) == 0) {
            credit_say(why, why_len, "this party is not on the tally it pays on");
            return HANSA_ERR_INVALID;
        }
    }
    if (in) hold(hs, &hop->lift_hash, in->tally, side_on(in->tally, me), l->amount);
    if (out) hold(hs, &hop->lift_hash, out->tally, side_on(out->tally, &l->parties[out_idx + 1].key),
                  l->amount);
    hop->state = CREDIT_HOP_PENDING;
    return HANSA_OK;
}

/* Moves the balance of t by amount toward receiver: the promise kept. */
static void book(credit_tally *t, credit_side receiver, uint64_t amount) {
    if (receiver == CREDIT_STOCK)
        t->balance += (int64_t)amount;
    else
        t->balance -= (int64_t)amount;
}

void credit_hop_resolve(credit_hop *hop, credit_holds *hs, credit_ruling_outcome outcome,
                        credit_tally *in, credit_tally *out) {
    if (hop->state != CREDIT_HOP_PENDING) return;
    credit_holds_release(hs, &hop->lift_hash);
    switch (outcome) {
    case CREDIT_RULING_EXPIRED: hop->state = CREDIT_HOP_VOIDED; return;
    case CREDIT_RULING_COMMIT: break;
    }
    const credit_lift *l = &hop->lift;
    if (in) book(in, side_on(in, &l->parties[hop->pos].key), l->amount);
    if (out) book(out, side_on(out, &l->parties[hop->pos + 1].key), l->amount);
    hop->state = CREDIT_HOP_COMMITTED;
}

hansa_err credit_hop_ruling(credit_hop *hop, credit_holds *hs, const credit_ruling *r,
                            credit_tally *in, credit_tally *out) {
    if (mutant != CREDIT_LIFT_MUTANT_TRUST_NEIGHBOUR && !credit_ruling_verify(r, &hop->lift))
        return HANSA_ERR_PROOF;
    if (hop->state != CREDIT_HOP_PENDING) return HANSA_OK;
    hop->have_ruling = true;
    hop->ruling = *r;
    credit_hop_resolve(hop, hs, (credit_ruling_outcome)r->outcome, in, out);
    return HANSA_OK;
}

bool credit_hop_confirm(credit_hop *hop) {
    if (hop->pos != 0 || hop->state != CREDIT_HOP_PENDING) return false;
    hop->confirmed = true;
    return true;
}

bool credit_hop_tick(credit_hop *hop, credit_holds *hs, uint64_t local_now_ms) {
    if (hop->state != CREDIT_HOP_PENDING || local_now_ms < hop->lift.expiry_ms) return false;
    switch (mutant) {
    case CREDIT_LIFT_MUTANT_LOCAL_TIMEOUT:
        credit_holds_release(hs, &hop->lift_hash);
        hop->state = CREDIT_HOP_VOIDED;
        return false;
    case CREDIT_LIFT_MUTANT_NO_QUERY: return false;
    case CREDIT_LIFT_MUTANT_NONE:
    case CREDIT_LIFT_MUTANT_INVOICE:
    case CREDIT_LIFT_MUTANT_NO_HOLDS:
    case CREDIT_LIFT_MUTANT_REFEREE_FORGETS:
    case CREDIT_LIFT_MUTANT_TRUST_NEIGHBOUR: return true;
    }
    return true;
}
