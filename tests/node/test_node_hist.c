/* test_node_hist.c — the node's Prometheus-style histograms: each value
 * lands in the first bucket whose bound is >= it, values above every bound
 * in the +Inf bucket, and count and sum follow; checked at the edges and
 * against a plain reference on random values. */
#include "base/rng.h"
#include "check.h"
#include "node/node.h"

static void test_edges(void) {
    node_hist h = {.bounds = node_hist_bounds_ms};
    node_hist_observe(&h, 0);     /* below the first bound (1 ms) */
    node_hist_observe(&h, 1);     /* exactly on it: le="1" includes it */
    node_hist_observe(&h, 2);     /* second bucket */
    node_hist_observe(&h, 10000); /* on the last bound */
    node_hist_observe(&h, 10001); /* above every bound */
    CHECK_EQ_U64(h.counts[0], 2);
    CHECK_EQ_U64(h.counts[1], 1);
    CHECK_EQ_U64(h.counts[NODE_HIST_BOUNDS - 1], 1);
    CHECK_EQ_U64(h.counts[NODE_HIST_BOUNDS], 1);
    CHECK_EQ_U64(h.count, 5);
    CHECK_EQ_U64(h.sum, 0 + 1 + 2 + 10000 + 10001);
}

static void test_bounds_ascend(void) {
    const uint64_t *tables[] = {node_hist_bounds_ms, node_hist_bounds_txs, node_hist_bounds_bytes};
    for (size_t t = 0; t < 3; t++)
        for (size_t i = 1; i < NODE_HIST_BOUNDS; i++) CHECK(tables[t][i - 1] < tables[t][i]);
    /* A full block (seed 000: 10,000 transactions) fits the last finite bucket. */
    CHECK_EQ_U64(node_hist_bounds_txs[NODE_HIST_BOUNDS - 1], 10000);
}

static void test_random_against_reference(void) {
    hansa_prng rng;
    prng_seed(&rng, check_seed("test_random_against_reference", 7));
    node_hist h = {.bounds = node_hist_bounds_txs};
    uint64_t ref[NODE_HIST_BOUNDS + 1] = {0}, sum = 0;
    for (int k = 0; k < 5000; k++) {
        uint64_t v = prng_below(&rng, 12000);
        node_hist_observe(&h, v);
        size_t i = 0;
        for (; i < NODE_HIST_BOUNDS; i++)
            if (v <= node_hist_bounds_txs[i]) break;
        ref[i]++;
        sum += v;
    }
    for (size_t i = 0; i <= NODE_HIST_BOUNDS; i++) CHECK_EQ_U64(h.counts[i], ref[i]);
    CHECK_EQ_U64(h.count, 5000);
    CHECK_EQ_U64(h.sum, sum);
}

int main(void) {
    RUN(test_edges);
    RUN(test_bounds_ascend);
    RUN(test_random_against_reference);
    return check_summary();
}
