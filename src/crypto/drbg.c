/* drbg.c — see drbg.h. */
#include "crypto/drbg.h"

#include <sodium.h>
#include <string.h>

#include "base/assert.h"

void crypto_drbg_init(crypto_drbg *d, const uint8_t seed[CRYPTO_DRBG_SEED_BYTES]) {
    memcpy(d->seed, seed, CRYPTO_DRBG_SEED_BYTES);
    d->fills = 0;
}

static void drbg_fill(void *ctx, void *buf, size_t n) {
    crypto_drbg *d = ctx;
    uint8_t counter[8], key[randombytes_SEEDBYTES];
    for (int i = 0; i < 8; i++) counter[i] = (uint8_t)(d->fills >> (8 * i));
    d->fills++;
    HANSA_ASSERT(crypto_generichash(key, sizeof key, counter, sizeof counter, d->seed,
                                    sizeof d->seed) == 0);
    randombytes_buf_deterministic(buf, n, key);
    sodium_memzero(key, sizeof key);
}

hansa_rng crypto_drbg_rng(crypto_drbg *d) { return (hansa_rng){drbg_fill, d}; }

void crypto_drbg_wipe(crypto_drbg *d) { sodium_memzero(d, sizeof *d); }
