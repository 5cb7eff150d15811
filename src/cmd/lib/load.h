/* load.h — `hansa load`: a transaction load generator for a testnet.
 *
 * It signs transfers from the testnet's funded accounts (DIR/accounts.key,
 * acct0..), each sender paying 1 unit to the next account, with
 * consecutive nonces, and submits them with the `submit_tx` RPC, each
 * sender to its own node (sender i -> node i mod n) so the load is spread
 * over the network; with node_all every transaction goes to every node. It
 * watches the senders' nonces (`account` RPC) to learn when each
 * transaction committed.
 *
 * A transaction is a pure function of (sender, nonce), and Ed25519 is
 * deterministic, so re-signing a nonce yields the same bytes and hash. That
 * keeps the nonce bookkeeping simple after a rejection or a lost node: the
 * sender re-reads its committed nonce and resubmits from there, and a
 * resubmission of something a node already holds ("already in the
 * mempool") just moves on.
 *
 * The core is a function (load_run) so that `hansa bench` can drive the same
 * load and read per-transaction submit and commit times. */
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

typedef struct {
    const char *dir;      /* the testnet folder (hansa testnet up --dir) */
    int accounts;         /* senders: acct0..acct<accounts-1>; 0 = every funded account */
    double rate_tx_s;     /* new transactions per second over all senders; 0 = unpaced */
    double duration_s;    /* how long to submit */
    double settle_s;      /* then how long to wait for what was accepted to commit */
    bool node_all;        /* submit every transaction to every node */
    uint64_t fee;         /* per transaction (>= the chain's min_fee) */
    uint32_t max_pending; /* per sender: accepted and not yet committed; 0 = 256 */
    FILE *progress;       /* a line per second while running, or NULL */
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
    char text[LOAD_REASON_TEXT_MAX]; /* "HANSA_ERR_NONCE: nonce 7, the account expects 5" */
    uint64_t count;
} load_reason;

typedef struct {
    uint64_t submits;     /* submit_tx calls (resubmissions and node_all copies included) */
    uint64_t accepted;    /* distinct transactions some node admitted */
    uint64_t rejected;    /* calls refused by a node (see reasons) */
    uint64_t duplicates;  /* calls answered "already in the mempool" (not rejections) */
    uint64_t unreachable; /* calls that got no answer (node down, timeout) */
    uint64_t committed;   /* distinct transactions seen committed */
    load_tx *txs;         /* every distinct transaction, in signing order; owned */
    size_t n_txs, cap_txs;
    load_reason reasons[LOAD_REASONS_MAX];
    size_t n_reasons;
    uint64_t start_us, submit_end_us, end_us;
    uint64_t height_start, height_end; /* of the first node that answered */
    int nodes;
} load_result;

/* Runs the load described by o against the testnet in o->dir. Fills *out
 * (initialised here; free with load_result_free, also after an error).
 * Returns 0, or -1 with why set when it cannot start (no network, bad key
 * file, no node answers). Rejections and unreachable nodes during the run
 * are counted, not errors. */
int load_run(const load_opts *o, load_result *out, char *why, size_t why_len);

void load_result_free(load_result *r);

/* A human summary (counts, rates, latencies, rejection reasons). */
void load_result_print(const load_result *r, FILE *out);

/* The same as one JSON object on one line. */
void load_result_print_json(const load_result *r, FILE *out);

int cmd_load(int argc, char **argv);

#endif
