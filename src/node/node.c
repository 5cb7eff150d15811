/* node.c — the node's driver side: it feeds inputs to the consensus
 * engine, carries out the engine's outputs (broadcast, timers, persisting
 * the signer state, decisions), routes peer messages and keeps the timers.
 *
 * Persist before release: a CONS_OUT_PERSIST record is written to the store
 * before cons_on_persisted lets the signed message out, and is durable
 * (fsync) before that message leaves (send_engine_msg), so a delegate
 * killed at any instant restarts with the signer state of every vote it
 * may have sent and never signs a conflicting one. Proposals (with
 * their block bytes) also go to the store's WAL, so a restarted node still
 * has the block it locked on. */
#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/frost_duty.h"
#include "node/frost_repair.h"
#include "node/frost_sign.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "node/receipts.h"
#include "wire/codec.h"

void node_config_defaults(node_config *cfg) {
    cfg->timeouts = (cons_timeouts){1000, 500, 1000, 500, 1000, 500};
    cfg->commit_delay_ms = 200;
    cfg->rebroadcast_ms = 1000;
    cfg->status_ms = 1000;
    cfg->sync_timeout_ms = 3000;
    cfg->pbts_precision_ms = 500;
    cfg->pbts_msg_delay_ms = 2000;
    cfg->rng = crypto_os_rng();
    /* A syncing peer asks one block at a time; 100/s with a burst of 20
     * is far above what it needs from one peer and bounds what a flood of
     * requests makes this node read and send. */
    cfg->block_serve_per_s = 100;
    cfg->block_serve_burst = 20;
    cfg->mempool = (mempool_limits){0, 0};
    cfg->net = (node_net_limits){.max_inbound = 24,
                                 .max_pending = 16,
                                 .keepalive_ms = 5000,
                                 .link_timeout_ms = 30000,
                                 .inbound_idle_ms = 120000,
                                 .ban_ms = 60000,
                                 .ban_max_ms = 3600000,
                                 .ban_score = 1000};
    cfg->test_break_line29 = false;
    cfg->frost_dkg = false;
    cfg->frost_checkpoint_every = 1;
}

uint64_t node_now(const node *n) { return clock_mono_ms(n->cfg.clock); }

/* ---- histograms ---- */

const uint64_t node_hist_bounds_ms[NODE_HIST_BOUNDS] = {1,   2,    5,    10,   25,   50,   100,
                                                        250, 500, 1000, 2500, 5000, 10000};
const uint64_t node_hist_bounds_txs[NODE_HIST_BOUNDS] = {0,    1,    10,   50,   100,  250,  500,
                                                         1000, 2000, 3000, 5000, 7500, 10000};
const uint64_t node_hist_bounds_bytes[NODE_HIST_BOUNDS] = {
    1u << 10, 4u << 10, 16u << 10, 64u << 10, 128u << 10, 256u << 10, 512u << 10,
    1u << 20, 2u << 20, 4u << 20,  8u << 20,  16u << 20,  32u << 20};

void node_hist_observe(node_hist *h, uint64_t v) {
    HANSA_ASSERT(h->bounds != NULL);
    size_t i = 0;
    while (i < NODE_HIST_BOUNDS && v > h->bounds[i]) i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

/* The engine is past the prevote step of the current height: more than 2/3
 * of prevotes (for a block or nil) were seen. Checked after every input. */
static void note_prevote_quorum(node *n) {
    if (n->prevote_quorum_at_ms || !n->height_started_ms || cons_decided(n->engine)) return;
    if (cons_height(n->engine) != n->height + 1) return;
    if (cons_current_step(n->engine) == CONS_STEP_PRECOMMIT) n->prevote_quorum_at_ms = node_now(n);
}

static void note_proposal(node *n, uint64_t height) {
    if (!n->proposal_at_ms && n->height_started_ms && height == n->height + 1)
        n->proposal_at_ms = node_now(n);
}

/* At a decision: the step times of the height go into the histograms. */
static void observe_height(node *n) {
    if (!n->height_started_ms) return; /* started before node_start: nothing measured */
    uint64_t now = node_now(n), t0 = n->height_started_ms;
    /* The quorum of prevotes may have come in the input that decided. */
    if (!n->prevote_quorum_at_ms && cons_current_step(n->engine) == CONS_STEP_PRECOMMIT)
        n->prevote_quorum_at_ms = now;
    if (n->proposal_at_ms) node_hist_observe(&n->stats.height_proposal_ms, n->proposal_at_ms - t0);
    if (n->prevote_quorum_at_ms)
        node_hist_observe(&n->stats.height_prevote_quorum_ms, n->prevote_quorum_at_ms - t0);
    node_hist_observe(&n->stats.height_commit_ms, now - t0);
    n->height_started_ms = 0;
}

/* ---- wake-ups ---- */

static void request_wake(node *n) {
    uint64_t at = n->rebroadcast_at_ms < n->status_at_ms ? n->rebroadcast_at_ms : n->status_at_ms;
    uint64_t serve = sync_next_wake_ms(n);
    if (serve < at) at = serve;
    uint64_t ask = receipts_next_wake_ms(n);
    if (ask < at) at = ask;
    if (n->next_height_at_ms && n->next_height_at_ms < at) at = n->next_height_at_ms;
    for (size_t i = 0; i < n->n_timers; i++)
        if (n->timers[i].deadline_ms < at) at = n->timers[i].deadline_ms;
    n->io.wake_at(n->io.ctx, at);
}

static void timer_add(node *n, const cons_out *o) {
    if (n->n_timers == NODE_TIMERS_MAX) { /* keep the latest: older ones are stale */
        memmove(&n->timers[0], &n->timers[1], (NODE_TIMERS_MAX - 1) * sizeof n->timers[0]);
        n->n_timers--;
    }
    /* The engine's deadlines are in the time we gave it (node_now). */
    n->timers[n->n_timers++] = (node_timer){o->u.timer.kind, o->u.timer.height, o->u.timer.round,
                                            o->u.timer.deadline_ms};
}

/* ---- engine outputs ---- */

/* The WAL keeps what the node signed or accepted at a height — proposals
 * with their blocks, and votes — as (message type u8 | message payload)
 * records; the node's own votes carry WAL_OWN_VOTE instead of MSG_VOTE,
 * and pooled evidence is kept as MSG_EVIDENCE records (node_wal_log_evidence).
 * After a restart they are fed back to the engine, so the node still has
 * the block it locked on and the votes that proved it, even if every peer
 * that sent them is gone (Tendermint's WAL does the same). */
#define WAL_OWN_VOTE 0x84 /* MSG_VOTE | 0x80: a vote this node signed */

/* Appends the record rec (type byte first; borrowed) to the WAL; stops the
 * node if the store fails. */
static void wal_write(node *n, uint64_t height, hbuf rec, bool durable, const char *what) {
    hansa_err e = durable ? store_wal_append(n->cfg.st, height, rec.data, rec.len)
                          : store_wal_append_lazy(n->cfg.st, height, rec.data, rec.len);
    bool logged = e == HANSA_OK;
    if (!logged)
        chain_fatal(n, "height %llu: cannot log %s in the WAL, and the node must not go on with "
                       "what its restart would not find: %s",
                    (unsigned long long)height, what, store_errmsg(n->cfg.st));
}

/* The order of writes (issue 15): a signer state that locks on block B,
 * or names it as valid value, is written only after B is in the WAL, so a
 * restart that finds the lock also finds B.
 *   - Our own proposal: the engine stores it in its log only when it is
 *     released (cons_on_persisted), and it can prevote, lock or precommit
 *     on it only after that; the PROPOSAL output is handled (durable
 *     append, below) before the persists of its batch (node_drain), and
 *     every signer state that can name B comes in that batch or a later one.
 *   - A peer's proposal: appended (lazily) right after cons_on_proposal
 *     took it, before node_drain persists the signer state that input
 *     produced; lazy writes wait in the store's memory and the next commit
 *     writes them in their order, so the commit that makes that signer
 *     state durable writes the earlier record first (store.h).
 * That order holds only if every append succeeds: a node that went on
 * after a failed one (the map full: the block did not fit, the small
 * signer state still did) locked on a block it then lost, and a lone
 * delegate looped rounds forever after its restart. So any failed append
 * stops the node (chain_fatal), before the engine's pending persists run
 * and before the message it was logging leaves: a peer's proposal may be
 * what our next lock names, and a peer's vote is dropped with it because
 * a store that cannot take a vote cannot take the next block either, so
 * going on would only delay the same stop.
 *
 * durable: this node's own messages (and pooled evidence), synced before
 * they leave; peers' messages are appended lazily (store_wal_append_lazy:
 * written by the next commit; a crash before it drops them, and the peers
 * still hold them). what names the record for the stop message; callers
 * look at n->stopped. */
static void wal_append(node *n, uint64_t height, uint8_t type, const uint8_t *payload, size_t len,
                       bool durable, const char *what) {
    /* A committed height is closed: committing deleted its log, and a
     * restart resumes the next one. Our own vote released after the
     * decision (its signer state was still being written when the others'
     * precommits decided) only extends the certificate, like a peer's late
     * precommit (on_vote); logged, it outlived the commit until the next
     * one, and a node stopped in between left it for `store check`. */
    if (height <= n->height) return;
    uint8_t storage[1 + WIRE_EVIDENCE_BYTES]; /* a vote or evidence record needs no allocation */
    hbuf rec = hbuf_on(storage, sizeof storage);
    hbuf_put_u8(&rec, type);
    hbuf_append(&rec, payload, len);
    wal_write(n, height, rec, durable, what);
    hbuf_free(&rec);
}

/* Pooled evidence is kept in the WAL too, two heights ahead of the tip:
 * a commit deletes the WAL only through its own height, so the record
 * outlives the next commit, after which chain_commit logs the pool (its
 * first NODE_EVIDENCE_DURABLE_MAX items) again one height further; a
 * restart replays the next two heights. Without it
 * a double signer whose evidence every honest holder lost in a crash
 * before a block carried it kept its seat (the simulator: seed 12,
 * --faults all). */
void node_wal_log_evidence(node *n, const wire_evidence *ev) {
    if (n->wal_replaying) return; /* the record is already there */
    uint8_t storage[WIRE_EVIDENCE_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_evidence_encode(&b, ev);
    wal_append(n, n->height + 2, MSG_EVIDENCE, b.data, b.len, true, "pooled evidence");
    hbuf_free(&b);
}

/* The record is encoded in place in n->wal_rec, which keeps its room for
 * the next proposal: a fresh buffer grown to the block's size, then copied
 * into a second one for the type byte, was two large allocations per
 * proposal on every node (issue 15). */
static void wal_proposal(node *n, const wire_proposal *p, const uint8_t *value, size_t len, bool durable) {
    if (p->height <= n->height) return; /* as wal_append: a committed height is closed */
    uint8_t storage[WIRE_PROPOSAL_BYTES];
    hbuf prop = hbuf_on(storage, sizeof storage);
    wire_proposal_encode(&prop, p);
    msg_proposal m = {prop.data, (uint32_t)prop.len, value, (uint32_t)len};
    hbuf_reset(&n->wal_rec);
    hbuf_put_u8(&n->wal_rec, MSG_PROPOSAL);
    msg_proposal_encode(&n->wal_rec, &m);
    wal_write(n, p->height, n->wal_rec, durable, durable ? "its own proposal" : "a peer's proposal");
    hbuf_free(&prop);
}

/* Our own proposal goes to the WAL when first released; the rebroadcasts
 * of it (every rebroadcast_ms while undecided, and to each new peer) are
 * not appended again, which would grow the WAL by a block a second. */
static void wal_own_proposal(node *n, const cons_out *o) {
    const wire_proposal *p = &o->u.proposal.proposal;
    bool seen = p->height < n->wal_own_height ||
                (p->height == n->wal_own_height && p->round <= n->wal_own_round);
    if (seen) return;
    n->wal_own_height = p->height;
    n->wal_own_round = p->round;
    wal_proposal(n, p, o->u.proposal.value, o->u.proposal.value_len, true);
}

/* Likewise our own votes: a vote's position (height, round, type) only
 * grows, so one packed number tells a rebroadcast from a new vote. */
static void wal_own_vote(node *n, const wire_vote *v, const hbuf *encoded) {
    HANSA_ASSERT(v->height < (1ull << 40));
    uint64_t pos = v->height << 24 | (uint64_t)(v->round & 0x3fffff) << 2 | v->type;
    if (pos <= n->wal_vote_pos) return;
    n->wal_vote_pos = pos;
    wal_append(n, v->height, WAL_OWN_VOTE, encoded->data, encoded->len, true, "its own vote");
}

/* The engine's proposals and votes go to every peer, or only to the one
 * that just came up (node_peer_up). Nothing signed leaves a stopped node:
 * its WAL append or its signer state may have failed (persist, then
 * release). */
static void send_engine_msg(node *n, uint8_t type, const uint8_t *b, size_t len) {
    if (n->stopped) return;
    if (store_sync_signer(n->cfg.st) != HANSA_OK) {
        chain_fatal(n, "cannot make the signer state durable: %s", store_errmsg(n->cfg.st));
        return;
    }
    if (n->resend_to) n->io.send(n->io.ctx, n->resend_to, type, b, len);
    else n->io.broadcast(n->io.ctx, type, b, len, NULL);
}

static void out_proposal(node *n, const cons_out *o) {
    note_proposal(n, o->u.proposal.proposal.height);
    uint8_t storage[WIRE_PROPOSAL_BYTES];
    hbuf prop = hbuf_on(storage, sizeof storage), msg = HBUF_INIT;
    wire_proposal_encode(&prop, &o->u.proposal.proposal);
    msg_proposal m = {prop.data, (uint32_t)prop.len, o->u.proposal.value,
                      (uint32_t)o->u.proposal.value_len};
    msg_proposal_encode(&msg, &m);
    send_engine_msg(n, MSG_PROPOSAL, msg.data, msg.len);
    hbuf_free(&prop);
    hbuf_free(&msg);
}

static void persist_signer(node *n, const cons_signer_state *state, uint64_t seq) {
    hbuf_reset(&n->scratch);
    cons_signer_encode(&n->scratch, state);
    /* Lazy: send_engine_msg syncs it before the signature it guards leaves,
     * and the durable WAL append of that vote or proposal usually already
     * has (one flush for both). */
    if (store_put_signer_lazy(n->cfg.st, n->scratch.data, n->scratch.len) != HANSA_OK) {
        /* Without a durable signer state we must not sign: stop. */
        chain_fatal(n, "cannot persist the signer state: %s", store_errmsg(n->cfg.st));
        return;
    }
    cons_on_persisted(n->engine, seq);
}

static void out_decide(node *n, const cons_out *o) {
    observe_height(n);
    chain_commit(n, o->u.decide.value, o->u.decide.value_len, &o->u.decide.id, o->u.decide.commit);
    if (n->stopped) return;
    /* The commit delay collects late precommits for the next block's
     * last_commit, which decides who is paid and who is jailed. It is
     * skipped only for a block whose commit certificate block sync brought
     * (the chain is already past it), never because a peer claims a
     * higher height: a liar could then have slow honest delegates jailed. */
    chain_index_txs(n, !n->deciding_by_sync);
    if (n->stopped) return;
    chain_prune(n);
    if (n->stopped) return;
    uint64_t now = node_now(n);
    n->next_height_at_ms = n->deciding_by_sync ? now : now + n->cfg.commit_delay_ms;
    sync_send_status(n, NULL);
}

/* Carries out one output other than a persist (see node_drain). */
static void handle_output(node *n, const cons_out *o) {
    hbuf_reset(&n->scratch);
    switch (o->kind) {
    case CONS_OUT_PROPOSAL:
        wal_own_proposal(n, o);
        out_proposal(n, o);
        break;
    case CONS_OUT_VOTE:
        wire_vote_encode(&n->scratch, &o->u.vote);
        wal_own_vote(n, &o->u.vote, &n->scratch);
        send_engine_msg(n, MSG_VOTE, n->scratch.data, n->scratch.len);
        break;
    case CONS_OUT_TIMER: timer_add(n, o); break;
    case CONS_OUT_PERSIST: HANSA_UNREACHABLE(); /* node_drain persists */
    case CONS_OUT_DECIDE: out_decide(n, o); break;
    case CONS_OUT_EVIDENCE: chain_evidence_add(n, &o->u.evidence, NULL); break;
    }
}

/* Drains the engine until it has nothing more to say. Pointers inside the
 * outputs (values, commit, signer state) are valid only until the next call
 * into the engine, and persisting calls it (cons_on_persisted): so the
 * other outputs of a batch are carried out first and the persists last.
 * Delaying a persist is safe: what it guards is not released before it. */
void node_drain(node *n) {
    /* Only a persist feeds the engine new input here; without one, one
     * drain has emptied it. */
    for (bool more = true; more && !n->stopped;) {
        const cons_out *outs;
        size_t k = cons_drain(n->engine, &outs);
        for (size_t i = 0; i < k && !n->stopped; i++)
            if (outs[i].kind != CONS_OUT_PERSIST) handle_output(n, &outs[i]);
        uint64_t last_seq = 0;
        const cons_signer_state *last = NULL;
        for (size_t i = 0; i < k; i++) {
            if (outs[i].kind != CONS_OUT_PERSIST) continue;
            last_seq = outs[i].u.persist.seq;
            last = outs[i].u.persist.state;
        }
        /* Records are cumulative snapshots: storing the newest covers all. */
        more = last != NULL;
        if (last && !n->stopped) persist_signer(n, last, last_seq);
    }
    note_prevote_quorum(n);
    request_wake(n);
}

/* ---- lifecycle ---- */

static void replay_wal_entry(node *n, const uint8_t *bytes, size_t len) {
    msg_proposal m;
    wire_proposal p;
    wire_vote v;
    wire_evidence ev;
    bool ok = len > 0;
    if (ok && bytes[0] == MSG_EVIDENCE) {
        if (wire_evidence_decode(bytes + 1, len - 1, &ev, NULL) == HANSA_OK)
            chain_evidence_add(n, &ev, NULL);
        else
            LOG_W("node", "skipping an unreadable WAL record");
        return;
    }
    if (ok && bytes[0] == MSG_PROPOSAL)
        ok = msg_proposal_decode(bytes + 1, len - 1, &m, NULL) == HANSA_OK &&
             wire_proposal_decode(m.proposal, m.proposal_len, &p, NULL) == HANSA_OK;
    else if (ok && (bytes[0] == MSG_VOTE || bytes[0] == WAL_OWN_VOTE))
        ok = wire_vote_decode(bytes + 1, len - 1, &v, NULL) == HANSA_OK;
    else
        ok = false;
    if (!ok) {
        LOG_W("node", "skipping an unreadable WAL record");
        return;
    }
    if (bytes[0] == MSG_PROPOSAL) {
        hansa_err e = cons_on_proposal(n->engine, &p, m.block, m.block_len);
        if ((e == HANSA_OK || e == HANSA_ERR_DUPLICATE) && p.height == n->restored_lock_height &&
            hash_eq(&p.block, &n->restored_lock_id))
            n->restored_lock_held = true;
    } else {
        cons_on_vote(n->engine, &v);
    }
}

/* A restart locked on a block its WAL does not give back. The write order
 * (see wal_append) makes this impossible on an intact store: the block is
 * in the WAL before any signer state names it. It is left for a store
 * damaged beyond that, or written by a node before that order: the engine
 * then prevotes only a peer's re-proposal of the block (with its proof of
 * lock) and, as proposer, proposes nothing, so the log says so instead of
 * the node looping rounds in silence. */
static void check_restored_lock(node *n) {
    if (!n->restored_locked || n->restored_lock_held || n->restored_lock_height != n->height + 1)
        return;
    char hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(n->restored_lock_id.b, HANSA_HASH_BYTES, hex);
    LOG_E("node", "height %llu: the signer state is locked on block %s (round %u) but no WAL record "
                  "holds its bytes: waiting for a peer to propose it again; a delegate alone "
                  "in its set cannot go on (the store was damaged or written before issue 15)",
          (unsigned long long)n->restored_lock_height, hex, n->restored_lock_round);
}

static hansa_err wal_cb(void *ctx, uint64_t height, uint32_t seq, const uint8_t *bytes, size_t len) {
    (void)height;
    (void)seq;
    replay_wal_entry(ctx, bytes, len);
    return HANSA_OK;
}

static hansa_err open_engine(node *n, char *why, size_t why_len) {
    hbuf signer = HBUF_INIT;
    cons_signer_state restored;
    bool have = false;
    hansa_err err = store_get_signer(n->cfg.st, &signer);
    if (err == HANSA_OK) {
        err = cons_signer_decode(signer.data, signer.len, &restored);
        if (err != HANSA_OK) snprintf(why, why_len, "stored signer state is corrupt: %s", hansa_strerror(err));
        have = err == HANSA_OK;
    } else if (err == HANSA_ERR_NOT_FOUND) {
        err = HANSA_OK;
    } else {
        snprintf(why, why_len, "reading the signer state: %s", store_errmsg(n->cfg.st));
    }
    hbuf_free(&signer);
    if (err != HANSA_OK) return err;
    if (have && restored.locked_round != WIRE_ROUND_NONE) {
        n->restored_locked = true;
        n->restored_lock_height = restored.height;
        n->restored_lock_round = restored.locked_round;
        n->restored_lock_id = restored.locked_id;
    }
    cons_config cc = {0};
    cc.chain_id = ledger_state_params(n->state)->chain_id;
    cc.timeouts = n->cfg.timeouts;
    cc.future_rounds_max = 16;
    cc.app = (cons_app){n, chain_get_value, chain_valid, NULL, chain_timely};
    cc.key = n->cfg.key;
    cc.test_break_line29 = n->cfg.test_break_line29;
    n->engine = cons_new(&cc, have ? &restored : NULL);
    return HANSA_OK;
}

/* A transaction never leaves the mempool unnoticed: evictions and the ones
 * a commit made invalid get a log line (clients waiting on it learn from
 * the RPC's submit_tx wait). */
static void on_mempool_drop(void *ctx, const hansa_hash *tx, hansa_err err, const char *why) {
    (void)ctx;
    char hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(tx->b, HANSA_HASH_BYTES, hex);
    LOG_I("node", "tx %s left the mempool uncommitted: %s (%s)", hex, why ? why : "",
          hansa_errname(err));
}

hansa_err node_open(const node_config *cfg, const node_io *io, node **out, char *why,
                    size_t why_len) {
    node *n = hansa_calloc(1, sizeof *n);
    n->cfg = *cfg;
    n->io = *io;
    n->genesis_writes = (ledger_writes)LEDGER_WRITES_INIT;
    hansa_err err = chain_load(n, why, why_len);
    if (err == HANSA_OK) err = receipts_open(n, why, why_len);
    if (err == HANSA_OK) err = frost_duty_open(n, why, why_len);
    if (err == HANSA_OK) err = open_engine(n, why, why_len);
    if (err != HANSA_OK) {
        node_close(n);
        return err;
    }
    n->mp = mempool_new(&cfg->mempool, cfg->hash_key, n->state, on_mempool_drop, n);
    n->stats.height_proposal_ms.bounds = node_hist_bounds_ms;
    n->stats.height_prevote_quorum_ms.bounds = node_hist_bounds_ms;
    n->stats.height_commit_ms.bounds = node_hist_bounds_ms;
    n->stats.block_txs.bounds = node_hist_bounds_txs;
    n->stats.block_bytes.bounds = node_hist_bounds_bytes;
    *out = n;
    return HANSA_OK;
}

/* The next block's last_commit gets every precommit for the decided block
 * that arrived up to now, commit_delay_ms after the decision (that is what
 * the delay is for), not only the quorum that decided: the ledger counts a
 * delegate missing from it as absent for liveness. */
static void refresh_last_commit(node *n) {
    wire_commit c;
    if (cons_height(n->engine) != n->height || !cons_decided_commit(n->engine, &c)) return;
    HANSA_ASSERT(c.height == n->height);
    hbuf_reset(&n->last_commit);
    wire_commit_encode(&n->last_commit, &c);
    wire_commit_free(&c);
}

static void start_height(node *n) {
    refresh_last_commit(n);
    n->next_height_at_ms = 0;
    n->n_timers = 0;
    n->height_started_ms = node_now(n);
    n->proposal_at_ms = n->prevote_quorum_at_ms = 0;
    cons_start_height(n->engine, n->height + 1, &n->vs, node_now(n));
}

void node_start(node *n) {
    uint64_t now = node_now(n);
    n->rebroadcast_at_ms = now + n->cfg.rebroadcast_ms;
    n->status_at_ms = now + n->cfg.status_ms;
    start_height(n);
    /* This height's records, and the next one's (messages the engine had
     * buffered for it, and the evidence pool). */
    n->wal_replaying = true;
    for (uint64_t h = n->height + 1; h <= n->height + 2; h++) store_wal_read(n->cfg.st, h, wal_cb, n);
    n->wal_replaying = false;
    check_restored_lock(n);
    LOG_I("node", "started at height %llu as %s", (unsigned long long)n->height + 1,
          n->cfg.key && valset_index(&n->vs, &n->cfg.key->pub) >= 0 ? "delegate" : "full node");
    node_drain(n);
}

void node_close(node *n) {
    if (!n) return;
    cons_free(n->engine);
    mempool_free(n->mp);
    chain_pending_clear(n);
    ledger_state_free(n->state);
    ledger_writes_free(&n->genesis_writes);
    hbuf_free(&n->last_commit);
    hbuf_free(&n->scratch);
    hbuf_free(&n->wal_rec);
    hmap_free(&n->evidence_seen);
    receipts_close(n);
    frost_sign_close(n);
    frost_duty_close(n);
    free(n);
}

/* ---- inputs ---- */

static void fire_timers(node *n, uint64_t now) {
    size_t k = 0;
    node_timer due[NODE_TIMERS_MAX];
    size_t n_due = 0;
    for (size_t i = 0; i < n->n_timers; i++) {
        if (n->timers[i].deadline_ms <= now) due[n_due++] = n->timers[i];
        else n->timers[k++] = n->timers[i];
    }
    n->n_timers = k;
    for (size_t i = 0; i < n_due; i++)
        cons_on_timeout(n->engine, due[i].kind, due[i].height, due[i].round);
}

static hansa_err resend_own_cb(void *ctx, uint64_t height, uint32_t seq, const uint8_t *bytes,
                               size_t len) {
    node *n = ctx;
    (void)height;
    (void)seq;
    if (len > 1 && bytes[0] == WAL_OWN_VOTE && !n->stopped)
        n->io.broadcast(n->io.ctx, MSG_VOTE, bytes + 1, len - 1, NULL);
    return HANSA_OK;
}

/* Our own votes of the current height, from the WAL: after a restart the
 * engine re-sends only what it released since, but a peer still in an
 * earlier round may wait for exactly an earlier precommit of ours (the
 * simulator's seed 245). They are votes we signed, so nothing new is
 * signed by re-sending them. */
static void resend_own_votes(node *n) {
    store_wal_read(n->cfg.st, n->height + 1, resend_own_cb, n);
}

/* Others' proof-of-lock prevotes for the current proposal: a peer that lost
 * them (crash, partition) could otherwise never accept that proposal. */
static void relay_pol_votes(node *n) {
    if (n->stopped) return; /* a stop in this wake-up: nothing leaves after it */
    wire_vote relay[WIRE_VALIDATORS_MAX];
    size_t k = cons_relay_votes(n->engine, relay, WIRE_VALIDATORS_MAX);
    for (size_t i = 0; i < k; i++) {
        hbuf_reset(&n->scratch);
        wire_vote_encode(&n->scratch, &relay[i]);
        n->io.broadcast(n->io.ctx, MSG_VOTE, n->scratch.data, n->scratch.len, NULL);
    }
}

void node_on_wake(node *n) {
    if (n->stopped) return;
    uint64_t now = node_now(n);
    cons_tick(n->engine, now);
    if (n->next_height_at_ms && now >= n->next_height_at_ms) start_height(n);
    fire_timers(n, now);
    receipts_on_wake(n, now);
    if (now >= n->rebroadcast_at_ms) {
        if (!cons_decided(n->engine)) {
            cons_rebroadcast(n->engine);
            resend_own_votes(n);
            relay_pol_votes(n);
        }
        chain_evidence_gossip(n);
        n->rebroadcast_at_ms = now + n->cfg.rebroadcast_ms;
    }
    if (now >= n->status_at_ms) {
        sync_send_status(n, NULL);
        n->status_at_ms = now + n->cfg.status_ms;
    }
    sync_tick(n, now);
    node_drain(n);
}

void node_peer_up(node *n, void *peer) {
    if (n->stopped) return;
    node_peer *slot = sync_peer(n, NULL);
    if (!slot) {
        n->io.drop(n->io.ctx, peer, "too many peers");
        return;
    }
    sync_peer_init(n, slot, peer);
    receipts_peer_up(n, (size_t)(slot - n->peers));
    sync_send_status(n, peer);
    /* What this node released at the undecided height goes to the new
     * peer alone: the others have it, and a peer reconnecting in a loop
     * must not make this node send its proposal (up to a full block) to
     * everyone each time. */
    if (!cons_decided(n->engine)) {
        cons_rebroadcast(n->engine);
        n->resend_to = peer;
    }
    node_drain(n);
    n->resend_to = NULL;
}

/* Runs on a stopped node too, unlike the other entry points: the peer's
 * handle is freed after this, so every copy of it is forgotten (status
 * must not count it, nor a later handle at its address match it), and
 * what would send (receipts' next ask) looks at n->stopped itself. */
void node_peer_down(node *n, void *peer) {
    node_peer *p = sync_peer(n, peer);
    if (p && p->serve_later) n->n_serve_later--;
    if (p) *p = (node_peer){0};
    sync_refresh_target(n);
    receipts_peer_down(n, peer);
    frost_sign_peer_down(n, peer);
}

/* An engine verdict on a peer's message: relay what was new, drop peers
 * that send what no honest node sends. */
static void judge(node *n, void *peer, hansa_err err, uint8_t type, const uint8_t *b, size_t len) {
    if (err == HANSA_OK) n->io.broadcast(n->io.ctx, type, b, len, peer);
    else if (err == HANSA_ERR_BAD_SIG || err == HANSA_ERR_NONCANONICAL || err == HANSA_ERR_WRONG_CHAIN)
        n->io.drop(n->io.ctx, peer, hansa_strerror(err));
}

static void on_proposal(node *n, void *peer, const uint8_t *bytes, size_t len) {
    msg_proposal m;
    wire_proposal p;
    if (msg_proposal_decode(bytes, len, &m, NULL) != HANSA_OK ||
        wire_proposal_decode(m.proposal, m.proposal_len, &p, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed PROPOSAL");
        return;
    }
    hansa_err err = cons_on_proposal(n->engine, &p, m.block, m.block_len);
    if (err == HANSA_OK) {
        n->stats.sig_verifies++;
        note_proposal(n, p.height);
        wal_proposal(n, &p, m.block, m.block_len, false);
    }
    if (!n->stopped) judge(n, peer, err, MSG_PROPOSAL, bytes, len);
}

static void on_vote(node *n, void *peer, const uint8_t *bytes, size_t len) {
    wire_vote v;
    if (wire_vote_decode(bytes, len, &v, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed VOTE");
        return;
    }
    hansa_err err = cons_on_vote(n->engine, &v);
    if (err == HANSA_OK) {
        n->stats.sig_verifies++;
        wal_append(n, v.height, MSG_VOTE, bytes, len, false, "a peer's vote");
    }
    if (!n->stopped) judge(n, peer, err, MSG_VOTE, bytes, len);
}

/* True when tx (well formed) uses a nonce this node's queue already used:
 * the second of a double spend, or a tx the peer admitted before this node
 * saw the block or the queued tx that used the nonce. Honest relays send
 * these whenever a sender double-spends, and refusing one costs a nonce
 * compare (the ledger checks nonces before signatures), so they are not
 * held against the peer: else an attacker could get honest relays banned
 * from each other by double-spending through both for one fee each. */
static bool nonce_used(const node *n, const uint8_t *bytes, size_t len) {
    wire_tx tx;
    hansa_addr a;
    if (wire_tx_decode(bytes, len, &tx, NULL) != HANSA_OK) return false;
    addr_from_pubkey(&tx.sender, &a);
    return tx.nonce < mempool_next_nonce(n->mp, &a);
}

/* Judges a TX from peer; false when it got the peer dropped. */
static bool on_tx(node *n, void *peer, const uint8_t *bytes, size_t len) {
    hansa_hash h;
    /* No text: a refusal here is judged by its code alone. */
    hansa_err err = mempool_add(n->mp, bytes, len, &h, NULL, 0);
    if (err == HANSA_OK) {
        n->io.broadcast(n->io.ctx, MSG_TX, bytes, len, peer);
    } else if (err == HANSA_ERR_BAD_SIG || err == HANSA_ERR_TRUNCATED || err == HANSA_ERR_TRAILING ||
               err == HANSA_ERR_VERSION || err == HANSA_ERR_NONCANONICAL) {
        n->io.drop(n->io.ctx, peer, "invalid transaction");
        return false;
    } else if (err == HANSA_ERR_NONCE && nonce_used(n, bytes, len)) {
        return true;
    } else if (err != HANSA_ERR_DUPLICATE && n->io.penalize) {
        /* Stale nonces, short funds, a full pool: an honest relay sends
         * some (it judged against an older state), a flood of them costs
         * this node checks for nothing; the driver adds them up. */
        n->io.penalize(n->io.ctx, peer, NODE_PENALTY_REFUSED_TX, "refused transaction");
    }
    return true;
}

/* A bundle of TXs: each judged as if it came alone, until one of them gets
 * the peer dropped (then the rest are not looked at). */
static void on_txs(node *n, void *peer, const uint8_t *bytes, size_t len) {
    msg_txs m; /* 12 KiB of pointers, borrowed from bytes */
    if (msg_txs_decode(bytes, len, &m, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed TXS");
        return;
    }
    bool known = sync_peer(n, peer) != NULL;
    for (uint32_t i = 0; i < m.n; i++) {
        if (!on_tx(n, peer, m.tx[i], m.len[i])) return;
        if (known && !sync_peer(n, peer)) return; /* penalties added up to a drop */
    }
}

static void on_evidence(node *n, void *peer, const uint8_t *bytes, size_t len) {
    wire_evidence ev;
    if (wire_evidence_decode(bytes, len, &ev, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed EVIDENCE");
        return;
    }
    chain_evidence_add(n, &ev, peer);
}

void node_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len) {
    if (n->stopped) return;
    cons_tick(n->engine, node_now(n));
    switch ((node_msg_type)type) {
    case MSG_STATUS: sync_on_status(n, peer, bytes, len); break;
    case MSG_TX: (void)on_tx(n, peer, bytes, len); break;
    case MSG_TXS: on_txs(n, peer, bytes, len); break;
    case MSG_PROPOSAL: on_proposal(n, peer, bytes, len); break;
    case MSG_VOTE: on_vote(n, peer, bytes, len); break;
    case MSG_EVIDENCE: on_evidence(n, peer, bytes, len); break;
    case MSG_BLOCK_REQ: sync_on_block_req(n, peer, bytes, len); break;
    case MSG_BLOCK: sync_on_block(n, peer, bytes, len); break;
    case MSG_RECEIPT_ASK:
    case MSG_RECEIPT_SHARE: receipts_on_message(n, peer, type, bytes, len); break;
    case MSG_DKG_SHARE: frost_duty_on_message(n, peer, bytes, len); break;
    case MSG_DKG_SHARE_REQ: frost_duty_on_share_req(n, peer, bytes, len); break;
    case MSG_REPAIR_REQ:
    case MSG_REPAIR_DELTA:
    case MSG_REPAIR_SIGMA: frost_repair_on_message(n, peer, type, bytes, len); break;
    case MSG_ROAST:
    case MSG_CHECKPOINT:
    case MSG_HANDOFF: frost_sign_on_message(n, peer, type, bytes, len); break;
    default: n->io.drop(n->io.ctx, peer, "unknown message type"); return;
    }
    node_drain(n);
}

hansa_err node_submit_tx(node *n, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                         size_t why_len) {
    if (n->stopped) {
        snprintf(why, why_len, "node is stopped");
        return HANSA_ERR_STATE;
    }
    hansa_err err = mempool_add(n->mp, bytes, len, hash, why, why_len);
    if (err != HANSA_OK) return err;
    n->io.broadcast(n->io.ctx, MSG_TX, bytes, len, NULL);
    return HANSA_OK;
}

hansa_err node_submit_own_tx(node *n, uint16_t kind, const uint8_t *body, size_t len, hansa_hash *tx_hash,
                             char *why, size_t why_len) {
    HANSA_ASSERT(n->cfg.key != NULL);
    const ledger_params *p = ledger_state_params(n->state);
    hansa_addr self;
    addr_from_pubkey(&n->cfg.key->pub, &self);
    wire_tx tx = {.chain_id = p->chain_id, .sender = n->cfg.key->pub,
                  .nonce = mempool_next_nonce(n->mp, &self), .fee = p->min_fee,
                  .kind = kind, .body = body, .body_len = (uint32_t)len};
    hbuf b = HBUF_INIT;
    wire_tx_sign_bytes(&b, &tx);
    sign_domain(n->cfg.key, SIGN_DOMAIN_TX, b.data, b.len, &tx.sig);
    hbuf_reset(&b);
    wire_tx_encode(&b, &tx);
    hansa_err err = node_submit_tx(n, b.data, b.len, tx_hash, why, why_len);
    hbuf_free(&b);
    return err;
}

/* ---- views ---- */

hansa_err node_submit_evidence(node *n, const wire_evidence *ev, char *why, size_t why_len) {
    hansa_err err = chain_evidence_submit(n, ev, why, why_len);
    node_drain(n);
    return err;
}

void node_get_status(const node *n, node_status *out) {
    *out = n->stats;
    out->height = n->height;
    out->lowest_height = n->lowest;
    out->block_hash = n->block_hash;
    out->block_time_ms = n->block_time_ms;
    out->app_hash = *ledger_app_hash(n->state);
    out->cons_height = cons_height(n->engine);
    out->cons_round = cons_round(n->engine);
    out->is_validator = n->cfg.key && valset_index(&n->vs, &n->cfg.key->pub) >= 0;
    out->syncing = sync_behind(n);
    out->peers = 0;
    for (size_t i = 0; i < n->peers_end; i++) out->peers += n->peers[i].handle != NULL;
    out->sig_verifies += mempool_get_stats(n->mp).sig_verifies;
    verify_cpu_stats(&out->verify_calls, NULL, &out->verify_cpu_ns);
    out->mempool_txs = mempool_count(n->mp);
    out->mempool_bytes = mempool_bytes(n->mp);
    out->unindexed_tx_bytes = store_logged_bytes(n->cfg.st);
    store_tx_lookup_counts lc;
    store_tx_lookup_stats(n->cfg.st, &lc);
    out->tx_lookup_read_backs = lc.read_backs;
    out->tx_lookup_walked = lc.walked;
    out->tx_lookup_held_bytes = lc.held_bytes;
    out->index_scratch_bytes = lc.index_scratch_bytes;
}

void node_get_position(const node *n, uint64_t *height, uint64_t *cons_h, uint32_t *cons_r) {
    *height = n->height;
    *cons_h = cons_height(n->engine);
    *cons_r = cons_round(n->engine);
}

const ledger_state *node_ledger(const node *n) { return n->state; }
store *node_store(const node *n) { return n->cfg.st; }
uint32_t node_chain_id(const node *n) { return ledger_state_params(n->state)->chain_id; }
const cons_valset *node_valset(const node *n) { return &n->vs; }
const mempool *node_mempool(const node *n) { return n->mp; }

const wire_evidence *node_evidence_pool(const node *n, size_t *count) {
    *count = n->n_evidence;
    return n->evidence;
}
