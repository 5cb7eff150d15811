/* byz.c — Byzantine delegates: a real node plus a wrapper on what it sends.
 *
 * A Byzantine node runs the same production node as everyone else; its
 * misbehaviour lives only here, between the node's broadcasts and the
 * network, using the node's own key to sign whatever extra messages it
 * wants (messages it merely relays pass unchanged):
 *   equivocate   its proposal goes to one half of the nodes and a second
 *                proposal, for another valid block of the same height
 *                (its node's block builder run again one millisecond
 *                later), to the other half;
 *   double vote  each vote goes to everyone and a conflicting one (nil, or
 *                the other face of an equivocation) to one half; in a round
 *                with a known equivocation the halves get opposite faces;
 *   silent       sends nothing at all;
 *   garbage      behaves, and besides sends random bytes, badly signed
 *                votes and proposals, truncated messages and votes for far
 *                future rounds (exercising every rejection path);
 *   invalid      proposes blocks whose app hash is wrong (every honest node
 *                that executes one finds it invalid) and votes for them;
 *   amnesia      behaves, but crashes now and then and restarts with its
 *                signer state and WAL forgotten (sim.c schedules it);
 *   coordinated  equivocate + double vote, all Byzantine nodes showing the
 *                same face to the same half: the attack that breaks safety
 *                once Byzantine power reaches 1/3;
 *   scripted     the B node of the line-29 attack (script.c).
 * Every extra face is made once per slot and kept (sim_node.faces), so the
 * node's re-sends repeat the same signed bytes. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "node/msg.h"
#include "node/node_int.h" /* the adversary borrows its own node's block builder */
#include "sim/world.h"

enum { FACE_PROPOSAL = 1, FACE_INVALID, FACE_VOTE_PREVOTE, FACE_VOTE_PRECOMMIT };

static const byz_face *face_find(const sim_node *nd, uint64_t height, uint32_t round, uint8_t kind) {
    uint32_t n = nd->n_faces < BYZ_FACES_MAX ? nd->n_faces : BYZ_FACES_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const byz_face *f = &nd->faces[i];
        if (f->height == height && f->round == round && f->kind == kind) return f;
    }
    return NULL;
}

static const byz_face *face_keep(sim_node *nd, uint64_t height, uint32_t round, uint8_t kind,
                                 const hansa_hash *orig, const hansa_hash *id, sim_msg *m) {
    byz_face *f = &nd->faces[nd->n_faces++ % BYZ_FACES_MAX];
    if (f->msg) msg_unref(f->msg);
    m->refs++;
    *f = (byz_face){height, round, kind, *orig, *id, m};
    return f;
}

void byz_free(sim_node *nd) {
    for (uint32_t i = 0; i < BYZ_FACES_MAX; i++)
        if (nd->faces[i].msg) msg_unref(nd->faces[i].msg);
    memset(nd->faces, 0, sizeof nd->faces);
    nd->n_faces = 0;
}

static void sign_vote(const sim_node *nd, wire_vote *v) {
    hbuf b = HBUF_INIT;
    v->validator = nd->key.pub;
    wire_vote_sign_bytes(&b, v);
    sign_domain(&nd->key, SIGN_DOMAIN_VOTE, b.data, b.len, &v->sig);
    hbuf_free(&b);
}

static void sign_proposal(const sim_node *nd, wire_proposal *p) {
    hbuf b = HBUF_INIT;
    p->proposer = nd->key.pub;
    wire_proposal_sign_bytes(&b, p);
    sign_domain(&nd->key, SIGN_DOMAIN_PROPOSAL, b.data, b.len, &p->sig);
    hbuf_free(&b);
}

static sim_msg *vote_msg(const wire_vote *v) {
    hbuf b = HBUF_INIT;
    wire_vote_encode(&b, v);
    sim_msg *m = msg_new(MSG_VOTE, b.data, b.len);
    hbuf_free(&b);
    return m;
}

static sim_msg *proposal_msg(const wire_proposal *p, const uint8_t *block, size_t len) {
    hbuf pb = HBUF_INIT, b = HBUF_INIT;
    wire_proposal_encode(&pb, p);
    msg_proposal mp = {pb.data, (uint32_t)pb.len, block, (uint32_t)len};
    msg_proposal_encode(&b, &mp);
    sim_msg *m = msg_new(MSG_PROPOSAL, b.data, b.len);
    hbuf_free(&pb);
    hbuf_free(&b);
    return m;
}

/* The two halves; a Byzantine node counts itself in the first. */
static void half_mask(const sim_node *nd, uint8_t half, bool *to) {
    const world *w = nd->w;
    for (uint16_t i = 0; i < w->n; i++) to[i] = w->nodes[i].half == half;
    to[nd->idx] = false;
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

/* Decoded own proposal or vote, or neither (a relay, or another message). */
typedef struct {
    bool is_proposal, is_vote;
    wire_proposal p;
    const uint8_t *block;
    uint32_t block_len;
    wire_vote v;
} own_msg;

static void own_of(const sim_node *nd, uint8_t type, const uint8_t *b, size_t len, own_msg *o) {
    memset(o, 0, sizeof *o);
    msg_proposal mp;
    if (type == MSG_PROPOSAL && msg_proposal_decode(b, len, &mp, NULL) == HANSA_OK &&
        wire_proposal_decode(mp.proposal, mp.proposal_len, &o->p, NULL) == HANSA_OK) {
        o->is_proposal = pubkey_eq(&o->p.proposer, &nd->key.pub);
        o->block = mp.block;
        o->block_len = mp.block_len;
    } else if (type == MSG_VOTE && wire_vote_decode(b, len, &o->v, NULL) == HANSA_OK) {
        o->is_vote = pubkey_eq(&o->v.validator, &nd->key.pub);
    }
}

/* A second valid block for the proposal's slot: the node's own builder,
 * asked again with its wall clock a millisecond on (a new block time, so
 * a new block). Fresh: no proof-of-lock round. */
static const byz_face *alt_proposal(sim_node *nd, const wire_proposal *p) {
    const byz_face *f = face_find(nd, p->height, p->round, FACE_PROPOSAL);
    if (f) return f;
    hbuf block = HBUF_INIT;
    hansa_hash id;
    nd->wall_nudge_ms++;
    bool ok = chain_get_value(nd->n, p->height, p->round, &block, &id);
    if (!ok || hash_eq(&id, &p->block)) {
        hbuf_free(&block);
        return NULL;
    }
    wire_proposal q = *p;
    q.block = id;
    q.pol_round = WIRE_ROUND_NONE;
    sign_proposal(nd, &q);
    f = face_keep(nd, p->height, p->round, FACE_PROPOSAL, &p->block, &id,
                  proposal_msg(&q, block.data, block.len));
    hbuf_free(&block);
    return f;
}

/* The proposal with its block's app hash spoiled: a block no honest node
 * can execute to the hash it claims. */
static const byz_face *invalid_proposal(sim_node *nd, const own_msg *o) {
    const byz_face *f = face_find(nd, o->p.height, o->p.round, FACE_INVALID);
    if (f) return f;
    wire_block blk;
    if (wire_block_decode(o->block, o->block_len, &blk, NULL) != HANSA_OK) return NULL;
    blk.header.app_hash.b[0] ^= 0xff;
    hbuf bad = HBUF_INIT;
    wire_block_encode(&bad, &blk);
    wire_proposal q = o->p;
    wire_header_hash(&blk.header, &q.block);
    wire_block_free(&blk);
    sign_proposal(nd, &q);
    f = face_keep(nd, q.height, q.round, FACE_INVALID, &o->p.block, &q.block,
                  proposal_msg(&q, bad.data, bad.len));
    hbuf_free(&bad);
    return f;
}

static void send_proposal(sim_node *nd, const own_msg *o, const uint8_t *b, size_t len, int except) {
    world *w = nd->w;
    bool to[SIM_NODES_MAX];
    const byz_face *f = NULL;
    switch (nd->byz) {
    case BYZ_EQUIVOCATE:
    case BYZ_COORDINATED:
        f = alt_proposal(nd, &o->p);
        if (!f) break;
        if (!attack_find(w, o->p.height, o->p.round))
            attack_add(w, o->p.height, o->p.round, &o->p.block, &f->id);
        half_mask(nd, 0, to);
        simnet_multicast(w, nd->idx, msg_new(MSG_PROPOSAL, b, len), to, nd->busy_us);
        half_mask(nd, 1, to);
        simnet_multicast(w, nd->idx, f->msg, to, nd->busy_us); /* the face holds a reference */
        return;
    case BYZ_INVALID:
        f = invalid_proposal(nd, o);
        if (!f) break;
        simnet_broadcast(w, nd->idx, f->msg, except, nd->busy_us);
        return;
    case BYZ_NONE:
    case BYZ_DOUBLE_VOTE:
    case BYZ_SILENT:
    case BYZ_GARBAGE:
    case BYZ_AMNESIA:
    case BYZ_SCRIPTED: break;
    }
    simnet_broadcast(w, nd->idx, msg_new(MSG_PROPOSAL, b, len), except, nd->busy_us);
}

/* The conflicting vote for v's slot, made once. */
static const byz_face *second_vote(sim_node *nd, const wire_vote *v, wire_vote *x) {
    uint8_t kind = v->type == VOTE_PREVOTE ? FACE_VOTE_PREVOTE : FACE_VOTE_PRECOMMIT;
    const sim_attack *a = attack_find(nd->w, v->height, v->round);
    *x = *v;
    if (a) x->block = (block_id){true, a->a};
    const byz_face *f = face_find(nd, v->height, v->round, kind);
    if (f) return f;
    wire_vote y = *v;
    if (a) {
        y.block = (block_id){true, a->b};
    } else {
        y.block = v->block.present ? (block_id){false, {{0}}} : (block_id){true, {{0}}};
        if (!v->block.present) prng_fill(&nd->w->rng, y.block.hash.b, HANSA_HASH_BYTES);
    }
    sign_vote(nd, &y);
    return face_keep(nd, v->height, v->round, kind, &v->block.hash, &y.block.hash, vote_msg(&y));
}

static void send_vote(sim_node *nd, const own_msg *o, const uint8_t *b, size_t len, int except) {
    world *w = nd->w;
    bool to[SIM_NODES_MAX];
    wire_vote x;
    switch (nd->byz) {
    case BYZ_DOUBLE_VOTE:
    case BYZ_COORDINATED: {
        const byz_face *f = second_vote(nd, &o->v, &x);
        bool faced = attack_find(w, o->v.height, o->v.round) != NULL;
        if (faced) {
            sign_vote(nd, &x);
            half_mask(nd, 0, to);
        } else {
            for (uint16_t i = 0; i < w->n; i++) to[i] = i != nd->idx;
        }
        simnet_multicast(w, nd->idx, faced ? vote_msg(&x) : msg_new(MSG_VOTE, b, len), to, nd->busy_us);
        half_mask(nd, 1, to);
        simnet_multicast(w, nd->idx, f->msg, to, nd->busy_us);
        return;
    }
    case BYZ_INVALID: {
        const byz_face *f = face_find(nd, o->v.height, o->v.round, FACE_INVALID);
        if (!f || !o->v.block.present || !hash_eq(&o->v.block.hash, &f->orig)) break;
        x = o->v;
        x.block.hash = f->id;
        sign_vote(nd, &x);
        simnet_broadcast(w, nd->idx, vote_msg(&x), except, nd->busy_us);
        return;
    }
    case BYZ_NONE:
    case BYZ_EQUIVOCATE:
    case BYZ_SILENT:
    case BYZ_GARBAGE:
    case BYZ_AMNESIA:
    case BYZ_SCRIPTED: break;
    }
    simnet_broadcast(w, nd->idx, msg_new(MSG_VOTE, b, len), except, nd->busy_us);
}

void byz_broadcast(sim_node *nd, uint8_t type, const uint8_t *b, size_t len, int except) {
    if (nd->byz == BYZ_SILENT) return;
    if (nd->byz == BYZ_SCRIPTED) {
        script_byz_broadcast(nd, type, b, len, except);
        return;
    }
    own_msg o;
    own_of(nd, type, b, len, &o);
    if (o.is_proposal) send_proposal(nd, &o, b, len, except);
    else if (o.is_vote) send_vote(nd, &o, b, len, except);
    else simnet_broadcast(nd->w, nd->idx, msg_new(type, b, len), except, nd->busy_us);
}

/* One piece of garbage to one random peer of its chain. */
void byz_garbage(sim_node *nd) {
    world *w = nd->w;
    HANSA_ASSERT(nd->up);
    const sim_chain *c = nd->chain;
    uint16_t to = (uint16_t)(c->first_node + prng_below(&w->rng, c->n_nodes));
    if (to == nd->idx) return;
    node_status s;
    node_get_status(nd->n, &s);
    wire_vote v = {c->genesis.params.chain_id, s.cons_height, s.cons_round,
                   (uint8_t)(1 + prng_below(&w->rng, 2)), {true, {{0}}}, nd->key.pub, {{0}}};
    prng_fill(&w->rng, v.block.hash.b, HANSA_HASH_BYTES);
    sim_msg *m;
    switch (prng_below(&w->rng, 5)) {
    case 0: { /* random bytes under a random message type */
        uint8_t junk[300];
        size_t len = prng_below(&w->rng, sizeof junk);
        prng_fill(&w->rng, junk, len);
        m = msg_new((uint8_t)(1 + prng_below(&w->rng, 9)), junk, len);
        break;
    }
    case 1: /* a well-formed vote whose signature is noise */
        prng_fill(&w->rng, v.sig.b, HANSA_SIG_BYTES);
        m = vote_msg(&v);
        break;
    case 2: { /* a proposal with a bad signature over junk block bytes */
        uint8_t junk[64];
        prng_fill(&w->rng, junk, sizeof junk);
        wire_proposal p = {c->genesis.params.chain_id, s.cons_height, s.cons_round,
                           WIRE_ROUND_NONE, {{0}}, nd->key.pub, {{0}}};
        prng_fill(&w->rng, p.block.b, HANSA_HASH_BYTES);
        prng_fill(&w->rng, p.sig.b, HANSA_SIG_BYTES);
        m = proposal_msg(&p, junk, sizeof junk);
        break;
    }
    case 3: /* correctly signed, for a round far beyond any buffer */
        v.round = s.cons_round + 1000 + (uint32_t)prng_below(&w->rng, 1u << 20);
        sign_vote(nd, &v);
        m = vote_msg(&v);
        break;
    default: { /* a signed vote cut short */
        sign_vote(nd, &v);
        hbuf b = HBUF_INIT;
        wire_vote_encode(&b, &v);
        m = msg_new(MSG_VOTE, b.data, prng_below(&w->rng, b.len));
        hbuf_free(&b);
        break;
    }
    }
    simnet_send(w, nd->idx, to, m, 0);
}
