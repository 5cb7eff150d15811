/* assert.c — the failure path of HANSA_ASSERT: report and abort. */
#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void hansa_assert_fail(const char *expr, const char *file, int line, const char *func) {
    fprintf(stderr, "hansa: assertion failed: %s (%s:%d, %s)\n", expr, file, line, func);
    fflush(stderr);
    abort();
}
