/* cli_route_find.c — `hansa route find` and `hansa route records`: route
 * discovery between chains as a user sees it (docs/cli.md, docs/credit.md
 * "Route discovery"). find asks the node (route_find) for a route from a key
 * of the key file to a party on this or another chain and, while the search
 * runs, asks again until it ends or --wait-ms passes; records lists the
 * node's route records (routes). The `hansa route list|add|remove` routing
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
                    "                        [--node ADDR] [--keys FILE] [--json]\n"
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
    printf("route %s@%s -> %s@%s: %s, capacity min %s max %s margin %lld ppm, %lld chains crossed, %lld ms old\n",
           u64_of(r, "from", "key"), u64_of(r, "from", "chain"), u64_of(r, "to", "key"), u64_of(r, "to", "chain"),
           state_of(r), u64_of(r, "capacity", "min"),
           u64_of(r, "capacity", "max"),
           (long long)json_integer_value(json_object_get(json_object_get(r, "capacity"), "margin_ppm")),
           (long long)json_integer_value(json_object_get(r, "hops")),
           (long long)json_integer_value(json_object_get(r, "age_ms")));
}

static int find(int argc, char **argv) {
    cli_common c = {0};
    const char *from = NULL, *to = NULL;
    uint64_t amount = 0, wait_ms = 10000;
    for (int i = 2; i < argc; i++) {
        bool has = i + 1 < argc;
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--from") == 0 && has) from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && has) to = argv[++i];
        else if (strcmp(argv[i], "--amount") == 0 && has && cli_parse_u64(argv[i + 1], &amount)) i++;
        else if (strcmp(argv[i], "--wait-ms") == 0 && has && cli_parse_u64(argv[i + 1], &wait_ms)) i++;
        else return usage();
    }
    if (from == NULL || to == NULL) return usage();
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX], addr[CLI_ADDR_MAX];
    cli_keys_path(&c, path);
    cli_node_addr(&c, addr);
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa route find: %s\n", why);
        return CLI_USAGE;
    }
    const keyfile_key *k = keyfile_find(&kf, from);
    char from_key[2 * HANSA_PUBKEY_BYTES + 1], to_key[2 * HANSA_PUBKEY_BYTES + 1], chain[CHAIN_ID_TEXT_MAX];
    uint32_t to_chain = 0;
    bool ok = k != NULL && party_of(&kf, to, to_key, &to_chain);
    if (k) hex_encode(k->kp.pub.b, HANSA_PUBKEY_BYTES, from_key);
    else fprintf(stderr, "hansa route find: no key named %s in %s\n", from, path);
    keyfile_free(&kf);
    if (!ok) return CLI_USAGE;
    chain_id_format(to_chain, chain);
    int rc = CLI_OK;
    json_t *r = NULL;
    for (uint64_t waited = 0;; waited += FIND_POLL_US / 1000) {
        json_decref(r);
        r = cli_call("route find", addr, "route_find", json_pack("{s:s, s:s, s:s}", "from", from_key, "to_chain",
                                                                  chain, "to", to_key),
                     CLI_CALL_TIMEOUT_MS, &rc);
        if (r == NULL) return rc;
        if (strcmp(state_of(r), "draft") != 0 || waited >= wait_ms) break;
        usleep(FIND_POLL_US);
    }
    bool good = strcmp(state_of(r), "good") == 0;
    bool fits = good && amount <= strtoull(u64_of(r, "capacity", "max"), NULL, 10);
    if (c.json) cli_print_json(r);
    else {
        print_record(r);
        if (amount) printf("amount %llu: %s\n", (unsigned long long)amount, fits ? "within the capacity" : "no route for it");
    }
    json_decref(r);
    return fits ? CLI_OK : CLI_FAILED;
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
    return usage();
}
