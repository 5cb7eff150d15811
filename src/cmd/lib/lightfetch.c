/* lightfetch.c — see lightfetch.h. */
#include "cmd/lib/lightfetch.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "interchain/codec.h"
#include "wire/codec.h"

void light_block_free(light_block *lb) { ic_light_block_free(lb); }

/* Decodes hex obj[key] (at most max bytes) with dec into obj_out. */
typedef hansa_err (*dec_fn)(const uint8_t *p, size_t len, void *out);
static hansa_err dec_header(const uint8_t *p, size_t n, void *o) { return wire_header_decode(p, n, o, NULL); }
static hansa_err dec_commit(const uint8_t *p, size_t n, void *o) { return wire_commit_decode(p, n, o, NULL); }
static hansa_err dec_valset(const uint8_t *p, size_t n, void *o) { return wire_valset_decode(p, n, o, NULL); }
static hansa_err dec_key_proof(const uint8_t *p, size_t n, void *o) { return ic_key_proof_decode(p, n, o, NULL); }

static bool field(const json_t *r, const char *key, size_t max, dec_fn dec, void *out, char *why,
                  size_t why_len) {
    const char *s = json_string_value(json_object_get(r, key));
    size_t n = s ? strlen(s) : 0, got = 0;
    if (!s || n % 2 || n / 2 > max) {
        snprintf(why, why_len, "the reply's %s is missing or too long", key);
        return false;
    }
    uint8_t *buf = hansa_malloc(n / 2 + 1);
    hansa_err err = hex_decode(s, n, buf, n / 2, &got, NULL);
    if (err == HANSA_OK) err = dec(buf, got, out);
    free(buf);
    if (err != HANSA_OK) snprintf(why, why_len, "the reply's %s does not decode: %s", key, hansa_strerror(err));
    return err == HANSA_OK;
}

bool lf_parse(const json_t *r, const char *from, light_block *out, char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    bool ok = field(r, "header", WIRE_HEADER_BYTES, dec_header, &out->header, why, why_len) &&
              field(r, "commit", WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX), dec_commit, &out->commit, why, why_len) &&
              field(r, "validators", WIRE_VALSET_BYTES(WIRE_VALIDATORS_MAX), dec_valset, &out->vals, why, why_len) &&
              field(r, "next_validators", WIRE_VALSET_BYTES(WIRE_VALIDATORS_MAX), dec_valset, &out->next_vals,
                    why, why_len);
    if (!ok) {
        light_block_free(out);
        return false;
    }
    return ic_light_block_check(out, from, why, why_len);
}

static json_t *hex_json(const uint8_t *p, size_t n) {
    char *hex = hansa_malloc(2 * n + 1);
    hex_encode(p, n, hex);
    json_t *j = json_string(hex);
    free(hex);
    return j;
}

json_t *lf_json(const light_block *lb) {
    hbuf h = HBUF_INIT, c = HBUF_INIT, v = HBUF_INIT, nv = HBUF_INIT;
    wire_header_encode(&h, &lb->header);
    wire_commit_encode(&c, &lb->commit);
    wire_valset_encode(&v, &lb->vals);
    wire_valset_encode(&nv, &lb->next_vals);
    json_t *j = json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "height", (json_int_t)lb->height, "time_ms",
                          (json_int_t)lb->header.time_ms, "header", hex_json(h.data, h.len), "commit",
                          hex_json(c.data, c.len), "validators", hex_json(v.data, v.len), "next_validators",
                          hex_json(nv.data, nv.len));
    hbuf_free(&h);
    hbuf_free(&c);
    hbuf_free(&v);
    hbuf_free(&nv);
    return j;
}

bool lf_fetch(const char *addr, uint64_t height, light_block *out, char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    json_t *params = height ? json_pack("{s:I}", "height", (json_int_t)height) : json_object();
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, "light_block", params, LF_TIMEOUT_MS, &err);
    if (r == NULL) {
        snprintf(why, why_len, "%s light_block: %s", addr, err.message);
        json_decref(err.data);
        return false;
    }
    bool ok = lf_parse(r, addr, out, why, why_len);
    json_decref(r);
    if (ok && height && out->height != height) {
        snprintf(why, why_len, "%s served height %" PRIu64 " for %" PRIu64, addr, out->height, height);
        light_block_free(out);
        ok = false;
    }
    return ok;
}

void lf_trust_root(const light_block *lb, uint64_t trusting_period_ms, uint64_t max_clock_drift_ms,
                   ic_create *out) {
    memset(out, 0, sizeof *out);
    out->params = (ic_params){lb->chain_id, trusting_period_ms, max_clock_drift_ms};
    ic_consensus_of_header(&lb->header, &out->root);
}

static bool fetch_rpc(void *ctx, uint64_t height, ic_light_block *out, char *why, size_t why_len) {
    return lf_fetch(ctx, height, out, why, why_len);
}

static int build_commit(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                        uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    char err[256];
    int rc = ic_build_update(fetch_rpc, (void *)addr, p, trusted, target, now_ms, revive, out, height, err,
                             sizeof err);
    if (rc <= 0 && strncmp(err, addr, strlen(addr)) == 0) snprintf(why, why_len, "%s", err); /* named */
    else if (rc <= 0) snprintf(why, why_len, "%s: %s", addr, err);
    return rc;
}

/* ---- FROST checkpoints ---- */

bool lf_checkpoint_parse(const json_t *r, checkpoint *out) {
    uint8_t key[FROST_POINT_BYTES], sig[FROST_SIG_BYTES];
    memset(out, 0, sizeof *out);
    out->height = cli_u64(r, "height");
    out->epoch = cli_u64(r, "epoch");
    return cli_hex_fixed(r, "header_hash", out->header_hash.b, HANSA_HASH_BYTES) &&
           cli_hex_fixed(r, "group_key", key, sizeof key) && cli_hex_fixed(r, "signature", sig, sizeof sig) &&
           frost_point_decode(key, &out->group_key) == HANSA_OK && frost_sig_decode(sig, &out->sig) == HANSA_OK;
}

bool lf_handoff_parse(const json_t *k, handoff *out) {
    const json_t *ho = json_object_get(k, "handoff_sig");
    uint8_t old_key[FROST_POINT_BYTES], new_key[FROST_POINT_BYTES], sig[FROST_SIG_BYTES];
    memset(out, 0, sizeof *out);
    if (!json_is_object(ho)) return false;
    out->old_epoch = cli_u64(ho, "from");
    out->new_epoch = cli_u64(k, "epoch");
    uint64_t t = cli_u64(k, "t"), n = cli_u64(k, "n");
    if (t < 1 || t > n || n > FROST_PARTICIPANTS_MAX) return false;
    out->t = (uint16_t)t;
    out->n = (uint16_t)n;
    return cli_hex_fixed(ho, "from_key", old_key, sizeof old_key) && cli_hex_fixed(k, "key", new_key, sizeof new_key) &&
           cli_hex_fixed(ho, "signature", sig, sizeof sig) && frost_point_decode(old_key, &out->old_key) == HANSA_OK &&
           frost_point_decode(new_key, &out->new_key) == HANSA_OK && frost_sig_decode(sig, &out->sig) == HANSA_OK;
}

bool lf_trust_root_frost(const light_block *lb, const checkpoint *cp, uint64_t trusting_period_ms,
                         uint64_t max_clock_drift_ms, ic_create *out, char *why, size_t why_len) {
    lf_trust_root(lb, trusting_period_ms, max_clock_drift_ms, out);
    if (cp->height != lb->height || !hash_eq(&cp->header_hash, &out->root.header_hash) ||
        cp->epoch > cp->height) {
        snprintf(why, why_len, "the checkpoint of height %" PRIu64 " is not of the light block's header", cp->height);
        return false;
    }
    if (!checkpoint_verify(lb->chain_id, cp)) {
        snprintf(why, why_len, "the checkpoint of height %" PRIu64 " does not verify under its group key", cp->height);
        return false;
    }
    out->root.key_epoch = cp->epoch;
    out->root.group_key = cp->group_key;
    out->root.key_time_ms = out->root.time_ms;
    return true;
}

/* addr's reply to method (params stolen), or NULL with why. */
static json_t *call(const char *addr, const char *method, json_t *params, char *why, size_t why_len) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, method, params, LF_TIMEOUT_MS, &err);
    if (r == NULL) snprintf(why, why_len, "%s %s: %s", addr, method, err.message);
    json_decref(err.data);
    return r;
}

/* The handoffs from epoch `from` to epoch `to` as addr's group_key serves
 * them, in order, into u (at most IC_FROST_HANDOFFS_MAX). */
static bool fetch_handoffs(const char *addr, uint64_t from, uint64_t to, ic_update *u, char *why, size_t why_len) {
    if (from == to) return true; /* the same key: no handoff, no call */
    json_t *g = call(addr, "group_key", NULL, why, why_len);
    if (!g) return false;
    const json_t *keys = json_object_get(g, "keys"); /* oldest first */
    bool ok = true;
    for (size_t i = 0; i < json_array_size(keys) && ok; i++) {
        const json_t *k = json_array_get(keys, i);
        uint64_t e = cli_u64(k, "epoch");
        if (e <= from || e > to) continue;
        if (u->n_handoffs == IC_FROST_HANDOFFS_MAX) {
            snprintf(why, why_len, "more than %u key changes between epochs %" PRIu64 " and %" PRIu64
                     ": update to an earlier height first", IC_FROST_HANDOFFS_MAX, from, to);
            ok = false;
        } else if (!lf_handoff_parse(k, &u->handoffs[u->n_handoffs])) {
            snprintf(why, why_len, "%s serves no handoff to epoch %" PRIu64, addr, e);
            ok = false;
        } else u->n_handoffs++;
    }
    json_decref(g);
    return ok;
}

/* A FROST update towards addr's checkpoint at target (0: its newest). */
static int build_frost(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                       uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    if (ic_consensus_keyless(trusted)) {
        snprintf(why, why_len, "the trusted state at height %" PRIu64 " names no group key", trusted->height);
        return -1;
    }
    json_t *r = call(addr, "checkpoint", target ? json_pack("{s:I}", "height", (json_int_t)target) : json_object(),
                     why, why_len);
    if (!r) return -1;
    ic_update *u = hansa_calloc(1, sizeof *u);
    bool ok = lf_checkpoint_parse(r, &u->ckpt);
    json_decref(r);
    int rc = -1;
    light_block lb;
    if (!ok) snprintf(why, why_len, "%s served a malformed checkpoint", addr);
    else if (u->ckpt.height <= trusted->height) {
        snprintf(why, why_len, "%s's newest checkpoint (height %" PRIu64 ") is not above the trusted height", addr,
                 u->ckpt.height);
        rc = target ? -1 : 0;
    } else if (lf_fetch(addr, u->ckpt.height, &lb, why, why_len)) {
        u->trusted_height = trusted->height;
        u->header = lb.header;
        u->cert_kind = IC_CERT_FROST;
        light_block_free(&lb);
        char inner[IC_WHY_MAX];
        if (fetch_handoffs(addr, trusted->key_epoch, u->ckpt.epoch, u, why, why_len)) {
            if (ic_verify(p, trusted, u, now_ms, !revive, NULL, inner, sizeof inner) != HANSA_OK) {
                snprintf(why, why_len, "%s: the FROST update from %" PRIu64 " to %" PRIu64 " would be refused: %s",
                         addr, trusted->height, u->ckpt.height, inner);
            } else {
                ic_update_encode(out, u);
                *height = u->ckpt.height;
                rc = 1;
            }
        }
    }
    free(u);
    return rc;
}

int lf_build_key_update(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t max_height,
                        uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    json_t *r = call(addr, "key_proof", NULL, why, why_len);
    if (!r) return -1;
    ic_key_proof *kp = hansa_malloc(sizeof *kp);
    uint64_t at = cli_u64(r, "height");
    int rc = -1;
    if (field(r, "proof", IC_KEY_PROOF_BYTES_MAX, dec_key_proof, kp, why, why_len)) {
        if (at <= trusted->height || (max_height && at > max_height)) {
            snprintf(why, why_len, "%s's key proof (height %" PRIu64 ") is not above the trusted height%s", addr, at,
                     max_height ? " and not above the height wanted" : "");
            rc = 0;
        } else {
            char err[256];
            rc = ic_build_update_key(fetch_rpc, (void *)addr, p, trusted, at, kp, now_ms, revive, out, height, err,
                                     sizeof err);
            if (rc != 1) snprintf(why, why_len, "%s: the update with the key proof at %" PRIu64 ": %s", addr, at, err);
        }
    }
    json_decref(r);
    free(kp);
    return rc;
}

int lf_build_update_cert(const char *addr, lf_cert cert, const ic_params *p, const ic_consensus *trusted,
                         uint64_t target, uint64_t now_ms, bool revive, hbuf *out, uint64_t *height,
                         char *why, size_t why_len) {
    switch (cert) {
    case LF_CERT_COMMIT: return build_commit(addr, p, trusted, target, now_ms, revive, out, height, why, why_len);
    case LF_CERT_FROST: return build_frost(addr, p, trusted, target, now_ms, revive, out, height, why, why_len);
    case LF_CERT_AUTO: break;
    }
    /* A FROST update is one signature per key change plus one, where a
     * commit is one per signer: worth trying first whenever it can work.
     * A keyless client is first offered the chain's key by proof (on the
     * way to the tip, not to a packet's height), so that FROST can work. */
    size_t at = out->len;
    int rc = ic_consensus_keyless(trusted)
                 ? (target ? 0 : lf_build_key_update(addr, p, trusted, 0, now_ms, revive, out, height, why, why_len))
                 : build_frost(addr, p, trusted, target, now_ms, revive, out, height, why, why_len);
    if (rc == 1) return rc;
    out->len = at;
    return build_commit(addr, p, trusted, target, now_ms, revive, out, height, why, why_len);
}

int lf_build_update(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                    uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    return lf_build_update_cert(addr, LF_CERT_AUTO, p, trusted, target, now_ms, revive, out, height, why, why_len);
}
