/* Tests of the store's tx index (store_batch_put_tx, store_get_tx): entries
 * are written with their block in one transaction, survive a reopen, are
 * absent when the batch is aborted or its commit fails, and a damaged entry
 * is reported as corrupt rather than used. */
#include "tmpdir.h"

#include <lmdb.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "check.h"
#include "store/store.h"

static const store_options small_map = {.map_size_bytes = 1u << 20};

static hansa_hash tx_hash(uint64_t height, uint32_t i) {
    hansa_hash h;
    memset(h.b, 0x7e, sizeof h.b);
    le64_store(h.b, height);
    le32_store(h.b + 8, i);
    return h;
}

/* Commits block `height` holding n_txs indexed transactions. */
static hansa_err commit_with_txs(store *st, uint64_t height, uint32_t n_txs) {
    store_batch *b;
    hansa_err e = store_batch_begin(st, height, &b);
    if (e != HANSA_OK) return e;
    hansa_hash bh, app;
    memset(bh.b, 0xb0, sizeof bh.b);
    le64_store(bh.b, height);
    memset(app.b, 0xa0, sizeof app.b);
    CHECK_ERR(store_batch_put_block(b, &bh, (const uint8_t *)"block", 5), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"commit", 6), HANSA_OK);
    for (uint32_t i = 0; i < n_txs; i++) {
        hansa_hash th = tx_hash(height, i);
        CHECK_ERR(store_batch_put_tx(b, &th, i), HANSA_OK);
    }
    return store_batch_commit(b, &app);
}

static bool tx_at(store *st, uint64_t height, uint32_t i) {
    hansa_hash th = tx_hash(height, i);
    store_tx_loc loc = {0};
    return store_get_tx(st, &th, &loc) == HANSA_OK && loc.height == height && loc.index == i;
}

static void test_index_written_with_block(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 1, 3), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 2, 0), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 3, 1000), HANSA_OK);
    for (uint32_t i = 0; i < 3; i++) CHECK(tx_at(st, 1, i));
    CHECK(tx_at(st, 3, 0));
    CHECK(tx_at(st, 3, 999));
    hansa_hash missing = tx_hash(2, 0);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &missing, &loc), HANSA_ERR_NOT_FOUND);
    CHECK(strstr(store_errmsg(st), "tx_index") != NULL);
    store_close(st);
    /* Reopened: the entries are on disk. */
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK(tx_at(st, 1, 2));
    CHECK(tx_at(st, 3, 500));
    store_close(st);
    tmpdir_remove(&t);
}

static void test_index_only_with_committed_batch(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    /* Aborted batch: nothing indexed. */
    store_batch *b;
    CHECK_ERR(store_batch_begin(st, 1, &b), HANSA_OK);
    hansa_hash th = tx_hash(1, 0);
    CHECK_ERR(store_batch_put_tx(b, &th, 0), HANSA_OK);
    store_batch_abort(b);
    CHECK(!tx_at(st, 1, 0));
    /* A batch whose commit fails (wrong height) leaves no entry either. */
    CHECK_ERR(commit_with_txs(st, 1, 1), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 5, 2), HANSA_ERR_STATE);
    CHECK(!tx_at(st, 5, 0));
    CHECK(!tx_at(st, 5, 1));
    store_close(st);
    tmpdir_remove(&t);
}

/* A tx_index value with a wrong payload length (but a valid record around
 * it) or a broken checksum is corrupt. */
static void test_damaged_entry_is_corrupt(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 1, 2), HANSA_OK);
    store_close(st);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_env_create(&env) == 0);
    CHECK(mdb_env_set_maxdbs(env, 16) == 0);
    CHECK(mdb_env_open(env, t.db, 0, 0600) == 0);
    CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, "tx_index", 0, &dbi) == 0);
    hansa_hash th = tx_hash(1, 1);
    MDB_val key = {HANSA_HASH_BYTES, th.b}, val;
    CHECK(mdb_get(txn, dbi, &key, &val) == 0);
    uint8_t copy[64];
    CHECK(val.mv_size <= sizeof copy);
    memcpy(copy, val.mv_data, val.mv_size);
    copy[val.mv_size - 1] ^= 1; /* flip a bit of the index */
    MDB_val nv = {val.mv_size, copy};
    CHECK(mdb_put(txn, dbi, &key, &nv, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &th, &loc), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "checksum") != NULL);
    CHECK(tx_at(st, 1, 0));
    store_close(st);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF);
    RUN(test_index_written_with_block);
    RUN(test_index_only_with_committed_batch);
    RUN(test_damaged_entry_is_corrupt);
    return check_summary();
}
