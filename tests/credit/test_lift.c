/* test_lift.c — credit lifts (credit/lift.h): capacity, the referee rule, a
 * party's part in a lift, and a deterministic multi-party harness with a
 * safety checker and the DSR study's flaws as scripted scenarios.
 *
 * The harness drives the real state machines: parties (each with its own
 * copy of each of its tallies and its own promises), a referee, and a
 * network that delays, loses (seeded) and drops messages to crashed parties;
 * parties may run fast clocks, and Byzantine parties follow scripts
 * (originators that never ask the referee, pairs that forge a commit,
 * relays that drop proposals). The checker, over party states:
 *   resolved  every honest party in a lift is committed or voided by the
 *             expiry plus a few referee blocks;
 *   agree     every honest party's outcome is the referee's ruling;
 *   balance   two honest parties' copies of a tally agree, and no honest
 *             party's net on a tally ends above what its trading variables
 *             allow (its bound, or where it started) or below its grant.
 * Each scenario passes with the real rules and is caught with its rule
 * broken (credit_lift_test_mutant). Randomized runs print their seed and
 * replay from HANSA_SEED. */
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "check.h"
#include "credit/lift.h"
#include "crypto/sign.h"
#include "crypto/sha256.h"

#define NP 26 /* parties in the harness (and keys) */
#define NT 28 /* tallies in the harness */

/* ---- tallies for tests ---------------------------------------------------------------- */

/* An OPEN tally with `receiver_key` as stock (its net = balance) and
 * trading variables (target, bound) for the stock. */
static void mk_tally(credit_tally *t, uint8_t idb, const hansa_pubkey *payer,
                     const hansa_pubkey *receiver, int64_t receiver_net, uint64_t target,
                     uint64_t bound, uint64_t limit) {
    memset(t, 0, sizeof *t);
    t->contract.tally_id.b[0] = 0x11;
    t->contract.tally_id.b[1] = idb;
    t->contract.stock.key = *receiver;
    t->contract.foil.key = *payer;
    t->contract.stock_grants.limit = limit;
    t->contract.foil_grants.limit = limit;
    t->contract.revision = 1;
    t->state = CREDIT_TALLY_OPEN;
    t->balance = receiver_net;
    t->trade[CREDIT_STOCK].tv.target = target;
    t->trade[CREDIT_STOCK].tv.bound = bound;
}

static hansa_keypair keys[NP], referee_kp, forger_kp;

static void keys_init(void) {
    uint8_t seed[HANSA_SEED_BYTES];
    for (int i = 0; i < NP; i++) {
        memset(seed, 0x30 + i, sizeof seed);
        keypair_from_seed(&keys[i], seed);
    }
    memset(seed, 0xee, sizeof seed);
    keypair_from_seed(&referee_kp, seed);
    memset(seed, 0xbb, sizeof seed);
    keypair_from_seed(&forger_kp, seed);
}

/* ---- capacity -------------------------------------------------------------------------- */

static void test_edge_capacity(void) {
    credit_tally t;
    /* Default trading variables: a receiver in debt lifts exactly its debt. */
    mk_tally(&t, 1, &keys[0].pub, &keys[1].pub, -100, 0, 0, 1000);
    credit_lift_cap c = credit_lift_edge_cap(&t, CREDIT_STOCK, 0);
    CHECK_EQ_U64(c.min, 100);
    CHECK_EQ_U64(c.max, 100);
    /* target 50, bound 300: free to 150, at its reward to 400. */
    t.trade[CREDIT_STOCK].tv.target = 50;
    t.trade[CREDIT_STOCK].tv.bound = 300;
    t.trade[CREDIT_STOCK].tv.reward_ppm = 20000;
    c = credit_lift_edge_cap(&t, CREDIT_STOCK, 0);
    CHECK_EQ_U64(c.min, 150);
    CHECK_EQ_U64(c.max, 400);
    CHECK(c.margin_ppm == 20000);
    /* Pending promises count as received. */
    c = credit_lift_edge_cap(&t, CREDIT_STOCK, 120);
    CHECK_EQ_U64(c.min, 30);
    CHECK_EQ_U64(c.max, 280);
    /* The receiver's grant caps max: it never lets the payer owe more. */
    t.contract.stock_grants.limit = 200;
    c = credit_lift_edge_cap(&t, CREDIT_STOCK, 0);
    CHECK_EQ_U64(c.max, 300);
    /* Over its bound already: nothing. */
    t.balance = 500;
    t.contract.stock_grants.limit = 1000;
    c = credit_lift_edge_cap(&t, CREDIT_STOCK, 0);
    CHECK_EQ_U64(c.max, 0);
    CHECK_EQ_U64(c.min, 0);
    /* The foil side as receiver: its net is -balance; target 0 on default. */
    t.balance = 70;
    c = credit_lift_edge_cap(&t, CREDIT_FOIL, 0);
    CHECK_EQ_U64(c.max, 70);
    /* Not open: nothing. */
    t.state = CREDIT_TALLY_CLOSING;
    c = credit_lift_edge_cap(&t, CREDIT_FOIL, 0);
    CHECK_EQ_U64(c.max, 0);
    /* A pending invoice is a request: never capacity. */
    mk_tally(&t, 1, &keys[0].pub, &keys[1].pub, 0, 0, 0, 1000);
    c = credit_lift_edge_cap_inv(&t, CREDIT_STOCK, 0, 100);
    CHECK_EQ_U64(c.max, 0);
}

static void test_path_capacity(void) {
    credit_lift_cap e[3] = {{100, 400, 100000}, {50, 900, 200000}, {70, 300, 0}};
    credit_lift_cap p = credit_lift_path_cap(e, 3);
    CHECK_EQ_U64(p.min, 50);
    CHECK_EQ_U64(p.max, 300);
    /* 0.1 + 0.2 (1 - 0.1) = 0.28, then + 0 = 0.28 */
    CHECK(p.margin_ppm == 280000);
    credit_lift_cap one = {10, 5, 0};
    p = credit_lift_path_cap(&one, 1);
    CHECK(p.min <= p.max);
}

/* ---- a lift over a 3-party line ------------------------------------------------------- */

static void mk_lift(credit_lift *l, uint8_t id, const int *parties, const credit_tally *const *ts,
                    int n_hops, uint64_t amount, uint64_t expiry_ms, bool circular) {
    memset(l, 0, sizeof *l);
    l->lift_id.b[0] = 0x1f;
    l->lift_id.b[1] = id;
    l->kind = circular ? CREDIT_LIFT_CIRCULAR : CREDIT_LIFT_LINEAR;
    l->amount = amount;
    l->expiry_ms = expiry_ms;
    l->referee_chain = 7;
    l->referee_key = referee_kp.pub;
    l->n_hops = (uint8_t)n_hops;
    for (int i = 0; i < n_hops; i++) l->tallies[i] = ts[i]->contract.tally_id;
    for (int i = 0; i <= n_hops; i++) l->parties[i] = (credit_party){7, keys[parties[i]].pub};
}

static void test_referee_rules_once(void) {
    credit_tally t0, t1;
    mk_tally(&t0, 1, &keys[0].pub, &keys[1].pub, -100, 0, 0, 1000);
    mk_tally(&t1, 2, &keys[1].pub, &keys[2].pub, -100, 0, 0, 1000);
    const credit_tally *ts[2] = {&t0, &t1};
    int ps[3] = {0, 1, 2};
    credit_lift l;
    mk_lift(&l, 1, ps, ts, 2, 100, 5000, false);
    CHECK_ERR(credit_lift_check(&l, NULL, 0), HANSA_OK);

    credit_referee_rec rec = {0};
    credit_ruling r, r2;
    CHECK(!credit_referee_query(&rec, &l, 4999, &referee_kp, &r)); /* may still commit */
    credit_referee_request(&rec, &l, 4999, &referee_kp, &r);
    CHECK(r.outcome == CREDIT_RULING_COMMIT);
    CHECK(credit_ruling_verify(&r, &l));
    /* Asked again, after the expiry, the answer is the same ruling. */
    CHECK(credit_referee_query(&rec, &l, 9000, &referee_kp, &r2));
    CHECK(r2.outcome == CREDIT_RULING_COMMIT);
    credit_referee_request(&rec, &l, 9000, &referee_kp, &r2);
    CHECK(r2.outcome == CREDIT_RULING_COMMIT && r2.time_ms == 4999);

    /* A lift asked about first after its expiry is EXPIRED, forever. */
    credit_referee_rec rec2 = {0};
    CHECK(credit_referee_query(&rec2, &l, 5000, &referee_kp, &r));
    CHECK(r.outcome == CREDIT_RULING_EXPIRED);
    credit_referee_request(&rec2, &l, 5000, &referee_kp, &r2);
    CHECK(r2.outcome == CREDIT_RULING_EXPIRED);

    /* Proofs: another key, another lift or a changed outcome do not verify. */
    credit_ruling f = r;
    f.outcome = CREDIT_RULING_COMMIT;
    CHECK(!credit_ruling_verify(&f, &l));
    credit_ruling_sign(&f, &forger_kp);
    CHECK(!credit_ruling_verify(&f, &l));
    credit_lift l2 = l;
    l2.amount = 99;
    CHECK(!credit_ruling_verify(&r, &l2));
}

static void test_hop_join_and_resolve(void) {
    credit_tally t0, t1;
    mk_tally(&t0, 1, &keys[0].pub, &keys[1].pub, -100, 0, 0, 1000);
    mk_tally(&t1, 2, &keys[1].pub, &keys[2].pub, -100, 0, 0, 1000);
    const credit_tally *ts[2] = {&t0, &t1};
    int ps[3] = {0, 1, 2};
    credit_lift l;
    mk_lift(&l, 1, ps, ts, 2, 60, 5000, false);
    credit_holds hs = {0};
    credit_hop h;
    credit_lift_edge in = {&t0, 0}, out = {&t1, 0};
    char why[128];
    CHECK_ERR(credit_hop_join(&h, &hs, &l, 1, &in, &out, why, sizeof why), HANSA_OK);
    CHECK(h.state == CREDIT_HOP_PENDING);
    CHECK_EQ_U64(credit_holds_sum(&hs, &t0.contract.tally_id, CREDIT_STOCK), 60);
    /* A second lift of 60 exceeds what is left of its trading variables (40). */
    credit_lift l2;
    mk_lift(&l2, 2, ps, ts, 2, 60, 5000, false);
    credit_hop h2;
    CHECK_ERR(credit_hop_join(&h2, &hs, &l2, 1, &in, &out, why, sizeof why), HANSA_ERR_FUNDS);
    CHECK(h2.state == CREDIT_HOP_REFUSED);
    /* The promise cap: at most CREDIT_LIFT_PENDING_PER_TALLY per tally. */
    for (int i = 0; i < CREDIT_LIFT_PENDING_PER_TALLY - 1; i++) {
        credit_lift li;
        mk_lift(&li, (uint8_t)(10 + i), ps, ts, 2, 1, 5000, false);
        credit_hop hi;
        CHECK_ERR(credit_hop_join(&hi, &hs, &li, 1, &in, &out, why, sizeof why), HANSA_OK);
    }
    credit_lift lx;
    mk_lift(&lx, 30, ps, ts, 2, 1, 5000, false);
    credit_hop hx;
    CHECK_ERR(credit_hop_join(&hx, &hs, &lx, 1, &in, &out, why, sizeof why), HANSA_ERR_FULL);
    /* Wrong position shapes. */
    CHECK_ERR(credit_hop_join(&hx, &hs, &lx, 1, NULL, &out, why, sizeof why), HANSA_ERR_INVALID);

    /* A forged ruling changes nothing; the referee's COMMIT books both legs. */
    credit_ruling r = {0};
    credit_lift_hash(&l, &r.lift_hash);
    r.outcome = CREDIT_RULING_COMMIT;
    credit_ruling_sign(&r, &forger_kp);
    CHECK_ERR(credit_hop_ruling(&h, &hs, &r, &t0, &t1), HANSA_ERR_PROOF);
    CHECK(h.state == CREDIT_HOP_PENDING);
    CHECK(credit_hop_tick(&h, &hs, 5000)); /* past the expiry: ask, do not decide */
    CHECK(h.state == CREDIT_HOP_PENDING);
    credit_ruling_sign(&r, &referee_kp);
    CHECK_ERR(credit_hop_ruling(&h, &hs, &r, &t0, &t1), HANSA_OK);
    CHECK(h.state == CREDIT_HOP_COMMITTED);
    CHECK(t0.balance == -40 && t1.balance == -40);
    CHECK_EQ_U64(credit_holds_sum(&hs, &t0.contract.tally_id, CREDIT_STOCK), 4 - 1);
    /* Repeated: nothing moves twice. */
    CHECK_ERR(credit_hop_ruling(&h, &hs, &r, &t0, &t1), HANSA_OK);
    CHECK(t0.balance == -40);
}

static void test_lift_codec(void) {
    credit_tally t0, t1, t2;
    mk_tally(&t0, 1, &keys[0].pub, &keys[1].pub, -100, 0, 0, 1000);
    mk_tally(&t1, 2, &keys[1].pub, &keys[2].pub, -100, 0, 0, 1000);
    mk_tally(&t2, 3, &keys[2].pub, &keys[0].pub, -100, 0, 0, 1000);
    const credit_tally *ts[3] = {&t0, &t1, &t2};
    int ps[4] = {0, 1, 2, 0};
    credit_lift l, back;
    mk_lift(&l, 9, ps, ts, 3, 100, 5000, true);
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, &l);
    CHECK_EQ_U64(b.len, CREDIT_LIFT_BYTES_MIN + 2 * (CREDIT_ID_BYTES + CREDIT_PARTY_BYTES));
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, NULL), HANSA_OK);
    CHECK(memcmp(&l, &back, sizeof l) == 0);
    hansa_hash h1, h2;
    credit_lift_hash(&l, &h1);
    credit_lift_hash(&back, &h2);
    CHECK(hash_eq(&h1, &h2));
    /* Every truncation fails and leaves the object zeroed. */
    for (size_t n = 0; n < b.len; n++) {
        memset(&back, 0xa5, sizeof back);
        CHECK(credit_lift_decode(b.data, n, &back, NULL) != HANSA_OK);
        CHECK(back.amount == 0 && back.n_hops == 0);
    }
    /* Trailing bytes, version, hop count, zero id, a route that is no circle. */
    hbuf_put_u8(&b, 0);
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, NULL), HANSA_ERR_TRAILING);
    b.len--;
    b.data[0] = 2;
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, NULL), HANSA_ERR_VERSION);
    b.data[0] = 1;
    size_t at_n = 1 + CREDIT_ID_BYTES + 1 + 8 + 8 + 4 + HANSA_PUBKEY_BYTES;
    b.data[at_n] = 0;
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, NULL), HANSA_ERR_TOO_LONG);
    b.data[at_n] = 3;
    wire_rd r;
    credit_lift bad = l;
    memset(&bad.lift_id, 0, sizeof bad.lift_id);
    hbuf_reset(&b);
    credit_lift_encode(&b, &bad);
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, &r), HANSA_ERR_INVALID);
    bad = l;
    bad.kind = CREDIT_LIFT_LINEAR; /* but it returns to its originator */
    hbuf_reset(&b);
    credit_lift_encode(&b, &bad);
    CHECK_ERR(credit_lift_decode(b.data, b.len, &back, &r), HANSA_ERR_INVALID);
    bad = l;
    bad.amount = 0;
    CHECK_ERR(credit_lift_check(&bad, NULL, 0), HANSA_ERR_INVALID);
    bad = l;
    bad.parties[2] = bad.parties[1];
    CHECK_ERR(credit_lift_check(&bad, NULL, 0), HANSA_ERR_INVALID);
    bad = l;
    bad.tallies[2] = bad.tallies[0];
    CHECK_ERR(credit_lift_check(&bad, NULL, 0), HANSA_ERR_INVALID);
    hbuf_free(&b);
}

/* ---- the multi-party harness ---------------------------------------------------------- */

#define NL 24  /* lifts */
#define NM 8192
#define REFEREE (-1)
#define TICK_MS 100
#define RETRY_MS 400
#define SETTLE_MS 8000 /* the expiry plus retries (a few referee blocks without loss) */

typedef enum { M_PROPOSE = 1, M_CONFIRM, M_REQUEST, M_QUERY, M_RULING } mtype;

typedef struct {
    uint64_t at;
    int type, from, to, lift, pos;
    credit_ruling ruling;
} msg;

typedef struct {
    int a, b;        /* payer and receiver parties (b is stock) */
    credit_tally t;  /* the initial tally */
    uint64_t invoiced; /* pending invoices the receiver would pay */
} tdef;

typedef struct {
    bool byz;
    bool withhold;        /* as originator: never asks the referee in time */
    bool drop_proposals;  /* relays nothing */
    int64_t skew_ms;      /* local clock = now + skew */
    uint64_t down_from, down_until;
    int crash_on_join;    /* lift index: go down when joining it; -1 none */
    uint64_t crash_ms;
    credit_holds holds;
    credit_tally tal[NT];
    credit_hop hop[NL];
    bool joined[NL];
    uint64_t next_ask[NL];
} party;

typedef struct {
    int parties[CREDIT_LIFT_HOPS_MAX + 1];
    int tallies[CREDIT_LIFT_HOPS_MAX];
    int n_hops;
    bool circular;
    uint64_t amount, start_ms, expiry_ms;
    credit_lift l;
    credit_referee_rec rec;
    bool started;
    /* Byzantine scripts */
    uint64_t late_request_ms;      /* withholding originator asks then */
    int forge_to;                  /* colluders push a forged COMMIT to this party (-1 none) */
} ldef;

typedef struct {
    hansa_prng rng;
    uint64_t now;
    int np, nt, nl;
    tdef td[NT];
    party p[NP];
    ldef ld[NL];
    msg q[NM];
    int nq;
    uint32_t loss_pct, delay_max_ms;
    uint64_t end_ms;
    int violations;
    char first[200];
    int committed; /* lifts the referee committed */
} world;

static void violation(world *w, const char *what) {
    if (w->violations++ == 0) snprintf(w->first, sizeof w->first, "%s", what);
}

static void send(world *w, int type, int from, int to, int lift, int pos, const credit_ruling *r) {
    if (w->nq == NM) return; /* the network is full: a loss */
    if (w->loss_pct && prng_below(&w->rng, 100) < w->loss_pct) return;
    msg *m = &w->q[w->nq++];
    memset(m, 0, sizeof *m);
    m->at = w->now + 10 + (w->delay_max_ms ? prng_below(&w->rng, w->delay_max_ms) : 0);
    m->type = type;
    m->from = from;
    m->to = to;
    m->lift = lift;
    m->pos = pos;
    if (r) m->ruling = *r;
}

static bool is_down(const world *w, int p) {
    return w->now >= w->p[p].down_from && w->now < w->p[p].down_until;
}

/* The edges party p (at pos) uses in lift L. */
static void edges(world *w, int L, int pos, credit_lift_edge *in, credit_lift_edge *out,
                  credit_lift_edge **pin, credit_lift_edge **pout) {
    ldef *ld = &w->ld[L];
    party *P = &w->p[ld->parties[pos]];
    int in_idx = pos > 0 ? pos - 1 : ld->circular ? ld->n_hops - 1 : -1;
    int out_idx = pos < ld->n_hops ? pos : -1;
    *pin = *pout = NULL;
    if (in_idx >= 0) {
        int ti = ld->tallies[in_idx];
        in->tally = &P->tal[ti];
        in->invoiced = w->td[ti].invoiced;
        *pin = in;
    }
    if (out_idx >= 0) {
        int ti = ld->tallies[out_idx];
        out->tally = &P->tal[ti];
        out->invoiced = 0;
        *pout = out;
    }
}

static void join(world *w, int L, int pos) {
    ldef *ld = &w->ld[L];
    int pi = ld->parties[pos];
    party *P = &w->p[pi];
    if (P->joined[L]) return;
    credit_lift_edge in, out, *pin, *pout;
    edges(w, L, pos, &in, &out, &pin, &pout);
    P->joined[L] = true;
    if (credit_hop_join(&P->hop[L], &P->holds, &ld->l, (uint8_t)pos, pin, pout, NULL, 0))
        return; /* refused: it forwards nothing and the lift expires */
    if (P->crash_on_join == L) {
        P->down_from = w->now + 1;
        P->down_until = w->now + P->crash_ms;
    }
    if (P->drop_proposals) return;
    int next = pos + 1;
    if (pos == ld->n_hops || (ld->circular && next == ld->n_hops))
        send(w, M_CONFIRM, pi, ld->parties[0], L, 0, NULL);
    else
        send(w, M_PROPOSE, pi, ld->parties[next], L, next, NULL);
}

static void resolve(world *w, int pi, int L, const credit_ruling *r) {
    party *P = &w->p[pi];
    if (!P->joined[L] || P->hop[L].state != CREDIT_HOP_PENDING) return;
    credit_lift_edge in, out, *pin, *pout;
    int pos = P->hop[L].pos;
    edges(w, L, pos, &in, &out, &pin, &pout);
    if (credit_hop_ruling(&P->hop[L], &P->holds, r, pin ? pin->tally : NULL,
                          pout ? pout->tally : NULL))
        return;
    if (P->hop[L].state == CREDIT_HOP_PENDING) return;
    /* Pass the proof on downstream, once. */
    ldef *ld = &w->ld[L];
    if (pos + 1 <= ld->n_hops && ld->parties[pos + 1] != ld->parties[0])
        send(w, M_RULING, pi, ld->parties[pos + 1], L, 0, r);
}

static void deliver(world *w, const msg *m) {
    ldef *ld = &w->ld[m->lift];
    if (m->to == REFEREE) {
        credit_ruling r;
        /* The referee's BFT time is the true time. */
        if (m->type == M_REQUEST) {
            credit_referee_request(&ld->rec, &ld->l, w->now, &referee_kp, &r);
            send(w, M_RULING, REFEREE, m->from, m->lift, 0, &r);
        } else if (credit_referee_query(&ld->rec, &ld->l, w->now, &referee_kp, &r)) {
            send(w, M_RULING, REFEREE, m->from, m->lift, 0, &r);
        }
        return;
    }
    if (is_down(w, m->to)) return;
    party *P = &w->p[m->to];
    switch ((mtype)m->type) {
    case M_PROPOSE: join(w, m->lift, m->pos); return;
    case M_CONFIRM:
        if (P->joined[m->lift] && credit_hop_confirm(&P->hop[m->lift]) && !P->withhold)
            send(w, M_REQUEST, m->to, REFEREE, m->lift, 0, NULL);
        return;
    case M_REQUEST: return;
    case M_QUERY:
        if (P->joined[m->lift] && P->hop[m->lift].have_ruling)
            send(w, M_RULING, m->to, m->from, m->lift, 0, &P->hop[m->lift].ruling);
        return;
    case M_RULING: resolve(w, m->to, m->lift, &m->ruling); return;
    }
}

static void tick_party(world *w, int pi) {
    party *P = &w->p[pi];
    for (int L = 0; L < w->nl; L++) {
        if (!P->joined[L]) continue;
        credit_hop *h = &P->hop[L];
        ldef *ld = &w->ld[L];
        uint64_t local = (uint64_t)((int64_t)w->now + P->skew_ms);
        /* An honest originator retries its request until it has a ruling. */
        if (h->pos == 0 && h->confirmed && h->state == CREDIT_HOP_PENDING && !P->withhold &&
            w->now >= P->next_ask[L]) {
            send(w, M_REQUEST, pi, REFEREE, L, 0, NULL);
            P->next_ask[L] = w->now + RETRY_MS;
        }
        if (credit_hop_tick(h, &P->holds, local) && w->now >= P->next_ask[L]) {
            send(w, M_QUERY, pi, REFEREE, L, 0, NULL);
            if (h->pos != 0) send(w, M_QUERY, pi, ld->parties[0], L, 0, NULL);
            P->next_ask[L] = w->now + RETRY_MS;
        }
    }
}

/* Byzantine scripts: the late request of a withholding originator (then it
 * pushes whatever it got to every party), and a forged COMMIT. */
static void byz_step(world *w) {
    for (int L = 0; L < w->nl; L++) {
        ldef *ld = &w->ld[L];
        int o = ld->parties[0];
        party *O = &w->p[o];
        if (ld->late_request_ms && w->now == ld->late_request_ms && O->joined[L]) {
            credit_ruling r;
            credit_referee_request(&ld->rec, &ld->l, w->now, &referee_kp, &r);
            O->hop[L].ruling = r;
            O->hop[L].have_ruling = true;
        }
        if (ld->late_request_ms && w->now > ld->late_request_ms && w->now % 100 == 50 &&
            O->hop[L].have_ruling)
            for (int i = 1; i <= ld->n_hops; i++)
                if (ld->parties[i] != o) send(w, M_RULING, o, ld->parties[i], L, 0, &O->hop[L].ruling);
        if (ld->forge_to >= 0 && w->now >= ld->start_ms + 300 && w->now % 200 == 0) {
            credit_ruling f = {0};
            credit_lift_hash(&ld->l, &f.lift_hash);
            f.outcome = CREDIT_RULING_COMMIT;
            f.time_ms = w->now;
            credit_ruling_sign(&f, &forger_kp);
            send(w, M_RULING, -2, ld->forge_to, L, 0, &f);
        }
    }
}

static void start_lift(world *w, int L) {
    ldef *ld = &w->ld[L];
    credit_lift *l = &ld->l;
    memset(l, 0, sizeof *l);
    l->lift_id.b[0] = 0x1f;
    l->lift_id.b[1] = (uint8_t)L;
    l->kind = ld->circular ? CREDIT_LIFT_CIRCULAR : CREDIT_LIFT_LINEAR;
    l->amount = ld->amount;
    l->expiry_ms = ld->expiry_ms;
    l->referee_chain = 7;
    l->referee_key = referee_kp.pub;
    l->n_hops = (uint8_t)ld->n_hops;
    for (int i = 0; i < ld->n_hops; i++) l->tallies[i] = w->td[ld->tallies[i]].t.contract.tally_id;
    for (int i = 0; i <= ld->n_hops; i++) l->parties[i] = (credit_party){7, keys[ld->parties[i]].pub};
    ld->started = true;
    if (!is_down(w, ld->parties[0])) join(w, L, 0);
}

static int64_t net_of(const credit_tally *t, credit_side s) {
    return s == CREDIT_STOCK ? t->balance : -t->balance;
}

/* The balance rule, after every step: no honest party's net on a tally is
 * above what its trading variables allow (or where it started) or below the
 * grant its counterparty gave. */
static void check_balances(world *w) {
    for (int ti = 0; ti < w->nt; ti++) {
        tdef *d = &w->td[ti];
        int ends[2] = {d->a, d->b};
        for (int k = 0; k < 2; k++) {
            int pi = ends[k];
            if (w->p[pi].byz) continue;
            const credit_tally *t = &w->p[pi].tal[ti];
            credit_side s = k == 1 ? CREDIT_STOCK : CREDIT_FOIL;
            const credit_trade *tv = &t->trade[s].tv;
            int64_t allow = (int64_t)(tv->target > tv->bound ? tv->target : tv->bound);
            int64_t start = net_of(&d->t, s);
            int64_t net = net_of(t, s);
            if (net > (start > allow ? start : allow)) violation(w, "balance: a party holds more than its trading variables allow");
            int64_t other_grant = (int64_t)(s == CREDIT_STOCK ? t->contract.foil_grants.limit
                                                              : t->contract.stock_grants.limit);
            if (net < -other_grant) violation(w, "balance: a party owes past its grant");
        }
    }
}

static void check_end(world *w) {
    for (int L = 0; L < w->nl; L++) {
        ldef *ld = &w->ld[L];
        if (ld->rec.ruled && ld->rec.ruling.outcome == CREDIT_RULING_COMMIT) w->committed++;
        for (int pi = 0; pi < w->np; pi++) {
            party *P = &w->p[pi];
            if (P->byz || !P->joined[L] || P->hop[L].state == CREDIT_HOP_REFUSED) continue;
            uint8_t st = P->hop[L].state;
            if (st == CREDIT_HOP_PENDING) {
                violation(w, "resolved: an honest party is still pending after the expiry");
                continue;
            }
            uint8_t want = ld->rec.ruled && ld->rec.ruling.outcome == CREDIT_RULING_COMMIT
                               ? CREDIT_HOP_COMMITTED
                               : CREDIT_HOP_VOIDED;
            if (st != want) violation(w, "agree: an honest party disagrees with the referee");
        }
    }
    for (int ti = 0; ti < w->nt; ti++) {
        tdef *d = &w->td[ti];
        if (w->p[d->a].byz || w->p[d->b].byz) continue;
        if (w->p[d->a].tal[ti].balance != w->p[d->b].tal[ti].balance)
            violation(w, "balance: two honest parties' copies of a tally differ");
    }
    check_balances(w);
}

static void world_init(world *w, uint64_t seed) {
    memset(w, 0, sizeof *w);
    prng_seed(&w->rng, seed);
    for (int i = 0; i < NP; i++) {
        w->p[i].crash_on_join = -1;
    }
    for (int L = 0; L < NL; L++) w->ld[L].forge_to = -1;
}

static int add_tally(world *w, int payer, int receiver, int64_t receiver_net, uint64_t target,
                     uint64_t bound) {
    int ti = w->nt++;
    tdef *d = &w->td[ti];
    d->a = payer;
    d->b = receiver;
    mk_tally(&d->t, (uint8_t)ti, &keys[payer].pub, &keys[receiver].pub, receiver_net, target, bound,
             1000);
    w->p[payer].tal[ti] = d->t;
    w->p[receiver].tal[ti] = d->t;
    return ti;
}

/* A lift along parties[0..n] over the tallies found between neighbours. */
static int add_lift(world *w, const int *parties, int n_hops, bool circular, uint64_t amount,
                    uint64_t start_ms, uint64_t life_ms) {
    int L = w->nl++;
    ldef *ld = &w->ld[L];
    ld->n_hops = n_hops;
    ld->circular = circular;
    ld->amount = amount;
    ld->start_ms = start_ms;
    ld->expiry_ms = start_ms + life_ms;
    for (int i = 0; i <= n_hops; i++) ld->parties[i] = parties[i];
    for (int i = 0; i < n_hops; i++)
        for (int ti = 0; ti < w->nt; ti++)
            if (w->td[ti].a == parties[i] && w->td[ti].b == parties[i + 1]) ld->tallies[i] = ti;
    if (ld->expiry_ms + SETTLE_MS > w->end_ms) w->end_ms = ld->expiry_ms + SETTLE_MS;
    return L;
}

static void run(world *w) {
    for (w->now = 0; w->now <= w->end_ms; w->now += 10) {
        for (int L = 0; L < w->nl; L++)
            if (!w->ld[L].started && w->now >= w->ld[L].start_ms) start_lift(w, L);
        /* Deliver what is due, in send order (new sends wait a step). */
        int n = w->nq, kept = 0;
        static msg due[NM];
        int nd = 0;
        for (int i = 0; i < n; i++) {
            if (w->q[i].at <= w->now)
                due[nd++] = w->q[i];
            else
                w->q[kept++] = w->q[i];
        }
        w->nq = kept;
        for (int i = 0; i < nd; i++) deliver(w, &due[i]);
        if (w->now % TICK_MS == 0)
            for (int pi = 0; pi < w->np; pi++)
                if (!is_down(w, pi)) tick_party(w, pi);
        byz_step(w);
        check_balances(w);
    }
    check_end(w);
}

/* ---- the DSR scenarios ------------------------------------------------------------------ */

typedef enum {
    SC_INVOICE, SC_INTERLOCK, SC_UNILATERAL, SC_CRASHED_RELAY, SC_WITHHOLD, SC_FORGE, SC_ALL,
    SC_COUNT_
} scenario;

static const char *sc_name[SC_COUNT_] = {"invoice overlift", "interlocking lifts",
                                         "overlift after a unilateral timeout", "crashed relay",
                                         "originator never asks the referee",
                                         "colluding pair forges a commit", "all at once"};
static const credit_lift_mutant sc_mutant[SC_COUNT_] = {
    CREDIT_LIFT_MUTANT_INVOICE,      CREDIT_LIFT_MUTANT_NO_HOLDS,
    CREDIT_LIFT_MUTANT_LOCAL_TIMEOUT, CREDIT_LIFT_MUTANT_NO_QUERY,
    CREDIT_LIFT_MUTANT_REFEREE_FORGETS, CREDIT_LIFT_MUTANT_TRUST_NEIGHBOUR,
    CREDIT_LIFT_MUTANT_NONE /* all at once: each mutant in turn */};

/* Line o -> o+1 -> ... -> o+n: each receiver owes its payer 100 and wants
 * to owe nothing (default trading variables). Returns o. */
static int line(world *w, int n, int o) {
    if (o + n + 1 > w->np) w->np = o + n + 1;
    for (int i = 0; i < n; i++) add_tally(w, o + i, o + i + 1, -100, 0, 0);
    return o;
}

static int lift_on_line(world *w, int o, int n_hops, uint64_t amount, uint64_t life_ms) {
    int route[CREDIT_LIFT_HOPS_MAX + 1];
    for (int i = 0; i <= n_hops; i++) route[i] = o + i;
    return add_lift(w, route, n_hops, false, amount, 100, life_ms);
}

/* Each scenario on parties o.. (so "all at once" runs them side by side). */
static void build_one(world *w, scenario sc, int o) {
    switch (sc) {
    case SC_INVOICE: {
        /* o+2 owes nothing on its in-tally but has an invoice of 100 to pay there. */
        line(w, 2, o);
        int ti = w->nt - 1;
        w->td[ti].t.balance = 0;
        w->p[o + 1].tal[ti] = w->p[o + 2].tal[ti] = w->td[ti].t;
        w->td[ti].invoiced = 100;
        lift_on_line(w, o, 2, 100, 1500);
        return;
    }
    case SC_INTERLOCK: {
        /* Lifts from o and from o+3 both pay o+2 over one tally, whose debt is 100. */
        line(w, 2, o);
        if (o + 4 > w->np) w->np = o + 4;
        add_tally(w, o + 3, o + 1, -100, 0, 0);
        lift_on_line(w, o, 2, 100, 1500);
        int r2[3] = {o + 3, o + 1, o + 2};
        add_lift(w, r2, 2, false, 100, 100, 1500);
        return;
    }
    case SC_UNILATERAL:
        /* o+2's clock runs 1.5 s fast: it sees the expiry before the
         * originator's request reaches the referee. */
        line(w, 3, o);
        w->p[o + 2].skew_ms = 1500;
        lift_on_line(w, o, 3, 100, 1000);
        return;
    case SC_CRASHED_RELAY: {
        /* o+2 crashes as it joins and misses the ruling passed down. */
        line(w, 3, o);
        int L = lift_on_line(w, o, 3, 100, 1500);
        w->p[o + 2].crash_on_join = L;
        w->p[o + 2].crash_ms = 2500;
        return;
    }
    case SC_WITHHOLD: {
        /* o holds the confirmation, asks late and pushes the answer; o+3 is
         * down until after that. */
        line(w, 3, o);
        w->p[o].byz = w->p[o].withhold = true;
        int L = lift_on_line(w, o, 3, 100, 1500);
        w->ld[L].late_request_ms = w->ld[L].expiry_ms + 1000;
        w->p[o + 3].crash_on_join = L;
        w->p[o + 3].crash_ms = 2600;
        return;
    }
    case SC_FORGE: {
        /* o+1 and o+3 collude: o+3 relays nothing, both push a forged
         * COMMIT to o+2. */
        line(w, 4, o);
        w->p[o + 1].byz = w->p[o + 3].byz = true;
        w->p[o + 3].drop_proposals = true;
        int L = lift_on_line(w, o, 4, 100, 1500);
        w->ld[L].forge_to = o + 2;
        return;
    }
    case SC_ALL:
    case SC_COUNT_: return;
    }
}

static void build(world *w, scenario sc, uint64_t seed) {
    world_init(w, seed);
    w->delay_max_ms = 40;
    if (sc != SC_ALL) {
        build_one(w, sc, 0);
        return;
    }
    /* Every fault at once, side by side over one referee and one network
     * that loses 20% and delays up to 120 ms. */
    w->loss_pct = 20;
    w->delay_max_ms = 120;
    int o = 0;
    for (int k = 0; k < SC_ALL; k++) {
        build_one(w, (scenario)k, o);
        o = w->np;
    }
}

static world w;

static int run_scenario(scenario sc, credit_lift_mutant m, uint64_t seed, char *first, size_t n) {
    build(&w, sc, seed);
    credit_lift_test_mutant(m);
    run(&w);
    credit_lift_test_mutant(CREDIT_LIFT_MUTANT_NONE);
    if (first) snprintf(first, n, "%s", w.first);
    return w.violations;
}

static void test_dsr_scenarios(void) {
    uint64_t seed = check_seed("lift scenarios", 1303);
    char first[200];
    for (int sc = 0; sc < SC_ALL; sc++) {
        int ok = run_scenario((scenario)sc, CREDIT_LIFT_MUTANT_NONE, seed, first, sizeof first);
        if (ok) fprintf(stderr, "  %s with the real rules: %s\n", sc_name[sc], first);
        CHECK(ok == 0);
        /* The lifts that should go through do: a fast clock or a crash
         * delays a party, never the lift. */
        if (sc == SC_UNILATERAL || sc == SC_CRASHED_RELAY) CHECK(w.committed == 1);
        if (sc == SC_INTERLOCK) CHECK(w.committed == 1);
        if (sc == SC_INVOICE || sc == SC_WITHHOLD || sc == SC_FORGE) CHECK(w.committed == 0);
        int bad = run_scenario((scenario)sc, sc_mutant[sc], seed, first, sizeof first);
        fprintf(stderr, "  %-38s real rules: pass; rule broken: %s\n", sc_name[sc],
                bad ? first : "NOT CAUGHT");
        CHECK(bad > 0);
    }
}

/* All at once, over many seeds of loss and delay: the real rules always
 * pass; each broken rule is caught in some run. */
static void test_dsr_all_at_once(void) {
    uint64_t base = check_seed("lift all at once", 4242);
    int runs = getenv("HANSA_SEED") ? 1 : 40;
    char first[200];
    for (int i = 0; i < runs; i++) {
        int v = run_scenario(SC_ALL, CREDIT_LIFT_MUTANT_NONE, base + (uint64_t)i, first,
                             sizeof first);
        if (v) fprintf(stderr, "  seed %" PRIu64 ": %s\n", base + (uint64_t)i, first);
        CHECK(v == 0);
    }
    for (int sc = 0; sc < SC_ALL; sc++) {
        int caught = 0;
        for (int i = 0; i < runs; i++)
            if (run_scenario(SC_ALL, sc_mutant[sc], base + (uint64_t)i, NULL, 0)) caught++;
        fprintf(stderr, "  all at once, %-38s broken: caught in %d of %d runs\n", sc_name[sc],
                caught, runs);
        CHECK(caught > 0);
    }
}

/* A circular lift around a ring where everyone owes the next 100 clears
 * every debt: each party ends owing nothing and owed nothing. */
static void test_circular_ring(void) {
    world_init(&w, 1);
    w.delay_max_ms = 40;
    w.np = 6;
    for (int i = 0; i < 6; i++) add_tally(&w, i, (i + 1) % 6, -100, 0, 0);
    int ring[7] = {0, 1, 2, 3, 4, 5, 0};
    add_lift(&w, ring, 6, true, 100, 100, 1500);
    run(&w);
    CHECK(w.violations == 0);
    CHECK(w.committed == 1);
    for (int i = 0; i < 6; i++) {
        CHECK(w.p[i].hop[0].state == CREDIT_HOP_COMMITTED);
        CHECK(w.p[i].tal[i].balance == 0);
        CHECK(w.p[(i + 1) % 6].tal[i].balance == 0);
        CHECK(w.p[i].holds.n == 0);
    }
    /* A second lift around the same ring now finds no capacity: it expires. */
    world_init(&w, 2);
    w.np = 6;
    for (int i = 0; i < 6; i++) add_tally(&w, i, (i + 1) % 6, -100, 0, 0);
    add_lift(&w, ring, 6, true, 100, 100, 1500);
    add_lift(&w, ring, 6, true, 100, 200, 1500);
    run(&w);
    CHECK(w.violations == 0);
    CHECK(w.committed == 1);
}

int main(void) {
    crypto_init();
    keys_init();
    RUN(test_edge_capacity);
    RUN(test_path_capacity);
    RUN(test_lift_codec);
    RUN(test_referee_rules_once);
    RUN(test_hop_join_and_resolve);
    RUN(test_circular_ring);
    RUN(test_dsr_scenarios);
    RUN(test_dsr_all_at_once);
    return check_summary();
}
