/* fedcheck.h — the light-client checkers of a simulated federation
 * (--chains C > 1). Fed by fed.c with what honest nodes committed and what
 * honest nodes' light clients hold, never by peeking into the ledger
 * itself, so the tests can feed it hand-made bad inputs.
 *
 *   client safety    every consensus state an honest node's client of chain
 *                    A stores has the header hash A's honest nodes committed
 *                    at that height (and some honest node of A committed it:
 *                    relayers read only honest sources, so a state no honest
 *                    node committed was made up); and no client of A is
 *                    frozen while A's Byzantine power is under 1/3; and
 *                    a group key such a state trusts (from a trust root,
 *                    a handoff or a key proof) is the key A's honest nodes
 *                    recorded for that epoch;
 *   client liveness  at the end of the run, each client an eligible honest
 *                    node holds (the caller says which: up, and its chain went
 *                    on long enough after GST + settle for relaying to have
 *                    caught up) holds at least the height A's honest nodes
 *                    had committed when that node was lag heights of its own
 *                    chain back. The lag is counted in the node's own heights,
 *                    not A's: the relay duty comes round by its chain's
 *                    heights, and A may run faster. */
#ifndef HANSA_SIM_FEDCHECK_H
#define HANSA_SIM_FEDCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/bytes.h"
#include "sim/check.h"
#include "sim/sim.h"
#include "sim/smap.h"

#define SIM_FED_RING 64 /* own heights remembered per client: lag must be below */

typedef struct {
    uint16_t chains;
    bool over_budget[SIM_CHAINS_MAX]; /* the chain's Byzantine power is >= 1/3 */
    smap committed;                   /* (chain, height) -> header hash honest nodes committed */
    uint64_t tip[SIM_CHAINS_MAX];     /* highest height an honest node of the chain committed */
    /* Per observer node and foreign chain: the client's latest height, and
     * a ring of (the node's own height, the foreign tip then). */
    uint64_t latest[SIM_CHECK_NODES_MAX][SIM_CHAINS_MAX];
    uint64_t own[SIM_CHECK_NODES_MAX];
    struct {
        uint64_t own, tip;
    } ring[SIM_CHECK_NODES_MAX][SIM_CHAINS_MAX][SIM_FED_RING];
    bool frozen_seen[SIM_CHAINS_MAX]; /* a freeze of a client of the chain was counted */
    uint64_t safety, liveness;
    char first[256];                  /* the first violation, in words */
} sim_fedcheck;

void sim_fedcheck_init(sim_fedcheck *f, uint16_t chains, const bool *over_budget);
void sim_fedcheck_free(sim_fedcheck *f);
/* An honest node of chain committed height, whose header hashes to header. */
void sim_fedcheck_commit(sim_fedcheck *f, uint16_t chain, uint64_t height, const hansa_hash *header);
/* Honest node `node`'s client of chain `foreign` stores a state of height
 * with this header hash. */
void sim_fedcheck_state(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t height,
                        const hansa_hash *header);
/* An honest node of chain holds the group key record of epoch (key: its
 * 32 bytes). */
void sim_fedcheck_key(sim_fedcheck *f, uint16_t chain, uint64_t epoch, const hansa_hash *key);
/* Honest node `node`'s client of chain `foreign` stores a state of height
 * that trusts this key of epoch. */
void sim_fedcheck_state_key(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t height, uint64_t epoch,
                            const hansa_hash *key);
/* ... and, with the node at its own height own_height, that client's
 * latest height is latest; frozen: it is frozen. */
void sim_fedcheck_client(sim_fedcheck *f, uint16_t node, uint16_t foreign, uint64_t own_height, uint64_t latest,
                         bool frozen);
/* The end of the run: node_chain[i] is node i's chain, lag[i] the lag of
 * its clients in its own heights (< SIM_FED_RING), 0 if not checked. */
void sim_fedcheck_finish(sim_fedcheck *f, uint16_t nodes, const uint16_t *node_chain, const uint64_t *lag);
/* The largest lag (in the foreign chain's heights, to its tip) of a
 * checked node's client at the end: a figure for the report. */
uint64_t sim_fedcheck_lag_seen(const sim_fedcheck *f, uint16_t nodes, const uint16_t *node_chain,
                               const uint64_t *lag);

#endif
