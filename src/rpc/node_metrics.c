/* node_metrics.c — see node_metrics.h.
 *
 * Names follow Prometheus conventions: counters end in _total, times are in
 * seconds (the node keeps milliseconds; they are printed with three
 * decimals, which is exact), histograms have cumulative _bucket{le=...}
 * lines ending with le="+Inf", then _sum and _count. */
#include "rpc/node_metrics.h"

#include <inttypes.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/sign.h"

/* Ten seconds of once-a-second samples, plus the one they are measured from. */
#define RATE_SAMPLES 11

typedef struct {
    uint64_t at_ms;
    uint64_t sig_verifies;
    uint64_t committed_txs;
} rate_sample;

struct rpc_node_metrics {
    rpc_server *server;
    node *n;
    const rpc_node_api *api; /* NULL until set */
    rate_sample ring[RATE_SAMPLES];
    size_t next;  /* slot the next sample goes to */
    size_t count; /* samples held, <= RATE_SAMPLES */
};

static void write_cb(hbuf *out, void *ctx) { rpc_node_metrics_write(ctx, out); }

rpc_node_metrics *rpc_node_metrics_new(rpc_server *server, node *n) {
    HANSA_ASSERT(server != NULL);
    HANSA_ASSERT(n != NULL);
    rpc_node_metrics *m = hansa_calloc(1, sizeof *m);
    m->server = server;
    m->n = n;
    rpc_set_metrics(server, write_cb, m);
    return m;
}

void rpc_node_metrics_free(rpc_node_metrics *m) {
    if (!m) return;
    rpc_set_metrics(m->server, NULL, NULL);
    free(m);
}

void rpc_node_metrics_sample(rpc_node_metrics *m, uint64_t now_ms) {
    if (m->count > 0) {
        size_t last = (m->next + RATE_SAMPLES - 1) % RATE_SAMPLES;
        HANSA_ASSERT(now_ms >= m->ring[last].at_ms);
    }
    node_status st;
    node_get_status(m->n, &st);
    m->ring[m->next] = (rate_sample){now_ms, st.sig_verifies, st.committed_txs};
    m->next = (m->next + 1) % RATE_SAMPLES;
    if (m->count < RATE_SAMPLES) m->count++;
}

/* Per-second rates between the oldest and newest samples; 0 with fewer
 * than two samples or no time between them. */
static void rates(const rpc_node_metrics *m, double *verifies, double *txs) {
    *verifies = *txs = 0;
    if (m->count < 2) return;
    size_t newest = (m->next + RATE_SAMPLES - 1) % RATE_SAMPLES;
    size_t oldest = m->count < RATE_SAMPLES ? 0 : m->next;
    const rate_sample *a = &m->ring[oldest], *b = &m->ring[newest];
    if (b->at_ms <= a->at_ms) return;
    double secs = (double)(b->at_ms - a->at_ms) / 1000.0;
    HANSA_ASSERT(b->sig_verifies >= a->sig_verifies);
    HANSA_ASSERT(b->committed_txs >= a->committed_txs);
    *verifies = (double)(b->sig_verifies - a->sig_verifies) / secs;
    *txs = (double)(b->committed_txs - a->committed_txs) / secs;
}

static void header(hbuf *out, const char *name, const char *type, const char *help) {
    rpc_metrics_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(hbuf *out, const char *name, const char *help, uint64_t v) {
    header(out, name, "gauge", help);
    rpc_metrics_printf(out, "%s %" PRIu64 "\n", name, v);
}

static void counter(hbuf *out, const char *name, const char *help, uint64_t v) {
    header(out, name, "counter", help);
    rpc_metrics_printf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge_f(hbuf *out, const char *name, const char *help, double v) {
    header(out, name, "gauge", help);
    rpc_metrics_printf(out, "%s %.1f\n", name, v);
}

/* Where the node's CPU goes to signature checks: the crypto layer's count
 * of Ed25519 verifications in this process and the thread CPU they took,
 * estimated from about 1 call in VERIFY_CPU_SAMPLE_EVERY timed (a thread
 * clock read costs ~1.7 us here: timing every verify would cost ~11% of
 * one). */
_Static_assert(VERIFY_CPU_SAMPLE_EVERY == 32, "the HELP of hansa_sig_verify_cpu_seconds_total says 32");
static void write_verify_cpu(hbuf *out, const node_status *st) {
    counter(out, "hansa_sig_verify_calls_total",
            "Ed25519 verifications in this process since start (the calls the CPU figure covers).",
            st->verify_calls);
    header(out, "hansa_sig_verify_cpu_seconds_total", "counter",
           "Thread CPU seconds spent in Ed25519 verification since start, estimated: 1 call in 32 "
           "is timed (at random gaps of 1 to 63 calls) and counts for its gap.");
    rpc_metrics_printf(out, "hansa_sig_verify_cpu_seconds_total %.6f\n",
                       (double)st->verify_cpu_ns / 1e9);
}

/* Writes a value in the histogram's printed unit: milliseconds become
 * seconds with three decimals, other units stay integers. */
static void print_value(hbuf *out, uint64_t v, bool ms) {
    if (ms)
        rpc_metrics_printf(out, "%" PRIu64 ".%03" PRIu64, v / 1000, v % 1000);
    else
        rpc_metrics_printf(out, "%" PRIu64, v);
}

static void histogram(hbuf *out, const char *name, const char *help, const node_hist *h, bool ms) {
    HANSA_ASSERT(h->bounds != NULL);
    header(out, name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < NODE_HIST_BOUNDS; i++) {
        cumulative += h->counts[i];
        rpc_metrics_printf(out, "%s_bucket{le=\"", name);
        print_value(out, h->bounds[i], ms);
        rpc_metrics_printf(out, "\"} %" PRIu64 "\n", cumulative);
    }
    cumulative += h->counts[NODE_HIST_BOUNDS];
    HANSA_ASSERT(cumulative == h->count);
    rpc_metrics_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum ", name, h->count, name);
    print_value(out, h->sum, ms);
    rpc_metrics_printf(out, "\n%s_count %" PRIu64 "\n", name, h->count);
}

static void write_state(hbuf *out, const node_status *st) {
    gauge(out, "hansa_height", "Height of the last committed block.", st->height);
    gauge(out, "hansa_consensus_height", "Height consensus is deciding.", st->cons_height);
    gauge(out, "hansa_consensus_round", "Round of the height being decided (0 = first).",
          st->cons_round);
    gauge(out, "hansa_rounds_last_height", "Rounds the last committed height took (1 = first round).",
          st->rounds_last_height);
    counter(out, "hansa_committed_txs_total", "Transactions in blocks committed since start.",
            st->committed_txs);
    gauge(out, "hansa_mempool_txs", "Transactions waiting in the mempool.", st->mempool_txs);
    gauge(out, "hansa_mempool_bytes", "Encoded bytes of the transactions in the mempool.",
          st->mempool_bytes);
    gauge(out, "hansa_store_unindexed_tx_bytes",
          "Memory holding committed tx ids the tx index does not hold yet.",
          st->unindexed_tx_bytes);
    gauge(out, "hansa_store_tx_lookup_held_bytes",
          "Heap of that copy, buffers kept for reuse included.", st->tx_lookup_held_bytes);
    gauge(out, "hansa_store_index_scratch_bytes",
          "Sort buffers the tx index step keeps from one step to the next.", st->index_scratch_bytes);
    counter(out, "hansa_store_tx_lookup_read_backs_total",
            "tx_log records read back because the copy held a looked-up hash's prefix.",
            st->tx_lookup_read_backs);
    counter(out, "hansa_store_tx_lookup_walked_total",
            "tx_log records walked by lookups the copy could not answer (past its bound).",
            st->tx_lookup_walked);
    gauge(out, "hansa_peers", "Connected peers.", st->peers);
    gauge(out, "hansa_is_delegate", "1 if this node is in the validator set deciding the height.",
          st->is_validator);
    gauge(out, "hansa_syncing", "1 if a peer is ahead and the node is fetching blocks.", st->syncing);
    counter(out, "hansa_sig_verifies_total",
            "Ed25519 signatures verified since start (txs, votes, proposals, commits).",
            st->sig_verifies);
}

static void write_histograms(hbuf *out, const node_status *st) {
    histogram(out, "hansa_height_proposal_seconds",
              "From the start of a height to the first proposal accepted for it.",
              &st->height_proposal_ms, true);
    histogram(out, "hansa_height_prevote_quorum_seconds",
              "From the start of a height to more than 2/3 of prevotes (precommit step).",
              &st->height_prevote_quorum_ms, true);
    histogram(out, "hansa_height_commit_seconds", "From the start of a height to its decision.",
              &st->height_commit_ms, true);
    histogram(out, "hansa_block_txs", "Transactions per committed block.", &st->block_txs, false);
    histogram(out, "hansa_block_bytes", "Encoded size of each committed block in bytes.",
              &st->block_bytes, false);
}

/* The waiting calls: how many wait for a block, and the work they cost; and
 * what came through POST /txs. */
static void write_waiters(hbuf *out, const rpc_node_api *api) {
    const rpc_node_api_counters *c = rpc_node_api_counters_get(api);
    rpc_metrics_printf(out,
                       "# HELP hansa_rpc_block_waiters wait_block calls waiting.\n"
                       "# TYPE hansa_rpc_block_waiters gauge\nhansa_rpc_block_waiters %u\n"
                       "# HELP hansa_rpc_block_views_built_total wait_block answers built "
                       "(once per height, shared by every waiter).\n"
                       "# TYPE hansa_rpc_block_views_built_total counter\n"
                       "hansa_rpc_block_views_built_total %" PRIu64 "\n"
                       "# HELP hansa_rpc_answer_turns_total Loop turns spent answering waiters.\n"
                       "# TYPE hansa_rpc_answer_turns_total counter\n"
                       "hansa_rpc_answer_turns_total %" PRIu64 "\n"
                       "# HELP hansa_rpc_binary_bodies_total POST /txs bodies judged.\n"
                       "# TYPE hansa_rpc_binary_bodies_total counter\n"
                       "hansa_rpc_binary_bodies_total %" PRIu64 "\n"
                       "# HELP hansa_rpc_binary_txs_total Transactions judged from POST /txs bodies.\n"
                       "# TYPE hansa_rpc_binary_txs_total counter\n"
                       "hansa_rpc_binary_txs_total %" PRIu64 "\n",
                       rpc_node_api_block_waiters(api), c->block_views_built, c->answer_turns,
                       c->binary_bodies, c->binary_txs);
}

void rpc_node_metrics_write(const rpc_node_metrics *m, hbuf *out) {
    node_status st;
    node_get_status(m->n, &st);
    write_state(out, &st);
    write_verify_cpu(out, &st);
    double verifies, txs;
    rates(m, &verifies, &txs);
    gauge_f(out, "hansa_sig_verify_rate", "Signatures verified per second over the last 10 s.",
            verifies);
    gauge_f(out, "hansa_committed_tx_rate", "Transactions committed per second over the last 10 s.",
            txs);
    write_histograms(out, &st);
    if (m->api) write_waiters(out, m->api);
}

void rpc_node_metrics_set_api(rpc_node_metrics *m, const rpc_node_api *api) { m->api = api; }
