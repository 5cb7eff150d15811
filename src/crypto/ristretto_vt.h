/* ristretto_vt.h — variable-time ristretto255 arithmetic for PUBLIC values.
 *
 * Why this exists: libsodium 1.0.18 exposes ristretto255 only through byte
 * encodings, so every addition decodes two points (an inverse square root
 * each) and encodes the sum (another), about 12 us, and offers no
 * multi-scalar multiplication. A FROST signer's round two needs the group
 * commitment sum_i (D_i + rho_i*E_i) over all t signers; through that API it
 * costs about 1.5 ms at t = 22, over the 1 ms goal. Here points are decoded
 * once into extended coordinates and combined with one interleaved wNAF
 * multi-scalar multiplication (Straus), about three times faster.
 *
 * Everything here runs in variable time and must only ever see public data:
 * commitments, binding factors, challenges, verification shares, signatures.
 * Secret scalars (shares, nonces, coefficients) go through libsodium's
 * constant-time functions in frost.c. tests/crypto/test_ristretto_vt.c
 * checks every operation against libsodium on random inputs, and
 * fuzz/fuzz_ristretto.c checks the decoder against libsodium's on arbitrary
 * bytes.
 *
 * Field elements are 5 limbs of 51 bits (the "donna" representation);
 * formulas follow RFC 9496 (decode 4.3.1, encode 4.3.2, SQRT_RATIO_M1 4.2)
 * and the extended twisted Edwards formulas of Hisil-Wong-Carter-Dawson
 * (add-2008-hwcd-3, dbl-2008-hwcd) for a = -1. */
#ifndef HANSA_CRYPTO_RISTRETTO_VT_H
#define HANSA_CRYPTO_RISTRETTO_VT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t v[5];
} rvt_fe;

/* A point of edwards25519 in extended coordinates (X:Y:Z:T), x = X/Z,
 * y = Y/Z, x*y = T/Z, standing for its ristretto255 class. */
typedef struct {
    rvt_fe X, Y, Z, T;
} rvt_point;

/* RFC 9496 section 4.3.1 Decode. Returns false (p untouched) for a string
 * that is not the canonical encoding of an element. The identity (all
 * zeros) decodes; FROST's rule against it is frost.c's. */
bool rvt_decode(rvt_point *p, const uint8_t s[32]);
/* RFC 9496 section 4.3.2 Encode: the canonical 32 bytes of p's class. */
void rvt_encode(uint8_t s[32], const rvt_point *p);
void rvt_identity(rvt_point *p);
/* The ristretto255 generator (RFC 9496 section 4.4). */
void rvt_base(rvt_point *p);
/* True iff p is the identity element of ristretto255 (its encoding is 0). */
bool rvt_is_identity(const rvt_point *p);
/* r = p + q; r may alias p or q. */
void rvt_add(rvt_point *r, const rvt_point *p, const rvt_point *q);
/* r = p - q; r may alias p or q. */
void rvt_sub(rvt_point *r, const rvt_point *p, const rvt_point *q);

/* r = k*p for a small public k (an identifier), by double-and-add. */
void rvt_mul_small(rvt_point *r, const rvt_point *p, uint32_t k);

/* out = sum_i scalars[i]*points[i], in variable time. Each scalar is 32
 * little-endian bytes below 2^253 (any canonical scalar mod L). n may be 0
 * (out = identity); n <= RVT_MSM_MAX. */
#define RVT_MSM_MAX 256
void rvt_msm(rvt_point *out, const uint8_t (*scalars)[32], const rvt_point *points, size_t n);

#endif
