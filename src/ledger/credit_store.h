/* credit_store.h — credit records through a pending block's overlay
 * (internal to ledger/): typed reads and writes of tallies and invoices, and
 * the chain storage a tally's halves use (credit/chain.h), over the record
 * keys of credit_rec.h. */
#ifndef HANSA_LEDGER_CREDIT_STORE_H
#define HANSA_LEDGER_CREDIT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "ledger/credit_rec.h"

typedef struct ledger_block ledger_block;

/* Key builders; each returns the key length. */
size_t credit_key_tally(const credit_id *id, uint8_t *out);
size_t credit_key_chit(const credit_id *tally, uint64_t idx, uint8_t *out);
size_t credit_key_chit_id(const credit_id *tally, const credit_id *chit, uint8_t *out);
size_t credit_key_invoice(const credit_id *id, uint8_t *out);
size_t credit_key_lift(const credit_id *id, uint8_t *out);

/* Values (version byte first); decoders assume a checked record. */
void credit_link_encode(hbuf *b, const credit_link *l);
void credit_link_decode(const uint8_t *v, size_t vlen, credit_link *out);

bool credit_store_tally_get(const ledger_block *b, const credit_id *id, credit_tally *out);
void credit_store_tally_put(ledger_block *b, const credit_tally *t);
bool credit_store_invoice_get(const ledger_block *b, const credit_id *id, credit_invoice *out);
void credit_store_invoice_put(ledger_block *b, const credit_invoice *inv);
bool credit_store_lift_get(const ledger_block *b, const credit_id *id, credit_lift_rec *out);
void credit_store_lift_put(ledger_block *b, const credit_lift_rec *rec);

/* HANSA_OK if chit's id is new on its tally; else HANSA_ERR_DUPLICATE (the
 * same chit is there) or HANSA_ERR_INVALID (a conflict: a different chit
 * holds the id, refused loudly). */
hansa_err credit_store_chit_id_free(const ledger_block *b, const credit_chit *chit, char *why,
                                    size_t why_len);

/* The chain storage of a tally in b: both halves share the one stored chain
 * (the stock's confirmed part is always a prefix of the foil's). */
typedef struct {
    ledger_block *b;
    credit_id tally;
} credit_store_ctx;

/* Points t's halves at ctx (caller-owned, outlives their use) over b, and
 * marks each half's peer as living in the same state. */
void credit_store_attach(ledger_block *b, credit_tally *t, credit_store_ctx *ctx);

#endif
