/* fuzz_packet.c — libFuzzer harness for every packet decoder
 * (interchain/packet.h): the denomination, the send body, the transfer
 * payload, the recv and ack bodies, a tx proof alone (a receipt signer's
 * bond, ledger/receipt_x.h), and the stored-record check of
 * ledger/xfer.h.
 *
 * The first input byte picks the decoder; the rest is its input. The oracle
 * is the wire fuzzers' (fuzz_common.h): what a decoder accepts re-encodes to
 * exactly the same bytes, and a rejected input leaves the object all zeros.
 * The record check (no encoder) gets klen | key | value and must only never
 * crash or leak. The ledger's transaction-body decoders (ledger/xfer.h, the
 * tx table's entries for kinds 20-24) get a selector byte and a body: one
 * that accepts must agree with the packet decoder it wraps (a corr body:
 * exactly 12 bytes with a non-zero amount), one that refuses must say why. */
#include "fuzz_common.h"
#include "interchain/packet.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "ledger/xfer.h"

FUZZ_CODEC_WRAP(pkt_denom)
FUZZ_CODEC_WRAP(pkt_send)
FUZZ_CODEC_WRAP(pkt_transfer)
FUZZ_CODEC_WRAP(pkt_recv)
FUZZ_CODEC_WRAP(pkt_ack)
FUZZ_CODEC_WRAP(pkt_proof)

static const fuzz_codec kinds[] = {
    FUZZ_CODEC(pkt_denom, pkt_denom),
    FUZZ_CODEC(pkt_send, pkt_send),
    FUZZ_CODEC(pkt_transfer, pkt_transfer),
    FUZZ_CODEC(pkt_recv, pkt_recv),
    FUZZ_CODEC(pkt_ack, pkt_ack),
    FUZZ_CODEC(pkt_proof, pkt_proof),
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

static union {
    pkt_denom d;
    pkt_send s;
    pkt_transfer t;
    pkt_recv v;
    pkt_ack a;
    pkt_proof p;
} obj;

/* The ledger body decoders against the packet decoders they wrap. */
static void ledger_body(const uint8_t *p, size_t n) {
    if (n == 0) return;
    uint8_t which = p[0] % 4;
    const uint8_t *b = n > 1 ? p + 1 : NULL;
    uint32_t len = (uint32_t)(n - 1);
    ledger_tx_body body;
    memset(&body, 0, sizeof body);
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = HANSA_OK, inner = HANSA_OK;
    switch (which) {
    case 0: err = xfer_send_decode(b, len, &body, why, sizeof why); inner = pkt_send_decode(b, len, &obj.s, NULL); break;
    case 1: err = xfer_recv_decode(b, len, &body, why, sizeof why); inner = pkt_recv_decode(b, len, &obj.v, NULL); break;
    case 2: err = xfer_ack_decode(b, len, &body, why, sizeof why); inner = pkt_ack_decode(b, len, &obj.a, NULL); break;
    case 3: err = xfer_corr_decode(b, len, &body, why, sizeof why); break;
    }
    if (err != HANSA_OK) {
        HANSA_ASSERT(why[0] != '\0');
        return;
    }
    HANSA_ASSERT(inner == HANSA_OK);
    if (which == 3) HANSA_ASSERT(len == XFER_CORR_BODY_BYTES && body.corr.amount != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t k = data[0] % (N_KINDS + 2);
    const uint8_t *p = size > 1 ? data + 1 : NULL;
    size_t n = size - 1;
    if (k == N_KINDS + 1) {
        ledger_body(p, n);
        return 0;
    }
    if (k == N_KINDS) { /* a stored xfer record: klen | key | value, a key of one byte at least */
        fuzz_record_check(p, n, 1, xfer_record_check);
        return 0;
    }
    fuzz_codec_roundtrip(&kinds[k], p, n, &obj, sizeof obj);
    return 0;
}
