/* snapshot.h — the node's state snapshots for state sync (docs/storage.md,
 * "Snapshots"): after committing a checkpoint height (ledger/state_root.h)
 * the node copies its whole state into the store's snapshots database,
 * keeping that one and the one before, so a joining node can download a
 * state whose root a header commits to while this node moves on. At the
 * same moment a chain with a FROST key proves its newest key record there,
 * for foreign light clients that trust no key yet. */
#ifndef HANSA_NODE_SNAPSHOT_H
#define HANSA_NODE_SNAPSHOT_H

#include <stdbool.h>

#include "ledger/block.h"
#include "ledger/state_root.h"
#include "node/node.h"

/* Before pb is committed: true if its height is a checkpoint, with *out
 * filled from it (records and bytes are counted when written). */
bool node_snapshot_due(const node *n, const ledger_block *pb, ledger_snap_info *out);
/* After the commit: writes the snapshot of the state at info->height and
 * drops the ones older than the previous checkpoint. A store failure stops
 * the node (chain_fatal) as a failed commit does. No snapshot on a store
 * that keeps none (the simulator's); the key proof all the same. */
void node_snapshot_write(node *n, ledger_snap_info *info);

/* The proof of the chain's newest group key record (ledger_key_proof) at
 * the newest state-root height this node committed since it started, with
 * that height; NULL if there is none yet (or the chain has no key). Made
 * once per state-root height, where the node has the records in hand, so
 * that serving it costs nothing. */
const ic_key_proof *node_key_proof(const node *n, uint64_t *height);

/* How far pruning may go: below, or the oldest kept snapshot's height if
 * that is lower, so that a node serving a snapshot also serves its block,
 * commit and light block (what `hansa join` fetches with it). */
uint64_t node_snapshot_prune_floor(node *n, uint64_t below);

#endif
