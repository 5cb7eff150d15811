/* dkg_harness.h — a little world for DKG tests: n participants and one
 * observer, a broadcast log that stands for the chain (messages broadcast
 * at height h are delivered to everyone, in order, at height h+1), private
 * delivery of SHAREs, and a tamper hook through which a test plays a
 * cheating participant by rewriting, dropping or adding its messages. */
#ifndef HANSA_TESTS_DKG_HARNESS_H
#define HANSA_TESTS_DKG_HARNESS_H

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/noise.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "threshold/dkg.h"

#define H_MAX 16
#define H_LOG_MAX 4096

typedef struct net net;

typedef enum { TAMPER_PASS, TAMPER_DROP } tamper_action;
/* Called for every BROADCAST (to == 0) and SEND output of participant `from`. */
typedef tamper_action (*tamper_fn)(net *w, uint16_t from, uint16_t to, const uint8_t *bytes,
                                   size_t len);

typedef struct {
    uint8_t *bytes;
    size_t len;
    uint32_t audience; /* bit i: participant i gets it (bit 0: the observer); 0 = everyone */
    uint64_t height;   /* delivered at this height */
} log_entry;

struct net {
    uint16_t n;
    dkg_context ctx;
    dkg_timing timing;
    hansa_keypair keys[H_MAX + 1];       /* by participant id */
    hansa_pubkey members[H_MAX];
    dkg_session *s[H_MAX + 1];           /* [0] is the observer */
    hansa_prng prng;
    hansa_rng rng;
    log_entry log[H_LOG_MAX];
    size_t log_len, delivered;
    uint64_t height;
    tamper_fn tamper;
    void *tamper_ctx;
    /* What each session reported. */
    int blames[H_MAX + 1][H_MAX + 1][8];  /* [session][culprit][blame] counts */
    bool done[H_MAX + 1], accepted[H_MAX + 1], failed[H_MAX + 1];
    int refused[H_MAX + 1];              /* inputs a session ignored */
};

static inline void net_push_log(net *w, const uint8_t *bytes, size_t len, uint32_t audience) {
    HANSA_ASSERT(w->log_len < H_LOG_MAX);
    log_entry *e = &w->log[w->log_len++];
    e->bytes = hansa_memdup(bytes, len);
    e->len = len;
    e->audience = audience;
    e->height = w->height + 1;
}

static inline void net_deliver_direct(net *w, uint16_t to, const uint8_t *bytes, size_t len);

/* Drains session i and routes its outputs. */
static inline void net_pump(net *w, uint16_t i) {
    const dkg_out *o;
    size_t n = dkg_drain(w->s[i], &o);
    /* Copy first: delivering a SEND calls into another session, never this one. */
    for (size_t k = 0; k < n; k++) {
        switch (o[k].kind) {
        case DKG_OUT_BROADCAST:
        case DKG_OUT_SEND: {
            uint16_t to = o[k].kind == DKG_OUT_SEND ? o[k].to : 0;
            if (w->tamper && w->tamper(w, i, to, o[k].bytes, o[k].len) == TAMPER_DROP) break;
            if (to == 0)
                net_push_log(w, o[k].bytes, o[k].len, 0);
            else
                net_deliver_direct(w, to, o[k].bytes, o[k].len);
            break;
        }
        case DKG_OUT_BLAME: w->blames[i][o[k].culprit][o[k].blame]++; break;
        case DKG_OUT_DONE: w->done[i] = true; break;
        case DKG_OUT_ACCEPTED: w->accepted[i] = true; break;
        case DKG_OUT_FAILED: w->failed[i] = true; break;
        }
    }
}

static inline void net_deliver_direct(net *w, uint16_t to, const uint8_t *bytes, size_t len) {
    HANSA_ASSERT(to >= 1 && to <= w->n);
    uint8_t *copy = hansa_memdup(bytes, len);
    if (dkg_on_direct(w->s[to], copy, len, NULL) != HANSA_OK) w->refused[to]++;
    free(copy);
    net_pump(w, to);
}

/* Creates n participants (keys from the seed) and an observer; nothing starts. */
static inline void net_init(net *w, uint16_t n, uint64_t seed, uint64_t epoch) {
    memset(w, 0, sizeof *w);
    HANSA_ASSERT(n >= 1 && n <= H_MAX);
    w->n = n;
    prng_seed(&w->prng, seed);
    w->rng = prng_as_rng(&w->prng);
    for (uint16_t i = 1; i <= n; i++) {
        uint8_t sd[32];
        prng_fill(&w->prng, sd, 32);
        keypair_from_seed(&w->keys[i], sd);
        w->members[i - 1] = w->keys[i].pub;
    }
    w->ctx.chain_id = 0xe2e4;
    w->ctx.epoch = epoch;
    memset(w->ctx.valset_hash.b, 0x5a, HANSA_HASH_BYTES);
    w->ctx.n = n;
    w->ctx.members = w->members;
    w->timing = (dkg_timing){10, 20, 30, 40};
    for (uint16_t i = 0; i <= n; i++) {
        dkg_config cfg = {.ctx = w->ctx, .timing = w->timing, .me = i,
                          .key = i ? &w->keys[i] : NULL, .rng = w->rng};
        w->s[i] = dkg_new(&cfg);
    }
}

static inline void net_free(net *w) {
    for (uint16_t i = 0; i <= w->n; i++) dkg_free(w->s[i]);
    for (size_t k = 0; k < w->log_len; k++) free(w->log[k].bytes);
    for (uint16_t i = 1; i <= w->n; i++) keypair_wipe(&w->keys[i]);
}

/* Runs the session: everyone deals at height 0, then heights 1..until. */
static inline void net_run(net *w, uint64_t until) {
    for (uint16_t i = 0; i <= w->n; i++) {
        dkg_start(w->s[i], 0);
        net_pump(w, i);
    }
    for (w->height = 1; w->height <= until; w->height++) {
        /* Entries pushed while delivering this height go to the next one. */
        size_t end = w->log_len;
        for (; w->delivered < end; w->delivered++) {
            log_entry *e = &w->log[w->delivered];
            if (e->height > w->height) break;
            for (uint16_t i = 0; i <= w->n; i++) {
                if (e->audience && !(e->audience & (1u << i))) continue;
                if (dkg_on_broadcast(w->s[i], e->bytes, e->len, w->height, NULL) != HANSA_OK)
                    w->refused[i]++;
                net_pump(w, i);
            }
        }
        for (uint16_t i = 0; i <= w->n; i++) {
            dkg_tick(w->s[i], w->height);
            net_pump(w, i);
        }
    }
}

/* Sum of blames of one kind against culprit, over every session (participants and observer). */
static inline int net_blamed_by_all(const net *w, uint16_t culprit, dkg_blame b) {
    int sessions = 0;
    for (uint16_t i = 0; i <= w->n; i++)
        if (w->blames[i][culprit][b] > 0) sessions++;
    return sessions;
}

/* Signs a COMMIT/COMPLAINT/RESULT as participant `as` and returns its encoding. */
static inline void net_sign_encode(net *w, uint16_t as, dkg_msg *m, hbuf *out) {
    hbuf sb = HBUF_INIT;
    dkg_msg_sign_bytes(&sb, m);
    hansa_sig *sig = m->kind == DKG_MSG_COMMIT      ? &m->u.commit.sig
                     : m->kind == DKG_MSG_COMPLAINT ? &m->u.complaint.sig
                                                    : &m->u.result.sig;
    sign_domain(&w->keys[as], DKG_DOMAIN, sb.data, sb.len, sig);
    hbuf_free(&sb);
    hbuf_reset(out);
    dkg_msg_encode(out, m);
}

/* Opens a SHARE sent to `to` with that participant's key (the test knows all keys). */
static inline bool net_open_share(net *w, const dkg_msg *m, dkg_signed_share *out) {
    noise_keypair x;
    noise_keypair_from_ed25519(&x, w->keys[m->u.share.recipient].secret);
    hbuf ad = HBUF_INIT;
    dkg_share_ad(&ad, &m->session, m->u.share.dealer, m->u.share.recipient);
    uint8_t plain[DKG_SIGNED_SHARE_BYTES];
    bool ok = seal_decrypt(x.priv, x.pub, ad.data, ad.len, m->u.share.sealed, DKG_SEALED_BYTES,
                           plain) == HANSA_OK &&
              dkg_signed_share_decode(plain, out) == HANSA_OK;
    hbuf_free(&ad);
    noise_keypair_wipe(&x);
    return ok;
}

/* Signs `ss` as dealer d for recipient j and seals it into a SHARE encoding. */
static inline void net_make_share(net *w, const hansa_hash *session, uint16_t d, uint16_t j,
                                  dkg_signed_share *ss, hbuf *out) {
    hbuf sb = HBUF_INIT;
    dkg_share_sign_bytes(&sb, session, d, j, &ss->commit_hash, &ss->share);
    sign_domain(&w->keys[d], DKG_SHARE_DOMAIN, sb.data, sb.len, &ss->sig);
    hbuf_reset(&sb);
    dkg_msg m = {.kind = DKG_MSG_SHARE, .session = *session};
    m.u.share.dealer = d;
    m.u.share.recipient = j;
    dkg_share_ad(&sb, session, d, j);
    uint8_t to[32], plain[DKG_SIGNED_SHARE_BYTES];
    HANSA_ASSERT(noise_pubkey_from_ed25519(&w->members[j - 1], to) == HANSA_OK);
    dkg_signed_share_encode(plain, ss);
    HANSA_ASSERT(seal_encrypt(&w->rng, to, sb.data, sb.len, plain, sizeof plain, m.u.share.sealed) ==
                 HANSA_OK);
    hbuf_free(&sb);
    hbuf_reset(out);
    dkg_msg_encode(out, &m);
}

/* The key every participant that finished agrees on; checks they all do. */
static inline bool net_all_agree(net *w, frost_point *key) {
    bool any = false;
    for (uint16_t i = 0; i <= w->n; i++) {
        const dkg_result *r = dkg_result_get(w->s[i]);
        if (!r) continue;
        if (!any) *key = r->group.key;
        if (!frost_point_eq(key, &r->group.key)) return false;
        any = true;
    }
    return any;
}

/* Signs a message with participants ids[0..m) and checks the signature
 * against the DKG's group key: the shares really are a t-of-n sharing. */
static inline bool net_sign(net *w, const uint16_t *ids, size_t m) {
    const dkg_result *r0 = dkg_result_get(w->s[0]);
    if (!r0) return false;
    frost_commitment list[H_MAX];
    frost_nonces nonces[H_MAX];
    frost_scalar z[H_MAX];
    const uint8_t msg[] = "checkpoint";
    for (size_t k = 0; k < m; k++) {
        const dkg_result *r = dkg_result_get(w->s[ids[k]]);
        if (!r || !r->has_share) return false;
        frost_commit(&w->rng, ids[k], &r->share, &nonces[k], &list[k]);
    }
    frost_derived d;
    if (frost_derive(&r0->group.key, list, m, w->n, msg, sizeof msg, &d) != HANSA_OK) return false;
    for (size_t k = 0; k < m; k++) {
        const dkg_result *r = dkg_result_get(w->s[ids[k]]);
        if (frost_sign(&d, &list[k], &r->share, &nonces[k], &z[k]) != HANSA_OK) return false;
        if (!frost_share_verify(&d, ids[k], &r0->group.shares[ids[k] - 1], &z[k])) return false;
    }
    frost_sig sig;
    return frost_aggregate(&d, z, &sig) == HANSA_OK &&
           frost_verify(&r0->group.key, msg, sizeof msg, &sig);
}

#endif
