/* bench_store.h — `hansa bench-store`: does committing a block get slower as
 * the chain grows?
 *
 * Commits full blocks (block bytes, a commit certificate, a tx index entry
 * per transaction, a few state writes) into a fresh LMDB store and prints
 * the commit time of the first and the last blocks, so a cost that grows
 * with history (random keys in a growing B-tree) shows as a ratio. */
#ifndef HANSA_CMD_BENCH_STORE_H
#define HANSA_CMD_BENCH_STORE_H

/* argv[0] is the subcommand name; options `--blocks N` (default 1000),
 * `--txs N` per block (default 10000), `--tx-bytes N` (default 200),
 * `--index-batch N` (heights per tx index step, default 32 as the node
 * batches them while catching up; 0 never moves them during the run),
 * `--dir D` (default a fresh folder under $TMPDIR, removed afterwards).
 * Returns 0, 1 if a store call failed, 2 on a usage error. */
int cmd_bench_store(int argc, char **argv);

#endif
