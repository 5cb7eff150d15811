/* fed.c — relaying between the chains of a simulated federation
 * (--chains C > 1), and what the light-client checkers (fedcheck.h) see.
 *
 * After each block an honest node commits, the node does what hansad's
 * relay driver (cmd/lib/relay_driver.c) does on its timer: for every header
 * update node_relay_jobs says is due, it builds the ic_update from the
 * foreign chain's committed blocks, commits and validator sets, read from
 * the store of an up, honest node of that chain (what its RPC light_block
 * would serve; the one with the highest tip; none up: nothing is relayed
 * this time), choosing the target with the bisection hansad uses
 * (interchain/bisect.c), and hands it to node_relay_update. Under --frost,
 * as hansad's driver does with --cert auto: a client that trusts a group
 * key is moved by the source's newest FROST checkpoint with the handoffs
 * from its key (read from the source's store and ledger: what the
 * checkpoint and group_key RPCs serve); a keyless client by a commit update
 * to the source chain's newest state-root height carrying the proof of its
 * key record there (kept when an honest node commits that height: what the
 * key_proof RPC serves from a snapshot); else by commits. Evidence of
 * frozen clients (RELAY_EVIDENCE) is not carried: no fault here freezes a
 * client within budget, and the checker says if one does.
 *
 * Then the node's clients are read for the checkers: every consensus state
 * stored since the last look (and the key it trusts, under --frost), and
 * each client's latest height and status.
 * Byzantine nodes neither relay nor are watched. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "interchain/bisect.h"
#include "ledger/client.h"
#include "ledger/tx_frost.h"
#include "node/frost_sign.h"
#include "node/relay.h"
#include "node/snapshot.h"
#include "sim/world.h"
#include "store/store.h"
#include "wire/codec.h"

/* How far, in its own chain's heights, a node's clients may trail: the
 * relay turn moves every slot, and every Byzantine delegate (which does not
 * relay) may hold it one slot in a row; then a slot for the relayer's turn,
 * one for the "updated less than a slot ago" wait, and two heights for the
 * update to be proposed and committed. */
static uint64_t lag_of(const world *w, const sim_chain *c) {
    uint64_t byz = 0;
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) byz += w->nodes[i].byz != BYZ_NONE;
    return (byz + 2) * RELAY_SLOT_BLOCKS + 2;
}

/* Heights a node's chain must commit after GST + settle before its clients'
 * lag is checked: every delegate's relay turn comes round once, and the lag. */
static uint64_t live_heights(const world *w, const sim_chain *c) {
    return (uint64_t)c->n_nodes * RELAY_SLOT_BLOCKS + lag_of(w, c);
}

void fed_setup(world *w) {
    bool over[SIM_CHAINS_MAX] = {false};
    for (uint16_t k = 0; k < w->n_chains; k++) {
        const sim_chain *c = &w->chains[k];
        uint64_t total = 0, byz = 0;
        for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
            total += w->nodes[i].power;
            if (w->nodes[i].byz != BYZ_NONE) byz += w->nodes[i].power;
        }
        over[k] = byz * 3 >= total;
    }
    sim_fedcheck_init(&w->fed, w->n_chains, over);
}

void fed_free(world *w) {
    sim_fedcheck_free(&w->fed);
    for (uint16_t i = 0; i < SIM_NODES_MAX; i++) hmap_free(&w->fed_backoff[i]);
}

/* Light block `height` (0: the tip) as source node src's store has it. */
bool fed_fetch_store(void *ctx, uint64_t height, ic_light_block *out, char *why, size_t why_len) {
    const sim_node *src = ctx;
    memset(out, 0, sizeof *out);
    if (height == 0) height = src->height;
    if (height == 0 || height > src->height) {
        snprintf(why, why_len, "node %u has no block at height %" PRIu64, src->idx, height);
        return false;
    }
    store *st = node_store(src->n);
    hbuf raw = HBUF_INIT;
    hansa_err e = store_get_block(st, height, &raw, NULL);
    if (e == HANSA_OK) e = wire_block_peek_header(raw.data, raw.len, &out->header);
    hbuf_reset(&raw);
    if (e == HANSA_OK) e = store_get_commit(st, height, &raw);
    if (e == HANSA_OK) e = wire_commit_decode(raw.data, raw.len, &out->commit, NULL);
    hbuf_reset(&raw);
    if (e == HANSA_OK) e = store_get_valset(st, &out->header.validators_hash, &raw);
    if (e == HANSA_OK) e = wire_valset_decode(raw.data, raw.len, &out->vals, NULL);
    hbuf_reset(&raw);
    if (e == HANSA_OK) e = store_get_valset(st, &out->header.next_validators_hash, &raw);
    if (e == HANSA_OK) e = wire_valset_decode(raw.data, raw.len, &out->next_vals, NULL);
    hbuf_free(&raw);
    if (e != HANSA_OK) {
        ic_light_block_free(out);
        snprintf(why, why_len, "node %u cannot serve height %" PRIu64 ": %s", src->idx, height, hansa_strerror(e));
        return false;
    }
    return ic_light_block_check(out, "the source", why, why_len);
}

static const sim_chain *chain_of_id(const world *w, uint32_t id) {
    for (uint16_t k = 0; k < w->n_chains; k++)
        if (w->chains[k].genesis.params.chain_id == id) return &w->chains[k];
    return NULL;
}

const sim_node *fed_source_of(const world *w, const sim_chain *c) {
    const sim_node *best = NULL;
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        const sim_node *x = &w->nodes[i];
        if (x->byz == BYZ_NONE && x->up && !x->dying && !x->stopped && (!best || x->height > best->height))
            best = x;
    }
    return best;
}

/* ---- FROST (--frost) ---- */

/* The newest key proof an honest node made (at its newest state-root
 * height), kept per chain for the relayers: a source node restarted since
 * has none until its next state-root height. */
static void keep_key_proof(sim_node *nd) {
    world *w = nd->w;
    uint16_t k = nd->chain->idx;
    uint64_t h;
    const ic_key_proof *kp = node_key_proof(nd->n, &h);
    if (kp && h > w->fed_kp_height[k]) {
        w->fed_kp[k] = *kp;
        w->fed_kp_height[k] = h;
    }
}

static void note_key(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    const sim_node *nd = ctx;
    hansa_hash key;
    memcpy(key.b, g->key.b, HANSA_HASH_BYTES);
    sim_fedcheck_key(&nd->w->fed, nd->chain->idx, epoch, &key);
}

typedef struct {
    uint64_t from, to; /* epochs (from, to] */
    uint64_t epochs[IC_FROST_HANDOFFS_MAX + 1];
    size_t n;
} epochs_between;

static void collect_epoch(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    (void)g;
    epochs_between *e = ctx;
    if (epoch > e->from && epoch <= e->to && e->n <= IC_FROST_HANDOFFS_MAX) e->epochs[e->n++] = epoch;
}

/* The handoffs from the trusted key's epoch to u's checkpoint's, in order,
 * as src stores them; false if there are too many or one is missing. */
static bool handoffs_of(const sim_node *src, uint64_t from, ic_update *u) {
    epochs_between e = {.from = from, .to = u->ckpt.epoch};
    ledger_group_keys_iter(node_ledger(src->n), collect_epoch, &e);
    if (e.n > IC_FROST_HANDOFFS_MAX) return false;
    for (size_t i = 1; i < e.n; i++) /* the records come in no particular order */
        for (size_t j = i; j > 0 && e.epochs[j - 1] > e.epochs[j]; j--) {
            uint64_t t = e.epochs[j];
            e.epochs[j] = e.epochs[j - 1];
            e.epochs[j - 1] = t;
        }
    hbuf b = HBUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < e.n && ok; i++)
        ok = store_handoff_get(node_store(src->n), e.epochs[i], &b) == HANSA_OK &&
             handoff_decode(b.data, b.len, &u->handoffs[u->n_handoffs++], NULL) == HANSA_OK;
    hbuf_free(&b);
    return ok;
}

/* The FROST update from trusted to src's checkpoint at target (0: its
 * newest); true when it is built and the client would take it. */
static bool build_frost(const sim_node *src, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                        uint64_t now_ms, hbuf *body, uint64_t *got) {
    node_fsign_state st;
    node_fsign_status(src->n, &st);
    uint64_t at = target ? target : st.last_stored;
    if (ic_consensus_keyless(trusted) || at <= trusted->height) return false;
    ic_update *u = hansa_calloc(1, sizeof *u);
    hbuf b = HBUF_INIT;
    ic_light_block lb;
    char why[256];
    bool ok = store_checkpoint_get(node_store(src->n), at, &b) == HANSA_OK &&
              checkpoint_decode(b.data, b.len, &u->ckpt, NULL) == HANSA_OK &&
              fed_fetch_store((void *)src, at, &lb, why, sizeof why);
    hbuf_free(&b);
    if (ok) {
        u->trusted_height = trusted->height;
        u->header = lb.header;
        u->cert_kind = IC_CERT_FROST;
        ic_light_block_free(&lb);
        ok = handoffs_of(src, trusted->key_epoch, u) &&
             ic_verify(p, trusted, u, now_ms, true, NULL, why, sizeof why) == HANSA_OK;
    }
    if (ok) {
        ic_update_encode(body, u);
        *got = at;
    }
    free(u);
    return ok;
}

int fed_build_update(world *w, const sim_node *src, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                     uint64_t now_ms, hbuf *body, uint64_t *got) {
    char why[256];
    if (w->o.frost) {
        if (build_frost(src, p, trusted, target, now_ms, body, got)) {
            w->res->relay_frost++;
            return 1;
        }
        uint16_t k = src->chain->idx;
        uint64_t at = w->fed_kp_height[k];
        if (ic_consensus_keyless(trusted) && at > trusted->height && at <= src->height && (!target || at <= target) &&
            ic_build_update_key(fed_fetch_store, (void *)src, p, trusted, at, &w->fed_kp[k], now_ms, false, body, got,
                                why, sizeof why) == 1) {
            w->res->relay_key_proofs++;
            return FED_KEY_PROOF;
        }
    }
    return ic_build_update(fed_fetch_store, (void *)src, p, trusted, target, now_ms, false, body, got, why, sizeof why);
}

static void relay(sim_node *nd) {
    world *w = nd->w;
    relay_job jobs[RELAY_JOBS_MAX];
    size_t n = node_relay_jobs(nd->n, jobs, RELAY_JOBS_MAX);
    for (size_t j = 0; j < n && !nd->dying; j++) {
        const sim_chain *c = chain_of_id(w, jobs[j].chain);
        const sim_node *src = c ? fed_source_of(w, c) : NULL;
        if (!src || jobs[j].kind == RELAY_EVIDENCE) continue;
        if (jobs[j].kind == RELAY_PACKETS || jobs[j].kind == RELAY_ACKS) {
            fedpkt_relay(nd, &jobs[j], src);
            continue;
        }
        hbuf body = HBUF_INIT;
        char why[256];
        hansa_hash tx;
        uint64_t got;
        if (fed_build_update(w, src, &jobs[j].params, &jobs[j].trusted, 0, jobs[j].now_ms, &body, &got) > 0 &&
            node_relay_update(nd->n, jobs[j].chain, body.data, body.len, &tx, why, sizeof why) == HANSA_OK)
            w->res->relay_updates++;
        hbuf_free(&body);
    }
}

/* What nd's clients hold, for the checkers. */
static void observe(sim_node *nd) {
    world *w = nd->w;
    const ledger_state *s = node_ledger(nd->n);
    for (uint16_t k = 0; k < w->n_chains; k++) {
        const sim_chain *c = &w->chains[k];
        ic_client cl;
        if (c == nd->chain || !ledger_client_get(s, c->genesis.params.chain_id, &cl) || cl.n_heights == 0) continue;
        for (uint16_t i = 0; i < cl.n_heights; i++) {
            uint64_t h = cl.heights[i];
            ic_consensus cs;
            if (h <= w->fed_seen[nd->idx][k] || !ledger_client_consensus(s, c->genesis.params.chain_id, h, &cs))
                continue;
            sim_fedcheck_state(&w->fed, nd->idx, k, h, &cs.header_hash);
            if (ic_consensus_keyless(&cs)) continue;
            hansa_hash key;
            memcpy(key.b, cs.group_key.b, HANSA_HASH_BYTES);
            sim_fedcheck_state_key(&w->fed, nd->idx, k, h, cs.key_epoch, &key);
        }
        uint64_t latest = cl.heights[cl.n_heights - 1];
        if (latest > w->fed_seen[nd->idx][k]) w->fed_seen[nd->idx][k] = latest;
        sim_fedcheck_client(&w->fed, nd->idx, k, nd->height, latest, cl.status == IC_STATUS_FROZEN);
    }
}

void fed_on_commit(sim_node *nd, uint64_t height, const hansa_hash *block) {
    if (nd->w->n_chains > 1 && nd->byz == BYZ_NONE) sim_fedcheck_commit(&nd->w->fed, nd->chain->idx, height, block);
}

/* A restarted node's store may hold blocks whose commit died with it (the
 * crash came in the input that committed them): they are committed all the
 * same, and a relayer may serve them, so the checker learns them here. */
void fed_on_restart(sim_node *nd, uint64_t traced) {
    if (nd->w->n_chains < 2 || nd->byz != BYZ_NONE) return;
    for (uint64_t h = traced + 1; h <= nd->height; h++) {
        ic_light_block lb;
        char why[128];
        if (!fed_fetch_store(nd, h, &lb, why, sizeof why)) continue;
        hansa_hash id;
        wire_header_hash(&lb.header, &id);
        ic_light_block_free(&lb);
        sim_fedcheck_commit(&nd->w->fed, nd->chain->idx, h, &id);
    }
}

void fed_after_commit(sim_node *nd) {
    world *w = nd->w;
    if (w->n_chains < 2 || nd->byz != BYZ_NONE || !nd->up || nd->dying || nd->stopped) return;
    if (w->now_us >= w->gst_us + w->settle_us && nd->fed_settled == 0) nd->fed_settled = nd->height;
    if (w->o.frost) {
        ledger_group_keys_iter(node_ledger(nd->n), note_key, nd);
        keep_key_proof(nd);
    }
    relay(nd);
    observe(nd);
    const sim_node *state_of[SIM_CHAINS_MAX];
    for (uint16_t k = 0; k < w->n_chains; k++) state_of[k] = fed_source_of(w, &w->chains[k]);
    fedpkt_check(w, state_of);
    lifts_check(w, state_of);
}

void fed_finish(world *w, sim_result *r) {
    if (w->n_chains < 2) return;
    uint16_t chain[SIM_NODES_MAX];
    uint64_t lag[SIM_NODES_MAX];
    for (uint16_t i = 0; i < w->n; i++) {
        const sim_node *nd = &w->nodes[i];
        chain[i] = nd->chain->idx;
        bool eligible = nd->byz == BYZ_NONE && nd->up && !nd->stopped && nd->fed_settled &&
                        nd->height >= nd->fed_settled + live_heights(w, nd->chain);
        lag[i] = eligible ? lag_of(w, nd->chain) : 0;
        HANSA_ASSERT(lag[i] < SIM_FED_RING);
        r->clients_checked += eligible;
    }
    sim_fedcheck_finish(&w->fed, w->n, chain, lag);
    r->violations[SIM_V_CLIENT_SAFETY] += w->fed.safety;
    r->violations[SIM_V_CLIENT_LIVENESS] += w->fed.liveness;
    r->violations[SIM_V_CONSERVATION] += w->fed_conservation;
    r->safety_violations += w->fed.safety + w->fed_conservation;
    if (r->first_violation[0] == '\0' && w->fed_conservation_first[0])
        snprintf(r->first_violation, sizeof r->first_violation, "conservation: %s", w->fed_conservation_first);
    r->liveness_failures += w->fed.liveness;
    if (r->first_violation[0] == '\0' && w->fed.first[0]) snprintf(r->first_violation, sizeof r->first_violation, "%s", w->fed.first);
    r->client_lag_max = sim_fedcheck_lag_seen(&w->fed, w->n, chain, lag);
}
