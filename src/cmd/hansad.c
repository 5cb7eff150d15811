/* hansad — the hansa node daemon: one chain's delegate or full node.
 *
 *   hansad --home DIR [--conf CONF]
 *   hansad init --home DIR ...        (cmd/lib/init.c: a new node's key and config)
 *
 * DIR holds config.json and genesis.json (node/config.h; in CONF instead
 * when given, as the packaged service keeps them under /etc/hansa), node.key
 * (the node's identity and, when it is a delegate, its signing key), data/
 * (the LMDB store) and, optionally, routes.json (node/route.h). hansad
 * wires the node core (node/) to the real world: a libuv loop, encrypted
 * peer links (net/), the JSON-RPC server (rpc/), the relay driver that
 * fetches foreign chains' headers for the relay duty (relay_driver.h), the
 * system clock, and SIGINT/SIGTERM for a clean stop.
 *
 * At start it hashes its own executable (/proc/self/exe) once: `status`
 * shows that software hash and whether the chain ratified it.
 *
 * Built with HANSA_BYZANTINE_TEST_BUILD (the separate test-only program
 * `hansad-byzantine`, never in a release build), this node is a Byzantine
 * delegate that, next to each of its prevotes, signs and sends a
 * conflicting one (nil against a block, a made-up block against nil), so
 * the honest nodes must produce evidence and the ledger must slash it
 * (tests/delegates/test_double_sign.py). It lives here, in the daemon's
 * glue, so no protocol code carries it; the release daemon has no switch
 * that turns it on because it has no such code at all.
 *
 * HANSA_TEST_CLOCK_SKEW_MS=N (tests only) sets this node's wall clock N ms
 * (negative: behind) off the system's, as a delegate with a bad clock has:
 * tests of block time (PBTS, docs/consensus.md) run one next to honest
 * nodes on one machine. The monotonic clock is not touched. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/log.h"
#include "cmd/lib/http_extras.h"
#include "cmd/lib/init.h"
#include "crypto/noise.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "net/host.h"
#include "node/config.h"
#include "node/keyfile.h"
#include "node/msg.h"
#include "node/node.h"
#include "rpc/credit_api.h"
#include "cmd/lib/relay_driver.h"
#include "cmd/lib/route_driver.h"
#include "rpc/frost_api.h"
#include "rpc/receipt_api.h"
#include "rpc/route_api.h"
#include "rpc/delegates_api.h"
#include "rpc/interchain_api.h"
#include "rpc/node_api.h"
#include "rpc/node_metrics.h"
#include "rpc/server.h"
#include "rpc/xfer_api.h"

#define HANSA_VERSION "0.1.0"

/* Exit codes (docs/cli.md, "Output and exit codes"):
 * 0 stopped by a signal, 1 stopped by a fatal error while running (the log
 * says which: a damaged store, a full disk, a diverged state), 2 could not
 * start (command line, config.json, genesis.json, node.key, store, ports). */
#define HANSAD_EXIT_FATAL 1
#define HANSAD_EXIT_START 2

typedef struct {
    uv_loop_t loop;
    uv_timer_t wake;
    uv_timer_t metrics_tick; /* samples the metrics' rates once a second */
    uv_signal_t sigint, sigterm;
    net_host *net;
    rpc_server *rpc;
    rpc_node_api *api;
    rpc_delegates_api *dapi;
    rpc_credit_api *capi;
    rpc_interchain_api *iapi;
    rpc_xfer_api *xapi;
    relay_driver *relay;
    route_driver *route; /* route discovery messages to neighbour chains */
    char routes_path[4200];
    rpc_receipt_api *rapi;
    rpc_node_metrics *metrics;
    http_extras *extras;       /* GET /events and /explorer/ */
    node *n;
    store *st;
    const hansa_keypair *key;  /* the node's signing key (borrowed from the key file) */
    wire_validator reserved_for[WIRE_VALIDATORS_MAX]; /* the set last given to net/ */
    uint16_t reserved_n;
    bool has_software;
    hansa_hash software;       /* SHA-256 of this executable */
    int exit_code;
    bool stopping;
} daemon_ctx;

/* ---- the clock (HANSA_TEST_CLOCK_SKEW_MS) ---- */

static int64_t clock_skew_ms;

static uint64_t skewed_wall_ms(void *ctx) {
    (void)ctx;
    int64_t t = (int64_t)clock_wall_ms(&hansa_clock_system) + clock_skew_ms;
    return t > 0 ? (uint64_t)t : 0;
}

static uint64_t system_mono_ms(void *ctx) {
    (void)ctx;
    return clock_mono_ms(&hansa_clock_system);
}

static const hansa_clock skewed_clock = {skewed_wall_ms, system_mono_ms, NULL};

/* ---- node_io over net/ and libuv ---- */

static void io_send(void *ctx, void *peer, uint8_t type, const uint8_t *b, size_t len) {
    (void)ctx;
    net_send(peer, type, b, len);
}

#ifdef HANSA_BYZANTINE_TEST_BUILD
/* Test-only (hansad-byzantine): when b is this node's own prevote,
 * signs and sends a second prevote for the same height and round with a
 * different block id. Deterministic signatures make every re-send of it the
 * same vote, so peers see one offence per round. */
static void double_sign(daemon_ctx *d, const uint8_t *b, size_t len) {
    wire_vote v;
    if (wire_vote_decode(b, len, &v, NULL) != HANSA_OK) return;
    if (v.type != VOTE_PREVOTE || !pubkey_eq(&v.validator, &d->key->pub)) return;
    wire_vote c = v;
    c.block.present = !v.block.present;
    memset(c.block.hash.b, 0, HANSA_HASH_BYTES);
    static const char fake[] = "hansa test double sign";
    if (c.block.present) sha256(fake, sizeof fake - 1, &c.block.hash);
    hbuf sb = HBUF_INIT, enc = HBUF_INIT;
    wire_vote_sign_bytes(&sb, &c);
    sign_domain(d->key, SIGN_DOMAIN_VOTE, sb.data, sb.len, &c.sig);
    wire_vote_encode(&enc, &c);
    net_broadcast(d->net, MSG_VOTE, enc.data, enc.len, NULL);
    hbuf_free(&sb);
    hbuf_free(&enc);
}
#endif

/* A relayed tx goes to each peer in that peer's bundle of the loop turn
 * (one TXS message, not one TX each: under load the per-message cost of
 * the link, its encryption above all, was most of what gossip cost). */
_Static_assert(MSG_TXS_MAX == NET_BUNDLE_ITEMS_MAX && MSG_TXS_BYTES_MAX == NET_BUNDLE_BYTES_MAX,
               "a TXS holds one net bundle");

static void io_broadcast(void *ctx, uint8_t type, const uint8_t *b, size_t len, void *except) {
    daemon_ctx *d = ctx;
    if (!d->net) return;
    if (type == MSG_TX) net_broadcast_bundled(d->net, MSG_TXS, b, len, except);
    else net_broadcast(d->net, type, b, len, except);
#ifdef HANSA_BYZANTINE_TEST_BUILD
    if (type == MSG_VOTE) double_sign(d, b, len);
#endif
}

/* The node drops a peer only for what no honest peer sends: ban it (net/
 * spares configured peers and validators). */
static void io_drop(void *ctx, void *peer, const char *reason) {
    (void)ctx;
    LOG_W("hansad", "dropping peer: %s", reason);
    net_peer_ban(peer, reason);
}

static void io_penalize(void *ctx, void *peer, uint32_t points, const char *why) {
    (void)ctx;
    net_peer_penalize(peer, points, why);
}

/* The validators' keys get reserved links (net_host_set_reserved), so no
 * crowd of strangers can cut a delegate off from the others. Recomputed
 * when the set changes. */
static void reserve_validators(daemon_ctx *d) {
    const cons_valset *vs = node_valset(d->n);
    if (!d->net) return;
    if (vs->n == d->reserved_n && memcmp(vs->v, d->reserved_for, vs->n * sizeof vs->v[0]) == 0)
        return;
    net_peer_id ids[WIRE_VALIDATORS_MAX];
    size_t k = 0;
    for (uint16_t i = 0; i < vs->n; i++)
        if (noise_pubkey_from_ed25519(&vs->v[i].pubkey, ids[k].b) == HANSA_OK) k++;
    net_host_set_reserved(d->net, ids, k);
    memcpy(d->reserved_for, vs->v, vs->n * sizeof vs->v[0]);
    d->reserved_n = vs->n;
}

static void on_wake(uv_timer_t *t) {
    daemon_ctx *d = t->data;
    node_on_wake(d->n);
}

static void io_wake_at(void *ctx, uint64_t mono_ms) {
    daemon_ctx *d = ctx;
    uint64_t now = clock_mono_ms(&hansa_clock_system);
    uv_timer_start(&d->wake, on_wake, mono_ms > now ? mono_ms - now : 0, 0);
}

static void io_committed(void *ctx, uint64_t height) {
    daemon_ctx *d = ctx;
    reserve_validators(d);
    if (d->api) rpc_node_api_on_commit(d->api, height);
    if (d->extras) http_extras_on_commit(d->extras, height);
}

/* Credit events: logged one per line, where a subscription endpoint can
 * pick them up instead (rpc/credit_api.h has their JSON form, cj_event);
 * an invoice's also go to route discovery's beacon duty. */
static void io_credit_event(void *ctx, uint64_t height, const ledger_credit_event *ev) {
    daemon_ctx *d = ctx;
    if (d->capi) rpc_route_api_on_credit_event(rpc_credit_api_route(d->capi), ev);
    json_t *j = cj_event(ev);
    char *text = json_dumps(j, JSON_COMPACT);
    LOG_I("credit", "event height=%llu %s", (unsigned long long)height, text ? text : "?");
    free(text);
    json_decref(j);
}

static void shutdown_daemon(daemon_ctx *d);

/* GET /metrics: the node's figures, then the event stream's. */
static void write_metrics(hbuf *out, void *ctx) {
    daemon_ctx *d = ctx;
    if (d->metrics) rpc_node_metrics_write(d->metrics, out);
    if (d->extras) http_extras_metrics(d->extras, out);
}

static void io_fatal(void *ctx, const char *why) {
    daemon_ctx *d = ctx;
    LOG_E("hansad", "fatal: %s", why);
    d->exit_code = HANSAD_EXIT_FATAL;
    shutdown_daemon(d);
}

/* ---- net callbacks ---- */

static void on_peer_up(void *ctx, net_peer *p) {
    daemon_ctx *d = ctx;
    node_peer_up(d->n, p);
}

static void on_message(void *ctx, net_peer *p, uint8_t type, const uint8_t *b, size_t len) {
    daemon_ctx *d = ctx;
    node_on_message(d->n, p, type, b, len);
}

static void on_peer_down(void *ctx, net_peer *p, const char *reason) {
    daemon_ctx *d = ctx;
    LOG_I("hansad", "peer down: %s", reason);
    node_peer_down(d->n, p);
}

/* ---- lifecycle ---- */

static void shutdown_daemon(daemon_ctx *d) {
    if (d->stopping) return;
    d->stopping = true;
    LOG_I("hansad", "stopping");
    uv_timer_stop(&d->wake);
    uv_close((uv_handle_t *)&d->wake, NULL);
    uv_timer_stop(&d->metrics_tick);
    uv_close((uv_handle_t *)&d->metrics_tick, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    if (d->net) net_host_destroy(d->net);
    d->net = NULL;
    if (d->api) rpc_node_api_free(d->api);
    d->api = NULL;
    rpc_delegates_api_free(d->dapi);
    d->dapi = NULL;
    route_driver_stop(d->route); /* before the api it reads */
    d->route = NULL;
    rpc_credit_api_free(d->capi);
    d->capi = NULL;
    rpc_interchain_api_free(d->iapi);
    d->iapi = NULL;
    rpc_xfer_api_free(d->xapi);
    d->xapi = NULL;
    relay_driver_stop(d->relay);
    d->relay = NULL;
    rpc_receipt_api_free(d->rapi);
    d->rapi = NULL;
    rpc_node_metrics_free(d->metrics);
    d->metrics = NULL;
    http_extras_free(d->extras);
    d->extras = NULL;
    if (d->rpc) rpc_server_free(d->rpc);
    d->rpc = NULL;
}

static void on_signal(uv_signal_t *s, int signum) {
    (void)signum;
    shutdown_daemon(s->data);
}

/* A start-up failure: says what and why on stderr. */
static int fail(const char *what, const char *why) {
    fprintf(stderr, "hansad: %s: %s\n", what, why);
    return HANSAD_EXIT_START;
}

static hansa_err split_addr(const char *addr, char *host, size_t host_len, uint16_t *port) {
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= host_len) return HANSA_ERR_CONFIG;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535) return HANSA_ERR_CONFIG;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (uint16_t)p;
    return HANSA_OK;
}

static int start_net(daemon_ctx *d, const config_file *cfg, const hansa_keypair *id) {
    const char *dial[CONFIG_PEERS_MAX];
    for (size_t i = 0; i < cfg->n_peers; i++) dial[i] = cfg->peers[i];
    net_config nc = {0};
    nc.listen_addr = cfg->listen;
    nc.dial = dial;
    nc.n_dial = cfg->n_peers;
    noise_keypair_from_ed25519(&nc.identity, id->secret);
    nc.rng = crypto_os_rng();
    const node_net_limits *l = &cfg->node.net;
    nc.max_inbound = l->max_inbound;
    nc.max_pending = l->max_pending;
    nc.keepalive_ms = l->keepalive_ms;
    nc.link_timeout_ms = l->link_timeout_ms;
    nc.inbound_idle_ms = l->inbound_idle_ms;
    nc.ban_ms = l->ban_ms;
    nc.ban_max_ms = l->ban_max_ms;
    nc.ban_score = l->ban_score;
    nc.cb = (net_callbacks){on_peer_up, on_message, on_peer_down, d};
    if (net_host_new(&d->loop, &nc, &d->net) != HANSA_OK) return fail("listen", cfg->listen);
    reserve_validators(d);
    return 0;
}

static void on_metrics_tick(uv_timer_t *t) {
    daemon_ctx *d = t->data;
    if (d->metrics) rpc_node_metrics_sample(d->metrics, clock_mono_ms(&hansa_clock_system));
}

/* status's `links`, from the net host. */
static size_t list_peers(void *ctx, rpc_peer_view *out, size_t max) {
    daemon_ctx *d = ctx;
    if (!d->net) return 0;
    net_peer_info info[RPC_PEER_VIEWS_MAX];
    size_t n = net_host_peers(d->net, info, max < RPC_PEER_VIEWS_MAX ? max : RPC_PEER_VIEWS_MAX);
    for (size_t i = 0; i < n; i++) {
        rpc_peer_view *v = &out[i];
        memset(v, 0, sizeof *v);
        hex_encode(info[i].id.b, 8, v->id);
        snprintf(v->addr, sizeof v->addr, "%s", info[i].addr);
        v->outbound = info[i].outbound;
        v->reserved = info[i].reserved;
        v->up_ms = info[i].up_ms;
        v->heard_ms_ago = info[i].heard_ms_ago;
    }
    return n;
}

static int start_rpc(daemon_ctx *d, const config_file *cfg) {
    char host[64];
    rpc_config rc = {0};
    if (split_addr(cfg->rpc, host, sizeof host, &rc.port) != HANSA_OK)
        return fail("config", "rpc must be \"ip:port\"");
    rc.bind_address = host;
    const char *hosts[CONFIG_RPC_HOSTS_MAX];
    for (size_t i = 0; i < cfg->n_rpc_hosts; i++) hosts[i] = cfg->rpc_hosts[i];
    rc.allowed_hosts = hosts;
    rc.n_allowed_hosts = cfg->n_rpc_hosts;
    if (rpc_server_new(&d->loop, &rc, &d->rpc) != HANSA_OK) return fail("rpc listen", cfg->rpc);
    d->api = rpc_node_api_new(d->rpc, d->n, HANSA_VERSION);
    if (d->has_software) rpc_node_api_set_software(d->api, &d->software);
    rpc_node_api_set_peers(d->api, list_peers, d);
    d->dapi = rpc_delegates_api_new(d->rpc, d->n);
    d->capi = rpc_credit_api_new(d->rpc, d->n);
    d->iapi = rpc_interchain_api_new(d->rpc, d->n);
    d->xapi = rpc_xfer_api_new(d->rpc, d->n);
    d->rapi = rpc_receipt_api_new(d->rpc, d->n);
    rpc_frost_api_register(d->rpc, d->n);
    d->metrics = rpc_node_metrics_new(d->rpc, d->n);
    d->extras = http_extras_start(&d->loop, d->rpc, d->n, cfg->rpc);
    rpc_set_metrics(d->rpc, write_metrics, d);
    rpc_node_metrics_set_api(d->metrics, d->api);
    rpc_node_metrics_sample(d->metrics, clock_mono_ms(&hansa_clock_system));
    uv_timer_start(&d->metrics_tick, on_metrics_tick, 1000, 1000);
    return 0;
}

/* SHA-256 of the running executable; false (logged) if it cannot be read. */
static bool hash_self(hansa_hash *out) {
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f) {
        LOG_W("hansad", "cannot read /proc/self/exe: the software hash is unknown");
        return false;
    }
    sha256_ctx c;
    sha256_init(&c);
    uint8_t buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&c, buf, k);
    bool ok = !ferror(f);
    fclose(f);
    if (ok) sha256_final(&c, out);
    else LOG_W("hansad", "reading /proc/self/exe failed: the software hash is unknown");
    return ok;
}

/* Where config.json and genesis.json are: --conf, else the home. */
static const char *conf_dir;

/* What hansad reads from its home before it starts anything. */
typedef struct {
    config_file cfg;
    genesis_file gen;
    keyfile kf;
    const keyfile_key *key; /* into kf */
} home_files;

/* Frees what h holds; safe on a zeroed h and twice. */
static void home_files_free(home_files *h) {
    keyfile_free(&h->kf);
    genesis_free(&h->gen);
}

/* Loads config.json, genesis.json and node.key from home. Returns 0, or
 * HANSAD_EXIT_START after saying what is wrong (h is freed then). */
static int load_home(const char *home, home_files *h) {
    char path[4096], why[CONFIG_WHY_MAX];
    memset(h, 0, sizeof *h);
    snprintf(path, sizeof path, "%s/config.json", conf_dir ? conf_dir : home);
    if (config_load(path, &h->cfg, why) != HANSA_OK) return fail("config", why);
    int lvl = log_level_parse(h->cfg.log_level);
    if (lvl < 0) {
        snprintf(why, sizeof why, "%s: log_level: expected trace, debug, info, warn or error", path);
        return fail("config", why);
    }
    log_set_level((log_level)lvl);
    snprintf(path, sizeof path, "%s/genesis.json", conf_dir ? conf_dir : home);
    if (genesis_load(path, &h->gen, why) != HANSA_OK) return fail("genesis", why);
    snprintf(path, sizeof path, "%s/node.key", home);
    if (keyfile_load(path, &h->kf, why) != HANSA_OK) {
        home_files_free(h);
        return fail("key file", why);
    }
    const char *name = h->cfg.key_name[0] ? h->cfg.key_name : "node";
    h->key = keyfile_find(&h->kf, name);
    if (!h->key) {
        snprintf(why, sizeof why, "%s holds no key named \"%s\" (config.json \"key\")", path, name);
        home_files_free(h);
        return fail("key file", why);
    }
    return 0;
}

/* The store's map from config.json: with a ceiling, the map starts at the
 * smaller of the default and the ceiling (store_open refuses a ceiling
 * below the start) and doubles up to it; a write past it is a clean stop. */
static store_options store_options_from(const config_file *cfg) {
    store_options so = {0};
    if (cfg->store_map_max_mb == 0) return so;
    so.map_size_bytes_max = (size_t)(cfg->store_map_max_mb << 20);
    so.map_size_bytes = so.map_size_bytes_max < STORE_MAP_BYTES_DEFAULT ? so.map_size_bytes_max
                                                                        : STORE_MAP_BYTES_DEFAULT;
    return so;
}

/* Runs the node until it stops; returns its exit code. */
static int run_node(daemon_ctx *d, const char *home, home_files *h) {
    char why[CONFIG_WHY_MAX];
    node_config *nc = &h->cfg.node;
    nc->st = d->st;
    nc->genesis = &h->gen.g;
    nc->key = &h->key->kp;
    const char *skew = getenv("HANSA_TEST_CLOCK_SKEW_MS");
    clock_skew_ms = skew ? strtoll(skew, NULL, 10) : 0;
    if (clock_skew_ms != 0)
        LOG_W("hansad", "HANSA_TEST_CLOCK_SKEW_MS=%lld: TEST ONLY — this node's wall clock is off by "
                        "that much", (long long)clock_skew_ms);
    nc->clock = clock_skew_ms != 0 ? &skewed_clock : &hansa_clock_system;
    crypto_random(nc->hash_key, sizeof nc->hash_key);
    node_io io = {.ctx = d,
                  .send = io_send,
                  .broadcast = io_broadcast,
                  .drop = io_drop,
                  .wake_at = io_wake_at,
                  .committed = io_committed,
                  .fatal = io_fatal,
                  .credit_event = io_credit_event,
                  .penalize = io_penalize};
    int rc = node_open(nc, &io, &d->n, why, sizeof why) == HANSA_OK ? 0 : fail("node", why);
    if (rc == 0) rc = start_net(d, &h->cfg, &h->key->kp);
    if (rc == 0) rc = start_rpc(d, &h->cfg);
    if (rc != 0) return rc;
    LOG_I("hansad", "hansad %s listening on %s, rpc on %s, %zu peers configured", HANSA_VERSION,
          h->cfg.listen, h->cfg.rpc, h->cfg.n_peers);
    node_start(d->n);
    snprintf(d->routes_path, sizeof d->routes_path, "%s/routes.json", home);
    d->relay = relay_driver_new(&d->loop, d->n, d->routes_path);
    d->route = route_driver_new(&d->loop, rpc_credit_api_route(d->capi), node_chain_id(d->n), d->routes_path);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    return d->exit_code;
}

static int run(daemon_ctx *d, const char *home) {
    home_files h;
    int rc = load_home(home, &h);
    if (rc == 0) {
        d->key = &h.key->kp;
#ifdef HANSA_BYZANTINE_TEST_BUILD
        LOG_W("hansad", "hansad-byzantine: TEST ONLY — this node signs a conflicting prevote "
                        "next to each of its prevotes and WILL BE SLASHED");
#endif
        d->has_software = hash_self(&d->software);
        char path[4096];
        snprintf(path, sizeof path, "%s/data", home);
        store_options so = store_options_from(&h.cfg);
        if (store_open(path, &so, &d->st) != HANSA_OK)
            rc = fail("store", "cannot open it (the log line above says why)");
    }
    if (rc == 0) rc = run_node(d, home, &h);
    /* Whatever happened, the loop's handles (timers, signals, links, rpc)
     * close before the node and store they point at are freed. */
    shutdown_daemon(d);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    node_close(d->n);
    store_close(d->st);
    home_files_free(&h);
    return rc;
}

int main(int argc, char **argv) {
    const char *home = NULL;
    if (argc >= 2 && strcmp(argv[1], "init") == 0) return hansad_init(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) home = argv[++i];
        else if (strcmp(argv[i], "--conf") == 0 && i + 1 < argc) conf_dir = argv[++i];
        else if (strcmp(argv[i], "--version") == 0) {
            printf("hansad %s\n", HANSA_VERSION);
            return 0;
        } else {
            fprintf(stderr, "usage: hansad --home DIR\n");
            return HANSAD_EXIT_START;
        }
    }
    if (!home) {
        fprintf(stderr, "usage: hansad --home DIR\n");
        return HANSAD_EXIT_START;
    }
    crypto_init();
    signal(SIGPIPE, SIG_IGN);
    daemon_ctx d = {0};
    uv_loop_init(&d.loop);
    uv_timer_init(&d.loop, &d.wake);
    d.wake.data = &d;
    uv_timer_init(&d.loop, &d.metrics_tick);
    d.metrics_tick.data = &d;
    uv_signal_init(&d.loop, &d.sigint);
    uv_signal_init(&d.loop, &d.sigterm);
    d.sigint.data = d.sigterm.data = &d;
    uv_signal_start(&d.sigint, on_signal, SIGINT);
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    int rc = run(&d, home);
    HANSA_ASSERT(uv_loop_close(&d.loop) == 0);
    return rc;
}
