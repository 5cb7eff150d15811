/* Tests of the ledger's state: the account table, record codecs and their
 * rejections, genesis validation and hashing, loading from records. */
#include "base/err.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/sha256.h"
#include "ledger/acct_map.h"
#include "ledger/record.h"
#include "ledger/writes.h"
#include "ledger_helpers.h"

static int t_params_eq(const ledger_params *a, const ledger_params *b) {
    return a->chain_id == b->chain_id && a->genesis_time_ms == b->genesis_time_ms &&
           a->fee_burn_bps == b->fee_burn_bps && a->min_fee == b->min_fee &&
           a->max_block_txs == b->max_block_txs;
}

/* The table against a model (a plain array searched linearly). */
static void test_acct_map_model(void) {
    hansa_prng rng;
    prng_seed(&rng, check_seed("test_acct_map_model", 7));
    enum { N = 20000 };
    static hansa_addr addrs[N];
    static ledger_account vals[N];
    acct_map m;
    acct_map_init(&m, t_hash_key_a);
    CHECK(acct_map_get(&m, &addrs[0]) == NULL); /* empty map allocates nothing */
    CHECK_EQ_U64(acct_map_cap(&m), 0);
    for (size_t i = 0; i < N; i++) {
        prng_fill(&rng, addrs[i].b, HANSA_ADDR_BYTES);
        vals[i] = (ledger_account){prng_next(&rng), i};
        acct_map_put(&m, &addrs[i], &vals[i]);
    }
    CHECK_EQ_U64(m.count, N);
    CHECK(m.count * 10 <= acct_map_cap(&m) * 7);
    for (size_t i = 0; i < N; i += 3) { /* overwrite a third */
        vals[i].balance ^= 0xffff;
        acct_map_put(&m, &addrs[i], &vals[i]);
    }
    CHECK_EQ_U64(m.count, N);
    int bad = 0;
    for (size_t i = 0; i < N; i++) {
        const ledger_account *a = acct_map_get(&m, &addrs[i]);
        bad += a == NULL || a->balance != vals[i].balance || a->nonce != vals[i].nonce;
    }
    CHECK_EQ_U64(bad, 0);
    hansa_addr missing;
    prng_fill(&rng, missing.b, HANSA_ADDR_BYTES);
    CHECK(acct_map_get(&m, &missing) == NULL);
    acct_map_free(&m);
}

/* SipHash-2-4 known answer: entry 20 of vectors_sip64 in the reference
 * implementation (message 00..13, key 00..0f), which libsodium's
 * crypto_shorthash_siphash24 also gives; its entry 15 (e5 45 be 49 ...) is
 * the one printed in the SipHash paper's appendix. */
static void test_siphash_vector(void) {
    uint8_t key[ACCT_MAP_KEY_BYTES];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    acct_map m;
    acct_map_init(&m, key);
    hansa_addr a;
    for (int i = 0; i < 20; i++) a.b[i] = (uint8_t)i;
    static const uint8_t expect[8] = {0x98, 0xee, 0xa2, 0x1a, 0xf2, 0x5c, 0xd6, 0xbe};
    CHECK_EQ_U64(acct_map_hash(&m, &a), le64_load(expect));
    acct_map_free(&m);
}

/* A per-use key is the SipHash of its label and a byte 0, then 1, under
 * the secret: labels give different keys, neither word is the secret's. */
static void test_siphash_key_derive(void) {
    uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull, a0, a1, b0, b1;
    ledger_siphash_key_derive(k0, k1, "leaves", &a0, &a1);
    ledger_siphash_key_derive(k0, k1, "mempool-bytes", &b0, &b1);
    CHECK_EQ_U64(a0, ledger_siphash24(k0, k1, (const uint8_t *)"leaves\0", 7));
    CHECK_EQ_U64(a1, ledger_siphash24(k0, k1, (const uint8_t *)"leaves\1", 7));
    CHECK(a0 != a1 && a0 != b0 && a1 != b1);
    CHECK(a0 != k0 && a1 != k1 && b0 != k0 && b1 != k1);
}

/* The state keys each of its tables by its own key derived from the
 * secret (labels "accounts", "table-<t>", "leaves"), none by the secret
 * itself or the secret XOR a table number. */
static void test_state_keys_per_use(void) {
    ledger_params p = t_params();
    uint64_t bal[2] = {10, 20};
    ledger_state *s = t_state(&p, bal, 2, t_hash_key_a);
    uint64_t k0 = le64_load(t_hash_key_a), k1 = le64_load(t_hash_key_a + 8), d0, d1;
    ledger_siphash_key_derive(k0, k1, "accounts", &d0, &d1);
    CHECK(s->accounts.k0 == d0 && s->accounts.k1 == d1);
    ledger_siphash_key_derive(k0, k1, "leaves", &d0, &d1);
    CHECK(s->leaves.k0 == d0 && s->leaves.k1 == d1);
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) {
        char label[16];
        snprintf(label, sizeof label, "table-%d", t);
        ledger_siphash_key_derive(k0, k1, label, &d0, &d1);
        CHECK(s->tabs[t].k0 == d0 && s->tabs[t].k1 == d1);
        CHECK(s->tabs[t].k1 != k1 && s->tabs[t].k1 != s->accounts.k1);
        for (int u = 0; u < t; u++) CHECK(s->tabs[u].k0 != d0);
    }
    CHECK(s->accounts.k0 != k0 && s->accounts.k1 != k1);
    ledger_state_free(s);
}

static void test_record_roundtrip(void) {
    hbuf b = HBUF_INIT;
    ledger_account a = {UINT64_MAX, 7}, a2;
    ledger_account_encode(&b, &a);
    CHECK_EQ_U64(b.len, LEDGER_ACCOUNT_BYTES);
    CHECK_ERR(ledger_account_decode(b.data, b.len, &a2, NULL), HANSA_OK);
    CHECK(a2.balance == a.balance && a2.nonce == a.nonce);

    hbuf_reset(&b);
    ledger_params p = t_params(), p2;
    ledger_params_encode(&b, &p);
    CHECK_EQ_U64(b.len, LEDGER_PARAMS_BYTES);
    CHECK_ERR(ledger_params_decode(b.data, b.len, &p2, NULL), HANSA_OK);
    CHECK(t_params_eq(&p, &p2));

    hbuf_reset(&b);
    ledger_supply s = {100, 3, 0}, s2;
    ledger_supply_encode(&b, &s);
    CHECK_ERR(ledger_supply_decode(b.data, b.len, &s2, NULL), HANSA_OK);
    CHECK(memcmp(&s, &s2, sizeof s) == 0);

    hbuf_reset(&b);
    ledger_meta m = {5, 12345}, m2;
    ledger_meta_encode(&b, &m);
    CHECK_ERR(ledger_meta_decode(b.data, b.len, &m2, NULL), HANSA_OK);
    CHECK(m2.height == 5 && m2.time_ms == 12345);

    hbuf_reset(&b);
    static ledger_valsets vs, vs2;
    ledger_validators *v = &vs.set[0].vals;
    v->n = 3;
    for (int i = 0; i < 3; i++) {
        memset(v->v[i].pubkey.b, i + 1, HANSA_PUBKEY_BYTES);
        v->v[i].power = (uint64_t)(i + 1) * 100;
    }
    for (int k = 0; k < 3; k++) vs.set[k] = (ledger_valset_at){(uint64_t)k + 1, *v};
    ledger_valsets_encode(&b, &vs);
    CHECK_EQ_U64(b.len, 1 + 3 * (10 + 3 * LEDGER_VALIDATOR_ENTRY_BYTES));
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &vs2, NULL), HANSA_OK);
    CHECK(memcmp(&vs, &vs2, sizeof vs) == 0);
    hbuf_free(&b);
}

static void test_record_rejects(void) {
    uint8_t rec[64];
    ledger_account a;
    wire_rd r;
    /* account: length, version, empty */
    rec[0] = 1;
    le64_store(rec + 1, 5);
    le64_store(rec + 9, 0);
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES, &a, NULL), HANSA_OK);
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES - 1, &a, &r), HANSA_ERR_TRUNCATED);
    CHECK_EQ_U64(a.balance, 0); /* zeroed on failure */
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES + 1, &a, &r), HANSA_ERR_TRAILING);
    CHECK_ERR(ledger_account_decode(rec, 0, &a, &r), HANSA_ERR_TRUNCATED);
    rec[0] = 2;
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES, &a, &r), HANSA_ERR_VERSION);
    rec[0] = 0;
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES, &a, &r), HANSA_ERR_VERSION);
    rec[0] = 1;
    le64_store(rec + 1, 0);
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES, &a, &r), HANSA_ERR_NONCANONICAL);
    CHECK_ERR(ledger_account_decode(rec, LEDGER_ACCOUNT_BYTES - 3, &a, &r), HANSA_ERR_TRUNCATED);

    /* params: ranges */
    hbuf b = HBUF_INIT;
    ledger_params p = t_params(), p2;
    ledger_params_encode(&b, &p);
    le16_store(b.data + 13, 10001);
    CHECK_ERR(ledger_params_decode(b.data, b.len, &p2, &r), HANSA_ERR_INVALID);
    le16_store(b.data + 13, 10000);
    CHECK_ERR(ledger_params_decode(b.data, b.len, &p2, &r), HANSA_OK);
    le32_store(b.data + 23, 0);
    CHECK_ERR(ledger_params_decode(b.data, b.len, &p2, &r), HANSA_ERR_INVALID);
    le32_store(b.data + 23, WIRE_BLOCK_TXS_MAX + 1);
    CHECK_ERR(ledger_params_decode(b.data, b.len, &p2, &r), HANSA_ERR_INVALID);
    CHECK_ERR(ledger_params_decode(b.data, b.len - 1, &p2, &r), HANSA_ERR_TRUNCATED);

    /* validators: order, power, count */
    static ledger_valsets vs, v2;
    ledger_validators v = {0};
    v.n = 2;
    memset(v.v[0].pubkey.b, 1, HANSA_PUBKEY_BYTES);
    memset(v.v[1].pubkey.b, 2, HANSA_PUBKEY_BYTES);
    v.v[0].power = v.v[1].power = 5;
    /* The last set is the one damaged below, so lengths stay simple. */
    for (int k = 0; k < 3; k++) vs.set[k] = (ledger_valset_at){1, v};
    vs.set[2].vals.n = 2;
    hbuf_reset(&b);
    ledger_valsets_encode(&b, &vs);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_OK);
    size_t set2 = 1 + 2 * (10 + 2 * LEDGER_VALIDATOR_ENTRY_BYTES);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_OK);
    le64_store(b.data + set2, 0); /* activation 0 */
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_INVALID);
    le64_store(b.data + 1, 2); /* prev activated after cur */
    le64_store(b.data + set2, 2);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_INVALID);
    le64_store(b.data + 1, 1);
    uint8_t *second = b.data + set2 + 10 + LEDGER_VALIDATOR_ENTRY_BYTES;
    memset(second, 1, HANSA_PUBKEY_BYTES); /* duplicate */
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_NONCANONICAL);
    memset(second, 0, HANSA_PUBKEY_BYTES); /* descending */
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_NONCANONICAL);
    CHECK_EQ_U64(v2.set[0].vals.n, 0);
    memset(second, 2, HANSA_PUBKEY_BYTES);
    le64_store(second + HANSA_PUBKEY_BYTES, 0); /* zero power */
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_INVALID);
    le64_store(second + HANSA_PUBKEY_BYTES, WIRE_TOTAL_POWER_MAX); /* total over cap */
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_INVALID);
    le64_store(second + HANSA_PUBKEY_BYTES, 5);
    le16_store(b.data + set2 + 8, 0);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_INVALID);
    le16_store(b.data + set2 + 8, WIRE_VALIDATORS_MAX + 1);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_TOO_LONG);
    le16_store(b.data + set2 + 8, 3);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_TRUNCATED);
    le16_store(b.data + set2 + 8, 1);
    CHECK_ERR(ledger_valsets_decode(b.data, b.len, &v2, &r), HANSA_ERR_TRAILING);
    hbuf_free(&b);
}

static void test_genesis_validate(void) {
    ledger_params p = t_params();
    ledger_genesis_account accts[3] = {{t_addrs[0], 10}, {t_addrs[1], 20}, {t_addrs[2], 30}};
    wire_validator dels[2] = {{t_keys[60].pub, 1}, {t_keys[61].pub, 2}};
    ledger_genesis g = {p, accts, 3, dels, 2};
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_OK);

    accts[2].addr = t_addrs[0];
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_DUPLICATE);
    CHECK(strstr(why, "appears twice") != NULL);
    accts[2].addr = t_addrs[2];
    accts[1].balance = 0;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    /* Balances 10 + 30 and delegate bonds 1 + 2 leave exactly UINT64_MAX. */
    accts[1].balance = UINT64_MAX - 43;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_OK);
    accts[1].balance = UINT64_MAX - 43 + 1;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_OVERFLOW);
    accts[1].balance = 20;

    dels[1].pubkey = dels[0].pubkey;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_DUPLICATE);
    dels[1].pubkey = t_keys[61].pub;
    dels[1].power = 0;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    dels[1].power = WIRE_TOTAL_POWER_MAX;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    dels[1].power = 2;
    g.n_delegates = 0;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    g.n_delegates = 2;

    g.params.fee_burn_bps = 10001;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    g.params.fee_burn_bps = 0;
    g.params.max_block_txs = 0;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    g.params.max_block_txs = WIRE_BLOCK_TXS_MAX + 1;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);

    /* No accounts at all is a valid (if useless) chain. */
    g.params = p;
    g.n_accounts = 0;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_OK);
}

/* The genesis app hash depends on content, not on input order or hash key. */
static void test_genesis_hash(void) {
    ledger_params p = t_params();
    ledger_genesis_account fwd[3] = {{t_addrs[0], 10}, {t_addrs[1], 20}, {t_addrs[2], 30}};
    ledger_genesis_account rev[3] = {fwd[2], fwd[1], fwd[0]};
    wire_validator dels[2] = {{t_keys[60].pub, 1}, {t_keys[61].pub, 2}};
    wire_validator dels_rev[2] = {dels[1], dels[0]};
    ledger_genesis g1 = {p, fwd, 3, dels, 2}, g2 = {p, rev, 3, dels_rev, 2};
    ledger_state *s1, *s2, *s3;
    ledger_writes ws = LEDGER_WRITES_INIT;
    CHECK_ERR(ledger_genesis_state(&g1, t_hash_key_a, &s1, &ws, NULL, 0), HANSA_OK);
    CHECK_ERR(ledger_genesis_state(&g2, t_hash_key_b, &s2, NULL, NULL, 0), HANSA_OK);
    CHECK(hash_eq(ledger_app_hash(s1), ledger_app_hash(s2)));
    CHECK(!hash_is_zero(ledger_app_hash(s1)));
    CHECK_EQ_U64(ledger_height(s1), 0);
    /* meta, params, supply, validators, 3 accounts, 2 candidates, 2 bonders */
    CHECK_EQ_U64(ws.n, 4 + 3 + 2 + 2);
    for (size_t i = 1; i < ws.n; i++) {
        size_t la, lb;
        const uint8_t *ka = ledger_write_key(&ws, i - 1, &la), *kb = ledger_write_key(&ws, i, &lb);
        CHECK(memcmp(ka, kb, la < lb ? la : lb) <= 0);
    }
    /* The hash follows the formula of state.h. */
    hansa_hash wh, expect, zero = {{0}};
    ledger_writes_hash(&ws, &wh);
    ledger_app_hash_next(&zero, 0, &wh, &expect);
    CHECK(hash_eq(&expect, ledger_app_hash(s1)));
    CHECK_EQ_U64(ledger_state_supply(s1)->genesis, 63); /* balances and bonds */
    CHECK_EQ_U64(ledger_state_supply(s1)->bonded, 3);
    CHECK(t_supply_ok(s1));

    g1.params.chain_id++;
    CHECK_ERR(ledger_genesis_state(&g1, t_hash_key_a, &s3, NULL, NULL, 0), HANSA_OK);
    CHECK(!hash_eq(ledger_app_hash(s1), ledger_app_hash(s3)));
    ledger_state_free(s3);
    g1.params.chain_id--;
    dels[0].power = 3;
    CHECK_ERR(ledger_genesis_state(&g1, t_hash_key_a, &s3, NULL, NULL, 0), HANSA_OK);
    CHECK(!hash_eq(ledger_app_hash(s1), ledger_app_hash(s3)));
    ledger_state_free(s3);

    ledger_writes_free(&ws);
    ledger_state_free(s1);
    ledger_state_free(s2);
}

/* Loads every record of ws into a fresh state, skipping record `skip`
 * (SIZE_MAX: none) and feeding record `twice` twice. */
static hansa_err load_all(const ledger_writes *ws, const hansa_hash *app_hash, size_t skip,
                          size_t twice, ledger_state **out, char *why, size_t why_len) {
    ledger_state *s = ledger_state_load_begin(t_hash_key_b);
    hansa_err err = HANSA_OK;
    for (size_t i = 0; i < ws->n && err == HANSA_OK; i++) {
        if (i == skip) continue;
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(ws, i, &kl), *v = ledger_write_value(ws, i, &vl);
        err = ledger_state_load_record(s, k, kl, v, vl, why, why_len);
        if (err == HANSA_OK && i == twice) err = ledger_state_load_record(s, k, kl, v, vl, why, why_len);
    }
    if (err == HANSA_OK) err = ledger_state_load_finish(s, app_hash, why, why_len);
    *out = s;
    return err;
}

static void test_load_roundtrip(void) {
    ledger_params p = t_params();
    uint64_t bal[5] = {100, 200, 300, 400, 500};
    ledger_state *s = t_state(&p, bal, 5, t_hash_key_a);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_state *l = NULL;
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(load_all(&ws, ledger_app_hash(s), SIZE_MAX, SIZE_MAX, &l, why, sizeof why), HANSA_OK);
    CHECK(hash_eq(ledger_app_hash(s), ledger_app_hash(l)));
    CHECK_EQ_U64(ledger_account_count(l), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_U64(t_balance(l, i), bal[i]);
    CHECK(t_params_eq(ledger_state_params(s), ledger_state_params(l)));
    CHECK_EQ_U64(ledger_state_validators(l)->n, 4);
    /* Its records are the same bytes. */
    ledger_writes ws2 = LEDGER_WRITES_INIT;
    ledger_state_records(l, &ws2);
    CHECK(ws.n == ws2.n && ws.data.len == ws2.data.len);
    hansa_hash h1, h2;
    ledger_writes_hash(&ws, &h1);
    ledger_writes_hash(&ws2, &h2);
    CHECK(hash_eq(&h1, &h2));
    ledger_writes_free(&ws2);
    ledger_state_free(l);
    /* Finished states refuse more records. */
    ledger_state_free(s);
    ledger_writes_free(&ws);
}

static void test_load_rejects(void) {
    ledger_params p = t_params();
    uint64_t bal[3] = {100, 200, 300};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    const hansa_hash *h = ledger_app_hash(s);
    ledger_state *l;
    char why[LEDGER_WHY_MAX] = "";
    /* Sorted keys: 0 meta, 1 params, 2 supply, 3 validators, 4.. accounts. */
    for (size_t missing = 0; missing < 4; missing++) {
        CHECK_ERR(load_all(&ws, h, missing, SIZE_MAX, &l, why, sizeof why), HANSA_ERR_CORRUPT);
        CHECK(strstr(why, "missing") != NULL);
        ledger_state_free(l);
    }
    /* A missing account breaks the supply equation. */
    CHECK_ERR(load_all(&ws, h, 5, SIZE_MAX, &l, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "supply") != NULL);
    ledger_state_free(l);
    CHECK_ERR(load_all(&ws, h, SIZE_MAX, 0, &l, why, sizeof why), HANSA_ERR_CORRUPT);
    ledger_state_free(l);
    CHECK_ERR(load_all(&ws, h, SIZE_MAX, 4, &l, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "twice") != NULL);
    /* After a failure the state refuses further use. */
    CHECK_ERR(ledger_state_load_finish(l, h, why, sizeof why), HANSA_ERR_STATE);
    uint8_t key = LEDGER_KEY_META, val[LEDGER_META_BYTES] = {1};
    CHECK_ERR(ledger_state_load_record(l, &key, 1, val, sizeof val, why, sizeof why), HANSA_ERR_STATE);
    ledger_state_free(l);

    /* Flipped bytes: a balance changed breaks supply; a version byte is a bad record. */
    size_t vl;
    uint8_t *v = (uint8_t *)ledger_write_value(&ws, 4, &vl);
    v[1] ^= 1;
    CHECK_ERR(load_all(&ws, h, SIZE_MAX, SIZE_MAX, &l, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "supply") != NULL);
    ledger_state_free(l);
    v[1] ^= 1;
    v[0] = 9;
    CHECK_ERR(load_all(&ws, h, SIZE_MAX, SIZE_MAX, &l, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "HANSA_ERR_VERSION") != NULL && strstr(why, "account") != NULL);
    ledger_state_free(l);
    v[0] = 1;

    /* Unknown and malformed keys. */
    l = ledger_state_load_begin(t_hash_key_a);
    uint8_t k2[2] = {LEDGER_KEY_META, 0};
    CHECK_ERR(ledger_state_load_record(l, k2, 2, val, sizeof val, why, sizeof why), HANSA_ERR_CORRUPT);
    ledger_state_free(l);
    l = ledger_state_load_begin(t_hash_key_a);
    uint8_t k3 = 0x7f;
    CHECK_ERR(ledger_state_load_record(l, &k3, 1, val, sizeof val, why, sizeof why), HANSA_ERR_CORRUPT);
    ledger_state_free(l);
    l = ledger_state_load_begin(t_hash_key_a);
    uint8_t k4[5] = {LEDGER_KEY_ACCOUNT};
    CHECK_ERR(ledger_state_load_record(l, k4, 5, val, sizeof val, why, sizeof why), HANSA_ERR_CORRUPT);
    ledger_state_free(l);

    ledger_writes_free(&ws);
    ledger_state_free(s);
}

/* Write set k: two writes, key "ka" = value "v1v2" and key "kb" = "w",
 * then (1) a value byte changed, (2) a byte moved from the first value to
 * the second key's front ("v1v" and "2kb"), the same bytes in all, (3) the
 * second a deletion, (4) the first alone. */
static void writes_variant(int k, ledger_writes *ws) {
    ledger_writes_clear(ws, 0);
    const char *v = k == 1 ? "v1v3" : k == 2 ? "v1v" : "v1v2";
    ledger_writes_begin(ws, (const uint8_t *)"ka", 2);
    hbuf_append(&ws->data, v, strlen(v));
    ledger_writes_end_value(ws);
    if (k < 4) {
        const char *key2 = k == 2 ? "2kb" : "kb";
        ledger_writes_begin(ws, (const uint8_t *)key2, strlen(key2));
        if (k == 3) {
            ledger_writes_end_delete(ws);
        } else {
            hbuf_append(&ws->data, "w", 1);
            ledger_writes_end_value(ws);
        }
    }
    ledger_writes_sort(ws);
}

/* With the simulator's writes-hash memo on, each write set's hash equals
 * the one without it, asked twice (the second a hit) right after the memo
 * took the set before it. */
static void test_writes_hash_memo(void) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    hansa_hash want[5], got;
    for (int k = 0; k < 5; k++) {
        writes_variant(k, &ws);
        ledger_writes_hash(&ws, &want[k]);
    }
    CHECK(!hash_eq(&want[0], &want[2]) && !hash_eq(&want[0], &want[1]));
    ledger_writes_hash_memo(true);
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 5; k++) {
            writes_variant(k, &ws);
            for (int again = 0; again < 2; again++) {
                ledger_writes_hash(&ws, &got);
                CHECK(hash_eq(&want[k], &got));
            }
        }
    }
    ledger_writes_hash_memo(false);
    ledger_writes_free(&ws);
}

/* With the simulator's memos on, ledger_app_hash_next still equals SHA-256
 * of prev | u64 height | writes hash, each input asked twice (the second a
 * hit) right after the memo took the one before, which differs from it in
 * one bit: of the writes hash's last byte (the input's last), of prev's
 * last byte, of the height's top byte. */
static void test_app_hash_memo(void) {
    hansa_hash prev[4] = {{{0x11}}, {{0x11}}, {{0x11}}, {{0x11}}};
    hansa_hash wh[4] = {{{0x22}}, {{0x22}}, {{0x22}}, {{0x22}}};
    uint64_t height[4] = {7, 7, 7, 7 ^ (1ull << 56)};
    for (int k = 1; k < 4; k++) wh[k].b[HANSA_HASH_BYTES - 1] ^= 1;
    for (int k = 2; k < 4; k++) prev[k].b[HANSA_HASH_BYTES - 1] ^= 1;
    hansa_hash want[4], got;
    for (int k = 0; k < 4; k++) {
        uint8_t buf[HANSA_HASH_BYTES + 8 + HANSA_HASH_BYTES];
        memcpy(buf, prev[k].b, HANSA_HASH_BYTES);
        le64_store(buf + HANSA_HASH_BYTES, height[k]);
        memcpy(buf + HANSA_HASH_BYTES + 8, wh[k].b, HANSA_HASH_BYTES);
        sha256(buf, sizeof buf, &want[k]);
    }
    ledger_writes_hash_memo(true);
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 4; k++) {
            for (int again = 0; again < 2; again++) {
                ledger_app_hash_next(&prev[k], height[k], &wh[k], &got);
                CHECK(hash_eq(&want[k], &got));
            }
        }
    }
    ledger_writes_hash_memo(false);
}

/* The writes hash is SHA-256 of the stream, each key and value behind its
 * little-endian u32 length, whatever the batching: a set of 300 writes
 * (about 20 KB, several batches) with one 5,000-byte value (past a batch,
 * hashed on its own), computed here from its definition, with the memo
 * off and on (its misses and hits). */
static void test_writes_hash_definition(void) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    static uint8_t val[5000];
    for (size_t i = 0; i < sizeof val; i++) val[i] = (uint8_t)(i * 7 + 1);
    for (uint32_t i = 0; i < 300; i++) {
        uint8_t key[8];
        be64_store(key, i);
        ledger_writes_begin(&ws, key, sizeof key);
        hbuf_append(&ws.data, val, i == 150 ? sizeof val : 40 + i % 23);
        ledger_writes_end_value(&ws);
    }
    ledger_writes_sort(&ws);
    hbuf stream = HBUF_INIT;
    for (size_t i = 0; i < ws.n; i++) {
        const ledger_write *w = &ws.w[i];
        uint8_t len[4];
        le32_store(len, w->key_len);
        hbuf_append(&stream, len, 4);
        hbuf_append(&stream, ws.data.data + w->key_off, w->key_len);
        le32_store(len, w->val_len);
        hbuf_append(&stream, len, 4);
        hbuf_append(&stream, ws.data.data + w->val_off, w->val_len);
    }
    CHECK(stream.len > 4 * 4096);
    hansa_hash want, got;
    sha256(stream.data, stream.len, &want);
    ledger_writes_hash(&ws, &got);
    CHECK(hash_eq(&want, &got));
    ledger_writes_hash_memo(true);
    for (int again = 0; again < 2; again++) {
        ledger_writes_hash(&ws, &got);
        CHECK(hash_eq(&want, &got));
    }
    ledger_writes_hash_memo(false);
    hbuf_free(&stream);
    ledger_writes_free(&ws);
}

int main(void) {
    t_init_keys();
    RUN(test_acct_map_model);
    RUN(test_writes_hash_memo);
    RUN(test_app_hash_memo);
    RUN(test_writes_hash_definition);
    RUN(test_siphash_vector);
    RUN(test_siphash_key_derive);
    RUN(test_state_keys_per_use);
    RUN(test_record_roundtrip);
    RUN(test_record_rejects);
    RUN(test_genesis_validate);
    RUN(test_genesis_hash);
    RUN(test_load_roundtrip);
    RUN(test_load_rejects);
    return check_summary();
}
