/* test_engine.c — one engine driven by hand-built signed messages: each
 * upon-rule of Alg. 1, the known traps (POL rounds, values never received,
 * restarts, persist-before-release), evidence, buffering bounds and the
 * decision's commit certificate.
 *
 * The fixture: four validators of power 10 (quorum needs 3, one third
 * needs 2). The engine under test is the proposer of round 3, so rounds 0-2
 * are proposed by others whom the test speaks for. */
#include "check.h"
#include "cons_harness.h"

typedef struct {
    h_net net;
    h_app app;
    drv d;
    size_t self;
    size_t oth[3]; /* the other validators */
} fx;

static void fx_start(fx *f, bool break29, const cons_signer_state *restored) {
    cons_config c = h_config(&f->net, (int)f->self, &f->app);
    c.test_break_line29 = break29;
    f->d.e = cons_new(&c, restored);
    cons_start_height(f->d.e, 1, &f->net.vs, 0);
    drv_collect(&f->d);
}

static void fx_init(fx *f, bool break29) {
    memset(f, 0, sizeof *f);
    h_net_init(&f->net, 4, NULL, 0);
    f->app.tag = 0xee;
    f->self = valset_proposer(&f->net.vs, 3);
    for (size_t i = 0, j = 0; i < 4; i++)
        if (i != f->self) f->oth[j++] = i;
    fx_start(f, break29, NULL);
}

static void fx_free(fx *f) {
    cons_free(f->d.e);
    drv_reset(&f->d);
}

static size_t P(const fx *f, uint32_t r) { return valset_proposer(&f->net.vs, r); }

/* Delivers, collects, and completes persists (a fast disk). */
static hansa_err give_vote(fx *f, size_t who, uint32_t r, uint8_t type, const hansa_hash *id) {
    wire_vote v = mk_vote(&f->net, who, 1, r, type, id);
    hansa_err err = cons_on_vote(f->d.e, &v);
    drv_collect(&f->d);
    drv_persist(&f->d);
    return err;
}

static hansa_err give_prop(fx *f, uint32_t r, uint32_t pol, const h_val *val) {
    wire_proposal p = mk_prop(&f->net, P(f, r), 1, r, pol, &val->id);
    hansa_err err = cons_on_proposal(f->d.e, &p, val->bytes.data, val->bytes.len);
    drv_collect(&f->d);
    drv_persist(&f->d);
    return err;
}

static void fire(fx *f, cons_timer_kind kind, uint32_t r) {
    cons_on_timeout(f->d.e, kind, 1, r);
    drv_collect(&f->d);
    drv_persist(&f->d);
}

/* Every other validator precommits nil in round r: the engine moves to
 * round r+1 (at once; the precommit timeout of r that fires then is stale). */
static void next_round(fx *f, uint32_t r) {
    for (int i = 0; i < 3; i++) give_vote(f, f->oth[i], r, VOTE_PRECOMMIT, NULL);
    fire(f, CONS_TIMER_PRECOMMIT, r);
    CHECK_EQ_U64(cons_round(f->d.e), r + 1);
}

/* Round r: proposal val, the engine prevotes it, two others prevote it:
 * the engine locks val in r and precommits it. */
static void lock_in(fx *f, uint32_t r, const h_val *val) {
    CHECK_ERR(give_prop(f, r, WIRE_ROUND_NONE, val), HANSA_OK);
    CHECK(vote_is(drv_last_vote(&f->d), VOTE_PREVOTE, r, &val->id));
    give_vote(f, f->oth[0], r, VOTE_PREVOTE, &val->id);
    give_vote(f, f->oth[1], r, VOTE_PREVOTE, &val->id);
    CHECK(vote_is(drv_last_vote(&f->d), VOTE_PRECOMMIT, r, &val->id));
    CHECK_EQ_U64(f->d.persist_state[f->d.n_persist - 1].locked_round, r);
}

/* ---- line 22 ---------------------------------------------------------- */

static void test_line22_prevote_and_persist_before_release(void) {
    fx f;
    fx_init(&f, false);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PROPOSE, 0), 1);
    CHECK_EQ_U64(f.d.timer_deadline[0], 1000);
    h_val x = mk_val(1, 0, 1);
    wire_proposal p = mk_prop(&f.net, P(&f, 0), 1, 0, WIRE_ROUND_NONE, &x.id);
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_OK);
    drv_collect(&f.d);
    /* Signed and asked to persist, but nothing released yet. */
    CHECK_EQ_U64(f.d.n_persist, 1);
    CHECK_EQ_U64(f.d.n_votes, 0);
    CHECK(f.d.persist_state[0].has_signed);
    CHECK_EQ_U64(f.d.persist_state[0].step, CONS_STEP_PREVOTE);
    CHECK(vote_is(&f.d.persist_state[0].last_vote, VOTE_PREVOTE, 0, &x.id));
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PREVOTE);
    /* The own vote does not count before release: two others make 30 with
     * it, but only 20 without, so no precommit yet. */
    wire_vote a = mk_vote(&f.net, f.oth[0], 1, 0, VOTE_PREVOTE, &x.id);
    wire_vote b = mk_vote(&f.net, f.oth[1], 1, 0, VOTE_PREVOTE, &x.id);
    CHECK_ERR(cons_on_vote(f.d.e, &a), HANSA_OK);
    CHECK_ERR(cons_on_vote(f.d.e, &b), HANSA_OK);
    drv_collect(&f.d);
    CHECK_EQ_U64(f.d.n_persist, 1);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PREVOTE);
    cons_on_persisted(f.d.e, f.d.persist_seq[0]);
    drv_collect(&f.d);
    /* Released: the prevote goes out, counts, and line 36 fires. */
    CHECK(vote_is(&f.d.votes[0], VOTE_PREVOTE, 0, &x.id));
    CHECK_EQ_U64(f.d.n_persist, 2);
    CHECK_EQ_U64(f.d.persist_state[1].step, CONS_STEP_PRECOMMIT);
    CHECK_EQ_U64(f.d.n_votes, 1);
    /* A duplicate of the released vote changes nothing. */
    CHECK_ERR(cons_on_vote(f.d.e, &a), HANSA_ERR_DUPLICATE);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

static void test_line22_invalid_value_prevotes_nil(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    f.app.bad[f.app.n_bad++] = x.id;
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, NULL));
    /* Bytes that do not hash to the id are invalid too. */
    fx_free(&f);
    fx_init(&f, false);
    h_val y = mk_val(1, 0, 2);
    wire_proposal p = mk_prop(&f.net, P(&f, 0), 1, 0, WIRE_ROUND_NONE, &y.id);
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_OK);
    drv_collect(&f.d);
    drv_persist(&f.d);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, NULL));
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

static void test_line22_locked_on_other_value_prevotes_nil(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 1, 2);
    lock_in(&f, 0, &x);
    next_round(&f, 0);
    give_prop(&f, 1, WIRE_ROUND_NONE, &y);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, NULL));
    next_round(&f, 1);
    /* The locked value itself is prevoted again. */
    give_prop(&f, 2, WIRE_ROUND_NONE, &x);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 2, &x.id));
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

static void test_proposal_checks(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    /* Not the proposer of the round. */
    size_t wrong = P(&f, 1);
    wire_proposal p = mk_prop(&f.net, wrong, 1, 0, WIRE_ROUND_NONE, &x.id);
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_ERR_PROTOCOL);
    /* Bad signature, wrong chain, wrong height, pol_round >= round. */
    p = mk_prop(&f.net, P(&f, 0), 1, 0, WIRE_ROUND_NONE, &x.id);
    p.sig.b[3] ^= 1;
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_ERR_BAD_SIG);
    p = mk_prop(&f.net, P(&f, 0), 1, 0, WIRE_ROUND_NONE, &x.id);
    p.chain_id = 7;
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_ERR_WRONG_CHAIN);
    p = mk_prop(&f.net, P(&f, 0), 3, 0, WIRE_ROUND_NONE, &x.id);
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_ERR_STATE);
    p = mk_prop(&f.net, P(&f, 1), 1, 1, 0, &x.id);
    p.pol_round = 1;
    CHECK_ERR(cons_on_proposal(f.d.e, &p, x.bytes.data, x.bytes.len), HANSA_ERR_INVALID);
    drv_collect(&f.d);
    CHECK_EQ_U64(f.d.n_persist, 0);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    /* A second proposal for the round is ignored. */
    CHECK_ERR(give_prop(&f, 0, WIRE_ROUND_NONE, &x), HANSA_OK);
    h_val y = mk_val(1, 0, 2);
    CHECK_ERR(give_prop(&f, 0, WIRE_ROUND_NONE, &y), HANSA_ERR_DUPLICATE);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* ---- line 28 and the line-29 unlock rule -------------------------------- */

/* Locked on x in round 0; round 1 holds a POL for y (three prevotes); in
 * round 2 y is proposed with vr = 1 >= lockedRound = 0: prevote y. */
static void test_line28_pol_unlocks(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 1, 2);
    lock_in(&f, 0, &x);
    next_round(&f, 0);
    fire(&f, CONS_TIMER_PROPOSE, 1); /* no proposal seen in round 1 */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, NULL));
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 1, VOTE_PREVOTE, &y.id);
    /* 3 prevotes for y but no proposal of y in round 1: no lock on y (line
     * 36 needs the value), and no precommit for it. */
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PREVOTE);
    fire(&f, CONS_TIMER_PREVOTE, 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 1, NULL));
    next_round(&f, 1);
    /* Before the POL is known the proposal alone does nothing (vr >= 0). */
    give_prop(&f, 2, 1, &y);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 2, &y.id));
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].locked_round, 0);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* The POL arrives after the proposal: line 28 waits for it. */
static void test_line28_waits_for_pol(void) {
    fx f;
    fx_init(&f, false);
    h_val y = mk_val(1, 0, 2);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    next_round(&f, 0);
    give_prop(&f, 1, 0, &y);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &y.id);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, &y.id);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    give_vote(&f, f.oth[2], 0, VOTE_PREVOTE, &y.id);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, &y.id));
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* Round 0 holds a POL for y that the engine missed; it locks x in round 1;
 * in round 2 y is proposed with vr = 0 < lockedRound = 1: prevote nil.
 * With test_break_line29 the engine prevotes y — the bug the simulator's
 * checkers must catch. */
static void run_locked_above_vr(bool break29, bool *prevoted_y) {
    fx f;
    fx_init(&f, break29);
    h_val x = mk_val(1, 1, 1), y = mk_val(1, 0, 2);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PREVOTE, &y.id);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    next_round(&f, 0);
    lock_in(&f, 1, &x);
    next_round(&f, 1);
    give_prop(&f, 2, 0, &y);
    const wire_vote *v = drv_last_vote(&f.d);
    CHECK(v != NULL && v->type == VOTE_PREVOTE && v->round == 2);
    *prevoted_y = vote_is(v, VOTE_PREVOTE, 2, &y.id);
    if (!*prevoted_y) CHECK(vote_is(v, VOTE_PREVOTE, 2, NULL));
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

static void test_line29_locked_above_vr_and_break_switch(void) {
    bool prevoted_y;
    run_locked_above_vr(false, &prevoted_y);
    CHECK(!prevoted_y);
    run_locked_above_vr(true, &prevoted_y);
    CHECK(prevoted_y);
}

/* ---- never prevote a value that was not received ------------------------ */

static void test_no_prevote_without_value(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PREVOTE, &x.id);
    CHECK_EQ_U64(f.d.n_persist, 0);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, NULL));
    /* A POL exists but no value: no lock, precommit nil on timeout. */
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].locked_round, WIRE_ROUND_NONE);
    /* Even 3 precommits for x decide nothing without the value... */
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PRECOMMIT, &x.id);
    CHECK(!f.d.decided);
    /* ...until the value arrives (line 49 for round 0). */
    CHECK_EQ_U64(cons_round(f.d.e), 0);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    CHECK(f.d.decided);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* ---- lines 34, 36 (step precommit), 44 ---------------------------------- */

static void test_line34_prevote_timer_and_line61(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 0, 2);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &y.id);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PREVOTE, 0), 0);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, NULL);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PREVOTE, 0), 1);
    give_vote(&f, f.oth[2], 0, VOTE_PREVOTE, &x.id);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PREVOTE, 0), 1); /* first time only */
    size_t votes = f.d.n_votes;
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK_EQ_U64(f.d.n_votes, votes + 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* Line 36 with step = precommit: no lock, but validValue is updated, and
 * the engine, proposer of round 3, re-proposes it with its valid round. */
static void test_line36_updates_valid_value(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, NULL);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    give_vote(&f, f.oth[2], 0, VOTE_PREVOTE, &x.id); /* now 3 for x */
    next_round(&f, 0);
    fire(&f, CONS_TIMER_PROPOSE, 1);
    next_round(&f, 1);
    fire(&f, CONS_TIMER_PROPOSE, 2);
    next_round(&f, 2);
    CHECK_EQ_U64(P(&f, 3), f.self);
    CHECK_EQ_U64(f.d.n_props, 1);
    CHECK(hash_eq(&f.d.props[0].block, &x.id));
    CHECK_EQ_U64(f.d.props[0].pol_round, 0);
    CHECK_EQ_U64(f.d.props[0].round, 3);
    CHECK(f.d.prop_values[0].len == x.bytes.len &&
          memcmp(f.d.prop_values[0].data, x.bytes.data, x.bytes.len) == 0);
    /* Not locked: the persisted state says so. */
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].locked_round, WIRE_ROUND_NONE);
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].valid_round, 0);
    /* Its own proposal is then prevoted (line 28: the POL of round 0). */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 3, &x.id));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

static void test_line44_nil_quorum(void) {
    fx f;
    fx_init(&f, false);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, NULL);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PREVOTE);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, NULL);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PRECOMMIT);
    fx_free(&f);
}

/* ---- lines 47, 49 ------------------------------------------------------- */

static void test_line47_precommit_timer_and_line65(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, &x.id);
    give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, NULL);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PRECOMMIT, 0), 0);
    give_vote(&f, f.oth[2], 0, VOTE_PRECOMMIT, NULL);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PRECOMMIT, 0), 1);
    /* Line 47 holds in any step: the engine is still at propose. */
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    cons_tick(f.d.e, 5000);
    fire(&f, CONS_TIMER_PRECOMMIT, 0);
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    /* Timeouts grow with the round: 1000 + 1 * 500 after now = 5000. */
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PROPOSE, 1), 1);
    CHECK_EQ_U64(f.d.timer_deadline[f.d.n_timers - 1], 6500);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

static void test_line49_decide_with_commit(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    lock_in(&f, 0, &x);
    give_vote(&f, f.oth[2], 0, VOTE_PRECOMMIT, &x.id);
    CHECK(!f.d.decided);
    give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, &x.id);
    CHECK(f.d.decided);
    CHECK(cons_decided(f.d.e));
    CHECK_EQ_U64(f.d.dec_height, 1);
    CHECK_EQ_U64(f.d.dec_round, 0);
    CHECK(hash_eq(&f.d.dec_id, &x.id));
    CHECK(f.d.dec_value.len == x.bytes.len);
    /* The cert: self + oth[0] + oth[2], sorted by index, and it verifies. */
    CHECK_EQ_U64(f.d.dec_commit.n_sigs, 3);
    for (size_t i = 1; i < f.d.dec_commit.n_sigs; i++)
        CHECK(f.d.dec_commit.sigs[i - 1].validator_index < f.d.dec_commit.sigs[i].validator_index);
    CHECK_ERR(cert_commit_verify(&f.d.dec_commit, H_CHAIN, f.net.vs.v, f.net.vs.n), HANSA_OK);
    /* After the decision: no more voting, late precommits still accepted. */
    size_t persists = f.d.n_persist;
    CHECK_ERR(give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, NULL), HANSA_OK);
    CHECK_ERR(give_vote(&f, f.oth[1], 1, VOTE_PREVOTE, NULL), HANSA_ERR_STATE);
    fire(&f, CONS_TIMER_PRECOMMIT, 0);
    CHECK_EQ_U64(f.d.n_persist, persists);
    CHECK_EQ_U64(cons_round(f.d.e), 0);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* cons_decided_commit: the decision's quorum plus precommits for the
 * decided block that come after it (for the next block's last_commit);
 * a late nil precommit does not enter it. */
static void test_decided_commit_takes_late_precommits(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    wire_commit c;
    CHECK(!cons_decided_commit(f.d.e, &c));
    lock_in(&f, 0, &x);
    give_vote(&f, f.oth[2], 0, VOTE_PRECOMMIT, &x.id);
    give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, &x.id);
    CHECK(f.d.decided);
    CHECK(cons_decided_commit(f.d.e, &c));
    CHECK_EQ_U64(c.n_sigs, f.d.dec_commit.n_sigs);
    wire_commit_free(&c);
    CHECK_ERR(give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, &x.id), HANSA_OK);
    CHECK(cons_decided_commit(f.d.e, &c));
    CHECK_EQ_U64(c.n_sigs, 4);
    CHECK_EQ_U64(c.height, 1);
    CHECK_EQ_U64(c.round, 0);
    CHECK(hash_eq(&c.block, &x.id));
    for (size_t i = 1; i < c.n_sigs; i++) CHECK(c.sigs[i - 1].validator_index < c.sigs[i].validator_index);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, f.net.vs.v, f.net.vs.n), HANSA_OK);
    wire_commit_free(&c);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* Line 49 holds for any round r, also one the engine has left. */
static void test_line49_earlier_round(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    give_vote(&f, f.oth[0], 2, VOTE_PREVOTE, NULL);
    give_vote(&f, f.oth[1], 2, VOTE_PREVOTE, NULL);
    CHECK_EQ_U64(cons_round(f.d.e), 2);
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PRECOMMIT, &x.id);
    CHECK(f.d.decided);
    CHECK_EQ_U64(f.d.dec_round, 0);
    CHECK(hash_eq(&f.d.dec_id, &x.id));
    CHECK_EQ_U64(f.d.dec_commit.n_sigs, 3);
    CHECK_ERR(cert_commit_verify(&f.d.dec_commit, H_CHAIN, f.net.vs.v, f.net.vs.n), HANSA_OK);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* ---- a quorum of nil precommits: the next round at once ----------------- */

static void test_nil_quorum_starts_next_round(void) {
    fx f;
    fx_init(&f, false);
    give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, NULL);
    give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, NULL);
    CHECK_EQ_U64(cons_round(f.d.e), 0); /* 20 of 40 */
    give_vote(&f, f.oth[2], 0, VOTE_PRECOMMIT, NULL);
    /* 30 of 40 precommitted nil: round 1 without waiting out timeoutPrecommit. */
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PRECOMMIT, 0), 0);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PROPOSE, 1), 1);
    fire(&f, CONS_TIMER_PRECOMMIT, 0); /* stale now */
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    fx_free(&f);

    /* A quorum that is not all nil only schedules the timeout (line 47). */
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, &x.id);
    give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, NULL);
    give_vote(&f, f.oth[2], 0, VOTE_PRECOMMIT, NULL);
    CHECK_EQ_U64(cons_round(f.d.e), 0);
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PRECOMMIT, 0), 1);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* ---- line 55 ------------------------------------------------------------ */

static void test_line55_round_skip(void) {
    fx f;
    fx_init(&f, false);
    give_vote(&f, f.oth[0], 3, VOTE_PREVOTE, NULL);
    CHECK_EQ_U64(cons_round(f.d.e), 0); /* 10 of 40: not more than a third */
    give_vote(&f, f.oth[1], 3, VOTE_PRECOMMIT, NULL);
    CHECK_EQ_U64(cons_round(f.d.e), 3); /* 20 of 40 */
    /* The engine proposes in round 3, and prevotes its own value. */
    CHECK_EQ_U64(f.d.n_props, 1);
    CHECK_EQ_U64(f.d.props[0].round, 3);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 3, &f.d.props[0].block));
    fx_free(&f);

    /* Over power, not count: one validator with 5 of 8. */
    h_net net;
    uint64_t power[4] = {1, 1, 1, 5};
    h_net_init(&net, 4, power, 40);
    h_app app = {.tag = 1};
    cons_config c = h_config(&net, 0, &app);
    drv d = {.e = cons_new(&c, NULL)};
    cons_start_height(d.e, 1, &net.vs, 0);
    drv_collect(&d);
    wire_vote v = mk_vote(&net, 1, 1, 2, VOTE_PREVOTE, NULL);
    CHECK_ERR(cons_on_vote(d.e, &v), HANSA_OK);
    CHECK_EQ_U64(cons_round(d.e), 0);
    v = mk_vote(&net, 3, 1, 2, VOTE_PREVOTE, NULL);
    CHECK_ERR(cons_on_vote(d.e, &v), HANSA_OK);
    CHECK_EQ_U64(cons_round(d.e), 2);
    drv_collect(&d);
    cons_free(d.e);
    drv_reset(&d);
}

/* ---- lines 57, 61, 65: stale timeouts ----------------------------------- */

static void test_stale_timeouts_ignored(void) {
    fx f;
    fx_init(&f, false);
    fire(&f, CONS_TIMER_PROPOSE, 1);    /* wrong round */
    cons_on_timeout(f.d.e, CONS_TIMER_PROPOSE, 2, 0); /* wrong height */
    drv_collect(&f.d);
    fire(&f, CONS_TIMER_PREVOTE, 0);    /* line 61: step is propose */
    fire(&f, CONS_TIMER_PRECOMMIT, 1);  /* line 65: wrong round */
    CHECK_EQ_U64(f.d.n_persist, 0);
    CHECK_EQ_U64(cons_round(f.d.e), 0);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE);
    fire(&f, CONS_TIMER_PROPOSE, 0);    /* line 57 */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, NULL));
    fire(&f, CONS_TIMER_PROPOSE, 0);    /* step is prevote now */
    CHECK_EQ_U64(f.d.n_votes, 1);
    fire(&f, CONS_TIMER_PREVOTE, 0);    /* line 61 */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    fire(&f, CONS_TIMER_PREVOTE, 0);
    CHECK_EQ_U64(f.d.n_votes, 2);
    fire(&f, CONS_TIMER_PRECOMMIT, 0);  /* line 65, in any step */
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    fire(&f, CONS_TIMER_PRECOMMIT, 0);
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    fx_free(&f);
}

/* ---- restart ------------------------------------------------------------ */

static cons_signer_state roundtrip(const cons_signer_state *s) {
    hbuf b = HBUF_INIT;
    cons_signer_encode(&b, s);
    cons_signer_state out;
    CHECK_ERR(cons_signer_decode(b.data, b.len, &out), HANSA_OK);
    hbuf_free(&b);
    return out;
}

static void test_restart_after_prevote(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, &x.id));
    cons_signer_state saved = roundtrip(&f.d.persist_state[f.d.n_persist - 1]);
    cons_free(f.d.e); /* crash */
    drv_reset(&f.d);
    fx_start(&f, false, &saved);
    /* Re-sent at once, without a new signature or persist. */
    CHECK_EQ_U64(f.d.n_votes, 1);
    CHECK(vote_is(&f.d.votes[0], VOTE_PREVOTE, 0, &x.id));
    CHECK(memcmp(f.d.votes[0].sig.b, saved.last_vote.sig.b, HANSA_SIG_BYTES) == 0);
    CHECK_EQ_U64(f.d.n_persist, 0);
    /* The propose timeout would prevote nil: refused, it signed x here. */
    fire(&f, CONS_TIMER_PROPOSE, 0);
    CHECK_EQ_U64(f.d.n_persist, 0);
    CHECK_EQ_U64(f.d.n_votes, 1);
    /* Its restored prevote counts: two others complete the quorum. */
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, &x.id);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, &x.id));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* A vote under the engine's own key that reaches it from outside (its
 * driver's log after a restart, or another process holding the same key)
 * is counted but never repeated by cons_rebroadcast: the engine re-sends
 * only what it released, so it can never spread a vote it did not sign
 * (the engine fuzzer's one-message-per-position oracle caught the
 * opposite). Drivers re-send their own logged votes themselves. */
static void test_rebroadcast_repeats_only_released_votes(void) {
    fx f;
    fx_init(&f, false);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    wire_vote pc0 = *drv_last_vote(&f.d);
    CHECK(vote_is(&pc0, VOTE_PRECOMMIT, 0, NULL));
    next_round(&f, 0);
    fire(&f, CONS_TIMER_PROPOSE, 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, NULL));
    cons_signer_state saved = roundtrip(&f.d.persist_state[f.d.n_persist - 1]);
    /* As a version-1 record would be: round 0's precommit not kept, so the
     * one below reaches the engine only from outside. */
    CHECK(saved.has_prev_precommit);
    saved.has_prev_precommit = false;
    memset(&saved.prev_precommit, 0, sizeof saved.prev_precommit);
    cons_free(f.d.e); /* crash: round 0 is forgotten */
    drv_reset(&f.d);
    fx_start(&f, false, &saved);
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    CHECK_ERR(cons_on_vote(f.d.e, &pc0), HANSA_OK);
    drv_collect(&f.d);
    size_t before = f.d.n_votes;
    cons_rebroadcast(f.d.e);
    drv_collect(&f.d);
    for (size_t i = before; i < f.d.n_votes; i++) CHECK(f.d.votes[i].round == 1);
    fx_free(&f);
}

/* The precommit of the round the engine left survives a crash in the next
 * round: a nil-precommit quorum moves the engine on in the same step as its
 * own precommit, which may then be lost in flight; peers still in that round
 * need it (seed 3330 stalled the simulator for good without it). */
static void test_restart_resends_left_precommit(void) {
    fx f;
    fx_init(&f, false);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    wire_vote pc0 = *drv_last_vote(&f.d);
    CHECK(vote_is(&pc0, VOTE_PRECOMMIT, 0, NULL));
    next_round(&f, 0);
    fire(&f, CONS_TIMER_PROPOSE, 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, NULL));
    cons_signer_state saved = roundtrip(&f.d.persist_state[f.d.n_persist - 1]);
    CHECK(saved.has_prev_precommit && saved.prev_precommit.round == 0);
    cons_free(f.d.e); /* crash with both votes still in flight */
    drv_reset(&f.d);
    fx_start(&f, false, &saved);
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    CHECK_EQ_U64(f.d.n_votes, 2);
    CHECK(vote_is(&f.d.votes[0], VOTE_PRECOMMIT, 0, NULL) && memcmp(f.d.votes[0].sig.b, pc0.sig.b, HANSA_SIG_BYTES) == 0);
    CHECK(vote_is(&f.d.votes[1], VOTE_PREVOTE, 1, NULL));
    CHECK_EQ_U64(f.d.n_persist, 0); /* nothing new signed */
    /* and it keeps repeating it while peers may still be in round 0 */
    size_t before = f.d.n_votes;
    cons_rebroadcast(f.d.e);
    drv_collect(&f.d);
    bool again = false;
    for (size_t i = before; i < f.d.n_votes; i++) again |= vote_is(&f.d.votes[i], VOTE_PRECOMMIT, 0, NULL);
    CHECK(again);
    /* The decoder takes only this validator's precommit of an earlier round. */
    cons_signer_state d, bad = saved;
    hbuf b = HBUF_INIT;
    bad.prev_precommit.round = 1;
    cons_signer_encode(&b, &bad);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    bad = saved;
    bad.prev_precommit.type = VOTE_PREVOTE;
    hbuf_reset(&b);
    cons_signer_encode(&b, &bad);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    bad = saved;
    bad.prev_precommit.validator = f.net.k[f.oth[0]].pub;
    hbuf_reset(&b);
    cons_signer_encode(&b, &bad);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    hbuf_free(&b);
    fx_free(&f);
}

static void test_restart_keeps_lock(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 1, 2);
    lock_in(&f, 0, &x);
    cons_signer_state saved = roundtrip(&f.d.persist_state[f.d.n_persist - 1]);
    CHECK_EQ_U64(saved.locked_round, 0);
    cons_free(f.d.e);
    drv_reset(&f.d);
    CHECK(saved.has_round_prevote);
    fx_start(&f, false, &saved);
    /* Both messages of the round are re-sent: the prevote may have been
     * lost in flight at the crash as well. */
    CHECK_EQ_U64(f.d.n_votes, 2);
    CHECK(vote_is(&f.d.votes[0], VOTE_PREVOTE, 0, &x.id));
    CHECK(vote_is(&f.d.votes[1], VOTE_PRECOMMIT, 0, &x.id));
    CHECK_EQ_U64(f.d.n_persist, 0);
    /* Refuses to sign anything at or before (1, 0, precommit). */
    fire(&f, CONS_TIMER_PROPOSE, 0);
    CHECK_EQ_U64(f.d.n_persist, 0);
    next_round(&f, 0);
    /* Locked on x: y proposed without POL is prevoted nil. */
    give_prop(&f, 1, WIRE_ROUND_NONE, &y);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, NULL));
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].locked_round, 0);
    CHECK(hash_eq(&f.d.persist_state[f.d.n_persist - 1].locked_id, &x.id));
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* Restored in a round where it was the proposer: the value's bytes are not
 * persisted; get_value gives another value, so it proposes nothing. */
static void test_restart_refuses_other_proposal(void) {
    fx f;
    fx_init(&f, false);
    give_vote(&f, f.oth[0], 3, VOTE_PREVOTE, NULL);
    give_vote(&f, f.oth[1], 3, VOTE_PREVOTE, NULL);
    CHECK_EQ_U64(f.d.n_props, 1);
    cons_signer_state saved = roundtrip(&f.d.persist_state[0]); /* crash right after proposing */
    CHECK_EQ_U64(saved.signed_kind, 0);
    cons_free(f.d.e);
    drv_reset(&f.d);
    f.app.tag = 0x55; /* a different value this time */
    fx_start(&f, false, &saved);
    CHECK_EQ_U64(cons_round(f.d.e), 3);
    CHECK_EQ_U64(f.d.n_props, 0);
    CHECK_EQ_U64(f.d.n_persist, 0);
    /* The same value would be re-sent with the persisted signature. */
    cons_free(f.d.e);
    drv_reset(&f.d);
    f.app.tag = 0xee;
    fx_start(&f, false, &saved);
    CHECK_EQ_U64(f.d.n_props, 1);
    CHECK(memcmp(f.d.props[0].sig.b, saved.last_proposal.sig.b, HANSA_SIG_BYTES) == 0);
    /* No new proposal was signed; the one record is its prevote of it. */
    CHECK_EQ_U64(f.d.n_persist, 1);
    CHECK_EQ_U64(f.d.persist_state[0].signed_kind, 1);
    CHECK(vote_is(&f.d.persist_state[0].last_vote, VOTE_PREVOTE, 3, &saved.last_proposal.block));
    fx_free(&f);
}

/* validValue survives a restart as an id only: the engine, proposer of
 * round 3, cannot re-propose it without the bytes and proposes nothing,
 * so the round times out. */
static void test_restart_valid_value_without_bytes(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, NULL);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    give_vote(&f, f.oth[2], 0, VOTE_PREVOTE, &x.id); /* line 36 at precommit */
    next_round(&f, 0);
    fire(&f, CONS_TIMER_PROPOSE, 1);
    cons_signer_state saved = roundtrip(&f.d.persist_state[f.d.n_persist - 1]);
    CHECK_EQ_U64(saved.valid_round, 0);
    CHECK(hash_eq(&saved.valid_id, &x.id));
    CHECK_EQ_U64(saved.locked_round, WIRE_ROUND_NONE);
    cons_free(f.d.e);
    drv_reset(&f.d);
    fx_start(&f, false, &saved);
    CHECK_EQ_U64(cons_round(f.d.e), 1);
    next_round(&f, 1);
    fire(&f, CONS_TIMER_PROPOSE, 2);
    next_round(&f, 2);
    CHECK_EQ_U64(P(&f, 3), f.self);
    CHECK_EQ_U64(f.d.n_props, 0);
    fire(&f, CONS_TIMER_PROPOSE, 3);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 3, NULL));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

static void test_signer_codec(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    lock_in(&f, 0, &x);
    cons_signer_state s = f.d.persist_state[f.d.n_persist - 1];
    hbuf b = HBUF_INIT;
    cons_signer_encode(&b, &s);
    cons_signer_state d;
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_OK);
    hbuf b2 = HBUF_INIT;
    cons_signer_encode(&b2, &d);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    hbuf_put_u8(&b2, 0);
    CHECK_ERR(cons_signer_decode(b2.data, b2.len, &d), HANSA_ERR_TRAILING);
    for (size_t cut = 0; cut < b.len; cut++)
        CHECK(cons_signer_decode(b.data, cut, &d) != HANSA_OK);
    b.data[0] = 3;
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_VERSION);
    b.data[0] = 0;
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_VERSION);
    /* Version 1 (no earlier precommit field) is still read. */
    b.data[0] = 1;
    CHECK_ERR(cons_signer_decode(b.data, b.len - 1, &d), HANSA_OK);
    CHECK(!d.has_prev_precommit && d.has_round_prevote);
    b.data[0] = 2;
    b.data[13] = 1; /* step prevote, but the message is a precommit */
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    b.data[13] = 3;
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_NONCANONICAL);
    b.data[13] = 2;
    b.data[14] = 2; /* has_signed not a bool */
    CHECK(cons_signer_decode(b.data, b.len, &d) != HANSA_OK);
    /* Nothing signed: a short canonical record. */
    /* The kept prevote must match the precommit it sits beside. */
    CHECK(s.has_round_prevote);
    cons_signer_state bad = s;
    bad.round_prevote.round = 1;
    hbuf_reset(&b);
    cons_signer_encode(&b, &bad);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    bad = s;
    bad.round_prevote.type = VOTE_PRECOMMIT;
    hbuf_reset(&b);
    cons_signer_encode(&b, &bad);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_ERR_INVALID);
    cons_signer_state empty = {.locked_round = WIRE_ROUND_NONE, .valid_round = WIRE_ROUND_NONE,
                               .height = 9};
    hbuf_reset(&b);
    cons_signer_encode(&b, &empty);
    CHECK_ERR(cons_signer_decode(b.data, b.len, &d), HANSA_OK);
    CHECK(!d.has_signed && d.height == 9);
    hbuf_free(&b);
    hbuf_free(&b2);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* ---- evidence, bounds, buffering ---------------------------------------- */

static void test_duplicate_vote_evidence(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 0, 2);
    size_t o = f.oth[0];
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PREVOTE, &x.id), HANSA_OK);
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PREVOTE, &x.id), HANSA_ERR_DUPLICATE);
    CHECK_EQ_U64(f.d.n_ev, 0);
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PREVOTE, &y.id), HANSA_OK);
    CHECK_EQ_U64(f.d.n_ev, 1);
    const wire_evidence *ev = &f.d.ev[0];
    CHECK(pubkey_eq(&ev->a.validator, &f.net.k[o].pub));
    CHECK(hash_cmp(&ev->a.block.hash, &ev->b.block.hash) < 0);
    CHECK_ERR(cert_evidence_verify(ev, H_CHAIN), HANSA_OK);
    /* Once per offender per h/r/type. */
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PREVOTE, NULL), HANSA_ERR_DUPLICATE);
    CHECK_EQ_U64(f.d.n_ev, 1);
    /* Another type is another slot. */
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PRECOMMIT, NULL), HANSA_OK);
    CHECK_ERR(give_vote(&f, o, 0, VOTE_PRECOMMIT, &x.id), HANSA_OK);
    CHECK_EQ_U64(f.d.n_ev, 2);
    CHECK(!f.d.ev[1].a.block.present); /* nil sorts first */
    CHECK_ERR(cert_evidence_verify(&f.d.ev[1], H_CHAIN), HANSA_OK);
    /* Rejections. */
    wire_evidence bad = *ev;
    CHECK_ERR(cert_evidence_verify(&bad, 99), HANSA_ERR_WRONG_CHAIN);
    bad.a = ev->b;
    bad.b = ev->a;
    CHECK_ERR(cert_evidence_verify(&bad, H_CHAIN), HANSA_ERR_NONCANONICAL);
    bad = *ev;
    bad.b.sig.b[0] ^= 1;
    CHECK_ERR(cert_evidence_verify(&bad, H_CHAIN), HANSA_ERR_BAD_SIG);
    bad = *ev;
    bad.b = bad.a;
    CHECK_ERR(cert_evidence_verify(&bad, H_CHAIN), HANSA_ERR_INVALID);
    bad = *ev;
    bad.b = mk_vote(&f.net, f.oth[1], 1, 0, VOTE_PREVOTE, &y.id);
    CHECK_ERR(cert_evidence_verify(&bad, H_CHAIN), HANSA_ERR_INVALID);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* An equivocator's second face counts for its block (as in Alg. 1, which
 * counts senders of each message): a lock whose proof includes one can be
 * shown to nodes that saw the other face first. A third face is dropped. */
static void test_equivocator_counts_for_both_faces(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 0, 2);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, &x.id));
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &y.id), HANSA_OK);
    CHECK_ERR(give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, &x.id), HANSA_OK);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PREVOTE); /* 20 for x */
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id), HANSA_OK);
    CHECK_EQ_U64(f.d.n_ev, 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, &x.id)); /* 30 for x */
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, NULL), HANSA_ERR_DUPLICATE);
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id), HANSA_ERR_DUPLICATE);
    CHECK_EQ_U64(f.d.n_ev, 1);
    /* power_any counts the equivocator once: self, oth[0], oth[1] = 30, so
     * the prevote timer was scheduled; oth[2] adds the fourth. */
    CHECK_EQ_U64(drv_count_timers(&f.d, CONS_TIMER_PREVOTE, 0), 1);
    /* The commit certificate uses the face that matches the decision. */
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, NULL), HANSA_OK);
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PRECOMMIT, &x.id), HANSA_OK);
    CHECK_ERR(give_vote(&f, f.oth[1], 0, VOTE_PRECOMMIT, &x.id), HANSA_OK);
    CHECK(f.d.decided);
    CHECK_EQ_U64(f.d.dec_commit.n_sigs, 3);
    CHECK_ERR(cert_commit_verify(&f.d.dec_commit, H_CHAIN, f.net.vs.v, f.net.vs.n), HANSA_OK);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* A third face is dropped, unless a stored proposal's POL needs it: an
 * equivocator with many faces must not make a valid POL uncheckable. */
static void test_third_face_kept_for_pol(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 0, 2);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &y.id);
    give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, NULL);
    give_vote(&f, f.oth[1], 0, VOTE_PREVOTE, &x.id);
    give_vote(&f, f.oth[2], 0, VOTE_PREVOTE, &x.id);
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id), HANSA_ERR_DUPLICATE);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    next_round(&f, 0);
    give_prop(&f, 1, 0, &x);
    CHECK_EQ_U64(cons_current_step(f.d.e), CONS_STEP_PROPOSE); /* POL has 20 of 40 */
    CHECK_ERR(give_vote(&f, f.oth[0], 0, VOTE_PREVOTE, &x.id), HANSA_OK);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, &x.id));
    CHECK_EQ_U64(f.d.n_ev, 1);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* The POL prevotes of the current proposal are offered for relaying. */
static void test_relay_pol_votes(void) {
    fx f;
    fx_init(&f, false);
    h_val y = mk_val(1, 0, 2);
    wire_vote out[8];
    CHECK_EQ_U64(cons_relay_votes(f.d.e, out, 8), 0);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PREVOTE, &y.id);
    next_round(&f, 0);
    give_prop(&f, 1, 0, &y);
    CHECK_EQ_U64(cons_relay_votes(f.d.e, out, 8), 3);
    for (int i = 0; i < 3; i++) CHECK(vote_is(&out[i], VOTE_PREVOTE, 0, &y.id));
    CHECK_EQ_U64(cons_relay_votes(f.d.e, out, 2), 2);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

static void test_vote_checks_and_future_bound(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    /* future_rounds_max = 4: rounds 0..4 are kept, 5 and up dropped. */
    CHECK_ERR(give_vote(&f, f.oth[0], 4, VOTE_PREVOTE, &x.id), HANSA_OK);
    CHECK_ERR(give_vote(&f, f.oth[1], 5, VOTE_PREVOTE, &x.id), HANSA_ERR_FULL);
    CHECK_ERR(give_vote(&f, f.oth[2], 5, VOTE_PREVOTE, &x.id), HANSA_ERR_FULL);
    CHECK_ERR(give_vote(&f, f.oth[1], UINT32_MAX - 1, VOTE_PREVOTE, NULL), HANSA_ERR_FULL);
    CHECK_EQ_U64(cons_round(f.d.e), 0); /* the dropped ones count for nothing */
    h_val y = mk_val(1, 5, 1);
    CHECK_ERR(give_prop(&f, 5, WIRE_ROUND_NONE, &y), HANSA_ERR_FULL);
    /* Other rejections. */
    wire_vote v = mk_vote(&f.net, f.oth[0], 1, 0, VOTE_PREVOTE, &x.id);
    v.sig.b[1] ^= 1;
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_BAD_SIG);
    v = mk_vote(&f.net, f.oth[0], 7, 0, VOTE_PREVOTE, &x.id);
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_STATE);
    v = mk_vote(&f.net, f.oth[0], 1, 0, VOTE_PREVOTE, &x.id);
    v.type = 3;
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_INVALID);
    v = mk_vote(&f.net, f.oth[0], 1, 0, VOTE_PREVOTE, NULL);
    v.block.hash.b[0] = 1;
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_NONCANONICAL);
    h_net stranger;
    h_net_init(&stranger, 1, NULL, 100);
    v = mk_vote(&stranger, 0, 1, 0, VOTE_PREVOTE, &x.id);
    v.chain_id = H_CHAIN;
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_PROTOCOL);
    v.chain_id = 1;
    CHECK_ERR(cons_on_vote(f.d.e, &v), HANSA_ERR_WRONG_CHAIN);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

/* Messages of height 2 arriving at height 1 are kept (a few per validator)
 * and replayed when height 2 starts. */
static void test_next_height_buffer(void) {
    fx f;
    fx_init(&f, false);
    cons_valset vs2 = f.net.vs;
    valset_advance(&vs2);
    size_t p2 = valset_proposer(&vs2, 0);
    CHECK(p2 != f.self);
    h_val z = mk_val(2, 0, 9);
    wire_proposal p = mk_prop(&f.net, p2, 2, 0, WIRE_ROUND_NONE, &z.id);
    CHECK_ERR(cons_on_proposal(f.d.e, &p, z.bytes.data, z.bytes.len), HANSA_OK);
    size_t o = f.oth[0] == p2 ? f.oth[1] : f.oth[0];
    wire_vote v[5];
    for (uint32_t i = 0; i < 5; i++)
        v[i] = mk_vote(&f.net, o, 2, i / 2, i % 2 ? VOTE_PRECOMMIT : VOTE_PREVOTE, &z.id);
    for (int i = 0; i < 4; i++) CHECK_ERR(cons_on_vote(f.d.e, &v[i]), HANSA_OK);
    CHECK_ERR(cons_on_vote(f.d.e, &v[4]), HANSA_ERR_FULL);
    wire_vote pv = mk_vote(&f.net, p2, 2, 0, VOTE_PREVOTE, &z.id);
    CHECK_ERR(cons_on_vote(f.d.e, &pv), HANSA_OK);
    drv_collect(&f.d);
    CHECK_EQ_U64(f.d.n_persist, 0);
    /* Height 1 is decided by block sync. */
    h_val x = mk_val(1, 0, 1);
    wire_commit_sig sigs[3];
    size_t w[3] = {f.oth[0], f.oth[1], f.oth[2]};
    for (int i = 0; i < 3; i++) {
        wire_vote pc = mk_vote(&f.net, w[i], 1, 0, VOTE_PRECOMMIT, &x.id);
        sigs[i] = (wire_commit_sig){(uint16_t)w[i], pc.sig};
    }
    wire_commit c = {H_CHAIN, 1, 0, x.id, 3, sigs};
    CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_OK);
    drv_collect(&f.d);
    CHECK(f.d.decided);
    CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_ERR_DUPLICATE);
    drv_collect(&f.d);
    cons_start_height(f.d.e, 2, &vs2, 100);
    drv_collect(&f.d);
    /* The replayed proposal is prevoted; with the two replayed prevotes for
     * z and its own, it then precommits z. */
    drv_persist(&f.d);
    CHECK_EQ_U64(cons_height(f.d.e), 2);
    CHECK(f.d.n_votes >= 2);
    CHECK(vote_is(&f.d.votes[0], VOTE_PREVOTE, 0, &z.id));
    CHECK_EQ_U64(f.d.votes[0].height, 2);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, &z.id));
    hbuf_free(&x.bytes);
    hbuf_free(&z.bytes);
    fx_free(&f);
}

/* ---- proposer-based timestamps ------------------------------------------------ */

/* Line 22 under PBTS: an untimely proposal without a POL is prevoted nil,
 * although its value is valid; the verdict is asked once, on arrival. */
static void test_pbts_untimely_prevotes_nil(void) {
    fx f;
    fx_init(&f, false);
    f.app.untimely = true;
    h_val x = mk_val(1, 0, 1);
    CHECK_ERR(give_prop(&f, 0, WIRE_ROUND_NONE, &x), HANSA_OK);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, NULL));
    CHECK_EQ_U64(f.app.timely_calls, 1);
    CHECK_EQ_U64(f.app.valid_calls, 1);
    /* Others found it timely: a polka still locks it (line 36 is unchanged). */
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PREVOTE, &x.id);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, &x.id));
    CHECK_EQ_U64(f.d.persist_state[f.d.n_persist - 1].locked_round, 0);
    hbuf_free(&x.bytes);
    fx_free(&f);
    /* the same proposal, timely: prevoted */
    fx_init(&f, false);
    x = mk_val(1, 0, 1);
    CHECK_ERR(give_prop(&f, 0, WIRE_ROUND_NONE, &x), HANSA_OK);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, &x.id));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* Line 28: a value with a proof-of-lock is not judged for time again. */
static void test_pbts_pol_not_judged(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    fire(&f, CONS_TIMER_PROPOSE, 0);
    for (int i = 0; i < 3; i++) give_vote(&f, f.oth[i], 0, VOTE_PREVOTE, &x.id);
    fire(&f, CONS_TIMER_PREVOTE, 0);
    next_round(&f, 0);
    f.app.untimely = true; /* the clock would refuse x now */
    CHECK_ERR(give_prop(&f, 1, 0, &x), HANSA_OK);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, &x.id));
    CHECK_EQ_U64(f.app.timely_calls, 0);
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* A proposal buffered for the next height is judged when it arrives, not
 * when it is replayed: a node's clock at replay time says nothing about
 * the proposer's. */
static void test_pbts_judged_on_arrival(void) {
    for (int arrive_untimely = 0; arrive_untimely < 2; arrive_untimely++) {
        fx f;
        fx_init(&f, false);
        cons_valset vs2 = f.net.vs;
        valset_advance(&vs2);
        size_t p2 = valset_proposer(&vs2, 0);
        h_val z = mk_val(2, 0, 9), x = mk_val(1, 0, 1);
        f.app.untimely = arrive_untimely;
        wire_proposal p = mk_prop(&f.net, p2, 2, 0, WIRE_ROUND_NONE, &z.id);
        CHECK_ERR(cons_on_proposal(f.d.e, &p, z.bytes.data, z.bytes.len), HANSA_OK);
        CHECK_EQ_U64(f.app.timely_calls, 1);
        f.app.untimely = !arrive_untimely;
        wire_commit_sig sigs[3];
        for (int i = 0; i < 3; i++) {
            wire_vote pc = mk_vote(&f.net, f.oth[i], 1, 0, VOTE_PRECOMMIT, &x.id);
            sigs[i] = (wire_commit_sig){(uint16_t)f.oth[i], pc.sig};
        }
        wire_commit c = {H_CHAIN, 1, 0, x.id, 3, sigs};
        CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_OK);
        drv_collect(&f.d);
        drv_reset(&f.d);
        cons_start_height(f.d.e, 2, &vs2, 100);
        drv_collect(&f.d);
        drv_persist(&f.d);
        CHECK_EQ_U64(f.app.timely_calls, 1); /* not asked again */
        CHECK(vote_is(&f.d.votes[0], VOTE_PREVOTE, 0, arrive_untimely ? NULL : &z.id));
        hbuf_free(&x.bytes);
        hbuf_free(&z.bytes);
        fx_free(&f);
    }
}

/* A vote of height 2 delivered again (gossip brings it from every peer) is
 * a duplicate, not a new message: it must not use up its validator's slots
 * and shut out that validator's later votes of height 2. */
static void test_next_height_duplicates(void) {
    fx f;
    fx_init(&f, false);
    h_val z = mk_val(2, 0, 9);
    size_t o = f.oth[0];
    wire_vote pv = mk_vote(&f.net, o, 2, 0, VOTE_PREVOTE, &z.id);
    CHECK_ERR(cons_on_vote(f.d.e, &pv), HANSA_OK);
    for (int i = 0; i < 6; i++) CHECK_ERR(cons_on_vote(f.d.e, &pv), HANSA_ERR_DUPLICATE);
    wire_vote pc = mk_vote(&f.net, o, 2, 0, VOTE_PRECOMMIT, &z.id);
    CHECK_ERR(cons_on_vote(f.d.e, &pc), HANSA_OK);
    CHECK_ERR(cons_on_vote(f.d.e, &pc), HANSA_ERR_DUPLICATE);
    drv_collect(&f.d);
    hbuf_free(&z.bytes);
    fx_free(&f);
}

/* Early proposals of height 2 are kept one per round and only from the
 * validator that proposes that round at height 2 (the set moved one step):
 * four Byzantine validators sending proposals for rounds they do not own
 * must not take the slots of the real proposer of round 0. */
static void test_next_height_proposal_slots(void) {
    h_net net;
    h_net_init(&net, 7, NULL, 40);
    h_app app = {.tag = 0xee};
    drv d = {0};
    cons_valset vs2 = net.vs;
    valset_advance(&vs2);
    size_t p2 = valset_proposer(&vs2, 0);
    size_t self = p2 == 0 ? 1 : 0;
    cons_config c = h_config(&net, (int)self, &app);
    d.e = cons_new(&c, NULL);
    cons_start_height(d.e, 1, &net.vs, 0);
    drv_collect(&d);
    size_t byz = 0;
    for (size_t i = 0; i < net.n && byz < 4; i++) {
        if (i == p2 || i == self) continue;
        h_val fake = mk_val(2, 0, (uint8_t)(100 + i));
        wire_proposal p = mk_prop(&net, i, 2, 0, WIRE_ROUND_NONE, &fake.id);
        CHECK(cons_on_proposal(d.e, &p, fake.bytes.data, fake.bytes.len) != HANSA_OK);
        hbuf_free(&fake.bytes);
        byz++;
    }
    CHECK_EQ_U64(byz, 4);
    h_val z = mk_val(2, 0, 9);
    wire_proposal real = mk_prop(&net, p2, 2, 0, WIRE_ROUND_NONE, &z.id);
    CHECK_ERR(cons_on_proposal(d.e, &real, z.bytes.data, z.bytes.len), HANSA_OK);
    /* One per round: a second proposal of round 0 by its proposer is not kept. */
    h_val z2 = mk_val(2, 0, 10);
    wire_proposal again = mk_prop(&net, p2, 2, 0, WIRE_ROUND_NONE, &z2.id);
    CHECK(cons_on_proposal(d.e, &again, z2.bytes.data, z2.bytes.len) != HANSA_OK);
    drv_collect(&d);
    /* Height 1 decided (by a commit certificate); height 2 starts and the
     * real proposal is the one replayed and prevoted. */
    h_val x = mk_val(1, 0, 1);
    wire_commit_sig sigs[5];
    uint16_t k = 0;
    for (size_t i = 0; i < net.n && k < 5; i++) {
        if (i == self) continue;
        wire_vote pc = mk_vote(&net, i, 1, 0, VOTE_PRECOMMIT, &x.id);
        sigs[k] = (wire_commit_sig){(uint16_t)i, pc.sig};
        k++;
    }
    wire_commit cm = {H_CHAIN, 1, 0, x.id, k, sigs};
    CHECK_ERR(cons_on_commit(d.e, &cm, x.bytes.data, x.bytes.len), HANSA_OK);
    drv_collect(&d);
    drv_persist(&d);
    cons_start_height(d.e, 2, &vs2, 100);
    drv_collect(&d);
    drv_persist(&d);
    CHECK(d.n_votes >= 1);
    CHECK(vote_is(drv_last_vote(&d), VOTE_PREVOTE, 0, &z.id));
    hbuf_free(&x.bytes);
    hbuf_free(&z.bytes);
    hbuf_free(&z2.bytes);
    cons_free(d.e);
    drv_reset(&d);
}

static void test_valid_called_once_per_value(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    CHECK_EQ_U64(f.app.valid_calls, 1);
    next_round(&f, 0);
    give_prop(&f, 1, WIRE_ROUND_NONE, &x);
    CHECK_EQ_U64(f.app.valid_calls, 1);
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 1, &x.id));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

static void test_follower_and_rebroadcast(void) {
    h_net net;
    h_net_init(&net, 4, NULL, 0);
    h_app app = {.tag = 3};
    cons_config c = h_config(&net, -1, &app);
    drv d = {.e = cons_new(&c, NULL)};
    cons_start_height(d.e, 1, &net.vs, 0);
    drv_collect(&d);
    h_val x = mk_val(1, 0, 1);
    wire_proposal p = mk_prop(&net, valset_proposer(&net.vs, 0), 1, 0, WIRE_ROUND_NONE, &x.id);
    CHECK_ERR(cons_on_proposal(d.e, &p, x.bytes.data, x.bytes.len), HANSA_OK);
    for (size_t i = 0; i < 3; i++) {
        wire_vote v = mk_vote(&net, i, 1, 0, VOTE_PREVOTE, &x.id);
        CHECK_ERR(cons_on_vote(d.e, &v), HANSA_OK);
        v = mk_vote(&net, i, 1, 0, VOTE_PRECOMMIT, &x.id);
        CHECK_ERR(cons_on_vote(d.e, &v), HANSA_OK);
    }
    cons_on_timeout(d.e, CONS_TIMER_PROPOSE, 1, 0);
    drv_collect(&d);
    CHECK(d.decided);
    CHECK_EQ_U64(d.n_votes, 0);
    CHECK_EQ_U64(d.n_persist, 0);
    cons_free(d.e);
    drv_reset(&d);
    /* A key outside the set follows too, even as "proposer" of nothing. */
    h_net stranger;
    h_net_init(&stranger, 1, NULL, 100);
    c.key = &stranger.k[0];
    d.e = cons_new(&c, NULL);
    cons_start_height(d.e, 1, &net.vs, 0);
    CHECK_ERR(cons_on_proposal(d.e, &p, x.bytes.data, x.bytes.len), HANSA_OK);
    cons_on_timeout(d.e, CONS_TIMER_PROPOSE, 1, 0);
    drv_collect(&d);
    CHECK_EQ_U64(d.n_votes + d.n_persist + d.n_props, 0);
    CHECK_EQ_U64(cons_current_step(d.e), CONS_STEP_PREVOTE);
    cons_free(d.e);
    drv_reset(&d);

    fx f;
    fx_init(&f, false);
    give_prop(&f, 0, WIRE_ROUND_NONE, &x);
    cons_on_timeout(f.d.e, CONS_TIMER_PREVOTE, 1, 0); /* precommit nil, not yet durable */
    drv_collect(&f.d);
    size_t before = f.d.n_votes;
    cons_rebroadcast(f.d.e);
    drv_collect(&f.d);
    CHECK_EQ_U64(f.d.n_votes, before + 1); /* only the released prevote */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PREVOTE, 0, &x.id));
    drv_persist(&f.d);
    cons_rebroadcast(f.d.e);
    drv_collect(&f.d);
    CHECK_EQ_U64(f.d.n_votes, before + 4); /* the precommit, then both again */
    CHECK(vote_is(drv_last_vote(&f.d), VOTE_PRECOMMIT, 0, NULL));
    hbuf_free(&x.bytes);
    fx_free(&f);
}

/* ---- commit certificates ------------------------------------------------ */

static wire_commit mk_commit(const h_net *net, const size_t *who, size_t n, const hansa_hash *id,
                             wire_commit_sig *sigs) {
    for (size_t i = 0; i < n; i++) {
        wire_vote v = mk_vote(net, who[i], 5, 1, VOTE_PRECOMMIT, id);
        sigs[i] = (wire_commit_sig){(uint16_t)who[i], v.sig};
    }
    return (wire_commit){H_CHAIN, 5, 1, *id, (uint16_t)n, sigs};
}

static void test_commit_verify(void) {
    h_net net;
    h_net_init(&net, 4, NULL, 0);
    h_val x = mk_val(5, 1, 1);
    wire_commit_sig s[4];
    size_t good[3] = {0, 2, 3};
    wire_commit c = mk_commit(&net, good, 3, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_OK);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN + 1, net.vs.v, net.vs.n), HANSA_ERR_WRONG_CHAIN);
    size_t two[2] = {0, 2};
    c = mk_commit(&net, two, 2, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_QUORUM);
    c = mk_commit(&net, good, 3, &x.id, s);
    s[1].sig.b[5] ^= 1;
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_BAD_SIG);
    size_t unsorted[3] = {0, 3, 2};
    c = mk_commit(&net, unsorted, 3, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_NONCANONICAL);
    size_t dup[4] = {0, 2, 2, 3};
    c = mk_commit(&net, dup, 4, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_NONCANONICAL);
    c = mk_commit(&net, good, 3, &x.id, s);
    s[2].validator_index = 4;
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_INVALID);
    /* A signature for another block (or height) does not verify. */
    c = mk_commit(&net, good, 3, &x.id, s);
    c.height = 6;
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_BAD_SIG);
    c.n_sigs = 0;
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, net.vs.v, net.vs.n), HANSA_ERR_QUORUM);

    /* Weighted: 5 of 8 is not more than 2/3; 6 of 8 is. */
    uint64_t power[4] = {1, 1, 1, 5};
    h_net wnet;
    h_net_init(&wnet, 4, power, 40);
    size_t big[1] = {3}, big1[2] = {0, 3}, small[3] = {0, 1, 2};
    c = mk_commit(&wnet, big, 1, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, wnet.vs.v, wnet.vs.n), HANSA_ERR_QUORUM);
    c = mk_commit(&wnet, small, 3, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, wnet.vs.v, wnet.vs.n), HANSA_ERR_QUORUM);
    c = mk_commit(&wnet, big1, 2, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, wnet.vs.v, wnet.vs.n), HANSA_OK);
    /* Exactly 2/3 is not a quorum: powers 1,1,1,3 with 1+3 = 4 of 6. */
    uint64_t p2[4] = {1, 1, 1, 3};
    h_net_init(&wnet, 4, p2, 40);
    c = mk_commit(&wnet, big1, 2, &x.id, s);
    CHECK_ERR(cert_commit_verify(&c, H_CHAIN, wnet.vs.v, wnet.vs.n), HANSA_ERR_QUORUM);
    hbuf_free(&x.bytes);
}

static void test_on_commit_rejects(void) {
    fx f;
    fx_init(&f, false);
    h_val x = mk_val(1, 0, 1), y = mk_val(1, 0, 2);
    wire_commit_sig sigs[3];
    for (int i = 0; i < 3; i++) {
        wire_vote pc = mk_vote(&f.net, f.oth[i], 1, 0, VOTE_PRECOMMIT, &x.id);
        sigs[i] = (wire_commit_sig){(uint16_t)f.oth[i], pc.sig};
    }
    wire_commit c = {H_CHAIN, 1, 0, x.id, 3, sigs};
    /* The value must be the one the certificate names. */
    CHECK_ERR(cons_on_commit(f.d.e, &c, y.bytes.data, y.bytes.len), HANSA_ERR_INVALID);
    c.n_sigs = 2;
    CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_ERR_QUORUM);
    c.n_sigs = 3;
    c.height = 2;
    CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_ERR_STATE);
    c.height = 1;
    CHECK(!cons_decided(f.d.e));
    CHECK_ERR(cons_on_commit(f.d.e, &c, x.bytes.data, x.bytes.len), HANSA_OK);
    drv_collect(&f.d);
    CHECK(f.d.decided && hash_eq(&f.d.dec_id, &x.id));
    CHECK_ERR(cert_commit_verify(&f.d.dec_commit, H_CHAIN, f.net.vs.v, f.net.vs.n), HANSA_OK);
    hbuf_free(&x.bytes);
    hbuf_free(&y.bytes);
    fx_free(&f);
}

int main(void) {
    RUN(test_line22_prevote_and_persist_before_release);
    RUN(test_line22_invalid_value_prevotes_nil);
    RUN(test_line22_locked_on_other_value_prevotes_nil);
    RUN(test_proposal_checks);
    RUN(test_line28_pol_unlocks);
    RUN(test_line28_waits_for_pol);
    RUN(test_line29_locked_above_vr_and_break_switch);
    RUN(test_no_prevote_without_value);
    RUN(test_line34_prevote_timer_and_line61);
    RUN(test_line36_updates_valid_value);
    RUN(test_line44_nil_quorum);
    RUN(test_line47_precommit_timer_and_line65);
    RUN(test_line49_decide_with_commit);
    RUN(test_decided_commit_takes_late_precommits);
    RUN(test_line49_earlier_round);
    RUN(test_nil_quorum_starts_next_round);
    RUN(test_line55_round_skip);
    RUN(test_stale_timeouts_ignored);
    RUN(test_restart_after_prevote);
    RUN(test_rebroadcast_repeats_only_released_votes);
    RUN(test_restart_resends_left_precommit);
    RUN(test_restart_keeps_lock);
    RUN(test_restart_refuses_other_proposal);
    RUN(test_restart_valid_value_without_bytes);
    RUN(test_signer_codec);
    RUN(test_duplicate_vote_evidence);
    RUN(test_equivocator_counts_for_both_faces);
    RUN(test_third_face_kept_for_pol);
    RUN(test_relay_pol_votes);
    RUN(test_vote_checks_and_future_bound);
    RUN(test_next_height_buffer);
    RUN(test_next_height_duplicates);
    RUN(test_next_height_proposal_slots);
    RUN(test_valid_called_once_per_value);
    RUN(test_follower_and_rebroadcast);
    RUN(test_pbts_untimely_prevotes_nil);
    RUN(test_pbts_pol_not_judged);
    RUN(test_pbts_judged_on_arrival);
    RUN(test_commit_verify);
    RUN(test_on_commit_rejects);
    return check_summary();
}
