/* tally.h — a tally with both its halves, and the rules of its life: the
 * tally state machine of seed 003 (its "Tally State Diagram", with the
 * states a chain can observe), credit limits, trading variables, chits and
 * invoices.
 *
 *            offer (A signs rev r)
 *   (none) ---------------------------> OFFERED(by A) --accept (B signs rev r)--> OPEN
 *                                        |  ^    |                               |
 *                       counter (B signs |  |    | refuse (B)          close (A or B)
 *                       rev r+1): now    +--+    v                    balance != 0 | balance == 0
 *                       OFFERED(by B)          VOID --offer (A or B,        v      v
 *                                                     rev > r)--> OFFERED  CLOSING -> CLOSED
 *                                                                          (a chit brings the
 *                                                                           balance to 0)
 *
 * Only the party an offer was made to may accept, counter or refuse it.
 * While OPEN, either party pledges value with chits, within the credit the
 * other granted: after every chit
 *     -foil_grants.limit <= balance <= stock_grants.limit
 * (balance > 0: the foil owes the stock). While CLOSING, a chit may only
 * bring the balance toward zero without crossing it; the tally closes when
 * it reaches zero. CLOSED and VOID tallies take no chits.
 *
 * Each transition checks everything first and changes nothing on refusal;
 * errors say why: HANSA_ERR_STATE (not in a state that allows it, with the
 * state named), HANSA_ERR_BAD_SIG, HANSA_ERR_INVALID (wrong party, revision,
 * terms or amount), HANSA_ERR_FUNDS (over the granted credit),
 * HANSA_ERR_WRONG_CHAIN (a party on another chain: a cross-chain tally's
 * messages travel as packets, ledger/xtally.h). */
#ifndef HANSA_CREDIT_TALLY_H
#define HANSA_CREDIT_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "credit/chain.h"
#include "credit/credit.h"

typedef enum {
    CREDIT_TALLY_OFFERED = 1,
    CREDIT_TALLY_OPEN = 2,
    CREDIT_TALLY_CLOSING = 3,
    CREDIT_TALLY_CLOSED = 4,
    CREDIT_TALLY_VOID = 5,
} credit_tally_state;

const char *credit_tally_state_name(credit_tally_state s);

/* A tally whose two halves live in one state (both parties on one chain).
 * Arrays indexed by credit_side; index 0 is unused. */
typedef struct {
    credit_contract contract;
    uint8_t state;         /* credit_tally_state */
    uint8_t offered_by;    /* side that made the current (or refused) offer */
    hansa_sig sig[3];      /* each side's signature over the contract; zero until given */
    int64_t balance;       /* milli-CHIPs; > 0: the foil owes the stock */
    uint8_t closing_by;    /* side that asked to close; 0 = nobody */
    credit_trade_signed trade[3]; /* each side's trading variables (seq 0 = default) */
    credit_half half[3];   /* each side's chit chain (OPEN and later) */
} credit_tally;

/* The side key plays on c, or 0 if it plays none. */
credit_side credit_contract_side_of(const credit_contract *c, const hansa_pubkey *key);

/* A new offer (exists == false: t is filled in) or a re-offer of a VOID
 * tally (revision above the refused one, same parties) by side `by`, signed
 * with sig. chain_id: this chain; both parties must be on it. */
hansa_err credit_tally_offer(credit_tally *t, bool exists, const credit_contract *c,
                             credit_side by, const hansa_sig *sig, uint32_t chain_id, char *why,
                             size_t why_len);
/* The same offer for a tally across chains (docs/credit.md "Cross-chain
 * tallies"): one party on chain `here` (this chain), the other on `there`;
 * each chain keeps its copy of the tally and applies the same rules. */
hansa_err credit_tally_offer_across(credit_tally *t, bool exists, const credit_contract *c,
                                    credit_side by, const hansa_sig *sig, uint32_t here,
                                    uint32_t there, char *why, size_t why_len);
/* A counter-offer on an OFFERED tally by the party it was offered to: new
 * terms, same id and parties, revision + 1, signed by `by`. */
hansa_err credit_tally_counter(credit_tally *t, const credit_contract *c, credit_side by,
                               const hansa_sig *sig, char *why, size_t why_len);
/* Acceptance of revision `revision` by the party it was offered to: its
 * signature over the same contract. OPEN, with empty chains. */
hansa_err credit_tally_accept(credit_tally *t, credit_side by, uint32_t revision,
                              const hansa_sig *sig, char *why, size_t why_len);
hansa_err credit_tally_refuse(credit_tally *t, credit_side by, uint32_t revision, char *why,
                              size_t why_len);
/* A request to close by either party of an OPEN tally. */
hansa_err credit_tally_close(credit_tally *t, credit_side by, char *why, size_t why_len);
/* New trading variables signed by their party (seq above the current). */
hansa_err credit_tally_trade(credit_tally *t, const credit_trade_signed *ts, char *why,
                             size_t why_len);

/* Checks chit c against the tally's state and limits (not its signature or
 * id: the chain does that) and returns the balance after it in *after. */
hansa_err credit_tally_chit_check(const credit_tally *t, const credit_chit *c, int64_t *after,
                                  char *why, size_t why_len);
/* Books a chit that passed the check: balance, and CLOSING -> CLOSED at 0. */
void credit_tally_chit_book(credit_tally *t, const credit_chit *c);

/* Invoices on this tally. create: by the payee (side `by`), OPEN tally.
 * pay: chit c pays inv (PENDING, same tally, c by the payer, same amount).
 * refuse: by either party (the payer refuses, the payee withdraws; the
 * caller checks the sender is a party); PENDING only. */
hansa_err credit_invoice_check_create(const credit_tally *t, const credit_invoice *inv,
                                      credit_side by, char *why, size_t why_len);
hansa_err credit_invoice_check_pay(const credit_invoice *inv, const credit_chit *c, char *why,
                                   size_t why_len);
hansa_err credit_invoice_check_refuse(const credit_invoice *inv, char *why, size_t why_len);

/* Record codec (docs/wire.md "tally record"): everything but the halves'
 * storage hooks, which the owner sets after decoding. */
void credit_tally_encode(hbuf *b, const credit_tally *t);
/* Decodes and checks the record's consistency (signatures present for the
 * state, balance within the limits, closed at zero, trading variables of
 * this tally and side, halves of the right sides, empty before OPEN). */
hansa_err credit_tally_decode(const uint8_t *p, size_t len, credit_tally *out, wire_rd *r);

#endif
