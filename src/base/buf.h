/* buf.h — a growable byte buffer for building encodings and messages.
 *
 * Appends never fail (allocation failure aborts, see mem.h). The buffer owns
 * its bytes; hbuf_free releases them. hbuf_take hands them to the caller.
 * A buffer made by hbuf_on starts in storage the caller lends (a stack
 * array), so encoding a vote or a header to hash or verify it costs no
 * allocation; it moves to the heap only if it outgrows that storage. */
#ifndef HANSA_BASE_BUF_H
#define HANSA_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool lent; /* data is the caller's storage (hbuf_on): never freed here */
} hbuf;

#define HBUF_INIT {NULL, 0, 0, false}

/* An empty buffer writing into storage[0..cap), which must outlive it (or
 * its move to the heap). hbuf_free and hbuf_take work as for any buffer;
 * hbuf_take copies the bytes to the heap if they are still in storage. */
static inline hbuf hbuf_on(uint8_t *storage, size_t cap) { return (hbuf){storage, 0, cap, true}; }

/* The slow path of hbuf_reserve: moves the bytes to a bigger allocation. */
void hbuf_grow(hbuf *b, size_t extra);
/* Appends n zero bytes and returns a pointer to them, valid until the next append. */
uint8_t *hbuf_extend(hbuf *b, size_t n);
void hbuf_reset(hbuf *b); /* len = 0, keeps the allocation */
void hbuf_free(hbuf *b);
/* Returns the bytes (caller frees) and leaves b empty. */
uint8_t *hbuf_take(hbuf *b, size_t *len);

/* Little-endian loads and stores on raw memory. */
static inline uint16_t le16_load(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t le32_load(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t le64_load(const uint8_t *p) {
    return (uint64_t)le32_load(p) | ((uint64_t)le32_load(p + 4) << 32);
}
static inline void le16_store(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le32_store(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le64_store(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
/* Big-endian, for keys: byte order then sorts like the number (heights,
 * chain ids and epochs in LMDB and ledger record keys). */
static inline void be32_store(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void be64_store(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint32_t be32_load(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64_load(const uint8_t *p) {
    return (uint64_t)be32_load(p) << 32 | be32_load(p + 4);
}

/* The appends are inline: encoders call them a few million times per
 * simulated thousand heights, and almost every call only copies a few
 * bytes into room the buffer already has. */
static inline void hbuf_reserve(hbuf *b, size_t extra) {
    if (b->len <= b->cap && extra <= b->cap - b->len) return;
    hbuf_grow(b, extra);
}

/* n bytes of room at the end, counted in len; the caller fills them. */
static inline uint8_t *hbuf_room(hbuf *b, size_t n) {
    hbuf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static inline void hbuf_append(hbuf *b, const void *p, size_t n) {
    if (n == 0) return;
    memcpy(hbuf_room(b, n), p, n);
}

/* The integers are stored straight into the room: zeroing it first
 * (hbuf_extend) would write each byte twice. */
static inline void hbuf_put_u8(hbuf *b, uint8_t v) { *hbuf_room(b, 1) = v; }
static inline void hbuf_put_u16(hbuf *b, uint16_t v) { le16_store(hbuf_room(b, 2), v); } /* little-endian */
static inline void hbuf_put_u32(hbuf *b, uint32_t v) { le32_store(hbuf_room(b, 4), v); } /* little-endian */
static inline void hbuf_put_u64(hbuf *b, uint64_t v) { le64_store(hbuf_room(b, 8), v); } /* little-endian */

#endif
