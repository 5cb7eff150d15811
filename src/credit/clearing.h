/* clearing.h — finding liftable cycles in a graph of credit (the clearing
 * agent, seed 003 "Credit Lifts Explained"), and the optimum it is measured
 * against. Sans-I/O, pure functions over a small graph.
 *
 * Nodes are parties; an edge u -> v is a tally on which u may pay v in a
 * lift (v receives: its net there rises), with `cap` what v takes freely
 * (credit_lift_edge_cap's min: for a debt of d with target 0, d). A circular
 * lift of amount a around a cycle of length L clears a x L of gross debt.
 *
 * The agent is greedy: it takes the shortest cycle with capacity (BFS from
 * each node, at most max_hops edges) and lifts its bottleneck, until none is
 * left. The optimum is the most debt any set of circular lifts could clear:
 * a maximum-weight circulation (weight 1 per unit per edge, within the
 * capacities), found by cancelling positive cycles in the residual graph.
 * The agent (clr_agent) computes that optimum on its view and lifts it,
 * decomposed into cycles, then whatever the greedy loop still finds. */
#ifndef HANSA_CREDIT_CLEARING_H
#define HANSA_CREDIT_CLEARING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CLR_NODES_MAX 4096
#define CLR_EDGES_MAX 65536

typedef struct {
    uint32_t from, to; /* < n_nodes, from != to */
    uint64_t cap;
} clr_edge;

typedef struct {
    uint32_t n_nodes;
    size_t n_edges;
    const clr_edge *e;
} clr_graph;

/* A cycle: edge indices in order (e[k].to == e[k+1].from, closing) and the
 * amount the greedy agent lifts around it. */
typedef struct {
    size_t n;
    size_t edge[64];
    uint64_t amount;
} clr_cycle;

/* The shortest cycle (at most max_hops <= 64 edges) whose every edge has
 * residual[e] > 0, with its bottleneck; false when there is none. */
bool clr_find_cycle(const clr_graph *g, const uint64_t *residual, size_t max_hops, clr_cycle *out);

/* Runs the greedy agent to the end: residual starts as the caps and loses
 * each lifted amount; calls fn (may be NULL) for each cycle it would lift,
 * which returns false when the lift failed (the agent then drops the
 * cycle's first edge from the search). Returns the gross debt cleared. */
uint64_t clr_greedy(const clr_graph *g, size_t max_hops, bool (*fn)(void *ctx, const clr_cycle *c),
                    void *ctx);

/* The clearing agent: lifts the optimum's circulation cycle by cycle (the
 * shortest cycle of its support each time, within max_hops), then runs the
 * greedy loop on what is left (cycles longer than max_hops in the optimum,
 * lifts that failed); fn and the return as clr_greedy's. Over the bounds of
 * clr_optimum it is the greedy agent alone. */
uint64_t clr_agent(const clr_graph *g, size_t max_hops, bool (*fn)(void *ctx, const clr_cycle *c), void *ctx);

/* The optimum: flow[e] per edge (caller's array of n_edges) of a
 * maximum-weight circulation; returns the gross debt it clears (sum of
 * flow). HANSA_ERR_TOO_LONG when the graph is over the bounds. */
hansa_err clr_optimum(const clr_graph *g, uint64_t *flow, uint64_t *cleared);

/* Checks a flow is a circulation within the caps (in = out at every node).
 * HANSA_ERR_INVALID with why otherwise. */
hansa_err clr_flow_check(const clr_graph *g, const uint64_t *flow, char *why, size_t why_len);

#endif
