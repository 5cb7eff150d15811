/* sha256.h — SHA-256, one-shot and streaming.
 *
 * The implementation behind it is chosen by measurement (see sha256.c and the
 * `hansa bench-crypto` figures in docs/crypto.md). */
#ifndef HANSA_CRYPTO_SHA256_H
#define HANSA_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* Large enough for either backend's state; checked with _Static_assert in sha256.c. */
typedef struct {
    _Alignas(16) uint8_t opaque[128];
} sha256_ctx;

void sha256(const void *data, size_t len, hansa_hash *out);
void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, hansa_hash *out);

/* Which backend this build uses ("openssl" or "libsodium"), for reports. */
const char *sha256_backend(void);

/* The backends that were measured against each other (docs/crypto.md):
 * OpenSSL's low-level SHA256_* functions, OpenSSL's EVP interface with a
 * prefetched algorithm and a reused per-thread context (the runner-up), and
 * libsodium. */
typedef enum { SHA256_IMPL_OPENSSL, SHA256_IMPL_OPENSSL_EVP, SHA256_IMPL_LIBSODIUM } sha256_impl;
#define SHA256_IMPL_COUNT 3
/* The backend behind sha256() and the streaming functions. */
#define SHA256_IMPL_CHOSEN SHA256_IMPL_OPENSSL

/* One-shot SHA-256 through a named backend, for `hansa bench-crypto` and for
 * the test that checks the backends agree. Everything else calls sha256(). */
void sha256_via(sha256_impl impl, const void *data, size_t len, hansa_hash *out);
/* Returns a static name for impl ("openssl", "openssl-evp", "libsodium"). */
const char *sha256_impl_name(sha256_impl impl);

#endif
