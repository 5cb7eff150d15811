/* leaves.c — see leaves.h. */
#define _GNU_SOURCE /* qsort_r */
#include "ledger/leaves.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "base/memo.h"
#include "crypto/merkle.h"
#include "ledger/acct_map.h"
#include "ledger/state_root.h"

void ledger_leaves_free(ledger_leaves *c) {
    uint64_t k0 = c->k0, k1 = c->k1;
    free(c->e);
    free(c->spare);
    free(c->notes);
    free(c->note_set);
    free(c->memo);
    hbuf_free(&c->noted_keys);
    memset(c, 0, sizeof *c);
    ledger_leaves_set_key(c, k0, k1);
}

void ledger_leaves_set_key(ledger_leaves *c, uint64_t k0, uint64_t k1) {
    c->k0 = k0;
    c->k1 = k1;
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
    if (c->n_notes > 0) memset(c->note_set, 0, c->cap_set * sizeof *c->note_set);
    c->n_notes = 0;
    hbuf_reset(&c->noted_keys);
}

/* The set slot of key: the one holding it, or the empty one it would take. */
static size_t note_slot(const ledger_leaves *c, const uint8_t *key, size_t klen) {
    size_t mask = c->cap_set - 1;
    size_t i = (size_t)ledger_siphash24(c->k0, c->k1, key, klen) & mask;
    for (; c->note_set[i] != 0; i = (i + 1) & mask) {
        const ledger_leaf_note *nt = &c->notes[c->note_set[i] - 1];
        if (nt->len == klen && memcmp(c->noted_keys.data + nt->off, key, klen) == 0) break;
    }
    return i;
}

/* Keeps the set at most half full: doubled and refilled from the notes. */
static void note_set_reserve(ledger_leaves *c) {
    if (2 * (c->n_notes + 1) <= c->cap_set) return;
    size_t cap = c->cap_set ? 2 * c->cap_set : 256;
    free(c->note_set);
    c->note_set = hansa_calloc(cap, sizeof *c->note_set);
    c->cap_set = cap;
    for (size_t j = 0; j < c->n_notes; j++) {
        const ledger_leaf_note *nt = &c->notes[j];
        c->note_set[note_slot(c, c->noted_keys.data + nt->off, nt->len)] = (uint32_t)(j + 1);
    }
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
    note_set_reserve(c);
    size_t slot = note_slot(c, key, klen);
    if (c->note_set[slot] != 0) return; /* noted since the last refresh */
    HANSA_ASSERT(c->n_notes < UINT32_MAX);
    c->note_set[slot] = (uint32_t)(c->n_notes + 1);
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

bool ledger_leaves_notes_full(const ledger_leaves *c) {
    return c->n_notes > LEDGER_LEAF_NOTES_MAX && c->n_notes > c->n;
}

static int note_cmp(const void *a, const void *b, void *ctx) {
    const uint8_t *keys = ctx;
    const ledger_leaf_note *x = a, *y = b;
    return ledger_key_cmp(keys + x->off, x->len, keys + y->off, y->len);
}

/* The memos ledger_leaf_memo_share switches on: the runs' (NULL when
 * off), and the whole roots', one a chain, keyed by what the stream takes
 * (root_finish), replaced in turn. */
static _Thread_local ledger_leaf_memo *shared_memo;
static _Thread_local hash_memo *root_memos;
static _Thread_local size_t n_root_memos, root_victim;
/* The key root_feed lays out, memo on or off. */
static _Thread_local hbuf root_key;

/* A memo of runs with LEDGER_LEAF_MEMO_SLOTS slots for each of chains. */
static ledger_leaf_memo *memo_new(size_t chains) {
    size_t n_sets = chains * (LEDGER_LEAF_MEMO_SLOTS / LEDGER_LEAF_MEMO_WAYS);
    ledger_leaf_memo *m =
        hansa_calloc(1, sizeof *m + n_sets * LEDGER_LEAF_MEMO_WAYS * sizeof m->slot[0]);
    m->n_sets = n_sets;
    return m;
}

void ledger_leaves_refresh(ledger_leaves *c, ledger_leaves_value_fn value, const void *ctx) {
    HANSA_ASSERT(c->built);
    c->refreshed = true;
    if (c->memo == NULL && shared_memo == NULL) c->memo = memo_new(1);
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

void ledger_leaf_memo_share(size_t chains) {
    free(shared_memo);
    shared_memo = chains ? memo_new(chains) : NULL;
    for (size_t i = 0; i < n_root_memos; i++) hash_memo_switch(&root_memos[i], false);
    free(root_memos);
    root_memos = chains ? hansa_calloc(chains, sizeof *root_memos) : NULL;
    for (size_t i = 0; i < chains; i++) hash_memo_switch(&root_memos[i], true);
    n_root_memos = chains;
    root_victim = 0;
    hbuf_free(&root_key); /* the next root lays its key out afresh */
}

size_t ledger_leaf_memo_shared(void) {
    return n_root_memos;
}

/* The leaves of a root, fed to the stream a run of LEDGER_LEAF_CHUNK at a
 * time so that a run the memo holds costs no hashing. */
typedef struct {
    ledger_leaf_memo *memo;
    hansa_hash run[LEDGER_LEAF_CHUNK];
    size_t n_run;
    /* The runs' roots, n_runs of them, then the last run's leaves, laid
     * out here (root_key: the root memos' key) and fed to the stream by
     * stream_root_of, memo on or off: one path, which the simulator's digests
     * pin for hansad too. */
    hbuf *key;
    size_t n_runs;
} root_feed;

/* The run's slot in the memo: the one holding it, else the least recently
 * used of its set (its first leaf's first bytes pick the set: uniform). */
static ledger_leaf_chunk *memo_slot(ledger_leaf_memo *memo, const hansa_hash *run, bool *hit) {
    size_t set = (size_t)(le64_load(run[0].b) % memo->n_sets);
    ledger_leaf_chunk *ways = &memo->slot[set * LEDGER_LEAF_MEMO_WAYS], *oldest = &ways[0];
    for (size_t k = 0; k < LEDGER_LEAF_MEMO_WAYS; k++) {
        ledger_leaf_chunk *s = &ways[k];
        if (s->used_at != 0 && memcmp(s->leaves, run, sizeof s->leaves) == 0) {
            *hit = true;
            return s;
        }
        if (s->used_at < oldest->used_at) oldest = s;
    }
    *hit = false;
    return oldest;
}

static void feed_run(root_feed *f) {
    hansa_hash root;
    if (f->memo == NULL) {
        merkle_root(f->run, LEDGER_LEAF_CHUNK, &root);
    } else {
        bool hit;
        ledger_leaf_chunk *s = memo_slot(f->memo, f->run, &hit);
        if (!hit) {
            memcpy(s->leaves, f->run, sizeof f->run);
            merkle_root(f->run, LEDGER_LEAF_CHUNK, &s->root);
        }
#ifndef NDEBUG
        else if (f->memo == shared_memo) { /* a weakened compare cannot pass */
            hansa_hash check;
            merkle_root(f->run, LEDGER_LEAF_CHUNK, &check);
            HANSA_ASSERT(hash_eq(&check, &s->root));
        }
#endif
        s->used_at = ++f->memo->clock;
        root = s->root;
    }
    hbuf_append(f->key, root.b, HANSA_HASH_BYTES);
    f->n_runs++;
    f->n_run = 0;
}

/* The root of what f->key lays out (root_finish): n_runs runs' roots
 * (perfect subtrees of LEDGER_LEAF_CHUNK_HEIGHT), then leaves, then the
 * count of runs, which the stream does not take. The root memo's compute. */
static void stream_root_of(const void *ctx, hansa_hash *out) {
    const root_feed *f = ctx;
    const uint8_t *key = f->key->data;
    size_t len = f->key->len - 8;
    merkle_stream m;
    merkle_stream_init(&m);
    for (size_t at = 0, i = 0; at < len; at += HANSA_HASH_BYTES, i++) {
        hansa_hash h;
        memcpy(h.b, key + at, HANSA_HASH_BYTES);
        if (i < f->n_runs) merkle_stream_add_subtree(&m, &h, LEDGER_LEAF_CHUNK_HEIGHT);
        else merkle_stream_add(&m, &h);
    }
    merkle_stream_root(&m, out);
}

/* Lays the key out (f->key) as the root memo's next: the root_feed ctx. */
static void root_key_copy(hbuf *next, const void *ctx) {
    const root_feed *f = ctx;
    hbuf_append(next, f->key->data, f->key->len);
}

/* The root memo whose kept key is key (*held), else the next to replace;
 * NULL when they are off. */
static hash_memo *root_memo_for(const hbuf *key, bool *held) {
    *held = false;
    if (n_root_memos == 0) return NULL;
    for (size_t i = 0; i < n_root_memos; i++) {
        const hbuf *k = hash_memo_key(&root_memos[i]);
        if (k->len == key->len && memcmp(k->data, key->data, key->len) == 0) {
            *held = true;
            return &root_memos[i];
        }
    }
    root_victim = (root_victim + 1) % n_root_memos;
    return &root_memos[root_victim];
}

/* Lays out the last (short) run's leaves and writes the root. With the
 * root memos on, the key (the runs' roots, the leaves, then the count of
 * runs, so equal keys are equal streams) is answered from the one that
 * kept it: every simulated node of a chain computes the same roots. Off,
 * every root is computed. */
static void root_finish(root_feed *f, hansa_hash *out) {
    for (size_t r = 0; r < f->n_run; r++) hbuf_append(f->key, f->run[r].b, HANSA_HASH_BYTES);
    hbuf_put_u64(f->key, f->n_runs);
    bool held;
    hash_memo *m = root_memo_for(f->key, &held);
    if (m == NULL) stream_root_of(f, out);
    else hash_memo_answer_held(m, held, root_key_copy, stream_root_of, f, out);
}

static void feed(root_feed *f, const hansa_hash *leaf) {
    f->run[f->n_run++] = *leaf;
    if (f->n_run == LEDGER_LEAF_CHUNK) feed_run(f);
}

void ledger_leaves_root_after(const ledger_leaves *c, const ledger_writes *writes,
                              hansa_hash *out) {
    HANSA_ASSERT(ledger_leaves_current(c));
    HANSA_ASSERT(writes->sorted || writes->n == 0);
    hbuf_reset(&root_key);
    root_feed f = {.memo = !c->refreshed ? NULL : shared_memo ? shared_memo : c->memo,
                   .key = &root_key};
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
            feed(&f, &c->e[i++].leaf);
            continue;
        }
        if (cmp == 0) i++;
        j++;
        if (vlen == 0) continue; /* a deletion */
        hansa_hash leaf;
        ledger_record_leaf_hash(k, klen, v, vlen, &leaf);
        feed(&f, &leaf);
    }
    root_finish(&f, out);
}
