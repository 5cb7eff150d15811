/* sim.h — the deterministic simulator of hansa chains.
 *
 * Modelled on TigerBeetle's VOPR: N production nodes (node/, and through it
 * the consensus engine, the ledger with real blocks and transactions, the
 * mempool, block sync and the WAL — the same code hansad runs) are driven
 * by a simulated world: a network with latency, loss, duplication,
 * reordering, partitions and one-way clogs; disks (disk.h) whose writes can
 * be cut short by a crash; clocks with offset and rate skew; clients that
 * submit signed transfers; and Byzantine delegates built from a real node
 * plus a wrapper that alters what it sends. One seeded PRNG drives
 * everything and there is no real time or I/O, so a (seed, options) pair
 * replays exactly and the run's digest (check.h) proves it. Checkers watch
 * the trace for safety and liveness violations; the run returns them in
 * sim_result rather than printing (report.c formats results for the CLI).
 *
 * A run: build N nodes with keys and unequal voting power from the seed, a
 * genesis naming them delegates, choose the Byzantine ones within the fault
 * budget, schedule faults until GST ("global stabilisation time": the last
 * fault ends), then let the honest nodes commit until each has committed
 * the target height or the simulated time limit passes. */
#ifndef HANSA_SIM_SIM_H
#define HANSA_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bytes.h"
#include "base/err.h"

/* Fault mixes are sets of these bits. */
enum {
    SIM_F_NET = 1u << 0,        /* latency tail, loss, duplication, reordering */
    SIM_F_PARTITION = 1u << 1,  /* the node set splits in two, then heals */
    SIM_F_CLOG = 1u << 2,       /* one direction of a link blocked for a while */
    SIM_F_CRASH = 1u << 3,      /* nodes crash (in-flight writes lost) and restart */
    SIM_F_DRIFT = 1u << 4,      /* clock offsets and +-5% rate skew */
    SIM_F_BYZ_EQUIVOCATE = 1u << 5, /* proposer sends two proposals to two halves */
    SIM_F_BYZ_DOUBLE_VOTE = 1u << 6,/* votes two values in one round */
    SIM_F_BYZ_SILENT = 1u << 7,     /* sends nothing */
    SIM_F_BYZ_GARBAGE = 1u << 8,    /* random bytes, bad signatures, far rounds */
    SIM_F_BYZ_INVALID = 1u << 9,    /* proposes and votes for invalid values */
    SIM_F_BYZ_AMNESIA = 1u << 10,   /* restarts with its signer state forgotten */
    SIM_F_TARGETED = 1u << 11,      /* per round of a height, proposals, prevotes or
                                       precommits held back from all but a few nodes */
    SIM_F_BYZ_LOCKBREAK = 1u << 12, /* proposes fresh values or old proof-of-lock values
                                       in place of its valid value */
};
#define SIM_F_BYZ_ALL                                                                      \
    (SIM_F_BYZ_EQUIVOCATE | SIM_F_BYZ_DOUBLE_VOTE | SIM_F_BYZ_SILENT | SIM_F_BYZ_GARBAGE |   \
     SIM_F_BYZ_INVALID | SIM_F_BYZ_AMNESIA | SIM_F_BYZ_LOCKBREAK)
#define SIM_F_ALL                                                                          \
    (SIM_F_NET | SIM_F_PARTITION | SIM_F_CLOG | SIM_F_CRASH | SIM_F_DRIFT | SIM_F_TARGETED |  \
     SIM_F_BYZ_ALL)

/* Scripted attacks: a fixed schedule instead of random faults (script.c). */
typedef enum {
    SIM_ATTACK_NONE,
    /* 4 nodes of equal power, one Byzantine: a schedule under which a
     * broken line-29 unlock rule (break_line29) decides two values at
     * height 1, and the correct rule keeps the lock. */
    SIM_ATTACK_LINE29,
    /* 4 honest nodes of equal power: two delegates lock a value only they
     * have seen a proof of lock for and crash after precommitting it, with
     * its proposer; restarted, only their WALs still hold its bytes
     * (scripts/mutate's wal-no-replay). */
    SIM_ATTACK_CRASH_PRECOMMIT,
    /* Lift attacks (lift_attack.c; need --lifts, 3 chains, no random
     * faults): each flaw MyCHIPs' DSR study found as a fixed schedule of
     * cross lifts in place of the random lift workload, each lift with the
     * outcome the real rules give it (docs/sim.md "Lift attacks"). */
    SIM_ATTACK_LIFT_INTERLOCK,  /* interlocking: two lifts that fit alone, not together */
    SIM_ATTACK_LIFT_TIMEOUT,    /* unilateral-timeout: a segment asks for its ruling past the expiry */
    SIM_ATTACK_LIFT_RELAY,      /* crashed-relay: a segment chain crashes before its promise is relayed */
    SIM_ATTACK_LIFT_SILENT,     /* silent-originator: one segment promised, nobody told the referee */
    SIM_ATTACK_LIFT_FORGE,      /* forged-commit: a colluding pair forges the referee's COMMIT */
    SIM_ATTACK_LIFT_INVOICE,    /* invoice-overlift: an invoice paid over a tally's pending legs */
    SIM_ATTACK_LIFT_ALL,        /* all: each of the above in turn in one run */
    /* frost-handoff (frost.c; needs --frost and --valset-change): at the
     * first new set after a key, a member of the old and the new set crashes a block in
     * and is back before the new key is recorded, and another old member is
     * down from before the record until after the handoff's round, so the
     * old group's threshold needs the restarted one (docs/sim.md "FROST"). */
    SIM_ATTACK_FROST_HANDOFF,
} sim_attack_kind;
/* The consensus schedules of script.c; the rest are lift_attack.c's. */
#define SIM_ATTACK_IS_SCRIPT(a) ((a) == SIM_ATTACK_LINE29 || (a) == SIM_ATTACK_CRASH_PRECOMMIT)
#define SIM_ATTACK_IS_LIFT(a) ((a) >= SIM_ATTACK_LIFT_INTERLOCK && (a) <= SIM_ATTACK_LIFT_ALL)

#define SIM_NODES_MIN 4
#define SIM_NODES_MAX 64 /* a node keeps at most NODE_PEERS_MAX (64) peers; byz.c's bitmasks */
#define SIM_CHAINS_MAX 4 /* chains in one world; nodes * chains <= SIM_NODES_MAX */
#define SIM_HEIGHTS_MAX 100000
#define SIM_VALSET_CHANGE_MAX 1000
#define SIM_LOAD_TPS_MAX 1000

typedef struct {
    uint64_t seed;
    uint16_t nodes;          /* per chain, SIM_NODES_MIN..; all chains' within SIM_NODES_MAX */
    /* Chains in the world (0 is read as 1), each with its own id, nodes,
     * clients, Byzantine budget and checkers; with more than one, every
     * genesis holds a light client of every other chain (as `hansa
     * federation up` writes them) and the nodes relay (fed.c). */
    uint8_t chains;
    uint64_t heights;        /* target: every honest node commits 1..heights */
    uint32_t faults;         /* SIM_F_* bits */
    bool byz_power_third;    /* Byzantine power >= 1/3 (breaks the fault budget) */
    bool break_line29;       /* node_config.test_break_line29 on honest nodes */
    FILE *trace;             /* optional: one line per trace event */
    bool no_pacing;          /* start each height at once (commit_delay_ms 0) */
    sim_attack_kind attack;  /* line29: 4 nodes, no faults; lift attacks: with lifts, no faults */
    /* Delegate churn: every valset_change heights the ledger holds an
     * election (epoch_blocks) and clients' TX_VOTEs have moved weight
     * between candidates, so members rotate in and out; evidence in a
     * block slashes its offender as always. 0: no elections by epoch. */
    uint32_t valset_change;
    /* Client transfers submitted per simulated second, over the chain's
     * clients (0: none); SIM_LOAD_TPS_MAX at most. */
    uint32_t load_tps;
    /* Receipts (rcpt.c): delegates bond collateral, clients ask for
     * receipts, double-spend some and claim the broken ones; checked that
     * honest signers pay every claim in full. */
    bool receipts;
    /* Lifts (lifts.c; needs 3 chains): tallies with debts on chains 0 and
     * 1, circular lifts inside each and across both, chain 2 the referee;
     * checked for balance bounds, agreement, conservation and liveness. */
    bool lifts;
    /* FROST (frost.c; one chain): every delegate runs the node's DKG duty
     * (frost_dkg) and signs every block's checkpoint; powers are equal (a
     * set must be keyable, ledger/tx_frost.h) and delegates funded (they
     * pay for their DKG transactions). Checked: one group key per epoch,
     * no nonce in two signature shares, a checkpoint for every height
     * while a threshold of the group is honest and up, every stored
     * checkpoint valid (docs/sim.md, "FROST"). */
    bool frost;
} sim_options;

typedef struct {
    hansa_hash digest;
    uint64_t heights_decided;    /* lowest height every honest node committed */
    uint64_t safety_violations;
    uint64_t liveness_failures;
    uint64_t violations[24];     /* per sim_violation */
    char first_violation[256];   /* "" when none */
    uint64_t sim_time_us, gst_us;
    uint64_t events, delivered, dropped, rejected, crashes, syncs, evidence;
    uint64_t max_round;          /* highest decision round seen */
    uint16_t byz_nodes;
    uint64_t byz_power, total_power;
    uint64_t txs_submitted, txs_committed; /* client transfers; committed on the slowest honest node */
    uint64_t disk_writes, write_crashes;   /* crashes that hit a node in the middle of a write */
    uint64_t full_stops;                   /* clean stops on a full disk (EV_CRASH, sub 3) */
    uint64_t power_losses;                 /* crashes that were power losses */
    uint64_t lazy_writes_lost;             /* lazy writes the crashes took (sim_disk_crash) */
    uint64_t set_changes;        /* validator sets that differ from the one before */
    uint64_t slashed;            /* delegates removed from the set after evidence */
    /* Penalty points (node_io.penalize) honest nodes gave honest peers: what
     * a real driver would have counted toward dropping them (hansad bans a
     * stranger at ban_score points; configured peers and delegates never). */
    uint64_t honest_penalty_points;
    uint64_t coverage[2];        /* protocol situations reached (check.h) */
    /* Several chains (fed.c): client updates honest nodes relayed, nodes
     * whose clients' lag was checked at the end, and the largest lag seen;
     * under --frost, how many of the updates went by FROST checkpoint and
     * how many carried a key proof. */
    uint64_t relay_updates, clients_checked, client_lag_max;
    uint64_t relay_frost, relay_key_proofs;
    /* Cross-chain transfers (fedpkt.c): sends clients submitted, recvs and
     * acks relayers submitted, conservation checks made after commits. */
    uint64_t packets_sent, packet_recvs, packet_acks, conservation_checks;
    /* Receipts (rcpt.c): asked of nodes, issued, double-spent at another
     * node, claims submitted, claims paid, receipts whose transfer committed in time. */
    uint64_t receipts_asked, receipts_issued, receipt_double_spends, receipt_claims, receipts_paid,
        receipts_kept;
    /* Lifts (lifts.c): local lifts and cross lifts started, promises and
     * rulings sent, checks made; lifts committed, cross lifts the referee
     * ruled EXPIRED, cross lifts whose liveness deadline fell in the run;
     * forged rulings submitted, and those a node took into its mempool. */
    uint64_t lifts_local, lifts_cross, lift_promises, lift_rulings, lift_checks, lifts_committed,
        lifts_expired, lifts_live_checked, lift_forgeries, lift_forgeries_taken;
    /* Lift latency in simulated time (made to first seen committed on every
     * chain it touches, by the highest honest node of each): p50, p99 and
     * how many lifts, inside one chain and across chains. */
    uint64_t lift_local_p50_ms, lift_local_p99_ms, lift_local_timed, lift_cross_p50_ms, lift_cross_p99_ms,
        lift_cross_timed;
    /* Lift attacks: the scripted lifts, those that ended as the real rules
     * make them end, and the crashes the script made. */
    uint64_t attack_lifts, attack_lifts_as_ruled, attack_crashes;
    /* FROST (frost.c): group keys the chain recorded, the mean simulated
     * time from an epoch's first block to its key, signature shares honest
     * nodes sent (and forged REQUESTs Byzantine coordinators sent),
     * heights with a stored checkpoint on some honest node, heights the
     * liveness rule covered and those of them unsigned, stored checkpoints
     * and handoffs checked. */
    uint64_t frost_keys, frost_dkg_ms, frost_shares, frost_forged, frost_signed, frost_live_checked,
        frost_missed, frost_checked, frost_handoffs;
    uint64_t frost_share_reqs; /* DKG_SHARE_REQs honest nodes sent (back after the share window) */
    uint64_t frost_handoffs_judged; /* key changes whose handoff the liveness rule judged */
} sim_result;

void sim_options_default(sim_options *o);

/* Runs one simulation. Returns HANSA_OK and fills *r (violations are
 * results, not errors), or HANSA_ERR_CONFIG for options out of range or an
 * attack combined with options it does not support. */
hansa_err sim_run(const sim_options *o, sim_result *r);

/* Parses a fault mix: a name (none, net, partition, clog, crash, drift,
 * byzantine, byz-equivocate, byz-double-vote, byz-silent, byz-garbage,
 * byz-invalid, byz-amnesia, all) or several joined with '+'. On error *why
 * names the unknown part. */
hansa_err sim_faults_parse(const char *s, uint32_t *out, const char **why);
/* Coverage-guided fault mixes for campaigns that leave the mix to chance
 * ("--faults random"). Each fault bit has a weight; a mix drawn from a
 * seed takes each of net, partition, clog, crash, drift and targeted with
 * probability w / (w + mean w), and in two runs of three one or two
 * Byzantine kinds chosen in proportion to their weights. After a run,
 * every protocol situation it reached that the campaign had not reached
 * before (sim_result.coverage) adds one to the weights of its mix's bits
 * (up to 4), so the campaign leans toward the faults that led somewhere
 * new. All weights equal: each plain fault with probability 1/2, kinds
 * uniform. */
#define SIM_FAULT_BITS 13
typedef struct {
    uint32_t weight[SIM_FAULT_BITS];
    uint64_t seen[2];      /* the campaign's coverage so far */
} sim_guide;
void sim_guide_init(sim_guide *g);
uint32_t sim_faults_guided(const sim_guide *g, uint64_t seed);
/* Folds a run with `faults` into g; returns how many situations were new. */
unsigned sim_guide_update(sim_guide *g, uint32_t faults, const sim_result *r);
/* Writes bits as a mix sim_faults_parse reads back ("none", or names
 * joined with '+'). */
void sim_faults_format(uint32_t bits, char *out, size_t out_len);
/* Parses an attack name (line29, crash-precommit, interlocking, unilateral-timeout,
 * crashed-relay, silent-originator, forged-commit, invoice-overlift, all). */
hansa_err sim_attack_parse(const char *s, sim_attack_kind *out);
const char *sim_attack_name(sim_attack_kind a);

/* Prints the run's figures and violations, one "key value" per line (report.c). */
void sim_report_run(FILE *f, const sim_options *o, const sim_result *r);
/* Prints the command that replays this run. */
void sim_report_replay(FILE *f, const char *prog, const sim_options *o, const char *faults);

#endif
