/* leaves.h — the state root's leaf hashes, kept sorted between checkpoints.
 *
 * The checkpoint state root (state_root.h) is an RFC 6962 root over every
 * record of the state in key order. Computed from scratch it encodes all the
 * records, sorts them and hashes each one, on every node, at every
 * checkpoint, although a block changes a handful of records (in the
 * simulator ~860 records, 832 of them the receipts' kept tx roots, of which
 * one enters and one leaves per height; ~11 writes per block). This cache
 * keeps the sorted keys with their leaf hashes as of its last refresh, and
 * the keys written since. A commit only notes its keys; a refresh (on the
 * commit before a checkpoint) sorts the noted keys, hashes each one's
 * current record once, and merges them into the array in one pass. A root
 * then merges the array with the pending block's writes. The root's value
 * is unchanged: the same tree over the same leaves (the unit test and debug
 * builds compare it with the from-scratch root).
 *
 * Entries are inline and the array is rebuilt by each refresh: noting keys
 * per commit costs a copy of ~11 keys, where keeping the array current at
 * every commit cost a binary search per write and a move of the array's
 * tail per record entering or leaving (each tx root leaving moved the 832
 * after it). */
#ifndef HANSA_LEDGER_LEAVES_H
#define HANSA_LEDGER_LEAVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "ledger/record.h"
#include "ledger/writes.h"

typedef struct {
    uint8_t key[LEDGER_KEY_MAX_BYTES];
    uint8_t klen;
    hansa_hash leaf; /* ledger_record_leaf_hash of the record */
} ledger_leaf;

/* The root of a run of LEDGER_LEAF_CHUNK leaves a root hashed before (a
 * perfect subtree, aligned in the tree), kept with the leaves so that a hit
 * is exact. Between two checkpoints K heights apart the receipts' tx roots
 * move K places (one enters and one leaves per height), so with K a
 * multiple of 32 the runs of 32 roots reappear whole, aligned again, and
 * their 31 inner nodes each are not hashed again: ~830 of ~860 inner nodes
 * of the simulator's state. */
#define LEDGER_LEAF_CHUNK_HEIGHT 5
#define LEDGER_LEAF_CHUNK (1u << LEDGER_LEAF_CHUNK_HEIGHT)
#define LEDGER_LEAF_MEMO_SLOTS 128 /* ~135 KB a chain; a root over n records uses n / 32 */
#define LEDGER_LEAF_MEMO_WAYS 4    /* a run may sit in any slot of its set of 4 */

typedef struct {
    uint64_t used_at; /* ledger_leaf_memo.clock when last hit or filled; 0: empty */
    hansa_hash leaves[LEDGER_LEAF_CHUNK];
    hansa_hash root;
} ledger_leaf_chunk;

/* LEDGER_LEAF_MEMO_SLOTS slots for each chain whose states use it: one
 * for a state's own, as many as the simulator runs for the shared one. */
typedef struct {
    uint64_t clock;
    size_t n_sets; /* of LEDGER_LEAF_MEMO_WAYS slots */
    ledger_leaf_chunk slot[];
} ledger_leaf_memo;

typedef struct {
    uint32_t off; /* into ledger_leaves.noted_keys */
    uint8_t len;
} ledger_leaf_note;

typedef struct {
    ledger_leaf *e, *spare; /* owned; e: n entries in increasing key order (writes.h) */
    size_t n, cap;
    hbuf noted_keys;        /* keys written since the last refresh, any order, repeats allowed */
    ledger_leaf_note *notes; /* owned, n_notes of them */
    size_t n_notes, cap_notes;
    /* The noted keys as a set (open addressing; a note's position + 1, 0
     * empty; owned), so a key is noted once however many commits write it
     * before the refresh: an account written by every block was noted 32
     * times per checkpoint, and sorting the repeats was ~2.5% of a
     * simulator run. Keyed by SipHash under (k0, k1), derived from the
     * state's secret (state.c, "leaves"), since the keys (addresses) are
     * anyone's to choose. */
    uint32_t *note_set;
    size_t cap_set;
    uint64_t k0, k1;
    bool built;              /* false until ledger_leaves_build */
    bool refreshed;          /* a refresh made it a memo's user (a state built for one root is not) */
    /* Owned; NULL until the first refresh without a shared memo (a state
     * built for one root keeps none, nor one using the shared memo).
     * ledger_leaves_root_after fills it through a const c: it is a cache of
     * hashes, which never changes a result, and the ledger runs on one
     * thread (block.c). */
    ledger_leaf_memo *memo;
} ledger_leaves;

/* Appends the current value of the record `key` to out and returns true, or
 * returns false if there is no such record: how a noted key is hashed. */
typedef bool (*ledger_leaves_value_fn)(const void *ctx, const uint8_t *key, size_t klen,
                                       hbuf *out);

void ledger_leaves_free(ledger_leaves *c);

/* The SipHash key of the noted keys' set (16 secret bytes as two words);
 * kept by ledger_leaves_free. Zero until set. */
void ledger_leaves_set_key(ledger_leaves *c, uint64_t k0, uint64_t k1);

/* Replaces c's contents with the leaves of `records`: a whole state, sorted,
 * no deletions (what ledger_state_records gives). */
void ledger_leaves_build(ledger_leaves *c, const ledger_writes *records);

/* Notes that the record of key was written or deleted (once per key until
 * the next refresh). Hashes no leaf. */
void ledger_leaves_note(ledger_leaves *c, const uint8_t *key, size_t klen);
/* Notes every key of a committed write set. */
void ledger_leaves_note_writes(ledger_leaves *c, const ledger_writes *writes);

/* True if no key was noted since the last build or refresh. */
bool ledger_leaves_current(const ledger_leaves *c);
/* True once the noted keys outnumber the leaves and LEDGER_LEAF_NOTES_MAX:
 * the commit path refreshes then, so the notes stay bounded on a chain with
 * no checkpoints or far apart ones (a refresh costs about what the notes do). */
#define LEDGER_LEAF_NOTES_MAX 4096
bool ledger_leaves_notes_full(const ledger_leaves *c);

/* Brings the entries of the noted keys up to date with the values `value`
 * gives (a key without a record leaves the array). */
void ledger_leaves_refresh(ledger_leaves *c, ledger_leaves_value_fn value, const void *ctx);

/* With chains > 0, every refreshed ledger_leaves of the calling thread
 * uses one memo of runs shared by all of them instead of its own (and
 * allocates none), sized for that many chains' states, and
 * ledger_leaves_root_after keeps what its last roots were made of (the
 * runs' roots and the other leaves, in full; one root for each chain)
 * with the roots and answers the same again from them; 0 frees all of it.
 * A hit compares its whole key (a run's 32 leaves, a root's runs and
 * leaves), so every root is as before; debug builds recompute each hit.
 * For the simulator, whose nodes compute the roots of the same states
 * (sim_run); hansad keeps one state and leaves it off. */
void ledger_leaf_memo_share(size_t chains);
/* The chains the shared memo is sized for: 0 when off. */
size_t ledger_leaf_memo_shared(void);

/* The state root over c's records with the sorted write set `writes` on top
 * (state_root.h); c must be current. Hashes only the written records' leaves
 * and the tree's inner nodes, except those of runs of leaves in c's memo. */
void ledger_leaves_root_after(const ledger_leaves *c, const ledger_writes *writes,
                              hansa_hash *out);

#endif
