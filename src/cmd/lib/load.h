/* load.h — the transaction load generator behind `hansa load` (paced, for
 * the cluster tests) and `hansa bench` (saturating, for throughput).
 *
 * It signs transfers from the testnet's funded accounts (DIR/accounts.key,
 * acct0..), each sender paying 1 unit to the next account, with
 * consecutive nonces. Sender i submits to node i mod n, so its nonces reach
 * that node's mempool in order (a node refuses a nonce gap) and the load is
 * spread over the network; with node_all every transaction goes to every
 * node. One submitter thread per node sends that node submit_txs calls of
 * up to 100 transactions, each from the senders pinned to it that have
 * room in their window (accepted, not yet committed), so no node is left
 * idle while the load waits on another. With a rate the batches are paced
 * by a shared deadline; without one they go out as fast as the nodes answer.
 * Every thread keeps one HTTP/1.1 connection per node open (rpc_client.h's
 * rpcc_conn), and writes its requests from the transactions' bytes into a
 * reused buffer (load_form.h), so a batch costs the generator and the node
 * no connect, accept or close and the generator no JSON tree.
 *
 * A transaction is a pure function of (sender, nonce), and Ed25519 is
 * deterministic, so re-signing a nonce yields the same bytes and hash. That
 * keeps the nonce bookkeeping simple: after a rejection the sender re-reads
 * its committed nonce and resubmits from there (a resubmission of something
 * a node already holds, "already in the mempool", just moves on); a node
 * that does not answer hands its senders to the next node. The same makes
 * resending a request safe when a kept connection closes under it: the
 * copies the node already admitted come back as duplicates, counted held.
 *
 * The main thread polls the first node that answers every 20 ms; at each new
 * height it asks for the nonces of the senders with transactions in flight.
 * A nonce past a transaction means it committed (a sender's transactions
 * commit in nonce order), so commit times are upper bounds, late by up to
 * one poll interval and one round trip. */
#ifndef HANSA_CMD_LOAD_H
#define HANSA_CMD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bytes.h"

#define LOAD_REASONS_MAX 32  /* distinct rejection reasons kept (more are lumped) */
#define LOAD_REASON_TEXT_MAX 160
#define LOAD_NODES_MAX 64

typedef struct load_result load_result;

/* What the main thread saw at one poll during the submit phase. */
typedef struct {
    uint64_t now_us;        /* clock_system_mono_us */
    double t_s;             /* since submitting began */
    uint64_t height;        /* of the node polled (the first that answers) */
    uint64_t committed_txs; /* that node's committed_txs counter */
    const load_result *r;   /* the counters so far */
} load_tick;

/* Called by the main thread after every poll of the submit phase, with the
 * load's lock held (the counters in t->r are consistent; do not call into
 * the load from it). */
typedef void (*load_tick_fn)(const load_tick *t, void *arg);

typedef struct {
    const char *dir;      /* the testnet folder (hansa testnet up --dir) */
    int accounts;         /* senders: acct0..acct<accounts-1>; 0 = every funded account */
    double rate_tx_s;     /* new transactions per second over all senders; 0 = saturate */
    double duration_s;    /* how long to submit */
    double settle_s;      /* then how long to wait for what was accepted to commit */
    bool node_all;        /* submit every transaction to every node */
    uint64_t fee;         /* per transaction (>= the chain's min_fee) */
    uint32_t window;      /* per sender: accepted and not yet committed, 1..4096; 0 = 256 */
    load_tick_fn on_tick; /* or NULL */
    void *tick_arg;
    int nodes;            /* submit to and poll node0..node<nodes-1> only; 0 = every node */
    /* Sign this many transactions of every sender (its next nonces) before
     * the load starts, on presign_threads threads, so that the clients
     * cost the machine only their RPC while the nodes are measured; past
     * them a sender's transactions are signed as they go. 0: sign as they
     * go. */
    uint32_t presign;
    int presign_threads;
} load_opts;

typedef enum {
    LOAD_TX_NEW = 0,      /* signed, not yet accepted by any node */
    LOAD_TX_ACCEPTED,     /* a node admitted it to its mempool */
    LOAD_TX_COMMITTED,    /* the sender's committed nonce passed it */
} load_tx_state;

/* One distinct transaction (sender, nonce). Times are clock_system_mono_us;
 * 0 = not yet. commit_us is when load saw the commit (polling), so it is an
 * upper bound, late by at most one poll interval. */
typedef struct {
    uint32_t account;
    uint64_t nonce;
    hansa_hash hash;      /* sha256 of the encoded tx (the block's tx hash) */
    uint64_t submit_us;   /* first submission */
    uint64_t accept_us;
    uint64_t commit_us;
    uint8_t state;        /* load_tx_state */
} load_tx;

typedef struct {
    char text[LOAD_REASON_TEXT_MAX]; /* "HANSA_ERR_FEE: fee 0 is below the chain's minimum 1" */
    uint64_t count;
} load_reason;

struct load_result {
    uint64_t submits;     /* transactions submitted (resubmissions and node_all copies included) */
    uint64_t accepted;    /* distinct transactions some node admitted */
    uint64_t rejected;    /* calls refused by a node (see reasons) */
    uint64_t duplicates;  /* calls answered "already in the mempool" (not rejections) */
    uint64_t unreachable; /* calls that got no answer (node down, timeout) */
    uint64_t committed;   /* distinct transactions seen committed */
    load_tx *txs;         /* every distinct transaction, in signing order; owned */
    size_t n_txs, cap_txs;
    load_reason reasons[LOAD_REASONS_MAX];
    size_t n_reasons;
    char last_reason[LOAD_REASON_TEXT_MAX]; /* of the last rejected or unanswered call */
    uint64_t start_us, submit_end_us, end_us;
    uint64_t height_start, height_end; /* of the first node that answered */
    uint64_t committed_txs_end;        /* that node's committed_txs counter at the end */
    int nodes;
    uint64_t presigned;   /* transactions signed before the load (load_opts.presign) */
    double presign_s;     /* how long that took */
    uint64_t signed_live; /* transactions signed during the load (none presigned for that nonce) */
    uint64_t connections; /* HTTP connections opened to the nodes (each thread keeps one per node) */
    uint64_t resent;      /* requests sent again after a kept connection closed under them */
    const char *form;     /* how it submitted: "POST /txs", "submit_txs", ... (static) */
};

/* Runs the load described by o against the testnet in o->dir. Fills *out
 * (initialised here; free with load_result_free, also after an error).
 * Returns 0, or an exit code of docs/cli.md with why set when it cannot
 * start: CLI_USAGE (no network in o->dir, a bad key file), CLI_UNREACHABLE
 * (no node answers). Rejections and unreachable nodes during the run are
 * counted, not errors. */
int load_run(const load_opts *o, load_result *out, char *why, size_t why_len);

void load_result_free(load_result *r);

/* A human summary (counts, rates, latencies, rejection reasons). */
void load_result_print(const load_result *r, FILE *out);

/* The same as one JSON object on one line. */
void load_result_print_json(const load_result *r, FILE *out);

int cmd_load(int argc, char **argv);

#endif
