/* frost_duty.c — a delegate's part in its validator set's key generation
 * (issue 14 phase 2; the rules are in ledger/tx_frost.h and docs/frost.md).
 *
 * When the set deciding the next block has no group key yet and its commit
 * window is open, a delegate that is a member runs one dkg_session
 * (threshold/dkg.h) with the chain as its broadcast channel:
 *   - its COMMIT goes on chain as TX_DKG_COMMIT, re-submitted each block
 *     until the chain holds it or the window closes;
 *   - its SHAREs (each sealed to its recipient) are broadcast to every peer
 *     as MSG_DKG_SHARE, again each block until the session ends, so a
 *     member that connects late or restarts still gets them;
 *   - every committed block's DKG transactions are fed to the session at
 *     the block's height, then the clock ticks; a bad share draws a
 *     BAD_SHARE complaint, which goes on chain as TX_DKG_COMPLAINT,
 *     re-submitted each block until the chain excludes the dealer;
 *   - at share_end, a share still missing draws a MISSING complaint (also
 *     TX_DKG_COMPLAINT), and a MISSING complaint about me on chain draws my
 *     REVEAL of that share in the clear (TX_DKG_REVEAL), each re-submitted
 *     each block until the chain holds it or its window closes; the
 *     recipient takes a revealed share from the chain (dkg_on_broadcast);
 *   - when the session ends, the node logs its result against the key the
 *     chain recorded.
 * The polynomial, proofs and seals come from a generator keyed by a random
 * seed (crypto/drbg.h) that is stored durably (store_put_dkg) before
 * anything is dealt: a delegate restarted mid-session rebuilds the same
 * session from the seed and the stored blocks, deals the same COMMIT and
 * shares again, and never a second, different polynomial (and answers a
 * MISSING complaint with the same share). RESULTs are not carried on chain.
 *
 * Off unless node_config.frost_dkg is set; a delegate's account pays
 * min_fee per transaction. */
#include "node/frost_duty.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/drbg.h"
#include "ledger/tx_frost.h"
#include "node/frost_repair.h"
#include "node/msg.h"
#include "node/node_int.h"
#include "threshold/dkg_rec.h"

/* The stored record (store_put_dkg; threshold/dkg_rec.h has its layout):
 * the latest epoch's seed, written before dealing, and again with the
 * signing share and its group when the session ends (the seed stays: it
 * deals the same shares again to a member that asks, MSG_DKG_SHARE_REQ);
 * plus the entry of the previous epoch whose session left me a share,
 * until the handoff from its key is stored: while the new set generates
 * its key the old key still signs, and it signs the handoff, so a member
 * restarted meanwhile must still hold it. */

/* A member that came back after the share window asks the dealers for its
 * shares again (MSG_DKG_SHARE_REQ) each block, and holds its session's
 * clock short of reveal_end meanwhile, for at most this many blocks past
 * it; a dealer answers each recipient at most once per block. Then the
 * session ends without my share and t holders repair it (frost_repair.c):
 * a share whose dealer lost its seed never comes (it was 32 blocks before
 * the repair). */
#define DKG_SHARE_WAIT_BLOCKS 8
/* ... but as before when n - 1 < t (n <= 3): no t others can repair my
 * share, only the dealers can send it. Not when n - 1 == t (n 4..6, one
 * helper set): the repair stalls only while one of the n - 1 is down, and
 * waiting longer does not help when the missing share's dealer lost its
 * seed (the sim's seed 1019, 4 nodes: with 32 here the member was still
 * without its share at height 80; with 8 it is repaired at height 33). */
#define DKG_SHARE_WAIT_BLOCKS_NO_SETS 32

struct node_frost {
    dkg_session *sess; /* NULL: none */
    uint64_t epoch;
    uint16_t me;
    uint16_t n;         /* the session's set size */
    dkg_timing timing;
    crypto_drbg drbg;
    hbuf commit;                            /* my COMMIT message */
    hbuf missing[FROST_PARTICIPANTS_MAX + 1]; /* my MISSING complaint about each dealer */
    hbuf bad[FROST_PARTICIPANTS_MAX + 1];     /* my BAD_SHARE complaint about each dealer */
    uint64_t missing_at, missing_at_ms;     /* my height and time when the session made them */
    hbuf reveals[FROST_PARTICIPANTS_MAX + 1]; /* my REVEAL for each recipient */
    hbuf shares[FROST_PARTICIPANTS_MAX + 1]; /* my SHARE message to each recipient */
    uint64_t shares_epoch;                   /* ... of this epoch (0: none) */
    uint64_t answered_at[FROST_PARTICIPANTS_MAX + 1]; /* my height when I last re-sent one */
    bool done;
    uint64_t done_at; /* my height when the session ended */
    /* What the store holds for the latest epoch I dealt in and the one
     * before (their shares are what checkpoint signing uses). */
    bool have_rec;
    dkg_rec rec;
    /* My SHARE messages of an earlier epoch, dealt again from its stored
     * seed for a member that asks (shares_rebuild). */
    hbuf redealt[FROST_PARTICIPANTS_MAX + 1];
    uint64_t redealt_epoch; /* 0: none */
    uint64_t redealt_at;    /* my height + 1 when I last dealt an epoch again: once a block */
    uint64_t resumed_epoch; /* the replaced set's session resumed once (resume_previous) */
    struct frost_repair *repair; /* node/frost_repair.c */
};

/* ---- the stored record ----------------------------------------------------------- */

/* Reads the stored record; false if none or unreadable (a torn or garbled
 * record is logged and ignored: a new session overwrites it). */
static bool rec_load(node *n, dkg_rec *out) {
    hbuf b = HBUF_INIT;
    bool ok = false;
    if (store_get_dkg(n->cfg.st, &b) == HANSA_OK) {
        wire_rd r;
        ok = dkg_rec_decode(b.data, b.len, out, &r) == HANSA_OK;
        if (!ok) {
            char where[128];
            rd_describe(&r, where, sizeof where);
            LOG_W("dkg", "my stored key generation record is unreadable (%s); ignoring it", where);
        }
    }
    frost_wipe(b.data, b.len);
    hbuf_free(&b);
    return ok;
}

/* Stores rec durably and keeps it as the node's; false (logged) if the
 * store failed. */
static bool rec_store(node *n, const dkg_rec *rec) {
    hbuf b = HBUF_INIT;
    dkg_rec_encode(&b, rec);
    hansa_err err = store_put_dkg(n->cfg.st, b.data, b.len);
    frost_wipe(b.data, b.len);
    hbuf_free(&b);
    if (err != HANSA_OK) {
        LOG_E("dkg", "epoch %" PRIu64 ": storing my key generation record failed: %s",
              rec->cur.epoch, store_errmsg(n->cfg.st));
        return false;
    }
    n->frost->rec = *rec;
    n->frost->have_rec = true;
    return true;
}

/* The record for a new epoch's seed: the entry it replaces becomes the
 * previous one if its session left me a share, or if no share is kept yet
 * (its seed still deals my old shares to a late member, ended or not); a
 * shareless entry never displaces a share that may still sign. */
static void rec_next(const node_frost *f, uint64_t epoch, dkg_rec *out) {
    memset(out, 0, sizeof *out);
    out->cur.epoch = epoch;
    if (!f->have_rec) return;
    const dkg_rec_entry *cur = &f->rec.cur;
    bool keep_prev = f->rec.has_prev && (f->rec.prev.flags & DKG_REC_SHARE);
    const dkg_rec_entry *prev = NULL;
    if ((cur->flags & DKG_REC_SHARE) || !keep_prev) prev = cur;
    else if (f->rec.has_prev) prev = &f->rec.prev;
    if (prev == NULL || prev->epoch >= epoch) return;
    out->has_prev = true;
    out->prev = *prev;
}

/* The stored entry of epoch (the latest or the previous one), or NULL. */
static const dkg_rec_entry *rec_entry(const node_frost *f, uint64_t epoch) {
    if (f == NULL || !f->have_rec) return NULL;
    if (f->rec.cur.epoch == epoch) return &f->rec.cur;
    return f->rec.has_prev && f->rec.prev.epoch == epoch ? &f->rec.prev : NULL;
}

/* ---- submitting ------------------------------------------------------------------- */

/* Signs body as a tx of kind from the delegate key and admits it. */
static hansa_err submit(node *n, uint16_t kind, const uint8_t *body, size_t len, char *why,
                        size_t why_len) {
    hansa_hash h;
    return node_submit_own_tx(n, kind, body, len, &h, why, why_len);
}

static void submit_commit(node *n) {
    node_frost *f = n->frost;
    frost_dealer_rec *mine = hansa_malloc(sizeof *mine);
    bool on_chain = ledger_dkg_dealer_get(n->state, f->epoch, f->me, mine);
    free(mine);
    if (on_chain || f->commit.len == 0 || n->height + 1 >= f->timing.commit_end) return;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = submit(n, TX_DKG_COMMIT, f->commit.data, f->commit.len, why, sizeof why);
    if (err == HANSA_OK)
        LOG_I("dkg", "epoch %" PRIu64 ": submitted my COMMIT as dealer %u", f->epoch, f->me);
    else if (err != HANSA_ERR_DUPLICATE)
        LOG_W("dkg", "epoch %" PRIu64 ": my COMMIT was not admitted (%s); retrying next block",
              f->epoch, why);
}

static void send_shares(node *n) {
    node_frost *f = n->frost;
    for (uint16_t j = 1; j <= FROST_PARTICIPANTS_MAX; j++)
        if (f->shares[j].len)
            n->io.broadcast(n->io.ctx, MSG_DKG_SHARE, f->shares[j].data, f->shares[j].len, NULL);
}

static void ask_shares(node *n);

/* A REVEAL holds my share for j in the clear until the chain carries it:
 * wiped when dropped. */
static void reveal_drop(node_frost *f, uint16_t j) {
    frost_wipe(f->reveals[j].data, f->reveals[j].len);
    hbuf_reset(&f->reveals[j]);
}

/* Submits a complaint or a REVEAL again; false if it can never be admitted
 * (logged): the caller drops it. A duplicate (in the mempool already) or a
 * full mempool is retried next block. */
static bool resubmit(node *n, uint16_t kind, const hbuf *body, const char *what, uint16_t who) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = submit(n, kind, body->data, body->len, why, sizeof why);
    if (err == HANSA_OK)
        LOG_I("dkg", "epoch %" PRIu64 ": submitted my %s (participant %u)", n->frost->epoch, what, who);
    if (err == HANSA_OK || err == HANSA_ERR_DUPLICATE || err == HANSA_ERR_FULL) return true;
    LOG_W("dkg", "epoch %" PRIu64 ": my %s (participant %u) was not admitted: %s", n->frost->epoch,
          what, who, why);
    return false;
}

/* My MISSING complaints, from the block after the session made them and
 * a commit delay later (a member restarted mid-session replays and syncs
 * the chain faster than the dealers' shares reach it again: it asks for
 * them first and complains only about what still lacks once it has caught
 * up and they had time to come; a needless complaint makes the share
 * public), until the chain holds each or the complaint window closes. */
static void complaints_submit(node *n) {
    node_frost *f = n->frost;
    frost_dealer_rec *rec = hansa_malloc(sizeof *rec);
    for (uint16_t d = 1; d <= FROST_PARTICIPANTS_MAX; d++) {
        if (f->missing[d].len == 0) continue;
        if (n->height <= f->missing_at || node_now(n) < f->missing_at_ms + n->cfg.commit_delay_ms ||
            sync_behind(n)) {
            ask_shares(n);
            break;
        }
        bool needed = !dkg_share_held(f->sess, d) && n->height + 1 < f->timing.complaint_end &&
                      ledger_dkg_dealer_get(n->state, f->epoch, d, rec) &&
                      !(rec->flags & FROST_DEALER_EXCLUDED) && !dkg_bitmap_get(rec->missing, f->me);
        if (!needed || !resubmit(n, TX_DKG_COMPLAINT, &f->missing[d], "MISSING complaint", d))
            hbuf_reset(&f->missing[d]);
    }
    free(rec);
}

/* My BAD_SHARE complaints, submitted when the session made them and again
 * each block until the chain excludes the dealer or the complaint window
 * closes: a complaint submitted once was lost for good when its tx was (a
 * full mempool, a crash, a proposer that drops it), and the dealer kept. */
static void bad_complaints_submit(node *n) {
    node_frost *f = n->frost;
    frost_dealer_rec *rec = hansa_malloc(sizeof *rec);
    for (uint16_t d = 1; d <= FROST_PARTICIPANTS_MAX; d++) {
        if (f->bad[d].len == 0) continue;
        bool needed = n->height + 1 < f->timing.complaint_end &&
                      ledger_dkg_dealer_get(n->state, f->epoch, d, rec) &&
                      !(rec->flags & FROST_DEALER_EXCLUDED);
        if (!needed || !resubmit(n, TX_DKG_COMPLAINT, &f->bad[d], "BAD_SHARE complaint", d))
            hbuf_reset(&f->bad[d]);
    }
    free(rec);
}

/* My REVEALs, each while the chain holds a MISSING complaint of its
 * recipient that no REVEAL answered yet and the reveal window is open. */
static void reveals_submit(node *n) {
    node_frost *f = n->frost;
    frost_dealer_rec *rec = hansa_malloc(sizeof *rec);
    bool on_chain = ledger_dkg_dealer_get(n->state, f->epoch, f->me, rec);
    for (uint16_t j = 1; j <= FROST_PARTICIPANTS_MAX; j++) {
        if (f->reveals[j].len == 0) continue;
        bool needed = on_chain && !(rec->flags & FROST_DEALER_EXCLUDED) &&
                      dkg_bitmap_get(rec->missing, j) && !dkg_bitmap_get(rec->revealed, j) &&
                      n->height + 1 < f->timing.reveal_end;
        if (!needed || !resubmit(n, TX_DKG_REVEAL, &f->reveals[j], "REVEAL", j)) reveal_drop(f, j);
    }
    free(rec);
}

/* ---- the session's outputs --------------------------------------------------------- */

static void on_done(node *n) {
    node_frost *f = n->frost;
    const dkg_result *r = dkg_result_get(f->sess);
    HANSA_ASSERT(r != NULL);
    f->done = true;
    f->done_at = n->height;
    /* The share, for signing; and the seed, to deal the same shares again
     * to a member that comes back late and asks (MSG_DKG_SHARE_REQ). */
    dkg_rec *rec = hansa_malloc(sizeof *rec);
    if (f->have_rec && f->rec.cur.epoch == f->epoch) *rec = f->rec;
    else rec_next(f, f->epoch, rec);
    /* The received shares are summed into the share now (or the session
     * ended without one): they are wiped. Without a share the group is
     * kept, to check a repaired share against (frost_repair.c). */
    frost_wipe(rec->cur.got, sizeof rec->cur.got);
    rec->cur.got_count = 0;
    rec->cur.flags = DKG_REC_DONE | (r->has_share ? DKG_REC_SHARE : DKG_REC_GROUP);
    rec->cur.group = r->group;
    if (r->has_share) rec->cur.share = r->share;
    rec_store(n, rec);
    frost_wipe(rec, sizeof *rec);
    free(rec);
    char mine[2 * FROST_POINT_BYTES + 1];
    hex_encode(r->group.key.b, FROST_POINT_BYTES, mine);
    frost_group_rec g;
    if (!ledger_group_key_get(n->state, f->epoch, &g)) {
        LOG_W("dkg", "epoch %" PRIu64 ": my session ended with key %s but the chain recorded "
              "none", f->epoch, mine);
    } else if (!frost_point_eq(&g.key, &r->group.key)) {
        LOG_E("dkg", "epoch %" PRIu64 ": my session's key %s differs from the chain's",
              f->epoch, mine);
    } else {
        LOG_I("dkg", "epoch %" PRIu64 ": group key %s agreed with the chain (%u qualified, "
              "signing share %s)", f->epoch, mine, r->qual_count, r->has_share ? "held" : "missing");
    }
}

static void on_broadcast_out(node *n, const uint8_t *bytes, size_t len) {
    node_frost *f = n->frost;
    dkg_msg m;
    HANSA_ASSERT(dkg_msg_decode(bytes, len, &m, NULL) == HANSA_OK); /* the session made it */
    if (m.kind == DKG_MSG_COMMIT) {
        hbuf_reset(&f->commit); /* submitted by frost_duty_on_commit */
        hbuf_append(&f->commit, bytes, len);
        return;
    }
    if (m.kind == DKG_MSG_REVEAL) {
        /* Submitted by reveals_submit while the complaint is unanswered. */
        hbuf_reset(&f->reveals[m.u.reveal.recipient]);
        hbuf_append(&f->reveals[m.u.reveal.recipient], bytes, len);
        return;
    }
    if (m.kind != DKG_MSG_COMPLAINT) return;
    if (m.u.complaint.reason == DKG_COMPLAINT_MISSING) {
        /* Submitted by complaints_submit from the next block on, if the
         * share is still missing then. */
        hbuf_reset(&f->missing[m.u.complaint.dealer]);
        hbuf_append(&f->missing[m.u.complaint.dealer], bytes, len);
        f->missing_at = n->height;
        f->missing_at_ms = node_now(n);
        return;
    }
    /* BAD_SHARE: submitted now, and again each block until the chain
     * excludes the dealer (bad_complaints_submit). */
    uint16_t d = m.u.complaint.dealer;
    LOG_W("dkg", "epoch %" PRIu64 ": dealer %u sent me a bad share; complaining", f->epoch, d);
    hbuf_reset(&f->bad[d]);
    hbuf_append(&f->bad[d], bytes, len);
    if (!resubmit(n, TX_DKG_COMPLAINT, &f->bad[d], "BAD_SHARE complaint", d)) hbuf_reset(&f->bad[d]);
}

static void pump(node *n) {
    node_frost *f = n->frost;
    const dkg_out *o;
    size_t count = dkg_drain(f->sess, &o);
    for (size_t k = 0; k < count; k++) {
        switch (o[k].kind) {
        case DKG_OUT_BROADCAST: on_broadcast_out(n, o[k].bytes, o[k].len); break;
        case DKG_OUT_SEND:
            HANSA_ASSERT(o[k].to >= 1 && o[k].to <= FROST_PARTICIPANTS_MAX);
            hbuf_reset(&f->shares[o[k].to]);
            hbuf_append(&f->shares[o[k].to], o[k].bytes, o[k].len);
            f->shares_epoch = f->epoch;
            n->io.broadcast(n->io.ctx, MSG_DKG_SHARE, o[k].bytes, o[k].len, NULL);
            break;
        case DKG_OUT_BLAME:
            LOG_W("dkg", "epoch %" PRIu64 ": participant %u blamed (%s): %s", f->epoch,
                  o[k].culprit, dkg_blame_name(o[k].blame), o[k].why);
            break;
        case DKG_OUT_DONE: on_done(n); break;
        case DKG_OUT_ACCEPTED: break; /* RESULTs do not travel on chain yet */
        case DKG_OUT_FAILED:
            LOG_W("dkg", "epoch %" PRIu64 ": my session ended without a key: %s", f->epoch,
                  o[k].why);
            f->done = true;
            f->done_at = n->height;
            break;
        }
    }
}

/* ---- the session ------------------------------------------------------------------- */

/* The session's clock at block `height`: held short of reveal_end while
 * shares of committed dealers are missing, for DKG_SHARE_WAIT_BLOCKS past
 * it (the chain carries nothing of the session after block reveal_end - 1,
 * which records the key, so the later end decides the same QUAL:
 * dkg_shares_missing). */
static uint64_t clock_at(const node_frost *f, uint64_t height) {
    uint64_t wait = f->n - 1 < dkg_threshold(f->n) ? DKG_SHARE_WAIT_BLOCKS_NO_SETS : DKG_SHARE_WAIT_BLOCKS;
    if (height < f->timing.reveal_end || height >= f->timing.reveal_end + wait ||
        dkg_shares_missing(f->sess) == 0)
        return height;
    return f->timing.reveal_end - 1;
}

/* Feeds block `height`'s DKG transactions to the session, then ticks. */
static void feed_block(node *n, const wire_block *blk, uint64_t height) {
    node_frost *f = n->frost;
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        wire_tx tx;
        if (wire_tx_decode(blk->txs[i].bytes, blk->txs[i].len, &tx, NULL) != HANSA_OK) continue;
        if (tx.kind != TX_DKG_COMMIT && tx.kind != TX_DKG_COMPLAINT && tx.kind != TX_DKG_REVEAL)
            continue;
        const char *why = NULL;
        if (dkg_on_broadcast(f->sess, tx.body, tx.body_len, clock_at(f, height), &why) != HANSA_OK)
            LOG_W("dkg", "epoch %" PRIu64 ": a committed DKG transaction at height %" PRIu64
                  " did not count in my session: %s", f->epoch, height, why ? why : "?");
        pump(n);
    }
    dkg_tick(f->sess, clock_at(f, height));
    pump(n);
}

static void session_free(node_frost *f) {
    dkg_free(f->sess);
    f->sess = NULL;
    crypto_drbg_wipe(&f->drbg);
    hbuf_reset(&f->commit);
    for (uint16_t j = 0; j <= FROST_PARTICIPANTS_MAX; j++) {
        hbuf_reset(&f->shares[j]);
        hbuf_reset(&f->missing[j]);
        hbuf_reset(&f->bad[j]);
        reveal_drop(f, j);
    }
    f->shares_epoch = 0;
    f->done = false;
}

/* The seed of `epoch`: the stored one if it is for this epoch (a restart),
 * else a fresh one, stored durably first. false if storing failed. */
static bool seed_for(node *n, uint64_t epoch, uint8_t seed[CRYPTO_DRBG_SEED_BYTES]) {
    node_frost *f = n->frost;
    if (f->have_rec && f->rec.cur.epoch == epoch && !(f->rec.cur.flags & DKG_REC_DONE)) {
        memcpy(seed, f->rec.cur.seed, CRYPTO_DRBG_SEED_BYTES);
        LOG_I("dkg", "epoch %" PRIu64 ": resuming my session from the stored seed", epoch);
        return true;
    }
    dkg_rec *rec = hansa_malloc(sizeof *rec);
    rec_next(f, epoch, rec);
    rng_fill(&n->cfg.rng, rec->cur.seed, CRYPTO_DRBG_SEED_BYTES);
    bool ok = rec_store(n, rec);
    if (ok) memcpy(seed, rec->cur.seed, CRYPTO_DRBG_SEED_BYTES);
    frost_wipe(rec, sizeof *rec);
    free(rec);
    if (!ok) LOG_E("dkg", "epoch %" PRIu64 ": not dealing without a stored seed", epoch);
    return ok;
}

/* The shares my session took before a restart, from the record (GOT),
 * given to it again: a dealer that lost its seed since (byz-amnesia in the
 * simulator) could never send them again, and with the complaint window
 * closed nobody could make it reveal them (seeds 1017 and 1020 of
 * docs/sim.md's FROST campaign: a member without its share, the key one
 * short of its threshold). */
static void shares_restore(node *n, const dkg_context *ctx) {
    node_frost *f = n->frost;
    const dkg_rec_entry *rec = rec_entry(f, f->epoch);
    if (rec == NULL || (rec->flags & DKG_REC_DONE) || !(rec->flags & DKG_REC_GOT)) return;
    dkg_msg *m = hansa_calloc(1, sizeof *m);
    m->kind = DKG_MSG_SHARE;
    dkg_session_id(ctx, &m->session);
    m->u.share.recipient = f->me;
    hbuf b = HBUF_INIT;
    for (uint8_t k = 0; k < rec->got_count; k++) {
        m->u.share.dealer = rec->got[k].dealer;
        memcpy(m->u.share.sealed, rec->got[k].sealed, DKG_SEALED_BYTES);
        hbuf_reset(&b);
        dkg_msg_encode(&b, m);
        const char *why = NULL;
        if (dkg_on_direct(f->sess, b.data, b.len, &why) != HANSA_OK)
            LOG_W("dkg", "epoch %" PRIu64 ": my stored share from dealer %u was refused: %s", f->epoch,
                  rec->got[k].dealer, why ? why : "?");
        pump(n);
    }
    LOG_I("dkg", "epoch %" PRIu64 ": restored %u received share(s) from my record", f->epoch,
          rec->got_count);
    hbuf_free(&b);
    free(m);
}

/* A share my session just took, stored (GOT) before anything else: a
 * restart gives it back (shares_restore). */
static void share_keep(node *n, uint16_t dealer, const uint8_t sealed[DKG_SEALED_BYTES]) {
    node_frost *f = n->frost;
    if (!f->have_rec || f->rec.cur.epoch != f->epoch || (f->rec.cur.flags & DKG_REC_DONE)) return;
    dkg_rec *rec = hansa_malloc(sizeof *rec);
    *rec = f->rec;
    dkg_rec_entry *e = &rec->cur;
    if (!(e->flags & DKG_REC_GOT)) e->got_count = 0;
    uint8_t k = 0;
    while (k < e->got_count && e->got[k].dealer < dealer) k++;
    if ((k < e->got_count && e->got[k].dealer == dealer) || e->got_count + 1 >= FROST_PARTICIPANTS_MAX) {
        frost_wipe(rec, sizeof *rec);
        free(rec);
        return;
    }
    memmove(&e->got[k + 1], &e->got[k], (size_t)(e->got_count - k) * sizeof e->got[0]);
    e->got[k].dealer = dealer;
    memcpy(e->got[k].sealed, sealed, DKG_SEALED_BYTES);
    e->got_count++;
    e->flags |= DKG_REC_GOT;
    rec_store(n, rec);
    frost_wipe(rec, sizeof *rec);
    free(rec);
}

/* Starts the session of e as participant me: deals, then catches up on the
 * blocks of the window committed so far (all of them after a restart). */
static void session_start(node *n, const frost_epoch *e, uint16_t me) {
    node_frost *f = n->frost;
    uint8_t seed[CRYPTO_DRBG_SEED_BYTES];
    if (!seed_for(n, e->ctx.epoch, seed)) return;
    for (uint16_t j = 0; j <= FROST_PARTICIPANTS_MAX; j++) hbuf_reset(&f->shares[j]); /* rebuilt ones */
    crypto_drbg_init(&f->drbg, seed);
    frost_wipe(seed, sizeof seed);
    f->epoch = e->ctx.epoch;
    f->me = me;
    f->n = e->ctx.n;
    f->timing = e->timing;
    dkg_config cfg = {.ctx = e->ctx, .timing = e->timing, .me = me, .key = n->cfg.key,
                      .rng = crypto_drbg_rng(&f->drbg)};
    f->sess = dkg_new(&cfg);
    LOG_I("dkg", "epoch %" PRIu64 ": dealing as participant %u of %u (threshold %u)", f->epoch,
          me, e->ctx.n, dkg_threshold(e->ctx.n));
    dkg_start(f->sess, e->ctx.epoch - 1);
    pump(n);
    shares_restore(n, &e->ctx);
    hbuf bytes = HBUF_INIT;
    for (uint64_t h = e->ctx.epoch; h <= n->height; h++) {
        wire_block blk;
        if (store_get_block(n->cfg.st, h, &bytes, NULL) != HANSA_OK ||
            wire_block_decode(bytes.data, bytes.len, &blk, NULL) != HANSA_OK) {
            LOG_W("dkg", "epoch %" PRIu64 ": block %" PRIu64 " is not readable (%s); my session "
                  "may miss a COMMIT", f->epoch, h, store_errmsg(n->cfg.st));
            dkg_tick(f->sess, clock_at(f, h));
            pump(n);
            continue;
        }
        feed_block(n, &blk, h);
        wire_block_free(&blk);
    }
    hbuf_free(&bytes);
}

static uint16_t member_id(const node *n, const frost_epoch *e) {
    for (uint16_t i = 0; i < e->ctx.n; i++)
        if (pubkey_eq(&e->members[i], &n->cfg.key->pub)) return (uint16_t)(i + 1);
    return 0;
}

/* ---- shares asked again ------------------------------------------------------------- */

/* Past reveal_end with shares missing (I came back late): every dealer is
 * asked to send mine again, once per block while the clock is held. */
static void ask_shares(node *n) {
    node_frost *f = n->frost;
    if (dkg_shares_missing(f->sess) == 0) return;
    hbuf b = HBUF_INIT;
    msg_dkg_share_req_encode(&b, &(msg_dkg_share_req){.epoch = f->epoch, .recipient = f->me});
    n->io.broadcast(n->io.ctx, MSG_DKG_SHARE_REQ, b.data, b.len, NULL);
    hbuf_free(&b);
    LOG_I("dkg", "epoch %" PRIu64 ": %u share(s) missing past the share window; asked the dealers",
          f->epoch, dkg_shares_missing(f->sess));
}

/* The key generation of the set activated at `epoch`: the current set's,
 * or the set that decided block `epoch` (its header names it; the store
 * keeps every set the chain used). False if neither is at hand. */
bool frost_duty_epoch_at(node *n, uint64_t epoch, frost_epoch *e) {
    frost_epoch_of(n->state, e);
    if (e->ctx.epoch == epoch) return true;
    hbuf raw = HBUF_INIT;
    wire_header h;
    wire_valset set = {0};
    hansa_err err = store_get_block(n->cfg.st, epoch, &raw, NULL);
    if (err == HANSA_OK) err = wire_block_peek_header(raw.data, raw.len, &h);
    hbuf_reset(&raw);
    if (err == HANSA_OK) err = store_get_valset(n->cfg.st, &h.validators_hash, &raw);
    if (err == HANSA_OK) err = wire_valset_decode(raw.data, raw.len, &set, NULL);
    bool ok = err == HANSA_OK && set.n >= 1 && set.n <= FROST_PARTICIPANTS_MAX;
    if (ok) frost_epoch_of_set(n->state, &set, epoch, e);
    wire_valset_free(&set);
    hbuf_free(&raw);
    return ok;
}

/* My SHARE messages of `epoch` dealt again from its stored seed into
 * f->redealt, when no live session of mine holds them (a restart, or my
 * set was replaced since: a late member of the old set still asks): the
 * same generator and the same calls give the same bytes. False if I cannot
 * (no seed of that epoch stored, not its dealer, or its set not at hand). */
static bool shares_rebuild(node *n, uint64_t epoch) {
    node_frost *f = n->frost;
    const dkg_rec_entry *rec = rec_entry(f, epoch);
    if (rec == NULL) return false;
    frost_epoch *e = hansa_malloc(sizeof *e);
    uint16_t me = 0;
    bool ok = frost_duty_epoch_at(n, epoch, e) && (me = member_id(n, e)) != 0 && e->keyable;
    if (ok) {
        crypto_drbg d;
        crypto_drbg_init(&d, rec->seed);
        dkg_config cfg = {.ctx = e->ctx, .timing = e->timing, .me = me, .key = n->cfg.key,
                          .rng = crypto_drbg_rng(&d)};
        dkg_session *s = dkg_new(&cfg);
        dkg_start(s, epoch - 1);
        const dkg_out *o;
        size_t count = dkg_drain(s, &o);
        for (uint16_t j = 0; j <= FROST_PARTICIPANTS_MAX; j++) hbuf_reset(&f->redealt[j]);
        for (size_t k = 0; k < count; k++)
            if (o[k].kind == DKG_OUT_SEND) hbuf_append(&f->redealt[o[k].to], o[k].bytes, o[k].len);
        f->redealt_epoch = epoch;
        dkg_free(s);
        crypto_drbg_wipe(&d);
    }
    free(e);
    return ok;
}

void frost_duty_on_share_req(node *n, void *peer, const uint8_t *bytes, size_t len) {
    msg_dkg_share_req m;
    if (msg_dkg_share_req_decode(bytes, len, &m, NULL) != HANSA_OK) {
        n->io.drop(n->io.ctx, peer, "malformed DKG_SHARE_REQ");
        return;
    }
    node_frost *f = n->frost;
    if (f == NULL || m.recipient < 1 || m.recipient > FROST_PARTICIPANTS_MAX) return;
    /* Unauthenticated (a share is sealed to its recipient: whoever asks
     * learns nothing), so what asking costs me is bounded before any work:
     * one answer per block and recipient, and dealing an epoch again (a whole
     * session, ~20 ms at 128) at most once per block. */
    uint64_t now = n->height + 1;
    if (f->answered_at[m.recipient] == now) return;
    const hbuf *sh = &f->redealt[m.recipient];
    if (f->shares_epoch == m.epoch) {
        sh = &f->shares[m.recipient];
    } else if (f->redealt_epoch != m.epoch) {
        if (f->redealt_at == now) return;
        f->redealt_at = now;
        if (!shares_rebuild(n, m.epoch)) return;
    }
    if (sh->len == 0) return;
    f->answered_at[m.recipient] = now;
    /* To every peer, not only the one asking: a peer that asks first for
     * another member's share must not use up that member's answer. */
    n->io.broadcast(n->io.ctx, MSG_DKG_SHARE, sh->data, sh->len, NULL);
}

/* ---- the node's calls ---------------------------------------------------------------- */

hansa_err frost_duty_open(node *n, char *why, size_t why_len) {
    (void)why;
    (void)why_len;
    if (!n->cfg.frost_dkg || n->cfg.key == NULL) return HANSA_OK;
    n->frost = hansa_calloc(1, sizeof *n->frost);
    n->frost->have_rec = rec_load(n, &n->frost->rec);
    return HANSA_OK;
}

void frost_duty_close(node *n) {
    node_frost *f = n->frost;
    if (f == NULL) return;
    frost_repair_free(f->repair);
    session_free(f);
    frost_wipe(&f->rec, sizeof f->rec);
    hbuf_free(&f->commit);
    for (uint16_t j = 0; j <= FROST_PARTICIPANTS_MAX; j++) {
        hbuf_free(&f->shares[j]);
        hbuf_free(&f->missing[j]);
        hbuf_free(&f->bad[j]);
        hbuf_free(&f->reveals[j]);
        hbuf_free(&f->redealt[j]);
    }
    free(f);
    n->frost = NULL;
}

/* Back from a restart with the session of my previous set unfinished (my
 * record's latest entry) though the chain recorded its key, and my set
 * replaced meanwhile: that session resumes first, so that I ask the
 * dealers for my shares of the key that still signs until the new set's
 * key is recorded, while the new set's commit window leaves room for my
 * COMMIT (the set-change branch of frost_duty_on_commit then ends it, and
 * the new session starts). Seed 1029 of docs/sim.md's FROST campaign. */
static void resume_previous(node *n, const frost_epoch *cur) {
    node_frost *f = n->frost;
    const dkg_rec_entry *rec = &f->rec.cur;
    frost_group_rec g;
    if (!f->have_rec || rec->epoch >= cur->ctx.epoch || (rec->flags & DKG_REC_DONE) ||
        rec->epoch == f->resumed_epoch || n->height + 4 >= cur->timing.commit_end ||
        !ledger_group_key_get(n->state, rec->epoch, &g))
        return;
    f->resumed_epoch = rec->epoch; /* once: a session that failed leaves no DONE record */
    frost_epoch *e = hansa_malloc(sizeof *e);
    uint16_t me = 0;
    if (frost_duty_epoch_at(n, rec->epoch, e) && (me = member_id(n, e)) != 0 && e->keyable) {
        LOG_I("dkg", "epoch %" PRIu64 ": my set was replaced while I was down; resuming its "
              "session for my shares first", e->ctx.epoch);
        session_start(n, e, me);
    }
    free(e);
}

static void duty_commit(node *n, const wire_block *blk) {
    node_frost *f = n->frost;
    if (f->sess && !f->done) feed_block(n, blk, n->height);
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(n->state, e);
    if (f->sess && f->epoch != e->ctx.epoch) {
        /* The set changed after the chain recorded my session's key (a
         * slashing re-elects at once, between A+23 and A+24): nothing of
         * the session comes any more, so it ends now, and its share is
         * stored and signs for the key the chain holds (frost_sign.c); the
         * new set's session starts at the next block, its record replacing
         * this one. Found by the simulator's liveness checker: the key
         * had no holder until the next key. */
        frost_group_rec kept;
        if (!f->done && ledger_group_key_get(n->state, f->epoch, &kept)) {
            /* Still asking for shares (I came back late): a few more blocks,
             * as long as the new set's commit window leaves room for my
             * COMMIT (the seed 1029 of docs/sim.md's campaign). */
            if (dkg_shares_missing(f->sess) > 0 && n->height + 4 < e->timing.commit_end) {
                ask_shares(n);
                free(e);
                return;
            }
            LOG_I("dkg", "epoch %" PRIu64 ": the validator set changed after my key was recorded; "
                  "my session ends now", f->epoch);
            dkg_tick(f->sess, f->timing.reveal_end);
            pump(n);
        }
        /* Ended in this block or since the last one (a share that came in
         * between): its stored share must stay the record until the signer
         * took it (after this call, at each commit), so the new session
         * waits a block or two. */
        if (f->done && f->done_at + 1 >= n->height) {
            free(e);
            return;
        }
        LOG_I("dkg", "epoch %" PRIu64 ": the validator set changed; my session ends", f->epoch);
        session_free(f);
    }
    frost_group_rec g;
    uint16_t me = member_id(n, e);
    /* A new session while the commit window is open and the epoch has no
     * key; and a session I dealt in but had not finished when I went down
     * (my seed is stored) resumes whenever I come back while its set is
     * in force, past the commit window and the key's record too: my
     * COMMIT is on chain, and without the session I would never hold my
     * share (the simulator's FROST liveness checker found a delegate
     * restarted at height A+12 that never signed again). Come back after
     * reveal_end, it asks the dealers for its shares (below). */
    if (f->sess == NULL) resume_previous(n, e);
    bool fresh = n->height + 1 < e->timing.commit_end && !ledger_group_key_get(n->state, e->ctx.epoch, &g);
    bool resume = f->have_rec && f->rec.cur.epoch == e->ctx.epoch && !(f->rec.cur.flags & DKG_REC_DONE);
    if (f->sess == NULL && me != 0 && e->keyable && (fresh || resume)) session_start(n, e, me);
    free(e);
    if (f->sess == NULL || f->done) return;
    submit_commit(n);
    complaints_submit(n);
    bad_complaints_submit(n);
    reveals_submit(n);
    /* Until the session ends, not only the share window: a member restarted
     * after share_end gets its shares privately instead of through MISSING
     * complaints and REVEALs, which would make them public (the session
     * takes a share until it ends). */
    if (n->height < f->timing.reveal_end) send_shares(n);
    else ask_shares(n);
}

void frost_duty_on_commit(node *n, const wire_block *blk) {
    if (n->frost == NULL) return;
    duty_commit(n, blk);
    frost_repair_on_commit(n); /* after the session may have ended without my share */
}

bool node_frost_status(const node *n, node_frost_state *out) {
    const node_frost *f = n->frost;
    memset(out, 0, sizeof *out);
    if (f == NULL) return false;
    if (f->sess) {
        out->epoch = f->epoch;
        out->participant = f->me;
        out->dealing = !f->done;
    } else if (f->have_rec) {
        out->epoch = f->rec.cur.epoch;
    }
    out->has_share = f->have_rec && f->rec.cur.epoch == out->epoch && (f->rec.cur.flags & DKG_REC_SHARE);
    return true;
}

static bool entry_share(const dkg_rec_entry *e, uint16_t *me, frost_group *group, frost_scalar *share) {
    frost_point mine;
    if (e == NULL || !(e->flags & DKG_REC_SHARE) || !frost_base_mul(&e->share, &mine)) return false;
    uint16_t id = 0;
    for (uint16_t i = 0; i < e->group.n; i++)
        if (frost_point_eq(&mine, &e->group.shares[i])) id = (uint16_t)(i + 1);
    if (id == 0) return false;
    *me = id;
    *group = e->group;
    *share = e->share;
    return true;
}

bool frost_duty_signing_share(const node *n, uint64_t *epoch, uint16_t *me, frost_group *group,
                              frost_scalar *share) {
    const node_frost *f = n->frost;
    if (f == NULL || !f->have_rec || !entry_share(&f->rec.cur, me, group, share)) return false;
    *epoch = f->rec.cur.epoch;
    return true;
}

bool frost_duty_share_of(const node *n, uint64_t epoch, uint16_t *me, frost_group *group,
                         frost_scalar *share) {
    return entry_share(rec_entry(n->frost, epoch), me, group, share);
}

void frost_duty_handoff_stored(node *n, uint64_t old_epoch) {
    node_frost *f = n->frost;
    if (f == NULL || !f->have_rec || !f->rec.has_prev || f->rec.prev.epoch > old_epoch) return;
    uint64_t dropped = f->rec.prev.epoch;
    dkg_rec *rec = hansa_malloc(sizeof *rec);
    *rec = f->rec;
    frost_wipe(&rec->prev, sizeof rec->prev);
    rec->has_prev = false;
    if (rec_store(n, rec))
        LOG_I("dkg", "epoch %" PRIu64 ": handed over; my share of epoch %" PRIu64 " is dropped",
              old_epoch, dropped);
    frost_wipe(rec, sizeof *rec);
    free(rec);
}

void frost_duty_on_message(node *n, void *peer, const uint8_t *bytes, size_t len) {
    dkg_msg m;
    if (dkg_msg_decode(bytes, len, &m, NULL) != HANSA_OK || m.kind != DKG_MSG_SHARE) {
        n->io.drop(n->io.ctx, peer, "malformed DKG_SHARE");
        return;
    }
    node_frost *f = n->frost;
    /* Not a delegate running this session, or a share for someone else:
     * every share is broadcast to every peer. */
    if (f == NULL || f->sess == NULL || f->done || m.u.share.recipient != f->me) return;
    const char *why = NULL;
    hansa_err err = dkg_on_direct(f->sess, bytes, len, &why);
    if (err == HANSA_OK) share_keep(n, m.u.share.dealer, m.u.share.sealed);
    if (err != HANSA_OK && err != HANSA_ERR_DUPLICATE && err != HANSA_ERR_PROTOCOL)
        LOG_W("dkg", "epoch %" PRIu64 ": share from dealer %u refused: %s", f->epoch,
              m.u.share.dealer, why ? why : hansa_errname(err));
    pump(n);
    /* The last missing share came while my clock was held: end now. */
    if (!f->done && n->height >= f->timing.reveal_end && clock_at(f, n->height) == n->height) {
        dkg_tick(f->sess, n->height);
        pump(n);
    }
}

bool frost_duty_lacks_share(const node *n, uint64_t *epoch, frost_group *group) {
    const node_frost *f = n->frost;
    if (f == NULL || !f->have_rec) return false;
    /* The previous entry too: its key signs until the handoff, after the
     * next epoch's key generation moved my record on. */
    const dkg_rec_entry *e = (f->rec.cur.flags & DKG_REC_GROUP) ? &f->rec.cur
                             : f->rec.has_prev && (f->rec.prev.flags & DKG_REC_GROUP) ? &f->rec.prev
                                                                                      : NULL;
    if (e == NULL) return false;
    *epoch = e->epoch;
    *group = e->group;
    return true;
}

size_t frost_duty_share_epochs(const node *n, uint64_t epochs[2]) {
    const node_frost *f = n->frost;
    size_t k = 0;
    if (f == NULL || !f->have_rec) return 0;
    if (f->rec.cur.flags & DKG_REC_SHARE) epochs[k++] = f->rec.cur.epoch;
    if (f->rec.has_prev && (f->rec.prev.flags & DKG_REC_SHARE)) epochs[k++] = f->rec.prev.epoch;
    return k;
}

bool frost_duty_share_repaired(node *n, uint64_t epoch, const frost_scalar *share) {
    node_frost *f = n->frost;
    const dkg_rec_entry *at = rec_entry(f, epoch);
    if (at == NULL || !(at->flags & DKG_REC_GROUP)) {
        LOG_W("dkg", "epoch %" PRIu64 ": my repaired share discarded: my record no longer waits for it",
              epoch);
        return false;
    }
    dkg_rec *rec = hansa_malloc(sizeof *rec);
    *rec = f->rec;
    dkg_rec_entry *e = at == &f->rec.cur ? &rec->cur : &rec->prev;
    e->flags = (uint8_t)((e->flags & ~DKG_REC_GROUP) | DKG_REC_SHARE);
    e->share = *share;
    bool ok = rec_store(n, rec);
    frost_wipe(rec, sizeof *rec);
    free(rec);
    return ok;
}

struct frost_repair **frost_duty_repair_slot(node *n) { return n->frost ? &n->frost->repair : NULL; }

bool frost_duty_share_mismatch(const node *n, uint64_t *epoch) {
    const node_frost *f = n->frost;
    if (f == NULL || !f->have_rec || !(f->rec.cur.flags & DKG_REC_SHARE)) return false;
    uint16_t me;
    frost_group *g = hansa_malloc(sizeof *g);
    frost_scalar share;
    bool bad = !entry_share(&f->rec.cur, &me, g, &share);
    frost_wipe(&share, sizeof share);
    free(g);
    *epoch = f->rec.cur.epoch;
    return bad;
}
