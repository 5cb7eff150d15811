/* bench_frost.c — `hansa bench-crypto --frost` (see bench_frost.h).
 *
 * Every figure runs its operation repeatedly for about `ms` milliseconds on
 * one core and reports the mean time per operation. The Ed25519 verify rate
 * is measured in the same run, because on a shared machine absolute times
 * move with the load while ratios to it hold (DESIGN.md section 12). The
 * key generation and the ROAST run are the production state machines
 * (threshold/dkg.c, threshold/roast.c) driven in process: every participant
 * on this one core, messages handed over in memory. */
#include "cmd/lib/bench_frost.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "cmd/lib/bench_crypto.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "interchain/client.h"
#include "interchain/codec.h"
#include "threshold/checkpoint.h"
#include "threshold/dkg.h"
#include "threshold/roast.h"
#include "wire/codec.h"

typedef struct {
    uint16_t n, t;
    frost_group g;
    frost_scalar share[FROST_PARTICIPANTS_MAX + 1];
    frost_commitment list[FROST_PARTICIPANTS_MAX];
    frost_nonces nonces[FROST_PARTICIPANTS_MAX];
    uint8_t msg[CHECKPOINT_MSG_BYTES]; /* threshold/checkpoint.h */
    hansa_rng rng;
} bench_group;

/* Runs fn(ctx) until ms have passed; returns microseconds per call. */
static double time_per_op(void (*fn)(void *), void *ctx, uint64_t ms) {
    uint64_t ops = 0, start = clock_system_mono_us(), elapsed;
    do {
        fn(ctx);
        ops++;
        elapsed = clock_system_mono_us() - start;
    } while (elapsed < ms * 1000);
    return (double)elapsed / (double)ops;
}

static void make_group(bench_group *b) {
    frost_scalar coeffs[FROST_PARTICIPANTS_MAX];
    for (uint16_t k = 0; k < b->t; k++) frost_scalar_random(&b->rng, &coeffs[k]);
    b->g.n = b->n;
    b->g.t = b->t;
    HANSA_ASSERT(frost_base_mul(&coeffs[0], &b->g.key));
    for (uint16_t i = 1; i <= b->n; i++) {
        frost_poly_eval(coeffs, b->t, i, &b->share[i]);
        HANSA_ASSERT(frost_base_mul(&b->share[i], &b->g.shares[i - 1]));
    }
    for (uint16_t k = 0; k < b->t; k++) frost_scalar_wipe(&coeffs[k]);
    memset(b->msg, 0xc4, sizeof b->msg);
    /* The signers are 1..t; their round-one output. */
    for (uint16_t i = 0; i < b->t; i++)
        frost_commit(&b->rng, (uint16_t)(i + 1), &b->share[i + 1], &b->nonces[i], &b->list[i]);
}

static void op_round1(void *ctx) {
    bench_group *b = ctx;
    frost_nonces n;
    frost_commitment c;
    frost_commit(&b->rng, 1, &b->share[1], &n, &c);
    frost_wipe(&n, sizeof n);
}

/* Round two of one signer: binding factors, group commitment, challenge
 * (frost_derive over the t commitments) and its share. */
static void op_round2(void *ctx) {
    bench_group *b = ctx;
    static frost_derived d;
    HANSA_ASSERT(frost_derive(&b->g.key, b->list, b->t, b->n, b->msg, sizeof b->msg, &d) == HANSA_OK);
    frost_nonces copy = b->nonces[0];
    frost_scalar z;
    HANSA_ASSERT(frost_sign(&d, &b->list[0], &b->share[1], &copy, &z) == HANSA_OK);
}

typedef struct {
    bench_group *b;
    frost_scalar z[FROST_PARTICIPANTS_MAX];
    frost_sig sig;
    bool verify_shares;
} agg_ctx;

/* The coordinator: derive, (optionally verify every share), aggregate. */
static void op_aggregate(void *ctx) {
    agg_ctx *a = ctx;
    bench_group *b = a->b;
    static frost_derived d;
    HANSA_ASSERT(frost_derive(&b->g.key, b->list, b->t, b->n, b->msg, sizeof b->msg, &d) == HANSA_OK);
    if (a->verify_shares)
        for (uint16_t i = 0; i < b->t; i++)
            HANSA_ASSERT(frost_share_verify(&d, (uint16_t)(i + 1), &b->g.shares[i], &a->z[i]));
    HANSA_ASSERT(frost_aggregate(&d, a->z, &a->sig) == HANSA_OK);
}

static void op_verify(void *ctx) {
    agg_ctx *a = ctx;
    HANSA_ASSERT(frost_verify(&a->b->g.key, a->b->msg, sizeof a->b->msg, &a->sig));
}

typedef struct {
    uint16_t n;
    hansa_keypair keys[FROST_PARTICIPANTS_MAX];
    hansa_sig sigs[FROST_PARTICIPANTS_MAX];
    uint8_t vote[WIRE_VOTE_BYTES - HANSA_SIG_BYTES];
} commit_ctx;

/* A commit certificate's check: one Ed25519 verification per precommit. */
static void op_commit_verify(void *ctx) {
    commit_ctx *c = ctx;
    for (uint16_t i = 0; i < c->n; i++)
        HANSA_ASSERT(verify_domain(&c->keys[i].pub, SIGN_DOMAIN_VOTE, c->vote, sizeof c->vote,
                                   &c->sigs[i]));
}

/* ---- the whole key generation ---------------------------------------------------------- */

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob;

typedef struct {
    blob *items;
    size_t n, cap;
} blob_list;

static void blob_push(blob_list *l, const uint8_t *p, size_t len) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = hansa_realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = (blob){hansa_memdup(p, len), len};
}

static void blob_free(blob_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->items[i].bytes);
    free(l->items);
}

typedef struct {
    uint64_t bytes_broadcast, bytes_private;
    size_t messages;
    bool accepted;
} dkg_stats;

/* Routes the outputs of session i: broadcasts to the log for the next
 * height, private shares straight to their recipient. */
static void pump(dkg_session **s, uint16_t i, blob_list *log, dkg_stats *st) {
    const dkg_out *o;
    size_t n = dkg_drain(s[i], &o);
    for (size_t k = 0; k < n; k++) {
        if (o[k].kind == DKG_OUT_BROADCAST) {
            blob_push(log, o[k].bytes, o[k].len);
            st->bytes_broadcast += o[k].len;
            st->messages++;
        } else if (o[k].kind == DKG_OUT_SEND) {
            st->bytes_private += o[k].len;
            st->messages++;
            HANSA_ASSERT(dkg_on_direct(s[o[k].to], o[k].bytes, o[k].len, NULL) == HANSA_OK);
            pump(s, o[k].to, log, st);
        } else if (o[k].kind == DKG_OUT_ACCEPTED && i == 1) {
            st->accepted = true;
        }
    }
}

/* One full DKG of n participants on this core; returns its wall time in us. */
static uint64_t run_dkg(uint16_t n, hansa_rng rng, dkg_stats *st) {
    hansa_keypair *keys = hansa_calloc(n, sizeof *keys);
    hansa_pubkey *members = hansa_calloc(n, sizeof *members);
    for (uint16_t i = 0; i < n; i++) {
        keypair_generate(&keys[i]);
        members[i] = keys[i].pub;
    }
    dkg_context ctx = {.chain_id = 0xbe7c, .epoch = 1, .n = n, .members = members};
    dkg_session **s = hansa_calloc(n + 1u, sizeof *s);
    for (uint16_t i = 1; i <= n; i++) {
        dkg_config cfg = {.ctx = ctx, .timing = {2, 3, 4, 5}, .me = i, .key = &keys[i - 1], .rng = rng};
        s[i] = dkg_new(&cfg);
    }
    memset(st, 0, sizeof *st);
    blob_list log = {0};
    uint64_t start = clock_system_mono_us();
    for (uint16_t i = 1; i <= n; i++) {
        dkg_start(s[i], 0);
        pump(s, i, &log, st);
    }
    size_t delivered = 0;
    for (uint64_t h = 1; h <= 6; h++) {
        size_t end = log.n;
        for (; delivered < end; delivered++)
            for (uint16_t i = 1; i <= n; i++) {
                (void)dkg_on_broadcast(s[i], log.items[delivered].bytes, log.items[delivered].len, h, NULL);
                pump(s, i, &log, st);
            }
        for (uint16_t i = 1; i <= n; i++) {
            dkg_tick(s[i], h);
            pump(s, i, &log, st);
        }
    }
    uint64_t elapsed = clock_system_mono_us() - start;
    for (uint16_t i = 1; i <= n; i++) dkg_free(s[i]);
    for (uint16_t i = 0; i < n; i++) keypair_wipe(&keys[i]);
    blob_free(&log);
    free(s);
    free(keys);
    free(members);
    return elapsed;
}

/* ---- one ROAST run: the bytes it takes to make one checkpoint signature ---------------- */

static bool persist_in_memory(void *ctx, const roast_nonce_rec *rec) {
    (void)ctx;
    (void)rec;
    return true;
}

static bool approve_bench(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    (void)round;
    return len == CHECKPOINT_MSG_BYTES && memcmp(msg, ctx, len) == 0;
}

typedef struct {
    uint64_t commit_bytes, request_bytes, share_bytes;
    uint32_t sessions;
    uint64_t elapsed_us;
} roast_stats;

/* All n signers commit; the coordinator opens a session with t of them,
 * they answer; counts every byte sent. */
static void run_roast(bench_group *b, roast_stats *st) {
    memset(st, 0, sizeof *st);
    roast_coord_config cc = {.group = b->g, .round = 1, .msg = b->msg, .msg_len = sizeof b->msg};
    roast_coord *c = roast_coord_new(&cc);
    roast_signer *sg[FROST_PARTICIPANTS_MAX + 1];
    uint64_t start = clock_system_mono_us();
    for (uint16_t i = 1; i <= b->n; i++) {
        roast_signer_config sc = {.group = b->g, .id = i, .share = b->share[i], .rng = b->rng,
                                  .ctx = b->msg, .persist = persist_in_memory,
                                  .approve = approve_bench};
        sg[i] = roast_signer_new(&sc, NULL, 0);
    }
    hbuf buf = HBUF_INIT;
    const roast_out *o;
    for (uint16_t i = 1; i <= b->t; i++) {
        hbuf_reset(&buf);
        HANSA_ASSERT(roast_signer_commit(sg[i], 1, &buf) == HANSA_OK);
        st->commit_bytes += buf.len;
        HANSA_ASSERT(roast_coord_on_message(c, i, buf.data, buf.len, NULL) == HANSA_OK);
    }
    size_t n = roast_coord_drain(c, &o);
    HANSA_ASSERT(n == 1 && o[0].kind == ROAST_OUT_REQUEST);
    hbuf req = HBUF_INIT;
    hbuf_append(&req, o[0].bytes, o[0].len);
    uint16_t to[FROST_PARTICIPANTS_MAX];
    memcpy(to, o[0].to, o[0].n_to * sizeof *to);
    size_t n_to = o[0].n_to;
    for (size_t k = 0; k < n_to; k++) {
        st->request_bytes += req.len;
        hbuf_reset(&buf);
        HANSA_ASSERT(roast_signer_on_request(sg[to[k]], req.data, req.len, &buf, NULL) == HANSA_OK);
        st->share_bytes += buf.len;
        HANSA_ASSERT(roast_coord_on_message(c, to[k], buf.data, buf.len, NULL) == HANSA_OK);
    }
    HANSA_ASSERT(roast_coord_signature(c) != NULL);
    st->elapsed_us = clock_system_mono_us() - start;
    st->sessions = roast_coord_sessions(c);
    hbuf_free(&buf);
    hbuf_free(&req);
    for (uint16_t i = 1; i <= b->n; i++) roast_signer_free(sg[i]);
    roast_coord_free(c);
}

/* ---- a light client's update: FROST checkpoint vs commit certificate ---------------------- */

#define LC_CHAIN 0x1c0ffee
#define LC_T0 1700000000000ull

/* The group b's signature on msg (fresh round-one nonces each time). */
static void group_sign(bench_group *b, const uint8_t *msg, size_t len, frost_sig *out) {
    frost_commitment list[FROST_PARTICIPANTS_MAX];
    frost_nonces nonces[FROST_PARTICIPANTS_MAX];
    static frost_derived d;
    static frost_scalar z[FROST_PARTICIPANTS_MAX];
    for (uint16_t i = 0; i < b->t; i++)
        frost_commit(&b->rng, (uint16_t)(i + 1), &b->share[i + 1], &nonces[i], &list[i]);
    HANSA_ASSERT(frost_derive(&b->g.key, list, b->t, b->n, msg, len, &d) == HANSA_OK);
    for (uint16_t i = 0; i < b->t; i++)
        HANSA_ASSERT(frost_sign(&d, &list[i], &b->share[i + 1], &nonces[i], &z[i]) == HANSA_OK);
    HANSA_ASSERT(frost_aggregate(&d, z, out) == HANSA_OK);
}

typedef struct {
    ic_params p;
    ic_consensus trusted;
    ic_update u;
} lc_ctx;

/* One signature at a time on this core, as the FROST side: the comparison
 * is of work, not of how many cores a verifier may borrow. */
static bool serial_verify(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg,
                          size_t len, const hansa_sig *sig) {
    (void)ctx;
    return verify_domain(pk, domain, msg, len, sig);
}

static void op_lc_verify(void *ctx) {
    lc_ctx *c = ctx;
    cert_verifier vf = {serial_verify, NULL};
    char why[IC_WHY_MAX];
    HANSA_ASSERT(ic_verify(&c->p, &c->trusted, &c->u, c->u.header.time_ms + 1, true, &vf, why, sizeof why) ==
                 HANSA_OK);
}

static int by_pubkey(const void *a, const void *b) {
    return pubkey_cmp(&((const hansa_keypair *)a)->pub, &((const hansa_keypair *)b)->pub);
}

/* An adjacent update of a header decided by n delegates, all signing. */
static void commit_update(uint16_t n, lc_ctx *c) {
    hansa_keypair *keys = hansa_calloc(n, sizeof *keys);
    for (uint16_t i = 0; i < n; i++) keypair_generate(&keys[i]);
    qsort(keys, n, sizeof *keys, by_pubkey);
    ic_update *u = &c->u;
    u->vals.n = n;
    u->vals.v = hansa_calloc(n, sizeof *u->vals.v);
    for (uint16_t i = 0; i < n; i++) u->vals.v[i] = (wire_validator){keys[i].pub, 10};
    wire_valset_hash(&u->vals, &u->header.validators_hash);
    u->header.next_validators_hash = u->header.validators_hash;
    c->trusted.validators_hash = c->trusted.next_validators_hash = u->header.validators_hash;
    u->cert_kind = IC_CERT_COMMIT;
    wire_commit *cm = &u->commit;
    cm->chain_id = LC_CHAIN;
    cm->height = u->header.height;
    wire_header_hash(&u->header, &cm->block);
    cm->sigs = hansa_calloc(n, sizeof *cm->sigs);
    for (uint16_t i = 0; i < n; i++) {
        cm->sigs[i].validator_index = i;
        cm->n_sigs++;
        wire_vote v;
        wire_commit_vote(cm, i, &keys[i].pub, &v);
        hbuf sb = HBUF_INIT;
        wire_vote_sign_bytes(&sb, &v);
        sign_domain(&keys[i], SIGN_DOMAIN_VOTE, sb.data, sb.len, &cm->sigs[i].sig);
        hbuf_free(&sb);
    }
    for (uint16_t i = 0; i < n; i++) keypair_wipe(&keys[i]);
    free(keys);
}

/* An adjacent FROST update: b2's checkpoint of the header, and, if b1 is
 * given, b1's handoff to b2 (the client trusts b1's key). */
static void frost_update(bench_group *b1, bench_group *b2, lc_ctx *c) {
    ic_update *u = &c->u;
    u->cert_kind = IC_CERT_FROST;
    memset(u->header.validators_hash.b, 7, HANSA_HASH_BYTES);
    u->header.next_validators_hash = u->header.validators_hash;
    c->trusted.next_validators_hash = u->header.validators_hash;
    checkpoint *cp = &u->ckpt;
    cp->height = u->header.height;
    cp->epoch = b1 ? 2 : 1;
    wire_header_hash(&u->header, &cp->header_hash);
    cp->group_key = b2->g.key;
    hbuf m = HBUF_INIT;
    checkpoint_msg(&m, LC_CHAIN, cp->height, &cp->header_hash, cp->epoch);
    group_sign(b2, m.data, m.len, &cp->sig);
    c->trusted.key_epoch = 1;
    c->trusted.group_key = b1 ? b1->g.key : b2->g.key;
    c->trusted.key_time_ms = c->trusted.time_ms;
    if (b1) {
        handoff *h = &u->handoffs[u->n_handoffs++];
        *h = (handoff){.old_epoch = 1, .new_epoch = 2, .old_key = b1->g.key, .new_key = b2->g.key,
                       .t = b2->t, .n = b2->n};
        hbuf_reset(&m);
        handoff_msg(&m, LC_CHAIN, 1, 2, &h->new_key, h->t, h->n);
        group_sign(b1, m.data, m.len, &h->sig);
    }
    hbuf_free(&m);
}

static void lc_init(lc_ctx *c) {
    memset(c, 0, sizeof *c);
    c->p = (ic_params){LC_CHAIN, 3600000, 10000};
    c->trusted.height = 1;
    c->trusted.time_ms = LC_T0;
    c->u.trusted_height = 1;
    c->u.header = (wire_header){.chain_id = LC_CHAIN, .height = 2, .time_ms = LC_T0 + 1000};
}

static size_t update_bytes(const ic_update *u) {
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, u);
    size_t n = b.len;
    hbuf_free(&b);
    return n;
}

/* The comparison for a foreign chain: an update's bytes and its
 * verification (ic_verify, every signature on this core) by commit at 4, 7
 * and 32 delegates, and by FROST checkpoint with no and one key change. */
static void bench_light_client(bench_group *b, uint64_t ms) {
    printf("light-client update of one header (ic_verify, one core)\n");
    static const uint16_t ns[] = {4, 7, 32};
    lc_ctx *c = hansa_calloc(1, sizeof *c);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        lc_init(c);
        commit_update(ns[i], c);
        double us = time_per_op(op_lc_verify, c, ms);
        char label[64];
        snprintf(label, sizeof label, "commit, %u of %u delegates signing", ns[i], ns[i]);
        printf("  %-46s %9.3f ms   %5zu B\n", label, us / 1000, update_bytes(&c->u));
        ic_update_free(&c->u);
    }
    bench_group *b2 = hansa_calloc(1, sizeof *b2);
    b2->n = b->n;
    b2->t = b->t;
    b2->rng = b->rng;
    make_group(b2);
    for (int handoffs = 0; handoffs <= 1; handoffs++) {
        lc_init(c);
        frost_update(handoffs ? b : NULL, b2, c);
        double us = time_per_op(op_lc_verify, c, ms);
        printf("  %-46s %9.3f ms   %5zu B\n",
               handoffs ? "FROST checkpoint + 1 handoff (key change)" : "FROST checkpoint, same key", us / 1000,
               update_bytes(&c->u));
    }
    frost_wipe(b2, sizeof *b2);
    free(b2);
    free(c);
}

void bench_frost(uint16_t n, uint64_t ms) {
    HANSA_ASSERT(n >= 2 && n <= FROST_PARTICIPANTS_MAX);
    bench_group *b = hansa_calloc(1, sizeof *b);
    b->n = n;
    b->t = dkg_threshold(n);
    b->rng = crypto_os_rng();
    make_group(b);
    printf("frost (ristretto255, SHA-512; RFC 9591), n = %u, t = %u, one core\n", n, b->t);
    double ed = bench_ed25519_verify_rate(ms);
    printf("  %-46s %12.0f   (the yardstick, this run)\n", "ed25519 verify/s", ed);

    double r1 = time_per_op(op_round1, b, ms);
    double r2 = time_per_op(op_round2, b, ms);
    agg_ctx a = {.b = b};
    static frost_derived d;
    HANSA_ASSERT(frost_derive(&b->g.key, b->list, b->t, b->n, b->msg, sizeof b->msg, &d) == HANSA_OK);
    for (uint16_t i = 0; i < b->t; i++) {
        frost_nonces copy = b->nonces[i];
        HANSA_ASSERT(frost_sign(&d, &b->list[i], &b->share[i + 1], &copy, &a.z[i]) == HANSA_OK);
    }
    double agg = time_per_op(op_aggregate, &a, ms);
    a.verify_shares = true;
    double agg_v = time_per_op(op_aggregate, &a, ms);
    double ver = time_per_op(op_verify, &a, ms);
    printf("  %-46s %9.3f ms   (goal <= 0.1 ms; = %.1f ed25519 verifies)\n",
           "round 1 (commit), per signer", r1 / 1000, r1 * ed / 1e6);
    printf("  %-46s %9.3f ms   (goal <= 1 ms; = %.1f ed25519 verifies)\n",
           "round 2 (binding, R, challenge, share)", r2 / 1000, r2 * ed / 1e6);
    printf("  %-46s %9.3f ms   (goal <= 1 ms; = %.1f ed25519 verifies)\n",
           "aggregate (binding, R, sum)", agg / 1000, agg * ed / 1e6);
    printf("  %-46s %9.3f ms\n", "aggregate, every share verified first", agg_v / 1000);

    commit_ctx *cc = hansa_calloc(1, sizeof *cc);
    cc->n = b->t;
    memset(cc->vote, 0x42, sizeof cc->vote);
    for (uint16_t i = 0; i < cc->n; i++) {
        keypair_generate(&cc->keys[i]);
        sign_domain(&cc->keys[i], SIGN_DOMAIN_VOTE, cc->vote, sizeof cc->vote, &cc->sigs[i]);
    }
    double commit = time_per_op(op_commit_verify, cc, ms);
    printf("  %-46s %12.0f   (%.3f ms)\n", "group signature verifications/s", 1e6 / ver, ver / 1000);
    printf("  %-46s %12.0f   (%.3f ms; %u ed25519 signatures)\n", "commit certificate verifications/s",
           1e6 / commit, commit / 1000, cc->n);
    printf("  %-46s %12.1fx\n", "group signature vs commit, checks/s", commit / ver);
    for (uint16_t i = 0; i < cc->n; i++) keypair_wipe(&cc->keys[i]);
    free(cc);

    dkg_stats ds;
    uint64_t dkg_us = run_dkg(n, b->rng, &ds);
    HANSA_ASSERT(ds.accepted);
    printf("  %-46s %9.1f ms   (%.1f ms per participant, all %u on this core)\n",
           "dkg, the whole set", dkg_us / 1000.0, dkg_us / 1000.0 / n, n);
    printf("  %-46s %9.1f KiB  (%.1f KiB broadcast, %.1f KiB private, %zu messages)\n",
           "dkg bytes", (ds.bytes_broadcast + ds.bytes_private) / 1024.0,
           ds.bytes_broadcast / 1024.0, ds.bytes_private / 1024.0, ds.messages);

    roast_stats rs;
    run_roast(b, &rs);
    uint64_t total = rs.commit_bytes + rs.request_bytes + rs.share_bytes;
    printf("  %-46s %9u B    (t commits %" PRIu64 " + t requests %" PRIu64 " + t shares %" PRIu64
           "; %u session, %.1f ms on one core)\n",
           "bytes on the wire to sign a checkpoint", (unsigned)total, rs.commit_bytes,
           rs.request_bytes, rs.share_bytes, rs.sessions, rs.elapsed_us / 1000.0);
    /* As node/frost_sign.c sends them, once every member's link is known:
     * every ROAST message in a signed envelope, COMMITs to the coordinator,
     * REQUESTs to the t - 1 other signers, SHAREs back, the result to every
     * peer of a full mesh of n. */
    uint64_t env = ROAST_ENV_BYTES(0), peers = n - 1u, others = b->t - 1u;
    uint64_t commits = peers * (rs.commit_bytes / b->t + env);
    uint64_t requests = rs.sessions * others * (rs.request_bytes / b->t + env);
    uint64_t shares = others * (rs.share_bytes / b->t + env);
    uint64_t results = peers * CHECKPOINT_BYTES;
    printf("  %-46s %9" PRIu64 " B    (commits %" PRIu64 " + requests %" PRIu64 " + shares %" PRIu64
           " + checkpoint to %" PRIu64 " peers %" PRIu64 ")\n",
           "... as the node sends them (one session)", commits + requests + shares + results,
           commits, requests, shares, peers, results);
    printf("  %-46s %9u B    (R || z)\n", "bytes a foreign chain checks: group signature",
           FROST_SIG_BYTES);
    printf("  %-46s %9zu B    (%u precommit signatures)\n", "bytes a foreign chain checks: commit",
           (size_t)WIRE_COMMIT_BYTES(b->t), b->t);
    bench_light_client(b, ms);
    frost_wipe(b, sizeof *b);
    free(b);
}
