/* fuzz_ledger_record.c — libFuzzer harness for the ledger's state-record
 * decoders (ledger/record.h), which read records back from disk at start-up.
 *
 * The first input byte picks the record type (meta, params, supply,
 * validators, account); the rest is the value. The oracle is the one of the
 * wire fuzzers (fuzz_common.h): what a decoder accepts re-encodes to exactly
 * the same bytes, and a rejected input leaves the object all zeros. */
#include "fuzz_common.h"
#include "ledger/record.h"

FUZZ_CODEC_WRAP(ledger_meta)
FUZZ_CODEC_WRAP(ledger_params)
FUZZ_CODEC_WRAP(ledger_supply)
FUZZ_CODEC_WRAP(ledger_valsets)
FUZZ_CODEC_WRAP(ledger_account)

static const fuzz_codec kinds[] = {
    FUZZ_CODEC(ledger_meta, ledger_meta),
    FUZZ_CODEC(ledger_params, ledger_params),
    FUZZ_CODEC(ledger_supply, ledger_supply),
    FUZZ_CODEC(ledger_valsets, ledger_valsets),
    FUZZ_CODEC(ledger_account, ledger_account),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t k = data[0] % (sizeof kinds / sizeof kinds[0]);
    static ledger_valsets obj; /* the largest record object */
    fuzz_codec_roundtrip(&kinds[k], size > 1 ? data + 1 : NULL, size - 1, &obj, sizeof obj);
    return 0;
}
