/* group_rec.h — the chain's record of a set's FROST group key (record
 * `59 · epoch`, written by the ledger when a key generation's complaint
 * window closes: ledger/tx_frost.h). Its codec sits here, below the ledger
 * and threshold/, because a light client of another chain
 * (interchain/client.h, ic_key_proof) reads the same bytes out of a state
 * proof to learn the key.
 *
 *   key    59 | epoch u64 BE                 (FROST_KEY_GROUP_BYTES)
 *   value  version 1 | valset_hash 32 | n u16 | t u16 | qual bitmap 16
 *          | key 32 | keyed_at u64           (FROST_GROUP_REC_BYTES) */
#ifndef HANSA_WIRE_GROUP_REC_H
#define HANSA_WIRE_GROUP_REC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/frost.h"
#include "wire/codec.h"

#define FROST_KEY_GROUP 0x59
#define FROST_KEY_GROUP_BYTES (1 + 8)
#define FROST_GROUP_REC_VERSION 1
/* The qualified dealers' bitmap: bit (id-1) % 8 of byte (id-1) / 8 for
 * participant id 1..FROST_PARTICIPANTS_MAX (threshold/dkg_msg.h's). */
#define FROST_GROUP_QUAL_BYTES (FROST_PARTICIPANTS_MAX / 8)
#define FROST_GROUP_REC_BYTES (1 + HANSA_HASH_BYTES + 2 + 2 + FROST_GROUP_QUAL_BYTES + FROST_POINT_BYTES + 8)

typedef struct {
    hansa_hash valset_hash; /* the set the key belongs to */
    uint16_t n, t;
    uint8_t qual[FROST_GROUP_QUAL_BYTES]; /* the qualified dealers, 1..n */
    frost_point key;
    uint64_t keyed_at; /* height of the block that recorded it */
} frost_group_rec;

/* The signing threshold of a group of n (1..FROST_PARTICIPANTS_MAX):
 * floor(2n/3) + 1, the DKG's (dkg_threshold). */
uint16_t frost_group_threshold(uint16_t n);
/* The record's key for epoch; returns FROST_KEY_GROUP_BYTES. */
size_t frost_group_rec_key(uint64_t epoch, uint8_t *out);
void frost_group_rec_encode(hbuf *b, const frost_group_rec *g);
/* Accepts exactly what the encoder writes: n in 1..FROST_PARTICIPANTS_MAX,
 * t the set's threshold, at least t qualified dealers all within 1..n, a
 * canonical non-identity key, keyed_at > 0. Errors as wire/codec.h's
 * decoders; *out zeroed on error. */
hansa_err frost_group_rec_decode(const uint8_t *p, size_t len, frost_group_rec *out, wire_rd *r);

#endif
