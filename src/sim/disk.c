/* disk.c — the simulated disk; see disk.h.
 *
 * Each "database" of the LMDB store has a plain in-memory counterpart:
 * blocks and commits in an array by height, the block and tx indexes in
 * hash maps, the state, validator sets and receipt guarantees in arrays
 * sorted by key (prefix scans walk them in LMDB's byte order), the WAL in an array sorted by (height, seq). Values
 * are kept as sealed records (store/record.h) under the same keys LMDB
 * uses, so a read checks exactly what a read from data.mdb checks. */
#include "sim/disk.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/probe.h"
#include "ledger/acct_map.h"
#include "store/backend.h"
#include "store/record.h"

#define HEIGHT_KEY_BYTES 8
#define WAL_KEY_BYTES 12
#define WAL_SPARES 32 /* truncated WAL record buffers kept for reuse: a few heights' worth */

typedef struct {
    bool has;
    const hbuf *block; /* sealed: block hash || block bytes; the pool's */
    hbuf commit;       /* sealed: commit bytes */
} disk_block;

/* Sealed block records, shared by the disks of one world (sim_disk_share):
 * every node of a chain stores the same blocks under the same keys (their
 * heights), so one copy serves them all — three quarters of the blocks'
 * memory with four nodes, the largest part of what a long run's heap
 * holds. A record is shared only when its bytes are equal; records never
 * change and live as long as the pool. */
/* The tx index is shared the same way: a disk holds a pooled entry's tx
 * when its own block at the entry's height is the entry's record. A tx in
 * a block the pool's entry does not name (a fork, or a second inclusion)
 * goes to the disk's own index, which is looked at first. */
typedef struct {
    uint64_t pos; /* height << 32 | index */
    const hbuf *block;
    hansa_hash tx; /* what the pool's tx index confirms a hit against */
} pool_tx;

/* The pool's indexes (block hashes, tx hashes): open addressing from a
 * hash's first 8 bytes to its entry's number + 1 (0: empty), 16 bytes a
 * slot; a hit is confirmed against the entry's whole hash (pool_ix_get's
 * hash_of). Entries are never dropped. An hmap keeps the whole 32-byte
 * key in 48-byte slots: the tx index of a long run (~77,000 txs at
 * 20,000 heights, 262,144 slots) was 12 MB of pages to zero as it grew,
 * and a cache miss per tx. */
typedef struct {
    uint64_t pre, k1;
} pool_ix_slot;

typedef struct {
    pool_ix_slot *slots;
    size_t cap, len; /* cap: a power of two, or 0 */
} pool_ix;

typedef struct {
    hansa_hash tx;
    uint64_t k; /* its entry in txs */
    bool set;
} pool_last_tx;

/* The block index is shared the same way: the pool knows the height of
 * each record, and a disk holds a block hash at that height when its own
 * block there is the hash's first record; any other (equal hash, other
 * bytes) goes to the disk's own block index, looked at first. Four disks
 * each inserting every block's hash into a map that grew with the run
 * was a cache miss or more per block and ~0.4 KB per height. */
struct sim_block_pool {
    pool_ix index; /* block hash -> index in recs of its first record */
    hbuf **recs;
    uint64_t *rec_height; /* [i]: the height recs[i] was stored at */
    size_t n, cap;
    hbuf scratch; /* the record being stored */
    pool_ix tx_index; /* tx hash -> index in txs */
    pool_tx *txs;
    size_t n_txs, cap_txs;
    /* What tx_index answered for the txs of the last record asked about
     * (apply_tx, by the tx's index in the block): every disk of the chain
     * commits the same record, and the index of a long run is far larger
     * than the cache, so the others' lookups were a cache miss each. A
     * tx's entry never changes once made, so the answer is the index's. */
    const hbuf *last_block;
    uint64_t last_height;
    pool_last_tx *last;
    size_t n_last, cap_last;
};

typedef struct {
    hbuf rec; /* sealed value, its checksum made when first read (crc_due) */
    bool crc_due;
    size_t klen;
    uint8_t key[];
} disk_kv;

/* A key's first 16 bytes, zero-padded, as two big-endian numbers
 * (kv_prefix): the receipts' keys (a prefix byte and a height) and the
 * accounts' (a prefix byte and an address) differ within them. */
typedef struct {
    uint64_t hi, lo;
} kv_pre;

/* A sorted table's slot: the entry, and its key's prefix. Two prefixes
 * that differ order their keys as LMDB does, so the binary search reads
 * the entries (scattered over the heap: a cache miss at each of ~10
 * steps, ~2% of a run in kv_del alone) only where prefixes tie. */
typedef struct {
    kv_pre pre;
    disk_kv *kv;
} disk_slot;

/* A table's index: an open-addressing map from a key's SipHash
 * (kv_key_sip) to its entry (entries never move), 16 bytes a slot, kv
 * NULL when empty; grown at half full, deletion shifts back (no
 * tombstones). On a SipHash collision the first key keeps the slot and
 * the others are found by the table's binary search. A hash map of
 * 32-byte keys (48-byte slots) was a cache miss or more per put, ~1.4% of
 * a run in kv_put's lookups alone. */
typedef struct {
    uint64_t sip;
    disk_kv *kv;
} kv_ix_slot;

typedef struct {
    kv_ix_slot *slots;
    size_t cap, len; /* cap: a power of two, or 0 */
} kv_ix;

/* An array of slots, not of entries: a put or delete in the middle
 * (the receipts' tx roots enter at one end of their range and leave at the
 * other, every height) moves 24 bytes per later entry, not the entry (a
 * fraction of what memmove moved, 3.5% of a run's time). */
typedef struct {
    disk_slot *v; /* sorted by key, in LMDB's byte order: base[off .. off + n) */
    disk_slot *base;
    size_t off, n, cap; /* cap: slots at base */
    /* The entries by key: a put over an existing key and a get find it
     * without the binary search, whose pointer chasing through ~900
     * scattered entries with a memcmp at each step was ~3% of a run. */
    kv_ix index;
} disk_table;

typedef struct {
    uint64_t height;
    uint32_t seq;
    hbuf rec; /* sealed WAL record (crc_due: its checksum not made yet) */
    bool crc_due;
} disk_wal;

/* How durable a lazy write is (the levels of struct sim_disk's comment). */
typedef enum { LAZY_SYNCED, LAZY_RELAXED, LAZY_MEMORY } lazy_level;

/* The signer state as one durability level left it. */
typedef struct {
    bool has;
    hbuf rec;
    bool crc_due;
} signer_snap;

typedef struct {
    uint64_t height;
    uint32_t seq;
    bool relaxed; /* a relaxed commit carried it */
} lazy_wal_rec;

struct sim_disk {
    sim_disk_fault_fn fault;
    void *fault_ctx;
    sim_block_pool *pool;
    bool own_pool; /* not shared: freed with the disk */
    bool open;
    bool crashed;
    uint64_t writes;
    disk_block *blocks; /* blocks[h - 1] */
    uint64_t n_blocks, cap_blocks;
    hmap block_index;   /* block hash -> height, beside the pool's (disk_block_height) */
    hmap tx_index;      /* tx hash -> height << 32 | index, beside the pool's */
    disk_table state;
    disk_table valsets;  /* validator set hash -> encoded set */
    disk_table receipts; /* tx hash -> outstanding receipt guarantee */
    disk_table blobs;    /* the signer database's other records: "dkg", "roast" */
    disk_table checkpoints; /* FROST checkpoints and handoffs, keyed as store.c keys them */
    bool has_tip;
    store_tip tip;
    bool has_signer;
    hbuf signer;        /* sealed (signer_crc_due: its checksum not made yet) */
    bool signer_crc_due;
    disk_wal *wal;      /* sorted by (height, seq) */
    size_t n_wal, cap_wal;
    /* Buffers of truncated WAL records, kept for the next appends: a node
     * appends ~8 records per height and truncates them a height later, and
     * a malloc and free for each was the run's largest allocation site. */
    hbuf wal_spare[WAL_SPARES];
    size_t n_wal_spare;
    /* Lazy writes (backend.h) not yet made durable, at the level the LMDB
     * store keeps them: in process memory (LAZY_MEMORY: any crash but a
     * clean close takes them), carried by a relaxed commit (LAZY_RELAXED:
     * a power loss takes them) or synced. The signer state as the last
     * synced write and the last relaxed commit left it, and the WAL
     * records appended lazily since the last synced write. */
    bool lazy;            /* the write under way is a lazy one */
    bool relaxed;         /* the write under way is a relaxed commit (MDB_NOMETASYNC) */
    lazy_level signer_level;
    signer_snap synced_signer, relaxed_signer;
    lazy_wal_rec *lazy_wal;
    size_t n_lazy_wal, cap_lazy_wal;
};

static const char signer_key[] = "signer";

static void wal_key(uint8_t k[WAL_KEY_BYTES], uint64_t height, uint32_t seq) {
    be64_store(k, height);
    for (int i = 3; i >= 0; i--, seq >>= 8) k[8 + i] = (uint8_t)seq;
}

/* A record sealed as store.c seals it: header, then pre || body. With
 * crc_due, the checksum is left for the first read (settle), and *crc_due
 * says so: a node writes its state, signer state and WAL fifty times for
 * each time it reads them back (the WAL is read only at a restart), and the
 * checksums of what was never read were ~2% of a run's time. Nothing in the
 * simulated world touches a record's bytes between its write and its first
 * read except a torn write, which is sealed at once (be_wal_append) so that
 * its damage shows; and a deferred checksum is made from the key the record
 * was written under, kept with it, so a record found under the wrong key
 * still fails the check. */
static void seal(hbuf *out, bool *crc_due, store_rec_type type, const uint8_t *key, size_t klen,
                 const uint8_t *pre, size_t prelen, const uint8_t *body, size_t bodylen) {
    /* Exactly the record's size: the disk keeps every block and record for
     * the whole run, and hbuf's doubling left a third of that memory unused
     * (long runs went slower per height as the heap grew). */
    size_t need = STORE_RECORD_HEADER_BYTES + prelen + bodylen;
    if (out->cap < need || out->cap > 2 * need) {
        hbuf_free(out);
        out->data = hansa_malloc(need);
        out->cap = need;
    }
    out->len = need;
    memset(out->data, 0, STORE_RECORD_HEADER_BYTES);
    if (prelen) memcpy(out->data + STORE_RECORD_HEADER_BYTES, pre, prelen);
    if (bodylen) memcpy(out->data + STORE_RECORD_HEADER_BYTES + prelen, body, bodylen);
    store_record_seal_fields(out->data, type, prelen + bodylen);
    if (crc_due) *crc_due = true;
    else store_record_seal_crc(out->data, key, klen, out->data + STORE_RECORD_HEADER_BYTES);
}

/* Makes a deferred checksum (seal), from the key the record was written
 * under, before the record is first read. */
static void settle(hbuf *rec, bool *crc_due, const uint8_t *key, size_t klen) {
    if (!*crc_due) return;
    HANSA_ASSERT(rec->len >= STORE_RECORD_HEADER_BYTES);
    store_record_seal_crc(rec->data, key, klen, rec->data + STORE_RECORD_HEADER_BYTES);
    *crc_due = false;
}

/* The hash an entry of one of the pool's indexes is under. */
typedef const hansa_hash *(*pool_ix_hash_fn)(const sim_block_pool *p, uint64_t k);

/* A block record's hash: sealed just past the record's header (seal's pre). */
static const hansa_hash *rec_hash(const sim_block_pool *p, uint64_t k) {
    return (const hansa_hash *)(p->recs[k]->data + STORE_RECORD_HEADER_BYTES);
}

static const hansa_hash *tx_hash_of(const sim_block_pool *p, uint64_t k) { return &p->txs[k].tx; }

/* True, with its entry in *k, when x holds h. */
static bool pool_ix_get(const pool_ix *x, const sim_block_pool *p, pool_ix_hash_fn hash_of,
                        const hansa_hash *h, uint64_t *k) {
    if (x->cap == 0) return false;
    uint64_t pre = le64_load(h->b);
    size_t mask = x->cap - 1;
    for (size_t i = (size_t)pre & mask; x->slots[i].k1; i = (i + 1) & mask) {
        if (x->slots[i].pre == pre && hash_eq(hash_of(p, x->slots[i].k1 - 1), h)) {
            *k = x->slots[i].k1 - 1;
            return true;
        }
    }
    return false;
}

static void pool_ix_place(pool_ix *x, pool_ix_slot slot) {
    size_t mask = x->cap - 1, i = (size_t)slot.pre & mask;
    while (x->slots[i].k1) i = (i + 1) & mask;
    x->slots[i] = slot;
}

/* Adds h -> k; h is absent (pool_ix_get said so). */
static void pool_ix_put(pool_ix *x, const hansa_hash *h, uint64_t k) {
    if ((x->len + 1) * 2 > x->cap) {
        pool_ix old = *x;
        x->cap = old.cap ? 2 * old.cap : 1024;
        x->slots = hansa_calloc(x->cap, sizeof *x->slots);
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].k1) pool_ix_place(x, old.slots[i]);
        free(old.slots);
    }
    pool_ix_place(x, (pool_ix_slot){le64_load(h->b), k + 1});
    x->len++;
}

/* The pool's record equal to the sealed record in p->scratch (whose block
 * hash is hash), added if there is none. */
static const hbuf *pool_intern(sim_block_pool *p, const hansa_hash *hash, uint64_t height) {
    const hbuf *rec = &p->scratch;
    uint64_t i;
    bool known = pool_ix_get(&p->index, p, rec_hash, hash, &i);
    if (known && p->recs[i]->len == rec->len && memcmp(p->recs[i]->data, rec->data, rec->len) == 0)
        return p->recs[i];
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->recs = hansa_realloc(p->recs, p->cap * sizeof *p->recs);
        p->rec_height = hansa_realloc(p->rec_height, p->cap * sizeof *p->rec_height);
    }
    hbuf *r = hansa_malloc(sizeof *r);
    *r = (hbuf){hansa_memdup(rec->data, rec->len), rec->len, rec->len};
    if (!known) pool_ix_put(&p->index, hash, p->n);
    p->rec_height[p->n] = height;
    p->recs[p->n++] = r;
    return r;
}

/* True when the pool's index names rec, stored at its height, for hash:
 * then a disk whose block there is rec finds hash without an entry of
 * its own. */
static bool pool_names(const sim_block_pool *p, const hansa_hash *hash, const hbuf *rec) {
    uint64_t i;
    return pool_ix_get(&p->index, p, rec_hash, hash, &i) && p->recs[i] == rec;
}

sim_block_pool *sim_block_pool_new(void) { return hansa_calloc(1, sizeof(sim_block_pool)); }

void sim_block_pool_free(sim_block_pool *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        hbuf_free(p->recs[i]);
        free(p->recs[i]);
    }
    free(p->recs);
    free(p->rec_height);
    free(p->index.slots);
    hbuf_free(&p->scratch);
    free(p->tx_index.slots);
    free(p->txs);
    free(p->last);
    free(p);
}

/* Checks a sealed record; on damage the store learns it as LMDB's would. */
static hansa_err unseal(store *st, const hbuf *rec, store_rec_type type, const char *db,
                        const uint8_t *key, size_t klen, const uint8_t **p, size_t *n) {
    char why[160];
    if (store_record_check(rec->data, rec->len, type, key, klen, p, n, why, sizeof why) == HANSA_OK)
        return HANSA_OK;
    return store_fail(st, HANSA_ERR_CORRUPT, "corrupt record in database %s: %s", db, why);
}

/* ---- faults ---- */

/* The lazy writes a commit carried: a synced one makes every one durable
 * (its fdatasync flushes the relaxed commits before it too), a relaxed one
 * leaves them to a power loss. */
static void lazy_commit(sim_disk *d, bool synced) {
    if (synced) {
        d->signer_level = LAZY_SYNCED;
        d->n_lazy_wal = 0;
        return;
    }
    if (d->signer_level == LAZY_MEMORY) d->signer_level = LAZY_RELAXED;
    for (size_t k = 0; k < d->n_lazy_wal; k++) d->lazy_wal[k].relaxed = true;
}

/* Asks the owner what becomes of this write. Returns HANSA_OK to go on
 * writing; *after tells the caller to crash once the write is done. */
static hansa_err write_begin(sim_disk *d, store *st, sim_disk_op op, const char *what,
                             sim_disk_fault *f) {
    HANSA_ASSERT(d->open);
    *f = SIM_DISK_OK;
    if (d->crashed) return store_fail(st, HANSA_ERR_IO, "%s: the node is crashing", what);
    d->writes++;
    *f = d->fault ? d->fault(d->fault_ctx, op) : SIM_DISK_OK;
    if (*f == SIM_DISK_CRASH_TORN && op != SIM_DISK_WAL) *f = SIM_DISK_CRASH_LOST;
    if (*f == SIM_DISK_FULL) return store_fail(st, HANSA_ERR_FULL, "%s: the disk is full (simulated)", what);
    if (*f != SIM_DISK_CRASH_LOST) return HANSA_OK;
    d->crashed = true;
    return store_fail(st, HANSA_ERR_IO, "%s: simulated crash before the write was durable", what);
}

/* A write that is not lazy carries the lazy ones before it, as the LMDB
 * store's next commit writes them first (lazy_flush, in the same
 * transaction): they are as durable as it, so only once it is (not when
 * it crashed before it was, or tore). */
static hansa_err write_end(sim_disk *d, store *st, sim_disk_fault f, const char *what) {
    if (!d->lazy && (f == SIM_DISK_OK || f == SIM_DISK_CRASH_AFTER)) lazy_commit(d, !d->relaxed);
    if (f == SIM_DISK_OK) return HANSA_OK;
    d->crashed = true;
    return store_fail(st, HANSA_ERR_IO, "%s: simulated crash %s", what,
                      f == SIM_DISK_CRASH_TORN ? "halfway through the write"
                                               : "after the write was durable");
}

/* ---- sorted key-value tables (state, validator sets, receipts) ---- */

static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0) return c;
    return al < bl ? -1 : al > bl;
}

/* The index key of a table key: its SipHash (a fixed key: the simulator's
 * disk holds what its own nodes write). */
static uint64_t kv_key_sip(const uint8_t *key, size_t klen) {
    return ledger_siphash24(0x73696d2d6469736bull, 0x6b762d696e646578ull, key, klen);
}

/* The slot holding sip, or the empty one where it would go (x->cap > 0). */
static kv_ix_slot *ix_slot(const kv_ix *x, uint64_t sip) {
    size_t mask = x->cap - 1;
    for (size_t i = (size_t)sip & mask;; i = (i + 1) & mask)
        if (!x->slots[i].kv || x->slots[i].sip == sip) return &x->slots[i];
}

/* Indexes kv under sip unless another entry holds sip already. */
static void ix_put_new(kv_ix *x, uint64_t sip, disk_kv *kv) {
    if ((x->len + 1) * 2 > x->cap) {
        kv_ix old = *x;
        x->cap = old.cap ? 2 * old.cap : 64;
        x->slots = hansa_calloc(x->cap, sizeof *x->slots);
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].kv) *ix_slot(x, old.slots[i].sip) = old.slots[i];
        free(old.slots);
    }
    kv_ix_slot *s = ix_slot(x, sip);
    if (s->kv) return;
    *s = (kv_ix_slot){sip, kv};
    x->len++;
}

static size_t ix_slot_home(const void *x, const void *slot) {
    const kv_ix_slot *s = slot;
    return s->kv ? (size_t)s->sip & (((const kv_ix *)x)->cap - 1) : PROBE_EMPTY;
}

/* Drops sip from the index if it names kv, shifting the probe run back
 * (base/probe.h). */
static void ix_del(kv_ix *x, uint64_t sip, const disk_kv *kv) {
    if (x->cap == 0) return;
    kv_ix_slot *s = ix_slot(x, sip);
    if (s->kv != kv) return;
    size_t i = probe_shift_back(x->slots, sizeof *x->slots, x->cap - 1, (size_t)(s - x->slots),
                                ix_slot_home, x);
    x->slots[i].kv = NULL;
    x->len--;
}

/* The entry whose key is exactly key, if the index holds it (NULL: absent,
 * or another key holds its slot). */
static disk_kv *kv_find(const disk_table *t, uint64_t sip, const uint8_t *key, size_t klen) {
    if (t->index.cap == 0) return NULL;
    disk_kv *kv = ix_slot(&t->index, sip)->kv;
    return kv && kv->klen == klen && (klen == 0 || memcmp(kv->key, key, klen) == 0) ? kv : NULL;
}

/* The first 16 bytes of key, zero-padded, big-endian: if a's is below
 * b's, a sorts before b (the first byte that differs is a's smaller one,
 * or a's padding where a is the shorter); equal prefixes say nothing. */
static kv_pre kv_prefix(const uint8_t *key, size_t klen) {
    uint8_t b[16] = {0};
    if (klen) memcpy(b, key, klen < 16 ? klen : 16);
    return (kv_pre){be64_load(b), be64_load(b + 8)};
}

/* key_cmp of slot x's key against key, whose prefix is pre. */
static int slot_cmp(const disk_slot *x, kv_pre pre, const uint8_t *key, size_t klen) {
    if (x->pre.hi != pre.hi) return x->pre.hi < pre.hi ? -1 : 1;
    if (x->pre.lo != pre.lo) return x->pre.lo < pre.lo ? -1 : 1;
    return key_cmp(x->kv->key, x->kv->klen, key, klen);
}

/* Index of the first entry whose key is >= key (pre: its kv_prefix). */
static size_t kv_lower(const disk_table *t, kv_pre pre, const uint8_t *key, size_t klen) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (slot_cmp(&t->v[mid], pre, key, klen) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static bool kv_at(const disk_table *t, size_t i, kv_pre pre, const uint8_t *key, size_t klen) {
    return i < t->n && slot_cmp(&t->v[i], pre, key, klen) == 0;
}

/* Room for a slot at i (v[i] is then to be written): the slots before i
 * move down into the free room below v when i is in the first half and
 * there is some, else those from i on move up. The receipts' tx roots
 * (most of a long run's state table, near its front) enter at the end of
 * their range and leave at its start: moving the shorter side was most
 * of a memmove of the whole table per height. */
static void slot_open(disk_table *t, size_t i) {
    if (i < t->n / 2 && t->off > 0) {
        t->off--;
        t->v--;
        memmove(&t->v[0], &t->v[1], i * sizeof *t->v);
    } else {
        if (t->off + t->n == t->cap) {
            if (t->off > 0 && t->off >= t->n / 4) { /* room enough at the front: back to base */
                memmove(t->base, t->v, t->n * sizeof *t->v);
                t->off = 0;
            } else {
                t->cap = t->cap ? 2 * t->cap : 256;
                t->base = hansa_realloc(t->base, t->cap * sizeof *t->base);
            }
            t->v = t->base + t->off;
        }
        memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
    }
    t->n++;
}

/* Removes slot i, moving the shorter side (slot_open). */
static void slot_close(disk_table *t, size_t i) {
    if (i < t->n / 2) {
        memmove(&t->v[1], &t->v[0], i * sizeof *t->v);
        t->off++;
        t->v++;
    } else {
        memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    }
    t->n--;
}

static void kv_put(disk_table *t, store_rec_type type, const uint8_t *key, size_t klen,
                   const uint8_t *v, size_t vl) {
    uint64_t sip = kv_key_sip(key, klen);
    disk_kv *found = kv_find(t, sip, key, klen);
    if (found) {
        seal(&found->rec, &found->crc_due, type, key, klen, NULL, 0, v, vl);
        return;
    }
    kv_pre pre = kv_prefix(key, klen);
    size_t i = kv_lower(t, pre, key, klen);
    if (!kv_at(t, i, pre, key, klen)) {
        slot_open(t, i);
        disk_kv *kv = hansa_malloc(sizeof *kv + klen);
        kv->rec = (hbuf)HBUF_INIT;
        kv->klen = klen;
        if (klen) memcpy(kv->key, key, klen);
        t->v[i] = (disk_slot){pre, kv};
        ix_put_new(&t->index, sip, kv);
    }
    disk_kv *kv = t->v[i].kv;
    seal(&kv->rec, &kv->crc_due, type, key, klen, NULL, 0, v, vl);
}

static void kv_del(disk_table *t, const uint8_t *key, size_t klen) {
    kv_pre pre = kv_prefix(key, klen);
    size_t i = kv_lower(t, pre, key, klen);
    if (!kv_at(t, i, pre, key, klen)) return;
    disk_kv *kv = t->v[i].kv;
    ix_del(&t->index, kv_key_sip(key, klen), kv);
    hbuf_free(&kv->rec);
    free(kv);
    slot_close(t, i);
}

static void kv_free(disk_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        hbuf_free(&t->v[i].kv->rec);
        free(t->v[i].kv);
    }
    free(t->base);
    free(t->index.slots);
}

static hansa_err kv_get(disk_table *t, store *st, store_rec_type type, const char *db,
                        const uint8_t *key, size_t klen, hbuf *out) {
    disk_kv *kv = kv_find(t, kv_key_sip(key, klen), key, klen);
    if (!kv) {
        kv_pre pre = kv_prefix(key, klen);
        size_t i = kv_lower(t, pre, key, klen);
        if (!kv_at(t, i, pre, key, klen))
            return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database %s", db);
        kv = t->v[i].kv;
    }
    settle(&kv->rec, &kv->crc_due, kv->key, kv->klen);
    const uint8_t *p;
    size_t n;
    hansa_err e = unseal(st, &kv->rec, type, db, key, klen, &p, &n);
    if (e != HANSA_OK) return e;
    hbuf_reset(out);
    hbuf_append(out, p, n);
    return HANSA_OK;
}

static hansa_err kv_scan(disk_table *t, store *st, store_rec_type type, const char *db,
                         const uint8_t *prefix, size_t plen, store_scan_fn fn, void *fn_ctx) {
    for (size_t i = plen ? kv_lower(t, kv_prefix(prefix, plen), prefix, plen) : 0; i < t->n; i++) {
        disk_kv *kv = t->v[i].kv;
        if (plen && (kv->klen < plen || memcmp(kv->key, prefix, plen) != 0)) break;
        settle(&kv->rec, &kv->crc_due, kv->key, kv->klen);
        const uint8_t *p;
        size_t n;
        hansa_err e = unseal(st, &kv->rec, type, db, kv->key, kv->klen, &p, &n);
        if (e == HANSA_OK) e = fn(fn_ctx, kv->key, kv->klen, p, n);
        if (e != HANSA_OK) return e;
    }
    return HANSA_OK;
}

/* ---- WAL ---- */

/* Index of the first record of a height above `height`. */
static size_t wal_after(const sim_disk *d, uint64_t height) {
    size_t i = d->n_wal;
    while (i > 0 && d->wal[i - 1].height > height) i--;
    return i;
}

static size_t wal_first(const sim_disk *d, uint64_t height) {
    size_t i = wal_after(d, height);
    while (i > 0 && d->wal[i - 1].height == height) i--;
    return i;
}

static void wal_remove(sim_disk *d, size_t from, size_t to) {
    if (from == to) return;
    for (size_t i = from; i < to; i++) {
        if (d->n_wal_spare < WAL_SPARES) d->wal_spare[d->n_wal_spare++] = d->wal[i].rec;
        else hbuf_free(&d->wal[i].rec);
    }
    memmove(&d->wal[from], &d->wal[to], (d->n_wal - to) * sizeof *d->wal);
    d->n_wal -= to - from;
}

/* A spare buffer that seal keeps for a record of `need` bytes (room for it,
 * and not more than twice it), or an empty one. */
static hbuf wal_spare_take(sim_disk *d, size_t need) {
    for (size_t i = d->n_wal_spare; i-- > 0;) {
        hbuf b = d->wal_spare[i];
        if (b.cap < need || b.cap > 2 * need) continue;
        d->wal_spare[i] = d->wal_spare[--d->n_wal_spare];
        return b;
    }
    return (hbuf)HBUF_INIT;
}

static void wal_delete_through(sim_disk *d, uint64_t through) {
    size_t k = 0;
    while (k < d->n_wal && d->wal[k].height <= through) k++;
    wal_remove(d, 0, k);
}

/* ---- the backend ---- */

static void snap_save(signer_snap *s, const sim_disk *d) {
    s->has = d->has_signer;
    s->crc_due = d->signer_crc_due;
    hbuf_reset(&s->rec);
    hbuf_append(&s->rec, d->signer.data, d->signer.len);
}

static void snap_restore(sim_disk *d, const signer_snap *s) {
    d->has_signer = s->has;
    d->signer_crc_due = s->crc_due;
    hbuf_reset(&d->signer);
    hbuf_append(&d->signer, s->rec.data, s->rec.len);
}

/* The process dies: the lazy writes still in its memory are gone; with
 * power_loss those only a relaxed commit carried too. Returns how many. */
static size_t lazy_drop(sim_disk *d, bool power_loss) {
    size_t lost = 0;
    if (d->signer_level == LAZY_MEMORY) {
        snap_restore(d, &d->relaxed_signer);
        d->signer_level = LAZY_RELAXED;
        lost++;
    }
    if (power_loss && d->signer_level == LAZY_RELAXED) {
        snap_restore(d, &d->synced_signer);
        d->signer_level = LAZY_SYNCED;
        lost += lost == 0;
    }
    size_t kept = 0;
    for (size_t k = 0; k < d->n_lazy_wal; k++) {
        lazy_wal_rec r = d->lazy_wal[k];
        if (r.relaxed && !power_loss) {
            d->lazy_wal[kept++] = r;
            continue;
        }
        lost++;
        size_t end = wal_after(d, r.height);
        for (size_t i = wal_first(d, r.height); i < end; i++)
            if (d->wal[i].seq == r.seq) {
                wal_remove(d, i, i + 1);
                break;
            }
    }
    d->n_lazy_wal = kept;
    return lost;
}

/* store_close writes the lazy writes and syncs, unless the store failed
 * (store.c, store_close) or the node crashed (then they are gone already). */
static void be_close(void *ctx, store *st) {
    sim_disk *d = ctx;
    HANSA_ASSERT(d->open);
    if (!d->crashed && store_failed(st) == HANSA_OK) lazy_commit(d, true);
    else lazy_drop(d, false);
    d->open = false;
}

static hansa_err be_get_tip(void *ctx, store *st, store_tip *out) {
    sim_disk *d = ctx;
    if (!d->has_tip) return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database meta at key \"tip\"");
    *out = d->tip;
    return HANSA_OK;
}

typedef struct {
    sim_disk *d;
    uint64_t height;
} commit_ctx;

static void apply_op(void *ctx, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     bool del) {
    commit_ctx *c = ctx;
    if (del) kv_del(&c->d->state, key, klen);
    else kv_put(&c->d->state, STORE_REC_STATE, key, klen, value, vlen);
}

static void apply_valset(void *ctx, const hansa_hash *hash, const uint8_t *bytes, size_t len) {
    commit_ctx *c = ctx;
    kv_put(&c->d->valsets, STORE_REC_VALSET, hash->b, HANSA_HASH_BYTES, bytes, len);
}

/* The pool's entry for tx (made if new), tx being the index-th of block
 * at height. */
static uint64_t pool_tx_entry(sim_block_pool *p, const hbuf *block, uint64_t height, uint32_t index,
                              const hansa_hash *tx) {
    if (block != p->last_block || height != p->last_height) {
        p->last_block = block;
        p->last_height = height;
        p->n_last = 0;
    }
    uint64_t k;
    if (index < p->n_last && p->last[index].set && hash_eq(&p->last[index].tx, tx)) {
        /* Exact only while the pool's tx index never drops an entry:
         * debug builds check the memo against it. */
#ifndef NDEBUG
        HANSA_ASSERT(pool_ix_get(&p->tx_index, p, tx_hash_of, tx, &k));
        HANSA_ASSERT(k == p->last[index].k);
#endif
        return p->last[index].k;
    }
    if (!pool_ix_get(&p->tx_index, p, tx_hash_of, tx, &k)) {
        if (p->n_txs == p->cap_txs) {
            p->cap_txs = p->cap_txs ? 2 * p->cap_txs : 1024;
            p->txs = hansa_realloc(p->txs, p->cap_txs * sizeof *p->txs);
        }
        k = p->n_txs++;
        p->txs[k] = (pool_tx){height << 32 | index, block, *tx};
        pool_ix_put(&p->tx_index, tx, k);
    }
    if (index >= p->cap_last) {
        size_t cap = p->cap_last ? p->cap_last : 64;
        while (cap <= index) cap *= 2;
        p->last = hansa_realloc(p->last, cap * sizeof *p->last);
        p->cap_last = cap;
    }
    for (; p->n_last <= index; p->n_last++) p->last[p->n_last].set = false;
    p->last[index] = (pool_last_tx){*tx, k, true};
    return k;
}

static void apply_tx(void *ctx, const hansa_hash *tx, uint32_t index) {
    commit_ctx *c = ctx;
    HANSA_ASSERT(c->height < (1ull << 32));
    sim_block_pool *p = c->d->pool;
    uint64_t pos = c->height << 32 | index;
    const hbuf *block = c->d->blocks[c->height - 1].block;
    uint64_t k = pool_tx_entry(p, block, c->height, index, tx);
    if (p->txs[k].pos == pos && p->txs[k].block == block) {
        if (c->d->tx_index.len) hmap_del(&c->d->tx_index, tx); /* the newest place wins */
        return;
    }
    hmap_put(&c->d->tx_index, tx, pos);
}

static void apply_batch(sim_disk *d, const store_batch *b, const hansa_hash *app_hash) {
    uint64_t h = store_batch_height(b);
    if (h > d->cap_blocks) {
        uint64_t cap = d->cap_blocks ? d->cap_blocks : 256;
        while (cap < h) cap *= 2;
        d->blocks = hansa_realloc(d->blocks, cap * sizeof *d->blocks);
        memset(d->blocks + d->cap_blocks, 0, (cap - d->cap_blocks) * sizeof *d->blocks);
        d->cap_blocks = cap;
    }
    hansa_hash hash;
    const uint8_t *bytes, *commit;
    size_t len, clen;
    store_batch_block(b, &hash, &bytes, &len);
    store_batch_commit_bytes(b, &commit, &clen);
    uint8_t hk[HEIGHT_KEY_BYTES];
    be64_store(hk, h);
    disk_block *blk = &d->blocks[h - 1];
    seal(&d->pool->scratch, NULL, STORE_REC_BLOCK, hk, sizeof hk, hash.b, HANSA_HASH_BYTES, bytes, len);
    blk->block = pool_intern(d->pool, &hash, h);
    seal(&blk->commit, NULL, STORE_REC_COMMIT, hk, sizeof hk, NULL, 0, commit, clen);
    blk->has = true;
    if (h > d->n_blocks) d->n_blocks = h;
    if (!pool_names(d->pool, &hash, blk->block)) hmap_put(&d->block_index, &hash, h);
    commit_ctx c = {d, h};
    store_batch_each_tx(b, apply_tx, &c);
    store_batch_each_op(b, apply_op, &c);
    store_batch_each_valset(b, apply_valset, &c);
    d->has_tip = true;
    d->tip = (store_tip){h, *app_hash, hash};
    wal_delete_through(d, h);
}

static const disk_block *block_at(const sim_disk *d, uint64_t height);

/* The height d stores the block `hash` at: its own index first, then the
 * pool's first record of that hash if d's block at its height is it. */
static bool disk_block_height(const sim_disk *d, const hansa_hash *hash, uint64_t *height) {
    if (d->block_index.len && hmap_get(&d->block_index, hash, height)) return true;
    uint64_t i;
    if (!pool_ix_get(&d->pool->index, d->pool, rec_hash, hash, &i)) return false;
    const disk_block *blk = block_at(d, d->pool->rec_height[i]);
    if (!blk || blk->block != d->pool->recs[i]) return false;
    *height = d->pool->rec_height[i];
    return true;
}

static hansa_err be_batch_commit(void *ctx, store *st, const store_batch *b,
                                 const hansa_hash *app_hash) {
    sim_disk *d = ctx;
    uint64_t h = store_batch_height(b);
    if (d->has_tip && h != d->tip.height + 1)
        return store_fail(st, HANSA_ERR_STATE, "batch for height %llu, but the tip is at %llu",
                          (unsigned long long)h, (unsigned long long)d->tip.height);
    hansa_hash hash;
    const uint8_t *bytes;
    size_t len;
    store_batch_block(b, &hash, &bytes, &len);
    uint64_t at;
    if (disk_block_height(d, &hash, &at))
        return store_fail(st, HANSA_ERR_DUPLICATE, "block hash already stored (at height %llu)",
                          (unsigned long long)at);
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_BLOCK, "committing a block", &f);
    if (e != HANSA_OK) return e;
    apply_batch(d, b, app_hash);
    d->relaxed = true; /* as the LMDB store's block commit and index step */
    e = write_end(d, st, f, "committing a block");
    d->relaxed = false;
    return e;
}

static const disk_block *block_at(const sim_disk *d, uint64_t height) {
    if (height == 0 || height > d->n_blocks || !d->blocks[height - 1].has) return NULL;
    return &d->blocks[height - 1];
}

static hansa_err be_get_block(void *ctx, store *st, uint64_t height, hbuf *out,
                              hansa_hash *block_hash) {
    const disk_block *blk = block_at(ctx, height);
    if (!blk)
        return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database blocks at height %llu",
                          (unsigned long long)height);
    uint8_t hk[HEIGHT_KEY_BYTES];
    be64_store(hk, height);
    const uint8_t *p;
    size_t n;
    hansa_err e = unseal(st, blk->block, STORE_REC_BLOCK, "blocks", hk, sizeof hk, &p, &n);
    if (e != HANSA_OK) return e;
    if (n < HANSA_HASH_BYTES)
        return store_fail(st, HANSA_ERR_CORRUPT, "block record at height %llu is too short",
                          (unsigned long long)height);
    if (block_hash) memcpy(block_hash->b, p, HANSA_HASH_BYTES);
    hbuf_reset(out);
    hbuf_append(out, p + HANSA_HASH_BYTES, n - HANSA_HASH_BYTES);
    return HANSA_OK;
}

static hansa_err be_get_block_by_hash(void *ctx, store *st, const hansa_hash *block_hash, hbuf *out,
                                      uint64_t *height) {
    sim_disk *d = ctx;
    uint64_t h;
    if (!disk_block_height(d, block_hash, &h))
        return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database block_index");
    hansa_hash stored;
    hansa_err e = be_get_block(ctx, st, h, out, &stored);
    if (e != HANSA_OK) return e;
    if (!hash_eq(&stored, block_hash))
        return store_fail(st, HANSA_ERR_CORRUPT, "block index points at a block with another hash");
    if (height) *height = h;
    return HANSA_OK;
}

static hansa_err be_get_commit(void *ctx, store *st, uint64_t height, hbuf *out) {
    const disk_block *blk = block_at(ctx, height);
    if (!blk)
        return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database commits at height %llu",
                          (unsigned long long)height);
    uint8_t hk[HEIGHT_KEY_BYTES];
    be64_store(hk, height);
    const uint8_t *p;
    size_t n;
    hansa_err e = unseal(st, &blk->commit, STORE_REC_COMMIT, "commits", hk, sizeof hk, &p, &n);
    if (e != HANSA_OK) return e;
    hbuf_reset(out);
    hbuf_append(out, p, n);
    return HANSA_OK;
}

static hansa_err be_get_tx(void *ctx, store *st, const hansa_hash *tx_hash, store_tx_loc *out) {
    sim_disk *d = ctx;
    uint64_t v, k;
    if (hmap_get(&d->tx_index, tx_hash, &v)) {
        *out = (store_tx_loc){v >> 32, (uint32_t)v};
        return HANSA_OK;
    }
    if (pool_ix_get(&d->pool->tx_index, d->pool, tx_hash_of, tx_hash, &k)) {
        const pool_tx *t = &d->pool->txs[k];
        const disk_block *blk = block_at(d, t->pos >> 32);
        if (blk && blk->block == t->block) {
            *out = (store_tx_loc){t->pos >> 32, (uint32_t)t->pos};
            return HANSA_OK;
        }
    }
    return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database tx_index");
}

static hansa_err be_state_get(void *ctx, store *st, const uint8_t *key, size_t klen, hbuf *out) {
    sim_disk *d = ctx;
    return kv_get(&d->state, st, STORE_REC_STATE, "state", key, klen, out);
}

static hansa_err be_state_scan(void *ctx, store *st, const uint8_t *prefix, size_t plen,
                               store_scan_fn fn, void *fn_ctx) {
    sim_disk *d = ctx;
    return kv_scan(&d->state, st, STORE_REC_STATE, "state", prefix, plen, fn, fn_ctx);
}

static hansa_err be_get_valset(void *ctx, store *st, const hansa_hash *hash, hbuf *out) {
    sim_disk *d = ctx;
    return kv_get(&d->valsets, st, STORE_REC_VALSET, "valsets", hash->b, HANSA_HASH_BYTES, out);
}

/* Receipt guarantees are durable before the receipt leaves the node, as
 * the signer state is: a crash can come before or after the write. */
static hansa_err be_receipt_put(void *ctx, store *st, const uint8_t key[STORE_RECEIPT_KEY_BYTES],
                                const uint8_t *bytes, size_t len) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_RECEIPT, "writing a receipt guarantee", &f);
    if (e != HANSA_OK) return e;
    kv_put(&d->receipts, STORE_REC_RECEIPT, key, STORE_RECEIPT_KEY_BYTES, bytes, len);
    return write_end(d, st, f, "writing a receipt guarantee");
}

static hansa_err be_receipt_del(void *ctx, store *st,
                                const uint8_t (*keys)[STORE_RECEIPT_KEY_BYTES], size_t n) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_RECEIPT, "deleting receipt guarantees", &f);
    if (e != HANSA_OK) return e;
    for (size_t i = 0; i < n; i++) kv_del(&d->receipts, keys[i], STORE_RECEIPT_KEY_BYTES);
    return write_end(d, st, f, "deleting receipt guarantees");
}

static hansa_err be_receipt_scan(void *ctx, store *st, store_scan_fn fn, void *fn_ctx) {
    sim_disk *d = ctx;
    return kv_scan(&d->receipts, st, STORE_REC_RECEIPT, "receipts", NULL, 0, fn, fn_ctx);
}

static hansa_err be_put_signer(void *ctx, store *st, const uint8_t *bytes, size_t len) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_SIGNER, "writing the signer state", &f);
    if (e != HANSA_OK) return e;
    seal(&d->signer, &d->signer_crc_due, STORE_REC_SIGNER, (const uint8_t *)signer_key, strlen(signer_key), NULL, 0,
         bytes, len);
    d->has_signer = true;
    return write_end(d, st, f, "writing the signer state");
}

static hansa_err be_get_signer(void *ctx, store *st, hbuf *out) {
    sim_disk *d = ctx;
    if (!d->has_signer)
        return store_fail(st, HANSA_ERR_NOT_FOUND, "no record in database signer at key \"signer\"");
    settle(&d->signer, &d->signer_crc_due, (const uint8_t *)signer_key, strlen(signer_key));
    const uint8_t *p;
    size_t n;
    hansa_err e = unseal(st, &d->signer, STORE_REC_SIGNER, "signer", (const uint8_t *)signer_key,
                         strlen(signer_key), &p, &n);
    if (e != HANSA_OK) return e;
    hbuf_reset(out);
    hbuf_append(out, p, n);
    return HANSA_OK;
}

static hansa_err be_wal_append(void *ctx, store *st, uint64_t height, const uint8_t *bytes,
                               size_t len) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_WAL, "appending to the WAL", &f);
    if (e != HANSA_OK) return e;
    size_t at = wal_after(d, height);
    uint32_t seq = at > 0 && d->wal[at - 1].height == height ? d->wal[at - 1].seq + 1 : 0;
    if (d->n_wal == d->cap_wal) {
        d->cap_wal = d->cap_wal ? 2 * d->cap_wal : 64;
        d->wal = hansa_realloc(d->wal, d->cap_wal * sizeof *d->wal);
    }
    memmove(&d->wal[at + 1], &d->wal[at], (d->n_wal - at) * sizeof *d->wal);
    d->n_wal++;
    disk_wal *w = &d->wal[at];
    *w = (disk_wal){height, seq, wal_spare_take(d, STORE_RECORD_HEADER_BYTES + len), false};
    uint8_t k[WAL_KEY_BYTES];
    wal_key(k, height, seq);
    bool torn = f == SIM_DISK_CRASH_TORN;
    seal(&w->rec, torn ? NULL : &w->crc_due, STORE_REC_WAL, k, sizeof k, NULL, 0, bytes, len);
    if (torn) w->rec.data[w->rec.len / 2] ^= 0x5a; /* half of it written, checksum whole */
    return write_end(d, st, f, "appending to the WAL");
}

/* Lazy writes: written as any other (the same fault, the same time), and
 * remembered until a commit carries them. A crash in one takes it too. */
static hansa_err be_put_signer_lazy(void *ctx, store *st, const uint8_t *bytes, size_t len) {
    sim_disk *d = ctx;
    if (!d->crashed && d->signer_level != LAZY_MEMORY) { /* keep what a crash goes back to */
        if (d->signer_level == LAZY_SYNCED) snap_save(&d->synced_signer, d);
        snap_save(&d->relaxed_signer, d);
        d->signer_level = LAZY_MEMORY;
    }
    d->lazy = true;
    hansa_err e = be_put_signer(ctx, st, bytes, len);
    d->lazy = false;
    return e;
}

static hansa_err be_wal_append_lazy(void *ctx, store *st, uint64_t height, const uint8_t *bytes,
                                    size_t len) {
    sim_disk *d = ctx;
    size_t before = d->n_wal;
    d->lazy = true;
    hansa_err e = be_wal_append(ctx, st, height, bytes, len);
    d->lazy = false;
    if (d->n_wal == before) return e; /* nothing written */
    size_t at = wal_after(d, height); /* the record just appended is its height's last */
    HANSA_ASSERT(at > 0);
    if (d->n_lazy_wal == d->cap_lazy_wal) {
        d->cap_lazy_wal = d->cap_lazy_wal ? 2 * d->cap_lazy_wal : 16;
        d->lazy_wal = hansa_realloc(d->lazy_wal, d->cap_lazy_wal * sizeof *d->lazy_wal);
    }
    d->lazy_wal[d->n_lazy_wal++] = (lazy_wal_rec){height, d->wal[at - 1].seq, false};
    return e;
}

/* As the LMDB store's store_sync_signer: a synced commit when the signer
 * state is in memory (it writes the lazy WAL records too), an fsync when a
 * relaxed commit carried it (lazy WAL records still in memory stay there),
 * nothing otherwise; refused after a crash or a fatal error. */
static hansa_err be_sync(void *ctx, store *st) {
    sim_disk *d = ctx;
    if (d->signer_level == LAZY_SYNCED) return HANSA_OK;
    if (d->crashed) return store_fail(st, HANSA_ERR_IO, "syncing the signer state: the node is crashing");
    if (store_failed(st) != HANSA_OK)
        return store_fail(st, HANSA_ERR_STATE, "store refuses syncing the signer state after an "
                                               "earlier fatal error");
    if (d->signer_level == LAZY_MEMORY) {
        lazy_commit(d, true);
        return HANSA_OK;
    }
    d->signer_level = LAZY_SYNCED;
    size_t kept = 0;
    for (size_t k = 0; k < d->n_lazy_wal; k++)
        if (!d->lazy_wal[k].relaxed) d->lazy_wal[kept++] = d->lazy_wal[k];
    d->n_lazy_wal = kept;
    return HANSA_OK;
}

static hansa_err be_wal_read(void *ctx, store *st, uint64_t height, store_wal_fn fn, void *fn_ctx) {
    sim_disk *d = ctx;
    (void)st; /* a damaged tail is not an error of the store */
    size_t end = wal_after(d, height);
    for (size_t i = wal_first(d, height); i < end; i++) {
        disk_wal *w = &d->wal[i];
        uint8_t k[WAL_KEY_BYTES];
        wal_key(k, w->height, w->seq);
        settle(&w->rec, &w->crc_due, k, sizeof k);
        const uint8_t *p;
        size_t n;
        char why[160];
        if (store_record_check(w->rec.data, w->rec.len, STORE_REC_WAL, k, sizeof k, &p, &n, why,
                               sizeof why) != HANSA_OK) {
            /* As the LMDB store: the damaged record ends the height's log. */
            LOG_W("store", "WAL record height %llu seq %u is damaged (%s): the WAL of that height "
                  "is cut there; a crash during an append leaves such a tail",
                  (unsigned long long)height, w->seq, why);
            wal_remove(d, i, end);
            return HANSA_OK;
        }
        hansa_err e = fn(fn_ctx, height, w->seq, p, n);
        if (e != HANSA_OK) return e;
    }
    return HANSA_OK;
}

static hansa_err be_wal_truncate(void *ctx, store *st, uint64_t through_height) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_WAL, "truncating the WAL", &f);
    if (e != HANSA_OK) return e;
    wal_delete_through(d, through_height);
    return write_end(d, st, f, "truncating the WAL");
}

/* The DKG record and the nonce record are signer state: a crash at the
 * next signer write can hit them, before or after they are durable. */
static hansa_err be_blob_put(void *ctx, store *st, const char *name, const uint8_t *bytes,
                             size_t len) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_BLOB, name, &f);
    if (e != HANSA_OK) return e;
    kv_put(&d->blobs, STORE_REC_SIGNER, (const uint8_t *)name, strlen(name), bytes, len);
    return write_end(d, st, f, name);
}

static hansa_err be_blob_get(void *ctx, store *st, const char *name, hbuf *out) {
    sim_disk *d = ctx;
    return kv_get(&d->blobs, st, STORE_REC_SIGNER, "signer", (const uint8_t *)name, strlen(name), out);
}

static hansa_err be_checkpoint_put(void *ctx, store *st, const uint8_t *key, size_t klen,
                                   const uint8_t *bytes, size_t len) {
    sim_disk *d = ctx;
    sim_disk_fault f;
    hansa_err e = write_begin(d, st, SIM_DISK_CHECKPOINT, "writing a checkpoint", &f);
    if (e != HANSA_OK) return e;
    kv_put(&d->checkpoints, STORE_REC_CHECKPOINT, key, klen, bytes, len);
    return write_end(d, st, f, "writing a checkpoint");
}

static hansa_err be_checkpoint_get(void *ctx, store *st, const uint8_t *key, size_t klen, hbuf *out) {
    sim_disk *d = ctx;
    return kv_get(&d->checkpoints, st, STORE_REC_CHECKPOINT, "checkpoints", key, klen, out);
}

static const store_backend disk_backend = {
    be_close,       be_get_tip,    be_batch_commit, be_get_block,  be_get_block_by_hash,
    be_get_commit,  be_get_tx,     be_state_get,    be_state_scan, be_put_signer,
    be_get_signer,  be_wal_append, be_wal_read,     be_wal_truncate, be_get_valset,
    be_receipt_put, be_receipt_del, be_receipt_scan, be_blob_put,   be_blob_get,
    be_checkpoint_put, be_checkpoint_get, be_put_signer_lazy, be_wal_append_lazy, be_sync,
};

/* ---- the disk ---- */

sim_disk *sim_disk_new(sim_disk_fault_fn fault, void *ctx) {
    sim_disk *d = hansa_calloc(1, sizeof *d);
    d->fault = fault;
    d->fault_ctx = ctx;
    d->pool = sim_block_pool_new();
    d->own_pool = true;
    return d;
}

void sim_disk_share(sim_disk *d, sim_block_pool *pool) {
    HANSA_ASSERT(d->own_pool && d->pool->n == 0);
    sim_block_pool_free(d->pool);
    d->pool = pool;
    d->own_pool = false;
}

void sim_disk_free(sim_disk *d) {
    if (!d) return;
    HANSA_ASSERT(!d->open);
    for (uint64_t i = 0; i < d->cap_blocks; i++) hbuf_free(&d->blocks[i].commit);
    free(d->blocks);
    if (d->own_pool) sim_block_pool_free(d->pool);
    hmap_free(&d->block_index);
    hmap_free(&d->tx_index);
    kv_free(&d->state);
    kv_free(&d->valsets);
    kv_free(&d->receipts);
    kv_free(&d->blobs);
    kv_free(&d->checkpoints);
    hbuf_free(&d->signer);
    hbuf_free(&d->synced_signer.rec);
    hbuf_free(&d->relaxed_signer.rec);
    free(d->lazy_wal);
    wal_remove(d, 0, d->n_wal);
    for (size_t i = 0; i < d->n_wal_spare; i++) hbuf_free(&d->wal_spare[i]);
    free(d->wal);
    free(d);
}

store *sim_disk_open(sim_disk *d) {
    HANSA_ASSERT(!d->open);
    d->open = true;
    d->crashed = false;
    store *st;
    HANSA_ASSERT(store_open_backend(&disk_backend, d, &st) == HANSA_OK);
    return st;
}

bool sim_disk_crashed(const sim_disk *d) { return d->crashed; }

size_t sim_disk_crash(sim_disk *d, bool power_loss) {
    HANSA_ASSERT(d->open);
    d->crashed = true;
    return lazy_drop(d, power_loss);
}

void sim_disk_forget_signer(sim_disk *d) {
    HANSA_ASSERT(!d->open);
    d->has_signer = false;
    hbuf_reset(&d->signer);
    wal_remove(d, 0, d->n_wal);
    kv_free(&d->blobs); /* its DKG seed and share and its nonces too */
    d->blobs = (disk_table){0};
    d->signer_level = LAZY_SYNCED;
    d->n_lazy_wal = 0;
}

uint64_t sim_disk_writes(const sim_disk *d) { return d->writes; }
