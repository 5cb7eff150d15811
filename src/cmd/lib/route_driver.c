/* route_driver.c — see route_driver.h. */
#include "cmd/lib/route_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/lib/rpc_client.h"
#include "credit/discovery.h"
#include "crypto/address.h"
#include "node/route.h"

#define ROUTE_DRIVER_BATCH 64
#define ROUTE_SEND_TIMEOUT_MS 2000
#define ROUTE_PATH_MAX 4200 /* as hansad's routes_path */

typedef struct route_driver route_driver;

typedef struct {
    uv_work_t req;
    route_driver *r;
    char routes_path[ROUTE_PATH_MAX];
    char chain[CHAIN_ID_TEXT_MAX];
    rpc_route_msg m[ROUTE_DRIVER_BATCH];
    size_t n;
    size_t sent, unrouted, failed; /* results */
} route_round;

struct route_driver {
    uv_timer_t timer;
    rpc_route_api *api;
    uint32_t chain;
    const char *routes_path;
    uint64_t cursor;
    bool busy, stopping, timer_closed;
};

static void maybe_free(route_driver *r) {
    if (r->stopping && r->timer_closed && !r->busy) free(r);
}

/* Posts one message to a seed; true when the node took it. */
static bool post(const char *seed, const char *chain, const char *hexmsg) {
    rpcc_error err = {0};
    json_t *res = rpcc_call(seed, "route_msg", json_pack("{s:s, s:s}", "from_chain", chain, "msg", hexmsg),
                            ROUTE_SEND_TIMEOUT_MS, &err);
    json_decref(err.data);
    json_decref(res);
    return res != NULL;
}

static void work(uv_work_t *req) {
    route_round *rd = req->data;
    route_table t;
    char why[CONFIG_WHY_MAX];
    if (route_table_load(rd->routes_path, &t, why) != HANSA_OK) {
        rd->failed = rd->n;
        return;
    }
    for (size_t i = 0; i < rd->n; i++) {
        const route_entry *e = route_find(&t, rd->m[i].to_chain);
        if (e == NULL) {
            rd->unrouted++;
            continue;
        }
        char hexmsg[2 * DISC_MSG_BYTES + 1];
        hex_encode(rd->m[i].msg, rd->m[i].len, hexmsg);
        bool query = rd->m[i].msg[1] == DISC_QUERY, sent = false;
        for (size_t s = 0; s < e->n_seeds && !(query && sent); s++)
            if (post(e->seeds[s], rd->chain, hexmsg)) sent = true;
        if (sent) rd->sent++;
        else rd->failed++;
    }
    route_table_free(&t);
}

static void after_work(uv_work_t *req, int status) {
    (void)status;
    route_round *rd = req->data;
    route_driver *r = rd->r;
    if (rd->unrouted || rd->failed)
        LOG_W("route", "route discovery: %zu messages carried, %zu to chains without a route, %zu undelivered",
              rd->sent, rd->unrouted, rd->failed);
    free(rd);
    r->busy = false;
    maybe_free(r);
}

static void on_tick(uv_timer_t *t) {
    route_driver *r = t->data;
    if (r->busy || r->stopping) return;
    route_round *rd = hansa_calloc(1, sizeof *rd);
    rd->n = rpc_route_api_take(r->api, &r->cursor, rd->m, ROUTE_DRIVER_BATCH);
    if (rd->n == 0) {
        free(rd);
        return;
    }
    rd->r = r;
    rd->req.data = rd;
    snprintf(rd->routes_path, sizeof rd->routes_path, "%s", r->routes_path);
    chain_id_format(r->chain, rd->chain);
    r->busy = true;
    uv_queue_work(t->loop, &rd->req, work, after_work);
}

static void on_closed(uv_handle_t *h) {
    route_driver *r = h->data;
    r->timer_closed = true;
    maybe_free(r);
}

route_driver *route_driver_new(uv_loop_t *loop, rpc_route_api *api, uint32_t chain, const char *routes_path) {
    route_driver *r = hansa_calloc(1, sizeof *r);
    r->api = api;
    r->chain = chain;
    r->routes_path = routes_path;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_tick, ROUTE_DRIVER_PERIOD_MS, ROUTE_DRIVER_PERIOD_MS);
    return r;
}

void route_driver_stop(route_driver *r) {
    if (r == NULL || r->stopping) return;
    r->stopping = true;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, on_closed);
}
