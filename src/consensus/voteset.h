/* voteset.h — the votes of one type at one height/round, tallied by power.
 *
 * Internal to consensus/. A vote set keeps the first vote of each validator
 * and at most one conflicting vote (the second face of an equivocation),
 * which becomes duplicate-vote evidence. Both faces count for their own
 * block, as in Alg. 1, where "2f+1 <PREVOTE, h, r, id(v)>" counts every
 * sender of such a message: otherwise an honest node locked on a value
 * whose proof-of-lock includes an equivocator's vote could never show that
 * proof to nodes that saw the other face first, and a height could stall
 * (the simulator found it). This is safe within the fault budget: two
 * quorums still intersect in more than 1/3 of the power, so in an honest
 * validator. A validator counts once in power_any, and a third face is
 * dropped, which bounds memory at two votes per validator. The tally keeps,
 * per distinct block id (nil included), the power that voted for it. */
#ifndef HANSA_CONSENSUS_VOTESET_H
#define HANSA_CONSENSUS_VOTESET_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/valset.h"
#include "wire/types.h"

typedef struct {
    bool has;
    block_id block;
    hansa_sig sig;
} cons_vote_slot;

typedef struct {
    block_id block;
    uint64_t power;
} cons_tally;

typedef struct {
    uint16_t n;                 /* validators in the set this vote set counts for */
    cons_vote_slot *slot;       /* n, by validator index: first votes; in tally's allocation */
    cons_vote_slot *alt;        /* n: a second, conflicting vote; in tally's allocation */
    cons_tally *tally;          /* at most 2n distinct block ids; owned (holds slot and alt) */
    uint16_t n_tally;
    uint64_t power_any;         /* power of all validators with a vote here */
} cons_voteset;

typedef enum {
    CONS_VS_NEW,       /* no vote from this validator yet: add it */
    CONS_VS_SAME,      /* the validator already voted for this block */
    CONS_VS_CONFLICT,  /* it voted for another block: add as its second face */
    CONS_VS_FULL       /* it already has two faces, neither this block */
} cons_vs_check;

void cons_voteset_init(cons_voteset *s, uint16_t n);
/* Forgets every vote, keeping the memory for the same n. */
void cons_voteset_clear(cons_voteset *s);
void cons_voteset_free(cons_voteset *s);
/* What adding a vote from validator idx for b would be; changes nothing. */
cons_vs_check cons_voteset_check(const cons_voteset *s, uint16_t idx, const block_id *b);
/* Adds a verified vote; the check must have said CONS_VS_NEW (first vote)
 * or CONS_VS_CONFLICT (second face). */
void cons_voteset_add(cons_voteset *s, uint16_t idx, const block_id *b, const hansa_sig *sig,
                      uint64_t power);
/* Replaces the validator's second face by another verified one (the check
 * said CONS_VS_FULL). The engine does this only for a prevote that a stored
 * proposal's proof-of-lock needs: an equivocator with many faces (a node
 * that crashes and forgets, again and again) must not make a valid POL
 * impossible to check. The old face's block loses its power; counts only
 * ever cover signed messages, so safety does not depend on which faces are
 * kept. */
void cons_voteset_replace_alt(cons_voteset *s, uint16_t idx, const block_id *b,
                              const hansa_sig *sig, uint64_t power);

/* The validator's vote for exactly b (first or second face), or NULL. */
const cons_vote_slot *cons_voteset_vote_for(const cons_voteset *s, uint16_t idx,
                                            const block_id *b);
/* Power that voted for exactly b (nil when !b->present). */
uint64_t cons_voteset_power_for(const cons_voteset *s, const block_id *b);
/* True and *id set when some non-nil block holds more than 2/3 of vs's power. */
bool cons_voteset_quorum_block(const cons_voteset *s, const cons_valset *vs, hansa_hash *id);

#endif
