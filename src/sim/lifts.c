/* lifts.c — credit lifts in a simulated federation (docs/sim.md "Lifts"):
 * circular lifts inside a chain and across two chains with a third as
 * referee, driven by clients as wallets would, relayed by the delegates'
 * packet duty (fedpkt.c carries the promise and ruling packets as it
 * carries transfers), checked after every commit.
 *
 * The world: chains 0 and 1 hold the lifts, chain 2 is the referee. Three
 * persons X, Y, Z are clients 0..2 of chain 0 and, with the same keys, of
 * chain 1. On each of those chains they open three tallies at the start
 * (offer by the creditor, accept, a chit of LIFT_DEBT by the debtor): Z
 * owes X (a), Y owes Z (b), X owes Y (c), a cycle of debts. Whenever a
 * debt falls below LIFT_DEBT_LOW its debtor pays another LIFT_DEBT, so
 * lifts keep running and keep racing pending promises for what is left.
 *
 * Lifts, once a chain's tallies are open:
 * - local: a TX_LIFT around a, b, c of one chain (X -> Z -> Y -> X);
 * - cross: X -> Z -> Y over a and b of chain d, then Y -> X over c of the
 *   other chain, refereed by chain 2. Each segment's first payer sends its
 *   promise (packet 3) to the referee with the lift's expiry as timeout;
 *   one lift in LIFT_WITHHELD_EVERY promises only its first segment (a
 *   wallet that gave up), so the referee rules it EXPIRED. A client of the
 *   referee chain sends the ruling (packet 4) to every segment chain that
 *   still holds its segment pending once the referee ruled, or asks for
 *   EXPIRED past the expiry; again every LIFT_RULE_RETRY referee heights
 *   while it stays pending there.
 * Amounts are 1..LIFT_AMOUNT_MAX, and one lift in LIFT_OVER_EVERY asks more
 * than the grants allow (refused: a local lift at once, a cross one at its
 * promise, then ruled EXPIRED). One lift action in LIFT_FORGE_EVERY on a
 * segment chain forges the referee's COMMIT (forge_ruling), which every
 * node must refuse.
 *
 * Checkers (after every commit of an honest node, over the state of the
 * highest honest node of each chain that is up, fed.c's choice):
 * (a) no party's net on a tally goes beyond what its signed trading
 *     variables let lifts bring it to (or where the debtor's chits alone
 *     put it), nor below the credit the other party grants it; nor would
 *     it with every pending leg on the tally booked (a COMMIT always books);
 * (b) liveness, at the end: every cross lift whose expiry (and GST +
 *     settle) lies LIFT_LIVE_US before the end is ruled by the referee and
 *     resolved on every chain it touched;
 * (c) agreement: on each chain a segment is COMMITTED iff its lift record
 *     (0x44) books it, never COMMITTED on one chain and VOIDED on another,
 *     each outcome is the referee's ruling, and none is COMMITTED with no
 *     ruling on a referee state that covers every block relayers proved;
 * (d) conservation: each tally's balance is the debtor's chits the state
 *     holds less the lifts whose record over it the chain holds, and ledger_credit_check (halves
 *     settled and equal, chits sum to the balance, pending holds the sum
 *     of the pending legs) passes on each state. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "credit/xlift.h"
#include "interchain/packet.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/tx.h"
#include "ledger/xlift.h"
#include "sim/lifts.h"

#define LIFT_LIMIT 10000000ull    /* credit each party grants the other */
#define LIFT_AMOUNT_MAX 1000
#define LIFT_OVER_EVERY 10        /* lifts asking more than the grants allow */
#define LIFT_WITHHELD_EVERY 6     /* cross lifts promised on one chain only */
#define LIFT_ACT_EVERY 2          /* client actions on a lift chain that are about lifts */
#define LIFT_CROSS_OPEN_MAX 3     /* cross lifts unresolved at once (4 pending per tally) */
#define LIFT_EXPIRY_MS 3000       /* a cross lift's expiry: 3..13 s after the referee's time */
#define LIFT_EXPIRY_SPREAD_MS 10000
#define LIFT_LOCAL_EXPIRY_MS 10000
#define LIFT_RESEND_US 3000000    /* a setup step or promise not seen committed is sent again */
#define LIFT_RULE_RETRY 8         /* referee heights before a ruling is sent again */
#define LIFT_MAX 4096             /* lifts one run starts at most */
#define LIFT_FEE 5
#define LIFT_FORGE_EVERY 8        /* lift actions on a segment chain that forge a ruling */

static bool lifts_on(const world *w) { return w->o.lifts && w->n_chains > LIFT_REFEREE; }

uint32_t lifts_chain_id(const world *w, uint16_t k) { return w->chains[k].genesis.params.chain_id; }

static uint32_t chain_id_of(const world *w, uint16_t k) { return lifts_chain_id(w, k); }

void lifts_violation(world *w, bool safety, const char *fmt, ...) {
    sim_lifts *L = w->lifts;
    if (safety) L->bad++;
    else L->live++;
    if (L->first[0]) return;
    const char *kind = safety ? "lifts" : "lift-liveness";
    int n = snprintf(L->first, sizeof L->first, "%s: at %.3f s: ", kind, w->now_us / 1e6);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->first + n, sizeof L->first - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- setup ---- */

/* Chain 1's first three clients are chain 0's (the same persons, the same
 * keys): they join segments on both chains. */
void lifts_setup(world *w) {
    if (!lifts_on(w)) return;
    sim_lifts *L = hansa_calloc(1, sizeof *L);
    w->lifts = L;
    sim_chain *c0 = &w->chains[0], *c1 = &w->chains[1];
    for (uint16_t p = P_X; p <= P_Z; p++) {
        c1->clients[p] = c0->clients[p];
        c1->accounts[p].addr = c0->clients[p].addr;
    }
    /* creditor (stock) and debtor (foil) of a, b, c */
    static const uint8_t stock[T_PER_CHAIN] = {P_X, P_Z, P_Y}, foil[T_PER_CHAIN] = {P_Z, P_Y, P_X};
    for (uint16_t k = 0; k < LIFT_CHAINS; k++)
        for (int t = 0; t < T_PER_CHAIN; t++) {
            credit_contract *c = &L->tallies[k][t].c;
            prng_fill(&w->rng, c->tally_id.b, CREDIT_ID_BYTES);
            c->stock = (credit_party){chain_id_of(w, k), c0->clients[stock[t]].key.pub};
            c->foil = (credit_party){chain_id_of(w, k), c0->clients[foil[t]].key.pub};
            c->stock_grants = c->foil_grants = (credit_terms){LIFT_LIMIT, 30};
            c->revision = 1;
        }
    if (SIM_ATTACK_IS_LIFT(w->o.attack)) lift_attack_setup(w);
}

void lifts_free(world *w) {
    if (!w->lifts) return;
    lift_attack_free(w);
    free(w->lifts->lifts);
    free(w->lifts);
    w->lifts = NULL;
}

hansa_err lifts_submit_err(world *w, sim_chain *c, sim_node *nd, uint16_t p, uint16_t kind, const hbuf *body) {
    sim_client *cl = &c->clients[p];
    wire_tx tx = {.chain_id = c->genesis.params.chain_id, .sender = cl->key.pub, .nonce = cl->next_nonce,
                  .fee = LIFT_FEE, .kind = kind, .body = body->data, .body_len = (uint32_t)body->len};
    hbuf b = HBUF_INIT;
    chain_tx_sign_encode(&cl->key, &tx, &b);
    char why[256];
    hansa_err err = host_submit_tx_err(nd, b.data, b.len, why, sizeof why);
    if (err == HANSA_OK) {
        cl->next_nonce++;
        w->res->txs_submitted++;
    } else {
        chain_nonce_resync(nd, cl);
    }
    hbuf_free(&b);
    return err;
}

bool lifts_submit(world *w, sim_chain *c, sim_node *nd, uint16_t p, uint16_t kind, const hbuf *body) {
    return lifts_submit_err(w, c, nd, p, kind, body) == HANSA_OK;
}

static uint16_t client_of(const sim_chain *c, const hansa_pubkey *k) {
    for (uint16_t i = 0; i < c->n_clients; i++)
        if (pubkey_eq(&c->clients[i].key.pub, k)) return i;
    HANSA_UNREACHABLE();
}

/* The next step of one tally of chain k as nd's ledger has it (offer,
 * accept, or a chit of the debtor's when its debt is low); false when
 * none is due. */
static bool tally_step(world *w, sim_chain *c, sim_node *nd, sim_tally *st) {
    credit_tally t;
    const ledger_state *s = node_ledger(nd->n);
    bool exists = ledger_tally_get(s, &st->c.tally_id, &t);
    if (exists && t.state == CREDIT_TALLY_OPEN && t.balance != 0) st->open = true;
    if ((exists && t.state == CREDIT_TALLY_OPEN && t.balance >= (int64_t)LIFT_DEBT_LOW) ||
        st->n_debts == LIFT_DEBTS_MAX || (st->sent_us && w->now_us < st->sent_us + LIFT_RESEND_US))
        return false;
    hbuf b = HBUF_INIT;
    hansa_sig sig;
    uint16_t kind, by;
    if (!exists) {
        kind = TX_TALLY_OFFER, by = client_of(c, &st->c.stock.key);
        credit_contract_sign(&st->c, &c->clients[by].key, &sig);
        credit_contract_encode(&b, &st->c);
        hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    } else if (t.state == CREDIT_TALLY_OFFERED) {
        kind = TX_TALLY_ACCEPT, by = client_of(c, &st->c.foil.key);
        credit_contract_sign(&st->c, &c->clients[by].key, &sig);
        hbuf_append(&b, st->c.tally_id.b, CREDIT_ID_BYTES);
        hbuf_put_u32(&b, st->c.revision);
        hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    } else if (t.state == CREDIT_TALLY_OPEN) {
        kind = TX_CHIT, by = client_of(c, &st->c.foil.key);
        credit_chit chit = {.tally_id = st->c.tally_id, .by = CREDIT_FOIL, .kind = CREDIT_CHIT_DIRECT,
                            .amount = LIFT_DEBT};
        prng_fill(&w->rng, chit.chit_id.b, CREDIT_ID_BYTES);
        credit_chit_sign(&chit, &c->clients[by].key);
        credit_chit_encode(&b, &chit);
        st->debts[st->n_debts++] = (sim_debt){chit.chit_id, chit.amount, false};
    } else {
        return false;
    }
    lifts_submit(w, c, nd, by, kind, &b);
    st->sent_us = w->now_us;
    hbuf_free(&b);
    return true;
}

bool lifts_tally_steps(world *w, sim_chain *c, sim_node *nd) {
    for (int t = 0; t < T_PER_CHAIN; t++)
        if (tally_step(w, c, nd, &w->lifts->tallies[c->idx][t])) return true;
    return false;
}

/* ---- lifts ---- */

static bool chain_open(const sim_lifts *L, uint16_t k) {
    for (int t = 0; t < T_PER_CHAIN; t++)
        if (!L->tallies[k][t].open) return false;
    return true;
}

bool lifts_open(const world *w) { return chain_open(w->lifts, 0) && chain_open(w->lifts, 1); }

sim_lift *lifts_new(world *w) {
    sim_lifts *L = w->lifts;
    if (L->n == LIFT_MAX) return NULL;
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 64;
        L->lifts = hansa_realloc(L->lifts, L->cap * sizeof *L->lifts);
    }
    sim_lift *l = &L->lifts[L->n++];
    memset(l, 0, sizeof *l);
    return l;
}

static uint64_t lift_amount(world *w) {
    return prng_below(&w->rng, LIFT_OVER_EVERY) == 0 ? LIFT_LIMIT + 1 : 1 + prng_below(&w->rng, LIFT_AMOUNT_MAX);
}

/* A linear or circular route over tallies `ts` of chain k, paid first by `from`. */
static void route(const sim_lifts *L, uint16_t k, const int *ts, int n, credit_lift *l) {
    l->n_hops = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        const credit_contract *c = &L->tallies[k][ts[i]].c;
        l->tallies[i] = c->tally_id;
        l->parties[i] = c->stock; /* the creditor pays: the debt shrinks */
        l->parties[i + 1] = c->foil;
    }
}

static void local_lift(world *w, sim_chain *c, sim_node *nd) {
    sim_lift *sl = lifts_new(w);
    if (!sl) return;
    credit_lift *l = &sl->x.seg[0];
    static const int circle[] = {T_A, T_B, T_C};
    route(w->lifts, c->idx, circle, 3, l);
    prng_fill(&w->rng, l->lift_id.b, CREDIT_ID_BYTES);
    l->kind = CREDIT_LIFT_CIRCULAR;
    l->amount = lift_amount(w);
    l->expiry_ms = ledger_last_block_time_ms(node_ledger(nd->n)) + LIFT_LOCAL_EXPIRY_MS;
    l->referee_chain = c->genesis.params.chain_id;
    sl->seg_chain[0] = c->idx;
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, l);
    if (lifts_submit(w, c, nd, P_X, TX_LIFT, &b)) {
        w->res->lifts_local++;
        sl->start_us = w->now_us;
    }
    hbuf_free(&b);
}

/* The referee chain's time as nd's client of it last saw it (a wallet
 * asks the referee's node; this is what the chain will check against). */
bool lifts_referee_time(const world *w, const sim_node *nd, uint64_t *ms) {
    const ledger_state *s = node_ledger(nd->n);
    ic_client cl;
    ic_consensus cs;
    uint32_t ref = chain_id_of(w, LIFT_REFEREE);
    if (!ledger_client_get(s, ref, &cl) || cl.n_heights == 0 ||
        !ledger_client_consensus(s, ref, cl.heights[cl.n_heights - 1], &cs))
        return false;
    *ms = cs.time_ms;
    return true;
}

static uint16_t cross_open(const world *w) {
    const sim_lifts *L = w->lifts;
    uint16_t n = 0;
    for (size_t i = 0; i < L->n; i++) n += L->lifts[i].cross && !L->lifts[i].settled;
    return n;
}

sim_lift *lifts_cross_new(world *w, uint16_t d, uint64_t amount, uint64_t expiry_ms, bool withheld) {
    sim_lift *sl = lifts_new(w);
    if (!sl) return NULL;
    static const int first[] = {T_A, T_B}, second[] = {T_C};
    credit_lift proto;
    memset(&proto, 0, sizeof proto);
    prng_fill(&w->rng, proto.lift_id.b, CREDIT_ID_BYTES);
    proto.kind = CREDIT_LIFT_LINEAR;
    proto.amount = amount;
    proto.expiry_ms = expiry_ms;
    proto.referee_chain = chain_id_of(w, LIFT_REFEREE);
    sl->cross = true;
    sl->x.n_segs = 2;
    sl->x.seg[0] = sl->x.seg[1] = proto;
    route(w->lifts, d, first, 2, &sl->x.seg[0]);
    route(w->lifts, (uint16_t)(1 - d), second, 1, &sl->x.seg[1]);
    HANSA_ASSERT(credit_xlift_check(&sl->x, NULL, 0) == HANSA_OK && credit_xlift_circular(&sl->x));
    credit_xlift_hash(&sl->x, &sl->h);
    sl->seg_chain[0] = d;
    sl->seg_chain[1] = (uint16_t)(1 - d);
    sl->withheld = withheld;
    uint64_t expiry_us = (expiry_ms - w->chains[LIFT_REFEREE].genesis.params.genesis_time_ms) * 1000;
    uint64_t from = expiry_us > w->gst_us + w->settle_us ? expiry_us : w->gst_us + w->settle_us;
    sl->deadline_us = from + LIFT_LIVE_US;
    w->res->lifts_cross++;
    sl->start_us = w->now_us;
    return sl;
}

/* A random cross lift: X -> Z -> Y on chain d, Y -> X on the other. */
static bool cross_lift(world *w) {
    const sim_node *ref = fed_source_of(w, &w->chains[LIFT_REFEREE]);
    if (!ref || cross_open(w) >= LIFT_CROSS_OPEN_MAX) return false;
    uint16_t d = (uint16_t)prng_below(&w->rng, 2);
    uint64_t amount = lift_amount(w);
    uint64_t expiry_ms = ledger_last_block_time_ms(node_ledger(ref->n)) + LIFT_EXPIRY_MS +
                         prng_below(&w->rng, LIFT_EXPIRY_SPREAD_MS);
    bool withheld = prng_below(&w->rng, LIFT_WITHHELD_EVERY) == 0;
    return lifts_cross_new(w, d, amount, expiry_ms, withheld) != NULL;
}

/* A promise of one of chain c's segments that is due (not yet seen
 * committed at nd, not sent lately, before the expiry as nd's client of
 * the referee sees it); false when none is. */
bool lifts_promise_due(world *w, sim_chain *c, sim_node *nd) {
    sim_lifts *L = w->lifts;
    uint64_t ref_ms;
    if (!lifts_referee_time(w, nd, &ref_ms)) return false;
    for (size_t i = 0; i < L->n; i++) {
        sim_lift *sl = &L->lifts[i];
        if (!sl->cross || sl->settled || ref_ms >= sl->x.seg[0].expiry_ms) continue;
        for (int j = 0; j < 2; j++) {
            xlift_seg_rec rec;
            if (sl->seg_chain[j] != c->idx || (j == 1 && sl->withheld) ||
                (sl->promise_us[j] && w->now_us < sl->promise_us[j] + LIFT_RESEND_US) ||
                ledger_xlift_seg_get(node_ledger(nd->n), &sl->x.seg[j].lift_id, &rec))
                continue;
            hbuf pay = HBUF_INIT, body = HBUF_INIT;
            credit_xlift_payload_encode(&pay, &sl->x, (uint8_t)j);
            pkt_send s = {sl->x.seg[0].referee_chain, sl->x.seg[0].expiry_ms, PKT_TYPE_LIFT_PROMISE,
                          (uint16_t)pay.len, pay.data};
            pkt_send_encode(&body, &s);
            if (lifts_submit(w, c, nd, client_of(c, &sl->x.seg[j].parties[0].key), TX_PACKET_SEND, &body))
                w->res->lift_promises++;
            sl->promise_us[j] = w->now_us;
            hbuf_free(&pay);
            hbuf_free(&body);
            return true;
        }
    }
    return false;
}

/* A ruling the referee chain owes a segment chain still holding its
 * segment pending: the referee's record, or EXPIRED asked past the
 * expiry. Sent by any client of the referee chain. */
bool lifts_ruling_due(world *w, sim_chain *c, sim_node *nd) {
    sim_lifts *L = w->lifts;
    const ledger_state *rs = node_ledger(nd->n);
    uint64_t now_ms = ledger_last_block_time_ms(rs), height = ledger_height(rs);
    for (size_t i = 0; i < L->n; i++) {
        sim_lift *sl = &L->lifts[i];
        if (!sl->cross || sl->settled) continue;
        xlift_ref_rec f;
        uint8_t ruling = ledger_xlift_ref_get(rs, &sl->h, &f) ? f.ruling : 0;
        if (ruling == 0 && now_ms < sl->x.seg[0].expiry_ms) continue;
        for (int j = 0; j < 2; j++) {
            const sim_node *seg = fed_source_of(w, &w->chains[sl->seg_chain[j]]);
            xlift_seg_rec rec;
            if (!seg || (sl->ruled_at[j] && height < sl->ruled_at[j] + LIFT_RULE_RETRY) || now_ms < sl->rule_after_ms[j] ||
                !ledger_xlift_seg_get(node_ledger(seg->n), &sl->x.seg[j].lift_id, &rec) ||
                rec.state != XLIFT_PENDING)
                continue;
            hbuf pay = HBUF_INIT, body = HBUF_INIT;
            credit_xlift_payload_encode(&pay, &sl->x, ruling ? ruling : CREDIT_RULING_EXPIRED);
            pkt_send s = {chain_id_of(w, sl->seg_chain[j]), now_ms + 600000, PKT_TYPE_LIFT_RULING,
                          (uint16_t)pay.len, pay.data};
            pkt_send_encode(&body, &s);
            if (lifts_submit(w, c, nd, (uint16_t)prng_below(&w->rng, c->n_clients), TX_PACKET_SEND, &body))
                w->res->lift_rulings++;
            sl->ruled_at[j] = height;
            hbuf_free(&pay);
            hbuf_free(&body);
            return true;
        }
    }
    return false;
}

/* The colluding pair (DSR "forged commit"): the originator X and a client
 * of the referee chain forge the referee's COMMIT for a segment pending on
 * chain c: a ruling packet the referee chain never committed, signed by
 * the colluder, "proven" under the last header of the referee chain c's
 * client holds, and submitted by X as a recv. The chain must refuse it
 * (the transaction is no leaf under that header's tx root); one it takes
 * books a lift the referee never ruled, which (c) reports. */
bool lifts_forge_ruling(world *w, sim_chain *c, sim_node *nd) {
    sim_lifts *L = w->lifts;
    const ledger_state *s = node_ledger(nd->n);
    uint32_t ref = chain_id_of(w, LIFT_REFEREE);
    ic_client cl;
    if (!ledger_client_get(s, ref, &cl) || cl.n_heights == 0) return false;
    for (size_t i = L->n; i-- > 0;) {
        const sim_lift *sl = &L->lifts[i];
        int j = sl->cross ? (sl->seg_chain[0] == c->idx ? 0 : 1) : -1;
        xlift_seg_rec rec;
        if (j < 0 || sl->settled || !ledger_xlift_seg_get(s, &sl->x.seg[j].lift_id, &rec) ||
            rec.state != XLIFT_PENDING)
            continue;
        const sim_client *colluder = &w->chains[LIFT_REFEREE].clients[0];
        hbuf pay = HBUF_INIT, body = HBUF_INIT, send = HBUF_INIT, recv = HBUF_INIT;
        credit_xlift_payload_encode(&pay, &sl->x, CREDIT_RULING_COMMIT);
        pkt_send ps = {c->genesis.params.chain_id, UINT64_MAX / 2, PKT_TYPE_LIFT_RULING, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &ps);
        wire_tx tx = {.chain_id = ref, .sender = colluder->key.pub, .nonce = colluder->next_nonce, .fee = LIFT_FEE,
                      .kind = TX_PACKET_SEND, .body = body.data, .body_len = (uint32_t)body.len};
        chain_tx_sign_encode(&colluder->key, &tx, &send);
        pkt_recv v = {.src_chain = ref, .outcome = PKT_OK,
                      .proof = {.height = cl.heights[cl.n_heights - 1], .index = 0, .count = 1,
                                .tx_len = (uint32_t)send.len, .tx = send.data}};
        pkt_recv_encode(&recv, &v);
        w->res->lift_forgeries++;
        if (lifts_submit(w, c, nd, P_X, TX_PACKET_RECV, &recv)) w->res->lift_forgeries_taken++;
        hbuf_free(&pay);
        hbuf_free(&body);
        hbuf_free(&send);
        hbuf_free(&recv);
        return true;
    }
    return false;
}

bool lifts_client_act(world *w, sim_chain *c, sim_node *nd) {
    if (!lifts_on(w) || prng_below(&w->rng, LIFT_ACT_EVERY) != 0) return false;
    sim_lifts *L = w->lifts;
    if (c->idx == LIFT_REFEREE) return L->attack ? lift_attack_act(w, c, nd) : lifts_ruling_due(w, c, nd);
    if (c->idx > LIFT_REFEREE) return false;
    if (lifts_tally_steps(w, c, nd)) return true;
    if (L->attack) return lifts_open(w) && lift_attack_act(w, c, nd);
    if (!chain_open(L, c->idx)) return false;
    if (lifts_promise_due(w, c, nd)) return true;
    if (prng_below(&w->rng, LIFT_FORGE_EVERY) == 0 && lifts_forge_ruling(w, c, nd)) return true;
    if (c->idx == 0 && chain_open(L, 1) && cross_lift(w)) {
        lifts_promise_due(w, c, nd); /* a segment here goes at once; the other chain's clients send theirs */
        return true;
    }
    local_lift(w, c, nd);
    return true;
}

/* ---- the checkers ---- */

/* The segment of lift sl on chain k's state (cross: settled when resolved,
 * or absent once chain k's client of the referee is past the expiry, so
 * no promise of it can commit any more). */
static bool seg_settled(const world *w, const sim_lift *sl, int j, const ledger_state *s) {
    xlift_seg_rec rec;
    if (ledger_xlift_seg_get(s, &sl->x.seg[j].lift_id, &rec)) return rec.state != XLIFT_PENDING;
    ic_client cl;
    ic_consensus cs;
    uint32_t ref = chain_id_of(w, LIFT_REFEREE);
    return ledger_client_get(s, ref, &cl) && cl.n_heights > 0 &&
           ledger_client_consensus(s, ref, cl.heights[cl.n_heights - 1], &cs) &&
           cs.time_ms >= sl->x.seg[0].expiry_ms;
}

static const char *seg_state_name(bool has, const xlift_seg_rec *rec) {
    if (!has) return "absent";
    switch ((xlift_seg_state)rec->state) {
    case XLIFT_PENDING: return "pending";
    case XLIFT_COMMITTED: return "committed";
    case XLIFT_VOIDED: return "voided";
    }
    return "?";
}

/* (c) for one cross lift: each segment's state and record agree, the
 * segments agree, and both agree with the referee's ruling. */
static void check_agree(world *w, sim_lift *sl, const ledger_state *const *st) {
    int outcome[2] = {0, 0}; /* 0 unknown, else credit_ruling_outcome */
    bool resolved = true, promised = false;
    for (int j = 0; j < 2; j++) {
        const ledger_state *s = st[sl->seg_chain[j]];
        xlift_seg_rec rec;
        credit_lift_rec lr;
        bool booked = ledger_lift_get(s, &sl->x.seg[j].lift_id, &lr);
        bool has = ledger_xlift_seg_get(s, &sl->x.seg[j].lift_id, &rec);
        promised = promised || has;
        if (has && rec.state != XLIFT_PENDING)
            outcome[j] = rec.state == XLIFT_COMMITTED ? CREDIT_RULING_COMMIT : CREDIT_RULING_EXPIRED;
        if (booked != (outcome[j] == CREDIT_RULING_COMMIT))
            lifts_violation(w, true, "lift agreement: chain %u %s segment %d of a lift its state calls %s",
                      sl->seg_chain[j], booked ? "booked" : "did not book", j, seg_state_name(has, &rec));
        resolved = resolved && seg_settled(w, sl, j, s);
    }
    if (outcome[0] && outcome[1] && outcome[0] != outcome[1])
        lifts_violation(w, true, "lift agreement: committed on chain %u, voided on chain %u",
                  sl->seg_chain[outcome[0] == CREDIT_RULING_COMMIT ? 0 : 1],
                  sl->seg_chain[outcome[0] == CREDIT_RULING_COMMIT ? 1 : 0]);
    xlift_ref_rec f;
    uint8_t ruling = ledger_xlift_ref_get(st[LIFT_REFEREE], &sl->h, &f) ? f.ruling : 0;
    /* A referee state at least as high as every block relayers proved
     * from holds the ruling any honest finalization was proven by. */
    bool covers = ledger_height(st[LIFT_REFEREE]) >= w->fed_proved[LIFT_REFEREE];
    for (int j = 0; j < 2; j++)
        if (covers && ruling == 0 && outcome[j] == CREDIT_RULING_COMMIT)
            lifts_violation(w, true, "lift agreement: chain %u committed a segment the referee never ruled on",
                      sl->seg_chain[j]);
    for (int j = 0; j < 2; j++)
        if (ruling && outcome[j] && outcome[j] != ruling)
            lifts_violation(w, true, "lift agreement: chain %u %s a segment the referee ruled %s", sl->seg_chain[j],
                      outcome[j] == CREDIT_RULING_COMMIT ? "committed" : "voided",
                      ruling == CREDIT_RULING_COMMIT ? "commit" : "expired");
    sl->settled = resolved && (ruling != 0 || !promised);
    if (!sl->done_us && outcome[0] == CREDIT_RULING_COMMIT && outcome[1] == CREDIT_RULING_COMMIT)
        sl->done_us = w->now_us;
}

/* What chain k's lift records book over each of its tallies, and what its
 * pending segments would bring each side of them (`pending[t][side]`). */
typedef struct {
    uint64_t lifted[T_PER_CHAIN];
    uint64_t pending[T_PER_CHAIN][CREDIT_FOIL + 1];
} tally_lifts;

static void lifted_on(const world *w, uint16_t k, const ledger_state *s, tally_lifts *out) {
    const sim_lifts *L = w->lifts;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < L->n; i++) {
        const sim_lift *sl = &L->lifts[i];
        for (int j = 0; j < (sl->cross ? 2 : 1); j++) {
            credit_lift_rec lr;
            xlift_seg_rec rec;
            if (sl->seg_chain[j] != k) continue;
            bool booked = ledger_lift_get(s, &sl->x.seg[j].lift_id, &lr);
            bool pending = !booked && sl->cross && ledger_xlift_seg_get(s, &sl->x.seg[j].lift_id, &rec) &&
                           rec.state == XLIFT_PENDING;
            const credit_lift *l = &sl->x.seg[j];
            for (int h = 0; h < l->n_hops && (booked || pending); h++)
                for (int t = 0; t < T_PER_CHAIN; t++) {
                    const credit_contract *c = &L->tallies[k][t].c;
                    if (!credit_id_eq(&l->tallies[h], &c->tally_id)) continue;
                    if (booked) out->lifted[t] += l->amount;
                    else out->pending[t][pubkey_eq(&l->parties[h + 1].key, &c->stock.key) ? CREDIT_STOCK : CREDIT_FOIL] +=
                        l->amount;
                }
        }
    }
}

/* (a) and (d) on the tallies of chain k. Lifts only lower the creditor's
 * net and raise the debtor's; the debtor's direct chits move them the
 * other way (and an invoice the creditor paid, in a lift attack, the
 * first way). (a) holds whatever the referee still rules: with every
 * pending leg booked too, for the referee's COMMIT always books. */
static void check_tallies(world *w, uint16_t k, const ledger_state *s, const tally_lifts *tl) {
    sim_lifts *L = w->lifts;
    for (int i = 0; i < T_PER_CHAIN; i++) {
        const sim_tally *st = &L->tallies[k][i];
        credit_tally t;
        if (!ledger_tally_get(s, &st->c.tally_id, &t) || t.state != CREDIT_TALLY_OPEN) continue;
        int64_t debt = 0; /* what the chits this state holds put the balance at */
        for (uint16_t d = 0; d < st->n_debts; d++)
            if (ledger_chit_index(s, &st->c.tally_id, &st->debts[d].id) != 0)
                debt += st->debts[d].by_creditor ? -(int64_t)st->debts[d].amount : (int64_t)st->debts[d].amount;
        for (credit_side side = CREDIT_STOCK; side <= CREDIT_FOIL; side++) {
            credit_side other = side == CREDIT_STOCK ? CREDIT_FOIL : CREDIT_STOCK;
            int64_t net = side == CREDIT_STOCK ? t.balance : -t.balance;
            int64_t start = side == CREDIT_STOCK ? debt : -debt; /* where the chits, without lifts, put it */
            const credit_trade *tv = &t.trade[side].tv;
            int64_t hi = (int64_t)(tv->bound > tv->target ? tv->bound : tv->target);
            if (hi < start) hi = start;
            /* the other side's grant: the most this side may owe */
            const credit_terms *grant = side == CREDIT_STOCK ? &t.contract.foil_grants : &t.contract.stock_grants;
            int64_t lo = -(int64_t)grant->limit;
            if (net > hi || net < lo)
                lifts_violation(w, true, "lift balance: chain %u tally %c: the %s's net %" PRId64 " is outside [%" PRId64
                          ", %" PRId64 "] its trading variables and grant allow", k, 'a' + i,
                          credit_side_name(side), net, lo, hi);
            else if (net + (int64_t)tl->pending[i][side] > hi || net - (int64_t)tl->pending[i][other] < lo)
                lifts_violation(w, true, "lift balance: chain %u tally %c: the %s's net %" PRId64 " with the pending "
                          "lifts booked (+%" PRIu64 ", -%" PRIu64 ") would leave [%" PRId64 ", %" PRId64 "]", k, 'a' + i,
                          credit_side_name(side), net, tl->pending[i][side], tl->pending[i][other], lo, hi);
        }
        if (t.balance != debt - (int64_t)tl->lifted[i])
            lifts_violation(w, true, "lift conservation: chain %u tally %c: balance %" PRId64 ", but the debtor's chits "
                      "%" PRId64 " less the lifts booked over it are %" PRId64, k, 'a' + i, t.balance, debt,
                      debt - (int64_t)tl->lifted[i]);
    }
}

void lifts_check(world *w, const sim_node *const *state_of) {
    if (!lifts_on(w)) return;
    sim_lifts *L = w->lifts;
    const ledger_state *st[SIM_CHAINS_MAX];
    bool changed = false;
    for (uint16_t k = 0; k <= LIFT_REFEREE; k++) {
        if (!state_of[k]) return;
        st[k] = node_ledger(state_of[k]->n);
        changed = changed || ledger_height(st[k]) != L->checked_height[k];
    }
    if (!changed) return;
    w->res->lift_checks++;
    for (uint16_t k = 0; k <= LIFT_REFEREE; k++) {
        L->checked_height[k] = ledger_height(st[k]);
        char why[256];
        bool moved = L->credit_checked[k] != L->checked_height[k];
        if (moved && ledger_credit_check(st[k], why, sizeof why) != HANSA_OK)
            lifts_violation(w, true, "lift conservation: chain %u's credit checker: %s", k, why);
        L->credit_checked[k] = L->checked_height[k];
    }
    for (uint16_t k = 0; k < LIFT_CHAINS; k++) {
        tally_lifts tl;
        lifted_on(w, k, st[k], &tl);
        check_tallies(w, k, st[k], &tl);
    }
    for (size_t i = 0; i < L->n; i++) {
        sim_lift *sl = &L->lifts[i];
        credit_lift_rec lr;
        if (sl->cross) check_agree(w, sl, st);
        else if (sl->start_us && !sl->done_us && w->now_us <= sl->start_us + LIFT_LOCAL_EXPIRY_MS * 1000 &&
                 ledger_lift_get(st[sl->seg_chain[0]], &sl->x.seg[0].lift_id, &lr))
            sl->done_us = w->now_us;
    }
    if (L->attack) lift_attack_observe(w, st);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* p50 and p99 (ms of simulated time) of the committed lifts' latencies,
 * local (cross false) or across chains. */
static void latency(const sim_lifts *L, bool cross, uint64_t *p50, uint64_t *p99, uint64_t *n) {
    uint64_t *v = hansa_malloc((L->n ? L->n : 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; i < L->n; i++)
        if (L->lifts[i].cross == cross && L->lifts[i].done_us)
            v[(*n)++] = (L->lifts[i].done_us - L->lifts[i].start_us) / 1000;
    qsort(v, *n, sizeof *v, cmp_u64);
    *p50 = *n ? v[(*n - 1) / 2] : 0;
    *p99 = *n ? v[(*n * 99 + 99) / 100 - 1] : 0;
    free(v);
}

void lifts_finish(world *w, sim_result *r) {
    if (!lifts_on(w)) return;
    sim_lifts *L = w->lifts;
    const sim_node *state_of[SIM_CHAINS_MAX];
    for (uint16_t k = 0; k < w->n_chains; k++) state_of[k] = fed_source_of(w, &w->chains[k]);
    memset(L->checked_height, 0, sizeof L->checked_height);
    lifts_check(w, state_of);
    bool all = state_of[0] && state_of[1] && state_of[LIFT_REFEREE];
    for (size_t i = 0; i < L->n; i++) {
        const sim_lift *sl = &L->lifts[i];
        if (!all) break;
        if (!sl->cross) {
            credit_lift_rec lr;
            const ledger_state *s = node_ledger(state_of[sl->seg_chain[0]]->n);
            r->lifts_committed += ledger_lift_get(s, &sl->x.seg[0].lift_id, &lr);
            continue;
        }
        xlift_ref_rec f;
        uint8_t ruling = ledger_xlift_ref_get(node_ledger(state_of[LIFT_REFEREE]->n), &sl->h, &f) ? f.ruling : 0;
        r->lifts_committed += ruling == CREDIT_RULING_COMMIT;
        r->lifts_expired += ruling == CREDIT_RULING_EXPIRED;
        if (w->now_us < sl->deadline_us) continue;
        r->lifts_live_checked++;
        if (!sl->settled)
            lifts_violation(w, false, "lift liveness: a cross lift (expiry %" PRIu64 " ms, referee ruling %u) is "
                      "not resolved on every chain %.1f s past its deadline", sl->x.seg[0].expiry_ms, ruling,
                      (w->now_us - sl->deadline_us) / 1e6);
    }
    latency(L, false, &r->lift_local_p50_ms, &r->lift_local_p99_ms, &r->lift_local_timed);
    latency(L, true, &r->lift_cross_p50_ms, &r->lift_cross_p99_ms, &r->lift_cross_timed);
    if (L->attack && all) {
        const ledger_state *st[SIM_CHAINS_MAX];
        for (uint16_t k = 0; k <= LIFT_REFEREE; k++) st[k] = node_ledger(state_of[k]->n);
        lift_attack_finish(w, st, r);
    }
    r->violations[SIM_V_LIFTS] += L->bad;
    r->violations[SIM_V_LIFT_LIVENESS] += L->live;
    r->safety_violations += L->bad;
    r->liveness_failures += L->live;
    if (r->first_violation[0] == '\0' && L->first[0])
        snprintf(r->first_violation, sizeof r->first_violation, "%s", L->first);
}
