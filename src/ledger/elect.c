/* elect.c — see elect.h and docs/delegates.md: evidence and slashing,
 * liveness and jailing, rewards, unbonding release, upgrade ratification,
 * elections and the validator-set pipeline.
 *
 * Every rule here is a function of the pending block alone, and each one
 * that walks a table is order-independent (sums, per-entry floors), so the
 * tables' hash layout never shows in a result. */
#include "ledger/elect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/tx.h"
#include "ledger/tx_receipt.h"

#define PK_OFF_VOTE (1 + HANSA_ADDR_BYTES)      /* candidate pubkey in a vote key */
#define PK_OFF_UNBOND (1 + 8 + HANSA_ADDR_BYTES) /* candidate pubkey in an unbond key */

/* A growable list of keys collected from one table, to change it after the walk. */
typedef struct {
    uint8_t (*k)[KVMAP_KEY_MAX];
    size_t n, cap;
    const uint8_t *match; /* optional filter: bytes at match_off must equal these */
    size_t match_off, match_len;
} key_list;

static void keys_collect(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen) {
    (void)val, (void)vlen;
    key_list *l = ctx;
    if (l->match && memcmp(key + l->match_off, l->match, l->match_len) != 0) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->k = hansa_realloc(l->k, l->cap * sizeof *l->k);
    }
    HANSA_ASSERT(klen <= KVMAP_KEY_MAX);
    memcpy(l->k[l->n++], key, klen);
}

static void credit(ledger_block *b, const hansa_addr *a, uint64_t amount) {
    if (amount == 0) return;
    ledger_account acct;
    ledger_block_account(b, a, &acct);
    HANSA_ASSERT(u64_add(acct.balance, amount, &acct.balance)); /* bounded by the supply */
    ledger_block_account_put(b, a, &acct);
}

static void burn(ledger_block *b, uint64_t amount) {
    HANSA_ASSERT(u64_add(b->supply.burned, amount, &b->supply.burned));
}

/* ---- evidence and slashing ------------------------------------------------ */

static hansa_err evidence_check(const ledger_block *b, const ledger_evidence *ev, char *why,
                                size_t why_len) {
    uint64_t h = b->info.height, age_max = b->base->params.elect.evidence_age_max;
    ledger_candidate c;
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_hash(LEDGER_TAB_EVIDENCE, &ev->hash, key);
    if (!stake_candidate_get(b, &ev->offender, &c)) {
        ledger_why(why, why_len, "evidence against a pubkey that is not a candidate");
        return HANSA_ERR_INVALID;
    }
    if (ev->height == 0 || ev->height >= h) {
        ledger_why(why, why_len, "evidence from height %" PRIu64 " in block %" PRIu64, ev->height, h);
        return HANSA_ERR_INVALID;
    }
    if (h - ev->height > age_max) {
        ledger_why(why, why_len, "evidence from height %" PRIu64 " is older than %" PRIu64
                   " heights", ev->height, age_max);
        return HANSA_ERR_INVALID;
    }
    if (stake_u64_get(b, LEDGER_TAB_EVIDENCE, key, klen) != 0) {
        ledger_why(why, why_len, "evidence was already punished");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

/* Cuts slash_bps of every vote to the offender. */
static void slash_votes(ledger_block *b, const hansa_pubkey *off, uint16_t bps) {
    key_list l = {.match = off->b, .match_off = PK_OFF_VOTE, .match_len = HANSA_PUBKEY_BYTES};
    stake_iter(b, LEDGER_TAB_VOTE, keys_collect, &l);
    for (size_t i = 0; i < l.n; i++) {
        uint64_t cut = ledger_fee_burn(stake_u64_get(b, LEDGER_TAB_VOTE, l.k[i], PK_OFF_VOTE + HANSA_PUBKEY_BYTES), bps);
        hansa_addr voter;
        memcpy(voter.b, l.k[i] + 1, HANSA_ADDR_BYTES);
        if (cut == 0) continue;
        stake_bond_sub(b, &voter, off, false, cut);
        burn(b, cut);
    }
    free(l.k);
}

/* Cuts slash_bps of every unbonding entry bonded to the offender. */
static void slash_unbonding(ledger_block *b, const hansa_pubkey *off, uint16_t bps) {
    key_list l = {.match = off->b, .match_off = PK_OFF_UNBOND, .match_len = HANSA_PUBKEY_BYTES};
    stake_iter(b, LEDGER_TAB_UNBOND, keys_collect, &l);
    const size_t klen = PK_OFF_UNBOND + HANSA_PUBKEY_BYTES;
    for (size_t i = 0; i < l.n; i++) {
        uint64_t amount = stake_u64_get(b, LEDGER_TAB_UNBOND, l.k[i], klen);
        uint64_t cut = ledger_fee_burn(amount, bps);
        stake_u64_put(b, LEDGER_TAB_UNBOND, l.k[i], klen, amount - cut);
        HANSA_ASSERT(u64_sub(b->supply.unbonding, cut, &b->supply.unbonding));
        burn(b, cut);
    }
    free(l.k);
}

static void liveness_reset(ledger_block *b, const hansa_pubkey *pk) {
    ledger_liveness empty = {0};
    stake_liveness_put(b, pk, &empty);
}

/* Duplicate-vote evidence: slash the offender's self bond, the votes to it
 * and their unbonding entries, tombstone it, and ask for an election. An
 * offender already tombstoned is not slashed again (the evidence is still
 * recorded as punished). */
static void punish(ledger_block *b, const ledger_evidence *ev) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_hash(LEDGER_TAB_EVIDENCE, &ev->hash, key);
    stake_u64_put(b, LEDGER_TAB_EVIDENCE, key, klen, b->info.height);
    ledger_candidate c;
    stake_candidate_get(b, &ev->offender, &c);
    if (c.flags & LEDGER_CAND_TOMBSTONED) return;
    uint16_t bps = b->base->params.elect.slash_bps;
    hansa_addr self;
    addr_from_pubkey(&ev->offender, &self);
    uint64_t cut = ledger_fee_burn(c.self_bond, bps);
    if (cut > 0) {
        stake_bond_sub(b, &self, &ev->offender, true, cut);
        burn(b, cut);
    }
    slash_votes(b, &ev->offender, bps);
    slash_unbonding(b, &ev->offender, bps);
    receipt_slash(b, &ev->offender, bps);
    stake_candidate_get(b, &ev->offender, &c);
    if (!(c.flags & LEDGER_CAND_JAILED)) c.jailed_at = b->info.height;
    c.flags |= LEDGER_CAND_JAILED | LEDGER_CAND_TOMBSTONED;
    stake_candidate_put(b, &ev->offender, &c);
    liveness_reset(b, &ev->offender);
    b->reelect = true;
}

/* ---- liveness ------------------------------------------------------------- */

static void jail(ledger_block *b, const hansa_pubkey *pk) {
    ledger_candidate c;
    stake_candidate_get(b, pk, &c);
    if (c.flags & LEDGER_CAND_JAILED) return;
    c.flags |= LEDGER_CAND_JAILED;
    c.jailed_at = b->info.height;
    stake_candidate_put(b, pk, &c);
    liveness_reset(b, pk);
    b->reelect = true;
}

/* Records, for each member of the set that decided height-1, whether it
 * signed that height's commit, in the bit (height-1) % W of its window; a
 * member that missed more than floor(W * liveness_miss_bps / 10000) of the
 * last W heights is jailed. */
static void liveness_record(ledger_block *b) {
    const ledger_elect_params *e = &b->base->params.elect;
    const ledger_validators *prev = &b->base->sets.set[LEDGER_SET_PREV].vals;
    uint64_t miss_max = ledger_fee_burn(e->liveness_window, e->liveness_miss_bps);
    uint64_t idx = (b->info.height - 1) % e->liveness_window;
    uint8_t mask = (uint8_t)(1u << (idx % 8));
    for (uint16_t i = 0; i < prev->n; i++) {
        const hansa_pubkey *pk = &prev->v[i].pubkey;
        ledger_liveness lv;
        stake_liveness_get(b, pk, &lv);
        bool was = lv.bits[idx / 8] & mask, missed = !b->signed_by[i];
        if (was == missed) continue;
        lv.bits[idx / 8] ^= mask;
        lv.missed = (uint16_t)(missed ? lv.missed + 1 : lv.missed - 1);
        stake_liveness_put(b, pk, &lv);
        if (lv.missed > miss_max) jail(b, pk);
    }
}

static hansa_err signers_read(ledger_block *b, const ledger_block_info *info, char *why,
                              size_t why_len) {
    const ledger_validators *prev = &b->base->sets.set[LEDGER_SET_PREV].vals;
    if (info->height == 1 && info->n_signers > 0) {
        ledger_why(why, why_len, "block 1 has no last commit, yet %u signers", info->n_signers);
        return HANSA_ERR_INVALID;
    }
    for (uint16_t i = 0; i < info->n_signers; i++) {
        uint16_t k = info->signers[i];
        if (k >= prev->n || (i > 0 && k <= info->signers[i - 1])) {
            ledger_why(why, why_len, "signer %u: index %u out of order or not in 0..%u", i, k,
                       prev->n - 1);
            return HANSA_ERR_INVALID;
        }
        b->signed_by[k] = true;
    }
    b->n_signed = info->n_signers;
    return HANSA_OK;
}

hansa_err elect_block_begin(ledger_block *b, const ledger_block_info *info, char *why,
                            size_t why_len) {
    hansa_err err = signers_read(b, info, why, why_len);
    if (err != HANSA_OK) return err;
    if (info->n_evidence > WIRE_BLOCK_EVIDENCE_MAX) {
        ledger_why(why, why_len, "%u evidence items, at most %u", info->n_evidence,
                   WIRE_BLOCK_EVIDENCE_MAX);
        return HANSA_ERR_INVALID;
    }
    for (uint16_t i = 0; i < info->n_evidence; i++) {
        char inner[LEDGER_WHY_MAX];
        err = evidence_check(b, &info->evidence[i], inner, sizeof inner);
        if (err != HANSA_OK) {
            ledger_why(why, why_len, "evidence %u: %s", i, inner);
            return err;
        }
        punish(b, &info->evidence[i]);
    }
    if (info->height > 1) liveness_record(b);
    return HANSA_OK;
}

/* ---- rewards ---------------------------------------------------------------- */

/* The block reward is minted (unless the supply would overflow a u64) and,
 * with the unburned fees, shared by the signers of the last commit in
 * proportion to their power: floor(pool * power / signed_power) each; the
 * rounding remainder goes to the block's proposer, and so does the whole
 * pool when nobody signed (block 1). */
static void rewards_pay(ledger_block *b) {
    uint64_t pool = b->proposer_fees, reward = b->base->params.elect.block_reward, cap;
    if (u64_add(b->supply.genesis, b->supply.minted, &cap) && u64_add(cap, reward, &cap)) {
        b->supply.minted += reward;
        HANSA_ASSERT(u64_add(pool, reward, &pool));
    }
    const ledger_validators *prev = &b->base->sets.set[LEDGER_SET_PREV].vals;
    uint64_t signed_power = 0, paid = 0;
    for (uint16_t i = 0; i < prev->n; i++)
        if (b->signed_by[i]) signed_power += prev->v[i].power;
    for (uint16_t i = 0; i < prev->n && signed_power > 0; i++) {
        if (!b->signed_by[i]) continue;
        uint64_t share = (uint64_t)((unsigned __int128)pool * prev->v[i].power / signed_power);
        hansa_addr a;
        addr_from_pubkey(&prev->v[i].pubkey, &a);
        credit(b, &a, share);
        paid += share;
    }
    HANSA_ASSERT(paid <= pool);
    hansa_addr prop;
    addr_from_pubkey(&b->info.proposer, &prop);
    credit(b, &prop, pool - paid);
}

/* ---- unbonding release ------------------------------------------------------ */

static uint64_t key_release(const uint8_t *key) {
    uint64_t r = 0;
    for (int i = 0; i < 8; i++) r = r << 8 | key[1 + i];
    return r;
}

static void release_due(ledger_block *b) {
    key_list l = {0};
    stake_iter(b, LEDGER_TAB_UNBOND, keys_collect, &l);
    const size_t klen = PK_OFF_UNBOND + HANSA_PUBKEY_BYTES;
    for (size_t i = 0; i < l.n; i++) {
        if (key_release(l.k[i]) > b->info.height) continue;
        uint64_t amount = stake_u64_get(b, LEDGER_TAB_UNBOND, l.k[i], klen);
        hansa_addr who;
        memcpy(who.b, l.k[i] + 9, HANSA_ADDR_BYTES);
        credit(b, &who, amount);
        HANSA_ASSERT(u64_sub(b->supply.unbonding, amount, &b->supply.unbonding));
        stake_u64_put(b, LEDGER_TAB_UNBOND, l.k[i], klen, 0);
    }
    free(l.k);
}

/* ---- punished evidence that can no longer matter ------------------------------ */

#define EVIDENCE_KEY_BYTES (1 + HANSA_HASH_BYTES)

static int evidence_key_cmp(const void *a, const void *b) {
    return memcmp(a, b, EVIDENCE_KEY_BYTES);
}

/* A punished-evidence record older than evidence_age_max heights is never
 * read again: evidence that old is refused for its age before the record
 * is looked at (evidence_check; the offence is below the block that
 * punished it). Such records are removed, lowest key first so every node
 * removes the same ones, at most WIRE_BLOCK_EVIDENCE_MAX a block: as many
 * as a block can add, so the table holds about evidence_age_max blocks'
 * worth however long the chain runs. */
static void evidence_expire(ledger_block *b) {
    key_list l = {0};
    stake_iter(b, LEDGER_TAB_EVIDENCE, keys_collect, &l);
    if (l.n > 1) qsort(l.k, l.n, sizeof *l.k, evidence_key_cmp);
    uint64_t h = b->info.height, age_max = b->base->params.elect.evidence_age_max;
    size_t removed = 0;
    for (size_t i = 0; i < l.n && removed < WIRE_BLOCK_EVIDENCE_MAX; i++) {
        uint64_t at = stake_u64_get(b, LEDGER_TAB_EVIDENCE, l.k[i], EVIDENCE_KEY_BYTES);
        if (h - at <= age_max) continue;
        stake_u64_put(b, LEDGER_TAB_EVIDENCE, l.k[i], EVIDENCE_KEY_BYTES, 0);
        removed++;
    }
    free(l.k);
}

/* ---- upgrade ratification ----------------------------------------------------- */

typedef struct {
    const ledger_block *b;
    const uint8_t *hash;
    uint64_t approvals, approve;
} tally_ctx;

static void tally_vote(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    (void)klen, (void)val, (void)vlen;
    tally_ctx *t = ctx;
    if (memcmp(key + 1, t->hash, HANSA_HASH_BYTES) != 0) return;
    hansa_addr voter;
    memcpy(voter.b, key + 1 + HANSA_HASH_BYTES, HANSA_ADDR_BYTES);
    uint8_t bk[KVMAP_KEY_MAX];
    size_t bl = stake_key_bonder(&voter, bk);
    HANSA_ASSERT(u64_add(t->approve, stake_u64_get(t->b, LEDGER_TAB_BONDER, bk, bl), &t->approve));
    t->approvals++;
}

/* A proposal open at this height (within upgrade_window of its proposal)
 * is ratified when its voters' current bonds are more than 2/3 of all bonds.
 * It closes when ratified or at the first height past its window: its
 * tally is then kept in its record, and its votes can go. */
static void upgrades_tally(ledger_block *b) {
    key_list l = {0};
    stake_iter(b, LEDGER_TAB_UPGRADE, keys_collect, &l);
    for (size_t i = 0; i < l.n; i++) {
        hansa_hash h;
        memcpy(h.b, l.k[i] + 1, HANSA_HASH_BYTES);
        ledger_upgrade u;
        HANSA_ASSERT(stake_upgrade_get(b, &h, &u));
        if (u.closed_at != 0) continue;
        tally_ctx t = {b, h.b, 0, 0};
        stake_iter(b, LEDGER_TAB_UPGRADE_VOTE, tally_vote, &t);
        bool ended = b->info.height - u.proposed_at > b->base->params.elect.upgrade_window;
        if (!ended && b->supply.bonded > 0 &&
            (unsigned __int128)t.approve * 3 > (unsigned __int128)b->supply.bonded * 2)
            u.ratified_at = b->info.height;
        if (!ended && u.ratified_at == 0) continue;
        u.closed_at = b->info.height;
        u.approvals = t.approvals;
        u.approval_weight = t.approve;
        stake_upgrade_put(b, &h, &u);
    }
    free(l.k);
}

/* Upgrade votes whose proposal closed are never read again (a closed
 * proposal takes no vote and its tally is in its record): deleted, lowest
 * key first so every node deletes the same ones, at most
 * UPGRADE_VOTES_EXPIRE_MAX a block. A proposal collects at most one vote
 * per bonded address, so the table drains however long the chain runs. */
#define UPGRADE_VOTES_EXPIRE_MAX 256
#define UPGRADE_VOTE_KEY_BYTES (1 + HANSA_HASH_BYTES + HANSA_ADDR_BYTES)

static int upgrade_vote_key_cmp(const void *a, const void *b) {
    return memcmp(a, b, UPGRADE_VOTE_KEY_BYTES);
}

static void upgrade_votes_expire(ledger_block *b) {
    key_list l = {0};
    stake_iter(b, LEDGER_TAB_UPGRADE_VOTE, keys_collect, &l);
    if (l.n > 1) qsort(l.k, l.n, sizeof *l.k, upgrade_vote_key_cmp);
    size_t removed = 0;
    for (size_t i = 0; i < l.n && removed < UPGRADE_VOTES_EXPIRE_MAX; i++) {
        hansa_hash h;
        memcpy(h.b, l.k[i] + 1, HANSA_HASH_BYTES);
        ledger_upgrade u;
        HANSA_ASSERT(stake_upgrade_get(b, &h, &u)); /* a vote is for an existing proposal */
        if (u.closed_at == 0) continue;
        stake_flag_del(b, LEDGER_TAB_UPGRADE_VOTE, l.k[i], UPGRADE_VOTE_KEY_BYTES);
        removed++;
    }
    free(l.k);
}

/* ---- ranking and elections ------------------------------------------------------ */

typedef struct {
    ledger_rank_entry *e;
    size_t n, cap;
} rank_list;

static void rank_collect(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen) {
    (void)klen, (void)vlen;
    rank_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->e = hansa_realloc(l->e, l->cap * sizeof *l->e);
    }
    ledger_rank_entry *e = &l->e[l->n++];
    memcpy(e->pubkey.b, key + 1, HANSA_PUBKEY_BYTES);
    stake_candidate_decode(val, &e->c);
    e->weight = stake_candidate_weight(&e->c);
    e->eligible = !(e->c.flags & LEDGER_CAND_JAILED) && e->c.self_bond > 0;
}

/* Eligible first; among them heavier first; then by pubkey. */
static int rank_cmp(const void *x, const void *y) {
    const ledger_rank_entry *a = x, *b = y;
    if (a->eligible != b->eligible) return a->eligible ? -1 : 1;
    if (a->eligible && a->weight != b->weight) return a->weight > b->weight ? -1 : 1;
    return pubkey_cmp(&a->pubkey, &b->pubkey);
}

static void rank_block(const ledger_block *b, rank_list *l) {
    memset(l, 0, sizeof *l);
    stake_iter(b, LEDGER_TAB_CANDIDATE, rank_collect, l);
    if (l->n > 1) qsort(l->e, l->n, sizeof *l->e, rank_cmp);
}

static int validator_cmp(const void *x, const void *y) {
    return pubkey_cmp(&((const wire_validator *)x)->pubkey, &((const wire_validator *)y)->pubkey);
}

/* The top active_max eligible candidates with power = weight >> shift, the
 * smallest shift that brings their total within WIRE_TOTAL_POWER_MAX (a
 * candidate whose power rounds to 0 is left out). out->n may be 0. */
static void elect(const ledger_block *b, ledger_validators *out) {
    rank_list l;
    rank_block(b, &l);
    size_t k = 0;
    uint64_t total = 0;
    while (k < l.n && k < b->base->params.elect.active_max && l.e[k].eligible) total += l.e[k++].weight;
    unsigned shift = 0;
    while ((total >> shift) > WIRE_TOTAL_POWER_MAX) shift++;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < k; i++) {
        uint64_t power = l.e[i].weight >> shift;
        if (power > 0) out->v[out->n++] = (wire_validator){l.e[i].pubkey, power};
    }
    qsort(out->v, out->n, sizeof out->v[0], validator_cmp);
    free(l.e);
}

static bool same_set(const ledger_validators *a, const ledger_validators *b) {
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

/* Liveness windows belong to the set that decided the last block; a member
 * that left it starts afresh if it comes back. */
static void liveness_prune(ledger_block *b) {
    key_list l = {0};
    stake_iter(b, LEDGER_TAB_LIVENESS, keys_collect, &l);
    const ledger_validators *prev = &b->sets.set[LEDGER_SET_PREV].vals;
    for (size_t i = 0; i < l.n; i++) {
        hansa_pubkey pk;
        memcpy(pk.b, l.k[i] + 1, HANSA_PUBKEY_BYTES);
        bool member = false;
        for (uint16_t j = 0; j < prev->n && !member; j++) member = pubkey_eq(&prev->v[j].pubkey, &pk);
        if (!member) liveness_reset(b, &pk);
    }
    free(l.k);
}

/* Shifts the sets and, at an epoch boundary or when a jailing or slashing
 * asked for it, puts a fresh election result in next (activation h+2). An
 * election with no eligible candidate keeps the set: the chain must go on. */
static void sets_advance(ledger_block *b) {
    uint64_t h = b->info.height;
    ledger_valsets *s = &b->sets;
    ledger_valset_at next;
    ledger_valset_at_copy(&next, &s->set[LEDGER_SET_NEXT]);
    if (h % b->base->params.elect.epoch_blocks == 0 || b->reelect) {
        ledger_validators *won = hansa_malloc(sizeof *won);
        elect(b, won);
        if (won->n > 0 && !same_set(won, &next.vals))
            ledger_valset_at_copy(&next, &(const ledger_valset_at){.activation = h + 2, .vals = *won});
        free(won);
    }
    ledger_valset_at_copy(&s->set[LEDGER_SET_PREV], &s->set[LEDGER_SET_CUR]);
    ledger_valset_at_copy(&s->set[LEDGER_SET_CUR], &s->set[LEDGER_SET_NEXT]);
    ledger_valset_at_copy(&s->set[LEDGER_SET_NEXT], &next);
    HANSA_ASSERT(s->set[LEDGER_SET_CUR].activation <= h + 1);
    if (!same_set(&s->set[LEDGER_SET_PREV].vals, &b->base->sets.set[LEDGER_SET_PREV].vals))
        liveness_prune(b);
}

void elect_block_finish(ledger_block *b) {
    rewards_pay(b);
    release_due(b);
    evidence_expire(b);
    upgrades_tally(b);
    upgrade_votes_expire(b);
    sets_advance(b);
}

/* ---- reads for tests and RPC ------------------------------------------------------ */

hansa_err ledger_evidence_check(const ledger_state *s, const ledger_evidence *ev, char *why,
                                size_t why_len) {
    ledger_block *b = ledger_block_begin_check(s);
    hansa_err err = evidence_check(b, ev, why, why_len);
    ledger_block_free(b);
    return err;
}

void ledger_ranking(const ledger_state *s, ledger_rank_entry **out, size_t *n) {
    ledger_block *b = ledger_block_begin_check(s);
    rank_list l;
    rank_block(b, &l);
    ledger_block_free(b);
    *out = l.e;
    *n = l.n;
}

bool ledger_candidate_get(const ledger_state *s, const hansa_pubkey *pk, ledger_candidate *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = stake_candidate_get(b, pk, out);
    ledger_block_free(b);
    return ok;
}

static uint64_t u64_at(const ledger_state *s, ledger_tab tab, const uint8_t *key, size_t klen) {
    ledger_block *b = ledger_block_begin_check(s);
    uint64_t x = stake_u64_get(b, tab, key, klen);
    ledger_block_free(b);
    return x;
}

uint64_t ledger_vote_get(const ledger_state *s, const hansa_addr *voter, const hansa_pubkey *cand) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_vote(voter, cand, key);
    return u64_at(s, LEDGER_TAB_VOTE, key, klen);
}

uint64_t ledger_unbonding_get(const ledger_state *s, uint64_t release, const hansa_addr *who,
                              const hansa_pubkey *cand) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_unbond(release, who, cand, key);
    return u64_at(s, LEDGER_TAB_UNBOND, key, klen);
}

bool ledger_upgrade_get(const ledger_state *s, const hansa_hash *software, ledger_upgrade *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = stake_upgrade_get(b, software, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_evidence_punished(const ledger_state *s, const hansa_hash *ev_hash) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_hash(LEDGER_TAB_EVIDENCE, ev_hash, key);
    return u64_at(s, LEDGER_TAB_EVIDENCE, key, klen) != 0;
}

uint64_t ledger_bonded_get(const ledger_state *s, const hansa_addr *who) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_bonder(who, key);
    return u64_at(s, LEDGER_TAB_BONDER, key, klen);
}

void ledger_records_iter(const ledger_state *s, ledger_tab tab, stake_iter_fn fn, void *ctx) {
    HANSA_ASSERT(tab < LEDGER_TAB_COUNT_);
    const kvmap *m = &s->tabs[tab];
    for (size_t i = 0; i < m->cap; i++) {
        const kvmap_slot *slot = &m->slots[i];
        if (slot->used && !slot->deleted) fn(ctx, slot->key, slot->klen, slot->val, slot->vlen);
    }
}

void ledger_absent_members(const ledger_state *s, bool *absent) {
    const ledger_validators *cur = ledger_state_valset(s, LEDGER_SET_CUR, NULL);
    uint16_t w = s->params.elect.liveness_window;
    uint64_t h = ledger_height(s); /* block h recorded who signed height h - 1 */
    for (uint16_t i = 0; i < cur->n; i++) {
        absent[i] = false;
        if (w < LEDGER_ABSENT_HEIGHTS || h <= LEDGER_ABSENT_HEIGHTS) continue;
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = stake_key_liveness(&cur->v[i].pubkey, key);
        const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_LIVENESS], key, klen);
        if (slot == NULL || slot->deleted) continue;
        ledger_liveness l;
        stake_liveness_decode(slot->val, slot->vlen, &l);
        bool all = true;
        for (uint64_t j = 1; j <= LEDGER_ABSENT_HEIGHTS && all; j++) {
            uint64_t idx = (h - j) % w;
            all = (l.bits[idx / 8] >> (idx % 8)) & 1;
        }
        absent[i] = all;
    }
}

uint16_t ledger_missed_get(const ledger_state *s, const hansa_pubkey *pk) {
    ledger_block *b = ledger_block_begin_check(s);
    ledger_liveness l;
    stake_liveness_get(b, pk, &l);
    ledger_block_free(b);
    return l.missed;
}
