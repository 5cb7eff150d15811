/* hmap.c — see hmap.h. */
#include "base/hmap.h"

#include <stdlib.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/probe.h"

static size_t slot_of(const hmap *m, const hansa_hash *key) {
    return (size_t)le64_load(key->b) & (m->cap - 1);
}

static void grow(hmap *m) {
    hmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->slots = hansa_calloc(m->cap, sizeof *m->slots);
    m->len = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used) hmap_put(m, &old.slots[i].key, old.slots[i].value);
    free(old.slots);
}

void hmap_put(hmap *m, const hansa_hash *key, uint64_t value) {
    if ((m->len + 1) * 2 > m->cap) grow(m);
    size_t i = slot_of(m, key);
    while (m->slots[i].used && !hash_eq(&m->slots[i].key, key)) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].used) m->len++;
    m->slots[i] = (hmap_slot){*key, value, true};
}

static bool find(const hmap *m, const hansa_hash *key, size_t *at) {
    if (m->cap == 0) return false;
    for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].used) return false;
        if (hash_eq(&m->slots[i].key, key)) {
            *at = i;
            return true;
        }
    }
}

bool hmap_get(const hmap *m, const hansa_hash *key, uint64_t *value) {
    size_t i;
    if (!find(m, key, &i)) return false;
    if (value) *value = m->slots[i].value;
    return true;
}

static size_t slot_home(const void *m, const void *slot) {
    const hmap_slot *x = slot;
    return x->used ? slot_of(m, &x->key) : PROBE_EMPTY;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
bool hmap_del(hmap *m, const hansa_hash *key) {
    size_t i;
    if (!find(m, key, &i)) return false;
    i = probe_shift_back(m->slots, sizeof *m->slots, m->cap - 1, i, slot_home, m);
    m->slots[i].used = false;
    m->len--;
    HANSA_ASSERT(m->len < m->cap);
    return true;
}

void hmap_clear(hmap *m) {
    for (size_t i = 0; i < m->cap; i++) m->slots[i].used = false;
    m->len = 0;
}

void hmap_free(hmap *m) {
    free(m->slots);
    *m = (hmap)HMAP_INIT;
}
