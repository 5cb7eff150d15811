/* hmap.h — a small open-addressing map for the simulator's bookkeeping.
 *
 * Keys are three u64 words (a height, a packed validator/round/step, ...),
 * values a 32-byte hash. Linear probing in a power-of-two table that doubles
 * at 70% load; no deletion, only hmap_clear, which keeps the allocation. The
 * hash of a key is a fixed mix of its words, so iteration-free use is fully
 * deterministic. */
#ifndef HANSA_SIM_HMAP_H
#define HANSA_SIM_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

typedef struct {
    uint64_t a, b, c;
} hmap_key;

typedef struct {
    hmap_key key;
    hansa_hash val;
    bool used;
} hmap_slot;

typedef struct {
    hmap_slot *slots;
    size_t cap, n;
} hmap;

void hmap_init(hmap *m);
void hmap_free(hmap *m);
void hmap_clear(hmap *m);
/* Returns the stored value for key, or NULL. Valid until the next insert. */
const hansa_hash *hmap_get(const hmap *m, hmap_key key);
/* Inserts key -> val if key is absent and returns NULL; otherwise leaves the
 * map unchanged and returns the value already stored (until the next insert). */
const hansa_hash *hmap_put_new(hmap *m, hmap_key key, const hansa_hash *val);

#endif
