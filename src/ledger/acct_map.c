/* acct_map.c — see acct_map.h: linear probing keyed by SipHash-2-4.
 *
 * SipHash-2-4 follows Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF" (2012): 2 compression rounds per 8-byte word, 4 finalization rounds,
 * the last word carrying the message length in its top byte. */
#include "ledger/acct_map.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"

#define ACCT_MAP_CAP_MIN 16

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIPROUND                                                                 \
    do {                                                                         \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                   \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                   \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                \
    } while (0)

uint64_t ledger_siphash24(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len) {
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t full = len / 8 * 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = le64_load(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = full; i < len; i++) last |= (uint64_t)in[i] << (8 * (i - full));
    v3 ^= last;
    SIPROUND;
    SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

#define KEY_LABEL_MAX 32

void ledger_siphash_key_derive(uint64_t k0, uint64_t k1, const char *label, uint64_t *d0,
                               uint64_t *d1) {
    uint8_t in[KEY_LABEL_MAX + 1];
    size_t n = strlen(label);
    HANSA_ASSERT(n > 0 && n <= KEY_LABEL_MAX); /* labels are constants */
    memcpy(in, label, n);
    in[n] = 0;
    *d0 = ledger_siphash24(k0, k1, in, n + 1);
    in[n] = 1;
    *d1 = ledger_siphash24(k0, k1, in, n + 1);
}

void acct_map_init(acct_map *m, const uint8_t key[ACCT_MAP_KEY_BYTES]) {
    HANSA_ASSERT(m != NULL);
    HANSA_ASSERT(key != NULL);
    memset(m, 0, sizeof *m);
    m->k0 = le64_load(key);
    m->k1 = le64_load(key + 8);
}

void acct_map_free(acct_map *m) {
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void acct_map_clear(acct_map *m, size_t keep_max) {
    if (m->cap > keep_max) {
        acct_map_free(m);
        return;
    }
    if (m->cap != 0) memset(m->slots, 0, m->cap * sizeof *m->slots);
    m->count = 0;
}

void acct_map_take_slots(acct_map *m, acct_map *from) {
    HANSA_ASSERT(m->cap == 0);
    HANSA_ASSERT(from->count == 0);
    m->slots = from->slots;
    m->cap = from->cap;
    from->slots = NULL;
    from->cap = 0;
}

uint64_t acct_map_hash(const acct_map *m, const hansa_addr *addr) {
    return ledger_siphash24(m->k0, m->k1, addr->b, HANSA_ADDR_BYTES);
}

/* Index of addr's slot, or of the empty slot where it would go. The table is
 * never full (load <= 70%), so the probe ends. */
static size_t find_slot_hashed(const acct_map *m, const hansa_addr *addr, uint64_t h) {
    HANSA_ASSERT(m->cap != 0);
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;
    for (size_t probes = 0; probes < m->cap; probes++, i = (i + 1) & mask) {
        if (!m->slots[i].used || addr_eq(&m->slots[i].addr, addr)) return i;
    }
    HANSA_UNREACHABLE();
}

static size_t find_slot(const acct_map *m, const hansa_addr *addr) {
    return find_slot_hashed(m, addr, acct_map_hash(m, addr));
}

const ledger_account *acct_map_get_hashed(const acct_map *m, const hansa_addr *addr, uint64_t h) {
#ifndef NDEBUG
    HANSA_ASSERT(h == acct_map_hash(m, addr)); /* debug builds: the caller's hash is this map's */
#endif
    if (m->cap == 0) return NULL;
    const acct_slot *s = &m->slots[find_slot_hashed(m, addr, h)];
    return s->used ? &s->acct : NULL;
}

const ledger_account *acct_map_get(const acct_map *m, const hansa_addr *addr) {
    return acct_map_get_hashed(m, addr, acct_map_hash(m, addr));
}

static void grow(acct_map *m) {
    size_t old_cap = m->cap;
    acct_slot *old = m->slots;
    size_t cap = old_cap ? old_cap * 2 : ACCT_MAP_CAP_MIN;
    HANSA_ASSERT(cap > old_cap); /* no size_t overflow */
    m->slots = hansa_calloc(cap, sizeof *m->slots);
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].used) continue;
        acct_slot *s = &m->slots[find_slot(m, &old[i].addr)];
        HANSA_ASSERT(!s->used);
        *s = old[i];
    }
    free(old);
}

void acct_map_put_hashed(acct_map *m, const hansa_addr *addr, uint64_t h,
                         const ledger_account *acct) {
#ifndef NDEBUG
    HANSA_ASSERT(h == acct_map_hash(m, addr)); /* debug builds: the caller's hash is this map's */
#endif
    /* Grow before the insert that would take the load over 70%. */
    if (m->cap == 0 || (m->count + 1) * 10 > m->cap * 7) grow(m);
    acct_slot *s = &m->slots[find_slot_hashed(m, addr, h)];
    if (!s->used) {
        s->used = true;
        s->addr = *addr;
        m->count++;
    }
    s->acct = *acct;
    HANSA_ASSERT(m->count < m->cap);
}

void acct_map_put(acct_map *m, const hansa_addr *addr, const ledger_account *acct) {
    acct_map_put_hashed(m, addr, acct_map_hash(m, addr), acct);
}
