/* net.c — the simulated network.
 *
 * Each send is decided at the moment it is made: a message crossing a
 * partition or a clogged direction is dropped, before GST a message may be
 * lost or duplicated, and every copy gets its own latency (a base plus an
 * exponential tail, after the sender's disk time in the same input), so
 * messages overtake each other and arrive reordered as they do on real
 * links. Only linked nodes talk (host_linked: same chain, both up, no
 * dropped link). The targeted delay (sim.c, on_target) holds some
 * proposals and votes of a few rounds of one height back from some nodes
 * until its window ends. After GST the network is reliable with a short tail: the
 * "eventually synchronous" model Tendermint's liveness proof assumes.
 *
 * Messages are immutable, reference-counted byte strings; a broadcast shares
 * one copy between all deliveries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/sha256.h"
#include "node/msg.h"
#include "sim/world.h"

#define LATENCY_BASE_US 2000
#define LATENCY_JITTER_US 3000
#define TAIL_MEAN_FAULTY_US 40000
#define TAIL_CAP_FAULTY_US 2000000
#define TAIL_MEAN_STABLE_US 2000
#define TAIL_CAP_STABLE_US 30000
#define LOSS_PER_MILLE 50
#define DUP_PER_MILLE 20

/* Messages of up to MSG_SMALL_BYTES (votes, statuses, transactions: nine
 * in ten) are made with room for that many, and when the last reference
 * goes they wait on a free list for the next one: a malloc and a free per
 * message was the simulator's largest allocation site. Per thread, like
 * ledger/block.c's spare blocks; sanitizer builds keep none, so that a use
 * of a freed message stays an error the tests report. */
#define MSG_SMALL_BYTES (256 - sizeof(sim_msg))
#define MSG_SPARES 64
static _Thread_local sim_msg *msg_spares[MSG_SPARES];
static _Thread_local size_t n_msg_spares;
#if defined(__SANITIZE_ADDRESS__)
#define MSG_SPARE_KEEP false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MSG_SPARE_KEEP false
#endif
#endif
#ifndef MSG_SPARE_KEEP
#define MSG_SPARE_KEEP true
#endif

/* The decoded votes of messages, kept as the messages are. */
static _Thread_local wire_vote *vote_spares[MSG_SPARES];
static _Thread_local size_t n_vote_spares;

static void msg_free(sim_msg *m) {
    if (m->vote) {
        if (MSG_SPARE_KEEP && n_vote_spares < MSG_SPARES) vote_spares[n_vote_spares++] = m->vote;
        else free(m->vote);
        m->vote = NULL;
    }
    if (MSG_SPARE_KEEP && m->len <= MSG_SMALL_BYTES && n_msg_spares < MSG_SPARES)
        msg_spares[n_msg_spares++] = m;
    else free(m);
}

sim_msg *msg_new(uint8_t type, const uint8_t *p, size_t len) {
    HANSA_ASSERT(len < WIRE_BLOCK_BYTES_MAX + (1u << 20));
    sim_msg *m;
    if (1 + len > MSG_SMALL_BYTES) m = hansa_malloc(sizeof *m + 1 + len);
    else if (n_msg_spares > 0) m = msg_spares[--n_msg_spares];
    else m = hansa_malloc(sizeof *m + MSG_SMALL_BYTES);
    m->refs = 0;
    m->vote = NULL;
    m->vote_state = m->sig_state = SIM_MEMO_UNKNOWN;
    m->len = (uint32_t)(1 + len);
    m->data[0] = type;
    if (len) memcpy(m->data + 1, p, len);
    sha256(m->data, m->len, &m->hash);
    return m;
}

const wire_vote *msg_vote(sim_msg *m) {
    if (m->vote_state == SIM_MEMO_UNKNOWN) {
        wire_vote v;
        bool ok = m->data[0] == MSG_VOTE && wire_vote_decode(m->data + 1, m->len - 1, &v, NULL) == HANSA_OK;
        m->vote_state = ok ? SIM_MEMO_YES : SIM_MEMO_NO;
        if (ok) {
            m->vote = n_vote_spares > 0 ? vote_spares[--n_vote_spares] : hansa_malloc(sizeof *m->vote);
            *m->vote = v;
        }
    }
    return m->vote_state == SIM_MEMO_YES ? m->vote : NULL;
}

bool msg_vote_sig_ok(sim_msg *m) {
    const wire_vote *v = msg_vote(m);
    HANSA_ASSERT(v);
    if (m->sig_state == SIM_MEMO_UNKNOWN) {
        uint8_t storage[WIRE_VOTE_BYTES]; /* a vote's sign bytes fit: nothing allocated */
        hbuf sb = hbuf_on(storage, sizeof storage);
        wire_vote_sign_bytes(&sb, v);
        bool ok = verify_domain(&v->validator, SIGN_DOMAIN_VOTE, sb.data, sb.len, &v->sig);
        hbuf_free(&sb);
        m->sig_state = ok ? SIM_MEMO_YES : SIM_MEMO_NO;
    }
    return m->sig_state == SIM_MEMO_YES;
}

void msg_unref(sim_msg *m) {
    HANSA_ASSERT(m->refs > 0);
    if (--m->refs == 0) msg_free(m);
}

/* A sent message nobody holds (every copy dropped) is freed here. */
void msg_release_unsent(sim_msg *m) {
    if (m->refs == 0) msg_free(m);
}

/* How close (in microseconds) the cheap draw may come to a whole number
 * before sim_tail_us asks log1p: log and log1p are each within an ulp of
 * the true value, so the two products differ by a few ulps of t (t < 2^22:
 * an ulp is below 1e-9; ~2e-9 at most), some 500 times inside this margin.
 * The premise holds for means up to 100,000 us, which covers both below. */
#define TAIL_EXACT_MARGIN 1e-6
_Static_assert(TAIL_MEAN_FAULTY_US <= 100000 && TAIL_MEAN_STABLE_US <= 100000, "sim_tail_us's margin premise");

uint64_t sim_tail_us(uint64_t r53, uint64_t mean_us, uint64_t cap_us) {
    HANSA_ASSERT(mean_us <= 100000); /* t below 37 means: 2^22, the margin's premise */
    double u = (double)r53 / 9007199254740992.0; /* [0,1) */
    /* 1 - u is exact (u is a multiple of 2^-53), and glibc's log costs
     * half its log1p (~2.4% of a run): it decides the draw unless its
     * product lies within the margin of a whole number, where the two
     * may truncate differently and log1p, the definition, is taken. */
    double t = -log(1.0 - u) * (double)mean_us;
    double frac = t - floor(t);
    if (frac < TAIL_EXACT_MARGIN || frac > 1.0 - TAIL_EXACT_MARGIN) t = -log1p(-u) * (double)mean_us;
    return t >= (double)cap_us ? cap_us : (uint64_t)t;
}

/* Exponential with the given mean, capped: a few slow messages, most fast. */
static uint64_t tail_us(world *w, uint64_t mean_us, uint64_t cap_us) {
    return sim_tail_us(prng_next(&w->rng) >> 11, mean_us, cap_us);
}

static bool net_faulty(const world *w) { return !w->stable && (w->o.faults & SIM_F_NET); }

static uint64_t latency_us(world *w) {
    uint64_t base = LATENCY_BASE_US + prng_below(&w->rng, LATENCY_JITTER_US);
    if (net_faulty(w)) return base + tail_us(w, TAIL_MEAN_FAULTY_US, TAIL_CAP_FAULTY_US);
    return base + tail_us(w, TAIL_MEAN_STABLE_US, TAIL_CAP_STABLE_US);
}

static void deliver_later(world *w, uint16_t from, uint16_t to, sim_msg *m, uint64_t delay_us) {
    m->refs++;
    world_push(w, w->now_us + delay_us, EV_DELIVER, &w->nodes[to], from, 0, 0, 0, m);
}

/* How long the targeted delay holds m back from `to` (0: not at all). */
static uint64_t targeted_hold_us(const world *w, uint16_t to, sim_msg *m) {
    const sim_target *t = &w->target;
    if (w->now_us >= t->until_us) return 0;
    uint64_t height;
    uint32_t round;
    uint8_t kind;
    int signer;
    const wire_vote *v;
    msg_proposal mp;
    wire_proposal p;
    if (m->data[0] == MSG_VOTE && (v = msg_vote(m)) != NULL) {
        height = v->height, round = v->round, kind = v->type;
        signer = world_node_of_key(w, &v->validator);
    } else if (m->data[0] == MSG_PROPOSAL &&
               msg_proposal_decode(m->data + 1, m->len - 1, &mp, NULL) == HANSA_OK &&
               wire_proposal_decode(mp.proposal, mp.proposal_len, &p, NULL) == HANSA_OK) {
        height = p.height, round = p.round, kind = 0;
        signer = world_node_of_key(w, &p.proposer);
    } else {
        return 0;
    }
    if (height != t->height || round < t->first_round || round >= t->first_round + SIM_TARGET_ROUNDS)
        return 0;
    if (signer < 0 || !(t->held[round - t->first_round][kind][signer] >> to & 1)) return 0;
    return t->until_us - w->now_us;
}

static void send_one(world *w, uint16_t from, uint16_t to, sim_msg *m, uint64_t delay_us) {
    HANSA_ASSERT(from < w->n);
    HANSA_ASSERT(to < w->n);
    HANSA_ASSERT(from != to);
    bool blocked = (w->partitioned && w->group[from] != w->group[to]) ||
                   w->clog_until[from][to] > w->now_us ||
                   (w->script.on && script_drops(w, from, to, m)) || attack_drops(w, from, to, m);
    if (blocked || (net_faulty(w) && prng_chance(&w->rng, LOSS_PER_MILLE, 1000))) {
        w->res->dropped++;
        world_trace(w, SIM_T_DROP, &w->nodes[to], from, 0, 0, blocked, &m->hash, false,
                    UINT32_MAX);
        return;
    }
    delay_us += targeted_hold_us(w, to, m);
    deliver_later(w, from, to, m, delay_us + latency_us(w));
    if (net_faulty(w) && prng_chance(&w->rng, DUP_PER_MILLE, 1000))
        deliver_later(w, from, to, m, delay_us + latency_us(w));
}

void simnet_send(world *w, uint16_t from, uint16_t to, sim_msg *m, uint64_t delay_us) {
    if (host_linked(w, from, to)) send_one(w, from, to, m, delay_us);
    msg_release_unsent(m);
}

void simnet_broadcast(world *w, uint16_t from, sim_msg *m, int except, uint64_t delay_us) {
    for (uint16_t to = 0; to < w->n; to++)
        if (to != except && host_linked(w, from, to)) send_one(w, from, to, m, delay_us);
    msg_release_unsent(m);
}

void simnet_multicast(world *w, uint16_t from, sim_msg *m, const bool *to, uint64_t delay_us) {
    for (uint16_t i = 0; i < w->n; i++)
        if (to[i] && host_linked(w, from, i)) send_one(w, from, i, m, delay_us);
    msg_release_unsent(m);
}
