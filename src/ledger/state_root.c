/* state_root.c — see state_root.h. The root is streamed (merkle_stream)
 * over the state's cached leaf hashes (leaves.h) merged with the block's
 * writes; the from-scratch root rebuilds those leaves from every record. */
#include "ledger/state_root.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/merkle.h"
#include "ledger/leaves.h"
#include "wire/state_hash.h"

bool ledger_is_checkpoint(const ledger_params *p, uint64_t height) {
    return p->checkpoint_blocks != 0 && height != 0 && height % p->checkpoint_blocks == 0;
}

void ledger_record_leaf_hash(const uint8_t *key, size_t key_len, const uint8_t *val,
                             size_t val_len, hansa_hash *out) {
    state_record_leaf_hash(key, key_len, val, val_len, out);
}

static bool state_value(const void *ctx, const uint8_t *key, size_t klen, hbuf *out) {
    return ledger_state_record_value(ctx, key, klen, out);
}

/* The root from scratch: every record encoded, sorted and hashed. */
static void root_after_full(const ledger_state *base, const ledger_writes *records,
                            const ledger_writes *writes, hansa_hash *out) {
    ledger_writes recs = LEDGER_WRITES_INIT;
    if (base != NULL) ledger_state_records(base, &recs);
    ledger_leaves leaves = {0};
    ledger_leaves_build(&leaves, base != NULL ? &recs : records);
    ledger_leaves_root_after(&leaves, writes, out);
    ledger_leaves_free(&leaves);
    ledger_writes_free(&recs);
}

void ledger_records_root(const ledger_writes *records, hansa_hash *out) {
    ledger_writes none = LEDGER_WRITES_INIT;
    root_after_full(NULL, records, &none, out);
}

void ledger_state_root_after(const ledger_state *base, const ledger_writes *writes,
                             hansa_hash *out) {
    if (!ledger_leaves_current(&base->leaves)) { /* no refresh since the last commit */
        root_after_full(base, NULL, writes, out);
        return;
    }
    ledger_leaves_root_after(&base->leaves, writes, out);
#ifndef NDEBUG /* debug builds (the tests) check the cached leaves at every checkpoint */
    hansa_hash full;
    root_after_full(base, NULL, writes, &full);
    HANSA_ASSERT(hash_eq(&full, out));
#endif
}

void ledger_state_leaves_refresh(ledger_state *s) {
    ledger_leaves_refresh(&s->leaves, state_value, s);
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
    r = rd_begin(r, &local, p, len, out, sizeof *out, LEDGER_RECORD_VERSION);
    out->height = rd_u64(r, "height");
    if (r->err == HANSA_OK && out->height == 0) rd_fail(r, HANSA_ERR_INVALID, "height");
    rd_fixed(r, out->app_hash.b, HANSA_HASH_BYTES, "app_hash");
    rd_fixed(r, out->prev_app_hash.b, HANSA_HASH_BYTES, "prev_app_hash");
    rd_fixed(r, out->writes_hash.b, HANSA_HASH_BYTES, "writes_hash");
    rd_fixed(r, out->state_root.b, HANSA_HASH_BYTES, "state_root");
    out->records = rd_u64(r, "records");
    if (r->err == HANSA_OK && out->records == 0) rd_fail(r, HANSA_ERR_INVALID, "records");
    out->bytes = rd_u64(r, "bytes");
    return rd_close(r, out, sizeof *out);
}

bool ledger_snap_info_consistent(const ledger_snap_info *in) {
    hansa_hash want;
    ledger_app_hash_checkpoint(&in->prev_app_hash, in->height, &in->writes_hash, &in->state_root,
                               &want);
    return hash_eq(&want, &in->app_hash);
}
