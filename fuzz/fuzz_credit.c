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

static void enc_contract(hbuf *b, const void *o) { credit_contract_encode(b, o); }
static void enc_chit(hbuf *b, const void *o) { credit_chit_encode(b, o); }
static void enc_invoice(hbuf *b, const void *o) { credit_invoice_encode(b, o); }
static void enc_invoice_rec(hbuf *b, const void *o) { credit_invoice_record_encode(b, o); }
static void enc_msg(hbuf *b, const void *o) { credit_msg_encode(b, o); }
static void enc_tally(hbuf *b, const void *o) { credit_tally_encode(b, o); }

static hansa_err dec_contract(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_contract_decode(p, n, o, r); }
static hansa_err dec_chit(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_chit_decode(p, n, o, r); }
static hansa_err dec_invoice(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_invoice_decode(p, n, o, r); }
static hansa_err dec_invoice_rec(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_invoice_record_decode(p, n, o, r); }
static hansa_err dec_msg(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_msg_decode(p, n, o, r); }
static hansa_err dec_tally(const uint8_t *p, size_t n, void *o, wire_rd *r) { return credit_tally_decode(p, n, o, r); }

static const fuzz_codec kinds[] = {
    {dec_contract, enc_contract, sizeof(credit_contract)},
    {dec_chit, enc_chit, sizeof(credit_chit)},
    {dec_invoice, enc_invoice, sizeof(credit_invoice)},
    {dec_invoice_rec, enc_invoice_rec, sizeof(credit_invoice)},
    {dec_msg, enc_msg, sizeof(credit_msg)},
    {dec_tally, enc_tally, sizeof(credit_tally)},
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
