/* heap.h — the simulator's discrete-event queue.
 *
 * A binary min-heap of events keyed by (time_us, seq). The sequence number is
 * assigned at push time and strictly increases, so two events due at the same
 * simulated microsecond always pop in the order they were scheduled: the run
 * depends only on the seed, never on how the heap happens to break ties. */
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

typedef struct {
    sim_event *ev;
    size_t n, cap;
    uint64_t next_seq;
} sim_heap;

void sim_heap_init(sim_heap *h);
/* Frees the array only; the caller releases what events point to first. */
void sim_heap_free(sim_heap *h);
/* Copies *e in, stamping the next sequence number. */
void sim_heap_push(sim_heap *h, const sim_event *e);
/* Removes the earliest event into *out; false when the heap is empty. */
bool sim_heap_pop(sim_heap *h, sim_event *out);
static inline size_t sim_heap_len(const sim_heap *h) { return h->n; }

#endif
