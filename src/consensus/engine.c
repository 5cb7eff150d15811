/* engine.c — Tendermint consensus (Alg. 1 of arXiv 1807.04938) as a pure
 * state machine over voting power.
 *
 * The idea: every input (proposal, vote, timeout, persist completion, commit)
 * first updates the message log — per round a proposal slot and two vote
 * sets — and then run_rules() evaluates the upon-rules of Alg. 1 against the
 * log until none fires. Each rule is one function named after its line in
 * the paper; the "for the first time" rules keep a flag in their round. What
 * the rules "broadcast" goes through sign_*: the engine signs, asks for the
 * signer state to be persisted (CONS_OUT_PERSIST), and releases the message
 * (CONS_OUT_PROPOSAL / CONS_OUT_VOTE, and into its own log) only in
 * cons_on_persisted(). Everything the engine keeps is bounded: votes for at
 * most future_rounds_max rounds above the current one, at most two votes
 * (faces) per validator per (round, type), one proposal per round, a few
 * messages of the next height. docs/consensus.md maps every line of Alg. 1 to its function.
 *
 * Rounds use uint32_t; WIRE_ROUND_NONE (UINT32_MAX) is the paper's -1. */
#include "consensus/engine.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "consensus/sigcheck.h"
#include "consensus/voteset.h"
#include "crypto/sha256.h"
#include "wire/codec.h"

/* Messages of height h+1 kept while at h, replayed at cons_start_height(h+1):
 * a few distinct votes per validator of the current set (a prevote and a
 * precommit of two rounds), and one proposal for each of the first few
 * rounds, from the validator that proposes that round at h+1. */
#define NEXT_VOTES_PER_VALIDATOR 4
#define NEXT_PROPOSALS_MAX 4 /* rounds 0..3 of the next height */

typedef struct {
    bool has;
    wire_proposal msg;
    uint8_t *value; /* owned; NULL when the value was judged invalid */
    size_t value_len;
    bool valid;     /* valid(v) of Alg. 1, from the per-height cache */
    bool timely;    /* PBTS: judged when it arrived (cons_app.timely) */
} prop_slot;

/* The message log of one round, plus the "for the first time" flags of the
 * rules that fire once per round (lines 34, 36, 47). */
typedef struct {
    cons_voteset votes[2]; /* [0] prevotes, [1] precommits */
    prop_slot prop;
    bool seen[WIRE_VALIDATORS_MAX]; /* by index: sent something in this round (line 55) */
    uint64_t power_seen;
    uint16_t proposer;     /* proposer(h, round), computed once */
    bool did_line34, did_line36, did_line47;
    /* What this engine released in the round (what cons_rebroadcast may
     * repeat); a message under its key that came from the network is not. */
    bool sent_prop, sent_vote[2];
    block_id sent_block[2]; /* what the sent votes were for */
} round_state;

/* valid() verdicts of this height, so the application judges each value once.
 * Keyed by id and the bytes: a Byzantine proposer cannot poison the verdict
 * of an honest value by sending other bytes under its id. A value the engine
 * keeps for the height (a stored proposal's) is compared byte for byte, so
 * judging a proposal needs no hash of the whole block; any other value is
 * known by its SHA-256 digest. */
typedef struct {
    hansa_hash id;
    const uint8_t *bytes; /* the kept value (owned by a round's prop_slot), or NULL */
    size_t len;
    hansa_hash digest;    /* when bytes is NULL */
    bool verdict;
} valid_entry;

/* A signed message waiting for its signer-state record to be durable. */
typedef struct {
    uint64_t seq;
    bool is_proposal;
    wire_proposal prop;
    uint8_t *value; /* owned until released */
    size_t value_len;
    wire_vote vote;
} pending_msg;

typedef struct {
    wire_proposal msg;
    bool timely;    /* judged when it arrived, not when replayed */
    uint8_t *value; /* owned */
    size_t value_len;
} next_proposal;

struct cons_engine {
    cons_config cfg;
    hansa_keypair key; /* copy of *cfg.key; cfg.key points here */
    bool has_key;

    /* Signer state: the last record handed out for persisting (or restored). */
    cons_signer_state signer;
    uint64_t signer_seq;  /* seq of that record */
    bool signer_durable;  /* that record is known to be on disk */
    bool restore_lock;    /* apply signer's lock/valid at the first height */

    bool started;
    uint64_t height;
    uint32_t round;
    cons_step step;
    bool decided;
    uint64_t now_ms;
    cons_valset vs;
    int self; /* index in vs, or -1: follow without signing */

    uint32_t locked_round, valid_round;
    hansa_hash locked_id, valid_id;

    round_state **rounds; /* by round; NULL until touched */
    uint32_t n_rounds, cap_rounds; /* the array is kept across heights */
    /* One round's log kept from the last height for the next one's first
     * round (most heights decide in round 0): its three allocations were
     * made and freed per height and node. */
    round_state *spare_round;

    valid_entry *vcache;
    size_t n_vcache, cap_vcache;

    pending_msg *pending;
    size_t n_pending, cap_pending;
    uint64_t seq;

    /* The decision of this height (after CONS_OUT_DECIDE). */
    uint32_t decided_round;
    hansa_hash decided_id;
    uint8_t *decided_value; /* decided_buf once decided, else NULL */
    size_t decided_len;
    wire_commit commit; /* its sigs in commit_sigs */
    /* The decision's bytes and its certificate's signatures, in buffers
     * kept across heights: each was allocated and freed once per height. */
    uint8_t *decided_buf;
    size_t cap_decided;
    wire_commit_sig *commit_sigs;
    size_t cap_commit_sigs;

    wire_vote *next_votes; /* room for NEXT_VOTES_PER_VALIDATOR * vs.n */
    size_t n_next_votes, cap_next_votes;
    /* The previous height's buffer, kept for the next: the two swap at
     * each height instead of one being allocated and one freed. */
    wire_vote *spare_votes;
    size_t cap_spare_votes;
    uint8_t next_votes_from[WIRE_VALIDATORS_MAX];
    next_proposal next_props[NEXT_PROPOSALS_MAX];
    size_t n_next_props;
    bool next_prop_round[NEXT_PROPOSALS_MAX]; /* a proposal of that round is kept */

    /* Outputs since the last drain; persist outputs point into states[]
     * (fixed up at drain, since both arrays may move while growing). */
    cons_out *out;
    size_t *out_state;
    size_t n_out, cap_out;
    cons_signer_state *states;
    size_t n_states, cap_states;
    bool drained;
};

static void run_rules(cons_engine *e);
static void start_round(cons_engine *e, uint32_t round);
static hansa_err proposal_in(cons_engine *e, const wire_proposal *p, const uint8_t *value,
                             size_t value_len, const bool *timely);
static hansa_err vote_in(cons_engine *e, const wire_vote *v);

/* ---- small helpers ------------------------------------------------------- */

static int vote_type_index(uint8_t type) {
    HANSA_ASSERT(type == VOTE_PREVOTE || type == VOTE_PRECOMMIT);
    return type == VOTE_PREVOTE ? 0 : 1;
}

static block_id block_of(const hansa_hash *id) { return (block_id){.present = true, .hash = *id}; }

static const block_id nil_block = {.present = false};

static bool block_id_eq(const block_id *a, const block_id *b) {
    return a->present == b->present && hash_eq(&a->hash, &b->hash);
}

/* (h, r, s) < (h', r', s') lexicographically: the signer's order of time. */
static int pos_cmp(uint64_t h, uint32_t r, cons_step s, uint64_t h2, uint32_t r2, uint8_t s2) {
    if (h != h2) return h < h2 ? -1 : 1;
    if (r != r2) return r < r2 ? -1 : 1;
    if ((uint8_t)s != s2) return (uint8_t)s < s2 ? -1 : 1;
    return 0;
}

static uint64_t timeout_ms(const cons_engine *e, cons_timer_kind kind, uint32_t round) {
    const cons_timeouts *t = &e->cfg.timeouts;
    switch (kind) {
    case CONS_TIMER_PROPOSE: return t->propose_ms + (uint64_t)round * t->propose_delta_ms;
    case CONS_TIMER_PREVOTE: return t->prevote_ms + (uint64_t)round * t->prevote_delta_ms;
    case CONS_TIMER_PRECOMMIT: return t->precommit_ms + (uint64_t)round * t->precommit_delta_ms;
    }
    HANSA_UNREACHABLE();
}

/* Highest round whose votes are kept: round + future_rounds_max, saturating. */
static uint64_t round_limit(const cons_engine *e) {
    return (uint64_t)e->round + e->cfg.future_rounds_max;
}

/* ---- outputs ------------------------------------------------------------- */

/* Every public entry point starts here: outputs of the previous call stay
 * valid until the next call, and are dropped now if they were drained. */
static void out_begin(cons_engine *e) {
    if (!e->drained) return;
    e->n_out = 0;
    e->n_states = 0;
    e->drained = false;
}

static cons_out *out_push(cons_engine *e, cons_out_kind kind) {
    if (e->n_out == e->cap_out) {
        e->cap_out = e->cap_out ? 2 * e->cap_out : 16;
        e->out = hansa_realloc(e->out, e->cap_out * sizeof *e->out);
        e->out_state = hansa_realloc(e->out_state, e->cap_out * sizeof *e->out_state);
    }
    cons_out *o = &e->out[e->n_out];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    e->out_state[e->n_out] = SIZE_MAX;
    e->n_out++;
    return o;
}

static void out_timer(cons_engine *e, cons_timer_kind kind) {
    cons_out *o = out_push(e, CONS_OUT_TIMER);
    o->u.timer.kind = kind;
    o->u.timer.height = e->height;
    o->u.timer.round = e->round;
    o->u.timer.deadline_ms = e->now_ms + timeout_ms(e, kind, e->round);
}

static void out_persist(cons_engine *e, uint64_t seq) {
    if (e->n_states == e->cap_states) {
        e->cap_states = e->cap_states ? 2 * e->cap_states : 4;
        e->states = hansa_realloc(e->states, e->cap_states * sizeof *e->states);
    }
    e->states[e->n_states] = e->signer;
    cons_out *o = out_push(e, CONS_OUT_PERSIST);
    o->u.persist.seq = seq;
    e->out_state[e->n_out - 1] = e->n_states++;
}

/* ---- the message log ----------------------------------------------------- */

static void round_free(round_state *rs) {
    if (rs == NULL) return;
    cons_voteset_free(&rs->votes[0]);
    cons_voteset_free(&rs->votes[1]);
    free(rs->prop.value);
    free(rs);
}

/* An empty log for round: the spare round's memory when its vote sets are
 * sized for this set, else new. */
static round_state *round_new(cons_engine *e, uint32_t round) {
    round_state *rs = e->spare_round;
    e->spare_round = NULL;
    if (rs != NULL && rs->votes[0].n == e->vs.n) {
        HANSA_ASSERT(rs->prop.value == NULL);
        cons_voteset votes[2] = {rs->votes[0], rs->votes[1]};
        memset(rs, 0, sizeof *rs);
        rs->votes[0] = votes[0];
        rs->votes[1] = votes[1];
        cons_voteset_clear(&rs->votes[0]);
        cons_voteset_clear(&rs->votes[1]);
    } else {
        round_free(rs);
        rs = hansa_calloc(1, sizeof *rs);
        cons_voteset_init(&rs->votes[0], e->vs.n);
        cons_voteset_init(&rs->votes[1], e->vs.n);
    }
    rs->proposer = valset_proposer(&e->vs, round);
    return rs;
}

/* The round's log, created on first use. Callers bound round (by the future
 * window or by the engine's own round), so the array stays bounded too. */
static round_state *round_get(cons_engine *e, uint32_t round) {
    HANSA_ASSERT(round != WIRE_ROUND_NONE);
    if (round >= e->n_rounds) {
        uint32_t n = round + 1;
        if (n > e->cap_rounds) {
            e->rounds = hansa_realloc(e->rounds, n * sizeof *e->rounds);
            e->cap_rounds = n;
        }
        memset(e->rounds + e->n_rounds, 0, (n - e->n_rounds) * sizeof *e->rounds);
        e->n_rounds = n;
    }
    if (e->rounds[round] == NULL) e->rounds[round] = round_new(e, round);
    return e->rounds[round];
}

/* The round's log if it exists, else NULL. */
static round_state *round_find(const cons_engine *e, uint32_t round) {
    return round < e->n_rounds ? e->rounds[round] : NULL;
}

static void mark_seen(cons_engine *e, round_state *rs, uint16_t idx) {
    if (rs->seen[idx]) return;
    rs->seen[idx] = true;
    rs->power_seen += e->vs.v[idx].power;
}

/* True if entry c was made for exactly these bytes; *digest (computed on
 * first need, *has_digest says) is the bytes' SHA-256. */
static bool entry_is(const valid_entry *c, const uint8_t *value, size_t len, hansa_hash *digest,
                     bool *has_digest) {
    if (c->bytes != NULL) return c->len == len && (len == 0 || memcmp(c->bytes, value, len) == 0);
    if (!*has_digest) sha256(value, len, digest);
    *has_digest = true;
    return hash_eq(&c->digest, digest);
}

/* valid(v) of Alg. 1 with the per-height cache (see valid_entry). kept: if
 * valid, value stays owned by the engine until height_clear (prop_store
 * keeps it in the round's prop_slot), so the entry may point at it. */
static bool value_valid(cons_engine *e, const hansa_hash *id, const uint8_t *value, size_t len,
                        bool kept) {
    hansa_hash digest;
    bool has_digest = false, id_has_valid_bytes = false;
    for (size_t i = 0; i < e->n_vcache; i++) {
        const valid_entry *c = &e->vcache[i];
        if (!hash_eq(&c->id, id)) continue;
        if (entry_is(c, value, len, &digest, &has_digest)) return c->verdict;
        if (c->verdict) id_has_valid_bytes = true;
    }
    /* Other bytes were already accepted under this id; these cannot be it. */
    if (id_has_valid_bytes) return false;
    bool ok = e->cfg.app.valid(e->cfg.app.ctx, e->height, value, len, id);
    if (e->n_vcache == e->cap_vcache) {
        e->cap_vcache = e->cap_vcache ? 2 * e->cap_vcache : 8;
        e->vcache = hansa_realloc(e->vcache, e->cap_vcache * sizeof *e->vcache);
    }
    valid_entry c = {.id = *id, .len = len, .verdict = ok};
    if (ok && kept && value != NULL) {
        c.bytes = value;
    } else {
        if (!has_digest) sha256(value, len, &digest);
        c.digest = digest;
    }
    e->vcache[e->n_vcache++] = c;
    return ok;
}

/* PBTS: a proposal without a proof-of-lock must be timely when it
 * arrives; one with a proof-of-lock is not judged again. */
static bool judge_timely(const cons_engine *e, const wire_proposal *p, const uint8_t *value,
                         size_t len) {
    if (p->pol_round != WIRE_ROUND_NONE || e->cfg.app.timely == NULL) return true;
    return e->cfg.app.timely(e->cfg.app.ctx, p, value, len);
}

/* Stores a proposal whose signature and proposer were checked; takes value. */
static void prop_store(cons_engine *e, round_state *rs, const wire_proposal *p, uint8_t *value,
                       size_t len, bool timely) {
    HANSA_ASSERT(!rs->prop.has);
    HANSA_ASSERT(value != NULL);
    rs->prop.has = true;
    rs->prop.msg = *p;
    rs->prop.timely = timely;
    rs->prop.valid = value_valid(e, &p->block, value, len, true);
    if (rs->prop.valid) {
        rs->prop.value = value;
        rs->prop.value_len = len;
    } else {
        free(value); /* an invalid value is only ever prevoted nil */
    }
    mark_seen(e, rs, rs->proposer);
}

/* A received, valid value with this id from any round of the height, or NULL.
 * The id names the bytes (valid() checked it), so any round's copy will do. */
static const prop_slot *value_by_id(const cons_engine *e, const hansa_hash *id) {
    for (uint32_t r = 0; r < e->n_rounds; r++) {
        const round_state *rs = e->rounds[r];
        if (rs == NULL || !rs->prop.has || !rs->prop.valid) continue;
        if (hash_eq(&rs->prop.msg.block, id)) return &rs->prop;
    }
    return NULL;
}

/* Adds a vote whose signature was checked (or that the engine signed). */
static void vote_store(cons_engine *e, round_state *rs, uint16_t idx, const wire_vote *v) {
    cons_voteset *s = &rs->votes[vote_type_index(v->type)];
    cons_voteset_add(s, idx, &v->block, &v->sig, e->vs.v[idx].power);
    mark_seen(e, rs, idx);
}

/* The full vote behind a slot of a vote set. */
static wire_vote vote_of_slot(const cons_engine *e, uint32_t round, uint8_t type, uint16_t idx,
                              const cons_vote_slot *slot) {
    return (wire_vote){.chain_id = e->cfg.chain_id, .height = e->height, .round = round,
                       .type = type, .block = slot->block, .validator = e->vs.v[idx].pubkey,
                       .sig = slot->sig};
}

/* ---- signing: persist before release -------------------------------------- */

typedef enum { SIGN_NEW, SIGN_REPEAT, SIGN_REFUSE } sign_verdict;

static bool vote_eq(const wire_vote *v, uint8_t type, const block_id *block) {
    return v->type == type && v->block.present == block->present &&
           hash_eq(&v->block.hash, &block->hash);
}

/* May the engine sign at (height, round, step)? `same` says whether the
 * message would equal the last one signed, if that is at the same position.
 * Never sign at or before the last signed position, except to repeat the
 * very same message once it is durable. */
static sign_verdict sign_check(const cons_engine *e, uint32_t round, cons_step step, bool same) {
    if (e->self < 0 || e->decided) return SIGN_REFUSE;
    const cons_signer_state *s = &e->signer;
    if (!s->has_signed) return SIGN_NEW;
    int c = pos_cmp(e->height, round, step, s->height, s->round, s->step);
    if (c > 0) return SIGN_NEW;
    if (c < 0 || !same) return SIGN_REFUSE;
    /* Not durable yet: its pending release will send it. */
    return e->signer_durable ? SIGN_REPEAT : SIGN_REFUSE;
}

/* Records what is about to be signed as the new signer state, with the lock
 * and valid value of this moment, and asks for it to be persisted. */
static uint64_t signer_advance(cons_engine *e, uint32_t round, cons_step step) {
    cons_signer_state *s = &e->signer;
    if (!s->has_signed || s->height != e->height) {
        s->has_prev_precommit = false;
        memset(&s->prev_precommit, 0, sizeof s->prev_precommit);
    } else if (s->round < round && s->signed_kind == 1 && s->last_vote.type == VOTE_PRECOMMIT) {
        s->has_prev_precommit = true; /* the round it leaves: see engine.h */
        s->prev_precommit = s->last_vote;
    }
    s->height = e->height;
    s->round = round;
    s->step = (uint8_t)step;
    s->has_signed = true;
    s->locked_round = e->locked_round;
    s->locked_id = e->locked_id;
    s->valid_round = e->valid_round;
    s->valid_id = e->valid_id;
    e->signer_seq = ++e->seq;
    e->signer_durable = false;
    return e->signer_seq;
}

static pending_msg *pending_push(cons_engine *e, uint64_t seq) {
    if (e->n_pending == e->cap_pending) {
        e->cap_pending = e->cap_pending ? 2 * e->cap_pending : 4;
        e->pending = hansa_realloc(e->pending, e->cap_pending * sizeof *e->pending);
    }
    pending_msg *m = &e->pending[e->n_pending++];
    memset(m, 0, sizeof *m);
    m->seq = seq;
    return m;
}

/* A released proposal of this engine: out to the network and into the log.
 * If the log already holds another proposal under this engine's key (echoed
 * by peers after a restore from an old backup), sending this one would show
 * two proposals for the round: it stays unsent. */
static void release_proposal(cons_engine *e, const wire_proposal *p, uint8_t *value, size_t len) {
    round_state *rs = round_get(e, p->round);
    if (!rs->prop.has) prop_store(e, rs, p, value, len, true); /* our own clock made it */
    else free(value);
    if (!hash_eq(&rs->prop.msg.block, &p->block) || rs->prop.msg.pol_round != p->pol_round)
        return;
    /* The application judged its own value invalid: never send a proposal
     * without its value; the engine prevotes nil on it like anyone would. */
    if (rs->prop.value == NULL) return;
    rs->sent_prop = true;
    cons_out *o = out_push(e, CONS_OUT_PROPOSAL);
    o->u.proposal.proposal = rs->prop.msg;
    o->u.proposal.value = rs->prop.value;
    o->u.proposal.value_len = rs->prop.value_len;
}

/* A released vote of this engine: out to the network, and only now counted
 * in the engine's own vote set. */
static void release_vote(cons_engine *e, const wire_vote *v) {
    HANSA_ASSERT(e->self >= 0);
    round_state *rs = round_get(e, v->round);
    int t = vote_type_index(v->type);
    switch (cons_voteset_check(&rs->votes[t], (uint16_t)e->self, &v->block)) {
    case CONS_VS_NEW: vote_store(e, rs, (uint16_t)e->self, v); break;
    case CONS_VS_SAME: break;
    case CONS_VS_CONFLICT:
    case CONS_VS_FULL: return; /* see release_proposal: stays unsent */
    }
    rs->sent_vote[t] = true;
    rs->sent_block[t] = v->block;
    cons_out *o = out_push(e, CONS_OUT_VOTE);
    o->u.vote = *v;
}

/* Alg. 1 lines 19, 24/26, 30/32, 40, 45, 59, 63: "broadcast <PROPOSAL ...>".
 * Takes value. */
static void sign_proposal(cons_engine *e, uint32_t pol_round, const hansa_hash *id, uint8_t *value,
                          size_t len) {
    const cons_signer_state *s = &e->signer;
    bool same = s->has_signed && s->signed_kind == 0 && hash_eq(&s->last_proposal.block, id) &&
                s->last_proposal.pol_round == pol_round;
    switch (sign_check(e, e->round, CONS_STEP_PROPOSE, same)) {
    case SIGN_REFUSE: free(value); return;
    case SIGN_REPEAT: release_proposal(e, &s->last_proposal, value, len); return;
    case SIGN_NEW: break;
    }
    wire_proposal p = {.chain_id = e->cfg.chain_id, .height = e->height, .round = e->round,
                       .pol_round = pol_round, .block = *id, .proposer = e->key.pub};
    uint8_t storage[WIRE_PROPOSAL_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_proposal_sign_bytes(&b, &p);
    sign_domain(&e->key, SIGN_DOMAIN_PROPOSAL, b.data, b.len, &p.sig);
    hbuf_free(&b);
    uint64_t seq = signer_advance(e, e->round, CONS_STEP_PROPOSE);
    e->signer.signed_kind = 0;
    e->signer.last_proposal = p;
    memset(&e->signer.last_vote, 0, sizeof e->signer.last_vote);
    e->signer.has_round_prevote = false;
    memset(&e->signer.round_prevote, 0, sizeof e->signer.round_prevote);
    out_persist(e, seq);
    pending_msg *m = pending_push(e, seq);
    m->is_proposal = true;
    m->prop = p;
    m->value = value;
    m->value_len = len;
}

/* Signs a vote at a position sign_check allowed, files it as the new
 * signer state and asks for the record to be persisted. */
static void sign_new_vote(cons_engine *e, uint8_t type, cons_step step, const block_id *block) {
    const cons_signer_state *s = &e->signer;
    /* A precommit right after this round's prevote keeps the prevote. */
    bool keep = s->has_signed && s->signed_kind == 1 && s->last_vote.type == VOTE_PREVOTE &&
                s->height == e->height && s->round == e->round && step == CONS_STEP_PRECOMMIT;
    wire_vote kept = s->last_vote;
    wire_vote v = {.chain_id = e->cfg.chain_id, .height = e->height, .round = e->round,
                   .type = type, .block = *block, .validator = e->key.pub};
    uint8_t storage[WIRE_VOTE_BYTES];
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_vote_sign_bytes(&b, &v);
    sign_domain(&e->key, SIGN_DOMAIN_VOTE, b.data, b.len, &v.sig);
    hbuf_free(&b);
    uint64_t seq = signer_advance(e, e->round, step);
    e->signer.signed_kind = 1;
    e->signer.last_vote = v;
    memset(&e->signer.last_proposal, 0, sizeof e->signer.last_proposal);
    e->signer.has_round_prevote = keep;
    if (keep) e->signer.round_prevote = kept;
    else memset(&e->signer.round_prevote, 0, sizeof e->signer.round_prevote);
    out_persist(e, seq);
    pending_msg *m = pending_push(e, seq);
    m->vote = v;
}

static void sign_vote(cons_engine *e, uint8_t type, const block_id *block) {
    cons_step step = type == VOTE_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
    const cons_signer_state *s = &e->signer;
    bool same = s->has_signed && s->signed_kind == 1 && vote_eq(&s->last_vote, type, block);
    /* A vote of ours for this slot may already be in the log, echoed back by
     * peers from before a restore from an old backup: never contradict it. */
    if (e->self >= 0) {
        round_state *rs = round_get(e, e->round);
        cons_vs_check c =
            cons_voteset_check(&rs->votes[vote_type_index(type)], (uint16_t)e->self, block);
        if (c == CONS_VS_CONFLICT || c == CONS_VS_FULL) return;
    }
    /* The kept prevote of the restored round is a durable message too. */
    if (s->has_round_prevote && e->signer_durable && step == CONS_STEP_PREVOTE &&
        s->height == e->height && s->round == e->round && vote_eq(&s->round_prevote, type, block)) {
        release_vote(e, &s->round_prevote);
        return;
    }
    switch (sign_check(e, e->round, step, same)) {
    case SIGN_REFUSE: return;
    case SIGN_REPEAT: release_vote(e, &s->last_vote); return;
    case SIGN_NEW: sign_new_vote(e, type, step, block); return;
    }
}

/* A restarted engine entering the round of its persisted message sends that
 * message again (it may never have left before the crash) and counts it;
 * first its precommit of the round it left, then after a precommit the
 * round's prevote. */
static void resend_restored(cons_engine *e, uint32_t round) {
    const cons_signer_state *s = &e->signer;
    if (e->self < 0 || !e->signer_durable || !s->has_signed) return;
    if (s->height != e->height || s->round != round) return;
    if (s->has_prev_precommit && pubkey_eq(&s->prev_precommit.validator, &e->key.pub))
        release_vote(e, &s->prev_precommit);
    if (s->signed_kind != 1 || !pubkey_eq(&s->last_vote.validator, &e->key.pub)) return;
    if (s->has_round_prevote) release_vote(e, &s->round_prevote);
    release_vote(e, &s->last_vote);
}

/* ---- Alg. 1 -------------------------------------------------------------- */

/* Alg. 1, lines 14-19: the proposer proposes validValue if it has one, else
 * getValue(). After a restart the bytes of validValue may be lost (only its
 * id is persisted): then it proposes nothing and the round times out. */
static void propose(cons_engine *e) {
    if (e->valid_round != WIRE_ROUND_NONE) {
        /* Alg. 1, lines 15-16: proposal <- validValue */
        const prop_slot *src = value_by_id(e, &e->valid_id);
        if (src == NULL) return;
        sign_proposal(e, e->valid_round, &e->valid_id, hansa_memdup(src->value, src->value_len),
                      src->value_len);
        return;
    }
    /* Alg. 1, line 18: proposal <- getValue() */
    hbuf b = HBUF_INIT;
    hansa_hash id;
    if (!e->cfg.app.get_value(e->cfg.app.ctx, e->height, e->round, &b, &id)) {
        hbuf_free(&b);
        return;
    }
    size_t len = b.len;
    uint8_t *value = b.data != NULL ? hbuf_take(&b, &len) : hansa_malloc(1);
    sign_proposal(e, WIRE_ROUND_NONE, &id, value, len);
}

/* Alg. 1, lines 11-21: StartRound(round). Unlike line 21, the proposer too
 * schedules timeoutPropose, so a proposer whose own proposal is stuck (in
 * persist, or refused after a restart) still moves on. */
static void start_round(cons_engine *e, uint32_t round) {
    HANSA_ASSERT(!e->decided);
    e->round = round;              /* line 12 */
    e->step = CONS_STEP_PROPOSE;   /* line 13 */
    round_state *rs = round_get(e, round);
    resend_restored(e, round);
    if (e->self >= 0 && rs->proposer == (uint16_t)e->self) propose(e); /* line 14 */
    out_timer(e, CONS_TIMER_PROPOSE); /* line 21 */
}

/* Lines 23 and 29, the lock tests. Line 29 is where POL rounds unlock:
 * a node locked in round lr may prevote a value with a proof of lock from
 * round vr >= lr. test_break_line29 deliberately ignores the lock there. */
static bool lock_allows(const cons_engine *e, const hansa_hash *id, uint32_t vr) {
    if (e->locked_round == WIRE_ROUND_NONE) return true;
    if (hash_eq(&e->locked_id, id)) return true;
    if (vr == WIRE_ROUND_NONE) return false;                /* line 23 */
    if (e->cfg.test_break_line29) return true;              /* broken on purpose */
    return e->locked_round <= vr;                           /* line 29 */
}

/* Alg. 1, line 22: upon <PROPOSAL, h, r, v, -1> from proposer(h, r) while
 * step = propose; and line 28: upon <PROPOSAL, h, r, v, vr> from
 * proposer(h, r) AND 2f+1 <PREVOTE, h, vr, id(v)> while step = propose and
 * 0 <= vr < r. Both prevote id(v) if valid(v) and the lock allows (lines
 * 23, 29), else nil (lines 26, 32). A value whose bytes never arrived is
 * never prevoted: the slot exists only with its value. */
static bool rule_line22_28(cons_engine *e, round_state *rs) {
    if (e->step != CONS_STEP_PROPOSE || !rs->prop.has) return false;
    const wire_proposal *p = &rs->prop.msg;
    uint32_t vr = p->pol_round;
    if (vr != WIRE_ROUND_NONE) {
        HANSA_ASSERT(vr < e->round); /* checked on receipt */
        const round_state *pol = round_find(e, vr);
        if (pol == NULL) return false;
        block_id b = block_of(&p->block);
        if (!valset_is_quorum(&e->vs, cons_voteset_power_for(&pol->votes[0], &b))) return false;
    }
    /* PBTS, line 22: ... if timely(proposal) and valid(v) and (lockedRound = -1 or
     * lockedValue = v); rs->prop.timely is true for vr >= 0. */
    bool yes = rs->prop.valid && rs->prop.timely && lock_allows(e, &p->block, vr);
    block_id b = yes ? block_of(&p->block) : nil_block;
    e->step = CONS_STEP_PREVOTE; /* lines 27, 33 (before signing: the position) */
    sign_vote(e, VOTE_PREVOTE, &b);
    return true;
}

/* Alg. 1, line 34: upon 2f+1 <PREVOTE, h, r, *> while step = prevote for
 * the first time: schedule OnTimeoutPrevote (line 35). */
static bool rule_line34(cons_engine *e, round_state *rs) {
    if (e->step != CONS_STEP_PREVOTE || rs->did_line34) return false;
    if (!valset_is_quorum(&e->vs, rs->votes[0].power_any)) return false;
    rs->did_line34 = true;
    out_timer(e, CONS_TIMER_PREVOTE);
    return true;
}

/* Alg. 1, line 36: upon <PROPOSAL, h, r, v, *> from proposer(h, r) AND 2f+1
 * <PREVOTE, h, r, id(v)> while valid(v) and step >= prevote for the first
 * time: lock and precommit if still at prevote (lines 37-41), and always
 * remember v as the valid value (lines 42-43). */
static bool rule_line36(cons_engine *e, round_state *rs) {
    if (e->step < CONS_STEP_PREVOTE || rs->did_line36) return false;
    if (!rs->prop.has || !rs->prop.valid) return false;
    block_id b = block_of(&rs->prop.msg.block);
    if (!valset_is_quorum(&e->vs, cons_voteset_power_for(&rs->votes[0], &b))) return false;
    rs->did_line36 = true;
    if (e->step == CONS_STEP_PREVOTE) {
        e->locked_id = b.hash;        /* line 38 */
        e->locked_round = e->round;   /* line 39 */
        e->valid_id = b.hash;         /* lines 42-43, before signing so the */
        e->valid_round = e->round;    /* persisted record carries them */
        e->step = CONS_STEP_PRECOMMIT; /* line 41 */
        sign_vote(e, VOTE_PRECOMMIT, &b); /* line 40 */
        return true;
    }
    e->valid_id = b.hash;      /* line 42 */
    e->valid_round = e->round; /* line 43 */
    return true;
}

/* Alg. 1, line 44: upon 2f+1 <PREVOTE, h, r, nil> while step = prevote:
 * precommit nil (lines 45-46). */
static bool rule_line44(cons_engine *e, round_state *rs) {
    if (e->step != CONS_STEP_PREVOTE) return false;
    if (!valset_is_quorum(&e->vs, cons_voteset_power_for(&rs->votes[0], &nil_block))) return false;
    e->step = CONS_STEP_PRECOMMIT;
    sign_vote(e, VOTE_PRECOMMIT, &nil_block);
    return true;
}

/* Alg. 1, line 47: upon 2f+1 <PRECOMMIT, h, r, *> for the first time:
 * schedule OnTimeoutPrecommit (line 48). */
static bool rule_line47(cons_engine *e, round_state *rs) {
    if (rs->did_line47) return false;
    if (!valset_is_quorum(&e->vs, rs->votes[1].power_any)) return false;
    rs->did_line47 = true;
    out_timer(e, CONS_TIMER_PRECOMMIT);
    return true;
}

/* Not in Alg. 1 (CometBFT does it): upon 2f+1 <PRECOMMIT, h, r, nil> while
 * round_p = r: StartRound(r + 1) at once instead of after timeoutPrecommit.
 * Safe: no value can gather 2f+1 precommits in r any more without more than
 * f validators precommitting twice, and starting a round early is what line
 * 65 does anyway (safety never depends on when a round starts). It turns a
 * silent proposer's cost from propose + precommit timeouts into the propose
 * timeout alone. */
static bool rule_nil_quorum(cons_engine *e, round_state *rs) {
    if (!valset_is_quorum(&e->vs, cons_voteset_power_for(&rs->votes[1], &nil_block))) return false;
    start_round(e, e->round + 1);
    return true;
}

/* Room for n signatures of this height's certificate (e->commit_sigs). */
static wire_commit_sig *commit_sigs_room(cons_engine *e, size_t n) {
    if (n > e->cap_commit_sigs) {
        free(e->commit_sigs);
        e->commit_sigs = hansa_malloc(n * sizeof *e->commit_sigs);
        e->cap_commit_sigs = n;
    }
    return e->commit_sigs;
}

/* The commit certificate of the decision: the precommits for id at round,
 * in increasing validator index. */
static void build_commit(cons_engine *e, const round_state *rs, uint32_t round,
                         const hansa_hash *id) {
    wire_commit *c = &e->commit;
    *c = (wire_commit){.chain_id = e->cfg.chain_id, .height = e->height, .round = round,
                       .block = *id};
    c->sigs = commit_sigs_room(e, e->vs.n);
    memset(c->sigs, 0, e->vs.n * sizeof *c->sigs);
    block_id b = block_of(id);
    for (uint16_t i = 0; i < e->vs.n; i++) {
        const cons_vote_slot *s = cons_voteset_vote_for(&rs->votes[1], i, &b);
        if (s == NULL) continue;
        c->sigs[c->n_sigs++] = (wire_commit_sig){.validator_index = i, .sig = s->sig};
    }
    HANSA_ASSERT(c->n_sigs >= 1);
}

/* Lines 51-54, shared by line 49 and block sync: decide, output the
 * decision, stop voting at this height. The next height starts only when
 * the driver calls cons_start_height (line 52-54 happen there). */
static void decide(cons_engine *e, uint32_t round, const hansa_hash *id, const uint8_t *value,
                   size_t len) {
    HANSA_ASSERT(!e->decided);
    HANSA_ASSERT(e->commit.n_sigs >= 1);
    e->decided = true;
    e->decided_round = round;
    e->decided_id = *id;
    if (len > e->cap_decided || e->decided_buf == NULL) {
        free(e->decided_buf);
        e->cap_decided = len ? len : 1;
        e->decided_buf = hansa_malloc(e->cap_decided);
    }
    if (len) memcpy(e->decided_buf, value, len);
    e->decided_value = e->decided_buf;
    e->decided_len = len;
    cons_out *o = out_push(e, CONS_OUT_DECIDE);
    o->u.decide.height = e->height;
    o->u.decide.round = round;
    o->u.decide.id = *id;
    o->u.decide.value = e->decided_value;
    o->u.decide.value_len = len;
    o->u.decide.commit = &e->commit;
}

/* Alg. 1, line 49: upon <PROPOSAL, h, r, v, *> from proposer(h, r) AND 2f+1
 * <PRECOMMIT, h, r, id(v)> while decision[h] = nil: if valid(v), decide v
 * (lines 50-51). Any round r of the height; the bytes of v may come from
 * the proposal of another round with the same id. */
static bool rule_line49(cons_engine *e) {
    for (uint32_t r = 0; r < e->n_rounds; r++) {
        round_state *rs = e->rounds[r];
        hansa_hash id;
        if (rs == NULL || !cons_voteset_quorum_block(&rs->votes[1], &e->vs, &id)) continue;
        const prop_slot *v = value_by_id(e, &id); /* valid(v) checked when stored */
        if (v == NULL) continue;
        build_commit(e, rs, r, &id);
        decide(e, r, &id, v->value, v->value_len);
        return true;
    }
    return false;
}

/* Alg. 1, line 55: upon f+1 <*, h, round, *, *> with round > round_p:
 * StartRound(round) (line 56). Counts the power of distinct validators
 * that sent anything in that round; the highest such round wins. */
static bool rule_line55(cons_engine *e) {
    for (uint32_t r = e->n_rounds; r-- > e->round + 1;) {
        const round_state *rs = e->rounds[r];
        if (rs == NULL || !valset_is_one_third(&e->vs, rs->power_seen)) continue;
        start_round(e, r);
        return true;
    }
    return false;
}

/* Evaluates the upon-rules until none fires. Each firing either moves the
 * step/round forward or sets a once-per-round flag, so this terminates. */
static void run_rules(cons_engine *e) {
    while (e->started && !e->decided) {
        if (rule_line49(e)) return;
        if (rule_line55(e)) continue;
        round_state *rs = round_get(e, e->round);
        if (rule_line22_28(e, rs)) continue;
        if (rule_line34(e, rs)) continue;
        if (rule_line36(e, rs)) continue;
        if (rule_line44(e, rs)) continue;
        if (rule_nil_quorum(e, rs)) continue;
        if (rule_line47(e, rs)) continue;
        return;
    }
}

void cons_on_timeout(cons_engine *e, cons_timer_kind kind, uint64_t height, uint32_t round) {
    out_begin(e);
    if (!e->started || e->decided || height != e->height || round != e->round) return;
    switch (kind) {
    case CONS_TIMER_PROPOSE:
        /* Alg. 1, line 57: OnTimeoutPropose, if step = propose: prevote nil. */
        if (e->step != CONS_STEP_PROPOSE) return;
        e->step = CONS_STEP_PREVOTE;
        sign_vote(e, VOTE_PREVOTE, &nil_block);
        break;
    case CONS_TIMER_PREVOTE:
        /* Alg. 1, line 61: OnTimeoutPrevote, if step = prevote: precommit nil. */
        if (e->step != CONS_STEP_PREVOTE) return;
        e->step = CONS_STEP_PRECOMMIT;
        sign_vote(e, VOTE_PRECOMMIT, &nil_block);
        break;
    case CONS_TIMER_PRECOMMIT:
        /* Alg. 1, line 65: OnTimeoutPrecommit: StartRound(round + 1). */
        start_round(e, e->round + 1);
        break;
    }
    run_rules(e);
}

/* ---- inputs -------------------------------------------------------------- */

/* Keeps a verified message of height h+1 for cons_start_height(h+1). Only
 * validators of the current set are buffered (the next set is unknown yet;
 * it usually is the same), a few distinct votes each: gossip delivers a vote
 * once per peer, and copies must not use up the slots its signer's later
 * votes need. */
static hansa_err next_vote_keep(cons_engine *e, const wire_vote *v) {
    int idx = valset_index(&e->vs, &v->validator);
    if (idx < 0) return HANSA_ERR_PROTOCOL;
    if (v->round > e->cfg.future_rounds_max) return HANSA_ERR_FULL;
    for (size_t i = 0; i < e->n_next_votes; i++) {
        const wire_vote *k = &e->next_votes[i];
        if (pubkey_eq(&k->validator, &v->validator) && k->round == v->round &&
            k->type == v->type && block_id_eq(&k->block, &v->block))
            return HANSA_ERR_DUPLICATE;
    }
    if (e->next_votes_from[idx] >= NEXT_VOTES_PER_VALIDATOR) return HANSA_ERR_FULL;
    if (!cons_vote_sig_ok(&e->cfg.app, v)) return HANSA_ERR_BAD_SIG;
    HANSA_ASSERT(e->n_next_votes < (size_t)NEXT_VOTES_PER_VALIDATOR * e->vs.n);
    HANSA_ASSERT(e->n_next_votes < e->cap_next_votes);
    e->next_votes[e->n_next_votes++] = *v;
    e->next_votes_from[idx]++;
    return HANSA_OK;
}

/* An early proposal is kept only from the validator that proposes its round
 * at h+1 if the set stays the same (it moves one step per height,
 * valset.h), one per round: so validators proposing out of turn cannot take
 * the slots the real proposers need. After a set change the guess may be
 * wrong; the proposal is then refused here and arrives again with the
 * proposer's next rebroadcast. */
static hansa_err next_proposal_keep(cons_engine *e, const wire_proposal *p, const uint8_t *value,
                                    size_t len) {
    if (p->round >= NEXT_PROPOSALS_MAX) return HANSA_ERR_FULL;
    if (e->next_prop_round[p->round]) return HANSA_ERR_DUPLICATE;
    cons_valset next = e->vs;
    valset_advance(&next);
    if (!pubkey_eq(&p->proposer, &next.v[valset_proposer(&next, p->round)].pubkey))
        return HANSA_ERR_PROTOCOL;
    if (!cons_proposal_sig_ok(&e->cfg.app, p)) return HANSA_ERR_BAD_SIG;
    HANSA_ASSERT(e->n_next_props < NEXT_PROPOSALS_MAX);
    e->next_prop_round[p->round] = true;
    e->next_props[e->n_next_props++] =
        (next_proposal){.msg = *p, .timely = judge_timely(e, p, value, len),
                        .value = hansa_memdup(value, len), .value_len = len};
    return HANSA_OK;
}

/* A proposal from the network; *timely is its PBTS verdict if already
 * judged (a buffered proposal replayed), else NULL: judged now. */
static hansa_err proposal_in(cons_engine *e, const wire_proposal *p, const uint8_t *value,
                             size_t value_len, const bool *timely) {
    if (!e->started) return HANSA_ERR_STATE;
    if (p->chain_id != e->cfg.chain_id) return HANSA_ERR_WRONG_CHAIN;
    if (p->pol_round != WIRE_ROUND_NONE && p->pol_round >= p->round) return HANSA_ERR_INVALID;
    if (value_len > WIRE_BLOCK_BYTES_MAX) return HANSA_ERR_TOO_LONG;
    if (value == NULL && value_len != 0) return HANSA_ERR_INVALID;
    if (e->height != UINT64_MAX && p->height == e->height + 1)
        return next_proposal_keep(e, p, value, value_len);
    if (p->height != e->height) return HANSA_ERR_STATE;
    if (e->decided) return HANSA_ERR_STATE;
    if (p->round > round_limit(e)) return HANSA_ERR_FULL;
    round_state *probe = round_find(e, p->round);
    uint16_t proposer = probe ? probe->proposer : valset_proposer(&e->vs, p->round);
    if (!pubkey_eq(&p->proposer, &e->vs.v[proposer].pubkey)) return HANSA_ERR_PROTOCOL;
    if (probe != NULL && probe->prop.has) return HANSA_ERR_DUPLICATE;
    if (!cons_proposal_sig_ok(&e->cfg.app, p)) return HANSA_ERR_BAD_SIG;
    round_state *rs = round_get(e, p->round);
    bool ok_time = timely ? *timely : judge_timely(e, p, value, value_len);
    prop_store(e, rs, p, hansa_memdup(value, value_len), value_len, ok_time);
    run_rules(e);
    return HANSA_OK;
}

/* A second, different vote from a validator for one slot: evidence (once:
 * a third face is dropped before it gets here), and it counts for its block
 * like any vote (see voteset.h for why). */
static hansa_err conflict_in(cons_engine *e, round_state *rs, uint16_t idx, const wire_vote *v) {
    cons_voteset *s = &rs->votes[vote_type_index(v->type)];
    if (!cons_vote_sig_ok(&e->cfg.app, v)) return HANSA_ERR_BAD_SIG;
    wire_vote first = vote_of_slot(e, v->round, v->type, idx, &s->slot[idx]);
    wire_evidence ev;
    HANSA_ASSERT(wire_evidence_make(&first, v, &ev) == HANSA_OK);
    cons_out *o = out_push(e, CONS_OUT_EVIDENCE);
    o->u.evidence = ev;
    cons_voteset_add(s, idx, &v->block, &v->sig, e->vs.v[idx].power);
    run_rules(e);
    return HANSA_OK;
}

/* A further face of a validator that already has two, usually dropped
 * (evidence is out already). Kept in place of the second face when it is a
 * prevote for the block of a stored proposal whose proof-of-lock round is
 * this round: that POL must stay checkable (see cons_voteset_replace_alt). */
static hansa_err pol_face_in(cons_engine *e, round_state *rs, uint16_t idx, const wire_vote *v) {
    if (v->type != VOTE_PREVOTE || !v->block.present) return HANSA_ERR_DUPLICATE;
    bool needed = false;
    for (uint32_t r = v->round + 1; r < e->n_rounds && !needed; r++) {
        const round_state *later = e->rounds[r];
        needed = later != NULL && later->prop.has && later->prop.msg.pol_round == v->round &&
                 hash_eq(&later->prop.msg.block, &v->block.hash);
    }
    if (!needed) return HANSA_ERR_DUPLICATE;
    if (!cons_vote_sig_ok(&e->cfg.app, v)) return HANSA_ERR_BAD_SIG;
    cons_voteset_replace_alt(&rs->votes[0], idx, &v->block, &v->sig, e->vs.v[idx].power);
    run_rules(e);
    return HANSA_OK;
}

static hansa_err vote_in(cons_engine *e, const wire_vote *v) {
    if (!e->started) return HANSA_ERR_STATE;
    if (v->chain_id != e->cfg.chain_id) return HANSA_ERR_WRONG_CHAIN;
    if (v->type != VOTE_PREVOTE && v->type != VOTE_PRECOMMIT) return HANSA_ERR_INVALID;
    if (!cert_vote_form_ok(v)) return HANSA_ERR_NONCANONICAL;
    if (e->height != UINT64_MAX && v->height == e->height + 1) return next_vote_keep(e, v);
    if (v->height != e->height) return HANSA_ERR_STATE;
    /* After the decision only precommits still matter (for late commits). */
    if (e->decided && v->type != VOTE_PRECOMMIT) return HANSA_ERR_STATE;
    int idx = valset_index(&e->vs, &v->validator);
    if (idx < 0) return HANSA_ERR_PROTOCOL;
    if (v->round > round_limit(e)) return HANSA_ERR_FULL;
    round_state *probe = round_find(e, v->round);
    if (probe != NULL) {
        switch (cons_voteset_check(&probe->votes[vote_type_index(v->type)], (uint16_t)idx,
                                   &v->block)) {
        case CONS_VS_SAME: return HANSA_ERR_DUPLICATE;
        case CONS_VS_FULL: return pol_face_in(e, probe, (uint16_t)idx, v);
        case CONS_VS_CONFLICT: return conflict_in(e, probe, (uint16_t)idx, v);
        case CONS_VS_NEW: break;
        }
    }
    if (!cons_vote_sig_ok(&e->cfg.app, v)) return HANSA_ERR_BAD_SIG;
    vote_store(e, round_get(e, v->round), (uint16_t)idx, v);
    run_rules(e);
    return HANSA_OK;
}

hansa_err cons_on_proposal(cons_engine *e, const wire_proposal *p, const uint8_t *value,
                           size_t value_len) {
    out_begin(e);
    return proposal_in(e, p, value, value_len, NULL);
}

hansa_err cons_on_vote(cons_engine *e, const wire_vote *v) {
    out_begin(e);
    return vote_in(e, v);
}

void cons_tick(cons_engine *e, uint64_t now_ms) {
    out_begin(e);
    if (now_ms > e->now_ms) e->now_ms = now_ms;
}

void cons_on_persisted(cons_engine *e, uint64_t seq) {
    out_begin(e);
    if (seq == e->signer_seq) e->signer_durable = true;
    /* Records are written in order, so every message up to seq is covered:
     * either its own record or a later one (which is at a later position)
     * is on disk. */
    size_t done = 0;
    while (done < e->n_pending && e->pending[done].seq <= seq) {
        pending_msg *m = &e->pending[done++];
        if (m->is_proposal) {
            release_proposal(e, &m->prop, m->value, m->value_len);
            m->value = NULL;
        } else {
            release_vote(e, &m->vote);
        }
    }
    memmove(e->pending, e->pending + done, (e->n_pending - done) * sizeof *e->pending);
    e->n_pending -= done;
    if (done > 0) run_rules(e);
}

hansa_err cons_on_commit(cons_engine *e, const wire_commit *c, const uint8_t *value,
                         size_t value_len) {
    out_begin(e);
    if (!e->started) return HANSA_ERR_STATE;
    if (c->chain_id != e->cfg.chain_id) return HANSA_ERR_WRONG_CHAIN;
    if (c->height != e->height) return HANSA_ERR_STATE;
    if (e->decided) return HANSA_ERR_DUPLICATE;
    if (value == NULL && value_len != 0) return HANSA_ERR_INVALID;
    if (value_len > WIRE_BLOCK_BYTES_MAX) return HANSA_ERR_TOO_LONG;
    cert_verifier vf = cons_verifier(&e->cfg.app);
    hansa_err err = cert_commit_verify_with(&vf, c, e->cfg.chain_id, e->vs.v, e->vs.n);
    if (err != HANSA_OK) return err;
    /* Line 50: decide only a valid value, and only the one the cert names. */
    if (!value_valid(e, &c->block, value, value_len, false)) return HANSA_ERR_INVALID;
    e->commit = *c;
    e->commit.sigs = commit_sigs_room(e, c->n_sigs);
    memcpy(e->commit.sigs, c->sigs, c->n_sigs * sizeof *c->sigs);
    decide(e, c->round, &c->block, value, value_len);
    return HANSA_OK;
}

/* ---- life cycle ---------------------------------------------------------- */

cons_engine *cons_new(const cons_config *cfg, const cons_signer_state *restored) {
    HANSA_ASSERT(cfg != NULL);
    HANSA_ASSERT(cfg->app.get_value != NULL);
    HANSA_ASSERT(cfg->app.valid != NULL);
    cons_engine *e = hansa_calloc(1, sizeof *e);
    e->cfg = *cfg;
    if (cfg->key != NULL) {
        e->key = *cfg->key;
        e->has_key = true;
    }
    e->cfg.key = e->has_key ? &e->key : NULL;
    e->self = -1;
    e->locked_round = e->valid_round = WIRE_ROUND_NONE;
    e->signer.locked_round = e->signer.valid_round = WIRE_ROUND_NONE;
    if (restored != NULL) {
        HANSA_ASSERT(restored->step <= CONS_STEP_PRECOMMIT);
        e->signer = *restored;
        e->signer_durable = true; /* it was read back from disk */
        e->restore_lock = true;
    }
    return e;
}

/* Everything of the current height: the log, the caches, the decision. */
static void height_clear(cons_engine *e) {
    for (uint32_t r = 0; r < e->n_rounds; r++) {
        round_state *rs = e->rounds[r];
        if (rs == NULL || e->spare_round != NULL) {
            round_free(rs);
            continue;
        }
        free(rs->prop.value); /* the votes are cleared when it is taken again */
        rs->prop.value = NULL;
        e->spare_round = rs;
    }
    e->n_rounds = 0;
    e->n_vcache = 0;
    for (size_t i = 0; i < e->n_pending; i++) free(e->pending[i].value);
    e->n_pending = 0;
    e->decided_value = NULL; /* decided_buf is kept */
    e->decided_len = 0;
    memset(&e->commit, 0, sizeof e->commit); /* commit_sigs is kept */
    e->decided = false;
}

static void next_clear(cons_engine *e) {
    for (size_t i = 0; i < e->n_next_props; i++) free(e->next_props[i].value);
    e->n_next_props = 0;
    e->n_next_votes = 0;
    memset(e->next_votes_from, 0, sizeof e->next_votes_from);
    memset(e->next_prop_round, 0, sizeof e->next_prop_round);
}

void cons_free(cons_engine *e) {
    if (e == NULL) return;
    height_clear(e);
    next_clear(e);
    round_free(e->spare_round);
    free(e->rounds);
    free(e->decided_buf);
    free(e->commit_sigs);
    free(e->next_votes);
    free(e->spare_votes);
    free(e->vcache);
    free(e->pending);
    free(e->out);
    free(e->out_state);
    free(e->states);
    keypair_wipe(&e->key);
    free(e);
}

/* Lines 52-53 (and 2-9 at the first height): reset lock and valid value, or
 * take them from the persisted signer state when restarting at its height. */
static void locks_reset(cons_engine *e) {
    e->locked_round = e->valid_round = WIRE_ROUND_NONE;
    memset(&e->locked_id, 0, sizeof e->locked_id);
    memset(&e->valid_id, 0, sizeof e->valid_id);
    if (!e->restore_lock) return;
    e->restore_lock = false;
    const cons_signer_state *s = &e->signer;
    if (!s->has_signed || s->height != e->height) return;
    e->locked_round = s->locked_round;
    e->locked_id = s->locked_id;
    e->valid_round = s->valid_round;
    e->valid_id = s->valid_id;
}

void cons_start_height(cons_engine *e, uint64_t height, const cons_valset *vs, uint64_t now_ms) {
    out_begin(e);
    /* Outputs of the old height point into memory freed here. */
    HANSA_ASSERT(e->n_out == 0);
    HANSA_ASSERT(vs != NULL);
    HANSA_ASSERT(vs->n >= 1);
    HANSA_ASSERT(!e->started || height > e->height);
    bool replay = e->started && height == e->height + 1;
    height_clear(e);
    e->started = true;
    e->height = height;
    if (now_ms > e->now_ms) e->now_ms = now_ms;
    e->vs = *vs;
    e->self = e->has_key ? valset_index(&e->vs, &e->key.pub) : -1;
    locks_reset(e);
    /* Replay what arrived early for this height; it is re-checked against
     * the new set, so the buffers of the old set are moved aside first. */
    wire_vote *votes = e->next_votes;
    size_t cap_votes = e->cap_next_votes;
    size_t n_votes = replay ? e->n_next_votes : 0;
    next_proposal props[NEXT_PROPOSALS_MAX];
    size_t n_props = replay ? e->n_next_props : 0;
    memcpy(props, e->next_props, sizeof props);
    if (!replay)
        for (size_t i = 0; i < e->n_next_props; i++) free(e->next_props[i].value);
    e->n_next_props = 0;
    size_t need = (size_t)NEXT_VOTES_PER_VALIDATOR * e->vs.n;
    if (e->cap_spare_votes < need) {
        free(e->spare_votes);
        e->spare_votes = hansa_malloc(need * sizeof *e->spare_votes);
        e->cap_spare_votes = need;
    }
    e->next_votes = e->spare_votes;
    e->cap_next_votes = e->cap_spare_votes;
    e->spare_votes = NULL;
    e->cap_spare_votes = 0;
    next_clear(e);
    /* A restarted engine resumes in the round it last signed in. */
    uint32_t first = 0;
    if (e->signer_durable && e->signer.has_signed && e->signer.height == height)
        first = e->signer.round;
    start_round(e, first); /* Alg. 1, line 10 / line 54 */
    for (size_t i = 0; i < n_props; i++) {
        (void)proposal_in(e, &props[i].msg, props[i].value, props[i].value_len, &props[i].timely);
        free(props[i].value);
    }
    for (size_t i = 0; i < n_votes; i++) (void)vote_in(e, &votes[i]);
    e->spare_votes = votes;
    e->cap_spare_votes = cap_votes;
    run_rules(e);
}

/* ---- outputs and views --------------------------------------------------- */

size_t cons_drain(cons_engine *e, const cons_out **out) {
    /* A second drain without an input in between returns nothing: each
     * output is handed out exactly once (the memory stays valid). */
    if (e->drained) {
        *out = e->out;
        return 0;
    }
    for (size_t i = 0; i < e->n_out; i++) {
        if (e->out[i].kind != CONS_OUT_PERSIST) continue;
        HANSA_ASSERT(e->out_state[i] < e->n_states);
        e->out[i].u.persist.state = &e->states[e->out_state[i]];
    }
    *out = e->out;
    size_t n = e->n_out;
    e->drained = true;
    return n;
}

/* Re-emits the engine's own released messages of one round. Only what this
 * engine released: a vote under our key that reached us from outside is
 * never repeated, because nothing proves we signed it (a second process
 * with the same key, or a forged replay, would make us spread a conflicting
 * vote). Drivers that log their own votes re-send those themselves. */
static void rebroadcast_round(cons_engine *e, uint32_t round) {
    round_state *rs = round_find(e, round);
    if (rs == NULL || e->self < 0) return;
    uint16_t self = (uint16_t)e->self;
    if (rs->sent_prop) {
        cons_out *o = out_push(e, CONS_OUT_PROPOSAL);
        o->u.proposal.proposal = rs->prop.msg;
        o->u.proposal.value = rs->prop.value;
        o->u.proposal.value_len = rs->prop.value_len;
    }
    static const uint8_t types[2] = {VOTE_PREVOTE, VOTE_PRECOMMIT};
    for (int t = 0; t < 2; t++) {
        if (!rs->sent_vote[t]) continue;
        const cons_vote_slot *s = cons_voteset_vote_for(&rs->votes[t], self, &rs->sent_block[t]);
        HANSA_ASSERT(s != NULL);
        cons_out *o = out_push(e, CONS_OUT_VOTE);
        o->u.vote = vote_of_slot(e, round, types[t], self, s);
    }
}

void cons_rebroadcast(cons_engine *e) {
    out_begin(e);
    if (!e->started) return;
    if (e->round > 0) rebroadcast_round(e, e->round - 1);
    rebroadcast_round(e, e->round);
    if (e->decided && e->decided_round + 1 < e->round) rebroadcast_round(e, e->decided_round);
}

size_t cons_relay_votes(const cons_engine *e, wire_vote *out, size_t max) {
    const round_state *rs = round_find(e, e->round);
    if (!e->started || rs == NULL || !rs->prop.has) return 0;
    uint32_t vr = rs->prop.msg.pol_round;
    const round_state *pol = vr == WIRE_ROUND_NONE ? NULL : round_find(e, vr);
    if (pol == NULL) return 0;
    block_id b = block_of(&rs->prop.msg.block);
    size_t n = 0;
    for (uint16_t i = 0; i < e->vs.n && n < max; i++) {
        const cons_vote_slot *s = cons_voteset_vote_for(&pol->votes[0], i, &b);
        if (s != NULL) out[n++] = vote_of_slot(e, vr, VOTE_PREVOTE, i, s);
    }
    return n;
}

uint64_t cons_height(const cons_engine *e) { return e->height; }
uint32_t cons_round(const cons_engine *e) { return e->round; }
cons_step cons_current_step(const cons_engine *e) { return e->step; }
bool cons_decided(const cons_engine *e) { return e->decided; }

bool cons_decided_commit(const cons_engine *e, wire_commit *out) {
    if (!e->decided) return false;
    const wire_commit *c = &e->commit;
    HANSA_ASSERT(c->round == e->decided_round);
    HANSA_ASSERT(c->n_sigs >= 1 && c->n_sigs <= e->vs.n);
    *out = *c;
    out->sigs = hansa_calloc(e->vs.n, sizeof *out->sigs);
    out->n_sigs = 0;
    /* A certificate from block sync may hold signatures this engine never
     * saw as votes: merge both, in increasing validator index. */
    const round_state *rs = round_find(e, e->decided_round);
    block_id b = block_of(&e->decided_id);
    size_t k = 0;
    for (uint16_t i = 0; i < e->vs.n; i++) {
        while (k < c->n_sigs && c->sigs[k].validator_index < i) k++;
        const cons_vote_slot *s = rs ? cons_voteset_vote_for(&rs->votes[1], i, &b) : NULL;
        if (k < c->n_sigs && c->sigs[k].validator_index == i) out->sigs[out->n_sigs++] = c->sigs[k];
        else if (s != NULL)
            out->sigs[out->n_sigs++] = (wire_commit_sig){.validator_index = i, .sig = s->sig};
    }
    HANSA_ASSERT(out->n_sigs >= c->n_sigs);
    return true;
}
