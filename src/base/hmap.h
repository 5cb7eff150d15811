/* hmap.h — an open-addressing hash map from 32-byte keys to 64-bit values.
 *
 * For sets and indexes keyed by hashes (tx hashes in the mempool, seen
 * messages, block ids). Keys are already uniformly distributed (SHA-256
 * outputs), so the first 8 bytes serve as the hash; callers keying by
 * attacker-chosen bytes must hash them first. Linear probing with
 * backward-shift deletion (no tombstones), grown at 50% load. */
#ifndef HANSA_BASE_HMAP_H
#define HANSA_BASE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

typedef struct {
    hansa_hash key;
    uint64_t value;
    bool used;
} hmap_slot;

typedef struct {
    hmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} hmap;

#define HMAP_INIT {NULL, 0, 0}

/* Inserts or overwrites. */
void hmap_put(hmap *m, const hansa_hash *key, uint64_t value);
/* True and *value (optional) if present. */
bool hmap_get(const hmap *m, const hansa_hash *key, uint64_t *value);
/* True if it was present. */
bool hmap_del(hmap *m, const hansa_hash *key);
void hmap_clear(hmap *m);
void hmap_free(hmap *m);

#endif
