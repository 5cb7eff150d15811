/* buf.c — see buf.h. Growth doubles so n appends cost O(n). */
#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

void hbuf_grow(hbuf *b, size_t extra) {
    HANSA_ASSERT(b->len <= b->cap);
    HANSA_ASSERT(extra <= SIZE_MAX - b->len);
    size_t need = b->len + extra;
    if (need <= b->cap) return;
    /* 256 holds a vote's or a transaction's encoding at once. Growth is
     * malloc, copy, free rather than realloc: glibc's realloc skips its
     * per-thread cache and searches the bins, which in a long simulator run
     * (a heap of hundreds of MB) cost a cache miss per call. */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *data = hansa_malloc(cap);
    if (b->len) memcpy(data, b->data, b->len);
    if (!b->lent) free(b->data);
    b->data = data;
    b->cap = cap;
    b->lent = false;
}

uint8_t *hbuf_extend(hbuf *b, size_t n) {
    hbuf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

void hbuf_reset(hbuf *b) { b->len = 0; }

void hbuf_free(hbuf *b) {
    if (!b->lent) free(b->data);
    *b = (hbuf)HBUF_INIT;
}

uint8_t *hbuf_take(hbuf *b, size_t *len) {
    uint8_t *p = b->data;
    *len = b->len;
    if (b->lent) p = b->len ? hansa_memdup(b->data, b->len) : NULL;
    *b = (hbuf)HBUF_INIT;
    return p;
}
