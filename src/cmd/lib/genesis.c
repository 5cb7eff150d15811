/* genesis.c — `hansa genesis` (see genesis.h; docs/cli.md, "Operators").
 *
 *   hansa genesis --chain ID --delegate PUBKEY[:POWER]... [--account ADDR:BALANCE]...
 *                 [--param NAME=VALUE]... [--elections JSON] [--time-ms T] --out FILE [--json]
 *   hansa genesis hash FILE [--json]
 *
 * The file is built as JSON, written to a temporary file, and loaded back
 * through the node's own genesis_load, so every check the node makes at start
 * (parameter ranges, address checksums and chains, delegate keys) runs here
 * first; only a genesis the node accepts is moved to FILE. The printed
 * genesis hash is the app hash at height 0, computed by the ledger itself. */
#include "cmd/lib/genesis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "ledger/state.h"

#define GENESIS_DEFAULT_POWER 10

hansa_err genesis_hash_file(const char *path, hansa_hash *out, char why[CONFIG_WHY_MAX]) {
    genesis_file g;
    hansa_err e = genesis_load(path, &g, why);
    if (e != HANSA_OK) return e;
    /* The hash key only spreads the account table; it never changes a result. */
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0};
    ledger_state *s = NULL;
    e = ledger_genesis_state(&g.g, hash_key, &s, NULL, why, CONFIG_WHY_MAX);
    if (e == HANSA_OK) {
        *out = s->app_hash;
        ledger_state_free(s);
    }
    genesis_free(&g);
    return e;
}

static int usage(void) {
    fprintf(stderr,
            "usage: hansa genesis --chain ID --delegate PUBKEY[:POWER] [--delegate ...]\n"
            "                     [--account ADDRESS:BALANCE ...] [--param NAME=VALUE ...]\n"
            "                     [--elections JSON] [--time-ms T] --out FILE [--json]\n"
            "       hansa genesis hash FILE [--json]\n");
    return CLI_USAGE;
}

static int print_hash(const char *path, const hansa_hash *h, bool json) {
    char hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(h->b, HANSA_HASH_BYTES, hex);
    if (json) {
        json_t *j = json_pack("{s:s, s:s}", "file", path, "genesis_hash", hex);
        cli_print_json(j);
        json_decref(j);
    } else {
        printf("genesis %s\n  genesis hash %s\n", path, hex);
        printf("  every node of the chain must start from a file with this hash: publish it\n");
    }
    return 0;
}

static int cmd_genesis_hash(int argc, char **argv) {
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (!path && argv[i][0] != '-') path = argv[i];
        else return usage();
    }
    if (!path) return usage();
    hansa_hash h;
    char why[CONFIG_WHY_MAX];
    if (genesis_hash_file(path, &h, why) != HANSA_OK) {
        fprintf(stderr, "hansa genesis: %s\n", why);
        return CLI_FAILED;
    }
    return print_hash(path, &h, json);
}

/* "PUBKEY[:POWER]" -> {"pubkey", "power"}; NULL (message printed) if malformed. */
static json_t *delegate_arg(const char *arg) {
    char hex[2 * HANSA_PUBKEY_BYTES + 1];
    const char *colon = strchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
    uint8_t pk[HANSA_PUBKEY_BYTES];
    size_t got = 0;
    if (n != 2 * HANSA_PUBKEY_BYTES || hex_decode(arg, n, pk, sizeof pk, &got, NULL) != HANSA_OK) {
        fprintf(stderr, "hansa genesis: --delegate %s: want a 64-hex-digit public key\n", arg);
        return NULL;
    }
    memcpy(hex, arg, n);
    hex[n] = '\0';
    unsigned long long power = GENESIS_DEFAULT_POWER;
    if (colon) {
        char *end;
        errno = 0;
        power = strtoull(colon + 1, &end, 10);
        if (errno || *end || colon[1] == '\0' || colon[1] == '-' || power == 0) {
            fprintf(stderr, "hansa genesis: --delegate %s: power must be a positive integer\n", arg);
            return NULL;
        }
    }
    return json_pack("{s:s, s:I}", "pubkey", hex, "power", (json_int_t)power);
}

/* "ADDRESS:BALANCE" -> {"address", "balance"} (checked by genesis_load). */
static json_t *account_arg(const char *arg) {
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg || colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
        fprintf(stderr, "hansa genesis: --account %s: want ADDRESS:BALANCE (a decimal amount)\n", arg);
        return NULL;
    }
    return json_pack("{s:s%, s:s}", "address", arg, (size_t)(colon - arg), "balance", colon + 1);
}

/* "NAME=VALUE" (VALUE an unsigned integer) into params. */
static bool param_arg(json_t *params, const char *arg) {
    const char *eq = strchr(arg, '=');
    char *end;
    errno = 0;
    unsigned long long v = eq ? strtoull(eq + 1, &end, 10) : 0;
    if (!eq || eq == arg || eq[1] == '\0' || eq[1] == '-' || errno || *end) {
        fprintf(stderr, "hansa genesis: --param %s: want NAME=VALUE with an unsigned integer\n", arg);
        return false;
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
    json_object_set_new(params, name, json_integer((json_int_t)v));
    return true;
}

int cmd_genesis(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "hash") == 0) return cmd_genesis_hash(argc - 1, argv + 1);
    const char *chain = NULL, *out = NULL, *elections = NULL;
    bool json = false;
    uint64_t time_ms = clock_wall_ms(&hansa_clock_system) / 1000 * 1000;
    json_t *dels = json_array(), *accts = json_array();
    json_t *params = json_pack("{s:i, s:i, s:i}", "fee_burn_bps", 5000, "min_fee", 1, "max_block_txs", 10000);
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        json_t *item = NULL;
        if (strcmp(a, "--json") == 0) json = true;
        else if (!v) rc = usage();
        else if (strcmp(a, "--chain") == 0) chain = argv[++i];
        else if (strcmp(a, "--out") == 0) out = argv[++i];
        else if (strcmp(a, "--elections") == 0) elections = argv[++i];
        else if (strcmp(a, "--time-ms") == 0) time_ms = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--delegate") == 0) {
            if ((item = delegate_arg(argv[++i]))) json_array_append_new(dels, item);
            else rc = CLI_USAGE;
        } else if (strcmp(a, "--account") == 0) {
            if ((item = account_arg(argv[++i]))) json_array_append_new(accts, item);
            else rc = CLI_USAGE;
        } else if (strcmp(a, "--param") == 0) {
            if (!param_arg(params, argv[++i])) rc = CLI_USAGE;
        } else rc = usage();
    }
    uint32_t chain_id = 0;
    const char *cwhy = NULL;
    if (rc == 0 && (!chain || !out || json_array_size(dels) == 0)) rc = usage();
    if (rc == 0 && chain_id_parse(chain, &chain_id, &cwhy) != HANSA_OK) {
        fprintf(stderr, "hansa genesis: --chain %s: %s\n", chain, cwhy);
        rc = CLI_USAGE;
    }
    json_t *g = NULL;
    if (rc == 0) {
        g = json_pack("{s:s, s:I, s:O, s:O, s:O}", "chain_id", chain, "genesis_time_ms",
                      (json_int_t)time_ms, "params", params, "accounts", accts, "delegates", dels);
        json_error_t jerr;
        json_t *el = elections ? json_loads(elections, 0, &jerr) : NULL;
        if (elections && !json_is_object(el)) {
            fprintf(stderr, "hansa genesis: --elections must be a JSON object\n");
            rc = CLI_USAGE;
        }
        if (el) json_object_set_new(g, "elections", el);
    }
    json_decref(dels);
    json_decref(accts);
    json_decref(params);
    if (rc != 0) {
        json_decref(g);
        return rc;
    }
    /* Written beside FILE, checked by the node's loader, then renamed. */
    char tmp[4096], why[CONFIG_WHY_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    if (json_dump_file(g, tmp, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "hansa genesis: cannot write %s: %s\n", tmp, strerror(errno));
        json_decref(g);
        return CLI_FAILED;
    }
    json_decref(g);
    hansa_hash h;
    if (genesis_hash_file(tmp, &h, why) != HANSA_OK) {
        unlink(tmp);
        fprintf(stderr, "hansa genesis: the node would refuse this genesis: %s\n", why);
        return CLI_USAGE;
    }
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "hansa genesis: cannot write %s: %s\n", out, strerror(errno));
        unlink(tmp);
        return CLI_FAILED;
    }
    return print_hash(out, &h, json);
}
