/* route_api.c — see route_api.h. */
#include "rpc/route_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "credit/discovery.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "rpc/conns.h"
#include "rpc/node_json.h"

/* Messages kept for the drivers: the most recent ROUTE_OUTBOX_MAX, each
 * numbered so a driver reads on from the last one it carried. */
#define ROUTE_OUTBOX_MAX 256

/* The machine's timeouts: a search gives up after 4 s (less upstream), a
 * GOOD record is reused for 30 s, a NONE is not retried for 10 s. */
#define ROUTE_TIMEOUT_MS 4000
#define ROUTE_FRESH_MS 30000
#define ROUTE_RETRY_MS 10000

/* The beacon duty (credit/discovery.h): an entity of this chain with a
 * pending invoice is beaconed for every ROUTE_FRESH_MS / 2 (its marks stay
 * fresh), for at most ROUTE_INVOICE_BEACON_MS after its last invoice. */
#define ROUTE_INVOICE_BEACON_MS (10 * 60 * 1000)
/* Beacons the duty sends a driver round (every 200 ms) at most: 32 due at
 * once (a node starting with many pending invoices) go out over 3.2 s, their
 * marks (8 a beacon) within a neighbour's per-client burst and rate
 * (ROUTE_MSG_BURST, ROUTE_MSG_RATE), so they do not crowd out this node's
 * queries and answers there. */
#define ROUTE_DUTY_PER_ROUND 2

/* Route messages per client address: a token bucket of ROUTE_MSG_BURST
 * refilled at ROUTE_MSG_RATE per second, for the most recent
 * ROUTE_CLIENTS_MAX clients (the least recently seen is forgotten). A
 * route message is cheap but public: unbounded, one client could push
 * honest searches and answers out of the machine's bounded tables. A
 * neighbour's route driver sends a few per search. */
#define ROUTE_MSG_RATE 50
#define ROUTE_MSG_BURST 200
#define ROUTE_CLIENTS_MAX 64

/* Searches and beacons a client may start: one starts up to ~300 messages
 * over a federation of 40 chains, all sent as this node to its neighbours,
 * whose per-client rate then also holds back this node's honest searches.
 * A wallet asks for a route before a payment, not many times a second. */
#define ROUTE_START_RATE 2
#define ROUTE_START_BURST 8

typedef struct {
    char client[RPC_CLIENT_TEXT_MAX];
    uint64_t tokens_milli; /* thousandths of a message */
    uint64_t last_ms;
} route_bucket;

typedef struct {
    uint64_t seq;
    uint32_t to_chain;
    size_t len;
    uint8_t msg[DISC_MSG_BYTES];
} route_out;

struct rpc_route_api {
    rpc_server *server;
    node *n;
    hansa_rng rng;
    disc_graph graph;
    uint64_t graph_height; /* the committed height graph was loaded at; UINT64_MAX: never */
    disc_site site;
    route_out out[ROUTE_OUTBOX_MAX];
    uint64_t next_seq; /* of the next message queued; message s is out[s % MAX] */
    route_bucket buckets[ROUTE_CLIENTS_MAX];       /* route messages */
    route_bucket start_buckets[ROUTE_CLIENTS_MAX]; /* searches and beacons started */
    uint64_t limited;  /* route messages, searches and beacons refused over the rate */
    disc_duty duty;
    uint64_t beacons;  /* sent by the duty */
};

static uint64_t now_ms(void) { return clock_mono_ms(&hansa_clock_system); }

/* The view the machine asks: the committed tallies, loaded again once per
 * height (so a flood of route messages does not rebuild it each time). */
static void add_tally(void *ctx, const credit_tally *t) { (void)disc_graph_add_tally(ctx, t); }

static void reload(rpc_route_api *api) {
    uint64_t h = ledger_height(node_ledger(api->n));
    if (h == api->graph_height) return;
    api->graph_height = h;
    api->graph.n_edges = api->graph.n_nodes = api->graph.n_in = 0;
    ledger_tallies_iter(node_ledger(api->n), add_tally, &api->graph);
}

static void queue(rpc_route_api *api, const disc_out *o) {
    for (size_t i = 0; i < o->n; i++) {
        hbuf b = HBUF_INIT;
        disc_msg_encode(&b, &o->s[i].m);
        route_out *r = &api->out[api->next_seq % ROUTE_OUTBOX_MAX];
        r->seq = api->next_seq++;
        r->to_chain = o->s[i].to_site;
        r->len = b.len;
        memcpy(r->msg, b.data, b.len);
        hbuf_free(&b);
    }
}

/* Time passed since the last call: searches past their deadline answer. */
static void tick(rpc_route_api *api, uint64_t now) {
    disc_out o = {0};
    disc_tick(&api->site, now, &o);
    queue(api, &o);
}

static const char *const states[] = {"?", "draft", "good", "none"};

static json_t *ent_json(const disc_ent *e) {
    return json_pack("{s:o, s:o}", "chain", nj_chain(e->site), "key", nj_hex(e->key.b, HANSA_PUBKEY_BYTES));
}

static json_t *record_json(const disc_record *r, uint64_t now) {
    return json_pack("{s:o, s:o, s:s, s:s, s:{s:o, s:o, s:i}, s:i, s:I}", "from", ent_json(&r->entry), "to",
                     ent_json(&r->target), "state", states[r->state], "mode",
                     r->mode == DISC_BIDIR ? "bidir" : "oneway", "capacity", "min", nj_u64(r->cap.min), "max",
                     nj_u64(r->cap.max), "margin_ppm", (int)r->cap.margin_ppm, "hops", (int)r->hops, "age_ms",
                     (json_int_t)(now - r->updated_ms));
}

static bool param_key(json_t *params, const char *name, hansa_pubkey *k, rpc_outcome *bad) {
    rpc_error err = {0};
    if (rpc_param_hex(params, name, true, k->b, HANSA_PUBKEY_BYTES, &err)) return true;
    *bad = rpc_fail_with(&err);
    return false;
}

/* A chain id in its text form (as nj_chain prints it). */
static bool param_chain(json_t *params, const char *name, uint32_t *chain, rpc_outcome *bad) {
    const char *text = NULL, *why = "must be 1 to 8 lowercase hex digits";
    rpc_error err = {0};
    if (!rpc_param_string(params, name, true, &text, &err)) {
        *bad = rpc_fail_with(&err);
        return false;
    }
    if (chain_id_parse(text, chain, &why) == HANSA_OK) return true;
    *bad = nj_bad_param(name, why);
    return false;
}

/* Before a search or beacon starts: time passes, the view is the committed
 * tallies', and id is fresh. Returns now. */
static uint64_t start(rpc_route_api *api, credit_id *id) {
    uint64_t now = now_ms();
    tick(api, now);
    reload(api);
    rng_fill(&api->rng, id->b, sizeof id->b);
    return now;
}

/* mode: "oneway" (the default) or "bidir". */
static bool param_mode(json_t *params, disc_mode *mode, rpc_outcome *bad) {
    const char *text = "oneway";
    rpc_error err = {0};
    if (!rpc_param_string(params, "mode", false, &text, &err)) {
        *bad = rpc_fail_with(&err);
        return false;
    }
    *mode = strcmp(text, "bidir") == 0 ? DISC_BIDIR : DISC_ONEWAY;
    if (*mode == DISC_BIDIR || strcmp(text, "oneway") == 0) return true;
    *bad = nj_bad_param("mode", "must be \"oneway\" or \"bidir\"");
    return false;
}

/* Client's bucket among buckets (ROUTE_CLIENTS_MAX), refilled at rate a
 * second up to burst. */
static route_bucket *bucket_of(route_bucket *buckets, unsigned rate, unsigned burst, const char *client,
                               uint64_t now) {
    route_bucket *b = NULL, *oldest = &buckets[0];
    for (size_t i = 0; i < ROUTE_CLIENTS_MAX && !b; i++) {
        route_bucket *x = &buckets[i];
        if (strcmp(x->client, client) == 0) b = x;
        else if (x->last_ms < oldest->last_ms) oldest = x;
    }
    if (!b) {
        b = oldest;
        snprintf(b->client, sizeof b->client, "%s", client);
        b->tokens_milli = burst * 1000ull;
        b->last_ms = now;
    }
    uint64_t refill = (now - b->last_ms) * rate; /* ms x tokens/s = thousandths */
    b->tokens_milli = b->tokens_milli + refill > burst * 1000ull ? burst * 1000ull : b->tokens_milli + refill;
    b->last_ms = now;
    return b;
}

/* Takes one token from b; false when it is empty. */
static bool bucket_take(route_bucket *b) {
    if (b->tokens_milli < 1000) return false;
    b->tokens_milli -= 1000;
    return true;
}

/* Call's client's bucket of searches and beacons started, or NULL with
 * RPC_BUSY in *busy when it is empty: its client started more than
 * ROUTE_START_RATE a second (burst ROUTE_START_BURST). The caller takes a
 * token only when the call sent messages. */
static route_bucket *start_bucket(rpc_route_api *api, rpc_call *call, rpc_outcome *busy) {
    route_bucket *b = bucket_of(api->start_buckets, ROUTE_START_RATE, ROUTE_START_BURST, rpc_call_client(call), now_ms());
    if (b->tokens_milli >= 1000) return b;
    api->limited++;
    *busy = rpc_fail(RPC_BUSY, NULL, "route searches and beacons from %s over %d per second (burst %d): retry later",
                     rpc_call_client(call), ROUTE_START_RATE, ROUTE_START_BURST);
    return NULL;
}

/* route_find {from: key, to_chain, to: key, mode?} -> the route record; a
 * search that starts leaves its queries in the outbox and the record
 * "draft". mode "bidir" floods half the hops, to meet the marks of the
 * target chain's beacon (route_beacon there, before). */
static rpc_outcome m_route_find(rpc_call *call, json_t *params, void *ctx) {
    rpc_route_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"from", "to_chain", "to", "mode", NULL};
    disc_ent from = {node_chain_id(api->n), {{0}}}, to;
    disc_mode mode;
    if (!nj_params_only(params, names, &bad) || !param_key(params, "from", &from.key, &bad) ||
        !param_chain(params, "to_chain", &to.site, &bad) || !param_key(params, "to", &to.key, &bad) ||
        !param_mode(params, &mode, &bad))
        return bad;
    uint64_t asked = now_ms();
    tick(api, asked); /* a search past its deadline ends first */
    const disc_record *kept = disc_find_kept(&api->site, &from, &to, asked, mode);
    if (kept) return rpc_ok(record_json(kept, asked)); /* asking again costs nothing */
    route_bucket *b = start_bucket(api, call, &bad);
    if (!b) return bad;
    credit_id search;
    uint64_t now = start(api, &search);
    disc_out o = {0};
    const disc_record *r = disc_find(&api->site, &from, &to, now, &search, mode, &o);
    if (o.n) (void)bucket_take(b);
    queue(api, &o);
    return rpc_ok(record_json(r, now));
}

/* route_beacon {to} -> {marks}: the beacon of `to` (a key on this chain)
 * for bidirectional searches toward it; its marks wait in the outbox. */
static rpc_outcome m_route_beacon(rpc_call *call, json_t *params, void *ctx) {
    rpc_route_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"to", NULL};
    disc_ent to = {node_chain_id(api->n), {{0}}};
    if (!nj_params_only(params, names, &bad) || !param_key(params, "to", &to.key, &bad)) return bad;
    route_bucket *b = start_bucket(api, call, &bad);
    if (!b) return bad;
    credit_id id;
    (void)start(api, &id);
    disc_out o = {0};
    size_t n = disc_beacon(&api->site, &to, &id, &o);
    if (o.n) (void)bucket_take(b);
    queue(api, &o);
    return rpc_ok(json_pack("{s:I}", "marks", (json_int_t)n));
}

/* Fresh marks the machine holds (for route_records). */
static size_t marks_fresh(const disc_site *s, uint64_t now) {
    size_t n = 0, kept = s->n_mark < DISC_MARKS_MAX ? s->n_mark : DISC_MARKS_MAX;
    for (size_t i = 0; i < kept; i++) n += now - s->mark[i].updated_ms < s->fresh_ms;
    return n;
}

/* route_records {} -> {routes: [record], limited, marks, beacons}: the
 * records, route messages refused over the rate, fresh marks held and
 * beacons the duty sent (not "routes": that name is the routing table's,
 * which the explorer asks for) */
static rpc_outcome m_routes(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_route_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint64_t now = now_ms();
    tick(api, now);
    json_t *list = json_array();
    for (size_t i = 0; i < api->site.n_rec; i++) json_array_append_new(list, record_json(&api->site.rec[i], now));
    return rpc_ok(json_pack("{s:o, s:o, s:o, s:o}", "routes", list, "limited", nj_u64(api->limited), "marks",
                            nj_u64(marks_fresh(&api->site, now)), "beacons", nj_u64(api->beacons)));
}

/* route_msg {from_chain, msg: hex} -> {} : one discovery message from a
 * neighbour chain, refused with the decoder's reason, or RPC_BUSY when
 * its client sends more than ROUTE_MSG_RATE per second. */
static rpc_outcome m_route_msg(rpc_call *call, json_t *params, void *ctx) {
    rpc_route_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"from_chain", "msg", NULL};
    uint32_t from;
    if (!nj_params_only(params, names, &bad) || !param_chain(params, "from_chain", &from, &bad)) return bad;
    if (from == node_chain_id(api->n))
        return nj_bad_param("from_chain", "a route message comes from another chain");
    if (!bucket_take(bucket_of(api->buckets, ROUTE_MSG_RATE, ROUTE_MSG_BURST, rpc_call_client(call), now_ms()))) {
        api->limited++;
        return rpc_fail(RPC_BUSY, NULL, "route messages from %s over %d per second (burst %d): retry later",
                        rpc_call_client(call), ROUTE_MSG_RATE, ROUTE_MSG_BURST);
    }
    rpc_error err = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!rpc_param_bytes(params, "msg", true, DISC_MSG_BYTES, &bytes, &len, &err)) return rpc_fail_with(&err);
    disc_msg m;
    wire_rd r;
    hansa_err e = disc_msg_decode(bytes, len, &m, &r);
    free(bytes);
    if (e != HANSA_OK) {
        char why[160];
        rd_describe(&r, why, sizeof why);
        return nj_bad_param("msg", why);
    }
    uint64_t now = now_ms();
    tick(api, now);
    reload(api);
    disc_out o = {0};
    disc_recv(&api->site, from, &m, now, &o);
    queue(api, &o);
    return rpc_ok(json_object());
}

/* route_outbox {after?} -> {next, msgs: [{seq, to_chain, msg}]}: the
 * messages numbered from `after` on that are still kept (older ones are
 * gone: next says where the outbox is). */
static rpc_outcome m_route_outbox(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_route_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"after", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    rpc_error err = {0};
    uint64_t after = 0;
    if (!rpc_param_u64(params, "after", false, &after, &err)) return rpc_fail_with(&err);
    tick(api, now_ms());
    uint64_t first = api->next_seq > ROUTE_OUTBOX_MAX ? api->next_seq - ROUTE_OUTBOX_MAX : 0;
    if (after < first) after = first;
    json_t *list = json_array();
    for (uint64_t s = after; s < api->next_seq; s++) {
        const route_out *o = &api->out[s % ROUTE_OUTBOX_MAX];
        json_array_append_new(list, json_pack("{s:I, s:o, s:o}", "seq", (json_int_t)o->seq, "to_chain",
                                              nj_chain(o->to_chain), "msg", nj_hex(o->msg, o->len)));
    }
    return rpc_ok(json_pack("{s:I, s:o}", "next", (json_int_t)api->next_seq, "msgs", list));
}

/* The beacons the duty owes now, into the outbox. */
static void duty(rpc_route_api *api, uint64_t now) {
    disc_ent due[ROUTE_DUTY_PER_ROUND];
    size_t n = disc_duty_due(&api->duty, now, due, ROUTE_DUTY_PER_ROUND);
    if (n > 0) reload(api);
    for (size_t i = 0; i < n; i++) {
        credit_id id;
        rng_fill(&api->rng, id.b, sizeof id.b);
        disc_out o = {0};
        disc_beacon(&api->site, &due[i], &id, &o);
        queue(api, &o);
        api->beacons++;
    }
}

/* The payee of inv when it is an entity of this chain. */
static bool payee_here(rpc_route_api *api, const credit_invoice *inv, disc_ent *who) {
    credit_tally t;
    if (!ledger_tally_get(node_ledger(api->n), &inv->tally_id, &t)) return false;
    const credit_party *p = inv->payee == CREDIT_STOCK ? &t.contract.stock : &t.contract.foil;
    *who = (disc_ent){p->chain_id, p->key};
    return p->chain_id == node_chain_id(api->n);
}

void rpc_route_api_on_credit_event(rpc_route_api *api, const ledger_credit_event *ev) {
    disc_ent who;
    if (ev->kind != LEDGER_EV_INVOICE || !payee_here(api, &ev->invoice, &who)) return;
    if (ev->invoice.state == CREDIT_INV_PENDING) disc_duty_invoice(&api->duty, &who, now_ms());
    else disc_duty_settled(&api->duty, &who);
}

/* At start: the invoices pending in the ledger, as if issued now. */
static void pending_invoice(void *ctx, const credit_invoice *inv) {
    rpc_route_api *api = ctx;
    disc_ent who;
    if (inv->state == CREDIT_INV_PENDING && payee_here(api, inv, &who)) disc_duty_invoice(&api->duty, &who, now_ms());
}

size_t rpc_route_api_take(rpc_route_api *api, uint64_t *cursor, rpc_route_msg *out, size_t max) {
    _Static_assert(sizeof out->msg == DISC_MSG_BYTES, "rpc_route_msg holds one message");
    uint64_t now = now_ms();
    tick(api, now);
    duty(api, now);
    uint64_t first = api->next_seq > ROUTE_OUTBOX_MAX ? api->next_seq - ROUTE_OUTBOX_MAX : 0;
    if (*cursor < first) *cursor = first;
    size_t n = 0;
    for (; *cursor < api->next_seq && n < max; (*cursor)++, n++) {
        const route_out *o = &api->out[*cursor % ROUTE_OUTBOX_MAX];
        out[n].to_chain = o->to_chain;
        out[n].len = o->len;
        memcpy(out[n].msg, o->msg, o->len);
    }
    return n;
}

rpc_route_api *rpc_route_api_new(rpc_server *server, node *n) {
    rpc_route_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    api->rng = crypto_os_rng();
    disc_graph_init(&api->graph, node_chain_id(n));
    api->graph_height = UINT64_MAX;
    disc_site_init(&api->site, node_chain_id(n), disc_graph_view(&api->graph), ROUTE_TIMEOUT_MS, ROUTE_FRESH_MS,
                   ROUTE_RETRY_MS);
    disc_duty_init(&api->duty, ROUTE_INVOICE_BEACON_MS, ROUTE_FRESH_MS / 2);
    ledger_invoices_iter(node_ledger(n), pending_invoice, api);
    rpc_register(server, "route_find", m_route_find, api);
    rpc_register(server, "route_beacon", m_route_beacon, api);
    rpc_register(server, "route_records", m_routes, api);
    rpc_register(server, "route_msg", m_route_msg, api);
    rpc_register(server, "route_outbox", m_route_outbox, api);
    return api;
}

void rpc_route_api_free(rpc_route_api *api) {
    if (api == NULL) return;
    disc_graph_free(&api->graph);
    free(api);
}
