/* Tests of crypto/seal: a sealed message opens for its recipient with the
 * same associated data and for nobody else; any flipped byte, a wrong ad,
 * a cut message or a low-order recipient key is refused; the recipient key
 * mapped from an Ed25519 identity works as for the Noise static key. */
#include "base/rng.h"
#include "check.h"
#include "crypto/noise.h"
#include "crypto/seal.h"
#include "crypto/sign.h"

static void test_roundtrip_and_rejection(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_seal", 7));
    hansa_rng rng = prng_as_rng(&p);
    uint8_t seed[32], seed2[32];
    prng_fill(&p, seed, 32);
    prng_fill(&p, seed2, 32);
    hansa_keypair ed, ed2;
    keypair_from_seed(&ed, seed);
    keypair_from_seed(&ed2, seed2);
    noise_keypair me, other;
    noise_keypair_from_ed25519(&me, ed.secret);
    noise_keypair_from_ed25519(&other, ed2.secret);
    uint8_t to[32];
    CHECK_ERR(noise_pubkey_from_ed25519(&ed.pub, to), HANSA_OK);
    CHECK(memcmp(to, me.pub, 32) == 0);

    const uint8_t ad[] = "session|dealer|recipient";
    uint8_t plain[128], box[128 + SEAL_OVERHEAD], out[128];
    prng_fill(&p, plain, sizeof plain);
    CHECK_ERR(seal_encrypt(&rng, to, ad, sizeof ad, plain, sizeof plain, box), HANSA_OK);
    CHECK_ERR(seal_decrypt(me.priv, me.pub, ad, sizeof ad, box, sizeof box, out), HANSA_OK);
    CHECK(memcmp(out, plain, sizeof plain) == 0);
    /* Another recipient, another ad, a cut message, any flipped byte. */
    CHECK_ERR(seal_decrypt(other.priv, other.pub, ad, sizeof ad, box, sizeof box, out), HANSA_ERR_CRYPTO);
    for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 0);
    CHECK_ERR(seal_decrypt(me.priv, me.pub, ad, sizeof ad - 1, box, sizeof box, out), HANSA_ERR_CRYPTO);
    CHECK_ERR(seal_decrypt(me.priv, me.pub, ad, sizeof ad, box, sizeof box - 1, out), HANSA_ERR_CRYPTO);
    CHECK_ERR(seal_decrypt(me.priv, me.pub, ad, sizeof ad, box, SEAL_OVERHEAD - 1, out), HANSA_ERR_TRUNCATED);
    for (size_t i = 0; i < sizeof box; i += 7) {
        box[i] ^= 0x20;
        CHECK_ERR(seal_decrypt(me.priv, me.pub, ad, sizeof ad, box, sizeof box, out), HANSA_ERR_CRYPTO);
        box[i] ^= 0x20;
    }
    /* Two seals of the same plaintext differ (fresh ephemeral keys). */
    uint8_t box2[sizeof box];
    CHECK_ERR(seal_encrypt(&rng, to, ad, sizeof ad, plain, sizeof plain, box2), HANSA_OK);
    CHECK(memcmp(box, box2, sizeof box) != 0);
    /* A low-order recipient key gives no shared secret. */
    uint8_t zero[32] = {0};
    CHECK_ERR(seal_encrypt(&rng, zero, ad, sizeof ad, plain, sizeof plain, box2), HANSA_ERR_INVALID);
    keypair_wipe(&ed);
    keypair_wipe(&ed2);
    noise_keypair_wipe(&me);
    noise_keypair_wipe(&other);
}

int main(void) {
    crypto_init();
    RUN(test_roundtrip_and_rejection);
    return check_summary();
}
