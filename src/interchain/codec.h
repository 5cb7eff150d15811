/* codec.h — the byte forms of the light client: transaction bodies and
 * ledger record values. Tables in docs/wire.md ("Light clients") and
 * docs/interchain.md ("Records").
 *
 * Same conventions as wire/codec.h: little-endian fixed-width integers,
 * u32-length-prefixed nested objects (each a complete wire object with its
 * version byte), a decoder that accepts exactly what its encoder produces
 * and says where it failed through the wire_rd cursor. Record values start
 * with IC_RECORD_VERSION; tx bodies carry none (the transaction's version
 * covers them), except that an update names its certificate kind.
 *
 * Transaction bodies:
 *   create      chain_id u32 | trusting_period_ms u64 | max_clock_drift_ms u64
 *               | root: height u64 | time_ms u64 | header_hash 32 | app_hash 32
 *               | tx_root 32 | validators_hash 32 | next_validators_hash 32
 *               | [key_epoch u64 | group_key 32: the chain's FROST group key
 *                  the root trusts, current as of root.time_ms]
 *               (exactly IC_CREATE_BYTES, or IC_CREATE_KEY_BYTES with a key)
 *   approve     chain_id u32 | subject 32                (IC_APPROVE_BYTES)
 *   update      trusted_height u64 | header (u32 len, wire header)
 *               | cert_kind u8, then for 1 (commit certificate):
 *                 commit (u32 len, wire commit)
 *                 | vals (u32 len, wire valset) | has_trusted u8 (0/1)
 *                 | [trusted_vals (u32 len, wire valset)]
 *                 | [key_proof = 1 u8 | epoch u64
 *                    | record (u32 len, record 59 value, threshold/group_rec.h)
 *                    | prev_app_hash 32 | writes_hash 32 | state_root 32
 *                    | leaf_index u64 | n_leaves u64
 *                    | path_len u8 (0..MERKLE_PROOF_MAX) | path_len x 32]
 *                 (no byte at all when there is no key proof: an update
 *                  without one reads as it always did)
 *               and for 2 (FROST checkpoint):
 *                 checkpoint (CHECKPOINT_BYTES, wire/checkpoint.h)
 *                 | n_handoffs u8 (0..IC_FROST_HANDOFFS_MAX)
 *                 | n_handoffs x handoff (HANDOFF_BYTES each)
 *   misbehaviour  a (u32 len, update) | b (u32 len, update)
 *   revive      update
 * Record values: see the encoders below. */
#ifndef HANSA_INTERCHAIN_CODEC_H
#define HANSA_INTERCHAIN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "interchain/client.h"
#include "wire/codec.h"

#define IC_RECORD_VERSION 1
/* The version of a consensus or revival record whose state names a group
 * key (the key fields follow); a keyless state keeps version 1, so records
 * written before keys existed read the same. */
#define IC_RECORD_VERSION_KEY 2
#define IC_CONSENSUS_FIELDS_BYTES (8 + 8 + 5 * HANSA_HASH_BYTES) /* height .. next_validators_hash */
#define IC_KEY_FIELDS_BYTES (8 + FROST_POINT_BYTES + 8) /* key_epoch, group_key, key_time_ms */
#define IC_CREATE_BYTES (4 + 8 + 8 + IC_CONSENSUS_FIELDS_BYTES)
/* A create whose root names a group key (key_epoch, group_key; its time is the root's). */
#define IC_CREATE_KEY_BYTES (IC_CREATE_BYTES + 8 + FROST_POINT_BYTES)
#define IC_APPROVE_BYTES (4 + HANSA_HASH_BYTES)
/* A commit update's key proof at its longest path (2,267 bytes). */
#define IC_KEY_PROOF_BYTES_MAX                                                             \
    (1 + 8 + 4 + FROST_GROUP_REC_BYTES + 3 * HANSA_HASH_BYTES + 8 + 8 + 1 +               \
     MERKLE_PROOF_MAX * HANSA_HASH_BYTES)
/* An update at the largest validator sets; a misbehaviour holds two. */
#define IC_UPDATE_BYTES_MAX                                                                \
    (8 + 4 + WIRE_HEADER_BYTES + 1 + 4 + WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX) + 1 +      \
     2 * (4 + WIRE_VALSET_BYTES(WIRE_VALIDATORS_MAX)) + IC_KEY_PROOF_BYTES_MAX)
#define IC_MISBEHAVIOUR_BYTES_MAX (2 * (4 + IC_UPDATE_BYTES_MAX))
/* A FROST update with the most handoffs (2824 bytes). */
#define IC_UPDATE_FROST_BYTES_MAX                                                          \
    (8 + 4 + WIRE_HEADER_BYTES + 1 + CHECKPOINT_BYTES + 1 + IC_FROST_HANDOFFS_MAX * HANDOFF_BYTES)

/* Record values. */
#define IC_CONSENSUS_RECORD_BYTES (1 + 8 + 5 * HANSA_HASH_BYTES + 8 + 8)
#define IC_CONSENSUS_KEY_RECORD_BYTES (IC_CONSENSUS_RECORD_BYTES + IC_KEY_FIELDS_BYTES)
#define IC_REVIVAL_RECORD_BYTES (1 + 8 + IC_CONSENSUS_FIELDS_BYTES)
#define IC_REVIVAL_KEY_RECORD_BYTES (IC_REVIVAL_RECORD_BYTES + IC_KEY_FIELDS_BYTES)

/* A pending revival: the state to install once approved. */
typedef struct {
    uint64_t proposed_at;   /* local height */
    ic_consensus cs;        /* local_* unused (zero) */
} ic_revival;

/* Evidence a frozen client keeps for its chain's relayers to carry home. */
typedef struct {
    uint64_t height;        /* foreign height of the misbehaviour */
    uint16_t n;             /* 1..WIRE_VALIDATORS_MAX */
    wire_evidence ev[WIRE_VALIDATORS_MAX]; /* strictly increasing offender keys */
} ic_evidence_list;

/* ---- tx bodies ---- */
void ic_create_encode(hbuf *b, const ic_create *c);
hansa_err ic_create_decode(const uint8_t *p, size_t len, ic_create *out, wire_rd *r);
/* SHA-256 of the create encoding: the subject approvals vote for. */
void ic_create_hash(const ic_create *c, hansa_hash *out);

void ic_approve_encode(hbuf *b, uint32_t chain_id, const hansa_hash *subject);
hansa_err ic_approve_decode(const uint8_t *p, size_t len, uint32_t *chain_id, hansa_hash *subject,
                            wire_rd *r);

void ic_update_encode(hbuf *b, const ic_update *u);
/* *out owns its arrays on success (ic_update_free); freed on failure. */
hansa_err ic_update_decode(const uint8_t *p, size_t len, ic_update *out, wire_rd *r);

/* A key proof alone, tag byte included: the bytes a commit update carries
 * after its commit parts, and what the key_proof RPC serves. */
void ic_key_proof_encode(hbuf *b, const ic_key_proof *k);
/* *out zeroed on error. */
hansa_err ic_key_proof_decode(const uint8_t *p, size_t len, ic_key_proof *out, wire_rd *r);

void ic_misbehaviour_encode(hbuf *out, const ic_update *a, const ic_update *b);
hansa_err ic_misbehaviour_decode(const uint8_t *p, size_t len, ic_update *a, ic_update *b,
                                 wire_rd *r);

/* ---- record values ----
 *   client     version | trusting_period_ms u64 | max_clock_drift_ms u64
 *              | status u8 (1..3) | freeze_reason u8 | frozen_height u64
 *              | since u64 | root_hash 32 | n u16 (1..IC_HISTORY_MAX)
 *              | n x height u64 (strictly increasing)
 *              (frozen <=> reason != 0 <=> frozen_height != 0)
 *   consensus  version (1, or 2 with the key) | time_ms u64 | header_hash 32
 *              | app_hash 32 | tx_root 32 | validators_hash 32
 *              | next_validators_hash 32 | local_height u64 | local_time_ms u64
 *              | [version 2: key_epoch u64 | group_key 32 | key_time_ms u64]
 *   evidence   version | height u64 | n u16 (1..WIRE_VALIDATORS_MAX)
 *              | n x wire evidence (fixed size), offenders strictly increasing
 *   revival    version (1, or 2 with the key) | proposed_at u64 | the
 *              consensus fields of create's root | [version 2: key_epoch u64
 *              | group_key 32 | key_time_ms u64]
 * The chain id (and the consensus height) are in the record's key, not its
 * value: decoders take them as arguments. */
void ic_client_encode(hbuf *b, const ic_client *c);
hansa_err ic_client_decode(const uint8_t *p, size_t len, uint32_t chain_id, ic_client *out,
                           wire_rd *r);
void ic_consensus_encode(hbuf *b, const ic_consensus *cs);
hansa_err ic_consensus_decode(const uint8_t *p, size_t len, uint64_t height, ic_consensus *out,
                              wire_rd *r);
void ic_evidence_list_encode(hbuf *b, const ic_evidence_list *l);
hansa_err ic_evidence_list_decode(const uint8_t *p, size_t len, ic_evidence_list *out, wire_rd *r);
void ic_revival_encode(hbuf *b, const ic_revival *rv);
hansa_err ic_revival_decode(const uint8_t *p, size_t len, ic_revival *out, wire_rd *r);

#endif
