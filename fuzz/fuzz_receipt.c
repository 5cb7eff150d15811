/* fuzz_receipt.c — libFuzzer harness for every receipt decoder: the receipt,
 * its core, a claim body (ledger/receipt.h), the node's stored guarantee and
 * the RECEIPT_ASK / RECEIPT_SHARE peer messages (node/receipts.h), and the
 * stored-record check of ledger/tx_receipt.h.
 *
 * The first input byte picks the decoder; the rest is its input. The oracle
 * is the wire fuzzers' (fuzz_common.h): what a decoder accepts re-encodes to
 * exactly the same bytes, and a rejected input leaves the object all zeros.
 * The record check (no encoder) gets klen | key | value and must only never
 * crash or leak. The receipt_bond body decoder (amount [| until]) must
 * accept exactly 8 or 16 bytes with non-zero fields, and say why otherwise. */
#include "fuzz_common.h"
#include "ledger/receipt.h"
#include "ledger/state.h"
#include "ledger/tx_receipt.h"
#include "node/receipts.h"

FUZZ_CODEC_WRAP(receipt)
FUZZ_CODEC_WRAP(receipt_core)
FUZZ_CODEC_WRAP(receipt_claim)
FUZZ_CODEC_WRAP(node_guarantee)
FUZZ_CODEC_WRAP(node_receipt_ask)
FUZZ_CODEC_WRAP(node_receipt_share)

static const fuzz_codec kinds[] = {
    FUZZ_CODEC(receipt, receipt),
    FUZZ_CODEC(receipt_core, receipt_core),
    FUZZ_CODEC(receipt_claim, receipt_claim),
    FUZZ_CODEC(node_guarantee, node_guarantee),
    FUZZ_CODEC(node_receipt_ask, node_receipt_ask),
    FUZZ_CODEC(node_receipt_share, node_receipt_share),
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static union {
    receipt rc;
    receipt_claim claim;
    node_guarantee g;
    node_receipt_ask ask;
    node_receipt_share share;
} obj;

static int bond_body(const uint8_t *p, size_t n) {
    ledger_tx_body body;
    memset(&body, 0, sizeof body);
    char why[LEDGER_WHY_MAX] = "";
    hansa_err e = txr_bond_decode(p, (uint32_t)n, &body, why, sizeof why);
    bool ok = (n == 8 || n == 16) && le64_load(p) != 0 && (n == 8 || le64_load(p + 8) != 0);
    HANSA_ASSERT((e == HANSA_OK) == ok);
    if (!ok) HANSA_ASSERT(why[0] != '\0');
    else HANSA_ASSERT(body.bond.amount == le64_load(p) && body.bond.until == (n == 16 ? le64_load(p + 8) : 0));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t k = data[0] % (N_KINDS + 2);
    const uint8_t *p = size > 1 ? data + 1 : NULL;
    size_t n = size - 1;
    if (k == N_KINDS + 1) return bond_body(p, n);
    if (k == N_KINDS) { /* a stored receipt record: klen | key | value */
        fuzz_record_check(p, n, 0, ledger_receipt_record_check);
        return 0;
    }
    fuzz_codec_roundtrip(&kinds[k], p, n, &obj, sizeof obj);
    return 0;
}
