/* repair.c — the repairable threshold scheme of repair.h: a helper's and a
 * target's state machines, and the arithmetic they share. */
#include "threshold/repair.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/noise.h"
#include "crypto/seal.h"

/* What both sides keep of the key: copied from repair_ctx. */
typedef struct {
    hansa_hash session;
    frost_group group;
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
    uint16_t me;
    hansa_keypair key;
    noise_keypair xkey; /* my X25519 key, to open what is sealed to me */
} party;

struct repair_helper {
    party p;
    repair_msg req;    /* the REQUEST served */
    hansa_hash req_hash;
    frost_scalar acc;  /* sum of the pieces meant for me so far */
    uint8_t got[FROST_PARTICIPANTS_MAX / 8];
    uint16_t got_count;
    bool done;
    hansa_rng rng;
    repair_send_fn send;
    void *arg;
};

struct repair_target {
    party p;
    repair_msg req;
    hansa_hash req_hash;
    frost_scalar acc;
    uint8_t got[FROST_PARTICIPANTS_MAX / 8];
    uint16_t got_count;
    repair_status status;
};

static hansa_err refuse(const char **why, hansa_err err, const char *what) {
    if (why) *why = what;
    return err;
}

static bool bit_get(const uint8_t *m, uint16_t id) { return m[(id - 1) / 8] >> ((id - 1) % 8) & 1; }
static void bit_set(uint8_t *m, uint16_t id) { m[(id - 1) / 8] |= (uint8_t)(1u << ((id - 1) % 8)); }

static void party_init(party *p, const repair_ctx *ctx, uint16_t me, const hansa_keypair *key) {
    const frost_group *g = ctx->group;
    HANSA_ASSERT(g->n >= 1 && g->n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(g->t >= 1 && g->t <= g->n);
    HANSA_ASSERT(me >= 1 && me <= g->n);
    HANSA_ASSERT(pubkey_eq(&key->pub, &ctx->members[me - 1]));
    p->session = ctx->session;
    p->group = *g;
    memcpy(p->members, ctx->members, g->n * sizeof *p->members);
    p->me = me;
    p->key = *key;
    noise_keypair_from_ed25519(&p->xkey, key->secret);
}

static void party_wipe(party *p) {
    keypair_wipe(&p->key);
    noise_keypair_wipe(&p->xkey);
}

static void sign_msg(const party *p, repair_msg *m) {
    hbuf b = HBUF_INIT;
    repair_msg_encode_unsigned(&b, m);
    sign_domain(&p->key, REPAIR_DOMAIN, b.data, b.len, &m->sig);
    hbuf_free(&b);
}

static bool sig_by(const hansa_pubkey *pk, const repair_msg *m) {
    hbuf b = HBUF_INIT;
    repair_msg_encode_unsigned(&b, m);
    bool ok = verify_domain(pk, REPAIR_DOMAIN, b.data, b.len, &m->sig);
    hbuf_free(&b);
    return ok;
}

static bool sig_ok(const party *p, const repair_msg *m, uint16_t signer) {
    return sig_by(&p->members[signer - 1], m);
}

/* The associated data of a sealed piece: every byte before `sealed`. */
static void seal_ad(const repair_msg *m, hbuf *ad) {
    repair_msg_encode_unsigned(ad, m);
    ad->len -= REPAIR_SEALED_BYTES;
}

/* Seals v to participant `to` into m->sealed; false if its key maps to no
 * X25519 point (it could never open anything: the repair cannot finish). */
static bool seal_to(const party *p, const hansa_rng *rng, uint16_t to, repair_msg *m,
                    const frost_scalar *v) {
    uint8_t pk[SEAL_KEY_BYTES];
    if (noise_pubkey_from_ed25519(&p->members[to - 1], pk) != HANSA_OK) return false;
    memset(m->sealed, 0, sizeof m->sealed);
    hbuf ad = HBUF_INIT;
    seal_ad(m, &ad);
    HANSA_ASSERT(seal_encrypt(rng, pk, ad.data, ad.len, v->b, FROST_SCALAR_BYTES, m->sealed) == HANSA_OK);
    hbuf_free(&ad);
    return true;
}

/* Opens m->sealed with my key into *v (a canonical scalar). */
static hansa_err open_sealed(const party *p, const repair_msg *m, frost_scalar *v, const char **why) {
    uint8_t plain[FROST_SCALAR_BYTES];
    hbuf ad = HBUF_INIT;
    seal_ad(m, &ad);
    hansa_err e = seal_decrypt(p->xkey.priv, p->xkey.pub, ad.data, ad.len, m->sealed,
                               REPAIR_SEALED_BYTES, plain);
    hbuf_free(&ad);
    if (e != HANSA_OK) return refuse(why, HANSA_ERR_CRYPTO, "sealed: does not open with my key");
    e = frost_scalar_decode(plain, v);
    frost_wipe(plain, sizeof plain);
    if (e != HANSA_OK) return refuse(why, e, "sealed: not a canonical scalar");
    return HANSA_OK;
}

static int helper_index(const repair_msg *req, uint16_t id) {
    for (uint16_t k = 0; k < req->count; k++)
        if (req->helpers[k] == id) return k;
    return -1;
}

/* ---- arithmetic --------------------------------------------------------------------- */

hansa_err repair_split(const hansa_rng *rng, const uint16_t *helpers, uint16_t count, uint16_t me,
                       uint16_t target, const frost_scalar *share, frost_scalar *pieces) {
    for (uint16_t k = 0; k < count; k++)
        if (helpers[k] == target) return HANSA_ERR_INVALID;
    frost_scalar lambda, delta;
    hansa_err e = frost_lagrange_at(helpers, count, me, target, &lambda);
    if (e != HANSA_OK) return e;
    /* Laing-Stinson step 1: t-1 uniformly random pieces and a last one so
     * that they sum to lambda_j(i) * s_j. */
    frost_scalar_mul(&lambda, share, &delta);
    for (uint16_t k = 0; k + 1 < count; k++) {
        frost_scalar_random(rng, &pieces[k]);
        frost_scalar_sub(&delta, &pieces[k], &delta);
    }
    pieces[count - 1] = delta;
    frost_scalar_wipe(&delta);
    return HANSA_OK;
}

void repair_sum(const frost_scalar *v, size_t count, frost_scalar *out) {
    frost_scalar acc;
    memset(&acc, 0, sizeof acc);
    for (size_t k = 0; k < count; k++) frost_scalar_add(&acc, &v[k], &acc);
    *out = acc;
    frost_scalar_wipe(&acc);
}

bool repair_check(const frost_group *group, uint16_t target, const frost_scalar *share) {
    HANSA_ASSERT(target >= 1 && target <= group->n);
    frost_point mine;
    return frost_base_mul(share, &mine) && frost_point_eq(&mine, &group->shares[target - 1]);
}

/* ---- the helper ---------------------------------------------------------------------- */

static hansa_err request_check(const party *p, const repair_msg *m, const char **why) {
    if (m->kind != REPAIR_MSG_REQUEST) return refuse(why, HANSA_ERR_PROTOCOL, "kind: not a REQUEST");
    if (!hash_eq(&m->session, &p->session))
        return refuse(why, HANSA_ERR_PROTOCOL, "session: a request for another key");
    if (m->target > p->group.n) return refuse(why, HANSA_ERR_PROTOCOL, "target: not a participant");
    if (m->count != p->group.t)
        return refuse(why, HANSA_ERR_PROTOCOL, "count: a repair takes exactly t helpers");
    if (m->helpers[m->count - 1] > p->group.n)
        return refuse(why, HANSA_ERR_PROTOCOL, "helpers: not all participants");
    if (helper_index(m, p->me) < 0) return refuse(why, HANSA_ERR_PROTOCOL, "helpers: I am not one");
    if (!sig_ok(p, m, m->target))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the target's delegate key");
    return HANSA_OK;
}

/* My SIGMA once every piece meant for me is in. */
static void helper_finish(repair_helper *h) {
    if (h->done || h->got_count < h->req.count) return;
    repair_msg m = {.kind = REPAIR_MSG_SIGMA, .session = h->p.session, .target = h->req.target,
                    .round = h->req.round, .req = h->req_hash, .from = h->p.me};
    h->done = true;
    bool sealed = seal_to(&h->p, &h->rng, h->req.target, &m, &h->acc);
    frost_scalar_wipe(&h->acc);
    if (!sealed) return;
    sign_msg(&h->p, &m);
    hbuf b = HBUF_INIT;
    repair_msg_encode(&b, &m);
    h->send(h->arg, REPAIR_MSG_SIGMA, h->req.target, b.data, b.len);
    hbuf_free(&b);
}

/* Splits my share and sends each other helper its piece; keeps mine. */
static void helper_deal(repair_helper *h, const frost_scalar *share) {
    frost_scalar *pieces = hansa_calloc(h->req.count, sizeof *pieces);
    HANSA_ASSERT(repair_split(&h->rng, h->req.helpers, h->req.count, h->p.me, h->req.target, share,
                              pieces) == HANSA_OK);
    for (uint16_t k = 0; k < h->req.count; k++) {
        uint16_t to = h->req.helpers[k];
        if (to == h->p.me) {
            frost_scalar_add(&h->acc, &pieces[k], &h->acc);
            bit_set(h->got, to);
            h->got_count++;
            continue;
        }
        repair_msg m = {.kind = REPAIR_MSG_DELTA, .session = h->p.session, .target = h->req.target,
                        .round = h->req.round, .req = h->req_hash, .from = h->p.me, .to = to};
        if (!seal_to(&h->p, &h->rng, to, &m, &pieces[k])) continue;
        sign_msg(&h->p, &m);
        hbuf b = HBUF_INIT;
        repair_msg_encode(&b, &m);
        h->send(h->arg, REPAIR_MSG_DELTA, to, b.data, b.len);
        hbuf_free(&b);
    }
    frost_wipe(pieces, h->req.count * sizeof *pieces);
    free(pieces);
}

repair_helper *repair_helper_new(const repair_ctx *ctx, uint16_t me, const hansa_keypair *key,
                                 const frost_scalar *share, const hansa_rng *rng,
                                 const uint8_t *req, size_t len, repair_send_fn send, void *arg,
                                 hansa_err *err, const char **why) {
    repair_helper *h = hansa_calloc(1, sizeof *h);
    party_init(&h->p, ctx, me, key);
    *err = repair_msg_decode(req, len, &h->req, NULL);
    if (*err != HANSA_OK) refuse(why, *err, "request: malformed");
    else *err = request_check(&h->p, &h->req, why);
    if (*err != HANSA_OK) {
        repair_helper_free(h);
        return NULL;
    }
    repair_msg_hash(&h->req, &h->req_hash);
    h->rng = *rng;
    h->send = send;
    h->arg = arg;
    helper_deal(h, share);
    helper_finish(h); /* t = 1: my own piece is the whole sum */
    return h;
}

void repair_helper_free(repair_helper *h) {
    if (!h) return;
    party_wipe(&h->p);
    frost_wipe(h, sizeof *h);
    free(h);
}

const hansa_hash *repair_helper_req(const repair_helper *h) { return &h->req_hash; }
bool repair_helper_done(const repair_helper *h) { return h->done; }

/* Checks a DELTA or SIGMA against the request it names: form, session,
 * request, a sender among the helpers, its signature; opens the piece. */
static hansa_err piece_take(const party *p, const repair_msg *req, const hansa_hash *req_hash,
                            const uint8_t *got, const uint8_t *msg, size_t len,
                            repair_msg_kind kind, frost_scalar *v, uint16_t *from,
                            const char **why) {
    repair_msg m;
    hansa_err e = repair_msg_decode(msg, len, &m, NULL);
    if (e != HANSA_OK) return refuse(why, e, "message: malformed");
    if (m.kind != kind) return refuse(why, HANSA_ERR_PROTOCOL, "kind: not what this side takes");
    if (!hash_eq(&m.session, &p->session) || !hash_eq(&m.req, req_hash) || m.target != req->target ||
        m.round != req->round)
        return refuse(why, HANSA_ERR_PROTOCOL, "req: a piece of another repair");
    if (kind == REPAIR_MSG_DELTA && m.to != p->me)
        return refuse(why, HANSA_ERR_PROTOCOL, "to: the piece is not for me");
    if (helper_index(req, m.from) < 0)
        return refuse(why, HANSA_ERR_PROTOCOL, "from: not one of the request's helpers");
    if (bit_get(got, m.from)) return refuse(why, HANSA_ERR_DUPLICATE, "from: already have its piece");
    if (!sig_ok(p, &m, m.from))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the helper's delegate key");
    e = open_sealed(p, &m, v, why);
    if (e == HANSA_OK) *from = m.from;
    return e;
}

hansa_err repair_helper_on_delta(repair_helper *h, const uint8_t *msg, size_t len, const char **why) {
    if (h->done) return refuse(why, HANSA_ERR_STATE, "late: my SIGMA went out");
    frost_scalar v;
    uint16_t from = 0;
    hansa_err e = piece_take(&h->p, &h->req, &h->req_hash, h->got, msg, len, REPAIR_MSG_DELTA, &v,
                             &from, why);
    if (e != HANSA_OK) return e;
    frost_scalar_add(&h->acc, &v, &h->acc);
    frost_scalar_wipe(&v);
    bit_set(h->got, from);
    h->got_count++;
    helper_finish(h);
    return HANSA_OK;
}

/* ---- admission ----------------------------------------------------------------------- */

bool repair_round_admit(uint64_t my_height, uint32_t round, uint32_t last_round) {
    uint64_t r = round;
    if (r + REPAIR_ROUND_WINDOW < my_height || r > my_height + REPAIR_ROUND_WINDOW) return false;
    return last_round == 0 || r >= (uint64_t)last_round + REPAIR_RETRY_BLOCKS;
}

hansa_err repair_early_keep(repair_early *e, const repair_ctx *ctx, uint16_t me, const uint8_t *msg,
                            size_t len, const char **why) {
    repair_msg m;
    hansa_err err = repair_msg_decode(msg, len, &m, NULL);
    if (err != HANSA_OK) return refuse(why, err, "message: malformed");
    if (m.kind != REPAIR_MSG_DELTA) return refuse(why, HANSA_ERR_PROTOCOL, "kind: not a DELTA");
    if (!hash_eq(&m.session, &ctx->session))
        return refuse(why, HANSA_ERR_PROTOCOL, "session: a piece for another key");
    if (m.to != me) return refuse(why, HANSA_ERR_PROTOCOL, "to: the piece is not for me");
    if (m.from > ctx->group->n || m.target > ctx->group->n)
        return refuse(why, HANSA_ERR_PROTOCOL, "from: not a participant");
    if (!sig_by(&ctx->members[m.from - 1], &m))
        return refuse(why, HANSA_ERR_BAD_SIG, "sig: not signed by the helper's delegate key");
    hbuf_reset(&e->from[m.from]);
    hbuf_append(&e->from[m.from], msg, len);
    return HANSA_OK;
}

void repair_early_feed(repair_early *e, repair_helper *h) {
    for (uint16_t j = 1; j <= FROST_PARTICIPANTS_MAX; j++) {
        repair_msg m;
        hbuf *b = &e->from[j];
        if (b->len == 0 || repair_msg_decode(b->data, b->len, &m, NULL) != HANSA_OK ||
            !hash_eq(&m.req, &h->req_hash))
            continue;
        (void)repair_helper_on_delta(h, b->data, b->len, NULL); /* checked again, for its request */
        hbuf_free(b);
    }
}

void repair_early_free(repair_early *e) {
    for (uint16_t j = 0; j <= FROST_PARTICIPANTS_MAX; j++) hbuf_free(&e->from[j]);
}

/* ---- the target ---------------------------------------------------------------------- */

repair_target *repair_target_new(const repair_ctx *ctx, uint16_t me, const hansa_keypair *key,
                                 uint32_t round, const uint16_t *helpers, uint16_t count,
                                 repair_send_fn send, void *arg) {
    HANSA_ASSERT(count == ctx->group->t);
    repair_target *r = hansa_calloc(1, sizeof *r);
    party_init(&r->p, ctx, me, key);
    r->req = (repair_msg){.kind = REPAIR_MSG_REQUEST, .session = ctx->session, .target = me,
                          .round = round, .count = count};
    for (uint16_t k = 0; k < count; k++) {
        HANSA_ASSERT(helpers[k] >= 1 && helpers[k] <= ctx->group->n && helpers[k] != me);
        HANSA_ASSERT(k == 0 || helpers[k] > helpers[k - 1]);
        r->req.helpers[k] = helpers[k];
    }
    sign_msg(&r->p, &r->req);
    repair_msg_hash(&r->req, &r->req_hash);
    hbuf b = HBUF_INIT;
    repair_msg_encode(&b, &r->req);
    for (uint16_t k = 0; k < count; k++) send(arg, REPAIR_MSG_REQUEST, helpers[k], b.data, b.len);
    hbuf_free(&b);
    return r;
}

void repair_target_free(repair_target *r) {
    if (!r) return;
    party_wipe(&r->p);
    frost_wipe(r, sizeof *r);
    free(r);
}

hansa_err repair_target_on_sigma(repair_target *r, const uint8_t *msg, size_t len, const char **why) {
    if (r->status != REPAIR_PENDING) return refuse(why, HANSA_ERR_STATE, "late: the repair ended");
    frost_scalar v;
    uint16_t from = 0;
    hansa_err e = piece_take(&r->p, &r->req, &r->req_hash, r->got, msg, len, REPAIR_MSG_SIGMA, &v,
                             &from, why);
    if (e != HANSA_OK) return e;
    frost_scalar_add(&r->acc, &v, &r->acc);
    frost_scalar_wipe(&v);
    bit_set(r->got, from);
    if (++r->got_count < r->req.count) return HANSA_OK;
    /* Laing-Stinson step 4, checked: the sum must be my share, the one the
     * key generation's commitments name (Y_i = s_i * G). A helper that sent
     * a wrong piece or sum makes it fail; it is refused, never used. */
    if (repair_check(&r->p.group, r->p.me, &r->acc)) {
        r->status = REPAIR_DONE;
    } else {
        r->status = REPAIR_REFUSED;
        frost_scalar_wipe(&r->acc);
    }
    return HANSA_OK;
}

repair_status repair_target_status(const repair_target *r, frost_scalar *share) {
    if (share && r->status == REPAIR_DONE) *share = r->acc;
    return r->status;
}

const uint16_t *repair_target_helpers(const repair_target *r, uint16_t *count) {
    *count = r->req.count;
    return r->req.helpers;
}

uint32_t repair_target_round(const repair_target *r) { return r->req.round; }
