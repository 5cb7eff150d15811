/* fuzz_xlift.c — libFuzzer harness for the cross-chain lift payload
 * decoder (credit/xlift.h), the payload of lift packets. The oracle is the
 * wire fuzzers' (fuzz_common.h): what the decoder accepts passes
 * credit_xlift_check and re-encodes to exactly the same bytes, and a
 * rejected input leaves the object all zeros. */
#include "credit/xlift.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static credit_xlift x;
    uint8_t tail = 0xa5;
    wire_rd r;
    memset(&x, 0xa5, sizeof x);
    if (credit_xlift_payload_decode(size ? data : NULL, size, &x, &tail, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        HANSA_ASSERT(tail == 0);
        fuzz_check_zero(&x, sizeof x);
        return 0;
    }
    HANSA_ASSERT(credit_xlift_check(&x, NULL, 0) == HANSA_OK);
    hbuf b = HBUF_INIT;
    credit_xlift_payload_encode(&b, &x, tail);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    return 0;
}
