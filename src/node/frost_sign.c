/* frost_sign.c — a delegate signs its chain's checkpoints with its FROST
 * group (issue 14 phase 3; see frost_sign.h and docs/frost.md).
 *
 * After block h is committed (h a multiple of frost_checkpoint_every), with a
 * group key recorded for the epoch of the set deciding h+1 and my signing
 * share for that key:
 *   - the checkpoint message is checkpoint_msg(chain, h, header hash of h,
 *     epoch); it is what my signer approves for round h, nothing else;
 *   - the coordinator of round h is the proposer of block h (a member that
 *     was up a moment ago; any member can check the result, so it needs to
 *     be honest only for liveness), or member (h mod n)+1 if the proposer is
 *     not in the group;
 *   - every member sends the coordinator a fresh commitment (COMMIT); the
 *     coordinator runs threshold/roast.c: REQUESTs to t ready signers,
 *     SHAREs back, another subset if one stays silent or cheats;
 *   - the aggregate is verified against the group key, stored
 *     (store_checkpoint_put) and sent to every peer as MSG_CHECKPOINT; a
 *     delegate stores one only after the same check and after matching its
 *     own header hash for that height.
 * ROAST messages travel in a signed envelope (roast_env) broadcast to every
 * peer; a member acts only on envelopes its signer's delegate key signed.
 * Messages for a round this node has not reached yet wait in a small
 * buffer. Rounds older than FSIGN_ROUNDS blocks are dropped with their
 * unused nonces.
 *
 * Nonces: the signer (roast_signer) persists each nonce pair FRESH before
 * its commitment leaves, and USED before the share leaves; here both go to
 * one record (store_put_roast, fsync'd) that lists exactly the unused pairs.
 * A restarted node rebuilds its signer from that record, so a used nonce is
 * never offered again and a REQUEST naming one is refused. */
#include "node/frost_sign.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "ledger/tx_frost.h"
#include "node/frost_duty.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "threshold/checkpoint.h"
#include "threshold/roast.h"

/* Rounds kept open: a round's messages count this many blocks after it. */
#define FSIGN_ROUNDS 8
/* Envelopes kept for rounds this node has not committed yet. */
#define FSIGN_EARLY_MAX 64

typedef struct {
    uint64_t height; /* 0: free slot */
    hbuf msg;        /* the checkpoint message */
    uint16_t coord;  /* its coordinator */
    roast_coord *c;  /* when I coordinate */
    bool stored;     /* its checkpoint is stored here */
} fsign_round;

typedef struct {
    uint64_t round;
    hbuf bytes; /* the whole envelope */
} fsign_early;

typedef struct node_fsign {
    uint64_t epoch;
    uint16_t me;
    frost_group group;
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
    roast_signer *signer;
    roast_nonce_rec nonces[ROAST_FRESH_MAX]; /* what the stored record lists */
    size_t n_nonces;
    fsign_round rounds[FSIGN_ROUNDS];
    fsign_early early[FSIGN_EARLY_MAX];
    size_t n_early;
    uint64_t last_round, last_stored, sessions;
} node_fsign;

/* ---- the stored nonces --------------------------------------------------------------- */

static bool nonces_write(node *n) {
    node_fsign *s = n->fsign;
    hbuf b = HBUF_INIT;
    roast_nonces_encode(&b, s->epoch, s->nonces, s->n_nonces);
    hansa_err err = store_put_roast(n->cfg.st, b.data, b.len);
    frost_wipe(b.data, b.len);
    hbuf_free(&b);
    if (err != HANSA_OK)
        LOG_E("frost", "storing my signing nonces failed: %s", store_errmsg(n->cfg.st));
    return err == HANSA_OK;
}

static bool same_commitment(const frost_commitment *a, const frost_commitment *b) {
    return a->id == b->id && frost_point_eq(&a->hiding, &b->hiding) &&
           frost_point_eq(&a->binding, &b->binding);
}

static void nonce_remove(node_fsign *s, size_t i) {
    s->nonces[i] = s->nonces[--s->n_nonces];
    frost_wipe(&s->nonces[s->n_nonces], sizeof s->nonces[0]);
}

/* roast_signer_config.persist: FRESH joins the record, USED leaves it. */
static bool persist(void *ctx, const roast_nonce_rec *rec) {
    node *n = ctx;
    node_fsign *s = n->fsign;
    switch (rec->state) {
    case ROAST_NONCE_FRESH:
        if (s->n_nonces == ROAST_FRESH_MAX) return false;
        s->nonces[s->n_nonces++] = *rec;
        break;
    case ROAST_NONCE_USED:
        for (size_t i = 0; i < s->n_nonces; i++)
            if (same_commitment(&s->nonces[i].commitment, &rec->commitment)) {
                nonce_remove(s, i);
                break;
            }
        break;
    }
    return nonces_write(n);
}

/* Reads the stored unused nonces of `epoch` into s->nonces (none if the
 * record is for another epoch, missing or unreadable). */
static void nonces_load(node *n) {
    node_fsign *s = n->fsign;
    hbuf b = HBUF_INIT;
    s->n_nonces = 0;
    if (store_get_roast(n->cfg.st, &b) == HANSA_OK) {
        uint64_t epoch;
        wire_rd r;
        hansa_err err = roast_nonces_decode(b.data, b.len, &epoch, s->nonces, &s->n_nonces, &r);
        if (err != HANSA_OK) {
            char where[128];
            rd_describe(&r, where, sizeof where);
            LOG_W("frost", "my stored signing nonces are unreadable (%s); dropping them", where);
        } else if (epoch != s->epoch) {
            frost_wipe(s->nonces, sizeof s->nonces);
            s->n_nonces = 0;
        }
        for (size_t i = 0; i < s->n_nonces;)
            if (s->nonces[i].commitment.id != s->me) nonce_remove(s, i);
            else i++;
    }
    frost_wipe(b.data, b.len);
    hbuf_free(&b);
}

/* ---- rounds ------------------------------------------------------------------------------ */

static fsign_round *round_find(node_fsign *s, uint64_t h) {
    for (size_t i = 0; i < FSIGN_ROUNDS; i++)
        if (s->rounds[i].height == h && h != 0) return &s->rounds[i];
    return NULL;
}

static void round_clear(fsign_round *r) {
    roast_coord_free(r->c);
    hbuf_free(&r->msg);
    memset(r, 0, sizeof *r);
}

/* roast_signer_config.approve: the checkpoint of a block I committed. */
static bool approve(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    node *n = ctx;
    const fsign_round *r = round_find(n->fsign, round);
    return r != NULL && r->msg.len == len && memcmp(r->msg.data, msg, len) == 0;
}

static uint32_t chain_id(const node *n) { return ledger_state_params(n->state)->chain_id; }

/* Broadcasts roast message bytes in my signed envelope. */
static void send_env(node *n, const uint8_t *msg, size_t len) {
    hbuf b = HBUF_INIT;
    roast_env_encode(&b, chain_id(n), n->fsign->me, msg, len, n->cfg.key);
    n->io.broadcast(n->io.ctx, MSG_ROAST, b.data, b.len, NULL);
    hbuf_free(&b);
}

static void checkpoint_store(node *n, fsign_round *r, const checkpoint *cp) {
    hbuf b = HBUF_INIT;
    checkpoint_encode(&b, cp);
    if (store_checkpoint_put(n->cfg.st, cp->height, b.data, b.len) != HANSA_OK) {
        LOG_E("frost", "storing the checkpoint of %" PRIu64 " failed: %s", cp->height,
              store_errmsg(n->cfg.st));
    } else {
        r->stored = true;
        if (cp->height > n->fsign->last_stored) n->fsign->last_stored = cp->height;
    }
    hbuf_free(&b);
}

/* The coordinator's signature: checked like anyone's, stored, sent. */
static void on_signature(node *n, fsign_round *r, const frost_sig *sig) {
    node_fsign *s = n->fsign;
    checkpoint cp = {.height = r->height, .epoch = s->epoch, .group_key = s->group.key,
                     .sig = *sig};
    cp.header_hash = n->block_hash;
    if (r->height != n->height) { /* the checkpoint message holds the hash */
        HANSA_ASSERT(r->msg.len == CHECKPOINT_MSG_BYTES);
        memcpy(cp.header_hash.b, r->msg.data + 19 + 4 + 8, HANSA_HASH_BYTES);
    }
    if (!checkpoint_verify(chain_id(n), &cp)) {
        LOG_E("frost", "round %" PRIu64 ": the aggregate signature does not verify", r->height);
        return;
    }
    LOG_I("frost", "checkpoint %" PRIu64 " signed (%u session(s))", r->height,
          roast_coord_sessions(r->c));
    checkpoint_store(n, r, &cp);
    hbuf b = HBUF_INIT;
    checkpoint_encode(&b, &cp);
    n->io.broadcast(n->io.ctx, MSG_CHECKPOINT, b.data, b.len, NULL);
    hbuf_free(&b);
}

/* Handles my coordinator's outputs; a REQUEST that names me is answered by
 * my own signer and fed back once the outputs are handled (they live only
 * until the next call into the coordinator). */
static void coord_pump(node *n, fsign_round *r) {
    node_fsign *s = n->fsign;
    hbuf mine = HBUF_INIT;
    for (;;) {
        const roast_out *o;
        size_t count = roast_coord_drain(r->c, &o);
        if (count == 0) break;
        for (size_t k = 0; k < count; k++) {
            switch (o[k].kind) {
            case ROAST_OUT_REQUEST: {
                bool to_me = false;
                s->sessions++;
                for (size_t i = 0; i < o[k].n_to; i++) to_me |= o[k].to[i] == s->me;
                send_env(n, o[k].bytes, o[k].len);
                const char *why = NULL;
                if (to_me && roast_signer_on_request(s->signer, o[k].bytes, o[k].len, &mine,
                                                     &why) != HANSA_OK)
                    LOG_W("frost", "round %" PRIu64 ": my signer refused my request: %s",
                          r->height, why ? why : "?");
                break;
            }
            case ROAST_OUT_DONE: on_signature(n, r, &o[k].sig); break;
            case ROAST_OUT_BLAME:
                LOG_W("frost", "round %" PRIu64 ": participant %u sent a bad share", r->height,
                      o[k].culprit);
                break;
            }
        }
        if (mine.len == 0) break;
        const char *why = NULL;
        if (roast_coord_on_message(r->c, s->me, mine.data, mine.len, &why) != HANSA_OK)
            LOG_W("frost", "round %" PRIu64 ": my own share was refused: %s", r->height,
                  why ? why : "?");
        hbuf_reset(&mine);
    }
    hbuf_free(&mine);
}

/* ---- messages ---------------------------------------------------------------------------- */

static void early_keep(node_fsign *s, uint64_t round, const uint8_t *bytes, size_t len) {
    if (s->n_early == FSIGN_EARLY_MAX) return; /* the round will do without it */
    fsign_early *e = &s->early[s->n_early++];
    e->round = round;
    e->bytes = (hbuf)HBUF_INIT;
    hbuf_append(&e->bytes, bytes, len);
}

/* One verified envelope's ROAST message from member `from`. */
static void on_roast(node *n, void *peer, uint16_t from, const uint8_t *env, size_t env_len,
                     const uint8_t *msg, size_t len) {
    node_fsign *s = n->fsign;
    roast_msg m;
    if (roast_msg_decode(msg, len, &m, NULL) != HANSA_OK) {
        if (peer) n->io.drop(n->io.ctx, peer, "malformed ROAST message");
        return;
    }
    if (!frost_point_eq(&m.group_key, &s->group.key)) return; /* another epoch's */
    fsign_round *r = round_find(s, m.round);
    if (r == NULL) {
        if (m.round > n->height && m.round <= n->height + FSIGN_ROUNDS)
            early_keep(s, m.round, env, env_len);
        return;
    }
    const char *why = NULL;
    hansa_err err;
    switch (m.kind) {
    case ROAST_MSG_COMMIT:
    case ROAST_MSG_SHARE:
        if (r->c == NULL) return; /* for another coordinator */
        err = roast_coord_on_message(r->c, from, msg, len, &why);
        if (err != HANSA_OK && err != HANSA_ERR_STATE && err != HANSA_ERR_DUPLICATE)
            LOG_W("frost", "round %" PRIu64 ": message of participant %u refused: %s", m.round,
                  from, why ? why : hansa_errname(err));
        coord_pump(n, r);
        return;
    case ROAST_MSG_REQUEST: {
        bool named = false;
        for (uint16_t i = 0; i < m.n; i++) named |= m.list[i].id == s->me;
        if (from != r->coord || !named) return; /* requests go to every peer */
        hbuf share = HBUF_INIT;
        err = roast_signer_on_request(s->signer, msg, len, &share, &why);
        if (err == HANSA_OK) {
            hbuf b = HBUF_INIT;
            roast_env_encode(&b, chain_id(n), s->me, share.data, share.len, n->cfg.key);
            if (peer) n->io.send(n->io.ctx, peer, MSG_ROAST, b.data, b.len);
            else n->io.broadcast(n->io.ctx, MSG_ROAST, b.data, b.len, NULL);
            hbuf_free(&b);
        } else {
            LOG_W("frost", "round %" PRIu64 ": request of coordinator %u refused: %s", m.round,
                  from, why ? why : hansa_errname(err));
        }
        hbuf_free(&share);
        return;
    }
    }
}

static void on_envelope(node *n, void *peer, const uint8_t *bytes, size_t len) {
    node_fsign *s = n->fsign;
    roast_env e;
    if (roast_env_decode(bytes, len, &e, NULL) != HANSA_OK) {
        if (peer) n->io.drop(n->io.ctx, peer, "malformed ROAST envelope");
        return;
    }
    if (s->signer == NULL || e.chain_id != chain_id(n) || e.from > s->group.n ||
        e.from == s->me)
        return;
    if (!roast_env_verify(bytes, len, &s->members[e.from - 1])) return; /* not a member's */
    on_roast(n, peer, e.from, bytes, len, e.msg, e.msg_len);
}

static void on_checkpoint(node *n, void *peer, const uint8_t *bytes, size_t len) {
    node_fsign *s = n->fsign;
    checkpoint cp;
    if (checkpoint_decode(bytes, len, &cp, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed CHECKPOINT");
        return;
    }
    fsign_round *r = s->signer ? round_find(s, cp.height) : NULL;
    if (r == NULL || r->stored || cp.epoch != s->epoch ||
        !frost_point_eq(&cp.group_key, &s->group.key))
        return;
    hbuf msg = HBUF_INIT;
    checkpoint_msg(&msg, chain_id(n), cp.height, &cp.header_hash, cp.epoch);
    bool mine = msg.len == r->msg.len && memcmp(msg.data, r->msg.data, msg.len) == 0;
    hbuf_free(&msg);
    if (!mine || !checkpoint_verify(chain_id(n), &cp)) {
        LOG_W("frost", "a checkpoint for %" PRIu64 " that is not this chain's was refused",
              cp.height);
        return;
    }
    checkpoint_store(n, r, &cp);
}

void frost_sign_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len) {
    if (n->fsign == NULL) return; /* not signing: nothing to check them against */
    if (type == MSG_ROAST) on_envelope(n, peer, bytes, len);
    else on_checkpoint(n, peer, bytes, len);
}

/* ---- the duty ---------------------------------------------------------------------------- */

static void signer_stop(node *n) {
    node_fsign *s = n->fsign;
    roast_signer_free(s->signer);
    s->signer = NULL;
    for (size_t i = 0; i < FSIGN_ROUNDS; i++) round_clear(&s->rounds[i]);
    for (size_t i = 0; i < s->n_early; i++) hbuf_free(&s->early[i].bytes);
    s->n_early = 0;
    frost_wipe(s->nonces, sizeof s->nonces);
    s->n_nonces = 0;
}

/* Makes sure my signer is the one for the key of the set deciding the next
 * block; false if I hold no share for it. */
static bool signer_ready(node *n) {
    node_fsign *s = n->fsign;
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(n->state, e);
    frost_group_rec g;
    uint64_t epoch;
    uint16_t me;
    frost_group *group = hansa_malloc(sizeof *group);
    frost_scalar share;
    bool ok = ledger_group_key_get(n->state, e->ctx.epoch, &g) &&
              frost_duty_signing_share(n, &epoch, &me, group, &share) && epoch == e->ctx.epoch &&
              frost_point_eq(&group->key, &g.key) && group->n == e->ctx.n;
    if (ok && (s->signer == NULL || s->epoch != epoch)) {
        if (s->signer) signer_stop(n);
        s->epoch = epoch;
        s->me = me;
        s->group = *group;
        memcpy(s->members, e->members, sizeof s->members);
        nonces_load(n);
        roast_signer_config cfg = {.group = *group, .id = me, .share = share,
                                   .rng = crypto_os_rng(), .ctx = n, .persist = persist,
                                   .approve = approve};
        s->signer = roast_signer_new(&cfg, s->nonces, s->n_nonces);
        frost_wipe(&cfg.share, sizeof cfg.share);
        LOG_I("frost", "epoch %" PRIu64 ": signing checkpoints as participant %u of %u "
              "(threshold %u, %zu stored nonce(s))", epoch, me, group->n, group->t, s->n_nonces);
    } else if (!ok && s->signer) {
        signer_stop(n);
    }
    frost_wipe(&share, sizeof share);
    free(group);
    free(e);
    return ok;
}

/* Forgets the rounds (and their unused nonces) that are too old to finish. */
static void rounds_expire(node *n) {
    node_fsign *s = n->fsign;
    uint64_t before = n->height >= FSIGN_ROUNDS ? n->height - FSIGN_ROUNDS + 1 : 0;
    for (size_t i = 0; i < FSIGN_ROUNDS; i++)
        if (s->rounds[i].height != 0 && s->rounds[i].height < before) round_clear(&s->rounds[i]);
    if (roast_signer_forget(s->signer, before) == 0) return;
    for (size_t i = 0; i < s->n_nonces;)
        if (s->nonces[i].round < before) nonce_remove(s, i);
        else i++;
    nonces_write(n);
}

static uint16_t coordinator_of(const node_fsign *s, const wire_block *blk) {
    for (uint16_t i = 0; i < s->group.n; i++)
        if (pubkey_eq(&s->members[i], &blk->header.proposer)) return (uint16_t)(i + 1);
    return (uint16_t)(blk->header.height % s->group.n + 1);
}

/* Replays the envelopes that came before this round did. */
static void early_replay(node *n, uint64_t round) {
    node_fsign *s = n->fsign;
    for (size_t i = 0; i < s->n_early;) {
        if (s->early[i].round > round) {
            i++;
            continue;
        }
        hbuf b = s->early[i].bytes;
        s->early[i] = s->early[--s->n_early];
        if (b.len && n->fsign->signer) on_envelope(n, NULL, b.data, b.len);
        hbuf_free(&b);
    }
}

void frost_sign_on_commit(node *n, const wire_block *blk) {
    if (n->frost == NULL || n->cfg.frost_checkpoint_every == 0) return;
    if (n->fsign == NULL) n->fsign = hansa_calloc(1, sizeof *n->fsign);
    node_fsign *s = n->fsign;
    if (!signer_ready(n)) return;
    rounds_expire(n);
    uint64_t h = n->height;
    if (h % n->cfg.frost_checkpoint_every != 0) return;
    fsign_round *r = NULL;
    for (size_t i = 0; i < FSIGN_ROUNDS && r == NULL; i++)
        if (s->rounds[i].height == 0) r = &s->rounds[i];
    HANSA_ASSERT(r != NULL); /* one round per block, FSIGN_ROUNDS blocks kept */
    r->height = h;
    r->msg = (hbuf)HBUF_INIT;
    checkpoint_msg(&r->msg, chain_id(n), h, &n->block_hash, s->epoch);
    r->coord = coordinator_of(s, blk);
    s->last_round = h;
    if (r->coord == s->me) {
        roast_coord_config cc = {.group = s->group, .round = h, .msg = r->msg.data,
                                 .msg_len = r->msg.len};
        r->c = roast_coord_new(&cc);
    }
    hbuf commit = HBUF_INIT;
    hansa_err err = roast_signer_commit(s->signer, h, &commit);
    if (err != HANSA_OK) {
        LOG_W("frost", "round %" PRIu64 ": no commitment from me (%s)", h, hansa_errname(err));
    } else if (r->c) {
        const char *why = NULL;
        if (roast_coord_on_message(r->c, s->me, commit.data, commit.len, &why) != HANSA_OK)
            LOG_W("frost", "round %" PRIu64 ": my own commitment was refused: %s", h,
                  why ? why : "?");
        coord_pump(n, r);
    } else {
        send_env(n, commit.data, commit.len);
    }
    hbuf_free(&commit);
    early_replay(n, h);
}

void frost_sign_close(node *n) {
    if (n->fsign == NULL) return;
    signer_stop(n);
    frost_wipe(n->fsign, sizeof *n->fsign);
    free(n->fsign);
    n->fsign = NULL;
}

void node_fsign_status(const node *n, node_fsign_state *out) {
    memset(out, 0, sizeof *out);
    const node_fsign *s = n->fsign;
    if (s == NULL) return;
    out->signing = s->signer != NULL;
    out->participant = s->signer ? s->me : 0;
    out->last_round = s->last_round;
    out->last_stored = s->last_stored;
    out->sessions = s->sessions;
}
