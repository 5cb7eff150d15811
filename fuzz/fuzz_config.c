/* fuzz_config.c — libFuzzer harness for config_parse and genesis_parse.
 *
 * The first byte picks the file (even: config.json, odd: genesis.json), the
 * rest is its text. The oracles: a refusal comes with a message that names
 * the file; parsing is deterministic (the same text gives the same verdict
 * and message); and the parser is strict: a text it accepts is refused once
 * an unknown key is added to its top-level object. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "node/config.h"

/* Parses text as the chosen file; *why gets the message. */
static hansa_err parse(bool genesis, const char *text, size_t len, char why[CONFIG_WHY_MAX]) {
    why[0] = '\0';
    if (!genesis) {
        config_file c;
        hansa_err e = config_parse("config.json", text, len, &c, why);
        if (e == HANSA_OK) HANSA_ASSERT(c.n_peers <= CONFIG_PEERS_MAX);
        return e;
    }
    genesis_file g;
    hansa_err e = genesis_parse("genesis.json", text, len, &g, why);
    if (e == HANSA_OK) {
        HANSA_ASSERT(g.g.n_delegates >= 1);
        genesis_free(&g);
    }
    return e;
}

/* text with "zz_fuzz_unknown": 0 added first in its top-level object. */
static char *with_unknown_key(const char *text, size_t len, size_t *out_len) {
    const char *brace = memchr(text, '{', len);
    HANSA_ASSERT(brace != NULL); /* an accepted file is an object */
    size_t at = (size_t)(brace - text) + 1, k = at;
    while (k < len && strchr(" \t\r\n", text[k])) k++;
    const char *key = k < len && text[k] == '}' ? "\"zz_fuzz_unknown\": 0" : "\"zz_fuzz_unknown\": 0,";
    size_t klen = strlen(key);
    char *out = malloc(len + klen);
    HANSA_ASSERT(out != NULL);
    memcpy(out, text, at);
    memcpy(out + at, key, klen);
    memcpy(out + at + klen, text + at, len - at);
    *out_len = len + klen;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 65536) return 0;
    bool genesis = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *file = genesis ? "genesis.json" : "config.json";
    char why[CONFIG_WHY_MAX], why2[CONFIG_WHY_MAX];
    hansa_err e = parse(genesis, text, len, why);
    HANSA_ASSERT(parse(genesis, text, len, why2) == e);
    HANSA_ASSERT(strcmp(why, why2) == 0);
    if (e != HANSA_OK) {
        HANSA_ASSERT(strncmp(why, file, strlen(file)) == 0);
        return 0;
    }
    size_t ulen;
    char *unknown = with_unknown_key(text, len, &ulen);
    HANSA_ASSERT(parse(genesis, unknown, ulen, why) == HANSA_ERR_CONFIG);
    HANSA_ASSERT(strstr(why, "zz_fuzz_unknown: unknown key") != NULL);
    free(unknown);
    return 0;
}
