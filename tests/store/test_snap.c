/* Tests of state snapshots in the store (store_snap_*): written whole in
 * one transaction, listed by height, read back in key order from any key
 * (chunking), the older ones dropped, kept across a reopen, checked by
 * store_check (its records pass the same checksum checks as every record). */
#include "tmpdir.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "check.h"
#include "store/store.h"

#define N_RECS 300

/* Record i of snapshot h: key "k" || u16 BE i (sorted by i), value h || i. */
typedef struct {
    uint64_t height;
    uint8_t key[3], val[16];
} gen_ctx;

static bool gen_next(void *ctx, size_t i, const uint8_t **key, size_t *klen, const uint8_t **val,
                     size_t *vlen) {
    gen_ctx *g = ctx;
    if (i >= N_RECS) return false;
    g->key[0] = 'k';
    g->key[1] = (uint8_t)(i >> 8);
    g->key[2] = (uint8_t)i;
    le64_store(g->val, g->height);
    le64_store(g->val + 8, i);
    *key = g->key, *klen = 3, *val = g->val, *vlen = 1 + i % 16; /* lengths vary */
    return true;
}

typedef struct {
    uint64_t height;
    size_t seen, next, stop_after;
    int bad;
} read_ctx;

static hansa_err read_rec(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
    read_ctx *r = ctx;
    if (r->seen == r->stop_after) return HANSA_ERR_FULL;
    size_t i = r->next++;
    r->bad += kl != 3 || k[0] != 'k' || (size_t)(k[1] << 8 | k[2]) != i || vl != 1 + i % 16;
    uint8_t want[16];
    le64_store(want, r->height);
    le64_store(want + 8, i);
    r->bad += memcmp(v, want, vl) != 0;
    r->seen++;
    return HANSA_OK;
}

static void write_snap(store *st, uint64_t h, uint64_t drop_below) {
    gen_ctx g = {.height = h};
    uint8_t info[9] = {1};
    le64_store(info + 1, h);
    CHECK_ERR(store_snap_write(st, h, info, sizeof info, gen_next, &g, drop_below), HANSA_OK);
}

static void print_problem(void *ctx, const char *problem) {
    int *n = ctx;
    (*n)++;
    fprintf(stderr, "  problem: %s\n", problem);
}

static void test_snap_roundtrip(void) {
    tmpdir t;
    tmpdir_make(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &(store_options){.map_size_bytes = 1u << 20}, &st), HANSA_OK);
    CHECK(store_keeps_snapshots(st));
    uint64_t hs[4];
    size_t n = 9;
    CHECK_ERR(store_snap_heights(st, hs, 4, &n), HANSA_OK);
    CHECK(n == 0);
    write_snap(st, 8, 0);
    write_snap(st, 16, 8);
    CHECK_ERR(store_snap_heights(st, hs, 4, &n), HANSA_OK);
    CHECK(n == 2 && hs[0] == 8 && hs[1] == 16);
    write_snap(st, 24, 16); /* drops 8 */
    CHECK_ERR(store_snap_heights(st, hs, 4, &n), HANSA_OK);
    CHECK(n == 2 && hs[0] == 16 && hs[1] == 24);
    hbuf info = HBUF_INIT;
    CHECK_ERR(store_snap_info(st, 8, &info), HANSA_ERR_NOT_FOUND);
    CHECK_ERR(store_snap_info(st, 16, &info), HANSA_OK);
    CHECK(info.len == 9 && le64_load(info.data + 1) == 16);

    /* Whole, then in chunks of 7 from the last key seen. */
    read_ctx r = {.height = 24, .stop_after = SIZE_MAX};
    CHECK_ERR(store_snap_scan(st, 24, NULL, 0, read_rec, &r), HANSA_OK);
    CHECK(r.seen == N_RECS && r.bad == 0);
    read_ctx c = {.height = 16};
    int calls = 0;
    uint8_t after[3];
    size_t after_len = 0;
    for (;;) {
        c.seen = 0;
        c.stop_after = 7;
        CHECK_ERR(store_snap_scan(st, 16, after, after_len, read_rec, &c), HANSA_OK);
        calls++;
        if (c.seen == 0) break;
        after[0] = 'k', after[1] = (uint8_t)((c.next - 1) >> 8), after[2] = (uint8_t)(c.next - 1);
        after_len = 3;
    }
    CHECK(c.next == N_RECS && c.bad == 0 && calls == N_RECS / 7 + 2);
    /* A key between records ("k" alone) starts at the first longer key. */
    read_ctx one = {.height = 16, .stop_after = 1};
    CHECK_ERR(store_snap_scan(st, 16, (const uint8_t *)"k", 1, read_rec, &one), HANSA_OK);
    CHECK(one.seen == 1 && one.bad == 0);
    read_ctx none = {.height = 8, .stop_after = SIZE_MAX};
    CHECK_ERR(store_snap_scan(st, 8, NULL, 0, read_rec, &none), HANSA_OK); /* dropped */
    CHECK(none.seen == 0);

    int problems = 0;
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, print_problem, &problems), HANSA_OK);
    CHECK(problems == 0 && sum.snapshots == 2);
    store_close(st);

    /* Kept across a reopen (read-only too). */
    CHECK_ERR(store_open(t.db, &(store_options){.read_only = true}, &st), HANSA_OK);
    CHECK_ERR(store_snap_heights(st, hs, 4, &n), HANSA_OK);
    CHECK(n == 2 && hs[1] == 24);
    store_close(st);
    hbuf_free(&info);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF);
    RUN(test_snap_roundtrip);
    return check_summary();
}
