/* fuzz_roast_env.c — the envelope of a ROAST message between delegates
 * (threshold/checkpoint.h): the decoder under a canonical-encoding oracle
 * (the decoded fields rebuild every byte before the signature), then the
 * signature check, which must answer without crashing. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/sign.h"
#include "threshold/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hansa_keypair kp;
    static bool init;
    if (!init) {
        crypto_init();
        uint8_t seed[HANSA_SEED_BYTES] = {7};
        keypair_from_seed(&kp, seed);
        init = true;
    }
    roast_env e;
    wire_rd r;
    if (roast_env_decode(size ? data : NULL, size, &e, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= size);
        return 0;
    }
    hbuf b = HBUF_INIT;
    hbuf_put_u8(&b, WIRE_VERSION);
    hbuf_put_u32(&b, e.chain_id);
    hbuf_put_u16(&b, e.from);
    hbuf_put_u32(&b, e.msg_len);
    hbuf_append(&b, e.msg, e.msg_len);
    hbuf_append(&b, e.sig.b, HANSA_SIG_BYTES);
    HANSA_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    (void)roast_env_verify(data, size, &kp.pub);
    return 0;
}
