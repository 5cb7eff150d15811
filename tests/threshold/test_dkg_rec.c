/* Tests of threshold/dkg_rec: the key generation record a delegate keeps
 * (store_put_dkg) round-trips through an LMDB store with the previous
 * epoch's entry (version 4; version 3, without the flags 4 added, still
 * loads), a version-2 record of the older layout still
 * loads as one entry, and a torn or garbled record is refused with an
 * error that says what and where. Randomized parts print their seed
 * (HANSA_SEED). */
#include "store/tmpdir.h" /* first: it asks for nftw */

#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "store/store.h"
#include "threshold/dkg_rec.h"

static uint64_t base_seed;

/* An entry of epoch with a random seed and, if share, a random group of n
 * whose participant 1 holds the share. */
static void entry_make(hansa_rng *rng, uint64_t epoch, bool share, uint16_t n, dkg_rec_entry *e) {
    memset(e, 0, sizeof *e);
    e->epoch = epoch;
    rng_fill(rng, e->seed, sizeof e->seed);
    e->flags = DKG_REC_DONE;
    if (!share) return;
    e->flags |= DKG_REC_SHARE;
    frost_scalar k;
    frost_scalar_random(rng, &k);
    CHECK(frost_base_mul(&k, &e->group.key));
    e->group.n = n;
    e->group.t = (uint16_t)(n - n / 3);
    for (uint16_t i = 0; i < n; i++) {
        frost_scalar s;
        frost_scalar_random(rng, &s);
        if (i == 0) e->share = s;
        CHECK(frost_base_mul(&s, &e->group.shares[i]));
    }
}

static bool entry_eq(const dkg_rec_entry *a, const dkg_rec_entry *b) {
    if (a->epoch != b->epoch || a->flags != b->flags || memcmp(a->seed, b->seed, sizeof a->seed) != 0 ||
        memcmp(a->share.b, b->share.b, FROST_SCALAR_BYTES) != 0)
        return false;
    if (!(a->flags & DKG_REC_SHARE)) return true;
    if (a->group.n != b->group.n || a->group.t != b->group.t || !frost_point_eq(&a->group.key, &b->group.key))
        return false;
    for (uint16_t i = 0; i < a->group.n; i++)
        if (!frost_point_eq(&a->group.shares[i], &b->group.shares[i])) return false;
    return true;
}

/* A new epoch's seed beside the previous epoch's share: stored, read back
 * after the store is closed and opened again (a restart), equal. */
static void test_v3_round_trip(void) {
    hansa_prng p;
    prng_seed(&p, base_seed);
    hansa_rng rng = prng_as_rng(&p);
    dkg_rec *rec = calloc(1, sizeof *rec), *got = calloc(1, sizeof *got);
    entry_make(&rng, 41, false, 0, &rec->cur);
    rec->cur.flags = 0; /* dealing: the seed only */
    rec->has_prev = true;
    entry_make(&rng, 1, true, 7, &rec->prev);
    tmpdir t;
    tmpdir_make(&t);
    static const store_options opts = {0};
    store *st;
    CHECK_ERR(store_open(t.db, &opts, &st), HANSA_OK);
    hbuf b = HBUF_INIT;
    dkg_rec_encode(&b, rec);
    CHECK(b.data[0] == DKG_REC_VERSION && b.data[1] == 2);
    CHECK_ERR(store_put_dkg(st, b.data, b.len), HANSA_OK);
    store_close(st);
    hbuf_reset(&b);
    CHECK_ERR(store_open(t.db, &opts, &st), HANSA_OK);
    CHECK_ERR(store_get_dkg(st, &b), HANSA_OK);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, got, NULL), HANSA_OK);
    CHECK(got->has_prev && entry_eq(&got->cur, &rec->cur) && entry_eq(&got->prev, &rec->prev));
    /* The session of epoch 41 ended with a share too; then one entry only
     * (the handoff from epoch 1 was stored). */
    entry_make(&rng, 41, true, 32, &rec->cur);
    rec->has_prev = false;
    hbuf_reset(&b);
    dkg_rec_encode(&b, rec);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, got, NULL), HANSA_OK);
    CHECK(!got->has_prev && entry_eq(&got->cur, &rec->cur));
    store_close(st);
    tmpdir_remove(&t);
    hbuf_free(&b);
    free(rec);
    free(got);
}

/* The version-2 layout (one entry, no count), as nodes wrote it before
 * the previous epoch was kept: it loads as the latest entry. */
static void test_v2_loads(void) {
    hansa_prng p;
    prng_seed(&p, base_seed + 1);
    hansa_rng rng = prng_as_rng(&p);
    dkg_rec_entry e;
    entry_make(&rng, 25, true, 4, &e);
    hbuf b = HBUF_INIT;
    hbuf_put_u8(&b, 2);
    hbuf_put_u64(&b, e.epoch);
    hbuf_append(&b, e.seed, sizeof e.seed);
    hbuf_put_u8(&b, e.flags);
    hbuf_append(&b, e.share.b, FROST_SCALAR_BYTES);
    hbuf_put_u16(&b, e.group.n);
    hbuf_put_u16(&b, e.group.t);
    hbuf_append(&b, e.group.key.b, FROST_POINT_BYTES);
    for (uint16_t i = 0; i < e.group.n; i++) hbuf_append(&b, e.group.shares[i].b, FROST_POINT_BYTES);
    CHECK(b.len == 1 + 8 + 32 + 1 + 32 + 4 + 32 * 5); /* the size the old node wrote */
    dkg_rec *got = calloc(1, sizeof *got);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, got, NULL), HANSA_OK);
    CHECK(!got->has_prev && entry_eq(&got->cur, &e));
    /* A seed-only version-2 record (written before dealing). */
    hbuf_reset(&b);
    hbuf_put_u8(&b, 2);
    hbuf_put_u64(&b, 30);
    hbuf_append(&b, e.seed, sizeof e.seed);
    hbuf_put_u8(&b, 0);
    static const uint8_t zero[FROST_SCALAR_BYTES];
    hbuf_append(&b, zero, sizeof zero);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, got, NULL), HANSA_OK);
    CHECK(got->cur.epoch == 30 && got->cur.flags == 0 && !got->has_prev);
    hbuf_free(&b);
    free(got);
}

/* Refused with its error and a message naming the field. */
static void refused(const hbuf *b, size_t len, hansa_err want, const char *field) {
    dkg_rec *got = calloc(1, sizeof *got);
    wire_rd r;
    CHECK_ERR(dkg_rec_decode(b->data, len, got, &r), want);
    char where[128];
    rd_describe(&r, where, sizeof where);
    if (field && !strstr(where, field)) {
        fprintf(stderr, "message '%s' does not name '%s'\n", where, field);
        CHECK(false);
    }
    CHECK(got->cur.epoch == 0 && !got->has_prev); /* nothing half-read is left */
    free(got);
}

static void test_torn_and_garbled(void) {
    hansa_prng p;
    prng_seed(&p, base_seed + 2);
    hansa_rng rng = prng_as_rng(&p);
    dkg_rec *rec = calloc(1, sizeof *rec);
    entry_make(&rng, 41, true, 5, &rec->cur);
    rec->has_prev = true;
    entry_make(&rng, 1, true, 4, &rec->prev);
    hbuf b = HBUF_INIT;
    dkg_rec_encode(&b, rec);
    /* Torn: every prefix (a write cut short) is refused. */
    for (size_t len = 0; len < b.len; len++) refused(&b, len, HANSA_ERR_TRUNCATED, NULL);
    refused(&b, 0, HANSA_ERR_TRUNCATED, "version");
    refused(&b, 30, HANSA_ERR_TRUNCATED, "seed");
    hbuf_put_u8(&b, 0);
    refused(&b, b.len, HANSA_ERR_TRAILING, NULL);
    b.len--;
    /* Garbled, one field at a time. */
    size_t flags_at = 2 + 8 + 32, share_at = flags_at + 1, n_at = share_at + 32;
    b.data[0] = 5;
    refused(&b, b.len, HANSA_ERR_VERSION, "version");
    b.data[0] = DKG_REC_VERSION;
    b.data[1] = 3;
    refused(&b, b.len, HANSA_ERR_INVALID, "count");
    b.data[1] = 2;
    b.data[flags_at] = 4;
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    b.data[flags_at] = DKG_REC_SHARE; /* a share from a session that never ended */
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    b.data[flags_at] = DKG_REC_DONE | DKG_REC_SHARE;
    b.data[share_at + 31] = 0xff; /* not below the group order */
    refused(&b, b.len, HANSA_ERR_NONCANONICAL, "share");
    b.data[share_at + 31] = rec->cur.share.b[31];
    b.data[n_at] = 0;
    refused(&b, b.len, HANSA_ERR_INVALID, "n, t");
    b.data[n_at] = 5;
    b.data[n_at + 4] ^= 0xff; /* the key is no canonical element */
    refused(&b, b.len, HANSA_ERR_NONCANONICAL, "key");
    b.data[n_at + 4] ^= 0xff;
    dkg_rec *got = calloc(1, sizeof *got);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, got, NULL), HANSA_OK); /* restored */
    /* The previous entry must be older than the latest. */
    rec->prev.epoch = 41;
    hbuf_reset(&b);
    hbuf_put_u8(&b, DKG_REC_VERSION);
    hbuf_put_u8(&b, 2);
    dkg_rec one = {.cur = rec->cur};
    hbuf e = HBUF_INIT;
    dkg_rec_encode(&e, &one);
    hbuf_append(&b, e.data + 2, e.len - 2);
    hbuf_append(&b, e.data + 2, e.len - 2);
    refused(&b, b.len, HANSA_ERR_INVALID, "previous epoch");
    /* Without a share the share bytes are zero. */
    one.cur.flags = DKG_REC_DONE;
    hbuf_reset(&e);
    dkg_rec_encode(&e, &one);
    e.data[share_at] = 1;
    refused(&e, e.len, HANSA_ERR_NONCANONICAL, "share");
    hbuf_free(&e);
    hbuf_free(&b);
    free(got);
    free(rec);
}

/* The flags a record written before the share repair never has: GOT (the
 * sealed shares received while the session runs) and GROUP (a session
 * that ended without my share keeps its group) round-trip; GROUP without
 * DONE, GROUP with SHARE, and received shares out of order or of a
 * dealer 0 are refused naming the field. */
static void test_got_and_group(void) {
    hansa_prng p;
    prng_seed(&p, base_seed + 3);
    hansa_rng rng = prng_as_rng(&p);
    dkg_rec *rec = calloc(1, sizeof *rec), *back = calloc(1, sizeof *back);
    entry_make(&rng, 40, false, 4, &rec->cur);
    rec->cur.flags = DKG_REC_GOT;
    rec->cur.got_count = 3;
    for (uint8_t k = 0; k < 3; k++) {
        rec->cur.got[k].dealer = (uint16_t)(2 * k + 1);
        rng_fill(&rng, rec->cur.got[k].sealed, DKG_SEALED_BYTES);
    }
    hbuf b = HBUF_INIT;
    dkg_rec_encode(&b, rec);
    CHECK_EQ_U64(b.len, 2 + 8 + 32 + 1 + 32 + 1 + 3 * (2 + DKG_SEALED_BYTES));
    CHECK_ERR(dkg_rec_decode(b.data, b.len, back, NULL), HANSA_OK);
    CHECK(back->cur.got_count == 3 && back->cur.got[2].dealer == 5 &&
          memcmp(back->cur.got[1].sealed, rec->cur.got[1].sealed, DKG_SEALED_BYTES) == 0);
    size_t dealer1 = 2 + 8 + 32 + 1 + 32 + 1 + (2 + DKG_SEALED_BYTES); /* the second dealer's u16 */
    b.data[dealer1] = 1; /* 1 after 1 */
    refused(&b, b.len, HANSA_ERR_INVALID, "received share's dealer");
    b.data[dealer1] = 0;
    refused(&b, b.len, HANSA_ERR_INVALID, "received share's dealer");
    /* GROUP: a session that ended without my share keeps its group. */
    dkg_rec_entry *e = &rec->cur;
    entry_make(&rng, 40, true, 4, e);
    memset(e->share.b, 0, FROST_SCALAR_BYTES);
    e->flags = DKG_REC_DONE | DKG_REC_GROUP;
    hbuf_reset(&b);
    dkg_rec_encode(&b, rec);
    CHECK_ERR(dkg_rec_decode(b.data, b.len, back, NULL), HANSA_OK);
    CHECK(back->cur.flags == (DKG_REC_DONE | DKG_REC_GROUP) && back->cur.group.n == 4 &&
          frost_point_eq(&back->cur.group.shares[3], &e->group.shares[3]));
    size_t flags_at = 2 + 8 + 32;
    b.data[flags_at] = DKG_REC_GROUP; /* without DONE */
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    b.data[flags_at] = DKG_REC_DONE | DKG_REC_GROUP | DKG_REC_SHARE;
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    b.data[flags_at] = 0x10; /* unknown */
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    /* GROUP and GOT came with version 4: a version-3 record has neither
     * (a version-3 binary refuses them as garbled; they are version 4 so
     * it refuses the version instead), and otherwise loads as it was. */
    b.data[flags_at] = DKG_REC_DONE | DKG_REC_GROUP;
    b.data[0] = 3;
    refused(&b, b.len, HANSA_ERR_INVALID, "flags");
    entry_make(&rng, 40, true, 4, e);
    hbuf_reset(&b);
    dkg_rec_encode(&b, rec);
    CHECK(b.data[0] == DKG_REC_VERSION && DKG_REC_VERSION == 4);
    b.data[0] = 3;
    CHECK_ERR(dkg_rec_decode(b.data, b.len, back, NULL), HANSA_OK);
    CHECK(entry_eq(&back->cur, e));
    hbuf_free(&b);
    free(rec);
    free(back);
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_dkg_rec", 2026);
    RUN(test_v3_round_trip);
    RUN(test_v2_loads);
    RUN(test_torn_and_garbled);
    RUN(test_got_and_group);
    return check_summary();
}
