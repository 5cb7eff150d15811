/* noise.h — the Noise Protocol Framework (revision 34), as hansa's peer links use it:
 * Noise_XX_25519_ChaChaPoly_BLAKE2b, and Noise_IK_25519_ChaChaPoly_BLAKE2b for
 * peers that already know each other's static key.
 *
 * The handshake is sans-I/O: the caller feeds it whole Noise messages and gets
 * whole Noise messages back, in buffers the caller owns. It never reads a
 * socket or a clock; the one random input (the ephemeral private key) comes
 * from a hansa_rng at init, so tests and the simulator can fix it.
 *
 * Primitives (spec section 12): DH is X25519 (DHLEN 32), the cipher is
 * ChaCha20-Poly1305 IETF with the 96-bit nonce 4 zero bytes || 64-bit
 * little-endian counter, the hash is BLAKE2b-512 (HASHLEN 64, BLOCKLEN 128),
 * HMAC-BLAKE2b and HKDF as in spec section 4.3.
 *
 * Lifecycle: noise_handshake_init, then alternate write/read according to the
 * pattern (noise_handshake_my_turn says whose turn it is) until
 * noise_handshake_done, then noise_handshake_split into two cipher states.
 * Any error (a bad message, a failed decryption) leaves the handshake failed:
 * every later call returns HANSA_ERR_STATE, as the spec requires that a
 * failed handshake be abandoned. Secrets are wiped by noise_handshake_wipe and
 * noise_cipher_wipe, and by split. */
#ifndef HANSA_CRYPTO_NOISE_H
#define HANSA_CRYPTO_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/rng.h"

#define NOISE_DH_BYTES 32      /* X25519 public key, private key, shared secret */
#define NOISE_KEY_BYTES 32     /* ChaCha20-Poly1305 key */
#define NOISE_HASH_BYTES 64    /* BLAKE2b-512 output; also the handshake hash */
#define NOISE_MAC_BYTES 16     /* Poly1305 tag */
#define NOISE_MSG_MAX 65535    /* spec section 3: no Noise message is longer */
#define NOISE_PROLOGUE_MAX 1024 /* hansa's own bound: prologues are short labels */
/* The most payload one transport message can carry. */
#define NOISE_PAYLOAD_MAX (NOISE_MSG_MAX - NOISE_MAC_BYTES)

typedef enum { NOISE_XX, NOISE_IK } noise_pattern;
typedef enum { NOISE_INITIATOR, NOISE_RESPONDER } noise_role;

/* An X25519 key pair. */
typedef struct {
    uint8_t priv[NOISE_DH_BYTES];
    uint8_t pub[NOISE_DH_BYTES];
} noise_keypair;

/* A CipherState (spec section 5.1): a key, or none, and a 64-bit nonce. */
typedef struct {
    uint8_t k[NOISE_KEY_BYTES];
    uint64_t n;
    bool has_key;
} noise_cipher;

/* A HandshakeState with its SymmetricState (spec sections 5.2, 5.3). The
 * fields are visible so callers can allocate it anywhere; only noise.c
 * touches them. */
typedef struct {
    noise_cipher cs;
    uint8_t ck[NOISE_HASH_BYTES];
    uint8_t h[NOISE_HASH_BYTES];
    noise_keypair s, e;
    uint8_t rs[NOISE_DH_BYTES], re[NOISE_DH_BYTES];
    bool has_rs, has_re;
    noise_pattern pattern;
    noise_role role;
    uint8_t msg_index; /* index of the next handshake message in the pattern */
    bool failed;       /* an error happened: the handshake refuses further use */
    bool split_done;   /* keys handed out and secrets wiped */
} noise_handshake;

/* Fills kp->pub from kp->priv (X25519 base-point multiplication). */
void noise_keypair_from_private(noise_keypair *kp, const uint8_t priv[NOISE_DH_BYTES]);

/* Derives the X25519 key pair that belongs to an Ed25519 secret key
 * (libsodium's seed||pk form, 64 bytes), so a node has one identity: its
 * Noise static public key is the birationally mapped Ed25519 public key
 * (noise_pubkey_from_ed25519 computes it from the Ed25519 public key alone). */
void noise_keypair_from_ed25519(noise_keypair *kp, const uint8_t ed25519_secret[64]);

/* Wipes the private key (and the public one). */
void noise_keypair_wipe(noise_keypair *kp);

/* Maps an Ed25519 public key to the X25519 public key a peer with that
 * identity presents as its Noise static key. Returns HANSA_ERR_INVALID if the
 * bytes are not a usable Ed25519 point (small order, not on the curve). */
hansa_err noise_pubkey_from_ed25519(const hansa_pubkey *ed, uint8_t out[NOISE_DH_BYTES]);

/* Starts a handshake. `s` is this side's static key pair (copied). `rs` is
 * the responder's static public key, required for an IK initiator and
 * ignored otherwise (NULL allowed). The ephemeral private key is drawn from
 * rng now (32 bytes); rng is not kept. prologue may be NULL if its length is
 * 0. Returns HANSA_ERR_TOO_LONG if prologue_len > NOISE_PROLOGUE_MAX and
 * HANSA_ERR_INVALID if an IK initiator has no rs. */
hansa_err noise_handshake_init(noise_handshake *hs, noise_pattern pattern, noise_role role,
                               const void *prologue, size_t prologue_len,
                               const noise_keypair *s, const uint8_t *rs, const hansa_rng *rng);

/* True if this side writes the next handshake message, false if it reads it
 * (or the handshake is over). */
bool noise_handshake_my_turn(const noise_handshake *hs);
/* True once every message of the pattern has been written or read. */
bool noise_handshake_done(const noise_handshake *hs);

/* Bytes the next handshake message adds to its payload (keys and tags), so a
 * caller can size buffers: a message is payload_len + this. */
size_t noise_handshake_overhead(const noise_handshake *hs);

/* Writes the next handshake message, carrying `payload`, into out[out_max];
 * *out_len gets its length. Returns HANSA_ERR_STATE if it is not this side's
 * turn or the handshake failed or is done, HANSA_ERR_TOO_LONG if the message
 * would exceed out_max or NOISE_MSG_MAX (the handshake is then unchanged and
 * still usable), HANSA_ERR_CRYPTO if a DH gives the all-zero output (a
 * small-order remote key; the handshake is then failed). */
hansa_err noise_handshake_write(noise_handshake *hs, const void *payload, size_t payload_len,
                                uint8_t *out, size_t out_max, size_t *out_len);

/* Reads the next handshake message `msg` from the peer and writes its payload
 * into payload[payload_max]; *payload_len gets its length. Returns
 * HANSA_ERR_TOO_LONG if msg_len > NOISE_MSG_MAX or the payload does not fit,
 * HANSA_ERR_TRUNCATED if msg is shorter than the pattern requires,
 * HANSA_ERR_CRYPTO if a decryption fails or a DH output is zero. Every error
 * except HANSA_ERR_STATE fails the handshake, and payload is zeroed. */
hansa_err noise_handshake_read(noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                               uint8_t *payload, size_t payload_max, size_t *payload_len);

/* The handshake hash h (spec section 11.2) — equal on both sides once done,
 * usable for channel binding. Valid only when done. */
void noise_handshake_hash(const noise_handshake *hs, uint8_t out[NOISE_HASH_BYTES]);

/* The remote static public key, or NULL if not yet known. Borrowed: valid
 * while hs is (and until split, which keeps it). */
const uint8_t *noise_handshake_remote_static(const noise_handshake *hs);

/* Split (spec section 5.2) into this side's sending and receiving cipher
 * states, then wipes every secret of the handshake except the remote static
 * key and the handshake hash. The handshake must be done. */
void noise_handshake_split(noise_handshake *hs, noise_cipher *send, noise_cipher *recv);

/* Wipes every field of the handshake (call when abandoning it). */
void noise_handshake_wipe(noise_handshake *hs);

/* Transport encryption of plain[len] with associated data ad[ad_len] into
 * out[out_max] (len + NOISE_MAC_BYTES bytes). Returns HANSA_ERR_TOO_LONG if
 * len > NOISE_PAYLOAD_MAX or out_max is too small, HANSA_ERR_STATE if the
 * cipher has no key or its nonce is exhausted (2^64-1 is reserved). */
hansa_err noise_cipher_encrypt(noise_cipher *c, const void *ad, size_t ad_len, const void *plain,
                               size_t len, uint8_t *out, size_t out_max, size_t *out_len);

/* Transport decryption: ct[ct_len] -> out[out_max] (ct_len - NOISE_MAC_BYTES
 * bytes). Returns HANSA_ERR_TOO_LONG for ct_len > NOISE_MSG_MAX or a small
 * out_max, HANSA_ERR_TRUNCATED for ct_len < NOISE_MAC_BYTES, HANSA_ERR_CRYPTO
 * if authentication fails (out zeroed, nonce not advanced), HANSA_ERR_STATE
 * as for encrypt. */
hansa_err noise_cipher_decrypt(noise_cipher *c, const void *ad, size_t ad_len, const uint8_t *ct,
                               size_t ct_len, uint8_t *out, size_t out_max, size_t *out_len);

void noise_cipher_wipe(noise_cipher *c);

#endif
