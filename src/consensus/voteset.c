/* voteset.c — see voteset.h. */
#include "consensus/voteset.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

void cons_voteset_init(cons_voteset *s, uint16_t n) {
    HANSA_ASSERT(n >= 1);
    HANSA_ASSERT(n <= WIRE_VALIDATORS_MAX);
    memset(s, 0, sizeof *s);
    s->n = n;
    /* One allocation for the three arrays (tally, slot, alt): two vote sets
     * are made for every round of every height. The tally, the most aligned,
     * comes first. */
    _Static_assert(_Alignof(cons_vote_slot) <= _Alignof(cons_tally), "slots after the tally");
    size_t tally = 2 * (size_t)n * sizeof(cons_tally);
    uint8_t *mem = hansa_calloc(1, tally + 2 * (size_t)n * sizeof(cons_vote_slot));
    s->tally = (cons_tally *)(void *)mem;
    s->slot = (cons_vote_slot *)(void *)(mem + tally);
    s->alt = s->slot + n;
}

void cons_voteset_clear(cons_voteset *s) {
    HANSA_ASSERT(s->tally != NULL);
    size_t n = s->n;
    memset(s->tally, 0, 2 * n * sizeof(cons_tally) + 2 * n * sizeof(cons_vote_slot));
    s->n_tally = 0;
    s->power_any = 0;
}

void cons_voteset_free(cons_voteset *s) {
    free(s->tally); /* holds slot and alt too */
    memset(s, 0, sizeof *s);
}

static bool block_id_eq(const block_id *a, const block_id *b) {
    return a->present == b->present && hash_eq(&a->hash, &b->hash);
}

const cons_vote_slot *cons_voteset_vote_for(const cons_voteset *s, uint16_t idx,
                                            const block_id *b) {
    HANSA_ASSERT(idx < s->n);
    if (s->slot[idx].has && block_id_eq(&s->slot[idx].block, b)) return &s->slot[idx];
    if (s->alt[idx].has && block_id_eq(&s->alt[idx].block, b)) return &s->alt[idx];
    return NULL;
}

cons_vs_check cons_voteset_check(const cons_voteset *s, uint16_t idx, const block_id *b) {
    HANSA_ASSERT(idx < s->n);
    if (!s->slot[idx].has) return CONS_VS_NEW;
    if (cons_voteset_vote_for(s, idx, b) != NULL) return CONS_VS_SAME;
    return s->alt[idx].has ? CONS_VS_FULL : CONS_VS_CONFLICT;
}

/* Adds power to b's tally entry, creating it (or reusing an entry whose
 * power fell to zero) if needed. Each validator holds at most two faces, so
 * at most 2n entries have power at any time and 2n slots always suffice. */
static void tally_add(cons_voteset *s, const block_id *b, uint64_t power) {
    cons_tally *free_entry = NULL;
    for (uint16_t i = 0; i < s->n_tally; i++) {
        if (block_id_eq(&s->tally[i].block, b)) {
            s->tally[i].power += power;
            return;
        }
        if (s->tally[i].power == 0 && free_entry == NULL) free_entry = &s->tally[i];
    }
    if (free_entry == NULL) {
        HANSA_ASSERT(s->n_tally < 2 * s->n);
        free_entry = &s->tally[s->n_tally++];
    }
    *free_entry = (cons_tally){.block = *b, .power = power};
}

static void tally_sub(cons_voteset *s, const block_id *b, uint64_t power) {
    for (uint16_t i = 0; i < s->n_tally; i++) {
        if (!block_id_eq(&s->tally[i].block, b)) continue;
        HANSA_ASSERT(s->tally[i].power >= power);
        s->tally[i].power -= power;
        return;
    }
    HANSA_UNREACHABLE();
}

void cons_voteset_add(cons_voteset *s, uint16_t idx, const block_id *b, const hansa_sig *sig,
                      uint64_t power) {
    HANSA_ASSERT(idx < s->n);
    HANSA_ASSERT(!s->alt[idx].has);
    HANSA_ASSERT(cons_voteset_vote_for(s, idx, b) == NULL);
    cons_vote_slot *into = s->slot[idx].has ? &s->alt[idx] : &s->slot[idx];
    if (into == &s->slot[idx]) s->power_any += power; /* a validator counts once here */
    *into = (cons_vote_slot){.has = true, .block = *b, .sig = *sig};
    tally_add(s, b, power);
}

void cons_voteset_replace_alt(cons_voteset *s, uint16_t idx, const block_id *b,
                              const hansa_sig *sig, uint64_t power) {
    HANSA_ASSERT(idx < s->n);
    HANSA_ASSERT(s->alt[idx].has);
    HANSA_ASSERT(cons_voteset_vote_for(s, idx, b) == NULL);
    tally_sub(s, &s->alt[idx].block, power);
    s->alt[idx] = (cons_vote_slot){.has = true, .block = *b, .sig = *sig};
    tally_add(s, b, power);
}

uint64_t cons_voteset_power_for(const cons_voteset *s, const block_id *b) {
    for (uint16_t i = 0; i < s->n_tally; i++)
        if (block_id_eq(&s->tally[i].block, b)) return s->tally[i].power;
    return 0;
}

bool cons_voteset_quorum_block(const cons_voteset *s, const cons_valset *vs, hansa_hash *id) {
    for (uint16_t i = 0; i < s->n_tally; i++) {
        if (!s->tally[i].block.present) continue;
        if (!valset_is_quorum(vs, s->tally[i].power)) continue;
        *id = s->tally[i].block.hash;
        return true;
    }
    return false;
}
