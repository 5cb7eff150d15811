/* leaves.c — see leaves.h. */
#define _GNU_SOURCE /* qsort_r */
#include "ledger/leaves.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/merkle.h"
#include "ledger/state_root.h"

void ledger_leaves_free(ledger_leaves *c) {
    free(c->e);
    free(c->spare);
    free(c->notes);
    hbuf_free(&c->noted_keys);
    memset(c, 0, sizeof *c);
}

/* Room for n entries in both arrays. */
static void reserve(ledger_leaves *c, size_t n) {
    if (n <= c->cap) return;
    size_t cap = c->cap ? c->cap : 64;
    while (cap < n) cap *= 2;
    c->e = hansa_realloc(c->e, cap * sizeof *c->e);
    c->spare = hansa_realloc(c->spare, cap * sizeof *c->spare);
    c->cap = cap;
}

static void leaf_set(ledger_leaf *l, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen) {
    HANSA_ASSERT(klen >= 1);
    HANSA_ASSERT(klen <= LEDGER_KEY_MAX_BYTES);
    memcpy(l->key, key, klen);
    l->klen = (uint8_t)klen;
    ledger_record_leaf_hash(key, klen, val, vlen, &l->leaf);
}

static void forget_notes(ledger_leaves *c) {
    c->n_notes = 0;
    hbuf_reset(&c->noted_keys);
}

void ledger_leaves_build(ledger_leaves *c, const ledger_writes *records) {
    HANSA_ASSERT(records->sorted || records->n == 0);
    reserve(c, records->n);
    c->n = 0;
    for (size_t i = 0; i < records->n; i++) {
        size_t klen, vlen;
        const uint8_t *k = ledger_write_key(records, i, &klen);
        const uint8_t *v = ledger_write_value(records, i, &vlen);
        HANSA_ASSERT(vlen > 0); /* a whole state has no deletions */
        leaf_set(&c->e[c->n++], k, klen, v, vlen);
    }
    forget_notes(c);
    c->built = true;
}

void ledger_leaves_note(ledger_leaves *c, const uint8_t *key, size_t klen) {
    HANSA_ASSERT(c->built);
    HANSA_ASSERT(klen >= 1);
    HANSA_ASSERT(klen <= LEDGER_KEY_MAX_BYTES);
    HANSA_ASSERT(c->noted_keys.len + klen < UINT32_MAX);
    if (c->n_notes == c->cap_notes) {
        c->cap_notes = c->cap_notes ? 2 * c->cap_notes : 64;
        c->notes = hansa_realloc(c->notes, c->cap_notes * sizeof *c->notes);
    }
    c->notes[c->n_notes++] = (ledger_leaf_note){(uint32_t)c->noted_keys.len, (uint8_t)klen};
    hbuf_append(&c->noted_keys, key, klen);
}

void ledger_leaves_note_writes(ledger_leaves *c, const ledger_writes *writes) {
    for (size_t j = 0; j < writes->n; j++) {
        size_t klen;
        const uint8_t *k = ledger_write_key(writes, j, &klen);
        ledger_leaves_note(c, k, klen);
    }
}

bool ledger_leaves_current(const ledger_leaves *c) {
    HANSA_ASSERT(c->built);
    return c->n_notes == 0;
}

static int note_cmp(const void *a, const void *b, void *ctx) {
    const uint8_t *keys = ctx;
    const ledger_leaf_note *x = a, *y = b;
    return ledger_key_cmp(keys + x->off, x->len, keys + y->off, y->len);
}

void ledger_leaves_refresh(ledger_leaves *c, ledger_leaves_value_fn value, const void *ctx) {
    HANSA_ASSERT(c->built);
    if (c->n_notes == 0) return;
    const uint8_t *keys = c->noted_keys.data;
    qsort_r(c->notes, c->n_notes, sizeof *c->notes, note_cmp, (void *)keys);
    reserve(c, c->n + c->n_notes);
    hbuf val = HBUF_INIT;
    size_t i = 0, j = 0, m = 0; /* merge the entries (i) with the sorted notes (j) into spare */
    while (i < c->n || j < c->n_notes) {
        int cmp = 1; /* past the entries: the note comes first */
        const uint8_t *k = j < c->n_notes ? keys + c->notes[j].off : NULL;
        size_t klen = j < c->n_notes ? c->notes[j].len : 0;
        if (j == c->n_notes) cmp = -1;
        else if (i < c->n) cmp = ledger_key_cmp(c->e[i].key, c->e[i].klen, k, klen);
        if (cmp < 0) {
            c->spare[m++] = c->e[i++];
            continue;
        }
        if (cmp == 0) i++; /* the noted key's current record replaces the entry */
        hbuf_reset(&val);
        if (value(ctx, k, klen, &val)) leaf_set(&c->spare[m++], k, klen, val.data, val.len);
        do j++; /* the same key noted by several commits */
        while (j < c->n_notes && note_cmp(&c->notes[j - 1], &c->notes[j], (void *)keys) == 0);
    }
    hbuf_free(&val);
    ledger_leaf *t = c->e;
    c->e = c->spare;
    c->spare = t;
    c->n = m;
    forget_notes(c);
}

void ledger_leaves_root_after(const ledger_leaves *c, const ledger_writes *writes,
                              hansa_hash *out) {
    HANSA_ASSERT(ledger_leaves_current(c));
    HANSA_ASSERT(writes->sorted || writes->n == 0);
    merkle_stream m;
    merkle_stream_init(&m);
    size_t i = 0, j = 0; /* merge: a write wins over the entry of its key */
    while (i < c->n || j < writes->n) {
        size_t klen = 0, vlen = 0;
        const uint8_t *k = NULL, *v = NULL;
        if (j < writes->n) {
            k = ledger_write_key(writes, j, &klen);
            v = ledger_write_value(writes, j, &vlen);
        }
        int cmp = 1;
        if (j == writes->n) cmp = -1;
        else if (i < c->n) cmp = ledger_key_cmp(c->e[i].key, c->e[i].klen, k, klen);
        if (cmp < 0) {
            merkle_stream_add(&m, &c->e[i++].leaf);
            continue;
        }
        if (cmp == 0) i++;
        j++;
        if (vlen == 0) continue; /* a deletion */
        hansa_hash leaf;
        ledger_record_leaf_hash(k, klen, v, vlen, &leaf);
        merkle_stream_add(&m, &leaf);
    }
    merkle_stream_root(&m, out);
}
