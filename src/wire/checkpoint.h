/* checkpoint.h — the bytes a chain's FROST group signs and anyone checks
 * with one verification (issue 14; docs/frost.md, layouts in docs/wire.md):
 *   - the checkpoint message: the exact bytes the group signs, naming the
 *     chain, the height, the block's header hash and the key's epoch;
 *   - a signed checkpoint: those fields with the group key and the 64-byte
 *     signature, as stored, served by RPC, sent to peers (MSG_CHECKPOINT)
 *     and carried in a light-client update (interchain/client.h, cert kind 2);
 *   - the handoff: the old group's signature on the next group key;
 *   - frost_trust: a follower's rules for both.
 * Pure functions of bytes and crypto/frost, so they sit in wire/ where both
 * threshold/ (which signs them) and interchain/ (whose light client checks
 * them inside the state transition) can use them. */
#ifndef HANSA_WIRE_CHECKPOINT_H
#define HANSA_WIRE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/frost.h"
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

#endif
