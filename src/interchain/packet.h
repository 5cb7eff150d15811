/* packet.h — the byte forms of cross-chain packets: one transport for
 * everything that crosses chains (DESIGN.md section 7). Sans-I/O codecs
 * only; the ledger rules are in ledger/xfer.h, the story in
 * docs/interchain.md ("Packets") and the tables in docs/wire.md.
 *
 * A packet is the body of a TX_PACKET_SEND transaction committed on its
 * source chain: destination chain, timeout (the destination's BFT time), a
 * packet type and its payload. Its identity is (source chain, SHA-256 of the
 * whole send transaction): a sender's (key, nonce) is used once per chain, so
 * that is the packet's sequence. Transfers are packet type 1, tally
 * messages (credit/xmsg.h) type 2; lift messages will be further types.
 *
 * Proofs: the destination proves the send transaction in the source block's
 * tx root (the header's, which its light client stored); the source proves
 * the destination's TX_PACKET_RECV transaction, which names the outcome
 * (credited, or refused with a reason), in the destination's tx root. A
 * block holds only transactions that passed (ledger/block.h), so a
 * transaction under a committed root is one that took effect.
 *
 *   send body   dest_chain u32 | timeout_ms u64 | type u8 | payload_len u16 | payload
 *   transfer    to addr(20) | amount u64 | denom
 *   denom       n u8 (0..PKT_TRACE_MAX) | n x chain u32: [origin, hops...];
 *               n = 0 is the sending chain's own token
 *   tx proof    height u64 | index u32 | count u32 | path_len u8 | path 32 x k
 *               | tx_len u32 | tx (a complete wire tx)
 *   recv body   src_chain u32 | tx proof (of the send tx) | outcome u8
 *   ack body    dest_chain u32 | tx proof (of the recv tx)
 * Integers little-endian; every decoder takes exactly its encoder's output. */
#ifndef HANSA_INTERCHAIN_PACKET_H
#define HANSA_INTERCHAIN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "wire/codec.h"

#define PKT_TRACE_MAX 4      /* an origin and at most three hops */
#define PKT_PAYLOAD_MAX 1024 /* bytes of one packet's payload */
#define PKT_PATH_MAX 16      /* a block of 2^16 txs needs 16 hashes */
#define PKT_DENOM_BYTES_MAX (1 + 4 * PKT_TRACE_MAX)

typedef enum {
    PKT_TYPE_TRANSFER = 1,
    PKT_TYPE_TALLY = 2,        /* a cross-chain tally message: credit/xmsg.h */
    PKT_TYPE_LIFT_PROMISE = 3, /* a lift segment's promise, to the referee chain: credit/xlift.h */
    PKT_TYPE_LIFT_RULING = 4,  /* the referee chain's ruling, to a segment's chain */
} pkt_type;

/* Why a destination refused a packet; 0 = credited. */
typedef enum {
    PKT_OK = 0,
    PKT_REFUSED_TIMEOUT = 1,     /* arrived at or after its timeout */
    PKT_REFUSED_TRACE = 2,       /* the voucher's trace would grow past PKT_TRACE_MAX */
    PKT_REFUSED_LIMIT = 3,       /* over the correspondent limit for the source */
    PKT_REFUSED_ESCROW = 4,      /* a return with less in escrow than it claims */
    PKT_REFUSED_TYPE = 5,        /* a packet type this chain does not know */
    PKT_REFUSED_TALLY = 6,       /* a tally message its tally's rules refuse here */
    PKT_OUTCOME_MAX_ = 6
} pkt_outcome;

/* A sentence naming an outcome ("credited", "timed out", ...). */
const char *pkt_outcome_name(uint8_t outcome);

typedef struct {
    uint8_t n;
    uint32_t chain[PKT_TRACE_MAX];
} pkt_denom;

typedef struct {
    uint32_t dest_chain;
    uint64_t timeout_ms;
    uint8_t type;          /* pkt_type; unknown types decode (the payload is opaque) */
    uint16_t payload_len;  /* <= PKT_PAYLOAD_MAX */
    const uint8_t *payload; /* borrowed from the decoded bytes */
} pkt_send;

typedef struct {
    hansa_addr to;
    uint64_t amount;       /* > 0 */
    pkt_denom denom;
} pkt_transfer;

typedef struct {
    uint64_t height;       /* the block, on the chain that committed tx */
    uint32_t index, count; /* index < count <= WIRE_BLOCK_TXS_MAX */
    uint8_t path_len;
    hansa_hash path[PKT_PATH_MAX];
    uint32_t tx_len;
    const uint8_t *tx;     /* borrowed */
} pkt_proof;

typedef struct {
    uint32_t src_chain;
    pkt_proof proof;
    uint8_t outcome;       /* pkt_outcome, <= PKT_OUTCOME_MAX_ */
} pkt_recv;

typedef struct {
    uint32_t dest_chain;
    pkt_proof proof;
} pkt_ack;

bool pkt_denom_eq(const pkt_denom *a, const pkt_denom *b);
/* Appends the denomination as text: "native" for n = 0, else the chain ids
 * in hex joined by '/', origin first ("e2e4/7a11"). */
void pkt_denom_format(const pkt_denom *d, char *out, size_t out_len);
/* Parses that text (or "" for native); HANSA_ERR_INVALID with why. */
hansa_err pkt_denom_parse(const char *text, pkt_denom *out, const char **why);

void pkt_denom_encode(hbuf *b, const pkt_denom *d);
void pkt_rd_denom(wire_rd *r, pkt_denom *out);
void pkt_send_encode(hbuf *b, const pkt_send *s);
void pkt_transfer_encode(hbuf *b, const pkt_transfer *t);
void pkt_recv_encode(hbuf *b, const pkt_recv *v);
void pkt_ack_encode(hbuf *b, const pkt_ack *a);
/* A tx proof alone (the form above): also what proves a receipt signer's
 * bond to another chain (ledger/receipt_x.h). */
void pkt_proof_encode(hbuf *b, const pkt_proof *p);

/* Decoders: exactly one value in [p, p+len); on error *out is zeroed and r
 * (optional) says where. A denom with n > PKT_TRACE_MAX is TOO_LONG, a zero
 * amount or proof height, or index >= count, INVALID. */
hansa_err pkt_denom_decode(const uint8_t *p, size_t len, pkt_denom *out, wire_rd *r);
hansa_err pkt_send_decode(const uint8_t *p, size_t len, pkt_send *out, wire_rd *r);
hansa_err pkt_transfer_decode(const uint8_t *p, size_t len, pkt_transfer *out, wire_rd *r);
hansa_err pkt_recv_decode(const uint8_t *p, size_t len, pkt_recv *out, wire_rd *r);
hansa_err pkt_ack_decode(const uint8_t *p, size_t len, pkt_ack *out, wire_rd *r);
hansa_err pkt_proof_decode(const uint8_t *p, size_t len, pkt_proof *out, wire_rd *r);

/* True when proof's tx is leaf `index` of `count` under root. */
bool pkt_proof_verify(const pkt_proof *proof, const hansa_hash *root);

#endif
