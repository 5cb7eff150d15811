/* test_net_tail.c — the latency tail (net.c, sim_tail_us) takes its draw
 * from log where log1p would give the same whole microseconds, and from
 * log1p near a whole number: every result must equal the definition's,
 * floor(-log1p(-u) * mean) capped, on random draws and on draws picked to
 * land next to whole numbers and the cap. */
#include <math.h>

#include "base/rng.h"
#include "check.h"
#include "sim/world.h"

#define TWO53 9007199254740992.0

static uint64_t reference(uint64_t r53, uint64_t mean_us, uint64_t cap_us) {
    double t = -log1p(-((double)r53 / TWO53)) * (double)mean_us;
    return t >= (double)cap_us ? cap_us : (uint64_t)t;
}

/* net.c's two (mean, cap) pairs, and a mean at the bound it allows. */
static const uint64_t params[][2] = {{40000, 2000000}, {2000, 30000}, {100000, 3000000}};
#define N_PARAMS (sizeof params / sizeof params[0])

static void test_random_draws(void) {
    uint64_t seed = 0x7a11;
    fprintf(stderr, "  seed %" PRIu64 "\n", seed);
    hansa_prng rng;
    prng_seed(&rng, seed);
    uint64_t bad = 0;
    for (int i = 0; i < 300000; i++) {
        uint64_t r = prng_next(&rng) >> 11;
        for (size_t k = 0; k < N_PARAMS; k++)
            bad += sim_tail_us(r, params[k][0], params[k][1]) != reference(r, params[k][0], params[k][1]);
    }
    CHECK(bad == 0);
    /* The ends of the range: u = 0 and the largest u below 1. */
    for (size_t k = 0; k < N_PARAMS; k++) {
        CHECK(sim_tail_us(0, params[k][0], params[k][1]) == 0);
        CHECK(sim_tail_us((1ull << 53) - 1, params[k][0], params[k][1]) ==
              reference((1ull << 53) - 1, params[k][0], params[k][1]));
    }
}

/* Draws around the u whose tail is exactly n microseconds, for n over the
 * whole range and at the cap: where log and log1p could truncate apart. */
static void test_near_whole_numbers(void) {
    uint64_t bad = 0, checked = 0;
    for (size_t k = 0; k < N_PARAMS; k++) {
        uint64_t mean = params[k][0], cap = params[k][1];
        for (uint64_t n = 1; n < cap + 10; n += 1 + n / 64) {
            double u = -expm1(-(double)n / (double)mean);
            if (u >= 1.0) break;
            int64_t r0 = (int64_t)(u * TWO53);
            for (int64_t d = -4; d <= 4; d++) {
                int64_t r = r0 + d;
                if (r < 0 || r >= (int64_t)(1ull << 53)) continue;
                checked++;
                bad += sim_tail_us((uint64_t)r, mean, cap) != reference((uint64_t)r, mean, cap);
            }
        }
        uint64_t r_cap = (uint64_t)(-expm1(-(double)cap / (double)mean) * TWO53);
        if (r_cap < (1ull << 53))
            for (uint64_t r = r_cap - 4; r <= r_cap + 4 && r < (1ull << 53); r++)
                bad += sim_tail_us(r, mean, cap) != reference(r, mean, cap), checked++;
    }
    fprintf(stderr, "  %" PRIu64 " draws next to whole numbers\n", checked);
    CHECK(bad == 0);
}

int main(void) {
    RUN(test_random_draws);
    RUN(test_near_whole_numbers);
    return check_summary();
}
