/* frost_repair.c — share repairs over the peer links (see frost_repair.h;
 * the scheme and its checks are threshold/repair.h's). */
#include "node/frost_repair.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "node/frost_duty.h"
#include "node/frost_sign.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "threshold/dkg.h"
#include "threshold/repair.h"

/* A peer's REQUEST or DELTA whose signature is not its sender's: these
 * are not passed on, so the peer made it (node_io.penalize). */
#define REPAIR_PENALTY_BAD_SIG 1

/* Where a helper's messages go: the node, and the set's delegate keys to
 * find each recipient's link (allocated with the helper: its callback
 * keeps it). */
typedef struct {
    node *n;
    uint16_t count;
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
} helper_link;

/* My part in one target's repair: one at a time per target, so a member
 * asking again replaces only its own (repair_round_admit bounds how often). */
typedef struct {
    repair_helper *h;
    helper_link *link;
    uint64_t made_at; /* my height */
    uint32_t round;   /* the last round I dealt for; 0: none */
} helping;

struct frost_repair {
    /* Asking for my share. */
    repair_target *target;
    uint64_t target_epoch;
    uint64_t asked_at; /* my height */
    uint32_t attempts;
    /* Helping others. */
    helping help[FROST_PARTICIPANTS_MAX + 1]; /* by target */
    repair_early early;
};

static struct frost_repair *state(node *n) {
    struct frost_repair **slot = frost_duty_repair_slot(n);
    if (slot == NULL) return NULL;
    if (*slot == NULL) *slot = hansa_calloc(1, sizeof **slot);
    return *slot;
}

void frost_repair_free(struct frost_repair *r) {
    if (r == NULL) return;
    repair_target_free(r->target);
    for (size_t i = 0; i <= FROST_PARTICIPANTS_MAX; i++) {
        repair_helper_free(r->help[i].h);
        free(r->help[i].link);
    }
    repair_early_free(&r->early);
    free(r);
}

static const uint8_t msg_type[] = {[REPAIR_MSG_REQUEST] = MSG_REPAIR_REQ,
                                   [REPAIR_MSG_DELTA] = MSG_REPAIR_DELTA,
                                   [REPAIR_MSG_SIGMA] = MSG_REPAIR_SIGMA};

/* A helper's DELTA or SIGMA: to its recipient's link if the signing duty
 * knows it (the other helpers sign with me), else to every peer (sealed to
 * the recipient, so only it can use it). */
static void send_helper(void *arg, repair_msg_kind kind, uint16_t to, const uint8_t *bytes, size_t len) {
    const helper_link *l = arg;
    node *n = l->n;
    void *peer = to >= 1 && to <= l->count ? frost_sign_peer_of(n, &l->members[to - 1]) : NULL;
    if (peer) n->io.send(n->io.ctx, peer, msg_type[kind], bytes, len);
    else n->io.broadcast(n->io.ctx, msg_type[kind], bytes, len, NULL);
}

typedef struct {
    node *n;
    bool request_sent;
} sender;

/* A target's REQUEST, to every peer once though it names t helpers (a
 * member without its share signs nothing: no links are known); it sends
 * only while it is made. */
static void send_target(void *arg, repair_msg_kind kind, uint16_t to, const uint8_t *bytes, size_t len) {
    sender *s = arg;
    (void)to;
    if (kind == REPAIR_MSG_REQUEST && s->request_sent) return;
    s->request_sent = true;
    s->n->io.broadcast(s->n->io.ctx, msg_type[kind], bytes, len, NULL);
}

/* The key of epoch as a repair names it: its set's session id, members. */
static bool ctx_of(node *n, uint64_t epoch, frost_epoch *e, hansa_hash *session) {
    if (!frost_duty_epoch_at(n, epoch, e)) return false;
    dkg_session_id(&e->ctx, session);
    return true;
}

static uint16_t my_id(const node *n, const frost_epoch *e) {
    for (uint16_t i = 0; i < e->ctx.n; i++)
        if (pubkey_eq(&e->members[i], &n->cfg.key->pub)) return (uint16_t)(i + 1);
    return 0;
}

/* ---- asking --------------------------------------------------------------------------- */

/* The attempt-th helper set: t of the others, in turn from an offset that
 * moves by one each attempt (a set with a helper that is down or cheats is
 * not asked twice in a row), sorted. */
static void helpers_pick(uint16_t n, uint16_t t, uint16_t me, uint32_t attempt, uint16_t *out) {
    uint16_t others[FROST_PARTICIPANTS_MAX], m = 0;
    for (uint16_t i = 1; i <= n; i++)
        if (i != me) others[m++] = i;
    HANSA_ASSERT(t <= m);
    uint16_t start = (uint16_t)(attempt % m), k = 0;
    uint8_t taken[FROST_PARTICIPANTS_MAX + 1] = {0};
    for (uint16_t j = 0; j < t; j++) taken[others[(start + j) % m]] = 1;
    for (uint16_t i = 1; i <= n; i++)
        if (taken[i]) out[k++] = i;
    HANSA_ASSERT(k == t);
}

static void ask(node *n, struct frost_repair *r, uint64_t epoch, const frost_group *g) {
    frost_epoch *e = hansa_malloc(sizeof *e);
    hansa_hash session;
    uint16_t me = 0;
    if (!ctx_of(n, epoch, e, &session) || (me = my_id(n, e)) == 0 || e->ctx.n != g->n ||
        g->n <= g->t) {
        free(e);
        return;
    }
    uint16_t helpers[FROST_PARTICIPANTS_MAX];
    helpers_pick(g->n, g->t, me, r->attempts, helpers);
    repair_target_free(r->target);
    repair_ctx ctx = {.session = session, .group = g, .members = e->members};
    sender s = {n, false};
    r->target = repair_target_new(&ctx, me, n->cfg.key, (uint32_t)n->height, helpers, g->t, send_target, &s);
    r->target_epoch = epoch;
    r->asked_at = n->height;
    r->attempts++;
    LOG_I("dkg", "epoch %" PRIu64 ": my key generation left me no share; asked %u members to repair it "
          "(attempt %" PRIu32 ", helpers from %u)", epoch, g->t, r->attempts, helpers[0]);
    free(e);
}

/* My parts in repairs older than REPAIR_ROUND_WINDOW blocks are dropped:
 * each holds a copy of my delegate key, and its target has asked another
 * set by then (the round it dealt for is kept, for repair_round_admit). */
static void helpers_expire(node *n) {
    struct frost_repair **slot = frost_duty_repair_slot(n);
    if (slot == NULL || *slot == NULL) return;
    for (size_t i = 0; i <= FROST_PARTICIPANTS_MAX; i++) {
        helping *h = &(*slot)->help[i];
        if (h->h == NULL || n->height <= h->made_at + REPAIR_ROUND_WINDOW) continue;
        repair_helper_free(h->h);
        free(h->link);
        h->h = NULL;
        h->link = NULL;
    }
}

void frost_repair_on_commit(node *n) {
    helpers_expire(n);
    uint64_t epoch;
    frost_group *g = hansa_malloc(sizeof *g);
    frost_group_rec rec;
    struct frost_repair *r = NULL;
    /* Only a key the chain recorded as made by my session's set. */
    if (frost_duty_lacks_share(n, &epoch, g) && ledger_group_key_get(n->state, epoch, &rec) &&
        frost_point_eq(&rec.key, &g->key) && (r = state(n)) != NULL &&
        (r->target_epoch != epoch || n->height >= r->asked_at + REPAIR_RETRY_BLOCKS))
        ask(n, r, epoch, g);
    free(g);
}

static void on_sigma(node *n, const uint8_t *bytes, size_t len) {
    struct frost_repair *r = state(n);
    if (r == NULL || r->target == NULL) return;
    const char *why = NULL;
    if (repair_target_on_sigma(r->target, bytes, len, &why) != HANSA_OK) return;
    frost_scalar share;
    repair_status st = repair_target_status(r->target, &share);
    if (st == REPAIR_PENDING) return;
    uint16_t count;
    const uint16_t *h = repair_target_helpers(r->target, &count);
    if (st == REPAIR_REFUSED) {
        char set[FROST_PARTICIPANTS_MAX * 5 + 1] = "";
        size_t at = 0;
        for (uint16_t k = 0; k < count && at + 6 < sizeof set; k++)
            at += (size_t)snprintf(set + at, sizeof set - at, "%s%u", k ? "," : "", h[k]);
        LOG_W("dkg", "epoch %" PRIu64 ": the repair of my share by helpers {%s} does not match my "
              "verification share: refused (one of them cheated); asking another set in %u blocks",
              r->target_epoch, set, REPAIR_RETRY_BLOCKS);
        /* Not sooner: helpers take one round of mine per REPAIR_RETRY_BLOCKS. */
    } else if (frost_duty_share_repaired(n, r->target_epoch, &share)) {
        LOG_I("dkg", "epoch %" PRIu64 ": my share was repaired by %u members, checked against my "
              "verification share and stored", r->target_epoch, count);
    }
    frost_wipe(&share, sizeof share);
    repair_target_free(r->target);
    r->target = NULL;
}

/* ---- helping -------------------------------------------------------------------------- */

static void penalize(node *n, void *peer, const char *why) {
    if (peer && n->io.penalize) n->io.penalize(n->io.ctx, peer, REPAIR_PENALTY_BAD_SIG, why);
}

/* The key of mine a repair's session names: one whose share my record
 * holds, the latest or the previous one (it signs until the handoff: a
 * member of its set may still need its share repaired) (and in which I am `to`, unless 0: DELTAs for others are most of
 * what comes, dropped before the set is looked up). Its epoch, my id,
 * group, share and set. */
static bool my_key(node *n, const hansa_hash *session, uint16_t to, uint64_t *epoch, uint16_t *me,
                   frost_group *g, frost_scalar *share, frost_epoch *e) {
    uint64_t epochs[2];
    size_t count = frost_duty_share_epochs(n, epochs);
    for (size_t k = 0; k < count; k++) {
        hansa_hash s;
        *epoch = epochs[k];
        if (frost_duty_share_of(n, *epoch, me, g, share) && (to == 0 || to == *me) &&
            ctx_of(n, *epoch, e, &s) && hash_eq(&s, session) && my_id(n, e) == *me && g->n == e->ctx.n)
            return true;
    }
    frost_wipe(share, sizeof *share);
    return false;
}

/* A DELTA: to my part in its target's repair, else kept until its REQUEST
 * comes if it is for me (repair_early_keep). */
static void on_delta(node *n, void *peer, const uint8_t *bytes, size_t len, const repair_msg *m) {
    struct frost_repair *r = state(n);
    if (r == NULL) return;
    repair_helper *h = r->help[m->target].h;
    if (h != NULL && hash_eq(repair_helper_req(h), &m->req)) {
        (void)repair_helper_on_delta(h, bytes, len, NULL);
        return;
    }
    uint64_t epoch;
    uint16_t me;
    frost_group *g = hansa_malloc(sizeof *g);
    frost_scalar share;
    frost_epoch *e = hansa_malloc(sizeof *e);
    if (my_key(n, &m->session, m->to, &epoch, &me, g, &share, e)) {
        repair_ctx ctx = {.session = m->session, .group = g, .members = e->members};
        if (repair_early_keep(&r->early, &ctx, me, bytes, len, NULL) == HANSA_ERR_BAD_SIG)
            penalize(n, peer, "share repair piece not signed by its sender");
    }
    frost_wipe(&share, sizeof share);
    free(g);
    free(e);
}

/* A helper for a REQUEST of a key of mine (e: its set), with its link;
 * NULL (logged, a bad signature penalised) if refused. */
static repair_helper *helper_make(node *n, void *peer, const repair_ctx *ctx, uint16_t me,
                                  const frost_scalar *share, const frost_epoch *e, uint64_t epoch,
                                  const repair_msg *m, const uint8_t *bytes, size_t len, helper_link **link) {
    *link = hansa_malloc(sizeof **link);
    (*link)->n = n;
    (*link)->count = e->ctx.n;
    memcpy((*link)->members, e->members, e->ctx.n * sizeof *e->members);
    hansa_err err;
    const char *why = NULL;
    repair_helper *h = repair_helper_new(ctx, me, n->cfg.key, share, &n->cfg.rng, bytes, len, send_helper,
                                         *link, &err, &why);
    if (h != NULL) return h;
    free(*link);
    *link = NULL;
    if (err == HANSA_ERR_BAD_SIG)
        penalize(n, peer, "share repair request not signed by its target");
    else if (err != HANSA_ERR_PROTOCOL) /* not named: no news */
        LOG_W("dkg", "epoch %" PRIu64 ": a repair request of participant %u refused: %s", epoch, m->target,
              why ? why : "?");
    return NULL;
}

/* A REQUEST naming me, for a key I hold a share of: I deal my pieces if
 * repair_round_admit takes its round, replacing my part in that target's
 * previous repair. */
static void on_request(node *n, void *peer, const uint8_t *bytes, size_t len, const repair_msg *m) {
    struct frost_repair *r = state(n);
    if (r == NULL || !repair_round_admit(n->height, m->round, r->help[m->target].round)) return;
    uint64_t epoch = 0;
    uint16_t me = 0;
    frost_group *g = hansa_malloc(sizeof *g);
    frost_scalar share;
    frost_epoch *e = hansa_malloc(sizeof *e);
    helper_link *link = NULL;
    repair_helper *h = NULL;
    if (my_key(n, &m->session, 0, &epoch, &me, g, &share, e)) {
        repair_ctx ctx = {.session = m->session, .group = g, .members = e->members};
        h = helper_make(n, peer, &ctx, me, &share, e, epoch, m, bytes, len, &link);
    }
    if (h != NULL) {
        helping *slot = &r->help[m->target];
        repair_helper_free(slot->h);
        free(slot->link);
        *slot = (helping){h, link, n->height, m->round};
        LOG_I("dkg", "epoch %" PRIu64 ": helping repair participant %u's share (round %" PRIu32 ")", epoch,
              m->target, m->round);
        repair_early_feed(&r->early, h);
    }
    frost_wipe(&share, sizeof share);
    free(g);
    free(e);
}

void frost_repair_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len) {
    repair_msg m;
    repair_msg_kind want = type == MSG_REPAIR_REQ     ? REPAIR_MSG_REQUEST
                           : type == MSG_REPAIR_DELTA ? REPAIR_MSG_DELTA
                                                      : REPAIR_MSG_SIGMA;
    if (repair_msg_decode(bytes, len, &m, NULL) != HANSA_OK || m.kind != want) {
        n->io.drop(n->io.ctx, peer, "malformed share repair message");
        return;
    }
    if (n->frost == NULL || n->cfg.key == NULL) return;
    switch (m.kind) {
    case REPAIR_MSG_REQUEST: on_request(n, peer, bytes, len, &m); return;
    case REPAIR_MSG_DELTA: on_delta(n, peer, bytes, len, &m); return;
    case REPAIR_MSG_SIGMA: on_sigma(n, bytes, len); return;
    }
}
