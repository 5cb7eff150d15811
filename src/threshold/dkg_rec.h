/* dkg_rec.h — the record a delegate keeps its key generation in
 * (store_put_dkg, read back by node/frost_duty.c after a restart): the seed
 * it deals from, and once its session ended the signing share it left and
 * the group it belongs to.
 *
 * A record holds the latest epoch's entry and, until the handoff to the
 * next key is stored, the previous epoch's (whose share still signs while
 * the new set generates its key, and signs the handoff; whose seed deals
 * its old shares again to a late member of the old set). Layout:
 *   version 4 | count u8 (1 or 2) | entry (latest) [| entry (previous)]
 *   entry: epoch u64 | seed 32 | flags u8 | share 32 (zero unless SHARE)
 *          [SHARE or GROUP: n u16 | t u16 | key 32 | n x verification share 32]
 *          [GOT: count u8 (1..127) | count x (dealer u16 | sealed share 176)]
 * GROUP (the group of a session that ended without my share: what a
 * repaired share is checked against, threshold/repair.h) and GOT (the
 * sealed shares I received while the session runs, dealers strictly
 * increasing: a restart must not lose a share whose dealer may since have
 * lost its seed) are the flags version 4 added: a version-3 binary would
 * refuse such a record as garbled and overwrite it, so it is refused as a
 * version it does not know instead. A version-3 record (the same layout,
 * neither flag) and a version-2 one (one entry, no count) still load. Integers are
 * little-endian (docs/frost.md, "The node's DKG duty"). */
#ifndef HANSA_THRESHOLD_DKG_REC_H
#define HANSA_THRESHOLD_DKG_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/drbg.h"
#include "crypto/frost.h"
#include "threshold/dkg_msg.h"
#include "wire/codec.h"

#define DKG_REC_VERSION 4
#define DKG_REC_DONE 1u  /* the session ended */
#define DKG_REC_SHARE 2u /* ... and left me a signing share (share, group) */
#define DKG_REC_GROUP 4u /* ... without a share: its group only (DONE, not SHARE) */
#define DKG_REC_GOT 8u   /* shares received so far (got, got_count) */
#define DKG_REC_FLAGS (DKG_REC_DONE | DKG_REC_SHARE | DKG_REC_GROUP | DKG_REC_GOT)

/* A share as it came to me, still sealed (dkg_msg.h's SHARE body). */
typedef struct {
    uint16_t dealer;
    uint8_t sealed[DKG_SEALED_BYTES];
} dkg_rec_got;

typedef struct {
    uint64_t epoch;
    uint8_t seed[CRYPTO_DRBG_SEED_BYTES];
    uint8_t flags;
    frost_scalar share; /* with DKG_REC_SHARE */
    frost_group group;  /* with DKG_REC_SHARE or DKG_REC_GROUP */
    uint8_t got_count;  /* with DKG_REC_GOT: 1..FROST_PARTICIPANTS_MAX - 1 */
    dkg_rec_got got[FROST_PARTICIPANTS_MAX - 1];
} dkg_rec_entry;

typedef struct {
    dkg_rec_entry cur;  /* the latest epoch I dealt in */
    bool has_prev;
    dkg_rec_entry prev; /* an earlier epoch, kept until its handoff */
} dkg_rec;

/* Appends the version-4 record. Asserts a well-formed rec (prev older). */
void dkg_rec_encode(hbuf *b, const dkg_rec *rec);
/* Parses a version-4, -3 or -2 record occupying [p, p+len) (*out zeroed
 * on error, *r, if given, says where):
 *   TRUNCATED/TRAILING  a torn record
 *   VERSION             not 2, 3 or 4
 *   INVALID             a count other than 1 or 2, unknown flags (GROUP
 *                       or GOT in version 3), SHARE or
 *                       GROUP without DONE, both SHARE and GROUP, a group
 *                       with n or t out of range, a previous entry not
 *                       older than the latest, received shares 0 or over
 *                       127 or their dealers not strictly increasing
 *   NONCANONICAL        a share that is no canonical scalar, or non-zero
 *                       without SHARE; a point that is no canonical
 *                       non-identity element */
hansa_err dkg_rec_decode(const uint8_t *p, size_t len, dkg_rec *out, wire_rd *r);

#endif
