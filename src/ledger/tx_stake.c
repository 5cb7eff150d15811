/* tx_stake.c — see tx_stake.h: decoding, checks and effects of the delegate
 * transaction kinds. Every check runs against the pending block, so several
 * bonding transactions of one sender in one block see each other. */
#include "ledger/tx_stake.h"

#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "ledger/block.h"
#include "ledger/record.h"
#include "ledger/stake.h"

/* ---- bodies --------------------------------------------------------------- */

static hansa_err exact_len(const char *what, uint32_t len, uint32_t want, char *why,
                           size_t why_len) {
    if (len == want) return HANSA_OK;
    ledger_why(why, why_len, "%s body is %u bytes, must be %u", what, len, want);
    return len < want ? HANSA_ERR_TRUNCATED : HANSA_ERR_TRAILING;
}

hansa_err txs_amount_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    hansa_err err = exact_len("stake", len, 8, why, why_len);
    if (err != HANSA_OK) return err;
    out->bond.amount = le64_load(body);
    if (out->bond.amount == 0) {
        ledger_why(why, why_len, "amount 0");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err txs_pairs_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    if (len == 0) return exact_len("vote", len, 1, why, why_len);
    uint8_t n = body[0];
    if (n == 0 || n > LEDGER_VOTE_PAIRS_MAX) {
        ledger_why(why, why_len, "vote lists %u candidates, need 1..%u", n, LEDGER_VOTE_PAIRS_MAX);
        return HANSA_ERR_INVALID;
    }
    hansa_err err = exact_len("vote", len, 1 + n * LEDGER_VOTE_PAIR_BYTES, why, why_len);
    if (err != HANSA_OK) return err;
    out->vote.n = n;
    for (uint8_t i = 0; i < n; i++) {
        const uint8_t *p = body + 1 + i * LEDGER_VOTE_PAIR_BYTES;
        memcpy(out->vote.p[i].cand.b, p, HANSA_PUBKEY_BYTES);
        out->vote.p[i].amount = le64_load(p + HANSA_PUBKEY_BYTES);
        if (out->vote.p[i].amount == 0) {
            ledger_why(why, why_len, "vote pair %u has amount 0", i);
            return HANSA_ERR_INVALID;
        }
        if (i > 0 && pubkey_cmp(&out->vote.p[i - 1].cand, &out->vote.p[i].cand) >= 0) {
            ledger_why(why, why_len, "vote pair %u: candidates not strictly increasing", i);
            return HANSA_ERR_NONCANONICAL;
        }
    }
    return HANSA_OK;
}

hansa_err txs_empty_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    (void)body, (void)out;
    return exact_len("unjail", len, 0, why, why_len);
}

hansa_err txs_hash_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len) {
    hansa_err err = exact_len("upgrade", len, HANSA_HASH_BYTES, why, why_len);
    if (err == HANSA_OK) memcpy(out->upgrade.software.b, body, HANSA_HASH_BYTES);
    return err;
}

/* ---- shared checks ---------------------------------------------------------- */

/* balance >= amount + fee, without overflow. */
static hansa_err afford(const ledger_tx_ctx *c, uint64_t amount, char *why, size_t why_len) {
    uint64_t total;
    if (!u64_add(amount, c->tx->fee, &total)) {
        ledger_why(why, why_len, "amount %" PRIu64 " + fee overflows a u64", amount);
        return HANSA_ERR_OVERFLOW;
    }
    if (c->sender_acct.balance < total) {
        ledger_why(why, why_len, "balance %" PRIu64 " < amount %" PRIu64 " + fee %" PRIu64,
                   c->sender_acct.balance, amount, c->tx->fee);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

/* The candidate exists and is not tombstoned (bonds to it are refused). */
static hansa_err bondable(const ledger_block *b, const hansa_pubkey *pk, bool must_exist,
                          char *why, size_t why_len) {
    ledger_candidate cand;
    bool exists = stake_candidate_get(b, pk, &cand);
    if (must_exist && !exists) {
        ledger_why(why, why_len, "not a candidate");
        return HANSA_ERR_NOT_FOUND;
    }
    if (cand.flags & LEDGER_CAND_TOMBSTONED) {
        ledger_why(why, why_len, "the candidate is tombstoned for double signing");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

static void debit(ledger_block *b, const ledger_tx_ctx *c, uint64_t amount) {
    ledger_account a;
    HANSA_ASSERT(ledger_block_account(b, &c->sender, &a));
    HANSA_ASSERT(u64_sub(a.balance, amount, &a.balance));
    ledger_block_account_put(b, &c->sender, &a);
}

static uint64_t release_height(const ledger_block *b) {
    uint64_t r;
    HANSA_ASSERT(u64_add(b->info.height, b->base->params.elect.unbonding_blocks, &r));
    return r;
}

/* ---- TX_STAKE / TX_UNSTAKE ---------------------------------------------------- */

hansa_err txs_stake_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    hansa_err err = bondable(b, &c->tx->sender, false, why, why_len);
    return err != HANSA_OK ? err : afford(c, c->body.bond.amount, why, why_len);
}

void txs_stake_apply(ledger_block *b, const ledger_tx_ctx *c) {
    debit(b, c, c->body.bond.amount);
    stake_bond_add(b, &c->sender, &c->tx->sender, true, c->body.bond.amount);
}

hansa_err txs_unstake_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                            size_t why_len) {
    ledger_candidate cand;
    stake_candidate_get(b, &c->tx->sender, &cand);
    if (cand.self_bond < c->body.bond.amount) {
        ledger_why(why, why_len, "self bond %" PRIu64 " < unstake %" PRIu64, cand.self_bond,
                   c->body.bond.amount);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

void txs_unstake_apply(ledger_block *b, const ledger_tx_ctx *c) {
    stake_bond_sub(b, &c->sender, &c->tx->sender, true, c->body.bond.amount);
    stake_unbond_add(b, release_height(b), &c->sender, &c->tx->sender, c->body.bond.amount);
}

/* ---- TX_VOTE / TX_UNVOTE ------------------------------------------------------- */

hansa_err txs_vote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    uint64_t total = 0;
    for (uint8_t i = 0; i < c->body.vote.n; i++) {
        char inner[LEDGER_WHY_MAX];
        hansa_err err = bondable(b, &c->body.vote.p[i].cand, true, inner, sizeof inner);
        if (err != HANSA_OK) {
            ledger_why(why, why_len, "vote pair %u: %s", i, inner);
            return err;
        }
        if (!u64_add(total, c->body.vote.p[i].amount, &total)) {
            ledger_why(why, why_len, "vote amounts overflow a u64");
            return HANSA_ERR_OVERFLOW;
        }
    }
    return afford(c, total, why, why_len);
}

void txs_vote_apply(ledger_block *b, const ledger_tx_ctx *c) {
    for (uint8_t i = 0; i < c->body.vote.n; i++) {
        debit(b, c, c->body.vote.p[i].amount);
        stake_bond_add(b, &c->sender, &c->body.vote.p[i].cand, false, c->body.vote.p[i].amount);
    }
}

hansa_err txs_unvote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                           size_t why_len) {
    for (uint8_t i = 0; i < c->body.vote.n; i++) {
        uint8_t key[KVMAP_KEY_MAX];
        size_t klen = stake_key_vote(&c->sender, &c->body.vote.p[i].cand, key);
        uint64_t have = stake_u64_get(b, LEDGER_TAB_VOTE, key, klen);
        if (have < c->body.vote.p[i].amount) {
            ledger_why(why, why_len, "vote pair %u: bonded %" PRIu64 " < unvote %" PRIu64, i,
                       have, c->body.vote.p[i].amount);
            return HANSA_ERR_FUNDS;
        }
    }
    return HANSA_OK;
}

void txs_unvote_apply(ledger_block *b, const ledger_tx_ctx *c) {
    for (uint8_t i = 0; i < c->body.vote.n; i++) {
        const hansa_pubkey *cand = &c->body.vote.p[i].cand;
        uint64_t amount = c->body.vote.p[i].amount;
        stake_bond_sub(b, &c->sender, cand, false, amount);
        stake_unbond_add(b, release_height(b), &c->sender, cand, amount);
    }
}

/* ---- TX_UNJAIL --------------------------------------------------------------- */

hansa_err txs_unjail_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                           size_t why_len) {
    ledger_candidate cand;
    stake_candidate_get(b, &c->tx->sender, &cand);
    uint64_t wait = b->base->params.elect.jail_blocks;
    if (!(cand.flags & LEDGER_CAND_JAILED) || (cand.flags & LEDGER_CAND_TOMBSTONED)) {
        ledger_why(why, why_len, "the sender is %s", cand.flags ? "tombstoned" : "not jailed");
        return HANSA_ERR_INVALID;
    }
    if (b->info.height < cand.jailed_at || b->info.height - cand.jailed_at < wait) {
        ledger_why(why, why_len, "jailed at %" PRIu64 ": may unjail from height %" PRIu64,
                   cand.jailed_at, cand.jailed_at + wait);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

void txs_unjail_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ledger_candidate cand;
    stake_candidate_get(b, &c->tx->sender, &cand);
    cand.flags &= (uint8_t)~LEDGER_CAND_JAILED;
    cand.jailed_at = 0;
    stake_candidate_put(b, &c->tx->sender, &cand);
}

/* ---- TX_UPGRADE_PROPOSE / TX_UPGRADE_VOTE -------------------------------------- */

static hansa_err has_bond(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                          size_t why_len) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_bonder(&c->sender, key);
    if (stake_u64_get(b, LEDGER_TAB_BONDER, key, klen) > 0) return HANSA_OK;
    ledger_why(why, why_len, "only an address with bonded tokens may propose or vote");
    return HANSA_ERR_INVALID;
}

hansa_err txs_propose_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                            size_t why_len) {
    ledger_upgrade u;
    if (stake_upgrade_get(b, &c->body.upgrade.software, &u)) {
        ledger_why(why, why_len, "software hash already proposed at height %" PRIu64, u.proposed_at);
        return HANSA_ERR_DUPLICATE;
    }
    return has_bond(b, c, why, why_len);
}

void txs_propose_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ledger_upgrade u = {.proposed_at = b->info.height, .ratified_at = 0};
    stake_upgrade_put(b, &c->body.upgrade.software, &u);
}

hansa_err txs_upvote_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                           size_t why_len) {
    ledger_upgrade u;
    if (!stake_upgrade_get(b, &c->body.upgrade.software, &u)) {
        ledger_why(why, why_len, "no such software proposal");
        return HANSA_ERR_NOT_FOUND;
    }
    if (u.ratified_at != 0 || b->info.height - u.proposed_at > b->base->params.elect.upgrade_window) {
        ledger_why(why, why_len, "the proposal is %s", u.ratified_at ? "ratified" : "closed");
        return HANSA_ERR_INVALID;
    }
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_upgrade_vote(&c->body.upgrade.software, &c->sender, key);
    if (stake_flag_get(b, LEDGER_TAB_UPGRADE_VOTE, key, klen)) {
        ledger_why(why, why_len, "this address already voted for it");
        return HANSA_ERR_DUPLICATE;
    }
    return has_bond(b, c, why, why_len);
}

void txs_upvote_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_upgrade_vote(&c->body.upgrade.software, &c->sender, key);
    stake_flag_put(b, LEDGER_TAB_UPGRADE_VOTE, key, klen);
}
