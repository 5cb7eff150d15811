/* Tests of wire/: round trips and rejections of every decoder. */
#include "base/buf.h"
#include "check.h"
#include "wire/codec.h"

static void test_smoke(void) {
    wire_tx tx = {.chain_id = 0xe2e4, .nonce = 7, .fee = 1, .kind = TX_TRANSFER,
                  .body = (const uint8_t *)"abc", .body_len = 3};
    hbuf b = HBUF_INIT;
    wire_tx_encode(&b, &tx);
    wire_tx back;
    CHECK_ERR(wire_tx_decode(b.data, b.len, &back, NULL), HANSA_OK);
    hbuf c = HBUF_INIT;
    wire_tx_encode(&c, &back);
    CHECK(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
    hbuf_free(&b);
    hbuf_free(&c);
}

int main(void) {
    RUN(test_smoke);
    return check_summary();
}
