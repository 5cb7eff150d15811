/* test_drbg.c — the seeded generator the DKG duty deals from (crypto/drbg.h):
 * one seed and one sequence of fills give the same bytes (what makes a
 * restarted delegate deal the same polynomial), another seed or another
 * fill gives other bytes, and a whole DKG dealing replays byte for byte. */
#include <string.h>

#include "check.h"
#include "crypto/drbg.h"
#include "crypto/sign.h"
#include "threshold/dkg.h"

static void fills(const uint8_t seed[32], uint8_t out[3][40]) {
    crypto_drbg d;
    crypto_drbg_init(&d, seed);
    hansa_rng r = crypto_drbg_rng(&d);
    rng_fill(&r, out[0], 40);
    rng_fill(&r, out[1], 40);
    rng_fill(&r, out[2], 7);
    crypto_drbg_wipe(&d);
}

static void test_same_seed_same_bytes(void) {
    uint8_t seed[32] = {1, 2, 3}, other[32] = {1, 2, 4};
    uint8_t a[3][40] = {{0}}, b[3][40] = {{0}}, c[3][40] = {{0}};
    fills(seed, a);
    fills(seed, b);
    fills(other, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a[0], c[0], 40) != 0);
    CHECK(memcmp(a[0], a[1], 40) != 0); /* each fill draws new bytes */
}

/* Everything a dealer outputs at dkg_start, as one byte string. */
static void deal(const uint8_t seed[32], const hansa_keypair *keys, const hansa_pubkey *members,
                 hbuf *out) {
    crypto_drbg d;
    crypto_drbg_init(&d, seed);
    dkg_config cfg = {.ctx = {.chain_id = 7, .epoch = 1, .n = 4, .members = members},
                      .timing = {10, 12, 18, 19}, .me = 2, .key = &keys[1],
                      .rng = crypto_drbg_rng(&d)};
    dkg_session *s = dkg_new(&cfg);
    dkg_start(s, 0);
    const dkg_out *o;
    size_t n = dkg_drain(s, &o);
    for (size_t k = 0; k < n; k++)
        if (o[k].kind == DKG_OUT_BROADCAST || o[k].kind == DKG_OUT_SEND)
            hbuf_append(out, o[k].bytes, o[k].len);
    dkg_free(s);
    crypto_drbg_wipe(&d);
}

static void test_dealing_replays(void) {
    hansa_keypair keys[4];
    hansa_pubkey members[4];
    for (int i = 0; i < 4; i++) {
        uint8_t sd[32] = {(uint8_t)(i + 9)};
        keypair_from_seed(&keys[i], sd);
        members[i] = keys[i].pub;
    }
    uint8_t seed[32] = {42}, other[32] = {43};
    hbuf a = HBUF_INIT, b = HBUF_INIT, c = HBUF_INIT;
    deal(seed, keys, members, &a);
    deal(seed, keys, members, &b);
    deal(other, keys, members, &c);
    CHECK(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(a.len != c.len || memcmp(a.data, c.data, a.len) != 0);
    hbuf_free(&a);
    hbuf_free(&b);
    hbuf_free(&c);
}

int main(void) {
    crypto_init();
    RUN(test_same_seed_same_bytes);
    RUN(test_dealing_replays);
    return check_summary();
}
