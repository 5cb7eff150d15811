/* drbg.h — a deterministic random generator keyed by a secret seed.
 *
 * A delegate deals its DKG polynomial, proofs and share seals from one of
 * these (node/frost_duty.c): it persists the 32-byte seed before the first
 * share leaves, so after a crash it deals exactly the same polynomial and
 * messages again instead of a second, conflicting one. Each fill draws
 * from libsodium's randombytes_buf_deterministic (ChaCha20) under the key
 * BLAKE2b(seed, counter), the counter counting fills: the same seed and
 * the same sequence of fills give the same bytes, and nothing about the
 * seed can be learned from the output. */
#ifndef HANSA_CRYPTO_DRBG_H
#define HANSA_CRYPTO_DRBG_H

#include <stdint.h>

#include "base/rng.h"

#define CRYPTO_DRBG_SEED_BYTES 32

typedef struct {
    uint8_t seed[CRYPTO_DRBG_SEED_BYTES];
    uint64_t fills;
} crypto_drbg;

void crypto_drbg_init(crypto_drbg *d, const uint8_t seed[CRYPTO_DRBG_SEED_BYTES]);
/* A hansa_rng drawing from d (d must outlive it). */
hansa_rng crypto_drbg_rng(crypto_drbg *d);
/* Wipes the seed. */
void crypto_drbg_wipe(crypto_drbg *d);

#endif
