/* valset.c — validator set arithmetic and weighted round-robin proposers.
 *
 * The quorum tests compare 3 * power with 2 * total (or 1 * total) in 64-bit
 * integers: total power is at most WIRE_TOTAL_POWER_MAX = 2^60, so 3x stays
 * below 2^62 and nothing overflows. Proposer selection is Tendermint's
 * proposer-priority walk, described in valset.h; it is integer-only and so
 * deterministic on every machine. */
#include "consensus/valset.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

static int validator_cmp(const void *a, const void *b) {
    const wire_validator *x = a, *y = b;
    return pubkey_cmp(&x->pubkey, &y->pubkey);
}

hansa_err valset_init(cons_valset *vs, const wire_validator *v, size_t n) {
    HANSA_ASSERT(vs != NULL);
    memset(vs, 0, sizeof *vs);
    if (n == 0) return HANSA_ERR_INVALID;
    if (n > WIRE_VALIDATORS_MAX) return HANSA_ERR_TOO_LONG;
    HANSA_ASSERT(v != NULL);
    memcpy(vs->v, v, n * sizeof *v);
    qsort(vs->v, n, sizeof *v, validator_cmp);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (vs->v[i].power == 0) return HANSA_ERR_INVALID;
        if (i > 0 && pubkey_eq(&vs->v[i - 1].pubkey, &vs->v[i].pubkey)) return HANSA_ERR_DUPLICATE;
        /* Each power is checked before the add, so the sum cannot wrap. */
        if (vs->v[i].power > WIRE_TOTAL_POWER_MAX) return HANSA_ERR_OVERFLOW;
        total += vs->v[i].power;
        if (total > WIRE_TOTAL_POWER_MAX) return HANSA_ERR_OVERFLOW;
    }
    vs->n = (uint16_t)n;
    vs->total_power = total;
    return HANSA_OK;
}

int valset_index(const cons_valset *vs, const hansa_pubkey *pk) {
    size_t lo = 0, hi = vs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = pubkey_cmp(&vs->v[mid].pubkey, pk);
        if (c == 0) return (int)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

bool valset_is_quorum(const cons_valset *vs, uint64_t power) {
    HANSA_ASSERT(power <= vs->total_power);
    HANSA_ASSERT(vs->total_power <= WIRE_TOTAL_POWER_MAX);
    return power * 3 > vs->total_power * 2;
}

bool valset_is_one_third(const cons_valset *vs, uint64_t power) {
    HANSA_ASSERT(power <= vs->total_power);
    HANSA_ASSERT(vs->total_power <= WIRE_TOTAL_POWER_MAX);
    return power * 3 > vs->total_power;
}

/* One step of the walk over priority[]: everybody gains its power, the
 * highest priority (lowest index on ties) wins and pays the total. Returns
 * the winner. With priorities summing to zero the sum stays zero, and every
 * priority stays within [-total, total]; the assert keeps that honest since
 * an overflow here would silently change who proposes. */
static uint16_t priority_step(const cons_valset *vs, int64_t *priority) {
    HANSA_ASSERT(vs->n > 0);
    uint16_t best = 0;
    for (uint16_t i = 0; i < vs->n; i++) {
        priority[i] += (int64_t)vs->v[i].power;
        if (priority[i] > priority[best]) best = i;
    }
    priority[best] -= (int64_t)vs->total_power;
    const int64_t bound = 2 * (int64_t)WIRE_TOTAL_POWER_MAX;
    HANSA_ASSERT(priority[best] >= -bound);
    HANSA_ASSERT(priority[best] <= bound);
    return best;
}

/* The next step's winner, passing over absent members (at most n extra
 * steps: if every winner so far was absent, the last one proposes). */
static uint16_t present_step(const cons_valset *vs, int64_t *priority) {
    uint16_t who = priority_step(vs, priority);
    for (uint16_t k = 0; k < vs->n && vs->absent[who]; k++) who = priority_step(vs, priority);
    return who;
}

uint16_t valset_proposer(const cons_valset *vs, uint32_t round) {
    int64_t priority[WIRE_VALIDATORS_MAX];
    memcpy(priority, vs->priority, vs->n * sizeof priority[0]);
    uint16_t who = present_step(vs, priority);
    for (uint32_t r = 0; r < round; r++) who = present_step(vs, priority);
    HANSA_ASSERT(who < vs->n);
    return who;
}

void valset_advance(cons_valset *vs) { (void)priority_step(vs, vs->priority); }

wire_valset valset_as_wire(const cons_valset *vs) {
    /* wire_valset's pointer is non-const because decoded sets own theirs;
     * this view must not be freed or written through. */
    return (wire_valset){.n = vs->n, .v = (wire_validator *)vs->v};
}
