/* sha256.c — SHA-256 on libsodium (crypto_hash_sha256).
 * The backend choice is revisited by measurement in docs/crypto.md. */
#include "crypto/sha256.h"

#include <sodium.h>

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(sha256_ctx), "sha256_ctx too small");

void sha256(const void *data, size_t len, hansa_hash *out) {
    crypto_hash_sha256(out->b, data, len);
}

void sha256_init(sha256_ctx *c) { crypto_hash_sha256_init((crypto_hash_sha256_state *)c->opaque); }

void sha256_update(sha256_ctx *c, const void *data, size_t len) {
    crypto_hash_sha256_update((crypto_hash_sha256_state *)c->opaque, data, len);
}

void sha256_final(sha256_ctx *c, hansa_hash *out) {
    crypto_hash_sha256_final((crypto_hash_sha256_state *)c->opaque, out->b);
}

const char *sha256_backend(void) { return "libsodium"; }
