/* rng.c — xoshiro256** (Blackman & Vigna), seeded with splitmix64. */
#include "base/rng.h"

#include <string.h>

#include "base/assert.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void prng_seed(hansa_prng *p, uint64_t seed) {
    for (int i = 0; i < 4; i++) p->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t prng_next(hansa_prng *p) {
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t prng_below(hansa_prng *p, uint64_t bound) {
    HANSA_ASSERT(bound > 0);
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = prng_next(p);
    while (x >= limit);
    return x % bound;
}

int prng_chance(hansa_prng *p, uint64_t num, uint64_t den) {
    HANSA_ASSERT(den > 0);
    return prng_below(p, den) < num;
}

void prng_fill(hansa_prng *p, void *buf, size_t n) {
    uint8_t *out = buf;
    while (n > 0) {
        uint64_t x = prng_next(p);
        size_t k = n < 8 ? n : 8;
        memcpy(out, &x, k);
        out += k;
        n -= k;
    }
}

static void prng_fill_cb(void *ctx, void *buf, size_t n) { prng_fill(ctx, buf, n); }

hansa_rng prng_as_rng(hansa_prng *p) { return (hansa_rng){prng_fill_cb, p}; }
