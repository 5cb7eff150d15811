/* frostcheck.c — see frostcheck.h. */
#include "sim/frostcheck.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/hex.h"

void sim_frostcheck_init(sim_frostcheck *f) {
    memset(f, 0, sizeof *f);
    smap_init(&f->keys);
    smap_init(&f->nonce_use);
}

void sim_frostcheck_free(sim_frostcheck *f) {
    smap_free(&f->keys);
    smap_free(&f->nonce_use);
}

static void violation(sim_frostcheck *f, uint64_t *count, const char *name, const char *fmt, ...) {
    (*count)++;
    if (f->first[0]) return;
    int k = snprintf(f->first, sizeof f->first, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->first + k, sizeof f->first - (size_t)k, fmt, ap);
    va_end(ap);
}

void sim_frostcheck_key(sim_frostcheck *f, uint16_t node, uint64_t epoch, const hansa_hash *key,
                        const char *what) {
    const hansa_hash *first = smap_put_new(&f->keys, (smap_key){epoch, 0, 0}, key);
    if (first == NULL || hash_eq(first, key)) return;
    char a[17], b[17];
    hex_encode(first->b, 8, a);
    hex_encode(key->b, 8, b);
    violation(f, &f->key, "frost-key", "epoch %" PRIu64 " has key %s.., node %u holds %s.. (%s)",
              epoch, a, node, b, what);
}

const hansa_hash *sim_frostcheck_key_of(const sim_frostcheck *f, uint64_t epoch) {
    return smap_get(&f->keys, (smap_key){epoch, 0, 0});
}

void sim_frostcheck_share(sim_frostcheck *f, uint16_t node, uint16_t id, const hansa_hash *commitment,
                          const hansa_hash *use, uint64_t round) {
    /* A commitment is one participant's pair of points: keyed by node and
     * id so that two members' equal points (impossible but for a broken
     * generator) would count as two, and by the pair's digest. */
    smap_key k = {(uint64_t)node << 16 | id, le64_load(commitment->b), le64_load(commitment->b + 8)};
    const hansa_hash *first = smap_put_new(&f->nonce_use, k, use);
    if (first == NULL || hash_eq(first, use)) return; /* the same share again (a duplicate REQUEST) */
    violation(f, &f->nonce, "frost-nonce", "node %u (participant %u) used one nonce commitment in two "
              "different signature shares (the second for round %" PRIu64 ")", node, id, round);
}

void sim_frostcheck_height(sim_frostcheck *f, uint64_t h, bool signed_somewhere, uint16_t members,
                           uint16_t t) {
    if (signed_somewhere || members < t) return;
    violation(f, &f->liveness, "frost-liveness", "no honest node stores a checkpoint of height %" PRIu64
              " though %u honest members of its key's set were up (threshold %u)", h, members, t);
}

void sim_frostcheck_handoff(sim_frostcheck *f, uint64_t new_epoch, bool handed, uint16_t members, uint16_t t) {
    if (handed || members < t) return;
    violation(f, &f->liveness, "frost-liveness", "no honest node stores the handoff to epoch %" PRIu64
              "'s key though %u honest members of the old set were up (threshold %u)", new_epoch, members, t);
}

void sim_frostcheck_bad_checkpoint(sim_frostcheck *f, uint16_t node, uint64_t height, const char *why) {
    if (height == 0) violation(f, &f->checkpoint, "frost-checkpoint", "node %u stores a handoff that %s", node, why);
    else violation(f, &f->checkpoint, "frost-checkpoint", "node %u stores a checkpoint of height %" PRIu64 " that %s",
                   node, height, why);
}

void sim_frostcheck_bad_share(sim_frostcheck *f, uint16_t node, uint64_t epoch) {
    violation(f, &f->key, "frost-key", "node %u stores a signing share of epoch %" PRIu64 " that is not its "
              "verification share", node, epoch);
}

uint64_t sim_frostcheck_safety(const sim_frostcheck *f) { return f->key + f->nonce + f->checkpoint; }
