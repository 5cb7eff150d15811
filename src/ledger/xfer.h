/* xfer.h — assets per denomination and cross-chain packets in the ledger:
 * vouchers, escrow, outgoing and incoming packets, the transaction kinds
 * that send, receive and acknowledge them, the per-chain audit and the
 * federation-wide conservation check. docs/interchain.md ("Packets") has
 * every rule; the byte forms of bodies are in interchain/packet.h.
 *
 * Denominations (ICS-20 style): a token is named by its trace, origin first
 * then every chain it passed through; the empty trace is this chain's own
 * token, held in account balances. Sending trace t to chain D escrows it
 * here, unless t's last hop is D (the voucher goes back where it came from):
 * then it is burned here and D releases its escrow. D credits t + [source]
 * as a voucher, or, for a return, t minus its last hop out of escrow.
 *
 * Records (all in LEDGER_TAB_XFER; integers in keys big-endian, in values
 * little-endian; every value starts with the version byte 1):
 *   35 | addr(20) | denom            voucher    amount u64 > 0
 *   36 | chain u32 | denom           escrow     amount u64 > 0 (held for chain)
 *   37 | packet hash(32)             outgoing   see xfer_out
 *   38 | chain u32 | packet hash(32) incoming   see xfer_in
 *   39 | denom                       vouchers   amount u64 > 0: outstanding here
 *                                               (balances + escrow of it)
 *   3a | chain u32 | addr(20)        collateral amount u64 > 0 bonded by addr for chain
 *   3b | chain u32                   correspondent  see xfer_corr
 * denom in keys is its wire form (packet.h): n u8 | n x u32 LE.
 *
 * Kinds: TX_PACKET_SEND 20 (a packet; so far transfers), TX_PACKET_RECV 21
 * (a relayer proves a send of another chain and states its outcome, which
 * this chain must agree with), TX_PACKET_ACK 22 (a relayer proves the
 * destination's recv: credited ends the packet, a refusal refunds it),
 * TX_CORR_BOND 23 / TX_CORR_UNBOND 24 (chain u32 | amount u64: collateral
 * for a foreign chain, held out of the bonder's balance).
 *
 * Correspondent accounts (seed 001's banks): vouchers that came from chain
 * C (their last hop is C) are claims on C. Once anyone bonds collateral for
 * C, C is "limited": a packet from C that would raise those claims past
 * XFER_CORR_MULTIPLE times the collateral is refused (and so refunded on C),
 * and collateral can be unbonded only while the claims stay within the
 * limit. A chain nobody bonded for is trusted without a limit (its light
 * client alone). If this chain's client of C freezes (misbehaviour), the
 * collateral for C is paid at the end of the block to the holders of C's
 * vouchers, pro rata, the rounding remainder burned. */
#ifndef HANSA_LEDGER_XFER_H
#define HANSA_LEDGER_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "interchain/packet.h"
#include "ledger/stake.h"
#include "ledger/tx.h"

#define XFER_KEY_VOUCHER 0x35
#define XFER_KEY_ESCROW 0x36
#define XFER_KEY_OUT 0x37
#define XFER_KEY_IN 0x38
#define XFER_KEY_SUPPLY 0x39
#define XFER_KEY_BOND 0x3a
#define XFER_KEY_CORR 0x3b
#define XFER_KEY_FIRST XFER_KEY_VOUCHER
#define XFER_KEY_LAST XFER_KEY_CORR
#define XFER_CORR_MULTIPLE 10 /* claims on a limited chain <= 10 x its collateral */
#define XFER_CORR_BODY_BYTES 12

typedef enum { XFER_PENDING = 1, XFER_CREDITED = 2, XFER_REFUNDED = 3 } xfer_state;

/* An outgoing packet (a transfer), from its send to its end. */
typedef struct {
    uint32_t dest_chain;
    hansa_addr sender, to;
    uint64_t amount;
    pkt_denom denom;        /* as held here */
    bool burned;            /* a return: burned here, not escrowed */
    uint64_t timeout_ms;    /* the destination's BFT time */
    uint64_t sent_height, sent_time_ms;
    uint8_t state;          /* xfer_state */
    uint8_t reason;         /* pkt_outcome of the destination (refunded: why) */
    uint64_t done_height, done_time_ms; /* the ack's block; 0 while pending */
} xfer_out;

/* A packet this chain received from another. */
typedef struct {
    uint64_t height, time_ms; /* the recv's block here */
    uint64_t src_height;      /* the source block that committed it */
    uint8_t outcome;          /* pkt_outcome */
    hansa_addr from, to;      /* from is an address of the source chain */
    uint64_t amount;
    pkt_denom denom;          /* as credited here (a refusal: as it would have been) */
} xfer_in;

/* A correspondent account: this chain's position with foreign chain C. */
typedef struct {
    bool limited;          /* collateral was bonded for C once: the limit applies */
    uint64_t collateral;   /* bonded for C now */
    uint64_t outstanding;  /* vouchers whose last hop is C, outstanding here */
    uint64_t paid_out;     /* collateral paid to voucher holders at freezes */
} xfer_corr;

/* For other ledger modules, through a pending block: the outgoing packet
 * record, and a transaction of foreign chain `chain` proven under the tx
 * root of a header this chain's light client of it verified (the client
 * active; HANSA_ERR_NOT_FOUND when that header is not held, with why). */
bool xfer_block_out(const ledger_block *b, const hansa_hash *packet, xfer_out *out);
hansa_err xfer_proven_tx(const ledger_block *b, uint32_t chain, const pkt_proof *p, wire_tx *tx,
                         char *why, size_t why_len);

/* The transaction kinds (rows of tx.c's table). Bodies are decoded again
 * from the tx by check and apply (they borrow from it). */
hansa_err xfer_send_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err xfer_send_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void xfer_send_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err xfer_recv_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err xfer_recv_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void xfer_recv_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err xfer_ack_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len);
hansa_err xfer_ack_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void xfer_ack_apply(ledger_block *b, const ledger_tx_ctx *c);

hansa_err xfer_corr_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err xfer_bond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void xfer_bond_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err xfer_unbond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void xfer_unbond_apply(ledger_block *b, const ledger_tx_ctx *c);

/* End of block: pays out the collateral of every frozen client's chain. */
void xfer_block_finish(ledger_block *b);

/* Checks a stored record of the xfer table (key layout, value, ranges). */
hansa_err xfer_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                            wire_rd *r);

/* The per-chain audit, part of ledger_supply_check: every voucher
 * denomination's outstanding record equals its balances plus its escrow,
 * and nothing is held of a denomination with none outstanding. *native_escrow gets this chain's own
 * tokens in escrow (they count in the supply equation). HANSA_ERR_CORRUPT
 * with why on a mismatch. */
hansa_err ledger_xfer_audit(const ledger_state *s, uint64_t *native_escrow, char *why,
                            size_t why_len);

/* Conservation across a federation (DESIGN.md section 7): for every chain X
 * of states, every chain Y of states and every denomination t held on X
 * whose last hop is not Y,
 *   escrow_X[Y][t] == vouchers of t+[X] outstanding on Y
 *                     + sends X->Y of t not credited on Y (in flight or refused, not yet refunded)
 *                     + returns Y->X of t+[X] burned on Y and not yet released on X.
 * Also every chain's own audit. Returns HANSA_ERR_CORRUPT with why naming the
 * chains, the denomination and both sides. States of chains that never
 * traded with each other check trivially. */
hansa_err xfer_conservation_check(const ledger_state *const *states, size_t n, char *why,
                                  size_t why_len);

/* Reads from the committed state. */
uint64_t ledger_xfer_voucher(const ledger_state *s, const hansa_addr *a, const pkt_denom *d);
bool ledger_xfer_out(const ledger_state *s, const hansa_hash *packet, xfer_out *out);
bool ledger_xfer_in(const ledger_state *s, uint32_t src_chain, const hansa_hash *packet,
                    xfer_in *out);
/* The vouchers a holds: up to max (denomination, amount) pairs, total returned. */
size_t ledger_xfer_vouchers_of(const ledger_state *s, const hansa_addr *a, pkt_denom *denoms,
                               uint64_t *amounts, size_t max);
/* The correspondent account of chain (zeros when none). */
bool ledger_xfer_corr(const ledger_state *s, uint32_t chain, xfer_corr *out);
/* Own tokens held in escrow for chain (what chain's holders may redeem here). */
uint64_t ledger_xfer_escrow_for(const ledger_state *s, uint32_t chain);

/* The packets this chain sent to dest that are still pending, as (hash,
 * sent height) in increasing height, at most max written (the oldest);
 * the total returned. Only packets whose hash's first 4 bytes (little-
 * endian) are rem modulo mod count (mod 1, rem 0: all): a relayer asks for
 * the share it is on duty for (node/relay.h). */
typedef struct {
    hansa_hash hash;
    uint64_t height;
} xfer_pending;
size_t ledger_xfer_pending(const ledger_state *s, uint32_t dest, uint32_t mod, uint32_t rem, xfer_pending *out,
                           size_t max);

/* The outcome this chain would give a recv of send_tx (a complete encoded
 * TX_PACKET_SEND of src_chain) in a block at time now_ms, against the
 * committed state: what a relayer puts in the recv body. */
uint8_t ledger_xfer_outcome(const ledger_state *s, uint32_t src_chain, const uint8_t *send_tx,
                            size_t len, uint64_t now_ms);

#endif
