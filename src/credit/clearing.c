/* clearing.c — see clearing.h. */
#include "credit/clearing.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "credit/credit.h"

/* Outgoing edges per node (CSR): first[u]..first[u+1] index into out[]. */
typedef struct {
    size_t *first, *out;
} adjacency;

static adjacency adj_build(const clr_graph *g) {
    adjacency a = {hansa_calloc(g->n_nodes + 1, sizeof(size_t)), hansa_calloc(g->n_edges + 1, sizeof(size_t))};
    for (size_t e = 0; e < g->n_edges; e++) a.first[g->e[e].from + 1]++;
    for (uint32_t u = 0; u < g->n_nodes; u++) a.first[u + 1] += a.first[u];
    size_t *fill = hansa_calloc(g->n_nodes + 1, sizeof(size_t));
    for (size_t e = 0; e < g->n_edges; e++) a.out[a.first[g->e[e].from] + fill[g->e[e].from]++] = e;
    free(fill);
    return a;
}

static void adj_free(adjacency *a) {
    free(a->first);
    free(a->out);
}

/* BFS from s over edges with residual; the shortest cycle back to s within
 * max_hops into out (n = 0 when none). */
static void bfs_cycle(const clr_graph *g, const adjacency *a, const uint64_t *residual, uint32_t s,
                      size_t max_hops, uint32_t *dist, size_t *via, uint32_t *queue, clr_cycle *out) {
    out->n = 0;
    for (uint32_t u = 0; u < g->n_nodes; u++) dist[u] = UINT32_MAX;
    dist[s] = 0;
    size_t head = 0, tail = 0;
    queue[tail++] = s;
    while (head < tail) {
        uint32_t u = queue[head++];
        if (dist[u] + 1 > max_hops) break;
        for (size_t k = a->first[u]; k < a->first[u + 1]; k++) {
            size_t e = a->out[k];
            uint32_t v = g->e[e].to;
            if (residual[e] == 0) continue;
            if (v == s) {
                /* Walk back from u to s along the BFS tree. */
                out->n = dist[u] + 1;
                out->edge[out->n - 1] = e;
                for (uint32_t w = u, i = dist[u]; i > 0; i--) {
                    out->edge[i - 1] = via[w];
                    w = g->e[via[w]].from;
                }
                return;
            }
            if (dist[v] != UINT32_MAX) continue;
            dist[v] = dist[u] + 1;
            via[v] = e;
            queue[tail++] = v;
        }
    }
}

bool clr_find_cycle(const clr_graph *g, const uint64_t *residual, size_t max_hops, clr_cycle *out) {
    HANSA_ASSERT(max_hops <= sizeof out->edge / sizeof out->edge[0]);
    adjacency a = adj_build(g);
    uint32_t *dist = hansa_calloc(g->n_nodes + 1, sizeof *dist), *queue = hansa_calloc(g->n_nodes + 1, sizeof *queue);
    size_t *via = hansa_calloc(g->n_nodes + 1, sizeof *via);
    clr_cycle *c = hansa_malloc(sizeof *c);
    out->n = 0;
    for (uint32_t s = 0; s < g->n_nodes && out->n != 2; s++) {
        /* Only a shorter cycle than the best so far matters: bound the search by it. */
        bfs_cycle(g, &a, residual, s, out->n ? out->n - 1 : max_hops, dist, via, queue, c);
        if (c->n > 0 && (out->n == 0 || c->n < out->n)) *out = *c;
    }
    out->amount = 0;
    for (size_t i = 0; i < out->n; i++)
        if (i == 0 || residual[out->edge[i]] < out->amount) out->amount = residual[out->edge[i]];
    free(c);
    free(via);
    free(queue);
    free(dist);
    adj_free(&a);
    return out->n > 0;
}

/* The greedy loop over a residual the caller owns (lowered as it lifts). */
static uint64_t greedy_on(const clr_graph *g, uint64_t *residual, size_t max_hops,
                          bool (*fn)(void *ctx, const clr_cycle *c), void *ctx) {
    uint64_t cleared = 0;
    clr_cycle c;
    while (clr_find_cycle(g, residual, max_hops, &c)) {
        if (fn && !fn(ctx, &c)) {
            residual[c.edge[0]] = 0;
            continue;
        }
        for (size_t i = 0; i < c.n; i++) residual[c.edge[i]] -= c.amount;
        cleared += c.amount * c.n;
    }
    return cleared;
}

uint64_t clr_greedy(const clr_graph *g, size_t max_hops, bool (*fn)(void *ctx, const clr_cycle *c),
                    void *ctx) {
    uint64_t *residual = hansa_calloc(g->n_edges + 1, sizeof *residual);
    for (size_t e = 0; e < g->n_edges; e++) residual[e] = g->e[e].cap;
    uint64_t cleared = greedy_on(g, residual, max_hops, fn, ctx);
    free(residual);
    return cleared;
}

uint64_t clr_agent(const clr_graph *g, size_t max_hops, bool (*fn)(void *ctx, const clr_cycle *c), void *ctx) {
    uint64_t *residual = hansa_calloc(g->n_edges + 1, sizeof *residual);
    uint64_t *flow = hansa_calloc(g->n_edges + 1, sizeof *flow), cleared = 0, best;
    for (size_t e = 0; e < g->n_edges; e++) residual[e] = g->e[e].cap;
    if (clr_optimum(g, flow, &best) == HANSA_OK) {
        /* Any cycle in the support of a circulation, less its least flow,
         * leaves a circulation: peeling the shortest ones lifts all of it
         * that lies on cycles within max_hops. flow <= residual throughout. */
        clr_cycle c;
        while (clr_find_cycle(g, flow, max_hops, &c)) {
            if (fn && !fn(ctx, &c)) {
                flow[c.edge[0]] = residual[c.edge[0]] = 0;
                continue;
            }
            for (size_t i = 0; i < c.n; i++) {
                flow[c.edge[i]] -= c.amount;
                residual[c.edge[i]] -= c.amount;
            }
            cleared += c.amount * c.n;
        }
    }
    cleared += greedy_on(g, residual, max_hops, fn, ctx);
    free(flow);
    free(residual);
    return cleared;
}

/* ---- the optimum: cancelling positive cycles in the residual graph ---------------- */

/* Arc 2e: forward on edge e (room cap - flow, gain +1); arc 2e+1: backward
 * (room flow, gain -1). A cycle of positive gain adds to the cleared debt. */
static uint64_t room(const clr_graph *g, const uint64_t *flow, size_t arc) {
    size_t e = arc / 2;
    return arc % 2 == 0 ? g->e[e].cap - flow[e] : flow[e];
}

static uint32_t tail_of(const clr_graph *g, size_t arc) {
    const clr_edge *e = &g->e[arc / 2];
    return arc % 2 == 0 ? e->from : e->to;
}

/* A node on a cycle of the predecessor graph, or UINT32_MAX. Any such
 * cycle has negative cost (when the arc closing it was relaxed, every other
 * arc on it was tight or better), and one shows up after a few rounds on
 * these graphs instead of after n: what keeps the optimum at thousands of
 * nodes within seconds. mark: n scratch entries. */
static uint32_t pred_cycle(const clr_graph *g, const size_t *pred, uint32_t *mark) {
    uint32_t n = g->n_nodes;
    for (uint32_t u = 0; u < n; u++) mark[u] = UINT32_MAX;
    for (uint32_t s = 0; s < n; s++) {
        uint32_t v = s;
        while (mark[v] == UINT32_MAX) {
            mark[v] = s;
            if (pred[v] == SIZE_MAX) break;
            v = tail_of(g, pred[v]);
        }
        if (mark[v] == s && pred[v] != SIZE_MAX) return v;
    }
    return UINT32_MAX;
}

/* Bellman-Ford on cost = -gain; a negative cycle's arcs into arcs[], count
 * returned (0: none). */
static size_t negative_cycle(const clr_graph *g, const uint64_t *flow, int64_t *dist, size_t *pred, size_t *arcs,
                             uint32_t *mark) {
    uint32_t n = g->n_nodes, last = UINT32_MAX, v = UINT32_MAX;
    for (uint32_t u = 0; u < n; u++) dist[u] = 0, pred[u] = SIZE_MAX;
    for (uint32_t round = 0; round < n && v == UINT32_MAX; round++) {
        last = UINT32_MAX;
        for (size_t arc = 0; arc < 2 * g->n_edges; arc++) {
            if (room(g, flow, arc) == 0) continue;
            const clr_edge *e = &g->e[arc / 2];
            uint32_t u = arc % 2 == 0 ? e->from : e->to, w = arc % 2 == 0 ? e->to : e->from;
            int64_t cost = arc % 2 == 0 ? -1 : 1;
            if (dist[u] + cost < dist[w]) {
                dist[w] = dist[u] + cost;
                pred[w] = arc;
                last = w;
            }
        }
        if (last == UINT32_MAX) return 0;
        v = pred_cycle(g, pred, mark);
    }
    if (v == UINT32_MAX) {
        /* Still relaxing after n rounds: walking back n steps lands on the cycle. */
        v = last;
        for (uint32_t i = 0; i < n; i++) v = tail_of(g, pred[v]);
    }
    size_t k = 0;
    uint32_t w = v;
    do {
        size_t arc = pred[w];
        arcs[k++] = arc;
        const clr_edge *e = &g->e[arc / 2];
        w = arc % 2 == 0 ? e->from : e->to;
    } while (w != v && k <= n);
    HANSA_ASSERT(w == v);
    return k;
}

hansa_err clr_optimum(const clr_graph *g, uint64_t *flow, uint64_t *cleared) {
    *cleared = 0;
    if (g->n_nodes > CLR_NODES_MAX || g->n_edges > CLR_EDGES_MAX) return HANSA_ERR_TOO_LONG;
    memset(flow, 0, g->n_edges * sizeof *flow);
    int64_t *dist = hansa_calloc(g->n_nodes + 1, sizeof *dist);
    size_t *pred = hansa_calloc(g->n_nodes + 1, sizeof *pred), *arcs = hansa_calloc(g->n_nodes + 2, sizeof *arcs);
    uint32_t *mark = hansa_calloc(g->n_nodes + 1, sizeof *mark);
    size_t k;
    while ((k = negative_cycle(g, flow, dist, pred, arcs, mark)) > 0) {
        uint64_t push = UINT64_MAX;
        for (size_t i = 0; i < k; i++)
            if (room(g, flow, arcs[i]) < push) push = room(g, flow, arcs[i]);
        for (size_t i = 0; i < k; i++) {
            if (arcs[i] % 2 == 0) flow[arcs[i] / 2] += push;
            else flow[arcs[i] / 2] -= push;
        }
    }
    for (size_t e = 0; e < g->n_edges; e++) *cleared += flow[e];
    free(mark);
    free(arcs);
    free(pred);
    free(dist);
    return HANSA_OK;
}

hansa_err clr_flow_check(const clr_graph *g, const uint64_t *flow, char *why, size_t why_len) {
    unsigned __int128 *in = hansa_calloc(g->n_nodes + 1, sizeof *in), *out = hansa_calloc(g->n_nodes + 1, sizeof *out);
    hansa_err err = HANSA_OK;
    for (size_t e = 0; e < g->n_edges && err == HANSA_OK; e++) {
        if (flow[e] > g->e[e].cap) {
            credit_say(why, why_len, "edge %zu carries %llu over its capacity %llu", e,
                       (unsigned long long)flow[e], (unsigned long long)g->e[e].cap);
            err = HANSA_ERR_INVALID;
        }
        in[g->e[e].to] += flow[e];
        out[g->e[e].from] += flow[e];
    }
    for (uint32_t u = 0; u < g->n_nodes && err == HANSA_OK; u++)
        if (in[u] != out[u]) {
            credit_say(why, why_len, "node %u receives %llu but pays %llu: not a circulation", u,
                (unsigned long long)in[u], (unsigned long long)out[u]);
            err = HANSA_ERR_INVALID;
        }
    free(in);
    free(out);
    return err;
}
