/* script.c — scripted attacks: fixed roles and a fixed network schedule.
 *
 * Random campaigns exercise the engine broadly but rarely line up the few
 * deliveries an attack on one rule needs (900 runs with a broken line 29
 * never broke agreement). A scripted attack names them: roles picked from
 * the proposer order, a Byzantine node that lies in a set way (byz.c,
 * BYZ_SCRIPTED), and drop rules by (height, round, message kind, signer,
 * receiver, matched by who signed a message, so relayed copies obey them
 * too). The rules hold only before GST, like every other fault, so a run
 * with the correct engine still ends live. The nodes are production nodes
 * (host.c); the honest ones get node_config.test_break_line29 with
 * --break-line29.
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
 *            of round 0. Nobody else learns H1's decision by block sync
 *            (H1's BLOCK answers are dropped).
 *   Round 2  H3 proposes B0 with proof-of-lock round 0 (H2 holds that POL:
 *            H2, H3 and B's late prevote). Alg. 1 line 28 lets H2, locked
 *            on A in round 1, prevote B0 only if lockedRound <= vr, i.e.
 *            1 <= 0: it prevotes nil, B0 gets two prevotes, and the lock
 *            protects A. With the engine's test_break_line29 the test is
 *            skipped: H2, H3 and B prevote B0, H2 and H3 lock and
 *            precommit it, and with B's precommit they decide B0 while H1
 *            decided A — the agreement checker must say so.
 * H2 never needs B0 as its validValue (the sketch this began from had it):
 * line 28 only asks for the POL prevotes, which H2 gets in round 1.
 *
 * The crash-precommit schedule. Four honest nodes of equal power; P0..P3
 * propose rounds 0..3 of height 1. It is the moment the WAL exists for:
 * delegates crash right after they precommitted, and after their restart
 * the height can only be decided with what their WALs kept.
 *   Round 0  P0 proposes X; P3 never sees it and prevotes nil. P0, P1, P2
 *            prevote X. P1 and P2 see the proof of lock (three prevotes for
 *            X), lock X and precommit it; P0 never counts P1's prevote
 *            while in round 0, so it neither locks X nor takes it as its
 *            validValue (Alg. 1 line 36 needs the proof in the round). Two
 *            precommits for X: no decision. At CRASH_AT_US, round 0 still
 *            open, P1 and P2 crash, and P0 with them (the proposer holds
 *            X's bytes too and re-sends its proposal to every peer that
 *            comes up: a power cut in three of four sites). All three are
 *            back at CRASH_RESTART_US.
 *   Later    Locked on X (the signer state keeps the lock's id and round,
 *            not the block), P1 and P2 prevote nil on any fresh value, so
 *            nothing but X can gather three prevotes, and only a node whose
 *            validValue is X re-proposes it: P1 or P2, once they have X's
 *            bytes again. Their WAL holds them (the proposal, and the
 *            round-0 prevotes P0 and P3 need to accept it, line 28): P1 or
 *            P2 re-proposes X in the next round it leads and the height is
 *            decided. A node that does not replay its WAL proposes nothing
 *            in its rounds (engine.c, propose), P0 and P3 propose fresh
 *            values the locked two refuse, and the chain stalls for good:
 *            the liveness checker says so at the end of the run. */
#include <string.h>

#include "base/assert.h"
#include "node/msg.h"
#include "node/node_int.h" /* B builds its fresh block A with its node's builder */
#include "sim/world.h"
#include "wire/codec.h"

#define SCRIPT_GST_US 12000000ull /* line29: round 2 of height 1 ends near 5 s */
#define CRASH_AT_US 300000ull       /* crash-precommit: P3 waits for X until 1 s */
#define CRASH_RESTART_US 3000000ull /* P3 left round 0 near 2 s */
#define CRASH_GST_US 4000000ull
#define ROLE_ANY ROLE_COUNT_
/* The line-29 attack's names for the roles. */
#define ROLE_H2 ROLE_P0
#define ROLE_B ROLE_P1
#define ROLE_H3 ROLE_P2
#define ROLE_H1 ROLE_P3

typedef struct {
    uint8_t msg;       /* MSG_PROPOSAL, MSG_VOTE, MSG_BLOCK */
    uint8_t vote_type; /* MSG_VOTE: VOTE_PREVOTE or VOTE_PRECOMMIT */
    uint32_t round;    /* of height 1 (consensus messages) */
    script_role from;  /* the signer; for MSG_BLOCK the sender */
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
    {MSG_BLOCK, 0, 0, ROLE_H1, ROLE_ANY, false},
};

static const script_rule crash_rules[] = {
    /* P3 never sees X: it prevotes nil and never holds X's bytes. */
    {MSG_PROPOSAL, 0, 0, ROLE_P0, ROLE_P3, false},
    /* P0 sees no proof of lock for X in round 0: X is not its validValue. */
    {MSG_VOTE, VOTE_PREVOTE, 0, ROLE_P1, ROLE_P0, true},
};

static const char *const attack_names[] = {
    [SIM_ATTACK_NONE] = "none",
    [SIM_ATTACK_LINE29] = "line29",
    [SIM_ATTACK_CRASH_PRECOMMIT] = "crash-precommit",
    [SIM_ATTACK_LIFT_INTERLOCK] = "interlocking",
    [SIM_ATTACK_LIFT_TIMEOUT] = "unilateral-timeout",
    [SIM_ATTACK_LIFT_RELAY] = "crashed-relay",
    [SIM_ATTACK_LIFT_SILENT] = "silent-originator",
    [SIM_ATTACK_LIFT_FORGE] = "forged-commit",
    [SIM_ATTACK_LIFT_INVOICE] = "invoice-overlift",
    [SIM_ATTACK_LIFT_ALL] = "all",
    [SIM_ATTACK_FROST_HANDOFF] = "frost-handoff",
};

hansa_err sim_attack_parse(const char *s, sim_attack_kind *out) {
    for (size_t i = 0; i < sizeof attack_names / sizeof attack_names[0]; i++)
        if (strcmp(s, attack_names[i]) == 0) {
            *out = (sim_attack_kind)i;
            return HANSA_OK;
        }
    return HANSA_ERR_CONFIG;
}

const char *sim_attack_name(sim_attack_kind a) {
    return (size_t)a < sizeof attack_names / sizeof attack_names[0] ? attack_names[a] : "?";
}

/* The schedule assumes exactly its own world: four equal nodes, no random
 * faults, the genesis set (whose proposer order it reads). */
hansa_err script_check_options(const sim_options *o) {
    HANSA_ASSERT(SIM_ATTACK_IS_SCRIPT(o->attack));
    if (o->nodes != ROLE_COUNT_ || o->faults != 0 || o->byz_power_third || o->valset_change)
        return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

/* P0, P1 and P2 crash while waiting in round 0, P1's and P2's precommits
 * for X sent, and restart with their disks as the crash left them. (Not at
 * the instant a precommit leaves, as host.c's crash_after_send does: a
 * crash drops what is still in flight on its links, and the first of the
 * two to precommit would often take its prevote, which the other needs for
 * its proof of lock, down with it.) */
static void schedule_crashes(world *w) {
    for (script_role r = ROLE_P0; r <= ROLE_P2; r++) {
        const sim_node *nd = &w->nodes[w->script.node[r]];
        world_push(w, CRASH_AT_US, EV_CRASH, nd, 0, 0, 0, 0, NULL);
        world_push(w, CRASH_RESTART_US, EV_RESTART, nd, 0, 0, 0, 0, NULL);
    }
}

void script_setup(world *w) {
    sim_script *s = &w->script;
    HANSA_ASSERT(w->n == ROLE_COUNT_);
    memset(s, 0, sizeof *s);
    s->on = true;
    wire_validator v[ROLE_COUNT_];
    for (uint16_t i = 0; i < w->n; i++) v[i] = (wire_validator){w->nodes[i].key.pub, w->nodes[i].power};
    cons_valset vs;
    HANSA_ASSERT(valset_init(&vs, v, w->n) == HANSA_OK);
    for (uint32_t r = 0; r < ROLE_COUNT_; r++) {
        int k = world_node_of_key(w, &vs.v[valset_proposer(&vs, r)].pubkey);
        HANSA_ASSERT(k >= 0);
        s->node[r] = (uint16_t)k;
    }
    /* Equal powers: weighted round-robin gives four distinct proposers. */
    for (uint32_t r = 0; r < ROLE_COUNT_; r++)
        for (uint32_t q = 0; q < r; q++) HANSA_ASSERT(s->node[q] != s->node[r]);
    switch (w->o.attack) {
    case SIM_ATTACK_NONE:
    case SIM_ATTACK_LIFT_INTERLOCK:
    case SIM_ATTACK_LIFT_TIMEOUT:
    case SIM_ATTACK_LIFT_RELAY:
    case SIM_ATTACK_LIFT_SILENT:
    case SIM_ATTACK_LIFT_FORGE:
    case SIM_ATTACK_LIFT_INVOICE:
    case SIM_ATTACK_LIFT_ALL:
    case SIM_ATTACK_FROST_HANDOFF: HANSA_UNREACHABLE(); /* not a schedule of this file */
    case SIM_ATTACK_LINE29: {
        sim_node *b = &w->nodes[s->node[ROLE_B]];
        b->byz = BYZ_SCRIPTED;
        w->res->byz_nodes = 1;
        w->res->byz_power = b->power;
        return;
    }
    case SIM_ATTACK_CRASH_PRECOMMIT: schedule_crashes(w); return;
    }
}

void script_free(world *w) { hbuf_free(&w->script.a_msg); }

uint64_t script_gst_us(const world *w) {
    HANSA_ASSERT(w->script.on);
    return w->o.attack == SIM_ATTACK_CRASH_PRECOMMIT ? CRASH_GST_US : SCRIPT_GST_US;
}

/* What a message is, as far as the rules care; false for messages no rule
 * names (sync requests, undecodable bytes, other heights). */
typedef struct {
    uint8_t msg, vote_type;
    uint32_t round;
    int signer; /* node index, -1 for unknown */
} msg_facts;

static bool facts_of(const world *w, uint16_t from, const sim_msg *m, msg_facts *f) {
    f->msg = m->data[0];
    f->vote_type = 0;
    f->round = 0;
    f->signer = from;
    if (f->msg == MSG_BLOCK) return true;
    if (f->msg == MSG_VOTE) {
        wire_vote v;
        if (wire_vote_decode(m->data + 1, m->len - 1, &v, NULL) != HANSA_OK || v.height != 1)
            return false;
        f->vote_type = v.type;
        f->round = v.round;
        f->signer = world_node_of_key(w, &v.validator);
        return true;
    }
    msg_proposal mp;
    wire_proposal p;
    if (f->msg != MSG_PROPOSAL || msg_proposal_decode(m->data + 1, m->len - 1, &mp, NULL) != HANSA_OK ||
        wire_proposal_decode(mp.proposal, mp.proposal_len, &p, NULL) != HANSA_OK || p.height != 1)
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
    if (f->msg == MSG_BLOCK) return true;
    if (rule->round != f->round || rule->vote_type != f->vote_type) return false;
    if (!rule->while_in_round) return true;
    const sim_node *rx = &w->nodes[to];
    if (!rx->up) return false;
    node_status st;
    node_get_status(rx->n, &st);
    return st.cons_height == 1 && st.cons_round <= rule->round;
}

bool script_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m) {
    HANSA_ASSERT(w->script.on);
    if (w->now_us >= w->gst_us) return false;
    msg_facts f;
    if (!facts_of(w, from, m, &f)) return false;
    bool crash = w->o.attack == SIM_ATTACK_CRASH_PRECOMMIT;
    const script_rule *rules = crash ? crash_rules : line29_rules;
    size_t n = crash ? sizeof crash_rules / sizeof crash_rules[0]
                     : sizeof line29_rules / sizeof line29_rules[0];
    for (size_t i = 0; i < n; i++)
        if (rule_matches(w, &rules[i], &f, to)) return true;
    return false;
}

/* --- the B node (its sends arrive here from byz.c) ------------------------ */

static bool script_slot(const world *w, uint64_t height, uint32_t round) {
    return w->script.on && height == 1 && round <= 2;
}

static void send_vote(sim_node *nd, const wire_vote *v, int except) {
    hbuf b = HBUF_INIT;
    wire_vote_encode(&b, v);
    simnet_broadcast(nd->w, nd->idx, msg_new(MSG_VOTE, b.data, b.len), except, nd->busy_us);
    hbuf_free(&b);
}

/* Round 1 of height 1: a fresh block A (proof-of-lock round none) in place
 * of what B's node proposes (its valid value B0, POL round 0), built once
 * by B's node, so every re-send repeats the same signed message. */
static void send_a(sim_node *nd, const wire_proposal *p, int except) {
    sim_script *s = &nd->w->script;
    if (!s->has_a) {
        hbuf block = HBUF_INIT, pb = HBUF_INIT;
        HANSA_ASSERT(chain_get_value(nd->n, 1, 1, &block, &s->a));
        wire_proposal q = *p;
        q.pol_round = WIRE_ROUND_NONE;
        q.block = s->a;
        q.proposer = nd->key.pub;
        wire_proposal_sign_bytes(&pb, &q);
        sign_domain(&nd->key, SIGN_DOMAIN_PROPOSAL, pb.data, pb.len, &q.sig);
        hbuf_reset(&pb);
        wire_proposal_encode(&pb, &q);
        msg_proposal mp = {pb.data, (uint32_t)pb.len, block.data, (uint32_t)block.len};
        msg_proposal_encode(&s->a_msg, &mp);
        s->has_a = true;
        hbuf_free(&block);
        hbuf_free(&pb);
    }
    host_observe_proposal(nd, s->a_msg.data, s->a_msg.len);
    simnet_broadcast(nd->w, nd->idx, msg_new(MSG_PROPOSAL, s->a_msg.data, s->a_msg.len), except,
                     nd->busy_us);
}

/* Round 0: B's node votes as it likes (it prevotes B0, the proposal it
 * got), and B0 is noted. Round 1: A, both steps. Round 2: B0, both steps.
 * Later rounds and heights, and everything else: as its node says. */
void script_byz_broadcast(sim_node *nd, uint8_t type, const uint8_t *b, size_t len, int except) {
    world *w = nd->w;
    sim_script *s = &w->script;
    HANSA_ASSERT(nd->byz == BYZ_SCRIPTED);
    msg_proposal mp;
    wire_proposal p;
    wire_vote v;
    if (type == MSG_PROPOSAL && msg_proposal_decode(b, len, &mp, NULL) == HANSA_OK &&
        wire_proposal_decode(mp.proposal, mp.proposal_len, &p, NULL) == HANSA_OK &&
        pubkey_eq(&p.proposer, &nd->key.pub) && script_slot(w, p.height, p.round) && p.round == 1) {
        send_a(nd, &p, except);
        return;
    }
    if (type == MSG_VOTE && wire_vote_decode(b, len, &v, NULL) == HANSA_OK &&
        pubkey_eq(&v.validator, &nd->key.pub) && script_slot(w, v.height, v.round)) {
        if (v.round == 0 && v.type == VOTE_PREVOTE && v.block.present && !s->has_b0) {
            s->b0 = v.block.hash;
            s->has_b0 = true;
        }
        wire_vote x = v;
        if (v.round == 1 && s->has_a) x.block = (block_id){true, s->a};
        if (v.round == 2 && s->has_b0) x.block = (block_id){true, s->b0};
        if (v.round > 0) {
            hbuf sb = HBUF_INIT;
            wire_vote_sign_bytes(&sb, &x);
            sign_domain(&nd->key, SIGN_DOMAIN_VOTE, sb.data, sb.len, &x.sig);
            hbuf_free(&sb);
        }
        send_vote(nd, &x, except);
        return;
    }
    simnet_broadcast(w, nd->idx, msg_new(type, b, len), except, nd->busy_us);
}
