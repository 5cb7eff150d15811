/* hansa.c — the hansa command-line tool: a table of subcommands.
 *
 * Each subcommand lives in src/cmd/lib/ as `int cmd_<name>(int argc, char
 * **argv)`, gets argv starting at its own name, and returns the process exit
 * status (0 success, 1 failure, 2 usage error, 3 node unreachable: see
 * docs/cli.md). Adding one is one row below. */
#include <stdio.h>
#include <string.h>

#include "cmd/lib/bench.h"
#include "cmd/lib/bench_crypto.h"
#include "cmd/lib/bench_mempool.h"
#include "cmd/lib/bench_root.h"
#include "cmd/lib/join.h"
#include "cmd/lib/bench_store.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/genesis.h"
#include "cmd/lib/load.h"
#include "cmd/lib/sim_cmd.h"
#include "cmd/lib/testnet.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} hansa_command;

static const hansa_command commands[] = {
    {"key", cmd_key, "create, list and show named keys (default file ~/.hansa/keys)"},
    {"send", cmd_send, "sign a transfer, submit it and wait until it is committed"},
    {"submit-raw", cmd_submit_raw, "submit a file of framed signed transactions in one binary request (POST /txs)"},
    {"account", cmd_account, "balance and nonce of an account"},
    {"block", cmd_block, "a block: header, tx hashes, commit"},
    {"tx", cmd_tx, "a committed transaction, with its inclusion proof verified here"},
    {"status", cmd_status, "what a node says about itself and its chain"},
    {"genesis", cmd_genesis, "write a new chain's genesis.json and print the hash its nodes pin"},
    {"stake", cmd_stake, "bond your own tokens as a delegate candidate"},
    {"unstake", cmd_unstake, "start unbonding part of your self bond"},
    {"vote", cmd_vote, "bond tokens to candidates (repeat --for/--amount)"},
    {"unvote", cmd_unvote, "start unbonding votes"},
    {"unjail", cmd_unjail, "leave jail after the chain's jail period"},
    {"candidates", cmd_candidates, "every candidate: bonds, weight, role, jailed or tombstoned"},
    {"delegates", cmd_delegates, "the active delegates, the next set and the bench"},
    {"group-key", cmd_group_key, "the FROST group keys the chain recorded and the open key generation"},
    {"checkpoint", cmd_checkpoint, "a checkpoint signed by the chain's FROST group (--verify checks it here)"},
    {"store", cmd_store, "check a stopped node's store record by record (store check DIR)"},
    {"upgrade", cmd_upgrade, "propose, approve and follow software ratification"},
    {"tally", cmd_tally, "credit tallies: offer, counter, accept, refuse, close, trade, show, list, sync (across chains)"},
    {"chit", cmd_chit, "pay on a tally with a signed chit; list a tally's chit chain"},
    {"receipt", cmd_receipt, "receipt collateral, show, verify and claim receipts, node exposure"},
    {"invoice", cmd_invoice, "create, show (JSON, QR code), pay or refuse an invoice"},
    {"lift", cmd_lift, "pay by a lift along a route of tallies (linear or circular), show, list"},
    {"client", cmd_client, "light clients of foreign chains: list, show, register, approve, update"},
    {"xfer", cmd_xfer, "follow a cross-chain transfer (status HASH) and list vouchers held"},
    {"route", cmd_route, "a node's routing table: foreign chain -> seed nodes, trust root"},
    {"federation", cmd_federation, "start, inspect and stop several local chains that follow each other"},
    {"bench", cmd_bench, "measure a local network's committed tx/s against the verify bound"},
    {"bench-credit", cmd_bench_credit, "measure chits/s the ledger applies on one tally"},
    {"bench-crypto", cmd_bench_crypto, "measure SHA-256 and Ed25519 (or, with --frost, FROST) rates on one core, Ed25519 verify on all at once"},
    {"bench-receipts", cmd_bench_receipts, "measure receipt latency next to commit latency, receipts/s, underwriting"},
    {"bench-mempool", cmd_bench_mempool, "measure what a full mempool spends refusing txs"},
    {"bench-store", cmd_bench_store, "measure block commit time at the start and end of 1,000 full blocks"},
    {"bench-root", cmd_bench_root, "measure the state root a checkpoint height commits to (100k accounts)"},
    {"join", cmd_join, "start a new node's home from a state snapshot checked by the light client"},
    {"testnet", cmd_testnet, "start, inspect and stop a local network of delegates"},
    {"load", cmd_load, "sign and submit transfers to a testnet, report what committed"},
    {"sim", cmd_sim, "run the deterministic consensus simulator (one seed or a campaign)"},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
    fprintf(out, "usage: hansa <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "hansa: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
