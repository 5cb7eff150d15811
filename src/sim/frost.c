/* frost.c — the FROST duty under the simulator (--frost; docs/sim.md,
 * "FROST").
 *
 * Every node runs the node's own DKG duty and checkpoint signing
 * (node/frost_duty.c, node/frost_sign.c: frost_dkg on, a checkpoint every
 * block); its secrets come from a generator seeded per node from the run's
 * seed (node_config.rng), its DKG and nonce records and its checkpoints go
 * to the simulated disk, where crashes hit them as they hit the signer
 * state. This file only watches and, for Byzantine nodes, misbehaves:
 *   - what honest nodes send: each ROAST SHARE with the REQUEST it answers
 *     (the last REQUESTs delivered to the node, kept by round and
 *     session), and each REQUEST a coordinator sends naming itself (its own
 *     signer answers it inside the node);
 *   - what honest nodes store, after each commit: the chain's group-key
 *     records and the key of their own DKG share; at the end, every stored
 *     checkpoint and handoff;
 *   - Byzantine nodes as ROAST signers withhold their shares (a signer that
 *     commits and then goes silent: the coordinator must retry another
 *     subset), and as coordinators send every REQUEST a second time with
 *     their own commitment replaced by a fresh one, so each honest signer
 *     named is asked to use its nonce in two different lists: it must
 *     answer only one of them.
 * The checkers are frostcheck.h's. With several chains (--chains), every
 * chain runs the duty and these checkers watch chain 0 (its heights and
 * keys are what they keep); the light-client checkers (fedcheck.h) check
 * what the other chains' checkpoints and keys prove to their clients. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/noise.h"
#include "crypto/seal.h"
#include "crypto/sha256.h"
#include "ledger/tx_frost.h"
#include "node/frost_duty.h"
#include "node/msg.h"
#include "sim/frostcheck.h"
#include "sim/world.h"
#include "threshold/checkpoint.h"
#include "threshold/repair_msg.h"
#include "threshold/roast_msg.h"

/* A checkpoint round lives this many blocks at a node (frost_sign.c's
 * FSIGN_ROUNDS): a height the run went past by this much can no longer be
 * signed, so the liveness rule judges it. */
#define FROST_LIVE_HEIGHTS 8
/* REQUESTs kept per node to match the SHAREs it sends (a REQUEST may wait
 * in the node's early buffer and be answered a few blocks later). */
#define FROST_REQS 64
/* A forged REQUEST's session: beside the coordinator's own numbers. */
#define FORGED_SESSION 0x40000000u

typedef struct {
    hansa_hash group; /* the group key's bytes */
    uint64_t round;
    uint32_t session;
    hbuf msg;         /* the REQUEST (roast_msg bytes) */
} frost_req;

/* What the first honest node to commit a height saw there. */
typedef struct {
    bool seen;
    bool coord_honest; /* the block's proposer (the round's coordinator) is honest */
    int32_t coord;     /* its chain-local index; -1 unknown */
    uint64_t epoch;    /* the newest key recorded at that height; 0 none */
    uint64_t time_us;  /* true time of that first commit */
    hansa_hash header;
} frost_height;

typedef struct {
    uint64_t epoch, keyed_at;
    uint16_t n, t;
    hansa_hash key;
    uint64_t members; /* chain-local index bits of its set's members */
    bool handed;      /* some honest node stores a good handoff to it */
} frost_key;
#define FROST_KEYS_MAX 64

struct sim_frost {
    sim_frostcheck chk;
    frost_req reqs[SIM_NODES_MAX][FROST_REQS];
    uint32_t n_reqs[SIM_NODES_MAX];      /* written so far (a ring) */
    uint64_t forged_round[SIM_NODES_MAX]; /* the last (round, session) a Byzantine node forged */
    uint32_t forged_session[SIM_NODES_MAX];
    frost_height *heights;               /* by height */
    uint64_t cap_heights;
    frost_key keys[FROST_KEYS_MAX];
    size_t n_keys;
    uint64_t dkg_ms_sum;
    /* --attack frost-handoff: the set under attack (its activation) and
     * its two victims (world node indices; -1 none). */
    uint64_t atk_epoch;
    int32_t atk_restarted, atk_down;
    bool atk_restarted_crashed, atk_down_crashed, atk_share_crashed;
};

static bool honest(const sim_node *nd) { return nd->byz == BYZ_NONE; }
static bool watched(const sim_node *nd) { return honest(nd) && nd->chain->idx == 0; }
static uint32_t chain_id_of(const sim_node *nd) { return nd->chain->genesis.params.chain_id; }
static uint16_t local(const sim_node *nd) { return (uint16_t)(nd->idx - nd->chain->first_node); }

static hansa_hash point_hash(const frost_point *p) {
    hansa_hash h;
    memcpy(h.b, p->b, HANSA_HASH_BYTES);
    return h;
}

static frost_height *height_at(sim_frost *F, uint64_t h) {
    if (h >= F->cap_heights) {
        uint64_t cap = F->cap_heights ? F->cap_heights : 256;
        while (cap <= h) cap *= 2;
        F->heights = hansa_realloc(F->heights, cap * sizeof *F->heights);
        memset(F->heights + F->cap_heights, 0, (cap - F->cap_heights) * sizeof *F->heights);
        F->cap_heights = cap;
    }
    return &F->heights[h];
}

void frost_setup(world *w) {
    if (!w->o.frost) return;
    w->frost = hansa_calloc(1, sizeof *w->frost);
    w->frost->atk_restarted = w->frost->atk_down = -1;
    sim_frostcheck_init(&w->frost->chk);
    for (uint16_t i = 0; i < w->n; i++) prng_seed(&w->nodes[i].frost_prng, prng_next(&w->rng));
}

void frost_free(world *w) {
    sim_frost *F = w->frost;
    if (!F) return;
    for (uint16_t i = 0; i < SIM_NODES_MAX; i++)
        for (uint32_t k = 0; k < FROST_REQS; k++) hbuf_free(&F->reqs[i][k].msg);
    sim_frostcheck_free(&F->chk);
    free(F->heights);
    free(F);
    w->frost = NULL;
}

/* ---- what goes in and out ---- */

/* Decodes an envelope and its ROAST message; false if either is bad. */
static bool open_env(const uint8_t *b, size_t len, roast_env *e, roast_msg *m) {
    return roast_env_decode(b, len, e, NULL) == HANSA_OK &&
           roast_msg_decode(e->msg, e->msg_len, m, NULL) == HANSA_OK;
}

/* What a REQUEST asks a signer to sign with its commitment: group,
 * message and the whole list (the binding factors depend on all three). */
static hansa_hash use_of(const roast_msg *m) {
    sha256_ctx c;
    hansa_hash h;
    sha256_init(&c);
    sha256_update(&c, m->group_key.b, FROST_POINT_BYTES);
    sha256_update(&c, m->msg, m->msg_len);
    for (uint16_t i = 0; i < m->n; i++) {
        uint8_t id[2] = {(uint8_t)(m->list[i].id >> 8), (uint8_t)m->list[i].id};
        sha256_update(&c, id, sizeof id);
        sha256_update(&c, m->list[i].hiding.b, FROST_POINT_BYTES);
        sha256_update(&c, m->list[i].binding.b, FROST_POINT_BYTES);
    }
    sha256_final(&c, &h);
    return h;
}

static hansa_hash commitment_of(const frost_commitment *c) {
    sha256_ctx x;
    hansa_hash h;
    sha256_init(&x);
    sha256_update(&x, c->hiding.b, FROST_POINT_BYTES);
    sha256_update(&x, c->binding.b, FROST_POINT_BYTES);
    sha256_final(&x, &h);
    return h;
}

/* The use of participant id's entry in REQUEST m, for the nonce checker. */
static void note_use(world *w, const sim_node *nd, const roast_msg *m, uint16_t id) {
    for (uint16_t i = 0; i < m->n; i++) {
        if (m->list[i].id != id) continue;
        hansa_hash c = commitment_of(&m->list[i]), u = use_of(m);
        sim_frostcheck_share(&w->frost->chk, local(nd), id, &c, &u, m->round);
        return;
    }
}

void frost_on_deliver(sim_node *nd, const sim_msg *msg) {
    sim_frost *F = nd->w->frost;
    if (!F || !watched(nd) || msg->data[0] != MSG_ROAST) return;
    roast_env e;
    roast_msg m;
    if (!open_env(msg->data + 1, msg->len - 1, &e, &m) || m.kind != ROAST_MSG_REQUEST) return;
    frost_req *r = &F->reqs[nd->idx][F->n_reqs[nd->idx]++ % FROST_REQS];
    r->group = point_hash(&m.group_key);
    r->round = m.round;
    r->session = m.session;
    hbuf_reset(&r->msg);
    hbuf_append(&r->msg, e.msg, e.msg_len);
}

/* The REQUEST an honest node's SHARE answers (the newest kept for its
 * group, round and session), decoded into *m; false if none is kept. */
static bool request_of(sim_frost *F, const sim_node *nd, const roast_msg *share, roast_msg *m) {
    hansa_hash g = point_hash(&share->group_key);
    uint32_t n = F->n_reqs[nd->idx];
    for (uint32_t k = 0; k < FROST_REQS && k < n; k++) {
        const frost_req *r = &F->reqs[nd->idx][(n - 1 - k) % FROST_REQS];
        if (r->round == share->round && r->session == share->session && hash_eq(&r->group, &g))
            return roast_msg_decode(r->msg.data, r->msg.len, m, NULL) == HANSA_OK;
    }
    return false;
}

static void observe_honest(sim_node *nd, const uint8_t *b, size_t len) {
    world *w = nd->w;
    roast_env e;
    roast_msg m;
    if (!open_env(b, len, &e, &m)) return;
    if (m.kind == ROAST_MSG_REQUEST) { /* its own signer answers it if it is named */
        note_use(w, nd, &m, e.from);
        return;
    }
    if (m.kind != ROAST_MSG_SHARE) return;
    w->res->frost_shares++;
    roast_msg req;
    if (request_of(w->frost, nd, &m, &req)) note_use(w, nd, &req, m.commitment.id);
}

/* A Byzantine coordinator's second REQUEST: its own entry (or, if it is
 * not named, the last one) replaced by a fresh commitment, under another
 * session number, to every peer, a little later. */
static void forge_request(sim_node *nd, const roast_env *e, const roast_msg *m) {
    world *w = nd->w;
    sim_frost *F = w->frost;
    if (F->forged_round[nd->idx] == m->round && F->forged_session[nd->idx] == m->session) return;
    F->forged_round[nd->idx] = m->round;
    F->forged_session[nd->idx] = m->session;
    roast_msg f = *m;
    uint16_t at = (uint16_t)(m->n - 1);
    for (uint16_t i = 0; i < m->n; i++)
        if (m->list[i].id == e->from) at = i;
    hansa_rng rng = prng_as_rng(&w->rng);
    frost_scalar d, x;
    frost_scalar_random(&rng, &d);
    frost_scalar_random(&rng, &x);
    HANSA_ASSERT(frost_base_mul(&d, &f.list[at].hiding) && frost_base_mul(&x, &f.list[at].binding));
    f.session = m->session | FORGED_SESSION;
    hbuf mb = HBUF_INIT, env = HBUF_INIT;
    roast_msg_encode(&mb, &f);
    roast_env_encode(&env, chain_id_of(nd), e->from, mb.data, mb.len, &nd->key);
    simnet_broadcast(w, nd->idx, msg_new(MSG_ROAST, env.data, env.len), -1,
                     nd->busy_us + world_between(w, 0, 1500000));
    w->res->frost_forged++;
    hbuf_free(&mb);
    hbuf_free(&env);
}

static bool attack_on_share(sim_node *nd, const uint8_t *b, size_t len);

/* A Byzantine helper's SIGMA in a share repair: a random scalar in place
 * of its sum, sealed to the member and signed as the real one would be, so
 * only the member's check against its verification share catches it
 * (scripts/mutate's repair-unchecked). */
static void forge_sigma(sim_node *nd, const uint8_t *b, size_t len) {
    repair_msg m;
    if (repair_msg_decode(b, len, &m, NULL) != HANSA_OK || m.kind != REPAIR_MSG_SIGMA) return;
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(node_ledger(nd->n), e);
    uint8_t to[SEAL_KEY_BYTES];
    if (m.target <= e->ctx.n && noise_pubkey_from_ed25519(&e->members[m.target - 1], to) == HANSA_OK) {
        world *w = nd->w;
        hansa_rng rng = prng_as_rng(&w->rng);
        frost_scalar x;
        frost_scalar_random(&rng, &x);
        hbuf ad = HBUF_INIT, out = HBUF_INIT;
        repair_msg_encode_unsigned(&ad, &m);
        ad.len -= REPAIR_SEALED_BYTES;
        HANSA_ASSERT(seal_encrypt(&rng, to, ad.data, ad.len, x.b, FROST_SCALAR_BYTES, m.sealed) == HANSA_OK);
        hbuf_reset(&ad);
        repair_msg_encode_unsigned(&ad, &m);
        sign_domain(&nd->key, REPAIR_DOMAIN, ad.data, ad.len, &m.sig);
        repair_msg_encode(&out, &m);
        simnet_broadcast(w, nd->idx, msg_new(MSG_REPAIR_SIGMA, out.data, out.len), -1, nd->busy_us);
        w->res->frost_forged++;
        hbuf_free(&ad);
        hbuf_free(&out);
    }
    free(e);
}

bool frost_on_send(sim_node *nd, uint8_t type, const uint8_t *b, size_t len) {
    if (nd->w->frost && type == MSG_DKG_SHARE_REQ && honest(nd)) nd->w->res->frost_share_reqs++;
    if (nd->w->frost && type == MSG_REPAIR_SIGMA && !honest(nd)) {
        forge_sigma(nd, b, len);
        return false;
    }
    if (!nd->w->frost || type != MSG_ROAST) return true;
    if (honest(nd)) {
        if (watched(nd)) observe_honest(nd, b, len);
        return !attack_on_share(nd, b, len);
    }
    roast_env e;
    roast_msg m;
    if (!open_env(b, len, &e, &m)) return true;
    if (m.kind == ROAST_MSG_SHARE) return false; /* committed, never answers */
    if (m.kind == ROAST_MSG_REQUEST) forge_request(nd, &e, &m);
    return true;
}

/* ---- what honest nodes store ---- */

typedef struct {
    world *w;
    const sim_node *nd;
    uint64_t newest;
} keys_ctx;

static frost_key *key_of(sim_frost *F, uint64_t epoch) {
    for (size_t i = 0; i < F->n_keys; i++)
        if (F->keys[i].epoch == epoch) return &F->keys[i];
    return NULL;
}

static void on_key(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    keys_ctx *kc = ctx;
    world *w = kc->w;
    sim_frost *F = w->frost;
    hansa_hash k = point_hash(&g->key);
    sim_frostcheck_key(&F->chk, local(kc->nd), epoch, &k, "its chain's record");
    if (epoch > kc->newest) kc->newest = epoch;
    if (key_of(F, epoch) || F->n_keys == FROST_KEYS_MAX) return;
    frost_key *fk = &F->keys[F->n_keys++];
    *fk = (frost_key){.epoch = epoch, .keyed_at = g->keyed_at, .n = g->n, .t = g->t, .key = k};
    /* Its members: the set of its epoch, the one in force when its key is
     * recorded (a set changes at most once per key generation). */
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(node_ledger(kc->nd->n), e);
    for (uint16_t i = 0; e->ctx.epoch == epoch && i < e->ctx.n; i++) {
        int x = world_node_of_key(w, &e->members[i]);
        if (x >= 0) fk->members |= 1ull << local(&w->nodes[x]);
    }
    free(e);
    w->res->frost_keys++;
    /* From the commit before the epoch's first block (its set became the
     * next one then, and the delegates started dealing) to this one. */
    uint64_t from = epoch > 1 ? height_at(F, epoch - 1)->time_us : 0;
    F->dkg_ms_sum += (w->now_us - from) / 1000;
}

/* ---- --attack frost-handoff ---- */

/* Blocks after a new set's activation A (its key is recorded at A + 19 and
 * the old group hands over then, in a round that lives 8 blocks): the
 * restarted member goes down from A+1, after its record took the new seed,
 * and is back at A+8, well before the handoff; the other goes down from
 * A+13 and is back at A+30, past the whole handoff round. Each goes down
 * at the first of those heights it did not propose: a crashed proposer
 * takes its height's signing round (it coordinates it) down with it. */
#define ATK_RESTARTED_DOWN 1
#define ATK_RESTARTED_UP 8
#define ATK_OTHER_DOWN 13
#define ATK_OTHER_UP 30

/* At the commit before a new set's first block: picks, among the honest
 * members of the newest key's group, one that is in the new set too (its
 * DKG record takes the new set's seed) and one other, preferably one the
 * new set left out (a dealer of the new key that is down keeps the
 * restarted member, which lost the shares it had received, from its new
 * share). Once per run: two downs of the next set change would overlap
 * this one's and stall the chain. */
static void attack_pick(world *w, sim_frost *F, const frost_epoch *e) {
    const frost_key *old = NULL;
    for (size_t i = 0; i < F->n_keys; i++)
        if (F->keys[i].epoch < e->ctx.epoch && (!old || F->keys[i].epoch > old->epoch)) old = &F->keys[i];
    if (old == NULL) return;
    F->atk_epoch = e->ctx.epoch;
    F->atk_restarted = F->atk_down = -1;
    const sim_chain *c = &w->chains[0];
    for (uint16_t i = 0; old && i < c->n_nodes; i++) {
        const sim_node *x = &w->nodes[c->first_node + i];
        if (!honest(x) || !(old->members >> i & 1)) continue;
        bool in_new = false;
        for (uint16_t j = 0; j < e->ctx.n; j++) in_new |= pubkey_eq(&e->members[j], &x->key.pub);
        if (in_new && F->atk_restarted < 0) F->atk_restarted = x->idx;
        else if (F->atk_down < 0 || !in_new) F->atk_down = x->idx;
    }
}

/* Crashes victim at `height` in [from, until) if it did not propose it
 * (coord, chain-local) and has not crashed yet; restarts it at `up`. */
static void attack_step(world *w, int32_t victim, bool *crashed, int32_t coord, uint64_t height,
                        uint64_t from, uint64_t until, uint64_t up) {
    if (victim < 0) return;
    sim_node *v = &w->nodes[victim];
    if (height >= from && height < until && !*crashed && coord != local(v)) {
        *crashed = true;
        world_push(w, w->now_us, EV_CRASH, v, 0, 0, 0, 0, NULL);
    }
    if (height == up) world_push(w, w->now_us, EV_RESTART, v, 0, 0, 0, 0, NULL);
}

/* The restarted member's first share of a checkpoint under the old key
 * once the other is down (the old group's up members are then exactly its
 * threshold): the share left the signer, its nonce stored USED, but the
 * member crashes before it is off its link (it is lost) and is back a
 * moment later. Its session at the coordinator stays open, the other
 * members have answered and no other subset is left: the height is signed
 * only if the member reopens the round and offers its stored commitment
 * again, and only the unused one (a nonce stored FRESH though used goes
 * into a second list: scripts/mutate's nonce-unpersisted). The member's
 * new DKG session loses the shares it received, which the dealers send
 * again until A + 21. True: the share is lost. */
#define ATK_SHARE_DOWN_US 300000

static bool attack_on_share(sim_node *nd, const uint8_t *b, size_t len) {
    world *w = nd->w;
    sim_frost *F = w->frost;
    roast_env e;
    roast_msg m;
    if (w->o.attack != SIM_ATTACK_FROST_HANDOFF || (int32_t)nd->idx != F->atk_restarted ||
        !F->atk_down_crashed || F->atk_share_crashed || !open_env(b, len, &e, &m) ||
        m.kind != ROAST_MSG_SHARE || m.round <= F->atk_epoch + ATK_OTHER_DOWN ||
        m.round >= F->atk_epoch + FROST_DKG_COMPLAINT_BLOCKS - 1)
        return false;
    F->atk_share_crashed = true;
    world_push(w, w->now_us, EV_CRASH, nd, 0, 0, 0, 0, NULL);
    world_push(w, w->now_us + ATK_SHARE_DOWN_US, EV_RESTART, nd, 0, 0, 0, 0, NULL);
    return true;
}

/* Called once per height (its first honest commit, whose proposer is
 * coord). */
static void attack_on_height(sim_node *nd, uint64_t height, int32_t coord) {
    world *w = nd->w;
    sim_frost *F = w->frost;
    if (w->o.attack != SIM_ATTACK_FROST_HANDOFF) return;
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(node_ledger(nd->n), e);
    if (e->ctx.epoch == height + 1 && height > 1 && F->atk_epoch == 0) attack_pick(w, F, e);
    free(e);
    uint64_t a = F->atk_epoch;
    if (a == 0) return;
    attack_step(w, F->atk_restarted, &F->atk_restarted_crashed, coord, height,
                a + ATK_RESTARTED_DOWN, a + ATK_RESTARTED_UP, a + ATK_RESTARTED_UP);
    /* ... down before the block that records the new key (A + 19). */
    attack_step(w, F->atk_down, &F->atk_down_crashed, coord, height, a + ATK_OTHER_DOWN,
                a + FROST_DKG_COMPLAINT_BLOCKS - 1, a + ATK_OTHER_UP);
}

void frost_on_commit(sim_node *nd, uint64_t height) {
    world *w = nd->w;
    sim_frost *F = w->frost;
    if (!F || !watched(nd)) return;
    keys_ctx kc = {w, nd, 0};
    ledger_group_keys_iter(node_ledger(nd->n), on_key, &kc);
    uint64_t epoch;
    uint16_t me;
    frost_group *g = hansa_malloc(sizeof *g);
    frost_scalar share;
    if (frost_duty_signing_share(nd->n, &epoch, &me, g, &share)) {
        hansa_hash k = point_hash(&g->key);
        sim_frostcheck_key(&F->chk, local(nd), epoch, &k, "its DKG share");
    }
    if (frost_duty_share_mismatch(nd->n, &epoch)) sim_frostcheck_bad_share(&F->chk, local(nd), epoch);
    frost_wipe(&share, sizeof share);
    free(g);
    frost_height *fh = height_at(F, height);
    if (fh->seen) return;
    fh->seen = true;
    fh->coord = -1;
    fh->epoch = kc.newest;
    fh->time_us = w->now_us;
    hbuf b = HBUF_INIT;
    wire_block blk;
    if (store_get_block(node_store(nd->n), height, &b, &fh->header) == HANSA_OK &&
        wire_block_decode(b.data, b.len, &blk, NULL) == HANSA_OK) {
        int p = world_node_of_key(w, &blk.header.proposer);
        fh->coord_honest = p >= 0 && w->nodes[p].byz == BYZ_NONE;
        fh->coord = p >= 0 ? local(&w->nodes[p]) : -1;
        wire_block_free(&blk);
    }
    hbuf_free(&b);
    attack_on_height(nd, height, fh->coord);
}

/* ---- the end of the run ---- */

static void check_stored(world *w, const sim_node *nd, uint8_t *signed_at, uint64_t top) {
    sim_frost *F = w->frost;
    store *st = node_store(nd->n);
    hbuf b = HBUF_INIT;
    for (uint64_t h = 1; h <= nd->height && h <= top; h++) {
        hansa_err err = store_checkpoint_get(st, h, &b);
        if (err == HANSA_ERR_NOT_FOUND) continue;
        checkpoint cp;
        const frost_height *fh = height_at(F, h);
        const hansa_hash *key = NULL;
        const char *bad = NULL;
        if (err != HANSA_OK) bad = "cannot be read";
        else if (checkpoint_decode(b.data, b.len, &cp, NULL) != HANSA_OK) bad = "does not decode";
        else if (cp.height != h) bad = "names another height";
        else if (!checkpoint_verify(chain_id_of(nd), &cp)) bad = "does not verify";
        else if ((key = sim_frostcheck_key_of(&F->chk, cp.epoch)) == NULL) bad = "names an epoch with no key";
        else if (memcmp(key->b, cp.group_key.b, FROST_POINT_BYTES) != 0) bad = "is signed by another key than its epoch's";
        else if (cp.epoch != fh->epoch) bad = "names another epoch than the newest key at its height";
        else if (!hash_eq(&cp.header_hash, &fh->header)) bad = "names another header than the chain committed";
        w->res->frost_checked++;
        if (bad) sim_frostcheck_bad_checkpoint(&F->chk, local(nd), h, bad);
        else signed_at[h] = 1;
    }
    for (size_t i = 0; i < F->n_keys; i++) {
        frost_key *nk = &F->keys[i];
        const frost_key *ok = NULL;
        for (size_t j = 0; j < F->n_keys; j++)
            if (F->keys[j].epoch < nk->epoch && (!ok || F->keys[j].epoch > ok->epoch)) ok = &F->keys[j];
        if (!ok || store_handoff_get(st, nk->epoch, &b) != HANSA_OK) continue;
        handoff ho;
        const char *bad = NULL;
        if (handoff_decode(b.data, b.len, &ho, NULL) != HANSA_OK) bad = "does not decode";
        else if (ho.old_epoch != ok->epoch || memcmp(ho.old_key.b, ok->key.b, FROST_POINT_BYTES) != 0 ||
                 memcmp(ho.new_key.b, nk->key.b, FROST_POINT_BYTES) != 0 || ho.t != nk->t || ho.n != nk->n)
            bad = "names other keys than the chain's";
        else if (!handoff_verify(chain_id_of(nd), &ho)) bad = "does not verify";
        w->res->frost_handoffs++;
        if (bad) sim_frostcheck_bad_checkpoint(&F->chk, local(nd), 0, bad);
        else nk->handed = true;
    }
    hbuf_free(&b);
}

void frost_finish(world *w, sim_result *r) {
    sim_frost *F = w->frost;
    if (!F) return;
    const sim_chain *c = &w->chains[0];
    uint64_t low = UINT64_MAX, top = 0;
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        const sim_node *nd = &w->nodes[i];
        if (!honest(nd)) continue;
        if (nd->height < low) low = nd->height;
        if (nd->height > top) top = nd->height;
    }
    uint8_t *signed_at = hansa_calloc(top + 1, 1);
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        const sim_node *nd = &w->nodes[i];
        if (honest(nd) && nd->up) check_stored(w, nd, signed_at, top);
    }
    /* Honest holders that are up at the end (after GST every crashed node
     * is back; a stopped one is not). */
    uint64_t up = 0;
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++)
        if (honest(&w->nodes[i]) && w->nodes[i].up && !w->nodes[i].stopped) up |= 1ull << (i - c->first_node);
    for (uint64_t h = 1; low != UINT64_MAX && h + FROST_LIVE_HEIGHTS <= low; h++) {
        const frost_height *fh = height_at(F, h);
        const frost_key *k = fh->seen ? key_of(F, fh->epoch) : NULL;
        /* The members' sessions end with block A + FROST_DKG_REVEAL_BLOCKS,
         * a block after the chain records the key at the end of the
         * reveal window (A + 23): the height between has a key nobody
         * holds yet, and the previous key no longer signs (docs/frost.md,
         * "Which key signs"). */
        if (!k || !fh->coord_honest || fh->time_us < w->gst_us + w->settle_us ||
            h < k->epoch + FROST_DKG_REVEAL_BLOCKS)
            continue;
        r->frost_live_checked++;
        /* The threshold is up when t honest members of the key's set are
         * (all of them after GST, but a stopped one): whether they hold
         * their share is what the rule checks, not a condition of it. */
        uint16_t members = (uint16_t)__builtin_popcountll(k->members & up);
        r->frost_missed += !signed_at[h] && members >= k->t;
        sim_frostcheck_height(&F->chk, h, signed_at[h], members, k->t);
    }
    /* The handoff to each new key: signed by the old group at the block
     * that recorded the new key, its round coordinated by that block's
     * proposer; judged as a height is (after GST + settle, the run 8
     * heights past it, an honest proposer of the old group, t of the old
     * group's honest members up). */
    for (size_t i = 0; low != UINT64_MAX && i < F->n_keys; i++) {
        const frost_key *nk = &F->keys[i], *ok = NULL;
        for (size_t j = 0; j < F->n_keys; j++)
            if (F->keys[j].epoch < nk->epoch && (!ok || F->keys[j].epoch > ok->epoch)) ok = &F->keys[j];
        const frost_height *fh = height_at(F, nk->keyed_at);
        if (!ok || !fh->seen || nk->keyed_at + FROST_LIVE_HEIGHTS > low || !fh->coord_honest ||
            fh->coord < 0 || !(ok->members >> fh->coord & 1) || fh->time_us < w->gst_us + w->settle_us)
            continue;
        r->frost_handoffs_judged++;
        sim_frostcheck_handoff(&F->chk, nk->epoch, nk->handed, (uint16_t)__builtin_popcountll(ok->members & up),
                               ok->t);
    }
    for (uint64_t h = 1; h <= top; h++) r->frost_signed += signed_at[h];
    free(signed_at);
    r->frost_dkg_ms = F->n_keys ? F->dkg_ms_sum / F->n_keys : 0;
    const sim_frostcheck *k = &F->chk;
    r->violations[SIM_V_FROST_KEY] += k->key;
    r->violations[SIM_V_FROST_NONCE] += k->nonce;
    r->violations[SIM_V_FROST_CHECKPOINT] += k->checkpoint;
    r->violations[SIM_V_FROST_LIVENESS] += k->liveness;
    r->safety_violations += sim_frostcheck_safety(k);
    r->liveness_failures += k->liveness;
    if (r->first_violation[0] == '\0' && k->first[0])
        snprintf(r->first_violation, sizeof r->first_violation, "%s", k->first);
}
