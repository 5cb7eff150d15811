/* testnet.c — a local hansa network in one folder (default ./testnet):
 *
 *   DIR/accounts.key          keys of the funded accounts acct0..acctK-1
 *   DIR/node<i>/config.json   listen/rpc ports on 127.0.0.1, all others as peers
 *   DIR/node<i>/genesis.json  the same genesis for every node
 *   DIR/node<i>/node.key      the node's identity and delegate key
 *   DIR/node<i>/data/         its store;  hansad.log its log;  hansad.pid
 *
 * Nodes node0..nodeV-1 are the genesis delegates; --full-nodes F adds
 * nodeV..nodeV+F-1, full nodes whose keys are not in the genesis set (they
 * can stake and be elected). --elections '{"epoch_blocks": 10, ...}' puts
 * that object in the genesis as its "elections" parameters.
 *
 * `up` creates the folder on first use (keys, genesis, configs on free
 * ports) and starts every node as a background process; on a folder that
 * already exists it starts the nodes that are not running, from their
 * stores, and says which were already running (it refuses options that
 * would shape the network differently from the one in the folder, rather
 * than ignore them). `down` stops them (SIGTERM, then SIGKILL after a grace
 * period) and leaves no process. Exit codes follow docs/cli.md. */
#include "cmd/lib/testnet.h"

#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"

#define TESTNET_NODES_MAX 64
#define TESTNET_CHAIN 0xe2e4u
#define ACCOUNT_BALANCE 1000000000000ull

static int bindable(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* The lowest port the kernel hands out to outgoing connections. A node's
 * port inside that range can be taken by any connection's source port while
 * the node is down, and it then cannot listen again (seen in CI: a restarted
 * delegate's port was in use). */
static int ephemeral_low(void) {
    int lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &lo, &hi) != 2) lo = 32768;
        fclose(f);
    }
    return lo;
}

/* A run of 2n free ports below the ephemeral range (above it if that range
 * leaves too little room), searched from a pseudo-random start so that two
 * networks on one machine rarely collide. The pid is mixed in: two tests
 * started in the same millisecond (ctest -j) must not start alike. */
static int free_port_base(int n) {
    int lo = 10000, hi = ephemeral_low(), step = 2 * n + 10;
    if (hi - lo < 40 * step) {
        lo = 20000;
        hi = 60000;
    }
    uint64_t mix = clock_system_mono_us() / 7 + (uint64_t)getpid() * 7919u;
    int start = lo + (int)(mix % (uint64_t)(hi - lo - step));
    for (int i = 0, base = start; i < (hi - lo) / step; i++, base += step) {
        if (base + 2 * n > hi) base = lo + (base - lo) % step; /* wrap around once */
        int ok = 1;
        for (int p = base; p < base + 2 * n && ok; p++) ok = bindable(p);
        if (ok) return base;
    }
    return -1;
}

static int write_json(const char *path, json_t *j) {
    int rc = json_dump_file(j, path, JSON_INDENT(2)) == 0 ? 0 : -1;
    json_decref(j);
    if (rc) fprintf(stderr, "hansa testnet: cannot write %s\n", path);
    return rc;
}

/* Total nodes: delegates then full nodes. */
static int node_count(const testnet_opts *o) { return o->validators + o->full_nodes; }

static uint32_t chain_of(const testnet_opts *o) { return o->chain_id ? o->chain_id : TESTNET_CHAIN; }

static json_t *make_genesis(const testnet_opts *o, const hansa_keypair *nodes, const keyfile *accts,
                            json_t *elections) {
    char chain[CHAIN_ID_TEXT_MAX], hex[65];
    chain_id_format(chain_of(o), chain);
    json_t *dels = json_array(), *acc = json_array();
    for (int i = 0; i < o->validators; i++) {
        hex_encode(nodes[i].pub.b, HANSA_PUBKEY_BYTES, hex);
        json_array_append_new(dels, json_pack("{s:s, s:i}", "pubkey", hex, "power", 10));
    }
    for (size_t i = 0; i < accts->count; i++) {
        char addr[ADDR_TEXT_MAX], bal[24];
        keyfile_address(accts, &accts->keys[i], addr);
        snprintf(bal, sizeof bal, "%llu", ACCOUNT_BALANCE);
        json_array_append_new(acc, json_pack("{s:s, s:s}", "address", addr, "balance", bal));
    }
    /* Key generation goes on chain as transactions that pay a fee from the
     * node key's account: without a balance there, --frost would end in a
     * failed session with every dealer blamed absent. Full nodes too, as
     * an election may bring them into the set. */
    for (int i = 0; o->frost && i < node_count(o); i++) {
        char addr[ADDR_TEXT_MAX];
        hansa_addr a;
        addr_from_pubkey(&nodes[i].pub, &a);
        addr_format(chain_of(o), &a, addr);
        json_array_append_new(acc, json_pack("{s:s, s:s}", "address", addr, "balance", "1000000"));
    }
    uint64_t now_ms = clock_wall_ms(&hansa_clock_system);
    json_t *g = json_pack("{s:s, s:I, s:{s:i, s:i, s:i}, s:o, s:o}", "chain_id", chain,
                          "genesis_time_ms", (json_int_t)(now_ms / 1000 * 1000), "params",
                          "fee_burn_bps", 5000, "min_fee", 1, "max_block_txs", 10000, "accounts",
                          acc, "delegates", dels);
    if (elections) json_object_set(g, "elections", elections);
    if (o->checkpoint_blocks)
        json_object_set_new(json_object_get(g, "params"), "checkpoint_blocks",
                            json_integer((json_int_t)o->checkpoint_blocks));
    return g;
}

static json_t *make_config(const testnet_opts *o, int base, int i) {
    char listen[32], rpc[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", base + 2 * i);
    snprintf(rpc, sizeof rpc, "127.0.0.1:%d", base + 2 * i + 1);
    json_t *peers = json_array();
    for (int j = 0; j < node_count(o); j++) {
        if (j == i) continue;
        char p[32];
        snprintf(p, sizeof p, "127.0.0.1:%d", base + 2 * j);
        json_array_append_new(peers, json_string(p));
    }
    uint32_t tp = o->timeout_propose_ms;
    json_t *c = json_pack("{s:s, s:s, s:o, s:s, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:i}", "listen",
                     listen, "rpc", rpc, "peers", peers, "log_level", "info", "timeouts_ms",
                     "propose", tp, "propose_delta", tp / 2, "prevote", tp, "prevote_delta",
                     tp / 2, "precommit", tp, "precommit_delta", tp / 2, "commit_delay_ms", 100);
    if (o->frost) json_object_set_new(c, "frost_dkg", json_true()); /* full nodes may be elected */
    return c;
}

static int init_node(const testnet_opts *o, int i, int base, const hansa_keypair *kp,
                     json_t *genesis) {
    char path[4096], why[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/node%d", o->dir, i);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
    keyfile kf;
    keyfile_init(&kf, chain_of(o));
    uint8_t seed[HANSA_SEED_BYTES];
    memcpy(seed, kp->secret, sizeof seed);
    keyfile_add(&kf, "node", seed, why);
    snprintf(path, sizeof path, "%s/node%d/node.key", o->dir, i);
    hansa_err err = keyfile_create(&kf, path, why);
    keyfile_free(&kf);
    if (err != HANSA_OK) {
        fprintf(stderr, "hansa testnet: %s\n", why);
        return -1;
    }
    snprintf(path, sizeof path, "%s/node%d/genesis.json", o->dir, i);
    if (write_json(path, json_deep_copy(genesis))) return -1;
    snprintf(path, sizeof path, "%s/node%d/config.json", o->dir, i);
    return write_json(path, make_config(o, base, i));
}

static int init_network(const testnet_opts *o) {
    char path[4096], why[KEYFILE_WHY_MAX];
    /* cmd_testnet checked that it is an object. */
    json_t *elections = o->elections ? json_loads(o->elections, 0, NULL) : NULL;
    HANSA_ASSERT(!o->elections || json_is_object(elections));
    if (mkdir(o->dir, 0700) != 0) {
        fprintf(stderr, "hansa testnet: cannot create %s: %s\n", o->dir, strerror(errno));
        json_decref(elections);
        return -1;
    }
    hansa_keypair nodes[TESTNET_NODES_MAX];
    for (int i = 0; i < node_count(o); i++) keypair_generate(&nodes[i]);
    keyfile accts;
    keyfile_init(&accts, chain_of(o));
    for (int i = 0; i < o->accounts; i++) {
        char name[32];
        snprintf(name, sizeof name, "acct%d", i);
        keyfile_generate(&accts, name, why);
    }
    snprintf(path, sizeof path, "%s/accounts.key", o->dir);
    int rc = keyfile_create(&accts, path, why) == HANSA_OK ? 0 : -1;
    json_t *genesis = make_genesis(o, nodes, &accts, elections);
    json_decref(elections);
    keyfile_free(&accts);
    int base = o->port_base ? o->port_base : free_port_base(node_count(o));
    for (int i = 0; i < node_count(o) && rc == 0 && base > 0; i++)
        rc = init_node(o, i, base, &nodes[i], genesis);
    json_decref(genesis);
    for (int i = 0; i < node_count(o); i++) keypair_wipe(&nodes[i]);
    return base > 0 ? rc : -1;
}

int testnet_init_dir(const testnet_opts *o) { return init_network(o) == 0 ? 0 : 1; }

int testnet_free_port_base(int ports) { return free_port_base((ports + 1) / 2); }

int testnet_size(const char *dir) {
    int n = 0;
    char path[4096];
    for (; n < TESTNET_NODES_MAX; n++) {
        snprintf(path, sizeof path, "%s/node%d/config.json", dir, n);
        if (access(path, R_OK) != 0) break;
    }
    return n;
}

int testnet_rpc_addr(const char *dir, int i, char *out, size_t out_len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/node%d/config.json", dir, i);
    json_t *j = json_load_file(path, 0, NULL);
    const char *rpc = json_string_value(json_object_get(j, "rpc"));
    int rc = rpc ? 0 : -1;
    if (rpc) snprintf(out, out_len, "%s", rpc);
    json_decref(j);
    return rc;
}

/* True if pid runs and is not a zombie (a killed node whose parent has not
 * reaped it yet must count as stopped). */
static bool alive(pid_t pid) {
    if (kill(pid, 0) != 0) return false;
    char path[64], state = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1) state = 0;
    fclose(f);
    return state != 'Z' && state != 'X';
}

static pid_t read_pid(const char *dir, int i) {
    char path[4096];
    snprintf(path, sizeof path, "%s/node%d/hansad.pid", dir, i);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid > 0 && alive((pid_t)pid) ? (pid_t)pid : 0;
}

int testnet_node_pid(const char *dir, int i) { return (int)read_pid(dir, i); }

/* The hansad next to this hansa binary. */
static void hansad_path(char *out, size_t len) {
    ssize_t k = readlink("/proc/self/exe", out, len - 16);
    if (k <= 0) {
        snprintf(out, len, "hansad");
        return;
    }
    out[k] = 0;
    char *slash = strrchr(out, '/');
    snprintf(slash + 1, len - (size_t)(slash + 1 - out), "hansad");
}

/* In the child, before exec: asks for SIGTERM when the parent dies (the
 * setting survives exec and setsid). A parent that died before the request
 * took effect would never send it: the child has been handed to another
 * process by then, so it checks and leaves. Only async-signal-safe calls:
 * the parent may have threads. */
static void die_with(pid_t parent) {
    static const char failed[] = "hansa: the node could not ask for its parent-death signal (prctl): not started\n";
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) {
        (void)!write(STDERR_FILENO, failed, sizeof failed - 1); /* its log is not open yet */
        _exit(127);
    }
    if (getppid() != parent) _exit(127);
}

static int start_node(const char *dir, int i, bool die_with_parent) {
    if (read_pid(dir, i)) return 0; /* already running */
    char exe[4096], home[4096], log[4200], pidf[4200];
    hansad_path(exe, sizeof exe);
    snprintf(home, sizeof home, "%s/node%d", dir, i);
    snprintf(log, sizeof log, "%s/hansad.log", home);
    snprintf(pidf, sizeof pidf, "%s/hansad.pid", home);
    pid_t parent = getpid();
    /* PDEATHSIG follows the forking thread, not the process: a node forked
     * by a thread that ends first would be stopped with it. */
    HANSA_ASSERT(!die_with_parent || parent == (pid_t)syscall(SYS_gettid));
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (die_with_parent) die_with(parent);
        setsid();
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(exe, "hansad", "--home", home, (char *)NULL);
        _exit(127);
    }
    FILE *f = fopen(pidf, "w");
    if (!f) return -1;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    return 0;
}

/* Waits until every node answers status. Returns CLI_OK, CLI_FAILED if a
 * node's process exited (its log says why), or CLI_UNREACHABLE if one runs
 * but does not answer within timeout_ms. */
static int wait_ready(const char *dir, int n, int timeout_ms) {
    uint64_t deadline = clock_system_mono_us() + (uint64_t)timeout_ms * 1000;
    cli_progress prog = cli_progress_start();
    for (int i = 0; i < n; i++) {
        char addr[64];
        if (testnet_rpc_addr(dir, i, addr, sizeof addr)) return CLI_FAILED;
        for (;;) {
            cli_progress_tick(&prog, "waiting for node%d of %d to answer", i, n);
            rpcc_error err;
            json_t *r = rpcc_call(addr, "status", NULL, 1000, &err);
            if (r) {
                json_decref(r);
                break;
            }
            json_decref(err.data);
            if (!read_pid(dir, i)) {
                cli_progress_end(&prog);
                fprintf(stderr, "hansa testnet: node%d exited at start (see %s/node%d/hansad.log)\n",
                        i, dir, i);
                return CLI_FAILED;
            }
            if (clock_system_mono_us() > deadline) {
                cli_progress_end(&prog);
                fprintf(stderr, "hansa testnet: node%d does not answer: %s (see %s/node%d/hansad.log)\n",
                        i, err.message, dir, i);
                return CLI_UNREACHABLE;
            }
            usleep(100000);
        }
    }
    cli_progress_end(&prog);
    return CLI_OK;
}

/* ---- an existing network against the options given ---- */

static json_t *node_json(const char *dir, int i, const char *file) {
    char path[4096];
    snprintf(path, sizeof path, "%s/node%d/%s", dir, i, file);
    return json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
}

/* Refuses (false, message on stderr) an option given on the command line
 * whose value differs from what the network in o->dir was made with: the
 * network is not remade, so the option would silently do nothing. */
static bool same_shape(const testnet_opts *o, int n) {
    json_t *gen = node_json(o->dir, 0, "genesis.json"), *cfg = node_json(o->dir, 0, "config.json");
    int delegates = (int)json_array_size(json_object_get(gen, "delegates"));
    json_t *elect = json_object_get(gen, "elections");
    int propose = (int)json_integer_value(json_object_get(json_object_get(cfg, "timeouts_ms"), "propose"));
    char path[4096], why[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/accounts.key", o->dir);
    keyfile kf;
    int accounts = keyfile_load(path, &kf, why) == HANSA_OK ? (int)kf.count : -1;
    if (accounts >= 0) keyfile_free(&kf);
    json_t *want_elect = o->elections ? json_loads(o->elections, 0, NULL) : NULL;
    const char *differs = NULL;
    char have[64] = "";
    if (o->validators_given && o->validators != delegates) {
        differs = "--validators";
        snprintf(have, sizeof have, "%d delegates", delegates);
    } else if (o->full_nodes_given && o->full_nodes != n - delegates) {
        differs = "--full-nodes";
        snprintf(have, sizeof have, "%d full nodes", n - delegates);
    } else if (o->accounts_given && o->accounts != accounts) {
        differs = "--accounts";
        snprintf(have, sizeof have, "%d accounts", accounts);
    } else if (o->timeout_given && (int)o->timeout_propose_ms != propose) {
        differs = "--timeout-ms";
        snprintf(have, sizeof have, "a propose timeout of %d ms", propose);
    } else if (o->elections && !(elect ? json_equal(want_elect, elect) : json_object_size(want_elect) == 0)) {
        differs = "--elections";
        snprintf(have, sizeof have, "other election parameters");
    }
    if (differs)
        fprintf(stderr, "hansa testnet: %s does not match the network in %s (it has %s); "
                        "the options only shape a new network: `hansa testnet down --dir %s` and "
                        "remove the folder to make another\n", differs, o->dir, have, o->dir);
    json_decref(want_elect);
    json_decref(gen);
    json_decref(cfg);
    return differs == NULL;
}

int testnet_up_dir(const testnet_opts *o) {
    struct stat st;
    bool fresh = stat(o->dir, &st) != 0;
    if (fresh && init_network(o) != 0) return CLI_FAILED;
    int n = testnet_size(o->dir);
    if (n == 0) {
        fprintf(stderr, "hansa testnet: %s exists but holds no network\n", o->dir);
        return CLI_USAGE;
    }
    if (!fresh && !same_shape(o, n)) return CLI_USAGE;
    int running = 0;
    for (int i = 0; i < n; i++) {
        if (read_pid(o->dir, i)) {
            running++;
            continue;
        }
        if (start_node(o->dir, i, o->die_with_parent) != 0) {
            fprintf(stderr, "hansa testnet: cannot start node%d: %s\n", i, strerror(errno));
            return CLI_FAILED;
        }
    }
    int rc = wait_ready(o->dir, n, 20000);
    if (rc != CLI_OK) return rc;
    json_t *nodes = json_array();
    if (o->json) {
        /* the JSON object below says it all */
    } else if (fresh) {
        printf("started %d nodes in %s (logs: %s/node*/hansad.log)\n", n, o->dir, o->dir);
    } else if (running == n) {
        printf("all %d nodes in %s were already running; nothing started\n", n, o->dir);
    } else {
        printf("started %d of %d nodes in %s (%d already running; logs: %s/node*/hansad.log)\n",
               n - running, n, o->dir, running, o->dir);
    }
    for (int i = 0; i < n; i++) {
        char addr[64];
        testnet_rpc_addr(o->dir, i, addr, sizeof addr);
        if (!o->json) printf("  node%d  rpc http://%s  pid %d\n", i, addr, (int)read_pid(o->dir, i));
        json_array_append_new(nodes, json_pack("{s:i, s:s, s:i}", "node", i, "rpc", addr, "pid",
                                               (int)read_pid(o->dir, i)));
    }
    if (o->json) {
        json_t *j = json_pack("{s:s, s:b, s:o}", "dir", o->dir, "created", fresh, "nodes", nodes);
        cli_print_json(j);
        json_decref(j);
    } else {
        char addr[64];
        testnet_rpc_addr(o->dir, 0, addr, sizeof addr);
        printf("  explorer: http://%s/explorer/\n", addr);
        json_decref(nodes);
    }
    return CLI_OK;
}

/* Stops node i (SIGTERM, then SIGKILL after a 5 s grace) and removes its
 * pid file; 1 if it was running, 0 if not. */
static int stop_node(const char *dir, int i, cli_progress *prog) {
    pid_t pid = read_pid(dir, i);
    if (!pid) return 0;
    kill(pid, SIGTERM);
    for (int t = 0; t < 100 && alive(pid); t++) {
        if (prog) cli_progress_tick(prog, "waiting for node%d (pid %d) to stop", i, (int)pid);
        waitpid(pid, NULL, WNOHANG);
        usleep(50000);
    }
    if (alive(pid)) kill(pid, SIGKILL);
    char path[4096];
    snprintf(path, sizeof path, "%s/node%d/hansad.pid", dir, i);
    unlink(path);
    return 1;
}

int testnet_stop_node(const char *dir, int i) { return stop_node(dir, i, NULL); }

int testnet_down_dir(const testnet_opts *o) {
    int n = testnet_size(o->dir), stopped = 0;
    if (n == 0) {
        fprintf(stderr, "hansa testnet: no network in %s\n", o->dir);
        return CLI_USAGE;
    }
    cli_progress prog = cli_progress_start();
    for (int i = 0; i < n; i++) stopped += stop_node(o->dir, i, &prog);
    cli_progress_end(&prog);
    if (o->json) {
        json_t *j = json_pack("{s:s, s:i}", "dir", o->dir, "stopped", stopped);
        cli_print_json(j);
        json_decref(j);
    } else {
        printf("stopped %d node%s in %s\n", stopped, stopped == 1 ? "" : "s", o->dir);
    }
    return CLI_OK;
}

/* Exit code CLI_UNREACHABLE when some node does not answer. */
static int testnet_status(const testnet_opts *o) {
    int n = testnet_size(o->dir), bad = 0;
    if (n == 0) {
        fprintf(stderr, "hansa testnet: no network in %s (start one with `hansa testnet up`)\n", o->dir);
        return CLI_USAGE;
    }
    json_t *all = json_array();
    if (!o->json)
        printf("%-6s %-8s %-8s %-6s %-6s %-10s %s\n", "node", "pid", "height", "round", "peers",
               "mempool", "app hash");
    for (int i = 0; i < n; i++) {
        char addr[64];
        testnet_rpc_addr(o->dir, i, addr, sizeof addr);
        rpcc_error err;
        json_t *r = rpcc_call(addr, "status", NULL, 2000, &err);
        int pid = (int)read_pid(o->dir, i);
        if (!r) {
            if (!o->json) printf("node%-2d %-8d down (%s)\n", i, pid, err.message);
            json_array_append_new(all, json_pack("{s:i, s:i, s:s, s:b, s:s}", "node", i, "pid", pid, "rpc",
                                                 addr, "up", false, "error", err.message));
            json_decref(err.data);
            bad = CLI_UNREACHABLE;
            continue;
        }
        if (!o->json)
            printf("node%-2d %-8d %-8lld %-6lld %-6lld %-10lld %.16s…\n", i, pid,
                   json_integer_value(json_object_get(r, "height")),
                   json_integer_value(json_object_get(r, "consensus_round")),
                   json_integer_value(json_object_get(r, "peers")),
                   json_integer_value(json_object_get(r, "mempool_txs")),
                   json_string_value(json_object_get(r, "app_hash")));
        json_array_append_new(all, json_pack("{s:i, s:i, s:s, s:b, s:o}", "node", i, "pid", pid, "rpc", addr,
                                             "up", true, "status", r));
    }
    if (o->json) cli_print_json(all);
    json_decref(all);
    return bad;
}

static int usage(void) {
    fprintf(stderr, "usage: hansa testnet up [--validators N] [--accounts K] [--dir D] [--timeout-ms T]\n"
                    "                        [--full-nodes F] [--elections JSON] [--frost]\n"
                    "                        [--checkpoint-blocks C]\n"
                    "       hansa testnet status [--dir D]\n"
                    "       hansa testnet down [--dir D]\n"
                    "       (each takes --json)\n"
                    "  N 1..64 (4), F 0..63 (0; N + F at most 64), K 1..1000 (16), T 1..600000 ms (1000),\n"
                    "  C 1..1000000 (256: heights between state roots, docs/ledger.md)\n");
    return CLI_USAGE;
}

/* One option with its value in argv[*i + 1]; false for an unknown option,
 * a missing value or one out of range. */
static bool parse_option(int argc, char **argv, int *i, testnet_opts *o) {
    if (strcmp(argv[*i], "--json") == 0) return o->json = true;
    if (strcmp(argv[*i], "--frost") == 0) return o->frost = true;
    if (*i + 1 >= argc) return false;
    const char *a = argv[*i], *v = argv[++*i];
    int x = 0;
    if (strcmp(a, "--dir") == 0) return (o->dir = v)[0] != '\0';
    if (strcmp(a, "--elections") == 0) return (o->elections = v) != NULL;
    if (strcmp(a, "--validators") == 0 && cli_parse_int(v, 1, TESTNET_NODES_MAX, &x))
        return o->validators = x, o->validators_given = true;
    if (strcmp(a, "--accounts") == 0 && cli_parse_int(v, 1, 1000, &x))
        return o->accounts = x, o->accounts_given = true;
    if (strcmp(a, "--full-nodes") == 0 && cli_parse_int(v, 0, TESTNET_NODES_MAX - 1, &x))
        return o->full_nodes = x, o->full_nodes_given = true;
    if (strcmp(a, "--timeout-ms") == 0 && cli_parse_int(v, 1, 600000, &x))
        return o->timeout_propose_ms = (uint32_t)x, o->timeout_given = true;
    if (strcmp(a, "--checkpoint-blocks") == 0 && cli_parse_int(v, 1, 1000000, &x))
        return o->checkpoint_blocks = (uint32_t)x, true;
    return false;
}

int cmd_testnet(int argc, char **argv) {
    if (argc < 2) return usage();
    testnet_opts o = {"testnet", 4, 16, 1000};
    for (int i = 2; i < argc; i++)
        if (!parse_option(argc, argv, &i, &o)) return usage();
    if (o.validators + o.full_nodes > TESTNET_NODES_MAX) {
        fprintf(stderr, "hansa testnet: --validators and --full-nodes together must be at most %d\n",
                TESTNET_NODES_MAX);
        return CLI_USAGE;
    }
    if (o.elections) {
        json_error_t je;
        json_t *e = json_loads(o.elections, JSON_REJECT_DUPLICATES, &je);
        bool ok = json_is_object(e);
        json_decref(e);
        if (!ok) {
            fprintf(stderr, "hansa testnet: --elections must be a JSON object: %s\n",
                    e ? "not an object" : je.text);
            return CLI_USAGE;
        }
    }
    crypto_init();
    if (strcmp(argv[1], "up") == 0) return testnet_up_dir(&o);
    if (strcmp(argv[1], "down") == 0) return testnet_down_dir(&o);
    if (strcmp(argv[1], "status") == 0) return testnet_status(&o);
    return usage();
}
