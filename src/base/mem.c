/* mem.c — see mem.h: allocation failure aborts. */
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t n) {
    if (p == NULL && n != 0) {
        fprintf(stderr, "hansa: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

void *hansa_malloc(size_t n) { return check(malloc(n ? n : 1), n ? n : 1); }

void *hansa_calloc(size_t count, size_t size) {
    if (count == 0 || size == 0) return check(calloc(1, 1), 1);
    return check(calloc(count, size), count * size);
}

void *hansa_realloc(void *p, size_t n) { return check(realloc(p, n ? n : 1), n ? n : 1); }

void *hansa_memdup(const void *p, size_t n) {
    void *q = hansa_malloc(n);
    if (n) memcpy(q, p, n);
    return q;
}

char *hansa_strdup(const char *s) { return hansa_memdup(s, strlen(s) + 1); }
