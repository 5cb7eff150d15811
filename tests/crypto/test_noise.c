/* Tests of crypto/noise: the cacophony known answers for XX and IK (every
 * handshake and transport ciphertext, and the handshake hash), then
 * rejection: tampered messages, truncation, oversize lengths, wrong turns,
 * a wrong pre-known key, and the Ed25519 -> X25519 identity mapping. */
#include <jansson.h>

#include "base/err.h"
#include "base/hex.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/noise.h"
#include "crypto/sign.h"

/* A hansa_rng that hands out one fixed 32-byte key: the vectors fix the
 * ephemeral keys, and noise_handshake_init draws the ephemeral from its rng. */
typedef struct {
    uint8_t key[NOISE_DH_BYTES];
} fixed_key_rng;

static void fixed_fill(void *ctx, void *buf, size_t n) {
    fixed_key_rng *r = ctx;
    if (n == NOISE_DH_BYTES) memcpy(buf, r->key, n);
}

/* Decodes the hex string field `name` of obj into out[max]; returns its length or -1. */
static long hex_field(json_t *obj, const char *name, uint8_t *out, size_t max) {
    const char *s = json_string_value(json_object_get(obj, name));
    if (!s) return -1;
    size_t n = 0;
    if (hex_decode(s, strlen(s), out, max, &n, NULL) != HANSA_OK) return -1;
    return (long)n;
}

static bool key_field(json_t *obj, const char *name, uint8_t out[NOISE_DH_BYTES]) {
    return hex_field(obj, name, out, NOISE_DH_BYTES) == NOISE_DH_BYTES;
}

typedef struct {
    noise_handshake hs;
    noise_cipher send, recv;
} side;

/* Sets up one side of a vector ("init" or "resp"). */
static void vector_side(json_t *v, noise_pattern pat, noise_role role, side *out) {
    const char *p = role == NOISE_INITIATOR ? "init" : "resp";
    char field[64];
    uint8_t prologue[256], priv[NOISE_DH_BYTES], rs[NOISE_DH_BYTES];
    fixed_key_rng eph;
    snprintf(field, sizeof field, "%s_prologue", p);
    long plen = hex_field(v, field, prologue, sizeof prologue);
    snprintf(field, sizeof field, "%s_static", p);
    CHECK(key_field(v, field, priv));
    snprintf(field, sizeof field, "%s_ephemeral", p);
    CHECK(key_field(v, field, eph.key));
    snprintf(field, sizeof field, "%s_remote_static", p);
    bool has_rs = key_field(v, field, rs);
    CHECK(plen >= 0);
    noise_keypair s;
    noise_keypair_from_private(&s, priv);
    hansa_rng rng = {fixed_fill, &eph};
    CHECK_ERR(noise_handshake_init(&out->hs, pat, role, prologue, (size_t)plen, &s,
                                   has_rs ? rs : NULL, &rng),
              HANSA_OK);
}

/* Runs message i of a vector from sender to receiver and checks it. */
static void vector_message(json_t *msg, side *sender, side *receiver, bool handshake) {
    uint8_t payload[1024], expect[2048], ct[2048], got[2048];
    long plen = hex_field(msg, "payload", payload, sizeof payload);
    long clen = hex_field(msg, "ciphertext", expect, sizeof expect);
    CHECK(plen >= 0 && clen >= 0);
    if (plen < 0 || clen < 0) return;
    size_t n = 0, m = 0;
    if (handshake) {
        CHECK(noise_handshake_my_turn(&sender->hs));
        CHECK(!noise_handshake_my_turn(&receiver->hs));
        CHECK_EQ_U64(noise_handshake_overhead(&sender->hs) + (size_t)plen, (size_t)clen);
        CHECK_ERR(noise_handshake_write(&sender->hs, payload, (size_t)plen, ct, sizeof ct, &n),
                  HANSA_OK);
        CHECK_ERR(noise_handshake_read(&receiver->hs, ct, n, got, sizeof got, &m), HANSA_OK);
    } else {
        CHECK_ERR(noise_cipher_encrypt(&sender->send, NULL, 0, payload, (size_t)plen, ct,
                                       sizeof ct, &n),
                  HANSA_OK);
        CHECK_ERR(noise_cipher_decrypt(&receiver->recv, NULL, 0, ct, n, got, sizeof got, &m),
                  HANSA_OK);
    }
    CHECK_EQ_U64(n, (size_t)clen);
    CHECK(memcmp(ct, expect, (size_t)clen) == 0);
    CHECK_EQ_U64(m, (size_t)plen);
    CHECK(memcmp(got, payload, (size_t)plen) == 0);
}

static void run_vector(json_t *v, noise_pattern pat) {
    side init, resp;
    vector_side(v, pat, NOISE_INITIATOR, &init);
    vector_side(v, pat, NOISE_RESPONDER, &resp);
    json_t *msgs = json_object_get(v, "messages");
    CHECK(json_array_size(msgs) > 3);
    for (size_t i = 0; i < json_array_size(msgs); i++) {
        bool hs_phase = !noise_handshake_done(&init.hs);
        side *from = i % 2 == 0 ? &init : &resp, *to = i % 2 == 0 ? &resp : &init;
        vector_message(json_array_get(msgs, i), from, to, hs_phase);
        if (hs_phase && noise_handshake_done(&init.hs)) {
            CHECK(noise_handshake_done(&resp.hs));
            uint8_t expect[NOISE_HASH_BYTES], hi[NOISE_HASH_BYTES], hr[NOISE_HASH_BYTES];
            CHECK(hex_field(v, "handshake_hash", expect, sizeof expect) == NOISE_HASH_BYTES);
            noise_handshake_hash(&init.hs, hi);
            noise_handshake_hash(&resp.hs, hr);
            CHECK(memcmp(hi, expect, sizeof hi) == 0);
            CHECK(memcmp(hr, expect, sizeof hr) == 0);
            /* Each side learned the other's static key. */
            CHECK(memcmp(noise_handshake_remote_static(&init.hs), resp.hs.s.pub, 32) == 0);
            CHECK(memcmp(noise_handshake_remote_static(&resp.hs), init.hs.s.pub, 32) == 0);
            noise_handshake_split(&init.hs, &init.send, &init.recv);
            noise_handshake_split(&resp.hs, &resp.send, &resp.recv);
        }
    }
    CHECK(noise_handshake_done(&init.hs));
}

static void test_cacophony_vectors(void) {
    char path[512];
    if (!check_vector_path("noise-cacophony-xx-ik.json", path, sizeof path)) {
        fprintf(stderr, "SKIP test_cacophony_vectors: %s not found\n", path);
        return;
    }
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    CHECK(root != NULL);
    if (!root) return;
    int seen_xx = 0, seen_ik = 0;
    json_t *vectors = json_object_get(root, "vectors");
    for (size_t i = 0; i < json_array_size(vectors); i++) {
        json_t *v = json_array_get(vectors, i);
        const char *name = json_string_value(json_object_get(v, "protocol_name"));
        if (name && strcmp(name, "Noise_XX_25519_ChaChaPoly_BLAKE2b") == 0) {
            run_vector(v, NOISE_XX);
            seen_xx++;
        } else if (name && strcmp(name, "Noise_IK_25519_ChaChaPoly_BLAKE2b") == 0) {
            run_vector(v, NOISE_IK);
            seen_ik++;
        }
    }
    CHECK(seen_xx >= 1);
    CHECK(seen_ik >= 1);
    json_decref(root);
}

/* A fresh XX pair with random keys from a seeded PRNG. */
static void xx_pair(hansa_prng *p, side *init, side *resp) {
    hansa_rng rng = prng_as_rng(p);
    uint8_t k1[32], k2[32];
    prng_fill(p, k1, 32);
    prng_fill(p, k2, 32);
    noise_keypair s1, s2;
    noise_keypair_from_private(&s1, k1);
    noise_keypair_from_private(&s2, k2);
    CHECK_ERR(noise_handshake_init(&init->hs, NOISE_XX, NOISE_INITIATOR, "p", 1, &s1, NULL, &rng),
              HANSA_OK);
    CHECK_ERR(noise_handshake_init(&resp->hs, NOISE_XX, NOISE_RESPONDER, "p", 1, &s2, NULL, &rng),
              HANSA_OK);
}

/* Runs the handshake, flipping bit `flip_bit` of message `flip_msg` (or none if < 0).
 * Returns the error of the read of the tampered message (HANSA_OK if none). */
static hansa_err xx_run(side *init, side *resp, int flip_msg, size_t flip_byte) {
    uint8_t msg[256], out[256];
    for (int i = 0; i < 3; i++) {
        side *from = i % 2 == 0 ? init : resp, *to = i % 2 == 0 ? resp : init;
        size_t n = 0, m = 0;
        CHECK_ERR(noise_handshake_write(&from->hs, "hi", 2, msg, sizeof msg, &n), HANSA_OK);
        if (i == flip_msg) msg[flip_byte % n] ^= 0x01;
        memset(out, 0xaa, sizeof out);
        hansa_err err = noise_handshake_read(&to->hs, msg, n, out, sizeof out, &m);
        if (err != HANSA_OK) {
            for (size_t j = 0; j < n; j++) CHECK(out[j] == 0); /* failed decryption zeroes */
            return err;
        }
        CHECK(m == 2 && memcmp(out, "hi", 2) == 0);
    }
    noise_handshake_split(&init->hs, &init->send, &init->recv);
    noise_handshake_split(&resp->hs, &resp->send, &resp->recv);
    return HANSA_OK;
}

static void test_tampered_handshake_fails(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_tampered_handshake_fails", 7));
    for (int msg = 0; msg < 3; msg++) {
        for (int trial = 0; trial < 20; trial++) {
            side init, resp;
            xx_pair(&p, &init, &resp);
            size_t byte = (size_t)prng_below(&p, 200);
            /* Every byte counts: the clear first message (e and payload) is
             * hashed into h, so a flip there fails the next read too. */
            CHECK_ERR(xx_run(&init, &resp, msg, byte), HANSA_ERR_CRYPTO);
            /* A failed handshake refuses further use. */
            side *failed = init.hs.failed ? &init : &resp;
            uint8_t buf[128];
            size_t n;
            CHECK(failed->hs.failed);
            CHECK_ERR(noise_handshake_write(&failed->hs, NULL, 0, buf, sizeof buf, &n),
                      HANSA_ERR_STATE);
            CHECK_ERR(noise_handshake_read(&failed->hs, buf, 64, buf, sizeof buf, &n),
                      HANSA_ERR_STATE);
        }
    }
}

static void test_transport_tamper_and_order(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_transport_tamper_and_order", 11));
    side init, resp;
    xx_pair(&p, &init, &resp);
    CHECK_ERR(xx_run(&init, &resp, -1, 0), HANSA_OK);
    uint8_t plain[1000], ct[1100], out[1100];
    prng_fill(&p, plain, sizeof plain);
    size_t n, m;
    CHECK_ERR(noise_cipher_encrypt(&init.send, NULL, 0, plain, sizeof plain, ct, sizeof ct, &n),
              HANSA_OK);
    CHECK_EQ_U64(n, sizeof plain + NOISE_MAC_BYTES);
    for (int t = 0; t < 50; t++) {
        uint8_t bad[1100];
        memcpy(bad, ct, n);
        bad[prng_below(&p, n)] ^= (uint8_t)(1u << prng_below(&p, 8));
        memset(out, 0xaa, sizeof out);
        CHECK_ERR(noise_cipher_decrypt(&resp.recv, NULL, 0, bad, n, out, sizeof out, &m),
                  HANSA_ERR_CRYPTO);
        for (size_t j = 0; j < sizeof plain; j++) CHECK(out[j] == 0);
        /* The failure did not advance the nonce: the genuine message still opens. */
        CHECK_ERR(noise_cipher_decrypt(&resp.recv, NULL, 0, ct, n, out, sizeof out, &m),
                  HANSA_OK);
        CHECK(m == sizeof plain && memcmp(out, plain, sizeof plain) == 0);
        CHECK_ERR(
            noise_cipher_encrypt(&init.send, NULL, 0, plain, sizeof plain, ct, sizeof ct, &n),
            HANSA_OK);
    }
    /* A replayed (old-nonce) message fails. */
    uint8_t old[1100];
    memcpy(old, ct, n);
    CHECK_ERR(noise_cipher_decrypt(&resp.recv, NULL, 0, ct, n, out, sizeof out, &m), HANSA_OK);
    CHECK_ERR(noise_cipher_decrypt(&resp.recv, NULL, 0, old, n, out, sizeof out, &m),
              HANSA_ERR_CRYPTO);
    /* The other direction uses the other key: the initiator's own message does not
     * decrypt with its receive key. */
    CHECK_ERR(noise_cipher_encrypt(&init.send, NULL, 0, "x", 1, ct, sizeof ct, &n), HANSA_OK);
    CHECK_ERR(noise_cipher_decrypt(&init.recv, NULL, 0, ct, n, out, sizeof out, &m),
              HANSA_ERR_CRYPTO);
    noise_cipher_wipe(&init.send);
    CHECK(!init.send.has_key);
}

static void test_bounds(void) {
    hansa_prng p;
    prng_seed(&p, 3);
    side init, resp;
    xx_pair(&p, &init, &resp);
    static uint8_t big[NOISE_MSG_MAX + 100], out[NOISE_MSG_MAX + 100];
    size_t n, m;
    /* Too long for the Noise limit, and too long for the caller's buffer:
     * refused without spoiling the handshake. */
    CHECK_ERR(noise_handshake_write(&init.hs, big, NOISE_MSG_MAX - 31, out, sizeof out, &n),
              HANSA_ERR_TOO_LONG);
    CHECK_ERR(noise_handshake_write(&init.hs, big, 10, out, 41, &n), HANSA_ERR_TOO_LONG);
    CHECK_ERR(noise_handshake_write(&init.hs, big, NOISE_MSG_MAX - 32, out, sizeof out, &n),
              HANSA_OK);
    CHECK_EQ_U64(n, NOISE_MSG_MAX);
    /* Not the responder's turn to write, nor the initiator's to write again. */
    CHECK_ERR(noise_handshake_write(&resp.hs, NULL, 0, big, sizeof big, &m), HANSA_ERR_STATE);
    CHECK_ERR(noise_handshake_write(&init.hs, NULL, 0, big, sizeof big, &m), HANSA_ERR_STATE);
    /* Oversize and truncated messages fail the reader. */
    noise_handshake r2 = resp.hs, r3 = resp.hs, r4 = resp.hs;
    CHECK_ERR(noise_handshake_read(&r2, big, NOISE_MSG_MAX + 1, out, sizeof out, &m),
              HANSA_ERR_TOO_LONG);
    CHECK_ERR(noise_handshake_read(&r3, out, 31, big, sizeof big, &m), HANSA_ERR_TRUNCATED);
    CHECK_ERR(noise_handshake_read(&r4, out, n, big, 100, &m), HANSA_ERR_TOO_LONG);
    CHECK(r2.failed && r3.failed && r4.failed);
    CHECK_ERR(noise_handshake_read(&resp.hs, out, n, big, sizeof big, &m), HANSA_OK);
    CHECK_EQ_U64(m, NOISE_MSG_MAX - 32);
    /* Transport bounds. */
    noise_cipher c = {{0}, 0, true};
    CHECK_ERR(noise_cipher_encrypt(&c, NULL, 0, big, NOISE_PAYLOAD_MAX + 1, out, sizeof out, &n),
              HANSA_ERR_TOO_LONG);
    CHECK_ERR(noise_cipher_decrypt(&c, NULL, 0, big, 15, out, sizeof out, &n),
              HANSA_ERR_TRUNCATED);
    CHECK_ERR(noise_cipher_decrypt(&c, NULL, 0, big, NOISE_MSG_MAX + 1, out, sizeof out, &n),
              HANSA_ERR_TOO_LONG);
    c.n = UINT64_MAX;
    CHECK_ERR(noise_cipher_encrypt(&c, NULL, 0, big, 1, out, sizeof out, &n), HANSA_ERR_STATE);
    noise_cipher none = {{0}, 0, false};
    CHECK_ERR(noise_cipher_encrypt(&none, NULL, 0, big, 1, out, sizeof out, &n),
              HANSA_ERR_STATE);
}

static void test_ik_wrong_remote_key_fails(void) {
    hansa_prng p;
    prng_seed(&p, 5);
    hansa_rng rng = prng_as_rng(&p);
    uint8_t k[3][32];
    prng_fill(&p, k, sizeof k);
    noise_keypair a, b, wrong;
    noise_keypair_from_private(&a, k[0]);
    noise_keypair_from_private(&b, k[1]);
    noise_keypair_from_private(&wrong, k[2]);
    noise_handshake hi, hr;
    CHECK_ERR(noise_handshake_init(&hi, NOISE_IK, NOISE_INITIATOR, NULL, 0, &a, NULL, &rng),
              HANSA_ERR_INVALID);
    CHECK_ERR(noise_handshake_init(&hi, NOISE_IK, NOISE_INITIATOR, NULL, 0, &a, wrong.pub, &rng),
              HANSA_OK);
    CHECK_ERR(noise_handshake_init(&hr, NOISE_IK, NOISE_RESPONDER, NULL, 0, &b, NULL, &rng),
              HANSA_OK);
    uint8_t msg[256], out[256];
    size_t n, m;
    CHECK_ERR(noise_handshake_write(&hi, "x", 1, msg, sizeof msg, &n), HANSA_OK);
    CHECK_ERR(noise_handshake_read(&hr, msg, n, out, sizeof out, &m), HANSA_ERR_CRYPTO);
    /* Small-order remote ephemeral: the all-zero point makes DH refuse. */
    CHECK_ERR(noise_handshake_init(&hi, NOISE_IK, NOISE_INITIATOR, NULL, 0, &a, b.pub, &rng),
              HANSA_OK);
    CHECK_ERR(noise_handshake_init(&hr, NOISE_IK, NOISE_RESPONDER, NULL, 0, &b, NULL, &rng),
              HANSA_OK);
    CHECK_ERR(noise_handshake_write(&hi, "x", 1, msg, sizeof msg, &n), HANSA_OK);
    memset(msg, 0, 32);
    CHECK_ERR(noise_handshake_read(&hr, msg, n, out, sizeof out, &m), HANSA_ERR_CRYPTO);
    noise_handshake_wipe(&hi);
    noise_handshake_wipe(&hr);
}

static void test_prologue_mismatch_fails(void) {
    hansa_prng p;
    prng_seed(&p, 9);
    side init, resp;
    xx_pair(&p, &init, &resp);
    /* Same keys, but the responder was told a different prologue. */
    noise_keypair s = resp.hs.s;
    hansa_rng rng = prng_as_rng(&p);
    CHECK_ERR(noise_handshake_init(&resp.hs, NOISE_XX, NOISE_RESPONDER, "q", 1, &s, NULL, &rng),
              HANSA_OK);
    CHECK_ERR(xx_run(&init, &resp, -1, 0), HANSA_ERR_CRYPTO);
    static uint8_t long_prologue[NOISE_PROLOGUE_MAX + 1];
    CHECK_ERR(noise_handshake_init(&resp.hs, NOISE_XX, NOISE_RESPONDER, long_prologue,
                                   sizeof long_prologue, &s, NULL, &rng),
              HANSA_ERR_TOO_LONG);
}

/* docs/protocol.md gives the XX message sizes with empty payloads: 32, 96, 64. */
static void test_xx_sizes_as_documented(void) {
    hansa_prng p;
    prng_seed(&p, 13);
    side init, resp;
    xx_pair(&p, &init, &resp);
    const size_t want[3] = {32, 96, 64};
    uint8_t msg[256], out[256];
    for (int i = 0; i < 3; i++) {
        side *from = i % 2 == 0 ? &init : &resp, *to = i % 2 == 0 ? &resp : &init;
        size_t n = 0, m = 0;
        CHECK_EQ_U64(noise_handshake_overhead(&from->hs), want[i]);
        CHECK_ERR(noise_handshake_write(&from->hs, NULL, 0, msg, sizeof msg, &n), HANSA_OK);
        CHECK_EQ_U64(n, want[i]);
        CHECK_ERR(noise_handshake_read(&to->hs, msg, n, out, sizeof out, &m), HANSA_OK);
        CHECK_EQ_U64(m, 0);
    }
}

static void test_ed25519_identity_maps(void) {
    crypto_init();
    uint8_t seed[32] = {1, 2, 3};
    hansa_keypair id;
    keypair_from_seed(&id, seed);
    noise_keypair kp;
    noise_keypair_from_ed25519(&kp, id.secret);
    uint8_t mapped[32];
    CHECK_ERR(noise_pubkey_from_ed25519(&id.pub, mapped), HANSA_OK);
    CHECK(memcmp(mapped, kp.pub, 32) == 0);
    hansa_pubkey bad;
    memset(bad.b, 0, sizeof bad.b); /* small-order point */
    CHECK_ERR(noise_pubkey_from_ed25519(&bad, mapped), HANSA_ERR_INVALID);
    keypair_wipe(&id);
}

int main(void) {
    crypto_init();
    RUN(test_cacophony_vectors);
    RUN(test_tampered_handshake_fails);
    RUN(test_transport_tamper_and_order);
    RUN(test_bounds);
    RUN(test_ik_wrong_remote_key_fails);
    RUN(test_prologue_mismatch_fails);
    RUN(test_xx_sizes_as_documented);
    RUN(test_ed25519_identity_maps);
    return check_summary();
}
