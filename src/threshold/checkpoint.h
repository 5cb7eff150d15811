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

/* ---- the handoff: the old group signs the new group's key ---- */

#define HANDOFF_DOMAIN "hansa/handoff/v1"
/* domain (16) || chain_id u32 || old_epoch u64 || new_epoch u64 || new_key 32 || t u16 || n u16 */
#define HANDOFF_MSG_BYTES (16 + 4 + 8 + 8 + FROST_POINT_BYTES + 2 + 2)
/* The ROAST round of the handoff to new_epoch (checkpoint rounds are heights). */
#define HANDOFF_ROUND(new_epoch) ((new_epoch) | (1ull << 63))

typedef struct {
    uint64_t old_epoch, new_epoch;
    frost_point old_key;     /* who signed */
    frost_point new_key;     /* what it vouches for, with the new group's t of n */
    uint16_t t, n;
    frost_sig sig;           /* by old_key over handoff_msg */
} handoff;

/* version 1 || old_epoch u64 || new_epoch u64 || old_key 32 || new_key 32 || t u16 || n u16 || sig 64 */
#define HANDOFF_BYTES (1 + 8 + 8 + 2 * FROST_POINT_BYTES + 2 + 2 + FROST_SIG_BYTES)

void handoff_msg(hbuf *b, uint32_t chain_id, uint64_t old_epoch, uint64_t new_epoch,
                 const frost_point *new_key, uint16_t t, uint16_t n);
void handoff_encode(hbuf *b, const handoff *h);
/* Exactly HANDOFF_BYTES: TRUNCATED/TRAILING, VERSION, NONCANONICAL/INVALID
 * for a bad key or signature, INVALID unless old_epoch < new_epoch and
 * 1 <= t <= n <= FROST_PARTICIPANTS_MAX. */
hansa_err handoff_decode(const uint8_t *p, size_t len, handoff *h, wire_rd *r);
/* Whether h->sig is old_key's signature on h's handoff message. */
bool handoff_verify(uint32_t chain_id, const handoff *h);

/* ---- following a chain by its keys (a light client's rules) ---- */

/* What a follower trusts: one group key of the chain and its epoch. */
typedef struct {
    uint32_t chain_id;
    uint64_t epoch;
    frost_point key;
} frost_trust;

/* A checkpoint proves header_hash at its height iff it names the trusted
 * epoch and key and verifies for the trusted chain: HANSA_ERR_STATE for
 * another epoch or key (a stale one, or a newer one the follower must reach
 * by handoffs first), HANSA_ERR_BAD_SIG for a signature that fails (a
 * forged one, or another chain's); why says which. */
hansa_err frost_trust_checkpoint(const frost_trust *t, const checkpoint *c, char *why,
                                 size_t why_len);
/* Moves t to the handoff's new key: it must start at t's epoch and key
 * (HANSA_ERR_STATE) and verify (HANSA_ERR_BAD_SIG); t is unchanged on error. */
hansa_err frost_trust_follow(frost_trust *t, const handoff *h, char *why, size_t why_len);

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
