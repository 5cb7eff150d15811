/* fedcheck.c — see fedcheck.h. */
#include "sim/fedcheck.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sim_fedcheck_init(sim_fedcheck *f, uint16_t chains, const bool *over_budget) {
    memset(f, 0, sizeof *f);
    f->chains = chains;
    for (uint16_t k = 0; k < chains; k++) f->over_budget[k] = over_budget[k];
    smap_init(&f->committed);
}

void sim_fedcheck_free(sim_fedcheck *f) { smap_free(&f->committed); }

static void violation(sim_fedcheck *f, bool safety, const char *fmt, ...) {
    if (safety) f->safety++;
    else f->liveness++;
    if (f->first[0]) return;
    int k = snprintf(f->first, sizeof f->first, "%s: ", safety ? "client-safety" : "client-liveness");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->first + k, sizeof f->first - (size_t)k, fmt, ap);
    va_end(ap);
}

void sim_fedcheck_commit(sim_fedcheck *f, uint16_t chain, uint64_t height, const hansa_hash *header) {
    /* Agreement within the chain is its own checker's; the first is kept. */
    smap_put_new(&f->committed, (smap_key){chain, height, 0}, header);
    if (height > f->tip[chain]) f->tip[chain] = height;
}

void sim_fedcheck_state(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t height,
                        const hansa_hash *header) {
    if (height == 0) return; /* the genesis root: taken on faith, no header */
    const hansa_hash *want = smap_get(&f->committed, (smap_key){foreign, height, 0});
    if (!want)
        violation(f, true, "node %u's client of chain %u stores height %" PRIu64
                           ", which no honest node of that chain committed", node, foreign, height);
    else if (!hash_eq(want, header))
        violation(f, true, "node %u's client of chain %u stores another header at height %" PRIu64
                           " than that chain committed", node, foreign, height);
}

/* Keys share the committed map: (chain, epoch, 1) beside (chain, height, 0). */
void sim_fedcheck_key(sim_fedcheck *f, uint16_t chain, uint64_t epoch, const hansa_hash *key) {
    const hansa_hash *had = smap_put_new(&f->committed, (smap_key){chain, epoch, 1}, key);
    if (had && !hash_eq(had, key))
        violation(f, true, "chain %u's honest nodes recorded two group keys for epoch %" PRIu64, chain, epoch);
}

void sim_fedcheck_state_key(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t height, uint64_t epoch,
                            const hansa_hash *key) {
    const hansa_hash *want = smap_get(&f->committed, (smap_key){foreign, epoch, 1});
    if (!want)
        violation(f, true, "node %u's client of chain %u trusts at height %" PRIu64 " a key of epoch %" PRIu64
                           ", for which no honest node of that chain recorded a key", node, foreign, height, epoch);
    else if (!hash_eq(want, key))
        violation(f, true, "node %u's client of chain %u trusts at height %" PRIu64 " another key of epoch %" PRIu64
                           " than that chain recorded", node, foreign, height, epoch);
}

void sim_fedcheck_client(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t own_height, uint64_t latest,
                         bool frozen) {
    f->latest[node][foreign] = latest;
    f->own[node] = own_height;
    f->ring[node][foreign][own_height % SIM_FED_RING].own = own_height;
    f->ring[node][foreign][own_height % SIM_FED_RING].tip = f->tip[foreign];
    if (frozen && !f->over_budget[foreign] && !f->frozen_seen[foreign]) {
        f->frozen_seen[foreign] = true; /* once per chain: one freeze is one fault */
        violation(f, true, "node %u's client of chain %u is frozen, though that chain's Byzantine "
                           "power is under 1/3", node, foreign);
    }
}

/* The foreign tip node i saw when it was at its own height h - lag or the
 * nearest height below it it was seen at; false if none is remembered. */
static bool tip_back(const sim_fedcheck *f, uint16_t i, uint16_t k, uint64_t lag, uint64_t *tip) {
    uint64_t h = f->own[i];
    for (uint64_t back = lag; back < SIM_FED_RING && back < h; back++) {
        uint64_t at = h - back;
        if (f->ring[i][k][at % SIM_FED_RING].own == at) {
            *tip = f->ring[i][k][at % SIM_FED_RING].tip;
            return true;
        }
    }
    return false;
}

void sim_fedcheck_finish(sim_fedcheck *f, uint16_t nodes, const uint16_t *node_chain, const uint64_t *lag) {
    for (uint16_t i = 0; i < nodes; i++) {
        for (uint16_t k = 0; k < f->chains; k++) {
            uint64_t tip;
            if (!lag[i] || k == node_chain[i] || !tip_back(f, i, k, lag[i], &tip) || f->latest[i][k] >= tip)
                continue;
            violation(f, false, "node %u's client of chain %u holds height %" PRIu64 " at its height %" PRIu64
                                ", though that chain had committed height %" PRIu64 " when the node was %" PRIu64
                                " heights back",
                      i, k, f->latest[i][k], f->own[i], tip, lag[i]);
        }
    }
}

uint64_t sim_fedcheck_lag_seen(const sim_fedcheck *f, uint16_t nodes, const uint16_t *node_chain,
                               const uint64_t *lag) {
    uint64_t most = 0;
    for (uint16_t i = 0; i < nodes; i++)
        for (uint16_t k = 0; k < f->chains; k++)
            if (lag[i] && k != node_chain[i] && f->tip[k] > f->latest[i][k] + most) most = f->tip[k] - f->latest[i][k];
    return most;
}
