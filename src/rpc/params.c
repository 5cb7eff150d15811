/* params.c — reading by-name params with errors that name the param.
 *
 * A client that sends {"height": "ten"} should learn which param was wrong
 * and why, not only that "params" were invalid: every failure here is a
 * -32602 whose message says it in words and whose data says it for programs,
 * {"param": "height", "reason": "must be an unsigned integer"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "rpc/server_internal.h"

/* Fills err for param name with reason (a static sentence fragment). */
static bool param_fail(const char *name, const char *reason, rpc_error *err) {
    json_t *data = json_pack("{s:s,s:s}", "param", name, "reason", reason);
    rpc_error_set(err, RPC_INVALID_PARAMS, data, "invalid params: \"%s\" %s", name, reason);
    return false;
}

/* Looks name up. Returns false with err filled if params is positional or the
 * param is missing but required; *v is NULL if absent. */
static bool param_get(const json_t *params, const char *name, bool required, json_t **v,
                      rpc_error *err) {
    *v = NULL;
    if (params && !json_is_object(params)) return param_fail(name, "must be given by name", err);
    if (params) *v = json_object_get(params, name);
    if (!*v && required) return param_fail(name, "is required", err);
    return true;
}

bool rpc_param_string(const json_t *params, const char *name, bool required, const char **out,
                      rpc_error *err) {
    json_t *v;
    if (!param_get(params, name, required, &v, err)) return false;
    if (!v) return true;
    if (!json_is_string(v)) return param_fail(name, "must be a string", err);
    *out = json_string_value(v);
    return true;
}

/* Parses a canonical decimal u64: digits only, no leading zeros, no overflow. */
static bool u64_from_decimal(const char *s, size_t len, uint64_t *out) {
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10) return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

bool rpc_param_u64(const json_t *params, const char *name, bool required, uint64_t *out,
                   rpc_error *err) {
    json_t *v;
    if (!param_get(params, name, required, &v, err)) return false;
    if (!v) return true;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0) return param_fail(name, "must not be negative", err);
        *out = (uint64_t)i;
        return true;
    }
    if (json_is_string(v) &&
        u64_from_decimal(json_string_value(v), json_string_length(v), out))
        return true;
    return param_fail(name, "must be an unsigned 64-bit integer (a number or a decimal string)",
                      err);
}

bool rpc_param_bool(const json_t *params, const char *name, bool required, bool *out,
                    rpc_error *err) {
    json_t *v;
    if (!param_get(params, name, required, &v, err)) return false;
    if (!v) return true;
    if (!json_is_boolean(v)) return param_fail(name, "must be true or false", err);
    *out = json_is_true(v);
    return true;
}

/* Looks up a hex string param; *hex and *len exclude an optional "0x". */
static bool param_hex_text(const json_t *params, const char *name, bool required,
                           const char **hex, size_t *len, rpc_error *err) {
    json_t *v;
    *hex = NULL;
    if (!param_get(params, name, required, &v, err)) return false;
    if (!v) return true;
    if (!json_is_string(v)) return param_fail(name, "must be a hex string", err);
    const char *s = json_string_value(v);
    *len = json_string_length(v);
    if (*len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        *len -= 2;
    }
    *hex = s;
    return true;
}

bool rpc_param_hex(const json_t *params, const char *name, bool required, uint8_t *out,
                   size_t out_len, rpc_error *err) {
    const char *s;
    size_t len = 0;
    if (!param_hex_text(params, name, required, &s, &len, err)) return false;
    if (!s) return true;
    if (len != 2 * out_len) {
        char reason[64];
        snprintf(reason, sizeof reason, "must be %zu hex digits", 2 * out_len);
        return param_fail(name, reason, err);
    }
    size_t got = 0;
    if (hex_decode(s, len, out, out_len, &got, NULL) != HANSA_OK)
        return param_fail(name, "has a character that is not a hex digit", err);
    return true;
}

bool rpc_param_bytes(const json_t *params, const char *name, bool required, size_t max_len,
                     uint8_t **out, size_t *out_len, rpc_error *err) {
    const char *s;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    if (!param_hex_text(params, name, required, &s, &len, err)) return false;
    if (!s) return true;
    if (len % 2 != 0) return param_fail(name, "must have an even number of hex digits", err);
    if (len / 2 > max_len) {
        char reason[64];
        snprintf(reason, sizeof reason, "must be at most %zu bytes", max_len);
        return param_fail(name, reason, err);
    }
    uint8_t *buf = hansa_malloc(len / 2 + 1); /* +1: a 0-byte value still gets a pointer */
    if (hex_decode(s, len, buf, len / 2, out_len, NULL) != HANSA_OK) {
        free(buf);
        return param_fail(name, "has a character that is not a hex digit", err);
    }
    *out = buf;
    return true;
}

bool rpc_params_only(const json_t *params, const char *const *names, rpc_error *err) {
    if (!params) return true;
    if (!json_is_object(params)) return param_fail("params", "must be an object of named params", err);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)params, key, v) {
        bool known = false;
        for (const char *const *n = names; *n && !known; n++) known = strcmp(*n, key) == 0;
        if (!known) return param_fail(key, "is not a param of this method", err);
    }
    return true;
}
