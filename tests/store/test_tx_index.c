/* Tests of the store's tx index (store_batch_put_tx, store_get_tx): entries
 * are written with their block in one transaction, survive a reopen, are
 * absent when the batch is aborted or its commit fails, and a damaged entry
 * is reported as corrupt rather than used. The commit logs a block's entries
 * under its height; store_index_step moves them into the hash index. */
#include "tmpdir.h"

#include <lmdb.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "store/store.h"

static const store_options small_map = {.map_size_bytes = 1u << 20};
enum { H = STORE_TX_LOOKUP_HEIGHT_BYTES }; /* what a height in the lookup copy costs */

static hansa_hash tx_hash(uint64_t height, uint32_t i) {
    hansa_hash h;
    memset(h.b, 0x7e, sizeof h.b);
    le64_store(h.b, height);
    le32_store(h.b + 8, i);
    return h;
}

/* Commits block `height` holding the n given tx hashes, at positions 0..n-1. */
static hansa_err commit_hashes(store *st, uint64_t height, const hansa_hash *hs, uint32_t n) {
    store_batch *b;
    hansa_err e = store_batch_begin(st, height, &b);
    if (e != HANSA_OK) return e;
    hansa_hash bh, app;
    memset(bh.b, 0xb0, sizeof bh.b);
    le64_store(bh.b, height);
    memset(app.b, 0xa0, sizeof app.b);
    CHECK_ERR(store_batch_put_block(b, &bh, (const uint8_t *)"block", 5), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"commit", 6), HANSA_OK);
    for (uint32_t i = 0; i < n; i++) CHECK_ERR(store_batch_put_tx(b, &hs[i], i), HANSA_OK);
    return store_batch_commit(b, &app);
}

/* Commits block `height` holding n_txs indexed transactions (tx_hash). */
static hansa_err commit_with_txs(store *st, uint64_t height, uint32_t n_txs) {
    hansa_hash *hs = hansa_calloc(n_txs ? n_txs : 1, sizeof *hs);
    for (uint32_t i = 0; i < n_txs; i++) hs[i] = tx_hash(height, i);
    hansa_err e = commit_hashes(st, height, hs, n_txs);
    free(hs);
    return e;
}

static bool tx_at(store *st, uint64_t height, uint32_t i) {
    hansa_hash th = tx_hash(height, i);
    store_tx_loc loc = {0};
    return store_get_tx(st, &th, &loc) == HANSA_OK && loc.height == height && loc.index == i;
}

static void print_problem(void *ctx, const char *problem) {
    (void)ctx;
    fprintf(stderr, "problem: %s\n", problem);
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
    CHECK_ERR(store_index_step(st, 1, NULL), HANSA_OK);
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

/* The commit only logs a block's entries (store_index_step moves them into
 * tx_index later): a transaction is found the same before, during and after
 * the move, oldest heights move first, and both survive a reopen. */
static void test_logged_then_indexed(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    uint64_t backlog = 99;
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK(backlog == 0);
    for (uint64_t h = 1; h <= 5; h++) CHECK_ERR(commit_with_txs(st, h, h == 3 ? 0 : 50), HANSA_OK);
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK(backlog == 4); /* height 3 has no transactions, so no log record */
    CHECK(tx_at(st, 1, 0) && tx_at(st, 5, 49));
    uint32_t moved = 0;
    CHECK_ERR(store_index_step(st, 2, &moved), HANSA_OK);
    CHECK(moved == 2);
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK(backlog == 2);
    for (uint64_t h = 1; h <= 5; h++)
        if (h != 3) CHECK(tx_at(st, h, 0) && tx_at(st, h, 49));
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK(tx_at(st, 2, 7) && tx_at(st, 4, 7));
    CHECK_ERR(store_index_step(st, 10, &moved), HANSA_OK);
    CHECK(moved == 2);
    CHECK_ERR(store_index_step(st, 10, &moved), HANSA_OK);
    CHECK(moved == 0);
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK(backlog == 0);
    CHECK(tx_at(st, 4, 7) && tx_at(st, 5, 0));
    hansa_hash missing = tx_hash(3, 0);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &missing, &loc), HANSA_ERR_NOT_FOUND);
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    CHECK(sum.tx_index == 200);
    store_close(st);
    tmpdir_remove(&t);
}

/* A damaged tx_log record is reported as corrupt, never moved into
 * tx_index: a writable open (which copies the log's entries) fails naming
 * it, before a node could join its peers; a read-only open's lookup, which
 * walks the log, reports it. */
static void test_damaged_log_is_corrupt(void) {
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
    CHECK(mdb_dbi_open(txn, "tx_log", 0, &dbi) == 0);
    uint8_t hk[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    MDB_val key = {sizeof hk, hk}, val;
    CHECK(mdb_get(txn, dbi, &key, &val) == 0);
    uint8_t copy[128];
    CHECK(val.mv_size <= sizeof copy);
    memcpy(copy, val.mv_data, val.mv_size);
    copy[val.mv_size - 1] ^= 1;
    MDB_val nv = {val.mv_size, copy};
    CHECK(mdb_put(txn, dbi, &key, &nv, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_ERR_CORRUPT);
    CHECK(st == NULL);
    store_options ro = small_map;
    ro.read_only = true;
    CHECK_ERR(store_open(t.db, &ro, &st), HANSA_OK);
    hansa_hash th = tx_hash(1, 1);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &th, &loc), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "tx_log") != NULL);
    store_close(st);
    tmpdir_remove(&t);
}

/* A lookup the index misses is answered from the store's copy of the log:
 * it follows every commit, index step, prune and reopen exactly as a walk
 * of the log would, and holds only what the log holds (its memory follows
 * the backlog). Pruning heights still logged drops their entries (they
 * must not be found with their blocks gone); empty heights log nothing. */
static void test_logged_lookups_follow_the_log(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 1, 0), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 2, 0), HANSA_OK);
    uint32_t pruned = 0;
    CHECK_ERR(store_prune_step(st, 2, 100, &pruned), HANSA_OK); /* nothing logged yet */
    CHECK(pruned == 1 && store_logged_bytes(st) == 0);
    for (uint64_t h = 3; h <= 10; h++) CHECK_ERR(commit_with_txs(st, h, 20), HANSA_OK);
    CHECK(store_logged_bytes(st) == 0); /* the commits copied nothing: */
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK); /* the commit delay does */
    size_t eight = store_logged_bytes(st);
    CHECK(eight == 8 * (20 * 8 + H)); /* 8 bytes an entry (its hash's prefix), H a height */
    CHECK(tx_at(st, 3, 0) && tx_at(st, 10, 19));
    CHECK_ERR(store_index_step(st, 2, NULL), HANSA_OK); /* 3, 4 indexed; 5..10 logged */
    CHECK(store_logged_bytes(st) == eight / 8 * 6);
    CHECK(tx_at(st, 4, 5) && tx_at(st, 5, 5));
    CHECK_ERR(store_prune_step(st, 7, 100, &pruned), HANSA_OK); /* 2..6 gone, 5 and 6 logged */
    CHECK(pruned == 5);
    CHECK(store_logged_bytes(st) == eight / 8 * 4);
    store_tx_loc loc;
    for (uint32_t i = 0; i < 20; i++) {
        hansa_hash th5 = tx_hash(5, i), th6 = tx_hash(6, i);
        CHECK_ERR(store_get_tx(st, &th5, &loc), HANSA_ERR_NOT_FOUND);
        CHECK_ERR(store_get_tx(st, &th6, &loc), HANSA_ERR_NOT_FOUND);
    }
    CHECK(tx_at(st, 3, 0)); /* in tx_index until the sweep, as before */
    CHECK(tx_at(st, 7, 0) && tx_at(st, 10, 19));
    CHECK_ERR(commit_with_txs(st, 11, 3), HANSA_OK);
    CHECK(tx_at(st, 11, 2)); /* a lookup catches up on its own */
    CHECK(store_logged_bytes(st) == eight / 8 * 4 + 3 * 8 + H);
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK(tx_at(st, 7, 0) && tx_at(st, 11, 2));
    hansa_hash th = tx_hash(5, 0);
    CHECK_ERR(store_get_tx(st, &th, &loc), HANSA_ERR_NOT_FOUND);
    uint32_t moved;
    do CHECK_ERR(store_index_step(st, 2, &moved), HANSA_OK);
    while (moved > 0);
    CHECK(store_logged_bytes(st) == 0);
    CHECK(tx_at(st, 7, 0) && tx_at(st, 11, 2));
    store_close(st);
    tmpdir_remove(&t);
}


/* A hash whose first 8 bytes (what the lookup copy keeps) are `prefix`. */
static hansa_hash prefixed(uint8_t prefix, uint8_t rest) {
    hansa_hash h;
    memset(h.b, prefix, 8);
    memset(h.b + 8, rest, sizeof h.b - 8);
    return h;
}

/* Looks h up, which must miss, and returns what that cost in the log. */
static store_tx_lookup_counts miss_cost(store *st, const hansa_hash *h) {
    store_tx_lookup_counts a, b;
    store_tx_lookup_stats(st, &a);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, h, &loc), HANSA_ERR_NOT_FOUND);
    store_tx_lookup_stats(st, &b);
    return (store_tx_lookup_counts){b.read_backs - a.read_backs, b.walked - a.walked, 0};
}

static bool found_at(store *st, const hansa_hash *h, uint64_t height, uint32_t index) {
    store_tx_loc loc = {0};
    return store_get_tx(st, h, &loc) == HANSA_OK && loc.height == height && loc.index == index;
}

/* The lookup copy keeps only 8-byte prefixes of the hashes: entries that
 * share one (by chance, or ground by a sender) are each found at their own
 * position, in one height or across several, and a hash that shares only
 * the prefix with logged entries is not found. */
static void test_equal_prefixes_are_told_apart(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hansa_hash one[6] = {prefixed(0x11, 1), prefixed(0x55, 1), prefixed(0x22, 1),
                         prefixed(0x55, 2), prefixed(0x55, 3), prefixed(0x33, 1)};
    hansa_hash two[3] = {prefixed(0x55, 4), prefixed(0x44, 1), prefixed(0x55, 5)};
    CHECK_ERR(commit_hashes(st, 1, one, 6), HANSA_OK);
    CHECK_ERR(commit_hashes(st, 2, two, 3), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 9 * 8 + 2 * H);
    for (int pass = 0; pass < 3; pass++) {
        for (uint32_t i = 0; i < 6; i++) CHECK(found_at(st, &one[i], 1, i));
        for (uint32_t i = 0; i < 3; i++) CHECK(found_at(st, &two[i], 2, i));
        store_tx_loc loc;
        hansa_hash absent[3] = {prefixed(0x55, 6), prefixed(0x11, 2), prefixed(0x66, 1)};
        hansa_hash last_byte = one[3];
        last_byte.b[31] ^= 1; /* all but one byte of a logged hash */
        for (int i = 0; i < 3; i++)
            CHECK_ERR(store_get_tx(st, &absent[i], &loc), HANSA_ERR_NOT_FOUND);
        CHECK_ERR(store_get_tx(st, &last_byte, &loc), HANSA_ERR_NOT_FOUND);
        /* Only heights holding the prefix are read back: 1 and 2, then 2. */
        store_tx_lookup_counts c = miss_cost(st, &absent[0]);
        CHECK(c.read_backs == (pass == 0 ? 2u : 1u) && c.walked == 0);
        c = miss_cost(st, &absent[2]);
        CHECK(c.read_backs == 0 && c.walked == 0);
        /* The same after height 1 is indexed, and from a fresh copy. */
        if (pass == 0) CHECK_ERR(store_index_step(st, 1, NULL), HANSA_OK);
        if (pass == 1) {
            store_close(st);
            CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
        }
    }
    store_close(st);
    tmpdir_remove(&t);
}

/* Opens a fresh store in t whose lookup copy is bounded at `bound` bytes. */
static store *open_bounded(tmpdir *t, size_t bound) {
    tmpdir_make(t);
    store_options o = small_map;
    o.tx_lookup_copy_bytes_max = bound;
    store *st = NULL;
    CHECK_ERR(store_open(t->db, &o, &st), HANSA_OK);
    return st;
}

/* The copy is bounded (store_options.tx_lookup_copy_bytes_max): heights
 * logged past the bound are still found, by a walk of the log, and the
 * copy takes them in once index steps make room. */
static void test_lookup_copy_is_bounded(void) {
    tmpdir t;
    store *st = open_bounded(&t, 2 * (10 * 8 + H) + 5 * 8); /* two heights of 10, not three */
    for (uint64_t h = 1; h <= 5; h++) CHECK_ERR(commit_with_txs(st, h, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 2 * (10 * 8 + H));
    for (uint64_t h = 1; h <= 5; h++) CHECK(tx_at(st, h, 0) && tx_at(st, h, 9));
    hansa_hash th = tx_hash(6, 0);
    store_tx_lookup_counts c = miss_cost(st, &th); /* walks 3..5, the heights not copied */
    CHECK(c.read_backs == 0 && c.walked == 3);
    CHECK_ERR(store_index_step(st, 1, NULL), HANSA_OK); /* 1 indexed: room for 3 */
    CHECK(store_logged_bytes(st) == 10 * 8 + H);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 2 * (10 * 8 + H));
    c = miss_cost(st, &th);
    CHECK(c.read_backs == 0 && c.walked == 2);
    for (uint64_t h = 1; h <= 5; h++) CHECK(tx_at(st, h, 0) && tx_at(st, h, 9));
    uint32_t moved;
    do CHECK_ERR(store_index_step(st, 2, &moved), HANSA_OK);
    while (moved > 0);
    CHECK(store_logged_bytes(st) == 0);
    for (uint64_t h = 1; h <= 5; h++) CHECK(tx_at(st, h, 0) && tx_at(st, h, 9));
    store_close(st);
    tmpdir_remove(&t);
}

/* Each copied height costs its slot and allocation besides its prefixes,
 * and that counts against the bound: a run of one-tx heights holds no more
 * than the bound either (before, 125 of them fitted 1,000 bytes of
 * prefixes, ~9 KB of heap). */
static void test_tiny_heights_count_their_overhead(void) {
    tmpdir t;
    store *st = open_bounded(&t, 1000);
    for (uint64_t h = 1; h <= 50; h++) CHECK_ERR(commit_with_txs(st, h, 1), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 1000 / (8 + H) * (8 + H));
    for (uint64_t h = 1; h <= 50; h++) CHECK(tx_at(st, h, 0));
    store_close(st);
    tmpdir_remove(&t);
}

/* Heights that fit the bound exactly are all copied: a miss walks none. */
static void test_copy_fills_the_bound_exactly(void) {
    tmpdir t;
    store *st = open_bounded(&t, 3 * (10 * 8 + H));
    for (uint64_t h = 1; h <= 3; h++) CHECK_ERR(commit_with_txs(st, h, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 3 * (10 * 8 + H));
    hansa_hash th = tx_hash(5, 0);
    store_tx_lookup_counts c = miss_cost(st, &th);
    CHECK(c.read_backs == 0 && c.walked == 0);
    CHECK_ERR(commit_with_txs(st, 4, 1), HANSA_OK); /* one entry more: walked */
    c = miss_cost(st, &th);
    CHECK(c.read_backs == 0 && c.walked == 1);
    CHECK(store_logged_bytes(st) == 3 * (10 * 8 + H));
    store_close(st);
    tmpdir_remove(&t);
}

/* Counts lines of f holding `what`. */
static int lines_with(FILE *f, const char *what) {
    char line[512];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) n += strstr(line, what) != NULL;
    return n;
}

/* Reaching the bound is logged once (a warning: misses now walk the log),
 * and so is the copy taking every height again, not each lookup or each
 * index step in between. */
static void test_bound_reached_is_logged_once(void) {
    FILE *f = tmpfile();
    CHECK(f != NULL);
    log_set_file(f);
    log_set_level(LOG_INFO);
    tmpdir t;
    store *st = open_bounded(&t, 2 * (10 * 8 + H));
    for (uint64_t h = 1; h <= 5; h++) CHECK_ERR(commit_with_txs(st, h, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    for (uint64_t h = 1; h <= 5; h++) CHECK(tx_at(st, h, 0));
    CHECK_ERR(store_index_step(st, 1, NULL), HANSA_OK); /* room for 3, still full */
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(tx_at(st, 5, 0));
    CHECK_ERR(store_index_step(st, 2, NULL), HANSA_OK); /* 4 and 5 left: all fit */
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(tx_at(st, 5, 0));
    store_close(st);
    log_set_level(LOG_OFF);
    log_set_file(stderr);
    CHECK(lines_with(f, "WARN") == 1 && lines_with(f, "tx lookup copy full") == 1);
    CHECK(lines_with(f, "tx lookup copy holds every logged height again") == 1);
    fclose(f);
    tmpdir_remove(&t);
}

/* The ring turns through its slots as heights are copied and indexed one
 * by one, each slot keeping its buffer for reuse: beyond the bound those
 * buffers are freed, so the heap stays near the bound (64 kept buffers of
 * 100 entries would hold ~51 KB under a bound of ~2 KB). */
static void test_kept_buffers_stay_near_the_bound(void) {
    tmpdir t;
    tmpdir_make(&t);
    store_options o = small_map;
    o.map_size_bytes = 4u << 20;
    o.tx_lookup_copy_bytes_max = 2 * (100 * 8 + H);
    store *st;
    CHECK_ERR(store_open(t.db, &o, &st), HANSA_OK);
    CHECK_ERR(commit_with_txs(st, 1, 100), HANSA_OK);
    for (uint64_t h = 2; h <= 150; h++) {
        CHECK_ERR(commit_with_txs(st, h, 100), HANSA_OK);
        CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
        CHECK_ERR(store_index_step(st, 1, NULL), HANSA_OK); /* h stays logged */
    }
    CHECK(tx_at(st, 150, 99) && tx_at(st, 1, 0));
    store_tx_lookup_counts c;
    store_tx_lookup_stats(st, &c);
    /* the ring's 64 slots, buffers within the bound plus one height, the sort's */
    CHECK(c.held_bytes <= 64 * (H / 2) + o.tx_lookup_copy_bytes_max + 2 * 100 * 8);
    store_close(st);
    tmpdir_remove(&t);
}

/* A height larger than the whole bound leaves the copy empty and full; once
 * an index step takes it, the copy starts again with the heights after it
 * (rather than every later miss walking the log). */
static void test_copy_restarts_after_a_large_height(void) {
    tmpdir t;
    store *st = open_bounded(&t, 25 * 8);
    CHECK_ERR(commit_with_txs(st, 1, 30), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 0);
    CHECK(tx_at(st, 1, 29));
    uint32_t moved = 0;
    CHECK_ERR(store_index_step(st, 1, &moved), HANSA_OK);
    CHECK(moved == 1);
    CHECK_ERR(commit_with_txs(st, 2, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(tx_at(st, 2, 9) && tx_at(st, 1, 29));
    CHECK(store_logged_bytes(st) == 10 * 8 + H);
    store_close(st);
    tmpdir_remove(&t);
}

/* Changes tx_log's record of `height` from another process, as something
 * writing the store behind the open one's back would (LMDB allows a second
 * process; the same process must not open the env twice): deletes it, or
 * flips a bit of its last byte (bit rot after the copy was made). */
static void change_logged_elsewhere(const char *db, uint64_t height, bool flip) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        uint8_t hk[8];
        be64_store(hk, height);
        MDB_val key = {sizeof hk, hk}, val;
        static uint8_t copy[4096];
        bool ok = mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 16) == 0 &&
                  mdb_env_open(env, db, 0, 0600) == 0 && mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
                  mdb_dbi_open(txn, "tx_log", 0, &dbi) == 0;
        if (ok && !flip) ok = mdb_del(txn, dbi, &key, NULL) == 0;
        if (ok && flip) ok = mdb_get(txn, dbi, &key, &val) == 0 && val.mv_size <= sizeof copy;
        if (ok && flip) {
            memcpy(copy, val.mv_data, val.mv_size);
            copy[val.mv_size - 1] ^= 1;
            MDB_val nv = {val.mv_size, copy};
            ok = mdb_put(txn, dbi, &key, &nv, 0) == 0;
        }
        _exit(ok && mdb_txn_commit(txn) == 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A height the copy holds but the log no longer does: the lookup is
 * answered from the log (the truth), not failed, the copy is made again
 * from the log, and the store stays writable. */
static void test_copy_out_of_step_answers_from_the_log(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    for (uint64_t h = 1; h <= 3; h++) CHECK_ERR(commit_with_txs(st, h, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    CHECK(store_logged_bytes(st) == 3 * (10 * 8 + H));
    change_logged_elsewhere(t.db, 1, false);
    hansa_hash th = tx_hash(1, 0);
    store_tx_lookup_counts c = miss_cost(st, &th); /* 1 is gone from the log: walks 2, 3 */
    CHECK(c.read_backs == 0 && c.walked == 2);
    CHECK(tx_at(st, 2, 0) && tx_at(st, 3, 9));
    CHECK(store_logged_bytes(st) == 2 * (10 * 8 + H));
    CHECK_ERR(commit_with_txs(st, 4, 1), HANSA_OK);
    CHECK(tx_at(st, 4, 0));
    store_close(st);
    tmpdir_remove(&t);
}

/* A copied height's record damaged after the copy was made is met when a
 * lookup reads it back: HANSA_ERR_CORRUPT naming tx_log, the store refuses
 * writes (as for any corruption), and the copy is dropped. */
static void test_rot_met_in_read_back_is_corrupt(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    for (uint64_t h = 1; h <= 2; h++) CHECK_ERR(commit_with_txs(st, h, 10), HANSA_OK);
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    change_logged_elsewhere(t.db, 1, true);
    CHECK(tx_at(st, 2, 0)); /* height 1 is not read back for this one */
    hansa_hash th = tx_hash(1, 0);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &th, &loc), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "tx_log") != NULL);
    CHECK(store_logged_bytes(st) == 0);
    CHECK(commit_with_txs(st, 3, 1) != HANSA_OK);
    store_close(st);
    tmpdir_remove(&t);
}

/* A store in a fresh folder and a generator seeded for the named test
 * (printed, replayable); *seed is what it was seeded with. */
static store *open_seeded(const char *test, uint64_t dflt, const store_options *map, hansa_prng *rng,
                          uint64_t *seed, tmpdir *t) {
    *seed = check_seed(test, dflt);
    prng_seed(rng, *seed);
    tmpdir_make(t);
    store *st = NULL;
    CHECK_ERR(store_open(t->db, map, &st), HANSA_OK);
    return st;
}

/* Random hashes, as SHA-256 makes them, in heights of a few hundred: each
 * is found at its own height and position (the copy's sort and search
 * against the log's order), and random absent ones are not. */
static void test_random_hashes_are_found(void) {
    uint64_t seed;
    hansa_prng rng;
    tmpdir t;
    store *st = open_seeded("test_random_hashes_are_found", 7, &small_map, &rng, &seed, &t);
    enum { HEIGHTS = 3, PER = 300 };
    static hansa_hash hs[HEIGHTS][PER];
    for (uint64_t h = 0; h < HEIGHTS; h++) {
        for (uint32_t i = 0; i < PER; i++) prng_fill(&rng, hs[h][i].b, sizeof hs[h][i].b);
        CHECK_ERR(commit_hashes(st, h + 1, hs[h], PER), HANSA_OK);
    }
    CHECK_ERR(store_prepare_tx_lookups(st), HANSA_OK);
    for (uint64_t h = 0; h < HEIGHTS; h++)
        for (uint32_t i = 0; i < PER; i++) CHECK(found_at(st, &hs[h][i], h + 1, i));
    for (int i = 0; i < 100; i++) {
        hansa_hash absent;
        prng_fill(&rng, absent.b, sizeof absent.b);
        store_tx_lookup_counts c = miss_cost(st, &absent); /* no record read: the copy says so */
        CHECK(c.read_backs == 0 && c.walked == 0);
    }
    store_close(st);
    tmpdir_remove(&t);
}

/* An index step puts its entries in hash order, sorted on their first 8
 * bytes and then the whole hash where those are equal: random hashes
 * mixed with runs that share a prefix (given in falling order, so the
 * step reorders them, across heights too) are each found at their own
 * height and position once every height is indexed, and nothing stays
 * logged. Checked in a fresh copy after a reopen as well. */
static void test_index_step_orders_equal_prefixes(void) {
    uint64_t seed;
    hansa_prng rng;
    tmpdir t;
    store *st = open_seeded("test_index_step_orders_equal_prefixes", 11, &small_map, &rng, &seed, &t);
    enum { HEIGHTS = 4, PER = 200 };
    static hansa_hash hs[HEIGHTS][PER];
    for (uint64_t h = 0; h < HEIGHTS; h++) {
        for (uint32_t i = 0; i < PER; i++) {
            if (i % 5 == 0) hs[h][i] = prefixed((uint8_t)(0x40 + i % 3), (uint8_t)(250 - i - h));
            else prng_fill(&rng, hs[h][i].b, sizeof hs[h][i].b);
        }
        CHECK_ERR(commit_hashes(st, h + 1, hs[h], PER), HANSA_OK);
    }
    uint32_t moved = 0;
    CHECK_ERR(store_index_step(st, HEIGHTS, &moved), HANSA_OK);
    CHECK(moved == HEIGHTS);
    for (int pass = 0; pass < 2; pass++) {
        CHECK(store_logged_bytes(st) == 0);
        for (uint64_t h = 0; h < HEIGHTS; h++)
            for (uint32_t i = 0; i < PER; i++) CHECK(found_at(st, &hs[h][i], h + 1, i));
        store_close(st);
        CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    }
    store_close(st);
    tmpdir_remove(&t);
}

/* Commits heights from..to-1 of n random tx hashes each. */
static void commit_random(store *st, hansa_prng *rng, uint64_t from, uint64_t to, uint32_t n) {
    hansa_hash *hs = hansa_calloc(n, sizeof *hs);
    for (uint64_t h = from; h < to; h++) {
        prng_fill(rng, hs, n * sizeof *hs);
        CHECK_ERR(commit_hashes(st, h, hs, n), HANSA_OK);
    }
    free(hs);
}

/* The index step's sort buffers outlive the step (a step allocated and
 * freed 24 bytes an entry each time): kept after a step of 800 entries,
 * the same after a smaller one, and after a step past
 * STORE_INDEX_SCRATCH_KEEP entries (which sorts in buffers of its own)
 * still within the bound; every entry is found in tx_index. */
static void test_index_step_keeps_its_buffers(void) {
    const store_options big_map = {.map_size_bytes = 64u << 20};
    uint64_t seed;
    hansa_prng rng;
    tmpdir t;
    store *st = open_seeded("test_index_step_keeps_its_buffers", 12, &big_map, &rng, &seed, &t);
    store_tx_lookup_counts c;
    store_tx_lookup_stats(st, &c);
    CHECK_EQ_U64(c.index_scratch_bytes, 0);
    commit_random(st, &rng, 1, 5, 200);
    CHECK_ERR(store_index_step(st, 4, NULL), HANSA_OK);
    store_tx_lookup_stats(st, &c);
    size_t kept = c.index_scratch_bytes;
    CHECK(kept >= 800 * 24 && kept <= STORE_INDEX_SCRATCH_KEEP * 24);
    commit_random(st, &rng, 5, 7, 100);
    CHECK_ERR(store_index_step(st, 2, NULL), HANSA_OK);
    store_tx_lookup_stats(st, &c);
    CHECK_EQ_U64(c.index_scratch_bytes, kept);
    const uint32_t per = STORE_INDEX_SCRATCH_KEEP / 4 + 1; /* four heights: past the bound */
    commit_random(st, &rng, 7, 11, per);
    uint32_t moved = 0;
    CHECK_ERR(store_index_step(st, 4, &moved), HANSA_OK);
    CHECK_EQ_U64(moved, 4);
    store_tx_lookup_stats(st, &c);
    CHECK(c.index_scratch_bytes >= kept && c.index_scratch_bytes <= STORE_INDEX_SCRATCH_KEEP * 24);
    uint64_t backlog = 1;
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK_EQ_U64(backlog, 0);
    prng_seed(&rng, seed); /* the same hashes again: each is where it was put */
    hansa_hash h;
    for (uint32_t i = 0; i < 200; i++) {
        prng_fill(&rng, h.b, sizeof h.b);
        CHECK(found_at(st, &h, 1, i));
    }
    store_close(st);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF);
    RUN(test_index_written_with_block);
    RUN(test_index_only_with_committed_batch);
    RUN(test_damaged_entry_is_corrupt);
    RUN(test_logged_then_indexed);
    RUN(test_damaged_log_is_corrupt);
    RUN(test_logged_lookups_follow_the_log);
    RUN(test_equal_prefixes_are_told_apart);
    RUN(test_lookup_copy_is_bounded);
    RUN(test_copy_restarts_after_a_large_height);
    RUN(test_copy_fills_the_bound_exactly);
    RUN(test_kept_buffers_stay_near_the_bound);
    RUN(test_bound_reached_is_logged_once);
    RUN(test_tiny_heights_count_their_overhead);
    RUN(test_copy_out_of_step_answers_from_the_log);
    RUN(test_rot_met_in_read_back_is_corrupt);
    RUN(test_random_hashes_are_found);
    RUN(test_index_step_orders_equal_prefixes);
    RUN(test_index_step_keeps_its_buffers);
    return check_summary();
}
