/* valset.h — the validator set as consensus sees it: voting power, quorum
 * arithmetic, and weighted round-robin proposer selection.
 *
 * Proposer selection (Tendermint's "proposer priority"): every validator has
 * a priority. One step adds each validator's power to its priority, picks the
 * validator with the highest priority (ties: lowest index, i.e. smallest
 * pubkey) as proposer, and subtracts the total power from the winner. Over
 * any window of total-power steps each validator proposes in proportion to
 * its power. The priorities at the start of a height are chain state (the
 * application carries them from height to height with valset_advance); round
 * r of a height uses r further steps on a copy, so the engine needs nothing
 * but the starting priorities.
 *
 * Exactly: the proposer of round r is the winner of step r+1 from the
 * starting priorities (steps won by absent members not counted, below), and valset_advance makes step 1, so round 0 of height
 * h+1 follows round 0 of height h. Nothing is centred or rescaled: starting
 * from all-zero priorities (valset_init) the sum stays zero and every
 * priority stays within [-total, total] (tests/consensus/test_valset.c
 * checks it, and each step asserts a looser bound). An application that
 * changes the set between heights should start the new members at zero and
 * keep the sum at zero. Cost: O(n * (round + 1)) per call.
 *
 * Absent members: the application may mark members the chain saw missing
 * from its last commits (chain state, so every node marks the same ones).
 * A step that picks an absent member is taken again, up to n times, so a
 * stopped delegate costs a few heights of propose timeouts instead of one
 * round in every n for as long as it is down (issue 15: with 1 of 4
 * stopped, heights/s fell by a third). Proposer selection decides only who
 * may propose, never what is safe, so a wrong mark costs rounds, not
 * safety. */
#ifndef HANSA_CONSENSUS_VALSET_H
#define HANSA_CONSENSUS_VALSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "wire/types.h"

typedef struct {
    uint16_t n;
    wire_validator v[WIRE_VALIDATORS_MAX]; /* sorted by pubkey, unique, power > 0 */
    int64_t priority[WIRE_VALIDATORS_MAX];
    uint64_t total_power;
    bool absent[WIRE_VALIDATORS_MAX]; /* passed over as proposer (see above); valset_init clears */
} cons_valset;

/* Builds a set from n validators (any order; sorted here) with all
 * priorities zero. Rejects n == 0, n > WIRE_VALIDATORS_MAX, zero power,
 * duplicate keys, and total power over WIRE_TOTAL_POWER_MAX. */
hansa_err valset_init(cons_valset *vs, const wire_validator *v, size_t n);

/* Index of pk in the set, or -1. */
int valset_index(const cons_valset *vs, const hansa_pubkey *pk);

/* True when power is more than 2/3 of the total (a quorum). */
bool valset_is_quorum(const cons_valset *vs, uint64_t power);
/* True when power is more than 1/3 of the total (at least one honest). */
bool valset_is_one_third(const cons_valset *vs, uint64_t power);

/* Index of the proposer of `round` at the height whose starting priorities
 * vs holds. Pure: vs is not changed. */
uint16_t valset_proposer(const cons_valset *vs, uint32_t round);

/* Moves the starting priorities one step forward: what the application
 * does once per committed height. */
void valset_advance(cons_valset *vs);

/* The same set as a wire_valset view (borrows vs->v). */
wire_valset valset_as_wire(const cons_valset *vs);

#endif
