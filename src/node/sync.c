/* sync.c — block sync: learning peers' heights and fetching what we lack.
 *
 * Every node sends STATUS (its committed height and block hash) when a peer
 * connects, after each commit and periodically. A node that sees a peer
 * ahead of it asks that peer for the next block it lacks (BLOCK_REQ) and
 * feeds the answer (block + commit certificate) to the consensus engine as
 * a decision learned from a peer (cons_on_commit): the engine checks the
 * certificate against the validator set, the chain validates and executes
 * the block, and the normal commit pipeline stores it. One request is in
 * flight at a time; an unanswered request moves to another peer after
 * sync_timeout_ms. A block committed this way starts the next height at
 * once instead of after commit_delay_ms; a peer's claimed height alone
 * never does (node.c, out_decide).
 *
 * A pruning node keeps only its last blocks: its STATUS says the lowest it
 * serves, a request below that is answered with a STATUS (so the asker
 * moves to another peer at once), and a node whose next block only pruned
 * peers are past stops after a while, saying so, instead of waiting on
 * them forever. */
#include "base/assert.h"
#include "base/log.h"
#include "interchain/cert.h"
#include "wire/codec.h"
#include "node/msg.h"
#include "node/node_int.h"

static void serve_kept(node *n, uint64_t now_ms);

node_peer *sync_peer(node *n, void *handle) {
    for (size_t i = 0; i < n->peers_end; i++)
        if (n->peers[i].handle == handle) return &n->peers[i];
    /* Every slot from peers_end on is free: the first of them for NULL. */
    return !handle && n->peers_end < NODE_PEERS_MAX ? &n->peers[n->peers_end] : NULL;
}

bool sync_behind(const node *n) { return n->sync_target > n->height; }

/* The target is the highest height a peer *still connected* reports: a peer
 * that claimed a height no one has (a liar, or a node whose store was
 * wiped since) must not leave this node "behind" forever once it is gone. */
void sync_refresh_target(node *n) {
    n->sync_target = 0;
    for (size_t i = 0; i < n->peers_end; i++)
        if (n->peers[i].handle && n->peers[i].height > n->sync_target)
            n->sync_target = n->peers[i].height;
}

void sync_send_status(node *n, void *peer) {
    msg_status s = {ledger_state_params(n->state)->chain_id, n->height, n->block_hash, n->lowest};
    hbuf_reset(&n->scratch);
    msg_status_encode(&n->scratch, &s);
    if (peer) n->io.send(n->io.ctx, peer, MSG_STATUS, n->scratch.data, n->scratch.len);
    else n->io.broadcast(n->io.ctx, MSG_STATUS, n->scratch.data, n->scratch.len, NULL);
}

/* Asks the next peer that has height+1 for it, unless a request is live. */
/* A request to p for `want` that ran out of time is a strike; at
 * NODE_SYNC_STRIKES_MAX the peer is dropped. Returns true if it was. */
static bool strike(node *n, node_peer *p, uint64_t want, uint64_t now_ms) {
    if (p->asked_height != want || now_ms < p->asked_at_ms + n->cfg.sync_timeout_ms) return false;
    p->asked_height = 0;
    if (++p->sync_strikes < NODE_SYNC_STRIKES_MAX) return false;
    n->io.drop(n->io.ctx, p->handle, "claims blocks it does not serve");
    return true;
}

/* The next block is had only by peers that pruned it (the lowest of what
 * they keep is `kept`): an archive peer may yet connect, so this waits
 * NODE_SYNC_PRUNED_WAITS request timeouts before it stops the node. */
static void pruned_everywhere(node *n, uint64_t want, uint64_t kept, uint64_t now_ms) {
    if (!n->pruned_since_ms) {
        n->pruned_since_ms = now_ms ? now_ms : 1;
        LOG_W("node", "block sync: every peer that has block %llu pruned it (the lowest kept is "
              "%llu); waiting for a peer that keeps it", (unsigned long long)want,
              (unsigned long long)kept);
        return;
    }
    if (now_ms - n->pruned_since_ms < (uint64_t)NODE_SYNC_PRUNED_WAITS * n->cfg.sync_timeout_ms) return;
    chain_fatal(n, "block sync cannot go on: this node needs block %llu and every peer that has it "
                "pruned it (the lowest any keeps is %llu). Join from an archive peer (\"prune\": "
                "{\"keep_blocks\": 0}) or by state sync from a snapshot: stop this node, move its "
                "data folder away and run `hansa join --source PEER_RPC --home HOME`",
                (unsigned long long)want, (unsigned long long)kept);
}

static void request_next(node *n, uint64_t now_ms) {
    uint64_t want = n->height + 1, kept = 0; /* kept: the lowest a pruned peer keeps */
    node_peer *best = NULL;
    for (size_t i = 0; i < n->peers_end; i++) {
        node_peer *p = &n->peers[i];
        if (!p->handle || strike(n, p, want, now_ms)) continue;
        if (p->asked_height == want) return; /* still waiting for it */
        if (p->height < want) continue;
        if (p->lowest > want) kept = kept && kept < p->lowest ? kept : p->lowest;
        else if (!best || p->asked_at_ms < best->asked_at_ms) best = p;
    }
    if (!best && kept) pruned_everywhere(n, want, kept, now_ms);
    if (!best) return;
    n->pruned_since_ms = 0;
    best->asked_height = want;
    best->asked_at_ms = now_ms;
    hbuf_reset(&n->scratch);
    msg_block_req_encode(&n->scratch, want);
    n->io.send(n->io.ctx, best->handle, MSG_BLOCK_REQ, n->scratch.data, n->scratch.len);
}

void sync_tick(node *n, uint64_t now_ms) {
    serve_kept(n, now_ms);
    if (sync_behind(n) && !cons_decided(n->engine)) request_next(n, now_ms);
    else n->pruned_since_ms = 0;
}

void sync_on_status(node *n, void *peer, const uint8_t *bytes, size_t len) {
    msg_status s;
    node_peer *p = sync_peer(n, peer);
    if (msg_status_decode(bytes, len, &s, NULL) != HANSA_OK || !p) {
        n->io.drop(n->io.ctx, peer, "malformed STATUS");
        return;
    }
    if (s.chain_id != ledger_state_params(n->state)->chain_id) {
        n->io.drop(n->io.ctx, peer, "peer is on another chain");
        return;
    }
    p->height = s.height;
    p->lowest = s.lowest ? s.lowest : 1;
    /* It pruned the block we asked for: not a strike, just ask another. */
    if (p->asked_height && p->asked_height < p->lowest) p->asked_height = 0;
    sync_refresh_target(n);
    sync_tick(n, node_now(n));
}

/* ---- serving blocks, at a bounded rate per peer ---- */

#define SERVE_UNIT 1000u /* credit of one request: the bucket counts thousandths */

void sync_peer_init(node *n, node_peer *p, void *handle) {
    size_t i = (size_t)(p - n->peers);
    HANSA_ASSERT(i < NODE_PEERS_MAX);
    if (i >= n->peers_end) n->peers_end = i + 1;
    *p = (node_peer){.handle = handle,
                     .serve_credit = (uint64_t)n->cfg.block_serve_burst * SERVE_UNIT,
                     .serve_at_ms = node_now(n)};
}

static void serve_refill(const node *n, node_peer *p, uint64_t now_ms) {
    uint64_t max = (uint64_t)n->cfg.block_serve_burst * SERVE_UNIT;
    if (now_ms > p->serve_at_ms) {
        /* per_s requests a second = per_s thousandths of one a millisecond */
        uint64_t add = (now_ms - p->serve_at_ms) * n->cfg.block_serve_per_s;
        p->serve_credit = p->serve_credit + add > max ? max : p->serve_credit + add;
    }
    p->serve_at_ms = now_ms;
}

/* The earliest time a kept request can be answered, or UINT64_MAX. */
uint64_t sync_next_wake_ms(const node *n) {
    uint64_t at = UINT64_MAX;
    if (n->n_serve_later == 0) return at; /* the usual case: no scan of every peer slot */
    uint32_t rate = n->cfg.block_serve_per_s;
    for (size_t i = 0; i < n->peers_end && rate; i++) {
        const node_peer *p = &n->peers[i];
        if (!p->handle || !p->serve_later) continue;
        uint64_t short_by = p->serve_credit >= SERVE_UNIT ? 0 : SERVE_UNIT - p->serve_credit;
        uint64_t t = p->serve_at_ms + (short_by + rate - 1) / rate;
        if (t < at) at = t;
    }
    return at;
}

/* Sends block h, or, if it was pruned, our STATUS: the lowest we keep, so
 * the asker turns to another peer at once. */
static void serve_block(node *n, void *peer, uint64_t h) {
    HANSA_ASSERT(h > 0 && h <= n->height);
    if (h < n->lowest) {
        sync_send_status(n, peer);
        return;
    }
    hbuf block = HBUF_INIT, commit = HBUF_INIT;
    hansa_hash id;
    if (store_get_block(n->cfg.st, h, &block, &id) == HANSA_OK &&
        store_get_commit(n->cfg.st, h, &commit) == HANSA_OK) {
        msg_block m = {h, block.data, (uint32_t)block.len, commit.data, (uint32_t)commit.len};
        hbuf out = HBUF_INIT;
        msg_block_encode(&out, &m);
        n->io.send(n->io.ctx, peer, MSG_BLOCK, out.data, out.len);
        hbuf_free(&out);
    } else {
        LOG_E("node", "block %llu unreadable: %s", (unsigned long long)h, store_errmsg(n->cfg.st));
    }
    hbuf_free(&block);
    hbuf_free(&commit);
}

/* Answers BLOCK_REQ within the peer's rate. A request beyond it is kept if
 * none is (a peer syncing one block at a time is only slowed down, and
 * its request is answered as soon as the rate allows); more than that is
 * a flood: not answered, and scored against the peer. */
void sync_on_block_req(node *n, void *peer, const uint8_t *bytes, size_t len) {
    uint64_t h;
    if (msg_block_req_decode(bytes, len, &h, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed BLOCK_REQ");
        return;
    }
    node_peer *p = sync_peer(n, peer);
    /* A block we never had costs nothing to refuse: the asker times out. */
    if (!p || h == 0 || h > n->height) return;
    serve_refill(n, p, node_now(n));
    if (p->serve_credit >= SERVE_UNIT && !p->serve_later) {
        p->serve_credit -= SERVE_UNIT;
        serve_block(n, peer, h);
    } else if (!p->serve_later) {
        p->serve_later = h;
        n->n_serve_later++;
    } else if (n->io.penalize) {
        n->io.penalize(n->io.ctx, peer, NODE_PENALTY_BLOCK_REQ, "block requests beyond the rate");
    }
}

/* Answers the kept requests whose peers' buckets have refilled. */
static void serve_kept(node *n, uint64_t now_ms) {
    for (size_t i = 0; i < n->peers_end && n->n_serve_later > 0; i++) {
        node_peer *p = &n->peers[i];
        if (!p->handle || !p->serve_later) continue;
        serve_refill(n, p, now_ms);
        if (p->serve_credit < SERVE_UNIT) continue;
        p->serve_credit -= SERVE_UNIT;
        uint64_t h = p->serve_later;
        p->serve_later = 0;
        n->n_serve_later--;
        serve_block(n, p->handle, h);
    }
}

/* True if more than 2/3 of the current validators signed exactly this block
 * (its header, and the body the header commits to): then a block we reject
 * means our state, not the block, is wrong. A real header with another body
 * is the sender's forgery, not a divergence. */
static bool certified(node *n, const wire_commit *c, const uint8_t *block, size_t len) {
    wire_block blk;
    if (wire_block_decode(block, len, &blk, NULL) != HANSA_OK) return false;
    hansa_hash id;
    wire_header_hash(&blk.header, &id);
    bool body_ok = wire_block_check_body(&blk, NULL) == HANSA_OK;
    wire_block_free(&blk);
    if (!body_ok) return false;
    wire_valset w = valset_as_wire(&n->vs);
    return hash_eq(&id, &c->block) &&
           cert_commit_verify(c, ledger_state_params(n->state)->chain_id, w.v, w.n) == HANSA_OK;
}

void sync_on_block(node *n, void *peer, const uint8_t *bytes, size_t len) {
    msg_block m;
    wire_commit c;
    node_peer *p = sync_peer(n, peer);
    if (msg_block_decode(bytes, len, &m, NULL) != HANSA_OK ||
        wire_commit_decode(m.commit, m.commit_len, &c, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed BLOCK");
        return;
    }
    if (p && p->asked_height == m.height) {
        p->asked_height = 0;
        p->sync_strikes = 0;
    }
    if (m.height == n->height + 1 && c.height == m.height && !cons_decided(n->engine)) {
        hansa_err err = cons_on_commit(n->engine, &c, m.block, m.block_len);
        if (err == HANSA_ERR_INVALID && certified(n, &c, m.block, m.block_len))
            chain_fatal(n, "height %llu: the chain committed a block this node finds invalid "
                        "(%s); this node's state has diverged", (unsigned long long)m.height,
                        n->invalid_why);
        else if (err == HANSA_ERR_BAD_SIG || err == HANSA_ERR_QUORUM || err == HANSA_ERR_INVALID)
            n->io.drop(n->io.ctx, peer, "BLOCK with a commit or block that does not verify");
        n->deciding_by_sync = true;
        node_drain(n);
        n->deciding_by_sync = false;
    }
    wire_commit_free(&c);
}
