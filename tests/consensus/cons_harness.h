/* cons_harness.h — drives consensus engines directly in tests.
 *
 * Keys come from keypair_from_seed, sorted so that key i is validator i of
 * the set. Messages are built and signed by hand (mk_vote, mk_proposal), the
 * application is a tiny deterministic one (values are "value/h/r/tag"
 * strings named by their SHA-256), and a drv collects everything an engine
 * outputs, copying it out because outputs only live until the next call. */
#ifndef HANSA_TESTS_CONS_HARNESS_H
#define HANSA_TESTS_CONS_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "consensus/engine.h"
#include "consensus/valset.h"
#include "interchain/cert.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "wire/codec.h"

#define H_MAX_VALIDATORS 8
#define H_MAX_OUT 256
#define H_CHAIN 0xe2e4u

typedef struct {
    size_t n;
    hansa_keypair k[H_MAX_VALIDATORS]; /* k[i] is validator i of vs */
    cons_valset vs;
} h_net;

static inline int h_key_cmp(const void *a, const void *b) {
    const hansa_keypair *x = a, *y = b;
    return pubkey_cmp(&x->pub, &y->pub);
}

/* n validators with the given powers (NULL: all 10); power[i] goes with
 * the i-th key in sorted order. seed_base varies the keys. */
static inline void h_net_init(h_net *net, size_t n, const uint64_t *power, uint8_t seed_base) {
    crypto_init();
    memset(net, 0, sizeof *net);
    net->n = n;
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0};
        seed[0] = (uint8_t)(seed_base + i + 1);
        keypair_from_seed(&net->k[i], seed);
    }
    qsort(net->k, n, sizeof net->k[0], h_key_cmp);
    wire_validator v[H_MAX_VALIDATORS];
    for (size_t i = 0; i < n; i++) v[i] = (wire_validator){net->k[i].pub, power ? power[i] : 10};
    hansa_err err = valset_init(&net->vs, v, n);
    if (err != HANSA_OK) abort();
}

/* ---- the application ---- */

typedef struct {
    uint8_t tag;           /* makes this node's values differ from others' */
    bool refuse;           /* get_value fails */
    hansa_hash bad[4];     /* ids judged invalid */
    size_t n_bad;
    int valid_calls;
    hansa_hash last_valid_id;
    bool untimely;         /* PBTS: this node's clock finds proposals untimely */
    int timely_calls;
} h_app;

static inline void h_value(uint64_t h, uint32_t r, uint8_t tag, hbuf *out, hansa_hash *id) {
    hbuf_reset(out);
    hbuf_append(out, "value/", 6);
    hbuf_put_u64(out, h);
    hbuf_put_u32(out, r);
    hbuf_put_u8(out, tag);
    sha256(out->data, out->len, id);
}

static inline bool h_get_value(void *ctx, uint64_t h, uint32_t r, hbuf *out, hansa_hash *id) {
    h_app *a = ctx;
    if (a->refuse) return false;
    h_value(h, r, a->tag, out, id);
    return true;
}

static inline bool h_valid(void *ctx, uint64_t h, const uint8_t *value, size_t len, const hansa_hash *id) {
    (void)h;
    h_app *a = ctx;
    a->valid_calls++;
    a->last_valid_id = *id;
    hansa_hash got;
    sha256(value, len, &got);
    if (!hash_eq(&got, id)) return false;
    for (size_t i = 0; i < a->n_bad; i++)
        if (hash_eq(&a->bad[i], id)) return false;
    return true;
}

static inline bool h_timely(void *ctx, const wire_proposal *p, const uint8_t *value, size_t len) {
    (void)p, (void)value, (void)len;
    h_app *a = ctx;
    a->timely_calls++;
    return !a->untimely;
}

static inline cons_config h_config(const h_net *net, int self, h_app *app) {
    cons_config c;
    memset(&c, 0, sizeof c);
    c.chain_id = H_CHAIN;
    c.timeouts = (cons_timeouts){1000, 500, 1000, 500, 1000, 500};
    c.future_rounds_max = 4;
    c.app = (cons_app){.ctx = app, .get_value = h_get_value, .valid = h_valid, .verify = NULL,
                       .timely = h_timely};
    c.key = self >= 0 ? &net->k[self] : NULL;
    return c;
}

/* ---- hand-built messages ---- */

static inline wire_vote mk_vote(const h_net *net, size_t who, uint64_t h, uint32_t r, uint8_t type,
                         const hansa_hash *id) {
    wire_vote v;
    memset(&v, 0, sizeof v);
    v.chain_id = H_CHAIN;
    v.height = h;
    v.round = r;
    v.type = type;
    if (id) v.block = (block_id){true, *id};
    v.validator = net->k[who].pub;
    hbuf b = HBUF_INIT;
    wire_vote_sign_bytes(&b, &v);
    sign_domain(&net->k[who], SIGN_DOMAIN_VOTE, b.data, b.len, &v.sig);
    hbuf_free(&b);
    return v;
}

/* A value and its id for height h, round r, tag t. */
typedef struct {
    hbuf bytes;
    hansa_hash id;
} h_val;

static inline h_val mk_val(uint64_t h, uint32_t r, uint8_t tag) {
    h_val v = {HBUF_INIT, {{0}}};
    h_value(h, r, tag, &v.bytes, &v.id);
    return v;
}

static inline wire_proposal mk_prop(const h_net *net, size_t who, uint64_t h, uint32_t r, uint32_t pol,
                             const hansa_hash *id) {
    wire_proposal p;
    memset(&p, 0, sizeof p);
    p.chain_id = H_CHAIN;
    p.height = h;
    p.round = r;
    p.pol_round = pol;
    p.block = *id;
    p.proposer = net->k[who].pub;
    hbuf b = HBUF_INIT;
    wire_proposal_sign_bytes(&b, &p);
    sign_domain(&net->k[who], SIGN_DOMAIN_PROPOSAL, b.data, b.len, &p.sig);
    hbuf_free(&b);
    return p;
}

/* ---- collecting outputs ---- */

typedef struct {
    cons_engine *e;
    wire_vote votes[H_MAX_OUT];
    size_t n_votes;
    wire_proposal props[16];
    hbuf prop_values[16];
    size_t n_props;
    cons_timer_kind timer_kind[H_MAX_OUT];
    uint32_t timer_round[H_MAX_OUT];
    uint64_t timer_deadline[H_MAX_OUT];
    size_t n_timers;
    uint64_t persist_seq[H_MAX_OUT];
    cons_signer_state persist_state[H_MAX_OUT];
    size_t n_persist;
    bool decided;
    uint64_t dec_height;
    uint32_t dec_round;
    hansa_hash dec_id;
    hbuf dec_value;
    wire_commit dec_commit; /* sigs owned */
    wire_evidence ev[16];
    size_t n_ev;
} drv;

static inline void drv_reset(drv *d) {
    for (size_t i = 0; i < 16; i++) hbuf_free(&d->prop_values[i]);
    hbuf_free(&d->dec_value);
    free(d->dec_commit.sigs);
    cons_engine *e = d->e;
    memset(d, 0, sizeof *d);
    d->e = e;
}

/* Drains e into d (appending). */
static inline void drv_collect(drv *d) {
    const cons_out *out;
    size_t n = cons_drain(d->e, &out);
    for (size_t i = 0; i < n; i++) {
        const cons_out *o = &out[i];
        switch (o->kind) {
        case CONS_OUT_PROPOSAL:
            if (d->n_props < 16) {
                d->props[d->n_props] = o->u.proposal.proposal;
                hbuf_reset(&d->prop_values[d->n_props]);
                hbuf_append(&d->prop_values[d->n_props], o->u.proposal.value,
                            o->u.proposal.value_len);
                d->n_props++;
            }
            break;
        case CONS_OUT_VOTE:
            if (d->n_votes < H_MAX_OUT) d->votes[d->n_votes++] = o->u.vote;
            break;
        case CONS_OUT_TIMER:
            if (d->n_timers < H_MAX_OUT) {
                d->timer_kind[d->n_timers] = o->u.timer.kind;
                d->timer_round[d->n_timers] = o->u.timer.round;
                d->timer_deadline[d->n_timers] = o->u.timer.deadline_ms;
                d->n_timers++;
            }
            break;
        case CONS_OUT_PERSIST:
            if (d->n_persist < H_MAX_OUT) {
                d->persist_seq[d->n_persist] = o->u.persist.seq;
                d->persist_state[d->n_persist] = *o->u.persist.state;
                d->n_persist++;
            }
            break;
        case CONS_OUT_DECIDE:
            d->decided = true;
            d->dec_height = o->u.decide.height;
            d->dec_round = o->u.decide.round;
            d->dec_id = o->u.decide.id;
            hbuf_reset(&d->dec_value);
            hbuf_append(&d->dec_value, o->u.decide.value, o->u.decide.value_len);
            free(d->dec_commit.sigs);
            d->dec_commit = *o->u.decide.commit;
            d->dec_commit.sigs = malloc(d->dec_commit.n_sigs * sizeof *d->dec_commit.sigs);
            memcpy(d->dec_commit.sigs, o->u.decide.commit->sigs,
                   d->dec_commit.n_sigs * sizeof *d->dec_commit.sigs);
            break;
        case CONS_OUT_EVIDENCE:
            if (d->n_ev < 16) d->ev[d->n_ev++] = o->u.evidence;
            break;
        }
    }
}

/* Completes every persist asked for, also those the releases lead to. */
static inline void drv_persist(drv *d) {
    size_t done = 0;
    while (d->n_persist > done) { /* a release may sign the next message */
        done = d->n_persist;
        cons_on_persisted(d->e, d->persist_seq[done - 1]);
        drv_collect(d);
    }
}

/* The last vote output, or NULL. */
static inline const wire_vote *drv_last_vote(const drv *d) {
    return d->n_votes ? &d->votes[d->n_votes - 1] : NULL;
}

static inline bool vote_is(const wire_vote *v, uint8_t type, uint32_t round, const hansa_hash *id) {
    if (v == NULL || v->type != type || v->round != round) return false;
    if (id == NULL) return !v->block.present;
    return v->block.present && hash_eq(&v->block.hash, id);
}

static inline size_t drv_count_timers(const drv *d, cons_timer_kind kind, uint32_t round) {
    size_t c = 0;
    for (size_t i = 0; i < d->n_timers; i++)
        if (d->timer_kind[i] == kind && d->timer_round[i] == round) c++;
    return c;
}

#endif
