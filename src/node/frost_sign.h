/* frost_sign.h — a delegate's checkpoint signing duty (issue 14 phase 3):
 * after each committed block (every node_config.frost_checkpoint_every), the
 * group signs the block's checkpoint (threshold/checkpoint.h) with ROAST
 * over the links (MSG_ROAST), and every delegate stores the signature it
 * receives (MSG_CHECKPOINT) once it has checked it against the group key.
 * Runs alongside the key generation duty (frost_duty.h): only on delegates
 * with frost_dkg set, only with a signing share for the current epoch's
 * recorded key. docs/frost.md says how. */
#ifndef HANSA_NODE_FROST_SIGN_H
#define HANSA_NODE_FROST_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"
#include "wire/types.h"

void frost_sign_close(node *n);
/* After block n->height (blk) is committed (after frost_duty_on_commit). */
void frost_sign_on_commit(node *n, const wire_block *blk);
/* MSG_ROAST, MSG_CHECKPOINT and MSG_HANDOFF from peer. */
void frost_sign_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len);
/* peer's link is gone: forget it as any member's. */
void frost_sign_peer_down(node *n, void *peer);
/* The link the member with delegate key pk signs on, as its ROAST
 * envelopes came (NULL: none seen, or not signing). */
void *frost_sign_peer_of(const node *n, const hansa_pubkey *pk);

/* What the duty is doing (checkpoint RPC): the latest height it took part
 * in and the latest height whose checkpoint it stored; zeros when off. */
typedef struct {
    bool signing;            /* holds a signer for the current key */
    uint16_t participant;
    uint64_t last_round;
    uint64_t last_stored;
    uint64_t sessions;       /* ROAST sessions this node coordinated */
} node_fsign_state;
void node_fsign_status(const node *n, node_fsign_state *out);

#endif
