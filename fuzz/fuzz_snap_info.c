/* fuzz_snap_info.c — libFuzzer harness for the snapshot info decoder
 * (ledger/state_root.h), which the RPC reads back from the store and a
 * joining node's source describes. The oracle of fuzz_common.h: what it
 * accepts re-encodes to the same bytes; a rejection leaves it all zeros
 * and says where. */
#include "fuzz_common.h"
#include "ledger/state_root.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ledger_snap_info in;
    wire_rd r;
    memset(&in, 0xa5, sizeof in);
    if (ledger_snap_info_decode(size ? data : NULL, size, &in, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&in, sizeof in);
        return 0;
    }
    HANSA_ASSERT(in.height > 0 && in.records > 0);
    hbuf b = HBUF_INIT;
    ledger_snap_info_encode(&b, &in);
    HANSA_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    return 0;
}
