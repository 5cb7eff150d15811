/* test_sim_lifts.c — lifts in the simulator (src/sim/lifts.c, docs/sim.md
 * "Lifts"): three chains, circular lifts inside chains 0 and 1 and across
 * both with chain 2 as referee, under fault mixes, with the lift checkers
 * (balance bounds, agreement, conservation, liveness) after every commit.
 * A colluding pair forges the referee's COMMIT on pending segments; no
 * node may take it. That the checkers catch the bugs they exist for is
 * shown by the mutants lift-book-any, ruling-twice, proof-any,
 * expired-ignored and lift-ignores-holds (scripts/mutate --only ...,
 * docs/sim.md).
 *
 * Deterministic: each run is a function of its seed; a failing one prints
 * the command that replays it. */
#include <inttypes.h>
#include <stdio.h>

#include "check.h"
#include "sim/sim.h"

#define HEIGHTS 200

static void test_options(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.lifts = true;
    o.chains = 2; /* no chain left to referee */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
    o.chains = 3;
    o.load_tps = 0; /* nobody to drive them */
    CHECK_ERR(sim_run(&o, &r), HANSA_ERR_CONFIG);
}

static void test_lifts_campaign(void) {
    static const char *mixes[] = {"none", "crash+partition", "net+clog+byz-silent"};
    uint64_t local = 0, cross = 0, committed = 0, expired = 0, live = 0, forged = 0;
    for (uint64_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        sim_options o;
        sim_result r;
        sim_options_default(&o);
        o.seed = 60 + i;
        o.nodes = 4;
        o.chains = 3;
        o.heights = HEIGHTS;
        o.lifts = true;
        CHECK_ERR(sim_faults_parse(mixes[i], &o.faults, NULL), HANSA_OK);
        CHECK_ERR(sim_run(&o, &r), HANSA_OK);
        if (r.safety_violations || r.liveness_failures)
            fprintf(stderr, "  FAIL %s\n  replay: hansa sim --seed %" PRIu64 " --nodes 4 --chains 3 --heights %d "
                            "--faults %s --lifts\n", r.first_violation, o.seed, HEIGHTS, mixes[i]);
        CHECK_EQ_U64(r.safety_violations, 0);
        CHECK_EQ_U64(r.liveness_failures, 0);
        local += r.lifts_local;
        cross += r.lifts_cross;
        committed += r.lifts_committed;
        expired += r.lifts_expired;
        live += r.lifts_live_checked;
        forged += r.lift_forgeries;
        CHECK_EQ_U64(r.lift_forgeries_taken, 0); /* no node takes a ruling without its proof */
    }
    fprintf(stderr, "lifts: %" PRIu64 " local, %" PRIu64 " cross; %" PRIu64 " committed, %" PRIu64
                    " expired; %" PRIu64 " cross lifts checked resolved by their deadline; %" PRIu64
                    " forged rulings refused\n", local, cross, committed, expired, live, forged);
    CHECK(local > 0);
    CHECK(cross > 0);
    CHECK(committed > local / 2);
    CHECK(expired > 0);
    CHECK(live > 0);
    CHECK(forged > 0);
}

int main(void) {
    RUN(test_options);
    RUN(test_lifts_campaign);
    return check_summary();
}
