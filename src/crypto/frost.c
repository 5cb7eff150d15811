/* frost.c — FROST(ristretto255, SHA-512), RFC 9591 (see frost.h).
 *
 * Two kinds of arithmetic meet here, never mixed on one value:
 *   - secret values (shares, nonces, polynomial coefficients, and whatever is
 *     computed from them before it is published) go through libsodium's
 *     constant-time scalar and base-point functions and are wiped after use;
 *   - public values (commitments, binding factors, challenges, verification
 *     shares, signature shares once sent, signatures) go through the
 *     variable-time multi-scalar multiplication of ristretto_vt.c.
 * Where a check compares a secret-derived point with a public one (VSS:
 * share*G against the commitments), the secret side is computed with
 * libsodium and only the resulting public point is compared. */
#include "crypto/frost.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/ristretto_vt.h"

_Static_assert(crypto_core_ristretto255_SCALARBYTES == FROST_SCALAR_BYTES, "scalar size");
_Static_assert(crypto_core_ristretto255_BYTES == FROST_POINT_BYTES, "element size");
_Static_assert(crypto_core_ristretto255_NONREDUCEDSCALARBYTES == 64, "wide scalar size");
_Static_assert(FROST_PARTICIPANTS_MAX + 2 <= RVT_MSM_MAX, "an MSM over every participant fits");

/* The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t ORDER_L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                    0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                    0,    0,    0,    0,    0,    0,    0,    0,
                                    0,    0,    0,    0,    0,    0,    0,    0x10};

/* ---- hashes (RFC 9591 section 6.2) ---------------------------------------------------- */

/* SHA-512(contextString || tag || parts...), the shape of H1..H5 and HDKG. */
typedef struct {
    crypto_hash_sha512_state st;
} frost_hash;

static void fh_init(frost_hash *h, const char *tag) {
    crypto_hash_sha512_init(&h->st);
    crypto_hash_sha512_update(&h->st, (const uint8_t *)FROST_CONTEXT_STRING,
                              sizeof FROST_CONTEXT_STRING - 1);
    crypto_hash_sha512_update(&h->st, (const uint8_t *)tag, strlen(tag));
}

static void fh_put(frost_hash *h, const void *p, size_t n) {
    HANSA_ASSERT(p != NULL || n == 0);
    if (n) crypto_hash_sha512_update(&h->st, p, n);
}

static void fh_final(frost_hash *h, uint8_t out[64]) { crypto_hash_sha512_final(&h->st, out); }

/* H1, H2, H3, HDKG: the 64-byte digest read as a little-endian integer mod L. */
static void fh_final_scalar(frost_hash *h, frost_scalar *out) {
    uint8_t wide[64];
    fh_final(h, wide);
    crypto_core_ristretto255_scalar_reduce(out->b, wide);
    sodium_memzero(wide, sizeof wide);
}

/* ---- encodings ------------------------------------------------------------------------- */

static bool scalar_is_canonical(const uint8_t s[32]) {
    for (int i = 31; i >= 0; i--) {
        if (s[i] < ORDER_L[i]) return true;
        if (s[i] > ORDER_L[i]) return false;
    }
    return false; /* equal to L */
}

hansa_err frost_scalar_decode(const uint8_t in[FROST_SCALAR_BYTES], frost_scalar *out) {
    if (!scalar_is_canonical(in)) {
        memset(out, 0, sizeof *out);
        return HANSA_ERR_NONCANONICAL;
    }
    memcpy(out->b, in, FROST_SCALAR_BYTES);
    return HANSA_OK;
}

static bool bytes_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

hansa_err frost_point_decode(const uint8_t in[FROST_POINT_BYTES], frost_point *out) {
    memset(out, 0, sizeof *out);
    /* The identity's one canonical encoding is 32 zero bytes (RFC 9496). */
    if (bytes_zero(in, FROST_POINT_BYTES)) return HANSA_ERR_INVALID;
    /* libsodium 1.0.18 ignores bit 255 when it checks that the field element
     * is below p, so it accepts s and s + 2^255 as the same element. RFC
     * 9496 section 4.3.1 rejects every s >= p: refuse the bit here, or one
     * commitment would have two encodings (and two binding factors). */
    if (in[FROST_POINT_BYTES - 1] & 0x80) return HANSA_ERR_NONCANONICAL;
    if (!crypto_core_ristretto255_is_valid_point(in)) return HANSA_ERR_NONCANONICAL;
    memcpy(out->b, in, FROST_POINT_BYTES);
    return HANSA_OK;
}

hansa_err frost_sig_decode(const uint8_t in[FROST_SIG_BYTES], frost_sig *out) {
    hansa_err e = frost_point_decode(in, &out->R);
    if (e == HANSA_OK) e = frost_scalar_decode(in + FROST_POINT_BYTES, &out->z);
    if (e != HANSA_OK) memset(out, 0, sizeof *out);
    return e;
}

void frost_id_scalar(uint16_t id, frost_scalar *out) {
    memset(out, 0, sizeof *out);
    out->b[0] = (uint8_t)id;
    out->b[1] = (uint8_t)(id >> 8);
}

bool frost_scalar_is_zero(const frost_scalar *s) { return sodium_is_zero(s->b, FROST_SCALAR_BYTES); }

bool frost_point_eq(const frost_point *a, const frost_point *b) {
    return memcmp(a->b, b->b, FROST_POINT_BYTES) == 0;
}

/* Decodes a public element for arithmetic, refusing the identity (RFC 9591
 * section 3.1: DeserializeElement fails for it). */
static bool pub_decode(rvt_point *p, const frost_point *in) {
    if (bytes_zero(in->b, FROST_POINT_BYTES)) return false;
    return rvt_decode(p, in->b);
}

/* Encodes a public result, refusing the identity (SerializeElement fails for it). */
static bool pub_encode(frost_point *out, const rvt_point *p) {
    rvt_encode(out->b, p);
    return !bytes_zero(out->b, FROST_POINT_BYTES);
}

/* ---- scalars -------------------------------------------------------------------------- */

void frost_scalar_add(const frost_scalar *a, const frost_scalar *b, frost_scalar *out) {
    crypto_core_ristretto255_scalar_add(out->b, a->b, b->b);
}

void frost_scalar_mul(const frost_scalar *a, const frost_scalar *b, frost_scalar *out) {
    crypto_core_ristretto255_scalar_mul(out->b, a->b, b->b);
}

static void scalar_neg(const frost_scalar *a, frost_scalar *out) {
    crypto_core_ristretto255_scalar_negate(out->b, a->b);
}

void frost_scalar_wipe(frost_scalar *s) { sodium_memzero(s, sizeof *s); }

void frost_wipe(void *p, size_t n) { sodium_memzero(p, n); }

void frost_scalar_random(const hansa_rng *rng, frost_scalar *out) {
    uint8_t wide[64];
    do {
        rng_fill(rng, wide, sizeof wide);
        crypto_core_ristretto255_scalar_reduce(out->b, wide);
    } while (frost_scalar_is_zero(out));
    sodium_memzero(wide, sizeof wide);
}

bool frost_base_mul(const frost_scalar *s, frost_point *out) {
    /* libsodium fails (and leaves zeros) exactly when the result is the identity. */
    if (crypto_scalarmult_ristretto255_base(out->b, s->b) != 0) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

/* ---- round one ---------------------------------------------------------------------------- */

void frost_nonce_generate(const hansa_rng *rng, const frost_scalar *secret, frost_scalar *out) {
    /* RFC 9591 section 4.1: "random_bytes = random_bytes(32); secret_enc =
     * G.SerializeScalar(secret); return H3(random_bytes || secret_enc)".
     * Mixing in the secret keeps the nonce unpredictable even if the RNG is
     * weak, as long as the share is secret. */
    uint8_t random[32];
    rng_fill(rng, random, sizeof random);
    frost_hash h;
    fh_init(&h, "nonce");
    fh_put(&h, random, sizeof random);
    fh_put(&h, secret->b, FROST_SCALAR_BYTES);
    fh_final_scalar(&h, out);
    sodium_memzero(random, sizeof random);
    sodium_memzero(&h, sizeof h);
}

void frost_commit(const hansa_rng *rng, uint16_t id, const frost_scalar *share,
                  frost_nonces *nonces, frost_commitment *out) {
    HANSA_ASSERT(id >= 1);
    out->id = id;
    /* A zero nonce (probability 2^-252) would give an identity commitment
     * that no peer accepts; draw again. */
    do frost_nonce_generate(rng, share, &nonces->hiding);
    while (!frost_base_mul(&nonces->hiding, &out->hiding));
    do frost_nonce_generate(rng, share, &nonces->binding);
    while (!frost_base_mul(&nonces->binding, &out->binding));
}

/* ---- binding factors, group commitment, challenge -------------------------------------- */

static hansa_err check_list(const frost_commitment *list, size_t n, uint16_t max_id) {
    if (n == 0) return HANSA_ERR_INVALID;
    if (n > FROST_PARTICIPANTS_MAX) return HANSA_ERR_TOO_LONG;
    for (size_t i = 0; i < n; i++) {
        if (list[i].id == 0 || list[i].id > max_id) return HANSA_ERR_INVALID;
        /* RFC 9591 section 4.3: the list "MUST be sorted in ascending order
         * by identifier"; strictly, since an identifier twice would make
         * derive_interpolating_value fail. */
        if (i > 0 && list[i].id <= list[i - 1].id) return HANSA_ERR_NONCANONICAL;
    }
    return HANSA_OK;
}

static hansa_err point_error(const frost_point *p) {
    return bytes_zero(p->b, FROST_POINT_BYTES) ? HANSA_ERR_INVALID : HANSA_ERR_NONCANONICAL;
}

/* RFC 9591 section 4.5 compute_group_commitment: sum_i D_i + rho_i*E_i.
 * The D_i are added directly; the rho_i*E_i go through one MSM. */
static hansa_err group_commitment(frost_derived *d) {
    rvt_point *E = hansa_calloc(d->n, sizeof *E);
    rvt_point sum, Di;
    rvt_identity(&sum);
    hansa_err err = HANSA_OK;
    for (size_t i = 0; i < d->n && err == HANSA_OK; i++) {
        if (!pub_decode(&Di, &d->list[i].hiding))
            err = point_error(&d->list[i].hiding);
        else if (!pub_decode(&E[i], &d->list[i].binding))
            err = point_error(&d->list[i].binding);
        else
            rvt_add(&sum, &sum, &Di);
    }
    if (err == HANSA_OK) {
        rvt_point bound;
        rvt_msm(&bound, (const uint8_t(*)[32])d->rho, E, d->n);
        rvt_add(&sum, &sum, &bound);
        if (!pub_encode(&d->R, &sum)) err = HANSA_ERR_INVALID;
    }
    free(E);
    return err;
}

hansa_err frost_derive(const frost_point *group_key, const frost_commitment *list, size_t n,
                       uint16_t max_id, const uint8_t *msg, size_t msg_len, frost_derived *out) {
    HANSA_ASSERT(msg != NULL || msg_len == 0);
    memset(out, 0, sizeof *out);
    hansa_err err = check_list(list, n, max_id);
    if (err != HANSA_OK) return err;
    rvt_point pk;
    if (!pub_decode(&pk, group_key)) return point_error(group_key);
    out->n = n;
    memcpy(out->list, list, n * sizeof *list);
    out->key = *group_key;

    /* RFC 9591 section 4.4 compute_binding_factors: rho_i =
     * H1(group_public_key_enc || H4(msg) || H5(encode_group_commitment_list)
     *    || SerializeScalar(i)). */
    uint8_t msg_hash[64], com_hash[64];
    frost_hash h;
    fh_init(&h, "msg");
    fh_put(&h, msg, msg_len);
    fh_final(&h, msg_hash);
    fh_init(&h, "com");
    for (size_t i = 0; i < n; i++) {
        frost_scalar id;
        frost_id_scalar(list[i].id, &id);
        fh_put(&h, id.b, sizeof id.b);
        fh_put(&h, list[i].hiding.b, FROST_POINT_BYTES);
        fh_put(&h, list[i].binding.b, FROST_POINT_BYTES);
    }
    fh_final(&h, com_hash);
    frost_hash prefix;
    fh_init(&prefix, "rho");
    fh_put(&prefix, group_key->b, FROST_POINT_BYTES);
    fh_put(&prefix, msg_hash, sizeof msg_hash);
    fh_put(&prefix, com_hash, sizeof com_hash);
    for (size_t i = 0; i < n; i++) {
        frost_scalar id;
        frost_id_scalar(list[i].id, &id);
        h = prefix;
        fh_put(&h, id.b, sizeof id.b);
        fh_final_scalar(&h, &out->rho[i]);
    }

    err = group_commitment(out);
    if (err != HANSA_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    /* RFC 9591 section 4.6 compute_challenge: H2(R || PK || msg). */
    fh_init(&h, "chal");
    fh_put(&h, out->R.b, FROST_POINT_BYTES);
    fh_put(&h, group_key->b, FROST_POINT_BYTES);
    fh_put(&h, msg, msg_len);
    fh_final_scalar(&h, &out->c);
    return HANSA_OK;
}

static long list_index(const frost_derived *d, uint16_t id) {
    for (size_t i = 0; i < d->n; i++)
        if (d->list[i].id == id) return (long)i;
    return -1;
}

hansa_err frost_lagrange(const frost_derived *d, uint16_t id, frost_scalar *out) {
    /* RFC 9591 section 4.2 derive_interpolating_value(L, x_i): the
     * coefficient of f(x_i) in f(0) = sum_i lambda_i f(x_i):
     * prod_{j != i} x_j / (x_j - x_i). The identifiers of d are distinct
     * (frost_derive checked), so no denominator is zero. */
    if (list_index(d, id) < 0) return HANSA_ERR_NOT_FOUND;
    frost_scalar num, den, xi, xj, diff;
    frost_id_scalar(1, &num);
    frost_id_scalar(1, &den);
    frost_id_scalar(id, &xi);
    for (size_t j = 0; j < d->n; j++) {
        if (d->list[j].id == id) continue;
        frost_id_scalar(d->list[j].id, &xj);
        frost_scalar_mul(&num, &xj, &num);
        crypto_core_ristretto255_scalar_sub(diff.b, xj.b, xi.b);
        frost_scalar_mul(&den, &diff, &den);
    }
    HANSA_ASSERT(crypto_core_ristretto255_scalar_invert(den.b, den.b) == 0);
    frost_scalar_mul(&num, &den, out);
    return HANSA_OK;
}

hansa_err frost_lagrange_at(const uint16_t *ids, size_t n, uint16_t id, uint16_t x, frost_scalar *out) {
    memset(out, 0, sizeof *out);
    bool found = false;
    for (size_t j = 0; j < n; j++) {
        if (ids[j] == 0) return HANSA_ERR_INVALID;
        for (size_t k = j + 1; k < n; k++)
            if (ids[k] == ids[j]) return HANSA_ERR_INVALID;
        found |= ids[j] == id;
    }
    if (!found) return HANSA_ERR_NOT_FOUND;
    frost_scalar num, den, xs, xi, xj, diff;
    frost_id_scalar(1, &num);
    frost_id_scalar(1, &den);
    frost_id_scalar(x, &xs);
    frost_id_scalar(id, &xi);
    for (size_t j = 0; j < n; j++) {
        if (ids[j] == id) continue;
        frost_id_scalar(ids[j], &xj);
        crypto_core_ristretto255_scalar_sub(diff.b, xs.b, xj.b);
        frost_scalar_mul(&num, &diff, &num);
        crypto_core_ristretto255_scalar_sub(diff.b, xi.b, xj.b);
        frost_scalar_mul(&den, &diff, &den);
    }
    HANSA_ASSERT(crypto_core_ristretto255_scalar_invert(den.b, den.b) == 0);
    frost_scalar_mul(&num, &den, out);
    return HANSA_OK;
}

void frost_scalar_sub(const frost_scalar *a, const frost_scalar *b, frost_scalar *out) {
    crypto_core_ristretto255_scalar_sub(out->b, a->b, b->b);
}

/* ---- round two ---------------------------------------------------------------------------- */

hansa_err frost_sign(const frost_derived *d, const frost_commitment *mine, const frost_scalar *share,
                     frost_nonces *nonces, frost_scalar *z_out) {
    memset(z_out, 0, sizeof *z_out);
    hansa_err err = HANSA_OK;
    long i = list_index(d, mine->id);
    /* A wiped pair is all zeros: this pair was offered before. */
    if (frost_scalar_is_zero(&nonces->hiding) || frost_scalar_is_zero(&nonces->binding))
        err = HANSA_ERR_STATE;
    else if (i < 0 || !frost_point_eq(&d->list[i].hiding, &mine->hiding) ||
             !frost_point_eq(&d->list[i].binding, &mine->binding))
        err = HANSA_ERR_PROTOCOL;
    if (err == HANSA_OK) {
        /* RFC 9591 section 5.2: sig_share = hiding_nonce + (binding_nonce *
         * binding_factor) + (lambda_i * sk_i * challenge). */
        frost_scalar lambda, t;
        HANSA_ASSERT(frost_lagrange(d, mine->id, &lambda) == HANSA_OK);
        frost_scalar_mul(&lambda, share, &t);
        frost_scalar_mul(&t, &d->c, &t);
        frost_scalar_add(&t, &nonces->hiding, &t);
        frost_scalar_mul(&nonces->binding, &d->rho[i], z_out);
        frost_scalar_add(z_out, &t, z_out);
        frost_scalar_wipe(&t);
    }
    sodium_memzero(nonces, sizeof *nonces);
    return err;
}

bool frost_share_verify(const frost_derived *d, uint16_t id, const frost_point *Y,
                        const frost_scalar *z) {
    long i = list_index(d, id);
    if (i < 0 || !scalar_is_canonical(z->b)) return false;
    /* RFC 9591 section 5.4: z_i*G == D_i + rho_i*E_i + (c*lambda_i)*PK_i,
     * checked as z_i*G - rho_i*E_i - (c*lambda_i)*PK_i == D_i. */
    rvt_point pts[3], sum, D;
    if (!pub_decode(&D, &d->list[i].hiding)) return false;
    if (!pub_decode(&pts[1], &d->list[i].binding)) return false;
    if (!pub_decode(&pts[2], Y)) return false;
    rvt_base(&pts[0]);
    frost_scalar k[3], lambda;
    HANSA_ASSERT(frost_lagrange(d, id, &lambda) == HANSA_OK);
    k[0] = *z;
    scalar_neg(&d->rho[i], &k[1]);
    frost_scalar_mul(&d->c, &lambda, &k[2]);
    scalar_neg(&k[2], &k[2]);
    rvt_msm(&sum, (const uint8_t(*)[32])k, pts, 3);
    rvt_sub(&sum, &sum, &D);
    return rvt_is_identity(&sum);
}

hansa_err frost_aggregate(const frost_derived *d, const frost_scalar *shares, frost_sig *out) {
    memset(out, 0, sizeof *out);
    frost_scalar z;
    memset(&z, 0, sizeof z);
    for (size_t i = 0; i < d->n; i++) {
        if (!scalar_is_canonical(shares[i].b)) return HANSA_ERR_INVALID;
        frost_scalar_add(&z, &shares[i], &z);
    }
    out->R = d->R;
    out->z = z;
    return HANSA_OK;
}

bool frost_verify(const frost_point *group_key, const uint8_t *msg, size_t msg_len,
                  const frost_sig *sig) {
    HANSA_ASSERT(msg != NULL || msg_len == 0);
    rvt_point pts[2], R, sum;
    if (!scalar_is_canonical(sig->z.b)) return false;
    if (!pub_decode(&R, &sig->R)) return false;
    if (!pub_decode(&pts[1], group_key)) return false;
    frost_hash h;
    frost_scalar k[2];
    fh_init(&h, "chal");
    fh_put(&h, sig->R.b, FROST_POINT_BYTES);
    fh_put(&h, group_key->b, FROST_POINT_BYTES);
    fh_put(&h, msg, msg_len);
    fh_final_scalar(&h, &k[1]);
    scalar_neg(&k[1], &k[1]);
    k[0] = sig->z;
    rvt_base(&pts[0]);
    /* z*G - c*PK == R */
    rvt_msm(&sum, (const uint8_t(*)[32])k, pts, 2);
    rvt_sub(&sum, &sum, &R);
    return rvt_is_identity(&sum);
}

/* ---- polynomials ------------------------------------------------------------------------- */

void frost_poly_eval(const frost_scalar *coeffs, size_t t, uint16_t id, frost_scalar *out) {
    HANSA_ASSERT(t >= 1);
    HANSA_ASSERT(id >= 1);
    frost_scalar x, acc = coeffs[t - 1];
    frost_id_scalar(id, &x);
    for (size_t k = t - 1; k-- > 0;) {
        frost_scalar_mul(&acc, &x, &acc);
        frost_scalar_add(&acc, &coeffs[k], &acc);
    }
    *out = acc;
    frost_scalar_wipe(&acc);
}

bool frost_poly_commit(const frost_scalar *coeffs, size_t t, frost_point *commits) {
    for (size_t k = 0; k < t; k++)
        if (!frost_base_mul(&coeffs[k], &commits[k])) return false;
    return true;
}

/* Horner's rule in the exponent: Y = C_{t-1}; Y = id*Y + C_k for k = t-2..0.
 * The identifier is small, so each step is a few doublings, far cheaper
 * than a multi-scalar multiplication by the powers id^k. */
static void horner_small(const rvt_point *C, size_t t, uint16_t id, rvt_point *out) {
    *out = C[t - 1];
    for (size_t k = t - 1; k-- > 0;) {
        rvt_mul_small(out, out, id);
        rvt_add(out, out, &C[k]);
    }
}

bool frost_poly_public(const frost_point *commits, size_t t, uint16_t id, frost_point *out) {
    HANSA_ASSERT(t >= 1);
    HANSA_ASSERT(t <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(id >= 1);
    memset(out, 0, sizeof *out);
    rvt_point *C = hansa_calloc(t, sizeof *C);
    bool ok = true;
    for (size_t k = 0; k < t && ok; k++) ok = pub_decode(&C[k], &commits[k]);
    if (ok) {
        rvt_point y;
        horner_small(C, t, id, &y);
        ok = pub_encode(out, &y);
    }
    free(C);
    return ok;
}

bool frost_point_sum(const frost_point *points, size_t n, frost_point *out) {
    HANSA_ASSERT(n >= 1);
    rvt_point acc, p;
    rvt_identity(&acc);
    for (size_t i = 0; i < n; i++) {
        if (!pub_decode(&p, &points[i])) {
            memset(out, 0, sizeof *out);
            return false;
        }
        rvt_add(&acc, &acc, &p);
    }
    return pub_encode(out, &acc);
}

bool frost_group_build(const frost_point *commits, size_t dealers, uint16_t t, uint16_t n,
                       frost_point *sum, frost_group *out) {
    HANSA_ASSERT(dealers >= 1);
    HANSA_ASSERT(t >= 1 && t <= n && n <= FROST_PARTICIPANTS_MAX);
    memset(out, 0, sizeof *out);
    rvt_point *A = hansa_calloc(t, sizeof *A);
    bool ok = true;
    for (size_t k = 0; k < t; k++) rvt_identity(&A[k]);
    for (size_t d = 0; d < dealers && ok; d++)
        for (size_t k = 0; k < t && ok; k++) {
            rvt_point c;
            ok = pub_decode(&c, &commits[d * t + k]);
            if (ok) rvt_add(&A[k], &A[k], &c);
        }
    for (size_t k = 0; k < t && ok; k++) ok = pub_encode(&sum[k], &A[k]);
    for (uint16_t j = 1; j <= n && ok; j++) {
        rvt_point y;
        horner_small(A, t, j, &y);
        ok = pub_encode(&out->shares[j - 1], &y);
    }
    free(A);
    if (!ok) {
        memset(out, 0, sizeof *out);
        return false;
    }
    out->n = n;
    out->t = t;
    out->key = sum[0];
    return true;
}

bool frost_vss_verify(const frost_point *commits, size_t t, uint16_t id, const frost_scalar *share) {
    frost_point expect, got;
    if (!scalar_is_canonical(share->b)) return false;
    if (!frost_poly_public(commits, t, id, &expect)) return false;
    if (!frost_base_mul(share, &got)) return false;
    return frost_point_eq(&expect, &got);
}

/* HDKG(id || C0 || R || context). */
static void pok_challenge(uint16_t id, const uint8_t *context, size_t context_len,
                          const frost_point *C0, const frost_point *R, frost_scalar *out) {
    frost_scalar ids;
    frost_id_scalar(id, &ids);
    frost_hash h;
    fh_init(&h, "dkg");
    fh_put(&h, ids.b, sizeof ids.b);
    fh_put(&h, C0->b, FROST_POINT_BYTES);
    fh_put(&h, R->b, FROST_POINT_BYTES);
    fh_put(&h, context, context_len);
    fh_final_scalar(&h, out);
}

void frost_pok_prove(const hansa_rng *rng, uint16_t id, const uint8_t *context, size_t context_len,
                     const frost_scalar *a0, const frost_point *C0, frost_sig *out) {
    frost_scalar k, c;
    do frost_scalar_random(rng, &k);
    while (!frost_base_mul(&k, &out->R));
    pok_challenge(id, context, context_len, C0, &out->R, &c);
    frost_scalar_mul(a0, &c, &out->z);
    frost_scalar_add(&k, &out->z, &out->z); /* mu = k + a0*c */
    frost_scalar_wipe(&k);
}

bool frost_pok_verify(uint16_t id, const uint8_t *context, size_t context_len,
                      const frost_point *C0, const frost_sig *proof) {
    /* FROST paper, KeyGen round 1 step 5: R == mu*G - c*C0. */
    rvt_point pts[2], R, sum;
    if (!scalar_is_canonical(proof->z.b)) return false;
    if (!pub_decode(&R, &proof->R)) return false;
    if (!pub_decode(&pts[1], C0)) return false;
    frost_scalar k[2];
    pok_challenge(id, context, context_len, C0, &proof->R, &k[1]);
    scalar_neg(&k[1], &k[1]);
    k[0] = proof->z;
    rvt_base(&pts[0]);
    rvt_msm(&sum, (const uint8_t(*)[32])k, pts, 2);
    rvt_sub(&sum, &sum, &R);
    return rvt_is_identity(&sum);
}

bool frost_point_add(const frost_point *a, const frost_point *b, frost_point *out) {
    rvt_point pa, pb;
    /* Decode before clearing out, so that out may alias a or b. */
    bool ok = pub_decode(&pa, a) && pub_decode(&pb, b);
    memset(out, 0, sizeof *out);
    if (!ok) return false;
    rvt_add(&pa, &pa, &pb);
    return pub_encode(out, &pa);
}
