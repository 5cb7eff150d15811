/* engine.h — the Tendermint consensus engine as a pure state machine.
 *
 * Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
 * Milosevic, arXiv 1807.04938) over voting power. The engine does no I/O,
 * reads no clock and draws no randomness. It is driven by inputs:
 *   - a received proposal (with the proposed value's bytes) or vote,
 *   - a timer it asked for firing,
 *   - a tick carrying the current time,
 *   - a storage completion for a record it asked to persist,
 *   - a decided value learned from block sync (value + commit certificate),
 *   - the start of the next height (with its validator set),
 * and after each input the driver drains the engine's outputs: messages to
 * broadcast, timers to set, records to persist, decisions and evidence. The
 * networked node and the simulator are two drivers of this same code.
 *
 * Values are opaque to the engine: the application builds them (get_value),
 * judges them (valid) and names them (a 32-byte id, the block's header hash).
 *
 * Never sign twice: every proposal or vote the engine signs first goes out as
 * a CONS_OUT_PERSIST record holding the signer state; the signed message is
 * released only after cons_on_persisted() for that record. A restarted engine
 * given the last persisted record re-sends what it signed and never signs a
 * different message for an (height, round, step) at or before it.
 *
 * A node whose key is NULL or not in the height's validator set follows the
 * protocol (it tracks rounds and decides) without signing anything.
 * docs/consensus.md maps every rule of Alg. 1 to the function that holds it. */
#ifndef HANSA_CONSENSUS_ENGINE_H
#define HANSA_CONSENSUS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "consensus/valset.h"
#include "crypto/sign.h"
#include "wire/types.h"

typedef struct cons_engine cons_engine;

/* Timeouts grow linearly with the round: base + round * delta. */
typedef struct {
    uint32_t propose_ms, propose_delta_ms;
    uint32_t prevote_ms, prevote_delta_ms;
    uint32_t precommit_ms, precommit_delta_ms;
} cons_timeouts;

typedef enum { CONS_TIMER_PROPOSE, CONS_TIMER_PREVOTE, CONS_TIMER_PRECOMMIT } cons_timer_kind;

typedef enum { CONS_STEP_PROPOSE = 0, CONS_STEP_PREVOTE = 1, CONS_STEP_PRECOMMIT = 2 } cons_step;

/* What the application gives the engine. All callbacks are synchronous. */
typedef struct {
    void *ctx;
    /* Builds a value to propose at height/round into out and names it.
     * Returns false if it cannot (the engine then proposes nothing). */
    bool (*get_value)(void *ctx, uint64_t height, uint32_t round, hbuf *out, hansa_hash *id);
    /* The validity check valid(v) of Alg. 1: true if the value with these
     * bytes is acceptable at height and really has this id. The engine
     * caches verdicts per height by (id, SHA-256 of the bytes), so it is
     * called once per value; bytes that differ from already accepted bytes
     * under the same id are rejected without a call. */
    bool (*valid)(void *ctx, uint64_t height, const uint8_t *value, size_t len,
                  const hansa_hash *id);
    /* Signature check; NULL means verify_domain(). A driver may plug in a
     * cache (the simulator shares one between all engines). */
    bool (*verify)(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
                   size_t len, const hansa_sig *sig);
    /* Proposer-based timestamps (CometBFT PBTS; docs/consensus.md, "Block
     * time"): true if the time inside a proposed value is close enough to
     * the receiver's clock. The engine calls it once per proposal with no
     * proof-of-lock (pol_round = -1) from another validator, at the moment
     * the proposal arrives (before it is buffered for the next height or a
     * later round), and an untimely proposal gets a nil prevote at line 22
     * — nothing else changes: a value with a proof-of-lock (line 28) was
     * already found timely by a polka. The callback reads the clock; the
     * engine does not. NULL: every proposal is timely. */
    bool (*timely)(void *ctx, const wire_proposal *p, const uint8_t *value, size_t len);
} cons_app;

typedef struct {
    uint32_t chain_id;
    cons_timeouts timeouts;
    /* Bound on buffering: votes are kept for at most this many rounds above
     * the current one, so one peer cannot make a node buffer unbounded
     * future rounds. Messages further ahead are dropped (HANSA_ERR_FULL) and
     * count for nothing, not even for the round skip of line 55. */
    uint32_t future_rounds_max;
    cons_app app;
    /* The delegate's key; NULL for a node that follows without voting. */
    const hansa_keypair *key;
    /* Test-only: break the line-29 unlock rule (prevote a POL value only if
     * lockedRound <= vr) to show the checkers catch it. Never set in hansad. */
    bool test_break_line29;
} cons_config;

/* The signer state persisted before any signature leaves the engine. */
typedef struct {
    uint64_t height;
    uint32_t round;
    uint8_t step;                   /* cons_step of the last signed message */
    bool has_signed;                /* false: nothing signed yet at height */
    uint8_t signed_kind;            /* 0 proposal, 1 vote */
    wire_proposal last_proposal;    /* if signed_kind == 0 */
    wire_vote last_vote;            /* if signed_kind == 1 */
    /* When the last message is a precommit, the prevote the engine signed
     * before it in the same height/round, so a restart can re-send both:
     * a prevote lost in flight at the crash would otherwise be gone for
     * good, and peers could wait for it forever (no 2f+1, no timeout).
     * Added to the original contract; false/zero otherwise. */
    bool has_round_prevote;
    wire_vote round_prevote;
    /* The precommit the engine signed in the latest earlier round of this
     * height, kept once it moves to a later round (version 2). A round can
     * end the instant the engine precommits (a nil-precommit quorum starts
     * the next round in the same step): if the node then crashes with that
     * precommit still in flight, peers left in the earlier round lack it and
     * wait forever while this node waits in the next (a stall the simulator
     * found, seed 3330). Re-sent after a restart like the other two. */
    bool has_prev_precommit;
    wire_vote prev_precommit;
    /* Lock and valid value survive a crash (forgetting the lock is the
     * "amnesia" fault). Rounds use WIRE_ROUND_NONE for -1. */
    uint32_t locked_round;
    hansa_hash locked_id;
    uint32_t valid_round;
    hansa_hash valid_id;
} cons_signer_state;

/* Versioned canonical encoding of the signer state (store/ adds checksums). */
void cons_signer_encode(hbuf *b, const cons_signer_state *s);
hansa_err cons_signer_decode(const uint8_t *p, size_t len, cons_signer_state *s);

typedef enum {
    CONS_OUT_PROPOSAL, /* broadcast proposal + value bytes */
    CONS_OUT_VOTE,     /* broadcast vote */
    CONS_OUT_TIMER,    /* call cons_on_timeout(kind, height, round) at deadline_ms */
    CONS_OUT_PERSIST,  /* durably store record, then call cons_on_persisted(seq) */
    CONS_OUT_DECIDE,   /* the value decided at height, with its commit certificate */
    CONS_OUT_EVIDENCE  /* duplicate-vote evidence observed */
} cons_out_kind;

typedef struct {
    cons_out_kind kind;
    union {
        struct {
            wire_proposal proposal;
            const uint8_t *value;
            size_t value_len;
        } proposal;
        wire_vote vote;
        struct {
            cons_timer_kind kind;
            uint64_t height;
            uint32_t round;
            uint64_t deadline_ms;
        } timer;
        struct {
            uint64_t seq;
            const cons_signer_state *state;
        } persist;
        struct {
            uint64_t height;
            uint32_t round;
            hansa_hash id;
            const uint8_t *value;
            size_t value_len;
            const wire_commit *commit;
        } decide;
        wire_evidence evidence;
    } u;
} cons_out;

/* Creates an engine. `restored` is the last persisted signer state or NULL
 * on first start. The engine copies what it keeps of cfg (the key too; it
 * wipes its copy in cons_free). A restored engine, at the restored height,
 * restores lock and valid round/id, starts in the restored round, re-sends
 * the restored vote on entering that round, and refuses to sign anything
 * else at or before the restored (height, round, step). It cannot re-send a
 * restored proposal unless get_value gives the same value again, and cannot
 * re-propose validValue while its bytes are unknown (only the id is
 * persisted): it then proposes nothing and the round times out. */
cons_engine *cons_new(const cons_config *cfg, const cons_signer_state *restored);
void cons_free(cons_engine *e);

/* Starts height with its validator set (copied). The first call after
 * cons_new starts the engine; later calls follow a CONS_OUT_DECIDE for
 * height-1 (the driver applies the block first and passes the next set).
 * height must grow; messages of height+1 buffered at the old height are
 * replayed against the new set. The outputs of the previous call must have
 * been drained (asserted): they point into the old height's memory. */
void cons_start_height(cons_engine *e, uint64_t height, const cons_valset *vs, uint64_t now_ms);

/* Inputs. Each returns HANSA_OK or the reason the input was ignored; an
 * ignored input never changes the engine's state. The reasons:
 *   HANSA_ERR_STATE        not started, another height (not h+1), or a
 *                          prevote/proposal after the height was decided
 *   HANSA_ERR_WRONG_CHAIN  another chain id
 *   HANSA_ERR_INVALID      vote type unknown, pol_round >= round, value
 *                          NULL with a length
 *   HANSA_ERR_NONCANONICAL nil vote with non-zero hash bytes
 *   HANSA_ERR_PROTOCOL     sender not in the set, or not proposer(h, r)
 *   HANSA_ERR_FULL         round beyond round + future_rounds_max, or the
 *                          height+1 buffer of that sender is full
 *   HANSA_ERR_TOO_LONG     value over WIRE_BLOCK_BYTES_MAX
 *   HANSA_ERR_DUPLICATE    already have this vote / a proposal for the
 *                          round / evidence against this sender for the slot
 *   HANSA_ERR_BAD_SIG      the signature does not verify
 * A vote that conflicts with the validator's first vote for the slot (its
 * second face) yields CONS_OUT_EVIDENCE (once per validator per h/r/type),
 * counts for its own block as in Alg. 1, and returns HANSA_OK; a third face
 * is dropped (HANSA_ERR_DUPLICATE) unless it is a prevote that a stored
 * proposal's proof-of-lock needs (docs/consensus.md says why). Messages of height+1 are verified and buffered
 * (HANSA_OK), at most 4 votes per validator of the current set and 4
 * proposals (one per validator). */
hansa_err cons_on_proposal(cons_engine *e, const wire_proposal *p, const uint8_t *value,
                           size_t value_len);
hansa_err cons_on_vote(cons_engine *e, const wire_vote *v);
/* Stale timeouts (another height or round, or a step the timeout no longer
 * applies to: Alg. 1 lines 58, 62, 66) are ignored. */
void cons_on_timeout(cons_engine *e, cons_timer_kind kind, uint64_t height, uint32_t round);
/* Sets the time later timer deadlines are counted from; never goes back. */
void cons_tick(cons_engine *e, uint64_t now_ms);
/* The record `seq` (and, records being written in order, every earlier one)
 * is durable: the messages signed with them are released. */
void cons_on_persisted(cons_engine *e, uint64_t seq);
/* A decided value learned from a peer (block sync): verified against the
 * current validator set (cert_commit_verify, plus height and valid()); on
 * success the engine decides it: CONS_OUT_DECIDE with a copy of c.
 * HANSA_ERR_DUPLICATE if the height is already decided. */
hansa_err cons_on_commit(cons_engine *e, const wire_commit *c, const uint8_t *value,
                         size_t value_len);

/* Outputs produced since the last call; the array and everything it points
 * to stay valid until the next call into the engine. Draining clears them. */
size_t cons_drain(cons_engine *e, const cons_out **out);

/* The engine's own released messages of the current height, current and
 * previous round (and the deciding round after a decision), for re-sending
 * after loss or to a peer that just connected. Appended as outputs, like a
 * fresh broadcast. Messages still waiting for their persist are not sent. */
void cons_rebroadcast(cons_engine *e);

/* Votes of other validators worth relaying (added to the original
 * contract). When the current round's proposal carries a proof-of-lock round
 * vr, these are the prevotes for its block in round vr that this engine
 * holds. A node that lost them (crash, partition) can otherwise never accept
 * that proposal — Alg. 1 line 28 needs them — since nobody re-sends votes of
 * a round they have left, and the locked nodes then refuse every other
 * value: the height stalls. Tendermint's gossip sends these POL prevotes; a
 * driver calls this beside cons_rebroadcast and sends each vote as it is
 * (they are signed by their validators; the `validator` field says whom).
 * Calling it on every node costs up to n votes per node per call; calling
 * it only on the round's proposer is cheaper and usually enough. Copies at
 * most max votes into out and returns how many; changes nothing. */
size_t cons_relay_votes(const cons_engine *e, wire_vote *out, size_t max);

/* Read-only view, for status, logs and the simulator's checkers. */
uint64_t cons_height(const cons_engine *e);
uint32_t cons_round(const cons_engine *e);
cons_step cons_current_step(const cons_engine *e);
bool cons_decided(const cons_engine *e); /* decided the current height */

/* After a decision at the current height: the commit certificate with every
 * precommit for the decided block this engine holds now — the decision's
 * own quorum plus the precommits that arrived later (the engine keeps
 * taking them after deciding). The driver puts this one, not the quorum of
 * the decision, in the next block's last_commit, so delegates whose
 * precommit came a moment after the quorum are not counted as absent by
 * the ledger's liveness rule. out->sigs is allocated (wire_commit_free).
 * False (and *out untouched) if the current height is not decided. */
bool cons_decided_commit(const cons_engine *e, wire_commit *out);

#endif
