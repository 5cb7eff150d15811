/* checkpoint.h — what a chain's FROST group signs after each committed
 * block (issue 14 phase 3; docs/frost.md, layouts in docs/wire.md):
 *   - the checkpoint message: the exact bytes the group signs, naming the
 *     chain, the height, the block's header hash and the key's epoch;
 *   - a signed checkpoint: those fields with the group key and the 64-byte
 *     signature, as stored, served by RPC and sent to peers (MSG_CHECKPOINT);
 *     anyone checks it with one frost_verify against the group key;
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
#include "wire/codec.h"

#define CHECKPOINT_DOMAIN "hansa/checkpoint/v1"
/* domain (19) || chain_id u32 || height u64 || header_hash 32 || epoch u64 */
#define CHECKPOINT_MSG_BYTES (19 + 4 + 8 + HANSA_HASH_BYTES + 8)

typedef struct {
    uint64_t height;
    uint64_t epoch;          /* the group key's epoch (its set's activation height) */
    hansa_hash header_hash;  /* of the block at height */
    frost_point group_key;
    frost_sig sig;           /* over checkpoint_msg(chain_id, height, header_hash, epoch) */
} checkpoint;

/* version 1 || height u64 || epoch u64 || header_hash 32 || group_key 32 || sig 64 */
#define CHECKPOINT_BYTES (1 + 8 + 8 + HANSA_HASH_BYTES + FROST_POINT_BYTES + FROST_SIG_BYTES)

/* Appends the message a checkpoint signs. */
void checkpoint_msg(hbuf *b, uint32_t chain_id, uint64_t height, const hansa_hash *header_hash,
                    uint64_t epoch);

void checkpoint_encode(hbuf *b, const checkpoint *c);
/* Exactly CHECKPOINT_BYTES: TRUNCATED/TRAILING, VERSION, NONCANONICAL or
 * INVALID for a key or signature that is no canonical non-identity element
 * or scalar (field and offset in *r if given; *c zeroed on error). */
hansa_err checkpoint_decode(const uint8_t *p, size_t len, checkpoint *c, wire_rd *r);
/* Whether c->sig is the group key's signature on c's checkpoint message. */
bool checkpoint_verify(uint32_t chain_id, const checkpoint *c);

/* ---- the envelope of a ROAST message ---- */

#define ROAST_ENV_DOMAIN "hansa/roast/v1"
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
 * replaced whole at every change: version 1 || epoch u64 || count u16 ||
 * count x (round u64 || id u16 || hiding 32 || binding 32 || hiding nonce 32
 * || binding nonce 32). A nonce leaves the record before the share made
 * with it leaves the process, so a record never lists a used nonce. */
#define ROAST_NONCE_ENTRY_BYTES (8 + 2 + 2 * FROST_POINT_BYTES + 2 * FROST_SCALAR_BYTES)

void roast_nonces_encode(hbuf *b, uint64_t epoch, const roast_nonce_rec *recs, size_t n);
/* Parses a record into recs[0..*n) (at most ROAST_FRESH_MAX, all FRESH):
 * TRUNCATED/TRAILING, VERSION, TOO_LONG (count), NONCANONICAL/INVALID for a
 * bad point, scalar or id, INVALID for a zero nonce. */
hansa_err roast_nonces_decode(const uint8_t *p, size_t len, uint64_t *epoch,
                              roast_nonce_rec recs[ROAST_FRESH_MAX], size_t *n, wire_rd *r);

#endif
