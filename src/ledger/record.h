/* record.h — the ledger's state as key/value records: keys, values, codecs.
 *
 * The ledger keeps its state in memory; what leaves it are records. Every
 * applied block yields the records it changed (its write set, see block.h),
 * the node persists them through store/, and at start-up feeds them back
 * through ledger_state_load_* (state.h). The same bytes are hashed into the
 * app hash, so their encoding is canonical: one state, one byte string.
 *
 * Key space — the first byte names the record type, so records of one type
 * sort together and a later issue adds types (candidates, bonds, jail,
 * upgrade votes) as new prefixes without touching these:
 *
 *   key                     value                    when written
 *   00                      meta                     every block
 *   01                      params                   genesis only
 *   02                      supply                   when a counter moves
 *   03                      validator sets           genesis; when a set moves
 *   10 || addr(20)          account                  when the account changes
 *   20..27 || ...           delegate records         see stake.h
 *
 * Prefixes reserved for later layers: 30..3f interchain (light clients,
 * packets, vouchers, correspondents), 40..4f credit (tallies, chits,
 * lifts), 50..57 receipts (tx_receipt.h), 58..5f threshold keys and checkpoints.
 *
 * Values (little-endian fixed-width integers, version byte first):
 *
 *   meta        off size  field
 *               0   1     version = 1
 *               1   8     height of the last applied block (0 = genesis)
 *               9   8     time_ms of that block (genesis time at 0)
 *   params      0   1     version = 1
 *               1   4     chain_id
 *               5   8     genesis_time_ms
 *               13  2     fee_burn_bps, 0..10000
 *               15  8     min_fee
 *               23  4     max_block_txs, 1..WIRE_BLOCK_TXS_MAX
 *               27  4     epoch_blocks, >= 1
 *               31  2     active_max, 1..WIRE_VALIDATORS_MAX
 *               33  2     bench_max, 0..LEDGER_BENCH_MAX
 *               35  4     unbonding_blocks, >= 1
 *               39  2     liveness_window W, 1..LEDGER_LIVENESS_WINDOW_MAX
 *               41  2     liveness_miss_bps, 0..10000
 *               43  4     jail_blocks
 *               47  2     slash_bps, 0..10000
 *               49  4     evidence_age_max (heights), >= 1
 *               53  8     block_reward (minted per block)
 *               61  4     upgrade_window (heights), >= 1
 *               65  4     checkpoint_blocks K: the app hash of every height
 *                         h > 0 with h % K == 0 commits to the state root
 *                         (state_root.h); 0 = no checkpoints
 *   supply      0   1     version = 1
 *               1   8     genesis supply (balances and bonds at genesis)
 *               9   8     burned (fees and slashes destroyed so far)
 *               17  8     minted (block rewards so far)
 *               25  8     bonded (self bonds + votes)
 *               33  8     unbonding (waiting for release)
 *               41  8     receipts (receipt collateral, bonded + unbonding)
 *   valsets     0   1     version = 1
 *               then 3 times (prev, cur, next):
 *                   8     activation height (first height the set decides)
 *                   2     n, 1..WIRE_VALIDATORS_MAX
 *                   40n   n x (pubkey 32, power u64), strictly increasing
 *                         pubkeys, power > 0, total <= WIRE_TOTAL_POWER_MAX
 *               prev decided the last block, cur decides the next one, next
 *               the one after (announced in the next header).
 *               activations: prev <= cur <= next, all >= 1
 *   account     0   1     version = 1
 *               1   8     balance
 *               9   8     nonce
 *               An account with balance 0 and nonce 0 is never stored (it
 *               cannot arise: zero transfers are refused and genesis balances
 *               are positive), so its record is rejected as non-canonical.
 *
 * Decoders reject, each with its own code: HANSA_ERR_TRUNCATED (too short),
 * HANSA_ERR_TRAILING (too long), HANSA_ERR_VERSION, HANSA_ERR_NONCANONICAL
 * (empty account, unsorted/duplicate validators), HANSA_ERR_INVALID (a field
 * out of its range). */
#ifndef HANSA_LEDGER_RECORD_H
#define HANSA_LEDGER_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "ledger/acct_map.h"
#include "wire/codec.h"
#include "wire/types.h"

#define LEDGER_RECORD_VERSION 1

typedef enum {
    LEDGER_KEY_META = 0x00,
    LEDGER_KEY_PARAMS = 0x01,
    LEDGER_KEY_SUPPLY = 0x02,
    LEDGER_KEY_VALIDATORS = 0x03, /* the three validator sets */
    LEDGER_KEY_ACCOUNT = 0x10,
} ledger_key_type;

#define LEDGER_KEY_ACCOUNT_BYTES (1 + HANSA_ADDR_BYTES)
#define LEDGER_KEY_MAX_BYTES 64 /* longest key of any record type, now and later */

#define LEDGER_META_BYTES 17
#define LEDGER_PARAMS_BYTES 69
#define LEDGER_SUPPLY_BYTES 49
#define LEDGER_BENCH_MAX 128
#define LEDGER_ACCOUNT_BYTES 17
#define LEDGER_VALIDATOR_ENTRY_BYTES (HANSA_PUBKEY_BYTES + 8)

#define LEDGER_BPS_ONE 10000 /* basis points in a whole */

/* Delegate parameters (docs/delegates.md), fixed at genesis. */
typedef struct {
    uint32_t epoch_blocks;       /* an election at every height divisible by it */
    uint16_t active_max;         /* active delegates elected */
    uint16_t bench_max;          /* bench delegates ranked after them */
    uint32_t unbonding_blocks;   /* unbonded tokens are released this much later */
    uint16_t liveness_window;    /* W: the last W heights are judged */
    uint16_t liveness_miss_bps;  /* jailed when missed > floor(W * bps / 10000) */
    uint32_t jail_blocks;        /* a jailed delegate may unjail this much later */
    uint16_t slash_bps;          /* share of bonds destroyed for double signing */
    uint32_t evidence_age_max;   /* evidence older than this many heights is refused */
    uint64_t block_reward;       /* minted per block for the signers */
    uint32_t upgrade_window;     /* heights a software proposal collects votes */
} ledger_elect_params;

/* Chain parameters, fixed at genesis. */
typedef struct {
    uint32_t chain_id;
    uint64_t genesis_time_ms;
    uint16_t fee_burn_bps;  /* share of every fee that is burned, in 1/10000 */
    uint64_t min_fee;       /* smallest fee a transaction may carry */
    uint32_t max_block_txs; /* at most WIRE_BLOCK_TXS_MAX */
    ledger_elect_params elect;
    uint32_t checkpoint_blocks; /* K of state_root.h; 0 = no state roots */
} ledger_params;

/* The defaults docs/delegates.md lists (node/config.c starts from them). */
ledger_elect_params ledger_elect_params_default(void);

/* The supply counters:
 *   sum(balances) + bonded + unbonding + receipts + burned == genesis + minted. */
typedef struct {
    uint64_t genesis;
    uint64_t burned;
    uint64_t minted;
    uint64_t bonded;
    uint64_t unbonding;
    uint64_t receipts; /* receipt collateral (tx_receipt.h) */
} ledger_supply;

typedef struct {
    uint64_t height;  /* last applied block, 0 at genesis */
    uint64_t time_ms; /* its time */
} ledger_meta;

/* The delegates with their voting power, sorted by pubkey. */
typedef struct {
    uint16_t n;
    wire_validator v[WIRE_VALIDATORS_MAX];
} ledger_validators;

typedef enum { LEDGER_SET_PREV = 0, LEDGER_SET_CUR = 1, LEDGER_SET_NEXT = 2 } ledger_set_which;

/* A validator set with the first height it decides. */
typedef struct {
    uint64_t activation;
    ledger_validators vals;
} ledger_valset_at;

typedef struct {
    ledger_valset_at set[3]; /* indexed by ledger_set_which */
} ledger_valsets;

/* Copies the activation and the n validators in use, not the unused tail of
 * the array: a set is ~5 KB, and whole-struct copies of the three sets per
 * block judged and committed were 3-5% of the simulator's instructions. The
 * tail of dst is left as it was: compare sets with ledger_valsets_equal. */
void ledger_valset_at_copy(ledger_valset_at *dst, const ledger_valset_at *src);
void ledger_valsets_copy(ledger_valsets *dst, const ledger_valsets *src);
/* Same activations and the same validators in use, in the same order. */
bool ledger_valsets_equal(const ledger_valsets *a, const ledger_valsets *b);

/* Writes a formatted sentence into why (if why is non-NULL and why_len > 0);
 * every ledger function that explains an error uses it. */
void ledger_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keys. */
void ledger_key_account(const hansa_addr *addr, uint8_t out[LEDGER_KEY_ACCOUNT_BYTES]);

/* Encoders append exactly one record value to b. */
void ledger_meta_encode(hbuf *b, const ledger_meta *m);
void ledger_params_encode(hbuf *b, const ledger_params *p);
void ledger_supply_encode(hbuf *b, const ledger_supply *s);
void ledger_valsets_encode(hbuf *b, const ledger_valsets *v);
void ledger_account_encode(hbuf *b, const ledger_account *a);

/* Decoders parse exactly one value occupying [p, p+len) into *out. On error
 * *out is zeroed and r (optional) says where; see the codes above. */
hansa_err ledger_meta_decode(const uint8_t *p, size_t len, ledger_meta *out, wire_rd *r);
hansa_err ledger_params_decode(const uint8_t *p, size_t len, ledger_params *out, wire_rd *r);
hansa_err ledger_supply_decode(const uint8_t *p, size_t len, ledger_supply *out, wire_rd *r);
hansa_err ledger_valsets_decode(const uint8_t *p, size_t len, ledger_valsets *out, wire_rd *r);
hansa_err ledger_account_decode(const uint8_t *p, size_t len, ledger_account *out, wire_rd *r);

/* Checks the ranges of parameters (from a genesis or a record): fee_burn_bps
 * <= 10000, 1 <= max_block_txs <= WIRE_BLOCK_TXS_MAX, and the delegate
 * parameters' ranges listed in the params record above. Returns
 * HANSA_ERR_CONFIG and a sentence in why (optional) naming the field. */
hansa_err ledger_params_check(const ledger_params *p, char *why, size_t why_len);

/* Checks a validator list: 1..WIRE_VALIDATORS_MAX entries, strictly
 * increasing pubkeys, power > 0, total power <= WIRE_TOTAL_POWER_MAX.
 * Returns HANSA_ERR_INVALID (or HANSA_ERR_NONCANONICAL for order) and why. */
hansa_err ledger_validators_check(const ledger_validators *v, char *why, size_t why_len);

#endif
