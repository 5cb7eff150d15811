/* check.h — the simulator's trace and the invariant checkers that read it.
 *
 * Every observable thing in a run (a message delivered, dropped or rejected,
 * a message signed, a decision, evidence, a crash, a partition...) becomes
 * one sim_trace_ev. The trace feeds two consumers:
 *   - a SHA-256 digest over the canonical encoding of every event, printed at
 *     the end of a run, so two runs can be compared byte for byte;
 *   - the checkers below, which see nothing but the trace. That keeps them
 *     honest (they cannot peek into the engine) and lets the tests feed them
 *     hand-made bad traces to show each one fires.
 *
 * Checkers (DESIGN.md section 5):
 *   agreement     no two honest nodes decide different values at a height;
 *   validity      every honest decision passed the application's valid(),
 *                 and no honest node votes for a block known to be invalid
 *                 (SIM_T_VOTED_INVALID: Alg. 1 prevotes id(v) only if valid(v));
 *   one decision  a node decides each height at most once;
 *   no double sign  an honest key never signs two different messages for
 *                 one height/round/step, across crashes;
 *   evidence      an honest node that was handed two conflicting votes from
 *                 one validator (EQUIVOCATION_SEEN) emits EVIDENCE against
 *                 that validator before it leaves that height, crashes, or
 *                 the run ends, unless it has accused it before or any
 *                 honest node did at an earlier height (one item per
 *                 offender slashes and tombstones it: node/chain.c);
 *   liveness      a decision whose `bound` is set must come at a round no
 *                 higher than it (the driver sets bounds for heights started
 *                 after GST + settle), and sim_checker_finish() reports every
 *                 honest node that did not reach the target height;
 *   slashing      a validator that an honest node emitted evidence against
 *                 at height e is not a member of the last set traced
 *                 (SIM_T_VALSET), at height H, when e + SIM_SLASH_MARGIN <=
 *                 H: by then its evidence has had time to be gossiped,
 *                 carried in a block and take effect two heights later
 *                 (sim_checker_finish);
 *   signed after failure  an honest node whose write of the signer state,
 *                 the WAL or a block failed (SIM_T_WRITE_FAILED, a full disk)
 *                 releases no signed message until it is torn down
 *                 (SIM_T_CRASH): it stops at the failed write (node.c,
 *                 "persist, then release"; issue 15);
 *   node stopped  an honest node never stops (SIM_T_STOPPED: it found the
 *                 chain's decision invalid — its state diverged — or its
 *                 storage failed);
 *   supply        after every block an honest node commits, the ledger's
 *                 supply equation holds (ledger_supply_check; the flag of
 *                 SIM_T_COMMITTED);
 *   app hash      honest nodes that committed a height hold the same state
 *                 (the id of SIM_T_COMMITTED is the app hash);
 *   block time    (PBTS, docs/consensus.md) the time of every block lies
 *                 within what an honest clock can accept: no later than the
 *                 true time of its first honest commit plus the honest clock
 *                 offset and the precision, no earlier than the true time
 *                 the height first started minus the offset, the precision
 *                 and the message delay of every round up to its decision
 *                 (a Byzantine proposer with a clock a minute off gets nil);
 *   lock          (Alg. 1 lines 23, 29, 36-39, 15) an honest node that
 *                 precommitted v in round r of a height is locked on v from
 *                 r on: it prevotes another value w in a later round r' only
 *                 for a proposal of w whose proof-of-lock round is >= r (a
 *                 fresh proposal, or an older proof, must get nil), and as
 *                 the proposer of a later round it proposes its valid value
 *                 with its round, never a fresh value. Seen from outside: its
 *                 released votes (SIM_T_VOTED) against every proposal sent
 *                 (SIM_T_PROPOSAL). */
#ifndef HANSA_SIM_CHECK_H
#define HANSA_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bytes.h"
#include "crypto/sha256.h"
#include "sim/smap.h"

/* Values are part of the digest's canonical form: append only. */
typedef enum {
    SIM_T_DELIVER = 1,   /* node got a message from other; id = hash of bytes */
    SIM_T_DROP,          /* lost, partitioned, clogged or to a crashed node */
    SIM_T_REJECT,        /* node's decoder or engine refused it; step = hansa_err */
    SIM_T_SIGNED,        /* node released a signed message; step = cons_step;
                            id = SHA-256 of its sign bytes */
    SIM_T_DECIDE,        /* node decided id at height/round; flag = passed valid() */
    SIM_T_EQUIVOCATION_SEEN, /* node was handed two different votes of validator other
                                for height/round/step(type) at that height */
    SIM_T_EVIDENCE,      /* node emitted evidence against other for height/round/type */
    SIM_T_HEIGHT_START,  /* node started height */
    SIM_T_CRASH,         /* flag = a power loss (its unsynced writes lost too) */
    SIM_T_RESTART,       /* flag = restarted with its signer state forgotten */
    SIM_T_PARTITION,
    SIM_T_HEAL,
    SIM_T_CLOG,          /* node -> other blocked */
    SIM_T_UNCLOG,
    SIM_T_TIMEOUT,       /* an engine timer fired; step = timer kind */
    SIM_T_GST,           /* the last fault is over */
    SIM_T_SYNC,          /* node committed height from a peer's BLOCK (block sync) */
    SIM_T_VALSET,        /* node is a member of the set of height, power in round
                            (one event per member, when the set is computed) */
    SIM_T_STOPPED,       /* node stopped with a fatal error */
    SIM_T_COMMITTED,     /* node committed height; id = app hash after it,
                            flag = the supply equation holds */
    SIM_T_TARGET,        /* the targeted delay holds back messages of height from
                            round on (sim.c, on_target) */
    SIM_T_VOTED_INVALID, /* node signed a vote (type in step) for block id, which is
                            invalid (the adversary made it so) */
    SIM_T_PROPOSAL,      /* node sent a proposal for block id at height/round with
                            proof-of-lock round `bound` (UINT32_MAX: none) */
    SIM_T_VOTED,         /* node released its vote (type in step) for block id
                            (flag: not nil) at height/round */
    SIM_T_ATTACK,        /* node (Byzantine) launched the lock-split attack at
                            height (attack.c); other = the round-2 proposer */
    SIM_T_BLOCK_TIME,    /* node committed height, decided at round, whose block
                            time in ms is the u64 LE in the first 8 bytes of id */
    SIM_T_WRITE_FAILED,  /* a write of node's signer state, WAL or block failed
                            (disk full; step = sim_disk_op): it must sign nothing
                            more until it is torn down (SIM_T_CRASH) */
} sim_trace_kind;

typedef struct {
    sim_trace_kind kind;
    uint64_t time_us;
    uint16_t node;
    uint16_t other;
    bool honest;         /* node is honest */
    bool flag;
    uint64_t height;
    uint32_t round;
    uint32_t bound;      /* DECIDE: highest round allowed, UINT32_MAX = unchecked */
    uint8_t step;
    hansa_hash id;
} sim_trace_ev;

typedef enum {
    SIM_V_AGREEMENT,
    SIM_V_VALIDITY,
    SIM_V_DOUBLE_DECIDE,
    SIM_V_DOUBLE_SIGN,
    SIM_V_EVIDENCE,
    SIM_V_LIVENESS_ROUNDS,
    SIM_V_LIVENESS_STALL,
    SIM_V_SLASHING,
    SIM_V_STOPPED,
    SIM_V_SUPPLY,
    SIM_V_APP_HASH,
    SIM_V_LOCK,
    SIM_V_BLOCK_TIME,
    SIM_V_CLIENT_SAFETY,   /* fedcheck.h: a light client stored a header its chain did not commit,
                              or froze while that chain kept its fault budget */
    SIM_V_CLIENT_LIVENESS, /* fedcheck.h: a light client trails its chain too far at the end */
    SIM_V_CONSERVATION,    /* fedpkt.c: value created or lost across the chains */
    SIM_V_RECEIPTS,        /* rcpt.c: a receipt honest nodes signed was not paid in full */
    SIM_V_LIFTS,           /* lifts.c: a lift broke a balance bound, agreement or conservation */
    SIM_V_LIFT_LIVENESS,   /* lifts.c: a lift not resolved on every chain well past its expiry */
    SIM_V_FROST_KEY,       /* frostcheck.h: two group keys for one epoch */
    SIM_V_FROST_NONCE,     /* frostcheck.h: one nonce commitment in two signature shares */
    SIM_V_FROST_LIVENESS,  /* frostcheck.h: a height unsigned while a threshold was honest and up */
    SIM_V_FROST_CHECKPOINT,/* frostcheck.h: a stored checkpoint or handoff that does not verify */
    SIM_V_SIGNED_AFTER_FAILURE, /* a node signed after its signer state, WAL or block write failed */
    SIM_V_COUNT_
} sim_violation;

#define SIM_CHECK_NODES_MAX 128
#define SIM_COVERAGE_WORDS 2 /* 128 situation bits */
#define SIM_OWED_MAX 4096
#define SIM_SLASH_MARGIN 6
#define SIM_CHECK_WINDOW_MARGIN 1024 /* heights kept below the lowest honest decision */
#define SIM_DIGEST_EVENT_BYTES 64 /* check.c, digest_event */
#define SIM_DIGEST_BUF_BYTES (64 * SIM_DIGEST_EVENT_BYTES)

typedef struct {
    uint16_t node, validator;
    uint64_t height;
    uint32_t round;
    uint8_t type;
} sim_owed;

/* One height, as the checks see it. */
typedef struct {
    hansa_hash first_decision; /* the first honest decision */
    hansa_hash first_app_hash; /* the app hash after the first honest commit */
    uint64_t start_us;         /* true time an honest node first started it */
    bool has_decision, has_app_hash, has_start;
    bool block_time_seen;      /* its block time was checked */
} sim_height;

/* One node at one height: its decision and what it signed in round 0 (the
 * round nearly every height ends in; later rounds go to signed_msgs). */
#define SIM_CHECK_STEPS 3 /* cons_step: propose, prevote, precommit */
typedef struct {
    hansa_hash decided;
    hansa_hash signed0[SIM_CHECK_STEPS];
    bool has_decided;
    bool has_signed0[SIM_CHECK_STEPS];
} sim_node_height;

typedef struct {
    uint16_t nodes;
    sha256_ctx digest;
    /* Events not yet hashed into digest: hashed 64 at a time, one call
     * instead of 64 (the digest is the same: SHA-256 of the concatenation). */
    uint8_t digest_buf[SIM_DIGEST_BUF_BYTES];
    size_t digest_buf_len;
    uint64_t events;
    /* What the checks keep of height h, in arrays indexed by h - base (and
     * node): a run's heights come one after another, so an array costs
     * less than a map. Heights below base are dropped: every honest node
     * decided them at least SIM_CHECK_WINDOW_MARGIN heights before, and an
     * honest node neither decides nor signs a height it decided (check.c,
     * height_at); a decision or signature there is a violation itself. */
    sim_height *heights;  /* [h - base] */
    sim_node_height *node_heights; /* [(h - base) * nodes + node] */
    uint64_t heights_base; /* the first height kept */
    uint64_t heights_cap; /* entries of `heights` */
    smap signed_msgs;     /* (node, height, round<<8|step) -> sign-bytes hash, rounds > 0 */
    smap evidence_known;  /* offences owed or paid, so each is owed once */
    smap proposals;       /* (height, round, id prefix) -> highest proof-of-lock round + 1 */
    bool write_failed[SIM_CHECK_NODES_MAX]; /* since its last SIM_T_CRASH */
    /* Each node's lock as its votes show it: its highest non-nil precommit
     * of lock_height (round, block); lock_height 0 = none. */
    uint64_t lock_height[SIM_CHECK_NODES_MAX];
    uint32_t lock_round[SIM_CHECK_NODES_MAX];
    hansa_hash lock_id[SIM_CHECK_NODES_MAX];
    sim_owed owed[SIM_OWED_MAX];
    size_t n_owed;
    uint64_t decided_height[SIM_CHECK_NODES_MAX]; /* highest decided, per node */
    bool honest[SIM_CHECK_NODES_MAX];
    uint64_t evidence_height[SIM_CHECK_NODES_MAX]; /* first honest evidence against; 0 none */
    uint64_t set_height;                           /* last set traced; 0 none */
    bool member[SIM_CHECK_NODES_MAX];              /* of that set */
    /* The block-time bound (sim_checker_time_bound); off while precision_ms
     * is 0. */
    struct {
        uint64_t genesis_ms, offset_ms, precision_ms, delay_ms;
    } tb;
    uint64_t count[SIM_V_COUNT_];
    /* Protocol situations the run reached (check.c: decisions and votes by
     * round, proposals with and without proof of lock, locks moved or split
     * across nodes, a proposal whose proof of lock is older than a node's
     * lock, evidence, crashes, attacks...); campaigns steer by it (sim_guide,
     * sim.h). */
    uint64_t coverage[SIM_COVERAGE_WORDS];
    char first[256];      /* the first violation, in words */
} sim_checker;

void sim_checker_init(sim_checker *c, uint16_t nodes, const bool *honest);
void sim_checker_free(sim_checker *c);
/* Turns on the block-time checker: honest wall clocks read genesis_ms + true
 * time +- offset_ms, and proposals are timely within precision_ms and
 * delay_ms per round (node_config's PBTS bounds). */
void sim_checker_time_bound(sim_checker *c, uint64_t genesis_ms, uint64_t offset_ms,
                            uint64_t precision_ms, uint64_t delay_ms);
/* Digests ev and runs every checker on it. */
void sim_checker_feed(sim_checker *c, const sim_trace_ev *ev);
/* Ends the run: owed evidence still unpaid counts, and every honest node
 * below target_height is a liveness failure. Writes the digest. */
void sim_checker_finish(sim_checker *c, uint64_t target_height, hansa_hash *digest);

uint64_t sim_checker_safety(const sim_checker *c);
uint64_t sim_checker_liveness(const sim_checker *c);
const char *sim_violation_name(sim_violation v);

/* One line per event, for --trace (report.c). */
void sim_trace_print(FILE *f, const sim_trace_ev *ev);

#endif
