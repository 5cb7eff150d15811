/* test_clearing.c — the clearing agent's cycle finder and the optimum it is
 * measured against (credit/clearing.h): a triangle cleared fully; a graph
 * where the greedy shortest-cycle agent clears 2/3 of the optimum; a lift
 * that fails drops its cycle; and on seeded random graphs, the optimum is a
 * circulation within the caps, at least what the greedy agent clears, and
 * leaves no cycle with room (so no lift could add to it). The circulation
 * checker is shown catching a flow over a cap and a broken conservation.
 * The agent (clr_agent) lifts the optimum when its cycles fit the hop bound. */
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "check.h"
#include "credit/clearing.h"

static uint64_t greedy(const clr_edge *e, size_t n_edges, uint32_t n_nodes) {
    clr_graph g = {n_nodes, n_edges, e};
    return clr_greedy(&g, 16, NULL, NULL);
}

static uint64_t optimum(const clr_edge *e, size_t n_edges, uint32_t n_nodes) {
    clr_graph g = {n_nodes, n_edges, e};
    uint64_t *flow = calloc(n_edges + 1, sizeof *flow), cleared = 0;
    char why[128] = "";
    CHECK_ERR(clr_optimum(&g, flow, &cleared), HANSA_OK);
    CHECK_ERR(clr_flow_check(&g, flow, why, sizeof why), HANSA_OK);
    free(flow);
    return cleared;
}

static void test_triangle(void) {
    clr_edge e[] = {{0, 1, 100}, {1, 2, 50}, {2, 0, 70}};
    CHECK_EQ_U64(greedy(e, 3, 3), 150);
    CHECK_EQ_U64(optimum(e, 3, 3), 150);
    clr_graph g = {3, 3, e};
    uint64_t res[3] = {100, 50, 70};
    clr_cycle c;
    CHECK(clr_find_cycle(&g, res, 16, &c) && c.n == 3 && c.amount == 50);
    CHECK(!clr_find_cycle(&g, res, 2, &c)); /* the bound on hops holds */
}

/* a->b->a and a->b->c->a share a->b: the shortest first clears 20, the
 * optimum 30 (all of a->b around the longer cycle). */
static void test_greedy_below_optimum(void) {
    clr_edge e[] = {{0, 1, 10}, {1, 0, 10}, {1, 2, 10}, {2, 0, 10}};
    CHECK_EQ_U64(greedy(e, 4, 3), 20);
    CHECK_EQ_U64(optimum(e, 4, 3), 30);
    clr_graph g = {3, 4, e};
    CHECK_EQ_U64(clr_agent(&g, 16, NULL, NULL), 30); /* the agent lifts the optimum */
    CHECK_EQ_U64(clr_agent(&g, 2, NULL, NULL), 20);  /* the 3-cycle is over the hop bound */
}

static bool refuse_first(void *ctx, const clr_cycle *c) {
    (void)c;
    int *calls = ctx;
    return (*calls)++ > 0;
}

static void test_failed_lift_dropped(void) {
    /* a->b->a is found first; its lift fails and its first edge a->b leaves
     * the search, so the agent lifts around a->c->b->a instead. */
    clr_edge e[] = {{1, 0, 10}, {0, 1, 10}, {0, 2, 10}, {2, 1, 10}};
    clr_graph g = {3, 4, e};
    int calls = 0;
    CHECK_EQ_U64(clr_greedy(&g, 16, refuse_first, &calls), 30);
    CHECK(calls == 2);
    /* The agent's first cycle is the optimum's a->c->b->a: refused, its
     * first edge a->c leaves, and the greedy loop lifts a->b->a after it. */
    calls = 0;
    CHECK_EQ_U64(clr_agent(&g, 16, refuse_first, &calls), 20);
    CHECK(calls == 2);
}

static void test_checker_catches(void) {
    clr_edge e[] = {{0, 1, 100}, {1, 2, 50}, {2, 0, 70}};
    clr_graph g = {3, 3, e};
    uint64_t over[3] = {60, 60, 60}, broken[3] = {50, 50, 40};
    char why[128] = "";
    CHECK_ERR(clr_flow_check(&g, over, why, sizeof why), HANSA_ERR_INVALID);
    CHECK_ERR(clr_flow_check(&g, broken, why, sizeof why), HANSA_ERR_INVALID);
    fprintf(stderr, "  (caught: %s)\n", why);
}

static void test_random_graphs(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_random_graphs", 13));
    for (int round = 0; round < 60; round++) {
        uint32_t n = 3 + (uint32_t)prng_below(&p, 12);
        size_t m = n + prng_below(&p, 3 * n);
        clr_edge *e = calloc(m, sizeof *e);
        for (size_t i = 0; i < m; i++) {
            e[i].from = (uint32_t)prng_below(&p, n);
            do e[i].to = (uint32_t)prng_below(&p, n);
            while (e[i].to == e[i].from);
            e[i].cap = prng_below(&p, 200);
        }
        clr_graph g = {n, m, e};
        uint64_t *flow = calloc(m, sizeof *flow), *res = calloc(m, sizeof *res), best = 0;
        char why[128] = "";
        CHECK_ERR(clr_optimum(&g, flow, &best), HANSA_OK);
        CHECK_ERR(clr_flow_check(&g, flow, why, sizeof why), HANSA_OK);
        CHECK(greedy(e, m, n) <= best);
        /* Within no hop bound the agent lifts exactly the optimum. */
        CHECK_EQ_U64(clr_agent(&g, 64, NULL, NULL), best);
        /* Optimal: in the residual of the optimum no cycle of forward room
         * alone is left (one would add to it). */
        for (size_t i = 0; i < m; i++) res[i] = e[i].cap - flow[i];
        clr_cycle c;
        CHECK(!clr_find_cycle(&g, res, 16, &c));
        free(flow);
        free(res);
        free(e);
    }
}

int main(void) {
    RUN(test_triangle);
    RUN(test_greedy_below_optimum);
    RUN(test_failed_lift_dropped);
    RUN(test_checker_catches);
    RUN(test_random_graphs);
    return check_summary();
}
