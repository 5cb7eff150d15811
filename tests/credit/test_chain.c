/* test_chain.c — the chit chain protocol (credit/chain.h): every transition,
 * the message codec, and the property test.
 *
 * The property test drives a stock half and a foil half over a simulated
 * network that loses, duplicates and reorders messages, while both holders
 * issue chits and either half may crash (it restarts from its persisted
 * bytes, and every message addressed to it in flight is lost). Then the
 * network heals: every message sent is delivered, one round at a time. It
 * checks that the halves converge within three round trips (six delivery
 * rounds) to identical chains holding every issued chit exactly once, and
 * prints the figures. Seeded: each run prints its seed, HANSA_SEED replays
 * one. With the ordering rule broken (CREDIT_MUTANT_STOCK_ORDERS) the same
 * check must fail, or the property test proves nothing. */
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "check.h"
#include "credit/chain.h"
#include "crypto/sign.h"

/* ---- an in-memory chain storage ---------------------------------------------- */

typedef struct {
    credit_link *links; /* links[i - 1] is link i */
    uint64_t n, cap;
} mem_chain;

static void mem_get(void *ctx, uint64_t idx, credit_link *out) {
    mem_chain *m = ctx;
    if (idx == 0 || idx > m->n) abort();
    *out = m->links[idx - 1];
}

static uint64_t mem_find(void *ctx, const credit_id *id) {
    mem_chain *m = ctx;
    for (uint64_t i = 0; i < m->n; i++)
        if (credit_id_eq(&m->links[i].chit.chit_id, id)) return i + 1;
    return 0;
}

static void mem_append(void *ctx, uint64_t idx, const credit_link *l) {
    mem_chain *m = ctx;
    if (idx != m->n + 1) abort(); /* the half and its storage disagree */
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->links = realloc(m->links, m->cap * sizeof *m->links);
    }
    m->links[m->n++] = *l;
}

static const credit_chain_ops mem_ops = {mem_get, mem_find, mem_append};

/* ---- two halves ------------------------------------------------------------------ */

static hansa_keypair kp[3];
static credit_id tally = {{0x7a, 1, 2, 3}};

static void keys_init(void) {
    uint8_t seed[HANSA_SEED_BYTES];
    memset(seed, 0x51, sizeof seed);
    keypair_from_seed(&kp[CREDIT_STOCK], seed);
    memset(seed, 0xf0, sizeof seed);
    keypair_from_seed(&kp[CREDIT_FOIL], seed);
}

typedef struct {
    credit_half h[3];
    mem_chain store[3];
    hbuf saved[3]; /* each half's persisted bytes */
} pair;

static void pair_save(pair *p, int s) {
    hbuf_reset(&p->saved[s]);
    credit_half_encode(&p->saved[s], &p->h[s]);
}

static void pair_init(pair *p) {
    memset(p, 0, sizeof *p);
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        credit_half_init(&p->h[s], (credit_side)s, &tally, &kp[CREDIT_STOCK].pub,
                         &kp[CREDIT_FOIL].pub, &mem_ops, &p->store[s]);
        p->saved[s] = (hbuf)HBUF_INIT;
        pair_save(p, s);
    }
}

/* A crash: the half comes back from its persisted bytes. */
static void pair_restart(pair *p, int s) {
    credit_half *h = &p->h[s];
    credit_half_init(h, (credit_side)s, &tally, &kp[CREDIT_STOCK].pub, &kp[CREDIT_FOIL].pub,
                     &mem_ops, &p->store[s]);
    wire_rd r;
    rd_init(&r, p->saved[s].data, p->saved[s].len);
    credit_rd_half(&r, h);
    rd_end(&r);
    CHECK(r.err == HANSA_OK);
}

static void pair_free(pair *p) {
    for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
        free(p->store[s].links);
        hbuf_free(&p->saved[s]);
    }
}

static credit_chit make_chit(credit_side by, uint32_t n, uint64_t amount) {
    credit_chit c;
    memset(&c, 0, sizeof c);
    c.tally_id = tally;
    c.chit_id.b[0] = (uint8_t)by;
    memcpy(c.chit_id.b + 1, &n, sizeof n);
    c.by = (uint8_t)by;
    c.kind = CREDIT_CHIT_DIRECT;
    c.amount = amount;
    c.memo_len = 3;
    memcpy(c.memo, "pay", 3);
    credit_chit_sign(&c, &kp[by]);
    return c;
}

static bool same_chains(pair *p) {
    const mem_chain *a = &p->store[CREDIT_STOCK], *b = &p->store[CREDIT_FOIL];
    if (p->h[CREDIT_STOCK].n != p->h[CREDIT_FOIL].n) return false;
    if (!hash_eq(&p->h[CREDIT_STOCK].end, &p->h[CREDIT_FOIL].end)) return false;
    for (uint64_t i = 0; i < p->h[CREDIT_STOCK].n; i++)
        if (!hash_eq(&a->links[i].hash, &b->links[i].hash)) return false;
    return true;
}

/* ---- a message queue, for the unit tests ---------------------------------------- */

/* Runs out's messages to the other half, recursively, until both are quiet;
 * returns the number of messages carried. */
static int pump(pair *p, int from, credit_out *out) {
    int carried = 0;
    credit_out *next = malloc(sizeof *next);
    for (int i = 0; i < out->n_msgs; i++) {
        int to = credit_side_other((credit_side)from);
        char why[160] = "";
        CHECK_ERR(credit_half_recv(&p->h[to], &out->msgs[i], next, why, sizeof why), HANSA_OK);
        carried += 1 + pump(p, to, next);
    }
    free(next);
    return carried;
}

static void test_foil_issue_then_stock_conforms(void) {
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out);
    credit_chit c = make_chit(CREDIT_FOIL, 1, 500);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &c, false, out, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(p.h[CREDIT_FOIL].n, 1);
    CHECK_EQ_U64(out->n_msgs, 1);
    CHECK(out->msgs[0].kind == CREDIT_MSG_UPD && out->msgs[0].idx == 0 && out->msgs[0].n_chits == 1);
    CHECK(!credit_half_settled(&p.h[CREDIT_FOIL]));
    credit_out *o2 = malloc(sizeof *o2);
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], &out->msgs[0], o2, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n, 1);
    CHECK_EQ_U64(o2->n_arrived, 1);
    CHECK(o2->n_msgs == 1 && o2->msgs[0].kind == CREDIT_MSG_ACK && o2->msgs[0].idx == 1);
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_FOIL], &o2->msgs[0], out, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(out->n_msgs, 0);
    CHECK(credit_half_settled(&p.h[CREDIT_FOIL]) && credit_half_settled(&p.h[CREDIT_STOCK]));
    CHECK(same_chains(&p));
    /* the same ACK again changes nothing */
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_FOIL], &o2->msgs[0], out, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(out->n_msgs, 0);
    free(out);
    free(o2);
    pair_free(&p);
}

static void test_stock_issue_is_ordered_by_foil(void) {
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out);
    credit_chit c = make_chit(CREDIT_STOCK, 1, 70);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &c, false, out, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n, 0);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n_tail, 1);
    CHECK(out->msgs[0].kind == CREDIT_MSG_UPD && out->msgs[0].n_chits == 1);
    CHECK(pump(&p, CREDIT_STOCK, out) >= 3); /* UPD, foil's UPD, ACK */
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n_tail, 0);
    CHECK_EQ_U64(p.h[CREDIT_FOIL].n, 1);
    CHECK(same_chains(&p));
    CHECK(credit_half_settled(&p.h[CREDIT_FOIL]));
    free(out);
    pair_free(&p);
}

/* Both issue at once: the foil's chit takes the place the stock's would
 * have had, and the stock's chit is moved to the end. */
static void test_conflict_moves_stock_chit_to_end(void) {
    pair p;
    pair_init(&p);
    credit_out *fo = malloc(sizeof *fo), *so = malloc(sizeof *so), *o = malloc(sizeof *o);
    credit_chit f = make_chit(CREDIT_FOIL, 1, 10), s = make_chit(CREDIT_STOCK, 1, 20);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &f, false, fo, NULL, 0), HANSA_OK);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &s, false, so, NULL, 0), HANSA_OK);
    /* the foil's order reaches the stock first */
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], &fo->msgs[0], o, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n, 1);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n_tail, 1); /* still waiting, now after f */
    CHECK(o->n_msgs == 2 && o->msgs[1].kind == CREDIT_MSG_UPD && o->msgs[1].idx == 1);
    pump(&p, CREDIT_STOCK, o);
    pump(&p, CREDIT_STOCK, so); /* the stale update arrives late: harmless */
    CHECK(same_chains(&p));
    CHECK_EQ_U64(p.h[CREDIT_FOIL].n, 2);
    CHECK(credit_id_eq(&p.store[CREDIT_FOIL].links[0].chit.chit_id, &f.chit_id));
    CHECK(credit_id_eq(&p.store[CREDIT_FOIL].links[1].chit.chit_id, &s.chit_id));
    CHECK(credit_half_settled(&p.h[CREDIT_FOIL]) && credit_half_settled(&p.h[CREDIT_STOCK]));
    free(fo);
    free(so);
    free(o);
    pair_free(&p);
}

static void test_issue_refusals(void) {
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out);
    char why[160];
    credit_chit c = make_chit(CREDIT_FOIL, 1, 5);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &c, false, out, why, sizeof why), HANSA_OK);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &c, false, out, why, sizeof why),
              HANSA_ERR_DUPLICATE);
    credit_chit d = c;
    d.amount = 6;
    credit_chit_sign(&d, &kp[CREDIT_FOIL]);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &d, false, out, why, sizeof why),
              HANSA_ERR_INVALID);
    CHECK(strstr(why, "conflict") != NULL);
    credit_chit s = make_chit(CREDIT_STOCK, 9, 5);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &s, false, out, why, sizeof why),
              HANSA_ERR_BAD_SIG); /* not the foil's chit */
    credit_chit forged = make_chit(CREDIT_FOIL, 2, 5);
    forged.amount = 99; /* signature no longer matches */
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &forged, false, out, why, sizeof why),
              HANSA_ERR_BAD_SIG);
    for (uint32_t i = 0; i < CREDIT_TAIL_MAX; i++) {
        credit_chit t = make_chit(CREDIT_STOCK, 100 + i, 1);
        CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &t, false, out, NULL, 0), HANSA_OK);
    }
    credit_chit t = make_chit(CREDIT_STOCK, 999, 1);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &t, false, out, why, sizeof why), HANSA_ERR_FULL);
    free(out);
    pair_free(&p);
}

/* A stock chit with an id the foil already used for another chit is refused
 * loudly: the foil sends REFUSE and the stock drops it and reports it. */
static void test_known_id_different_content_refused(void) {
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out), *o2 = malloc(sizeof *o2);
    char why[160] = "";
    credit_chit f = make_chit(CREDIT_FOIL, 1, 10);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &f, false, out, NULL, 0), HANSA_OK);
    credit_chit s = make_chit(CREDIT_STOCK, 1, 10);
    s.chit_id = f.chit_id; /* the same id, different content */
    credit_chit_sign(&s, &kp[CREDIT_STOCK]);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &s, false, out, NULL, 0), HANSA_OK);
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_FOIL], &out->msgs[0], o2, why, sizeof why), HANSA_OK);
    CHECK(strstr(why, "refused") != NULL);
    CHECK(o2->n_msgs == 2 && o2->msgs[0].kind == CREDIT_MSG_REFUSE &&
          o2->msgs[0].reason == CREDIT_REFUSE_CONFLICT);
    CHECK_EQ_U64(p.h[CREDIT_FOIL].n, 1); /* not linked */
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], &o2->msgs[0], out, why, sizeof why), HANSA_OK);
    CHECK_EQ_U64(out->n_refused, 1);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n_tail, 0);
    CHECK(p.h[CREDIT_STOCK].fault == 0);
    pump(&p, CREDIT_FOIL, o2);
    CHECK(same_chains(&p));
    free(out);
    free(o2);
    pair_free(&p);
}

static void test_faults_and_protocol_errors(void) {
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out);
    credit_msg *m = calloc(1, sizeof *m);
    char why[160];
    /* an update that starts past the stock's end: it asks for what it misses */
    m->kind = CREDIT_MSG_UPD;
    m->tally_id = tally;
    m->from = CREDIT_FOIL;
    m->idx = 5;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_OK);
    CHECK(out->n_msgs == 1 && out->msgs[0].kind == CREDIT_MSG_REQ && out->msgs[0].idx == 0);
    /* from the wrong side, or another tally */
    m->from = CREDIT_STOCK;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_ERR_PROTOCOL);
    m->from = CREDIT_FOIL;
    m->tally_id.b[0] ^= 1;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_ERR_PROTOCOL);
    m->tally_id = tally;
    /* the foil never sends ACK */
    m->kind = CREDIT_MSG_ACK;
    m->idx = 0;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_ERR_PROTOCOL);
    /* a foil update with a chit that does not verify faults the stock */
    m->kind = CREDIT_MSG_UPD;
    credit_chain_genesis(&tally, &m->hash);
    m->n_chits = 1;
    m->chits[0] = make_chit(CREDIT_FOIL, 1, 3);
    m->chits[0].amount = 4;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_OK);
    CHECK(p.h[CREDIT_STOCK].fault == CREDIT_REFUSE_BAD);
    CHECK(out->n_msgs == 1 && out->msgs[0].kind == CREDIT_MSG_REFUSE);
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_STOCK], m, out, why, sizeof why), HANSA_ERR_STATE);
    /* an ACK whose hash is not the foil's chain faults the foil */
    m->kind = CREDIT_MSG_ACK;
    m->from = CREDIT_STOCK;
    m->n_chits = 0;
    m->hash.b[0] ^= 1;
    CHECK_ERR(credit_half_recv(&p.h[CREDIT_FOIL], m, out, why, sizeof why), HANSA_OK);
    CHECK(p.h[CREDIT_FOIL].fault == CREDIT_REFUSE_CHAIN);
    credit_chit c = make_chit(CREDIT_FOIL, 7, 1);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_FOIL], &c, false, out, why, sizeof why), HANSA_ERR_STATE);
    free(out);
    free(m);
    pair_free(&p);
}

/* A stock message naming a point past the foil's end is a chain fault,
 * worded for the message at hand (UPD claims, ACK/REQ acknowledge). */
static void test_point_past_foil_end(void) {
    static const struct {
        uint8_t kind;
        const char *why;
    } cases[] = {{CREDIT_MSG_UPD, "the stock claims 5 confirmed chits, the foil has 0"},
                 {CREDIT_MSG_ACK, "the stock acknowledges 5 chits, the foil has 0"},
                 {CREDIT_MSG_REQ, "the stock acknowledges 5 chits, the foil has 0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pair p;
        pair_init(&p);
        credit_out *out = malloc(sizeof *out);
        credit_msg *m = calloc(1, sizeof *m);
        char why[160] = "";
        m->kind = cases[i].kind;
        m->tally_id = tally;
        m->from = CREDIT_STOCK;
        m->idx = 5;
        CHECK_ERR(credit_half_recv(&p.h[CREDIT_FOIL], m, out, why, sizeof why), HANSA_OK);
        CHECK(p.h[CREDIT_FOIL].fault == CREDIT_REFUSE_CHAIN);
        CHECK(strcmp(why, cases[i].why) == 0);
        free(out);
        free(m);
        pair_free(&p);
    }
}

static void test_msg_codec(void) {
    credit_msg *m = calloc(1, sizeof *m), *d = calloc(1, sizeof *d);
    hbuf b = HBUF_INIT;
    m->kind = CREDIT_MSG_UPD;
    m->tally_id = tally;
    m->from = CREDIT_FOIL;
    m->idx = 3;
    m->hash.b[5] = 9;
    m->n_chits = 2;
    m->chits[0] = make_chit(CREDIT_FOIL, 1, 1);
    m->chits[1] = make_chit(CREDIT_STOCK, 2, 2);
    credit_msg_encode(&b, m);
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, NULL), HANSA_OK);
    hbuf b2 = HBUF_INIT;
    credit_msg_encode(&b2, d);
    CHECK(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0);
    CHECK(credit_chit_same(&d->chits[1], &m->chits[1]));
    wire_rd r;
    CHECK_ERR(credit_msg_decode(b.data, b.len - 1, d, &r), HANSA_ERR_TRUNCATED);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, &r), HANSA_ERR_TRAILING);
    b.data[1] = 9; /* kind */
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, &r), HANSA_ERR_INVALID);
    b.data[1] = CREDIT_MSG_UPD;
    b.data[0] = 2;
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, &r), HANSA_ERR_VERSION);
    b.data[0] = CREDIT_VERSION;
    b.data[1 + 1 + CREDIT_ID_BYTES + 1 + 8 + 32] = CREDIT_UPD_CHITS_MAX + 1; /* n_chits */
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, &r), HANSA_ERR_TOO_LONG);
    hbuf_reset(&b);
    memset(m, 0, sizeof *m);
    m->kind = CREDIT_MSG_REFUSE;
    m->tally_id = tally;
    m->from = CREDIT_STOCK;
    m->reason = CREDIT_REFUSE_CONFLICT; /* needs a chit id */
    credit_msg_encode(&b, m);
    CHECK_ERR(credit_msg_decode(b.data, b.len, d, &r), HANSA_ERR_INVALID);
    /* a half's persisted bytes round-trip, and a foil with a tail is refused */
    pair p;
    pair_init(&p);
    credit_out *out = malloc(sizeof *out);
    credit_chit s = make_chit(CREDIT_STOCK, 1, 9);
    CHECK_ERR(credit_half_issue(&p.h[CREDIT_STOCK], &s, false, out, NULL, 0), HANSA_OK);
    pair_save(&p, CREDIT_STOCK);
    pair_restart(&p, CREDIT_STOCK);
    CHECK_EQ_U64(p.h[CREDIT_STOCK].n_tail, 1);
    CHECK(credit_chit_same(&p.h[CREDIT_STOCK].tail[0], &s));
    p.saved[CREDIT_STOCK].data[0] = CREDIT_FOIL;
    rd_init(&r, p.saved[CREDIT_STOCK].data, p.saved[CREDIT_STOCK].len);
    credit_rd_half(&r, &p.h[CREDIT_STOCK]);
    CHECK_ERR(r.err, HANSA_ERR_INVALID);
    free(out);
    pair_free(&p);
    hbuf_free(&b);
    hbuf_free(&b2);
    free(m);
    free(d);
}

/* ---- the property test -------------------------------------------------------------- */

#define NET_MAX 4096

typedef struct {
    int to;
    hbuf bytes;
} packet;

typedef struct {
    packet q[NET_MAX];
    int n;
    uint64_t sent;
} net;

static void net_send(net *nt, int to, const credit_out *out) {
    for (int i = 0; i < out->n_msgs; i++) {
        if (nt->n == NET_MAX) return; /* a full network loses messages too */
        packet *pk = &nt->q[nt->n++];
        pk->to = to;
        pk->bytes = (hbuf)HBUF_INIT;
        credit_msg_encode(&pk->bytes, &out->msgs[i]);
        nt->sent++;
    }
}

static void net_take(net *nt, int i, packet *out) {
    *out = nt->q[i];
    nt->q[i] = nt->q[--nt->n];
}

static void net_free(net *nt) {
    for (int i = 0; i < nt->n; i++) hbuf_free(&nt->q[i].bytes);
    nt->n = 0;
}

typedef struct {
    pair p;
    net nt;
    credit_out *out;
    credit_msg *msg;
    uint32_t issued[3];   /* chits each side issued successfully */
    uint32_t refused;     /* stock chits refused by the foil (never in honest runs) */
    bool broken;          /* a step failed in a way an honest run never does */
} world;

/* Delivers one packet to its half, persists, sends what it says. */
static void deliver(world *w, const packet *pk) {
    credit_half *h = &w->p.h[pk->to];
    if (credit_msg_decode(pk->bytes.data, pk->bytes.len, w->msg, NULL) != HANSA_OK) {
        w->broken = true;
        return;
    }
    hansa_err err = credit_half_recv(h, w->msg, w->out, NULL, 0);
    if (err == HANSA_ERR_STATE) return; /* a faulted half: the check reports it */
    if (err != HANSA_OK) w->broken = true;
    w->refused += w->out->n_refused;
    pair_save(&w->p, pk->to);
    net_send(&w->nt, credit_side_other((credit_side)pk->to), w->out);
}

static void issue(world *w, int side) {
    credit_chit c = make_chit((credit_side)side, w->issued[side] + 1, 1 + w->issued[side]);
    hansa_err err = credit_half_issue(&w->p.h[side], &c, false, w->out, NULL, 0);
    if (err == HANSA_ERR_FULL || err == HANSA_ERR_STATE) return;
    if (err != HANSA_OK) {
        w->broken = true;
        return;
    }
    w->issued[side]++;
    pair_save(&w->p, side);
    net_send(&w->nt, credit_side_other((credit_side)side), w->out);
}

static void tick(world *w, int side) {
    credit_half_tick(&w->p.h[side], w->out);
    net_send(&w->nt, credit_side_other((credit_side)side), w->out);
}

static void crash(world *w, int side) {
    for (int i = 0; i < w->nt.n;) {
        if (w->nt.q[i].to == side) {
            packet pk;
            net_take(&w->nt, i, &pk);
            hbuf_free(&pk.bytes);
        } else {
            i++;
        }
    }
    pair_restart(&w->p, side);
}

static bool converged(world *w) {
    const credit_half *s = &w->p.h[CREDIT_STOCK], *f = &w->p.h[CREDIT_FOIL];
    return !s->fault && !f->fault && credit_half_settled(s) && credit_half_settled(f) &&
           same_chains(&w->p);
}

/* Every issued chit exactly once in the foil's chain. */
static bool complete(world *w) {
    const mem_chain *m = &w->p.store[CREDIT_FOIL];
    uint64_t n = w->p.h[CREDIT_FOIL].n;
    if (n != (uint64_t)w->issued[CREDIT_STOCK] + w->issued[CREDIT_FOIL] - w->refused) return false;
    for (int side = CREDIT_STOCK; side <= CREDIT_FOIL; side++)
        for (uint32_t k = 1; k <= w->issued[side]; k++) {
            credit_chit c = make_chit((credit_side)side, k, k);
            int found = 0;
            for (uint64_t i = 0; i < n; i++)
                if (credit_id_eq(&m->links[i].chit.chit_id, &c.chit_id)) found++;
            if (found != 1) return false;
        }
    return true;
}

typedef struct {
    bool ok;
    int rounds;       /* delivery rounds after healing until converged */
    uint64_t msgs;    /* messages sent in the whole run */
    uint64_t chits;
} run_result;

static run_result run_one(uint64_t seed) {
    hansa_prng rng;
    prng_seed(&rng, seed);
    world *w = calloc(1, sizeof *w);
    w->out = malloc(sizeof *w->out);
    w->msg = malloc(sizeof *w->msg);
    pair_init(&w->p);
    /* Each run draws its own weather. */
    int loss = (int)prng_below(&rng, 60), dup = (int)prng_below(&rng, 30);
    int crash_pm = (int)prng_below(&rng, 30), steps = 100 + (int)prng_below(&rng, 300);
    uint32_t chits_max = 1 + (uint32_t)prng_below(&rng, 50);
    for (int step = 0; step < steps && !w->broken; step++) {
        uint64_t a = prng_below(&rng, 100);
        if (a < 12 && w->issued[CREDIT_FOIL] + w->issued[CREDIT_STOCK] < chits_max) {
            issue(w, CREDIT_FOIL);
        } else if (a < 24 && w->issued[CREDIT_FOIL] + w->issued[CREDIT_STOCK] < chits_max) {
            issue(w, CREDIT_STOCK);
        } else if (a < 30) {
            tick(w, CREDIT_STOCK + (int)prng_below(&rng, 2));
        } else if (prng_below(&rng, 1000) < (uint64_t)crash_pm) {
            crash(w, CREDIT_STOCK + (int)prng_below(&rng, 2));
        } else if (w->nt.n > 0) {
            packet pk;
            int i = (int)prng_below(&rng, (uint64_t)w->nt.n); /* any order */
            if ((int)prng_below(&rng, 100) < dup) { /* duplicated: a copy stays behind */
                pk.to = w->nt.q[i].to;
                pk.bytes = (hbuf)HBUF_INIT;
                hbuf_append(&pk.bytes, w->nt.q[i].bytes.data, w->nt.q[i].bytes.len);
            } else {
                net_take(&w->nt, i, &pk);
            }
            if ((int)prng_below(&rng, 100) >= loss) deliver(w, &pk);
            hbuf_free(&pk.bytes);
        }
    }
    /* The weather ends in the middle of a burst: both holders issue chits
     * that nobody has heard of yet. */
    for (int k = 0; k < (int)prng_below(&rng, 4) && !w->broken; k++) {
        issue(w, CREDIT_FOIL);
        issue(w, CREDIT_STOCK);
    }
    /* Healed: both halves tick once, then every message sent is delivered,
     * round by round (in any order within a round). */
    run_result res = {false, -1, 0, 0};
    tick(w, CREDIT_STOCK);
    tick(w, CREDIT_FOIL);
    int rounds = 0;
    while (w->nt.n > 0 && rounds < 64 && !w->broken) {
        if (converged(w) && res.rounds < 0) res.rounds = rounds;
        net now = w->nt;
        w->nt.n = 0;
        while (now.n > 0) {
            packet pk;
            net_take(&now, (int)prng_below(&rng, (uint64_t)now.n), &pk);
            deliver(w, &pk);
            hbuf_free(&pk.bytes);
        }
        rounds++;
    }
    if (res.rounds < 0) res.rounds = rounds;
    res.ok = !w->broken && w->nt.n == 0 && converged(w) && complete(w) && res.rounds <= 6;
    res.msgs = w->nt.sent;
    res.chits = w->issued[CREDIT_STOCK] + w->issued[CREDIT_FOIL];
    net_free(&w->nt);
    pair_free(&w->p);
    free(w->out);
    free(w->msg);
    free(w);
    return res;
}

static void test_property_converges(void) {
    uint64_t base = check_seed("chain property", 20240612);
    int runs = getenv("HANSA_SEED") ? 1 : 400;
    int hist[8] = {0}, worst = 0;
    uint64_t msgs = 0, chits = 0;
    for (int i = 0; i < runs; i++) {
        run_result r = run_one(base + (uint64_t)i);
        if (!r.ok) {
            fprintf(stderr, "  run with HANSA_SEED=%" PRIu64 " did not converge (rounds %d)\n",
                    base + (uint64_t)i, r.rounds);
            CHECK(r.ok);
            return;
        }
        hist[r.rounds < 7 ? r.rounds : 7]++;
        if (r.rounds > worst) worst = r.rounds;
        msgs += r.msgs;
        chits += r.chits;
    }
    fprintf(stderr,
            "  %d runs, %" PRIu64 " chits, %" PRIu64 " messages; delivery rounds after healing "
            "to converge: 0:%d 1:%d 2:%d 3:%d 4:%d 5:%d 6:%d (worst %d = %.1f round trips)\n",
            runs, chits, msgs, hist[0], hist[1], hist[2], hist[3], hist[4], hist[5], hist[6],
            worst, worst / 2.0);
}

/* The check must catch a broken ordering rule. */
static void test_property_catches_broken_ordering(void) {
    uint64_t base = check_seed("chain mutant", 77);
    credit_chain_test_mutant(CREDIT_MUTANT_STOCK_ORDERS);
    int failed = 0, runs = 200;
    for (int i = 0; i < runs; i++)
        if (!run_one(base + (uint64_t)i).ok) failed++;
    credit_chain_test_mutant(CREDIT_MUTANT_NONE);
    fprintf(stderr, "  with the stock ordering its own chits first, %d of %d runs fail the check\n",
            failed, runs);
    CHECK(failed > 0);
}

int main(void) {
    crypto_init();
    keys_init();
    RUN(test_foil_issue_then_stock_conforms);
    RUN(test_stock_issue_is_ordered_by_foil);
    RUN(test_conflict_moves_stock_chit_to_end);
    RUN(test_issue_refusals);
    RUN(test_known_id_different_content_refused);
    RUN(test_faults_and_protocol_errors);
    RUN(test_point_past_foil_end);
    RUN(test_msg_codec);
    RUN(test_property_converges);
    RUN(test_property_catches_broken_ordering);
    return check_summary();
}
