/* fuzz_common.h — the canonical-encoding oracle shared by the wire fuzzers.
 *
 * Each fuzz/fuzz_<type>.c instantiates FUZZ_CANONICAL for one decoder. The
 * oracle: any input the decoder accepts must re-encode to exactly the same
 * bytes. A decoder that accepts a second spelling of some value (a bool 2, an
 * unsorted list, a nil id with hash bytes) fails it, as does one that reads
 * out of bounds or leaks (ASan/UBSan in the fuzz build). A rejected input
 * must leave the object all zeros. */
#ifndef HANSA_FUZZ_COMMON_H
#define HANSA_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "wire/codec.h"

static inline void fuzz_check_zero(const void *obj, size_t n) {
    const uint8_t *p = obj;
    for (size_t i = 0; i < n; i++) HANSA_ASSERT(p[i] == 0);
}

/* T: the wire type; NAME: its codec prefix; FREE: statement releasing `obj`. */
#define FUZZ_CANONICAL(T, NAME, FREE)                                                    \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                        \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {                       \
        T obj;                                                                           \
        wire_rd r;                                                                       \
        if (wire_##NAME##_decode(size ? data : NULL, size, &obj, &r) != HANSA_OK) {     \
            HANSA_ASSERT(r.err != HANSA_OK);                                             \
            HANSA_ASSERT(r.err_off <= size);                                             \
            fuzz_check_zero(&obj, sizeof obj);                                           \
            return 0;                                                                    \
        }                                                                                \
        hbuf b = HBUF_INIT;                                                              \
        wire_##NAME##_encode(&b, &obj);                                                  \
        HANSA_ASSERT(b.len == size);                                                     \
        HANSA_ASSERT(memcmp(b.data, data, size) == 0);                                   \
        hbuf_free(&b);                                                                   \
        FREE;                                                                            \
        return 0;                                                                        \
    }

#endif
