/* lift_attack.c — the flaws MyCHIPs' DSR study found in lift protocols, as
 * scripted attacks on the simulated federation of lifts.c (docs/sim.md
 * "Lift attacks"): `hansa sim --chains 3 --lifts --attack NAME`.
 *
 * The random lift workload meets each flaw only by chance. An attack
 * replaces its lifts with a fixed schedule over the same world (persons X,
 * Y, Z with tallies a, b on chain 0 and c on chain 1, chain 2 the referee):
 * cross lifts X -> Z -> Y on chain 0, Y -> X on chain 1, each made to meet
 * exactly one flaw, and each with the outcome the real rules give it. The
 * checkers of lifts.c run as always; at the end every scripted lift must
 * have ended as ruled (committed on both chains and by the referee, or
 * booked nowhere with no segment left pending). With the rule the flaw
 * breaks replaced by its mutant (scripts/mutate --scenarios), a checker
 * fires in the first run:
 *
 *   interlocking        two lifts that each fit the debts, not both: the
 *                       second's promises are refused (its segments hold
 *                       nothing); lift-ignores-holds, balance (a)
 *   unilateral-timeout  both promised and ruled COMMIT, but chain 1 asks
 *                       for its ruling only past the expiry: the referee
 *                       answers COMMIT still; ruling-twice, agreement (c)
 *   crashed-relay       chain 1 crashes (every delegate) right after its
 *                       promise commits, before the referee's relayers
 *                       read it, and is back past the expiry: EXPIRED,
 *                       both segments voided; expired-ignored, liveness (b)
 *   silent-originator   only chain 0's segment is promised and nobody
 *                       tells the referee: asked past the expiry it rules
 *                       EXPIRED; lift-book-any, agreement (c)
 *   forged-commit       as silent-originator, while the originator and a
 *                       client of the referee forge its COMMIT on chain 0
 *                       (lifts_forge_ruling): refused; proof-any, agreement (c)
 *   invoice-overlift    Z invoices X on a for all the grant leaves X less
 *                       half the lift to come; while the lift is pending
 *                       on chain 0 (its ruling held until the expiry), X
 *                       pays: the payment fits alone, not with the pending
 *                       leg, and is refused (xlift_room); the lift commits.
 *                       pay-ignores-holds, balance (a) with pending legs
 *   all                 each of the above in turn, in one run
 *
 * No random faults: the only crash is the script's, before a GST placed
 * after it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "ledger/credit_rec.h"
#include "ledger/xlift.h"
#include "sim/lifts.h"

#define ATTACK_EXPIRY_MS 8000       /* a scripted lift expires this long past the referee's time */
#define ATTACK_AMOUNT 500
#define ATTACK_LATE_MS 2000         /* unilateral-timeout: chain 1 asks this long past the expiry */
#define ATTACK_RESTART_US 3000000   /* crashed-relay: chain 1 is back this long past the expiry */
#define ATTACK_GST_US 30000000ull   /* after the crash, when the script crashes */
#define ATTACK_FORGERIES 3
#define ATTACK_INTERLOCK_MIN 5000   /* debts the two interlocking lifts race for, at least */
#define ATTACK_STAGES 6

typedef struct {
    sim_attack_kind kind;
    bool started;
    size_t first, n;          /* its lifts in w->lifts->lifts */
    uint64_t crashed_us;      /* crashed-relay: when chain 1 went down; 0 not yet */
    uint64_t forgeries;       /* forged-commit: forged rulings submitted */
    /* invoice-overlift: Z's invoice to X on a; 1 sent, 2 its lift made, 3 paid (or refused) */
    credit_invoice inv;
    uint8_t phase;
    uint64_t sent_us;
    bool paid_chit, pay_refused; /* its payment made; refused at once for want of room */
    credit_chit chit;
} stage;

struct lift_attack {
    stage stages[ATTACK_STAGES];
    int n, cur;
};

static bool has_crash(sim_attack_kind a) { return a == SIM_ATTACK_LIFT_RELAY || a == SIM_ATTACK_LIFT_ALL; }

hansa_err lift_attack_check_options(const sim_options *o) {
    HANSA_ASSERT(SIM_ATTACK_IS_LIFT(o->attack));
    if (!o->lifts || o->chains != 3 || o->faults != 0 || o->byz_power_third || o->break_line29)
        return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

uint64_t lift_attack_gst_us(const world *w) { return has_crash(w->o.attack) ? ATTACK_GST_US : 0; }

void lift_attack_setup(world *w) {
    lift_attack *A = hansa_calloc(1, sizeof *A);
    w->lifts->attack = A;
    if (w->o.attack != SIM_ATTACK_LIFT_ALL) {
        A->stages[A->n++].kind = w->o.attack;
        return;
    }
    /* The crash first, well before GST; interlocking next, while the debts
     * are whole (its lifts race for most of them). */
    static const sim_attack_kind all[ATTACK_STAGES] = {SIM_ATTACK_LIFT_RELAY, SIM_ATTACK_LIFT_INTERLOCK,
                                                       SIM_ATTACK_LIFT_TIMEOUT, SIM_ATTACK_LIFT_SILENT,
                                                       SIM_ATTACK_LIFT_FORGE, SIM_ATTACK_LIFT_INVOICE};
    for (int i = 0; i < ATTACK_STAGES; i++) A->stages[A->n++].kind = all[i];
}

void lift_attack_free(world *w) {
    free(w->lifts->attack);
    w->lifts->attack = NULL;
}

static const ledger_state *state_of(const world *w, uint16_t k) {
    const sim_node *nd = fed_source_of(w, &w->chains[k]);
    return nd ? node_ledger(nd->n) : NULL;
}

static int64_t balance_of(const world *w, uint16_t k, int t) {
    credit_tally tally;
    const ledger_state *s = state_of(w, k);
    return s && ledger_tally_get(s, &w->lifts->tallies[k][t].c.tally_id, &tally) ? tally.balance : 0;
}

static sim_lift *scripted(world *w, stage *s, uint64_t amount, uint64_t expiry_ms, bool withheld, uint8_t expect) {
    sim_lift *sl = lifts_cross_new(w, 0, amount, expiry_ms, withheld);
    if (!sl) return NULL;
    sl->expect = expect;
    s->n++;
    return sl;
}

/* invoice-overlift, first: Z invoices X on a for what the grant leaves X
 * (its limit past the balance) less half the lift to come. */
static bool invoice_create(world *w, stage *s, sim_chain *c, sim_node *nd) {
    const sim_tally *a = &w->lifts->tallies[0][T_A];
    credit_tally t;
    if (!s->phase) {
        if (!ledger_tally_get(node_ledger(nd->n), &a->c.tally_id, &t) || t.balance < (int64_t)LIFT_DEBT_LOW) return false;
        memset(&s->inv, 0, sizeof s->inv);
        prng_fill(&w->rng, s->inv.invoice_id.b, CREDIT_ID_BYTES);
        s->inv.tally_id = a->c.tally_id;
        s->inv.payee = CREDIT_FOIL;
        s->inv.amount = t.contract.foil_grants.limit + (uint64_t)t.balance - ATTACK_AMOUNT / 2;
        s->phase = 1;
    }
    hbuf b = HBUF_INIT;
    credit_invoice_encode(&b, &s->inv);
    lifts_submit(w, c, nd, P_Z, TX_INVOICE_CREATE, &b);
    hbuf_free(&b);
    s->sent_us = w->now_us;
    return true;
}

/* ... then, once the invoice is in, the lift over a (COMMIT: nothing stops
 * it); once its segment on chain 0 is pending, X pays the invoice: the
 * payment fits the grant alone, not with the pending leg booked, so the
 * chain must refuse it (xlift_room) and the invoice stays PENDING. */
static bool invoice_step(world *w, stage *s, sim_chain *c, sim_node *nd, uint64_t expiry) {
    const ledger_state *st = node_ledger(nd->n);
    credit_invoice inv;
    if (s->phase == 1 && !ledger_invoice_get(st, &s->inv.invoice_id, &inv))
        return w->now_us >= s->sent_us + 3000000 && invoice_create(w, s, c, nd);
    if (s->phase == 1) {
        sim_lift *sl = lifts_cross_new(w, 0, ATTACK_AMOUNT, expiry, false);
        if (!sl) return false;
        sl->expect = CREDIT_RULING_COMMIT;
        /* Its ruling goes out only at the expiry: the legs stay pending
         * for seconds, long enough for the payment to meet them. */
        sl->rule_after_ms[0] = sl->rule_after_ms[1] = expiry;
        s->first = w->lifts->n - 1;
        s->n = 1;
        s->phase = 2;
        lifts_promise_due(w, c, nd);
        return true;
    }
    xlift_seg_rec rec;
    const sim_lift *sl = &w->lifts->lifts[s->first];
    if (s->phase != 2 || !ledger_xlift_seg_get(st, &sl->x.seg[0].lift_id, &rec) || rec.state != XLIFT_PENDING)
        return false;
    sim_tally *a = &w->lifts->tallies[0][T_A];
    if (!s->paid_chit) { /* one chit, sent again while the node refuses it for another reason (a nonce) */
        if (a->n_debts == LIFT_DEBTS_MAX) return false;
        s->paid_chit = true;
        s->chit = (credit_chit){.tally_id = a->c.tally_id, .by = CREDIT_STOCK, .kind = CREDIT_CHIT_INVOICE,
                                .amount = s->inv.amount, .invoice_id = s->inv.invoice_id};
        prng_fill(&w->rng, s->chit.chit_id.b, CREDIT_ID_BYTES);
        credit_chit_sign(&s->chit, &c->clients[P_X].key);
        a->debts[a->n_debts++] = (sim_debt){s->chit.chit_id, s->chit.amount, true};
    }
    hbuf b = HBUF_INIT;
    credit_chit_encode(&b, &s->chit);
    hansa_err err = lifts_submit_err(w, c, nd, P_X, TX_INVOICE_PAY, &b);
    hbuf_free(&b);
    /* Taken (a block must still refuse it), or refused for want of room. */
    if (err == HANSA_OK || err == HANSA_ERR_FUNDS) s->phase = 3;
    s->pay_refused = err == HANSA_ERR_FUNDS;
    return true;
}

static uint64_t expiry_from(const ledger_state *ref) { return ledger_last_block_time_ms(ref) + ATTACK_EXPIRY_MS; }

/* Starts stage s with its lifts; false while it cannot start yet. */
static bool stage_start(world *w, stage *s, sim_chain *c, sim_node *nd) {
    const ledger_state *ref = state_of(w, LIFT_REFEREE);
    if (!ref) return false;
    uint64_t expiry = expiry_from(ref);
    s->first = w->lifts->n;
    switch (s->kind) {
    case SIM_ATTACK_LIFT_INTERLOCK: {
        int64_t least = balance_of(w, 0, T_A);
        if (balance_of(w, 0, T_B) < least) least = balance_of(w, 0, T_B);
        if (balance_of(w, 1, T_C) < least) least = balance_of(w, 1, T_C);
        if (least < ATTACK_INTERLOCK_MIN) return false;
        /* Each fits what is owed on every tally of its route; both do not. */
        uint64_t amount = (uint64_t)least * 3 / 5;
        scripted(w, s, amount, expiry, false, CREDIT_RULING_COMMIT);
        scripted(w, s, amount, expiry, false, CREDIT_RULING_EXPIRED);
        break;
    }
    case SIM_ATTACK_LIFT_TIMEOUT: {
        sim_lift *sl = scripted(w, s, ATTACK_AMOUNT, expiry, false, CREDIT_RULING_COMMIT);
        if (sl) sl->rule_after_ms[1] = expiry + ATTACK_LATE_MS;
        break;
    }
    case SIM_ATTACK_LIFT_RELAY: scripted(w, s, ATTACK_AMOUNT, expiry, false, CREDIT_RULING_EXPIRED); break;
    case SIM_ATTACK_LIFT_SILENT:
    case SIM_ATTACK_LIFT_FORGE: scripted(w, s, ATTACK_AMOUNT, expiry, true, CREDIT_RULING_EXPIRED); break;
    case SIM_ATTACK_LIFT_INVOICE:
        if (!invoice_create(w, s, c, nd)) return false;
        break;
    case SIM_ATTACK_NONE:
    case SIM_ATTACK_LINE29:
    case SIM_ATTACK_CRASH_PRECOMMIT:
    case SIM_ATTACK_FROST_HANDOFF:
    case SIM_ATTACK_LIFT_ALL: HANSA_UNREACHABLE();
    }
    s->started = true;
    return true;
}

/* Done: every lift of s resolved everywhere, or past its deadline (then the
 * liveness checker reports it and the next stage goes on). */
static bool stage_done(const world *w, const stage *s) {
    if (s->kind == SIM_ATTACK_LIFT_INVOICE && s->phase < 3) return false;
    for (size_t i = s->first; i < s->first + s->n; i++) {
        const sim_lift *sl = &w->lifts->lifts[i];
        if (!sl->settled && w->now_us < sl->deadline_us) return false;
    }
    return true;
}

bool lift_attack_act(world *w, sim_chain *c, sim_node *nd) {
    lift_attack *A = w->lifts->attack;
    if (c->idx == LIFT_REFEREE) return lifts_ruling_due(w, c, nd);
    if (lifts_promise_due(w, c, nd)) return true;
    if (A->cur == A->n) return false;
    stage *s = &A->stages[A->cur];
    if (s->started && s->kind == SIM_ATTACK_LIFT_FORGE && c->idx == 0 && s->forgeries < ATTACK_FORGERIES &&
        lifts_forge_ruling(w, c, nd)) {
        s->forgeries++;
        return true;
    }
    if (s->started && s->kind == SIM_ATTACK_LIFT_INVOICE && c->idx == 0 && s->phase < 3) {
        const ledger_state *ref = state_of(w, LIFT_REFEREE);
        return ref && invoice_step(w, s, c, nd, expiry_from(ref));
    }
    if (s->started && stage_done(w, s)) {
        if (++A->cur == A->n) return false;
        s = &A->stages[A->cur];
    }
    if (s->started || c->idx != 0 || !stage_start(w, s, c, nd)) return false;
    lifts_promise_due(w, c, nd); /* chain 0's segment goes at once */
    return true;
}

bool lift_attack_running(const world *w) {
    const lift_attack *A = w->lifts ? w->lifts->attack : NULL;
    if (!A) return false;
    if (A->cur < A->n) return true;
    for (size_t i = 0; i < w->lifts->n; i++)
        if (w->now_us < w->lifts->lifts[i].deadline_us) return true;
    return false;
}

/* crashed-relay: every delegate of chain 1 goes down as soon as its
 * promise is committed there (no relayer of the referee has read it yet:
 * they read after their own commits, and these crashes come first), and
 * comes back past the expiry, when the promise can no longer count. */
void lift_attack_observe(world *w, const ledger_state *const *st) {
    lift_attack *A = w->lifts->attack;
    if (A->cur == A->n) return;
    stage *s = &A->stages[A->cur];
    if (s->kind != SIM_ATTACK_LIFT_RELAY || !s->started || s->crashed_us) return;
    const sim_lift *sl = &w->lifts->lifts[s->first];
    xlift_seg_rec rec;
    if (!ledger_xlift_seg_get(st[sl->seg_chain[1]], &sl->x.seg[1].lift_id, &rec)) return;
    const sim_chain *c = &w->chains[sl->seg_chain[1]];
    uint64_t expiry_us = (sl->x.seg[0].expiry_ms - w->chains[LIFT_REFEREE].genesis.params.genesis_time_ms) * 1000;
    if (expiry_us + ATTACK_RESTART_US > w->gst_us) /* the schedule no longer fits before GST */
        lifts_violation(w, true, "attack crashed-relay: chain %u would be back at %.3f s, past GST",
                        sl->seg_chain[1], (expiry_us + ATTACK_RESTART_US) / 1e6);
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        world_push(w, w->now_us, EV_CRASH, &w->nodes[i], 0, 0, 0, 0, NULL);
        world_push(w, expiry_us + ATTACK_RESTART_US, EV_RESTART, &w->nodes[i], 0, 0, 0, 0, NULL);
    }
    s->crashed_us = w->now_us;
    w->res->attack_crashes += c->n_nodes;
}

static const char *outcome_name(uint8_t o) {
    return o == CREDIT_RULING_COMMIT ? "commit" : o == CREDIT_RULING_EXPIRED ? "expired" : "none";
}

/* Lift sl ended as the real rules make it: committed by the referee and
 * on both chains, or booked nowhere and pending nowhere. */
static bool as_ruled(const world *w, const sim_lift *sl, const ledger_state *const *st, char *why, size_t len) {
    xlift_ref_rec f;
    uint8_t ruling = ledger_xlift_ref_get(st[LIFT_REFEREE], &sl->h, &f) ? f.ruling : 0;
    bool ok = sl->expect == CREDIT_RULING_COMMIT ? ruling == CREDIT_RULING_COMMIT : ruling != CREDIT_RULING_COMMIT;
    int n = snprintf(why, len, "referee %s", outcome_name(ruling));
    for (int j = 0; j < 2; j++) {
        xlift_seg_rec rec;
        bool has = ledger_xlift_seg_get(st[sl->seg_chain[j]], &sl->x.seg[j].lift_id, &rec);
        xlift_seg_state want = sl->expect == CREDIT_RULING_COMMIT ? XLIFT_COMMITTED : XLIFT_VOIDED;
        ok = ok && (has ? rec.state == want : want == XLIFT_VOIDED);
        if (n >= 0 && (size_t)n < len)
            n += snprintf(why + n, len - (size_t)n, ", chain %u %s", sl->seg_chain[j],
                          !has ? "absent" : rec.state == XLIFT_PENDING ? "pending"
                                          : rec.state == XLIFT_COMMITTED ? "committed" : "voided");
    }
    (void)w;
    return ok;
}

void lift_attack_finish(world *w, const ledger_state *const *st, sim_result *r) {
    const lift_attack *A = w->lifts->attack;
    for (int k = 0; k < A->n; k++) {
        const stage *s = &A->stages[k];
        const char *name = sim_attack_name(s->kind);
        if (!s->started) {
            lifts_violation(w, true, "attack %s: never started (the tallies never opened)", name);
            continue;
        }
        if (s->kind == SIM_ATTACK_LIFT_RELAY && !s->crashed_us)
            lifts_violation(w, true, "attack %s: chain 1 never held the promise to crash on", name);
        if (s->kind == SIM_ATTACK_LIFT_FORGE && s->forgeries == 0)
            lifts_violation(w, true, "attack %s: no forged ruling was made", name);
        credit_invoice inv;
        if (s->kind == SIM_ATTACK_LIFT_INVOICE && s->phase < 3)
            lifts_violation(w, true, "attack %s: the invoice was never paid over a pending lift", name);
        else if (s->kind == SIM_ATTACK_LIFT_INVOICE &&
                 !(ledger_invoice_get(st[0], &s->inv.invoice_id, &inv) && inv.state == CREDIT_INV_PENDING))
            lifts_violation(w, true, "attack %s: the invoice was paid over the pending lift", name);
        for (size_t i = s->first; i < s->first + s->n; i++) {
            const sim_lift *sl = &w->lifts->lifts[i];
            char why[160];
            r->attack_lifts++;
            if (as_ruled(w, sl, st, why, sizeof why)) r->attack_lifts_as_ruled++;
            else
                lifts_violation(w, true, "attack %s: lift %zu should end %s, ended %s", name, i - s->first + 1,
                                outcome_name(sl->expect), why);
        }
    }
}
