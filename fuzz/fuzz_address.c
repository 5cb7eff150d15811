/* fuzz_address.c — libFuzzer harness for addr_parse and chain_id_parse.
 *
 * The oracle: text that addr_parse accepts is one of the two spellings of
 * its value — exactly what addr_format writes, or that in all lowercase —
 * and a chain id that chain_id_parse accepts is exactly what
 * chain_id_format writes. Rejected text must come with a `why`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/address.h"

#define FUZZ_TEXT_MAX 256

static void lowercase(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'F') *s = (char)(*s - 'A' + 'a');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= FUZZ_TEXT_MAX) return 0;
    char text[FUZZ_TEXT_MAX];
    memcpy(text, data, size);
    text[size] = '\0';

    uint32_t chain = 0;
    hansa_addr addr;
    const char *why = NULL;
    if (addr_parse(text, NULL, &chain, &addr, &why) == HANSA_OK) {
        char canon[ADDR_TEXT_MAX], low[ADDR_TEXT_MAX];
        addr_format(chain, &addr, canon);
        memcpy(low, canon, sizeof canon);
        lowercase(low);
        HANSA_ASSERT(strcmp(text, canon) == 0 || strcmp(text, low) == 0);
        uint32_t other = chain + 1;
        HANSA_ASSERT(addr_parse(text, &other, NULL, &addr, NULL) == HANSA_ERR_WRONG_CHAIN);
    } else {
        HANSA_ASSERT(why != NULL);
    }

    why = NULL;
    if (chain_id_parse(text, &chain, &why) == HANSA_OK) {
        char canon[CHAIN_ID_TEXT_MAX];
        chain_id_format(chain, canon);
        HANSA_ASSERT(strcmp(text, canon) == 0);
    } else {
        HANSA_ASSERT(why != NULL);
    }
    return 0;
}
