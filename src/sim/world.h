/* world.h — the simulated world's state, shared by the files of src/sim/.
 *
 * Internal to src/sim/. sim.c sets the world up, schedules faults and runs
 * the event loop; host.c hosts one production node (node/node.h) on a
 * simulated disk, clock and network: it is the node's driver, as
 * cmd/hansad.c is for a real one; chain.c holds each chain's genesis, its
 * clients and the checks of what its nodes commit; net.c carries messages;
 * byz.c holds the Byzantine wrappers; script.c the scripted attack.
 * Everything random comes from w->rng, everything timed from w->now_us, so
 * the order of events is a function of the seed alone.
 *
 * The world holds 1..SIM_CHAINS_MAX chains: each node belongs to a chain
 * and talks only to that chain's nodes; each chain has its own checker,
 * fed with node indices local to the chain (world_trace). */
#ifndef HANSA_SIM_WORLD_H
#define HANSA_SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hmap.h"
#include "base/rng.h"
#include "crypto/sign.h"
#include "interchain/bisect.h"
#include "interchain/client.h"
#include "ledger/state.h"
#include "node/node.h"
#include "node/receipts.h"
#include "node/relay.h"
#include "sim/check.h"
#include "sim/disk.h"
#include "sim/fedcheck.h"
#include "sim/heap.h"
#include "sim/sim.h"
#include "sim/smap.h"
#include "wire/codec.h"

/* Event kinds in the queue. */
enum {
    EV_DELIVER = 1,  /* ptr = sim_msg, peer = sender */
    EV_WAKE,         /* the node asked to be woken then (node_io.wake_at) */
    EV_CRASH,        /* sub = 1: at the node's next disk write; 2: right after it sends;
                        3: as 2, its WAL appends failing (disk full) until then */
    EV_RESTART,      /* sub = 1: forget signer state and WAL (amnesia) */
    EV_PARTITION,
    EV_HEAL,
    EV_CLOG,         /* node -> peer, until height (µs) */
    EV_UNCLOG,
    EV_GARBAGE,      /* a garbage-sending Byzantine node acts */
    EV_AMNESIA,      /* an amnesiac node crashes */
    EV_GST,
    EV_LINK_DOWN,    /* node dropped peer: both ends lose the link */
    EV_LINK_UP,      /* ... and reconnect */
    EV_CLIENT,       /* a client of chain `peer` submits a transaction */
    EV_TARGET,       /* the targeted delay picks its next height (sim.c, on_target) */
};

/* A message on the simulated wire: node/msg.h type byte, then the payload. */
typedef struct {
    uint32_t refs;
    uint32_t len;
    hansa_hash hash; /* of the bytes, for the trace */
    /* A vote's decoded form and its signature's verdict, made the first
     * time the simulator looks (msg_vote, msg_vote_sig_ok): the sender's
     * trace and each receiver's watch read the same bytes, and decoding
     * and verifying them once per look was ~3% of a run. */
    wire_vote *vote;
    uint8_t vote_state; /* SIM_MEMO_*: is there a decoded vote */
    uint8_t sig_state;  /* SIM_MEMO_*: does its signature hold */
    uint8_t data[];
} sim_msg;
enum { SIM_MEMO_UNKNOWN, SIM_MEMO_YES, SIM_MEMO_NO };

#define SIM_VOTES_MSGS_MAX 16 /* four validators' prevote and precommit of round 0, twice */

typedef enum {
    BYZ_NONE,
    BYZ_EQUIVOCATE,
    BYZ_DOUBLE_VOTE,
    BYZ_SILENT,
    BYZ_GARBAGE,
    BYZ_INVALID,
    BYZ_AMNESIA,
    BYZ_COORDINATED, /* equivocate + double vote together: the over-budget attack */
    BYZ_SCRIPTED,    /* the Byzantine node of a scripted attack (script.c) */
    BYZ_LOCKBREAK,   /* proposes fresh or old proof-of-lock values (byz.c) */
} byz_kind;

typedef struct world world;
typedef struct sim_chain sim_chain;
typedef struct sim_lifts sim_lifts; /* lifts.c */
typedef struct sim_frost sim_frost; /* frost.c */

/* A message a Byzantine node showed in place of (or beside) its node's
 * own, for one slot (byz.c says which kinds there are). */
typedef struct {
    uint64_t height;
    uint32_t round;
    uint8_t kind;
    hansa_hash orig;  /* the block id its node used */
    hansa_hash id;    /* the block id it showed instead */
    sim_msg *msg;     /* the message it sent (a reference held) */
} byz_face;
#define BYZ_FACES_MAX 32

/* Prevotes a lockbreak node saw for one block in one round (byz.c). */
typedef struct {
    uint64_t height;
    uint32_t round;
    hansa_hash id;
    uint64_t power;
    uint64_t voters; /* bit per node index (SIM_NODES_MAX <= 64) */
} byz_tally;
#define BYZ_TALLIES_MAX 32

typedef struct {
    world *w;
    sim_chain *chain;
    uint16_t idx;
    byz_kind byz;
    uint8_t half;            /* which side a two-faced Byzantine node shows it */
    hansa_keypair key;
    uint64_t power;          /* genesis voting power */
    int64_t offset_us;       /* local clock = offset + now * (1e6 + skew) / 1e6 */
    int32_t skew_ppm;
    int64_t wall_offset_ms;  /* wall clock = genesis + true time + this (+ nudge); drift:
                                within +-precision/2 if honest, far off if Byzantine */
    uint64_t wall_nudge_ms;  /* added to the wall clock (byz.c builds a second block) */
    hansa_clock clock;
    sim_disk *disk;          /* survives crashes */
    store *st;               /* this incarnation's store on disk, node's process */
    node *n;
    bool up;                 /* the process runs */
    bool dying;              /* a disk write crashed it in the current input: what it
                                still does is lost, and it goes down after the input */
    bool stopped;            /* it stopped with a fatal error (traced once) */
    uint32_t inc;            /* incarnation: bumped at each crash */
    uint64_t wake_ms;        /* local time the node asked to be woken at */
    uint64_t wake_ev_us;     /* time of the EV_WAKE queued for it; 0 = none */
    uint64_t busy_us;        /* disk time spent in the current input: delays its sends */
    /* The message the node is taking (host_deliver), NULL between inputs:
     * a relay of it (the node broadcasts the bytes it was handed, node.c
     * judge) goes out as this same message, not as a copy hashed again. */
    sim_msg *in_msg;
    /* Crash at the next disk write of kind crash_op (EV_CRASH, sub 1), or
     * right after its next own message of step crash_step leaves (sub 2). */
    bool crash_armed;
    sim_disk_op crash_op;
    sim_disk_fault crash_fault;
    bool crash_after_send;
    uint8_t crash_step;
    bool die_after_send;
    /* The crash armed by the fault mix (EV_CRASH, sub 1 or 2) is a power
     * loss: the disk loses what only a relaxed commit carried too
     * (sim_disk_crash). Consumed where it fires (the write, the send),
     * which sets dying_power_loss for the teardown; a crash that comes
     * otherwise is a plain one. */
    bool armed_power_loss;
    bool dying_power_loss;
    /* Its disk is full (EV_CRASH, sub 3): every write of kind full_op (its
     * signer state, WAL or blocks, drawn at the fault) fails while the
     * others still fit (the map's last pages go to whichever write fits),
     * until the node stops on a failed one. */
    bool disk_full;
    sim_disk_op full_op;
    bool write_failed;       /* one did fail: its fatal stop is the expected one */
    bool full_stop;          /* it stopped on it: torn down after the input */
    /* What it committed, for the trace and the liveness bound. */
    uint64_t height;         /* last committed height */
    uint64_t height_start_us;/* when it started height + 1 */
    uint32_t round_bound;    /* highest round allowed for height + 1 after GST */
    uint64_t fed_settled;    /* fed.c: its first height committed after GST + settle */
    bool start_pending;      /* trace HEIGHT_START after the current input */
    /* Votes it was handed at its current height, for the evidence check. */
    smap votes_seen;
    uint64_t votes_seen_height;
    uint32_t votes_seen_inc;
    /* Messages whose vote went into votes_seen since it was last cleared
     * (a reference held on each, so no other message takes the address):
     * the same message again (a relay shares it, out_msg) is answered
     * without decoding it (host.c, note_vote). */
    sim_msg *votes_msgs[SIM_VOTES_MSGS_MAX];
    uint32_t n_votes_msgs;
    /* Links this node dropped (or that dropped it) and that are not back yet. */
    bool link_down[SIM_NODES_MAX];
    /* byz.c: the faces it showed, so every re-send repeats the same bytes. */
    byz_face faces[BYZ_FACES_MAX];
    uint32_t n_faces;        /* written so far; the ring keeps the last BYZ_FACES_MAX */
    byz_tally tallies[BYZ_TALLIES_MAX];
    uint32_t n_tallies;      /* a ring too */
    hansa_prng frost_prng;   /* --frost: its node's secrets (node_config.rng), across crashes */
} sim_node;

#define SIM_CLIENTS_MAX 16
#define SIM_ACCOUNTS_MAX (SIM_CLIENTS_MAX + SIM_NODES_MAX) /* clients, then funded delegates */

typedef struct {
    hansa_keypair key;
    hansa_addr addr;
    uint64_t next_nonce;
} sim_client;

/* One chain: its genesis, its nodes and clients, and what its honest
 * nodes committed (for the checks that compare them). */
struct sim_chain {
    uint16_t idx;
    ledger_genesis genesis;
    ledger_genesis_account accounts[SIM_ACCOUNTS_MAX];
    ic_create roots[SIM_CHAINS_MAX]; /* light clients of the other chains, from genesis */
    wire_validator delegates[SIM_NODES_MAX];
    uint16_t first_node, n_nodes; /* its nodes: w->nodes[first_node .. + n_nodes) */
    sim_client clients[SIM_CLIENTS_MAX];
    uint16_t n_clients;
    uint64_t vote_every;          /* churn: a client TX_VOTE every this many txs; 0 none */
    uint64_t tx_count;
    uint64_t pkt_count;           /* fedpkt.c: client txs counted toward cross-chain sends */
    uint64_t rcpt_height;         /* rcpt.c: the last height its receipts were looked at */
    /* The last supply check made (chain_on_commit): a state with the same
     * height and app hash is the same state (the app hash chains every
     * block's writes), so the check is not made again for it. */
    uint64_t supply_height;
    hansa_hash supply_app;
    bool supply_ok;
    /* The last validator set traced (SIM_T_VALSET), at set_height. */
    uint64_t set_height;
    ledger_validators set;
};

/* A receipt a node issued (rcpt.c), followed until it is paid, kept or
 * past its claim window. */
typedef struct {
    receipt rc;
    uint16_t chain;
    bool honest;       /* every signer is an honest node */
    bool settled;
    uint64_t claim_at; /* height its last claim was sent at; 0 = none yet */
} sim_rcpt;
#define SIM_RCPTS_MAX 1024

typedef struct {
    uint64_t height;
    uint32_t round;
    hansa_hash a, b; /* the two faces of an equivocating proposal */
} sim_attack;
#define SIM_ATTACKS_MAX 64

/* The roles of a scripted attack (script.c), indices into sim_script.node:
 * the proposers of rounds 0..3 of height 1 (four nodes of equal power take
 * them in turn; each attack names them after what they do). */
typedef enum { ROLE_P0, ROLE_P1, ROLE_P2, ROLE_P3, ROLE_COUNT_ } script_role;

/* A scripted attack's state: who plays which role, and what the Byzantine
 * node has shown so far (so that every copy it re-sends is the same). */
typedef struct {
    bool on;
    uint16_t node[ROLE_COUNT_];
    bool has_b0;                      /* B0: the value proposed in round 0 */
    hansa_hash b0;
    bool has_a;                       /* A: B's fresh proposal of round 1 */
    hbuf a_msg;                       /* its PROPOSAL message */
    hansa_hash a;
} sim_script;

/* The targeted delay (SIM_F_TARGETED): for `height` and each of the rounds
 * first_round .. + SIM_TARGET_ROUNDS - 1, a message of kind k (0 proposal,
 * 1 prevote, 2 precommit) signed by node s reaches node d before until_us
 * only if bit d of held[round][k][s] is clear; else when the window ends. */
#define SIM_TARGET_ROUNDS 4
typedef struct {
    uint64_t height;
    uint32_t first_round;
    uint64_t until_us;
    uint64_t held[SIM_TARGET_ROUNDS][3][SIM_NODES_MAX];
} sim_target;

/* The lock-split attack a lockbreak node launches at a height (attack.c):
 * B proposes round 1, P0 round 0, P2 round 2; N never gets round 0's
 * proposal; D alone gets B's precommit of round 1. */
typedef struct {
    bool on;
    bool a_to_p2;            /* round 1's proposal reaches P2 (the line-23 shape) */
    uint64_t height;
    uint16_t b, p0, p2, d;
    bool n[SIM_NODES_MAX];
} sim_locksplit;

struct world {
    sim_options o;
    sim_result *res;
    hansa_prng rng;
    /* Draws which crashes are power losses: a stream of its own, so that
     * a seed none of whose crashes is one runs as it did before them. */
    hansa_prng power_rng;
    sim_heap q;
    uint64_t now_us;
    uint16_t n;
    sim_node nodes[SIM_NODES_MAX];
    uint16_t by_key[SIM_NODES_MAX]; /* node indices sorted by pubkey */
    sim_chain chains[SIM_CHAINS_MAX];
    uint16_t n_chains;
    node_config cfg;                /* what every node is configured with */
    sim_checker chk[SIM_CHAINS_MAX]; /* one per chain, node indices local to it */
    uint64_t gst_us, settle_us, deadline_us;
    bool stable;                    /* now >= gst */
    bool partitioned;
    uint8_t group[SIM_NODES_MAX];
    uint64_t clog_until[SIM_NODES_MAX][SIM_NODES_MAX];
    sim_attack attacks[SIM_ATTACKS_MAX];
    size_t n_attacks;
    sim_script script;
    sim_target target;
    sim_locksplit locksplit;
    smap invalid_blocks;            /* ids of blocks the adversary made invalid (byz.c) */
    sim_block_pool *block_pool;     /* the block records every node's disk shares */
    sim_fedcheck fed;               /* the light-client checkers (several chains) */
    uint64_t fed_seen[SIM_NODES_MAX][SIM_CHAINS_MAX]; /* client heights fed.c has checked */
    hmap fed_backoff[SIM_NODES_MAX];   /* fedpkt.c: packet -> height before which not re-submitted */
    uint64_t fed_proved[SIM_CHAINS_MAX]; /* fedpkt.c: highest height a relayer proved from, per chain */
    /* fed.c (--frost): the proof of each chain's newest key at its newest
     * state-root height an honest node committed (height 0: none yet). */
    ic_key_proof fed_kp[SIM_CHAINS_MAX];
    uint64_t fed_kp_height[SIM_CHAINS_MAX];
    uint64_t fed_conservation;         /* fedpkt.c: conservation violations */
    char fed_conservation_first[256];
    sim_rcpt *rcpts;                   /* rcpt.c: receipts issued (allocated with the first) */
    size_t n_rcpts;
    uint64_t rcpt_bond_at[SIM_NODES_MAX]; /* rcpt.c: height a node's bond was sent at + 1 */
    uint64_t rcpt_bad;                 /* rcpt.c: receipt checker violations */
    char rcpt_first[256];
    sim_lifts *lifts;                  /* lifts.c (o.lifts) */
    sim_frost *frost;                  /* frost.c (o.frost) */
    uint16_t honest_done;           /* honest nodes that reached the target */
    uint16_t honest_count;
    hbuf scratch;
};

/* The checker of nd's chain. */
static inline sim_checker *world_chk(world *w, const sim_node *nd) { return &w->chk[nd->chain->idx]; }

/* sim.c */
void world_trace(world *w, sim_trace_kind kind, const sim_node *nd, uint16_t other,
                 uint64_t height, uint32_t round, uint8_t step, const hansa_hash *id, bool flag,
                 uint32_t bound);
void world_push(world *w, uint64_t time_us, uint32_t kind, const sim_node *nd, uint16_t peer,
                uint64_t height, uint32_t round, uint8_t sub, void *ptr);
int world_node_of_key(const world *w, const hansa_pubkey *pk);
uint64_t world_local_ms(const sim_node *nd, uint64_t now_us);
uint64_t world_global_us(const sim_node *nd, uint64_t local_ms);
uint64_t world_between(world *w, uint64_t lo, uint64_t hi);

/* host.c: one node's driver */
void host_init(sim_node *nd);
void host_free(sim_node *nd);
/* Starts the node's process on its disk (forget: amnesia first). */
void host_boot(sim_node *nd, bool forget);
/* Kills the process: what it did not write is gone, the store's lazy
 * writes still in its memory too (with power_loss, its machine loses
 * power: what only a relaxed commit carried too). */
void host_crash(sim_node *nd, bool power_loss);
/* Hands m to the node; a relay of it shares m (the caller's reference
 * is held throughout). */
void host_deliver(sim_node *nd, uint16_t from, sim_msg *m);
void host_wake(sim_node *nd);
void host_link_down(sim_node *nd, uint16_t peer);
void host_link_up(sim_node *nd, uint16_t peer);
/* A client's transaction for this node (RPC submit_tx); false if refused. */
bool host_submit_tx(sim_node *nd, const uint8_t *tx, size_t len, char *why, size_t why_len);
/* The same, with the node's error code. */
hansa_err host_submit_tx_err(sim_node *nd, const uint8_t *tx, size_t len, char *why, size_t why_len);
/* A client's receipt request for this node (RPC send_receipt). */
hansa_err host_receipt_request(sim_node *nd, const node_receipt_req *req, receipt *out, uint64_t *async,
                               node_receipt_done done, void *ctx, char *why, size_t why_len);
/* A proposal nd sends as its own (PROPOSAL message bytes): traced for the
 * lock checker. byz.c calls it for every face it shows. */
void host_observe_proposal(sim_node *nd, const uint8_t *b, size_t len);
/* True if a and b may exchange messages (same chain, both up, link up). */
bool host_linked(const world *w, uint16_t a, uint16_t b);

/* chain.c */
/* The chains' genesis and clients, from the seed (nodes' keys and powers set). */
void chain_setup(world *w);
/* A block was committed by nd (its node state is after it): checks it and
 * traces the sets. */
void chain_on_commit(sim_node *nd, uint64_t height);
/* A client of chain c acts. */
void chain_client_act(world *w, sim_chain *c);
/* Signs tx with key (its sig field) and appends its encoding to out. */
void chain_tx_sign_encode(const hansa_keypair *key, wire_tx *tx, hbuf *out);
/* After a refused submission: cl goes on from its account's nonce at nd
 * (a lost transaction left a gap), if nd is up. */
void chain_nonce_resync(const sim_node *nd, sim_client *cl);
/* At the end of a run: the last set of each chain is traced once more. */
void chain_finish(world *w);
/* Client transactions committed on c's slowest honest node that is up. */
uint64_t chain_committed_txs(const world *w, const sim_chain *c);
/* The highest round a height started after GST + settle may need, for a
 * node whose set for that height is vs: one past the round of its second
 * honest proposer (check.h, liveness). */
uint32_t chain_round_bound(const world *w, const cons_valset *vs);

/* fed.c: relaying and the light-client checkers, with several chains */
void fed_setup(world *w);
void fed_free(world *w);
/* nd committed height (block: its header hash); traced for the checkers. */
void fed_on_commit(sim_node *nd, uint64_t height, const hansa_hash *block);
/* After the input in which nd committed: it relays what is due and its
 * clients are checked. */
void fed_after_commit(sim_node *nd);
/* nd restarted at its store's height, last traced at `traced`. */
void fed_on_restart(sim_node *nd, uint64_t traced);
/* The clients' lag is checked; the checkers' counts go into r. */
void fed_finish(world *w, sim_result *r);
/* Light block `height` (0: the tip) from node ctx's store (an ic_fetch_fn). */
bool fed_fetch_store(void *ctx, uint64_t height, ic_light_block *out, char *why, size_t why_len);
/* The up, honest node of c with the highest height (NULL if none). */
const sim_node *fed_source_of(const world *w, const sim_chain *c);
/* The update a client with parameters p and trusted state `trusted` gets
 * from src towards target (0: src's tip; else exactly target), as hansad's
 * driver builds it with --cert auto: 1 built, *got its height; else
 * ic_build_update's result. Under --frost: by src's FROST checkpoint (with
 * the handoffs from the trusted key) when the client would take it; a
 * keyless trusted state gets a commit update to the newest state-root
 * height with the key proof kept there (fed_kp), if that height is above
 * it and not above target: FED_KEY_PROOF, and *got may be below target (a
 * detour that teaches the key first). Without --frost exactly
 * ic_build_update. */
#define FED_KEY_PROOF 2
int fed_build_update(world *w, const sim_node *src, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                     uint64_t now_ms, hbuf *body, uint64_t *got);

/* fedpkt.c: cross-chain transfers (see there) */
/* Appends a client's TX_PACKET_SEND body to body when this client tx is
 * to be one (nd: the node it goes to); false otherwise. */
bool fedpkt_client_send(world *w, sim_chain *c, const sim_node *nd, const sim_client *cl, hbuf *body);
/* The packet jobs (RELAY_PACKETS, RELAY_ACKS) of nd; other: the job's chain's node to read. */
void fedpkt_relay(sim_node *nd, const relay_job *job, const sim_node *other);
/* Conservation across the chains, one state per chain (state_of[k]: chain k's node or NULL). */
void fedpkt_check(world *w, const sim_node *const *state_of);

/* rcpt.c: receipts (o.receipts; see there) */
/* A client action about receipts (a bond, or a receipt asked of nd), or
 * false when this action is an ordinary one. */
bool rcpt_client_act(world *w, sim_chain *c, sim_node *nd);
/* After an honest node committed height: claims, and the checker. */
void rcpt_on_commit(sim_node *nd, uint64_t height);
void rcpt_finish(world *w, sim_result *r);

/* lifts.c: lifts inside and across chains (o.lifts; see there) */
/* Chain 1's first clients become chain 0's persons, the tallies are drawn
 * (after the chains' genesis accounts, before they are validated). */
void lifts_setup(world *w);
void lifts_free(world *w);
/* A client action about lifts on chain c through nd, or false when this
 * action is an ordinary one. */
bool lifts_client_act(world *w, sim_chain *c, sim_node *nd);
/* The checkers over one state per chain (state_of[k]: chain k's node or NULL). */
void lifts_check(world *w, const sim_node *const *state_of);
void lifts_finish(world *w, sim_result *r);
/* lift_attack.c: the scripted lift attacks (o.attack SIM_ATTACK_IS_LIFT) */
hansa_err lift_attack_check_options(const sim_options *o);
uint64_t lift_attack_gst_us(const world *w);
/* True while the attack has lifts to start or deadlines to reach. */
bool lift_attack_running(const world *w);

/* frost.c: the FROST duty and its checkers (o.frost; see there) */
/* Equal voting power under --frost: every set is keyable (frost_set_keyable). */
#define SIM_FROST_POWER 10
/* ... and with elections (--valset-change) large beside the votes clients
 * add (1..60 tokens each), so that elected sets stay keyable while votes
 * still decide who is elected. */
#define SIM_FROST_CHURN_POWER 100000
/* Seeds each node's generator (after the nodes are set up). */
void frost_setup(world *w);
void frost_free(world *w);
/* A message for nd, before the node takes it. */
void frost_on_deliver(sim_node *nd, const sim_msg *m);
/* A message nd sends (to one peer or all); false: a Byzantine node keeps it. */
bool frost_on_send(sim_node *nd, uint8_t type, const uint8_t *b, size_t len);
/* nd committed height (node_io.committed). */
void frost_on_commit(sim_node *nd, uint64_t height);
void frost_finish(world *w, sim_result *r);

/* net.c */
/* The capped exponential tail of a latency from a uniform 53-bit draw r53:
 * min(cap_us, floor(-log1p(-r53 / 2^53) * mean_us)), exactly. */
uint64_t sim_tail_us(uint64_t r53, uint64_t mean_us, uint64_t cap_us);
sim_msg *msg_new(uint8_t type, const uint8_t *p, size_t len);
/* m's vote (a MSG_VOTE that decodes), decoded once per message; else NULL. */
const wire_vote *msg_vote(sim_msg *m);
/* The verdict of verify_domain on msg_vote(m)'s signature, made once per
 * message (the verdict is a function of the bytes alone). */
bool msg_vote_sig_ok(sim_msg *m);
void msg_unref(sim_msg *m);
/* Frees a message no event holds (refs == 0); a no-op once it is queued. */
void msg_release_unsent(sim_msg *m);
/* Sends m from -> to through the network model after delay_us (the
 * sender's busy time); takes no reference from the caller. */
void simnet_send(world *w, uint16_t from, uint16_t to, sim_msg *m, uint64_t delay_us);
/* To every node linked to from, except `except` (-1: none). */
void simnet_broadcast(world *w, uint16_t from, sim_msg *m, int except, uint64_t delay_us);
/* To every node i linked to from with to[i]. */
void simnet_multicast(world *w, uint16_t from, sim_msg *m, const bool *to, uint64_t delay_us);

/* byz.c */
/* What a Byzantine node sends in place of broadcasting (type, bytes). */
void byz_broadcast(sim_node *nd, uint8_t type, const uint8_t *bytes, size_t len, int except);
void byz_garbage(sim_node *nd);
void byz_free(sim_node *nd);

/* attack.c */
/* b (a lockbreak node) just committed height - 1: it may attack height. */
void attack_consider(sim_node *b, uint64_t height);
/* True if b must propose a fresh block at (height, round) for the attack. */
bool attack_fresh(const sim_node *b, uint64_t height, uint32_t round);
/* True (and *to) if b's precommit at (height, round) goes to one node only. */
bool attack_precommit_to(const sim_node *b, uint64_t height, uint32_t round, uint16_t *to);
/* True if the attack holds m on the link from -> to now. */
bool attack_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m);

/* script.c */
/* Checks the options a scripted attack needs (HANSA_ERR_CONFIG if not). */
hansa_err script_check_options(const sim_options *o);
/* The voting power every node gets under the attack. */
#define SCRIPT_POWER 10
/* Assigns the roles from the proposer order of height 1 and makes the B
 * node Byzantine. */
void script_setup(world *w);
/* GST of a scripted run: the schedule's rules hold only before it. */
uint64_t script_gst_us(const world *w);
/* True if the schedule drops m on the link from -> to now. */
bool script_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m);
/* The B node's proposal and votes (byz.c hands them over). */
void script_byz_broadcast(sim_node *nd, uint8_t type, const uint8_t *bytes, size_t len, int except);
void script_free(world *w);

#endif
