/* bench.c — see bench.h. The load itself is bench_load.c, the in-process
 * block timing bench_block.c; this file is the command: options, the
 * network's life, and the report. */
#define _GNU_SOURCE
#include "cmd/lib/bench.h"

#include <errno.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/lib/bench_block.h"
#include "cmd/lib/bench_crypto.h"
#include "cmd/lib/bench_load.h"
#include "cmd/lib/testnet.h"
#include "crypto/sign.h"
#include "wire/types.h"

#define VERIFY_MS 1000
#define WARMUP_S 3.0

typedef struct {
    const char *dir;
    bool dir_given;
    int validators;
    int duration_s;
    int accounts;
    int window;
    bool attach;
    bool keep;
    bool block;
} bench_opts;

static int cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- report ---- */

static void print_load(const bench_load_result *r) {
    double tps = (double)r->committed_txs / r->window_s;
    uint64_t blocks = r->height_to - r->height_from;
    printf("  committed          %llu transactions in %.1f s = %.0f tx/s\n",
           (unsigned long long)r->committed_txs, r->window_s, tps);
    printf("  heights            %llu -> %llu (%llu blocks, %.1f per second)\n",
           (unsigned long long)r->height_from, (unsigned long long)r->height_to,
           (unsigned long long)blocks, (double)blocks / r->window_s);
    printf("  block size         avg %.0f tx, max %llu tx\n",
           blocks ? (double)r->committed_txs / (double)blocks : 0.0,
           (unsigned long long)r->block_txs_max);
    printf("  commit latency     p50 %.0f ms, p99 %.0f ms, max %.0f ms  (submit -> seen committed, %zu txs)\n",
           r->latency_ms_p50, r->latency_ms_p99, r->latency_ms_max, r->latency_samples);
    printf("  submitted          %llu, refused %llu%s%s\n", (unsigned long long)r->submitted,
           (unsigned long long)r->refused, r->refused ? " (last: " : "",
           r->refused ? r->last_refusal : "");
    if (r->refused) printf(")\n");
}

static double print_cpu(const bench_load_result *r) {
    double total = 0;
    printf("  cpu, %% of one core ");
    for (int i = 0; i < r->n_nodes; i++) {
        printf(" node%d %.0f%%", i, r->node_cpu_pct[i]);
        total += r->node_cpu_pct[i];
    }
    printf("; all nodes %.0f%%; load generator %.0f%%\n", total, r->self_cpu_pct);
    printf("  machine            all cores %.0f%% busy (anything else running counts here too)\n",
           r->machine_busy_pct);
    return total;
}

static void print_bound(const bench_load_result *r, int n, int c, double verify_rate) {
    double tps = (double)r->committed_txs / r->window_s;
    double bound = (double)c * verify_rate / (double)n;
    printf("  verify bound       C x verify_rate / N = %d x %.0f / %d = %.0f tx/s\n", c, verify_rate,
           n, bound);
    printf("  ratio              committed / bound = %.0f / %.0f = %.3f\n", tps, bound, tps / bound);
}

static void print_block(void) {
    bench_block_result b;
    printf("\nfull block, in process, one core: %d signed transfers\n", WIRE_BLOCK_TXS_MAX);
    fflush(stdout);
    bench_block_run(WIRE_BLOCK_TXS_MAX, &b);
    printf("  build     %7.1f ms  (sign+encode txs %.1f, execute for app hash %.1f, encode block %.1f)\n",
           b.sign_encode_txs_ms + b.execute_ms + b.encode_block_ms, b.sign_encode_txs_ms,
           b.execute_ms, b.encode_block_ms);
    printf("  hash      %7.1f ms  (Merkle root over %u txs + header hash)\n", b.hash_ms, b.n_txs);
    printf("  validate  %7.1f ms  (decode+body check+id %.1f, verify %u sigs + apply %.1f)\n",
           b.decode_check_ms + b.verify_apply_ms, b.decode_check_ms, b.n_txs, b.verify_apply_ms);
    printf("  block     %zu bytes (%.0f bytes per tx)\n", b.block_bytes,
           (double)b.block_bytes / b.n_txs);
}

/* ---- the two modes ---- */

static bench_load_opts load_opts(const bench_opts *o, bool progress) {
    return (bench_load_opts){o->dir, o->accounts, o->window, WARMUP_S, (double)o->duration_s, progress};
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run_fresh(const bench_opts *o) {
    int c = cores();
    printf("hansa bench: %d delegates on %d cores, %d accounts x %d in flight, %d s measured after %.0f s warm-up\n",
           o->validators, c, o->accounts, o->window, o->duration_s, WARMUP_S);
    double verify_rate = bench_ed25519_verify_rate(VERIFY_MS);
    printf("ed25519 verify rate (one core, libsodium): %.0f/s\n\n", verify_rate);
    fflush(stdout);
    testnet_opts to = {o->dir, o->validators, o->accounts, 1000};
    int rc = testnet_up_dir(&to);
    bench_load_result r;
    if (rc == 0) {
        printf("\nload running...\n");
        fflush(stdout);
        bench_load_opts lo = load_opts(o, true);
        rc = bench_load_run(&lo, &r);
    }
    if (rc == 0) {
        printf("\nresults (%d delegates, %d cores)\n", o->validators, c);
        print_load(&r);
        print_cpu(&r);
        print_bound(&r, o->validators, c, verify_rate);
        rc = bench_load_check_agreement(o->dir);
    }
    testnet_down_dir(&to);
    if (!o->dir_given && !o->keep) nftw(o->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else printf("network folder kept: %s\n", o->dir);
    if (o->block) print_block();
    return rc;
}

static int run_attach(const bench_opts *o) {
    printf("sending signed transfers from %d accounts to the network in %s for %d s...\n",
           o->accounts, o->dir, o->duration_s + (int)WARMUP_S);
    fflush(stdout);
    bench_load_opts lo = load_opts(o, true);
    bench_load_result r;
    if (bench_load_run(&lo, &r) != 0) return 1;
    printf("\nwhat happened (the last %.0f s; the first %.0f s warmed up):\n", r.window_s, WARMUP_S);
    print_load(&r);
    print_cpu(&r);
    return bench_load_check_agreement(o->dir);
}

/* ---- options ---- */

static int usage(void) {
    fprintf(stderr,
            "usage: hansa bench [--validators N] [--duration S] [--accounts K] [--dir D]\n"
            "                   [--window W] [--keep] [--no-block]\n"
            "       hansa bench --attach [--dir D] [--duration S] [--accounts K] [--window W]\n"
            "  N 1..64 (4), S 1..3600 seconds (20), K 2..1000 (256), W 1..4096 in flight per account (8)\n");
    return 2;
}

static bool int_arg(const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

/* A flag, or an option with its value in argv[i+1] (then *i moves past it). */
static bool parse_one(int argc, char **argv, int *i, bench_opts *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--attach") == 0) return o->attach = true;
    if (strcmp(a, "--keep") == 0) return o->keep = true;
    if (strcmp(a, "--no-block") == 0) return !(o->block = false);
    if (*i + 1 >= argc) return false;
    const char *v = argv[++*i];
    if (strcmp(a, "--dir") == 0) {
        o->dir = v;
        return o->dir_given = true;
    }
    if (strcmp(a, "--validators") == 0) return int_arg(v, 1, 64, &o->validators);
    if (strcmp(a, "--duration") == 0) return int_arg(v, 1, 3600, &o->duration_s);
    if (strcmp(a, "--accounts") == 0) return int_arg(v, 2, 1000, &o->accounts);
    if (strcmp(a, "--window") == 0) return int_arg(v, 1, 4096, &o->window);
    return false;
}

static int parse(int argc, char **argv, bench_opts *o) {
    for (int i = 1; i < argc; i++)
        if (!parse_one(argc, argv, &i, o)) return usage();
    return 0;
}

int cmd_bench(int argc, char **argv) {
    static char tmp_dir[64];
    bench_opts o = {NULL, false, 4, 20, 256, 8, false, false, true};
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    crypto_init();
    if (o.attach) {
        if (!o.dir) o.dir = "testnet";
        return run_attach(&o);
    }
    if (!o.dir) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/hansa-bench-%d", (int)getpid());
        o.dir = tmp_dir;
    }
    struct stat st;
    if (stat(o.dir, &st) == 0) {
        fprintf(stderr, "hansa bench: %s already exists; give a new --dir (or use --attach to load "
                        "a running network)\n", o.dir);
        return 1;
    }
    return run_fresh(&o);
}
