/* cli_client.c — `hansa client ...`: the light clients a chain keeps of
 * foreign chains (ledger/client.h, docs/interchain.md).
 *
 *   hansa client list                                     the clients, one line each
 *   hansa client show CHAIN                               one in full
 *   hansa client register CHAIN --source A [--height H] [--trusting-period-ms N] [--drift-ms N] [--cert frost]
 *   hansa client approve CHAIN [--subject HASH]           a registration or revival
 *   hansa client update CHAIN (--source A [--height H] [--cert C] | --light FILE [--source A])
 *   hansa client revive CHAIN --source A [--height H] [--cert C]
 *   hansa client misbehaviour CHAIN --source A --conflict FILE
 *   hansa client forge --source A --height H --signer KEYFILE [--signer ...] --out FILE
 * with the common --node (the verifying chain's node), --keys, --from NAME
 * (the signing key of transactions), --no-wait and --json.
 *
 * --source is an RPC address of the foreign chain (any node: what it says
 * is checked by the chain, not believed). A light block FILE is the JSON of
 * that chain's `light_block` RPC reply. `forge` signs a conflicting header
 * with keys you hold — exactly the double signing that gets those keys
 * slashed — for drills and tests of the misbehaviour path.
 *
 * --cert chooses an update's certificate: commit (the signers' precommits),
 * frost (the chain's FROST checkpoint and the handoffs to its key: the
 * client must trust a group key) or auto (the default: frost when it would
 * be accepted, else commit). `register --cert frost` makes the trust root
 * name the group key that signed the source's checkpoint of the root
 * header (verified here; the stakeholders approving it vouch for it). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/lightfetch.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "interchain/codec.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define SIGNERS_MAX 64
#define TRUSTING_PERIOD_DEFAULT_MS (14ull * 24 * 3600 * 1000)
#define CLOCK_DRIFT_DEFAULT_MS 10000

typedef struct {
    cli_common c;
    const char *sub;          /* the subcommand, for messages */
    const char *chain_text;
    uint32_t chain;
    const char *from, *source, *light, *conflict, *subject, *out;
    uint64_t height, period, drift;
    uint32_t round;
    bool has_round, no_wait;
    lf_cert cert;
    const char *signers[SIGNERS_MAX];
    size_t n_signers;
} copts;

static int usage(void) {
    fprintf(stderr,
            "usage: hansa client list|show CHAIN [--node A] [--json]\n"
            "       hansa client register CHAIN --source A [--height H] [--trusting-period-ms N] [--drift-ms N]\n"
            "         [--cert frost] (the root names the group key of the source's checkpoint)\n"
            "       hansa client approve CHAIN [--subject HASH]\n"
            "       hansa client update CHAIN (--source A [--height H] [--cert C] | --light FILE [--source A])\n"
            "         (a --height below the latest fills in that past header; C: auto, commit, frost)\n"
            "       hansa client revive CHAIN --source A [--height H] [--cert C]\n"
            "       hansa client misbehaviour CHAIN --source A --conflict FILE\n"
            "       hansa client forge --source A --height H --signer KEYFILE [--signer ...] [--round R] --out FILE\n"
            "  transactions also take --from NAME [--keys FILE] [--node A] [--no-wait]\n");
    return CLI_USAGE;
}

static bool parse(copts *o, int argc, char **argv, int first) {
    for (int i = first; i < argc; i++) {
        if (cli_common_opt(&o->c, argc, argv, &i)) continue;
        const char *a = argv[i];
        bool has = i + 1 < argc;
        uint64_t x;
        if (strcmp(a, "--no-wait") == 0) o->no_wait = true;
        else if (strcmp(a, "--from") == 0 && has) o->from = argv[++i];
        else if (strcmp(a, "--source") == 0 && has) o->source = argv[++i];
        else if (strcmp(a, "--light") == 0 && has) o->light = argv[++i];
        else if (strcmp(a, "--conflict") == 0 && has) o->conflict = argv[++i];
        else if (strcmp(a, "--subject") == 0 && has) o->subject = argv[++i];
        else if (strcmp(a, "--out") == 0 && has) o->out = argv[++i];
        else if (strcmp(a, "--cert") == 0 && has) {
            const char *c = argv[++i];
            if (strcmp(c, "auto") == 0) o->cert = LF_CERT_AUTO;
            else if (strcmp(c, "commit") == 0) o->cert = LF_CERT_COMMIT;
            else if (strcmp(c, "frost") == 0) o->cert = LF_CERT_FROST;
            else {
                fprintf(stderr, "hansa %s: --cert takes auto, commit or frost, not %s\n", o->sub, c);
                return false;
            }
        }
        else if (strcmp(a, "--signer") == 0 && has && o->n_signers < SIGNERS_MAX) o->signers[o->n_signers++] = argv[++i];
        else if (strcmp(a, "--height") == 0 && has && cli_parse_u64(argv[i + 1], &o->height)) i++;
        else if (strcmp(a, "--trusting-period-ms") == 0 && has && cli_parse_u64(argv[i + 1], &o->period)) i++;
        else if (strcmp(a, "--drift-ms") == 0 && has && cli_parse_u64(argv[i + 1], &o->drift)) i++;
        else if (strcmp(a, "--round") == 0 && has && cli_parse_u64(argv[i + 1], &x) && x < UINT32_MAX) {
            o->round = (uint32_t)x;
            o->has_round = true;
            i++;
        } else {
            fprintf(stderr, "hansa %s: unexpected argument %s\n", o->sub, a);
            return false;
        }
    }
    return true;
}

static bool parse_chain(copts *o, const char *text) {
    const char *why = "";
    o->chain_text = text;
    if (chain_id_parse(text, &o->chain, &why) == HANSA_OK) return true;
    fprintf(stderr, "hansa %s: chain %s: %s\n", o->sub, text, why);
    return false;
}

/* ---- the verifying chain's view ---- */

static json_t *client_json(const copts *o, const char *addr, int *rc) {
    return cli_call(o->sub, addr, "client", json_pack("{s:s}", "chain_id", o->chain_text), CLI_CALL_TIMEOUT_MS, rc);
}

static bool hash_field(const json_t *j, const char *key, hansa_hash *out) {
    return cli_hex_fixed(j, key, out->b, HANSA_HASH_BYTES);
}

/* The client's parameters and its consensus state at `which` (the latest
 * when 0) from its `client` view. */
static bool client_state(const json_t *cj, ic_params *p, ic_consensus *latest) {
    const json_t *l = json_object_get(cj, "latest");
    p->trusting_period_ms = cli_u64(cj, "trusting_period_ms");
    p->max_clock_drift_ms = cli_u64(cj, "max_clock_drift_ms");
    memset(latest, 0, sizeof *latest);
    latest->height = cli_u64(l, "height");
    latest->time_ms = cli_u64(l, "time_ms");
    const json_t *k = json_object_get(l, "group_key");
    if (k) { /* the FROST group key the state trusts */
        latest->key_epoch = cli_u64(k, "epoch");
        latest->key_time_ms = cli_u64(k, "time_ms");
        uint8_t key[FROST_POINT_BYTES];
        if (!cli_hex_fixed(k, "key", key, sizeof key) || frost_point_decode(key, &latest->group_key) != HANSA_OK)
            return false;
    }
    return hash_field(l, "header_hash", &latest->header_hash) && hash_field(l, "app_hash", &latest->app_hash) &&
           hash_field(l, "tx_root", &latest->tx_root) && hash_field(l, "validators_hash", &latest->validators_hash) &&
           hash_field(l, "next_validators_hash", &latest->next_validators_hash);
}

/* The highest height the client stores below h (0 if none is). */
static uint64_t stored_below(const json_t *cj, uint64_t h) {
    const json_t *hs = json_object_get(cj, "heights");
    uint64_t best = 0;
    bool found = false;
    for (size_t i = 0; i < json_array_size(hs); i++) {
        uint64_t x = (uint64_t)json_integer_value(json_array_get(hs, i));
        if (x < h && (!found || x > best)) best = x, found = true;
    }
    return best;
}

/* --height below the client's latest and not stored: a back-fill, proven
 * from the stored height below it, as a relayer does for a packet from an
 * older block (or a receipt signer's bond, ledger/receipt_x.h). */
static bool backfill(const copts *o, const json_t *cj) {
    if (!o->height || !o->source || o->light) return false;
    uint64_t latest = cli_u64(json_object_get(cj, "latest"), "height");
    return o->height < latest && stored_below(cj, o->height + 1) != o->height;
}

/* ---- signing and submitting ---- */

/* dup (may be NULL): set when the node refused the tx as a duplicate. */
static int sign_submit(const copts *o, uint16_t kind, const hbuf *body, bool *dup) {
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX], addr[CLI_ADDR_MAX];
    cli_keys_path(&o->c, path);
    cli_node_addr(&o->c, addr);
    if (o->from == NULL) {
        fprintf(stderr, "hansa %s: --from NAME names the key that signs and pays the fee\n", o->sub);
        return CLI_USAGE;
    }
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->sub, why);
        return CLI_USAGE;
    }
    const keyfile_key *k = keyfile_find(&kf, o->from);
    int rc = CLI_OK;
    json_t *st = k ? cli_call(o->sub, addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc) : NULL;
    char me[ADDR_TEXT_MAX];
    json_t *acct = NULL;
    if (!k) {
        fprintf(stderr, "hansa %s: no key named %s in %s\n", o->sub, o->from, path);
        rc = CLI_USAGE;
    } else if (st) {
        keyfile_address(&kf, k, me);
        acct = cli_call(o->sub, addr, "account", json_pack("{s:s}", "address", me), CLI_CALL_TIMEOUT_MS, &rc);
    }
    if (acct) {
        const char *chain_text = cli_str(st, "chain_id");
        uint32_t chain = 0;
        const char *cwhy;
        chain_id_parse(chain_text, &chain, &cwhy);
        wire_tx tx = {.chain_id = chain, .sender = k->kp.pub, .nonce = cli_u64(acct, "nonce"),
                      .fee = cli_u64(st, "min_fee"), .kind = kind, .body = body->data,
                      .body_len = (uint32_t)body->len};
        int timeout;
        json_t *params = cli_submit_params(&tx, &k->kp, o->no_wait, &timeout);
        json_t *edata = NULL;
        json_t *r = cli_call_ex(o->sub, addr, "submit_tx", params, timeout, &rc, NULL, &edata);
        if (dup) *dup = edata && strcmp(cli_str(edata, "error"), hansa_errname(HANSA_ERR_DUPLICATE)) == 0;
        json_decref(edata);
        if (r && o->c.json) cli_print_json(r);
        else if (r) printf("%s %s\n", o->no_wait ? "submitted" : "committed", cli_str(r, "hash"));
        json_decref(r);
    }
    json_decref(acct);
    json_decref(st);
    keyfile_free(&kf);
    return rc;
}

/* ---- views ---- */

static void print_summary(const json_t *c) {
    char when[48];
    cli_format_time(cli_u64(c, "trusted_time_ms"), when, sizeof when);
    const char *status = cli_str(c, "status");
    bool expired = json_is_true(json_object_get(c, "expired"));
    printf("%-10s %-8s %-8s %10llu  %s", cli_str(c, "chain_id"), status, expired ? "expired" : "-",
           (unsigned long long)cli_u64(c, "trusted_height"), when);
    if (strcmp(status, "frozen") == 0)
        printf("  (%s at height %llu)", cli_str(c, "frozen_reason"), (unsigned long long)cli_u64(c, "frozen_height"));
    printf("\n");
}

static int client_list(copts *o) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call(o->sub, addr, "client_list", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (o->c.json) cli_print_json(r);
    else {
        printf("%-10s %-8s %-8s %10s  %s\n", "chain", "status", "expiry", "trusted", "trusted header time");
        const json_t *list = json_object_get(r, "clients");
        for (size_t i = 0; i < json_array_size(list); i++) print_summary(json_array_get(list, i));
    }
    json_decref(r);
    return CLI_OK;
}

static int client_show(copts *o) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int rc = CLI_OK;
    json_t *r = client_json(o, addr, &rc);
    if (!r) return rc;
    if (o->c.json) {
        cli_print_json(r);
        json_decref(r);
        return CLI_OK;
    }
    char when[48], expires[48];
    cli_format_time(cli_u64(r, "trusted_time_ms"), when, sizeof when);
    cli_format_time(cli_u64(r, "expires_at_ms"), expires, sizeof expires);
    const json_t *l = json_object_get(r, "latest");
    printf("light client of chain %s (on this chain's height %llu)\n", cli_str(r, "chain_id"),
           (unsigned long long)cli_u64(r, "height"));
    printf("  status          %s%s (since height %llu)\n", cli_str(r, "status"),
           json_is_true(json_object_get(r, "expired")) ? ", expired: only a revival helps" : "",
           (unsigned long long)cli_u64(r, "since"));
    if (strcmp(cli_str(r, "status"), "frozen") == 0)
        printf("  frozen          %s at height %llu\n", cli_str(r, "frozen_reason"),
               (unsigned long long)cli_u64(r, "frozen_height"));
    printf("  trusted height  %llu, time %s\n", (unsigned long long)cli_u64(r, "trusted_height"), when);
    printf("  header          %s\n  app hash        %s\n  tx root         %s\n", cli_str(l, "header_hash"),
           cli_str(l, "app_hash"), cli_str(l, "tx_root"));
    printf("  expires at      %s (trusting period %llu ms, drift %llu ms)\n", expires,
           (unsigned long long)cli_u64(r, "trusting_period_ms"), (unsigned long long)cli_u64(r, "max_clock_drift_ms"));
    printf("  heights kept    %zu\n", json_array_size(json_object_get(r, "heights")));
    const json_t *gk = json_object_get(l, "group_key");
    if (gk) { /* updates by FROST checkpoint are possible (docs/interchain.md) */
        char seen[48];
        cli_format_time(cli_u64(gk, "time_ms"), seen, sizeof seen);
        printf("  group key       %s of epoch %llu, last shown current %s\n", cli_str(gk, "key"),
               (unsigned long long)cli_u64(gk, "epoch"), seen);
    }
    if (strcmp(cli_str(r, "status"), "pending") == 0)
        printf("  registration    %s approved by %s of %s bonded\n", cli_str(r, "root_hash"), cli_str(r, "approvals"),
               cli_str(r, "bonded"));
    const json_t *rv = json_object_get(r, "revival");
    if (rv)
        printf("  revival         header %llu (%s) approved by %s of %s bonded\n", (unsigned long long)cli_u64(rv, "height"),
               cli_str(rv, "header_hash"), cli_str(rv, "approvals"), cli_str(r, "bonded"));
    const json_t *ev = json_object_get(r, "evidence");
    for (size_t i = 0; i < json_array_size(ev); i++) {
        const json_t *e = json_array_get(ev, i);
        printf("  evidence        %s signed twice at height %llu round %llu\n", cli_str(e, "offender"),
               (unsigned long long)cli_u64(e, "height"), (unsigned long long)cli_u64(e, "round"));
    }
    json_decref(r);
    return CLI_OK;
}

/* ---- transactions ---- */

/* The source's checkpoint at height (0: its newest), or false with a message. */
static bool fetch_checkpoint(const copts *o, uint64_t height, checkpoint *cp) {
    int rc = CLI_OK;
    json_t *r = cli_call(o->sub, o->source, "checkpoint",
                         height ? json_pack("{s:I}", "height", (json_int_t)height) : json_object(),
                         CLI_CALL_TIMEOUT_MS, &rc);
    bool ok = r && lf_checkpoint_parse(r, cp);
    if (r && !ok) fprintf(stderr, "hansa %s: %s served a malformed checkpoint\n", o->sub, o->source);
    json_decref(r);
    return ok;
}

static int client_register(copts *o) {
    if (!o->source) return usage();
    light_block lb;
    char why[256];
    checkpoint cp;
    bool frost = o->cert == LF_CERT_FROST;
    if (frost && !fetch_checkpoint(o, o->height, &cp)) return CLI_FAILED;
    if (!lf_fetch(o->source, frost ? cp.height : o->height, &lb, why, sizeof why)) {
        fprintf(stderr, "hansa client register: %s\n", why);
        return CLI_UNREACHABLE;
    }
    if (lb.chain_id != o->chain) {
        fprintf(stderr, "hansa client register: %s runs chain %x, not %s\n", o->source, lb.chain_id, o->chain_text);
        light_block_free(&lb);
        return CLI_FAILED;
    }
    ic_create cr;
    uint64_t period = o->period ? o->period : TRUSTING_PERIOD_DEFAULT_MS, drift = o->drift ? o->drift : CLOCK_DRIFT_DEFAULT_MS;
    if (!frost) lf_trust_root(&lb, period, drift, &cr);
    else if (!lf_trust_root_frost(&lb, &cp, period, drift, &cr, why, sizeof why)) {
        fprintf(stderr, "hansa client register: %s\n", why);
        light_block_free(&lb);
        return CLI_FAILED;
    }
    light_block_free(&lb);
    if (frost && !o->c.json) {
        char kh[2 * FROST_POINT_BYTES + 1];
        hex_encode(cr.root.group_key.b, FROST_POINT_BYTES, kh);
        printf("trust root names group key %s of epoch %llu\n", kh, (unsigned long long)cr.root.key_epoch);
    }
    hbuf body = HBUF_INIT;
    ic_create_encode(&body, &cr);
    hansa_hash subject;
    ic_create_hash(&cr, &subject);
    char hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(subject.b, HANSA_HASH_BYTES, hex);
    if (!o->c.json) printf("trust root: chain %s height %llu; approvals vote for subject %s\n", o->chain_text,
                           (unsigned long long)cr.root.height, hex);
    int rc = sign_submit(o, TX_CLIENT_CREATE, &body, NULL);
    hbuf_free(&body);
    return rc;
}

static int client_approve(copts *o) {
    hansa_hash subject;
    if (o->subject) {
        size_t got = 0;
        if (hex_decode(o->subject, strlen(o->subject), subject.b, HANSA_HASH_BYTES, &got, NULL) != HANSA_OK ||
            got != HANSA_HASH_BYTES) {
            fprintf(stderr, "hansa client approve: --subject must be 64 hex digits\n");
            return CLI_USAGE;
        }
    } else {
        char addr[CLI_ADDR_MAX];
        cli_node_addr(&o->c, addr);
        int rc = CLI_OK;
        json_t *cj = client_json(o, addr, &rc);
        if (!cj) return rc;
        const json_t *rv = json_object_get(cj, "revival");
        bool ok = strcmp(cli_str(cj, "status"), "pending") == 0 ? hash_field(cj, "root_hash", &subject)
                  : rv ? hash_field(rv, "header_hash", &subject) : false;
        json_decref(cj);
        if (!ok) {
            fprintf(stderr, "hansa client approve: chain %s's client waits for no approval\n", o->chain_text);
            return CLI_FAILED;
        }
    }
    hbuf body = HBUF_INIT;
    ic_approve_encode(&body, o->chain, &subject);
    int rc = sign_submit(o, TX_CLIENT_APPROVE, &body, NULL);
    hbuf_free(&body);
    return rc;
}

/* Reads a light block file (the JSON of a light_block reply). */
static bool light_file(const copts *o, const char *path, light_block *out) {
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    char why[256];
    bool ok = j && lf_parse(j, path, out, why, sizeof why);
    if (!j) fprintf(stderr, "hansa %s: %s:%d: %s\n", o->sub, path, je.line, je.text);
    else if (!ok) fprintf(stderr, "hansa %s: %s\n", o->sub, why);
    json_decref(j);
    return ok;
}

/* An update proving lb from the client's highest stored height below it;
 * the trusted set, when skipping, comes from --source. Takes lb's arrays. */
static bool update_from(const copts *o, const json_t *cj, light_block *lb, ic_update *u) {
    uint64_t t = stored_below(cj, lb->height);
    memset(u, 0, sizeof *u);
    u->trusted_height = t;
    u->header = lb->header;
    u->cert_kind = IC_CERT_COMMIT;
    u->commit = lb->commit;
    u->vals = lb->vals;
    memset(&lb->commit, 0, sizeof lb->commit);
    memset(&lb->vals, 0, sizeof lb->vals);
    if (lb->height == t + 1) return true;
    light_block first;
    char why[256];
    if (!o->source || !lf_fetch(o->source, t + 1, &first, why, sizeof why)) {
        fprintf(stderr, "hansa %s: the trusted set of height %" PRIu64 " is needed from --source: %s\n",
                o->sub, t, o->source ? why : "none given");
        ic_update_free(u);
        return false;
    }
    u->has_trusted_vals = true;
    u->trusted_vals = first.vals;
    memset(&first.vals, 0, sizeof first.vals);
    light_block_free(&first);
    return true;
}

/* Whether addr's client of o's chain holds height h with header hash want
 * (quietly: not holding it yet is no error here). */
static bool client_holds(const copts *o, const char *addr, uint64_t h, const hansa_hash *want) {
    rpcc_error err;
    json_t *cj = rpcc_call(addr, "client", json_pack("{s:s, s:I}", "chain_id", o->chain_text, "height", (json_int_t)h),
                           CLI_CALL_TIMEOUT_MS, &err);
    if (!cj) {
        json_decref(err.data);
        return false;
    }
    hansa_hash got;
    bool same = strcmp(cli_str(cj, "status"), "active") == 0 &&
                hash_field(json_object_get(cj, "at"), "header_hash", &got) && hash_eq(&got, want);
    json_decref(cj);
    return same;
}

/* The other update may still wait in the node's mempool (ours was judged
 * against it): a few blocks for it to commit. */
#define LANDED_WAIT_POLLS 40
#define LANDED_POLL_US 250000

/* After an update refused as a duplicate: if the client comes to hold the
 * header the update carried, the caller's goal is met and says so. When
 * the caller named the height (--height, --light), a header the client
 * held already when we read it (before) stays a refusal: a stale request.
 * When this command chose the height (the source's newest), it may have
 * read the client just before another relayer's update landed and built
 * the same one: the client is as far as the source can take it. */
static bool landed_first(const copts *o, const char *addr, const hbuf *body, const json_t *before) {
    ic_update u;
    if (ic_update_decode(body->data, body->len, &u, NULL) != HANSA_OK) return false;
    hansa_hash want;
    wire_header_hash(&u.header, &want);
    uint64_t h = u.header.height;
    ic_update_free(&u);
    const json_t *hs = json_object_get(before, "heights");
    bool named = o->height || o->light;
    for (size_t i = 0; i < json_array_size(hs) && named; i++)
        if ((uint64_t)json_integer_value(json_array_get(hs, i)) == h) return false;
    for (int t = 0; t < LANDED_WAIT_POLLS; t++) {
        if (client_holds(o, addr, h, &want)) {
            printf("chain %s's client holds height %llu with this header: another update landed first\n",
                   o->chain_text, (unsigned long long)h); /* maybe before our read: the same for the caller */
            return true;
        }
        usleep(LANDED_POLL_US);
    }
    return false;
}

static int client_update(copts *o, bool revive) {
    if (!o->source && !o->light) return usage();
    char addr[CLI_ADDR_MAX], why[256];
    cli_node_addr(&o->c, addr);
    int rc = CLI_OK;
    json_t *cj = client_json(o, addr, &rc);
    if (!cj) return rc;
    hbuf body = HBUF_INIT;
    bool back = !revive && backfill(o, cj);
    if ((o->light || back) && !revive) {
        light_block lb;
        ic_update u;
        if (back && !lf_fetch(o->source, o->height, &lb, why, sizeof why)) {
            fprintf(stderr, "hansa %s: %s\n", o->sub, why);
            rc = CLI_UNREACHABLE;
        } else if (!back && !light_file(o, o->light, &lb)) rc = CLI_USAGE;
        else if (!update_from(o, cj, &lb, &u)) rc = CLI_FAILED;
        else {
            ic_update_encode(&body, &u);
            ic_update_free(&u);
            if (back && !o->c.json)
                printf("back-filling chain %s's client at height %llu\n", o->chain_text,
                       (unsigned long long)o->height);
        }
        if (rc != CLI_UNREACHABLE) light_block_free(&lb);
    } else {
        ic_params p = {.chain_id = o->chain};
        ic_consensus latest;
        json_t *st = cli_call(o->sub, addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
        uint64_t now = st ? cli_u64(st, "block_time_ms") : 0, height = 0;
        json_decref(st);
        int built = -1;
        if (!client_state(cj, &p, &latest)) fprintf(stderr, "hansa %s: the node's client view is incomplete\n", o->sub);
        else built = lf_build_update_cert(o->source, o->cert, &p, &latest, o->height, now, revive, &body, &height, why,
                                          sizeof why);
        if (built <= 0) {
            if (built == 0) printf("chain %s's client is up to date (%s)\n", o->chain_text, why);
            else fprintf(stderr, "hansa %s: %s\n", o->sub, why);
            rc = built == 0 ? CLI_OK : CLI_FAILED;
        } else if (!o->c.json) {
            ic_update d;
            HANSA_ASSERT(ic_update_decode(body.data, body.len, &d, NULL) == HANSA_OK); /* our own encoding */
            char kind[96];
            if (d.cert_kind == IC_CERT_FROST) snprintf(kind, sizeof kind, "FROST checkpoint");
            else if (!d.has_key_proof) snprintf(kind, sizeof kind, "commit certificate");
            else snprintf(kind, sizeof kind, "commit certificate with the proof of key epoch %llu",
                          (unsigned long long)d.key_proof.epoch);
            printf("%s chain %s's client from height %llu to %llu by %s (%zu bytes)\n", revive ? "reviving" : "updating",
                   o->chain_text, (unsigned long long)latest.height, (unsigned long long)height, kind, body.len);
            ic_update_free(&d);
        }
        if (built <= 0) hbuf_free(&body);
    }
    if (rc == CLI_OK && body.len > 0) {
        bool dup = false;
        rc = sign_submit(o, revive ? TX_CLIENT_REVIVE : TX_CLIENT_UPDATE, &body, &dup);
        if (rc == CLI_FAILED && dup && !revive && landed_first(o, addr, &body, cj)) rc = CLI_OK;
    }
    json_decref(cj);
    hbuf_free(&body);
    return rc;
}

static int client_misbehaviour(copts *o) {
    if (!o->source || !o->conflict) return usage();
    char addr[CLI_ADDR_MAX], why[256];
    cli_node_addr(&o->c, addr);
    int rc = CLI_OK;
    light_block fake, real;
    if (!light_file(o, o->conflict, &fake)) return CLI_USAGE;
    if (!lf_fetch(o->source, fake.height, &real, why, sizeof why)) {
        fprintf(stderr, "hansa client misbehaviour: %s\n", why);
        light_block_free(&fake);
        return CLI_UNREACHABLE;
    }
    json_t *cj = client_json(o, addr, &rc);
    ic_update a, b;
    bool ok = cj && update_from(o, cj, &real, &a);
    if (ok && !update_from(o, cj, &fake, &b)) {
        ic_update_free(&a);
        ok = false;
    }
    hbuf body = HBUF_INIT;
    if (ok) {
        ic_misbehaviour_encode(&body, &a, &b);
        ic_update_free(&a);
        ic_update_free(&b);
        rc = sign_submit(o, TX_CLIENT_MISBEHAVIOUR, &body, NULL);
    } else if (rc == CLI_OK) {
        rc = CLI_FAILED;
    }
    hbuf_free(&body);
    json_decref(cj);
    light_block_free(&fake);
    light_block_free(&real);
    return rc;
}

/* Loads the first key of a key file (a node's node.key holds one). */
static bool signer_key(const char *spec, hansa_keypair *out) {
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s", spec);
    const char *name = NULL;
    char *colon = strrchr(path, ':');
    if (colon) {
        *colon = 0;
        name = colon + 1;
    }
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa client forge: %s\n", why);
        return false;
    }
    const keyfile_key *k = name ? keyfile_find(&kf, name) : (kf.count ? &kf.keys[0] : NULL);
    if (k) *out = k->kp;
    else fprintf(stderr, "hansa client forge: no such key in %s\n", path);
    keyfile_free(&kf);
    return k != NULL;
}

static int client_forge(copts *o) {
    if (!o->source || !o->height || !o->out || o->n_signers == 0) return usage();
    crypto_init();
    light_block lb;
    char why[256];
    if (!lf_fetch(o->source, o->height, &lb, why, sizeof why)) {
        fprintf(stderr, "hansa client forge: %s\n", why);
        return CLI_UNREACHABLE;
    }
    /* Another header at the same height: a different app hash. */
    lb.header.app_hash.b[0] ^= 0xff;
    hansa_keypair keys[SIGNERS_MAX];
    for (size_t s = 0; s < o->n_signers; s++)
        if (!signer_key(o->signers[s], &keys[s])) {
            for (size_t k = 0; k < s; k++) keypair_wipe(&keys[k]);
            light_block_free(&lb);
            return CLI_USAGE;
        }
    wire_commit c = {.chain_id = lb.chain_id, .height = lb.height, .round = o->has_round ? o->round : lb.commit.round};
    wire_header_hash(&lb.header, &c.block);
    c.sigs = hansa_calloc(lb.vals.n, sizeof *c.sigs);
    for (uint16_t idx = 0; idx < lb.vals.n; idx++)
        for (size_t s = 0; s < o->n_signers; s++) {
            if (!pubkey_eq(&keys[s].pub, &lb.vals.v[idx].pubkey)) continue;
            wire_commit_sig *cs = &c.sigs[c.n_sigs++];
            cs->validator_index = idx;
            wire_vote v;
            wire_commit_vote(&c, c.n_sigs - 1, &keys[s].pub, &v);
            hbuf sb = HBUF_INIT;
            wire_vote_sign_bytes(&sb, &v);
            sign_domain(&keys[s], SIGN_DOMAIN_VOTE, sb.data, sb.len, &cs->sig);
            hbuf_free(&sb);
            break;
        }
    for (size_t s = 0; s < o->n_signers; s++) keypair_wipe(&keys[s]);
    wire_commit_free(&lb.commit);
    lb.commit = c;
    int rc = CLI_OK;
    if (c.n_sigs == 0) {
        fprintf(stderr, "hansa client forge: none of the signers is in the set of height %llu\n",
                (unsigned long long)o->height);
        rc = CLI_FAILED;
    } else {
        json_t *j = lf_json(&lb);
        if (json_dump_file(j, o->out, JSON_INDENT(2)) != 0) {
            fprintf(stderr, "hansa client forge: cannot write %s\n", o->out);
            rc = CLI_FAILED;
        } else {
            printf("wrote a conflicting header %llu signed by %u of %u delegates to %s\n",
                   (unsigned long long)o->height, c.n_sigs, lb.vals.n, o->out);
        }
        json_decref(j);
    }
    light_block_free(&lb);
    return rc;
}

int cmd_client(int argc, char **argv) {
    if (argc < 2) return usage();
    char name[64];
    snprintf(name, sizeof name, "client %s", argv[1]);
    copts o = {.sub = name};
    const char *sub = argv[1];
    bool needs_chain = strcmp(sub, "list") != 0 && strcmp(sub, "forge") != 0;
    int first = needs_chain ? 3 : 2;
    if (needs_chain && (argc < 3 || !parse_chain(&o, argv[2]))) return usage();
    if (!parse(&o, argc, argv, first)) return usage();
    if (strcmp(sub, "list") == 0) return client_list(&o);
    if (strcmp(sub, "show") == 0) return client_show(&o);
    if (strcmp(sub, "register") == 0) return client_register(&o);
    if (strcmp(sub, "approve") == 0) return client_approve(&o);
    if (strcmp(sub, "update") == 0) return client_update(&o, false);
    if (strcmp(sub, "revive") == 0) return client_update(&o, true);
    if (strcmp(sub, "misbehaviour") == 0) return client_misbehaviour(&o);
    if (strcmp(sub, "forge") == 0) return client_forge(&o);
    return usage();
}
