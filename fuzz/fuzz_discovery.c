/* fuzz_discovery.c — libFuzzer harness for the route discovery message
 * decoder (credit/discovery.h), the bytes a node takes from a neighbour
 * chain. The oracle is the wire fuzzers' (fuzz_common.h): what the decoder
 * accepts re-encodes to exactly the same bytes, within DISC_MSG_BYTES, and
 * a rejected input leaves the message all zeros. */
#include "credit/discovery.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static disc_msg m;
    wire_rd r;
    memset(&m, 0xa5, sizeof m);
    if (disc_msg_decode(size ? data : NULL, size, &m, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&m, sizeof m);
        return 0;
    }
    HANSA_ASSERT(size <= DISC_MSG_BYTES);
    hbuf b = HBUF_INIT;
    disc_msg_encode(&b, &m);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    return 0;
}
