/* Tests of the state root's leaf cache (ledger/leaves.h) against a model: a
 * plain sorted record list whose root is merkle_root over its leaf hashes,
 * recomputed from scratch. Random write sets (updates, deletions, new keys,
 * keys that are prefixes of others) are applied to both, with one or several
 * commits between refreshes; after each refresh, the cached root with the
 * next pending write set on top must equal the model's root of the state
 * that write set would make. */
#include "base/assert.h"
#include "base/mem.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/merkle.h"
#include "ledger/leaves.h"
#include "ledger/state_root.h"

#define MODEL_MAX 400
#define VAL_MAX 40

typedef struct {
    uint8_t key[LEDGER_KEY_MAX_BYTES], val[VAL_MAX];
    size_t klen, vlen;
} rec;

typedef struct {
    rec r[MODEL_MAX];
    size_t n;
} model;

static size_t model_find(const model *m, const uint8_t *key, size_t klen, bool *found) {
    size_t i = 0;
    while (i < m->n && ledger_key_cmp(m->r[i].key, m->r[i].klen, key, klen) < 0) i++;
    *found = i < m->n && ledger_key_cmp(m->r[i].key, m->r[i].klen, key, klen) == 0;
    return i;
}

static bool model_value(const void *ctx, const uint8_t *key, size_t klen, hbuf *out) {
    bool found;
    const model *m = ctx;
    size_t i = model_find(m, key, klen, &found);
    if (found) hbuf_append(out, m->r[i].val, m->r[i].vlen);
    return found;
}

/* Applies a sorted write set to the model. */
static void model_apply(model *m, const ledger_writes *ws) {
    for (size_t j = 0; j < ws->n; j++) {
        size_t klen, vlen;
        const uint8_t *k = ledger_write_key(ws, j, &klen), *v = ledger_write_value(ws, j, &vlen);
        bool found;
        size_t i = model_find(m, k, klen, &found);
        if (vlen == 0) {
            HANSA_ASSERT(found);
            memmove(&m->r[i], &m->r[i + 1], (m->n - i - 1) * sizeof m->r[0]);
            m->n--;
            continue;
        }
        if (!found) {
            HANSA_ASSERT(m->n < MODEL_MAX);
            memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof m->r[0]);
            m->n++;
            memcpy(m->r[i].key, k, klen);
            m->r[i].klen = klen;
        }
        memcpy(m->r[i].val, v, vlen);
        m->r[i].vlen = vlen;
    }
}

static void model_root(const model *m, hansa_hash *out) {
    hansa_hash *leaves = hansa_calloc(m->n + 1, sizeof *leaves);
    for (size_t i = 0; i < m->n; i++)
        ledger_record_leaf_hash(m->r[i].key, m->r[i].klen, m->r[i].val, m->r[i].vlen, &leaves[i]);
    merkle_root(leaves, m->n, out);
    free(leaves);
}

static void model_records(const model *m, ledger_writes *ws) {
    for (size_t i = 0; i < m->n; i++) {
        ledger_writes_begin(ws, m->r[i].key, m->r[i].klen);
        hbuf_append(&ws->data, m->r[i].val, m->r[i].vlen);
        ledger_writes_end_value(ws);
    }
    ledger_writes_sort(ws);
}

/* Keys over a 3-letter alphabet, 1..6 bytes, some 64: short keys repeat and
 * prefix each other, which exercises "the shorter first". */
static size_t random_key(hansa_prng *p, uint8_t *key) {
    size_t klen = prng_chance(p, 1, 16) ? LEDGER_KEY_MAX_BYTES : 1 + prng_below(p, 6);
    for (size_t i = 0; i < klen; i++) key[i] = (uint8_t)prng_below(p, 3);
    return klen;
}

/* A random sorted write set over m: updates and deletions of existing
 * records, and new keys. */
static void random_writes(hansa_prng *p, const model *m, ledger_writes *ws) {
    size_t n = prng_below(p, 12);
    for (size_t t = 0; t < n; t++) {
        uint8_t key[LEDGER_KEY_MAX_BYTES];
        size_t klen;
        if (m->n > 0 && prng_chance(p, 1, 2)) {
            const rec *r = &m->r[prng_below(p, m->n)];
            klen = r->klen;
            memcpy(key, r->key, klen);
        } else {
            klen = random_key(p, key);
        }
        bool dup = false; /* a write set names a key once */
        for (size_t j = 0; j < ws->n && !dup; j++) {
            size_t l;
            const uint8_t *k = ledger_write_key(ws, j, &l);
            dup = ledger_key_cmp(k, l, key, klen) == 0;
        }
        if (dup) continue;
        bool exists;
        (void)model_find(m, key, klen, &exists);
        if (!exists && m->n + ws->n >= MODEL_MAX) continue; /* keep the model bounded */
        ledger_writes_begin(ws, key, klen);
        if (exists && prng_chance(p, 1, 3)) {
            ledger_writes_end_delete(ws);
            continue;
        }
        size_t vlen = 1 + prng_below(p, VAL_MAX);
        uint8_t val[VAL_MAX];
        prng_fill(p, val, vlen);
        hbuf_append(&ws->data, val, vlen);
        ledger_writes_end_value(ws);
    }
    ledger_writes_sort(ws);
}

static void run_seed(uint64_t seed, int rounds) {
    hansa_prng p;
    prng_seed(&p, seed);
    static model m;
    m.n = 0;
    ledger_writes first = LEDGER_WRITES_INIT;
    random_writes(&p, &m, &first);
    model_apply(&m, &first);
    ledger_writes recs = LEDGER_WRITES_INIT;
    model_records(&m, &recs);
    ledger_leaves c = {0};
    ledger_leaves_build(&c, &recs);
    int bad = 0, checked = 0;
    for (int round = 0; round < rounds && bad == 0; round++) {
        ledger_writes pending = LEDGER_WRITES_INIT;
        random_writes(&p, &m, &pending);
        hansa_hash got = {{0}}, want, records_root;
        bool current = ledger_leaves_current(&c);
        if (current) ledger_leaves_root_after(&c, &pending, &got);
        model_apply(&m, &pending);
        model_root(&m, &want);
        ledger_writes now = LEDGER_WRITES_INIT;
        model_records(&m, &now);
        ledger_records_root(&now, &records_root);
        if ((current && !hash_eq(&got, &want)) || !hash_eq(&records_root, &want)) {
            fprintf(stderr, "  seed %" PRIu64 " round %d: roots differ (%zu records)\n", seed,
                    round, m.n);
            bad++;
        }
        checked += current;
        ledger_leaves_note_writes(&c, &pending); /* the block commits */
        if (prng_chance(&p, 1, 3)) { /* several commits between refreshes, or one */
            ledger_leaves_refresh(&c, model_value, &m);
            CHECK(ledger_leaves_current(&c));
            CHECK_EQ_U64(c.n, m.n);
        }
        ledger_writes_free(&now);
        ledger_writes_free(&pending);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(checked >= rounds / 5);
    ledger_leaves_free(&c);
    ledger_writes_free(&recs);
    ledger_writes_free(&first);
}

static void test_leaves_match_model(void) {
    uint64_t seed = check_seed("test_leaves_match_model", 15);
    for (uint64_t s = seed; s < seed + 20; s++) run_seed(s, 200);
}

/* The writes of a window of 300 records moving one place at commit h:
 * record h enters with value {first, h}, record h - 300 leaves. */
static void window_writes(ledger_writes *w, uint64_t h, uint8_t first) {
    *w = (ledger_writes)LEDGER_WRITES_INIT;
    uint8_t key[9] = {0x53}, val[2] = {first, (uint8_t)h};
    if (h > 300) {
        be64_store(key + 1, h - 300);
        ledger_writes_begin(w, key, sizeof key);
        ledger_writes_end_delete(w);
    }
    be64_store(key + 1, h);
    ledger_writes_begin(w, key, sizeof key);
    hbuf_append(&w->data, val, sizeof val);
    ledger_writes_end_value(w);
    ledger_writes_sort(w);
}

/* A window of records that moves one place per commit (the receipts' kept
 * tx roots: one enters at the end, the oldest leaves), refreshed every 8
 * commits: the runs of 32 leaves reappear shifted by 8, 16, 24, 32 places,
 * so the memo of runs (leaves.h) both hits and misses; the root must be the
 * model's every time. */
static void test_leaves_moving_window(void) {
    static model m;
    m.n = 0;
    ledger_writes recs = LEDGER_WRITES_INIT;
    ledger_leaves c = {0};
    ledger_leaves_build(&c, &recs);
    int bad = 0;
    for (uint64_t h = 1; h <= 600; h++) {
        ledger_writes w;
        window_writes(&w, h, 1);
        hansa_hash got, want;
        bool current = ledger_leaves_current(&c);
        if (current) ledger_leaves_root_after(&c, &w, &got);
        model_apply(&m, &w);
        model_root(&m, &want);
        bad += current && !hash_eq(&got, &want);
        ledger_leaves_note_writes(&c, &w);
        if (h % 8 == 0) ledger_leaves_refresh(&c, model_value, &m);
        ledger_writes_free(&w);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(c.n, 300);
    ledger_leaves_free(&c);
}

/* One commit of the moving window of test_leaves_shared_memo at height h:
 * the record of h enters (its value's first byte `odd` when h is 150, else
 * 1), the record of h - 300 leaves, and c is refreshed. Returns true if
 * c's root, taken before the commit, was wrong. */
static bool window_step(ledger_leaves *c, model *m, uint64_t h, uint8_t odd) {
    ledger_writes w;
    window_writes(&w, h, h == 150 ? odd : 1);
    hansa_hash got, want;
    ledger_leaves_root_after(c, &w, &got);
    model_apply(m, &w);
    model_root(m, &want);
    ledger_leaves_note_writes(c, &w);
    ledger_leaves_refresh(c, model_value, m);
    ledger_writes_free(&w);
    return !hash_eq(&got, &want);
}

/* Three states sharing the simulator's memos of runs and of roots
 * (leaves.h), one commit each in turn: the second equal to the first (its
 * runs and roots hits), the third different in one record, which the
 * moving window carries through every place of the runs and of the leaves
 * past the last whole run, so the third asks runs and roots equal to what
 * the memos hold but for one leaf, anywhere. Every root must still be its
 * model's (fails if a hit compares less than its whole key), with the
 * memos sized for one chain or for three (one root memo a chain: the
 * third's root then stays beside the first's), and a state using the
 * shared memo allocates none of its own (tried: allocating it anyway). */
static void test_leaves_shared_memo(void) {
    static model m[3];
    const uint8_t odd[3] = {1, 1, 2};
    for (size_t chains = 1; chains <= 3; chains += 2) {
        ledger_leaves c[3] = {{0}};
        ledger_writes recs = LEDGER_WRITES_INIT;
        ledger_leaf_memo_share(chains);
        CHECK_EQ_U64(ledger_leaf_memo_shared(), chains);
        for (int k = 0; k < 3; k++) {
            m[k].n = 0;
            ledger_leaves_build(&c[k], &recs);
            ledger_leaves_refresh(&c[k], model_value, &m[k]); /* uses the shared memo */
            CHECK(c[k].memo == NULL);
        }
        int bad = 0;
        for (uint64_t h = 1; h <= 500; h++)
            for (int k = 0; k < 3; k++) bad += window_step(&c[k], &m[k], h, odd[k]);
        ledger_leaf_memo_share(0);
        CHECK_EQ_U64(bad, 0);
        for (int k = 0; k < 3; k++) ledger_leaves_free(&c[k]);
    }
}

/* A key noted by several commits before a refresh is noted once, through
 * the set's growth (more keys than its first 256 slots hold half of) and
 * again after a refresh empties it. */
static void test_leaves_note_once(void) {
    static model m;
    m.n = 0;
    ledger_writes recs = LEDGER_WRITES_INIT;
    ledger_leaves c = {0};
    ledger_leaves_set_key(&c, 7, 9);
    ledger_leaves_build(&c, &recs);
    for (int round = 0; round < 2; round++) {
        for (int rep = 0; rep < 3; rep++)
            for (uint32_t k = 0; k < 300; k++) {
                uint8_t key[5] = {0x01};
                be32_store(key + 1, k);
                ledger_leaves_note(&c, key, sizeof key);
            }
        CHECK_EQ_U64(c.n_notes, 300);
        ledger_leaves_refresh(&c, model_value, &m); /* no records: every key leaves */
        CHECK(ledger_leaves_current(&c));
        CHECK_EQ_U64(c.n, 0);
    }
    ledger_leaves_free(&c);
    CHECK_EQ_U64(c.k0, 7); /* the key outlives the contents */
}

/* An empty state and an empty write set give the root of no leaves. */
static void test_leaves_empty(void) {
    ledger_leaves c = {0};
    ledger_writes none = LEDGER_WRITES_INIT;
    ledger_leaves_build(&c, &none);
    hansa_hash got, want;
    ledger_leaves_root_after(&c, &none, &got);
    merkle_root(NULL, 0, &want);
    CHECK(hash_eq(&got, &want));
    ledger_leaves_free(&c);
}

int main(void) {
    RUN(test_leaves_match_model);
    RUN(test_leaves_moving_window);
    RUN(test_leaves_shared_memo);
    RUN(test_leaves_empty);
    RUN(test_leaves_note_once);
    return check_summary();
}
