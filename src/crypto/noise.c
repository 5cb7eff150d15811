/* noise.c — Noise (rev 34) handshakes XX and IK over libsodium; see noise.h.
 *
 * The idea: a handshake pattern is data (a table of tokens per message), and
 * one small engine walks it, so XX and IK share every line of code that
 * touches a key. Section numbers in comments refer to the Noise spec rev 34.
 *
 * libsodium has X25519, ChaCha20-Poly1305 IETF and BLAKE2b but no
 * HMAC-BLAKE2b, so HMAC (RFC 2104) is built here on BLAKE2b's 128-byte
 * block, exactly as the spec's HMAC-HASH with BLOCKLEN = 128. */
#include "crypto/noise.h"

#include <sodium.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"

#define BLAKE2B_BLOCK_BYTES 128

_Static_assert(crypto_scalarmult_BYTES == NOISE_DH_BYTES, "X25519 output size");
_Static_assert(crypto_scalarmult_SCALARBYTES == NOISE_DH_BYTES, "X25519 scalar size");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == NOISE_KEY_BYTES, "AEAD key");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == NOISE_MAC_BYTES, "AEAD tag");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "AEAD nonce");
_Static_assert(crypto_generichash_BYTES_MAX == NOISE_HASH_BYTES, "BLAKE2b-512");
_Static_assert(crypto_sign_SECRETKEYBYTES == 64, "Ed25519 secret form");

/* ---- Handshake patterns (section 7.5) as token tables ---- */

typedef enum { TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS } noise_token;

#define PATTERN_MSGS_MAX 3
#define PATTERN_TOKENS_MAX 4

typedef struct {
    const char *name;
    uint8_t n_msgs;
    /* One extra slot so every message's list ends with TOK_END. */
    uint8_t tokens[PATTERN_MSGS_MAX][PATTERN_TOKENS_MAX + 1];
} pattern_def;

static const pattern_def patterns[] = {
    /* XX:  -> e
     *      <- e, ee, s, es
     *      -> s, se */
    [NOISE_XX] = {"Noise_XX_25519_ChaChaPoly_BLAKE2b",
                  3,
                  {{TOK_E}, {TOK_E, TOK_EE, TOK_S, TOK_ES}, {TOK_S, TOK_SE}}},
    /* IK:  <- s
     *      ...
     *      -> e, es, s, ss
     *      <- e, ee, se */
    [NOISE_IK] = {"Noise_IK_25519_ChaChaPoly_BLAKE2b",
                  2,
                  {{TOK_E, TOK_ES, TOK_S, TOK_SS}, {TOK_E, TOK_EE, TOK_SE}}},
};

static const pattern_def *pattern_of(const noise_handshake *hs) {
    HANSA_ASSERT(hs->pattern == NOISE_XX || hs->pattern == NOISE_IK);
    return &patterns[hs->pattern];
}

/* ---- HASH, HMAC-HASH, HKDF (section 4.3) ---- */

/* HMAC-BLAKE2b(key, d1 || d2). Keys here are chaining keys or HKDF temp
 * keys (64 bytes), so they never need pre-hashing. */
static void hmac_blake2b(const uint8_t *key, size_t key_len, const uint8_t *d1, size_t l1,
                         const uint8_t *d2, size_t l2, uint8_t out[NOISE_HASH_BYTES]) {
    HANSA_ASSERT(key_len <= BLAKE2B_BLOCK_BYTES);
    uint8_t pad[BLAKE2B_BLOCK_BYTES];
    uint8_t inner[NOISE_HASH_BYTES];
    crypto_generichash_state st;

    memset(pad, 0x36, sizeof pad);
    for (size_t i = 0; i < key_len; i++) pad[i] ^= key[i];
    crypto_generichash_init(&st, NULL, 0, NOISE_HASH_BYTES);
    crypto_generichash_update(&st, pad, sizeof pad);
    if (l1) crypto_generichash_update(&st, d1, l1);
    if (l2) crypto_generichash_update(&st, d2, l2);
    crypto_generichash_final(&st, inner, sizeof inner);

    memset(pad, 0x5c, sizeof pad);
    for (size_t i = 0; i < key_len; i++) pad[i] ^= key[i];
    crypto_generichash_init(&st, NULL, 0, NOISE_HASH_BYTES);
    crypto_generichash_update(&st, pad, sizeof pad);
    crypto_generichash_update(&st, inner, sizeof inner);
    crypto_generichash_final(&st, out, NOISE_HASH_BYTES);

    sodium_memzero(pad, sizeof pad);
    sodium_memzero(inner, sizeof inner);
    sodium_memzero(&st, sizeof st);
}

/* HKDF(chaining_key, input_key_material, 2) of section 4.3: out1 and out2
 * are each HASHLEN bytes. Only two outputs are needed without PSKs. */
static void hkdf2(const uint8_t ck[NOISE_HASH_BYTES], const uint8_t *ikm, size_t ikm_len,
                  uint8_t out1[NOISE_HASH_BYTES], uint8_t out2[NOISE_HASH_BYTES]) {
    static const uint8_t one = 0x01, two = 0x02;
    uint8_t temp_key[NOISE_HASH_BYTES];
    hmac_blake2b(ck, NOISE_HASH_BYTES, ikm, ikm_len, NULL, 0, temp_key);
    hmac_blake2b(temp_key, sizeof temp_key, &one, 1, NULL, 0, out1);
    hmac_blake2b(temp_key, sizeof temp_key, out1, NOISE_HASH_BYTES, &two, 1, out2);
    sodium_memzero(temp_key, sizeof temp_key);
}

/* ---- CipherState (section 5.1) ---- */

static void cipher_init_key(noise_cipher *c, const uint8_t key[NOISE_KEY_BYTES]) {
    memcpy(c->k, key, NOISE_KEY_BYTES);
    c->n = 0;
    c->has_key = true;
}

/* ChaChaPoly nonce (section 12.3): 32 bits of zeros, then the 64-bit
 * counter little-endian. */
static void cipher_nonce(uint64_t n, uint8_t nonce[12]) {
    memset(nonce, 0, 4);
    le64_store(nonce + 4, n);
}

/* EncryptWithAd: with no key, the plaintext is copied unchanged. The caller
 * has checked that out has room for len (+ tag if keyed). */
static hansa_err cipher_encrypt_ad(noise_cipher *c, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *plain, size_t len, uint8_t *out,
                                   size_t *out_len) {
    if (!c->has_key) {
        if (len) memmove(out, plain, len);
        *out_len = len;
        return HANSA_OK;
    }
    /* Section 5.1: 2^64-1 is reserved; a cipher that reached it is spent. */
    if (c->n == UINT64_MAX) return HANSA_ERR_STATE;
    uint8_t nonce[12];
    cipher_nonce(c->n, nonce);
    unsigned long long clen = 0;
    HANSA_ASSERT(crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plain, len, ad, ad_len,
                                                           NULL, nonce, c->k) == 0);
    HANSA_ASSERT(clen == len + NOISE_MAC_BYTES);
    c->n++;
    *out_len = (size_t)clen;
    return HANSA_OK;
}

/* DecryptWithAd: on failure out[0..ct_len) is zeroed and the nonce stays. */
static hansa_err cipher_decrypt_ad(noise_cipher *c, const uint8_t *ad, size_t ad_len,
                                   const uint8_t *ct, size_t ct_len, uint8_t *out,
                                   size_t *out_len) {
    if (!c->has_key) {
        if (ct_len) memmove(out, ct, ct_len);
        *out_len = ct_len;
        return HANSA_OK;
    }
    if (c->n == UINT64_MAX) return HANSA_ERR_STATE;
    if (ct_len < NOISE_MAC_BYTES) return HANSA_ERR_TRUNCATED;
    uint8_t nonce[12];
    cipher_nonce(c->n, nonce);
    unsigned long long mlen = 0;
    if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, ct, ct_len, ad, ad_len,
                                                  nonce, c->k) != 0) {
        sodium_memzero(out, ct_len - NOISE_MAC_BYTES);
        return HANSA_ERR_CRYPTO;
    }
    HANSA_ASSERT(mlen == ct_len - NOISE_MAC_BYTES);
    c->n++;
    *out_len = (size_t)mlen;
    return HANSA_OK;
}

void noise_cipher_wipe(noise_cipher *c) { sodium_memzero(c, sizeof *c); }

hansa_err noise_cipher_encrypt(noise_cipher *c, const void *ad, size_t ad_len, const void *plain,
                               size_t len, uint8_t *out, size_t out_max, size_t *out_len) {
    HANSA_ASSERT(out_len != NULL);
    if (!c->has_key) return HANSA_ERR_STATE;
    if (len > NOISE_PAYLOAD_MAX) return HANSA_ERR_TOO_LONG;
    if (out_max < len + NOISE_MAC_BYTES) return HANSA_ERR_TOO_LONG;
    return cipher_encrypt_ad(c, ad, ad_len, plain, len, out, out_len);
}

hansa_err noise_cipher_decrypt(noise_cipher *c, const void *ad, size_t ad_len, const uint8_t *ct,
                               size_t ct_len, uint8_t *out, size_t out_max, size_t *out_len) {
    HANSA_ASSERT(out_len != NULL);
    if (!c->has_key) return HANSA_ERR_STATE;
    if (ct_len > NOISE_MSG_MAX) return HANSA_ERR_TOO_LONG;
    if (ct_len < NOISE_MAC_BYTES) return HANSA_ERR_TRUNCATED;
    if (out_max < ct_len - NOISE_MAC_BYTES) return HANSA_ERR_TOO_LONG;
    return cipher_decrypt_ad(c, ad, ad_len, ct, ct_len, out, out_len);
}

/* ---- SymmetricState (section 5.2) ---- */

static void mix_hash(noise_handshake *hs, const uint8_t *data, size_t len) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, NOISE_HASH_BYTES);
    crypto_generichash_update(&st, hs->h, NOISE_HASH_BYTES);
    if (len) crypto_generichash_update(&st, data, len);
    crypto_generichash_final(&st, hs->h, NOISE_HASH_BYTES);
}

static void mix_key(noise_handshake *hs, const uint8_t *ikm, size_t ikm_len) {
    uint8_t temp_k[NOISE_HASH_BYTES];
    hkdf2(hs->ck, ikm, ikm_len, hs->ck, temp_k);
    cipher_init_key(&hs->cs, temp_k); /* truncated to 32 bytes: HASHLEN is 64 */
    sodium_memzero(temp_k, sizeof temp_k);
}

static hansa_err encrypt_and_hash(noise_handshake *hs, const uint8_t *plain, size_t len,
                                  uint8_t *out, size_t *out_len) {
    hansa_err err = cipher_encrypt_ad(&hs->cs, hs->h, NOISE_HASH_BYTES, plain, len, out, out_len);
    if (err == HANSA_OK) mix_hash(hs, out, *out_len);
    return err;
}

static hansa_err decrypt_and_hash(noise_handshake *hs, const uint8_t *ct, size_t len,
                                  uint8_t *out, size_t *out_len) {
    uint8_t h_before[NOISE_HASH_BYTES];
    memcpy(h_before, hs->h, sizeof h_before);
    /* The AD is h before it absorbs the ciphertext; absorbing first (from
     * the copy) means the ciphertext is hashed before out overwrites it. */
    mix_hash(hs, ct, len);
    return cipher_decrypt_ad(&hs->cs, h_before, sizeof h_before, ct, len, out, out_len);
}

/* ---- HandshakeState (section 5.3) ---- */

void noise_keypair_from_private(noise_keypair *kp, const uint8_t priv[NOISE_DH_BYTES]) {
    memmove(kp->priv, priv, NOISE_DH_BYTES);
    HANSA_ASSERT(crypto_scalarmult_base(kp->pub, kp->priv) == 0);
}

void noise_keypair_from_ed25519(noise_keypair *kp, const uint8_t ed25519_secret[64]) {
    uint8_t priv[NOISE_DH_BYTES];
    HANSA_ASSERT(crypto_sign_ed25519_sk_to_curve25519(priv, ed25519_secret) == 0);
    noise_keypair_from_private(kp, priv);
    sodium_memzero(priv, sizeof priv);
}

void noise_keypair_wipe(noise_keypair *kp) { sodium_memzero(kp, sizeof *kp); }

hansa_err noise_pubkey_from_ed25519(const hansa_pubkey *ed, uint8_t out[NOISE_DH_BYTES]) {
    if (crypto_sign_ed25519_pk_to_curve25519(out, ed->b) != 0) return HANSA_ERR_INVALID;
    return HANSA_OK;
}

hansa_err noise_handshake_init(noise_handshake *hs, noise_pattern pattern, noise_role role,
                               const void *prologue, size_t prologue_len,
                               const noise_keypair *s, const uint8_t *rs, const hansa_rng *rng) {
    HANSA_ASSERT(s != NULL);
    HANSA_ASSERT(rng != NULL);
    HANSA_ASSERT(prologue != NULL || prologue_len == 0);
    if (prologue_len > NOISE_PROLOGUE_MAX) return HANSA_ERR_TOO_LONG;
    bool needs_rs = pattern == NOISE_IK && role == NOISE_INITIATOR;
    if (needs_rs && rs == NULL) return HANSA_ERR_INVALID;

    memset(hs, 0, sizeof *hs);
    hs->pattern = pattern;
    hs->role = role;
    hs->s = *s;
    uint8_t e_priv[NOISE_DH_BYTES];
    rng_fill(rng, e_priv, sizeof e_priv);
    noise_keypair_from_private(&hs->e, e_priv);
    sodium_memzero(e_priv, sizeof e_priv);

    /* InitializeSymmetric: a name of at most HASHLEN bytes is used as h,
     * zero-padded; both names here are 33 bytes. */
    const char *name = pattern_of(hs)->name;
    size_t name_len = strlen(name);
    HANSA_ASSERT(name_len <= NOISE_HASH_BYTES);
    memcpy(hs->h, name, name_len);
    memcpy(hs->ck, hs->h, NOISE_HASH_BYTES);
    mix_hash(hs, prologue, prologue_len);

    /* Pre-messages: IK's "<- s" — both sides hash the responder's static. */
    if (pattern == NOISE_IK) {
        if (role == NOISE_INITIATOR) {
            memcpy(hs->rs, rs, NOISE_DH_BYTES);
            hs->has_rs = true;
            mix_hash(hs, hs->rs, NOISE_DH_BYTES);
        } else {
            mix_hash(hs, hs->s.pub, NOISE_DH_BYTES);
        }
    }
    return HANSA_OK;
}

bool noise_handshake_done(const noise_handshake *hs) {
    return hs->msg_index >= pattern_of(hs)->n_msgs;
}

bool noise_handshake_my_turn(const noise_handshake *hs) {
    if (hs->failed || noise_handshake_done(hs)) return false;
    /* Messages alternate, the initiator sending the even ones. */
    bool initiator_sends = hs->msg_index % 2 == 0;
    return initiator_sends == (hs->role == NOISE_INITIATOR);
}

size_t noise_handshake_overhead(const noise_handshake *hs) {
    HANSA_ASSERT(!noise_handshake_done(hs));
    const uint8_t *tok = pattern_of(hs)->tokens[hs->msg_index];
    bool has_key = hs->cs.has_key;
    size_t n = 0;
    for (; *tok != TOK_END; tok++) {
        switch ((noise_token)*tok) {
        case TOK_E: n += NOISE_DH_BYTES; break;
        case TOK_S: n += NOISE_DH_BYTES + (has_key ? NOISE_MAC_BYTES : 0); break;
        case TOK_EE:
        case TOK_ES:
        case TOK_SE:
        case TOK_SS: has_key = true; break;
        case TOK_END: HANSA_UNREACHABLE();
        }
    }
    return n + (has_key ? NOISE_MAC_BYTES : 0);
}

/* The DH a token calls for, from this side's point of view (section 5.3):
 * "es" is DH(e, rs) for the initiator and DH(s, re) for the responder, and
 * "se" the mirror image. Returns HANSA_ERR_CRYPTO for an all-zero result. */
static hansa_err mix_dh(noise_handshake *hs, noise_token tok) {
    bool initiator = hs->role == NOISE_INITIATOR;
    const noise_keypair *local = NULL;
    const uint8_t *remote = NULL;
    switch (tok) {
    case TOK_EE: local = &hs->e; remote = hs->re; break;
    case TOK_ES: local = initiator ? &hs->e : &hs->s; remote = initiator ? hs->rs : hs->re; break;
    case TOK_SE: local = initiator ? &hs->s : &hs->e; remote = initiator ? hs->re : hs->rs; break;
    case TOK_SS: local = &hs->s; remote = hs->rs; break;
    case TOK_END:
    case TOK_E:
    case TOK_S: HANSA_UNREACHABLE();
    }
    /* The pattern guarantees the remote key arrived before its DH token. */
    HANSA_ASSERT(remote != hs->rs || hs->has_rs);
    HANSA_ASSERT(remote != hs->re || hs->has_re);
    uint8_t dh[NOISE_DH_BYTES];
    /* libsodium refuses (returns -1) when the output is all zeros, i.e. the
     * remote key has small order; such a key can only come from an attacker. */
    if (crypto_scalarmult(dh, local->priv, remote) != 0) {
        sodium_memzero(dh, sizeof dh);
        return HANSA_ERR_CRYPTO;
    }
    mix_key(hs, dh, sizeof dh);
    sodium_memzero(dh, sizeof dh);
    return HANSA_OK;
}

static hansa_err write_tokens(noise_handshake *hs, const uint8_t *tok, uint8_t *out,
                              size_t *pos) {
    for (; *tok != TOK_END; tok++) {
        size_t n = 0;
        hansa_err err = HANSA_OK;
        switch ((noise_token)*tok) {
        case TOK_E:
            memcpy(out + *pos, hs->e.pub, NOISE_DH_BYTES);
            mix_hash(hs, hs->e.pub, NOISE_DH_BYTES);
            n = NOISE_DH_BYTES;
            break;
        case TOK_S: err = encrypt_and_hash(hs, hs->s.pub, NOISE_DH_BYTES, out + *pos, &n); break;
        case TOK_EE:
        case TOK_ES:
        case TOK_SE:
        case TOK_SS: err = mix_dh(hs, (noise_token)*tok); break;
        case TOK_END: HANSA_UNREACHABLE();
        }
        if (err != HANSA_OK) return err;
        *pos += n;
    }
    return HANSA_OK;
}

hansa_err noise_handshake_write(noise_handshake *hs, const void *payload, size_t payload_len,
                                uint8_t *out, size_t out_max, size_t *out_len) {
    HANSA_ASSERT(out_len != NULL);
    HANSA_ASSERT(payload != NULL || payload_len == 0);
    if (!noise_handshake_my_turn(hs) || hs->split_done) return HANSA_ERR_STATE;
    size_t overhead = noise_handshake_overhead(hs);
    if (payload_len > NOISE_MSG_MAX - overhead) return HANSA_ERR_TOO_LONG;
    if (payload_len + overhead > out_max) return HANSA_ERR_TOO_LONG;

    size_t pos = 0, n = 0;
    hansa_err err = write_tokens(hs, pattern_of(hs)->tokens[hs->msg_index], out, &pos);
    if (err == HANSA_OK) err = encrypt_and_hash(hs, payload, payload_len, out + pos, &n);
    if (err != HANSA_OK) {
        hs->failed = true;
        sodium_memzero(out, payload_len + overhead);
        return err;
    }
    HANSA_ASSERT(pos + n == payload_len + overhead);
    *out_len = pos + n;
    hs->msg_index++;
    return HANSA_OK;
}

static hansa_err read_tokens(noise_handshake *hs, const uint8_t *tok, const uint8_t *msg,
                             size_t *pos) {
    for (; *tok != TOK_END; tok++) {
        hansa_err err = HANSA_OK;
        switch ((noise_token)*tok) {
        case TOK_E:
            memcpy(hs->re, msg + *pos, NOISE_DH_BYTES);
            hs->has_re = true;
            mix_hash(hs, hs->re, NOISE_DH_BYTES);
            *pos += NOISE_DH_BYTES;
            break;
        case TOK_S: {
            size_t len = NOISE_DH_BYTES + (hs->cs.has_key ? NOISE_MAC_BYTES : 0), n = 0;
            err = decrypt_and_hash(hs, msg + *pos, len, hs->rs, &n);
            hs->has_rs = err == HANSA_OK;
            *pos += len;
            break;
        }
        case TOK_EE:
        case TOK_ES:
        case TOK_SE:
        case TOK_SS: err = mix_dh(hs, (noise_token)*tok); break;
        case TOK_END: HANSA_UNREACHABLE();
        }
        if (err != HANSA_OK) return err;
    }
    return HANSA_OK;
}

static hansa_err read_checked(noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                              uint8_t *payload, size_t payload_max, size_t *payload_len) {
    if (msg_len > NOISE_MSG_MAX) return HANSA_ERR_TOO_LONG;
    size_t overhead = noise_handshake_overhead(hs);
    if (msg_len < overhead) return HANSA_ERR_TRUNCATED;
    if (msg_len - overhead > payload_max) return HANSA_ERR_TOO_LONG;
    size_t pos = 0;
    hansa_err err = read_tokens(hs, pattern_of(hs)->tokens[hs->msg_index], msg, &pos);
    if (err != HANSA_OK) return err;
    return decrypt_and_hash(hs, msg + pos, msg_len - pos, payload, payload_len);
}

hansa_err noise_handshake_read(noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                               uint8_t *payload, size_t payload_max, size_t *payload_len) {
    HANSA_ASSERT(payload_len != NULL);
    HANSA_ASSERT(msg != NULL || msg_len == 0);
    if (hs->failed || hs->split_done || noise_handshake_done(hs)) return HANSA_ERR_STATE;
    if (noise_handshake_my_turn(hs)) return HANSA_ERR_STATE;
    hansa_err err = read_checked(hs, msg, msg_len, payload, payload_max, payload_len);
    if (err != HANSA_OK) {
        hs->failed = true;
        if (payload_max) sodium_memzero(payload, payload_max < msg_len ? payload_max : msg_len);
        return err;
    }
    hs->msg_index++;
    return HANSA_OK;
}

void noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_BYTES]) {
    HANSA_ASSERT(noise_handshake_done(hs));
    HANSA_ASSERT(!hs->failed);
    memcpy(out, hs->h, NOISE_HASH_BYTES);
}

const uint8_t *noise_handshake_remote_static(const noise_handshake *hs) {
    return hs->has_rs ? hs->rs : NULL;
}

void noise_handshake_split(noise_handshake *hs, noise_cipher *send, noise_cipher *recv) {
    HANSA_ASSERT(noise_handshake_done(hs));
    HANSA_ASSERT(!hs->failed);
    HANSA_ASSERT(!hs->split_done);
    uint8_t k1[NOISE_HASH_BYTES], k2[NOISE_HASH_BYTES];
    hkdf2(hs->ck, NULL, 0, k1, k2);
    /* c1 carries initiator -> responder, c2 the other way. */
    bool initiator = hs->role == NOISE_INITIATOR;
    cipher_init_key(send, initiator ? k1 : k2);
    cipher_init_key(recv, initiator ? k2 : k1);
    sodium_memzero(k1, sizeof k1);
    sodium_memzero(k2, sizeof k2);
    sodium_memzero(hs->ck, sizeof hs->ck);
    noise_cipher_wipe(&hs->cs);
    sodium_memzero(&hs->s, sizeof hs->s);
    sodium_memzero(&hs->e, sizeof hs->e);
    sodium_memzero(hs->re, sizeof hs->re);
    hs->split_done = true;
}

void noise_handshake_wipe(noise_handshake *hs) { sodium_memzero(hs, sizeof *hs); }
