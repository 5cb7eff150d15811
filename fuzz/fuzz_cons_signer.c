/* fuzz_cons_signer.c — libFuzzer harness for cons_signer_decode (the
 * persisted signer state of consensus/engine.h): whatever it accepts must
 * re-encode byte for byte (a version-1 record as version 2), and a rejected
 * input leaves the state zeroed. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "consensus/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cons_signer_state s;
    if (cons_signer_decode(size ? data : NULL, size, &s) != HANSA_OK) {
        const uint8_t *p = (const uint8_t *)&s;
        for (size_t i = 0; i < sizeof s; i++) HANSA_ASSERT(p[i] == 0);
        return 0;
    }
    hbuf b = HBUF_INIT;
    cons_signer_encode(&b, &s);
    if (data[0] == 1) {
        /* A version-1 record re-encodes as version 2 with "no earlier
         * precommit" appended, and says the same otherwise. */
        HANSA_ASSERT(!s.has_prev_precommit && b.len == size + 1 && b.data[0] == 2 && b.data[size] == 0);
        HANSA_ASSERT(memcmp(b.data + 1, data + 1, size - 1) == 0);
    } else {
        HANSA_ASSERT(b.len == size);
        HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    }
    hbuf_free(&b);
    return 0;
}
