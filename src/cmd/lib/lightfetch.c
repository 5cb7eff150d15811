/* lightfetch.c — see lightfetch.h. */
#include "cmd/lib/lightfetch.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/rpc_client.h"
#include "interchain/codec.h"
#include "wire/codec.h"

void light_block_free(light_block *lb) { ic_light_block_free(lb); }

/* Decodes hex obj[key] (at most max bytes) with dec into obj_out. */
typedef hansa_err (*dec_fn)(const uint8_t *p, size_t len, void *out);
static hansa_err dec_header(const uint8_t *p, size_t n, void *o) { return wire_header_decode(p, n, o, NULL); }
static hansa_err dec_commit(const uint8_t *p, size_t n, void *o) { return wire_commit_decode(p, n, o, NULL); }
static hansa_err dec_valset(const uint8_t *p, size_t n, void *o) { return wire_valset_decode(p, n, o, NULL); }

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

int lf_build_update(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                    uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    char err[256];
    int rc = ic_build_update(fetch_rpc, (void *)addr, p, trusted, target, now_ms, revive, out, height, err,
                             sizeof err);
    if (rc <= 0 && strncmp(err, addr, strlen(addr)) == 0) snprintf(why, why_len, "%s", err); /* named */
    else if (rc <= 0) snprintf(why, why_len, "%s: %s", addr, err);
    return rc;
}
