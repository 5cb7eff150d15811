/* config.c — parsing genesis.json and config.json (see config.h). The
 * files are untrusted input: each is bounded in size, each field is
 * type-checked, and every error says file, field and reason. */
#include "node/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"

#define CONFIG_FILE_BYTES_MAX (256u << 20) /* a genesis with millions of accounts */

static json_t *load_json(const char *path, char why[CONFIG_WHY_MAX]) {
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, strerror(errno));
        return NULL;
    }
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    long size = ftell(f);
    fclose(f);
    if (!root) {
        snprintf(why, CONFIG_WHY_MAX, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return NULL;
    }
    if (size > (long)CONFIG_FILE_BYTES_MAX || !json_is_object(root)) {
        snprintf(why, CONFIG_WHY_MAX, "%s: must be a JSON object under 256 MiB", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A u64 from a non-negative JSON integer or a decimal string. */
static bool get_u64(json_t *v, uint64_t *out) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    if (!*s || strlen(s) > 20) return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno) return false;
    *out = x;
    return true;
}

/* Reads an optional numeric field bounded by max; false with why on error. */
static bool opt_u64(json_t *obj, const char *key, uint64_t max, uint64_t *out, const char *path,
                    char why[CONFIG_WHY_MAX]) {
    json_t *v = json_object_get(obj, key);
    if (!v) return true;
    uint64_t x;
    if (!get_u64(v, &x) || x > max) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"%s\" must be an integer from 0 to %llu", path, key,
                 (unsigned long long)max);
        return false;
    }
    *out = x;
    return true;
}

/* A 32-byte hash from 64 hex digits. */
static bool get_hash(json_t *v, hansa_hash *out) {
    const char *hex = json_string_value(v);
    size_t got = 0;
    return hex && strlen(hex) == 2 * HANSA_HASH_BYTES &&
           hex_decode(hex, strlen(hex), out->b, HANSA_HASH_BYTES, &got, NULL) == HANSA_OK &&
           got == HANSA_HASH_BYTES;
}

bool config_trust_root_parse(json_t *obj, ic_create *out, const char *where, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    const char *chain = json_string_value(json_object_get(obj, "chain_id"));
    const char *chain_why = "missing";
    if (!json_is_object(obj) || !chain || chain_id_parse(chain, &out->params.chain_id, &chain_why) != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s.chain_id: %s", where, chain_why);
        return false;
    }
    json_t *root = json_object_get(obj, "root");
    uint64_t *nums[4] = {&out->params.trusting_period_ms, &out->params.max_clock_drift_ms,
                         &out->root.height, &out->root.time_ms};
    json_t *src[4] = {json_object_get(obj, "trusting_period_ms"), json_object_get(obj, "max_clock_drift_ms"),
                      json_object_get(root, "height"), json_object_get(root, "time_ms")};
    static const char *const num_names[4] = {"trusting_period_ms", "max_clock_drift_ms", "root.height",
                                             "root.time_ms"};
    for (int i = 0; i < 4; i++)
        if (!get_u64(src[i], nums[i])) {
            snprintf(why, CONFIG_WHY_MAX, "%s.%s must be a u64", where, num_names[i]);
            return false;
        }
    hansa_hash *hashes[5] = {&out->root.header_hash, &out->root.app_hash, &out->root.tx_root,
                             &out->root.validators_hash, &out->root.next_validators_hash};
    static const char *const hash_names[5] = {"header_hash", "app_hash", "tx_root", "validators_hash",
                                              "next_validators_hash"};
    for (int i = 0; i < 5; i++)
        if (!get_hash(json_object_get(root, hash_names[i]), hashes[i])) {
            snprintf(why, CONFIG_WHY_MAX, "%s.root.%s must be 64 hex digits", where, hash_names[i]);
            return false;
        }
    char iwhy[IC_WHY_MAX];
    if (ic_create_check(out, iwhy, sizeof iwhy) != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", where, iwhy);
        return false;
    }
    return true;
}

static json_t *hash_json(const hansa_hash *h) {
    char hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(h->b, HANSA_HASH_BYTES, hex);
    return json_string(hex);
}

json_t *config_trust_root_json(const ic_create *c) {
    char chain[CHAIN_ID_TEXT_MAX];
    chain_id_format(c->params.chain_id, chain);
    json_t *root = json_pack("{s:I, s:I}", "height", (json_int_t)c->root.height, "time_ms",
                             (json_int_t)c->root.time_ms);
    json_object_set_new(root, "header_hash", hash_json(&c->root.header_hash));
    json_object_set_new(root, "app_hash", hash_json(&c->root.app_hash));
    json_object_set_new(root, "tx_root", hash_json(&c->root.tx_root));
    json_object_set_new(root, "validators_hash", hash_json(&c->root.validators_hash));
    json_object_set_new(root, "next_validators_hash", hash_json(&c->root.next_validators_hash));
    return json_pack("{s:s, s:I, s:I, s:o}", "chain_id", chain, "trusting_period_ms",
                     (json_int_t)c->params.trusting_period_ms, "max_clock_drift_ms",
                     (json_int_t)c->params.max_clock_drift_ms, "root", root);
}

/* The optional "clients" array: light clients active from genesis. */
static bool parse_clients(json_t *arr, genesis_file *g, const char *path, char why[CONFIG_WHY_MAX]) {
    if (arr == NULL) return true;
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > LEDGER_CLIENTS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"clients\" must be an array of at most %d", path,
                 LEDGER_CLIENTS_MAX);
        return false;
    }
    g->clients = hansa_calloc(n ? n : 1, sizeof *g->clients);
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof where, "clients[%zu]", i);
        char inner[CONFIG_WHY_MAX];
        if (!config_trust_root_parse(json_array_get(arr, i), &g->clients[i], where, inner)) {
            snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, inner);
            return false;
        }
    }
    g->g.clients = g->clients;
    g->g.n_clients = n;
    return true;
}

static bool parse_accounts(json_t *arr, genesis_file *g, const char *path, char why[CONFIG_WHY_MAX]) {
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > LEDGER_GENESIS_ACCOUNTS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"accounts\" must be an array", path);
        return false;
    }
    g->accounts = hansa_calloc(n ? n : 1, sizeof *g->accounts);
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(arr, i);
        const char *text = json_string_value(json_object_get(a, "address"));
        const char *addr_why = "missing";
        uint32_t chain = g->g.params.chain_id;
        if (!text || addr_parse(text, &chain, NULL, &g->accounts[i].addr, &addr_why) != HANSA_OK) {
            snprintf(why, CONFIG_WHY_MAX, "%s: accounts[%zu].address: %s", path, i, addr_why);
            return false;
        }
        if (!get_u64(json_object_get(a, "balance"), &g->accounts[i].balance)) {
            snprintf(why, CONFIG_WHY_MAX, "%s: accounts[%zu].balance must be a u64", path, i);
            return false;
        }
    }
    g->g.accounts = g->accounts;
    g->g.n_accounts = n;
    return true;
}

static bool parse_delegates(json_t *arr, genesis_file *g, const char *path, char why[CONFIG_WHY_MAX]) {
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n == 0 || n > WIRE_VALIDATORS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"delegates\" must be an array of 1 to %d", path,
                 WIRE_VALIDATORS_MAX);
        return false;
    }
    g->delegates = hansa_calloc(n, sizeof *g->delegates);
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(arr, i);
        const char *hex = json_string_value(json_object_get(d, "pubkey"));
        size_t got = 0;
        if (!hex || hex_decode(hex, strlen(hex), g->delegates[i].pubkey.b, HANSA_PUBKEY_BYTES, &got,
                               NULL) != HANSA_OK || got != HANSA_PUBKEY_BYTES) {
            snprintf(why, CONFIG_WHY_MAX, "%s: delegates[%zu].pubkey must be 64 hex digits", path, i);
            return false;
        }
        if (!get_u64(json_object_get(d, "power"), &g->delegates[i].power)) {
            snprintf(why, CONFIG_WHY_MAX, "%s: delegates[%zu].power must be a u64", path, i);
            return false;
        }
    }
    g->g.delegates = g->delegates;
    g->g.n_delegates = n;
    return true;
}

/* The optional "elections" object: each field overrides its default
 * (docs/delegates.md); the ledger checks the ranges. */
static bool parse_elect(json_t *obj, ledger_elect_params *e, const char *path,
                        char why[CONFIG_WHY_MAX]) {
    if (obj == NULL) return true;
    uint64_t v[11] = {e->epoch_blocks,    e->active_max,        e->bench_max,
                      e->unbonding_blocks, e->liveness_window,  e->liveness_miss_bps,
                      e->jail_blocks,     e->slash_bps,         e->evidence_age_max,
                      e->block_reward,    e->upgrade_window};
    static const char *const names[11] = {
        "epoch_blocks", "active_max", "bench_max", "unbonding_blocks", "liveness_window",
        "liveness_miss_bps", "jail_blocks", "slash_bps", "evidence_age_max", "block_reward",
        "upgrade_window"};
    static const uint64_t max[11] = {UINT32_MAX, UINT16_MAX, UINT16_MAX, UINT32_MAX, UINT16_MAX,
                                     UINT16_MAX, UINT32_MAX, UINT16_MAX, UINT32_MAX, UINT64_MAX,
                                     UINT32_MAX};
    for (int i = 0; i < 11; i++)
        if (!opt_u64(obj, names[i], max[i], &v[i], path, why)) return false;
    *e = (ledger_elect_params){(uint32_t)v[0], (uint16_t)v[1], (uint16_t)v[2], (uint32_t)v[3],
                               (uint16_t)v[4], (uint16_t)v[5], (uint32_t)v[6], (uint16_t)v[7],
                               (uint32_t)v[8], v[9], (uint32_t)v[10]};
    return true;
}

static bool parse_params(json_t *root, ledger_params *p, const char *path, char why[CONFIG_WHY_MAX]) {
    const char *chain = json_string_value(json_object_get(root, "chain_id"));
    const char *chain_why = "missing";
    if (!chain || chain_id_parse(chain, &p->chain_id, &chain_why) != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s: chain_id: %s", path, chain_why);
        return false;
    }
    uint64_t t = 0, bps = 0, min_fee = 0, max_txs = WIRE_BLOCK_TXS_MAX;
    json_t *params = json_object_get(root, "params");
    if (!opt_u64(root, "genesis_time_ms", UINT64_MAX, &t, path, why)) return false;
    if (params && (!opt_u64(params, "fee_burn_bps", LEDGER_BPS_ONE, &bps, path, why) ||
                   !opt_u64(params, "min_fee", UINT64_MAX, &min_fee, path, why) ||
                   !opt_u64(params, "max_block_txs", WIRE_BLOCK_TXS_MAX, &max_txs, path, why)))
        return false;
    *p = (ledger_params){p->chain_id, t, (uint16_t)bps, min_fee, (uint32_t)max_txs,
                         ledger_elect_params_default()};
    return parse_elect(json_object_get(root, "elections"), &p->elect, path, why);
}

hansa_err genesis_load(const char *path, genesis_file *out, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    json_t *root = load_json(path, why);
    if (!root) return HANSA_ERR_CONFIG;
    bool ok = parse_params(root, &out->g.params, path, why) &&
              parse_accounts(json_object_get(root, "accounts"), out, path, why) &&
              parse_delegates(json_object_get(root, "delegates"), out, path, why) &&
              parse_clients(json_object_get(root, "clients"), out, path, why);
    json_decref(root);
    if (!ok) {
        genesis_free(out);
        return HANSA_ERR_CONFIG;
    }
    char lwhy[LEDGER_WHY_MAX];
    hansa_err err = ledger_genesis_validate(&out->g, lwhy, sizeof lwhy);
    if (err != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, lwhy);
        genesis_free(out);
    }
    return err;
}

void genesis_free(genesis_file *g) {
    free(g->accounts);
    free(g->delegates);
    free(g->clients);
    memset(g, 0, sizeof *g);
}

static bool opt_string(json_t *obj, const char *key, char *out, size_t out_len, const char *path,
                       char why[CONFIG_WHY_MAX]) {
    json_t *v = json_object_get(obj, key);
    if (!v) return true;
    if (!json_is_string(v) || json_string_length(v) >= out_len) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"%s\" must be a string under %zu bytes", path, key, out_len);
        return false;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool parse_peers(json_t *arr, config_file *c, const char *path, char why[CONFIG_WHY_MAX]) {
    if (!arr) return true;
    if (!json_is_array(arr) || json_array_size(arr) > CONFIG_PEERS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: \"peers\" must be an array of at most %d addresses", path,
                 CONFIG_PEERS_MAX);
        return false;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i);
        if (!json_is_string(p) || json_string_length(p) >= CONFIG_ADDR_MAX) {
            snprintf(why, CONFIG_WHY_MAX, "%s: peers[%zu] must be an \"ip:port\" string", path, i);
            return false;
        }
        memcpy(c->peers[c->n_peers++], json_string_value(p), json_string_length(p) + 1);
    }
    return true;
}

static bool parse_timeouts(json_t *t, cons_timeouts *to, const char *path, char why[CONFIG_WHY_MAX]) {
    if (!t) return true;
    const char *names[] = {"propose", "propose_delta", "prevote", "prevote_delta", "precommit",
                           "precommit_delta"};
    uint32_t *fields[] = {&to->propose_ms, &to->propose_delta_ms, &to->prevote_ms,
                          &to->prevote_delta_ms, &to->precommit_ms, &to->precommit_delta_ms};
    for (size_t i = 0; i < 6; i++) {
        uint64_t v = *fields[i];
        if (!opt_u64(t, names[i], 600000, &v, path, why)) return false;
        *fields[i] = (uint32_t)v;
    }
    return true;
}

hansa_err config_load(const char *path, config_file *out, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    node_config_defaults(&out->node);
    snprintf(out->listen, sizeof out->listen, "127.0.0.1:26656");
    snprintf(out->rpc, sizeof out->rpc, "127.0.0.1:26657");
    snprintf(out->log_level, sizeof out->log_level, "info");
    json_t *root = load_json(path, why);
    if (!root) return HANSA_ERR_CONFIG;
    uint64_t delay = out->node.commit_delay_ms, mp = 100000;
    uint64_t precision = out->node.pbts_precision_ms, msg_delay = out->node.pbts_msg_delay_ms;
    bool ok = opt_string(root, "listen", out->listen, sizeof out->listen, path, why) &&
              opt_string(root, "rpc", out->rpc, sizeof out->rpc, path, why) &&
              opt_string(root, "log_level", out->log_level, sizeof out->log_level, path, why) &&
              opt_string(root, "key", out->key_name, sizeof out->key_name, path, why) &&
              parse_peers(json_object_get(root, "peers"), out, path, why) &&
              parse_timeouts(json_object_get(root, "timeouts_ms"), &out->node.timeouts, path, why) &&
              opt_u64(root, "commit_delay_ms", 600000, &delay, path, why) &&
              opt_u64(root, "mempool_max_txs", 10000000, &mp, path, why) &&
              opt_u64(root, "pbts_precision_ms", 600000, &precision, path, why) &&
              opt_u64(root, "pbts_msg_delay_ms", 600000, &msg_delay, path, why);
    json_decref(root);
    out->node.commit_delay_ms = (uint32_t)delay;
    out->node.pbts_precision_ms = (uint32_t)precision;
    out->node.pbts_msg_delay_ms = (uint32_t)msg_delay;
    out->node.mempool.max_txs = (uint32_t)mp;
    return ok ? HANSA_OK : HANSA_ERR_CONFIG;
}
