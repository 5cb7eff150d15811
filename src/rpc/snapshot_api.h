/* snapshot_api.h — the JSON-RPC methods that serve state snapshots to a
 * joining node (docs/rpc.md, "State sync"):
 *   snapshot_info   the kept snapshots: height, the hashes that tie the
 *                   state root to that height's app hash, size
 *   snapshot_chunk  the records of one snapshot after a key, up to a size
 *   snapshot_block  the encoded block of a snapshot's height (the joining
 *                   node stores it as its first block)
 *   key_proof       the proof of the chain's newest group key record (59)
 *                   at the newest state-root height, against its app hash
 *                   (made by the node when it committed that height):
 *                   what a relayer attaches to a commit update so that a
 *                   keyless light client of this chain learns the key
 *                   (interchain/client.h, ic_key_proof)
 * Nothing served is trusted by the client: it checks the info against a
 * header it verified as a light client and the records against the root.
 * Reads go to the store on the loop thread. */
#ifndef HANSA_RPC_SNAPSHOT_API_H
#define HANSA_RPC_SNAPSHOT_API_H

#include "node/node.h"
#include "rpc/server.h"

/* The largest chunk a caller may ask for (max_bytes), and the default. */
#define RPC_SNAPSHOT_CHUNK_MAX (4u << 20)
#define RPC_SNAPSHOT_CHUNK_DEFAULT (1u << 20)
/* Snapshots listed at most (a node keeps two). */
#define RPC_SNAPSHOTS_LISTED 8

/* Registers the methods on server for node n (borrowed; it must outlive the
 * server's use of them). */
void rpc_snapshot_register(rpc_server *server, node *n);

#endif
