/* check.c — trace digest and invariant checkers; see check.h. */
#include "sim/check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"

const char *sim_violation_name(sim_violation v) {
    switch (v) {
    case SIM_V_AGREEMENT: return "agreement";
    case SIM_V_VALIDITY: return "validity";
    case SIM_V_DOUBLE_DECIDE: return "one-decision";
    case SIM_V_DOUBLE_SIGN: return "double-sign";
    case SIM_V_EVIDENCE: return "evidence";
    case SIM_V_LIVENESS_ROUNDS: return "liveness-rounds";
    case SIM_V_LIVENESS_STALL: return "liveness-stall";
    case SIM_V_SLASHING: return "slashing";
    case SIM_V_STOPPED: return "node-stopped";
    case SIM_V_SUPPLY: return "supply";
    case SIM_V_APP_HASH: return "app-hash";
    case SIM_V_LOCK: return "lock";
    case SIM_V_BLOCK_TIME: return "block-time";
    case SIM_V_CLIENT_SAFETY: return "client-safety";
    case SIM_V_CLIENT_LIVENESS: return "client-liveness";
    case SIM_V_CONSERVATION: return "conservation";
    case SIM_V_RECEIPTS: return "receipts";
    case SIM_V_LIFTS: return "lifts";
    case SIM_V_LIFT_LIVENESS: return "lift-liveness";
    case SIM_V_FROST_KEY: return "frost-key";
    case SIM_V_FROST_NONCE: return "frost-nonce";
    case SIM_V_FROST_LIVENESS: return "frost-liveness";
    case SIM_V_FROST_CHECKPOINT: return "frost-checkpoint";
    case SIM_V_SIGNED_AFTER_FAILURE: return "signed-after-failure";
    case SIM_V_COUNT_: break;
    }
    return "?";
}

void sim_checker_init(sim_checker *c, uint16_t nodes, const bool *honest) {
    HANSA_ASSERT(nodes > 0);
    HANSA_ASSERT(nodes <= SIM_CHECK_NODES_MAX);
    memset(c, 0, sizeof *c);
    c->nodes = nodes;
    memcpy(c->honest, honest, nodes * sizeof *honest);
    sha256_init(&c->digest);
    smap_init(&c->signed_msgs);
    smap_init(&c->evidence_known);
    smap_init(&c->proposals);
}

void sim_checker_time_bound(sim_checker *c, uint64_t genesis_ms, uint64_t offset_ms,
                            uint64_t precision_ms, uint64_t delay_ms) {
    HANSA_ASSERT(precision_ms > 0);
    c->tb.genesis_ms = genesis_ms;
    c->tb.offset_ms = offset_ms;
    c->tb.precision_ms = precision_ms;
    c->tb.delay_ms = delay_ms;
}

void sim_checker_free(sim_checker *c) {
    free(c->heights);
    free(c->node_heights);
    c->heights = NULL;
    c->node_heights = NULL;
    c->heights_cap = 0;
    c->heights_base = 0;
    smap_free(&c->signed_msgs);
    smap_free(&c->evidence_known);
    smap_free(&c->proposals);
}

/* Drops heights below the window (check.h): those every honest node
 * decided SIM_CHECK_WINDOW_MARGIN heights before its lowest decision. Only
 * in steps of half the arrays or more, so the move is rare. A run that
 * kept every height grew ~0.6 KB per height here (and twice that, zeroed
 * ahead, as the arrays doubled): at 20000 heights a sixth of the heap,
 * and first touching memory is slow on this machine (docs/sim.md). */
static void slide(sim_checker *c) {
    uint64_t low = UINT64_MAX;
    for (uint16_t x = 0; x < c->nodes; x++)
        if (c->honest[x] && c->decided_height[x] < low) low = c->decided_height[x];
    if (low == UINT64_MAX || low < c->heights_base + SIM_CHECK_WINDOW_MARGIN) return;
    uint64_t drop = low - SIM_CHECK_WINDOW_MARGIN - c->heights_base;
    if (drop > c->heights_cap) drop = c->heights_cap;
    if (drop < c->heights_cap / 2) return;
    uint64_t keep = c->heights_cap - drop;
    size_t per = c->nodes;
    memmove(c->heights, c->heights + drop, keep * sizeof *c->heights);
    memset(c->heights + keep, 0, drop * sizeof *c->heights);
    memmove(c->node_heights, c->node_heights + drop * per, keep * per * sizeof *c->node_heights);
    memset(c->node_heights + keep * per, 0, drop * per * sizeof *c->node_heights);
    c->heights_base += drop;
}

/* Height h's entry, the window slid or the arrays grown (doubling, zeroed)
 * to hold it; NULL when h is below the window. */
static sim_height *height_at(sim_checker *c, uint64_t h) {
    if (h < c->heights_base) return NULL;
    if (h - c->heights_base >= c->heights_cap) slide(c);
    if (h - c->heights_base >= c->heights_cap) {
        uint64_t cap = c->heights_cap ? c->heights_cap : 1024;
        while (cap <= h - c->heights_base) cap *= 2;
        c->heights = hansa_realloc(c->heights, cap * sizeof *c->heights);
        memset(c->heights + c->heights_cap, 0, (cap - c->heights_cap) * sizeof *c->heights);
        size_t per = c->nodes;
        c->node_heights = hansa_realloc(c->node_heights, cap * per * sizeof *c->node_heights);
        memset(c->node_heights + c->heights_cap * per, 0,
               (cap - c->heights_cap) * per * sizeof *c->node_heights);
        c->heights_cap = cap;
    }
    return &c->heights[h - c->heights_base];
}

static sim_node_height *node_height_at(sim_checker *c, uint16_t node, uint64_t h) {
    HANSA_ASSERT(node < c->nodes);
    if (!height_at(c, h)) return NULL;
    return &c->node_heights[(h - c->heights_base) * c->nodes + node];
}

__attribute__((format(printf, 3, 4))) static void violation(sim_checker *c, sim_violation v,
                                                            const char *fmt, ...) {
    uint64_t total = 0;
    for (int i = 0; i < SIM_V_COUNT_; i++) total += c->count[i];
    if (total == 0) {
        va_list ap;
        int k = snprintf(c->first, sizeof c->first, "%s: ", sim_violation_name(v));
        va_start(ap, fmt);
        vsnprintf(c->first + k, sizeof c->first - (size_t)k, fmt, ap);
        va_end(ap);
    }
    c->count[v]++;
}

static void short_hex(const hansa_hash *h, char out[17]) { hex_encode(h->b, 8, out); }

/* ---- coverage ---- */

enum {
    COV_DECIDE = 0,          /* + round bucket (0..3) */
    COV_VOTED = 4,           /* + (type - 1) * 8 + non-nil * 4 + round bucket */
    COV_PROPOSAL = 20,       /* + has proof of lock * 4 + round bucket */
    COV_UNLOCK = 28,         /* a locked node prevoted another value with a newer proof */
    COV_LOCK_MOVED,          /* a node's lock moved to another value */
    COV_NEAR_MISS,           /* a proposal whose proof of lock is older than a node's lock */
    COV_LOCKS_SPLIT,         /* two honest nodes locked on different values at a height */
    COV_EQUIVOCATION,
    COV_EVIDENCE,
    COV_CRASH,
    COV_RESTART,
    COV_AMNESIA,
    COV_TARGET,
    COV_ATTACK,
    COV_REJECT,
    COV_PARTITION,
    COV_CLOG,
    COV_ROUND_AT_BOUND,      /* a decision after GST + settle in the last round allowed */
    COV_DECIDE_HIGH = 48,    /* + round 4..11 */
    COV_BITS_ = 64 * SIM_COVERAGE_WORDS
};

static unsigned bucket(uint32_t round) { return round < 3 ? round : 3; }

static void cover(sim_checker *c, unsigned bit) {
    HANSA_ASSERT(bit < COV_BITS_);
    c->coverage[bit / 64] |= 1ull << (bit % 64);
}

/* The canonical form of one event: fixed-width little-endian fields. */
static void digest_event(sim_checker *c, const sim_trace_ev *ev) {
    if (c->digest_buf_len + SIM_DIGEST_EVENT_BYTES > sizeof c->digest_buf) {
        sha256_update(&c->digest, c->digest_buf, c->digest_buf_len);
        c->digest_buf_len = 0;
    }
    uint8_t *b = c->digest_buf + c->digest_buf_len, *p = b;
    *p++ = (uint8_t)ev->kind;
    le64_store(p, ev->time_us), p += 8;
    le16_store(p, ev->node), p += 2;
    le16_store(p, ev->other), p += 2;
    *p++ = ev->honest;
    *p++ = ev->flag;
    le64_store(p, ev->height), p += 8;
    le32_store(p, ev->round), p += 4;
    le32_store(p, ev->bound), p += 4;
    *p++ = ev->step;
    memcpy(p, ev->id.b, HANSA_HASH_BYTES), p += HANSA_HASH_BYTES;
    HANSA_ASSERT((size_t)(p - b) == SIM_DIGEST_EVENT_BYTES);
    _Static_assert(SIM_DIGEST_EVENT_BYTES == 1 + 8 + 2 + 2 + 1 + 1 + 8 + 4 + 4 + 1 + HANSA_HASH_BYTES,
                   "digest event size");
    c->digest_buf_len += SIM_DIGEST_EVENT_BYTES;
    c->events++;
}

/* One decision per node and height, and the same value at every node. */
static void check_agreement(sim_checker *c, const sim_trace_ev *ev) {
    char a[17], b[17];
    sim_node_height *nh = node_height_at(c, ev->node, ev->height);
    if (!nh) { /* below the window: the node decided this height long ago */
        violation(c, SIM_V_DOUBLE_DECIDE, "node %u decided height %" PRIu64 " again, %d heights "
                  "after every honest node had decided it", ev->node, ev->height, SIM_CHECK_WINDOW_MARGIN);
        return;
    }
    if (nh->has_decided) {
        short_hex(&nh->decided, a), short_hex(&ev->id, b);
        violation(c, SIM_V_DOUBLE_DECIDE, "node %u decided height %" PRIu64 " twice (%s, %s)",
                  ev->node, ev->height, a, b);
    } else {
        nh->has_decided = true;
        nh->decided = ev->id;
    }
    sim_height *ht = height_at(c, ev->height);
    if (!ht->has_decision) {
        ht->has_decision = true;
        ht->first_decision = ev->id;
    } else if (!hash_eq(&ht->first_decision, &ev->id)) {
        short_hex(&ht->first_decision, a), short_hex(&ev->id, b);
        violation(c, SIM_V_AGREEMENT, "height %" PRIu64 ": node %u decided %s, another honest node %s",
                  ev->height, ev->node, b, a);
    }
}

static void check_decide(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest) return;
    check_agreement(c, ev);
    if (!ev->flag)
        violation(c, SIM_V_VALIDITY, "node %u decided an invalid value at height %" PRIu64,
                  ev->node, ev->height);
    cover(c, ev->round < 4 ? COV_DECIDE + ev->round : COV_DECIDE_HIGH + (ev->round < 12 ? ev->round - 4 : 7));
    if (ev->bound != UINT32_MAX && ev->round == ev->bound) cover(c, COV_ROUND_AT_BOUND);
    if (ev->round > ev->bound)
        violation(c, SIM_V_LIVENESS_ROUNDS,
                  "node %u decided height %" PRIu64 " only at round %u (bound %u after GST)",
                  ev->node, ev->height, ev->round, ev->bound);
    if (ev->height > c->decided_height[ev->node]) c->decided_height[ev->node] = ev->height;
}

static void check_signed(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest) return;
    if (c->write_failed[ev->node])
        violation(c, SIM_V_SIGNED_AFTER_FAILURE, "honest node %u signed for height %" PRIu64
                  " round %u step %u after a write of its signer state, WAL or block failed",
                  ev->node, ev->height, ev->round, ev->step);
    const hansa_hash *prev;
    if (ev->round == 0 && ev->step < SIM_CHECK_STEPS) {
        sim_node_height *nh = node_height_at(c, ev->node, ev->height);
        if (!nh) { /* below the window: it signed a height it decided long ago */
            violation(c, SIM_V_DOUBLE_SIGN, "honest node %u signed for height %" PRIu64 " step %u, "
                      "%d heights after every honest node had decided it", ev->node, ev->height,
                      ev->step, SIM_CHECK_WINDOW_MARGIN);
            return;
        }
        prev = nh->has_signed0[ev->step] ? &nh->signed0[ev->step] : NULL;
        nh->has_signed0[ev->step] = true;
        if (!prev) nh->signed0[ev->step] = ev->id;
    } else {
        smap_key k = {ev->node, ev->height, ((uint64_t)ev->round << 8) | ev->step};
        prev = smap_put_new(&c->signed_msgs, k, &ev->id);
    }
    if (prev && !hash_eq(prev, &ev->id))
        violation(c, SIM_V_DOUBLE_SIGN,
                  "honest node %u signed two different messages for height %" PRIu64
                  " round %u step %u",
                  ev->node, ev->height, ev->round, ev->step);
}

static smap_key owed_key(const sim_trace_ev *ev) {
    return (smap_key){((uint64_t)ev->node << 16) | ev->other, ev->height,
                      ((uint64_t)ev->round << 8) | ev->step};
}

/* Whether node has emitted evidence against validator before. */
static smap_key accused_key(uint16_t node, uint16_t validator) {
    return (smap_key){((uint64_t)node << 16) | validator, 0, UINT64_MAX};
}

/* One offence is owed once per node: an engine emits evidence for a slot
 * once and then refuses further conflicting copies as duplicates. And one
 * accusation per offender is enough (node/chain.c's pool keeps one item per
 * offender: the first that lands slashes and tombstones it), so a node that
 * already accused the validator owes nothing for its later offences; nor does
 * any node once an honest node accused it at an earlier height (that
 * evidence may have been committed: a tombstoned validator cannot be
 * punished again, so the pool refuses evidence against it). */
static void owe(sim_checker *c, const sim_trace_ev *ev) {
    static const hansa_hash owed_mark = {{1}};
    if (!ev->honest) return;
    if (smap_get(&c->evidence_known, accused_key(ev->node, ev->other))) return;
    uint64_t accused = ev->other < c->nodes ? c->evidence_height[ev->other] : 0;
    if (accused != 0 && accused < ev->height) return;
    if (smap_put_new(&c->evidence_known, owed_key(ev), &owed_mark)) return;
    HANSA_ASSERT(c->n_owed < SIM_OWED_MAX);
    c->owed[c->n_owed++] = (sim_owed){ev->node, ev->other, ev->height, ev->round, ev->step};
}

/* The first height at which an honest node accused each validator. */
static void note_evidence(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest || ev->other >= c->nodes) return;
    uint64_t *h = &c->evidence_height[ev->other];
    if (*h == 0 || ev->height < *h) *h = ev->height;
}

/* Sets are traced member by member, height by height: a higher height
 * starts a new set. */
static void note_member(sim_checker *c, const sim_trace_ev *ev) {
    HANSA_ASSERT(ev->height >= c->set_height);
    if (ev->height > c->set_height) {
        memset(c->member, 0, sizeof c->member);
        c->set_height = ev->height;
    }
    c->member[ev->node] = true;
}

static void check_slashed(sim_checker *c) {
    for (uint16_t x = 0; x < c->nodes; x++) {
        uint64_t e = c->evidence_height[x];
        if (e == 0 || !c->member[x] || e + SIM_SLASH_MARGIN > c->set_height) continue;
        violation(c, SIM_V_SLASHING,
                  "node %u, accused at height %" PRIu64 ", is still in the set of height %" PRIu64,
                  x, e, c->set_height);
    }
}

static void pay(sim_checker *c, const sim_trace_ev *ev) {
    static const hansa_hash paid_mark = {{2}};
    note_evidence(c, ev);
    smap_put_new(&c->evidence_known, owed_key(ev), &paid_mark);
    smap_put_new(&c->evidence_known, accused_key(ev->node, ev->other), &paid_mark);
    for (size_t i = 0; i < c->n_owed;) {
        const sim_owed *o = &c->owed[i];
        if (o->node == ev->node && o->validator == ev->other) c->owed[i] = c->owed[--c->n_owed];
        else i++;
    }
}

/* Evidence not emitted by the time the node leaves the height is missing. */
static void settle_owed(sim_checker *c, uint16_t node) {
    for (size_t i = 0; i < c->n_owed;) {
        const sim_owed *o = &c->owed[i];
        if (node != UINT16_MAX && o->node != node) {
            i++;
            continue;
        }
        violation(c, SIM_V_EVIDENCE,
                  "node %u was handed conflicting votes of node %u (height %" PRIu64
                  " round %u type %u) and emitted no evidence",
                  o->node, o->validator, o->height, o->round, o->type);
        c->owed[i] = c->owed[--c->n_owed];
    }
}

static void check_committed(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest) return;
    if (!ev->flag)
        violation(c, SIM_V_SUPPLY, "node %u: the supply equation fails after height %" PRIu64,
                  ev->node, ev->height);
    sim_height *ht = height_at(c, ev->height);
    if (!ht) return; /* below the window: its DECIDE, traced with it, was a violation */
    if (!ht->has_app_hash) {
        ht->has_app_hash = true;
        ht->first_app_hash = ev->id;
    } else if (!hash_eq(&ht->first_app_hash, &ev->id)) {
        char a[17], b[17];
        short_hex(&ht->first_app_hash, a), short_hex(&ev->id, b);
        violation(c, SIM_V_APP_HASH, "height %" PRIu64 ": node %u holds app hash %s, another honest node %s",
                  ev->height, ev->node, b, a);
    }
}

static void note_height_start(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest) return;
    sim_height *ht = height_at(c, ev->height);
    if (!ht || ht->has_start) return;
    ht->has_start = true;
    ht->start_us = ev->time_us;
}

/* The first honest commit of a height: its block time against the clocks
 * of the honest nodes that found its proposal timely. Only a proposal some
 * honest node prevoted can be decided (a Byzantine third cannot make a
 * polka alone), and an honest node prevotes it only if the time lies within
 * [its clock - precision - delay (r + 1), its clock + precision] when the
 * proposal arrives (between the height's start and its decision). */
static void check_block_time(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest || c->tb.precision_ms == 0) return;
    sim_height *ht = height_at(c, ev->height);
    if (!ht || ht->block_time_seen) return; /* below the window: checked long ago */
    ht->block_time_seen = true;
    uint64_t b = le64_load(ev->id.b);
    uint64_t hi = c->tb.genesis_ms + ev->time_us / 1000 + c->tb.offset_ms + c->tb.precision_ms;
    if (b > hi) {
        violation(c, SIM_V_BLOCK_TIME, "height %" PRIu64 ": block time %" PRIu64 " is %" PRIu64
                  " ms ahead of every honest clock (bound %" PRIu64 ")", ev->height, b, b - hi, hi);
        return;
    }
    if (!ht->has_start) return;
    uint64_t slack = c->tb.offset_ms + c->tb.precision_ms + c->tb.delay_ms * ((uint64_t)ev->round + 1);
    uint64_t from = c->tb.genesis_ms + ht->start_us / 1000;
    uint64_t lo = from > slack ? from - slack : 0;
    if (b < lo)
        violation(c, SIM_V_BLOCK_TIME, "height %" PRIu64 ": block time %" PRIu64 " is %" PRIu64
                  " ms behind every honest clock (bound %" PRIu64 ")", ev->height, b, lo - b, lo);
}

/* A proposal (height, round, id, pol) against the honest locks known now. */
static void cover_proposal(sim_checker *c, const sim_trace_ev *ev, uint32_t pol) {
    cover(c, COV_PROPOSAL + (pol != 0) * 4 + bucket(ev->round));
    for (uint16_t x = 0; x < c->nodes; x++)
        if (c->honest[x] && c->lock_height[x] == ev->height && c->lock_round[x] < ev->round &&
            pol < c->lock_round[x] + 1 && !hash_eq(&c->lock_id[x], &ev->id))
            cover(c, COV_NEAR_MISS);
}

static void cover_lock(sim_checker *c, uint16_t x, const sim_trace_ev *ev) {
    if (c->lock_height[x] == ev->height && !hash_eq(&c->lock_id[x], &ev->id)) cover(c, COV_LOCK_MOVED);
    for (uint16_t y = 0; y < c->nodes; y++)
        if (y != x && c->honest[y] && c->lock_height[y] == ev->height &&
            !hash_eq(&c->lock_id[y], &ev->id))
            cover(c, COV_LOCKS_SPLIT);
}

static smap_key proposal_key(uint64_t height, uint32_t round, const hansa_hash *id) {
    return (smap_key){height, round, le64_load(id->b)};
}

/* The proposal's proof-of-lock round as a number that grows with it: 0 for
 * none, vr + 1 otherwise; of two proposals of one value in one round (only
 * a Byzantine proposer sends them) the larger counts. */
static void note_proposal(sim_checker *c, const sim_trace_ev *ev) {
    uint32_t pol = ev->bound == UINT32_MAX ? 0 : ev->bound + 1;
    smap_key k = proposal_key(ev->height, ev->round, &ev->id);
    const hansa_hash *prev = smap_get(&c->proposals, k);
    if (prev && le32_load(prev->b) >= pol) return;
    bool first = prev == NULL;
    hansa_hash v = {{0}};
    le32_store(v.b, pol);
    smap_set(&c->proposals, k, &v);
    if (!first) return;
    cover_proposal(c, ev, pol);
    /* A proposer locked earlier in the height re-proposes (Alg. 1 line 15). */
    if (ev->honest && pol == 0 && c->lock_height[ev->node] == ev->height &&
        c->lock_round[ev->node] < ev->round)
        violation(c, SIM_V_LOCK, "node %u, locked in round %u, proposed a fresh block at height %" PRIu64
                  " round %u", ev->node, c->lock_round[ev->node], ev->height, ev->round);
}

static void check_voted(sim_checker *c, const sim_trace_ev *ev) {
    if (!ev->honest) return;
    if (ev->step == 1 || ev->step == 2) cover(c, COV_VOTED + (ev->step - 1) * 8 + ev->flag * 4 + bucket(ev->round));
    if (!ev->flag) return;
    uint16_t x = ev->node;
    bool locked = c->lock_height[x] == ev->height;
    if (ev->step == 2) { /* a precommit for a block: the lock moves here */
        if (!locked || ev->round > c->lock_round[x]) {
            cover_lock(c, x, ev);
            c->lock_height[x] = ev->height;
            c->lock_round[x] = ev->round;
            c->lock_id[x] = ev->id;
        }
        return;
    }
    if (!locked || ev->round <= c->lock_round[x] || hash_eq(&c->lock_id[x], &ev->id)) return;
    const hansa_hash *p = smap_get(&c->proposals, proposal_key(ev->height, ev->round, &ev->id));
    uint32_t pol = p ? le32_load(p->b) : 0;
    if (pol >= c->lock_round[x] + 1) { /* vr >= lockedRound: unlocked (line 29) */
        cover(c, COV_UNLOCK);
        return;
    }
    char a[17], b[17];
    short_hex(&c->lock_id[x], a), short_hex(&ev->id, b);
    violation(c, SIM_V_LOCK, "node %u, locked on %s in round %u, prevoted %s at height %" PRIu64
              " round %u (proof-of-lock round %s)", x, a, c->lock_round[x], b, ev->height,
              ev->round, pol ? "older" : "none");
}

void sim_checker_feed(sim_checker *c, const sim_trace_ev *ev) {
    HANSA_ASSERT(ev->node < c->nodes);
    digest_event(c, ev);
    switch (ev->kind) {
    case SIM_T_DECIDE: check_decide(c, ev); break;
    case SIM_T_SIGNED: check_signed(c, ev); break;
    case SIM_T_EQUIVOCATION_SEEN:
        cover(c, COV_EQUIVOCATION);
        owe(c, ev);
        break;
    case SIM_T_EVIDENCE:
        cover(c, COV_EVIDENCE);
        pay(c, ev);
        break;
    case SIM_T_VALSET: note_member(c, ev); break;
    case SIM_T_COMMITTED: check_committed(c, ev); break;
    case SIM_T_PROPOSAL: note_proposal(c, ev); break;
    case SIM_T_VOTED: check_voted(c, ev); break;
    case SIM_T_VOTED_INVALID:
        if (ev->honest)
            violation(c, SIM_V_VALIDITY, "node %u voted (type %u) for an invalid block at height %" PRIu64
                      " round %u", ev->node, ev->step, ev->height, ev->round);
        break;
    case SIM_T_STOPPED:
        if (ev->honest) violation(c, SIM_V_STOPPED, "honest node %u stopped at height %" PRIu64,
                                  ev->node, ev->height);
        break;
    case SIM_T_CRASH:
        cover(c, COV_CRASH);
        settle_owed(c, ev->node);
        c->write_failed[ev->node] = false;
        break;
    case SIM_T_WRITE_FAILED: c->write_failed[ev->node] = true; break;
    case SIM_T_HEIGHT_START:
        settle_owed(c, ev->node);
        note_height_start(c, ev);
        break;
    case SIM_T_BLOCK_TIME: check_block_time(c, ev); break;
    case SIM_T_RESTART: cover(c, ev->flag ? COV_AMNESIA : COV_RESTART); break;
    case SIM_T_TARGET: cover(c, COV_TARGET); break;
    case SIM_T_ATTACK: cover(c, COV_ATTACK); break;
    case SIM_T_REJECT: cover(c, COV_REJECT); break;
    case SIM_T_PARTITION: cover(c, COV_PARTITION); break;
    case SIM_T_CLOG: cover(c, COV_CLOG); break;
    case SIM_T_DELIVER:
    case SIM_T_DROP:
    case SIM_T_HEAL:
    case SIM_T_UNCLOG:
    case SIM_T_TIMEOUT:
    case SIM_T_GST:
    case SIM_T_SYNC: break;
    }
}

void sim_checker_finish(sim_checker *c, uint64_t target_height, hansa_hash *digest) {
    settle_owed(c, UINT16_MAX);
    check_slashed(c);
    for (uint16_t i = 0; i < c->nodes; i++) {
        if (!c->honest[i] || c->decided_height[i] >= target_height) continue;
        violation(c, SIM_V_LIVENESS_STALL, "honest node %u reached height %" PRIu64 " of %" PRIu64,
                  i, c->decided_height[i], target_height);
    }
    sha256_ctx copy = c->digest;
    sha256_update(&copy, c->digest_buf, c->digest_buf_len);
    uint8_t tail[16];
    le64_store(tail, c->events);
    le64_store(tail + 8, target_height);
    sha256_update(&copy, tail, sizeof tail);
    sha256_final(&copy, digest);
}

uint64_t sim_checker_safety(const sim_checker *c) {
    return c->count[SIM_V_AGREEMENT] + c->count[SIM_V_VALIDITY] + c->count[SIM_V_DOUBLE_DECIDE] +
           c->count[SIM_V_DOUBLE_SIGN] + c->count[SIM_V_EVIDENCE] + c->count[SIM_V_SLASHING] +
           c->count[SIM_V_STOPPED] + c->count[SIM_V_SUPPLY] + c->count[SIM_V_APP_HASH] +
           c->count[SIM_V_LOCK] + c->count[SIM_V_BLOCK_TIME] +
           c->count[SIM_V_SIGNED_AFTER_FAILURE];
}

uint64_t sim_checker_liveness(const sim_checker *c) {
    return c->count[SIM_V_LIVENESS_ROUNDS] + c->count[SIM_V_LIVENESS_STALL];
}
