/* heap.c — binary min-heap on (time_us, seq) over slotted events; see heap.h. */
#include "sim/heap.h"

#include <stdlib.h>

#include "base/assert.h"
#include "base/mem.h"

#define SLOT_MASK ((1ull << SIM_HEAP_SLOT_BITS) - 1)
/* Kept at key[n], past the last key: larger than any key (times and
 * sequence numbers are asserted below their maxima). */
#define KEY_SENTINEL (~(unsigned __int128)0)

void sim_heap_init(sim_heap *h) {
    h->key = NULL;
    h->slot = NULL;
    h->free_slot = NULL;
    h->n = h->cap = h->n_free = h->n_slots = 0;
    h->next_seq = 0;
}

void sim_heap_free(sim_heap *h) {
    free(h->key);
    free(h->slot);
    free(h->free_slot);
    sim_heap_init(h);
}

/* A slot for a new event: a freed one if any (the most recently freed, still
 * in cache), else the next never used. Every array has room for cap events,
 * so with n < cap after growing there is always one. */
static uint32_t take_slot(sim_heap *h) {
    if (h->n_free > 0) return h->free_slot[--h->n_free];
    HANSA_ASSERT(h->n_slots < h->cap);
    HANSA_ASSERT(h->n_slots <= SLOT_MASK);
    return (uint32_t)h->n_slots++;
}

static void grow(sim_heap *h) {
    size_t cap = h->cap ? h->cap * 2 : 1024;
    h->key = hansa_realloc(h->key, cap * sizeof *h->key);
    h->slot = hansa_realloc(h->slot, cap * sizeof *h->slot);
    h->free_slot = hansa_realloc(h->free_slot, cap * sizeof *h->free_slot);
    h->cap = cap;
}

void sim_heap_push(sim_heap *h, const sim_event *e) {
    if (h->n + 2 > h->cap) grow(h); /* room for the sentinel past the last key */
    HANSA_ASSERT(h->next_seq < SIM_HEAP_SEQ_MAX);
    uint64_t seq = h->next_seq++;
    uint32_t s = take_slot(h);
    h->slot[s] = *e;
    h->slot[s].seq = seq;
    unsigned __int128 x = (unsigned __int128)e->time_us << 64 | (seq << SIM_HEAP_SLOT_BITS | s);
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->key[parent] <= x) break;
        h->key[i] = h->key[parent];
        i = parent;
    }
    h->key[i] = x;
    h->key[h->n] = KEY_SENTINEL;
}

bool sim_heap_pop(sim_heap *h, sim_event *out) {
    if (h->n == 0) return false;
    unsigned __int128 top = h->key[0];
    uint32_t s = (uint32_t)((uint64_t)top & SLOT_MASK);
    *out = h->slot[s];
    h->free_slot[h->n_free++] = s;
    unsigned __int128 last = h->key[--h->n];
    h->key[h->n] = KEY_SENTINEL;
    /* The smaller child is picked without a branch (the sentinel stands in
     * for a missing right child): which child wins is a coin toss the
     * branch predictor would miss half the time, at every level. */
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= h->n) break;
        size_t m = l + (h->key[l + 1] < h->key[l]);
        if (last <= h->key[m]) break;
        h->key[i] = h->key[m];
        i = m;
    }
    if (h->n > 0) h->key[i] = last;
    HANSA_ASSERT(h->n == 0 || h->key[0] > top);
    HANSA_ASSERT((uint64_t)(top >> 64) == out->time_us);
    return true;
}
