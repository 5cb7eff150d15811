/* Tests of the state root (ledger/state_root.h): one value for one state
 * however it was built, a different value for any changed record, and the
 * checkpoint app hash that makes a node notice a state that diverged in a
 * record no block touched. */
#include "base/err.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "ledger/leaves.h"
#include "ledger/state_root.h"
#include "ledger_helpers.h"

static ledger_params cp_params(uint32_t k) {
    ledger_params p = t_params();
    p.checkpoint_blocks = k;
    return p;
}

/* Rebuilds a state from its records (a restart), with another hash key. */
static ledger_state *reload(const ledger_writes *ws, const hansa_hash *app_hash) {
    ledger_state *s = ledger_state_load_begin(t_hash_key_b);
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = HANSA_OK;
    for (size_t i = 0; i < ws->n && err == HANSA_OK; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(ws, i, &kl), *v = ledger_write_value(ws, i, &vl);
        err = ledger_state_load_record(s, k, kl, v, vl, why, sizeof why);
    }
    if (err == HANSA_OK) err = ledger_state_load_finish(s, app_hash, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  reload: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
    return s;
}

/* Commits a block of `n` transfers from key 0 to key 1 over s. */
static void commit_block(ledger_state *s, int n, const hansa_hash *expect_app_hash) {
    ledger_block_info info = t_info(s, 60);
    ledger_block *b = NULL;
    char why[LEDGER_WHY_MAX] = "";
    HANSA_ASSERT(ledger_block_begin(s, &info, &b, why, sizeof why) == HANSA_OK);
    for (int i = 0; i < n; i++) {
        uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
        wire_tx tx = t_transfer(0, &t_addrs[1], 5, t_nonce(s, 0) + (uint64_t)i, 10, body);
        hansa_err err = ledger_block_add_tx(b, &tx, false, why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "  tx %d: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
    }
    ledger_block_finish(b);
    if (expect_app_hash) CHECK(hash_eq(ledger_block_app_hash(b), expect_app_hash));
    ledger_block_commit(s, b);
}

/* The same state built twice (different account-table hash keys, so a
 * different iteration order), reloaded from its records, and streamed over
 * its record list all give one root; it is the RFC 6962 root of the leaves
 * u16 key_len | key | value. */
static void test_root_deterministic(void) {
    uint64_t bal[8] = {1000, 200, 300, 400, 500, 600, 700, 800};
    ledger_params p = cp_params(4);
    ledger_state *a = t_state(&p, bal, 8, t_hash_key_a), *b = t_state(&p, bal, 8, t_hash_key_b);
    for (int h = 0; h < 3; h++) {
        commit_block(a, 2, NULL);
        commit_block(b, 2, ledger_app_hash(a));
    }
    hansa_hash ra, rb, rc, rd;
    ledger_state_root(a, &ra);
    ledger_state_root(b, &rb);
    CHECK(hash_eq(&ra, &rb));
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(a, &ws);
    ledger_state *c = reload(&ws, ledger_app_hash(a));
    ledger_state_root(c, &rc);
    CHECK(hash_eq(&ra, &rc));
    ledger_records_root(&ws, &rd);
    CHECK(hash_eq(&ra, &rd));
    hansa_hash *leaves = hansa_calloc(ws.n, sizeof *leaves);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        hbuf leaf = HBUF_INIT;
        hbuf_put_u16(&leaf, (uint16_t)kl);
        hbuf_append(&leaf, k, kl);
        hbuf_append(&leaf, v, vl);
        merkle_leaf_hash(leaf.data, leaf.len, &leaves[i]);
        hbuf_free(&leaf);
    }
    hansa_hash by_hand;
    merkle_root(leaves, ws.n, &by_hand);
    CHECK(hash_eq(&ra, &by_hand));
    free(leaves);
    /* The same blocks on c keep it equal to a. */
    commit_block(a, 1, NULL);
    commit_block(c, 1, ledger_app_hash(a));
    ledger_state_root(a, &ra);
    ledger_state_root(c, &rc);
    CHECK(hash_eq(&ra, &rc));
    ledger_writes_free(&ws);
    ledger_state_free(a);
    ledger_state_free(b);
    ledger_state_free(c);
}

/* Copies ws into out, changing record `which` by `how`: 0 flips a value
 * bit, 1 adds a byte to the key (a flipped key bit could name another
 * record), 2 drops the record, 3 adds a byte to the value. */
static void mutate(const ledger_writes *ws, size_t which, int how, ledger_writes *out) {
    for (size_t i = 0; i < ws->n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(ws, i, &kl), *v = ledger_write_value(ws, i, &vl);
        if (i == which && how == 2) continue;
        uint8_t key[LEDGER_KEY_MAX_BYTES + 1];
        HANSA_ASSERT(kl < sizeof key);
        memcpy(key, k, kl);
        if (i == which && how == 1) key[kl++] = 0xff;
        ledger_writes_begin(out, key, kl);
        size_t at = out->data.len;
        hbuf_append(&out->data, v, vl);
        if (i == which && how == 0) out->data.data[at + vl - 1] ^= 0x80;
        if (i == which && how == 3) hbuf_put_u8(&out->data, 0);
        ledger_writes_end_value(out);
    }
    ledger_writes_sort(out);
}

/* Any change to any record (a value bit, a longer key, a dropped record, a
 * longer value) changes the root. */
static void test_root_sensitive(void) {
    uint64_t bal[6] = {10, 20, 30, 40, 50, 60};
    ledger_params p = cp_params(4);
    ledger_state *s = t_state(&p, bal, 6, t_hash_key_a);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    hansa_hash root;
    ledger_records_root(&ws, &root);
    int same = 0, tried = 0;
    for (size_t i = 0; i < ws.n; i++) {
        for (int how = 0; how < 4; how++) {
            ledger_writes m = LEDGER_WRITES_INIT;
            mutate(&ws, i, how, &m);
            hansa_hash r;
            ledger_records_root(&m, &r);
            same += hash_eq(&r, &root);
            tried++;
            ledger_writes_free(&m);
        }
    }
    CHECK(tried >= 40);
    CHECK_EQ_U64(same, 0);
    ledger_writes_free(&ws);
    ledger_state_free(s);
}

/* The root of a pending block (base + its writes, deletions included) is
 * the root of the state it commits. */
static void test_root_after_block(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1000};
    ledger_params p = cp_params(2);
    ledger_state *s = t_state(&p, bal, 4, t_hash_key_a);
    commit_block(s, 3, NULL); /* height 1: no checkpoint */
    ledger_block_info info = t_info(s, 60);
    ledger_block *b = NULL;
    char why[LEDGER_WHY_MAX] = "";
    CHECK_ERR(ledger_block_begin(s, &info, &b, why, sizeof why), HANSA_OK);
    ledger_block_finish(b);
    hansa_hash root, after, expect, prev = *ledger_app_hash(s);
    CHECK(ledger_block_state_root(b, &root));
    ledger_app_hash_checkpoint(&prev, 2, ledger_block_writes_hash(b), &root, &expect);
    CHECK(hash_eq(&expect, ledger_block_app_hash(b)));
    ledger_block_commit(s, b);
    ledger_state_root(s, &after);
    CHECK(hash_eq(&root, &after));
    /* Height 3 is no checkpoint: the app hash is the plain chain. */
    info = t_info(s, 60);
    CHECK_ERR(ledger_block_begin(s, &info, &b, why, sizeof why), HANSA_OK);
    ledger_block_finish(b);
    CHECK(!ledger_block_state_root(b, &root));
    prev = *ledger_app_hash(s);
    ledger_app_hash_next(&prev, 3, ledger_block_writes_hash(b), &expect);
    CHECK(hash_eq(&expect, ledger_block_app_hash(b)));
    ledger_block_free(b);
    CHECK(ledger_is_checkpoint(&p, 4) && !ledger_is_checkpoint(&p, 0) &&
          !ledger_is_checkpoint(&p, 5));
    ledger_params off = cp_params(0);
    CHECK(!ledger_is_checkpoint(&off, 4));
    ledger_state_free(s);
}

/* A node whose stored state differs from the chain's in a record no block
 * touches (here the nonce of account 5: the supply still balances) is not
 * caught by the write-set chain, but is at the next checkpoint: its block
 * there has another app hash and ledger_app_hash_check refuses it. With
 * checkpoints off, the same divergence goes unnoticed. */
static void divergence(uint32_t k, hansa_err want_at_2) {
    uint64_t bal[6] = {1000, 1000, 1000, 1000, 1000, 1000};
    ledger_params p = cp_params(k);
    ledger_state *good = t_state(&p, bal, 6, t_hash_key_a);
    ledger_writes ws = LEDGER_WRITES_INIT, bad_ws = LEDGER_WRITES_INIT;
    ledger_state_records(good, &ws);
    uint8_t key5[LEDGER_KEY_ACCOUNT_BYTES];
    ledger_key_account(&t_addrs[5], key5);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *kk = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        ledger_writes_begin(&bad_ws, kk, kl);
        if (kl == sizeof key5 && memcmp(kk, key5, kl) == 0) {
            ledger_account a;
            HANSA_ASSERT(ledger_account_decode(v, vl, &a, NULL) == HANSA_OK);
            a.nonce += 7;
            ledger_account_encode(&bad_ws.data, &a);
        } else {
            hbuf_append(&bad_ws.data, v, vl);
        }
        ledger_writes_end_value(&bad_ws);
    }
    ledger_writes_sort(&bad_ws);
    ledger_state *bad = reload(&bad_ws, ledger_app_hash(good));
    char why[LEDGER_WHY_MAX] = "";
    hansa_err got = HANSA_OK;
    for (uint64_t h = 1; h <= 2; h++) {
        ledger_block_info info = t_info(good, 60);
        ledger_block *bg = NULL, *bb = NULL;
        ledger_block_result res;
        CHECK_ERR(ledger_apply_block(good, &info, NULL, 0, NULL, &bg, &res), HANSA_OK);
        CHECK_ERR(ledger_apply_block(bad, &info, NULL, 0, NULL, &bb, &res), HANSA_OK);
        got = ledger_app_hash_check(h, ledger_block_app_hash(bb), ledger_block_app_hash(bg), why,
                                    sizeof why);
        if (h == 1) CHECK_ERR(got, HANSA_OK);
        ledger_block_commit(good, bg);
        ledger_block_commit(bad, bb);
    }
    CHECK_ERR(got, want_at_2);
    if (got != HANSA_OK) CHECK(strstr(why, "app hash mismatch at height 2") != NULL);
    ledger_writes_free(&ws);
    ledger_writes_free(&bad_ws);
    ledger_state_free(good);
    ledger_state_free(bad);
}

static void test_checkpoint_catches_divergence(void) {
    divergence(2, HANSA_ERR_APP_HASH);
    divergence(0, HANSA_OK);
}

/* The snapshot info: round trip, each rejection, and the consistency check
 * a joining node makes (any changed hash breaks it). */
static void test_snap_info(void) {
    ledger_snap_info in = {.height = 16, .records = 87, .bytes = 4076}, out;
    for (int i = 0; i < 32; i++) {
        in.prev_app_hash.b[i] = (uint8_t)i;
        in.writes_hash.b[i] = (uint8_t)(2 * i);
        in.state_root.b[i] = (uint8_t)(3 * i);
    }
    ledger_app_hash_checkpoint(&in.prev_app_hash, in.height, &in.writes_hash, &in.state_root,
                               &in.app_hash);
    CHECK(ledger_snap_info_consistent(&in));
    hbuf b = HBUF_INIT;
    ledger_snap_info_encode(&b, &in);
    CHECK_EQ_U64(b.len, LEDGER_SNAP_INFO_BYTES);
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len, &out, NULL), HANSA_OK);
    CHECK(memcmp(&in, &out, sizeof in) == 0);
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len - 1, &out, NULL), HANSA_ERR_TRUNCATED);
    CHECK(out.height == 0); /* zeroed on error */
    hbuf_put_u8(&b, 0);
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len, &out, NULL), HANSA_ERR_TRAILING);
    b.len--;
    b.data[0] = 2;
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len, &out, NULL), HANSA_ERR_VERSION);
    b.data[0] = 1;
    memset(b.data + 1, 0, 8);
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len, &out, NULL), HANSA_ERR_INVALID);
    le64_store(b.data + 1, 16);
    memset(b.data + 137, 0, 8);
    CHECK_ERR(ledger_snap_info_decode(b.data, b.len, &out, NULL), HANSA_ERR_INVALID);
    hbuf_free(&b);
    ledger_snap_info bad = in;
    bad.state_root.b[5] ^= 1;
    CHECK(!ledger_snap_info_consistent(&bad));
    bad = in;
    bad.height++;
    CHECK(!ledger_snap_info_consistent(&bad));
    bad = in;
    bad.prev_app_hash.b[0] ^= 1;
    CHECK(!ledger_snap_info_consistent(&bad));
}

/* A chain without checkpoints never reaches a refresh at a checkpoint: the
 * keys its commits note must still stay bounded (a review found them
 * growing by every block's writes forever, towards an abort at 4 GiB). */
static void test_notes_bounded(void) {
    uint64_t bal[8] = {100000, 200, 300, 400, 500, 600, 700, 800};
    ledger_params p = cp_params(0);
    ledger_state *s = t_state(&p, bal, 8, t_hash_key_a);
    size_t most = 0;
    for (int h = 0; h < 3000; h++) {
        commit_block(s, 1, NULL);
        if (s->leaves.n_notes > most) most = s->leaves.n_notes;
    }
    CHECK(most <= LEDGER_LEAF_NOTES_MAX + 8);
    hansa_hash cached, full;
    ledger_state_root(s, &cached);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_records_root(&ws, &full);
    CHECK(hash_eq(&cached, &full));
    ledger_writes_free(&ws);
    ledger_state_free(s);
}

int main(void) {
    t_init_keys();
    RUN(test_root_deterministic);
    RUN(test_root_sensitive);
    RUN(test_root_after_block);
    RUN(test_checkpoint_catches_divergence);
    RUN(test_snap_info);
    RUN(test_notes_bounded);
    return check_summary();
}
