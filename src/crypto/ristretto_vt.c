/* ristretto_vt.c — variable-time ristretto255 arithmetic for public values
 * (see ristretto_vt.h for why it exists and what it must never see).
 *
 * Bounds: every field element leaving a function here has limbs below 2^52
 * (mul, sq, add and sub all end with a carry pass), and mul/sq accept limbs
 * below 2^52: 19 * 2^52 * 2^52 * 5 < 2^111, so the 128-bit accumulators
 * never overflow. */
#include "crypto/ristretto_vt.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

typedef unsigned __int128 u128;

#define MASK51 ((1ULL << 51) - 1)

/* RFC 9496 section 4.1 constants, as 51-bit limbs (computed from the RFC's
 * decimal values; test_ristretto_vt checks the identities they satisfy). */
static const rvt_fe FE_D2 = {{1859910466990425ULL, 932731440258426ULL, 1072319116312658ULL,
                              1815898335770999ULL, 633789495995903ULL}}; /* 2d */
static const rvt_fe FE_D = {{929955233495203ULL, 466365720129213ULL, 1662059464998953ULL,
                             2033849074728123ULL, 1442794654840575ULL}};
static const rvt_fe FE_SQRT_M1 = {{1718705420411056ULL, 234908883556509ULL, 2233514472574048ULL,
                                   2117202627021982ULL, 765476049583133ULL}};
static const rvt_fe FE_INVSQRT_A_MINUS_D = {{278908739862762ULL, 821645201101625ULL,
                                             8113234426968ULL, 1777959178193151ULL,
                                             2118520810568447ULL}};
static const rvt_fe FE_ONE = {{1, 0, 0, 0, 0}};
static const rvt_fe FE_ZERO = {{0, 0, 0, 0, 0}};

/* The edwards25519 base point (y = 4/5, x even), whose class is the
 * ristretto255 generator; X, Y, Z = 1, T = XY. */
static const rvt_point BASE = {
    {{1738742601995546ULL, 1146398526822698ULL, 2070867633025821ULL, 562264141797630ULL,
      587772402128613ULL}},
    {{1801439850948184ULL, 1351079888211148ULL, 450359962737049ULL, 900719925474099ULL,
      1801439850948198ULL}},
    {{1, 0, 0, 0, 0}},
    {{1841354044333475ULL, 16398895984059ULL, 755974180946558ULL, 900171276175154ULL,
      1821297809914039ULL}}};

/* ---- field arithmetic mod p = 2^255 - 19 ----------------------------------- */

static void fe_carry(rvt_fe *h) {
    uint64_t *v = h->v;
    uint64_t c;
    c = v[0] >> 51; v[0] &= MASK51; v[1] += c;
    c = v[1] >> 51; v[1] &= MASK51; v[2] += c;
    c = v[2] >> 51; v[2] &= MASK51; v[3] += c;
    c = v[3] >> 51; v[3] &= MASK51; v[4] += c;
    c = v[4] >> 51; v[4] &= MASK51; v[0] += 19 * c;
}

static void fe_add(rvt_fe *h, const rvt_fe *f, const rvt_fe *g) {
    for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
    fe_carry(h);
}

/* h = f - g, computed as f + 4p - g so no limb goes negative (g < 2^52). */
static void fe_sub(rvt_fe *h, const rvt_fe *f, const rvt_fe *g) {
    h->v[0] = f->v[0] + 0x1FFFFFFFFFFFB4ULL - g->v[0];
    for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + 0x1FFFFFFFFFFFFCULL - g->v[i];
    fe_carry(h);
}

static void fe_neg(rvt_fe *h, const rvt_fe *f) { fe_sub(h, &FE_ZERO, f); }

/* Folds five 128-bit column sums into limbs below 2^52. */
static void fe_reduce_wide(rvt_fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4) {
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    u128 t0 = ((uint64_t)r0 & MASK51) + (u128)(uint64_t)(r4 >> 51) * 19;
    uint64_t h1 = ((uint64_t)r1 & MASK51) + (uint64_t)(t0 >> 51);
    h->v[0] = (uint64_t)t0 & MASK51;
    h->v[1] = h1;
    h->v[2] = (uint64_t)r2 & MASK51;
    h->v[3] = (uint64_t)r3 & MASK51;
    h->v[4] = (uint64_t)r4 & MASK51;
}

static void fe_mul(rvt_fe *h, const rvt_fe *f, const rvt_fe *g) {
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    u128 r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 +
              (u128)f4 * g1_19;
    u128 r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 +
              (u128)f4 * g2_19;
    u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 +
              (u128)f4 * g3_19;
    u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 +
              (u128)f4 * g4_19;
    u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

static void fe_sq(rvt_fe *h, const rvt_fe *f) {
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
    const uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
    const uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 r0 = (u128)f0 * f0 + (u128)f1_38 * f4 + (u128)f2_38 * f3;
    u128 r1 = (u128)f0_2 * f1 + (u128)f2_38 * f4 + (u128)f3_19 * f3;
    u128 r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_38 * f4;
    u128 r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4_19 * f4;
    u128 r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

static void fe_sq_n(rvt_fe *h, const rvt_fe *f, int n) {
    HANSA_ASSERT(n >= 1);
    fe_sq(h, f);
    for (int i = 1; i < n; i++) fe_sq(h, h);
}

static uint64_t load64_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void store64_le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads 255 bits (the top bit of s[31] is ignored; decode checks it). */
static void fe_frombytes(rvt_fe *h, const uint8_t s[32]) {
    uint64_t a0 = load64_le(s), a1 = load64_le(s + 8), a2 = load64_le(s + 16),
             a3 = load64_le(s + 24);
    h->v[0] = a0 & MASK51;
    h->v[1] = ((a0 >> 51) | (a1 << 13)) & MASK51;
    h->v[2] = ((a1 >> 38) | (a2 << 26)) & MASK51;
    h->v[3] = ((a2 >> 25) | (a3 << 39)) & MASK51;
    h->v[4] = (a3 >> 12) & MASK51;
}

/* The unique representative in [0, p), little-endian. */
static void fe_tobytes(uint8_t s[32], const rvt_fe *f) {
    rvt_fe t = *f;
    fe_carry(&t);
    fe_carry(&t);
    /* Now the value v is below 2p; q = 1 iff v >= p, i.e. iff v + 19
     * reaches 2^255. Then v - q*p = v + 19q with bit 255 dropped. */
    uint64_t q = (t.v[0] + 19) >> 51;
    q = (t.v[1] + q) >> 51;
    q = (t.v[2] + q) >> 51;
    q = (t.v[3] + q) >> 51;
    q = (t.v[4] + q) >> 51;
    t.v[0] += 19 * q;
    t.v[1] += t.v[0] >> 51; t.v[0] &= MASK51;
    t.v[2] += t.v[1] >> 51; t.v[1] &= MASK51;
    t.v[3] += t.v[2] >> 51; t.v[2] &= MASK51;
    t.v[4] += t.v[3] >> 51; t.v[3] &= MASK51;
    t.v[4] &= MASK51;
    store64_le(s, t.v[0] | (t.v[1] << 51));
    store64_le(s + 8, (t.v[1] >> 13) | (t.v[2] << 38));
    store64_le(s + 16, (t.v[2] >> 26) | (t.v[3] << 25));
    store64_le(s + 24, (t.v[3] >> 39) | (t.v[4] << 12));
}

/* RFC 9496 section 2.1: negative iff the least significant bit of the
 * canonical encoding is set. */
static bool fe_is_negative(const rvt_fe *f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static bool fe_is_zero(const rvt_fe *f) {
    uint8_t s[32];
    fe_tobytes(s, f);
    uint8_t acc = 0;
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc == 0;
}

static bool fe_eq(const rvt_fe *f, const rvt_fe *g) {
    rvt_fe d;
    fe_sub(&d, f, g);
    return fe_is_zero(&d);
}

static void fe_abs(rvt_fe *h, const rvt_fe *f) {
    if (fe_is_negative(f))
        fe_neg(h, f);
    else
        *h = *f;
}

/* h = f^((p-5)/8) = f^(2^252 - 3), the addition chain of ref10. */
static void fe_pow22523(rvt_fe *h, const rvt_fe *f) {
    rvt_fe t0, t1, t2;
    fe_sq(&t0, f);              /* 2 */
    fe_sq_n(&t1, &t0, 2);       /* 8 */
    fe_mul(&t1, f, &t1);        /* 9 */
    fe_mul(&t0, &t0, &t1);      /* 11 */
    fe_sq(&t0, &t0);            /* 22 */
    fe_mul(&t0, &t1, &t0);      /* 2^5 - 1 */
    fe_sq_n(&t1, &t0, 5);
    fe_mul(&t0, &t1, &t0);      /* 2^10 - 1 */
    fe_sq_n(&t1, &t0, 10);
    fe_mul(&t1, &t1, &t0);      /* 2^20 - 1 */
    fe_sq_n(&t2, &t1, 20);
    fe_mul(&t1, &t2, &t1);      /* 2^40 - 1 */
    fe_sq_n(&t1, &t1, 10);
    fe_mul(&t0, &t1, &t0);      /* 2^50 - 1 */
    fe_sq_n(&t1, &t0, 50);
    fe_mul(&t1, &t1, &t0);      /* 2^100 - 1 */
    fe_sq_n(&t2, &t1, 100);
    fe_mul(&t1, &t2, &t1);      /* 2^200 - 1 */
    fe_sq_n(&t1, &t1, 50);
    fe_mul(&t0, &t1, &t0);      /* 2^250 - 1 */
    fe_sq_n(&t0, &t0, 2);       /* 2^252 - 4 */
    fe_mul(h, &t0, f);          /* 2^252 - 3 */
}

/* RFC 9496 section 4.2 SQRT_RATIO_M1(u, v): (was_square, r) with r the
 * non-negative square root of u/v, or of SQRT_M1*u/v when u/v is not square. */
static bool fe_sqrt_ratio_m1(rvt_fe *r, const rvt_fe *u, const rvt_fe *v) {
    rvt_fe v3, v7, t, check, neg_u, neg_u_i;
    fe_sq(&v3, v);
    fe_mul(&v3, &v3, v);        /* v^3 */
    fe_sq(&v7, &v3);
    fe_mul(&v7, &v7, v);        /* v^7 */
    fe_mul(&t, u, &v7);
    fe_pow22523(&t, &t);        /* (u v^7)^((p-5)/8) */
    fe_mul(r, u, &v3);
    fe_mul(r, r, &t);           /* r = (u v^3)(u v^7)^((p-5)/8) */
    fe_sq(&check, r);
    fe_mul(&check, &check, v);  /* check = v r^2 */
    fe_neg(&neg_u, u);
    fe_mul(&neg_u_i, &neg_u, &FE_SQRT_M1);
    bool correct = fe_eq(&check, u);
    bool flipped = fe_eq(&check, &neg_u);
    bool flipped_i = fe_eq(&check, &neg_u_i);
    if (flipped || flipped_i) fe_mul(r, r, &FE_SQRT_M1);
    fe_abs(r, r);
    return correct || flipped;
}

/* ---- ristretto255 encoding --------------------------------------------------------- */

bool rvt_decode(rvt_point *p, const uint8_t s[32]) {
    /* 1. s must be the canonical encoding of a field element (s < p, so
     *    also bit 255 clear) ... */
    rvt_fe f;
    uint8_t back[32];
    fe_frombytes(&f, s);
    fe_tobytes(back, &f);
    if (memcmp(back, s, 32) != 0) return false;
    /* 2. ... and non-negative. */
    if (s[0] & 1) return false;
    /* 3.-8. */
    rvt_fe ss, u1, u2, u2_sqr, v, t, invsqrt, den_x, den_y, x, y;
    fe_sq(&ss, &f);
    fe_sub(&u1, &FE_ONE, &ss);
    fe_add(&u2, &FE_ONE, &ss);
    fe_sq(&u2_sqr, &u2);
    fe_sq(&t, &u1);
    fe_mul(&t, &FE_D, &t);
    fe_neg(&t, &t);
    fe_sub(&v, &t, &u2_sqr);                 /* v = -(D u1^2) - u2^2 */
    fe_mul(&t, &v, &u2_sqr);
    bool was_square = fe_sqrt_ratio_m1(&invsqrt, &FE_ONE, &t);
    fe_mul(&den_x, &invsqrt, &u2);
    fe_mul(&den_y, &invsqrt, &den_x);
    fe_mul(&den_y, &den_y, &v);
    fe_add(&x, &f, &f);
    fe_mul(&x, &x, &den_x);
    fe_abs(&x, &x);                          /* x = |2 s den_x| */
    fe_mul(&y, &u1, &den_y);
    fe_mul(&t, &x, &y);
    if (!was_square || fe_is_negative(&t) || fe_is_zero(&y)) return false;
    p->X = x;
    p->Y = y;
    p->Z = FE_ONE;
    p->T = t;
    return true;
}

void rvt_encode(uint8_t s[32], const rvt_point *p) {
    rvt_fe u1, u2, t, invsqrt, den1, den2, z_inv, ix0, iy0, ench, x, y, den_inv;
    fe_add(&u1, &p->Z, &p->Y);
    fe_sub(&t, &p->Z, &p->Y);
    fe_mul(&u1, &u1, &t);                    /* u1 = (Z + Y)(Z - Y) */
    fe_mul(&u2, &p->X, &p->Y);
    fe_sq(&t, &u2);
    fe_mul(&t, &u1, &t);
    (void)fe_sqrt_ratio_m1(&invsqrt, &FE_ONE, &t); /* always square (RFC 9496) */
    fe_mul(&den1, &invsqrt, &u1);
    fe_mul(&den2, &invsqrt, &u2);
    fe_mul(&z_inv, &den1, &den2);
    fe_mul(&z_inv, &z_inv, &p->T);
    fe_mul(&ix0, &p->X, &FE_SQRT_M1);
    fe_mul(&iy0, &p->Y, &FE_SQRT_M1);
    fe_mul(&ench, &den1, &FE_INVSQRT_A_MINUS_D);
    fe_mul(&t, &p->T, &z_inv);
    bool rotate = fe_is_negative(&t);
    x = rotate ? iy0 : p->X;
    y = rotate ? ix0 : p->Y;
    den_inv = rotate ? ench : den2;
    fe_mul(&t, &x, &z_inv);
    if (fe_is_negative(&t)) fe_neg(&y, &y);
    fe_sub(&t, &p->Z, &y);
    fe_mul(&t, &den_inv, &t);
    fe_abs(&t, &t);
    fe_tobytes(s, &t);
}

void rvt_identity(rvt_point *p) {
    p->X = FE_ZERO;
    p->Y = FE_ONE;
    p->Z = FE_ONE;
    p->T = FE_ZERO;
}

void rvt_base(rvt_point *p) { *p = BASE; }

/* RFC 9496 section 4.3.3 Equals against the identity (0, 1): X*1 == Y*0 or
 * Y*1 == X*0, i.e. X == 0 or Y == 0 (the four 4-torsion points). */
bool rvt_is_identity(const rvt_point *p) { return fe_is_zero(&p->X) || fe_is_zero(&p->Y); }

/* ---- group law (extended coordinates, a = -1) --------------------------------------- */

/* A point prepared for repeated addition: (Y+X, Y-X, 2Z, 2dT). */
typedef struct {
    rvt_fe YpX, YmX, Z2, T2d;
} rvt_cached;

static void to_cached(rvt_cached *c, const rvt_point *p) {
    fe_add(&c->YpX, &p->Y, &p->X);
    fe_sub(&c->YmX, &p->Y, &p->X);
    fe_add(&c->Z2, &p->Z, &p->Z);
    fe_mul(&c->T2d, &p->T, &FE_D2);
}

/* r = p + q (neg: r = p - q); add-2008-hwcd-3. */
static void add_cached(rvt_point *r, const rvt_point *p, const rvt_cached *q, bool neg) {
    rvt_fe a, b, c, d, e, f, g, h;
    fe_sub(&a, &p->Y, &p->X);
    fe_add(&b, &p->Y, &p->X);
    fe_mul(&a, &a, neg ? &q->YpX : &q->YmX);
    fe_mul(&b, &b, neg ? &q->YmX : &q->YpX);
    fe_mul(&c, &p->T, &q->T2d);
    fe_mul(&d, &p->Z, &q->Z2);
    fe_sub(&e, &b, &a);
    if (neg) {
        fe_add(&f, &d, &c);
        fe_sub(&g, &d, &c);
    } else {
        fe_sub(&f, &d, &c);
        fe_add(&g, &d, &c);
    }
    fe_add(&h, &b, &a);
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

/* r = 2p; dbl-2008-hwcd with a = -1. */
static void dbl(rvt_point *r, const rvt_point *p) {
    rvt_fe a, b, c, e, f, g, h;
    fe_sq(&a, &p->X);
    fe_sq(&b, &p->Y);
    fe_sq(&c, &p->Z);
    fe_add(&c, &c, &c);
    fe_add(&e, &p->X, &p->Y);
    fe_sq(&e, &e);
    fe_sub(&e, &e, &a);
    fe_sub(&e, &e, &b);          /* E = (X+Y)^2 - A - B = 2XY */
    fe_sub(&g, &b, &a);          /* G = aA + B = B - A */
    fe_sub(&f, &g, &c);          /* F = G - C */
    fe_add(&h, &a, &b);
    fe_neg(&h, &h);              /* H = aA - B = -A - B */
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

void rvt_add(rvt_point *r, const rvt_point *p, const rvt_point *q) {
    rvt_cached c;
    to_cached(&c, q);
    add_cached(r, p, &c, false);
}

void rvt_sub(rvt_point *r, const rvt_point *p, const rvt_point *q) {
    rvt_cached c;
    to_cached(&c, q);
    add_cached(r, p, &c, true);
}

void rvt_mul_small(rvt_point *r, const rvt_point *p, uint32_t k) {
    rvt_point acc, base = *p;
    rvt_identity(&acc);
    int top = 31;
    while (top >= 0 && !((k >> top) & 1)) top--;
    rvt_cached c;
    to_cached(&c, &base);
    for (int i = top; i >= 0; i--) {
        dbl(&acc, &acc);
        if ((k >> i) & 1) add_cached(&acc, &acc, &c, false);
    }
    *r = acc;
}

/* ---- multi-scalar multiplication (Straus, width-5 wNAF) ----------------------------- */

#define WNAF_DIGITS 256
#define WNAF_TABLE 8 /* odd multiples 1P, 3P, ..., 15P */

/* Width-5 non-adjacent form of a 32-byte little-endian scalar below 2^253:
 * digits in {0, +-1, +-3, ..., +-15}, any two non-zero digits at least five
 * apart. Returns one past the highest non-zero digit (0 for the zero scalar). */
static int wnaf5(int8_t naf[WNAF_DIGITS], const uint8_t s[32]) {
    uint64_t k[5] = {load64_le(s), load64_le(s + 8), load64_le(s + 16), load64_le(s + 24), 0};
    HANSA_ASSERT((s[31] >> 5) == 0); /* below 2^253: the digits fit in 256 */
    memset(naf, 0, WNAF_DIGITS);
    int top = 0;
    for (int pos = 0; pos < WNAF_DIGITS; pos++) {
        if ((k[0] | k[1] | k[2] | k[3] | k[4]) == 0) break;
        if (k[0] & 1) {
            int d = (int)(k[0] & 31);
            if (d > 15) d -= 32;
            naf[pos] = (int8_t)d;
            top = pos + 1;
            /* k -= d, with borrow or carry across the limbs. */
            if (d > 0) {
                uint64_t b = (uint64_t)d;
                for (int i = 0; i < 5 && b; i++) {
                    uint64_t old = k[i];
                    k[i] -= b;
                    b = k[i] > old;
                }
            } else {
                uint64_t c = (uint64_t)(-d);
                for (int i = 0; i < 5 && c; i++) {
                    k[i] += c;
                    c = k[i] < c;
                }
            }
        }
        for (int i = 0; i < 4; i++) k[i] = (k[i] >> 1) | (k[i + 1] << 63);
        k[4] >>= 1;
    }
    return top;
}

void rvt_msm(rvt_point *out, const uint8_t (*scalars)[32], const rvt_point *points, size_t n) {
    HANSA_ASSERT(n <= RVT_MSM_MAX);
    rvt_identity(out);
    if (n == 0) return;
    int8_t(*naf)[WNAF_DIGITS] = hansa_malloc(n * sizeof *naf);
    rvt_cached(*table)[WNAF_TABLE] = hansa_malloc(n * sizeof *table);
    int top = 0;
    for (size_t i = 0; i < n; i++) {
        int ti = wnaf5(naf[i], scalars[i]);
        if (ti > top) top = ti;
        rvt_point p2, acc = points[i];
        dbl(&p2, &points[i]);
        rvt_cached c2;
        to_cached(&c2, &p2);
        to_cached(&table[i][0], &acc);
        for (int k = 1; k < WNAF_TABLE; k++) {
            add_cached(&acc, &acc, &c2, false);
            to_cached(&table[i][k], &acc);
        }
    }
    rvt_point q;
    rvt_identity(&q);
    for (int pos = top - 1; pos >= 0; pos--) {
        dbl(&q, &q);
        for (size_t i = 0; i < n; i++) {
            int d = naf[i][pos];
            if (d > 0)
                add_cached(&q, &q, &table[i][d / 2], false);
            else if (d < 0)
                add_cached(&q, &q, &table[i][-d / 2], true);
        }
    }
    *out = q;
    free(naf);
    free(table);
}
