/* stake.h — the delegate records: candidates, votes (bonds), unbonding
 * entries, punished evidence, upgrade proposals and their votes, per-address
 * bonded totals and liveness windows; their keys, codecs and access through
 * a pending block's overlay.
 *
 * Every record lives in a kvmap (kvmap.h) of its type, in the committed state
 * and in each pending block's overlay. A record whose value would be "empty"
 * (a bond of 0, an empty liveness window) is deleted instead of stored, so
 * the state has one form. The write set carries a deletion as a write with an
 * empty value (writes.h).
 *
 *   key (bytes)                               value (version byte 1 first)
 *   20 | pubkey(32)              candidate    self_bond u64 | voted u64 |
 *                                             flags u8 (1 jailed, 2 tombstoned)
 *                                             | jailed_at u64 (0 unless jailed)
 *   21 | addr(20) | pubkey(32)   vote         amount u64 > 0
 *   22 | release u64 BE | addr(20) | pubkey(32)
 *                                unbonding    amount u64 > 0
 *   23 | evidence hash(32)       punished     height it was punished at, > 0
 *   24 | software hash(32)       upgrade      proposed_at u64 > 0 |
 *                                             ratified_at u64 (0 = not yet) |
 *                                             closed_at u64 (0 = open) |
 *                                             approvals u64 | weight u64
 *                                             (the tally at closing; 0 while
 *                                             open, when the votes hold it)
 *   25 | software hash(32) | addr(20)
 *                                upgrade vote (version byte only)
 *   26 | addr(20)                bonder       bonded u64 > 0: the address's self
 *                                             bond plus the votes it gave
 *   27 | pubkey(32)              liveness     missed u16 | bits[32]: bit
 *                                             (height % W) set = missed that
 *                                             height; missed = popcount > 0
 * The release height is big-endian so that stored keys sort by it.
 *
 * The interchain tables (keys 30..34, light clients of foreign chains) live
 * in the same machinery; their keys and values are in ledger/client.h. */
#ifndef HANSA_LEDGER_STAKE_H
#define HANSA_LEDGER_STAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/err.h"
#include "ledger/kvmap.h"
#include "wire/codec.h"

typedef struct ledger_block ledger_block;
typedef struct ledger_state ledger_state;

typedef enum {
    LEDGER_TAB_CANDIDATE = 0,
    LEDGER_TAB_VOTE,
    LEDGER_TAB_UNBOND,
    LEDGER_TAB_EVIDENCE,
    LEDGER_TAB_UPGRADE,
    LEDGER_TAB_UPGRADE_VOTE,
    LEDGER_TAB_BONDER,
    LEDGER_TAB_LIVENESS,
    LEDGER_TAB_CREDIT, /* every credit record, key types 0x40..0x4f (tx_credit.h) */
    /* interchain (ledger/client.h): key byte 0x30 + (t - LEDGER_TAB_IC_CLIENT) */
    LEDGER_TAB_IC_CLIENT,
    LEDGER_TAB_IC_CONSENSUS,
    LEDGER_TAB_IC_EVIDENCE,
    LEDGER_TAB_IC_REVIVAL,
    LEDGER_TAB_IC_VOTE,
    LEDGER_TAB_RECEIPT, /* receipt collateral, claims, terms: 0x50, 0x52, 0x54 (tx_receipt.h) */
    LEDGER_TAB_RECEIPT_RELEASE, /* receipt collateral release entries: 0x51 */
    LEDGER_TAB_XFER, /* assets and packets, key types 0x35..0x39 (ledger/xfer.h) */
    LEDGER_TAB_FROST, /* DKG dealers and group keys, key types 0x58..0x5f (tx_frost.h) */
    /* the receipts' kept tx roots, 0x53: a table of their own, so that the
     * receipt audit (run on every commit in the simulator) walks the
     * collateral records and not RECEIPT_ROOTS_KEPT roots */
    LEDGER_TAB_RECEIPT_ROOT,
    LEDGER_TAB_COUNT_
} ledger_tab;

#define LEDGER_TAB_KEY_BASE 0x20    /* key byte of delegate table t <= LIVENESS is 0x20 + t */
#define LEDGER_TAB_IC_KEY_BASE 0x30 /* ... of interchain table t, 0x30 + (t - IC_CLIENT) */
#define LEDGER_CREDIT_KEY_FIRST 0x40 /* the credit table holds key types 0x40..0x4f */
#define LEDGER_CREDIT_KEY_LAST 0x4f
#define LEDGER_LIVENESS_WINDOW_MAX 256
#define LEDGER_LIVENESS_BITS_BYTES (LEDGER_LIVENESS_WINDOW_MAX / 8)

#define LEDGER_CAND_JAILED 1u
#define LEDGER_CAND_TOMBSTONED 2u

typedef struct {
    uint64_t self_bond; /* the candidate's own tokens */
    uint64_t voted;     /* tokens others (or itself, by TX_VOTE) bonded to it */
    uint8_t flags;      /* LEDGER_CAND_* */
    uint64_t jailed_at; /* height it was jailed at; 0 unless jailed */
} ledger_candidate;

typedef struct {
    uint64_t proposed_at;
    uint64_t ratified_at; /* 0 = not ratified */
    /* The height it was ratified at or its window ended at (0 = still open)
     * and its tally then: approving addresses and their bonds. Its votes
     * are deleted after it closes (elect.c). */
    uint64_t closed_at;
    uint64_t approvals, approval_weight;
} ledger_upgrade;

typedef struct {
    uint16_t missed;
    uint8_t bits[LEDGER_LIVENESS_BITS_BYTES];
} ledger_liveness;

/* Key builders; each returns the key length. */
size_t stake_key_candidate(const hansa_pubkey *pk, uint8_t *out);
size_t stake_key_vote(const hansa_addr *voter, const hansa_pubkey *cand, uint8_t *out);
size_t stake_key_unbond(uint64_t release, const hansa_addr *who, const hansa_pubkey *cand,
                        uint8_t *out);
size_t stake_key_hash(ledger_tab tab, const hansa_hash *h, uint8_t *out); /* evidence, upgrade */
size_t stake_key_upgrade_vote(const hansa_hash *h, const hansa_addr *voter, uint8_t *out);
size_t stake_key_bonder(const hansa_addr *a, uint8_t *out);
size_t stake_key_liveness(const hansa_pubkey *pk, uint8_t *out);

/* The key byte of table tab. */
uint8_t stake_tab_key_byte(ledger_tab tab);

/* Checks a stored key and value of table tab (lengths, version, ranges,
 * canonical form). Returns HANSA_OK or the decoder's code with r saying
 * where. Used by loading and the fuzzer. */
hansa_err stake_record_check(ledger_tab tab, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen, wire_rd *r);
/* The table of a key, or -1 if the key's type byte is not a delegate table. */
int stake_tab_of_key(const uint8_t *key, size_t klen);

/* Typed codecs (the decoders assume stake_record_check passed). */
void stake_candidate_encode(hbuf *b, const ledger_candidate *c);
void stake_candidate_decode(const uint8_t *v, ledger_candidate *out);
void stake_u64_encode(hbuf *b, uint64_t x);
void stake_upgrade_encode(hbuf *b, const ledger_upgrade *u);
void stake_liveness_encode(hbuf *b, const ledger_liveness *l);
/* v: a stored liveness record (its length asserted). */
void stake_liveness_decode(const uint8_t *v, size_t vlen, ledger_liveness *out);

/* ---- access through a pending block's overlay --------------------------- */

/* Reads candidate pk; false (and zeros) if it has no record. */
bool stake_candidate_get(const ledger_block *b, const hansa_pubkey *pk, ledger_candidate *out);
/* Writes it; a candidate with no bonds and no flags is deleted. */
void stake_candidate_put(ledger_block *b, const hansa_pubkey *pk, const ledger_candidate *c);
/* Weight = self_bond + voted (fits: both are bounded by the supply). */
uint64_t stake_candidate_weight(const ledger_candidate *c);

/* Any record, as raw bytes, for tables whose records other files encode
 * (interchain, credit): its value (borrowed until the block changes) and
 * length, or NULL when absent or deleted by b. */
const uint8_t *stake_raw_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen,
                             size_t *vlen);
/* Writes value bytes (copied), or deletes the record when vlen == 0. */
void stake_raw_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen,
                   const uint8_t *val, size_t vlen);

/* A u64-valued record (vote, unbond, evidence, bonder): 0 when absent;
 * putting 0 deletes it. */
uint64_t stake_u64_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen);
void stake_u64_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen, uint64_t x);

bool stake_upgrade_get(const ledger_block *b, const hansa_hash *h, ledger_upgrade *out);
void stake_upgrade_put(ledger_block *b, const hansa_hash *h, const ledger_upgrade *u);
bool stake_flag_get(const ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen);
void stake_flag_put(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen);
void stake_flag_del(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen);

bool stake_liveness_get(const ledger_block *b, const hansa_pubkey *pk, ledger_liveness *out);
void stake_liveness_put(ledger_block *b, const hansa_pubkey *pk, const ledger_liveness *l);

/* Calls fn for every live record of table tab as the block sees it
 * (overlay over committed state), in no particular order. The callback must
 * not change table tab; it may change other tables. */
typedef void (*stake_iter_fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                              size_t vlen);
void stake_iter(const ledger_block *b, ledger_tab tab, stake_iter_fn fn, void *ctx);

/* Moves tokens into/out of a voter's bond with a candidate, keeping the
 * vote/candidate/bonder records and supply.bonded consistent. `self`: the
 * candidate's own bond (TX_STAKE/UNSTAKE) rather than a vote. Callers checked
 * that subtraction does not underflow. */
void stake_bond_add(ledger_block *b, const hansa_addr *who, const hansa_pubkey *cand, bool self,
                    uint64_t amount);
void stake_bond_sub(ledger_block *b, const hansa_addr *who, const hansa_pubkey *cand, bool self,
                    uint64_t amount);

/* Adds amount to the unbonding entry (release height, who, cand). */
void stake_unbond_add(ledger_block *b, uint64_t release, const hansa_addr *who,
                      const hansa_pubkey *cand, uint64_t amount);

#endif
