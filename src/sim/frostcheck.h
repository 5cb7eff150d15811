/* frostcheck.h — the FROST checkers of a simulated chain (--frost). Fed by
 * frost.c with what honest nodes send (their signature shares, with the
 * REQUEST each answers) and store (the chain's group-key records, the key
 * of their own DKG share, their stored checkpoints), never by looking into
 * the signer or the DKG session, so the tests can feed hand-made bad
 * inputs. Each rule and why its bound is what it is: docs/sim.md, "FROST".
 *
 *   key         no two different group keys for one epoch (validator set):
 *               every key an honest node's chain records for it, and every
 *               key an honest node's own session ended with (its signing
 *               share's group), is the first one seen;
 *   nonce       no nonce commitment (hiding and binding pair) of one
 *               participant is used in two different signature shares:
 *               each share an honest node releases is keyed by its
 *               commitment in the REQUEST it answers, and two uses with
 *               different messages or commitment lists (different binding
 *               factors) are a violation, across crashes (the checker
 *               outlives every incarnation);
 *   liveness    every height h the driver covers (its checkpoint round
 *               began after GST + settle, when every crashed node is back;
 *               its coordinator, the block's proposer, is honest; the
 *               chain had a key at h; and the run went on FSIGN_ROUNDS
 *               heights past it, after which the round is dropped and no
 *               signature can come any more) has a stored checkpoint on
 *               some honest node, if at least t honest members of the
 *               key's set are up (running, not stopped). Whether they hold
 *               their shares is what the rule checks, not a condition of
 *               it: a member that lost its share is a liveness failure.
 *               The handoff to each new key is judged the same way, at the
 *               block that recorded the key, against the old group;
 *   checkpoint  every checkpoint an honest node stores verifies under the
 *               key the chain recorded for its epoch, names that epoch as
 *               the signing key of its height and the header hash the
 *               node committed there; every stored handoff verifies from
 *               the previous key to the next. */
#ifndef HANSA_SIM_FROSTCHECK_H
#define HANSA_SIM_FROSTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/bytes.h"
#include "sim/smap.h"

typedef struct {
    smap keys;      /* epoch -> first group key seen */
    smap nonce_use; /* (participant, commitment digest) -> digest of (group, message, list) */
    uint64_t key, nonce, liveness, checkpoint; /* violations */
    char first[256]; /* the first violation, in words */
} sim_frostcheck;

void sim_frostcheck_init(sim_frostcheck *f);
void sim_frostcheck_free(sim_frostcheck *f);
/* Honest node `node` holds key for epoch: `what` says where from ("its
 * chain's record", "its DKG share"). */
void sim_frostcheck_key(sim_frostcheck *f, uint16_t node, uint64_t epoch, const hansa_hash *key,
                        const char *what);
/* The key recorded for epoch (NULL: none seen yet). */
const hansa_hash *sim_frostcheck_key_of(const sim_frostcheck *f, uint64_t epoch);
/* Honest node `node` released a signature share as participant id, with
 * its commitment `commitment` (a digest of the hiding and binding pair)
 * in a REQUEST for round whose (group, message, list) digest is `use`. */
void sim_frostcheck_share(sim_frostcheck *f, uint16_t node, uint16_t id, const hansa_hash *commitment,
                          const hansa_hash *use, uint64_t round);
/* Height h was covered by the liveness rule (above) with `members` honest
 * members of its key's set up, threshold t; signed: some honest node
 * stores its checkpoint. */
void sim_frostcheck_height(sim_frostcheck *f, uint64_t h, bool signed_somewhere, uint16_t members,
                           uint16_t t);
/* The handoff to the key of new_epoch was judged as a height is (above),
 * with `members` honest members of the old key's set up, its threshold t;
 * handed: some honest node stores it. */
void sim_frostcheck_handoff(sim_frostcheck *f, uint64_t new_epoch, bool handed, uint16_t members, uint16_t t);
/* A stored checkpoint (or handoff: height 0) of honest node `node` that
 * failed `why` (the driver's checks: decodes, verifies, key, epoch, header). */
/* Node stores a signing share of epoch that is not its verification
 * share (a repaired share taken unchecked: a Byzantine helper cheated). */
void sim_frostcheck_bad_share(sim_frostcheck *f, uint16_t node, uint64_t epoch);
void sim_frostcheck_bad_checkpoint(sim_frostcheck *f, uint16_t node, uint64_t height, const char *why);

uint64_t sim_frostcheck_safety(const sim_frostcheck *f);

#endif
