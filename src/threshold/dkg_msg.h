/* dkg_msg.h — the messages of hansa's dealerless key generation (threshold/dkg.h).
 *
 * Five messages, each starting with the wire version byte, a kind byte and
 * the 32-byte session id (dkg_session_id), so a message of one session,
 * chain, epoch or validator set never counts in another:
 *   COMMIT     broadcast  a dealer's t polynomial commitments and its proof
 *                         of knowledge, signed with its delegate key
 *   SHARE      private    a dealer's share for one recipient, sealed to the
 *                         recipient's key; inside, the share is signed by the
 *                         dealer together with the hash of its COMMIT, so a
 *                         bad share is evidence anyone can check
 *   COMPLAINT  broadcast  a recipient accuses a dealer: BAD_SHARE (with the
 *                         signed share as evidence) or MISSING (no valid
 *                         share came); signed by the accuser
 *   REVEAL     broadcast  a dealer answers a MISSING complaint by publishing
 *                         the signed share
 *   RESULT     broadcast  a participant's outcome: the qualified dealers, the
 *                         group key and the transcript hash, signed
 * The byte layouts are tables in docs/wire.md ("FROST key generation").
 * The decoder checks form (versions, kinds, bounds, canonical scalars and
 * non-identity elements); signatures and session rules are dkg.c's. */
#ifndef HANSA_THRESHOLD_DKG_MSG_H
#define HANSA_THRESHOLD_DKG_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/frost.h"
#include "crypto/seal.h"
#include "wire/codec.h"

/* Ed25519 domains: DKG broadcast messages, and a dealer's signed share. */
#define DKG_DOMAIN "hansa/dkg/v1"
#define DKG_SHARE_DOMAIN "hansa/dkg-share/v1"

typedef enum {
    DKG_MSG_COMMIT = 1,
    DKG_MSG_SHARE = 2,
    DKG_MSG_COMPLAINT = 3,
    DKG_MSG_REVEAL = 4,
    DKG_MSG_RESULT = 5,
} dkg_msg_kind;

typedef enum {
    DKG_COMPLAINT_BAD_SHARE = 1, /* evidence: the dealer's signed share */
    DKG_COMPLAINT_MISSING = 2,   /* no valid share came; the dealer must reveal */
} dkg_complaint_reason;

/* Bitmap of participants 1..128: bit (i-1) of byte (i-1)/8. */
#define DKG_BITMAP_BYTES (FROST_PARTICIPANTS_MAX / 8)

/* A share as its dealer signed it: sig covers DKG_SHARE_DOMAIN ||
 * dkg_share_sign_bytes(session, dealer, recipient, commit_hash, share). */
typedef struct {
    frost_scalar share;
    hansa_hash commit_hash; /* SHA-256 of the dealer's COMMIT encoding */
    hansa_sig sig;
} dkg_signed_share;

#define DKG_SIGNED_SHARE_BYTES (FROST_SCALAR_BYTES + HANSA_HASH_BYTES + HANSA_SIG_BYTES)
#define DKG_SEALED_BYTES (DKG_SIGNED_SHARE_BYTES + SEAL_OVERHEAD)

typedef struct {
    uint16_t dealer;
    uint16_t t; /* length of commits: must be the session's threshold */
    frost_point commits[FROST_PARTICIPANTS_MAX];
    frost_sig pok;
    hansa_sig sig;
} dkg_commit_body;

typedef struct {
    uint16_t dealer;
    uint16_t recipient;
    uint8_t sealed[DKG_SEALED_BYTES]; /* seal_encrypt of the dkg_signed_share */
} dkg_share_body;

typedef struct {
    uint16_t accuser;
    uint16_t dealer;
    dkg_complaint_reason reason;
    dkg_signed_share evidence; /* BAD_SHARE only; zero for MISSING */
    hansa_sig sig;
} dkg_complaint_body;

typedef struct {
    uint16_t dealer;
    uint16_t recipient;
    dkg_signed_share share;
} dkg_reveal_body;

typedef struct {
    uint16_t participant;
    uint8_t qual[DKG_BITMAP_BYTES];
    frost_point key;
    hansa_hash transcript;
    hansa_sig sig;
} dkg_result_body;

typedef struct {
    dkg_msg_kind kind;
    hansa_hash session;
    union {
        dkg_commit_body commit;
        dkg_share_body share;
        dkg_complaint_body complaint;
        dkg_reveal_body reveal;
        dkg_result_body result;
    } u;
} dkg_msg;

/* Encoded sizes (docs/wire.md). */
#define DKG_HEADER_BYTES (1 + 1 + HANSA_HASH_BYTES)
#define DKG_COMMIT_BYTES(t) \
    (DKG_HEADER_BYTES + 2 + 2 + (size_t)(t)*FROST_POINT_BYTES + FROST_SIG_BYTES + HANSA_SIG_BYTES)
#define DKG_SHARE_BYTES (DKG_HEADER_BYTES + 2 + 2 + DKG_SEALED_BYTES)
#define DKG_COMPLAINT_BYTES(bad) \
    (DKG_HEADER_BYTES + 2 + 2 + 1 + ((bad) ? DKG_SIGNED_SHARE_BYTES : 0) + HANSA_SIG_BYTES)
#define DKG_REVEAL_BYTES (DKG_HEADER_BYTES + 2 + 2 + DKG_SIGNED_SHARE_BYTES)
#define DKG_RESULT_BYTES \
    (DKG_HEADER_BYTES + 2 + DKG_BITMAP_BYTES + FROST_POINT_BYTES + HANSA_HASH_BYTES + HANSA_SIG_BYTES)

void dkg_msg_encode(hbuf *b, const dkg_msg *m);
/* Parses exactly one message occupying [p, p+len). Errors (with the offset
 * and field in *r, if given; *m zeroed):
 *   TRUNCATED/TRAILING  short or long input
 *   VERSION             version byte not WIRE_VERSION
 *   NONCANONICAL        unknown kind or complaint reason, a scalar >= L, an
 *                       element that is no canonical ristretto255 encoding
 *   INVALID             participant 0 or over FROST_PARTICIPANTS_MAX,
 *                       t = 0, an identity element
 *   TOO_LONG            t over FROST_PARTICIPANTS_MAX */
hansa_err dkg_msg_decode(const uint8_t *p, size_t len, dkg_msg *m, wire_rd *r);
/* The bytes the sender's Ed25519 signature covers (under DKG_DOMAIN): the
 * encoding without its final signature. COMMIT, COMPLAINT and RESULT only. */
void dkg_msg_sign_bytes(hbuf *b, const dkg_msg *m);
/* SHA-256 of the encoding: a COMMIT's hash is what signed shares name. */
void dkg_msg_hash(const dkg_msg *m, hansa_hash *out);
/* The associated data a SHARE's seal authenticates: its header fields. */
void dkg_share_ad(hbuf *b, const hansa_hash *session, uint16_t dealer, uint16_t recipient);

/* What a dealer's share signature covers (under DKG_SHARE_DOMAIN). */
void dkg_share_sign_bytes(hbuf *b, const hansa_hash *session, uint16_t dealer, uint16_t recipient,
                          const hansa_hash *commit_hash, const frost_scalar *share);
/* The sealed plaintext of a SHARE: share || commit_hash || sig. */
void dkg_signed_share_encode(uint8_t out[DKG_SIGNED_SHARE_BYTES], const dkg_signed_share *s);
/* HANSA_ERR_NONCANONICAL for a share >= L (s zeroed). */
hansa_err dkg_signed_share_decode(const uint8_t in[DKG_SIGNED_SHARE_BYTES], dkg_signed_share *s);

static inline bool dkg_bitmap_get(const uint8_t *bm, uint16_t id) {
    return id >= 1 && id <= FROST_PARTICIPANTS_MAX && ((bm[(id - 1) / 8] >> ((id - 1) % 8)) & 1);
}
static inline void dkg_bitmap_set(uint8_t *bm, uint16_t id) {
    bm[(id - 1) / 8] |= (uint8_t)(1u << ((id - 1) % 8));
}

#endif
