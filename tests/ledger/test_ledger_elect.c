/* Tests of the delegate rules (docs/delegates.md): staking, votes, unbonding
 * and its release, election order and ties, the h+2 set pipeline, jailing
 * for missed blocks and the bench stepping in, the unjail wait, slashing
 * (bonds, votes, unbonding entries), tombstones, repeated and stale
 * evidence, rewards with their remainder, upgrade ratification, and the
 * supply equation after every block of a seeded random workload. */
#include "base/err.h"
#include "base/rng.h"
#include "check.h"
#include "ledger/elect.h"
#include "ledger_helpers.h"

/* Genesis delegates are keys 60..63 with power 10 each (ledger_helpers.h). */
static ledger_params e_params(void) {
    ledger_params p = t_params();
    p.fee_burn_bps = 0;
    p.elect.epoch_blocks = 4;
    p.elect.active_max = 4;
    p.elect.bench_max = 2;
    p.elect.unbonding_blocks = 3;
    p.elect.liveness_window = 8;
    p.elect.liveness_miss_bps = 5000; /* jailed past 4 misses of 8 */
    p.elect.jail_blocks = 5;
    p.elect.slash_bps = 1000;
    p.elect.evidence_age_max = 6;
    p.elect.block_reward = 0;
    p.elect.upgrade_window = 5;
    return p;
}

/* Applies txs with every member of the prev set signing except `absent`
 * (a bitmask over prev-set indices), plus evidence; commits on success. */
static hansa_err block_full(ledger_state *s, const wire_tx *txs, size_t n, int proposer,
                            uint32_t absent, const ledger_evidence *ev, uint16_t n_ev) {
    ledger_block_info info = t_info(s, proposer);
    uint16_t signers[WIRE_VALIDATORS_MAX];
    const ledger_validators *prev = ledger_state_valset(s, LEDGER_SET_PREV, NULL);
    if (info.height > 1)
        for (uint16_t i = 0; i < prev->n; i++)
            if (!(absent & (1u << i))) signers[info.n_signers++] = i;
    info.signers = signers;
    info.evidence = ev;
    info.n_evidence = n_ev;
    ledger_block *b;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_block_begin(s, &info, &b, why, sizeof why);
    for (size_t i = 0; i < n && err == HANSA_OK; i++) err = ledger_block_add_tx(b, &txs[i], false, why, sizeof why);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    ledger_block_finish(b);
    ledger_block_commit(s, b);
    return HANSA_OK;
}

static hansa_err block_txs(ledger_state *s, const wire_tx *txs, size_t n) {
    return block_full(s, txs, n, 60, 0, NULL, 0);
}

static void empty_blocks(ledger_state *s, int k) {
    for (int i = 0; i < k; i++) HANSA_ASSERT(block_txs(s, NULL, 0) == HANSA_OK);
}

static uint8_t g_bodies[64][1 + LEDGER_VOTE_PAIRS_MAX * LEDGER_VOTE_PAIR_BYTES];
static int g_body_next;

static wire_tx tx_amount(int from, uint16_t kind, uint64_t amount, uint64_t nonce) {
    uint8_t *body = g_bodies[g_body_next++ % 64];
    le64_store(body, amount);
    return t_tx_raw(from, T_CHAIN, nonce, 10, kind, body, 8);
}

/* A vote/unvote of one pair. */
static wire_tx tx_vote(int from, uint16_t kind, int cand, uint64_t amount, uint64_t nonce) {
    uint8_t *body = g_bodies[g_body_next++ % 64];
    body[0] = 1;
    memcpy(body + 1, t_keys[cand].pub.b, HANSA_PUBKEY_BYTES);
    le64_store(body + 1 + HANSA_PUBKEY_BYTES, amount);
    return t_tx_raw(from, T_CHAIN, nonce, 10, kind, body, 1 + LEDGER_VOTE_PAIR_BYTES);
}

static bool in_set(const ledger_state *s, ledger_set_which w, int key) {
    const ledger_validators *v = ledger_state_valset(s, w, NULL);
    for (uint16_t i = 0; i < v->n; i++)
        if (pubkey_eq(&v->v[i].pubkey, &t_keys[key].pub)) return true;
    return false;
}

static void test_stake_vote_unbond(void) {
    ledger_params p = e_params();
    uint64_t bal[2] = {1000, 1000};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    wire_tx txs[2] = {tx_amount(0, TX_STAKE, 100, 0), tx_vote(1, TX_VOTE, 0, 50, 0)};
    CHECK_ERR(block_txs(s, txs, 2), HANSA_OK);
    ledger_candidate c;
    CHECK(ledger_candidate_get(s, &t_keys[0].pub, &c));
    CHECK_EQ_U64(c.self_bond, 100);
    CHECK_EQ_U64(c.voted, 50);
    CHECK_EQ_U64(t_balance(s, 0), 890);
    CHECK_EQ_U64(t_balance(s, 1), 940);
    CHECK_EQ_U64(ledger_state_supply(s)->bonded, 40 + 150);
    CHECK(t_supply_ok(s));
    /* Voting for a non-candidate, and unvoting more than bonded, are refused. */
    txs[0] = tx_vote(1, TX_VOTE, 5, 1, 1);
    CHECK_ERR(ledger_tx_check(s, &txs[0], NULL, 0), HANSA_ERR_NOT_FOUND);
    txs[0] = tx_vote(1, TX_UNVOTE, 0, 51, 1);
    CHECK_ERR(ledger_tx_check(s, &txs[0], NULL, 0), HANSA_ERR_FUNDS);
    /* Unvote 20 at height 2: released at 2 + 3 = 5, not before. */
    txs[0] = tx_vote(1, TX_UNVOTE, 0, 20, 1);
    txs[1] = tx_amount(0, TX_UNSTAKE, 30, 1);
    CHECK_ERR(block_txs(s, txs, 2), HANSA_OK);
    CHECK_EQ_U64(ledger_unbonding_get(s, 5, &t_addrs[1], &t_keys[0].pub), 20);
    CHECK_EQ_U64(ledger_unbonding_get(s, 5, &t_addrs[0], &t_keys[0].pub), 30);
    CHECK_EQ_U64(ledger_vote_get(s, &t_addrs[1], &t_keys[0].pub), 30);
    CHECK_EQ_U64(ledger_state_supply(s)->unbonding, 50);
    empty_blocks(s, 2); /* heights 3, 4 */
    CHECK_EQ_U64(t_balance(s, 1), 930);
    CHECK(t_supply_ok(s));
    empty_blocks(s, 1); /* height 5: released */
    CHECK_EQ_U64(t_balance(s, 1), 950);
    CHECK_EQ_U64(t_balance(s, 0), 880 + 30);
    CHECK_EQ_U64(ledger_state_supply(s)->unbonding, 0);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* Elections at epoch boundaries, by weight, ties by pubkey; a set elected
 * at the end of h decides h+2 and is announced as next after h. */
static void test_election_order_and_pipeline(void) {
    ledger_params p = e_params();
    p.elect.active_max = 3;
    uint64_t bal[3] = {1000, 1000, 1000};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    /* Keys 0 and 1 stake 10 (a tie with the genesis delegates), key 2 stakes 50. */
    wire_tx txs[3] = {tx_amount(0, TX_STAKE, 10, 0), tx_amount(1, TX_STAKE, 10, 0),
                      tx_amount(2, TX_STAKE, 50, 0)};
    CHECK_ERR(block_txs(s, txs, 3), HANSA_OK);
    empty_blocks(s, 2); /* height 3 */
    CHECK(!in_set(s, LEDGER_SET_NEXT, 2));
    empty_blocks(s, 1); /* height 4: election */
    uint64_t act;
    const ledger_validators *next = ledger_state_valset(s, LEDGER_SET_NEXT, &act);
    CHECK_EQ_U64(act, 6);
    CHECK_EQ_U64(next->n, 3);
    CHECK(in_set(s, LEDGER_SET_NEXT, 2));
    CHECK(!in_set(s, LEDGER_SET_CUR, 2));
    /* Ties at weight 10 among keys 0, 1, 60..63 go to the two smallest pubkeys. */
    ledger_rank_entry *r;
    size_t n;
    ledger_ranking(s, &r, &n);
    CHECK_EQ_U64(n, 7);
    CHECK(pubkey_eq(&r[0].pubkey, &t_keys[2].pub));
    for (size_t i = 2; i < n; i++) CHECK(pubkey_cmp(&r[i - 1].pubkey, &r[i].pubkey) < 0);
    CHECK(in_set(s, LEDGER_SET_NEXT, 0) == (pubkey_cmp(&t_keys[0].pub, &r[2].pubkey) <= 0));
    CHECK(pubkey_eq(&next->v[0].pubkey, &r[1].pubkey) || pubkey_eq(&next->v[1].pubkey, &r[1].pubkey) ||
          pubkey_eq(&next->v[2].pubkey, &r[1].pubkey));
    free(r);
    empty_blocks(s, 1); /* height 5: the new set is cur (decides 6) */
    CHECK(in_set(s, LEDGER_SET_CUR, 2));
    CHECK(!in_set(s, LEDGER_SET_PREV, 2));
    empty_blocks(s, 1);
    CHECK(in_set(s, LEDGER_SET_PREV, 2));
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* A member missing from LEDGER_ABSENT_HEIGHTS commits in a row is marked
 * absent (passed over as proposer), not before, and is present again
 * once it signs one commit. */
static void test_absent_members(void) {
    ledger_params p = e_params();
    p.elect.epoch_blocks = 1000;
    p.elect.liveness_miss_bps = LEDGER_BPS_ONE; /* never jailed here */
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    empty_blocks(s, 2);
    const ledger_validators *cur = ledger_state_valset(s, LEDGER_SET_CUR, NULL);
    const ledger_validators *prev = ledger_state_valset(s, LEDGER_SET_PREV, NULL);
    CHECK(pubkey_eq(&cur->v[1].pubkey, &prev->v[1].pubkey)); /* no election: one order */
    bool absent[WIRE_VALIDATORS_MAX];
    for (int i = 0; i < LEDGER_ABSENT_HEIGHTS; i++) {
        ledger_absent_members(s, absent);
        CHECK(!absent[1]);
        CHECK_ERR(block_full(s, NULL, 0, 60, 1u << 1, NULL, 0), HANSA_OK);
    }
    ledger_absent_members(s, absent);
    CHECK(absent[1]);
    CHECK(!absent[0] && !absent[2] && !absent[3]);
    CHECK_ERR(block_full(s, NULL, 0, 60, 0, NULL, 0), HANSA_OK); /* it signs again */
    ledger_absent_members(s, absent);
    CHECK(!absent[1]);
    ledger_state_free(s);
}

/* A delegate that misses more than half of the window is jailed at once and
 * the best bench candidate replaces it two heights later; it may unjail
 * only after jail_blocks. */
static void test_jail_bench_unjail(void) {
    ledger_params p = e_params();
    p.elect.epoch_blocks = 1000;
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    /* Key 0 stakes 5 (bench: weight 5 < 10) and gives each delegate fee money. */
    wire_tx pre[5] = {tx_amount(0, TX_STAKE, 5, 0)};
    for (int k = 0; k < 4; k++) pre[1 + k] = t_transfer(0, &t_addrs[60 + k], 50, 1 + (uint64_t)k, 10, g_bodies[g_body_next++ % 64]);
    CHECK_ERR(block_txs(s, pre, 5), HANSA_OK);
    wire_tx tx;
    const ledger_validators *prev = ledger_state_valset(s, LEDGER_SET_PREV, NULL);
    int victim = -1;
    for (int k = 60; k < 64; k++)
        if (pubkey_eq(&prev->v[0].pubkey, &t_keys[k].pub)) victim = k;
    CHECK(victim >= 60);
    for (int i = 0; i < 4; i++) CHECK_ERR(block_full(s, NULL, 0, 61, 1, NULL, 0), HANSA_OK);
    ledger_candidate c;
    ledger_candidate_get(s, &t_keys[victim].pub, &c);
    CHECK(!(c.flags & LEDGER_CAND_JAILED)); /* 4 misses: not more than 4 */
    CHECK_ERR(block_full(s, NULL, 0, 61, 1, NULL, 0), HANSA_OK);
    ledger_candidate_get(s, &t_keys[victim].pub, &c);
    CHECK(c.flags & LEDGER_CAND_JAILED);
    uint64_t jailed_at = c.jailed_at;
    CHECK_EQ_U64(jailed_at, ledger_height(s));
    CHECK(in_set(s, LEDGER_SET_NEXT, 0));
    CHECK(!in_set(s, LEDGER_SET_NEXT, victim));
    CHECK(in_set(s, LEDGER_SET_CUR, victim));
    tx = t_tx_raw(victim, T_CHAIN, 0, 10, TX_UNJAIL, NULL, 0);
    char why[LEDGER_WHY_MAX];
    empty_blocks(s, 3);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "may unjail") != NULL);
    empty_blocks(s, 1); /* next block is jailed_at + 5 */
    CHECK_ERR(block_txs(s, &tx, 1), HANSA_OK);
    ledger_candidate_get(s, &t_keys[victim].pub, &c);
    CHECK(c.flags == 0 && c.jailed_at == 0);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

static ledger_evidence evidence_for(int key, uint64_t height, uint8_t tag) {
    ledger_evidence ev = {.offender = t_keys[key].pub, .height = height};
    memset(ev.hash.b, tag, HANSA_HASH_BYTES);
    return ev;
}

/* Slashing takes slash_bps of the self bond, of each vote and of each
 * unbonding entry, tombstones, re-elects at once; repeats and stale or
 * future evidence make the block invalid. */
static void test_slash_tombstone(void) {
    ledger_params p = e_params();
    p.elect.epoch_blocks = 1000;
    uint64_t bal[2] = {1000, 1000};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    wire_tx txs[2] = {tx_vote(0, TX_VOTE, 60, 200, 0), tx_vote(1, TX_VOTE, 60, 100, 0)};
    CHECK_ERR(block_txs(s, txs, 2), HANSA_OK);
    txs[0] = tx_vote(1, TX_UNVOTE, 60, 50, 1); /* releases at 5 */
    CHECK_ERR(block_txs(s, txs, 1), HANSA_OK);
    uint64_t burned0 = ledger_state_supply(s)->burned;
    ledger_evidence ev = evidence_for(60, 2, 0xab);
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev, 1), HANSA_OK); /* height 3 */
    ledger_candidate c;
    ledger_candidate_get(s, &t_keys[60].pub, &c);
    CHECK_EQ_U64(c.self_bond, 9);                       /* 10 - 1 */
    CHECK_EQ_U64(c.voted, 180 + 45);                    /* 200 - 20, 50 - 5 */
    CHECK(c.flags == (LEDGER_CAND_JAILED | LEDGER_CAND_TOMBSTONED));
    CHECK_EQ_U64(ledger_unbonding_get(s, 5, &t_addrs[1], &t_keys[60].pub), 45);
    CHECK_EQ_U64(ledger_state_supply(s)->burned - burned0, 1 + 20 + 5 + 5);
    CHECK(!in_set(s, LEDGER_SET_NEXT, 60));
    CHECK(ledger_evidence_punished(s, &ev.hash));
    CHECK(t_supply_ok(s));
    char why[LEDGER_WHY_MAX];
    /* The same evidence again: refused. */
    CHECK_ERR(ledger_evidence_check(s, &ev, why, sizeof why), HANSA_ERR_INVALID);
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev, 1), HANSA_ERR_INVALID);
    /* Another offence of a tombstoned delegate is recorded, not slashed again. */
    ledger_evidence ev2 = evidence_for(60, 3, 0xac);
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev2, 1), HANSA_OK);
    ledger_candidate_get(s, &t_keys[60].pub, &c);
    CHECK_EQ_U64(c.self_bond, 9);
    /* Stale (older than 6 heights), future, unknown offender. */
    empty_blocks(s, 4); /* height 8 */
    ledger_evidence old = evidence_for(61, 2, 0x01), fut = evidence_for(61, 9, 0x02),
                    who = evidence_for(5, 7, 0x03), ok = evidence_for(61, 3, 0x04);
    CHECK_ERR(block_full(s, NULL, 0, 62, 0, &old, 1), HANSA_ERR_INVALID);
    CHECK_ERR(block_full(s, NULL, 0, 62, 0, &fut, 1), HANSA_ERR_INVALID);
    CHECK_ERR(block_full(s, NULL, 0, 62, 0, &who, 1), HANSA_ERR_INVALID);
    ledger_evidence twice[2] = {ok, ok};
    CHECK_ERR(block_full(s, NULL, 0, 62, 0, twice, 2), HANSA_ERR_INVALID);
    CHECK_ERR(block_full(s, NULL, 0, 62, 0, &ok, 1), HANSA_OK); /* exactly 6 old */
    /* Bonds to a tombstoned candidate are refused. */
    txs[0] = tx_vote(0, TX_VOTE, 60, 1, 1);
    CHECK_ERR(ledger_tx_check(s, &txs[0], NULL, 0), HANSA_ERR_INVALID);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* A punished-evidence record goes once it is more than evidence_age_max (6)
 * heights old, when that evidence is refused for its age anyway; a record
 * within the window stays (test_random_supply reloads states whose records
 * expired to the same app hash). */
static void test_evidence_expires(void) {
    ledger_params p = e_params();
    p.elect.epoch_blocks = 1000;
    uint64_t bal[2] = {1000, 1000};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    empty_blocks(s, 2);
    ledger_evidence ev = evidence_for(60, 2, 0xab), ev2 = evidence_for(60, 3, 0xac);
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev, 1), HANSA_OK);  /* punished at 3 */
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev2, 1), HANSA_OK); /* punished at 4 */
    empty_blocks(s, 5); /* height 9: 6 heights after 3 */
    CHECK(ledger_evidence_punished(s, &ev.hash) && ledger_evidence_punished(s, &ev2.hash));
    empty_blocks(s, 1); /* 10 */
    CHECK(!ledger_evidence_punished(s, &ev.hash) && ledger_evidence_punished(s, &ev2.hash));
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_evidence_check(s, &ev, why, sizeof why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "older than") != NULL); /* refused for its age, record or not */
    empty_blocks(s, 1); /* 11 */
    CHECK(!ledger_evidence_punished(s, &ev2.hash));
    CHECK_ERR(block_full(s, NULL, 0, 61, 0, &ev2, 1), HANSA_ERR_INVALID);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* Reward + unburned fees go to the signers by power; the proposer gets the
 * rounding remainder. */
static void test_rewards_split(void) {
    ledger_params p = e_params();
    p.elect.block_reward = 100;
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    empty_blocks(s, 1); /* block 1: nobody signed, the proposer (60) takes 100 */
    CHECK_EQ_U64(t_balance(s, 60), 100);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(0, &t_addrs[1], 1, 0, 10, body);
    /* 3 of 4 sign (index 3 absent): pool 110, 36 each, remainder 2 to proposer 60. */
    const ledger_validators *prev = ledger_state_valset(s, LEDGER_SET_PREV, NULL);
    CHECK_ERR(block_full(s, &tx, 1, 60, 1u << 3, NULL, 0), HANSA_OK);
    uint64_t got[4] = {0};
    for (int k = 0; k < 4; k++) got[k] = t_balance(s, 60 + k) - (k == 0 ? 100 : 0);
    uint64_t total = got[0] + got[1] + got[2] + got[3];
    CHECK_EQ_U64(total, 110);
    for (int k = 0; k < 4; k++) {
        bool absent = pubkey_eq(&prev->v[3].pubkey, &t_keys[60 + k].pub);
        uint64_t want = absent ? 0 : 36;
        if (k == 0) want += 2;
        CHECK_EQ_U64(got[k], want);
    }
    CHECK_EQ_U64(ledger_state_supply(s)->minted, 200);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

static void count_record(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    (void)key, (void)klen, (void)val, (void)vlen;
    (*(size_t *)ctx)++;
}

static size_t upgrade_votes(const ledger_state *s) {
    size_t n = 0;
    ledger_records_iter(s, LEDGER_TAB_UPGRADE_VOTE, count_record, &n);
    return n;
}

/* The state reloads from its records to the same app hash and supply. */
static void check_reload(const ledger_state *s) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_state *r = ledger_state_load_begin(t_hash_key_b);
    char why[LEDGER_WHY_MAX] = "";
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(r, k, kl, v, vl, why, sizeof why), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(r, ledger_app_hash(s), why, sizeof why), HANSA_OK);
    CHECK(memcmp(ledger_state_supply(r), ledger_state_supply(s), sizeof(ledger_supply)) == 0);
    ledger_writes_free(&ws);
    ledger_state_free(r);
}

/* More than 2/3 of bonded weight within the window ratifies; not before,
 * not after the window. A proposal closes when ratified or past its
 * window: its tally goes into its record and its votes are deleted. */
static void test_ratification(void) {
    ledger_params p = e_params();
    uint64_t bal[3] = {1000, 1000, 1000};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    /* Bonds: genesis 40, key0 100, key1 100, key2 30 -> total 270; 2/3 = 180. */
    wire_tx txs[3] = {tx_amount(0, TX_STAKE, 100, 0), tx_amount(1, TX_STAKE, 100, 0),
                      tx_amount(2, TX_STAKE, 30, 0)};
    CHECK_ERR(block_txs(s, txs, 3), HANSA_OK);
    uint8_t sw[HANSA_HASH_BYTES];
    memset(sw, 0x5a, sizeof sw);
    hansa_hash h;
    memcpy(h.b, sw, sizeof sw);
    txs[0] = t_tx_raw(0, T_CHAIN, 1, 10, TX_UPGRADE_PROPOSE, sw, sizeof sw);
    txs[1] = t_tx_raw(0, T_CHAIN, 2, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    txs[2] = t_tx_raw(1, T_CHAIN, 1, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    CHECK_ERR(block_txs(s, txs, 3), HANSA_OK); /* 200 of 270: 600 > 540, ratified */
    ledger_upgrade u;
    CHECK(ledger_upgrade_get(s, &h, &u));
    CHECK_EQ_U64(u.ratified_at, 2);
    CHECK(u.closed_at == 2 && u.approvals == 2 && u.approval_weight == 200);
    CHECK_EQ_U64(upgrade_votes(s), 0);
    /* A second proposal with only 130 of 270 is not ratified, and closes. */
    sw[0] = 1;
    memcpy(h.b, sw, sizeof sw);
    txs[0] = t_tx_raw(0, T_CHAIN, 3, 10, TX_UPGRADE_PROPOSE, sw, sizeof sw);
    txs[1] = t_tx_raw(0, T_CHAIN, 4, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    txs[2] = t_tx_raw(2, T_CHAIN, 1, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    CHECK_ERR(block_txs(s, txs, 3), HANSA_OK);
    CHECK(ledger_upgrade_get(s, &h, &u) && u.ratified_at == 0);
    empty_blocks(s, 5); /* height 8: the last of the window (5) */
    CHECK(ledger_upgrade_get(s, &h, &u) && u.closed_at == 0 && u.approvals == 0);
    CHECK_EQ_U64(upgrade_votes(s), 2);
    check_reload(s);
    empty_blocks(s, 1); /* 9: closed, not ratified, its tally kept */
    CHECK(ledger_upgrade_get(s, &h, &u) && u.ratified_at == 0 && u.closed_at == 9);
    CHECK(u.approvals == 2 && u.approval_weight == 130);
    CHECK_EQ_U64(upgrade_votes(s), 0);
    check_reload(s);
    txs[0] = t_tx_raw(1, T_CHAIN, 2, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    CHECK_ERR(ledger_tx_check(s, &txs[0], NULL, 0), HANSA_ERR_INVALID);
    /* Without a bond, no vote. */
    txs[0] = t_tx_raw(60, T_CHAIN, 0, 10, TX_UPGRADE_VOTE, sw, sizeof sw);
    CHECK(ledger_tx_check(s, &txs[0], NULL, 0) != HANSA_OK);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* Random stakes, votes, unvotes, unstakes, transfers, absences and evidence;
 * the supply equation and the app hash of a reload hold after every block. */
static void test_random_supply(void) {
    hansa_prng rng;
    prng_seed(&rng, check_seed("test_random_supply", 99));
    ledger_params p = e_params();
    p.elect.block_reward = 7;
    p.fee_burn_bps = 3000;
    uint64_t bal[8];
    for (int i = 0; i < 8; i++) bal[i] = 100000;
    ledger_state *s = t_state(&p, bal, 8, t_hash_key_a);
    uint64_t nonce[8] = {0};
    for (int h = 0; h < 60; h++) {
        wire_tx txs[6];
        size_t n = 0;
        for (int k = 0; k < 6; k++) {
            int from = (int)prng_below(&rng, 8), cand = (int)prng_below(&rng, 8);
            uint64_t amt = 1 + prng_below(&rng, 500);
            uint16_t kinds[5] = {TX_STAKE, TX_VOTE, TX_UNVOTE, TX_UNSTAKE, TX_TRANSFER};
            uint16_t kind = kinds[prng_below(&rng, 5)];
            wire_tx tx = kind == TX_VOTE || kind == TX_UNVOTE ? tx_vote(from, kind, cand, amt, nonce[from])
                         : kind == TX_TRANSFER ? t_transfer(from, &t_addrs[cand == from ? (cand + 1) % 8 : cand], amt, nonce[from], 10, g_bodies[g_body_next++ % 64])
                                               : tx_amount(from, kind, amt, nonce[from]);
            ledger_block *cs = ledger_block_begin_check(s);
            for (size_t j = 0; j < n; j++) HANSA_ASSERT(ledger_block_add_tx(cs, &txs[j], true, NULL, 0) == HANSA_OK);
            if (ledger_block_add_tx(cs, &tx, true, NULL, 0) == HANSA_OK) {
                txs[n++] = tx;
                nonce[from]++;
            }
            ledger_block_free(cs);
        }
        uint32_t absent = (uint32_t)prng_below(&rng, 4) == 0 ? 1u : 0u;
        ledger_evidence ev = evidence_for(60 + (int)prng_below(&rng, 4), ledger_height(s), (uint8_t)h);
        bool with_ev = h > 2 && prng_below(&rng, 10) == 0;
        CHECK_ERR(block_full(s, txs, n, 60 + (int)prng_below(&rng, 4), absent, &ev, with_ev), HANSA_OK);
        if (!t_supply_ok(s)) break;
    }
    check_reload(s);
    ledger_state_free(s);
}

int main(void) {
    t_init_keys();
    RUN(test_stake_vote_unbond);
    RUN(test_election_order_and_pipeline);
    RUN(test_jail_bench_unjail);
    RUN(test_absent_members);
    RUN(test_slash_tombstone);
    RUN(test_evidence_expires);
    RUN(test_rewards_split);
    RUN(test_ratification);
    RUN(test_random_supply);
    return check_summary();
}
