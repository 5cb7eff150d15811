/* frost_sign.c — a delegate signs its chain's checkpoints with its FROST
 * group, and the handoff to each new group (issue 14 phase 3; see
 * frost_sign.h and docs/frost.md, "Checkpoint signing").
 *
 * After block h is committed (h a multiple of frost_checkpoint_every), the
 * checkpoint of h is signed under the newest group key the chain has
 * recorded, by the members holding a share of it:
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
 *     own header hash for that height;
 *   - the blocks from the one that recorded the key until my share arrived
 *     (the session ends after the chain records its key) are signed once it
 *     does (sign_missed).
 * Handoff: at the block that records a new key, the members of the previous
 * key's group sign handoff_msg(chain, old epoch, new epoch, new key, t, n)
 * the same way (round HANDOFF_ROUND(new epoch), coordinator the proposer of
 * that block), store it (store_handoff_put) and send it (MSG_HANDOFF). The
 * old signer is kept in memory for that, and the DKG record keeps the old
 * share until the handoff is stored (frost_duty.c), so a member restarted
 * between the new set's activation and the handoff signs it too.
 *
 * ROAST messages travel in a signed envelope (roast_env) broadcast to every
 * peer; a member acts only on envelopes its group's delegate key signed.
 * Messages for a round this node has not reached yet wait in a small
 * buffer. Rounds older than FSIGN_ROUNDS blocks are dropped with their
 * unused nonces.
 *
 * Nonces: the signer (roast_signer) persists each nonce pair FRESH before
 * its commitment leaves, and USED before the share leaves; here both go to
 * one record (store_put_roast, fsync'd) that lists exactly the unused pairs.
 * A restarted node rebuilds its signer from that record, so a used nonce is
 * never offered again and a REQUEST naming one is refused; and it reopens
 * the rounds those nonces were drawn for, sending their commitments to the
 * coordinators again (rounds_reopen). */
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

/* Blocks a round stays open: its messages count this long after it. */
#define FSIGN_ROUNDS 8
/* Checkpoint rounds, plus the handoffs that may overlap them. */
#define FSIGN_SLOTS (FSIGN_ROUNDS + 2)
/* Envelopes kept for rounds this node has not committed yet. */
#define FSIGN_EARLY_MAX 64

/* One group key I sign with (allocated: its signer's callbacks hold it). */
typedef struct {
    uint64_t epoch;
    uint16_t me;
    frost_group group;
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
    roast_signer *signer;
    node *n;
    /* The link each member's envelopes came on (NULL: not seen yet): a
     * message for one member goes there, not to every peer. A peer that
     * replays another member's envelope can only divert what I send that
     * member, which ROAST survives as a silent signer. */
    void *peer[FROST_PARTICIPANTS_MAX];
} fsign_key;

typedef struct {
    uint64_t round;     /* a height, or HANDOFF_ROUND(new epoch); 0: free slot */
    uint64_t epoch;     /* the key that signs it */
    uint64_t opened_at; /* my height when it opened */
    hbuf msg;           /* the message */
    uint16_t coord;     /* its coordinator */
    roast_coord *c;     /* when I coordinate */
    bool stored;        /* its result is stored here */
    handoff ho;         /* a handoff round: everything but the signature */
} fsign_round;

typedef struct {
    uint64_t round;
    uint64_t kept_at; /* my height when it came */
    hbuf bytes;       /* the whole envelope */
} fsign_early;

typedef struct node_fsign {
    fsign_key *cur; /* the newest key, or an older one until I hold the newest's share */
    fsign_key *old; /* the previous one, kept for a handoff in flight */
    roast_nonce_entry nonces[ROAST_NONCES_MAX]; /* what the stored record lists */
    size_t n_nonces;
    fsign_round rounds[FSIGN_SLOTS];
    fsign_early early[FSIGN_EARLY_MAX];
    size_t n_early;
    uint64_t last_round, last_stored, sessions;
} node_fsign;

static uint32_t chain_id(const node *n) { return ledger_state_params(n->state)->chain_id; }

/* ---- the chain's keys ---- */

typedef struct {
    uint64_t newest, prev;
    frost_group_rec g, prev_g;
} key_scan;

static void scan_key(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    key_scan *ks = ctx;
    if (epoch > ks->newest) {
        if (ks->newest) {
            ks->prev = ks->newest;
            ks->prev_g = ks->g;
        }
        ks->newest = epoch;
        ks->g = *g;
    } else if (epoch > ks->prev) {
        ks->prev = epoch;
        ks->prev_g = *g;
    }
}

/* The newest key recorded before epoch `before` (into ks->newest, ks->g). */
typedef struct {
    uint64_t before;
    key_scan *ks;
} key_before;

static void scan_before(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    const key_before *kb = ctx;
    if (epoch < kb->before) scan_key(kb->ks, epoch, g);
}


/* ---- the stored nonces --------------------------------------------------------------- */

static bool nonces_write(node *n) {
    node_fsign *s = n->fsign;
    hbuf b = HBUF_INIT;
    roast_nonces_encode(&b, s->nonces, s->n_nonces);
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
    fsign_key *k = ctx;
    node_fsign *s = k->n->fsign;
    switch (rec->state) {
    case ROAST_NONCE_FRESH:
        if (s->n_nonces == ROAST_NONCES_MAX) return false;
        s->nonces[s->n_nonces++] = (roast_nonce_entry){.epoch = k->epoch, .rec = *rec};
        break;
    case ROAST_NONCE_USED:
        for (size_t i = 0; i < s->n_nonces; i++)
            if (s->nonces[i].epoch == k->epoch &&
                same_commitment(&s->nonces[i].rec.commitment, &rec->commitment)) {
                nonce_remove(s, i);
                break;
            }
        break;
    }
    return nonces_write(k->n);
}

/* Reads the stored unused nonces (none if missing or unreadable). */
static void nonces_load(node *n) {
    node_fsign *s = n->fsign;
    hbuf b = HBUF_INIT;
    s->n_nonces = 0;
    if (store_get_roast(n->cfg.st, &b) == HANSA_OK) {
        wire_rd r;
        if (roast_nonces_decode(b.data, b.len, s->nonces, &s->n_nonces, &r) != HANSA_OK) {
            char where[128];
            rd_describe(&r, where, sizeof where);
            LOG_W("frost", "my stored signing nonces are unreadable (%s); dropping them", where);
        }
    }
    frost_wipe(b.data, b.len);
    hbuf_free(&b);
}

/* Keeps only the nonces of the keys I sign with, under my id in each. */
static void nonces_keep_mine(node *n) {
    node_fsign *s = n->fsign;
    size_t before = s->n_nonces;
    for (size_t i = 0; i < s->n_nonces;) {
        const roast_nonce_entry *e = &s->nonces[i];
        bool mine = (s->cur && e->epoch == s->cur->epoch && e->rec.commitment.id == s->cur->me) ||
                    (s->old && e->epoch == s->old->epoch && e->rec.commitment.id == s->old->me);
        if (mine) i++;
        else nonce_remove(s, i);
    }
    if (s->n_nonces != before) nonces_write(n);
}

/* ---- keys and rounds ----------------------------------------------------------------- */

static fsign_key *key_of_epoch(node_fsign *s, uint64_t epoch) {
    if (s->cur && s->cur->epoch == epoch) return s->cur;
    if (s->old && s->old->epoch == epoch) return s->old;
    return NULL;
}

static fsign_key *key_of_group(node_fsign *s, const frost_point *key) {
    if (s->cur && frost_point_eq(&s->cur->group.key, key)) return s->cur;
    if (s->old && frost_point_eq(&s->old->group.key, key)) return s->old;
    return NULL;
}

static void key_free(fsign_key **k) {
    if (*k == NULL) return;
    roast_signer_free((*k)->signer);
    frost_wipe(*k, sizeof **k);
    free(*k);
    *k = NULL;
}

static fsign_round *round_find(node_fsign *s, uint64_t round, uint64_t epoch) {
    for (size_t i = 0; i < FSIGN_SLOTS; i++)
        if (s->rounds[i].round == round && round != 0 && s->rounds[i].epoch == epoch)
            return &s->rounds[i];
    return NULL;
}

static bool round_open(const node_fsign *s, uint64_t round) {
    for (size_t i = 0; i < FSIGN_SLOTS; i++)
        if (s->rounds[i].round == round) return true;
    return false;
}

static void round_clear(fsign_round *r) {
    roast_coord_free(r->c);
    hbuf_free(&r->msg);
    memset(r, 0, sizeof *r);
}

/* roast_signer_config.approve: a message of a round I opened myself (the
 * checkpoint of a block I committed, or the handoff the chain recorded). */
static bool approve(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    fsign_key *k = ctx;
    const fsign_round *r = round_find(k->n->fsign, round, k->epoch);
    return r != NULL && r->msg.len == len && memcmp(r->msg.data, msg, len) == 0;
}

/* Sends roast message bytes in my signed envelope as member of k to the
 * members to[0..n_to) on their links, or to every peer if one of their
 * links is not known yet. */
static void send_env(node *n, const fsign_key *k, const uint16_t *to, size_t n_to,
                     const uint8_t *msg, size_t len) {
    hbuf b = HBUF_INIT;
    roast_env_encode(&b, chain_id(n), k->me, msg, len, n->cfg.key);
    bool known = true;
    for (size_t i = 0; i < n_to; i++) known &= to[i] == k->me || k->peer[to[i] - 1] != NULL;
    for (size_t i = 0; i < n_to && known; i++)
        if (to[i] != k->me) n->io.send(n->io.ctx, k->peer[to[i] - 1], MSG_ROAST, b.data, b.len);
    if (!known) n->io.broadcast(n->io.ctx, MSG_ROAST, b.data, b.len, NULL);
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

static bool handoff_stored(node *n, uint64_t new_epoch) {
    hbuf have = HBUF_INIT;
    bool stored = store_handoff_get(n->cfg.st, new_epoch, &have) == HANSA_OK;
    hbuf_free(&have);
    return stored;
}

static void handoff_store(node *n, fsign_round *r, const handoff *h) {
    hbuf b = HBUF_INIT;
    handoff_encode(&b, h);
    if (store_handoff_put(n->cfg.st, h->new_epoch, b.data, b.len) != HANSA_OK) {
        LOG_E("frost", "storing the handoff to epoch %" PRIu64 " failed: %s", h->new_epoch,
              store_errmsg(n->cfg.st));
    } else {
        r->stored = true;
        frost_duty_handoff_stored(n, h->old_epoch); /* its old share is no longer needed */
    }
    hbuf_free(&b);
}

/* The coordinator's signature: checked like anyone's, stored, sent. */
static void on_signature(node *n, fsign_round *r, const frost_sig *sig) {
    hbuf b = HBUF_INIT;
    if (r->round == HANDOFF_ROUND(r->ho.new_epoch)) {
        handoff h = r->ho;
        h.sig = *sig;
        if (!handoff_verify(chain_id(n), &h)) {
            LOG_E("frost", "handoff to epoch %" PRIu64 ": the aggregate does not verify",
                  h.new_epoch);
            return;
        }
        LOG_I("frost", "handoff from epoch %" PRIu64 " to epoch %" PRIu64 " signed", h.old_epoch,
              h.new_epoch);
        handoff_store(n, r, &h);
        handoff_encode(&b, &h);
        n->io.broadcast(n->io.ctx, MSG_HANDOFF, b.data, b.len, NULL);
        hbuf_free(&b);
        return;
    }
    const fsign_key *k = key_of_epoch(n->fsign, r->epoch);
    HANSA_ASSERT(k != NULL && r->msg.len == CHECKPOINT_MSG_BYTES);
    checkpoint cp = {.height = r->round, .epoch = r->epoch, .group_key = k->group.key,
                     .sig = *sig};
    memcpy(cp.header_hash.b, r->msg.data + 19 + 4 + 8, HANSA_HASH_BYTES); /* docs/wire.md */
    if (!checkpoint_verify(chain_id(n), &cp)) {
        LOG_E("frost", "round %" PRIu64 ": the aggregate signature does not verify", r->round);
        return;
    }
    LOG_I("frost", "checkpoint %" PRIu64 " signed (%u session(s))", r->round,
          roast_coord_sessions(r->c));
    checkpoint_store(n, r, &cp);
    checkpoint_encode(&b, &cp);
    n->io.broadcast(n->io.ctx, MSG_CHECKPOINT, b.data, b.len, NULL);
    hbuf_free(&b);
}

/* Handles my coordinator's outputs; a REQUEST that names me is answered by
 * my own signer and fed back once the outputs are handled (they live only
 * until the next call into the coordinator). */
static void coord_pump(node *n, fsign_round *r) {
    node_fsign *s = n->fsign;
    fsign_key *k = key_of_epoch(s, r->epoch);
    hbuf mine = HBUF_INIT;
    for (;;) {
        const roast_out *o;
        size_t count = roast_coord_drain(r->c, &o);
        if (count == 0) break;
        for (size_t i = 0; i < count; i++) {
            switch (o[i].kind) {
            case ROAST_OUT_REQUEST: {
                bool to_me = false;
                s->sessions++;
                for (size_t j = 0; j < o[i].n_to; j++) to_me |= o[i].to[j] == k->me;
                send_env(n, k, o[i].to, o[i].n_to, o[i].bytes, o[i].len);
                const char *why = NULL;
                if (to_me && roast_signer_on_request(k->signer, o[i].bytes, o[i].len, &mine,
                                                     &why) != HANSA_OK)
                    LOG_W("frost", "round %" PRIu64 ": my signer refused my request: %s",
                          r->round, why ? why : "?");
                break;
            }
            case ROAST_OUT_DONE: on_signature(n, r, &o[i].sig); break;
            case ROAST_OUT_BLAME:
                LOG_W("frost", "round %" PRIu64 ": participant %u sent a bad share", r->round,
                      o[i].culprit);
                break;
            }
        }
        if (mine.len == 0) break;
        const char *why = NULL;
        if (roast_coord_on_message(r->c, k->me, mine.data, mine.len, &why) != HANSA_OK)
            LOG_W("frost", "round %" PRIu64 ": my own share was refused: %s", r->round,
                  why ? why : "?");
        hbuf_reset(&mine);
    }
    hbuf_free(&mine);
}

/* Opens round `round` signed by k, with my fresh commitment sent to (or,
 * if I coordinate, taken by) its coordinator. */
static fsign_round *round_start(node *n, fsign_key *k, uint64_t round, uint16_t coord) {
    node_fsign *s = n->fsign;
    fsign_round *r = NULL;
    for (size_t i = 0; i < FSIGN_SLOTS && r == NULL; i++)
        if (s->rounds[i].round == 0) r = &s->rounds[i];
    if (r == NULL) return NULL; /* every slot busy: this round goes unsigned here */
    r->round = round;
    r->epoch = k->epoch;
    r->opened_at = n->height;
    r->msg = (hbuf)HBUF_INIT;
    r->coord = coord;
    return r;
}

static void round_commit(node *n, fsign_key *k, fsign_round *r) {
    if (r->coord == k->me) {
        roast_coord_config cc = {.group = k->group, .round = r->round, .msg = r->msg.data,
                                 .msg_len = r->msg.len};
        r->c = roast_coord_new(&cc);
    }
    hbuf commit = HBUF_INIT;
    hansa_err err = roast_signer_commit(k->signer, r->round, &commit);
    if (err != HANSA_OK) {
        LOG_W("frost", "round %" PRIu64 ": no commitment from me (%s)", r->round,
              hansa_errname(err));
    } else if (r->c) {
        const char *why = NULL;
        if (roast_coord_on_message(r->c, k->me, commit.data, commit.len, &why) != HANSA_OK)
            LOG_W("frost", "round %" PRIu64 ": my own commitment was refused: %s", r->round,
                  why ? why : "?");
        coord_pump(n, r);
    } else {
        send_env(n, k, &r->coord, 1, commit.data, commit.len);
    }
    hbuf_free(&commit);
}

/* ---- messages ---------------------------------------------------------------------------- */

static void early_keep(node *n, uint64_t round, const uint8_t *bytes, size_t len) {
    node_fsign *s = n->fsign;
    if (s->n_early == FSIGN_EARLY_MAX) return; /* the round will do without it */
    fsign_early *e = &s->early[s->n_early++];
    e->round = round;
    e->kept_at = n->height;
    e->bytes = (hbuf)HBUF_INIT;
    hbuf_append(&e->bytes, bytes, len);
}

/* One verified envelope's ROAST message from member `from` of k. */
static void on_roast(node *n, void *peer, fsign_key *k, uint16_t from, const roast_msg *m,
                     const uint8_t *msg, size_t len) {
    fsign_round *r = round_find(n->fsign, m->round, k->epoch);
    if (r == NULL) return;
    const char *why = NULL;
    hansa_err err;
    switch (m->kind) {
    case ROAST_MSG_COMMIT:
    case ROAST_MSG_SHARE:
        if (r->c == NULL) return; /* for another coordinator */
        err = roast_coord_on_message(r->c, from, msg, len, &why);
        if (err != HANSA_OK && err != HANSA_ERR_STATE && err != HANSA_ERR_DUPLICATE)
            LOG_W("frost", "round %" PRIu64 ": message of participant %u refused: %s", m->round,
                  from, why ? why : hansa_errname(err));
        coord_pump(n, r);
        return;
    case ROAST_MSG_REQUEST: {
        bool named = false;
        for (uint16_t i = 0; i < m->n; i++) named |= m->list[i].id == k->me;
        if (from != r->coord || !named) return; /* requests go to every peer */
        hbuf share = HBUF_INIT;
        err = roast_signer_on_request(k->signer, msg, len, &share, &why);
        if (err == HANSA_OK) {
            hbuf b = HBUF_INIT;
            roast_env_encode(&b, chain_id(n), k->me, share.data, share.len, n->cfg.key);
            if (peer) n->io.send(n->io.ctx, peer, MSG_ROAST, b.data, b.len);
            else n->io.broadcast(n->io.ctx, MSG_ROAST, b.data, b.len, NULL);
            hbuf_free(&b);
        } else {
            LOG_W("frost", "round %" PRIu64 ": request of coordinator %u refused: %s", m->round,
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
    roast_msg m;
    if (roast_env_decode(bytes, len, &e, NULL) != HANSA_OK ||
        roast_msg_decode(e.msg, e.msg_len, &m, NULL) != HANSA_OK) {
        if (peer) n->io.drop(n->io.ctx, peer, "malformed ROAST message");
        return;
    }
    fsign_key *k = key_of_group(s, &m.group_key);
    if (k == NULL || e.chain_id != chain_id(n) || e.from > k->group.n || e.from == k->me) return;
    if (!roast_env_verify(bytes, len, &k->members[e.from - 1])) return; /* not a member's */
    if (peer) k->peer[e.from - 1] = peer;
    if (!round_open(s, m.round)) {
        bool handoff_round = (m.round & HANDOFF_ROUND(0)) != 0;
        if (handoff_round || (m.round > n->height && m.round <= n->height + FSIGN_ROUNDS))
            early_keep(n, m.round, bytes, len);
        return;
    }
    on_roast(n, peer, k, e.from, &m, e.msg, e.msg_len);
}

/* The newest key the chain recorded at height h (the key that signs h's
 * checkpoint) into *epoch and *g; false if none was. */
typedef struct {
    uint64_t height, epoch;
    frost_group_rec *g;
} key_at_height;

static void scan_at(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    key_at_height *ka = ctx;
    if (g->keyed_at <= ka->height && epoch > ka->epoch) {
        ka->epoch = epoch;
        *ka->g = *g;
    }
}

/* True if my committed block at height is the header hash named. */
static bool my_header_at(node *n, uint64_t height, const hansa_hash *header_hash) {
    if (height > n->height) return false;
    if (height == n->height) return hash_eq(&n->block_hash, header_hash);
    hbuf b = HBUF_INIT;
    wire_commit c;
    bool same = store_get_commit(n->cfg.st, height, &b) == HANSA_OK &&
                wire_commit_decode(b.data, b.len, &c, NULL) == HANSA_OK;
    if (same) {
        same = c.height == height && hash_eq(&c.block, header_hash);
        wire_commit_free(&c);
    }
    hbuf_free(&b);
    return same;
}

/* A checkpoint of a height I do not sign (a full node, a delegate outside
 * the group, a member that missed the round): stored and passed on when the
 * chain's key at that height signed my own header, so that every node, not
 * only the group's members, serves checkpoints to light clients and relayers.
 * One that arrives before I commit its height is not kept: the next height
 * has its own. */
static void observe_checkpoint(node *n, void *peer, const checkpoint *cp, const uint8_t *bytes,
                               size_t len) {
    hbuf have = HBUF_INIT;
    bool stored = store_checkpoint_get(n->cfg.st, cp->height, &have) == HANSA_OK;
    hbuf_free(&have);
    frost_group_rec g;
    key_at_height ka = {.height = cp->height, .g = &g};
    if (stored || !my_header_at(n, cp->height, &cp->header_hash)) return;
    ledger_group_keys_iter(n->state, scan_at, &ka);
    if (ka.epoch != cp->epoch || !frost_point_eq(&g.key, &cp->group_key) ||
        !checkpoint_verify(chain_id(n), cp)) {
        LOG_W("frost", "a checkpoint for %" PRIu64 " that is not this chain's was refused",
              cp->height);
        return;
    }
    fsign_round none = {0};
    checkpoint_store(n, &none, cp);
    n->io.broadcast(n->io.ctx, MSG_CHECKPOINT, bytes, len, peer);
}

static void on_checkpoint(node *n, void *peer, const uint8_t *bytes, size_t len) {
    node_fsign *s = n->fsign;
    checkpoint cp;
    if (checkpoint_decode(bytes, len, &cp, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed CHECKPOINT");
        return;
    }
    fsign_round *r = round_find(s, cp.height, cp.epoch);
    if (r == NULL) {
        observe_checkpoint(n, peer, &cp, bytes, len);
        return;
    }
    const fsign_key *k = key_of_epoch(s, cp.epoch);
    if (r->stored || k == NULL || !frost_point_eq(&cp.group_key, &k->group.key)) return;
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

/* A handoff is stored by any node that finds both its keys recorded
 * on chain, the old one the key just before the new one, with the new
 * key's t and n, and the signature good; once per new epoch. */
static void on_handoff(node *n, void *peer, const uint8_t *bytes, size_t len) {
    handoff h;
    if (handoff_decode(bytes, len, &h, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed HANDOFF");
        return;
    }
    key_scan ks = {0};
    frost_group_rec g;
    if (handoff_stored(n, h.new_epoch) || !ledger_group_key_get(n->state, h.new_epoch, &g)) return;
    ledger_group_keys_iter(n->state, scan_before, &(key_before){h.new_epoch, &ks});
    if (ks.newest != h.old_epoch || !frost_point_eq(&ks.g.key, &h.old_key) ||
        !frost_point_eq(&g.key, &h.new_key) || g.t != h.t || g.n != h.n ||
        !handoff_verify(chain_id(n), &h)) {
        LOG_W("frost", "a handoff to epoch %" PRIu64 " that is not this chain's was refused",
              h.new_epoch);
        return;
    }
    fsign_round *r = round_find(n->fsign, HANDOFF_ROUND(h.new_epoch), h.old_epoch);
    fsign_round none = {0};
    handoff_store(n, r ? r : &none, &h);
    /* Passed on once (stored now), so nodes the signers have no link to get it too. */
    n->io.broadcast(n->io.ctx, MSG_HANDOFF, bytes, len, peer);
}

void frost_sign_peer_down(node *n, void *peer) {
    node_fsign *s = n->fsign;
    if (s == NULL) return;
    fsign_key *keys[] = {s->cur, s->old};
    for (size_t j = 0; j < 2; j++)
        for (size_t i = 0; keys[j] && i < FROST_PARTICIPANTS_MAX; i++)
            if (keys[j]->peer[i] == peer) keys[j]->peer[i] = NULL;
}

void *frost_sign_peer_of(const node *n, const hansa_pubkey *pk) {
    const node_fsign *s = n->fsign;
    if (s == NULL) return NULL;
    const fsign_key *keys[] = {s->cur, s->old};
    for (size_t j = 0; j < 2; j++)
        for (uint16_t i = 0; keys[j] && i < keys[j]->group.n; i++)
            if (keys[j]->peer[i] && pubkey_eq(&keys[j]->members[i], pk)) return keys[j]->peer[i];
    return NULL;
}

void frost_sign_on_message(node *n, void *peer, uint8_t type, const uint8_t *bytes, size_t len) {
    if (n->fsign == NULL) return; /* not signing: nothing to check them against */
    switch ((node_msg_type)type) {
    case MSG_ROAST: on_envelope(n, peer, bytes, len); return;
    case MSG_CHECKPOINT: on_checkpoint(n, peer, bytes, len); return;
    case MSG_HANDOFF: on_handoff(n, peer, bytes, len); return;
    default: HANSA_UNREACHABLE(); /* node.c routes only these here */
    }
}

/* ---- the duty ---------------------------------------------------------------------------- */

/* The members of a key's set: the current set's, or the previous one's
 * when the set changed just after the key was recorded (my session ended
 * then: frost_duty.c); or, from the store, an older set's (its key signs
 * until the next set's key is recorded, and signs the handoff to it: a
 * member restarted or given its share meanwhile loads it from there). */
static bool key_members(node *n, const frost_group_rec *g, hansa_pubkey *members, uint16_t *count) {
    if (frost_members_of(n->state, g, members, count)) return true;
    hbuf raw = HBUF_INIT;
    wire_valset set = {0};
    bool ok = store_get_valset(n->cfg.st, &g->valset_hash, &raw) == HANSA_OK &&
              wire_valset_decode(raw.data, raw.len, &set, NULL) == HANSA_OK && set.n >= 1 &&
              set.n <= FROST_PARTICIPANTS_MAX;
    for (uint16_t i = 0; ok && i < set.n; i++) members[i] = set.v[i].pubkey;
    if (ok) *count = set.n;
    wire_valset_free(&set);
    hbuf_free(&raw);
    return ok;
}

/* A signer for the key of `epoch` (g, as the chain recorded it) if the DKG
 * record holds my share of it, with the nonces the stored record lists
 * for it; NULL otherwise. */
static fsign_key *key_load(node *n, uint64_t epoch, const frost_group_rec *g) {
    node_fsign *s = n->fsign;
    frost_epoch *e = hansa_malloc(sizeof *e);
    uint16_t me;
    frost_group *group = hansa_malloc(sizeof *group);
    frost_scalar share;
    uint16_t n_members = 0;
    fsign_key *k = NULL;
    bool ok = frost_duty_share_of(n, epoch, &me, group, &share) &&
              frost_point_eq(&group->key, &g->key) && key_members(n, g, e->members, &n_members) &&
              group->n == n_members;
    if (ok) {
        k = hansa_calloc(1, sizeof *k);
        k->epoch = epoch;
        k->me = me;
        k->group = *group;
        k->n = n;
        memcpy(k->members, e->members, sizeof k->members);
        roast_nonce_rec *restored = hansa_calloc(ROAST_FRESH_MAX, sizeof *restored);
        size_t nr = 0;
        for (size_t i = 0; i < s->n_nonces && nr < ROAST_FRESH_MAX; i++)
            if (s->nonces[i].epoch == epoch && s->nonces[i].rec.commitment.id == me)
                restored[nr++] = s->nonces[i].rec;
        roast_signer_config cfg = {.group = *group, .id = me, .share = share,
                                   .rng = n->cfg.rng, .ctx = k, .persist = persist,
                                   .approve = approve};
        k->signer = roast_signer_new(&cfg, restored, nr);
        frost_wipe(&cfg.share, sizeof cfg.share);
        frost_wipe(restored, ROAST_FRESH_MAX * sizeof *restored);
        free(restored);
        LOG_I("frost", "epoch %" PRIu64 ": signing checkpoints as participant %u of %u (threshold %u, "
              "%zu stored nonce(s))", epoch, me, group->n, group->t, nr);
    }
    frost_wipe(&share, sizeof share);
    free(group);
    free(e);
    return k;
}

/* Makes cur the signer of the chain's newest key once I hold its share
 * (the one it replaces becomes old); true when it did just now. Right
 * after a restart (no signer yet) without the newest key's share, cur
 * signs with the previous key, whose share the DKG record keeps until its
 * handoff; with it, the previous key is loaded as old while its handoff
 * round may still be open, so that round reopens (rounds_reopen). */
static bool keys_update(node *n, const key_scan *ks) {
    node_fsign *s = n->fsign;
    if (s->cur && s->cur->epoch == ks->newest) return false;
    bool restart = s->cur == NULL;
    fsign_key *k = key_load(n, ks->newest, &ks->g);
    if (k != NULL) {
        key_free(&s->old);
        s->old = s->cur;
        s->cur = k;
        if (restart && ks->prev && ks->g.keyed_at + FSIGN_ROUNDS > n->height &&
            !handoff_stored(n, ks->newest))
            s->old = key_load(n, ks->prev, &ks->prev_g);
    } else if (restart && ks->prev) {
        s->cur = key_load(n, ks->prev, &ks->prev_g);
    }
    if (s->cur != NULL && (k != NULL || restart)) nonces_keep_mine(n);
    return k != NULL || (restart && s->cur != NULL);
}

/* Forgets the rounds (and their unused nonces) that are too old to finish,
 * and the old key once no round needs it. */
static void rounds_expire(node *n) {
    node_fsign *s = n->fsign;
    uint64_t before = n->height >= FSIGN_ROUNDS ? n->height - FSIGN_ROUNDS + 1 : 0;
    bool old_needed = false;
    for (size_t i = 0; i < FSIGN_SLOTS; i++) {
        fsign_round *r = &s->rounds[i];
        if (r->round != 0 && r->opened_at < before) round_clear(r);
        if (r->round != 0 && s->old && r->epoch == s->old->epoch) old_needed = true;
    }
    if (!old_needed) key_free(&s->old);
    size_t dropped = 0;
    if (s->cur) dropped += roast_signer_forget(s->cur->signer, before);
    if (s->old) dropped += roast_signer_forget(s->old->signer, before);
    size_t n_before = s->n_nonces;
    for (size_t i = 0; i < s->n_nonces;) {
        /* Handoff rounds are no heights: their nonces go with their key. */
        const roast_nonce_entry *e = &s->nonces[i];
        bool height = (e->rec.round & HANDOFF_ROUND(0)) == 0;
        if (key_of_epoch(s, e->epoch) == NULL || (height && e->rec.round < before))
            nonce_remove(s, i);
        else i++;
    }
    if (dropped || s->n_nonces != n_before) nonces_write(n);
}

static uint16_t coordinator_of(const fsign_key *k, const wire_block *blk, uint64_t salt) {
    for (uint16_t i = 0; i < k->group.n; i++)
        if (pubkey_eq(&k->members[i], &blk->header.proposer)) return (uint16_t)(i + 1);
    return (uint16_t)(salt % k->group.n + 1);
}

/* Replays the envelopes that came before their round opened here, and
 * drops those whose round did not open within FSIGN_ROUNDS blocks. */
static void early_replay(node *n) {
    node_fsign *s = n->fsign;
    for (size_t i = 0; i < s->n_early;) {
        bool open = round_open(s, s->early[i].round);
        if (!open && s->early[i].kept_at + FSIGN_ROUNDS > n->height) {
            i++;
            continue;
        }
        hbuf b = s->early[i].bytes;
        s->early[i] = s->early[--s->n_early];
        if (open) on_envelope(n, NULL, b.data, b.len);
        hbuf_free(&b);
    }
}

/* At the block that recorded the newest key: the previous key's group
 * signs it over. */
/* Block h's header hash and the coordinator under k of a round of it (its
 * proposer); false if block h is not readable. */
static bool stored_block_coord(node *n, const fsign_key *k, uint64_t h, uint64_t salt,
                               hansa_hash *id, uint16_t *coord) {
    hbuf bytes = HBUF_INIT;
    wire_block blk;
    bool ok = store_get_block(n->cfg.st, h, &bytes, id) == HANSA_OK &&
              wire_block_decode(bytes.data, bytes.len, &blk, NULL) == HANSA_OK;
    if (ok) {
        *coord = coordinator_of(k, &blk, salt);
        wire_block_free(&blk);
    }
    hbuf_free(&bytes);
    return ok;
}

/* Opens the handoff round from k (the previous key) to the newest key. */
static fsign_round *handoff_open(node *n, fsign_key *k, const key_scan *ks, uint16_t coord) {
    fsign_round *r = round_start(n, k, HANDOFF_ROUND(ks->newest), coord);
    if (r == NULL) return NULL;
    r->ho = (handoff){.old_epoch = ks->prev, .new_epoch = ks->newest, .old_key = k->group.key,
                      .new_key = ks->g.key, .t = ks->g.t, .n = ks->g.n};
    handoff_msg(&r->msg, chain_id(n), ks->prev, ks->newest, &ks->g.key, ks->g.t, ks->g.n);
    return r;
}

static void handoff_start(node *n, const key_scan *ks, const wire_block *blk) {
    node_fsign *s = n->fsign;
    fsign_key *k = key_of_epoch(s, ks->prev);
    if (ks->prev == 0 || ks->g.keyed_at != n->height || k == NULL) return;
    fsign_round *r = handoff_open(n, k, ks, coordinator_of(k, blk, ks->newest));
    if (r == NULL) return;
    LOG_I("frost", "epoch %" PRIu64 ": handing over to epoch %" PRIu64 "'s key", ks->prev,
          ks->newest);
    round_commit(n, k, r);
}

/* Opens round h (the checkpoint of block h, whose header hash is id) under
 * key k, coordinated by coord (the block's proposer). */
static fsign_round *height_open(node *n, fsign_key *k, uint64_t h, const hansa_hash *id,
                                uint16_t coord) {
    fsign_round *r = round_start(n, k, h, coord);
    if (r == NULL) return NULL;
    checkpoint_msg(&r->msg, chain_id(n), h, id, k->epoch);
    if (h > n->fsign->last_round) n->fsign->last_round = h;
    return r;
}

static void sign_height(node *n, fsign_key *k, uint64_t h, const hansa_hash *id, uint16_t coord) {
    fsign_round *r = height_open(n, k, h, id, coord);
    if (r != NULL) round_commit(n, k, r);
}

/* The chain records a key (keyed_at, the last block of the reveal window)
 * a block before its members' sessions end at reveal_end and leave them
 * their shares (later for a member still asking for one), so the blocks
 * in between found nobody to sign them. Once I hold the share, I sign those
 * too, each coordinated by its own block's proposer as usual; every member
 * gets its share at the same height, so all open the same rounds. Only
 * while they are recent. */
static void sign_missed(node *n, fsign_key *k, uint64_t keyed_at) {
    uint64_t h = n->height, every = n->cfg.frost_checkpoint_every;
    if (keyed_at >= h || h - keyed_at >= FSIGN_ROUNDS / 2) return;
    for (uint64_t m = keyed_at; m < h; m++) {
        hansa_hash id;
        uint16_t coord;
        if (m % every != 0 || round_open(n->fsign, m)) continue;
        if (stored_block_coord(n, k, m, m, &id, &coord)) sign_height(n, k, m, &id, coord);
    }
}

/* ---- rounds reopened after a restart ---- */

/* Sends the commitments my stored nonces hold for round r (not fresh
 * ones) to its coordinator, or takes them as the coordinator: ROAST takes
 * a signer's COMMIT as a fresh start (a session it was in and never
 * answered ends), and a REQUEST naming one of them is answered, since the
 * round is open again. Collected first: answering my own REQUEST changes
 * the stored list. */
static void round_resend(node *n, fsign_key *k, fsign_round *r) {
    node_fsign *s = n->fsign;
    if (r->coord == k->me) {
        roast_coord_config cc = {.group = k->group, .round = r->round, .msg = r->msg.data,
                                 .msg_len = r->msg.len};
        r->c = roast_coord_new(&cc);
    }
    frost_commitment mine[ROAST_FRESH_MAX];
    size_t n_mine = 0;
    for (size_t i = 0; i < s->n_nonces && n_mine < ROAST_FRESH_MAX; i++)
        if (s->nonces[i].epoch == k->epoch && s->nonces[i].rec.round == r->round)
            mine[n_mine++] = s->nonces[i].rec.commitment;
    for (size_t i = 0; i < n_mine; i++) {
        roast_msg m = {.kind = ROAST_MSG_COMMIT, .group_key = k->group.key, .round = r->round,
                       .commitment = mine[i]};
        hbuf commit = HBUF_INIT;
        roast_msg_encode(&commit, &m);
        if (r->c) {
            const char *why = NULL;
            if (roast_coord_on_message(r->c, k->me, commit.data, commit.len, &why) != HANSA_OK)
                LOG_W("frost", "round %" PRIu64 ": my restored commitment was refused: %s",
                      r->round, why ? why : "?");
            coord_pump(n, r);
        } else {
            send_env(n, k, &r->coord, 1, commit.data, commit.len);
        }
        hbuf_free(&commit);
    }
}

/* After a restart, the rounds my stored (unused) nonces were drawn for open
 * again with them, while they can still finish: the checkpoint rounds of
 * the last FSIGN_ROUNDS blocks, and the handoff to the newest key if k is
 * the previous one. Without this the restored nonces expired unused, and
 * the rule that a nonce is stored USED before its share leaves guarded a
 * path nothing took. */
static void rounds_reopen(node *n, fsign_key *k, const key_scan *ks) {
    node_fsign *s = n->fsign;
    if (k == NULL) return;
    uint64_t before = n->height >= FSIGN_ROUNDS ? n->height - FSIGN_ROUNDS + 1 : 0;
    uint64_t rounds[ROAST_NONCES_MAX];
    size_t n_rounds = 0;
    for (size_t i = 0; i < s->n_nonces; i++) {
        uint64_t round = s->nonces[i].rec.round;
        bool listed = false;
        for (size_t j = 0; j < n_rounds; j++) listed |= rounds[j] == round;
        if (s->nonces[i].epoch == k->epoch && !listed) rounds[n_rounds++] = round;
    }
    for (size_t i = 0; i < n_rounds; i++) {
        uint64_t round = rounds[i];
        hansa_hash id;
        uint16_t coord;
        fsign_round *r = NULL;
        if (round_open(s, round)) continue;
        if (round == HANDOFF_ROUND(ks->newest) && k->epoch == ks->prev && ks->prev != 0) {
            if (stored_block_coord(n, k, ks->g.keyed_at, ks->newest, &id, &coord))
                r = handoff_open(n, k, ks, coord);
        } else if ((round & HANDOFF_ROUND(0)) == 0 && round >= before && round <= n->height &&
                   stored_block_coord(n, k, round, round, &id, &coord)) {
            r = height_open(n, k, round, &id, coord);
        }
        if (r == NULL) continue;
        /* It expires when it would have, not 8 blocks from now: slots are few. */
        r->opened_at = round == HANDOFF_ROUND(ks->newest) ? ks->g.keyed_at : round;
        LOG_I("frost", "round %" PRIu64 ": reopened after my restart, with my stored nonces",
              round);
        round_resend(n, k, r);
    }
}

void frost_sign_on_commit(node *n, const wire_block *blk) {
    /* Not only delegates with the DKG duty: every node keeps (and serves)
     * the checkpoints its peers pass on (observe_checkpoint). */
    if (n->cfg.frost_checkpoint_every == 0) return;
    if (n->fsign == NULL) {
        n->fsign = hansa_calloc(1, sizeof *n->fsign);
        nonces_load(n);
    }
    node_fsign *s = n->fsign;
    key_scan ks = {0};
    ledger_group_keys_iter(n->state, scan_key, &ks);
    if (ks.newest == 0) return;
    bool restart = s->cur == NULL;
    bool fresh = keys_update(n, &ks);
    if (restart && fresh) {
        rounds_reopen(n, s->cur, &ks);
        rounds_reopen(n, s->old, &ks);
    }
    rounds_expire(n);
    handoff_start(n, &ks, blk);
    uint64_t h = n->height;
    fsign_key *k = s->cur;
    if (k != NULL && k->epoch == ks.newest) {
        if (fresh) sign_missed(n, k, ks.g.keyed_at);
        if (h % n->cfg.frost_checkpoint_every == 0)
            sign_height(n, k, h, &n->block_hash, coordinator_of(k, blk, h));
    }
    early_replay(n);
}

void frost_sign_close(node *n) {
    node_fsign *s = n->fsign;
    if (s == NULL) return;
    for (size_t i = 0; i < FSIGN_SLOTS; i++) round_clear(&s->rounds[i]);
    for (size_t i = 0; i < s->n_early; i++) hbuf_free(&s->early[i].bytes);
    key_free(&s->cur);
    key_free(&s->old);
    frost_wipe(s, sizeof *s);
    free(s);
    n->fsign = NULL;
}

void node_fsign_status(const node *n, node_fsign_state *out) {
    memset(out, 0, sizeof *out);
    const node_fsign *s = n->fsign;
    if (s == NULL) return;
    out->signing = s->cur != NULL;
    out->participant = s->cur ? s->cur->me : 0;
    out->last_round = s->last_round;
    out->last_stored = s->last_stored;
    out->sessions = s->sessions;
}
