/* receipt.h — the stake-backed receipt (seed 001, node level; docs/receipts.md):
 * its byte format, identity, signatures, and the body of a claim.
 *
 * A receipt says: "we, the signers, guarantee that transaction tx_hash (from
 * sender, at nonce) is committed on chain_id by height `deadline`; if it is
 * not, `beneficiary` may claim `amount` from our receipt collateral". One
 * node signs it alone when its free collateral covers the amount; above
 * that, other receipt nodes underwrite parts (shares). Every share signs the
 * same core (which fixes the total) plus its own signer and amount, so a
 * share can be claimed from its own signer's collateral only, and the
 * receipt is valid only when the shares add up to the total exactly.
 *
 * The format is self-contained so that another chain can check it later:
 * the core names the chain, the shares name the signers' Ed25519 keys, and
 * what a verifier needs beyond it is the signers' bond records on the
 * source chain (a light-client proof of records 0x50 | signer; see
 * docs/receipts.md, "Across chains").
 *
 *   receipt     off  size  field
 *   core        0    1     version = 1
 *               1    4     chain_id
 *               5    32    tx_hash (SHA-256 of the encoded transaction)
 *               37   32    sender (the transaction's sender pubkey)
 *               69   8     nonce (the transaction's nonce)
 *               77   20    beneficiary address
 *               97   8     amount guaranteed, > 0
 *               105  8     issued_height (the first signer's tip when signing)
 *               113  8     deadline height, issued < deadline <= issued + RECEIPT_DEADLINE_MAX
 *   shares      121  1     n, 1..RECEIPT_SHARES_MAX
 *               122  104n  n x (signer pubkey 32 | amount u64 > 0 | sig 64),
 *                          strictly increasing signers, amounts summing to
 *                          the core's amount exactly
 * A share's signature is Ed25519 over RECEIPT_SIGN_DOMAIN and
 * core(121) | signer(32) | amount u64 LE. The receipt id is SHA-256(core).
 *
 *   claim body (TX_RECEIPT_CLAIM)
 *               receipt (above)
 *               1     proof kind: 0 none, 1 a committed transaction
 *   proof 1:    8     height of the block holding it
 *               4     index of the tx in that block
 *               4     count of txs in that block, index < count <= WIRE_BLOCK_TXS_MAX
 *               1     path length, <= RECEIPT_PROOF_PATH_MAX
 *               32k   RFC 6962 audit path, leaf up
 *               4+m   the transaction's encoded bytes (u32 length first)
 * No trailing bytes. */
#ifndef HANSA_LEDGER_RECEIPT_H
#define HANSA_LEDGER_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "wire/codec.h"

#define RECEIPT_SIGN_DOMAIN "hansa/receipt/v1"
#define RECEIPT_VERSION 1
#define RECEIPT_SHARES_MAX 8
#define RECEIPT_CORE_BYTES 121
#define RECEIPT_SHARE_BYTES (HANSA_PUBKEY_BYTES + 8 + HANSA_SIG_BYTES)
#define RECEIPT_BYTES(n) (RECEIPT_CORE_BYTES + 1 + (size_t)(n) * RECEIPT_SHARE_BYTES)
#define RECEIPT_BYTES_MAX RECEIPT_BYTES(RECEIPT_SHARES_MAX)
/* 10,000 txs in a block need a path of at most 14 hashes. */
#define RECEIPT_PROOF_PATH_MAX 16

/* Heights. A receipt's deadline is at most RECEIPT_DEADLINE_MAX after the
 * height it was issued at; a claim is accepted in the RECEIPT_CLAIM_WINDOW
 * heights after the deadline. Collateral being unbonded stays claimable for
 * RECEIPT_UNBOND_BLOCKS, long enough for every receipt signed before the
 * unbond to run out its window; the ledger keeps the tx roots of the last
 * RECEIPT_ROOTS_KEPT blocks, enough for every proof a claim can need. */
#define RECEIPT_DEADLINE_MAX 256
#define RECEIPT_CLAIM_WINDOW 512
#define RECEIPT_UNBOND_BLOCKS (RECEIPT_DEADLINE_MAX + RECEIPT_CLAIM_WINDOW + 1)
#define RECEIPT_ROOTS_KEPT (RECEIPT_DEADLINE_MAX + RECEIPT_CLAIM_WINDOW + 64)

typedef struct {
    uint32_t chain_id;
    hansa_hash tx_hash;
    hansa_pubkey sender;
    uint64_t nonce;
    hansa_addr beneficiary;
    uint64_t amount;
    uint64_t issued_height;
    uint64_t deadline;
} receipt_core;

typedef struct {
    hansa_pubkey signer;
    uint64_t amount;
    hansa_sig sig;
} receipt_share;

typedef struct {
    receipt_core core;
    uint8_t n_shares;
    receipt_share shares[RECEIPT_SHARES_MAX];
} receipt;

typedef enum { RECEIPT_PROOF_NONE = 0, RECEIPT_PROOF_TX = 1 } receipt_proof_kind;

/* A claim: the receipt and, when the sender's nonce was used, the proof of
 * the transaction that used it. tx borrows from the decoded bytes. */
typedef struct {
    receipt rc;
    uint8_t proof;          /* receipt_proof_kind */
    uint64_t height;
    uint32_t index, count;
    uint8_t path_len;
    hansa_hash path[RECEIPT_PROOF_PATH_MAX];
    const uint8_t *tx;      /* borrowed */
    uint32_t tx_len;
} receipt_claim;

/* Encoders append to b. The core encoder does not check ranges; the
 * receipt encoder asserts what the decoder would reject. */
void receipt_core_encode(hbuf *b, const receipt_core *c);
void receipt_encode(hbuf *b, const receipt *rc);
void receipt_claim_encode(hbuf *b, const receipt_claim *c);

/* Cursor readers (codec.h style): read one value, failing r on a bad form. */
void receipt_rd_core(wire_rd *r, receipt_core *out);
void receipt_rd(wire_rd *r, receipt *out);

/* Decode exactly one value from [p, p+len); on error r (optional) says
 * where. Form only: signatures are checked by receipt_verify. */
hansa_err receipt_core_decode(const uint8_t *p, size_t len, receipt_core *out, wire_rd *r);
hansa_err receipt_decode(const uint8_t *p, size_t len, receipt *out, wire_rd *r);
hansa_err receipt_claim_decode(const uint8_t *p, size_t len, receipt_claim *out, wire_rd *r);

/* SHA-256 of the encoded core: what a claim is counted once under. */
void receipt_id(const receipt_core *c, hansa_hash *out);

/* The bytes a share signs: core | signer | amount. */
void receipt_share_sign_bytes(hbuf *b, const receipt_core *c, const hansa_pubkey *signer,
                              uint64_t amount);

/* Index of the first share whose signature does not verify, or -1 if all do. */
int receipt_verify(const receipt *rc);

#endif
