/* xtally.h — tallies whose two parties live on two chains (internal to
 * ledger/; docs/credit.md "Cross-chain tallies").
 *
 * Each chain keeps its own copy of the tally record (contract, state,
 * signatures, trading variables) and only its own holder's half of the chit
 * chain; the other half's struct stays empty. Every message between the
 * halves is a tally packet (interchain/packet.h type 2, credit/xmsg.h)
 * through the transfers' send/recv/ack path, and each chain applies it to
 * its copy with the one-chain rules of credit/tally.h and credit/chain.h:
 *
 *   - party messages (offer, counter, accept, refuse, close, trading
 *     variables, invoice, invoice refusal) are packets the party itself
 *     sends: its chain applies them when the send commits, the other chain
 *     when it receives them; a receiving chain that refuses one says so in
 *     its recv (PKT_REFUSED_TALLY), and on the acknowledgement the sender's
 *     chain voids a refused or timed-out offer or counter-offer. An accept
 *     or close may be sent again (it changes nothing where it already
 *     holds), so one that timed out can still reach the other chain.
 *   - chits are the existing TX_CHIT / TX_INVOICE_PAY on the payer's own
 *     chain: the foil links its chit at once, the stock puts it in its tail.
 *   - chit chain messages (UPD, ACK, REQ, REFUSE) may be sent by anyone (a
 *     relayer, a party's wallet) but only when they are true of the sending
 *     chain's half (xtally_msg_true): the chain stands behind every message
 *     that leaves it, so the receiving chain verifies the proof and the chit
 *     signatures, and trusts no sender. Retries are just sending again:
 *     every message handler of chain.h is idempotent.
 *
 * Balances: each chain books the chits as its half links them (the stock's
 * tail chits count against it when it issues more, so neither view can pass
 * a limit: a half only checks its own holder's chits, which move the
 * balance one way). Once both halves are settled the chains, and so the
 * balances, are identical. */
#ifndef HANSA_LEDGER_XTALLY_H
#define HANSA_LEDGER_XTALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credit/tally.h"
#include "credit/xmsg.h"
#include "interchain/packet.h"
#include "ledger/tx.h"

typedef struct ledger_block ledger_block;
typedef struct ledger_state ledger_state;

/* True when t's parties are on two chains; *local is the side held on
 * chain `here` (0 if neither). */
bool xtally_across(const credit_tally *t, uint32_t here, credit_side *local);

/* A tally packet sent from this chain (s decoded, its payload an xmsg). */
hansa_err xtally_send_check(const ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s,
                            char *why, size_t why_len);
void xtally_send_apply(ledger_block *b, const ledger_tx_ctx *c, const pkt_send *s);

/* A proven tally packet from chain src: PKT_OK or PKT_REFUSED_TALLY (why
 * says what refused it). apply runs only after an outcome of PKT_OK. */
uint8_t xtally_recv_outcome(const ledger_block *b, uint32_t src, const wire_tx *send,
                            const pkt_send *s, char *why, size_t why_len);
void xtally_recv_apply(ledger_block *b, uint32_t src, const wire_tx *send, const pkt_send *s);

/* The acknowledgement of a tally packet this chain sent, with the other
 * chain's outcome. */
void xtally_ack_apply(ledger_block *b, const pkt_send *s, uint8_t outcome);

/* A cross-chain tally's chit chain through b: TX_CHIT and TX_INVOICE_PAY
 * on the payer's chain (inv: the invoice it pays, or NULL), check and
 * apply in one as in tx_credit.c. t is the loaded tally, by the sender's
 * side. */
hansa_err xtally_chit(ledger_block *b, credit_tally *t, credit_side by, const credit_chit *chit,
                      credit_invoice *inv, bool apply, char *why, size_t why_len);

/* What this chain's half of tally id has to tell the other half now, as
 * chain messages (at most XTALLY_OUTBOX_MAX, each fitting one tally
 * packet): the foil's order past what the stock confirmed (up to
 * XTALLY_UPDS_MAX updates; the rest next time), the stock's tail, the stock's acknowledgement when peer (the other chain's copy of
 * its half, NULL if unknown) has not confirmed all of it, refusals of the
 * peer's conflicting tail chits, or its fault. A relayer or wallet sends
 * each as a tally packet; sending one again is harmless. 0 when settled or
 * not a cross-chain tally held here. */
/* A tally packet's timeout: a day of the other chain's time. */
#define XTALLY_TIMEOUT_MS (24ull * 3600 * 1000)
#define XTALLY_UPDS_MAX 16 /* foil updates in one outbox: over 100 chits */
#define XTALLY_OUTBOX_MAX (XTALLY_UPDS_MAX + CREDIT_TAIL_MAX)
size_t ledger_xtally_outbox(const ledger_state *s, const credit_id *id, const credit_half *peer,
                            credit_msg *out);

/* True when chain message m is a true statement of half h (the chit chain
 * stored in b): what this chain lets leave it. */
bool xtally_msg_true(const ledger_block *b, const credit_half *h, const credit_msg *m, char *why,
                     size_t why_len);

#endif
