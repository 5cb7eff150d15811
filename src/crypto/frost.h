/* frost.h — FROST(ristretto255, SHA-512) of RFC 9591, and the polynomial
 * arithmetic a dealerless key generation needs.
 *
 * A chain's delegates hold Shamir shares s_i of one group secret s; any t of
 * them produce one 64-byte Schnorr signature (R, z) that verifies against the
 * group key PK = s*G with one verification. Signing is two rounds (RFC 9591
 * section 5): round one, each signer draws two secret nonces and publishes
 * their commitments; round two, given the list of commitments of the chosen
 * signers and the message, each computes its signature share; anyone adds
 * the shares (aggregate).
 *
 * Values cross this API in their canonical encodings (RFC 9591 section 6.2):
 * a scalar is 32 little-endian bytes below the group order L, an element is
 * 32 bytes of ristretto255 (RFC 9496). Every decoder here refuses what the
 * RFC says to refuse: non-canonical scalars and encodings, and the identity
 * element, which SerializeElement and DeserializeElement reject (RFC 9591
 * section 3.1). A frost_point obtained from frost_point_decode() is therefore
 * a valid, non-identity element; functions that take frost_points from
 * elsewhere (a struct filled by hand) still check them and fail cleanly.
 *
 * Secrets (shares, nonces, polynomial coefficients) are wiped with
 * sodium_memzero once used; all arithmetic on them is libsodium's
 * constant-time code. Variable-time arithmetic (crypto/ristretto_vt.h) is
 * used only on public values: commitments, verification shares, signatures.
 *
 * Randomness comes in as a hansa_rng, so the simulator and tests replay. */
#ifndef HANSA_CRYPTO_FROST_H
#define HANSA_CRYPTO_FROST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/rng.h"

#define FROST_SCALAR_BYTES 32
#define FROST_POINT_BYTES 32
#define FROST_SIG_BYTES 64
/* Participants in one group: the most delegates a validator set can have
 * (WIRE_VALIDATORS_MAX). Identifiers are 1..n, serialized as scalars. */
#define FROST_PARTICIPANTS_MAX 128
/* RFC 9591 section 6.2: contextString of the ciphersuite. */
#define FROST_CONTEXT_STRING "FROST-RISTRETTO255-SHA512-v1"

typedef struct {
    uint8_t b[FROST_SCALAR_BYTES];
} frost_scalar; /* canonical: little-endian, < L */

typedef struct {
    uint8_t b[FROST_POINT_BYTES];
} frost_point; /* canonical ristretto255 encoding of a non-identity element */

typedef struct {
    frost_point R;
    frost_scalar z;
} frost_sig; /* encoded as R || z, 64 bytes (RFC 9591 section 6.2) */

_Static_assert(sizeof(frost_scalar) == FROST_SCALAR_BYTES, "scalar has no padding");
_Static_assert(sizeof(frost_point) == FROST_POINT_BYTES, "point has no padding");
_Static_assert(sizeof(frost_sig) == FROST_SIG_BYTES, "sig has no padding");

/* One signer's round-one secret: (hiding_nonce, binding_nonce). */
typedef struct {
    frost_scalar hiding;
    frost_scalar binding;
} frost_nonces;

/* One signer's round-one output, as listed in a commitment list. */
typedef struct {
    uint16_t id; /* 1..n */
    frost_point hiding;
    frost_point binding;
} frost_commitment;

/* The public side of a group: what the chain records and what a coordinator
 * needs to check shares. shares[i-1] is participant i's verification share
 * Y_i = s_i*G (RFC 9591 PK_i). */
typedef struct {
    uint16_t n;         /* participants, 1..FROST_PARTICIPANTS_MAX */
    uint16_t t;         /* threshold (MIN_PARTICIPANTS), 1..n */
    frost_point key;    /* group public key */
    frost_point shares[FROST_PARTICIPANTS_MAX];
} frost_group;

/* ---- encodings ------------------------------------------------------------ */

/* RFC 9591 DeserializeScalar: HANSA_ERR_NONCANONICAL unless in[] < L. */
hansa_err frost_scalar_decode(const uint8_t in[FROST_SCALAR_BYTES], frost_scalar *out);
/* RFC 9591 DeserializeElement: HANSA_ERR_NONCANONICAL for bytes that are no
 * canonical ristretto255 encoding, HANSA_ERR_INVALID for the identity. */
hansa_err frost_point_decode(const uint8_t in[FROST_POINT_BYTES], frost_point *out);
/* A signature: R a valid non-identity element, z canonical. */
hansa_err frost_sig_decode(const uint8_t in[FROST_SIG_BYTES], frost_sig *out);
/* The identifier i as a scalar (little-endian i, zero-padded). */
void frost_id_scalar(uint16_t id, frost_scalar *out);

bool frost_scalar_is_zero(const frost_scalar *s);
bool frost_point_eq(const frost_point *a, const frost_point *b);

/* ---- key material ----------------------------------------------------------- */

/* A uniformly random non-zero scalar drawn from rng. */
void frost_scalar_random(const hansa_rng *rng, frost_scalar *out);
/* out = s*G through libsodium's constant-time base multiplication (s may be
 * secret). Returns false if s*G is the identity (s = 0). */
bool frost_base_mul(const frost_scalar *s, frost_point *out);

/* ---- round one (RFC 9591 section 5.1) ------------------------------------------ */

/* RFC 9591 nonce_generate(secret): H3(random_bytes(32) || SerializeScalar(secret)).
 * random_bytes come from rng. */
void frost_nonce_generate(const hansa_rng *rng, const frost_scalar *secret, frost_scalar *out);
/* RFC 9591 commit(sk_i): fresh nonces and their commitments for signer id.
 * The caller keeps *nonces secret, uses them for one signature at most, and
 * wipes them (frost_sign does, on success and on failure). */
void frost_commit(const hansa_rng *rng, uint16_t id, const frost_scalar *share,
                  frost_nonces *nonces, frost_commitment *out);

/* ---- what every party derives from a signing package ---------------------------
 * RFC 9591 sections 4.4-4.6: from the group key, the commitment list and the
 * message, the binding factor of each signer, the group commitment R and the
 * challenge c. Signers, the coordinator and share verification all need the
 * same values, so they are computed once into this struct. */
typedef struct {
    size_t n;                                        /* signers in the list */
    frost_commitment list[FROST_PARTICIPANTS_MAX];   /* copy, sorted by id */
    frost_scalar rho[FROST_PARTICIPANTS_MAX];        /* binding factor of list[i] */
    frost_point R;                                   /* group commitment */
    frost_scalar c;                                  /* challenge */
    frost_point key;                                 /* group public key */
} frost_derived;

/* Checks the commitment list and computes *out. The list must hold 1..
 * FROST_PARTICIPANTS_MAX entries with identifiers strictly increasing (the
 * RFC requires the list sorted; a repeated identifier would make the
 * Lagrange coefficients undefined) and each in 1..max_id, and every element
 * must be a valid non-identity element. Errors:
 *   HANSA_ERR_INVALID       empty list, identifier 0 or over max_id, an
 *                           identity element, or an identity group commitment
 *   HANSA_ERR_NONCANONICAL  identifiers out of order or repeated, an element
 *                           that is no canonical encoding
 *   HANSA_ERR_TOO_LONG      more than FROST_PARTICIPANTS_MAX entries
 * The threshold (at least t signers) is the caller's rule. */
hansa_err frost_derive(const frost_point *group_key, const frost_commitment *list, size_t n,
                       uint16_t max_id, const uint8_t *msg, size_t msg_len, frost_derived *out);

/* RFC 9591 derive_interpolating_value(L, x_i) over the identifiers of d.
 * HANSA_ERR_NOT_FOUND if id is not in the list. */
hansa_err frost_lagrange(const frost_derived *d, uint16_t id, frost_scalar *out);

/* The coefficient of f(id) in f(x) = sum over ids of lambda_j f(j), for a
 * polynomial of degree below n: prod_{j != id} (x - j) / (id - j). With x = 0
 * this is frost_lagrange's; another x is what a repairable threshold scheme
 * needs (threshold/repair.h: helpers evaluate the lost share's point).
 * HANSA_ERR_NOT_FOUND if id is not among ids, HANSA_ERR_INVALID if an
 * identifier is 0 or repeated (a zero denominator). */
hansa_err frost_lagrange_at(const uint16_t *ids, size_t n, uint16_t id, uint16_t x, frost_scalar *out);
/* out = a - b mod L. */
void frost_scalar_sub(const frost_scalar *a, const frost_scalar *b, frost_scalar *out);

/* ---- round two (RFC 9591 section 5.2) -------------------------------------------- */

/* RFC 9591 sign(): the signature share of signer `mine->id`. The signer's
 * own commitment must appear in the list exactly as it published it (RFC
 * 9591 section 5.2: "each participant MUST ensure that its identifier and
 * commitments (from the first round) appear in commitment_list"), else
 * HANSA_ERR_PROTOCOL. *nonces is wiped whatever the outcome: a nonce pair
 * offered once is never offered again. */
hansa_err frost_sign(const frost_derived *d, const frost_commitment *mine, const frost_scalar *share,
                     frost_nonces *nonces, frost_scalar *z_out);

/* RFC 9591 section 5.4 verify_signature_share(): true iff z is the share of
 * signer id (in d's list) with verification share Y. */
bool frost_share_verify(const frost_derived *d, uint16_t id, const frost_point *Y,
                        const frost_scalar *z);

/* RFC 9591 section 5.3 aggregate(): z = sum of the shares, shares[i] being
 * the share of d->list[i]. Returns HANSA_ERR_INVALID if a share is not a
 * canonical scalar. Does not verify: see frost_share_verify / frost_verify. */
hansa_err frost_aggregate(const frost_derived *d, const frost_scalar *shares, frost_sig *out);

/* Schnorr verification over the prime-order group (RFC 9591 section 6.2,
 * appendix B): z*G == R + c*PK with c = H2(R || PK || msg). False for any
 * malformed input (non-canonical z, invalid or identity R or key). */
bool frost_verify(const frost_point *group_key, const uint8_t *msg, size_t msg_len,
                  const frost_sig *sig);

/* ---- polynomials: dealer shares and verifiable secret sharing -----------------------
 * A degree t-1 polynomial f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1} shares
 * a_0: participant i gets f(i); anyone can check it against the commitment
 * C_k = a_k*G (Feldman VSS; RFC 9591 appendix C.2 vss_verify). */

/* out = f(id), by Horner's rule in constant time (coefficients are secret). */
void frost_poly_eval(const frost_scalar *coeffs, size_t t, uint16_t id, frost_scalar *out);
/* commits[k] = coeffs[k]*G. Returns false if a coefficient is zero. */
bool frost_poly_commit(const frost_scalar *coeffs, size_t t, frost_point *commits);
/* The public point sum_k id^k * commits[k]: participant id's verification
 * share for this polynomial. Returns false if it is the identity or a
 * commitment is not a valid element. */
bool frost_poly_public(const frost_point *commits, size_t t, uint16_t id, frost_point *out);
/* The group a DKG produces from the commitments of its qualified dealers:
 * commits holds `dealers` rows of t commitments each (row-major); sum[k] =
 * the sum of column k (the group polynomial's commitments, sum[0] the group
 * key), and out gets n, t, the key and every participant's verification
 * share Y_j = sum_k j^k sum[k]. Returns false if a commitment is invalid or
 * a result is the identity. */
bool frost_group_build(const frost_point *commits, size_t dealers, uint16_t t, uint16_t n,
                       frost_point *sum, frost_group *out);
/* RFC 9591 vss_verify: share*G == frost_poly_public(commits, t, id). */
bool frost_vss_verify(const frost_point *commits, size_t t, uint16_t id, const frost_scalar *share);

/* The Schnorr proof of knowledge of a_0 that each dealer of a DKG attaches
 * to its commitments (FROST paper, KeyGen round 1 steps 2 and 5):
 * k random, R = k*G, c = HDKG(id || C_0 || R || context), mu = k + a_0*c,
 * where HDKG(m) = H(contextString || "dkg" || m) reduced mod L. With an empty
 * context this is the proof of ZcashFoundation frost (and of its ports);
 * hansa always passes the DKG session's 32-byte id, so a proof made for one
 * session, chain or dealer never passes for another (rogue-key replay). */
void frost_pok_prove(const hansa_rng *rng, uint16_t id, const uint8_t *context, size_t context_len,
                     const frost_scalar *a0, const frost_point *C0, frost_sig *out);
bool frost_pok_verify(uint16_t id, const uint8_t *context, size_t context_len,
                      const frost_point *C0, const frost_sig *proof);

/* ---- point arithmetic on public values ---------------------------------------------- */

/* out = a + b; out may alias a or b. Returns false (out zeroed) if an
 * input is no valid element or the sum is the identity. */
bool frost_point_add(const frost_point *a, const frost_point *b, frost_point *out);
/* The sum of points[0..n) (n >= 1); false only if the whole sum is the
 * identity (a partial sum may be: x + (-x) + y is y), as frost_group_build's. */
bool frost_point_sum(const frost_point *points, size_t n, frost_point *out);
/* Scalar arithmetic mod L (libsodium, constant time). out may alias inputs. */
void frost_scalar_add(const frost_scalar *a, const frost_scalar *b, frost_scalar *out);
void frost_scalar_mul(const frost_scalar *a, const frost_scalar *b, frost_scalar *out);
void frost_scalar_wipe(frost_scalar *s);
/* Wipes n bytes of secret material (sodium_memzero: not optimized away);
 * for the layers above, which do not include sodium.h. */
void frost_wipe(void *p, size_t n);

#endif
