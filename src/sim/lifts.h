/* lifts.h — what lifts.c (the lift workload and its checkers) shares with
 * lift_attack.c (the scripted DSR attacks that replace the workload's random
 * lifts): the simulated tallies and lifts, and the client steps both drive.
 * Internal to sim/. */
#ifndef HANSA_SIM_LIFTS_H
#define HANSA_SIM_LIFTS_H

#include "credit/xlift.h"
#include "sim/world.h"

enum { P_X, P_Y, P_Z };
enum { T_A, T_B, T_C, T_PER_CHAIN };
#define LIFT_CHAINS 2 /* chains holding tallies; chain 2 referees */
#define LIFT_REFEREE 2
#define LIFT_DEBT 20000ull        /* a debtor's chit: at the start, and again when its debt is */
#define LIFT_DEBT_LOW 2000        /* ... below this (lifts then race for what is left) */
#define LIFT_DEBTS_MAX 256        /* chits a tally's debtor sends in a run */
#define LIFT_LIVE_US 20000000ull  /* past expiry and GST + settle: resolved everywhere */

typedef struct {
    credit_id id;
    uint64_t amount;
    bool by_creditor; /* an invoice chit the creditor paid (lift attack invoice-overlift) */
} sim_debt;

typedef struct {
    credit_contract c;
    uint64_t sent_us; /* last setup step or debt submitted */
    bool open;        /* OPEN with a debt, as some node saw it */
    sim_debt debts[LIFT_DEBTS_MAX]; /* the debtor's direct chits submitted */
    uint16_t n_debts;
} sim_tally;

typedef struct {
    bool cross;
    bool withheld;
    credit_xlift x;         /* cross: the descriptor; local: seg[0] is the lift */
    uint16_t seg_chain[2];  /* chain index of each segment (local: seg_chain[0]) */
    hansa_hash h;           /* the descriptor's hash (cross) */
    uint64_t promise_us[2]; /* last promise submitted per segment; 0 none */
    uint64_t ruled_at[2];   /* referee height a ruling was last sent to each segment chain */
    bool settled;           /* ruled, and resolved on every chain (cross) */
    uint64_t deadline_us;   /* (b): resolved everywhere by then */
    /* Lift attacks: the outcome the real rules give it (0: not scripted),
     * and the referee time before which no ruling goes to each segment. */
    uint8_t expect;
    uint64_t rule_after_ms[2];
    /* Latency: made (local: submitted; cross: its first promise due), and
     * first seen committed on every chain it touches; 0 not (yet). */
    uint64_t start_us, done_us;
} sim_lift;

typedef struct lift_attack lift_attack; /* lift_attack.c */

struct sim_lifts {
    sim_tally tallies[LIFT_CHAINS][T_PER_CHAIN];
    sim_lift *lifts;
    size_t n, cap;
    uint64_t checked_height[SIM_CHAINS_MAX]; /* states last checked (skip when unchanged) */
    uint64_t credit_checked[SIM_CHAINS_MAX];
    uint64_t bad, live;
    char first[256];
    lift_attack *attack; /* o.attack a lift attack */
};

/* lifts.c */
void lifts_violation(world *w, bool safety, const char *fmt, ...);
sim_lift *lifts_new(world *w);
/* A cross lift X -> Z -> Y over a and b of chain d, Y -> X over c of the
 * other, refereed by chain 2, of `amount`, expiring at expiry_ms of the
 * referee's time; NULL at the run's lift budget. */
sim_lift *lifts_cross_new(world *w, uint16_t d, uint64_t amount, uint64_t expiry_ms, bool withheld);
/* The referee chain's time as nd's client of it last saw it. */
bool lifts_referee_time(const world *w, const sim_node *nd, uint64_t *ms);
/* One due promise, ruling or forged ruling submitted through nd of c, or false. */
bool lifts_promise_due(world *w, sim_chain *c, sim_node *nd);
bool lifts_ruling_due(world *w, sim_chain *c, sim_node *nd);
bool lifts_forge_ruling(world *w, sim_chain *c, sim_node *nd);
/* Signs and submits a transaction of client p of chain c to nd; false when nd refuses it. */
bool lifts_submit(world *w, sim_chain *c, sim_node *nd, uint16_t p, uint16_t kind, const hbuf *body);
hansa_err lifts_submit_err(world *w, sim_chain *c, sim_node *nd, uint16_t p, uint16_t kind, const hbuf *body);
/* The tally steps of chain c (setup, debts), and whether both chains' are open. */
bool lifts_tally_steps(world *w, sim_chain *c, sim_node *nd);
bool lifts_open(const world *w);
uint32_t lifts_chain_id(const world *w, uint16_t k);

/* lift_attack.c */
void lift_attack_setup(world *w);
void lift_attack_free(world *w);
/* A scripted client action on chain c (after the tallies' steps). */
bool lift_attack_act(world *w, sim_chain *c, sim_node *nd);
/* After each check, over the same states: crashes the script times on them. */
void lift_attack_observe(world *w, const ledger_state *const *st);
/* At the end: each scripted lift ended as the real rules make it end. */
void lift_attack_finish(world *w, const ledger_state *const *st, sim_result *r);

#endif
