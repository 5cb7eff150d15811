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
 *                votes and proposals, truncated messages, votes for far
 *                future rounds (exercising every rejection path) and signed
 *                votes for the next few rounds (one node's power must not
 *                make anyone skip a round, Alg. 1 line 55);
 *   invalid      proposes blocks whose app hash is wrong (every honest node
 *                that executes one finds it invalid) and votes for them;
 *   amnesia      behaves, but crashes now and then and restarts with its
 *                signer state and WAL forgotten (sim.c schedules it);
 *   lockbreak    as proposer, in place of what its node proposes (often its
 *                valid value with a proof of lock), shows everyone either a
 *                fresh block (no proof of lock: locked nodes must refuse it,
 *                Alg. 1 line 23) or a value proposed in an earlier round of
 *                the height with that round as its proof-of-lock round
 *                (nodes locked later must refuse it, line 29). It counts the
 *                prevotes its node relays, and when it knows of two proofs
 *                of lock for two values in one height it re-proposes the
 *                older one: the line-29 attack's move, made on its own.
 *                At heights where it proposes round 1 it may launch the
 *                lock-split attack (attack.c), which sets up those two
 *                proofs of lock itself;
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

enum { FACE_PROPOSAL = 1, FACE_INVALID, FACE_VOTE_PREVOTE, FACE_VOTE_PRECOMMIT, FACE_SEEN,
       FACE_LOCKBREAK };

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
    smap_key k = {le64_load(q.block.b), le64_load(q.block.b + 8), le64_load(q.block.b + 16)};
    smap_put_new(&nd->w->invalid_blocks, k, &q.block);
    f = face_keep(nd, q.height, q.round, FACE_INVALID, &o->p.block, &q.block,
                  proposal_msg(&q, bad.data, bad.len));
    hbuf_free(&bad);
    return f;
}

/* The prevotes for a block seen in one round, counted once per voter. */
static void tally_prevote(sim_node *nd, const wire_vote *v) {
    if (v->type != VOTE_PREVOTE || !v->block.present) return;
    const cons_valset *vs = node_valset(nd->n);
    int i = valset_index(vs, &v->validator);
    int who = world_node_of_key(nd->w, &v->validator);
    if (i < 0 || who < 0) return;
    uint32_t n = nd->n_tallies < BYZ_TALLIES_MAX ? nd->n_tallies : BYZ_TALLIES_MAX;
    byz_tally *t = NULL;
    for (uint32_t k = 0; k < n && !t; k++)
        if (nd->tallies[k].height == v->height && nd->tallies[k].round == v->round &&
            hash_eq(&nd->tallies[k].id, &v->block.hash))
            t = &nd->tallies[k];
    if (!t) {
        t = &nd->tallies[nd->n_tallies++ % BYZ_TALLIES_MAX];
        *t = (byz_tally){v->height, v->round, v->block.hash, 0, 0};
    }
    uint64_t bit = 1ull << who;
    if (t->voters & bit) return;
    t->voters |= bit;
    t->power += vs->v[i].power;
}

/* A value with a proof of lock in round vr while another value has one in a
 * later round r1 < round: the proposal that only a broken line 29 lets a
 * node locked in r1 prevote. Returns its seen proposal, or NULL. */
static const byz_face *old_pol_value(const sim_node *nd, uint64_t height, uint32_t round) {
    const cons_valset *vs = node_valset(nd->n);
    uint32_t n = nd->n_tallies < BYZ_TALLIES_MAX ? nd->n_tallies : BYZ_TALLIES_MAX;
    const byz_tally *best = NULL;
    for (uint32_t a = 0; a < n; a++) {
        const byz_tally *old = &nd->tallies[a];
        if (old->height != height || !valset_is_quorum(vs, old->power)) continue;
        for (uint32_t b = 0; b < n; b++) {
            const byz_tally *later = &nd->tallies[b];
            if (later->height != height || later->round <= old->round || later->round >= round ||
                hash_eq(&later->id, &old->id) || !valset_is_quorum(vs, later->power))
                continue;
            if (!best || old->round < best->round) best = old;
        }
    }
    if (!best) return NULL;
    uint32_t nf = nd->n_faces < BYZ_FACES_MAX ? nd->n_faces : BYZ_FACES_MAX;
    for (uint32_t i = 0; i < nf; i++) {
        const byz_face *f = &nd->faces[i];
        if (f->kind == FACE_SEEN && f->height == height && f->round == best->round &&
            hash_eq(&f->id, &best->id))
            return f;
    }
    return NULL;
}

/* The lockbreak proposer's choice for its slot, made once: an older value
 * with a proof of lock when a later one exists (old_pol_value); else, at
 * random, its node's proposal, a fresh block, or the oldest proposal it
 * saw at this height with that proposal's round as the proof-of-lock round. */
static const byz_face *lockbreak_proposal(sim_node *nd, const own_msg *o, const uint8_t *b,
                                          size_t len) {
    const byz_face *f = face_find(nd, o->p.height, o->p.round, FACE_LOCKBREAK);
    if (f) return f;
    world *w = nd->w;
    const byz_face *old = old_pol_value(nd, o->p.height, o->p.round);
    uint64_t pick = attack_fresh(nd, o->p.height, o->p.round) ? 1 : old ? 2 : prng_below(&w->rng, 3);
    uint32_t n = nd->n_faces < BYZ_FACES_MAX ? nd->n_faces : BYZ_FACES_MAX;
    for (uint32_t i = 0; i < n && !old; i++) {
        const byz_face *g = &nd->faces[i];
        if (g->kind == FACE_SEEN && g->height == o->p.height && g->round < o->p.round &&
            (!old || g->round < old->round))
            old = g;
    }
    sim_msg *m = NULL;
    hansa_hash id = o->p.block;
    if (pick == 1) {
        f = alt_proposal(nd, &o->p); /* fresh, no proof of lock */
        if (f) {
            m = f->msg;
            id = f->id;
        }
    } else if (pick == 2 && old) {
        msg_proposal mp;
        wire_proposal seen, q = o->p;
        HANSA_ASSERT(msg_proposal_decode(old->msg->data + 1, old->msg->len - 1, &mp, NULL) == HANSA_OK);
        HANSA_ASSERT(wire_proposal_decode(mp.proposal, mp.proposal_len, &seen, NULL) == HANSA_OK);
        q.block = seen.block;
        q.pol_round = seen.round;
        sign_proposal(nd, &q);
        m = proposal_msg(&q, mp.block, mp.block_len);
        id = q.block;
    }
    if (!m) m = msg_new(MSG_PROPOSAL, b, len);
    return face_keep(nd, o->p.height, o->p.round, FACE_LOCKBREAK, &o->p.block, &id, m);
}

static void send_proposal(sim_node *nd, const own_msg *o, const uint8_t *b, size_t len, int except) {
    world *w = nd->w;
    bool to[SIM_NODES_MAX];
    const byz_face *f = NULL;
    host_observe_proposal(nd, b, len);
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
        host_observe_proposal(nd, f->msg->data + 1, f->msg->len - 1);
        simnet_multicast(w, nd->idx, f->msg, to, nd->busy_us); /* the face holds a reference */
        return;
    case BYZ_INVALID:
        f = invalid_proposal(nd, o);
        if (!f) break;
        host_observe_proposal(nd, f->msg->data + 1, f->msg->len - 1);
        simnet_broadcast(w, nd->idx, f->msg, except, nd->busy_us);
        return;
    case BYZ_LOCKBREAK:
        f = lockbreak_proposal(nd, o, b, len);
        host_observe_proposal(nd, f->msg->data + 1, f->msg->len - 1);
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
    case BYZ_LOCKBREAK: { /* it backs what it proposed */
        const byz_face *f = face_find(nd, o->v.height, o->v.round, FACE_LOCKBREAK);
        uint16_t only;
        if (f && o->v.type == VOTE_PRECOMMIT &&
            attack_precommit_to(nd, o->v.height, o->v.round, &only)) {
            /* the lock-split attack: A's one decisive precommit, to D alone */
            x = o->v;
            x.block = (block_id){true, f->id};
            sign_vote(nd, &x);
            simnet_send(w, nd->idx, only, vote_msg(&x), nd->busy_us);
            return;
        }
        if (!f || !o->v.block.present || hash_eq(&f->id, &f->orig) ||
            !hash_eq(&o->v.block.hash, &f->orig))
            break;
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
    /* Its node's own proposal, whatever is shown in its place: the lock
     * checker must know every proof-of-lock round anyone may have seen. */
    if (type == MSG_PROPOSAL) host_observe_proposal(nd, b, len);
    if (nd->byz == BYZ_SCRIPTED) {
        script_byz_broadcast(nd, type, b, len, except);
        return;
    }
    own_msg o;
    own_of(nd, type, b, len, &o);
    if (type == MSG_VOTE && nd->byz == BYZ_LOCKBREAK) tally_prevote(nd, &o.v);
    if (type == MSG_PROPOSAL && !o.is_proposal && nd->byz == BYZ_LOCKBREAK) {
        /* A proposal its node relays: remembered, to be re-proposed later. */
        sim_msg *m = msg_new(type, b, len);
        face_keep(nd, o.p.height, o.p.round, FACE_SEEN, &o.p.block, &o.p.block, m);
        simnet_broadcast(nd->w, nd->idx, m, except, nd->busy_us);
        return;
    }
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
    switch (prng_below(&w->rng, 6)) {
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
    case 4: /* correctly signed nil, for one of the next rounds, to everyone */
        v.round = s.cons_round + 1 + (uint32_t)prng_below(&w->rng, 4);
        v.block = (block_id){false, {{0}}};
        sign_vote(nd, &v);
        simnet_broadcast(w, nd->idx, vote_msg(&v), -1, 0);
        return;
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
