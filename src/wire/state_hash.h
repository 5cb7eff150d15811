/* state_hash.h — the two hashes that tie a ledger record to a header's app
 * hash at a state-root height (docs/ledger.md, "State root at checkpoint
 * heights"). The ledger computes them (ledger/state_root.h); a light client
 * of another chain recomputes them to check a proof of one record
 * (interchain/keyproof.h), so they sit below both.
 *
 *   leaf(record) = SHA-256(0x00 | u16 key_len LE | key | value)
 *   app_hash(h)  = SHA-256(app_hash(h-1) | u64 h LE | writes_hash(h) | state_root(h)) */
#ifndef HANSA_WIRE_STATE_HASH_H
#define HANSA_WIRE_STATE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* key_len 1..UINT16_MAX, val_len >= 1. */
void state_record_leaf_hash(const uint8_t *key, size_t key_len, const uint8_t *val, size_t val_len,
                            hansa_hash *out);
void state_app_hash_checkpoint(const hansa_hash *prev, uint64_t height, const hansa_hash *writes_hash,
                               const hansa_hash *state_root, hansa_hash *out);

#endif
