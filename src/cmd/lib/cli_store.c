/* cli_store.c — `hansa store check DIR`: is a stopped node's store whole?
 *
 * Like SQLite's `PRAGMA integrity_check`, it reads everything and lists
 * what is wrong rather than stopping at the first problem. Two levels:
 * store_check walks LMDB itself (every database, every record's checksum,
 * the databases against each other); then every block and commit is decoded
 * here and checked for what only the wire format knows: the block's header
 * hashes to the hash stored with it, its height is its key, it links to the
 * block before it, its tx root is the Merkle root of its transactions, each
 * transaction is indexed at its place, each commit certifies its block, and
 * the tip's app hash is the last block's.
 *
 * The store is opened read-only, and its lock keeps a running node out:
 * stop the node first. Exit 0 whole, 1 damaged (problems listed on stdout),
 * 2 bad arguments or no store to check (or one in use). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/hex.h"
#include "base/log.h"
#include "cmd/lib/cli.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "store/store.h"
#include "wire/codec.h"

typedef struct {
    uint64_t problems;
    uint64_t txs; /* transactions in the blocks */
} check_state;

static void say_problem(void *ctx, const char *line) {
    check_state *cs = ctx;
    cs->problems++;
    printf("  problem: %s\n", line);
}

__attribute__((format(printf, 2, 3))) static void problem(check_state *cs, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say_problem(cs, line);
}

/* Each transaction of blk is in the tx index at (h, i), and the header's
 * tx root is the Merkle root of them. */
static void check_txs(store *st, check_state *cs, uint64_t h, const wire_block *blk) {
    hansa_hash *leaves = calloc(blk->n_txs ? blk->n_txs : 1, sizeof *leaves);
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        merkle_leaf_hash(blk->txs[i].bytes, blk->txs[i].len, &leaves[i]);
        hansa_hash th;
        sha256(blk->txs[i].bytes, blk->txs[i].len, &th);
        store_tx_loc loc;
        hansa_err e = store_get_tx(st, &th, &loc);
        if (e != HANSA_OK)
            problem(cs, "block %llu tx %u: not in the tx index (%s)", (unsigned long long)h, i,
                    store_errmsg(st));
        else if (loc.height != h || loc.index != i)
            problem(cs, "block %llu tx %u: the tx index says height %llu index %u",
                    (unsigned long long)h, i, (unsigned long long)loc.height, loc.index);
    }
    cs->txs += blk->n_txs;
    hansa_hash root;
    merkle_root(leaves, blk->n_txs, &root);
    free(leaves);
    if (blk->n_txs != blk->header.tx_count || !hash_eq(&root, &blk->header.tx_root))
        problem(cs, "block %llu: its tx root is not the Merkle root of its %u txs",
                (unsigned long long)h, blk->n_txs);
}

/* The commit stored for h certifies block hash at height h. */
static void check_commit(store *st, check_state *cs, uint64_t h, const hansa_hash *hash) {
    hbuf raw = HBUF_INIT;
    wire_commit c;
    if (store_get_commit(st, h, &raw) != HANSA_OK) {
        problem(cs, "commit %llu: %s", (unsigned long long)h, store_errmsg(st));
    } else if (wire_commit_decode(raw.data, raw.len, &c, NULL) != HANSA_OK) {
        problem(cs, "commit %llu: does not decode", (unsigned long long)h);
    } else {
        if (c.height != h || !hash_eq(&c.block, hash))
            problem(cs, "commit %llu: certifies another block (height %llu)",
                    (unsigned long long)h, (unsigned long long)c.height);
        wire_commit_free(&c);
    }
    hbuf_free(&raw);
}

/* Decodes block h and checks what its bytes say against the store. prev
 * holds the hash of block h-1 (zero if unknown) and gets this one's. */
static void check_block(store *st, check_state *cs, uint64_t h, hansa_hash *prev,
                        hansa_hash *app_hash) {
    hbuf raw = HBUF_INIT;
    hansa_hash stored;
    wire_block blk;
    if (store_get_block(st, h, &raw, &stored) != HANSA_OK) {
        problem(cs, "block %llu: %s", (unsigned long long)h, store_errmsg(st));
        memset(prev, 0, sizeof *prev);
    } else if (wire_block_decode(raw.data, raw.len, &blk, NULL) != HANSA_OK) {
        problem(cs, "block %llu: does not decode", (unsigned long long)h);
        memset(prev, 0, sizeof *prev);
    } else {
        hansa_hash hh;
        wire_header_hash(&blk.header, &hh);
        if (!hash_eq(&hh, &stored))
            problem(cs, "block %llu: its header hashes to another value than the one stored "
                        "with it", (unsigned long long)h);
        if (blk.header.height != h)
            problem(cs, "block %llu: its header says height %llu", (unsigned long long)h,
                    (unsigned long long)blk.header.height);
        static const hansa_hash zero;
        if (!hash_eq(prev, &zero) && !hash_eq(prev, &blk.header.prev_block))
            problem(cs, "block %llu: does not link to block %llu", (unsigned long long)h,
                    (unsigned long long)h - 1);
        check_txs(st, cs, h, &blk);
        check_commit(st, cs, h, &stored);
        *prev = stored;
        *app_hash = blk.header.app_hash;
        wire_block_free(&blk);
    }
    hbuf_free(&raw);
}

/* The store folder: DIR itself when it holds data.mdb, else DIR/data (a
 * node's home). */
static void store_dir(const char *dir, char out[CLI_PATH_MAX]) {
    struct stat sb;
    snprintf(out, CLI_PATH_MAX, "%s/data.mdb", dir);
    if (stat(out, &sb) == 0) snprintf(out, CLI_PATH_MAX, "%s", dir);
    else snprintf(out, CLI_PATH_MAX, "%s/data", dir);
}

static int store_check_cmd(const char *dir, bool json) {
    char path[CLI_PATH_MAX];
    store_dir(dir, path);
    store *st;
    hansa_err e = store_open(path, &(store_options){.read_only = true}, &st);
    if (e == HANSA_ERR_CORRUPT) {
        printf("store %s: DAMAGED: it cannot be opened (the line above says why)\n", path);
        return CLI_FAILED;
    }
    if (e != HANSA_OK) {
        fprintf(stderr, "hansa store check: cannot open the store in %s (the line above says "
                        "why%s)\n", path, e == HANSA_ERR_STATE ? "; stop the node first" : "");
        return CLI_USAGE;
    }
    /* From here on every problem is a line of the report; the store's own
     * log lines about the same records would only repeat them. */
    log_set_level(LOG_OFF);
    check_state cs = {0};
    store_check_summary sum;
    printf("store %s\n", path);
    store_check(st, &sum, say_problem, &cs);
    hansa_hash prev = {0}, app_hash = {0};
    for (uint64_t h = sum.first_height; sum.has_tip && h >= 1 && h <= sum.tip.height; h++)
        check_block(st, &cs, h, &prev, &app_hash);
    if (sum.has_tip && !hash_eq(&app_hash, &sum.tip.app_hash))
        problem(&cs, "meta: the tip's app hash is not the last block's");
    if (cs.txs != sum.tx_index)
        problem(&cs, "tx_index: %llu entries for %llu txs in the blocks",
                (unsigned long long)sum.tx_index, (unsigned long long)cs.txs);
    store_close(st);
    if (json) {
        json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I}", "store", path,
                              "ok", cs.problems == 0, "problems", (json_int_t)cs.problems,
                              "tip", (json_int_t)(sum.has_tip ? sum.tip.height : 0), "blocks",
                              (json_int_t)sum.blocks, "txs", (json_int_t)cs.txs, "state",
                              (json_int_t)sum.state, "wal", (json_int_t)sum.wal, "first",
                              (json_int_t)sum.first_height, "tx_pruned", (json_int_t)sum.tx_pruned,
                              "signer", sum.has_signer, "snapshots", (json_int_t)sum.snapshots);
        cli_print_json(j);
        json_decref(j);
    } else {
        printf("  tip %llu, %llu blocks from %llu, %llu txs indexed (%llu more of pruned "
               "blocks), %llu state records, %llu WAL records, signer state %s\n",
               (unsigned long long)(sum.has_tip ? sum.tip.height : 0),
               (unsigned long long)sum.blocks, (unsigned long long)sum.first_height,
               (unsigned long long)sum.tx_index, (unsigned long long)sum.tx_pruned,
               (unsigned long long)sum.state,
               (unsigned long long)sum.wal, sum.has_signer ? "present" : "absent");
        if (cs.problems == 0) printf("ok\n");
        else printf("DAMAGED: %llu problem(s)\n", (unsigned long long)cs.problems);
    }
    return cs.problems == 0 ? CLI_OK : CLI_FAILED;
}

static int usage(void) {
    fprintf(stderr, "usage: hansa store check DIR [--json]\n"
                    "  DIR: a stopped node's home (its store is DIR/data) or a store folder\n");
    return CLI_USAGE;
}

int cmd_store(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[1], "check") != 0) return usage();
    const char *dir = NULL;
    bool json = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = true;
        else if (!dir && argv[i][0] != '-') dir = argv[i];
        else return usage();
    }
    if (!dir) return usage();
    return store_check_cmd(dir, json);
}
