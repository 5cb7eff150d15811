/* byz.c — Byzantine delegates: a real engine plus a wrapper on what it sends.
 *
 * A Byzantine node runs the same engine as everyone else; its misbehaviour
 * lives only here, between the engine's outputs and the network, using the
 * node's own key to sign whatever extra messages it wants:
 *   equivocate   its proposal goes to one half of the nodes and a second
 *                proposal for another value, same slot, to the other half;
 *   double vote  each vote goes to everyone and a conflicting one (nil, or
 *                the other face of an equivocation) to one half; in a round
 *                with a known equivocation the halves get opposite faces;
 *   silent       sends nothing at all;
 *   garbage      behaves, and besides sends random bytes, badly signed
 *                votes and proposals, truncated messages and votes for far
 *                future rounds (exercising every rejection path);
 *   invalid      proposes values marked invalid and votes for them (its
 *                valid() accepts them; see node.c);
 *   amnesia      behaves, but crashes now and then and restarts with its
 *                signer state and lock forgotten (sim.c schedules it);
 *   coordinated  equivocate + double vote, all Byzantine nodes showing the
 *                same face to the same half: the attack that breaks safety
 *                once Byzantine power reaches 1/3;
 *   scripted     the B node of the line-29 attack (script.c): at height 1
 *                it prevotes the round-0 value B0 like everyone, then in
 *                round 1 proposes a fresh value A instead of its valid
 *                value and votes A, and in round 2 votes B0 again. It
 *                never shows two faces to anyone: who sees what is the
 *                schedule's business (script.c), not B's. */
#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "sim/world.h"
#include "wire/codec.h"

void sign_vote(const sim_node *nd, wire_vote *v) {
    hbuf b = HBUF_INIT;
    v->validator = nd->key.pub;
    wire_vote_sign_bytes(&b, v);
    sign_domain(&nd->key, SIGN_DOMAIN_VOTE, b.data, b.len, &v->sig);
    hbuf_free(&b);
}

void sign_proposal(const sim_node *nd, wire_proposal *p) {
    hbuf b = HBUF_INIT;
    p->proposer = nd->key.pub;
    wire_proposal_sign_bytes(&b, p);
    sign_domain(&nd->key, SIGN_DOMAIN_PROPOSAL, b.data, b.len, &p->sig);
    hbuf_free(&b);
}

/* The two halves; a Byzantine node counts itself in the first. */
static void half_mask(const sim_node *nd, uint8_t half, bool *to) {
    const world *w = nd->w;
    for (uint16_t i = 0; i < w->n; i++) to[i] = w->nodes[i].half == half;
    to[nd->idx] = half == 0;
}

static const sim_attack *attack_find(const world *w, uint64_t height, uint32_t round) {
    for (size_t i = 0; i < w->n_attacks; i++)
        if (w->attacks[i].height == height && w->attacks[i].round == round) return &w->attacks[i];
    return NULL;
}

static void attack_add(world *w, uint64_t height, uint32_t round, const hansa_hash *a,
                       const hansa_hash *b) {
    size_t i = w->n_attacks < SIM_ATTACKS_MAX ? w->n_attacks++ : (size_t)(height % SIM_ATTACKS_MAX);
    w->attacks[i] = (sim_attack){height, round, *a, *b};
}

void byz_send_proposal(sim_node *nd, const wire_proposal *p, const uint8_t *value, size_t len) {
    world *w = nd->w;
    bool to[SIM_NODES_MAX];
    switch (nd->byz) {
    case BYZ_SILENT: return;
    case BYZ_DOUBLE_VOTE: simnet_broadcast(w, nd->idx, msg_proposal(w, p, value, len)); return;
    case BYZ_EQUIVOCATE:
    case BYZ_COORDINATED: {
        uint8_t alt[SIM_VALUE_BYTES];
        wire_proposal q = *p;
        simnode_make_value(nd, p->height, p->round, VALUE_FLAG_ALT, alt, &q.block);
        sign_proposal(nd, &q);
        attack_add(w, p->height, p->round, &p->block, &q.block);
        half_mask(nd, 0, to);
        simnet_multicast(w, nd->idx, msg_proposal(w, p, value, len), to);
        half_mask(nd, 1, to);
        simnet_multicast(w, nd->idx, msg_proposal(w, &q, alt, sizeof alt), to);
        return;
    }
    case BYZ_SCRIPTED: byz_script_proposal(nd, p, value, len); return;
    case BYZ_NONE:
    case BYZ_GARBAGE:
    case BYZ_INVALID:
    case BYZ_AMNESIA: break;
    }
    HANSA_UNREACHABLE(); /* node.c sends these itself */
}

void byz_send_vote(sim_node *nd, const wire_vote *v) {
    world *w = nd->w;
    bool to[SIM_NODES_MAX];
    switch (nd->byz) {
    case BYZ_SILENT: return;
    case BYZ_EQUIVOCATE: simnet_broadcast(w, nd->idx, msg_vote(w, v)); return;
    case BYZ_DOUBLE_VOTE:
    case BYZ_COORDINATED: {
        const sim_attack *a = attack_find(w, v->height, v->round);
        wire_vote x = *v, y = *v;
        if (a) {
            x.block = (block_id){true, a->a};
            y.block = (block_id){true, a->b};
        } else {
            y.block = v->block.present ? (block_id){false, {{0}}} : (block_id){true, {{0}}};
            if (!v->block.present) prng_fill(&w->rng, y.block.hash.b, HANSA_HASH_BYTES);
        }
        sign_vote(nd, &x);
        sign_vote(nd, &y);
        for (uint16_t i = 0; i < w->n; i++) to[i] = true;
        if (a) half_mask(nd, 0, to);
        simnet_multicast(w, nd->idx, msg_vote(w, &x), to);
        half_mask(nd, 1, to);
        simnet_multicast(w, nd->idx, msg_vote(w, &y), to);
        return;
    }
    case BYZ_SCRIPTED: byz_script_vote(nd, v); return;
    case BYZ_NONE:
    case BYZ_GARBAGE:
    case BYZ_INVALID:
    case BYZ_AMNESIA: break;
    }
    HANSA_UNREACHABLE();
}

/* One piece of garbage to one random peer. */
void byz_garbage(sim_node *nd) {
    world *w = nd->w;
    HANSA_ASSERT(nd->up);
    uint16_t to = (uint16_t)prng_below(&w->rng, w->n);
    uint64_t h = cons_height(nd->e);
    uint32_t r = cons_round(nd->e);
    wire_vote v = {w->cfg.chain_id, h, r, (uint8_t)(1 + prng_below(&w->rng, 2)), {true, {{0}}},
                   nd->key.pub, {{0}}};
    prng_fill(&w->rng, v.block.hash.b, HANSA_HASH_BYTES);
    sim_msg *m;
    switch (prng_below(&w->rng, 5)) {
    case 0: { /* random bytes, with a random type byte */
        uint8_t junk[300];
        size_t len = 1 + prng_below(&w->rng, sizeof junk);
        prng_fill(&w->rng, junk, len);
        m = msg_new(junk, len);
        break;
    }
    case 1: /* a well-formed vote whose signature is noise */
        prng_fill(&w->rng, v.sig.b, HANSA_SIG_BYTES);
        m = msg_vote(w, &v);
        break;
    case 2: { /* a proposal with a bad signature */
        uint8_t val[SIM_VALUE_BYTES];
        wire_proposal p = {w->cfg.chain_id, h, r, WIRE_ROUND_NONE, {{0}}, nd->key.pub, {{0}}};
        simnode_make_value(nd, h, r, 0, val, &p.block);
        prng_fill(&w->rng, p.sig.b, HANSA_SIG_BYTES);
        m = msg_proposal(w, &p, val, sizeof val);
        break;
    }
    case 3: /* correctly signed, for a round far beyond any buffer */
        v.round = r + 1000 + (uint32_t)prng_below(&w->rng, 1u << 20);
        sign_vote(nd, &v);
        m = msg_vote(w, &v);
        break;
    default: { /* a signed vote cut short */
        sign_vote(nd, &v);
        sim_msg *full = msg_vote(w, &v);
        m = msg_new(full->data, 1 + prng_below(&w->rng, full->len - 1));
        msg_release_unsent(full);
        break;
    }
    }
    simnet_send(w, nd->idx, to, m);
}

/* --- the scripted attacker (roles and schedule: script.c) ----------------- */

static bool script_slot(const sim_node *nd, uint64_t height, uint32_t round) {
    return nd->w->script.on && height == 1 && round <= 2;
}

/* Round 1 of height 1: a fresh value A (proof-of-lock round none) in place
 * of what B's engine proposes (its valid value B0, POL round 0). Made once,
 * so the engine's re-sends repeat the same signed message. */
void byz_script_proposal(sim_node *nd, const wire_proposal *p, const uint8_t *value, size_t len) {
    world *w = nd->w;
    sim_script *s = &w->script;
    HANSA_ASSERT(nd->byz == BYZ_SCRIPTED);
    if (!script_slot(nd, p->height, p->round) || p->round != 1) {
        simnet_broadcast(w, nd->idx, msg_proposal(w, p, value, len));
        return;
    }
    if (!s->has_a) {
        s->a_prop = *p;
        s->a_prop.pol_round = WIRE_ROUND_NONE;
        simnode_make_value(nd, p->height, p->round, 0, s->a_value, &s->a_prop.block);
        sign_proposal(nd, &s->a_prop);
        s->has_a = true;
    }
    simnet_broadcast(w, nd->idx, msg_proposal(w, &s->a_prop, s->a_value, sizeof s->a_value));
}

/* Round 0: B's engine votes as it likes (it prevotes B0, the proposal it
 * got), and B0 is noted. Round 1: A, both steps. Round 2: B0, both steps.
 * Later rounds and heights: the engine's own votes. */
void byz_script_vote(sim_node *nd, const wire_vote *v) {
    world *w = nd->w;
    sim_script *s = &w->script;
    HANSA_ASSERT(nd->byz == BYZ_SCRIPTED);
    wire_vote x = *v;
    if (script_slot(nd, v->height, v->round)) {
        if (v->round == 0 && v->type == VOTE_PREVOTE && v->block.present && !s->has_b0) {
            s->b0 = v->block.hash;
            s->has_b0 = true;
        }
        if (v->round == 1 && s->has_a) x.block = (block_id){true, s->a_prop.block};
        if (v->round == 2 && s->has_b0) x.block = (block_id){true, s->b0};
        if (v->round > 0) sign_vote(nd, &x);
    }
    simnet_broadcast(w, nd->idx, msg_vote(w, &x));
}
