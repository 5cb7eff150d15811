/* smap.c — linear-probing map on three-word keys; see smap.h. */
#include "sim/smap.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t key_hash(smap_key k) { return mix(k.a ^ mix(k.b ^ mix(k.c))); }

static bool key_eq(smap_key x, smap_key y) { return x.a == y.a && x.b == y.b && x.c == y.c; }

void smap_init(smap *m) {
    m->slots = NULL;
    m->cap = m->n = 0;
    m->gen = 1;
}

void smap_free(smap *m) {
    free(m->slots);
    smap_init(m);
}

void smap_clear(smap *m) {
    m->n = 0;
    if (++m->gen != 0) return;
    /* After 2^32 - 1 clears: slots of an old generation may carry the new
     * one's number, so every slot is reset once. */
    if (m->slots) memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->gen = 1;
}

static bool used(const smap *m, const smap_slot *s) { return s->gen == m->gen; }

static smap_slot *find(const smap *m, smap_key key) {
    HANSA_ASSERT(m->cap > 0);
    size_t mask = m->cap - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        smap_slot *s = &m->slots[i];
        if (!used(m, s) || key_eq(s->key, key)) return s;
    }
}

const hansa_hash *smap_get(const smap *m, smap_key key) {
    if (m->cap == 0) return NULL;
    const smap_slot *s = find(m, key);
    return used(m, s) ? &s->val : NULL;
}

static void grow(smap *m) {
    /* A map not made by smap_init (generation 0) would take every fresh,
     * zeroed slot for a used one; every map grows before its first put. */
    HANSA_ASSERT(m->gen != 0);
    smap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = hansa_calloc(m->cap, sizeof *m->slots);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!used(&old, &old.slots[i])) continue;
        *find(m, old.slots[i].key) = old.slots[i];
        m->n++;
    }
    HANSA_ASSERT(m->n == old.n);
    free(old.slots);
}

const hansa_hash *smap_put_new(smap *m, smap_key key, const hansa_hash *val) {
    if ((m->n + 1) * 10 > m->cap * 7) grow(m);
    smap_slot *s = find(m, key);
    if (used(m, s)) return &s->val;
    s->gen = m->gen;
    s->key = key;
    s->val = *val;
    m->n++;
    return NULL;
}

void smap_set(smap *m, smap_key key, const hansa_hash *val) {
    if ((m->n + 1) * 10 > m->cap * 7) grow(m);
    smap_slot *s = find(m, key);
    if (!used(m, s)) {
        s->gen = m->gen;
        s->key = key;
        m->n++;
    }
    s->val = *val;
}
