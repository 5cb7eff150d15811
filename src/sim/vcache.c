/* vcache.c — direct-mapped cache of Ed25519 verification outcomes; see vcache.h. */
#include "sim/vcache.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"

typedef struct {
    hansa_hash key;
    bool used;
    bool ok;
} vc_slot;

struct sim_vcache {
    vc_slot *slots;
    size_t mask;
    uint64_t hits, misses;
};

sim_vcache *sim_vcache_new(size_t slots) {
    HANSA_ASSERT(slots > 0);
    HANSA_ASSERT(slots <= (1u << 24));
    size_t cap = 1;
    while (cap < slots) cap *= 2;
    sim_vcache *c = hansa_calloc(1, sizeof *c);
    c->slots = hansa_calloc(cap, sizeof *c->slots);
    c->mask = cap - 1;
    return c;
}

void sim_vcache_free(sim_vcache *c) {
    if (!c) return;
    free(c->slots);
    free(c);
}

bool sim_vcache_verify(sim_vcache *c, const hansa_pubkey *pk, const char *domain,
                       const uint8_t *msg, size_t len, const hansa_sig *sig) {
    sha256_ctx h;
    hansa_hash key;
    sha256_init(&h);
    sha256_update(&h, pk->b, sizeof pk->b);
    sha256_update(&h, domain, strlen(domain) + 1); /* the NUL separates domain from msg */
    sha256_update(&h, msg, len);
    sha256_update(&h, sig->b, sizeof sig->b);
    sha256_final(&h, &key);
    vc_slot *s = &c->slots[le64_load(key.b) & c->mask];
    if (s->used && hash_eq(&s->key, &key)) {
        c->hits++;
        return s->ok;
    }
    c->misses++;
    bool ok = verify_domain(pk, domain, msg, len, sig);
    s->key = key;
    s->used = true;
    s->ok = ok;
    return ok;
}

void sim_vcache_stats(const sim_vcache *c, uint64_t *hits, uint64_t *misses) {
    *hits = c->hits;
    *misses = c->misses;
}
