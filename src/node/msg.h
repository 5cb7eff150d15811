/* msg.h — the messages hansa nodes exchange over a net/ link.
 *
 * net/ carries (type u8, bytes) pairs and knows nothing of their meaning;
 * this is the meaning. Every payload is canonical (wire/ rules: little-endian,
 * u32 length prefixes checked against bounds before use, no trailing bytes).
 * docs/protocol.md has the byte tables.
 *
 *   type  name        payload
 *   1     STATUS      version u8 | chain u32 | height u64 | block hash 32
 *                     [| lowest u64]
 *   2     TX          encoded tx (wire)
 *   3     PROPOSAL    u32 len | proposal (wire) | u32 len | block (wire)
 *   4     VOTE        encoded vote (wire)
 *   5     EVIDENCE    encoded evidence (wire)
 *   6     BLOCK_REQ   version u8 | height u64
 *   7     BLOCK       version u8 | height u64 | u32 len | block | u32 len | commit
 *   56    TXS         (u32 len | encoded tx)*: 1..MSG_TXS_MAX txs, as TX each
 *
 * STATUS says what a node has committed; a peer that is behind asks for the
 * blocks it lacks with BLOCK_REQ and gets each with its commit certificate
 * in BLOCK (block sync). Votes and proposals are gossiped as they are made
 * and re-sent periodically (cons_rebroadcast), which covers loss and peers
 * that connect mid-round. */
#ifndef HANSA_NODE_MSG_H
#define HANSA_NODE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "wire/codec.h"

typedef enum {
    MSG_STATUS = 1,
    MSG_TX = 2,
    MSG_PROPOSAL = 3,
    MSG_VOTE = 4,
    MSG_EVIDENCE = 5,
    MSG_BLOCK_REQ = 6,
    MSG_BLOCK = 7,
    MSG_DKG_SHARE = 16,     /* a dkg SHARE, sealed to its recipient (node/frost_duty.h) */
    MSG_ROAST = 17,         /* a ROAST message in its signed envelope (node/frost_sign.h) */
    MSG_CHECKPOINT = 18,    /* a signed FROST checkpoint (threshold/checkpoint.h) */
    MSG_HANDOFF = 19,       /* the old group's signature on the new group key (ditto) */
    MSG_DKG_SHARE_REQ = 20, /* "send me again the shares you dealt me" (node/frost_duty.h) */
    MSG_REPAIR_REQ = 21,    /* a share repair's REQUEST (threshold/repair.h, node/frost_repair.h) */
    MSG_REPAIR_DELTA = 22,  /* ... a helper's piece for another helper, sealed to it */
    MSG_REPAIR_SIGMA = 23,  /* ... a helper's sum for the member, sealed to it */
    MSG_RECEIPT_ASK = 32,   /* underwriting (node/receipts.h, docs/receipts.md) */
    MSG_RECEIPT_SHARE = 33,
    MSG_TXS = 56,           /* transactions in a bundle (below) */
    /* Reserved ranges: 8-15 link upkeep (8 is net/'s KEEPALIVE, never
     * passed up), 16-23 threshold
     * signing and key generation, 24-31 interchain relaying, 32-39 receipts
     * and underwriting, 40-47 credit route discovery, 48-55 state sync,
     * 56-63 transaction gossip. */
} node_msg_type;

#define MSG_VERSION 1

typedef struct {
    uint32_t chain_id;
    uint64_t height;      /* last committed height, 0 before the first block */
    hansa_hash block;     /* its header hash (zero at 0) */
    /* The lowest height whose block the node serves (it pruned those below):
     * 1..height when sent; 0 = not said (the field is absent: a node with no
     * block, or one from before pruning), which means every block it has. */
    uint64_t lowest;
} msg_status;

/* A proposal and the proposed block's bytes, both borrowed from the input. */
typedef struct {
    const uint8_t *proposal;
    uint32_t proposal_len;
    const uint8_t *block;
    uint32_t block_len;
} msg_proposal;

/* A block with its commit certificate, borrowed from the input. */
typedef struct {
    uint64_t height;
    const uint8_t *block;
    uint32_t block_len;
    const uint8_t *commit;
    uint32_t commit_len;
} msg_block;

/* TXS: the transactions a node relays to a peer in one loop turn, bundled
 * by the driver (net_send_bundled) so they cost that link one message, not
 * one each. Each is judged as a TX of its own; borrowed from the input. */
#define MSG_TXS_MAX 1024
/* A TXS is at most this long (what a bundle holds): a peer's one message
 * costs at most ~400 minimal transactions' checks, however many follow a
 * bad one before the link is seen closed. */
#define MSG_TXS_BYTES_MAX (64u * 1024)
typedef struct {
    uint32_t n;
    const uint8_t *tx[MSG_TXS_MAX];
    uint32_t len[MSG_TXS_MAX];
} msg_txs;

void msg_txs_encode(hbuf *b, const msg_txs *m);
/* Errors: HANSA_ERR_TOO_LONG past MSG_TXS_MAX txs, MSG_TXS_BYTES_MAX bytes
 * or a tx longer than WIRE_TX_BYTES_MAX, HANSA_ERR_INVALID for an empty one or none at all,
 * HANSA_ERR_TRUNCATED. The txs themselves are not decoded here. */
hansa_err msg_txs_decode(const uint8_t *p, size_t len, msg_txs *m, wire_rd *r);

void msg_status_encode(hbuf *b, const msg_status *s);
hansa_err msg_status_decode(const uint8_t *p, size_t len, msg_status *s, wire_rd *r);

void msg_proposal_encode(hbuf *b, const msg_proposal *m);
hansa_err msg_proposal_decode(const uint8_t *p, size_t len, msg_proposal *m, wire_rd *r);

void msg_block_req_encode(hbuf *b, uint64_t height);
hansa_err msg_block_req_decode(const uint8_t *p, size_t len, uint64_t *height, wire_rd *r);

void msg_block_encode(hbuf *b, const msg_block *m);
hansa_err msg_block_decode(const uint8_t *p, size_t len, msg_block *m, wire_rd *r);

/* DKG_SHARE_REQ: version || epoch u64 || recipient u16 (1..FROST_PARTICIPANTS_MAX,
 * checked by the duty). Unauthenticated on purpose: a share is sealed to
 * its recipient, so re-sending it to anyone who asks shows nothing; the
 * dealer bounds how often it answers. */
typedef struct {
    uint64_t epoch;
    uint16_t recipient;
} msg_dkg_share_req;
void msg_dkg_share_req_encode(hbuf *b, const msg_dkg_share_req *m);
hansa_err msg_dkg_share_req_decode(const uint8_t *p, size_t len, msg_dkg_share_req *m, wire_rd *r);

#endif
