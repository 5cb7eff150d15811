/* Tests of crypto/sha256: FIPS 180-2 known answers through every entry point,
 * streaming equal to one-shot on random splits, and the three backends agreeing
 * on every length around the padding boundaries. */
#include "base/hex.h"
#include "base/rng.h"
#include "crypto/sha256.h"
#include "check.h"

static void hash_hex(const hansa_hash *h, char out[2 * HANSA_HASH_BYTES + 1]) {
    hex_encode(h->b, HANSA_HASH_BYTES, out);
}

/* Checks one known answer through sha256(), the streaming API (one update,
 * and one byte at a time) and each backend. */
static void check_kat(const void *msg, size_t len, const char *want) {
    char got[2 * HANSA_HASH_BYTES + 1];
    hansa_hash h;
    sha256(msg, len, &h);
    hash_hex(&h, got);
    CHECK(strcmp(got, want) == 0);

    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, msg, len);
    sha256_final(&c, &h);
    hash_hex(&h, got);
    CHECK(strcmp(got, want) == 0);

    sha256_init(&c);
    for (size_t i = 0; i < len; i++) sha256_update(&c, (const uint8_t *)msg + i, 1);
    sha256_final(&c, &h);
    hash_hex(&h, got);
    CHECK(strcmp(got, want) == 0);

    for (int impl = 0; impl < SHA256_IMPL_COUNT; impl++) {
        sha256_via((sha256_impl)impl, msg, len, &h);
        hash_hex(&h, got);
        CHECK(strcmp(got, want) == 0);
    }
}

/* FIPS 180-2 appendix B and the classic long-message test. */
static void test_known_answers(void) {
    check_kat("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_kat("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK_EQ_U64(strlen(m448) * 8, 448);
    check_kat(m448, strlen(m448),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void) {
    size_t n = 1000000;
    char *a = malloc(n);
    CHECK(a != NULL);
    memset(a, 'a', n);
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char got[2 * HANSA_HASH_BYTES + 1];
    hansa_hash h;
    for (int impl = 0; impl < SHA256_IMPL_COUNT; impl++) {
        sha256_via((sha256_impl)impl, a, n, &h);
        hash_hex(&h, got);
        CHECK(strcmp(got, want) == 0);
    }
    /* Streamed in 1000 chunks of 1000, as FIPS describes the message. */
    sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i += 1000) sha256_update(&c, a + i, 1000);
    sha256_final(&c, &h);
    hash_hex(&h, got);
    CHECK(strcmp(got, want) == 0);
    free(a);
}

/* Streaming in random pieces (including empty ones) equals one-shot. */
static void test_streaming_random_splits(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_streaming_random_splits", 0x5a256));
    uint8_t msg[4096];
    for (int round = 0; round < 500; round++) {
        size_t len = (size_t)prng_below(&p, sizeof msg + 1);
        prng_fill(&p, msg, len);
        hansa_hash one, streamed;
        sha256(msg, len, &one);
        sha256_ctx c;
        sha256_init(&c);
        size_t at = 0;
        while (at < len) {
            size_t piece = (size_t)prng_below(&p, prng_chance(&p, 1, 4) ? 3 : 200);
            if (piece > len - at) piece = len - at;
            sha256_update(&c, msg + at, piece);
            at += piece;
        }
        sha256_final(&c, &streamed);
        CHECK(hash_eq(&one, &streamed));
    }
}

/* All backends agree on every length 0..300 (every padding case: 55, 56,
 * 63, 64 bytes and their multiples) for random content. */
static void test_backends_agree(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_backends_agree", 0xb4c6e4d5));
    uint8_t msg[300];
    for (size_t len = 0; len <= sizeof msg; len++) {
        prng_fill(&p, msg, len);
        hansa_hash a, b, c;
        sha256_via(SHA256_IMPL_OPENSSL, msg, len, &a);
        sha256_via(SHA256_IMPL_OPENSSL_EVP, msg, len, &b);
        sha256_via(SHA256_IMPL_LIBSODIUM, msg, len, &c);
        CHECK(hash_eq(&a, &b));
        CHECK(hash_eq(&a, &c));
    }
    CHECK(strcmp(sha256_backend(), sha256_impl_name(SHA256_IMPL_CHOSEN)) == 0);
    CHECK(strcmp(sha256_impl_name(SHA256_IMPL_OPENSSL), "openssl") == 0);
    CHECK(strcmp(sha256_impl_name(SHA256_IMPL_OPENSSL_EVP), "openssl-evp") == 0);
    CHECK(strcmp(sha256_impl_name(SHA256_IMPL_LIBSODIUM), "libsodium") == 0);
}

int main(void) {
    RUN(test_known_answers);
    RUN(test_million_a);
    RUN(test_streaming_random_splits);
    RUN(test_backends_agree);
    return check_summary();
}
