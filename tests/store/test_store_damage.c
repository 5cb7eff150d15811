/* Damage the record checksums cannot see, done to a real data.mdb:
 *
 *  - a bit flipped in a key inside one of LMDB's own B-tree leaf pages: LMDB
 *    then misses the record (its search goes the wrong way) and used to
 *    answer "not found" for a height the store holds;
 *  - data.mdb cut short: LMDB would map pages past the end of the file and
 *    die of SIGBUS at the first read, without a log line;
 *  - a full disk (a small tmpfs when the test runs as root): the commit
 *    fails, and must say so and keep the store at its last commit.
 *
 * Each is detected with a clear message, and store_check (what `hansa store
 * check` runs) lists the problems of a damaged store and none of a whole one.
 *
 * The key flip walks LMDB's page format (lmdb.h / mdb.c, 0.9.x): page 0 is
 * a meta page whose free-DB record holds the page size; every page starts
 * with a 16-byte header (pgno u64, pad u16, flags u16, lower u16, upper
 * u16); a leaf page (flags & 0x02) holds (lower - 16) / 2 u16 offsets to its
 * nodes, and a node is (lo u16, hi u16, flags u16, ksize u16, key, data). */
#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "check.h"
#include "store/store.h"

#define BLOCKS 60

static hansa_hash hash_of(uint8_t tag, uint64_t h) {
    hansa_hash x;
    memset(x.b, tag, sizeof x.b);
    le64_store(x.b, h);
    return x;
}

/* Commits block h: block_len bytes of block, a commit, one state write and
 * one tx index entry. */
static hansa_err commit_block(store *st, uint64_t h, size_t block_len) {
    store_batch *b;
    hansa_err e = store_batch_begin(st, h, &b);
    if (e != HANSA_OK) return e;
    hbuf blk = HBUF_INIT;
    for (size_t i = 0; i < block_len; i++) hbuf_put_u8(&blk, (uint8_t)(h * 31 + i));
    hansa_hash bh = hash_of(0xb0, h), app = hash_of(0xa0, h), tx = hash_of(0x70, h);
    CHECK_ERR(store_batch_put_block(b, &bh, blk.data, blk.len), HANSA_OK);
    hbuf_free(&blk);
    CHECK_ERR(store_batch_put_commit(b, (const uint8_t *)"commit", 6), HANSA_OK);
    char key[16];
    int n = snprintf(key, sizeof key, "acct%llu", (unsigned long long)h);
    CHECK_ERR(store_batch_put_state(b, (const uint8_t *)key, (size_t)n, (const uint8_t *)"v", 1),
              HANSA_OK);
    CHECK_ERR(store_batch_put_tx(b, &tx, 0), HANSA_OK);
    return store_batch_commit(b, &app);
}

/* A store of BLOCKS blocks in t->db, closed again. */
static void make_store(tmpdir *t) {
    tmpdir_make(t);
    store *st;
    CHECK_ERR(store_open(t->db, NULL, &st), HANSA_OK);
    for (uint64_t h = 1; h <= BLOCKS; h++) CHECK_ERR(commit_block(st, h, 200), HANSA_OK);
    /* Indexed, as a running node keeps it: a damaged tx_log record fails
     * the open (test_tx_index), and these tests damage other records. */
    uint32_t moved;
    do CHECK_ERR(store_index_step(st, BLOCKS, &moved), HANSA_OK);
    while (moved > 0);
    store_close(st);
}

static void data_path(const tmpdir *t, char *out, size_t n) {
    snprintf(out, n, "%s/data.mdb", t->db);
}

static uint16_t u16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* Flips the top bit of the first byte of every leaf-node key equal to key
 * in the file; returns how many it flipped. */
static int flip_leaf_key(const char *path, const uint8_t *key, size_t klen) {
    int fd = open(path, O_RDWR);
    HANSA_ASSERT(fd >= 0);
    struct stat sb;
    HANSA_ASSERT(fstat(fd, &sb) == 0);
    uint8_t *file = malloc((size_t)sb.st_size);
    HANSA_ASSERT(pread(fd, file, (size_t)sb.st_size, 0) == sb.st_size);
    HANSA_ASSERT(le32_load(file + 16) == 0xBEEFC0DEu); /* LMDB's meta magic */
    size_t psize = le32_load(file + 16 + 24);           /* mm_dbs[FREE_DBI].md_pad */
    HANSA_ASSERT(psize >= 512 && psize <= 65536);
    int flipped = 0;
    for (size_t pg = 2; (pg + 1) * psize <= (size_t)sb.st_size; pg++) {
        uint8_t *p = file + pg * psize;
        uint16_t flags = u16_at(p + 10);
        if (flags & 0x04) { /* overflow: its pages after the first have no header */
            pg += le32_load(p + 12) - 1;
            continue;
        }
        if (!(flags & 0x02) || (flags & 0x20)) continue; /* leaf pages, not LEAF2 */
        size_t nkeys = (size_t)(u16_at(p + 12) - 16) / 2;
        for (size_t i = 0; i < nkeys && 16 + 2 * i + 1 < psize; i++) {
            size_t at = u16_at(p + 16 + 2 * i);
            if (at + 8 + klen > psize) continue;
            uint8_t *node = p + at;
            if (u16_at(node + 6) != klen || memcmp(node + 8, key, klen) != 0) continue;
            node[8] ^= 0x80;
            HANSA_ASSERT(pwrite(fd, node + 8, 1, (off_t)(pg * psize + at + 8)) == 1);
            flipped++;
        }
    }
    free(file);
    fsync(fd);
    close(fd);
    return flipped;
}

typedef struct {
    int n;
    char first[512];
    bool saw[4]; /* out of order, checksum, missing heights, count */
} problems;

static void collect(void *ctx, const char *line) {
    problems *p = ctx;
    if (p->n++ == 0) snprintf(p->first, sizeof p->first, "%s", line);
    fprintf(stderr, "    store_check: %s\n", line);
    if (strstr(line, "key out of order")) p->saw[0] = true;
    if (strstr(line, "checksum")) p->saw[1] = true;
    if (strstr(line, "are missing")) p->saw[2] = true;
    if (strstr(line, "LMDB counts") || strstr(line, "no block") || strstr(line, "no commit"))
        p->saw[3] = true;
}

/* A whole store: no problem, every count right. */
static void test_check_whole(void) {
    tmpdir t;
    make_store(&t);
    store *st;
    CHECK_ERR(store_open(t.db, &(store_options){.read_only = true}, &st), HANSA_OK);
    problems p = {0};
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, collect, &p), HANSA_OK);
    CHECK_EQ_U64(p.n, 0);
    CHECK_EQ_U64(sum.blocks, BLOCKS);
    CHECK_EQ_U64(sum.commits, BLOCKS);
    CHECK_EQ_U64(sum.block_index, BLOCKS);
    CHECK_EQ_U64(sum.tx_index, BLOCKS);
    CHECK_EQ_U64(sum.state, BLOCKS);
    CHECK_EQ_U64(sum.first_height, 1);
    CHECK(sum.has_tip && sum.tip.height == BLOCKS);
    /* Read-only means read-only. */
    CHECK_ERR(commit_block(st, BLOCKS + 1, 10), HANSA_ERR_STATE);
    store_close(st);
    tmpdir_remove(&t);
}

/* A flipped bit in a leaf key: LMDB misses block 30 and its commit. The
 * store says the height it holds is damaged (never "not found"), and the
 * check lists the damage. */
static void test_flipped_key(void) {
    tmpdir t;
    make_store(&t);
    char path[128];
    data_path(&t, path, sizeof path);
    uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, 30};
    CHECK(flip_leaf_key(path, key, sizeof key) >= 2); /* blocks and commits */
    store *st;
    CHECK_ERR(store_open(t.db, NULL, &st), HANSA_OK);
    hbuf b = HBUF_INIT;
    CHECK_ERR(store_get_block(st, 29, &b, NULL), HANSA_OK); /* its neighbours are fine */
    CHECK_ERR(store_get_block(st, 30, &b, NULL), HANSA_ERR_CORRUPT);
    CHECK(strstr(store_errmsg(st), "blocks at height 30") != NULL);
    CHECK(strstr(store_errmsg(st), "missing, yet the store holds heights 1 to 60") != NULL);
    CHECK_ERR(store_get_commit(st, 30, &b), HANSA_ERR_CORRUPT);
    CHECK_ERR(store_get_block(st, 61, &b, NULL), HANSA_ERR_NOT_FOUND); /* past the tip: absent */
    /* Corruption is fatal: the store refuses writes from here. */
    CHECK_ERR(commit_block(st, BLOCKS + 1, 10), HANSA_ERR_STATE);
    hbuf_free(&b);
    store_close(st);

    CHECK_ERR(store_open(t.db, &(store_options){.read_only = true}, &st), HANSA_OK);
    problems p = {0};
    store_check_summary sum;
    CHECK_ERR(store_check(st, &sum, collect, &p), HANSA_ERR_CORRUPT);
    CHECK(p.n >= 2);
    CHECK(p.saw[0]); /* the flipped key sorts out of place */
    CHECK(p.saw[1]); /* its record no longer matches the key its checksum covers */
    CHECK_EQ_U64(sum.problems, (uint64_t)p.n);
    store_close(st);
    tmpdir_remove(&t);
}

/* data.mdb cut short, to half and to nothing: refused at open with a
 * message, never a SIGBUS, and never taken for a new, empty store. */
static void test_truncated(void) {
    static const double cuts[] = {0.5, 0.0, 0.001};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        tmpdir t;
        make_store(&t);
        char path[128];
        data_path(&t, path, sizeof path);
        struct stat sb;
        CHECK(stat(path, &sb) == 0);
        off_t keep = (off_t)((double)sb.st_size * cuts[i]);
        CHECK(truncate(path, keep) == 0);
        store *st = (store *)1;
        CHECK_ERR(store_open(t.db, NULL, &st), HANSA_ERR_CORRUPT);
        CHECK(st == NULL);
        CHECK(stat(path, &sb) == 0 && sb.st_size == keep); /* left as it was found */
        tmpdir_remove(&t);
    }
}

/* A disk that fills up: a 1 MiB tmpfs (root only), 64 KiB blocks. The
 * commit that does not fit fails with HANSA_ERR_DISK_FULL and a message
 * saying so, the store refuses writes, and reopened (with space again)
 * it holds every block committed before. */
static void test_disk_full(void) {
    if (geteuid() != 0) {
        fprintf(stderr, "  skipped: mounting a small tmpfs needs root (the map ceiling test "
                        "in test_store covers HANSA_ERR_FULL)\n");
        return;
    }
    tmpdir t;
    tmpdir_make(&t);
    if (mount("tmpfs", t.root, "tmpfs", 0, "size=1m") != 0) {
        fprintf(stderr, "  skipped: mount tmpfs: %s\n", strerror(errno));
        tmpdir_remove(&t);
        return;
    }
    store *st;
    CHECK_ERR(store_open(t.db, NULL, &st), HANSA_OK);
    uint64_t h = 1;
    hansa_err e = HANSA_OK;
    for (; h < 100 && (e = commit_block(st, h, 64 * 1024)) == HANSA_OK; h++) {}
    CHECK_ERR(e, HANSA_ERR_DISK_FULL);
    CHECK(h > 2 && h < 100);
    fprintf(stderr, "    full at block %llu: %s\n", (unsigned long long)h, store_errmsg(st));
    CHECK(strstr(store_errmsg(st), "is full") != NULL);
    CHECK(strstr(store_errmsg(st), "nothing of it was written") != NULL);
    CHECK_ERR(store_failed(st), HANSA_ERR_DISK_FULL);
    CHECK_ERR(commit_block(st, h, 10), HANSA_ERR_STATE);
    store_close(st);
    /* More room, and the store is as it was at its last commit. */
    CHECK(mount("tmpfs", t.root, "tmpfs", MS_REMOUNT, "size=8m") == 0);
    CHECK_ERR(store_open(t.db, NULL, &st), HANSA_OK);
    store_tip tip;
    CHECK_ERR(store_get_tip(st, &tip), HANSA_OK);
    CHECK_EQ_U64(tip.height, h - 1);
    hbuf b = HBUF_INIT;
    for (uint64_t i = 1; i < h; i++) CHECK_ERR(store_get_block(st, i, &b, NULL), HANSA_OK);
    hbuf_free(&b);
    CHECK_ERR(commit_block(st, h, 10), HANSA_OK);
    store_close(st);
    CHECK(umount(t.root) == 0);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_OFF); /* the store logs every corruption it finds; the checks read them */
    RUN(test_check_whole);
    RUN(test_flipped_key);
    RUN(test_truncated);
    RUN(test_disk_full);
    return check_summary();
}
