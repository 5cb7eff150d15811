/* checkpoint.h — what a chain's FROST group signs after each committed
 * block (issue 14 phase 3; docs/frost.md, layouts in docs/wire.md):
 *   - the checkpoint, the handoff and a follower's rules (frost_trust) are
 *     in wire/checkpoint.h, included here: the light client checks them too;
 *   - the envelope a ROAST message travels in between delegates
 *     (MSG_ROAST): the sender's participant id and an Ed25519 signature of
 *     the delegate key, so a message broadcast over any link is attributed
 *     to its signer. */
#ifndef HANSA_THRESHOLD_CHECKPOINT_H
#define HANSA_THRESHOLD_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/roast.h"
#include "threshold/roast_msg.h"
#include "wire/checkpoint.h"
#include "wire/codec.h"

/* ---- the envelope of a ROAST message ---- */

#define ROAST_ENV_DOMAIN "hansa/roast/v1"
/* An envelope's bytes around a message of len bytes. */
#define ROAST_ENV_BYTES(len) (1 + 4 + 2 + 4 + (size_t)(len) + HANSA_SIG_BYTES)
/* A REQUEST for a full group and the largest message. */
#define ROAST_ENV_MSG_MAX ROAST_REQUEST_BYTES(ROAST_MSG_MAX, FROST_PARTICIPANTS_MAX)

typedef struct {
    uint32_t chain_id;
    uint16_t from;       /* sender's participant id, 1..FROST_PARTICIPANTS_MAX */
    const uint8_t *msg;  /* a roast_msg's bytes (borrowed); not decoded here */
    uint32_t msg_len;    /* 1..ROAST_ENV_MSG_MAX */
    hansa_sig sig;       /* by the sender's delegate key over ROAST_ENV_DOMAIN and the bytes before it */
} roast_env;

/* version 1 || chain_id u32 || from u16 || msg_len u32 || msg || sig 64;
 * signs with kp. */
void roast_env_encode(hbuf *b, uint32_t chain_id, uint16_t from, const uint8_t *msg, size_t len,
                      const hansa_keypair *kp);
/* Parses (not verifies) an envelope: TRUNCATED/TRAILING, VERSION, INVALID
 * for from 0 or over FROST_PARTICIPANTS_MAX or an empty msg, TOO_LONG. */
hansa_err roast_env_decode(const uint8_t *p, size_t len, roast_env *e, wire_rd *r);
/* Whether e->sig is pk's signature on the envelope p (len bytes) e came from. */
bool roast_env_verify(const uint8_t *p, size_t len, const hansa_pubkey *pk);

/* ---- a signer's stored nonces ---- */

/* The record a delegate keeps its unused nonce pairs in (store_put_roast),
 * replaced whole at every change: version 1 || count u16 || count x (epoch
 * u64 || round u64 || id u16 || hiding 32 || binding 32 || hiding nonce 32
 * || binding nonce 32); epoch names the group key the pair belongs to (a
 * node may sign with two: the handoff). A nonce leaves the record before
 * the share made with it leaves the process, so a record never lists a
 * used nonce. */
#define ROAST_NONCE_ENTRY_BYTES (8 + 8 + 2 + 2 * FROST_POINT_BYTES + 2 * FROST_SCALAR_BYTES)
#define ROAST_NONCES_MAX (2 * ROAST_FRESH_MAX)

typedef struct {
    uint64_t epoch;
    roast_nonce_rec rec;
} roast_nonce_entry;

void roast_nonces_encode(hbuf *b, const roast_nonce_entry *e, size_t n);
/* Parses a record into e[0..*n) (at most ROAST_NONCES_MAX, all FRESH):
 * TRUNCATED/TRAILING, VERSION, TOO_LONG (count), NONCANONICAL/INVALID for a
 * bad point, scalar or id, INVALID for a zero nonce. */
hansa_err roast_nonces_decode(const uint8_t *p, size_t len, roast_nonce_entry e[ROAST_NONCES_MAX],
                              size_t *n, wire_rd *r);

#endif
