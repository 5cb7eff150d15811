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

static const struct {
    hansa_err (*dec)(const uint8_t *, size_t, void *, wire_rd *);
    void (*enc)(hbuf *, const void *);
    size_t size;
} kinds[] = {
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
    wire_rd r;
    if (k == N_KINDS) { /* a stored credit record: klen | key | value */
        if (n == 0) return 0;
        size_t klen = p[0] < n - 1 ? p[0] : n - 1;
        ledger_credit_record_check(p + 1, klen, n - 1 - klen ? p + 1 + klen : NULL, n - 1 - klen, &r);
        return 0;
    }
    memset(&obj, 0xa5, sizeof obj);
    if (kinds[k].dec(p, n, &obj, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= n);
        fuzz_check_zero(&obj, kinds[k].size);
        return 0;
    }
    hbuf b = HBUF_INIT;
    kinds[k].enc(&b, &obj);
    HANSA_ASSERT(b.len == n);
    HANSA_ASSERT(memcmp(b.data, p, n) == 0);
    hbuf_free(&b);
    return 0;
}
