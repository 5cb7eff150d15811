/* test_sim_frost.c — the simulator with the FROST duty (--frost): its
 * checkers on hand-made inputs, and runs under fault mixes in which every
 * checker stays quiet and the run replays from its seed. scripts/mutate
 * shows the checkers catching planted bugs (nonce-reuse, roast-no-retry;
 * docs/sim.md, "FROST"). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sim/frostcheck.h"
#include "sim/sim.h"

static hansa_hash h_of(uint8_t b) {
    hansa_hash h;
    memset(h.b, b, sizeof h.b);
    return h;
}

static void test_key_rule(void) {
    sim_frostcheck f;
    sim_frostcheck_init(&f);
    hansa_hash a = h_of(1), b = h_of(2);
    sim_frostcheck_key(&f, 0, 1, &a, "its chain's record");
    sim_frostcheck_key(&f, 1, 1, &a, "its DKG share");
    sim_frostcheck_key(&f, 1, 30, &b, "its chain's record"); /* another epoch, another key */
    CHECK_EQ_U64(f.key, 0);
    CHECK(hash_eq(sim_frostcheck_key_of(&f, 1), &a));
    CHECK(sim_frostcheck_key_of(&f, 2) == NULL);
    sim_frostcheck_key(&f, 2, 1, &b, "its DKG share"); /* a second key for epoch 1 */
    CHECK_EQ_U64(f.key, 1);
    CHECK(strstr(f.first, "frost-key: epoch 1") != NULL);
    CHECK_EQ_U64(sim_frostcheck_safety(&f), 1);
    sim_frostcheck_free(&f);
}

static void test_nonce_rule(void) {
    sim_frostcheck f;
    sim_frostcheck_init(&f);
    hansa_hash c = h_of(7), c2 = h_of(8), use = h_of(1), other = h_of(2);
    sim_frostcheck_share(&f, 3, 2, &c, &use, 40);
    sim_frostcheck_share(&f, 3, 2, &c, &use, 40);   /* the same REQUEST again: the same share */
    sim_frostcheck_share(&f, 3, 2, &c2, &other, 41); /* its next nonce in another list */
    sim_frostcheck_share(&f, 1, 2, &c, &other, 41);  /* another node's (equal) commitment */
    CHECK_EQ_U64(f.nonce, 0);
    sim_frostcheck_share(&f, 3, 2, &c, &other, 41);  /* one nonce, two lists */
    CHECK_EQ_U64(f.nonce, 1);
    CHECK(strstr(f.first, "frost-nonce: node 3") != NULL);
    sim_frostcheck_free(&f);
}

static void test_liveness_rule(void) {
    sim_frostcheck f;
    sim_frostcheck_init(&f);
    sim_frostcheck_height(&f, 30, true, 4, 3);
    sim_frostcheck_height(&f, 31, false, 2, 3); /* the threshold is down: owed nothing */
    CHECK_EQ_U64(f.liveness, 0);
    sim_frostcheck_height(&f, 32, false, 3, 3);
    CHECK_EQ_U64(f.liveness, 1);
    CHECK(strstr(f.first, "height 32") != NULL);
    CHECK_EQ_U64(sim_frostcheck_safety(&f), 0);
    sim_frostcheck_handoff(&f, 41, true, 4, 3);
    sim_frostcheck_handoff(&f, 41, false, 2, 3); /* the old group is down */
    CHECK_EQ_U64(f.liveness, 1);
    sim_frostcheck_handoff(&f, 41, false, 3, 3);
    CHECK_EQ_U64(f.liveness, 2);
    sim_frostcheck_bad_checkpoint(&f, 2, 33, "does not verify");
    CHECK_EQ_U64(f.checkpoint, 1);
    CHECK_EQ_U64(sim_frostcheck_safety(&f), 1);
    sim_frostcheck_free(&f);
}

/* A run: the key is made, heights are signed and checked, nothing fires
 * (crashes included: a delegate back after its session's share window
 * asks the dealers for its shares, MSG_DKG_SHARE_REQ). */
static void run_heights(uint64_t seed, uint16_t nodes, uint64_t heights, const char *mix,
                        sim_result *r) {
    sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    o.nodes = nodes;
    o.heights = heights;
    o.frost = true;
    CHECK_ERR(sim_faults_parse(mix, &o.faults, NULL), HANSA_OK);
    CHECK_ERR(sim_run(&o, r), HANSA_OK);
    fprintf(stderr, "frost run: seed %" PRIu64 ", %u nodes, %s: keys %" PRIu64 ", heights signed %" PRIu64
                    ", liveness checked %" PRIu64 ", shares %" PRIu64 ", forged %" PRIu64 " %s\n",
            seed, nodes, mix, r->frost_keys, r->frost_signed, r->frost_live_checked, r->frost_shares,
            r->frost_forged, r->first_violation);
    CHECK_EQ_U64(r->safety_violations, 0);
    CHECK_EQ_U64(r->liveness_failures, 0);
    CHECK(r->frost_keys >= 1);
    CHECK(r->frost_signed > 0);
    CHECK(r->frost_checked >= r->frost_signed);
}

static void run_one(uint64_t seed, uint16_t nodes, const char *mix, sim_result *r) {
    run_heights(seed, nodes, 50, mix, r);
}

static void test_frost_runs(void) {
    static const char *mixes[] = {"none", "net+partition", "clog+targeted+drift", "byz-garbage",
                                  "byz-equivocate+net", "crash", "crash+partition+byz-double-vote",
                                  "byz-amnesia+crash"};
    uint64_t live = 0, forged = 0;
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        sim_result r;
        run_one(7100 + i, (uint16_t)(4 + i % 4), mixes[i], &r);
        live += r.frost_live_checked;
        forged += r.frost_forged;
    }
    CHECK(live > 0);   /* the liveness rule judged heights */
    CHECK(forged > 0); /* Byzantine coordinators tried to reuse honest nonces */
}

/* A member back after the complaint window (A + 20) without all its
 * shares: no MISSING complaint can bring them any more. Seed 11 (4 nodes,
 * 60 heights, crash) had one that asked the dealers (MSG_DKG_SHARE_REQ);
 * without asking it never signed, and the heights it proposed went
 * unsigned (the mutant dkg-no-share-req: height 50). Since the shares a
 * member received are stored with its DKG record it has them back after
 * its restart and asks nobody (docs/frost.md, "Share repair"); every
 * judged height is still signed. */
static void test_frost_late_member(void) {
    sim_result r;
    run_heights(11, 4, 60, "crash", &r);
    CHECK_EQ_U64(r.frost_share_reqs, 0);
    CHECK(r.frost_live_checked > 0);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* Seed 1020 (6 nodes, t = 5, byz-amnesia+crash): two members got every
 * share, crashed after the complaint window and came back without the
 * amnesiac dealer's, which had forgotten its seed: three holders, fewer
 * than t, and heights from 38 on unsigned (frost-liveness). Their stored
 * received shares bring them back. Seed 1015 since issue 15 changed the
 * disk-full fault, which seed 1020's world draws: without the stored
 * shares (scripts/mutate's received-shares-dropped) it leaves height 43
 * unsigned. */
static void test_frost_received_shares_kept(void) {
    sim_result r;
    run_heights(1015, 6, 50, "byz-amnesia+crash", &r);
    CHECK(r.frost_live_checked > 0);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* A set change between the key's record and the end of the sessions: a
 * Byzantine node is slashed and the set re-elected at once. Every member
 * used to drop its session there, and the chain's key had no holder until
 * the next key (seed 20 when the key came at A + 19 and the sessions ended
 * at A + 21: 13 heights missed). Since the key waits for REVEALs (A + 23,
 * sessions end A + 24) seed 196 goes through it ("the validator set
 * changed after my key was recorded", at all ten nodes) and must stay clean
 * (seed 36 did until share requests were answered to every peer; found by
 * scanning seeds 1-150 with --trace for that line; it was seed 110 until
 * issue 15 changed the disk-full fault, which that seed's world draws:
 * seeds 100-160 scanned again, 130 the only one with the line; 174 since
 * crashes take the store's in-memory lazy writes: seeds 100-200 scanned,
 * the only one; 196 since nothing is logged for a committed height: seeds
 * 100-200 scanned again, the only one). */
static void test_frost_set_change_after_key(void) {
    sim_result r;
    run_one(196, 10, "byz-garbage+byz-equivocate+net+partition+crash", &r);
    CHECK(r.set_changes > 0);
    CHECK(r.frost_live_checked > 0);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* Seed 104 (7 nodes): a byz-amnesia dealer commits, forgets its seed and
 * deals shares of a second polynomial that name a COMMIT not on chain.
 * Before MISSING complaints and REVEALs went on chain it was never
 * excluded: the members ended without valid shares and no height of the
 * key was signed (frost-liveness from height 30). Now the members'
 * MISSING complaints go on chain, its REVEAL (of the wrong polynomial) is
 * refused, and the key is made without it. */
static void test_frost_amnesia_dealer(void) {
    sim_result r;
    run_heights(104, 7, 60, "byzantine+crash", &r);
    CHECK(r.frost_live_checked > 0);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* Seed 1019 (4 nodes, byz-amnesia+crash): the amnesiac node's session
 * ends without its share and the three others repair it (docs/frost.md,
 * "Share repair"; its log: "my share was repaired by 3 members, checked
 * against my verification share and stored"). The first run that repaired
 * a share: a helper's send callback pointed at a dead stack frame (a
 * crash under ASan). */
static void test_frost_share_repaired(void) {
    sim_result r;
    run_heights(1019, 4, 50, "byz-amnesia+crash", &r);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* Seed 1029 (10 nodes, t = 7 = the honest count): node 9 came back late
 * asking for one share of epoch 1 and node 1, restarted, for two, after
 * slashings replaced the set at height 24, before epoch 25 has a key.
 * Height 42 (still under epoch 1's key) went unsigned: the dealers'
 * records held only the new epoch's seed, so nobody dealt the old shares
 * again, node 1 never resumed its old session, and a share received after
 * the change could not be loaded (its set was no longer the ledger's
 * current or previous one). */
static void test_frost_dealer_replaced(void) {
    sim_result r;
    run_one(1029, 10, "byz-garbage+crash", &r);
    /* Since received shares are stored (test_frost_received_shares_kept),
     * both restore theirs instead of asking. */
    CHECK(r.frost_live_checked > 0);
    CHECK_EQ_U64(r.frost_missed, 0);
}

/* Elections change the set: each new set gets its key, the old group
 * hands over to it, and checkpoints go on under the new key. */
static void test_frost_election(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = 7300;
    o.nodes = 6;
    o.heights = 130;
    o.frost = true;
    o.valset_change = 40;
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    fprintf(stderr, "frost election: seed %" PRIu64 ", %u nodes: set changes %" PRIu64 ", keys %" PRIu64
                    ", handoffs checked %" PRIu64 ", heights signed %" PRIu64 ", liveness checked %" PRIu64
                    " %s\n", o.seed, o.nodes, r.set_changes, r.frost_keys, r.frost_handoffs, r.frost_signed,
            r.frost_live_checked, r.first_violation);
    CHECK_EQ_U64(r.safety_violations, 0);
    CHECK_EQ_U64(r.liveness_failures, 0);
    CHECK(r.set_changes >= 1);
    CHECK(r.frost_keys >= 2);
    CHECK(r.frost_handoffs > 0);
    CHECK(r.frost_handoffs_judged > 0);
}

/* --attack frost-handoff (seed 1, 5 nodes, elections every 30 heights):
 * at the first set change after a key, an old member that is also in the
 * new set crashes after its DKG record took the new seed and is back
 * before the new key is recorded; another old member is down across the
 * handoff, so the old group's threshold (4 of 5) needs the restarted one,
 * with the old share its record kept. Then the restarted one crashes
 * again with a checkpoint share in flight, lost, and is back at once: the
 * height is signed only if it reopens the round with its stored unused
 * nonce. scripts/mutate catches prev-share-dropped (heights under the old
 * key and the handoff unsigned), nonces-not-reopened (that height
 * unsigned) and nonce-unpersisted (the used nonce offered again, in a
 * second list: the nonce rule) on this run. */
static void test_frost_handoff_restart(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = 1;
    o.nodes = 5;
    o.heights = 100;
    o.frost = true;
    o.valset_change = 30;
    o.attack = SIM_ATTACK_FROST_HANDOFF;
    CHECK_ERR(sim_run(&o, &r), HANSA_OK);
    fprintf(stderr, "frost handoff restart: seed %" PRIu64 ": crashes %" PRIu64 ", keys %" PRIu64
                    ", handoffs judged %" PRIu64 ", liveness checked %" PRIu64 " %s\n", o.seed, r.crashes,
            r.frost_keys, r.frost_handoffs_judged, r.frost_live_checked, r.first_violation);
    CHECK_EQ_U64(r.safety_violations, 0);
    CHECK_EQ_U64(r.liveness_failures, 0);
    CHECK_EQ_U64(r.crashes, 3);
    CHECK(r.frost_keys >= 2);
    CHECK(r.frost_handoffs_judged >= 1);
    CHECK_EQ_U64(r.frost_missed, 0);
}

static void test_frost_replays(void) {
    sim_result a, b;
    run_one(7200, 4, "byz-garbage+net", &a);
    run_one(7200, 4, "byz-garbage+net", &b);
    CHECK(hash_eq(&a.digest, &b.digest));
    CHECK_EQ_U64(a.frost_shares, b.frost_shares);
    CHECK_EQ_U64(a.frost_signed, b.frost_signed);
}

int main(void) {
    RUN(test_key_rule);
    RUN(test_nonce_rule);
    RUN(test_liveness_rule);
    RUN(test_frost_runs);
    RUN(test_frost_late_member);
    RUN(test_frost_received_shares_kept);
    RUN(test_frost_share_repaired);
    RUN(test_frost_election);
    RUN(test_frost_set_change_after_key);
    RUN(test_frost_amnesia_dealer);
    RUN(test_frost_dealer_replaced);
    RUN(test_frost_handoff_restart);
    RUN(test_frost_replays);
    return check_summary();
}
