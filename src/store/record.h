/* record.h — the header every value on disk carries, and its check.
 *
 * The store never hands out a byte it has not checked: each LMDB value is
 * a 10-byte header followed by the payload, and the header's CRC-32C covers
 * the LMDB key as well as the header fields and the payload, so a record
 * that is damaged, truncated, written by a newer format, or found under the
 * wrong key (a misdirected page) is reported, never used.
 *
 *   offset  size  field
 *   0       1     version   STORE_RECORD_VERSION (1)
 *   1       1     type      store_rec_type; each database holds one type
 *   2       4     length    payload bytes, u32 little-endian; must equal
 *                           the LMDB value size minus 10
 *   6       4     crc32c    u32 little-endian, CRC-32C of
 *                           key || bytes 0..5 of this header || payload
 *   10      len   payload
 *
 * This file knows nothing of LMDB, so it can be tested (and fuzzed) on plain
 * bytes. The table is repeated with the per-database payloads in
 * docs/storage.md. */
#ifndef HANSA_STORE_RECORD_H
#define HANSA_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define STORE_RECORD_VERSION 1
#define STORE_RECORD_HEADER_BYTES 10
/* Largest payload of any record: a maximal block (WIRE_BLOCK_BYTES_MAX,
 * 24 MiB) plus its hash fits with room; checked in store.c. */
#define STORE_PAYLOAD_BYTES_MAX (64u << 20)

/* Record types. Values are on disk: append only. */
typedef enum {
    STORE_REC_BLOCK = 1,       /* blocks: block hash (32) || block bytes */
    STORE_REC_BLOCK_INDEX = 2, /* block_index: height u64 LE */
    STORE_REC_COMMIT = 3,      /* commits: commit certificate bytes */
    STORE_REC_STATE = 4,       /* state: the ledger's value bytes */
    STORE_REC_META_TIP = 5,    /* meta "tip": height u64 LE || app hash || block hash */
    STORE_REC_SIGNER = 6,      /* signer "signer": consensus signer state bytes */
    STORE_REC_WAL = 7,         /* wal: one consensus WAL record */
    STORE_REC_TX_INDEX = 8,    /* tx_index: height u64 LE || index u32 LE */
    STORE_REC_VALSET = 9,      /* valsets: an encoded validator set (wire valset) */
    STORE_REC_RECEIPT = 10,    /* receipts: one outstanding guarantee (node/receipts.c) */
    STORE_REC_TX_LOG = 11,     /* tx_log: a block's (tx hash || index u32 LE) entries */
    STORE_REC_CHECKPOINT = 12, /* checkpoints: a signed FROST checkpoint (threshold/checkpoint.h) */
    STORE_REC_SNAP = 13,       /* snapshots: a snapshot's info, or one record of it */
} store_rec_type;

/* Fills the 10-byte header `hdr` for `payload` (plen bytes, <=
 * STORE_PAYLOAD_BYTES_MAX) stored under `key`. The payload may already sit
 * right after hdr (the store writes it in place), or anywhere else. */
void store_record_seal(uint8_t hdr[STORE_RECORD_HEADER_BYTES], store_rec_type type,
                       const uint8_t *key, size_t klen, const uint8_t *payload, size_t plen);

/* The two halves of store_record_seal, for a writer that checksums later
 * (the simulator's disk, whose records are read fifty times less often than
 * written): the header's version, type and length, then its checksum, from
 * the header as it stands and the payload of the length it names. */
void store_record_seal_fields(uint8_t hdr[STORE_RECORD_HEADER_BYTES], store_rec_type type, size_t plen);
void store_record_seal_crc(uint8_t hdr[STORE_RECORD_HEADER_BYTES], const uint8_t *key, size_t klen,
                           const uint8_t *payload);

/* Checks the record `val` (len bytes) read under `key` against the expected
 * type. Returns HANSA_OK and points *payload and *plen into val, or
 * HANSA_ERR_CORRUPT and writes why (bad version, type, length, checksum) as
 * one line into why[why_n]. Never reads outside val. */
hansa_err store_record_check(const uint8_t *val, size_t len, store_rec_type type,
                             const uint8_t *key, size_t klen, const uint8_t **payload,
                             size_t *plen, char *why, size_t why_n);

#endif
