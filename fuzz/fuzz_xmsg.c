/* fuzz_xmsg.c — libFuzzer harness for the cross-chain tally message decoder
 * (credit/xmsg.h), the payload of a tally packet.
 *
 * The oracle is the wire fuzzers' (fuzz_common.h): what the decoder accepts
 * re-encodes to exactly the same bytes and names a tally, and a rejected
 * input leaves the message all zeros with the failure inside the input. */
#include "credit/xmsg.h"
#include "fuzz_common.h"

static credit_xmsg msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    wire_rd r;
    memset(&msg, 0xa5, sizeof msg);
    if (credit_xmsg_decode(size ? data : NULL, size, &msg, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&msg, sizeof msg);
        return 0;
    }
    HANSA_ASSERT(!credit_id_is_zero(credit_xmsg_tally(&msg)));
    hbuf b = HBUF_INIT;
    credit_xmsg_encode(&b, &msg);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    return 0;
}
