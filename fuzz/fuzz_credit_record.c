/* fuzz_credit_record.c — libFuzzer harness for the credit table's record
 * checker (ledger_credit_record_check), which reads tallies, chits, invoices,
 * lifts and the cross-chain lift records (segment, pending holds, referee:
 * ledger/xlift.c) back from disk before anything trusts them.
 *
 * Input: byte 0 is the key type (0x40 + n, n < 8), byte 1 the key length
 * (below 64), then the rest of the key, then the value. The oracle: the
 * checker returns exactly what its cursor says (a refusal names a field),
 * and it is a pure function of its input (a second call agrees). */
#include "fuzz_common.h"
#include "ledger/credit_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t key[64] = {0};
    size_t klen = data[1] % sizeof key;
    if (klen == 0 || size - 2 < klen - 1) return 0;
    key[0] = (uint8_t)(0x40 + data[0] % 8);
    memcpy(key + 1, data + 2, klen - 1);
    const uint8_t *val = data + 2 + (klen - 1);
    size_t vlen = size - 2 - (klen - 1);
    wire_rd r1, r2;
    hansa_err e1 = ledger_credit_record_check(key, klen, val, vlen, &r1);
    hansa_err e2 = ledger_credit_record_check(key, klen, val, vlen, &r2);
    HANSA_ASSERT(e1 == r1.err);
    HANSA_ASSERT(e1 == e2);
    return 0;
}
