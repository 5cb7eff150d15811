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

/* One decoder of a table-driven harness (fuzz_credit.c and its kind): the
 * decoder, the encoder that must give its bytes back, and the size of the
 * object it fills (what must be all zeros after a refusal). The casts to
 * void * live in each harness's one-line wrappers. */
typedef struct {
    hansa_err (*dec)(const uint8_t *p, size_t n, void *obj, wire_rd *r);
    void (*enc)(hbuf *b, const void *obj);
    size_t size;
} fuzz_codec;

/* Defines fuzz_enc_NAME and fuzz_dec_NAME: NAME_encode and NAME_decode cast
 * to fuzz_codec's shape (one line per codec in a table harness). */
#define FUZZ_CODEC_WRAP(NAME)                                                                  \
    static void fuzz_enc_##NAME(hbuf *b, const void *o) { NAME##_encode(b, o); }              \
    static hansa_err fuzz_dec_##NAME(const uint8_t *p, size_t n, void *o, wire_rd *r) {       \
        return NAME##_decode(p, n, o, r);                                                      \
    }

/* The table entry of a codec wrapped by FUZZ_CODEC_WRAP(NAME) that fills a T. */
#define FUZZ_CODEC(NAME, T) {fuzz_dec_##NAME, fuzz_enc_##NAME, sizeof(T)}

/* The canonical-encoding oracle for one table entry: obj is scratch of
 * obj_bytes (at least c->size), filled with a non-zero pattern first so a
 * refusal that leaves bytes behind is seen. */
static inline void fuzz_codec_roundtrip(const fuzz_codec *c, const uint8_t *p, size_t n, void *obj,
                                        size_t obj_bytes) {
    HANSA_ASSERT(c->size <= obj_bytes);
    wire_rd r;
    memset(obj, 0xa5, obj_bytes);
    if (c->dec(p, n, obj, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= n);
        fuzz_check_zero(obj, c->size);
        return;
    }
    hbuf b = HBUF_INIT;
    c->enc(&b, obj);
    HANSA_ASSERT(b.len == n);
    HANSA_ASSERT(memcmp(b.data, p, n) == 0);
    hbuf_free(&b);
}

/* A ledger stored-record check (key, value; no encoder to compare with). */
typedef hansa_err (*fuzz_record_check_fn)(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                                          wire_rd *r);

/* Splits p..n as klen | key | value (klen clipped to what is there) and runs
 * check, which must only never crash or leak; keys shorter than klen_min
 * are not tried (a check that asserts a key is present). */
static inline void fuzz_record_check(const uint8_t *p, size_t n, size_t klen_min, fuzz_record_check_fn check) {
    if (n == 0) return;
    size_t klen = p[0] < n - 1 ? p[0] : n - 1;
    if (klen < klen_min) return;
    wire_rd r;
    check(p + 1, klen, n - 1 - klen ? p + 1 + klen : NULL, n - 1 - klen, &r);
}

#endif
