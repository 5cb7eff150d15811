/* node.h — one chain's node: the consensus engine, the ledger, the
 * mempool, the block store and block sync, wired together.
 *
 * The node does no network I/O itself and owns no event loop: a driver
 * (cmd/hansad with net/ and rpc/, or a test) gives it inputs — a peer came
 * or went, a message arrived, a wake-up time was reached, a transaction was
 * submitted — and the node answers through node_io callbacks: send to a
 * peer, broadcast, drop a peer, wake me at T. Disk I/O goes through store/
 * (synchronous LMDB). Time comes from the hansa_clock in the config.
 *
 * Life of a height (docs/node.md has the whole story):
 *   1. cons_start_height(h, validator set)
 *   2. the proposer builds a block from the mempool (block builder);
 *      everyone validates proposals by executing them on an overlay
 *   3. the engine decides; the commit pipeline stores block, commit and
 *      state writes in one durable transaction, then applies the overlay,
 *      updates the mempool and tells subscribers
 *   4. after commit_delay_ms (to collect late precommits) height h+1 starts.
 * A node that is behind (a peer's STATUS shows a higher height) fetches
 * blocks with their commit certificates, verifies and commits them, and
 * joins consensus when it has caught up. */
#ifndef HANSA_NODE_NODE_H
#define HANSA_NODE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/rng.h"
#include "consensus/engine.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "node/mempool.h"
#include "store/store.h"

typedef struct node node;

/* What the node asks of its driver. Peers are opaque handles of the driver. */
typedef struct {
    void *ctx;
    void (*send)(void *ctx, void *peer, uint8_t type, const uint8_t *bytes, size_t len);
    void (*broadcast)(void *ctx, uint8_t type, const uint8_t *bytes, size_t len, void *except);
    void (*drop)(void *ctx, void *peer, const char *reason);
    /* Call node_on_wake at or after this monotonic time (replaces the last request). */
    void (*wake_at)(void *ctx, uint64_t mono_ms);
    /* A block was committed (for subscriptions and metrics). May be NULL. */
    void (*committed)(void *ctx, uint64_t height);
    /* The node cannot go on (app hash divergence, storage failure): the
     * driver stops the process after logging why. */
    void (*fatal)(void *ctx, const char *why);
    /* Credit events of a block being committed (a tally changed, a chit
     * arrived, an invoice changed; ledger/credit_rec.h), once per event,
     * after the block is stored and before `committed`. May be NULL. The
     * event is borrowed for the call. */
    void (*credit_event)(void *ctx, uint64_t height, const ledger_credit_event *ev);
    /* A peer sent something useless or costly but not provably malicious
     * (a transaction refused by the ledger checks, requests beyond its
     * rate): the driver scores it and may drop and ban it once the points
     * add up. May be NULL. */
    void (*penalize)(void *ctx, void *peer, uint32_t points, const char *why);
} node_io;

/* Limits of the peer links, which the driver passes to its network layer
 * (net/host.h says what each does); kept here with the node's other
 * tunables so one config carries them all. */
typedef struct {
    uint32_t max_inbound;     /* inbound links from strangers (not configured, not validators) */
    uint32_t max_pending;     /* inbound handshakes in progress */
    uint32_t keepalive_ms;    /* send a keepalive after this long without sending */
    uint32_t link_timeout_ms; /* close a link silent this long */
    uint32_t inbound_idle_ms; /* close a stranger's link with no message this long */
    uint32_t ban_ms;          /* first ban of a misbehaving key and address, doubled per repeat */
    uint32_t ban_max_ms;
    uint32_t ban_score;       /* penalty points that ban a stranger */
} node_net_limits;

/* A node that needs a block every peer that has it pruned waits this many
 * sync_timeout_ms (an archive peer may still connect), then stops. */
#define NODE_SYNC_PRUNED_WAITS 5

typedef struct {
    store *st;                    /* borrowed, opened by the driver */
    const ledger_genesis *genesis;/* used on first start and to check the chain id */
    const hansa_keypair *key;     /* the delegate key; NULL for a full node */
    const hansa_clock *clock;     /* borrowed */
    uint8_t hash_key[16];         /* secret for the ledger's account table */
    cons_timeouts timeouts;
    uint32_t commit_delay_ms;     /* wait after a commit before the next height */
    uint32_t rebroadcast_ms;      /* re-send own votes this often while undecided */
    uint32_t status_ms;           /* STATUS to peers this often */
    uint32_t sync_timeout_ms;     /* re-ask another peer for a block after this */
    /* BFT time, proposer-based (docs/consensus.md, "Block time"): a proposal
     * of round r is timely when its block time lies within
     * [now - precision - msg_delay * (r + 1), now + precision] of this
     * node's wall clock when it arrives; an untimely one is prevoted nil. */
    uint32_t pbts_precision_ms;   /* bound on the clock difference of honest nodes */
    uint32_t pbts_msg_delay_ms;   /* bound on a proposal's travel time, round 0 */
    uint32_t block_serve_per_s;   /* BLOCK_REQs answered per peer and second */
    uint32_t block_serve_burst;   /* ... and at once after a quiet spell */
    uint64_t prune_keep_blocks;   /* 0: archive; else keep the last N (config.h) */
    mempool_limits mempool;
    node_net_limits net;
    bool test_break_line29;       /* test only (the simulator): cons_config's switch */
    bool frost_dkg;               /* a delegate deals in its set's key generation (frost_duty.h) */
    uint64_t frost_checkpoint_every; /* ... and signs every Nth block's checkpoint (0: none) */
    /* Where the node's secrets come from: the DKG seed and the signing
     * nonces (frost_duty.c, frost_sign.c). node_config_defaults sets the
     * OS generator (hansad); the simulator passes a seeded one per node so
     * that a run replays from its seed (the protocol core draws nothing
     * itself). */
    hansa_rng rng;
} node_config;

/* Defaults for the tunables (timeouts, delays, limits). */
void node_config_defaults(node_config *cfg);

/* Opens the node: loads the state from the store (or creates it from the
 * genesis on first start) and the signer state. Returns the error and why
 * (naming the record or field) on a corrupt store or a genesis mismatch. */
hansa_err node_open(const node_config *cfg, const node_io *io, node **out, char *why,
                    size_t why_len);
/* Starts consensus at the height after the stored tip. */
void node_start(node *n);
void node_close(node *n);

/* Inputs from the driver. */
void node_on_wake(node *n);
void node_peer_up(node *n, void *peer);
void node_peer_down(node *n, void *peer);
void node_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len);

/* Admits a transaction from a client (RPC) and gossips it. */
hansa_err node_submit_tx(node *n, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                         size_t why_len);

/* Admits duplicate-vote evidence from a client (e.g. carried home from a
 * foreign chain's light client that froze on it) and gossips it, so the
 * next block can punish the offender. HANSA_OK, or the reason in why. */
hansa_err node_submit_evidence(node *n, const wire_evidence *ev, char *why, size_t why_len);

/* A Prometheus-style histogram kept by the node: counts[i] is the number
 * of observations v with bounds[i-1] < v <= bounds[i]; the last count is
 * for v above every bound (+Inf). bounds points at static data (one of the
 * tables below) and is ascending. */
#define NODE_HIST_BOUNDS 13
typedef struct {
    const uint64_t *bounds; /* NODE_HIST_BOUNDS entries */
    uint64_t counts[NODE_HIST_BOUNDS + 1];
    uint64_t count;
    uint64_t sum;
} node_hist;

extern const uint64_t node_hist_bounds_ms[NODE_HIST_BOUNDS];    /* 1 ms .. 10 s */
extern const uint64_t node_hist_bounds_txs[NODE_HIST_BOUNDS];   /* 0 .. 10,000 txs */
extern const uint64_t node_hist_bounds_bytes[NODE_HIST_BOUNDS]; /* 1 KiB .. 32 MiB */

/* Adds one observation v to h. */
void node_hist_observe(node_hist *h, uint64_t v);

/* Read-only views for RPC, metrics and tests. */
typedef struct {
    uint64_t height;            /* last committed */
    uint64_t lowest_height;     /* the lowest block kept (1 on an archive; 0 = none) */
    hansa_hash block_hash;      /* its header hash */
    uint64_t block_time_ms;
    hansa_hash app_hash;
    uint64_t cons_height;
    uint32_t cons_round;
    bool is_validator;
    bool syncing;               /* a peer is ahead and we are fetching */
    size_t peers;
    size_t mempool_txs;
    uint64_t committed_txs;     /* since start */
    uint64_t rounds_last_height;/* rounds the last height took (1 = first round) */
    uint64_t sig_verifies;      /* signatures verified since start */
    /* Ed25519 verifications in this process since start and the thread CPU
     * they took, estimated from about 1 in VERIFY_CPU_SAMPLE_EVERY timed
     * (verify_cpu_stats): process-wide, so the node's own in a hansad. */
    uint64_t verify_calls;
    uint64_t verify_cpu_ns;
    uint64_t untimely_proposals;/* proposals prevoted nil as untimely (PBTS) */
    uint64_t mempool_bytes;
    uint64_t unindexed_tx_bytes; /* the store's copy of tx entries not yet indexed */
    uint64_t tx_lookup_read_backs; /* store_tx_lookup_counts: log records the copy sent a lookup to */
    uint64_t tx_lookup_walked;     /* log records lookups walked past the copy's bound */
    uint64_t tx_lookup_held_bytes; /* heap the copy holds, reuse buffers included */
    uint64_t index_scratch_bytes;  /* the tx index step's sort buffers, kept between steps */
    /* Where the time of a height goes, on this node's monotonic clock, from
     * the start of the height (after commit_delay_ms) to: the first proposal
     * for it accepted (or built, on the proposer); the engine entering the
     * precommit step (more than 2/3 of prevotes seen); the decision. A
     * height decided before a step was seen adds nothing to that step. */
    node_hist height_proposal_ms;
    node_hist height_prevote_quorum_ms;
    node_hist height_commit_ms;
    node_hist block_txs;        /* transactions per committed block */
    node_hist block_bytes;      /* encoded size of each committed block */
} node_status;

void node_get_status(const node *n, node_status *out);
/* The committed height and the height and round consensus works on: the
 * part of node_get_status (which copies every histogram) that a driver can
 * afford to ask for on every message. */
void node_get_position(const node *n, uint64_t *height, uint64_t *cons_h, uint32_t *cons_r);
const ledger_state *node_ledger(const node *n);
store *node_store(const node *n);
uint32_t node_chain_id(const node *n);
/* The validator set deciding the current height. */
const cons_valset *node_valset(const node *n);
/* The mempool, read-only (for RPC: counts and queued tx hashes). Borrowed;
 * valid while n is, its contents until the next input to the node. */
const mempool *node_mempool(const node *n);
/* The evidence pool: verified duplicate-vote evidence not yet committed, in
 * no particular order; *count its length. Borrowed; valid until the next
 * input to the node. */
const wire_evidence *node_evidence_pool(const node *n, size_t *count);

#endif
