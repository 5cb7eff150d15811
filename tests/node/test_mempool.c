/* Tests of node/mempool: admission rules, nonce sequences, signature checked
 * once, eviction by fee, the re-check after a commit, and the node message
 * codecs' rejections. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto/sha256.h"
#include "ledger/ledger_helpers.h"
#include "node/mempool.h"
#include "node/msg.h"

/* A fixed SipHash key for the bytes index (any key gives the same answers). */
static const uint8_t KEY[MEMPOOL_KEY_BYTES] = {1, 2, 3};

static int drops;
static hansa_err last_drop;

static void on_drop(void *ctx, const hansa_hash *tx, hansa_err err, const char *why) {
    (void)ctx;
    (void)tx;
    (void)why;
    drops++;
    last_drop = err;
}

/* What the pool tests start from: a state whose accounts 0..n-1 hold
 * bal[i] (t_state, into *s) and a pool over it keeping at most max_txs txs
 * (0: the default), with drop as its drop callback. */
static mempool *pool_open(ledger_state **s, const uint64_t *bal, size_t n, uint32_t max_txs,
                          mempool_drop_fn drop) {
    ledger_params p = t_params();
    *s = t_state(&p, bal, n, t_hash_key_a);
    return mempool_new(&(mempool_limits){max_txs, 0}, KEY, *s, drop, NULL);
}

static void pool_close(mempool *m, ledger_state *s) {
    mempool_free(m);
    ledger_state_free(s);
}

static hansa_err add(mempool *m, const wire_tx *tx, hansa_hash *h) {
    hbuf b = HBUF_INIT;
    wire_tx_encode(&b, tx);
    char why[256];
    hansa_err err = mempool_add(m, b.data, b.len, h, why, sizeof why);
    hbuf_free(&b);
    return err;
}

static void test_admission(void) {
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, on_drop);
    uint8_t b0[28], b1[28], b2[28], b3[28];
    hansa_hash h;
    wire_tx tx0 = t_transfer(0, &t_addrs[2], 100, 0, 10, b0);
    CHECK_ERR(add(m, &tx0, &h), HANSA_OK);
    CHECK(mempool_has(m, &h));
    CHECK_ERR(add(m, &tx0, &h), HANSA_ERR_DUPLICATE);
    wire_tx tx2 = t_transfer(0, &t_addrs[2], 100, 2, 10, b1); /* gap: nonce 1 missing */
    CHECK_ERR(add(m, &tx2, &h), HANSA_ERR_NONCE);
    wire_tx tx1 = t_transfer(0, &t_addrs[2], 100, 1, 10, b2); /* the next nonce */
    CHECK_ERR(add(m, &tx1, &h), HANSA_OK);
    wire_tx big = t_transfer(0, &t_addrs[2], 781, 2, 10, b3); /* 220 spent: 781+10 > 780 */
    CHECK_ERR(add(m, &big, &h), HANSA_ERR_FUNDS);
    wire_tx forged = t_transfer(1, &t_addrs[2], 5, 0, 10, b3);
    forged.sig.b[0] ^= 1;
    CHECK_ERR(add(m, &forged, &h), HANSA_ERR_BAD_SIG);
    CHECK(!mempool_has(m, &h));
    CHECK_EQ_U64(mempool_count(m), 2);
    uint8_t junk[10] = {1, 2, 3};
    char why[256];
    CHECK(mempool_add(m, junk, sizeof junk, &h, why, sizeof why) != HANSA_OK);
    pool_close(m, s);
}

/* A full pool takes a higher-fee tx by evicting the cheapest last-of-sender
 * tx of another sender, refuses a tx that does not pay more, and reports
 * the eviction. */
static void test_eviction(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    drops = 0;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 4, 2, on_drop);
    uint8_t b0[28], b1[28], b2[28], b3[28];
    hansa_hash h0, h1, h;
    wire_tx a = t_transfer(0, &t_addrs[3], 1, 0, 20, b0);
    wire_tx b = t_transfer(1, &t_addrs[3], 1, 0, 15, b1);
    CHECK_ERR(add(m, &a, &h0), HANSA_OK);
    CHECK_ERR(add(m, &b, &h1), HANSA_OK);
    wire_tx cheap = t_transfer(2, &t_addrs[3], 1, 0, 15, b2);
    CHECK_ERR(add(m, &cheap, &h), HANSA_ERR_FULL);
    wire_tx rich = t_transfer(2, &t_addrs[3], 1, 0, 16, b3);
    CHECK_ERR(add(m, &rich, &h), HANSA_OK);
    CHECK(!mempool_has(m, &h1)); /* fee 15 was the cheapest */
    CHECK(mempool_has(m, &h0));
    CHECK_EQ_U64(drops, 1);
    CHECK_ERR(last_drop, HANSA_ERR_FULL);
    pool_close(m, s);
}

/* A tx that would be refused anyway (a nonce gap here; any stranger can
 * sign one with a high fee for free) evicts nothing from a full pool. */
static void test_refused_tx_evicts_nothing(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    drops = 0;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 4, 2, on_drop);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h0, h1, h;
    wire_tx a = t_transfer(0, &t_addrs[3], 1, 0, 20, b0);
    wire_tx b = t_transfer(1, &t_addrs[3], 1, 0, 15, b1);
    CHECK_ERR(add(m, &a, &h0), HANSA_OK);
    CHECK_ERR(add(m, &b, &h1), HANSA_OK);
    wire_tx gap = t_transfer(2, &t_addrs[3], 1, 5, 500, b2);
    CHECK_ERR(add(m, &gap, &h), HANSA_ERR_NONCE);
    CHECK(mempool_has(m, &h0));
    CHECK(mempool_has(m, &h1));
    CHECK_EQ_U64(drops, 0);
    pool_close(m, s);
}

/* After a commit: included txs leave silently; txs that no longer apply
 * are dropped and reported; the rest stay in order. */
static void test_update_rechecks(void) {
    uint64_t bal[3] = {1000, 1000, 1};
    drops = 0;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, on_drop);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h0, h1, hx;
    wire_tx t0 = t_transfer(0, &t_addrs[2], 100, 0, 10, b0);
    wire_tx t1 = t_transfer(0, &t_addrs[2], 100, 1, 10, b1);
    CHECK_ERR(add(m, &t0, &h0), HANSA_OK);
    CHECK_ERR(add(m, &t1, &h1), HANSA_OK);
    /* A competing block spends account 0's nonce 0 differently. */
    wire_tx other = t_transfer(0, &t_addrs[1], 950, 0, 10, b2);
    ledger_block *pb;
    ledger_block_info info = t_info(s, 60);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_block_begin(s, &info, &pb, why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(pb, &other, false, why, sizeof why), HANSA_OK);
    ledger_block_finish(pb);
    ledger_block_commit(s, pb);
    wire_tx_hash(&other, &hx);
    mempool_update(m, s, &hx, 1);
    CHECK_EQ_U64(mempool_count(m), 0); /* t0 now has a stale nonce, t1 a gap */
    CHECK_EQ_U64(drops, 2);
    pool_close(m, s);
}

/* Commits a block of tx alone to s and tells m (the block's proposer is
 * delegate 60, as t_info's tests use). */
static void commit_one(ledger_state *s, mempool *m, const wire_tx *tx) {
    ledger_block *pb;
    ledger_block_info info = t_info(s, 60);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_block_begin(s, &info, &pb, why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(pb, tx, false, why, sizeof why), HANSA_OK);
    ledger_block_finish(pb);
    ledger_block_commit(s, pb);
    hansa_hash h;
    wire_tx_hash(tx, &h);
    mempool_update(m, s, &h, 1);
}

/* A copy of a queued tx is answered from the bytes index with the tx's
 * own hash, also after a commit moved the queue's entries; bytes that
 * left the pool (committed) are judged again, not called duplicates. */
static void test_duplicate_by_bytes(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 4, 0, NULL);
    uint8_t b[4][28];
    wire_tx t[4] = {t_transfer(0, &t_addrs[3], 1, 0, 10, b[0]), t_transfer(1, &t_addrs[3], 2, 0, 10, b[1]),
                    t_transfer(0, &t_addrs[3], 3, 1, 10, b[2]), t_transfer(2, &t_addrs[3], 4, 0, 10, b[3])};
    hansa_hash want[4], h;
    for (int i = 0; i < 4; i++) {
        wire_tx_hash(&t[i], &want[i]);
        CHECK_ERR(add(m, &t[i], &h), HANSA_OK);
        CHECK(hash_eq(&h, &want[i]));
    }
    for (int i = 3; i >= 0; i--) {
        CHECK_ERR(add(m, &t[i], &h), HANSA_ERR_DUPLICATE);
        CHECK(hash_eq(&h, &want[i]));
    }
    CHECK_EQ_U64(mempool_get_stats(m).dup_by_bytes, 4); /* none hashed */
    /* Commit t[0]: the re-check moves t[1..3] down one place. */
    commit_one(s, m, &t[0]);
    char why[LEDGER_WHY_MAX];
    CHECK_EQ_U64(mempool_count(m), 3);
    for (int i = 1; i < 4; i++) {
        CHECK_ERR(add(m, &t[i], &h), HANSA_ERR_DUPLICATE);
        CHECK(hash_eq(&h, &want[i]));
    }
    CHECK_EQ_U64(mempool_get_stats(m).dup_by_bytes, 7);
    CHECK_ERR(add(m, &t[0], &h), HANSA_ERR_NONCE); /* committed: a stale nonce now */
    CHECK(hash_eq(&h, &want[0]));
    /* What a block's judge and builder ask: by bytes, and in order. */
    for (int i = 0; i < 4; i++) {
        hbuf e = HBUF_INIT;
        wire_tx_encode(&e, &t[i]);
        CHECK(mempool_has_bytes(m, e.data, e.len, &h) == (i > 0));
        CHECK(hash_eq(&h, &want[i]));
        hbuf_free(&e);
    }
    /* Bytes with a queued tx's signature but another body share its key in
     * the bytes index: found by hash, so not queued, and judged on their
     * own. */
    hbuf e = HBUF_INIT;
    wire_tx_encode(&e, &t[3]);
    e.data[e.len - 70] ^= 1; /* in the body, before the signature */
    hansa_hash other;
    sha256(e.data, e.len, &other);
    CHECK(!mempool_has_bytes(m, e.data, e.len, &h));
    CHECK(hash_eq(&h, &other));
    CHECK_ERR(mempool_add(m, e.data, e.len, &h, why, sizeof why), HANSA_ERR_NONCE);
    CHECK(hash_eq(&h, &other));
    hbuf_free(&e);
    size_t cursor = 0;
    const uint8_t *bytes;
    uint32_t len;
    for (int i = 1; i < 4; i++) {
        CHECK(mempool_next(m, &cursor, &bytes, &len, &h));
        CHECK(hash_eq(&h, &want[i]));
    }
    CHECK(!mempool_next(m, &cursor, &bytes, &len, NULL));
    wire_tx forged = t[3];
    forged.sig.b[0] ^= 1; /* same length, one bit apart */
    CHECK_ERR(add(m, &forged, &h), HANSA_ERR_NONCE); /* judged: its sender's nonce 0 is queued */
    CHECK(!hash_eq(&h, &want[3]));
    pool_close(m, s);
}

/* Whether the pool holds exactly these bytes, asked as a block's judge
 * (mempool_has_bytes) and as a relayed copy (mempool_add): true with the
 * tx's own hash, or false with the bytes' hash and the add judged. */
static void check_found(mempool *m, const wire_tx *tx, bool queued) {
    hbuf e = HBUF_INIT;
    wire_tx_encode(&e, tx);
    hansa_hash want, h;
    wire_tx_hash(tx, &want);
    CHECK(mempool_has_bytes(m, e.data, e.len, &h) == queued);
    CHECK(hash_eq(&h, &want));
    if (queued) {
        char why[256];
        CHECK_ERR(mempool_add(m, e.data, e.len, &h, why, sizeof why), HANSA_ERR_DUPLICATE);
        CHECK(hash_eq(&h, &want));
    }
    hbuf_free(&e);
}

/* Distinct queued txs whose bytes-index keys collide (all of them: the
 * test hook): the first holds the key's slot and the others are found by
 * hash. Each is found by its own bytes with its own hash, a different tx
 * with the same key is not called a duplicate, and removing the slot's
 * holder, by a commit's re-check or by an eviction, leaves the others
 * findable. Without the bytes compare in bytes_index_find every one of
 * them would be answered with the holder's hash. */
static void test_bytes_key_collisions(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 4, 4, NULL);
    if (!mempool_test_collide_keys(m)) {
        fprintf(stderr, "  skipped: the collision hook is off in NDEBUG builds\n");
        pool_close(m, s);
        return;
    }
    uint8_t b[5][28];
    wire_tx t[5] = {t_transfer(0, &t_addrs[3], 1, 0, 11, b[0]), t_transfer(1, &t_addrs[3], 2, 0, 20, b[1]),
                    t_transfer(2, &t_addrs[3], 3, 0, 20, b[2]), t_transfer(1, &t_addrs[3], 4, 1, 20, b[3]),
                    t_transfer(2, &t_addrs[3], 5, 1, 20, b[4])};
    hansa_hash h, want[5];
    for (int i = 0; i < 5; i++) wire_tx_hash(&t[i], &want[i]);
    for (int i = 0; i < 4; i++) CHECK_ERR(add(m, &t[i], &h), HANSA_OK);
    for (int i = 0; i < 4; i++) check_found(m, &t[i], true);
    CHECK_EQ_U64(mempool_get_stats(m).dup_by_bytes, 1); /* t[0] holds the slot */
    check_found(m, &t[4], false);                       /* same key, other bytes */
    /* Judged on its own and admitted: the pool is full, and it evicts the
     * slot's holder (t[0], fee 11). */
    CHECK_ERR(add(m, &t[4], &h), HANSA_OK);
    CHECK(hash_eq(&h, &want[4]));
    CHECK_EQ_U64(mempool_get_stats(m).evicted, 1);
    for (int i = 0; i < 5; i++) check_found(m, &t[i], i > 0);
    /* Commit t[1]: the re-check moves the rest down and rebuilds the index. */
    commit_one(s, m, &t[1]);
    CHECK_EQ_U64(mempool_count(m), 3);
    for (int i = 0; i < 5; i++) check_found(m, &t[i], i > 1);
    pool_close(m, s);
}

/* The bytes index through growth and deletions out of the middle of its
 * probe chains: a pool of 200 (from 40 senders) of which 100 are evicted
 * by 100 higher-fee txs, then a commit. At every step every tx ever
 * offered is found by its bytes exactly when it is queued (check_found:
 * mempool_has_bytes and a relayed copy agree with the hash index). */
static void test_bytes_index_churn(void) {
    uint64_t bal[51];
    for (int i = 0; i < 51; i++) bal[i] = 1000;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 51, 200, NULL);
    static uint8_t b[300][28];
    static wire_tx t[300];
    hansa_hash h, want;
    for (int i = 0; i < 200; i++) { /* senders 0..39, nonces 0..4, fee 10 */
        t[i] = t_transfer(i % 40, &t_addrs[50], 1, (uint64_t)(i / 40), 10, b[i]);
        CHECK_ERR(add(m, &t[i], &h), HANSA_OK);
    }
    for (int i = 200; i < 300; i++) { /* senders 40..49, nonces 0..9, fee 20: each evicts one */
        t[i] = t_transfer(40 + i % 10, &t_addrs[50], 1, (uint64_t)((i - 200) / 10), 20, b[i]);
        CHECK_ERR(add(m, &t[i], &h), HANSA_OK);
    }
    CHECK_EQ_U64(mempool_get_stats(m).evicted, 100);
    CHECK_EQ_U64(mempool_count(m), 200);
    for (int round = 0; round < 2; round++) {
        size_t queued = 0;
        for (int i = 0; i < 300; i++) {
            wire_tx_hash(&t[i], &want);
            bool q = mempool_has(m, &want);
            queued += q;
            check_found(m, &t[i], q);
        }
        CHECK_EQ_U64(queued, mempool_count(m));
        if (round == 0) commit_one(s, m, &t[200]); /* sender 40's nonce 0: the re-check rebuilds */
    }
    CHECK_EQ_U64(mempool_count(m), 199);
    pool_close(m, s);
}

/* Queues 40 txs and has 20 richer ones evict 20 of them, under the key
 * hook keys (mempool_test_*_keys), checking after each admission that every
 * tx is found by its bytes exactly when queued, and a queued one's copy by
 * the index itself (the fallback by hash would hide a broken chain). Under
 * these keys the pool also checks after each eviction, before the new tx
 * takes the first free slot of its chain (which would refill a hole a
 * broken deletion left), that every queued tx is found by the index, and
 * counts those that are not (a FAIL here, the binary's other tests run). */
static void crowded_index(bool (*keys)(mempool *)) {
    uint64_t bal[T_KEYS];
    for (int i = 0; i < T_KEYS; i++) bal[i] = 1000;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, T_KEYS, 40, NULL);
    if (!keys(m)) {
        fprintf(stderr, "  skipped: a release build\n");
        pool_close(m, s);
        return;
    }
    static uint8_t b[60][28];
    static wire_tx t[60];
    hansa_hash h;
    for (int i = 0; i < 60; i++) {
        t[i] = t_transfer(i, &t_addrs[T_KEYS - 1], 1, 0, i < 40 ? 10 : 20, b[i]);
        CHECK_ERR(add(m, &t[i], &h), HANSA_OK);
        CHECK_EQ_U64(mempool_test_index_misses(m), 0);
        if (mempool_test_index_misses(m) != 0) break; /* one FAIL says it */
        for (int k = 0; k <= i; k++) {
            wire_tx_hash(&t[k], &h);
            bool queued = mempool_has(m, &h);
            uint64_t by_bytes = mempool_get_stats(m).dup_by_bytes;
            check_found(m, &t[k], queued);
            CHECK_EQ_U64(mempool_get_stats(m).dup_by_bytes, by_bytes + queued);
        }
    }
    if (mempool_test_index_misses(m) == 0) CHECK_EQ_U64(mempool_get_stats(m).evicted, 20);
    pool_close(m, s);
}

/* Deletions where probe chains wrap past the table's end: every key's probe
 * starts at one of its last two slots or first two (a debug-build hook); a
 * deletion must move back only entries whose home the hole does not cut
 * off, across the end too. */
static void test_bytes_index_wrap(void) { crowded_index(mempool_test_crowd_keys); }

/* The same where no chain wraps: every probe starts at one of slots 8 to
 * 11, so a deletion there meets entries at their own home (which must stay)
 * and entries whose home is the hole itself (which must move back), the
 * cases of the condition's non-wrap half. */
static void test_bytes_index_cluster(void) { crowded_index(mempool_test_cluster_keys); }

/* The same with every probe starting at the table's last slot: the first
 * evictions free it, and every entry after it, past the end, has it as
 * home and must move back (the wrap half's case of a home at the hole). */
static void test_bytes_index_last_home(void) { crowded_index(mempool_test_last_keys); }

/* A caller that reads no text (why NULL, as the node's relay path) gets
 * the same code and hash on every path as one that does. */
static void test_no_why(void) {
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, NULL);
    uint8_t b[4][28];
    wire_tx t[4] = {t_transfer(0, &t_addrs[2], 1, 0, 10, b[0]),    /* admitted, then a copy */
                    t_transfer(0, &t_addrs[2], 1, 5, 10, b[1]),    /* nonce gap */
                    t_transfer(1, &t_addrs[2], 5000, 0, 10, b[2]), /* funds */
                    t_transfer(1, &t_addrs[2], 1, 0, 10, b[3])};   /* forged below */
    t[3].sig.b[0] ^= 1;
    static const hansa_err want[] = {HANSA_OK, HANSA_ERR_DUPLICATE, HANSA_ERR_NONCE, HANSA_ERR_FUNDS,
                                     HANSA_ERR_BAD_SIG, HANSA_ERR_BAD_SIG /* remembered */};
    static const int which[] = {0, 0, 1, 2, 3, 3};
    for (int i = 0; i < 6; i++) {
        hbuf e = HBUF_INIT;
        wire_tx_encode(&e, &t[which[i]]);
        hansa_hash h, hw;
        sha256(e.data, e.len, &hw);
        CHECK_ERR(mempool_add(m, e.data, e.len, &h, NULL, 0), want[i]);
        CHECK(hash_eq(&h, &hw));
        hbuf_free(&e);
    }
    uint8_t junk[10] = {1, 2, 3};
    hansa_hash h;
    CHECK(mempool_add(m, junk, sizeof junk, &h, NULL, 0) != HANSA_OK);
    CHECK_EQ_U64(mempool_count(m), 1);
    CHECK_EQ_U64(mempool_get_stats(m).dup_by_bytes, 1);
    pool_close(m, s);
}

/* The ledger's cheap checks run before the signature: a forged tx with a
 * nonce gap is refused for its nonce, and no signature is verified. */
/* Under ASan, a pointer to a committed tx's bytes kept past the commit is
 * reported even after the next small tx was queued: the spare buffers are
 * reused oldest first there, so the one released last is still poisoned
 * (reused newest first, the new tx's bytes would sit behind the stale
 * pointer). The stale read runs in a forked child, which ASan must stop. */
static void test_stale_bytes_reported(void) {
#if defined(__SANITIZE_ADDRESS__)
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, NULL);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h;
    wire_tx t0 = t_transfer(0, &t_addrs[2], 1, 0, 10, b0), t1 = t_transfer(1, &t_addrs[2], 2, 0, 10, b1);
    CHECK_ERR(add(m, &t0, &h), HANSA_OK);
    CHECK_ERR(add(m, &t1, &h), HANSA_OK);
    commit_one(s, m, &t1); /* t1's buffer is a spare now */
    size_t cursor = 0;
    const uint8_t *stale;
    uint32_t len;
    CHECK(mempool_next(m, &cursor, &stale, &len, &h));
    commit_one(s, m, &t0); /* and then t0's, which stale points into */
    wire_tx t2 = t_transfer(0, &t_addrs[2], 3, 1, 10, b2);
    CHECK_ERR(add(m, &t2, &h), HANSA_OK); /* takes one spare: t1's under ASan */
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY); /* the child's ASan report is expected */
        if (null >= 0) dup2(null, STDERR_FILENO);
        volatile uint8_t v = stale[0];
        (void)v;
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0)); /* ASan stopped the child */
    pool_close(m, s);
#else
    fprintf(stderr, "  skipped: not an ASan build\n");
#endif
}

static void test_signature_checked_last(void) {
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, NULL);
    uint8_t b0[28], b1[28];
    hansa_hash h;
    wire_tx gap = t_transfer(0, &t_addrs[2], 5, 3, 10, b0);
    gap.sig.b[0] ^= 1;
    CHECK_ERR(add(m, &gap, &h), HANSA_ERR_NONCE);
    wire_tx poor = t_transfer(2, &t_addrs[1], 500, 0, 10, b1);
    poor.sig.b[0] ^= 1;
    CHECK_ERR(add(m, &poor, &h), HANSA_ERR_FUNDS);
    CHECK_EQ_U64(mempool_get_stats(m).sig_verifies, 0);
    pool_close(m, s);
}

/* A refused tx offered again is answered from the recent refusals: a bad
 * signature without a second verification, a full pool until the next
 * commit; a nonce refusal is not remembered (the gap may close). */
static void test_refusal_cache(void) {
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 3, 0, NULL);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h;
    wire_tx forged = t_transfer(1, &t_addrs[2], 5, 0, 10, b0);
    forged.sig.b[0] ^= 1;
    CHECK_ERR(add(m, &forged, &h), HANSA_ERR_BAD_SIG);
    for (int i = 0; i < 5; i++) CHECK_ERR(add(m, &forged, &h), HANSA_ERR_BAD_SIG);
    mempool_stats st = mempool_get_stats(m);
    CHECK_EQ_U64(st.sig_verifies, 1);
    CHECK_EQ_U64(st.refused_cached, 5);
    wire_tx next = t_transfer(0, &t_addrs[2], 5, 1, 10, b1);
    CHECK_ERR(add(m, &next, &h), HANSA_ERR_NONCE);
    wire_tx first = t_transfer(0, &t_addrs[2], 5, 0, 10, b2);
    CHECK_ERR(add(m, &first, &h), HANSA_OK);
    CHECK_ERR(add(m, &next, &h), HANSA_OK); /* the gap closed */
    pool_close(m, s);
}

/* An evicted sender's check-state nonce is ahead of its queue until the
 * next commit: its transactions are refused until then, and admitted
 * after the re-check. */
static void test_evicted_sender_waits(void) {
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    ledger_state *s;
    mempool *m = pool_open(&s, bal, 4, 2, NULL);
    uint8_t b0[28], b1[28], b2[28], b3[28];
    hansa_hash h;
    wire_tx a = t_transfer(0, &t_addrs[3], 1, 0, 20, b0);
    wire_tx b = t_transfer(1, &t_addrs[3], 1, 0, 15, b1);
    wire_tx rich = t_transfer(2, &t_addrs[3], 1, 0, 16, b2);
    CHECK_ERR(add(m, &a, &h), HANSA_OK);
    CHECK_ERR(add(m, &b, &h), HANSA_OK);
    CHECK_ERR(add(m, &rich, &h), HANSA_OK); /* evicts b */
    wire_tx again = t_transfer(1, &t_addrs[3], 2, 0, 30, b3);
    CHECK_ERR(add(m, &again, &h), HANSA_ERR_FULL);
    mempool_update(m, s, NULL, 0);
    CHECK_ERR(add(m, &again, &h), HANSA_OK); /* evicts rich (16), the cheapest */
    CHECK_EQ_U64(mempool_count(m), 2);
    pool_close(m, s);
}

/* Model check: random admissions into a small full pool, against a
 * reference that scans every entry for the eviction victim (the cheapest,
 * oldest among equals, last-of-its-sender tx of another sender). */
typedef struct {
    hansa_hash hash;
    int sender;
    uint64_t fee, seq;
    bool live;
} ref_entry;

static hansa_hash model_dropped;
static int model_drops;

static void model_drop(void *ctx, const hansa_hash *tx, hansa_err err, const char *why) {
    (void)ctx;
    (void)err;
    (void)why;
    model_dropped = *tx;
    model_drops++;
}

static int ref_victim(const ref_entry *e, size_t n, int sender) {
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].live || e[i].sender == sender) continue;
        bool last = true;
        for (size_t j = i + 1; j < n && last; j++) last = !(e[j].live && e[j].sender == e[i].sender);
        if (!last) continue;
        if (best < 0 || e[i].fee < e[best].fee || (e[i].fee == e[best].fee && e[i].seq < e[best].seq))
            best = (int)i;
    }
    return best;
}

static void test_eviction_model(void) {
    uint64_t seed = getenv("HANSA_SEED") ? strtoull(getenv("HANSA_SEED"), NULL, 10) : 0x5eed;
    fprintf(stderr, "  seed %llu (HANSA_SEED=%llu replays)\n", (unsigned long long)seed,
            (unsigned long long)seed);
    uint64_t x = seed | 1;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    enum { SENDERS = 12, POOL = 20, STEPS = 600 };
    uint64_t bal[SENDERS];
    for (int i = 0; i < SENDERS; i++) bal[i] = 1000000;
    model_drops = 0;
    ledger_state *s;
    mempool *m = pool_open(&s, bal, SENDERS, POOL, model_drop);
    ref_entry *ref = calloc(STEPS, sizeof *ref);
    size_t n_ref = 0;
    uint64_t next_nonce[SENDERS] = {0};
    bool evicted[SENDERS] = {false};
    uint8_t body[28];
    for (int step = 0; step < STEPS; step++) {
        int from = (int)(NEXT() % SENDERS);
        uint64_t fee = 10 + NEXT() % 30;
        if (step % 100 == 99) { /* a commit of nothing: the re-check clears evictions */
            mempool_update(m, s, NULL, 0);
            memset(evicted, 0, sizeof evicted);
            /* Nonces of evicted txs are free again: the queue is the truth. */
            for (int k = 0; k < SENDERS; k++) {
                next_nonce[k] = 0;
                for (size_t i = 0; i < n_ref; i++) next_nonce[k] += ref[i].live && ref[i].sender == k;
            }
            continue;
        }
        wire_tx tx = t_transfer(from, &t_addrs[(from + 1) % SENDERS], 1, next_nonce[from], fee, body);
        hansa_hash h;
        int victim = ref_victim(ref, n_ref, from);
        bool full = n_ref && (size_t)mempool_count(m) >= POOL;
        hansa_err want = HANSA_OK;
        if (evicted[from] || (full && (victim < 0 || ref[victim].fee >= fee))) want = HANSA_ERR_FULL;
        int drops_before = model_drops;
        hansa_err got = add(m, &tx, &h);
        CHECK_ERR(got, want);
        if (got != want) break;
        if (got != HANSA_OK) continue;
        if (full) {
            CHECK_EQ_U64(model_drops, drops_before + 1);
            CHECK(hash_eq(&model_dropped, &ref[victim].hash));
            ref[victim].live = false;
            evicted[ref[victim].sender] = true;
        }
        ref[n_ref++] = (ref_entry){h, from, fee, (uint64_t)step, true};
        next_nonce[from]++;
    }
    size_t live = 0;
    for (size_t i = 0; i < n_ref; i++) live += ref[i].live;
    CHECK_EQ_U64(mempool_count(m), live);
    fprintf(stderr, "  %llu evictions\n", (unsigned long long)mempool_get_stats(m).evicted);
    CHECK(mempool_get_stats(m).evicted > 20); /* the pool was full most of the run */
    free(ref);
    pool_close(m, s);
#undef NEXT
}

static void test_msg_rejects(void) {
    hbuf b = HBUF_INIT;
    msg_status st = {0xe2e4, 7, {{1}}}, back;
    msg_status_encode(&b, &st);
    CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), HANSA_OK);
    CHECK(back.height == 7 && back.chain_id == 0xe2e4);
    CHECK(back.lowest == 0 && b.len == 45); /* lowest unsaid: the form from before pruning */
    CHECK_ERR(msg_status_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_TRUNCATED);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), HANSA_ERR_TRUNCATED); /* a cut lowest */
    b.data[0] = 9;
    CHECK_ERR(msg_status_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_VERSION);
    /* lowest: 1..height round-trips; 0 written out or above the height is refused */
    for (uint64_t lowest = 0; lowest <= 9; lowest++) {
        hbuf_reset(&b);
        st.lowest = lowest;
        msg_status_encode(&b, &st);
        if (lowest == 0) hbuf_put_u64(&b, 0);
        hansa_err want = lowest == 0 ? HANSA_ERR_NONCANONICAL : lowest > 7 ? HANSA_ERR_INVALID : HANSA_OK;
        CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), want);
        if (want == HANSA_OK) CHECK(back.lowest == lowest && b.len == 53);
    }
    hbuf_reset(&b);
    st.lowest = 3;
    msg_status_encode(&b, &st);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), HANSA_ERR_TRAILING);
    hbuf_reset(&b);
    hbuf_put_u32(&b, 0xffffffffu); /* a proposal length far over its bound */
    msg_proposal mp;
    CHECK_ERR(msg_proposal_decode(b.data, b.len, &mp, NULL), HANSA_ERR_TOO_LONG);
    hbuf_reset(&b);
    msg_block mb = {5, (const uint8_t *)"ab", 2, (const uint8_t *)"c", 1}, mb2;
    msg_block_encode(&b, &mb);
    CHECK_ERR(msg_block_decode(b.data, b.len, &mb2, NULL), HANSA_OK);
    CHECK(mb2.height == 5 && mb2.block_len == 2 && mb2.commit_len == 1);
    hbuf_free(&b);
}

/* TXS: length-prefixed txs, as net/ bundles them; bounded and never empty. */
static void test_msg_txs(void) {
    static msg_txs m, back;
    hbuf b = HBUF_INIT;
    m.n = 2;
    m.tx[0] = (const uint8_t *)"abc", m.len[0] = 3;
    m.tx[1] = (const uint8_t *)"de", m.len[1] = 2;
    msg_txs_encode(&b, &m);
    CHECK(b.len == 4 + 3 + 4 + 2);
    CHECK_ERR(msg_txs_decode(b.data, b.len, &back, NULL), HANSA_OK);
    CHECK(back.n == 2 && back.len[1] == 2 && memcmp(back.tx[1], "de", 2) == 0);
    CHECK_ERR(msg_txs_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_TRUNCATED);
    CHECK_ERR(msg_txs_decode(b.data, 0, &back, NULL), HANSA_ERR_INVALID); /* none */
    hbuf_reset(&b);
    hbuf_put_u32(&b, 0); /* an empty tx */
    CHECK_ERR(msg_txs_decode(b.data, b.len, &back, NULL), HANSA_ERR_INVALID);
    hbuf_reset(&b);
    hbuf_put_u32(&b, WIRE_TX_BYTES_MAX + 1);
    CHECK_ERR(msg_txs_decode(b.data, b.len, &back, NULL), HANSA_ERR_TOO_LONG);
    hbuf_reset(&b);
    for (int i = 0; i <= MSG_TXS_MAX; i++) {
        hbuf_put_u32(&b, 1);
        hbuf_put_u8(&b, 7);
    }
    CHECK_ERR(msg_txs_decode(b.data, b.len, &back, NULL), HANSA_ERR_TOO_LONG);
    CHECK_ERR(msg_txs_decode(b.data, b.len - 5, &back, NULL), HANSA_OK);
    CHECK(back.n == MSG_TXS_MAX);
    /* five txs of 16,000 bytes: few, each within bounds, but more bytes than a
     * bundle holds (what one message may make the node check is bounded) */
    static uint8_t big[16000];
    hbuf_reset(&b);
    for (int i = 0; i < 5; i++) {
        hbuf_put_u32(&b, sizeof big);
        hbuf_append(&b, big, sizeof big);
    }
    CHECK(b.len > MSG_TXS_BYTES_MAX);
    CHECK_ERR(msg_txs_decode(b.data, b.len, &back, NULL), HANSA_ERR_TOO_LONG);
    CHECK_ERR(msg_txs_decode(b.data, 4 * (4 + sizeof big), &back, NULL), HANSA_OK);
    hbuf_free(&b);
}

int main(void) {
    t_init_keys();
    RUN(test_admission);
    RUN(test_eviction);
    RUN(test_refused_tx_evicts_nothing);
    RUN(test_update_rechecks);
    RUN(test_duplicate_by_bytes);
    RUN(test_bytes_key_collisions);
    RUN(test_bytes_index_churn);
    RUN(test_bytes_index_wrap);
    RUN(test_bytes_index_cluster);
    RUN(test_bytes_index_last_home);
    RUN(test_no_why);
    RUN(test_stale_bytes_reported);
    RUN(test_signature_checked_last);
    RUN(test_refusal_cache);
    RUN(test_evicted_sender_waits);
    RUN(test_eviction_model);
    RUN(test_msg_rejects);
    RUN(test_msg_txs);
    return check_summary();
}
