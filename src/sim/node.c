/* node.c — drives one simulated node's real consensus engine.
 *
 * The simulator's version of what hansad's node layer does: feed the engine
 * its inputs, carry out its outputs (send, set a timer, persist, decide),
 * keep a durable log of decided values, answer and issue block-sync
 * requests. The disk is a model: a persisted signer-state record becomes the
 * node's last completed record only when its simulated write completes;
 * writes complete in order, and a crash loses every write still in flight.
 * The decided log is durable (the real node stores a block before acting on
 * it), so a restarted node resumes at its last decided height + 1 with the
 * last completed signer-state record — or with none, for an amnesiac.
 *
 * Everything the engine emits and everything the node observes goes into
 * the trace (check.h), which is where the checkers look. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/sha256.h"
#include "sim/world.h"
#include "wire/codec.h"

#define DISK_BASE_US 300
#define DISK_JITTER_US 3000
#define SYNC_MIN_GAP_US 200000
#define REBROADCAST_MS 1000
#define SYNC_TICK_MS 2000
#define BLOCK_INTERVAL_MS 1000

static world *W(const sim_node *nd) { return nd->w; }
static bool honest(const sim_node *nd) { return nd->byz == BYZ_NONE; }
static uint64_t local_now(const sim_node *nd) { return world_local_ms(nd, nd->w->now_us); }

/* --- application callbacks ------------------------------------------------ */

/* A value: flags, height, round, proposer, then random bytes so that two
 * proposals for one slot differ. Its id is its SHA-256. */
void simnode_make_value(sim_node *nd, uint64_t height, uint32_t round, uint8_t flags, uint8_t *out,
                     hansa_hash *id) {
    out[0] = flags;
    le64_store(out + 1, height);
    le32_store(out + 9, round);
    le16_store(out + 13, nd->idx);
    prng_fill(&W(nd)->rng, out + 15, SIM_VALUE_BYTES - 15);
    sha256(out, SIM_VALUE_BYTES, id);
}

/* With delegate churn the value goes on with the proposer's evidence list
 * (vset.c), and the id covers it. */
bool simnode_app_get_value(void *ctx, uint64_t height, uint32_t round, hbuf *out, hansa_hash *id) {
    sim_node *nd = ctx;
    uint8_t v[SIM_VALUE_BYTES];
    simnode_make_value(nd, height, round, nd->byz == BYZ_INVALID ? VALUE_FLAG_INVALID : 0, v, id);
    size_t start = out->len;
    hbuf_append(out, v, sizeof v);
    if (W(nd)->o.valset_change) {
        vset_value_tail(nd, out);
        sha256(out->data + start, out->len - start, id);
    }
    return true;
}

/* The honest rule; an invalid-value Byzantine node accepts its own kind. */
static bool value_ok(const world *w, const sim_node *nd, uint64_t height, const uint8_t *value,
                     size_t len, const hansa_hash *id) {
    if (len < SIM_VALUE_BYTES) return false;
    if (len > SIM_VALUE_BYTES &&
        (!w->o.valset_change || !vset_tail_ok(w, value + SIM_VALUE_BYTES, len - SIM_VALUE_BYTES)))
        return false;
    if ((value[0] & VALUE_FLAG_INVALID) && (nd == NULL || nd->byz != BYZ_INVALID)) return false;
    if (le64_load(value + 1) != height) return false;
    hansa_hash h;
    sha256(value, len, &h);
    return hash_eq(&h, id);
}

bool simnode_app_valid(void *ctx, uint64_t height, const uint8_t *value, size_t len,
                    const hansa_hash *id) {
    const sim_node *nd = ctx;
    return value_ok(nd->w, nd, height, value, len, id);
}

bool simnode_app_verify(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
                       size_t len, const hansa_sig *sig) {
    const sim_node *nd = ctx;
    return sim_vcache_verify(nd->w->vc, pk, domain, msg, len, sig);
}

/* --- outputs ----------------------------------------------------------------- */

static void wal_append(sim_node *nd, uint64_t height, sim_msg *m, bool own);


static void trace_signed(sim_node *nd, uint64_t height, uint32_t round, uint8_t step,
                         const hbuf *sign_bytes) {
    hansa_hash id;
    sha256(sign_bytes->data, sign_bytes->len, &id);
    world_trace(W(nd), SIM_T_SIGNED, nd, nd->idx, height, round, step, &id, false, UINT32_MAX);
}

static void out_proposal(sim_node *nd, const cons_out *o) {
    const wire_proposal *p = &o->u.proposal.proposal;
    hbuf sb = HBUF_INIT;
    wire_proposal_sign_bytes(&sb, p);
    trace_signed(nd, p->height, p->round, CONS_STEP_PROPOSE, &sb);
    hbuf_free(&sb);
    if (honest(nd) || nd->byz == BYZ_AMNESIA || nd->byz == BYZ_GARBAGE || nd->byz == BYZ_INVALID) {
        sim_msg *m = msg_proposal(W(nd), p, o->u.proposal.value, o->u.proposal.value_len);
        wal_append(nd, p->height, m, false); /* a proposer restarted keeps its value's bytes */
        simnet_broadcast(W(nd), nd->idx, m);
    } else
        byz_send_proposal(nd, p, o->u.proposal.value, o->u.proposal.value_len);
}

static void out_vote(sim_node *nd, const wire_vote *v) {
    hbuf sb = HBUF_INIT;
    wire_vote_sign_bytes(&sb, v);
    trace_signed(nd, v->height, v->round, v->type == VOTE_PREVOTE ? CONS_STEP_PREVOTE
                                                                  : CONS_STEP_PRECOMMIT, &sb);
    hbuf_free(&sb);
    if (honest(nd) || nd->byz == BYZ_AMNESIA || nd->byz == BYZ_GARBAGE || nd->byz == BYZ_INVALID) {
        sim_msg *m = msg_vote(W(nd), v);
        /* Logged before it leaves, like the votes it receives. */
        wal_append(nd, v->height, m, true);
        simnet_broadcast(W(nd), nd->idx, m);
    } else
        byz_send_vote(nd, v);
}

static void out_timer(sim_node *nd, const cons_out *o) {
    uint64_t at = world_global_us(nd, o->u.timer.deadline_ms);
    if (at < W(nd)->now_us) at = W(nd)->now_us;
    world_push(W(nd), at, EV_TIMER, nd, 0, o->u.timer.height, o->u.timer.round,
               (uint8_t)o->u.timer.kind, NULL);
}

static void out_persist(sim_node *nd, const cons_out *o) {
    if (nd->n_pend == nd->cap_pend) {
        nd->cap_pend = nd->cap_pend ? nd->cap_pend * 2 : 8;
        nd->pend = hansa_realloc(nd->pend, nd->cap_pend * sizeof *nd->pend);
    }
    nd->pend[nd->n_pend++] = (sim_write){o->u.persist.seq, *o->u.persist.state};
    world *w = W(nd);
    uint64_t start = nd->disk_free_us > w->now_us ? nd->disk_free_us : w->now_us;
    nd->disk_free_us = start + DISK_BASE_US + prng_below(&w->rng, DISK_JITTER_US);
    world_push(w, nd->disk_free_us, EV_PERSISTED, nd, 0, o->u.persist.seq, 0, 0, NULL);
}

static sim_block *block_intern(world *w, uint64_t height, const hansa_hash *id,
                               const uint8_t *value, size_t value_len, const wire_commit *c) {
    if (height > w->cap_blocks) {
        uint64_t cap = w->cap_blocks ? w->cap_blocks : 64;
        while (cap < height) cap *= 2;
        w->blocks = hansa_realloc(w->blocks, cap * sizeof *w->blocks);
        memset(w->blocks + w->cap_blocks, 0, (cap - w->cap_blocks) * sizeof *w->blocks);
        w->cap_blocks = cap;
    }
    for (sim_block *b = w->blocks[height - 1]; b; b = b->next_same_height)
        if (hash_eq(&b->id, id)) return b;
    sim_block *b = hansa_calloc(1, sizeof *b);
    b->height = height;
    b->id = *id;
    b->value = hansa_memdup(value, value_len);
    b->value_len = value_len;
    hbuf enc = HBUF_INIT;
    if (c) wire_commit_encode(&enc, c);
    b->commit = hbuf_take(&enc, &b->commit_len);
    b->next_same_height = w->blocks[height - 1];
    w->blocks[height - 1] = b;
    b->next_all = w->all_blocks;
    w->all_blocks = b;
    return b;
}

/* Returns the height to start next, or 0. */
static uint64_t out_decide(sim_node *nd, const cons_out *o) {
    world *w = W(nd);
    uint64_t h = o->u.decide.height;
    bool valid = value_ok(w, NULL, h, o->u.decide.value, o->u.decide.value_len, &o->u.decide.id);
    uint32_t bound = UINT32_MAX;
    if (honest(nd) && nd->height_start_us >= w->gst_us + w->settle_us)
        bound = world_round_bound(w, h);
    world_trace(w, SIM_T_DECIDE, nd, 0, h, o->u.decide.round, 0, &o->u.decide.id, valid, bound);
    if (o->u.decide.round > w->res->max_round) w->res->max_round = o->u.decide.round;
    if (h != nd->n_decided + 1) return 0; /* the checker has reported it */
    if (nd->n_decided == nd->cap_decided) {
        nd->cap_decided = nd->cap_decided ? nd->cap_decided * 2 : 64;
        nd->decided = hansa_realloc(nd->decided, nd->cap_decided * sizeof *nd->decided);
    }
    nd->decided[nd->n_decided++] = block_intern(w, h, &o->u.decide.id, o->u.decide.value,
                                                o->u.decide.value_len, o->u.decide.commit);
    if (honest(nd) && nd->n_decided == w->o.heights) w->honest_done++;
    return h + 1;
}

static void wal_clear(sim_node *nd) {
    for (size_t i = 0; i < nd->n_wal; i++) msg_unref(nd->wal[i].m);
    nd->n_wal = 0;
    smap_clear(&nd->wal_seen);
}

static smap_key wal_key(const sim_msg *m) {
    return (smap_key){le64_load(m->hash.b), le64_load(m->hash.b + 8), le64_load(m->hash.b + 16)};
}

/* Drops the entries of heights below `height` (decided: no longer needed). */
static void wal_prune(sim_node *nd, uint64_t height) {
    size_t k = 0;
    smap_clear(&nd->wal_seen);
    for (size_t i = 0; i < nd->n_wal; i++) {
        if (nd->wal[i].height < height) {
            msg_unref(nd->wal[i].m);
            continue;
        }
        smap_put_new(&nd->wal_seen, wal_key(nd->wal[i].m), &nd->wal[i].m->hash);
        nd->wal[k++] = nd->wal[i];
    }
    nd->n_wal = k;
}

/* Logs m (of `height`, the engine's current one or the next, which the
 * engine buffers) once. */
static void wal_append(sim_node *nd, uint64_t height, sim_msg *m, bool own) {
    uint64_t cur = cons_height(nd->e);
    if (height != cur && height != cur + 1) return;
    if (nd->n_wal == SIM_WAL_MAX) return; /* bounded, like every buffer */
    if (smap_put_new(&nd->wal_seen, wal_key(m), &m->hash)) return;
    if (nd->n_wal == nd->cap_wal) {
        nd->cap_wal = nd->cap_wal ? 2 * nd->cap_wal : 64;
        nd->wal = hansa_realloc(nd->wal, nd->cap_wal * sizeof *nd->wal);
    }
    m->refs++;
    nd->wal[nd->n_wal++] = (sim_wal_entry){height, m, own};
}

static void start_height(sim_node *nd, uint64_t height) {
    wal_prune(nd, height);
    nd->height_start_us = W(nd)->now_us;
    world_trace(W(nd), SIM_T_HEIGHT_START, nd, 0, height, 0, 0, NULL, false, UINT32_MAX);
    cons_start_height(nd->e, height, world_valset(W(nd), height), local_now(nd));
}

/* Carries out everything the engine emitted for the last input, starting
 * the next height as soon as the current one is decided (itself an input,
 * whose outputs are carried out in turn). The outputs stay in the engine
 * until its next input, so each batch is read exactly once. */
static void drain(sim_node *nd) {
    for (;;) {
        const cons_out *outs;
        size_t n = cons_drain(nd->e, &outs);
        uint64_t next = 0;
        for (size_t i = 0; i < n; i++) {
            const cons_out *o = &outs[i];
            switch (o->kind) {
            case CONS_OUT_PROPOSAL: out_proposal(nd, o); break;
            case CONS_OUT_VOTE: out_vote(nd, &o->u.vote); break;
            case CONS_OUT_TIMER: out_timer(nd, o); break;
            case CONS_OUT_PERSIST: out_persist(nd, o); break;
            case CONS_OUT_DECIDE: next = out_decide(nd, o); break;
            case CONS_OUT_EVIDENCE: {
                const wire_vote *a = &o->u.evidence.a;
                int v = world_node_of_key(W(nd), &a->validator);
                W(nd)->res->evidence++;
                world_trace(W(nd), SIM_T_EVIDENCE, nd, v < 0 ? UINT16_MAX : (uint16_t)v,
                            a->height, a->round, a->type, NULL, false, UINT32_MAX);
                if (W(nd)->o.valset_change) vset_on_evidence(nd, v);
                break;
            }
            }
        }
        if (!next) return;
        if (!W(nd)->o.no_pacing) {
            world_push(W(nd), world_global_us(nd, local_now(nd) + BLOCK_INTERVAL_MS),
                       EV_NEXT_HEIGHT, nd, 0, next, 0, 0, NULL);
            return;
        }
        start_height(nd, next);
    }
}

void simnode_next_height(sim_node *nd, uint64_t height) {
    if (height != nd->n_decided + 1 || cons_height(nd->e) >= height) return;
    cons_tick(nd->e, local_now(nd));
    start_height(nd, height);
    drain(nd);
}

static void wal_replay(sim_node *nd);

/* --- lifecycle ------------------------------------------------------------- */

void simnode_boot(sim_node *nd, bool forget) {
    world *w = W(nd);
    HANSA_ASSERT(!nd->up);
    HANSA_ASSERT(nd->e == NULL);
    cons_config cfg = w->cfg;
    cfg.app.ctx = nd;
    cfg.key = &nd->key;
    cfg.test_break_line29 = w->o.break_line29 && honest(nd);
    if (forget) wal_clear(nd); /* an amnesiac forgets its log too */
    nd->e = cons_new(&cfg, nd->disk_has && !forget ? &nd->disk : NULL);
    nd->up = true;
    nd->disk_free_us = w->now_us;
    world_push(w, world_global_us(nd, local_now(nd) + REBROADCAST_MS), EV_REBROADCAST, nd, 0, 0,
               0, 0, NULL);
    world_push(w, world_global_us(nd, local_now(nd) + SYNC_TICK_MS), EV_SYNC_TICK, nd, 0, 0, 0,
               0, NULL);
    cons_tick(nd->e, local_now(nd));
    start_height(nd, nd->n_decided + 1);
    drain(nd);
    wal_replay(nd);
}

/* The engine's memory is gone and so is every write not yet on disk. Events
 * already queued for this incarnation are ignored when they fire. */
void simnode_crash(sim_node *nd) {
    HANSA_ASSERT(nd->up);
    cons_free(nd->e);
    nd->e = NULL;
    nd->up = false;
    nd->inc++;
    nd->n_pend = 0;
    W(nd)->res->crashes++;
    world_trace(W(nd), SIM_T_CRASH, nd, 0, nd->n_decided + 1, 0, 0, NULL, false, UINT32_MAX);
}

void simnode_free(sim_node *nd) {
    if (nd->e) cons_free(nd->e);
    nd->e = NULL;
    free(nd->pend);
    free(nd->decided);
    wal_clear(nd);
    free(nd->wal);
    smap_free(&nd->wal_seen);
    smap_free(&nd->votes_seen);
}

void simnode_on_persisted(sim_node *nd, uint64_t seq) {
    HANSA_ASSERT(nd->n_pend > 0);
    HANSA_ASSERT(nd->pend[0].seq == seq);
    nd->disk = nd->pend[0].st;
    nd->disk_has = true;
    memmove(nd->pend, nd->pend + 1, (nd->n_pend - 1) * sizeof *nd->pend);
    nd->n_pend--;
    cons_tick(nd->e, local_now(nd));
    cons_on_persisted(nd->e, seq);
    drain(nd);
}

void simnode_on_timer(sim_node *nd, const sim_event *ev) {
    world_trace(W(nd), SIM_T_TIMEOUT, nd, 0, ev->height, ev->round, ev->sub, NULL, false,
                UINT32_MAX);
    cons_tick(nd->e, local_now(nd));
    cons_on_timeout(nd->e, (cons_timer_kind)ev->sub, ev->height, ev->round);
    drain(nd);
}

/* The votes this node signed at the current height, from its log: after a
 * restart the engine re-sends only what it released since, but a peer still
 * in an earlier round may wait for exactly an earlier precommit (seed 245,
 * 4 nodes, --faults all). The log's own entries are votes this node
 * released, so re-sending them signs nothing new. */
static void resend_logged_own_votes(sim_node *nd) {
    uint64_t h = cons_height(nd->e);
    for (size_t i = 0; i < nd->n_wal; i++)
        if (nd->wal[i].own && nd->wal[i].height == h) simnet_broadcast(W(nd), nd->idx, nd->wal[i].m);
}

void simnode_rebroadcast(sim_node *nd) {
    cons_rebroadcast(nd->e);
    drain(nd);
    if (honest(nd)) resend_logged_own_votes(nd);
    /* Others' proof-of-lock prevotes, as the node relays them: without them
     * a node that lost those votes can never accept the POL proposal. */
    if (honest(nd)) {
        wire_vote relay[WIRE_VALIDATORS_MAX];
        size_t n = cons_relay_votes(nd->e, relay, WIRE_VALIDATORS_MAX);
        for (size_t i = 0; i < n; i++) simnet_broadcast(W(nd), nd->idx, msg_vote(W(nd), &relay[i]));
    }
    if (W(nd)->o.valset_change) vset_rebroadcast(nd);
    world_push(W(nd), world_global_us(nd, local_now(nd) + REBROADCAST_MS), EV_REBROADCAST, nd, 0,
               0, 0, 0, NULL);
}

/* --- block sync ------------------------------------------------------------ */

static void sync_request(sim_node *nd, uint16_t to) {
    world *w = W(nd);
    if (to == nd->idx) return;
    nd->last_sync_us = w->now_us;
    uint8_t req[9];
    req[0] = MSG_SYNC_REQ;
    le64_store(req + 1, nd->n_decided + 1);
    simnet_send(w, nd->idx, to, msg_new(req, sizeof req));
}

void simnode_sync_tick(sim_node *nd) {
    world *w = W(nd);
    uint16_t peer = (uint16_t)prng_below(&w->rng, w->n);
    sync_request(nd, peer);
    world_push(w, world_global_us(nd, local_now(nd) + SYNC_TICK_MS), EV_SYNC_TICK, nd, 0, 0, 0,
               0, NULL);
}

/* A message from a height above ours: we are behind, ask its sender. */
static void maybe_behind(sim_node *nd, uint16_t from, uint64_t height) {
    if (height <= cons_height(nd->e)) return;
    if (nd->last_sync_us + SYNC_MIN_GAP_US > W(nd)->now_us && nd->last_sync_us != 0) return;
    sync_request(nd, from);
}

static void serve_sync(sim_node *nd, uint16_t from, uint64_t first) {
    world *w = W(nd);
    if (nd->byz == BYZ_SILENT) return;
    if (first == 0 || first > nd->n_decided) return;
    hbuf b = HBUF_INIT;
    hbuf_put_u8(&b, MSG_SYNC_RESP);
    uint64_t last = nd->n_decided;
    if (last - first + 1 > SYNC_ENTRIES_MAX) last = first + SYNC_ENTRIES_MAX - 1;
    size_t n = 0;
    for (uint64_t h = first; h <= last; h++)
        if (nd->decided[h - 1]->commit_len) n++;
    hbuf_put_u8(&b, (uint8_t)n);
    for (uint64_t h = first; h <= last; h++) {
        const sim_block *blk = nd->decided[h - 1];
        if (!blk->commit_len) continue;
        hbuf_put_u64(&b, h);
        wire_put_bytes(&b, blk->value, (uint32_t)blk->value_len);
        wire_put_bytes(&b, blk->commit, (uint32_t)blk->commit_len);
    }
    if (n > 0) simnet_send(w, nd->idx, from, msg_new(b.data, b.len));
    hbuf_free(&b);
}

static void reject(sim_node *nd, uint16_t from, const sim_msg *m, hansa_err err) {
    W(nd)->res->rejected++;
    world_trace(W(nd), SIM_T_REJECT, nd, from, 0, 0, (uint8_t)err, &m->hash, false, UINT32_MAX);
}

static void apply_sync(sim_node *nd, uint16_t from, const sim_msg *m, wire_rd *r) {
    uint8_t n = rd_u8(r, "count");
    if (n > SYNC_ENTRIES_MAX) rd_fail(r, HANSA_ERR_TOO_LONG, "count");
    for (uint8_t i = 0; i < n && r->err == HANSA_OK; i++) {
        uint64_t h = rd_u64(r, "height");
        uint32_t vlen = rd_len(r, 1024, "value");
        const uint8_t *value = rd_borrow(r, vlen, "value");
        uint32_t clen = rd_len(r, 1u << 16, "commit");
        const uint8_t *cbytes = rd_borrow(r, clen, "commit");
        if (r->err != HANSA_OK) break;
        if (!nd->up || h != cons_height(nd->e) || cons_decided(nd->e)) continue;
        wire_commit c;
        hansa_err err = wire_commit_decode(cbytes, clen, &c, NULL);
        if (err == HANSA_OK) {
            cons_tick(nd->e, local_now(nd));
            err = cons_on_commit(nd->e, &c, value, vlen);
            wire_commit_free(&c);
        }
        if (err != HANSA_OK) {
            reject(nd, from, m, err);
            continue;
        }
        W(nd)->res->syncs++;
        world_trace(W(nd), SIM_T_SYNC, nd, from, h, 0, 0, NULL, false, UINT32_MAX);
        drain(nd);
    }
    rd_end(r);
    if (r->err != HANSA_OK) reject(nd, from, m, r->err);
}

/* --- consensus messages ----------------------------------------------------- */

/* The sim's own record of votes the engine took at this height: when a
 * second, different vote of one validator for one round and type reaches an
 * honest engine, the engine owes evidence for it (check.h). */
static void note_vote(sim_node *nd, const wire_vote *v, hansa_err err) {
    /* Refused for its signature, or as a prevote after the decision (the
     * engine keeps only precommits then): not handed over, nothing owed. */
    if (!honest(nd) || v->height != cons_height(nd->e)) return;
    if (err == HANSA_ERR_BAD_SIG || err == HANSA_ERR_STATE || err == HANSA_ERR_FULL) return;
    int val = world_node_of_key(W(nd), &v->validator);
    if (val < 0) return;
    if (nd->votes_seen_height != v->height || nd->votes_seen_inc != nd->inc) {
        smap_clear(&nd->votes_seen);
        nd->votes_seen_height = v->height;
        nd->votes_seen_inc = nd->inc;
    }
    hansa_hash id = v->block.hash;
    id.b[0] ^= v->block.present; /* nil and the all-zero block differ */
    smap_key k = {(uint64_t)val, v->round, v->type};
    const hansa_hash *prev = smap_get(&nd->votes_seen, k);
    if (prev == NULL) {
        if (err == HANSA_OK) smap_put_new(&nd->votes_seen, k, &id);
        return;
    }
    if (!hash_eq(prev, &id))
        world_trace(W(nd), SIM_T_EQUIVOCATION_SEEN, nd, (uint16_t)val, v->height, v->round,
                    v->type, NULL, false, UINT32_MAX);
}

static void on_vote(sim_node *nd, uint16_t from, const sim_msg *m, wire_rd *r) {
    wire_vote v;
    hansa_err err = wire_vote_decode(r->p + r->off, r->len - r->off, &v, NULL);
    if (err != HANSA_OK) {
        reject(nd, from, m, err);
        return;
    }
    maybe_behind(nd, from, v.height);
    cons_tick(nd->e, local_now(nd));
    /* The engine moves to a new height only when the driver says so, so a
     * height change here means a restart or sync, and the vote is stale. */
    uint64_t h = cons_height(nd->e);
    err = cons_on_vote(nd->e, &v);
    if (h == cons_height(nd->e)) note_vote(nd, &v, err);
    if (err == HANSA_OK) wal_append(nd, v.height, (sim_msg *)m, false);
    if (err != HANSA_OK) reject(nd, from, m, err);
    drain(nd);
}

static void on_proposal(sim_node *nd, uint16_t from, const sim_msg *m, wire_rd *r) {
    uint32_t plen = rd_len(r, 1024, "proposal");
    const uint8_t *pb = rd_borrow(r, plen, "proposal");
    uint32_t vlen = rd_len(r, 1024, "value");
    const uint8_t *value = rd_borrow(r, vlen, "value");
    rd_end(r);
    wire_proposal p;
    hansa_err err = r->err;
    if (err == HANSA_OK) err = wire_proposal_decode(pb, plen, &p, NULL);
    if (err != HANSA_OK) {
        reject(nd, from, m, err);
        return;
    }
    maybe_behind(nd, from, p.height);
    wal_append(nd, p.height, (sim_msg *)m, false);
    cons_tick(nd->e, local_now(nd));
    err = cons_on_proposal(nd->e, &p, value, vlen);
    if (err != HANSA_OK) reject(nd, from, m, err);
    drain(nd);
}

static void wal_replay(sim_node *nd) {
    /* Entries are only read here; handling them appends nothing new (each
     * is logged already), and a decision starts the next height only at an
     * event of its own (or at once without pacing: then stop). */
    uint64_t h = cons_height(nd->e);
    for (size_t i = 0; i < nd->n_wal && nd->up && cons_height(nd->e) == h; i++) {
        sim_msg *m = nd->wal[i].m;
        wire_rd r;
        rd_init(&r, m->data, m->len);
        uint8_t type = rd_u8(&r, "type");
        if (type == MSG_PROPOSAL) on_proposal(nd, nd->idx, m, &r);
        else on_vote(nd, nd->idx, m, &r);
    }
}

void simnode_on_message(sim_node *nd, uint16_t from, const sim_msg *m) {
    HANSA_ASSERT(nd->up);
    wire_rd r;
    rd_init(&r, m->data, m->len);
    uint8_t type = rd_u8(&r, "type");
    switch (type) {
    case MSG_PROPOSAL: on_proposal(nd, from, m, &r); return;
    case MSG_VOTE: on_vote(nd, from, m, &r); return;
    case MSG_SYNC_REQ: {
        uint64_t first = rd_u64(&r, "height");
        rd_end(&r);
        if (r.err == HANSA_OK) serve_sync(nd, from, first);
        else reject(nd, from, m, r.err);
        return;
    }
    case MSG_SYNC_RESP: apply_sync(nd, from, m, &r); return;
    case MSG_EVIDENCE:
        if (W(nd)->o.valset_change) vset_on_message(nd, &r);
        else rd_fail(&r, HANSA_ERR_PROTOCOL, "type");
        if (r.err != HANSA_OK) reject(nd, from, m, r.err);
        return;
    default: reject(nd, from, m, HANSA_ERR_PROTOCOL); return;
    }
}
