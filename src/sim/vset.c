/* vset.c — delegate churn and slashing in the simulator's application model.
 *
 * With o.valset_change = K the validator set is chain state, as in the
 * ledger (ledger/elect.h): the set of height h + 2 is computed at the end of
 * height h from the set before it and the value decided at h, so every node
 * that decided the same chain computes the same sets. All simulated nodes
 * form the candidate pool; a set holds about three quarters of them and the
 * rest follow the chain without signing.
 *   - Every K heights the set rotates: one member leaves, candidates fill
 *     it up again, and every power is redrawn. The randomness comes from the
 *     decided value's id, never from the world's PRNG.
 *   - Slashing: an engine that emits evidence against X hands it to its
 *     node's evidence pool; honest nodes gossip their pool (MSG_EVIDENCE)
 *     and list it in every value they propose. Once a decided value lists
 *     X, X leaves every set from two heights on and a candidate takes its
 *     place. Evidence is genuine when some engine emitted it (standing in
 *     for checking its two signed votes), so no one slashes an honest node.
 *   - The fault budget holds in every set: if the Byzantine members reach
 *     1/3 of the power their powers drop to 1, then they leave until it
 *     holds. That is the adversary's limit, not a rule the chain knows.
 * Priorities restart at zero whenever the members or powers change (the sum
 * stays zero, as valset.h asks), then advance a chain-derived number of
 * steps so that the highest power does not always propose first. */
#include <string.h>

#include "base/assert.h"
#include "sim/world.h"

#define VSET_POWER_MAX 100

typedef struct {
    uint16_t node[SIM_NODES_MAX];
    uint64_t power[SIM_NODES_MAX];
    uint16_t n;
} members;

static uint16_t target_size(const world *w) {
    uint16_t out = w->n / 4 > 1 ? w->n / 4 : 1;
    return (uint16_t)(w->n - out);
}

static bool is_member(const members *m, uint16_t node) {
    for (uint16_t i = 0; i < m->n; i++)
        if (m->node[i] == node) return true;
    return false;
}

static void drop(members *m, uint16_t i) {
    HANSA_ASSERT(i < m->n);
    m->n--;
    m->node[i] = m->node[m->n];
    m->power[i] = m->power[m->n];
}

/* Adds random candidates (not members, not slashed, not `barred`) until the
 * set has its target size or the pool is empty. */
static void fill(world *w, members *m, hansa_prng *p, int barred) {
    uint16_t cand[SIM_NODES_MAX];
    while (m->n < target_size(w)) {
        uint16_t k = 0;
        for (uint16_t i = 0; i < w->n; i++)
            if (!is_member(m, i) && !w->slashed[i] && i != barred) cand[k++] = i;
        if (k == 0) return;
        uint16_t c = cand[prng_below(p, k)];
        m->node[m->n] = c;
        m->power[m->n++] = 1 + prng_below(p, VSET_POWER_MAX);
    }
}

static uint64_t byz_power(const world *w, const members *m, uint64_t *total) {
    uint64_t byz = 0;
    *total = 0;
    for (uint16_t i = 0; i < m->n; i++) {
        *total += m->power[i];
        if (w->nodes[m->node[i]].byz != BYZ_NONE) byz += m->power[i];
    }
    return byz;
}

static void fit_budget(const world *w, members *m) {
    uint64_t total;
    if (byz_power(w, m, &total) * 3 < total) return;
    for (uint16_t i = 0; i < m->n; i++)
        if (w->nodes[m->node[i]].byz != BYZ_NONE) m->power[i] = 1;
    for (uint16_t i = m->n; i-- > 0 && byz_power(w, m, &total) * 3 >= total;)
        if (w->nodes[m->node[i]].byz != BYZ_NONE) drop(m, i);
    HANSA_ASSERT(m->n > 0);
}

static void install(world *w, const members *m, cons_valset *out, uint64_t steps) {
    wire_validator v[SIM_NODES_MAX];
    for (uint16_t i = 0; i < m->n; i++) v[i] = (wire_validator){w->nodes[m->node[i]].key.pub, m->power[i]};
    HANSA_ASSERT(valset_init(out, v, m->n) == HANSA_OK);
    for (uint64_t s = 0; s < steps; s++) valset_advance(out);
}

void vset_trace(world *w, uint64_t height) {
    const cons_valset *vs = &w->vs[height - 1];
    for (uint16_t i = 0; i < vs->n; i++) {
        int node = world_node_of_key(w, &vs->v[i].pubkey);
        HANSA_ASSERT(node >= 0);
        world_trace(w, SIM_T_VALSET, &w->nodes[node], 0, height, (uint32_t)vs->v[i].power, 0,
                    NULL, false, UINT32_MAX);
    }
}

void vset_genesis(world *w) {
    HANSA_ASSERT(w->n_vs == 1 && w->vs[0].n == w->n);
    hansa_prng p;
    prng_seed(&p, w->o.seed ^ 0x76736574ull);
    members m = {.n = 0};
    fill(w, &m, &p, -1);
    for (uint16_t i = 0; i < m.n; i++) m.power[i] = w->nodes[m.node[i]].power;
    fit_budget(w, &m);
    install(w, &m, &w->vs[0], 0);
}

/* The value decided first at `height` (the only one, while agreement holds). */
static const sim_block *chain_block(const world *w, uint64_t height) {
    HANSA_ASSERT(height >= 1 && height <= w->cap_blocks);
    const sim_block *b = w->blocks[height - 1];
    HANSA_ASSERT(b != NULL);
    while (b->next_same_height) b = b->next_same_height;
    return b;
}

/* Marks the nodes b's evidence list accuses; true when one of them was a
 * member of prev. */
static bool apply_evidence(world *w, const sim_block *b, const cons_valset *prev) {
    if (w->o.break_slashing || b->value_len <= SIM_VALUE_BYTES) return false;
    const uint8_t *tail = b->value + SIM_VALUE_BYTES;
    bool hit = false;
    for (uint8_t i = 0; i < tail[0]; i++) {
        uint16_t x = le16_load(tail + 1 + 2 * i);
        if (w->slashed[x]) continue;
        w->slashed[x] = true;
        w->res->slashed++;
        hit |= valset_index(prev, &w->nodes[x].key.pub) >= 0;
    }
    return hit;
}

void vset_next(world *w) {
    uint64_t h = w->n_vs + 1, d = h - 2;
    HANSA_ASSERT(h >= 3 && w->n_vs < w->cap_vs);
    const cons_valset *prev = &w->vs[h - 2];
    cons_valset *out = &w->vs[h - 1];
    const sim_block *b = chain_block(w, d);
    bool slashed = apply_evidence(w, b, prev);
    bool rotate = d % w->o.valset_change == 0;
    w->n_vs++;
    if (!slashed && !rotate) {
        *out = *prev;
        valset_advance(out);
        return;
    }
    w->res->set_changes++;
    hansa_prng p;
    prng_seed(&p, le64_load(b->id.b) ^ h);
    members m = {.n = 0};
    for (uint16_t i = 0; i < prev->n; i++) {
        int node = world_node_of_key(w, &prev->v[i].pubkey);
        HANSA_ASSERT(node >= 0);
        if (w->slashed[node]) continue;
        m.node[m.n] = (uint16_t)node;
        m.power[m.n++] = prev->v[i].power;
    }
    int left = -1;
    if (rotate && m.n > 1) {
        uint16_t i = (uint16_t)prng_below(&p, m.n);
        left = m.node[i];
        drop(&m, i);
    }
    fill(w, &m, &p, left);
    if (rotate)
        for (uint16_t i = 0; i < m.n; i++) m.power[i] = 1 + prng_below(&p, VSET_POWER_MAX);
    fit_budget(w, &m);
    install(w, &m, out, 1 + prng_below(&p, m.n));
}

/* --- evidence in values and on the wire ----------------------------------- */

void vset_value_tail(const sim_node *nd, hbuf *out) {
    const world *w = nd->w;
    uint8_t count = 0;
    for (uint16_t i = 0; i < w->n; i++) count += nd->evidence_pool[i];
    hbuf_put_u8(out, count);
    for (uint16_t i = 0; i < w->n; i++)
        if (nd->evidence_pool[i]) hbuf_put_u16(out, i);
}

bool vset_tail_ok(const world *w, const uint8_t *tail, size_t len) {
    if (len < 1 || len != 1 + 2 * (size_t)tail[0]) return false;
    int last = -1;
    for (uint8_t i = 0; i < tail[0]; i++) {
        uint16_t x = le16_load(tail + 1 + 2 * i);
        if (x >= w->n || (int)x <= last || !w->evidenced[x]) return false;
        last = x;
    }
    return true;
}

static void gossip(sim_node *nd, uint16_t accused) {
    uint8_t b[3] = {MSG_EVIDENCE};
    le16_store(b + 1, accused);
    simnet_broadcast(nd->w, nd->idx, msg_new(b, sizeof b));
}

void vset_on_evidence(sim_node *nd, int accused) {
    if (accused < 0) return;
    nd->w->evidenced[accused] = true;
    if (nd->byz != BYZ_NONE || nd->evidence_pool[accused]) return;
    nd->evidence_pool[accused] = true;
    gossip(nd, (uint16_t)accused);
}

void vset_on_message(sim_node *nd, wire_rd *r) {
    uint16_t x = rd_u16(r, "accused");
    rd_end(r);
    if (r->err != HANSA_OK || nd->byz != BYZ_NONE) return;
    if (x >= nd->w->n || !nd->w->evidenced[x]) {
        rd_fail(r, HANSA_ERR_PROTOCOL, "accused");
        return;
    }
    nd->evidence_pool[x] = true;
}

void vset_rebroadcast(sim_node *nd) {
    if (nd->byz != BYZ_NONE) return;
    for (uint16_t x = 0; x < nd->w->n; x++)
        if (nd->evidence_pool[x] && !nd->w->slashed[x]) gossip(nd, x);
}
