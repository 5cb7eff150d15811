/* cli.h — the user commands of `hansa`: keys, sending, and queries that a
 * user (not an operator) runs against a node. docs/cli.md is their manual.
 *
 *   hansa key new|list|show     cli_key.c    named keys in a key file
 *   hansa send                  cli_send.c   build, sign, submit, wait
 *   hansa submit-raw            cli_submit_raw.c  framed signed txs, one POST /txs
 *   hansa account|block|status  cli_query.c  read the chain
 *   hansa tx                    cli_tx.c     a tx, verified locally
 *   hansa stake|unstake|vote|unvote|unjail|upgrade|candidates|delegates
 *                               cli_delegates.c  delegates and ratification
 *   hansa tally|chit|invoice    cli_credit.c     credit: tallies, chits, invoices
 *   hansa receipt, send --receipt  cli_receipt.c  stake-backed receipts and claims
 *   hansa store check           cli_store.c  a stopped node's store, checked whole
 *
 * Shared here (cli_common.c): which node to talk to, calling it with error
 * messages that say what to do, key file paths, --json output, and the exit
 * codes every command uses. */
#ifndef HANSA_CMD_CLI_H
#define HANSA_CMD_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "crypto/sign.h"
#include "wire/codec.h"

/* Exit codes (docs/cli.md). */
#define CLI_OK 0
#define CLI_FAILED 1      /* the node reported a failure, or verification failed */
#define CLI_USAGE 2       /* bad command line, bad local input (key file, address) */
#define CLI_UNREACHABLE 3 /* no answer from the node */

#define CLI_ADDR_MAX 128
#define CLI_PATH_MAX 4096
#define CLI_CALL_TIMEOUT_MS 10000

int cmd_key(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_tx(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stake(int argc, char **argv);
int cmd_unstake(int argc, char **argv);
int cmd_vote(int argc, char **argv);
int cmd_unvote(int argc, char **argv);
int cmd_unjail(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);
int cmd_candidates(int argc, char **argv);
int cmd_delegates(int argc, char **argv);
int cmd_group_key(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_tally(int argc, char **argv);   /* cli_credit.c */
int cmd_chit(int argc, char **argv);
int cmd_invoice(int argc, char **argv);
int cmd_lift(int argc, char **argv);
int cmd_bench_credit(int argc, char **argv); /* bench_credit.c */
/* bench-credit --across (bench_xtally.c): n chits across two chains, rounds of per_round. */
int bench_credit_across(uint64_t n, uint64_t per_round);
int cmd_bench_lifts(int argc, char **argv);  /* bench_lifts.c: hansa bench --lifts */
/* bench_xlifts.c: hansa bench --lifts --chains C (C - 1 lift chains and a referee). */
#define XL_CHAINS_MAX 8
#define XL_PARTIES_MAX 4000 /* persons of a federation: within CLR_NODES_MAX */
int bench_lifts_chains(int chains, int persons, uint64_t seed, size_t hops);
int cmd_bench_receipts(int argc, char **argv); /* bench_receipts.c */
int cmd_client(int argc, char **argv);     /* cli_client.c: light clients of foreign chains */
int cmd_route(int argc, char **argv);      /* cli_route.c: the routing table */
int cli_route_discovery(int argc, char **argv); /* cli_route_find.c: `route find|beacon|records` */
int cmd_xfer(int argc, char **argv);       /* cli_xfer.c: cross-chain transfers */
int cmd_federation(int argc, char **argv); /* federation.c: several local chains that follow each other */
/* cmd_federation for a caller that runs the federation and stops it (bench
 * --chains 2): with die_with_parent its nodes stop when the caller dies
 * (testnet_opts.die_with_parent; call from the main thread). */
int federation_run(int argc, char **argv, bool die_with_parent);
int cmd_receipt(int argc, char **argv);      /* cli_receipt.c */
/* `hansa send --receipt`: submit_receipt with the signed tx, print the
 * receipt, its guarantors and the time it took. Returns an exit code. */
int cli_send_receipt(const char *addr, const uint8_t *tx, size_t tx_len, bool json);
int cmd_store(int argc, char **argv);
int cmd_submit_raw(int argc, char **argv); /* cli_submit_raw.c: framed txs to POST /txs */

/* Options most commands share. */
typedef struct {
    const char *node; /* --node, or NULL */
    const char *keys; /* --keys, or NULL */
    bool json;        /* --json */
} cli_common;

/* If argv[*i] is --node/--keys (with a value) or --json, consumes it (and
 * its value) into c and returns true. */
bool cli_common_opt(cli_common *c, int argc, char **argv, int *i);

/* The node's RPC address: --node, else $HANSA_NODE, else node0 of
 * ./testnet, else 127.0.0.1:26657. */
void cli_node_addr(const cli_common *c, char out[CLI_ADDR_MAX]);

/* The key file: --keys, else $HOME/.hansa/keys. */
void cli_keys_path(const cli_common *c, char out[CLI_PATH_MAX]);

/* Calls method (params stolen, may be NULL) on the node. On success returns
 * the result (caller decrefs). On failure prints what went wrong and what
 * to do on stderr, prefixed by cmd, sets *exit_code (CLI_FAILED for an error
 * the node returned, CLI_UNREACHABLE for no answer) and returns NULL; if
 * err_data is non-NULL it gets the error's data (caller decrefs; may be
 * NULL) and *err_code its JSON-RPC code. */
json_t *cli_call(const char *cmd, const char *addr, const char *method, json_t *params,
                 int timeout_ms, int *exit_code);
json_t *cli_call_ex(const char *cmd, const char *addr, const char *method, json_t *params,
                    int timeout_ms, int *exit_code, int *err_code, json_t **err_data);

/* cli_call for a call that waits on the node (submit with wait): the call
 * runs on a helper thread while this one shows progress (cli_progress)
 * naming what, e.g. "waiting for the commit of 3f2a…". */
json_t *cli_call_waiting(const char *cmd, const char *addr, const char *method, json_t *params,
                         int timeout_ms, int *exit_code, const char *what);

/* How long a submit with wait lets the node wait for the commit. */
#define CLI_TX_WAIT_MS 30000

/* Signs tx with its sender's key kp (filling tx->sig) and returns the
 * params of submit_tx: {tx: hex}, plus wait and timeout_ms unless no_wait.
 * *timeout_ms gets how long the call itself may take. */
json_t *cli_submit_params(wire_tx *tx, const hansa_keypair *kp, bool no_wait, int *timeout_ms);

/* `hansa status --wait-sync`: polls status until the node answers, has
 * committed a block and no peer is ahead of it, with progress on stderr.
 * Returns the last status (caller decrefs), or NULL (message printed,
 * *exit_code CLI_FAILED, or CLI_UNREACHABLE if it never answered) when
 * timeout_ms passes. */
json_t *cli_wait_synced(const char *addr, uint64_t timeout_ms, int *exit_code);

/* Prints j as indented JSON on stdout, with a newline. */
void cli_print_json(const json_t *j);

/* Reads obj[key] as a string; "" when absent or not a string. */
const char *cli_str(const json_t *obj, const char *key);
/* Reads obj[key] as an integer or a decimal string; 0 when neither. */
uint64_t cli_u64(const json_t *obj, const char *key);
/* Decodes hex obj[key] into a malloc'd buffer (*out, caller frees) of at
 * most max bytes. False (and *out NULL) when absent, not hex, or too long. */
bool cli_hex_alloc(const json_t *obj, const char *key, size_t max, uint8_t **out, size_t *len);
/* Decodes hex obj[key] of exactly n bytes into out. */
bool cli_hex_fixed(const json_t *obj, const char *key, uint8_t *out, size_t n);

/* Parses a canonical decimal u64 (digits only, no sign, no overflow). */
bool cli_parse_u64(const char *s, uint64_t *out);
/* Parses a canonical decimal integer in lo..hi (lo >= 0). */
bool cli_parse_int(const char *s, int lo, int hi, int *out);

/* Formats a Unix time in ms as "2026-11-23 10:00:00.123 UTC". */
void cli_format_time(uint64_t ms, char *out, size_t n);

/* Progress on stderr for a wait the caller polls: nothing during the first
 * second; then, on a terminal, one line redrawn with the elapsed time, and
 * otherwise one plain line when the wait passes a second and one every 5 s.
 * Usage: cli_progress p = cli_progress_start(); while (waiting) {
 * cli_progress_tick(&p, "waiting for node%d", i); ...}; cli_progress_end(&p). */
typedef struct {
    uint64_t start_us;
    uint64_t next_line_us; /* when a non-terminal prints its next line */
    bool tty, drawn;
    unsigned n;
} cli_progress;

cli_progress cli_progress_start(void);
void cli_progress_tick(cli_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_progress_end(cli_progress *p);

#endif
