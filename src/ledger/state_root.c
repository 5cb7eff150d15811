/* state_root.c — see state_root.h. The root is streamed (merkle_stream):
 * one pass over the sorted records, no array of leaf hashes. */
#include "ledger/state_root.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/merkle.h"
#include "wire/state_hash.h"

bool ledger_is_checkpoint(const ledger_params *p, uint64_t height) {
    return p->checkpoint_blocks != 0 && height != 0 && height % p->checkpoint_blocks == 0;
}

void ledger_record_leaf_hash(const uint8_t *key, size_t key_len, const uint8_t *val,
                             size_t val_len, hansa_hash *out) {
    state_record_leaf_hash(key, key_len, val, val_len, out);
}

static void add_write(merkle_stream *m, const ledger_writes *ws, size_t i) {
    size_t klen, vlen;
    const uint8_t *k = ledger_write_key(ws, i, &klen), *v = ledger_write_value(ws, i, &vlen);
    if (vlen == 0) return; /* a deletion */
    hansa_hash leaf;
    ledger_record_leaf_hash(k, klen, v, vlen, &leaf);
    merkle_stream_add(m, &leaf);
}

void ledger_records_root(const ledger_writes *records, hansa_hash *out) {
    ledger_state_root_after(NULL, records, out);
}

/* memcmp, then the shorter first: the order of writes.h. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return (alen > blen) - (alen < blen);
}

void ledger_state_root_after(const ledger_state *base, const ledger_writes *writes,
                             hansa_hash *out) {
    HANSA_ASSERT(writes->sorted || writes->n == 0);
    ledger_writes recs = LEDGER_WRITES_INIT;
    if (base != NULL) ledger_state_records(base, &recs);
    merkle_stream m;
    merkle_stream_init(&m);
    size_t i = 0, j = 0; /* merge: a write wins over the record of its key */
    while (i < recs.n || j < writes->n) {
        int c;
        if (i == recs.n) c = 1;
        else if (j == writes->n) c = -1;
        else {
            size_t alen, blen;
            const uint8_t *a = ledger_write_key(&recs, i, &alen);
            const uint8_t *b = ledger_write_key(writes, j, &blen);
            c = key_cmp(a, alen, b, blen);
        }
        if (c < 0) add_write(&m, &recs, i++);
        else {
            add_write(&m, writes, j++);
            if (c == 0) i++;
        }
    }
    merkle_stream_root(&m, out);
    ledger_writes_free(&recs);
}

void ledger_state_root(const ledger_state *s, hansa_hash *out) {
    ledger_writes none = LEDGER_WRITES_INIT;
    ledger_state_root_after(s, &none, out);
}

/* The index of the newest key record among sorted records: keys 59 | epoch
 * BE sort by epoch, so it is the last of them. */
static bool newest_key_index(const ledger_writes *records, size_t *at) {
    bool found = false;
    for (size_t i = 0; i < records->n; i++) {
        size_t klen;
        const uint8_t *k = ledger_write_key(records, i, &klen);
        if (klen == FROST_KEY_GROUP_BYTES && k[0] == FROST_KEY_GROUP) {
            *at = i;
            found = true;
        }
    }
    return found;
}

bool ledger_key_proof(const ledger_writes *records, const hansa_hash *prev_app_hash,
                      const hansa_hash *writes_hash, ic_key_proof *out) {
    memset(out, 0, sizeof *out);
    size_t at;
    if (!newest_key_index(records, &at)) return false;
    size_t klen, vlen;
    const uint8_t *k = ledger_write_key(records, at, &klen), *v = ledger_write_value(records, at, &vlen);
    out->epoch = be64_load(k + 1);
    HANSA_ASSERT(frost_group_rec_decode(v, vlen, &out->rec, NULL) == HANSA_OK);
    hansa_hash *leaves = hansa_malloc(records->n * sizeof *leaves);
    for (size_t i = 0; i < records->n; i++) {
        k = ledger_write_key(records, i, &klen);
        v = ledger_write_value(records, i, &vlen);
        ledger_record_leaf_hash(k, klen, v, vlen, &leaves[i]);
    }
    merkle_root(leaves, records->n, &out->state_root);
    out->path_len = (uint8_t)merkle_proof(leaves, records->n, at, out->path);
    free(leaves);
    out->leaf_index = at;
    out->n_leaves = records->n;
    out->prev_app_hash = *prev_app_hash;
    out->writes_hash = *writes_hash;
    return true;
}

void ledger_app_hash_checkpoint(const hansa_hash *prev, uint64_t height,
                                const hansa_hash *writes_hash, const hansa_hash *state_root,
                                hansa_hash *out) {
    state_app_hash_checkpoint(prev, height, writes_hash, state_root, out);
}

void ledger_snap_info_encode(hbuf *b, const ledger_snap_info *in) {
    size_t start = b->len;
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, in->height);
    hbuf_append(b, in->app_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, in->prev_app_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, in->writes_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, in->state_root.b, HANSA_HASH_BYTES);
    hbuf_put_u64(b, in->records);
    hbuf_put_u64(b, in->bytes);
    HANSA_ASSERT(b->len - start == LEDGER_SNAP_INFO_BYTES);
}

hansa_err ledger_snap_info_decode(const uint8_t *p, size_t len, ledger_snap_info *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    rd_init(r, p, len);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    out->height = rd_u64(r, "height");
    if (r->err == HANSA_OK && out->height == 0) rd_fail(r, HANSA_ERR_INVALID, "height");
    rd_fixed(r, out->app_hash.b, HANSA_HASH_BYTES, "app_hash");
    rd_fixed(r, out->prev_app_hash.b, HANSA_HASH_BYTES, "prev_app_hash");
    rd_fixed(r, out->writes_hash.b, HANSA_HASH_BYTES, "writes_hash");
    rd_fixed(r, out->state_root.b, HANSA_HASH_BYTES, "state_root");
    out->records = rd_u64(r, "records");
    if (r->err == HANSA_OK && out->records == 0) rd_fail(r, HANSA_ERR_INVALID, "records");
    out->bytes = rd_u64(r, "bytes");
    rd_end(r);
    if (r->err != HANSA_OK) memset(out, 0, sizeof *out);
    return r->err;
}

bool ledger_snap_info_consistent(const ledger_snap_info *in) {
    hansa_hash want;
    ledger_app_hash_checkpoint(&in->prev_app_hash, in->height, &in->writes_hash, &in->state_root,
                               &want);
    return hash_eq(&want, &in->app_hash);
}
