/* relay_driver.c — see relay_driver.h. */
#include "cmd/lib/relay_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/lib/lightfetch.h"
#include "cmd/lib/relay_packets.h"
#include "cmd/lib/relay_tallies.h"
#include "cmd/lib/rpc_client.h"
#include "ledger/client.h"
#include "node/relay.h"
#include "node/route.h"
#include "wire/codec.h"

#define DELIVERED_MAX 4096 /* evidence hashes remembered as delivered */

/* One job with what the worker needs and what it found. */
typedef struct {
    relay_job job;
    route_entry route;
    uint16_t n_ev;
    wire_evidence *ev;       /* RELAY_EVIDENCE: not yet delivered (owned) */
    /* results */
    int built;               /* lf_build_update's result */
    hbuf body;
    uint64_t height;
    bool *delivered;         /* per evidence item */
    relay_pk pk;             /* RELAY_PACKETS, RELAY_ACKS */
    char why[256];
} relay_task;

typedef struct {
    uv_work_t req;
    relay_driver *r;
    relay_task tasks[RELAY_JOBS_MAX];
    size_t n;
    relay_tl tallies;        /* cross-chain tallies with something to say */
} relay_round;

struct relay_driver {
    uv_timer_t timer;
    node *n;
    const char *routes_path;
    bool busy, stopping, timer_closed;
    hmap delivered;          /* evidence hash -> 1 */
    uint32_t unrouted[RELAY_JOBS_MAX]; /* chains already logged as having no route */
    size_t n_unrouted;
    hmap backoff;            /* packet hash -> height before which it is not sent again */
    uint64_t submitted[2];   /* recvs, acks submitted: logged at stop (hansa bench counts redundancy) */
    hmap tally_acked;        /* tally id -> stock position the other chain was seen to confirm */
    uint64_t tally_height;   /* the height the tallies were last scanned at */
    uint64_t tally_sent;     /* tally messages sent */
    struct {
        uint32_t chain;
        uint32_t fails;      /* packet fetches from it that failed in a row */
        uint64_t until_ms;   /* not asked again before (uv_now) */
    } down[RELAY_JOBS_MAX];  /* back-off per chain whose seeds do not answer */
    size_t n_down;
};

static void driver_maybe_free(relay_driver *r) {
    if (!r->stopping || r->busy || !r->timer_closed) return;
    hmap_free(&r->delivered);
    hmap_free(&r->backoff);
    hmap_free(&r->tally_acked);
    free(r);
}

/* ---- the worker thread ---- */

static void do_update(relay_task *t) {
    for (size_t s = 0; s < t->route.n_seeds; s++) {
        hbuf_reset(&t->body);
        t->built = lf_build_update(t->route.seeds[s], &t->job.params, &t->job.trusted, 0, t->job.now_ms, false,
                                   &t->body, &t->height, t->why, sizeof t->why);
        if (t->built >= 0) return;
    }
}

static void do_evidence(relay_task *t) {
    for (uint16_t i = 0; i < t->n_ev; i++) {
        hbuf enc = HBUF_INIT;
        wire_evidence_encode(&enc, &t->ev[i]);
        char *hex = hansa_malloc(2 * enc.len + 1);
        for (size_t k = 0; k < enc.len; k++) snprintf(hex + 2 * k, 3, "%02x", enc.data[k]);
        for (size_t s = 0; s < t->route.n_seeds && !t->delivered[i]; s++) {
            rpcc_error err = {0};
            json_t *r = rpcc_call(t->route.seeds[s], "submit_evidence", json_pack("{s:s}", "evidence", hex),
                                  LF_TIMEOUT_MS, &err);
            /* Refused for good (already punished, offender gone) counts as
             * delivered too: sending it again changes nothing. */
            t->delivered[i] = r != NULL || err.code != 0;
            if (!t->delivered[i]) snprintf(t->why, sizeof t->why, "%s: %s", t->route.seeds[s], err.message);
            json_decref(r);
            json_decref(err.data);
        }
        free(hex);
        hbuf_free(&enc);
    }
}

static void work_cb(uv_work_t *req) {
    relay_round *rd = req->data;
    for (size_t i = 0; i < rd->n; i++) {
        relay_task *t = &rd->tasks[i];
        switch (t->job.kind) {
        case RELAY_UPDATE: do_update(t); break;
        case RELAY_EVIDENCE: do_evidence(t); break;
        case RELAY_PACKETS:
        case RELAY_ACKS: rp_work(&t->pk, &t->job, &t->route); break;
        }
    }
    rt_work(&rd->tallies);
}

/* ---- back on the loop ---- */

static void task_free(relay_task *t) {
    rp_free(&t->pk);
    hbuf_free(&t->body);
    free(t->ev);
    free(t->delivered);
}

/* The back-off entry of chain (made on first use); NULL when full. */
static typeof(((relay_driver *)0)->down[0]) *down_of(relay_driver *r, uint32_t chain) {
    for (size_t i = 0; i < r->n_down; i++)
        if (r->down[i].chain == chain) return &r->down[i];
    if (r->n_down == RELAY_JOBS_MAX) return NULL;
    r->down[r->n_down] = (typeof(r->down[0])){.chain = chain};
    return &r->down[r->n_down++];
}

/* Packet fetches back off while a chain's seeds do not answer: 1 s, 2 s,
 * ... up to 32 s between tries, back to every round once one answers. */
static void chain_answered(relay_driver *r, uint32_t chain, bool answered, uint64_t now_ms) {
    typeof(r->down[0]) *d = down_of(r, chain);
    if (d == NULL) return;
    if (answered) {
        d->fails = 0;
        d->until_ms = 0;
        return;
    }
    if (d->fails < 5) d->fails++;
    d->until_ms = now_ms + (RELAY_DRIVER_PERIOD_MS << d->fails);
}

static void after_cb(uv_work_t *req, int status) {
    relay_round *rd = req->data;
    relay_driver *r = rd->r;
    for (size_t i = 0; i < rd->n; i++) {
        relay_task *t = &rd->tasks[i];
        if (status == 0 && !r->stopping) {
            if (t->job.kind == RELAY_UPDATE && t->built > 0) {
                hansa_hash tx;
                char why[256] = "";
                if (node_relay_update(r->n, t->job.chain, t->body.data, t->body.len, &tx, why, sizeof why) !=
                    HANSA_OK)
                    LOG_W("relay", "update of chain %x to height %llu refused: %s", t->job.chain,
                          (unsigned long long)t->height, why);
            } else if (t->job.kind == RELAY_UPDATE && t->built < 0) {
                LOG_W("relay", "chain %x: %s", t->job.chain, t->why);
            }
            if (t->job.kind == RELAY_PACKETS || t->job.kind == RELAY_ACKS) {
                rp_finish(&t->pk, r->n, &t->job, &r->backoff, r->submitted);
                chain_answered(r, t->job.chain, t->pk.fetched, uv_now(req->loop));
            }
            for (uint16_t k = 0; t->job.kind == RELAY_EVIDENCE && k < t->n_ev; k++) {
                hansa_hash h;
                wire_evidence_hash(&t->ev[k], &h);
                if (t->delivered[k] && r->delivered.len < DELIVERED_MAX) {
                    hmap_put(&r->delivered, &h, 1);
                    LOG_I("relay", "carried evidence against a delegate of chain %x home", t->job.chain);
                } else if (!t->delivered[k]) {
                    LOG_W("relay", "evidence for chain %x not delivered yet: %s", t->job.chain, t->why);
                }
            }
        }
        task_free(t);
    }
    if (status == 0 && !r->stopping && rd->tallies.n > 0)
        rt_finish(&rd->tallies, r->n, &r->backoff, &r->tally_acked, &r->tally_sent);
    rt_free(&rd->tallies);
    free(rd);
    r->busy = false;
    driver_maybe_free(r);
}

/* Fills t's evidence with the items of job's chain not delivered yet;
 * false when there is none. */
static bool evidence_due(relay_driver *r, relay_task *t) {
    ic_evidence_list *l = hansa_malloc(sizeof *l);
    bool have = ledger_client_evidence(node_ledger(r->n), t->job.chain, l);
    t->ev = hansa_calloc(WIRE_VALIDATORS_MAX, sizeof *t->ev);
    t->delivered = hansa_calloc(WIRE_VALIDATORS_MAX, sizeof *t->delivered);
    for (uint16_t i = 0; have && i < l->n; i++) {
        hansa_hash h;
        wire_evidence_hash(&l->ev[i], &h);
        if (!hmap_get(&r->delivered, &h, NULL)) t->ev[t->n_ev++] = l->ev[i];
    }
    free(l);
    return t->n_ev > 0;
}

static void unrouted(relay_driver *r, uint32_t chain) {
    for (size_t i = 0; i < r->n_unrouted; i++)
        if (r->unrouted[i] == chain) return;
    if (r->n_unrouted < RELAY_JOBS_MAX) r->unrouted[r->n_unrouted++] = chain;
    LOG_W("relay", "chain %x has a light client here but no route in %s: nothing to relay from", chain,
          r->routes_path);
}

static void on_timer(uv_timer_t *timer) {
    relay_driver *r = timer->data;
    if (r->busy || r->stopping) return;
    relay_job jobs[RELAY_JOBS_MAX];
    size_t n = node_relay_jobs(r->n, jobs, RELAY_JOBS_MAX);
    node_status st;
    node_get_status(r->n, &st);
    if (n == 0 && st.height == r->tally_height) return; /* tallies are looked at once a height */
    route_table routes;
    char why[CONFIG_WHY_MAX];
    if (route_table_load(r->routes_path, &routes, why) != HANSA_OK) {
        LOG_W("relay", "routing table: %s", why);
        return;
    }
    relay_round *rd = hansa_calloc(1, sizeof *rd);
    rd->r = r;
    for (size_t i = 0; i < n; i++) {
        const route_entry *e = route_find(&routes, jobs[i].chain);
        if (e == NULL) {
            unrouted(r, jobs[i].chain);
            continue;
        }
        relay_task *t = &rd->tasks[rd->n];
        *t = (relay_task){.job = jobs[i], .route = *e, .body = HBUF_INIT};
        if (jobs[i].kind == RELAY_EVIDENCE && !evidence_due(r, t)) {
            task_free(t);
            continue;
        }
        if (jobs[i].kind == RELAY_PACKETS || jobs[i].kind == RELAY_ACKS) {
            typeof(r->down[0]) *d = down_of(r, jobs[i].chain);
            if ((d && d->until_ms > uv_now(timer->loop)) || !rp_prepare(&t->pk, r->n, &jobs[i], &r->backoff)) {
                task_free(t);
                continue;
            }
        }
        rd->n++;
    }
    rt_prepare(&rd->tallies, r->n, &routes, &r->tally_acked, &r->tally_height);
    route_table_free(&routes);
    if (rd->n == 0 && rd->tallies.n == 0) {
        free(rd);
        return;
    }
    rd->req.data = rd;
    r->busy = true;
    HANSA_ASSERT(uv_queue_work(timer->loop, &rd->req, work_cb, after_cb) == 0);
}

relay_driver *relay_driver_new(uv_loop_t *loop, node *n, const char *routes_path) {
    relay_driver *r = hansa_calloc(1, sizeof *r);
    r->n = n;
    r->routes_path = routes_path;
    r->delivered = (hmap)HMAP_INIT;
    r->backoff = (hmap)HMAP_INIT;
    r->tally_acked = (hmap)HMAP_INIT;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_timer, RELAY_DRIVER_PERIOD_MS, RELAY_DRIVER_PERIOD_MS);
    return r;
}

static void on_closed(uv_handle_t *h) {
    relay_driver *r = h->data;
    r->timer_closed = true;
    driver_maybe_free(r);
}

void relay_driver_stop(relay_driver *r) {
    if (r == NULL || r->stopping) return;
    r->stopping = true;
    LOG_I("relay", "packets relayed: %llu recvs and %llu acks submitted, %llu tally messages sent",
          (unsigned long long)r->submitted[0], (unsigned long long)r->submitted[1],
          (unsigned long long)r->tally_sent);
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, on_closed);
}
