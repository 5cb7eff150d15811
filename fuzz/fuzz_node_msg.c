/* fuzz_node_msg.c — the node-to-node message decoders (node/msg.h) under the
 * canonical-encoding oracle: the first byte picks the message type, the rest
 * is its payload; an accepted payload must re-encode to the same bytes. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "node/msg.h"

static void check_same(const hbuf *b, const uint8_t *p, size_t n) {
    HANSA_ASSERT(b->len == n);
    HANSA_ASSERT(n == 0 || memcmp(b->data, p, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    hbuf b = HBUF_INIT;
    switch (data[0] % 6) {
    case 0: {
        msg_status s;
        if (msg_status_decode(p, n, &s, NULL) == HANSA_OK) msg_status_encode(&b, &s), check_same(&b, p, n);
        break;
    }
    case 1: {
        msg_proposal m;
        if (msg_proposal_decode(p, n, &m, NULL) == HANSA_OK) msg_proposal_encode(&b, &m), check_same(&b, p, n);
        break;
    }
    case 2: {
        uint64_t h;
        if (msg_block_req_decode(p, n, &h, NULL) == HANSA_OK) msg_block_req_encode(&b, h), check_same(&b, p, n);
        break;
    }
    case 3: {
        msg_block m;
        if (msg_block_decode(p, n, &m, NULL) == HANSA_OK) msg_block_encode(&b, &m), check_same(&b, p, n);
        break;
    }
    case 4: {
        msg_dkg_share_req m;
        if (msg_dkg_share_req_decode(p, n, &m, NULL) == HANSA_OK)
            msg_dkg_share_req_encode(&b, &m), check_same(&b, p, n);
        break;
    }
    case 5: {
        static msg_txs m; /* large; a fuzzer runs one input at a time */
        if (msg_txs_decode(p, n, &m, NULL) == HANSA_OK) msg_txs_encode(&b, &m), check_same(&b, p, n);
        break;
    }
    }
    hbuf_free(&b);
    return 0;
}
