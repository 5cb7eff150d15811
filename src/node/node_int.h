/* node_int.h — the node's internals, shared by its files:
 *   node.c    driver side: inputs, engine outputs, timers, gossip
 *   chain.c   the chain: state loading, block building, validation, commit
 *   sync.c    block sync: peers' heights, fetching and serving blocks */
#ifndef HANSA_NODE_NODE_INT_H
#define HANSA_NODE_NODE_INT_H

#include "base/buf.h"
#include "base/hmap.h"
#include "consensus/engine.h"
#include "ledger/block.h"
#include "ledger/state_root.h"
#include "ledger/writes.h"
#include "crypto/sha256.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/relay.h"

/* Room for every link net/ may hold: strangers (max_inbound), configured
 * peers (CONFIG_PEERS_MAX) and validators. */
#define NODE_PEERS_MAX 160
#define NODE_PENDING_BLOCKS_MAX 16 /* validated proposals kept per height */
#define NODE_TIMERS_MAX 32
#define NODE_EVIDENCE_MAX 256
/* Pooled evidence re-logged to the WAL per commit, and gossiped again per
 * rebroadcast: a bound, so a pool flooded with evidence costs a few writes
 * per block and a few messages per second, not hundreds. */
#define NODE_EVIDENCE_DURABLE_MAX 8
#define NODE_EVIDENCE_GOSSIP_MAX 8

typedef struct {
    void *handle;          /* the driver's; NULL = free slot */
    uint64_t height;       /* from its last STATUS */
    uint64_t lowest;       /* the lowest block it serves, from STATUS (1 if unsaid) */
    uint64_t asked_height; /* block we asked it for, 0 = none */
    uint64_t asked_at_ms;
    uint8_t sync_strikes;  /* requests it left unanswered in a row */
    /* Serving its BLOCK_REQs: a token bucket in thousandths of a request
     * (block_serve_per_s, block_serve_burst), and the one request that came
     * while the bucket was empty, answered when it refills (0 = none). */
    uint64_t serve_credit;
    uint64_t serve_at_ms;
    uint64_t serve_later;
} node_peer;

/* Points reported through node_io.penalize (the driver decides what a
 * score means; net/ drops and bans at NET_SCORE_BAN). */
#define NODE_PENALTY_REFUSED_TX 1
#define NODE_PENALTY_BLOCK_REQ 1  /* a block request beyond the serving rate */

/* A peer that claims blocks (STATUS) but leaves this many requests for
 * them unanswered in a row is dropped: it would keep the node "behind". */
#define NODE_SYNC_STRIKES_MAX 3

/* A proposal we validated: its overlay, so a decision needs no re-execution,
 * and its transactions' hashes, so a commit needs no rehashing. */
typedef struct {
    hansa_hash id;
    ledger_block *pending; /* owned; NULL if the block was invalid */
    hansa_hash *tx_hashes; /* owned, one per transaction; NULL if pending is */
} node_pending;

typedef struct {
    cons_timer_kind kind;
    uint64_t height;
    uint32_t round;
    uint64_t deadline_ms;
} node_timer;

struct node {
    node_config cfg;
    node_io io;
    cons_engine *engine;
    ledger_state *state;
    mempool *mp;
    cons_valset vs;          /* deciding the current height */
    cons_valset vs_prev;     /* decided the last committed height */
    uint64_t vs_activation;  /* the ledger's activation height of vs's set */

    /* The chain tip. */
    uint64_t height;
    hansa_hash block_hash;
    hansa_hash valset_put[3];  /* validator sets the store got last (put_valsets) */
    bool valsets_put[3];
    /* The last sets hashed and their wire_valset_hash: headers and
     * put_valsets ask for the same two or three sets at every height, and a
     * Merkle root per ask was 4% of a simulator run (chain.c set_hash). */
    struct {
        bool used;
        ledger_validators set;
        hansa_hash hash;
    } set_memo[3];
    unsigned set_memo_next;
    uint64_t block_time_ms;
    hbuf last_commit;        /* encoded commit of `height` (empty at 0) */
    hansa_hash tip_tx_root;  /* tx root of block `height` (receipt proofs) */

    node_pending pending[NODE_PENDING_BLOCKS_MAX];
    size_t n_pending;

    node_timer timers[NODE_TIMERS_MAX];
    size_t n_timers;
    uint64_t next_height_at_ms; /* start height+1 at this time; 0 = not scheduled */
    /* The newest own proposal in the WAL (height 0: none): the engine
     * re-emits its proposals on every rebroadcast, the WAL needs each once. */
    uint64_t wal_own_height;
    uint32_t wal_own_round;
    uint64_t wal_vote_pos;    /* newest own vote in the WAL: (height, round, type) packed */
    /* The lock of the signer state a restart found (node_start): if no
     * WAL record gives its block back, the log says what the node waits
     * for instead of looping rounds in silence (node.c, check_restored_lock). */
    bool restored_locked, restored_lock_held;
    uint64_t restored_lock_height;
    uint32_t restored_lock_round;
    hansa_hash restored_lock_id;
    uint64_t rebroadcast_at_ms, status_at_ms;
    /* Step times of the current height for the node_status histograms;
     * 0 = not reached yet. */
    uint64_t height_started_ms, proposal_at_ms, prevote_quorum_at_ms;

    node_peer peers[NODE_PEERS_MAX];
    /* One past the highest slot ever taken: the slots from it on are all
     * free, so the scans per STATUS, tick and TXS stop there instead of
     * reading 160 slots (12 KB) for a handful of peers (issue 15). */
    size_t peers_end;
    size_t n_serve_later;    /* peers with a kept block request (serve_later != 0) */
    uint64_t sync_target;    /* highest height a connected peer reports */
    uint64_t pruned_since_ms; /* since when only pruned peers have the next block; 0 = not */
    uint64_t lowest;         /* the lowest height whose block the store keeps; 0 = none */
    hansa_hash sweep_at;     /* where the tx_index sweep goes on (chain_prune) */
    uint32_t tip_txs;        /* transactions in block `height` */

    wire_evidence evidence[NODE_EVIDENCE_MAX];
    size_t n_evidence;
    hmap evidence_seen;      /* pooled or committed evidence: height << 2 | how */

    /* Relay transactions of this node waiting in the mempool, by chain
     * (relay.c): a chain is not offered again while one waits. */
    struct {
        uint32_t chain;
        hansa_hash tx;
    } relay_waiting[RELAY_JOBS_MAX];
    size_t n_relay_waiting;
    size_t evidence_gossip_at; /* where chain_evidence_gossip goes on */

    bool wal_replaying;      /* node_start is feeding the WAL back (node.c) */
    ledger_writes genesis_writes; /* stored with block 1, then freed */
    char invalid_why[256];   /* why the last block judged invalid was */
    bool stopped;            /* a fatal error happened: ignore all input */
    /* The decision being carried out was learned from a certified block
     * (block sync), not reached here: the next height may start at once. */
    bool deciding_by_sync;
    /* While set, the engine's proposals and votes go to this peer only: it
     * just came up and needs what the others already have. */
    void *resend_to;
    node_status stats;
    hbuf scratch;
    hbuf wal_rec;            /* a proposal's WAL record (node.c wal_proposal), room kept */
    struct node_rcpt *rcpt;  /* receipts.c: guarantees and underwriting */
    struct node_frost *frost; /* frost_duty.c: the key generation duty (NULL: off) */
    struct node_fsign *fsign; /* frost_sign.c: the checkpoint signing duty (NULL: off) */
    /* snapshot.c: the proof of the chain's newest group key record at the
     * newest state-root height committed since the node started
     * (key_proof_height 0: none), what the key_proof RPC serves. */
    uint64_t key_proof_height;
    ic_key_proof key_proof;
};

/* chain.c */
hansa_err chain_load(node *n, char *why, size_t why_len);
bool chain_get_value(void *ctx, uint64_t height, uint32_t round, hbuf *out, hansa_hash *id);
/* cons_app.timely: proposer-based timestamps against this node's clock. */
bool chain_timely(void *ctx, const wire_proposal *p, const uint8_t *value, size_t len);
bool chain_valid(void *ctx, uint64_t height, const uint8_t *value, size_t len,
                 const hansa_hash *id);
void chain_commit(node *n, const uint8_t *value, size_t len, const hansa_hash *id,
                  const wire_commit *commit);
void chain_pending_clear(node *n);
/* Moves logged tx index entries of committed blocks into the hash index
 * (store_index_step): all of them (up to a batch) once 16 heights have
 * piled up when idle is true (the commit delay, when the node waits
 * anyway), else only once a full batch has piled up (catching up, no
 * delay between heights), so the commit of
 * each block never pays for the index's size and lookups scan few logged
 * heights. Stops the node if the store fails. */
void chain_index_txs(node *n, bool idle);
/* Deletes the oldest stored heights beyond the last cfg.prune_keep_blocks,
 * a bounded batch per call (no-op on an archive node), and keeps n->lowest. */
void chain_prune(node *n);
void chain_fatal(node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Evidence from a client (carried home from another chain's light client):
 * verified, the offender a member of the current or last set, and (if its
 * height is committed) acceptable to the ledger; then pooled and gossiped.
 * HANSA_OK (also when it was already known) or the reason in why. */
hansa_err chain_evidence_submit(node *n, const wire_evidence *ev, char *why, size_t why_len);
void chain_evidence_add(node *n, const wire_evidence *ev, void *from_peer);
void chain_evidence_gossip(node *n);

/* sync.c */
void sync_on_status(node *n, void *peer, const uint8_t *bytes, size_t len);
void sync_on_block_req(node *n, void *peer, const uint8_t *bytes, size_t len);
void sync_on_block(node *n, void *peer, const uint8_t *bytes, size_t len);
void sync_tick(node *n, uint64_t now_ms);
void sync_send_status(node *n, void *peer);
node_peer *sync_peer(node *n, void *handle);
bool sync_behind(const node *n);
void sync_refresh_target(node *n);
void sync_peer_init(node *n, node_peer *p, void *handle);
uint64_t sync_next_wake_ms(const node *n);

/* receipts.c */
typedef struct node_rcpt node_rcpt;
hansa_err receipts_open(node *n, char *why, size_t why_len);
void receipts_close(node *n);
void receipts_on_commit(node *n, const wire_block *blk);
void receipts_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len);
void receipts_peer_up(node *n, size_t slot); /* a new peer took peers[slot] */
void receipts_peer_down(node *n, void *peer);
void receipts_on_wake(node *n, uint64_t now_ms);
uint64_t receipts_next_wake_ms(const node *n); /* UINT64_MAX: none */

/* node.c */
/* Signs body as a tx of kind from this node's key (it must have one), at
 * min_fee and the next nonce after its mempool's, and admits it like
 * node_submit_tx (the relay's and the FROST duties' own transactions). */
hansa_err node_submit_own_tx(node *n, uint16_t kind, const uint8_t *body, size_t len, hansa_hash *tx_hash,
                             char *why, size_t why_len);
void node_drain(node *n);
uint64_t node_now(const node *n);
/* Keeps pooled evidence durable across a crash (WAL, two heights ahead). */
void node_wal_log_evidence(node *n, const wire_evidence *ev);

#endif
