/* fuzz_roast_nonces.c — a delegate's stored nonce record (threshold/
 * checkpoint.h, read back by node/frost_sign.c after a restart) under the
 * canonical-encoding oracle: what decodes re-encodes to the same bytes and
 * lists only FRESH pairs of valid points and non-zero canonical nonces. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/sign.h"
#include "threshold/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool init;
    if (!init) crypto_init();
    init = true;
    roast_nonce_entry *recs = hansa_calloc(ROAST_NONCES_MAX, sizeof *recs);
    size_t n = 99;
    wire_rd r;
    if (roast_nonces_decode(size ? data : NULL, size, recs, &n, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= size && n == 0);
    } else {
        HANSA_ASSERT(n <= ROAST_NONCES_MAX);
        for (size_t i = 0; i < n; i++)
            HANSA_ASSERT(recs[i].rec.state == ROAST_NONCE_FRESH &&
                         !frost_scalar_is_zero(&recs[i].rec.nonces.hiding) &&
                         !frost_scalar_is_zero(&recs[i].rec.nonces.binding));
        hbuf b = HBUF_INIT;
        roast_nonces_encode(&b, recs, n);
        HANSA_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
        hbuf_free(&b);
    }
    free(recs);
    return 0;
}
