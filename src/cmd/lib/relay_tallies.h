/* relay_tallies.h — the cross-chain tally part of hansad's relay driver
 * (relay_driver.h; docs/credit.md "Cross-chain tallies"). A tally whose
 * halves live on two chains converges only if each half tells the other
 * what it has to say (ledger_xtally_outbox: the foil's order, the stock's
 * tail, acknowledgements, refusals). The delegates do that as a duty, so a
 * wallet user never has to: each new height, the delegate on duty for a
 * tally (node_relay_packet_duty on the tally id: one delegate per tally per
 * slot, the turn passing on like the packets') sends each message of its
 * half's outbox as a tally packet from its own key; the transfers' relaying
 * carries it from there. Every message is checked true of this chain's
 * half when its send commits, so what the duty reads from the other chain
 * (how far the foil's copy saw the stock acknowledge) is only a hint: a
 * lying seed costs a repeated or a missing acknowledgement, which the next
 * round corrects, never a wrong chain. A message sent is not sent again
 * for RELAY_PACKET_RETRY_BLOCKS (the round trip to the other chain and
 * back takes a few blocks). Three steps like the rest of the driver. */
#ifndef HANSA_CMD_RELAY_TALLIES_H
#define HANSA_CMD_RELAY_TALLIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"
#include "credit/tally.h"
#include "node/node.h"
#include "node/route.h"

#define RELAY_TALLIES_MAX 32 /* tallies served in one round; the rest the next */

typedef struct {
    credit_id id;
    uint32_t other;      /* the chain of the other half */
    bool ask;            /* stock: ask the other chain how far it saw us acknowledge */
    route_entry route;   /* where to ask */
    bool answered;       /* worker: a seed answered */
    uint64_t peer_ack;   /* worker: the foil's copy's acknowledged position */
} relay_tally;

typedef struct {
    relay_tally *t;      /* owned */
    size_t n;
    uint64_t height;     /* the height the list was made at */
} relay_tl;

/* Loop thread: the cross-chain tallies held here that this node is on duty
 * for and whose half may have something to say, once per new height
 * (*last_height remembers it). acked: tally id -> the stock position the
 * other chain was last seen to hold, so that a stock half is asked about
 * only when it grew. False when there is nothing to do. */
bool rt_prepare(relay_tl *l, node *n, const route_table *routes, const hmap *acked, uint64_t *last_height);
/* Worker thread: asks the other chains (no ledger access). */
void rt_work(relay_tl *l);
/* Loop thread: sends the outboxes as tally packets; counts them in *sent. */
void rt_finish(relay_tl *l, node *n, hmap *backoff, hmap *acked, uint64_t *sent);
void rt_free(relay_tl *l);

#endif
