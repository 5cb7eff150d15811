/* kvmap.h — a hash map from short byte keys to byte values, for the
 * ledger's delegate records (candidates, votes, unbonding entries, evidence,
 * upgrades, liveness; see stake.h).
 *
 * The committed state keeps one kvmap per record type; a pending block keeps
 * one per type as its overlay, where an entry may also be a *deletion* (the
 * record disappears when the block commits). Keys are hashed with SipHash-2-4
 * under a key per table derived from the state's secret, like the account
 * table (acct_map.h): record keys hold attacker-chosen addresses and pubkeys. Values are owned copies.
 * Linear probing, backward-shift deletion (no tombstones), grown at 70%
 * load. Iteration order is the table's layout: callers that need an order
 * sort, and every rule that iterates is order-independent (sums, per-entry
 * floors). */
#ifndef HANSA_LEDGER_KVMAP_H
#define HANSA_LEDGER_KVMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVMAP_KEY_MAX 64

typedef struct {
    uint8_t key[KVMAP_KEY_MAX];
    uint8_t klen;
    bool used;
    bool deleted;  /* overlay only: the record is removed by this block */
    uint32_t vlen; /* 0 when deleted */
    uint8_t *val;  /* owned; NULL when deleted */
} kvmap_slot;

typedef struct {
    kvmap_slot *slots;
    size_t cap, count;
    uint64_t k0, k1;
} kvmap;

void kvmap_init(kvmap *m, uint64_t k0, uint64_t k1);
void kvmap_free(kvmap *m);

/* The slot holding key (live or a deletion marker), or NULL. Borrowed until
 * the next change of m. */
const kvmap_slot *kvmap_get(const kvmap *m, const uint8_t *key, size_t klen);

/* Inserts or overwrites key with a copy of val (vlen > 0). */
void kvmap_put(kvmap *m, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);

/* Overlay: records that key is deleted (a marker slot). */
void kvmap_mark_deleted(kvmap *m, const uint8_t *key, size_t klen);

/* Removes key from the map entirely; true if it was there. */
bool kvmap_del(kvmap *m, const uint8_t *key, size_t klen);

#endif
