/* cli_query.c — `hansa account`, `hansa block`, `hansa status`: one call
 * to the node each, printed for people (or, with --json, the node's result
 * as it came). */
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"

/* Parses the command line shared by the queries: common options and at most
 * one positional argument. False on anything else. */
static bool query_args(cli_common *c, int argc, char **argv, const char **pos, bool *txs) {
    *pos = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_common_opt(c, argc, argv, &i)) continue;
        if (txs && strcmp(argv[i], "--txs") == 0) *txs = true;
        else if (argv[i][0] != '-' && !*pos) *pos = argv[i];
        else return false;
    }
    return true;
}

/* ---- account ---- */

/* ADDRESS may also name a key in the key file, for convenience. */
static bool account_address(const cli_common *c, const char *arg, char out[ADDR_TEXT_MAX]) {
    hansa_addr a;
    uint32_t chain;
    const char *why = NULL;
    if (addr_parse(arg, NULL, &chain, &a, &why) == HANSA_OK) {
        snprintf(out, ADDR_TEXT_MAX, "%s", arg);
        return true;
    }
    char path[CLI_PATH_MAX], kwhy[KEYFILE_WHY_MAX];
    cli_keys_path(c, path);
    keyfile kf;
    const keyfile_key *k = NULL;
    if (keyfile_load(path, &kf, kwhy) == HANSA_OK && (k = keyfile_find(&kf, arg)) != NULL)
        keyfile_address(&kf, k, out);
    keyfile_free(&kf);
    if (!k) fprintf(stderr, "hansa account: %s is not an address (%s) nor a key in %s\n", arg, why, path);
    return k != NULL;
}

int cmd_account(int argc, char **argv) {
    cli_common c = {0};
    const char *arg;
    if (!query_args(&c, argc, argv, &arg, NULL) || !arg) {
        fprintf(stderr, "usage: hansa account ADDRESS|KEYNAME [--node ip:port] [--keys FILE] [--json]\n");
        return CLI_USAGE;
    }
    crypto_init();
    char text[ADDR_TEXT_MAX], addr[CLI_ADDR_MAX];
    if (!account_address(&c, arg, text)) return CLI_USAGE;
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("account", addr, "account", json_pack("{s:s}", "address", text),
                         CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c.json) cli_print_json(r);
    else
        printf("%s\n  balance  %s\n  nonce    %s\n", cli_str(r, "address"), cli_str(r, "balance"),
               cli_str(r, "nonce"));
    json_decref(r);
    return CLI_OK;
}

/* ---- block ---- */

static void print_block(const json_t *r) {
    const json_t *h = json_object_get(r, "header"), *c = json_object_get(r, "commit");
    const json_t *hashes = json_object_get(r, "tx_hashes");
    char when[64];
    cli_format_time(cli_u64(h, "time_ms"), when, sizeof when);
    printf("block %llu  %s\n", (unsigned long long)cli_u64(r, "height"), cli_str(r, "hash"));
    printf("  time        %s\n  proposer    %s\n  prev block  %s\n  app hash    %s\n"
           "  tx root     %s\n  txs         %zu\n",
           when, cli_str(h, "proposer_address"), cli_str(h, "prev_block"), cli_str(h, "app_hash"),
           cli_str(h, "tx_root"), json_array_size(hashes));
    for (size_t i = 0; i < json_array_size(hashes); i++)
        printf("    %4zu  %s\n", i, json_string_value(json_array_get(hashes, i)));
    printf("  commit      round %llu, %zu signatures", (unsigned long long)cli_u64(c, "round"),
           json_array_size(json_object_get(c, "signers")));
    if (json_object_get(c, "total_power"))
        printf(", power %llu of %llu", (unsigned long long)cli_u64(c, "signed_power"),
               (unsigned long long)cli_u64(c, "total_power"));
    printf("\n");
}

int cmd_block(int argc, char **argv) {
    cli_common c = {0};
    const char *arg;
    bool txs = false;
    if (!query_args(&c, argc, argv, &arg, &txs)) {
        fprintf(stderr, "usage: hansa block [HEIGHT|HASH|latest] [--txs] [--node ip:port] [--json]\n");
        return CLI_USAGE;
    }
    json_t *params = json_object();
    uint64_t height;
    if (arg && strlen(arg) == 2 * HANSA_HASH_BYTES) {
        json_object_set_new(params, "hash", json_string(arg));
    } else if (arg && strcmp(arg, "latest") != 0) {
        if (!cli_parse_u64(arg, &height)) {
            fprintf(stderr, "hansa block: %s is neither a height nor a 64-hex-digit block hash\n", arg);
            json_decref(params);
            return CLI_USAGE;
        }
        json_object_set_new(params, "height", json_integer((json_int_t)height));
    }
    if (txs) json_object_set_new(params, "txs", json_true());
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("block", addr, "block", params, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c.json) cli_print_json(r);
    else print_block(r);
    json_decref(r);
    return CLI_OK;
}

/* ---- status ---- */

/* One line per peer link: who, which way, and when it was last heard from. */
static void print_links(const json_t *links) {
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l) {
        printf("    %s %-3s %-22s heard %llu ms ago, up %llu s%s\n", cli_str(l, "id"),
               cli_str(l, "direction"), cli_str(l, "addr"),
               (unsigned long long)cli_u64(l, "heard_ms_ago"),
               (unsigned long long)(cli_u64(l, "up_ms") / 1000),
               json_is_true(json_object_get(l, "reserved")) ? "  (reserved)" : "");
    }
}

int cmd_status(int argc, char **argv) {
    cli_common c = {0};
    bool wait = false;
    uint64_t timeout_ms = 600000;
    int kept = 1;
    /* --wait-sync and --timeout-ms are this command's own; the rest are shared. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wait-sync") == 0) wait = true;
        else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc && cli_parse_u64(argv[i + 1], &timeout_ms)) i++;
        else argv[kept++] = argv[i];
    }
    const char *arg;
    if (!query_args(&c, kept, argv, &arg, NULL) || arg) {
        fprintf(stderr, "usage: hansa status [--node ip:port] [--json] [--wait-sync [--timeout-ms T]]\n");
        return CLI_USAGE;
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = wait ? cli_wait_synced(addr, timeout_ms, &rc)
                     : cli_call("status", addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c.json) {
        cli_print_json(r);
    } else {
        char when[64];
        cli_format_time(cli_u64(r, "block_time_ms"), when, sizeof when);
        printf("node %s  (hansad %s)\n", addr, cli_str(r, "version"));
        printf("  chain       %s\n  height      %llu  (%s)\n  block       %s\n  app hash    %s\n",
               cli_str(r, "chain_id"), (unsigned long long)cli_u64(r, "height"), when,
               cli_str(r, "block_hash"), cli_str(r, "app_hash"));
        printf("  consensus   height %llu, round %llu\n  role        %s\n  sync        %s\n",
               (unsigned long long)cli_u64(r, "consensus_height"),
               (unsigned long long)cli_u64(r, "consensus_round"),
               json_is_true(json_object_get(r, "is_delegate")) ? "delegate" : "full node",
               json_is_true(json_object_get(r, "syncing")) ? "catching up with peers" : "in sync");
        printf("  peers       %llu\n  mempool     %llu txs, %llu bytes\n  min fee     %s\n",
               (unsigned long long)cli_u64(r, "peers"), (unsigned long long)cli_u64(r, "mempool_txs"),
               (unsigned long long)cli_u64(r, "mempool_bytes"), cli_str(r, "min_fee"));
        print_links(json_object_get(r, "links"));
        const json_t *sw = json_object_get(r, "software_hash");
        if (json_is_string(sw))
            printf("  software    %s  (%s)\n", json_string_value(sw),
                   json_is_true(json_object_get(r, "software_ratified"))
                       ? "ratified by the chain"
                       : "not the chain's latest ratified software");
    }
    json_decref(r);
    return CLI_OK;
}
