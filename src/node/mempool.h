/* mempool.h — the queue of transactions waiting for a block (seed 000's
 * "Queue", the intake a delegate validates before proposing).
 *
 * Admission, in order, cheapest checks first, so that a transaction that
 * must be refused costs as little as possible:
 *   1. it is not already here, and was not refused recently (a ring of
 *      MEMPOOL_REJECTS_MAX refusals: a bad signature or another chain while
 *      the ring holds it, a refusal for funds, fee or a full pool until the
 *      next commit; nonce refusals are not remembered, as the missing nonce
 *      may arrive any moment), both looked up by the bytes' hash before
 *      they are decoded (a copy of a queued tx is found by its bytes
 *      first, without hashing it: mempool_new's hash_key);
 *   2. the bytes decode as a tx;
 *   3. if the pool is full, enough cheaper transactions can be evicted for
 *      it (below), found in O(log n);
 *   4. it applies cleanly on top of the committed state plus every
 *      transaction queued (a "check state", ledger_block_begin_check): its
 *      nonce must be the next one for its sender and the sender must
 *      afford it after what is already queued — and only then, last, its
 *      signature is verified (checked once per node: a tx in the mempool
 *      counts as verified when a block containing it is validated).
 * Admission order respects each sender's nonce order, and blocks are built
 * from the mempool in admission order.
 *
 * Bounds and eviction: at most limits.max_txs transactions and
 * limits.max_bytes bytes. When full, a new transaction may evict the
 * cheapest (lowest fee; oldest among equals) transaction that is the last
 * one queued for its sender (so no sender is left with a nonce gap), only if
 * the new one pays a strictly higher fee and is from another sender;
 * otherwise it is refused with HANSA_ERR_FULL. Nothing leaves silently:
 * every eviction and every transaction dropped by the re-check after a
 * commit is reported through the drop callback with its reason.
 *
 * Eviction does not re-execute the pool: the check state keeps the evicted
 * transaction's effects until the next commit's re-check. Until then the
 * evicted sender's transactions are refused (HANSA_ERR_FULL: its nonce in
 * the check state is ahead of its queue), and a transaction that spends
 * what an evicted one would have paid its recipient may be admitted; the
 * block builder skips it (it does not apply) and the re-check drops it.
 * Refusals remembered until the next commit likewise stay refused for that
 * long even if a queued transaction meanwhile funds the sender. */
#ifndef HANSA_NODE_MEMPOOL_H
#define HANSA_NODE_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "ledger/state.h"

typedef struct {
    uint32_t max_txs;   /* 0: 100000 */
    uint64_t max_bytes; /* 0: 64 MiB */
} mempool_limits;

#define MEMPOOL_REJECTS_MAX 8192 /* refusals remembered */

/* Counters since mempool_new. */
typedef struct {
    uint64_t admitted;
    uint64_t refused;        /* by a check (not duplicates, not from the cache) */
    uint64_t refused_cached; /* answered from the recent refusals */
    uint64_t dup_by_bytes;   /* copies of queued txs found by their bytes, not hashed */
    uint64_t evicted;
    uint64_t sig_verifies;   /* signatures verified on admission */
} mempool_stats;

/* Called for a transaction leaving the mempool without being committed. */
typedef void (*mempool_drop_fn)(void *ctx, const hansa_hash *tx, hansa_err err, const char *why);

typedef struct mempool mempool;

#define MEMPOOL_KEY_BYTES 16 /* SipHash key of the bytes index */

/* Creates an empty mempool over the committed state s (borrowed: it must
 * stay valid until the next mempool_update or mempool_free). hash_key
 * (read, not kept) keys, through a key derived from it for this use
 * (ledger_siphash_key_derive, "mempool-bytes"), the index of queued bytes
 * that answers a relayed copy without hashing it: secret on a node, so
 * peers cannot aim collisions at it (a collision costs only a SHA-256 and a
 * compare, never a wrong answer). */
mempool *mempool_new(const mempool_limits *limits, const uint8_t hash_key[MEMPOOL_KEY_BYTES],
                     const ledger_state *s, mempool_drop_fn drop, void *drop_ctx);
void mempool_free(mempool *m);

/* For tests of the bytes index: from now on every tx's key in it is the
 * same, so a test can queue txs whose keys collide (a node meets that only
 * by chance, or never: the key is secret). Only on an empty pool. Returns
 * false, changing nothing, in release (NDEBUG) builds: there the hook
 * costs nothing, and a test that needs it skips. */
bool mempool_test_collide_keys(mempool *m);
/* The same for keys that differ but all start their probe at one of the
 * table's last two slots or first two (up to 65,536 slots), so chains wrap
 * past its end and entries that wrapped meet entries at home there. */
bool mempool_test_crowd_keys(mempool *m);
/* The same for keys whose probes all start at one of slots 8 to 11: one
 * chain in the table's middle, where no deletion wraps, with entries at
 * home and entries pushed on mixed. Under any of these three, debug
 * builds check after each eviction that every queued tx is found by the
 * index itself (mempool_test_index_misses counts those that are not). */
bool mempool_test_cluster_keys(mempool *m);
/* The same for keys whose probes all start at the table's last slot (up to
 * 65,536 slots): one chain that wraps at once, every entry past the end
 * with its home the slot a deletion there frees. */
bool mempool_test_last_keys(mempool *m);
/* Queued txs the index itself did not find in those checks, since the
 * pool was made (0 in release builds, which do not check). */
uint64_t mempool_test_index_misses(const mempool *m);

/* Admits the encoded transaction (bytes are copied). On success *hash is
 * its hash. Errors: the decoder's code, HANSA_ERR_DUPLICATE, HANSA_ERR_BAD_SIG,
 * the ledger's check codes (nonce, funds, fee, chain, ...), HANSA_ERR_FULL;
 * why says what, unless it is NULL (why_len 0): a caller that reads no
 * text, such as a node judging a relayed copy, spares the formatting of a
 * duplicate's (other refusals still format into a buffer of their own). */
hansa_err mempool_add(mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                      size_t why_len);

/* True if the transaction is queued (and so its signature was verified). */
bool mempool_has(const mempool *m, const hansa_hash *hash);

/* True if a transaction with exactly these bytes is queued. *hash gets the
 * bytes' tx hash either way: the stored one when queued (found by the bytes
 * index, no SHA-256), else computed. For judging a block, most of whose
 * transactions the node queued when they were relayed. */
bool mempool_has_bytes(const mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash);

/* The nonce addr's next transaction must carry: its committed nonce plus
 * its transactions queued here. */
uint64_t mempool_next_nonce(const mempool *m, const hansa_addr *addr);

size_t mempool_count(const mempool *m);
uint64_t mempool_bytes(const mempool *m);
mempool_stats mempool_get_stats(const mempool *m);

/* Admission-order iteration: start with *cursor = 0; returns false at the
 * end. The bytes are borrowed until the next change to the mempool; *hash
 * (if hash is not NULL) gets the transaction's hash. */
bool mempool_next(const mempool *m, size_t *cursor, const uint8_t **bytes, uint32_t *len,
                  hansa_hash *hash);

/* After a block is committed: s is the new committed state. Removes the
 * transactions the block included (committed hashes) and re-checks the
 * rest in admission order against s, dropping (and reporting) those that no
 * longer apply. */
void mempool_update(mempool *m, const ledger_state *s, const hansa_hash *committed, size_t n);

#endif
