/* roast_msg.h — the messages of a ROAST signing run (threshold/roast.h).
 *
 * Three messages, each starting with the wire version byte, a kind byte, the
 * group key (which names the group and so the key generation it came from)
 * and the round (what is being signed, e.g. a checkpoint height), so a
 * message for another group or another round never counts:
 *   COMMIT   signer -> coordinator  a fresh nonce commitment (round one)
 *   REQUEST  coordinator -> signers  one signing session: its number, the
 *                                    message and the commitment list
 *   SHARE    signer -> coordinator  a signature share for a session, with
 *                                    the signer's next fresh commitment
 * They travel on authenticated links (Noise), which say who sent them; they
 * carry no signature of their own: a share is checked against the signer's
 * verification share, and a forged commitment can only make a session fail,
 * which ROAST survives. Layouts: docs/wire.md ("FROST signing (ROAST)"). */
#ifndef HANSA_THRESHOLD_ROAST_MSG_H
#define HANSA_THRESHOLD_ROAST_MSG_H

#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/frost.h"
#include "wire/codec.h"

/* Bytes of a message to sign: a checkpoint is about a hundred. */
#define ROAST_MSG_MAX 1024

typedef enum {
    ROAST_MSG_COMMIT = 1,
    ROAST_MSG_REQUEST = 2,
    ROAST_MSG_SHARE = 3,
} roast_msg_kind;

typedef struct {
    roast_msg_kind kind;
    frost_point group_key;
    uint64_t round;
    uint32_t session;             /* REQUEST, SHARE */
    frost_commitment commitment;  /* COMMIT: the fresh one; SHARE: the next one (id = signer) */
    frost_scalar z;               /* SHARE */
    const uint8_t *msg;           /* REQUEST: borrowed from the decoded input */
    uint32_t msg_len;
    uint16_t n;                   /* REQUEST: entries in list, 1..FROST_PARTICIPANTS_MAX */
    frost_commitment list[FROST_PARTICIPANTS_MAX]; /* REQUEST: sorted by id */
} roast_msg;

#define ROAST_HEADER_BYTES (1 + 1 + FROST_POINT_BYTES + 8)
#define ROAST_COMMIT_BYTES (ROAST_HEADER_BYTES + 2 + 2 * FROST_POINT_BYTES)
#define ROAST_SHARE_BYTES (ROAST_HEADER_BYTES + 4 + 2 + FROST_SCALAR_BYTES + 2 * FROST_POINT_BYTES)
#define ROAST_REQUEST_BYTES(msg_len, n) \
    (ROAST_HEADER_BYTES + 4 + 4 + (size_t)(msg_len) + 2 + (size_t)(n) * (2 + 2 * FROST_POINT_BYTES))

void roast_msg_encode(hbuf *b, const roast_msg *m);
/* Parses exactly one message occupying [p, p+len); a REQUEST's msg borrows
 * from p. Errors (offset and field in *r if given; *m zeroed):
 *   TRUNCATED/TRAILING, VERSION as usual
 *   NONCANONICAL  unknown kind, a scalar >= L, an element that is no
 *                 canonical encoding, list identifiers not strictly increasing
 *   INVALID       an identity element, a signer id 0 or over
 *                 FROST_PARTICIPANTS_MAX, an empty list
 *   TOO_LONG      msg over ROAST_MSG_MAX, list over FROST_PARTICIPANTS_MAX */
hansa_err roast_msg_decode(const uint8_t *p, size_t len, roast_msg *m, wire_rd *r);

#endif
