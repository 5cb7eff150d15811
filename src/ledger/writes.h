/* writes.h — a block's write set: the records it changed, sorted by key.
 *
 * This is both what the node persists through store/ (one atomic batch per
 * block) and what the app hash commits to. Its hash is
 *
 *   writes_hash = SHA-256( for each write, in increasing key order:
 *                          u32 key_len | key | u32 value_len | value )
 *
 * with keys compared as byte strings (memcmp, then the shorter first). A key
 * appears at most once. Lengths are little-endian, as everywhere in hansa. */
#ifndef HANSA_LEDGER_WRITES_H
#define HANSA_LEDGER_WRITES_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"

typedef struct {
    uint32_t key_off, key_len; /* into data */
    uint32_t val_off, val_len; /* into data */
} ledger_write;

typedef struct {
    ledger_write *w; /* owned, n entries */
    size_t n, cap;
    hbuf data;       /* owned: the key and value bytes */
    bool sorted;
} ledger_writes;

#define LEDGER_WRITES_INIT {NULL, 0, 0, HBUF_INIT, false}

void ledger_writes_free(ledger_writes *ws);
/* Empties ws; its buffers stay allocated for the next use when its bytes
 * take at most keep_bytes, else they are freed. */
void ledger_writes_clear(ledger_writes *ws, size_t keep_bytes);

/* Appends a key and reserves its value: the caller then encodes exactly one
 * value into ws->data and calls ledger_writes_end_value. Used as
 *   ledger_writes_begin(ws, key, len); ledger_account_encode(&ws->data, a);
 *   ledger_writes_end_value(ws); */
void ledger_writes_begin(ledger_writes *ws, const uint8_t *key, size_t key_len);
void ledger_writes_end_value(ledger_writes *ws);
/* Ends the key begun last as a deletion: a write with an empty value (no
 * record value is empty: each starts with its version byte). The node turns
 * it into a store delete; the writes hash covers it like any write. */
void ledger_writes_end_delete(ledger_writes *ws);

/* The key order above: memcmp, then the shorter first (<0, 0, >0). */
int ledger_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Sorts by key; asserts that no key appears twice (a ledger bug otherwise). */
void ledger_writes_sort(ledger_writes *ws);

/* Borrowed views of write i (valid until ws changes). */
const uint8_t *ledger_write_key(const ledger_writes *ws, size_t i, size_t *len);
const uint8_t *ledger_write_value(const ledger_writes *ws, size_t i, size_t *len);

/* The writes hash defined above; ws must be sorted. */
void ledger_writes_hash(const ledger_writes *ws, hansa_hash *out);
/* With on, ledger_writes_hash and ledger_app_hash_next each keep the bytes
 * they last hashed, in full, with their hash, and answer the same bytes
 * again from them; off frees them.
 * For the simulator, whose nodes all execute the same block on the same
 * state at each height (the proposer's build, then each other node's
 * check); hansad executes a block once and leaves it off. Per thread. */
void ledger_writes_hash_memo(bool on);
/* Whether ledger_writes_hash_memo is on for this thread. */
bool ledger_writes_hash_memo_on(void);

/* app_hash = SHA-256(prev_app_hash | u64 height | writes_hash). */
void ledger_app_hash_next(const hansa_hash *prev, uint64_t height, const hansa_hash *writes_hash,
                          hansa_hash *out);

#endif
