/* Tests of crypto/ristretto_vt, the variable-time arithmetic FROST uses on
 * public values, against libsodium's ristretto255 as the reference: decoding
 * agrees on valid and invalid strings (RFC 9496 appendix A.2's bad
 * encodings among them; libsodium 1.0.18's one leniency, bit 255, is
 * pinned by test_top_bit), encode(decode(x)) == x, addition, subtraction and
 * multi-scalar multiplication give libsodium's results for random inputs,
 * including the edge scalars 0, 1 and L-1. Randomized: seed printed,
 * replay with HANSA_SEED. */
#include <sodium.h>

#include "base/hex.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/ristretto_vt.h"
#include "crypto/sign.h"

static hansa_prng prng;

static void hex32(const char *s, uint8_t out[32]) {
    size_t n = 0;
    CHECK_ERR(hex_decode(s, 64, out, 32, &n, NULL), HANSA_OK);
    CHECK_EQ_U64(n, 32);
}

/* A random scalar mod L (libsodium's reduction of 64 random bytes). */
static void rand_scalar(uint8_t s[32]) {
    uint8_t wide[64];
    prng_fill(&prng, wide, sizeof wide);
    crypto_core_ristretto255_scalar_reduce(s, wide);
}

/* A random element through libsodium: r*G. */
static void rand_point(uint8_t p[32]) {
    uint8_t s[32];
    do rand_scalar(s);
    while (crypto_scalarmult_ristretto255_base(p, s) != 0);
}

static void test_generator(void) {
    uint8_t expect[32], got[32], one[32] = {1};
    hex32("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76", expect);
    rvt_point b;
    rvt_base(&b);
    rvt_encode(got, &b);
    CHECK(memcmp(got, expect, 32) == 0);
    uint8_t sodium_b[32];
    CHECK(crypto_scalarmult_ristretto255_base(sodium_b, one) == 0);
    CHECK(memcmp(sodium_b, expect, 32) == 0);
    /* k*G for k = 0..20 through the MSM, against libsodium. */
    for (int k = 0; k <= 20; k++) {
        uint8_t s[1][32] = {{(uint8_t)k}};
        rvt_point r;
        rvt_msm(&r, (const uint8_t(*)[32])s, &b, 1);
        rvt_encode(got, &r);
        uint8_t want[32] = {0};
        if (k > 0) CHECK(crypto_scalarmult_ristretto255_base(want, s[0]) == 0);
        CHECK(memcmp(got, want, 32) == 0);
        CHECK(rvt_is_identity(&r) == (k == 0));
    }
}

/* RFC 9496 appendix A.2: encodings every implementation must reject. */
static const char *const BAD_ENCODINGS[] = {
    /* non-canonical field encodings */
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    /* negative field elements */
    "0100000000000000000000000000000000000000000000000000000000000000",
    "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
    "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
    "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
    "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
    "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
    "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    /* non-square x^2 */
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
    "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
    "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
    "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
    "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
    "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
    "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
    "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    /* negative xy value */
    "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
    "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
    "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
    "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
    "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
    "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
    "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
    "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    /* s = -1, which gives y = 0 */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

static void test_bad_encodings(void) {
    for (size_t i = 0; i < sizeof BAD_ENCODINGS / sizeof BAD_ENCODINGS[0]; i++) {
        uint8_t s[32];
        hex32(BAD_ENCODINGS[i], s);
        rvt_point p;
        CHECK(!crypto_core_ristretto255_is_valid_point(s));
        CHECK(!rvt_decode(&p, s));
    }
}

/* Decoding agrees with libsodium on random strings (mostly invalid), on
 * strings one bit away from valid encodings, and round-trips valid ones. */
static void test_decode_agrees(void) {
    int valid = 0, invalid = 0;
    for (int i = 0; i < 4000; i++) {
        uint8_t s[32];
        if (i % 2 == 0) {
            prng_fill(&prng, s, 32);
            if (i % 4 == 0) s[31] &= 0x7f;
        } else {
            rand_point(s);
            if (i % 3 == 0) s[prng_below(&prng, 32)] ^= (uint8_t)(1u << prng_below(&prng, 8));
        }
        rvt_point p;
        bool mine = rvt_decode(&p, s);
        /* libsodium 1.0.18 masks bit 255 before its canonicity check, so it
         * accepts s and s | 2^255 alike; RFC 9496 section 4.3.1 rejects
         * every s >= p, the second among them (test_top_bit). */
        bool ref = crypto_core_ristretto255_is_valid_point(s) == 1 && !(s[31] & 0x80);
        CHECK(mine == ref);
        if (mine) {
            uint8_t back[32];
            rvt_encode(back, &p);
            CHECK(memcmp(back, s, 32) == 0);
            valid++;
        } else {
            invalid++;
        }
    }
    fprintf(stderr, "  decode: %d valid, %d invalid, all as libsodium\n", valid, invalid);
    CHECK(valid > 1000);
    CHECK(invalid > 1000);
}

/* The one place libsodium 1.0.18 is more lenient than RFC 9496: a valid
 * encoding with bit 255 set. rvt_decode refuses it (and frost_point_decode,
 * test_frost). */
static void test_top_bit(void) {
    for (int i = 0; i < 50; i++) {
        uint8_t s[32];
        rand_point(s);
        s[31] |= 0x80;
        rvt_point p;
        CHECK(crypto_core_ristretto255_is_valid_point(s) == 1);
        CHECK(!rvt_decode(&p, s));
    }
}

static void test_add_sub(void) {
    for (int i = 0; i < 300; i++) {
        uint8_t a[32], b[32], want[32], got[32];
        rand_point(a);
        if (i % 10 == 0)
            memcpy(b, a, 32); /* doubling through the addition formula, and P - P */
        else
            rand_point(b);
        rvt_point pa, pb, r;
        CHECK(rvt_decode(&pa, a));
        CHECK(rvt_decode(&pb, b));
        rvt_add(&r, &pa, &pb);
        rvt_encode(got, &r);
        CHECK(crypto_core_ristretto255_add(want, a, b) == 0);
        CHECK(memcmp(got, want, 32) == 0);
        rvt_sub(&r, &pa, &pb);
        rvt_encode(got, &r);
        CHECK(crypto_core_ristretto255_sub(want, a, b) == 0);
        CHECK(memcmp(got, want, 32) == 0);
        CHECK(rvt_is_identity(&r) == (i % 10 == 0));
    }
    rvt_point id, p;
    uint8_t a[32], got[32];
    rand_point(a);
    CHECK(rvt_decode(&p, a));
    rvt_identity(&id);
    CHECK(rvt_is_identity(&id));
    rvt_add(&id, &id, &p);
    rvt_encode(got, &id);
    CHECK(memcmp(got, a, 32) == 0);
}

/* The scalars an MSM must get right besides random ones. */
static void edge_scalar(uint8_t s[32], int which) {
    memset(s, 0, 32);
    switch (which) {
    case 0: break; /* 0 */
    case 1: s[0] = 1; break;
    case 2: /* L - 1 */
        hex32("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", s);
        break;
    case 3: s[0] = 16; break; /* a wNAF window boundary */
    default: rand_scalar(s); break;
    }
}

static void test_msm(void) {
    for (int round = 0; round < 60; round++) {
        size_t n = round < 5 ? (size_t)round : 1 + prng_below(&prng, 40);
        uint8_t(*sc)[32] = calloc(n ? n : 1, 32);
        rvt_point *pts = calloc(n ? n : 1, sizeof *pts);
        uint8_t want[32] = {0}, got[32];
        for (size_t i = 0; i < n; i++) {
            uint8_t p[32], term[32];
            edge_scalar(sc[i], (int)prng_below(&prng, 8));
            rand_point(p);
            CHECK(rvt_decode(&pts[i], p));
            if (crypto_scalarmult_ristretto255(term, sc[i], p) != 0) memset(term, 0, 32);
            CHECK(crypto_core_ristretto255_add(want, want, term) == 0);
        }
        rvt_point r;
        rvt_msm(&r, (const uint8_t(*)[32])sc, pts, n);
        rvt_encode(got, &r);
        CHECK(memcmp(got, want, 32) == 0);
        free(sc);
        free(pts);
    }
}

static void test_mul_small(void) {
    for (uint32_t k = 0; k < 300; k += 1 + (k > 40) * 13) {
        uint8_t p[32], want[32], got[32], sk[32] = {0};
        rand_point(p);
        sk[0] = (uint8_t)k;
        sk[1] = (uint8_t)(k >> 8);
        rvt_point pt, r;
        CHECK(rvt_decode(&pt, p));
        rvt_mul_small(&r, &pt, k);
        rvt_encode(got, &r);
        if (crypto_scalarmult_ristretto255(want, sk, p) != 0) memset(want, 0, 32);
        CHECK(memcmp(got, want, 32) == 0);
    }
}

int main(void) {
    crypto_init();
    prng_seed(&prng, check_seed("test_ristretto_vt", 14));
    RUN(test_generator);
    RUN(test_bad_encodings);
    RUN(test_decode_agrees);
    RUN(test_top_bit);
    RUN(test_add_sub);
    RUN(test_msm);
    RUN(test_mul_small);
    return check_summary();
}
