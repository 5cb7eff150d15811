/* vcache.h — a signature-verification cache shared by all simulated engines.
 *
 * In a 100-node run every vote is verified by 100 engines; Ed25519 verify is
 * the bulk of the cost. The cache remembers the outcome under
 * SHA-256(pk || domain || 0x00 || msg || sig), so each distinct signed message
 * is verified once. It is direct-mapped (a colliding entry replaces the old
 * one): forgetting is safe, a wrong answer is not, and the full 32-byte key
 * is compared before a stored answer is used. The real node passes NULL as
 * cons_app.verify and verifies every time. */
#ifndef HANSA_SIM_VCACHE_H
#define HANSA_SIM_VCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

typedef struct sim_vcache sim_vcache;

/* slots is rounded up to a power of two. */
sim_vcache *sim_vcache_new(size_t slots);
void sim_vcache_free(sim_vcache *c);

/* Same contract as verify_domain(); answers from the cache when it can. */
bool sim_vcache_verify(sim_vcache *c, const hansa_pubkey *pk, const char *domain,
                       const uint8_t *msg, size_t len, const hansa_sig *sig);

/* Counters for reports: lookups answered from the cache, and real verifies. */
void sim_vcache_stats(const sim_vcache *c, uint64_t *hits, uint64_t *misses);

#endif
