/* fuzz_keyfile.c — libFuzzer harness for keyfile_parse.
 *
 * The oracle: text that keyfile_parse accepts renders (keyfile_render) to a
 * text that parses again to the same chain and the same named keys, and
 * renders to the same bytes again (rendering is canonical). Rejected text must
 * come with a sentence in why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/assert.h"
#include "node/keyfile.h"

static void same_keys(const keyfile *a, const keyfile *b) {
    HANSA_ASSERT(a->chain_id == b->chain_id);
    HANSA_ASSERT(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        HANSA_ASSERT(strcmp(a->keys[i].name, b->keys[i].name) == 0);
        HANSA_ASSERT(memcmp(a->keys[i].kp.secret, b->keys[i].kp.secret, HANSA_SECRET_BYTES) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > KEYFILE_BYTES_MAX) return 0;
    char why[KEYFILE_WHY_MAX] = "";
    keyfile kf, again;
    hansa_err e = keyfile_parse((const char *)data, size, "fuzz", &kf, why);
    if (e != HANSA_OK) {
        HANSA_ASSERT(why[0] != '\0');
        keyfile_free(&kf);
        return 0;
    }
    hbuf text = HBUF_INIT, text2 = HBUF_INIT;
    keyfile_render(&kf, &text);
    HANSA_ASSERT(keyfile_parse((const char *)text.data, text.len, "rendered", &again, why) ==
                 HANSA_OK);
    same_keys(&kf, &again);
    keyfile_render(&again, &text2);
    HANSA_ASSERT(text.len == text2.len && memcmp(text.data, text2.data, text.len) == 0);
    hbuf_free(&text);
    hbuf_free(&text2);
    keyfile_free(&kf);
    keyfile_free(&again);
    return 0;
}
