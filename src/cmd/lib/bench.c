/* bench.c — see bench.h. The load itself is load.c (unpaced), the
 * in-process block timing bench_block.c; this file is the command: options,
 * the network's life, and what the measured window shows.
 *
 * How it measures. The load polls node0's status every 20 ms and calls back
 * here (on_tick). The window opens after the warm-up and closes when the
 * load returns. Committed tx/s is node0's committed_txs counter over the
 * window. A transaction's commit latency is the time from its first
 * submission to the poll that first shows its nonce consumed (counted for
 * commits seen in the window): it includes up to one poll interval and one
 * RPC round trip, so it is an upper bound. Block sizes come from the
 * committed_txs difference between consecutive heights seen one apart. CPU
 * is utime+stime from /proc/<pid>/stat of each hansad over the window, as a
 * percentage of one core, and /proc/stat says how busy the whole machine
 * was meanwhile. */
#define _GNU_SOURCE
#include "cmd/lib/bench.h"

#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/mem.h"
#include "cmd/lib/bench_block.h"
#include "cmd/lib/bench_crypto.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/load.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/sigbatch.h"
#include "crypto/sign.h"
#include "wire/types.h"

/* The verify rates: one core alone and all cores at once in alternating
 * slices, 1 s of each, before the load and again after the window. */
#define SCALING_SLICES 5
#define SCALING_SLICE_MS 200
/* After the window: how long to wait for the nodes to commit the load's
 * last transactions before measuring again, and each status call's. */
#define IDLE_WAIT_S_MAX 10.0
#define IDLE_RPC_TIMEOUT_MS 1000
/* Samples further apart than this get a warning: the host moved under the run. */
#define SAMPLES_APART_WARN 0.10
#define WARMUP_S 3.0
/* Transactions in flight per account: deep enough that the nodes' pools do
 * not run dry between blocks (at 8, 256 accounts kept ~1 s of the chain's
 * rate in flight only when commits were quick, and the nodes sat idle ~3%
 * of the window waiting for the load); the saturated run's latency is then
 * queueing, which is why the half-load run gives the latency figure. */
#define BENCH_WINDOW 16
/* The run at half load measures latency, not throughput: at most this long. */
#define HALF_LOAD_S_MAX 10
#define PROGRESS_S 5.0
#define RPC_TIMEOUT_MS 10000

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
    bool json;        /* the report goes to stderr, the figures as JSON to stdout */
    int chains;       /* 2: cross-chain transfers (bench_xfer.c); 0: one chain */
    int saved_stdout; /* with json: the real stdout while stdout is stderr */
    int down;         /* delegates stopped once the network is up: the last `down` */
    bool sign_live;   /* --sign-live: the clients sign as they submit, as before presigning */
    uint32_t presign; /* transactions per account signed before the load (0: none) */
    bool half;        /* after the saturated run, one paced at half its committed rate */
} bench_opts;

/* ---- CPU ---- */

/* utime + stime of pid in clock ticks, or -1 if it is gone. */
static long long cpu_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    const char *p = strrchr(buf, ')'); /* comm may hold spaces */
    unsigned long long ut, st;
    /* After ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15). */
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (long long)(ut + st);
}

/* The machine's busy and total ticks over all cores, from /proc/stat's
 * first line (user nice system idle iowait irq softirq steal ...). */
static void machine_ticks(long long *busy, long long *total) {
    *busy = *total = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    unsigned long long v[8] = {0};
    int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (k < 4) return;
    unsigned long long all = 0;
    for (int i = 0; i < 8; i++) all += v[i];
    *total = (long long)all;
    *busy = (long long)(all - v[3] - v[4]); /* minus idle and iowait */
}

typedef struct {
    uint64_t at_us;
    long long node[LOAD_NODES_MAX];
    long long self;
    long long machine_busy, machine_total;
} cpu_snap;

static void cpu_take(const int *pid, int n_nodes, cpu_snap *s) {
    s->at_us = clock_system_mono_us();
    for (int i = 0; i < n_nodes; i++) s->node[i] = cpu_ticks(pid[i]);
    s->self = cpu_ticks((int)getpid());
    machine_ticks(&s->machine_busy, &s->machine_total);
}

static double cpu_pct(long long a, long long b, double secs) {
    if (a < 0 || b < a || secs <= 0) return 0;
    return 100.0 * (double)(b - a) / (double)sysconf(_SC_CLK_TCK) / secs;
}

/* ---- verification, timed in the nodes ---- */

/* Every node's count of Ed25519 verifications and the thread CPU they
 * took (status' sig_verify_calls and sig_verify_cpu_ns, estimated there
 * from 1 call in VERIFY_CPU_SAMPLE_EVERY timed): the share of the nodes' CPU that goes to
 * verifying, measured where it happens. ok is false if a node did not
 * answer or lacks them. */
typedef struct {
    bool ok;
    uint64_t calls[LOAD_NODES_MAX];
    uint64_t cpu_ns[LOAD_NODES_MAX];
} verify_snap;

/* A decimal-string counter of status (nj_u64), into *v; false if absent or not one. */
static bool status_u64(json_t *st, const char *key, uint64_t *v) {
    const char *s = json_string_value(json_object_get(st, key));
    char *end = NULL;
    if (!s || !*s) return false;
    *v = strtoull(s, &end, 10);
    return *end == 0;
}

static void verify_take(const char *dir, int n_nodes, verify_snap *s) {
    s->ok = true;
    for (int i = 0; i < n_nodes && s->ok; i++) {
        char addr[64];
        rpcc_error err;
        json_t *st = testnet_rpc_addr(dir, i, addr, sizeof addr) == 0
                         ? rpcc_call(addr, "status", NULL, RPC_TIMEOUT_MS, &err)
                         : NULL;
        s->ok = st && status_u64(st, "sig_verify_calls", &s->calls[i]) &&
                status_u64(st, "sig_verify_cpu_ns", &s->cpu_ns[i]);
        json_decref(st);
    }
}

/* ---- the load and what it shows ---- */

typedef struct {
    double window_s;
    uint64_t committed_txs;          /* on the polled node (node0) during the window */
    uint64_t height_from, height_to; /* its heights at the window's ends */
    uint64_t block_txs_max;          /* largest block seen (heights seen one apart) */
    size_t latency_samples;
    double latency_ms_p50, latency_ms_p99, latency_ms_max;
    uint64_t submitted, refused;     /* over the whole run, warm-up included */
    uint64_t connections, resent;    /* the load's HTTP connections and requests resent (load.h) */
    const char *form;                /* the load's request form (load.h) */
    uint64_t presigned, signed_live; /* signed before the load, and during it */
    double presign_s;
    char last_refusal[LOAD_REASON_TEXT_MAX]; /* why the last refused transaction was refused */
    int n_nodes;
    double node_cpu_pct[LOAD_NODES_MAX]; /* per hansad, % of one core */
    double self_cpu_pct;                 /* this process: signing and RPC */
    double nodes_cpu_s, self_cpu_s;      /* CPU seconds over the window: all hansads, this process */
    bool nodes_verify_ok;                /* every node reported its verify CPU at both ends */
    double nodes_verify_cpu_s;           /* all nodes, over the window (verify_snap) */
    uint64_t nodes_verify_calls;
    /* All cores of the machine, busy (not idle or iowait) as a % of their
     * total: with the nodes' share it shows how much other work (other
     * processes on a shared machine) took from the bound. */
    double machine_busy_pct;
} bench_load_result;

/* What the bench follows during the load (the load's tick callback). */
typedef struct {
    int n_nodes;
    int pid[LOAD_NODES_MAX];
    bool progress;
    double next_progress_s;
    bool measuring;          /* past the warm-up */
    uint64_t window_start_us;
    const char *dir;
    cpu_snap c0;
    verify_snap v0;
    uint64_t h0, tx0;        /* height and committed_txs when the window opened */
    uint64_t height, txs;    /* at the last tick */
    uint64_t block_txs_max;
} bench_watch;

static void on_tick(const load_tick *t, void *arg) {
    bench_watch *w = arg;
    if (!w->measuring && t->t_s >= WARMUP_S) {
        w->measuring = true;
        w->window_start_us = t->now_us;
        cpu_take(w->pid, w->n_nodes, &w->c0);
        verify_take(w->dir, w->n_nodes, &w->v0);
        w->h0 = t->height;
        w->tx0 = t->committed_txs;
    } else if (w->measuring && t->height == w->height + 1 && t->committed_txs - w->txs > w->block_txs_max) {
        w->block_txs_max = t->committed_txs - w->txs;
    }
    w->height = t->height;
    w->txs = t->committed_txs;
    if (w->progress && t->t_s >= w->next_progress_s) {
        w->next_progress_s += PROGRESS_S;
        printf("  t=%3.0fs  height %-6llu committed %-8llu  submitted %-8llu refused %llu\n", t->t_s,
               (unsigned long long)t->height, (unsigned long long)t->committed_txs,
               (unsigned long long)t->r->submits,
               (unsigned long long)(t->r->rejected + t->r->unreachable));
        fflush(stdout);
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Commit latencies of the transactions seen committed in the window. */
static void window_latency(const load_result *r, uint64_t from_us, bench_load_result *out) {
    uint64_t *lat = hansa_calloc(r->n_txs ? r->n_txs : 1, sizeof *lat);
    size_t n = 0;
    for (size_t i = 0; i < r->n_txs; i++) {
        const load_tx *t = &r->txs[i];
        if (t->state == LOAD_TX_COMMITTED && t->commit_us >= from_us && t->commit_us > t->submit_us)
            lat[n++] = t->commit_us - t->submit_us;
    }
    out->latency_samples = n;
    if (n) {
        qsort(lat, n, sizeof *lat, cmp_u64);
        out->latency_ms_p50 = (double)lat[n / 2] / 1000.0;
        out->latency_ms_p99 = (double)lat[(n * 99) / 100] / 1000.0;
        out->latency_ms_max = (double)lat[n - 1] / 1000.0;
    }
    free(lat);
}

/* The nodes' verification over the window: v0 from the watch, v1 now. */
static void window_verify(const bench_watch *w, bench_load_result *out) {
    verify_snap v1;
    verify_take(w->dir, w->n_nodes, &v1);
    out->nodes_verify_ok = w->v0.ok && v1.ok;
    for (int i = 0; i < w->n_nodes && out->nodes_verify_ok; i++) {
        out->nodes_verify_ok = v1.calls[i] >= w->v0.calls[i] && v1.cpu_ns[i] >= w->v0.cpu_ns[i];
        out->nodes_verify_calls += v1.calls[i] - w->v0.calls[i];
        out->nodes_verify_cpu_s += (double)(v1.cpu_ns[i] - w->v0.cpu_ns[i]) / 1e9;
    }
}

/* The window's figures from the load's result and the watch. */
static void window_figures(const load_result *r, const bench_watch *w, bench_load_result *out) {
    cpu_snap c1;
    cpu_take(w->pid, w->n_nodes, &c1);
    window_verify(w, out);
    out->window_s = (double)(c1.at_us - w->c0.at_us) / 1e6;
    out->height_from = w->h0;
    out->height_to = r->height_end;
    out->committed_txs = r->committed_txs_end - w->tx0;
    out->block_txs_max = w->block_txs_max;
    out->submitted = r->submits;
    out->connections = r->connections;
    out->resent = r->resent;
    out->form = r->form;
    out->presigned = r->presigned;
    out->signed_live = r->signed_live;
    out->presign_s = r->presign_s;
    out->refused = r->rejected + r->unreachable;
    snprintf(out->last_refusal, sizeof out->last_refusal, "%s", r->last_reason);
    out->n_nodes = w->n_nodes;
    for (int i = 0; i < w->n_nodes; i++)
        out->node_cpu_pct[i] = cpu_pct(w->c0.node[i], c1.node[i], out->window_s);
    out->self_cpu_pct = cpu_pct(w->c0.self, c1.self, out->window_s);
    double tick_s = 1.0 / (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < w->n_nodes; i++)
        if (w->c0.node[i] >= 0 && c1.node[i] >= w->c0.node[i])
            out->nodes_cpu_s += (double)(c1.node[i] - w->c0.node[i]) * tick_s;
    out->self_cpu_s = c1.self >= w->c0.self ? (double)(c1.self - w->c0.self) * tick_s : 0;
    long long dt = c1.machine_total - w->c0.machine_total;
    out->machine_busy_pct = w->c0.machine_total >= 0 && dt > 0
                                ? 100.0 * (double)(c1.machine_busy - w->c0.machine_busy) / (double)dt
                                : 0;
    window_latency(r, w->window_start_us, out);
}

/* The nodes running: all of dir's, less the last `down` (stopped on purpose). */
static int nodes_up(const char *dir, int down) { return testnet_size(dir) - down; }

static int find_pids(const char *dir, int down, bench_watch *w) {
    w->n_nodes = nodes_up(dir, down);
    if (w->n_nodes == 0) {
        fprintf(stderr, "hansa bench: no network in %s\n", dir);
        return CLI_USAGE;
    }
    HANSA_ASSERT(w->n_nodes <= LOAD_NODES_MAX);
    for (int i = 0; i < w->n_nodes; i++) {
        w->pid[i] = testnet_node_pid(dir, i);
        if (w->pid[i] == 0) {
            fprintf(stderr, "hansa bench: node%d of %s is not running (hansa testnet up --dir %s)\n",
                    i, dir, dir);
            return CLI_UNREACHABLE;
        }
    }
    return 0;
}

/* Saturates the network in o->dir for the warm-up and o->duration_s (the
 * load of load.h, unpaced, o->window in flight per account). Returns 0 with
 * *out filled, or an exit code of docs/cli.md after printing to stderr
 * what went wrong: CLI_USAGE (no network), CLI_UNREACHABLE (a node not
 * running or not answering), CLI_FAILED (no transaction committed in the
 * window). */
static int bench_load_run(const bench_opts *o, double rate_tx_s, int duration_s, bench_load_result *out) {
    memset(out, 0, sizeof *out);
    bench_watch w = {.progress = true, .next_progress_s = PROGRESS_S, .dir = o->dir};
    int rc = find_pids(o->dir, o->down, &w);
    if (rc != CLI_OK) return rc;
    load_opts lo = {.dir = o->dir, .accounts = o->accounts, .rate_tx_s = rate_tx_s,
                    .duration_s = WARMUP_S + duration_s, .fee = 1, .window = (uint32_t)o->window,
                    .on_tick = on_tick, .tick_arg = &w, .nodes = w.n_nodes, .presign = o->presign,
                    .presign_threads = bench_cores()};
    load_result r;
    char why[512];
    rc = load_run(&lo, &r, why, sizeof why);
    if (rc != 0) fprintf(stderr, "hansa bench: %s\n", why);
    else if (w.measuring) window_figures(&r, &w, out);
    load_result_free(&r);
    if (rc == 0 && out->committed_txs == 0) {
        fprintf(stderr, "hansa bench: no transaction was committed in %.0f s (last refusal: %s)\n",
                out->window_s, out->last_refusal[0] ? out->last_refusal : "none");
        rc = CLI_FAILED;
    }
    return rc;
}

/* ---- agreement ---- */

/* Asks every running node of the network in dir (all less the last `down`) for its status until all report the
 * same height (they commit several blocks a second, so a few tries usually
 * suffice), then compares their app hashes. Prints the outcome. Returns 0 if
 * all agree, CLI_FAILED if they differ or never stood at one height,
 * CLI_UNREACHABLE if one does not answer (stderr says). */

typedef struct {
    uint64_t height;
    char app_hash[2 * HANSA_HASH_BYTES + 1];
} node_tip;

static int read_tips(const char *dir, int n, node_tip *tips) {
    for (int i = 0; i < n; i++) {
        char addr[64];
        rpcc_error err;
        json_t *st = testnet_rpc_addr(dir, i, addr, sizeof addr) == 0
                         ? rpcc_call(addr, "status", NULL, RPC_TIMEOUT_MS, &err)
                         : NULL;
        if (!st) {
            fprintf(stderr, "hansa bench: node%d does not answer status\n", i);
            return CLI_UNREACHABLE;
        }
        tips[i].height = (uint64_t)json_integer_value(json_object_get(st, "height"));
        snprintf(tips[i].app_hash, sizeof tips[i].app_hash, "%s",
                 json_string_value(json_object_get(st, "app_hash")) ?: "");
        json_decref(st);
    }
    return 0;
}

static int check_agreement(const char *dir, int down) {
    int n = nodes_up(dir, down);
    node_tip tips[LOAD_NODES_MAX];
    HANSA_ASSERT(n <= LOAD_NODES_MAX);
    for (int attempt = 0; attempt < 200 && n > 0; attempt++) {
        int rc = read_tips(dir, n, tips);
        if (rc != CLI_OK) return rc;
        bool same_height = true, same_hash = true;
        for (int i = 1; i < n; i++) {
            same_height = same_height && tips[i].height == tips[0].height;
            same_hash = same_hash && strcmp(tips[i].app_hash, tips[0].app_hash) == 0;
        }
        if (!same_height) {
            usleep(5000);
            continue;
        }
        if (!same_hash) {
            fprintf(stderr, "hansa bench: DISAGREEMENT at height %llu:\n",
                    (unsigned long long)tips[0].height);
            for (int i = 0; i < n; i++) fprintf(stderr, "  node%d app hash %s\n", i, tips[i].app_hash);
            return CLI_FAILED;
        }
        printf("  all %d nodes at height %llu agree: app hash %.16s…\n", n,
               (unsigned long long)tips[0].height, tips[0].app_hash);
        return 0;
    }
    fprintf(stderr, "hansa bench: the nodes never stood at one height (is one of them stuck?)\n");
    return CLI_FAILED;
}

/* ---- report ---- */

/* Committed tx/s over the window. */
static double window_tps(const bench_load_result *r) { return (double)r->committed_txs / r->window_s; }

/* The bound, C x the single-core verify rate / N, and the ratio of
 * the window's committed tx/s to it: one definition for every line and
 * field that prints them. */
static double verify_bound(int n, int c, double verify_rate) { return (double)c * verify_rate / (double)n; }
static double bound_ratio(const bench_load_result *r, int n, int c, double verify_rate) {
    return window_tps(r) / verify_bound(n, c, verify_rate);
}

static void print_load(const bench_load_result *r) {
    double tps = window_tps(r);
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
    printf("  submitted          %llu as %s over %llu kept connections (%llu requests resent), refused %llu%s%s\n",
           (unsigned long long)r->submitted, r->form ? r->form : "-", (unsigned long long)r->connections,
           (unsigned long long)r->resent, (unsigned long long)r->refused, r->refused ? " (last: " : "",
           r->refused ? r->last_refusal : "");
    if (r->refused) printf(")\n");
    if (r->presigned)
        printf("  clients            signed %llu transfers before the load (%.1f s, every core), %llu "
               "during it: while measured they only submit\n", (unsigned long long)r->presigned,
               r->presign_s, (unsigned long long)r->signed_live);
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

static void print_bound(const bench_load_result *r, int n, int c, const bench_verify_scaling *v) {
    double tps = window_tps(r);
    double bound = verify_bound(n, c, v->one_per_s);
    printf("  verify bound       C x verify_rate / N running = %d x %.0f / %d = %.0f tx/s\n", c,
           v->one_per_s, n, bound);
    printf("  ratio              committed / bound = %.0f / %.0f = %.3f\n", tps, bound,
           bound_ratio(r, n, c, v->one_per_s));
    printf("  all cores verifying  F x C x single-core = %.3f x %d x %.0f = %.0f/s aggregate\n", v->factor,
           c, v->one_per_s, v->all_per_s);
    printf("  ratio against the all-core rate  committed / (X / N) = %.0f / %.0f = %.3f\n", tps,
           v->all_per_s / (double)n, tps * (double)n / v->all_per_s);
}

/* The ratio as a product of measured factors. With s the
 * verification share of the nodes' CPU (timed in the nodes), u1 the
 * single-core cost of a verify (1 / the bound's rate), u the in-node cost
 * of one, q the nodes' CPU over all C cores' time in the window and k the
 * verifications per committed transaction per delegate:
 *     committed / window = s x q x C x window / u / (N x k) / window
 *     ratio = committed / window / (C / (u1 x N)) = s x (u1 / u) x q / k
 * an identity (the product equals the ratio but for rounding): what it
 * shows is which factor is short of 1. u1 / u splits further into F (one
 * core's cost against a core's when all verify at once) and that all-core
 * cost against the nodes'. */
typedef struct {
    bool ok;
    const char *missing; /* !ok: the figure it lacks */
    double share;       /* s */
    double u1_us, u_us; /* single-core, in-node cost per verify */
    double u_all_us;    /* a core's wall time per verify when all cores verify */
    double cores_share; /* q */
    double per_verify;  /* 1 / k = N x committed / verifies */
    double product;
} ratio_factors;

/* The figure the factored ratio lacks, or NULL when it has them all. */
static const char *factor_missing(const bench_load_result *r, const bench_verify_scaling *v) {
    if (!r->nodes_verify_ok) return "a node lacks status' sig_verify_cpu_ns";
    if (!r->committed_txs) return "nothing was committed in the window";
    if (r->nodes_cpu_s <= 0) return "the nodes' CPU read nothing";
    if (!r->nodes_verify_calls || r->nodes_verify_cpu_s <= 0) return "the nodes counted no verification";
    if (v->one_per_s <= 0 || v->all_per_s <= 0) return "no verify rate was measured";
    return NULL;
}

static ratio_factors factor_ratio(const bench_load_result *r, int n, int c, const bench_verify_scaling *v) {
    ratio_factors f = {.missing = factor_missing(r, v)};
    if (f.missing) return f;
    f.ok = true;
    f.share = r->nodes_verify_cpu_s / r->nodes_cpu_s;
    f.u1_us = 1e6 / v->one_per_s;
    f.u_all_us = (double)c * 1e6 / v->all_per_s;
    f.u_us = r->nodes_verify_cpu_s * 1e6 / (double)r->nodes_verify_calls;
    f.cores_share = r->nodes_cpu_s / ((double)c * r->window_s);
    f.per_verify = (double)n * (double)r->committed_txs / (double)r->nodes_verify_calls;
    f.product = f.share * (f.u1_us / f.u_us) * f.cores_share * f.per_verify;
    return f;
}

static void print_factors(const ratio_factors *f, double ratio) {
    if (!f->ok) {
        printf("  ratio, factored    not reported (%s)\n", f->missing);
        return;
    }
    printf("  ratio, factored      %.3f verification's share of the nodes' CPU (timed in the nodes)\n",
           f->share);
    printf("                     x %.3f single-core / in-node cost per verify (%.1f / %.1f us)"
           " = F %.3f x all-core / in-node %.3f (%.1f / %.1f us)\n", f->u1_us / f->u_us, f->u1_us,
           f->u_us, f->u1_us / f->u_all_us, f->u_all_us / f->u_us, f->u_all_us, f->u_us);
    printf("                     x %.3f the nodes' share of all cores (their CPU / C x window)\n",
           f->cores_share);
    printf("                     x %.3f N x committed / verifies in the nodes\n", f->per_verify);
    /* An identity: the nodes' figures cancel, so the product is the ratio
     * whatever they read; what it shows is which factor is short. */
    printf("                     = %.3f  (= the ratio %.3f, by construction)\n", f->product, ratio);
}

/* The figures that other load on the machine does not move (much): CPU
 * time per committed transaction, the nodes' and the load generator's.
 * What part of the nodes' is verification the nodes time themselves
 * (print_nodes_verify; the factored ratio's first factor): the bench no
 * longer samples a yardstick of its own in the window, which cost the
 * cores the nodes were measured on (docs/bench.md, "Seventh pass"). */
typedef struct {
    double node_us, self_us;  /* CPU µs per committed tx: all nodes, the load generator */
    double self_share;        /* self_us / (node_us + self_us) */
} cpu_per_tx;

static cpu_per_tx cpu_figures(const bench_load_result *r) {
    cpu_per_tx f = {0};
    if (!r->committed_txs) return f;
    f.node_us = r->nodes_cpu_s * 1e6 / (double)r->committed_txs;
    f.self_us = r->self_cpu_s * 1e6 / (double)r->committed_txs;
    f.self_share = f.node_us + f.self_us > 0 ? f.self_us / (f.node_us + f.self_us) : 0;
    return f;
}

static void print_cpu_per_tx(const cpu_per_tx *f) {
    printf("  cpu per tx         nodes %.1f us (all nodes' user+sys / committed), load generator %.1f us"
           " (%.1f%% of the two)\n", f->node_us, f->self_us, 100.0 * f->self_share);
}

/* The verification share of the nodes' CPU as the nodes timed it, per
 * committed transaction and per verification. */
static void print_nodes_verify(const bench_load_result *r) {
    if (!r->nodes_verify_ok || !r->committed_txs || r->nodes_cpu_s <= 0) {
        printf("  verification, timed in the nodes   not reported (a node lacks status' sig_verify_cpu_ns)\n");
        return;
    }
    double us = r->nodes_verify_cpu_s * 1e6;
    printf("  verification, timed in the nodes   %.1f%% of the nodes' CPU (%.1f us per committed tx; "
           "%.1f us per verify, %llu verifies)\n", 100.0 * r->nodes_verify_cpu_s / r->nodes_cpu_s,
           us / (double)r->committed_txs, r->nodes_verify_calls ? us / (double)r->nodes_verify_calls : 0.0,
           (unsigned long long)r->nodes_verify_calls);
}

static json_t *nodes_verify_json(const bench_load_result *r) {
    if (!r->nodes_verify_ok || !r->committed_txs || r->nodes_cpu_s <= 0) return json_null();
    return json_pack("{s:f, s:I, s:f, s:f}", "cpu_s", r->nodes_verify_cpu_s, "verifies",
                     (json_int_t)r->nodes_verify_calls, "share_of_nodes_cpu",
                     r->nodes_verify_cpu_s / r->nodes_cpu_s, "us_per_tx",
                     r->nodes_verify_cpu_s * 1e6 / (double)r->committed_txs);
}

static void print_block(bench_block_result *out) {
    bench_block_result b;
    printf("\nfull block, in process: %d signed transfers\n", WIRE_BLOCK_TXS_MAX);
    fflush(stdout);
    bench_block_run(WIRE_BLOCK_TXS_MAX, &b);
    printf("  build     %7.1f ms  (sign+encode txs %.1f, execute for app hash %.1f, encode block %.1f)\n",
           b.sign_encode_txs_ms + b.execute_ms + b.encode_block_ms, b.sign_encode_txs_ms,
           b.execute_ms, b.encode_block_ms);
    printf("  hash      %7.1f ms  (Merkle root over %u txs + header hash)\n", b.hash_ms, b.n_txs);
    printf("  proposer  %7.1f ms  (execute + encode + hash: build and hash, the clients' signing aside)\n",
           b.execute_ms + b.encode_block_ms + b.hash_ms);
    printf("  validate  %7.1f ms  txs held (in the mempool: hashed and looked up, no signature again)\n",
           b.held_validate_ms);
    printf("  validate  %7.1f ms  cold (decode+body check+id %.1f, verify %u sigs on %u threads + apply %.1f)\n",
           b.decode_check_ms + b.verify_apply_ms, b.decode_check_ms, b.n_txs, sig_batch_threads(),
           b.verify_apply_ms);
    printf("  block     %zu bytes (%.0f bytes per tx)\n", b.block_bytes,
           (double)b.block_bytes / b.n_txs);
    *out = b;
}

/* ---- --json ---- */

/* With --json the human report still goes out, to stderr: stdout is pointed
 * at stderr for the run (report_to_stderr) and back for the one JSON result
 * (print_result), so the report code stays one set of printf lines. */
static int report_to_stderr(void) {
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    HANSA_ASSERT(saved >= 0);
    HANSA_ASSERT(dup2(STDERR_FILENO, STDOUT_FILENO) >= 0);
    return saved;
}

/* The --json result: the figures of the report; verify_rate 0 (attached to
 * a running network) leaves out the bound and the ratio. */
static json_t *result_json(const bench_load_result *r, int n, int c, double verify_rate, bool agree) {
    double tps = window_tps(r);
    json_t *cpu = json_array();
    double total = 0;
    for (int i = 0; i < r->n_nodes; i++) {
        json_array_append_new(cpu, json_real(r->node_cpu_pct[i]));
        total += r->node_cpu_pct[i];
    }
    json_t *j = json_pack("{s:i, s:i, s:I, s:f, s:f, s:I, s:I, s:I, s:{s:f, s:f, s:f, s:I}, s:I, s:I,"
                          " s:{s:o, s:f, s:f, s:f}, s:b}",
                          "validators", n, "cores", c, "committed_txs", (json_int_t)r->committed_txs,
                          "window_s", r->window_s, "tx_per_s", tps, "height_from", (json_int_t)r->height_from,
                          "height_to", (json_int_t)r->height_to, "block_txs_max", (json_int_t)r->block_txs_max,
                          "latency_ms", "p50", r->latency_ms_p50, "p99", r->latency_ms_p99, "max",
                          r->latency_ms_max, "samples", (json_int_t)r->latency_samples, "submitted",
                          (json_int_t)r->submitted, "refused", (json_int_t)r->refused, "cpu_pct", "nodes", cpu,
                          "all_nodes", total, "load_generator", r->self_cpu_pct, "machine_busy",
                          r->machine_busy_pct, "agree", agree);
    json_object_set_new(j, "presigned", json_integer((json_int_t)r->presigned));
    json_object_set_new(j, "signed_live", json_integer((json_int_t)r->signed_live));
    json_object_set_new(j, "connections", json_integer((json_int_t)r->connections));
    json_object_set_new(j, "resent", json_integer((json_int_t)r->resent));
    if (r->form) json_object_set_new(j, "form", json_string(r->form));
    if (verify_rate > 0) {
        json_object_set_new(j, "verify_rate", json_real(verify_rate));
        json_object_set_new(j, "verify_bound_tx_per_s", json_real(verify_bound(n, c, verify_rate)));
        json_object_set_new(j, "ratio", json_real(bound_ratio(r, n, c, verify_rate)));
    }
    return j;
}

/* The all-core rate and the factored ratio, beside the bound in --json. */
static json_t *scaling_json(const bench_load_result *r, int n, const bench_verify_scaling *v,
                            const ratio_factors *f) {
    double tps = window_tps(r);
    json_t *j = json_pack("{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "threads", v->threads,
                          "one_per_s", v->one_per_s, "one_per_cpu_s", v->one_per_cpu_s, "all_per_s",
                          v->all_per_s, "all_per_cpu_s", v->all_per_cpu_s, "factor", v->factor,
                          "cpu_factor", v->cpu_factor,
                          "all_core_bound_tx_per_s", v->all_per_s / (double)n, "ratio_all_core",
                          tps * (double)n / v->all_per_s);
    json_t *fj = f->ok ? json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "verify_share", f->share,
                                   "single_core_us", f->u1_us, "all_core_us", f->u_all_us, "in_node_us",
                                   f->u_us, "single_over_in_node", f->u1_us / f->u_us, "nodes_share_of_cores",
                                   f->cores_share, "n_committed_per_verify", f->per_verify, "product",
                                   f->product, "ratio", bound_ratio(r, n, v->threads, v->one_per_s))
                       : json_null();
    json_object_set_new(j, "ratio_factors", fj);
    return j;
}

static json_t *cpu_json(const cpu_per_tx *f) {
    return json_pack("{s:f, s:f, s:f}", "nodes_us", f->node_us, "load_generator_us", f->self_us,
                     "load_generator_share", f->self_share);
}

static json_t *block_json(const bench_block_result *b) {
    return json_pack("{s:i, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "txs", (int)b->n_txs, "bytes",
                     (json_int_t)b->block_bytes, "sign_encode_txs_ms", b->sign_encode_txs_ms, "execute_ms",
                     b->execute_ms, "encode_block_ms", b->encode_block_ms, "hash_ms", b->hash_ms,
                     "decode_check_ms", b->decode_check_ms, "verify_apply_ms", b->verify_apply_ms,
                     "held_validate_ms", b->held_validate_ms);
}

/* Points stdout back at the real one and prints j (taken) there. */
static void print_result(int saved_stdout, json_t *j) {
    fflush(stdout);
    HANSA_ASSERT(dup2(saved_stdout, STDOUT_FILENO) >= 0);
    close(saved_stdout);
    cli_print_json(j);
    json_decref(j);
}

/* ---- the two modes ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Stops the last o->down delegates: the rest (more than two thirds of the
 * weight, as parse checks) go on committing without them, and every round
 * one of them would have proposed times out first. */
static int stop_delegates(const bench_opts *o) {
    for (int i = o->validators - o->down; i < o->validators; i++) {
        if (!testnet_stop_node(o->dir, i)) {
            fprintf(stderr, "hansa bench: node%d was not running, cannot stop it\n", i);
            return CLI_FAILED;
        }
        printf("stopped node%d (--down %d)\n", i, o->down);
    }
    return CLI_OK;
}

/* Transactions per account to sign before the load: what the bound (at the
 * CPU-time verify rate, which a loaded machine does not lower) would
 * commit over the whole run, plus a window; at most PRESIGN_MAX over all
 * accounts (about 200 MB), past which they are signed as they go. */
#define PRESIGN_MAX 1000000u

static uint32_t presign_for(const bench_opts *o, double tx_per_s, double secs) {
    double per = tx_per_s * secs / (double)o->accounts + (double)o->window;
    double cap = (double)PRESIGN_MAX / (double)o->accounts;
    return (uint32_t)(per < cap ? per : cap);
}

static uint32_t presign_count(const bench_opts *o, int c, double verify_cpu_rate) {
    return presign_for(o, verify_bound(o->validators - o->down, c, verify_cpu_rate), WARMUP_S + o->duration_s);
}

/* The verify rates the bound and the all-core rate use, measured before
 * the load (one core alone and all cores at once, alternating), printed. */
static void measure_verify(int c, bench_verify_scaling *vs) {
    bench_ed25519_verify_scaling(c, SCALING_SLICE_MS, SCALING_SLICES, vs);
    printf("ed25519 verify rate (one core, libsodium, 256 distinct transfers): %.0f/s (%.0f per cpu-second)\n",
           vs->one_per_s, vs->one_per_cpu_s);
    printf("ed25519 verify rate, all %d cores at once: %.0f/s aggregate (%.0f per thread cpu-second), "
           "F = %.3f\n  (%d + %d alternating slices of %d ms, one core alone / all at once; per cpu-second,"
           " all at once / alone %.3f)\n\n", c, vs->all_per_s, vs->all_per_cpu_s, vs->factor, SCALING_SLICES,
           SCALING_SLICES, SCALING_SLICE_MS, vs->cpu_factor);
}

/* The yardstick of a fresh run. On this shared VM one core's verify rate
 * moved by up to 20% between runs minutes apart, and a single 1 s sample
 * before the load moved the printed ratio by as much (u1 / u read
 * 0.82-1.23 in nine runs; docs/bench.md "After the merge: the load through
 * POST /txs"): so the rates are measured on both sides of the window and
 * pooled, which brackets the window instead of guessing it from one side. */
typedef struct {
    bench_verify_scaling before, after, pooled;
    bool after_ok;      /* false: the bound is the sample before alone (why says why) */
    double idle_s;      /* waited after the window for the pools to empty */
    double apart;       /* |after - before| / before, one core */
    char why[160];
} yardstick;

/* Whether node i's pool is empty; false with *why filled if it is not or
 * the node does not answer. */
static bool pool_empty(const char *dir, int i, char *why, size_t cap) {
    char addr[64];
    rpcc_error err = {0};
    json_t *st = testnet_rpc_addr(dir, i, addr, sizeof addr) == 0
                     ? rpcc_call(addr, "status", NULL, IDLE_RPC_TIMEOUT_MS, &err)
                     : NULL;
    json_t *txs = json_object_get(st, "mempool_txs");
    bool empty = json_is_integer(txs) && json_integer_value(txs) == 0;
    if (!st) snprintf(why, cap, "node%d did not answer status (%s)", i, err.message);
    else if (!empty) snprintf(why, cap, "node%d's pool still held transactions", i);
    json_decref(st);
    return empty;
}

/* Waits, polling, until every running node's pool is empty: the load's last
 * transactions committed, so that no node has work left when the sample
 * after is taken. Returns the seconds waited, or -1 with *why filled if a
 * pool was not empty (or its node did not answer) after IDLE_WAIT_S_MAX. */
static double wait_idle(const char *dir, int down, char *why, size_t cap) {
    uint64_t t0 = clock_system_mono_us();
    for (;;) {
        bool idle = true;
        for (int i = 0; i < nodes_up(dir, down) && idle; i++) idle = pool_empty(dir, i, why, cap);
        double s = (double)(clock_system_mono_us() - t0) / 1e6;
        if (idle) return s;
        if (s >= IDLE_WAIT_S_MAX) return -1;
        usleep(50 * 1000);
    }
}

/* Stops (SIGSTOP) or resumes (SIGCONT) every running node: an idle chain
 * still commits empty blocks (~8% of a core for four nodes), which the
 * sample before the network never competed with. A bench killed while
 * they are stopped leaves them stopped (the parent-death SIGTERM waits for
 * a SIGCONT): 2 s of exposure, and a stopped node takes no CPU. */
static void signal_nodes(const char *dir, int down, int sig) {
    for (int i = 0; i < nodes_up(dir, down); i++) {
        int pid = testnet_node_pid(dir, i);
        if (pid > 0) (void)kill(pid, sig);
    }
}

/* The rates again after the window, with the nodes stopped, pooled with
 * the rates before; the sample before alone if the nodes never idled. */
static void measure_verify_after(const bench_opts *o, int c, yardstick *y) {
    y->pooled = y->before;
    y->idle_s = wait_idle(o->dir, o->down, y->why, sizeof y->why);
    y->after_ok = y->idle_s >= 0;
    if (!y->after_ok) {
        printf("\nno verify rate after the window (%s after %.0f s): the bound uses the sample before alone\n",
               y->why, IDLE_WAIT_S_MAX);
        return;
    }
    signal_nodes(o->dir, o->down, SIGSTOP);
    bench_ed25519_verify_scaling(c, SCALING_SLICE_MS, SCALING_SLICES, &y->after);
    signal_nodes(o->dir, o->down, SIGCONT);
    bench_verify_scaling_pool(&y->pooled, &y->after);
    y->apart = fabs(y->after.one_per_s - y->before.one_per_s) / y->before.one_per_s;
    printf("\ned25519 verify rate again after the window (the pools empty after %.1f s, the nodes stopped while"
           " measured): one core %.0f/s, all %d cores %.0f/s, F = %.3f\n"
           "  the bound uses both samples pooled: one core %.0f/s (before %.0f, after %.0f: %.1f%% apart)\n",
           y->idle_s, y->after.one_per_s, c, y->after.all_per_s, y->after.factor, y->pooled.one_per_s,
           y->before.one_per_s, y->after.one_per_s, 100.0 * y->apart);
    if (y->apart > SAMPLES_APART_WARN)
        printf("  warning: the samples are more than %.0f%% apart: the host's speed moved during the run, or"
               " something else ran; the ratio is as uncertain\n", 100.0 * SAMPLES_APART_WARN);
}

/* A sample's own figures (what it measured, so that a reader can pool
 * them again), and the ratio had it been the bound's alone. */
static json_t *sample_json(const bench_verify_scaling *v, const bench_load_result *r, int n, int c) {
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I}", "one_per_s", v->one_per_s, "one_per_cpu_s",
                     v->one_per_cpu_s, "all_per_s", v->all_per_s, "factor", v->factor, "ratio",
                     bound_ratio(r, n, c, v->one_per_s), "one_ops", (json_int_t)v->one_ops, "one_wall_us",
                     (json_int_t)v->one_wall_us, "all_ops", (json_int_t)v->all_ops, "all_span_us",
                     (json_int_t)v->all_span_us);
}

/* The yardstick's samples in --json, into the verify_scaling object sj. */
static void yardstick_json(json_t *sj, const yardstick *y, const bench_load_result *r, int n, int c) {
    json_object_set_new(sj, "before", sample_json(&y->before, r, n, c));
    json_object_set_new(sj, "after", y->after_ok ? sample_json(&y->after, r, n, c) : json_null());
    if (!y->after_ok) json_object_set_new(sj, "after_missing", json_string(y->why));
    json_object_set_new(sj, "idle_after_s", json_real(y->idle_s));
    json_object_set_new(sj, "apart", json_real(y->apart));
}

/* The results of a fresh run (the load went well), and with --json *j. */
static int report_fresh(const bench_opts *o, int c, const yardstick *y, const bench_load_result *r,
                        json_t **j) {
    const bench_verify_scaling *vs = &y->pooled;
    int n = o->validators - o->down;
    printf("\nresults (%d delegates, %d of them down, %d cores)\n", o->validators, o->down, c);
    print_load(r);
    print_cpu(r);
    print_bound(r, n, c, vs);
    if (y->after_ok)
        printf("  ratio, one sample  before the load %.3f, after the window %.3f (had either been the bound's"
               " alone)\n", bound_ratio(r, n, c, y->before.one_per_s), bound_ratio(r, n, c, y->after.one_per_s));
    cpu_per_tx f = cpu_figures(r);
    print_cpu_per_tx(&f);
    print_nodes_verify(r);
    ratio_factors rf = factor_ratio(r, n, c, vs);
    print_factors(&rf, bound_ratio(r, n, c, vs->one_per_s));
    int rc = check_agreement(o->dir, o->down);
    if (!o->json || !(*j = result_json(r, n, c, vs->one_per_s, rc == 0))) return rc;
    json_t *sj = scaling_json(r, n, vs, &rf);
    yardstick_json(sj, y, r, n, c);
    json_object_set_new(*j, "verify_scaling", sj);
    json_object_set_new(*j, "cpu_per_tx", cpu_json(&f));
    json_object_set_new(*j, "nodes_verify", nodes_verify_json(r));
    json_object_set_new(*j, "validators", json_integer(o->validators));
    json_object_set_new(*j, "down", json_integer(o->down));
    return rc;
}

/* The latency figure: the same network paced at half the committed
 * rate the saturated run measured, for up to HALF_LOAD_S_MAX seconds after
 * the warm-up; what a client sees when the chain is not queueing. Adds it
 * to *j (--json) as half_load. */
static int half_load(const bench_opts *o, const bench_load_result *full, json_t *j) {
    double rate = window_tps(full) / 2;
    int secs = o->duration_s < HALF_LOAD_S_MAX ? o->duration_s : HALF_LOAD_S_MAX;
    bench_opts ho = *o;
    if (o->presign) ho.presign = presign_for(o, rate, WARMUP_S + secs);
    printf("\nload running at half that rate, %.0f tx/s, for %d s after %.0f s warm-up...\n", rate, secs,
           WARMUP_S);
    fflush(stdout);
    bench_load_result h;
    int rc = bench_load_run(&ho, rate, secs, &h);
    if (rc != 0) return rc;
    printf("  at half load       %.0f tx/s offered, %.0f tx/s committed; commit latency p50 %.0f ms, "
           "p99 %.0f ms, max %.0f ms (%zu txs)\n", rate, window_tps(&h),
           h.latency_ms_p50, h.latency_ms_p99, h.latency_ms_max, h.latency_samples);
    if (j)
        json_object_set_new(j, "half_load", json_pack("{s:f, s:f, s:f, s:{s:f, s:f, s:f, s:I}}", "offered_tx_per_s",
                                                      rate, "tx_per_s", window_tps(&h),
                                                      "window_s", h.window_s, "latency_ms", "p50",
                                                      h.latency_ms_p50, "p99", h.latency_ms_p99, "max",
                                                      h.latency_ms_max, "samples", (json_int_t)h.latency_samples));
    return check_agreement(o->dir, o->down);
}

static int run_fresh(const bench_opts *o) {
    int c = bench_cores();
    printf("hansa bench: %d delegates on %d cores, %d accounts x %d in flight, %d s measured after %.0f s warm-up\n",
           o->validators, c, o->accounts, o->window, o->duration_s, WARMUP_S);
    yardstick y = {.after_ok = false};
    measure_verify(c, &y.before);
    bench_opts po = *o;
    if (!o->sign_live) po.presign = presign_count(o, c, y.before.one_per_cpu_s);
    o = &po;
    fflush(stdout);
    testnet_opts to = {o->dir, o->validators, o->accounts, 1000, .die_with_parent = true};
    int rc = testnet_up_dir(&to);
    bench_load_result r;
    json_t *j = NULL;
    if (rc == 0 && o->down > 0) rc = stop_delegates(o);
    if (rc == 0) {
        printf("\nload running...\n");
        fflush(stdout);
        rc = bench_load_run(o, 0, o->duration_s, &r);
    }
    if (rc == 0) measure_verify_after(o, c, &y);
    if (rc == 0) rc = report_fresh(o, c, &y, &r, &j);
    if (rc == 0 && o->half) rc = half_load(o, &r, j);
    testnet_down_dir(&to);
    if (!o->dir_given && !o->keep) nftw(o->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else printf("network folder kept: %s\n", o->dir);
    bench_block_result b;
    if (o->block) print_block(&b);
    if (j && o->block) json_object_set_new(j, "full_block", block_json(&b));
    if (j) print_result(o->saved_stdout, j);
    return rc;
}

static int run_attach(const bench_opts *o) {
    printf("sending signed transfers from %d accounts to the network in %s for %d s...\n",
           o->accounts, o->dir, o->duration_s + (int)WARMUP_S);
    fflush(stdout);
    bench_load_result r;
    int rc = bench_load_run(o, 0, o->duration_s, &r);
    if (rc != CLI_OK) return rc;
    printf("\nwhat happened (the last %.0f s; the first %.0f s warmed up):\n", r.window_s, WARMUP_S);
    print_load(&r);
    print_cpu(&r);
    print_nodes_verify(&r);
    rc = check_agreement(o->dir, 0);
    if (o->json) {
        json_t *j = result_json(&r, testnet_size(o->dir), bench_cores(), 0, rc == 0);
        if (j) json_object_set_new(j, "nodes_verify", nodes_verify_json(&r));
        print_result(o->saved_stdout, j);
    }
    return rc;
}

/* ---- options ---- */

static int usage(void) {
    fprintf(stderr,
            "usage: hansa bench [--validators N] [--duration S] [--accounts K] [--dir D]\n"
            "                   [--window W] [--down D] [--keep] [--no-block] [--no-half] [--json]\n"
            "                   [--sign-live]\n"
            "       hansa bench --attach [--dir D] [--duration S] [--accounts K] [--window W] [--json]\n"
            "       hansa bench --chains 2 [--validators N] [--duration S] [--dir D] [--keep]\n"
            "  --json: the report goes to stderr, the figures as JSON to stdout\n"
            "  --down D: stop the last D delegates once up (fewer than a third of N)\n"
            "  --sign-live: the clients sign as they submit (default: before the load)\n"
            "  --no-half: no second run paced at half the committed rate (its commit latency)\n"
            "  N 1..64 (4), S 1..3600 seconds (20), K 2..1000 (256), W 1..4096 in flight per account (16)\n");
    return CLI_USAGE;
}

/* A flag, or an option with its value in argv[i+1] (then *i moves past it). */
static bool parse_one(int argc, char **argv, int *i, bench_opts *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--attach") == 0) return o->attach = true;
    if (strcmp(a, "--keep") == 0) return o->keep = true;
    if (strcmp(a, "--no-block") == 0) return !(o->block = false);
    if (strcmp(a, "--json") == 0) return o->json = true;
    if (strcmp(a, "--sign-live") == 0) return o->sign_live = true;
    if (strcmp(a, "--no-half") == 0) return !(o->half = false);
    if (*i + 1 >= argc) return false;
    const char *v = argv[++*i];
    if (strcmp(a, "--dir") == 0) {
        o->dir = v;
        return o->dir_given = true;
    }
    if (strcmp(a, "--validators") == 0) return cli_parse_int(v, 1, 64, &o->validators);
    if (strcmp(a, "--duration") == 0) return cli_parse_int(v, 1, 3600, &o->duration_s);
    if (strcmp(a, "--accounts") == 0) return cli_parse_int(v, 2, 1000, &o->accounts);
    if (strcmp(a, "--window") == 0) return cli_parse_int(v, 1, 4096, &o->window);
    if (strcmp(a, "--chains") == 0) return cli_parse_int(v, 2, 2, &o->chains);
    if (strcmp(a, "--down") == 0) return cli_parse_int(v, 0, 21, &o->down);
    return false;
}

static int parse(int argc, char **argv, bench_opts *o) {
    for (int i = 1; i < argc; i++)
        if (!parse_one(argc, argv, &i, o)) return usage();
    return 0;
}

int cmd_bench(int argc, char **argv) {
    static char tmp_dir[64];
    bench_opts o = {NULL, false, 4, 20, 256, BENCH_WINDOW, false, false, true};
    o.half = true;
    if (argc > 1 && strcmp(argv[1], "--lifts") == 0) return cmd_bench_lifts(argc - 1, argv + 1);
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    if (o.chains == 2 && (o.attach || o.json)) return usage();
    if (o.down > 0 && (o.attach || o.chains == 2 || 3 * o.down >= o.validators)) return usage();
    if (o.chains == 2) return bench_xfer(o.validators, o.duration_s, o.dir, o.keep);
    if (o.json) o.saved_stdout = report_to_stderr();
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
        return CLI_USAGE;
    }
    return run_fresh(&o);
}
