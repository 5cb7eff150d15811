/* cli_xfer.c — `hansa xfer`: follow cross-chain transfers.
 *
 *   hansa xfer status HASH [--node A] [--dest-node B] [--json]
 *       the life of a packet sent from the chain at A (committed, then
 *       credited or refused and refunded, with heights and times); with
 *       --dest-node, also what the destination recorded (received at which
 *       height and time, from which source block, with what outcome)
 *   hansa xfer vouchers ADDRESS [--node A] [--json]
 *       the vouchers (other chains' tokens) an address holds
 *   hansa xfer bond|unbond CHAIN --amount N --from NAME [--keys F] [--node A]
 *       collateral for a foreign chain (its correspondent account here)
 *   hansa xfer corr [--node A] [--json]
 *       per foreign chain: collateral, limit, claims, escrow, position
 *   hansa xfer audit HOME...
 *       conservation across chains (xfer_conservation_check) and the credit
 *       checker on each chain (ledger_credit_check: tallies, chits, lifts),
 *       from the stores of stopped nodes, one node home per chain */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"
#include "wire/codec.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "ledger/xfer.h"
#include "store/store.h"

#define AUDIT_CHAINS_MAX 16

static int usage(void) {
    fprintf(stderr, "usage: hansa xfer status HASH [--node ip:port] [--dest-node ip:port] [--json]\n"
                    "       hansa xfer vouchers ADDRESS [--node ip:port] [--json]\n"
                    "       hansa xfer bond|unbond CHAIN --amount N --from NAME [--keys F] [--node ip:port]\n"
                    "       hansa xfer corr [--node ip:port] [--json]\n"
                    "       hansa xfer audit HOME... (one stopped node's home per chain)\n");
    return CLI_USAGE;
}

static void print_out(const json_t *o) {
    printf("packet %s\n  from %s\n  to   %s\n  amount %s of %s\n", cli_str(o, "hash"), cli_str(o, "from"),
           cli_str(o, "to"), cli_str(o, "amount"), cli_str(o, "denom"));
    printf("  committed   at height %llu, time %llu ms (%s)\n", (unsigned long long)cli_u64(o, "sent_height"),
           (unsigned long long)cli_u64(o, "sent_time_ms"), cli_str(o, "escrow"));
    printf("  timeout     %llu ms (destination time)\n", (unsigned long long)cli_u64(o, "timeout_ms"));
    const char *state = cli_str(o, "state");
    if (strcmp(state, "pending") == 0)
        printf("  pending     waiting for the destination's acknowledgement\n");
    else
        printf("  %-11s at height %llu, time %llu ms (%s)\n", state, (unsigned long long)cli_u64(o, "done_height"),
               (unsigned long long)cli_u64(o, "done_time_ms"), cli_str(o, "outcome"));
}

static void print_in(const json_t *i) {
    printf("  at the destination: received at height %llu, time %llu ms, proven from source height %llu: %s\n",
           (unsigned long long)cli_u64(i, "height"), (unsigned long long)cli_u64(i, "time_ms"),
           (unsigned long long)cli_u64(i, "src_height"), cli_str(i, "outcome"));
    printf("  sender as the destination sees it: %s\n", cli_str(i, "from"));
}

static int status(const char *hash, const cli_common *c, const char *dest) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(c, addr);
    int rc = CLI_OK;
    json_t *o = cli_call("xfer status", addr, "xfer_status", json_pack("{s:s}", "hash", hash),
                         CLI_CALL_TIMEOUT_MS, &rc);
    if (!o) return rc;
    json_t *in = NULL;
    if (dest) {
        int rc2 = CLI_OK, code = 0;
        json_t *data = NULL;
        in = cli_call_ex("xfer status", dest, "xfer_status", json_pack("{s:s}", "hash", hash),
                         CLI_CALL_TIMEOUT_MS, &rc2, &code, &data);
        json_decref(data);
    }
    if (c->json) {
        json_t *all = json_pack("{s:O, s:o}", "source", o, "destination", in ? json_incref(in) : json_null());
        cli_print_json(all);
        json_decref(all);
    } else if (strcmp(cli_str(o, "direction"), "in") == 0) {
        printf("packet %s, received here from chain %s\n", hash, cli_str(o, "src_chain"));
        print_in(o);
    } else {
        print_out(o);
        if (in) print_in(in);
        else if (dest) printf("  at the destination: not received yet\n");
    }
    json_decref(in);
    json_decref(o);
    return CLI_OK;
}

static int vouchers(const char *address, const cli_common *c) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("xfer vouchers", addr, "vouchers", json_pack("{s:s}", "address", address),
                         CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c->json) {
        cli_print_json(r);
    } else {
        json_t *list = json_object_get(r, "vouchers");
        if (json_array_size(list) == 0) printf("no vouchers\n");
        for (size_t i = 0; i < json_array_size(list); i++)
            printf("%-24s %s\n", cli_str(json_array_get(list, i), "denom"), cli_str(json_array_get(list, i), "amount"));
    }
    json_decref(r);
    return CLI_OK;
}

static hansa_err load_record(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    char why[LEDGER_WHY_MAX];
    hansa_err err = ledger_state_load_record(ctx, k, kl, v, vl, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "hansa xfer audit: state record: %s\n", why);
    return err;
}

/* The committed state in home's store (a stopped node's), or NULL. */
static ledger_state *load_state(const char *home) {
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {1};
    char path[CLI_PATH_MAX], why[LEDGER_WHY_MAX];
    snprintf(path, sizeof path, "%s/data", home);
    store *st;
    if (store_open(path, &(store_options){.read_only = true}, &st) != HANSA_OK) {
        fprintf(stderr, "hansa xfer audit: cannot open the store in %s (stop the node first)\n", path);
        return NULL;
    }
    store_tip tip;
    ledger_state *s = ledger_state_load_begin(hash_key);
    hansa_err err = store_get_tip(st, &tip);
    if (err == HANSA_OK) err = store_state_scan(st, NULL, 0, load_record, s);
    if (err == HANSA_OK) err = ledger_state_load_finish(s, &tip.app_hash, why, sizeof why);
    else snprintf(why, sizeof why, "%s", store_errmsg(st));
    store_close(st);
    if (err == HANSA_OK) return s;
    fprintf(stderr, "hansa xfer audit: %s: %s\n", path, why);
    ledger_state_free(s);
    return NULL;
}

static int audit(int n, char **homes) {
    if (n < 1 || n > AUDIT_CHAINS_MAX) return usage();
    log_set_level(LOG_WARN);
    const ledger_state *states[AUDIT_CHAINS_MAX];
    int loaded = 0;
    for (; loaded < n; loaded++)
        if ((states[loaded] = load_state(homes[loaded])) == NULL) break;
    int rc = CLI_USAGE;
    if (loaded == n) {
        char why[LEDGER_WHY_MAX] = "";
        hansa_err err = xfer_conservation_check(states, (size_t)n, why, sizeof why);
        if (err == HANSA_OK) printf("conservation holds across %d chains\n", n);
        else printf("CONSERVATION BROKEN: %s\n", why);
        for (int i = 0; i < n && err == HANSA_OK; i++)
            if ((err = ledger_credit_check(states[i], why, sizeof why)) != HANSA_OK)
                printf("CREDIT BROKEN in %s: %s\n", homes[i], why);
        if (err == HANSA_OK) printf("the credit checker passes on %d chains\n", n);
        rc = err == HANSA_OK ? CLI_OK : CLI_FAILED;
    }
    for (int i = 0; i < loaded; i++) ledger_state_free((ledger_state *)states[i]);
    return rc;
}

/* Signs a collateral bond or unbond from key `from` and waits for its commit. */
static int corr_tx(const cli_common *c, uint16_t kind, const char *chain_text, const char *amount_text,
                   const char *from) {
    uint32_t chain;
    uint64_t amount;
    const char *cwhy = "";
    if (from == NULL || amount_text == NULL || !cli_parse_u64(amount_text, &amount) ||
        chain_id_parse(chain_text, &chain, &cwhy) != HANSA_OK) {
        fprintf(stderr, "hansa xfer: a chain id, --amount N and --from NAME are needed %s\n", cwhy);
        return CLI_USAGE;
    }
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX], addr[CLI_ADDR_MAX], me[ADDR_TEXT_MAX];
    cli_keys_path(c, path);
    cli_node_addr(c, addr);
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa xfer: %s\n", why);
        return CLI_USAGE;
    }
    const keyfile_key *k = keyfile_find(&kf, from);
    int rc = CLI_OK;
    json_t *st = NULL, *acct = NULL, *r = NULL;
    if (k == NULL) {
        fprintf(stderr, "hansa xfer: no key named %s in %s\n", from, path);
        rc = CLI_USAGE;
    } else if ((st = cli_call("xfer", addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc)) != NULL) {
        keyfile_address(&kf, k, me);
        acct = cli_call("xfer", addr, "account", json_pack("{s:s}", "address", me), CLI_CALL_TIMEOUT_MS, &rc);
    }
    if (acct) {
        uint8_t body[XFER_CORR_BODY_BYTES];
        le32_store(body, chain);
        le64_store(body + 4, amount);
        wire_tx tx = {.chain_id = kf.chain_id, .sender = k->kp.pub, .nonce = cli_u64(acct, "nonce"),
                      .fee = cli_u64(st, "min_fee"), .kind = kind, .body = body, .body_len = sizeof body};
        hbuf sb = HBUF_INIT, enc = HBUF_INIT;
        wire_tx_sign_bytes(&sb, &tx);
        sign_domain(&k->kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
        wire_tx_encode(&enc, &tx);
        char *hex = hansa_malloc(2 * enc.len + 1);
        hex_encode(enc.data, enc.len, hex);
        r = cli_call("xfer", addr, "submit_tx", json_pack("{s:s, s:b, s:i}", "tx", hex, "wait", 1, "timeout_ms", 30000),
                     35000, &rc);
        free(hex);
        hbuf_free(&sb);
        hbuf_free(&enc);
        if (r) printf("committed %s\n", cli_str(r, "hash"));
    }
    json_decref(r);
    json_decref(acct);
    json_decref(st);
    keyfile_free(&kf);
    return rc;
}

static int corr_show(const cli_common *c) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("xfer corr", addr, "correspondents", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c->json) {
        cli_print_json(r);
    } else {
        json_t *list = json_object_get(r, "correspondents");
        printf("%-10s %12s %12s %12s %12s %12s\n", "chain", "collateral", "limit", "claims", "escrow", "position");
        for (size_t i = 0; i < json_array_size(list); i++) {
            json_t *e = json_array_get(list, i);
            printf("%-10s %12s %12s %12s %12s %12s\n", cli_str(e, "chain_id"), cli_str(e, "collateral"),
                   json_is_null(json_object_get(e, "limit")) ? "none" : cli_str(e, "limit"), cli_str(e, "claims"),
                   cli_str(e, "escrow"), cli_str(e, "position"));
        }
    }
    json_decref(r);
    return CLI_OK;
}

int cmd_xfer(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "audit") == 0) return audit(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "corr") == 0) {
        cli_common c = {0};
        for (int i = 2; i < argc; i++)
            if (!cli_common_opt(&c, argc, argv, &i)) return usage();
        return corr_show(&c);
    }
    if (argc >= 3 && (strcmp(argv[1], "bond") == 0 || strcmp(argv[1], "unbond") == 0)) {
        cli_common c = {0};
        const char *amount = NULL, *from = NULL;
        for (int i = 3; i < argc; i++) {
            if (cli_common_opt(&c, argc, argv, &i)) continue;
            if (strcmp(argv[i], "--amount") == 0 && i + 1 < argc) amount = argv[++i];
            else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) from = argv[++i];
            else return usage();
        }
        return corr_tx(&c, strcmp(argv[1], "bond") == 0 ? TX_CORR_BOND : TX_CORR_UNBOND, argv[2], amount, from);
    }
    if (argc < 3) return usage();
    cli_common c = {0};
    const char *dest = NULL;
    for (int i = 3; i < argc; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--dest-node") == 0 && i + 1 < argc) dest = argv[++i];
        else return usage();
    }
    if (strcmp(argv[1], "status") == 0) return status(argv[2], &c, dest);
    if (strcmp(argv[1], "vouchers") == 0 && dest == NULL) return vouchers(argv[2], &c);
    return usage();
}
