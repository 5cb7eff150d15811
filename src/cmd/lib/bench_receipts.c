/* bench_receipts.c — `hansa bench-receipts`: how fast a stake-backed receipt
 * comes back, next to how fast the same transfer commits, on a fresh local
 * 4-delegate network (docs/receipts.md, docs/bench.md). Nodes 0-2 bond
 * receipt collateral; then
 *
 *   1. latency: rounds of transfers, each sent with submit_receipt to node
 *      (k mod 3) in turn; submit-to-receipt is the call's round trip, and
 *      submit-to-commit the first poll (every 5 ms, a batch of `tx` lookups)
 *      that finds the transfer committed;
 *   2. receipts/s per node: one client thread per receipt node sends
 *      receipts back to back for --duration seconds, all three at once;
 *   3. underwriting: transfers of 2.5 bonds, so node0 keeps one bond's worth
 *      and two peers underwrite the rest (three signers), one at a time and
 *      each after the previous one committed and its collateral came free
 *      (every receipt holds the collateral of all three until its commit).
 *
 *   hansa bench-receipts [--rounds R] [--batch B] [--duration S] [--underwritten U]
 *                        [--dir D] [--keep]
 *
 * The figures are printed, not checked against a goal. */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define RB_NODES 4
#define RB_SIGNERS 3          /* nodes 0-2 bond collateral */
#define RB_ACCOUNTS 64        /* acct0 funds the node keys; the others send */
#define RB_BOND 100000ull     /* per receipt node */
#define RB_CALL_MS 10000
#define RB_COMMIT_WAIT_MS 60000
#define RB_POLL_US 5000

typedef struct {
    const char *dir;
    bool keep, dir_given;
    int rounds, batch, duration_s, underwritten;
} rb_opts;

typedef struct {
    char rpc[RB_NODES][CLI_ADDR_MAX];
    keyfile accts;
    uint32_t chain_id;
    uint64_t fee;
    uint64_t nonce[RB_ACCOUNTS];
    hansa_addr addr[RB_ACCOUNTS];
} rb;

/* A latency sample set in microseconds. */
typedef struct {
    uint64_t *us;
    size_t n, cap;
} samples;

static void sample_add(samples *s, uint64_t us) {
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->us = hansa_realloc(s->us, s->cap * sizeof *s->us);
    }
    s->us[s->n++] = us;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The q-th quantile (0..1) in ms; sorts s. */
static double quantile_ms(samples *s, double q) {
    if (s->n == 0) return 0;
    qsort(s->us, s->n, sizeof *s->us, cmp_u64);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return (double)s->us[i] / 1000.0;
}

static void print_pair(const char *what, samples *rc, samples *cm) {
    printf("  %-34s receipt p50 %7.2f ms  p99 %7.2f ms   commit p50 %7.1f ms  p99 %7.1f ms  (%zu, %zu)\n",
           what, quantile_ms(rc, 0.5), quantile_ms(rc, 0.99), quantile_ms(cm, 0.5),
           quantile_ms(cm, 0.99), rc->n, cm->n);
}

/* ---- transactions ---- */

/* The hex of kind/body signed by kp at nonce (caller frees) and its hash. */
static char *sign_hex(const rb *b, const hansa_keypair *kp, uint64_t nonce, uint16_t kind,
                      const uint8_t *body, uint32_t body_len, hansa_hash *hash) {
    wire_tx tx = {.chain_id = b->chain_id, .sender = kp->pub, .nonce = nonce, .fee = b->fee,
                  .kind = kind, .body = body, .body_len = body_len};
    hbuf e = HBUF_INIT;
    wire_tx_sign_bytes(&e, &tx);
    sign_domain(kp, SIGN_DOMAIN_TX, e.data, e.len, &tx.sig);
    hbuf_reset(&e);
    wire_tx_encode(&e, &tx);
    char *hex = hansa_malloc(2 * e.len + 1);
    hex_encode(e.data, e.len, hex);
    if (hash) sha256(e.data, e.len, hash);
    hbuf_free(&e);
    return hex;
}

static char *transfer_hex(rb *b, int from, const hansa_addr *to, uint64_t amount,
                          hansa_hash *hash) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, to->b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, amount);
    return sign_hex(b, &b->accts.keys[from].kp, b->nonce[from]++, TX_TRANSFER, body, sizeof body, hash);
}

static json_t *call(const char *addr, const char *method, json_t *params) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, method, params, RB_CALL_MS, &err);
    if (!r) fprintf(stderr, "hansa bench-receipts: %s at %s: %s\n", method, addr, err.message);
    json_decref(err.data);
    return r;
}

/* Submits hex at node 0 and waits for its commit. */
static bool submit_wait(const rb *b, char *hex) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(b->rpc[0], "submit_tx",
                          json_pack("{s:s, s:b, s:i}", "tx", hex, "wait", 1, "timeout_ms", RB_COMMIT_WAIT_MS),
                          RB_COMMIT_WAIT_MS + 5000, &err);
    if (!r) fprintf(stderr, "hansa bench-receipts: submit_tx: %s\n", err.message);
    json_decref(err.data);
    free(hex);
    json_decref(r);
    return r != NULL;
}

/* ---- setup ---- */

static bool load_network(const rb_opts *o, rb *b) {
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    for (int i = 0; i < RB_NODES; i++)
        if (testnet_rpc_addr(o->dir, i, b->rpc[i], sizeof b->rpc[i]) != 0) return false;
    snprintf(path, sizeof path, "%s/accounts.key", o->dir);
    if (keyfile_load(path, &b->accts, why) != HANSA_OK) {
        fprintf(stderr, "hansa bench-receipts: %s\n", why);
        return false;
    }
    if (b->accts.count < RB_ACCOUNTS) {
        fprintf(stderr, "hansa bench-receipts: %s holds fewer than %d keys\n", path, RB_ACCOUNTS);
        return false;
    }
    b->chain_id = b->accts.chain_id;
    json_t *st = call(b->rpc[0], "status", NULL);
    if (!st) return false;
    b->fee = cli_u64(st, "min_fee");
    json_decref(st);
    for (int a = 0; a < RB_ACCOUNTS; a++) {
        addr_from_pubkey(&b->accts.keys[a].kp.pub, &b->addr[a]);
        b->nonce[a] = 0; /* fresh network: nothing sent yet */
    }
    return true;
}

/* Funds node i's key from acct0 and bonds RB_BOND of receipt collateral. */
static bool bond_node(const rb_opts *o, rb *b, int i) {
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/node%d/node.key", o->dir, i);
    keyfile nk;
    if (keyfile_load(path, &nk, why) != HANSA_OK) {
        fprintf(stderr, "hansa bench-receipts: %s\n", why);
        return false;
    }
    if (nk.count == 0) {
        fprintf(stderr, "hansa bench-receipts: %s holds no key\n", path);
        keyfile_free(&nk);
        return false;
    }
    const hansa_keypair *kp = &nk.keys[0].kp;
    hansa_addr to;
    addr_from_pubkey(&kp->pub, &to);
    bool ok = submit_wait(b, transfer_hex(b, 0, &to, RB_BOND + 100 * b->fee, NULL));
    uint8_t body[8];
    le64_store(body, RB_BOND);
    ok = ok && submit_wait(b, sign_hex(b, kp, 0, TX_RECEIPT_BOND, body, sizeof body, NULL));
    keyfile_free(&nk);
    return ok;
}

/* ---- receipts ---- */

/* Sender a (1..RB_ACCOUNTS-1) pays amount to the next account with a
 * receipt from node i; *us is the round trip. Returns the receipt view. */
static json_t *receipt_of(rb *b, int i, int a, uint64_t amount, hansa_hash *hash, uint64_t *us) {
    int to = a + 1 < RB_ACCOUNTS ? a + 1 : 1;
    char *hex = transfer_hex(b, a, &b->addr[to], amount, hash);
    rpcc_error err = {0};
    uint64_t t0 = clock_system_mono_us();
    json_t *r = rpcc_call(b->rpc[i], "submit_receipt", json_pack("{s:s}", "tx", hex), RB_CALL_MS, &err);
    *us = clock_system_mono_us() - t0;
    if (!r) {
        fprintf(stderr, "hansa bench-receipts: submit_receipt at node%d: %s\n", i, err.message);
        b->nonce[a]--; /* refused: the nonce is still free */
    }
    json_decref(err.data);
    free(hex);
    return r;
}

/* Polls node0 until every hash is committed; commit latency = first poll
 * that shows it minus its submission time. */
static bool wait_commits(const rb *b, const hansa_hash *h, const uint64_t *sent_us, size_t n,
                         samples *commit) {
    bool *done = hansa_calloc(n, sizeof *done);
    size_t left = n;
    uint64_t give_up = clock_system_mono_us() + RB_COMMIT_WAIT_MS * 1000ull;
    while (left > 0 && clock_system_mono_us() < give_up) {
        json_t *calls = json_array();
        for (size_t k = 0; k < n; k++) {
            if (done[k]) continue;
            char hx[2 * HANSA_HASH_BYTES + 1];
            hex_encode(h[k].b, HANSA_HASH_BYTES, hx);
            json_array_append_new(calls, json_pack("{s:s, s:s, s:I, s:{s:s}}", "jsonrpc", "2.0", "method",
                                                   "tx", "id", (json_int_t)k, "params", "hash", hx));
        }
        rpcc_error err = {0};
        json_t *rep = rpcc_batch(b->rpc[0], calls, RB_CALL_MS, &err);
        json_decref(err.data);
        uint64_t now = clock_system_mono_us();
        size_t i;
        json_t *m;
        json_array_foreach(rep, i, m) {
            json_int_t k = json_integer_value(json_object_get(m, "id"));
            if (!json_object_get(m, "result") || k < 0 || (size_t)k >= n || done[k]) continue;
            done[k] = true;
            left--;
            sample_add(commit, now - sent_us[k]);
        }
        json_decref(rep);
        if (left > 0) usleep(RB_POLL_US);
    }
    free(done);
    if (left > 0) fprintf(stderr, "hansa bench-receipts: %zu transfers not committed in time\n", left);
    return left == 0;
}

static bool phase_latency(const rb_opts *o, rb *b, samples *rc, samples *cm) {
    hansa_hash *h = hansa_calloc((size_t)o->batch, sizeof *h);
    uint64_t *sent = hansa_calloc((size_t)o->batch, sizeof *sent);
    bool ok = true;
    int a = 1;
    for (int r = 0; r < o->rounds && ok; r++) {
        size_t n = 0;
        for (int k = 0; k < o->batch; k++, a = a + 1 < RB_ACCOUNTS ? a + 1 : 1) {
            uint64_t us;
            sent[n] = clock_system_mono_us();
            json_t *v = receipt_of(b, k % RB_SIGNERS, a, 1, &h[n], &us);
            if (!v) continue;
            json_decref(v);
            sample_add(rc, us);
            n++;
        }
        ok = wait_commits(b, h, sent, n, cm);
    }
    free(h);
    free(sent);
    return ok;
}

/* ---- receipts/s: one thread per receipt node ---- */

typedef struct {
    rb *b;
    int node;
    uint64_t until_us;
    uint64_t ok, refused;
} rate_job;

static void *rate_thread(void *arg) {
    rate_job *j = arg;
    /* This thread's senders: the accounts a with a mod 3 == node (a >= 1);
     * no other thread signs for them, so their nonces are its own. */
    int a = j->node ? j->node : RB_SIGNERS;
    while (clock_system_mono_us() < j->until_us) {
        hansa_hash h;
        uint64_t us;
        json_t *v = receipt_of(j->b, j->node, a, 1, &h, &us);
        if (v) j->ok++;
        else j->refused++;
        json_decref(v);
        a += RB_SIGNERS;
        if (a >= RB_ACCOUNTS) a = j->node ? j->node : RB_SIGNERS;
    }
    return NULL;
}

static void phase_rate(const rb_opts *o, rb *b) {
    rate_job j[RB_SIGNERS];
    pthread_t t[RB_SIGNERS];
    uint64_t until = clock_system_mono_us() + (uint64_t)o->duration_s * 1000000ull;
    for (int i = 0; i < RB_SIGNERS; i++) {
        j[i] = (rate_job){.b = b, .node = i, .until_us = until};
        HANSA_ASSERT(pthread_create(&t[i], NULL, rate_thread, &j[i]) == 0);
    }
    uint64_t total = 0;
    for (int i = 0; i < RB_SIGNERS; i++) {
        pthread_join(t[i], NULL);
        total += j[i].ok;
    }
    for (int i = 0; i < RB_SIGNERS; i++)
        printf("  node%d: %7.1f receipts/s (%llu in %d s, %llu refused)\n", i,
               (double)j[i].ok / o->duration_s, (unsigned long long)j[i].ok, o->duration_s,
               (unsigned long long)j[i].refused);
    printf("  all three: %.1f receipts/s\n", (double)total / o->duration_s);
}

/* ---- underwriting ---- */

/* Waits until every receipt node's collateral is free again. */
static bool wait_free(const rb *b) {
    uint64_t give_up = clock_system_mono_us() + RB_COMMIT_WAIT_MS * 1000ull;
    for (int i = 0; i < RB_SIGNERS; i++) {
        for (;;) {
            json_t *st = call(b->rpc[i], "receipt_status", NULL);
            uint64_t free_now = st ? cli_u64(st, "free") : 0;
            json_decref(st);
            if (free_now == RB_BOND) break;
            if (st && clock_system_mono_us() > give_up)
                fprintf(stderr, "hansa bench-receipts: node%d's collateral is not free again (%llu of %llu)\n",
                        i, (unsigned long long)free_now, (unsigned long long)RB_BOND);
            if (!st || clock_system_mono_us() > give_up) return false;
            usleep(RB_POLL_US);
        }
    }
    return true;
}

static bool phase_underwritten(const rb_opts *o, rb *b, samples *rc, samples *cm, size_t *signers) {
    bool ok = wait_free(b);
    for (int k = 0; k < o->underwritten && ok; k++) {
        int a = 1 + k % (RB_ACCOUNTS - 1);
        hansa_hash h;
        uint64_t us, sent = clock_system_mono_us();
        json_t *v = receipt_of(b, 0, a, RB_BOND * 5 / 2, &h, &us);
        if (!v) return false; /* receipt_of said why */
        size_t g = json_array_size(json_object_get(v, "guarantors"));
        json_decref(v);
        if (k == 0 || g < *signers) *signers = g;
        sample_add(rc, us);
        ok = wait_commits(b, &h, &sent, 1, cm) && wait_free(b);
    }
    return ok;
}

/* ---- the command ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run(const rb_opts *o) {
    testnet_opts to = {o->dir, RB_NODES, RB_ACCOUNTS, 1000, .die_with_parent = true};
    int rc = testnet_up_dir(&to);
    rb b = {0};
    samples rc1 = {0}, cm1 = {0}, rc3 = {0}, cm3 = {0};
    size_t signers = 0;
    if (rc == 0 && !load_network(o, &b)) rc = CLI_UNREACHABLE;
    for (int i = 0; rc == 0 && i < RB_SIGNERS; i++)
        if (!bond_node(o, &b, i)) rc = CLI_UNREACHABLE;
    if (rc == 0) {
        printf("\nnodes 0-2 bonded %llu each; %d rounds of %d receipts...\n",
               (unsigned long long)RB_BOND, o->rounds, o->batch);
        fflush(stdout);
        if (!phase_latency(o, &b, &rc1, &cm1)) rc = CLI_UNREACHABLE;
    }
    if (rc == 0) {
        printf("\nresults (4 delegates, receipts from nodes 0-2, client round trips)\n");
        print_pair("one signer", &rc1, &cm1);
        printf("\nreceipts/s, one client per node, %d s...\n", o->duration_s);
        fflush(stdout);
        phase_rate(o, &b);
        printf("\n%d underwritten receipts of %llu...\n", o->underwritten,
               (unsigned long long)(RB_BOND * 5 / 2));
        fflush(stdout);
        if (!phase_underwritten(o, &b, &rc3, &cm3, &signers)) rc = CLI_UNREACHABLE;
        else {
            char what[64];
            snprintf(what, sizeof what, "underwritten (>= %zu signers)", signers);
            print_pair(what, &rc3, &cm3);
        }
    }
    free(rc1.us);
    free(cm1.us);
    free(rc3.us);
    free(cm3.us);
    if (b.accts.keys) keyfile_free(&b.accts);
    testnet_down_dir(&to);
    if (!o->dir_given && !o->keep) nftw(o->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    else printf("network folder kept: %s\n", o->dir);
    return rc;
}

static int usage(void) {
    fprintf(stderr,
            "usage: hansa bench-receipts [--rounds R] [--batch B] [--duration S] [--underwritten U]\n"
            "                            [--dir D] [--keep]\n"
            "  R 1..1000 (10), B 1..200 (20), S 1..600 seconds (10), U 1..1000 (20)\n");
    return CLI_USAGE;
}

static bool parse_one(int argc, char **argv, int *i, rb_opts *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--keep") == 0) return o->keep = true;
    if (*i + 1 >= argc) return false;
    const char *v = argv[++*i];
    if (strcmp(a, "--dir") == 0) {
        o->dir = v;
        return o->dir_given = true;
    }
    if (strcmp(a, "--rounds") == 0) return cli_parse_int(v, 1, 1000, &o->rounds);
    if (strcmp(a, "--batch") == 0) return cli_parse_int(v, 1, 200, &o->batch);
    if (strcmp(a, "--duration") == 0) return cli_parse_int(v, 1, 600, &o->duration_s);
    if (strcmp(a, "--underwritten") == 0) return cli_parse_int(v, 1, 1000, &o->underwritten);
    return false;
}

int cmd_bench_receipts(int argc, char **argv) {
    static char tmp_dir[64];
    rb_opts o = {.rounds = 10, .batch = 20, .duration_s = 10, .underwritten = 20};
    for (int i = 1; i < argc; i++)
        if (!parse_one(argc, argv, &i, &o)) return usage();
    crypto_init();
    if (!o.dir) {
        snprintf(tmp_dir, sizeof tmp_dir, "/tmp/hansa-bench-receipts-%d", (int)getpid());
        o.dir = tmp_dir;
    }
    struct stat st;
    if (stat(o.dir, &st) == 0) {
        fprintf(stderr, "hansa bench-receipts: %s already exists; give a new --dir\n", o.dir);
        return CLI_USAGE;
    }
    printf("hansa bench-receipts: a fresh 4-delegate network in %s\n", o.dir);
    fflush(stdout);
    return run(&o);
}
