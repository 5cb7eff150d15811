/* fuzz_lift.c — libFuzzer harness for the lift decoders: the lift header
 * (credit/lift.h), the ledger's lift record (credit_lift_rec, read back from
 * disk) and the TX_LIFT body decoder (ledger/tx_lift.c). The oracle is the
 * wire fuzzers' (fuzz_common.h): what a decoder accepts re-encodes to exactly
 * the same bytes (and a header passes credit_lift_check), a rejected input
 * leaves the object all zeros; the tx body decoder accepts exactly what the
 * header decoder accepts and says why when it refuses. */
#include "credit/lift.h"
#include "fuzz_common.h"
#include "ledger/tx.h"
#include "ledger/tx_credit.h"

static void fuzz_header(const uint8_t *data, size_t size) {
    static credit_lift l;
    wire_rd r;
    memset(&l, 0xa5, sizeof l);
    bool ok = credit_lift_decode(size ? data : NULL, size, &l, &r) == HANSA_OK;
    static ledger_tx_body body;
    char why[256] = "";
    bool tx_ok = txc_lift_decode(size ? data : NULL, (uint32_t)size, &body, why, sizeof why) == HANSA_OK;
    HANSA_ASSERT(tx_ok == ok);
    if (!ok) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        HANSA_ASSERT(why[0] != '\0');
        fuzz_check_zero(&l, sizeof l);
        return;
    }
    HANSA_ASSERT(credit_lift_check(&l, NULL, 0) == HANSA_OK);
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, &l);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
}

static void fuzz_record(const uint8_t *data, size_t size) {
    static credit_lift_rec rec;
    wire_rd r;
    memset(&rec, 0xa5, sizeof rec);
    if (credit_lift_rec_decode(size ? data : NULL, size, &rec, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&rec, sizeof rec);
        return;
    }
    hbuf b = HBUF_INIT;
    credit_lift_rec_encode(&b, &rec);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_header(data, size);
    fuzz_record(data, size);
    return 0;
}
