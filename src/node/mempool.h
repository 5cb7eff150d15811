/* mempool.h — the queue of transactions waiting for a block (seed 000's
 * "Queue", the intake a delegate validates before proposing).
 *
 * Admission, in order: the bytes decode as a tx; it is not already here;
 * its signature verifies (checked once per node: a tx in the mempool counts
 * as verified when a block containing it is validated); and it applies
 * cleanly on top of the committed state plus every transaction already
 * queued (a "check state", ledger_block_begin_check): so its nonce must be
 * the next one for its sender and the sender must afford it after what is
 * already queued. Admission order respects each sender's nonce order, and
 * blocks are built from the mempool in admission order.
 *
 * Bounds and eviction: at most limits.max_txs transactions and
 * limits.max_bytes bytes. When full, a new transaction may evict the
 * cheapest (lowest fee; oldest among equals) transaction that is the last
 * one queued for its sender (so no sender is left with a nonce gap), only if
 * the new one pays a strictly higher fee and is from another sender;
 * otherwise it is refused with HANSA_ERR_FULL. Nothing leaves silently:
 * every eviction and every transaction dropped by the re-check after a
 * commit is reported through the drop callback with its reason. */
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

/* Called for a transaction leaving the mempool without being committed. */
typedef void (*mempool_drop_fn)(void *ctx, const hansa_hash *tx, hansa_err err, const char *why);

typedef struct mempool mempool;

/* Creates an empty mempool over the committed state s (borrowed: it must
 * stay valid until the next mempool_update or mempool_free). */
mempool *mempool_new(const mempool_limits *limits, const ledger_state *s, mempool_drop_fn drop,
                     void *drop_ctx);
void mempool_free(mempool *m);

/* Admits the encoded transaction (bytes are copied). On success *hash is
 * its hash. Errors: the decoder's code, HANSA_ERR_DUPLICATE, HANSA_ERR_BAD_SIG,
 * the ledger's check codes (nonce, funds, fee, chain, ...), HANSA_ERR_FULL;
 * why says what. */
hansa_err mempool_add(mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                      size_t why_len);

/* True if the transaction is queued (and so its signature was verified). */
bool mempool_has(const mempool *m, const hansa_hash *hash);

/* The nonce addr's next transaction must carry: its committed nonce plus
 * its transactions queued here. */
uint64_t mempool_next_nonce(const mempool *m, const hansa_addr *addr);

size_t mempool_count(const mempool *m);
uint64_t mempool_bytes(const mempool *m);

/* Admission-order iteration: start with *cursor = 0; returns false at the
 * end. The bytes are borrowed until the next change to the mempool. */
bool mempool_next(const mempool *m, size_t *cursor, const uint8_t **bytes, uint32_t *len);

/* After a block is committed: s is the new committed state. Removes the
 * transactions the block included (committed hashes) and re-checks the
 * rest in admission order against s, dropping (and reporting) those that no
 * longer apply. */
void mempool_update(mempool *m, const ledger_state *s, const hansa_hash *committed, size_t n);

#endif
