/* cli_delegates.c — the delegate commands of `hansa`: staking, voting,
 * unjailing and software ratification (each a signed transaction of
 * ledger/tx_stake.h's kinds), and the views of candidates, delegates and
 * upgrade proposals. docs/delegates.md, "Running a delegate", walks
 * through them.
 *
 *   hansa stake|unstake --from NAME --amount N
 *   hansa vote|unvote   --from NAME --for PUBKEY|ADDRESS --amount N [--for .. --amount ..]
 *   hansa unjail        --from NAME
 *   hansa upgrade propose|vote --from NAME --hash H
 *   hansa upgrade status [--hash H]
 *   hansa candidates | hansa delegates
 *
 * A transaction is built and signed here, as `hansa send` does: the node
 * gives the chain id, the minimum fee and the nonce, then takes the signed
 * bytes with submit_tx and (unless --no-wait) answers when they commit. The
 * key never leaves this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "threshold/checkpoint.h"
#include "node/keyfile.h"
#include "wire/codec.h"


/* What every delegate transaction command parses. */
typedef struct {
    cli_common c;
    const char *cmd; /* for messages: "stake", "vote", "upgrade propose"... */
    const char *from, *fee, *hash;
    bool no_wait;
    size_t n_for, n_amount;
    const char *fors[LEDGER_VOTE_PAIRS_MAX];
    const char *amounts[LEDGER_VOTE_PAIRS_MAX];
} dtx_opts;

/* Parses argv[1..] (common options, --from, --fee, --no-wait, --hash, and
 * repeatable --for / --amount). False on anything else or too many pairs. */
static bool dtx_parse(dtx_opts *o, int argc, char **argv, int first) {
    for (int i = first; i < argc; i++) {
        if (cli_common_opt(&o->c, argc, argv, &i)) continue;
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--no-wait") == 0) o->no_wait = true;
        else if (strcmp(a, "--from") == 0 && has) o->from = argv[++i];
        else if (strcmp(a, "--fee") == 0 && has) o->fee = argv[++i];
        else if (strcmp(a, "--hash") == 0 && has) o->hash = argv[++i];
        else if (strcmp(a, "--for") == 0 && has && o->n_for < LEDGER_VOTE_PAIRS_MAX)
            o->fors[o->n_for++] = argv[++i];
        else if (strcmp(a, "--amount") == 0 && has && o->n_amount < LEDGER_VOTE_PAIRS_MAX)
            o->amounts[o->n_amount++] = argv[++i];
        else return false;
    }
    return o->from != NULL;
}

static bool opt_u64(const dtx_opts *o, const char *name, const char *text, uint64_t *out) {
    if (cli_parse_u64(text, out)) return true;
    fprintf(stderr, "hansa %s: %s %s: must be a whole number (digits only, at most 2^64-1)\n",
            o->cmd, name, text);
    return false;
}

/* Chain check, fee and nonce from the node. Returns an exit code. */
static int dtx_plan(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k,
                    uint64_t *fee, uint64_t *nonce) {
    int rc = CLI_OK;
    json_t *st = cli_call(o->cmd, addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!st) return rc;
    char mine[CHAIN_ID_TEXT_MAX];
    chain_id_format(kf->chain_id, mine);
    if (strcmp(cli_str(st, "chain_id"), mine) != 0) {
        fprintf(stderr, "hansa %s: the key file is for chain %s but the node at %s runs chain %s\n",
                o->cmd, mine, addr, cli_str(st, "chain_id"));
        json_decref(st);
        return CLI_USAGE;
    }
    if (!o->fee) *fee = cli_u64(st, "min_fee");
    json_decref(st);
    char from[ADDR_TEXT_MAX];
    keyfile_address(kf, k, from);
    json_t *acct = cli_call(o->cmd, addr, "account", json_pack("{s:s}", "address", from),
                            CLI_CALL_TIMEOUT_MS, &rc);
    if (!acct) return rc;
    *nonce = cli_u64(acct, "nonce");
    json_decref(acct);
    return CLI_OK;
}

/* Signs kind/body with k, submits (waiting unless --no-wait), prints. */
static int dtx_submit(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k,
                      tx_kind kind, const uint8_t *body, size_t body_len) {
    uint64_t fee = 0, nonce = 0;
    if (o->fee && !opt_u64(o, "--fee", o->fee, &fee)) return CLI_USAGE;
    int rc = dtx_plan(o, addr, kf, k, &fee, &nonce);
    if (rc != CLI_OK) return rc;
    wire_tx tx = {.chain_id = kf->chain_id, .sender = k->kp.pub, .nonce = nonce, .fee = fee,
                  .kind = (uint16_t)kind, .body = body, .body_len = (uint32_t)body_len};
    int timeout;
    json_t *params = cli_submit_params(&tx, &k->kp, o->no_wait, &timeout);
    hansa_hash h;
    wire_tx_hash(&tx, &h);
    char hash_hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(h.b, HANSA_HASH_BYTES, hash_hex);
    char what[128];
    snprintf(what, sizeof what, "waiting for the commit of %.16s", hash_hex);
    json_t *r = o->no_wait ? cli_call(o->cmd, addr, "submit_tx", params, timeout, &rc)
                           : cli_call_waiting(o->cmd, addr, "submit_tx", params, timeout, &rc, what);
    if (!r) return rc;
    if (o->c.json) cli_print_json(r);
    else if (o->no_wait) printf("submitted %s\n", hash_hex);
    else
        printf("committed %s\n  height %llu, fee %llu, nonce %llu\n", hash_hex,
               (unsigned long long)cli_u64(r, "height"), (unsigned long long)fee,
               (unsigned long long)nonce);
    json_decref(r);
    return CLI_OK;
}

typedef int (*dtx_build_fn)(const dtx_opts *o, const char *addr, const keyfile *kf,
                            const keyfile_key *k);

/* Loads the key file, finds --from and runs build with it. */
static int with_key(const dtx_opts *o, dtx_build_fn build) {
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX], addr[CLI_ADDR_MAX];
    cli_keys_path(&o->c, path);
    cli_node_addr(&o->c, addr);
    keyfile kf;
    int rc = CLI_USAGE;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->cmd, why);
    } else {
        const keyfile_key *k = keyfile_find(&kf, o->from);
        if (k) rc = build(o, addr, &kf, k);
        else
            fprintf(stderr, "hansa %s: no key named %s in %s (`hansa key list --keys %s` shows "
                            "the names)\n", o->cmd, o->from, path, path);
    }
    keyfile_free(&kf);
    return rc;
}

/* ---- stake, unstake, unjail ---- */

static int build_stake(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k,
                       tx_kind kind) {
    uint64_t amount;
    if (o->n_amount != 1 || o->n_for != 0) {
        fprintf(stderr, "hansa %s: give exactly one --amount (and no --for)\n", o->cmd);
        return CLI_USAGE;
    }
    if (!opt_u64(o, "--amount", o->amounts[0], &amount)) return CLI_USAGE;
    uint8_t body[8];
    le64_store(body, amount);
    return dtx_submit(o, addr, kf, k, kind, body, sizeof body);
}

static int build_stake_tx(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k) {
    return build_stake(o, addr, kf, k, TX_STAKE);
}

static int build_unstake_tx(const dtx_opts *o, const char *addr, const keyfile *kf,
                            const keyfile_key *k) {
    return build_stake(o, addr, kf, k, TX_UNSTAKE);
}

static int build_unjail_tx(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k) {
    return dtx_submit(o, addr, kf, k, TX_UNJAIL, NULL, 0);
}

static int amount_usage(const char *cmd) {
    fprintf(stderr,
            "usage: hansa %s --from NAME --amount N [--fee F] [--keys FILE] [--node ip:port]\n"
            "                  [--no-wait] [--json]\n", cmd);
    return CLI_USAGE;
}

static int run_simple(int argc, char **argv, const char *cmd, dtx_build_fn build, bool amount) {
    dtx_opts o = {.cmd = cmd};
    if (!dtx_parse(&o, argc, argv, 1) || (amount && o.n_amount == 0)) {
        if (amount) return amount_usage(cmd);
        fprintf(stderr, "usage: hansa %s --from NAME [--fee F] [--keys FILE] [--node ip:port] "
                        "[--no-wait] [--json]\n", cmd);
        return CLI_USAGE;
    }
    return with_key(&o, build);
}

int cmd_stake(int argc, char **argv) { return run_simple(argc, argv, "stake", build_stake_tx, true); }
int cmd_unstake(int argc, char **argv) {
    return run_simple(argc, argv, "unstake", build_unstake_tx, true);
}
int cmd_unjail(int argc, char **argv) {
    return run_simple(argc, argv, "unjail", build_unjail_tx, false);
}

/* ---- vote, unvote ---- */

typedef struct {
    hansa_pubkey pk;
    uint64_t amount;
} vote_pair;

static int pair_cmp(const void *a, const void *b) {
    return memcmp(((const vote_pair *)a)->pk.b, ((const vote_pair *)b)->pk.b, HANSA_PUBKEY_BYTES);
}

/* --for: 64 hex digits, or a candidate's address looked up in `candidates`. */
static bool candidate_of(const dtx_opts *o, const char *addr, const char *text, hansa_pubkey *out) {
    size_t got = 0;
    if (strlen(text) == 2 * HANSA_PUBKEY_BYTES &&
        hex_decode(text, strlen(text), out->b, HANSA_PUBKEY_BYTES, &got, NULL) == HANSA_OK)
        return true;
    hansa_addr want;
    const char *why = NULL;
    if (addr_parse(text, NULL, NULL, &want, &why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: --for %s is neither a 64-hex-digit public key nor an address "
                        "(%s)\n", o->cmd, text, why);
        return false;
    }
    int rc;
    json_t *r = cli_call(o->cmd, addr, "candidates", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    json_t *list = json_object_get(r, "candidates");
    bool found = false;
    for (size_t i = 0; i < json_array_size(list) && !found; i++) {
        json_t *c = json_array_get(list, i);
        hansa_addr a;
        if (addr_parse(cli_str(c, "address"), NULL, NULL, &a, &why) != HANSA_OK) continue;
        found = memcmp(a.b, want.b, HANSA_ADDR_BYTES) == 0 &&
                cli_hex_fixed(c, "pubkey", out->b, HANSA_PUBKEY_BYTES);
    }
    json_decref(r);
    if (!found && r)
        fprintf(stderr, "hansa %s: no candidate has the address %s (`hansa candidates` lists "
                        "them; a new candidate must stake first)\n", o->cmd, text);
    return found;
}

static int build_vote(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k,
                      tx_kind kind) {
    if (o->n_for == 0 || o->n_for != o->n_amount) {
        fprintf(stderr, "hansa %s: give --for and --amount in pairs (1..%d)\n", o->cmd,
                LEDGER_VOTE_PAIRS_MAX);
        return CLI_USAGE;
    }
    vote_pair pairs[LEDGER_VOTE_PAIRS_MAX];
    for (size_t i = 0; i < o->n_for; i++)
        if (!candidate_of(o, addr, o->fors[i], &pairs[i].pk) ||
            !opt_u64(o, "--amount", o->amounts[i], &pairs[i].amount))
            return CLI_USAGE;
    /* The ledger wants pubkeys strictly increasing: one canonical body. */
    qsort(pairs, o->n_for, sizeof pairs[0], pair_cmp);
    for (size_t i = 1; i < o->n_for; i++)
        if (pair_cmp(&pairs[i - 1], &pairs[i]) == 0) {
            fprintf(stderr, "hansa %s: a candidate is named twice\n", o->cmd);
            return CLI_USAGE;
        }
    uint8_t body[1 + LEDGER_VOTE_PAIRS_MAX * (HANSA_PUBKEY_BYTES + 8)];
    size_t len = 1;
    body[0] = (uint8_t)o->n_for;
    for (size_t i = 0; i < o->n_for; i++) {
        memcpy(body + len, pairs[i].pk.b, HANSA_PUBKEY_BYTES);
        le64_store(body + len + HANSA_PUBKEY_BYTES, pairs[i].amount);
        len += HANSA_PUBKEY_BYTES + 8;
    }
    return dtx_submit(o, addr, kf, k, kind, body, len);
}

static int build_vote_tx(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k) {
    return build_vote(o, addr, kf, k, TX_VOTE);
}

static int build_unvote_tx(const dtx_opts *o, const char *addr, const keyfile *kf,
                           const keyfile_key *k) {
    return build_vote(o, addr, kf, k, TX_UNVOTE);
}

static int run_vote(int argc, char **argv, const char *cmd, dtx_build_fn build) {
    dtx_opts o = {.cmd = cmd};
    if (!dtx_parse(&o, argc, argv, 1) || o.n_for == 0) {
        fprintf(stderr,
                "usage: hansa %s --from NAME --for PUBKEY|ADDRESS --amount N [--for .. --amount ..]\n"
                "                 [--fee F] [--keys FILE] [--node ip:port] [--no-wait] [--json]\n",
                cmd);
        return CLI_USAGE;
    }
    return with_key(&o, build);
}

int cmd_vote(int argc, char **argv) { return run_vote(argc, argv, "vote", build_vote_tx); }
int cmd_unvote(int argc, char **argv) { return run_vote(argc, argv, "unvote", build_unvote_tx); }

/* ---- upgrade ---- */

static bool parse_hash(const char *cmd, const char *text, uint8_t out[HANSA_HASH_BYTES]) {
    size_t got = 0;
    if (text && strlen(text) == 2 * HANSA_HASH_BYTES &&
        hex_decode(text, strlen(text), out, HANSA_HASH_BYTES, &got, NULL) == HANSA_OK)
        return true;
    fprintf(stderr, "hansa %s: --hash must be 64 hex digits (the SHA-256 of the hansad binary, "
                    "e.g. from `sha256sum hansad` or `hansa status`)\n", cmd);
    return false;
}

static int build_upgrade(const dtx_opts *o, const char *addr, const keyfile *kf, const keyfile_key *k,
                         tx_kind kind) {
    uint8_t h[HANSA_HASH_BYTES];
    if (!parse_hash(o->cmd, o->hash, h)) return CLI_USAGE;
    return dtx_submit(o, addr, kf, k, kind, h, sizeof h);
}

static int build_propose_tx(const dtx_opts *o, const char *addr, const keyfile *kf,
                            const keyfile_key *k) {
    return build_upgrade(o, addr, kf, k, TX_UPGRADE_PROPOSE);
}

static int build_upvote_tx(const dtx_opts *o, const char *addr, const keyfile *kf,
                           const keyfile_key *k) {
    return build_upgrade(o, addr, kf, k, TX_UPGRADE_VOTE);
}

static void print_proposal(const json_t *p) {
    printf("  %s\n    proposed at %llu, open until %llu, %llu approvals, weight %s of %s bonded\n"
           "    %s", cli_str(p, "hash"), (unsigned long long)cli_u64(p, "proposed_at"),
           (unsigned long long)cli_u64(p, "open_until"), (unsigned long long)cli_u64(p, "approvals"),
           cli_str(p, "approval_weight"), cli_str(p, "bonded_total"),
           json_is_true(json_object_get(p, "ratified")) ? "RATIFIED" : "not ratified");
    if (json_is_true(json_object_get(p, "ratified")))
        printf(" at height %llu", (unsigned long long)cli_u64(p, "ratified_at"));
    printf("\n");
}

static int upgrade_status(int argc, char **argv) {
    dtx_opts o = {.cmd = "upgrade status", .from = ""};
    if (!dtx_parse(&o, argc, argv, 2) || o.n_for || o.n_amount) {
        fprintf(stderr, "usage: hansa upgrade status [--hash H] [--node ip:port] [--json]\n");
        return CLI_USAGE;
    }
    uint8_t h[HANSA_HASH_BYTES];
    json_t *params = NULL;
    if (o.hash) {
        if (!parse_hash(o.cmd, o.hash, h)) return CLI_USAGE;
        params = json_pack("{s:s}", "hash", o.hash);
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o.c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call(o.cmd, addr, "upgrade", params, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (o.c.json) {
        cli_print_json(r);
    } else if (o.hash) {
        print_proposal(r);
    } else {
        const json_t *latest = json_object_get(r, "latest_ratified");
        printf("latest ratified software: %s\nproposals at height %llu:\n",
               json_is_string(latest) ? json_string_value(latest) : "none",
               (unsigned long long)cli_u64(r, "height"));
        const json_t *list = json_object_get(r, "proposals");
        for (size_t i = 0; i < json_array_size(list); i++) print_proposal(json_array_get(list, i));
        if (json_array_size(list) == 0) printf("  none\n");
    }
    json_decref(r);
    return CLI_OK;
}

int cmd_upgrade(int argc, char **argv) {
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "status") == 0) return upgrade_status(argc, argv);
    bool propose = strcmp(sub, "propose") == 0;
    if (!propose && strcmp(sub, "vote") != 0) {
        fprintf(stderr, "usage: hansa upgrade propose|vote --from NAME --hash H [--fee F] "
                        "[--keys FILE] [--node ip:port] [--no-wait] [--json]\n"
                        "       hansa upgrade status [--hash H] [--node ip:port] [--json]\n");
        return CLI_USAGE;
    }
    dtx_opts o = {.cmd = propose ? "upgrade propose" : "upgrade vote"};
    if (!dtx_parse(&o, argc, argv, 2) || !o.hash || o.n_for || o.n_amount) {
        fprintf(stderr, "usage: hansa upgrade %s --from NAME --hash H [--fee F] [--keys FILE] "
                        "[--node ip:port] [--no-wait] [--json]\n", sub);
        return CLI_USAGE;
    }
    return with_key(&o, propose ? build_propose_tx : build_upvote_tx);
}

/* ---- views ---- */

/* Parses a view's command line: only the common options. */
static bool view_args(cli_common *c, int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!cli_common_opt(c, argc, argv, &i)) return false;
    return true;
}

static json_t *view_call(const char *cmd, int argc, char **argv, cli_common *c, int *rc) {
    if (!view_args(c, argc, argv)) {
        fprintf(stderr, "usage: hansa %s [--node ip:port] [--json]\n", cmd);
        *rc = CLI_USAGE;
        return NULL;
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(c, addr);
    return cli_call(cmd, addr, cmd, NULL, CLI_CALL_TIMEOUT_MS, rc);
}

int cmd_candidates(int argc, char **argv) {
    cli_common c = {0};
    int rc = CLI_OK;
    json_t *r = view_call("candidates", argc, argv, &c, &rc);
    if (!r) return rc;
    if (c.json) {
        cli_print_json(r);
    } else {
        const json_t *list = json_object_get(r, "candidates");
        printf("candidates at height %llu (ranking order)\n  %-6s %-46s %14s %14s %14s %6s %6s  %s\n",
               (unsigned long long)cli_u64(r, "height"), "role", "address", "weight", "self bond",
               "votes", "power", "missed", "flags");
        for (size_t i = 0; i < json_array_size(list); i++) {
            const json_t *e = json_array_get(list, i);
            bool jailed = json_is_true(json_object_get(e, "jailed"));
            bool tomb = json_is_true(json_object_get(e, "tombstoned"));
            printf("  %-6s %-46s %14s %14s %14s %6llu %6llu  %s%s\n", cli_str(e, "role"),
                   cli_str(e, "address"), cli_str(e, "weight"), cli_str(e, "self_bond"),
                   cli_str(e, "votes"), (unsigned long long)cli_u64(e, "power"),
                   (unsigned long long)cli_u64(e, "missed"), tomb ? "tombstoned " : "",
                   jailed ? "jailed" : "");
        }
    }
    json_decref(r);
    return CLI_OK;
}

static void print_set(const char *title, const json_t *set, const char *field) {
    printf("%s\n", title);
    for (size_t i = 0; i < json_array_size(set); i++) {
        const json_t *e = json_array_get(set, i);
        const json_t *v = json_object_get(e, field);
        if (json_is_integer(v))
            printf("  %-46s %s %lld\n", cli_str(e, "address"), field, (long long)json_integer_value(v));
        else printf("  %-46s %s %s\n", cli_str(e, "address"), field, cli_str(e, field));
    }
    if (json_array_size(set) == 0) printf("  none\n");
}

int cmd_delegates(int argc, char **argv) {
    cli_common c = {0};
    int rc = CLI_OK;
    json_t *r = view_call("delegates", argc, argv, &c, &rc);
    if (!r) return rc;
    if (c.json) {
        cli_print_json(r);
    } else {
        char title[128];
        printf("height %llu, epoch %llu blocks, next election at %llu\n",
               (unsigned long long)cli_u64(r, "height"), (unsigned long long)cli_u64(r, "epoch_blocks"),
               (unsigned long long)cli_u64(r, "next_election"));
        snprintf(title, sizeof title, "active (deciding from height %llu):",
                 (unsigned long long)cli_u64(r, "active_from"));
        print_set(title, json_object_get(r, "active"), "power");
        snprintf(title, sizeof title, "next (deciding from height %llu):",
                 (unsigned long long)cli_u64(r, "next_from"));
        print_set(title, json_object_get(r, "next"), "power");
        print_set("bench:", json_object_get(r, "bench"), "weight");
    }
    json_decref(r);
    return CLI_OK;
}

/* Participant ids as "1 2 4" (or "-"). */
static void print_ids(const char *label, const json_t *ids) {
    printf("%s", label);
    for (size_t i = 0; i < json_array_size(ids); i++)
        printf(" %lld", (long long)json_integer_value(json_array_get(ids, i)));
    printf("%s\n", json_array_size(ids) ? "" : " -");
}

static bool hex_field(const json_t *r, const char *name, uint8_t *out, size_t n);

/* Moves t to key k (a group_key RPC entry) by k's handoff signature,
 * checked here (threshold/checkpoint.h frost_trust_follow); false with why
 * if it is missing or does not verify. */
static bool follow_key(frost_trust *t, const json_t *k, char *why, size_t why_len) {
    const json_t *ho = json_object_get(k, "handoff_sig");
    handoff h = {.old_epoch = cli_u64(ho, "from"), .new_epoch = cli_u64(k, "epoch"),
                 .t = (uint16_t)cli_u64(k, "t"), .n = (uint16_t)cli_u64(k, "n")};
    uint8_t ok_[FROST_POINT_BYTES], nk[FROST_POINT_BYTES], sig[FROST_SIG_BYTES];
    snprintf(why, why_len, "no handoff signature stored on this node");
    return json_is_object(ho) && hex_field(ho, "from_key", ok_, sizeof ok_) &&
           hex_field(k, "key", nk, sizeof nk) && hex_field(ho, "signature", sig, sizeof sig) &&
           frost_point_decode(ok_, &h.old_key) == HANSA_OK &&
           frost_point_decode(nk, &h.new_key) == HANSA_OK &&
           frost_sig_decode(sig, &h.sig) == HANSA_OK &&
           frost_trust_follow(t, &h, why, why_len) == HANSA_OK;
}

/* Follows the chain's keys from the oldest by their handoff signatures;
 * prints each step. False if one is missing or does not verify. */
static bool verify_handoffs(const json_t *r) {
    const json_t *keys = json_object_get(r, "keys");
    if (json_array_size(keys) == 0) return false;
    frost_trust t = {.chain_id = (uint32_t)cli_u64(r, "chain_id"),
                     .epoch = cli_u64(json_array_get(keys, 0), "epoch")};
    uint8_t kb[FROST_POINT_BYTES];
    if (!hex_field(json_array_get(keys, 0), "key", kb, sizeof kb) ||
        frost_point_decode(kb, &t.key) != HANSA_OK)
        return false;
    for (size_t i = 1; i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        char why[192];
        bool ok = follow_key(&t, k, why, sizeof why);
        printf("  handoff to epoch %llu: %s\n", (unsigned long long)cli_u64(k, "epoch"),
               ok ? "verified here (one signature by the previous key)" : why);
        if (!ok) return false;
    }
    return true;
}

int cmd_group_key(int argc, char **argv) {
    cli_common c = {0};
    bool verify = false, args_ok = true;
    for (int i = 1; i < argc && args_ok; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--verify") == 0) verify = true;
        else args_ok = false;
    }
    if (!args_ok) {
        fprintf(stderr, "usage: hansa group-key [--verify] [--node ip:port] [--json]\n");
        return CLI_USAGE;
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("group-key", addr, "group_key", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    if (c.json) {
        cli_print_json(r);
        json_decref(r);
        return CLI_OK;
    }
    const json_t *keys = json_object_get(r, "keys");
    printf("group keys at height %llu: %zu\n", (unsigned long long)cli_u64(r, "height"),
           json_array_size(keys));
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        printf("  epoch %llu: %s (%llu of %llu, keyed at %llu)\n",
               (unsigned long long)cli_u64(k, "epoch"), cli_str(k, "key"),
               (unsigned long long)cli_u64(k, "t"), (unsigned long long)cli_u64(k, "n"),
               (unsigned long long)cli_u64(k, "keyed_at"));
        print_ids("    qualified:", json_object_get(k, "qual"));
    }
    const json_t *d = json_object_get(r, "dkg");
    printf("key generation of epoch %llu: %s (commits before %llu, complaints before %llu, "
           "reveals before %llu)\n",
           (unsigned long long)cli_u64(d, "epoch"), cli_str(d, "state"),
           (unsigned long long)cli_u64(d, "commit_end"),
           (unsigned long long)cli_u64(d, "complaint_end"),
           (unsigned long long)cli_u64(d, "reveal_end"));
    print_ids("  committed:", json_object_get(d, "committed"));
    print_ids("  excluded:", json_object_get(d, "excluded"));
    bool verified = !verify || verify_handoffs(r);
    json_decref(r);
    return verified ? CLI_OK : CLI_FAILED;
}

/* Reads hex field name of r into out (exactly n bytes). */
static bool hex_field(const json_t *r, const char *name, uint8_t *out, size_t n) {
    const char *s = cli_str(r, name);
    size_t got = 0;
    return hex_decode(s, strlen(s), out, n, &got, NULL) == HANSA_OK && got == n;
}

/* The checkpoint's signature checked here, not by the node: the message
 * rebuilt from the served fields, the signature checked against the served
 * key, and that key compared with the chain's key of that epoch. */
static bool verify_checkpoint(const json_t *r, const char *addr, int *rc) {
    uint8_t sig[FROST_SIG_BYTES], key[FROST_POINT_BYTES];
    checkpoint cp = {.height = cli_u64(r, "height"), .epoch = cli_u64(r, "epoch")};
    if (!hex_field(r, "header_hash", cp.header_hash.b, HANSA_HASH_BYTES) ||
        !hex_field(r, "group_key", key, sizeof key) ||
        !hex_field(r, "signature", sig, sizeof sig) ||
        frost_point_decode(key, &cp.group_key) != HANSA_OK ||
        frost_sig_decode(sig, &cp.sig) != HANSA_OK) {
        fprintf(stderr, "hansa checkpoint: the node's answer is malformed\n");
        *rc = CLI_FAILED;
        return false;
    }
    if (!checkpoint_verify((uint32_t)cli_u64(r, "chain_id"), &cp)) {
        fprintf(stderr, "hansa checkpoint: the signature does NOT verify against the group key\n");
        *rc = CLI_FAILED;
        return false;
    }
    json_t *g = cli_call("checkpoint", addr, "group_key", NULL, CLI_CALL_TIMEOUT_MS, rc);
    if (!g) return false;
    const json_t *keys = json_object_get(g, "keys");
    bool chain_key = false;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        chain_key |= cli_u64(k, "epoch") == cp.epoch && strcmp(cli_str(k, "key"), cli_str(r, "group_key")) == 0;
    }
    json_decref(g);
    if (!chain_key) {
        fprintf(stderr, "hansa checkpoint: the key is not the chain's group key of epoch %llu\n",
                (unsigned long long)cp.epoch);
        *rc = CLI_FAILED;
    }
    return chain_key;
}

/* Parses "EPOCH:KEYHEX" (a group key the caller trusts) into t. */
static bool parse_trust(const char *arg, frost_trust *t) {
    const char *colon = strchr(arg, ':');
    char num[24];
    uint8_t kb[FROST_POINT_BYTES];
    size_t got = 0;
    if (!colon || (size_t)(colon - arg) >= sizeof num) return false;
    memcpy(num, arg, (size_t)(colon - arg));
    num[colon - arg] = 0;
    return cli_parse_u64(num, &t->epoch) &&
           hex_decode(colon + 1, strlen(colon + 1), kb, sizeof kb, &got, NULL) == HANSA_OK &&
           got == sizeof kb && frost_point_decode(kb, &t->key) == HANSA_OK;
}

/* A follower that trusts only t (not the node): it moves along the chain's
 * keys by their handoff signatures up to the checkpoint's epoch, then
 * checks the checkpoint under the key it reached. */
static bool follow_checkpoint(const json_t *r, frost_trust *t, const char *addr, int *rc) {
    checkpoint cp;
    uint8_t sig[FROST_SIG_BYTES], key[FROST_POINT_BYTES];
    cp.height = cli_u64(r, "height");
    cp.epoch = cli_u64(r, "epoch");
    t->chain_id = (uint32_t)cli_u64(r, "chain_id");
    *rc = CLI_FAILED;
    if (!hex_field(r, "header_hash", cp.header_hash.b, HANSA_HASH_BYTES) ||
        !hex_field(r, "group_key", key, sizeof key) || !hex_field(r, "signature", sig, sizeof sig) ||
        frost_point_decode(key, &cp.group_key) != HANSA_OK ||
        frost_sig_decode(sig, &cp.sig) != HANSA_OK)
        return false;
    json_t *g = cli_call("checkpoint", addr, "group_key", NULL, CLI_CALL_TIMEOUT_MS, rc);
    if (!g) return false;
    const json_t *keys = json_object_get(g, "keys");
    char why[192] = "";
    bool ok = true;
    for (size_t i = 0; i < json_array_size(keys) && ok; i++) {
        const json_t *k = json_array_get(keys, i);
        uint64_t e = cli_u64(k, "epoch");
        if (e <= t->epoch || e > cp.epoch) continue;
        ok = follow_key(t, k, why, sizeof why);
        printf("  followed to epoch %llu: %s\n", (unsigned long long)e, ok ? "handoff verified" : why);
    }
    json_decref(g);
    if (ok) ok = frost_trust_checkpoint(t, &cp, why, sizeof why) == HANSA_OK;
    if (!ok) fprintf(stderr, "hansa checkpoint: not followed: %s\n", why);
    *rc = ok ? CLI_OK : CLI_FAILED;
    return ok;
}

int cmd_checkpoint(int argc, char **argv) {
    cli_common c = {0};
    const char *arg = NULL, *follow = NULL;
    bool verify = false, ok = true;
    for (int i = 1; i < argc && ok; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--verify") == 0) verify = true;
        else if (strcmp(argv[i], "--follow") == 0 && i + 1 < argc) follow = argv[++i];
        else if (argv[i][0] != '-' && !arg) arg = argv[i];
        else ok = false;
    }
    uint64_t height = 0;
    frost_trust trust = {0};
    if (!ok || (arg && !cli_parse_u64(arg, &height)) || (follow && !parse_trust(follow, &trust))) {
        fprintf(stderr, "usage: hansa checkpoint [HEIGHT] [--verify] [--follow EPOCH:KEY] "
                        "[--node ip:port] [--json]\n");
        return CLI_USAGE;
    }
    json_t *params = json_object();
    if (arg) json_object_set_new(params, "height", json_integer((json_int_t)height));
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("checkpoint", addr, "checkpoint", params, CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    bool verified = verify && verify_checkpoint(r, addr, &rc);
    bool followed = follow && follow_checkpoint(r, &trust, addr, &rc);
    if (c.json) {
        if (verify) json_object_set_new(r, "verified", json_boolean(verified));
        if (follow) json_object_set_new(r, "followed", json_boolean(followed));
        cli_print_json(r);
    } else {
        printf("checkpoint %llu (epoch %llu)\n  header hash %s\n  group key   %s\n  signature   %s\n",
               (unsigned long long)cli_u64(r, "height"), (unsigned long long)cli_u64(r, "epoch"),
               cli_str(r, "header_hash"), cli_str(r, "group_key"), cli_str(r, "signature"));
        if (verified) printf("  verified here: one FROST signature by the chain's group key\n");
        if (followed)
            printf("  followed here from the trusted key to epoch %llu's: checkpoint verified\n",
                   (unsigned long long)trust.epoch);
    }
    json_decref(r);
    bool failed = (verify && !verified) || (follow && !followed);
    return failed ? (rc != CLI_OK ? rc : CLI_FAILED) : CLI_OK;
}
