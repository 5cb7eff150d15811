/* Tests of transactions and blocks: transfer checks and their errors,
 * checked arithmetic at the edges of u64, the fee burn split, the block
 * validity rule, the pending-block overlay, app hash determinism and
 * sensitivity, and a seeded random workload checked against a model and the
 * supply equation after every block. */
#include "base/err.h"
#include "base/mem.h"
#include "base/rng.h"
#include "crypto/sigbatch.h"
#include "check.h"
#include "ledger_helpers.h"

/* floor(fee * bps / 10000), computed the obvious way in 128 bits. */
static uint64_t burn_ref(uint64_t fee, uint16_t bps) {
    return (uint64_t)((unsigned __int128)fee * bps / LEDGER_BPS_ONE);
}

/* Applies txs as one block with proposer key `proposer` and commits it. */
static hansa_err apply_commit(ledger_state *s, const wire_tx *txs, size_t n, int proposer) {
    ledger_block *b;
    char why[LEDGER_WHY_MAX] = "";
    ledger_block_info info = t_info(s, proposer);
    hansa_err err = ledger_block_begin(s, &info, &b, why, sizeof why);
    for (size_t i = 0; i < n && err == HANSA_OK; i++)
        err = ledger_block_add_tx(b, &txs[i], false, why, sizeof why);
    if (err != HANSA_OK) {
        fprintf(stderr, "  apply_commit: %s\n", why);
        ledger_block_free(b);
        return err;
    }
    ledger_block_finish(b);
    ledger_block_commit(s, b);
    return HANSA_OK;
}

static void test_transfer_ok(void) {
    ledger_params p = t_params(); /* burn 25%, min fee 10 */
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    hansa_hash genesis_hash = *ledger_app_hash(s);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(0, &t_addrs[1], 100, 0, 11, body);
    CHECK_ERR(ledger_tx_check(s, &tx, NULL, 0), HANSA_OK);
    CHECK_ERR(ledger_tx_verify_sig(&tx), HANSA_OK);

    ledger_block *b;
    ledger_block_info info = t_info(s, 60);
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(b, &tx, false, NULL, 0), HANSA_OK);
    ledger_block_finish(b);
    /* Writes: meta, supply, sender, recipient, proposer — sorted. */
    const ledger_writes *ws = ledger_block_writes(b);
    CHECK_EQ_U64(ws->n, 5);
    size_t kl, vl;
    const uint8_t *k = ledger_write_key(ws, 0, &kl);
    CHECK(kl == 1 && k[0] == LEDGER_KEY_META);
    k = ledger_write_key(ws, 1, &kl);
    CHECK(kl == 1 && k[0] == LEDGER_KEY_SUPPLY);
    for (size_t i = 2; i < ws->n; i++) {
        k = ledger_write_key(ws, i, &kl);
        CHECK(kl == LEDGER_KEY_ACCOUNT_BYTES && k[0] == LEDGER_KEY_ACCOUNT);
        if (memcmp(k + 1, t_addrs[1].b, HANSA_ADDR_BYTES) == 0) {
            ledger_account a;
            const uint8_t *v = ledger_write_value(ws, i, &vl);
            CHECK_ERR(ledger_account_decode(v, vl, &a, NULL), HANSA_OK);
            CHECK(a.balance == 100 && a.nonce == 0);
        }
    }
    hansa_hash wh, expect;
    ledger_writes_hash(ws, &wh);
    ledger_app_hash_next(&genesis_hash, 1, &wh, &expect);
    CHECK(hash_eq(&expect, ledger_block_app_hash(b)));
    ledger_block_commit(s, b);

    CHECK_EQ_U64(t_balance(s, 0), 889);
    CHECK_EQ_U64(t_nonce(s, 0), 1);
    CHECK_EQ_U64(t_balance(s, 1), 100);
    CHECK_EQ_U64(t_nonce(s, 1), 0);
    CHECK_EQ_U64(t_balance(s, 60), 9); /* 11 - floor(11 * 0.25) */
    CHECK_EQ_U64(ledger_state_supply(s)->burned, 2);
    CHECK_EQ_U64(ledger_height(s), 1);
    CHECK(hash_eq(ledger_app_hash(s), &expect));
    CHECK(t_supply_ok(s));
    /* The same tx again is now a replay. */
    CHECK_ERR(ledger_tx_check(s, &tx, NULL, 0), HANSA_ERR_NONCE);
    ledger_state_free(s);
}

/* Every refusal leaves the pending block as it was. */
static void check_refused(ledger_block *b, const wire_tx *tx, hansa_err expect, const char *word) {
    size_t touched = b->touched.count;
    uint64_t burned = b->supply.burned, fees = b->proposer_fees;
    uint32_t n = b->n_txs;
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_block_add_tx(b, tx, false, why, sizeof why), expect);
    CHECK(strstr(why, word) != NULL);
    if (strstr(why, word) == NULL) fprintf(stderr, "  why: %s (wanted '%s')\n", why, word);
    CHECK(b->touched.count == touched && b->supply.burned == burned);
    CHECK(b->proposer_fees == fees && b->n_txs == n);
    /* The mempool check is the same minus the signature (tx.h step 7). */
    CHECK_ERR(ledger_tx_check(b->base, tx, NULL, 0), expect == HANSA_ERR_BAD_SIG ? HANSA_OK : expect);
}

static void test_transfer_rejects(void) {
    ledger_params p = t_params();
    uint64_t bal[2] = {1000, 50};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    ledger_block *b;
    ledger_block_info info = t_info(s, 60);
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES + 1];
    wire_tx tx;

    tx = t_transfer(0, &t_addrs[2], 10, 1, 10, body);
    check_refused(b, &tx, HANSA_ERR_NONCE, "nonce 1");
    tx = t_transfer(0, &t_addrs[2], 991, 0, 10, body);
    check_refused(b, &tx, HANSA_ERR_FUNDS, "balance 1000");
    tx = t_transfer(0, &t_addrs[2], 10, 0, 9, body);
    check_refused(b, &tx, HANSA_ERR_FEE, "below the minimum");
    tx = t_transfer(0, &t_addrs[0], 10, 0, 10, body);
    check_refused(b, &tx, HANSA_ERR_INVALID, "sender itself");
    tx = t_transfer(0, &t_addrs[2], 0, 0, 10, body);
    check_refused(b, &tx, HANSA_ERR_INVALID, "amount 0");
    tx = t_transfer(5, &t_addrs[2], 1, 0, 10, body); /* no account */
    check_refused(b, &tx, HANSA_ERR_FUNDS, "fee");
    t_transfer_body(body, &t_addrs[2], 10);
    tx = t_tx_raw(0, T_CHAIN + 1, 0, 10, TX_TRANSFER, body, LEDGER_TRANSFER_BODY_BYTES);
    check_refused(b, &tx, HANSA_ERR_WRONG_CHAIN, "chain e2e5");
    tx = t_tx_raw(0, T_CHAIN, 0, 10, 200, body, LEDGER_TRANSFER_BODY_BYTES);
    check_refused(b, &tx, HANSA_ERR_INVALID, "unknown transaction kind 200");
    tx = t_tx_raw(0, T_CHAIN, 0, 10, TX_EVIDENCE, body, LEDGER_TRANSFER_BODY_BYTES);
    check_refused(b, &tx, HANSA_ERR_INVALID, "unknown transaction kind 7");
    tx = t_tx_raw(0, T_CHAIN, 0, 10, TX_TRANSFER, body, LEDGER_TRANSFER_BODY_BYTES - 1);
    check_refused(b, &tx, HANSA_ERR_TRUNCATED, "27 bytes");
    body[LEDGER_TRANSFER_BODY_BYTES] = 0;
    tx = t_tx_raw(0, T_CHAIN, 0, 10, TX_TRANSFER, body, LEDGER_TRANSFER_BODY_BYTES + 1);
    check_refused(b, &tx, HANSA_ERR_TRAILING, "29 bytes");
    tx = t_tx_raw(0, T_CHAIN, 0, 10, TX_TRANSFER, body, 0);
    check_refused(b, &tx, HANSA_ERR_TRUNCATED, "0 bytes");

    /* Signatures: verified unless the caller vouches for them. */
    tx = t_transfer(0, &t_addrs[2], 990, 0, 10, body); /* exactly the balance */
    CHECK_ERR(ledger_tx_verify_sig(&tx), HANSA_OK);
    tx.sig.b[5] ^= 1;
    CHECK_ERR(ledger_tx_verify_sig(&tx), HANSA_ERR_BAD_SIG);
    CHECK_ERR(ledger_tx_check(s, &tx, NULL, 0), HANSA_OK); /* the check leaves sigs out */
    check_refused(b, &tx, HANSA_ERR_BAD_SIG, "signature");
    CHECK_ERR(ledger_block_add_tx(b, &tx, true, NULL, 0), HANSA_OK);
    ledger_account a;
    CHECK(ledger_block_account(b, &t_addrs[0], &a));
    CHECK(a.balance == 0 && a.nonce == 1); /* empty balance, still stored: nonce 1 */
    ledger_block_free(b);
    ledger_state_free(s);
}

/* Balances, amounts and fees next to UINT64_MAX never wrap. */
static void test_overflow_edges(void) {
    ledger_params p = t_params();
    /* With the 4 genesis bonds of 10, the supply is exactly UINT64_MAX. */
    uint64_t bal[2] = {UINT64_MAX - 140, 100};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    CHECK(t_supply_ok(s));
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(0, &t_addrs[1], UINT64_MAX, 0, 10, body);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_OVERFLOW);
    tx = t_transfer(0, &t_addrs[1], UINT64_MAX - 50, 0, 10, body);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_FUNDS);
    tx = t_transfer(0, &t_addrs[1], UINT64_MAX - 100, 0, 1, body);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_FEE);
    tx = t_transfer(0, &t_addrs[1], 1, 0, UINT64_MAX, body);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_FUNDS);

    /* A fee of nearly everything: the burn is exact in 64 bits. */
    uint64_t fee = UINT64_MAX - 141;
    wire_tx txs[2];
    uint8_t bodies[2][LEDGER_TRANSFER_BODY_BYTES];
    txs[0] = t_transfer(0, &t_addrs[2], 1, 0, fee, bodies[0]);
    txs[1] = t_transfer(1, &t_addrs[2], 90, 0, 10, bodies[1]);
    CHECK_ERR(apply_commit(s, txs, 2, 60), HANSA_OK);
    uint64_t burned = burn_ref(fee, p.fee_burn_bps) + burn_ref(10, p.fee_burn_bps);
    CHECK_EQ_U64(ledger_state_supply(s)->burned, burned);
    CHECK_EQ_U64(t_balance(s, 60), fee + 10 - burned);
    CHECK_EQ_U64(t_balance(s, 0), 0);
    CHECK_EQ_U64(t_balance(s, 2), 91);
    CHECK(t_supply_ok(s));

    /* The proposer, now rich, pays out nearly UINT64_MAX to one account. */
    uint64_t rich = t_balance(s, 60);
    txs[0] = t_transfer(60, &t_addrs[3], rich - 10, 0, 10, bodies[0]);
    CHECK_ERR(apply_commit(s, txs, 1, 61), HANSA_OK);
    CHECK_EQ_U64(t_balance(s, 3), rich - 10);
    CHECK(t_supply_ok(s));
    ledger_state_free(s);
}

/* A nonce of UINT64_MAX cannot be used: the next one would wrap. */
static void test_nonce_exhausted(void) {
    ledger_params p = t_params();
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_state *l = ledger_state_load_begin(t_hash_key_b);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl);
        uint8_t *v = (uint8_t *)ledger_write_value(&ws, i, &vl);
        if (k[0] == LEDGER_KEY_ACCOUNT) le64_store(v + 9, UINT64_MAX);
        CHECK_ERR(ledger_state_load_record(l, k, kl, v, vl, NULL, 0), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(l, ledger_app_hash(s), NULL, 0), HANSA_OK);
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(0, &t_addrs[1], 1, UINT64_MAX, 10, body);
    CHECK_ERR(ledger_tx_check(l, &tx, NULL, 0), HANSA_ERR_OVERFLOW);
    ledger_writes_free(&ws);
    ledger_state_free(l);
    ledger_state_free(s);
}

static void test_fee_burn_arithmetic(void) {
    CHECK_EQ_U64(ledger_fee_burn(0, 10000), 0);
    CHECK_EQ_U64(ledger_fee_burn(UINT64_MAX, 10000), UINT64_MAX);
    CHECK_EQ_U64(ledger_fee_burn(UINT64_MAX, 0), 0);
    CHECK_EQ_U64(ledger_fee_burn(9999, 1), 0);
    CHECK_EQ_U64(ledger_fee_burn(10000, 1), 1);
    CHECK_EQ_U64(ledger_fee_burn(11, 2500), 2);   /* 2.75 rounds down: burn 2, proposer 9 */
    CHECK_EQ_U64(ledger_fee_burn(3, 5000), 1);    /* 1.5 -> 1 */
    hansa_prng rng;
    prng_seed(&rng, check_seed("test_fee_burn_arithmetic", 11));
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t fee = prng_next(&rng) >> prng_below(&rng, 64);
        uint16_t bps = (uint16_t)prng_below(&rng, LEDGER_BPS_ONE + 1);
        bad += ledger_fee_burn(fee, bps) != burn_ref(fee, bps);
    }
    CHECK_EQ_U64(bad, 0);
}

/* The split per transaction, remainder to the proposer, in a whole block. */
static void test_fee_split_block(void) {
    static const uint64_t fees[] = {10, 13, 9999, 10001, 123457, 3};
    enum { NF = sizeof fees / sizeof fees[0] };
    static const uint16_t shares[] = {3333, 0, 10000, 1};
    for (size_t si = 0; si < sizeof shares / sizeof shares[0]; si++) {
        ledger_params p = t_params();
        p.min_fee = 0;
        p.fee_burn_bps = shares[si];
        uint64_t bal[NF];
        for (int i = 0; i < NF; i++) bal[i] = 1000000;
        ledger_state *s = t_state(&p, bal, NF, t_hash_key_a);
        wire_tx txs[NF];
        uint8_t bodies[NF][LEDGER_TRANSFER_BODY_BYTES];
        uint64_t burned = 0, to_proposer = 0;
        for (int i = 0; i < NF; i++) {
            txs[i] = t_transfer(i, &t_addrs[30], 5, 0, fees[i], bodies[i]);
            burned += burn_ref(fees[i], p.fee_burn_bps);
            to_proposer += fees[i] - burn_ref(fees[i], p.fee_burn_bps);
        }
        size_t before = ledger_account_count(s);
        CHECK_ERR(apply_commit(s, txs, NF, 60), HANSA_OK);
        CHECK_EQ_U64(ledger_state_supply(s)->burned, burned);
        CHECK_EQ_U64(t_balance(s, 60), to_proposer);
        /* All burned: the proposer gets nothing and no (empty) account. */
        CHECK_EQ_U64(ledger_account_count(s), before + 1 + (to_proposer > 0));
        CHECK(t_supply_ok(s));
        ledger_state_free(s);
    }
}

static void test_block_validity(void) {
    ledger_params p = t_params();
    p.max_block_txs = 4;
    uint64_t bal[3] = {1000, 1000, 1000};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    hansa_hash h0 = *ledger_app_hash(s);
    uint8_t bodies[6][LEDGER_TRANSFER_BODY_BYTES];
    wire_tx txs[6];
    txs[0] = t_transfer(0, &t_addrs[1], 10, 0, 10, bodies[0]);
    txs[1] = t_transfer(0, &t_addrs[1], 10, 1, 10, bodies[1]);
    txs[2] = t_transfer(1, &t_addrs[2], 10, 5, 10, bodies[2]); /* bad nonce */
    txs[3] = t_transfer(2, &t_addrs[0], 10, 0, 10, bodies[3]);
    txs[4] = t_transfer(2, &t_addrs[0], 10, 1, 10, bodies[4]);
    hbuf enc[6];
    wire_bytes wb[6];
    for (int i = 0; i < 5; i++) {
        enc[i] = (hbuf)HBUF_INIT;
        wire_tx_encode(&enc[i], &txs[i]);
        wb[i] = (wire_bytes){enc[i].data, (uint32_t)enc[i].len};
    }
    ledger_block_info info = t_info(s, 60);
    ledger_block *b;
    ledger_block_result res;

    CHECK_ERR(ledger_apply_block(s, &info, wb, 4, NULL, &b, &res), HANSA_ERR_NONCE);
    CHECK(b == NULL && res.tx_failed && res.failed_index == 2);
    CHECK(strstr(res.why, "tx 2: nonce 5") != NULL);
    CHECK(hash_eq(ledger_app_hash(s), &h0));
    CHECK_EQ_U64(t_nonce(s, 0), 0);

    CHECK_ERR(ledger_apply_block(s, &info, wb, 5, NULL, &b, &res), HANSA_ERR_TOO_LONG);
    CHECK(!res.tx_failed);

    /* A duplicate transaction fails as a replay. */
    wire_bytes dup[2] = {wb[0], wb[0]};
    CHECK_ERR(ledger_apply_block(s, &info, dup, 2, NULL, &b, &res), HANSA_ERR_NONCE);
    CHECK_EQ_U64(res.failed_index, 1);

    /* Undecodable bytes. */
    wire_bytes cut[2] = {wb[0], {wb[1].bytes, wb[1].len - 1}};
    CHECK_ERR(ledger_apply_block(s, &info, cut, 2, NULL, &b, &res), HANSA_ERR_TRUNCATED);
    CHECK_EQ_U64(res.failed_index, 1);

    /* A forged signature passes only where the caller says it verified it. */
    enc[5] = (hbuf)HBUF_INIT;
    wire_tx forged = txs[3];
    forged.sig.b[0] ^= 0x40;
    wire_tx_encode(&enc[5], &forged);
    wire_bytes fb[1] = {{enc[5].data, (uint32_t)enc[5].len}};
    CHECK_ERR(ledger_apply_block(s, &info, fb, 1, NULL, &b, &res), HANSA_ERR_BAD_SIG);
    bool verified[1] = {true};
    CHECK_ERR(ledger_apply_block(s, &info, fb, 1, verified, &b, &res), HANSA_OK);
    ledger_block_free(b);

    /* Height and time. */
    ledger_block_info bad = info;
    bad.height = 2;
    CHECK_ERR(ledger_apply_block(s, &bad, wb, 1, NULL, &b, &res), HANSA_ERR_INVALID);
    CHECK(strstr(res.why, "height 2") != NULL);
    bad = info;
    bad.time_ms = p.genesis_time_ms;
    CHECK_ERR(ledger_apply_block(s, &bad, wb, 1, NULL, &b, &res), HANSA_ERR_INVALID);

    /* The builder's way: add_tx refuses past the limit with FULL. */
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    int order[4] = {0, 1, 3, 4};
    for (int i = 0; i < 4; i++) CHECK_ERR(ledger_block_add_tx(b, &txs[order[i]], false, NULL, 0), HANSA_OK);
    uint8_t body5[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx fifth = t_transfer(1, &t_addrs[2], 1, 0, 10, body5);
    CHECK_ERR(ledger_block_add_tx(b, &fifth, false, NULL, 0), HANSA_ERR_FULL);
    ledger_block_free(b);

    /* An empty block is valid and still moves the app hash (height, time). */
    CHECK_ERR(ledger_apply_block(s, &info, NULL, 0, NULL, &b, &res), HANSA_OK);
    CHECK_EQ_U64(ledger_block_writes(b)->n, 1);
    CHECK(!hash_eq(ledger_block_app_hash(b), &h0));
    ledger_block_commit(s, b);
    CHECK_EQ_U64(ledger_height(s), 1);
    for (int i = 0; i < 6; i++) hbuf_free(&enc[i]);
    ledger_state_free(s);
}

/* Validating does not change the state; committing does. */
static void test_overlay(void) {
    ledger_params p = t_params();
    uint64_t bal[3] = {1000, 1000, 1000};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    hansa_hash h0 = *ledger_app_hash(s);
    ledger_writes before = LEDGER_WRITES_INIT, after = LEDGER_WRITES_INIT;
    ledger_state_records(s, &before);
    hansa_hash rec0, rec1;
    ledger_writes_hash(&before, &rec0);

    uint8_t bodies[4][LEDGER_TRANSFER_BODY_BYTES];
    wire_tx a[3] = {t_transfer(0, &t_addrs[1], 100, 0, 10, bodies[0]),
                    t_transfer(0, &t_addrs[5], 100, 1, 10, bodies[1]),
                    t_transfer(0, &t_addrs[6], 100, 2, 10, bodies[2])};
    wire_tx other = t_transfer(1, &t_addrs[2], 7, 0, 10, bodies[3]);
    ledger_block_info info = t_info(s, 60);
    ledger_block *b1, *b2;
    CHECK_ERR(ledger_block_begin(s, &info, &b1, NULL, 0), HANSA_OK);
    CHECK_ERR(ledger_block_begin(s, &info, &b2, NULL, 0), HANSA_OK);
    for (int i = 0; i < 3; i++) CHECK_ERR(ledger_block_add_tx(b1, &a[i], false, NULL, 0), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(b2, &other, false, NULL, 0), HANSA_OK);
    /* Sequential nonces of one sender inside one pending block (the mempool's case). */
    ledger_account acct;
    ledger_block_account(b1, &t_addrs[0], &acct);
    CHECK(acct.nonce == 3 && acct.balance == 1000 - 330);
    ledger_block_finish(b1);
    ledger_block_finish(b2);
    CHECK(!hash_eq(ledger_block_app_hash(b1), ledger_block_app_hash(b2)));

    /* Nothing moved in the committed state. */
    ledger_state_records(s, &after);
    ledger_writes_hash(&after, &rec1);
    CHECK(hash_eq(&rec0, &rec1));
    CHECK(hash_eq(ledger_app_hash(s), &h0));
    CHECK_EQ_U64(ledger_height(s), 0);
    CHECK_EQ_U64(t_balance(s, 0), 1000);
    CHECK_EQ_U64(ledger_account_count(s), 3);

    hansa_hash h1 = *ledger_block_app_hash(b1);
    ledger_block_commit(s, b1);
    ledger_block_free(b2); /* the losing proposal */
    CHECK(hash_eq(ledger_app_hash(s), &h1));
    CHECK_EQ_U64(ledger_height(s), 1);
    CHECK_EQ_U64(t_balance(s, 0), 670);
    CHECK_EQ_U64(t_nonce(s, 0), 3);
    CHECK_EQ_U64(t_balance(s, 5), 100);
    CHECK_EQ_U64(t_balance(s, 2), 1000); /* b2's transfer never happened */
    CHECK_EQ_U64(ledger_account_count(s), 6);
    CHECK(t_supply_ok(s));
    ledger_writes_free(&before);
    ledger_writes_free(&after);
    ledger_state_free(s);
}

/* The block's memo of address hashes (ledger_addr_memo, 4 entries): reads
 * and writes of more addresses than it holds, each read again after it was
 * evicted, give what was written; a block made from a spare over a state
 * with another hash key starts with an empty memo. Debug builds check every
 * hash the memo hands to the account maps, so a stale one fails here. */
static void test_addr_memo(void) {
    ledger_params p = t_params();
    uint64_t bal[3] = {1000, 2000, 3000};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    ledger_block_info info = t_info(s, 60);
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    ledger_account a;
    for (int round = 0; round < 3; round++) {
        for (int i = 3; i < 13; i++) {
            ledger_account w = {(uint64_t)(i * 100 + round), (uint64_t)round};
            ledger_block_account_put(b, &t_addrs[i], &w);
            CHECK(ledger_block_account(b, &t_addrs[(i - 3) % 3], &a));
            CHECK_EQ_U64(a.balance, bal[(i - 3) % 3]);
        }
        for (int i = 12; i >= 3; i--) {
            CHECK(ledger_block_account(b, &t_addrs[i], &a));
            CHECK_EQ_U64(a.balance, (uint64_t)(i * 100 + round));
            CHECK_EQ_U64(a.nonce, (uint64_t)round);
        }
    }
    CHECK(!ledger_block_account(b, &t_addrs[20], &a));
    CHECK(ledger_block_account(b, &t_addrs[0], &a)); /* memoized under key a, last */
    ledger_block_free(b); /* a release build keeps it as a spare for the next block_new */
    ledger_state *s2 = t_state(&p, bal, 3, t_hash_key_b);
    info = t_info(s2, 60);
    CHECK_ERR(ledger_block_begin(s2, &info, &b, NULL, 0), HANSA_OK);
    /* Read first: a memo kept from the spare would hand key a's hash. */
    for (int i = 0; i < 3; i++) {
        CHECK(ledger_block_account(b, &t_addrs[i], &a));
        CHECK_EQ_U64(a.balance, bal[i]);
    }
    CHECK(!ledger_block_account(b, &t_addrs[5], &a));
    ledger_block_free(b);
    ledger_state_free(s2);
    ledger_state_free(s);
}

/* The mempool's check state: queued transactions of one sender in sequence,
 * beyond the block limit, with their spending accumulated. */
static void test_check_state(void) {
    ledger_params p = t_params();
    p.max_block_txs = 2;
    uint64_t bal[1] = {1000};
    ledger_state *s = t_state(&p, bal, 1, t_hash_key_a);
    ledger_block *cs = ledger_block_begin_check(s);
    uint8_t bodies[5][LEDGER_TRANSFER_BODY_BYTES];
    for (uint64_t n = 0; n < 4; n++) {
        wire_tx tx = t_transfer(0, &t_addrs[1], 200, n, 10, bodies[n]);
        CHECK_ERR(ledger_block_add_tx(cs, &tx, true, NULL, 0), HANSA_OK);
        if (n == 1) CHECK_ERR(ledger_tx_check(s, &tx, NULL, 0), HANSA_ERR_NONCE);
    }
    /* 4 x 210 spent of 1000: a fifth of 200 no longer fits. */
    wire_tx tx = t_transfer(0, &t_addrs[1], 200, 4, 10, bodies[4]);
    CHECK_ERR(ledger_block_add_tx(cs, &tx, true, NULL, 0), HANSA_ERR_FUNDS);
    CHECK_EQ_U64(t_balance(s, 0), 1000); /* the committed state is untouched */
    ledger_block_free(cs);
    ledger_state_free(s);
}

/* Builds the block of the sensitivity test, with one thing varied. */
static void variant_hash(int variant, hansa_hash *out) {
    ledger_params p = t_params();
    uint64_t bal[3] = {1000, 1000, 1000};
    ledger_state *s = t_state(&p, bal, 3, variant % 2 ? t_hash_key_a : t_hash_key_b);
    uint8_t bodies[3][LEDGER_TRANSFER_BODY_BYTES];
    wire_tx txs[3] = {t_transfer(0, &t_addrs[1], 100, 0, 10, bodies[0]),
                      t_transfer(1, &t_addrs[2], 50, 0, 10, bodies[1]),
                      t_transfer(2, &t_addrs[0], 25, 0, 10, bodies[2])};
    ledger_block_info info = t_info(s, 60);
    switch (variant) {
    case 0: case 1: break; /* the same block twice, different hash keys */
    case 2: txs[1] = t_transfer(1, &t_addrs[2], 51, 0, 10, bodies[1]); break;
    case 3: txs[1] = t_transfer(1, &t_addrs[3], 50, 0, 10, bodies[1]); break;
    case 4: txs[1] = t_transfer(1, &t_addrs[2], 50, 0, 11, bodies[1]); break;
    case 5: info.proposer = t_keys[61].pub; break;
    case 6: info.time_ms++; break;
    case 7: { wire_tx t = txs[0]; txs[0] = txs[1]; txs[1] = t; } break; /* order */
    }
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    for (int i = 0; i < 3; i++) CHECK_ERR(ledger_block_add_tx(b, &txs[i], true, NULL, 0), HANSA_OK);
    ledger_block_finish(b);
    *out = *ledger_block_app_hash(b);
    ledger_block_free(b);
    ledger_state_free(s);
}

static void test_app_hash_sensitive(void) {
    enum { NV = 8 };
    hansa_hash h[NV];
    for (int v = 0; v < NV; v++) variant_hash(v, &h[v]);
    CHECK(hash_eq(&h[0], &h[1]));
    /* Every variant but the order of independent transfers changes the hash:
     * the write set is the state, and swapping two transfers that touch
     * different senders leaves the same state. */
    CHECK(hash_eq(&h[0], &h[7]));
    for (int i = 1; i < 7; i++)
        for (int j = i + 1; j < 7; j++) CHECK(!hash_eq(&h[i], &h[j]));

    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_app_hash_check(7, &h[0], &h[1], why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_app_hash_check(7, &h[0], &h[2], why, sizeof why), HANSA_ERR_APP_HASH);
    CHECK(strstr(why, "height 7") != NULL);
}

/* The model the random workload checks the ledger against: plain arrays
 * and the rules of tx.h written out again, independently. */
typedef struct {
    uint64_t bal[T_KEYS], nonce[T_KEYS], burned;
} model;

static hansa_err model_check(const model *m, const ledger_params *p, int from, int to,
                             uint64_t amount, uint64_t nonce, uint64_t fee) {
    if (nonce != m->nonce[from]) return HANSA_ERR_NONCE;
    if (fee < p->min_fee) return HANSA_ERR_FEE;
    if (m->bal[from] < fee) return HANSA_ERR_FUNDS;
    if (amount == 0 || from == to) return HANSA_ERR_INVALID;
    if ((unsigned __int128)amount + fee > m->bal[from]) return HANSA_ERR_FUNDS;
    return HANSA_OK;
}

static void test_random_workload(void) {
    hansa_prng rng;
    uint64_t seed = check_seed("test_random_workload", 20261123);
    prng_seed(&rng, seed);
    enum { BLOCKS = 150, SENDERS = 30, TARGETS = 40, TXS_MAX = 24 };
    ledger_params p = t_params();
    p.fee_burn_bps = (uint16_t)prng_below(&rng, LEDGER_BPS_ONE + 1);
    p.max_block_txs = TXS_MAX;
    model m;
    memset(&m, 0, sizeof m);
    uint64_t bal[SENDERS];
    for (int i = 0; i < SENDERS; i++) m.bal[i] = bal[i] = 1 + prng_below(&rng, 100000);
    ledger_state *s = t_state(&p, bal, SENDERS, t_hash_key_a);
    ledger_state *follower = t_state(&p, bal, SENDERS, t_hash_key_b);
    int accepted_total = 0, refused_total = 0, mismatches = 0;
    for (int height = 1; height <= BLOCKS; height++) {
        int proposer = 60 + (int)prng_below(&rng, 4);
        ledger_block_info info = t_info(s, proposer);
        ledger_block *b;
        CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
        hbuf enc[TXS_MAX];
        wire_bytes wb[TXS_MAX];
        uint32_t n = 0;
        uint64_t to_proposer = 0;
        int attempts = (int)prng_below(&rng, TXS_MAX + 8);
        for (int t = 0; t < attempts && n < TXS_MAX; t++) {
            int from = (int)prng_below(&rng, SENDERS);
            int to = prng_chance(&rng, 1, 20) ? from : (int)prng_below(&rng, TARGETS);
            uint64_t amount = prng_chance(&rng, 1, 10) ? m.bal[from] + prng_below(&rng, 3)
                                                       : prng_below(&rng, m.bal[from] / 4 + 2);
            uint64_t fee = prng_below(&rng, 40);
            uint64_t nonce = prng_chance(&rng, 1, 15) ? m.nonce[from] + 1 : m.nonce[from];
            uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
            wire_tx tx = t_transfer(from, &t_addrs[to], amount, nonce, fee, body);
            hansa_err want = model_check(&m, &p, from, to, amount, nonce, fee);
            hansa_err got = ledger_block_add_tx(b, &tx, prng_chance(&rng, 1, 2), NULL, 0);
            if (got != want) {
                mismatches++;
                fprintf(stderr, "  height %d: ledger %s, model %s\n", height, hansa_errname(got),
                        hansa_errname(want));
            }
            if (got != HANSA_OK) {
                refused_total++;
                continue;
            }
            accepted_total++;
            uint64_t burn = burn_ref(fee, p.fee_burn_bps);
            m.bal[from] -= amount + fee;
            m.nonce[from]++;
            m.bal[to] += amount;
            m.burned += burn;
            to_proposer += fee - burn;
            enc[n] = (hbuf)HBUF_INIT;
            wire_tx_encode(&enc[n], &tx);
            wb[n] = (wire_bytes){enc[n].data, (uint32_t)enc[n].len};
            n++;
        }
        m.bal[proposer] += to_proposer;
        ledger_block_finish(b);
        /* The follower executes the same block from its bytes. */
        ledger_block *fb;
        ledger_block_result res;
        CHECK_ERR(ledger_apply_block(follower, &info, wb, n, NULL, &fb, &res), HANSA_OK);
        if (fb != NULL) {
            CHECK_ERR(ledger_app_hash_check((uint64_t)height, ledger_block_app_hash(fb),
                                            ledger_block_app_hash(b), NULL, 0), HANSA_OK);
            ledger_block_commit(follower, fb);
        }
        ledger_block_commit(s, b);
        for (uint32_t i = 0; i < n; i++) hbuf_free(&enc[i]);
        CHECK(t_supply_ok(s));
        CHECK(t_supply_ok(follower));
        int off = 0;
        for (int i = 0; i < T_KEYS; i++)
            off += t_balance(s, i) != m.bal[i] || t_nonce(s, i) != m.nonce[i];
        CHECK_EQ_U64(off, 0);
        CHECK_EQ_U64(ledger_state_supply(s)->burned, m.burned);
        if (off || mismatches) {
            fprintf(stderr, "  diverged at height %d (seed %" PRIu64 ")\n", height, seed);
            break;
        }
    }
    CHECK(hash_eq(ledger_app_hash(s), ledger_app_hash(follower)));
    CHECK_EQ_U64(mismatches, 0);
    CHECK(accepted_total > BLOCKS * 5);
    CHECK(refused_total > BLOCKS / 2);
    fprintf(stderr, "  %d blocks, %d txs applied, %d refused, burn %u bps, burned %" PRIu64 "\n",
            BLOCKS, accepted_total, refused_total, p.fee_burn_bps, m.burned);

    /* The committed records load into a state with the same hash and balances. */
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_state *l = ledger_state_load_begin(t_hash_key_b);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(l, k, kl, v, vl, NULL, 0), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(l, ledger_app_hash(s), NULL, 0), HANSA_OK);
    CHECK_EQ_U64(ledger_height(l), BLOCKS);
    CHECK_EQ_U64(ledger_account_count(l), ledger_account_count(s));
    ledger_writes_free(&ws);
    ledger_state_free(l);
    ledger_state_free(s);
    ledger_state_free(follower);
}

/* A block of WIRE_BLOCK_TXS_MAX transfers: 50 senders with 200 sequential
 * nonces each, to 10,000 fresh accounts. Signatures are flagged as verified
 * (the mempool's job), so this measures the ledger's own work. */
static void test_full_block(void) {
    enum { SENDERS = 50, N = WIRE_BLOCK_TXS_MAX, PER = N / SENDERS };
    ledger_params p = t_params();
    p.max_block_txs = N;
    uint64_t bal[SENDERS];
    for (int i = 0; i < SENDERS; i++) bal[i] = 1000000;
    ledger_state *s = t_state(&p, bal, SENDERS, t_hash_key_a);
    uint8_t *bodies = hansa_malloc((size_t)N * LEDGER_TRANSFER_BODY_BYTES);
    hbuf enc = HBUF_INIT;
    wire_bytes *wb = hansa_malloc(N * sizeof *wb);
    bool *verified = hansa_malloc(N * sizeof *verified);
    size_t *offs = hansa_malloc(N * sizeof *offs);
    for (int i = 0; i < N; i++) {
        hansa_addr to = {{0xfe}};
        le32_store(to.b + 1, (uint32_t)i);
        uint8_t *body = bodies + (size_t)i * LEDGER_TRANSFER_BODY_BYTES;
        t_transfer_body(body, &to, 7);
        wire_tx tx = {.chain_id = T_CHAIN, .sender = t_keys[i % SENDERS].pub,
                      .nonce = (uint64_t)(i / SENDERS), .fee = 10, .kind = TX_TRANSFER,
                      .body = body, .body_len = LEDGER_TRANSFER_BODY_BYTES};
        offs[i] = enc.len;
        wire_tx_encode(&enc, &tx);
        verified[i] = true;
    }
    for (int i = 0; i < N; i++)
        wb[i] = (wire_bytes){enc.data + offs[i], (uint32_t)((i + 1 < N ? offs[i + 1] : enc.len) - offs[i])};
    ledger_block_info info = t_info(s, 60);
    ledger_block *b;
    ledger_block_result res;
    CHECK_ERR(ledger_apply_block(s, &info, wb, N, verified, &b, &res), HANSA_OK);
    if (b != NULL) {
        CHECK_EQ_U64(ledger_block_writes(b)->n, 2 + SENDERS + N + 1);
        ledger_block_commit(s, b);
    }
    CHECK_EQ_U64(ledger_account_count(s), SENDERS + N + 1);
    CHECK_EQ_U64(t_nonce(s, 0), PER);
    CHECK_EQ_U64(t_balance(s, 0), 1000000 - PER * 17);
    CHECK(t_supply_ok(s));
    free(bodies);
    free(wb);
    free(verified);
    free(offs);
    hbuf_free(&enc);
    ledger_state_free(s);
}

/* The parallel signature check: good signatures become verified, a bad
 * one, an undecodable one and the ones already flagged keep their flags,
 * on one thread and on several alike. */
static void test_txs_verify_sigs(void) {
    enum { N = 40 };
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    hansa_addr to = {{0xfe}};
    t_transfer_body(body, &to, 7);
    hbuf enc = HBUF_INIT;
    size_t offs[N + 1];
    for (int i = 0; i < N; i++) {
        wire_tx tx = t_tx_raw(i % 4, T_CHAIN, (uint64_t)i, 10, TX_TRANSFER, body, sizeof body);
        if (i == 7) tx.sig.b[5] ^= 1;
        offs[i] = enc.len;
        wire_tx_encode(&enc, &tx);
    }
    offs[N] = enc.len;
    wire_bytes wb[N];
    for (int i = 0; i < N; i++) wb[i] = (wire_bytes){enc.data + offs[i], (uint32_t)(offs[i + 1] - offs[i])};
    wb[9].len = 3; /* does not decode */
    unsigned saved = sig_batch_threads();
    for (unsigned threads = 1; threads <= 2; threads++) {
        sig_batch_set_threads(threads);
        bool ok[N] = {0};
        ok[11] = true;
        ledger_txs_verify_sigs(wb, N, ok);
        for (int i = 0; i < N; i++) CHECK(ok[i] == (i != 7 && i != 9));
    }
    sig_batch_set_threads(saved);
    hbuf_free(&enc);
}

/* The supply checker is trusted only once it has caught a broken supply. */
static void test_supply_check_catches(void) {
    ledger_params p = t_params();
    uint64_t bal[2] = {1000, 1000};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    CHECK(t_supply_ok(s));
    ledger_account a = {1001, 0};
    acct_map_put(&s->accounts, &t_addrs[0], &a); /* mint one token out of nowhere */
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_supply_check(s, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "balances+bonds 2041") != NULL && strstr(why, "off by +1") != NULL);
    a.balance = 999;
    acct_map_put(&s->accounts, &t_addrs[0], &a);
    CHECK_ERR(ledger_supply_check(s, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "off by -1") != NULL);
    ledger_state_free(s);
}

/* ledger_tx_check_pending zeroes what a tx's checks read of its context:
 * for a transfer the fixed part and the transfer's member (its decode
 * writes the member whole), for any other kind all of it (an unjail's
 * decode writes nothing). Each context is full of 0xa5 before. Fails when
 * the transfer's shorter zeroing is taken for every kind (tried). */
static void test_tx_ctx_zeroed(void) {
    ledger_params p = t_params();
    uint64_t bal[2] = {1000000, 1};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    ledger_block_info info = t_info(s, 60);
    ledger_block *b;
    CHECK_ERR(ledger_block_begin(s, &info, &b, NULL, 0), HANSA_OK);
    static ledger_tx_ctx c;
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    wire_tx tx = t_transfer(0, &t_addrs[1], 500, 0, 10, body);
    memset(&c, 0xa5, sizeof c);
    CHECK_ERR(ledger_tx_check_pending(b, &tx, &c, NULL, 0), HANSA_OK);
    CHECK(addr_eq(&c.body.transfer.to, &t_addrs[1]));
    CHECK_EQ_U64(c.body.transfer.amount, 500);
    CHECK(addr_eq(&c.sender, &t_addrs[0]));
    CHECK_EQ_U64(c.sender_acct.balance, 1000000);
    wire_tx unjail = t_tx_raw(0, T_CHAIN, 0, 10, TX_UNJAIL, body, 0);
    memset(&c, 0xa5, sizeof c);
    (void)ledger_tx_check_pending(b, &unjail, &c, NULL, 0); /* refused: not a jailed delegate */
    const uint8_t *bytes = (const uint8_t *)&c.body;
    size_t nonzero = 0;
    for (size_t i = 0; i < sizeof c.body; i++) nonzero += bytes[i] != 0;
    CHECK_EQ_U64(nonzero, 0);
    ledger_block_free(b);
    ledger_state_free(s);
}

int main(void) {
    t_init_keys();
    RUN(test_transfer_ok);
    RUN(test_tx_ctx_zeroed);
    RUN(test_transfer_rejects);
    RUN(test_overflow_edges);
    RUN(test_nonce_exhausted);
    RUN(test_fee_burn_arithmetic);
    RUN(test_fee_split_block);
    RUN(test_block_validity);
    RUN(test_overlay);
    RUN(test_addr_memo);
    RUN(test_check_state);
    RUN(test_app_hash_sensitive);
    RUN(test_random_workload);
    RUN(test_full_block);
    RUN(test_txs_verify_sigs);
    RUN(test_supply_check_catches);
    return check_summary();
}
