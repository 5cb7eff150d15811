/* seal.h — public-key encryption of one short message to an X25519 key.
 *
 * A DKG dealer's share for participant j must reach j alone, over whatever
 * carries it (a Noise link, gossip, the chain): sealing it to j's key keeps
 * the transport out of the protocol. Each message draws a fresh ephemeral
 * X25519 key e; the key k = BLAKE2b-256(keyed by X25519(e, to),
 * "hansa/seal/v1" || e_pub || to) is used once, for ChaCha20-Poly1305 (IETF)
 * with a zero nonce, over the plaintext with `ad` authenticated. This is
 * libsodium's crypto_box_seal construction with a BLAKE2b KDF that also
 * binds the recipient and associated data, the way HPKE's base mode does.
 *
 * The recipient's X25519 key is its delegate identity mapped from Ed25519
 * (noise_pubkey_from_ed25519), the same key its Noise links present. The
 * seal gives confidentiality and integrity but no sender authentication:
 * the sealed plaintext carries the sender's signature where that matters. */
#ifndef HANSA_CRYPTO_SEAL_H
#define HANSA_CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rng.h"

#define SEAL_KEY_BYTES 32
#define SEAL_OVERHEAD (32 + 16) /* ephemeral public key + Poly1305 tag */

/* Writes e_pub || ciphertext || tag (len + SEAL_OVERHEAD bytes) to out. The
 * ephemeral private key is drawn from rng and wiped. Returns
 * HANSA_ERR_INVALID if `to` is a low-order point (no shared secret). */
hansa_err seal_encrypt(const hansa_rng *rng, const uint8_t to[SEAL_KEY_BYTES], const void *ad,
                       size_t ad_len, const void *plain, size_t len, uint8_t *out);

/* Opens what seal_encrypt made for (my_priv, my_pub) into plain[in_len -
 * SEAL_OVERHEAD]. HANSA_ERR_TRUNCATED if in_len < SEAL_OVERHEAD,
 * HANSA_ERR_CRYPTO if it was not sealed to this key with this ad or was
 * altered (plain is zeroed then). */
hansa_err seal_decrypt(const uint8_t my_priv[SEAL_KEY_BYTES], const uint8_t my_pub[SEAL_KEY_BYTES],
                       const void *ad, size_t ad_len, const uint8_t *in, size_t in_len,
                       uint8_t *plain);

#endif
