/* cli_route_find.c — `hansa route find`, `hansa route beacon` and `hansa
 * route records`: route discovery between chains as a user sees it
 * (docs/cli.md, docs/credit.md "Route discovery"). find asks the node
 * (route_find) for a route from a key of the key file to a party on this or
 * another chain, one-way, bidirectionally, or bidirectionally then one-way
 * when that finds no route for the amount (--mode auto), and, while the search
 * runs, asks again until it ends or --wait-ms passes; beacon sends the
 * beacon of a party on the node's chain (route_beacon) that bidirectional
 * searches toward it meet; records lists the node's route records (routes). The `hansa route list|add|remove` routing
 * table is cli_route.c's. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"

#define FIND_POLL_US 200000

static int usage(void) {
    fprintf(stderr, "usage: hansa route find --from NAME --to NAME|PUBKEY[@CHAIN] [--amount N] [--wait-ms N]\n"
                    "                        [--mode oneway|bidir|auto] [--node ADDR] [--keys FILE] [--json]\n"
                    "       hansa route beacon --to NAME|PUBKEY [--node ADDR] [--keys FILE] [--json]\n"
                    "       hansa route records [--node ADDR] [--json]\n");
    return CLI_USAGE;
}

/* NAME|PUBKEY[@CHAIN] as hex key and chain text; the chain is the key
 * file's unless @CHAIN names another. */
static bool party_of(const keyfile *kf, const char *arg, char key[2 * HANSA_PUBKEY_BYTES + 1], uint32_t *chain) {
    char who[160];
    snprintf(who, sizeof who, "%s", arg);
    char *at = strchr(who, '@');
    const char *why = "";
    *chain = kf->chain_id;
    if (at != NULL) {
        *at = '\0';
        if (chain_id_parse(at + 1, chain, &why) != HANSA_OK) {
            fprintf(stderr, "hansa route find: --to ...@%s: %s\n", at + 1, why);
            return false;
        }
    }
    hansa_pubkey pk;
    size_t n = 0;
    const keyfile_key *k = keyfile_find(kf, who);
    if (k) pk = k->kp.pub;
    else if (hex_decode(who, strlen(who), pk.b, HANSA_PUBKEY_BYTES, &n, NULL) != HANSA_OK || n != HANSA_PUBKEY_BYTES) {
        fprintf(stderr, "hansa route find: --to: a key name in the key file or a 64-hex-digit public key "
                        "(`hansa key show` prints it), then @CHAIN for a party on another chain\n");
        return false;
    }
    hex_encode(pk.b, HANSA_PUBKEY_BYTES, key);
    return true;
}

static const char *u64_of(const json_t *j, const char *a, const char *b) {
    const char *s = json_string_value(json_object_get(json_object_get(j, a), b));
    return s ? s : "?";
}

static const char *state_of(const json_t *r) {
    const char *s = json_string_value(json_object_get(r, "state"));
    return s ? s : "?";
}

static void print_record(const json_t *r) {
    const char *mode = json_string_value(json_object_get(r, "mode"));
    printf("route %s@%s -> %s@%s: %s, capacity min %s max %s margin %lld ppm, %lld chains crossed, %lld ms old, "
           "%s search\n",
           u64_of(r, "from", "key"), u64_of(r, "from", "chain"), u64_of(r, "to", "key"), u64_of(r, "to", "chain"),
           state_of(r), u64_of(r, "capacity", "min"),
           u64_of(r, "capacity", "max"),
           (long long)json_integer_value(json_object_get(json_object_get(r, "capacity"), "margin_ppm")),
           (long long)json_integer_value(json_object_get(r, "hops")),
           (long long)json_integer_value(json_object_get(r, "age_ms")),
           mode && strcmp(mode, "bidir") == 0 ? "bidirectional" : "one-way");
}

/* From the key file: the key named `from` (unless NULL) and the party `to`,
 * as hex, and to's chain; false (said on stderr) when either is missing. */
static bool keys_of(const cli_common *c, const char *cmd, const char *from, char *from_key, const char *to,
                    char *to_key, uint32_t *to_chain) {
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    cli_keys_path(c, path);
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa route %s: %s\n", cmd, why);
        return false;
    }
    const keyfile_key *k = from ? keyfile_find(&kf, from) : NULL;
    bool ok = (from == NULL || k != NULL) && party_of(&kf, to, to_key, to_chain);
    if (k) hex_encode(k->kp.pub.b, HANSA_PUBKEY_BYTES, from_key);
    else if (from) fprintf(stderr, "hansa route %s: no key named %s in %s\n", cmd, from, path);
    keyfile_free(&kf);
    return ok;
}

/* Asks route_find until the search ends or wait_ms passes; the record, or
 * NULL (rc says why). */
static json_t *ask(const char *addr, const char *from_key, const char *chain, const char *to_key, const char *mode,
                   uint64_t wait_ms, int *rc) {
    json_t *r = NULL;
    for (uint64_t waited = 0;; waited += FIND_POLL_US / 1000) {
        json_decref(r);
        r = cli_call("route find", addr, "route_find",
                     json_pack("{s:s, s:s, s:s, s:s}", "from", from_key, "to_chain", chain, "to", to_key, "mode", mode),
                     CLI_CALL_TIMEOUT_MS, rc);
        if (r == NULL || strcmp(state_of(r), "draft") != 0 || waited >= wait_ms) return r;
        usleep(FIND_POLL_US);
    }
}

static bool fits_amount(const json_t *r, uint64_t amount) {
    return strcmp(state_of(r), "good") == 0 && amount <= strtoull(u64_of(r, "capacity", "max"), NULL, 10);
}

static int find(int argc, char **argv) {
    cli_common c = {0};
    const char *from = NULL, *to = NULL, *mode = "oneway";
    uint64_t amount = 0, wait_ms = 10000;
    for (int i = 2; i < argc; i++) {
        bool has = i + 1 < argc;
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--from") == 0 && has) from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && has) to = argv[++i];
        else if (strcmp(argv[i], "--amount") == 0 && has && cli_parse_u64(argv[i + 1], &amount)) i++;
        else if (strcmp(argv[i], "--wait-ms") == 0 && has && cli_parse_u64(argv[i + 1], &wait_ms)) i++;
        else if (strcmp(argv[i], "--mode") == 0 && has) mode = argv[++i];
        else return usage();
    }
    if (from == NULL || to == NULL ||
        (strcmp(mode, "oneway") != 0 && strcmp(mode, "bidir") != 0 && strcmp(mode, "auto") != 0))
        return usage();
    char addr[CLI_ADDR_MAX], from_key[2 * HANSA_PUBKEY_BYTES + 1], to_key[2 * HANSA_PUBKEY_BYTES + 1],
        chain[CHAIN_ID_TEXT_MAX];
    uint32_t to_chain = 0;
    cli_node_addr(&c, addr);
    if (!keys_of(&c, "find", from, from_key, to, to_key, &to_chain)) return CLI_USAGE;
    chain_id_format(to_chain, chain);
    int rc = CLI_OK;
    bool automatic = strcmp(mode, "auto") == 0, fits = false;
    json_t *r = ask(addr, from_key, chain, to_key, automatic ? "bidir" : mode, wait_ms, &rc);
    if (r != NULL) fits = fits_amount(r, amount);
    if (r != NULL && automatic && !fits) { /* a one-way search may find a route, or a wider one */
        json_decref(r);
        r = ask(addr, from_key, chain, to_key, "oneway", wait_ms, &rc);
        if (r != NULL) fits = fits_amount(r, amount);
    }
    if (r == NULL) return rc;
    if (c.json) cli_print_json(r);
    else {
        print_record(r);
        if (amount) printf("amount %llu: %s\n", (unsigned long long)amount, fits ? "within the capacity" : "no route for it");
    }
    json_decref(r);
    return fits ? CLI_OK : CLI_FAILED;
}

static int beacon(int argc, char **argv) {
    cli_common c = {0};
    const char *to = NULL;
    for (int i = 2; i < argc; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) to = argv[++i];
        else return usage();
    }
    if (to == NULL || strchr(to, '@') != NULL) return usage(); /* a party of the node's own chain */
    char addr[CLI_ADDR_MAX], to_key[2 * HANSA_PUBKEY_BYTES + 1];
    uint32_t chain = 0;
    cli_node_addr(&c, addr);
    if (!keys_of(&c, "beacon", NULL, NULL, to, to_key, &chain)) return CLI_USAGE;
    int rc = CLI_OK;
    json_t *r =
        cli_call("route beacon", addr, "route_beacon", json_pack("{s:s}", "to", to_key), CLI_CALL_TIMEOUT_MS, &rc);
    if (r == NULL) return rc;
    if (c.json) cli_print_json(r);
    else printf("beacon for %s: %lld marks sent to neighbouring chains\n", to_key,
                (long long)json_integer_value(json_object_get(r, "marks")));
    json_decref(r);
    return CLI_OK;
}

static int records(int argc, char **argv) {
    cli_common c = {0};
    for (int i = 2; i < argc; i++)
        if (!cli_common_opt(&c, argc, argv, &i)) return usage();
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("route records", addr, "route_records", json_object(), CLI_CALL_TIMEOUT_MS, &rc);
    if (r == NULL) return rc;
    const json_t *list = json_object_get(r, "routes");
    if (c.json) cli_print_json(r);
    else if (json_array_size(list) == 0) printf("no route records\n");
    else
        for (size_t i = 0; i < json_array_size(list); i++) print_record(json_array_get(list, i));
    json_decref(r);
    return CLI_OK;
}

int cli_route_discovery(int argc, char **argv) {
    if (strcmp(argv[1], "find") == 0) return find(argc, argv);
    if (strcmp(argv[1], "records") == 0) return records(argc, argv);
    if (strcmp(argv[1], "beacon") == 0) return beacon(argc, argv);
    return usage();
}
