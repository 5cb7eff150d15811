/* leaves.c — see leaves.h. */
#include "ledger/leaves.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/merkle.h"
#include "ledger/state_root.h"

static void clear(ledger_leaves *c) {
    for (size_t i = 0; i < c->n; i++) free(c->e[i]);
    c->n = 0;
    c->n_stale = 0;
}

void ledger_leaves_free(ledger_leaves *c) {
    clear(c);
    free(c->e);
    memset(c, 0, sizeof *c);
}

static void reserve(ledger_leaves *c, size_t n) {
    if (n <= c->cap) return;
    size_t cap = c->cap ? c->cap : 64;
    while (cap < n) cap *= 2;
    c->e = hansa_realloc(c->e, cap * sizeof *c->e);
    c->cap = cap;
}

static ledger_leaf *leaf_new(const uint8_t *key, size_t klen) {
    HANSA_ASSERT(klen >= 1);
    HANSA_ASSERT(klen <= LEDGER_KEY_MAX_BYTES);
    ledger_leaf *l = hansa_malloc(sizeof *l);
    memcpy(l->key, key, klen);
    l->klen = (uint8_t)klen;
    l->stale = true;
    return l;
}

void ledger_leaves_build(ledger_leaves *c, const ledger_writes *records) {
    HANSA_ASSERT(records->sorted || records->n == 0);
    clear(c);
    reserve(c, records->n);
    for (size_t i = 0; i < records->n; i++) {
        size_t klen, vlen;
        const uint8_t *k = ledger_write_key(records, i, &klen);
        const uint8_t *v = ledger_write_value(records, i, &vlen);
        HANSA_ASSERT(vlen > 0); /* a whole state has no deletions */
        ledger_leaf *l = leaf_new(k, klen);
        ledger_record_leaf_hash(k, klen, v, vlen, &l->leaf);
        l->stale = false;
        c->e[c->n++] = l;
    }
    c->built = true;
}

/* The first index whose key is >= key (c->n if none). */
static size_t lower_bound(const ledger_leaves *c, size_t lo, const uint8_t *key, size_t klen) {
    size_t hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ledger_key_cmp(c->e[mid]->key, c->e[mid]->klen, key, klen) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void mark_stale(ledger_leaves *c, ledger_leaf *l) {
    if (!l->stale) c->n_stale++;
    l->stale = true;
}

/* Records that key now has a record (present) or none, searching from
 * index `from`; returns the key's index, for the next search to start at. */
static size_t touch(ledger_leaves *c, size_t from, const uint8_t *key, size_t klen, bool present) {
    size_t at = lower_bound(c, from, key, klen);
    bool found = at < c->n && ledger_key_cmp(c->e[at]->key, c->e[at]->klen, key, klen) == 0;
    if (!present) {
        if (!found) return at;
        if (c->e[at]->stale) c->n_stale--;
        free(c->e[at]);
        memmove(&c->e[at], &c->e[at + 1], (c->n - at - 1) * sizeof *c->e);
        c->n--;
    } else if (found) {
        mark_stale(c, c->e[at]);
    } else {
        reserve(c, c->n + 1);
        memmove(&c->e[at + 1], &c->e[at], (c->n - at) * sizeof *c->e);
        c->e[at] = leaf_new(key, klen);
        c->n++;
        c->n_stale++;
    }
    return at;
}

void ledger_leaves_apply(ledger_leaves *c, const ledger_writes *writes) {
    HANSA_ASSERT(c->built);
    HANSA_ASSERT(writes->sorted || writes->n == 0);
    size_t at = 0; /* writes are sorted: each search starts where the last ended */
    for (size_t j = 0; j < writes->n; j++) {
        size_t klen, vlen;
        const uint8_t *k = ledger_write_key(writes, j, &klen);
        (void)ledger_write_value(writes, j, &vlen);
        at = touch(c, at, k, klen, vlen > 0);
    }
}

void ledger_leaves_touch(ledger_leaves *c, const uint8_t *key, size_t klen, bool present) {
    HANSA_ASSERT(c->built);
    (void)touch(c, 0, key, klen, present);
}

/* The leaf hash of entry l as the state holds it now. */
static void leaf_of(const ledger_leaf *l, ledger_leaves_value_fn value, const void *ctx,
                    hbuf *scratch, hansa_hash *out) {
    if (!l->stale) {
        *out = l->leaf;
        return;
    }
    scratch->len = 0;
    HANSA_ASSERT(value(ctx, l->key, l->klen, scratch));
    ledger_record_leaf_hash(l->key, l->klen, scratch->data, scratch->len, out);
}

void ledger_leaves_refresh(ledger_leaves *c, ledger_leaves_value_fn value, const void *ctx) {
    HANSA_ASSERT(c->built);
    if (c->n_stale == 0) return;
    hbuf scratch = HBUF_INIT;
    for (size_t i = 0; i < c->n; i++) {
        ledger_leaf *l = c->e[i];
        if (!l->stale) continue;
        leaf_of(l, value, ctx, &scratch, &l->leaf);
        l->stale = false;
    }
    c->n_stale = 0;
    hbuf_free(&scratch);
}

static void add_write(merkle_stream *m, const ledger_writes *ws, size_t j) {
    size_t klen, vlen;
    const uint8_t *k = ledger_write_key(ws, j, &klen), *v = ledger_write_value(ws, j, &vlen);
    if (vlen == 0) return; /* a deletion */
    hansa_hash leaf;
    ledger_record_leaf_hash(k, klen, v, vlen, &leaf);
    merkle_stream_add(m, &leaf);
}

void ledger_leaves_root_after(const ledger_leaves *c, const ledger_writes *writes,
                              ledger_leaves_value_fn value, const void *ctx, hansa_hash *out) {
    HANSA_ASSERT(c->built);
    HANSA_ASSERT(writes->sorted || writes->n == 0);
    hbuf scratch = HBUF_INIT;
    merkle_stream m;
    merkle_stream_init(&m);
    size_t i = 0, j = 0; /* merge: a write wins over the cached leaf of its key */
    while (i < c->n || j < writes->n) {
        int cmp;
        if (i == c->n) cmp = 1;
        else if (j == writes->n) cmp = -1;
        else {
            size_t klen;
            const uint8_t *k = ledger_write_key(writes, j, &klen);
            cmp = ledger_key_cmp(c->e[i]->key, c->e[i]->klen, k, klen);
        }
        if (cmp < 0) {
            hansa_hash leaf;
            leaf_of(c->e[i++], value, ctx, &scratch, &leaf);
            merkle_stream_add(&m, &leaf);
        } else {
            add_write(&m, writes, j++);
            if (cmp == 0) i++;
        }
    }
    merkle_stream_root(&m, out);
    hbuf_free(&scratch);
}
