/* bench_root.c — see bench_root.h.
 *
 * The snapshot copy a node then writes (node/snapshot.c) is timed too: the
 * same records into a fresh LMDB store in a temporary folder, one durable
 * transaction, as store_snap_write does it.
 *
 * The accounts have addresses from a fixed-seed PRNG (no keys: nothing is
 * signed), the chain one delegate and K = 2, so block 1 is an ordinary
 * block and block 2 a checkpoint; both are empty, so their difference is the
 * root alone. Figures are wall time on one core. */
#include "cmd/lib/bench_root.h"

#define _GNU_SOURCE /* mkdtemp, nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/rng.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/state_root.h"
#include "store/store.h"

#define CHAIN 0xe2e4u

static int usage(void) {
    fprintf(stderr, "usage: hansa bench-root [--accounts N] [--repeat R]\n"
                    "  times the state root over N accounts (default 100000, at most 10000000)\n"
                    "  R times (default 5, at most 1000) and a checkpoint block next to an\n"
                    "  ordinary one\n");
    return 2;
}

static double ms_since(uint64_t start_us) {
    return (double)(clock_system_mono_us() - start_us) / 1000.0;
}

static ledger_state *make_state(uint64_t n_accounts, const hansa_keypair *del) {
    ledger_genesis_account *accts = hansa_calloc(n_accounts, sizeof *accts);
    hansa_prng rng;
    prng_seed(&rng, 0x726f6f74); /* "root" */
    for (uint64_t i = 0; i < n_accounts; i++) {
        prng_fill(&rng, accts[i].addr.b, HANSA_ADDR_BYTES);
        accts[i].balance = 1000 + i;
    }
    wire_validator v = {del->pub, 10};
    ledger_genesis g = {{.chain_id = CHAIN, .genesis_time_ms = 1000, .fee_burn_bps = 5000,
                         .min_fee = 1, .max_block_txs = 1, .elect = ledger_elect_params_default(),
                         .checkpoint_blocks = 2},
                        accts, n_accounts, &v, 1};
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x72, 0x6f, 0x6f, 0x74};
    ledger_state *s = NULL;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_genesis_state(&g, hash_key, &s, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "bench-root genesis: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK); /* random addresses never collide in practice */
    free(accts);
    return s;
}

/* Applies and commits an empty block; returns the milliseconds it took. */
static double empty_block(ledger_state *s, const hansa_keypair *del) {
    ledger_block_info info = {.height = ledger_height(s) + 1,
                              .time_ms = ledger_last_block_time_ms(s) + 1000,
                              .proposer = del->pub};
    ledger_block *b = NULL;
    ledger_block_result res;
    uint64_t t0 = clock_system_mono_us();
    hansa_err err = ledger_apply_block(s, &info, NULL, 0, NULL, &b, &res);
    double ms = ms_since(t0);
    if (err != HANSA_OK) fprintf(stderr, "bench-root block: %s\n", res.why);
    HANSA_ASSERT(err == HANSA_OK);
    ledger_block_commit(s, b);
    return ms;
}

static bool next_record(void *ctx, size_t i, const uint8_t **key, size_t *klen,
                        const uint8_t **val, size_t *vlen) {
    const ledger_writes *ws = ctx;
    if (i >= ws->n) return false;
    *key = ledger_write_key(ws, i, klen);
    *val = ledger_write_value(ws, i, vlen);
    return true;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Milliseconds to write s's records as one snapshot into a fresh store;
 * negative if the store could not be made. */
static double snapshot_copy(const ledger_state *s) {
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/hansa-bench-root-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    store *st = NULL;
    double ms = -1;
    if (store_open(dir, &(store_options){0}, &st) == HANSA_OK) {
        ledger_writes ws = LEDGER_WRITES_INIT;
        uint64_t t0 = clock_system_mono_us();
        ledger_state_records(s, &ws);
        uint8_t info[1] = {1}; /* the bench's store never serves it */
        if (store_snap_write(st, ledger_height(s), info, sizeof info, next_record, &ws, 0) == HANSA_OK)
            ms = ms_since(t0);
        ledger_writes_free(&ws);
    }
    store_close(st);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ms;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median milliseconds of the root of s with an empty block on top, from the
 * leaves s keeps current (the commit before a checkpoint refreshes them). */
static double cached_root_ms(ledger_state *s, uint64_t repeat) {
    ledger_state_leaves_refresh(s);
    ledger_writes none = LEDGER_WRITES_INIT;
    double *t = hansa_calloc(repeat, sizeof *t);
    hansa_hash root;
    for (uint64_t r = 0; r < repeat; r++) {
        uint64_t t0 = clock_system_mono_us();
        ledger_state_root_after(s, &none, &root);
        t[r] = ms_since(t0);
    }
    qsort(t, repeat, sizeof *t, cmp_double);
    double median = t[repeat / 2];
    free(t);
    return median;
}

int cmd_bench_root(int argc, char **argv) {
    uint64_t n = 100000, repeat = 5;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--accounts") == 0 && has && cli_parse_u64(argv[i + 1], &n) &&
            n >= 1 && n <= 10000000) i++;
        else if (strcmp(argv[i], "--repeat") == 0 && has && cli_parse_u64(argv[i + 1], &repeat) &&
                 repeat >= 1 && repeat <= 1000) i++;
        else return usage();
    }
    crypto_init();
    uint8_t seed[HANSA_SEED_BYTES] = {0x72};
    hansa_keypair del;
    keypair_from_seed(&del, seed);
    ledger_state *s = make_state(n, &del);
    double plain = empty_block(s, &del), with_root = empty_block(s, &del);
    double *t = hansa_calloc(repeat, sizeof *t);
    hansa_hash root;
    for (uint64_t r = 0; r < repeat; r++) {
        uint64_t t0 = clock_system_mono_us();
        ledger_state_root(s, &root);
        t[r] = ms_since(t0);
    }
    qsort(t, repeat, sizeof *t, cmp_double);
    printf("state root over %llu accounts, from scratch (a node that has just loaded its "
           "state): median %.1f ms, min %.1f ms (%llu runs)\n",
           (unsigned long long)n, t[repeat / 2], t[0], (unsigned long long)repeat);
    double cached = cached_root_ms(s, repeat);
    printf("state root from the kept leaves (what a running node's checkpoint pays): "
           "median %.2f ms\n", cached);
    printf("empty block: ordinary %.1f ms, checkpoint %.1f ms; at K=%u that is %.2f ms per "
           "height on average\n", plain, with_root, LEDGER_CHECKPOINT_BLOCKS_DEFAULT,
           cached / LEDGER_CHECKPOINT_BLOCKS_DEFAULT);
    double copy = snapshot_copy(s);
    if (copy >= 0)
        printf("snapshot copy of the same state into a fresh store: %.1f ms (one synced "
               "transaction)\n", copy);
    else
        printf("snapshot copy: could not make a store under $TMPDIR\n");
    free(t);
    keypair_wipe(&del);
    ledger_state_free(s);
    return 0;
}
