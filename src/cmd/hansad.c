/* hansad — the hansa node daemon: one chain's delegate or full node.
 *
 *   hansad --home DIR
 *
 * DIR holds config.json and genesis.json (node/config.h), node.key (the
 * node's identity and, when it is a delegate, its signing key) and data/
 * (the LMDB store). hansad wires the node core (node/) to the real world:
 * a libuv loop, encrypted peer links (net/), the JSON-RPC server (rpc/),
 * the system clock, and SIGINT/SIGTERM for a clean stop.
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
 * that turns it on because it has no such code at all. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "crypto/noise.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "net/host.h"
#include "node/config.h"
#include "node/keyfile.h"
#include "node/msg.h"
#include "node/node.h"
#include "rpc/delegates_api.h"
#include "rpc/node_api.h"
#include "rpc/node_metrics.h"
#include "rpc/server.h"

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
    rpc_node_metrics *metrics;
    node *n;
    store *st;
    const hansa_keypair *key;  /* the node's signing key (borrowed from the key file) */
    bool has_software;
    hansa_hash software;       /* SHA-256 of this executable */
    int exit_code;
    bool stopping;
} daemon_ctx;

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

static void io_broadcast(void *ctx, uint8_t type, const uint8_t *b, size_t len, void *except) {
    daemon_ctx *d = ctx;
    if (!d->net) return;
    net_broadcast(d->net, type, b, len, except);
#ifdef HANSA_BYZANTINE_TEST_BUILD
    if (type == MSG_VOTE) double_sign(d, b, len);
#endif
}

static void io_drop(void *ctx, void *peer, const char *reason) {
    (void)ctx;
    LOG_W("hansad", "dropping peer: %s", reason);
    net_peer_drop(peer, reason);
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
    if (d->api) rpc_node_api_on_commit(d->api, height);
}

static void shutdown_daemon(daemon_ctx *d);

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
    rpc_node_metrics_free(d->metrics);
    d->metrics = NULL;
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
    nc.cb = (net_callbacks){on_peer_up, on_message, on_peer_down, d};
    if (net_host_new(&d->loop, &nc, &d->net) != HANSA_OK) return fail("listen", cfg->listen);
    return 0;
}

static void on_metrics_tick(uv_timer_t *t) {
    daemon_ctx *d = t->data;
    if (d->metrics) rpc_node_metrics_sample(d->metrics, clock_mono_ms(&hansa_clock_system));
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
    d->dapi = rpc_delegates_api_new(d->rpc, d->n);
    d->metrics = rpc_node_metrics_new(d->rpc, d->n);
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
    snprintf(path, sizeof path, "%s/config.json", home);
    if (config_load(path, &h->cfg, why) != HANSA_OK) return fail("config", why);
    int lvl = log_level_parse(h->cfg.log_level);
    if (lvl < 0) {
        snprintf(why, sizeof why, "%s: log_level: expected trace, debug, info, warn or error", path);
        return fail("config", why);
    }
    log_set_level((log_level)lvl);
    snprintf(path, sizeof path, "%s/genesis.json", home);
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

/* Runs the node until it stops; returns its exit code. */
static int run_node(daemon_ctx *d, home_files *h) {
    char why[CONFIG_WHY_MAX];
    node_config *nc = &h->cfg.node;
    nc->st = d->st;
    nc->genesis = &h->gen.g;
    nc->key = &h->key->kp;
    nc->clock = &hansa_clock_system;
    crypto_random(nc->hash_key, sizeof nc->hash_key);
    node_io io = {d, io_send, io_broadcast, io_drop, io_wake_at, io_committed, io_fatal};
    int rc = node_open(nc, &io, &d->n, why, sizeof why) == HANSA_OK ? 0 : fail("node", why);
    if (rc == 0) rc = start_net(d, &h->cfg, &h->key->kp);
    if (rc == 0) rc = start_rpc(d, &h->cfg);
    if (rc != 0) return rc;
    LOG_I("hansad", "hansad %s listening on %s, rpc on %s, %zu peers configured", HANSA_VERSION,
          h->cfg.listen, h->cfg.rpc, h->cfg.n_peers);
    node_start(d->n);
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
        if (store_open(path, &(store_options){0}, &d->st) != HANSA_OK)
            rc = fail("store", "cannot open it (the log line above says why)");
    }
    if (rc == 0) rc = run_node(d, &h);
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
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) home = argv[++i];
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
