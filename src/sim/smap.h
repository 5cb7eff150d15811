/* smap.h — a small open-addressing map for the simulator's bookkeeping.
 *
 * Keys are three u64 words (a height, a packed validator/round/step, ...),
 * values a 32-byte hash. Linear probing in a power-of-two table that doubles
 * at 70% load; no deletion, only smap_clear, which keeps the allocation and
 * writes none of it (a slot is in use only when it carries the map's
 * current generation: votes_seen, cleared at every height a node sees,
 * was a 4 KB memset each time, 1.2% of a run's instructions). The
 * hash of a key is a fixed mix of its words, so iteration-free use is fully
 * deterministic. */
#ifndef HANSA_SIM_SMAP_H
#define HANSA_SIM_SMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

typedef struct {
    uint64_t a, b, c;
} smap_key;

typedef struct {
    smap_key key;
    hansa_hash val;
    uint32_t gen; /* in use when equal to its map's gen */
} smap_slot;

typedef struct {
    smap_slot *slots;
    size_t cap, n;
    uint32_t gen; /* never 0, which fresh slots carry */
} smap;

void smap_init(smap *m);
void smap_free(smap *m);
void smap_clear(smap *m);
/* Returns the stored value for key, or NULL. Valid until the next insert. */
const hansa_hash *smap_get(const smap *m, smap_key key);
/* Inserts key -> val if key is absent and returns NULL; otherwise leaves the
 * map unchanged and returns the value already stored (until the next insert). */
const hansa_hash *smap_put_new(smap *m, smap_key key, const hansa_hash *val);

/* Inserts key -> val, or overwrites the value stored for key. */
void smap_set(smap *m, smap_key key, const hansa_hash *val);

#endif
