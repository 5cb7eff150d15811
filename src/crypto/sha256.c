/* sha256.c — SHA-256 on OpenSSL's low-level SHA256_Init/Update/Final.
 *
 * Chosen by measurement (docs/crypto.md, `hansa bench-crypto`): hansa hashes
 * mostly small messages — 65-byte Merkle nodes, ~200-byte transactions — so
 * per-call overhead matters as much as bulk speed. OpenSSL's block function
 * uses the SHA-NI instructions where the CPU has them (and AVX2/SSSE3 code
 * otherwise); libsodium 1.0.18 has only portable C. Among OpenSSL's entry
 * points the low-level one is the fastest for small inputs: its state is a
 * plain struct that lives on the caller's stack (no allocation, no provider
 * dispatch), whereas EVP_Digest allocates a context per call and the
 * SHA256() one-shot re-fetches the algorithm each time.
 *
 * OpenSSL 3 marks the low-level digest functions deprecated; they remain in
 * every 3.x release. We silence the deprecation warning in this one file only.
 * Should a future OpenSSL drop them, the measured runner-up is a prefetched
 * EVP_MD with a reused EVP_MD_CTX (docs/crypto.md has its figures).
 *
 * The EVP runner-up and libsodium stay available through sha256_via() so the
 * benchmark can compare all three and the tests can check that they agree. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "base/assert.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(sha256_ctx), "sha256_ctx too small for OpenSSL");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(sha256_ctx), "sha256_ctx under-aligned");
_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(sha256_ctx),
               "sha256_ctx too small for libsodium");
_Static_assert(SHA256_DIGEST_LENGTH == HANSA_HASH_BYTES, "digest size");
_Static_assert(crypto_hash_sha256_BYTES == HANSA_HASH_BYTES, "digest size");

static SHA256_CTX *ossl(sha256_ctx *c) { return (SHA256_CTX *)(void *)c->opaque; }

/* The low-level calls return 1 on success and can fail only on a NULL
 * argument, so a failure is a broken invariant, not an input error. */
void sha256_init(sha256_ctx *c) { HANSA_ASSERT(SHA256_Init(ossl(c)) == 1); }

void sha256_update(sha256_ctx *c, const void *data, size_t len) {
    HANSA_ASSERT(data != NULL || len == 0);
    if (len == 0) return;
    HANSA_ASSERT(SHA256_Update(ossl(c), data, len) == 1);
}

void sha256_final(sha256_ctx *c, hansa_hash *out) {
    /* No wipe of the state: SHA-256 in hansa hashes public data (blocks,
     * transactions, keys, addresses); secrets go through libsodium. */
    HANSA_ASSERT(SHA256_Final(out->b, ossl(c)) == 1);
}

void sha256(const void *data, size_t len, hansa_hash *out) {
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

/* The EVP runner-up: the algorithm is fetched once and the context reused, so
 * the figures measure EVP's per-call dispatch rather than an allocation. One
 * context per thread, kept until the process exits. */
static void sha256_evp(const void *data, size_t len, hansa_hash *out) {
    static _Thread_local EVP_MD *md;
    static _Thread_local EVP_MD_CTX *ctx;
    if (!md) {
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
        ctx = EVP_MD_CTX_new();
        HANSA_ASSERT(md != NULL);
        HANSA_ASSERT(ctx != NULL);
    }
    unsigned int n = 0;
    HANSA_ASSERT(EVP_DigestInit_ex2(ctx, md, NULL) == 1);
    HANSA_ASSERT(EVP_DigestUpdate(ctx, data, len) == 1);
    HANSA_ASSERT(EVP_DigestFinal_ex(ctx, out->b, &n) == 1);
    HANSA_ASSERT(n == HANSA_HASH_BYTES);
}

void sha256_via(sha256_impl impl, const void *data, size_t len, hansa_hash *out) {
    switch (impl) {
    case SHA256_IMPL_OPENSSL:
        sha256(data, len, out);
        return;
    case SHA256_IMPL_OPENSSL_EVP:
        sha256_evp(data, len, out);
        return;
    case SHA256_IMPL_LIBSODIUM:
        HANSA_ASSERT(crypto_hash_sha256(out->b, data, len) == 0);
        return;
    }
    HANSA_UNREACHABLE();
}

const char *sha256_impl_name(sha256_impl impl) {
    switch (impl) {
    case SHA256_IMPL_OPENSSL:
        return "openssl";
    case SHA256_IMPL_OPENSSL_EVP:
        return "openssl-evp";
    case SHA256_IMPL_LIBSODIUM:
        return "libsodium";
    }
    HANSA_UNREACHABLE();
}

const char *sha256_backend(void) { return sha256_impl_name(SHA256_IMPL_CHOSEN); }
