/* cli_route.c — `hansa route add|list|remove`: a node's routing table
 * (node/route.h), the routes.json in its home. hansad re-reads the file
 * while it runs, so a change takes effect without a restart.
 *
 *   hansa route list   [--home DIR] [--json]
 *   hansa route add    CHAIN --seed HOST:PORT [--seed ...] [--home DIR]
 *                      [--trust-root FILE | --fetch [--trusting-period-ms N]]
 *   hansa route remove CHAIN [--home DIR]
 *
 * --fetch takes the trust root from the first seed's newest block: handy,
 * and exactly as trustworthy as that seed — check the printed header hash
 * with the foreign chain's operators before registering it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/lib/cli.h"
#include "cmd/lib/lightfetch.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/route.h"

#define TRUSTING_PERIOD_DEFAULT_MS (14ull * 24 * 3600 * 1000)
#define CLOCK_DRIFT_DEFAULT_MS 10000

static int usage(void) {
    fprintf(stderr, "usage: hansa route list   [--home DIR] [--json]\n"
                    "       hansa route add    CHAIN --seed HOST:PORT [--seed ...] [--home DIR]\n"
                    "                          [--trust-root FILE | --fetch [--trusting-period-ms N]]\n"
                    "       hansa route remove CHAIN [--home DIR]\n"
                    "       hansa route find|beacon|records ...  (route discovery between chains)\n");
    return CLI_USAGE;
}

static void routes_path(const char *home, char *out, size_t n) {
    snprintf(out, n, "%s/routes.json", home ? home : ".");
}

static int list(const char *path, bool json) {
    route_table t;
    char why[CONFIG_WHY_MAX];
    if (route_table_load(path, &t, why) != HANSA_OK) {
        fprintf(stderr, "hansa route: %s\n", why);
        return CLI_FAILED;
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < t.n; i++) {
            char chain[CHAIN_ID_TEXT_MAX];
            chain_id_format(t.e[i].chain_id, chain);
            json_t *seeds = json_array();
            for (size_t k = 0; k < t.e[i].n_seeds; k++) json_array_append_new(seeds, json_string(t.e[i].seeds[k]));
            json_t *j = json_pack("{s:s, s:o}", "chain_id", chain, "seeds", seeds);
            if (t.e[i].has_root) json_object_set_new(j, "trust_root", config_trust_root_json(&t.e[i].root));
            json_array_append_new(arr, j);
        }
        json_t *out = json_pack("{s:o}", "routes", arr);
        cli_print_json(out);
        json_decref(out);
    } else {
        printf("%-10s %-8s %-10s %s\n", "chain", "root", "root time", "seeds");
        for (size_t i = 0; i < t.n; i++) {
            char chain[CHAIN_ID_TEXT_MAX], when[48] = "-", height[24] = "-";
            chain_id_format(t.e[i].chain_id, chain);
            if (t.e[i].has_root) {
                snprintf(height, sizeof height, "%llu", (unsigned long long)t.e[i].root.root.height);
                cli_format_time(t.e[i].root.root.time_ms, when, sizeof when);
            }
            printf("%-10s %-8s %-10.10s", chain, height, when);
            for (size_t k = 0; k < t.e[i].n_seeds; k++) printf(" %s", t.e[i].seeds[k]);
            printf("\n");
        }
    }
    route_table_free(&t);
    return CLI_OK;
}

/* The trust root from a JSON file (the form of node/config.h). */
static bool root_from_file(const char *file, ic_create *out) {
    json_error_t je;
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    char why[CONFIG_WHY_MAX];
    bool ok = j && config_trust_root_parse(j, out, file, why);
    if (!j) fprintf(stderr, "hansa route: %s:%d: %s\n", file, je.line, je.text);
    else if (!ok) fprintf(stderr, "hansa route: %s\n", why);
    json_decref(j);
    return ok;
}

static int add(int argc, char **argv, const char *path) {
    route_entry e = {0};
    const char *chain_text = argv[2], *why_chain = "";
    if (chain_id_parse(chain_text, &e.chain_id, &why_chain) != HANSA_OK) {
        fprintf(stderr, "hansa route add: chain %s: %s\n", chain_text, why_chain);
        return CLI_USAGE;
    }
    const char *root_file = NULL;
    bool fetch = false;
    uint64_t period = TRUSTING_PERIOD_DEFAULT_MS;
    for (int i = 3; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--seed") == 0 && has && e.n_seeds < ROUTE_SEEDS_MAX)
            snprintf(e.seeds[e.n_seeds++], CONFIG_ADDR_MAX, "%s", argv[++i]);
        else if (strcmp(argv[i], "--trust-root") == 0 && has) root_file = argv[++i];
        else if (strcmp(argv[i], "--fetch") == 0) fetch = true;
        else if (strcmp(argv[i], "--trusting-period-ms") == 0 && has && cli_parse_u64(argv[i + 1], &period)) i++;
        else if (strcmp(argv[i], "--home") == 0 && has) i++;
        else return usage();
    }
    if (e.n_seeds == 0 || (root_file && fetch)) return usage();
    if (root_file) {
        if (!root_from_file(root_file, &e.root)) return CLI_USAGE;
        e.has_root = true;
    } else if (fetch) {
        light_block lb;
        char why[256];
        if (!lf_fetch(e.seeds[0], 0, &lb, why, sizeof why)) {
            fprintf(stderr, "hansa route add: %s\n", why);
            return CLI_UNREACHABLE;
        }
        lf_trust_root(&lb, period, CLOCK_DRIFT_DEFAULT_MS, &e.root);
        light_block_free(&lb);
        e.has_root = true;
    }
    if (e.has_root && e.root.params.chain_id != e.chain_id) {
        fprintf(stderr, "hansa route add: the trust root is for chain %x, not %s\n", e.root.params.chain_id,
                chain_text);
        return CLI_FAILED;
    }
    route_table t;
    char why[CONFIG_WHY_MAX];
    hansa_err err = route_table_load(path, &t, why);
    if (err == HANSA_OK) err = route_put(&t, &e, why);
    if (err == HANSA_OK) err = route_table_save(path, &t, why);
    route_table_free(&t);
    if (err != HANSA_OK) {
        fprintf(stderr, "hansa route add: %s\n", why);
        return CLI_FAILED;
    }
    printf("route to chain %s: %zu seed%s%s in %s\n", chain_text, e.n_seeds, e.n_seeds == 1 ? "" : "s",
           e.has_root ? ", with a trust root" : "", path);
    return CLI_OK;
}

static int remove_route(const char *chain_text, const char *path) {
    uint32_t chain;
    const char *why_chain = "";
    if (chain_id_parse(chain_text, &chain, &why_chain) != HANSA_OK) {
        fprintf(stderr, "hansa route remove: chain %s: %s\n", chain_text, why_chain);
        return CLI_USAGE;
    }
    route_table t;
    char why[CONFIG_WHY_MAX];
    hansa_err err = route_table_load(path, &t, why);
    bool had = err == HANSA_OK && route_remove(&t, chain);
    if (had) err = route_table_save(path, &t, why);
    route_table_free(&t);
    if (err != HANSA_OK) {
        fprintf(stderr, "hansa route remove: %s\n", why);
        return CLI_FAILED;
    }
    if (!had) {
        fprintf(stderr, "hansa route remove: no route to chain %s in %s\n", chain_text, path);
        return CLI_FAILED;
    }
    printf("removed the route to chain %s from %s\n", chain_text, path);
    return CLI_OK;
}

int cmd_route(int argc, char **argv) {
    if (argc < 2) return usage();
    if (strcmp(argv[1], "find") == 0 || strcmp(argv[1], "records") == 0 || strcmp(argv[1], "beacon") == 0)
        return cli_route_discovery(argc, argv);
    const char *home = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) home = argv[++i];
        else if (strcmp(argv[i], "--json") == 0) json = true;
    }
    char path[CLI_PATH_MAX];
    routes_path(home, path, sizeof path);
    crypto_init();
    if (strcmp(argv[1], "list") == 0) return list(path, json);
    if (strcmp(argv[1], "add") == 0 && argc >= 3) return add(argc, argv, path);
    if (strcmp(argv[1], "remove") == 0 && argc >= 3) return remove_route(argv[2], path);
    return usage();
}
