/* xlift.h — lifts across chains in the ledger (docs/credit.md "Lifts across
 * chains"): the rules of the two lift packet types on the one packet path
 * of ledger/xfer.c (send, recv with a light-client proof, ack), and the
 * records they keep.
 *
 * On a segment's chain, a LIFT_PROMISE packet to the referee chain, signed
 * by the segment's first payer, commits the segment's conditional promise:
 * every party joins with the hop rule (its own signed trading variables,
 * its grants, pending holds counted, at most 4 promises per tally) and the
 * legs are held pending. The referee chain receives the promises (proven
 * from their chains' blocks) and rules COMMIT, once, when the last arrives
 * before the expiry in its BFT time; a LIFT_RULING packet sent from it
 * (by anyone) carries its ruling, or, asked at or after the expiry with no
 * ruling, rules EXPIRED then and carries that. Each segment chain finalizes
 * (books lift chits, proven by a lift record 0x44 of its segment) or voids
 * its pending legs on the ruling packet's proof alone. A chain that lost
 * contact resolves by asking the referee chain for a ruling packet.
 *
 * Records (credit table):
 *   45 | lift id     segment: version | state u8 | seg u8 | xlift hash 32 |
 *                    promised height u64 | done height u64 | segment header
 *   46 | tally id    pending on a tally: version | count u8 | held toward
 *                    stock u64 | held toward foil u64
 *   47 | xlift hash  referee: version | n u8 | n x chain u32 | expiry u64 |
 *                    promised bits u8 | ruling u8 | height u64 | time u64 */
#ifndef HANSA_LEDGER_XLIFT_H
#define HANSA_LEDGER_XLIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credit/xlift.h"
#include "interchain/packet.h"
#include "ledger/block.h"
#include "ledger/tx.h"

typedef enum { XLIFT_PENDING = 1, XLIFT_COMMITTED = 2, XLIFT_VOIDED = 3 } xlift_seg_state;

typedef struct {
    uint8_t state; /* xlift_seg_state */
    uint8_t seg;   /* this chain's segment index */
    hansa_hash xlift_hash;
    uint64_t promised_height, done_height; /* done: 0 while PENDING */
    credit_lift lift; /* the segment */
} xlift_seg_rec;

typedef struct {
    uint8_t count; /* pending promises on the tally, 1..CREDIT_LIFT_PENDING_PER_TALLY */
    uint64_t held[3]; /* by receiving side (credit_side) */
} xlift_pending;

typedef struct {
    uint8_t n;
    uint32_t chains[CREDIT_XLIFT_SEGS_MAX];
    uint64_t expiry_ms;
    uint8_t promised; /* bit j: segment j's promise arrived */
    uint8_t ruling;   /* 0 = none yet, else credit_ruling_outcome */
    uint64_t height, time_ms; /* of the ruling */
} xlift_ref_rec;

/* The packet types this file rules on. */
bool xlift_pkt_type(uint8_t type);
/* Decodes a lift packet's payload (form only). */
hansa_err xlift_payload_check(const pkt_send *s, wire_rd *r);
/* Sending: promise (the segment joins, holds) or ruling (the referee's). */
hansa_err xlift_send_check(const ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s,
                           char *why, size_t why_len);
void xlift_send_apply(ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s);
/* Receiving a proven lift packet from chain src: the outcome, and its effect. */
uint8_t xlift_recv_outcome(const ledger_block *b, uint32_t src, const pkt_send *s);
void xlift_recv_apply(ledger_block *b, uint32_t src, const pkt_send *s);

/* Pending promises on a tally, as holds for credit_hop_join; and whether a
 * balance leaves room for them all to book (the grants, both ways). */
void xlift_holds_load(const ledger_block *b, const credit_id *tally, credit_holds *hs);
hansa_err xlift_room(const ledger_block *b, const credit_tally *t, int64_t balance, char *why,
                     size_t why_len);
bool xlift_busy(const ledger_block *b, const credit_id *tally);
/* A segment of this lift id was promised here (any state). */
bool xlift_seg_exists(const ledger_block *b, const credit_id *lift_id);

/* Record checks (ledger_credit_record_check) and reads of the committed state. */
hansa_err xlift_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                             wire_rd *r);
bool ledger_xlift_seg_get(const ledger_state *s, const credit_id *lift_id, xlift_seg_rec *out);
bool ledger_xlift_ref_get(const ledger_state *s, const hansa_hash *xlift_hash, xlift_ref_rec *out);
/* The checker's part: every tally's pending record is the sum of the
 * pending segments' legs on it, and every committed segment has its lift
 * record. HANSA_ERR_CORRUPT with why. */
hansa_err ledger_xlift_check(const ledger_state *s, char *why, size_t why_len);

#endif
