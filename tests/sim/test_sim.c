/* test_sim.c — the deterministic simulator driving production nodes:
 * replay, campaigns, and checkers that are shown to fire (here on real runs
 * and hand-made traces; the mutation run, scripts/mutate, shows them
 * catching single-line bugs in the engine and the node).
 *
 * Every run here is a pure function of its seed, so these tests are
 * deterministic. The campaign prints the seed range it covers; a failing seed
 * is printed with the `hansa sim` command that replays it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "check.h"
#include "sim/check.h"
#include "crypto/sign.h"
#include "ledger/leaves.h"
#include "ledger/writes.h"
#include "sim/sig.h"
#include "sim/sim.h"
#include "wire/codec.h"

static sim_result run(uint64_t seed, uint16_t nodes, uint64_t heights, const char *mix,
                      bool over_budget) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = seed;
    o.nodes = nodes;
    o.heights = heights;
    o.byz_power_third = over_budget;
    CHECK_ERR(sim_faults_parse(mix, &o.faults, NULL), HANSA_OK);
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    return r;
}

static void test_same_seed_same_digest(void) {
    sim_result a = run(42, 5, 3, "net+crash+drift+byzantine", false);
    sim_result b = run(42, 5, 3, "net+crash+drift+byzantine", false);
    sim_result c = run(43, 5, 3, "net+crash+drift+byzantine", false);
    CHECK(hash_eq(&a.digest, &b.digest));
    CHECK_EQ_U64(a.events, b.events);
    CHECK(!hash_eq(&a.digest, &c.digest));
    sim_result d = run(42, 5, 3, "none", false);
    CHECK(!hash_eq(&a.digest, &d.digest)); /* the faults change the run */
}

static void test_options_rejected(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.nodes = 3;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.nodes = 4;
    o.heights = 0;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.heights = 1;
    o.load_tps = SIM_LOAD_TPS_MAX + 1;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.chains = SIM_CHAINS_MAX + 1;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.chains = 2;
    o.nodes = SIM_NODES_MAX / 2 + 1; /* 2 chains of these: too many nodes */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.nodes = 4;
    o.attack = SIM_ATTACK_LINE29; /* the script's world is one chain */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    uint32_t f;
    const char *why = NULL;
    CHECK_ERR(sim_faults_parse("net+bogus", &f, &why), HANSA_ERR_CONFIG);
    CHECK(why != NULL);
    CHECK_ERR(sim_faults_parse("partition+clog", &f, NULL), HANSA_OK);
    CHECK_EQ_U64(f, SIM_F_PARTITION | SIM_F_CLOG);
}

/* Within the fault budget nothing may go wrong: a campaign over the mixes. */
static void test_campaign_within_budget(void) {
    static const char *mixes[] = {"none", "net", "partition", "clog", "crash", "drift",
                                  "byzantine", "byz-equivocate+byz-double-vote+net",
                                  "byz-garbage+byz-invalid+partition", "byz-amnesia+clog+drift",
                                  "crash+byzantine+partition", "byz-equivocate",
                                  "byz-double-vote", "byz-silent", "byz-garbage", "byz-invalid",
                                  "byz-amnesia", "all"};
    const uint64_t first = 1000, per_mix = 12;
    uint64_t runs = 0, heights = 0;
    fprintf(stderr, "campaign: seeds %" PRIu64 "..%" PRIu64 " for each of %zu mixes\n", first,
            first + per_mix - 1, sizeof mixes / sizeof mixes[0]);
    for (size_t m = 0; m < sizeof mixes / sizeof mixes[0]; m++) {
        for (uint64_t s = first; s < first + per_mix; s++) {
            uint16_t nodes = (uint16_t)(4 + s % 7);
            sim_result r = run(s, nodes, 3, mixes[m], false);
            runs++;
            heights += r.heights_decided;
            if (r.safety_violations || r.liveness_failures)
                fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed %" PRIu64
                                " --nodes %u --heights 3 --faults %s\n",
                        r.first_violation, s, nodes, mixes[m]);
            CHECK_EQ_U64(r.safety_violations, 0);
            CHECK_EQ_U64(r.liveness_failures, 0);
            CHECK(r.heights_decided >= 3);
        }
    }
    fprintf(stderr, "campaign: %" PRIu64 " runs, %" PRIu64 " heights decided\n", runs, heights);
}

/* Several chains: each keeps its own budget and checkers; a run replays,
 * and within budget no chain's checker fires under the fault mixes. */
static void test_chains_campaign(void) {
    static const char *mixes[] = {"none", "all", "byzantine+partition+crash", "net+clog+drift+targeted"};
    const uint64_t first = 3000, per_mix = 3;
    fprintf(stderr, "chains campaign: seeds %" PRIu64 "..%" PRIu64 ", 2-3 chains\n", first, first + per_mix - 1);
    for (size_t m = 0; m < sizeof mixes / sizeof mixes[0]; m++) {
        for (uint64_t s = first; s < first + per_mix; s++) {
            sim_options o;
            sim_result r, again;
            sim_options_default(&o);
            o.seed = s;
            o.nodes = (uint16_t)(4 + s % 3);
            o.chains = (uint8_t)(2 + s % 2);
            o.heights = 3;
            CHECK_ERR(sim_faults_parse(mixes[m], &o.faults, NULL), HANSA_OK);
            CHECK_ERR(sim_run(&o, &r), HANSA_OK);
            if (r.safety_violations || r.liveness_failures)
                fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed %" PRIu64 " --nodes %u --chains %u "
                                "--heights 3 --faults %s\n",
                        r.first_violation, s, o.nodes, o.chains, mixes[m]);
            CHECK_EQ_U64(r.safety_violations, 0);
            CHECK_EQ_U64(r.liveness_failures, 0);
            CHECK(r.heights_decided >= 3);
            if (m == 1 && s == first) { /* one replay per campaign is enough */
                CHECK_ERR(sim_run(&o, &again), HANSA_OK);
                CHECK(hash_eq(&r.digest, &again.digest));
            }
        }
    }
}

/* Over budget (Byzantine power >= 1/3, coordinated equivocation), the
 * checkers must report a safety violation for some seed of a fixed range. */
static void test_checkers_fire_over_budget(void) {
    uint64_t found = 0;
    for (uint64_t s = 1; s <= 20 && !found; s++) {
        sim_result r = run(s, 4 + (uint16_t)(s % 4), 4, "none", true);
        CHECK(r.byz_power * 3 >= r.total_power);
        if (r.safety_violations) {
            found = s;
            fprintf(stderr, "over budget: seed %" PRIu64 " -> %s\n", s, r.first_violation);
        }
    }
    CHECK(found != 0);
}

/* Delegate churn: an election every 2 or 3 heights while clients' votes
 * move weight between candidates and faults run; double-signers are
 * slashed by the ledger; every checker, slashing included, passes. */
static sim_result run_churn(uint64_t seed, uint16_t nodes, const char *mix, uint32_t k) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = seed;
    o.nodes = nodes;
    o.heights = 12;
    o.valset_change = k;
    CHECK_ERR(sim_faults_parse(mix, &o.faults, NULL), HANSA_OK);
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    return r;
}

static const char *churn_mixes[] = {"byz-double-vote", "byz-equivocate", "byz-double-vote+crash",
                                    "byz-equivocate+partition",
                                    "byz-double-vote+byz-equivocate+crash+partition+net"};
#define CHURN_MIXES (sizeof churn_mixes / sizeof churn_mixes[0])

static void test_campaign_delegates(void) {
    const uint64_t first = 2000, per_mix = 6;
    uint64_t runs = 0, heights = 0, accused_runs = 0, slashed = 0, changes = 0;
    fprintf(stderr, "delegates: seeds %" PRIu64 "..%" PRIu64 " for each of %zu mixes, 12 heights\n",
            first, first + per_mix - 1, CHURN_MIXES);
    for (size_t m = 0; m < CHURN_MIXES; m++) {
        for (uint64_t s = first; s < first + per_mix; s++) {
            uint16_t nodes = (uint16_t)(5 + s % 6);
            uint32_t k = 2 + (uint32_t)(s % 2);
            sim_result r = run_churn(s, nodes, churn_mixes[m], k);
            runs++;
            heights += r.heights_decided;
            changes += r.set_changes;
            slashed += r.slashed;
            accused_runs += r.evidence > 0;
            if (r.safety_violations || r.liveness_failures)
                fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed %" PRIu64
                                " --nodes %u --heights 12 --faults %s --valset-change %u\n",
                        r.first_violation, s, nodes, churn_mixes[m], k);
            CHECK_EQ_U64(r.safety_violations, 0);
            CHECK_EQ_U64(r.liveness_failures, 0);
            CHECK(r.heights_decided >= 12);
            CHECK(r.set_changes >= 1); /* the set did change while the faults ran */
            if (r.evidence > 0 && r.byz_nodes > 0) CHECK(r.slashed > 0);
        }
    }
    fprintf(stderr, "delegates: %" PRIu64 " runs, %" PRIu64 " heights, %" PRIu64
                    " set changes, %" PRIu64 " runs with evidence, %" PRIu64 " slashed\n",
            runs, heights, changes, accused_runs, slashed);
    CHECK(accused_runs > runs / 3); /* equivocating proposers vote once: no evidence */
}

static void test_churn_replays(void) {
    sim_result a = run_churn(77, 7, "byz-double-vote+crash", 2);
    sim_result b = run_churn(77, 7, "byz-double-vote+crash", 2);
    sim_result c = run_churn(77, 7, "byz-double-vote+crash", 3);
    CHECK(hash_eq(&a.digest, &b.digest));
    CHECK(!hash_eq(&a.digest, &c.digest));
    sim_options o;
    sim_options_default(&o);
    o.valset_change = SIM_VALSET_CHANGE_MAX + 1;
    CHECK_ERR(sim_run(&o, &a), HANSA_ERR_CONFIG);
}

/* Seeds that once found a real bug, replayed as they were found (each
 * failed on the code before its fix). */
static void test_regression_seeds(void) {
    static const struct {
        uint64_t seed;
        uint16_t nodes;
        const char *mix;
        uint32_t load;
        const char *bug;
    } seeds[] = {
        {3330, 9, "crash+drift+byz-double-vote+byz-silent+targeted", 20,
         "a precommit lost in flight as its round ended at once (signer state keeps it now)"},
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        sim_options o;
        sim_result r;
        sim_options_default(&o);
        o.seed = seeds[i].seed;
        o.nodes = seeds[i].nodes;
        o.heights = 4;
        o.load_tps = seeds[i].load;
        CHECK_ERR(sim_faults_parse(seeds[i].mix, &o.faults, NULL), HANSA_OK);
        CHECK_ERR(sim_run(&o, &r), HANSA_OK);
        if (r.safety_violations + r.liveness_failures != 0)
            fprintf(stderr, "  FAIL seed %" PRIu64 " (%s): %s\n", seeds[i].seed, seeds[i].bug, r.first_violation);
        CHECK_EQ_U64(r.safety_violations + r.liveness_failures, 0);
    }
}

/* Clients' transfers reach blocks on every node; the supply and app-hash
 * checkers ran after each of them (a violation would be counted). */
static void test_load_committed(void) {
    sim_result r = run(5, 5, 10, "crash+net", false);
    CHECK_EQ_U64(r.safety_violations, 0);
    CHECK(r.txs_submitted > 20);
    CHECK(r.txs_committed > 10);
    CHECK(r.disk_writes > 100);
    fprintf(stderr, "load: %" PRIu64 " txs submitted, %" PRIu64 " committed, %" PRIu64
                    " crashes (%" PRIu64 " in a write)\n",
            r.txs_submitted, r.txs_committed, r.crashes, r.write_crashes);
}

/* Crashes take the lazy writes still in memory, power losses (half the
 * crashes the mix draws) those a relaxed commit carried too: across a few
 * crash seeds some are lost (peers' WAL records, signer states no
 * signature needed yet: what is lost is checked in test_disk), and every
 * node restarts without signing twice or stalling. */
static void test_power_loss_restart(void) {
    uint64_t losses = 0, lost = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        sim_result r = run(seed, 4, 20, "crash", false);
        if (r.safety_violations || r.liveness_failures)
            fprintf(stderr, "power loss: seed %" PRIu64 " fails (hansa sim --seed %" PRIu64
                            " --nodes 4 --heights 20 --faults crash): %s\n",
                    seed, seed, r.first_violation);
        CHECK_EQ_U64(r.safety_violations, 0);
        CHECK_EQ_U64(r.liveness_failures, 0);
        losses += r.power_losses;
        lost += r.lazy_writes_lost;
    }
    fprintf(stderr, "power loss: %" PRIu64 " power losses took %" PRIu64 " lazy writes (seeds 1-12)\n",
            losses, lost);
    CHECK(losses > 0);
    CHECK(lost > 0);
}

/* Receipts (src/sim/rcpt.c): under crashes and a partition, delegates
 * bond, clients get receipts (some underwritten), double-spend some, and
 * every claim on a receipt honest nodes signed is paid in full; the
 * checker's catches are shown by scripts/mutate (receipt-over-sign in the
 * test run, receipt-unpersisted in the long table). Across a few seeds,
 * some receipts were kept and some claims paid, so the checker saw both. */
static void test_receipts_paid_in_full(void) {
    uint64_t issued = 0, kept = 0, paid = 0;
    for (uint64_t seed = 40; seed < 44; seed++) {
        sim_options o;
        sim_result r;
        sim_options_default(&o);
        o.seed = seed;
        o.nodes = 4;
        o.heights = 40;
        o.receipts = true;
        CHECK_ERR(sim_faults_parse("crash+partition", &o.faults, NULL), HANSA_OK);
        CHECK_ERR(sim_run(&o, &r), HANSA_OK);
        if (r.safety_violations)
            fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed %" PRIu64 " --nodes 4 --heights 40 "
                            "--faults crash+partition --receipts\n", r.first_violation, seed);
        CHECK_EQ_U64(r.safety_violations, 0);
        CHECK_EQ_U64(r.liveness_failures, 0);
        issued += r.receipts_issued;
        kept += r.receipts_kept;
        paid += r.receipts_paid;
    }
    fprintf(stderr, "receipts: %" PRIu64 " issued, %" PRIu64 " kept, %" PRIu64 " claims paid\n", issued,
            kept, paid);
    CHECK(issued > 20);
    CHECK(kept > 0);
    CHECK(paid > 0);
}

/* The scripted line-29 attack (src/sim/script.c). With the unlock rule
 * broken, every seed of the range must end in a lock violation and an
 * agreement violation (H1 decides A in round 1, H2 and H3 decide B0 in
 * round 2); with the correct rule the same schedule must end safe and live
 * (H2's lock holds). */
static sim_result run_line29(uint64_t seed, bool broken) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = seed;
    o.heights = 3;
    o.attack = SIM_ATTACK_LINE29;
    o.break_line29 = broken;
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    return r;
}

static void test_line29_attack(void) {
    fprintf(stderr, "line-29 attack: seeds 1..8\n");
    for (uint64_t s = 1; s <= 8; s++) {
        sim_result bad = run_line29(s, true);
        CHECK_EQ_U64(bad.byz_nodes, 1);
        if (bad.violations[SIM_V_AGREEMENT] == 0)
            fprintf(stderr, "line-29 attack: seed %" PRIu64 " --break-line29 kept agreement\n", s);
        CHECK(bad.violations[SIM_V_AGREEMENT] > 0);
        /* H2, locked on A in round 1, prevotes B0 (proof of lock round 0) in
         * round 2: the lock checker sees it before the decisions differ. */
        CHECK(bad.violations[SIM_V_LOCK] > 0);
        CHECK(strncmp(bad.first_violation, "lock", 4) == 0);
        CHECK(bad.max_round >= 2); /* the second value is decided in round 2 */
        sim_result good = run_line29(s, false);
        if (good.safety_violations || good.liveness_failures)
            fprintf(stderr, "line-29 attack: seed %" PRIu64 " correct rule -> %s\n", s,
                    good.first_violation);
        CHECK_EQ_U64(good.safety_violations, 0);
        CHECK_EQ_U64(good.liveness_failures, 0);
        CHECK(good.heights_decided >= 3);
    }
    /* The script fits only its own world. */
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.attack = SIM_ATTACK_LINE29;
    o.nodes = 5;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.nodes = 4;
    o.faults = SIM_F_NET;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    sim_attack_kind k;
    CHECK_ERR(sim_attack_parse("line29", &k), HANSA_OK);
    CHECK_EQ_U64(k, SIM_ATTACK_LINE29);
    CHECK_ERR(sim_attack_parse("line30", &k), HANSA_ERR_CONFIG);
}

/* The scripted crash-precommit schedule (src/sim/script.c): P1 and P2 lock
 * X in round 0 of height 1 and crash with P0, the proposer; restarted, they
 * re-propose X from their WALs. It must end safe and live, the height
 * decided in a later round, after three crashes. (scripts/mutate --short
 * shows the liveness checker stopping wal-no-replay with it in one seed.) */
static void test_crash_precommit(void) {
    fprintf(stderr, "crash-precommit: seeds 1..4\n");
    for (uint64_t s = 1; s <= 4; s++) {
        sim_options o;
        sim_result r;
        sim_options_default(&o);
        o.seed = s;
        o.heights = 3;
        o.attack = SIM_ATTACK_CRASH_PRECOMMIT;
        CHECK_ERR(sim_run(&o, &r), HANSA_OK);
        if (r.safety_violations || r.liveness_failures)
            fprintf(stderr, "crash-precommit: seed %" PRIu64 " -> %s\n", s, r.first_violation);
        CHECK_EQ_U64(r.safety_violations, 0);
        CHECK_EQ_U64(r.liveness_failures, 0);
        CHECK_EQ_U64(r.byz_nodes, 0);
        CHECK_EQ_U64(r.crashes, 3);
        CHECK(r.max_round >= 1); /* round 0 of height 1 decides nothing */
        CHECK(r.heights_decided >= 3);
    }
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.attack = SIM_ATTACK_CRASH_PRECOMMIT;
    o.nodes = 7;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.nodes = 4;
    o.faults = SIM_F_CRASH;
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    sim_attack_kind k;
    CHECK_ERR(sim_attack_parse("crash-precommit", &k), HANSA_OK);
    CHECK_EQ_U64(k, SIM_ATTACK_CRASH_PRECOMMIT);
    CHECK(strcmp(sim_attack_name(k), "crash-precommit") == 0);
}

/* --- the checkers on hand-made traces ------------------------------------- */

static sim_trace_ev ev(sim_trace_kind k, uint16_t node, uint64_t h, uint32_t r, uint8_t step,
                       uint8_t idbyte) {
    sim_trace_ev e = {k, 0, node, 0, true, true, h, r, UINT32_MAX, step, {{0}}};
    e.id.b[0] = idbyte;
    return e;
}

static void checker_new(sim_checker *c) {
    static const bool honest[4] = {true, true, true, false};
    sim_checker_init(c, 4, honest);
}

static void test_checker_agreement(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev a = ev(SIM_T_DECIDE, 0, 1, 0, 0, 0xaa), b = ev(SIM_T_DECIDE, 1, 1, 0, 0, 0xbb);
    sim_checker_feed(&c, &a);
    sim_checker_feed(&c, &a); /* node 0 again: one-decision */
    sim_checker_feed(&c, &b);
    CHECK_EQ_U64(c.count[SIM_V_AGREEMENT], 1);
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_DECIDE], 1);
    /* A Byzantine node deciding something else is nobody's problem. */
    sim_trace_ev z = ev(SIM_T_DECIDE, 3, 1, 0, 0, 0xcc);
    z.honest = false;
    sim_checker_feed(&c, &z);
    CHECK_EQ_U64(c.count[SIM_V_AGREEMENT], 1);
    CHECK(strstr(c.first, "height 1") != NULL);
    sim_checker_free(&c);
}

static void test_checker_validity_and_rounds(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev a = ev(SIM_T_DECIDE, 0, 1, 5, 0, 0xaa);
    a.flag = false;
    a.bound = 2;
    sim_checker_feed(&c, &a);
    CHECK_EQ_U64(c.count[SIM_V_VALIDITY], 1);
    CHECK_EQ_U64(c.count[SIM_V_LIVENESS_ROUNDS], 1);
    CHECK_EQ_U64(sim_checker_safety(&c), 1);
    sim_checker_free(&c);
}

static void test_checker_double_sign(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev a = ev(SIM_T_SIGNED, 2, 7, 1, 1, 0x01), b = ev(SIM_T_SIGNED, 2, 7, 1, 1, 0x02);
    sim_trace_ev again = a, other_step = ev(SIM_T_SIGNED, 2, 7, 1, 2, 0x03);
    sim_checker_feed(&c, &a);
    sim_checker_feed(&c, &again);      /* re-sending the same message is fine */
    sim_checker_feed(&c, &other_step); /* so is the next step */
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_SIGN], 0);
    sim_checker_feed(&c, &b);
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_SIGN], 1);
    sim_checker_free(&c);
}

/* The checker drops heights every honest node decided long ago (check.h):
 * memory stays bounded, and what an honest node still does at such a
 * height (decide it again, sign for it) is a violation by itself. The
 * heights that some honest node has not decided stay checked. */
static void test_checker_window(void) {
    sim_checker c;
    checker_new(&c);
    uint64_t top = 6 * SIM_CHECK_WINDOW_MARGIN;
    for (uint64_t h = 1; h <= top; h++)
        for (uint16_t n = 0; n < 3; n++) {
            sim_trace_ev s = ev(SIM_T_SIGNED, n, h, 0, 1, 0x10);
            sim_trace_ev d = ev(SIM_T_DECIDE, n, h, 0, 0, 0x20);
            sim_trace_ev m = ev(SIM_T_COMMITTED, n, h, 0, 0, 0x30);
            sim_checker_feed(&c, &s);
            sim_checker_feed(&c, &d);
            sim_checker_feed(&c, &m);
        }
    CHECK(c.heights_base > 0);
    CHECK(c.heights_base + SIM_CHECK_WINDOW_MARGIN <= top);
    CHECK(c.heights_cap <= 4 * SIM_CHECK_WINDOW_MARGIN);
    CHECK_EQ_U64(sim_checker_safety(&c), 0);
    /* The same signature again just above the window is still fine; a
     * different one is a double sign, as is any signature below it. */
    uint64_t kept = c.heights_base, gone = c.heights_base - 1;
    sim_trace_ev again = ev(SIM_T_SIGNED, 0, kept, 0, 1, 0x10);
    sim_checker_feed(&c, &again);
    CHECK_EQ_U64(sim_checker_safety(&c), 0);
    again.id.b[0] = 0x11;
    sim_checker_feed(&c, &again);
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_SIGN], 1);
    sim_trace_ev old_sig = ev(SIM_T_SIGNED, 1, gone, 0, 1, 0x10);
    sim_checker_feed(&c, &old_sig);
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_SIGN], 2);
    sim_trace_ev old_decide = ev(SIM_T_DECIDE, 2, gone, 0, 0, 0x20);
    sim_checker_feed(&c, &old_decide);
    CHECK_EQ_U64(c.count[SIM_V_DOUBLE_DECIDE], 1);
    sim_checker_free(&c);
    /* A lagging honest node holds the window: its heights stay checked. */
    checker_new(&c);
    for (uint64_t h = 1; h <= top; h++)
        for (uint16_t n = 0; n < 2; n++) {
            sim_trace_ev d = ev(SIM_T_DECIDE, n, h, 0, 0, 0x20);
            sim_checker_feed(&c, &d);
        }
    CHECK_EQ_U64(c.heights_base, 0);
    sim_trace_ev late = ev(SIM_T_DECIDE, 2, 1, 0, 0, 0x21);
    sim_checker_feed(&c, &late);
    CHECK_EQ_U64(c.count[SIM_V_AGREEMENT], 1);
    sim_checker_free(&c);
}

static void test_checker_evidence(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev seen = ev(SIM_T_EQUIVOCATION_SEEN, 0, 3, 0, 1, 0);
    seen.other = 3;
    sim_trace_ev paid = seen;
    paid.kind = SIM_T_EVIDENCE;
    sim_checker_feed(&c, &seen);
    sim_checker_feed(&c, &paid);
    sim_trace_ev next = ev(SIM_T_HEIGHT_START, 0, 4, 0, 0, 0);
    sim_checker_feed(&c, &next);
    CHECK_EQ_U64(c.count[SIM_V_EVIDENCE], 0);
    /* Node 1 sees the same offence and says nothing before its next height. */
    seen.node = 1;
    sim_checker_feed(&c, &seen);
    next.node = 1;
    sim_checker_feed(&c, &next);
    CHECK_EQ_U64(c.count[SIM_V_EVIDENCE], 1);
    sim_checker_free(&c);
}

static void test_checker_slashing(void) {
    sim_checker c;
    hansa_hash d;
    checker_new(&c);
    sim_trace_ev acc = ev(SIM_T_EVIDENCE, 0, 2, 0, 1, 0);
    acc.other = 3;
    sim_checker_feed(&c, &acc);
    for (uint64_t h = 1; h <= 2 + SIM_SLASH_MARGIN; h++) /* node 3 never leaves */
        for (uint16_t n = 0; n < 4; n++) {
            sim_trace_ev m = ev(SIM_T_VALSET, n, h, 10, 0, 0);
            sim_checker_feed(&c, &m);
        }
    sim_checker_finish(&c, 0, &d);
    CHECK_EQ_U64(c.count[SIM_V_SLASHING], 1);
    CHECK(strstr(c.first, "node 3") != NULL);
    sim_checker_free(&c);
    /* Gone from the last set, or accused too late to be judged: fine. */
    checker_new(&c);
    sim_checker_feed(&c, &acc);
    acc.other = 2;
    acc.height = 4;
    sim_checker_feed(&c, &acc);
    for (uint16_t n = 0; n < 3; n++) {
        sim_trace_ev m = ev(SIM_T_VALSET, n, 2 + SIM_SLASH_MARGIN, 10, 0, 0);
        sim_checker_feed(&c, &m);
    }
    sim_checker_finish(&c, 0, &d);
    CHECK_EQ_U64(c.count[SIM_V_SLASHING], 0);
    sim_checker_free(&c);
}

static void test_checker_committed_state(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev a = ev(SIM_T_COMMITTED, 0, 4, 0, 0, 0xaa), b = ev(SIM_T_COMMITTED, 1, 4, 0, 0, 0xaa);
    sim_checker_feed(&c, &a);
    sim_checker_feed(&c, &b);
    CHECK_EQ_U64(sim_checker_safety(&c), 0);
    sim_trace_ev d = ev(SIM_T_COMMITTED, 2, 4, 0, 0, 0xbb); /* another state at height 4 */
    sim_checker_feed(&c, &d);
    CHECK_EQ_U64(c.count[SIM_V_APP_HASH], 1);
    sim_trace_ev e = ev(SIM_T_COMMITTED, 0, 5, 0, 0, 0xcc);
    e.flag = false; /* the supply equation failed */
    sim_checker_feed(&c, &e);
    CHECK_EQ_U64(c.count[SIM_V_SUPPLY], 1);
    sim_trace_ev z = ev(SIM_T_COMMITTED, 3, 5, 0, 0, 0xdd); /* Byzantine: not counted */
    z.honest = false;
    z.flag = false;
    sim_checker_feed(&c, &z);
    sim_trace_ev st = ev(SIM_T_STOPPED, 1, 6, 0, 0, 0);
    sim_checker_feed(&c, &st);
    CHECK_EQ_U64(c.count[SIM_V_STOPPED], 1);
    CHECK_EQ_U64(sim_checker_safety(&c), 3);
    sim_checker_free(&c);
}

/* Alg. 1's locks, seen from outside: node 0 precommits A in round 1. */
static void test_checker_lock(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev pa = ev(SIM_T_PROPOSAL, 3, 5, 1, 0, 0xaa), pc = ev(SIM_T_VOTED, 0, 5, 1, 2, 0xaa);
    pa.bound = UINT32_MAX;
    sim_checker_feed(&c, &pa);
    sim_checker_feed(&c, &pc);
    /* Round 2: B with proof of lock round 1 unlocks (line 29 allows it). */
    sim_trace_ev pb = ev(SIM_T_PROPOSAL, 1, 5, 2, 0, 0xbb), vb = ev(SIM_T_VOTED, 0, 5, 2, 1, 0xbb);
    pb.bound = 1;
    sim_checker_feed(&c, &pb);
    sim_checker_feed(&c, &vb);
    CHECK_EQ_U64(c.count[SIM_V_LOCK], 0);
    /* Round 3: a fresh C must get nil from a node locked in round 1. */
    sim_trace_ev pf = ev(SIM_T_PROPOSAL, 2, 5, 3, 0, 0xcc), vf = ev(SIM_T_VOTED, 0, 5, 3, 1, 0xcc);
    pf.bound = UINT32_MAX;
    sim_checker_feed(&c, &pf);
    sim_checker_feed(&c, &vf);
    CHECK_EQ_U64(c.count[SIM_V_LOCK], 1);
    /* Round 4: an older proof of lock (round 0) must get nil too. */
    sim_trace_ev po = ev(SIM_T_PROPOSAL, 2, 5, 4, 0, 0xdd), vo = ev(SIM_T_VOTED, 0, 5, 4, 1, 0xdd);
    po.bound = 0;
    sim_checker_feed(&c, &po);
    sim_checker_feed(&c, &vo);
    CHECK_EQ_U64(c.count[SIM_V_LOCK], 2);
    /* Prevoting the locked value, or nil, is always fine. */
    sim_trace_ev va = ev(SIM_T_VOTED, 0, 5, 5, 1, 0xaa), vn = ev(SIM_T_VOTED, 0, 5, 6, 1, 0);
    vn.flag = false;
    sim_checker_feed(&c, &va);
    sim_checker_feed(&c, &vn);
    CHECK_EQ_U64(c.count[SIM_V_LOCK], 2);
    /* A locked proposer re-proposes its valid value; a fresh one is wrong. */
    sim_trace_ev own = ev(SIM_T_PROPOSAL, 0, 5, 7, 0, 0xee);
    own.bound = UINT32_MAX;
    sim_checker_feed(&c, &own);
    CHECK_EQ_U64(c.count[SIM_V_LOCK], 3);
    CHECK(strstr(c.first, "node 0") != NULL);
    sim_checker_free(&c);
}

/* A node that accused a validator once owes nothing for its later offences
 * (one pooled item per offender slashes it). */
static void test_checker_evidence_once_per_offender(void) {
    sim_checker c;
    checker_new(&c);
    sim_trace_ev seen = ev(SIM_T_EQUIVOCATION_SEEN, 0, 3, 0, 1, 0);
    seen.other = 3;
    sim_trace_ev paid = seen;
    paid.kind = SIM_T_EVIDENCE;
    sim_checker_feed(&c, &seen);
    sim_checker_feed(&c, &paid);
    sim_trace_ev later = ev(SIM_T_EQUIVOCATION_SEEN, 0, 5, 1, 2, 0);
    later.other = 3;
    sim_checker_feed(&c, &later);
    sim_trace_ev next = ev(SIM_T_HEIGHT_START, 0, 6, 0, 0, 0);
    sim_checker_feed(&c, &next);
    CHECK_EQ_U64(c.count[SIM_V_EVIDENCE], 0);
    sim_checker_free(&c);
}

static sim_trace_ev block_time(uint64_t h, uint32_t round, uint64_t at_us, uint64_t time_ms) {
    sim_trace_ev e = ev(SIM_T_BLOCK_TIME, 0, h, round, 0, 0);
    e.time_us = at_us;
    le64_store(e.id.b, time_ms);
    return e;
}

/* Honest clocks within 250 ms of true time, precision 500 ms, delay 2 s a
 * round: a block of height 2, started at true time 10 s and decided at
 * 11 s, may carry a time from 10 s - 2.75 s (round 0) to 11 s + 0.75 s. */
static void test_checker_block_time(void) {
    sim_checker c;
    checker_new(&c);
    const uint64_t g = 1000000;
    sim_checker_time_bound(&c, g, 250, 500, 2000);
    sim_trace_ev start = ev(SIM_T_HEIGHT_START, 1, 2, 0, 0, 0);
    start.time_us = 10000000;
    sim_checker_feed(&c, &start);
    sim_trace_ev ok = block_time(2, 0, 11000000, g + 11750);
    sim_checker_feed(&c, &ok);
    CHECK_EQ_U64(c.count[SIM_V_BLOCK_TIME], 0);
    /* Ahead: a proposer's clock a second fast passed for timely. */
    sim_trace_ev ahead = block_time(3, 0, 12000000, g + 12751);
    sim_checker_feed(&c, &ahead);
    CHECK_EQ_U64(c.count[SIM_V_BLOCK_TIME], 1);
    CHECK(strstr(c.first, "ahead") != NULL);
    /* Behind: round 1 allows two delays, not more. */
    start.height = 4;
    start.time_us = 20000000;
    sim_checker_feed(&c, &start);
    sim_trace_ev late_ok = block_time(4, 1, 25000000, g + 20000 - 4750);
    sim_checker_feed(&c, &late_ok);
    CHECK_EQ_U64(c.count[SIM_V_BLOCK_TIME], 1);
    start.height = 5;
    sim_checker_feed(&c, &start);
    sim_trace_ev behind = block_time(5, 1, 25000000, g + 20000 - 4751);
    sim_checker_feed(&c, &behind);
    CHECK_EQ_U64(c.count[SIM_V_BLOCK_TIME], 2);
    CHECK_EQ_U64(sim_checker_safety(&c), 2);
    /* Each height is judged once, by its first honest commit. */
    sim_checker_feed(&c, &behind);
    CHECK_EQ_U64(c.count[SIM_V_BLOCK_TIME], 2);
    sim_checker_free(&c);
}

static void test_checker_stall(void) {
    sim_checker c;
    hansa_hash d1, d2;
    checker_new(&c);
    for (uint16_t n = 0; n < 4; n++) {
        sim_trace_ev a = ev(SIM_T_DECIDE, n, 1, 0, 0, 0xaa);
        a.honest = n != 3;
        sim_checker_feed(&c, &a);
    }
    sim_checker_finish(&c, 2, &d1);
    CHECK_EQ_U64(c.count[SIM_V_LIVENESS_STALL], 3); /* the Byzantine node 3 is not counted */
    sim_checker_finish(&c, 2, &d2);
    CHECK(hash_eq(&d1, &d2));
    sim_checker_free(&c);
}

/* The stand-in scheme's memo of (key, domain) prefixes (sig.c): one key under
 * two domains of one length shares a memo slot, so signing under them in
 * turn replaces the slot each time; every signature must still be the one
 * made with a cold memo, and verify under its own domain and key only. */
static void test_stand_in_sig_memo(void) {
    sign_scheme_install(&sim_sign_scheme);
    hansa_keypair k[2];
    uint8_t seed[HANSA_SEED_BYTES] = {7};
    keypair_from_seed(&k[0], seed);
    seed[0] = 8;
    keypair_from_seed(&k[1], seed);
    const char *dom[2] = {"hansa/test/aa", "hansa/test/bb"};
    const uint8_t msg[40] = {1, 2, 3};
    hansa_sig first[2][2];
    for (int r = 0; r < 3; r++) {
        for (int d = 0; d < 2; d++) {
            for (int i = 0; i < 2; i++) {
                hansa_sig sig;
                sign_domain(&k[i], dom[d], msg, sizeof msg, &sig);
                if (r == 0) first[i][d] = sig;
                CHECK(memcmp(sig.b, first[i][d].b, HANSA_SIG_BYTES) == 0);
                CHECK(verify_domain(&k[i].pub, dom[d], msg, sizeof msg, &sig));
                CHECK(!verify_domain(&k[i].pub, dom[1 - d], msg, sizeof msg, &sig));
                CHECK(!verify_domain(&k[1 - i].pub, dom[d], msg, sizeof msg, &sig));
            }
        }
    }
    CHECK(memcmp(first[0][0].b, first[0][1].b, HANSA_SIG_BYTES) != 0);
    sign_scheme_install(NULL);
}

/* The stand-in's memo of verified tuples answers yes only for the very
 * inputs it verified: after each (key, domain, message, signature) is
 * memoized, the same signature with another key, a domain of the same
 * length, a message differing in one byte or shorter by one, or the
 * signature with one byte changed (also past its first 16) still fails. */
static void test_stand_in_verified_memo(void) {
    sign_scheme_install(&sim_sign_scheme);
    hansa_keypair k[2];
    uint8_t seed[HANSA_SEED_BYTES] = {9};
    keypair_from_seed(&k[0], seed);
    seed[0] = 10;
    keypair_from_seed(&k[1], seed);
    const char *dom = "hansa/test/va", *other = "hansa/test/vb";
    uint8_t msg[200];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 1);
    const size_t lens[3] = {83, 160, 200}; /* 200: past the memo's bound, never kept */
    for (int r = 0; r < 2; r++) {
        for (int l = 0; l < 3; l++) {
            size_t len = lens[l];
            hansa_sig sig;
            sign_domain(&k[0], dom, msg, len, &sig);
            CHECK(verify_domain(&k[0].pub, dom, msg, len, &sig));
            CHECK(verify_domain(&k[0].pub, dom, msg, len, &sig)); /* a hit */
            CHECK(!verify_domain(&k[1].pub, dom, msg, len, &sig));
            CHECK(!verify_domain(&k[0].pub, other, msg, len, &sig));
            CHECK(!verify_domain(&k[0].pub, dom, msg, len - 1, &sig));
            msg[len - 1] ^= 1;
            CHECK(!verify_domain(&k[0].pub, dom, msg, len, &sig));
            msg[len - 1] ^= 1;
            hansa_sig bad = sig;
            bad.b[40] ^= 1;
            CHECK(!verify_domain(&k[0].pub, dom, msg, len, &bad));
            CHECK(verify_domain(&k[0].pub, dom, msg, len, &sig));
        }
    }
    sign_scheme_install(NULL);
}

/* sim_run switches the memos on for its length and then puts back what its
 * caller had, off or on (a run used to leave them off whatever the caller
 * had: tried, the checks of the on case fail), and a run's digest is the
 * same either way. */
static void test_sim_keeps_callers_memos(void) {
    hansa_hash digest[2];
    for (int on = 0; on <= 1; on++) {
        wire_memos(on);
        ledger_writes_hash_memo(on);
        ledger_leaf_memo_share(on ? 2 : 0);
        digest[on] = run(5, 4, 4, "none", false).digest;
        CHECK(wire_memos_on() == on);
        CHECK(ledger_writes_hash_memo_on() == on);
        CHECK_EQ_U64(ledger_leaf_memo_shared(), on ? 2 : 0);
    }
    wire_memos(false);
    ledger_writes_hash_memo(false);
    ledger_leaf_memo_share(0);
    CHECK(hash_eq(&digest[0], &digest[1]));
}

int main(void) {
    RUN(test_options_rejected);
    RUN(test_stand_in_sig_memo);
    RUN(test_stand_in_verified_memo);
    RUN(test_checker_agreement);
    RUN(test_checker_validity_and_rounds);
    RUN(test_checker_double_sign);
    RUN(test_checker_window);
    RUN(test_checker_evidence);
    RUN(test_checker_evidence_once_per_offender);
    RUN(test_checker_block_time);
    RUN(test_checker_stall);
    RUN(test_checker_slashing);
    RUN(test_checker_committed_state);
    RUN(test_checker_lock);
    RUN(test_churn_replays);
    RUN(test_load_committed);
    RUN(test_power_loss_restart);
    RUN(test_receipts_paid_in_full);
    RUN(test_regression_seeds);
    RUN(test_campaign_delegates);
    RUN(test_same_seed_same_digest);
    RUN(test_checkers_fire_over_budget);
    RUN(test_line29_attack);
    RUN(test_crash_precommit);
    RUN(test_chains_campaign);
    RUN(test_campaign_within_budget);
    RUN(test_sim_keeps_callers_memos);
    return check_summary();
}
