/* bench.h — `hansa bench`: how fast a local network commits, against the
 * bound the machine's signature-verify rate sets.
 *
 *   hansa bench [--validators N] [--duration S] [--accounts K] [--dir D]
 *               [--window W] [--down X] [--keep] [--no-block]
 *   hansa bench --attach [--dir D] [--duration S] [--accounts K] [--window W]
 *   hansa bench --chains 2 [--validators N] [--duration S] [--dir D] [--keep]
 *
 * Without --attach: measures the Ed25519 verify rate of one core, starts a
 * fresh network of N delegates in D (default /tmp/hansa-bench-<pid>; D must
 * not exist) with the hansad next to this binary, saturates it with signed
 * transfers from K accounts for S seconds (after a warm-up), prints committed
 * tx/s, commit latency p50/p99, block sizes, CPU per node, and the ratio of
 * committed tx/s to the verify bound
 *     bound = C × verify_rate / N
 * (N delegates on one machine with C cores: every delegate verifies every
 * transaction's signature once, so the machine verifies N signatures per
 * committed transaction); beside it the rate of all C cores verifying at
 * once (F = that ÷ (C × verify_rate), measured in slices alternating with
 * the one-core rate), the ratio against it, and the ratio as a product of
 * measured factors. With --down X the last X delegates are stopped
 * once the network is up (X < N/3) and N counts those still running. Then it
 * stops the network, removes D unless --dir
 * or --keep was given, and (unless --no-block) times building, hashing and
 * validating one full 10,000-transaction block in process.
 *
 * With --attach: drives the network already running in D (default
 * ./testnet) and reports the same load figures plus whether all nodes agree
 * on the app hash; leaves the network running. scripts/demo uses this.
 *
 * Exit status: 0, 1 when something failed (message on stderr), 2 for a
 * usage error. */
#ifndef HANSA_CMD_BENCH_H
#define HANSA_CMD_BENCH_H

#include <stdbool.h>

int cmd_bench(int argc, char **argv);

/* `hansa bench --chains 2` (bench_xfer.c): cross-chain transfers between two
 * fresh local chains of `validators` delegates, local transfers beside them. */
int bench_xfer(int validators, int duration_s, const char *dir, bool keep);

#endif
