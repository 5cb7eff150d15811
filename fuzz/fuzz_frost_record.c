/* fuzz_frost_record.c — libFuzzer harness for the DKG records the ledger
 * reads back from disk (ledger/tx_frost.h): a dealer's commitment record
 * (0x58) and an epoch's group key (0x59, wire/group_rec.h: a light client
 * of the chain reads the same bytes in a key proof).
 *
 * The first input byte picks the record; the rest is the value. The oracle
 * is the one of the other record fuzzers (fuzz_common.h): what a decoder
 * accepts re-encodes to exactly the same bytes, and a rejected input
 * leaves the object all zeros. */
#include "fuzz_common.h"
#include "ledger/tx_frost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t *p = size > 1 ? data + 1 : NULL;
    size_t n = size - 1;
    static frost_dealer_rec d;
    static frost_group_rec g;
    wire_rd r;
    hbuf b = HBUF_INIT;
    if (data[0] & 1) {
        memset(&g, 0xa5, sizeof g);
        if (frost_group_rec_decode(p, n, &g, &r) != HANSA_OK) {
            HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= n);
            fuzz_check_zero(&g, sizeof g);
            return 0;
        }
        frost_group_rec_encode(&b, &g);
    } else {
        memset(&d, 0xa5, sizeof d);
        if (frost_dealer_rec_decode(p, n, &d, &r) != HANSA_OK) {
            HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= n);
            fuzz_check_zero(&d, sizeof d);
            return 0;
        }
        frost_dealer_rec_encode(&b, &d);
    }
    HANSA_ASSERT(b.len == n);
    HANSA_ASSERT(memcmp(b.data, p, n) == 0);
    hbuf_free(&b);
    return 0;
}
