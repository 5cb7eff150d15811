/* repair_msg.h — the messages of a share repair (threshold/repair.h).
 *
 * Three messages, each signed by its sender's delegate key (Ed25519, domain
 * REPAIR_DOMAIN, over every byte before the signature). Layout, integers
 * little-endian (docs/wire.md, "FROST share repair"):
 *
 *   offset size  field
 *   0      1     version (WIRE_VERSION)
 *   1      1     kind: 1 REQUEST, 2 DELTA, 3 SIGMA
 *   2      32    session: dkg_session_id of the key's set
 *   34     2     target: the participant whose share is rebuilt, 1..128
 *   36     4     round: the target's height when it asked (a helper takes
 *                it only near its own height: repair_round_admit)
 *   REQUEST (target -> helpers; the node's peer message 21)
 *   40     2     count: helpers, 1..127 (ids 1..128, not the target)
 *   42     2*c   helpers, strictly increasing, 1..128, none the target
 *   ..     64    sig (the target's)
 *   DELTA (helper -> helper; peer message 22)
 *   40     32    req: SHA-256 of the REQUEST's encoding (names the helper set)
 *   72     2     from: the helper that split its share
 *   74     2     to: the helper the piece is for (not from)
 *   76     80    sealed: the 32-byte piece sealed to `to` (seal.h; ad = bytes 0..75)
 *   156    64    sig (from's)
 *   SIGMA (helper -> target; peer message 23)
 *   40     32    req
 *   72     2     from: the helper (not the target)
 *   74     80    sealed: the 32-byte sum sealed to the target (ad = bytes 0..73)
 *   154    64    sig (from's)
 *
 * The decoder checks form (version, kind, bounds, ordering); signatures,
 * seals and session rules are repair.c's. */
#ifndef HANSA_THRESHOLD_REPAIR_MSG_H
#define HANSA_THRESHOLD_REPAIR_MSG_H

#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/frost.h"
#include "crypto/seal.h"
#include "wire/codec.h"

#define REPAIR_DOMAIN "hansa/repair/v1"

typedef enum {
    REPAIR_MSG_REQUEST = 1,
    REPAIR_MSG_DELTA = 2,
    REPAIR_MSG_SIGMA = 3,
} repair_msg_kind;

#define REPAIR_SEALED_BYTES (FROST_SCALAR_BYTES + SEAL_OVERHEAD)
#define REPAIR_HEADER_BYTES (1 + 1 + HANSA_HASH_BYTES + 2 + 4)
#define REPAIR_REQUEST_BYTES(count) (REPAIR_HEADER_BYTES + 2 + 2 * (size_t)(count) + HANSA_SIG_BYTES)
#define REPAIR_DELTA_BYTES (REPAIR_HEADER_BYTES + HANSA_HASH_BYTES + 2 + 2 + REPAIR_SEALED_BYTES + HANSA_SIG_BYTES)
#define REPAIR_SIGMA_BYTES (REPAIR_HEADER_BYTES + HANSA_HASH_BYTES + 2 + REPAIR_SEALED_BYTES + HANSA_SIG_BYTES)

typedef struct {
    repair_msg_kind kind;
    hansa_hash session;
    uint16_t target;
    uint32_t round;
    uint16_t count;                           /* REQUEST */
    uint16_t helpers[FROST_PARTICIPANTS_MAX]; /* REQUEST */
    hansa_hash req;                           /* DELTA, SIGMA */
    uint16_t from;                            /* DELTA, SIGMA */
    uint16_t to;                              /* DELTA */
    uint8_t sealed[REPAIR_SEALED_BYTES];      /* DELTA, SIGMA */
    hansa_sig sig;
} repair_msg;

/* Everything before the signature (what the sender signs; a DELTA's or
 * SIGMA's seal authenticates the bytes before `sealed`). */
void repair_msg_encode_unsigned(hbuf *b, const repair_msg *m);
/* The whole message. Asserts a well-formed one. */
void repair_msg_encode(hbuf *b, const repair_msg *m);
/* Parses exactly one message occupying [p, p+len). Errors (*m zeroed, *r,
 * if given, names the field and offset):
 *   TRUNCATED/TRAILING, VERSION as usual
 *   NONCANONICAL  an unknown kind, helpers not strictly increasing
 *   INVALID       an id 0 or over FROST_PARTICIPANTS_MAX, no helpers, the
 *                 target among the helpers, a DELTA to its own sender, a
 *                 SIGMA from the target
 *   TOO_LONG      more than FROST_PARTICIPANTS_MAX helpers */
hansa_err repair_msg_decode(const uint8_t *p, size_t len, repair_msg *m, wire_rd *r);
/* SHA-256 of the encoding: a REQUEST's hash is what its DELTAs and SIGMAs
 * name. */
void repair_msg_hash(const repair_msg *m, hansa_hash *out);

#endif
