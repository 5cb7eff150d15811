/* Tests of threshold/checkpoint: a checkpoint signed by a ROAST run verifies
 * against the group key and fails for a forged signature, another height,
 * epoch, chain or key; the checkpoint, envelope and nonce-record decoders
 * accept what the encoders write and reject truncation, trailing bytes, a
 * bad version and bad fields; and a signer whose nonces live in an LMDB
 * store (store_put_roast, as node/frost_sign.c keeps them) answers a
 * request after a kill between its commitment and its share, and refuses
 * the same request after a kill that followed the share: a restart never
 * reuses a nonce; a follower moves from one key to the next by the old
 * group's handoff signature and refuses forged ones, wrong epochs and stale
 * keys. Randomized parts print their seed (HANSA_SEED). */
#include "store/tmpdir.h" /* first: it asks for nftw */

#include "base/assert.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "store/store.h"
#include "threshold/checkpoint.h"
#include "threshold/roast.h"

static uint64_t base_seed;
#define CHAIN 0x68616e73u
#define HEIGHT 42
#define EPOCH 21

typedef struct {
    frost_group g;
    frost_scalar share[5];
    hansa_prng prng;
    hansa_rng rng;
    hbuf msg;
} group4;

static void group_make(group4 *gr, uint64_t seed) {
    memset(gr, 0, sizeof *gr);
    prng_seed(&gr->prng, seed);
    gr->rng = prng_as_rng(&gr->prng);
    frost_scalar coeffs[3];
    for (int k = 0; k < 3; k++) frost_scalar_random(&gr->rng, &coeffs[k]);
    gr->g.n = 4;
    gr->g.t = 3;
    HANSA_ASSERT(frost_base_mul(&coeffs[0], &gr->g.key));
    for (uint16_t i = 1; i <= 4; i++) {
        frost_poly_eval(coeffs, 3, i, &gr->share[i]);
        HANSA_ASSERT(frost_base_mul(&gr->share[i], &gr->g.shares[i - 1]));
    }
    hansa_hash hh;
    memset(hh.b, 0xab, sizeof hh.b);
    gr->msg = (hbuf)HBUF_INIT;
    checkpoint_msg(&gr->msg, CHAIN, HEIGHT, &hh, EPOCH);
}

/* ---- a signer whose nonces are in a store ------------------------------------------------ */

typedef struct {
    store *st;
    roast_nonce_entry recs[ROAST_NONCES_MAX];
    size_t n;
    group4 *gr;
} lmdb_nonces;

static bool same(const frost_commitment *a, const frost_commitment *b) {
    return a->id == b->id && frost_point_eq(&a->hiding, &b->hiding);
}

static bool persist_lmdb(void *ctx, const roast_nonce_rec *rec) {
    lmdb_nonces *ln = ctx;
    if (rec->state == ROAST_NONCE_FRESH) {
        ln->recs[ln->n++] = (roast_nonce_entry){.epoch = EPOCH, .rec = *rec};
    } else {
        for (size_t i = 0; i < ln->n; i++)
            if (same(&ln->recs[i].rec.commitment, &rec->commitment)) ln->recs[i] = ln->recs[--ln->n];
    }
    hbuf b = HBUF_INIT;
    roast_nonces_encode(&b, ln->recs, ln->n);
    hansa_err e = store_put_roast(ln->st, b.data, b.len);
    hbuf_free(&b);
    return e == HANSA_OK;
}

static bool approve_cp(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    const lmdb_nonces *ln = ctx;
    return round == HEIGHT && len == ln->gr->msg.len && memcmp(msg, ln->gr->msg.data, len) == 0;
}

/* Persistence of the signers whose restarts are not under test. */
static bool persist_mem(void *ctx, const roast_nonce_rec *rec) {
    (void)ctx, (void)rec;
    return true;
}

/* Opens the store in dir and a signer restored from its record. */
static roast_signer *reopen(lmdb_nonces *ln, const char *dir, uint16_t id) {
    static const store_options opts = {0};
    CHECK_ERR(store_open(dir, &opts, &ln->st), HANSA_OK);
    ln->n = 0;
    hbuf b = HBUF_INIT;
    roast_nonce_rec restored[ROAST_FRESH_MAX];
    if (store_get_roast(ln->st, &b) == HANSA_OK)
        CHECK_ERR(roast_nonces_decode(b.data, b.len, ln->recs, &ln->n, NULL), HANSA_OK);
    hbuf_free(&b);
    for (size_t i = 0; i < ln->n; i++) {
        CHECK(ln->recs[i].epoch == EPOCH);
        restored[i] = ln->recs[i].rec;
    }
    roast_signer_config cfg = {.group = ln->gr->g, .id = id, .share = ln->gr->share[id],
                               .rng = ln->gr->rng, .ctx = ln, .persist = persist_lmdb,
                               .approve = approve_cp};
    return roast_signer_new(&cfg, restored, ln->n);
}

static void kill_node(lmdb_nonces *ln, roast_signer *s) {
    roast_signer_free(s);
    store_close(ln->st);
    ln->st = NULL;
}

static frost_commitment commit_of(roast_signer *s) {
    hbuf b = HBUF_INIT;
    roast_msg m;
    CHECK_ERR(roast_signer_commit(s, HEIGHT, &b), HANSA_OK);
    CHECK_ERR(roast_msg_decode(b.data, b.len, &m, NULL), HANSA_OK);
    hbuf_free(&b);
    return m.commitment;
}

static void test_restart_never_reuses(void) {
    group4 gr;
    group_make(&gr, base_seed);
    tmpdir t;
    tmpdir_make(&t);
    lmdb_nonces ln = {.gr = &gr};
    /* Two other signers, in memory. */
    roast_signer *other[2];
    for (int k = 0; k < 2; k++) {
        roast_signer_config cfg = {.group = gr.g, .id = (uint16_t)(k + 2), .share = gr.share[k + 2],
                                   .rng = gr.rng, .ctx = &ln, .persist = persist_mem,
                                   .approve = approve_cp};
        other[k] = roast_signer_new(&cfg, NULL, 0);
    }
    roast_signer *s = reopen(&ln, t.db, 1);
    roast_msg req = {.kind = ROAST_MSG_REQUEST, .group_key = gr.g.key, .round = HEIGHT,
                     .msg = gr.msg.data, .msg_len = (uint32_t)gr.msg.len, .n = 3};
    req.list[0] = commit_of(s); /* persisted FRESH, then the commitment leaves */
    for (int k = 0; k < 2; k++) req.list[k + 1] = commit_of(other[k]);
    hbuf b = HBUF_INIT;
    roast_msg_encode(&b, &req);

    /* kill -9 between the commitment and the share: the nonce comes back. */
    kill_node(&ln, s);
    s = reopen(&ln, t.db, 1);
    CHECK(ln.n == 1 && roast_signer_fresh(s) == 1);
    hbuf share = HBUF_INIT;
    const char *why = NULL;
    CHECK_ERR(roast_signer_on_request(s, b.data, b.len, &share, &why), HANSA_OK);
    CHECK(share.len == ROAST_SHARE_BYTES);
    /* The record now lists only the next commitment, never the used one. */
    CHECK(ln.n == 1 && !same(&ln.recs[0].rec.commitment, &req.list[0]));

    /* kill -9 after the share: the same request is refused. */
    kill_node(&ln, s);
    s = reopen(&ln, t.db, 1);
    hbuf_reset(&share);
    CHECK_ERR(roast_signer_on_request(s, b.data, b.len, &share, &why), HANSA_ERR_PROTOCOL);
    CHECK(share.len == 0);
    /* Forgetting old rounds empties the signer; the driver's record follows. */
    CHECK(roast_signer_forget(s, HEIGHT + 1) == 1 && roast_signer_fresh(s) == 0);
    kill_node(&ln, s);
    for (int k = 0; k < 2; k++) roast_signer_free(other[k]);
    hbuf_free(&share);
    hbuf_free(&b);
    hbuf_free(&gr.msg);
    tmpdir_remove(&t);
}

/* ---- a signed checkpoint ------------------------------------------------------------------- */

/* Signs gr's checkpoint message with signers 1..3 through a coordinator. */
static void sign_checkpoint(group4 *gr, frost_sig *sig) {
    roast_signer *s[4];
    lmdb_nonces ctx = {.gr = gr};
    roast_coord_config cc = {.group = gr->g, .round = HEIGHT, .msg = gr->msg.data,
                             .msg_len = gr->msg.len};
    roast_coord *c = roast_coord_new(&cc);
    hbuf b = HBUF_INIT;
    for (uint16_t i = 1; i <= 3; i++) {
        roast_signer_config cfg = {.group = gr->g, .id = i, .share = gr->share[i], .rng = gr->rng,
                                   .ctx = &ctx, .persist = persist_mem, .approve = approve_cp};
        s[i] = roast_signer_new(&cfg, NULL, 0);
        hbuf_reset(&b);
        CHECK_ERR(roast_signer_commit(s[i], HEIGHT, &b), HANSA_OK);
        CHECK_ERR(roast_coord_on_message(c, i, b.data, b.len, NULL), HANSA_OK);
    }
    const roast_out *o;
    size_t k = roast_coord_drain(c, &o);
    CHECK(k == 1 && o[0].kind == ROAST_OUT_REQUEST);
    hbuf req = HBUF_INIT;
    hbuf_append(&req, o[0].bytes, o[0].len);
    for (uint16_t i = 1; i <= 3; i++) {
        hbuf_reset(&b);
        CHECK_ERR(roast_signer_on_request(s[i], req.data, req.len, &b, NULL), HANSA_OK);
        CHECK_ERR(roast_coord_on_message(c, i, b.data, b.len, NULL), HANSA_OK);
    }
    CHECK(roast_coord_signature(c) != NULL);
    if (roast_coord_signature(c)) *sig = *roast_coord_signature(c);
    for (uint16_t i = 1; i <= 3; i++) roast_signer_free(s[i]);
    roast_coord_free(c);
    hbuf_free(&req);
    hbuf_free(&b);
}

static void test_checkpoint_verify(void) {
    group4 gr;
    group_make(&gr, base_seed + 1);
    checkpoint cp = {.height = HEIGHT, .epoch = EPOCH, .group_key = gr.g.key};
    memset(cp.header_hash.b, 0xab, sizeof cp.header_hash.b);
    sign_checkpoint(&gr, &cp.sig);
    CHECK(checkpoint_verify(CHAIN, &cp));
    CHECK(!checkpoint_verify(CHAIN + 1, &cp)); /* another chain */
    checkpoint bad = cp;
    bad.height++;
    CHECK(!checkpoint_verify(CHAIN, &bad));
    bad = cp;
    bad.epoch++; /* a wrong epoch */
    CHECK(!checkpoint_verify(CHAIN, &bad));
    bad = cp;
    bad.header_hash.b[0] ^= 1;
    CHECK(!checkpoint_verify(CHAIN, &bad));
    bad = cp;
    bad.group_key = gr.g.shares[0]; /* a stale or foreign key */
    CHECK(!checkpoint_verify(CHAIN, &bad));
    bad = cp;
    bad.sig.z.b[0] ^= 1; /* a forged signature (still a canonical scalar) */
    CHECK(!checkpoint_verify(CHAIN, &bad));

    /* The codec: round trip, then each kind of rejection. */
    hbuf b = HBUF_INIT;
    checkpoint_encode(&b, &cp);
    CHECK(b.len == CHECKPOINT_BYTES);
    checkpoint got;
    wire_rd r;
    CHECK_ERR(checkpoint_decode(b.data, b.len, &got, &r), HANSA_OK);
    CHECK(memcmp(&got, &cp, sizeof cp) == 0);
    CHECK_ERR(checkpoint_decode(b.data, b.len - 1, &got, NULL), HANSA_ERR_TRUNCATED);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(checkpoint_decode(b.data, b.len, &got, NULL), HANSA_ERR_TRAILING);
    b.len--;
    b.data[0] = 9;
    CHECK_ERR(checkpoint_decode(b.data, b.len, &got, &r), HANSA_ERR_VERSION);
    CHECK(r.err_off == 0 && strcmp(r.err_field, "version") == 0); /* the byte itself */
    b.data[0] = WIRE_VERSION;
    memset(b.data + 1 + 8 + 8 + 32, 0, 32); /* the identity as group key */
    CHECK_ERR(checkpoint_decode(b.data, b.len, &got, &r), HANSA_ERR_INVALID);
    CHECK(r.err_off == 1 + 8 + 8 + 32);
    hbuf_reset(&b);
    checkpoint_encode(&b, &cp);
    memset(b.data + b.len - 32, 0xff, 32); /* z >= L */
    CHECK_ERR(checkpoint_decode(b.data, b.len, &got, NULL), HANSA_ERR_NONCANONICAL);
    hbuf_free(&b);
    hbuf_free(&gr.msg);
}

static void test_envelope(void) {
    hansa_keypair kp, other;
    uint8_t seed[32] = {1};
    keypair_from_seed(&kp, seed);
    seed[0] = 2;
    keypair_from_seed(&other, seed);
    const uint8_t msg[] = {1, 2, 3, 4, 5};
    hbuf b = HBUF_INIT;
    roast_env_encode(&b, CHAIN, 3, msg, sizeof msg, &kp);
    roast_env e;
    CHECK_ERR(roast_env_decode(b.data, b.len, &e, NULL), HANSA_OK);
    CHECK(e.chain_id == CHAIN && e.from == 3 && e.msg_len == sizeof msg &&
          memcmp(e.msg, msg, sizeof msg) == 0);
    CHECK(roast_env_verify(b.data, b.len, &kp.pub));
    CHECK(!roast_env_verify(b.data, b.len, &other.pub)); /* another delegate's key */
    b.data[1 + 4 + 2 + 4] ^= 1; /* the message changed under the signature */
    CHECK(!roast_env_verify(b.data, b.len, &kp.pub));
    CHECK_ERR(roast_env_decode(b.data, b.len - 1, &e, NULL), HANSA_ERR_TRUNCATED);
    b.data[5] = 0; /* from = 0 */
    b.data[6] = 0;
    CHECK_ERR(roast_env_decode(b.data, b.len, &e, NULL), HANSA_ERR_INVALID);
    hbuf_reset(&b);
    roast_env_encode(&b, CHAIN, 3, msg, sizeof msg, &kp);
    le32_store(b.data + 7, 0); /* an empty message */
    CHECK(roast_env_decode(b.data, b.len, &e, NULL) != HANSA_OK);
    le32_store(b.data + 7, ROAST_ENV_MSG_MAX + 1);
    CHECK_ERR(roast_env_decode(b.data, b.len, &e, NULL), HANSA_ERR_TOO_LONG);
    b.data[0] = 9;
    wire_rd r;
    CHECK_ERR(roast_env_decode(b.data, b.len, &e, &r), HANSA_ERR_VERSION);
    CHECK(r.err_off == 0 && strcmp(r.err_field, "version") == 0);
    hbuf_free(&b);
}

static void test_nonce_record(void) {
    group4 gr;
    group_make(&gr, base_seed + 2);
    roast_nonce_entry recs[2];
    memset(recs, 0, sizeof recs);
    for (int i = 0; i < 2; i++) {
        recs[i].epoch = EPOCH + (uint64_t)i;
        recs[i].rec = (roast_nonce_rec){.round = 7 + (uint64_t)i, .state = ROAST_NONCE_FRESH};
        frost_commit(&gr.rng, 2, &gr.share[2], &recs[i].rec.nonces, &recs[i].rec.commitment);
    }
    hbuf b = HBUF_INIT;
    roast_nonces_encode(&b, recs, 2);
    CHECK(b.len == 1 + 2 + 2 * ROAST_NONCE_ENTRY_BYTES);
    roast_nonce_entry *got = hansa_calloc(ROAST_NONCES_MAX, sizeof *got);
    size_t n = 0;
    CHECK_ERR(roast_nonces_decode(b.data, b.len, got, &n, NULL), HANSA_OK);
    CHECK(n == 2 && memcmp(got, recs, sizeof recs) == 0);
    CHECK_ERR(roast_nonces_decode(b.data, b.len - 1, got, &n, NULL), HANSA_ERR_TRUNCATED);
    CHECK(n == 0);
    le16_store(b.data + 1, ROAST_NONCES_MAX + 1);
    CHECK_ERR(roast_nonces_decode(b.data, b.len, got, &n, NULL), HANSA_ERR_TOO_LONG);
    le16_store(b.data + 1, 2);
    memset(b.data + b.len - 32, 0, 32); /* a zero binding nonce */
    CHECK_ERR(roast_nonces_decode(b.data, b.len, got, &n, NULL), HANSA_ERR_INVALID);
    free(got);
    hbuf_free(&b);
    hbuf_free(&gr.msg);
}

/* The old group hands over to the new key; a follower that trusts the old
 * key moves to the new one by that one signature, then accepts the new
 * group's checkpoints and no longer the old group's. */
static void test_handoff_follow(void) {
    group4 a, b;
    group_make(&a, base_seed + 3);
    group_make(&b, base_seed + 4);
    handoff h = {.old_epoch = 1, .new_epoch = EPOCH, .old_key = a.g.key, .new_key = b.g.key,
                 .t = 3, .n = 4};
    hbuf_reset(&a.msg);
    handoff_msg(&a.msg, CHAIN, 1, EPOCH, &b.g.key, 3, 4);
    CHECK(a.msg.len == HANDOFF_MSG_BYTES);
    sign_checkpoint(&a, &h.sig); /* group a signs its message: the handoff */
    CHECK(handoff_verify(CHAIN, &h));

    /* The codec. */
    hbuf e = HBUF_INIT;
    handoff_encode(&e, &h);
    CHECK(e.len == HANDOFF_BYTES);
    handoff got;
    CHECK_ERR(handoff_decode(e.data, e.len, &got, NULL), HANSA_OK);
    CHECK(memcmp(&got, &h, sizeof h) == 0);
    CHECK_ERR(handoff_decode(e.data, e.len - 1, &got, NULL), HANSA_ERR_TRUNCATED);
    le64_store(e.data + 9, 1); /* new epoch not after the old one */
    CHECK_ERR(handoff_decode(e.data, e.len, &got, NULL), HANSA_ERR_INVALID);
    le64_store(e.data + 9, EPOCH);
    le16_store(e.data + 81, 5); /* t > n */
    CHECK_ERR(handoff_decode(e.data, e.len, &got, NULL), HANSA_ERR_INVALID);
    e.data[0] = 9;
    wire_rd r;
    CHECK_ERR(handoff_decode(e.data, e.len, &got, &r), HANSA_ERR_VERSION);
    CHECK(r.err_off == 0 && strcmp(r.err_field, "version") == 0);
    hbuf_free(&e);

    frost_trust t = {.chain_id = CHAIN, .epoch = 1, .key = a.g.key};
    char why[192];
    handoff bad = h;
    bad.sig.z.b[3] ^= 1; /* forged */
    CHECK_ERR(frost_trust_follow(&t, &bad, why, sizeof why), HANSA_ERR_BAD_SIG);
    bad = h;
    bad.new_key = a.g.shares[1]; /* a key the old group did not sign */
    CHECK_ERR(frost_trust_follow(&t, &bad, why, sizeof why), HANSA_ERR_BAD_SIG);
    bad = h;
    bad.old_epoch = 2; /* from an epoch the follower does not trust */
    CHECK_ERR(frost_trust_follow(&t, &bad, why, sizeof why), HANSA_ERR_STATE);
    frost_trust other = {.chain_id = CHAIN + 1, .epoch = 1, .key = a.g.key};
    CHECK_ERR(frost_trust_follow(&other, &h, why, sizeof why), HANSA_ERR_BAD_SIG); /* another chain */
    CHECK(t.epoch == 1 && frost_point_eq(&t.key, &a.g.key)); /* unchanged by refusals */

    /* A checkpoint of the old group, accepted before the handoff only. */
    checkpoint old_cp = {.height = HEIGHT, .epoch = 1, .group_key = a.g.key};
    memset(old_cp.header_hash.b, 0xab, sizeof old_cp.header_hash.b);
    hbuf_reset(&a.msg);
    checkpoint_msg(&a.msg, CHAIN, HEIGHT, &old_cp.header_hash, 1);
    sign_checkpoint(&a, &old_cp.sig);
    CHECK_ERR(frost_trust_checkpoint(&t, &old_cp, why, sizeof why), HANSA_OK);
    CHECK_ERR(frost_trust_follow(&t, &h, why, sizeof why), HANSA_OK);
    CHECK(t.epoch == EPOCH && frost_point_eq(&t.key, &b.g.key));
    CHECK_ERR(frost_trust_checkpoint(&t, &old_cp, why, sizeof why), HANSA_ERR_STATE); /* stale */
    old_cp.epoch = EPOCH; /* the old key claiming the new epoch */
    CHECK_ERR(frost_trust_checkpoint(&t, &old_cp, why, sizeof why), HANSA_ERR_STATE);
    checkpoint cp = {.height = HEIGHT, .epoch = EPOCH, .group_key = b.g.key};
    memset(cp.header_hash.b, 0xab, sizeof cp.header_hash.b);
    sign_checkpoint(&b, &cp.sig); /* b.msg is epoch EPOCH's checkpoint of HEIGHT */
    CHECK_ERR(frost_trust_checkpoint(&t, &cp, why, sizeof why), HANSA_OK);
    cp.sig.z.b[0] ^= 1;
    CHECK_ERR(frost_trust_checkpoint(&t, &cp, why, sizeof why), HANSA_ERR_BAD_SIG);
    CHECK_ERR(frost_trust_follow(&t, &h, why, sizeof why), HANSA_ERR_STATE); /* a replay */
    hbuf_free(&a.msg);
    hbuf_free(&b.msg);
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_checkpoint", 2026);
    RUN(test_checkpoint_verify);
    RUN(test_envelope);
    RUN(test_nonce_record);
    RUN(test_restart_never_reuses);
    RUN(test_handoff_follow);
    return check_summary();
}
