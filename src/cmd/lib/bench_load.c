/* bench_load.c — see bench_load.h.
 *
 * One submitter thread per node sends that node batch after batch of
 * transactions from the accounts pinned to it that have room in their
 * window, and naps briefly when none has; the main thread polls node0 and
 * keeps the clock of the run. Each thread waits on its own blocking RPC, so
 * a node is never left idle while the load waits on another. One mutex
 * guards the accounts and the counters; signing and RPC happen outside it.
 * The load's own CPU is reported beside the nodes'. */
#define _GNU_SOURCE
#include "cmd/lib/bench_load.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define BATCH_MAX 100          /* the server's default max_batch */
#define POLL_US 20000          /* node0 status this often */
#define RPC_TIMEOUT_MS 10000
#define TRANSPORT_FAILS_MAX 20 /* consecutive failed batches to one node before giving up */
#define PROGRESS_US 5000000
#define LATENCIES_MAX (8u << 20)

typedef struct {
    hansa_keypair kp;
    char addr_text[ADDR_TEXT_MAX];
    hansa_addr to; /* the next account */
    int node;
    uint64_t next_nonce; /* next to sign and send */
    uint64_t committed;  /* the chain's nonce: every lower one is committed */
    uint64_t max_sent;   /* one past the highest nonce ever sent */
    uint64_t *sent_us;   /* [window]: first submit time of nonce k at k % window */
    bool paused;         /* a transaction was refused: wait for the next block */
} load_acct;

typedef struct {
    const bench_load_opts *o;
    uint32_t chain_id;
    int n_nodes;
    char rpc[BENCH_LOAD_NODES_MAX][64];
    int pid[BENCH_LOAD_NODES_MAX];
    int fails[BENCH_LOAD_NODES_MAX];
    size_t cursor[BENCH_LOAD_NODES_MAX]; /* round-robin start over the node's accounts */
    load_acct *accts;
    int n_accts;
    uint64_t height, committed_txs; /* node0, last poll */
    bool measuring;
    uint64_t *lat_us;
    size_t n_lat;
    bench_load_result *res;
    pthread_mutex_t mu;  /* accounts, cursors, fails, latencies, res counters */
    atomic_bool stop;    /* submitters return */
    atomic_bool failed;  /* a submitter gave up on its node */
} load;

/* ---- accounts ---- */

static int load_accounts(load *l) {
    char path[4096], why[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/accounts.key", l->o->dir);
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa bench: %s\n", why);
        keyfile_free(&kf);
        return 1;
    }
    l->chain_id = kf.chain_id;
    l->n_accts = l->o->accounts < (int)kf.count ? l->o->accounts : (int)kf.count;
    l->accts = hansa_calloc((size_t)l->n_accts, sizeof *l->accts);
    for (int i = 0; i < l->n_accts; i++) {
        load_acct *a = &l->accts[i];
        a->kp = kf.keys[i].kp;
        keyfile_address(&kf, &kf.keys[i], a->addr_text);
        a->node = i % l->n_nodes;
        a->sent_us = hansa_calloc((size_t)l->o->window, sizeof *a->sent_us);
    }
    for (int i = 0; i < l->n_accts; i++)
        addr_from_pubkey(&l->accts[(i + 1) % l->n_accts].kp.pub, &l->accts[i].to);
    keyfile_free(&kf);
    return l->n_accts >= 2 ? 0 : (fprintf(stderr, "hansa bench: need at least 2 accounts\n"), 1);
}

static void free_accounts(load *l) {
    for (int i = 0; i < l->n_accts; i++) {
        keypair_wipe(&l->accts[i].kp);
        free(l->accts[i].sent_us);
    }
    free(l->accts);
}

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
    long long node[BENCH_LOAD_NODES_MAX];
    long long self;
    long long machine_busy, machine_total;
} cpu_snap;

static void cpu_take(const load *l, cpu_snap *s) {
    s->at_us = clock_system_mono_us();
    for (int i = 0; i < l->n_nodes; i++) s->node[i] = cpu_ticks(l->pid[i]);
    s->self = cpu_ticks((int)getpid());
    machine_ticks(&s->machine_busy, &s->machine_total);
}

static double cpu_pct(long long a, long long b, double secs) {
    if (a < 0 || b < a || secs <= 0) return 0;
    return 100.0 * (double)(b - a) / (double)sysconf(_SC_CLK_TCK) / secs;
}

/* ---- node0 progress ---- */

static uint64_t u64_of(json_t *j) {
    if (json_is_integer(j)) return (uint64_t)json_integer_value(j);
    const char *s = json_string_value(j);
    return s ? strtoull(s, NULL, 10) : 0;
}

static void add_latency(load *l, uint64_t us) {
    if (!l->measuring || l->n_lat == LATENCIES_MAX) return;
    l->lat_us[l->n_lat++] = us;
}

/* Account a's chain nonce is now c, seen at time now. */
static void on_nonce(load *l, load_acct *a, uint64_t c, uint64_t now) {
    for (uint64_t k = a->committed; k < c && k < a->max_sent; k++) {
        uint64_t sent = a->sent_us[k % (uint64_t)l->o->window];
        if (sent && now > sent) add_latency(l, now - sent);
    }
    if (c > a->committed) a->committed = c;
    if (a->next_nonce < a->committed) a->next_nonce = a->committed;
    if (a->paused) {
        a->paused = false;
        a->next_nonce = a->committed; /* resend whatever did not stick */
    }
}

/* Asks node0 for every account's nonce, in batches. */
static int poll_nonces(load *l) {
    for (int first = 0; first < l->n_accts; first += BATCH_MAX) {
        int n = l->n_accts - first < BATCH_MAX ? l->n_accts - first : BATCH_MAX;
        json_t *calls = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(calls, json_pack("{s:s, s:i, s:s, s:{s:s}}", "jsonrpc", "2.0", "id",
                                                   first + i, "method", "account", "params",
                                                   "address", l->accts[first + i].addr_text));
        rpcc_error err;
        json_t *r = rpcc_batch(l->rpc[0], calls, RPC_TIMEOUT_MS, &err);
        if (!r) {
            fprintf(stderr, "hansa bench: node0 account query failed: %s\n", err.message);
            json_decref(err.data);
            return 1;
        }
        uint64_t now = clock_system_mono_us();
        size_t i;
        json_t *m;
        pthread_mutex_lock(&l->mu);
        json_array_foreach(r, i, m) {
            json_int_t id = json_integer_value(json_object_get(m, "id"));
            json_t *res = json_object_get(m, "result");
            if (res && id >= first && id < first + n)
                on_nonce(l, &l->accts[id], u64_of(json_object_get(res, "nonce")), now);
        }
        pthread_mutex_unlock(&l->mu);
        json_decref(r);
    }
    return 0;
}

static int poll_progress(load *l) {
    rpcc_error err;
    json_t *st = rpcc_call(l->rpc[0], "status", NULL, RPC_TIMEOUT_MS, &err);
    if (!st) {
        fprintf(stderr, "hansa bench: node0 status failed: %s\n", err.message);
        json_decref(err.data);
        return 1;
    }
    uint64_t h = u64_of(json_object_get(st, "height"));
    uint64_t c = u64_of(json_object_get(st, "committed_txs"));
    json_decref(st);
    if (h == l->height) return 0;
    if (l->measuring && h == l->height + 1 && c - l->committed_txs > l->res->block_txs_max)
        l->res->block_txs_max = c - l->committed_txs;
    l->height = h;
    l->committed_txs = c;
    return poll_nonces(l);
}

/* ---- submitting ---- */

/* Signs a's transfer with this nonce: the call's JSON (a's keys and
 * recipient never change, so no lock is needed). */
static json_t *tx_call(const load *l, const load_acct *a, uint64_t nonce, int id) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, a->to.b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, 1);
    wire_tx tx = {.chain_id = l->chain_id, .sender = a->kp.pub, .nonce = nonce, .fee = 1,
                  .kind = TX_TRANSFER, .body = body, .body_len = LEDGER_TRANSFER_BODY_BYTES};
    hbuf b = HBUF_INIT;
    wire_tx_sign_bytes(&b, &tx);
    sign_domain(&a->kp, SIGN_DOMAIN_TX, b.data, b.len, &tx.sig);
    hbuf_reset(&b);
    wire_tx_encode(&b, &tx);
    char hex[2 * 512 + 1];
    HANSA_ASSERT(b.len <= 512);
    hex_encode(b.data, b.len, hex);
    hbuf_free(&b);
    return json_pack("{s:s, s:i, s:s, s:{s:s}}", "jsonrpc", "2.0", "id", id, "method", "submit_tx",
                     "params", "tx", hex);
}

typedef struct {
    load_acct *a[BATCH_MAX];
    uint64_t nonce[BATCH_MAX];
    int n;
} batch;

/* Picks up to BATCH_MAX transactions of node's accounts (under the lock). */
static void fill_batch(load *l, int node, batch *b) {
    uint64_t now = clock_system_mono_us(), w = (uint64_t)l->o->window;
    size_t start = l->cursor[node];
    for (size_t step = 0; step < (size_t)l->n_accts && b->n < BATCH_MAX; step++) {
        load_acct *a = &l->accts[(start + step) % (size_t)l->n_accts];
        if (a->node != node || a->paused) continue;
        while (b->n < BATCH_MAX && a->next_nonce - a->committed < w) {
            if (a->next_nonce >= a->max_sent) {
                a->sent_us[a->next_nonce % w] = now;
                a->max_sent = a->next_nonce + 1;
            }
            b->a[b->n] = a;
            b->nonce[b->n++] = a->next_nonce++;
        }
        l->cursor[node] = (start + step + 1) % (size_t)l->n_accts;
    }
}

/* A refused transaction pauses its account and rewinds it to that nonce. */
static void refuse(load *l, load_acct *a, uint64_t nonce, const char *why) {
    l->res->refused++;
    snprintf(l->res->last_refusal, sizeof l->res->last_refusal, "%.150s", why);
    if (!a->paused || nonce < a->next_nonce) a->next_nonce = nonce;
    a->paused = true;
}

static void judge_reply(load *l, json_t *r, batch *b) {
    const char *dup = hansa_errname(HANSA_ERR_DUPLICATE);
    size_t i;
    json_t *m;
    json_array_foreach(r, i, m) {
        json_int_t id = json_integer_value(json_object_get(m, "id"));
        json_t *e = json_object_get(m, "error");
        if (id < 0 || id >= b->n || !e) continue;
        json_t *data = json_object_get(e, "data");
        const char *name = json_string_value(json_object_get(data, "error"));
        if (name && strcmp(name, dup) == 0) continue; /* already queued: fine */
        const char *why = json_string_value(json_object_get(data, "why"));
        refuse(l, b->a[id], b->nonce[id], why ? why : json_string_value(json_object_get(e, "message")));
    }
}

/* Sends node one batch; returns the number of transactions sent (0 when no
 * account had room), or -1 after too many transport failures in a row. */
static int submit_to(load *l, int node) {
    batch b = {.n = 0};
    pthread_mutex_lock(&l->mu);
    fill_batch(l, node, &b);
    pthread_mutex_unlock(&l->mu);
    if (b.n == 0) return 0;
    json_t *calls = json_array();
    for (int i = 0; i < b.n; i++) json_array_append_new(calls, tx_call(l, b.a[i], b.nonce[i], i));
    rpcc_error err;
    json_t *r = rpcc_batch(l->rpc[node], calls, RPC_TIMEOUT_MS, &err);
    int rc = b.n;
    pthread_mutex_lock(&l->mu);
    l->res->submitted += (uint64_t)b.n;
    if (!r) {
        for (int i = 0; i < b.n; i++) refuse(l, b.a[i], b.nonce[i], err.message);
        if (++l->fails[node] >= TRANSPORT_FAILS_MAX) {
            fprintf(stderr, "hansa bench: node%d does not take transactions: %s\n", node, err.message);
            rc = -1;
        }
        json_decref(err.data);
    } else {
        l->fails[node] = 0;
        judge_reply(l, r, &b);
    }
    pthread_mutex_unlock(&l->mu);
    json_decref(r);
    return rc;
}

typedef struct {
    load *l;
    int node;
    pthread_t thread;
} submitter;

static void *submitter_main(void *arg) {
    submitter *s = arg;
    while (!atomic_load(&s->l->stop)) {
        int k = submit_to(s->l, s->node);
        if (k < 0) {
            atomic_store(&s->l->failed, true);
            break;
        }
        if (k == 0) usleep(2000);
    }
    return NULL;
}

/* ---- the run ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void finish_latency(load *l) {
    bench_load_result *r = l->res;
    r->latency_samples = l->n_lat;
    if (l->n_lat == 0) return;
    qsort(l->lat_us, l->n_lat, sizeof *l->lat_us, cmp_u64);
    r->latency_ms_p50 = (double)l->lat_us[l->n_lat / 2] / 1000.0;
    r->latency_ms_p99 = (double)l->lat_us[(l->n_lat * 99) / 100] / 1000.0;
    r->latency_ms_max = (double)l->lat_us[l->n_lat - 1] / 1000.0;
}

static void progress_line(load *l, uint64_t t0) {
    pthread_mutex_lock(&l->mu);
    printf("  t=%3.0fs  height %-6llu committed %-8llu  submitted %-8llu refused %llu\n",
           (double)(clock_system_mono_us() - t0) / 1e6, (unsigned long long)l->height,
           (unsigned long long)l->committed_txs, (unsigned long long)l->res->submitted,
           (unsigned long long)l->res->refused);
    pthread_mutex_unlock(&l->mu);
    fflush(stdout);
}

static void begin_window(load *l, cpu_snap *c0, uint64_t *h0, uint64_t *tx0) {
    l->measuring = true;
    cpu_take(l, c0);
    *h0 = l->height;
    *tx0 = l->committed_txs;
}

static void end_window(load *l, const cpu_snap *c0, uint64_t h0, uint64_t tx0) {
    cpu_snap c1;
    cpu_take(l, &c1);
    bench_load_result *r = l->res;
    r->window_s = (double)(c1.at_us - c0->at_us) / 1e6;
    r->height_from = h0;
    r->height_to = l->height;
    r->committed_txs = l->committed_txs - tx0;
    pthread_mutex_lock(&l->mu);
    r->n_nodes = l->n_nodes;
    for (int i = 0; i < l->n_nodes; i++) r->node_cpu_pct[i] = cpu_pct(c0->node[i], c1.node[i], r->window_s);
    r->self_cpu_pct = cpu_pct(c0->self, c1.self, r->window_s);
    long long dt = c1.machine_total - c0->machine_total;
    r->machine_busy_pct = c0->machine_total >= 0 && dt > 0
                              ? 100.0 * (double)(c1.machine_busy - c0->machine_busy) / (double)dt
                              : 0;
    finish_latency(l);
    pthread_mutex_unlock(&l->mu);
}

/* The main thread's part: poll, print progress, open and close the window. */
static int watch(load *l) {
    uint64_t t0 = clock_system_mono_us(), next_progress = t0 + PROGRESS_US;
    uint64_t warm_end = t0 + (uint64_t)(l->o->warmup_s * 1e6);
    uint64_t end = warm_end + (uint64_t)(l->o->duration_s * 1e6);
    cpu_snap c0 = {0};
    uint64_t h0 = 0, tx0 = 0;
    for (uint64_t now = t0; now < end && !atomic_load(&l->failed); now = clock_system_mono_us()) {
        if (!l->measuring && now >= warm_end) begin_window(l, &c0, &h0, &tx0);
        if (l->o->progress && now >= next_progress) {
            progress_line(l, t0);
            next_progress += PROGRESS_US;
        }
        if (poll_progress(l)) return 1;
        usleep(POLL_US);
    }
    if (atomic_load(&l->failed) || poll_progress(l)) return 1;
    end_window(l, &c0, h0, tx0);
    return 0;
}

static int run_loop(load *l) {
    if (poll_progress(l)) return 1; /* the accounts' nonces before any load */
    submitter subs[BENCH_LOAD_NODES_MAX];
    for (int i = 0; i < l->n_nodes; i++) {
        subs[i] = (submitter){l, i, 0};
        HANSA_ASSERT(pthread_create(&subs[i].thread, NULL, submitter_main, &subs[i]) == 0);
    }
    int rc = watch(l);
    atomic_store(&l->stop, true);
    for (int i = 0; i < l->n_nodes; i++) pthread_join(subs[i].thread, NULL);
    return rc;
}

static int find_nodes(load *l) {
    l->n_nodes = testnet_size(l->o->dir);
    if (l->n_nodes == 0) {
        fprintf(stderr, "hansa bench: no network in %s\n", l->o->dir);
        return 1;
    }
    HANSA_ASSERT(l->n_nodes <= BENCH_LOAD_NODES_MAX);
    for (int i = 0; i < l->n_nodes; i++) {
        l->pid[i] = testnet_node_pid(l->o->dir, i);
        if (testnet_rpc_addr(l->o->dir, i, l->rpc[i], sizeof l->rpc[i]) != 0 || l->pid[i] == 0) {
            fprintf(stderr, "hansa bench: node%d of %s is not running (hansa testnet up --dir %s)\n",
                    i, l->o->dir, l->o->dir);
            return 1;
        }
    }
    return 0;
}

int bench_load_run(const bench_load_opts *o, bench_load_result *out) {
    HANSA_ASSERT(o->window >= 1 && o->window <= 4096);
    HANSA_ASSERT(o->duration_s > 0);
    memset(out, 0, sizeof *out);
    load l = {.o = o, .res = out};
    pthread_mutex_init(&l.mu, NULL);
    int rc = find_nodes(&l);
    if (rc == 0) rc = load_accounts(&l);
    if (rc == 0) {
        l.lat_us = hansa_calloc(LATENCIES_MAX, sizeof *l.lat_us);
        rc = run_loop(&l);
        free(l.lat_us);
    }
    free_accounts(&l);
    pthread_mutex_destroy(&l.mu);
    if (rc == 0 && out->committed_txs == 0) {
        fprintf(stderr, "hansa bench: no transaction was committed in %.0f s (last refusal: %s)\n",
                out->window_s, out->last_refusal[0] ? out->last_refusal : "none");
        rc = 1;
    }
    return rc;
}

/* ---- agreement ---- */

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
            return 1;
        }
        tips[i].height = u64_of(json_object_get(st, "height"));
        snprintf(tips[i].app_hash, sizeof tips[i].app_hash, "%s",
                 json_string_value(json_object_get(st, "app_hash")) ?: "");
        json_decref(st);
    }
    return 0;
}

int bench_load_check_agreement(const char *dir) {
    int n = testnet_size(dir);
    node_tip tips[BENCH_LOAD_NODES_MAX];
    HANSA_ASSERT(n <= BENCH_LOAD_NODES_MAX);
    for (int attempt = 0; attempt < 200 && n > 0; attempt++) {
        if (read_tips(dir, n, tips)) return 1;
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
            return 1;
        }
        printf("  all %d nodes at height %llu agree: app hash %.16s…\n", n,
               (unsigned long long)tips[0].height, tips[0].app_hash);
        return 0;
    }
    fprintf(stderr, "hansa bench: the nodes never stood at one height (is one of them stuck?)\n");
    return 1;
}
