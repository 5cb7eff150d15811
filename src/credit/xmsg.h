/* xmsg.h — the messages of a tally whose two parties live on two chains
 * (docs/credit.md "Cross-chain tallies"), as the payload of a tally packet
 * (interchain/packet.h, PKT_TYPE_TALLY).
 *
 * Across chains each half of a tally lives on its holder's chain, and every
 * message one half sends the other travels as a proof-carrying packet
 * through the transfers' send/recv/ack path: the offer and its answers, a
 * close request, re-signed trading variables, an invoice, and the chit
 * chain's own messages (credit/chain.h: UPD, ACK, REQ, REFUSE), which carry
 * the chits themselves. Every message carries what proves it (the party's
 * signature over the contract, the chit or the trading variables), so the
 * receiving chain applies it with the same rules as one chain (tally.h,
 * chain.h) and trusts no relayer.
 *
 *   payload   version u8 | kind u8 | from u8 (credit_side of the sender) | body
 *   OFFER     contract | sig           COUNTER  contract | sig
 *   ACCEPT    tally_id | revision u32 | sig
 *   REFUSE    tally_id | revision u32  CLOSE    tally_id
 *   TRADE     signed trading variables (its side == from)
 *   INVOICE   invoice (the payee's submission form; its payee == from)
 *   INV_REFUSE tally_id | invoice_id
 *   CHAIN     chit chain message (its from == from)
 * The invoice and chain bodies run to the end of the payload. Sans-I/O. */
#ifndef HANSA_CREDIT_XMSG_H
#define HANSA_CREDIT_XMSG_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "credit/chain.h"
#include "credit/credit.h"
#include "wire/codec.h"

typedef enum {
    CREDIT_XMSG_OFFER = 1,
    CREDIT_XMSG_COUNTER = 2,
    CREDIT_XMSG_ACCEPT = 3,
    CREDIT_XMSG_REFUSE = 4,
    CREDIT_XMSG_CLOSE = 5,
    CREDIT_XMSG_TRADE = 6,
    CREDIT_XMSG_INVOICE = 7,
    CREDIT_XMSG_INV_REFUSE = 8,
    CREDIT_XMSG_CHAIN = 9,
} credit_xmsg_kind;

/* A short name of a kind ("offer", "chain", ...), "?" for none. */
const char *credit_xmsg_kind_name(uint8_t kind);

/* One message; only the fields of its kind are set, the rest are zero. */
typedef struct {
    uint8_t kind;             /* credit_xmsg_kind */
    uint8_t from;             /* credit_side of the sending party */
    credit_contract contract; /* OFFER, COUNTER */
    hansa_sig sig;            /* OFFER, COUNTER, ACCEPT */
    credit_id id;             /* ACCEPT, REFUSE, CLOSE, INV_REFUSE: the tally */
    uint32_t revision;        /* ACCEPT, REFUSE: >= 1 */
    credit_id invoice_id;     /* INV_REFUSE */
    credit_trade_signed trade;/* TRADE */
    credit_invoice invoice;   /* INVOICE */
    credit_msg msg;           /* CHAIN */
} credit_xmsg;

/* The tally a message is about. */
const credit_id *credit_xmsg_tally(const credit_xmsg *m);

void credit_xmsg_encode(hbuf *b, const credit_xmsg *m);
/* Parses exactly [p, p+len); on error *out is zeroed and r (optional) says
 * where. Rejects an unknown version, kind or side, a zero tally or invoice
 * id, revision 0, a trade, invoice or chain message of another side than
 * `from`, and the nested decoders' errors. */
hansa_err credit_xmsg_decode(const uint8_t *p, size_t len, credit_xmsg *out, wire_rd *r);

#endif
