/* load.c — see load.h.
 *
 * One thread, blocking RPC calls: a submission is one HTTP request, paced
 * by a deadline that advances 1/rate per submission. Between submissions
 * the loop polls one node's height, and when it moved, the committed nonce
 * of every sender with transactions in flight; a nonce past a transaction
 * means it committed (a sender's transactions commit in nonce order). */
#include "cmd/lib/load.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define LOAD_POLL_US 100000u       /* height poll period */
#define LOAD_RPC_TIMEOUT_MS 3000
#define LOAD_NODE_BACKOFF_US 2000000u /* skip a node this long after it did not answer */
#define LOAD_AMOUNT 1              /* units per transfer: the balances last */
#define LOAD_MAX_PENDING_DEFAULT 256

typedef struct {
    const keyfile_key *key;  /* borrowed from the key file */
    char addr[ADDR_TEXT_MAX];
    hansa_addr to;
    int node;                /* the node it submits to (moves on when one is down) */
    uint64_t next_nonce;     /* the nonce to submit next */
    uint64_t committed;      /* committed nonce last read */
    uint64_t base_nonce;     /* committed nonce at start: txs below it are not ours */
    size_t *tx_of;           /* index in result->txs of nonce base_nonce + i */
    size_t n_tx_of, cap_tx_of;
} load_sender;

typedef struct {
    const load_opts *o;
    load_result *r;
    keyfile kf;
    load_sender *senders;
    int n_senders;
    char addrs[LOAD_NODES_MAX][64];
    int n_nodes;
    uint64_t down_until_us[LOAD_NODES_MAX]; /* a node that did not answer is skipped till then */
    uint64_t height;         /* last height seen */
    uint32_t chain_id;
} load_ctx;

/* ---- results ---- */

/* Counts one rejection under its text; past LOAD_REASONS_MAX - 1 distinct
 * texts the last slot lumps the rest. */
static void count_reason(load_result *r, const char *text) {
    for (size_t i = 0; i < r->n_reasons; i++)
        if (strcmp(r->reasons[i].text, text) == 0) {
            r->reasons[i].count++;
            return;
        }
    size_t i = r->n_reasons < LOAD_REASONS_MAX ? r->n_reasons++ : LOAD_REASONS_MAX - 1;
    if (r->n_reasons == LOAD_REASONS_MAX && i == LOAD_REASONS_MAX - 1) text = "(other reasons)";
    snprintf(r->reasons[i].text, sizeof r->reasons[i].text, "%s", text);
    r->reasons[i].count++;
}

void load_result_free(load_result *r) {
    free(r->txs);
    memset(r, 0, sizeof *r);
}

/* ---- RPC helpers ---- */

/* One RPC to node. A node that did not answer is not asked again for
 * LOAD_NODE_BACKOFF_US (the call fails at once, as unreachable), so a dead
 * or partitioned node costs one timeout, not one per call. */
static json_t *call(load_ctx *c, int node, const char *method, json_t *params, rpcc_error *err) {
    HANSA_ASSERT(node >= 0 && node < c->n_nodes);
    uint64_t now = clock_system_mono_us();
    if (now < c->down_until_us[node]) {
        json_decref(params);
        *err = (rpcc_error){0, "node did not answer a moment ago", NULL};
        return NULL;
    }
    json_t *r = rpcc_call(c->addrs[node], method, params, LOAD_RPC_TIMEOUT_MS, err);
    if (!r && err->code == 0) c->down_until_us[node] = clock_system_mono_us() + LOAD_NODE_BACKOFF_US;
    return r;
}

/* The committed nonce of s, asked of its node and then of the others.
 * Returns false if no node answers. */
static bool read_nonce(load_ctx *c, const load_sender *s, uint64_t *nonce) {
    for (int k = 0; k < c->n_nodes; k++) {
        rpcc_error err;
        json_t *r = call(c, (s->node + k) % c->n_nodes, "account",
                         json_pack("{s:s}", "address", s->addr), &err);
        if (!r) {
            json_decref(err.data);
            continue;
        }
        const char *text = json_string_value(json_object_get(r, "nonce"));
        bool ok = text != NULL;
        if (ok) *nonce = strtoull(text, NULL, 10);
        json_decref(r);
        if (ok) return true;
    }
    return false;
}

/* The height of the first node that answers, or false. */
static bool read_height(load_ctx *c, uint64_t *height) {
    for (int i = 0; i < c->n_nodes; i++) {
        rpcc_error err;
        json_t *r = call(c, i, "status", NULL, &err);
        if (!r) {
            json_decref(err.data);
            continue;
        }
        *height = (uint64_t)json_integer_value(json_object_get(r, "height"));
        json_decref(r);
        return true;
    }
    return false;
}

/* ---- commit tracking ---- */

/* The sender's committed nonce is now `nonce`: every transaction of ours
 * below it committed. */
static void mark_committed(load_ctx *c, load_sender *s, uint64_t nonce, uint64_t now) {
    if (nonce <= s->committed) return;
    for (uint64_t k = s->committed; k < nonce; k++) {
        if (k < s->base_nonce || k - s->base_nonce >= s->n_tx_of) continue;
        load_tx *t = &c->r->txs[s->tx_of[k - s->base_nonce]];
        if (t->state == LOAD_TX_COMMITTED) continue;
        if (t->state == LOAD_TX_NEW) { /* accepted by a node that did not answer in time */
            t->accept_us = now;
            c->r->accepted++;
        }
        t->state = LOAD_TX_COMMITTED;
        t->commit_us = now;
        c->r->committed++;
    }
    s->committed = nonce;
    if (s->next_nonce < nonce) s->next_nonce = nonce;
}

static void poll_commits(load_ctx *c) {
    uint64_t h;
    if (!read_height(c, &h) || h == c->height) return;
    c->height = h;
    c->r->height_end = h;
    for (int i = 0; i < c->n_senders; i++) {
        load_sender *s = &c->senders[i];
        uint64_t nonce;
        if (s->committed >= s->base_nonce + s->n_tx_of) continue; /* nothing in flight */
        if (read_nonce(c, s, &nonce)) mark_committed(c, s, nonce, clock_system_mono_us());
    }
}

/* ---- signing ---- */

/* The transaction of sender s at nonce, encoded into out. */
static void sign_tx(const load_ctx *c, const load_sender *s, uint64_t nonce, hbuf *out) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, s->to.b, HANSA_ADDR_BYTES);
    for (int i = 0; i < 8; i++) body[HANSA_ADDR_BYTES + i] = (uint8_t)((uint64_t)LOAD_AMOUNT >> (8 * i));
    wire_tx tx = {c->chain_id, s->key->kp.pub, nonce, c->o->fee, TX_TRANSFER, body, sizeof body, {{0}}};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&s->key->kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    wire_tx_encode(out, &tx);
}

/* The record of (s, nonce), created on first use. */
static load_tx *tx_record(load_ctx *c, load_sender *s, uint64_t nonce, const hbuf *bytes) {
    HANSA_ASSERT(nonce >= s->base_nonce);
    uint64_t k = nonce - s->base_nonce;
    HANSA_ASSERT(k <= s->n_tx_of); /* nonces are handed out in order */
    if (k < s->n_tx_of) return &c->r->txs[s->tx_of[k]];
    load_result *r = c->r;
    if (r->n_txs == r->cap_txs) {
        r->cap_txs = r->cap_txs ? 2 * r->cap_txs : 1024;
        r->txs = hansa_realloc(r->txs, r->cap_txs * sizeof *r->txs);
    }
    if (s->n_tx_of == s->cap_tx_of) {
        s->cap_tx_of = s->cap_tx_of ? 2 * s->cap_tx_of : 256;
        s->tx_of = hansa_realloc(s->tx_of, s->cap_tx_of * sizeof *s->tx_of);
    }
    s->tx_of[s->n_tx_of++] = r->n_txs;
    load_tx *t = &r->txs[r->n_txs++];
    memset(t, 0, sizeof *t);
    t->account = (uint32_t)(s - c->senders);
    t->nonce = nonce;
    sha256(bytes->data, bytes->len, &t->hash);
    return t;
}

/* ---- submitting ---- */

typedef enum { SUB_OK, SUB_DUP, SUB_REJECTED, SUB_UNREACHABLE } sub_outcome;

static sub_outcome submit_to(load_ctx *c, int node, const char *hex) {
    rpcc_error err;
    json_t *res = call(c, node, "submit_tx", json_pack("{s:s}", "tx", hex), &err);
    c->r->submits++;
    if (res) {
        json_decref(res);
        return SUB_OK;
    }
    sub_outcome out = SUB_REJECTED;
    const char *name = json_string_value(json_object_get(err.data, "error"));
    const char *why = json_string_value(json_object_get(err.data, "why"));
    if (err.code == 0) {
        out = SUB_UNREACHABLE;
        c->r->unreachable++;
    } else if (name && strcmp(name, hansa_errname(HANSA_ERR_DUPLICATE)) == 0) {
        out = SUB_DUP;
        c->r->duplicates++;
    } else {
        char text[LOAD_REASON_TEXT_MAX];
        /* %.120s: the node's sentence is bounded by the reason text. */
        snprintf(text, sizeof text, "%.32s: %.120s", name ? name : "error", why ? why : err.message);
        /* Nonces differ from one rejection to the next: keep the kind only. */
        if (name && strcmp(name, hansa_errname(HANSA_ERR_NONCE)) == 0)
            snprintf(text, sizeof text, "%s: nonce is not the account's next", name);
        count_reason(c->r, text);
        c->r->rejected++;
    }
    json_decref(err.data);
    return out;
}

/* Submits the sender's next transaction: to its node (or every node), and
 * moves its nonce on if a node holds it. After a rejection it re-reads the
 * committed nonce and goes on from there; after no answer it moves to the
 * next node. */
static void submit_next(load_ctx *c, load_sender *s) {
    uint64_t nonce = s->next_nonce, now = clock_system_mono_us();
    hbuf bytes = HBUF_INIT;
    sign_tx(c, s, nonce, &bytes);
    load_tx *t = tx_record(c, s, nonce, &bytes);
    if (!t->submit_us) t->submit_us = now;
    char *hex = hansa_malloc(2 * bytes.len + 1);
    hex_encode(bytes.data, bytes.len, hex);
    hbuf_free(&bytes);
    bool held = false, rejected = false;
    int targets = c->o->node_all ? c->n_nodes : 1;
    for (int k = 0; k < targets; k++) {
        int node = (s->node + k) % c->n_nodes;
        sub_outcome out = submit_to(c, node, hex);
        held |= out == SUB_OK || out == SUB_DUP;
        rejected |= out == SUB_REJECTED;
        if (out == SUB_UNREACHABLE && !c->o->node_all) s->node = (s->node + 1) % c->n_nodes;
    }
    free(hex);
    if (held) {
        if (t->state == LOAD_TX_NEW) {
            t->state = LOAD_TX_ACCEPTED;
            t->accept_us = clock_system_mono_us();
            c->r->accepted++;
        }
        s->next_nonce++;
    } else if (rejected) {
        uint64_t chain;
        if (read_nonce(c, s, &chain)) {
            mark_committed(c, s, chain, clock_system_mono_us());
            s->next_nonce = chain; /* resubmit from the first one not committed */
        }
    }
}

/* ---- setup ---- */

static int load_setup(load_ctx *c, char *why, size_t why_len) {
    const load_opts *o = c->o;
    c->n_nodes = testnet_size(o->dir);
    if (c->n_nodes == 0) {
        snprintf(why, why_len, "no testnet in %s (start one with `hansa testnet up`)", o->dir);
        return -1;
    }
    if (c->n_nodes > LOAD_NODES_MAX) c->n_nodes = LOAD_NODES_MAX;
    for (int i = 0; i < c->n_nodes; i++)
        if (testnet_rpc_addr(o->dir, i, c->addrs[i], sizeof c->addrs[i]) != 0) {
            snprintf(why, why_len, "cannot read the rpc address of node%d in %s", i, o->dir);
            return -1;
        }
    char path[4096], kwhy[KEYFILE_WHY_MAX];
    snprintf(path, sizeof path, "%s/accounts.key", o->dir);
    if (keyfile_load(path, &c->kf, kwhy) != HANSA_OK) {
        snprintf(why, why_len, "%s", kwhy);
        return -1;
    }
    int have = (int)c->kf.count;
    c->n_senders = o->accounts > 0 && o->accounts < have ? o->accounts : have;
    if (c->n_senders < 2) {
        snprintf(why, why_len, "%s holds %d account(s); a transfer needs two", path, have);
        return -1;
    }
    c->chain_id = c->kf.chain_id;
    c->senders = hansa_calloc((size_t)c->n_senders, sizeof *c->senders);
    for (int i = 0; i < c->n_senders; i++) {
        load_sender *s = &c->senders[i];
        s->key = &c->kf.keys[i];
        keyfile_address(&c->kf, s->key, s->addr);
        addr_from_pubkey(&c->kf.keys[(i + 1) % c->n_senders].kp.pub, &s->to);
        s->node = i % c->n_nodes;
        if (!read_nonce(c, s, &s->base_nonce)) {
            snprintf(why, why_len, "no node of %s answers the account RPC", o->dir);
            return -1;
        }
        s->next_nonce = s->committed = s->base_nonce;
    }
    if (!read_height(c, &c->height)) {
        snprintf(why, why_len, "no node of %s answers the status RPC", o->dir);
        return -1;
    }
    c->r->height_start = c->r->height_end = c->height;
    c->r->nodes = c->n_nodes;
    return 0;
}

static void load_teardown(load_ctx *c) {
    for (int i = 0; i < c->n_senders && c->senders; i++) free(c->senders[i].tx_of);
    free(c->senders);
    keyfile_free(&c->kf);
}

/* ---- the run ---- */

static void sleep_until(uint64_t t_us) {
    uint64_t now = clock_system_mono_us();
    if (t_us > now) usleep((useconds_t)(t_us - now));
}

static void progress(const load_ctx *c, uint64_t now) {
    if (!c->o->progress) return;
    fprintf(c->o->progress, "load: t=%.1fs submits=%llu accepted=%llu rejected=%llu committed=%llu height=%llu\n",
            (double)(now - c->r->start_us) / 1e6, (unsigned long long)c->r->submits,
            (unsigned long long)c->r->accepted, (unsigned long long)c->r->rejected,
            (unsigned long long)c->r->committed, (unsigned long long)c->height);
    fflush(c->o->progress);
}

/* The next sender with room in flight, round robin from *cursor; -1 if none. */
static int next_sender(load_ctx *c, int *cursor) {
    uint32_t cap = c->o->max_pending ? c->o->max_pending : LOAD_MAX_PENDING_DEFAULT;
    for (int k = 0; k < c->n_senders; k++) {
        int i = (*cursor + k) % c->n_senders;
        load_sender *s = &c->senders[i];
        if (s->next_nonce - s->committed < cap) {
            *cursor = (i + 1) % c->n_senders;
            return i;
        }
    }
    return -1;
}

static bool all_down(const load_ctx *c, uint64_t now) {
    for (int i = 0; i < c->n_nodes; i++)
        if (now >= c->down_until_us[i]) return false;
    return true;
}

static void run_submit(load_ctx *c) {
    const load_opts *o = c->o;
    uint64_t now = clock_system_mono_us(), end = now + (uint64_t)(o->duration_s * 1e6);
    uint64_t due = now, next_poll = now, next_progress = now + 1000000;
    uint64_t step = o->rate_tx_s > 0 ? (uint64_t)(1e6 / o->rate_tx_s) : 0;
    int cursor = 0;
    while ((now = clock_system_mono_us()) < end) {
        if (now >= next_poll) {
            poll_commits(c);
            next_poll = now + LOAD_POLL_US;
        }
        if (now >= next_progress) {
            progress(c, now);
            next_progress += 1000000;
        }
        if (step && now < due) {
            sleep_until(due < next_poll ? due : next_poll);
            continue;
        }
        int i = next_sender(c, &cursor);
        if (i < 0 || all_down(c, now)) { /* wait for commits, or for a node to come back */
            sleep_until(next_poll);
            continue;
        }
        submit_next(c, &c->senders[i]);
        due += step;
        if (step && due + 1000000 < now) due = now; /* do not burst to catch up a stall */
    }
}

static bool all_committed(const load_ctx *c) {
    for (int i = 0; i < c->n_senders; i++) {
        const load_sender *s = &c->senders[i];
        for (size_t k = 0; k < s->n_tx_of; k++)
            if (c->r->txs[s->tx_of[k]].state == LOAD_TX_ACCEPTED) return false;
    }
    return true;
}

static void run_settle(load_ctx *c) {
    uint64_t end = clock_system_mono_us() + (uint64_t)(c->o->settle_s * 1e6);
    while (clock_system_mono_us() < end && !all_committed(c)) {
        poll_commits(c);
        sleep_until(clock_system_mono_us() + LOAD_POLL_US);
    }
}

int load_run(const load_opts *o, load_result *out, char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    load_ctx c = {0};
    c.o = o;
    c.r = out;
    out->start_us = clock_system_mono_us();
    int rc = load_setup(&c, why, why_len);
    if (rc == 0) {
        out->start_us = clock_system_mono_us();
        run_submit(&c);
        out->submit_end_us = clock_system_mono_us();
        run_settle(&c);
        poll_commits(&c);
    }
    out->end_us = clock_system_mono_us();
    load_teardown(&c);
    return rc;
}

/* ---- reporting ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    double elapsed_s, submit_s, committed_tx_s, heights_s;
    double latency_ms_p50, latency_ms_p99, latency_ms_max;
    uint64_t last_commit_us;
} load_figures;

static void figures(const load_result *r, load_figures *f) {
    memset(f, 0, sizeof *f);
    f->elapsed_s = (double)(r->end_us - r->start_us) / 1e6;
    f->submit_s = (double)(r->submit_end_us - r->start_us) / 1e6;
    uint64_t *lat = hansa_calloc(r->committed ? r->committed : 1, sizeof *lat);
    size_t n = 0;
    for (size_t i = 0; i < r->n_txs; i++) {
        const load_tx *t = &r->txs[i];
        if (t->state != LOAD_TX_COMMITTED || n == r->committed) continue;
        lat[n++] = t->commit_us - t->submit_us;
        if (t->commit_us > f->last_commit_us) f->last_commit_us = t->commit_us;
    }
    qsort(lat, n, sizeof *lat, cmp_u64);
    if (n) {
        f->latency_ms_p50 = (double)lat[n / 2] / 1e3;
        f->latency_ms_p99 = (double)lat[(n * 99) / 100] / 1e3;
        f->latency_ms_max = (double)lat[n - 1] / 1e3;
        double span = (double)(f->last_commit_us - r->start_us) / 1e6;
        f->committed_tx_s = span > 0 ? (double)n / span : 0;
    }
    free(lat);
    f->heights_s = f->elapsed_s > 0 ? (double)(r->height_end - r->height_start) / f->elapsed_s : 0;
}

void load_result_print(const load_result *r, FILE *out) {
    load_figures f;
    figures(r, &f);
    fprintf(out, "load over %d nodes: %zu transactions signed in %.1f s, %llu submit calls\n",
            r->nodes, r->n_txs, f.submit_s, (unsigned long long)r->submits);
    fprintf(out, "  accepted %llu, committed %llu, rejected %llu calls, already held %llu, "
                 "unreachable %llu\n",
            (unsigned long long)r->accepted, (unsigned long long)r->committed,
            (unsigned long long)r->rejected, (unsigned long long)r->duplicates,
            (unsigned long long)r->unreachable);
    fprintf(out, "  committed %.1f tx/s; heights %llu..%llu (%.2f heights/s); latency submit->seen "
                 "committed p50 %.0f ms p99 %.0f ms max %.0f ms\n",
            f.committed_tx_s, (unsigned long long)r->height_start, (unsigned long long)r->height_end,
            f.heights_s, f.latency_ms_p50, f.latency_ms_p99, f.latency_ms_max);
    for (size_t i = 0; i < r->n_reasons; i++)
        fprintf(out, "  rejected %llu x %s\n", (unsigned long long)r->reasons[i].count, r->reasons[i].text);
}

void load_result_print_json(const load_result *r, FILE *out) {
    load_figures f;
    figures(r, &f);
    json_t *reasons = json_object();
    for (size_t i = 0; i < r->n_reasons; i++)
        json_object_set_new(reasons, r->reasons[i].text, json_integer((json_int_t)r->reasons[i].count));
    json_t *j = json_pack(
        "{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o}",
        "nodes", r->nodes, "signed", (json_int_t)r->n_txs, "submits", (json_int_t)r->submits,
        "accepted", (json_int_t)r->accepted, "committed", (json_int_t)r->committed, "rejected",
        (json_int_t)r->rejected, "duplicates", (json_int_t)r->duplicates, "unreachable",
        (json_int_t)r->unreachable, "height_start", (json_int_t)r->height_start, "height_end",
        (json_int_t)r->height_end, "elapsed_s", f.elapsed_s, "submit_s", f.submit_s,
        "committed_tx_s", f.committed_tx_s, "heights_s", f.heights_s, "latency_ms_p50",
        f.latency_ms_p50, "latency_ms_p99", f.latency_ms_p99, "latency_ms_max", f.latency_ms_max,
        "reasons", reasons);
    char *s = json_dumps(j, JSON_COMPACT);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(j);
}

/* ---- the command ---- */

static int usage(void) {
    fprintf(stderr,
            "usage: hansa load --dir TESTNET_DIR [--accounts K] [--rate TX_PER_S] [--duration S]\n"
            "                  [--settle S] [--fee F] [--node-all] [--json] [--quiet]\n"
            "  signs transfers between the testnet's funded accounts and submits them;\n"
            "  --rate 0 submits as fast as the nodes answer; --node-all sends every tx to every node;\n"
            "  --settle waits that long after the last submit for commits (default 10)\n");
    return 2;
}

int cmd_load(int argc, char **argv) {
    load_opts o = {NULL, 0, 50, 10, 10, false, 1, 0, stderr};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--dir") == 0 && has) o.dir = argv[++i];
        else if (strcmp(argv[i], "--accounts") == 0 && has) o.accounts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rate") == 0 && has) o.rate_tx_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--duration") == 0 && has) o.duration_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--settle") == 0 && has) o.settle_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--fee") == 0 && has) o.fee = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--node-all") == 0) o.node_all = true;
        else if (strcmp(argv[i], "--json") == 0) json = true;
        else if (strcmp(argv[i], "--quiet") == 0) o.progress = NULL;
        else return usage();
    }
    if (!o.dir || o.accounts < 0 || o.rate_tx_s < 0 || o.duration_s <= 0 || o.settle_s < 0 ||
        o.fee < 1)
        return usage();
    crypto_init();
    load_result r;
    char why[512];
    if (load_run(&o, &r, why, sizeof why) != 0) {
        fprintf(stderr, "hansa load: %s\n", why);
        load_result_free(&r);
        return 1;
    }
    if (json) load_result_print_json(&r, stdout);
    else load_result_print(&r, stdout);
    load_result_free(&r);
    return 0;
}
