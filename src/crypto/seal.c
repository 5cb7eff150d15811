/* seal.c — ephemeral-static X25519 sealing (see seal.h). */
#include "crypto/seal.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "base/assert.h"

#define SEAL_LABEL "hansa/seal/v1"

_Static_assert(crypto_scalarmult_BYTES == SEAL_KEY_BYTES, "x25519 size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == 16, "tag size");

/* k = BLAKE2b-256(key = shared, label || e_pub || to). Returns false for an
 * all-zero shared secret (a low-order point: no secret at all). */
static bool derive_key(const uint8_t e_priv_or_my_priv[32], const uint8_t peer[32],
                       const uint8_t e_pub[32], const uint8_t to[32],
                       uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES]) {
    uint8_t shared[32];
    if (crypto_scalarmult(shared, e_priv_or_my_priv, peer) != 0) {
        sodium_memzero(shared, sizeof shared);
        return false;
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, shared, sizeof shared, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
    crypto_generichash_update(&st, (const uint8_t *)SEAL_LABEL, sizeof SEAL_LABEL - 1);
    crypto_generichash_update(&st, e_pub, 32);
    crypto_generichash_update(&st, to, 32);
    crypto_generichash_final(&st, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(&st, sizeof st);
    return true;
}

static const uint8_t ZERO_NONCE[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

hansa_err seal_encrypt(const hansa_rng *rng, const uint8_t to[SEAL_KEY_BYTES], const void *ad,
                       size_t ad_len, const void *plain, size_t len, uint8_t *out) {
    uint8_t e_priv[32], key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    rng_fill(rng, e_priv, sizeof e_priv);
    HANSA_ASSERT(crypto_scalarmult_base(out, e_priv) == 0);
    bool ok = derive_key(e_priv, to, out, to, key);
    sodium_memzero(e_priv, sizeof e_priv);
    if (!ok) return HANSA_ERR_INVALID;
    unsigned long long clen = 0;
    HANSA_ASSERT(crypto_aead_chacha20poly1305_ietf_encrypt(out + 32, &clen, plain, len, ad, ad_len,
                                                           NULL, ZERO_NONCE, key) == 0);
    HANSA_ASSERT(clen == len + 16);
    sodium_memzero(key, sizeof key);
    return HANSA_OK;
}

hansa_err seal_decrypt(const uint8_t my_priv[SEAL_KEY_BYTES], const uint8_t my_pub[SEAL_KEY_BYTES],
                       const void *ad, size_t ad_len, const uint8_t *in, size_t in_len,
                       uint8_t *plain) {
    if (in_len < SEAL_OVERHEAD) return HANSA_ERR_TRUNCATED;
    uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    size_t len = in_len - SEAL_OVERHEAD;
    hansa_err err = HANSA_OK;
    if (!derive_key(my_priv, in, in, my_pub, key))
        err = HANSA_ERR_CRYPTO;
    else if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, NULL, NULL, in + 32, in_len - 32, ad,
                                                       ad_len, ZERO_NONCE, key) != 0)
        err = HANSA_ERR_CRYPTO;
    if (err != HANSA_OK && len > 0) memset(plain, 0, len);
    sodium_memzero(key, sizeof key);
    return err;
}
