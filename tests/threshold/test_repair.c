/* Tests of threshold/repair: t holders rebuild a member's lost share without
 * showing theirs (Laing-Stinson), the member checks the result against its
 * verification share. The repaired share equals the original for random
 * sets, helper choices and delivery orders; a cheating helper makes the
 * member refuse the repair (naming the helper set); t-1 helpers cannot
 * repair (refused by every helper, and their interpolation is not the
 * share); forged, replayed and misrouted pieces are refused. Randomized
 * tests print their seed (HANSA_SEED). */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/repair.h"

static uint64_t base_seed;

typedef struct {
    frost_group g;
    frost_scalar share[FROST_PARTICIPANTS_MAX + 1];
    hansa_keypair key[FROST_PARTICIPANTS_MAX + 1];
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
    hansa_hash session;
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
        uint8_t ks[HANSA_SEED_BYTES];
        rng_fill(&tm->rng, ks, sizeof ks);
        keypair_from_seed_ed25519(&tm->key[i], ks);
        tm->members[i - 1] = tm->key[i].pub;
    }
    rng_fill(&tm->rng, tm->session.b, HANSA_HASH_BYTES);
    return tm;
}

static repair_ctx ctx_of(const team *tm) {
    return (repair_ctx){.session = tm->session, .group = &tm->g, .members = tm->members};
}

/* ---- a message queue delivered in random order ----------------------------------- */

typedef struct {
    repair_msg_kind kind;
    uint16_t to;
    uint8_t *bytes;
    size_t len;
} queued;

typedef struct {
    queued q[4096];
    size_t n;
} queue;

static void enqueue(void *arg, repair_msg_kind kind, uint16_t to, const uint8_t *b, size_t len) {
    queue *qu = arg;
    HANSA_ASSERT(qu->n < 4096);
    qu->q[qu->n++] = (queued){kind, to, hansa_memdup(b, len), len};
}

typedef struct {
    repair_status status;
    frost_scalar share;
    int refused_pieces; /* pieces a state machine refused */
} run_out;

/* Runs a repair of `target` by `helpers`; helper `liar` (0: none) uses a
 * wrong share (a cheating helper whose messages are well formed). */
static run_out run_repair(team *tm, uint16_t target, const uint16_t *helpers, uint16_t count,
                          uint16_t liar, hansa_prng *order) {
    queue *qu = hansa_calloc(1, sizeof *qu);
    repair_ctx ctx = ctx_of(tm);
    repair_helper *h[FROST_PARTICIPANTS_MAX + 1] = {0};
    run_out out = {0};
    repair_target *r = repair_target_new(&ctx, target, &tm->key[target], 7, helpers, count, enqueue, qu);
    while (qu->n) {
        size_t pick = prng_below(order, qu->n);
        queued m = qu->q[pick];
        qu->q[pick] = qu->q[--qu->n];
        const char *why = NULL;
        hansa_err e = HANSA_OK;
        if (m.kind == REPAIR_MSG_REQUEST) {
            frost_scalar s = tm->share[m.to];
            if (m.to == liar) frost_scalar_add(&s, &s, &s);
            h[m.to] = repair_helper_new(&ctx, m.to, &tm->key[m.to], &s, &tm->rng, m.bytes, m.len,
                                        enqueue, qu, &e, &why);
            CHECK(h[m.to] != NULL);
        } else if (m.kind == REPAIR_MSG_DELTA) {
            if (h[m.to] == NULL) { /* its REQUEST is still queued: deliver the piece later */
                enqueue(qu, m.kind, m.to, m.bytes, m.len);
                free(m.bytes);
                continue;
            }
            e = repair_helper_on_delta(h[m.to], m.bytes, m.len, &why);
        } else {
            CHECK_EQ_U64(m.to, target);
            e = repair_target_on_sigma(r, m.bytes, m.len, &why);
        }
        out.refused_pieces += e != HANSA_OK;
        free(m.bytes);
    }
    out.status = repair_target_status(r, &out.share);
    for (uint16_t i = 0; i <= FROST_PARTICIPANTS_MAX; i++) repair_helper_free(h[i]);
    repair_target_free(r);
    free(qu);
    return out;
}

/* count distinct helpers other than target, sorted. */
static void pick_helpers(hansa_prng *p, uint16_t n, uint16_t target, uint16_t count, uint16_t *out) {
    uint16_t pool[FROST_PARTICIPANTS_MAX], m = 0;
    for (uint16_t i = 1; i <= n; i++)
        if (i != target) pool[m++] = i;
    for (uint16_t k = 0; k < count; k++) {
        size_t j = k + prng_below(p, (uint64_t)(m - k));
        uint16_t x = pool[k];
        pool[k] = pool[j];
        pool[j] = x;
    }
    for (uint16_t k = 0; k < count; k++) out[k] = pool[k];
    for (uint16_t a = 1; a < count; a++)
        for (uint16_t b = a; b > 0 && out[b] < out[b - 1]; b--) {
            uint16_t x = out[b];
            out[b] = out[b - 1];
            out[b - 1] = x;
        }
}

/* ---- tests ------------------------------------------------------------------------- */

/* For n = 2..12 (t the consensus threshold) and 40 bigger random shapes:
 * any t others rebuild the share, byte for byte, in any delivery order. */
static void test_repaired_equals_original(void) {
    hansa_prng p;
    prng_seed(&p, base_seed);
    for (int round = 0; round < 60; round++) {
        uint16_t n = round < 11 ? (uint16_t)(round + 2) : (uint16_t)(2 + prng_below(&p, 40));
        uint16_t t = (uint16_t)(2 * n / 3 + 1);
        if (t >= n) t = (uint16_t)(n - 1); /* someone must be left to lose a share */
        team *tm = team_new(n, t, base_seed + (uint64_t)round);
        uint16_t target = (uint16_t)(1 + prng_below(&p, n)), helpers[FROST_PARTICIPANTS_MAX];
        pick_helpers(&p, n, target, t, helpers);
        run_out o = run_repair(tm, target, helpers, t, 0, &p);
        CHECK_EQ_U64(o.status, REPAIR_DONE);
        CHECK_EQ_U64(o.refused_pieces, 0);
        CHECK(memcmp(o.share.b, tm->share[target].b, FROST_SCALAR_BYTES) == 0);
        free(tm);
    }
}

/* A helper that uses a wrong share sends well-formed, well-signed pieces:
 * only the target's check against its verification share catches it, and
 * the repair is refused (the helper set is named), never used. */
static void test_cheating_helper_refused(void) {
    hansa_prng p;
    prng_seed(&p, base_seed ^ 0xc4ea7);
    for (int round = 0; round < 10; round++) {
        uint16_t n = (uint16_t)(4 + prng_below(&p, 10)), t = (uint16_t)(2 * n / 3 + 1);
        if (t >= n) t = (uint16_t)(n - 1);
        team *tm = team_new(n, t, base_seed + 100 + (uint64_t)round);
        uint16_t target = (uint16_t)(1 + prng_below(&p, n)), helpers[FROST_PARTICIPANTS_MAX];
        pick_helpers(&p, n, target, t, helpers);
        uint16_t liar = helpers[prng_below(&p, t)];
        run_out o = run_repair(tm, target, helpers, t, liar, &p);
        CHECK_EQ_U64(o.status, REPAIR_REFUSED);
        CHECK(memcmp(o.share.b, tm->share[target].b, FROST_SCALAR_BYTES) != 0);
        free(tm);
    }
}

/* t-1 holders cannot repair: every helper refuses a request naming fewer
 * than t, and the interpolation of t-1 points of the degree t-1 polynomial
 * is not the share (the check would refuse it too). */
static void test_t_minus_one_cannot(void) {
    team *tm = team_new(7, 5, base_seed + 7);
    repair_ctx ctx = ctx_of(tm);
    uint16_t helpers[4] = {2, 3, 4, 5};
    repair_msg m = {.kind = REPAIR_MSG_REQUEST, .session = tm->session, .target = 1, .round = 1, .count = 4};
    memcpy(m.helpers, helpers, sizeof helpers);
    hbuf b = HBUF_INIT;
    repair_msg_encode_unsigned(&b, &m);
    sign_domain(&tm->key[1], REPAIR_DOMAIN, b.data, b.len, &m.sig);
    hbuf_reset(&b);
    repair_msg_encode(&b, &m);
    queue *qu = hansa_calloc(1, sizeof *qu);
    for (uint16_t k = 0; k < 4; k++) {
        hansa_err e = HANSA_OK;
        const char *why = NULL;
        CHECK(repair_helper_new(&ctx, helpers[k], &tm->key[helpers[k]], &tm->share[helpers[k]], &tm->rng,
                                b.data, b.len, enqueue, qu, &e, &why) == NULL);
        CHECK_ERR(e, HANSA_ERR_PROTOCOL);
    }
    CHECK_EQ_U64(qu->n, 0); /* nothing dealt */
    /* What 4 honest helpers' pieces would add up to. */
    frost_scalar sum, all[4 * 4];
    for (uint16_t k = 0; k < 4; k++)
        CHECK_ERR(repair_split(&tm->rng, helpers, 4, helpers[k], 1, &tm->share[helpers[k]], &all[k * 4]), HANSA_OK);
    repair_sum(all, 16, &sum);
    CHECK(!repair_check(&tm->g, 1, &sum));
    CHECK(memcmp(sum.b, tm->share[1].b, FROST_SCALAR_BYTES) != 0);
    /* The same with all 5 others' worth of helpers but one: t of them work. */
    uint16_t five[5] = {2, 3, 4, 5, 6};
    frost_scalar all5[25];
    for (uint16_t k = 0; k < 5; k++)
        CHECK_ERR(repair_split(&tm->rng, five, 5, five[k], 1, &tm->share[five[k]], &all5[k * 5]), HANSA_OK);
    repair_sum(all5, 25, &sum);
    CHECK(repair_check(&tm->g, 1, &sum));
    hbuf_free(&b);
    free(qu);
    free(tm);
}

/* Requests a helper refuses: another key's session, not signed by the
 * target, a helper set without me or with the target in it, ids beyond n. */
static void test_request_rules(void) {
    team *tm = team_new(4, 3, base_seed + 11);
    repair_ctx ctx = ctx_of(tm);
    struct {
        const char *what;
        hansa_err want;
        int variant;
    } cases[] = {{"session", HANSA_ERR_PROTOCOL, 0}, {"forged", HANSA_ERR_BAD_SIG, 1},
                 {"not me", HANSA_ERR_PROTOCOL, 2}, {"beyond n", HANSA_ERR_PROTOCOL, 3},
                 {"good", HANSA_OK, 4}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        repair_msg m = {.kind = REPAIR_MSG_REQUEST, .session = tm->session, .target = 1, .round = 3,
                        .count = 3, .helpers = {2, 3, 4}};
        uint16_t signer = 1, me = 2;
        if (cases[c].variant == 0) m.session.b[0] ^= 1;
        if (cases[c].variant == 1) signer = 3;
        if (cases[c].variant == 2) m.helpers[0] = 3, m.helpers[1] = 4, m.helpers[2] = 5, me = 2;
        if (cases[c].variant == 3) m.helpers[2] = 9;
        hbuf b = HBUF_INIT;
        repair_msg_encode_unsigned(&b, &m);
        sign_domain(&tm->key[signer], REPAIR_DOMAIN, b.data, b.len, &m.sig);
        hbuf_reset(&b);
        repair_msg_encode(&b, &m);
        queue *qu = hansa_calloc(1, sizeof *qu);
        hansa_err e = HANSA_OK;
        const char *why = NULL;
        repair_helper *h = repair_helper_new(&ctx, me, &tm->key[me], &tm->share[me], &tm->rng, b.data,
                                             b.len, enqueue, qu, &e, &why);
        if (e != cases[c].want) fprintf(stderr, "  case %s: %s\n", cases[c].what, why ? why : "-");
        CHECK_ERR(e, cases[c].want);
        CHECK((h != NULL) == (cases[c].want == HANSA_OK));
        CHECK_EQ_U64(qu->n, cases[c].want == HANSA_OK ? 2 : 0); /* two DELTAs */
        for (size_t k = 0; k < qu->n; k++) free(qu->q[k].bytes);
        repair_helper_free(h);
        hbuf_free(&b);
        free(qu);
    }
    free(tm);
}

/* Pieces refused: a DELTA re-sent (duplicate), one with a flipped seal
 * byte (its signature breaks), one for another repair's round, one for
 * another helper; bytes that are no SIGMA. */
static void test_piece_rules(void) {
    team *tm = team_new(5, 4, base_seed + 13);
    repair_ctx ctx = ctx_of(tm);
    uint16_t helpers[4] = {1, 2, 3, 5};
    queue *qu = hansa_calloc(1, sizeof *qu);
    repair_target *r = repair_target_new(&ctx, 4, &tm->key[4], 9, helpers, 4, enqueue, qu);
    CHECK_EQ_U64(qu->n, 4);
    hansa_err e;
    const char *why = NULL;
    repair_helper *h1 = repair_helper_new(&ctx, 1, &tm->key[1], &tm->share[1], &tm->rng, qu->q[0].bytes,
                                          qu->q[0].len, enqueue, qu, &e, &why);
    repair_helper *h2 = repair_helper_new(&ctx, 2, &tm->key[2], &tm->share[2], &tm->rng, qu->q[1].bytes,
                                          qu->q[1].len, enqueue, qu, &e, &why);
    CHECK(h1 && h2);
    /* h1's DELTA to 2 is q[4] (h1 sent to 2, 3, 5 in order). */
    queued d = qu->q[4];
    CHECK(d.kind == REPAIR_MSG_DELTA && d.to == 2);
    uint8_t *bad = hansa_memdup(d.bytes, d.len);
    bad[100] ^= 1; /* inside the seal: signature fails first */
    CHECK_ERR(repair_helper_on_delta(h2, bad, d.len, &why), HANSA_ERR_BAD_SIG);
    memcpy(bad, d.bytes, d.len);
    bad[36] ^= 1; /* the round: another repair */
    CHECK_ERR(repair_helper_on_delta(h2, bad, d.len, &why), HANSA_ERR_PROTOCOL);
    CHECK_ERR(repair_helper_on_delta(h1, d.bytes, d.len, &why), HANSA_ERR_PROTOCOL); /* not for h1 */
    CHECK_ERR(repair_helper_on_delta(h2, d.bytes, d.len, &why), HANSA_OK);
    CHECK_ERR(repair_helper_on_delta(h2, d.bytes, d.len, &why), HANSA_ERR_DUPLICATE);
    /* Bytes that are no message do not count. */
    hbuf b = HBUF_INIT;
    hbuf_put_u8(&b, 0);
    CHECK(repair_target_on_sigma(r, b.data, b.len, &why) != HANSA_OK);
    CHECK_EQ_U64(repair_target_status(r, NULL), REPAIR_PENDING);
    hbuf_free(&b);
    free(bad);
    for (size_t k = 0; k < qu->n; k++) free(qu->q[k].bytes);
    repair_helper_free(h1);
    repair_helper_free(h2);
    repair_target_free(r);
    free(qu);
    free(tm);
}

/* A helper's admission of rounds (the target's heights): within the
 * window of my height, and REPAIR_RETRY_BLOCKS past the last one dealt
 * for. A member signing rounds r, r+1, ... by the thousand at one height
 * gets a handful dealt, then one per REPAIR_RETRY_BLOCKS; an honest
 * target asking every REPAIR_RETRY_BLOCKS of its height is always taken. */
static void test_round_admit(void) {
    CHECK(repair_round_admit(100, 100, 0));
    CHECK(repair_round_admit(100, 100 - REPAIR_ROUND_WINDOW, 0));
    CHECK(!repair_round_admit(100, 100 - REPAIR_ROUND_WINDOW - 1, 0));
    CHECK(repair_round_admit(100, 100 + REPAIR_ROUND_WINDOW, 0));
    CHECK(!repair_round_admit(100, 100 + REPAIR_ROUND_WINDOW + 1, 0));
    CHECK(repair_round_admit(3, 1, 0)); /* a chain younger than the window */
    CHECK(!repair_round_admit(100, 100, 100));                       /* a replay */
    CHECK(!repair_round_admit(100, 100 + REPAIR_RETRY_BLOCKS - 1, 100)); /* too soon */
    CHECK(repair_round_admit(100, 100 + REPAIR_RETRY_BLOCKS, 100));
    /* The flood: every round of 1..10000 at each of my heights 100..199. */
    uint32_t last = 0, dealt = 0;
    for (uint64_t h = 100; h < 200; h++)
        for (uint32_t round = 1; round <= 10000; round++)
            if (repair_round_admit(h, round, last)) last = round, dealt++;
    CHECK(dealt <= (2 * REPAIR_ROUND_WINDOW) / REPAIR_RETRY_BLOCKS + 1 + 100 / REPAIR_RETRY_BLOCKS + 1);
    /* An honest target: rounds its heights, one ask per REPAIR_RETRY_BLOCKS,
     * its height one off mine either way. */
    last = 0;
    for (uint32_t round = 50; round < 80; round += REPAIR_RETRY_BLOCKS) {
        uint64_t mine = round % 2 ? round + 1u : round - 1u;
        CHECK(repair_round_admit(mine, round, last));
        last = round;
    }
}

/* DELTAs before their REQUEST: only those for me, of my session, signed by
 * their sender are kept, one per sender; the helper made for the REQUEST
 * gets its own (others' pieces, all sent to every peer, evict nothing),
 * and each is freed once given. */
static void test_early_pieces(void) {
    team *tm = team_new(5, 3, base_seed + 17);
    repair_ctx ctx = ctx_of(tm);
    uint16_t helpers[3] = {1, 2, 3};
    queue *qu = hansa_calloc(1, sizeof *qu);
    repair_target *r = repair_target_new(&ctx, 4, &tm->key[4], 9, helpers, 3, enqueue, qu);
    hansa_err e;
    const char *why = NULL;
    /* Helpers 1 and 3 deal first: q[3..4] are 1's DELTAs (to 2, 3), q[5..6] 3's (to 1, 2). */
    repair_helper *h1 = repair_helper_new(&ctx, 1, &tm->key[1], &tm->share[1], &tm->rng, qu->q[0].bytes,
                                          qu->q[0].len, enqueue, qu, &e, &why);
    repair_helper *h3 = repair_helper_new(&ctx, 3, &tm->key[3], &tm->share[3], &tm->rng, qu->q[2].bytes,
                                          qu->q[2].len, enqueue, qu, &e, &why);
    CHECK(h1 && h3 && qu->n == 7);
    repair_early *early = hansa_calloc(1, sizeof *early);
    for (size_t k = 3; k < 7; k++) { /* all four reach helper 2: only the two for it are kept */
        hansa_err want = qu->q[k].to == 2 ? HANSA_OK : HANSA_ERR_PROTOCOL;
        CHECK_ERR(repair_early_keep(early, &ctx, 2, qu->q[k].bytes, qu->q[k].len, &why), want);
    }
    queued d = qu->q[3];
    CHECK(d.to == 2);
    uint8_t *bad = hansa_memdup(d.bytes, d.len);
    bad[100] ^= 1;
    CHECK_ERR(repair_early_keep(early, &ctx, 2, bad, d.len, &why), HANSA_ERR_BAD_SIG);
    bad[100] ^= 1;
    bad[2] ^= 1; /* another session */
    CHECK_ERR(repair_early_keep(early, &ctx, 2, bad, d.len, &why), HANSA_ERR_PROTOCOL);
    CHECK(early->from[1].len == d.len && early->from[3].len > 0 && early->from[2].len == 0);
    /* Helper 2's REQUEST comes: it takes both kept pieces and sends its SIGMA. */
    size_t before = qu->n;
    repair_helper *h2 = repair_helper_new(&ctx, 2, &tm->key[2], &tm->share[2], &tm->rng, qu->q[1].bytes,
                                          qu->q[1].len, enqueue, qu, &e, &why);
    CHECK(h2 != NULL);
    repair_early_feed(early, h2);
    CHECK(repair_helper_done(h2));
    CHECK_EQ_U64(qu->n, before + 3); /* two DELTAs and the SIGMA */
    CHECK(early->from[1].len == 0 && early->from[3].len == 0);
    repair_early_free(early);
    free(early);
    free(bad);
    for (size_t k = 0; k < qu->n; k++) free(qu->q[k].bytes);
    repair_helper_free(h1);
    repair_helper_free(h2);
    repair_helper_free(h3);
    repair_target_free(r);
    free(qu);
    free(tm);
}

/* The codec: what the encoder writes decodes to the same message; the
 * decoder refuses an unsorted helper list, the target among the helpers,
 * a DELTA to its sender and a SIGMA from the target. */
static void test_codec(void) {
    repair_msg m = {.kind = REPAIR_MSG_REQUEST, .target = 3, .round = 5, .count = 3, .helpers = {1, 2, 4}};
    hbuf b = HBUF_INIT;
    repair_msg_encode(&b, &m);
    CHECK_EQ_U64(b.len, REPAIR_REQUEST_BYTES(3));
    repair_msg back;
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_OK);
    CHECK(back.count == 3 && back.helpers[2] == 4 && back.round == 5);
    b.data[42 + 2] = 1; /* helpers 1, 1, 4 */
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_ERR_NONCANONICAL);
    b.data[42 + 2] = 3; /* helpers 1, 3, 4: the target */
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_ERR_INVALID);
    b.data[40] = 200; /* count over the maximum */
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_ERR_TOO_LONG);
    hbuf_reset(&b);
    m = (repair_msg){.kind = REPAIR_MSG_DELTA, .target = 3, .from = 1, .to = 2};
    repair_msg_encode(&b, &m);
    CHECK_EQ_U64(b.len, REPAIR_DELTA_BYTES);
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_OK);
    b.data[74] = 1; /* to = from */
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_ERR_INVALID);
    hbuf_reset(&b);
    m = (repair_msg){.kind = REPAIR_MSG_SIGMA, .target = 3, .from = 1};
    repair_msg_encode(&b, &m);
    CHECK_EQ_U64(b.len, REPAIR_SIGMA_BYTES);
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_OK);
    b.data[72] = 3; /* from the target */
    CHECK_ERR(repair_msg_decode(b.data, b.len, &back, NULL), HANSA_ERR_INVALID);
    b.data[72] = 1;
    CHECK_ERR(repair_msg_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_TRUNCATED);
    hbuf_free(&b);
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_repair", 2017);
    RUN(test_repaired_equals_original);
    RUN(test_cheating_helper_refused);
    RUN(test_t_minus_one_cannot);
    RUN(test_request_rules);
    RUN(test_piece_rules);
    RUN(test_round_admit);
    RUN(test_early_pieces);
    RUN(test_codec);
    return check_summary();
}
