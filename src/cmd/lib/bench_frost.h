/* bench_frost.h — `hansa bench-crypto --frost`: FROST threshold signing at
 * a chain's size (docs/frost.md, "Performance").
 *
 * At n delegates and t = floor(2n/3) + 1: round one and round two per
 * signer, aggregation, verifications/s of one group signature next to a
 * t-signature Ed25519 commit certificate, a whole dealerless key generation
 * of the set, and the bytes on the wire to sign one checkpoint. Times are
 * also given in Ed25519 verifications measured in the same run. */
#ifndef HANSA_CMD_BENCH_FROST_H
#define HANSA_CMD_BENCH_FROST_H

#include <stdint.h>

/* Prints the figures to stdout; about 6 * ms milliseconds plus one key
 * generation. 2 <= n <= FROST_PARTICIPANTS_MAX. */
void bench_frost(uint16_t n, uint64_t ms);

#endif
