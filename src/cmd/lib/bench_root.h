/* bench_root.h — `hansa bench-root`: what a checkpoint's state root costs.
 *
 * Builds a ledger state with N accounts (default 100,000) and times the
 * state root over all of it (ledger/state_root.h), a checkpoint block
 * against an ordinary one, and the snapshot copy a node then writes, so the
 * price of committing to the whole state every K heights is a printed
 * figure, not a guess. */
#ifndef HANSA_CMD_BENCH_ROOT_H
#define HANSA_CMD_BENCH_ROOT_H

/* argv[0] is the subcommand name; options `--accounts N` (1..10,000,000,
 * default 100000) and `--repeat R` (1..1000, default 5). Returns 0, or 2 on
 * a usage error. */
int cmd_bench_root(int argc, char **argv);

#endif
