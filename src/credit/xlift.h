/* xlift.h — lifts across chains (issue 13 phase 2; docs/credit.md "Lifts
 * across chains"): the route as segments, one per chain, and the two packet
 * payloads that carry it (interchain/packet.h types LIFT_PROMISE and
 * LIFT_RULING). Sans-I/O codecs and form checks; the ledger rules are in
 * ledger/xlift.h.
 *
 * A cross-chain lift is n_segs linear segments (credit_lift, kind LINEAR)
 * sharing one lift id, amount, expiry and referee chain. Every party and
 * tally of a segment is on that segment's chain; each chain holds at most
 * one segment and the referee chain none. Segments join at a person who
 * holds an account on both chains (the same key): seg[j]'s terminus key is
 * seg[j+1]'s originator key, so that person receives on one chain what it
 * pays on the next. When the last segment ends at the first one's
 * originator the lift is circular. The descriptor's hash names the lift to
 * the referee chain (its ruling record is keyed by it).
 *
 *   xlift    version 1 | n_segs u8 | n_segs x lift header (docs/wire.md "Lift")
 *   payload  xlift | u8   (promise: the segment index; ruling: the outcome) */
#ifndef HANSA_CREDIT_XLIFT_H
#define HANSA_CREDIT_XLIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "credit/lift.h"
#include "wire/codec.h"

#define CREDIT_XLIFT_SEGS_MAX 4 /* chains one lift crosses */
#define CREDIT_XLIFT_HOPS_MAX 8 /* tallies over all segments: a payload stays under 1 KiB */
#define CREDIT_XLIFT_DOMAIN "hansa/xlift/v1"

typedef struct {
    uint8_t n_segs; /* 2..CREDIT_XLIFT_SEGS_MAX */
    credit_lift seg[CREDIT_XLIFT_SEGS_MAX];
} credit_xlift;

/* Checks the form above: segment count and hops, each segment LINEAR with
 * all its parties on one chain, the shared fields equal, chains distinct
 * and not the referee, segments joined by key. */
hansa_err credit_xlift_check(const credit_xlift *x, char *why, size_t why_len);
/* True when the last segment returns to the first one's originator. */
bool credit_xlift_circular(const credit_xlift *x);
/* Index of the segment on chain, or -1. */
int credit_xlift_seg_on(const credit_xlift *x, uint32_t chain);
/* SHA-256 of domain | encoding. */
void credit_xlift_hash(const credit_xlift *x, hansa_hash *out);

void credit_xlift_encode(hbuf *b, const credit_xlift *x);
/* The descriptor alone (as the CLI passes it around); as the payload decoder. */
hansa_err credit_xlift_decode(const uint8_t *p, size_t len, credit_xlift *out, wire_rd *r);
/* A packet payload: the descriptor and one byte (segment index or ruling
 * outcome, checked by the caller). Exactly one value in [p, p+len); out is
 * zeroed on failure and r (optional) says where. */
void credit_xlift_payload_encode(hbuf *b, const credit_xlift *x, uint8_t tail);
hansa_err credit_xlift_payload_decode(const uint8_t *p, size_t len, credit_xlift *out,
                                      uint8_t *tail, wire_rd *r);

#endif
