/* Tests of threshold/roast: a run finishes with a valid signature while any
 * t honest signers answer — with offline signers, signers sending bad shares
 * (named by per-share verification), slow signers and random delivery
 * order — opening at most n - t + 1 sessions; a key from the DKG signs the
 * same way; the signer persists each nonce before its commitment leaves and
 * again, as used, before its share leaves, refuses reused or foreign
 * nonces, unapproved messages, short lists and other groups, releases
 * nothing when persisting fails, and answers after a restart from its
 * persisted records. Randomized tests print their seed (HANSA_SEED). */
#include "base/assert.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "dkg_harness.h"
#include "threshold/roast.h"

static uint64_t base_seed;
static const uint8_t MSG[] = "hansa checkpoint e2e4 height 42";

/* ---- a signer's nonce store, as the node's would be ------------------------------------ */

typedef struct {
    roast_nonce_rec recs[512];
    size_t n;
    bool fail;
    int writes;
} nonce_store;

static bool store_persist(void *ctx, const roast_nonce_rec *rec) {
    nonce_store *st = ctx;
    if (st->fail) return false;
    st->writes++;
    for (size_t i = 0; i < st->n; i++)
        if (frost_point_eq(&st->recs[i].commitment.hiding, &rec->commitment.hiding) &&
            frost_point_eq(&st->recs[i].commitment.binding, &rec->commitment.binding)) {
            st->recs[i] = *rec;
            return true;
        }
    HANSA_ASSERT(st->n < 512);
    st->recs[st->n++] = *rec;
    return true;
}

static const roast_nonce_rec *store_find(const nonce_store *st, const frost_commitment *c) {
    for (size_t i = 0; i < st->n; i++)
        if (frost_point_eq(&st->recs[i].commitment.hiding, &c->hiding)) return &st->recs[i];
    return NULL;
}

static bool approve_msg(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    (void)ctx;
    return round == 42 && len == sizeof MSG && memcmp(msg, MSG, len) == 0;
}

/* ---- a dealer group and its signers ------------------------------------------------------- */

typedef struct {
    frost_group g;
    frost_scalar share[FROST_PARTICIPANTS_MAX + 1];
    nonce_store store[FROST_PARTICIPANTS_MAX + 1];
    roast_signer *signer[FROST_PARTICIPANTS_MAX + 1];
    hansa_prng prng;
    hansa_rng rng;
} team;

static team *team_new(uint16_t n, uint16_t t, uint64_t seed) {
    team *tm = hansa_calloc(1, sizeof *tm);
    prng_seed(&tm->prng, seed);
    tm->rng = prng_as_rng(&tm->prng);
    frost_scalar coeffs[FROST_PARTICIPANTS_MAX];
    for (uint16_t k = 0; k < t; k++) frost_scalar_random(&tm->rng, &coeffs[k]);
    tm->g.n = n;
    tm->g.t = t;
    HANSA_ASSERT(frost_base_mul(&coeffs[0], &tm->g.key));
    for (uint16_t i = 1; i <= n; i++) {
        frost_poly_eval(coeffs, t, i, &tm->share[i]);
        HANSA_ASSERT(frost_base_mul(&tm->share[i], &tm->g.shares[i - 1]));
    }
    return tm;
}

static roast_signer *make_signer(team *tm, uint16_t i, const roast_nonce_rec *restored, size_t nr) {
    roast_signer_config cfg = {.group = tm->g, .id = i, .share = tm->share[i], .rng = tm->rng,
                               .ctx = &tm->store[i], .persist = store_persist,
                               .approve = approve_msg};
    return roast_signer_new(&cfg, restored, nr);
}

static void team_signers(team *tm) {
    for (uint16_t i = 1; i <= tm->g.n; i++) tm->signer[i] = make_signer(tm, i, NULL, 0);
}

static void team_free(team *tm) {
    for (uint16_t i = 1; i <= tm->g.n; i++) roast_signer_free(tm->signer[i]);
    free(tm);
}

static roast_coord *coord_for(const frost_group *g) {
    roast_coord_config cfg = {.group = *g, .round = 42, .msg = MSG, .msg_len = sizeof MSG};
    return roast_coord_new(&cfg);
}

/* ---- a run with random delivery and faults ------------------------------------------------- */

enum { HONEST = 0, OFFLINE, BAD_SHARE, SLOW };

typedef struct {
    uint16_t to; /* 0 = the coordinator */
    uint16_t from;
    uint8_t *bytes;
    size_t len;
} queued;

typedef struct {
    queued q[8192];
    size_t n;
} queue;

static void enqueue(queue *qu, uint16_t from, uint16_t to, const uint8_t *b, size_t len) {
    HANSA_ASSERT(qu->n < 8192);
    qu->q[qu->n++] = (queued){to, from, hansa_memdup(b, len), len};
}

typedef struct {
    bool done;
    uint32_t sessions;
    int blamed[FROST_PARTICIPANTS_MAX + 1];
    int refused_by_signers;
} run_result;

/* Runs ROAST with the given behaviour per signer until the coordinator is
 * done or nothing is left to deliver; SLOW signers' messages are delivered
 * last among those queued, others in random order. */
static run_result run_roast(team *tm, const int *behaviour, hansa_prng *order) {
    run_result res = {0};
    roast_coord *c = coord_for(&tm->g);
    queue *qu = hansa_calloc(1, sizeof *qu);
    for (uint16_t i = 1; i <= tm->g.n; i++) {
        hbuf b = HBUF_INIT;
        CHECK_ERR(roast_signer_commit(tm->signer[i], 42, &b), HANSA_OK);
        enqueue(qu, i, 0, b.data, b.len);
        hbuf_free(&b);
    }
    while (qu->n > 0 && !roast_coord_signature(c)) {
        size_t pick = prng_below(order, qu->n);
        /* Prefer anything that is not from or to a slow signer. */
        for (size_t tries = 0; tries < qu->n; tries++) {
            queued *cand = &qu->q[(pick + tries) % qu->n];
            uint16_t who = cand->to ? cand->to : cand->from;
            if (behaviour[who] != SLOW) {
                pick = (pick + tries) % qu->n;
                break;
            }
        }
        queued it = qu->q[pick];
        qu->q[pick] = qu->q[--qu->n];
        if (it.to == 0) {
            CHECK_ERR(roast_coord_on_message(c, it.from, it.bytes, it.len, NULL), HANSA_OK);
            const roast_out *o;
            size_t n = roast_coord_drain(c, &o);
            for (size_t k = 0; k < n; k++) {
                if (o[k].kind == ROAST_OUT_REQUEST)
                    for (size_t j = 0; j < o[k].n_to; j++) enqueue(qu, 0, o[k].to[j], o[k].bytes, o[k].len);
                else if (o[k].kind == ROAST_OUT_BLAME)
                    res.blamed[o[k].culprit]++;
                else
                    CHECK(frost_verify(&tm->g.key, MSG, sizeof MSG, &o[k].sig));
            }
        } else if (behaviour[it.to] != OFFLINE) {
            hbuf b = HBUF_INIT;
            hansa_err e = roast_signer_on_request(tm->signer[it.to], it.bytes, it.len, &b, NULL);
            if (e != HANSA_OK) res.refused_by_signers++;
            if (e == HANSA_OK && behaviour[it.to] == BAD_SHARE) {
                roast_msg m;
                CHECK_ERR(roast_msg_decode(b.data, b.len, &m, NULL), HANSA_OK);
                frost_scalar one;
                frost_id_scalar(1, &one);
                frost_scalar_add(&m.z, &one, &m.z);
                hbuf_reset(&b);
                roast_msg_encode(&b, &m);
            }
            if (e == HANSA_OK) enqueue(qu, it.to, 0, b.data, b.len);
            hbuf_free(&b);
        }
        free(it.bytes);
    }
    const frost_sig *sig = roast_coord_signature(c);
    res.done = sig != NULL;
    if (sig) CHECK(frost_verify(&tm->g.key, MSG, sizeof MSG, sig));
    res.sessions = roast_coord_sessions(c);
    for (size_t k = 0; k < qu->n; k++) free(qu->q[k].bytes);
    free(qu);
    roast_coord_free(c);
    return res;
}

static void test_all_honest(void) {
    team *tm = team_new(7, 5, base_seed);
    team_signers(tm);
    hansa_prng order;
    prng_seed(&order, base_seed + 1);
    int beh[8] = {0};
    run_result r = run_roast(tm, beh, &order);
    CHECK(r.done);
    /* Sessions open whenever t signers are ready, so a second one may start
     * before the first finishes; each unfinished one pins a signer. */
    CHECK(r.sessions <= 7 - 5 + 1);
    CHECK_EQ_U64(r.refused_by_signers, 0);
    team_free(tm);
}

/* Two of seven offline (they committed, then went silent), one of them in
 * the first session: ROAST opens a second session with responsive signers. */
static void test_offline(void) {
    team *tm = team_new(7, 5, base_seed + 2);
    team_signers(tm);
    hansa_prng order;
    prng_seed(&order, base_seed + 3);
    int beh[8] = {0, OFFLINE, 0, 0, 0, 0, 0, OFFLINE};
    run_result r = run_roast(tm, beh, &order);
    CHECK(r.done);
    CHECK(r.sessions <= 7 - 5 + 1);
    for (int i = 1; i <= 7; i++) CHECK(r.blamed[i] == 0);
    team_free(tm);
}

/* Delivers `bytes` from signer `from` and returns the coordinator's outputs. */
static size_t deliver(roast_coord *c, uint16_t from, const hbuf *b, const roast_out **o) {
    CHECK_ERR(roast_coord_on_message(c, from, b->data, b->len, NULL), HANSA_OK);
    return roast_coord_drain(c, o);
}

/* A bad share is named by per-share verification, its signer is never used
 * again, and a session of others finishes the run. */
static void test_bad_share(void) {
    team *tm = team_new(4, 3, base_seed + 4);
    team_signers(tm);
    roast_coord *c = coord_for(&tm->g);
    const roast_out *o;
    hbuf b = HBUF_INIT, req = HBUF_INIT, sh[5] = {HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT};
    size_t n = 0;
    for (uint16_t i = 1; i <= 3; i++) {
        hbuf_reset(&b);
        CHECK_ERR(roast_signer_commit(tm->signer[i], 42, &b), HANSA_OK);
        n = deliver(c, i, &b, &o);
    }
    CHECK(n == 1 && o[0].kind == ROAST_OUT_REQUEST);
    hbuf_append(&req, o[0].bytes, o[0].len);
    for (uint16_t i = 1; i <= 3; i++)
        CHECK_ERR(roast_signer_on_request(tm->signer[i], req.data, req.len, &sh[i], NULL), HANSA_OK);
    roast_msg m;
    CHECK_ERR(roast_msg_decode(sh[2].data, sh[2].len, &m, NULL), HANSA_OK);
    frost_scalar one;
    frost_id_scalar(1, &one);
    frost_scalar_add(&m.z, &one, &m.z);
    hbuf_reset(&sh[2]);
    roast_msg_encode(&sh[2], &m);
    CHECK_EQ_U64(deliver(c, 1, &sh[1], &o), 0);
    n = deliver(c, 2, &sh[2], &o);
    CHECK(n == 1 && o[0].kind == ROAST_OUT_BLAME && o[0].culprit == 2);
    CHECK_EQ_U64(deliver(c, 3, &sh[3], &o), 0); /* 1 and 3 are ready again; 2 is not */
    CHECK_ERR(roast_coord_on_message(c, 2, sh[2].data, sh[2].len, NULL), HANSA_ERR_STATE);
    hbuf_reset(&b);
    CHECK_ERR(roast_signer_commit(tm->signer[4], 42, &b), HANSA_OK);
    n = deliver(c, 4, &b, &o);
    CHECK(n == 1 && o[0].kind == ROAST_OUT_REQUEST && o[0].n_to == 3);
    for (size_t k = 0; n == 1 && k < o[0].n_to; k++) CHECK(o[0].to[k] != 2);
    hbuf_reset(&req);
    hbuf_append(&req, o[0].bytes, o[0].len);
    const uint16_t second[3] = {1, 3, 4};
    for (int k = 0; k < 3; k++) {
        hbuf_reset(&sh[second[k]]);
        CHECK_ERR(roast_signer_on_request(tm->signer[second[k]], req.data, req.len, &sh[second[k]], NULL),
                  HANSA_OK);
        n = deliver(c, second[k], &sh[second[k]], &o);
    }
    CHECK(n == 1 && o[0].kind == ROAST_OUT_DONE);
    CHECK(frost_verify(&tm->g.key, MSG, sizeof MSG, &o[0].sig));
    CHECK_EQ_U64(roast_coord_sessions(c), 2);
    hbuf_free(&b);
    hbuf_free(&req);
    for (int k = 0; k < 5; k++) hbuf_free(&sh[k]);
    roast_coord_free(c);
    team_free(tm);
}

/* More faulty than n - t: no signature, and still at most n - t + 1
 * sessions (a bounded run, not a livelock). */
static void test_too_many_faulty(void) {
    team *tm = team_new(7, 5, base_seed + 6);
    team_signers(tm);
    hansa_prng order;
    prng_seed(&order, base_seed + 7);
    int beh[8] = {0, OFFLINE, BAD_SHARE, OFFLINE, 0, 0, 0, 0};
    run_result r = run_roast(tm, beh, &order);
    CHECK(!r.done);
    CHECK(r.sessions <= 7 - 5 + 1);
    team_free(tm);
}

static void test_random_faults(void) {
    hansa_prng p;
    prng_seed(&p, base_seed + 8);
    for (int round = 0; round < 40; round++) {
        uint16_t n = (uint16_t)(2 + prng_below(&p, 14));
        uint16_t t = dkg_threshold(n);
        team *tm = team_new(n, t, base_seed + 100 + (uint64_t)round);
        team_signers(tm);
        int beh[FROST_PARTICIPANTS_MAX + 1] = {0};
        uint16_t faulty = (uint16_t)prng_below(&p, (uint64_t)(n - t + 1));
        for (uint16_t k = 0; k < faulty; k++) beh[1 + prng_below(&p, n)] = 1 + (int)prng_below(&p, 2);
        for (uint16_t i = 1; i <= n; i++)
            if (beh[i] == HONEST && prng_chance(&p, 1, 4)) beh[i] = SLOW;
        run_result r = run_roast(tm, beh, &p);
        CHECK(r.done);
        CHECK(r.sessions <= (uint32_t)(n - t + 1));
        for (uint16_t i = 1; i <= n; i++) CHECK(r.blamed[i] == 0 || beh[i] == BAD_SHARE);
        team_free(tm);
    }
}

/* The key from a DKG run signs through ROAST: the pieces fit together. */
static void test_dkg_then_roast(void) {
    net w;
    net_init(&w, 7, base_seed + 9, 3);
    net_run(&w, 45);
    const dkg_result *obs = dkg_result_get(w.s[0]);
    CHECK(obs != NULL && dkg_accepted(w.s[0]));
    if (!obs) {
        net_free(&w);
        return;
    }
    team *tm = hansa_calloc(1, sizeof *tm);
    prng_seed(&tm->prng, base_seed + 10);
    tm->rng = prng_as_rng(&tm->prng);
    tm->g = obs->group;
    for (uint16_t i = 1; i <= 7; i++) {
        tm->share[i] = dkg_result_get(w.s[i])->share;
        tm->signer[i] = make_signer(tm, i, NULL, 0);
    }
    hansa_prng order;
    prng_seed(&order, base_seed + 11);
    int beh[8] = {0, 0, OFFLINE, 0, 0, 0, 0, 0};
    run_result r = run_roast(tm, beh, &order);
    CHECK(r.done);
    team_free(tm);
    net_free(&w);
}

/* ---- the signer's nonce rules ---------------------------------------------------------------- */

/* A REQUEST for `list` (the signers' current commitments). */
static void make_request(const team *tm, const frost_commitment *list, uint16_t n, uint64_t round,
                         const uint8_t *msg, size_t len, hbuf *out) {
    roast_msg m = {.kind = ROAST_MSG_REQUEST, .group_key = tm->g.key, .round = round, .session = 0,
                   .msg = msg, .msg_len = (uint32_t)len, .n = n};
    memcpy(m.list, list, n * sizeof *list);
    hbuf_reset(out);
    roast_msg_encode(out, &m);
}

static void commit_all(team *tm, uint16_t n, frost_commitment *list) {
    for (uint16_t i = 1; i <= n; i++) {
        hbuf b = HBUF_INIT;
        roast_msg m;
        CHECK_ERR(roast_signer_commit(tm->signer[i], 42, &b), HANSA_OK);
        CHECK_ERR(roast_msg_decode(b.data, b.len, &m, NULL), HANSA_OK);
        list[i - 1] = m.commitment;
        hbuf_free(&b);
    }
}

static void test_signer_nonce_rules(void) {
    team *tm = team_new(4, 3, base_seed + 12);
    team_signers(tm);
    frost_commitment list[4];
    commit_all(tm, 3, list);
    /* Persisted FRESH, with the secret nonces, before the commitment left. */
    const roast_nonce_rec *rec = store_find(&tm->store[1], &list[0]);
    CHECK(rec && rec->state == ROAST_NONCE_FRESH && !frost_scalar_is_zero(&rec->nonces.hiding));

    hbuf req = HBUF_INIT, out = HBUF_INIT;
    const char *why = NULL;
    make_request(tm, list, 3, 42, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[1], req.data, req.len, &out, &why), HANSA_OK);
    CHECK(out.len == ROAST_SHARE_BYTES);
    /* Persisted USED, secrets wiped, before the share left; the next nonce FRESH. */
    rec = store_find(&tm->store[1], &list[0]);
    CHECK(rec && rec->state == ROAST_NONCE_USED && frost_scalar_is_zero(&rec->nonces.hiding) &&
          frost_scalar_is_zero(&rec->nonces.binding));
    roast_msg share;
    CHECK_ERR(roast_msg_decode(out.data, out.len, &share, NULL), HANSA_OK);
    rec = store_find(&tm->store[1], &share.commitment);
    CHECK(rec && rec->state == ROAST_NONCE_FRESH);

    /* The same request again: the nonce is used, refused by name. */
    hbuf_reset(&out);
    CHECK_ERR(roast_signer_on_request(tm->signer[1], req.data, req.len, &out, &why), HANSA_ERR_DUPLICATE);
    CHECK_EQ_U64(out.len, 0);
    /* Another message with the same commitments: refused too (reuse across
     * messages is what leaks the key). */
    const uint8_t other[] = "another checkpoint";
    make_request(tm, list, 3, 42, other, sizeof other, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[1], req.data, req.len, &out, &why), HANSA_ERR_DUPLICATE);

    /* A commitment that is not signer 2's. */
    frost_commitment forged[3] = {list[0], list[1], list[2]};
    forged[1].hiding = list[2].hiding;
    make_request(tm, forged, 3, 42, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    /* Fewer than t signers; a message it does not approve; another group;
     * not among the signers. */
    make_request(tm, list + 1, 2, 42, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    CHECK(why && strstr(why, "threshold"));
    make_request(tm, list, 3, 42, other, sizeof other, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    CHECK(why && strstr(why, "agree"));
    make_request(tm, list, 3, 43, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    team *other_team = team_new(4, 3, base_seed + 13);
    make_request(other_team, list, 3, 42, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    CHECK(why && strstr(why, "group"));
    free(other_team);
    make_request(tm, list, 3, 42, MSG, sizeof MSG, &req);
    CHECK_ERR(roast_signer_on_request(tm->signer[4], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    CHECK_EQ_U64(out.len, 0);

    /* Persisting fails: nothing leaves, and the nonce is not lost for it. */
    tm->store[2].fail = true;
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_ERR_IO);
    CHECK_EQ_U64(out.len, 0);
    hbuf c = HBUF_INIT;
    CHECK_ERR(roast_signer_commit(tm->signer[2], 42, &c), HANSA_ERR_IO);
    CHECK_EQ_U64(c.len, 0);
    tm->store[2].fail = false;
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &out, &why), HANSA_OK);

    /* A crash: signer 3 restarts from its persisted FRESH records and can
     * still answer the request made before the crash, once. */
    roast_nonce_rec fresh[ROAST_FRESH_MAX];
    size_t nf = 0;
    for (size_t i = 0; i < tm->store[3].n; i++)
        if (tm->store[3].recs[i].state == ROAST_NONCE_FRESH) fresh[nf++] = tm->store[3].recs[i];
    roast_signer_free(tm->signer[3]);
    tm->signer[3] = make_signer(tm, 3, fresh, nf);
    CHECK_EQ_U64(roast_signer_fresh(tm->signer[3]), nf);
    hbuf_reset(&out);
    CHECK_ERR(roast_signer_on_request(tm->signer[3], req.data, req.len, &out, &why), HANSA_OK);
    CHECK(out.len == ROAST_SHARE_BYTES);
    /* Crash again: the used record is not FRESH on disk, so it is not
     * restored, and the request is refused. */
    nf = 0;
    for (size_t i = 0; i < tm->store[3].n; i++)
        if (tm->store[3].recs[i].state == ROAST_NONCE_FRESH) fresh[nf++] = tm->store[3].recs[i];
    roast_signer_free(tm->signer[3]);
    tm->signer[3] = make_signer(tm, 3, fresh, nf);
    hbuf_reset(&out);
    CHECK_ERR(roast_signer_on_request(tm->signer[3], req.data, req.len, &out, &why), HANSA_ERR_PROTOCOL);
    CHECK_EQ_U64(out.len, 0);

    /* The table of fresh nonces is bounded. */
    size_t k = roast_signer_fresh(tm->signer[4]);
    for (; k < ROAST_FRESH_MAX; k++) {
        hbuf_reset(&c);
        CHECK_ERR(roast_signer_commit(tm->signer[4], 42, &c), HANSA_OK);
    }
    CHECK_ERR(roast_signer_commit(tm->signer[4], 42, &c), HANSA_ERR_FULL);
    hbuf_free(&c);
    hbuf_free(&req);
    hbuf_free(&out);
    team_free(tm);
}

/* ---- the coordinator's rules ---------------------------------------------------------------- */

static void test_coordinator_rules(void) {
    team *tm = team_new(4, 3, base_seed + 14);
    team_signers(tm);
    roast_coord *c = coord_for(&tm->g);
    const char *why = NULL;
    hbuf b = HBUF_INIT;
    CHECK_ERR(roast_signer_commit(tm->signer[1], 42, &b), HANSA_OK);
    /* From a link that is not the signer named inside, or outside the group. */
    CHECK_ERR(roast_coord_on_message(c, 2, b.data, b.len, &why), HANSA_ERR_PROTOCOL);
    CHECK_ERR(roast_coord_on_message(c, 5, b.data, b.len, &why), HANSA_ERR_PROTOCOL);
    CHECK_ERR(roast_coord_on_message(c, 1, b.data, b.len, &why), HANSA_OK);
    /* Another round. */
    hbuf_reset(&b);
    CHECK_ERR(roast_signer_commit(tm->signer[2], 43, &b), HANSA_OK);
    CHECK_ERR(roast_coord_on_message(c, 2, b.data, b.len, &why), HANSA_ERR_PROTOCOL);
    CHECK(why && strstr(why, "round"));
    /* Two more commitments open a session. */
    for (uint16_t i = 2; i <= 3; i++) {
        hbuf_reset(&b);
        CHECK_ERR(roast_signer_commit(tm->signer[i], 42, &b), HANSA_OK);
        CHECK_ERR(roast_coord_on_message(c, i, b.data, b.len, &why), HANSA_OK);
    }
    const roast_out *o;
    size_t n = roast_coord_drain(c, &o);
    CHECK_EQ_U64(n, 1);
    CHECK(o[0].kind == ROAST_OUT_REQUEST && o[0].n_to == 3);
    hbuf req = HBUF_INIT;
    hbuf_append(&req, o[0].bytes, o[0].len);
    /* A REQUEST sent to the coordinator; a share for a session 4 is not in. */
    CHECK_ERR(roast_coord_on_message(c, 1, req.data, req.len, &why), HANSA_ERR_PROTOCOL);
    hbuf s1 = HBUF_INIT, s2 = HBUF_INIT, s3 = HBUF_INIT;
    CHECK_ERR(roast_signer_on_request(tm->signer[1], req.data, req.len, &s1, NULL), HANSA_OK);
    CHECK_ERR(roast_signer_on_request(tm->signer[2], req.data, req.len, &s2, NULL), HANSA_OK);
    CHECK_ERR(roast_signer_on_request(tm->signer[3], req.data, req.len, &s3, NULL), HANSA_OK);
    CHECK_ERR(roast_coord_on_message(c, 1, s1.data, s1.len, &why), HANSA_OK);
    CHECK_ERR(roast_coord_on_message(c, 1, s1.data, s1.len, &why), HANSA_ERR_DUPLICATE);
    CHECK_ERR(roast_coord_on_message(c, 2, s2.data, s2.len, &why), HANSA_OK);
    CHECK(roast_coord_signature(c) == NULL);
    CHECK_ERR(roast_coord_on_message(c, 3, s3.data, s3.len, &why), HANSA_OK);
    const frost_sig *sig = roast_coord_signature(c);
    CHECK(sig && frost_verify(&tm->g.key, MSG, sizeof MSG, sig));
    n = roast_coord_drain(c, &o);
    CHECK(n == 1 && o[0].kind == ROAST_OUT_DONE);
    CHECK_ERR(roast_coord_on_message(c, 3, s3.data, s3.len, &why), HANSA_ERR_STATE);
    hbuf_free(&b);
    hbuf_free(&req);
    hbuf_free(&s1);
    hbuf_free(&s2);
    hbuf_free(&s3);
    roast_coord_free(c);
    team_free(tm);
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_roast", 2022);
    RUN(test_all_honest);
    RUN(test_offline);
    RUN(test_bad_share);
    RUN(test_too_many_faulty);
    RUN(test_random_faults);
    RUN(test_dkg_then_roast);
    RUN(test_signer_nonce_rules);
    RUN(test_coordinator_rules);
    return check_summary();
}
