/* acct_map.h — the account table: 20-byte address -> (balance, nonce).
 *
 * Open addressing with linear probing over a power-of-two array that doubles
 * when it is 70% full, so lookups stay O(1) for millions of accounts. There is
 * no deletion: an account, once it exists, keeps its nonce forever (replay
 * protection), so there are no tombstones either.
 *
 * Addresses are SHA-256 prefixes, but a sender can grind public keys until
 * many addresses fall into one probe run, and a run of k colliding accounts
 * makes each lookup O(k). The bucket is therefore chosen by SipHash-2-4 keyed
 * with a key derived from a secret the node draws at start-up
 * (ledger_siphash_key_derive, "accounts"): the layout is unpredictable to an
 * attacker, yet nothing observable depends on it (writes are sorted by key),
 * so the ledger stays deterministic across nodes with different keys. */
#ifndef HANSA_LEDGER_ACCT_MAP_H
#define HANSA_LEDGER_ACCT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

#define ACCT_MAP_KEY_BYTES 16 /* SipHash key */

typedef struct {
    uint64_t balance;
    uint64_t nonce; /* the nonce the account's next transaction must carry */
} ledger_account;

typedef struct {
    hansa_addr addr;
    bool used;
    ledger_account acct;
} acct_slot;

typedef struct {
    acct_slot *slots; /* cap entries, NULL until the first insert */
    size_t cap;       /* 0 or a power of two */
    size_t count;
    uint64_t k0, k1;  /* SipHash key */
} acct_map;

/* Initializes an empty map; allocates nothing until the first put. */
void acct_map_init(acct_map *m, const uint8_t key[ACCT_MAP_KEY_BYTES]);
void acct_map_free(acct_map *m);
/* Empties m. Its slots stay allocated (zeroed) for the next use when there
 * are at most keep_max of them, else they are freed. */
void acct_map_clear(acct_map *m, size_t keep_max);
/* Moves the slots of the empty map from into m, just initialized (no
 * slots): from is left with none. */
void acct_map_take_slots(acct_map *m, acct_map *from);

/* Returns a pointer to the account stored for addr, or NULL. The pointer is
 * borrowed and stays valid until the next acct_map_put or acct_map_free. */
const ledger_account *acct_map_get(const acct_map *m, const hansa_addr *addr);

/* acct_map_get for h = acct_map_hash(m, addr), computed once by a caller
 * that looks addr up in two maps under the same key (a block's overlay,
 * then its state). Debug builds check h. */
const ledger_account *acct_map_get_hashed(const acct_map *m, const hansa_addr *addr, uint64_t h);

/* Inserts or overwrites the account of addr. */
void acct_map_put(acct_map *m, const hansa_addr *addr, const ledger_account *acct);
/* acct_map_put for h = acct_map_hash(m, addr), which the caller already
 * made to look addr up (a block's overlay). Debug builds check h. */
void acct_map_put_hashed(acct_map *m, const hansa_addr *addr, uint64_t h,
                         const ledger_account *acct);

/* Iteration: slot i in [0, cap) is live when slots[i].used. */
static inline size_t acct_map_cap(const acct_map *m) { return m->cap; }

/* SipHash-2-4 of in[0..len) under (k0, k1); kvmap.c keys by it too. */
uint64_t ledger_siphash24(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len);

/* The SipHash key (*d0, *d1) of one use of the secret key (k0, k1): the
 * SipHash of label and a byte 0, then 1. Each table a node keys by its
 * secret takes its own (a label per use: "mempool-bytes", and the ledger
 * state's "accounts", "table-<t>", "leaves"), so what a peer learns of one
 * table's collisions (from timing, say) tells it nothing about another's;
 * no table keys by the secret itself. */
void ledger_siphash_key_derive(uint64_t k0, uint64_t k1, const char *label, uint64_t *d0,
                               uint64_t *d1);

/* SipHash-2-4 of the 20 address bytes (exposed for the tests). */
uint64_t acct_map_hash(const acct_map *m, const hansa_addr *addr);

#endif
