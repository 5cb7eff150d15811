/* host.c — hosts one production node in the simulated world.
 *
 * This is the node's driver, as cmd/hansad.c is for a real one: it opens a
 * store on the node's (simulated) disk, opens and starts the node, feeds
 * it inputs — a peer came or went, a message arrived, a wake-up time was
 * reached, a client submitted a transaction — and carries out what the
 * node asks through node_io: send, broadcast, drop a peer, wake me at T,
 * a block was committed, a fatal error. Nothing of the node's logic lives
 * here: WAL, rebroadcast, block sync, validator-set bookkeeping are the
 * node's own (DESIGN.md section 3: one state machine, two drivers).
 *
 * Time: the node's clocks are the world's simulated time, skewed per node
 * (sim.c). Disk: every write costs simulated time (0.3–3.3 ms), which
 * delays whatever the node sends later in the same input, as an fsync
 * delays a real node; and a write may be where a crash hits (disk.h). A
 * node a crash hits during an input (in the middle of a write, or right
 * after one of its own messages left) is "dying" for the rest of that
 * input: its sends are lost, its fatal error (the failed write) is
 * expected, and after the input the process is torn down.
 *
 * What the checkers need is observed from outside, as a peer would see it:
 * its own signed proposals and votes as they leave (SIGNED), the evidence
 * it broadcasts (EVIDENCE), the conflicting votes it was handed
 * (EQUIVOCATION_SEEN), what it committed (DECIDE, COMMITTED, from
 * node_io.committed), and a fatal stop (STOPPED). */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "crypto/sha256.h"
#include "node/msg.h"
#include "sim/world.h"

#define DISK_BASE_US 300
#define DISK_JITTER_US 3000
#define RECONNECT_MIN_US 1000000
#define RECONNECT_MAX_US 3000000
#define FUTURE_ROUNDS_MAX 16 /* node.c's cons_config.future_rounds_max */

static world *W(const sim_node *nd) { return nd->w; }
static bool honest(const sim_node *nd) { return nd->byz == BYZ_NONE; }
static uint16_t idx_of(const world *w, void *peer) {
    return (uint16_t)((sim_node *)peer - w->nodes);
}

bool host_linked(const world *w, uint16_t a, uint16_t b) {
    const sim_node *x = &w->nodes[a], *y = &w->nodes[b];
    return a != b && x->chain == y->chain && x->up && y->up && !x->link_down[b];
}

/* ---- clock and disk ---- */

static uint64_t clock_mono(void *ctx) {
    const sim_node *nd = ctx;
    return world_local_ms(nd, W(nd)->now_us);
}

static uint64_t clock_wall(void *ctx) {
    const sim_node *nd = ctx;
    uint64_t true_ms = W(nd)->now_us / 1000;
    return nd->chain->genesis.params.genesis_time_ms + true_ms + (uint64_t)nd->wall_offset_ms +
           nd->wall_nudge_ms;
}

/* A full disk fails the writes of one kind a node must stop on (node.c):
 * its signer state, WAL appends or blocks (sim.c draws which). The DKG and
 * nonce records, receipts and checkpoints are left out, since a node may
 * go on without them and the checker (SIM_T_WRITE_FAILED) holds every
 * failure traced to "nothing signed after it". One kind, not every write:
 * a node's WAL takes several appends for each signer write, so a failure
 * spread over all of them would almost never fail the signer state first,
 * the case where releasing a vote anyway is the bug to catch. */
static bool full_write_fails(sim_node *nd, sim_disk_op op) {
    world *w = W(nd);
    if (!nd->disk_full || nd->full_stop || op != nd->full_op) return false;
    nd->write_failed = true;
    world_trace(w, SIM_T_WRITE_FAILED, nd, 0, nd->height + 1, 0, (uint8_t)op, NULL, false,
                UINT32_MAX);
    return true;
}

static sim_disk_fault disk_fault(void *ctx, sim_disk_op op) {
    sim_node *nd = ctx;
    world *w = W(nd);
    nd->busy_us += DISK_BASE_US + prng_below(&w->rng, DISK_JITTER_US);
    if (full_write_fails(nd, op)) return SIM_DISK_FULL;
    if (op == SIM_DISK_BLOB) op = SIM_DISK_SIGNER; /* a crash at the signer database hits them too */
    if (!nd->crash_armed || op != nd->crash_op) return SIM_DISK_OK;
    nd->crash_armed = false;
    nd->dying = true;
    nd->dying_power_loss = nd->armed_power_loss;
    nd->armed_power_loss = false;
    w->res->write_crashes++;
    return nd->crash_fault;
}

/* ---- what leaves the node ---- */

static void trace_signed(sim_node *nd, uint64_t height, uint32_t round, cons_step step,
                         const hbuf *sign_bytes) {
    hansa_hash id;
    sha256(sign_bytes->data, sign_bytes->len, &id);
    world_trace(W(nd), SIM_T_SIGNED, nd, nd->idx, height, round, (uint8_t)step, &id, false,
                UINT32_MAX);
}

void host_observe_proposal(sim_node *nd, const uint8_t *b, size_t len) {
    msg_proposal m;
    wire_proposal p;
    if (msg_proposal_decode(b, len, &m, NULL) != HANSA_OK ||
        wire_proposal_decode(m.proposal, m.proposal_len, &p, NULL) != HANSA_OK ||
        !pubkey_eq(&p.proposer, &nd->key.pub))
        return;
    world_trace(W(nd), SIM_T_PROPOSAL, nd, 0, p.height, p.round, 0, &p.block, false, p.pol_round);
    if (nd->crash_after_send && nd->crash_step == CONS_STEP_PROPOSE) nd->die_after_send = true;
    if (nd->byz != BYZ_NONE) return;
    uint8_t storage[WIRE_PROPOSAL_BYTES];
    hbuf sb = hbuf_on(storage, sizeof storage);
    wire_proposal_sign_bytes(&sb, &p);
    trace_signed(nd, p.height, p.round, CONS_STEP_PROPOSE, &sb);
    hbuf_free(&sb);
}

/* Own proposals and votes as they leave (in m), and evidence it spreads. */
static void observe_out(sim_node *nd, sim_msg *m) {
    world *w = W(nd);
    uint8_t type = m->data[0];
    const uint8_t *b = m->data + 1;
    size_t len = m->len - 1;
    uint8_t storage[WIRE_VOTE_BYTES]; /* a vote's sign bytes fit: nothing allocated per vote */
    hbuf sb = hbuf_on(storage, sizeof storage);
    if (type == MSG_VOTE) {
        const wire_vote *v = msg_vote(m);
        if (v && pubkey_eq(&v->validator, &nd->key.pub)) {
            cons_step step = v->type == VOTE_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
            wire_vote_sign_bytes(&sb, v);
            trace_signed(nd, v->height, v->round, step, &sb);
            world_trace(w, SIM_T_VOTED, nd, 0, v->height, v->round, v->type, &v->block.hash,
                        v->block.present, UINT32_MAX);
            if (nd->crash_after_send && nd->crash_step == step) nd->die_after_send = true;
            smap_key k = {le64_load(v->block.hash.b), le64_load(v->block.hash.b + 8),
                          le64_load(v->block.hash.b + 16)};
            if (v->block.present && smap_get(&w->invalid_blocks, k))
                world_trace(w, SIM_T_VOTED_INVALID, nd, 0, v->height, v->round, v->type,
                            &v->block.hash, false, UINT32_MAX);
        }
    } else if (type == MSG_PROPOSAL) {
        host_observe_proposal(nd, b, len);
    } else if (type == MSG_EVIDENCE) {
        wire_evidence ev;
        if (wire_evidence_decode(b, len, &ev, NULL) == HANSA_OK) {
            int x = world_node_of_key(w, &ev.a.validator);
            w->res->evidence++;
            world_trace(w, SIM_T_EVIDENCE, nd, x < 0 ? UINT16_MAX : (uint16_t)x, ev.a.height,
                        ev.a.round, ev.a.type, NULL, false, UINT32_MAX);
        }
    }
    hbuf_free(&sb);
}

/* The message carrying type || b: the one the node is taking when b is
 * its payload (a relay; messages never change, so sharing it is sending
 * the same bytes, with the hash already made), else a new one. Pointer
 * equality, not a compare: the node hands back the very bytes it got. */
static sim_msg *out_msg(const sim_node *nd, uint8_t type, const uint8_t *b, size_t len) {
    const sim_msg *in = nd->in_msg;
    if (in && b == in->data + 1 && len == in->len - 1 && type == in->data[0]) return nd->in_msg;
    return msg_new(type, b, len);
}

static void io_send(void *ctx, void *peer, uint8_t type, const uint8_t *b, size_t len) {
    sim_node *nd = ctx;
    if (nd->dying || nd->byz == BYZ_SILENT) return;
    if (!frost_on_send(nd, type, b, len)) return;
    simnet_send(W(nd), nd->idx, idx_of(W(nd), peer), out_msg(nd, type, b, len), nd->busy_us);
}

static void io_broadcast(void *ctx, uint8_t type, const uint8_t *b, size_t len, void *except) {
    sim_node *nd = ctx;
    if (nd->dying) return;
    int ex = except ? idx_of(W(nd), except) : -1;
    if (nd->byz != BYZ_SILENT && !frost_on_send(nd, type, b, len)) return;
    if (!honest(nd)) {
        byz_broadcast(nd, type, b, len, ex);
        return;
    }
    sim_msg *m = out_msg(nd, type, b, len);
    observe_out(nd, m);
    simnet_broadcast(W(nd), nd->idx, m, ex, nd->busy_us);
    if (nd->die_after_send) { /* the worst moment: it left, and nothing after it */
        nd->dying = true;
        nd->dying_power_loss = nd->armed_power_loss;
        W(nd)->res->lazy_writes_lost += sim_disk_crash(nd->disk, nd->dying_power_loss);
        nd->die_after_send = nd->crash_after_send = nd->armed_power_loss = false;
    }
}

static void io_drop(void *ctx, void *peer, const char *reason) {
    sim_node *nd = ctx;
    (void)reason;
    if (nd->dying) return;
    uint16_t p = idx_of(W(nd), peer);
    W(nd)->res->rejected++;
    world_trace(W(nd), SIM_T_REJECT, nd, p, 0, 0, 0, NULL, false, UINT32_MAX);
    world_push(W(nd), W(nd)->now_us, EV_LINK_DOWN, nd, p, 0, 0, 0, NULL);
}

/* The simulator keeps every link (the peers are delegates, which hansad
 * never bans either) and counts what honest peers were blamed for. */
static void io_penalize(void *ctx, void *peer, uint32_t points, const char *why) {
    sim_node *nd = ctx;
    (void)why;
    if (nd->dying || !honest(nd)) return;
    if (W(nd)->nodes[idx_of(W(nd), peer)].byz == BYZ_NONE) W(nd)->res->honest_penalty_points += points;
}

static void io_wake_at(void *ctx, uint64_t mono_ms) {
    sim_node *nd = ctx;
    if (nd->dying) return;
    nd->wake_ms = mono_ms;
    uint64_t at = world_global_us(nd, mono_ms);
    if (at < W(nd)->now_us) at = W(nd)->now_us;
    if (nd->wake_ev_us != 0 && nd->wake_ev_us <= at) return; /* an earlier wake-up is queued */
    nd->wake_ev_us = at;
    world_push(W(nd), at, EV_WAKE, nd, 0, 0, 0, 0, NULL);
}

static void io_committed(void *ctx, uint64_t height) {
    sim_node *nd = ctx;
    if (nd->dying) return;
    nd->height = height;
    chain_on_commit(nd, height);
    frost_on_commit(nd, height);
    nd->start_pending = true;
}

static void io_fatal(void *ctx, const char *why) {
    sim_node *nd = ctx;
    if (nd->dying || nd->stopped) return; /* a crash in a write: its own failure */
    world *w = W(nd);
    if (nd->write_failed) {
        /* The clean stop a full disk must cause: the operator sees it, makes
         * room and restarts the node (the restart sim.c scheduled with the
         * fault). Its sends are not swallowed: the checker must see any
         * signature that still left. */
        nd->full_stop = true;
        w->res->full_stops++;
        return;
    }
    nd->stopped = true;
    char *words = world_chk(w, nd)->first;
    bool first = words[0] == '\0';
    world_trace(w, SIM_T_STOPPED, nd, 0, nd->height + 1, 0, 0, NULL, false, UINT32_MAX);
    if (first && honest(nd)) {
        size_t k = strlen(words);
        snprintf(words + k, sizeof world_chk(w, nd)->first - k, ": %s", why);
    }
}

/* ---- inputs ---- */

/* With --trace the nodes' warnings are logged: each line says when
 * (simulated seconds) and which node. */
static void input_begin(sim_node *nd) {
    if (!W(nd)->o.trace) return;
    char p[48];
    snprintf(p, sizeof p, "t=%.6f node=%u", (double)W(nd)->now_us / 1e6, nd->idx);
    log_set_prefix(p);
}

/* After every input: the height start the commit asked for is traced, and
 * a node that crashed during the input goes down. */
static void finish_crash(sim_node *nd, bool power_loss);

static void after_input(sim_node *nd) {
    if (nd->start_pending && !nd->dying && !nd->full_stop) {
        world_trace(W(nd), SIM_T_HEIGHT_START, nd, 0, nd->height + 1, 0, 0, NULL, false,
                    UINT32_MAX);
        fed_after_commit(nd);
    }
    nd->start_pending = false;
    nd->busy_us = 0;
    if (nd->dying || nd->full_stop) finish_crash(nd, false);
}

static void connect(sim_node *a, sim_node *b) {
    input_begin(a);
    node_peer_up(a->n, b);
    after_input(a);
}

void host_boot(sim_node *nd, bool forget) {
    world *w = W(nd);
    HANSA_ASSERT(!nd->up);
    if (forget) sim_disk_forget_signer(nd->disk);
    nd->st = sim_disk_open(nd->disk);
    node_config cfg = w->cfg;
    cfg.st = nd->st;
    cfg.genesis = &nd->chain->genesis;
    cfg.key = &nd->key;
    cfg.clock = &nd->clock;
    cfg.test_break_line29 = w->o.break_line29 && honest(nd);
    if (w->o.frost) cfg.rng = prng_as_rng(&nd->frost_prng);
    node_io io = {.ctx = nd,
                  .send = io_send,
                  .broadcast = io_broadcast,
                  .drop = io_drop,
                  .wake_at = io_wake_at,
                  .committed = io_committed,
                  .fatal = io_fatal,
                  .penalize = io_penalize}; /* no credit_event: the clients send transfers */
    char why[256];
    input_begin(nd);
    hansa_err err = node_open(&cfg, &io, &nd->n, why, sizeof why);
    if (err != HANSA_OK) { /* a store the node refuses to start on: it stays down */
        store_close(nd->st);
        nd->st = NULL;
        nd->n = NULL;
        nd->stopped = true;
        LOG_E("sim", "node %u cannot restart: %s", nd->idx, why);
        char *words = world_chk(w, nd)->first;
        bool first = words[0] == '\0';
        world_trace(w, SIM_T_STOPPED, nd, 0, nd->height + 1, 0, 0, NULL, false, UINT32_MAX);
        if (first && honest(nd)) {
            size_t k = strlen(words);
            snprintf(words + k, sizeof world_chk(w, nd)->first - k, ": cannot restart: %s", why);
        }
        return;
    }
    nd->up = true;
    nd->dying = false;
    nd->stopped = false;
    node_status s;
    node_get_status(nd->n, &s);
    uint64_t traced = nd->height;
    nd->height = s.height;
    fed_on_restart(nd, traced);
    nd->height_start_us = w->now_us;
    nd->round_bound = w->now_us >= w->gst_us + w->settle_us
                          ? chain_round_bound(w, node_valset(nd->n)) : UINT32_MAX;
    node_start(nd->n);
    after_input(nd);
    for (uint16_t j = nd->chain->first_node; j < nd->chain->first_node + nd->chain->n_nodes; j++) {
        if (!host_linked(w, nd->idx, j)) continue;
        connect(nd, &w->nodes[j]);
        if (host_linked(w, nd->idx, j)) connect(&w->nodes[j], nd);
    }
}

/* No crash is a clean close: the lazy writes still in the store's memory
 * are gone (sim_disk_crash; the second call after a send's takes nothing
 * more). A full disk's stop neither: store_close's commit of them would
 * need room the disk does not have. */
static void finish_crash(sim_node *nd, bool power_loss) {
    world *w = W(nd);
    HANSA_ASSERT(nd->up);
    power_loss |= nd->dying_power_loss;
    w->res->lazy_writes_lost += sim_disk_crash(nd->disk, power_loss);
    nd->dying_power_loss = nd->armed_power_loss = false;
    node_close(nd->n);
    store_close(nd->st);
    nd->n = NULL;
    nd->st = NULL;
    nd->up = false;
    nd->dying = false;
    nd->crash_armed = nd->crash_after_send = nd->die_after_send = false;
    nd->disk_full = nd->write_failed = nd->full_stop = false; /* the operator made room */
    nd->inc++;
    nd->wake_ev_us = 0;
    w->res->crashes++;
    w->res->power_losses += power_loss;
    world_trace(w, SIM_T_CRASH, nd, 0, nd->height + 1, 0, 0, NULL, power_loss, UINT32_MAX);
    for (uint16_t j = nd->chain->first_node; j < nd->chain->first_node + nd->chain->n_nodes; j++) {
        sim_node *p = &w->nodes[j];
        if (j == nd->idx || !p->up || nd->link_down[j]) continue;
        node_peer_down(p->n, nd);
        after_input(p);
    }
}

void host_crash(sim_node *nd, bool power_loss) {
    HANSA_ASSERT(nd->up && !nd->dying);
    finish_crash(nd, power_loss);
}

/* True when an honest node is handed a second, different vote of one
 * validator for one height/round/type that its engine takes (current
 * height, round within the engine's buffer, a validator of its set, a good
 * signature, no prevote after its decision): then it owes evidence
 * (check.h), traced once the node has taken the vote. The conditions mirror
 * cons_on_vote's, seen from outside. */
/* Forgets the messages of votes_seen (its references dropped). */
static void votes_msgs_reset(sim_node *nd) {
    for (uint32_t i = 0; i < nd->n_votes_msgs; i++) msg_unref(nd->votes_msgs[i]);
    nd->n_votes_msgs = 0;
}

/* True when m's vote is in votes_seen as it stands: then note_vote's answer
 * for m is no, with nothing to change (its vote is known, with this id, for
 * the height and incarnation votes_seen holds; a vote of another height
 * gets no as well). Each vote reaches a node up to three times as one
 * message, and decoding and looking it up each time was ~1% of a run. */
static bool votes_msg_known(const sim_node *nd, const sim_msg *m) {
    if (nd->votes_seen_inc != nd->inc) return false;
    for (uint32_t i = 0; i < nd->n_votes_msgs; i++)
        if (nd->votes_msgs[i] == m) return true;
    return false;
}

static bool note_vote(sim_node *nd, sim_msg *m, uint16_t *val_out, wire_vote *out) {
    if (!honest(nd) || nd->stopped) return false;
    if (votes_msg_known(nd, m)) return false;
    const wire_vote *pv = msg_vote(m);
    if (!pv) return false;
    const wire_vote v = *pv;
    uint64_t height, cons_h;
    uint32_t cons_r;
    node_get_position(nd->n, &height, &cons_h, &cons_r);
    bool decided = height >= cons_h;
    if (v.height != cons_h || v.chain_id != nd->chain->genesis.params.chain_id) return false;
    if (v.round > cons_r + FUTURE_ROUNDS_MAX || (decided && v.type == VOTE_PREVOTE)) return false;
    if (valset_index(node_valset(nd->n), &v.validator) < 0) return false;
    int val = world_node_of_key(W(nd), &v.validator);
    if (val < 0) return false;
    bool seen_current = nd->votes_seen_height == v.height && nd->votes_seen_inc == nd->inc;
    smap_key key = {(uint64_t)val, v.round, v.type};
    hansa_hash id = v.block.hash;
    id.b[0] ^= v.block.present; /* nil and the all-zero block differ */
    /* The same vote again (each arrives once from its signer and once per
     * relaying peer): whatever its signature, the answer is no and nothing
     * changes, so it is not verified a second time. */
    const hansa_hash *known = seen_current ? smap_get(&nd->votes_seen, key) : NULL;
    if (known && hash_eq(known, &id)) return false;
    if (!msg_vote_sig_ok(m)) return false;
    if (!seen_current) {
        smap_clear(&nd->votes_seen);
        votes_msgs_reset(nd);
        nd->votes_seen_height = v.height;
        nd->votes_seen_inc = nd->inc;
    }
    const hansa_hash *prev = smap_put_new(&nd->votes_seen, key, &id);
    if (!prev && nd->n_votes_msgs < SIM_VOTES_MSGS_MAX) {
        m->refs++;
        nd->votes_msgs[nd->n_votes_msgs++] = m;
    }
    *val_out = (uint16_t)val;
    *out = v;
    return prev && !hash_eq(prev, &id);
}

void host_deliver(sim_node *nd, uint16_t from, sim_msg *m) {
    world *w = W(nd);
    HANSA_ASSERT(nd->up);
    if (!host_linked(w, from, nd->idx)) { /* the link went down with it in flight */
        w->res->dropped++;
        world_trace(w, SIM_T_DROP, nd, from, 0, 0, 3, &m->hash, false, UINT32_MAX);
        return;
    }
    w->res->delivered++;
    world_trace(w, SIM_T_DELIVER, nd, from, 0, 0, 0, &m->hash, false, UINT32_MAX);
    uint8_t type = m->data[0];
    uint16_t val = 0;
    wire_vote v;
    bool conflict = type == MSG_VOTE && note_vote(nd, m, &val, &v);
    uint64_t before = nd->height;
    frost_on_deliver(nd, m);
    input_begin(nd);
    nd->in_msg = m;
    /* The vote the watch decoded (note_vote), for the node's own decode.
     * Exact because a message's bytes never change after msg_new (a fault
     * that alters a message makes a new one): the hint and the node read
     * the same bytes, and debug builds parse every hit again. */
    const wire_vote *decoded = type == MSG_VOTE ? msg_vote(m) : NULL;
    if (decoded) wire_vote_hint(m->data + 1, m->len - 1, decoded);
    node_on_message(nd->n, &w->nodes[from], type, m->data + 1, m->len - 1);
    wire_vote_hint(NULL, 0, NULL);
    nd->in_msg = NULL;
    if (type == MSG_BLOCK && nd->height > before && !nd->dying) { /* committed by block sync */
        w->res->syncs++;
        world_trace(w, SIM_T_SYNC, nd, from, nd->height, 0, 0, NULL, false, UINT32_MAX);
    }
    /* A node that died taking the vote, or stopped on a full disk logging
     * it (before its engine's evidence could leave), owes nothing for it. */
    if (conflict && !nd->dying && !nd->full_stop)
        world_trace(w, SIM_T_EQUIVOCATION_SEEN, nd, val, v.height, v.round, v.type, NULL, false,
                    UINT32_MAX);
    after_input(nd);
}

void host_wake(sim_node *nd) {
    nd->wake_ev_us = 0;
    if (world_local_ms(nd, W(nd)->now_us) < nd->wake_ms) { /* asked for later since */
        io_wake_at(nd, nd->wake_ms);
        return;
    }
    input_begin(nd);
    node_on_wake(nd->n);
    after_input(nd);
}

void host_link_down(sim_node *nd, uint16_t peer) {
    world *w = W(nd);
    sim_node *p = &w->nodes[peer];
    if (nd->link_down[peer]) return;
    bool was = host_linked(w, nd->idx, peer);
    nd->link_down[peer] = p->link_down[nd->idx] = true;
    if (was) {
        input_begin(nd);
        node_peer_down(nd->n, p);
        after_input(nd);
        node_peer_down(p->n, nd);
        after_input(p);
    }
    world_push(w, w->now_us + world_between(w, RECONNECT_MIN_US, RECONNECT_MAX_US), EV_LINK_UP,
               nd, peer, 0, 0, 0, NULL);
}

void host_link_up(sim_node *nd, uint16_t peer) {
    world *w = W(nd);
    sim_node *p = &w->nodes[peer];
    nd->link_down[peer] = p->link_down[nd->idx] = false;
    if (!host_linked(w, nd->idx, peer)) return;
    connect(nd, p);
    if (host_linked(w, nd->idx, peer)) connect(p, nd);
}

hansa_err host_submit_tx_err(sim_node *nd, const uint8_t *tx, size_t len, char *why, size_t why_len) {
    hansa_hash h;
    input_begin(nd);
    hansa_err err = node_submit_tx(nd->n, tx, len, &h, why, why_len);
    after_input(nd);
    return err;
}

bool host_submit_tx(sim_node *nd, const uint8_t *tx, size_t len, char *why, size_t why_len) {
    return host_submit_tx_err(nd, tx, len, why, why_len) == HANSA_OK;
}

hansa_err host_receipt_request(sim_node *nd, const node_receipt_req *req, receipt *out, uint64_t *async,
                               node_receipt_done done, void *ctx, char *why, size_t why_len) {
    input_begin(nd);
    hansa_err err = node_receipt_request(nd->n, req, out, async, done, ctx, why, why_len);
    after_input(nd);
    return err;
}

/* ---- setup ---- */

void host_init(sim_node *nd) {
    nd->clock = (hansa_clock){clock_wall, clock_mono, nd};
    nd->disk = sim_disk_new(disk_fault, nd);
    sim_disk_share(nd->disk, W(nd)->block_pool);
    smap_init(&nd->votes_seen);
}

void host_free(sim_node *nd) {
    if (nd->up) {
        node_close(nd->n);
        store_close(nd->st);
        nd->up = false;
    }
    sim_disk_free(nd->disk);
    smap_free(&nd->votes_seen);
    votes_msgs_reset(nd);
    byz_free(nd);
}
