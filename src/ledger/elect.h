/* elect.h — the delegate rules that run once per block rather than per
 * transaction: punishing evidence, recording liveness, paying rewards,
 * releasing unbonded tokens, ratifying upgrades, elections and the
 * validator-set pipeline. The rules are written out in docs/delegates.md.
 *
 * Validator-set pipeline: the state after block h holds three sets — prev
 * (decided h), cur (decides h+1) and next (decides h+2). Finishing block h+1
 * shifts them (prev := cur, cur := next) and puts in next either the set an
 * election at the end of h+1 produced or, without one, next again. So a set
 * computed at the end of block h decides block h+2, and header(h+1) already
 * commits to it in next_validators_hash: a light client always knows the
 * set of the block after the one it checks. */
#ifndef HANSA_LEDGER_ELECT_H
#define HANSA_LEDGER_ELECT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ledger/block.h"
#include "ledger/state.h"

/* Called by ledger_block_begin: signers, evidence, liveness. */
hansa_err elect_block_begin(ledger_block *b, const ledger_block_info *info, char *why,
                            size_t why_len);
/* Called by ledger_block_finish before the write set is collected. */
void elect_block_finish(ledger_block *b);

/* Checks one evidence item against the committed state as if it were put in
 * block s.height + 1 (what a block builder asks before including it).
 * HANSA_OK or HANSA_ERR_INVALID with why. Does not see repeats inside one
 * block: the builder removes duplicates by hash. */
hansa_err ledger_evidence_check(const ledger_state *s, const ledger_evidence *ev, char *why,
                                size_t why_len);

/* A candidate as the ranking sees it. */
typedef struct {
    hansa_pubkey pubkey;
    ledger_candidate c;
    uint64_t weight;   /* self_bond + voted */
    bool eligible;     /* not jailed, self_bond > 0 */
} ledger_rank_entry;

/* Every candidate of the committed state, eligible ones first by weight
 * (descending; ties by pubkey ascending), then the rest by pubkey. The
 * first active_max eligible entries are what an election now would make
 * active (before power scaling), the next bench_max the bench. *out is
 * allocated (free it); *n its length. */
void ledger_ranking(const ledger_state *s, ledger_rank_entry **out, size_t *n);

/* Reads through the committed state without a block (tests, RPC). */
bool ledger_candidate_get(const ledger_state *s, const hansa_pubkey *pk, ledger_candidate *out);
uint64_t ledger_vote_get(const ledger_state *s, const hansa_addr *voter, const hansa_pubkey *cand);
uint64_t ledger_unbonding_get(const ledger_state *s, uint64_t release, const hansa_addr *who,
                              const hansa_pubkey *cand);
bool ledger_upgrade_get(const ledger_state *s, const hansa_hash *software, ledger_upgrade *out);
bool ledger_evidence_punished(const ledger_state *s, const hansa_hash *ev_hash);
/* How many of the last liveness_window heights pk missed (0 if it has no
 * liveness record: not in a recent set, or it missed none). */
uint16_t ledger_missed_get(const ledger_state *s, const hansa_pubkey *pk);
/* Heights a member must have missed in a row to be passed over as
 * proposer (cons_valset.absent): a few, so one slow commit does not count. */
#define LEDGER_ABSENT_HEIGHTS 3
/* For each member i of the current set (the one deciding height + 1):
 * absent[i] = it missed each of the last LEDGER_ABSENT_HEIGHTS heights the
 * chain recorded (its liveness window: not among the commit's signers). */
void ledger_absent_members(const ledger_state *s, bool *absent);
/* The address's bonded total (its self bond plus the votes it gave); 0 if none. */
uint64_t ledger_bonded_get(const ledger_state *s, const hansa_addr *who);
/* Calls fn for every record of table tab in the committed state, in no
 * particular order (keys and values as stake.h lays them out; borrowed for
 * the call). For RPC listings; fn must not change s. */
void ledger_records_iter(const ledger_state *s, ledger_tab tab, stake_iter_fn fn, void *ctx);

#endif
