/* rng.h — randomness as an input, and a seeded generator for tests and the simulator.
 *
 * Protocol code that needs randomness takes a hansa_rng. The node passes one
 * backed by the OS CSPRNG (crypto/random.h); tests and the simulator pass a
 * hansa_prng so that a run replays exactly from its seed. The PRNG is
 * xoshiro256** seeded through splitmix64: fast and well distributed, and NOT
 * for keys. */
#ifndef HANSA_BASE_RNG_H
#define HANSA_BASE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct hansa_rng {
    void (*fill)(void *ctx, void *buf, size_t n);
    void *ctx;
} hansa_rng;

static inline void rng_fill(const hansa_rng *r, void *buf, size_t n) { r->fill(r->ctx, buf, n); }

typedef struct {
    uint64_t s[4];
} hansa_prng;

void prng_seed(hansa_prng *p, uint64_t seed);
uint64_t prng_next(hansa_prng *p);
/* Uniform in [0, bound); bound > 0. Unbiased (rejection sampling). */
uint64_t prng_below(hansa_prng *p, uint64_t bound);
/* True with probability num/den. */
int prng_chance(hansa_prng *p, uint64_t num, uint64_t den);
void prng_fill(hansa_prng *p, void *buf, size_t n);
/* A hansa_rng that draws from p (p must outlive it). */
hansa_rng prng_as_rng(hansa_prng *p);

#endif
