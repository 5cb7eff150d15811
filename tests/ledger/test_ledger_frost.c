/* test_ledger_frost.c — the chain as the DKG's broadcast channel: the
 * ledger's checks of DKG COMMIT (tx 60), COMPLAINT (tx 61, BAD_SHARE and
 * MISSING) and REVEAL (tx 62) transactions,
 * its group key record, and real DKG sessions of the four genesis
 * delegates driven by the blocks, which must end with the chain's key. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../threshold/dkg_harness.h"
#include "ledger/tx_frost.h"
#include "ledger_helpers.h"

static uint64_t base_seed;

/* Runs an honest 4-member session; returns the COMMITs of the log by dealer. */
static void honest_commits(net *w, hbuf commits[5]) {
    net_init(w, 4, base_seed, 1);
    net_run(w, 50);
    for (size_t k = 0; k < w->log_len; k++) {
        dkg_msg m;
        wire_rd r;
        if (dkg_msg_decode(w->log[k].bytes, w->log[k].len, &m, &r) != HANSA_OK) continue;
        if (m.kind != DKG_MSG_COMMIT) continue;
        hbuf_reset(&commits[m.u.commit.dealer]);
        hbuf_append(&commits[m.u.commit.dealer], w->log[k].bytes, w->log[k].len);
    }
}

static void test_key_equals_sessions(void) {
    net w;
    hbuf c[5] = {HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT};
    honest_commits(&w, c);
    frost_point c0[4];
    uint8_t qual[DKG_BITMAP_BYTES] = {0};
    for (uint16_t d = 1; d <= 4; d++) {
        dkg_commit_body body;
        const char *why = NULL;
        CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[d].pub, c[d].data, c[d].len, &body, &why),
                  HANSA_OK);
        c0[d - 1] = body.commits[0];
        dkg_bitmap_set(qual, d);
    }
    frost_point mine, theirs;
    CHECK_ERR(frost_tx_group_key(4, c0, qual, &mine, NULL), HANSA_OK);
    CHECK(net_all_agree(&w, &theirs));
    CHECK(frost_point_eq(&mine, &theirs));
    /* Below the threshold (3 of 4) there is no key. */
    uint8_t two[DKG_BITMAP_BYTES] = {0};
    dkg_bitmap_set(two, 1);
    dkg_bitmap_set(two, 3);
    CHECK_ERR(frost_tx_group_key(4, c0, two, &mine, NULL), HANSA_ERR_STATE);
    for (int i = 0; i < 5; i++) hbuf_free(&c[i]);
    net_free(&w);
}

/* Two colluding dealers commit x*G and -x*G (each knows its own secret, so
 * both proofs of knowledge verify): a partial sum is the identity, but the
 * key is the whole sum, as every session's frost_group_build computes it.
 * Adding one point at a time used to record no key while the sessions
 * accepted one (a review finding). */
static void test_key_partial_identity(void) {
    frost_scalar s[4] = {{{7}}, {{0}}, {{11}}, {{13}}};
    crypto_core_ristretto255_scalar_negate(s[1].b, s[0].b);
    frost_point c0[4], want;
    uint8_t qual[DKG_BITMAP_BYTES] = {0};
    for (uint16_t d = 1; d <= 4; d++) {
        CHECK(frost_base_mul(&s[d - 1], &c0[d - 1]));
        dkg_bitmap_set(qual, d);
    }
    frost_scalar sum = {{24}};
    CHECK(frost_base_mul(&sum, &want));
    frost_point key;
    CHECK_ERR(frost_tx_group_key(4, c0, qual, &key, NULL), HANSA_OK);
    CHECK(frost_point_eq(&key, &want));
    /* Only a whole sum that is the identity is refused. */
    frost_point two[2] = {c0[0], c0[1]};
    CHECK(!frost_point_sum(two, 2, &key));
}

static void test_refusals(void) {
    net w;
    hbuf c[5] = {HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT};
    honest_commits(&w, c);
    dkg_commit_body body;
    const char *why = NULL;
    /* Another delegate submitting dealer 1's COMMIT, or an outsider. */
    CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[2].pub, c[1].data, c[1].len, &body, &why),
              HANSA_ERR_PROTOCOL);
    /* A COMMIT of this set presented for the next set (stale epoch). */
    dkg_context next = w.ctx;
    next.epoch = 2;
    CHECK_ERR(frost_tx_check_commit(&next, &w.keys[1].pub, c[1].data, c[1].len, &body, &why),
              HANSA_ERR_PROTOCOL);
    /* A proof of knowledge that does not verify, properly signed. */
    dkg_msg m;
    wire_rd r;
    CHECK_ERR(dkg_msg_decode(c[1].data, c[1].len, &m, &r), HANSA_OK);
    m.u.commit.pok.z.b[0] ^= 1;
    hbuf bad = HBUF_INIT;
    net_sign_encode(&w, 1, &m, &bad);
    CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, bad.data, bad.len, &body, &why),
              HANSA_ERR_CRYPTO);
    /* A bad signature. */
    bad.data[bad.len - 1] ^= 1;
    CHECK(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, bad.data, bad.len, &body, &why) !=
          HANSA_OK);
    /* Truncated bytes. */
    CHECK(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, c[1].data, c[1].len - 1, &body, &why) !=
          HANSA_OK);
    hbuf_free(&bad);
    for (int i = 0; i < 5; i++) hbuf_free(&c[i]);
    net_free(&w);
}


/* ---- DKG sessions driven by a real chain ---------------------------------------- */

#define C_N 4
#define C_QUEUE 32

typedef struct {
    int from; /* t_keys index */
    uint16_t kind;
    hbuf body;
} c_pending;

/* How the cheating dealer treats its victim. */
typedef enum {
    C_HONEST,
    C_BAD_SHARE,  /* a wrong share, signed: a BAD_SHARE complaint excludes it */
    C_WITHHOLD,   /* no share: the victim's MISSING complaint, a good REVEAL keeps it */
    C_SILENT,     /* no share and no REVEAL: excluded when the reveal window closes */
    C_BAD_REVEAL, /* no share, then a wrong share revealed: excluded at once */
} c_cheat;

/* Four delegates (t_keys 60..63) and an observer run the genesis set's
 * session; their broadcasts become transactions of the next block, SHAREs
 * go straight to the recipient; a cheat hook rewrites or drops one
 * dealer's share to one victim, and its REVEAL. */
typedef struct {
    ledger_state *s;
    frost_epoch e;
    int key_of[C_N + 1]; /* participant id -> t_keys index */
    dkg_session *sess[C_N + 1];
    hansa_prng prng;
    hansa_rng rng;
    c_pending q[C_QUEUE];
    size_t nq;
    uint16_t cheat_dealer, cheat_victim; /* 0: honest */
    c_cheat cheat;
    int refused;                         /* transactions the ledger refused */
    bool done[C_N + 1];
    hbuf sent[C_N + 1][C_N + 1]; /* the last SHARE from dealer to recipient */
} cnet;

static uint16_t c_id_of(const cnet *w, int key) {
    for (uint16_t i = 1; i <= C_N; i++)
        if (w->key_of[i] == key) return i;
    return 0;
}

static void c_queue(cnet *w, int from, uint16_t kind, const uint8_t *bytes, size_t len) {
    HANSA_ASSERT(w->nq < C_QUEUE);
    c_pending *p = &w->q[w->nq++];
    p->from = from;
    p->kind = kind;
    p->body = (hbuf)HBUF_INIT;
    hbuf_append(&p->body, bytes, len);
}

/* Opens a SHARE with its recipient's key. */
static bool c_open_share(const cnet *w, const dkg_msg *m, dkg_signed_share *out) {
    noise_keypair x;
    noise_keypair_from_ed25519(&x, t_keys[w->key_of[m->u.share.recipient]].secret);
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

/* A signed share of dealer d for recipient j, plus one, signed again by d. */
static void c_corrupt_signed(const cnet *w, const hansa_hash *session, uint16_t d, uint16_t j,
                             dkg_signed_share *ss) {
    frost_scalar one;
    frost_id_scalar(1, &one);
    frost_scalar_add(&ss->share, &one, &ss->share);
    hbuf b = HBUF_INIT;
    dkg_share_sign_bytes(&b, session, d, j, &ss->commit_hash, &ss->share);
    sign_domain(&t_keys[w->key_of[d]], DKG_SHARE_DOMAIN, b.data, b.len, &ss->sig);
    hbuf_free(&b);
}

/* The cheat: the dealer's share to the victim, plus one, signed and sealed again. */
static void c_corrupt_share(cnet *w, hbuf *share) {
    dkg_msg m;
    HANSA_ASSERT(dkg_msg_decode(share->data, share->len, &m, NULL) == HANSA_OK);
    dkg_signed_share ss;
    HANSA_ASSERT(c_open_share(w, &m, &ss));
    c_corrupt_signed(w, &m.session, m.u.share.dealer, m.u.share.recipient, &ss);
    hbuf b = HBUF_INIT;
    dkg_share_ad(&b, &m.session, m.u.share.dealer, m.u.share.recipient);
    uint8_t to[32], plain[DKG_SIGNED_SHARE_BYTES];
    HANSA_ASSERT(noise_pubkey_from_ed25519(&w->e.members[m.u.share.recipient - 1], to) == HANSA_OK);
    dkg_signed_share_encode(plain, &ss);
    HANSA_ASSERT(seal_encrypt(&w->rng, to, b.data, b.len, plain, sizeof plain, m.u.share.sealed) ==
                 HANSA_OK);
    hbuf_free(&b);
    hbuf_reset(share);
    dkg_msg_encode(share, &m);
}

/* Dealer i's REVEAL goes on chain, unless the cheat says otherwise. */
static void c_reveal_out(cnet *w, uint16_t i, dkg_msg *m, const uint8_t *bytes, size_t len) {
    bool victim = i == w->cheat_dealer && m->u.reveal.recipient == w->cheat_victim;
    if (victim && w->cheat == C_SILENT) return;
    if (!victim || w->cheat != C_BAD_REVEAL) {
        c_queue(w, w->key_of[i], TX_DKG_REVEAL, bytes, len);
        return;
    }
    c_corrupt_signed(w, &m->session, i, m->u.reveal.recipient, &m->u.reveal.share);
    hbuf b = HBUF_INIT;
    dkg_msg_encode(&b, m);
    c_queue(w, w->key_of[i], TX_DKG_REVEAL, b.data, b.len);
    hbuf_free(&b);
}

static void c_pump(cnet *w, uint16_t i) {
    const dkg_out *o;
    size_t n = dkg_drain(w->sess[i], &o);
    for (size_t k = 0; k < n; k++) {
        switch (o[k].kind) {
        case DKG_OUT_BROADCAST: {
            dkg_msg m;
            HANSA_ASSERT(dkg_msg_decode(o[k].bytes, o[k].len, &m, NULL) == HANSA_OK);
            /* What the chain carries: COMMITs, complaints and REVEALs. */
            if (m.kind == DKG_MSG_COMMIT)
                c_queue(w, w->key_of[i], TX_DKG_COMMIT, o[k].bytes, o[k].len);
            else if (m.kind == DKG_MSG_COMPLAINT)
                c_queue(w, w->key_of[i], TX_DKG_COMPLAINT, o[k].bytes, o[k].len);
            else if (m.kind == DKG_MSG_REVEAL)
                c_reveal_out(w, i, &m, o[k].bytes, o[k].len);
            break;
        }
        case DKG_OUT_SEND: {
            bool victim = i == w->cheat_dealer && o[k].to == w->cheat_victim;
            hbuf share = HBUF_INIT;
            hbuf_append(&share, o[k].bytes, o[k].len);
            if (victim && w->cheat == C_BAD_SHARE) c_corrupt_share(w, &share);
            hbuf_reset(&w->sent[i][o[k].to]);
            hbuf_append(&w->sent[i][o[k].to], share.data, share.len);
            if (victim && w->cheat != C_BAD_SHARE) { /* withheld */
                hbuf_free(&share);
                break;
            }
            CHECK_ERR(dkg_on_direct(w->sess[o[k].to], share.data, share.len, NULL), HANSA_OK);
            hbuf_free(&share);
            c_pump(w, o[k].to);
            break;
        }
        case DKG_OUT_DONE: w->done[i] = true; break;
        case DKG_OUT_BLAME:
        case DKG_OUT_ACCEPTED:
        case DKG_OUT_FAILED: break;
        }
    }
}

static void c_init(cnet *w, c_cheat cheat, uint16_t cheat_dealer, uint16_t cheat_victim) {
    memset(w, 0, sizeof *w);
    uint64_t bal[T_KEYS];
    for (int i = 0; i < T_KEYS; i++) bal[i] = 1000000;
    ledger_params p = t_params();
    w->s = t_state(&p, bal, T_KEYS, t_hash_key_a);
    frost_epoch_of(w->s, &w->e);
    CHECK_EQ_U64(w->e.ctx.epoch, 1);
    CHECK_EQ_U64(w->e.ctx.n, C_N);
    CHECK(w->e.keyable);
    for (uint16_t i = 1; i <= C_N; i++)
        for (int k = 60; k < 64; k++)
            if (pubkey_eq(&t_keys[k].pub, &w->e.members[i - 1])) w->key_of[i] = k;
    prng_seed(&w->prng, base_seed);
    w->rng = prng_as_rng(&w->prng);
    w->cheat_dealer = cheat_dealer;
    w->cheat_victim = cheat_victim;
    w->cheat = cheat;
    for (uint16_t i = 0; i <= C_N; i++) {
        CHECK(i == 0 || w->key_of[i] != 0);
        dkg_config cfg = {.ctx = w->e.ctx, .timing = w->e.timing, .me = i,
                          .key = i ? &t_keys[w->key_of[i]] : NULL, .rng = w->rng};
        w->sess[i] = dkg_new(&cfg);
    }
    for (uint16_t i = 0; i <= C_N; i++) {
        dkg_start(w->sess[i], 0);
        c_pump(w, i);
    }
}

static void c_free(cnet *w) {
    for (uint16_t i = 0; i <= C_N; i++) dkg_free(w->sess[i]);
    for (size_t k = 0; k < w->nq; k++) hbuf_free(&w->q[k].body);
    for (uint16_t i = 0; i <= C_N; i++)
        for (uint16_t j = 0; j <= C_N; j++) hbuf_free(&w->sent[i][j]);
    ledger_state_free(w->s);
}

/* A signed transaction of key `from` with the next nonce after `extra`
 * others of its already in the block. */
static wire_tx c_tx(const cnet *w, int from, uint64_t extra, uint16_t kind, const hbuf *body) {
    return t_tx_raw(from, T_CHAIN, t_nonce(w->s, from) + extra, 10, kind, body->data,
                    (uint32_t)body->len);
}

/* One block with the queued transactions; then every session sees the
 * ones the chain took, at the block's height, and the clock moves. */
static void c_block(cnet *w) {
    ledger_block_info info = t_info(w->s, 60);
    ledger_block *b;
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_block_begin(w->s, &info, &b, why, sizeof why), HANSA_OK);
    uint64_t sent[T_KEYS] = {0};
    bool took[C_QUEUE] = {false};
    for (size_t k = 0; k < w->nq; k++) {
        wire_tx tx = c_tx(w, w->q[k].from, sent[w->q[k].from], w->q[k].kind, &w->q[k].body);
        if (ledger_block_add_tx(b, &tx, false, why, sizeof why) == HANSA_OK) {
            took[k] = true;
            sent[w->q[k].from]++;
        } else {
            w->refused++;
        }
    }
    ledger_block_finish(b);
    ledger_block_commit(w->s, b);
    CHECK(t_supply_ok(w->s));
    size_t nq = w->nq;
    c_pending q[C_QUEUE];
    memcpy(q, w->q, sizeof q);
    w->nq = 0;
    for (size_t k = 0; k < nq; k++) {
        for (uint16_t i = 0; i <= C_N && took[k]; i++) {
            CHECK_ERR(dkg_on_broadcast(w->sess[i], q[k].body.data, q[k].body.len, info.height, NULL),
                      HANSA_OK);
            c_pump(w, i);
        }
        hbuf_free(&q[k].body);
    }
    for (uint16_t i = 0; i <= C_N; i++) {
        dkg_tick(w->sess[i], info.height);
        c_pump(w, i);
    }
}

static void c_run_to(cnet *w, uint64_t height) {
    while (ledger_height(w->s) < height) c_block(w);
}

/* The chain's key for epoch 1 equals every session's, including the observer's. */
static void c_check_key(cnet *w, uint16_t qual_count) {
    frost_group_rec g;
    CHECK(ledger_group_key_get(w->s, 1, &g));
    CHECK_EQ_U64(g.n, C_N);
    CHECK_EQ_U64(g.t, 3);
    CHECK_EQ_U64(g.keyed_at, 1 + FROST_DKG_REVEAL_BLOCKS - 1);
    CHECK(hash_eq(&g.valset_hash, &w->e.ctx.valset_hash));
    uint16_t count = 0;
    for (uint16_t d = 1; d <= C_N; d++) count += dkg_bitmap_get(g.qual, d);
    CHECK_EQ_U64(count, qual_count);
    for (uint16_t i = 0; i <= C_N; i++) {
        CHECK(w->done[i]);
        const dkg_result *r = dkg_result_get(w->sess[i]);
        CHECK(r != NULL);
        if (r == NULL) continue;
        CHECK(frost_point_eq(&r->group.key, &g.key));
        CHECK(memcmp(r->qual, g.qual, DKG_BITMAP_BYTES) == 0);
    }
}

/* Members ids[0..m) sign with their session shares; the signature
 * verifies against the chain's key for epoch 1. */
static bool c_sign_ok(const cnet *w, const uint16_t *ids, size_t m) {
    frost_group_rec g;
    const dkg_result *r0 = dkg_result_get(w->sess[0]);
    if (!ledger_group_key_get(w->s, 1, &g) || r0 == NULL) return false;
    frost_commitment list[C_N];
    frost_nonces nonces[C_N];
    frost_scalar z[C_N];
    const uint8_t msg[] = "checkpoint";
    for (size_t k = 0; k < m; k++) {
        const dkg_result *r = dkg_result_get(w->sess[ids[k]]);
        if (r == NULL || !r->has_share) return false;
        frost_commit(&w->rng, ids[k], &r->share, &nonces[k], &list[k]);
    }
    frost_derived d;
    if (frost_derive(&g.key, list, m, C_N, msg, sizeof msg, &d) != HANSA_OK) return false;
    for (size_t k = 0; k < m; k++) {
        const dkg_result *r = dkg_result_get(w->sess[ids[k]]);
        if (frost_sign(&d, &list[k], &r->share, &nonces[k], &z[k]) != HANSA_OK) return false;
        if (!frost_share_verify(&d, ids[k], &r0->group.shares[ids[k] - 1], &z[k])) return false;
    }
    frost_sig sig;
    return frost_aggregate(&d, z, &sig) == HANSA_OK && frost_verify(&g.key, msg, sizeof msg, &sig);
}

/* The whole state reloaded from its records holds the same key. */
static void c_check_reload(cnet *w) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(w->s, &ws);
    ledger_state *l = ledger_state_load_begin(t_hash_key_b);
    char why[LEDGER_WHY_MAX] = "";
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl);
        const uint8_t *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(l, k, kl, v, vl, why, sizeof why), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(l, ledger_app_hash(w->s), why, sizeof why), HANSA_OK);
    frost_group_rec a, b;
    CHECK(ledger_group_key_get(w->s, 1, &a));
    CHECK(ledger_group_key_get(l, 1, &b));
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    ledger_state_free(l);
    ledger_writes_free(&ws);
}

static void test_chain_dkg(void) {
    cnet w;
    c_init(&w, C_HONEST, 0, 0);
    c_run_to(&w, 2);
    /* Mid-window: every dealer's record, no key yet. */
    frost_dealer_rec d;
    for (uint16_t i = 1; i <= C_N; i++) {
        CHECK(ledger_dkg_dealer_get(w.s, 1, i, &d));
        CHECK_EQ_U64(d.committed_at, 1);
        CHECK_EQ_U64(d.flags, 0);
    }
    frost_group_rec g;
    CHECK(!ledger_group_key_get(w.s, 1, &g));
    c_run_to(&w, 1 + FROST_DKG_REVEAL_BLOCKS + 1);
    CHECK_EQ_U64(w.refused, 0);
    c_check_key(&w, C_N);
    CHECK(!ledger_dkg_dealer_get(w.s, 1, 1, &d)); /* the window's records are gone */
    /* The sessions' shares really sign for the chain's key. */
    const uint16_t some[3] = {1, 2, 4}, others[3] = {2, 3, 4};
    CHECK(c_sign_ok(&w, some, 3));
    CHECK(c_sign_ok(&w, others, 3));
    c_check_reload(&w);
    c_free(&w);
}

/* Runs past the window, where cheating dealer 2 (victim 4) was excluded:
 * the key is made of the three others, its victim signs with them. */
static void c_end_without_dealer_2(cnet *w) {
    c_run_to(w, 1 + FROST_DKG_REVEAL_BLOCKS + 1);
    CHECK_EQ_U64(w->refused, 0);
    c_check_key(w, C_N - 1);
    frost_group_rec g;
    CHECK(ledger_group_key_get(w->s, 1, &g));
    CHECK(!dkg_bitmap_get(g.qual, 2));
    const uint16_t with_victim[3] = {1, 3, 4};
    CHECK(c_sign_ok(w, with_victim, 3));
    c_free(w);
}

/* A dealer hands one member a wrong share, signed: the member's complaint
 * (tx 61) goes on chain and the key is made of the three others. */
static void test_chain_bad_share(void) {
    cnet w;
    c_init(&w, C_BAD_SHARE, 2, 4);
    c_run_to(&w, 3);
    frost_dealer_rec d;
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK_EQ_U64(d.flags, FROST_DEALER_EXCLUDED);
    CHECK(ledger_dkg_dealer_get(w.s, 1, 1, &d));
    CHECK_EQ_U64(d.flags, 0);
    c_end_without_dealer_2(&w);
}

/* ledger_tx_check's verdict on kind/body from key `from`; why gets the reason. */
static hansa_err c_check(const cnet *w, int from, uint16_t kind, const hbuf *body, char *why) {
    wire_tx tx = c_tx(w, from, 0, kind, body);
    why[0] = 0;
    return ledger_tx_check(w->s, &tx, why, LEDGER_WHY_MAX);
}

#define CHECK_WHY(why, part)                                                   \
    do {                                                                       \
        CHECK(strstr(why, part) != NULL);                                      \
        if (strstr(why, part) == NULL) fprintf(stderr, "  why: %s\n", why);  \
    } while (0)

/* Re-signs a COMMIT or COMPLAINT as t_keys[key]. */
static void c_sign(int key, dkg_msg *m, hbuf *out) {
    hbuf sb = HBUF_INIT;
    dkg_msg_sign_bytes(&sb, m);
    hansa_sig *sig = m->kind == DKG_MSG_COMMIT ? &m->u.commit.sig : &m->u.complaint.sig;
    sign_domain(&t_keys[key], DKG_DOMAIN, sb.data, sb.len, sig);
    hbuf_free(&sb);
    hbuf_reset(out);
    dkg_msg_encode(out, m);
}

static hansa_hash c_session(const cnet *w) {
    hansa_hash sid;
    dkg_session_id(&w->e.ctx, &sid);
    return sid;
}

/* The REVEAL of the share dealer d dealt j (the one it sent, or withheld). */
static void c_reveal_msg(const cnet *w, uint16_t d, uint16_t j, dkg_msg *out) {
    dkg_msg sm;
    HANSA_ASSERT(dkg_msg_decode(w->sent[d][j].data, w->sent[d][j].len, &sm, NULL) == HANSA_OK);
    *out = (dkg_msg){.kind = DKG_MSG_REVEAL, .session = sm.session};
    out->u.reveal.dealer = d;
    out->u.reveal.recipient = j;
    HANSA_ASSERT(c_open_share(w, &sm, &out->u.reveal.share));
}

static void c_reveal_body(const cnet *w, uint16_t d, uint16_t j, hbuf *out) {
    dkg_msg m;
    c_reveal_msg(w, d, j, &m);
    hbuf_reset(out);
    dkg_msg_encode(out, &m);
}

static void test_chain_refusals(void) {
    cnet w;
    c_init(&w, C_HONEST, 0, 0);
    char why[LEDGER_WHY_MAX];
    /* The queue holds the four COMMITs, not yet on chain. */
    CHECK_EQ_U64(w.nq, C_N);
    /* Before any COMMIT is on chain, a MISSING complaint or a REVEAL has no
     * dealer to be about. */
    {
        uint16_t dd = c_id_of(&w, w.q[0].from), aa = dd == 1 ? 2 : 1;
        hbuf b = HBUF_INIT;
        dkg_msg cm = {.kind = DKG_MSG_COMPLAINT, .session = c_session(&w)};
        cm.u.complaint = (dkg_complaint_body){.accuser = aa, .dealer = dd, .reason = DKG_COMPLAINT_MISSING};
        c_sign(w.key_of[aa], &cm, &b);
        CHECK_ERR(c_check(&w, w.key_of[aa], TX_DKG_COMPLAINT, &b, why), HANSA_ERR_PROTOCOL);
        CHECK_WHY(why, "no commitment on chain");
        c_reveal_body(&w, dd, aa, &b);
        CHECK_ERR(c_check(&w, w.key_of[dd], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
        CHECK_WHY(why, "no commitment on chain");
        hbuf_free(&b);
    }
    /* A copy: the queue is emptied by the first block. */
    c_pending c1_copy = {w.q[0].from, w.q[0].kind, HBUF_INIT};
    hbuf_append(&c1_copy.body, w.q[0].body.data, w.q[0].body.len);
    const c_pending *c1 = &c1_copy;
    uint16_t d1 = c_id_of(&w, c1->from);
    CHECK(d1 != 0);
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &c1->body, why), HANSA_OK);
    /* A non-member (key 0), and another delegate, sending it. */
    CHECK_ERR(c_check(&w, 0, TX_DKG_COMMIT, &c1->body, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "sender is not the delegate it names");
    CHECK_ERR(c_check(&w, w.q[1].from, TX_DKG_COMMIT, &c1->body, why), HANSA_ERR_PROTOCOL);
    /* A COMMIT as a complaint's body, and garbage. */
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMPLAINT, &c1->body, why), HANSA_ERR_INVALID);
    hbuf junk = HBUF_INIT;
    hbuf_append(&junk, c1->body.data, 10);
    CHECK(c_check(&w, c1->from, TX_DKG_COMMIT, &junk, why) != HANSA_OK);
    CHECK_WHY(why, "dkg message");
    /* A stale epoch: a COMMIT of the session of epoch 2 (same set). */
    dkg_context other = w.e.ctx;
    other.epoch = 2;
    dkg_config cfg = {.ctx = other, .timing = w.e.timing, .me = d1, .key = &t_keys[c1->from],
                      .rng = w.rng};
    dkg_session *stale = dkg_new(&cfg);
    dkg_start(stale, 0);
    const dkg_out *o;
    size_t n = dkg_drain(stale, &o);
    hbuf stale_commit = HBUF_INIT;
    for (size_t k = 0; k < n; k++)
        if (o[k].kind == DKG_OUT_BROADCAST) hbuf_append(&stale_commit, o[k].bytes, o[k].len);
    dkg_free(stale);
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &stale_commit, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "not this validator set's session");
    /* A raised threshold: four commitments where the set's t is three,
     * properly signed (the Trail of Bits attack). */
    dkg_msg m;
    CHECK_ERR(dkg_msg_decode(c1->body.data, c1->body.len, &m, NULL), HANSA_OK);
    m.u.commit.commits[m.u.commit.t] = m.u.commit.commits[0];
    m.u.commit.t++;
    hbuf raised = HBUF_INIT;
    c_sign(c1->from, &m, &raised);
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &raised, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "not the threshold");

    /* Block 1 takes the four COMMITs; a duplicate is refused. */
    c_block(&w);
    CHECK_EQ_U64(w.refused, 0);
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &stale_commit, why), HANSA_ERR_PROTOCOL);
    hbuf again = HBUF_INIT;
    frost_dealer_rec rec;
    CHECK(ledger_dkg_dealer_get(w.s, 1, d1, &rec));
    CHECK_ERR(dkg_msg_decode(raised.data, raised.len, &m, NULL), HANSA_OK);
    m.u.commit.t--; /* a second, different but valid-looking COMMIT of d1 */
    c_sign(c1->from, &m, &again);
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &again, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already committed");

    /* Complaints: a false one (the accused share is good), a MISSING one,
     * one about itself, one from a sender other than the accuser. */
    uint16_t acc = d1 == 1 ? 2 : 1, dealer = d1;
    dkg_msg cm = {.kind = DKG_MSG_COMPLAINT, .session = m.session};
    cm.u.complaint.accuser = acc;
    cm.u.complaint.dealer = dealer;
    cm.u.complaint.reason = DKG_COMPLAINT_BAD_SHARE;
    hbuf comp = HBUF_INIT;
    cm.u.complaint.reason = DKG_COMPLAINT_MISSING;
    c_sign(w.key_of[acc], &cm, &comp);
    CHECK_ERR(c_check(&w, w.key_of[acc], TX_DKG_COMPLAINT, &comp, why), HANSA_OK);
    cm.u.complaint.reason = DKG_COMPLAINT_BAD_SHARE;
    cm.u.complaint.accuser = dealer;
    c_sign(w.key_of[dealer], &cm, &comp);
    CHECK_ERR(c_check(&w, w.key_of[dealer], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "cannot accuse itself");
    cm.u.complaint.accuser = acc;
    c_sign(w.key_of[acc], &cm, &comp);
    CHECK_ERR(c_check(&w, w.key_of[dealer], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "names as accuser");
    /* Evidence the dealer never signed (all zeros). */
    CHECK_ERR(c_check(&w, w.key_of[acc], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_BAD_SIG);
    CHECK_WHY(why, "not a share dealer");
    /* A false accusation: the evidence is the good share d1 sent acc. */
    dkg_msg sm;
    CHECK_ERR(dkg_msg_decode(w.sent[dealer][acc].data, w.sent[dealer][acc].len, &sm, NULL), HANSA_OK);
    CHECK(c_open_share(&w, &sm, &cm.u.complaint.evidence));
    c_sign(w.key_of[acc], &cm, &comp);
    CHECK_ERR(c_check(&w, w.key_of[acc], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_INVALID);
    CHECK_WHY(why, "false accusation");

    /* After the complaint window, before the key: complaints are late. */
    c_run_to(&w, FROST_DKG_COMPLAINT_BLOCKS);
    CHECK_ERR(c_check(&w, w.key_of[acc], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_STATE);
    CHECK_WHY(why, "complaint window closed");
    frost_group_rec g;
    CHECK(!ledger_group_key_get(w.s, 1, &g));
    /* After the reveal window: the key exists, and a replayed COMMIT or a
     * late complaint is refused because the epoch has its key. */
    c_run_to(&w, FROST_DKG_REVEAL_BLOCKS);
    CHECK(ledger_group_key_get(w.s, 1, &g));
    CHECK_ERR(c_check(&w, c1->from, TX_DKG_COMMIT, &c1->body, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already has its group key");
    CHECK_ERR(c_check(&w, w.key_of[acc], TX_DKG_COMPLAINT, &comp, why), HANSA_ERR_DUPLICATE);
    hbuf_free(&comp);
    hbuf_free(&again);
    hbuf_free(&raised);
    hbuf_free(&stale_commit);
    hbuf_free(&junk);
    hbuf_free(&c1_copy.body);
    c_free(&w);
}

/* A dealer withholds one member's share and answers the MISSING complaint
 * with a good REVEAL: it stays qualified, and the member takes its share
 * from the chain and signs. */
static void test_chain_withheld_revealed(void) {
    cnet w;
    c_init(&w, C_WITHHOLD, 2, 4);
    c_run_to(&w, FROST_DKG_REVEAL_BLOCKS - 1);
    frost_dealer_rec d;
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK_EQ_U64(d.flags, 0);
    CHECK(dkg_bitmap_get(d.missing, 4));
    CHECK(dkg_bitmap_get(d.revealed, 4));
    CHECK(!dkg_bitmap_get(d.missing, 3));
    c_run_to(&w, 1 + FROST_DKG_REVEAL_BLOCKS + 1);
    CHECK_EQ_U64(w.refused, 0);
    c_check_key(&w, C_N);
    const uint16_t with_victim[3] = {2, 3, 4};
    CHECK(c_sign_ok(&w, with_victim, 3));
    c_free(&w);
}

/* A dealer withholds a share and never reveals it: the key is made of the
 * three others once the reveal window closes, and the victim still signs. */
static void test_chain_withheld_silent(void) {
    cnet w;
    c_init(&w, C_SILENT, 2, 4);
    c_run_to(&w, FROST_DKG_REVEAL_BLOCKS - 1);
    frost_dealer_rec d;
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK_EQ_U64(d.flags, 0); /* not excluded before the window closes */
    CHECK(dkg_bitmap_get(d.missing, 4));
    CHECK(!dkg_bitmap_get(d.revealed, 4));
    /* The victim does not wait for that share (a node would hold its
     * session's clock for it): the dealer is excluded at the end. */
    CHECK_EQ_U64(dkg_shares_missing(w.sess[4]), 0);
    c_end_without_dealer_2(&w);
}

/* A dealer withholds a share, then reveals a wrong one (signed): the chain
 * takes it as evidence and excludes the dealer at once; a good REVEAL
 * after that is refused. */
static void test_chain_bad_reveal(void) {
    cnet w;
    c_init(&w, C_BAD_REVEAL, 2, 4);
    c_run_to(&w, FROST_DKG_REVEAL_BLOCKS - 1);
    frost_dealer_rec d;
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK_EQ_U64(d.flags, FROST_DEALER_EXCLUDED);
    CHECK(!dkg_bitmap_get(d.revealed, 4));
    char why[LEDGER_WHY_MAX];
    hbuf good = HBUF_INIT;
    c_reveal_body(&w, 2, 4, &good);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &good, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already excluded");
    hbuf_free(&good);
    c_end_without_dealer_2(&w);
}

/* Re-signs a REVEAL's share as dealer d would (for forged variants). */
static void c_reveal_resign(const cnet *w, dkg_msg *m, hbuf *out) {
    dkg_signed_share *ss = &m->u.reveal.share;
    hbuf b = HBUF_INIT;
    dkg_share_sign_bytes(&b, &m->session, m->u.reveal.dealer, m->u.reveal.recipient,
                         &ss->commit_hash, &ss->share);
    sign_domain(&t_keys[w->key_of[m->u.reveal.dealer]], DKG_SHARE_DOMAIN, b.data, b.len, &ss->sig);
    hbuf_free(&b);
    hbuf_reset(out);
    dkg_msg_encode(out, m);
}

/* Every refusal of a MISSING complaint and of a REVEAL, each with its reason. */
static void test_chain_reveal_refusals(void) {
    cnet w;
    c_init(&w, C_SILENT, 2, 4);
    /* The victim's MISSING complaint goes on chain at share_end + 1. */
    c_run_to(&w, FROST_DKG_SHARE_BLOCKS + 2);
    CHECK_EQ_U64(w.refused, 0);
    frost_dealer_rec d;
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK(dkg_bitmap_get(d.missing, 4));
    char why[LEDGER_WHY_MAX];
    hbuf b = HBUF_INIT;
    /* The same MISSING complaint again. */
    dkg_msg cm = {.kind = DKG_MSG_COMPLAINT, .session = c_session(&w)};
    cm.u.complaint = (dkg_complaint_body){.accuser = 4, .dealer = 2, .reason = DKG_COMPLAINT_MISSING};
    c_sign(w.key_of[4], &cm, &b);
    CHECK_ERR(c_check(&w, w.key_of[4], TX_DKG_COMPLAINT, &b, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already complained");
    /* A MISSING complaint about itself, or sent by another delegate. */
    cm.u.complaint.accuser = 2;
    c_sign(w.key_of[2], &cm, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_COMPLAINT, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "cannot accuse itself");
    cm.u.complaint.accuser = 3;
    c_sign(w.key_of[3], &cm, &b);
    CHECK_ERR(c_check(&w, w.key_of[1], TX_DKG_COMPLAINT, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "names as accuser");

    /* REVEALs. The good one answers; first its forged variants. */
    dkg_msg rm;
    c_reveal_msg(&w, 2, 4, &rm);
    c_reveal_body(&w, 2, 4, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_OK);
    /* Sent by someone else than the dealer (the victim itself, say). */
    CHECK_ERR(c_check(&w, w.key_of[4], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "sender is not the dealer");
    /* Another body kind in a REVEAL transaction. */
    c_sign(w.key_of[4], &cm, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_INVALID);
    CHECK_WHY(why, "dkg message of kind");
    /* Another session. */
    dkg_msg x = rm;
    x.session.b[0] ^= 1;
    c_reveal_resign(&w, &x, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "not this validator set's session");
    /* The dealer revealing a share of its own. */
    x = rm;
    x.u.reveal.recipient = 2;
    c_reveal_resign(&w, &x, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "cannot reveal its own share");
    /* A share the dealer did not sign (the signature of another recipient's). */
    x = rm;
    x.u.reveal.share.sig.b[0] ^= 1;
    hbuf_reset(&b);
    dkg_msg_encode(&b, &x);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_BAD_SIG);
    CHECK_WHY(why, "not a share dealer 2 signed");
    /* A share signed for a COMMIT that is not the one on chain (the
     * simulator's byz-amnesia dealer after it forgot its seed). */
    x = rm;
    x.u.reveal.share.commit_hash.b[0] ^= 1;
    c_reveal_resign(&w, &x, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "names another commitment");
    /* A REVEAL nobody asked for: member 3 got its share. */
    c_reveal_body(&w, 2, 3, &b);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_PROTOCOL);
    CHECK_WHY(why, "no MISSING complaint");
    /* The good REVEAL on chain; then again. */
    c_reveal_body(&w, 2, 4, &b);
    c_queue(&w, w.key_of[2], TX_DKG_REVEAL, b.data, b.len);
    c_block(&w);
    CHECK_EQ_U64(w.refused, 0);
    CHECK(ledger_dkg_dealer_get(w.s, 1, 2, &d));
    CHECK(dkg_bitmap_get(d.revealed, 4));
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already revealed");
    /* Answered: the victim's complaint again is still a duplicate. */
    cm.u.complaint.accuser = 4;
    hbuf again = HBUF_INIT;
    c_sign(w.key_of[4], &cm, &again);
    CHECK_ERR(c_check(&w, w.key_of[4], TX_DKG_COMPLAINT, &again, why), HANSA_ERR_DUPLICATE);
    /* Once the key is recorded, every REVEAL is refused. */
    c_run_to(&w, 1 + FROST_DKG_REVEAL_BLOCKS);
    c_check_key(&w, C_N);
    CHECK_ERR(c_check(&w, w.key_of[2], TX_DKG_REVEAL, &b, why), HANSA_ERR_DUPLICATE);
    CHECK_WHY(why, "already has its group key");
    hbuf_free(&again);
    hbuf_free(&b);
    c_free(&w);
}

static void test_keyable(void) {
    uint64_t equal[4] = {10, 10, 10, 10};
    CHECK(frost_set_keyable(equal, 4)); /* 3 of 4 hold 30/40 */
    /* 3 of 4 members (t = 3) with 3 of 103 power must not hold a key alone. */
    uint64_t skewed[4] = {1, 100, 1, 1};
    CHECK(!frost_set_keyable(skewed, 4));
    uint64_t big[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
    CHECK(frost_set_keyable(big, 3)); /* no overflow: t = 3 of 3 */
    uint64_t edge[7] = {1, 1, 1, 1, 1, 1, 4}; /* t = 5: least five hold 5 of 10 */
    CHECK(!frost_set_keyable(edge, 7));
}

int main(void) {
    t_init_keys();
    base_seed = check_seed("test_ledger_frost", 2026);
    RUN(test_key_equals_sessions);
    RUN(test_key_partial_identity);
    RUN(test_refusals);
    RUN(test_keyable);
    RUN(test_chain_dkg);
    RUN(test_chain_bad_share);
    RUN(test_chain_refusals);
    RUN(test_chain_withheld_revealed);
    RUN(test_chain_withheld_silent);
    RUN(test_chain_bad_reveal);
    RUN(test_chain_reveal_refusals);
    return check_summary();
}
