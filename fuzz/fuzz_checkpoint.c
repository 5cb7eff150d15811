/* fuzz_checkpoint.c — the signed checkpoint decoder (wire/checkpoint.h)
 * under the canonical-encoding oracle (encode(decode(x)) == x), then its
 * verification, which must answer without crashing for any decoded value. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/sign.h"
#include "wire/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool init;
    if (!init) crypto_init();
    init = true;
    checkpoint c;
    wire_rd r;
    if (checkpoint_decode(size ? data : NULL, size, &c, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= size);
        return 0;
    }
    hbuf b = HBUF_INIT;
    checkpoint_encode(&b, &c);
    HANSA_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    (void)checkpoint_verify(1, &c);
    return 0;
}
