/* dkg.c — the dealerless key generation state machine (see dkg.h).
 *
 * State per dealer d (index d-1): whether its COMMIT is in, whether it is
 * excluded and why, the share it gave me, which participants complained
 * that they lack its share and which of those it answered publicly. All
 * verdicts that decide QUAL depend only on broadcast messages and the
 * broadcast clock, never on what reached me privately, so every honest
 * participant and observer computes the same QUAL. */
#include "threshold/dkg.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/noise.h"
#include "crypto/seal.h"
#include "crypto/sha256.h"
#include "wire/group_rec.h"

#define SESSION_LABEL "hansa/dkg-session/v1"
#define TRANSCRIPT_LABEL "hansa/dkg-transcript/v1"

typedef enum {
    SHARE_NONE,   /* nothing usable from this dealer yet */
    SHARE_SIGNED, /* signed by the dealer, waiting for its COMMIT */
    SHARE_VALID,  /* matches the dealer's COMMIT */
    SHARE_BAD,    /* signed for the dealer's COMMIT, fails VSS: evidence */
} share_state;

typedef struct {
    bool committed;
    bool excluded;
    dkg_blame blame;
    hansa_hash commit_hash;
    share_state mine;                       /* the share it dealt me */
    dkg_signed_share got;                   /* secret: wiped at the end */
    uint8_t missing[DKG_BITMAP_BYTES];      /* accusers with a MISSING complaint */
    uint8_t revealed[DKG_BITMAP_BYTES];     /* recipients it answered publicly */
} dealer_state;

typedef struct {
    bool has;
    uint8_t qual[DKG_BITMAP_BYTES];
    frost_point key;
    hansa_hash transcript;
} peer_result;

typedef struct {
    dkg_out out;
    size_t off; /* bytes live at arena.data + off until drained */
} pending_out;

struct dkg_session {
    dkg_context ctx;
    hansa_pubkey *members;
    dkg_timing timing;
    uint16_t me, n, t;
    hansa_keypair key;
    noise_keypair xkey;                     /* X25519 form of key, to open seals */
    hansa_rng rng;
    hansa_hash id;

    dealer_state *dealers;                  /* n */
    frost_point *commits;                   /* n rows of t */
    dkg_signed_share *dealt;                /* my signed share for each recipient (secret) */
    peer_result *results;                   /* n */

    bool started, missing_sent, ended, failed, accepted;
    dkg_result result;
    uint64_t now;

    pending_out *outs;
    size_t n_outs, cap_outs;
    hbuf arena;
    dkg_out *drained;                       /* what dkg_drain handed out */
    bool drained_pending;
};

/* ---- small helpers -------------------------------------------------------------- */

uint16_t dkg_threshold(uint16_t n) { return frost_group_threshold(n); }

void dkg_session_id(const dkg_context *ctx, hansa_hash *out) {
    HANSA_ASSERT(ctx->n >= 1 && ctx->n <= FROST_PARTICIPANTS_MAX);
    hbuf b = HBUF_INIT;
    hbuf_append(&b, SESSION_LABEL, sizeof SESSION_LABEL - 1);
    hbuf_put_u32(&b, ctx->chain_id);
    hbuf_put_u64(&b, ctx->epoch);
    hbuf_append(&b, ctx->valset_hash.b, HANSA_HASH_BYTES);
    hbuf_put_u16(&b, ctx->n);
    hbuf_put_u16(&b, dkg_threshold(ctx->n));
    for (uint16_t i = 0; i < ctx->n; i++) hbuf_append(&b, ctx->members[i].b, HANSA_PUBKEY_BYTES);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

const char *dkg_blame_name(dkg_blame b) {
    switch (b) {
    case DKG_BLAME_ABSENT: return "absent";
    case DKG_BLAME_BAD_COMMIT: return "bad_commit";
    case DKG_BLAME_EQUIVOCATION: return "equivocation";
    case DKG_BLAME_BAD_SHARE: return "bad_share";
    case DKG_BLAME_NO_REVEAL: return "no_reveal";
    case DKG_BLAME_BAD_REVEAL: return "bad_reveal";
    case DKG_BLAME_FALSE_COMPLAINT: return "false_complaint";
    }
    return "unknown";
}

/* Returns e, with the reason the input was ignored in *why (optional). */
static hansa_err refuse(const char **why, hansa_err e, const char *reason) {
    if (why) *why = reason;
    return e;
}

/* Drops what the last dkg_drain handed out: it was valid until this call. */
static void outputs_begin(dkg_session *s) {
    if (!s->drained_pending) return;
    s->n_outs = 0;
    frost_wipe(s->arena.data, s->arena.len); /* a REVEAL holds a share in the clear */
    hbuf_reset(&s->arena);
    s->drained_pending = false;
}

static pending_out *push_out(dkg_session *s, dkg_out_kind kind) {
    if (s->n_outs == s->cap_outs) {
        s->cap_outs = s->cap_outs ? 2 * s->cap_outs : 16;
        s->outs = hansa_realloc(s->outs, s->cap_outs * sizeof *s->outs);
    }
    pending_out *p = &s->outs[s->n_outs++];
    memset(p, 0, sizeof *p);
    p->out.kind = kind;
    return p;
}

static void push_bytes(dkg_session *s, dkg_out_kind kind, uint16_t to, const hbuf *bytes) {
    pending_out *p = push_out(s, kind);
    p->out.to = to;
    p->off = s->arena.len;
    p->out.len = bytes->len;
    hbuf_append(&s->arena, bytes->data, bytes->len);
}

static void push_blame(dkg_session *s, uint16_t culprit, dkg_blame b, const char *why) {
    pending_out *p = push_out(s, DKG_OUT_BLAME);
    p->out.culprit = culprit;
    p->out.blame = b;
    p->out.why = why;
}

/* Excludes dealer d from QUAL (first reason wins) and reports it. */
static void exclude(dkg_session *s, uint16_t d, dkg_blame b, const char *why) {
    dealer_state *ds = &s->dealers[d - 1];
    if (ds->excluded) return;
    ds->excluded = true;
    ds->blame = b;
    push_blame(s, d, b, why);
}

/* Signs m (COMMIT, COMPLAINT or RESULT) with my key and broadcasts it. */
static void sign_and_broadcast(dkg_session *s, dkg_msg *m) {
    HANSA_ASSERT(s->me != 0);
    hbuf b = HBUF_INIT;
    dkg_msg_sign_bytes(&b, m);
    hansa_sig *sig = m->kind == DKG_MSG_COMMIT      ? &m->u.commit.sig
                     : m->kind == DKG_MSG_COMPLAINT ? &m->u.complaint.sig
                                                    : &m->u.result.sig;
    sign_domain(&s->key, DKG_DOMAIN, b.data, b.len, sig);
    hbuf_reset(&b);
    dkg_msg_encode(&b, m);
    push_bytes(s, DKG_OUT_BROADCAST, 0, &b);
    hbuf_free(&b);
}

static bool verify_sender(const dkg_session *s, uint16_t who, const dkg_msg *m, const hansa_sig *sig) {
    hbuf b = HBUF_INIT;
    dkg_msg_sign_bytes(&b, m);
    bool ok = verify_domain(&s->members[who - 1], DKG_DOMAIN, b.data, b.len, sig);
    hbuf_free(&b);
    return ok;
}

/* Whether `ss` is dealer d's signature over a share for recipient j. */
static bool signed_share_ok(const dkg_session *s, uint16_t d, uint16_t j, const dkg_signed_share *ss) {
    hbuf b = HBUF_INIT;
    dkg_share_sign_bytes(&b, &s->id, d, j, &ss->commit_hash, &ss->share);
    bool ok = verify_domain(&s->members[d - 1], DKG_SHARE_DOMAIN, b.data, b.len, &ss->sig);
    hbuf_free(&b);
    return ok;
}

static const frost_point *dealer_commits(const dkg_session *s, uint16_t d) {
    return &s->commits[(size_t)(d - 1) * s->t];
}

static bool in_range(const dkg_session *s, uint16_t id) { return id >= 1 && id <= s->n; }

/* ---- life cycle -------------------------------------------------------------------- */

dkg_session *dkg_new(const dkg_config *cfg) {
    const dkg_context *c = &cfg->ctx;
    HANSA_ASSERT(c->n >= 1 && c->n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(c->members != NULL);
    HANSA_ASSERT(cfg->timing.commit_end < cfg->timing.share_end);
    HANSA_ASSERT(cfg->timing.share_end < cfg->timing.complaint_end);
    HANSA_ASSERT(cfg->timing.complaint_end < cfg->timing.reveal_end);
    HANSA_ASSERT(cfg->me <= c->n);
    HANSA_ASSERT((cfg->me == 0) == (cfg->key == NULL));
    if (cfg->me) HANSA_ASSERT(pubkey_eq(&cfg->key->pub, &c->members[cfg->me - 1]));
    HANSA_ASSERT(cfg->rng.fill != NULL);

    dkg_session *s = hansa_calloc(1, sizeof *s);
    s->members = hansa_memdup(c->members, c->n * sizeof *c->members);
    s->ctx = *c;
    s->ctx.members = s->members;
    s->timing = cfg->timing;
    s->me = cfg->me;
    s->n = c->n;
    s->t = dkg_threshold(c->n);
    if (cfg->key) {
        s->key = *cfg->key;
        noise_keypair_from_ed25519(&s->xkey, s->key.secret);
    }
    s->rng = cfg->rng;
    dkg_session_id(&s->ctx, &s->id);
    s->dealers = hansa_calloc(s->n, sizeof *s->dealers);
    s->commits = hansa_calloc((size_t)s->n * s->t, sizeof *s->commits);
    s->dealt = hansa_calloc(s->n, sizeof *s->dealt);
    s->results = hansa_calloc(s->n, sizeof *s->results);
    return s;
}

static void wipe_secrets(dkg_session *s) {
    for (uint16_t d = 0; d < s->n; d++) frost_wipe(&s->dealers[d].got, sizeof s->dealers[d].got);
    for (uint16_t j = 0; j < s->n; j++) frost_wipe(&s->dealt[j], sizeof s->dealt[j]);
}

void dkg_free(dkg_session *s) {
    if (!s) return;
    wipe_secrets(s);
    frost_scalar_wipe(&s->result.share);
    keypair_wipe(&s->key);
    noise_keypair_wipe(&s->xkey);
    free(s->members);
    free(s->dealers);
    free(s->commits);
    free(s->dealt);
    free(s->results);
    free(s->outs);
    free(s->drained);
    frost_wipe(s->arena.data, s->arena.len);
    hbuf_free(&s->arena);
    free(s);
}

size_t dkg_drain(dkg_session *s, const dkg_out **out) {
    free(s->drained);
    s->drained = hansa_calloc(s->n_outs ? s->n_outs : 1, sizeof *s->drained);
    for (size_t i = 0; i < s->n_outs; i++) {
        s->drained[i] = s->outs[i].out;
        if (s->outs[i].out.len) s->drained[i].bytes = s->arena.data + s->outs[i].off;
    }
    *out = s->drained;
    size_t n = s->n_outs;
    s->drained_pending = true;
    return n;
}

const dkg_result *dkg_result_get(const dkg_session *s) {
    return s->ended && !s->failed ? &s->result : NULL;
}

bool dkg_accepted(const dkg_session *s) { return s->accepted; }

/* ---- dealing ------------------------------------------------------------------------ */

/* Seals my signed share for recipient j and sends it. */
static void send_share(dkg_session *s, uint16_t j) {
    uint8_t to[SEAL_KEY_BYTES], plain[DKG_SIGNED_SHARE_BYTES];
    /* A member key that maps to no X25519 point cannot receive anything;
     * it will complain, and the REVEAL then serves it publicly. */
    if (noise_pubkey_from_ed25519(&s->members[j - 1], to) != HANSA_OK) return;
    dkg_msg m = {.kind = DKG_MSG_SHARE, .session = s->id};
    m.u.share.dealer = s->me;
    m.u.share.recipient = j;
    hbuf ad = HBUF_INIT;
    dkg_share_ad(&ad, &s->id, s->me, j);
    dkg_signed_share_encode(plain, &s->dealt[j - 1]);
    HANSA_ASSERT(seal_encrypt(&s->rng, to, ad.data, ad.len, plain, sizeof plain, m.u.share.sealed) ==
                 HANSA_OK);
    frost_wipe(plain, sizeof plain);
    hbuf_reset(&ad);
    dkg_msg_encode(&ad, &m);
    push_bytes(s, DKG_OUT_SEND, j, &ad);
    hbuf_free(&ad);
}

void dkg_start(dkg_session *s, uint64_t now) {
    outputs_begin(s);
    HANSA_ASSERT(!s->started);
    s->started = true;
    s->now = now;
    if (s->me == 0) return;
    /* FROST KeyGen round 1: a random polynomial, its commitments, a proof of
     * knowledge of a_0 bound to this session and this dealer. */
    frost_scalar *coeffs = hansa_calloc(s->t, sizeof *coeffs);
    dkg_msg m = {.kind = DKG_MSG_COMMIT, .session = s->id};
    dkg_commit_body *c = &m.u.commit;
    do {
        for (uint16_t k = 0; k < s->t; k++) frost_scalar_random(&s->rng, &coeffs[k]);
    } while (!frost_poly_commit(coeffs, s->t, c->commits));
    c->dealer = s->me;
    c->t = s->t;
    frost_pok_prove(&s->rng, s->me, s->id.b, HANSA_HASH_BYTES, &coeffs[0], &c->commits[0], &c->pok);
    sign_and_broadcast(s, &m);
    hansa_hash commit_hash;
    dkg_msg_hash(&m, &commit_hash);

    /* Round 2, step 1: a signed share for every participant (mine kept). */
    for (uint16_t j = 1; j <= s->n; j++) {
        dkg_signed_share *ss = &s->dealt[j - 1];
        frost_poly_eval(coeffs, s->t, j, &ss->share);
        ss->commit_hash = commit_hash;
        hbuf b = HBUF_INIT;
        dkg_share_sign_bytes(&b, &s->id, s->me, j, &commit_hash, &ss->share);
        sign_domain(&s->key, DKG_SHARE_DOMAIN, b.data, b.len, &ss->sig);
        hbuf_free(&b);
        if (j != s->me) send_share(s, j);
    }
    dealer_state *self = &s->dealers[s->me - 1];
    self->got = s->dealt[s->me - 1];
    self->mine = SHARE_SIGNED; /* counts once my COMMIT comes back on the channel */
    for (uint16_t k = 0; k < s->t; k++) frost_scalar_wipe(&coeffs[k]);
    free(coeffs);
}

/* ---- my shares ------------------------------------------------------------------------ */

static void complain(dkg_session *s, uint16_t d, dkg_complaint_reason reason) {
    dkg_msg m = {.kind = DKG_MSG_COMPLAINT, .session = s->id};
    m.u.complaint.accuser = s->me;
    m.u.complaint.dealer = d;
    m.u.complaint.reason = reason;
    if (reason == DKG_COMPLAINT_BAD_SHARE) m.u.complaint.evidence = s->dealers[d - 1].got;
    sign_and_broadcast(s, &m);
}

/* Checks the signed share I hold from dealer d once its COMMIT is known. */
static void check_my_share(dkg_session *s, uint16_t d) {
    dealer_state *ds = &s->dealers[d - 1];
    if (ds->mine != SHARE_SIGNED || !ds->committed) return;
    if (!hash_eq(&ds->got.commit_hash, &ds->commit_hash)) {
        /* Signed for another COMMIT than the broadcast one: no share. The
         * MISSING complaint at share_end makes the dealer reveal a good one. */
        ds->mine = SHARE_NONE;
        frost_wipe(&ds->got, sizeof ds->got);
        return;
    }
    if (frost_vss_verify(dealer_commits(s, d), s->t, s->me, &ds->got.share)) {
        ds->mine = SHARE_VALID;
        return;
    }
    ds->mine = SHARE_BAD;
    if (s->now < s->timing.complaint_end && d != s->me) complain(s, d, DKG_COMPLAINT_BAD_SHARE);
}

hansa_err dkg_on_direct(dkg_session *s, const uint8_t *msg, size_t len, const char **why) {
    outputs_begin(s);
    dkg_msg m;
    hansa_err e = dkg_msg_decode(msg, len, &m, NULL);
    if (e != HANSA_OK) return refuse(why, e, "share: malformed message");
    if (m.kind != DKG_MSG_SHARE)
        return refuse(why, HANSA_ERR_PROTOCOL, "kind: only SHAREs travel privately");
    if (!hash_eq(&m.session, &s->id))
        return refuse(why, HANSA_ERR_PROTOCOL, "session: a message of another DKG session");
    const dkg_share_body *sb = &m.u.share;
    if (s->me == 0 || sb->recipient != s->me)
        return refuse(why, HANSA_ERR_PROTOCOL, "recipient: the share is not for me");
    if (!in_range(s, sb->dealer) || sb->dealer == s->me)
        return refuse(why, HANSA_ERR_PROTOCOL, "dealer: not another participant of this session");
    if (s->ended) return refuse(why, HANSA_ERR_STATE, "late: the session ended");
    dealer_state *ds = &s->dealers[sb->dealer - 1];
    if (ds->mine != SHARE_NONE)
        return refuse(why, HANSA_ERR_DUPLICATE, "share: already have a signed share from this dealer");

    uint8_t plain[DKG_SIGNED_SHARE_BYTES];
    hbuf ad = HBUF_INIT;
    dkg_share_ad(&ad, &s->id, sb->dealer, sb->recipient);
    e = seal_decrypt(s->xkey.priv, s->xkey.pub, ad.data, ad.len, sb->sealed, DKG_SEALED_BYTES, plain);
    hbuf_free(&ad);
    if (e != HANSA_OK) return refuse(why, HANSA_ERR_CRYPTO, "sealed: does not open with my key");
    dkg_signed_share ss;
    e = dkg_signed_share_decode(plain, &ss);
    frost_wipe(plain, sizeof plain);
    if (e != HANSA_OK) return refuse(why, e, "share: not a canonical scalar");
    if (!signed_share_ok(s, sb->dealer, s->me, &ss)) {
        frost_wipe(&ss, sizeof ss);
        return refuse(why, HANSA_ERR_BAD_SIG, "share_sig: not signed by the dealer's delegate key");
    }
    ds->got = ss;
    ds->mine = SHARE_SIGNED;
    frost_wipe(&ss, sizeof ss);
    check_my_share(s, sb->dealer);
    return HANSA_OK;
}

/* ---- broadcast messages ------------------------------------------------------------------ */

static hansa_err on_commit(dkg_session *s, const dkg_msg *m, const char **why) {
    const dkg_commit_body *c = &m->u.commit;
    if (!in_range(s, c->dealer))
        return refuse(why, HANSA_ERR_PROTOCOL, "dealer: not a participant of this session");
    if (!verify_sender(s, c->dealer, m, &c->sig))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the dealer's delegate key");
    if (s->now >= s->timing.commit_end)
        return refuse(why, HANSA_ERR_STATE, "late: commitments are closed");
    dealer_state *ds = &s->dealers[c->dealer - 1];
    if (ds->excluded) return refuse(why, HANSA_ERR_DUPLICATE, "dealer: already excluded");
    hansa_hash h;
    dkg_msg_hash(m, &h);
    if (ds->committed) {
        if (hash_eq(&h, &ds->commit_hash))
            return refuse(why, HANSA_ERR_DUPLICATE, "commit: already have it");
        exclude(s, c->dealer, DKG_BLAME_EQUIVOCATION, "two different signed commitments");
        return HANSA_OK;
    }
    if (c->t != s->t) {
        exclude(s, c->dealer, DKG_BLAME_BAD_COMMIT,
                "commitment vector length is not the session's threshold");
        return HANSA_OK;
    }
    if (!frost_pok_verify(c->dealer, s->id.b, HANSA_HASH_BYTES, &c->commits[0], &c->pok)) {
        exclude(s, c->dealer, DKG_BLAME_BAD_COMMIT, "proof of knowledge does not verify");
        return HANSA_OK;
    }
    ds->committed = true;
    ds->commit_hash = h;
    memcpy(&s->commits[(size_t)(c->dealer - 1) * s->t], c->commits, s->t * sizeof *c->commits);
    if (s->me) check_my_share(s, c->dealer);
    return HANSA_OK;
}

/* Whether dealer d's signed share `ss` for recipient j is good against its COMMIT. */
static bool share_is_good(const dkg_session *s, uint16_t d, uint16_t j, const dkg_signed_share *ss) {
    return frost_vss_verify(dealer_commits(s, d), s->t, j, &ss->share);
}

static void reveal(dkg_session *s, uint16_t j) {
    dkg_msg m = {.kind = DKG_MSG_REVEAL, .session = s->id};
    m.u.reveal.dealer = s->me;
    m.u.reveal.recipient = j;
    m.u.reveal.share = s->dealt[j - 1];
    hbuf b = HBUF_INIT;
    dkg_msg_encode(&b, &m);
    push_bytes(s, DKG_OUT_BROADCAST, 0, &b);
    hbuf_free(&b);
    frost_wipe(&m, sizeof m);
}

static hansa_err on_complaint(dkg_session *s, const dkg_msg *m, const char **why) {
    const dkg_complaint_body *c = &m->u.complaint;
    if (!in_range(s, c->accuser) || !in_range(s, c->dealer))
        return refuse(why, HANSA_ERR_PROTOCOL, "accuser/dealer: not a participant of this session");
    if (c->accuser == c->dealer)
        return refuse(why, HANSA_ERR_PROTOCOL, "dealer: a participant cannot accuse itself");
    if (!verify_sender(s, c->accuser, m, &c->sig))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the accuser's delegate key");
    if (s->now >= s->timing.complaint_end)
        return refuse(why, HANSA_ERR_STATE, "late: complaints are closed");
    dealer_state *ds = &s->dealers[c->dealer - 1];
    if (!ds->committed)
        return refuse(why, HANSA_ERR_PROTOCOL, "dealer: has no commitment to complain about");
    if (ds->excluded) return refuse(why, HANSA_ERR_DUPLICATE, "dealer: already excluded");

    bool missing = c->reason == DKG_COMPLAINT_MISSING;
    if (c->reason == DKG_COMPLAINT_BAD_SHARE) {
        const dkg_signed_share *ev = &c->evidence;
        if (!signed_share_ok(s, c->dealer, c->accuser, ev)) {
            push_blame(s, c->accuser, DKG_BLAME_FALSE_COMPLAINT,
                       "evidence is not a share the dealer signed");
            return HANSA_OK;
        }
        if (!hash_eq(&ev->commit_hash, &ds->commit_hash)) {
            /* The dealer signed a share for a COMMIT it did not broadcast:
             * it owes this accuser a good share in public, like MISSING. */
            missing = true;
        } else if (share_is_good(s, c->dealer, c->accuser, ev)) {
            push_blame(s, c->accuser, DKG_BLAME_FALSE_COMPLAINT, "the accused share is good");
            return HANSA_OK;
        } else {
            exclude(s, c->dealer, DKG_BLAME_BAD_SHARE, "a signed share fails verification");
            return HANSA_OK;
        }
    }
    HANSA_ASSERT(missing);
    if (dkg_bitmap_get(ds->missing, c->accuser))
        return refuse(why, HANSA_ERR_DUPLICATE, "complaint: already have it");
    dkg_bitmap_set(ds->missing, c->accuser);
    /* An honest dealer answers at once. */
    if (c->dealer == s->me && !dkg_bitmap_get(ds->revealed, c->accuser)) reveal(s, c->accuser);
    return HANSA_OK;
}

static hansa_err on_reveal(dkg_session *s, const dkg_msg *m, const char **why) {
    const dkg_reveal_body *r = &m->u.reveal;
    if (!in_range(s, r->dealer) || !in_range(s, r->recipient) || r->dealer == r->recipient)
        return refuse(why, HANSA_ERR_PROTOCOL, "dealer/recipient: not two participants of this session");
    if (s->now >= s->timing.reveal_end)
        return refuse(why, HANSA_ERR_STATE, "late: reveals are closed");
    if (!signed_share_ok(s, r->dealer, r->recipient, &r->share))
        return refuse(why, HANSA_ERR_BAD_SIG, "share_sig: not signed by the dealer's delegate key");
    dealer_state *ds = &s->dealers[r->dealer - 1];
    if (!ds->committed || !hash_eq(&r->share.commit_hash, &ds->commit_hash))
        return refuse(why, HANSA_ERR_PROTOCOL, "commit_hash: not the dealer's broadcast commitment");
    if (ds->excluded) return refuse(why, HANSA_ERR_DUPLICATE, "dealer: already excluded");
    if (dkg_bitmap_get(ds->revealed, r->recipient))
        return refuse(why, HANSA_ERR_DUPLICATE, "reveal: already have it");
    if (!share_is_good(s, r->dealer, r->recipient, &r->share)) {
        exclude(s, r->dealer, DKG_BLAME_BAD_REVEAL, "a revealed share fails verification");
        return HANSA_OK;
    }
    dkg_bitmap_set(ds->revealed, r->recipient);
    if (r->recipient == s->me && ds->mine != SHARE_VALID) {
        ds->got = r->share;
        ds->mine = SHARE_VALID;
    }
    return HANSA_OK;
}

static bool same_result(const peer_result *p, const dkg_result *r) {
    return memcmp(p->qual, r->qual, DKG_BITMAP_BYTES) == 0 && frost_point_eq(&p->key, &r->group.key) &&
           hash_eq(&p->transcript, &r->transcript);
}

/* Accepts my result once t participants signed the same one. */
static void count_results(dkg_session *s) {
    if (!s->ended || s->failed || s->accepted) return;
    uint16_t agree = 0;
    for (uint16_t p = 0; p < s->n; p++)
        if (s->results[p].has && same_result(&s->results[p], &s->result)) agree++;
    if (agree >= s->t) {
        s->accepted = true;
        push_out(s, DKG_OUT_ACCEPTED);
    }
}

static hansa_err on_result(dkg_session *s, const dkg_msg *m, const char **why) {
    const dkg_result_body *r = &m->u.result;
    if (!in_range(s, r->participant))
        return refuse(why, HANSA_ERR_PROTOCOL, "participant: not a participant of this session");
    if (!verify_sender(s, r->participant, m, &r->sig))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the participant's delegate key");
    peer_result *p = &s->results[r->participant - 1];
    if (p->has) return refuse(why, HANSA_ERR_DUPLICATE, "result: already have one from this participant");
    p->has = true;
    memcpy(p->qual, r->qual, DKG_BITMAP_BYTES);
    p->key = r->key;
    p->transcript = r->transcript;
    count_results(s);
    return HANSA_OK;
}

/* ---- the clock -------------------------------------------------------------------------- */

static void send_missing_complaints(dkg_session *s) {
    s->missing_sent = true;
    if (s->me == 0) return;
    for (uint16_t d = 1; d <= s->n; d++) {
        dealer_state *ds = &s->dealers[d - 1];
        if (d == s->me || !ds->committed || ds->excluded) continue;
        if (ds->mine == SHARE_VALID || ds->mine == SHARE_BAD) continue; /* BAD: complained already */
        complain(s, d, DKG_COMPLAINT_MISSING);
    }
}

static void fail(dkg_session *s, const char *why) {
    s->failed = true;
    pending_out *p = push_out(s, DKG_OUT_FAILED);
    p->out.why = why;
}

/* Whether some MISSING complaint about the dealer is still unanswered:
 * unless a REVEAL comes before reveal_end, decide_qual excludes it. */
static bool owes_reveal(const dealer_state *ds) {
    for (size_t k = 0; k < DKG_BITMAP_BYTES; k++)
        if (ds->missing[k] & ~ds->revealed[k]) return true;
    return false;
}

/* GJKR's QUAL: the dealers that committed in time, were not excluded, and
 * answered every MISSING complaint in public. Reports the others. */
static void decide_qual(dkg_session *s) {
    dkg_result *res = &s->result;
    for (uint16_t d = 1; d <= s->n; d++) {
        dealer_state *ds = &s->dealers[d - 1];
        if (!ds->committed && !ds->excluded)
            exclude(s, d, DKG_BLAME_ABSENT, "no commitment before commit_end");
        if (!ds->excluded && owes_reveal(ds))
            exclude(s, d, DKG_BLAME_NO_REVEAL, "a MISSING complaint left unanswered");
        if (ds->excluded) continue;
        dkg_bitmap_set(res->qual, d);
        res->qual_count++;
    }
}

/* FROST KeyGen round 2, step 3: s_i = the sum over QUAL of f_l(i). False if
 * I lack a valid share from some qualified dealer (then I hold no share). */
static bool sum_my_share(const dkg_session *s, frost_scalar *out) {
    memset(out, 0, sizeof *out);
    if (s->me == 0) return false;
    for (uint16_t d = 1; d <= s->n; d++) {
        if (!dkg_bitmap_get(s->result.qual, d)) continue;
        const dealer_state *ds = &s->dealers[d - 1];
        if (ds->mine != SHARE_VALID) {
            frost_scalar_wipe(out);
            return false;
        }
        frost_scalar_add(out, &ds->got.share, out);
    }
    return true;
}

uint16_t dkg_shares_missing(const dkg_session *s) {
    uint16_t missing = 0;
    for (uint16_t d = 1; s->me != 0 && !s->ended && d <= s->n; d++) {
        const dealer_state *ds = &s->dealers[d - 1];
        missing += ds->committed && !ds->excluded && !owes_reveal(ds) && ds->mine != SHARE_VALID;
    }
    return missing;
}

bool dkg_share_held(const dkg_session *s, uint16_t dealer) {
    HANSA_ASSERT(in_range(s, dealer));
    return s->me != 0 && s->dealers[dealer - 1].mine == SHARE_VALID;
}

/* The group from QUAL's commitments, and the transcript that names them. */
static bool build_group(dkg_session *s) {
    dkg_result *res = &s->result;
    frost_point *rows = hansa_calloc((size_t)res->qual_count * s->t, sizeof *rows);
    hbuf tr = HBUF_INIT;
    hbuf_append(&tr, TRANSCRIPT_LABEL, sizeof TRANSCRIPT_LABEL - 1);
    hbuf_append(&tr, s->id.b, HANSA_HASH_BYTES);
    size_t row = 0;
    for (uint16_t d = 1; d <= s->n; d++) {
        if (!dkg_bitmap_get(res->qual, d)) continue;
        memcpy(&rows[row++ * s->t], dealer_commits(s, d), s->t * sizeof *rows);
        hbuf_put_u16(&tr, d);
        hbuf_append(&tr, s->dealers[d - 1].commit_hash.b, HANSA_HASH_BYTES);
    }
    HANSA_ASSERT(row == res->qual_count);
    sha256(tr.data, tr.len, &res->transcript);
    hbuf_free(&tr);
    bool built = frost_group_build(rows, res->qual_count, s->t, s->n, res->poly, &res->group);
    free(rows);
    return built;
}

/* The end of the session (reveal_end): QUAL, the group, my share, my RESULT. */
static void finish(dkg_session *s) {
    s->ended = true;
    dkg_result *res = &s->result;
    decide_qual(s);
    if (res->qual_count < s->t) {
        wipe_secrets(s);
        fail(s, "fewer qualified dealers than the threshold");
        return;
    }
    frost_scalar share;
    bool have_share = sum_my_share(s, &share);
    wipe_secrets(s);
    if (!build_group(s)) {
        frost_scalar_wipe(&share);
        fail(s, "the qualified commitments sum to the identity");
        return;
    }
    if (have_share) {
        /* Round 2, step 4: my verification share is s_i * G; it must be the
         * one everyone derives from the commitments (VSS checked each term). */
        frost_point mine;
        HANSA_ASSERT(frost_base_mul(&share, &mine));
        HANSA_ASSERT(frost_point_eq(&mine, &res->group.shares[s->me - 1]));
        res->share = share;
        res->has_share = true;
    }
    frost_scalar_wipe(&share);
    push_out(s, DKG_OUT_DONE);
    if (s->me) {
        dkg_msg m = {.kind = DKG_MSG_RESULT, .session = s->id};
        m.u.result.participant = s->me;
        memcpy(m.u.result.qual, res->qual, DKG_BITMAP_BYTES);
        m.u.result.key = res->group.key;
        m.u.result.transcript = res->transcript;
        sign_and_broadcast(s, &m);
    }
    count_results(s);
}

static void advance(dkg_session *s, uint64_t now) {
    if (now > s->now) s->now = now;
    if (!s->missing_sent && s->now >= s->timing.share_end) send_missing_complaints(s);
    if (!s->ended && s->now >= s->timing.reveal_end) finish(s);
}

void dkg_tick(dkg_session *s, uint64_t now) {
    outputs_begin(s);
    advance(s, now);
}

hansa_err dkg_on_broadcast(dkg_session *s, const uint8_t *msg, size_t len, uint64_t now,
                           const char **why) {
    outputs_begin(s);
    advance(s, now);
    dkg_msg m;
    hansa_err e = dkg_msg_decode(msg, len, &m, NULL);
    if (e != HANSA_OK) return refuse(why, e, "message: malformed");
    if (!hash_eq(&m.session, &s->id))
        return refuse(why, HANSA_ERR_PROTOCOL, "session: a message of another DKG session");
    if (s->ended && m.kind != DKG_MSG_RESULT)
        return refuse(why, HANSA_ERR_STATE, "late: the session ended");
    switch (m.kind) {
    case DKG_MSG_COMMIT: return on_commit(s, &m, why);
    case DKG_MSG_SHARE:
        return refuse(why, HANSA_ERR_PROTOCOL, "kind: SHAREs travel privately, never broadcast");
    case DKG_MSG_COMPLAINT: return on_complaint(s, &m, why);
    case DKG_MSG_REVEAL: return on_reveal(s, &m, why);
    case DKG_MSG_RESULT: return on_result(s, &m, why);
    }
    HANSA_UNREACHABLE();
}
