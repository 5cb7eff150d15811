/* fuzz_lift.c — libFuzzer harness for the lift header decoder
 * (credit/lift.h). The oracle is the wire fuzzers' (fuzz_common.h): what
 * the decoder accepts re-encodes to exactly the same bytes and passes
 * credit_lift_check, and a rejected input leaves the object all zeros. */
#include "credit/lift.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static credit_lift l;
    wire_rd r;
    memset(&l, 0xa5, sizeof l);
    if (credit_lift_decode(size ? data : NULL, size, &l, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&l, sizeof l);
        return 0;
    }
    HANSA_ASSERT(credit_lift_check(&l, NULL, 0) == HANSA_OK);
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, &l);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    return 0;
}
