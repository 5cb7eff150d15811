/* state_root.h — one hash over the whole ledger state, folded into the app
 * hash every K heights, so that a header commits to the entire state there
 * and a new node can start from a snapshot checked against that header.
 *
 * The per-block app hash (writes.h) chains write sets: it proves that two
 * nodes applied the same changes, but no single header commits to records a
 * block did not touch. At checkpoint heights it also commits to:
 *
 *   leaf(record) = u16 key_len | key | value      (key_len little-endian)
 *   state_root   = RFC 6962 Merkle root (crypto/merkle.h) over the leaves of
 *                  every record of the state after block h, in increasing
 *                  key order (the order of writes.h: memcmp, shorter first)
 *
 * and the app hash of a checkpoint height h is
 *
 *   app_hash = SHA-256(prev_app_hash | u64 h | writes_hash | state_root)
 *
 * Checkpoint heights are h > 0 with h % K == 0, K = params.checkpoint_blocks
 * (0: none). The genesis app hash already covers every genesis record.
 *
 * Cost: the state keeps every record's leaf hash, sorted (leaves.h), so a
 * root hashes the block's writes, the records changed since the last
 * checkpoint (once per node, on the commit before it) and the tree's inner
 * nodes: O(records) node hashes, no encoding or sorting of the records. `hansa bench-root` prints it; K = 256 by
 * default keeps it a small share of block time. */
#ifndef HANSA_LEDGER_STATE_ROOT_H
#define HANSA_LEDGER_STATE_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "interchain/client.h"
#include "ledger/record.h"
#include "ledger/state.h"
#include "ledger/writes.h"
#include "wire/codec.h"

#define LEDGER_CHECKPOINT_BLOCKS_DEFAULT 256

bool ledger_is_checkpoint(const ledger_params *p, uint64_t height);

/* The leaf hash of one record (key_len 1..UINT16_MAX, val_len >= 1). */
void ledger_record_leaf_hash(const uint8_t *key, size_t key_len, const uint8_t *val,
                             size_t val_len, hansa_hash *out);

/* The root over a sorted record list with no deletions (what
 * ledger_state_records gives). */
void ledger_records_root(const ledger_writes *records, hansa_hash *out);

/* The root of base's state with the sorted write set `writes` applied on
 * top (a write replaces the record of its key, an empty value deletes it):
 * the state a pending block would commit. From base's cached leaves when
 * they are current (the commit before a checkpoint refreshes them), else
 * from scratch. */
void ledger_state_root_after(const ledger_state *base, const ledger_writes *writes,
                             hansa_hash *out);

/* Brings s's cached leaves up to date with the records committed blocks
 * changed since the last refresh (leaves.h), so that the roots computed on
 * top of s hash only their own block's writes. */
void ledger_state_leaves_refresh(ledger_state *s);

/* The root of s itself. */
void ledger_state_root(const ledger_state *s, hansa_hash *out);

/* app_hash = SHA-256(prev | u64 height | writes_hash | state_root). */
void ledger_app_hash_checkpoint(const hansa_hash *prev, uint64_t height,
                                const hansa_hash *writes_hash, const hansa_hash *state_root,
                                hansa_hash *out);

/* The proof of this chain's newest FROST group key (record `59 · epoch`,
 * the largest epoch among `records`) for a light client of this chain on
 * another (interchain/client.h, ic_key_proof). records: every record of
 * the state after a state-root height h, sorted (ledger_state_records, or a
 * stored snapshot's); prev_app_hash and writes_hash: what app_hash(h) was
 * made from (a ledger_snap_info's). False if the records hold no key.
 * O(records) hashes. */
bool ledger_key_proof(const ledger_writes *records, const hansa_hash *prev_app_hash,
                      const hansa_hash *writes_hash, ic_key_proof *out);

/* What a snapshot of height h says about itself; the node stores it beside
 * the snapshot's records and `snapshot_info` serves it (docs/wire.md):
 *
 *   off size  field
 *   0   1     version = 1
 *   1   8     height h (a checkpoint height, >= 1)
 *   9   32    app_hash(h)
 *   41  32    app_hash(h-1)
 *   73  32    writes_hash(h)
 *   105 32    state_root(h)
 *   137 8     records (>= 1)
 *   145 8     bytes: the sum of the records' key and value lengths
 *
 * Nothing in it is trusted by a joining node until
 * ledger_snap_info_consistent holds and app_hash(h) is a verified header's. */
#define LEDGER_SNAP_INFO_BYTES 153

typedef struct {
    uint64_t height;
    hansa_hash app_hash, prev_app_hash, writes_hash, state_root;
    uint64_t records, bytes;
} ledger_snap_info;

void ledger_snap_info_encode(hbuf *b, const ledger_snap_info *in);
/* HANSA_ERR_TRUNCATED / TRAILING / VERSION, or INVALID for height 0 or no
 * records; *out zeroed on error and r (optional) says where. */
hansa_err ledger_snap_info_decode(const uint8_t *p, size_t len, ledger_snap_info *out, wire_rd *r);
/* True if app_hash = SHA-256(prev_app_hash | u64 height | writes_hash |
 * state_root): the checkpoint app hash of its own fields. */
bool ledger_snap_info_consistent(const ledger_snap_info *in);

#endif
