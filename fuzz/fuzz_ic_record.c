/* fuzz_ic_record.c — libFuzzer harness for the light client's other
 * decoders (interchain/codec.h): the create, approve and misbehaviour
 * transaction bodies, and the client, consensus-state, evidence-list and
 * revival records read back from disk. The first byte picks the decoder;
 * the oracle is fuzz_common.h's (accepted input re-encodes byte for byte,
 * a refusal leaves the object zeroed). */
#include "fuzz_common.h"
#include "interchain/codec.h"

typedef struct {
    uint32_t chain;
    hansa_hash subject;
} approve_obj;

typedef struct {
    ic_update a, b;
} misbehaviour_obj;

static union {
    ic_create create;
    approve_obj approve;
    misbehaviour_obj mis;
    ic_client client;
    ic_consensus cs;
    ic_evidence_list evl;
    ic_revival revival;
} obj;

static hansa_err dec(unsigned k, const uint8_t *p, size_t n, wire_rd *r, size_t *size) {
    switch (k) {
    case 0: *size = sizeof obj.create; return ic_create_decode(p, n, &obj.create, r);
    case 1:
        *size = sizeof obj.approve;
        return ic_approve_decode(p, n, &obj.approve.chain, &obj.approve.subject, r);
    case 2: *size = sizeof obj.mis; return ic_misbehaviour_decode(p, n, &obj.mis.a, &obj.mis.b, r);
    case 3: *size = sizeof obj.client; return ic_client_decode(p, n, 0xe2e4, &obj.client, r);
    case 4: *size = sizeof obj.cs; return ic_consensus_decode(p, n, 9, &obj.cs, r);
    case 5: *size = sizeof obj.evl; return ic_evidence_list_decode(p, n, &obj.evl, r);
    default: *size = sizeof obj.revival; return ic_revival_decode(p, n, &obj.revival, r);
    }
}

static void enc(unsigned k, hbuf *b) {
    switch (k) {
    case 0: ic_create_encode(b, &obj.create); break;
    case 1: ic_approve_encode(b, obj.approve.chain, &obj.approve.subject); break;
    case 2:
        ic_misbehaviour_encode(b, &obj.mis.a, &obj.mis.b);
        ic_update_free(&obj.mis.a);
        ic_update_free(&obj.mis.b);
        break;
    case 3: ic_client_encode(b, &obj.client); break;
    case 4: ic_consensus_encode(b, &obj.cs); break;
    case 5: ic_evidence_list_encode(b, &obj.evl); break;
    default: ic_revival_encode(b, &obj.revival); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned k = data[0] % 7;
    const uint8_t *p = size > 1 ? data + 1 : NULL;
    wire_rd r;
    size_t objsize;
    memset(&obj, 0xa5, sizeof obj);
    if (dec(k, p, size - 1, &r, &objsize) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size - 1);
        fuzz_check_zero(&obj, objsize);
        return 0;
    }
    hbuf b = HBUF_INIT;
    enc(k, &b);
    HANSA_ASSERT(b.len == size - 1);
    HANSA_ASSERT(memcmp(b.data, data + 1, size - 1) == 0);
    hbuf_free(&b);
    return 0;
}
