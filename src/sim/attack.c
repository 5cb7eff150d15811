/* attack.c — the lock-split attack, launched by a lockbreak adversary at
 * heights of its choosing in random runs.
 *
 * Locks are what keep Tendermint safe across rounds (Alg. 1 lines 23, 29,
 * 36), and random faults almost never put honest locks in different rounds
 * on different values: that takes a handful of messages held from a
 * handful of nodes at the right moments, which is what the scripted line-29
 * attack (script.c) does in its fixed four-node world. This is the same
 * move made by the adversary itself in any world: a Byzantine lockbreak
 * node B that will propose round r0 + 1 of a height (its node's proposer
 * order says so at the commit before) picks roles among the honest nodes
 * from the proposer order and their powers, and the network, which it
 * controls before GST, holds these messages (by signer, so relayed copies
 * too):
 *   round r0    the proposal (value B0, by honest P0) never reaches the set
 *               N, which prevotes nil; B's prevote reaches no honest node
 *               but P2 while it is still in round r0. P2 alone sees a proof
 *               of lock for B0 and locks it; the others see a quorum of
 *               prevotes but not for B0, precommit nil, and move on.
 *   round r0+1  B proposes a fresh block A, which never reaches P2; every
 *               other honest node prevotes and locks A; B's precommit for A
 *               reaches only D, which decides A (D's block-sync answers
 *               reach nobody before GST).
 *   round r0+2  P2 proposes B0 with proof-of-lock round r0. A node locked
 *               on A in r0+1 must prevote nil (line 29: lockedRound <= vr
 *               fails); with line 29 or 23 broken it prevotes B0, and the
 *               lock checker says so.
 * In half the attacks A does reach P2 in round r0+1 (the line-23 shape):
 * P2, locked on B0, must prevote nil on a fresh A.
 * The powers must fit (N and B together hold at least 1/3, neither alone;
 * P2 below 1/3; P2 and B together between 1/3 and 2/3); if they do not,
 * or GST is too near, the height goes by without an attack. */
#include <string.h>

#include "base/assert.h"
#include "node/msg.h"
#include "sim/world.h"

#define S_US 1000000ull
#define ATTACK_US (5 * S_US) /* rounds r0 .. r0+2 with the simulator's timeouts */

static bool third(uint64_t p, uint64_t total) { return p * 3 >= total; }
static bool quorum(uint64_t p, uint64_t total) { return p * 3 > total * 2; }

static int node_at(const world *w, const cons_valset *vs, uint32_t round) {
    return world_node_of_key(w, &vs->v[valset_proposer(vs, round)].pubkey);
}

static uint64_t power_of(const cons_valset *vs, const sim_node *nd) {
    int i = valset_index(vs, &nd->key.pub);
    return i < 0 ? 0 : vs->v[i].power;
}

void attack_consider(sim_node *b, uint64_t height) {
    world *w = b->w;
    sim_locksplit *a = &w->locksplit;
    if (a->on && a->height + 1 >= height) return; /* one at a time */
    if (w->now_us + ATTACK_US >= w->gst_us) return;
    const cons_valset *vs = node_valset(b->n);
    uint64_t total = vs->total_power, pb = power_of(vs, b);
    int p0 = node_at(w, vs, 0), p1 = node_at(w, vs, 1), p2 = node_at(w, vs, 2);
    if (p1 != b->idx || p0 < 0 || p2 < 0 || p0 == p2 || p0 == b->idx || p2 == b->idx) return;
    if (w->nodes[p0].byz != BYZ_NONE || w->nodes[p2].byz != BYZ_NONE) return;
    uint64_t pp2 = power_of(vs, &w->nodes[p2]);
    if (third(pp2, total) || !third(pp2 + pb, total) || quorum(pp2 + pb, total)) return;
    memset(a, 0, sizeof *a);
    uint64_t pn = 0;
    int d = -1;
    for (uint16_t i = 0; i < w->n && !third(pn + pb, total); i++) {
        const sim_node *x = &w->nodes[i];
        uint64_t px = power_of(vs, x);
        if (x->byz != BYZ_NONE || i == p0 || i == p2 || px == 0) continue;
        a->n[i] = true;
        pn += px;
        d = i;
    }
    if (d < 0 || third(pn, total) || !third(pn + pb, total)) return;
    a->on = true;
    a->a_to_p2 = prng_chance(&w->rng, 1, 2);
    a->height = height;
    a->b = b->idx;
    a->p0 = (uint16_t)p0;
    a->p2 = (uint16_t)p2;
    a->d = (uint16_t)d;
    world_trace(w, SIM_T_ATTACK, b, a->p2, height, 0, 0, NULL, false, UINT32_MAX);
}

bool attack_fresh(const sim_node *b, uint64_t height, uint32_t round) {
    const sim_locksplit *a = &b->w->locksplit;
    return a->on && a->b == b->idx && a->height == height && round == 1 && b->w->now_us < b->w->gst_us;
}

bool attack_precommit_to(const sim_node *b, uint64_t height, uint32_t round, uint16_t *to) {
    if (!attack_fresh(b, height, round)) return false;
    *to = b->w->locksplit.d;
    return true;
}

/* The holds above, for a message from -> to sent now. */
bool attack_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m) {
    const sim_locksplit *a = &w->locksplit;
    if (!a->on || w->now_us >= w->gst_us) return false;
    uint8_t type = m->data[0];
    if (type == MSG_BLOCK) return from == a->d; /* nobody learns A by sync */
    wire_vote v;
    msg_proposal mp;
    wire_proposal p;
    if (type == MSG_VOTE && wire_vote_decode(m->data + 1, m->len - 1, &v, NULL) == HANSA_OK) {
        if (v.height != a->height) return false;
        if (v.round == 1 && v.type == VOTE_PRECOMMIT) /* D's relays of B's precommit too */
            return world_node_of_key(w, &v.validator) == a->b && to != a->d;
        if (v.round != 0 || v.type != VOTE_PREVOTE) return false;
        if (world_node_of_key(w, &v.validator) != a->b || to == a->p2 || w->nodes[to].byz != BYZ_NONE)
            return false;
        const sim_node *rx = &w->nodes[to];
        if (!rx->up) return false;
        node_status st;
        node_get_status(rx->n, &st);
        return st.cons_height == a->height && st.cons_round == 0; /* while it is in round r0 */
    }
    if (type != MSG_PROPOSAL || msg_proposal_decode(m->data + 1, m->len - 1, &mp, NULL) != HANSA_OK ||
        wire_proposal_decode(mp.proposal, mp.proposal_len, &p, NULL) != HANSA_OK || p.height != a->height)
        return false;
    int signer = world_node_of_key(w, &p.proposer);
    if (p.round == 0) return signer == a->p0 && a->n[to];
    if (p.round == 1) return signer == a->b && to == a->p2 && !a->a_to_p2;
    return false;
}
