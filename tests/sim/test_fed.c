/* test_fed.c — the simulator's federation (--chains C > 1): the
 * light-client checkers on hand-made inputs, and a run in which the nodes
 * relay and every checker stays quiet; with --frost, a pinned run in which
 * keyless clients learn each chain's key by proof and then follow by FROST
 * checkpoints, every checker quiet. scripts/mutate shows the checkers
 * catching planted bugs (relay-never-due, client-height-off,
 * keyproof-epoch). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sim/fedcheck.h"
#include "sim/sim.h"

static hansa_hash h_of(uint8_t b) {
    hansa_hash h;
    memset(h.b, b, sizeof h.b);
    return h;
}

static void test_fedcheck_safety(void) {
    sim_fedcheck f;
    bool over[2] = {false, true}; /* chain 1 is over its fault budget */
    sim_fedcheck_init(&f, 2, over);
    hansa_hash x = h_of(1), y = h_of(2);
    sim_fedcheck_commit(&f, 0, 5, &x);
    sim_fedcheck_commit(&f, 0, 5, &x);
    sim_fedcheck_state(&f, 4, 0, 5, &x); /* what chain 0 committed: fine */
    sim_fedcheck_state(&f, 4, 0, 0, &y); /* the genesis root has no header */
    CHECK_EQ_U64(f.safety, 0);
    sim_fedcheck_state(&f, 4, 0, 5, &y); /* another header */
    CHECK_EQ_U64(f.safety, 1);
    CHECK(strstr(f.first, "client-safety") != NULL);
    sim_fedcheck_state(&f, 4, 0, 6, &x); /* a height no honest node committed */
    CHECK_EQ_U64(f.safety, 2);
    sim_fedcheck_client(&f, 0, 1, 3, 0, true); /* chain 1 may freeze a client: over budget */
    CHECK_EQ_U64(f.safety, 2);
    sim_fedcheck_client(&f, 4, 0, 3, 5, true); /* chain 0 within budget: must not */
    sim_fedcheck_client(&f, 5, 0, 3, 5, true); /* the same freeze seen by another node */
    CHECK_EQ_U64(f.safety, 3);
    CHECK_EQ_U64(f.liveness, 0);
    sim_fedcheck_free(&f);
}

/* The key a client's state trusts must be the one the chain recorded. */
static void test_fedcheck_keys(void) {
    sim_fedcheck f;
    bool over[2] = {false, false};
    sim_fedcheck_init(&f, 2, over);
    hansa_hash x = h_of(1), y = h_of(2), k1 = h_of(7), k2 = h_of(8);
    sim_fedcheck_commit(&f, 0, 5, &x);
    sim_fedcheck_key(&f, 0, 1, &k1);
    sim_fedcheck_key(&f, 0, 1, &k1); /* seen again by another node: fine */
    sim_fedcheck_state_key(&f, 4, 0, 5, 1, &k1);
    CHECK_EQ_U64(f.safety, 0);
    sim_fedcheck_state_key(&f, 4, 0, 5, 1, &k2); /* another key for epoch 1 */
    CHECK_EQ_U64(f.safety, 1);
    CHECK(strstr(f.first, "another key of epoch 1") != NULL);
    sim_fedcheck_state_key(&f, 4, 0, 5, 20, &k1); /* an epoch the chain has no key for */
    CHECK_EQ_U64(f.safety, 2);
    sim_fedcheck_key(&f, 0, 1, &k2); /* the chain itself with two keys for one epoch */
    CHECK_EQ_U64(f.safety, 3);
    sim_fedcheck_state(&f, 4, 0, 5, &x); /* keys and headers do not mix in the map */
    sim_fedcheck_state(&f, 4, 0, 1, &y);
    CHECK_EQ_U64(f.safety, 4);
    sim_fedcheck_free(&f);
}

/* Node 4 (chain 1) watches chain 0, which commits two heights per height of
 * chain 1; its client follows `behind` heights of its own late. */
static uint64_t liveness_with(uint64_t behind, uint64_t lag) {
    sim_fedcheck f;
    bool over[2] = {false, false};
    sim_fedcheck_init(&f, 2, over);
    uint64_t tips[41] = {0};
    for (uint64_t own = 1; own <= 40; own++) {
        for (uint64_t k = 2 * own - 1; k <= 2 * own; k++) {
            hansa_hash x = h_of((uint8_t)k);
            sim_fedcheck_commit(&f, 0, k, &x);
        }
        tips[own] = 2 * own;
        uint64_t latest = own > behind ? tips[own - behind] : 0;
        sim_fedcheck_client(&f, 4, 0, own, latest, false);
    }
    uint16_t chain[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    uint64_t lags[8] = {0, 0, 0, 0, lag, 0, 0, 0};
    sim_fedcheck_finish(&f, 8, chain, lags);
    uint64_t n = f.liveness;
    if (n) CHECK(strstr(f.first, "client-liveness") != NULL);
    CHECK_EQ_U64(f.safety, 0);
    sim_fedcheck_free(&f);
    return n;
}

static void test_fedcheck_liveness(void) {
    CHECK_EQ_U64(liveness_with(3, 8), 0);  /* 3 of its heights behind, 8 allowed */
    CHECK_EQ_U64(liveness_with(8, 8), 0);
    CHECK_EQ_U64(liveness_with(9, 8), 1);
    CHECK_EQ_U64(liveness_with(50, 8), 1); /* never updated */
    CHECK_EQ_U64(liveness_with(50, 0), 0); /* not checked */
}

/* Runs o twice into r: no violation, the same digest both times. */
static void run_clean_twice(const sim_options *o, sim_result *r) {
    sim_result again;
    CHECK_ERR(sim_run(o, r), HANSA_OK);
    CHECK_EQ_U64(r->safety_violations, 0);
    CHECK_EQ_U64(r->liveness_failures, 0);
    CHECK(r->clients_checked > 0);
    CHECK_ERR(sim_run(o, &again), HANSA_OK);
    CHECK(hash_eq(&r->digest, &again.digest));
    CHECK_EQ_U64(r->relay_updates, again.relay_updates);
}

/* Two chains: the nodes relay, the clients follow, nothing fires; the run
 * replays. */
static void test_fed_run(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = 4100;
    o.nodes = 4;
    o.chains = 2;
    o.heights = 70;
    CHECK_ERR(sim_faults_parse("crash+net", &o.faults, NULL), HANSA_OK);
    run_clean_twice(&o, &r);
    fprintf(stderr, "fed run: seed %" PRIu64 ", %" PRIu64 " relay updates, %" PRIu64
                    " nodes' clients checked, lag at most %" PRIu64 " (%s)\n",
            o.seed, r.relay_updates, r.clients_checked, r.client_lag_max, r.first_violation);
    CHECK(r.relay_updates > 0);
}

/* Pinned: `hansa sim --seed 4 --chains 2 --nodes 4 --heights 80 --frost`.
 * Each chain keys epoch 1 at height 20 and records its state root at 32;
 * the clients (genesis entries, keyless) learn the other chain's key by a
 * commit update with the key proof there, then relayers move them by FROST
 * checkpoints; the key checker sees each state's key. */
static void test_fed_frost_run(void) {
    sim_options o;
    sim_result r;
    sim_options_default(&o);
    o.seed = 4;
    o.nodes = 4;
    o.chains = 2;
    o.heights = 80;
    o.frost = true;
    run_clean_twice(&o, &r);
    fprintf(stderr, "fed frost run: seed %" PRIu64 ", %" PRIu64 " relay updates, %" PRIu64 " by FROST checkpoint, %"
                    PRIu64 " with a key proof (%s)\n",
            o.seed, r.relay_updates, r.relay_frost, r.relay_key_proofs, r.first_violation);
    CHECK(r.relay_key_proofs >= 2); /* each chain's clients learn the other's key */
    CHECK(r.relay_frost > 0);
}

int main(void) {
    RUN(test_fedcheck_safety);
    RUN(test_fedcheck_keys);
    RUN(test_fedcheck_liveness);
    RUN(test_fed_run);
    RUN(test_fed_frost_run);
    return check_summary();
}
