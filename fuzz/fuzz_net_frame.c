/* libFuzzer harness for net/frame: the input is a sequence of frames (each
 * preceded by a 2-byte length, like the stream), fed to one reassembler with
 * a small maximum. It must never crash, never hold more than the maximum,
 * and stop at the first error as the host does. */
#include <stddef.h>
#include <stdint.h>

#include "base/assert.h"
#include "net/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    net_reasm r;
    net_reasm_init(&r, 4096);
    size_t off = 0;
    for (;;) {
        const uint8_t *msg = NULL;
        size_t len = 0, used = net_stream_next(data + off, size - off, &msg, &len);
        if (used == 0) break;
        off += used;
        bool done = false;
        if (net_reasm_feed(&r, msg, len, &done) != HANSA_OK) break;
        HANSA_ASSERT(r.buf.len <= r.total);
        HANSA_ASSERT(r.total <= 4096);
        HANSA_ASSERT(!done || r.buf.len == r.total);
    }
    net_reasm_free(&r);
    return 0;
}
