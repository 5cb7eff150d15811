/* fuzz_cons_engine.c — libFuzzer harness that drives one consensus engine
 * with an arbitrary sequence of inputs from four validators, all of them
 * possibly Byzantine (the verify callback accepts every signature), with
 * crashes and restarts from the last durable signer state.
 *
 * Beyond "no assert fires, no sanitizer report", it checks the engine's
 * central promise across crashes: a message of the engine leaves only after
 * a signer-state record at or after its position is durable, and no two
 * different messages ever leave for the same (height, round, step).
 *
 * Input: a byte stream of operations, each an op byte and its arguments:
 *   0 vote      who, round, type, block (nil/A/B), next-height bit
 *   1 proposal  round, pol_round, value (A/B)
 *   2 timeout   kind, round offset
 *   3 persisted (completes the oldest outstanding record)
 *   4 tick      (+250 ms)
 *   5 crash     (restart from the last durable record)
 *   6 rebroadcast
 *   7 next height (if decided)
 *   8 commit    round, value (a certificate from three validators) */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "consensus/engine.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "wire/codec.h"

#define NV 4
#define OPS_MAX 128
#define RELEASED_MAX 512

typedef struct {
    uint64_t h;
    uint32_t r;
    uint8_t step;
    uint8_t kind; /* 0 proposal, 1 vote */
    hansa_hash block;
    bool present;
    uint32_t pol;
} released;

static struct {
    bool init;
    hansa_keypair k[NV];
    cons_valset vs;
} g;

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t next(input *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static void value_of(uint64_t h, int which, hbuf *b, hansa_hash *id) {
    hbuf_reset(b);
    hbuf_put_u8(b, which ? 'B' : 'A');
    hbuf_put_u64(b, h);
    sha256(b->data, b->len, id);
}

static int get_tag; /* which value get_value proposes */

static bool app_get(void *ctx, uint64_t h, uint32_t r, hbuf *out, hansa_hash *id) {
    (void)ctx;
    (void)r;
    value_of(h, get_tag, out, id);
    return true;
}

static bool app_valid(void *ctx, uint64_t h, const uint8_t *v, size_t len, const hansa_hash *id) {
    (void)ctx;
    (void)h;
    hansa_hash got;
    sha256(v, len, &got);
    return hash_eq(&got, id);
}

static bool app_verify(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
                       size_t len, const hansa_sig *sig) {
    (void)ctx, (void)pk, (void)domain, (void)msg, (void)len, (void)sig;
    return true;
}

typedef struct {
    cons_engine *e;
    cons_config cfg;
    uint64_t height;
    bool decided;
    uint64_t *pend_seq; /* records handed out, not yet durable (grown as needed) */
    cons_signer_state *pend_state;
    size_t n_pend, cap_pend;
    bool has_durable;
    cons_signer_state durable;
    released rel[RELEASED_MAX];
    size_t n_rel;
} world;

static int pos_cmp(uint64_t h, uint32_t r, uint8_t s, uint64_t h2, uint32_t r2, uint8_t s2) {
    if (h != h2) return h < h2 ? -1 : 1;
    if (r != r2) return r < r2 ? -1 : 1;
    if (s != s2) return s < s2 ? -1 : 1;
    return 0;
}

/* The promise: released only behind a durable record, never two different
 * messages for one position. */
static void check_release(world *w, released m) {
    HANSA_ASSERT(w->has_durable);
    HANSA_ASSERT(pos_cmp(m.h, m.r, m.step, w->durable.height, w->durable.round,
                         w->durable.step) <= 0);
    for (size_t i = 0; i < w->n_rel; i++) {
        const released *o = &w->rel[i];
        if (pos_cmp(m.h, m.r, m.step, o->h, o->r, o->step) != 0) continue;
        HANSA_ASSERT(o->kind == m.kind);
        HANSA_ASSERT(o->present == m.present);
        HANSA_ASSERT(hash_eq(&o->block, &m.block));
        HANSA_ASSERT(o->pol == m.pol);
        return;
    }
    if (w->n_rel < RELEASED_MAX) w->rel[w->n_rel++] = m;
}

static void drain(world *w) {
    const cons_out *out;
    size_t n = cons_drain(w->e, &out);
    for (size_t i = 0; i < n; i++) {
        const cons_out *o = &out[i];
        switch (o->kind) {
        case CONS_OUT_PROPOSAL: {
            const wire_proposal *p = &o->u.proposal.proposal;
            HANSA_ASSERT(o->u.proposal.value != NULL);
            check_release(w, (released){p->height, p->round, CONS_STEP_PROPOSE, 0, p->block, true,
                                        p->pol_round});
            break;
        }
        case CONS_OUT_VOTE: {
            const wire_vote *v = &o->u.vote;
            uint8_t step = v->type == VOTE_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT;
            check_release(w, (released){v->height, v->round, step, 1, v->block.hash,
                                        v->block.present, 0});
            break;
        }
        case CONS_OUT_TIMER: break;
        case CONS_OUT_PERSIST:
            if (w->n_pend == w->cap_pend) {
                w->cap_pend = w->cap_pend ? 2 * w->cap_pend : 16;
                w->pend_seq = realloc(w->pend_seq, w->cap_pend * sizeof *w->pend_seq);
                w->pend_state = realloc(w->pend_state, w->cap_pend * sizeof *w->pend_state);
                HANSA_ASSERT(w->pend_seq != NULL && w->pend_state != NULL);
            }
            /* The record round-trips through its encoding. */
            {
                hbuf b = HBUF_INIT;
                cons_signer_encode(&b, o->u.persist.state);
                HANSA_ASSERT(cons_signer_decode(b.data, b.len, &w->pend_state[w->n_pend]) ==
                             HANSA_OK);
                hbuf_free(&b);
            }
            w->pend_seq[w->n_pend++] = o->u.persist.seq;
            break;
        case CONS_OUT_DECIDE:
            HANSA_ASSERT(o->u.decide.height == w->height);
            HANSA_ASSERT(o->u.decide.commit->n_sigs >= 1);
            w->decided = true;
            break;
        case CONS_OUT_EVIDENCE: break;
        }
    }
}

static void start(world *w) {
    w->e = cons_new(&w->cfg, w->has_durable ? &w->durable : NULL);
    w->decided = false;
    w->n_pend = 0;
    cons_start_height(w->e, w->height, &g.vs, 0);
}

static void op_vote(world *w, input *in) {
    uint8_t who = next(in) % NV, round = next(in) % 6, type = next(in) % 2, blk = next(in);
    wire_vote v;
    memset(&v, 0, sizeof v);
    v.chain_id = 1;
    v.height = w->height + ((blk & 0x80) ? 1 : 0);
    v.round = round;
    v.type = type ? VOTE_PRECOMMIT : VOTE_PREVOTE;
    if (blk % 3) {
        hbuf b = HBUF_INIT;
        value_of(v.height, blk % 3 - 1, &b, &v.block.hash);
        hbuf_free(&b);
        v.block.present = true;
    }
    v.validator = g.k[who].pub;
    (void)cons_on_vote(w->e, &v);
}

static void op_proposal(world *w, input *in) {
    uint8_t round = next(in) % 6, pol = next(in) % 7, which = next(in) % 2;
    wire_proposal p;
    memset(&p, 0, sizeof p);
    p.chain_id = 1;
    p.height = w->height;
    p.round = round;
    p.pol_round = pol == 6 || pol >= round ? WIRE_ROUND_NONE : pol;
    hbuf b = HBUF_INIT;
    value_of(w->height, which, &b, &p.block);
    p.proposer = g.vs.v[valset_proposer(&g.vs, round)].pubkey;
    (void)cons_on_proposal(w->e, &p, b.data, b.len);
    hbuf_free(&b);
}

static void op_commit(world *w, input *in) {
    uint8_t round = next(in) % 6, which = next(in) % 2;
    wire_commit_sig sigs[3];
    memset(sigs, 0, sizeof sigs);
    for (uint16_t i = 0; i < 3; i++) sigs[i].validator_index = (uint16_t)(i + 1);
    wire_commit c = {.chain_id = 1, .height = w->height, .round = round, .n_sigs = 3, .sigs = sigs};
    hbuf b = HBUF_INIT;
    value_of(w->height, which, &b, &c.block);
    (void)cons_on_commit(w->e, &c, b.data, b.len);
    hbuf_free(&b);
}

static void op_persisted(world *w) {
    if (w->n_pend == 0) return;
    w->durable = w->pend_state[0];
    w->has_durable = true;
    cons_on_persisted(w->e, w->pend_seq[0]);
    memmove(w->pend_seq, w->pend_seq + 1, (w->n_pend - 1) * sizeof w->pend_seq[0]);
    memmove(w->pend_state, w->pend_state + 1, (w->n_pend - 1) * sizeof w->pend_state[0]);
    w->n_pend--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g.init) {
        crypto_init();
        wire_validator v[NV];
        for (int i = 0; i < NV; i++) {
            uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(i + 1)};
            keypair_from_seed(&g.k[i], seed);
            v[i] = (wire_validator){g.k[i].pub, (uint64_t)(1 + i)};
        }
        HANSA_ASSERT(valset_init(&g.vs, v, NV) == HANSA_OK);
        g.init = true;
    }
    input in = {data, size};
    world *w = calloc(1, sizeof *w);
    HANSA_ASSERT(w != NULL);
    uint8_t self = next(&in) % (NV + 1); /* NV: a follower */
    w->cfg = (cons_config){
        .chain_id = 1,
        .timeouts = {100, 10, 100, 10, 100, 10},
        .future_rounds_max = 3,
        .app = {.get_value = app_get, .valid = app_valid, .verify = app_verify},
        .key = self < NV ? &g.k[self] : NULL,
        .test_break_line29 = false,
    };
    w->height = 1;
    get_tag = 0;
    start(w);
    drain(w);
    uint64_t now = 0;
    for (int ops = 0; in.n > 0 && ops < OPS_MAX; ops++) {
        /* Any call into the engine ends the life of the drained outputs, so
         * the drain below never sees the same outputs twice. */
        cons_tick(w->e, now);
        switch (next(&in) % 9) {
        case 0: op_vote(w, &in); break;
        case 1: op_proposal(w, &in); break;
        case 2: {
            uint8_t kind = next(&in) % 3, off = next(&in) % 2;
            uint32_t r = cons_round(w->e);
            cons_on_timeout(w->e, (cons_timer_kind)kind, w->height, off && r ? r - 1 : r);
            break;
        }
        case 3: op_persisted(w); break;
        case 4: cons_tick(w->e, now += 250); break;
        case 5:
            cons_free(w->e);
            get_tag ^= 1; /* a restarted node may build another value */
            start(w);
            break;
        case 6: cons_rebroadcast(w->e); break;
        case 7:
            if (!w->decided) break;
            w->height++;
            w->decided = false;
            cons_start_height(w->e, w->height, &g.vs, now);
            break;
        case 8: op_commit(w, &in); break;
        }
        drain(w);
    }
    cons_free(w->e);
    free(w->pend_seq);
    free(w->pend_state);
    free(w);
    return 0;
}
