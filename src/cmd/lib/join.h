/* join.h — `hansa join`: a new node starts from a verified state snapshot
 * instead of replaying every block (state sync, docs/cli.md).
 *
 *   1. asks the source (any node's RPC) for its snapshots (snapshot_info)
 *      and picks the latest, or --height;
 *   2. verifies that height's header as a light client from the home's
 *      genesis.json: in one skip when the genesis delegates still hold more
 *      than a third of the power (no older header needed, so a pruning
 *      source will do), else by bisection over the set changes (the source
 *      must then serve those headers); trusting period --trusting-period-ms,
 *      default 30 days: a chain older than that cannot be joined from its
 *      genesis alone;
 *   3. checks that the snapshot's hashes give the header's app hash
 *      (app_hash = SHA-256(prev | h | writes_hash | state_root));
 *   4. streams the records (snapshot_chunk, --chunk-bytes per call, default
 *      1 MiB), checking every chunk: its height, [key, value] hex pairs,
 *      keys of 1..511 bytes strictly increasing across chunks, at most
 *      max_bytes a chunk (beyond its first record), at most the announced
 *      record count and 3 GiB in all; then the Merkle root of the records
 *      against the state root, refusing the snapshot with both roots named;
 *   5. loads them as a restart would (ledger_state_load_*), fetches block h
 *      (snapshot_block), checks it is the verified header's, and writes
 *      state, block, commit, validator sets and tip in one transaction.
 * Each checked chunk is also kept, synced, in DIR/join.partial: a join that
 * was killed or lost its source resumes after the last whole chunk when run
 * again, if the source still offers that snapshot (it is then preferred to a
 * newer one), checking the kept chunks again; the file is deleted once the
 * join is done or its records turned out not to make the snapshot.
 * A source keeps two snapshots; if the one being fetched goes meanwhile
 * (-32001), the join starts over on the newest (at most 3 times, never with
 * --height). Then `hansad --home DIR` block-syncs from h+1. */
#ifndef HANSA_CMD_JOIN_H
#define HANSA_CMD_JOIN_H

/* argv[0] is the subcommand name. Returns 0 when joined (or the store
 * already holds a chain), 1 when a check or the source failed (the message
 * says which), 2 on a usage error or an unreadable genesis. */
int cmd_join(int argc, char **argv);

#endif
