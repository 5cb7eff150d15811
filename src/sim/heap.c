/* heap.c — binary min-heap on (time_us, seq); see heap.h. */
#include "sim/heap.h"

#include <stdlib.h>

#include "base/assert.h"
#include "base/mem.h"

static bool ev_before(const sim_event *a, const sim_event *b) {
    if (a->time_us != b->time_us) return a->time_us < b->time_us;
    return a->seq < b->seq;
}

void sim_heap_init(sim_heap *h) {
    h->ev = NULL;
    h->n = h->cap = 0;
    h->next_seq = 0;
}

void sim_heap_free(sim_heap *h) {
    free(h->ev);
    sim_heap_init(h);
}

void sim_heap_push(sim_heap *h, const sim_event *e) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->ev = hansa_realloc(h->ev, h->cap * sizeof *h->ev);
    }
    size_t i = h->n++;
    sim_event x = *e;
    x.seq = h->next_seq++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&x, &h->ev[parent])) break;
        h->ev[i] = h->ev[parent];
        i = parent;
    }
    h->ev[i] = x;
}

bool sim_heap_pop(sim_heap *h, sim_event *out) {
    if (h->n == 0) return false;
    *out = h->ev[0];
    sim_event last = h->ev[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const sim_event *best = &last;
        if (l < h->n && ev_before(&h->ev[l], best)) { m = l; best = &h->ev[l]; }
        if (r < h->n && ev_before(&h->ev[r], best)) m = r;
        if (m == i) break;
        h->ev[i] = h->ev[m];
        i = m;
    }
    if (h->n > 0) h->ev[i] = last;
    HANSA_ASSERT(h->n == 0 || !ev_before(&h->ev[0], out));
    return true;
}
