/* store.c — see store.h. The only file of hansa that talks to LMDB.
 *
 * Shape: every public call opens one LMDB transaction and closes it before
 * returning. Reads copy what they return (or lend it to a callback for the
 * duration of the call), so no transaction, and no pointer into the map,
 * outlives a call. That buys three things: the map can be grown in place
 * (mdb_env_set_mapsize needs no live transactions), MDB_NOTLS is unneeded
 * (a thread never holds two read slots), and a write that finds the map full
 * can simply be run again on the bigger map, because its inputs are still in
 * memory (the batch owns copies).
 *
 * Writes go through run_write(), which refuses to start after a fatal error,
 * runs a caller's body in a write transaction, commits it synchronously and
 * grows the map on MDB_MAP_FULL. Values are written in place with
 * MDB_RESERVE and sealed with their header (record.h), so a 24 MiB block is
 * copied once, into LMDB's page.
 *
 * A store opened with store_open_backend (backend.h) has no LMDB
 * environment: each public call does the shared checks here and then
 * hands over to the backend (one `if (st->be)` line per call). */
#include "store/store.h"
#include "store/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/record.h"
#include "wire/types.h"

_Static_assert(STORE_PAYLOAD_BYTES_MAX >= WIRE_BLOCK_BYTES_MAX + HANSA_HASH_BYTES,
               "a maximal block and its hash fit in one record");
_Static_assert(STORE_PAYLOAD_BYTES_MAX <= UINT32_MAX, "record length is a u32");

#define TIP_PAYLOAD_BYTES (8 + 2 * HANSA_HASH_BYTES)
#define WAL_KEY_BYTES 12
#define HEIGHT_KEY_BYTES 8
#define TX_LOC_BYTES 12 /* height u64 LE || index u32 LE */
#define TX_ENTRY_BYTES (HANSA_HASH_BYTES + 4) /* batch arena: hash || index u32 LE */
#define MSG_BYTES 512

static const char tip_key[] = "tip";
static const char signer_key[] = "signer";
static const char dkg_key[] = "dkg"; /* also in the signer database: store_put_dkg */
static const char roast_key[] = "roast"; /* and store_put_roast */

typedef enum {
    DB_BLOCKS,
    DB_BLOCK_INDEX,
    DB_COMMITS,
    DB_STATE,
    DB_META,
    DB_SIGNER,
    DB_WAL,
    DB_TX_INDEX,
    DB_VALSETS,
    DB_RECEIPTS,
    DB_TX_LOG,
    DB_CHECKPOINTS,
    DB_SNAP,
    DB_COUNT_
} store_db;

/* One record type per database: a value found in the wrong database is
 * reported as a type mismatch. */
static const struct {
    const char *name;
    store_rec_type type;
} db_info[DB_COUNT_] = {
    [DB_BLOCKS] = {"blocks", STORE_REC_BLOCK},
    [DB_BLOCK_INDEX] = {"block_index", STORE_REC_BLOCK_INDEX},
    [DB_COMMITS] = {"commits", STORE_REC_COMMIT},
    [DB_STATE] = {"state", STORE_REC_STATE},
    [DB_META] = {"meta", STORE_REC_META_TIP},
    [DB_SIGNER] = {"signer", STORE_REC_SIGNER},
    [DB_WAL] = {"wal", STORE_REC_WAL},
    [DB_TX_INDEX] = {"tx_index", STORE_REC_TX_INDEX},
    [DB_VALSETS] = {"valsets", STORE_REC_VALSET},
    [DB_RECEIPTS] = {"receipts", STORE_REC_RECEIPT},
    [DB_TX_LOG] = {"tx_log", STORE_REC_TX_LOG},
    [DB_CHECKPOINTS] = {"checkpoints", STORE_REC_CHECKPOINT},
    [DB_SNAP] = {"snapshots", STORE_REC_SNAP},
};

/* One logged height's tx hashes, in short, copied from tx_log (see
 * store.logged): the first 8 bytes of each entry's hash, read big-endian.
 * A lookup only learns from them that the height may hold the hash; the
 * entry itself is read back from the log record. */
typedef struct {
    uint64_t height;
    uint64_t *prefixes;
    size_t n, cap; /* prefixes held, and room for (kept when the slot is reused) */
    bool sorted;   /* ascending, at the height's first lookup */
} logged_height;

#define LOGGED_PREFIX_BYTES 8
_Static_assert(sizeof(uint64_t) == LOGGED_PREFIX_BYTES, "a prefix is one uint64_t");
/* A copied height's fixed cost, charged against the bound with its
 * prefixes: its ring slot twice (the ring doubles as it grows) and its
 * buffer's malloc header and rounding (16 bytes on glibc, 64-bit).
 * Without it, many tiny heights held ~9x the bound. */
_Static_assert(2 * sizeof(logged_height) + 16 <= STORE_TX_LOOKUP_HEIGHT_BYTES,
               "a height's charge covers its slot and allocation");

/* index_order's buffers for one entry: two keys, two positions. */
#define INDEX_SCRATCH_BYTES (2 * sizeof(uint64_t) + 2 * sizeof(uint32_t))

struct store {
    const store_backend *be; /* NULL: this is an LMDB store */
    void *be_ctx;
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT_];
    char *dir;            /* for messages */
    bool read_only;       /* store_options.read_only: every write is refused */
    bool has_checkpoints; /* the checkpoints database exists (not in an old store opened read-only) */
    int lock_fd;
    size_t map_bytes;
    size_t map_bytes_max; /* 0: no cap */
    hansa_err fatal;      /* HANSA_OK until a fatal error; then writes are refused */
    bool in_callback;     /* a scan callback is running: the store must not be re-entered */
    bool map_full;        /* the current write transaction hit MDB_MAP_FULL */
    bool has_tx_log;      /* false only for an older store opened read-only */
    bool has_snap;        /* the same for the snapshots database */
    /* A compact copy of tx_log (logged_* below): per height, the sorted
     * 8-byte prefixes of its entries' hashes, so that a lookup the index
     * misses costs a binary search per logged height, not a walk over
     * every entry with each record's checksum recomputed (32 heights of
     * 10,000 entries: ~1.5 ms, paid per RPC `tx` query and per waiting
     * submit per height). Only a height whose prefixes hold the wanted
     * one has its record read back and searched for the whole hash. New
     * heights are read back from tx_log and sorted in the node's commit
     * delay (store_prepare_tx_lookups; a lookup does what is still left):
     * the commit pays nothing, and no order of hashes a sender could grind
     * makes it slower. 8 bytes an entry, not the log's 36: a copy of
     * whole entries cost the commit ~1.1 ms per 10,000-tx block on a VM
     * where a fresh page faults in at ~11 us (~120 more faults a commit,
     * docs/bench.md). Made at a writable open; index steps and prunes
     * cut it; a failed write drops it, to be made again. It is the newest
     * state, not a read transaction's snapshot: the store has one thread. */
    logged_height *logged; /* a ring: logged_n live heights from logged_head */
    size_t logged_head, logged_n, logged_cap;
    /* The copy's bound (store_options.tx_lookup_copy_bytes_max): heights
     * logged past it are walked in the log by each lookup, as a read-only
     * store does, until index steps or prunes make room. A node that stopped
     * indexing gets slow lookups, not an ever larger heap. */
    size_t logged_bytes_max;
    size_t logged_bytes;     /* charged by the live heights, <= logged_bytes_max */
    size_t logged_kept;      /* bytes of every slot's buffer, live or kept for reuse */
    uint64_t logged_through; /* the highest height copied (0: none) */
    bool logged_full; /* the last catch-up stopped at the bound: heights past
                       * logged_through are in the log, not in the copy */
    bool logged_warned; /* a catch-up stopped at the bound and none has since
                         * taken every height: logged once per episode, not
                         * per index step (each drop clears logged_full) */
    /* The radix sort's second buffer, as large as the largest height
     * sorted, kept: a sort allocates nothing (glibc's qsort mallocs and
     * frees a copy of its array each call, heap churn next to LMDB's). */
    uint64_t *logged_scratch;
    size_t logged_scratch_cap;
    /* index_order's radix buffers (INDEX_SCRATCH_BYTES an entry), kept
     * across index steps up to STORE_INDEX_SCRATCH_KEEP entries: a step
     * allocated and freed them each time, 24 bytes an entry. */
    uint8_t *index_scratch;
    size_t index_scratch_cap; /* entries */
    store_tx_lookup_counts tx_lookups; /* since open */
    /* A commit since the last synced one was relaxed (MDB_NOMETASYNC):
     * what it wrote survives kill -9 but not yet a power loss.
     * signer_unsynced: one of them wrote the signer state. */
    bool unsynced;
    bool signer_unsynced;
    /* Lazy writes (store_put_signer_lazy, store_wal_append_lazy) wait
     * here, in memory, for the next commit of any kind, which writes them
     * first in its own transaction (lazy_flush). So they cost no flush of
     * their own, keep their order with every other write, and never sit
     * in an unsynced LMDB commit: MDB_NOSYNC lets a power loss during a
     * later flush tear the tree (lmdb.h), which could bring back an older
     * signer state. lazy_wal: (u64 height | u32 len | bytes)*. */
    hbuf lazy_wal;
    hbuf lazy_signer;
    bool lazy_has_signer;
    char errmsg[MSG_BYTES];
    char fatal_msg[MSG_BYTES];
    /* The last finished batch, its buffers kept for the next: a node makes
     * one batch per height, and its block, commit, state writes and tx
     * index were five or more allocations each time. */
    store_batch *spare_batch;
};

/* State writes are queued in one arena as [kind u8][klen u32][vlen u32][key][value]. */
enum { OP_PUT = 1, OP_DEL = 2 };
#define OP_HEADER_BYTES 9

struct store_batch {
    store *st;
    uint64_t height;
    bool have_block;
    bool have_commit;
    hansa_hash block_hash;
    hbuf block;
    hbuf commit;
    hbuf ops;
    uint32_t n_ops;
    hbuf txs;        /* tx index entries, TX_ENTRY_BYTES each */
    uint32_t n_txs;
    hansa_hash valset_hash[STORE_BATCH_VALSETS_MAX];
    hbuf valset[STORE_BATCH_VALSETS_MAX];
    uint32_t n_valsets;
};

/* ---- Keys ---- */

static void wal_key(uint8_t k[WAL_KEY_BYTES], uint64_t height, uint32_t seq) {
    be64_store(k, height);
    be32_store(k + 8, seq);
}

/* A key as a message names it: "height 7", "hash 0a1b...", "key 6163...". */
static void describe_key(store_db db, const uint8_t *k, size_t klen, char *out, size_t n) {
    char hex[2 * 32 + 1];
    size_t shown = klen < 32 ? klen : 32;
    hex_encode(k, shown, hex);
    const char *more = klen > shown ? "..." : "";
    switch (db) {
    case DB_BLOCKS:
    case DB_COMMITS:
    case DB_TX_LOG:
    case DB_CHECKPOINTS:
        if (klen == HEIGHT_KEY_BYTES) {
            snprintf(out, n, "height %llu", (unsigned long long)be64_load(k));
            return;
        }
        break;
    case DB_WAL:
        if (klen == WAL_KEY_BYTES) {
            snprintf(out, n, "height %llu seq %u", (unsigned long long)be64_load(k),
                     be32_load(k + 8));
            return;
        }
        break;
    case DB_BLOCK_INDEX:
        snprintf(out, n, "hash %s%s", hex, more);
        return;
    case DB_TX_INDEX:
    case DB_RECEIPTS:
        snprintf(out, n, "tx hash %s%s", hex, more);
        return;
    case DB_VALSETS:
        snprintf(out, n, "validator set hash %s%s", hex, more);
        return;
    case DB_META:
    case DB_SIGNER:
        snprintf(out, n, "key \"%.*s\"", (int)(klen < 32 ? klen : 32), (const char *)k);
        return;
    case DB_SNAP:
        if (klen >= HEIGHT_KEY_BYTES) {
            snprintf(out, n, "snapshot %llu key %s%s (%zu bytes)", (unsigned long long)be64_load(k),
                     hex + 2 * HEIGHT_KEY_BYTES, more, klen - HEIGHT_KEY_BYTES);
            return;
        }
        break;
    case DB_STATE:
        break;
    case DB_COUNT_:
        HANSA_UNREACHABLE();
    }
    snprintf(out, n, "key %s%s (%zu bytes)", hex, more, klen);
}

/* ---- Errors ---- */

static bool err_is_fatal(hansa_err e) {
    return e == HANSA_ERR_IO || e == HANSA_ERR_CORRUPT || e == HANSA_ERR_DISK_FULL;
}

/* Records a failure: the message goes to store_errmsg() and, unless it is a
 * plain "not found", to the log. I/O errors and corruption poison the store. */
static hansa_err st_vfail(store *st, hansa_err e, const char *fmt, va_list ap) {
    HANSA_ASSERT(e != HANSA_OK);
    vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
    if (e != HANSA_ERR_NOT_FOUND) LOG_E("store", "%s (%s)", st->errmsg, hansa_errname(e));
    if (err_is_fatal(e) && st->fatal == HANSA_OK) {
        st->fatal = e;
        memcpy(st->fatal_msg, st->errmsg, sizeof st->fatal_msg);
        LOG_E("store", "store refuses further writes");
    }
    return e;
}

__attribute__((format(printf, 3, 4))) static hansa_err st_fail(store *st, hansa_err e,
                                                               const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_vfail(st, e, fmt, ap);
    va_end(ap);
    return e;
}

hansa_err store_fail(store *st, hansa_err e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_vfail(st, e, fmt, ap);
    va_end(ap);
    return e;
}

/* The shared refusal of a write after a fatal error (run_write's for LMDB). */
static hansa_err refuse_if_failed(store *st, const char *what) {
    if (st->fatal == HANSA_OK) return HANSA_OK;
    return st_fail(st, HANSA_ERR_STATE, "store refuses %s after an earlier fatal error: %s", what,
                   st->fatal_msg);
}

static hansa_err mdb_to_err(int rc) {
    switch (rc) {
    case MDB_NOTFOUND:
        return HANSA_ERR_NOT_FOUND;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
        return HANSA_ERR_FULL;
    case MDB_KEYEXIST:
        return HANSA_ERR_DUPLICATE;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_PANIC:
        return HANSA_ERR_CORRUPT;
    case ENOMEM:
        return HANSA_ERR_NOMEM;
    case ENOSPC:
    case EDQUOT:
        return HANSA_ERR_DISK_FULL;
    default:
        return HANSA_ERR_IO;
    }
}

/* An LMDB failure while doing `what` to db at key k. */
static hansa_err mdb_fail(store *st, int rc, const char *what, store_db db, const uint8_t *k,
                          size_t klen) {
    HANSA_ASSERT(rc != 0);
    char kd[96];
    describe_key(db, k, klen, kd, sizeof kd);
    return st_fail(st, mdb_to_err(rc), "%s %s at %s: %s", what, db_info[db].name, kd,
                   mdb_strerror(rc));
}

/* An LMDB failure of an environment-wide operation, described by fmt. */
__attribute__((format(printf, 3, 4))) static hansa_err env_fail(store *st, int rc,
                                                                const char *fmt, ...) {
    HANSA_ASSERT(rc != 0);
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return st_fail(st, mdb_to_err(rc), "%s: %s", what, mdb_strerror(rc));
}

static hansa_err corrupt(store *st, store_db db, const uint8_t *k, size_t klen, const char *why) {
    char kd[96];
    describe_key(db, k, klen, kd, sizeof kd);
    return st_fail(st, HANSA_ERR_CORRUPT, "corrupt record in database %s at %s: %s",
                   db_info[db].name, kd, why);
}

static hansa_err not_found(store *st, store_db db, const uint8_t *k, size_t klen) {
    char kd[96];
    describe_key(db, k, klen, kd, sizeof kd);
    return st_fail(st, HANSA_ERR_NOT_FOUND, "no record in database %s at %s", db_info[db].name,
                   kd);
}

/* Every public call starts here: no re-entry from a callback, fresh message. */
static void call_enter(store *st) {
    HANSA_ASSERT(st != NULL);
    HANSA_ASSERT(!st->in_callback);
    st->errmsg[0] = '\0';
}

/* ---- Records ---- */

static hansa_err check_record(store *st, store_db db, const uint8_t *k, size_t klen,
                              const MDB_val *v, const uint8_t **p, size_t *plen) {
    char why[160];
    hansa_err e = store_record_check(v->mv_data, v->mv_size, db_info[db].type, k, klen, p, plen,
                                     why, sizeof why);
    if (e != HANSA_OK) return corrupt(st, db, k, klen, why);
    return HANSA_OK;
}

/* Reads and checks the record at key. HANSA_ERR_NOT_FOUND without a
 * message (callers decide whether absence is an error); the payload is
 * borrowed from the map until txn ends. */
static hansa_err lookup(store *st, MDB_txn *txn, store_db db, const uint8_t *k, size_t klen,
                        const uint8_t **p, size_t *plen) {
    MDB_val key = {klen, (void *)k}, val;
    int rc = mdb_get(txn, st->dbi[db], &key, &val);
    if (rc == MDB_NOTFOUND) return HANSA_ERR_NOT_FOUND;
    if (rc != 0) return mdb_fail(st, rc, "reading", db, k, klen);
    return check_record(st, db, k, klen, &val, p, plen);
}

/* A record's payload: pre || body (either part may be empty). */
typedef struct {
    const uint8_t *pre;
    size_t prelen;
    const uint8_t *body;
    size_t bodylen;
} record_payload;

/* Finishes a put of p at k made with MDB_RESERVE, which returned rc and
 * val: copies the payload into LMDB's page and seals it, or reports the
 * failure. The one place a record is written, for put_record and
 * put_record_at alike. */
static hansa_err seal_reserved(store *st, int rc, const MDB_val *val, store_db db,
                               const uint8_t *k, size_t klen, const record_payload *p) {
    if (rc == MDB_MAP_FULL) {
        st->map_full = true;
        return HANSA_ERR_FULL;
    }
    if (rc != 0) return mdb_fail(st, rc, "writing", db, k, klen);
    size_t plen = p->prelen + p->bodylen;
    uint8_t *dst = val->mv_data;
    HANSA_ASSERT(val->mv_size == STORE_RECORD_HEADER_BYTES + plen);
    if (p->prelen) memcpy(dst + STORE_RECORD_HEADER_BYTES, p->pre, p->prelen);
    if (p->bodylen) memcpy(dst + STORE_RECORD_HEADER_BYTES + p->prelen, p->body, p->bodylen);
    store_record_seal(dst, db_info[db].type, k, klen, dst + STORE_RECORD_HEADER_BYTES, plen);
    return HANSA_OK;
}

/* Writes a record whose payload is pre || body (either part may be empty)
 * straight into LMDB's page, then seals it. */
static hansa_err put_record(store *st, MDB_txn *txn, store_db db, const uint8_t *k, size_t klen,
                            const uint8_t *pre, size_t prelen, const uint8_t *body,
                            size_t bodylen, unsigned flags) {
    record_payload p = {pre, prelen, body, bodylen};
    HANSA_ASSERT(prelen + bodylen <= STORE_PAYLOAD_BYTES_MAX);
    MDB_val key = {klen, (void *)k}, val = {STORE_RECORD_HEADER_BYTES + prelen + bodylen, NULL};
    int rc = mdb_put(txn, st->dbi[db], &key, &val, flags | MDB_RESERVE);
    return seal_reserved(st, rc, &val, db, k, klen, &p);
}

/* put_record (flags 0: a key there is overwritten) through an open cursor
 * on db, for a run of puts in key order. */
static hansa_err put_record_at(store *st, MDB_cursor *c, store_db db, const uint8_t *k, size_t klen,
                               const uint8_t *body, size_t bodylen) {
    record_payload p = {NULL, 0, body, bodylen};
    HANSA_ASSERT(bodylen <= STORE_PAYLOAD_BYTES_MAX);
    MDB_val key = {klen, (void *)k}, val = {STORE_RECORD_HEADER_BYTES + bodylen, NULL};
    int rc = mdb_cursor_put(c, &key, &val, MDB_RESERVE);
    return seal_reserved(st, rc, &val, db, k, klen, &p);
}

static hansa_err del_key(store *st, MDB_txn *txn, store_db db, const uint8_t *k, size_t klen) {
    MDB_val key = {klen, (void *)k};
    int rc = mdb_del(txn, st->dbi[db], &key, NULL);
    if (rc == 0 || rc == MDB_NOTFOUND) return HANSA_OK;
    if (rc == MDB_MAP_FULL) {
        st->map_full = true;
        return HANSA_ERR_FULL;
    }
    return mdb_fail(st, rc, "deleting from", db, k, klen);
}

/* ---- Transactions ---- */

static hansa_err read_begin(store *st, MDB_txn **txn) {
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc != 0) return env_fail(st, rc, "beginning a read transaction");
    return HANSA_OK;
}

/* Doubles the map (up to the cap). Only called with no transaction open. */
static hansa_err grow_map(store *st, const char *what) {
    size_t cur = st->map_bytes;
    if (st->map_bytes_max != 0 && cur >= st->map_bytes_max)
        return st_fail(st, HANSA_ERR_FULL,
                       "map full at %zu bytes (map_size_bytes_max) while %s; nothing was written",
                       cur, what);
    size_t next = cur > SIZE_MAX / 2 ? SIZE_MAX : cur * 2;
    if (st->map_bytes_max != 0 && next > st->map_bytes_max) next = st->map_bytes_max;
    int rc = mdb_env_set_mapsize(st->env, next);
    if (rc != 0) /* A failed remap leaves the environment without a map: fatal. */
        return st_fail(st, HANSA_ERR_IO, "growing the map from %zu to %zu bytes: %s", cur, next,
                       mdb_strerror(rc));
    MDB_envinfo info;
    HANSA_ASSERT(mdb_env_info(st->env, &info) == 0);
    st->map_bytes = info.me_mapsize;
    HANSA_ASSERT(st->map_bytes >= next);
    LOG_I("store", "map grown from %zu to %zu bytes while %s", cur, st->map_bytes, what);
    return HANSA_OK;
}

/* Below this much free space, a failed write is taken for a full disk. */
#define DISK_FULL_FREE_BYTES (1u << 20)

/* Whether a commit failing with rc failed for lack of disk space. LMDB
 * reports ENOSPC (or EDQUOT) when a write finds no room at all, but a write
 * that fits in part comes back short, which LMDB turns into EIO ("short
 * write, filesystem full?"); the free space of the store's file system tells
 * the two EIOs apart. *free_bytes gets that free space. */
static bool disk_full(store *st, int rc, uint64_t *free_bytes) {
    struct statvfs vfs;
    *free_bytes = 0;
    bool known = statvfs(st->dir, &vfs) == 0;
    if (known) *free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (rc == ENOSPC || rc == EDQUOT) return true;
    return rc == EIO && known && *free_bytes < DISK_FULL_FREE_BYTES;
}

typedef hansa_err (*write_body)(store *st, MDB_txn *txn, void *ctx);

static hansa_err lazy_flush(store *st, MDB_txn *txn);

static hansa_err nothing_body(store *st, MDB_txn *txn, void *ctx) {
    (void)st, (void)txn, (void)ctx;
    return HANSA_OK;
}

/* A synced commit's fdatasync also flushes every relaxed commit before it
 * (their pages and meta pages are in the same file), so after it nothing
 * is pending; a relaxed one leaves its own writes pending. */
static void note_commit(store *st) {
    unsigned flags = 0;
    mdb_env_get_flags(st->env, &flags);
    bool wrote_signer = st->lazy_has_signer;
    hbuf_reset(&st->lazy_wal);
    st->lazy_has_signer = false;
    if (flags & MDB_NOMETASYNC) {
        st->unsynced = true;
        st->signer_unsynced |= wrote_signer;
    } else {
        st->unsynced = false;
        st->signer_unsynced = false;
    }
}

/* Runs body in one write transaction and commits it synchronously: when this
 * returns HANSA_OK the writes are durable (see docs/storage.md, "Durability").
 * A body that fails leaves nothing behind. On MDB_MAP_FULL the map grows and
 * the body runs again from the start. */
static hansa_err run_write(store *st, const char *what, write_body body, void *ctx) {
    if (st->read_only)
        return st_fail(st, HANSA_ERR_STATE, "store %s is open read-only: refusing %s", st->dir,
                       what);
    if (st->fatal != HANSA_OK) return refuse_if_failed(st, what);
    for (;;) {
        MDB_txn *txn;
        int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
        if (rc != 0) return env_fail(st, rc, "beginning the transaction for %s", what);
        st->map_full = false;
        hansa_err e = lazy_flush(st, txn);
        if (e == HANSA_OK) e = body(st, txn, ctx);
        if (e != HANSA_OK) {
            mdb_txn_abort(txn);
            if (!st->map_full) return e;
        } else {
            rc = mdb_txn_commit(txn); /* frees txn whatever it returns */
            if (rc == 0) {
                st->errmsg[0] = '\0';
                note_commit(st);
                return HANSA_OK;
            }
            /* LMDB writes the data pages before the meta page that makes
             * them current, and a full disk fails the first of them: the
             * store is still at its last commit. It is fatal all the same
             * (the node must stop), but the message says what to do. */
            uint64_t free_bytes;
            if (disk_full(st, rc, &free_bytes))
                return st_fail(st, HANSA_ERR_DISK_FULL,
                               "the disk holding %s is full (%llu bytes free; LMDB says: %s) "
                               "while %s: nothing of it was written; free space on that disk "
                               "and restart",
                               st->dir, (unsigned long long)free_bytes, mdb_strerror(rc), what);
            /* After another failed commit nobody knows what reached the disk: fatal. */
            if (rc != MDB_MAP_FULL)
                return st_fail(st, mdb_to_err(rc) == HANSA_ERR_CORRUPT ? HANSA_ERR_CORRUPT
                                                                       : HANSA_ERR_IO,
                               "committing the transaction for %s: %s", what, mdb_strerror(rc));
        }
        e = grow_map(st, what);
        if (e != HANSA_OK) return e;
    }
}

/* run_write with MDB_NOMETASYNC for this one commit (writes run one at a
 * time, call_enter, so no other commit sees the flag): the pages are
 * synced, the meta page that makes them current is written without
 * O_DSYNC. A power loss may lose this one transaction (the previous meta
 * page, synced, still names a whole tree), never tear the store; the next
 * synced commit or store_sync_signer makes it durable. One flush instead
 * of two. */
static hansa_err run_write_relaxed(store *st, const char *what, write_body body, void *ctx) {
    if (st->read_only) return run_write(st, what, body, ctx); /* refused there */
    int rc = mdb_env_set_flags(st->env, MDB_NOMETASYNC, 1);
    if (rc != 0) return env_fail(st, rc, "relaxing the sync for %s", what);
    hansa_err e = run_write(st, what, body, ctx);
    rc = mdb_env_set_flags(st->env, MDB_NOMETASYNC, 0);
    if (rc != 0) return env_fail(st, rc, "restoring the sync after %s", what);
    return e;
}

/* ---- Opening ---- */

/* Makes the directory entry of `path` durable by fsyncing its directory. */
static hansa_err fsync_dir(const char *dir, const char *why, store *st) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int err = errno;
        if (fd >= 0) close(fd);
        return st_fail(st, HANSA_ERR_IO, "fsync of directory %s (%s): %s", dir, why,
                       strerror(err));
    }
    close(fd);
    return HANSA_OK;
}

static hansa_err make_dir(store *st, const char *dir) {
    if (mkdir(dir, 0700) == 0) {
        /* The new directory's own entry lives in its parent. */
        size_t n = strlen(dir);
        char *parent = hansa_strdup(dir);
        while (n > 1 && parent[n - 1] == '/') parent[--n] = '\0';
        char *slash = strrchr(parent, '/');
        if (slash == parent) slash[1] = '\0';
        else if (slash) *slash = '\0';
        else strcpy(parent, ".");
        hansa_err e = fsync_dir(parent, "new store directory", st);
        free(parent);
        return e;
    }
    if (errno != EEXIST)
        return st_fail(st, HANSA_ERR_IO, "creating store directory %s: %s", dir, strerror(errno));
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return st_fail(st, HANSA_ERR_IO, "store path %s exists and is not a directory", dir);
    return HANSA_OK;
}

/* A read-only open needs a store that is there: it creates nothing. */
static hansa_err existing_dir(store *st, const char *dir) {
    size_t n = strlen(dir) + sizeof "/data.mdb";
    char *path = hansa_malloc(n);
    snprintf(path, n, "%s/data.mdb", dir);
    struct stat sb;
    hansa_err e = HANSA_OK;
    if (stat(path, &sb) != 0)
        e = st_fail(st, HANSA_ERR_IO, "no store in %s (%s: %s)", dir, path, strerror(errno));
    free(path);
    return e;
}

/* One process per store: two nodes sharing a signer state could sign twice.
 * flock locks belong to the open file, so a second open in this process is
 * refused too (LMDB forbids opening one environment twice in a process). */
static hansa_err take_lock(store *st, const char *dir) {
    size_t n = strlen(dir) + sizeof "/hansa.lock";
    char *path = hansa_malloc(n);
    snprintf(path, n, "%s/hansa.lock", dir);
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    hansa_err e = HANSA_OK;
    if (st->lock_fd < 0)
        e = st_fail(st, HANSA_ERR_IO, "opening lock file %s: %s", path, strerror(errno));
    else if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0)
        e = st_fail(st, errno == EWOULDBLOCK ? HANSA_ERR_STATE : HANSA_ERR_IO,
                    "store %s is in use (lock file %s): %s", dir, path, strerror(errno));
    free(path);
    return e;
}

/* LMDB's data file holds two meta pages before anything else; a shorter
 * one (a copy cut short, a disk that lost the file's tail) would be taken
 * by LMDB for a new, empty store when it is empty, and misread otherwise. */
#define DATA_FILE_BYTES_MIN (2 * 4096)

/* Refuses a data.mdb that exists but is too short to be one: LMDB would
 * quietly start over with an empty store (losing the chain and the signer
 * state that stops double signing) or fail to read its meta pages. */
static hansa_err check_data_file(store *st, const char *dir) {
    size_t n = strlen(dir) + sizeof "/data.mdb";
    char *path = hansa_malloc(n);
    snprintf(path, n, "%s/data.mdb", dir);
    struct stat sb;
    hansa_err e = HANSA_OK;
    if (stat(path, &sb) == 0 && sb.st_size < DATA_FILE_BYTES_MIN)
        e = st_fail(st, HANSA_ERR_CORRUPT,
                    "%s is %lld bytes, shorter than LMDB's two meta pages: the file was "
                    "truncated (restore the folder from a backup, or remove it and let the "
                    "node sync again; a delegate's signer state goes with it)",
                    path, (long long)sb.st_size);
    free(path);
    return e;
}

/* LMDB maps data.mdb and trusts it to hold every page its newest meta page
 * names: in a file cut short, the first read of a page past the end is a
 * SIGBUS that kills the process without a log line. So the size is checked
 * against the meta page (read with pread by mdb_env_open) before any other
 * page is touched. */
static hansa_err check_data_size(store *st, const char *dir) {
    MDB_envinfo info;
    MDB_stat stat_;
    mdb_filehandle_t fd;
    struct stat sb;
    HANSA_ASSERT(mdb_env_info(st->env, &info) == 0);
    HANSA_ASSERT(mdb_env_stat(st->env, &stat_) == 0);
    HANSA_ASSERT(mdb_env_get_fd(st->env, &fd) == 0);
    if (fstat(fd, &sb) != 0)
        return st_fail(st, HANSA_ERR_IO, "fstat of %s/data.mdb: %s", dir, strerror(errno));
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * stat_.ms_psize;
    if ((uint64_t)sb.st_size < need)
        return st_fail(st, HANSA_ERR_CORRUPT,
                       "%s/data.mdb is %lld bytes but its newest meta page names %llu pages of "
                       "%u bytes (%llu bytes): the file was truncated (restore the folder from "
                       "a backup, or remove it and let the node sync again)",
                       dir, (long long)sb.st_size, (unsigned long long)info.me_last_pgno + 1,
                       stat_.ms_psize, (unsigned long long)need);
    return HANSA_OK;
}

static hansa_err open_env(store *st, const char *dir, size_t map_bytes) {
    hansa_err e = check_data_file(st, dir);
    if (e != HANSA_OK) return e;
    int rc = mdb_env_create(&st->env);
    if (rc != 0) return env_fail(st, rc, "creating the LMDB environment");
    rc = mdb_env_set_maxdbs(st->env, DB_COUNT_);
    if (rc == 0) rc = mdb_env_set_mapsize(st->env, map_bytes);
    /* Flags 0: synchronous commits (no MDB_NOSYNC / MDB_NOMETASYNC /
     * MDB_MAPASYNC), no MDB_WRITEMAP (stray writes through a pointer cannot
     * reach the file), thread-local reader slots (see the file comment). */
    if (rc == 0) rc = mdb_env_open(st->env, dir, st->read_only ? MDB_RDONLY : 0, 0600);
    if (rc != 0) {
        mdb_env_close(st->env);
        st->env = NULL;
        return env_fail(st, rc, "opening the LMDB environment in %s", dir);
    }
    e = check_data_size(st, dir);
    if (e != HANSA_OK) return e;
    HANSA_ASSERT(mdb_env_get_maxkeysize(st->env) >= STORE_KEY_BYTES_MAX);
    /* Reader slots of a process killed with -9 stay taken until cleared. */
    int dead = 0;
    rc = mdb_reader_check(st->env, &dead);
    if (rc != 0) return env_fail(st, rc, "clearing stale readers");
    if (dead > 0) LOG_I("store", "cleared %d stale reader slot(s) in %s", dead, dir);
    MDB_envinfo info;
    HANSA_ASSERT(mdb_env_info(st->env, &info) == 0);
    st->map_bytes = info.me_mapsize;
    return HANSA_OK;
}

static hansa_err open_dbs(store *st) {
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, st->read_only ? MDB_RDONLY : 0, &txn);
    if (rc != 0) return env_fail(st, rc, "beginning the open transaction");
    for (int i = 0; i < DB_COUNT_; i++) {
        rc = mdb_dbi_open(txn, db_info[i].name, st->read_only ? 0 : MDB_CREATE, &st->dbi[i]);
        /* A store written before tx_log existed has every entry in tx_index;
         * one written before checkpoints or snapshots has none of them. */
        if (rc == MDB_NOTFOUND && (i == DB_TX_LOG || i == DB_CHECKPOINTS || i == DB_SNAP) && st->read_only)
            continue;
        if (i == DB_TX_LOG) st->has_tx_log = rc == 0;
        if (i == DB_CHECKPOINTS) st->has_checkpoints = rc == 0;
        if (i == DB_SNAP) st->has_snap = rc == 0;
        if (rc != 0) {
            mdb_txn_abort(txn);
            return env_fail(st, rc, "opening database %s", db_info[i].name);
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return env_fail(st, rc, "committing the open transaction");
    return HANSA_OK;
}

static hansa_err read_tip(store *st, MDB_txn *txn, store_tip *tip);
static hansa_err logged_catch_up(store *st, MDB_txn *txn);
static void logged_clear(store *st);

hansa_err store_open(const char *dir, const store_options *opts, store **out) {
    HANSA_ASSERT(dir != NULL);
    HANSA_ASSERT(out != NULL);
    *out = NULL;
    store_options o = opts ? *opts : (store_options){0};
    if (o.map_size_bytes == 0) o.map_size_bytes = STORE_MAP_BYTES_DEFAULT;
    if (o.map_size_bytes_max != 0 && o.map_size_bytes_max < o.map_size_bytes) {
        LOG_E("store", "map_size_bytes_max %zu is below map_size_bytes %zu",
              o.map_size_bytes_max, o.map_size_bytes);
        return HANSA_ERR_CONFIG;
    }
    store *st = hansa_calloc(1, sizeof *st);
    st->lock_fd = -1;
    st->map_bytes_max = o.map_size_bytes_max;
    st->read_only = o.read_only;
    if (o.tx_lookup_copy_bytes_max == 0)
        o.tx_lookup_copy_bytes_max = STORE_TX_LOOKUP_COPY_BYTES_DEFAULT;
    st->logged_bytes_max = o.tx_lookup_copy_bytes_max;
    st->dir = hansa_strdup(dir);
    hansa_err e = o.read_only ? existing_dir(st, dir) : make_dir(st, dir);
    if (e == HANSA_OK) e = take_lock(st, dir);
    if (e == HANSA_OK) e = open_env(st, dir, o.map_size_bytes);
    if (e == HANSA_OK) e = open_dbs(st);
    if (e == HANSA_OK && !o.read_only) e = fsync_dir(dir, "LMDB files", st);
    if (e == HANSA_OK) {
        /* Check the tip now, so a damaged store fails at start-up. */
        MDB_txn *txn;
        store_tip tip;
        e = read_begin(st, &txn);
        if (e == HANSA_OK) {
            e = read_tip(st, txn, &tip);
            if (e == HANSA_ERR_NOT_FOUND) e = HANSA_OK;
            /* Now, not at the first lookup, which would pause a loop
             * serving consensus; and a damaged log fails here, before a
             * node joins its peers, like a damaged tip. */
            if (e == HANSA_OK && !o.read_only && st->has_tx_log) e = logged_catch_up(st, txn);
            mdb_txn_abort(txn);
        }
    }
    if (e != HANSA_OK) {
        store_close(st);
        return e;
    }
    LOG_D("store", "opened %s, map %zu bytes", dir, st->map_bytes);
    *out = st;
    return HANSA_OK;
}

hansa_err store_open_backend(const store_backend *be, void *ctx, store **out) {
    HANSA_ASSERT(be != NULL && out != NULL);
    store *st = hansa_calloc(1, sizeof *st);
    st->be = be;
    st->be_ctx = ctx;
    st->lock_fd = -1;
    *out = st;
    return HANSA_OK;
}

static void batch_free(store_batch *b);

void store_close(store *st) {
    if (st == NULL) return;
    HANSA_ASSERT(!st->in_callback);
    if (st->be) st->be->close(st->be_ctx, st);
    /* Lazy writes are written (and synced) by a clean close. */
    if (st->env && (st->lazy_wal.len > 0 || st->lazy_has_signer) && st->fatal == HANSA_OK && !st->read_only)
        (void)run_write(st, "writing the lazy writes at close", nothing_body, NULL);
    /* Relaxed commits become durable now, not at the next open's first
     * synced write: a clean stop leaves nothing a power loss could take. */
    if (st->env && st->unsynced && st->fatal == HANSA_OK) (void)mdb_env_sync(st->env, 1);
    if (st->env) mdb_env_close(st->env);
    if (st->lock_fd >= 0) close(st->lock_fd); /* releases the flock */
    batch_free(st->spare_batch);
    hbuf_free(&st->lazy_wal);
    hbuf_free(&st->lazy_signer);
    for (size_t i = 0; i < st->logged_cap; i++) free(st->logged[i].prefixes);
    free(st->logged_scratch);
    free(st->index_scratch);
    free(st->logged);
    free(st->dir);
    free(st);
}

const char *store_errmsg(const store *st) { return st->errmsg; }
hansa_err store_failed(const store *st) { return st->fatal; }
size_t store_map_size(const store *st) { return st->map_bytes; }

/* ---- Tip ---- */

static hansa_err read_tip(store *st, MDB_txn *txn, store_tip *tip) {
    const uint8_t *p;
    size_t n;
    hansa_err e = lookup(st, txn, DB_META, (const uint8_t *)tip_key, strlen(tip_key), &p, &n);
    if (e != HANSA_OK) return e;
    if (n != TIP_PAYLOAD_BYTES) {
        char why[96];
        snprintf(why, sizeof why, "tip payload is %zu bytes, expected %d", n, TIP_PAYLOAD_BYTES);
        return corrupt(st, DB_META, (const uint8_t *)tip_key, strlen(tip_key), why);
    }
    tip->height = le64_load(p);
    memcpy(tip->app_hash.b, p + 8, HANSA_HASH_BYTES);
    memcpy(tip->block_hash.b, p + 8 + HANSA_HASH_BYTES, HANSA_HASH_BYTES);
    return HANSA_OK;
}

hansa_err store_get_tip(store *st, store_tip *out) {
    call_enter(st);
    if (st->be) return st->be->get_tip(st->be_ctx, st, out);
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    e = read_tip(st, txn, out);
    mdb_txn_abort(txn);
    if (e == HANSA_ERR_NOT_FOUND)
        return not_found(st, DB_META, (const uint8_t *)tip_key, strlen(tip_key));
    return e;
}

/* ---- Logged tx entries (tx_log) by hash ---- */

/* Called with each logged height's entries, lowest height first; returns
 * false to stop the walk. */
typedef bool (*logged_fn)(void *ctx, uint64_t height, const uint8_t *p, size_t n);

/* Checks one tx_log record: an 8-byte height holding whole entries. */
static hansa_err check_logged(store *st, const MDB_val *k, const MDB_val *v, const uint8_t **p,
                              size_t *n) {
    hansa_err e = check_record(st, DB_TX_LOG, k->mv_data, k->mv_size, v, p, n);
    if (e == HANSA_OK && (k->mv_size != HEIGHT_KEY_BYTES || *n % TX_ENTRY_BYTES != 0))
        e = corrupt(st, DB_TX_LOG, k->mv_data, k->mv_size, "not an 8-byte height holding "
                                                           "whole 36-byte entries");
    return e;
}

/* Walks tx_log from height `from` on, each record checked. */
static hansa_err walk_logged(store *st, MDB_txn *txn, uint64_t from, logged_fn fn, void *ctx) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TX_LOG], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on tx_log");
    hansa_err e = HANSA_OK;
    uint8_t fk[HEIGHT_KEY_BYTES];
    be64_store(fk, from);
    MDB_val k = {sizeof fk, fk}, v;
    bool go_on = true;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && go_on;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *p;
        size_t n;
        e = check_logged(st, &k, &v, &p, &n);
        if (e != HANSA_OK) break;
        go_on = fn(ctx, be64_load(k.mv_data), p, n);
    }
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) e = env_fail(st, rc, "walking tx_log");
    mdb_cursor_close(c);
    return e;
}

typedef struct {
    const hansa_hash *want;
    store_tx_loc *out;
    bool found;
    bool stale;      /* a copied height was not in the log (logged_read_back) */
    uint64_t walked; /* records walked (walk_height), not read back */
} logged_scan;

static bool scan_height(void *ctx, uint64_t height, const uint8_t *p, size_t n) {
    logged_scan *ls = ctx;
    for (size_t off = 0; off < n; off += TX_ENTRY_BYTES) {
        if (memcmp(p + off, ls->want->b, HANSA_HASH_BYTES) != 0) continue;
        ls->out->height = height;
        ls->out->index = le32_load(p + off + HANSA_HASH_BYTES);
        ls->found = true;
        return false;
    }
    return true;
}

/* scan_height for a walk of the log, counted (store_tx_lookup_stats). */
static bool walk_height(void *ctx, uint64_t height, const uint8_t *p, size_t n) {
    ((logged_scan *)ctx)->walked++;
    return scan_height(ctx, height, p, n);
}

static void logged_clear(store *st) {
    st->logged_head = st->logged_n = st->logged_bytes = 0;
    st->logged_through = 0;
    st->logged_full = false;
}

static logged_height *logged_at(const store *st, size_t i) {
    return &st->logged[(st->logged_head + i) % st->logged_cap];
}

/* Doubles the ring, its live heights first; every slot's buffer is kept. */
static void logged_grow(store *st) {
    size_t cap = st->logged_cap ? 2 * st->logged_cap : 64;
    logged_height *ring = hansa_calloc(cap, sizeof *ring);
    for (size_t i = 0; i < st->logged_cap; i++) ring[i] = *logged_at(st, i);
    free(st->logged);
    st->logged = ring;
    st->logged_cap = cap;
    st->logged_head = 0;
}

/* What a height of count entries charges against the bound. */
static size_t logged_charge(size_t count) {
    return count * LOGGED_PREFIX_BYTES + STORE_TX_LOOKUP_HEIGHT_BYTES;
}

/* Appends a height's prefixes (p: n bytes of whole log entries); false
 * (nothing kept) if the height does not follow the last one. They go into
 * the buffer a dropped height left in its slot: memory already mapped, so
 * a copy costs a pass over the entries, not the page faults of fresh
 * memory. */
static bool logged_push(store *st, uint64_t height, const uint8_t *p, size_t n) {
    if (st->logged_n > 0 && logged_at(st, st->logged_n - 1)->height >= height) return false;
    if (st->logged_n == st->logged_cap) logged_grow(st);
    logged_height *lh = logged_at(st, st->logged_n++);
    size_t count = n / TX_ENTRY_BYTES;
    if (count > lh->cap) {
        st->logged_kept += (count - lh->cap) * LOGGED_PREFIX_BYTES;
        free(lh->prefixes);
        lh->prefixes = hansa_calloc(count, sizeof *lh->prefixes);
        lh->cap = count;
    }
    for (size_t i = 0; i < count; i++) lh->prefixes[i] = be64_load(p + i * TX_ENTRY_BYTES);
    lh->height = height;
    lh->n = count;
    lh->sorted = false;
    st->logged_bytes += logged_charge(count);
    return true;
}

typedef struct {
    store *st;
    bool ascending;
    bool full; /* stopped at logged_bytes_max */
} logged_build_ctx;

static bool build_height(void *ctx, uint64_t height, const uint8_t *p, size_t n) {
    logged_build_ctx *b = ctx;
    if (logged_charge(n / TX_ENTRY_BYTES) > b->st->logged_bytes_max - b->st->logged_bytes) {
        b->full = true;
        return false;
    }
    b->ascending = logged_push(b->st, height, p, n);
    return b->ascending;
}

/* Drops the copies of heights <= through (indexed or pruned: the lowest go
 * first, so they are a prefix); their buffers stay for later heights while
 * all buffers together fit the bound. Beyond it they are freed: the ring
 * turns through every slot, and each would keep the largest height it
 * ever held (64 slots of a 16 MB height: 1 GB under a 32 MiB bound). */
static void logged_drop_through(store *st, uint64_t through) {
    while (st->logged_n > 0 && logged_at(st, 0)->height <= through) {
        logged_height *lh = logged_at(st, 0);
        HANSA_ASSERT(st->logged_bytes >= logged_charge(lh->n));
        st->logged_bytes -= logged_charge(lh->n);
        if (st->logged_kept > st->logged_bytes_max) {
            st->logged_kept -= lh->cap * LOGGED_PREFIX_BYTES;
            free(lh->prefixes);
            lh->prefixes = NULL;
            lh->cap = 0;
        }
        st->logged_head = (st->logged_head + 1) % st->logged_cap;
        st->logged_n--;
    }
    /* Room for what the bound held back, even when no copied height went:
     * a height too large for the bound on its own leaves the copy empty
     * and full, and only a drop (this) lets the copy start again past it. */
    st->logged_full = false;
    /* Emptied (an index step took every logged height): the next heights
     * go into the first slots again, whose buffers are warm, rather than
     * round the ring into slots never used (their first use allocates, and
     * the commit after it faults in fresh pages, ~11 us each here). */
    if (st->logged_n == 0) st->logged_head = 0;
}

/* Says when lookups start and stop walking the log past the copy's bound:
 * while they do, every miss costs a checked walk of those heights. */
static void logged_note_full(store *st) {
    if (st->logged_full == st->logged_warned) return;
    st->logged_warned = st->logged_full;
    if (st->logged_full)
        LOG_W("store", "tx lookup copy full (%zu bytes, tx_lookup_copy_bytes_max %zu): heights "
                       "after %llu are walked in tx_log by each lookup until index steps make "
                       "room", st->logged_bytes, st->logged_bytes_max,
              (unsigned long long)st->logged_through);
    else
        LOG_I("store", "tx lookup copy holds every logged height again (%zu bytes)",
              st->logged_bytes);
}

/* Copies the heights logged since the last call (all of them after a
 * clear), reading them back from tx_log rather than taking them from the
 * commit: the commit path pays nothing. Stops at the bound (logged_full)
 * until a drop makes room. */
static hansa_err logged_catch_up(store *st, MDB_txn *txn) {
    if (st->logged_full) return HANSA_OK;
    logged_build_ctx b = {st, true, false};
    hansa_err e = walk_logged(st, txn, st->logged_through + 1, build_height, &b);
    if (e == HANSA_OK && !b.ascending)
        e = st_fail(st, HANSA_ERR_CORRUPT, "tx_log: heights out of order");
    if (e != HANSA_OK) {
        logged_clear(st);
        return e;
    }
    if (st->logged_n > 0) st->logged_through = logged_at(st, st->logged_n - 1)->height;
    st->logged_full = b.full;
    logged_note_full(st);
    return HANSA_OK;
}

/* Sorts a[0..n) ascending: a least-significant-byte-first radix sort, 8
 * passes over the array through tmp (n slots), so its cost is the same for
 * any keys a sender could grind. An even number of passes leaves the
 * result in a. */
static void sort_u64(uint64_t *a, uint64_t *tmp, size_t n) {
    uint64_t *src = a, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t start[257] = {0};
        for (size_t i = 0; i < n; i++) start[((src[i] >> shift) & 0xff) + 1]++;
        for (size_t b = 0; b < 256; b++) start[b + 1] += start[b];
        for (size_t i = 0; i < n; i++) dst[start[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    HANSA_ASSERT(src == a);
}

static void logged_sort(store *st, logged_height *lh) {
    if (lh->sorted) return;
    if (lh->n > st->logged_scratch_cap) {
        free(st->logged_scratch);
        st->logged_scratch = hansa_calloc(lh->n, sizeof *st->logged_scratch);
        st->logged_scratch_cap = lh->n;
    }
    sort_u64(lh->prefixes, st->logged_scratch, lh->n);
    lh->sorted = true;
}

hansa_err store_prepare_tx_lookups(store *st) {
    call_enter(st);
    if (st->be || st->read_only || !st->has_tx_log) return HANSA_OK;
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    e = logged_catch_up(st, txn);
    mdb_txn_abort(txn);
    for (size_t i = 0; i < st->logged_n && e == HANSA_OK; i++) logged_sort(st, logged_at(st, i));
    return e;
}

/* True if some entry of lh has the 8-byte prefix `want` (binary search). */
static bool logged_may_hold(store *st, logged_height *lh, uint64_t want) {
    logged_sort(st, lh);
    size_t lo = 0, hi = lh->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lh->prefixes[mid] < want) lo = mid + 1;
        else hi = mid;
    }
    return lo < lh->n && lh->prefixes[lo] == want;
}

/* Reads height's log record back (checked) and looks for the whole hash
 * in it: ls->found says whether it is there. Every entry is compared, so
 * entries sharing the prefix (by chance, or ground by a sender) are all
 * checked, and one that shares only the prefix is a miss. The copy and
 * the log change together, so a copied height has its record; if it has
 * not (another process wrote the store, or a bug), ls->stale is set and
 * the caller answers from the log, which is the truth, not the copy. */
static hansa_err logged_read_back(store *st, MDB_txn *txn, uint64_t height, logged_scan *ls) {
    uint8_t hk[HEIGHT_KEY_BYTES];
    be64_store(hk, height);
    MDB_val k = {sizeof hk, hk}, v;
    int rc = mdb_get(txn, st->dbi[DB_TX_LOG], &k, &v);
    if (rc == MDB_NOTFOUND) {
        LOG_E("store", "tx_log: height %llu is in the lookup copy but not in the log: "
                       "copy dropped, this lookup walks the log", (unsigned long long)height);
        ls->stale = true;
        return HANSA_OK;
    }
    if (rc != 0) return mdb_fail(st, rc, "reading", DB_TX_LOG, hk, sizeof hk);
    const uint8_t *p;
    size_t n;
    hansa_err e = check_logged(st, &k, &v, &p, &n);
    if (e == HANSA_OK) (void)scan_height(ls, height, p, n);
    st->tx_lookups.read_backs++;
    return e;
}

/* Looks tx_hash up among the logged entries not yet in tx_index: in the
 * copy, then in whatever the bound kept out of it (a read-only store,
 * opened for one query, walks the log instead). A lookup reads back at
 * most one record per logged height: a sender can grind hashes that share
 * a prefix with an entry (2^32 work for a pair, far more for each further
 * one, so runs of equal prefixes stay short) and a caller can ask for any
 * hash, but neither makes a lookup cost more than the walk of the log the
 * copy replaced. */
static hansa_err find_logged_tx(store *st, MDB_txn *txn, const hansa_hash *tx_hash,
                                store_tx_loc *out) {
    logged_scan ls = {tx_hash, out, false, false, 0};
    if (st->read_only) {
        hansa_err e = walk_logged(st, txn, 0, walk_height, &ls);
        st->tx_lookups.walked += ls.walked;
        return e != HANSA_OK ? e : ls.found ? HANSA_OK : HANSA_ERR_NOT_FOUND;
    }
    hansa_err e = logged_catch_up(st, txn);
    uint64_t want = be64_load(tx_hash->b);
    for (size_t i = 0; i < st->logged_n && e == HANSA_OK && !ls.found && !ls.stale; i++) {
        logged_height *lh = logged_at(st, i);
        if (logged_may_hold(st, lh, want)) e = logged_read_back(st, txn, lh->height, &ls);
    }
    if (e != HANSA_OK || ls.stale) logged_clear(st); /* made again at the next lookup */
    if (e == HANSA_OK && ls.stale) e = walk_logged(st, txn, 0, walk_height, &ls);
    else if (e == HANSA_OK && !ls.found && st->logged_full)
        e = walk_logged(st, txn, st->logged_through + 1, walk_height, &ls);
    st->tx_lookups.walked += ls.walked;
    return e != HANSA_OK ? e : ls.found ? HANSA_OK : HANSA_ERR_NOT_FOUND;
}

/* After a write that changed tx_log, or failed to (it may have committed
 * before failing): keeps the copy in step, or drops it to be remade. */

static void logged_after_drop(store *st, hansa_err e, uint32_t dropped, uint64_t through) {
    if (e != HANSA_OK) logged_clear(st);
    else if (dropped > 0) logged_drop_through(st, through);
}

size_t store_logged_bytes(const store *st) { return st->logged_bytes; }

void store_tx_lookup_stats(const store *st, store_tx_lookup_counts *out) {
    *out = st->tx_lookups;
    out->held_bytes = st->logged_cap * sizeof(logged_height) + st->logged_kept +
                      st->logged_scratch_cap * sizeof *st->logged_scratch;
    out->index_scratch_bytes = st->index_scratch_cap * INDEX_SCRATCH_BYTES;
}

/* ---- Batches ---- */

hansa_err store_batch_begin(store *st, uint64_t height, store_batch **out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    *out = NULL;
    if (st->fatal != HANSA_OK)
        return st_fail(st, HANSA_ERR_STATE, "store refuses a batch after an earlier fatal error: %s",
                       st->fatal_msg);
    if (height == 0) return st_fail(st, HANSA_ERR_STATE, "batch for height 0 (blocks start at 1)");
    store_batch *b = st->spare_batch;
    st->spare_batch = NULL;
    if (b == NULL) b = hansa_calloc(1, sizeof *b);
    b->st = st;
    b->height = height;
    *out = b;
    return HANSA_OK;
}

hansa_err store_batch_put_block(store_batch *b, const hansa_hash *block_hash,
                                const uint8_t *bytes, size_t len) {
    HANSA_ASSERT(b != NULL && block_hash != NULL);
    HANSA_ASSERT(bytes != NULL || len == 0);
    call_enter(b->st);
    if (b->have_block) return st_fail(b->st, HANSA_ERR_STATE, "block put twice in one batch");
    if (len > STORE_PAYLOAD_BYTES_MAX - HANSA_HASH_BYTES)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "block of %zu bytes at height %llu is too long",
                       len, (unsigned long long)b->height);
    b->block_hash = *block_hash;
    hbuf_append(&b->block, bytes, len);
    b->have_block = true;
    return HANSA_OK;
}

hansa_err store_batch_put_commit(store_batch *b, const uint8_t *bytes, size_t len) {
    HANSA_ASSERT(b != NULL);
    HANSA_ASSERT(bytes != NULL || len == 0);
    call_enter(b->st);
    if (b->have_commit) return st_fail(b->st, HANSA_ERR_STATE, "commit put twice in one batch");
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "commit of %zu bytes is too long", len);
    hbuf_append(&b->commit, bytes, len);
    b->have_commit = true;
    return HANSA_OK;
}

static hansa_err check_state_key(store *st, const uint8_t *key, size_t klen) {
    if (klen == 0 || klen > STORE_KEY_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "state key of %zu bytes (allowed 1..%d)", klen,
                       STORE_KEY_BYTES_MAX);
    HANSA_ASSERT(key != NULL);
    return HANSA_OK;
}

static hansa_err batch_add_op(store_batch *b, uint8_t kind, const uint8_t *key, size_t klen,
                              const uint8_t *value, size_t vlen) {
    call_enter(b->st);
    hansa_err e = check_state_key(b->st, key, klen);
    if (e != HANSA_OK) return e;
    if (vlen > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "state value of %zu bytes is too long", vlen);
    if (b->n_ops >= STORE_BATCH_WRITES_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "more than %u state writes in one batch",
                       STORE_BATCH_WRITES_MAX);
    uint8_t h[OP_HEADER_BYTES];
    h[0] = kind;
    le32_store(h + 1, (uint32_t)klen);
    le32_store(h + 5, (uint32_t)vlen);
    hbuf_append(&b->ops, h, sizeof h);
    hbuf_append(&b->ops, key, klen);
    hbuf_append(&b->ops, value, vlen);
    b->n_ops++;
    return HANSA_OK;
}

hansa_err store_batch_put_state(store_batch *b, const uint8_t *key, size_t klen,
                                const uint8_t *value, size_t vlen) {
    HANSA_ASSERT(b != NULL);
    HANSA_ASSERT(value != NULL || vlen == 0);
    return batch_add_op(b, OP_PUT, key, klen, value, vlen);
}

hansa_err store_batch_del_state(store_batch *b, const uint8_t *key, size_t klen) {
    HANSA_ASSERT(b != NULL);
    return batch_add_op(b, OP_DEL, key, klen, NULL, 0);
}

hansa_err store_batch_put_tx(store_batch *b, const hansa_hash *tx_hash, uint32_t index) {
    HANSA_ASSERT(b != NULL && tx_hash != NULL);
    call_enter(b->st);
    if (b->n_txs >= STORE_BATCH_WRITES_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "more than %u tx index entries in one batch",
                       STORE_BATCH_WRITES_MAX);
    uint8_t *e = hbuf_extend(&b->txs, TX_ENTRY_BYTES);
    memcpy(e, tx_hash->b, HANSA_HASH_BYTES);
    le32_store(e + HANSA_HASH_BYTES, index);
    b->n_txs++;
    return HANSA_OK;
}

hansa_err store_batch_put_valset(store_batch *b, const hansa_hash *hash, const uint8_t *bytes,
                                 size_t len) {
    HANSA_ASSERT(b != NULL && hash != NULL && bytes != NULL);
    call_enter(b->st);
    if (b->n_valsets >= STORE_BATCH_VALSETS_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "more than %d validator sets in one batch",
                       STORE_BATCH_VALSETS_MAX);
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(b->st, HANSA_ERR_TOO_LONG, "validator set of %zu bytes is too long", len);
    b->valset_hash[b->n_valsets] = *hash;
    b->valset[b->n_valsets] = (hbuf)HBUF_INIT;
    hbuf_append(&b->valset[b->n_valsets], bytes, len);
    b->n_valsets++;
    return HANSA_OK;
}

static void batch_free(store_batch *b) {
    if (b == NULL) return;
    for (uint32_t i = 0; i < b->n_valsets; i++) hbuf_free(&b->valset[i]);
    hbuf_free(&b->block);
    hbuf_free(&b->commit);
    hbuf_free(&b->ops);
    hbuf_free(&b->txs);
    free(b);
}

/* Ends a batch: it becomes the store's spare (emptied, its buffers kept)
 * unless the store holds one already. */
void store_batch_abort(store_batch *b) {
    if (b == NULL) return;
    store *st = b->st;
    if (st->spare_batch != NULL) {
        batch_free(b);
        return;
    }
    for (uint32_t i = 0; i < b->n_valsets; i++) hbuf_free(&b->valset[i]);
    hbuf keep[4] = {b->block, b->commit, b->ops, b->txs};
    memset(b, 0, sizeof *b);
    b->block = keep[0];
    b->commit = keep[1];
    b->ops = keep[2];
    b->txs = keep[3];
    hbuf_reset(&b->block);
    hbuf_reset(&b->commit);
    hbuf_reset(&b->ops);
    hbuf_reset(&b->txs);
    st->spare_batch = b;
}

uint64_t store_batch_height(const store_batch *b) { return b->height; }

void store_batch_block(const store_batch *b, hansa_hash *hash, const uint8_t **bytes,
                       size_t *len) {
    HANSA_ASSERT(b->have_block);
    *hash = b->block_hash;
    *bytes = b->block.data;
    *len = b->block.len;
}

void store_batch_commit_bytes(const store_batch *b, const uint8_t **bytes, size_t *len) {
    HANSA_ASSERT(b->have_commit);
    *bytes = b->commit.data;
    *len = b->commit.len;
}

void store_batch_each_op(const store_batch *b, store_batch_op_fn fn, void *ctx) {
    size_t off = 0;
    for (uint32_t i = 0; i < b->n_ops; i++) {
        HANSA_ASSERT(off + OP_HEADER_BYTES <= b->ops.len);
        const uint8_t *h = b->ops.data + off;
        uint32_t klen = le32_load(h + 1), vlen = le32_load(h + 5);
        const uint8_t *key = h + OP_HEADER_BYTES;
        off += OP_HEADER_BYTES + klen + vlen;
        HANSA_ASSERT(off <= b->ops.len);
        bool del = h[0] == OP_DEL;
        fn(ctx, key, klen, del ? NULL : key + klen, vlen, del);
    }
    HANSA_ASSERT(off == b->ops.len);
}

void store_batch_each_valset(const store_batch *b, store_batch_valset_fn fn, void *ctx) {
    for (uint32_t i = 0; i < b->n_valsets; i++)
        fn(ctx, &b->valset_hash[i], b->valset[i].data, b->valset[i].len);
}

void store_batch_each_tx(const store_batch *b, store_batch_tx_fn fn, void *ctx) {
    HANSA_ASSERT(b->txs.len == (size_t)b->n_txs * TX_ENTRY_BYTES);
    for (uint32_t i = 0; i < b->n_txs; i++) {
        const uint8_t *e = b->txs.data + (size_t)i * TX_ENTRY_BYTES;
        hansa_hash h;
        memcpy(h.b, e, HANSA_HASH_BYTES);
        fn(ctx, &h, le32_load(e + HANSA_HASH_BYTES));
    }
}

static hansa_err batch_write_ops(store *st, MDB_txn *txn, const store_batch *b) {
    size_t off = 0;
    for (uint32_t i = 0; i < b->n_ops; i++) {
        HANSA_ASSERT(off + OP_HEADER_BYTES <= b->ops.len);
        const uint8_t *h = b->ops.data + off;
        uint32_t klen = le32_load(h + 1), vlen = le32_load(h + 5);
        const uint8_t *key = h + OP_HEADER_BYTES, *val = key + klen;
        off += OP_HEADER_BYTES + klen + vlen;
        HANSA_ASSERT(off <= b->ops.len);
        hansa_err e = h[0] == OP_PUT ? put_record(st, txn, DB_STATE, key, klen, NULL, 0, val,
                                                  vlen, 0)
                                     : del_key(st, txn, DB_STATE, key, klen);
        if (e != HANSA_OK) return e;
    }
    HANSA_ASSERT(off == b->ops.len);
    return HANSA_OK;
}

/* The block's tx index entries go into one tx_log record under its height:
 * a key past every other, so the write costs the same however many
 * transactions the chain already holds. store_index_step moves them into
 * tx_index (hash order, random keys) later, off the commit. */
static hansa_err batch_write_txs(store *st, MDB_txn *txn, const store_batch *b) {
    HANSA_ASSERT(b->txs.len == (size_t)b->n_txs * TX_ENTRY_BYTES);
    if (b->n_txs == 0) return HANSA_OK;
    uint8_t hk[HEIGHT_KEY_BYTES];
    be64_store(hk, b->height);
    return put_record(st, txn, DB_TX_LOG, hk, sizeof hk, NULL, 0, b->txs.data, b->txs.len,
                      MDB_NOOVERWRITE);
}

/* Deletes WAL records of heights <= through. They form a prefix of the WAL
 * (big-endian keys), so the first record is always the next to go. */
static hansa_err wal_delete_through(store *st, MDB_txn *txn, uint64_t through) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_WAL], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on the WAL");
    hansa_err e = HANSA_OK;
    MDB_val k, v;
    while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
        if (k.mv_size != WAL_KEY_BYTES) {
            e = corrupt(st, DB_WAL, k.mv_data, k.mv_size, "WAL key is not 12 bytes");
            break;
        }
        if (be64_load(k.mv_data) > through) break;
        rc = mdb_cursor_del(c, 0);
        if (rc != 0) break;
    }
    if (e == HANSA_OK && rc == MDB_MAP_FULL) {
        st->map_full = true;
        e = HANSA_ERR_FULL;
    } else if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) {
        e = env_fail(st, rc, "truncating the WAL");
    }
    mdb_cursor_close(c);
    return e;
}

/* The batch extends the chain by one block that is not stored yet. */
static hansa_err batch_check_order(store *st, MDB_txn *txn, const store_batch *b) {
    store_tip tip;
    hansa_err e = read_tip(st, txn, &tip);
    if (e == HANSA_OK && b->height != tip.height + 1)
        return st_fail(st, HANSA_ERR_STATE, "batch for height %llu, but the tip is at %llu",
                       (unsigned long long)b->height, (unsigned long long)tip.height);
    if (e != HANSA_OK && e != HANSA_ERR_NOT_FOUND) return e;
    const uint8_t *p;
    size_t n;
    e = lookup(st, txn, DB_BLOCK_INDEX, b->block_hash.b, HANSA_HASH_BYTES, &p, &n);
    if (e == HANSA_ERR_NOT_FOUND) return HANSA_OK;
    if (e != HANSA_OK) return e;
    return st_fail(st, HANSA_ERR_DUPLICATE, "block hash already stored (at height %llu)",
                   n == 8 ? (unsigned long long)le64_load(p) : 0ull);
}

static hansa_err batch_body(store *st, MDB_txn *txn, void *ctx) {
    const store_batch *b = ctx;
    hansa_err e = batch_check_order(st, txn, b);
    if (e != HANSA_OK) return e;
    uint8_t hk[HEIGHT_KEY_BYTES], hv[8];
    be64_store(hk, b->height);
    le64_store(hv, b->height);
    e = put_record(st, txn, DB_BLOCKS, hk, sizeof hk, b->block_hash.b, HANSA_HASH_BYTES,
                   b->block.data, b->block.len, MDB_NOOVERWRITE);
    if (e == HANSA_OK)
        e = put_record(st, txn, DB_BLOCK_INDEX, b->block_hash.b, HANSA_HASH_BYTES, NULL, 0, hv,
                       sizeof hv, 0);
    if (e == HANSA_OK)
        e = put_record(st, txn, DB_COMMITS, hk, sizeof hk, NULL, 0, b->commit.data,
                       b->commit.len, MDB_NOOVERWRITE);
    if (e == HANSA_OK) e = batch_write_txs(st, txn, b);
    if (e == HANSA_OK) e = batch_write_ops(st, txn, b);
    for (uint32_t i = 0; i < b->n_valsets && e == HANSA_OK; i++)
        e = put_record(st, txn, DB_VALSETS, b->valset_hash[i].b, HANSA_HASH_BYTES, NULL, 0,
                       b->valset[i].data, b->valset[i].len, 0);
    if (e != HANSA_OK) return e;
    return wal_delete_through(st, txn, b->height);
}

typedef struct {
    const store_batch *b;
    const hansa_hash *app_hash;
} batch_ctx;

static hansa_err batch_commit_body(store *st, MDB_txn *txn, void *ctx) {
    const batch_ctx *bc = ctx;
    hansa_err e = batch_body(st, txn, (void *)bc->b);
    if (e != HANSA_OK) return e;
    uint8_t tip[TIP_PAYLOAD_BYTES];
    le64_store(tip, bc->b->height);
    memcpy(tip + 8, bc->app_hash->b, HANSA_HASH_BYTES);
    memcpy(tip + 8 + HANSA_HASH_BYTES, bc->b->block_hash.b, HANSA_HASH_BYTES);
    return put_record(st, txn, DB_META, (const uint8_t *)tip_key, strlen(tip_key), NULL, 0, tip,
                      sizeof tip, 0);
}

hansa_err store_batch_commit(store_batch *b, const hansa_hash *app_hash) {
    HANSA_ASSERT(b != NULL && app_hash != NULL);
    store *st = b->st;
    call_enter(st);
    hansa_err e;
    if (!b->have_block || !b->have_commit) {
        e = st_fail(st, HANSA_ERR_STATE, "batch for height %llu lacks its %s",
                    (unsigned long long)b->height, b->have_block ? "commit" : "block");
    } else if (st->be) {
        e = refuse_if_failed(st, "committing a block");
        if (e == HANSA_OK) e = st->be->batch_commit(st->be_ctx, st, b, app_hash);
    } else {
        batch_ctx bc = {b, app_hash};
        e = run_write_relaxed(st, "committing a block", batch_commit_body, &bc);
        if (e != HANSA_OK) logged_clear(st); /* it may have committed before failing */
    }
    store_batch_abort(b);
    return e;
}

/* ---- Reads ---- */

/* Looks up key in db and copies the payload (after skip bytes) into out. */
static hansa_err get_copy(store *st, store_db db, const uint8_t *k, size_t klen, size_t skip,
                          hbuf *out, uint8_t *skipped) {
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    const uint8_t *p;
    size_t n;
    e = lookup(st, txn, db, k, klen, &p, &n);
    if (e == HANSA_OK && n < skip) {
        char why[96];
        snprintf(why, sizeof why, "payload of %zu bytes, expected at least %zu", n, skip);
        e = corrupt(st, db, k, klen, why);
    }
    if (e == HANSA_OK) {
        hbuf_reset(out);
        hbuf_append(out, p + skip, n - skip);
        if (skipped) memcpy(skipped, p, skip);
    }
    mdb_txn_abort(txn);
    if (e == HANSA_ERR_NOT_FOUND) return not_found(st, db, k, klen);
    return e;
}

/* The first height stored in db (blocks or commits), or 0 if it is empty. */
static hansa_err first_height(store *st, MDB_txn *txn, store_db db, uint64_t *out) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[db], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on %s", db_info[db].name);
    MDB_val k, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    mdb_cursor_close(c);
    *out = 0;
    if (rc == MDB_NOTFOUND) return HANSA_OK;
    if (rc != 0) return env_fail(st, rc, "reading the first key of %s", db_info[db].name);
    if (k.mv_size != HEIGHT_KEY_BYTES)
        return corrupt(st, db, k.mv_data, k.mv_size, "key is not an 8-byte height");
    *out = be64_load(k.mv_data);
    return HANSA_OK;
}

/* Reads the record of height in db (blocks or commits) like get_copy, but
 * a height the store claims to have (from its first one up to the tip) that
 * LMDB does not find is corruption, not absence: a damaged B-tree page
 * (a flipped bit in a key) makes LMDB miss records it still holds, and
 * answering "not found" would let the node run on as if nothing happened. */
static hansa_err get_height(store *st, store_db db, uint64_t height, size_t skip, hbuf *out,
                            uint8_t *skipped) {
    uint8_t k[HEIGHT_KEY_BYTES];
    be64_store(k, height);
    hansa_err e = get_copy(st, db, k, sizeof k, skip, out, skipped);
    if (e != HANSA_ERR_NOT_FOUND) return e;
    MDB_txn *txn;
    e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    store_tip tip;
    uint64_t first = 0;
    e = read_tip(st, txn, &tip);
    if (e == HANSA_OK) e = first_height(st, txn, db, &first);
    mdb_txn_abort(txn);
    if (e == HANSA_ERR_NOT_FOUND) return not_found(st, db, k, sizeof k); /* no tip: empty store */
    if (e != HANSA_OK) return e;
    if (first == 0 || height < first || height > tip.height) return not_found(st, db, k, sizeof k);
    char why[160];
    snprintf(why, sizeof why,
             "missing, yet the store holds heights %llu to %llu: LMDB's own pages are damaged "
             "(run `hansa store check`)",
             (unsigned long long)first, (unsigned long long)tip.height);
    return corrupt(st, db, k, sizeof k, why);
}

hansa_err store_get_block(store *st, uint64_t height, hbuf *out, hansa_hash *block_hash) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    if (st->be) return st->be->get_block(st->be_ctx, st, height, out, block_hash);
    hansa_hash h;
    hansa_err e = get_height(st, DB_BLOCKS, height, HANSA_HASH_BYTES, out, h.b);
    if (e == HANSA_OK && block_hash) *block_hash = h;
    return e;
}

hansa_err store_get_block_by_hash(store *st, const hansa_hash *block_hash, hbuf *out,
                                  uint64_t *height) {
    call_enter(st);
    HANSA_ASSERT(block_hash != NULL && out != NULL);
    if (st->be) return st->be->get_block_by_hash(st->be_ctx, st, block_hash, out, height);
    hbuf hv = HBUF_INIT;
    hansa_err e = get_copy(st, DB_BLOCK_INDEX, block_hash->b, HANSA_HASH_BYTES, 0, &hv, NULL);
    uint64_t h = 0;
    if (e == HANSA_OK && hv.len != 8)
        e = corrupt(st, DB_BLOCK_INDEX, block_hash->b, HANSA_HASH_BYTES,
                    "index payload is not an 8-byte height");
    if (e == HANSA_OK) h = le64_load(hv.data);
    hbuf_free(&hv);
    if (e != HANSA_OK) return e;
    hansa_hash stored;
    e = store_get_block(st, h, out, &stored);
    if (e == HANSA_ERR_NOT_FOUND)
        return corrupt(st, DB_BLOCK_INDEX, block_hash->b, HANSA_HASH_BYTES,
                       "index points at a height with no block");
    if (e != HANSA_OK) return e;
    if (!hash_eq(&stored, block_hash))
        return corrupt(st, DB_BLOCK_INDEX, block_hash->b, HANSA_HASH_BYTES,
                       "index points at a block with a different hash");
    if (height) *height = h;
    return HANSA_OK;
}

hansa_err store_get_commit(store *st, uint64_t height, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    if (st->be) return st->be->get_commit(st->be_ctx, st, height, out);
    return get_height(st, DB_COMMITS, height, 0, out, NULL);
}

hansa_err store_get_tx(store *st, const hansa_hash *tx_hash, store_tx_loc *out) {
    call_enter(st);
    HANSA_ASSERT(tx_hash != NULL && out != NULL);
    if (st->be) return st->be->get_tx(st->be_ctx, st, tx_hash, out);
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    const uint8_t *p;
    size_t n;
    e = lookup(st, txn, DB_TX_INDEX, tx_hash->b, HANSA_HASH_BYTES, &p, &n);
    if (e == HANSA_OK && n != TX_LOC_BYTES)
        e = corrupt(st, DB_TX_INDEX, tx_hash->b, HANSA_HASH_BYTES,
                    "payload is not a 12-byte height and index");
    if (e == HANSA_OK) {
        out->height = le64_load(p);
        out->index = le32_load(p + 8);
    }
    if (e == HANSA_ERR_NOT_FOUND && st->has_tx_log) e = find_logged_tx(st, txn, tx_hash, out);
    mdb_txn_abort(txn);
    if (e == HANSA_ERR_NOT_FOUND) return not_found(st, DB_TX_INDEX, tx_hash->b, HANSA_HASH_BYTES);
    return e;
}

/* ---- Pruning (a node that keeps only the last N blocks) ---- */

typedef struct {
    uint64_t below;       /* delete heights under this */
    uint32_t max_heights; /* per transaction */
    uint32_t pruned;
    uint64_t last;        /* the highest height deleted */
} prune_step;

/* Deletes one height: its block, the block's hash index entry, its commit
 * certificate and any tx entries still logged under it. */
static hansa_err prune_height(store *st, MDB_txn *txn, uint64_t height) {
    uint8_t k[HEIGHT_KEY_BYTES];
    be64_store(k, height);
    const uint8_t *p;
    size_t n;
    hansa_err e = lookup(st, txn, DB_BLOCKS, k, sizeof k, &p, &n);
    if (e == HANSA_OK && n < HANSA_HASH_BYTES)
        e = corrupt(st, DB_BLOCKS, k, sizeof k, "payload shorter than a block hash");
    if (e == HANSA_OK) {
        uint8_t hash[HANSA_HASH_BYTES];
        memcpy(hash, p, sizeof hash);
        e = del_key(st, txn, DB_BLOCK_INDEX, hash, sizeof hash);
    }
    if (e == HANSA_OK) e = del_key(st, txn, DB_BLOCKS, k, sizeof k);
    if (e == HANSA_OK) e = del_key(st, txn, DB_COMMITS, k, sizeof k);
    if (e == HANSA_OK && st->has_tx_log) e = del_key(st, txn, DB_TX_LOG, k, sizeof k);
    /* Its FROST checkpoint signs a header no longer kept; handoffs (keyed
     * by epoch) stay, a follower needs every one of them. */
    if (e == HANSA_OK && st->has_checkpoints) e = del_key(st, txn, DB_CHECKPOINTS, k, sizeof k);
    return e;
}

/* The lowest kept height is the first stored block: it moves in the same
 * transaction that deletes, so after a crash it is exactly as durable as the
 * deletions themselves and needs no record of its own. */
static hansa_err prune_step_body(store *st, MDB_txn *txn, void *ctx) {
    prune_step *ps = ctx;
    ps->pruned = 0;
    uint64_t first;
    hansa_err e = first_height(st, txn, DB_BLOCKS, &first);
    for (uint64_t h = first; e == HANSA_OK && first != 0 && h < ps->below &&
                             ps->pruned < ps->max_heights; h++) {
        e = prune_height(st, txn, h);
        if (e != HANSA_OK) break;
        ps->pruned++;
        ps->last = h;
    }
    return e;
}

hansa_err store_prune_step(store *st, uint64_t below_height, uint32_t max_heights,
                           uint32_t *pruned) {
    call_enter(st);
    HANSA_ASSERT(max_heights > 0);
    if (pruned) *pruned = 0;
    if (st->be) return HANSA_OK;
    store_tip tip;
    hansa_err e = store_get_tip(st, &tip);
    if (e == HANSA_ERR_NOT_FOUND) return HANSA_OK; /* nothing stored yet */
    if (e != HANSA_OK) return e;
    if (below_height > tip.height)
        return st_fail(st, HANSA_ERR_INVALID, "pruning below height %llu would delete the tip %llu",
                       (unsigned long long)below_height, (unsigned long long)tip.height);
    prune_step ps = {below_height, max_heights, 0, 0};
    e = run_write(st, "pruning old blocks", prune_step_body, &ps);
    logged_after_drop(st, e, ps.pruned, ps.last);
    if (e == HANSA_OK && pruned) *pruned = ps.pruned;
    return e;
}

typedef struct {
    hansa_hash from, next; /* next: set by a body that succeeds (run_write may retry) */
    uint32_t max_entries;
    uint32_t deleted;
    hbuf doomed;           /* keys of the entries to delete, found in the walk */
} sweep_step;

/* Walks up to max_entries tx_index entries from sw->from, noting those
 * pointing below first, then deletes them (not while the cursor walks). */
static hansa_err sweep_walk(store *st, MDB_txn *txn, sweep_step *sw, uint64_t first) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TX_INDEX], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on tx_index");
    hansa_err e = HANSA_OK;
    MDB_val k = {HANSA_HASH_BYTES, sw->from.b}, v;
    uint32_t seen = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && seen < sw->max_entries;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), seen++) {
        const uint8_t *p;
        size_t n;
        e = check_record(st, DB_TX_INDEX, k.mv_data, k.mv_size, &v, &p, &n);
        if (e == HANSA_OK && (k.mv_size != HANSA_HASH_BYTES || n != TX_LOC_BYTES))
            e = corrupt(st, DB_TX_INDEX, k.mv_data, k.mv_size,
                        "not a tx hash holding a 12-byte height and index");
        if (e != HANSA_OK) break;
        if (le64_load(p) < first) hbuf_append(&sw->doomed, k.mv_data, HANSA_HASH_BYTES);
    }
    memset(sw->next.b, 0, sizeof sw->next.b); /* past the last entry: start over */
    if (e == HANSA_OK && rc == 0) memcpy(sw->next.b, k.mv_data, HANSA_HASH_BYTES);
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) e = env_fail(st, rc, "walking tx_index");
    mdb_cursor_close(c);
    return e;
}

static hansa_err sweep_body(store *st, MDB_txn *txn, void *ctx) {
    sweep_step *sw = ctx;
    sw->deleted = 0;
    sw->next = sw->from;
    hbuf_reset(&sw->doomed);
    uint64_t first;
    hansa_err e = first_height(st, txn, DB_BLOCKS, &first);
    if (e != HANSA_OK || first <= 1) return e; /* nothing pruned (0: nothing stored) */
    e = sweep_walk(st, txn, sw, first);
    for (size_t off = 0; e == HANSA_OK && off < sw->doomed.len; off += HANSA_HASH_BYTES) {
        e = del_key(st, txn, DB_TX_INDEX, sw->doomed.data + off, HANSA_HASH_BYTES);
        if (e == HANSA_OK) sw->deleted++;
    }
    return e;
}

hansa_err store_sweep_tx_index(store *st, hansa_hash *cursor, uint32_t max_entries,
                               uint32_t *deleted) {
    call_enter(st);
    HANSA_ASSERT(cursor != NULL && max_entries > 0);
    if (deleted) *deleted = 0;
    if (st->be) return HANSA_OK;
    sweep_step sw = {.from = *cursor, .max_entries = max_entries, .doomed = HBUF_INIT};
    hansa_err e = run_write(st, "sweeping the tx index", sweep_body, &sw);
    if (e == HANSA_OK) {
        *cursor = sw.next;
        if (deleted) *deleted = sw.deleted;
    }
    hbuf_free(&sw.doomed);
    return e;
}

hansa_err store_lowest_height(store *st, uint64_t *height) {
    call_enter(st);
    HANSA_ASSERT(height != NULL);
    *height = 0;
    if (st->be) return HANSA_OK;
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    e = first_height(st, txn, DB_BLOCKS, height);
    mdb_txn_abort(txn);
    return e;
}

/* ---- Moving logged tx entries into the index ---- */

typedef struct {
    uint32_t max_heights;
    uint32_t moved; /* heights */
    uint64_t last;  /* the highest height moved */
    hbuf entries;   /* [hash 32][height u64 LE][index u32 LE] each */
} index_step;

#define INDEX_ENTRY_BYTES (HANSA_HASH_BYTES + TX_LOC_BYTES)

/* index_order's buffers for n entries: the store's kept ones, grown (at
 * most to STORE_INDEX_SCRATCH_KEEP entries) if n needs it, or for a larger
 * step its own, which the caller frees (*own). */
static uint8_t *index_scratch(store *st, size_t n, bool *own) {
    *own = n > STORE_INDEX_SCRATCH_KEEP;
    if (*own) return hansa_malloc(n * INDEX_SCRATCH_BYTES);
    if (n > st->index_scratch_cap) {
        size_t cap = 2 * st->index_scratch_cap;
        cap = cap < n ? n : cap > STORE_INDEX_SCRATCH_KEEP ? STORE_INDEX_SCRATCH_KEEP : cap;
        free(st->index_scratch);
        st->index_scratch = hansa_malloc(cap * INDEX_SCRATCH_BYTES);
        st->index_scratch_cap = cap;
    }
    return st->index_scratch;
}

/* The order to put a step's entries in: by hash. A radix sort of their
 * first 8 bytes (as sort_u64, carrying each entry's position) and an
 * insertion sort by the whole hash within a run of equal prefixes, which
 * only hashes ground to share 64 bits make longer than one. glibc's qsort
 * of the 44-byte entries (a merge sort through a malloc'd copy, a memcmp
 * call per comparison) was a sixth of the step's CPU. Returns order[0..n),
 * in scratch (n x INDEX_SCRATCH_BYTES, 8-aligned). */
static uint32_t *index_order(const uint8_t *entries, size_t n, uint8_t *scratch) {
    uint64_t *key = (uint64_t *)(void *)scratch;
    uint32_t *order = (uint32_t *)(void *)(key + 2 * n);
    for (size_t i = 0; i < n; i++) {
        key[i] = be64_load(entries + i * INDEX_ENTRY_BYTES);
        order[i] = (uint32_t)i;
    }
    uint64_t *ks = key, *kd = key + n;
    uint32_t *os = order, *od = order + n;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t start[257] = {0};
        for (size_t i = 0; i < n; i++) start[((ks[i] >> shift) & 0xff) + 1]++;
        for (size_t b = 0; b < 256; b++) start[b + 1] += start[b];
        for (size_t i = 0; i < n; i++) {
            size_t at = start[(ks[i] >> shift) & 0xff]++;
            kd[at] = ks[i];
            od[at] = os[i];
        }
        uint64_t *tk = ks;
        ks = kd;
        kd = tk;
        uint32_t *to = os;
        os = od;
        od = to;
    }
    HANSA_ASSERT(ks == key && os == order); /* an even number of passes */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && key[j - 1] == key[j]; j--) {
            const uint8_t *a = entries + (size_t)order[j - 1] * INDEX_ENTRY_BYTES;
            const uint8_t *b = entries + (size_t)order[j] * INDEX_ENTRY_BYTES;
            if (memcmp(a, b, HANSA_HASH_BYTES) <= 0) break;
            uint32_t t = order[j - 1];
            order[j - 1] = order[j];
            order[j] = t;
        }
    }
    return order;
}

/* Takes the oldest logged heights off tx_log and puts their entries into
 * tx_index in hash order, so neighbouring keys share the pages they dirty. */
static hansa_err index_step_body(store *st, MDB_txn *txn, void *ctx) {
    index_step *is = ctx;
    is->moved = 0;
    hbuf_reset(&is->entries);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_TX_LOG], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on tx_log");
    hansa_err e = HANSA_OK;
    MDB_val k, v;
    while (e == HANSA_OK && is->moved < is->max_heights &&
           (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
        const uint8_t *p;
        size_t n;
        e = check_logged(st, &k, &v, &p, &n);
        if (e != HANSA_OK) break;
        uint64_t height = be64_load(k.mv_data);
        is->last = height;
        uint8_t *d = hbuf_room(&is->entries, n / TX_ENTRY_BYTES * INDEX_ENTRY_BYTES);
        for (size_t off = 0; off < n; off += TX_ENTRY_BYTES, d += INDEX_ENTRY_BYTES) {
            memcpy(d, p + off, HANSA_HASH_BYTES);
            le64_store(d + HANSA_HASH_BYTES, height);
            memcpy(d + HANSA_HASH_BYTES + 8, p + off + HANSA_HASH_BYTES, 4);
        }
        rc = mdb_cursor_del(c, 0);
        if (rc == MDB_MAP_FULL) {
            st->map_full = true;
            e = HANSA_ERR_FULL;
        } else if (rc != 0) {
            e = env_fail(st, rc, "deleting from tx_log");
        }
        is->moved++;
    }
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) e = env_fail(st, rc, "walking tx_log");
    mdb_cursor_close(c);
    size_t count = is->entries.len / INDEX_ENTRY_BYTES;
    if (e != HANSA_OK || count == 0) return e;
    HANSA_ASSERT(count <= UINT32_MAX);
    bool own;
    /* No return until the free below: a large step's own buffers would leak. */
    uint8_t *scratch = index_scratch(st, count, &own);
    uint32_t *order = index_order(is->entries.data, count, scratch);
    /* One cursor for the whole sorted run: LMDB looks first on the leaf page
     * the cursor is on, so a put whose key follows the last one's there
     * skips the search from the root that mdb_put makes every time. */
    rc = mdb_cursor_open(txn, st->dbi[DB_TX_INDEX], &c);
    if (rc != 0) e = env_fail(st, rc, "opening a cursor on tx_index");
    for (size_t i = 0; i < count && e == HANSA_OK; i++) {
        const uint8_t *d = is->entries.data + (size_t)order[i] * INDEX_ENTRY_BYTES;
        /* Out of order would cost only speed, so nothing else would show a
         * broken sort: the index tests rely on this check. */
        HANSA_ASSERT(i == 0 || memcmp(is->entries.data + (size_t)order[i - 1] * INDEX_ENTRY_BYTES, d,
                                      HANSA_HASH_BYTES) <= 0);
        e = put_record_at(st, c, DB_TX_INDEX, d, HANSA_HASH_BYTES, d + HANSA_HASH_BYTES, TX_LOC_BYTES);
    }
    if (rc == 0) mdb_cursor_close(c);
    if (own) free(scratch);
    return e;
}

hansa_err store_index_step(store *st, uint32_t max_heights, uint32_t *moved) {
    call_enter(st);
    HANSA_ASSERT(max_heights > 0);
    if (moved) *moved = 0;
    if (st->be || !st->has_tx_log) return HANSA_OK;
    index_step is = {max_heights, 0, 0, HBUF_INIT};
    hansa_err e = run_write_relaxed(st, "indexing committed transactions", index_step_body, &is);
    logged_after_drop(st, e, is.moved, is.last);
    if (e == HANSA_OK && moved) *moved = is.moved;
    hbuf_free(&is.entries);
    return e;
}

hansa_err store_index_backlog(store *st, uint64_t *heights) {
    call_enter(st);
    HANSA_ASSERT(heights != NULL);
    *heights = 0;
    if (st->be || !st->has_tx_log) return HANSA_OK;
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    MDB_stat ms;
    int rc = mdb_stat(txn, st->dbi[DB_TX_LOG], &ms);
    mdb_txn_abort(txn);
    if (rc != 0) return env_fail(st, rc, "reading the statistics of tx_log");
    *heights = ms.ms_entries;
    return HANSA_OK;
}

hansa_err store_get_valset(store *st, const hansa_hash *hash, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(hash != NULL && out != NULL);
    if (st->be) return st->be->get_valset(st->be_ctx, st, hash, out);
    return get_copy(st, DB_VALSETS, hash->b, HANSA_HASH_BYTES, 0, out, NULL);
}

hansa_err store_state_get(store *st, const uint8_t *key, size_t klen, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    hansa_err e = check_state_key(st, key, klen);
    if (e != HANSA_OK) return e;
    if (st->be) return st->be->state_get(st->be_ctx, st, key, klen, out);
    return get_copy(st, DB_STATE, key, klen, 0, out, NULL);
}

hansa_err store_get_signer(store *st, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    if (st->be) return st->be->get_signer(st->be_ctx, st, out);
    if (st->lazy_has_signer) {
        hbuf_reset(out);
        hbuf_append(out, st->lazy_signer.data, st->lazy_signer.len);
        return HANSA_OK;
    }
    return get_copy(st, DB_SIGNER, (const uint8_t *)signer_key, strlen(signer_key), 0, out, NULL);
}

hansa_err store_get_dkg(store *st, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    if (st->be && !st->be->blob_get)
        return st_fail(st, HANSA_ERR_STATE, "this store keeps no key generation state");
    if (st->be) return st->be->blob_get(st->be_ctx, st, dkg_key, out);
    return get_copy(st, DB_SIGNER, (const uint8_t *)dkg_key, strlen(dkg_key), 0, out, NULL);
}

/* ---- Scans ---- */

/* The cursor walk shared by state scans and WAL reads: every key that starts
 * with prefix, checked, handed to visit. */
typedef hansa_err (*visit_fn)(store *st, const MDB_val *k, const uint8_t *p, size_t n,
                              void *ctx);

/* From the first key >= start (start_len bytes), every key that shares
 * start's first plen bytes. */
static hansa_err scan_from(store *st, store_db db, const uint8_t *start, size_t start_len,
                           size_t plen, visit_fn visit, void *ctx) {
    const uint8_t *prefix = start;
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[db], &c);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return env_fail(st, rc, "opening a cursor on %s", db_info[db].name);
    }
    MDB_val k = {start_len, (void *)start}, v;
    rc = mdb_cursor_get(c, &k, &v, start_len ? MDB_SET_RANGE : MDB_FIRST);
    while (e == HANSA_OK && rc == 0) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
        const uint8_t *p;
        size_t n;
        e = check_record(st, db, k.mv_data, k.mv_size, &v, &p, &n);
        if (e != HANSA_OK) break;
        st->in_callback = true;
        e = visit(st, &k, p, n, ctx);
        st->in_callback = false;
        if (e == HANSA_OK) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = env_fail(st, rc, "iterating over %s", db_info[db].name);
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return e;
}

static hansa_err scan_prefix(store *st, store_db db, const uint8_t *prefix, size_t plen,
                             visit_fn visit, void *ctx) {
    return scan_from(st, db, prefix, plen, plen, visit, ctx);
}

typedef struct {
    store_scan_fn fn;
    void *ctx;
} state_visit_ctx;

static hansa_err state_visit(store *st, const MDB_val *k, const uint8_t *p, size_t n, void *ctx) {
    (void)st;
    const state_visit_ctx *sv = ctx;
    return sv->fn(sv->ctx, k->mv_data, k->mv_size, p, n);
}

hansa_err store_state_scan(store *st, const uint8_t *prefix, size_t plen, store_scan_fn fn,
                           void *ctx) {
    call_enter(st);
    HANSA_ASSERT(fn != NULL);
    HANSA_ASSERT(prefix != NULL || plen == 0);
    if (plen > STORE_KEY_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "scan prefix of %zu bytes", plen);
    if (st->be) { /* the callback must not re-enter the store */
        st->in_callback = true;
        hansa_err e = st->be->state_scan(st->be_ctx, st, prefix, plen, fn, ctx);
        st->in_callback = false;
        return e;
    }
    state_visit_ctx sv = {fn, ctx};
    return scan_prefix(st, DB_STATE, prefix, plen, state_visit, &sv);
}

/* ---- Signer ---- */

typedef struct {
    const uint8_t *bytes;
    size_t len;
    const char *key;
} bytes_ctx;

/* The signer database holds a few blobs under fixed names: the consensus
 * signer state, the DKG dealing and the ROAST nonces. */
static hansa_err signer_db_body(store *st, MDB_txn *txn, void *ctx) {
    const bytes_ctx *bc = ctx;
    return put_record(st, txn, DB_SIGNER, (const uint8_t *)bc->key, strlen(bc->key), NULL, 0, bc->bytes,
                      bc->len, 0);
}

/* Writes one such blob (not the signer state, which a backend store keeps
 * too) durably; `what` names it in errors. */
static hansa_err put_signer_db(store *st, const char *key, const char *what, const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL && len > 0);
    if (len > STORE_PAYLOAD_BYTES_MAX) return st_fail(st, HANSA_ERR_TOO_LONG, "%s of %zu bytes: too long", what, len);
    if (st->be && !st->be->blob_put) return st_fail(st, HANSA_ERR_STATE, "this store keeps no %s", what);
    if (st->be) {
        char op[64];
        snprintf(op, sizeof op, "writing the %s", what);
        hansa_err e = refuse_if_failed(st, op);
        return e == HANSA_OK ? st->be->blob_put(st->be_ctx, st, key, bytes, len) : e;
    }
    char op[64];
    snprintf(op, sizeof op, "writing the %s", what);
    bytes_ctx bc = {bytes, len, key};
    return run_write(st, op, signer_db_body, &bc);
}

hansa_err store_put_dkg(store *st, const uint8_t *bytes, size_t len) {
    return put_signer_db(st, dkg_key, "key generation state", bytes, len);
}

hansa_err store_put_roast(store *st, const uint8_t *bytes, size_t len) {
    return put_signer_db(st, roast_key, "signing nonces", bytes, len);
}

hansa_err store_get_roast(store *st, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    if (st->be && !st->be->blob_get) return st_fail(st, HANSA_ERR_STATE, "this store keeps no signing nonces");
    if (st->be) return st->be->blob_get(st->be_ctx, st, roast_key, out);
    return get_copy(st, DB_SIGNER, (const uint8_t *)roast_key, strlen(roast_key), 0, out, NULL);
}

hansa_err store_put_signer(store *st, const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL || len == 0);
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "signer state of %zu bytes is too long", len);
    if (st->be) {
        hansa_err e = refuse_if_failed(st, "writing the signer state");
        return e == HANSA_OK ? st->be->put_signer(st->be_ctx, st, bytes, len) : e;
    }
    bytes_ctx bc = {bytes, len, signer_key};
    return run_write(st, "writing the signer state", signer_db_body, &bc);
}

hansa_err store_put_signer_lazy(store *st, const uint8_t *bytes, size_t len) {
    if ((st->be && !st->be->put_signer_lazy) || st->read_only) return store_put_signer(st, bytes, len);
    call_enter(st);
    HANSA_ASSERT(bytes != NULL || len == 0);
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "signer state of %zu bytes is too long", len);
    hansa_err e = refuse_if_failed(st, "writing the signer state");
    if (e != HANSA_OK) return e;
    if (st->be) return st->be->put_signer_lazy(st->be_ctx, st, bytes, len);
    hbuf_reset(&st->lazy_signer);
    hbuf_append(&st->lazy_signer, bytes, len);
    st->lazy_has_signer = true;
    return HANSA_OK;
}

hansa_err store_sync_signer(store *st) {
    call_enter(st);
    /* The backend refuses as below: only when something is pending (disk.c, be_sync). */
    if (st->be) return st->be->sync ? st->be->sync(st->be_ctx, st) : HANSA_OK;
    if (st->lazy_has_signer) return run_write(st, "writing the signer state", nothing_body, NULL);
    if (!st->signer_unsynced) return HANSA_OK;
    hansa_err e = refuse_if_failed(st, "syncing the signer state");
    if (e != HANSA_OK) return e;
    int rc = mdb_env_sync(st->env, 1);
    /* After a failed fsync nobody knows what reached the disk: fatal. */
    if (rc != 0)
        return st_fail(st, HANSA_ERR_IO, "syncing the signer state to %s: %s", st->dir,
                       mdb_strerror(rc));
    st->unsynced = false;
    st->signer_unsynced = false;
    return HANSA_OK;
}

/* ---- WAL ---- */

typedef struct {
    uint64_t height;
    const uint8_t *bytes;
    size_t len;
} wal_append_ctx;

/* The next sequence number for height: one past its newest record. Heights
 * may interleave (a node logs messages of the next height while it still
 * signs at the current one), so the newest record of height is the one
 * just before the first key of height + 1, not the WAL's last record. */
static hansa_err wal_next_seq(store *st, MDB_txn *txn, uint64_t height, uint32_t *seq) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_WAL], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on the WAL");
    uint8_t after[WAL_KEY_BYTES];
    wal_key(after, height + 1, 0);
    MDB_val k = {sizeof after, after}, v;
    rc = height == UINT64_MAX ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    rc = mdb_cursor_get(c, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
    hansa_err e = HANSA_OK;
    *seq = 0;
    if (rc == 0) {
        if (k.mv_size != WAL_KEY_BYTES) {
            e = corrupt(st, DB_WAL, k.mv_data, k.mv_size, "WAL key is not 12 bytes");
        } else if (be64_load(k.mv_data) == height) {
            uint32_t last_seq = be32_load((const uint8_t *)k.mv_data + 8);
            if (last_seq == UINT32_MAX)
                e = st_fail(st, HANSA_ERR_FULL, "WAL for height %llu is full",
                            (unsigned long long)height);
            else
                *seq = last_seq + 1;
        }
    } else if (rc != MDB_NOTFOUND) {
        e = env_fail(st, rc, "reading the newest WAL record of height %llu",
                     (unsigned long long)height);
    }
    mdb_cursor_close(c);
    return e;
}

static hansa_err wal_append_body(store *st, MDB_txn *txn, void *ctx) {
    const wal_append_ctx *wc = ctx;
    uint32_t seq;
    hansa_err e = wal_next_seq(st, txn, wc->height, &seq);
    if (e != HANSA_OK) return e;
    uint8_t k[WAL_KEY_BYTES];
    wal_key(k, wc->height, seq);
    return put_record(st, txn, DB_WAL, k, sizeof k, NULL, 0, wc->bytes, wc->len, MDB_NOOVERWRITE);
}

hansa_err store_wal_append(store *st, uint64_t height, const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL || len == 0);
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "WAL record of %zu bytes is too long", len);
    if (st->be) {
        hansa_err e = refuse_if_failed(st, "appending to the WAL");
        return e == HANSA_OK ? st->be->wal_append(st->be_ctx, st, height, bytes, len) : e;
    }
    wal_append_ctx wc = {height, bytes, len};
    return run_write(st, "appending to the WAL", wal_append_body, &wc);
}

/* What waits in memory before a commit writes it anyway (a full node
 * makes no synced write between its blocks). */
#define STORE_LAZY_BYTES_MAX (16u << 20)

hansa_err store_wal_append_lazy(store *st, uint64_t height, const uint8_t *bytes, size_t len) {
    if ((st->be && !st->be->wal_append_lazy) || st->read_only)
        return store_wal_append(st, height, bytes, len);
    call_enter(st);
    HANSA_ASSERT(bytes != NULL || len == 0);
    if (len > STORE_PAYLOAD_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "WAL record of %zu bytes is too long", len);
    hansa_err e = refuse_if_failed(st, "appending to the WAL");
    if (e != HANSA_OK) return e;
    if (st->be) return st->be->wal_append_lazy(st->be_ctx, st, height, bytes, len);
    hbuf_put_u64(&st->lazy_wal, height);
    hbuf_put_u32(&st->lazy_wal, (uint32_t)len);
    hbuf_append(&st->lazy_wal, bytes, len);
    if (st->lazy_wal.len < STORE_LAZY_BYTES_MAX) return HANSA_OK;
    return run_write_relaxed(st, "writing lazy WAL records", nothing_body, NULL);
}

/* The lazy writes, first in whatever transaction commits next, in the
 * order they were made (run_write). */
static hansa_err lazy_flush(store *st, MDB_txn *txn) {
    const uint8_t *p = st->lazy_wal.data, *end = p + st->lazy_wal.len;
    while (p < end) {
        wal_append_ctx wc = {le64_load(p), p + 12, le32_load(p + 8)};
        hansa_err e = wal_append_body(st, txn, &wc);
        if (e != HANSA_OK) return e;
        p += 12 + wc.len;
    }
    if (!st->lazy_has_signer) return HANSA_OK;
    bytes_ctx bc = {st->lazy_signer.data, st->lazy_signer.len, signer_key};
    return signer_db_body(st, txn, &bc);
}

/* A WAL record that fails its check ends the log of its height: a crash
 * in the middle of an append leaves exactly such a tail, and the records
 * are hints for resuming a height, not chain data. So it is not a fatal
 * error: the damaged record and the rest of its height are deleted, with a
 * warning, and the valid prefix is what the WAL holds. */
typedef struct {
    bool damaged;
    uint8_t key[WAL_KEY_BYTES]; /* the first damaged record */
    char why[160];
} wal_damage;

/* Walks the records of one height in order, handing each valid one to fn,
 * and stops at the first damaged one (noted in *dmg). */
static hansa_err wal_walk(store *st, uint64_t height, store_wal_fn fn, void *ctx, wal_damage *dmg) {
    MDB_txn *txn;
    hansa_err e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_WAL], &c);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return env_fail(st, rc, "opening a cursor on wal");
    }
    uint8_t first[WAL_KEY_BYTES];
    wal_key(first, height, 0);
    MDB_val k = {sizeof first, first}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (e == HANSA_OK && rc == 0) {
        if (k.mv_size != WAL_KEY_BYTES || be64_load(k.mv_data) != height) break;
        const uint8_t *p;
        size_t n;
        e = store_record_check(v.mv_data, v.mv_size, STORE_REC_WAL, k.mv_data, k.mv_size, &p, &n,
                               dmg->why, sizeof dmg->why);
        if (e != HANSA_OK) {
            dmg->damaged = true;
            memcpy(dmg->key, k.mv_data, WAL_KEY_BYTES);
            e = HANSA_OK;
            break;
        }
        const uint8_t *kb = k.mv_data;
        st->in_callback = true;
        e = fn(ctx, height, be32_load(kb + 8), p, n);
        st->in_callback = false;
        if (e == HANSA_OK) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) e = env_fail(st, rc, "iterating over wal");
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return e;
}

static hansa_err wal_cut_body(store *st, MDB_txn *txn, void *ctx) {
    const wal_damage *dmg = ctx;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_WAL], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on the WAL");
    uint64_t height = be64_load(dmg->key);
    for (;;) { /* every key from the damaged one on, while it is of height */
        MDB_val k = {WAL_KEY_BYTES, (void *)dmg->key}, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc != 0 || k.mv_size != WAL_KEY_BYTES || be64_load(k.mv_data) != height) break;
        rc = mdb_cursor_del(c, 0);
        if (rc != 0) break;
    }
    mdb_cursor_close(c);
    if (rc == MDB_MAP_FULL) {
        st->map_full = true;
        return HANSA_ERR_FULL;
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return env_fail(st, rc, "cutting the WAL of height %llu", (unsigned long long)height);
    return HANSA_OK;
}

hansa_err store_wal_read(store *st, uint64_t height, store_wal_fn fn, void *ctx) {
    call_enter(st);
    HANSA_ASSERT(fn != NULL);
    if (st->be) {
        st->in_callback = true;
        hansa_err e = st->be->wal_read(st->be_ctx, st, height, fn, ctx);
        st->in_callback = false;
        return e;
    }
    wal_damage dmg = {0};
    hansa_err e = wal_walk(st, height, fn, ctx, &dmg);
    if (e != HANSA_OK || !dmg.damaged) return e;
    LOG_W("store", "WAL record height %llu seq %u is damaged (%s): the WAL of that height is cut "
          "there; a crash during an append leaves such a tail",
          (unsigned long long)height, be32_load(dmg.key + 8), dmg.why);
    return run_write(st, "cutting a damaged WAL tail", wal_cut_body, &dmg);
}

static hansa_err wal_truncate_body(store *st, MDB_txn *txn, void *ctx) {
    return wal_delete_through(st, txn, *(const uint64_t *)ctx);
}

hansa_err store_wal_truncate(store *st, uint64_t through_height) {
    call_enter(st);
    if (st->be) {
        hansa_err e = refuse_if_failed(st, "truncating the WAL");
        return e == HANSA_OK ? st->be->wal_truncate(st->be_ctx, st, through_height) : e;
    }
    return run_write(st, "truncating the WAL", wal_truncate_body, &through_height);
}

/* ---- Receipt guarantees ---- */

typedef struct {
    const uint8_t *key;
    const uint8_t *bytes;
    size_t len;
} receipt_put_ctx;

static hansa_err receipt_put_body(store *st, MDB_txn *txn, void *ctx) {
    const receipt_put_ctx *c = ctx;
    return put_record(st, txn, DB_RECEIPTS, c->key, STORE_RECEIPT_KEY_BYTES, NULL, 0, c->bytes,
                      c->len, 0);
}

hansa_err store_receipt_put(store *st, const uint8_t key[STORE_RECEIPT_KEY_BYTES],
                            const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL && len > 0);
    if (len > STORE_RECEIPT_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "receipt guarantee of %zu bytes is too long", len);
    if (st->be) {
        hansa_err e = refuse_if_failed(st, "writing a receipt guarantee");
        return e == HANSA_OK ? st->be->receipt_put(st->be_ctx, st, key, bytes, len) : e;
    }
    receipt_put_ctx c = {key, bytes, len};
    return run_write(st, "writing a receipt guarantee", receipt_put_body, &c);
}

typedef struct {
    const uint8_t (*keys)[STORE_RECEIPT_KEY_BYTES];
    size_t n;
} receipt_del_ctx;

static hansa_err receipt_del_body(store *st, MDB_txn *txn, void *ctx) {
    const receipt_del_ctx *c = ctx;
    hansa_err e = HANSA_OK;
    for (size_t i = 0; i < c->n && e == HANSA_OK; i++)
        e = del_key(st, txn, DB_RECEIPTS, c->keys[i], STORE_RECEIPT_KEY_BYTES);
    return e;
}

hansa_err store_receipt_del(store *st, const uint8_t (*keys)[STORE_RECEIPT_KEY_BYTES], size_t n) {
    call_enter(st);
    if (n == 0) return HANSA_OK;
    if (st->be) {
        hansa_err e = refuse_if_failed(st, "deleting receipt guarantees");
        return e == HANSA_OK ? st->be->receipt_del(st->be_ctx, st, keys, n) : e;
    }
    receipt_del_ctx c = {keys, n};
    return run_write(st, "deleting receipt guarantees", receipt_del_body, &c);
}

static hansa_err receipt_visit(store *st, const MDB_val *k, const uint8_t *p, size_t n, void *ctx) {
    const state_visit_ctx *sv = ctx;
    if (k->mv_size != STORE_RECEIPT_KEY_BYTES)
        return corrupt(st, DB_RECEIPTS, k->mv_data, k->mv_size, "receipt key is not 32 bytes");
    return sv->fn(sv->ctx, k->mv_data, k->mv_size, p, n);
}

hansa_err store_receipt_scan(store *st, store_scan_fn fn, void *ctx) {
    call_enter(st);
    HANSA_ASSERT(fn != NULL);
    if (st->be) { /* the callback must not re-enter the store */
        st->in_callback = true;
        hansa_err e = st->be->receipt_scan(st->be_ctx, st, fn, ctx);
        st->in_callback = false;
        return e;
    }
    state_visit_ctx sv = {fn, ctx};
    return scan_prefix(st, DB_RECEIPTS, NULL, 0, receipt_visit, &sv);
}

/* ---- FROST checkpoints ---- */

typedef struct {
    uint8_t key[HEIGHT_KEY_BYTES + 1];
    size_t klen;
    const uint8_t *bytes;
    size_t len;
} checkpoint_put_ctx;

static hansa_err checkpoint_put_body(store *st, MDB_txn *txn, void *ctx) {
    const checkpoint_put_ctx *c = ctx;
    return put_record(st, txn, DB_CHECKPOINTS, c->key, c->klen, NULL, 0, c->bytes, c->len, 0);
}

/* The checkpoints table on a backend store (or HANSA_ERR_STATE if it keeps none). */
static hansa_err backend_checkpoint_put(store *st, const checkpoint_put_ctx *c, const char *op) {
    if (!st->be->checkpoint_put) return st_fail(st, HANSA_ERR_STATE, "this store keeps no checkpoints");
    hansa_err e = refuse_if_failed(st, op);
    return e == HANSA_OK ? st->be->checkpoint_put(st->be_ctx, st, c->key, c->klen, c->bytes, c->len) : e;
}

static hansa_err backend_checkpoint_get(store *st, const uint8_t *key, size_t klen, hbuf *out) {
    if (!st->be->checkpoint_get) return st_fail(st, HANSA_ERR_STATE, "this store keeps no checkpoints");
    return st->be->checkpoint_get(st->be_ctx, st, key, klen, out);
}

hansa_err store_checkpoint_put(store *st, uint64_t height, const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL && len > 0);
    if (len > STORE_CHECKPOINT_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "checkpoint of %zu bytes is too long", len);
    checkpoint_put_ctx c = {.bytes = bytes, .len = len, .klen = HEIGHT_KEY_BYTES};
    be64_store(c.key, height);
    if (st->be) return backend_checkpoint_put(st, &c, "writing a checkpoint");
    return run_write(st, "writing a checkpoint", checkpoint_put_body, &c);
}

/* A handoff's key: 'H' || new epoch u64 BE, beside the 8-byte heights. */
#define HANDOFF_KEY_BYTES 9

hansa_err store_handoff_put(store *st, uint64_t new_epoch, const uint8_t *bytes, size_t len) {
    call_enter(st);
    HANSA_ASSERT(bytes != NULL && len > 0);
    if (len > STORE_CHECKPOINT_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "handoff of %zu bytes is too long", len);
    checkpoint_put_ctx c = {.bytes = bytes, .len = len, .klen = HANDOFF_KEY_BYTES};
    c.key[0] = 'H';
    be64_store(c.key + 1, new_epoch);
    if (st->be) return backend_checkpoint_put(st, &c, "writing a handoff");
    return run_write(st, "writing a handoff", checkpoint_put_body, &c);
}

hansa_err store_handoff_get(store *st, uint64_t new_epoch, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    uint8_t key[HANDOFF_KEY_BYTES] = {'H'};
    be64_store(key + 1, new_epoch);
    if (st->be) return backend_checkpoint_get(st, key, sizeof key, out);
    if (!st->has_checkpoints) return st_fail(st, HANSA_ERR_NOT_FOUND, "no handoff to %llu",
                                             (unsigned long long)new_epoch);
    return get_copy(st, DB_CHECKPOINTS, key, sizeof key, 0, out, NULL);
}

hansa_err store_checkpoint_get(store *st, uint64_t height, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    uint8_t key[HEIGHT_KEY_BYTES];
    be64_store(key, height);
    if (st->be) return backend_checkpoint_get(st, key, sizeof key, out);
    if (!st->has_checkpoints) return st_fail(st, HANSA_ERR_NOT_FOUND, "no checkpoint at %llu",
                                             (unsigned long long)height);
    return get_copy(st, DB_CHECKPOINTS, key, HEIGHT_KEY_BYTES, 0, out, NULL);
}

/* ---- State snapshots ---- */

static void snap_key(uint8_t *k, uint64_t height, const uint8_t *key, size_t klen) {
    be64_store(k, height);
    if (klen) memcpy(k + HEIGHT_KEY_BYTES, key, klen);
}

/* Deletes every entry of the snapshots below `below` (keys sort by height). */
static hansa_err snap_drop_below(store *st, MDB_txn *txn, uint64_t below) {
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_SNAP], &c);
    if (rc != 0) return env_fail(st, rc, "opening a cursor on snapshots");
    MDB_val k, v;
    hansa_err e = HANSA_OK;
    while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0) {
        if (k.mv_size < HEIGHT_KEY_BYTES || be64_load(k.mv_data) >= below) break;
        rc = mdb_cursor_del(c, 0);
        if (rc != 0) break;
    }
    if (rc == MDB_MAP_FULL) {
        st->map_full = true;
        e = HANSA_ERR_FULL;
    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        e = env_fail(st, rc, "deleting old snapshots");
    }
    mdb_cursor_close(c);
    return e;
}

typedef struct {
    uint64_t height, drop_below;
    const uint8_t *info;
    size_t info_len;
    store_snap_next_fn next;
    void *ctx;
} snap_write_ctx;

static hansa_err snap_write_body(store *st, MDB_txn *txn, void *ctx) {
    const snap_write_ctx *w = ctx;
    hansa_err e = snap_drop_below(st, txn, w->drop_below);
    uint8_t k[HEIGHT_KEY_BYTES + STORE_KEY_BYTES_MAX];
    snap_key(k, w->height, NULL, 0);
    if (e == HANSA_OK) e = put_record(st, txn, DB_SNAP, k, HEIGHT_KEY_BYTES, NULL, 0, w->info,
                                      w->info_len, 0);
    const uint8_t *key, *val;
    size_t klen, vlen;
    for (size_t i = 0; e == HANSA_OK && w->next(w->ctx, i, &key, &klen, &val, &vlen); i++) {
        HANSA_ASSERT(klen >= 1 && klen <= STORE_KEY_BYTES_MAX);
        HANSA_ASSERT(vlen >= 1 && vlen <= STORE_PAYLOAD_BYTES_MAX);
        snap_key(k, w->height, key, klen);
        e = put_record(st, txn, DB_SNAP, k, HEIGHT_KEY_BYTES + klen, NULL, 0, val, vlen, 0);
    }
    return e;
}

static hansa_err snap_refuse(store *st) {
    if (st->be) return st_fail(st, HANSA_ERR_STATE, "this store keeps no snapshots");
    if (!st->has_snap) return HANSA_ERR_NOT_FOUND; /* an older store opened read-only */
    return HANSA_OK;
}

bool store_keeps_snapshots(const store *st) { return st->be == NULL && st->has_snap; }

hansa_err store_snap_write(store *st, uint64_t height, const uint8_t *info, size_t info_len,
                           store_snap_next_fn next, void *ctx, uint64_t drop_below) {
    call_enter(st);
    HANSA_ASSERT(info != NULL && info_len > 0 && info_len <= STORE_PAYLOAD_BYTES_MAX);
    HANSA_ASSERT(next != NULL && drop_below <= height);
    hansa_err e = snap_refuse(st);
    if (e != HANSA_OK) return e;
    snap_write_ctx w = {height, drop_below, info, info_len, next, ctx};
    return run_write(st, "writing a snapshot", snap_write_body, &w);
}

hansa_err store_snap_heights(store *st, uint64_t *heights, size_t max, size_t *n) {
    call_enter(st);
    *n = 0;
    hansa_err e = snap_refuse(st);
    if (e != HANSA_OK) return e == HANSA_ERR_NOT_FOUND ? HANSA_OK : e;
    MDB_txn *txn;
    e = read_begin(st, &txn);
    if (e != HANSA_OK) return e;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->dbi[DB_SNAP], &c);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return env_fail(st, rc, "opening a cursor on snapshots");
    }
    uint8_t k0[HEIGHT_KEY_BYTES];
    MDB_val k = {0, NULL}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    /* Each snapshot starts with its info entry (the bare height): jump from
     * one to the next instead of walking their records. */
    while (rc == 0 && *n < max) {
        if (k.mv_size != HEIGHT_KEY_BYTES) {
            e = corrupt(st, DB_SNAP, k.mv_data, k.mv_size, "snapshot records without an info entry");
            break;
        }
        uint64_t h = be64_load(k.mv_data);
        heights[(*n)++] = h;
        if (h == UINT64_MAX) break;
        be64_store(k0, h + 1);
        k = (MDB_val){sizeof k0, k0};
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    }
    if (e == HANSA_OK && rc != 0 && rc != MDB_NOTFOUND) e = env_fail(st, rc, "walking snapshots");
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return e;
}

hansa_err store_snap_info(store *st, uint64_t height, hbuf *out) {
    call_enter(st);
    HANSA_ASSERT(out != NULL);
    hansa_err e = snap_refuse(st);
    if (e != HANSA_OK) return e;
    uint8_t k[HEIGHT_KEY_BYTES];
    snap_key(k, height, NULL, 0);
    return get_copy(st, DB_SNAP, k, sizeof k, 0, out, NULL);
}

typedef struct {
    store_scan_fn fn;
    void *ctx;
} snap_visit_ctx;

static hansa_err snap_visit(store *st, const MDB_val *k, const uint8_t *p, size_t n, void *ctx) {
    (void)st;
    const snap_visit_ctx *sv = ctx;
    const uint8_t *kp = k->mv_data;
    if (k->mv_size <= HEIGHT_KEY_BYTES) return HANSA_OK; /* the info entry */
    return sv->fn(sv->ctx, kp + HEIGHT_KEY_BYTES, k->mv_size - HEIGHT_KEY_BYTES, p, n);
}

hansa_err store_snap_scan(store *st, uint64_t height, const uint8_t *after, size_t after_len,
                          store_scan_fn fn, void *ctx) {
    call_enter(st);
    HANSA_ASSERT(fn != NULL && (after != NULL || after_len == 0));
    if (after_len > STORE_KEY_BYTES_MAX)
        return st_fail(st, HANSA_ERR_TOO_LONG, "snapshot key of %zu bytes", after_len);
    hansa_err e = snap_refuse(st);
    if (e != HANSA_OK) return e;
    /* Start at height || after || 0x00: the first key after `after` (a key
     * that extends it sorts right after it). */
    uint8_t k[HEIGHT_KEY_BYTES + STORE_KEY_BYTES_MAX + 1];
    snap_key(k, height, after, after_len);
    size_t klen = HEIGHT_KEY_BYTES + after_len;
    if (after_len) k[klen++] = 0x00;
    snap_visit_ctx sv = {fn, ctx};
    e = scan_from(st, DB_SNAP, k, klen, HEIGHT_KEY_BYTES, snap_visit, &sv);
    return e == HANSA_ERR_FULL ? HANSA_OK : e; /* fn said it has enough */
}

/* ---- Integrity check ---- */

/* Problems reported at most (the walk goes on counting the rest). */
#define CHECK_PROBLEMS_MAX 1000

typedef struct {
    store *st;
    MDB_txn *txn;
    store_check_summary *sum;
    store_problem_fn report;
    void *ctx;
    uint64_t problems;
    hbuf block_hashes;   /* hash of each stored block, in height order */
    hbuf block_heights;  /* its height, u64, same order */
    hbuf commit_heights; /* u64 each, in order */
    uint64_t tx_logged;  /* tx_log entries, not yet moved into tx_index */
    uint64_t tx_pruned;  /* tx_index entries of pruned heights (below the first block) */
} check_ctx;

__attribute__((format(printf, 2, 3))) static void problem(check_ctx *c, const char *fmt, ...) {
    c->problems++;
    if (c->problems > CHECK_PROBLEMS_MAX) return;
    char line[MSG_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->report(c->ctx, line);
}

/* What a key of db must look like; NULL if it does. */
static const char *key_shape(store_db db, const uint8_t *k, size_t klen) {
    switch (db) {
    case DB_BLOCKS:
    case DB_COMMITS:
    case DB_TX_LOG:
        return klen == HEIGHT_KEY_BYTES ? NULL : "key is not an 8-byte height";
    case DB_CHECKPOINTS:
        return klen == HEIGHT_KEY_BYTES || (klen == HEIGHT_KEY_BYTES + 1 && k[0] == 'H')
                   ? NULL
                   : "key is neither an 8-byte height nor 'H' and an epoch";
    case DB_BLOCK_INDEX:
    case DB_TX_INDEX:
    case DB_VALSETS:
        return klen == HANSA_HASH_BYTES ? NULL : "key is not a 32-byte hash";
    case DB_RECEIPTS:
        return klen == STORE_RECEIPT_KEY_BYTES ? NULL : "key is not a 32-byte tx hash";
    case DB_WAL:
        return klen == WAL_KEY_BYTES ? NULL : "key is not a 12-byte height and sequence";
    case DB_META:
        return klen == strlen(tip_key) && memcmp(k, tip_key, klen) == 0 ? NULL
                                                                        : "unknown meta key";
    case DB_SIGNER:
        return (klen == strlen(signer_key) && memcmp(k, signer_key, klen) == 0) ||
                       (klen == strlen(dkg_key) && memcmp(k, dkg_key, klen) == 0) ||
                       (klen == strlen(roast_key) && memcmp(k, roast_key, klen) == 0)
                   ? NULL
                   : "unknown signer key";
    case DB_STATE:
        return klen >= 1 && klen <= STORE_KEY_BYTES_MAX ? NULL : "key size out of 1..511";
    case DB_SNAP:
        return klen >= HEIGHT_KEY_BYTES && klen <= HEIGHT_KEY_BYTES + STORE_KEY_BYTES_MAX
                   ? NULL
                   : "key is not an 8-byte height and a state key of at most 511 bytes";
    case DB_COUNT_:
        HANSA_UNREACHABLE();
    }
    HANSA_UNREACHABLE();
}

/* One record that passed its header check: what the database's meaning
 * asks of it, and what the cross-checks need from it. */
static void check_entry(check_ctx *c, store_db db, const uint8_t *k, size_t klen,
                        const uint8_t *p, size_t n) {
    store_check_summary *s = c->sum;
    char kd[96];
    describe_key(db, k, klen, kd, sizeof kd);
    switch (db) {
    case DB_BLOCKS:
        if (n < HANSA_HASH_BYTES) {
            problem(c, "blocks at %s: payload of %zu bytes holds no block hash", kd, n);
            return;
        }
        hbuf_append(&c->block_hashes, p, HANSA_HASH_BYTES);
        hbuf_put_u64(&c->block_heights, be64_load(k));
        return;
    case DB_COMMITS:
        hbuf_put_u64(&c->commit_heights, be64_load(k));
        return;
    case DB_BLOCK_INDEX:
        if (n != 8) problem(c, "block_index at %s: payload is not an 8-byte height", kd);
        return;
    case DB_TX_INDEX:
        if (n != TX_LOC_BYTES) {
            problem(c, "tx_index at %s: payload is not a 12-byte height and index", kd);
            return;
        }
        if (!s->has_tip || le64_load(p) > s->tip.height || le64_load(p) == 0)
            problem(c, "tx_index at %s: points at height %llu, outside the chain", kd,
                    (unsigned long long)le64_load(p));
        else if (c->block_heights.len >= 8 && le64_load(p) < le64_load(c->block_heights.data))
            c->tx_pruned++; /* blocks are walked first: their first height is known */
        return;
    case DB_TX_LOG:
        if (n == 0 || n % TX_ENTRY_BYTES != 0)
            problem(c, "tx_log at %s: payload of %zu bytes is not whole 36-byte entries", kd, n);
        if (!s->has_tip || be64_load(k) > s->tip.height || be64_load(k) == 0)
            problem(c, "tx_log at %s: a height outside the chain", kd);
        c->tx_logged += n / TX_ENTRY_BYTES;
        return;
    case DB_META:
        return; /* the tip was read and checked before the walk */
    case DB_SIGNER:
        if (klen == strlen(signer_key)) s->has_signer = true; /* not the "dkg" record */
        return;
    case DB_WAL:
        if (s->has_tip && be64_load(k) <= s->tip.height)
            problem(c, "wal at %s: a record at or below the tip %llu (committing a height "
                       "deletes its WAL)", kd, (unsigned long long)s->tip.height);
        return;
    case DB_STATE:
    case DB_VALSETS:
    case DB_RECEIPTS:
    case DB_CHECKPOINTS:
        return;
    case DB_SNAP:
        if (klen == HEIGHT_KEY_BYTES) s->snapshots++;
        return;
    case DB_COUNT_:
        HANSA_UNREACHABLE();
    }
    HANSA_UNREACHABLE();
}

/* Walks every entry of db with a cursor: LMDB's structure, key order and
 * shape, each record's header and checksum, and LMDB's own entry count.
 * Returns the entries walked. */
static uint64_t check_db(check_ctx *c, store_db db) {
    const char *name = db_info[db].name;
    MDB_stat ms;
    int rc = mdb_stat(c->txn, c->st->dbi[db], &ms);
    if (rc != 0) {
        problem(c, "%s: LMDB cannot read its statistics: %s", name, mdb_strerror(rc));
        return 0;
    }
    MDB_cursor *cur;
    rc = mdb_cursor_open(c->txn, c->st->dbi[db], &cur);
    if (rc != 0) {
        problem(c, "%s: LMDB cannot open a cursor: %s", name, mdb_strerror(rc));
        return 0;
    }
    uint8_t prev[STORE_KEY_BYTES_MAX];
    size_t prev_len = 0;
    uint64_t walked = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *kp = k.mv_data;
        char kd[96];
        describe_key(db, kp, k.mv_size, kd, sizeof kd);
        size_t m = prev_len < k.mv_size ? prev_len : k.mv_size;
        int order = walked == 0 ? 1 : memcmp(kp, prev, m);
        if (walked > 0 && (order < 0 || (order == 0 && k.mv_size <= prev_len)))
            problem(c, "%s at %s: key out of order after the previous one (a damaged B-tree "
                       "page)", name, kd);
        walked++;
        prev_len = k.mv_size < sizeof prev ? k.mv_size : sizeof prev;
        memcpy(prev, kp, prev_len);
        const char *bad = key_shape(db, kp, k.mv_size);
        if (bad) {
            problem(c, "%s at %s: %s", name, kd, bad);
            continue;
        }
        const uint8_t *p;
        size_t n;
        char why[160];
        if (store_record_check(v.mv_data, v.mv_size, db_info[db].type, kp, k.mv_size, &p, &n,
                               why, sizeof why) != HANSA_OK) {
            problem(c, "%s at %s: %s", name, kd, why);
            continue;
        }
        check_entry(c, db, kp, k.mv_size, p, n);
    }
    if (rc != MDB_NOTFOUND)
        problem(c, "%s: LMDB cannot walk on after %llu entries: %s", name,
                (unsigned long long)walked, mdb_strerror(rc));
    else if (walked != ms.ms_entries)
        problem(c, "%s: LMDB counts %llu entries but the walk found %llu (a damaged B-tree page)",
                name, (unsigned long long)ms.ms_entries, (unsigned long long)walked);
    mdb_cursor_close(cur);
    return walked;
}

/* Heights 1..n of a sorted list must run without gaps from its first. */
static void check_contiguous(check_ctx *c, const char *name, const hbuf *heights) {
    size_t n = heights->len / 8;
    for (size_t i = 1; i < n; i++) {
        uint64_t a = le64_load(heights->data + 8 * (i - 1)), b = le64_load(heights->data + 8 * i);
        if (b != a + 1)
            problem(c, "%s: heights %llu to %llu are missing", name, (unsigned long long)a + 1,
                    (unsigned long long)b - 1);
    }
}

/* The position of height in the sorted list, or SIZE_MAX. */
static size_t find_height(const hbuf *heights, uint64_t h) {
    size_t lo = 0, hi = heights->len / 8;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t x = le64_load(heights->data + 8 * mid);
        if (x == h) return mid;
        if (x < h) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

/* Blocks against the tip, the commits and the hash index. */
static void check_cross(check_ctx *c) {
    store_check_summary *s = c->sum;
    const hbuf *bh = &c->block_heights;
    size_t nb = bh->len / 8;
    if (nb > 0) s->first_height = le64_load(bh->data);
    check_contiguous(c, "blocks", bh);
    check_contiguous(c, "commits", &c->commit_heights);
    if (nb > 0 && !s->has_tip) problem(c, "meta: no tip, yet %zu blocks are stored", nb);
    if (nb == 0 && s->has_tip) problem(c, "meta: a tip at height %llu, yet no block is stored",
                                       (unsigned long long)s->tip.height);
    if (nb > 0 && s->has_tip) {
        uint64_t last = le64_load(bh->data + 8 * (nb - 1));
        if (last != s->tip.height)
            problem(c, "meta: the tip is height %llu but the last stored block is %llu",
                    (unsigned long long)s->tip.height, (unsigned long long)last);
        else if (memcmp(c->block_hashes.data + HANSA_HASH_BYTES * (nb - 1), s->tip.block_hash.b,
                        HANSA_HASH_BYTES) != 0)
            problem(c, "meta: the tip's block hash differs from the hash stored with block %llu",
                    (unsigned long long)last);
    }
    for (size_t i = 0; i < c->commit_heights.len / 8; i++) {
        uint64_t h = le64_load(c->commit_heights.data + 8 * i);
        if (find_height(bh, h) == SIZE_MAX)
            problem(c, "commits at height %llu: no block at that height", (unsigned long long)h);
    }
    for (size_t i = 0; i < nb; i++) {
        uint64_t h = le64_load(bh->data + 8 * i);
        if (find_height(&c->commit_heights, h) == SIZE_MAX)
            problem(c, "blocks at height %llu: no commit certificate", (unsigned long long)h);
        /* The block's hash must lead back to it through the index. */
        const uint8_t *hash = c->block_hashes.data + HANSA_HASH_BYTES * i;
        const uint8_t *p;
        size_t n;
        MDB_val key = {HANSA_HASH_BYTES, (void *)hash}, val;
        char hex[2 * HANSA_HASH_BYTES + 1];
        hex_encode(hash, HANSA_HASH_BYTES, hex);
        int rc = mdb_get(c->txn, c->st->dbi[DB_BLOCK_INDEX], &key, &val);
        char why[160];
        if (rc != 0)
            problem(c, "block_index: no entry for block %llu (hash %.16s...): %s",
                    (unsigned long long)h, hex, mdb_strerror(rc));
        else if (store_record_check(val.mv_data, val.mv_size, STORE_REC_BLOCK_INDEX, hash,
                                    HANSA_HASH_BYTES, &p, &n, why, sizeof why) != HANSA_OK ||
                 n != 8 || le64_load(p) != h)
            problem(c, "block_index at hash %.16s...: does not point at block %llu", hex,
                    (unsigned long long)h);
    }
    if (s->block_index != nb)
        problem(c, "block_index: %llu entries for %zu blocks", (unsigned long long)s->block_index,
                nb);
}

hansa_err store_check(store *st, store_check_summary *sum, store_problem_fn report, void *ctx) {
    call_enter(st);
    HANSA_ASSERT(sum != NULL && report != NULL);
    memset(sum, 0, sizeof *sum);
    if (st->be) /* what it checks is LMDB's pages; a backend checks its records on every read */
        return st_fail(st, HANSA_ERR_STATE, "store_check works on LMDB stores only");
    check_ctx c = {.st = st, .sum = sum, .report = report, .ctx = ctx};
    hansa_err e = read_begin(st, &c.txn);
    if (e != HANSA_OK) return e;
    e = read_tip(st, c.txn, &sum->tip);
    if (e == HANSA_OK) sum->has_tip = true;
    else if (e != HANSA_ERR_NOT_FOUND) problem(&c, "meta: %s", st->errmsg);
    sum->blocks = check_db(&c, DB_BLOCKS);
    sum->commits = check_db(&c, DB_COMMITS);
    sum->block_index = check_db(&c, DB_BLOCK_INDEX);
    sum->tx_index = check_db(&c, DB_TX_INDEX);
    if (st->has_tx_log) check_db(&c, DB_TX_LOG);
    sum->tx_index += c.tx_logged; /* an entry counts once indexed or still logged */
    sum->tx_index -= c.tx_pruned; /* entries of kept heights only */
    sum->tx_pruned = c.tx_pruned;
    sum->state = check_db(&c, DB_STATE);
    sum->wal = check_db(&c, DB_WAL);
    check_db(&c, DB_VALSETS);
    check_db(&c, DB_RECEIPTS);
    if (st->has_checkpoints) check_db(&c, DB_CHECKPOINTS);
    if (st->has_snap) check_db(&c, DB_SNAP);
    check_db(&c, DB_META);
    check_db(&c, DB_SIGNER);
    check_cross(&c);
    mdb_txn_abort(c.txn);
    hbuf_free(&c.block_hashes);
    hbuf_free(&c.block_heights);
    hbuf_free(&c.commit_heights);
    sum->problems = c.problems;
    st->errmsg[0] = '\0';
    if (c.problems == 0) return HANSA_OK;
    snprintf(st->errmsg, sizeof st->errmsg, "%llu problem(s) found",
             (unsigned long long)c.problems);
    return HANSA_ERR_CORRUPT;
}
