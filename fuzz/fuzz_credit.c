/* fuzz_credit.c — libFuzzer harness for every credit decoder: the contract,
 * chit, invoice (as submitted and as stored), chain message and tally record
 * codecs of credit/, and the stored-record check of ledger/credit_rec.h.
 *
 * The first input byte picks the decoder; the rest is its input. The oracle
 * is the wire fuzzers' (fuzz_common.h): what a decoder accepts re-encodes to
 * exactly the same bytes, and a rejected input leaves the object all zeros.
 * For the record check (no encoder) the input is a key length byte, the key
 * and the value, and the check must only never crash or leak. */
#include "credit/chain.h"
#include "credit/tally.h"
#include "fuzz_common.h"
#include "ledger/credit_rec.h"

FUZZ_CODEC_WRAP(credit_contract)
FUZZ_CODEC_WRAP(credit_chit)
FUZZ_CODEC_WRAP(credit_invoice)
FUZZ_CODEC_WRAP(credit_invoice_record)
FUZZ_CODEC_WRAP(credit_msg)
FUZZ_CODEC_WRAP(credit_tally)

static const fuzz_codec kinds[] = {
    FUZZ_CODEC(credit_contract, credit_contract),
    FUZZ_CODEC(credit_chit, credit_chit),
    FUZZ_CODEC(credit_invoice, credit_invoice),
    FUZZ_CODEC(credit_invoice_record, credit_invoice),
    FUZZ_CODEC(credit_msg, credit_msg),
    FUZZ_CODEC(credit_tally, credit_tally),
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static union {
    credit_msg msg;
    credit_tally tally;
    credit_invoice inv;
} obj;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t k = data[0] % (N_KINDS + 1);
    const uint8_t *p = size > 1 ? data + 1 : NULL;
    size_t n = size - 1;
    if (k == N_KINDS) { /* a stored credit record: klen | key | value */
        fuzz_record_check(p, n, 0, ledger_credit_record_check);
        return 0;
    }
    fuzz_codec_roundtrip(&kinds[k], p, n, &obj, sizeof obj);
    return 0;
}
