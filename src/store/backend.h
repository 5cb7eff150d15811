/* backend.h — the store API (store.h) over a backend other than LMDB.
 *
 * store.h is one interface with two implementations: LMDB (store.c), which
 * hansad and every multi-process test run, and whatever backend a store is
 * opened on with store_open_backend — the simulator's disk (sim/disk.c),
 * which keeps records in memory and can lose a write or tear a record when
 * the simulator crashes a node in the middle of it. The node cannot tell
 * them apart: it calls store_* either way.
 *
 * Every public store_* call on such a store runs store.c's shared part
 * first (no re-entry from a callback, argument bounds, refusing writes
 * after a fatal error, the fresh error message) and then the backend's
 * function, which must keep the contract store.h states for that call:
 * the same return codes, the same durability (a write that returns
 * HANSA_OK survives any later crash), the same atomic block commit
 * (store_batch_commit checks the height against the tip and the block
 * hash against the index, and writes block, index, commit, tx index, state
 * writes, tip and WAL deletion all or nothing), and the same WAL rules
 * (interleaved heights, a damaged record ends its height's log). A backend
 * reports a failure with store_fail, which also applies store.c's policy:
 * corruption and I/O errors are fatal and make the store refuse writes. */
#ifndef HANSA_STORE_BACKEND_H
#define HANSA_STORE_BACKEND_H

#include "store/store.h"

typedef struct {
    /* Called by store_close; the backend's data may outlive the store (a
     * simulated disk survives its node's crash). st is still open: the
     * backend can ask store_failed (a close after a fatal error writes no
     * lazy writes). */
    void (*close)(void *ctx, store *st);
    hansa_err (*get_tip)(void *ctx, store *st, store_tip *out);
    hansa_err (*batch_commit)(void *ctx, store *st, const store_batch *b,
                              const hansa_hash *app_hash);
    hansa_err (*get_block)(void *ctx, store *st, uint64_t height, hbuf *out,
                           hansa_hash *block_hash);
    hansa_err (*get_block_by_hash)(void *ctx, store *st, const hansa_hash *block_hash, hbuf *out,
                                   uint64_t *height);
    hansa_err (*get_commit)(void *ctx, store *st, uint64_t height, hbuf *out);
    hansa_err (*get_tx)(void *ctx, store *st, const hansa_hash *tx_hash, store_tx_loc *out);
    hansa_err (*state_get)(void *ctx, store *st, const uint8_t *key, size_t klen, hbuf *out);
    hansa_err (*state_scan)(void *ctx, store *st, const uint8_t *prefix, size_t plen,
                            store_scan_fn fn, void *fn_ctx);
    hansa_err (*put_signer)(void *ctx, store *st, const uint8_t *bytes, size_t len);
    hansa_err (*get_signer)(void *ctx, store *st, hbuf *out);
    hansa_err (*wal_append)(void *ctx, store *st, uint64_t height, const uint8_t *bytes,
                            size_t len);
    hansa_err (*wal_read)(void *ctx, store *st, uint64_t height, store_wal_fn fn, void *fn_ctx);
    hansa_err (*wal_truncate)(void *ctx, store *st, uint64_t through_height);
    hansa_err (*get_valset)(void *ctx, store *st, const hansa_hash *hash, hbuf *out);
    hansa_err (*receipt_put)(void *ctx, store *st, const uint8_t key[STORE_RECEIPT_KEY_BYTES],
                             const uint8_t *bytes, size_t len);
    hansa_err (*receipt_del)(void *ctx, store *st, const uint8_t (*keys)[STORE_RECEIPT_KEY_BYTES],
                             size_t n);
    hansa_err (*receipt_scan)(void *ctx, store *st, store_scan_fn fn, void *fn_ctx);
    /* The signer database's other blobs ("dkg", "roast": store_put_dkg,
     * store_put_roast), durable as the signer state. NULL: this backend
     * keeps none (the calls fail with HANSA_ERR_STATE). */
    hansa_err (*blob_put)(void *ctx, store *st, const char *name, const uint8_t *bytes, size_t len);
    hansa_err (*blob_get)(void *ctx, store *st, const char *name, hbuf *out);
    /* The checkpoints table (store_checkpoint_put, store_handoff_put): key
     * as store.c builds it (height u64 BE, or 'H' || epoch u64 BE). NULL:
     * none kept (HANSA_ERR_STATE). */
    hansa_err (*checkpoint_put)(void *ctx, store *st, const uint8_t *key, size_t klen,
                                const uint8_t *bytes, size_t len);
    hansa_err (*checkpoint_get)(void *ctx, store *st, const uint8_t *key, size_t klen, hbuf *out);
    /* store_put_signer_lazy and store_wal_append_lazy: the write need not
     * be durable until the next write that is (any other write of this
     * backend, or sync), as the LMDB store's lazy writes wait in memory for
     * the next commit; a power loss before it may lose them. NULL: lazy
     * writes go to put_signer and wal_append, durable at once. */
    hansa_err (*put_signer_lazy)(void *ctx, store *st, const uint8_t *bytes, size_t len);
    hansa_err (*wal_append_lazy)(void *ctx, store *st, uint64_t height, const uint8_t *bytes,
                                 size_t len);
    /* store_sync_signer: makes the lazy writes durable. NULL: nothing to do. */
    hansa_err (*sync)(void *ctx, store *st);
} store_backend;

/* Opens a store whose calls go to be (borrowed; it must outlive the store)
 * with ctx. Never fails for now; returns HANSA_OK and *out, which the
 * caller closes with store_close (that calls be->close(ctx, st)). */
hansa_err store_open_backend(const store_backend *be, void *ctx, store **out);

/* Records a failure of the current call on st: the message (printf-style)
 * goes to store_errmsg() and, unless e is HANSA_ERR_NOT_FOUND, to the log;
 * HANSA_ERR_IO and HANSA_ERR_CORRUPT make the store refuse further writes.
 * Returns e. */
hansa_err store_fail(store *st, hansa_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What a batch holds, for the backend's batch_commit. Pointers are
 * borrowed from b and valid during the call. */
uint64_t store_batch_height(const store_batch *b);
/* The block's hash and bytes (store_batch_commit has checked both are set). */
void store_batch_block(const store_batch *b, hansa_hash *hash, const uint8_t **bytes, size_t *len);
void store_batch_commit_bytes(const store_batch *b, const uint8_t **bytes, size_t *len);
/* The state writes in call order; a delete has value NULL, vlen 0. */
typedef void (*store_batch_op_fn)(void *ctx, const uint8_t *key, size_t klen,
                                  const uint8_t *value, size_t vlen, bool del);
void store_batch_each_op(const store_batch *b, store_batch_op_fn fn, void *ctx);
/* The validator sets the batch stores, by hash, in call order. */
typedef void (*store_batch_valset_fn)(void *ctx, const hansa_hash *hash, const uint8_t *bytes,
                                      size_t len);
void store_batch_each_valset(const store_batch *b, store_batch_valset_fn fn, void *ctx);
/* The tx index entries in call order. */
typedef void (*store_batch_tx_fn)(void *ctx, const hansa_hash *tx_hash, uint32_t index);
void store_batch_each_tx(const store_batch *b, store_batch_tx_fn fn, void *ctx);

#endif
