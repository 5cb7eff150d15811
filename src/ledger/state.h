/* state.h — the ledger's state: accounts, chain parameters, supply counters,
 * the delegates, and where the chain is (height, time, app hash).
 *
 * The state lives in memory. It comes to be in one of two ways:
 *   - from a genesis (ledger_genesis_state), on a chain's first start;
 *   - from the records the node stored (ledger_state_load_*), on a restart.
 * It changes only by committing a block (block.h), which also yields the
 * records to persist. The ledger never reads a clock, draws randomness or
 * touches storage; the caller hands it everything (DESIGN.md section 3).
 *
 * The supply equation holds after every block, and ledger_supply_check
 * verifies it from scratch:
 *     sum(balances) + bonded + unbonding + receipts + burned == genesis + minted
 * where bonded, unbonding and receipts are also recomputed from their records.
 *
 * Extensibility: staking, candidates, bench, jail, slashing, rewards and
 * upgrade votes (DESIGN.md section 6) add maps to this struct, record types
 * to record.h and rows to the transaction table (tx.c). */
#ifndef HANSA_LEDGER_STATE_H
#define HANSA_LEDGER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "interchain/client.h"
#include "ledger/acct_map.h"
#include "ledger/kvmap.h"
#include "ledger/leaves.h"
#include "ledger/record.h"
#include "ledger/stake.h"
#include "ledger/writes.h"

#define LEDGER_WHY_MAX 192 /* a good size for the why buffers of this layer */
#define LEDGER_GENESIS_ACCOUNTS_MAX (1u << 24)

/* The fields belong to the ledger: read them through the accessors below. */
typedef struct ledger_state {
    ledger_params params;
    ledger_supply supply;
    ledger_meta meta;
    ledger_valsets sets; /* prev / cur / next validator sets */
    acct_map accounts;
    kvmap tabs[LEDGER_TAB_COUNT_]; /* delegate records by table (stake.h) */
    ledger_leaves leaves; /* every record's leaf hash, for the state root (leaves.h) */
    hansa_hash app_hash; /* after the block at meta.height (genesis hash at 0) */
    uint8_t have;        /* record types seen while loading (bit per LEDGER_KEY_*) */
    bool ready;          /* genesis done or load finished; false = refuses use */
    bool failed;         /* a load step failed: the state refuses further use */
} ledger_state;

typedef struct {
    hansa_addr addr;
    uint64_t balance; /* > 0 */
} ledger_genesis_account;

/* What a chain starts from; node/ fills it from the genesis JSON. Borrowed
 * arrays: the ledger copies what it keeps. */
typedef struct {
    ledger_params params;                   /* includes chain_id and genesis time */
    const ledger_genesis_account *accounts; /* any order, unique addresses */
    size_t n_accounts;                      /* <= LEDGER_GENESIS_ACCOUNTS_MAX */
    const wire_validator *delegates;        /* any order, unique pubkeys */
    size_t n_delegates;                     /* 1..WIRE_VALIDATORS_MAX */
    const ic_create *clients;               /* light clients active from genesis */
    size_t n_clients;                       /* <= LEDGER_CLIENTS_MAX (ledger/client.h) */
} ledger_genesis;
/* Genesis delegates: each delegate's power is its initial self bond, held
 * by the address of its pubkey and counted in the genesis supply. They are
 * the candidates of the first election and the sets at heights 1 and 2. */

/* Checks a genesis: parameters in range, account count bounded, positive
 * balances, no duplicate address (HANSA_ERR_DUPLICATE), total supply fits a
 * u64 (HANSA_ERR_OVERFLOW), delegates 1..WIRE_VALIDATORS_MAX with unique
 * pubkeys (HANSA_ERR_DUPLICATE), positive power and total power within
 * WIRE_TOTAL_POWER_MAX, light clients valid, none of this chain, none twice
 * (HANSA_ERR_DUPLICATE). Other failures are HANSA_ERR_CONFIG. why
 * (optional) names the offending entry. */
hansa_err ledger_genesis_validate(const ledger_genesis *g, char *why, size_t why_len);

/* Validates g and builds the state at height 0. hash_key: 16 secret bytes
 * for the account table's hashing (acct_map.h); the node draws them from the
 * OS, tests pass constants; they never change a result. On success *out is
 * a new state (free with ledger_state_free) whose app hash is the genesis
 * app hash, and `writes` (optional, initialised with LEDGER_WRITES_INIT)
 * receives every record of the genesis state, sorted: the node stores them
 * as the state at height 0. The genesis app hash is
 *     SHA-256(32 zero bytes | u64 0 | writes_hash(genesis records)),
 * so it commits to the chain id, parameters, balances and delegates. */
hansa_err ledger_genesis_state(const ledger_genesis *g, const uint8_t hash_key[ACCT_MAP_KEY_BYTES],
                               ledger_state **out, ledger_writes *writes, char *why,
                               size_t why_len);

/* Loading from stored records (a restart). begin returns an empty state
 * that refuses use until finish succeeds. Feed every stored record, in any
 * order, to load_record; then call load_finish with the app hash the chain
 * committed for the stored height (the header's app_hash at that height).
 * Every failure is HANSA_ERR_CORRUPT with why naming the record and the
 * decoder's reason (a bad record, an unknown key, a duplicate, a missing
 * record type, or a broken supply equation); after one, the state refuses
 * further loading (HANSA_ERR_STATE) and must be freed. */
ledger_state *ledger_state_load_begin(const uint8_t hash_key[ACCT_MAP_KEY_BYTES]);
hansa_err ledger_state_load_record(ledger_state *s, const uint8_t *key, size_t key_len,
                                   const uint8_t *val, size_t val_len, char *why, size_t why_len);
hansa_err ledger_state_load_finish(ledger_state *s, const hansa_hash *app_hash, char *why,
                                   size_t why_len);

void ledger_state_free(ledger_state *s);

/* Appends every record of the state to ws (initialised with
 * LEDGER_WRITES_INIT) and sorts them: the whole state as the node would have
 * stored it. For the genesis batch, snapshots and the load round-trip test. */
void ledger_state_records(const ledger_state *s, ledger_writes *ws);

/* Appends the encoded value of the record stored under key to out and
 * returns true; false (out unchanged) if the state holds no such record. */
bool ledger_state_record_value(const ledger_state *s, const uint8_t *key, size_t klen, hbuf *out);

/* Tells s that the record under key was written or deleted other than by a
 * block (a benchmark that installs records directly), so that its state
 * root (state_root.h) still covers it. */
void ledger_state_record_touched(ledger_state *s, const uint8_t *key, size_t klen);

/* Accessors. Pointers are borrowed from s and valid until it changes. */
uint64_t ledger_height(const ledger_state *s);
const hansa_hash *ledger_app_hash(const ledger_state *s);
const ledger_params *ledger_state_params(const ledger_state *s);
const ledger_supply *ledger_state_supply(const ledger_state *s);
/* The set that decides the next block (cur). */
const ledger_validators *ledger_state_validators(const ledger_state *s);
/* One of the three sets (prev decided the last block, cur decides the
 * next, next the one after); *activation (optional) is the first height it
 * decides. At genesis all three are the genesis set, activated at 1. */
const ledger_validators *ledger_state_valset(const ledger_state *s, ledger_set_which which,
                                             uint64_t *activation);
uint64_t ledger_last_block_time_ms(const ledger_state *s);
size_t ledger_account_count(const ledger_state *s);
/* Copies addr's account into *out; an address never seen reads as {0, 0}
 * and the function returns false. */
bool ledger_account_get(const ledger_state *s, const hansa_addr *addr, ledger_account *out);

/* Recomputes sum(balances), the bonds (candidates, votes, bonders) and the
 * unbonding entries with checked additions and verifies
 * balances + bonded + unbonding + receipts + escrow + burned == genesis + minted
 * (escrow: own tokens sent to other chains), that the bond records agree with
 * each other and with the counters, the receipt audit (ledger_receipts_check
 * in tx_receipt.h) and the voucher audit (ledger_xfer_audit in xfer.h). Returns HANSA_OK or HANSA_ERR_CORRUPT
 * with both sides of the equation in why. O(accounts): for tests, start-up
 * and audits, not for every block of a busy node. */
hansa_err ledger_supply_check(const ledger_state *s, char *why, size_t why_len);

#endif
