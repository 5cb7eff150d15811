/* kvmap.c — see kvmap.h: linear probing keyed by SipHash-2-4, with
 * backward-shift deletion so probe runs never hold holes. */
#include "ledger/kvmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/probe.h"
#include "ledger/acct_map.h"

#define KVMAP_CAP_MIN 16

void kvmap_init(kvmap *m, uint64_t k0, uint64_t k1) {
    memset(m, 0, sizeof *m);
    m->k0 = k0;
    m->k1 = k1;
}

void kvmap_free(kvmap *m) {
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].val);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static size_t home(const kvmap *m, const uint8_t *key, size_t klen) {
    return (size_t)ledger_siphash24(m->k0, m->k1, key, klen) & (m->cap - 1);
}

/* Index of key's slot or of the empty slot where it would go (load < 70%). */
static size_t find(const kvmap *m, const uint8_t *key, size_t klen) {
    HANSA_ASSERT(m->cap != 0);
    HANSA_ASSERT(klen > 0 && klen <= KVMAP_KEY_MAX);
    size_t mask = m->cap - 1, i = home(m, key, klen);
    for (size_t probes = 0; probes < m->cap; probes++, i = (i + 1) & mask) {
        const kvmap_slot *s = &m->slots[i];
        if (!s->used || (s->klen == klen && memcmp(s->key, key, klen) == 0)) return i;
    }
    HANSA_UNREACHABLE();
}

const kvmap_slot *kvmap_get(const kvmap *m, const uint8_t *key, size_t klen) {
    if (m->cap == 0) return NULL;
    const kvmap_slot *s = &m->slots[find(m, key, klen)];
    return s->used ? s : NULL;
}

static void grow(kvmap *m) {
    size_t old_cap = m->cap;
    kvmap_slot *old = m->slots;
    m->cap = old_cap ? old_cap * 2 : KVMAP_CAP_MIN;
    HANSA_ASSERT(m->cap > old_cap);
    m->slots = hansa_calloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].used) continue;
        kvmap_slot *s = &m->slots[find(m, old[i].key, old[i].klen)];
        HANSA_ASSERT(!s->used);
        *s = old[i];
    }
    free(old);
}

/* The slot for key, created empty (used, no value) if absent. */
static kvmap_slot *slot_for(kvmap *m, const uint8_t *key, size_t klen) {
    if (m->cap == 0 || (m->count + 1) * 10 > m->cap * 7) grow(m);
    kvmap_slot *s = &m->slots[find(m, key, klen)];
    if (!s->used) {
        memset(s, 0, sizeof *s);
        s->used = true;
        memcpy(s->key, key, klen);
        s->klen = (uint8_t)klen;
        m->count++;
    }
    free(s->val);
    s->val = NULL;
    s->vlen = 0;
    return s;
}

void kvmap_put(kvmap *m, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    HANSA_ASSERT(vlen > 0 && vlen <= UINT32_MAX);
    kvmap_slot *s = slot_for(m, key, klen);
    s->deleted = false;
    s->val = hansa_malloc(vlen);
    memcpy(s->val, val, vlen);
    s->vlen = (uint32_t)vlen;
}

void kvmap_mark_deleted(kvmap *m, const uint8_t *key, size_t klen) {
    kvmap_slot *s = slot_for(m, key, klen);
    s->deleted = true;
}

static size_t slot_home(const void *m, const void *slot) {
    const kvmap_slot *s = slot;
    return s->used ? home(m, s->key, s->klen) : PROBE_EMPTY;
}

bool kvmap_del(kvmap *m, const uint8_t *key, size_t klen) {
    if (m->cap == 0) return false;
    size_t i = find(m, key, klen);
    if (!m->slots[i].used) return false;
    free(m->slots[i].val);
    /* Backward shift (base/probe.h): no tombstones, no holes in a run. */
    i = probe_shift_back(m->slots, sizeof *m->slots, m->cap - 1, i, slot_home, m);
    memset(&m->slots[i], 0, sizeof m->slots[i]);
    m->count--;
    return true;
}
