/* federation.c — `hansa federation up|status|down`: K local chains, each a
 * testnet of N delegates (testnet.c) with its own chain id (fed1, fed2,
 * ...), each keeping an approved light client of every other one and a
 * routing table to all of them, so that their relays (hansad's relay
 * driver) keep every client following its chain.
 *
 *   DIR/chain-<id>/   one testnet folder per chain (node<i>/ with config,
 *                     genesis, node.key, routes.json, store, log)
 *
 * The clients come from genesis entries (one of the two ways to approve a
 * client, ledger/client.h), or with --approve-by-stake from the other one:
 * registration transactions approved by the delegates' bonded stake (which
 * is all of it at genesis). A genesis entry is the trust
 * root of the other chain, taken from that chain's own genesis — height
 * 0, its genesis time, its genesis validator set as both the set and the
 * next set. A genesis root carries no app hash (chain A's genesis would
 * have to contain B's, which contains A's): nothing is ever proven against
 * height 0's state. The delegates' own addresses are funded at genesis:
 * relaying is a delegate duty and each update pays the minimum fee. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "consensus/valset.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/config.h"
#include "node/keyfile.h"
#include "node/route.h"
#include "wire/codec.h"

#define FED_CHAINS_MAX 8
#define FED_CHAIN_BASE 0xfed1u
#define FED_TRUSTING_PERIOD_MS (14ull * 24 * 3600 * 1000)
#define FED_CLOCK_DRIFT_MS 10000
#define FED_DELEGATE_BALANCE "1000000000"
#define FED_CHECKPOINT_WAIT_S 120 /* --frost: a chain's first key generation and checkpoint */

typedef struct {
    const char *dir;
    int chains, validators, full_nodes;
    uint32_t timeout_ms;
    const char *elections;
    bool by_stake; /* register and approve the clients by transactions, not genesis entries */
    int accounts;  /* funded accounts per chain (acct0..) */
    bool frost;    /* delegates run FROST key generation and checkpoint signing */
    int checkpoint_blocks; /* state roots (and snapshots) every K heights; 0: the default */
    bool die_with_parent;  /* the nodes stop when this process dies (federation_run) */
} fed_opts;

static int nodes_of(const fed_opts *o) { return o->validators + o->full_nodes; }

static void chain_dir(const fed_opts *o, int k, char *out, size_t n) {
    snprintf(out, n, "%s/chain-%x", o->dir, FED_CHAIN_BASE + (unsigned)k);
}

static testnet_opts chain_opts(const fed_opts *o, int k, char *dir, size_t n, int port_base) {
    chain_dir(o, k, dir, n);
    return (testnet_opts){.dir = dir, .validators = o->validators, .accounts = o->accounts,
                          .timeout_propose_ms = o->timeout_ms, .full_nodes = o->full_nodes,
                          .elections = o->elections, .chain_id = FED_CHAIN_BASE + (uint32_t)k,
                          .port_base = port_base, .frost = o->frost,
                          .checkpoint_blocks = (uint32_t)o->checkpoint_blocks,
                          .die_with_parent = o->die_with_parent};
}

/* Chain k's genesis trust root, from its node0/genesis.json. */
static bool genesis_root(const char *dir, ic_create *out) {
    char path[4200], why[CONFIG_WHY_MAX];
    snprintf(path, sizeof path, "%s/node0/genesis.json", dir);
    genesis_file g;
    if (genesis_load(path, &g, why) != HANSA_OK) {
        fprintf(stderr, "hansa federation: %s\n", why);
        return false;
    }
    cons_valset vs;
    bool ok = valset_init(&vs, g.g.delegates, g.g.n_delegates) == HANSA_OK;
    memset(out, 0, sizeof *out);
    out->params = (ic_params){g.g.params.chain_id, FED_TRUSTING_PERIOD_MS, FED_CLOCK_DRIFT_MS};
    out->root.time_ms = g.g.params.genesis_time_ms;
    wire_valset w = valset_as_wire(&vs);
    wire_valset_hash(&w, &out->root.validators_hash);
    out->root.next_validators_hash = out->root.validators_hash;
    genesis_free(&g);
    return ok;
}

static bool has_account(const json_t *accounts, const char *addr) {
    for (size_t i = 0; i < json_array_size(accounts); i++) {
        const char *a = json_string_value(json_object_get(json_array_get(accounts, i), "address"));
        if (a && strcmp(a, addr) == 0) return true;
    }
    return false;
}

/* Adds the other chains' roots and the delegates' accounts to every
 * genesis.json of the chain in dir. */
static bool patch_genesis(const char *dir, int n_nodes, int self, const ic_create *roots, int chains,
                          bool with_clients) {
    char path[4200];
    for (int i = 0; i < n_nodes; i++) {
        snprintf(path, sizeof path, "%s/node%d/genesis.json", dir, i);
        json_t *g = json_load_file(path, 0, NULL);
        if (!g) return false;
        json_t *clients = json_array();
        for (int k = 0; k < chains && with_clients; k++)
            if (k != self) json_array_append_new(clients, config_trust_root_json(&roots[k]));
        json_object_set_new(g, "clients", clients);
        json_t *accounts = json_object_get(g, "accounts");
        for (int d = 0; d < n_nodes; d++) {
            char kpath[4200], why[KEYFILE_WHY_MAX], addr[ADDR_TEXT_MAX];
            snprintf(kpath, sizeof kpath, "%s/node%d/node.key", dir, d);
            keyfile kf;
            if (keyfile_load(kpath, &kf, why) != HANSA_OK) {
                json_decref(g);
                return false;
            }
            keyfile_address(&kf, &kf.keys[0], addr);
            keyfile_free(&kf);
            if (!has_account(accounts, addr)) /* testnet --frost funds node keys already */
                json_array_append_new(accounts, json_pack("{s:s, s:s}", "address", addr, "balance", FED_DELEGATE_BALANCE));
        }
        int rc = json_dump_file(g, path, JSON_INDENT(2));
        json_decref(g);
        if (rc != 0) return false;
    }
    return true;
}

/* Every node of chain `self` routes to every node's RPC of the others. */
static bool write_routes(const fed_opts *o, int self, const ic_create *roots) {
    route_table t = {0};
    char why[CONFIG_WHY_MAX], dir[4096], path[4200];
    for (int k = 0; k < o->chains; k++) {
        if (k == self) continue;
        route_entry e = {.chain_id = FED_CHAIN_BASE + (uint32_t)k, .has_root = true, .root = roots[k]};
        chain_dir(o, k, dir, sizeof dir);
        for (int i = 0; i < nodes_of(o) && i < ROUTE_SEEDS_MAX; i++)
            if (testnet_rpc_addr(dir, i, e.seeds[e.n_seeds], CONFIG_ADDR_MAX) == 0) e.n_seeds++;
        if (route_put(&t, &e, why) != HANSA_OK) {
            fprintf(stderr, "hansa federation: %s\n", why);
            route_table_free(&t);
            return false;
        }
    }
    chain_dir(o, self, dir, sizeof dir);
    bool ok = true;
    for (int i = 0; i < nodes_of(o) && ok; i++) {
        snprintf(path, sizeof path, "%s/node%d/routes.json", dir, i);
        ok = route_table_save(path, &t, why) == HANSA_OK;
        if (!ok) fprintf(stderr, "hansa federation: %s\n", why);
    }
    route_table_free(&t);
    return ok;
}

static int fed_init(const fed_opts *o) {
    if (mkdir(o->dir, 0700) != 0) {
        fprintf(stderr, "hansa federation: cannot create %s\n", o->dir);
        return 1;
    }
    int base = testnet_free_port_base(2 * nodes_of(o) * o->chains);
    if (base < 0) {
        fprintf(stderr, "hansa federation: no free ports\n");
        return 1;
    }
    char dir[4096];
    ic_create roots[FED_CHAINS_MAX];
    for (int k = 0; k < o->chains; k++) {
        testnet_opts t = chain_opts(o, k, dir, sizeof dir, base + 2 * nodes_of(o) * k);
        if (testnet_init_dir(&t) != 0 || !genesis_root(dir, &roots[k])) return 1;
    }
    for (int k = 0; k < o->chains; k++) {
        chain_dir(o, k, dir, sizeof dir);
        if (!patch_genesis(dir, nodes_of(o), k, roots, o->chains, !o->by_stake) || !write_routes(o, k, roots)) {
            fprintf(stderr, "hansa federation: cannot write the genesis or routes of chain %x\n", roots[k].params.chain_id);
            return 1;
        }
    }
    return 0;
}

static int fed_count(const fed_opts *o) {
    int k = 0;
    char dir[4096];
    for (; k < FED_CHAINS_MAX; k++) {
        chain_dir(o, k, dir, sizeof dir);
        if (testnet_size(dir) == 0) break;
    }
    return k;
}

/* `hansa client ARGS` in this process (cli_client.c), tried a few times: a
 * delegate's approval can meet its own relay transaction (of a client
 * approved a moment before) holding the nonce it read; the next block
 * clears that. */
static int client_cmd(const char *const *args, int n) {
    char *argv[24];
    for (int i = 0; i < n; i++) argv[i] = (char *)args[i];
    argv[n] = NULL;
    int rc = 1;
    for (int attempt = 0; attempt < 5 && rc != 0; attempt++) {
        if (attempt) usleep(500000);
        rc = cmd_client(n, argv);
    }
    return rc;
}

/* Whether the node at addr's client of chain is active: approved already
 * (more than 2/3 of the stake, e.g. 3 of 4 delegates, ends the approval). */
static bool client_active(const char *addr, const char *chain) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, "client", json_pack("{s:s}", "chain_id", chain), 2000, &err);
    json_decref(err.data);
    bool active = r && strcmp(cli_str(r, "status"), "active") == 0;
    json_decref(r);
    return active;
}

/* Waits (up to FED_CHECKPOINT_WAIT_S) until the node at addr serves a
 * signed checkpoint: its chain has run its first key generation. */
static bool wait_checkpoint(const char *addr) {
    for (int i = 0; i < 4 * FED_CHECKPOINT_WAIT_S; i++) {
        rpcc_error err = {0};
        json_t *r = rpcc_call(addr, "checkpoint", json_object(), 2000, &err);
        json_decref(err.data);
        if (r) {
            json_decref(r);
            return true;
        }
        usleep(250000);
    }
    fprintf(stderr, "hansa federation: %s served no FROST checkpoint within %d s\n", addr, FED_CHECKPOINT_WAIT_S);
    return false;
}

/* The other way to approve a client than a genesis entry: on each chain,
 * its first account registers a client of every other chain (trust root:
 * that chain's newest header; with --frost, the header of that chain's
 * newest checkpoint and the group key that signed it, once it has one),
 * and every delegate approves it — together they hold all the bonded
 * stake. */
static int register_by_stake(const fed_opts *o) {
    char dir_k[4096], dir_j[4096], node_k[64], src_j[64], accts[4200], key[4200], chain_j[CHAIN_ID_TEXT_MAX];
    for (int k = 0; k < o->chains; k++) {
        chain_dir(o, k, dir_k, sizeof dir_k);
        snprintf(accts, sizeof accts, "%s/accounts.key", dir_k);
        for (int j = 0; j < o->chains; j++) {
            if (j == k) continue;
            chain_dir(o, j, dir_j, sizeof dir_j);
            chain_id_format(FED_CHAIN_BASE + (uint32_t)j, chain_j);
            if (testnet_rpc_addr(dir_k, 0, node_k, sizeof node_k) || testnet_rpc_addr(dir_j, 0, src_j, sizeof src_j))
                return 1;
            const char *reg[] = {"client", "register", chain_j, "--source", src_j, "--from", "acct0", "--keys", accts,
                                 "--node", node_k, "--cert", "frost"};
            if (o->frost && !wait_checkpoint(src_j)) return 1;
            if (client_cmd(reg, o->frost ? 13 : 11) != 0) return 1;
            for (int i = 0; i < o->validators && !client_active(node_k, chain_j); i++) {
                snprintf(key, sizeof key, "%s/node%d/node.key", dir_k, i);
                if (testnet_rpc_addr(dir_k, i, node_k, sizeof node_k)) return 1;
                const char *app[] = {"client", "approve", chain_j, "--from", "node", "--keys", key, "--node", node_k};
                if (client_cmd(app, 9) != 0) return 1;
            }
        }
    }
    return 0;
}

static int fed_up(const fed_opts *o) {
    struct stat st;
    bool fresh = stat(o->dir, &st) != 0;
    if (fresh && fed_init(o) != 0) return 1;
    int chains = fed_count(o);
    char dir[4096];
    for (int k = 0; k < chains; k++) {
        testnet_opts t = chain_opts(o, k, dir, sizeof dir, 0);
        if (testnet_up_dir(&t) != 0) return 1;
    }
    if (fresh && o->by_stake && register_by_stake(o) != 0) {
        fprintf(stderr, "hansa federation: registering the clients by stake failed\n");
        return 1;
    }
    printf("federation of %d chains in %s: each follows the others with an approved light client\n", chains, o->dir);
    return 0;
}

static int fed_down(const fed_opts *o) {
    int chains = fed_count(o);
    char dir[4096];
    for (int k = 0; k < chains; k++) {
        testnet_opts t = chain_opts(o, k, dir, sizeof dir, 0);
        testnet_down_dir(&t);
    }
    return 0;
}

static int fed_status(const fed_opts *o) {
    int chains = fed_count(o), bad = 0;
    if (chains == 0) {
        fprintf(stderr, "hansa federation: no federation in %s (start one with `hansa federation up`)\n", o->dir);
        return 1;
    }
    char dir[4096], addr[64];
    printf("%-8s %-8s   %-8s %-8s %-8s %s\n", "chain", "height", "client", "status", "trusted", "(its tip)");
    int64_t tips[FED_CHAINS_MAX] = {0};
    json_t *lists[FED_CHAINS_MAX] = {0};
    for (int k = 0; k < chains; k++) {
        chain_dir(o, k, dir, sizeof dir);
        rpcc_error err;
        json_t *s = testnet_rpc_addr(dir, 0, addr, sizeof addr) == 0 ? rpcc_call(addr, "status", NULL, 2000, &err) : NULL;
        if (s) tips[k] = json_integer_value(json_object_get(s, "height"));
        else json_decref(err.data);
        lists[k] = s ? rpcc_call(addr, "client_list", NULL, 2000, &err) : NULL;
        if (s && !lists[k]) json_decref(err.data);
        json_decref(s);
    }
    for (int k = 0; k < chains; k++) {
        char chain[CHAIN_ID_TEXT_MAX];
        chain_id_format(FED_CHAIN_BASE + (uint32_t)k, chain);
        if (!lists[k]) {
            printf("%-8s down\n", chain);
            bad = 1;
            continue;
        }
        const json_t *cl = json_object_get(lists[k], "clients");
        for (size_t i = 0; i < json_array_size(cl); i++) {
            const json_t *c = json_array_get(cl, i);
            uint32_t other = 0;
            const char *why;
            chain_id_parse(cli_str(c, "chain_id"), &other, &why);
            int j = (int)(other - FED_CHAIN_BASE);
            printf("%-8s %-8lld   %-8s %-8s %-8llu (%lld)\n", i == 0 ? chain : "", i == 0 ? (long long)tips[k] : 0LL,
                   cli_str(c, "chain_id"), cli_str(c, "status"), (unsigned long long)cli_u64(c, "trusted_height"),
                   j >= 0 && j < chains ? (long long)tips[j] : -1LL);
        }
        json_decref(lists[k]);
    }
    return bad;
}

static int usage(void) {
    fprintf(stderr, "usage: hansa federation up [--chains K] [--validators N] [--dir D] [--timeout-ms T]\n"
                    "                           [--full-nodes F] [--elections JSON]   (on every chain)\n"
                    "                           [--approve-by-stake]   (clients by transactions, not genesis)\n"
                    "                           [--frost]   (FROST keys and checkpoints; with --approve-by-stake\n"
                    "                                        each client's trust root names the chain's group key)\n"
                    "                           [--accounts K]   (funded accounts per chain, 1..256, default 4)\n"
                    "                           [--checkpoint-blocks K]   (a state root and snapshot every K\n"
                    "                                        heights, default 256: where key proofs are made)\n"
                    "       hansa federation status [--dir D]\n"
                    "       hansa federation down [--dir D]\n");
    return CLI_USAGE;
}

int cmd_federation(int argc, char **argv) { return federation_run(argc, argv, false); }

/* An integer option's value in lo..hi, or a message naming the option and
 * what it got (atoi read junk as 0 and "-5" ms as four billion). */
typedef struct {
    const char *name;
    int lo, hi;
    int *out;
} int_opt;

static bool parse_int_opt(const int_opt *opts, size_t n, int argc, char **argv, int *i, bool *bad) {
    for (size_t k = 0; k < n; k++) {
        if (strcmp(argv[*i], opts[k].name) != 0) continue;
        if (*i + 1 >= argc || !cli_parse_int(argv[*i + 1], opts[k].lo, opts[k].hi, opts[k].out)) {
            fprintf(stderr, "hansa federation: %s wants an integer %d..%d, not '%s'\n", opts[k].name, opts[k].lo,
                    opts[k].hi, *i + 1 < argc ? argv[*i + 1] : "(nothing)");
            *bad = true;
        }
        *i += 1;
        return true;
    }
    return false;
}

int federation_run(int argc, char **argv, bool die_with_parent) {
    if (argc < 2) return usage();
    fed_opts o = {"federation", 2, 4, 0, 1000, NULL, false, 4, false, 0, die_with_parent};
    int timeout_ms = (int)o.timeout_ms;
    const int_opt ints[] = {{"--chains", 2, FED_CHAINS_MAX, &o.chains},
                            {"--validators", 1, ROUTE_SEEDS_MAX, &o.validators},
                            {"--timeout-ms", 1, 600000, &timeout_ms},
                            {"--full-nodes", 0, ROUTE_SEEDS_MAX, &o.full_nodes},
                            {"--accounts", 1, 256, &o.accounts},
                            {"--checkpoint-blocks", 1, 1000000, &o.checkpoint_blocks}};
    bool bad = false;
    for (int i = 2; i < argc && !bad; i++) {
        bool has = i + 1 < argc;
        if (parse_int_opt(ints, sizeof ints / sizeof ints[0], argc, argv, &i, &bad)) continue;
        if (strcmp(argv[i], "--dir") == 0 && has) o.dir = argv[++i];
        else if (strcmp(argv[i], "--elections") == 0 && has) o.elections = argv[++i];
        else if (strcmp(argv[i], "--approve-by-stake") == 0) o.by_stake = true;
        else if (strcmp(argv[i], "--frost") == 0) o.frost = true;
        else return usage();
    }
    if (bad) return CLI_USAGE;
    o.timeout_ms = (uint32_t)timeout_ms;
    if (nodes_of(&o) > ROUTE_SEEDS_MAX) {
        fprintf(stderr, "hansa federation: --validators plus --full-nodes must be at most %d\n", ROUTE_SEEDS_MAX);
        return CLI_USAGE;
    }
    crypto_init();
    if (strcmp(argv[1], "up") == 0) return fed_up(&o);
    if (strcmp(argv[1], "down") == 0) return fed_down(&o);
    if (strcmp(argv[1], "status") == 0) return fed_status(&o);
    return usage();
}
