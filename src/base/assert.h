/* assert.h — always-on assertions for internal invariants.
 *
 * Unlike <assert.h>, these stay on in release builds: a broken invariant in a
 * consensus system must stop the process before it signs or persists something
 * wrong. Split compound conditions so the failing one is named. Never use these
 * for untrusted input; return a hansa_err instead. */
#ifndef HANSA_BASE_ASSERT_H
#define HANSA_BASE_ASSERT_H

_Noreturn void hansa_assert_fail(const char *expr, const char *file, int line, const char *func);

#define HANSA_ASSERT(cond)                                                       \
    do {                                                                         \
        if (__builtin_expect(!(cond), 0))                                        \
            hansa_assert_fail(#cond, __FILE__, __LINE__, __func__);              \
    } while (0)

/* Marks code that the program's logic makes unreachable. */
#define HANSA_UNREACHABLE() hansa_assert_fail("unreachable", __FILE__, __LINE__, __func__)

#endif
