/* Tests of threshold/dkg: honest runs give every participant and the
 * observer the same group key, shares that sign; then one test per cheat —
 * wrong threshold (both directions), a proof of knowledge that is not bound
 * to the session or the dealer (rogue key, replay), a bad share, a missing
 * share answered and unanswered, equivocating commitments (on the channel,
 * and to different parties), a share bound to a commitment that was not
 * broadcast, unknown participants and forged senders, replay across
 * sessions, false and forged complaints, late messages, too many cheaters;
 * then a randomized mix of cheats under the fault budget. Randomized tests
 * print their seed; replay with HANSA_SEED. */
#include "base/mem.h"
#include "dkg_harness.h"

static uint64_t base_seed;

/* Every id in 1..n that finished with a share; returns how many. */
static size_t holders(net *w, uint16_t *ids) {
    size_t m = 0;
    for (uint16_t i = 1; i <= w->n; i++) {
        const dkg_result *r = dkg_result_get(w->s[i]);
        if (r && r->has_share) ids[m++] = i;
    }
    return m;
}

/* The common checks after a run that must succeed: all agree, all accepted,
 * QUAL as expected, and t-subsets (first and last t holders) sign. */
static void expect_success(net *w, uint16_t expect_qual) {
    frost_point key;
    CHECK(net_all_agree(w, &key));
    uint16_t t = dkg_threshold(w->n);
    for (uint16_t i = 0; i <= w->n; i++) {
        CHECK(w->done[i]);
        CHECK(w->accepted[i]);
        CHECK(!w->failed[i]);
        const dkg_result *r = dkg_result_get(w->s[i]);
        if (!r) continue;
        CHECK_EQ_U64(r->qual_count, expect_qual);
        CHECK_EQ_U64(r->group.t, t);
        CHECK(r->has_share == (i != 0));
    }
    uint16_t ids[H_MAX];
    size_t m = holders(w, ids);
    CHECK_EQ_U64(m, w->n);
    if (m >= t) {
        CHECK(net_sign(w, ids, t));
        CHECK(net_sign(w, ids + (m - t), t));
    }
}

static void test_honest(void) {
    const uint16_t sizes[] = {1, 2, 4, 7, 10};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        net w;
        net_init(&w, sizes[k], base_seed + k, 1);
        net_run(&w, 45);
        expect_success(&w, sizes[k]);
        for (uint16_t i = 0; i <= w.n; i++)
            for (uint16_t c = 1; c <= w.n; c++)
                for (int b = 0; b < 8; b++) CHECK(w.blames[i][c][b] == 0);
        /* The observer never dealt and holds no share, but has every
         * verification share, identical to the participants' own. */
        const dkg_result *obs = dkg_result_get(w.s[0]);
        CHECK(obs && !obs->has_share);
        for (uint16_t i = 1; obs && i <= w.n; i++) {
            frost_point y;
            const dkg_result *r = dkg_result_get(w.s[i]);
            CHECK(frost_base_mul(&r->share, &y));
            CHECK(frost_point_eq(&y, &obs->group.shares[i - 1]));
        }
        net_free(&w);
    }
    CHECK_EQ_U64(dkg_threshold(32), 22);
    CHECK_EQ_U64(dkg_threshold(7), 5);
    CHECK_EQ_U64(dkg_threshold(4), 3);
    CHECK_EQ_U64(dkg_threshold(3), 3);
    CHECK_EQ_U64(dkg_threshold(1), 1);
}

/* ---- cheating dealers: their COMMIT ----------------------------------------------- */

typedef struct {
    uint16_t cheater;
    int mode;
    uint16_t victim;
} cheat;

enum {
    CHEAT_RAISE_T = 1,   /* one commitment more than t */
    CHEAT_LOWER_T,       /* one fewer */
    CHEAT_POK_NO_CONTEXT,/* a proof without the session id (the plain frost-rs form) */
    CHEAT_COPY_POK,      /* another dealer's commitments and proof as its own */
    CHEAT_EQUIVOCATE,    /* a second, different COMMIT on the channel */
    CHEAT_SPLIT_VIEW,    /* COMMIT A to some, B to others (a broken broadcast) */
    CHEAT_BAD_SHARE,     /* a wrong share, properly signed, to the victim */
    CHEAT_DROP_SHARE,    /* no share to the victim; answers the complaint */
    CHEAT_SILENT,        /* no share to the victim and no REVEAL */
    CHEAT_OTHER_COMMIT,  /* the victim's share signed for another COMMIT */
    CHEAT_BAD_REVEAL,    /* no share to the victim, then a wrong REVEAL */
};

/* Rewrites the cheater's COMMIT in the ways above. */
static void rewrite_commit(net *w, cheat *c, dkg_msg *m, hbuf *out) {
    dkg_commit_body *cb = &m->u.commit;
    frost_scalar coeffs[H_MAX + 1];
    switch (c->mode) {
    case CHEAT_RAISE_T:
    case CHEAT_LOWER_T: {
        uint16_t t = (uint16_t)(cb->t + (c->mode == CHEAT_RAISE_T ? 1 : -1));
        for (uint16_t k = 0; k < t; k++) frost_scalar_random(&w->rng, &coeffs[k]);
        CHECK(frost_poly_commit(coeffs, t, cb->commits));
        cb->t = t;
        frost_pok_prove(&w->rng, c->cheater, m->session.b, 32, &coeffs[0], &cb->commits[0], &cb->pok);
        break;
    }
    case CHEAT_POK_NO_CONTEXT: {
        for (uint16_t k = 0; k < cb->t; k++) frost_scalar_random(&w->rng, &coeffs[k]);
        CHECK(frost_poly_commit(coeffs, cb->t, cb->commits));
        frost_pok_prove(&w->rng, c->cheater, NULL, 0, &coeffs[0], &cb->commits[0], &cb->pok);
        break;
    }
    default: break;
    }
    net_sign_encode(w, c->cheater, m, out);
}

static tamper_action tamper_commit(net *w, uint16_t from, uint16_t to, const uint8_t *bytes, size_t len) {
    cheat *c = w->tamper_ctx;
    if (from != c->cheater && !(c->mode == CHEAT_COPY_POK && from == c->victim && to == 0))
        return TAMPER_PASS;
    dkg_msg m;
    if (to != 0 || dkg_msg_decode(bytes, len, &m, NULL) != HANSA_OK || m.kind != DKG_MSG_COMMIT)
        return TAMPER_PASS;
    hbuf out = HBUF_INIT;
    switch (c->mode) {
    case CHEAT_COPY_POK:
        if (from == c->victim) {
            /* The cheater broadcasts the victim's commitments and proof as its own. */
            m.u.commit.dealer = c->cheater;
            net_sign_encode(w, c->cheater, &m, &out);
            net_push_log(w, out.data, out.len, 0);
            hbuf_free(&out);
            return TAMPER_PASS;
        }
        hbuf_free(&out);
        return TAMPER_DROP; /* its own real COMMIT stays home */
    case CHEAT_EQUIVOCATE:
    case CHEAT_SPLIT_VIEW: {
        dkg_msg other = m;
        frost_scalar coeffs[H_MAX + 1];
        for (uint16_t k = 0; k < other.u.commit.t; k++) frost_scalar_random(&w->rng, &coeffs[k]);
        CHECK(frost_poly_commit(coeffs, other.u.commit.t, other.u.commit.commits));
        frost_pok_prove(&w->rng, c->cheater, m.session.b, 32, &coeffs[0], &other.u.commit.commits[0],
                        &other.u.commit.pok);
        net_sign_encode(w, c->cheater, &other, &out);
        if (c->mode == CHEAT_EQUIVOCATE) {
            net_push_log(w, bytes, len, 0);
            net_push_log(w, out.data, out.len, 0);
        } else {
            /* Participants 1..n/2 (and the observer) see A, the rest B. */
            uint32_t first = 1u;
            for (uint16_t i = 1; i <= w->n / 2; i++) first |= 1u << i;
            uint32_t all = (1u << (w->n + 1)) - 1;
            net_push_log(w, bytes, len, first);
            net_push_log(w, out.data, out.len, all & ~first);
        }
        hbuf_free(&out);
        return TAMPER_DROP;
    }
    default:
        rewrite_commit(w, c, &m, &out);
        net_push_log(w, out.data, out.len, 0);
        hbuf_free(&out);
        return TAMPER_DROP;
    }
}

static void run_commit_cheat(int mode, dkg_blame expect) {
    net w;
    net_init(&w, 4, base_seed + (uint64_t)mode, 1);
    cheat c = {.cheater = 2, .mode = mode, .victim = 1};
    w.tamper = tamper_commit;
    w.tamper_ctx = &c;
    net_run(&w, 45);
    /* Every participant and the observer blame the cheater; it is out of
     * QUAL; the other three still make a key (t = 3). */
    CHECK_EQ_U64(net_blamed_by_all(&w, 2, expect), w.n + 1);
    expect_success(&w, 3);
    const dkg_result *r = dkg_result_get(w.s[1]);
    CHECK(r && !dkg_bitmap_get(r->qual, 2));
    net_free(&w);
}

static void test_raise_threshold(void) { run_commit_cheat(CHEAT_RAISE_T, DKG_BLAME_BAD_COMMIT); }
static void test_lower_threshold(void) { run_commit_cheat(CHEAT_LOWER_T, DKG_BLAME_BAD_COMMIT); }
static void test_pok_unbound(void) { run_commit_cheat(CHEAT_POK_NO_CONTEXT, DKG_BLAME_BAD_COMMIT); }
static void test_equivocating_commit(void) { run_commit_cheat(CHEAT_EQUIVOCATE, DKG_BLAME_EQUIVOCATION); }

/* A rogue-key attempt: dealer 2 presents dealer 1's commitments (so its
 * constant term would be one it does not know) with 1's proof, re-signed. */
static void test_copied_pok(void) {
    net w;
    net_init(&w, 4, base_seed + 40, 1);
    cheat c = {.cheater = 2, .mode = CHEAT_COPY_POK, .victim = 1};
    w.tamper = tamper_commit;
    w.tamper_ctx = &c;
    net_run(&w, 45);
    CHECK_EQ_U64(net_blamed_by_all(&w, 2, DKG_BLAME_BAD_COMMIT), w.n + 1);
    expect_success(&w, 3);
    net_free(&w);
}

/* A broken broadcast: half the participants see COMMIT A, half B. Neither
 * half reaches the threshold of matching RESULTs, so no key is accepted
 * anywhere: two different keys are never both accepted. */
static void test_split_view(void) {
    net w;
    net_init(&w, 4, base_seed + 41, 1);
    cheat c = {.cheater = 4, .mode = CHEAT_SPLIT_VIEW};
    w.tamper = tamper_commit;
    w.tamper_ctx = &c;
    net_run(&w, 45);
    const dkg_result *a = dkg_result_get(w.s[1]), *b = dkg_result_get(w.s[3]);
    CHECK(a && b);
    if (a && b) CHECK(!hash_eq(&a->transcript, &b->transcript));
    for (uint16_t i = 0; i <= w.n; i++) CHECK(!w.accepted[i]);
    net_free(&w);
}

/* ---- cheating dealers: their shares ------------------------------------------------ */

static tamper_action tamper_share(net *w, uint16_t from, uint16_t to, const uint8_t *bytes, size_t len) {
    cheat *c = w->tamper_ctx;
    if (from != c->cheater) return TAMPER_PASS;
    dkg_msg m;
    if (dkg_msg_decode(bytes, len, &m, NULL) != HANSA_OK) return TAMPER_PASS;
    if (m.kind == DKG_MSG_REVEAL && (c->mode == CHEAT_SILENT || c->mode == CHEAT_BAD_REVEAL)) {
        if (c->mode == CHEAT_SILENT) return TAMPER_DROP;
        /* A wrong share, properly signed, in public. */
        dkg_signed_share ss = m.u.reveal.share;
        ss.share.b[0] ^= 1;
        hbuf sb = HBUF_INIT;
        dkg_share_sign_bytes(&sb, &m.session, from, m.u.reveal.recipient, &ss.commit_hash, &ss.share);
        sign_domain(&w->keys[from], DKG_SHARE_DOMAIN, sb.data, sb.len, &ss.sig);
        m.u.reveal.share = ss;
        hbuf_reset(&sb);
        dkg_msg_encode(&sb, &m);
        net_push_log(w, sb.data, sb.len, 0);
        hbuf_free(&sb);
        return TAMPER_DROP;
    }
    if (m.kind != DKG_MSG_SHARE || to != c->victim) return TAMPER_PASS;
    dkg_signed_share ss;
    CHECK(net_open_share(w, &m, &ss));
    hbuf out = HBUF_INIT;
    switch (c->mode) {
    case CHEAT_BAD_SHARE:
        ss.share.b[5] ^= 0x40;
        net_make_share(w, &m.session, from, to, &ss, &out);
        net_deliver_direct(w, to, out.data, out.len);
        break;
    case CHEAT_OTHER_COMMIT:
        ss.commit_hash.b[0] ^= 1; /* a COMMIT that was never broadcast */
        net_make_share(w, &m.session, from, to, &ss, &out);
        net_deliver_direct(w, to, out.data, out.len);
        break;
    default: break; /* DROP_SHARE, SILENT, BAD_REVEAL: nothing arrives */
    }
    hbuf_free(&out);
    return TAMPER_DROP;
}

static void run_share_cheat(int mode, dkg_blame expect, bool excluded) {
    net w;
    net_init(&w, 4, base_seed + 100 + (uint64_t)mode, 1);
    cheat c = {.cheater = 3, .mode = mode, .victim = 1};
    w.tamper = tamper_share;
    w.tamper_ctx = &c;
    net_run(&w, 45);
    if (excluded) {
        CHECK_EQ_U64(net_blamed_by_all(&w, 3, expect), w.n + 1);
        expect_success(&w, 3);
    } else {
        for (uint16_t i = 0; i <= w.n; i++)
            for (int b = 0; b < 8; b++) CHECK(w.blames[i][3][b] == 0);
        expect_success(&w, 4);
    }
    net_free(&w);
}

static void test_bad_share(void) { run_share_cheat(CHEAT_BAD_SHARE, DKG_BLAME_BAD_SHARE, true); }
/* The dealer answers the MISSING complaint with a good REVEAL: it stays. */
static void test_missing_share_revealed(void) { run_share_cheat(CHEAT_DROP_SHARE, 0, false); }
static void test_missing_share_silent(void) { run_share_cheat(CHEAT_SILENT, DKG_BLAME_NO_REVEAL, true); }
static void test_bad_reveal(void) { run_share_cheat(CHEAT_BAD_REVEAL, DKG_BLAME_BAD_REVEAL, true); }
/* A share signed for another COMMIT counts as none; the dealer's state
 * machine reveals the real one and the dealer stays. */
static void test_share_for_other_commit(void) { run_share_cheat(CHEAT_OTHER_COMMIT, 0, false); }

/* ---- complaints that are not true ---------------------------------------------------- */

static tamper_action add_false_complaint(net *w, uint16_t from, uint16_t to, const uint8_t *bytes,
                                         size_t len) {
    cheat *c = w->tamper_ctx;
    /* The accuser (c->cheater) intercepts dealer victim's share to it ... */
    if (from != c->victim || to != c->cheater) return TAMPER_PASS;
    dkg_msg m;
    if (dkg_msg_decode(bytes, len, &m, NULL) != HANSA_OK || m.kind != DKG_MSG_SHARE) return TAMPER_PASS;
    dkg_signed_share ss;
    CHECK(net_open_share(w, &m, &ss));
    /* ... and accuses the dealer with it: the good share (mode 0), or one it
     * altered, so the dealer's signature no longer covers it (mode 1). */
    if (c->mode == 1) ss.share.b[0] ^= 1;
    dkg_msg comp = {.kind = DKG_MSG_COMPLAINT, .session = m.session};
    comp.u.complaint.accuser = c->cheater;
    comp.u.complaint.dealer = c->victim;
    comp.u.complaint.reason = DKG_COMPLAINT_BAD_SHARE;
    comp.u.complaint.evidence = ss;
    hbuf out = HBUF_INIT;
    net_sign_encode(w, c->cheater, &comp, &out);
    net_push_log(w, out.data, out.len, 0);
    hbuf_free(&out);
    return TAMPER_PASS;
}

static void test_false_complaint(void) {
    for (int mode = 0; mode < 2; mode++) {
        net w;
        net_init(&w, 4, base_seed + 200 + (uint64_t)mode, 1);
        cheat c = {.cheater = 1, .mode = mode, .victim = 3};
        w.tamper = add_false_complaint;
        w.tamper_ctx = &c;
        net_run(&w, 45);
        CHECK_EQ_U64(net_blamed_by_all(&w, 1, DKG_BLAME_FALSE_COMPLAINT), w.n + 1);
        for (uint16_t i = 0; i <= w.n; i++) CHECK(w.blames[i][3][DKG_BLAME_BAD_SHARE] == 0);
        expect_success(&w, 4); /* the accused dealer stays, the accuser too */
        net_free(&w);
    }
}

/* ---- who may speak, and when ------------------------------------------------------------ */

/* Messages from outside the set, or not signed by the claimed sender, or of
 * another session (another epoch of the same chain and set), or late. */
static void test_authentication_and_replay(void) {
    net w, other;
    net_init(&w, 4, base_seed + 300, 1);
    net_init(&other, 4, base_seed + 300, 2); /* same keys, epoch 2 */
    for (uint16_t i = 0; i <= 4; i++) {
        dkg_start(other.s[i], 0);
        net_pump(&other, i);
    }
    const char *why = NULL;
    /* Replay: each of the other session's COMMITs, valid there, is refused here. */
    CHECK(other.log_len == 4);
    for (size_t k = 0; k < other.log_len; k++)
        CHECK_ERR(dkg_on_broadcast(w.s[1], other.log[k].bytes, other.log[k].len, 1, &why),
                  HANSA_ERR_PROTOCOL);
    CHECK(why && strstr(why, "session"));

    /* Start this session; take participant 2's COMMIT. */
    dkg_start(w.s[2], 0);
    const dkg_out *o;
    size_t n = dkg_drain(w.s[2], &o);
    const uint8_t *commit = NULL;
    size_t commit_len = 0;
    for (size_t k = 0; k < n; k++)
        if (o[k].kind == DKG_OUT_BROADCAST) {
            commit = hansa_memdup(o[k].bytes, o[k].len);
            commit_len = o[k].len;
        }
    CHECK(commit != NULL);
    dkg_msg m;
    CHECK_ERR(dkg_msg_decode(commit, commit_len, &m, NULL), HANSA_OK);
    hbuf out = HBUF_INIT;

    /* An unknown participant: dealer 9 of 4. */
    dkg_msg bad = m;
    bad.u.commit.dealer = 9;
    net_sign_encode(&w, 2, &bad, &out);
    CHECK_ERR(dkg_on_broadcast(w.s[1], out.data, out.len, 1, &why), HANSA_ERR_PROTOCOL);
    /* Signed by someone else (participant 3 claims to be dealer 2), or by a
     * key outside the set. */
    net_sign_encode(&w, 3, &m, &out);
    CHECK_ERR(dkg_on_broadcast(w.s[1], out.data, out.len, 1, &why), HANSA_ERR_BAD_SIG);
    hansa_keypair outsider;
    uint8_t sd[32] = {99};
    keypair_from_seed(&outsider, sd);
    hbuf sb = HBUF_INIT;
    dkg_msg_sign_bytes(&sb, &m);
    bad = m;
    sign_domain(&outsider, DKG_DOMAIN, sb.data, sb.len, &bad.u.commit.sig);
    hbuf_reset(&out);
    dkg_msg_encode(&out, &bad);
    CHECK_ERR(dkg_on_broadcast(w.s[1], out.data, out.len, 1, &why), HANSA_ERR_BAD_SIG);
    /* A SHARE on the broadcast channel, a COMMIT as a private message. */
    CHECK_ERR(dkg_on_direct(w.s[1], commit, commit_len, &why), HANSA_ERR_PROTOCOL);
    /* The genuine one counts once; a copy is a duplicate; after commit_end,
     * nothing counts. */
    CHECK_ERR(dkg_on_broadcast(w.s[1], commit, commit_len, 1, &why), HANSA_OK);
    CHECK_ERR(dkg_on_broadcast(w.s[1], commit, commit_len, 2, &why), HANSA_ERR_DUPLICATE);
    CHECK_ERR(dkg_on_broadcast(w.s[3], commit, commit_len, w.timing.commit_end, &why), HANSA_ERR_STATE);
    /* Garbage is refused with a decode error and changes nothing. */
    uint8_t junk[40] = {1, 1};
    CHECK(dkg_on_broadcast(w.s[1], junk, sizeof junk, 2, &why) != HANSA_OK);
    hbuf_free(&sb);
    hbuf_free(&out);
    free((void *)commit);
    keypair_wipe(&outsider);
    net_free(&w);
    net_free(&other);
}

/* Too many dealers missing: QUAL below t, the session fails everywhere. */
static tamper_action drop_commits(net *w, uint16_t from, uint16_t to, const uint8_t *bytes, size_t len) {
    (void)w;
    dkg_msg m;
    if (to == 0 && from >= 3 && dkg_msg_decode(bytes, len, &m, NULL) == HANSA_OK &&
        m.kind == DKG_MSG_COMMIT)
        return TAMPER_DROP;
    return TAMPER_PASS;
}

static void test_too_many_absent(void) {
    net w;
    net_init(&w, 4, base_seed + 400, 1);
    w.tamper = drop_commits;
    net_run(&w, 45);
    for (uint16_t i = 0; i <= w.n; i++) {
        CHECK(w.failed[i]);
        CHECK(!w.accepted[i]);
        CHECK(dkg_result_get(w.s[i]) == NULL);
        CHECK(w.blames[i][3][DKG_BLAME_ABSENT] == 1);
        CHECK(w.blames[i][4][DKG_BLAME_ABSENT] == 1);
    }
    net_free(&w);
}

/* ---- a random mix of cheats within the fault budget ----------------------------------------- */

typedef struct {
    cheat per[H_MAX + 1]; /* per participant; mode 0 = honest */
} mix;

static tamper_action tamper_mix(net *w, uint16_t from, uint16_t to, const uint8_t *bytes, size_t len) {
    mix *m = w->tamper_ctx;
    cheat *c = &m->per[from];
    if (c->mode == 0) return TAMPER_PASS;
    w->tamper_ctx = c;
    tamper_action a = c->mode <= CHEAT_SPLIT_VIEW ? tamper_commit(w, from, to, bytes, len)
                                                 : tamper_share(w, from, to, bytes, len);
    w->tamper_ctx = m;
    return a;
}

static void test_random_mix(void) {
    hansa_prng p;
    prng_seed(&p, base_seed + 500);
    const int modes[] = {CHEAT_RAISE_T, CHEAT_LOWER_T, CHEAT_POK_NO_CONTEXT, CHEAT_EQUIVOCATE,
                         CHEAT_BAD_SHARE, CHEAT_DROP_SHARE, CHEAT_SILENT, CHEAT_OTHER_COMMIT,
                         CHEAT_BAD_REVEAL};
    for (int round = 0; round < 12; round++) {
        uint16_t n = (uint16_t)(4 + prng_below(&p, 7)); /* 4..10 */
        uint16_t f = (uint16_t)((n - 1) / 3);
        net w;
        net_init(&w, n, base_seed + 600 + (uint64_t)round, 1);
        mix mx;
        memset(&mx, 0, sizeof mx);
        for (uint16_t k = 0; k < f; k++) {
            uint16_t who = (uint16_t)(1 + prng_below(&p, n));
            cheat *c = &mx.per[who];
            c->cheater = who;
            c->mode = modes[prng_below(&p, sizeof modes / sizeof modes[0])];
            c->victim = (uint16_t)(1 + (who % n)); /* someone else */
        }
        w.tamper = tamper_mix;
        w.tamper_ctx = &mx;
        net_run(&w, 45);
        /* The honest majority always ends with one accepted key that t
         * honest holders can sign with. */
        frost_point key;
        CHECK(net_all_agree(&w, &key));
        uint16_t honest[H_MAX], h = 0;
        for (uint16_t i = 1; i <= n; i++) {
            if (mx.per[i].mode != 0) continue;
            CHECK(w.accepted[i]);
            const dkg_result *r = dkg_result_get(w.s[i]);
            if (r && r->has_share) honest[h++] = i;
        }
        CHECK(w.accepted[0]);
        CHECK(h >= dkg_threshold(n));
        if (h >= dkg_threshold(n)) CHECK(net_sign(&w, honest, dkg_threshold(n)));
        net_free(&w);
    }
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_dkg", 2024);
    RUN(test_honest);
    RUN(test_raise_threshold);
    RUN(test_lower_threshold);
    RUN(test_pok_unbound);
    RUN(test_copied_pok);
    RUN(test_equivocating_commit);
    RUN(test_split_view);
    RUN(test_bad_share);
    RUN(test_missing_share_revealed);
    RUN(test_missing_share_silent);
    RUN(test_bad_reveal);
    RUN(test_share_for_other_commit);
    RUN(test_false_complaint);
    RUN(test_authentication_and_replay);
    RUN(test_too_many_absent);
    RUN(test_random_mix);
    return check_summary();
}
