/* bytes.h — fixed-size byte values that every layer passes around.
 *
 * Wrapping them in structs lets the compiler catch a public key passed where a
 * hash belongs, and lets them be assigned and returned by value. */
#ifndef HANSA_BASE_BYTES_H
#define HANSA_BASE_BYTES_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define HANSA_HASH_BYTES 32
#define HANSA_PUBKEY_BYTES 32
#define HANSA_SIG_BYTES 64
#define HANSA_ADDR_BYTES 20

typedef struct { uint8_t b[HANSA_HASH_BYTES]; } hansa_hash;     /* SHA-256 output */
typedef struct { uint8_t b[HANSA_PUBKEY_BYTES]; } hansa_pubkey; /* Ed25519 public key */
typedef struct { uint8_t b[HANSA_SIG_BYTES]; } hansa_sig;       /* Ed25519 signature */
typedef struct { uint8_t b[HANSA_ADDR_BYTES]; } hansa_addr;     /* account address */

_Static_assert(sizeof(hansa_hash) == HANSA_HASH_BYTES, "hash has no padding");
_Static_assert(sizeof(hansa_pubkey) == HANSA_PUBKEY_BYTES, "pubkey has no padding");
_Static_assert(sizeof(hansa_sig) == HANSA_SIG_BYTES, "sig has no padding");
_Static_assert(sizeof(hansa_addr) == HANSA_ADDR_BYTES, "addr has no padding");

static inline bool hash_eq(const hansa_hash *a, const hansa_hash *b) {
    return memcmp(a->b, b->b, HANSA_HASH_BYTES) == 0;
}
static inline int hash_cmp(const hansa_hash *a, const hansa_hash *b) {
    return memcmp(a->b, b->b, HANSA_HASH_BYTES);
}
static inline bool hash_is_zero(const hansa_hash *a) {
    static const hansa_hash zero;
    return hash_eq(a, &zero);
}
static inline bool pubkey_eq(const hansa_pubkey *a, const hansa_pubkey *b) {
    return memcmp(a->b, b->b, HANSA_PUBKEY_BYTES) == 0;
}
static inline int pubkey_cmp(const hansa_pubkey *a, const hansa_pubkey *b) {
    return memcmp(a->b, b->b, HANSA_PUBKEY_BYTES);
}
static inline bool addr_eq(const hansa_addr *a, const hansa_addr *b) {
    return memcmp(a->b, b->b, HANSA_ADDR_BYTES) == 0;
}
static inline int addr_cmp(const hansa_addr *a, const hansa_addr *b) {
    return memcmp(a->b, b->b, HANSA_ADDR_BYTES);
}

/* Checked arithmetic on amounts: returns false on overflow/underflow and
 * leaves *out untouched. Amounts never wrap (DESIGN.md section 4). */
static inline bool u64_add(uint64_t a, uint64_t b, uint64_t *out) {
    if (a > UINT64_MAX - b) return false;
    *out = a + b;
    return true;
}
static inline bool u64_sub(uint64_t a, uint64_t b, uint64_t *out) {
    if (b > a) return false;
    *out = a - b;
    return true;
}
static inline bool u64_mul(uint64_t a, uint64_t b, uint64_t *out) {
    if (a != 0 && b > UINT64_MAX / a) return false;
    *out = a * b;
    return true;
}

#endif
