/* credit_rec.h — credit (tallies, chits, invoices) in the ledger's state:
 * the record keys and values, reads of the committed state, the per-block
 * change list (events) and the invariant checker. The transaction kinds
 * that change these records are in tx_credit.h.
 *
 * Both parties of a tally are accounts of this chain, so one state holds
 * both halves. Each half runs the chit-chain protocol of credit/chain.h; the
 * ledger carries its messages from one half to the other within the
 * transaction, so after every transaction both halves are settled and
 * their chains are one chain, stored once.
 *
 * Records (all in the ledger's credit table, LEDGER_TAB_CREDIT; every value
 * starts with version byte 1; docs/credit.md has the tables):
 *   key                                   value
 *   40 | tally id(16)                     tally record (credit_tally_encode)
 *   41 | tally id(16) | index u64 BE      chit link: version | chit | link hash(32)
 *   42 | tally id(16) | chit id(16)       version | index u64 (of the link)
 *   43 | invoice id(16)                  invoice record (credit_invoice_record_encode)
 *   44 | lift id(16)                     lift record: the chain's ruling (credit_lift_rec_encode)
 * Index keys are big-endian so a tally's links sort in chain order. */
#ifndef HANSA_LEDGER_CREDIT_REC_H
#define HANSA_LEDGER_CREDIT_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "credit/lift.h"
#include "credit/tally.h"
#include "ledger/writes.h"
#include "wire/codec.h"

typedef struct ledger_state ledger_state;

typedef enum {
    LEDGER_KEY_TALLY = 0x40,
    LEDGER_KEY_CHIT = 0x41,
    LEDGER_KEY_CHIT_ID = 0x42,
    LEDGER_KEY_INVOICE = 0x43,
    LEDGER_KEY_LIFT = 0x44,
} ledger_credit_key;
/* 0x45..0x47: lifts across chains (segment, pending per tally, referee;
 * ledger/xlift.h), checked there. */
#define LEDGER_KEY_XLIFT_LAST 0x47

#define LEDGER_KEY_TALLY_BYTES (1 + CREDIT_ID_BYTES)
#define LEDGER_KEY_CHIT_BYTES (1 + CREDIT_ID_BYTES + 8)
#define LEDGER_KEY_CHIT_ID_BYTES (1 + 2 * CREDIT_ID_BYTES)
#define LEDGER_KEY_INVOICE_BYTES (1 + CREDIT_ID_BYTES)
#define LEDGER_KEY_LIFT_BYTES (1 + CREDIT_ID_BYTES)

/* Decoded bodies of the credit transaction kinds (one member per form). */
typedef struct {
    credit_contract contract; /* OFFER, COUNTER */
    hansa_sig sig;            /* OFFER, COUNTER, ACCEPT */
    credit_id id;             /* ACCEPT, REFUSE, CLOSE: tally; INVOICE_REFUSE: invoice */
    uint32_t revision;        /* ACCEPT, REFUSE */
    credit_trade_signed trade; /* TRADE */
    credit_chit chit;         /* CHIT, INVOICE_PAY */
    credit_invoice invoice;   /* INVOICE_CREATE */
    credit_lift lift;         /* LIFT */
} ledger_credit_body;

/* Checks a stored credit record (key type, lengths, the value's codec, the
 * key agreeing with the value). For loading and the fuzzer. */
hansa_err ledger_credit_record_check(const uint8_t *key, size_t klen, const uint8_t *val,
                                     size_t vlen, wire_rd *r);

/* ---- reads of the committed state (for RPC and tests) ------------------- */

/* Each returns false when the record does not exist. */
bool ledger_tally_get(const ledger_state *s, const credit_id *id, credit_tally *out);
bool ledger_chit_get(const ledger_state *s, const credit_id *tally, uint64_t idx, credit_link *out);
/* The index of chit `chit`'s link on its tally's stored chain, or 0. */
uint64_t ledger_chit_index(const ledger_state *s, const credit_id *tally, const credit_id *chit);
bool ledger_invoice_get(const ledger_state *s, const credit_id *id, credit_invoice *out);
bool ledger_lift_get(const ledger_state *s, const credit_id *id, credit_lift_rec *out);
/* Calls fn for every lift record, in no particular order. */
void ledger_lifts_iter(const ledger_state *s, void (*fn)(void *ctx, const credit_lift_rec *rec),
                       void *ctx);
/* Calls fn for every tally / invoice, in no particular order. t is borrowed
 * for the call. */
void ledger_tallies_iter(const ledger_state *s, void (*fn)(void *ctx, const credit_tally *t),
                         void *ctx);
void ledger_invoices_iter(const ledger_state *s,
                          void (*fn)(void *ctx, const credit_invoice *inv), void *ctx);

/* ---- events ------------------------------------------------------------- */

/* What a wallet subscribes to, read off a committed block's write set: a
 * tally record written (it changed state or balance), a chit linked (a chit
 * arrived), an invoice written (created, paid or refused). */
typedef enum {
    LEDGER_EV_TALLY = 1,
    LEDGER_EV_CHIT = 2,
    LEDGER_EV_INVOICE = 3,
} ledger_credit_event_kind;

typedef struct {
    uint8_t kind;          /* ledger_credit_event_kind */
    credit_id tally_id;
    /* TALLY */
    uint8_t state;         /* credit_tally_state */
    int64_t balance;
    credit_party stock, foil;
    /* CHIT */
    uint64_t idx;
    credit_chit chit;
    /* INVOICE */
    credit_invoice invoice;
} ledger_credit_event;

/* Calls fn for each credit event of a block, given the block's write set
 * (ledger_block_writes, or the batch the node stored), in key order. */
void ledger_credit_events(const ledger_writes *ws,
                          void (*fn)(void *ctx, const ledger_credit_event *ev), void *ctx);

/* ---- the invariant checker ------------------------------------------------ */

/* Recomputes everything credit promises from the records: every tally
 * record decodes and its halves are settled, unfaulted and equal; its chain
 * links hash from the genesis hash to the halves' end, every chit is the
 * tally's, signed by its pledging party (a lift chit: a leg of a lift the
 * chain committed), indexed by its id and counted
 * once; the sum of its chits is the recorded balance, within the credit the
 * contract grants (and zero when closed); every paid invoice names a chit
 * of its tally that pays it; no record is orphaned. Returns HANSA_OK or
 * HANSA_ERR_CORRUPT with what broke in why. O(chits): for tests, start-up
 * and audits. */
hansa_err ledger_credit_check(const ledger_state *s, char *why, size_t why_len);

#endif
