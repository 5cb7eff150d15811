/* test_valset.c — validator set construction, quorum arithmetic, and the
 * weighted round-robin proposer: frequencies proportional to power. */
#include "base/rng.h"
#include "check.h"
#include "cons_harness.h"

static void test_init_rejects(void) {
    h_net net;
    h_net_init(&net, 3, NULL, 0);
    cons_valset vs;
    wire_validator v[3] = {{net.k[2].pub, 5}, {net.k[0].pub, 7}, {net.k[1].pub, 9}};
    CHECK_ERR(valset_init(&vs, v, 3), HANSA_OK);
    /* Sorted by pubkey, powers travel with their keys. */
    CHECK(pubkey_eq(&vs.v[0].pubkey, &net.k[0].pub));
    CHECK_EQ_U64(vs.v[0].power, 7);
    CHECK_EQ_U64(vs.v[2].power, 5);
    CHECK_EQ_U64(vs.total_power, 21);
    CHECK_EQ_U64(valset_index(&vs, &net.k[1].pub), 1);
    h_net other;
    h_net_init(&other, 1, NULL, 77);
    CHECK(valset_index(&vs, &other.k[0].pub) == -1);
    CHECK_ERR(valset_init(&vs, v, 0), HANSA_ERR_INVALID);
    CHECK_ERR(valset_init(&vs, v, WIRE_VALIDATORS_MAX + 1), HANSA_ERR_TOO_LONG);
    wire_validator z[2] = {{net.k[0].pub, 1}, {net.k[1].pub, 0}};
    CHECK_ERR(valset_init(&vs, z, 2), HANSA_ERR_INVALID);
    wire_validator d[2] = {{net.k[0].pub, 1}, {net.k[0].pub, 2}};
    CHECK_ERR(valset_init(&vs, d, 2), HANSA_ERR_DUPLICATE);
    wire_validator big[2] = {{net.k[0].pub, WIRE_TOTAL_POWER_MAX}, {net.k[1].pub, 1}};
    CHECK_ERR(valset_init(&vs, big, 2), HANSA_ERR_OVERFLOW);
    wire_validator huge[1] = {{net.k[0].pub, UINT64_MAX}};
    CHECK_ERR(valset_init(&vs, huge, 1), HANSA_ERR_OVERFLOW);
    wire_validator max[1] = {{net.k[0].pub, WIRE_TOTAL_POWER_MAX}};
    CHECK_ERR(valset_init(&vs, max, 1), HANSA_OK);
    CHECK(valset_is_quorum(&vs, WIRE_TOTAL_POWER_MAX));
    wire_validator wv = valset_as_wire(&vs).v[0];
    CHECK_EQ_U64(wv.power, WIRE_TOTAL_POWER_MAX);
}

static void test_quorum_arithmetic(void) {
    h_net net;
    h_net_init(&net, 4, NULL, 0); /* total 40 */
    CHECK(!valset_is_quorum(&net.vs, 26));
    CHECK(valset_is_quorum(&net.vs, 27));
    CHECK(!valset_is_one_third(&net.vs, 13));
    CHECK(valset_is_one_third(&net.vs, 14));
    uint64_t p[3] = {1, 1, 1}; /* total 3: 2 is exactly 2/3, 1 exactly 1/3 */
    h_net_init(&net, 3, p, 0);
    CHECK(!valset_is_quorum(&net.vs, 2));
    CHECK(valset_is_quorum(&net.vs, 3));
    CHECK(!valset_is_one_third(&net.vs, 1));
    CHECK(valset_is_one_third(&net.vs, 2));
}

/* Over total-power consecutive proposer choices each validator proposes
 * (almost exactly) power times: round r of a height and r steps of
 * valset_advance walk the same sequence. */
static void test_proposer_frequencies(void) {
    hansa_prng rng;
    prng_seed(&rng, check_seed("test_proposer_frequencies", 7));
    for (int trial = 0; trial < 20; trial++) {
        size_t n = 1 + (size_t)prng_below(&rng, H_MAX_VALIDATORS);
        uint64_t power[H_MAX_VALIDATORS];
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++) {
            power[i] = 1 + prng_below(&rng, 20);
            total += power[i];
        }
        h_net net;
        h_net_init(&net, n, power, (uint8_t)(trial * 10));
        cons_valset walk = net.vs;
        uint64_t count[H_MAX_VALIDATORS] = {0};
        for (uint64_t step = 0; step < total; step++) {
            uint16_t who = valset_proposer(&walk, 0);
            if (step < 50) CHECK_EQ_U64(valset_proposer(&net.vs, (uint32_t)step), who);
            count[who]++;
            valset_advance(&walk);
            int64_t sum = 0;
            for (size_t i = 0; i < n; i++) {
                sum += walk.priority[i];
                CHECK(walk.priority[i] <= (int64_t)total && walk.priority[i] >= -(int64_t)total);
            }
            CHECK(sum == 0);
        }
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(count[i], net.vs.v[i].power);
        /* A second window does the same. */
        memset(count, 0, sizeof count);
        for (uint64_t step = 0; step < total; step++) {
            count[valset_proposer(&walk, 0)]++;
            valset_advance(&walk);
        }
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(count[i], net.vs.v[i].power);
    }
}

static void test_proposer_equal_power_rotates(void) {
    h_net net;
    h_net_init(&net, 4, NULL, 0);
    bool seen[4] = {false};
    for (uint32_t r = 0; r < 4; r++) seen[valset_proposer(&net.vs, r)] = true;
    for (int i = 0; i < 4; i++) CHECK(seen[i]);
    /* Ties go to the lowest index: the first proposer of a fresh set. */
    CHECK_EQ_U64(valset_proposer(&net.vs, 0), 0);
}

/* Absent members are passed over: never proposers while another member is
 * present, the others keep their turns in order; all absent, every member
 * still gets a turn. */
static void test_proposer_skips_absent(void) {
    h_net net;
    h_net_init(&net, 4, NULL, 0);
    cons_valset vs = net.vs;
    uint16_t plain[8];
    for (uint32_t r = 0; r < 8; r++) plain[r] = valset_proposer(&vs, r);
    vs.absent[2] = true;
    for (uint32_t r = 0; r < 8; r++) CHECK(valset_proposer(&vs, r) != 2);
    CHECK_EQ_U64(valset_proposer(&vs, 0), plain[0]);
    CHECK_EQ_U64(valset_proposer(&vs, 1), plain[1]);
    CHECK_EQ_U64(valset_proposer(&vs, 2), plain[3]); /* 2's turn goes to the next */
    for (int i = 0; i < 4; i++) vs.absent[i] = true;
    bool seen[4] = {false};
    for (uint32_t r = 0; r < 4; r++) seen[valset_proposer(&vs, r)] = true;
    for (int i = 0; i < 4; i++) CHECK(seen[i]);
}

int main(void) {
    RUN(test_init_rejects);
    RUN(test_quorum_arithmetic);
    RUN(test_proposer_frequencies);
    RUN(test_proposer_equal_power_rotates);
    RUN(test_proposer_skips_absent);
    return check_summary();
}
