/* ic_forge.h — a made-up foreign chain for light-client tests: keys, the
 * validator set of every height, linked headers and commit certificates
 * signed by whichever members a test chooses (or by keys that are not
 * members, or with a flipped bit). Header-only; tests/ledger uses it too.
 *
 * Height h is decided by set_of[h]; header h announces set_of[h+1] as its
 * next set, exactly as a hansa chain does. Times are 1000 ms apart from
 * FORGE_T0 unless a test changes them before forge_build. */
#ifndef HANSA_TESTS_IC_FORGE_H
#define HANSA_TESTS_IC_FORGE_H

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/sign.h"
#include "interchain/client.h"
#include "interchain/codec.h"
#include "wire/codec.h"

#define FORGE_KEYS 40
#define FORGE_HEIGHTS 160
#define FORGE_T0 1700000000000ull

typedef struct {
    uint64_t members; /* bit i: key i is in the set */
    uint64_t power[FORGE_KEYS];
} forge_set;

typedef struct {
    uint32_t chain_id;
    hansa_keypair keys[FORGE_KEYS]; /* sorted by pubkey */
    forge_set set_of[FORGE_HEIGHTS + 2];
    uint64_t time_of[FORGE_HEIGHTS + 2];
    wire_header hdr[FORGE_HEIGHTS + 1];
    hansa_hash hash[FORGE_HEIGHTS + 1];
} forge;

static inline void forge_init(forge *f, uint32_t chain_id, uint8_t key_tag) {
    memset(f, 0, sizeof *f);
    f->chain_id = chain_id;
    for (int i = 0; i < FORGE_KEYS; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0x66, key_tag, (uint8_t)i};
        keypair_from_seed(&f->keys[i], seed);
    }
    for (int i = 1; i < FORGE_KEYS; i++)
        for (int j = i; j > 0 && pubkey_cmp(&f->keys[j - 1].pub, &f->keys[j].pub) > 0; j--) {
            hansa_keypair t = f->keys[j];
            f->keys[j] = f->keys[j - 1];
            f->keys[j - 1] = t;
        }
    for (int h = 0; h <= FORGE_HEIGHTS + 1; h++) {
        f->set_of[h].members = 0xf; /* keys 0..3, power 10 each */
        for (int i = 0; i < FORGE_KEYS; i++) f->set_of[h].power[i] = 10;
        f->time_of[h] = FORGE_T0 + (uint64_t)h * 1000;
    }
}

/* Heights from..FORGE_HEIGHTS+1 are decided by members (power 10 each). */
static inline void forge_set_from(forge *f, uint64_t from, uint64_t members) {
    for (uint64_t h = from; h <= FORGE_HEIGHTS + 1; h++) f->set_of[h].members = members;
}

/* The set of height h as a wire_valset (allocated; wire_valset_free). */
static inline void forge_valset(const forge *f, uint64_t h, wire_valset *out) {
    const forge_set *s = &f->set_of[h];
    out->n = 0;
    out->v = calloc(FORGE_KEYS, sizeof *out->v);
    for (int i = 0; i < FORGE_KEYS; i++)
        if ((s->members >> i) & 1) out->v[out->n++] = (wire_validator){f->keys[i].pub, s->power[i]};
}

static inline void forge_set_hash(const forge *f, uint64_t h, hansa_hash *out) {
    wire_valset vs;
    forge_valset(f, h, &vs);
    wire_valset_hash(&vs, out);
    wire_valset_free(&vs);
}

/* Header h from the forge's sets and times, linked to header h-1. */
static inline void forge_header(const forge *f, uint64_t h, const hansa_hash *prev, wire_header *out) {
    memset(out, 0, sizeof *out);
    out->chain_id = f->chain_id;
    out->height = h;
    out->time_ms = f->time_of[h];
    if (prev) out->prev_block = *prev;
    memset(out->app_hash.b, (int)(h & 0xff), HANSA_HASH_BYTES);
    out->app_hash.b[0] = 0xa0;
    memset(out->tx_root.b, (int)(h & 0xff), HANSA_HASH_BYTES);
    out->tx_root.b[0] = 0x70;
    forge_set_hash(f, h, &out->validators_hash);
    forge_set_hash(f, h + 1, &out->next_validators_hash);
    int first = __builtin_ctzll(f->set_of[h].members);
    out->proposer = f->keys[first].pub;
}

/* Builds headers 1..FORGE_HEIGHTS from the current sets and times. */
static inline void forge_build(forge *f) {
    for (uint64_t h = 1; h <= FORGE_HEIGHTS; h++) {
        forge_header(f, h, h > 1 ? &f->hash[h - 1] : NULL, &f->hdr[h]);
        wire_header_hash(&f->hdr[h], &f->hash[h]);
    }
}

/* A commit for header hdr (height h, decided by set_of[h]) signed by the
 * keys in `signers` (bits into the key pool; a signer outside the set is
 * skipped), at `round`. */
static inline void forge_commit(const forge *f, const wire_header *hdr, uint64_t signers, uint32_t round,
                                wire_commit *out) {
    wire_valset vs;
    forge_valset(f, hdr->height, &vs);
    memset(out, 0, sizeof *out);
    out->chain_id = hdr->chain_id;
    out->height = hdr->height;
    out->round = round;
    wire_header_hash(hdr, &out->block);
    out->sigs = calloc(vs.n ? vs.n : 1, sizeof *out->sigs);
    for (uint16_t idx = 0; idx < vs.n; idx++) {
        int key = -1;
        for (int i = 0; i < FORGE_KEYS; i++)
            if (pubkey_eq(&f->keys[i].pub, &vs.v[idx].pubkey)) key = i;
        if (key < 0 || !((signers >> key) & 1)) continue;
        wire_commit_sig *s = &out->sigs[out->n_sigs];
        s->validator_index = idx;
        out->n_sigs++;
        wire_vote v;
        wire_commit_vote(out, out->n_sigs - 1, &vs.v[idx].pubkey, &v);
        hbuf sb = HBUF_INIT;
        wire_vote_sign_bytes(&sb, &v);
        sign_domain(&f->keys[key], SIGN_DOMAIN_VOTE, sb.data, sb.len, &s->sig);
        hbuf_free(&sb);
    }
    wire_valset_free(&vs);
}

/* An update proving header hdr from trusted height t, signed by `signers`
 * (all members when 0). The trusted set is attached when skipping. */
static inline void forge_update_of(const forge *f, uint64_t t, const wire_header *hdr, uint64_t signers,
                                   uint32_t round, ic_update *u) {
    memset(u, 0, sizeof *u);
    u->trusted_height = t;
    u->header = *hdr;
    u->cert_kind = IC_CERT_COMMIT;
    if (signers == 0) signers = f->set_of[hdr->height].members;
    forge_commit(f, hdr, signers, round, &u->commit);
    forge_valset(f, hdr->height, &u->vals);
    if (hdr->height != t + 1) {
        u->has_trusted_vals = true;
        forge_valset(f, t + 1, &u->trusted_vals);
    }
}

static inline void forge_update(const forge *f, uint64_t t, uint64_t h, uint64_t signers, ic_update *u) {
    forge_update_of(f, t, &f->hdr[h], signers, 0, u);
}

/* The trust root at height h (0: the genesis root, no header yet). */
static inline void forge_root(const forge *f, uint64_t h, uint64_t period_ms, ic_create *out) {
    memset(out, 0, sizeof *out);
    out->params = (ic_params){f->chain_id, period_ms, 10000};
    if (h == 0) {
        out->root.time_ms = f->time_of[0];
        forge_set_hash(f, 1, &out->root.validators_hash);
        out->root.next_validators_hash = out->root.validators_hash;
        return;
    }
    ic_consensus_of_header(&f->hdr[h], &out->root);
}

#endif
