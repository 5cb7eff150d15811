/* relay_packets.h — the packet half of hansad's relay driver
 * (relay_driver.h, node/relay.h): for RELAY_PACKETS, fetch the packets a
 * foreign chain holds pending for this chain and submit their recv; for
 * RELAY_ACKS, fetch the foreign chain's proofs of recv for this chain's
 * pending packets and submit the acks. When a proof needs a header this
 * chain's client does not hold, an update to exactly that height goes
 * first (up to RELAY_UPDATES_MAX heights a round, all proven from the
 * client's highest stored height below the lowest). Three steps, like the rest of the driver: prepare on the loop
 * thread (a snapshot of what the ledger knows), fetch on a worker thread
 * (blocking HTTP, no ledger access), finish on the loop thread (the duty,
 * the back-off, signing and admitting). */
#ifndef HANSA_CMD_RELAY_PACKETS_H
#define HANSA_CMD_RELAY_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/hmap.h"
#include "interchain/client.h"
#include "interchain/packet.h"
#include "node/relay.h"
#include "node/route.h"

#define RELAY_PACKET_RETRY_BLOCKS 15 /* a submitted recv/ack not committed by then is sent again */
#define RELAY_BACKOFF_MAX 8192      /* packets remembered for the retry delay */
#define RELAY_PACKETS_MAX 1024      /* packets asked for in one call (rpc/xfer_api.h's batch) */
/* Client updates one round may submit: every source block with packets
 * needs its own header (the proof is against that block's tx root). Below
 * IC_HISTORY_MAX, so that a block's updates are not pruned by each other. */
#define RELAY_UPDATES_MAX 8

typedef struct {
    hansa_hash hash;     /* the packet */
    pkt_proof proof;     /* tx owned (malloc'd) */
} relay_item;

typedef struct {
    uint32_t own_chain;
    uint32_t mod, rem;                 /* the share of packets this node is on duty for */
    ic_client client;                  /* this chain's client of the job's chain */
    ic_consensus states[IC_HISTORY_MAX]; /* its stored states, as client.heights */
    hansa_hash *asked;                 /* RELAY_ACKS: packets whose recv is wanted */
    size_t n_asked;
    relay_item *items;                 /* fetched */
    size_t n_items;
    size_t n_updates;                  /* built */
    hbuf body[RELAY_UPDATES_MAX];      /* the updates, lowest height first */
    uint64_t update_height[RELAY_UPDATES_MAX];
    bool update_failed;                /* an update could not be built (why says) */
    bool fetched;                      /* some seed answered */
    char why[256];
} relay_pk;

/* Loop thread: snapshots the client; for acks, the pending packets this
 * node is on duty for and not waiting on. False when there is nothing to
 * fetch (*p is then freed). */
bool rp_prepare(relay_pk *p, node *n, const relay_job *job, const hmap *backoff);
/* Worker thread: fetches from the route's seeds and builds the update. */
void rp_work(relay_pk *p, const relay_job *job, const route_entry *route);
/* Loop thread: submits what is due; counts the recvs it submitted into
 * submitted[0], the acks into submitted[1]. */
void rp_finish(relay_pk *p, node *n, const relay_job *job, hmap *backoff, uint64_t submitted[2]);
void rp_free(relay_pk *p);

#endif
