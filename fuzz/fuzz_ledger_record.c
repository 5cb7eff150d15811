/* fuzz_ledger_record.c — libFuzzer harness for the ledger's state-record
 * decoders (ledger/record.h), which read records back from disk at start-up.
 *
 * The first input byte picks the record type (meta, params, supply,
 * validators, account); the rest is the value. The oracle is the one of the
 * wire fuzzers (fuzz_common.h): what a decoder accepts re-encodes to exactly
 * the same bytes, and a rejected input leaves the object all zeros. */
#include "fuzz_common.h"
#include "ledger/record.h"

/* Encoders, cast to one shape. */
static void enc_meta(hbuf *b, const void *o) { ledger_meta_encode(b, o); }
static void enc_params(hbuf *b, const void *o) { ledger_params_encode(b, o); }
static void enc_supply(hbuf *b, const void *o) { ledger_supply_encode(b, o); }
static void enc_validators(hbuf *b, const void *o) { ledger_valsets_encode(b, o); }
static void enc_account(hbuf *b, const void *o) { ledger_account_encode(b, o); }

static hansa_err dec_meta(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ledger_meta_decode(p, n, o, r); }
static hansa_err dec_params(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ledger_params_decode(p, n, o, r); }
static hansa_err dec_supply(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ledger_supply_decode(p, n, o, r); }
static hansa_err dec_validators(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ledger_valsets_decode(p, n, o, r); }
static hansa_err dec_account(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ledger_account_decode(p, n, o, r); }

static const fuzz_codec kinds[] = {
    {dec_meta, enc_meta, sizeof(ledger_meta)},
    {dec_params, enc_params, sizeof(ledger_params)},
    {dec_supply, enc_supply, sizeof(ledger_supply)},
    {dec_validators, enc_validators, sizeof(ledger_valsets)},
    {dec_account, enc_account, sizeof(ledger_account)},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t k = data[0] % (sizeof kinds / sizeof kinds[0]);
    static ledger_valsets obj; /* the largest record object */
    fuzz_codec_roundtrip(&kinds[k], size > 1 ? data + 1 : NULL, size - 1, &obj, sizeof obj);
    return 0;
}
