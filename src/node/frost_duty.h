/* frost_duty.h — a delegate's part in its validator set's key generation:
 * dealing over the links and the chain, persisted so a restart deals the
 * same polynomial (frost_duty.c; docs/frost.md). Called by node.c and
 * chain.c; does nothing unless node_config.frost_dkg is set on a delegate. */
#ifndef HANSA_NODE_FROST_DUTY_H
#define HANSA_NODE_FROST_DUTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/frost.h"
#include "ledger/tx_frost.h"
#include "node/node.h"
#include "wire/types.h"

typedef struct node_frost node_frost;

hansa_err frost_duty_open(node *n, char *why, size_t why_len);
void frost_duty_close(node *n);
/* After block n->height (blk) is committed: feeds the session, starts one
 * for a new set, re-sends what has not landed yet. */
void frost_duty_on_commit(node *n, const wire_block *blk);
/* What the duty is doing, for the group_key RPC: the epoch of its latest
 * session (this run's, or the stored record's after a restart), my
 * participant id in it (0 if only the record is known), whether it is
 * still dealing, and whether it left me a signing share (stored). */
typedef struct {
    uint64_t epoch;
    uint16_t participant;
    bool dealing;
    bool has_share;
} node_frost_state;
/* false (and zeros) when the duty is off. */
bool node_frost_status(const node *n, node_frost_state *out);

/* The signing share my latest session left me (the record's latest entry): its
 * epoch, my participant id, the group (with verification shares) and the
 * share. false when the duty is off or holds none. */
bool frost_duty_signing_share(const node *n, uint64_t *epoch, uint16_t *me, frost_group *group,
                              frost_scalar *share);

/* The same for epoch: the latest entry's or, until the handoff from its
 * key is stored, the previous one's (a member restarted while the new set
 * generates its key still signs with the old one, and signs the handoff). */
bool frost_duty_share_of(const node *n, uint64_t epoch, uint16_t *me, frost_group *group,
                         frost_scalar *share);
/* The handoff from the key of old_epoch is stored: the record drops the
 * previous epoch's entry if it is that old. */
void frost_duty_handoff_stored(node *n, uint64_t old_epoch);

/* For the share repair (frost_repair.c): my latest session, or the
 * previous one while my record keeps it, ended without my share (the
 * record keeps its group, DKG_REC_GROUP): its epoch and group (the
 * latest's first). false otherwise. */
bool frost_duty_lacks_share(const node *n, uint64_t *epoch, frost_group *group);
/* The epochs whose share my record holds (the latest, the previous one
 * until its handoff): how many, at most 2. */
size_t frost_duty_share_epochs(const node *n, uint64_t epochs[2]);
/* A repaired share of epoch (checked against its verification share by
 * the caller) stored durably as my signing share before anything uses it;
 * false (logged) if the record moved on or the store failed. */
bool frost_duty_share_repaired(node *n, uint64_t epoch, const frost_scalar *share);
/* The key generation of the set activated at epoch (the current set's, or
 * the stored set that decided block epoch); false if neither is at hand. */
bool frost_duty_epoch_at(node *n, uint64_t epoch, frost_epoch *e);
/* Whether the record's latest entry holds a share that is not my
 * verification share in its group (the simulator's check that a repaired
 * share was verified before it was stored); false without a share. */
bool frost_duty_share_mismatch(const node *n, uint64_t *epoch);
/* The share repair's state, kept with the duty's (NULL until it makes one). */
struct frost_repair **frost_duty_repair_slot(node *n);

/* A MSG_DKG_SHARE from peer (its payload is one dkg SHARE message). */
void frost_duty_on_message(node *n, void *peer, const uint8_t *bytes, size_t len);
/* A MSG_DKG_SHARE_REQ from peer: a member asks for its shares again (it
 * came back after the share window); I send mine if I dealt in that epoch,
 * at most once per block and recipient. */
void frost_duty_on_share_req(node *n, void *peer, const uint8_t *bytes, size_t len);

#endif
