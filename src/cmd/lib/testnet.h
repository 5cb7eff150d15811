/* testnet.h — `hansa testnet up|status|down`: a local network of hansad
 * delegates on loopback, each its own process with its own home. */
#ifndef HANSA_CMD_TESTNET_H
#define HANSA_CMD_TESTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cmd_testnet(int argc, char **argv);

/* What `testnet up` makes. Defaults: "testnet", 4, 16, 1000. */
typedef struct {
    const char *dir;
    int validators;              /* 1..64 */
    int accounts;                /* funded accounts acct0..acctK-1, 1..1000 */
    uint32_t timeout_propose_ms; /* prevote/precommit timeouts are the same, deltas half */
    bool json;                   /* print results as JSON (docs/cli.md) */
    int full_nodes;              /* extra nodes (after the delegates) not in the genesis set */
    const char *elections;       /* JSON object for genesis "elections", or NULL */
    uint32_t chain_id;           /* 0: e2e4 */
    int port_base;               /* first port; 0: search for free ones */
    bool frost;                  /* delegates run the key generation duty ("frost_dkg") */
    uint32_t checkpoint_blocks;  /* genesis params.checkpoint_blocks; 0: the default (256) */
    /* The nodes this call starts get SIGTERM when the calling process dies,
     * however it dies (SIGKILL, a failed assertion): for a bench, whose
     * nodes must not run on idle and load every later measurement. Call
     * testnet_up_dir from the main thread then (the kernel signals when the
     * forking thread exits). False for `testnet up`, whose nodes outlive it. */
    bool die_with_parent;
    /* Which of the above the command line set: on an existing network
     * those must match it (they cannot change it). */
    bool validators_given, accounts_given, timeout_given, full_nodes_given;
} testnet_opts;

/* Creates the network's folder (keys, genesis, configs) without starting
 * anything; 0, or 1 with a message. `up` then starts it. */
int testnet_init_dir(const testnet_opts *o);
/* The first of `ports` free consecutive loopback ports (-1 if none). */
int testnet_free_port_base(int ports);

/* `testnet up`: creates the network in o->dir if it does not exist, starts
 * every node that is not running (the hansad next to this binary), waits
 * until all answer status, prints where they are and which were already
 * running. Returns an exit code of docs/cli.md with a message on stderr:
 * CLI_USAGE for options that do not match an existing network or a folder
 * that holds none, CLI_FAILED if the network cannot be made or a node exits
 * at start, CLI_UNREACHABLE if a node runs but does not answer. */
int testnet_up_dir(const testnet_opts *o);
/* `testnet down`: stops every node of the network in o->dir; CLI_OK, or
 * CLI_USAGE if the folder holds no network. */
int testnet_down_dir(const testnet_opts *o);
/* Stops node i of the network in dir alone (bench --down); 1 if it was
 * running, 0 if not. */
int testnet_stop_node(const char *dir, int i);
/* The pid of node i's hansad if it is running, else 0. */
int testnet_node_pid(const char *dir, int i);

/* The RPC address ("127.0.0.1:port") of node i of the network in dir, read
 * from its config; 0 on success. For other commands (bench, demo). */
int testnet_rpc_addr(const char *dir, int i, char *out, size_t out_len);
/* Number of nodes in the network in dir (0 if none). */
int testnet_size(const char *dir);

#endif
