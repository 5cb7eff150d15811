/* test_sim_lift_attacks.c — the scripted DSR lift attacks (src/sim/
 * lift_attack.c, docs/sim.md "Lift attacks"): `--attack all` runs each of
 * them in turn over three simulated chains. With the real rules every
 * checker passes and every scripted lift ends as ruled: the second
 * interlocking lift refused, the lift whose segment asked late committed
 * on both chains, the crashed chain's, the silent originator's and the
 * forged one voided everywhere, the invoice paid over a pending lift
 * refused. That each attack catches the mutant of
 * its rule in its first run is scripts/mutate --scenarios (and ctest
 * mutation_short).
 *
 * Deterministic: a failing run prints the command that replays it. */
#include <inttypes.h>
#include <stdio.h>

#include "check.h"
#include "sim/sim.h"

static void test_options(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.chains = 3;
    o.lifts = true;
    CHECK_ERR(sim_attack_parse("all", &o.attack), HANSA_OK);
    CHECK(o.attack == SIM_ATTACK_LIFT_ALL);
    CHECK_ERR(sim_faults_parse("crash", &o.faults, NULL), HANSA_OK); /* the script makes the faults */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.faults = 0;
    o.lifts = false; /* no lifts to attack */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    sim_attack_kind k;
    CHECK_ERR(sim_attack_parse("forged-commit", &k), HANSA_OK);
    CHECK(k == SIM_ATTACK_LIFT_FORGE);
    CHECK_ERR(sim_attack_parse("forged", &k), HANSA_ERR_CONFIG);
}

static void test_all_attacks(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = 1;
    o.nodes = 4;
    o.chains = 3;
    o.heights = 20;
    o.lifts = true;
    o.attack = SIM_ATTACK_LIFT_ALL;
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    if (r.safety_violations || r.liveness_failures)
        fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed 1 --chains 3 --lifts --heights 20 --attack all\n",
                r.first_violation);
    fprintf(stderr, "lift attacks: %" PRIu64 " scripted lifts, %" PRIu64 " as ruled; %" PRIu64 " committed, %" PRIu64
                    " expired; %" PRIu64 " delegates crashed; %" PRIu64 " forged rulings, %" PRIu64 " taken\n",
            r.attack_lifts, r.attack_lifts_as_ruled, r.lifts_committed, r.lifts_expired, r.attack_crashes,
            r.lift_forgeries, r.lift_forgeries_taken);
    CHECK_EQ_U64(r.safety_violations, 0);
    CHECK_EQ_U64(r.liveness_failures, 0);
    /* crashed-relay 1, interlocking 2, unilateral-timeout 1, silent-originator 1, forged-commit 1,
     * invoice-overlift 1 */
    CHECK_EQ_U64(r.attack_lifts, 7);
    CHECK_EQ_U64(r.attack_lifts_as_ruled, 7);
    CHECK_EQ_U64(r.lifts_committed, 3); /* the first interlocking lift, the late-asked one, the invoiced one */
    CHECK_EQ_U64(r.attack_crashes, 4);  /* chain 1's four delegates */
    CHECK(r.lift_forgeries > 0);
    CHECK_EQ_U64(r.lift_forgeries_taken, 0);
    CHECK_EQ_U64(r.lifts_live_checked, 7);
    /* the latency figures time exactly the lifts committed everywhere */
    CHECK_EQ_U64(r.lift_cross_timed, 3);
    CHECK(r.lift_cross_p50_ms > 0 && r.lift_cross_p50_ms <= r.lift_cross_p99_ms);
}

int main(void) {
    RUN(test_options);
    RUN(test_all_attacks);
    return check_summary();
}
