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

void hbuf_reserve(hbuf *b, size_t extra);
void hbuf_append(hbuf *b, const void *p, size_t n);
void hbuf_put_u8(hbuf *b, uint8_t v);
void hbuf_put_u16(hbuf *b, uint16_t v); /* little-endian */
void hbuf_put_u32(hbuf *b, uint32_t v); /* little-endian */
void hbuf_put_u64(hbuf *b, uint64_t v); /* little-endian */
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

#endif
