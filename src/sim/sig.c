/* sig.c — the simulator's stand-in for Ed25519 (crypto/sign.h,
 * sign_scheme_install).
 *
 * A simulated run is about consensus, not cryptography, and verifies every
 * vote on every node: with Ed25519 that alone would cap a 4-node run near
 * a few hundred heights per second. The stand-in keeps what the protocol
 * relies on and drops the cost: a key pair comes from its seed, a
 * signature binds key, domain and message (a 128-bit keyed digest), and a
 * signature made for other bytes, another key or another domain fails to
 * verify. It is not unforgeable — anyone who knows a public key can compute
 * its signatures — which is harmless here: every simulated adversary signs
 * only with its own keys (byz.c), and the garbage it sends carries random
 * signatures, which fail. Everything outside a simulation uses Ed25519. */
#include "sim/sig.h"

#include <string.h>

#include "crypto/sha256.h"

static uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    return x ^ (x >> 32);
}

typedef struct {
    uint64_t a, b;
} lanes;

static void absorb(lanes *l, const uint8_t *p, size_t n) {
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w = load64(p);
        l->a = (l->a ^ w) * 0x9e3779b97f4a7c15ull;
        l->a = l->a << 29 | l->a >> 35;
        l->b = (l->b + w) * 0xc2b2ae3d27d4eb4full;
        l->b = l->b << 31 | l->b >> 33;
    }
    uint8_t tail[8] = {0};
    memcpy(tail, p, n);
    tail[7] = (uint8_t)(0x80 | n);
    uint64_t w = load64(tail);
    l->a = mix(l->a ^ w);
    l->b = mix(l->b + w + 1);
}

/* The lanes after pub and domain, for the last (key, domain) pairs seen:
 * every node verifies every vote of the same few keys under the same
 * domain, and the prefix was about a third of a vote's tag. The entry
 * holds the domain's bytes, so a hit is exact whatever the pointer. */
#define PREFIX_SLOTS 16
#define PREFIX_DOMAIN_MAX 32
typedef struct {
    hansa_pubkey pk;
    char domain[PREFIX_DOMAIN_MAX];
    lanes l;
    bool set;
} prefix_slot;
static _Thread_local prefix_slot prefixes[PREFIX_SLOTS];

static lanes prefix(const hansa_pubkey *pk, const char *domain) {
    size_t dlen = strlen(domain) + 1;
    prefix_slot *s = &prefixes[(pk->b[0] ^ (pk->b[1] << 1) ^ (uint8_t)dlen) % PREFIX_SLOTS];
    if (s->set && dlen <= PREFIX_DOMAIN_MAX && memcmp(s->domain, domain, dlen) == 0 &&
        memcmp(s->pk.b, pk->b, HANSA_PUBKEY_BYTES) == 0)
        return s->l;
    lanes l = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull};
    absorb(&l, pk->b, HANSA_PUBKEY_BYTES);
    absorb(&l, (const uint8_t *)domain, dlen);
    if (dlen <= PREFIX_DOMAIN_MAX) {
        s->pk = *pk;
        memcpy(s->domain, domain, dlen);
        s->l = l;
        s->set = true;
    }
    return l;
}

/* tag = digest(pub || domain || 0x00 || msg): 16 bytes, then zeros. */
static void tag(const hansa_pubkey *pk, const char *domain, const void *msg, size_t len,
                hansa_sig *out) {
    lanes l = prefix(pk, domain);
    absorb(&l, msg, len);
    memset(out->b, 0, HANSA_SIG_BYTES);
    for (int i = 0; i < 8; i++) {
        out->b[i] = (uint8_t)(l.a >> (8 * i));
        out->b[8 + i] = (uint8_t)(l.b >> (8 * i));
    }
}

static void stand_in_keypair(hansa_keypair *kp, const uint8_t seed[HANSA_SEED_BYTES]) {
    hansa_hash h;
    uint8_t in[HANSA_SEED_BYTES + 8];
    memcpy(in, "sim-key:", 8);
    memcpy(in + 8, seed, HANSA_SEED_BYTES);
    sha256(in, sizeof in, &h);
    memcpy(kp->pub.b, h.b, HANSA_PUBKEY_BYTES);
    memcpy(kp->secret, seed, HANSA_SEED_BYTES);
    memcpy(kp->secret + HANSA_SEED_BYTES, kp->pub.b, HANSA_PUBKEY_BYTES);
}

static void stand_in_sign(const hansa_keypair *kp, const char *domain, const void *msg, size_t len,
                          hansa_sig *sig) {
    tag(&kp->pub, domain, msg, len, sig);
}

/* The last verified (key, domain, message, signature) tuples: a vote is
 * verified by the simulator's watch, by each node that takes it and again
 * by each node's check of the commit that carries it, all on the same
 * bytes. A slot holds every input in full (the message up to
 * VERIFIED_MSG_MAX bytes), so a hit answers what tag would answer for
 * exactly these inputs; only successes are kept, and a failure is always
 * recomputed. The slot is picked by the signature's first bytes, the tag
 * itself when it verifies. */
#define VERIFIED_SLOTS 64
#define VERIFIED_MSG_MAX 160
typedef struct {
    hansa_sig sig;
    hansa_pubkey pk;
    char domain[PREFIX_DOMAIN_MAX];
    uint8_t msg[VERIFIED_MSG_MAX];
    size_t len;
    bool set;
} verified_slot;
static _Thread_local verified_slot verified[VERIFIED_SLOTS];

static verified_slot *verified_slot_of(const hansa_sig *sig) {
    return &verified[load64(sig->b) % VERIFIED_SLOTS];
}

static bool verified_has(const verified_slot *s, const hansa_pubkey *pk, const char *domain,
                         const void *msg, size_t len, const hansa_sig *sig) {
    return s->set && s->len == len && memcmp(s->sig.b, sig->b, HANSA_SIG_BYTES) == 0 &&
           (len == 0 || memcmp(s->msg, msg, len) == 0) &&
           memcmp(s->pk.b, pk->b, HANSA_PUBKEY_BYTES) == 0 &&
           strncmp(s->domain, domain, PREFIX_DOMAIN_MAX) == 0;
}

static bool stand_in_verify(const hansa_pubkey *pk, const char *domain, const void *msg, size_t len,
                            const hansa_sig *sig) {
    verified_slot *s = verified_slot_of(sig);
    if (verified_has(s, pk, domain, msg, len, sig)) return true;
    hansa_sig want;
    tag(pk, domain, msg, len, &want);
    if (memcmp(want.b, sig->b, HANSA_SIG_BYTES) != 0) return false;
    size_t dlen = strlen(domain) + 1;
    if (len <= VERIFIED_MSG_MAX && dlen <= PREFIX_DOMAIN_MAX) {
        s->sig = *sig;
        s->pk = *pk;
        memcpy(s->domain, domain, dlen);
        if (len) memcpy(s->msg, msg, len);
        s->len = len;
        s->set = true;
    }
    return true;
}

const sign_scheme sim_sign_scheme = {stand_in_keypair, stand_in_sign, stand_in_verify};

/* With --frost the key generation seals each share to its recipient's
 * delegate key mapped to X25519, so the public key must be the real
 * Ed25519 key of the secret: key pairs are Ed25519's (made once per node),
 * signatures stay the stand-in's (they bind the public key either way). */
const sign_scheme sim_sign_scheme_frost = {keypair_from_seed_ed25519, stand_in_sign, stand_in_verify};
