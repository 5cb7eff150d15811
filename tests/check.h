/* check.h — the tiny test harness every test executable uses.
 *
 * A test file defines functions `static void test_x(void)` and a main that
 * calls RUN(test_x) for each and returns check_summary(). CHECK records a
 * failure with file:line and goes on, so one run reports every broken
 * assertion; the summary line "N passed, N failed" is what CI reads. */
#ifndef HANSA_TESTS_CHECK_H
#define HANSA_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_total, check_failures_in_test, check_tests_passed,
    check_tests_failed;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            check_failures_in_test++;                                                     \
        }                                                                                 \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                \
    do {                                                                                  \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                      \
        if (check_a_ != check_b_) {                                                       \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%" PRIu64 " != %" PRIu64 ")\n",      \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);                      \
            check_failures_in_test++;                                                     \
        }                                                                                 \
    } while (0)

#define CHECK_ERR(expr, expected)                                                         \
    do {                                                                                  \
        int check_e_ = (int)(expr);                                                       \
        if (check_e_ != (int)(expected)) {                                                \
            fprintf(stderr, "  FAIL %s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, \
                    #expr, hansa_errname((hansa_err)check_e_), #expected);                \
            check_failures_in_test++;                                                     \
        }                                                                                 \
    } while (0)

#define RUN(fn)                                                                           \
    do {                                                                                  \
        check_failures_in_test = 0;                                                       \
        fn();                                                                             \
        if (check_failures_in_test) {                                                     \
            check_tests_failed++;                                                         \
            check_failures_total += check_failures_in_test;                               \
            fprintf(stderr, "not ok %s\n", #fn);                                          \
        } else {                                                                          \
            check_tests_passed++;                                                         \
            fprintf(stderr, "ok %s\n", #fn);                                              \
        }                                                                                 \
    } while (0)

static inline int check_summary(void) {
    printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
    return check_tests_failed ? 1 : 0;
}

/* The seed of a randomized test: HANSA_SEED from the environment if set
 * (to replay), else a fixed default. Always printed. */
static inline uint64_t check_seed(const char *test, uint64_t dflt) {
    const char *s = getenv("HANSA_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : dflt;
    fprintf(stderr, "%s: seed %" PRIu64 " (replay with HANSA_SEED=%" PRIu64 ")\n", test, seed,
            seed);
    return seed;
}

/* Path of a file in ../shared/vectors, or NULL (the test then counts as skipped). */
static inline const char *check_vector_path(const char *name, char *buf, size_t n) {
    const char *shared = getenv("HANSA_SHARED");
    snprintf(buf, n, "%s/vectors/%s", shared ? shared : "../shared", name);
    FILE *f = fopen(buf, "rb");
    if (!f) return NULL;
    fclose(f);
    return buf;
}

#endif
