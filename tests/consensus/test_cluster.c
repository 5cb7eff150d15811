/* test_cluster.c — four engines talking to each other through an in-test
 * message queue until all decide the same value for several heights.
 *
 * Delivery order is random (seeded), a share of messages is lost, disks are
 * instant, and time jumps to the next timer when nothing is in flight. Lost
 * messages come back through cons_rebroadcast and cons_relay_votes (called
 * when a node's timer fires; rebroadcast also for everyone when the network
 * is idle), and a node left behind
 * a height catches up through cons_on_commit with a certificate from a node
 * that decided: the two recovery paths a real driver has. This is not the
 * simulator — only a check that the engine's pieces fit together. */
#include "base/rng.h"
#include "check.h"
#include "cons_harness.h"

#define NE 4
#define HEIGHTS 8
#define QUEUE_MAX 4096
#define TIMERS_MAX 4096

typedef struct {
    size_t to;
    bool is_prop;
    wire_proposal p;
    hbuf value;
    wire_vote v;
} msg;

typedef struct {
    size_t who;
    cons_timer_kind kind;
    uint64_t height, deadline;
    uint32_t round;
} timer;

typedef struct {
    h_net net;
    h_app app[NE];
    drv d[NE];
    cons_valset vs[NE]; /* each node's set of its current height */
    msg q[QUEUE_MAX];
    size_t n_q;
    timer t[TIMERS_MAX];
    size_t n_t;
    uint64_t now;
    hansa_prng rng;
    uint64_t drop_pct;
    /* The first decision of each height, which everyone must match. */
    bool have[HEIGHTS + 2];
    hansa_hash id[HEIGHTS + 2];
    hbuf value[HEIGHTS + 2];
    wire_commit commit[HEIGHTS + 2];
    uint64_t decided_upto[NE];
    size_t delivered, dropped, synced;
} cluster;

static void enqueue(cluster *c, size_t from, const wire_proposal *p, const hbuf *value,
                    const wire_vote *v) {
    for (size_t to = 0; to < NE; to++) {
        if (to == from) continue;
        if (prng_chance(&c->rng, c->drop_pct, 100)) {
            c->dropped++;
            continue;
        }
        if (c->n_q == QUEUE_MAX) abort();
        msg *m = &c->q[c->n_q++];
        memset(m, 0, sizeof *m);
        m->to = to;
        m->is_prop = p != NULL;
        if (p) {
            m->p = *p;
            hbuf_append(&m->value, value->data, value->len);
        } else {
            m->v = *v;
        }
    }
}

static void record_decision(cluster *c, size_t i) {
    drv *d = &c->d[i];
    uint64_t h = d->dec_height;
    CHECK(h >= 1 && h <= HEIGHTS + 1);
    if (!c->have[h]) {
        c->have[h] = true;
        c->id[h] = d->dec_id;
        hbuf_append(&c->value[h], d->dec_value.data, d->dec_value.len);
        c->commit[h] = d->dec_commit;
        c->commit[h].sigs = malloc(d->dec_commit.n_sigs * sizeof *d->dec_commit.sigs);
        memcpy(c->commit[h].sigs, d->dec_commit.sigs,
               d->dec_commit.n_sigs * sizeof *d->dec_commit.sigs);
    }
    CHECK(hash_eq(&c->id[h], &d->dec_id)); /* agreement */
    CHECK_ERR(cert_commit_verify(&d->dec_commit, H_CHAIN, c->vs[i].v, c->vs[i].n), HANSA_OK);
    c->decided_upto[i] = h;
}

/* Collects node i's outputs and acts on them until it has nothing more. */
static void pump(cluster *c, size_t i) {
    drv *d = &c->d[i];
    for (;;) {
        drv_collect(d);
        if (d->n_persist) {
            uint64_t seq = d->persist_seq[d->n_persist - 1];
            d->n_persist = 0;
            cons_on_persisted(d->e, seq);
            continue;
        }
        for (size_t k = 0; k < d->n_props; k++) enqueue(c, i, &d->props[k], &d->prop_values[k], NULL);
        for (size_t k = 0; k < d->n_votes; k++) enqueue(c, i, NULL, NULL, &d->votes[k]);
        for (size_t k = 0; k < d->n_timers; k++) {
            if (c->n_t == TIMERS_MAX) abort();
            c->t[c->n_t++] = (timer){i, d->timer_kind[k], cons_height(d->e), d->timer_deadline[k],
                                     d->timer_round[k]};
        }
        CHECK_EQ_U64(d->n_ev, 0); /* nobody is Byzantine here */
        bool decided = d->decided;
        if (decided) record_decision(c, i);
        drv_reset(d);
        if (!decided || cons_height(d->e) > HEIGHTS) return;
        /* The application applies the block; the next height's proposer
         * priorities move one step. */
        valset_advance(&c->vs[i]);
        cons_start_height(d->e, cons_height(d->e) + 1, &c->vs[i], c->now);
    }
}

static void deliver(cluster *c, size_t k) {
    msg m = c->q[k];
    c->q[k] = c->q[--c->n_q];
    drv *d = &c->d[m.to];
    if (m.is_prop) (void)cons_on_proposal(d->e, &m.p, m.value.data, m.value.len);
    else (void)cons_on_vote(d->e, &m.v);
    hbuf_free(&m.value);
    c->delivered++;
    pump(c, m.to);
}

/* Block sync: a node still at a height someone decided gets the cert. */
static bool sync_laggards(cluster *c) {
    bool any = false;
    for (size_t i = 0; i < NE; i++) {
        uint64_t h = cons_height(c->d[i].e);
        if (cons_decided(c->d[i].e) || h > HEIGHTS || !c->have[h]) continue;
        CHECK_ERR(cons_on_commit(c->d[i].e, &c->commit[h], c->value[h].data, c->value[h].len),
                  HANSA_OK);
        c->synced++;
        pump(c, i);
        any = true;
    }
    return any;
}

static bool fire_next_timer(cluster *c) {
    if (c->n_t == 0) return false;
    size_t best = 0;
    for (size_t k = 1; k < c->n_t; k++)
        if (c->t[k].deadline < c->t[best].deadline) best = k;
    timer t = c->t[best];
    c->t[best] = c->t[--c->n_t];
    if (t.deadline > c->now) c->now = t.deadline;
    for (size_t i = 0; i < NE; i++) cons_tick(c->d[i].e, c->now);
    cons_on_timeout(c->d[t.who].e, t.kind, t.height, t.round);
    cons_rebroadcast(c->d[t.who].e);
    pump(c, t.who);
    wire_vote relay[NE];
    size_t n = cons_relay_votes(c->d[t.who].e, relay, NE);
    for (size_t k = 0; k < n; k++) enqueue(c, t.who, NULL, NULL, &relay[k]);
    return true;
}

static bool all_done(const cluster *c) {
    for (size_t i = 0; i < NE; i++)
        if (c->decided_upto[i] < HEIGHTS) return false;
    return true;
}

static void run_cluster(uint64_t seed, uint64_t drop_pct) {
    cluster *c = calloc(1, sizeof *c);
    prng_seed(&c->rng, seed);
    c->drop_pct = drop_pct;
    h_net_init(&c->net, NE, NULL, 0);
    for (size_t i = 0; i < NE; i++) {
        c->app[i].tag = (uint8_t)(i + 1);
        cons_config cfg = h_config(&c->net, (int)i, &c->app[i]);
        c->d[i].e = cons_new(&cfg, NULL);
        c->vs[i] = c->net.vs;
        cons_start_height(c->d[i].e, 1, &c->vs[i], 0);
    }
    for (size_t i = 0; i < NE; i++) pump(c, i);
    size_t steps = 0;
    while (!all_done(c) && steps++ < 100000) {
        if (c->n_q > 0) {
            deliver(c, (size_t)prng_below(&c->rng, c->n_q));
            continue;
        }
        if (sync_laggards(c)) continue;
        if (fire_next_timer(c)) continue;
        for (size_t i = 0; i < NE; i++) {
            cons_rebroadcast(c->d[i].e);
            pump(c, i);
        }
    }
    CHECK(all_done(c));
    for (uint64_t h = 1; h <= HEIGHTS; h++) CHECK(c->have[h]);
    if (drop_pct == 0) CHECK_EQ_U64(c->synced, 0); /* every message arrives */
    fprintf(stderr, "  seed %llu, %llu%% loss: %zu delivered, %zu dropped, %zu synced, final time %llu ms\n",
            (unsigned long long)seed, (unsigned long long)drop_pct, c->delivered, c->dropped, c->synced,
            (unsigned long long)c->now);
    for (size_t i = 0; i < NE; i++) {
        cons_free(c->d[i].e);
        drv_reset(&c->d[i]);
    }
    for (size_t k = 0; k < c->n_q; k++) hbuf_free(&c->q[k].value);
    for (size_t h = 0; h < HEIGHTS + 2; h++) {
        hbuf_free(&c->value[h]);
        free(c->commit[h].sigs);
    }
    free(c);
}

static void test_four_engines_agree(void) {
    uint64_t seed = check_seed("test_four_engines_agree", 1);
    for (uint64_t k = 0; k < 3; k++) run_cluster(seed + k, 0);
    for (uint64_t k = 0; k < 6; k++) run_cluster(seed + k, 10 + 5 * k);
}

int main(void) {
    RUN(test_four_engines_agree);
    return check_summary();
}
