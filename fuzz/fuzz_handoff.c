/* fuzz_handoff.c — the handoff decoder (wire/checkpoint.h: the old
 * group's signature on a new group key) under the canonical-encoding oracle
 * (encode(decode(x)) == x), then its verification and a follower taking it,
 * which must answer without crashing for any decoded value. */
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
    handoff h;
    wire_rd r;
    if (handoff_decode(size ? data : NULL, size, &h, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= size);
        return 0;
    }
    HANSA_ASSERT(h.old_epoch < h.new_epoch && h.t >= 1 && h.t <= h.n);
    hbuf b = HBUF_INIT;
    handoff_encode(&b, &h);
    HANSA_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    frost_trust t = {.chain_id = 1, .epoch = h.old_epoch, .key = h.old_key};
    char why[128];
    if (frost_trust_follow(&t, &h, why, sizeof why) == HANSA_OK)
        HANSA_ASSERT(t.epoch == h.new_epoch && frost_point_eq(&t.key, &h.new_key));
    else HANSA_ASSERT(t.epoch == h.old_epoch);
    return 0;
}
