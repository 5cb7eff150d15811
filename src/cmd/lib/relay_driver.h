/* relay_driver.h — hansad's driver of the node's relay duty (node/relay.h):
 * every RELAY_DRIVER_PERIOD_MS it asks the node which foreign chains it
 * should carry now, reads the routing table (routes.json in the node's
 * home, re-read each time so `hansa route add` takes effect at once),
 * fetches from the listed seeds on libuv's worker threads (blocking HTTP
 * must not stall consensus), and hands the results back to the node on the
 * loop thread: update bodies to sign and submit, evidence delivered.
 * One round of fetching at a time; a chain without a route is logged once. */
#ifndef HANSA_CMD_RELAY_DRIVER_H
#define HANSA_CMD_RELAY_DRIVER_H

#include <uv.h>

#include "node/node.h"

#define RELAY_DRIVER_PERIOD_MS 1000

typedef struct relay_driver relay_driver;

/* Starts the timer on loop; n and routes_path are borrowed. */
relay_driver *relay_driver_new(uv_loop_t *loop, node *n, const char *routes_path);
/* Stops the timer and closes it. A round of fetching still running ends on
 * its own and is then freed (without touching the node). */
void relay_driver_stop(relay_driver *r);

#endif
