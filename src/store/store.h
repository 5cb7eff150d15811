/* store.h — hansa's persistent storage: blocks, commits, state, signer state, WAL.
 *
 * One LMDB environment per node in one directory, with eleven named
 * databases (docs/storage.md has every key and record layout):
 *
 *   blocks       height (u64 big-endian) -> block hash || block bytes
 *   block_index  block hash (32)          -> height
 *   commits      height (u64 big-endian) -> commit certificate bytes
 *   state        ledger key (1..511 B)    -> ledger value bytes
 *   meta         "tip"                    -> last height, app hash, block hash
 *   signer       "signer"                 -> consensus signer state bytes
 *   wal          height BE || seq BE      -> consensus WAL record
 *   tx_index     tx hash (32)             -> height u64 LE || index u32 LE
 *   tx_log       height (u64 big-endian)  -> that block's tx hash || index
 *                                            u32 LE entries, until
 *                                            store_index_step moves them
 *                                            into tx_index
 *   valsets      validator set hash (32)  -> the encoded set (every set the
 *                                            chain ever used: light clients of
 *                                            this chain ask for old ones)
 *   receipts     tx hash (32)             -> a receipt guarantee (node/receipts.h)
 *
 * The store deals in bytes: it does not decode blocks, commits or signer
 * states; the layers above own their encodings. Every value carries a
 * versioned, checksummed header (store/record.h) that is checked on every
 * read: damage is reported as HANSA_ERR_CORRUPT, never used.
 *
 * Durability: every write call is one LMDB transaction, committed in LMDB's
 * default (synchronous) mode before the call returns, except where its
 * comment says otherwise (block commits and index steps flush once,
 * MDB_NOMETASYNC; the two lazy calls wait in memory for the next commit).
 * When a synchronous write returns HANSA_OK its effect survives kill -9 at
 * any later instant and, on a disk that honours flushes, power loss. "commit block H" is one transaction for
 * block, index, commit certificate, state writes, tip and WAL truncation, so
 * after a crash either all of it is there or none of it is.
 *
 * Threads: a store is used by one thread at a time (the node's loop, or
 * callers that serialise with their own mutex). No LMDB transaction outlives
 * a call, which is why MDB_NOTLS is not needed and why the map can be grown
 * in place. Iteration is by callback; the callback must not call the store.
 *
 * Errors: each failing call leaves a one-line message in store_errmsg()
 * naming the database, the key and what was wrong; LMDB failures are also
 * logged with mdb_strerror's text. After a fatal error (I/O failure, a failed
 * commit, corruption, LMDB panic) the store refuses every further write with
 * HANSA_ERR_STATE; the node should stop and the operator look at the disk.
 * Reads keep working as far as LMDB allows. */
#ifndef HANSA_STORE_STORE_H
#define HANSA_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"

/* Ledger keys: LMDB's default maximum key size. */
#define STORE_KEY_BYTES_MAX 511
/* State writes in one commit batch (10,000 txs touch far fewer). */
#define STORE_BATCH_WRITES_MAX (1u << 20)
/* Default map size: address space reserved, not disk used (the file grows
 * as pages are written), so a large value costs nothing on 64-bit. */
#define STORE_MAP_BYTES_DEFAULT (sizeof(size_t) >= 8 ? ((size_t)64 << 30) : ((size_t)1 << 30))

typedef struct store store;
typedef struct store_batch store_batch;

typedef struct {
    /* LMDB map size in bytes at open; 0 = STORE_MAP_BYTES_DEFAULT. A value
     * below the data already stored is raised to it by LMDB. */
    size_t map_size_bytes;
    /* When a write finds the map full, the map is doubled (up to this many
     * bytes) and the write retried; 0 = no cap beyond the address space.
     * At the cap the write fails with HANSA_ERR_FULL and nothing is written. */
    size_t map_size_bytes_max;
    /* Opens an existing store without changing it: nothing is created, and
     * every write call fails with HANSA_ERR_STATE. For `hansa store check`
     * on a stopped node's folder (the lock still keeps a running node out). */
    bool read_only;
    /* Bound on the in-memory copy that answers lookups tx_index misses
     * (store_logged_bytes); 0 = STORE_TX_LOOKUP_COPY_BYTES_DEFAULT. Heights
     * logged past it are walked in the log by each lookup until index
     * steps or prunes make room. */
    size_t tx_lookup_copy_bytes_max;
} store_options;

/* 32 MiB: 8 bytes a logged tx, about 400 heights of 10,000 txs (a node's
 * index step keeps 16-32 heights logged). */
#define STORE_TX_LOOKUP_COPY_BYTES_DEFAULT ((size_t)32 << 20)
/* What each height in that copy costs besides its 8 bytes an entry (its
 * slot and allocation), charged against the bound and in store_logged_bytes. */
#define STORE_TX_LOOKUP_HEIGHT_BYTES ((size_t)96)

/* The last committed block, as recorded by store_batch_commit. */
typedef struct {
    uint64_t height;
    hansa_hash app_hash;   /* state commitment after that block */
    hansa_hash block_hash; /* header hash of that block */
} store_tip;

/* ---- Opening and closing ---- */

/* Opens the store in `dir`, creating the directory (mode 0700) and the
 * databases if missing, and takes an exclusive lock on dir/hansa.lock so a
 * second process (or a second open in this process) fails with
 * HANSA_ERR_STATE instead of sharing the signer state. `opts` may be NULL.
 * The parent of dir must exist. On success *out is a new store the caller
 * closes with store_close. On failure *out is NULL and the error is logged:
 * HANSA_ERR_IO (directory, permissions, LMDB), HANSA_ERR_CORRUPT (the
 * environment or its tip record is damaged), HANSA_ERR_CONFIG (bad options). */
hansa_err store_open(const char *dir, const store_options *opts, store **out);

/* Closes the store and releases the lock. Everything a write call returned
 * HANSA_OK for is already durable; closing adds nothing. NULL is a no-op. */
void store_close(store *st);

/* The message of the most recent call on st if it failed (database, key,
 * what was wrong), "" if it succeeded. Borrowed; valid until the next call. */
const char *store_errmsg(const store *st);

/* HANSA_OK, or the fatal error that made the store refuse writes. */
hansa_err store_failed(const store *st);

/* The current LMDB map size in bytes (grows on demand, see store_options). */
size_t store_map_size(const store *st);

/* Where a committed transaction is: the block's height and the
 * transaction's position in the block's tx list (its Merkle leaf index). */
typedef struct {
    uint64_t height;
    uint32_t index;
} store_tx_loc;

/* ---- Committing a block ---- */

/* Starts the batch that commits block `height`. The batch copies everything
 * handed to it, so callers may free their buffers at once. Nothing touches
 * the disk until store_batch_commit. Returns HANSA_ERR_STATE if the store
 * refuses writes. On success *out is owned by the caller until
 * store_batch_commit or store_batch_abort, which must come before
 * store_close (the store keeps the ended batch's memory for the next). */
hansa_err store_batch_begin(store *st, uint64_t height, store_batch **out);

/* The block itself: its header hash (the block id) and its encoded bytes
 * (<= STORE_PAYLOAD_BYTES_MAX - 32). Exactly once per batch. */
hansa_err store_batch_put_block(store_batch *b, const hansa_hash *block_hash,
                                const uint8_t *bytes, size_t len);

/* The commit certificate for this height (<= STORE_PAYLOAD_BYTES_MAX).
 * Exactly once per batch. */
hansa_err store_batch_put_commit(store_batch *b, const uint8_t *bytes, size_t len);

/* A ledger write: key (1..STORE_KEY_BYTES_MAX bytes) gets value
 * (<= STORE_PAYLOAD_BYTES_MAX). Writes apply in call order, so a later write
 * of the same key wins. HANSA_ERR_TOO_LONG for a bad size or more than
 * STORE_BATCH_WRITES_MAX writes. */
hansa_err store_batch_put_state(store_batch *b, const uint8_t *key, size_t klen,
                                const uint8_t *value, size_t vlen);

/* A ledger delete: removes key if present (deleting a missing key is fine). */
hansa_err store_batch_del_state(store_batch *b, const uint8_t *key, size_t klen);

/* Indexes a transaction of this batch's block: tx_hash (SHA-256 of its
 * encoding) is at position index of the block's tx list. Call once per tx
 * (at most STORE_BATCH_WRITES_MAX). A hash indexed again (impossible under
 * nonces, since equal hashes mean equal bytes) points at the later place. */
hansa_err store_batch_put_tx(store_batch *b, const hansa_hash *tx_hash, uint32_t index);
/* Records a validator set under its hash (wire_valset_hash), in the same
 * transaction as the block; writing one already there changes nothing. The
 * store does not decode or hash the bytes: the caller vouches for them. At
 * most STORE_BATCH_VALSETS_MAX per batch. */
#define STORE_BATCH_VALSETS_MAX 4
hansa_err store_batch_put_valset(store_batch *b, const hansa_hash *hash, const uint8_t *bytes,
                                 size_t len);

/* Writes the batch in ONE LMDB transaction: block, hash index, commit
 * certificate, tx index entries, state writes, the tip (height, app_hash,
 * block hash) and the deletion of every WAL record of heights <= height. Durable when it returns
 * HANSA_OK. Frees b whatever it returns.
 * Fails, writing nothing, with HANSA_ERR_STATE if the block or commit is
 * missing, if height is not the tip's height + 1 (any height >= 1 is
 * accepted on an empty store), or if the store refuses writes;
 * HANSA_ERR_DUPLICATE if the block hash is already stored; HANSA_ERR_FULL if
 * the map cannot grow; HANSA_ERR_IO (fatal) if LMDB fails. */
hansa_err store_batch_commit(store_batch *b, const hansa_hash *app_hash);

/* Drops the batch unwritten and frees it (its memory may be kept by the
 * store for the next batch). NULL is a no-op. */
void store_batch_abort(store_batch *b);

/* ---- Reading blocks, commits, tip ---- */

/* The tip: HANSA_ERR_NOT_FOUND on a store with no committed block. */
hansa_err store_get_tip(store *st, store_tip *out);

/* The block at height: its bytes replace out's contents; *block_hash
 * (optional) gets its hash. HANSA_ERR_NOT_FOUND above the tip (or below
 * the first stored height), HANSA_ERR_CORRUPT — also for a height between
 * the first and the tip that LMDB cannot find: the store never answers
 * "not found" for a height it claims to have. */
hansa_err store_get_block(store *st, uint64_t height, hbuf *out, hansa_hash *block_hash);

/* The block whose header hash is block_hash: bytes into out, *height
 * (optional) gets its height. Checks that the index and the block agree.
 * HANSA_ERR_NOT_FOUND, HANSA_ERR_CORRUPT. */
hansa_err store_get_block_by_hash(store *st, const hansa_hash *block_hash, hbuf *out,
                                  uint64_t *height);

/* The commit certificate for height: bytes replace out's contents.
 * HANSA_ERR_NOT_FOUND, HANSA_ERR_CORRUPT, as store_get_block. */
hansa_err store_get_commit(store *st, uint64_t height, hbuf *out);

/* Where the committed transaction tx_hash is. HANSA_ERR_NOT_FOUND (never
 * committed, or committed before this store kept a tx index),
 * HANSA_ERR_CORRUPT. */
hansa_err store_get_tx(store *st, const hansa_hash *tx_hash, store_tx_loc *out);

/* The tx index in two steps, so that committing a block costs the same at
 * any chain length: store_batch_commit appends the block's entries under
 * its height in tx_log (one record, a key past every other), and this call
 * moves the entries of the oldest up to max_heights (> 0) logged heights
 * into the hash-keyed tx_index in one durable transaction (random keys in a
 * B-tree that grows with the chain: the cost the commit no longer pays).
 * store_get_tx finds a transaction either way. *moved (may be NULL): heights
 * moved, 0 once nothing is left. A no-op on a backend store (the simulated
 * disk indexes at commit). */
hansa_err store_index_step(store *st, uint32_t max_heights, uint32_t *moved);

/* Heights whose tx entries are still only in tx_log (0 on a backend store). */
hansa_err store_index_backlog(store *st, uint64_t *heights);

/* Bytes of a writable store's in-memory copy of tx_log (which answers
 * lookups that tx_index misses), 8 per logged tx and
 * STORE_TX_LOOKUP_HEIGHT_BYTES per logged height: it follows the backlog
 * above, so a node that stopped running index steps shows it here first,
 * up to store_options.tx_lookup_copy_bytes_max. */
size_t store_logged_bytes(const store *st);

/* What lookups that tx_index missed cost in the log, since the open: the
 * copy above should keep both low (the tests pin them); and the heap the
 * copy holds now, which store_logged_bytes does not fully show: buffers
 * kept for reuse (within the bound) and the sort's scratch buffer. */
typedef struct {
    uint64_t read_backs; /* records read back because the copy held the prefix */
    uint64_t walked;     /* records walked: past the copy's bound, or read-only */
    size_t held_bytes;   /* the ring, every slot's buffer, the sort's buffer */
    /* The index step's sort buffers, kept between steps (24 bytes an entry,
     * at most STORE_INDEX_SCRATCH_KEEP entries; a larger step's are freed
     * after it). Not part of the copy's heap above. */
    size_t index_scratch_bytes;
} store_tx_lookup_counts;
/* 1.5 MB of sort buffers at most: 32 heights (a node's step) of 2,048 txs. */
#define STORE_INDEX_SCRATCH_KEEP 65536u
void store_tx_lookup_stats(const store *st, store_tx_lookup_counts *out);

/* Brings that copy up to the last commit: reads the heights logged since
 * and sorts them (~0.5 ms per 10,000 entries), so that no lookup pays for
 * it: the node calls it in its commit delay, when it waits anyway. A lookup
 * does whatever is still left. A no-op on a read-only or backend store.
 * HANSA_ERR_CORRUPT (a damaged tx_log record), HANSA_ERR_IO. */
hansa_err store_prepare_tx_lookups(store *st);
/* Pruning: deletes the blocks, commit certificates, block hash index entries,
 * FROST checkpoints and still-logged tx entries of the oldest stored heights below
 * below_height (<= the tip), at most max_heights (> 0) of them in one
 * durable transaction, so a node turning from archive to pruned never stalls
 * one commit. *pruned (may be NULL): heights deleted, 0 once none is left.
 * Hash-keyed tx_index entries of pruned heights stay (see docs/storage.md):
 * store_get_tx may name a height whose block is gone. A no-op on a backend
 * store. HANSA_ERR_INVALID if below_height is past the tip. */
hansa_err store_prune_step(store *st, uint64_t below_height, uint32_t max_heights,
                           uint32_t *pruned);

/* Sweeps the hash-keyed tx_index for entries of pruned heights (below the
 * lowest kept block, which store_prune_step leaves behind): looks at the
 * entries from *cursor on (a tx hash; all zero is the start), at most
 * max_entries (> 0) of them, and deletes those of pruned heights in one
 * durable transaction. *cursor becomes where the next call goes on (back
 * to zero past the last entry), so calls bounded by max_entries walk the
 * whole index in turn. *deleted (may be NULL): entries deleted. A no-op on a
 * backend store or one that pruned nothing. */
hansa_err store_sweep_tx_index(store *st, hansa_hash *cursor, uint32_t max_entries,
                               uint32_t *deleted);

/* The lowest height whose block is kept (the first stored block; 1 on an
 * archive node, 0 when nothing is stored or on a backend store). */
hansa_err store_lowest_height(store *st, uint64_t *height);

/* The validator set stored under hash (encoded), or HANSA_ERR_NOT_FOUND. */
hansa_err store_get_valset(store *st, const hansa_hash *hash, hbuf *out);

/* ---- Ledger state ---- */

/* The value of key: bytes replace out's contents. HANSA_ERR_NOT_FOUND,
 * HANSA_ERR_CORRUPT, HANSA_ERR_TOO_LONG for a bad key size. */
hansa_err store_state_get(store *st, const uint8_t *key, size_t klen, hbuf *out);

/* Called for each entry of a scan, in key order. key and value are
 * borrowed from the database and valid only during the call. Return
 * HANSA_OK to go on; any other value stops the scan and is returned by it. */
typedef hansa_err (*store_scan_fn)(void *ctx, const uint8_t *key, size_t klen,
                                   const uint8_t *value, size_t vlen);

/* Calls fn for every state entry whose key starts with prefix (plen may be
 * 0: every entry), in byte order, from one consistent snapshot. Every record
 * is checked before fn sees it; the first bad one stops the scan with
 * HANSA_ERR_CORRUPT. fn must not call the store. */
hansa_err store_state_scan(store *st, const uint8_t *prefix, size_t plen, store_scan_fn fn,
                           void *ctx);

/* ---- Consensus signer state ---- */

/* Replaces the signer state with bytes (<= STORE_PAYLOAD_BYTES_MAX). Durable
 * (LMDB commit: data fdatasync, then the meta page written with O_DSYNC)
 * before it returns HANSA_OK: only then may the signature it protects leave
 * the process. That is what makes "never sign twice" survive kill -9. */
hansa_err store_put_signer(store *st, const uint8_t *bytes, size_t len);

/* As store_put_signer, without a commit of its own: the state waits in
 * memory (store_get_signer returns it) and the next write transaction
 * writes it first; durable with the next synced commit or
 * store_sync_signer. For a caller that makes one of those happen before
 * the signature leaves: the node appends its own vote or proposal to the
 * WAL durably first, and that one commit covers both (issue 15: two
 * flushes per signed message instead of four). No MDB_NOSYNC commit: a
 * power loss during a later flush could tear one (docs/storage.md). */
hansa_err store_put_signer_lazy(store *st, const uint8_t *bytes, size_t len);

/* Makes the signer state durable if its last write was lazy and no synced
 * write came after it (nothing to do otherwise). A failed sync is fatal:
 * the signature it guards must not leave. */
hansa_err store_sync_signer(store *st);

/* The last signer state: bytes replace out's contents. HANSA_ERR_NOT_FOUND
 * on a fresh store, HANSA_ERR_CORRUPT. */
hansa_err store_get_signer(store *st, hbuf *out);

/* ---- Key generation state (node/frost_duty.c) ----
 * A delegate's secrets of its latest DKG session (the seed its polynomial
 * is drawn from, then the signing share it ended with; the layout is
 * node/frost_duty.c's; <= STORE_PAYLOAD_BYTES_MAX), kept in the signer database
 * under key "dkg". Durable (synced) before store_put_dkg returns HANSA_OK,
 * like the signer state: only then may a share dealt from it leave the
 * process, so a delegate restarted mid-session deals the same polynomial.
 * LMDB stores only: a backend store (the simulator's) refuses with
 * HANSA_ERR_STATE. store_get_dkg: HANSA_ERR_NOT_FOUND when none. */
hansa_err store_put_dkg(store *st, const uint8_t *bytes, size_t len);
hansa_err store_get_dkg(store *st, hbuf *out);

/* ---- Signing nonces (node/frost_sign.c) ----
 * A delegate's unused FROST nonce pairs (threshold/roast.h), one record
 * (layout node/frost_sign.c's) under key "roast" of the signer database,
 * replaced whole. Durable before store_put_roast returns HANSA_OK: a
 * commitment leaves only once its nonces are stored, a share only once its
 * nonces are gone from the record. LMDB stores only (else HANSA_ERR_STATE);
 * store_get_roast: HANSA_ERR_NOT_FOUND when none. */
hansa_err store_put_roast(store *st, const uint8_t *bytes, size_t len);
hansa_err store_get_roast(store *st, hbuf *out);

/* ---- FROST checkpoints (node/frost_sign.c) ----
 * checkpoints  height u64 BE -> a signed checkpoint (threshold/checkpoint.h);
 *              'H' || epoch u64 BE -> the handoff to that epoch's key.
 * Node-local: anyone checks one against the group key, and two honest
 * nodes may hold different signatures for one height (other signer
 * subsets), so they are not part of the ledger state. LMDB only. */
#define STORE_CHECKPOINT_BYTES_MAX 4096
hansa_err store_checkpoint_put(store *st, uint64_t height, const uint8_t *bytes, size_t len);
/* HANSA_ERR_NOT_FOUND when none at height. */
hansa_err store_checkpoint_get(store *st, uint64_t height, hbuf *out);
/* The same table keeps the handoff signed to each new key, under 'H' ||
 * new epoch u64 BE (threshold/checkpoint.h's handoff). */
hansa_err store_handoff_put(store *st, uint64_t new_epoch, const uint8_t *bytes, size_t len);
hansa_err store_handoff_get(store *st, uint64_t new_epoch, hbuf *out);

/* ---- Receipt guarantees (node/receipts.c) ----
 * receipts   key (32: the guaranteed tx hash) -> the node's guarantee record.
 * A receipt node stores what it guaranteed before the receipt leaves the
 * process, so its exposure survives kill -9 as the signer state does. */
#define STORE_RECEIPT_KEY_BYTES 32
#define STORE_RECEIPT_BYTES_MAX 4096
/* Stores bytes (1..STORE_RECEIPT_BYTES_MAX) under key; durable (synced)
 * when it returns HANSA_OK. */
hansa_err store_receipt_put(store *st, const uint8_t key[STORE_RECEIPT_KEY_BYTES],
                            const uint8_t *bytes, size_t len);
/* Deletes the n keys (missing ones are fine) in one transaction. */
hansa_err store_receipt_del(store *st, const uint8_t (*keys)[STORE_RECEIPT_KEY_BYTES], size_t n);
/* Calls fn for every stored guarantee, in key order, each record checked
 * first (HANSA_ERR_CORRUPT stops the scan). fn must not call the store. */
hansa_err store_receipt_scan(store *st, store_scan_fn fn, void *ctx);

/* ---- State snapshots (state sync; docs/storage.md) ----
 * snapshots  height u64 BE (8)          -> the snapshot's info (the node's
 *                                          bytes; opaque here)
 *            height u64 BE || state key -> that record's value as of height
 * A node copies its whole state here at checkpoint heights and serves it
 * to joining nodes while its live state moves on. LMDB stores only: a
 * backend store (the simulator's) refuses with HANSA_ERR_STATE. */

/* True for an LMDB store (one that keeps snapshots). */
bool store_keeps_snapshots(const store *st);

/* Yields record i of a snapshot being written (i = 0, 1, ...; keys strictly
 * increasing, 1..STORE_KEY_BYTES_MAX bytes, values non-empty), false when
 * there are no more. */
typedef bool (*store_snap_next_fn)(void *ctx, size_t i, const uint8_t **key, size_t *klen,
                                   const uint8_t **val, size_t *vlen);
/* In ONE durable transaction: deletes every snapshot below drop_below
 * (<= height), then writes snapshot `height`: info (1..STORE_PAYLOAD_BYTES_MAX
 * bytes) and the records next yields (replacing any snapshot of that height
 * that had the same keys). */
hansa_err store_snap_write(store *st, uint64_t height, const uint8_t *info, size_t info_len,
                           store_snap_next_fn next, void *ctx, uint64_t drop_below);
/* The heights of the stored snapshots, increasing, at most max of them. */
hansa_err store_snap_heights(store *st, uint64_t *heights, size_t max, size_t *n);
/* The info of snapshot height; HANSA_ERR_NOT_FOUND when there is none. */
hansa_err store_snap_info(store *st, uint64_t height, hbuf *out);
/* Calls fn for the records of snapshot height whose keys come after `after`
 * (after_len 0: from the first), in key order, each checked first. fn
 * returns HANSA_ERR_FULL to stop early (then this returns HANSA_OK); any
 * other error stops the scan and is returned. fn must not call the store.
 * A height with no snapshot calls fn for nothing. */
hansa_err store_snap_scan(store *st, uint64_t height, const uint8_t *after, size_t after_len,
                          store_scan_fn fn, void *ctx);

/* ---- Consensus write-ahead log ---- */

/* Appends one record (<= STORE_PAYLOAD_BYTES_MAX) to the log of height;
 * durable when it returns. Heights may interleave (the node logs messages
 * of the next height while it signs at the current one); each height's
 * records keep their append order. */
hansa_err store_wal_append(store *st, uint64_t height, const uint8_t *bytes, size_t len);

/* As store_wal_append, without a commit of its own: the record waits in
 * memory and the next write transaction of this store (a block, the
 * signer state, a durable append) writes it first, keeping the append
 * order; a crash before that drops it, and store_wal_read does not see it
 * until then. For records that are hints, not promises: messages peers
 * sent, which they still hold (issue 15: one fsync per accepted peer vote). */
hansa_err store_wal_append_lazy(store *st, uint64_t height, const uint8_t *bytes, size_t len);

/* Called for each WAL record of a height, in append order. bytes is borrowed
 * and valid only during the call; same return convention as store_scan_fn. */
typedef hansa_err (*store_wal_fn)(void *ctx, uint64_t height, uint32_t seq,
                                  const uint8_t *bytes, size_t len);

/* Calls fn for every record appended for height, in order. A height with no
 * records is not an error (fn is not called). fn must not call the store.
 * A damaged record ends the log of its height (a crash during an append
 * leaves such a tail): it and the later records of that height are
 * deleted with a warning in the log, and the call still returns HANSA_OK
 * after handing over the valid prefix; it is not a fatal error. */
hansa_err store_wal_read(store *st, uint64_t height, store_wal_fn fn, void *ctx);

/* Deletes every WAL record of heights <= through_height (UINT64_MAX: all).
 * store_batch_commit does this itself for the committed height. */
hansa_err store_wal_truncate(store *st, uint64_t through_height);

/* ---- Integrity check (`hansa store check`) ---- */

/* What a check walked. */
typedef struct {
    uint64_t blocks, commits, block_index, tx_index, state, wal; /* entries walked */
    uint64_t tx_pruned; /* tx_index entries of pruned heights, not in tx_index */
    uint64_t first_height; /* of the first stored block; 0 for none */
    uint64_t snapshots;    /* state snapshots kept */
    bool has_tip;
    store_tip tip;
    bool has_signer;
    uint64_t problems; /* found (at most 1000 reported) */
} store_check_summary;

/* Called with one problem, a line naming the database, the key and what is
 * wrong. The line is borrowed for the call. */
typedef void (*store_problem_fn)(void *ctx, const char *problem);

/* Walks every record of every database from one snapshot, the way SQLite's
 * integrity_check walks its b-trees: LMDB's own structure (a page LMDB cannot
 * follow, or a count that differs from its own, means a damaged B-tree),
 * keys in order and of their database's shape, every record's version,
 * type and checksum, and the databases against each other: a block and a
 * commit for every height from the first to the tip and none past it, each
 * block's hash indexed back to it, the tip agreeing with the last block,
 * tx index entries inside the chain, no WAL record at or below the tip.
 * It does not decode blocks (the store deals in bytes): the caller checks
 * what they say. report is called per problem. Returns HANSA_OK if none was
 * found, HANSA_ERR_CORRUPT if some were, or the error that kept the walk
 * from starting. Works on a read-only store. */
hansa_err store_check(store *st, store_check_summary *sum, store_problem_fn report, void *ctx);

#endif
