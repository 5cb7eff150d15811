/* frost_rd.h — cursor readers for FROST values, shared by the DKG and ROAST
 * decoders: they read one field, check it with the RFC 9591 decoders
 * (canonical scalar; canonical, non-identity element) or the participant
 * range, and fail the cursor at the field's first byte. */
#ifndef HANSA_WIRE_FROST_RD_H
#define HANSA_WIRE_FROST_RD_H

#include <stdint.h>

#include "crypto/frost.h"
#include "wire/codec.h"

/* Records err for a value that started at offset at (first error wins). */
void frd_fail_at(wire_rd *r, hansa_err err, size_t at, const char *field);
/* A participant identifier: INVALID unless 1..FROST_PARTICIPANTS_MAX. */
uint16_t frd_id(wire_rd *r, const char *field);
void frd_point(wire_rd *r, frost_point *out, const char *field);
void frd_scalar(wire_rd *r, frost_scalar *out, const char *field);
/* A participant list's length: TOO_LONG above FROST_PARTICIPANTS_MAX,
 * INVALID at 0; 0 once the cursor failed, so a caller's loop reads nothing. */
uint16_t frd_count(wire_rd *r, const char *field);
/* The next identifier of a list sorted strictly by identifier (RFC 9591
 * section 4.3; strictly, so one participant appears once): NONCANONICAL
 * unless above prev, which is 0 before the first. */
uint16_t frd_next_id(wire_rd *r, uint16_t prev, const char *field);
/* The version byte of a FROST value, which must be WIRE_VERSION: VERSION
 * at the byte's own offset, as the wire core's decoders and rd_begin's
 * own check report it (after rd_begin with RD_NO_VERSION). */
void frd_version(wire_rd *r);
/* The head of a FROST peer message: the version byte (frd_version) and a
 * kind byte in lo..hi, returned. */
uint8_t frd_head(wire_rd *r, uint8_t lo, uint8_t hi);

#endif
