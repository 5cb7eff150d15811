/* client.h — the light client of a foreign chain: the rules, sans-I/O.
 *
 * A chain keeps one light client per foreign chain it trades with. The
 * client believes a foreign header only when a commit certificate proves it
 * against validator sets it already trusts — never because some node says
 * so. These rules run inside the state transition (ledger/ calls them from
 * the client transaction kinds), so every delegate of the verifying chain
 * reaches the same verdict: nothing here reads a clock (time is the
 * verifying chain's BFT time, handed in), draws randomness or does I/O.
 * docs/interchain.md states every rule with its reason.
 *
 * The model is CometBFT's light client (light/verifier.go) and ibc-go's
 * 07-tendermint client:
 *   - adjacent ("sequential") verification: header h+1 over trusted h needs
 *     h+1's validators_hash == trusted next_validators_hash and more than
 *     2/3 of that set's power in the commit;
 *   - skipping verification: header H > h+1 needs more than 1/3 (the trust
 *     level) of the trusted next set's power among the commit's signers, AND
 *     more than 2/3 of H's own set;
 *   - a trusted header is usable for trusting_period after its own time,
 *     measured in the verifying chain's BFT time; a new header may be at
 *     most max_clock_drift ahead of that time;
 *   - what is kept per verified height is only what later proofs need
 *     (ic_consensus), in a bounded history (IC_HISTORY_MAX) that drops
 *     expired and oldest entries;
 *   - misbehaviour — two valid commits for different headers at one height,
 *     or headers whose times do not grow with their heights — freezes the
 *     client and yields the duplicate votes of everyone who signed both
 *     commits in one round, evidence the offending chain slashes with.
 *
 * A header's proof has one of two kinds, and ic_verify dispatches on it:
 *   - IC_CERT_COMMIT: the per-delegate precommits above;
 *   - IC_CERT_FROST: one FROST signature of the chain's group key over a
 *     checkpoint of the header (wire/checkpoint.h), with the handoffs that
 *     lead from the group key the trusted state names to the checkpoint's.
 *     A client learns a group key from its trust root (approved by stake
 *     like the rest of it), by handoffs, or from a commit update that
 *     carries a state proof of the chain's key record (ic_key_proof):
 *     never from a checkpoint or a node that presents one (no trust on
 *     first use).
 * Nothing above ic_verify depends on the kind, except which group key the
 * new consensus state carries (ic_consensus_after). */
#ifndef HANSA_INTERCHAIN_CLIENT_H
#define HANSA_INTERCHAIN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/merkle.h"
#include "interchain/cert.h"
#include "wire/group_rec.h"
#include "wire/checkpoint.h"
#include "wire/types.h"

#define IC_HISTORY_MAX 128 /* verified heights kept per client: packet proofs need one per source block with packets */
/* Trust level of skipping verification: more than 1/3 of the trusted set
 * (CometBFT's default, the least that guarantees one honest signer). */
#define IC_TRUST_NUM 1
#define IC_TRUST_DEN 3
#define IC_TRUSTING_PERIOD_MIN_MS 1000ull
#define IC_TRUSTING_PERIOD_MAX_MS (10ull * 366 * 24 * 3600 * 1000) /* ten years */
#define IC_WHY_MAX 192
/* Handoffs one FROST update may carry: one per key change of the foreign
 * chain since the trusted state's key. A relayer that is further behind
 * sends several updates, each ending at a checkpoint of an intermediate key. */
#define IC_FROST_HANDOFFS_MAX 16

/* What the client keeps of one verified foreign header. */
typedef struct {
    uint64_t height;
    uint64_t time_ms;              /* the foreign chain's BFT time of that block */
    hansa_hash header_hash;        /* its block id; zero for a genesis trust root */
    hansa_hash app_hash;           /* state after that block (proofs of state) */
    hansa_hash tx_root;            /* its transactions (proofs of packets) */
    hansa_hash validators_hash;
    hansa_hash next_validators_hash;
    uint64_t local_height;         /* verifying chain's height when it was stored */
    uint64_t local_time_ms;        /* ... and that block's time */
    /* The foreign chain's FROST group key this state trusts: the identity
     * (all zero, never a valid key) when it trusts none. Set by the trust
     * root, moved only by the handoffs of a FROST update, carried unchanged
     * by a commit update (which does not show which key is current). */
    uint64_t key_epoch;            /* the key's epoch (its set's activation height) */
    frost_point group_key;
    /* The foreign time at which the key was last shown current (the trust
     * root's time, or the time of the last header it signed): the key
     * vouches for nothing once trusting_period_ms has passed since then, as
     * a header does, so a commit update that carries an old key forward
     * does not stretch the trust in the group that held it. */
    uint64_t key_time_ms;
} ic_consensus;

/* Chosen when the client is registered; never change. */
typedef struct {
    uint32_t chain_id;             /* the foreign chain */
    uint64_t trusting_period_ms;   /* IC_TRUSTING_PERIOD_MIN_MS..MAX_MS */
    uint64_t max_clock_drift_ms;   /* <= trusting_period_ms */
} ic_params;

typedef enum {
    IC_STATUS_PENDING = 1, /* registered, waiting for approval by bonded stake */
    IC_STATUS_ACTIVE = 2,  /* follows the chain (or expired: see ic_client_expired) */
    IC_STATUS_FROZEN = 3,  /* misbehaviour seen: refuses every update until revived */
} ic_status;

typedef enum {
    IC_FREEZE_NONE = 0,
    IC_FREEZE_CONFLICT = 1, /* two valid headers at one height */
    IC_FREEZE_TIME = 2,     /* valid headers whose times do not grow with height */
} ic_freeze_reason;

typedef struct {
    ic_params params;
    uint8_t status;             /* ic_status */
    uint8_t freeze_reason;      /* ic_freeze_reason; NONE unless frozen */
    uint64_t frozen_height;     /* foreign height of the misbehaviour; 0 unless frozen */
    uint64_t since;             /* local height of the last status change */
    hansa_hash root_hash;       /* what approvals vote for: ic_create_hash */
    uint16_t n_heights;         /* 1..IC_HISTORY_MAX */
    uint64_t heights[IC_HISTORY_MAX]; /* stored consensus heights, increasing */
} ic_client;

/* Registration: the parameters and the trust root, the one header taken on
 * faith (approved by stake, or written in the genesis). Only the consensus
 * fields of root are used; its local_* are set when it is stored. */
typedef struct {
    ic_params params;
    ic_consensus root;
} ic_create;

/* The foreign chain's key record (`59 · epoch`, threshold/group_rec.h)
 * proven against the app hash of the header a commit update proves. The
 * header at a state-root height h commits to the whole state after block h
 * (docs/ledger.md "State root at checkpoint heights"):
 *   app_hash(h) = SHA-256(prev_app_hash | u64 h | writes_hash | state_root)
 * and the record is a leaf of state_root (RFC 6962 audit path). A header of
 * another height has no state root: its app hash is a 72-byte preimage, so
 * no proof leads to it. */
typedef struct {
    uint64_t epoch;             /* the record's key: 59 | epoch u64 BE */
    frost_group_rec rec;        /* its value */
    hansa_hash prev_app_hash;   /* app_hash(h-1) */
    hansa_hash writes_hash;     /* writes_hash(h) */
    hansa_hash state_root;      /* state_root(h) */
    uint64_t leaf_index;        /* the record's place among the state's records */
    uint64_t n_leaves;          /* the state's records */
    uint8_t path_len;           /* 0..MERKLE_PROOF_MAX */
    hansa_hash path[MERKLE_PROOF_MAX];
} ic_key_proof;

typedef enum {
    IC_CERT_COMMIT = 1, /* precommits of more than 2/3 of the header's set */
    IC_CERT_FROST = 2,  /* a FROST checkpoint of the header under the chain's group key */
} ic_cert_kind;

/* A foreign header and what proves it. Decoded objects own their arrays
 * (ic_update_free). */
typedef struct {
    uint64_t trusted_height;   /* the stored height it is verified from */
    wire_header header;
    uint8_t cert_kind;         /* ic_cert_kind */
    /* IC_CERT_COMMIT */
    wire_commit commit;        /* precommits for header */
    wire_valset vals;          /* the set that signed: hashes to validators_hash */
    bool has_trusted_vals;     /* skipping: the trusted height's next set */
    wire_valset trusted_vals;
    /* Optional: the chain's key record, learned by a client that trusts
     * the header (docs/interchain.md "Learning a key by proof"). */
    bool has_key_proof;
    ic_key_proof key_proof;
    /* IC_CERT_FROST */
    checkpoint ckpt;           /* the group's signature on header's hash at its height */
    uint8_t n_handoffs;        /* 0..IC_FROST_HANDOFFS_MAX */
    handoff handoffs[IC_FROST_HANDOFFS_MAX]; /* from the trusted key's epoch to ckpt's, in order */
} ic_update;

void ic_update_free(ic_update *u);

/* Checks parameters: trusting period in range, drift at most the period.
 * HANSA_ERR_INVALID with why (optional). */
hansa_err ic_params_check(const ic_params *p, char *why, size_t why_len);
/* Checks parameters and trust root: ic_params_check, validator hashes
 * non-zero, and a group key, if named, current as of the root's time (a
 * keyless root has zero key_epoch and key_time_ms). HANSA_ERR_INVALID with
 * why (optional). */
hansa_err ic_create_check(const ic_create *c, char *why, size_t why_len);

/* True when cs trusts no group key (its key is the identity's encoding,
 * all zero, which no group key decodes to). */
bool ic_consensus_keyless(const ic_consensus *cs);

/* The consensus fields of a header (local_* zero, no group key). */
void ic_consensus_of_header(const wire_header *h, ic_consensus *out);
/* The consensus state u leaves once verified from trusted (local_* zero):
 * the header's fields and the group key: the checkpoint's key, current as
 * of the header's time, after a FROST update; after a commit update the
 * proven key, current as of the header's time, if it carries a key proof,
 * else trusted's, unchanged. */
void ic_consensus_after(const ic_consensus *trusted, const ic_update *u, ic_consensus *out);

/* True when the trusted state cs may no longer vouch for anything at
 * now_ms: cs.time + trusting_period <= now. */
bool ic_consensus_expired(const ic_params *p, const ic_consensus *cs, uint64_t now_ms);

/* The core rule: is u's header proven from the trusted state? now_ms is the
 * verifying chain's BFT time. check_expiry false only for revival
 * (docs/interchain.md, "Revival"). vf: NULL = verify every signature here
 * (in one parallel batch); a caller that already verified this update's
 * signatures on the same state may pass a verifier that says yes.
 * A FROST update (IC_CERT_FROST) passes the same header rules, then the
 * FROST rules (docs/interchain.md, "FROST checkpoints"): the trusted state
 * names a group key, not expired; each handoff starts at the key reached so
 * far and is signed by it; the checkpoint is of this header, under the key
 * reached, of an epoch not after its height, and its signature verifies.
 * Each refusal has its own code and a why naming the rule:
 *   HANSA_ERR_WRONG_CHAIN  header or commit of another chain
 *   HANSA_ERR_INVALID      not above the trusted height or time; from the
 *                          future (past now + max_clock_drift); a set that
 *                          does not hash to what the header/trust says; a
 *                          commit for another block or height; an unknown
 *                          certificate kind; a trusted set where none is
 *                          wanted or none where one is needed; a broken
 *                          chain link (prev_block) at adjacent heights;
 *                          FROST: a checkpoint of another header or of an
 *                          epoch after its height, commit parts in a FROST
 *                          update, more than IC_FROST_HANDOFFS_MAX handoffs;
 *                          key proof: a record that cannot be in the
 *                          state after the header's height
 *   HANSA_ERR_PROOF        key proof: the state root does not make the
 *                          header's app hash, or the record's path does not
 *                          lead to the state root
 *   HANSA_ERR_STATE        the trusted state is expired; FROST: it names
 *                          no group key or its key expired, a handoff does
 *                          not start at the key reached (replayed, out of
 *                          order, from another key), or the checkpoint is
 *                          under another key than the one reached; key
 *                          proof: the key of a set other than the header's
 *                          (a stale epoch), older than the trusted key, or
 *                          another key for the trusted epoch
 *   HANSA_ERR_QUORUM       not more than 1/3 of the trusted set signed, or
 *                          not more than 2/3 of the header's own set
 *   HANSA_ERR_BAD_SIG      a forged signature (why gives its index); FROST:
 *                          a handoff or checkpoint signature that does not
 *                          verify for this chain
 *   HANSA_ERR_NONCANONICAL the commit's shape (unsorted indices) */
hansa_err ic_verify(const ic_params *p, const ic_consensus *trusted, const ic_update *u,
                    uint64_t now_ms, bool check_expiry, const cert_verifier *vf, char *why,
                    size_t why_len);

/* ---- the client's bookkeeping: plans the ledger carries out --------------- */

/* How the rules read stored consensus states of the client being judged:
 * get() fills *out and returns true if height is stored. */
typedef struct {
    void *ctx;
    bool (*get)(void *ctx, uint64_t height, ic_consensus *out);
} ic_view;

/* What an accepted update, misbehaviour or revival does. The caller writes
 * `client` back, stores `put` (if has_put) under its height, deletes each
 * of `del`, and stores `evidence` (if n_evidence > 0 or frozen_now). */
typedef struct {
    ic_client client;
    bool has_put;
    ic_consensus put;
    uint16_t n_del;
    uint64_t del[IC_HISTORY_MAX + 1];
    bool frozen_now;                 /* this plan froze the client */
    uint16_t n_evidence;
    wire_evidence evidence[WIRE_VALIDATORS_MAX]; /* sorted by offender, one each */
} ic_plan;

/* An update. The client must be active and not expired as of now_ms, the
 * trusted height stored. A header already stored with the same hash is
 * HANSA_ERR_DUPLICATE. A valid header that conflicts with a stored one at
 * its height, or whose time does not fit between its stored neighbours'
 * times, freezes the client (HANSA_OK, plan->frozen_now, no evidence: the
 * stored header's commit is not kept; a misbehaviour transaction with both
 * commits yields the evidence). Otherwise the header is added and the
 * history pruned: consensus states expired at now_ms go (never the latest),
 * then the lowest ones beyond IC_HISTORY_MAX. local_height/local_time_ms
 * stamp the new state. */
hansa_err ic_client_update(const ic_client *c, const ic_view *v, const ic_update *u,
                           uint64_t now_ms, uint64_t local_height, const cert_verifier *vf,
                           ic_plan *plan, char *why, size_t why_len);

/* Misbehaviour: two updates, each verified from a stored, unexpired trusted
 * state, that conflict (same height, different headers) or break time
 * monotonicity (the higher one not later). Freezes the client (it must be
 * active, not already frozen) and collects duplicate-vote evidence: for
 * every validator whose precommits are in both commits at the same round,
 * the pair as wire_evidence of the foreign chain. Commits of different
 * rounds yield none (an amnesia attack is not attributable to one vote
 * pair). HANSA_ERR_INVALID when the two are not misbehaviour. */
hansa_err ic_client_misbehaviour(const ic_client *c, const ic_view *v, const ic_update *a,
                                 const ic_update *b, uint64_t now_ms, uint64_t local_height,
                                 const cert_verifier *vf, ic_plan *plan, char *why,
                                 size_t why_len);

/* True when an active client's latest state is expired at now_ms. */
bool ic_client_expired(const ic_client *c, const ic_view *v, uint64_t now_ms);

/* Revival (docs/interchain.md): a client that is expired or frozen may be
 * given a new trusted header, proven from its LATEST trusted state with
 * every rule of ic_verify except the trusting period, and then approved by
 * more than 2/3 of bonded stake. This checks the proof and returns the
 * consensus state to approve. HANSA_ERR_STATE if the client is neither
 * expired nor frozen; HANSA_ERR_INVALID if u is not from the latest
 * height, or its header is itself expired at now_ms (a revived client must
 * be able to go on). */
hansa_err ic_client_revive_check(const ic_client *c, const ic_view *v, const ic_update *u,
                                 uint64_t now_ms, const cert_verifier *vf, ic_consensus *out,
                                 char *why, size_t why_len);

/* Installs an approved revival: the history becomes that one state, the
 * client active again; every old height is in plan->del. */
void ic_client_revive_plan(const ic_client *c, const ic_consensus *cs, uint64_t local_height,
                           uint64_t local_time_ms, ic_plan *plan);

/* The latest stored height (the client's trusted height). */
uint64_t ic_client_latest(const ic_client *c);

const char *ic_status_name(ic_status s);
const char *ic_freeze_reason_name(ic_freeze_reason r);

#endif
