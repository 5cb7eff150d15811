/* heap.h — the simulator's discrete-event queue.
 *
 * A binary min-heap of events keyed by (time_us, seq). The sequence number is
 * assigned at push time and strictly increases, so two events due at the same
 * simulated microsecond always pop in the order they were scheduled: the run
 * depends only on the seed, never on how the heap happens to break ties.
 *
 * The heap orders 16-byte keys, not the events: each key is the event's time
 * and (seq << SIM_HEAP_SLOT_BITS | slot), one unsigned 128-bit compare, and
 * the event itself waits in a slot of its own that never moves until it pops
 * (slots are reused through a free list). Sifting a 56-byte event through
 * the heap's levels on every push and pop was ~3% of a run's time. */
#ifndef HANSA_SIM_HEAP_H
#define HANSA_SIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One scheduled event. `kind` and the payload fields are the driver's; the
 * heap looks only at time_us and seq. */
typedef struct {
    uint64_t time_us;
    uint64_t seq;      /* set by sim_heap_push */
    uint32_t kind;
    uint16_t node;     /* the node the event happens at */
    uint16_t peer;     /* sender of a message, other end of a clog */
    uint32_t inc;      /* incarnation of node it was scheduled for */
    uint32_t round;
    uint64_t height;   /* or a persist sequence number */
    uint8_t sub;       /* timer kind, ... */
    void *ptr;         /* a message; the heap never owns it */
} sim_event;

/* Events queued at once (a slot index fits the key's low bits), and events
 * pushed in a run (a sequence number fits the rest): 2^24 in flight is far
 * beyond what 128 nodes send in a message delay, and 2^40 pushes are
 * centuries of simulated time at a million events per second. */
#define SIM_HEAP_SLOT_BITS 24
#define SIM_HEAP_SEQ_MAX (UINT64_MAX >> SIM_HEAP_SLOT_BITS)

typedef struct {
    unsigned __int128 *key; /* the heap: time_us << 64 | seq << SLOT_BITS | slot */
    sim_event *slot;        /* events by slot */
    uint32_t *free_slot;    /* slots not in use, a stack */
    size_t n, cap;          /* keys in the heap; entries of each array */
    size_t n_free;
    size_t n_slots;         /* slots handed out so far (used or free) */
    uint64_t next_seq;
} sim_heap;

void sim_heap_init(sim_heap *h);
/* Frees the arrays only; the caller releases what events point to first. */
void sim_heap_free(sim_heap *h);
/* Copies *e in, stamping the next sequence number. */
void sim_heap_push(sim_heap *h, const sim_event *e);
/* Removes the earliest event into *out; false when the heap is empty. */
bool sim_heap_pop(sim_heap *h, sim_event *out);
static inline size_t sim_heap_len(const sim_heap *h) { return h->n; }

#endif
