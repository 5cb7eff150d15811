/* test_client_keyproof.c — a light client learns the foreign chain's FROST
 * group key from a commit update that carries a state proof of the chain's
 * key record (59 · epoch) against the proven header's app hash
 * (interchain/client.h, ic_key_proof; docs/interchain.md "Learning a key by
 * proof"). A keyless client learns the key at a state-root height and then
 * follows by checkpoints and a handoff; a client with a key learns a newer
 * one. Refused, each with its own reason: a forged path, a forged record, a
 * header that is not at a state-root height, a stale epoch's key (another
 * set's), a record that cannot be in that state yet, an older key than the
 * trusted one, another key for the trusted epoch. The update's byte form
 * round-trips and keeps old updates' bytes; its decoder refuses a bad tag,
 * a long path and a bad record at the right offset. Prints the bytes and
 * verify time of a commit update with a key proof (not asserted).
 * Randomized (FROST nonces and keys): prints its seed (HANSA_SEED). */
#include <time.h>

#include "interchain/lc_harness.h"
#include "ledger/state_root.h"
#include "threshold/dkg.h"
#include "wire/state_hash.h"

#define CHAIN 0xa11c
#define ROOT_H 32        /* a state-root height of the forged chain */

static hansa_prng prng;
static ff_group G1, G2, X; /* epochs 1, 10; X: a key the chain never had (epoch 10) */
static handoff H12;

/* Header h's hash changed: relink and rehash h..FORGE_HEIGHTS. */
static void relink(uint64_t h) {
    for (uint64_t k = h; k <= FORGE_HEIGHTS; k++) {
        if (k > h) F.hdr[k].prev_block = F.hash[k - 1];
        wire_header_hash(&F.hdr[k], &F.hash[k]);
    }
}

static void put_record(ledger_writes *ws, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    ledger_writes_begin(ws, key, klen);
    hbuf_append(&ws->data, val, vlen);
    ledger_writes_end_value(ws);
}

/* A key record of group gr for a set whose hash is set_hash, keyed at. */
static void put_key(ledger_writes *ws, const ff_group *gr, const hansa_hash *set_hash, uint64_t keyed_at) {
    frost_group_rec g = {.valset_hash = *set_hash, .n = FF_N, .t = dkg_threshold(FF_N), .keyed_at = keyed_at};
    for (uint16_t i = 1; i <= FF_N; i++) dkg_bitmap_set(g.qual, i);
    g.key = gr->g.key;
    uint8_t key[FROST_KEY_GROUP_BYTES];
    hbuf v = HBUF_INIT;
    frost_group_rec_encode(&v, &g);
    put_record(ws, key, frost_group_rec_key(gr->epoch, key), v.data, v.len);
    hbuf_free(&v);
}

/* Makes header h a state-root height whose state is `fill` other records
 * and ws's keys, and proves the newest key in it. */
static void state_at(uint64_t h, ledger_writes *ws, size_t fill, ic_key_proof *out) {
    for (size_t i = 0; i < fill; i++) {
        /* records on both sides of the key record (59), as in a real state */
        uint8_t key[5] = {i % 2 ? 0x01 : 0x70, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        uint8_t val[40];
        memset(val, (int)i, sizeof val);
        put_record(ws, key, sizeof key, val, sizeof val);
    }
    ledger_writes_sort(ws);
    hansa_hash prev = F.hdr[h - 1].app_hash, writes, root;
    memset(writes.b, 0x3c, sizeof writes.b);
    ledger_records_root(ws, &root);
    state_app_hash_checkpoint(&prev, h, &writes, &root, &F.hdr[h].app_hash);
    relink(h);
    CHECK(ledger_key_proof(ws, &prev, &writes, out));
    CHECK(hash_eq(&out->state_root, &root));
}

/* A commit update 0 -> ROOT_H with the proof of a state holding key gr of
 * the header's set (keyed at 20), and any extra keys the caller put in ws. */
static void key_update(ledger_writes *ws, ic_update *u) {
    ic_key_proof kp;
    state_at(ROOT_H, ws, 40, &kp);
    forge_update(&F, 0, ROOT_H, 0, u);
    u->has_key_proof = true;
    u->key_proof = kp;
}

static void set_hash(uint64_t h, hansa_hash *out) { forge_set_hash(&F, h, out); }

static void setup(uint64_t seed) {
    forge_init(&F, CHAIN, 3);
    forge_build(&F);
    prng_seed(&prng, seed);
    ff_group_make(&G1, &prng, 1);
    ff_group_make(&G2, &prng, 10);
    ff_group_make(&X, &prng, 10);
    ff_handoff(&G1, &G2, &prng, CHAIN, &H12);
}

static void frost_update(uint64_t t, uint64_t h, const ff_group *by, const handoff *hs, uint8_t n,
                         ic_update *u) {
    memset(u, 0, sizeof *u);
    u->trusted_height = t;
    u->header = F.hdr[h];
    u->cert_kind = IC_CERT_FROST;
    ff_checkpoint(by, &prng, &F.hdr[h], &u->ckpt);
    u->n_handoffs = n;
    for (uint8_t i = 0; i < n; i++) u->handoffs[i] = hs[i];
}

/* ---------------------------------------------------------------------------- */

/* A keyless client (a genesis entry written before the chain's first key)
 * learns the key by proof, then follows by checkpoints and a handoff. */
static void test_learn_then_follow(void) {
    lc l;
    lc_init(&l, NULL);
    ic_update u;
    frost_update(0, ROOT_H, &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(ROOT_H)), HANSA_ERR_STATE);
    CHECK(why_has("names no group key"));
    ledger_writes ws = LEDGER_WRITES_INIT;
    hansa_hash s;
    set_hash(ROOT_H, &s);
    put_key(&ws, &G1, &s, 20);
    ic_update cu;
    key_update(&ws, &cu);
    CHECK_ERR(lc_update(&l, &cu, now_at(ROOT_H)), HANSA_OK);
    ic_update_free(&cu);
    ledger_writes_free(&ws);
    const ic_consensus *cs = &l.cs[ROOT_H];
    CHECK(frost_point_eq(&cs->group_key, &G1.g.key));
    CHECK_EQ_U64(cs->key_epoch, 1);
    CHECK_EQ_U64(cs->key_time_ms, F.time_of[ROOT_H]);
    frost_update(ROOT_H, ROOT_H + 1, &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(ROOT_H + 1)), HANSA_OK);
    frost_update(ROOT_H + 1, ROOT_H + 9, &G2, &H12, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(ROOT_H + 9)), HANSA_OK);
    CHECK(frost_point_eq(&l.cs[ROOT_H + 9].group_key, &G2.g.key));
    /* a commit update without a proof carries the key on, as before */
    forge_update(&F, ROOT_H + 9, ROOT_H + 10, 0, &cu);
    CHECK_ERR(lc_update(&l, &cu, now_at(ROOT_H + 10)), HANSA_OK);
    ic_update_free(&cu);
    CHECK(frost_point_eq(&l.cs[ROOT_H + 10].group_key, &G2.g.key));
    CHECK_EQ_U64(l.cs[ROOT_H + 10].key_time_ms, F.time_of[ROOT_H + 9]);
    forge_build(&F);
}

/* A client that trusts a key learns a newer one the same way (a key whose
 * trust ran out while the client went on by commits comes back like this). */
static void test_newer_key(void) {
    lc l;
    lc_init(&l, &G1);
    ledger_writes ws = LEDGER_WRITES_INIT;
    hansa_hash s;
    set_hash(ROOT_H, &s);
    put_key(&ws, &G1, &s, 20);
    put_key(&ws, &G2, &s, 30); /* the newest: the one proven */
    ic_update cu;
    key_update(&ws, &cu);
    CHECK_EQ_U64(cu.key_proof.epoch, 10);
    CHECK_ERR(lc_update(&l, &cu, now_at(ROOT_H)), HANSA_OK);
    CHECK(frost_point_eq(&l.cs[ROOT_H].group_key, &G2.g.key));
    /* the same key again refreshes its time; epoch and key unchanged */
    lc m;
    lc_init(&m, &G2);
    CHECK_ERR(lc_update(&m, &cu, now_at(ROOT_H)), HANSA_OK);
    CHECK_EQ_U64(m.cs[ROOT_H].key_time_ms, F.time_of[ROOT_H]);
    ic_update_free(&cu);
    ledger_writes_free(&ws);
    forge_build(&F);
}

static hansa_err try_key(const ff_group *trusted, const ic_update *u) {
    lc l;
    lc_init(&l, trusted);
    return lc_update(&l, u, now_at(u->header.height));
}

static void test_refusals(void) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    hansa_hash s, other;
    set_hash(ROOT_H, &s);
    put_key(&ws, &G1, &s, 20);
    ic_update u;
    key_update(&ws, &u);
    CHECK_ERR(try_key(NULL, &u), HANSA_OK);

    /* a forged path */
    ic_update bad = u;
    bad.key_proof.path[0].b[5] ^= 1;
    CHECK_ERR(try_key(NULL, &bad), HANSA_ERR_PROOF);
    CHECK(why_has("does not lead to the state root"));
    /* a forged record: another key under the same path */
    bad = u;
    bad.key_proof.rec.key = X.g.key;
    CHECK_ERR(try_key(NULL, &bad), HANSA_ERR_PROOF);
    CHECK(why_has("does not lead to the state root"));
    /* another leaf index */
    bad = u;
    bad.key_proof.leaf_index ^= 1;
    CHECK_ERR(try_key(NULL, &bad), HANSA_ERR_PROOF);
    /* a forged root (or a header that is no state-root height) */
    bad = u;
    bad.key_proof.state_root.b[0] ^= 1;
    CHECK_ERR(try_key(NULL, &bad), HANSA_ERR_PROOF);
    CHECK(why_has("does not make the app hash of header 32"));
    ic_update other_h;
    forge_update(&F, 0, ROOT_H + 1, 0, &other_h);
    other_h.has_key_proof = true;
    other_h.key_proof = u.key_proof;
    CHECK_ERR(try_key(NULL, &other_h), HANSA_ERR_PROOF);
    CHECK(why_has("not a state-root height"));
    ic_update_free(&other_h);
    /* a record that cannot be in the state after the header's height */
    bad = u;
    bad.key_proof.rec.keyed_at = ROOT_H + 1;
    CHECK_ERR(try_key(NULL, &bad), HANSA_ERR_INVALID);
    CHECK(why_has("cannot be in the state after height 32"));
    /* the commit's rules come first: a forged signature is refused as such */
    u.commit.sigs[0].sig.b[3] ^= 1; /* the copies above share the commit's array */
    CHECK_ERR(try_key(NULL, &u), HANSA_ERR_BAD_SIG);
    u.commit.sigs[0].sig.b[3] ^= 1;
    /* a key never replaces a newer one ... */
    CHECK_ERR(try_key(&G2, &u), HANSA_ERR_STATE);
    CHECK(why_has("a key never replaces a newer one"));
    ic_update_free(&u);
    ledger_writes_free(&ws);

    /* ... nor is another key for the trusted epoch taken */
    ws = (ledger_writes)LEDGER_WRITES_INIT;
    put_key(&ws, &G2, &s, 20);
    key_update(&ws, &u);
    CHECK_ERR(try_key(&X, &u), HANSA_ERR_STATE);
    CHECK(why_has("another key for the trusted epoch 10"));
    ic_update_free(&u);
    ledger_writes_free(&ws);

    /* a stale epoch's key: the newest record is of another set */
    forge_set_from(&F, ROOT_H, 0x7); /* three members from ROOT_H on */
    forge_build(&F);
    set_hash(1, &other);
    ws = (ledger_writes)LEDGER_WRITES_INIT;
    put_key(&ws, &G1, &other, 20);
    key_update(&ws, &u);
    CHECK_ERR(try_key(NULL, &u), HANSA_ERR_STATE);
    CHECK(why_has("a stale epoch's key is not learned"));
    ic_update_free(&u);
    ledger_writes_free(&ws);
    forge_set_from(&F, 1, 0xf);
    forge_build(&F);
}

/* The layout: an update without a proof has its old bytes, one with a
 * proof round-trips, and the decoder refuses what is not canonical. */
static void test_codec(void) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    hansa_hash s;
    set_hash(ROOT_H, &s);
    put_key(&ws, &G1, &s, 20);
    ic_update u, d;
    key_update(&ws, &u);
    hbuf with = HBUF_INIT, without = HBUF_INIT;
    ic_update_encode(&with, &u);
    u.has_key_proof = false;
    ic_update_encode(&without, &u);
    u.has_key_proof = true;
    size_t proof_len = with.len - without.len;
    CHECK(with.len > without.len && memcmp(with.data, without.data, without.len) == 0);
    CHECK_EQ_U64(proof_len, 1 + 8 + 4 + FROST_GROUP_REC_BYTES + 96 + 16 + 1 + u.key_proof.path_len * 32u);
    wire_rd r;
    CHECK_ERR(ic_update_decode(without.data, without.len, &d, &r), HANSA_OK);
    CHECK(!d.has_key_proof);
    ic_update_free(&d);
    CHECK_ERR(ic_update_decode(with.data, with.len, &d, &r), HANSA_OK);
    CHECK(d.has_key_proof);
    CHECK(memcmp(&d.key_proof, &u.key_proof, sizeof d.key_proof) == 0);
    hbuf again = HBUF_INIT;
    ic_update_encode(&again, &d);
    CHECK(again.len == with.len && memcmp(again.data, with.data, with.len) == 0);
    ic_update_free(&d);
    hbuf_free(&again);
    /* truncated anywhere in the proof */
    for (size_t cut = without.len + 1; cut < with.len; cut += 7)
        CHECK_ERR(ic_update_decode(with.data, cut, &d, &r), HANSA_ERR_TRUNCATED);
    /* the tag: only 1 (no byte at all is "none"; another byte is trailing) */
    uint8_t *p = malloc(with.len);
    memcpy(p, with.data, with.len);
    p[without.len] = 0;
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_TRAILING);
    CHECK_EQ_U64(r.err_off, without.len);
    p[without.len] = 2;
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_TRAILING);
    p[without.len] = 1;
    /* a record that is no key record (its version) at its offset */
    size_t rec_at = without.len + 1 + 8 + 4;
    p[rec_at] = 9;
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_VERSION);
    CHECK_EQ_U64(r.err_off, rec_at);
    p[rec_at] = 1;
    /* a path longer than any tree's */
    size_t plen_at = rec_at + FROST_GROUP_REC_BYTES + 96 + 16;
    CHECK_EQ_U64(p[plen_at], u.key_proof.path_len);
    p[plen_at] = MERKLE_PROOF_MAX + 1;
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_TOO_LONG);
    CHECK_EQ_U64(r.err_off, plen_at);
    p[plen_at] = (uint8_t)(u.key_proof.path_len + 1);
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_TRUNCATED);
    p[plen_at] = (uint8_t)(u.key_proof.path_len - 1);
    CHECK_ERR(ic_update_decode(p, with.len, &d, &r), HANSA_ERR_TRAILING);
    free(p);
    /* a misbehaviour holds two updates with proofs */
    hbuf m = HBUF_INIT;
    ic_misbehaviour_encode(&m, &u, &u);
    CHECK(m.len <= IC_MISBEHAVIOUR_BYTES_MAX);
    ic_update a, b;
    CHECK_ERR(ic_misbehaviour_decode(m.data, m.len, &a, &b, &r), HANSA_OK);
    CHECK(a.has_key_proof && b.has_key_proof);
    ic_update_free(&a);
    ic_update_free(&b);
    hbuf_free(&m);
    hbuf_free(&with);
    hbuf_free(&without);
    ic_update_free(&u);
    ledger_writes_free(&ws);
    forge_build(&F);
}

static double ms_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool sig_yes(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg, size_t len,
                    const hansa_sig *sig) {
    (void)ctx, (void)pk, (void)domain, (void)msg, (void)len, (void)sig;
    return true;
}
static const cert_verifier sigs_yes = {sig_yes, NULL};

/* Mean ms of ic_verify of u over RUNS runs (vf: NULL, every signature). */
static double verify_ms(const lc *l, const ic_update *u, const cert_verifier *vf) {
    enum { RUNS = 200 };
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < RUNS; k++)
        CHECK_ERR(ic_verify(&l->c.params, &l->cs[0], u, now_at(ROOT_H), true, vf, NULL, 0), HANSA_OK);
    return ms_since(&t0) / RUNS;
}

/* The figures docs/interchain.md quotes (printed, not asserted). */
static void test_sizes(void) {
    static const size_t fills[] = {100, 10000, 100000};
    hansa_hash s;
    set_hash(ROOT_H, &s);
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        ledger_writes ws = LEDGER_WRITES_INIT;
        put_key(&ws, &G1, &s, 20);
        ic_key_proof kp;
        state_at(ROOT_H, &ws, fills[i], &kp);
        ic_update u;
        forge_update(&F, 0, ROOT_H, 0, &u);
        hbuf plain = HBUF_INIT, with = HBUF_INIT;
        ic_update_encode(&plain, &u);
        u.has_key_proof = true;
        u.key_proof = kp;
        ic_update_encode(&with, &u);
        lc l;
        lc_init(&l, NULL);
        double with_ms = verify_ms(&l, &u, NULL), proof_ms = verify_ms(&l, &u, &sigs_yes);
        u.has_key_proof = false;
        double plain_ms = verify_ms(&l, &u, NULL);
        proof_ms -= verify_ms(&l, &u, &sigs_yes);
        fprintf(stderr, "  commit update (4 of 4 signing, skipping from the root) with a key proof, state of %zu "
                "records: %zu bytes (+%zu, path %u); verify %.3f ms (%.3f ms without the proof; the proof's own "
                "share %.1f us)\n", fills[i] + 1, with.len, with.len - plain.len, kp.path_len, with_ms, plain_ms,
                proof_ms * 1000);
        hbuf_free(&plain);
        hbuf_free(&with);
        ic_update_free(&u);
        ledger_writes_free(&ws);
    }
    forge_build(&F);
}

int main(void) {
    crypto_init();
    setup(check_seed("test_client_keyproof", 14));
    RUN(test_learn_then_follow);
    RUN(test_newer_key);
    RUN(test_refusals);
    RUN(test_codec);
    RUN(test_sizes);
    return check_summary();
}
