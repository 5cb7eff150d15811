/* probe.h — backward-shift deletion for open-addressing tables with linear
 * probing (hmap, kvmap, the mempool's bytes index, the simulator's disk
 * index).
 *
 * Written once because the condition is easy to get subtly wrong (a wrong
 * half of it loses an entry only when a probe chain wraps past the table's
 * end, or only when an entry's home is the hole) and, where a lookup has a
 * fallback, a wrong one costs speed, never an answer, so only the
 * mempool's debug key hooks catch it (test_mempool: test_bytes_index_wrap,
 * _cluster, _last_home). One copy means those tests cover every table.
 *
 * Inline with the callback as an argument: each caller passes a static
 * function, which the compiler inlines, so the loop is what a hand-written
 * copy was (the simulator's disk index runs it on every deleted key). */
#ifndef HANSA_BASE_PROBE_H
#define HANSA_BASE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* What a probe_home_fn returns for an empty slot. */
#define PROBE_EMPTY SIZE_MAX

/* The home slot (where its probe starts, below cap) of the entry in slot,
 * or PROBE_EMPTY if the slot holds none. ctx: the caller's table. */
typedef size_t (*probe_home_fn)(const void *ctx, const void *slot);

/* True if home, the home of the entry at slot j, lies cyclically in
 * (i, j]: moved back to the hole at i, that entry would sit before its
 * home, where no probe for it starts, so it stays. */
static inline bool probe_home_between(size_t i, size_t j, size_t home) {
    return i <= j ? (home > i && home <= j) : (home > i || home <= j);
}

/* Closes the hole at slot i (its entry already released by the caller) in
 * slots, cap = mask + 1 slots of size bytes each, by moving back every
 * later entry of the probe run that may move, each into the hole the last
 * move left. Returns the slot left over, which the caller marks empty
 * (and counts one entry fewer). */
static inline size_t probe_shift_back(void *slots, size_t size, size_t mask, size_t i,
                                      probe_home_fn home, const void *ctx) {
    uint8_t *s = slots;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        size_t h = home(ctx, s + j * size);
        if (h == PROBE_EMPTY) return i;
        if (!probe_home_between(i, j, h)) {
            memcpy(s + i * size, s + j * size, size);
            i = j;
        }
    }
}

#endif
