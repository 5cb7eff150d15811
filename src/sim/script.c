/* script.c — scripted attacks: fixed roles and a fixed network schedule.
 *
 * Random campaigns exercise the engine broadly but rarely line up the few
 * deliveries an attack on one rule needs (900 runs with a broken line 29
 * never broke agreement). A scripted attack names them: roles picked from
 * the proposer order, a Byzantine node that lies in a set way (byz.c,
 * BYZ_SCRIPTED), and drop rules by (height, round, message kind, signer,
 * receiver). The rules hold only before GST, like every other fault, so a
 * run with the correct engine still ends live.
 *
 * The line-29 attack. Four nodes of equal power (quorum 3, f = 1): B is
 * Byzantine; H2, B, H3 propose rounds 0, 1, 2 of height 1; H1 is the fourth.
 *   Round 0  H2 proposes B0. H2, H3 and B prevote it; H1 never sees it and
 *            prevotes nil. H3 locks on B0 (round 0). B's prevote reaches H2
 *            only after H2 left round 0, so H2 counted two prevotes for B0
 *            while at its prevote step and did not lock: it precommits nil.
 *            Precommits for B0: H3, B — no decision.
 *   Round 1  B proposes a fresh A (its engine would re-propose B0) to H1
 *            and H2 only. H1, H2 and B prevote A; H1 and H2 lock on A
 *            (round 1). B's precommit for A reaches H1 only: H1 decides A.
 *            H3, locked on B0 and without A's proposal, keeps validValue B0
 *            of round 0. Nobody else learns H1's decision by block sync.
 *   Round 2  H3 proposes B0 with proof-of-lock round 0 (H2 holds that POL:
 *            H2, H3 and B's late prevote). Alg. 1 line 28 lets H2, locked
 *            on A in round 1, prevote B0 only if lockedRound <= vr, i.e.
 *            1 <= 0: it prevotes nil, B0 gets two prevotes, and the lock
 *            protects A. With the engine's test_break_line29 the test is
 *            skipped: H2, H3 and B prevote B0, H2 and H3 lock and
 *            precommit it, and with B's precommit they decide B0 while H1
 *            decided A — the agreement checker must say so.
 * H2 never needs B0 as its validValue (the sketch this began from had it):
 * line 28 only asks for the POL prevotes, which H2 gets in round 1. */
#include <string.h>

#include "base/assert.h"
#include "sim/world.h"
#include "wire/codec.h"

#define SCRIPT_GST_US 12000000ull /* round 2 of height 1 ends near 5 s */
#define ROLE_ANY ROLE_COUNT_

typedef struct {
    uint8_t msg;       /* MSG_PROPOSAL, MSG_VOTE, MSG_SYNC_RESP */
    uint8_t vote_type; /* MSG_VOTE: VOTE_PREVOTE or VOTE_PRECOMMIT */
    uint32_t round;    /* of height 1 (consensus messages) */
    script_role from;  /* the signer; for MSG_SYNC_RESP the sender */
    script_role to;    /* or ROLE_ANY */
    bool while_in_round; /* only while the receiver is still in `round` */
} script_rule;

static const script_rule line29_rules[] = {
    /* H1 never sees B0, so it can neither lock on it nor hold it valid. */
    {MSG_PROPOSAL, 0, 0, ROLE_H2, ROLE_H1, false},
    /* H2 counts B's prevote for B0 only after round 0: no lock on B0. */
    {MSG_VOTE, VOTE_PREVOTE, 0, ROLE_B, ROLE_H2, true},
    /* H3 never sees A: its validValue stays B0 of round 0. */
    {MSG_PROPOSAL, 0, 1, ROLE_B, ROLE_H3, false},
    /* Only H1 gets B's precommit for A, so only H1 decides A. */
    {MSG_VOTE, VOTE_PRECOMMIT, 1, ROLE_B, ROLE_H2, false},
    {MSG_VOTE, VOTE_PRECOMMIT, 1, ROLE_B, ROLE_H3, false},
    /* Nobody learns H1's decision by block sync (B's engine neither: it
     * must still be at height 1 to vote in round 2). */
    {MSG_SYNC_RESP, 0, 0, ROLE_H1, ROLE_ANY, false},
};

hansa_err sim_attack_parse(const char *s, sim_attack_kind *out) {
    if (strcmp(s, "none") == 0) *out = SIM_ATTACK_NONE;
    else if (strcmp(s, "line29") == 0) *out = SIM_ATTACK_LINE29;
    else return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

const char *sim_attack_name(sim_attack_kind a) {
    switch (a) {
    case SIM_ATTACK_NONE: return "none";
    case SIM_ATTACK_LINE29: return "line29";
    }
    return "?";
}

/* The schedule assumes exactly its own world: four equal nodes, no random
 * faults, the default validator set (whose proposer order it reads). */
hansa_err script_check_options(const sim_options *o) {
    HANSA_ASSERT(o->attack == SIM_ATTACK_LINE29);
    if (o->nodes != ROLE_COUNT_ || o->faults != 0 || o->byz_power_third || o->valset_fn)
        return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

static uint16_t proposer_node(const world *w, uint32_t round) {
    const cons_valset *vs = &w->vs[0];
    int node = world_node_of_key(w, &vs->v[valset_proposer(vs, round)].pubkey);
    HANSA_ASSERT(node >= 0);
    return (uint16_t)node;
}

void script_setup(world *w) {
    sim_script *s = &w->script;
    HANSA_ASSERT(w->n == ROLE_COUNT_);
    HANSA_ASSERT(w->n_vs == 1);
    memset(s, 0, sizeof *s);
    s->on = true;
    s->node[ROLE_H2] = proposer_node(w, 0);
    s->node[ROLE_B] = proposer_node(w, 1);
    s->node[ROLE_H3] = proposer_node(w, 2);
    /* Equal powers: weighted round-robin gives four distinct proposers. */
    HANSA_ASSERT(s->node[ROLE_H2] != s->node[ROLE_B]);
    HANSA_ASSERT(s->node[ROLE_H2] != s->node[ROLE_H3]);
    HANSA_ASSERT(s->node[ROLE_B] != s->node[ROLE_H3]);
    s->node[ROLE_H1] = (uint16_t)(0 + 1 + 2 + 3 - s->node[ROLE_H2] - s->node[ROLE_B] -
                                  s->node[ROLE_H3]);
    HANSA_ASSERT(s->node[ROLE_H1] < w->n);
    sim_node *b = &w->nodes[s->node[ROLE_B]];
    b->byz = BYZ_SCRIPTED;
    w->res->byz_nodes = 1;
    w->res->byz_power = b->power;
}

uint64_t script_gst_us(const world *w) {
    HANSA_ASSERT(w->script.on);
    return SCRIPT_GST_US;
}

/* What a message is, as far as the rules care; false for messages no rule
 * names (sync requests, undecodable bytes, other heights). */
typedef struct {
    uint8_t msg, vote_type;
    uint32_t round;
    int signer; /* node index, -1 for unknown */
} msg_facts;

static bool facts_of(const world *w, uint16_t from, const sim_msg *m, msg_facts *f) {
    wire_rd r;
    rd_init(&r, m->data, m->len);
    f->msg = rd_u8(&r, "type");
    f->vote_type = 0;
    f->round = 0;
    f->signer = from;
    if (r.err != HANSA_OK) return false;
    if (f->msg == MSG_SYNC_RESP) return true;
    if (f->msg == MSG_VOTE) {
        wire_vote v;
        if (wire_vote_decode(m->data + 1, m->len - 1, &v, NULL) != HANSA_OK || v.height != 1)
            return false;
        f->vote_type = v.type;
        f->round = v.round;
        f->signer = world_node_of_key(w, &v.validator);
        return true;
    }
    if (f->msg != MSG_PROPOSAL) return false;
    uint32_t len = rd_len(&r, 1024, "proposal");
    const uint8_t *pb = rd_borrow(&r, len, "proposal");
    wire_proposal p;
    if (r.err != HANSA_OK || wire_proposal_decode(pb, len, &p, NULL) != HANSA_OK || p.height != 1)
        return false;
    f->round = p.round;
    f->signer = world_node_of_key(w, &p.proposer);
    return true;
}

static bool rule_matches(const world *w, const script_rule *rule, const msg_facts *f,
                         uint16_t to) {
    const sim_script *s = &w->script;
    if (rule->msg != f->msg || f->signer != (int)s->node[rule->from]) return false;
    if (rule->to != ROLE_ANY && to != s->node[rule->to]) return false;
    if (f->msg == MSG_SYNC_RESP) return true;
    if (rule->round != f->round || rule->vote_type != f->vote_type) return false;
    if (!rule->while_in_round) return true;
    const sim_node *rx = &w->nodes[to];
    return rx->e != NULL && cons_height(rx->e) == 1 && cons_round(rx->e) <= rule->round;
}

bool script_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m) {
    HANSA_ASSERT(w->script.on);
    if (w->now_us >= w->gst_us) return false;
    msg_facts f;
    if (!facts_of(w, from, m, &f)) return false;
    for (size_t i = 0; i < sizeof line29_rules / sizeof line29_rules[0]; i++)
        if (rule_matches(w, &line29_rules[i], &f, to)) return true;
    return false;
}
