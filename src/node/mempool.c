/* mempool.c — see mempool.h. Entries live in an array in admission order
 * with an index from tx hash to position; removals leave holes that the
 * next compaction (after a commit or an eviction) squeezes out. */
#include "node/mempool.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/hmap.h"
#include "base/mem.h"
#include "ledger/block.h"
#include "ledger/tx.h"
#include "wire/codec.h"

typedef struct {
    hansa_hash hash;
    uint8_t *bytes; /* owned; NULL marks a removed entry */
    uint32_t len;
    uint64_t fee;
    hansa_pubkey sender;
} mp_entry;

struct mempool {
    mempool_limits limits;
    const ledger_state *state;
    ledger_block *check; /* committed state + every queued tx */
    mp_entry *entries;
    size_t n, cap;       /* array slots used (live or removed), allocated */
    size_t live;
    uint64_t bytes;
    hmap index;          /* tx hash -> position in entries */
    mempool_drop_fn drop;
    void *drop_ctx;
};

mempool *mempool_new(const mempool_limits *limits, const ledger_state *s, mempool_drop_fn drop,
                     void *drop_ctx) {
    mempool *m = hansa_calloc(1, sizeof *m);
    m->limits = *limits;
    if (m->limits.max_txs == 0) m->limits.max_txs = 100000;
    if (m->limits.max_bytes == 0) m->limits.max_bytes = 64u << 20;
    m->state = s;
    m->check = ledger_block_begin_check(s);
    m->drop = drop;
    m->drop_ctx = drop_ctx;
    return m;
}

void mempool_free(mempool *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) free(m->entries[i].bytes);
    free(m->entries);
    hmap_free(&m->index);
    ledger_block_free(m->check);
    free(m);
}

static void remove_entry(mempool *m, size_t i, hansa_err err, const char *why) {
    mp_entry *e = &m->entries[i];
    HANSA_ASSERT(e->bytes != NULL);
    HANSA_ASSERT(m->live > 0);
    hmap_del(&m->index, &e->hash);
    if (err != HANSA_OK && m->drop) m->drop(m->drop_ctx, &e->hash, err, why);
    m->bytes -= e->len;
    m->live--;
    free(e->bytes);
    e->bytes = NULL;
}

/* Rebuilds the check state over m->state from the live entries in order,
 * dropping those that no longer apply, and compacts the array. */
static void recheck(mempool *m) {
    ledger_block_free(m->check);
    m->check = ledger_block_begin_check(m->state);
    size_t out = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->entries[i].bytes) continue;
        wire_tx tx;
        char why[LEDGER_WHY_MAX] = "";
        hansa_err err = wire_tx_decode(m->entries[i].bytes, m->entries[i].len, &tx, NULL);
        HANSA_ASSERT(err == HANSA_OK); /* it decoded on admission */
        err = ledger_block_add_tx(m->check, &tx, true, why, sizeof why);
        if (err != HANSA_OK) {
            remove_entry(m, i, err, why);
            continue;
        }
        m->entries[out] = m->entries[i];
        hmap_put(&m->index, &m->entries[out].hash, out);
        out++;
    }
    m->n = out;
    HANSA_ASSERT(m->n == m->live);
}

/* The position of the cheapest entry that is its sender's last, not from
 * `sender`; SIZE_MAX if none. Scans backwards so the first entry seen for a
 * sender is its last. */
static size_t eviction_victim(mempool *m, const hansa_pubkey *sender) {
    hmap seen = HMAP_INIT;
    size_t best = SIZE_MAX;
    for (size_t i = m->n; i-- > 0;) {
        mp_entry *e = &m->entries[i];
        if (!e->bytes) continue;
        hansa_hash key;
        memcpy(key.b, e->sender.b, sizeof key.b);
        if (hmap_get(&seen, &key, NULL)) continue;
        hmap_put(&seen, &key, 1);
        if (pubkey_eq(&e->sender, sender)) continue;
        if (best == SIZE_MAX || e->fee <= m->entries[best].fee) best = i;
    }
    hmap_free(&seen);
    return best;
}

static bool full(const mempool *m, size_t len) {
    return m->live >= m->limits.max_txs || m->bytes + len > m->limits.max_bytes;
}

/* True if a tx paying tx->fee may evict the next victim; else why says so. */
static bool evictable(mempool *m, const wire_tx *tx, char *why, size_t why_len) {
    size_t v = eviction_victim(m, &tx->sender);
    if (v != SIZE_MAX && m->entries[v].fee < tx->fee) return true;
    snprintf(why, why_len, "mempool full (%zu txs, %llu bytes) and fee %llu does not "
             "beat the cheapest evictable tx", m->live, (unsigned long long)m->bytes,
             (unsigned long long)tx->fee);
    return false;
}

/* Makes room for a tx of len bytes paying fee; false if it may not. Every
 * eviction re-checks the pool (recheck), which rebuilds the check state. */
static bool make_room(mempool *m, const wire_tx *tx, size_t len, char *why, size_t why_len) {
    while (full(m, len)) {
        if (!evictable(m, tx, why, why_len)) return false;
        remove_entry(m, eviction_victim(m, &tx->sender), HANSA_ERR_FULL,
                     "evicted by a higher-fee transaction");
        recheck(m);
    }
    return true;
}

static void append(mempool *m, const hansa_hash *hash, const uint8_t *bytes, size_t len,
                   const wire_tx *tx) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->entries = hansa_realloc(m->entries, m->cap * sizeof *m->entries);
    }
    m->entries[m->n] = (mp_entry){*hash, hansa_memdup(bytes, len), (uint32_t)len, tx->fee,
                                  tx->sender};
    hmap_put(&m->index, hash, m->n);
    m->n++;
    m->live++;
    m->bytes += len;
}

hansa_err mempool_add(mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                      size_t why_len) {
    wire_tx tx;
    wire_rd r;
    hansa_err err = wire_tx_decode(bytes, len, &tx, &r);
    if (err != HANSA_OK) {
        rd_describe(&r, why, why_len);
        return err;
    }
    wire_tx_hash(&tx, hash);
    if (hmap_get(&m->index, hash, NULL)) {
        snprintf(why, why_len, "transaction already in the mempool");
        return HANSA_ERR_DUPLICATE;
    }
    if (ledger_tx_verify_sig(&tx) != HANSA_OK) {
        snprintf(why, why_len, "signature does not verify for the sender's key");
        return HANSA_ERR_BAD_SIG;
    }
    /* Judged before anything is evicted for it: a tx refused anyway (any
     * key can sign a high-fee one with a nonce gap, for free) must not cost
     * a queued tx its place. A refused add leaves the check state as it was. */
    if (full(m, len) && !evictable(m, &tx, why, why_len)) return HANSA_ERR_FULL;
    err = ledger_block_add_tx(m->check, &tx, true, why, why_len);
    if (err != HANSA_OK) return err;
    if (full(m, len)) {
        bool room = make_room(m, &tx, len, why, why_len);
        /* make_room's re-check rebuilt the check state without tx (it is not
         * queued yet): apply it again, or leave if an evicted tx paid for it. */
        if (!room) return HANSA_ERR_FULL;
        err = ledger_block_add_tx(m->check, &tx, true, why, why_len);
        if (err != HANSA_OK) return err;
    }
    append(m, hash, bytes, len, &tx);
    return HANSA_OK;
}

bool mempool_has(const mempool *m, const hansa_hash *hash) {
    return hmap_get(&m->index, hash, NULL);
}

uint64_t mempool_next_nonce(const mempool *m, const hansa_addr *addr) {
    ledger_account a;
    ledger_block_account(m->check, addr, &a);
    return a.nonce;
}

size_t mempool_count(const mempool *m) { return m->live; }
uint64_t mempool_bytes(const mempool *m) { return m->bytes; }

bool mempool_next(const mempool *m, size_t *cursor, const uint8_t **bytes, uint32_t *len) {
    while (*cursor < m->n && !m->entries[*cursor].bytes) (*cursor)++;
    if (*cursor >= m->n) return false;
    *bytes = m->entries[*cursor].bytes;
    *len = m->entries[*cursor].len;
    (*cursor)++;
    return true;
}

void mempool_update(mempool *m, const ledger_state *s, const hansa_hash *committed, size_t n) {
    m->state = s;
    for (size_t i = 0; i < n; i++) {
        uint64_t at;
        if (hmap_get(&m->index, &committed[i], &at)) remove_entry(m, (size_t)at, HANSA_OK, NULL);
    }
    recheck(m);
}
