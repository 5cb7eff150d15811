/* tx_credit.h — the credit transaction kinds, rows of the table in tx.c.
 * Internal to ledger/; the records they write are in credit_rec.h, the
 * rules in credit/tally.h and credit/chain.h, the formats in docs/credit.md.
 *
 *   kind                   body (exact length)                 sender
 *   TX_TALLY_OFFER 30      contract 117 | sig 64              a party (offer or re-offer)
 *   TX_TALLY_COUNTER 31    contract 117 | sig 64              the party offered to
 *   TX_TALLY_ACCEPT 32     tally id 16 | revision u32 | sig 64 the party offered to
 *   TX_TALLY_REFUSE 33     tally id 16 | revision u32          the party offered to
 *   TX_TALLY_CLOSE 34      tally id 16                         either party
 *   TX_TALLY_TRADE 35      signed trading variables 110        the party they belong to
 *   TX_CHIT 36             direct chit                         the party pledging value
 *   TX_INVOICE_CREATE 37   invoice                             the payee
 *   TX_INVOICE_PAY 38      invoice chit                        the payer
 *   TX_INVOICE_REFUSE 39   invoice id 16                       either party
 *   TX_LIFT 40             lift header (credit/lift.h)         a linear lift's originator;
 *                                                              anyone for a circular one
 * Every signature inside a body is the party's own key (credit.h); the
 * transaction's sender must be the party the row names. */
#ifndef HANSA_LEDGER_TX_CREDIT_H
#define HANSA_LEDGER_TX_CREDIT_H

#include "ledger/tx.h"

hansa_err txc_offer_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err txc_answer_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txc_refuse_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txc_id_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                        size_t why_len);
hansa_err txc_trade_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len);
hansa_err txc_chit_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len);
hansa_err txc_invoice_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                             size_t why_len);

hansa_err txc_lift_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len);

/* Lifts (tx_lift.c), shared with cross-chain segments (xlift.c): the
 * route's tallies in order (heap array, caller frees) or an error naming the
 * missing one; every party joins with the hop rule, pending cross-chain
 * promises held, and every leg must fit the grants with them all booked
 * (the first refusal is the verdict); book: the lift record (COMMIT) and
 * one lift chit per leg. */
hansa_err txc_lift_route(const ledger_block *b, const credit_lift *l, credit_tally **out,
                         char *why, size_t why_len);
hansa_err txc_lift_join(const ledger_block *b, const credit_lift *l, credit_tally *ts, char *why,
                        size_t why_len);
void txc_lift_book(ledger_block *b, const credit_lift *l, credit_tally *ts);

/* Carries the chit chain messages of out from the `from` half of t to the
 * other and theirs back until both are quiet: on one chain the ledger is
 * the transport (tx_credit.c; tx_lift.c links lift chits the same way). */
void txc_loopback(credit_tally *t, credit_side from, const credit_out *out, int depth);

#define TXC_ROW(name)                                                                      \
    hansa_err txc_##name##_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, \
                                 size_t why_len);                                          \
    void txc_##name##_apply(ledger_block *b, const ledger_tx_ctx *c);
TXC_ROW(offer)
TXC_ROW(counter)
TXC_ROW(accept)
TXC_ROW(refuse)
TXC_ROW(close)
TXC_ROW(trade)
TXC_ROW(chit)
TXC_ROW(invoice_create)
TXC_ROW(invoice_pay)
TXC_ROW(invoice_refuse)
TXC_ROW(lift)
#undef TXC_ROW

#endif
