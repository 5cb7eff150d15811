/* frost_repair.h — a delegate's part in share repairs (threshold/repair.h)
 * over peer messages 21 (REQUEST), 22 (DELTA) and 23 (SIGMA).
 *
 * A member whose key generation ended without its signing share (the
 * DKG record keeps the group: DKG_REC_GROUP) asks t other members of the
 * key's set to rebuild it, a new helper set every REPAIR_RETRY_BLOCKS
 * until it holds the share; it checks the result against its verification
 * share (refusing a bad repair and naming the helper set in the log) and
 * stores it durably as its signing share before anything uses it. Every
 * member holding a share of the key (the latest or the previous one) helps
 * when named, for rounds near its height and one per REPAIR_RETRY_BLOCKS
 * per target (repair_round_admit). The REQUEST goes to every peer, DELTAs
 * and SIGMAs to their recipient's link when known, else to every peer:
 * they are sealed to their recipient and signed by their sender. */
#ifndef HANSA_NODE_FROST_REPAIR_H
#define HANSA_NODE_FROST_REPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "node/node.h"

struct frost_repair;

/* After each commit: asks (again) for my share if I lack it. */
void frost_repair_on_commit(node *n);
/* A MSG_REPAIR_REQ, MSG_REPAIR_DELTA or MSG_REPAIR_SIGMA from peer; a
 * payload that does not decode as that kind drops the peer. */
void frost_repair_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len);
/* Wipes and frees (NULL is fine). */
void frost_repair_free(struct frost_repair *r);

#endif
