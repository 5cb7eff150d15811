/* relay.h — the node's duty of carrying foreign chains' headers to this
 * chain (DESIGN.md section 7: relaying is a duty of the nodes, not a paid
 * outside process). Sans-I/O: the node decides what is due and signs what
 * is brought to it; the driver (hansad) does the fetching from the foreign
 * chain's RPC seeds listed in the routing table (node/route.h).
 *
 * Who relays what, deterministically, so that the delegates do not all
 * submit the same update:
 *   - header updates of foreign chain C: in the slot of heights
 *     [k * RELAY_SLOT_BLOCKS, (k+1) * RELAY_SLOT_BLOCKS), only the delegate
 *     at index (k + C) mod n of the current set relays C. The turn moves
 *     every slot, so a delegate that is down costs one slot, not the duty.
 *     A client updated less than a slot ago is left alone. A client that
 *     is pending, frozen or expired gets no updates (it waits for approval,
 *     revival or nothing).
 *   - evidence held by a frozen client of C: every delegate carries it to
 *     C's nodes (rpc submit_evidence). C ignores repeats, and evidence must
 *     reach C before C's evidence_age_max passes, so it is not rationed.
 * A delegate keeps at most one of its relay transactions per chain in the
 * mempool: while one waits, its chain is not offered again.
 *   - packets (ledger/xfer.h), pulled by the chain that acts on them: this
 *     chain's delegates fetch the packets foreign chain C holds pending for
 *     this chain (RELAY_PACKETS) and submit their recv; they fetch, for the
 *     packets this chain holds pending for C, the proofs of C's recv
 *     (RELAY_ACKS) and submit the ack. Every delegate fetches; packet p is
 *     submitted only by the delegate at index (first 4 bytes of p's hash,
 *     little-endian, + (height+1) / RELAY_PACKET_SLOT_BLOCKS) mod n, so the
 *     duty passes to the next delegate every slot while p is not done. When
 *     a proof needs a header the client does not hold, the relayer first
 *     submits an update to exactly that height.
 *     The outbox is the ledger: pending packets and received packets are
 *     committed records, so a relayer killed at any point loses nothing. */
#ifndef HANSA_NODE_RELAY_H
#define HANSA_NODE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "interchain/client.h"
#include "node/node.h"

#define RELAY_SLOT_BLOCKS 3
#define RELAY_JOBS_MAX 32
#define RELAY_PACKET_SLOT_BLOCKS 30

typedef enum { RELAY_UPDATE = 1, RELAY_EVIDENCE = 2, RELAY_PACKETS = 3, RELAY_ACKS = 4 } relay_kind;

typedef struct {
    relay_kind kind;
    uint32_t chain;          /* the foreign chain */
    ic_params params;        /* its client's parameters */
    ic_consensus trusted;    /* UPDATE: the client's latest state, to prove from */
    uint64_t now_ms;         /* UPDATE: this chain's BFT time: its last block's */
} relay_job;

/* The jobs due now, at most max, in chain order. A node without a key, or
 * not in the current set, has none. Packet jobs come for every active,
 * unexpired client (acks only while this chain has packets pending for it). */
size_t node_relay_jobs(node *n, relay_job *out, size_t max);

/* Wraps an encoded update (ic_update, built by the driver from what the
 * seeds served) as a TX_CLIENT_UPDATE from this node's key, at min_fee and
 * the next nonce, and admits it like node_submit_tx. HANSA_ERR_STATE for a
 * node without a key; else node_submit_tx's result, why saying why. */
hansa_err node_relay_update(node *n, uint32_t chain, const uint8_t *body, size_t len, hansa_hash *tx,
                            char *why, size_t why_len);

/* True when this node is the delegate on duty for packet now. */
bool node_relay_packet_duty(node *n, const hansa_hash *packet);
/* The share of packets this node is on duty for now: those whose hash's
 * first 4 bytes are *rem modulo *mod. False for a node not in the set. */
bool node_relay_packet_share(node *n, uint32_t *mod, uint32_t *rem);

/* Wraps a packet recv or ack body (or a send carrying a tally message of
 * this chain's half: cmd/lib/relay_tallies.h) as a transaction of that
 * kind from this node's key (like node_relay_update) and admits it. */
hansa_err node_relay_packet(node *n, uint16_t kind, const uint8_t *body, size_t len, hansa_hash *tx,
                            char *why, size_t why_len);

#endif
