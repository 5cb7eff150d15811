/* test_client.c — every light-client rule (interchain/client.h) against
 * hand-made commits of a forged foreign chain (ic_forge.h): sequential and
 * skipping verification across set changes, insufficient power, wrong sets,
 * expiry and clock drift, forged signatures, conflicting headers and broken
 * time monotonicity (freezing, with the double signers' evidence), history
 * pruning, and revival. */
#include "check.h"
#include "interchain/cert.h"
#include "interchain/ic_forge.h"

#define CHAIN 0xa11c
#define PERIOD 100000ull /* trusting period, ms */

static forge F;

/* The client under test and its stored states, in memory. */
typedef struct {
    ic_client c;
    ic_consensus cs[FORGE_HEIGHTS + 2];
    bool has[FORGE_HEIGHTS + 2];
    ic_evidence_list ev;
} lc;

static bool lc_get(void *ctx, uint64_t h, ic_consensus *out) {
    lc *l = ctx;
    if (h > FORGE_HEIGHTS + 1 || !l->has[h]) return false;
    *out = l->cs[h];
    return true;
}

static ic_view lc_view(lc *l) { return (ic_view){l, lc_get}; }

/* A client trusting the forge's header `root` (0: genesis), active. */
static void lc_init(lc *l, uint64_t root) {
    memset(l, 0, sizeof *l);
    ic_create cr;
    forge_root(&F, root, PERIOD, &cr);
    CHECK_ERR(ic_create_check(&cr, NULL, 0), HANSA_OK);
    l->c.params = cr.params;
    l->c.status = IC_STATUS_ACTIVE;
    l->c.n_heights = 1;
    l->c.heights[0] = root;
    ic_create_hash(&cr, &l->c.root_hash);
    l->cs[root] = cr.root;
    l->has[root] = true;
}

static void lc_apply(lc *l, const ic_plan *p) {
    for (uint16_t i = 0; i < p->n_del; i++) l->has[p->del[i]] = false;
    if (p->has_put) {
        l->cs[p->put.height] = p->put;
        l->has[p->put.height] = true;
    }
    l->c = p->client;
    if (p->n_evidence) {
        l->ev.n = p->n_evidence;
        memcpy(l->ev.ev, p->evidence, p->n_evidence * sizeof p->evidence[0]);
    }
    /* The plan keeps record and states consistent. */
    for (uint16_t i = 0; i < l->c.n_heights; i++) CHECK(l->has[l->c.heights[i]]);
}

static char why[IC_WHY_MAX];
static ic_plan plan;

/* Verifies u at now and, on success, applies the plan. */
static hansa_err lc_update(lc *l, const ic_update *u, uint64_t now) {
    ic_view v = lc_view(l);
    why[0] = 0;
    hansa_err err = ic_client_update(&l->c, &v, u, now, 7, NULL, &plan, why, sizeof why);
    if (err == HANSA_OK) lc_apply(l, &plan);
    return err;
}

static hansa_err step(lc *l, uint64_t t, uint64_t h, uint64_t signers, uint64_t now) {
    ic_update u;
    forge_update(&F, t, h, signers, &u);
    hansa_err err = lc_update(l, &u, now);
    ic_update_free(&u);
    return err;
}

static uint64_t now_at(uint64_t h) { return F.time_of[h] + 500; }

static bool why_has(const char *s) { return strstr(why, s) != NULL; }

static void reset_forge(void) {
    forge_init(&F, CHAIN, 1);
    forge_build(&F);
}

/* ---------------------------------------------------------------------------- */

static void test_sequential_across_set_changes(void) {
    reset_forge();
    forge_set_from(&F, 10, 0x3c);   /* keys 2..5 decide from height 10 */
    forge_set_from(&F, 20, 0xf00);  /* keys 8..11 from 20: nobody stays */
    forge_build(&F);
    lc l;
    lc_init(&l, 0);
    for (uint64_t h = 1; h <= 25; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    CHECK_EQ_U64(ic_client_latest(&l.c), 25);
    CHECK(hash_eq(&l.cs[25].header_hash, &F.hash[25]));
    CHECK(hash_eq(&l.cs[25].app_hash, &F.hdr[25].app_hash));
    CHECK(hash_eq(&l.cs[25].tx_root, &F.hdr[25].tx_root));
    CHECK_EQ_U64(l.cs[25].local_height, 7);
    CHECK_EQ_U64(l.cs[25].local_time_ms, now_at(25));
    /* A header of the new set, proven from before the change with that
     * set's own signatures, would need the old set's announcement: header
     * 9 announced keys 2..5, so header 10 signed by them is right, and one
     * claiming the old set is refused. */
    lc m;
    lc_init(&m, 0);
    for (uint64_t h = 1; h <= 9; h++) CHECK_ERR(step(&m, h - 1, h, 0, now_at(h)), HANSA_OK);
    forge G = F;
    forge_set_from(&G, 10, 0xf); /* a header 10 decided by the old set */
    wire_header h10;
    forge_header(&G, 10, &F.hash[9], &h10);
    ic_update u;
    forge_update_of(&G, 9, &h10, 0, 0, &u);
    CHECK_ERR(lc_update(&m, &u, now_at(10)), HANSA_ERR_INVALID);
    CHECK(why_has("wrong validator set"));
    ic_update_free(&u);
}

static void test_skipping_trust_level(void) {
    reset_forge();
    forge_set_from(&F, 10, 0x3c);  /* keys 2..5: half the old power stays */
    forge_set_from(&F, 30, 0x3c0); /* keys 6..9: none of the old set */
    forge_build(&F);
    lc l;
    lc_init(&l, 3);
    /* 3 -> 20: keys 2,3 hold 20 of the trusted set's 40 (> 1/3). */
    CHECK_ERR(step(&l, 3, 20, 0, now_at(20)), HANSA_OK);
    CHECK_EQ_U64(ic_client_latest(&l.c), 20);
    /* 3 -> 20 again with only key 2 and 4,5 signing: 10 of 40 (1/4) of the
     * trusted set, although 30 of 40 (> 2/3) of its own. */
    lc m;
    lc_init(&m, 3);
    CHECK_ERR(step(&m, 3, 20, 0x34, now_at(20)), HANSA_ERR_QUORUM);
    CHECK(why_has("trusted set"));
    /* 3 -> 35: the set was replaced entirely, nothing can be skipped. */
    CHECK_ERR(step(&m, 3, 35, 0, now_at(35)), HANSA_ERR_QUORUM);
    /* ... but 20 -> 35 with keys 2..5's successors: trusted set of 20 is
     * keys 2..5, header 35 is signed by 6..9: still nothing in common. The
     * way through is sequential (29 -> 30 is adjacent). */
    CHECK_ERR(step(&l, 20, 35, 0, now_at(35)), HANSA_ERR_QUORUM);
    for (uint64_t h = 21; h <= 30; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    CHECK_ERR(step(&l, 30, 35, 0, now_at(35)), HANSA_OK);
    /* The trusted set attached must be the announced one. */
    ic_update u;
    forge_update(&F, 35, 40, 0, &u);
    wire_valset_free(&u.trusted_vals);
    forge_valset(&F, 3, &u.trusted_vals);
    CHECK_ERR(lc_update(&l, &u, now_at(40)), HANSA_ERR_INVALID);
    CHECK(why_has("wrong trusted set"));
    /* and must be there when skipping, and absent when adjacent */
    wire_valset_free(&u.trusted_vals);
    u.has_trusted_vals = false;
    CHECK_ERR(lc_update(&l, &u, now_at(40)), HANSA_ERR_INVALID);
    ic_update_free(&u);
    forge_update(&F, 35, 36, 0, &u);
    u.has_trusted_vals = true;
    forge_valset(&F, 36, &u.trusted_vals);
    CHECK_ERR(lc_update(&l, &u, now_at(36)), HANSA_ERR_INVALID);
    ic_update_free(&u);
}

static void test_insufficient_power(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    /* 2 of 4 equal powers is exactly 1/2: not more than 2/3 */
    CHECK_ERR(step(&l, 0, 1, 0x3, now_at(1)), HANSA_ERR_QUORUM);
    CHECK(why_has("more than 2/3"));
    CHECK_ERR(step(&l, 0, 1, 0x7, now_at(1)), HANSA_OK);
    /* Unequal powers: key 0 holds 60 of 90, exactly 2/3: not more ... */
    forge_set_from(&F, 5, 0xf);
    for (uint64_t h = 5; h <= FORGE_HEIGHTS + 1; h++) {
        F.set_of[h].power[0] = 60;
        F.set_of[h].power[1] = F.set_of[h].power[2] = F.set_of[h].power[3] = 10;
    }
    forge_build(&F);
    lc m;
    lc_init(&m, 4);
    CHECK_ERR(step(&m, 4, 5, 0x1, now_at(5)), HANSA_ERR_QUORUM);
    /* ... with one more (70 of 90) it is. */
    CHECK_ERR(step(&m, 4, 5, 0x3, now_at(5)), HANSA_OK);
    /* No signature at all */
    CHECK_ERR(step(&m, 5, 6, 1ull << 20, now_at(6)), HANSA_ERR_QUORUM);
}

static void test_wrong_set_and_binding(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    ic_update u;
    /* the set given does not hash to the header's validators_hash */
    forge_update(&F, 0, 1, 0, &u);
    u.vals.v[0].power = 11;
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_INVALID);
    CHECK(why_has("does not hash"));
    ic_update_free(&u);
    /* the commit signs another block */
    forge_update(&F, 0, 1, 0, &u);
    u.commit.block.b[0] ^= 1;
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_INVALID);
    CHECK(why_has("another block"));
    ic_update_free(&u);
    /* another chain's header */
    forge other;
    forge_init(&other, CHAIN + 1, 1);
    forge_build(&other);
    forge_update(&other, 0, 1, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_WRONG_CHAIN);
    ic_update_free(&u);
    /* an unknown certificate kind */
    forge_update(&F, 0, 1, 0, &u);
    u.cert_kind = 3;
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_INVALID);
    u.cert_kind = IC_CERT_COMMIT;
    /* the proper one passes, then header 2 must link to header 1 */
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_OK);
    ic_update_free(&u);
    wire_header h2 = F.hdr[2];
    h2.prev_block.b[5] ^= 1;
    forge_update_of(&F, 1, &h2, 0, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_INVALID);
    CHECK(why_has("prev_block"));
    ic_update_free(&u);
    /* not above the trusted height */
    CHECK_ERR(step(&l, 1, 1, 0, now_at(2)), HANSA_ERR_DUPLICATE);
    forge_update(&F, 1, 1, 0, &u);
    u.trusted_height = 1;
    ic_consensus t;
    lc_get(&l, 1, &t);
    CHECK_ERR(ic_verify(&l.c.params, &t, &u, now_at(2), true, NULL, why, sizeof why), HANSA_ERR_INVALID);
    CHECK(why_has("not above"));
    ic_update_free(&u);
    /* a trusted height the client does not keep */
    CHECK_ERR(step(&l, 5, 9, 0, now_at(9)), HANSA_ERR_NOT_FOUND);
}

static void test_expired_and_future(void) {
    reset_forge();
    lc l;
    lc_init(&l, 2);
    /* trusted time + period == now is expired already */
    uint64_t expiry = F.time_of[2] + PERIOD;
    CHECK_ERR(step(&l, 2, 3, 0, expiry), HANSA_ERR_STATE);
    CHECK(why_has("expired"));
    ic_view v = lc_view(&l);
    CHECK(ic_client_expired(&l.c, &v, expiry));
    CHECK(!ic_client_expired(&l.c, &v, expiry - 1));
    CHECK_ERR(step(&l, 2, 3, 0, expiry - 1), HANSA_OK);
    /* A header more than max_clock_drift (10 s) ahead of our time. */
    CHECK_ERR(step(&l, 3, 4, 0, F.time_of[4] - 10000), HANSA_ERR_INVALID);
    CHECK(why_has("future"));
    CHECK_ERR(step(&l, 3, 4, 0, F.time_of[4] - 9999), HANSA_OK);
    /* A header whose time is not after the trusted one */
    forge G = F;
    G.time_of[5] = G.time_of[4];
    wire_header h5;
    forge_header(&G, 5, &F.hash[4], &h5);
    ic_update u;
    forge_update_of(&G, 4, &h5, 0, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(5)), HANSA_ERR_INVALID);
    CHECK(why_has("not after"));
    ic_update_free(&u);
}

static void test_forged_signatures(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    ic_update u;
    forge_update(&F, 0, 1, 0, &u);
    u.commit.sigs[2].sig.b[10] ^= 0x40;
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_BAD_SIG);
    CHECK(why_has("signature 2"));
    ic_update_free(&u);
    /* A key outside the set signs in the place of member 0. */
    forge_update(&F, 0, 1, 0, &u);
    wire_vote v;
    wire_commit_vote(&u.commit, 0, &u.vals.v[0].pubkey, &v);
    hbuf sb = HBUF_INIT;
    wire_vote_sign_bytes(&sb, &v);
    sign_domain(&F.keys[30], SIGN_DOMAIN_VOTE, sb.data, sb.len, &u.commit.sigs[0].sig);
    hbuf_free(&sb);
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_BAD_SIG);
    CHECK(l.c.n_heights == 1); /* nothing stored */
    ic_update_free(&u);
    /* Unsorted signer indices are a malformed commit. */
    forge_update(&F, 0, 1, 0, &u);
    wire_commit_sig t = u.commit.sigs[0];
    u.commit.sigs[0] = u.commit.sigs[1];
    u.commit.sigs[1] = t;
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_NONCANONICAL);
    ic_update_free(&u);
}

/* Header h of a fork: same height and set, another app hash. */
static void fork_header(uint64_t h, wire_header *out) {
    *out = F.hdr[h];
    out->app_hash.b[1] ^= 0xff;
}

static void test_conflicting_header_freezes(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    for (uint64_t h = 1; h <= 5; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    /* The same header again is a duplicate, not misbehaviour. */
    CHECK_ERR(step(&l, 4, 5, 0, now_at(5)), HANSA_ERR_DUPLICATE);
    /* A forged (invalid) conflicting header changes nothing. */
    wire_header f5;
    fork_header(5, &f5);
    ic_update u;
    forge_update_of(&F, 4, &f5, 0x3, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(5)), HANSA_ERR_QUORUM);
    CHECK_EQ_U64(l.c.status, IC_STATUS_ACTIVE);
    ic_update_free(&u);
    /* A valid one freezes the client. */
    forge_update_of(&F, 4, &f5, 0, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(5)), HANSA_OK);
    CHECK(plan.frozen_now);
    CHECK_EQ_U64(l.c.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(l.c.freeze_reason, IC_FREEZE_CONFLICT);
    CHECK_EQ_U64(l.c.frozen_height, 5);
    CHECK(hash_eq(&l.cs[5].header_hash, &F.hash[5])); /* the stored one stays */
    ic_update_free(&u);
    /* and then refuses everything */
    CHECK_ERR(step(&l, 5, 6, 0, now_at(6)), HANSA_ERR_STATE);
    CHECK(why_has("frozen"));
}

static void test_misbehaviour_evidence(void) {
    reset_forge();
    forge_set_from(&F, 1, 0x1f); /* 5 validators */
    forge_build(&F);
    lc l;
    lc_init(&l, 0);
    for (uint64_t h = 1; h <= 3; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    /* Keys 0..3 sign header 6 and a fork of it in round 2; key 4 signs the
     * real one only. Both proven from height 3 by skipping. */
    wire_header f6;
    fork_header(6, &f6);
    ic_update a, b;
    forge_update_of(&F, 3, &F.hdr[6], 0x1f, 2, &a);
    forge_update_of(&F, 3, &f6, 0x0f, 2, &b);
    ic_view v = lc_view(&l);
    /* the same header twice is not misbehaviour */
    CHECK_ERR(ic_client_misbehaviour(&l.c, &v, &a, &a, now_at(6), 9, NULL, &plan, why, sizeof why),
              HANSA_ERR_INVALID);
    /* one side forged: refused with its reason */
    b.commit.sigs[1].sig.b[0] ^= 1;
    CHECK_ERR(ic_client_misbehaviour(&l.c, &v, &a, &b, now_at(6), 9, NULL, &plan, why, sizeof why),
              HANSA_ERR_BAD_SIG);
    CHECK(why_has("header b"));
    b.commit.sigs[1].sig.b[0] ^= 1;
    CHECK_ERR(ic_client_misbehaviour(&l.c, &v, &a, &b, now_at(6), 9, NULL, &plan, why, sizeof why),
              HANSA_OK);
    CHECK_EQ_U64(plan.client.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(plan.client.freeze_reason, IC_FREEZE_CONFLICT);
    CHECK_EQ_U64(plan.client.since, 9);
    CHECK_EQ_U64(plan.n_evidence, 4);
    for (uint16_t i = 0; i < plan.n_evidence; i++) {
        const wire_evidence *ev = &plan.evidence[i];
        /* carried home, each item is ordinary duplicate-vote evidence */
        CHECK_ERR(cert_evidence_verify(ev, CHAIN), HANSA_OK);
        CHECK(pubkey_eq(&ev->a.validator, &F.keys[i].pub));
        CHECK_EQ_U64(ev->a.height, 6);
        CHECK_EQ_U64(ev->a.round, 2);
        CHECK_EQ_U64(ev->a.type, VOTE_PRECOMMIT);
    }
    lc_apply(&l, &plan);
    CHECK_ERR(ic_client_misbehaviour(&l.c, &v, &a, &b, now_at(6), 9, NULL, &plan, why, sizeof why),
              HANSA_ERR_DUPLICATE);
    ic_update_free(&a);
    ic_update_free(&b);
    /* Commits of different rounds freeze too but name nobody. */
    lc m;
    lc_init(&m, 3);
    forge_update_of(&F, 3, &F.hdr[6], 0, 0, &a);
    forge_update_of(&F, 3, &f6, 0, 1, &b);
    v = lc_view(&m);
    CHECK_ERR(ic_client_misbehaviour(&m.c, &v, &a, &b, now_at(6), 9, NULL, &plan, why, sizeof why),
              HANSA_OK);
    CHECK_EQ_U64(plan.client.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(plan.n_evidence, 0);
    ic_update_free(&a);
    ic_update_free(&b);
}

static void test_time_monotonicity(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    CHECK_ERR(step(&l, 0, 1, 0, now_at(1)), HANSA_OK);
    CHECK_ERR(step(&l, 1, 10, 0, now_at(10)), HANSA_OK);
    /* Header 5 proven from 1, but later than the stored header 10. */
    forge G = F;
    G.time_of[5] = F.time_of[10] + 1;
    wire_header h5;
    forge_header(&G, 5, &F.hash[4], &h5);
    ic_update u;
    forge_update_of(&G, 1, &h5, 0, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(10)), HANSA_OK);
    CHECK(why_has("monotonicity"));
    CHECK_EQ_U64(l.c.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(l.c.freeze_reason, IC_FREEZE_TIME);
    CHECK(!l.has[5]);
    ic_update_free(&u);
    /* As a misbehaviour transaction: heights 5 < 10 with time(5) >= time(10). */
    lc m;
    lc_init(&m, 1);
    ic_update a, b;
    forge_update_of(&G, 1, &h5, 0, 0, &a);
    forge_update(&F, 1, 10, 0, &b);
    ic_view v = lc_view(&m);
    CHECK_ERR(ic_client_misbehaviour(&m.c, &v, &b, &a, now_at(10), 9, NULL, &plan, why, sizeof why),
              HANSA_OK);
    CHECK_EQ_U64(plan.client.freeze_reason, IC_FREEZE_TIME);
    CHECK_EQ_U64(plan.client.frozen_height, 10);
    ic_update_free(&a);
    /* growing times at different heights are not misbehaviour */
    forge_update(&F, 1, 5, 0, &a);
    CHECK_ERR(ic_client_misbehaviour(&m.c, &v, &a, &b, now_at(10), 9, NULL, &plan, why, sizeof why),
              HANSA_ERR_INVALID);
    ic_update_free(&a);
    ic_update_free(&b);
}

static void test_history_pruning(void) {
    reset_forge();
    lc l;
    lc_init(&l, 0);
    const uint64_t top = IC_HISTORY_MAX + 18;
    /* headers 0.5 s apart, so that all of them fit in the trusting period */
    for (uint64_t h = 1; h <= FORGE_HEIGHTS + 1; h++) F.time_of[h] = F.time_of[0] + 500 * h;
    forge_build(&F);
    for (uint64_t h = 1; h <= top; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    /* bounded: the IC_HISTORY_MAX highest */
    CHECK_EQ_U64(l.c.n_heights, IC_HISTORY_MAX);
    CHECK_EQ_U64(l.c.heights[0], 19);
    CHECK(!l.has[18]);
    CHECK(l.has[19]);
    /* expired states go at the next update, the latest always stays */
    uint64_t later = F.time_of[top - 5] + PERIOD;  /* 0..top-5 expired, top-4.. not */
    CHECK_ERR(step(&l, top, top + 1, 0, later), HANSA_OK);
    CHECK_EQ_U64(l.c.heights[0], top - 4);
    CHECK_EQ_U64(l.c.n_heights, 6);
    for (uint64_t h = 19; h <= top - 5; h++) CHECK(!l.has[h]);
    /* An update filling a gap keeps the order. */
    lc m;
    lc_init(&m, 0);
    CHECK_ERR(step(&m, 0, 1, 0, now_at(1)), HANSA_OK);
    CHECK_ERR(step(&m, 1, 9, 0, now_at(9)), HANSA_OK);
    CHECK_ERR(step(&m, 1, 4, 0, now_at(9)), HANSA_OK);
    CHECK_EQ_U64(m.c.n_heights, 4);
    CHECK_EQ_U64(m.c.heights[2], 4);
    CHECK_EQ_U64(ic_client_latest(&m.c), 9);
}

static void test_revival(void) {
    reset_forge();
    forge_set_from(&F, 10, 0xf0); /* the set changes while the client sleeps */
    uint64_t late = F.time_of[5] + PERIOD + 1;
    /* headers from 7 on are recent at `late`; header 6 is as old as 5 */
    for (uint64_t h = 7; h <= FORGE_HEIGHTS + 1; h++) F.time_of[h] = late - 5000 + h * 10;
    forge_build(&F);
    lc l;
    lc_init(&l, 0);
    for (uint64_t h = 1; h <= 5; h++) CHECK_ERR(step(&l, h - 1, h, 0, now_at(h)), HANSA_OK);
    ic_view v = lc_view(&l);
    ic_consensus cs;
    ic_update u;
    /* A live client is updated, not revived. */
    forge_update(&F, 5, 6, 0, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, now_at(6), NULL, &cs, why, sizeof why), HANSA_ERR_STATE);
    /* Expired: updates refused ... */
    CHECK_ERR(lc_update(&l, &u, late), HANSA_ERR_STATE);
    CHECK(why_has("revived"));
    /* ... and a revival by a header that is itself too old is useless */
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, F.time_of[6] + PERIOD, NULL, &cs, why, sizeof why),
              HANSA_ERR_INVALID);
    CHECK(why_has("recent"));
    ic_update_free(&u);
    forge_update(&F, 5, 7, 0, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_OK);
    CHECK_EQ_U64(cs.height, 7);
    ic_update_free(&u);
    /* ... revival is proven from the latest height only ... */
    forge_update(&F, 4, 6, 0, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_ERR_INVALID);
    ic_update_free(&u);
    /* ... by the set the client last trusted: header 12 is signed by the
     * new set, which holds nothing of height 5's next set. */
    forge_update(&F, 5, 12, 0, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_ERR_QUORUM);
    ic_update_free(&u);
    /* ... and with every other rule: a forged signature is refused. */
    forge_update(&F, 5, 8, 0, &u);
    u.commit.sigs[0].sig.b[0] ^= 1;
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_ERR_BAD_SIG);
    u.commit.sigs[0].sig.b[0] ^= 1;
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_OK);
    ic_update_free(&u);
    /* Approved (the ledger's part): the history restarts from it. */
    ic_client_revive_plan(&l.c, &cs, 99, late, &plan);
    CHECK_EQ_U64(plan.n_del, 6);
    lc_apply(&l, &plan);
    CHECK_EQ_U64(l.c.n_heights, 1);
    CHECK_EQ_U64(ic_client_latest(&l.c), 8);
    CHECK_EQ_U64(l.c.since, 99);
    CHECK(!ic_client_expired(&l.c, &v, late));
    for (uint64_t h = 9; h <= 12; h++) CHECK_ERR(step(&l, h - 1, h, 0, late), HANSA_OK);
    /* A frozen client is revived the same way. */
    wire_header f13;
    f13 = F.hdr[13];
    CHECK_ERR(step(&l, 12, 13, 0, late), HANSA_OK);
    f13.app_hash.b[3] ^= 1;
    forge_update_of(&F, 12, &f13, 0, 0, &u);
    CHECK_ERR(lc_update(&l, &u, late), HANSA_OK);
    CHECK_EQ_U64(l.c.status, IC_STATUS_FROZEN);
    ic_update_free(&u);
    forge_update(&F, 13, 14, 0, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late, NULL, &cs, why, sizeof why), HANSA_OK);
    ic_update_free(&u);
    /* A pending client is neither updated nor revived. */
    l.c.status = IC_STATUS_PENDING;
    l.c.freeze_reason = IC_FREEZE_NONE;
    l.c.frozen_height = 0;
    CHECK_ERR(step(&l, 13, 14, 0, late), HANSA_ERR_STATE);
    CHECK(why_has("not approved"));
}

static void test_params_check(void) {
    ic_create c;
    reset_forge();
    forge_root(&F, 0, PERIOD, &c);
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_OK);
    c.params.trusting_period_ms = IC_TRUSTING_PERIOD_MIN_MS - 1;
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_ERR_INVALID);
    c.params.trusting_period_ms = IC_TRUSTING_PERIOD_MAX_MS + 1;
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_ERR_INVALID);
    c.params.trusting_period_ms = 5000;
    c.params.max_clock_drift_ms = 5001;
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_ERR_INVALID);
    c.params.max_clock_drift_ms = 5000;
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_OK);
    memset(&c.root.next_validators_hash, 0, sizeof c.root.next_validators_hash);
    CHECK_ERR(ic_create_check(&c, why, sizeof why), HANSA_ERR_INVALID);
}

int main(void) {
    crypto_init();
    RUN(test_sequential_across_set_changes);
    RUN(test_skipping_trust_level);
    RUN(test_insufficient_power);
    RUN(test_wrong_set_and_binding);
    RUN(test_expired_and_future);
    RUN(test_forged_signatures);
    RUN(test_conflicting_header_freezes);
    RUN(test_misbehaviour_evidence);
    RUN(test_time_monotonicity);
    RUN(test_history_pruning);
    RUN(test_revival);
    RUN(test_params_check);
    return check_summary();
}
