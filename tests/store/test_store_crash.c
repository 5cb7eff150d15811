/* Crash test of the store: a child process commits blocks and writes signer
 * states in a loop and reports each one over a pipe only after the call
 * returned; the parent kills it with SIGKILL at a seeded random moment,
 * reopens the store and checks the durability promise of store.h:
 *   - every block the child reported is present, intact, with its commit
 *     and state, and the tip is the last reported block or the one after
 *     (committed, killed before it could report);
 *   - the signer state is the last one reported, or the one after.
 * Several rounds, each child continuing the chain its predecessor left, so
 * recovery after a crash is exercised too. Replay with HANSA_SEED. */
#include "tmpdir.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/rng.h"
#include "check.h"
#include "store/store.h"

#define ROUNDS 8
#define SIGNER_BYTES 48

static const store_options crash_map = {.map_size_bytes = 1u << 20};

static size_t block_len(uint64_t h) { return 500 + (size_t)(h * 7919 % 40000); }

static void block_bytes(uint64_t h, hbuf *out) {
    hbuf_reset(out);
    uint64_t x = h * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0, n = block_len(h); i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        hbuf_put_u8(out, (uint8_t)x);
    }
}

static hansa_hash tagged(uint8_t tag, uint64_t h) {
    hansa_hash x;
    memset(x.b, tag, sizeof x.b);
    le64_store(x.b, h);
    return x;
}

/* A signer state is the counter, repeated: a torn write would not match. */
static void signer_bytes(uint64_t n, uint8_t out[SIGNER_BYTES]) {
    for (int i = 0; i < SIGNER_BYTES; i += 8) le64_store(out + i, n);
}

static void report(int fd, char kind, uint64_t v) {
    uint8_t msg[9];
    msg[0] = (uint8_t)kind;
    le64_store(msg + 1, v);
    if (write(fd, msg, sizeof msg) != (ssize_t)sizeof msg) _exit(4);
}

static hansa_err child_commit(store *st, uint64_t h) {
    store_batch *b;
    hansa_err e = store_batch_begin(st, h, &b);
    if (e != HANSA_OK) return e;
    hbuf blk = HBUF_INIT;
    block_bytes(h, &blk);
    hansa_hash bh = tagged(0xb0, h), app = tagged(0xa0, h);
    uint8_t hv[8], key[10] = {'h', '/'};
    le64_store(hv, h);
    memcpy(key + 2, hv, 8);
    if (e == HANSA_OK) e = store_batch_put_block(b, &bh, blk.data, blk.len);
    if (e == HANSA_OK) e = store_batch_put_commit(b, hv, sizeof hv);
    if (e == HANSA_OK) e = store_batch_put_state(b, (const uint8_t *)"last", 4, hv, sizeof hv);
    if (e == HANSA_OK) e = store_batch_put_state(b, key, sizeof key, hv, sizeof hv);
    hbuf_free(&blk);
    if (e != HANSA_OK) {
        store_batch_abort(b);
        return e;
    }
    return store_batch_commit(b, &app);
}

/* The child: runs until killed. Exits non-zero only if the store fails. */
static _Noreturn void child_run(const char *dir, int fd) {
    store *st;
    if (store_open(dir, &crash_map, &st) != HANSA_OK) _exit(3);
    store_tip tip = {0};
    hansa_err e = store_get_tip(st, &tip);
    if (e != HANSA_OK && e != HANSA_ERR_NOT_FOUND) _exit(3);
    hbuf s = HBUF_INIT;
    uint64_t signer = 0;
    e = store_get_signer(st, &s);
    if (e == HANSA_OK && s.len == SIGNER_BYTES) signer = le64_load(s.data);
    else if (e != HANSA_ERR_NOT_FOUND) _exit(3);
    for (uint64_t h = tip.height + 1;; h++) {
        uint8_t wal[8];
        le64_store(wal, h);
        if (store_wal_append(st, h, wal, sizeof wal) != HANSA_OK) _exit(3);
        uint8_t sb[SIGNER_BYTES];
        signer_bytes(++signer, sb);
        /* Every other state the node's way: written lazily, synced before
         * what it guards leaves (here: the report). */
        if (signer % 2 == 0 && store_put_signer(st, sb, sizeof sb) != HANSA_OK) _exit(3);
        if (signer % 2 == 1 && (store_put_signer_lazy(st, sb, sizeof sb) != HANSA_OK ||
                                store_sync_signer(st) != HANSA_OK))
            _exit(3);
        report(fd, 'S', signer);
        if (child_commit(st, h) != HANSA_OK) _exit(3);
        report(fd, 'B', h);
    }
}

typedef struct {
    uint64_t block;  /* last block reported committed */
    uint64_t signer; /* last signer state reported durable */
    int reports;
} reported;

/* Reads one 9-byte report; false at EOF. */
static bool read_report(int fd, reported *r) {
    uint8_t msg[9];
    size_t got = 0;
    while (got < sizeof msg) {
        ssize_t n = read(fd, msg + got, sizeof msg - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            CHECK(got == 0); /* a report is written with one write(): never torn */
            return false;
        }
        got += (size_t)n;
    }
    uint64_t v = le64_load(msg + 1);
    if (msg[0] == 'B') {
        CHECK_EQ_U64(v, r->block + 1);
        r->block = v;
    } else {
        CHECK(msg[0] == 'S');
        CHECK_EQ_U64(v, r->signer + 1);
        r->signer = v;
    }
    r->reports++;
    return true;
}

static void check_after_crash(const char *dir, const reported *r) {
    store *st;
    CHECK_ERR(store_open(dir, &crash_map, &st), HANSA_OK);
    if (!st) return;
    store_tip tip = {0};
    hansa_err e = store_get_tip(st, &tip);
    if (r->block > 0) CHECK_ERR(e, HANSA_OK);
    CHECK(tip.height >= r->block);
    CHECK(tip.height <= r->block + 1);
    hansa_hash app = tagged(0xa0, tip.height);
    CHECK(tip.height == 0 || hash_eq(&tip.app_hash, &app));
    hbuf got = HBUF_INIT, want = HBUF_INIT;
    for (uint64_t h = 1; h <= tip.height; h++) {
        hansa_hash bh;
        CHECK_ERR(store_get_block(st, h, &got, &bh), HANSA_OK);
        block_bytes(h, &want);
        hansa_hash exp = tagged(0xb0, h);
        CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
        CHECK(hash_eq(&bh, &exp));
        CHECK_ERR(store_get_commit(st, h, &got), HANSA_OK);
        CHECK(got.len == 8 && le64_load(got.data) == h);
    }
    CHECK_ERR(store_get_block(st, tip.height + 1, &got, NULL), HANSA_ERR_NOT_FOUND);
    if (tip.height > 0) {
        CHECK_ERR(store_state_get(st, (const uint8_t *)"last", 4, &got), HANSA_OK);
        CHECK(got.len == 8 && le64_load(got.data) == tip.height);
    }
    e = store_get_signer(st, &got);
    if (r->signer > 0) {
        CHECK_ERR(e, HANSA_OK);
        uint8_t a[SIGNER_BYTES], b[SIGNER_BYTES];
        signer_bytes(r->signer, a);
        signer_bytes(r->signer + 1, b);
        CHECK(got.len == SIGNER_BYTES);
        CHECK(got.len == SIGNER_BYTES &&
              (memcmp(got.data, a, SIGNER_BYTES) == 0 || memcmp(got.data, b, SIGNER_BYTES) == 0));
    }
    fprintf(stderr, "  reopened: tip %llu (reported %llu), signer %llu (reported %llu)\n",
            (unsigned long long)tip.height, (unsigned long long)r->block,
            got.len == SIGNER_BYTES ? (unsigned long long)le64_load(got.data) : 0ull,
            (unsigned long long)r->signer);
    hbuf_free(&got);
    hbuf_free(&want);
    store_close(st);
}

/* One round: fork, let the child run for a seeded number of reports plus a
 * seeded delay, SIGKILL it, drain the pipe, check. Returns what the
 * store holds now, as the baseline of the next round. */
static void crash_round(const char *dir, hansa_prng *p, int round, reported *r) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    uint64_t wait_reports = 1 + prng_below(p, 40), delay_us = prng_below(p, 4000);
    fprintf(stderr, "  round %d: kill -9 after %llu reports + %llu us\n", round,
            (unsigned long long)wait_reports, (unsigned long long)delay_us);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_run(dir, fds[1]);
    }
    close(fds[1]);
    int before = r->reports;
    while ((uint64_t)(r->reports - before) < wait_reports && read_report(fds[0], r)) {
    }
    usleep((useconds_t)delay_us);
    CHECK(kill(pid, SIGKILL) == 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* not a store failure */
    while (read_report(fds[0], r)) {
    }
    close(fds[0]);
    check_after_crash(dir, r);
    /* The next child resumes from whatever is durable, reported or not. */
    store *st;
    if (store_open(dir, &crash_map, &st) == HANSA_OK) {
        store_tip tip = {0};
        hbuf s = HBUF_INIT;
        if (store_get_tip(st, &tip) == HANSA_OK) r->block = tip.height;
        if (store_get_signer(st, &s) == HANSA_OK && s.len == SIGNER_BYTES)
            r->signer = le64_load(s.data);
        hbuf_free(&s);
        store_close(st);
    }
}

static void test_kill9_durability(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("kill9_durability", 20261123));
    tmpdir t;
    tmpdir_make(&t);
    reported r = {0};
    for (int round = 0; round < ROUNDS; round++) crash_round(t.db, &p, round, &r);
    CHECK(r.block > 0);
    tmpdir_remove(&t);
}

int main(void) {
    log_set_level(LOG_WARN);
    RUN(test_kill9_durability);
    return check_summary();
}
