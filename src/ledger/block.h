/* block.h — applying a block: a pending overlay over the committed state.
 *
 * A ledger_block is the state a block would produce, kept as an overlay: a
 * small hash map of the accounts the block touched plus its own copies of
 * the counters, read through to the committed state for everything else.
 * Nothing is copied per block, so a block of 10,000 transfers costs what its
 * transactions touch. Validating a proposal builds a pending block and
 * either commits it (ledger_block_commit merges the overlay) or frees it;
 * several pending blocks over one state may exist at once (one per proposal
 * seen), and only one of them is ever committed.
 *
 * Block validity rule: a block is valid only if every one of its
 * transactions passes its checks (tx.h) against the state left by the ones
 * before it. A block with one failing transaction is INVALID as a whole —
 * validators prevote nil and the mempool keeps its transactions. There is no
 * "skip it and charge the fee": a proposer is expected to build blocks from
 * transactions it checked against its own pending block, so a failing
 * transaction in a proposal is the proposer's fault, not the sender's.
 *
 * Life of a pending block:
 *   ledger_block_begin         height == state height + 1, time after the last
 *   ledger_block_add_tx  x n   each tx checked, then applied (or refused and
 *                              the block left unchanged: a builder skips it)
 *   ledger_block_finish        credits the proposer, adds the burn, writes the
 *                              meta record, sorts the write set, computes
 *                              app_hash = SHA-256(prev | u64 height | writes_hash)
 *                              (| state_root at checkpoint heights, state_root.h)
 *   ledger_block_commit / ledger_block_free
 * ledger_apply_block runs the first three over a block's encoded
 * transactions. */
#ifndef HANSA_LEDGER_BLOCK_H
#define HANSA_LEDGER_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ledger/acct_map.h"
#include "ledger/kvmap.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/state.h"
#include "ledger/writes.h"
#include "wire/types.h"

/* One duplicate-vote offence from the block's evidence list, verified by
 * the node (signatures, same height/round/type, different blocks) before
 * the ledger sees it; the ledger checks the offender, age and repeats. */
typedef struct {
    hansa_hash hash;       /* wire_evidence_hash: the offence's identity */
    hansa_pubkey offender;
    uint64_t height;       /* height of the two votes */
} ledger_evidence;

/* What the ledger needs from the header and body. Arrays are borrowed for
 * the call to ledger_block_begin / ledger_apply_block only. */
typedef struct {
    uint64_t height;
    uint64_t time_ms;      /* must be > the previous block's (genesis time at 1) */
    hansa_pubkey proposer; /* receives the rounding remainder of the rewards */
    /* Who signed the block's last_commit (the commit of height-1): indices
     * into the prev set (ledger_state_valset), strictly increasing. Empty
     * at height 1. */
    const uint16_t *signers;
    uint16_t n_signers;
    const ledger_evidence *evidence; /* <= WIRE_BLOCK_EVIDENCE_MAX */
    uint16_t n_evidence;
    /* The tx root of block height-1 (ignored at height 1): kept for
     * receipt claims' proofs (tx_receipt.h). */
    hansa_hash prev_tx_root;
} ledger_block_info;

/* The last addresses hashed in a block (ledger_block.addr_memo). */
#define LEDGER_BLOCK_ADDR_MEMO 4

typedef struct {
    struct {
        hansa_addr addr;
        uint64_t h;
    } e[LEDGER_BLOCK_ADDR_MEMO];
    uint8_t n, next;
} ledger_addr_memo;

/* The fields belong to the ledger. */
typedef struct ledger_block ledger_block;
struct ledger_block {
    const ledger_state *base;
    uint64_t base_height;   /* base's height when begun: commit checks it */
    ledger_block_info info;
    acct_map touched;       /* accounts this block changed, full new values */
    ledger_supply supply;   /* counters after the txs so far */
    uint64_t proposer_fees; /* unburned fees: shared with the reward at finish */
    kvmap tabs[LEDGER_TAB_COUNT_]; /* delegate records this block changed */
    ledger_valsets sets;    /* the sets after this block (set at finish) */
    bool reelect;           /* a jailing or slashing asks for an election now */
    bool signed_by[WIRE_VALIDATORS_MAX]; /* prev-set members in the last commit */
    uint16_t n_signed;
    uint32_t n_txs;
    bool finished;
    bool check_only;        /* a mempool's check state: no tx limit, never finished */
    ledger_writes writes;   /* after finish */
    hansa_hash writes_hash; /* after finish */
    hansa_hash app_hash;    /* after finish */
    bool checkpoint;        /* after finish: a checkpoint height (state_root.h) */
    hansa_hash state_root;  /* after finish, at a checkpoint: the state's root */
    /* The last addresses hashed for the account tables (ledger_block_account):
     * a transfer reads and writes its sender and recipient ~8 times between
     * its check and its application, each a SipHash of the same 20 bytes.
     * Reached through a pointer to the block's own addr_memo_store because
     * reads take a const block (the tx kinds' checks) and still fill the
     * memo: a block is read from one thread only. */
    ledger_addr_memo *addr_memo;
    ledger_addr_memo addr_memo_store;
};

/* Starts a pending block over s (which must outlive it and not change
 * until it is committed or freed). Returns HANSA_ERR_INVALID with why if the
 * height is not s's height + 1, the time is not after the last block's, the
 * signer indices are out of order or range, or an evidence item is refused
 * (docs/delegates.md: unknown offender, from the future, older than
 * evidence_age_max, already punished, or twice in the block); *out is then
 * NULL. Evidence is punished and liveness recorded here, before the
 * transactions. */
hansa_err ledger_block_begin(const ledger_state *s, const ledger_block_info *info,
                             ledger_block **out, char *why, size_t why_len);

/* Starts a mempool check state over s: a pending block that accepts any
 * number of transactions, so a sender's queued transactions (nonces n, n+1,
 * ...) and their spending are checked in sequence. It is never finished or
 * committed; after each commit the node frees it and starts a new one over
 * the new state (re-adding the transactions it keeps). The proposer's fee
 * share is not credited in it. */
ledger_block *ledger_block_begin_check(const ledger_state *s);

/* Checks tx against the pending state and applies it. sig_verified: the
 * caller already verified tx's signature (ledger_tx_verify_sig), so it is
 * not verified again. Returns HANSA_OK, the check's error (tx.h), or
 * HANSA_ERR_FULL past params.max_block_txs; on error the block is unchanged
 * and why says what. tx is not kept. */
hansa_err ledger_block_add_tx(ledger_block *b, const wire_tx *tx, bool sig_verified, char *why,
                              size_t why_len);

/* Seals the block: no more transactions. Pays rewards, releases due
 * unbonding entries, tallies upgrade votes, runs an election if due and
 * moves the validator sets (docs/delegates.md). Idempotent. */
void ledger_block_finish(ledger_block *b);

/* After finish: the sorted write set and the new app hash, borrowed from b. */
const ledger_writes *ledger_block_writes(const ledger_block *b);
const hansa_hash *ledger_block_app_hash(const ledger_block *b);
/* After finish: the writes hash, and whether the height is a checkpoint
 * (then *state_root is the root the app hash folded in). */
const hansa_hash *ledger_block_writes_hash(const ledger_block *b);
bool ledger_block_state_root(const ledger_block *b, hansa_hash *state_root);

/* Reads addr through the overlay; false (and {0,0}) if it does not exist. */
bool ledger_block_account(const ledger_block *b, const hansa_addr *addr, ledger_account *out);
/* Sets addr's account in the overlay (for the transaction kinds). */
void ledger_block_account_put(ledger_block *b, const hansa_addr *addr, const ledger_account *a);

/* Makes a finished block the state: s becomes the state at b's height with
 * b's app hash. b must have been begun over s at s's current height (else
 * HANSA_ASSERT: committing a stale proposal is a node bug). Frees b. */
void ledger_block_commit(ledger_state *s, ledger_block *b);

/* Discards a pending block (finished or not); NULL is fine. */
void ledger_block_free(ledger_block *b);

/* What ledger_apply_block says about a block. */
typedef struct {
    hansa_err err;          /* HANSA_OK: every transaction applied */
    uint32_t failed_index;  /* err from a transaction: its index; the ones
                             * before it passed, the ones after were not tried */
    bool tx_failed;         /* err came from transaction failed_index */
    char why[LEDGER_WHY_MAX];
} ledger_block_result;

/* Executes a whole block against s: begin, then for each encoded
 * transaction decode (wire_tx_decode), check and apply, then finish.
 * sig_verified (NULL = none) flags the transactions whose signatures this
 * node already verified; the others are verified here. A block with more
 * than params.max_block_txs transactions is refused (HANSA_ERR_TOO_LONG).
 * On HANSA_OK, *out is the finished pending block: compare its app hash
 * with the header's (ledger_app_hash_check), then ledger_block_commit or
 * ledger_block_free it. On error *out is NULL and res says which
 * transaction failed and why; the state is untouched either way. */
hansa_err ledger_apply_block(const ledger_state *s, const ledger_block_info *info,
                             const wire_bytes *txs, uint32_t n_txs, const bool *sig_verified,
                             ledger_block **out, ledger_block_result *res);

/* Compares the app hash this node computed for height with the one the
 * chain committed. HANSA_OK if equal; otherwise HANSA_ERR_APP_HASH with why
 * naming the height and both hashes. A node that gets this must stop: its
 * state has diverged from the chain's and any further vote would be wrong. */
hansa_err ledger_app_hash_check(uint64_t height, const hansa_hash *computed,
                                const hansa_hash *committed, char *why, size_t why_len);

#endif
