/* leaves.h — the state root's leaf hashes, kept sorted between checkpoints.
 *
 * The checkpoint state root (state_root.h) is an RFC 6962 root over every
 * record of the state in key order. Computed from scratch it encodes all the
 * records, sorts them and hashes each one, on every node, at every
 * checkpoint, although a block changes a handful of records (in the
 * simulator ~800 records, most of them the receipts' kept tx roots, of which
 * one enters and one leaves per height). This cache keeps the sorted keys
 * with their leaf hashes; a committed write set inserts, deletes or marks a
 * record stale, and only stale records are hashed again, once, before the
 * next checkpoint needs them. The root's value is unchanged: it is the same
 * tree over the same leaves (the unit test and debug builds compare it with
 * the from-scratch root).
 *
 * Entries are allocated one by one and the array holds pointers, so that a
 * record entering or leaving the middle moves 8 bytes per later entry. */
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
    bool stale;      /* the record changed since `leaf` was computed */
    hansa_hash leaf; /* ledger_record_leaf_hash of the record, unless stale */
} ledger_leaf;

typedef struct {
    ledger_leaf **e; /* owned, n entries, in increasing key order (writes.h) */
    size_t n, cap;
    size_t n_stale;
    bool built;      /* false until ledger_leaves_build */
} ledger_leaves;

/* Appends the current value of the record `key` to out and returns true, or
 * returns false if there is no such record: how a stale leaf is hashed again. */
typedef bool (*ledger_leaves_value_fn)(const void *ctx, const uint8_t *key, size_t klen,
                                       hbuf *out);

void ledger_leaves_free(ledger_leaves *c);

/* Replaces c's contents with the leaves of `records`: a whole state, sorted,
 * no deletions (what ledger_state_records gives). */
void ledger_leaves_build(ledger_leaves *c, const ledger_writes *records);

/* Applies a committed, sorted write set: a deletion removes its key, any
 * other write inserts its key or marks it stale. Hashes nothing. */
void ledger_leaves_apply(ledger_leaves *c, const ledger_writes *writes);

/* The same for one key that now has a record (present) or none: for code
 * that changes a state's records other than by committing a block. */
void ledger_leaves_touch(ledger_leaves *c, const uint8_t *key, size_t klen, bool present);

/* Hashes every stale leaf again with the values `value` gives (each stale
 * key must have a record). */
void ledger_leaves_refresh(ledger_leaves *c, ledger_leaves_value_fn value, const void *ctx);

/* The state root over c's records with the sorted write set `writes` on top
 * (state_root.h): written records are hashed, stale ones are hashed from
 * `value` without updating c. */
void ledger_leaves_root_after(const ledger_leaves *c, const ledger_writes *writes,
                              ledger_leaves_value_fn value, const void *ctx, hansa_hash *out);

#endif
