/* bench_load.h — drive signed transfers into a running local network and
 * measure what comes out: committed tx/s, commit latency, block sizes and
 * the CPU the nodes burn. Used by `hansa bench` (on a network it starts)
 * and by scripts/demo (on the network `hansa testnet up` started).
 *
 * How the load works. Accounts acct0..acctK-1 of DIR/accounts.key send
 * transfers of 1 unit to each other. Account a always submits to node
 * a % N, so its transactions reach that node's mempool in nonce order (a
 * node refuses a nonce gap; sending one account's nonces to two nodes would
 * race the gossip). Each account keeps at most `window` transactions in
 * flight (submitted, not yet committed), and submissions go out as JSON-RPC
 * batches of up to 100 submit_tx calls. A refused transaction pauses its
 * account until the next block, after which it resumes from its committed
 * nonce (a resent transaction that is still queued is refused as a
 * duplicate, which counts as accepted).
 *
 * How it measures. Every 20 ms the load asks node0 for its status; at each
 * new height it asks node0 for every account's nonce. A transaction's commit
 * latency is the time from its submission to the reply that first shows its
 * nonce consumed: it includes up to one poll interval and one RPC round trip,
 * so it is an upper bound. Committed tx/s is node0's committed_txs counter
 * over the measured window (which starts after a warm-up). Block sizes come
 * from the committed_txs difference between consecutive heights seen one
 * apart. CPU is utime+stime from /proc/<pid>/stat of each hansad over the
 * window, as a percentage of one core, and /proc/stat says how busy the
 * whole machine was meanwhile. */
#ifndef HANSA_CMD_BENCH_LOAD_H
#define HANSA_CMD_BENCH_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_LOAD_NODES_MAX 64

typedef struct {
    const char *dir;   /* network folder, as `hansa testnet` lays it out */
    int accounts;      /* use acct0..acctK-1; at most what the key file holds */
    int window;        /* transactions in flight per account, 1..4096 */
    double warmup_s;   /* load runs this long before measuring */
    double duration_s; /* measured time */
    bool progress;     /* a line on stdout every 5 s */
} bench_load_opts;

typedef struct {
    double window_s;
    uint64_t committed_txs;          /* on node0 during the window */
    uint64_t height_from, height_to; /* node0's heights at its ends */
    uint64_t block_txs_max;          /* largest block seen (heights seen one apart) */
    size_t latency_samples;
    double latency_ms_p50, latency_ms_p99, latency_ms_max;
    uint64_t submitted, refused;     /* over the whole run, warm-up included */
    char last_refusal[160];          /* why the last refused transaction was refused */
    int n_nodes;
    double node_cpu_pct[BENCH_LOAD_NODES_MAX]; /* per hansad, % of one core */
    double self_cpu_pct;                       /* this process: signing and RPC */
    /* All cores of the machine, busy (not idle or iowait) as a % of their
     * total: with the nodes' share it shows how much other work (other
     * processes on a shared machine) took from the bound. */
    double machine_busy_pct;
} bench_load_result;

/* Runs the load against the network in o->dir. Returns 0 with *out filled,
 * or 1 after printing to stderr what went wrong (no network, a node not
 * answering, no transaction committed). */
int bench_load_run(const bench_load_opts *o, bench_load_result *out);

/* Asks every node of the network in dir for its status until all report the
 * same height (they commit several blocks a second, so a few tries usually
 * suffice), then compares their app hashes. Prints the outcome. Returns 0 if
 * all agree, 1 if they differ or never stood at one height (stderr says). */
int bench_load_check_agreement(const char *dir);

#endif
