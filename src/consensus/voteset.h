/* voteset.h — the votes of one type at one height/round, tallied by power.
 *
 * Internal to consensus/. A vote set keeps at most one vote per validator
 * (the first one that verified); a later vote from the same validator for a
 * different block is not counted, it only becomes duplicate-vote evidence,
 * and a flag per validator makes sure that evidence is produced once. The
 * tally keeps, per distinct block id (nil included), the power that voted
 * for it, so the quorum tests of Alg. 1 are a scan over at most n+1 entries.
 * Memory is allocated once for the set's n validators. */
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
    cons_vote_slot *slot;       /* n, by validator index; owned */
    bool *evidence_sent;        /* n; owned */
    cons_tally *tally;          /* at most n distinct block ids; owned */
    uint16_t n_tally;
    uint64_t power_any;         /* power of all validators with a vote here */
} cons_voteset;

typedef enum {
    CONS_VS_NEW,       /* no vote from this validator yet: add it */
    CONS_VS_SAME,      /* the validator already voted for this block */
    CONS_VS_CONFLICT   /* the validator already voted for another block */
} cons_vs_check;

void cons_voteset_init(cons_voteset *s, uint16_t n);
void cons_voteset_free(cons_voteset *s);
/* What adding a vote from validator idx for b would be; changes nothing. */
cons_vs_check cons_voteset_check(const cons_voteset *s, uint16_t idx, const block_id *b);
/* Adds a verified vote; the check must have said CONS_VS_NEW. */
void cons_voteset_add(cons_voteset *s, uint16_t idx, const block_id *b, const hansa_sig *sig,
                      uint64_t power);
/* Power that voted for exactly b (nil when !b->present). */
uint64_t cons_voteset_power_for(const cons_voteset *s, const block_id *b);
/* True and *id set when some non-nil block holds more than 2/3 of vs's power. */
bool cons_voteset_quorum_block(const cons_voteset *s, const cons_valset *vs, hansa_hash *id);

#endif
