/* mempool.c — see mempool.h.
 *
 * Entries live in an array in admission order with an index from tx hash
 * to position; removals leave holes that the re-check after a commit
 * squeezes out. What makes admission cheap on a full pool:
 *   - a min-heap of the eviction candidates (each sender's last queued
 *     entry, ordered by fee, then admission order), so the cheapest is
 *     found in O(1) and replaced in O(log n);
 *   - each sender's entries linked newest to oldest through `prev`, so when
 *     a sender's last entry is evicted its previous one becomes a candidate
 *     at once;
 *   - no re-execution on eviction: the check state keeps the evicted
 *     transaction's effects until the next re-check (see mempool.h);
 *   - a ring of recent refusals, consulted before any check.
 * The heap and the sender map hold array positions, so the re-check that
 * compacts the array rebuilds them (it is O(n) anyway, once per block). */
#include "node/mempool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/hmap.h"
#include "base/mem.h"
#include "base/probe.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "ledger/acct_map.h"
#include "ledger/block.h"
#include "ledger/tx.h"
#include "wire/codec.h"

#define NONE SIZE_MAX

/* A tx of up to BYTES_SMALL bytes (a transfer is ~150) is copied into a
 * buffer of that size, and when it leaves the pool the buffer waits among
 * up to BYTES_SPARES for the next admission: every node copies every tx in
 * and frees it a block later, a malloc and a free per tx per node (~2% of
 * a simulator run). The pool's byte limit counts each tx's length, not its
 * buffer: a pool full of ~150-byte transfers holds up to ~1.7x that in
 * heap (25.6 MB at 100,000 txs): still bounded, by BYTES_SMALL per
 * admitted tx. Sanitizer builds keep the spares too, so the tests run this
 * path, and poison what a tx does not use: a spare waiting for reuse, and
 * a buffer's bytes past its tx. A read past a tx or of a released one
 * stays an error the tests report while the buffer waits (under ASan the
 * oldest spare is reused first, so it waits behind every spare released
 * before it). */
#define BYTES_SMALL 256
#define BYTES_SPARES 64
#if defined(__SANITIZE_ADDRESS__)
#define BYTES_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BYTES_ASAN 1
#endif
#endif
#ifdef BYTES_ASAN
#include <sanitizer/asan_interface.h>
#define BYTES_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define BYTES_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define BYTES_POISON(p, n) ((void)(p), (void)(n))
#define BYTES_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct {
    hansa_hash hash;
    uint8_t *bytes; /* owned; NULL marks a removed entry */
    uint32_t len;
    uint64_t bytes_key; /* bytes_sip of the bytes (its by_bytes key, with len) */
    uint64_t fee;
    uint64_t seq;       /* admission number: among equal fees the older goes first */
    hansa_hash sender;  /* sender_key: attacker-chosen keys are hashed (hmap.h) */
    size_t prev;        /* the sender's previous queued entry, or NONE */
    size_t heap_pos;    /* position in the candidate heap, or NONE */
} mp_entry;

/* A slot of the bytes index (mempool.by_bytes): an entry's bytes_sip, its
 * length and its position. 16 bytes, four to a cache line, compared as
 * they are: a copy of a queued tx costs a probe here, then its entry and
 * its bytes (issue 15: the hmap this replaces had 48-byte slots keyed by a
 * 32-byte key built for each lookup, 1.4-1.9% of a delegate's CPU in
 * duplicate lookups). len 0 marks an empty slot: no queued tx is empty
 * (it decoded), so a zeroed table is an empty one. */
typedef struct {
    uint64_t sip;
    uint32_t len;
    uint32_t pos;
} bx_slot;

/* Open addressing, linear probing from the sip's low bits (a keyed SipHash:
 * uniform, and not aimable by peers), backward-shift deletion, grown at
 * 50% load: it holds at most one slot per queued entry, so it stays under
 * 4 x max_txs slots. */
typedef struct {
    bx_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
} bx_table;

/* A refusal remembered: for permanent reasons until the ring wraps, for
 * reasons the state may change only within the commit (epoch) it was made. */
typedef struct {
    hansa_hash hash;
    hansa_err err;
    bool permanent;
    uint64_t epoch;
} mp_reject;

struct mempool {
    mempool_limits limits;
    const ledger_state *state;
    ledger_block *check; /* committed state + every queued (and evicted) tx */
    mp_entry *entries;
    size_t n, cap;       /* array slots used (live or removed), allocated */
    size_t live;
    uint64_t bytes;
    uint64_t seq;
    hmap index;          /* tx hash -> position in entries */
    /* (bytes_sip, length) -> position of an entry with those bytes. A
     * relayed copy of a queued tx (each arrives once per relaying peer,
     * more than half of all admissions asked for) is found by a SipHash and
     * a compare of its bytes instead of a SHA-256 (issue 15). On a key
     * collision the first entry keeps the slot and the others are found by
     * hash as before. */
    bx_table by_bytes;
    uint64_t k0, k1;     /* SipHash key of by_bytes, derived from mempool_new's */
#ifndef NDEBUG
    uint8_t test_keys;   /* TEST_KEYS_*: what mempool_test_*_keys asked */
    uint64_t test_misses; /* bytes_index_check's entries not found (mempool_test_index_misses) */
#endif
    uint8_t *spares[BYTES_SPARES]; /* buffers of BYTES_SMALL bytes (bytes_copy) */
    size_t n_spares;
    hmap tails;          /* sender -> position of its last queued entry */
    size_t *heap;        /* positions of the tails, a min-heap by (fee, seq) */
    size_t n_heap;
    hmap evicted;        /* senders that lost an entry since the last re-check */
    mp_reject rejects[MEMPOOL_REJECTS_MAX];
    size_t reject_next;
    hmap reject_index;   /* tx hash -> slot in rejects */
    uint64_t epoch;      /* re-checks so far */
    mempool_stats stats;
    mempool_drop_fn drop;
    void *drop_ctx;
};

mempool *mempool_new(const mempool_limits *limits, const uint8_t hash_key[MEMPOOL_KEY_BYTES],
                     const ledger_state *s, mempool_drop_fn drop, void *drop_ctx) {
    mempool *m = hansa_calloc(1, sizeof *m);
    ledger_siphash_key_derive(le64_load(hash_key), le64_load(hash_key + 8), "mempool-bytes", &m->k0,
                              &m->k1);
    m->limits = *limits;
    if (m->limits.max_txs == 0) m->limits.max_txs = 100000;
    if (m->limits.max_bytes == 0) m->limits.max_bytes = 64u << 20;
    m->state = s;
    m->check = ledger_block_begin_check(s);
    m->heap = hansa_calloc(m->limits.max_txs, sizeof *m->heap);
    m->drop = drop;
    m->drop_ctx = drop_ctx;
    return m;
}

static void bytes_free(uint8_t *p, size_t len);

void mempool_free(mempool *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++)
        if (m->entries[i].bytes) bytes_free(m->entries[i].bytes, m->entries[i].len);
    for (size_t i = 0; i < m->n_spares; i++) bytes_free(m->spares[i], 0);
    free(m->entries);
    free(m->heap);
    hmap_free(&m->index);
    free(m->by_bytes.slots);
    hmap_free(&m->tails);
    hmap_free(&m->evicted);
    hmap_free(&m->reject_index);
    ledger_block_free(m->check);
    free(m);
}

/* ---- the candidate heap ---- */

static bool cheaper(const mempool *m, size_t a, size_t b) {
    const mp_entry *x = &m->entries[a], *y = &m->entries[b];
    return x->fee != y->fee ? x->fee < y->fee : x->seq < y->seq;
}

static void heap_set(mempool *m, size_t pos, size_t entry) {
    m->heap[pos] = entry;
    m->entries[entry].heap_pos = pos;
}

static void heap_up(mempool *m, size_t pos) {
    size_t e = m->heap[pos];
    while (pos > 0 && cheaper(m, e, m->heap[(pos - 1) / 2])) {
        heap_set(m, pos, m->heap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    heap_set(m, pos, e);
}

static void heap_down(mempool *m, size_t pos) {
    size_t e = m->heap[pos];
    for (;;) {
        size_t c = 2 * pos + 1;
        if (c >= m->n_heap) break;
        if (c + 1 < m->n_heap && cheaper(m, m->heap[c + 1], m->heap[c])) c++;
        if (!cheaper(m, m->heap[c], e)) break;
        heap_set(m, pos, m->heap[c]);
        pos = c;
    }
    heap_set(m, pos, e);
}

static void heap_push(mempool *m, size_t entry) {
    HANSA_ASSERT(m->n_heap < m->limits.max_txs);
    HANSA_ASSERT(m->entries[entry].heap_pos == NONE);
    m->heap[m->n_heap++] = entry;
    heap_up(m, m->n_heap - 1);
}

static void heap_remove(mempool *m, size_t entry) {
    size_t pos = m->entries[entry].heap_pos;
    HANSA_ASSERT(pos < m->n_heap && m->heap[pos] == entry);
    m->entries[entry].heap_pos = NONE;
    size_t last = m->heap[--m->n_heap];
    if (pos == m->n_heap) return;
    heap_set(m, pos, last);
    heap_up(m, pos);
    heap_down(m, m->entries[last].heap_pos);
}

/* The cheapest candidate not from `sender`, or NONE. Each sender has one
 * candidate, so if the root is the sender's the answer is a child of it. */
static size_t cheapest_not_from(const mempool *m, const hansa_hash *sender) {
    if (m->n_heap == 0) return NONE;
    if (!hash_eq(&m->entries[m->heap[0]].sender, sender)) return m->heap[0];
    size_t best = NONE;
    for (size_t c = 1; c <= 2 && c < m->n_heap; c++)
        if (best == NONE || cheaper(m, m->heap[c], best)) best = m->heap[c];
    return best;
}

/* ---- entries ---- */

/* The sender's address (the first 20 bytes of the SHA-256 of its key),
 * zero-padded: addr_from_pubkey remembers recent keys, and the ledger asks
 * it for the same sender's address when it checks the tx, so the key is
 * hashed once per admission, not twice. */
static void sender_key(const wire_tx *tx, hansa_hash *out) {
    hansa_addr a;
    addr_from_pubkey(&tx->sender, &a);
    *out = (hansa_hash){{0}};
    memcpy(out->b, a.b, HANSA_ADDR_BYTES);
}

/* A spare buffer for the next copy. The last one released comes back
 * first (it is likely still in cache); under ASan the one released longest
 * ago does, so a stale pointer to a released tx stays poisoned until the
 * spares released before it are used, instead of reading the next tx's
 * bytes at once. */
static uint8_t *spare_take(mempool *m) {
#ifdef BYTES_ASAN
    uint8_t *p = m->spares[0];
    memmove(m->spares, m->spares + 1, (m->n_spares - 1) * sizeof m->spares[0]);
    m->n_spares--;
    return p;
#else
    return m->spares[--m->n_spares];
#endif
}

/* A copy of a tx's bytes the entry owns (released by bytes_release). */
static uint8_t *bytes_copy(mempool *m, const uint8_t *bytes, size_t len) {
    if (len > BYTES_SMALL) return hansa_memdup(bytes, len);
    uint8_t *p = m->n_spares > 0 ? spare_take(m) : hansa_malloc(BYTES_SMALL);
    BYTES_UNPOISON(p, len);
    BYTES_POISON(p + len, BYTES_SMALL - len);
    memcpy(p, bytes, len);
    return p;
}

/* Frees a buffer of bytes_copy's for good (len: the tx's). */
static void bytes_free(uint8_t *p, size_t len) {
    if (len <= BYTES_SMALL) BYTES_UNPOISON(p, BYTES_SMALL);
    free(p);
}

static void bytes_release(mempool *m, uint8_t *p, size_t len) {
    if (len > BYTES_SMALL || m->n_spares == BYTES_SPARES) {
        bytes_free(p, len);
        return;
    }
    BYTES_POISON(p, BYTES_SMALL);
    m->spares[m->n_spares++] = p;
}

/* ---- the bytes index ---- */

static size_t bx_home(const bx_table *t, uint64_t sip) { return (size_t)sip & (t->cap - 1); }

/* The slot holding (sip, len), or the empty one where it would go (cap > 0). */
static size_t bx_probe(const bx_table *t, uint64_t sip, uint32_t len) {
    size_t i = bx_home(t, sip);
    while (t->slots[i].len != 0 && (t->slots[i].sip != sip || t->slots[i].len != len))
        i = (i + 1) & (t->cap - 1);
    return i;
}

static void bx_grow(bx_table *t) {
    bx_table old = *t;
    t->cap = old.cap ? old.cap * 2 : 256;
    t->slots = hansa_calloc(t->cap, sizeof *t->slots);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].len != 0) t->slots[bx_probe(t, old.slots[i].sip, old.slots[i].len)] = old.slots[i];
    free(old.slots);
}

/* Puts (sip, len) -> pos unless another position holds that key. */
static void bx_put(bx_table *t, uint64_t sip, uint32_t len, uint32_t pos) {
    HANSA_ASSERT(len != 0);
    if ((t->len + 1) * 2 > t->cap) bx_grow(t);
    size_t i = bx_probe(t, sip, len);
    if (t->slots[i].len != 0) return;
    t->slots[i] = (bx_slot){sip, len, pos};
    t->len++;
}

/* The position holding (sip, len), or NONE. */
static size_t bx_get(const bx_table *t, uint64_t sip, uint32_t len) {
    if (t->cap == 0) return NONE;
    const bx_slot *x = &t->slots[bx_probe(t, sip, len)];
    return x->len != 0 ? x->pos : NONE;
}

static size_t bx_slot_home(const void *t, const void *slot) {
    const bx_slot *x = slot;
    return x->len != 0 ? bx_home(t, x->sip) : PROBE_EMPTY;
}

/* Frees (sip, len)'s slot if pos holds it; backward-shift deletion
 * (base/probe.h) keeps every probe chain unbroken without tombstones. */
static void bx_del(bx_table *t, uint64_t sip, uint32_t len, uint32_t pos) {
    if (t->cap == 0) return;
    size_t i = bx_probe(t, sip, len);
    if (t->slots[i].len == 0 || t->slots[i].pos != pos) return;
    i = probe_shift_back(t->slots, sizeof *t->slots, t->cap - 1, i, bx_slot_home, t);
    t->slots[i].len = 0;
    t->len--;
}

static void bx_clear(bx_table *t) {
    if (t->cap != 0) memset(t->slots, 0, t->cap * sizeof *t->slots);
    t->len = 0;
}

/* A SipHash of the tx's signature, its last HANSA_SIG_BYTES bytes, not of
 * every byte: that cost about what the SHA-256 it saves does (SHA-NI). No
 * two transactions the pool queued share a signature (the simulator's
 * stand-in fills only the first 16 bytes of it, so less than all of it
 * would not do); equal bytes still give equal keys, and a collision costs
 * the SHA-256, never a wrong answer. */
#define BYTES_TAIL HANSA_SIG_BYTES

enum { TEST_KEYS_OFF, TEST_KEYS_COLLIDE, TEST_KEYS_CROWD, TEST_KEYS_CLUSTER, TEST_KEYS_LAST };

static uint64_t bytes_sip(const mempool *m, const uint8_t *bytes, size_t len) {
    size_t tail = len < BYTES_TAIL ? len : BYTES_TAIL;
    uint64_t sip = ledger_siphash24(m->k0, m->k1, bytes + len - tail, tail);
#ifndef NDEBUG
    if (m->test_keys == TEST_KEYS_COLLIDE) return 0;
    if (m->test_keys == TEST_KEYS_CROWD) /* home: one of the table's last two slots or first two */
        return sip & 0x20000 ? sip | 0xfffe : sip & ~(uint64_t)0xfffe;
    if (m->test_keys == TEST_KEYS_CLUSTER) /* home: one of slots 8 to 11, far from the end */
        return (sip & ~(uint64_t)0xffff) | 8 | (sip >> 17 & 3);
    if (m->test_keys == TEST_KEYS_LAST) return sip | 0xffff; /* home: the table's last slot */
#endif
    return sip;
}

static bool test_keys(mempool *m, uint8_t mode) {
#ifndef NDEBUG
    HANSA_ASSERT(m->live == 0); /* keys already indexed would no longer be found */
    m->test_keys = mode;
    return true;
#else
    (void)m;
    (void)mode;
    return false;
#endif
}

bool mempool_test_collide_keys(mempool *m) { return test_keys(m, TEST_KEYS_COLLIDE); }

bool mempool_test_crowd_keys(mempool *m) { return test_keys(m, TEST_KEYS_CROWD); }

bool mempool_test_cluster_keys(mempool *m) { return test_keys(m, TEST_KEYS_CLUSTER); }

bool mempool_test_last_keys(mempool *m) { return test_keys(m, TEST_KEYS_LAST); }

uint64_t mempool_test_index_misses(const mempool *m) {
#ifndef NDEBUG
    return m->test_misses;
#else
    (void)m;
    return 0;
#endif
}

/* Entry i holds the slot of its bytes' key in by_bytes unless another
 * entry with that key already does. A position past 32 bits (never met:
 * the array is compacted every block) is left out, and found by hash. */
static void bytes_index_put(mempool *m, size_t i) {
    const mp_entry *e = &m->entries[i];
    if (i < UINT32_MAX) bx_put(&m->by_bytes, e->bytes_key, e->len, (uint32_t)i);
}

/* The queued entry whose bytes are exactly these, found by their key, or
 * NONE (also when another entry holds the key: then the caller hashes). */
static size_t bytes_index_find(const mempool *m, uint64_t sip, const uint8_t *bytes, size_t len) {
    if (len > UINT32_MAX) return NONE; /* no queued tx is that long */
    size_t at = bx_get(&m->by_bytes, sip, (uint32_t)len);
    if (at == NONE) return NONE;
    const mp_entry *e = &m->entries[at];
    HANSA_ASSERT(e->bytes != NULL && e->len == len); /* removals free their slot */
    return memcmp(e->bytes, bytes, len) == 0 ? at : NONE;
}

/* Removes entry i from the indexes and the counters (not from the sender
 * chain or the heap: the caller keeps those right). */
static void remove_entry(mempool *m, size_t i, hansa_err err, const char *why) {
    mp_entry *e = &m->entries[i];
    HANSA_ASSERT(e->bytes != NULL);
    HANSA_ASSERT(m->live > 0);
    hmap_del(&m->index, &e->hash);
    if (i < UINT32_MAX) bx_del(&m->by_bytes, e->bytes_key, e->len, (uint32_t)i);
    if (err != HANSA_OK && m->drop) m->drop(m->drop_ctx, &e->hash, err, why);
    m->bytes -= e->len;
    m->live--;
    bytes_release(m, e->bytes, e->len);
    e->bytes = NULL;
}

/* Under the crowd, cluster and last-slot test keys (distinct keys, long chains),
 * every queued entry must still be found by the index itself after a
 * deletion. Checked here, not by the test after mempool_add: the admission
 * that follows an eviction takes the first free slot of its chain, which
 * refills a hole a broken deletion left, and the lookup by hash would
 * answer anyway (a node would only run slower). Counted for the test to
 * read, not asserted: an abort here took every later test in the binary
 * down with the one that found the fault. */
static void bytes_index_check(mempool *m) {
#ifndef NDEBUG
    if (m->test_keys == TEST_KEYS_OFF || m->test_keys == TEST_KEYS_COLLIDE) return;
    for (size_t i = 0; i < m->n; i++)
        if (m->entries[i].bytes)
            m->test_misses += bx_get(&m->by_bytes, m->entries[i].bytes_key, m->entries[i].len) != i;
#else
    (void)m;
#endif
}

/* Evicts a sender's last entry: its previous one (if still queued) takes
 * its place as the sender's candidate. */
static void evict(mempool *m, size_t i) {
    mp_entry *e = &m->entries[i];
    heap_remove(m, i);
    size_t prev = e->prev;
    hansa_hash sender = e->sender;
    remove_entry(m, i, HANSA_ERR_FULL, "evicted by a higher-fee transaction");
    bytes_index_check(m);
    if (prev != NONE && m->entries[prev].bytes) {
        hmap_put(&m->tails, &sender, prev);
        heap_push(m, prev);
    } else {
        hmap_del(&m->tails, &sender);
    }
    hmap_put(&m->evicted, &sender, 1);
    m->stats.evicted++;
}

static void append(mempool *m, const hansa_hash *hash, const uint8_t *bytes, size_t len,
                   uint64_t sip, const wire_tx *tx, const hansa_hash *sender) {
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->entries = hansa_realloc(m->entries, m->cap * sizeof *m->entries);
    }
    size_t i = m->n++;
    uint64_t tail;
    size_t prev = hmap_get(&m->tails, sender, &tail) ? (size_t)tail : NONE;
    if (prev != NONE) heap_remove(m, prev);
    m->entries[i] = (mp_entry){*hash, bytes_copy(m, bytes, len), (uint32_t)len, sip, tx->fee,
                               m->seq++, *sender, prev, NONE};
    hmap_put(&m->index, hash, i);
    bytes_index_put(m, i);
    hmap_put(&m->tails, sender, i);
    heap_push(m, i);
    m->live++;
    m->bytes += len;
}

/* Rebuilds the check state over m->state from the live entries in order,
 * dropping those that no longer apply, compacts the array, and rebuilds
 * the sender chains and the heap over the new positions. */
static void recheck(mempool *m) {
    ledger_block_free(m->check);
    m->check = ledger_block_begin_check(m->state);
    hmap_clear(&m->tails);
    hmap_clear(&m->evicted);
    /* Rebuilt over the new positions below: a kept entry's new position
     * is at most its old one, so remove_entry never mistakes a rebuilt
     * slot for the position it removes. */
    bx_clear(&m->by_bytes);
    m->n_heap = 0;
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
        mp_entry *e = &m->entries[out];
        *e = m->entries[i];
        uint64_t tail;
        e->prev = hmap_get(&m->tails, &e->sender, &tail) ? (size_t)tail : NONE;
        e->heap_pos = NONE;
        hmap_put(&m->index, &e->hash, out);
        bytes_index_put(m, out);
        hmap_put(&m->tails, &e->sender, out);
        out++;
    }
    m->n = out;
    HANSA_ASSERT(m->n == m->live);
    /* Every sender's last entry is a candidate. */
    for (size_t i = 0; i < m->n; i++) {
        uint64_t tail;
        HANSA_ASSERT(hmap_get(&m->tails, &m->entries[i].sender, &tail));
        if ((size_t)tail == i) heap_push(m, i);
    }
    m->epoch++;
}

/* ---- refusals ---- */

/* Refusals that no later state can lift: the bytes are what they are. */
static bool refusal_permanent(hansa_err err) {
    return err == HANSA_ERR_BAD_SIG || err == HANSA_ERR_WRONG_CHAIN;
}

/* Refusals worth remembering until the next commit: the state that caused
 * them changes only then (funds and fees), or the pool is full. A nonce
 * refusal is not kept: the missing nonce may be admitted any moment. */
static bool refusal_cacheable(hansa_err err) {
    return refusal_permanent(err) || err == HANSA_ERR_FUNDS || err == HANSA_ERR_FEE ||
           err == HANSA_ERR_FULL;
}

static void reject_remember(mempool *m, const hansa_hash *hash, hansa_err err) {
    if (!refusal_cacheable(err)) return;
    mp_reject *r = &m->rejects[m->reject_next];
    uint64_t at;
    if (r->err != HANSA_OK && hmap_get(&m->reject_index, &r->hash, &at) && at == m->reject_next)
        hmap_del(&m->reject_index, &r->hash);
    *r = (mp_reject){*hash, err, refusal_permanent(err), m->epoch};
    hmap_put(&m->reject_index, hash, m->reject_next);
    m->reject_next = (m->reject_next + 1) % MEMPOOL_REJECTS_MAX;
}

/* The remembered refusal of this tx, or HANSA_OK. */
static hansa_err reject_lookup(const mempool *m, const hansa_hash *hash) {
    uint64_t at;
    if (!hmap_get(&m->reject_index, hash, &at)) return HANSA_OK;
    const mp_reject *r = &m->rejects[at];
    return r->permanent || r->epoch == m->epoch ? r->err : HANSA_OK;
}

/* ---- admission ---- */

static bool full(const mempool *m, size_t len) {
    return m->live >= m->limits.max_txs || m->bytes + len > m->limits.max_bytes;
}

/* Takes candidates off the heap, cheapest first, until a tx of len bytes
 * fits; each must pay less than fee and not be from sender. Returns how
 * many it took (in out[], at most max), or SIZE_MAX if it cannot make room:
 * then the heap is as it was. Nothing is removed yet: evict() does that
 * once the tx is known to apply. */
static size_t pick_victims(mempool *m, size_t len, uint64_t fee, const hansa_hash *sender,
                           size_t *out, size_t max) {
    size_t k = 0, live = m->live;
    uint64_t bytes = m->bytes;
    bool ok = true;
    while (live >= m->limits.max_txs || bytes + len > m->limits.max_bytes) {
        size_t v = cheapest_not_from(m, sender);
        if (v == NONE || m->entries[v].fee >= fee || k == max) {
            ok = false;
            break;
        }
        heap_remove(m, v);
        out[k++] = v;
        live--;
        bytes -= m->entries[v].len;
    }
    for (size_t i = 0; i < k; i++) heap_push(m, out[i]); /* back, until evict() */
    return ok ? k : SIZE_MAX;
}

/* What a refusal returns: counted, remembered, explained. */
static hansa_err refuse(mempool *m, const hansa_hash *hash, hansa_err err) {
    m->stats.refused++;
    reject_remember(m, hash, err);
    return err;
}

/* A copy of a queued tx: most relayed ones are (issue 15), and the relay
 * path reads no text, so none is written for it. */
static hansa_err duplicate(char *why, size_t why_len) {
    if (why) snprintf(why, why_len, "transaction already in the mempool");
    return HANSA_ERR_DUPLICATE;
}

#define VICTIMS_MAX 64 /* a 16 KiB tx never needs more than this many evictions of small ones */

hansa_err mempool_add(mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash, char *why,
                      size_t why_len) {
    /* Bytes the decoder accepted are the canonical encoding of their tx (no
     * trailing bytes, fixed-width fields; fuzz_tx checks the round trip),
     * so their hash is wire_tx_hash(tx) without encoding tx again; and
     * bytes whose hash is queued or was refused are those very bytes. So
     * both are looked up before the decode: most txs arrive here several
     * times, once per peer that relays them (issue 15), and a copy of a
     * queued tx is found by its bytes before even that hash. */
    uint64_t sip = bytes_sip(m, bytes, len);
    size_t same = bytes_index_find(m, sip, bytes, len);
    if (same != NONE) {
        m->stats.dup_by_bytes++;
        *hash = m->entries[same].hash;
        return duplicate(why, why_len);
    }
    wire_tx_bytes_hash(bytes, len, hash); /* each simulated node's is one hash (wire_memos) */
    if (hmap_get(&m->index, hash, NULL)) return duplicate(why, why_len);
    char unread[LEDGER_WHY_MAX]; /* what the checks below write for a caller that reads nothing */
    if (!why) {
        why = unread;
        why_len = sizeof unread;
    }
    hansa_err err = reject_lookup(m, hash);
    if (err != HANSA_OK) {
        m->stats.refused_cached++;
        snprintf(why, why_len, "refused recently (%s), not checked again", hansa_errname(err));
        return err;
    }
    wire_tx tx;
    wire_rd r;
    err = wire_tx_decode(bytes, len, &tx, &r);
    if (err != HANSA_OK) {
        rd_describe(&r, why, why_len);
        m->stats.refused++;
        return err;
    }
    hansa_hash sender;
    sender_key(&tx, &sender);
    if (hmap_get(&m->evicted, &sender, NULL)) {
        snprintf(why, why_len, "a queued transaction of this sender was evicted; resubmit after "
                 "the next block");
        return refuse(m, hash, HANSA_ERR_FULL);
    }
    /* Judged before anything is evicted for it: a tx refused anyway (any
     * key can sign a high-fee one with a nonce gap, for free) must not cost
     * a queued tx its place. */
    size_t victims[VICTIMS_MAX], n_victims = 0;
    if (full(m, len)) {
        n_victims = pick_victims(m, len, tx.fee, &sender, victims, VICTIMS_MAX);
        if (n_victims == SIZE_MAX) {
            snprintf(why, why_len, "mempool full (%zu txs, %llu bytes) and fee %llu does not "
                     "beat the cheapest evictable tx", m->live, (unsigned long long)m->bytes,
                     (unsigned long long)tx.fee);
            return refuse(m, hash, HANSA_ERR_FULL);
        }
    }
    /* The ledger checks nonce, fee and balance first and the signature
     * last (ledger_block_add_tx); a refused add leaves the check state as
     * it was. */
    err = ledger_block_add_tx(m->check, &tx, false, why, why_len);
    if (err == HANSA_OK || err == HANSA_ERR_BAD_SIG) m->stats.sig_verifies++;
    if (err != HANSA_OK) return refuse(m, hash, err);
    for (size_t i = 0; i < n_victims; i++) evict(m, victims[i]);
    append(m, hash, bytes, len, sip, &tx, &sender);
    m->stats.admitted++;
    return HANSA_OK;
}

bool mempool_has(const mempool *m, const hansa_hash *hash) {
    return hmap_get(&m->index, hash, NULL);
}

/* The hash an entry was admitted with, which block judging, building and
 * the store's tx index now trust instead of hashing the bytes again: debug
 * builds check it still is the hash of the bytes held. */
static hansa_hash entry_hash(const mp_entry *e) {
#ifndef NDEBUG
    hansa_hash h;
    sha256(e->bytes, e->len, &h);
    HANSA_ASSERT(hash_eq(&h, &e->hash));
#endif
    return e->hash;
}

bool mempool_has_bytes(const mempool *m, const uint8_t *bytes, size_t len, hansa_hash *hash) {
    size_t at = bytes_index_find(m, bytes_sip(m, bytes, len), bytes, len);
    if (at != NONE) {
        *hash = entry_hash(&m->entries[at]);
        return true;
    }
    /* Not queued, or another entry holds the bytes' key: by hash. */
    sha256(bytes, len, hash);
    return hmap_get(&m->index, hash, NULL);
}

uint64_t mempool_next_nonce(const mempool *m, const hansa_addr *addr) {
    ledger_account a;
    ledger_block_account(m->check, addr, &a);
    return a.nonce;
}

size_t mempool_count(const mempool *m) { return m->live; }
uint64_t mempool_bytes(const mempool *m) { return m->bytes; }
mempool_stats mempool_get_stats(const mempool *m) { return m->stats; }

bool mempool_next(const mempool *m, size_t *cursor, const uint8_t **bytes, uint32_t *len,
                  hansa_hash *hash) {
    while (*cursor < m->n && !m->entries[*cursor].bytes) (*cursor)++;
    if (*cursor >= m->n) return false;
    *bytes = m->entries[*cursor].bytes;
    *len = m->entries[*cursor].len;
    if (hash) *hash = entry_hash(&m->entries[*cursor]);
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
