/* roast.c — the ROAST coordinator and the FROST signer (see roast.h). */
#include "threshold/roast.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

/* ---- the signer ----------------------------------------------------------------------- */

/* Commitments this signer used recently, to name a reuse attempt as such.
 * Older ones are refused too (their secrets are gone), as "not mine". */
#define USED_RING 256

struct roast_signer {
    roast_signer_config cfg;
    roast_nonce_rec fresh[ROAST_FRESH_MAX];
    size_t n_fresh;
    frost_commitment used[USED_RING];
    size_t used_next, used_count;
};

static bool same_commitment(const frost_commitment *a, const frost_commitment *b) {
    return a->id == b->id && frost_point_eq(&a->hiding, &b->hiding) &&
           frost_point_eq(&a->binding, &b->binding);
}

roast_signer *roast_signer_new(const roast_signer_config *cfg, const roast_nonce_rec *restored,
                               size_t n_restored) {
    HANSA_ASSERT(cfg->group.n >= 1 && cfg->group.n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(cfg->group.t >= 1 && cfg->group.t <= cfg->group.n);
    HANSA_ASSERT(cfg->id >= 1 && cfg->id <= cfg->group.n);
    HANSA_ASSERT(cfg->persist != NULL && cfg->approve != NULL && cfg->rng.fill != NULL);
    HANSA_ASSERT(n_restored <= ROAST_FRESH_MAX);
    frost_point mine;
    HANSA_ASSERT(frost_base_mul(&cfg->share, &mine));
    HANSA_ASSERT(frost_point_eq(&mine, &cfg->group.shares[cfg->id - 1]));
    roast_signer *s = hansa_calloc(1, sizeof *s);
    s->cfg = *cfg;
    for (size_t i = 0; i < n_restored; i++) {
        HANSA_ASSERT(restored[i].state == ROAST_NONCE_FRESH);
        HANSA_ASSERT(restored[i].commitment.id == cfg->id);
        s->fresh[s->n_fresh++] = restored[i];
    }
    return s;
}

void roast_signer_free(roast_signer *s) {
    if (!s) return;
    frost_wipe(s, sizeof *s);
    free(s);
}

size_t roast_signer_fresh(const roast_signer *s) { return s->n_fresh; }

/* Draws a nonce pair for round, persists it FRESH and keeps it. */
static hansa_err fresh_nonce(roast_signer *s, uint64_t round, frost_commitment *out) {
    HANSA_ASSERT(s->n_fresh < ROAST_FRESH_MAX);
    roast_nonce_rec rec = {.round = round, .state = ROAST_NONCE_FRESH};
    frost_commit(&s->cfg.rng, s->cfg.id, &s->cfg.share, &rec.nonces, &rec.commitment);
    if (!s->cfg.persist(s->cfg.ctx, &rec)) {
        frost_wipe(&rec, sizeof rec);
        return HANSA_ERR_IO;
    }
    *out = rec.commitment;
    s->fresh[s->n_fresh++] = rec;
    frost_wipe(&rec, sizeof rec);
    return HANSA_OK;
}

hansa_err roast_signer_commit(roast_signer *s, uint64_t round, hbuf *out) {
    if (s->n_fresh == ROAST_FRESH_MAX) return HANSA_ERR_FULL;
    roast_msg m = {.kind = ROAST_MSG_COMMIT, .group_key = s->cfg.group.key, .round = round};
    hansa_err e = fresh_nonce(s, round, &m.commitment);
    if (e == HANSA_OK) roast_msg_encode(out, &m);
    return e;
}

static void remember_used(roast_signer *s, const frost_commitment *c) {
    s->used[s->used_next] = *c;
    s->used_next = (s->used_next + 1) % USED_RING;
    if (s->used_count < USED_RING) s->used_count++;
}

static bool was_used(const roast_signer *s, const frost_commitment *c) {
    for (size_t i = 0; i < s->used_count; i++)
        if (same_commitment(&s->used[i], c)) return true;
    return false;
}

/* Removes fresh[i] from the table into *rec (the caller wipes it). */
static void take_fresh(roast_signer *s, size_t i, roast_nonce_rec *rec) {
    *rec = s->fresh[i];
    s->fresh[i] = s->fresh[--s->n_fresh];
    frost_wipe(&s->fresh[s->n_fresh], sizeof s->fresh[s->n_fresh]);
}

size_t roast_signer_forget(roast_signer *s, uint64_t before) {
    size_t dropped = 0;
    for (size_t i = 0; i < s->n_fresh;) {
        if (s->fresh[i].round >= before) {
            i++;
            continue;
        }
        roast_nonce_rec rec;
        take_fresh(s, i, &rec);
        remember_used(s, &rec.commitment);
        frost_wipe(&rec, sizeof rec);
        dropped++;
    }
    return dropped;
}

static hansa_err refuse(const char **why, hansa_err e, const char *reason) {
    if (why) *why = reason;
    return e;
}

hansa_err roast_signer_on_request(roast_signer *s, const uint8_t *req, size_t len, hbuf *out,
                                  const char **why) {
    roast_msg m;
    hansa_err e = roast_msg_decode(req, len, &m, NULL);
    if (e != HANSA_OK) return refuse(why, e, "request: malformed");
    if (m.kind != ROAST_MSG_REQUEST) return refuse(why, HANSA_ERR_PROTOCOL, "kind: not a REQUEST");
    if (!frost_point_eq(&m.group_key, &s->cfg.group.key))
        return refuse(why, HANSA_ERR_PROTOCOL, "group_key: another group");
    const frost_commitment *mine = NULL;
    for (uint16_t i = 0; i < m.n; i++)
        if (m.list[i].id == s->cfg.id) mine = &m.list[i];
    if (!mine) return refuse(why, HANSA_ERR_PROTOCOL, "list: I am not among the signers");
    size_t slot = s->n_fresh;
    for (size_t i = 0; i < s->n_fresh; i++)
        if (same_commitment(&s->fresh[i].commitment, mine)) slot = i;
    if (slot == s->n_fresh)
        return was_used(s, mine)
                   ? refuse(why, HANSA_ERR_DUPLICATE, "list: my entry names a nonce I already used")
                   : refuse(why, HANSA_ERR_PROTOCOL, "list: my entry is not one of my commitments");
    if (m.n < s->cfg.group.t)
        return refuse(why, HANSA_ERR_PROTOCOL, "list: fewer signers than the threshold");
    if (!s->cfg.approve(s->cfg.ctx, m.round, m.msg, m.msg_len))
        return refuse(why, HANSA_ERR_PROTOCOL, "msg: not a message I agree to sign");
    frost_derived *d = hansa_malloc(sizeof *d);
    e = frost_derive(&s->cfg.group.key, m.list, m.n, s->cfg.group.n, m.msg, m.msg_len, d);
    if (e != HANSA_OK) {
        free(d);
        return refuse(why, e, "list: the commitment list is not valid (RFC 9591)");
    }

    /* The nonce leaves the table now: whatever happens next, it is never
     * offered again. The next commitment is persisted first, so the share
     * can carry it; then the nonce is persisted USED; only then is the share
     * computed and released. */
    roast_nonce_rec rec;
    take_fresh(s, slot, &rec);
    roast_msg reply = {.kind = ROAST_MSG_SHARE, .group_key = m.group_key, .round = m.round,
                       .session = m.session};
    e = fresh_nonce(s, m.round, &reply.commitment);
    if (e != HANSA_OK) {
        s->fresh[s->n_fresh++] = rec; /* untouched: still usable */
        frost_wipe(&rec, sizeof rec);
        free(d);
        return refuse(why, e, "persist: could not store the next nonce");
    }
    roast_nonce_rec used = rec;
    memset(&used.nonces, 0, sizeof used.nonces);
    used.state = ROAST_NONCE_USED;
    remember_used(s, &rec.commitment);
    if (!s->cfg.persist(s->cfg.ctx, &used)) {
        frost_wipe(&rec, sizeof rec);
        free(d);
        return refuse(why, HANSA_ERR_IO, "persist: could not mark the nonce used");
    }
    e = frost_sign(d, &rec.commitment, &s->cfg.share, &rec.nonces, &reply.z);
    frost_wipe(&rec, sizeof rec);
    free(d);
    HANSA_ASSERT(e == HANSA_OK); /* my entry is in the list, the nonces were fresh */
    roast_msg_encode(out, &reply);
    return HANSA_OK;
}

/* ---- the coordinator -------------------------------------------------------------------- */

typedef enum {
    SIGNER_IDLE,      /* no commitment yet */
    SIGNER_READY,     /* holds an unused commitment */
    SIGNER_BUSY,      /* in a session, its share awaited */
    SIGNER_MALICIOUS, /* sent a bad share: never used again */
} signer_status;

typedef struct {
    signer_status st;
    frost_commitment pending; /* READY */
    uint64_t ready_seq;       /* READY: order in which signers became ready */
    uint32_t session;         /* BUSY */
} signer_slot;

typedef struct {
    frost_derived *d;         /* freed once the session can no longer finish */
    frost_scalar z[FROST_PARTICIPANTS_MAX];
    uint8_t answered[FROST_PARTICIPANTS_MAX / 8];
    uint16_t n_answered;
    bool dead;                /* a member left or cheated */
} session;

/* A bound on sessions, above ROAST's n - t + 1 because a signer that
 * restarts re-enters with a new commitment and leaves its session stuck. */
#define SESSIONS_MAX (4 * FROST_PARTICIPANTS_MAX)

typedef struct {
    roast_out out;
    size_t bytes_off, to_off;
} pending_out;

struct roast_coord {
    frost_group group;
    uint64_t round;
    uint8_t *msg;
    size_t msg_len;
    signer_slot signers[FROST_PARTICIPANTS_MAX];
    session *sessions;
    uint32_t n_sessions, cap_sessions;
    uint64_t seq;
    bool done;
    frost_sig sig;

    pending_out *outs;
    size_t n_outs, cap_outs;
    hbuf bytes;
    uint16_t *ids;
    size_t n_ids, cap_ids;
    roast_out *drained;
    bool drained_pending;
};

roast_coord *roast_coord_new(const roast_coord_config *cfg) {
    HANSA_ASSERT(cfg->group.n >= 1 && cfg->group.n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(cfg->group.t >= 1 && cfg->group.t <= cfg->group.n);
    HANSA_ASSERT(cfg->msg_len <= ROAST_MSG_MAX);
    HANSA_ASSERT(cfg->msg != NULL || cfg->msg_len == 0);
    roast_coord *c = hansa_calloc(1, sizeof *c);
    c->group = cfg->group;
    c->round = cfg->round;
    c->msg = hansa_memdup(cfg->msg, cfg->msg_len);
    c->msg_len = cfg->msg_len;
    return c;
}

void roast_coord_free(roast_coord *c) {
    if (!c) return;
    for (uint32_t i = 0; i < c->n_sessions; i++) free(c->sessions[i].d);
    free(c->sessions);
    free(c->msg);
    free(c->outs);
    free(c->ids);
    free(c->drained);
    hbuf_free(&c->bytes);
    free(c);
}

const frost_sig *roast_coord_signature(const roast_coord *c) { return c->done ? &c->sig : NULL; }

uint32_t roast_coord_sessions(const roast_coord *c) { return c->n_sessions; }

static void outputs_begin(roast_coord *c) {
    if (!c->drained_pending) return;
    c->n_outs = 0;
    c->n_ids = 0;
    hbuf_reset(&c->bytes);
    c->drained_pending = false;
}

static pending_out *push_out(roast_coord *c, roast_out_kind kind) {
    if (c->n_outs == c->cap_outs) {
        c->cap_outs = c->cap_outs ? 2 * c->cap_outs : 8;
        c->outs = hansa_realloc(c->outs, c->cap_outs * sizeof *c->outs);
    }
    pending_out *p = &c->outs[c->n_outs++];
    memset(p, 0, sizeof *p);
    p->out.kind = kind;
    return p;
}

size_t roast_coord_drain(roast_coord *c, const roast_out **out) {
    free(c->drained);
    c->drained = hansa_calloc(c->n_outs ? c->n_outs : 1, sizeof *c->drained);
    for (size_t i = 0; i < c->n_outs; i++) {
        c->drained[i] = c->outs[i].out;
        if (c->outs[i].out.len) c->drained[i].bytes = c->bytes.data + c->outs[i].bytes_off;
        if (c->outs[i].out.n_to) c->drained[i].to = c->ids + c->outs[i].to_off;
    }
    *out = c->drained;
    c->drained_pending = true;
    return c->n_outs;
}

static void kill_session(roast_coord *c, uint32_t sid) {
    session *se = &c->sessions[sid];
    se->dead = true;
    free(se->d);
    se->d = NULL;
}

/* Opens sessions while t signers are ready: the t that became ready first. */
static void open_sessions(roast_coord *c) {
    for (;;) {
        uint16_t t = c->group.t, picked[FROST_PARTICIPANTS_MAX], n_picked = 0;
        size_t ready = 0;
        for (uint16_t i = 0; i < c->group.n; i++) ready += c->signers[i].st == SIGNER_READY;
        if (ready < t || c->n_sessions == SESSIONS_MAX) return;
        while (n_picked < t) {
            uint16_t best = 0;
            for (uint16_t i = 1; i <= c->group.n; i++) {
                const signer_slot *sl = &c->signers[i - 1];
                if (sl->st != SIGNER_READY) continue;
                bool taken = false;
                for (uint16_t k = 0; k < n_picked; k++) taken |= picked[k] == i;
                if (!taken && (best == 0 || sl->ready_seq < c->signers[best - 1].ready_seq)) best = i;
            }
            picked[n_picked++] = best;
        }
        /* The list is sorted by identifier (RFC 9591 section 4.3). */
        roast_msg req = {.kind = ROAST_MSG_REQUEST, .group_key = c->group.key, .round = c->round,
                         .session = c->n_sessions, .msg = c->msg, .msg_len = (uint32_t)c->msg_len,
                         .n = t};
        uint16_t k = 0;
        for (uint16_t i = 1; i <= c->group.n; i++)
            for (uint16_t j = 0; j < t; j++)
                if (picked[j] == i) req.list[k++] = c->signers[i - 1].pending;
        HANSA_ASSERT(k == t);
        if (c->n_sessions == c->cap_sessions) {
            c->cap_sessions = c->cap_sessions ? 2 * c->cap_sessions : 4;
            c->sessions = hansa_realloc(c->sessions, c->cap_sessions * sizeof *c->sessions);
        }
        session *se = &c->sessions[c->n_sessions++];
        memset(se, 0, sizeof *se);
        se->d = hansa_malloc(sizeof *se->d);
        if (frost_derive(&c->group.key, req.list, t, c->group.n, c->msg, c->msg_len, se->d) !=
            HANSA_OK) {
            /* Every element was checked on arrival, so only an identity group
             * commitment gets here, which no signer can steer to (binding
             * factors depend on all commitments). The session is dead and its
             * members stay busy: liveness is lost only in that case. */
            kill_session(c, req.session);
        }
        for (uint16_t j = 0; j < t; j++) {
            signer_slot *sl = &c->signers[req.list[j].id - 1];
            sl->st = SIGNER_BUSY;
            sl->session = req.session;
        }
        if (se->dead) continue;
        pending_out *p = push_out(c, ROAST_OUT_REQUEST);
        p->bytes_off = c->bytes.len;
        roast_msg_encode(&c->bytes, &req);
        p->out.len = c->bytes.len - p->bytes_off;
        if (c->n_ids + t > c->cap_ids) {
            c->cap_ids = 2 * (c->n_ids + t);
            c->ids = hansa_realloc(c->ids, c->cap_ids * sizeof *c->ids);
        }
        p->to_off = c->n_ids;
        p->out.n_to = t;
        for (uint16_t j = 0; j < t; j++) c->ids[c->n_ids++] = req.list[j].id;
    }
}

static void make_ready(roast_coord *c, uint16_t id, const frost_commitment *cm) {
    signer_slot *sl = &c->signers[id - 1];
    sl->st = SIGNER_READY;
    sl->pending = *cm;
    sl->ready_seq = c->seq++;
}

static hansa_err on_share(roast_coord *c, uint16_t from, const roast_msg *m, const char **why) {
    signer_slot *sl = &c->signers[from - 1];
    if (m->session >= c->n_sessions)
        return refuse(why, HANSA_ERR_PROTOCOL, "session: no such session");
    session *se = &c->sessions[m->session];
    if ((se->answered[(from - 1) / 8] >> ((from - 1) % 8)) & 1)
        return refuse(why, HANSA_ERR_DUPLICATE, "share: already have it");
    if (sl->st != SIGNER_BUSY || sl->session != m->session)
        return refuse(why, HANSA_ERR_PROTOCOL, "session: the sender is not in it");
    if (se->dead) {
        /* The session cannot finish, but the signer answered: ready again. */
        make_ready(c, from, &m->commitment);
        open_sessions(c);
        return HANSA_OK;
    }
    long idx = -1;
    for (size_t i = 0; i < se->d->n; i++)
        if (se->d->list[i].id == from) idx = (long)i;
    HANSA_ASSERT(idx >= 0);
    /* RFC 9591 section 5.4: verify each share; a bad one names its signer. */
    if (!frost_share_verify(se->d, from, &c->group.shares[from - 1], &m->z)) {
        sl->st = SIGNER_MALICIOUS;
        kill_session(c, m->session);
        pending_out *p = push_out(c, ROAST_OUT_BLAME);
        p->out.culprit = from;
        return HANSA_OK;
    }
    se->z[idx] = m->z;
    se->answered[(from - 1) / 8] |= (uint8_t)(1u << ((from - 1) % 8));
    se->n_answered++;
    make_ready(c, from, &m->commitment);
    if (se->n_answered == se->d->n) {
        HANSA_ASSERT(frost_aggregate(se->d, se->z, &c->sig) == HANSA_OK);
        /* Every share verified, so the sum is a valid signature. */
        HANSA_ASSERT(frost_verify(&c->group.key, c->msg, c->msg_len, &c->sig));
        c->done = true;
        pending_out *p = push_out(c, ROAST_OUT_DONE);
        p->out.sig = c->sig;
        return HANSA_OK;
    }
    open_sessions(c);
    return HANSA_OK;
}

hansa_err roast_coord_on_message(roast_coord *c, uint16_t from, const uint8_t *msg, size_t len,
                                 const char **why) {
    outputs_begin(c);
    if (c->done) return refuse(why, HANSA_ERR_STATE, "run: already done");
    if (from == 0 || from > c->group.n)
        return refuse(why, HANSA_ERR_PROTOCOL, "from: not a signer of this group");
    roast_msg m;
    hansa_err e = roast_msg_decode(msg, len, &m, NULL);
    if (e != HANSA_OK) return refuse(why, e, "message: malformed");
    if (m.kind == ROAST_MSG_REQUEST)
        return refuse(why, HANSA_ERR_PROTOCOL, "kind: coordinators send REQUESTs, not take them");
    if (!frost_point_eq(&m.group_key, &c->group.key))
        return refuse(why, HANSA_ERR_PROTOCOL, "group_key: another group");
    if (m.round != c->round) return refuse(why, HANSA_ERR_PROTOCOL, "round: another round");
    if (m.commitment.id != from)
        return refuse(why, HANSA_ERR_PROTOCOL, "signer: not the sender of the message");
    signer_slot *sl = &c->signers[from - 1];
    if (sl->st == SIGNER_MALICIOUS) return refuse(why, HANSA_ERR_STATE, "signer: marked malicious");
    if (m.kind == ROAST_MSG_SHARE) return on_share(c, from, &m, why);
    /* A COMMIT: the signer's first, or a fresh start after it restarted. A
     * session it was in can no longer finish. */
    if (sl->st == SIGNER_BUSY && !c->sessions[sl->session].dead) kill_session(c, sl->session);
    make_ready(c, from, &m.commitment);
    open_sessions(c);
    return HANSA_OK;
}
