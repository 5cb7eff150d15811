/* bench_store.c — see bench_store.h.
 *
 * Each block is what a full block asks of the store: its bytes (random, as
 * incompressible as signed transactions), a commit certificate's worth of
 * bytes, one tx index entry per transaction (random hashes, as SHA-256
 * makes them) and a few state writes. The commit is timed alone; then the
 * tx index step the node runs in its commit delay (store_index_step) is
 * timed apart, batched the way the node batches it while catching up, so
 * both costs are on the table. Just before each step, with the most heights
 * logged, it times lookups of hashes the store does not hold (what an RPC
 * `tx` query or a waiting submit costs while the index lags) and of one tx
 * of each logged height (what a waiting submit pays once its tx is in,
 * the store reading the log record back). Hashes and
 * bytes come from a seeded PRNG: runs are repeatable (HANSA_SEED picks
 * another seed). */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include "cmd/lib/bench_store.h"

#include <ftw.h>
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/rng.h"
#include "cmd/lib/cli.h"
#include "store/store.h"

#define WINDOW 20            /* blocks averaged at the start and at the end */
#define COMMIT_BYTES 4096    /* a commit certificate of ~40 signatures */
#define STATE_WRITES 64      /* accounts touched; their keys repeat across blocks */
#define MISS_LOOKUPS 64      /* lookups of absent hashes timed before each index step */
#define HIT_RING 64          /* blocks whose one kept tx hash a hit lookup may ask for */

typedef struct {
    uint64_t blocks, txs, tx_bytes, index_batch;
    char dir[CLI_PATH_MAX];
    bool own_dir;
} bench_opts;

static int usage(void) {
    fprintf(stderr, "usage: hansa bench-store [--blocks N] [--txs N] [--tx-bytes N] [--index-batch N]\n"
                    "                         [--dir DIR]\n"
                    "  commits N full blocks (default 1000 of 10000 txs of 200 bytes) into a\n"
                    "  fresh store and prints the commit time at the start and at the end\n");
    return 2;
}

static bool parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){.blocks = 1000, .txs = 10000, .tx_bytes = 200, .index_batch = 32};
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--blocks") == 0 && has && cli_parse_u64(argv[i + 1], &o->blocks) &&
            o->blocks >= 2 * WINDOW && o->blocks <= 1000000) i++;
        else if (strcmp(argv[i], "--txs") == 0 && has && cli_parse_u64(argv[i + 1], &o->txs) &&
                 o->txs <= 100000) i++;
        else if (strcmp(argv[i], "--tx-bytes") == 0 && has &&
                 cli_parse_u64(argv[i + 1], &o->tx_bytes) && o->tx_bytes <= 2048) i++;
        else if (strcmp(argv[i], "--index-batch") == 0 && has &&
                 cli_parse_u64(argv[i + 1], &o->index_batch) && o->index_batch <= 1000000) i++;
        else if (strcmp(argv[i], "--dir") == 0 && has && strlen(argv[i + 1]) < sizeof o->dir) {
            snprintf(o->dir, sizeof o->dir, "%s", argv[++i]);
        } else {
            fprintf(stderr, "bench-store: bad option %s (blocks 40..1000000, txs <= 100000, "
                            "tx-bytes <= 2048)\n", argv[i]);
            return false;
        }
    }
    if (o->dir[0]) return true;
    const char *tmp = getenv("TMPDIR");
    snprintf(o->dir, sizeof o->dir, "%s/hansa-bench-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(o->dir)) {
        perror("bench-store: mkdtemp");
        return false;
    }
    o->own_dir = true;
    return true;
}

typedef struct {
    uint64_t commit_us, index_us; /* summed over the window */
    /* Minor page faults taken inside the commits: memory the commit (LMDB's
     * dirty pages) gets fresh from the kernel rather than reuses. */
    uint64_t commit_faults;
    /* The commits' own CPU time: unlike their wall time it leaves out the
     * fsync and the other processes of a shared machine. */
    uint64_t commit_cpu_us;
} window;

static uint64_t minor_faults(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

#define MISS_SAMPLES_MAX 4096

typedef struct {
    uint64_t us[MISS_SAMPLES_MAX];
    size_t lookups;
} miss_timing;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void print_lookups(const char *what, miss_timing *t, uint64_t logged) {
    if (t->lookups == 0) return;
    qsort(t->us, t->lookups, sizeof t->us[0], cmp_u64);
    printf("  tx lookup %s with %llu heights logged: p50 %llu us, max %llu us (%zu lookups)\n",
           what, (unsigned long long)logged, (unsigned long long)t->us[t->lookups / 2],
           (unsigned long long)t->us[t->lookups - 1], t->lookups);
}

/* One committed tx a hit lookup asks for. */
typedef struct {
    hansa_hash hash;
    uint64_t height;
    uint32_t index;
} kept_tx;

/* Times lookups of one tx from each of the last `heights` blocks (all
 * still logged: an index step follows), each of which must be found where
 * it was committed: what a waiting submit pays once its tx is in. */
static hansa_err time_hits(store *st, const kept_tx *ring, uint64_t tip, uint64_t heights,
                           miss_timing *t) {
    for (uint64_t h = tip; h > tip - heights && h > 0 && tip - h < HIT_RING; h--) {
        if (t->lookups == MISS_SAMPLES_MAX) break;
        const kept_tx *k = &ring[h % HIT_RING];
        store_tx_loc loc;
        uint64_t t0 = clock_system_mono_us();
        hansa_err e = store_get_tx(st, &k->hash, &loc);
        t->us[t->lookups++] = clock_system_mono_us() - t0;
        if (e != HANSA_OK) return e;
        if (loc.height != k->height || loc.index != k->index) return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

/* Times MISS_LOOKUPS lookups of random hashes (absent: 2^-256 odds). */
static hansa_err time_misses(store *st, hansa_prng *rng, miss_timing *t) {
    for (int i = 0; i < MISS_LOOKUPS && t->lookups < MISS_SAMPLES_MAX; i++) {
        hansa_hash th;
        prng_fill(rng, th.b, sizeof th.b);
        store_tx_loc loc;
        uint64_t t0 = clock_system_mono_us();
        hansa_err e = store_get_tx(st, &th, &loc);
        t->us[t->lookups++] = clock_system_mono_us() - t0;
        if (e != HANSA_ERR_NOT_FOUND) return e == HANSA_OK ? HANSA_ERR_STATE : e;
    }
    return HANSA_OK;
}

/* Commits block h (1-based) of o into st; sets its commit time and faults
 * in *cost and keeps one of its txs (if it has any) in *kept. */
static hansa_err commit_block(store *st, const bench_opts *o, hansa_prng *rng, uint64_t h,
                              hbuf *scratch, window *cost, kept_tx *kept) {
    store_batch *b = NULL;
    hansa_err e = store_batch_begin(st, h, &b);
    if (e != HANSA_OK) return e;
    hansa_hash bh;
    prng_fill(rng, bh.b, sizeof bh.b);
    hbuf_reset(scratch);
    prng_fill(rng, hbuf_extend(scratch, o->txs * o->tx_bytes + 1), o->txs * o->tx_bytes + 1);
    e = store_batch_put_block(b, &bh, scratch->data, scratch->len);
    uint8_t cert[COMMIT_BYTES];
    prng_fill(rng, cert, sizeof cert);
    if (e == HANSA_OK) e = store_batch_put_commit(b, cert, sizeof cert);
    for (uint64_t i = 0; i < o->txs && e == HANSA_OK; i++) {
        hansa_hash th;
        prng_fill(rng, th.b, sizeof th.b);
        e = store_batch_put_tx(b, &th, (uint32_t)i);
        if (i == h * 7919 % o->txs) *kept = (kept_tx){th, h, (uint32_t)i};
    }
    for (uint32_t i = 0; i < STATE_WRITES && e == HANSA_OK; i++) {
        uint8_t key[9] = {0x10}, val[40];
        uint64_t acct = prng_below(rng, 100000);
        memcpy(key + 1, &acct, 8);
        prng_fill(rng, val, sizeof val);
        e = store_batch_put_state(b, key, sizeof key, val, sizeof val);
    }
    if (e != HANSA_OK) {
        store_batch_abort(b);
        return e;
    }
    hansa_hash app;
    prng_fill(rng, app.b, sizeof app.b);
    uint64_t f0 = minor_faults(), c0 = clock_thread_cpu_us(), t0 = clock_system_mono_us();
    e = store_batch_commit(b, &app);
    cost->commit_us = clock_system_mono_us() - t0;
    cost->commit_cpu_us = clock_thread_cpu_us() - c0;
    cost->commit_faults = minor_faults() - f0;
    return e;
}

static void window_add(window *w, const window *commit, uint64_t index_us) {
    w->commit_us += commit->commit_us;
    w->commit_cpu_us += commit->commit_cpu_us;
    w->commit_faults += commit->commit_faults;
    w->index_us += index_us;
}

static void print_window(const char *name, uint64_t first, const window *w) {
    printf("  %-6s blocks %6llu..%-6llu commit %8.2f ms/block   tx index step %8.2f ms/block"
           "   commit cpu %6.2f ms, page faults %4llu/block\n",
           name, (unsigned long long)first, (unsigned long long)(first + WINDOW - 1),
           (double)w->commit_us / WINDOW / 1000.0, (double)w->index_us / WINDOW / 1000.0,
           (double)w->commit_cpu_us / WINDOW / 1000.0,
           (unsigned long long)(w->commit_faults / WINDOW));
}

static int run(const bench_opts *o, store *st) {
    const char *seed_env = getenv("HANSA_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 1;
    hansa_prng rng, miss_rng; /* the blocks' bytes do not depend on the lookups */
    prng_seed(&rng, seed);
    prng_seed(&miss_rng, seed ^ 0x6d697373u);
    printf("bench-store: %llu blocks of %llu txs (%llu-byte txs) in %s, seed %llu\n",
           (unsigned long long)o->blocks, (unsigned long long)o->txs,
           (unsigned long long)o->tx_bytes, o->dir, (unsigned long long)seed);
    hbuf scratch = HBUF_INIT;
    window start = {0}, end = {0}, all = {0};
    miss_timing *miss = hansa_calloc(1, sizeof *miss), *hit = hansa_calloc(1, sizeof *hit);
    kept_tx *ring = hansa_calloc(HIT_RING, sizeof *ring);
    hansa_err e = HANSA_OK;
    for (uint64_t h = 1; h <= o->blocks && e == HANSA_OK; h++) {
        window one = {0};
        e = commit_block(st, o, &rng, h, &scratch, &one, &ring[h % HIT_RING]);
        uint64_t index_us = 0;
        /* As the node does in its commit delay (timed with the index). */
        uint64_t t_prep = clock_system_mono_us();
        if (e == HANSA_OK) e = store_prepare_tx_lookups(st);
        index_us += clock_system_mono_us() - t_prep;
        /* As the node does while catching up: a batch once one piled up. */
        if (e == HANSA_OK && o->index_batch && h % o->index_batch == 0)
            e = time_misses(st, &miss_rng, miss);
        if (e == HANSA_OK && o->index_batch && h % o->index_batch == 0 && o->txs > 0)
            e = time_hits(st, ring, h, o->index_batch, hit);
        if (e == HANSA_OK && o->index_batch && (h % o->index_batch == 0 || h == o->blocks)) {
            uint64_t t0 = clock_system_mono_us();
            uint32_t moved = 0;
            do e = store_index_step(st, (uint32_t)o->index_batch, &moved);
            while (e == HANSA_OK && moved > 0);
            index_us += clock_system_mono_us() - t0;
        }
        window *w = h <= WINDOW ? &start : h > o->blocks - WINDOW ? &end : NULL;
        if (w) window_add(w, &one, index_us);
        window_add(&all, &one, index_us);
        if (h % 100 == 0) {
            fprintf(stderr, "\r  %llu/%llu blocks", (unsigned long long)h,
                    (unsigned long long)o->blocks);
            fflush(stderr);
        }
    }
    fprintf(stderr, "\n");
    hbuf_free(&scratch);
    if (e != HANSA_OK) {
        fprintf(stderr, "bench-store: %s\n", store_errmsg(st));
        free(miss), free(hit), free(ring);
        return 1;
    }
    print_window("start", 1, &start);
    print_window("end", o->blocks - WINDOW + 1, &end);
    printf("  whole  commit %.2f ms/block, tx index %.2f ms/block (amortized over batches of %llu),"
           " commit cpu %.2f ms, page faults %llu/block\n",
           (double)all.commit_us / (double)o->blocks / 1000.0,
           (double)all.index_us / (double)o->blocks / 1000.0, (unsigned long long)o->index_batch,
           (double)all.commit_cpu_us / (double)o->blocks / 1000.0,
           (unsigned long long)(all.commit_faults / o->blocks));
    print_lookups("miss", miss, o->index_batch);
    print_lookups("hit", hit, o->index_batch);
    free(miss), free(hit), free(ring);
    printf("  commit end/start %.2f\n", start.commit_us
                                            ? (double)end.commit_us / (double)start.commit_us
                                            : 0.0);
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int cmd_bench_store(int argc, char **argv) {
    bench_opts o;
    if (!parse(argc, argv, &o)) return usage();
    store *st = NULL;
    store_options so = {0};
    hansa_err e = store_open(o.dir, &so, &st);
    int rc;
    if (e != HANSA_OK) {
        fprintf(stderr, "bench-store: cannot open a store in %s\n", o.dir);
        rc = 1;
    } else {
        rc = run(&o, st);
    }
    store_close(st);
    if (o.own_dir && nftw(o.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench-store: could not remove %s\n", o.dir);
    return rc;
}
