/* config.c — parsing genesis.json and config.json (see config.h). The
 * files are untrusted input: each is bounded in size, each field is
 * type-checked, and every error names the file, the field's path and what
 * is wrong ("config.json: timeouts_ms.propose: expected an integer from 0
 * to 600000").
 *
 * Strictness is the point: a typo in an optional key ("comit_delay_ms")
 * would otherwise change nothing, silently, and the operator would believe
 * the setting took. So every object is read through a cfg_obj, which
 * remembers the keys the parser asked for; cfg_done refuses any other key
 * and names the ones the object takes. A value of the wrong JSON type is an
 * error too, never "absent". */
#include "node/config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/state_root.h"

#define CONFIG_FILE_BYTES_MAX (256u << 20) /* a genesis with millions of accounts */
/* Keys one object of either file may take (the top of config.json has the most). */
#define CFG_KEYS_MAX 32

/* One JSON object being read, with where it is for messages and the keys
 * read from it so far. */
typedef struct {
    json_t *obj;        /* borrowed */
    const char *file;   /* the file's path, as given */
    char at[96];        /* "" at the top, else the dotted path: "timeouts_ms", "accounts[3]" */
    const char *known[CFG_KEYS_MAX];
    size_t n_known;
    char *why;          /* CONFIG_WHY_MAX bytes */
} cfg_obj;

/* Writes "<file>: <at>.<key>: <message>" into o->why; returns false. */
__attribute__((format(printf, 3, 4))) static bool cfg_fail(const cfg_obj *o, const char *key,
                                                           const char *fmt, ...) {
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *dot = o->at[0] && key ? "." : "";
    snprintf(o->why, CONFIG_WHY_MAX, "%s: %s%s%s: %s", o->file, o->at, dot, key ? key : "", msg);
    return false;
}

/* Starts reading v, found at `at` (a printf format), as an object. False
 * (with why) if v is not an object. */
__attribute__((format(printf, 5, 6))) static bool cfg_open(cfg_obj *o, json_t *v, const char *file,
                                                           char *why, const char *at, ...) {
    memset(o, 0, sizeof *o);
    o->obj = v;
    o->file = file;
    o->why = why;
    va_list ap;
    va_start(ap, at);
    vsnprintf(o->at, sizeof o->at, at, ap);
    va_end(ap);
    if (json_is_object(v)) return true;
    snprintf(why, CONFIG_WHY_MAX, "%s: %s: expected an object", file, o->at[0] ? o->at : "(top)");
    return false;
}

/* obj[key] (borrowed; NULL when absent), remembering key as one this object takes. */
static json_t *cfg_get(cfg_obj *o, const char *key) {
    HANSA_ASSERT(o->n_known < CFG_KEYS_MAX);
    o->known[o->n_known++] = key;
    return json_object_get(o->obj, key);
}

/* Refuses any key of the object that the parser did not ask for. */
static bool cfg_done(const cfg_obj *o) {
    const char *key;
    json_t *v;
    json_object_foreach(o->obj, key, v) {
        bool known = false;
        for (size_t i = 0; i < o->n_known && !known; i++) known = strcmp(o->known[i], key) == 0;
        if (known) continue;
        char list[CONFIG_WHY_MAX / 2] = "";
        size_t len = 0;
        for (size_t i = 0; i < o->n_known && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                    o->known[i]);
        return cfg_fail(o, key, "unknown key (this object takes: %s)", list);
    }
    return true;
}

/* A u64 from a non-negative JSON integer or a canonical decimal string (u64
 * values above 2^63 do not survive most JSON tools as numbers). */
static bool get_u64(json_t *v, uint64_t *out) {
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0) return false;
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    if (!json_is_string(v)) return false;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) return false;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno) return false;
    *out = x;
    return true;
}

/* An integer field bounded by max. Absent and !required: *out untouched. */
static bool cfg_u64(cfg_obj *o, const char *key, bool required, uint64_t max, uint64_t *out) {
    json_t *v = cfg_get(o, key);
    if (!v && !required) return true;
    if (!v) return cfg_fail(o, key, "missing (an integer from 0 to %llu)", (unsigned long long)max);
    uint64_t x;
    if (!get_u64(v, &x) || x > max)
        return cfg_fail(o, key, "expected an integer from 0 to %llu", (unsigned long long)max);
    *out = x;
    return true;
}

/* An optional true/false field; absent: out untouched. */
static bool cfg_bool(cfg_obj *o, const char *key, bool *out) {
    json_t *v = cfg_get(o, key);
    if (!v) return true;
    if (!json_is_boolean(v)) return cfg_fail(o, key, "expected true or false");
    *out = json_is_true(v);
    return true;
}

/* A string field of fewer than out_len bytes. Absent and !required: out untouched. */
static bool cfg_string(cfg_obj *o, const char *key, bool required, char *out, size_t out_len) {
    json_t *v = cfg_get(o, key);
    if (!v && !required) return true;
    if (!v) return cfg_fail(o, key, "missing (a string)");
    if (!json_is_string(v) || json_string_length(v) >= out_len || strlen(json_string_value(v)) !=
                                                                      json_string_length(v))
        return cfg_fail(o, key, "expected a string under %zu bytes", out_len);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* An array field of at most max elements; *arr NULL when absent and !required. */
static bool cfg_array(cfg_obj *o, const char *key, bool required, size_t min, size_t max,
                      json_t **arr) {
    json_t *v = cfg_get(o, key);
    *arr = v;
    if (!v && !required) return true;
    if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max)
        return cfg_fail(o, key, "expected an array of %zu to %zu elements", min, max);
    return true;
}

/* ---- reading a file ---- */

/* The text's JSON value, or NULL with why (not JSON, duplicate keys). */
static json_t *parse_json(const char *file, const char *text, size_t len,
                          char why[CONFIG_WHY_MAX]) {
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) snprintf(why, CONFIG_WHY_MAX, "%s:%d:%d: %s", file, je.line, je.column, je.text);
    return root;
}

/* The file's bytes (malloc'd, *len of them), or NULL with why (unreadable,
 * over CONFIG_FILE_BYTES_MAX). */
static char *read_file(const char *path, size_t *len, char why[CONFIG_WHY_MAX]) {
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, strerror(errno));
        if (f) fclose(f);
        return NULL;
    }
    if (sb.st_size > (off_t)CONFIG_FILE_BYTES_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %lld bytes, over the limit of %u", path,
                 (long long)sb.st_size, CONFIG_FILE_BYTES_MAX);
        fclose(f);
        return NULL;
    }
    char *text = hansa_malloc((size_t)sb.st_size + 1);
    *len = fread(text, 1, (size_t)sb.st_size + 1, f);
    bool bad = ferror(f) || *len > (size_t)sb.st_size;
    fclose(f);
    if (bad) {
        snprintf(why, CONFIG_WHY_MAX, "%s: read failed or the file grew while read", path);
        free(text);
        return NULL;
    }
    return text;
}

typedef hansa_err (*parse_fn)(const char *file, const char *text, size_t len, void *out,
                              char why[CONFIG_WHY_MAX]);

static hansa_err load_file(const char *path, parse_fn parse, void *out, char why[CONFIG_WHY_MAX]) {
    size_t len = 0;
    char *text = read_file(path, &len, why);
    if (!text) return HANSA_ERR_CONFIG;
    hansa_err e = parse(path, text, len, out, why);
    free(text);
    return e;
}

/* ---- trust roots (genesis "clients", routes.json, the route/client RPC) ---- */

/* A hash field of 64 hex digits. */
static bool cfg_hash(cfg_obj *o, const char *key, hansa_hash *out) {
    char hex[2 * HANSA_HASH_BYTES + 1];
    size_t got = 0;
    if (!cfg_string(o, key, true, hex, sizeof hex)) return false;
    if (strlen(hex) != 2 * HANSA_HASH_BYTES ||
        hex_decode(hex, strlen(hex), out->b, HANSA_HASH_BYTES, &got, NULL) != HANSA_OK ||
        got != HANSA_HASH_BYTES)
        return cfg_fail(o, key, "expected 64 hex digits");
    return true;
}

static bool parse_trust_root(cfg_obj *o, ic_create *out) {
    char chain[CHAIN_ID_TEXT_MAX + 8] = "";
    if (!cfg_string(o, "chain_id", true, chain, sizeof chain)) return false;
    const char *chain_why = "malformed";
    if (chain_id_parse(chain, &out->params.chain_id, &chain_why) != HANSA_OK)
        return cfg_fail(o, "chain_id", "%s", chain_why);
    cfg_obj r;
    json_t *rv = cfg_get(o, "root");
    if (!cfg_u64(o, "trusting_period_ms", true, UINT64_MAX, &out->params.trusting_period_ms) ||
        !cfg_u64(o, "max_clock_drift_ms", true, UINT64_MAX, &out->params.max_clock_drift_ms) ||
        !cfg_done(o) || !cfg_open(&r, rv, o->file, o->why, "%s%sroot", o->at, o->at[0] ? "." : ""))
        return false;
    if (!(cfg_u64(&r, "height", true, UINT64_MAX, &out->root.height) &&
          cfg_u64(&r, "time_ms", true, UINT64_MAX, &out->root.time_ms) &&
          cfg_hash(&r, "header_hash", &out->root.header_hash) &&
          cfg_hash(&r, "app_hash", &out->root.app_hash) &&
          cfg_hash(&r, "tx_root", &out->root.tx_root) &&
          cfg_hash(&r, "validators_hash", &out->root.validators_hash) &&
          cfg_hash(&r, "next_validators_hash", &out->root.next_validators_hash)))
        return false;
    /* Optional: the chain's FROST group key the root trusts, current as of
     * the root's time (docs/interchain.md, "FROST checkpoints"). */
    json_t *kv = cfg_get(&r, "group_key");
    if (kv) {
        cfg_obj k;
        hansa_hash key;
        if (!cfg_open(&k, kv, r.file, r.why, "%s.group_key", r.at) ||
            !cfg_u64(&k, "epoch", true, UINT64_MAX, &out->root.key_epoch) ||
            !cfg_hash(&k, "key", &key) || !cfg_done(&k))
            return false;
        if (frost_point_decode(key.b, &out->root.group_key) != HANSA_OK)
            return cfg_fail(&k, "key", "not a valid group key (a ristretto255 element, not the identity)");
        out->root.key_time_ms = out->root.time_ms;
    }
    return cfg_done(&r);
}

bool config_trust_root_parse(json_t *obj, ic_create *out, const char *where, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    cfg_obj o;
    if (!cfg_open(&o, obj, where, why, "%s", "") || !parse_trust_root(&o, out)) return false;
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
    if (!ic_consensus_keyless(&c->root)) {
        char hex[2 * FROST_POINT_BYTES + 1];
        hex_encode(c->root.group_key.b, FROST_POINT_BYTES, hex);
        json_object_set_new(root, "group_key", json_pack("{s:I, s:s}", "epoch",
                                                         (json_int_t)c->root.key_epoch, "key", hex));
    }
    return json_pack("{s:s, s:I, s:I, s:o}", "chain_id", chain, "trusting_period_ms",
                     (json_int_t)c->params.trusting_period_ms, "max_clock_drift_ms",
                     (json_int_t)c->params.max_clock_drift_ms, "root", root);
}

/* ---- genesis.json ---- */

static bool parse_accounts(json_t *arr, genesis_file *g, const char *file, char *why) {
    size_t n = json_array_size(arr);
    g->accounts = hansa_calloc(n ? n : 1, sizeof *g->accounts);
    for (size_t i = 0; i < n; i++) {
        cfg_obj a;
        if (!cfg_open(&a, json_array_get(arr, i), file, why, "accounts[%zu]", i)) return false;
        char text[ADDR_TEXT_MAX + 8] = "";
        if (!cfg_string(&a, "address", true, text, sizeof text)) return false;
        const char *addr_why = "malformed";
        uint32_t chain = g->g.params.chain_id;
        if (addr_parse(text, &chain, NULL, &g->accounts[i].addr, &addr_why) != HANSA_OK)
            return cfg_fail(&a, "address", "%s", addr_why);
        if (!cfg_u64(&a, "balance", true, UINT64_MAX, &g->accounts[i].balance) || !cfg_done(&a))
            return false;
    }
    g->g.accounts = g->accounts;
    g->g.n_accounts = n;
    return true;
}

static bool parse_delegates(json_t *arr, genesis_file *g, const char *file, char *why) {
    size_t n = json_array_size(arr);
    g->delegates = hansa_calloc(n, sizeof *g->delegates);
    for (size_t i = 0; i < n; i++) {
        cfg_obj d;
        if (!cfg_open(&d, json_array_get(arr, i), file, why, "delegates[%zu]", i)) return false;
        char hex[2 * HANSA_PUBKEY_BYTES + 1];
        size_t got = 0;
        if (!cfg_string(&d, "pubkey", true, hex, sizeof hex)) return false;
        if (hex_decode(hex, strlen(hex), g->delegates[i].pubkey.b, HANSA_PUBKEY_BYTES, &got,
                       NULL) != HANSA_OK || got != HANSA_PUBKEY_BYTES)
            return cfg_fail(&d, "pubkey", "expected 64 hex digits");
        if (!cfg_u64(&d, "power", true, UINT64_MAX, &g->delegates[i].power) || !cfg_done(&d))
            return false;
    }
    g->g.delegates = g->delegates;
    g->g.n_delegates = n;
    return true;
}

/* The optional "clients" array: light clients active from genesis. */
static bool parse_clients(json_t *arr, genesis_file *g, const char *file, char *why) {
    size_t n = json_array_size(arr);
    g->clients = hansa_calloc(n ? n : 1, sizeof *g->clients);
    for (size_t i = 0; i < n; i++) {
        cfg_obj c;
        if (!cfg_open(&c, json_array_get(arr, i), file, why, "clients[%zu]", i) ||
            !parse_trust_root(&c, &g->clients[i]))
            return false;
        char iwhy[IC_WHY_MAX];
        if (ic_create_check(&g->clients[i], iwhy, sizeof iwhy) != HANSA_OK) {
            snprintf(why, CONFIG_WHY_MAX, "%s: clients[%zu]: %s", file, i, iwhy);
            return false;
        }
    }
    g->g.clients = g->clients;
    g->g.n_clients = n;
    return true;
}

/* The optional "elections" object: each field overrides its default
 * (docs/delegates.md); the ledger checks the ranges. */
static bool parse_elect(cfg_obj *top, ledger_elect_params *e) {
    json_t *v = cfg_get(top, "elections");
    if (v == NULL) return true;
    cfg_obj o;
    if (!cfg_open(&o, v, top->file, top->why, "elections")) return false;
    uint64_t x[11] = {e->epoch_blocks,    e->active_max,        e->bench_max,
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
        if (!cfg_u64(&o, names[i], false, max[i], &x[i])) return false;
    if (!cfg_done(&o)) return false;
    *e = (ledger_elect_params){(uint32_t)x[0], (uint16_t)x[1], (uint16_t)x[2], (uint32_t)x[3],
                               (uint16_t)x[4], (uint16_t)x[5], (uint32_t)x[6], (uint16_t)x[7],
                               (uint32_t)x[8], x[9], (uint32_t)x[10]};
    return true;
}

static bool parse_params(cfg_obj *top, ledger_params *p) {
    char chain[CHAIN_ID_TEXT_MAX + 8] = "";
    if (!cfg_string(top, "chain_id", true, chain, sizeof chain)) return false;
    const char *chain_why = "malformed";
    if (chain_id_parse(chain, &p->chain_id, &chain_why) != HANSA_OK)
        return cfg_fail(top, "chain_id", "%s", chain_why);
    uint64_t t = 0, bps = 0, min_fee = 0, max_txs = WIRE_BLOCK_TXS_MAX;
    uint64_t checkpoint_blocks = LEDGER_CHECKPOINT_BLOCKS_DEFAULT;
    if (!cfg_u64(top, "genesis_time_ms", false, UINT64_MAX, &t)) return false;
    json_t *pv = cfg_get(top, "params");
    if (pv) {
        cfg_obj o;
        if (!cfg_open(&o, pv, top->file, top->why, "params") ||
            !cfg_u64(&o, "fee_burn_bps", false, LEDGER_BPS_ONE, &bps) ||
            !cfg_u64(&o, "min_fee", false, UINT64_MAX, &min_fee) ||
            !cfg_u64(&o, "max_block_txs", false, WIRE_BLOCK_TXS_MAX, &max_txs) ||
            !cfg_u64(&o, "checkpoint_blocks", false, UINT32_MAX, &checkpoint_blocks) || !cfg_done(&o))
            return false;
    }
    *p = (ledger_params){p->chain_id, t, (uint16_t)bps, min_fee, (uint32_t)max_txs,
                         ledger_elect_params_default(), (uint32_t)checkpoint_blocks};
    return parse_elect(top, &p->elect);
}

hansa_err genesis_parse(const char *file, const char *text, size_t len, genesis_file *out,
                        char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    json_t *root = parse_json(file, text, len, why);
    if (!root) return HANSA_ERR_CONFIG;
    cfg_obj top;
    json_t *accounts = NULL, *delegates = NULL, *clients = NULL;
    bool ok = cfg_open(&top, root, file, why, "%s", "") && parse_params(&top, &out->g.params) &&
              cfg_array(&top, "accounts", true, 0, LEDGER_GENESIS_ACCOUNTS_MAX, &accounts) &&
              cfg_array(&top, "delegates", true, 1, WIRE_VALIDATORS_MAX, &delegates) &&
              cfg_array(&top, "clients", false, 0, LEDGER_CLIENTS_MAX, &clients) &&
              cfg_done(&top) && parse_accounts(accounts, out, file, why) &&
              parse_delegates(delegates, out, file, why) && parse_clients(clients, out, file, why);
    json_decref(root);
    if (!ok) {
        genesis_free(out);
        return HANSA_ERR_CONFIG;
    }
    char lwhy[LEDGER_WHY_MAX];
    hansa_err err = ledger_genesis_validate(&out->g, lwhy, sizeof lwhy);
    if (err != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", file, lwhy);
        genesis_free(out);
    }
    return err;
}

static hansa_err genesis_parse_any(const char *file, const char *text, size_t len, void *out,
                                   char why[CONFIG_WHY_MAX]) {
    return genesis_parse(file, text, len, out, why);
}

hansa_err genesis_load(const char *path, genesis_file *out, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    return load_file(path, genesis_parse_any, out, why);
}

void genesis_free(genesis_file *g) {
    free(g->accounts);
    free(g->delegates);
    free(g->clients);
    memset(g, 0, sizeof *g);
}

/* ---- config.json ---- */

/* An optional array of at most max strings of under CONFIG_ADDR_MAX bytes
 * (what names: for messages) into out[*n]. */
static bool parse_strings(cfg_obj *top, const char *key, size_t max, const char *what,
                          char (*out)[CONFIG_ADDR_MAX], size_t *n) {
    json_t *arr;
    if (!cfg_array(top, key, false, 0, max, &arr)) return false;
    for (size_t i = 0; arr && i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i);
        if (!json_is_string(p) || json_string_length(p) >= CONFIG_ADDR_MAX ||
            json_string_length(p) == 0) {
            snprintf(top->why, CONFIG_WHY_MAX, "%s: %s[%zu]: expected %s", top->file, key, i, what);
            return false;
        }
        memcpy(out[(*n)++], json_string_value(p), json_string_length(p) + 1);
    }
    return true;
}

static bool parse_timeouts(cfg_obj *top, cons_timeouts *to) {
    json_t *v = cfg_get(top, "timeouts_ms");
    if (!v) return true;
    cfg_obj o;
    if (!cfg_open(&o, v, top->file, top->why, "timeouts_ms")) return false;
    static const char *const names[] = {"propose",   "propose_delta",  "prevote",
                                        "prevote_delta", "precommit", "precommit_delta"};
    uint32_t *fields[] = {&to->propose_ms, &to->propose_delta_ms, &to->prevote_ms,
                          &to->prevote_delta_ms, &to->precommit_ms, &to->precommit_delta_ms};
    for (size_t i = 0; i < 6; i++) {
        uint64_t x = *fields[i];
        if (!cfg_u64(&o, names[i], false, 600000, &x)) return false;
        *fields[i] = (uint32_t)x;
    }
    return cfg_done(&o);
}

/* "net": the peer link and abuse limits (node_net_limits, net/host.h) and
 * the block-serving rate. Zero keepalive or link timeout would close or
 * flood every link, so each has a floor; a ban never shrinks as it doubles. */
static bool parse_net(cfg_obj *top, node_config *nc) {
    json_t *v = cfg_get(top, "net");
    if (!v) return true;
    cfg_obj o;
    if (!cfg_open(&o, v, top->file, top->why, "net")) return false;
    node_net_limits *l = &nc->net;
    static const char *const names[] = {"max_inbound", "max_pending", "keepalive_ms",
                                        "link_timeout_ms", "inbound_idle_ms", "ban_ms",
                                        "ban_max_ms", "ban_score", "block_serve_per_s",
                                        "block_serve_burst"};
    uint32_t *fields[] = {&l->max_inbound, &l->max_pending, &l->keepalive_ms, &l->link_timeout_ms,
                          &l->inbound_idle_ms, &l->ban_ms, &l->ban_max_ms, &l->ban_score,
                          &nc->block_serve_per_s, &nc->block_serve_burst};
    static const uint32_t lo[] = {0, 1, 100, 1000, 1000, 1000, 1000, 1, 1, 1};
    static const uint32_t hi[] = {4096, 4096, 600000, 3600000, 86400000, 86400000, 604800000,
                                  1000000, 100000, 100000};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t x = *fields[i];
        if (!cfg_u64(&o, names[i], false, hi[i], &x)) return false;
        if (x < lo[i])
            return cfg_fail(&o, names[i], "expected an integer from %u to %u", lo[i], hi[i]);
        *fields[i] = (uint32_t)x;
    }
    if (l->keepalive_ms >= l->link_timeout_ms)
        return cfg_fail(&o, "keepalive_ms", "must be below link_timeout_ms (%u)", l->link_timeout_ms);
    if (l->ban_ms > l->ban_max_ms)
        return cfg_fail(&o, "ban_ms", "must not exceed ban_max_ms (%u)", l->ban_max_ms);
    return cfg_done(&o);
}

/* "prune": {"keep_blocks": N}: 0 (or no "prune") keeps every block, as an
 * archive; otherwise at least CONFIG_PRUNE_KEEP_MIN (config.h says why). */
static bool parse_prune(cfg_obj *top, config_file *out) {
    json_t *v = cfg_get(top, "prune");
    if (!v) return true;
    cfg_obj o;
    if (!cfg_open(&o, v, top->file, top->why, "prune") ||
        !cfg_u64(&o, "keep_blocks", true, CONFIG_PRUNE_KEEP_MAX, &out->node.prune_keep_blocks))
        return false;
    if (out->node.prune_keep_blocks != 0 && out->node.prune_keep_blocks < CONFIG_PRUNE_KEEP_MIN)
        return cfg_fail(&o, "keep_blocks", "expected 0 (archive) or at least %u, the blocks a "
                        "node must keep to serve consensus and catching-up peers",
                        CONFIG_PRUNE_KEEP_MIN);
    return cfg_done(&o);
}

hansa_err config_parse(const char *file, const char *text, size_t len, config_file *out,
                       char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    node_config_defaults(&out->node);
    snprintf(out->listen, sizeof out->listen, "127.0.0.1:26656");
    snprintf(out->rpc, sizeof out->rpc, "127.0.0.1:26657");
    snprintf(out->log_level, sizeof out->log_level, "info");
    json_t *root = parse_json(file, text, len, why);
    if (!root) return HANSA_ERR_CONFIG;
    uint64_t delay = out->node.commit_delay_ms, mp = 100000;
    uint64_t precision = out->node.pbts_precision_ms, msg_delay = out->node.pbts_msg_delay_ms;
    cfg_obj top;
    bool ok = cfg_open(&top, root, file, why, "%s", "") &&
              cfg_string(&top, "listen", false, out->listen, sizeof out->listen) &&
              cfg_string(&top, "rpc", false, out->rpc, sizeof out->rpc) &&
              cfg_string(&top, "log_level", false, out->log_level, sizeof out->log_level) &&
              cfg_string(&top, "key", false, out->key_name, sizeof out->key_name) &&
              parse_strings(&top, "peers", CONFIG_PEERS_MAX, "an \"ip:port\" string", out->peers,
                            &out->n_peers) &&
              parse_strings(&top, "rpc_allowed_hosts", CONFIG_RPC_HOSTS_MAX, "a host name",
                            out->rpc_hosts, &out->n_rpc_hosts) &&
              parse_timeouts(&top, &out->node.timeouts) && parse_net(&top, &out->node) &&
              cfg_u64(&top, "commit_delay_ms", false, 600000, &delay) &&
              cfg_u64(&top, "mempool_max_txs", false, 10000000, &mp) &&
              cfg_u64(&top, "pbts_precision_ms", false, 600000, &precision) &&
              cfg_u64(&top, "pbts_msg_delay_ms", false, 600000, &msg_delay) &&
              cfg_u64(&top, "store_map_max_mb", false, CONFIG_STORE_MAP_MAX_MB, &out->store_map_max_mb) &&
              cfg_bool(&top, "frost_dkg", &out->node.frost_dkg) &&
              cfg_u64(&top, "frost_checkpoint_every", false, UINT32_MAX,
                      &out->node.frost_checkpoint_every) &&
              parse_prune(&top, out) &&
              cfg_done(&top);
    json_decref(root);
    out->node.pbts_precision_ms = (uint32_t)precision;
    out->node.pbts_msg_delay_ms = (uint32_t)msg_delay;
    out->node.commit_delay_ms = (uint32_t)delay;
    out->node.mempool.max_txs = (uint32_t)mp;
    return ok ? HANSA_OK : HANSA_ERR_CONFIG;
}

static hansa_err config_parse_any(const char *file, const char *text, size_t len, void *out,
                                  char why[CONFIG_WHY_MAX]) {
    return config_parse(file, text, len, out, why);
}

hansa_err config_load(const char *path, config_file *out, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    return load_file(path, config_parse_any, out, why);
}
