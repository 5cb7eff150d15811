/* Tests of pruning (store_prune_step, store_lowest_height): the pruned range
 * is gone (blocks, commits, hash index, logged tx entries), the kept range
 * is intact, the bound survives a reopen, each step deletes at most its
 * batch, pruning never reaches the tip, and store_check accepts a pruned
 * store after every step. The tx_index sweep deletes the entries of pruned
 * heights and only those, at most its bound per call, and goes on from its
 * cursor (across a reopen too) until it has walked the whole index. */
#include "tmpdir.h"

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "check.h"
#include "store/store.h"

static const store_options small_map = {.map_size_bytes = 1u << 20};

static hansa_hash tx_hash(uint64_t height) {
    hansa_hash h;
    memset(h.b, 0x7e, sizeof h.b);
    le64_store(h.b, height);
    return h;
}

static hansa_hash block_hash(uint64_t height) {
    hansa_hash h;
    memset(h.b, 0xb0, sizeof h.b);
    le64_store(h.b, height);
    return h;
}

/* Commits block `height` with one indexed transaction. */
static void commit_height(store *st, uint64_t height) {
    store_batch *b;
    CHECK_ERR(store_batch_begin(st, height, &b), HANSA_OK);
    hansa_hash bh = block_hash(height), app, th = tx_hash(height);
    memset(app.b, 0xa0, sizeof app.b);
    CHECK_ERR(store_batch_put_block(b, &bh, (const uint8_t *)"block", 5), HANSA_OK);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"commit", 6), HANSA_OK);
    CHECK_ERR(store_batch_put_tx(b, &th, 0), HANSA_OK);
    CHECK_ERR(store_batch_commit(b, &app), HANSA_OK);
}

static void print_problem(void *ctx, const char *problem) {
    (void)ctx;
    fprintf(stderr, "problem: %s\n", problem);
}

static void check_clean(store *st, uint64_t first, uint64_t tip) {
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    CHECK(sum.first_height == first);
    CHECK(sum.tip.height == tip);
    CHECK(sum.blocks == tip - first + 1);
    CHECK(sum.tx_index == tip - first + 1); /* one tx per kept height */
}

static bool has_height(store *st, uint64_t h) {
    hbuf out = HBUF_INIT;
    hansa_hash bh = block_hash(h), got;
    bool block = store_get_block(st, h, &out, &got) == HANSA_OK;
    bool commit = store_get_commit(st, h, &out) == HANSA_OK;
    bool by_hash = store_get_block_by_hash(st, &bh, &out, NULL) == HANSA_OK;
    hbuf_free(&out);
    CHECK(block == commit && commit == by_hash); /* all of a height or none of it */
    return block;
}

/* A pruned height's FROST checkpoint goes with its block; the handoffs,
 * keyed by epoch, all stay. */
static void test_prune_checkpoints(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    const uint8_t sig[4] = {1, 2, 3, 4};
    for (uint64_t h = 1; h <= 10; h++) {
        commit_height(st, h);
        CHECK_ERR(store_checkpoint_put(st, h, sig, sizeof sig), HANSA_OK);
    }
    CHECK_ERR(store_handoff_put(st, 1, sig, sizeof sig), HANSA_OK);
    uint32_t pruned = 0;
    CHECK_ERR(store_prune_step(st, 6, 100, &pruned), HANSA_OK);
    CHECK(pruned == 5);
    hbuf out = HBUF_INIT;
    for (uint64_t h = 1; h <= 10; h++) {
        hbuf_reset(&out);
        CHECK_ERR(store_checkpoint_get(st, h, &out), h < 6 ? HANSA_ERR_NOT_FOUND : HANSA_OK);
    }
    hbuf_reset(&out);
    CHECK_ERR(store_handoff_get(st, 1, &out), HANSA_OK);
    CHECK(out.len == sizeof sig);
    hbuf_free(&out);
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    store_close(st);
    tmpdir_remove(&t);
}

static void test_prune_in_batches(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    uint64_t low = 99;
    CHECK_ERR(store_lowest_height(st, &low), HANSA_OK);
    CHECK(low == 0);
    uint32_t pruned = 9;
    CHECK_ERR(store_prune_step(st, 5, 10, &pruned), HANSA_OK); /* empty store: nothing */
    CHECK(pruned == 0);
    for (uint64_t h = 1; h <= 50; h++) commit_height(st, h);
    /* Half the entries indexed, half still logged: both kinds of entry. */
    CHECK_ERR(store_index_step(st, 25, NULL), HANSA_OK);
    CHECK_ERR(store_lowest_height(st, &low), HANSA_OK);
    CHECK(low == 1);

    CHECK_ERR(store_prune_step(st, 51, 10, &pruned), HANSA_ERR_INVALID); /* the tip stays */
    CHECK(has_height(st, 50) && has_height(st, 1));

    /* Keep the last 20: heights 1..30 go, 12 per step at most. */
    CHECK_ERR(store_prune_step(st, 31, 12, &pruned), HANSA_OK);
    CHECK(pruned == 12);
    check_clean(st, 13, 50);
    CHECK_ERR(store_prune_step(st, 31, 12, &pruned), HANSA_OK);
    CHECK(pruned == 12);
    CHECK_ERR(store_prune_step(st, 31, 12, &pruned), HANSA_OK);
    CHECK(pruned == 6);
    CHECK_ERR(store_prune_step(st, 31, 12, &pruned), HANSA_OK);
    CHECK(pruned == 0);
    check_clean(st, 31, 50);
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    CHECK(sum.tx_pruned == 25); /* heights 1..25 were indexed before pruning */
    for (uint64_t h = 1; h <= 30; h++) CHECK(!has_height(st, h));
    for (uint64_t h = 31; h <= 50; h++) CHECK(has_height(st, h));
    /* Logged entries of kept heights are still found; the log no longer
     * holds pruned heights. */
    hansa_hash th = tx_hash(40);
    store_tx_loc loc;
    CHECK_ERR(store_get_tx(st, &th, &loc), HANSA_OK);
    CHECK(loc.height == 40);
    uint64_t backlog = 0;
    CHECK_ERR(store_index_backlog(st, &backlog), HANSA_OK);
    CHECK(backlog == 20);

    /* The chain goes on above a pruned bottom. */
    commit_height(st, 51);
    check_clean(st, 31, 51);
    store_close(st);

    /* The bound is durable: a reopen (read-only, as `hansa store check`
     * opens) sees the same lowest height. */
    store_options ro = small_map;
    ro.read_only = true;
    CHECK_ERR(store_open(t.db, &ro, &st), HANSA_OK);
    CHECK_ERR(store_lowest_height(st, &low), HANSA_OK);
    CHECK(low == 31);
    check_clean(st, 31, 51);
    CHECK(!has_height(st, 30) && has_height(st, 31));
    store_close(st);
    tmpdir_remove(&t);
}

static bool is_zero(const hansa_hash *h) {
    static const hansa_hash zero;
    return memcmp(h->b, zero.b, sizeof zero.b) == 0;
}

/* One pass of the sweep, bound entries a call, from a zero cursor until it
 * wraps; reopens the store after `reopen_after` calls. Returns the calls. */
static uint32_t sweep_pass(tmpdir *t, store **st, uint32_t bound, uint32_t reopen_after,
                           uint32_t *total) {
    hansa_hash cursor = {{0}};
    uint32_t calls = 0, deleted;
    *total = 0;
    do {
        CHECK_ERR(store_sweep_tx_index(*st, &cursor, bound, &deleted), HANSA_OK);
        CHECK(deleted <= bound);
        *total += deleted;
        if (++calls == reopen_after) {
            store_close(*st);
            CHECK_ERR(store_open(t->db, &small_map, st), HANSA_OK);
        }
    } while (!is_zero(&cursor) && calls < 1000);
    return calls;
}

static void test_sweep_tx_index(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &small_map, &st), HANSA_OK);
    for (uint64_t h = 1; h <= 60; h++) commit_height(st, h);
    CHECK_ERR(store_index_step(st, 60, NULL), HANSA_OK);
    uint32_t total;
    sweep_pass(&t, &st, 7, 0, &total);
    CHECK(total == 0); /* nothing pruned: nothing to sweep */

    uint32_t pruned;
    CHECK_ERR(store_prune_step(st, 41, 100, &pruned), HANSA_OK);
    CHECK(pruned == 40);
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    CHECK(sum.tx_pruned == 40);

    /* 60 entries, 7 a call: 9 calls, the store reopened after the 4th. */
    CHECK(sweep_pass(&t, &st, 7, 4, &total) == 9);
    CHECK(total == 40);
    CHECK_ERR(store_check(st, &sum, print_problem, NULL), HANSA_OK);
    CHECK(sum.tx_pruned == 0 && sum.problems == 0);
    check_clean(st, 41, 60);
    store_tx_loc loc;
    for (uint64_t h = 1; h <= 60; h++) {
        hansa_hash th = tx_hash(h);
        CHECK_ERR(store_get_tx(st, &th, &loc), h <= 40 ? HANSA_ERR_NOT_FOUND : HANSA_OK);
    }
    CHECK(sweep_pass(&t, &st, 7, 0, &total) == 3); /* 20 left */
    CHECK(total == 0);
    store_close(st);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF);
    RUN(test_prune_in_batches);
    RUN(test_prune_checkpoints);
    RUN(test_sweep_tx_index);
    return check_summary();
}
