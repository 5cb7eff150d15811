/* types.h — the protocol's data types, decoded form.
 *
 * These are what every layer passes around. Their canonical byte form (see
 * codec.h and docs/wire.md) is what gets hashed, signed, stored and sent.
 *
 * Ownership: decoded objects BORROW variable-length data (tx bodies, the tx
 * byte ranges inside a block) from the buffer they were decoded from; they
 * stay valid as long as that buffer does. Arrays that the decoder allocates
 * (a block's tx list, a commit's signatures) are owned by the object and
 * released with its *_free function. */
#ifndef HANSA_WIRE_TYPES_H
#define HANSA_WIRE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* Bounds. Every length read from untrusted bytes is checked against one of
 * these before anything is allocated. */
#define WIRE_TX_BODY_MAX 65536        /* bytes: largest tx body (a light-client misbehaviour
                                       * with two commits of 128 signers fits) */
#define WIRE_BLOCK_TXS_MAX 10000      /* transactions in one block (seed 000) */
#define WIRE_BLOCK_EVIDENCE_MAX 64    /* duplicate-vote evidence items in one block */
#define WIRE_VALIDATORS_MAX 128       /* active delegates in one validator set */
#define WIRE_BLOCK_BYTES_MAX (24u << 20) /* encoded block, all parts together */

#define WIRE_VERSION 1 /* the version byte of every top-level object below */

/* Transaction kinds. Each layer adds its own; the ledger dispatches on them
 * through a table, so a new kind is a new table row, not a new branch. Values
 * are part of the wire format: append only. */
typedef enum {
    TX_TRANSFER = 1,   /* body: to addr (20) | amount u64 */
    TX_STAKE = 2,      /* bond own tokens as a candidate */
    TX_UNSTAKE = 3,
    TX_VOTE = 4,       /* bond tokens to candidates */
    TX_UNVOTE = 5,
    TX_UNJAIL = 6,
    TX_EVIDENCE = 7,   /* duplicate-vote evidence submitted by anyone */
    TX_UPGRADE_PROPOSE = 8,
    TX_UPGRADE_VOTE = 9,
    TX_CLIENT_CREATE = 10,       /* light clients (ledger/client.h) */
    TX_CLIENT_APPROVE = 11,
    TX_CLIENT_UPDATE = 12,
    TX_CLIENT_MISBEHAVIOUR = 13,
    TX_CLIENT_REVIVE = 14,
    /* Ranges reserved per layer, so work on different layers never takes
     * the same number: 10-19 light clients and the routing of chains
     * (interchain/), 20-29 packets, vouchers and correspondent accounts,
     * 30-39 tallies, chits and invoices (credit/), 40-49 lifts and referee
     * rulings, 50-59 receipts and claims, 60-69 threshold keys (FROST). */
    TX_PACKET_SEND = 20,    /* packets (ledger/xfer.h, interchain/packet.h) */
    TX_PACKET_RECV = 21,
    TX_PACKET_ACK = 22,
    TX_CORR_BOND = 23,      /* collateral for a foreign chain: chain u32 | amount u64 */
    TX_CORR_UNBOND = 24,
    TX_TALLY_OFFER = 30,    /* credit (docs/credit.md): contract | sig */
    TX_TALLY_COUNTER = 31,  /* contract (revision + 1) | sig */
    TX_TALLY_ACCEPT = 32,   /* tally id | revision | sig */
    TX_TALLY_REFUSE = 33,   /* tally id | revision */
    TX_TALLY_CLOSE = 34,    /* tally id */
    TX_TALLY_TRADE = 35,    /* signed trading variables */
    TX_CHIT = 36,           /* a direct chit */
    TX_INVOICE_CREATE = 37, /* an invoice */
    TX_INVOICE_PAY = 38,    /* an invoice chit */
    TX_INVOICE_REFUSE = 39, /* invoice id */
    TX_LIFT = 40,           /* lifts (docs/credit.md): a lift header, one chain */
    TX_RECEIPT_BOND = 50,   /* receipts (docs/receipts.md): amount u64 */
    TX_RECEIPT_UNBOND = 51, /* amount u64 */
    TX_RECEIPT_CLAIM = 52,  /* a receipt and the proof it was broken */
    TX_DKG_COMMIT = 60,     /* threshold keys (docs/frost.md): a dkg COMMIT message */
    TX_DKG_COMPLAINT = 61,  /* a dkg COMPLAINT message (BAD_SHARE or MISSING) */
    TX_DKG_REVEAL = 62,     /* a dkg REVEAL message: a share published in the clear */
    TX_KIND_MAX_ = 255 /* kinds are < 256 on the wire (encoded as u16 for growth) */
} tx_kind;

typedef struct {
    uint32_t chain_id;
    hansa_pubkey sender;
    uint64_t nonce;       /* per-account sequence, starts at 0 */
    uint64_t fee;
    uint16_t kind;        /* tx_kind */
    const uint8_t *body;  /* borrowed; body_len <= WIRE_TX_BODY_MAX */
    uint32_t body_len;
    hansa_sig sig;        /* over SIGN_DOMAIN_TX, tx sign bytes */
} wire_tx;

typedef enum { VOTE_PREVOTE = 1, VOTE_PRECOMMIT = 2 } vote_type;

/* A block id is the hash of the block's header; a vote may be for nil. */
typedef struct {
    bool present;         /* false = nil */
    hansa_hash hash;      /* all zero when !present (canonical) */
} block_id;

typedef struct {
    uint32_t chain_id;
    uint64_t height;
    uint32_t round;
    uint8_t type;         /* vote_type */
    block_id block;
    hansa_pubkey validator;
    hansa_sig sig;        /* over SIGN_DOMAIN_VOTE, vote sign bytes */
} wire_vote;

#define WIRE_ROUND_NONE UINT32_MAX /* pol_round of a proposal with no proof-of-lock */

typedef struct {
    uint32_t chain_id;
    uint64_t height;
    uint32_t round;
    uint32_t pol_round;   /* valid round (Alg. 1 vr), or WIRE_ROUND_NONE for -1 */
    hansa_hash block;     /* id of the proposed block (its header hash) */
    hansa_pubkey proposer;
    hansa_sig sig;        /* over SIGN_DOMAIN_PROPOSAL, proposal sign bytes */
} wire_proposal;

/* One precommit signature inside a commit certificate. */
typedef struct {
    uint16_t validator_index; /* index into the validator set at that height */
    hansa_sig sig;
} wire_commit_sig;

/* More than 2/3 of voting power in precommits for one block at one round.
 * Verifiable against the validator set alone: each signature is over the
 * sign bytes of the precommit (chain_id, height, round, PRECOMMIT, block).
 * Signatures are sorted by strictly increasing validator_index. */
typedef struct {
    uint32_t chain_id;
    uint64_t height;
    uint32_t round;
    hansa_hash block;
    uint16_t n_sigs;          /* <= WIRE_VALIDATORS_MAX */
    wire_commit_sig *sigs;    /* owned */
} wire_commit;

/* Two signed votes from one validator for the same chain/height/round/type
 * with different block ids. Canonical order: a's block id < b's block id
 * (nil sorts first), so one offence has exactly one encoding. */
typedef struct {
    wire_vote a;
    wire_vote b;
} wire_evidence;

typedef struct {
    uint32_t chain_id;
    uint64_t height;              /* first block is 1 */
    uint64_t time_ms;             /* proposer's wall clock, strictly increasing */
    hansa_hash prev_block;        /* header hash of height-1 (zero at 1) */
    hansa_hash last_commit_hash;  /* SHA-256 of the encoded commit for height-1 (zero at 1) */
    hansa_hash tx_root;           /* RFC 6962 root over the encoded txs */
    hansa_hash evidence_root;     /* RFC 6962 root over the encoded evidence */
    hansa_hash app_hash;          /* state after applying THIS block */
    hansa_hash validators_hash;   /* set that decides this block */
    hansa_hash next_validators_hash; /* set that decides the next block */
    hansa_pubkey proposer;
    uint32_t tx_count;
} wire_header;

/* A transaction inside a block, kept as its exact encoded bytes so that
 * hashing and forwarding never re-encode it. */
typedef struct {
    const uint8_t *bytes; /* borrowed from the block's buffer */
    uint32_t len;
} wire_bytes;

typedef struct {
    wire_header header;
    bool has_last_commit;     /* false only at height 1 */
    wire_commit last_commit;  /* owned */
    uint16_t n_evidence;
    wire_evidence *evidence;  /* owned */
    uint32_t n_txs;
    wire_bytes *txs;          /* owned array, borrowed bytes */
} wire_block;

typedef struct {
    hansa_pubkey pubkey;
    uint64_t power;
} wire_validator;

/* Sorted by pubkey, no duplicates, every power > 0, total power <= 2^60 so
 * sums and 3x comparisons never overflow. */
typedef struct {
    uint16_t n;
    wire_validator *v; /* owned */
} wire_valset;

#define WIRE_TOTAL_POWER_MAX (1ull << 60)

#endif
