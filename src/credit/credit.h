/* credit.h — the objects of MyCHIPs credit (seed 003) on hansa: tally
 * contracts, trading variables, chits and invoices, with their canonical
 * encodings and signatures.
 *
 * A tally is a credit relationship between two parties: the stock holder
 * (vendor, normally owed value) and the foil holder (client, normally owing).
 * Its balance is kept from the stock's side: positive means the foil holder
 * owes the stock holder. Value is counted in milli-CHIPs (1/1000 CHIP), an
 * integer; every amount and limit is at most CREDIT_AMOUNT_MAX so that a
 * balance (an int64 between -limit and +limit) and any sum of two amounts
 * never overflow.
 *
 * Every signature is the party's own Ed25519 key under its own domain:
 *   CREDIT_DOMAIN_TALLY  the contract: both parties sign the same bytes
 *   CREDIT_DOMAIN_CHIT   a chit: only the party pledging value signs
 *   CREDIT_DOMAIN_TRADE  a party's trading variables, re-signable (seq)
 * so a contract, a chit or a setting proves itself wherever it travels (the
 * cross-chain half carries them in packets).
 *
 * The formats are tables in docs/wire.md ("Credit"). Decoders are cursor
 * style (wire/codec.h), check form and ranges, and reject non-canonical
 * encodings; meaning (state, balances, who may act) is tally.h's. This layer
 * is sans-I/O: no clock, no randomness, no storage. */
#ifndef HANSA_CREDIT_CREDIT_H
#define HANSA_CREDIT_CREDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "crypto/sign.h"
#include "wire/codec.h"

#define CREDIT_VERSION 1
#define CREDIT_ID_BYTES 16
/* 2^62 milli-CHIPs: |balance| <= limit <= 2^62, and limit + amount < 2^63. */
#define CREDIT_AMOUNT_MAX (1ull << 62)
#define CREDIT_PPM_ONE 1000000 /* reward and clutch are parts per million of 1 */
#define CREDIT_CALL_DAYS_MAX 36500
#define CREDIT_MEMO_MAX 128       /* bytes of a chit's reference text */
#define CREDIT_ITEMS_MAX 8        /* lines of an invoice */
#define CREDIT_ITEM_TEXT_MAX 64
#define CREDIT_HINTS_MAX 4        /* where to find the payee */
#define CREDIT_HINT_TEXT_MAX 64

#define CREDIT_DOMAIN_TALLY "hansa/tally/v1"
#define CREDIT_DOMAIN_CHIT "hansa/chit/v1"
#define CREDIT_DOMAIN_TRADE "hansa/trade/v1"

typedef struct {
    uint8_t b[CREDIT_ID_BYTES];
} credit_id;

static inline bool credit_id_eq(const credit_id *a, const credit_id *b) {
    for (int i = 0; i < CREDIT_ID_BYTES; i++)
        if (a->b[i] != b->b[i]) return false;
    return true;
}
static inline bool credit_id_is_zero(const credit_id *a) {
    for (int i = 0; i < CREDIT_ID_BYTES; i++)
        if (a->b[i]) return false;
    return true;
}

/* The two halves of a tally. Values are part of the wire format. */
typedef enum { CREDIT_STOCK = 1, CREDIT_FOIL = 2 } credit_side;

static inline credit_side credit_side_other(credit_side s) {
    return s == CREDIT_STOCK ? CREDIT_FOIL : CREDIT_STOCK;
}
const char *credit_side_name(credit_side s);

/* Writes the reason a credit check failed into why (printf-style), which
 * may be NULL or empty when the caller does not want one. */
void credit_say(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One party: its chain and its key (its address is derived from the key). */
typedef struct {
    uint32_t chain_id;
    hansa_pubkey key;
} credit_party;

/* Credit terms one party grants the other (seed 003 "Simplified Credit
 * Terms"): the most the other may owe, and the notice in days with which the
 * grantor may call the balance due. */
typedef struct {
    uint64_t limit;     /* milli-CHIPs, <= CREDIT_AMOUNT_MAX */
    uint32_t call_days; /* <= CREDIT_CALL_DAYS_MAX */
} credit_terms;

/* The contract both parties sign. revision counts offers: 1 for the first,
 * one more for each counter-offer or re-offer, so a signature given to one
 * revision never passes for another. */
typedef struct {
    credit_id tally_id;
    credit_party stock, foil;
    credit_terms stock_grants; /* stock -> foil: limit = most the foil may owe */
    credit_terms foil_grants;  /* foil -> stock: limit = most the stock may owe */
    uint32_t revision;         /* >= 1 */
} credit_contract;

#define CREDIT_PARTY_BYTES (4 + HANSA_PUBKEY_BYTES)
#define CREDIT_TERMS_BYTES (8 + 4)
#define CREDIT_CONTRACT_BYTES \
    (1 + CREDIT_ID_BYTES + 2 * CREDIT_PARTY_BYTES + 2 * CREDIT_TERMS_BYTES + 4)

/* A party's trading variables (seed 003, learn-tally "Trading Variables"):
 * how it lets lifts and drops move its balance. target and bound in
 * milli-CHIPs, 0 <= target <= bound; reward and clutch in parts per million,
 * clutch in [-1, 1], reward in [-1, 1], reward + clutch >= 0 (MyCHIPs'
 * mychips.tallies constraints TGT, BND, RWD, CLT, RCV). */
typedef struct {
    uint64_t target;
    uint64_t bound;
    int32_t reward_ppm;
    int32_t clutch_ppm;
} credit_trade;

/* Trading variables as a party signed them; seq rises with each re-signing
 * so an old setting cannot be replayed. seq 0 is the unsigned default
 * (all zero) every tally starts with. */
typedef struct {
    credit_id tally_id;
    uint8_t side; /* credit_side of the party that signs */
    uint32_t seq;
    credit_trade tv;
    hansa_sig sig;
} credit_trade_signed;

#define CREDIT_TRADE_BYTES (8 + 8 + 4 + 4)
#define CREDIT_TRADE_SIGNED_BYTES (1 + CREDIT_ID_BYTES + 1 + 4 + CREDIT_TRADE_BYTES + HANSA_SIG_BYTES)

/* Chits. A direct chit is a payment; an invoice chit pays an invoice and
 * names it. Either is signed only by the party pledging value (`by`). */
/* A lift chit (credit/lift.h) is one leg of a committed lift: invoice_id
 * carries the lift id and sig is all zero, for its proof is the lift's
 * ruling (on one chain, the lift record the same transaction wrote). */
typedef enum {
    CREDIT_CHIT_DIRECT = 1,
    CREDIT_CHIT_INVOICE = 2,
    CREDIT_CHIT_LIFT = 3,
} credit_chit_kind;

typedef struct {
    credit_id tally_id;
    credit_id chit_id;    /* chosen by the issuer, unique on the tally */
    uint8_t by;           /* credit_side pledging value */
    uint8_t kind;         /* credit_chit_kind */
    uint64_t amount;      /* milli-CHIPs, 1..CREDIT_AMOUNT_MAX */
    credit_id invoice_id; /* zero for a direct chit; the invoice, or the lift of a lift chit */
    uint16_t memo_len;    /* <= CREDIT_MEMO_MAX, printable ASCII */
    uint8_t memo[CREDIT_MEMO_MAX];
    hansa_sig sig;
} credit_chit;

#define CREDIT_CHIT_BYTES_MIN \
    (1 + 2 * CREDIT_ID_BYTES + 1 + 1 + 8 + CREDIT_ID_BYTES + 2 + HANSA_SIG_BYTES)
#define CREDIT_CHIT_BYTES_MAX (CREDIT_CHIT_BYTES_MIN + CREDIT_MEMO_MAX)

/* An invoice: a request for payment on a tally from its payee (seed 003,
 * "Request Direct Invoice"). Pending, it is only a request: it never counts
 * in the tally's balance, so it never counts toward what a lift can move. */
typedef enum { CREDIT_INV_PENDING = 1, CREDIT_INV_PAID = 2, CREDIT_INV_REFUSED = 3 } credit_inv_state;

typedef struct {
    uint16_t len;
    char text[CREDIT_ITEM_TEXT_MAX];
    uint64_t amount; /* milli-CHIPs */
} credit_item;

typedef struct {
    uint16_t len;
    char text[CREDIT_HINT_TEXT_MAX];
} credit_hint;

typedef struct {
    credit_id invoice_id;
    credit_id tally_id;
    uint8_t payee;        /* credit_side of the payee on the tally */
    uint64_t amount;      /* 1..CREDIT_AMOUNT_MAX; the items' sum when there are items */
    uint8_t n_items;
    credit_item items[CREDIT_ITEMS_MAX];
    uint8_t n_hints;
    credit_hint hints[CREDIT_HINTS_MAX];
    /* State, kept by the ledger (not part of what the payee submits). */
    uint8_t state;        /* credit_inv_state */
    credit_id paid_by;    /* the chit that paid it; zero unless PAID */
} credit_invoice;

/* ---- codecs ----------------------------------------------------------------
 * Encoders append one value. Decoders parse exactly [p, p+len) (or, for the
 * rd_* forms, one value at the cursor) and fail with the codes of
 * wire/codec.h; out is zeroed on failure. */

void credit_contract_encode(hbuf *b, const credit_contract *c);
void credit_rd_contract(wire_rd *r, credit_contract *out);
hansa_err credit_contract_decode(const uint8_t *p, size_t len, credit_contract *out, wire_rd *r);
/* SHA-256 of the encoding: what both parties' signatures commit to. */
void credit_contract_hash(const credit_contract *c, hansa_hash *out);

void credit_trade_signed_encode(hbuf *b, const credit_trade_signed *t);
void credit_rd_trade_signed(wire_rd *r, credit_trade_signed *out);
/* The bytes a party signs for its trading variables (all but the sig). */
void credit_trade_sign_bytes(hbuf *b, const credit_trade_signed *t);
/* Checks the MyCHIPs constraints; HANSA_ERR_INVALID naming the rule. */
hansa_err credit_trade_check(const credit_trade *tv, char *why, size_t why_len);

void credit_chit_encode(hbuf *b, const credit_chit *c);
void credit_rd_chit(wire_rd *r, credit_chit *out);
hansa_err credit_chit_decode(const uint8_t *p, size_t len, credit_chit *out, wire_rd *r);
void credit_chit_sign_bytes(hbuf *b, const credit_chit *c);
/* SHA-256 of the full encoding (signature included): the chit's content hash. */
void credit_chit_hash(const credit_chit *c, hansa_hash *out);
/* True when a and b are the same chit, byte for byte. */
bool credit_chit_same(const credit_chit *a, const credit_chit *b);

/* The invoice as the payee submits it (no state fields). */
void credit_invoice_encode(hbuf *b, const credit_invoice *inv);
hansa_err credit_invoice_decode(const uint8_t *p, size_t len, credit_invoice *out, wire_rd *r);
/* The invoice with its state, as the ledger stores it. */
void credit_invoice_record_encode(hbuf *b, const credit_invoice *inv);
hansa_err credit_invoice_record_decode(const uint8_t *p, size_t len, credit_invoice *out,
                                       wire_rd *r);

/* Signature checks for each object against the key of the party that must
 * have signed it. */
bool credit_contract_verify(const credit_contract *c, const hansa_pubkey *key,
                            const hansa_sig *sig);
bool credit_chit_verify(const credit_chit *c, const hansa_pubkey *key);
bool credit_trade_verify(const credit_trade_signed *t, const hansa_pubkey *key);

/* Signing, for the parties' tools (the CLI) and tests: each fills the
 * signature with kp's signature under the object's domain. */
void credit_contract_sign(const credit_contract *c, const hansa_keypair *kp, hansa_sig *sig);
void credit_chit_sign(credit_chit *c, const hansa_keypair *kp);
void credit_trade_sign(credit_trade_signed *t, const hansa_keypair *kp);

/* The key of the party holding side s of contract c. */
const hansa_pubkey *credit_contract_key(const credit_contract *c, credit_side s);

#endif
