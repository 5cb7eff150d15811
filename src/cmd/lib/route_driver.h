/* route_driver.h — hansad's carrier of route discovery messages between
 * chains (docs/credit.md "Route discovery"): every ROUTE_DRIVER_PERIOD_MS it
 * takes the messages the node's discovery machine sends (rpc/route_api.h)
 * and, on a libuv worker thread, posts each to route_msg at the seeds the
 * routing table (routes.json, re-read each round) lists for its chain: a
 * query to the first seed that takes it (one copy: a duplicate would be
 * answered at once with what was found so far), an answer to every seed (only the node that
 * asked knows the search; the others drop it). Next to relay_driver.h,
 * over the same links. One round at a time; undeliverable messages are
 * counted in the log, and the searches they belong to time out. */
#ifndef HANSA_CMD_ROUTE_DRIVER_H
#define HANSA_CMD_ROUTE_DRIVER_H

#include <uv.h>

#include "rpc/route_api.h"

#define ROUTE_DRIVER_PERIOD_MS 200

typedef struct route_driver route_driver;

/* Starts the timer on loop; api and routes_path are borrowed (api until
 * route_driver_stop). chain: this node's chain. */
route_driver *route_driver_new(uv_loop_t *loop, rpc_route_api *api, uint32_t chain, const char *routes_path);
/* Stops the timer; a round still running ends on its own and is then freed
 * without touching api. */
void route_driver_stop(route_driver *r);

#endif
