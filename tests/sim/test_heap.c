/* test_heap.c — the event queue pops in (time, push order), checked against
 * a model (a plain array searched for its earliest entry) on random runs of
 * pushes and pops that reuse slots, with many ties at one microsecond; and
 * the simulator's small map (smap.h) forgets everything at a clear. */
#include "base/rng.h"
#include "check.h"
#include "sim/heap.h"
#include "sim/smap.h"

#define MODEL_MAX 5000

typedef struct {
    uint64_t time_us, order; /* order: the push's rank, the heap's seq */
    uint32_t tag;
} model_ev;

/* The index of the model's earliest entry. */
static size_t model_min(const model_ev *m, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (m[i].time_us < m[best].time_us || (m[i].time_us == m[best].time_us && m[i].order < m[best].order))
            best = i;
    return best;
}

static void run_seed(uint64_t seed) {
    hansa_prng rng;
    prng_seed(&rng, seed);
    sim_heap h;
    sim_heap_init(&h);
    static model_ev m[MODEL_MAX];
    size_t n = 0;
    uint64_t now = 0, pushed = 0;
    int bad = 0;
    for (int step = 0; step < 20000 && !bad; step++) {
        bool push = n == 0 || (n < MODEL_MAX && prng_below(&rng, 100) < 55);
        if (push) {
            /* Most events near now, a few far off, many at the same time. */
            uint64_t t = now + (prng_below(&rng, 4) == 0 ? 0 : prng_below(&rng, prng_below(&rng, 8) ? 50 : 100000));
            sim_event e = {.time_us = t, .kind = 1, .height = pushed};
            sim_heap_push(&h, &e);
            m[n++] = (model_ev){t, pushed, (uint32_t)pushed};
            pushed++;
        } else {
            sim_event out;
            size_t i = model_min(m, n);
            bool ok = sim_heap_pop(&h, &out);
            if (!ok || out.time_us != m[i].time_us || out.height != m[i].tag || out.seq != m[i].order) bad = 1;
            now = m[i].time_us;
            m[i] = m[--n];
        }
        if (sim_heap_len(&h) != n) bad = 1;
    }
    while (n > 0 && !bad) { /* drain */
        sim_event out;
        size_t i = model_min(m, n);
        if (!sim_heap_pop(&h, &out) || out.height != m[i].tag) bad = 1;
        m[i] = m[--n];
    }
    sim_event out;
    CHECK(!sim_heap_pop(&h, &out));
    if (bad) fprintf(stderr, "  heap differs from the model, seed %" PRIu64 "\n", seed);
    CHECK(!bad);
    sim_heap_free(&h);
}

static void test_heap_matches_model(void) {
    uint64_t base = 0x5eed0000;
    fprintf(stderr, "  seeds %" PRIu64 "..%" PRIu64 "\n", base, base + 19);
    for (uint64_t s = base; s < base + 20; s++) run_seed(s);
}

/* After smap_clear the map holds none of the keys of any earlier round
 * (a clear writes no slot: the generation moves on), through growth past
 * the first 64 slots and through the generation's wrap (tried: a clear
 * keeping the generation, and the wrap without its reset, each fail). */
static void test_smap_clear(void) {
    smap m;
    smap_init(&m);
    for (uint64_t round = 0; round < 3; round++) {
        if (round == 2) m.gen = UINT32_MAX; /* the next clear wraps */
        for (uint64_t i = 0; i < 100; i++) {
            hansa_hash v = {{0}};
            v.b[0] = (uint8_t)(i + round);
            CHECK(smap_put_new(&m, (smap_key){i, round, 0}, &v) == NULL);
        }
        CHECK_EQ_U64(m.n, 100);
        for (uint64_t i = 0; i < 100; i++) {
            const hansa_hash *got = smap_get(&m, (smap_key){i, round, 0});
            CHECK(got != NULL && got->b[0] == (uint8_t)(i + round));
        }
        smap_clear(&m);
        CHECK_EQ_U64(m.n, 0);
        for (uint64_t r = 0; r <= round; r++)
            for (uint64_t i = 0; i < 100; i++) CHECK(smap_get(&m, (smap_key){i, r, 0}) == NULL);
    }
    smap_free(&m);
}

int main(void) {
    RUN(test_heap_matches_model);
    RUN(test_smap_clear);
    return check_summary();
}
