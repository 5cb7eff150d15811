/* writes.c — see writes.h. Values are encoded straight into one byte buffer
 * and addressed by offset, so a block of 10,000 transfers makes a handful of
 * allocations, not tens of thousands. */
#define _GNU_SOURCE /* qsort_r */
#include "ledger/writes.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/memo.h"
#include "crypto/sha256.h"

void ledger_writes_free(ledger_writes *ws) {
    free(ws->w);
    hbuf_free(&ws->data);
    memset(ws, 0, sizeof *ws);
}

void ledger_writes_clear(ledger_writes *ws, size_t keep_bytes) {
    if (ws->data.cap > keep_bytes) {
        ledger_writes_free(ws);
        return;
    }
    ws->n = 0;
    hbuf_reset(&ws->data);
    ws->sorted = false;
}

void ledger_writes_begin(ledger_writes *ws, const uint8_t *key, size_t key_len) {
    HANSA_ASSERT(key_len > 0);
    HANSA_ASSERT(key_len <= UINT16_MAX);
    HANSA_ASSERT(ws->data.len + key_len < UINT32_MAX);
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 16;
        ws->w = hansa_realloc(ws->w, ws->cap * sizeof *ws->w);
    }
    ledger_write *w = &ws->w[ws->n++];
    w->key_off = (uint32_t)ws->data.len;
    w->key_len = (uint32_t)key_len;
    hbuf_append(&ws->data, key, key_len);
    w->val_off = (uint32_t)ws->data.len;
    w->val_len = 0;
    ws->sorted = false;
}

void ledger_writes_end_value(ledger_writes *ws) {
    HANSA_ASSERT(ws->n > 0);
    ledger_write *w = &ws->w[ws->n - 1];
    HANSA_ASSERT(ws->data.len >= w->val_off);
    HANSA_ASSERT(ws->data.len < UINT32_MAX);
    w->val_len = (uint32_t)(ws->data.len - w->val_off);
    HANSA_ASSERT(w->val_len > 0); /* every record has at least its version byte */
}

void ledger_writes_end_delete(ledger_writes *ws) {
    HANSA_ASSERT(ws->n > 0);
    ledger_write *w = &ws->w[ws->n - 1];
    HANSA_ASSERT(ws->data.len == w->val_off); /* nothing was encoded */
    w->val_len = 0;
}

int ledger_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return (alen > blen) - (alen < blen);
}

static int key_cmp(const void *a, const void *b, void *ctx) {
    const uint8_t *data = ctx;
    const ledger_write *x = a, *y = b;
    return ledger_key_cmp(data + x->key_off, x->key_len, data + y->key_off, y->key_len);
}

void ledger_writes_sort(ledger_writes *ws) {
    if (ws->n > 1) qsort_r(ws->w, ws->n, sizeof *ws->w, key_cmp, ws->data.data);
    for (size_t i = 1; i < ws->n; i++)
        HANSA_ASSERT(key_cmp(&ws->w[i - 1], &ws->w[i], ws->data.data) < 0);
    ws->sorted = true;
}

const uint8_t *ledger_write_key(const ledger_writes *ws, size_t i, size_t *len) {
    HANSA_ASSERT(i < ws->n);
    *len = ws->w[i].key_len;
    return ws->data.data + ws->w[i].key_off;
}

const uint8_t *ledger_write_value(const ledger_writes *ws, size_t i, size_t *len) {
    HANSA_ASSERT(i < ws->n);
    *len = ws->w[i].val_len;
    return ws->data.data + ws->w[i].val_off;
}

/* Appends n bytes at p to the hash through buf (HASH_BATCH_BYTES, *used of
 * them taken): one sha256_update per batch instead of four per write, each
 * of which has a cost of its own for a few bytes. Same digest: SHA-256 of
 * the concatenation. */
#define HASH_BATCH_BYTES 4096

static void batch_add(sha256_ctx *c, uint8_t *buf, size_t *used, const uint8_t *p, size_t n) {
    if (*used + n > HASH_BATCH_BYTES) {
        sha256_update(c, buf, *used);
        *used = 0;
    }
    if (n > HASH_BATCH_BYTES) {
        sha256_update(c, p, n);
        return;
    }
    memcpy(buf + *used, p, n);
    *used += n;
}

/* The memos of ledger_writes_hash_memo (base/memo.h): the writes hash's,
 * keyed by the stream laid out whole, and the app hash's, keyed by its
 * 72-byte input. */
static _Thread_local hash_memo memo, app_memo;

void ledger_writes_hash_memo(bool on) {
    hash_memo_switch(&memo, on);
    hash_memo_switch(&app_memo, on);
}

bool ledger_writes_hash_memo_on(void) {
    return memo.on;
}

/* SHA-256 of the writes' stream (each key and value behind its u32
 * length), fed in batches: the hash's one definition, memo or not. */
static void hash_batched(const ledger_writes *ws, hansa_hash *out) {
    sha256_ctx c;
    sha256_init(&c);
    uint8_t buf[HASH_BATCH_BYTES];
    size_t used = 0;
    for (size_t i = 0; i < ws->n; i++) {
        const ledger_write *w = &ws->w[i];
        uint8_t len[4];
        le32_store(len, w->key_len);
        batch_add(&c, buf, &used, len, 4);
        batch_add(&c, buf, &used, ws->data.data + w->key_off, w->key_len);
        le32_store(len, w->val_len);
        batch_add(&c, buf, &used, len, 4);
        batch_add(&c, buf, &used, ws->data.data + w->val_off, w->val_len);
    }
    sha256_update(&c, buf, used);
    sha256_final(&c, out);
}

/* hash_batched of the write set ctx: the writes memo's compute. */
static void hash_batched_of(const void *ctx, hansa_hash *out) {
    hash_batched(ctx, out);
}

/* The hash from the memo: the stream laid out whole is only the memo's
 * key, compared with the last one; a miss is hashed by hash_batched, so
 * the simulator still runs (and its digests still pin) the loop a node
 * runs. */
static void hash_memoized(const ledger_writes *ws, hansa_hash *out) {
    hbuf *b = hash_memo_next(&memo);
    for (size_t i = 0; i < ws->n; i++) {
        const ledger_write *w = &ws->w[i];
        hbuf_put_u32(b, w->key_len);
        hbuf_append(b, ws->data.data + w->key_off, w->key_len);
        hbuf_put_u32(b, w->val_len);
        hbuf_append(b, ws->data.data + w->val_off, w->val_len);
    }
    hash_memo_answer_next(&memo, hash_batched_of, ws, out);
}

void ledger_writes_hash(const ledger_writes *ws, hansa_hash *out) {
    HANSA_ASSERT(ws->sorted || ws->n == 0);
    if (memo.on && ws->n > 0) hash_memoized(ws, out);
    else hash_batched(ws, out);
}

#define APP_HASH_INPUT_BYTES (HANSA_HASH_BYTES + 8 + HANSA_HASH_BYTES)

/* SHA-256 of the app hash's input ctx: the app memo's compute. */
static void app_hash_of(const void *ctx, hansa_hash *out) {
    sha256(ctx, APP_HASH_INPUT_BYTES, out);
}

void ledger_app_hash_next(const hansa_hash *prev, uint64_t height, const hansa_hash *writes_hash,
                          hansa_hash *out) {
    uint8_t buf[APP_HASH_INPUT_BYTES];
    memcpy(buf, prev->b, HANSA_HASH_BYTES);
    le64_store(buf + HANSA_HASH_BYTES, height);
    memcpy(buf + HANSA_HASH_BYTES + 8, writes_hash->b, HANSA_HASH_BYTES);
    hash_memo_answer(&app_memo, buf, sizeof buf, app_hash_of, buf, out);
}
