/* world.h — the simulated world's state, shared by the sim_*.c files.
 *
 * Internal to src/sim/. sim.c sets the world up, schedules faults and runs
 * the event loop; node.c drives one node's engine (inputs, outputs, disk,
 * crash and restart, block sync); net.c carries messages; byz.c holds the
 * Byzantine wrappers; vset.c changes the validator set and slashes. Everything random comes from w->rng, everything timed
 * from w->now_us, so the order of events is a function of the seed alone. */
#ifndef HANSA_SIM_WORLD_H
#define HANSA_SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/rng.h"
#include "consensus/engine.h"
#include "crypto/sign.h"
#include "sim/check.h"
#include "sim/heap.h"
#include "sim/smap.h"
#include "sim/sim.h"
#include "sim/vcache.h"
#include "wire/codec.h"

/* Event kinds in the queue. */
enum {
    EV_DELIVER = 1,  /* ptr = sim_msg, peer = sender */
    EV_TIMER,        /* engine timer: sub = cons_timer_kind, height, round */
    EV_PERSISTED,    /* disk write done: height = persist seq */
    EV_REBROADCAST,  /* driver timer */
    EV_SYNC_TICK,    /* driver timer */
    EV_CRASH,
    EV_RESTART,      /* sub = 1: forget signer state (amnesia) */
    EV_PARTITION,
    EV_HEAL,
    EV_CLOG,         /* node -> peer */
    EV_UNCLOG,
    EV_GARBAGE,      /* a garbage-sending Byzantine node acts */
    EV_AMNESIA,      /* an amnesiac node crashes */
    EV_GST,
    EV_NEXT_HEIGHT,  /* block interval over: start height */
};

/* Messages on the simulated wire: a type byte, then the payload. */
enum {
    MSG_PROPOSAL = 1, /* u32 len, proposal encoding, u32 len, value */
    MSG_VOTE = 2,     /* vote encoding */
    MSG_SYNC_REQ = 3, /* u64 first height wanted */
    MSG_SYNC_RESP = 4, /* u8 count, then per entry: u64 height, u32 len, value, u32 len, commit */
    MSG_EVIDENCE = 5   /* u16 accused node (vset.c) */
};
#define SYNC_ENTRIES_MAX 8
#define SIM_WAL_MAX 16384 /* messages per height: n * rounds * 2 types * 2 faces */
#define SIM_VALUE_BYTES 32
#define VALUE_FLAG_INVALID 1
#define VALUE_FLAG_ALT 2

typedef struct {
    uint32_t refs;
    uint32_t len;
    hansa_hash hash; /* of the bytes, for the trace */
    uint8_t data[];
} sim_msg;

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
} byz_kind;

/* A decided value with its certificate, shared by every node that decided it. */
typedef struct sim_block {
    uint64_t height;
    hansa_hash id;
    uint8_t *value;
    size_t value_len;
    uint8_t *commit; /* encoded wire_commit */
    size_t commit_len;
    struct sim_block *next_same_height;
    struct sim_block *next_all;
} sim_block;

typedef struct {
    uint64_t seq;
    cons_signer_state st;
} sim_write;

typedef struct world world;

typedef struct {
    uint64_t height;
    sim_msg *m;
    bool own; /* a vote this node signed and released (re-sent by the driver) */
} sim_wal_entry;

typedef struct {
    world *w;
    uint16_t idx;
    byz_kind byz;
    uint8_t half;            /* which side a two-faced Byzantine node shows it */
    hansa_keypair key;
    uint64_t power;
    int64_t offset_us;       /* local clock = offset + now * (1e6 + skew) / 1e6 */
    int32_t skew_ppm;
    bool up;
    uint32_t inc;            /* incarnation: bumped at each crash */
    cons_engine *e;
    /* Disk: the last completed signer-state write, and the writes in flight. */
    bool disk_has;
    cons_signer_state disk;
    sim_write *pend;
    size_t n_pend, cap_pend;
    uint64_t disk_free_us;   /* writes complete in order */
    /* Durable decided log: decided[h-1] for heights 1..n_decided. */
    sim_block **decided;
    uint64_t n_decided, cap_decided;
    uint64_t height_start_us;
    uint64_t last_sync_us;
    /* WAL: proposals and votes the engine took at the current height,
     * durable (logged before the node acts on them) and replayed after a
     * restart, as a Tendermint node's WAL does. A locked node thus keeps
     * its locked value's bytes and the proof-of-lock prevotes behind its
     * lock: without them, a lock whose POL included a Byzantine face that
     * only crashed nodes had seen can never be shown to anyone again, and
     * the height stalls (seed 237, 4 nodes, --faults all). Messages of the
     * next height count too: the engine buffers them, and a proposal that
     * came early is still the one a node locks on (seed 436, --faults
     * crash, 8 heights). The node's own messages are logged as well. */
    sim_wal_entry *wal;     /* heights: the current one and the next */
    size_t n_wal, cap_wal;
    smap wal_seen;          /* hashes of the logged messages */
    /* Block pacing: the next height starts one block interval after a decision. */
    /* Votes the engine accepted at the current height, for the evidence check. */
    smap votes_seen;
    uint64_t votes_seen_height;
    uint32_t votes_seen_inc;
    /* Evidence pool (vset.c), by accused node: durable, like the real one. */
    bool evidence_pool[SIM_NODES_MAX];
} sim_node;

typedef struct {
    uint64_t height;
    uint32_t round;
    hansa_hash a, b; /* the two faces of an equivocating proposal */
} sim_attack;
#define SIM_ATTACKS_MAX 64

/* The roles of the line-29 attack (script.c), indices into sim_script.node. */
typedef enum { ROLE_B, ROLE_H1, ROLE_H2, ROLE_H3, ROLE_COUNT_ } script_role;

/* A scripted attack's state: who plays which role, and what the Byzantine
 * node has shown so far (so that every copy it re-sends is the same). */
typedef struct {
    bool on;
    uint16_t node[ROLE_COUNT_];
    bool has_b0;                      /* B0: the value proposed in round 0 */
    hansa_hash b0;
    bool has_a;                       /* A: B's fresh proposal of round 1 */
    wire_proposal a_prop;
    uint8_t a_value[SIM_VALUE_BYTES];
} sim_script;

struct world {
    sim_options o;
    sim_result *res;
    hansa_prng rng;
    sim_heap q;
    uint64_t now_us;
    uint16_t n;
    sim_node nodes[SIM_NODES_MAX];
    uint16_t by_key[SIM_NODES_MAX]; /* node indices sorted by pubkey */
    cons_config cfg;
    cons_valset *vs;                /* vs[h-1]: set of height h (default fn) */
    uint64_t n_vs, cap_vs;
    sim_vcache *vc;
    sim_checker chk;
    uint64_t gst_us, settle_us, deadline_us;
    bool stable;                    /* now >= gst */
    bool partitioned;
    uint8_t group[SIM_NODES_MAX];
    uint64_t clog_until[SIM_NODES_MAX][SIM_NODES_MAX];
    sim_attack attacks[SIM_ATTACKS_MAX];
    size_t n_attacks;
    sim_script script;
    sim_block **blocks;             /* blocks[h-1]: distinct decided values */
    uint64_t cap_blocks;
    sim_block *all_blocks;
    uint16_t honest_done;           /* honest nodes that reached the target */
    uint16_t honest_count;
    hbuf scratch;
    /* vset.c: nodes some engine emitted evidence against (the sim's stand-in
     * for checking the two signed votes), and nodes the chain has slashed
     * in the sets computed so far. */
    bool evidenced[SIM_NODES_MAX];
    bool slashed[SIM_NODES_MAX];
};

/* sim.c */
void world_trace(world *w, sim_trace_kind kind, const sim_node *nd, uint16_t other,
                 uint64_t height, uint32_t round, uint8_t step, const hansa_hash *id, bool flag,
                 uint32_t bound);
void world_push(world *w, uint64_t time_us, uint32_t kind, const sim_node *nd, uint16_t peer,
                uint64_t height, uint32_t round, uint8_t sub, void *ptr);
const cons_valset *world_valset(world *w, uint64_t height);
int world_node_of_key(const world *w, const hansa_pubkey *pk);
uint64_t world_local_ms(const sim_node *nd, uint64_t now_us);
uint64_t world_global_us(const sim_node *nd, uint64_t local_ms);
/* Highest round a height started after GST + settle may need: one past the
 * round of its second honest proposer (check.h, liveness). */
uint32_t world_round_bound(world *w, uint64_t height);

/* node.c */
void simnode_boot(sim_node *nd, bool forget);
void simnode_crash(sim_node *nd);
void simnode_on_message(sim_node *nd, uint16_t from, const sim_msg *m);
void simnode_on_timer(sim_node *nd, const sim_event *ev);
void simnode_on_persisted(sim_node *nd, uint64_t seq);
void simnode_rebroadcast(sim_node *nd);
void simnode_sync_tick(sim_node *nd);
void simnode_make_value(sim_node *nd, uint64_t height, uint32_t round, uint8_t flags, uint8_t *out,
                     hansa_hash *id);
void simnode_free(sim_node *nd);
void simnode_next_height(sim_node *nd, uint64_t height);
/* The cons_app callbacks; ctx is the sim_node. */
bool simnode_app_get_value(void *ctx, uint64_t height, uint32_t round, hbuf *out, hansa_hash *id);
bool simnode_app_valid(void *ctx, uint64_t height, const uint8_t *value, size_t len,
                    const hansa_hash *id);
bool simnode_app_verify(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
                     size_t len, const hansa_sig *sig);

/* vset.c (only with o.valset_change) */
/* The set of heights 1 and 2, from the seed (w->vs[0] must hold all nodes). */
void vset_genesis(world *w);
/* Appends the set of height w->n_vs + 1 (>= 3) to w->vs, from the set before
 * it and the value decided at height - 2. */
void vset_next(world *w);
/* Traces the members of the set of `height` (SIM_T_VALSET). */
void vset_trace(world *w, uint64_t height);
/* Appends a node's evidence list to a value: u8 count, u16 accused... */
void vset_value_tail(const sim_node *nd, hbuf *out);
/* True when tail (the bytes after the first SIM_VALUE_BYTES) is a
 * well-formed evidence list of genuine evidence. */
bool vset_tail_ok(const world *w, const uint8_t *tail, size_t len);
/* An engine emitted evidence against node `accused` (-1: not a node). */
void vset_on_evidence(sim_node *nd, int accused);
void vset_on_message(sim_node *nd, wire_rd *r);
/* Re-sends the pool's evidence the chain has not acted on yet. */
void vset_rebroadcast(sim_node *nd);

/* net.c */
sim_msg *msg_new(const uint8_t *p, size_t len);
void msg_unref(sim_msg *m);
/* Frees a message no event holds (refs == 0); a no-op once it is queued. */
void msg_release_unsent(sim_msg *m);
/* Sends m from -> to through the network model; takes no reference from the caller. */
void simnet_send(world *w, uint16_t from, uint16_t to, sim_msg *m);
void simnet_broadcast(world *w, uint16_t from, sim_msg *m);
/* Sends m to every node i with to[i]. */
void simnet_multicast(world *w, uint16_t from, sim_msg *m, const bool *to);
sim_msg *msg_vote(world *w, const wire_vote *v);
sim_msg *msg_proposal(world *w, const wire_proposal *p, const uint8_t *value, size_t len);

/* byz.c */
void byz_send_proposal(sim_node *nd, const wire_proposal *p, const uint8_t *value, size_t len);
void byz_send_vote(sim_node *nd, const wire_vote *v);
void byz_garbage(sim_node *nd);
void sign_vote(const sim_node *nd, wire_vote *v);
void sign_proposal(const sim_node *nd, wire_proposal *p);
void byz_script_proposal(sim_node *nd, const wire_proposal *p, const uint8_t *value, size_t len);
void byz_script_vote(sim_node *nd, const wire_vote *v);

/* script.c */
/* Checks the options a scripted attack needs (HANSA_ERR_CONFIG if not). */
hansa_err script_check_options(const sim_options *o);
/* The voting power every node gets under the attack. */
#define SCRIPT_POWER 1
/* Assigns the roles from the proposer order of height 1 (w->vs[0] built)
 * and makes the B node Byzantine. */
void script_setup(world *w);
/* GST of a scripted run: the schedule's rules hold only before it. */
uint64_t script_gst_us(const world *w);
/* True if the schedule drops m on the link from -> to now. */
bool script_drops(world *w, uint16_t from, uint16_t to, const sim_msg *m);

#endif
