/* Tests of store/store.h on a real LMDB environment in /tmp: round trips,
 * one-transaction block commits, reopen, hash index, prefix scans, signer
 * state, WAL, map growth, and corruption of records on disk, both by
 * patching bytes of data.mdb (what a bad disk does) and by writing raw
 * values through a second LMDB environment (what a bug or a misdirected
 * write does). Corruption must come back as HANSA_ERR_CORRUPT with a
 * message naming the database, the key and the fault, and must stop writes. */
#include "tmpdir.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "check.h"
#include "store/store.h"

static const store_options small_map = {.map_size_bytes = 1u << 20};

static hansa_hash hash_of(uint8_t tag, uint64_t h) {
    hansa_hash x;
    memset(x.b, tag, sizeof x.b);
    le64_store(x.b, h);
    return x;
}

/* Deterministic contents for block h, so a reader can check them. */
static void block_bytes(uint64_t h, size_t len, hbuf *out) {
    hbuf_reset(out);
    uint64_t x = h * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        hbuf_put_u8(out, (uint8_t)x);
    }
}

/* Commits block h with a commit "commit-<h>" and the given state writes
 * (key/value string pairs, value NULL = delete). */
static hansa_err commit_block(store *st, uint64_t h, size_t block_len, const char *const *kv,
                              size_t n_kv) {
    store_batch *b;
    hansa_err e = store_batch_begin(st, h, &b);
    if (e != HANSA_OK) return e;
    hbuf blk = HBUF_INIT;
    block_bytes(h, block_len, &blk);
    hansa_hash bh = hash_of(0xb0, h), app = hash_of(0xa0, h);
    CHECK_ERR(store_batch_put_block(b, &bh, blk.data, blk.len), HANSA_OK);
    hbuf_free(&blk);
    char commit[32];
    int n = snprintf(commit, sizeof commit, "commit-%llu", (unsigned long long)h);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)commit, (size_t)n), HANSA_OK);
    for (size_t i = 0; i + 1 < 2 * n_kv; i += 2) {
        const uint8_t *k = (const uint8_t *)kv[i];
        if (kv[i + 1])
            CHECK_ERR(store_batch_put_state(b, k, strlen(kv[i]), (const uint8_t *)kv[i + 1],
                                            strlen(kv[i + 1])),
                      HANSA_OK);
        else
            CHECK_ERR(store_batch_del_state(b, k, strlen(kv[i])), HANSA_OK);
    }
    return store_batch_commit(b, &app);
}

static bool state_is(store *st, const char *key, const char *want) {
    hbuf v = HBUF_INIT;
    hansa_err e = store_state_get(st, (const uint8_t *)key, strlen(key), &v);
    bool ok = want ? (e == HANSA_OK && v.len == strlen(want) && memcmp(v.data, want, v.len) == 0)
                   : e == HANSA_ERR_NOT_FOUND;
    hbuf_free(&v);
    return ok;
}

static bool block_ok(store *st, uint64_t h, size_t len) {
    hbuf got = HBUF_INIT, want = HBUF_INIT;
    hansa_hash bh;
    block_bytes(h, len, &want);
    hansa_hash exp = hash_of(0xb0, h);
    bool ok = store_get_block(st, h, &got, &bh) == HANSA_OK && got.len == want.len &&
              memcmp(got.data, want.data, got.len) == 0 && hash_eq(&bh, &exp);
    hbuf_free(&got);
    hbuf_free(&want);
    return ok;
}

static void test_open_creates_private_dir(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st = NULL;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    struct stat sb;
    CHECK(stat(t.db, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK_EQ_U64(sb.st_mode & 0777, 0700);
    CHECK(store_map_size(st) >= small_map.map_size_bytes);
    store_tip tip;
    CHECK_ERR(store_get_tip(st, &tip), HANSA_ERR_NOT_FOUND);
    /* A second open (here or in another process) would share the signer state. */
    store *st2 = NULL;
    CHECK_ERR(store_open(t.db, &small_map, &st2), HANSA_ERR_STATE);
    CHECK(st2 == NULL);
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st2), HANSA_OK);
    store_close(st2);
    /* A missing parent is an I/O error, not a crash. */
    char deep[128];
    snprintf(deep, sizeof deep, "%s/no/such/dir", t.root);
    CHECK_ERR(store_open(deep, NULL, &st2), HANSA_ERR_IO);
    store_options bad = {.map_size_bytes = 1u << 20, .map_size_bytes_max = 1u << 19};
    CHECK_ERR(store_open(t.db, &bad, &st2), HANSA_ERR_CONFIG);
    tmpdir_remove(&t);
}

static void test_commit_batch_and_reads(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const char *kv1[] = {"acct/alice", "100", "acct/bob", "50"};
    const char *kv2[] = {"acct/alice", "90", "acct/carol", "10", "acct/bob", NULL};
    CHECK_ERR(commit_block(st, 1, 1000, kv1, 2), HANSA_OK);
    CHECK_ERR(commit_block(st, 2, 3000, kv2, 3), HANSA_OK);

    store_tip tip;
    CHECK_ERR(store_get_tip(st, &tip), HANSA_OK);
    CHECK_EQ_U64(tip.height, 2);
    hansa_hash app2 = hash_of(0xa0, 2), bh2 = hash_of(0xb0, 2);
    CHECK(hash_eq(&tip.app_hash, &app2));
    CHECK(hash_eq(&tip.block_hash, &bh2));

    CHECK(block_ok(st, 1, 1000));
    CHECK(block_ok(st, 2, 3000));
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_get_commit(st, 2, &v), HANSA_OK);
    CHECK(v.len == 8 && memcmp(v.data, "commit-2", 8) == 0);
    CHECK(state_is(st, "acct/alice", "90"));
    CHECK(state_is(st, "acct/bob", NULL));
    CHECK(state_is(st, "acct/carol", "10"));

    /* Hash index. */
    uint64_t h = 0;
    CHECK_ERR(store_get_block_by_hash(st, &bh2, &v, &h), HANSA_OK);
    CHECK_EQ_U64(h, 2);
    CHECK_EQ_U64(v.len, 3000);
    hansa_hash nosuch = hash_of(0xee, 7);
    CHECK_ERR(store_get_block_by_hash(st, &nosuch, &v, &h), HANSA_ERR_NOT_FOUND);
    CHECK(strstr(store_errmsg(st), "block_index") != NULL);

    CHECK_ERR(store_get_block(st, 9, &v, NULL), HANSA_ERR_NOT_FOUND);
    CHECK(strcmp(store_errmsg(st), "no record in database blocks at height 9") == 0);
    CHECK_ERR(store_get_commit(st, 3, &v), HANSA_ERR_NOT_FOUND);
    CHECK_ERR(store_state_get(st, (const uint8_t *)"", 0, &v), HANSA_ERR_TOO_LONG);
    hbuf_free(&v);
    store_close(st);
    tmpdir_remove(&t);
}

/* Validator sets go in with a block, read back by hash after a reopen, and
 * leave no trace when the batch is aborted. */
static void test_valsets(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hansa_hash h1 = hash_of(0x51, 1), h2 = hash_of(0x52, 2);
    store_batch *b;
    CHECK_ERR(store_batch_begin(st, 1, &b), HANSA_OK);
    hbuf blk = HBUF_INIT;
    block_bytes(1, 100, &blk);
    hansa_hash bh = hash_of(0xb0, 1), app = hash_of(0xa0, 1);
    CHECK_ERR(store_batch_put_block(b, &bh, blk.data, blk.len), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"c", 1), HANSA_OK);
    CHECK_ERR(store_batch_put_valset(b, &h1, (const uint8_t *)"set-one", 7), HANSA_OK);
    for (int i = 1; i < STORE_BATCH_VALSETS_MAX; i++)
        CHECK_ERR(store_batch_put_valset(b, &h1, (const uint8_t *)"set-one", 7), HANSA_OK);
    CHECK_ERR(store_batch_put_valset(b, &h1, (const uint8_t *)"set-one", 7), HANSA_ERR_TOO_LONG);
    CHECK_ERR(store_batch_commit(b, &app), HANSA_OK);
    CHECK_ERR(store_batch_begin(st, 2, &b), HANSA_OK);
    CHECK_ERR(store_batch_put_valset(b, &h2, (const uint8_t *)"set-two", 7), HANSA_OK);
    store_batch_abort(b);
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_get_valset(st, &h1, &v), HANSA_OK);
    CHECK(v.len == 7 && memcmp(v.data, "set-one", 7) == 0);
    CHECK_ERR(store_get_valset(st, &h2, &v), HANSA_ERR_NOT_FOUND);
    CHECK(strstr(store_errmsg(st), "valsets") != NULL);
    hbuf_free(&v);
    hbuf_free(&blk);
    store_close(st);
    tmpdir_remove(&t);
}

/* A rejected batch leaves no trace: not its block, nor its state writes. */
static void test_batch_rules(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const char *kv[] = {"k", "v1"};
    CHECK_ERR(commit_block(st, 5, 10, kv, 1), HANSA_OK); /* empty store: any first height */
    const char *kv_bad[] = {"k", "v2", "new", "x"};
    CHECK_ERR(commit_block(st, 7, 10, kv_bad, 2), HANSA_ERR_STATE);
    CHECK(strstr(store_errmsg(st), "height 7, but the tip is at 5") != NULL);
    CHECK_ERR(commit_block(st, 5, 10, kv_bad, 2), HANSA_ERR_STATE);
    CHECK(state_is(st, "k", "v1"));
    CHECK(state_is(st, "new", NULL));

    /* Same block hash at another height. */
    store_batch *b;
    hansa_hash bh5 = hash_of(0xb0, 5), app = hash_of(0xa0, 6);
    CHECK_ERR(store_batch_begin(st, 6, &b), HANSA_OK);
    CHECK_ERR(store_batch_put_block(b, &bh5, (const uint8_t *)"x", 1), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"c", 1), HANSA_OK);
    CHECK_ERR(store_batch_put_state(b, (const uint8_t *)"new", 3, (const uint8_t *)"y", 1),
              HANSA_OK);
    CHECK_ERR(store_batch_commit(b, &app), HANSA_ERR_DUPLICATE);
    CHECK(strstr(store_errmsg(st), "at height 5") != NULL);
    CHECK(state_is(st, "new", NULL));

    /* Missing commit; double block; bad key sizes. */
    hansa_hash bh6 = hash_of(0xb0, 6);
    CHECK_ERR(store_batch_begin(st, 6, &b), HANSA_OK);
    CHECK_ERR(store_batch_put_block(b, &bh6, (const uint8_t *)"x", 1), HANSA_OK);
    CHECK_ERR(store_batch_put_block(b, &bh6, (const uint8_t *)"x", 1), HANSA_ERR_STATE);
    uint8_t long_key[STORE_KEY_BYTES_MAX + 1] = {0};
    CHECK_ERR(store_batch_put_state(b, long_key, sizeof long_key, NULL, 0), HANSA_ERR_TOO_LONG);
    CHECK_ERR(store_batch_put_state(b, long_key, STORE_KEY_BYTES_MAX, NULL, 0), HANSA_OK);
    CHECK_ERR(store_batch_commit(b, &app), HANSA_ERR_STATE);
    CHECK(strstr(store_errmsg(st), "lacks its commit") != NULL);
    CHECK_ERR(store_batch_begin(st, 0, &b), HANSA_ERR_STATE);
    CHECK_ERR(store_batch_begin(st, 6, &b), HANSA_OK);
    store_batch_abort(b);

    /* After all those failures the store still works: none was fatal. */
    CHECK_ERR(store_failed(st), HANSA_OK);
    CHECK_ERR(commit_block(st, 6, 10, kv_bad, 2), HANSA_OK);
    CHECK(state_is(st, "new", "x"));
    store_close(st);
    tmpdir_remove(&t);
}

static void test_reopen_reads_back(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    for (uint64_t h = 1; h <= 20; h++) {
        char key[16], val[16];
        snprintf(key, sizeof key, "h/%02llu", (unsigned long long)h);
        snprintf(val, sizeof val, "v%llu", (unsigned long long)h);
        const char *kv[] = {key, val};
        CHECK_ERR(commit_block(st, h, 100 + h * 10, kv, 1), HANSA_OK);
    }
    uint8_t signer[3] = {1, 2, 3};
    CHECK_ERR(store_put_signer(st, signer, sizeof signer), HANSA_OK);
    store_close(st);

    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    store_tip tip;
    CHECK_ERR(store_get_tip(st, &tip), HANSA_OK);
    CHECK_EQ_U64(tip.height, 20);
    for (uint64_t h = 1; h <= 20; h++) CHECK(block_ok(st, h, 100 + h * 10));
    CHECK(state_is(st, "h/07", "v7"));
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_get_signer(st, &v), HANSA_OK);
    CHECK(v.len == 3 && memcmp(v.data, signer, 3) == 0);
    hbuf_free(&v);
    /* And the chain goes on from the tip. */
    CHECK_ERR(commit_block(st, 21, 10, NULL, 0), HANSA_OK);
    store_close(st);
    tmpdir_remove(&t);
}

typedef struct {
    char seen[8][16];
    int n;
    int stop_after;
} scan_log;

static hansa_err scan_collect(void *ctx, const uint8_t *key, size_t klen, const uint8_t *value,
                              size_t vlen) {
    scan_log *l = ctx;
    CHECK(l->n < 8);
    if (l->n >= 8) return HANSA_ERR_FULL;
    snprintf(l->seen[l->n], sizeof l->seen[0], "%.*s=%.*s", (int)klen, (const char *)key,
             (int)vlen, (const char *)value);
    l->n++;
    return l->n == l->stop_after ? HANSA_ERR_DUPLICATE : HANSA_OK;
}

static void test_state_prefix_scan(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const char *kv[] = {"b/2", "4", "a/2", "2", "a", "0", "a/1", "1", "b/1", "3", "a0", "5"};
    CHECK_ERR(commit_block(st, 1, 10, kv, 6), HANSA_OK);

    scan_log l = {.stop_after = -1};
    CHECK_ERR(store_state_scan(st, (const uint8_t *)"a/", 2, scan_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 2);
    CHECK(strcmp(l.seen[0], "a/1=1") == 0 && strcmp(l.seen[1], "a/2=2") == 0);

    l = (scan_log){.stop_after = -1};
    CHECK_ERR(store_state_scan(st, NULL, 0, scan_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 6);
    const char *order[] = {"a=0", "a/1=1", "a/2=2", "a0=5", "b/1=3", "b/2=4"};
    for (int i = 0; i < 6 && i < l.n; i++) CHECK(strcmp(l.seen[i], order[i]) == 0);

    l = (scan_log){.stop_after = -1};
    CHECK_ERR(store_state_scan(st, (const uint8_t *)"c", 1, scan_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 0);

    /* A callback's error stops the scan and comes back. */
    l = (scan_log){.stop_after = 2};
    CHECK_ERR(store_state_scan(st, (const uint8_t *)"", 0, scan_collect, &l), HANSA_ERR_DUPLICATE);
    CHECK_EQ_U64(l.n, 2);
    store_close(st);
    tmpdir_remove(&t);
}

static void test_signer_state(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_get_signer(st, &v), HANSA_ERR_NOT_FOUND);
    for (uint8_t i = 1; i <= 10; i++) {
        uint8_t s[64];
        memset(s, i, sizeof s);
        CHECK_ERR(store_put_signer(st, s, (size_t)i * 6), HANSA_OK);
    }
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(store_get_signer(st, &v), HANSA_OK);
    CHECK_EQ_U64(v.len, 60);
    CHECK(v.data[0] == 10 && v.data[59] == 10);
    /* Lazy writes read back at once and after a reopen; a sync with
     * nothing pending, or after a synced write covered it, is a no-op. */
    CHECK_ERR(store_sync_signer(st), HANSA_OK);
    for (uint8_t i = 11; i <= 13; i++) {
        uint8_t s[64];
        memset(s, i, sizeof s);
        CHECK_ERR(store_put_signer_lazy(st, s, sizeof s), HANSA_OK);
        CHECK_ERR(store_get_signer(st, &v), HANSA_OK);
        CHECK(v.len == sizeof s && v.data[0] == i);
        if (i == 12) CHECK_ERR(store_wal_append(st, 1, s, 1), HANSA_OK);
        CHECK_ERR(store_sync_signer(st), HANSA_OK);
    }
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(store_get_signer(st, &v), HANSA_OK);
    CHECK(v.len == 64 && v.data[0] == 13);
    hbuf_free(&v);
    store_close(st);
    tmpdir_remove(&t);
}

static void count_problem(void *ctx, const char *problem) {
    fprintf(stderr, "    store_check: %s\n", problem);
    (*(int *)ctx)++;
}

/* The key generation seed sits beside the signer state: each reads back
 * its own after a reopen, and store_check knows both keys. */
static void test_dkg_state(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_get_dkg(st, &v), HANSA_ERR_NOT_FOUND);
    uint8_t seed[41], signer[20];
    memset(seed, 0x5d, sizeof seed);
    memset(signer, 0x51, sizeof signer);
    CHECK_ERR(store_put_signer(st, signer, sizeof signer), HANSA_OK);
    CHECK_ERR(store_put_dkg(st, seed, sizeof seed), HANSA_OK);
    seed[0] = 0x5e; /* a later session replaces it */
    CHECK_ERR(store_put_dkg(st, seed, sizeof seed), HANSA_OK);
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(store_get_dkg(st, &v), HANSA_OK);
    CHECK(v.len == sizeof seed && memcmp(v.data, seed, sizeof seed) == 0);
    CHECK_ERR(store_get_signer(st, &v), HANSA_OK);
    CHECK(v.len == sizeof signer && memcmp(v.data, signer, sizeof signer) == 0);
    int problems = 0;
    store_check_summary sum;
    store_check(st, &sum, count_problem, &problems);
    CHECK_EQ_U64(problems, 0);
    CHECK(sum.has_signer);
    hbuf_free(&v);
    store_close(st);
    tmpdir_remove(&t);
}

typedef struct {
    uint32_t seqs[16];
    char recs[16][16];
    int n;
} wal_log;

static hansa_err wal_collect(void *ctx, uint64_t height, uint32_t seq, const uint8_t *bytes,
                             size_t len) {
    wal_log *l = ctx;
    (void)height;
    if (l->n >= 16) return HANSA_ERR_FULL;
    l->seqs[l->n] = seq;
    snprintf(l->recs[l->n], sizeof l->recs[0], "%.*s", (int)len, (const char *)bytes);
    l->n++;
    return HANSA_OK;
}

static int wal_count(store *st, uint64_t h) {
    wal_log l = {0};
    CHECK_ERR(store_wal_read(st, h, wal_collect, &l), HANSA_OK);
    return l.n;
}

static void test_wal(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 1), 0);
    CHECK_ERR(store_wal_append(st, 1, (const uint8_t *)"p1", 2), HANSA_OK);
    /* A peer's message goes in without a commit of its own: it waits for
     * the next one, then stands in the log in its place. */
    CHECK_ERR(store_wal_append_lazy(st, 1, (const uint8_t *)"v1", 2), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 1), 1);
    CHECK_ERR(store_wal_append(st, 1, (const uint8_t *)"", 0), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 1), 3);
    CHECK_ERR(store_wal_append(st, 2, (const uint8_t *)"p2", 2), HANSA_OK);
    /* A node logs messages of the next height while it still signs at the
     * current one: heights interleave, each keeps its own order. */
    CHECK_ERR(store_wal_append(st, 1, (const uint8_t *)"late", 4), HANSA_OK);
    store_close(st);

    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    wal_log l = {0};
    CHECK_ERR(store_wal_read(st, 1, wal_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 4);
    CHECK(strcmp(l.recs[0], "p1") == 0 && strcmp(l.recs[1], "v1") == 0 && l.recs[2][0] == 0);
    CHECK(strcmp(l.recs[3], "late") == 0);
    CHECK(l.seqs[0] == 0 && l.seqs[1] == 1 && l.seqs[2] == 2 && l.seqs[3] == 3);
    CHECK_EQ_U64(wal_count(st, 2), 1);
    CHECK_EQ_U64(wal_count(st, 3), 0);

    /* Committing block 1 drops the WAL of height 1 in the same transaction. */
    CHECK_ERR(commit_block(st, 1, 10, NULL, 0), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 1), 0);
    CHECK_EQ_U64(wal_count(st, 2), 1);
    CHECK_ERR(store_wal_append(st, 2, (const uint8_t *)"v2", 2), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 3, (const uint8_t *)"p3", 2), HANSA_OK);
    CHECK_ERR(store_wal_truncate(st, 2), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 2), 0);
    CHECK_EQ_U64(wal_count(st, 3), 1);
    CHECK_ERR(store_wal_truncate(st, UINT64_MAX), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 3), 0);
    /* An emptied WAL accepts any height again. */
    CHECK_ERR(store_wal_append(st, 2, (const uint8_t *)"again", 5), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 2), 1);
    store_close(st);
    tmpdir_remove(&t);
}

/* A 1 MiB map fills after a few 200 KiB blocks; the store grows it. With a
 * cap, the write that does not fit fails cleanly and nothing is lost. */
static void test_map_growth(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    size_t before = store_map_size(st);
    for (uint64_t h = 1; h <= 24; h++) CHECK_ERR(commit_block(st, h, 200000, NULL, 0), HANSA_OK);
    CHECK(store_map_size(st) > before);
    for (uint64_t h = 1; h <= 24; h++) CHECK(block_ok(st, h, 200000));
    store_close(st);
    tmpdir_remove(&t);

    tmpdir_make(&t);
    store_options capped = {.map_size_bytes = 1u << 20, .map_size_bytes_max = 2u << 20};
    CHECK_ERR(store_open(t.db, &capped, &st), HANSA_OK);
    hansa_err e = HANSA_OK;
    uint64_t h = 0;
    while (e == HANSA_OK && h < 40) e = commit_block(st, ++h, 200000, NULL, 0);
    CHECK_ERR(e, HANSA_ERR_FULL);
    CHECK(strstr(store_errmsg(st), "map full") != NULL);
    CHECK_EQ_U64(store_map_size(st), 2u << 20);
    CHECK_ERR(store_failed(st), HANSA_OK);
    store_tip tip;
    CHECK_ERR(store_get_tip(st, &tip), HANSA_OK);
    CHECK_EQ_U64(tip.height, h - 1);
    CHECK(block_ok(st, h - 1, 200000));
    /* Small writes still fit. */
    CHECK_ERR(store_put_signer(st, (const uint8_t *)"s", 1), HANSA_OK);
    store_close(st);
    tmpdir_remove(&t);
}

/* ---- Corruption ---- */

/* Rewrites data.mdb: for each occurrence of marker, applies patch at
 * marker offset + rel (rel may be negative, reaching into the header).
 * Returns how many occurrences were patched. The store must be closed. */
static int patch_file(const char *db, const char *marker, long rel, uint8_t xor_mask,
                      const uint8_t *set4) {
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", db);
    FILE *f = fopen(path, "r+b");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *buf = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
    size_t mlen = strlen(marker);
    int hits = 0;
    for (long i = 0; i + (long)mlen <= size; i++) {
        if (memcmp(buf + i, marker, mlen) != 0) continue;
        long at = i + rel;
        if (set4) memcpy(buf + at, set4, 4);
        else buf[at] ^= xor_mask;
        hits++;
    }
    fseek(f, 0, SEEK_SET);
    CHECK(fwrite(buf, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    free(buf);
    return hits;
}

#define MARKER "MARKER-for-corruption-tests-0123456789"

typedef struct {
    const char *name;
    long rel;         /* offset from the start of the payload */
    uint8_t xor_mask; /* or, when set4 is given, 4 bytes to write */
    const uint8_t *set4;
    const char *expect; /* in the message */
} corruption;

/* Writes a state value starting with MARKER, damages it on disk, reopens. */
static void corrupt_state_case(const corruption *c) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const char *kv[] = {"acct/x", MARKER " and the rest of the value", "acct/y", "fine"};
    CHECK_ERR(commit_block(st, 1, 10, kv, 2), HANSA_OK);
    store_close(st);

    int hits = patch_file(t.db, MARKER, c->rel, c->xor_mask, c->set4);
    CHECK(hits >= 1);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    hbuf v = HBUF_INIT;
    CHECK_ERR(store_state_get(st, (const uint8_t *)"acct/y", 6, &v), HANSA_OK);
    CHECK_ERR(store_state_get(st, (const uint8_t *)"acct/x", 6, &v), HANSA_ERR_CORRUPT);
    const char *msg = store_errmsg(st);
    fprintf(stderr, "  %s: %s\n", c->name, msg);
    CHECK(strstr(msg, "database state") != NULL);
    CHECK(strstr(msg, "key 616363742f78") != NULL); /* "acct/x" */
    CHECK(strstr(msg, c->expect) != NULL);
    /* A store that found corruption refuses to write. */
    CHECK_ERR(store_failed(st), HANSA_ERR_CORRUPT);
    CHECK_ERR(store_put_signer(st, (const uint8_t *)"s", 1), HANSA_ERR_STATE);
    CHECK(strstr(store_errmsg(st), "refuses") != NULL);
    store_batch *b;
    CHECK_ERR(store_batch_begin(st, 2, &b), HANSA_ERR_STATE);
    hbuf_free(&v);
    store_close(st);
    tmpdir_remove(&t);
}

static void test_corruption_on_disk(void) {
    const uint8_t len_wrong[4] = {0x10, 0, 0, 0};
    const corruption cases[] = {
        {"payload", 5, 0x01, NULL, "checksum mismatch"},
        {"checksum", -1, 0x80, NULL, "checksum mismatch"},
        {"version", -10, 0x03, NULL, "record version 2"},
        {"type", -9, 0x0f, NULL, "record type 11, expected 4"},
        {"length", -8, 0, len_wrong, "header length 16"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) corrupt_state_case(&cases[i]);
}

/* A damaged block, read by height and by hash. */
static void test_corrupt_block_and_scan(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    store_batch *b;
    hansa_hash bh = hash_of(0xb0, 1), app = hash_of(0xa0, 1);
    hbuf blk = HBUF_INIT;
    hbuf_append(&blk, MARKER, strlen(MARKER));
    for (int i = 0; i < 5000; i++) hbuf_put_u8(&blk, (uint8_t)i);
    CHECK_ERR(store_batch_begin(st, 1, &b), HANSA_OK);
    CHECK_ERR(store_batch_put_block(b, &bh, blk.data, blk.len), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"c", 1), HANSA_OK);
    CHECK_ERR(store_batch_commit(b, &app), HANSA_OK);
    store_close(st);

    /* The block payload is hash || bytes; flip a byte well inside the bytes. */
    CHECK(patch_file(t.db, MARKER, 1000, 0x20, NULL) >= 1);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(store_get_block(st, 1, &blk, NULL), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "database blocks at height 1: checksum mismatch") != NULL);
    CHECK_ERR(store_get_block_by_hash(st, &bh, &blk, NULL), HANSA_ERR_CORRUPT);
    CHECK_ERR(store_get_commit(st, 1, &blk), HANSA_OK); /* the rest is readable */
    store_close(st);
    hbuf_free(&blk);
    tmpdir_remove(&t);
}

/* Values written behind the store's back through a second LMDB environment
 * (the store closed): a value too short for a header, and a valid record
 * copied under another key. */
static void raw_put(const char *dir, const char *dbname, const void *k, size_t klen,
                    const void *v, size_t vlen) {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_env_create(&env) == 0);
    CHECK(mdb_env_set_maxdbs(env, 8) == 0);
    CHECK(mdb_env_open(env, dir, 0, 0600) == 0);
    CHECK(mdb_txn_begin(env, NULL, 0, &txn) == 0);
    CHECK(mdb_dbi_open(txn, dbname, 0, &dbi) == 0);
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
    CHECK(mdb_put(txn, dbi, &key, &val, 0) == 0);
    CHECK(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
}

static void raw_get(const char *dir, const char *dbname, const void *k, size_t klen, hbuf *out) {
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK(mdb_env_create(&env) == 0);
    CHECK(mdb_env_set_maxdbs(env, 8) == 0);
    CHECK(mdb_env_open(env, dir, MDB_RDONLY, 0600) == 0);
    CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0);
    CHECK(mdb_dbi_open(txn, dbname, 0, &dbi) == 0);
    MDB_val key = {klen, (void *)k}, val;
    CHECK(mdb_get(txn, dbi, &key, &val) == 0);
    hbuf_reset(out);
    hbuf_append(out, val.mv_data, val.mv_size);
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

static void test_corruption_raw_values(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const char *kv[] = {"a", "alpha"};
    CHECK_ERR(commit_block(st, 1, 10, kv, 1), HANSA_OK);
    CHECK_ERR(commit_block(st, 2, 10, NULL, 0), HANSA_OK);
    store_close(st);

    hbuf rec = HBUF_INIT;
    raw_get(t.db, "state", "a", 1, &rec);
    raw_put(t.db, "state", "b", 1, rec.data, rec.len); /* right bytes, wrong key */
    raw_put(t.db, "state", "c", 1, "abc", 3);           /* too short */
    uint8_t k2[8] = {0, 0, 0, 0, 0, 0, 0, 2}, k1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    raw_get(t.db, "commits", k1, 8, &rec);
    raw_put(t.db, "commits", k2, 8, rec.data, rec.len); /* commit 1 replayed at 2 */

    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK(state_is(st, "a", "alpha"));
    CHECK_ERR(store_state_get(st, (const uint8_t *)"b", 1, &rec), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "database state at key 62 (1 bytes): checksum") != NULL);
    CHECK_ERR(store_state_get(st, (const uint8_t *)"c", 1, &rec), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "shorter than the 10-byte record header") != NULL);
    CHECK_ERR(store_get_commit(st, 2, &rec), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "database commits at height 2") != NULL);
    /* The scan at start-up stops at the first bad record, never passing it on. */
    scan_log l = {.stop_after = -1};
    CHECK_ERR(store_state_scan(st, NULL, 0, scan_collect, &l), HANSA_ERR_CORRUPT);
    CHECK_EQ_U64(l.n, 1);
    hbuf_free(&rec);
    store_close(st);
    tmpdir_remove(&t);
}

/* A damaged tip makes the store fail at open, not later. */
static void test_corrupt_tip_fails_open(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(commit_block(st, 1, 10, NULL, 0), HANSA_OK);
    store_close(st);
    raw_put(t.db, "meta", "tip", 3, "\x01\x05\x00\x00\x00\x00\x00\x00\x00\x00", 10);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_ERR_CORRUPT);
    CHECK(st == NULL);
    tmpdir_remove(&t);
}

/* A damaged WAL record ends the log of its height: the valid prefix is
 * read back, the damaged record and the rest of that height are cut, other
 * heights stay, and the store goes on writing (no fatal error). */
static void test_wal_damaged_tail(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 4, (const uint8_t *)"p4", 2), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 4, (const uint8_t *)"v4", 2), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 5, (const uint8_t *)"p5", 2), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 4, (const uint8_t *)MARKER, strlen(MARKER)), HANSA_OK);
    CHECK_ERR(store_wal_append(st, 4, (const uint8_t *)"v4b", 3), HANSA_OK);
    store_close(st);
    CHECK(patch_file(t.db, MARKER, 3, 0x01, NULL) >= 1);

    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    wal_log l = {0};
    CHECK_ERR(store_wal_read(st, 4, wal_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 2);
    CHECK(strcmp(l.recs[0], "p4") == 0 && strcmp(l.recs[1], "v4") == 0);
    CHECK_ERR(store_failed(st), HANSA_OK);
    CHECK_EQ_U64(wal_count(st, 5), 1);
    /* The cut is durable and appends go on after the valid prefix. */
    CHECK_ERR(store_wal_append(st, 4, (const uint8_t *)"v4c", 3), HANSA_OK);
    store_close(st);
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    memset(&l, 0, sizeof l);
    CHECK_ERR(store_wal_read(st, 4, wal_collect, &l), HANSA_OK);
    CHECK_EQ_U64(l.n, 3);
    CHECK(l.n == 3 && strcmp(l.recs[2], "v4c") == 0 && l.seqs[2] == 2);
    CHECK_ERR(store_put_signer(st, (const uint8_t *)"s", 1), HANSA_OK);
    store_close(st);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF); /* the expected errors would flood the test log */
    RUN(test_open_creates_private_dir);
    RUN(test_commit_batch_and_reads);
    RUN(test_batch_rules);
    RUN(test_valsets);
    RUN(test_reopen_reads_back);
    RUN(test_state_prefix_scan);
    RUN(test_signer_state);
    RUN(test_dkg_state);
    RUN(test_wal);
    RUN(test_map_growth);
    RUN(test_corruption_on_disk);
    RUN(test_corrupt_block_and_scan);
    RUN(test_corruption_raw_values);
    RUN(test_corrupt_tip_fails_open);
    RUN(test_wal_damaged_tail);
    return check_summary();
}
