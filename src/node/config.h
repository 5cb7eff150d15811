/* config.h — the files an operator writes: a node's config.json and a
 * chain's genesis.json. Both are JSON (jansson); every field is checked, a
 * key the file format does not have is refused (a typo must not be silently
 * ignored), and an error names the file, the field's path and what is wrong:
 * "config.json: timeouts_ms.propose: expected an integer from 0 to 600000".
 *
 * genesis.json:
 *   { "chain_id": "e2e4", "genesis_time_ms": 1767225600000,
 *     "params": { "fee_burn_bps": 5000, "min_fee": 1, "max_block_txs": 10000 },
 *     "accounts": [ { "address": "e2e4x...", "balance": "1000000" }, ... ],
 *     "delegates": [ { "pubkey": "<64 hex>", "power": 10 }, ... ],
     "elections": { "epoch_blocks": 100, "active_max": 32, ... },  (optional,
     every field optional: docs/delegates.md lists them and their defaults)
 *     "clients": [ <trust root>, ... ] }  (optional: light clients of foreign
 *     chains, active from genesis; docs/interchain.md)
 * A trust root (also in routes.json and the route/client RPC methods):
 *   { "chain_id": "a1", "trusting_period_ms": 1209600000, "max_clock_drift_ms": 10000,
 *     "root": { "height": 0, "time_ms": ..., "header_hash": "<64 hex>", "app_hash": ...,
 *               "tx_root": ..., "validators_hash": ..., "next_validators_hash": ... } }
 * Amounts may be JSON numbers or decimal strings (u64 does not fit a double).
 *
 * config.json (every field optional except where noted):
 *   { "listen": "127.0.0.1:26656", "rpc": "127.0.0.1:26657",
 *     "peers": ["127.0.0.1:26666", ...], "log_level": "info",
 *     "rpc_allowed_hosts": ["node.example.org"],   (Host names RPC answers to
 *                                  besides IP literals and localhost: rpc/server.h) 
 *     "key": "node",                     (name in node.key; absent = full node)
 *     "timeouts_ms": { "propose": 1000, "propose_delta": 500, "prevote": 1000,
 *                      "prevote_delta": 500, "precommit": 1000, "precommit_delta": 500 },
 *     "commit_delay_ms": 200, "mempool_max_txs": 100000,
 *     "pbts_precision_ms": 500, "pbts_msg_delay_ms": 2000,  (block time, node.h)
 *     "store_map_max_mb": 0,    (LMDB map ceiling in MiB, 0 = none: store.h)
 *     "prune": { "keep_blocks": 0 },  (0 = archive; else keep the last N blocks)
 *     "frost_dkg": false,       (a delegate deals in its set's key generation: frost_duty.h)
 *     "frost_checkpoint_every": 1, (... and signs every Nth checkpoint, 0 = none: frost_sign.h)
 *     "net": { "max_inbound": 24, "max_pending": 16, "keepalive_ms": 5000,
 *              "link_timeout_ms": 30000, "inbound_idle_ms": 120000, "ban_ms": 60000,
 *              "ban_max_ms": 3600000, "ban_score": 1000, "block_serve_per_s": 100,
 *              "block_serve_burst": 20 } }   (link and abuse limits: docs/node.md) */
#ifndef HANSA_NODE_CONFIG_H
#define HANSA_NODE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "ledger/client.h"
#include "ledger/state.h"
#include "node/node.h"

#define CONFIG_PEERS_MAX 64
#define CONFIG_ADDR_MAX 64
#define CONFIG_WHY_MAX 256
#define CONFIG_RPC_HOSTS_MAX 16
#define CONFIG_STORE_MAP_MAX_MB ((uint64_t)1 << 24) /* 16 TiB: any real disk */
/* The fewest blocks a pruned node keeps. Consensus reads only the tip's
 * block and commit (the last commit of the next proposal); the longer
 * windows (receipt claims: RECEIPT_ROOTS_KEPT roots, liveness bits,
 * validator sets for evidence and light-client updates) read ledger state
 * and the valsets database, which pruning never touches. The floor is
 * therefore a margin for peers catching up after a short outage, not a
 * window: 16 heights. What reads older blocks answers from the kept ones
 * only: RPC block/tx/light_block say "pruned" (-32007); packets_pending and
 * packet_acks leave out packets whose block is gone (a relayer should ask
 * an archive, or a node keeping as many blocks as packets may wait); a
 * receipt claim's inclusion proof (receipt_claim_body) needs the
 * transfer's block, so claims on older receipts are built on an archive. */
#define CONFIG_PRUNE_KEEP_MIN 16u
#define CONFIG_PRUNE_KEEP_MAX ((uint64_t)1 << 40)

typedef struct {
    ledger_genesis g;                 /* arrays below are owned */
    ledger_genesis_account *accounts;
    wire_validator *delegates;
    ic_create *clients;
} genesis_file;

typedef struct {
    char listen[CONFIG_ADDR_MAX];
    char rpc[CONFIG_ADDR_MAX];
    char peers[CONFIG_PEERS_MAX][CONFIG_ADDR_MAX];
    size_t n_peers;
    char rpc_hosts[CONFIG_RPC_HOSTS_MAX][CONFIG_ADDR_MAX]; /* rpc_allowed_hosts */
    size_t n_rpc_hosts;
    char log_level[16];
    char key_name[64];                /* empty: no delegate key */
    uint64_t store_map_max_mb;        /* map_size_bytes_max in MiB; 0 = no ceiling */
    node_config node;                 /* tunables; st/genesis/key/clock set by hansad */
} config_file;

/* Reads and checks genesis.json at path. On failure (HANSA_ERR_CONFIG, or
 * the ledger's verdict on the genesis) why says "<path>: <field>: <what>"
 * and *out holds nothing to free. Unknown keys and values of the wrong type
 * anywhere are errors, not ignored. */
hansa_err genesis_load(const char *path, genesis_file *out, char why[CONFIG_WHY_MAX]);
/* The same from text in memory; file names it in messages. */
hansa_err genesis_parse(const char *file, const char *text, size_t len, genesis_file *out,
                        char why[CONFIG_WHY_MAX]);
void genesis_free(genesis_file *g);

/* A trust root (the JSON above) into *out, checked (ic_create_check);
 * false with why naming `where` and the field. Unknown keys are refused. */
bool config_trust_root_parse(json_t *obj, ic_create *out, const char *where, char why[CONFIG_WHY_MAX]);
/* The JSON form of a trust root (new reference). */
json_t *config_trust_root_json(const ic_create *c);

/* Fills defaults, then overrides them from the file; as strict as
 * genesis_load. config_parse does it from text in memory. */
hansa_err config_load(const char *path, config_file *out, char why[CONFIG_WHY_MAX]);
hansa_err config_parse(const char *file, const char *text, size_t len, config_file *out,
                       char why[CONFIG_WHY_MAX]);

#endif
